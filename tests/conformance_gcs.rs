//! Drives the emulator's GCS Manager API, served over HTTPS by `spawn_tls`, with the
//! official globus-sdk 4.9.0 (Python): `GCSClient` insists on https. Fails, never skips,
//! when python3 or that exact globus-sdk is missing. `scripts/test` points `ACCORD_PYTHON`
//! at a virtualenv holding it.

#[path = "emulator_gcs_support.rs"]
mod support;

use std::process::Command;

use accord::emulator::{Emulator, Service, spawn_tls};
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn globus_sdk_gcs_over_https() {
    let running = spawn_tls(Emulator::new(seed()))
        .await
        .expect("TLS emulator");
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("emulator-ca.pem");
    std::fs::write(&ca_file, running.ca_pem.as_deref().expect("a CA")).unwrap();
    let script = format!(
        "{}/tests/conformance/globus_sdk_gcs.py",
        env!("CARGO_MANIFEST_DIR")
    );
    let env = [
        ("GLOBUS_SDK_VERIFY_SSL", ca_file.display().to_string()),
        (
            "GLOBUS_SDK_SERVICE_URL_AUTH",
            running.service_url(Service::Auth),
        ),
        (
            "GLOBUS_SDK_SERVICE_URL_TRANSFER",
            running.service_url(Service::Transfer),
        ),
        ("EMULATOR_BASE_URL", running.base_url.clone()),
        ("EMULATOR_CLIENT_ID", USER.to_string()),
        ("EMULATOR_CLIENT_SECRET", secret_of(USER).to_string()),
        ("EMULATOR_GCS_ENDPOINT_ID", GCS.to_string()),
        ("EMULATOR_MAPPED_COLLECTION_ID", MAPPED.to_string()),
        ("EMULATOR_STORAGE_GATEWAY_ID", GATEWAY.to_string()),
        ("EMULATOR_MEMBER_ID", ALICE.to_string()),
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
        "globus-sdk GCS conformance script failed ({}).\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        output.status
    );
    assert!(
        stdout.contains("globus-sdk GCS conformance: ok"),
        "{stdout}"
    );
    let log = running.emulator.request_log();
    for path in [
        format!("/gcs/{GCS}/api/user_credentials"),
        format!("/gcs/{GCS}/api/collections"),
        format!("/gcs/{GCS}/api/roles"),
    ] {
        assert!(
            log.iter().any(|r| r.method == "POST" && r.path == path),
            "the SDK posted to {path}: {log:?}"
        );
    }
    assert!(log.iter().all(|r| r.status != 0), "no dropped requests");
}
