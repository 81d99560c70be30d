//! Drives the emulator's Search API with the official globus-sdk 4.9.0 `SearchClient`
//! (Python): ingest of a GMetaList with `visible_to` and `principal_sets`, polling the task
//! to SUCCESS, subjects, queries with and without `filter_principal_sets` as different
//! identities, the `query#1.0.0` query accord reads an index with (`bypass_visible_to`,
//! `fields: [visible_to, principal_sets]`, paged by the SDK's paginator) and the default
//! `fields`, and index roles. Fails, never skips, when python3 or that exact globus-sdk is
//! missing. `scripts/test` points `ACCORD_PYTHON` at a virtualenv holding it.

#[path = "conformance_support.rs"]
mod conformance;

use accord::emulator::{Emulator, Seed, spawn};

const OWNER: &str = "11111111-1111-4111-8111-111111111111";
const I: &str = "c1000000-0000-4000-8000-000000000001";
const J: &str = "c2000000-0000-4000-8000-000000000002";
const K: &str = "c3000000-0000-4000-8000-000000000003";
const G: &str = "9a000000-0000-4000-8000-000000000001";
const H: &str = "9a000000-0000-4000-8000-000000000002";
const INDEX: &str = "5e000000-0000-4000-8000-000000000001";

/// The owner is a client (client credentials); I, J and K are users with seeded tokens.
const SEED: &str = r#"
clients:
  - { client_id: 11111111-1111-4111-8111-111111111111, client_secret: owner-secret, name: owner }
identities:
  - { username: i@uni.edu, id: c1000000-0000-4000-8000-000000000001,
      tokens: { search.api.globus.org: i-search-token } }
  - { username: j@uni.edu, id: c2000000-0000-4000-8000-000000000002,
      tokens: { search.api.globus.org: j-search-token } }
  - { username: k@uni.edu, id: c3000000-0000-4000-8000-000000000003,
      tokens: { search.api.globus.org: k-search-token } }
groups:
  - { id: 9a000000-0000-4000-8000-000000000001, name: G }
  - { id: 9a000000-0000-4000-8000-000000000002, name: H, members: [{ identity: k@uni.edu }] }
search:
  indexes:
    5e000000-0000-4000-8000-000000000001:
      display_name: conformance
      roles: { owner: [11111111-1111-4111-8111-111111111111] }
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn globus_sdk_search_client() {
    let seed = Seed::from_yaml_str(&accord::services::builtin(), SEED).expect("seed");
    let em = spawn(Emulator::new(seed)).await.expect("emulator");
    let env = [
        ("GLOBUS_SDK_SERVICE_URL_AUTH", em.service_url("auth")),
        ("GLOBUS_SDK_SERVICE_URL_SEARCH", em.service_url("search")),
        ("EMULATOR_CLIENT_ID", OWNER.to_string()),
        ("EMULATOR_CLIENT_SECRET", "owner-secret".to_string()),
        ("EMULATOR_INDEX_ID", INDEX.to_string()),
        ("EMULATOR_I_ID", I.to_string()),
        ("EMULATOR_J_ID", J.to_string()),
        ("EMULATOR_K_ID", K.to_string()),
        ("EMULATOR_G_ID", G.to_string()),
        ("EMULATOR_H_ID", H.to_string()),
        ("EMULATOR_I_TOKEN", "i-search-token".to_string()),
        ("EMULATOR_J_TOKEN", "j-search-token".to_string()),
        ("EMULATOR_K_TOKEN", "k-search-token".to_string()),
    ];
    conformance::run_script("search.py", env.to_vec(), "globus-sdk Search conformance").await;
    let log = em.emulator.request_log();
    for (method, path) in [
        ("POST", "/auth/v2/oauth2/token".to_string()),
        ("POST", format!("/search/v1/index/{INDEX}/ingest")),
        ("POST", format!("/search/v1/index/{INDEX}/search")),
        ("GET", format!("/search/v1/index/{INDEX}/search")),
        ("GET", format!("/search/v1/index/{INDEX}/subject")),
        ("POST", format!("/search/v1/index/{INDEX}/role")),
        ("GET", format!("/search/v1/index/{INDEX}/role_list")),
        ("DELETE", format!("/search/v1/index/{INDEX}/subject")),
    ] {
        assert!(
            log.iter().any(|r| r.method == method && r.path == path),
            "the SDK sent {method} {path}: {log:?}"
        );
    }
    assert!(
        log.iter()
            .any(|r| r.method == "GET" && r.path.starts_with("/search/v1/task/")),
        "the SDK polled a task"
    );
    assert!(
        log.iter().any(|r| r.method == "DELETE"
            && r.path
                .starts_with(&format!("/search/v1/index/{INDEX}/role/"))),
        "the SDK deleted a role"
    );
    assert!(log.iter().all(|r| r.status != 0), "no dropped requests");
}
