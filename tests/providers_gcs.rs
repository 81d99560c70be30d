//! The GCS provider and the GCS side of the Transfer provider, against the in-process
//! emulator (credentials, guest collections, roles, directories, TLS with a CA file) and
//! wiremock (discovery, per-endpoint tokens, untrusted manager hosts, creates that time out).

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use accord::emulator::{Emulator, RunningEmulator, Seed, spawn, spawn_tls};
use accord::http::{GlobusCredentials, HttpClient, HttpError, HttpOptions, ServiceUrls};
use accord::plan::{Action, Change};
use accord::service::{IdMap, Lookup, Outcome, Provider, ProviderError, Scope};
use accord::services::gcs::provider::GcsProvider;
use accord::services::transfer::provider::TransferProvider;
use accord::services::transfer::provider::named_collection;
use accord::state::{Address, Container, ContainerMode, Object};
use serde_json::{Value, json};
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Endpoint administrator and owner.
const ADMIN: &str = "11111111-1111-4111-8111-111111111111";
/// accord's client: `access_manager` on the mapped collection, no credential at first.
const ME: &str = "22222222-2222-4222-8222-222222222222";
/// Holds a seeded credential on the gateway.
const OUTSIDER: &str = "44444444-4444-4444-8444-444444444444";
const GCS: &str = "e0000000-0000-4000-8000-00000000000e";
const GATEWAY: &str = "9a000000-0000-4000-8000-000000000001";
/// A second gateway of the endpoint, where nobody has a credential.
const GATEWAY_2: &str = "9a000000-0000-4000-8000-000000000002";
const MAPPED: &str = "3c000000-0000-4000-8000-000000000001";
const OUTSIDER_CRED: &str = "c0000000-0000-4000-8000-000000000004";
const ALICE: &str = "a1a1a1a1-0000-4000-8000-000000000001";

const SEED: &str = r#"
clients:
  - { client_id: 11111111-1111-4111-8111-111111111111, client_secret: admin-secret, name: admin }
  - { client_id: 22222222-2222-4222-8222-222222222222, client_secret: me-secret, name: accord,
      username: accord@uni.edu }
  - { client_id: 44444444-4444-4444-8444-444444444444, client_secret: outsider-secret, name: outsider }
identities:
  - { id: a1a1a1a1-0000-4000-8000-000000000001, username: alice@uni.edu }
endpoints:
  - id: e0000000-0000-4000-8000-00000000000e
    display_name: lab-gcs
    entity_type: GCSv5_endpoint
    roles:
      owner: [11111111-1111-4111-8111-111111111111]
      administrator: [11111111-1111-4111-8111-111111111111]
    storage_gateways:
      - { id: 9a000000-0000-4000-8000-000000000001, display_name: posix-gw }
      - { id: 9a000000-0000-4000-8000-000000000002, display_name: posix-gw-2 }
    user_credentials:
      - { id: c0000000-0000-4000-8000-000000000004, identity: 44444444-4444-4444-8444-444444444444,
          storage_gateway: posix-gw, username: outsider }
  - id: 3c000000-0000-4000-8000-000000000001
    display_name: lab-mapped
    entity_type: GCSv5_mapped_collection
    host_endpoint_id: e0000000-0000-4000-8000-00000000000e
    storage_gateway: posix-gw
    directories: [/lab/existing/]
    roles:
      access_manager: [22222222-2222-4222-8222-222222222222]
"#;

fn options() -> HttpOptions {
    HttpOptions {
        backoff_scale: 0.001,
        allow_hosts: Vec::new(),
        ca_file: None,
        ..HttpOptions::default()
    }
}

fn secret(client: &str) -> &'static str {
    match client {
        ADMIN => "admin-secret",
        ME => "me-secret",
        OUTSIDER => "outsider-secret",
        _ => panic!("unknown client {client}"),
    }
}

async fn emulator() -> RunningEmulator {
    spawn(Emulator::new(
        Seed::from_yaml_str(&accord::services::builtin(), SEED).unwrap(),
    ))
    .await
    .unwrap()
}

fn http_as(base: &str, client: &str, opts: HttpOptions) -> Arc<HttpClient> {
    HttpClient::shared(
        &accord::services::builtin().apis(),
        ServiceUrls::emulator(base),
        GlobusCredentials::new(client, secret(client)),
        opts,
    )
    .unwrap()
}

fn change(address: Address, action: Action, after: Option<Object>) -> Change {
    Change {
        after,
        ..Change::new(address, action)
    }
}

fn credential_address() -> Address {
    Address::new(accord::services::gcs::CREDENTIAL, [GCS, GATEWAY])
}

/// The server id of the credential a read found.
fn credential_id(state: &accord::state::State) -> Option<&str> {
    state.get(&credential_address())?.server_id.as_deref()
}

fn collection_address(name: &str) -> Address {
    Address::new(accord::services::gcs::COLLECTION, [GCS, name])
}

fn credential_lookup() -> Lookup {
    Lookup {
        address: credential_address(),
        pin: None,
        previously: Vec::new(),
        hints: BTreeMap::new(),
    }
}

fn collection_lookup(name: &str, display_name: &str) -> Lookup {
    Lookup {
        address: collection_address(name),
        pin: None,
        previously: Vec::new(),
        hints: BTreeMap::from([
            ("display_name".to_string(), json!(display_name)),
            ("mapped_collection_id".to_string(), json!(MAPPED)),
        ]),
    }
}

fn desired_collection(name: &str, display_name: &str) -> Object {
    let mut o = Object::new(collection_address(name))
        .with("display_name", display_name)
        .with("public", true)
        .with("collection_base_path", "/lab/")
        .with("mapped_collection_id", MAPPED)
        .with("description", "the lab's share");
    o.depends_on = vec![credential_address()];
    o
}

fn role_address(name: &str, role: &str, principal: &str) -> Address {
    Address::new(accord::services::gcs::ROLE, [name, role, principal])
}

fn desired_role(name: &str, role: &str, principal: &str) -> Object {
    let mut o = Object::new(role_address(name, role, principal));
    o.depends_on = vec![collection_address(name)];
    o
}

fn container(address: Address) -> Container {
    Container {
        address,
        mode: ContainerMode::Authoritative,
        manage_paths: Vec::new(),
        provenance: None,
    }
}

fn applied_id(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Applied {
            server_id: Some(id),
        } => id.clone(),
        other => panic!("expected an applied create, got {other:?}"),
    }
}

/// Creates accord's credential and the guest collection `lab-share`; returns its id.
async fn create_share(gcs: &GcsProvider, ids: &IdMap) -> String {
    let out = gcs
        .apply(&[change(credential_address(), Action::Create, None)], ids)
        .await;
    applied_id(&out[0]);
    let out = gcs
        .apply(
            &[change(
                collection_address("lab-share"),
                Action::Create,
                Some(desired_collection("lab-share", "Lab share")),
            )],
            ids,
        )
        .await;
    applied_id(&out[0])
}

#[tokio::test]
async fn credential_found_or_created() {
    let em = emulator().await;
    // The outsider's seeded credential is found.
    let outsider = GcsProvider::new(http_as(&em.base_url, OUTSIDER, options()));
    let scope = Scope {
        lookups: vec![credential_lookup()],
        ..Scope::default()
    };
    let live = outsider.read(&scope).await.unwrap();
    let found = live.state.get(&credential_address()).expect("found");
    assert_eq!(found.server_id.as_deref(), Some(OUTSIDER_CRED));
    assert_eq!(found.attrs["identity_id"], OUTSIDER);
    assert_eq!(found.attrs["username"], "outsider");

    // accord has none: the read finds nothing (another identity's does not count); create
    // makes one for accord's own identity, which the next read finds.
    let gcs = GcsProvider::new(http_as(&em.base_url, ME, options()));
    let live = gcs.read(&scope).await.unwrap();
    assert!(live.state.get(&credential_address()).is_none());
    let ids = IdMap::default();
    let after = Object::new(credential_address()).with("username", "labsvc");
    let out = gcs
        .apply(
            &[change(credential_address(), Action::Create, Some(after))],
            &ids,
        )
        .await;
    let id = applied_id(&out[0]);
    assert_eq!(ids.get(&credential_address()), Some(id.clone()));
    let live = gcs.read(&scope).await.unwrap();
    let found = live.state.get(&credential_address()).expect("created");
    assert_eq!(found.server_id.as_deref(), Some(id.as_str()));
    assert_eq!(found.attrs["identity_id"], ME);
    assert_eq!(found.attrs["username"], "labsvc");
    // Never deleted.
    let out = gcs
        .apply(&[change(credential_address(), Action::Delete, None)], &ids)
        .await;
    assert_eq!(out[0], Outcome::Applied { server_id: None });
    assert!(
        gcs.read(&scope)
            .await
            .unwrap()
            .state
            .get(&credential_address())
            .is_some()
    );
}

#[tokio::test]
async fn collection_create_records_ids_and_reads_back() {
    let em = emulator().await;
    let http = http_as(&em.base_url, ME, options());
    let gcs = GcsProvider::new(http.clone());
    let ids = IdMap::default();
    let id = create_share(&gcs, &ids).await;
    assert_eq!(ids.get(&collection_address("lab-share")), Some(id.clone()));
    assert_eq!(ids.get(&named_collection("lab-share")), Some(id.clone()));

    // Found again by its display name and mapped collection, with its document fields.
    let scope = Scope {
        lookups: vec![collection_lookup("lab-share", "Lab share")],
        ..Scope::default()
    };
    let live = gcs.read(&scope).await.unwrap();
    let o = live.state.get(&collection_address("lab-share")).unwrap();
    assert_eq!(o.server_id.as_deref(), Some(id.as_str()));
    assert_eq!(o.attrs["display_name"], "Lab share");
    assert_eq!(o.attrs["public"], true);
    assert_eq!(o.attrs["collection_base_path"], "/lab/");
    assert_eq!(o.attrs["mapped_collection_id"], MAPPED);
    assert_eq!(o.attrs["description"], "the lab's share");
    assert_eq!(o.attrs["storage_gateway_id"], GATEWAY);

    // By pin too; a pin that does not exist is an error.
    let mut pinned = collection_lookup("lab-share", "whatever");
    pinned.pin = Some(id.clone());
    let live = gcs
        .read(&Scope {
            lookups: vec![pinned.clone()],
            ..Scope::default()
        })
        .await
        .unwrap();
    assert!(live.state.get(&collection_address("lab-share")).is_some());
    pinned.pin = Some("0e4a77f8-b778-4d5c-abaa-e1254e71427f".into());
    let err = gcs
        .read(&Scope {
            lookups: vec![pinned],
            ..Scope::default()
        })
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::NotFound(_)), "{err}");

    // An update patches the changed field.
    let mut before = o.clone();
    before.attrs.insert("public".into(), json!(true));
    let mut after = desired_collection("lab-share", "Lab share");
    after.attrs.insert("public".into(), json!(false));
    let mut update = change(collection_address("lab-share"), Action::Update, Some(after));
    update.before = Some(before);
    update.fields = vec![accord::plan::FieldChange {
        name: "public".into(),
        before: json!(true),
        after: json!(false),
    }];
    let out = gcs.apply(&[update], &ids).await;
    assert!(matches!(out[0], Outcome::Applied { .. }), "{out:?}");
    let live = gcs.read(&scope).await.unwrap();
    assert_eq!(
        live.state
            .get(&collection_address("lab-share"))
            .unwrap()
            .attrs["public"],
        false
    );

    // A second collection with the same display name makes the lookup ambiguous.
    let other = GcsProvider::new(http.clone());
    let out = other
        .apply(
            &[change(
                collection_address("lab-share-2"),
                Action::Create,
                Some(desired_collection("lab-share-2", "Lab share")),
            )],
            &ids,
        )
        .await;
    // A create that succeeds is not second-guessed: the server now holds two collections
    // with one display name.
    let second = applied_id(&out[0]);
    assert_ne!(second, id);
    let err = gcs.read(&scope).await.unwrap_err();
    assert!(err.to_string().contains("pin one"), "{err}");

    // Delete removes it; reading by pin then fails, and a delete of a gone one is applied.
    let mut delete = change(collection_address("lab-share-2"), Action::Delete, None);
    delete.before = Some(Object {
        server_id: Some(second.clone()),
        ..Object::new(collection_address("lab-share-2"))
    });
    let out = gcs.apply(std::slice::from_ref(&delete), &ids).await;
    assert_eq!(out[0], Outcome::Applied { server_id: None });
    let out = gcs.apply(&[delete], &ids).await;
    assert_eq!(out[0], Outcome::Applied { server_id: None });
    assert!(gcs.read(&scope).await.is_ok());
}

/// The GCS requests since the log was last cleared, as `METHOD PATH` (the endpoint's prefix
/// `/gcs/{GCS}/api` left out).
fn gcs_requests(em: &RunningEmulator) -> Vec<String> {
    let prefix = format!("/gcs/{GCS}/api");
    em.emulator
        .request_log()
        .into_iter()
        .filter_map(|r| Some(format!("{} {}", r.method, r.path.strip_prefix(&prefix)?)))
        .collect()
}

#[tokio::test]
async fn guest_collections_on_one_endpoint_are_one_listing() {
    let em = emulator().await;
    let gcs = GcsProvider::new(http_as(&em.base_url, ME, options()));
    let ids = IdMap::default();
    create_share(&gcs, &ids).await;
    let names: Vec<String> = (1..5).map(|i| format!("share-{i}")).collect();
    for name in &names {
        let out = gcs
            .apply(
                &[change(
                    collection_address(name),
                    Action::Create,
                    Some(desired_collection(name, &format!("Share {name}"))),
                )],
                &ids,
            )
            .await;
        applied_id(&out[0]);
    }
    // Five guest collections (one of them pinned), their roles and accord's credential.
    let mut lookups = vec![
        credential_lookup(),
        collection_lookup("lab-share", "Lab share"),
    ];
    lookups.extend(
        names
            .iter()
            .map(|n| collection_lookup(n, &format!("Share {n}"))),
    );
    lookups[2].pin = ids.get(&collection_address("share-1"));
    assert!(lookups[2].pin.is_some());
    let mut all = vec!["lab-share".to_string()];
    all.extend(names.iter().cloned());
    let scope = Scope {
        lookups,
        containers: all
            .iter()
            .map(|n| container(Address::partial(accord::services::gcs::ROLE, [n.clone()])))
            .collect(),
        ..Scope::default()
    };
    em.emulator.clear_request_log();
    let live = GcsProvider::new(http_as(&em.base_url, ME, options()))
        .read(&scope)
        .await
        .unwrap();
    for name in &all {
        let o = live.state.get(&collection_address(name)).expect(name);
        assert_eq!(o.server_id, ids.get(&collection_address(name)), "{name}");
        assert_eq!(o.attrs["storage_gateway_id"], GATEWAY, "{name}");
    }
    assert!(live.state.get(&credential_address()).is_some());
    // The creator's own administrator role, once per collection, is system-managed.
    assert_eq!(live.system_managed.len(), 5);
    let mut calls = gcs_requests(&em);
    calls.sort();
    let mut want = vec![
        "GET /collections".to_string(),
        "GET /user_credentials".to_string(),
    ];
    want.extend(std::iter::repeat_n("GET /roles".to_string(), 5));
    want.sort();
    // One listing for the five (the pinned one is in it), one credential listing and one
    // role listing per collection; no collection is read on its own.
    assert_eq!(calls, want);
    // The manager URL was asked of Transfer once, though the listings ran side by side.
    let discoveries = em
        .emulator
        .request_log()
        .into_iter()
        .filter(|r| r.path == format!("/transfer/v0.10/endpoint/{GCS}"))
        .count();
    assert_eq!(discoveries, 1);
}

#[tokio::test]
async fn credentials_on_two_gateways_of_an_endpoint_are_one_listing() {
    let em = emulator().await;
    let outsider = GcsProvider::new(http_as(&em.base_url, OUTSIDER, options()));
    let on_2 = Address::new(accord::services::gcs::CREDENTIAL, [GCS, GATEWAY_2]);
    let scope = Scope {
        lookups: vec![
            credential_lookup(),
            Lookup {
                address: on_2.clone(),
                pin: None,
                previously: Vec::new(),
                hints: BTreeMap::new(),
            },
        ],
        ..Scope::default()
    };
    em.emulator.clear_request_log();
    let live = outsider.read(&scope).await.unwrap();
    assert_eq!(credential_id(&live.state), Some(OUTSIDER_CRED));
    assert!(live.state.get(&on_2).is_none());
    assert_eq!(gcs_requests(&em), ["GET /user_credentials"]);
}

#[tokio::test]
async fn roles_create_delete_and_adopt() {
    let em = emulator().await;
    let gcs = GcsProvider::new(http_as(&em.base_url, ME, options()));
    let ids = IdMap::default();
    let collection = create_share(&gcs, &ids).await;
    let alice = format!("identity:{ALICE}");
    let address = role_address("lab-share", "access_manager", &alice);
    let create = change(
        address.clone(),
        Action::Create,
        Some(desired_role("lab-share", "access_manager", &alice)),
    );
    let out = gcs.apply(std::slice::from_ref(&create), &ids).await;
    let role_id = applied_id(&out[0]);
    assert_eq!(ids.get(&address), Some(role_id.clone()));

    // Creating it again answers 409 `exists`: the role is adopted, not duplicated.
    let fresh = IdMap::default();
    fresh.insert(named_collection("lab-share"), collection.clone());
    let out = gcs.apply(&[create], &fresh).await;
    assert_eq!(
        out[0],
        Outcome::Applied {
            server_id: Some(role_id.clone())
        }
    );

    // Reading the container: the new role, keyed canonically; accord's own administrator
    // role (the creator's) is system-managed.
    let scope = Scope {
        containers: vec![container(Address::partial(
            accord::services::gcs::ROLE,
            ["lab-share"],
        ))],
        lookups: vec![collection_lookup("lab-share", "Lab share")],
        ..Scope::default()
    };
    let live = gcs.read(&scope).await.unwrap();
    let roles: Vec<&Address> = live
        .state
        .objects
        .keys()
        .filter(|a| a.kind == accord::services::gcs::ROLE)
        .collect();
    assert_eq!(roles, vec![&address]);
    let role = live.state.get(&address).unwrap();
    assert_eq!(role.server_id.as_deref(), Some(role_id.as_str()));
    assert_eq!(role.depends_on, vec![collection_address("lab-share")]);
    assert!(
        live.system_managed
            .iter()
            .any(|o| o.address
                == role_address("lab-share", "administrator", &format!("identity:{ME}"))),
        "{:?}",
        live.system_managed
    );

    // The same read with the id given by an earlier phase (no lookup) and the endpoint
    // learned before.
    let by_id = Scope {
        containers: scope.containers.clone(),
        known_ids: BTreeMap::from([(named_collection("lab-share"), collection.clone())]),
        ..Scope::default()
    };
    assert!(
        gcs.read(&by_id)
            .await
            .unwrap()
            .state
            .get(&address)
            .is_some()
    );

    // Delete, then delete again (already gone: applied).
    let mut delete = change(address.clone(), Action::Delete, None);
    delete.before = Some(role.clone());
    let out = gcs.apply(std::slice::from_ref(&delete), &ids).await;
    assert_eq!(out[0], Outcome::Applied { server_id: None });
    let out = gcs.apply(&[delete], &ids).await;
    assert_eq!(out[0], Outcome::Applied { server_id: None });
    assert!(
        gcs.read(&scope)
            .await
            .unwrap()
            .state
            .get(&address)
            .is_none()
    );

    // A managed group's role goes out with the group's id from the id map.
    let group = "8b7d57bc-1666-11ec-88b2-f50515619d57";
    ids.insert(
        Address::new(accord::services::groups::GROUP, ["lab-admins"]),
        group.into(),
    );
    let out = gcs
        .apply(
            &[change(
                role_address("lab-share", "access_manager", "group:lab-admins"),
                Action::Create,
                Some(desired_role(
                    "lab-share",
                    "access_manager",
                    "group:lab-admins",
                )),
            )],
            &ids,
        )
        .await;
    applied_id(&out[0]);
    let live = gcs
        .read(&Scope {
            group_names: BTreeMap::from([(group.to_string(), "lab-admins".to_string())]),
            ..scope.clone()
        })
        .await
        .unwrap();
    assert!(
        live.state
            .get(&role_address(
                "lab-share",
                "access_manager",
                "group:lab-admins"
            ))
            .is_some()
    );
}

#[tokio::test]
async fn directories_stat_and_mkdir_on_guest_collections() {
    let em = emulator().await;
    let http = http_as(&em.base_url, ME, options());
    let gcs = GcsProvider::new(http.clone());
    let transfer = TransferProvider::new(http.clone());
    let ids = IdMap::default();
    let collection = create_share(&gcs, &ids).await;

    let dir = |c: &str, p: &str| Address::new(accord::services::transfer::DIRECTORY, [c, p]);
    let lookup = |a: Address| Lookup {
        address: a,
        pin: None,
        previously: Vec::new(),
        hints: BTreeMap::new(),
    };
    // On the mapped collection by UUID: one exists (seeded), one does not.
    // On the guest collection by policy name: through `known_ids`.
    let scope = Scope {
        lookups: vec![
            lookup(dir(MAPPED, "/lab/existing/")),
            lookup(dir(MAPPED, "/lab/missing/")),
            lookup(dir("lab-share", "/shared/")),
            lookup(dir("not-yet-created", "/x/")),
        ],
        known_ids: BTreeMap::from([(named_collection("lab-share"), collection.clone())]),
        ..Scope::default()
    };
    let live = transfer.read(&scope).await.unwrap();
    let present: Vec<&Address> = live.state.objects.keys().collect();
    assert_eq!(present, vec![&dir(MAPPED, "/lab/existing/")]);

    // mkdir by name through the id map's partial address; a second mkdir is applied too.
    let mkdir = change(dir("lab-share", "/shared/"), Action::Create, None);
    let out = transfer.apply(std::slice::from_ref(&mkdir), &ids).await;
    assert_eq!(out[0], Outcome::Applied { server_id: None });
    let out = transfer.apply(&[mkdir], &ids).await;
    assert_eq!(out[0], Outcome::Applied { server_id: None });
    let live = transfer.read(&scope).await.unwrap();
    assert!(live.state.get(&dir("lab-share", "/shared/")).is_some());

    // An ACL rule on the guest collection by name: created with the id, read back by name.
    let rule = Address::new(
        accord::services::transfer::ACL,
        ["lab-share", "/shared/", &format!("identity:{ALICE}")],
    );
    let out = transfer
        .apply(
            &[change(
                rule.clone(),
                Action::Create,
                Some(Object::new(rule.clone()).with("permissions", "r")),
            )],
            &ids,
        )
        .await;
    applied_id(&out[0]);
    let live = transfer
        .read(&Scope {
            containers: vec![container(Address::partial(
                accord::services::transfer::ACL,
                ["lab-share"],
            ))],
            ..scope.clone()
        })
        .await
        .unwrap();
    assert_eq!(live.state.get(&rule).unwrap().attrs["permissions"], "r");
    // Unknown name at apply: a clear failure.
    let out = transfer
        .apply(&[change(dir("nope", "/a/"), Action::Create, None)], &ids)
        .await;
    assert!(
        matches!(&out[0], Outcome::Failed { error } if error.contains("not known")),
        "{out:?}"
    );
}

#[tokio::test]
async fn tls_manager_with_a_ca_file() {
    let em = spawn_tls(Emulator::new(
        Seed::from_yaml_str(&accord::services::builtin(), SEED).unwrap(),
    ))
    .await
    .unwrap();
    let mut ca = tempfile::NamedTempFile::new().unwrap();
    ca.write_all(em.ca_pem.as_ref().unwrap().as_bytes())
        .unwrap();
    let scope = Scope {
        lookups: vec![credential_lookup()],
        ..Scope::default()
    };
    // Without the CA the handshake fails; with it every call (Auth, Transfer discovery, GCS)
    // goes through.
    let plain = GcsProvider::new(http_as(&em.base_url, OUTSIDER, options()));
    assert!(plain.read(&scope).await.is_err());
    let opts = HttpOptions {
        ca_file: Some(ca.path().to_path_buf()),
        ..options()
    };
    let trusted = GcsProvider::new(http_as(&em.base_url, OUTSIDER, opts));
    let live = trusted.read(&scope).await.unwrap();
    assert!(live.state.get(&credential_address()).is_some());
}

#[test]
fn ca_file_must_hold_certificates() {
    let mut bad = tempfile::NamedTempFile::new().unwrap();
    bad.write_all(b"not a certificate").unwrap();
    for path in [
        bad.path().to_path_buf(),
        std::path::PathBuf::from("/nonexistent/ca.pem"),
    ] {
        let err = HttpClient::new(
            &accord::services::builtin().apis(),
            ServiceUrls::production(),
            GlobusCredentials::new(ME, "s"),
            HttpOptions {
                ca_file: Some(path),
                ..options()
            },
        )
        .unwrap_err();
        assert!(err.to_string().contains("CA file"), "{err}");
    }
}

// ---- wiremock: discovery, tokens, trust, creates that time out ----

fn token_body(rs: &str, token: &str) -> Value {
    json!({"access_token": token, "scope": "x", "expires_in": 172800,
           "token_type": "Bearer", "resource_server": rs, "other_tokens": []})
}

fn result(data: Vec<Value>) -> Value {
    json!({"DATA_TYPE": "result#1.0.0", "code": "success", "detail": "success",
           "http_response_code": 200, "has_next_page": false, "marker": null, "data": data})
}

fn collection_doc(id: &str) -> Value {
    json!({"DATA_TYPE": "collection#1.0.0", "id": id, "collection_type": "guest",
           "display_name": "Lab share", "mapped_collection_id": MAPPED,
           "collection_base_path": "/lab/", "public": true})
}

/// A mock with Transfer reporting `manager` as the endpoint's GCS manager URL, and Auth
/// answering the Transfer token and the endpoint's two GCS tokens.
async fn mock(manager: &str) -> MockServer {
    let s = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/auth/v2/oauth2/token"))
        .and(body_string_contains("transfer.api.globus.org"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(token_body("transfer.api.globus.org", "transfer-token")),
        )
        .mount(&s)
        .await;
    Mock::given(method("POST"))
        .and(path("/auth/v2/oauth2/token"))
        .and(body_string_contains("data_access"))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body(GCS, "data-token")))
        .with_priority(1)
        .mount(&s)
        .await;
    Mock::given(method("POST"))
        .and(path("/auth/v2/oauth2/token"))
        .and(body_string_contains("manage_collections"))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body(GCS, "gcs-token")))
        .mount(&s)
        .await;
    let manager = manager.replace("{mock}", &s.uri());
    Mock::given(method("GET"))
        .and(path(format!("/transfer/v0.10/endpoint/{GCS}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "DATA_TYPE": "endpoint", "id": GCS, "entity_type": "GCSv5_endpoint",
            "gcs_manager_url": manager})))
        .mount(&s)
        .await;
    s
}

fn mock_http(s: &MockServer, opts: HttpOptions) -> Arc<HttpClient> {
    HttpClient::shared(
        &accord::services::builtin().apis(),
        ServiceUrls::emulator(&s.uri()),
        GlobusCredentials::new(ME, secret(ME)),
        opts,
    )
    .unwrap()
}

#[tokio::test]
async fn discovery_and_a_token_per_endpoint() {
    let s = mock("{mock}/gcs/e0000000-0000-4000-8000-00000000000e/").await;
    Mock::given(method("GET"))
        .and(path(format!("/gcs/{GCS}/api/user_credentials")))
        .and(wiremock::matchers::header(
            "authorization",
            "Bearer gcs-token",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(result(vec![json!({
            "DATA_TYPE": "user_credential#1.0.0", "id": "cred-1", "identity_id": ME,
            "storage_gateway_id": GATEWAY, "username": "labsvc"})])))
        .mount(&s)
        .await;
    let http = mock_http(&s, options());
    assert_eq!(
        http.instance_base(accord::services::gcs::api::endpoint(GCS.parse().unwrap()))
            .await
            .unwrap(),
        format!("{}/gcs/{GCS}/api", s.uri())
    );
    let gcs = GcsProvider::new(http.clone());
    let scope = Scope {
        lookups: vec![credential_lookup()],
        ..Scope::default()
    };
    for _ in 0..2 {
        let live = gcs.read(&scope).await.unwrap();
        assert_eq!(credential_id(&live.state), Some("cred-1"));
    }
    let requests = s.received_requests().await.unwrap();
    let count = |p: &str| requests.iter().filter(|r| r.url.path() == p).count();
    // Discovered once, one token for the endpoint (the scope names it), cached.
    assert_eq!(count(&format!("/transfer/v0.10/endpoint/{GCS}")), 1);
    let tokens: Vec<String> = requests
        .iter()
        .filter(|r| r.url.path() == "/auth/v2/oauth2/token")
        .map(|r| String::from_utf8_lossy(&r.body).into_owned())
        .collect();
    let gcs_tokens: Vec<&String> = tokens
        .iter()
        .filter(|b| b.contains("manage_collections"))
        .collect();
    assert_eq!(gcs_tokens.len(), 1, "{tokens:?}");
    assert!(
        gcs_tokens[0].contains(&format!(
            "urn%3Aglobus%3Aauth%3Ascope%3A{GCS}%3Amanage_collections"
        )),
        "{}",
        gcs_tokens[0]
    );
    // The GCS token never goes to Transfer, and Transfer's never to GCS.
    for r in &requests {
        let auth = r
            .headers
            .get("authorization")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        if r.url.path().starts_with("/gcs/") {
            assert_eq!(auth, "Bearer gcs-token");
        } else if r.url.path().starts_with("/transfer/") {
            assert_eq!(auth, "Bearer transfer-token");
        }
    }
}

#[tokio::test]
async fn untrusted_manager_host_is_refused() {
    // A loopback Transfer (an emulator, seeded from a committed file) naming a non-loopback
    // manager: refused before any token for the endpoint is asked for or sent.
    for manager in [
        "https://gcs.evil.example.com",
        "http://gcs.allowed.example.org",
    ] {
        let s = mock(manager).await;
        let http = mock_http(
            &s,
            HttpOptions {
                allow_hosts: vec!["gcs.allowed.example.org".into()],
                ..options()
            },
        );
        let gcs = GcsProvider::new(http.clone());
        let err = gcs
            .read(&Scope {
                lookups: vec![credential_lookup()],
                ..Scope::default()
            })
            .await
            .unwrap_err();
        assert!(err.to_string().contains("untrusted host"), "{err}");
        let err = http
            .instance_base(accord::services::gcs::api::endpoint(GCS.parse().unwrap()))
            .await
            .unwrap_err();
        assert!(matches!(err, HttpError::Untrusted { .. }), "{err}");
        let requests = s.received_requests().await.unwrap();
        assert!(
            !requests
                .iter()
                .any(|r| String::from_utf8_lossy(&r.body).contains("manage_collections")),
            "no GCS token is asked for"
        );
    }
    // An allowed host over https is trusted, for that endpoint's calls only.
    let s = mock("https://gcs.allowed.example.org").await;
    let http = mock_http(
        &s,
        HttpOptions {
            allow_hosts: vec!["gcs.allowed.example.org".into()],
            ..options()
        },
    );
    let endpoint: uuid::Uuid = GCS.parse().unwrap();
    assert_eq!(
        http.instance_base(accord::services::gcs::api::endpoint(endpoint))
            .await
            .unwrap(),
        "https://gcs.allowed.example.org/api"
    );
    let url = url::Url::parse("https://gcs.allowed.example.org/api/roles").unwrap();
    assert!(
        http.check_trusted_for(accord::services::gcs::api::endpoint(endpoint), &url)
            .is_ok()
    );
    let other: uuid::Uuid = MAPPED.parse().unwrap();
    assert!(
        http.check_trusted_for(accord::services::gcs::api::endpoint(other), &url)
            .is_err()
    );
}

#[tokio::test]
async fn collection_create_that_times_out_is_reread_and_adopted() {
    let s = mock("{mock}/gcs/e0000000-0000-4000-8000-00000000000e").await;
    // The create reaches the server but its answer comes too late.
    Mock::given(method("POST"))
        .and(path(format!("/gcs/{GCS}/api/collections")))
        .and(wiremock::matchers::header(
            "authorization",
            "Bearer data-token",
        ))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(result(vec![collection_doc("coll-1")]))
                .set_delay(Duration::from_secs(3)),
        )
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/gcs/{GCS}/api/collections")))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(result(vec![collection_doc("coll-1")])),
        )
        .mount(&s)
        .await;
    Mock::given(method("PATCH"))
        .and(path(format!("/gcs/{GCS}/api/collections/coll-1")))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(result(vec![collection_doc("coll-1")])),
        )
        .expect(1)
        .mount(&s)
        .await;
    let http = mock_http(
        &s,
        HttpOptions {
            timeout: Duration::from_millis(500),
            ..options()
        },
    );
    let gcs = GcsProvider::new(http);
    let ids = IdMap::default();
    ids.insert(credential_address(), "cred-1".into());
    let out = gcs
        .apply(
            &[change(
                collection_address("lab-share"),
                Action::Create,
                Some(desired_collection("lab-share", "Lab share")),
            )],
            &ids,
        )
        .await;
    assert_eq!(
        out[0],
        Outcome::Applied {
            server_id: Some("coll-1".into())
        }
    );
    assert_eq!(
        ids.get(&named_collection("lab-share")).as_deref(),
        Some("coll-1")
    );
    // The differing description was patched onto the adopted collection.
    let requests = s.received_requests().await.unwrap();
    let patch = requests
        .iter()
        .find(|r| r.method.as_str() == "PATCH")
        .expect("a PATCH");
    let body: Value = serde_json::from_slice(&patch.body).unwrap();
    assert_eq!(body["description"], "the lab's share");
    assert!(body.get("collection_base_path").is_none());
    // The create asked for the dependent data_access scope of the mapped collection.
    assert!(requests.iter().any(|r| {
        let b = String::from_utf8_lossy(&r.body);
        b.contains("data_access") && b.contains(MAPPED)
    }));
    s.verify().await;
}

#[tokio::test]
async fn role_create_that_fails_is_reread_before_resending() {
    let s = mock("{mock}/gcs/e0000000-0000-4000-8000-00000000000e").await;
    Mock::given(method("POST"))
        .and(path(format!("/gcs/{GCS}/api/roles")))
        .respond_with(ResponseTemplate::new(503).set_body_json(json!({
            "DATA_TYPE": "result#1.0.0", "code": "service_unavailable",
            "http_response_code": 503, "detail": "try later", "data": []})))
        .up_to_n_times(1)
        .expect(1)
        .mount(&s)
        .await;
    // The re-read finds nothing, so the create is sent again, and succeeds.
    Mock::given(method("GET"))
        .and(path(format!("/gcs/{GCS}/api/roles")))
        .respond_with(ResponseTemplate::new(200).set_body_json(result(vec![])))
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/gcs/{GCS}/api/roles")))
        .respond_with(ResponseTemplate::new(200).set_body_json(result(vec![json!({
            "DATA_TYPE": "role#1.0.0", "id": "role-1", "collection": "coll-1",
            "principal": format!("urn:globus:auth:identity:{ALICE}"), "role": "administrator"})])))
        .expect(1)
        .mount(&s)
        .await;
    let gcs = GcsProvider::new(mock_http(&s, options()));
    let ids = IdMap::default();
    ids.insert(named_collection("lab-share"), "coll-1".into());
    let alice = format!("identity:{ALICE}");
    let out = gcs
        .apply(
            &[change(
                role_address("lab-share", "administrator", &alice),
                Action::Create,
                Some(desired_role("lab-share", "administrator", &alice)),
            )],
            &ids,
        )
        .await;
    assert_eq!(
        out[0],
        Outcome::Applied {
            server_id: Some("role-1".into())
        }
    );
    s.verify().await;
}
