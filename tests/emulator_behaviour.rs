//! Emulator behaviour beyond rights: 401 bodies, ACL conflicts and expiry, faults,
//! rate limits, state dump, reset, snapshots and the request log.

#[path = "emulator_support.rs"]
mod support;

use accord::emulator::{Emulator, FaultRule, FaultTarget, Seed, spawn};
use chrono::{TimeZone, Utc};
use serde_json::json;
use support::*;

#[tokio::test]
async fn routes_without_token_answer_each_services_401_body() {
    let em = start().await;
    let http = reqwest::Client::new();
    let t = answer(
        http.get(format!(
            "{}/transfer/v0.10/endpoint/{ENDPOINT}/access_list",
            em.base_url
        ))
        .bearer_auth("not-a-token")
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(t.status, 401);
    for key in ["code", "message", "request_id", "resource"] {
        assert!(
            t.body[key].is_string(),
            "transfer 401 lacks {key}: {}",
            t.body
        );
    }
    assert_eq!(
        t.body["resource"],
        format!("/v0.10/endpoint/{ENDPOINT}/access_list")
    );
    let g = answer(
        http.get(format!("{}/groups/v2/groups/my_groups", em.base_url))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(g.status, 401);
    assert_eq!(g.body["code"], "UNAUTHORIZED");
    assert!(g.body["detail"].is_string());
    let a = answer(
        http.get(format!(
            "{}/auth/v2/api/identities?ids={ADMIN}",
            em.base_url
        ))
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(a.status, 401);
    assert_eq!(a.body["errors"][0]["status"], "401");
    assert_eq!(a.body["error"], "unauthorized");
}

#[tokio::test]
async fn tokens_one_per_resource_server() {
    let em = start().await;
    let t = token_response(
        &em.base_url,
        ADMIN,
        "admin-secret",
        &format!("openid profile {TRANSFER_SCOPE} {GROUPS_SCOPE}"),
    )
    .await;
    assert_eq!(t.status, 200);
    assert_eq!(t.body["resource_server"], "auth.globus.org");
    assert_eq!(t.body["scope"], "openid profile");
    assert_eq!(t.body["token_type"], "Bearer");
    let others = t.body["other_tokens"].as_array().unwrap();
    assert_eq!(others.len(), 2);
    assert_eq!(others[0]["resource_server"], "transfer.api.globus.org");
    let bad = token_response(&em.base_url, ADMIN, "admin-secret", "nonsense").await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.body["error"], "invalid_scope");
}

#[tokio::test]
async fn identities_lookup() {
    let em = start().await;
    let http = reqwest::Client::new();
    let get = |q: String| {
        let http = http.clone();
        let url = format!("{}/auth/v2/api/identities?{q}", em.base_url);
        async move {
            answer(
                http.get(url)
                    .basic_auth(ADMIN, Some("admin-secret"))
                    .send()
                    .await
                    .unwrap(),
            )
            .await
        }
    };
    let r = get("usernames=ALICE@uni.edu,nobody@uni.edu".into()).await;
    assert_eq!(r.body["identities"].as_array().unwrap().len(), 1);
    assert_eq!(r.body["identities"][0]["username"], "alice@uni.edu");
    let client = get(format!("ids={ADMIN}")).await;
    assert_eq!(
        client.body["identities"][0]["username"],
        format!("{ADMIN}@clients.auth.globus.org")
    );
    let both = get(format!("ids={ADMIN}&usernames=alice@uni.edu")).await;
    assert_eq!(both.status, 400);
    let prov = get("usernames=new@uni.edu&provision=true".into()).await;
    assert_eq!(prov.body["identities"][0]["status"], "unused");
}

#[tokio::test]
async fn batch_errors_per_identity() {
    let em = start().await;
    let admin = Api::login(&em, ADMIN).await;
    let path = format!("/groups/v2/groups/{GROUP}");
    let ids = reqwest::Client::new()
        .get(format!(
            "{}/auth/v2/api/identities?usernames=carol@uni.edu,dave@uni.edu,bob@uni.edu",
            em.base_url
        ))
        .bearer_auth(&admin.groups_token)
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    let id = |n: usize| ids["identities"][n]["id"].as_str().unwrap().to_string();
    let (carol, dave, bob) = (id(0), id(1), id(2));
    let r = admin
        .post(
            &path,
            json!({
                "add": [{"identity_id": MEMBER}, {"identity_id": carol}, {"identity_id": dave}],
                "remove": [{"identity_id": bob}],
                "change_role": [{"identity_id": ADMIN, "role": "member"}]
            }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let codes = |action: &str| -> Vec<String> {
        r.body["errors"][action]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["code"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        codes("add"),
        ["ALREADY_ACTIVE", "ADD_FORBIDDEN", "ADD_FORBIDDEN"]
    );
    assert_eq!(codes("remove"), ["NO_MEMBERSHIP"]);
    assert_eq!(codes("change_role"), ["LAST_ADMIN"]);
    assert_eq!(r.body["add"], json!([]));
    let dup = admin
        .post(
            &path,
            json!({"add": [{"identity_id": bob}], "remove": [{"identity_id": bob}]}),
        )
        .await;
    assert_eq!(dup.status, 400);
}

#[tokio::test]
async fn acl_conflicts_paths_and_role_rules() {
    let em = start().await;
    let admin = Api::login(&em, ADMIN).await;
    let access = format!("/transfer/v0.10/endpoint/{ENDPOINT}/access");
    let rule = json!({"DATA_TYPE": "access", "principal_type": "identity",
                      "principal": MEMBER, "path": "/p/", "permissions": "r"});
    assert_eq!(admin.post(&access, rule.clone()).await.status, 201);
    let dup = admin.post(&access, rule.clone()).await;
    assert_eq!(dup.status, 409);
    assert_eq!(dup.body["code"], "Exists");
    assert!(
        dup.body["message"]
            .as_str()
            .unwrap()
            .starts_with("This folder is already shared with this identity.")
    );
    let mut bad = rule.clone();
    bad["path"] = json!("/no-trailing-slash");
    let r = admin.post(&access, bad).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (400, Some("InvalidPath"))
    );
    let missing = admin
        .delete(&format!("{access}/00000000-0000-0000-0000-000000000000"))
        .await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.body["code"], "AccessRuleNotFound");
    let unknown = admin
        .get("/transfer/v0.10/endpoint/00000000-0000-0000-0000-000000000000/access_list")
        .await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.body["code"], "EndpointNotFound");
    let list = admin
        .get(&format!("/transfer/v0.10/endpoint/{ENDPOINT}/access_list"))
        .await;
    let implicit: Vec<_> = list.body["DATA"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["id"].is_null())
        .collect();
    assert_eq!(implicit.len(), 2, "administrator and access_manager");
    assert!(
        implicit
            .iter()
            .all(|r| r["path"] == "/" && r["permissions"] == "rw" && r["role_id"].is_string())
    );
    let path_change = admin
        .put(
            &format!("{access}/{ALICE_RULE}"),
            json!({"DATA_TYPE": "access", "path": "/other/"}),
        )
        .await;
    assert_eq!(path_change.status, 400);
    let mkdir = format!("/transfer/v0.10/operation/endpoint/{ENDPOINT}/mkdir");
    let exists = admin
        .post(&mkdir, json!({"DATA_TYPE": "mkdir", "path": "/existing/"}))
        .await;
    assert_eq!(exists.status, 502);
    assert_eq!(exists.body["code"], "ExternalError.MkdirFailed.Exists");
}

#[tokio::test]
async fn expired_rules_disappear_when_the_clock_passes() {
    let em = start().await;
    em.emulator
        .set_now(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap());
    let admin = Api::login(&em, ADMIN).await;
    let access = format!("/transfer/v0.10/endpoint/{ENDPOINT}/access");
    let created = admin
        .post(
            &access,
            json!({"DATA_TYPE": "access", "principal_type": "identity", "principal": MEMBER,
                   "path": "/tmp/", "permissions": "r", "expiration_date": "2026-06-30T00:00:00Z"}),
        )
        .await;
    assert_eq!(created.status, 201);
    let id = created.body["access_id"].as_str().unwrap().to_string();
    let got = admin.get(&format!("{access}/{id}")).await;
    assert_eq!(got.body["expiration_date"], "2026-06-30T00:00:00+00:00");
    let past = admin
        .post(
            &access,
            json!({"DATA_TYPE": "access", "principal_type": "identity", "principal": MEMBER,
                   "path": "/old/", "permissions": "r", "expiration_date": "2025-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(past.status, 400);
    // Move the clock through the control route, past the expiry.
    let clock = reqwest::Client::new()
        .post(format!("{}/_emulator/clock", em.base_url))
        .json(&json!({"now": "2026-07-01T00:00:00Z"}))
        .send()
        .await
        .unwrap();
    assert_eq!(clock.status(), 200);
    assert_eq!(admin.get(&format!("{access}/{id}")).await.status, 404);
    let state = em.emulator.snapshot();
    let rules = &state["endpoints"][ENDPOINT]["acl"];
    assert!(rules.as_array().unwrap().iter().all(|r| r["id"] != id));
}

/// A control route's JSON answer.
async fn get_json(http: &reqwest::Client, url: &str) -> serde_json::Value {
    http.get(url).send().await.unwrap().json().await.unwrap()
}

async fn statuses_with_faults(seed: u64) -> Vec<u16> {
    let em = start().await;
    let admin = Api::login(&em, ADMIN).await;
    em.emulator
        .add_faults(vec![FaultRule {
            service: FaultTarget::service("groups"),
            error_rate: 0.5,
            status: 503,
            latency_ms: 0,
            rate_limit: 0.2,
            retry_after: 3,
            drop_rate: 0.0,
            seed,
            after: 0,
            count: None,
            path_contains: None,
            method: None,
        }])
        .unwrap();
    let mut out = Vec::new();
    for _ in 0..30 {
        let r = admin.get("/groups/v2/groups/my_groups").await;
        if r.status == 429 {
            assert_eq!(r.retry_after.as_deref(), Some("3"));
        }
        if r.status == 503 {
            assert_eq!(r.body["code"], "SERVICE_UNAVAILABLE");
        }
        out.push(r.status);
    }
    // Transfer is untouched by a Groups rule.
    let t = admin
        .get(&format!("/transfer/v0.10/endpoint/{ENDPOINT}"))
        .await;
    assert_eq!(t.status, 200);
    out
}

#[tokio::test]
async fn faults_repeat_with_the_same_seed() {
    let a = statuses_with_faults(42).await;
    let b = statuses_with_faults(42).await;
    assert_eq!(a, b);
    assert!(
        a.contains(&200) && a.contains(&503) && a.contains(&429),
        "{a:?}"
    );
    let c = statuses_with_faults(7).await;
    assert_ne!(a, c);
}

#[tokio::test]
async fn fault_after_count_and_path_filter_via_http() {
    let em = start().await;
    let admin = Api::login(&em, ADMIN).await;
    let http = reqwest::Client::new();
    let set = http
        .post(format!("{}/_emulator/faults", em.base_url))
        .json(
            &json!({"service": "transfer", "error_rate": 1.0, "status": 500,
                      "after": 1, "count": 1, "path_contains": "/access_list"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), 200);
    let list = format!("/transfer/v0.10/endpoint/{ENDPOINT}/access_list");
    let seq = [
        admin.get(&list).await.status,
        admin
            .get(&format!("/transfer/v0.10/endpoint/{ENDPOINT}"))
            .await
            .status,
        admin.get(&list).await.status,
        admin.get(&list).await.status,
    ];
    assert_eq!(seq, [200, 200, 500, 200]);
    let faults = get_json(&http, &format!("{}/_emulator/faults", em.base_url)).await;
    assert_eq!(faults["rules"][0]["injected"], 1);
    let cleared = http
        .delete(format!("{}/_emulator/faults", em.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(cleared.status(), 200);
    let bad = http
        .post(format!("{}/_emulator/faults", em.base_url))
        .json(&json!({"error_rate": 2.0}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn dropped_connections_fail_on_the_client() {
    let em = start().await;
    let admin = Api::login(&em, ADMIN).await;
    em.emulator
        .add_faults(vec![
            serde_json::from_value(json!({"service": "groups", "drop_rate": 1.0, "count": 1}))
                .unwrap(),
        ])
        .unwrap();
    let url = format!("{}/groups/v2/groups/my_groups", em.base_url);
    let first = reqwest::Client::new()
        .get(&url)
        .bearer_auth(&admin.groups_token)
        .send()
        .await;
    let failed = match first {
        Err(_) => true,
        Ok(resp) => resp.bytes().await.is_err(),
    };
    assert!(
        failed,
        "a dropped connection must not yield a complete response"
    );
    assert_eq!(admin.get("/groups/v2/groups/my_groups").await.status, 200);
    let log = em.emulator.request_log();
    assert!(log.iter().any(|r| r.status == 0));
}

#[tokio::test]
async fn seed_rate_limit_answers_429_with_retry_after() {
    let mut seed = seed();
    seed.rate_limits.insert("transfer".into(), 2);
    let em = spawn(Emulator::new(seed)).await.unwrap();
    let admin = Api::login(&em, ADMIN).await;
    let path = format!("/transfer/v0.10/endpoint/{ENDPOINT}");
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let r = admin.get(&path).await;
        if r.status == 429 {
            assert_eq!(r.retry_after.as_deref(), Some("1"));
            assert!(r.body["code"].is_string());
        }
        statuses.push(r.status);
    }
    assert!(statuses.contains(&429), "{statuses:?}");
}

#[tokio::test]
async fn state_dump_reset_snapshot_and_request_log() {
    let em = start().await;
    let admin = Api::login(&em, ADMIN).await;
    let http = reqwest::Client::new();
    let dump = || async {
        http.get(format!("{}/_emulator/state", em.base_url))
            .send()
            .await
            .unwrap()
            .json::<serde_json::Value>()
            .await
            .unwrap()
    };
    let initial = dump().await;
    assert_eq!(initial["groups"][GROUP]["name"], "lab");
    em.emulator.clear_request_log();
    assert_eq!(
        admin
            .post("/groups/v2/groups", json!({"name": "extra"}))
            .await
            .status,
        201
    );
    let _ = admin.get("/groups/v2/groups/my_groups").await;
    let log = em.emulator.request_log();
    assert_eq!(log.len(), 2, "control routes are not logged: {log:?}");
    assert!(log[0].is_write() && log[0].path == "/groups/v2/groups" && log[0].status == 201);
    assert!(!log[1].is_write());

    let changed = dump().await;
    assert_eq!(changed["groups"].as_object().unwrap().len(), 3);
    // A snapshot restores the changed state; a reset goes back to the seed.
    let restored = Emulator::from_snapshot(seed(), em.emulator.snapshot()).unwrap();
    assert_eq!(restored.snapshot(), em.emulator.snapshot());
    let reset = http
        .post(format!("{}/_emulator/reset", em.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 200);
    let after = dump().await;
    assert_eq!(after["groups"], initial["groups"]);
    assert_eq!(after["endpoints"], initial["endpoints"]);
    // Tokens survive a reset.
    assert_eq!(admin.get("/groups/v2/groups/my_groups").await.status, 200);
    // The restored emulator serves its own state.
    let running = spawn(restored).await.unwrap();
    let again = Api::login(&running, ADMIN).await;
    let mine = again.get("/groups/v2/groups/my_groups").await;
    assert_eq!(mine.body.as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn connection_route_answers_the_first_client_and_the_boss_user_only() {
    let em = start().await;
    let http = reqwest::Client::new();
    let get = |route: &'static str| {
        let url = format!("{}/_emulator/{route}", em.base_url);
        let http = http.clone();
        async move {
            let resp = http.get(url).send().await.unwrap();
            assert_eq!(resp.status(), 200);
            resp.json::<serde_json::Value>().await.unwrap()
        }
    };
    em.emulator.clear_request_log();
    let conn = get("connection").await;
    // The same client a reader of the whole state takes: the first by id.
    let state = get("state").await;
    let (first_id, first) = state["clients"].as_object().unwrap().iter().next().unwrap();
    assert_eq!(first_id, ADMIN);
    assert_eq!(
        conn,
        json!({"client": {"client_id": first["id"], "client_secret": first["secret"]}, "boss": null})
    );
    assert_eq!(
        conn,
        serde_json::to_value(em.emulator.connection()).unwrap()
    );
    assert!(
        em.emulator.request_log().is_empty(),
        "control routes are not logged"
    );

    // With a Boss user accord runs as.
    let mut seed = seed();
    seed.set(
        "boss",
        json!({
            "accord_user": "alice",
            "users": [{"username": "alice", "token": "alice-b0ss-token", "roles": ["resource-manager"]}]
        }),
    )
    .unwrap();
    let boss = spawn(Emulator::new(seed)).await.unwrap();
    let conn = get_json(&http, &format!("{}/_emulator/connection", boss.base_url)).await;
    assert_eq!(
        conn["boss"],
        json!({"username": "alice", "token": "alice-b0ss-token"})
    );
    assert_eq!(conn["client"]["client_id"], ADMIN);
    // Its Debug form, what a log line would show, keeps the secrets out.
    let debug = format!("{:?}", boss.emulator.connection());
    assert!(debug.contains(ADMIN) && debug.contains("alice"), "{debug}");
    assert!(
        !debug.contains("b0ss-token") && !debug.contains("admin-secret"),
        "{debug}"
    );
}

#[test]
fn seeds_are_reproducible_and_validated() {
    let a = Emulator::new(seed()).snapshot();
    let b = Emulator::new(seed()).snapshot();
    assert_eq!(a["groups"], b["groups"]);
    assert_eq!(
        a["endpoints"][ENDPOINT]["acl"],
        b["endpoints"][ENDPOINT]["acl"]
    );
    let bad = Seed::from_yaml_str(
        &accord::services::builtin(),
        "groups:\n  - name: g\n    members: [{ identity: ghost@nowhere.org }]\n",
    );
    assert!(bad.unwrap_err().to_string().contains("ghost@nowhere.org"));
    let typo = Seed::from_yaml_str(
        &accord::services::builtin(),
        "identities:\n  - { username: a@b.c, nmae: A }\n",
    );
    assert!(typo.is_err());
    let json = Seed::from_json_str(
        &accord::services::builtin(),
        r#"{"identities": [{"username": "x@y.z"}]}"#,
    )
    .unwrap();
    let json = json
        .part::<accord::services::auth::emulator::AuthSeed>()
        .unwrap();
    assert!(json.identities[0].allow_add);
}
