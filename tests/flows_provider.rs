//! The Flows provider against a mock Flows (the emulator's part comes separately): flows read
//! canonically, a flow accord does not administer blocked, a missing flow a read error naming
//! accord's identity, and apply as one partial `PUT` per flow step with only the changed
//! lists, each whole, retried when Flows is briefly unavailable, checked against the answer.

use std::collections::BTreeMap;

use accord::http::{GlobusCredentials, HttpClient, HttpOptions, ServiceUrls};
use accord::plan::{Action, Change, Direction};
use accord::service::{IdMap, Outcome, Provider, ProviderError, Scope};
use accord::services::flows::ROLE;
use accord::services::flows::provider::FlowsProvider;
use accord::services::groups::GROUP;
use accord::state::{Address, Container, ContainerMode, Object};
use serde_json::{Value, json};
use wiremock::matchers::{body_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// accord's client.
const ACC: &str = "11111111-1111-4111-8111-111111111111";
const F: &str = "2f3a0000-0000-4000-8000-000000000001";
const G: &str = "2f3a0000-0000-4000-8000-000000000002";
const OWNER: &str = "b44bddda-d274-11e5-978a-9f15789a8150";
const ALICE: &str = "a1a1a1a1-0000-4000-8000-000000000001";
const BOB: &str = "b0b0b0b0-0000-4000-8000-000000000002";
/// The live id of the managed group `lab`.
const LAB: &str = "9a000000-0000-4000-8000-000000000001";

fn identity(id: &str) -> String {
    format!("urn:globus:auth:identity:{id}")
}

async fn server() -> MockServer {
    let s = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/auth/v2/oauth2/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "flows-token", "scope": "x", "expires_in": 172800,
            "token_type": "Bearer", "resource_server": "flows.globus.org",
            "other_tokens": []})))
        .mount(&s)
        .await;
    s
}

fn provider(s: &MockServer) -> FlowsProvider {
    FlowsProvider::new(
        HttpClient::shared(
            &accord::services::builtin().apis(),
            ServiceUrls::emulator(&s.uri()),
            GlobusCredentials::new(ACC, "acc-secret".to_string()),
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

/// A flow document as Flows shows it to a caller holding `roles`.
fn doc(id: &str, roles: &[&str], lists: Value) -> Value {
    let mut d = json!({
        "id": id, "title": "publish", "definition": {}, "input_schema": {},
        "flow_owner": identity(OWNER), "created_by": identity(OWNER),
        "flow_administrators": [], "flow_starters": [], "flow_viewers": [],
        "run_managers": [], "run_monitors": [],
        "user_role": roles.last().copied().unwrap_or("flow_viewer"), "user_roles": roles,
    });
    for (k, v) in lists.as_object().unwrap() {
        d[k] = v.clone();
    }
    d
}

async fn serve_get(s: &MockServer, id: &str, body: Value, times: u64) {
    Mock::given(method("GET"))
        .and(path(format!("/flows/flows/{id}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .expect(times)
        .mount(s)
        .await;
}

fn scope(flows: &[(&str, &str)]) -> Scope {
    Scope {
        containers: flows
            .iter()
            .map(|(f, list)| Container {
                address: Address::partial(ROLE, [*f, *list]),
                mode: ContainerMode::Authoritative,
                manage_paths: vec![],
                provenance: None,
            })
            .collect(),
        group_names: BTreeMap::from([(LAB.to_string(), "lab".to_string())]),
        ..Scope::default()
    }
}

fn entry(flow: &str, list: &str, principal: &str) -> Object {
    Object::new(Address::new(ROLE, [flow, list, principal]))
}

fn create(o: Object) -> Change {
    let mut c = Change::new(o.address.clone(), Action::Create);
    c.direction = Direction::Grant;
    c.after = Some(o);
    c
}

fn delete(o: Object) -> Change {
    let mut c = Change::new(o.address.clone(), Action::Delete);
    c.direction = Direction::Revoke;
    c.before = Some(o);
    c
}

fn ids() -> IdMap {
    let ids = IdMap::default();
    ids.insert(Address::new(GROUP, ["lab"]), LAB.to_string());
    ids
}

#[tokio::test]
async fn a_declared_flow_is_read_once_and_canonically() {
    let s = server().await;
    let lists = json!({
        "flow_administrators": [identity(ACC)],
        "flow_starters": [format!("urn:globus:groups:id:{LAB}"), "all_authenticated_users"],
        "flow_viewers": ["public"],
        "run_monitors": [identity(ALICE)],
    });
    serve_get(&s, F, doc(F, &["flow_administrator"], lists), 1).await;
    // Two lists of one flow: one GET.
    let live = provider(&s)
        .read(&scope(&[(F, "flow_starters"), (F, "flow_viewers")]))
        .await
        .unwrap();
    let mut got: Vec<String> = live
        .state
        .objects
        .keys()
        .map(|a| a.keys[1..].join(" "))
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            format!("flow_administrators identity:{ACC}"),
            "flow_starters all_authenticated_users".to_string(),
            "flow_starters group:lab".to_string(),
            "flow_viewers public".to_string(),
            format!("run_monitors identity:{ALICE}"),
        ]
    );
    assert_eq!(
        live.system_managed[0].address,
        entry(F, "flow_owner", &format!("identity:{OWNER}")).address
    );
    assert!(live.blocked.is_empty());
    s.verify().await;
}

#[tokio::test]
async fn no_declared_flow_makes_no_call() {
    let s = MockServer::start().await;
    let live = provider(&s).read(&Scope::default()).await.unwrap();
    assert!(live.state.objects.is_empty());
    assert!(s.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_flow_accord_does_not_administer_is_blocked() {
    let s = server().await;
    // Flows redacts the lists for a starter: they read empty.
    serve_get(
        &s,
        F,
        doc(F, &["flow_viewer", "flow_starter"], json!({})),
        1,
    )
    .await;
    let live = provider(&s)
        .read(&scope(&[(F, "flow_starters")]))
        .await
        .unwrap();
    assert!(live.state.objects.is_empty());
    assert_eq!(live.blocked.len(), 1);
    assert_eq!(
        live.blocked[0].1,
        format!("accord is not an administrator of flow {F}")
    );
    s.verify().await;
}

#[tokio::test]
async fn a_missing_flow_is_a_read_error_naming_accords_identity() {
    let s = server().await;
    serve_get(&s, F, doc(F, &["flow_administrator"], json!({})), 1).await;
    Mock::given(method("GET"))
        .and(path(format!("/flows/flows/{G}")))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({
            "error": {"code": "NOT_FOUND", "detail": format!("No Flow exists with id value {G}")},
            "debug_id": "cf71b1d1-ab7e-48b1-8c54-764201d28ded"})))
        .expect(1)
        .mount(&s)
        .await;
    let err = provider(&s)
        .read(&scope(&[(F, "flow_viewers"), (G, "flow_viewers")]))
        .await
        .unwrap_err();
    match err {
        ProviderError::NotFound(m) => assert_eq!(
            m,
            format!("flow {G} not found, or not visible to {ACC}@clients.auth.globus.org")
        ),
        other => panic!("{other:?}"),
    }
    s.verify().await;
}

#[tokio::test]
async fn each_flow_step_sends_one_put_of_only_its_changed_lists() {
    let s = server().await;
    let f_lists = json!({
        "flow_administrators": [identity(ACC)],
        "flow_viewers": ["public"],
        "run_managers": [identity(BOB)],
    });
    serve_get(&s, F, doc(F, &["flow_administrator"], f_lists), 1).await;
    serve_get(&s, G, doc(G, &["flow_owner"], json!({})), 1).await;
    let f_sent = json!({
        "flow_viewers": ["public", format!("urn:globus:groups:id:{LAB}")],
        "run_managers": [identity(BOB), identity(ALICE)],
    });
    Mock::given(method("PUT"))
        .and(path(format!("/flows/flows/{F}")))
        .and(body_json(&f_sent))
        .respond_with(ResponseTemplate::new(200).set_body_json(doc(
            F,
            &["flow_administrator"],
            json!({
                "flow_administrators": [identity(ACC)],
                "flow_viewers": f_sent["flow_viewers"],
                "run_managers": f_sent["run_managers"],
            }),
        )))
        .expect(1)
        .mount(&s)
        .await;
    let g_sent = json!({"flow_starters": ["all_authenticated_users"]});
    Mock::given(method("PUT"))
        .and(path(format!("/flows/flows/{G}")))
        .and(body_json(&g_sent))
        .respond_with(ResponseTemplate::new(200).set_body_json(doc(
            G,
            &["flow_owner"],
            g_sent.clone(),
        )))
        .expect(1)
        .mount(&s)
        .await;
    let p = provider(&s);
    let f_changes = [
        create(entry(F, "flow_viewers", "group:lab")),
        create(entry(F, "run_managers", &format!("identity:{ALICE}"))),
        // Already live: nothing more to send for it.
        create(entry(F, "flow_viewers", "public")),
    ];
    let g_changes = [create(entry(G, "flow_starters", "all_authenticated_users"))];
    let keys: Vec<Option<String>> = f_changes
        .iter()
        .chain(&g_changes)
        .map(|c| p.batch_key(c))
        .collect();
    assert_eq!(keys[0], keys[1]);
    assert_eq!(keys[1], keys[2]);
    assert_ne!(keys[0], keys[3]);
    let applied = Outcome::Applied { server_id: None };
    assert_eq!(p.apply(&f_changes, &ids()).await, vec![applied.clone(); 3]);
    assert_eq!(p.apply(&g_changes, &ids()).await, vec![applied]);
    s.verify().await;
}

#[tokio::test]
async fn a_revocation_sends_the_list_without_it_and_an_empty_list_clears() {
    let s = server().await;
    let lists = json!({"flow_administrators": [identity(ACC), identity(BOB)], "run_monitors": [identity(ALICE)]});
    serve_get(&s, F, doc(F, &["flow_administrator"], lists), 1).await;
    let sent = json!({"flow_administrators": [identity(ACC)], "run_monitors": []});
    Mock::given(method("PUT"))
        .and(path(format!("/flows/flows/{F}")))
        .and(body_json(&sent))
        .respond_with(ResponseTemplate::new(200).set_body_json(doc(
            F,
            &["flow_administrator"],
            sent.clone(),
        )))
        .expect(1)
        .mount(&s)
        .await;
    let out = provider(&s)
        .apply(
            &[
                delete(entry(F, "flow_administrators", &format!("identity:{BOB}"))),
                delete(entry(F, "run_monitors", &format!("identity:{ALICE}"))),
            ],
            &ids(),
        )
        .await;
    assert!(
        out.iter().all(|o| matches!(o, Outcome::Applied { .. })),
        "{out:?}"
    );
    s.verify().await;
}

#[tokio::test]
async fn a_step_already_live_sends_nothing() {
    let s = server().await;
    serve_get(
        &s,
        F,
        doc(
            F,
            &["flow_administrator"],
            json!({"flow_viewers": ["public"]}),
        ),
        1,
    )
    .await;
    let out = provider(&s)
        .apply(&[create(entry(F, "flow_viewers", "public"))], &ids())
        .await;
    assert_eq!(out, [Outcome::Applied { server_id: None }]);
    let puts = s
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.method.as_str() == "PUT")
        .count();
    assert_eq!(puts, 0);
    s.verify().await;
}

#[tokio::test]
async fn apply_on_a_flow_accord_no_longer_administers_is_blocked() {
    let s = server().await;
    serve_get(&s, F, doc(F, &["flow_starter"], json!({})), 1).await;
    let out = provider(&s)
        .apply(&[create(entry(F, "flow_viewers", "public"))], &ids())
        .await;
    assert_eq!(
        out,
        [Outcome::Blocked {
            reason: format!("accord is not an administrator of flow {F}")
        }]
    );
    s.verify().await;
}

#[tokio::test]
async fn a_put_is_retried_when_flows_is_briefly_unavailable() {
    let s = server().await;
    serve_get(&s, F, doc(F, &["flow_owner"], json!({})), 1).await;
    let sent = json!({"flow_viewers": ["public"]});
    Mock::given(method("PUT"))
        .and(path(format!("/flows/flows/{F}")))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("PUT"))
        .and(path(format!("/flows/flows/{F}")))
        .and(body_json(&sent))
        .respond_with(ResponseTemplate::new(200).set_body_json(doc(
            F,
            &["flow_owner"],
            sent.clone(),
        )))
        .expect(1)
        .mount(&s)
        .await;
    let out = provider(&s)
        .apply(&[create(entry(F, "flow_viewers", "public"))], &ids())
        .await;
    assert_eq!(out, [Outcome::Applied { server_id: None }]);
    s.verify().await;
}

#[tokio::test]
async fn an_answer_without_the_lists_sent_fails_and_a_refusal_says_why() {
    let s = server().await;
    serve_get(&s, F, doc(F, &["flow_owner"], json!({})), 2).await;
    Mock::given(method("PUT"))
        .and(path(format!("/flows/flows/{F}")))
        .and(body_json(json!({"flow_viewers": ["public"]})))
        .respond_with(ResponseTemplate::new(200).set_body_json(doc(F, &["flow_owner"], json!({}))))
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("PUT"))
        .and(path(format!("/flows/flows/{F}")))
        .and(body_json(json!({"run_managers": [identity(ALICE)]})))
        .respond_with(ResponseTemplate::new(422).set_body_json(json!({
            "error": {"code": "UNPROCESSABLE_ENTITY", "detail": [{"loc": ["run_managers", 0],
              "msg": "Unrecognized principal string", "type": "value_error"}]},
            "debug_id": "cf71b1d1-ab7e-48b1-8c54-764201d28ded"})))
        .expect(1)
        .mount(&s)
        .await;
    let p = provider(&s);
    let out = p
        .apply(&[create(entry(F, "flow_viewers", "public"))], &ids())
        .await;
    let [Outcome::Failed { error }] = &out[..] else {
        panic!("{out:?}")
    };
    assert!(error.contains("flow_viewers is []"), "{error}");
    let out = p
        .apply(
            &[create(entry(
                F,
                "run_managers",
                &format!("identity:{ALICE}"),
            ))],
            &ids(),
        )
        .await;
    let [Outcome::Failed { error }] = &out[..] else {
        panic!("{out:?}")
    };
    assert!(error.contains("422 UNPROCESSABLE_ENTITY"), "{error}");
    assert!(error.contains("Unrecognized principal string"), "{error}");
    s.verify().await;
}
