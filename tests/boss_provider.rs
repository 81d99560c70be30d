//! The Boss provider against the in-process emulator (reads, every apply action, adoption,
//! blocked grants, system-managed objects and the calls it sends, counted in the emulator's
//! request log) and wiremock (the exact `Authorization` header).

use std::collections::BTreeMap;
use std::sync::Arc;

use accord::emulator::{Emulator, FaultRule, FaultTarget, RunningEmulator, Seed, spawn};
use accord::http::{GlobusCredentials, HttpClient, HttpOptions, ServiceUrls};
use accord::plan::{Action, Change, FieldChange};
use accord::service::{IdMap, Lookup, Outcome, Provider, ProviderError, Scope};
use accord::services::boss::provider::{BossCredentials, BossProvider};
use accord::state::{Address, Container, ContainerMode, Kind, Object};
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SEED: &str = "
boss:
  accord_user: acc
  users:
    - { username: acc, token: acc-token, roles: [resource-manager] }
    - { username: root, token: root-token, roles: [admin], superuser: true }
    - { username: alice, token: alice-token, roles: [resource-manager] }
    - { username: bob }
    - { username: carol }
    - { username: plain, token: plain-token }
  groups:
    - { name: lab, owner: acc, members: [acc, bob], maintainers: [carol] }
    - { name: side, owner: alice, members: [alice, acc] }
    - { name: other, owner: alice, members: [alice] }
  coord_frames:
    - { name: f1, creator: acc, description: frame one, x_start: 0, x_stop: 100, y_start: 0,
        y_stop: 200, z_start: 0, z_stop: 10, x_voxel_size: 4.0, y_voxel_size: 4.0,
        z_voxel_size: 40.0, voxel_unit: nanometers }
  collections:
    - name: c1
      creator: acc
      description: first
      permissions: { lab: [read, add] }
      experiments:
        - name: e1
          coord_frame: f1
          creator: acc
          permissions: { lab: [read] }
          channels:
            - { name: ch1, type: image, datatype: uint8, creator: acc,
                permissions: { lab: [read, read_volumetric_data], public: [read] } }
            - { name: ch2, type: annotation, datatype: uint64, creator: acc, sources: [ch1] }
";

async fn boss() -> RunningEmulator {
    spawn(Emulator::new(
        Seed::from_yaml_str(&accord::services::builtin(), SEED).expect("seed"),
    ))
    .await
    .expect("emulator")
}

fn http(base: &str) -> Arc<HttpClient> {
    HttpClient::shared(
        &accord::services::builtin().apis(),
        ServiceUrls::emulator(base),
        GlobusCredentials::new("unused", "unused"),
        HttpOptions {
            backoff_scale: 0.001,
            allow_hosts: Vec::new(),
            ca_file: None,
            ..HttpOptions::default()
        },
    )
    .unwrap()
}

fn as_user(em: &RunningEmulator, user: &str, token: &str) -> BossProvider {
    BossProvider::new(http(&em.base_url), BossCredentials::new(user, token))
}

fn acc(em: &RunningEmulator) -> BossProvider {
    as_user(em, "acc", "acc-token")
}

/// The Boss requests received since the last clear, as `METHOD /path STATUS`.
fn log(em: &RunningEmulator) -> Vec<String> {
    em.emulator
        .request_log()
        .into_iter()
        .map(|r| {
            format!(
                "{} {} {}",
                r.method,
                r.path.strip_prefix("/boss").unwrap_or(&r.path),
                r.status
            )
        })
        .collect()
}

/// Checks a read's log step by step: a step's calls go out concurrently, so they may come in
/// any order, but all of them before any call of the next step.
fn assert_steps(log: &[String], steps: &[&[&str]]) {
    let mut at = 0;
    for step in steps {
        let end = (at + step.len()).min(log.len());
        let mut got = log[at..end].to_vec();
        got.sort();
        let mut want: Vec<String> = step.iter().map(|s| s.to_string()).collect();
        want.sort();
        assert_eq!(got, want, "step {step:?} of {log:?}");
        at = end;
    }
    assert_eq!(at, log.len(), "more calls than expected: {log:?}");
}

fn take_log(em: &RunningEmulator) -> Vec<String> {
    let l = log(em);
    em.emulator.clear_request_log();
    l
}

fn lookup(kind: Kind, key: &str) -> Lookup {
    Lookup {
        address: Address::new(kind, [key]),
        pin: None,
        previously: Vec::new(),
        hints: BTreeMap::new(),
    }
}

fn container(kind: Kind, key: &str, mode: ContainerMode) -> Container {
    Container {
        address: Address::partial(kind, [key]),
        mode,
        manage_paths: Vec::new(),
        provenance: None,
    }
}

fn change(address: Address, action: Action) -> Change {
    Change::new(address, action)
}

fn create(object: Object) -> Change {
    Change {
        after: Some(object.clone()),
        ..change(object.address, Action::Create)
    }
}

fn member(group: &str, role: &str, user: &str) -> Address {
    Address::new(
        accord::services::boss::MEMBER,
        [
            group.to_string(),
            role.to_string(),
            format!("boss-user:{user}"),
        ],
    )
}

fn permission(path: &str, group: &str) -> Address {
    Address::new(
        accord::services::boss::PERMISSION,
        [path.to_string(), format!("boss-group:{group}")],
    )
}

fn resource(path: &str) -> Address {
    Address::new(accord::services::boss::RESOURCE, [path])
}

fn frame(name: &str) -> Address {
    Address::new(accord::services::boss::FRAME, [name])
}

async fn apply1(p: &BossProvider, c: Change) -> Outcome {
    let mut out = p.apply(&[c], &IdMap::default()).await;
    assert_eq!(out.len(), 1);
    out.remove(0)
}

fn ok() -> Outcome {
    Outcome::Applied { server_id: None }
}

fn keys(objects: impl IntoIterator<Item = Address>) -> Vec<String> {
    let mut v: Vec<String> = objects.into_iter().map(|a| a.to_string()).collect();
    v.sort();
    v
}

fn perms_with(names: &[&str], address: Address) -> Object {
    Object::new(address).with("permissions", json!(names))
}

// ---------------------------------------------------------------------------------- read

#[tokio::test]
async fn reads_groups_members_and_maintainers() {
    let em = boss().await;
    let scope = Scope {
        lookups: vec![
            lookup(accord::services::boss::GROUP, "lab"),
            lookup(accord::services::boss::GROUP, "gone"),
        ],
        containers: vec![container(
            accord::services::boss::MEMBER,
            "lab",
            ContainerMode::Authoritative,
        )],
        ..Scope::default()
    };
    let live = acc(&em).read(&scope).await.unwrap();
    assert_eq!(
        keys(live.state.objects.keys().cloned()),
        keys([
            Address::new(accord::services::boss::GROUP, ["lab"]),
            member("lab", "member", "acc"),
            member("lab", "member", "bob"),
            member("lab", "maintainer", "carol"),
            // acc may not read the members of `admin`, so root looks like a direct grant.
            member("lab", "maintainer", "root"),
        ])
    );
    let group = live
        .state
        .get(&Address::new(accord::services::boss::GROUP, ["lab"]))
        .unwrap();
    assert_eq!(group.attrs["owner"], "acc");
    assert_eq!(
        keys(live.system_managed.iter().map(|o| o.address.clone())),
        keys([
            member("lab", "maintainer", "acc"),
            member("lab", "maintainer", "bossadmin"),
        ])
    );
    assert_steps(
        &log(&em),
        &[
            &["GET /v1/groups/gone/ 404", "GET /v1/groups/lab/ 200"],
            &[
                "GET /v1/groups/lab/members/ 200",
                "GET /v1/groups/lab/maintainers/ 200",
            ],
            // Once, after the lists, when a maintainer needs classifying.
            &["GET /v1/groups/admin/members/ 403"],
        ],
    );
}

#[tokio::test]
async fn members_of_admin_are_system_managed_maintainers_when_readable() {
    let em = boss().await;
    let scope = Scope {
        containers: vec![container(
            accord::services::boss::MEMBER,
            "lab",
            ContainerMode::Authoritative,
        )],
        ..Scope::default()
    };
    let live = as_user(&em, "root", "root-token")
        .read(&scope)
        .await
        .unwrap();
    let maintainers = |objects: Vec<Address>| {
        keys(
            objects
                .into_iter()
                .filter(|a| a.keys.get(1).is_some_and(|r| r == "maintainer")),
        )
    };
    assert_eq!(
        maintainers(live.state.objects.keys().cloned().collect()),
        keys([member("lab", "maintainer", "carol")])
    );
    assert_eq!(
        maintainers(
            live.system_managed
                .iter()
                .map(|o| o.address.clone())
                .collect()
        ),
        keys([
            member("lab", "maintainer", "acc"),
            member("lab", "maintainer", "bossadmin"),
            member("lab", "maintainer", "root"),
        ])
    );
}

#[tokio::test]
async fn the_members_of_admin_are_not_asked_when_the_caller_may_not_read_them() {
    let em = boss().await;
    let scope = Scope {
        containers: ["lab", "side"]
            .into_iter()
            .map(|g| {
                container(
                    accord::services::boss::MEMBER,
                    g,
                    ContainerMode::Authoritative,
                )
            })
            .collect(),
        ..Scope::default()
    };
    let live = acc(&em).read(&scope).await.unwrap();
    // root (a member of `admin`) maintains both groups, but acc, which does not maintain
    // `side`, is in no position to read `admin`'s members: it is not asked (that would be a
    // 403), and root stays an ordinary maintainer, as after a refusal.
    let l = take_log(&em);
    assert!(!l.iter().any(|r| r.contains("/admin/")), "{l:?}");
    assert!(!l.iter().any(|r| r.ends_with(" 403")), "{l:?}");
    assert!(
        live.state
            .objects
            .contains_key(&member("side", "maintainer", "root"))
    );
}

#[tokio::test]
async fn reads_go_out_concurrently_and_come_back_the_same_each_time() {
    const GROUPS: usize = 30;
    const LATENCY_MS: u64 = 40;
    let mut seed = String::from(
        "boss:\n  accord_user: acc\n  users:\n    - { username: acc, token: acc-token, roles: [resource-manager] }\n    - { username: bob }\n    - { username: carol }\n  groups:\n",
    );
    for i in 0..GROUPS {
        seed.push_str(&format!(
            "    - {{ name: g{i:02}, owner: acc, members: [acc, bob], maintainers: [carol] }}\n"
        ));
    }
    let em = spawn(Emulator::new(
        Seed::from_yaml_str(&accord::services::builtin(), &seed).unwrap(),
    ))
    .await
    .unwrap();
    em.emulator
        .add_faults(vec![FaultRule {
            service: FaultTarget::service("boss"),
            latency_ms: LATENCY_MS,
            retry_after: 0,
            seed: 1,
            ..FaultRule::default()
        }])
        .unwrap();
    let names: Vec<String> = (0..GROUPS).map(|i| format!("g{i:02}")).collect();
    let scope = Scope {
        lookups: names
            .iter()
            .map(|g| lookup(accord::services::boss::GROUP, g))
            .collect(),
        containers: names
            .iter()
            .map(|g| {
                container(
                    accord::services::boss::MEMBER,
                    g,
                    ContainerMode::Authoritative,
                )
            })
            .collect(),
        ..Scope::default()
    };
    let p = acc(&em);
    let started = std::time::Instant::now();
    let first = p.read(&scope).await.unwrap();
    let took = started.elapsed();
    // One at a time, the 91 calls would take 91 x 40 ms = 3.6 s; at 16 in flight, a few
    // rounds of 40 ms per step.
    let sequential = std::time::Duration::from_millis(LATENCY_MS * (3 * GROUPS as u64 + 1));
    assert!(took < sequential / 2, "took {took:?}");
    let l = take_log(&em);
    assert_eq!(l.len(), 3 * GROUPS + 1, "{l:?}");
    // `admin` is read once, after the lists, though every group has a maintainer to classify.
    assert_eq!(l.last().unwrap(), "GET /v1/groups/admin/members/ 403");
    assert_eq!(l.iter().filter(|r| r.contains("/admin/")).count(), 1);
    assert_eq!(live_keys(&first).len(), GROUPS * 4);
    // The same answer, in the same order, whatever order the calls came back in.
    let again = p.read(&scope).await.unwrap();
    assert_eq!(again.state, first.state);
    let order = |live: &accord::service::LiveRead| {
        live.system_managed
            .iter()
            .map(|o| o.address.to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(order(&again), order(&first));
    // Per group, its owner and `bossadmin`, in the order of the groups.
    assert_eq!(order(&first).len(), 2 * GROUPS);
    assert!(order(&first)[0].contains("g00") && order(&first)[2 * GROUPS - 1].contains("g29"));
}

fn live_keys(live: &accord::service::LiveRead) -> Vec<String> {
    keys(live.state.objects.keys().cloned())
}

#[tokio::test]
async fn an_unreadable_group_exists_but_its_members_are_an_error() {
    let em = boss().await;
    let p = acc(&em);
    let live = p
        .read(&Scope {
            lookups: vec![lookup(accord::services::boss::GROUP, "other")],
            ..Scope::default()
        })
        .await
        .unwrap();
    assert!(
        live.state
            .get(&Address::new(accord::services::boss::GROUP, ["other"]))
            .is_some()
    );
    let err = p
        .read(&Scope {
            containers: vec![container(
                accord::services::boss::MEMBER,
                "other",
                ContainerMode::Authoritative,
            )],
            ..Scope::default()
        })
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("neither a member nor a maintainer"), "{err}");
    assert!(err.contains("3001"), "{err}");
}

#[tokio::test]
async fn reads_frames_and_resources_parents_first() {
    let em = boss().await;
    let scope = Scope {
        lookups: vec![
            lookup(accord::services::boss::FRAME, "f1"),
            lookup(accord::services::boss::FRAME, "nope"),
            lookup(accord::services::boss::RESOURCE, "c1/e1/ch2"),
            lookup(accord::services::boss::RESOURCE, "c1/e1"),
            lookup(accord::services::boss::RESOURCE, "c1"),
            lookup(accord::services::boss::RESOURCE, "gone/e/ch"),
            lookup(accord::services::boss::RESOURCE, "gone/e"),
            lookup(accord::services::boss::RESOURCE, "gone"),
        ],
        ..Scope::default()
    };
    let live = acc(&em).read(&scope).await.unwrap();
    assert_eq!(
        keys(live.state.objects.keys().cloned()),
        keys([
            frame("f1"),
            resource("c1"),
            resource("c1/e1"),
            resource("c1/e1/ch2"),
        ])
    );
    let attrs = |a: Address| {
        Value::Object(
            live.state
                .get(&a)
                .unwrap()
                .attrs
                .clone()
                .into_iter()
                .collect(),
        )
    };
    assert_eq!(
        attrs(frame("f1")),
        json!({"description": "frame one", "x_start": 0, "x_stop": 100, "y_start": 0,
               "y_stop": 200, "z_start": 0, "z_stop": 10, "x_voxel_size": 4.0,
               "y_voxel_size": 4.0, "z_voxel_size": 40.0, "voxel_unit": "nanometers"})
    );
    assert_eq!(
        attrs(resource("c1")),
        json!({"description": "first", "public": false, "creator": "acc",
               "experiments": ["e1"]})
    );
    assert_eq!(
        attrs(resource("c1/e1")),
        json!({"description": "", "public": false, "creator": "acc", "coord_frame": "f1",
               "num_hierarchy_levels": 1, "hierarchy_method": "anisotropic",
               "num_time_samples": 1, "time_step": 0, "time_step_unit": "seconds",
               "channels": ["ch1", "ch2"]})
    );
    assert_eq!(
        attrs(resource("c1/e1/ch2")),
        json!({"description": "", "public": false, "creator": "acc", "type": "annotation",
               "datatype": "uint64", "default_time_sample": 0, "base_resolution": 0,
               "sources": ["ch1"], "related": []})
    );
    // One call per object; the children of the absent `gone` make none.
    assert_steps(
        &log(&em),
        &[
            &["GET /v1/coord/f1 200", "GET /v1/coord/nope 404"],
            &["GET /v1/collection/c1 200", "GET /v1/collection/gone 404"],
            &["GET /v1/collection/c1/experiment/e1 200"],
            &["GET /v1/collection/c1/experiment/e1/channel/ch2 200"],
        ],
    );
}

#[tokio::test]
async fn reads_permissions_per_group_and_per_authoritative_resource() {
    let em = boss().await;
    let scope = Scope {
        lookups: vec![lookup(accord::services::boss::GROUP, "lab")],
        containers: vec![
            container(
                accord::services::boss::PERMISSION,
                "c1",
                ContainerMode::Keyed,
            ),
            container(
                accord::services::boss::PERMISSION,
                "c1/e1/ch1",
                ContainerMode::Authoritative,
            ),
        ],
        ..Scope::default()
    };
    let live = acc(&em).read(&scope).await.unwrap();
    let perms = |a: Address| live.state.get(&a).map(|o| o.attrs["permissions"].clone());
    assert_eq!(perms(permission("c1", "lab")), Some(json!(["add", "read"])));
    assert_eq!(
        perms(permission("c1/e1/ch1", "lab")),
        Some(json!(["read", "read_volumetric_data"]))
    );
    assert_eq!(
        perms(permission("c1/e1/ch1", "public")),
        Some(json!(["read"]))
    );
    // Only the containers' resources are kept (c1/e1 is not in scope).
    assert_eq!(
        keys(live.state.objects.keys().cloned()),
        keys([
            Address::new(accord::services::boss::GROUP, ["lab"]),
            permission("c1", "lab"),
            permission("c1/e1/ch1", "lab"),
            permission("c1/e1/ch1", "public"),
        ])
    );
    // The creator's primary group is the Boss's own; acc is not in `admin`, so it is not
    // listed for the authoritative container.
    assert_eq!(
        keys(live.system_managed.iter().map(|o| o.address.clone())),
        keys([permission("c1/e1/ch1", "acc-primary")])
    );
    let sm = &live.system_managed[0];
    assert_eq!(sm.attrs["permissions"].as_array().unwrap().len(), 9);
    assert_eq!(
        log(&em),
        [
            "GET /v1/groups/lab/ 200",
            "GET /v1/permissions/ 200",
            "GET /v1/permissions/ 200",
            "GET /v1/permissions/ 200",
        ]
    );
}

#[tokio::test]
async fn admin_sets_are_system_managed() {
    let em = boss().await;
    let scope = Scope {
        containers: vec![container(
            accord::services::boss::PERMISSION,
            "c1",
            ContainerMode::Authoritative,
        )],
        ..Scope::default()
    };
    let live = as_user(&em, "root", "root-token")
        .read(&scope)
        .await
        .unwrap();
    // root is in `admin` (listed, the Boss's own) but not in `lab` or `acc-primary`: the
    // Boss lists only the sets of the caller's groups.
    assert_eq!(
        keys(live.system_managed.iter().map(|o| o.address.clone())),
        keys([permission("c1", "admin")])
    );
    assert!(
        live.state.objects.is_empty(),
        "{:?}",
        live.state.objects.keys()
    );
}

#[tokio::test]
async fn a_read_without_boss_scope_makes_no_request() {
    let em = boss().await;
    let globus_only = Scope {
        lookups: vec![lookup(accord::services::groups::GROUP, "lab")],
        containers: vec![container(
            accord::services::groups::GROUP,
            "lab",
            ContainerMode::Authoritative,
        )],
        ..Scope::default()
    };
    let live = acc(&em).read(&globus_only).await.unwrap();
    assert!(live.state.objects.is_empty() && live.system_managed.is_empty());
    let unconfigured = BossProvider::without_credentials(http(&em.base_url), "no Boss token");
    assert!(unconfigured.read(&Scope::default()).await.is_ok());
    assert!(unconfigured.read(&globus_only).await.is_ok());
    assert_eq!(log(&em), Vec::<String>::new());
    // A run with Boss objects and no credentials is a credentials error, still without a call.
    let err = unconfigured
        .read(&Scope {
            lookups: vec![lookup(accord::services::boss::GROUP, "lab")],
            ..Scope::default()
        })
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ProviderError::Credentials(m) if m == "no Boss token"),
        "{err}"
    );
    assert_eq!(log(&em), Vec::<String>::new());
}

#[tokio::test]
async fn a_refused_token_is_a_credentials_error_without_the_token() {
    let em = boss().await;
    let p = as_user(&em, "acc", "wrong-t0ken");
    let err = p
        .read(&Scope {
            lookups: vec![lookup(accord::services::boss::GROUP, "lab")],
            ..Scope::default()
        })
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, ProviderError::Credentials(_)), "{text}");
    assert!(
        text.contains("401") && text.contains("Invalid token."),
        "{text}"
    );
    assert!(!text.contains("wrong-t0ken"), "{text}");
}

#[tokio::test]
async fn the_token_goes_in_a_token_authorization_header() {
    let mock = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/groups/lab/"))
        .and(header("Authorization", "Token s3cret-boss-token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"name": "lab", "owner": "acc", "resources": []})),
        )
        .expect(1)
        .mount(&mock)
        .await;
    let urls = ServiceUrls::production().with("boss", &mock.uri());
    let http = HttpClient::shared(
        &accord::services::builtin().apis(),
        urls,
        GlobusCredentials::new("unused", "unused"),
        HttpOptions::default(),
    )
    .unwrap();
    let p = BossProvider::new(http, BossCredentials::new("acc", "s3cret-boss-token"));
    let live = p
        .read(&Scope {
            lookups: vec![lookup(accord::services::boss::GROUP, "lab")],
            ..Scope::default()
        })
        .await
        .unwrap();
    assert_eq!(
        live.state
            .get(&Address::new(accord::services::boss::GROUP, ["lab"]))
            .unwrap()
            .attrs["owner"],
        "acc"
    );
    mock.verify().await;
}

#[tokio::test]
async fn the_token_never_goes_to_an_untrusted_host() {
    let urls = ServiceUrls::production().with("boss", "https://boss.example.org");
    let http = HttpClient::shared(
        &accord::services::builtin().apis(),
        urls,
        GlobusCredentials::new("unused", "unused"),
        HttpOptions {
            allow_hosts: Vec::new(),
            ..HttpOptions::default()
        },
    )
    .unwrap();
    let p = BossProvider::new(http, BossCredentials::new("acc", "s3cret-boss-token"));
    let err = p
        .read(&Scope {
            lookups: vec![lookup(accord::services::boss::GROUP, "lab")],
            ..Scope::default()
        })
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("refusing to send credentials") && err.contains("boss.example.org"),
        "{err}"
    );
    assert!(!err.contains("s3cret"), "{err}");
}

// --------------------------------------------------------------------------------- apply

fn boss_state(em: &RunningEmulator) -> Value {
    em.emulator.snapshot()["boss"].clone()
}

#[tokio::test]
async fn groups_are_created_adopted_and_deleted() {
    let em = boss().await;
    let p = acc(&em);
    let g = |n: &str| Object::new(Address::new(accord::services::boss::GROUP, [n]));
    assert_eq!(apply1(&p, create(g("new1"))).await, ok());
    assert_eq!(boss_state(&em)["groups"]["new1"]["creator"], "acc");
    assert_eq!(take_log(&em), ["POST /v1/groups/new1/ 201"]);

    // Exists (404 6001): re-read and adopted, never resent.
    assert_eq!(apply1(&p, create(g("lab"))).await, ok());
    assert_eq!(
        take_log(&em),
        ["POST /v1/groups/lab/ 404", "GET /v1/groups/lab/ 200"]
    );

    // Exists, but accord can neither read nor maintain it: a clear failure.
    let Outcome::Failed { error } = apply1(&p, create(g("other"))).await else {
        panic!("adopting an unreadable group must fail");
    };
    assert!(
        error.contains("6001") && error.contains("neither a member nor a maintainer"),
        "{error}"
    );
    em.emulator.clear_request_log();

    assert_eq!(
        apply1(&p, change(g("new1").address, Action::Delete)).await,
        ok()
    );
    assert!(boss_state(&em)["groups"].get("new1").is_none());
    // Already gone (404 4001): done.
    assert_eq!(
        apply1(&p, change(g("new1").address, Action::Delete)).await,
        ok()
    );
    assert_eq!(
        take_log(&em),
        ["DELETE /v1/groups/new1/ 204", "DELETE /v1/groups/new1/ 404"]
    );
}

#[tokio::test]
async fn a_create_that_may_have_applied_is_reread_before_it_is_resent() {
    let em = boss().await;
    em.emulator
        .add_faults(vec![FaultRule {
            service: FaultTarget::service("boss"),
            error_rate: 1.0,
            status: 500,
            retry_after: 0,
            seed: 1,
            count: Some(1),
            path_contains: Some("groups/flaky".into()),
            method: Some("POST".into()),
            ..FaultRule::default()
        }])
        .unwrap();
    let p = acc(&em);
    let o = Object::new(Address::new(accord::services::boss::GROUP, ["flaky"]));
    assert_eq!(apply1(&p, create(o)).await, ok());
    assert_eq!(
        take_log(&em),
        [
            "POST /v1/groups/flaky/ 500",
            "GET /v1/groups/flaky/ 404",
            "POST /v1/groups/flaky/ 201",
        ]
    );
}

#[tokio::test]
async fn members_and_maintainers_are_added_and_removed() {
    let em = boss().await;
    let p = acc(&em);
    let add = |a: Address| create(Object::new(a));
    let del = |a: Address| change(a, Action::Delete);
    assert_eq!(
        apply1(&p, add(member("lab", "member", "alice"))).await,
        ok()
    );
    assert_eq!(
        apply1(&p, add(member("lab", "maintainer", "alice"))).await,
        ok()
    );
    assert_eq!(apply1(&p, del(member("lab", "member", "bob"))).await, ok());
    assert_eq!(
        apply1(&p, del(member("lab", "maintainer", "carol"))).await,
        ok()
    );
    // Not a direct maintainer (403 3001 "is not a maintainer"): nothing to remove.
    assert_eq!(
        apply1(&p, del(member("lab", "maintainer", "bob"))).await,
        ok()
    );
    assert_eq!(
        take_log(&em),
        [
            "POST /v1/groups/lab/members/alice 204",
            "POST /v1/groups/lab/maintainers/alice 204",
            "DELETE /v1/groups/lab/members/bob 204",
            "DELETE /v1/groups/lab/maintainers/carol 204",
            "DELETE /v1/groups/lab/maintainers/bob 403",
        ]
    );
    let lab = &boss_state(&em)["groups"]["lab"];
    assert_eq!(lab["members"], json!(["acc", "alice"]));
    assert_eq!(lab["maintainers"], json!(["alice"]));
}

#[tokio::test]
async fn a_user_who_never_logged_in_is_a_blocked_grant() {
    let em = boss().await;
    let p = acc(&em);
    for role in ["member", "maintainer"] {
        let out = apply1(&p, create(Object::new(member("lab", role, "ghost")))).await;
        let Outcome::Blocked { reason } = out else {
            panic!("expected a blocked grant, got {out:?}");
        };
        assert!(
            reason.contains("ghost")
                && reason.contains("never logged in")
                && reason.contains("4002"),
            "{reason}"
        );
    }
}

#[tokio::test]
async fn errors_carry_the_boss_code_and_message_never_the_token() {
    let em = boss().await;
    let p = as_user(&em, "plain", "plain-token");
    let out = apply1(
        &p,
        create(Object::new(Address::new(
            accord::services::boss::GROUP,
            ["g9"],
        ))),
    )
    .await;
    let Outcome::Failed { error } = out else {
        panic!("plain has no resource-manager role: {out:?}");
    };
    assert!(error.contains("403") && error.contains("3000"), "{error}");
    assert!(
        error.contains("plain does not have the required role resource-manager"),
        "{error}"
    );
    assert!(!error.contains("plain-token"), "{error}");
}

fn frame_object(name: &str, description: &str) -> Object {
    Object::new(frame(name))
        .with("description", description)
        .with("x_start", 0)
        .with("x_stop", 64)
        .with("y_start", 0)
        .with("y_stop", 64)
        .with("z_start", 0)
        .with("z_stop", 8)
        .with("x_voxel_size", 4.0)
        .with("y_voxel_size", 4.0)
        .with("z_voxel_size", 40.0)
        .with("voxel_unit", "nanometers")
}

fn update(address: Address, fields: &[(&str, Value, Value)]) -> Change {
    Change {
        fields: fields
            .iter()
            .map(|(n, b, a)| FieldChange {
                name: n.to_string(),
                before: b.clone(),
                after: a.clone(),
            })
            .collect(),
        ..change(address, Action::Update)
    }
}

#[tokio::test]
async fn frames_and_resources_are_created_updated_and_deleted() {
    let em = boss().await;
    let p = acc(&em);
    assert_eq!(apply1(&p, create(frame_object("f2", "two"))).await, ok());
    assert_eq!(
        apply1(
            &p,
            update(frame("f2"), &[("description", json!("two"), json!("deux"))])
        )
        .await,
        ok()
    );
    let out = apply1(&p, update(frame("f2"), &[("x_stop", json!(64), json!(65))])).await;
    assert!(
        matches!(&out, Outcome::Failed { error } if error.contains("x_stop")),
        "{out:?}"
    );
    let f2 = &boss_state(&em)["coord_frames"]["f2"]["doc"];
    assert_eq!(
        (f2["description"].clone(), f2["z_voxel_size"].clone()),
        (json!("deux"), json!(40.0))
    );

    let c2 = Object::new(resource("c2"))
        .with("description", "second")
        .with("public", true);
    assert_eq!(apply1(&p, create(c2)).await, ok());
    let e2 = Object::new(resource("c2/e2"))
        .with("coord_frame", "f2")
        .with("num_time_samples", 2);
    assert_eq!(apply1(&p, create(e2)).await, ok());
    let ch = Object::new(resource("c2/e2/ch"))
        .with("type", "image")
        .with("datatype", "uint16")
        .with("default_time_sample", 1);
    assert_eq!(apply1(&p, create(ch)).await, ok());
    assert_eq!(
        apply1(
            &p,
            update(
                resource("c2/e2/ch"),
                &[
                    ("description", json!(""), json!("x")),
                    ("base_resolution", json!(0), json!(2))
                ]
            )
        )
        .await,
        ok()
    );
    assert_eq!(
        take_log(&em),
        [
            "POST /v1/coord/f2 201",
            "PUT /v1/coord/f2 200",
            "POST /v1/collection/c2 201",
            "POST /v1/collection/c2/experiment/e2 201",
            "POST /v1/collection/c2/experiment/e2/channel/ch 201",
            "PUT /v1/collection/c2/experiment/e2/channel/ch 200",
        ]
    );
    let st = boss_state(&em);
    let c2 = &st["collections"]["c2"];
    assert_eq!(
        (
            c2["doc"]["description"].clone(),
            c2["doc"]["public"].clone()
        ),
        (json!("second"), json!(true))
    );
    let e2 = &c2["experiments"]["e2"];
    assert_eq!(e2["doc"]["collection"], "c2");
    assert_eq!(e2["doc"]["coord_frame"], "f2");
    assert_eq!(e2["doc"]["num_time_samples"], 2);
    let ch = &e2["channels"]["ch"]["doc"];
    assert_eq!(
        (
            ch["datatype"].clone(),
            ch["default_time_sample"].clone(),
            ch["description"].clone(),
            ch["base_resolution"].clone()
        ),
        (json!("uint16"), json!(1), json!("x"), json!(2))
    );

    for path in ["c2/e2/ch", "c2/e2", "c2"] {
        assert_eq!(
            apply1(&p, change(resource(path), Action::Delete)).await,
            ok()
        );
    }
    // Already marked for deletion (404 4005): done.
    assert_eq!(
        apply1(&p, change(resource("c2"), Action::Delete)).await,
        ok()
    );
    assert_eq!(
        take_log(&em),
        [
            "DELETE /v1/collection/c2/experiment/e2/channel/ch 204",
            "DELETE /v1/collection/c2/experiment/e2 204",
            "DELETE /v1/collection/c2 204",
            "DELETE /v1/collection/c2 404",
        ]
    );
    assert!(boss_state(&em)["collections"]["c2"]["to_be_deleted"].is_string());

    // The Boss keeps a deleted name taken: the create says so instead of retrying.
    let out = apply1(&p, create(Object::new(resource("c2")))).await;
    let Outcome::Failed { error } = out else {
        panic!("a deleted name is taken: {out:?}");
    };
    assert!(
        error.contains("1003") && error.contains("deleted name taken"),
        "{error}"
    );
    assert_eq!(
        take_log(&em),
        ["POST /v1/collection/c2 400", "GET /v1/collection/c2 404"]
    );
}

#[tokio::test]
async fn a_resource_or_frame_that_exists_is_adopted() {
    let em = boss().await;
    let p = acc(&em);
    // Same fields: the duplicate (400 1003) is re-read and adopted.
    let c1 = Object::new(resource("c1")).with("description", "first");
    assert_eq!(apply1(&p, create(c1)).await, ok());
    assert_eq!(
        take_log(&em),
        ["POST /v1/collection/c1 400", "GET /v1/collection/c1 200"]
    );
    // A differing updatable field is updated in place.
    let c1 = Object::new(resource("c1")).with("description", "renamed");
    assert_eq!(apply1(&p, create(c1)).await, ok());
    assert_eq!(
        take_log(&em),
        [
            "POST /v1/collection/c1 400",
            "GET /v1/collection/c1 200",
            "PUT /v1/collection/c1 200",
        ]
    );
    assert_eq!(
        boss_state(&em)["collections"]["c1"]["doc"]["description"],
        "renamed"
    );
    // A differing field the Boss cannot update is a failure, not a silent adoption.
    let ch1 = Object::new(resource("c1/e1/ch1"))
        .with("type", "image")
        .with("datatype", "uint16");
    let out = apply1(&p, create(ch1)).await;
    assert!(
        matches!(&out, Outcome::Failed { error } if error.contains("datatype") && error.contains("in place")),
        "{out:?}"
    );
    // A frame with the same geometry (integers given as floats compare by value).
    let f1 = Object::new(frame("f1"))
        .with("description", "frame one")
        .with("x_stop", 100)
        .with("x_voxel_size", 4);
    assert_eq!(apply1(&p, create(f1)).await, ok());
    em.emulator.clear_request_log();
    // A validation error on something absent stays the Boss's error.
    let out = apply1(&p, create(Object::new(resource("c1/e9")))).await;
    assert!(
        matches!(&out, Outcome::Failed { error } if error.contains("valid coordinate frame")),
        "{out:?}"
    );
    assert_eq!(
        take_log(&em),
        [
            "POST /v1/collection/c1/experiment/e9 400",
            "GET /v1/collection/c1/experiment/e9 404",
        ]
    );
}

#[tokio::test]
async fn permissions_take_the_fewest_calls() {
    let em = boss().await;
    let p = acc(&em);
    let side = permission("c1/e1", "side");
    let perms = |em: &RunningEmulator| {
        boss_state(em)["collections"]["c1"]["experiments"]["e1"]["perms"]["side"].clone()
    };
    assert_eq!(
        apply1(&p, create(perms_with(&["read"], side.clone()))).await,
        ok()
    );
    assert_eq!(perms(&em), json!(["read"]));

    let step = |before: &[&str], after: &[&str]| Change {
        before: Some(perms_with(before, side.clone())),
        after: Some(perms_with(after, side.clone())),
        fields: vec![FieldChange {
            name: "permissions".into(),
            before: json!(before),
            after: json!(after),
        }],
        ..change(side.clone(), Action::Update)
    };
    // Grants only: one POST of the added names.
    assert_eq!(apply1(&p, step(&["read"], &["add", "read"])).await, ok());
    assert_eq!(perms(&em), json!(["add", "read"]));
    // A removal: one PATCH with the whole set.
    assert_eq!(
        apply1(&p, step(&["add", "read"], &["read", "update"])).await,
        ok()
    );
    assert_eq!(perms(&em), json!(["read", "update"]));
    assert_eq!(apply1(&p, change(side.clone(), Action::Delete)).await, ok());
    assert_eq!(perms(&em), Value::Null);
    assert_eq!(
        take_log(&em),
        [
            "POST /v1/permissions/ 201",
            "POST /v1/permissions/ 201",
            "PATCH /v1/permissions/ 200",
            "DELETE /v1/permissions/ 204",
        ]
    );
}

#[tokio::test]
async fn public_is_narrowed_by_delete_and_post() {
    let em = boss().await;
    let p = acc(&em);
    let public = permission("c1/e1/ch1", "public");
    let perms = |em: &RunningEmulator| {
        boss_state(em)["collections"]["c1"]["experiments"]["e1"]["channels"]["ch1"]["perms"]["public"].clone()
    };
    let step = |before: &[&str], after: &[&str]| Change {
        before: Some(perms_with(before, public.clone())),
        after: Some(perms_with(after, public.clone())),
        ..change(public.clone(), Action::Update)
    };
    assert_eq!(
        apply1(&p, step(&["read"], &["read", "read_volumetric_data"])).await,
        ok()
    );
    assert_eq!(perms(&em), json!(["read", "read_volumetric_data"]));
    assert_eq!(
        apply1(
            &p,
            step(&["read", "read_volumetric_data"], &["read_volumetric_data"])
        )
        .await,
        ok()
    );
    assert_eq!(perms(&em), json!(["read_volumetric_data"]));
    assert_eq!(
        take_log(&em),
        [
            "POST /v1/permissions/ 201",
            "DELETE /v1/permissions/ 204",
            "POST /v1/permissions/ 201",
        ]
    );
}

#[tokio::test]
async fn deleting_permissions_of_a_gone_group_or_resource_is_done() {
    let em = boss().await;
    let p = acc(&em);
    assert_eq!(
        apply1(&p, change(permission("c1", "nogroup"), Action::Delete)).await,
        ok()
    );
    assert_eq!(
        apply1(&p, change(permission("c9", "lab"), Action::Delete)).await,
        ok()
    );
    let l = take_log(&em);
    assert_eq!(l[0], "DELETE /v1/permissions/ 404");
    assert!(
        l[1..].iter().all(|r| r == "DELETE /v1/permissions/ 500"),
        "{l:?}"
    );
}

#[tokio::test]
async fn without_credentials_apply_fails_clearly() {
    let em = boss().await;
    let p = BossProvider::without_credentials(http(&em.base_url), "set ACCORD_BOSS_TOKEN");
    let out = apply1(
        &p,
        create(Object::new(Address::new(
            accord::services::boss::GROUP,
            ["x"],
        ))),
    )
    .await;
    assert!(
        matches!(&out, Outcome::Failed { error } if error.contains("ACCORD_BOSS_TOKEN")),
        "{out:?}"
    );
    assert_eq!(log(&em), Vec::<String>::new());
}
