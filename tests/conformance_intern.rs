//! Drives the emulator's Boss API (`/boss/v1/...`) with the official intern 1.4.2 client
//! (Python): groups, members, resources and permissions at every level. Fails, never skips,
//! when Python or that exact intern is missing. `scripts/test` points `ACCORD_PYTHON` at a
//! virtualenv holding it (`tests/conformance/requirements.txt`).

#[path = "conformance_support.rs"]
mod conformance;

use accord::emulator::{Emulator, Seed, spawn};

const SEED: &str = "
boss:
  users:
    - { username: manager, token: manager-token, roles: [resource-manager] }
    - { username: alice, token: alice-token }
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn intern_drives_the_boss_emulator() {
    let seed = Seed::from_yaml_str(&accord::services::builtin(), SEED).expect("seed");
    let running = spawn(Emulator::new(seed)).await.expect("emulator");
    let host = format!("{}/boss", running.addr);
    let env = vec![
        ("EMULATOR_BOSS_HOST", host),
        ("EMULATOR_BOSS_TOKEN", "manager-token".to_string()),
        ("EMULATOR_BOSS_MEMBER", "alice".to_string()),
    ];
    conformance::run_script("intern_boss.py", env, "intern Boss conformance").await;
    let log = running.emulator.request_log();
    for (method, path) in [
        ("POST", "/boss/v1/groups/lab-readers/"),
        ("POST", "/boss/v1/groups/lab-readers/members/alice"),
        ("POST", "/boss/v1/permissions/"),
        ("PATCH", "/boss/v1/permissions/"),
        ("DELETE", "/boss/v1/permissions/"),
        ("DELETE", "/boss/v1/groups/lab-readers/"),
    ] {
        assert!(
            log.iter().any(|r| r.method == method && r.path == path),
            "intern sent {method} {path}: {log:?}"
        );
    }
    assert!(log.iter().all(|r| r.status != 0), "no dropped requests");
}
