//! Drives the emulator's Flows API with the official globus-sdk 4.9.0 `FlowsClient` (Python):
//! a client-credentials token for Flows' `all` scope and for a flow's own scope, `get_flow`
//! as the owner, a viewer and a run monitor (redacted lists), `update_flow` with each role
//! list (only the list sent changes, `[]` clears), `list_flows` with `filter_roles` (a string,
//! a list, the plural spelling), `orderby` and the SDK's marker paginator, and the errors:
//! 404 for a missing or hidden flow, 403 for a viewer's update, 422 for bad principals (their
//! `FlowsAPIError.messages`). Fails, never skips, when python3 or that exact globus-sdk is
//! missing. `scripts/test` points `ACCORD_PYTHON` at a virtualenv holding it.

#[path = "conformance_support.rs"]
mod conformance;

use accord::emulator::{Emulator, Seed, spawn};

const OWNER: &str = "11111111-1111-4111-8111-111111111111";
const ADMIN: &str = "a0000000-0000-4000-8000-000000000001";
const VIEWER: &str = "a0000000-0000-4000-8000-000000000003";
const MONITOR: &str = "a0000000-0000-4000-8000-000000000004";
const G: &str = "9a000000-0000-4000-8000-000000000001";
const F1: &str = "5f000000-0000-4000-8000-000000000001";
const F2: &str = "5f000000-0000-4000-8000-000000000002";
const MISSING: &str = "5f000000-0000-4000-8000-0000000000ff";

/// The owner is a client (client credentials); the others are users with seeded tokens.
const SEED: &str = r#"
clients:
  - { client_id: 11111111-1111-4111-8111-111111111111, client_secret: owner-secret, name: owner }
identities:
  - { username: admin@uni.edu, id: a0000000-0000-4000-8000-000000000001, tokens: { flows.globus.org: admin-t } }
  - { username: viewer@uni.edu, id: a0000000-0000-4000-8000-000000000003, tokens: { flows.globus.org: viewer-t } }
  - { username: monitor@uni.edu, id: a0000000-0000-4000-8000-000000000004, tokens: { flows.globus.org: monitor-t } }
  - { username: stranger@uni.edu, id: a0000000-0000-4000-8000-000000000005, tokens: { flows.globus.org: stranger-t } }
groups:
  - { id: 9a000000-0000-4000-8000-000000000001, name: G, members: [{ identity: admin@uni.edu }] }
flows:
  - id: 5f000000-0000-4000-8000-000000000001
    title: Delta
    owner: 11111111-1111-4111-8111-111111111111
    flow_administrators: [admin@uni.edu]
    flow_viewers: [viewer@uni.edu]
    run_monitors: [monitor@uni.edu]
  - id: 5f000000-0000-4000-8000-000000000002
    title: Alpha
    owner: admin@uni.edu
    flow_starters: [viewer@uni.edu]
  - { id: 5f000000-0000-4000-8000-000000000003, title: Echo, owner: 11111111-1111-4111-8111-111111111111 }
  - { id: 5f000000-0000-4000-8000-000000000004, title: Bravo, owner: 11111111-1111-4111-8111-111111111111 }
  - { id: 5f000000-0000-4000-8000-000000000005, title: Charlie, owner: 11111111-1111-4111-8111-111111111111 }
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn globus_sdk_flows_client() {
    let seed = Seed::from_yaml_str(&accord::services::builtin(), SEED).expect("seed");
    let em = spawn(Emulator::new(seed)).await.expect("emulator");
    let env = [
        ("GLOBUS_SDK_SERVICE_URL_AUTH", em.service_url("auth")),
        ("GLOBUS_SDK_SERVICE_URL_FLOWS", em.service_url("flows")),
        ("EMULATOR_CLIENT_ID", OWNER.to_string()),
        ("EMULATOR_CLIENT_SECRET", "owner-secret".to_string()),
        ("EMULATOR_F1_ID", F1.to_string()),
        ("EMULATOR_F2_ID", F2.to_string()),
        ("EMULATOR_MISSING_ID", MISSING.to_string()),
        ("EMULATOR_ADMIN_ID", ADMIN.to_string()),
        ("EMULATOR_VIEWER_ID", VIEWER.to_string()),
        ("EMULATOR_MONITOR_ID", MONITOR.to_string()),
        ("EMULATOR_G_ID", G.to_string()),
        ("EMULATOR_ADMIN_TOKEN", "admin-t".to_string()),
        ("EMULATOR_VIEWER_TOKEN", "viewer-t".to_string()),
        ("EMULATOR_MONITOR_TOKEN", "monitor-t".to_string()),
        ("EMULATOR_STRANGER_TOKEN", "stranger-t".to_string()),
    ];
    conformance::run_script("flows_sdk.py", env.to_vec(), "globus-sdk Flows conformance").await;
    let log = em.emulator.request_log();
    for (method, path) in [
        ("POST", "/auth/v2/oauth2/token".to_string()),
        ("GET", format!("/flows/flows/{F1}")),
        ("PUT", format!("/flows/flows/{F1}")),
        ("GET", "/flows/flows".to_string()),
        ("GET", format!("/flows/flows/{MISSING}")),
    ] {
        assert!(
            log.iter().any(|r| r.method == method && r.path == path),
            "the SDK sent {method} {path}: {log:?}"
        );
    }
    for (status, refusal) in [
        (404, "flows.flow.not_found"),
        (403, "flows.flow.forbidden"),
        (422, "flows.role.invalid_principal"),
    ] {
        assert!(
            log.iter()
                .any(|r| r.status == status && r.refusals.iter().any(|x| x == refusal)),
            "a {status} {refusal}: {log:?}"
        );
    }
    assert!(log.iter().all(|r| r.status != 0), "no dropped requests");
}
