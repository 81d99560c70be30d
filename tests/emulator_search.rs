//! The Search emulator (`/search`, paths `/v1/...`): the seed 002 role-filtering queries for
//! I, J and a member of H, visibility rules, `bypass_visible_to` for admins, ingest and its
//! task, subjects, index roles, and each row of the Search rights table of
//! `docs/emulator.md` (status and error code of the answer a caller without the right gets).

use accord::emulator::{Emulator, FaultRule, RunningEmulator, Seed, spawn};
use serde_json::{Value, json};

const OWNER: &str = "11111111-1111-4111-8111-111111111111";
const ADMIN: &str = "a0000000-0000-4000-8000-000000000001";
const WRITER: &str = "a0000000-0000-4000-8000-000000000002";
const I: &str = "c1000000-0000-4000-8000-000000000001";
const J: &str = "c2000000-0000-4000-8000-000000000002";
const K: &str = "c3000000-0000-4000-8000-000000000003";
const G: &str = "9a000000-0000-4000-8000-000000000001";
const H: &str = "9a000000-0000-4000-8000-000000000002";
const ROLES_INDEX: &str = "5e000000-0000-4000-8000-000000000001";
const OPEN_INDEX: &str = "5e000000-0000-4000-8000-000000000002";
const SEARCH_SCOPE: &str = "urn:globus:auth:scope:search.api.globus.org:all";

/// Seed 002 as a seed: I and J, groups G and H (I and K active members of H, L has left it),
/// doc0 to doc2 with the guide's principal sets (its `urn:globus::auth` typo fixed).
const SEED: &str = r#"
clients:
  - { client_id: 11111111-1111-4111-8111-111111111111, client_secret: owner-secret, name: owner }
identities:
  - { username: admin@uni.edu, id: a0000000-0000-4000-8000-000000000001,
      tokens: { search.api.globus.org: admin-search } }
  - { username: writer@uni.edu, id: a0000000-0000-4000-8000-000000000002,
      tokens: { search.api.globus.org: writer-search } }
  - { username: i@uni.edu, id: c1000000-0000-4000-8000-000000000001,
      tokens: { search.api.globus.org: i-search } }
  - { username: j@uni.edu, id: c2000000-0000-4000-8000-000000000002,
      tokens: { search.api.globus.org: j-search, groups.api.globus.org: j-groups } }
  - { username: k@uni.edu, id: c3000000-0000-4000-8000-000000000003,
      tokens: { search.api.globus.org: k-search } }
  - { username: l@uni.edu, tokens: { search.api.globus.org: l-search } }
groups:
  - { id: 9a000000-0000-4000-8000-000000000001, name: G }
  - id: 9a000000-0000-4000-8000-000000000002
    name: H
    members:
      - { identity: i@uni.edu }
      - { identity: k@uni.edu }
      - { identity: l@uni.edu, status: left }
search:
  indexes:
    5e000000-0000-4000-8000-000000000001:
      display_name: role filtering
      description: The role-based filtering guide
      roles:
        owner: [11111111-1111-4111-8111-111111111111]
        admin: [urn:globus:auth:identity:a0000000-0000-4000-8000-000000000001]
        writer: [writer@uni.edu]
      entries:
        - { subject: doc0, visible_to: [public], content: { foo: value0 } }
        - subject: doc1
          visible_to: [public]
          principal_sets:
            curator: [urn:globus:auth:identity:c1000000-0000-4000-8000-000000000001,
                      urn:globus:auth:identity:c2000000-0000-4000-8000-000000000002]
            contributor: [urn:globus:groups:id:9a000000-0000-4000-8000-000000000001]
          content: { foo: value1 }
        - subject: doc2
          visible_to: [public]
          principal_sets: { contributor: [group:H] }
          content: { foo: value2 }
    5e000000-0000-4000-8000-000000000002:
      display_name: visibility
      roles:
        owner: [11111111-1111-4111-8111-111111111111]
        writer: [group:H]
      entries:
        - { subject: pub, visible_to: [public], content: { t: pub } }
        - { subject: authn, visible_to: [all_authenticated_users], content: { t: authn } }
        - { subject: only-j, visible_to: [j@uni.edu], content: { t: only-j } }
        - { subject: only-h, visible_to: [group:H], content: { t: only-h } }
        - { subject: nobody, visible_to: [], content: { t: nobody } }
        - { subject: mixed, visible_to: [public], content: { t: default-entry } }
        - { subject: mixed, id: secret, visible_to: [group:G], content: { t: secret-entry } }
"#;

fn seed() -> Seed {
    Seed::from_yaml_str(&accord::services::builtin(), SEED).expect("seed")
}

async fn start() -> RunningEmulator {
    spawn(Emulator::new(seed())).await.expect("emulator")
}

/// The owner client's Search token, issued as the token endpoint would.
fn owner_token(em: &RunningEmulator) -> String {
    accord::services::auth::emulator::issue_tokens(
        em.emulator.handle(),
        OWNER.parse().unwrap(),
        SEARCH_SCOPE,
    )
    .expect("owner token")
    .access_token
}

/// Sends one request to `/search{path}`; answers the status and the JSON body.
/// A search query (`POST /v1/index/{index}/search`) with a token.
async fn query(em: &RunningEmulator, index: &str, token: &str, body: Value) -> (u16, Value) {
    call(
        em,
        "POST",
        &format!("/v1/index/{index}/search"),
        Some(token),
        Some(body),
    )
    .await
}

async fn call(
    em: &RunningEmulator,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let url = format!("{}/search{path}", em.base_url);
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = reqwest::Client::new().request(method, url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn get(em: &RunningEmulator, path: &str, token: Option<&str>) -> (u16, Value) {
    call(em, "GET", path, token, None).await
}

/// The subjects of a search answer, in order.
fn subjects(body: &Value) -> Vec<String> {
    body["gmeta"]
        .as_array()
        .unwrap_or_else(|| panic!("no gmeta in {body}"))
        .iter()
        .map(|g| g["subject"].as_str().unwrap().to_string())
        .collect()
}

/// `GET .../search?q=*&filter_principal_sets=<sets>` as `token`: the subjects found.
async fn filtered(
    em: &RunningEmulator,
    index: &str,
    sets: &str,
    token: Option<&str>,
) -> Vec<String> {
    let mut path = format!("/v1/index/{index}/search?q=*");
    if !sets.is_empty() {
        path.push_str(&format!("&filter_principal_sets={sets}"));
    }
    let (status, body) = get(em, &path, token).await;
    assert_eq!(status, 200, "{body}");
    subjects(&body)
}

fn assert_error(status: u16, body: &Value, want_status: u16, code: &str) {
    assert_eq!(status, want_status, "{body}");
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["@datatype"], "GError", "{body}");
    assert_eq!(body["status"], want_status, "{body}");
    assert!(body["request_id"].is_string(), "{body}");
}

/// Polls a task until it ends; answers the states seen.
async fn poll(em: &RunningEmulator, task: &str, token: &str) -> Vec<String> {
    let mut seen = Vec::new();
    for _ in 0..5 {
        let (status, body) = get(em, &format!("/v1/task/{task}"), Some(token)).await;
        assert_eq!(status, 200, "{body}");
        let state = body["state"].as_str().unwrap().to_string();
        seen.push(state.clone());
        if state == "SUCCESS" || state == "FAILED" {
            break;
        }
    }
    seen
}

/// The guide's GIngest document, with the URN typo fixed.
fn guide_ingest() -> Value {
    json!({
        "ingest_type": "GMetaList",
        "ingest_data": {"gmeta": [
            {"subject": "doc0", "visible_to": ["public"], "content": {"foo": "value0"}},
            {"subject": "doc1", "visible_to": ["public"],
             "principal_sets": {
                "curator": [format!("urn:globus:auth:identity:{I}"), format!("urn:globus:auth:identity:{J}")],
                "contributor": [format!("urn:globus:groups:id:{G}")]},
             "content": {"foo": "value1"}},
            {"subject": "doc2", "visible_to": ["public"],
             "principal_sets": {"contributor": [format!("urn:globus:groups:id:{H}")]},
             "content": {"foo": "value2"}}
        ]}
    })
}

/// The guide's three queries, for I, J, K (a member of H) and an anonymous caller.
async fn assert_guide_results(em: &RunningEmulator, index: &str) {
    let (i, j, k) = (Some("i-search"), Some("j-search"), Some("k-search"));
    // "I and J would find only doc1" with filter_principal_sets=curator.
    assert_eq!(filtered(em, index, "curator", i).await, ["doc1"]);
    assert_eq!(filtered(em, index, "curator", j).await, ["doc1"]);
    // "If I is a member of group H, they would find doc1 and doc2" with curator,contributor.
    assert_eq!(
        filtered(em, index, "curator,contributor", i).await,
        ["doc1", "doc2"]
    );
    assert_eq!(
        filtered(em, index, "curator,contributor", j).await,
        ["doc1"]
    );
    assert_eq!(
        filtered(em, index, "curator,contributor", k).await,
        ["doc2"]
    );
    assert!(filtered(em, index, "curator", k).await.is_empty());
    // "For any user, the following query is valid but returns no results".
    for who in [i, j, k, None] {
        assert!(filtered(em, index, "nosuchrole", who).await.is_empty());
    }
    // Without a filter, everything public is found, by anybody.
    for who in [i, j, k, None] {
        assert_eq!(filtered(em, index, "", who).await, ["doc0", "doc1", "doc2"]);
    }
    // An anonymous caller is in no principal set.
    assert!(
        filtered(em, index, "curator,contributor", None)
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn seed_002_queries_give_the_documented_results() {
    let em = start().await;
    assert_guide_results(&em, ROLES_INDEX).await;
    // matched_principal_sets names the sets holding the caller.
    let (_, body) = get(
        &em,
        &format!("/v1/index/{ROLES_INDEX}/search?q=*"),
        Some("i-search"),
    )
    .await;
    let matched: Vec<(String, Value)> = body["gmeta"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["subject"].as_str().unwrap().to_string(),
                g["entries"][0]["matched_principal_sets"].clone(),
            )
        })
        .collect();
    assert_eq!(
        matched,
        [
            ("doc0".to_string(), json!([])),
            ("doc1".to_string(), json!(["curator"])),
            ("doc2".to_string(), json!(["contributor"])),
        ]
    );
    assert_eq!(body["@datatype"], "GSearchResult");
    assert_eq!(body["gmeta"][0]["@datatype"], "GMetaResult");
    assert_eq!(body["gmeta"][0]["entries"][0]["entry_id"], Value::Null);
    assert_eq!(
        body["gmeta"][0]["entries"][0]["content"],
        json!({"foo": "value0"})
    );
    assert!(body["gmeta"][0]["entries"][0].get("visible_to").is_none());
    // POST takes the same filter as a list.
    let (status, body) = query(
        &em,
        ROLES_INDEX,
        "i-search",
        json!({"@version": "2017-09-01", "q": "*", "limit": 10,
                    "filter_principal_sets": ["curator", "contributor"]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(subjects(&body), ["doc1", "doc2"]);
}

#[tokio::test]
async fn the_guide_ingested_through_the_api_gives_the_same_results() {
    let em = start().await;
    let owner = owner_token(&em);
    // A fresh index: the owner clears the roles index's subjects, then the writer ingests.
    for doc in ["doc0", "doc1", "doc2"] {
        let (status, body) = call(
            &em,
            "DELETE",
            &format!("/v1/index/{ROLES_INDEX}/subject?subject={doc}"),
            Some(&owner),
            None,
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["acknowledged"], true);
    }
    assert!(
        filtered(&em, ROLES_INDEX, "", Some("i-search"))
            .await
            .is_empty()
    );
    let (status, body) = call(
        &em,
        "POST",
        &format!("/v1/index/{ROLES_INDEX}/ingest"),
        Some("writer-search"),
        Some(guide_ingest()),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["acknowledged"], true);
    let task = body["task_id"].as_str().unwrap().to_string();
    assert!(task.parse::<uuid::Uuid>().is_ok());
    // The first poll answers PENDING, the next SUCCESS; the task stays SUCCESS.
    assert_eq!(
        poll(&em, &task, "writer-search").await,
        ["PENDING", "SUCCESS"]
    );
    let (_, t) = get(&em, &format!("/v1/task/{task}"), Some("writer-search")).await;
    assert_eq!(t["state"], "SUCCESS");
    assert_eq!(t["state_description"], "Task succeeded");
    assert_eq!(t["index_id"], ROLES_INDEX);
    assert!(t["completion_date"].is_string());
    assert_eq!(t["message"], Value::Null);
    assert_guide_results(&em, ROLES_INDEX).await;
    // The task list shows it (most recent first) to writers.
    let (status, list) = get(
        &em,
        &format!("/v1/task_list/{ROLES_INDEX}"),
        Some("writer-search"),
    )
    .await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["index_id"], ROLES_INDEX);
    assert_eq!(list["tasks"][0]["task_id"], task.as_str());
    assert_eq!(list["tasks"][0]["task_type"], "INGEST");
    assert_eq!(list["tasks"].as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn visible_to_public_authenticated_identity_and_group() {
    let em = start().await;
    let see = |token: Option<&'static str>| {
        let em = &em;
        async move { filtered(em, OPEN_INDEX, "", token).await }
    };
    assert_eq!(see(None).await, ["mixed", "pub"]);
    assert_eq!(
        see(Some("j-search")).await,
        ["authn", "mixed", "only-j", "pub"]
    );
    // I and K are active members of H; L has left it.
    assert_eq!(
        see(Some("i-search")).await,
        ["authn", "mixed", "only-h", "pub"]
    );
    assert_eq!(
        see(Some("k-search")).await,
        ["authn", "mixed", "only-h", "pub"]
    );
    assert_eq!(see(Some("l-search")).await, ["authn", "mixed", "pub"]);
    // The owner sees only what is visible to it, unless it bypasses visible_to.
    let owner = owner_token(&em);
    assert_eq!(
        see_owner(&em, &owner, false).await,
        ["authn", "mixed", "pub"]
    );
    assert_eq!(
        see_owner(&em, &owner, true).await,
        ["authn", "mixed", "nobody", "only-h", "only-j", "pub"]
    );
    // Entries of one subject are filtered one by one.
    let (status, body) = get(
        &em,
        &format!("/v1/index/{OPEN_INDEX}/subject?subject=mixed"),
        Some("j-search"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["entries"].as_array().unwrap().len(), 1);
    assert_eq!(body["entries"][0]["content"], json!({"t": "default-entry"}));
}

async fn see_owner(em: &RunningEmulator, owner: &str, bypass: bool) -> Vec<String> {
    let (status, body) = get(
        em,
        &format!("/v1/index/{OPEN_INDEX}/search?q=*&bypass_visible_to={bypass}"),
        Some(owner),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // `fields` defaults to content: bypassing alone shows every entry, not its lists.
    for g in body["gmeta"].as_array().unwrap() {
        for e in g["entries"].as_array().unwrap() {
            assert!(e["content"].is_object(), "{e}");
            assert!(
                e.get("visible_to").is_none() && e.get("principal_sets").is_none(),
                "{e}"
            );
        }
    }
    subjects(&body)
}

#[tokio::test]
async fn bypass_visible_to_is_for_admins_and_owners() {
    let em = start().await;
    let owner = owner_token(&em);
    let subject = format!("/v1/index/{OPEN_INDEX}/subject?subject=nobody");
    let (status, body) = get(&em, &subject, Some(&owner)).await;
    assert_error(status, &body, 404, "NotFound.Generic");
    let (status, body) = get(
        &em,
        &format!("{subject}&bypass_visible_to=true"),
        Some(&owner),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["subject"], "nobody");
    assert_eq!(body["entries"][0]["visible_to"], json!([]));
    assert_eq!(body["entries"][0]["principal_sets"], json!({}));
    // The admin of the roles index sees principal sets with bypass.
    let (status, body) = get(
        &em,
        &format!("/v1/index/{ROLES_INDEX}/subject?subject=doc1&bypass_visible_to=true"),
        Some("admin-search"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["entries"][0]["principal_sets"]["contributor"],
        json!([format!("urn:globus:groups:id:{G}")])
    );
    assert_eq!(body["entries"][0]["visible_to"], json!(["public"]));
    // Writers and readers may not bypass; anonymous callers must sign in.
    for token in ["writer-search", "j-search"] {
        let (status, body) = get(
            &em,
            &format!("/v1/index/{ROLES_INDEX}/search?q=*&bypass_visible_to=true"),
            Some(token),
        )
        .await;
        assert_error(status, &body, 403, "Forbidden.Generic");
        assert_eq!(body["message"], "query request denied by service");
        assert!(body["error_data"]["cause"].is_string());
    }
    let (status, body) = get(
        &em,
        &format!("/v1/index/{ROLES_INDEX}/subject?subject=doc1&bypass_visible_to=true"),
        None,
    )
    .await;
    assert_error(status, &body, 401, "Unauthorized.Generic");
    // `fields` asks for visible_to without bypassing: only admins get it.
    let post = |token: &'static str| {
        query(
            &em,
            ROLES_INDEX,
            token,
            json!({"@version": "query#1.0.0", "q": "doc1",
                   "fields": ["visible_to", "principal_sets"]}),
        )
    };
    let (status, body) = post("admin-search").await;
    assert_eq!(status, 200, "{body}");
    let e = &body["gmeta"][0]["entries"][0];
    assert_eq!(e["visible_to"], json!(["public"]));
    assert!(e.get("content").is_none(), "{e}");
    let (_, body) = post("i-search").await;
    let e = &body["gmeta"][0]["entries"][0];
    assert!(
        e.get("visible_to").is_none() && e.get("content").is_none(),
        "{e}"
    );
    // accord's read: bypassing, every subject with its lists and no content.
    let (status, body) = query(
        &em,
        OPEN_INDEX,
        &owner,
        json!({"@version": "query#1.0.0", "q": "*", "limit": 1000, "offset": 0,
                    "bypass_visible_to": true, "fields": ["visible_to", "principal_sets"]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        subjects(&body),
        ["authn", "mixed", "nobody", "only-h", "only-j", "pub"]
    );
    for g in body["gmeta"].as_array().unwrap() {
        for e in g["entries"].as_array().unwrap() {
            assert!(e["visible_to"].is_array(), "{e}");
            assert!(e["principal_sets"].is_object(), "{e}");
            assert!(e.get("content").is_none(), "{e}");
        }
    }
    // One list alone when only it is named.
    let (status, body) = query(
        &em,
        OPEN_INDEX,
        &owner,
        json!({"@version": "query#1.0.0", "q": "*", "bypass_visible_to": true,
                    "fields": ["principal_sets", "content"]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let e = &body["gmeta"][0]["entries"][0];
    assert!(
        e["principal_sets"].is_object() && e["content"].is_object(),
        "{e}"
    );
    assert!(e.get("visible_to").is_none(), "{e}");
    // `fields` is not part of a 2017-09-01 body (nor of one without @version).
    for version in [json!("2017-09-01"), Value::Null] {
        let mut q = json!({"q": "*", "bypass_visible_to": true, "fields": ["visible_to"]});
        if !version.is_null() {
            q["@version"] = version;
        }
        let (status, body) = query(&em, OPEN_INDEX, &owner, q).await;
        assert_error(status, &body, 400, "BadRequest.ValidationError");
        assert_eq!(
            body["error_data"]["messages"]["json"]["fields"],
            json!(["Unknown field."])
        );
    }
    let (status, body) = query(
        &em,
        OPEN_INDEX,
        &owner,
        json!({"@version": "query#2.0.0", "q": "*"}),
    )
    .await;
    assert_error(status, &body, 400, "BadRequest.ValidationError");
    assert!(body["error_data"]["messages"]["json"]["@version"].is_array());
}

#[tokio::test]
async fn subjects_get_and_delete() {
    let em = start().await;
    let path = format!("/v1/index/{OPEN_INDEX}/subject?subject=only-h");
    let (status, body) = get(&em, &path, Some("k-search")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["@datatype"], "GMetaResult");
    assert_eq!(body["subject"], "only-h");
    assert_eq!(
        body["entries"],
        json!([{"entry_id": null, "content": {"t": "only-h"}, "matched_principal_sets": []}])
    );
    let (status, body) = get(&em, &path, Some("j-search")).await;
    assert_error(status, &body, 404, "NotFound.Generic");
    let (status, body) = get(&em, &path, None).await;
    assert_error(status, &body, 404, "NotFound.Generic");
    let (status, body) = get(&em, &format!("/v1/index/{OPEN_INDEX}/subject"), None).await;
    assert_error(status, &body, 400, "BadRequest.ValidationError");
    assert_eq!(
        body["error_data"]["messages"]["query"]["subject"],
        json!(["Missing data for required field."])
    );
    // Deleting needs writer (K writes through H) and removes entries the caller cannot see.
    let del = format!("/v1/index/{OPEN_INDEX}/subject?subject=mixed");
    let (status, body) = call(&em, "DELETE", &del, Some("j-search"), None).await;
    assert_error(status, &body, 403, "Forbidden.Generic");
    let (status, body) = call(&em, "DELETE", &del, Some("k-search"), None).await;
    assert_eq!(status, 200, "{body}");
    let task = body["task_id"].as_str().unwrap().to_string();
    assert_eq!(poll(&em, &task, "k-search").await, ["PENDING", "SUCCESS"]);
    let owner = owner_token(&em);
    let (status, _) = get(&em, &format!("{del}&bypass_visible_to=true"), Some(&owner)).await;
    assert_eq!(status, 404);
    // Deleting an absent subject is a task that succeeds.
    let (status, _) = call(&em, "DELETE", &del, Some("k-search"), None).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn ingest_validates_its_body() {
    let em = start().await;
    let path = format!("/v1/index/{OPEN_INDEX}/ingest");
    let send = |body: Value| {
        let em = &em;
        let path = path.clone();
        async move { call(em, "POST", &path, Some("k-search"), Some(body)).await }
    };
    // The reference's example: visible_to missing.
    let (status, body) = send(json!({"ingest_type": "GMetaEntry",
        "ingest_data": {"subject": "x", "content": {}}}))
    .await;
    assert_error(status, &body, 400, "BadRequest.ValidationError");
    assert_eq!(body["message"], "Request failed input validation.");
    assert_eq!(
        body["error_data"],
        json!({"messages": {"json": {"ingest_data": {"visible_to": ["Missing data for required field."]}}}})
    );
    // In a list, the item's index is in the path; every problem is reported.
    let (status, body) = send(
        json!({"ingest_type": "GMetaList", "ingest_data": {"gmeta": [
        {"subject": "ok", "visible_to": ["public"], "content": {}},
        {"visible_to": ["urn:globus::auth:identity:I"], "content": []}]}}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let item = &body["error_data"]["messages"]["json"]["ingest_data"]["gmeta"]["1"];
    assert_eq!(item["subject"], json!(["Missing data for required field."]));
    assert!(
        item["visible_to"][0]
            .as_str()
            .unwrap()
            .contains("Not a valid principal")
    );
    assert_eq!(item["content"], json!(["Not a valid mapping type."]));
    // Nothing of a refused ingest is applied.
    let owner = owner_token(&em);
    let (status, _) = get(
        &em,
        &format!("/v1/index/{OPEN_INDEX}/subject?subject=ok&bypass_visible_to=true"),
        Some(&owner),
    )
    .await;
    assert_eq!(status, 404);
    let (status, body) = send(json!({"ingest_type": "GMetaThing", "ingest_data": {}})).await;
    assert_eq!(status, 400);
    assert_eq!(
        body["error_data"]["messages"]["json"]["ingest_type"],
        json!(["Must be one of: GMetaEntry, GMetaList."])
    );
    let long = "s".repeat(501);
    let (status, body) = send(json!({"ingest_type": "GMetaEntry",
        "ingest_data": {"subject": long, "visible_to": ["public"], "content": {}}}))
    .await;
    assert_eq!(status, 400, "{body}");
    let many: Vec<String> = (0..101).map(|_| "public".to_string()).collect();
    let (status, _) = send(json!({"ingest_type": "GMetaEntry",
        "ingest_data": {"subject": "x", "visible_to": many, "content": {}}}))
    .await;
    assert_eq!(status, 400);
    let (status, body) = send(json!({"ingest_type": "GMetaEntry",
        "ingest_data": {"subject": "x", "visible_to": ["public"], "content": {},
                        "principal_sets": {"curator": ["public"]}}}))
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error_data"]["messages"]["json"]["ingest_data"]["principal_sets"]["curator"]
            .is_array()
    );
    // Not JSON at all.
    let resp = reqwest::Client::new()
        .post(format!("{}/search{path}", em.base_url))
        .bearer_auth("k-search")
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["code"], "BadRequest.Generic");
}

#[tokio::test]
async fn ingest_upserts_by_subject_and_entry_id_and_keeps_content_verbatim() {
    let em = start().await;
    let path = format!("/v1/index/{OPEN_INDEX}/ingest");
    let content = json!({"nested": {"list": [1, 2.5, "x", null, {"deep": true}]}, "u": "ünï"});
    let (status, body) = call(
        &em,
        "POST",
        &path,
        Some("i-search"),
        Some(json!({"ingest_type": "GMetaEntry", "ingest_data": {
            "@version": "2017-09-01", "subject": "https://example.org/a b", "id": null,
            "visible_to": ["all_authenticated_users"], "content": content,
            "x_future": 1}})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (_, got) = get(
        &em,
        "/v1/index/5e000000-0000-4000-8000-000000000002/subject?subject=https%3A%2F%2Fexample.org%2Fa%20b",
        Some("j-search"),
    )
    .await;
    assert_eq!(got["entries"][0]["content"], content);
    // Same (subject, id): replaced. Another id: added beside it.
    for (id, t) in [(Value::Null, "second"), (json!("other"), "third")] {
        let (status, _) = call(
            &em,
            "POST",
            &path,
            Some("i-search"),
            Some(json!({"ingest_type": "GMetaEntry", "ingest_data": {
                "subject": "https://example.org/a b", "id": id,
                "visible_to": ["public"], "content": {"t": t}}})),
        )
        .await;
        assert_eq!(status, 200);
    }
    let (_, got) = get(
        &em,
        "/v1/index/5e000000-0000-4000-8000-000000000002/subject?subject=https%3A%2F%2Fexample.org%2Fa%20b",
        None,
    )
    .await;
    assert_eq!(
        got["entries"],
        json!([
            {"entry_id": null, "content": {"t": "second"}, "matched_principal_sets": []},
            {"entry_id": "other", "content": {"t": "third"}, "matched_principal_sets": []}
        ])
    );
}

#[tokio::test]
async fn an_eleventh_entry_fails_the_task_and_applies_nothing() {
    let em = start().await;
    let gmeta: Vec<Value> = (0..11)
        .map(|i| json!({"subject": "crowded", "id": format!("e{i}"), "visible_to": ["public"], "content": {}}))
        .collect();
    let (status, body) = call(
        &em,
        "POST",
        &format!("/v1/index/{OPEN_INDEX}/ingest"),
        Some("i-search"),
        Some(json!({"ingest_type": "GMetaList", "ingest_data": {"gmeta": gmeta}})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let task = body["task_id"].as_str().unwrap().to_string();
    assert_eq!(poll(&em, &task, "i-search").await, ["PENDING", "FAILED"]);
    let (_, t) = get(&em, &format!("/v1/task/{task}"), Some("i-search")).await;
    assert!(
        t["message"]
            .as_str()
            .unwrap()
            .contains("more than 10 entries")
    );
    let (status, _) = get(
        &em,
        &format!("/v1/index/{OPEN_INDEX}/subject?subject=crowded"),
        None,
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn queries_match_terms_and_paginate() {
    let em = start().await;
    let base = format!("/v1/index/{OPEN_INDEX}/search");
    let (_, body) = get(&em, &format!("{base}?q=authn"), Some("j-search")).await;
    assert_eq!(subjects(&body), ["authn"]);
    let (_, body) = get(&em, &format!("{base}?q=t:only-j"), Some("j-search")).await;
    assert_eq!(subjects(&body), ["only-j"]);
    let (_, body) = get(&em, &format!("{base}?q=secret"), Some("j-search")).await;
    assert!(
        subjects(&body).is_empty(),
        "an invisible entry matches nothing"
    );
    let (_, body) = get(
        &em,
        &format!("{base}?q=*&limit=2&offset=1"),
        Some("j-search"),
    )
    .await;
    assert_eq!(subjects(&body), ["mixed", "only-j"]);
    assert_eq!(body["count"], 2);
    assert_eq!(body["offset"], 1);
    assert_eq!(body["total"], 4);
    assert_eq!(body["has_next_page"], true);
    let (_, body) = get(
        &em,
        &format!("{base}?q=*&limit=2&offset=2"),
        Some("j-search"),
    )
    .await;
    assert_eq!(body["has_next_page"], false);
    let (status, body) = get(&em, &format!("{base}?limit=2"), None).await;
    assert_error(status, &body, 400, "BadRequest.ValidationError");
    let (status, body) = get(&em, &format!("{base}?q=*&offset=9999&limit=10"), None).await;
    assert_error(status, &body, 400, "BadRequest.ValidationError");
    let (status, body) = get(&em, &format!("{base}?q=*&limit=ten"), None).await;
    assert_error(status, &body, 400, "BadRequest.ValidationError");
    let (status, body) = get(&em, &format!("{base}?q=*&fields=everything"), None).await;
    assert_error(status, &body, 400, "BadRequest.ValidationError");
}

#[tokio::test]
async fn index_roles_create_list_delete() {
    let em = start().await;
    let owner = owner_token(&em);
    let roles = format!("/v1/index/{ROLES_INDEX}/role");
    let list = format!("/v1/index/{ROLES_INDEX}/role_list");
    let (status, body) = get(&em, &list, Some("admin-search")).await;
    assert_eq!(status, 200, "{body}");
    let seeded = body["role_list"].as_array().unwrap().clone();
    assert_eq!(seeded.len(), 3);
    assert_eq!(seeded[0]["role_name"], "owner");
    assert_eq!(
        seeded[0]["principal"],
        format!("urn:globus:auth:identity:{OWNER}")
    );
    assert_eq!(seeded[0]["principal_type"], "identity");
    assert_eq!(seeded[0]["index_id"], ROLES_INDEX);
    assert_eq!(
        seeded[2]["principal"],
        format!("urn:globus:auth:identity:{WRITER}")
    );
    // An admin creates a writer (a group).
    let (status, role) = call(
        &em,
        "POST",
        &roles,
        Some("admin-search"),
        Some(json!({"role_name": "writer", "principal": format!("urn:globus:groups:id:{G}")})),
    )
    .await;
    assert_eq!(status, 200, "{role}");
    assert_eq!(role["principal_type"], "group");
    assert_eq!(role["role_name"], "writer");
    let id = role["id"].as_str().unwrap().to_string();
    assert!(id.parse::<uuid::Uuid>().is_err() && !id.is_empty());
    let date = role["creation_date"].as_str().unwrap();
    assert_eq!(date.len(), 19);
    assert_eq!(&date[10..11], " ");
    // The same role again: 409.
    let (status, body) = call(
        &em,
        "POST",
        &roles,
        Some("admin-search"),
        Some(json!({"role_name": "writer", "principal": format!("urn:globus:groups:id:{G}")})),
    )
    .await;
    assert_error(status, &body, 409, "Conflict.DuplicateRole");
    // Only owners create owners.
    let new_owner =
        json!({"role_name": "owner", "principal": format!("urn:globus:auth:identity:{ADMIN}")});
    let (status, body) = call(
        &em,
        "POST",
        &roles,
        Some("admin-search"),
        Some(new_owner.clone()),
    )
    .await;
    assert_error(status, &body, 403, "AccessForbidden.NeedsOwner");
    let (status, second_owner) = call(&em, "POST", &roles, Some(&owner), Some(new_owner)).await;
    assert_eq!(status, 200, "{second_owner}");
    // Bad bodies.
    for (body, field) in [
        (
            json!({"role_name": "reader", "principal": format!("urn:globus:auth:identity:{J}")}),
            "role_name",
        ),
        (
            json!({"role_name": "writer", "principal": "public"}),
            "principal",
        ),
        (json!({"role_name": "writer", "principal": J}), "principal"),
        (json!({"role_name": "writer"}), "principal"),
    ] {
        let (status, answer) = call(&em, "POST", &roles, Some(&owner), Some(body)).await;
        assert_error(status, &answer, 400, "BadRequest.ValidationError");
        assert!(
            answer["error_data"]["messages"]["json"][field].is_array(),
            "{answer}"
        );
    }
    // Delete: the new writer role, then an owner while two remain, then not the last owner.
    let (status, body) = call(
        &em,
        "DELETE",
        &format!("{roles}/{id}"),
        Some("admin-search"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["success"], true);
    assert_eq!(body["deleted"]["id"], id.as_str());
    let (status, body) = call(
        &em,
        "DELETE",
        &format!("{roles}/{id}"),
        Some("admin-search"),
        None,
    )
    .await;
    assert_error(status, &body, 404, "NotFound.Generic");
    let first_owner = seeded[0]["id"].as_str().unwrap();
    let (status, body) = call(
        &em,
        "DELETE",
        &format!("{roles}/{first_owner}"),
        Some("admin-search"),
        None,
    )
    .await;
    assert_eq!(status, 200, "admins may delete owner roles: {body}");
    let last = second_owner["id"].as_str().unwrap();
    let (status, body) = call(
        &em,
        "DELETE",
        &format!("{roles}/{last}"),
        Some("admin-search"),
        None,
    )
    .await;
    assert_error(status, &body, 409, "Conflict.LastOwner");
    let (_, body) = get(&em, &list, Some("admin-search")).await;
    let names: Vec<&str> = body["role_list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["role_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["admin", "writer", "owner"]);
}

#[tokio::test]
async fn fifty_roles_at_most() {
    let em = start().await;
    let owner = owner_token(&em);
    let roles = format!("/v1/index/{ROLES_INDEX}/role");
    for n in 3..50 {
        let principal = format!("urn:globus:auth:identity:00000000-0000-4000-8000-{n:012}");
        let (status, body) = call(
            &em,
            "POST",
            &roles,
            Some(&owner),
            Some(json!({"role_name": "writer", "principal": principal})),
        )
        .await;
        assert_eq!(status, 200, "{body}");
    }
    let (status, body) = call(
        &em,
        "POST",
        &roles,
        Some(&owner),
        Some(json!({"role_name": "writer", "principal": format!("urn:globus:auth:identity:{J}")})),
    )
    .await;
    assert_error(status, &body, 409, "Conflict.LimitExceeded");
    assert_eq!(body["message"], "Role limit exceeded");
}

/// One row of the rights table: method, path, body, a token allowed, a token denied (none:
/// anonymous), and the denied answer's status and code.
type Row<'a> = (
    &'a str,
    String,
    Option<Value>,
    &'a str,
    Option<&'a str>,
    u16,
    &'a str,
);

/// Each row of the Search rights table: (method, path, body, allowed token, denied token,
/// denied status, denied code).
#[tokio::test]
async fn rights_table() {
    let em = start().await;
    let ix = ROLES_INDEX;
    let ingest = json!({"ingest_type": "GMetaEntry",
        "ingest_data": {"subject": "r", "visible_to": ["public"], "content": {}}});
    let role = json!({"role_name": "writer", "principal": format!("urn:globus:auth:identity:{K}")});
    let (_, submitted) = call(
        &em,
        "POST",
        &format!("/v1/index/{ix}/ingest"),
        Some("writer-search"),
        Some(ingest.clone()),
    )
    .await;
    let task = submitted["task_id"].as_str().unwrap().to_string();
    let rows: Vec<Row> = vec![
        (
            "POST",
            format!("/v1/index/{ix}/ingest"),
            Some(ingest.clone()),
            "writer-search",
            Some("j-search"),
            403,
            "Forbidden.Generic",
        ),
        (
            "POST",
            format!("/v1/index/{ix}/ingest"),
            Some(ingest),
            "admin-search",
            None,
            401,
            "Unauthorized.Generic",
        ),
        (
            "DELETE",
            format!("/v1/index/{ix}/subject?subject=r"),
            None,
            "writer-search",
            Some("i-search"),
            403,
            "Forbidden.Generic",
        ),
        (
            "GET",
            format!("/v1/task/{task}"),
            None,
            "admin-search",
            Some("j-search"),
            403,
            "Forbidden.Generic",
        ),
        (
            "GET",
            format!("/v1/task/{task}"),
            None,
            "writer-search",
            None,
            401,
            "Unauthorized.Generic",
        ),
        (
            "GET",
            format!("/v1/task_list/{ix}"),
            None,
            "writer-search",
            Some("j-search"),
            403,
            "Forbidden.Generic",
        ),
        (
            "POST",
            format!("/v1/index/{ix}/role"),
            Some(role.clone()),
            "admin-search",
            Some("writer-search"),
            403,
            "Forbidden.Generic",
        ),
        (
            "GET",
            format!("/v1/index/{ix}/role_list"),
            None,
            "admin-search",
            Some("writer-search"),
            403,
            "Forbidden.Generic",
        ),
        (
            "GET",
            format!("/v1/index/{ix}/role_list"),
            None,
            "admin-search",
            None,
            401,
            "Unauthorized.Generic",
        ),
        (
            "GET",
            "/v1/index_list".to_string(),
            None,
            "j-search",
            None,
            401,
            "Unauthorized.Generic",
        ),
        // A token for another resource server, or an unknown one, is refused everywhere.
        (
            "GET",
            format!("/v1/index/{ix}/search?q=*"),
            None,
            "j-search",
            Some("j-groups"),
            401,
            "Unauthorized.Generic",
        ),
        (
            "GET",
            format!("/v1/index/{ix}"),
            None,
            "j-search",
            Some("not-a-token"),
            401,
            "Unauthorized.Generic",
        ),
    ];
    for (method, path, body, allowed, denied, status, code) in rows {
        let (s, b) = call(&em, method, &path, denied, body.clone()).await;
        assert_eq!(
            (s, b["code"].as_str()),
            (status, Some(code)),
            "{method} {path} denied: {b}"
        );
        let (s, b) = call(&em, method, &path, Some(allowed), body).await;
        assert_eq!(s, 200, "{method} {path} allowed: {b}");
    }
    // The role delete row (the created role goes away once).
    let (_, list) = get(
        &em,
        &format!("/v1/index/{ix}/role_list"),
        Some("admin-search"),
    )
    .await;
    let id = list["role_list"].as_array().unwrap().last().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let del = format!("/v1/index/{ix}/role/{id}");
    let (s, b) = call(&em, "DELETE", &del, Some("writer-search"), None).await;
    assert_error(s, &b, 403, "Forbidden.Generic");
    let (s, _) = call(&em, "DELETE", &del, Some("admin-search"), None).await;
    assert_eq!(s, 200);
    // Missing index: 404 with the reference's message, for every index route.
    let missing = "00000000-0000-4000-8000-00000000dead";
    for (method, path) in [
        ("GET", format!("/v1/index/{missing}")),
        ("GET", format!("/v1/index/{missing}/search?q=*")),
        ("GET", format!("/v1/index/{missing}/subject?subject=x")),
        ("POST", format!("/v1/index/{missing}/ingest")),
        ("GET", format!("/v1/index/{missing}/role_list")),
        ("GET", format!("/v1/task_list/{missing}")),
        ("GET", "/v1/index/not-a-uuid".to_string()),
    ] {
        let (s, b) = call(&em, method, &path, Some("j-search"), Some(json!({}))).await;
        assert_error(s, &b, 404, "NotFound.NoSuchIndex");
        assert!(
            b["message"]
                .as_str()
                .unwrap()
                .starts_with("There is no search index named")
        );
    }
    let (s, b) = get(
        &em,
        "/v1/task/00000000-0000-4000-8000-000000000000",
        Some("j-search"),
    )
    .await;
    assert_error(s, &b, 404, "NotFound.Generic");
    let (s, b) = get(&em, "/v1/no/such/route", None).await;
    assert_error(s, &b, 404, "NotFound.Generic");
}

#[tokio::test]
async fn the_index_document_and_index_list() {
    let em = start().await;
    let (status, body) = get(
        &em,
        &format!("/v1/index/{ROLES_INDEX}"),
        Some("admin-search"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["@datatype"], "GSearchIndex");
    assert_eq!(body["id"], ROLES_INDEX);
    assert_eq!(body["display_name"], "role filtering");
    assert_eq!(body["num_subjects"], 3);
    assert_eq!(body["num_entries"], 3);
    assert_eq!(body["status"], "open");
    assert_eq!(body["permissions"], json!(["admin"]));
    let (_, body) = get(&em, &format!("/v1/index/{ROLES_INDEX}"), None).await;
    assert_eq!(body["permissions"], json!([]));
    // K writes on the visibility index through group H.
    let (status, body) = get(&em, "/v1/index_list", Some("k-search")).await;
    assert_eq!(status, 200, "{body}");
    let ids: Vec<&str> = body["index_list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [OPEN_INDEX]);
    assert_eq!(body["index_list"][0]["permissions"], json!(["writer"]));
    let (_, body) = get(&em, "/v1/index_list?filter_roles=owner", Some("k-search")).await;
    assert_eq!(body["index_list"], json!([]));
}

#[tokio::test]
async fn state_dump_reset_faults_and_rate_limit() {
    let em = start().await;
    let snap = em.emulator.snapshot();
    assert_eq!(
        snap["search"]["indexes"][ROLES_INDEX]["subjects"]["doc1"][0]["content"],
        json!({"foo": "value1"})
    );
    let owner = owner_token(&em);
    let (status, _) = call(
        &em,
        "DELETE",
        &format!("/v1/index/{ROLES_INDEX}/subject?subject=doc1"),
        Some(&owner),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        em.emulator.snapshot()["search"]["tasks"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    em.emulator.reset();
    let after = em.emulator.snapshot();
    assert_eq!(
        after["search"], snap["search"],
        "a reset returns to the seeded Search state"
    );
    // Seeded user tokens survive a reset, like issued ones.
    assert_eq!(
        filtered(&em, ROLES_INDEX, "curator", Some("i-search")).await,
        ["doc1"]
    );
    // A fault rule for Search answers a GError.
    em.emulator
        .add_faults(vec![
            serde_json::from_value::<FaultRule>(json!(
            {"service": "search", "error_rate": 1.0, "status": 503, "count": 1}))
            .unwrap(),
        ])
        .unwrap();
    let (status, body) = get(&em, &format!("/v1/index/{ROLES_INDEX}"), None).await;
    assert_error(status, &body, 503, "ServiceUnavailable");
    let (status, _) = get(&em, &format!("/v1/index/{ROLES_INDEX}"), None).await;
    assert_eq!(status, 200);
    assert!(
        em.emulator
            .request_log()
            .iter()
            .any(|r| r.path == format!("/search/v1/index/{ROLES_INDEX}") && r.status == 503)
    );
    // The seed's rate limit for Search answers 429 with Retry-After.
    let mut limited = seed();
    limited.rate_limits.insert("search".into(), 2);
    let em = spawn(Emulator::new(limited)).await.unwrap();
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(get(&em, &format!("/v1/index/{ROLES_INDEX}"), None).await.0);
    }
    assert!(statuses.contains(&429), "{statuses:?}");
}

#[test]
fn seed_validation_reports_search_problems() {
    let bad = r#"
identities: [{ username: a@uni.edu, tokens: { search.api.globus.org: t } },
             { username: b@uni.edu, tokens: { search.api.globus.org: t } }]
search:
  indexes:
    5e000000-0000-4000-8000-000000000009:
      display_name: bad
      roles: { owner: [nobody@uni.edu], writer: ["urn:globus::auth:identity:x", group:nosuch] }
      entries:
        - { subject: s, visible_to: [public, ghost@uni.edu], principal_sets: { c: [public] } }
        - { subject: s, visible_to: [public] }
"#;
    let err = Seed::from_yaml_str(&accord::services::builtin(), bad)
        .unwrap_err()
        .to_string();
    for needle in [
        "token used twice",
        "unknown owner nobody@uni.edu",
        "unknown writer urn:globus::auth:identity:x",
        "unknown writer group:nosuch",
        "unknown visible_to principal ghost@uni.edu",
        "unknown principal public in principal set c",
        "duplicate entry s / (default)",
    ] {
        assert!(err.contains(needle), "{needle} not in {err}");
    }
    let strict = "search: { indexes: { 5e000000-0000-4000-8000-000000000009: { display_name: x, colour: red } } }";
    assert!(
        Seed::from_yaml_str(&accord::services::builtin(), strict).is_err(),
        "unknown keys are refused"
    );
}
