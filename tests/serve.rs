//! `accord serve`, end to end: the Action Provider in-process (or the binary, for the
//! kill-and-restart test) on an ephemeral port, running the lab workspace against an
//! in-process emulator, called with tokens the emulator issues and introspects.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use accord::emulator::{Emulator, FaultRule, RunningEmulator, Seed};
use accord::serve::config::{ServeConfig, WhenBusy};
use accord::serve::{RunningServer, ServeOptions};
use serde_json::{Value, json};
use uuid::Uuid;

/// The lab seed's client: the provider's own client (its scope's resource server).
const AP_CLIENT: &str = "0b1e4d5c-6f7a-4b8c-9d0e-1f2a3b4c5d6e";
/// Callers: seeded clients (each is an identity). Their ids sort after AP_CLIENT, so the
/// emulator's "first client" stays the provider's.
const ALICE: &str = "a11ce000-0000-4000-8000-000000000001";
const BOB: &str = "b0b00000-0000-4000-8000-000000000002";
const OPS: &str = "c0c00000-0000-4000-8000-000000000003";
const ADMIN: &str = "ad000000-0000-4000-8000-000000000004";
/// A group OPS belongs to.
const OPS_GROUP: &str = "d0d00000-0000-4000-8000-000000000005";

const EXTRA_SEED: &str = "
clients:
  - { client_id: a11ce000-0000-4000-8000-000000000001, client_secret: alice-secret, name: alice's flow }
  - { client_id: b0b00000-0000-4000-8000-000000000002, client_secret: bob-secret, name: bob's flow }
  - { client_id: c0c00000-0000-4000-8000-000000000003, client_secret: ops-secret, name: operations }
  - { client_id: ad000000-0000-4000-8000-000000000004, client_secret: admin-secret, name: ap admin }
groups:
  - id: d0d00000-0000-4000-8000-000000000005
    name: ap-operators
    members:
      - { identity: c0c00000-0000-4000-8000-000000000003, role: member }
";

fn urn(id: &str) -> String {
    format!("urn:globus:auth:identity:{id}")
}

fn group_urn(id: &str) -> String {
    format!("urn:globus:groups:id:{id}")
}

fn scope() -> String {
    format!("https://auth.globus.org/scopes/{AP_CLIENT}/action_all")
}

/// The lab seed plus the callers above.
fn seed() -> Seed {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("policies/lab/live.yaml")).unwrap();
    let mut seed = Seed::from_yaml_str(&accord::services::builtin(), &text).unwrap();
    let extra = Seed::from_yaml_str(&accord::services::builtin(), EXTRA_SEED).unwrap();
    seed.merge(&extra).unwrap();
    seed
}

fn fault(rule: Value) -> FaultRule {
    serde_json::from_value(rule).unwrap()
}

/// Slows every write to Groups and Transfer, so an apply takes a while.
fn slow_writes(em: &Emulator, ms: u64) {
    let rules = ["POST", "PUT", "DELETE"]
        .iter()
        .flat_map(|m| {
            ["groups", "transfer"]
                .map(|svc| fault(json!({"service": svc, "method": m, "latency_ms": ms})))
        })
        .collect();
    em.add_faults(rules).unwrap();
}

/// An emulator, a workspaces folder holding `lab`, and a provider over them.
struct Ap {
    emu: RunningEmulator,
    server: Option<RunningServer>,
    _tmp: tempfile::TempDir,
    workspaces: PathBuf,
    db: PathBuf,
    http: reqwest::Client,
}

impl Ap {
    async fn start(config: ServeConfig) -> Ap {
        let now = common::NOW.parse().unwrap();
        let emu = accord::emulator::spawn(Emulator::new_at(seed(), now))
            .await
            .unwrap();
        let (tmp, lab) = common::workspace("policies/lab");
        let workspaces = lab.parent().unwrap().to_path_buf();
        let db = tmp.path().join("state").join("ap.db");
        let mut ap = Ap {
            emu,
            server: None,
            _tmp: tmp,
            workspaces,
            db,
            http: reqwest::Client::new(),
        };
        ap.server = Some(ap.serve(config).await);
        ap
    }

    async fn serve(&self, config: ServeConfig) -> RunningServer {
        accord::serve::start(ServeOptions {
            listen: "127.0.0.1:0".parse().unwrap(),
            db: self.db.clone(),
            workspaces: self.workspaces.clone(),
            config,
            target: Some(self.emu.base_url.clone()),
            http: accord::http::HttpOptions::default(),
            now: Some(common::NOW.parse().unwrap()),
            services: accord::services::builtin(),
        })
        .await
        .unwrap()
    }

    fn url(&self) -> String {
        self.server.as_ref().unwrap().url()
    }

    fn em(&self) -> &Emulator {
        &self.emu.emulator
    }

    /// A token of `client` for the provider's scope.
    fn token(&self, client: &str) -> String {
        self.token_for(client, &scope())
    }

    fn token_for(&self, client: &str, scope: &str) -> String {
        accord::services::auth::emulator::issue_tokens(
            self.em().handle(),
            client.parse::<Uuid>().unwrap(),
            scope,
        )
        .unwrap()
        .access_token
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self.http.request(method, format!("{}{path}", self.url()));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        self.call(reqwest::Method::GET, path, token, None).await
    }

    async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::POST, path, token, Some(body))
            .await
    }

    /// Posts a run that must be refused with 422 `RequestValidationError`, saying `says`.
    async fn assert_invalid_run(&self, token: &str, request: Value, says: &str) {
        let (code, body) = self.post("/run", Some(token), request).await;
        assert_error(code, &body, 422, "RequestValidationError", says);
    }

    /// Runs an action; asserts 202 ACTIVE and returns its id.
    async fn run(&self, token: &str, request_id: &str, body: Value) -> String {
        let (code, status) = self
            .post(
                "/run",
                Some(token),
                json!({"request_id": request_id, "body": body}),
            )
            .await;
        assert_eq!(code, 202, "{status}");
        assert_eq!(status["status"], "ACTIVE", "{status}");
        status["action_id"].as_str().unwrap().to_string()
    }

    /// Polls an action's status until `done` holds (30 s at most).
    async fn wait(&self, token: &str, id: &str, done: impl Fn(&Value) -> bool) -> Value {
        let start = Instant::now();
        loop {
            let (code, status) = self.get(&format!("/{id}/status"), Some(token)).await;
            assert_eq!(code, 200, "{status}");
            if done(&status) {
                return status;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "action {id} never got there: {status}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn finished(&self, token: &str, id: &str) -> Value {
        self.wait(token, id, |s| {
            s["status"] == "SUCCEEDED" || s["status"] == "FAILED"
        })
        .await
    }
}

fn plan(ws: &str) -> Value {
    json!({"operation": "plan", "workspace": ws})
}

fn apply(ws: &str) -> Value {
    json!({"operation": "apply", "workspace": ws, "auto_approve": true})
}

fn assert_error(code: u16, body: &Value, want_code: u16, name: &str, says: &str) {
    assert_eq!(code, want_code, "{body}");
    assert_eq!(body["code"], name, "{body}");
    let description = body["description"].as_str().unwrap_or_default();
    assert!(description.contains(says), "`{says}` not in: {description}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn introspection_is_public_and_complete() {
    let ap = Ap::start(ServeConfig::default()).await;
    for path in ["/", ""] {
        let resp = ap
            .http
            .get(format!("{}{path}", ap.url()))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(
            resp.headers()["access-control-allow-origin"],
            "*",
            "CORS on introspection"
        );
        let doc: Value = resp.json().await.unwrap();
        assert_eq!(doc["title"], "accord");
        assert_eq!(doc["globus_auth_scope"], scope());
        assert_eq!(doc["synchronous"], false);
        assert_eq!(doc["log_supported"], true);
        assert_eq!(doc["visible_to"], json!(["public"]));
        assert_eq!(doc["runnable_by"], json!(["all_authenticated_users"]));
        assert_eq!(doc["types"], json!(["ACTION"]));
        assert_eq!(doc["api_version"], "1.0");
        assert_eq!(
            doc["input_schema"]["properties"]["operation"]["enum"],
            json!(["plan", "drift", "apply"])
        );
        // Every field is present, null when unset, as the toolkit serialises.
        assert!(doc.as_object().unwrap().contains_key("subtitle"));
        assert!(doc["subtitle"].is_null());
    }
    let preflight = ap
        .http
        .request(reqwest::Method::OPTIONS, format!("{}/", ap.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 204);
    assert_eq!(
        preflight.headers()["access-control-allow-methods"],
        "GET, OPTIONS"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_runs_end_to_end_in_both_route_styles() {
    let ap = Ap::start(ServeConfig::default()).await;
    let alice = ap.token(ALICE);
    // Old style.
    let id = ap.run(&alice, "plan-1", plan("lab")).await;
    let done = ap.finished(&alice, &id).await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    assert_eq!(done["creator_id"], urn(ALICE));
    assert_eq!(
        done["display_status"],
        "Plan: 4 to add, 3 to change, 3 to remove."
    );
    let details = &done["details"];
    assert_eq!(details["summary"]["add"], 4);
    assert_eq!(details["summary"]["change"], 3);
    assert_eq!(details["summary"]["remove"], 3);
    assert_eq!(details["summary"]["refused"], false);
    assert_eq!(details["target"]["kind"], "emulator");
    let md = details["markdown"].as_str().unwrap();
    assert!(md.contains("lab-readers"), "{md}");
    assert!(done["completion_time"].is_string());
    assert_eq!(done["release_after"], "P30D");
    // Unset monitor_by and manage_by are the caller's identities.
    assert_eq!(done["monitor_by"], json!([urn(ALICE)]));
    // New style: POST /actions, GET /actions/{id}, the log.
    let (code, started) = ap
        .post(
            "/actions",
            Some(&alice),
            json!({"request_id": "plan-2", "body": plan("lab"), "label": "nightly plan"}),
        )
        .await;
    assert_eq!(code, 202, "{started}");
    let id2 = started["action_id"].as_str().unwrap();
    assert_eq!(started["label"], "nightly plan");
    ap.finished(&alice, id2).await;
    let (code, again) = ap.get(&format!("/actions/{id2}"), Some(&alice)).await;
    assert_eq!(code, 200);
    assert_eq!(again["status"], "SUCCEEDED");
    for path in [format!("/{id}/log"), format!("/actions/{id}/log")] {
        let (code, log) = ap.get(&path, Some(&alice)).await;
        assert_eq!(code, 200, "{log}");
        let codes: Vec<&str> = log["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["code"].as_str().unwrap())
            .collect();
        assert_eq!(
            codes,
            ["ActionRequested", "ActionStarted", "ActionSucceeded"],
            "{log}"
        );
        assert_eq!(log["has_next_page"], false);
    }
    let (_, page) = ap.get(&format!("/{id}/log?limit=2"), Some(&alice)).await;
    assert_eq!(page["entries"].as_array().unwrap().len(), 2);
    assert_eq!(page["has_next_page"], true);
    let marker = page["marker"].as_str().unwrap();
    let (_, rest) = ap
        .get(&format!("/{id}/log?limit=2&marker={marker}"), Some(&alice))
        .await;
    assert_eq!(rest["entries"][0]["code"], "ActionSucceeded");
    // A plan writes nothing.
    assert!(
        !ap.em()
            .request_log()
            .iter()
            .any(|r| r.is_write() && !r.path.starts_with("/auth/"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_reports_each_change_then_drift_and_plan_are_clean() {
    let ap = Ap::start(ServeConfig::default()).await;
    let alice = ap.token(ALICE);
    let drift = ap
        .run(
            &alice,
            "drift-0",
            json!({"operation": "drift", "workspace": "lab"}),
        )
        .await;
    let drifted = ap.finished(&alice, &drift).await;
    assert_eq!(drifted["status"], "SUCCEEDED", "{drifted}");
    assert_eq!(drifted["details"]["drift_found"], true);
    assert_eq!(drifted["details"]["drifted"], 10);
    assert!(
        drifted["details"]["markdown"]
            .as_str()
            .unwrap()
            .contains("accord drift")
    );
    let id = ap.run(&alice, "apply-1", apply("lab")).await;
    let done = ap.finished(&alice, &id).await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    let outcomes = done["details"]["apply"]["outcomes"].as_array().unwrap();
    assert_eq!(outcomes.len(), 10, "{done}");
    assert!(outcomes.iter().all(|o| o["status"] == "applied"), "{done}");
    assert!(
        outcomes
            .iter()
            .all(|o| o["address"].is_string() && o["label"].is_string())
    );
    assert_eq!(done["details"]["apply"]["applied"], 10);
    assert_eq!(
        done["display_status"],
        "Apply: 10 applied, 0 failed, 0 blocked, 0 skipped"
    );
    let drift = ap
        .run(
            &alice,
            "drift-1",
            json!({"operation": "drift", "workspace": "lab"}),
        )
        .await;
    let clean = ap.finished(&alice, &drift).await;
    assert_eq!(clean["details"]["drift_found"], false, "{clean}");
    assert_eq!(clean["display_status"], "No drift");
    let again = ap.run(&alice, "apply-2", apply("lab")).await;
    let none = ap.finished(&alice, &again).await;
    assert_eq!(none["status"], "SUCCEEDED");
    assert_eq!(none["display_status"], "No changes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_are_422_or_400_with_reasons() {
    let ap = Ap::start(ServeConfig::default()).await;
    let t = ap.token(ALICE);
    let cases = [
        (
            json!({"body": plan("lab")}),
            "Field 'request_id': field required",
        ),
        (json!({"request_id": "r"}), "Field 'body': field required"),
        (
            json!({"request_id": "r", "body": "plan"}),
            "Field 'body': must be an object",
        ),
        (
            json!({"request_id": "r", "body": {"operation": "destroy", "workspace": "lab"}}),
            "Field 'body.operation' (category: 'enum')",
        ),
        (
            json!({"request_id": "r", "body": {"operation": "plan"}}),
            "(category: 'required')",
        ),
        (
            json!({"request_id": "r", "body": {"operation": "plan", "workspace": "../lab"}}),
            "Field 'body.workspace' (category: 'pattern')",
        ),
        (
            json!({"request_id": "r", "body": {"operation": "plan", "workspace": "lab", "force": true}}),
            "(category: 'additionalProperties')",
        ),
        (
            json!({"request_id": "r", "body": {"operation": "apply", "workspace": "lab"}}),
            "\"apply\" needs \"auto_approve\": true",
        ),
        (
            json!({"request_id": "r", "body": plan("nowhere")}),
            "no workspace `nowhere` is served here; served: lab",
        ),
        (
            json!({"request_id": "r", "body": plan("lab"), "release_after": "thirty days"}),
            "Field 'release_after'",
        ),
        (
            json!({"request_id": "r", "body": plan("lab"), "monitor_by": ["bob@uni.edu"]}),
            "Field 'monitor_by.0'",
        ),
        (
            json!({"request_id": "r", "body": plan("lab"), "deadline": "2001-01-01T00:00:00Z"}),
            "has already passed",
        ),
        (
            json!([1, 2, 3]),
            "Field '__root__': value is not a valid dict",
        ),
    ];
    for (body, says) in cases {
        ap.assert_invalid_run(&t, body, says).await;
    }
    let resp = ap
        .http
        .post(format!("{}/actions", ap.url()))
        .bearer_auth(&t)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.unwrap();
    assert_error(400, &body, 400, "BadActionRequest", "Invalid JSON");
    // Nothing was started.
    let (_, all) = ap
        .get("/actions?status=active,succeeded,failed", Some(&t))
        .await;
    assert_eq!(all, json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_id_replays_or_conflicts() {
    let ap = Ap::start(ServeConfig::default()).await;
    let alice = ap.token(ALICE);
    let bob = ap.token(BOB);
    let id = ap.run(&alice, "same", plan("lab")).await;
    // The same request again: the same action, 200, nothing new started.
    let (code, replay) = ap
        .post(
            "/actions",
            Some(&alice),
            json!({"body": {"workspace": "lab", "operation": "plan"}, "request_id": "same"}),
        )
        .await;
    assert_eq!(code, 200, "{replay}");
    assert_eq!(replay["action_id"], id.as_str());
    // The same id with a different body: 409.
    let (code, conflict) = ap
        .post(
            "/run",
            Some(&alice),
            json!({"request_id": "same", "body": {"operation": "drift", "workspace": "lab"}}),
        )
        .await;
    assert_error(
        code,
        &conflict,
        409,
        "ActionConflict",
        "Request with id same already present with different parameters",
    );
    // Request ids are per caller: bob's `same` is a new action.
    let bobs = ap.run(&bob, "same", plan("lab")).await;
    assert_ne!(bobs, id);
    ap.finished(&alice, &id).await;
    ap.finished(&bob, &bobs).await;
    let (_, mine) = ap.get("/actions?status=succeeded", Some(&alice)).await;
    assert_eq!(mine.as_array().unwrap().len(), 1, "{mine}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_release_and_unknown_actions() {
    let ap = Ap::start(ServeConfig::default()).await;
    let alice = ap.token(ALICE);
    // Unknown: 404 with a good token, 401 without one (the token is checked first).
    for path in ["/nope/status", "/actions/nope", "/nope/log"] {
        let (code, body) = ap.get(path, Some(&alice)).await;
        assert_error(code, &body, 404, "ActionNotFound", "No Action with id nope");
        let (code, body) = ap.get(path, None).await;
        assert_error(
            code,
            &body,
            401,
            "UnauthorizedRequest",
            "no Authorization header",
        );
    }
    let (code, body) = ap.post("/nope/cancel", Some(&alice), json!({})).await;
    assert_error(code, &body, 404, "ActionNotFound", "nope");
    // An action held up by slow reads can be cancelled; it ends FAILED at once.
    ap.em()
        .add_faults(vec![fault(
            json!({"service": "groups", "method": "GET", "latency_ms": 3000}),
        )])
        .unwrap();
    let slow = ap.run(&alice, "slow", plan("lab")).await;
    // Releasing an unfinished action: 409.
    let (code, body) = ap
        .post(&format!("/{slow}/release"), Some(&alice), json!({}))
        .await;
    assert_error(
        code,
        &body,
        409,
        "ActionConflict",
        "Cannot release incomplete Action",
    );
    let (code, cancelled) = ap
        .post(&format!("/actions/{slow}/cancel"), Some(&alice), json!({}))
        .await;
    assert_eq!(code, 200, "{cancelled}");
    assert_eq!(cancelled["status"], "FAILED", "{cancelled}");
    assert!(
        cancelled["display_status"]
            .as_str()
            .unwrap()
            .starts_with("Cancelled by"),
        "{cancelled}"
    );
    assert_eq!(cancelled["details"]["error"]["code"], "Cancelled");
    ap.em().clear_faults();
    // Cancelling a finished action: 409.
    let (code, body) = ap
        .post(&format!("/{slow}/cancel"), Some(&alice), json!({}))
        .await;
    assert_error(
        code,
        &body,
        409,
        "ActionConflict",
        "Cannot cancel complete action",
    );
    // Release answers the final status, then the id is gone; DELETE /actions/{id} too.
    let (code, released) = ap
        .post(&format!("/{slow}/release"), Some(&alice), json!({}))
        .await;
    assert_eq!(code, 200, "{released}");
    assert_eq!(released["action_id"], slow.as_str());
    let (code, _) = ap.get(&format!("/{slow}/status"), Some(&alice)).await;
    assert_eq!(code, 404);
    let done = ap.run(&alice, "quick", plan("lab")).await;
    ap.finished(&alice, &done).await;
    let (code, _) = ap
        .call(
            reqwest::Method::DELETE,
            &format!("/actions/{done}"),
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(code, 200);
    let (code, _) = ap.get(&format!("/actions/{done}"), Some(&alice)).await;
    assert_eq!(code, 404);
    // Wrong method and unknown route.
    let (code, body) = ap
        .call(reqwest::Method::PUT, "/run", Some(&alice), None)
        .await;
    assert_error(code, &body, 405, "MethodNotAllowed", "PUT");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn release_after_is_honoured() {
    let ap = Ap::start(ServeConfig::default()).await;
    let alice = ap.token(ALICE);
    let (code, started) = ap
        .post(
            "/run",
            Some(&alice),
            json!({"request_id": "brief", "body": plan("lab"), "release_after": "PT1S"}),
        )
        .await;
    assert_eq!(code, 202);
    assert_eq!(started["release_after"], "PT1S");
    let id = started["action_id"].as_str().unwrap();
    ap.finished(&alice, id).await;
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let (code, body) = ap.get(&format!("/{id}/status"), Some(&alice)).await;
    assert_error(code, &body, 404, "ActionNotFound", id);
    // Its request id is free again.
    let again = ap.run(&alice, "brief", plan("lab")).await;
    assert_ne!(again, id);
    // The sweeper removes released actions from the database too.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let conn = rusqlite::Connection::open(&ap.db).unwrap();
    let n: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM actions WHERE action_id = ?1",
            [id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_auth_failure_is_401_and_says_why() {
    let config = ServeConfig {
        runnable_by: vec![urn(ALICE), group_urn(OPS_GROUP)],
        visible_to: vec!["all_authenticated_users".into()],
        administered_by: vec![urn(ADMIN)],
        ..ServeConfig::default()
    };
    let ap = Ap::start(config).await;
    let alice = ap.token(ALICE);
    let bob = ap.token(BOB);
    let ops = ap.token(OPS);
    let admin = ap.token(ADMIN);
    let body = json!({"request_id": "r", "body": plan("lab")});
    let bad_headers = [
        (None, "no Authorization header"),
        (Some("Basic YWxpY2U6c2VjcmV0"), "`Basic` scheme"),
        (Some("Bearer not-a-token"), "the token is not active"),
    ];
    for (header, says) in bad_headers {
        let mut req = ap.http.post(format!("{}/run", ap.url())).json(&body);
        if let Some(h) = header {
            req = req.header("authorization", h);
        }
        let resp = req.send().await.unwrap();
        let code = resp.status().as_u16();
        let b: Value = resp.json().await.unwrap();
        assert_error(code, &b, 401, "UnauthorizedRequest", says);
    }
    // A token for another scope.
    let groups_token = ap.token_for(ALICE, "urn:globus:auth:scope:groups.api.globus.org:all");
    let (code, b) = ap.post("/run", Some(&groups_token), body.clone()).await;
    assert_error(
        code,
        &b,
        401,
        "UnauthorizedRequest",
        "the token lacks the scope",
    );
    // Introspection is not public here.
    let (code, b) = ap.get("/", None).await;
    assert_error(
        code,
        &b,
        401,
        "UnauthorizedRequest",
        "no Authorization header",
    );
    let (code, _) = ap.get("/", Some(&bob)).await;
    assert_eq!(code, 200, "visible to all authenticated users");
    // runnable_by: bob is not in it; ops is, through its group.
    let (code, b) = ap.post("/run", Some(&bob), body.clone()).await;
    assert_error(
        code,
        &b,
        401,
        "UnauthorizedRequest",
        "is not in runnable_by",
    );
    let (code, b) = ap.get("/actions", Some(&bob)).await;
    assert_error(
        code,
        &b,
        401,
        "UnauthorizedRequest",
        "is not in runnable_by",
    );
    let ops_run = ap.run(&ops, "ops-1", plan("lab")).await;
    ap.finished(&ops, &ops_run).await;
    // Alice's action, monitored by the operators' group.
    let (code, started) = ap
        .post(
            "/run",
            Some(&alice),
            json!({"request_id": "a1", "body": plan("lab"), "monitor_by": [group_urn(OPS_GROUP)]}),
        )
        .await;
    assert_eq!(code, 202);
    let id = started["action_id"].as_str().unwrap().to_string();
    ap.finished(&alice, &id).await;
    let (code, b) = ap.get(&format!("/{id}/status"), Some(&bob)).await;
    assert_error(code, &b, 401, "UnauthorizedRequest", "may not view action");
    let (code, b) = ap.get(&format!("/{id}/log"), Some(&bob)).await;
    assert_error(
        code,
        &b,
        401,
        "UnauthorizedRequest",
        "not in its monitor_by",
    );
    let (code, _) = ap.get(&format!("/{id}/status"), Some(&ops)).await;
    assert_eq!(code, 200, "ops sees it through its group");
    // Monitoring is not managing: ops may not release it; the admin may.
    let (code, b) = ap
        .post(&format!("/{id}/release"), Some(&ops), json!({}))
        .await;
    assert_error(
        code,
        &b,
        401,
        "UnauthorizedRequest",
        "may not manage action",
    );
    let (code, b) = ap
        .post(&format!("/{id}/cancel"), Some(&bob), json!({}))
        .await;
    assert_error(code, &b, 401, "UnauthorizedRequest", "not in its manage_by");
    let (code, _) = ap.get(&format!("/{id}/status"), Some(&admin)).await;
    assert_eq!(code, 200);
    let (code, _) = ap
        .post(&format!("/{id}/release"), Some(&admin), json!({}))
        .await;
    assert_eq!(code, 200);
    // The groups lookup went through a dependent token and my_groups.
    let log = ap.em().request_log();
    assert!(
        log.iter()
            .any(|r| r.path == "/groups/v2/groups/my_groups" && r.status == 200)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enumerate_filters_by_status_and_role() {
    let ap = Ap::start(ServeConfig::default()).await;
    let alice = ap.token(ALICE);
    let bob = ap.token(BOB);
    let a1 = ap.run(&alice, "e1", plan("lab")).await;
    ap.finished(&alice, &a1).await;
    let (code, _) = ap
        .post(
            "/run",
            Some(&bob),
            json!({"request_id": "e2", "body": plan("lab"), "monitor_by": [urn(ALICE)], "manage_by": [urn(BOB)]}),
        )
        .await;
    assert_eq!(code, 202);
    let (_, bobs) = ap.get("/actions?status=active,succeeded", Some(&bob)).await;
    let b1 = bobs[0]["action_id"].as_str().unwrap().to_string();
    ap.finished(&bob, &b1).await;
    let ids = |v: &Value| -> Vec<String> {
        let mut ids: Vec<String> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["action_id"].as_str().unwrap().to_string())
            .collect();
        ids.sort();
        ids
    };
    // Default: ACTIVE ones the caller created; none are active now.
    let (code, none) = ap.get("/actions", Some(&alice)).await;
    assert_eq!(code, 200);
    assert_eq!(none, json!([]));
    let (_, mine) = ap.get("/actions?status=SUCCEEDED", Some(&alice)).await;
    assert_eq!(ids(&mine), vec![a1.clone()]);
    // Invalid values are dropped, as the toolkit does.
    let (_, mine) = ap
        .get(
            "/actions?status=succeeded,bogus&roles=creator_id,nope",
            Some(&alice),
        )
        .await;
    assert_eq!(ids(&mine), vec![a1.clone()]);
    let (_, watched) = ap
        .get("/actions?status=succeeded&roles=monitor_by", Some(&alice))
        .await;
    let mut both = vec![a1.clone(), b1.clone()];
    both.sort();
    // monitor_by of alice's own action defaulted to alice.
    assert_eq!(ids(&watched), both);
    let (_, managed) = ap
        .get("/actions?status=succeeded&roles=manage_by", Some(&alice))
        .await;
    assert_eq!(ids(&managed), vec![a1.clone()]);
    let (_, failed) = ap.get("/actions?status=failed", Some(&alice)).await;
    assert_eq!(failed, json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_apply_per_workspace_the_second_waits() {
    let ap = Ap::start(ServeConfig::default()).await;
    let alice = ap.token(ALICE);
    slow_writes(ap.em(), 400);
    let first = ap.run(&alice, "apply-a", apply("lab")).await;
    ap.wait(&alice, &first, |s| {
        s["display_status"]
            .as_str()
            .is_some_and(|d| d.starts_with("Applying"))
    })
    .await;
    let second = ap.run(&alice, "apply-b", apply("lab")).await;
    let waiting = ap
        .wait(&alice, &second, |s| {
            s["display_status"]
                .as_str()
                .is_some_and(|d| d.starts_with("Waiting"))
        })
        .await;
    assert_eq!(waiting["status"], "ACTIVE");
    assert!(
        waiting["display_status"]
            .as_str()
            .unwrap()
            .contains("workspace lab is busy"),
        "{waiting}"
    );
    assert_eq!(
        waiting["details"]["waiting_for"]["command"],
        format!("accord serve: apply lab (action {first})")
    );
    let a = ap.finished(&alice, &first).await;
    assert_eq!(a["status"], "SUCCEEDED", "{a}");
    let b = ap.finished(&alice, &second).await;
    assert_eq!(b["status"], "SUCCEEDED", "{b}");
    // The second planned after the first had applied: nothing left to do.
    assert_eq!(b["display_status"], "No changes", "{b}");
    let (_, log) = ap.get(&format!("/{second}/log"), Some(&alice)).await;
    let codes: Vec<&str> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["code"].as_str().unwrap())
        .collect();
    assert!(
        codes.contains(&"WaitingForLock") && codes.contains(&"LockAcquired"),
        "{log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_workspace_can_refuse_instead() {
    let ap = Ap::start(ServeConfig {
        when_busy: WhenBusy::Refuse,
        ..ServeConfig::default()
    })
    .await;
    let alice = ap.token(ALICE);
    slow_writes(ap.em(), 400);
    let first = ap.run(&alice, "apply-a", apply("lab")).await;
    ap.wait(&alice, &first, |s| {
        s["display_status"]
            .as_str()
            .is_some_and(|d| d.starts_with("Applying"))
    })
    .await;
    let second = ap.run(&alice, "apply-b", apply("lab")).await;
    let b = ap.finished(&alice, &second).await;
    assert_eq!(b["status"], "FAILED", "{b}");
    assert_eq!(b["details"]["error"]["code"], "WorkspaceBusy");
    assert!(
        b["details"]["error"]["description"]
            .as_str()
            .unwrap()
            .contains(&format!("action {first}")),
        "{b}"
    );
    // Cancelling the running apply stops it between changes: FAILED, the rest not sent.
    let (code, c) = ap
        .post(&format!("/{first}/cancel"), Some(&alice), json!({}))
        .await;
    assert_eq!(code, 200, "{c}");
    let a = ap.finished(&alice, &first).await;
    assert_eq!(a["status"], "FAILED", "{a}");
    assert_eq!(a["details"]["error"]["code"], "Cancelled", "{a}");
    assert!(
        a["display_status"]
            .as_str()
            .unwrap()
            .starts_with("Cancelled by")
    );
}

/// The binary, serving until killed; its URL read from its first line.
struct Served {
    child: Child,
    url: String,
}

fn spawn_binary(emulator: &str, db: &Path, workspaces: &Path) -> Served {
    let mut child = Command::new(env!("CARGO_BIN_EXE_accord"))
        .args(["serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(db)
        .arg("--workspaces")
        .arg(workspaces)
        .args(["--target", emulator, "--now", common::NOW])
        .env_remove("ACCORD_GLOBUS_CLIENT_ID")
        .env_remove("ACCORD_GLOBUS_CLIENT_SECRET")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn accord serve");
    let stdout = child.stdout.take().unwrap();
    let mut reader = BufReader::new(stdout);
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    // Keep reading, so the provider's later lines never meet a closed pipe.
    std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
    let url = line
        .trim()
        .strip_prefix("accord serve: listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {line}"))
        .to_string();
    Served { child, url }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_mid_apply_then_restarted_loses_nothing() {
    let now = common::NOW.parse().unwrap();
    let emu = accord::emulator::spawn(Emulator::new_at(seed(), now))
        .await
        .unwrap();
    let (tmp, lab) = common::workspace("policies/lab");
    let workspaces = lab.parent().unwrap().to_path_buf();
    let db = tmp.path().join("ap.db");
    let alice = accord::services::auth::emulator::issue_tokens(
        emu.emulator.handle(),
        ALICE.parse().unwrap(),
        &scope(),
    )
    .unwrap()
    .access_token;
    let http = reqwest::Client::new();
    let get = |url: String| {
        let (http, t) = (http.clone(), alice.clone());
        async move {
            let r = http.get(url).bearer_auth(t).send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let run = |url: String, rid: &str, body: Value| {
        let (http, t) = (http.clone(), alice.clone());
        let doc = json!({"request_id": rid, "body": body});
        async move {
            let r = http
                .post(url)
                .bearer_auth(t)
                .json(&doc)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 202);
            r.json::<Value>().await.unwrap()["action_id"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    let wait = |base: String, id: String, want: &'static str| async move {
        let start = Instant::now();
        loop {
            let (_, s) = get(format!("{base}/{id}/status")).await;
            if s["display_status"]
                .as_str()
                .is_some_and(|d| d.starts_with(want))
                || s["status"] == want
            {
                return s;
            }
            assert!(start.elapsed() < Duration::from_secs(30), "{s}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };

    let first = spawn_binary(&emu.base_url, &db, &workspaces);
    let planned = run(format!("{}/run", first.url), "plan", plan("lab")).await;
    wait(first.url.clone(), planned.clone(), "SUCCEEDED").await;
    slow_writes(&emu.emulator, 1500);
    let applying = run(format!("{}/run", first.url), "apply", apply("lab")).await;
    wait(first.url.clone(), applying.clone(), "Applying").await;
    let queued = run(format!("{}/run", first.url), "apply-2", apply("lab")).await;
    wait(first.url.clone(), queued.clone(), "Waiting").await;
    // kill -9, mid-apply.
    drop(first);
    emu.emulator.clear_faults();

    let second = spawn_binary(&emu.base_url, &db, &workspaces);
    let (code, all) = get(format!(
        "{}/actions?status=active,inactive,succeeded,failed",
        second.url
    ))
    .await;
    assert_eq!(code, 200, "{all}");
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), 3, "every action is still there: {all:?}");
    assert!(all.iter().all(|a| a["status"] != "ACTIVE"), "{all:?}");
    let (_, p) = get(format!("{}/{planned}/status", second.url)).await;
    assert_eq!(p["status"], "SUCCEEDED");
    assert!(p["details"]["markdown"].is_string());
    let (_, a) = get(format!("{}/{applying}/status", second.url)).await;
    assert_eq!(a["status"], "FAILED", "{a}");
    assert_eq!(a["details"]["error"]["code"], "Interrupted");
    assert_eq!(a["details"]["interrupted_phase"], "applying");
    assert!(
        a["details"]["error"]["description"]
            .as_str()
            .unwrap()
            .contains("some may have been applied"),
        "{a}"
    );
    let (_, q) = get(format!("{}/{queued}/status", second.url)).await;
    assert_eq!(q["status"], "FAILED", "{q}");
    assert_eq!(q["details"]["interrupted_phase"], "waiting");
    // The log survived, with the interruption at its end.
    let (_, log) = get(format!("{}/{applying}/log", second.url)).await;
    let entries = log["entries"].as_array().unwrap();
    assert!(entries.iter().any(|e| e["code"] == "ApplyStarted"), "{log}");
    assert_eq!(entries.last().unwrap()["code"], "Interrupted");
    // The lock the killed apply held is free: a new apply runs and converges.
    let again = run(format!("{}/run", second.url), "apply-3", apply("lab")).await;
    let done = wait(second.url.clone(), again, "SUCCEEDED").await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    let drift = run(
        format!("{}/run", second.url),
        "drift",
        json!({"operation": "drift", "workspace": "lab"}),
    )
    .await;
    let clean = wait(second.url.clone(), drift, "SUCCEEDED").await;
    assert_eq!(clean["details"]["drift_found"], false, "{clean}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_policy_fails_the_action_with_diagnostics() {
    let ap = Ap::start(ServeConfig::default()).await;
    let broken = ap.workspaces.join("broken");
    std::fs::create_dir_all(&broken).unwrap();
    std::fs::write(
        broken.join("accord.yaml"),
        "policies: [\"*.yaml\"]\ntargets: { demo: { embedded: true, seed: live.yaml } }\ndefault_target: demo\n",
    )
    .unwrap();
    std::fs::write(
        broken.join("groups.yaml"),
        "groups:\n  g:\n    members: { nobody: emperor }\n",
    )
    .unwrap();
    let alice = ap.token(ALICE);
    let id = ap.run(&alice, "broken", plan("broken")).await;
    let done = ap.finished(&alice, &id).await;
    assert_eq!(done["status"], "FAILED", "{done}");
    assert_eq!(done["details"]["error"]["code"], "InvalidPolicy", "{done}");
    let diagnostics = done["details"]["diagnostics"].as_str().unwrap();
    assert!(diagnostics.contains("groups.yaml"), "{diagnostics}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_auth_outage_is_503_not_401() {
    let ap = Ap::start(ServeConfig::default()).await;
    let alice = ap.token(ALICE);
    ap.em()
        .add_faults(vec![fault(json!({
            "service": "auth", "path_contains": "/introspect", "error_rate": 1.0, "status": 503
        }))])
        .unwrap();
    let (code, body) = ap
        .post(
            "/run",
            Some(&alice),
            json!({"request_id": "r", "body": plan("lab")}),
        )
        .await;
    assert_error(
        code,
        &body,
        503,
        "ServiceUnavailable",
        "Globus Auth is unavailable",
    );
    // Once Auth is back, the same token works (an outage is not cached).
    ap.em().clear_faults();
    let id = ap.run(&alice, "r", plan("lab")).await;
    ap.finished(&alice, &id).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_emulator_grants_dependent_tokens_only_to_the_tokens_resource_server() {
    let now = common::NOW.parse().unwrap();
    let emu = accord::emulator::spawn(Emulator::new_at(seed(), now))
        .await
        .unwrap();
    let token = accord::services::auth::emulator::issue_tokens(
        emu.emulator.handle(),
        OPS.parse().unwrap(),
        &scope(),
    )
    .unwrap()
    .access_token;
    let http = reqwest::Client::new();
    let grant = |client: &str, secret: &str| {
        http.post(format!("{}/auth/v2/oauth2/token", emu.base_url))
            .basic_auth(client, Some(secret))
            .form(&[
                ("grant_type", "urn:globus:auth:grant_type:dependent_token"),
                ("token", token.as_str()),
            ])
            .send()
    };
    // The provider (the token's resource server) gets a list with a Groups token for OPS.
    let resp = grant(AP_CLIENT, "demo-secret-not-for-production")
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let tokens: Vec<Value> = resp.json().await.unwrap();
    assert_eq!(tokens.len(), 1);
    assert_eq!(tokens[0]["resource_server"], "groups.api.globus.org");
    let groups: Vec<Value> = http
        .get(format!("{}/groups/v2/groups/my_groups", emu.base_url))
        .bearer_auth(tokens[0]["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0]["id"], OPS_GROUP);
    // Another client may not exchange it.
    let resp = grant(BOB, "bob-secret").await.unwrap();
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_requests_and_workspaces_linked_from_outside_are_refused() {
    let ap = Ap::start(ServeConfig::default()).await;
    let t = ap.token(ALICE);

    // A folder outside --workspaces, linked into it: never served. A link inside is.
    let (_elsewhere, outside) = common::workspace("policies/lab");
    std::os::unix::fs::symlink(&outside, ap.workspaces.join("linked-out")).unwrap();
    std::os::unix::fs::symlink("lab", ap.workspaces.join("linked-in")).unwrap();
    ap.assert_invalid_run(
        &t,
        json!({"request_id": "r1", "body": plan("linked-out")}),
        "workspace `linked-out` is a symlink to a folder outside the workspaces folder: it is not served; served: lab, linked-in",
    )
    .await;
    let id = ap.run(&t, "r2", plan("linked-in")).await;
    let done = ap.wait(&t, &id, |s| s["status"] != "ACTIVE").await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}");

    // A body over the limit: the documented error shape, after the token check.
    let big = format!(
        r#"{{"request_id": "r3", "body": {}, "label": "{}"}}"#,
        plan("lab"),
        "x".repeat(accord::serve::routes::MAX_BODY_BYTES)
    );
    for (token, status, name) in [
        (None, 401, "UnauthorizedRequest"),
        (Some(&t), 413, "RequestEntityTooLarge"),
    ] {
        let mut req = ap.http.post(format!("{}/run", ap.url())).body(big.clone());
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status().as_u16(), status);
        assert_eq!(
            resp.headers()["content-type"],
            "application/json",
            "{status}"
        );
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["code"], name, "{body}");
    }

    // A request_id of 1 MB is refused; one at the limit is fine.
    let max = accord::serve::model::MAX_REQUEST_ID_CHARS;
    ap.assert_invalid_run(
        &t,
        json!({"request_id": "r".repeat(1_000_000), "body": plan("lab")}),
        &format!("Field 'request_id': 1000000 characters, over the limit of {max}"),
    )
    .await;
    let id = ap.run(&t, &"é".repeat(max), plan("lab")).await;
    ap.wait(&t, &id, |s| s["status"] != "ACTIVE").await;
}
