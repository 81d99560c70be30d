//! Drives the emulator with the official globus-sdk 4.9.0 (Python). Fails, never skips,
//! when python3 or that exact globus-sdk is missing. `scripts/test` (the README's test
//! command) installs it into a virtualenv and points `ACCORD_PYTHON` at that interpreter.

#[path = "emulator_support.rs"]
mod support;

use std::process::Command;

use accord::emulator::Service;
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn globus_sdk_groups_and_transfer() {
    let em = start().await;
    let script = format!(
        "{}/tests/conformance/globus_sdk_groups_transfer.py",
        env!("CARGO_MANIFEST_DIR")
    );
    let env = [
        ("GLOBUS_SDK_SERVICE_URL_AUTH", em.service_url(Service::Auth)),
        (
            "GLOBUS_SDK_SERVICE_URL_GROUPS",
            em.service_url(Service::Groups),
        ),
        (
            "GLOBUS_SDK_SERVICE_URL_TRANSFER",
            em.service_url(Service::Transfer),
        ),
        ("EMULATOR_CLIENT_ID", ADMIN.to_string()),
        ("EMULATOR_CLIENT_SECRET", "admin-secret".to_string()),
        ("EMULATOR_MEMBER_ID", MEMBER.to_string()),
        ("EMULATOR_ENDPOINT_ID", ENDPOINT.to_string()),
    ];
    // The SDK is blocking; run it off the runtime's worker so the server keeps serving.
    let output = tokio::task::spawn_blocking(move || {
        Command::new(std::env::var("ACCORD_PYTHON").unwrap_or_else(|_| "python3".into()))
            .arg(&script)
            .envs(env)
            .env("GLOBUS_SDK_HTTP_TIMEOUT", "30")
            .output()
    })
    .await
    .expect("join")
    .unwrap_or_else(|e| panic!("python3 must be installed to run this test: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "globus-sdk conformance script failed ({}).\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        output.status
    );
    assert!(stdout.contains("globus-sdk conformance: ok"), "{stdout}");
    let log = em.emulator.request_log();
    assert!(log.iter().any(|r| r.path == "/auth/v2/oauth2/token"));
    assert!(log.iter().all(|r| r.status != 0), "no dropped requests");
}
