//! The Flows emulator (`/flows`, paths `/flows` and `/flows/{id}`): each caller's view of a
//! flow (roles with their implications, the lists redacted for non-administrators, 404 for
//! whoever cannot see it), the partial update and who may make it (administrators through a
//! group included), the 422 details for bad principals, the listing's role filters in both
//! spellings and forms, its pagination and ordering, delete, tokens and scopes.

use accord::emulator::{Emulator, RunningEmulator, Seed, spawn};
use serde_json::{Value, json};

const OWNER: &str = "11111111-1111-4111-8111-111111111111";
const ADMIN: &str = "a0000000-0000-4000-8000-000000000001";
const STARTER: &str = "a0000000-0000-4000-8000-000000000002";
const VIEWER: &str = "a0000000-0000-4000-8000-000000000003";
const MONITOR: &str = "a0000000-0000-4000-8000-000000000004";
const ADMINS: &str = "9a000000-0000-4000-8000-000000000001";
const F1: &str = "5f000000-0000-4000-8000-000000000001";
const F2: &str = "5f000000-0000-4000-8000-000000000002";
const MISSING: &str = "5f000000-0000-4000-8000-0000000000ff";
const FLOWS_ALL: &str = "https://auth.globus.org/scopes/eec9b274-0c81-4334-bdc2-54e90e689b9a/all";

/// F1 owned by the client, administered by ADMIN and group ADMINS (MEMBER active in it, LEFT
/// no more), started by STARTER, viewed by VIEWER, its runs monitored by MONITOR; F2 ADMIN's,
/// public and startable by all; F3 to F5 the client's, for paging and ordering.
const SEED: &str = r#"
clients:
  - { client_id: 11111111-1111-4111-8111-111111111111, client_secret: owner-secret, name: owner }
identities:
  - { username: admin@uni.edu, id: a0000000-0000-4000-8000-000000000001, tokens: { flows.globus.org: admin-t } }
  - { username: starter@uni.edu, id: a0000000-0000-4000-8000-000000000002, tokens: { flows.globus.org: starter-t } }
  - { username: viewer@uni.edu, id: a0000000-0000-4000-8000-000000000003, tokens: { flows.globus.org: viewer-t } }
  - { username: monitor@uni.edu, id: a0000000-0000-4000-8000-000000000004, tokens: { flows.globus.org: monitor-t } }
  - { username: stranger@uni.edu, id: a0000000-0000-4000-8000-000000000005, tokens: { flows.globus.org: stranger-t, groups.api.globus.org: stranger-groups } }
  - { username: member@uni.edu, id: a0000000-0000-4000-8000-000000000006, tokens: { flows.globus.org: member-t } }
  - { username: left@uni.edu, id: a0000000-0000-4000-8000-000000000007, tokens: { flows.globus.org: left-t } }
groups:
  - id: 9a000000-0000-4000-8000-000000000001
    name: admins
    members: [{ identity: member@uni.edu }, { identity: left@uni.edu, status: left }]
flows:
  - id: 5f000000-0000-4000-8000-000000000001
    title: Delta
    owner: 11111111-1111-4111-8111-111111111111
    flow_administrators: [admin@uni.edu, group:admins]
    flow_starters: [starter@uni.edu]
    flow_viewers: [urn:globus:auth:identity:a0000000-0000-4000-8000-000000000003]
    run_monitors: [monitor@uni.edu]
  - id: 5f000000-0000-4000-8000-000000000002
    title: Alpha
    owner: admin@uni.edu
    flow_starters: [all_authenticated_users]
    flow_viewers: [public]
  - { id: 5f000000-0000-4000-8000-000000000003, title: Echo, owner: 11111111-1111-4111-8111-111111111111 }
  - { id: 5f000000-0000-4000-8000-000000000004, title: Bravo, owner: 11111111-1111-4111-8111-111111111111 }
  - { id: 5f000000-0000-4000-8000-000000000005, title: Charlie, owner: 11111111-1111-4111-8111-111111111111 }
"#;

async fn start() -> RunningEmulator {
    let seed = Seed::from_yaml_str(&accord::services::builtin(), SEED).expect("seed");
    spawn(Emulator::new(seed)).await.expect("emulator")
}

/// The client's Flows token, issued for the scope the SDK asks for.
fn owner_token(em: &RunningEmulator) -> String {
    let t = accord::services::auth::emulator::issue_tokens(
        em.emulator.handle(),
        OWNER.parse().unwrap(),
        FLOWS_ALL,
    )
    .expect("owner token");
    assert_eq!(t.resource_server, "flows.globus.org");
    t.access_token
}

async fn call(
    em: &RunningEmulator,
    method: &str,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let url = format!("{}/flows{path}", em.base_url);
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = reqwest::Client::new()
        .request(method, url)
        .bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn get(em: &RunningEmulator, path: &str, token: &str) -> (u16, Value) {
    call(em, "GET", path, token, None).await
}

async fn put(em: &RunningEmulator, id: &str, token: &str, body: Value) -> (u16, Value) {
    call(em, "PUT", &format!("/flows/{id}"), token, Some(body)).await
}

fn identity(id: &str) -> String {
    format!("urn:globus:auth:identity:{id}")
}

fn assert_error(status: u16, body: &Value, want: u16, code: &str) {
    assert_eq!(status, want, "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(body["error"]["detail"].is_string() || body["error"]["detail"].is_array());
    let debug = body["debug_id"].as_str().expect("debug_id");
    assert!(debug.parse::<uuid::Uuid>().is_ok(), "{body}");
}

/// The ids of a listing page, in order.
fn ids(page: &Value) -> Vec<String> {
    page["flows"]
        .as_array()
        .unwrap_or_else(|| panic!("no flows in {page}"))
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect()
}

fn flow(n: u8) -> String {
    format!("5f000000-0000-4000-8000-0000000000{n:02}")
}

#[tokio::test]
async fn each_caller_sees_its_roles_and_only_administrators_see_the_lists() {
    let em = start().await;
    let owner = owner_token(&em);
    let path = format!("/flows/{F1}");

    let (s, doc) = get(&em, &path, &owner).await;
    assert_eq!(s, 200, "{doc}");
    assert_eq!(doc["id"], F1);
    assert_eq!(doc["flow_owner"], identity(OWNER));
    assert_eq!(doc["created_by"], identity(OWNER));
    assert_eq!(
        doc["flow_administrators"],
        json!([identity(ADMIN), format!("urn:globus:groups:id:{ADMINS}")])
    );
    assert_eq!(doc["flow_starters"], json!([identity(STARTER)]));
    assert_eq!(doc["flow_viewers"], json!([identity(VIEWER)]));
    assert_eq!(doc["run_monitors"], json!([identity(MONITOR)]));
    assert_eq!(doc["run_managers"], json!([]));
    assert_eq!(doc["user_role"], "flow_owner");
    assert_eq!(
        doc["user_roles"],
        json!([
            "flow_owner",
            "flow_administrator",
            "flow_starter",
            "flow_viewer",
            "flow_run_manager",
            "flow_run_monitor"
        ])
    );
    assert_eq!(
        doc["globus_auth_scope"],
        format!(
            "https://auth.globus.org/scopes/{F1}/flow_{}_user",
            F1.replace('-', "_")
        )
    );
    assert_eq!(doc["title"], "Delta");
    assert!(doc["updated_at"].as_str().unwrap().ends_with("+00:00"));

    // An administrator through the group sees the lists too.
    let (s, doc) = get(&em, &path, "member-t").await;
    assert_eq!(s, 200);
    assert_eq!(doc["user_role"], "flow_administrator");
    assert_eq!(doc["flow_viewers"], json!([identity(VIEWER)]));

    // Everyone else gets each list empty, and the owner.
    for (token, role, roles) in [
        (
            "starter-t",
            "flow_starter",
            json!(["flow_starter", "flow_viewer"]),
        ),
        ("viewer-t", "flow_viewer", json!(["flow_viewer"])),
        (
            "monitor-t",
            "flow_viewer",
            json!(["flow_viewer", "flow_run_monitor"]),
        ),
    ] {
        let (s, doc) = get(&em, &path, token).await;
        assert_eq!(s, 200, "{token}: {doc}");
        assert_eq!(doc["user_role"], role, "{token}");
        assert_eq!(doc["user_roles"], roles, "{token}");
        assert_eq!(doc["flow_owner"], identity(OWNER), "{token}");
        for list in [
            "flow_administrators",
            "flow_starters",
            "flow_viewers",
            "run_managers",
            "run_monitors",
        ] {
            assert_eq!(doc[list], json!([]), "{token}: {list}");
        }
    }

    // Public and all_authenticated_users reach anyone signed in.
    let (s, doc) = get(&em, &format!("/flows/{F2}"), "stranger-t").await;
    assert_eq!(s, 200, "{doc}");
    assert_eq!(doc["user_roles"], json!(["flow_starter", "flow_viewer"]));
}

#[tokio::test]
async fn hidden_and_missing_flows_are_one_404() {
    let em = start().await;
    for (token, id) in [("stranger-t", F1), ("left-t", F1), ("admin-t", MISSING)] {
        let (s, body) = get(&em, &format!("/flows/{id}"), token).await;
        assert_error(s, &body, 404, "NOT_FOUND");
        assert_eq!(
            body["error"]["detail"],
            format!("No Flow exists with id value {id}")
        );
        let (s, body) = put(&em, id, token, json!({"flow_viewers": []})).await;
        assert_error(s, &body, 404, "NOT_FOUND");
    }
    let (s, body) = get(&em, "/flows/not-a-uuid", "admin-t").await;
    assert_error(s, &body, 422, "UNPROCESSABLE_ENTITY");
    assert_eq!(
        body["error"]["detail"][0]["loc"],
        json!(["path", "flow_id"])
    );
}

#[tokio::test]
async fn only_administrators_and_the_owner_change_the_lists() {
    let em = start().await;
    for token in ["starter-t", "viewer-t", "monitor-t"] {
        let (s, body) = put(&em, F1, token, json!({"flow_viewers": ["public"]})).await;
        assert_error(s, &body, 403, "FORBIDDEN");
    }
    let (_, before) = get(&em, &format!("/flows/{F1}"), "admin-t").await;
    assert_eq!(before["flow_viewers"], json!([identity(VIEWER)]));

    // Partial: only the lists sent change, each replaced whole; [] clears.
    em.emulator.set_now("2030-01-02T03:04:05Z".parse().unwrap());
    let (s, doc) = put(
        &em,
        F1,
        "member-t",
        json!({"run_managers": [identity(STARTER)], "flow_viewers": ["public"], "run_monitors": []}),
    )
    .await;
    assert_eq!(s, 200, "{doc}");
    assert_eq!(doc["run_managers"], json!([identity(STARTER)]));
    assert_eq!(doc["flow_viewers"], json!(["public"]));
    assert_eq!(doc["run_monitors"], json!([]));
    assert_eq!(doc["flow_starters"], json!([identity(STARTER)]));
    assert_eq!(doc["flow_administrators"], before["flow_administrators"]);
    assert_eq!(doc["updated_at"], "2030-01-02T03:04:05.000000+00:00");
    assert_eq!(doc["created_at"], before["created_at"]);

    // An empty update changes nothing but the time.
    let (s, again) = put(&em, F1, "admin-t", json!({})).await;
    assert_eq!(s, 200);
    assert_eq!(again["flow_viewers"], json!(["public"]));

    // An administrator may remove every administrator; the group's members then only see
    // the flow (public viewers), and may change nothing.
    let (s, doc) = put(&em, F1, "admin-t", json!({"flow_administrators": []})).await;
    assert_eq!(s, 200, "{doc}");
    let (s, body) = put(&em, F1, "member-t", json!({"flow_viewers": []})).await;
    assert_error(s, &body, 403, "FORBIDDEN");
    let (s, doc) = get(&em, &format!("/flows/{F1}"), "member-t").await;
    assert_eq!(s, 200);
    assert_eq!(doc["user_role"], "flow_viewer");
    assert_eq!(doc["flow_viewers"], json!([]), "redacted now: {doc}");
    let owner = owner_token(&em);
    let (s, doc) = put(&em, F1, &owner, json!({"flow_viewers": []})).await;
    assert_eq!(s, 200);
    assert_eq!(doc["flow_administrators"], json!([]));
    let (s, body) = get(&em, &format!("/flows/{F1}"), "member-t").await;
    assert_error(s, &body, 404, "NOT_FOUND");
    assert_eq!(doc["flow_owner"], identity(OWNER));
}

#[tokio::test]
async fn bad_principals_answer_the_fixture_422_and_change_nothing() {
    let em = start().await;
    let bare = "ae341a98-d274-11e5-b888-dbae3a8ba545";
    let (s, body) = put(
        &em,
        F1,
        "admin-t",
        json!({"flow_administrators": [bare, identity(ADMIN), "group:admins"], "flow_viewers": []}),
    )
    .await;
    assert_error(s, &body, 422, "UNPROCESSABLE_ENTITY");
    assert_eq!(
        body["error"]["detail"],
        json!([
            {"loc": ["flow_administrators", 0],
             "msg": format!("Unrecognized principal string: \"{bare}\". Allowed principal types in role \"FlowAdministrator\": [<AuthGroupUrn>, <AuthIdentityUrn>]"),
             "type": "value_error"},
            {"loc": ["flow_administrators", 2],
             "msg": "Unrecognized principal string: \"group:admins\". Allowed principal types in role \"FlowAdministrator\": [<AuthGroupUrn>, <AuthIdentityUrn>]",
             "type": "value_error"}
        ])
    );
    // Special values only in their own lists.
    for (list, value, role) in [
        ("flow_starters", "public", "FlowStarter"),
        ("flow_viewers", "all_authenticated_users", "FlowViewer"),
        ("flow_administrators", "public", "FlowAdministrator"),
        ("run_managers", "all_authenticated_users", "RunManager"),
        ("run_monitors", "public", "RunMonitor"),
    ] {
        let (s, body) = put(&em, F1, "admin-t", json!({ list: [value] })).await;
        assert_error(s, &body, 422, "UNPROCESSABLE_ENTITY");
        assert_eq!(body["error"]["detail"][0]["loc"], json!([list, 0]));
        let msg = body["error"]["detail"][0]["msg"].as_str().unwrap();
        assert!(msg.contains(&format!("in role \"{role}\"")), "{msg}");
    }
    // Not a list (null included), not strings, not an object.
    for bad in [
        json!({"flow_viewers": null}),
        json!({"flow_viewers": "public"}),
        json!({"run_monitors": [7]}),
        json!(["flow_viewers"]),
    ] {
        let (s, body) = put(&em, F1, "admin-t", bad.clone()).await;
        assert_error(s, &body, 422, "UNPROCESSABLE_ENTITY");
        assert_eq!(
            body["error"]["detail"][0]["type"]
                .as_str()
                .unwrap()
                .split('.')
                .next(),
            Some("type_error"),
            "{bad}"
        );
    }
    // Ownership is taken, never given.
    let (s, body) = put(&em, F1, "admin-t", json!({"flow_owner": identity(VIEWER)})).await;
    assert_error(s, &body, 422, "UNPROCESSABLE_ENTITY");
    let (_, doc) = get(&em, &format!("/flows/{F1}"), "admin-t").await;
    assert_eq!(
        doc["flow_viewers"],
        json!([identity(VIEWER)]),
        "nothing changed"
    );
    assert_eq!(doc["flow_owner"], identity(OWNER));
    let (s, doc) = put(&em, F1, "admin-t", json!({"flow_owner": identity(ADMIN)})).await;
    assert_eq!(s, 200, "{doc}");
    assert_eq!(doc["flow_owner"], identity(ADMIN));
    assert_eq!(doc["created_by"], identity(OWNER));
}

#[tokio::test]
async fn listing_filters_by_role_in_every_spelling_and_form() {
    let em = start().await;
    let list = |q: &'static str, token: &'static str| {
        let em = &em;
        async move {
            let (s, page) = get(em, &format!("/flows{q}"), token).await;
            assert_eq!(s, 200, "{q}: {page}");
            ids(&page)
        }
    };
    // No filter: the flows the caller owns.
    assert_eq!(list("", "admin-t").await, [F2]);
    assert!(list("", "viewer-t").await.is_empty());
    let viewer_all = [F1.to_string(), F2.to_string()];
    for q in [
        "?filter_roles=flow_viewer",
        "?filter_roles=flow_viewers",
        "?filter_roles=flow_owner,flow_viewer",
        "?filter_roles=flow_owner&filter_roles=flow_viewers",
        "?filter_role=flow_viewer",
    ] {
        assert_eq!(list(q, "viewer-t").await, viewer_all, "{q}");
    }
    assert_eq!(list("?filter_roles=flow_starter", "viewer-t").await, [F2]);
    assert_eq!(list("?filter_roles=run_monitors", "monitor-t").await, [F1]);
    assert_eq!(
        list("?filter_roles=flow_run_monitor", "viewer-t").await,
        Vec::<String>::new()
    );
    assert_eq!(
        list("?filter_roles=flow_administrators", "member-t").await,
        [F1]
    );
    assert!(
        list("?filter_roles=flow_administrator", "left-t")
            .await
            .is_empty()
    );
    assert_eq!(
        list("?filter_fulltext=ALPH&filter_roles=flow_viewer", "viewer-t").await,
        [F2]
    );

    let (s, body) = get(&em, "/flows?filter_roles=flow_reader", "viewer-t").await;
    assert_error(s, &body, 422, "UNPROCESSABLE_ENTITY");
    assert_eq!(
        body["error"]["detail"][0]["loc"],
        json!(["query", "filter_roles"])
    );
    let (s, body) = get(&em, "/flows?orderby=colour%20ASC", "viewer-t").await;
    assert_error(s, &body, 422, "UNPROCESSABLE_ENTITY");
}

#[tokio::test]
async fn listing_pages_by_marker_in_order() {
    let em = start().await;
    let owner = owner_token(&em);
    // The client owns F1, F3, F4, F5: Delta, Echo, Bravo, Charlie.
    let (s, page) = get(
        &em,
        "/flows?filter_roles=flow_owner&orderby=title%20ASC&limit=3",
        &owner,
    )
    .await;
    assert_eq!(s, 200, "{page}");
    assert_eq!(ids(&page), [flow(4), flow(5), flow(1)]);
    assert_eq!(page["limit"], 3);
    assert_eq!(page["has_next_page"], true);
    let marker = page["marker"].as_str().expect("a marker").to_string();
    // The marker carries the query: what else is sent is ignored (the SDK re-sends it).
    let (s, next) = get(
        &em,
        &format!("/flows?marker={marker}&limit=1&filter_roles=flow_viewer"),
        &owner,
    )
    .await;
    assert_eq!(s, 200, "{next}");
    assert_eq!(ids(&next), [flow(3)]);
    assert_eq!(next["has_next_page"], false);
    assert_eq!(next["marker"], Value::Null);

    let (_, page) = get(
        &em,
        "/flows?filter_roles=flow_owner&orderby=title%20DESC",
        &owner,
    )
    .await;
    assert_eq!(ids(&page), [flow(3), flow(1), flow(5), flow(4)]);
    assert_eq!(page["limit"], 20);
    assert_eq!(page["has_next_page"], false);
    let (_, page) = get(
        &em,
        "/flows?filter_roles=flow_owner&orderby=id%20DESC",
        &owner,
    )
    .await;
    assert_eq!(ids(&page), [flow(5), flow(4), flow(3), flow(1)]);
    // Default order: by id.
    let (_, page) = get(&em, "/flows?filter_roles=flow_owner", &owner).await;
    assert_eq!(ids(&page), [flow(1), flow(3), flow(4), flow(5)]);

    // Listed documents are redacted like the flow's own.
    let (_, page) = get(&em, "/flows?filter_roles=flow_viewer", "starter-t").await;
    assert!(
        page["flows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["flow_starters"] == json!([]))
    );

    let (s, body) = get(&em, "/flows?marker=garbage", &owner).await;
    assert_error(s, &body, 422, "UNPROCESSABLE_ENTITY");
    let (s, body) = get(&em, "/flows?limit=0", &owner).await;
    assert_error(s, &body, 422, "UNPROCESSABLE_ENTITY");
}

#[tokio::test]
async fn delete_needs_an_administrator() {
    let em = start().await;
    let (s, body) = call(&em, "DELETE", &format!("/flows/{F1}"), "starter-t", None).await;
    assert_error(s, &body, 403, "FORBIDDEN");
    let (s, body) = call(&em, "DELETE", &format!("/flows/{F1}"), "admin-t", None).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["DELETED"], true);
    assert_eq!(body["id"], F1);
    let (s, body) = get(&em, &format!("/flows/{F1}"), "admin-t").await;
    assert_error(s, &body, 404, "NOT_FOUND");
}

#[tokio::test]
async fn tokens_must_be_flows_tokens_and_each_flow_has_its_scope() {
    let em = start().await;
    for token in ["nonsense", "stranger-groups"] {
        let (s, body) = get(&em, &format!("/flows/{F2}"), token).await;
        assert_error(s, &body, 401, "UNAUTHORIZED");
    }
    let issue = |scope: String| {
        accord::services::auth::emulator::issue_tokens(
            em.emulator.handle(),
            OWNER.parse().unwrap(),
            &scope,
        )
    };
    let own = format!(
        "https://auth.globus.org/scopes/{F1}/flow_{}_user",
        F1.replace('-', "_")
    );
    let t = issue(own).expect("a flow's own scope");
    assert_eq!(t.resource_server, F1);
    let other = format!(
        "https://auth.globus.org/scopes/{MISSING}/flow_{}_user",
        MISSING.replace('-', "_")
    );
    assert!(issue(other).is_none(), "no such flow");
    assert!(
        issue(format!(
            "https://auth.globus.org/scopes/{F1}/flow_other_user"
        ))
        .is_none()
    );
    for name in [
        "manage_flows",
        "view_flows",
        "run",
        "run_status",
        "run_manage",
    ] {
        let t = issue(format!(
            "https://auth.globus.org/scopes/eec9b274-0c81-4334-bdc2-54e90e689b9a/{name}"
        ))
        .unwrap_or_else(|| panic!("{name}"));
        assert_eq!(t.resource_server, "flows.globus.org");
    }
    assert!(issue("urn:globus:auth:scope:flows.globus.org:all".into()).is_some());
}
