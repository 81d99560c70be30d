//! The Search provider against the in-process emulator (docs/search-model.md): roles and
//! subject access read canonically, role creates (adopted on conflict, never blindly resent)
//! and deletes, re-ingests that keep content byte for byte, failed tasks, missing subjects,
//! subjects read per subject or by query (paged, stopping early), and the calls it sends,
//! counted in the emulator's request log.

use std::collections::BTreeMap;

mod common;

use accord::emulator::{Emulator, FaultRule, FaultTarget, RunningEmulator, Seed, spawn};
use accord::http::{GlobusCredentials, HttpClient, HttpOptions, ServiceUrls};
use accord::plan::{Action, Change, Direction};
use accord::service::{IdMap, Lookup, Outcome, Provider, ProviderError, Scope};
use accord::services::search::provider::{
    DEFAULT_ENTRY, QUERY_PAGE, QUERY_THRESHOLD, SearchProvider,
};
use accord::state::{Address, Container, ContainerMode, Object};
use serde_json::{Value, json};

/// accord's client: owner of INDEX.
const ACC: &str = "11111111-1111-4111-8111-111111111111";
/// A client with no role anywhere.
const NOBODY: &str = "22222222-2222-4222-8222-222222222222";
const ALICE: &str = "a1a1a1a1-0000-4000-8000-000000000001";
const BOB: &str = "b0b0b0b0-0000-4000-8000-000000000002";
/// A group the workspace manages (`lab`).
const LAB: &str = "9a000000-0000-4000-8000-000000000001";
/// A group it does not manage.
const OTHER: &str = "9a000000-0000-4000-8000-000000000002";
const INDEX: &str = "5e000000-0000-4000-8000-000000000001";
const UNKNOWN_INDEX: &str = "5e000000-0000-4000-8000-0000000000ff";

const SEED: &str = r#"
clients:
  - { client_id: 11111111-1111-4111-8111-111111111111, client_secret: acc-secret, name: accord }
  - { client_id: 22222222-2222-4222-8222-222222222222, client_secret: nobody-secret, name: nobody }
identities:
  - { id: a1a1a1a1-0000-4000-8000-000000000001, username: alice@uni.edu }
  - { id: b0b0b0b0-0000-4000-8000-000000000002, username: bob@uni.edu }
groups:
  - id: 9a000000-0000-4000-8000-000000000001
    name: lab
    members: [{ identity: 11111111-1111-4111-8111-111111111111, role: admin }]
  - { id: 9a000000-0000-4000-8000-000000000002, name: other }
search:
  indexes:
    5e000000-0000-4000-8000-000000000001:
      display_name: lab data
      roles:
        owner: [11111111-1111-4111-8111-111111111111]
        admin: [group:lab]
        writer: [alice@uni.edu, group:other]
      entries:
        - subject: https://example.org/d1
          visible_to: [public]
          principal_sets: { curator: [alice@uni.edu], contributor: [group:lab] }
          content:
            title: "Dataset one — ünïcode"
            size: 12.50
            big: 12345678901234567890
            tags: [a, b, { deep: [1, 2, null] }]
            empty: {}
        - subject: https://example.org/d1
          id: v2
          visible_to: [public]
          principal_sets: { curator: [alice@uni.edu], contributor: [group:lab] }
          content: { title: "version two", flag: true }
        - subject: https://example.org/d2
          visible_to: [public]
          content: { title: d2 }
        - subject: https://example.org/d2
          id: private
          visible_to: [group:other, bob@uni.edu]
          content: { title: d2 private }
"#;

const D1: &str = "https://example.org/d1";
const D2: &str = "https://example.org/d2";
const GONE: &str = "https://example.org/gone";

fn seed() -> Seed {
    Seed::from_yaml_str(&accord::services::builtin(), SEED).expect("seed")
}

async fn start() -> RunningEmulator {
    spawn(Emulator::new(seed())).await.expect("emulator")
}

fn provider(em: &RunningEmulator, client: &str) -> SearchProvider {
    let secret = match client {
        ACC => "acc-secret",
        NOBODY => "nobody-secret",
        _ => panic!("unknown client"),
    };
    provider_at(&em.base_url, client, secret)
}

/// A Search provider against any base URL (the emulator, or a mock server).
fn provider_at(base: &str, client: &str, secret: &str) -> SearchProvider {
    SearchProvider::new(
        HttpClient::shared(
            &accord::services::builtin().apis(),
            ServiceUrls::emulator(base),
            GlobusCredentials::new(client, secret.to_string()),
            HttpOptions {
                backoff_scale: 0.001,
                allow_hosts: Vec::new(),
                ca_file: None,
                ..HttpOptions::default()
            },
        )
        .unwrap(),
    )
}

fn acc(em: &RunningEmulator) -> SearchProvider {
    provider(em, ACC)
}

/// Every request received since the last clear, as `METHOD /path STATUS`.
fn log(em: &RunningEmulator) -> Vec<String> {
    em.emulator
        .request_log()
        .into_iter()
        .map(|r| format!("{} {} {}", r.method, r.path, r.status))
        .collect()
}

/// The Search requests since the last clear (tokens left out), then clears the log.
fn take_search_log(em: &RunningEmulator) -> Vec<String> {
    let l = log(em)
        .into_iter()
        .filter_map(|l| {
            let (m, rest) = l.split_once(' ')?;
            let r = rest.strip_prefix("/search")?;
            // Task ids are fresh UUIDs: `{task}` stands for them.
            let r = match r.strip_prefix("/v1/task/") {
                Some(t) => format!("/v1/task/{{task}} {}", t.rsplit(' ').next().unwrap_or("")),
                None => r.to_string(),
            };
            Some(format!("{m} {r}"))
        })
        .collect();
    em.emulator.clear_request_log();
    l
}

fn roles_container(index: &str) -> Container {
    Container {
        address: Address::partial(accord::services::search::ROLE, [index.to_string()]),
        mode: ContainerMode::Authoritative,
        manage_paths: Vec::new(),
        provenance: None,
    }
}

fn entry(index: &str, subject: &str) -> Address {
    Address::new(accord::services::search::ENTRY, [index, subject])
}

fn entry_lookup(index: &str, subject: &str) -> Lookup {
    Lookup {
        address: entry(index, subject),
        pin: None,
        previously: Vec::new(),
        hints: BTreeMap::new(),
    }
}

fn role(role: &str, principal: &str) -> Address {
    Address::new(accord::services::search::ROLE, [INDEX, role, principal])
}

fn group_names() -> BTreeMap<String, String> {
    BTreeMap::from([(LAB.to_string(), "lab".to_string())])
}

fn ids_with_lab() -> IdMap {
    let ids = IdMap::default();
    ids.insert(
        Address::new(accord::services::groups::GROUP, ["lab"]),
        LAB.into(),
    );
    ids
}

fn change(
    address: Address,
    action: Action,
    before: Option<Object>,
    after: Option<Object>,
) -> Change {
    Change {
        address,
        action,
        fields: Vec::new(),
        before,
        after,
        direction: Direction::Neutral,
        reason: String::new(),
        provenance: None,
        labels: BTreeMap::new(),
        deleted_with: None,
    }
}

async fn apply1(p: &SearchProvider, c: Change, ids: &IdMap) -> Outcome {
    let mut out = p.apply(&[c], ids).await;
    assert_eq!(out.len(), 1);
    out.remove(0)
}

/// The calls of one entry update: the re-read, the ingest and `polls` task reads.
fn ingest_calls(polls: usize) -> Vec<String> {
    let mut v = vec![
        format!("GET /v1/index/{INDEX}/subject 200"),
        format!("POST /v1/index/{INDEX}/ingest 200"),
    ];
    v.extend(std::iter::repeat_n(
        "GET /v1/task/{task} 200".to_string(),
        polls,
    ));
    v
}

/// The stored entries of a subject (`GET /_emulator/state`).
fn stored(em: &RunningEmulator, subject: &str) -> Value {
    em.emulator.snapshot()["search"]["indexes"][INDEX]["subjects"][subject].clone()
}

fn live_roles(em: &RunningEmulator) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = em.emulator.snapshot()["search"]["indexes"][INDEX]["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["role_name"].as_str().unwrap().to_string(),
                r["principal"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

fn identity(id: &str) -> String {
    format!("identity:{id}")
}

fn id_urn(id: &str) -> String {
    format!("urn:globus:auth:identity:{id}")
}

fn group_urn(id: &str) -> String {
    format!("urn:globus:groups:id:{id}")
}

// ---------------------------------------------------------------------------------- read

#[tokio::test]
async fn reads_roles_and_entries_canonically_with_one_query() {
    let em = start().await;
    let scope = Scope {
        containers: vec![roles_container(INDEX)],
        lookups: vec![
            entry_lookup(INDEX, D1),
            entry_lookup(INDEX, D2),
            entry_lookup(INDEX, GONE),
        ],
        group_names: group_names(),
        ..Scope::default()
    };
    em.emulator.clear_request_log();
    let live = acc(&em).read(&scope).await.unwrap();
    let mut keys: Vec<String> = live.state.objects.keys().map(|a| a.to_string()).collect();
    keys.sort();
    let mut want = vec![
        role("owner", &identity(ACC)).to_string(),
        role("admin", "group:lab").to_string(),
        role("writer", &identity(ALICE)).to_string(),
        role("writer", &format!("group:{OTHER}")).to_string(),
        entry(INDEX, D1).to_string(),
        entry(INDEX, D2).to_string(),
        entry(INDEX, GONE).to_string(),
    ];
    want.sort();
    assert_eq!(keys, want);

    // Roles carry their ids, the seeded ones in order.
    let owner = live.state.get(&role("owner", &identity(ACC))).unwrap();
    assert_eq!(owner.server_id.as_deref(), Some("MDAwMDAx"));
    assert!(
        live.state
            .get(&role("admin", "group:lab"))
            .unwrap()
            .server_id
            .is_some()
    );

    // d1: both entries agree.
    let d1 = live.state.get(&entry(INDEX, D1)).unwrap();
    assert_eq!(d1.attrs["visible_to"], json!(["public"]));
    assert_eq!(
        d1.attrs["principal_sets"],
        json!({"contributor": ["group:lab"], "curator": [identity(ALICE)]})
    );
    assert!(!d1.attrs.contains_key("entries_differ"));
    assert!(!d1.attrs.contains_key("status"));

    // d2: the entries disagree on visible_to, agree on (no) principal sets.
    let d2 = live.state.get(&entry(INDEX, D2)).unwrap();
    assert_eq!(d2.attrs["entries_differ"], json!(true));
    assert_eq!(
        d2.attrs["visible_to"],
        json!({DEFAULT_ENTRY: ["public"], "private": [format!("group:{OTHER}"), identity(BOB)]})
    );
    assert_eq!(d2.attrs["principal_sets"], json!({}));

    // gone: missing, which the plan lists as blocked.
    let gone = live.state.get(&entry(INDEX, GONE)).unwrap();
    assert_eq!(
        gone.attrs,
        accord::state::Attrs::from_iter([("status".into(), json!("missing"))])
    );

    // The fewest calls: one role list and, for three declared subjects, one query of them
    // all (a subject it does not return is missing without a call of its own).
    assert_eq!(
        take_search_log(&em),
        [
            format!("GET /v1/index/{INDEX}/role_list 200"),
            format!("POST /v1/index/{INDEX}/search 200"),
        ]
    );
}

#[tokio::test]
async fn few_declared_subjects_are_read_one_get_each_and_read_the_same() {
    assert_eq!(QUERY_THRESHOLD, 3);
    let em = start().await;
    let scope = |subjects: &[&str]| Scope {
        lookups: subjects.iter().map(|s| entry_lookup(INDEX, s)).collect(),
        group_names: group_names(),
        ..Scope::default()
    };
    em.emulator.clear_request_log();
    let by_get = acc(&em).read(&scope(&[D2, GONE])).await.unwrap();
    assert_eq!(
        take_search_log(&em),
        [
            format!("GET /v1/index/{INDEX}/subject 200"),
            format!("GET /v1/index/{INDEX}/subject 404"),
        ]
    );
    let by_query = acc(&em).read(&scope(&[D1, D2, GONE])).await.unwrap();
    assert_eq!(
        take_search_log(&em),
        [format!("POST /v1/index/{INDEX}/search 200")]
    );
    // Both ways read a subject alike, entries that disagree and a missing one included.
    for subject in [D2, GONE] {
        assert_eq!(
            by_get.state.get(&entry(INDEX, subject)),
            by_query.state.get(&entry(INDEX, subject)),
            "{subject}"
        );
    }
}

#[tokio::test]
async fn a_group_not_in_group_names_reads_by_uuid() {
    let em = start().await;
    let scope = Scope {
        containers: vec![roles_container(INDEX)],
        ..Scope::default()
    };
    let live = acc(&em).read(&scope).await.unwrap();
    assert!(
        live.state
            .get(&role("admin", &format!("group:{LAB}")))
            .is_some()
    );
    assert!(live.state.get(&role("admin", "group:lab")).is_none());
}

#[tokio::test]
async fn a_read_without_search_scope_makes_no_request() {
    let em = start().await;
    em.emulator.clear_request_log();
    let p = acc(&em);
    let live = p.read(&Scope::default()).await.unwrap();
    assert!(live.state.objects.is_empty());
    // Other services' containers and lookups are not Search's business.
    let other = Scope {
        containers: vec![Container {
            address: Address::new(accord::services::groups::GROUP, ["lab"]),
            mode: ContainerMode::Authoritative,
            manage_paths: Vec::new(),
            provenance: None,
        }],
        lookups: vec![Lookup {
            address: Address::new(accord::services::groups::GROUP, ["lab"]),
            pin: None,
            previously: Vec::new(),
            hints: BTreeMap::new(),
        }],
        group_names: group_names(),
        ..Scope::default()
    };
    assert!(p.read(&other).await.unwrap().state.objects.is_empty());
    // Not even a token.
    assert_eq!(log(&em), Vec::<String>::new());
}

#[tokio::test]
async fn an_unknown_index_is_a_clear_read_error() {
    let em = start().await;
    let scope = Scope {
        containers: vec![roles_container(UNKNOWN_INDEX)],
        lookups: vec![entry_lookup(UNKNOWN_INDEX, D1)],
        ..Scope::default()
    };
    em.emulator.clear_request_log();
    let err = acc(&em).read(&scope).await.unwrap_err();
    match &err {
        ProviderError::NotFound(m) => {
            assert!(m.contains(UNKNOWN_INDEX), "{m}");
            assert!(m.contains("no such index"), "{m}");
        }
        other => panic!("unexpected {other:?}"),
    }
    // Its subjects are not asked for.
    assert_eq!(
        take_search_log(&em),
        [format!("GET /v1/index/{UNKNOWN_INDEX}/role_list 404")]
    );

    // A lookup alone on an unknown index is the same error, not a missing subject.
    let lookups_only = Scope {
        lookups: vec![entry_lookup(UNKNOWN_INDEX, D1)],
        ..Scope::default()
    };
    assert!(matches!(
        acc(&em).read(&lookups_only).await,
        Err(ProviderError::NotFound(_))
    ));
}

#[tokio::test]
async fn a_client_without_a_role_is_told_what_it_needs() {
    let em = start().await;
    let scope = Scope {
        containers: vec![roles_container(INDEX)],
        ..Scope::default()
    };
    let err = provider(&em, NOBODY).read(&scope).await.unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("admin or owner role"), "{msg}");
}

// --------------------------------------------------------------------------------- roles

#[tokio::test]
async fn creates_and_deletes_roles() {
    let em = start().await;
    let p = acc(&em);
    let ids = ids_with_lab();
    em.emulator.clear_request_log();

    // A writer role for bob: one POST, the id recorded.
    let bob = role("writer", &identity(BOB));
    let out = apply1(
        &p,
        change(
            bob.clone(),
            Action::Create,
            None,
            Some(Object::new(bob.clone())),
        ),
        &ids,
    )
    .await;
    let Outcome::Applied {
        server_id: Some(bob_id),
    } = out
    else {
        panic!("unexpected {out:?}");
    };
    assert_eq!(ids.get(&bob).as_deref(), Some(bob_id.as_str()));
    // A writer role for the managed group, through its live id.
    let lab = role("writer", "group:lab");
    let out = apply1(
        &p,
        change(
            lab.clone(),
            Action::Create,
            None,
            Some(Object::new(lab.clone())),
        ),
        &ids,
    )
    .await;
    assert!(
        matches!(out, Outcome::Applied { server_id: Some(_) }),
        "{out:?}"
    );
    assert_eq!(
        take_search_log(&em),
        [
            format!("POST /v1/index/{INDEX}/role 200"),
            format!("POST /v1/index/{INDEX}/role 200"),
        ]
    );
    let roles = live_roles(&em);
    assert!(roles.contains(&("writer".into(), id_urn(BOB))));
    assert!(roles.contains(&("writer".into(), group_urn(LAB))));

    // Delete by the id of the live object (`before`), then again: already gone.
    let before = {
        let mut o = Object::new(bob.clone());
        o.server_id = Some(bob_id.clone());
        o
    };
    for status in [200, 404] {
        let out = apply1(
            &p,
            change(bob.clone(), Action::Delete, Some(before.clone()), None),
            &ids,
        )
        .await;
        assert_eq!(out, Outcome::Applied { server_id: None });
        assert_eq!(
            take_search_log(&em),
            [format!("DELETE /v1/index/{INDEX}/role/{bob_id} {status}")]
        );
    }
    assert!(!live_roles(&em).contains(&("writer".into(), id_urn(BOB))));
}

#[tokio::test]
async fn a_role_that_exists_already_is_adopted() {
    let em = start().await;
    let p = acc(&em);
    let ids = IdMap::default();
    let alice = role("writer", &identity(ALICE));
    em.emulator.clear_request_log();
    let out = apply1(
        &p,
        change(
            alice.clone(),
            Action::Create,
            None,
            Some(Object::new(alice.clone())),
        ),
        &ids,
    )
    .await;
    let Outcome::Applied {
        server_id: Some(id),
    } = out
    else {
        panic!("unexpected {out:?}");
    };
    assert_eq!(id, "MDAwMDAz");
    assert_eq!(ids.get(&alice).as_deref(), Some("MDAwMDAz"));
    assert_eq!(
        take_search_log(&em),
        [
            format!("POST /v1/index/{INDEX}/role 409"),
            format!("GET /v1/index/{INDEX}/role_list 200"),
        ]
    );
}

#[tokio::test]
async fn a_create_that_may_have_applied_is_re_read_before_it_is_resent() {
    let em = start().await;
    em.emulator
        .add_faults(vec![FaultRule {
            service: FaultTarget::service("search"),
            error_rate: 1.0,
            retry_after: 0,
            seed: 1,
            count: Some(1),
            path_contains: Some("/role".into()),
            method: Some("POST".into()),
            ..FaultRule::default()
        }])
        .unwrap();
    let p = acc(&em);
    let bob = role("admin", &identity(BOB));
    em.emulator.clear_request_log();
    let out = apply1(
        &p,
        change(
            bob.clone(),
            Action::Create,
            None,
            Some(Object::new(bob.clone())),
        ),
        &IdMap::default(),
    )
    .await;
    assert!(
        matches!(out, Outcome::Applied { server_id: Some(_) }),
        "{out:?}"
    );
    assert_eq!(
        take_search_log(&em),
        [
            format!("POST /v1/index/{INDEX}/role 503"),
            format!("GET /v1/index/{INDEX}/role_list 200"),
            format!("POST /v1/index/{INDEX}/role 200"),
        ]
    );
    // Exactly one role for bob.
    assert_eq!(
        live_roles(&em)
            .iter()
            .filter(|(_, p)| *p == id_urn(BOB))
            .count(),
        1
    );
}

#[tokio::test]
async fn deleting_the_last_owner_fails_clearly() {
    let em = start().await;
    let owner = role("owner", &identity(ACC));
    let mut before = Object::new(owner.clone());
    before.server_id = Some("MDAwMDAx".into());
    let out = apply1(
        &acc(&em),
        change(owner, Action::Delete, Some(before), None),
        &IdMap::default(),
    )
    .await;
    let Outcome::Failed { error } = out else {
        panic!("unexpected {out:?}");
    };
    assert!(error.contains("LastOwner"), "{error}");
}

// ------------------------------------------------------------------------------- entries

fn entry_update(subject: &str, before: Option<Object>, after: Object) -> Change {
    change(entry(INDEX, subject), Action::Update, before, Some(after))
}

#[tokio::test]
async fn a_re_ingest_keeps_content_byte_for_byte_and_changes_only_access() {
    let em = start().await;
    let p = acc(&em);
    let before = stored(&em, D1);
    let before_text = serde_json::to_string(&before).unwrap();
    let contents: Vec<String> = before
        .as_array()
        .unwrap()
        .iter()
        .map(|e| serde_json::to_string(&e["content"]).unwrap())
        .collect();
    assert_eq!(before.as_array().unwrap().len(), 2);

    // The policy sets visible_to only: principal sets keep their live values.
    let want = Object::new(entry(INDEX, D1)).with(
        "visible_to",
        json!(["all_authenticated_users", "group:lab", identity(BOB)]),
    );
    em.emulator.clear_request_log();
    let out = apply1(&p, entry_update(D1, None, want.clone()), &ids_with_lab()).await;
    assert_eq!(out, Outcome::Applied { server_id: None });
    // Re-read, ingest, and the task polled until it ends (PENDING, then SUCCESS).
    assert_eq!(take_search_log(&em), ingest_calls(2));
    let after = stored(&em, D1);
    let entries = after.as_array().unwrap();
    assert_eq!(entries.len(), 2);
    for (e, content) in entries.iter().zip(&contents) {
        assert_eq!(&serde_json::to_string(&e["content"]).unwrap(), content);
        assert_eq!(
            e["visible_to"],
            json!(["all_authenticated_users", group_urn(LAB), id_urn(BOB)])
        );
        assert_eq!(
            e["principal_sets"],
            json!({"contributor": [group_urn(LAB)], "curator": [id_urn(ALICE)]})
        );
    }
    assert_eq!(entries[0]["id"], Value::Null);
    assert_eq!(entries[1]["id"], json!("v2"));
    assert_ne!(serde_json::to_string(&after).unwrap(), before_text);

    // Read back, the subject matches the policy.
    let scope = Scope {
        lookups: vec![entry_lookup(INDEX, D1)],
        group_names: group_names(),
        ..Scope::default()
    };
    let live = p.read(&scope).await.unwrap();
    assert_eq!(
        live.state.get(&entry(INDEX, D1)).unwrap().attrs["visible_to"],
        want.attrs["visible_to"]
    );
}

#[tokio::test]
async fn entries_that_differ_are_re_ingested_whole() {
    let em = start().await;
    let p = acc(&em);
    let contents: Vec<String> = stored(&em, D2)
        .as_array()
        .unwrap()
        .iter()
        .map(|e| serde_json::to_string(&e["content"]).unwrap())
        .collect();
    let want = Object::new(entry(INDEX, D2))
        .with("visible_to", json!(["public"]))
        .with(
            "principal_sets",
            json!({"readers": [format!("group:{OTHER}")]}),
        );
    let out = apply1(&p, entry_update(D2, None, want.clone()), &IdMap::default()).await;
    assert_eq!(out, Outcome::Applied { server_id: None });
    let after = stored(&em, D2);
    for (e, content) in after.as_array().unwrap().iter().zip(&contents) {
        assert_eq!(&serde_json::to_string(&e["content"]).unwrap(), content);
        assert_eq!(e["visible_to"], json!(["public"]));
        assert_eq!(e["principal_sets"], json!({"readers": [group_urn(OTHER)]}));
    }
    let scope = Scope {
        lookups: vec![entry_lookup(INDEX, D2)],
        ..Scope::default()
    };
    let live = p.read(&scope).await.unwrap();
    let d2 = live.state.get(&entry(INDEX, D2)).unwrap();
    assert!(!d2.attrs.contains_key("entries_differ"));
    assert_eq!(d2.attrs["visible_to"], want.attrs["visible_to"]);
    assert_eq!(d2.attrs["principal_sets"], want.attrs["principal_sets"]);
}

#[tokio::test]
async fn a_failed_task_is_a_failed_change_with_its_message() {
    // A subject holding 11 entries (more than Search allows; only a snapshot can make one):
    // re-ingesting it makes a task the emulator ends FAILED, nothing applied.
    let em0 = Emulator::new(seed());
    let mut snap = em0.snapshot();
    let subjects = &mut snap["search"]["indexes"][INDEX]["subjects"][D1];
    let list = subjects.as_array_mut().unwrap();
    for i in 0..9 {
        list.push(
            json!({"id": format!("extra{i}"), "visible_to": ["public"], "content": {"n": i}}),
        );
    }
    assert_eq!(list.len(), 11);
    let em = spawn(Emulator::from_snapshot(seed(), snap).unwrap())
        .await
        .unwrap();
    let before = stored(&em, D1);
    let want = Object::new(entry(INDEX, D1)).with("visible_to", json!([identity(ALICE)]));
    em.emulator.clear_request_log();
    let out = apply1(&acc(&em), entry_update(D1, None, want), &IdMap::default()).await;
    let Outcome::Failed { error } = out else {
        panic!("unexpected {out:?}");
    };
    assert!(error.contains("ingest task"), "{error}");
    assert!(error.contains("more than 10 entries"), "{error}");
    assert_eq!(take_search_log(&em), ingest_calls(2));
    assert_eq!(stored(&em, D1), before);
}

#[tokio::test]
async fn a_missing_subject_is_blocked_without_an_ingest() {
    let em = start().await;
    let p = acc(&em);
    let want = Object::new(entry(INDEX, GONE)).with("visible_to", json!(["public"]));
    let before = Object::new(entry(INDEX, GONE)).with("status", "missing");
    em.emulator.clear_request_log();
    let out = apply1(
        &p,
        entry_update(GONE, Some(before), want),
        &IdMap::default(),
    )
    .await;
    let Outcome::Blocked { reason } = out else {
        panic!("unexpected {out:?}");
    };
    assert!(reason.contains("not in the index"), "{reason}");
    assert_eq!(
        take_search_log(&em),
        [format!("GET /v1/index/{INDEX}/subject 404")]
    );
    assert_eq!(stored(&em, GONE), Value::Null);
}

#[tokio::test]
async fn subjects_are_never_created_or_deleted() {
    let em = start().await;
    let p = acc(&em);
    em.emulator.clear_request_log();
    let want = Object::new(entry(INDEX, GONE)).with("visible_to", json!(["public"]));
    let create = change(entry(INDEX, GONE), Action::Create, None, Some(want));
    let delete = change(
        entry(INDEX, D1),
        Action::Delete,
        Some(Object::new(entry(INDEX, D1))),
        None,
    );
    for out in p.apply(&[create, delete], &IdMap::default()).await {
        let Outcome::Failed { error } = out else {
            panic!("unexpected {out:?}");
        };
        assert!(error.contains("not content"), "{error}");
    }
    assert_eq!(log(&em), Vec::<String>::new());
    assert_eq!(stored(&em, GONE), Value::Null);
    assert_eq!(stored(&em, D1).as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn an_unknown_managed_group_fails_before_any_call() {
    let em = start().await;
    em.emulator.clear_request_log();
    let want = Object::new(entry(INDEX, D1)).with("visible_to", json!(["group:nobody-made-it"]));
    let out = apply1(&acc(&em), entry_update(D1, None, want), &IdMap::default()).await;
    let Outcome::Failed { error } = out else {
        panic!("unexpected {out:?}");
    };
    assert!(error.contains("not known"), "{error}");
    assert_eq!(log(&em), Vec::<String>::new());
}

// ------------------------------------------------------------------------- query reads

const BIG_INDEX: &str = "5e000000-0000-4000-8000-0000000000b1";

/// accord owning [`BIG_INDEX`], which holds `n` subjects `s00000`, `s00001`, ... (sorted as
/// numbered), each visible to the managed group `lab` and curated by alice.
fn big_seed(n: usize) -> Seed {
    let mut yaml = format!(
        "clients:\n  - {{ client_id: {ACC}, client_secret: acc-secret, name: accord }}\n\
         identities:\n  - {{ id: {ALICE}, username: alice@uni.edu }}\n\
         groups:\n  - {{ id: {LAB}, name: lab }}\n\
         search:\n  indexes:\n    {BIG_INDEX}:\n      display_name: big\n\
         \x20     roles: {{ owner: [{ACC}] }}\n      entries:\n"
    );
    for i in 0..n {
        yaml.push_str(&format!(
            "        - {{ subject: s{i:05}, visible_to: [group:lab], \
             principal_sets: {{ curator: [alice@uni.edu] }}, content: {{ n: {i} }} }}\n"
        ));
    }
    Seed::from_yaml_str(&accord::services::builtin(), &yaml).expect("big seed")
}

/// Reads `subjects` of [`BIG_INDEX`] (no roles) and answers the live state and the Search
/// calls made (`query STATUS`, `GET STATUS`; the request log holds no bodies, so a page's
/// offset shows in what it found).
async fn read_big(
    em: &RunningEmulator,
    subjects: &[String],
) -> (accord::state::State, Vec<String>) {
    em.emulator.clear_request_log();
    let live = acc(em).read(&big_scope(subjects)).await.unwrap();
    let calls = em
        .emulator
        .request_log()
        .into_iter()
        .filter(|r| r.path.starts_with("/search/"))
        .map(|r| match r.method.as_str() {
            "POST" => format!("query {}", r.status),
            _ => format!("GET {}", r.status),
        })
        .collect();
    (live.state, calls)
}

/// The lookups of `subjects` in [`BIG_INDEX`].
fn big_scope(subjects: &[String]) -> Scope {
    Scope {
        lookups: subjects
            .iter()
            .map(|s| entry_lookup(BIG_INDEX, s))
            .collect(),
        group_names: group_names(),
        ..Scope::default()
    }
}

fn s(i: usize) -> String {
    format!("s{i:05}")
}

#[tokio::test]
async fn ten_declared_subjects_are_the_role_list_and_one_query() {
    let em = spawn(Emulator::new(big_seed(12))).await.expect("emulator");
    let subjects: Vec<String> = (0..10).map(s).collect();
    em.emulator.clear_request_log();
    let scope = Scope {
        containers: vec![roles_container(BIG_INDEX)],
        ..big_scope(&subjects)
    };
    let live = acc(&em).read(&scope).await.unwrap();
    let log: Vec<String> = log(&em)
        .into_iter()
        .filter(|l| l.contains("/search/"))
        .collect();
    assert_eq!(
        log,
        [
            format!("GET /search/v1/index/{BIG_INDEX}/role_list 200"),
            format!("POST /search/v1/index/{BIG_INDEX}/search 200"),
        ]
    );
    for x in &subjects {
        let o = live.state.get(&entry(BIG_INDEX, x)).unwrap();
        assert_eq!(o.attrs["visible_to"], json!(["group:lab"]), "{x}");
        assert_eq!(
            o.attrs["principal_sets"],
            json!({"curator": [identity(ALICE)]}),
            "{x}"
        );
    }
    // Undeclared subjects the query returned are not live objects.
    assert!(live.state.get(&entry(BIG_INDEX, &s(11))).is_none());
}

#[tokio::test]
async fn a_large_index_is_paged_and_paging_stops_when_gets_are_fewer() {
    assert_eq!(QUERY_PAGE, 1000);
    let em = spawn(Emulator::new(big_seed(2500)))
        .await
        .expect("emulator");

    // Five subjects on the first page: one query, paging stops once all are found.
    let (live, calls) = read_big(&em, &(0..5).map(s).collect::<Vec<_>>()).await;
    assert_eq!(calls, ["query 200"]);
    assert!(
        live.objects
            .values()
            .all(|o| !o.attrs.contains_key("status"))
    );

    // Every subject and two that do not exist: three pages; after several pages a subject
    // not found is checked with a GET (a write between pages could have moved it).
    let mut all: Vec<String> = (0..2500).map(s).collect();
    all.extend(["gone-1".to_string(), "gone-2".to_string()]);
    let (live, calls) = read_big(&em, &all).await;
    assert_eq!(
        calls,
        ["query 200", "query 200", "query 200", "GET 404", "GET 404",]
    );
    assert_eq!(live.objects.len(), 2502);
    assert_eq!(
        live.get(&entry(BIG_INDEX, "gone-1")).unwrap().attrs["status"],
        "missing"
    );
    assert_eq!(
        live.get(&entry(BIG_INDEX, &s(2499))).unwrap().attrs["visible_to"],
        json!(["group:lab"])
    );

    // Three subjects at the very end: three unfound against two pages left, then against
    // one: paging goes on to the third page, and finds them all.
    let (live, calls) = read_big(&em, &(2497..2500).map(s).collect::<Vec<_>>()).await;
    assert_eq!(calls, ["query 200", "query 200", "query 200"]);
    assert!(
        live.objects
            .values()
            .all(|o| o.attrs["visible_to"] == json!(["group:lab"]))
    );

    // Two found on the first page and one at the end: one unfound against two pages left,
    // so a GET rather than two more pages.
    let (live, calls) = read_big(&em, &[s(0), s(1), s(2499)]).await;
    assert_eq!(calls, ["query 200", "GET 200"]);
    assert!(
        live.objects
            .values()
            .all(|o| o.attrs["visible_to"] == json!(["group:lab"]))
    );
}

#[tokio::test]
async fn a_result_without_visible_to_is_read_with_a_get_never_as_empty() {
    use wiremock::matchers::{body_partial_json, method, path, query_param};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let s = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/auth/v2/oauth2/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "search-token", "scope": "x", "expires_in": 172800,
            "token_type": "Bearer", "resource_server": "search.api.globus.org",
            "other_tokens": []})))
        .mount(&s)
        .await;
    let result = |subject: &str, acl: bool| {
        let mut e = json!({"entry_id": null, "matched_principal_sets": []});
        if acl {
            e["visible_to"] = json!(["public"]);
        }
        json!({"subject": subject, "entries": [e]})
    };
    // A service that ignored `fields`: one result comes back without its lists.
    Mock::given(method("POST"))
        .and(path(format!("/search/v1/index/{INDEX}/search")))
        .and(body_partial_json(
            json!({"@version": "query#1.0.0", "q": "*",
            "bypass_visible_to": true, "fields": ["visible_to", "principal_sets"]}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "@datatype": "GSearchResult", "@version": "2017-09-01", "count": 3, "offset": 0,
            "total": 3, "has_next_page": false,
            "gmeta": [result("a", true), result("b", false), result("c", true)]})))
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/search/v1/index/{INDEX}/subject")))
        .and(query_param("subject", "b"))
        .and(query_param("bypass_visible_to", "true"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "subject": "b", "entries": [{"entry_id": null, "content": {},
            "visible_to": ["all_authenticated_users"], "principal_sets": {}}]})))
        .expect(1)
        .mount(&s)
        .await;
    let p = provider_at(&s.uri(), ACC, "acc-secret");
    let scope = Scope {
        lookups: ["a", "b", "c"]
            .iter()
            .map(|x| entry_lookup(INDEX, x))
            .collect(),
        ..Scope::default()
    };
    let live = p.read(&scope).await.unwrap();
    assert_eq!(
        live.state.get(&entry(INDEX, "b")).unwrap().attrs["visible_to"],
        json!(["all_authenticated_users"])
    );
    assert_eq!(
        live.state.get(&entry(INDEX, "a")).unwrap().attrs["visible_to"],
        json!(["public"])
    );
    s.verify().await;
}

// ---------------------------------------------------------------------------- end to end

/// A workspace on an embedded target seeded with [`SEED`]: the managed group `lab` (adopted by
/// name, so its live UUID reads back as `group:lab`), roles and three documents, one of them
/// absent from the index.
fn e2e_workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("accord.yaml"),
        "policies: [\"policy.yaml\"]\ntargets:\n  demo: { embedded: true, seed: live.yaml }\ndefault_target: demo\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("live.yaml"), SEED).unwrap();
    std::fs::write(
        dir.path().join("policy.yaml"),
        format!(
            r#"
identities:
  alice: alice@uni.edu
  bob: bob@uni.edu
groups:
  lab:
    members: {{ alice: member }}
search:
  indexes:
    {INDEX}:
      roles: {{ admin: [group:lab], writer: [bob, group:lab] }}
      documents:
        {D1}:
          visible_to: [all_authenticated_users, group:lab]
        {D2}:
          visible_to: [public]
          principal_sets: {{ curator: [alice, bob] }}
        {GONE}:
          visible_to: [public]
"#
        ),
    )
    .unwrap();
    dir
}

#[test]
fn plan_apply_converges_through_the_engine() {
    let dir = e2e_workspace();
    let ws = dir.path().to_str().unwrap();
    let (code, out, err) = common::run(&["plan", ws, "--detailed-exitcode"]);
    assert_eq!(code, 2, "stdout: {out}\nstderr: {err}");
    for needle in [
        "search.role",
        "search.entry",
        "group:lab",
        "not in the index",
    ] {
        assert!(out.contains(needle), "missing `{needle}` in:\n{out}");
    }
    let (code, out, err) = common::run(&["apply", ws, "--auto-approve"]);
    assert_eq!(code, 0, "stdout: {out}\nstderr: {err}");
    assert!(out.contains("0 failed"), "{out}");
    // The missing subject stays blocked; everything else has converged.
    let (code, out, err) = common::run(&["plan", ws, "--detailed-exitcode"]);
    assert_eq!(
        code, 0,
        "plan after apply must be empty:\n{out}\nstderr: {err}"
    );
    assert!(out.contains("not in the index"), "{out}");
    let (code, out, _) = common::run(&["drift", ws]);
    assert_eq!(code, 0, "no drift after apply:\n{out}");
}
