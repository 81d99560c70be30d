//! Drives the emulator's Boss API (`/boss/v1/...`) with the official intern 1.4.2 client
//! (Python): groups, members, resources and permissions at every level. Fails, never skips,
//! when Python or that exact intern is missing. `scripts/test` points `ACCORD_PYTHON` at a
//! virtualenv holding it (`tests/conformance/requirements.txt`).

use std::process::Command;

use accord::emulator::{Emulator, Seed, spawn};

const SEED: &str = "
boss:
  users:
    - { username: manager, token: manager-token, roles: [resource-manager] }
    - { username: alice, token: alice-token }
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn intern_drives_the_boss_emulator() {
    let seed = Seed::from_yaml_str(SEED).expect("seed");
    let running = spawn(Emulator::new(seed)).await.expect("emulator");
    let host = format!("{}/boss", running.addr);
    let script = format!(
        "{}/tests/conformance/intern_boss.py",
        env!("CARGO_MANIFEST_DIR")
    );
    let python = std::env::var("ACCORD_PYTHON").unwrap_or_else(|_| "python3".into());
    // intern is blocking; run it off the runtime's workers so the server keeps serving.
    let output = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .arg(&script)
            .env("EMULATOR_BOSS_HOST", host)
            .env("EMULATOR_BOSS_TOKEN", "manager-token")
            .env("EMULATOR_BOSS_MEMBER", "alice")
            // No ~/.intern/intern.cfg may shadow the dict configuration.
            .env("HOME", std::env::temp_dir())
            .output()
    })
    .await
    .expect("join")
    .unwrap_or_else(|e| panic!("Python must be installed to run this test: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "intern conformance script failed ({}); `pip install -r tests/conformance/requirements.txt`.\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        output.status
    );
    assert!(stdout.contains("intern Boss conformance: ok"), "{stdout}");
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
