//! Drives the emulator's GCS Manager API, served over HTTPS by `spawn_tls`, with the
//! official globus-sdk 4.9.0 (Python): `GCSClient` insists on https. Fails, never skips,
//! when python3 or that exact globus-sdk is missing. `scripts/test` points `ACCORD_PYTHON`
//! at a virtualenv holding it.

#[path = "conformance_support.rs"]
mod conformance;
#[path = "emulator_gcs_support.rs"]
mod support;

use accord::emulator::{Emulator, spawn_tls};
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn globus_sdk_gcs_over_https() {
    let running = spawn_tls(Emulator::new(seed()))
        .await
        .expect("TLS emulator");
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("emulator-ca.pem");
    std::fs::write(&ca_file, running.ca_pem.as_deref().expect("a CA")).unwrap();
    let env = [
        ("GLOBUS_SDK_VERIFY_SSL", ca_file.display().to_string()),
        ("GLOBUS_SDK_SERVICE_URL_AUTH", running.service_url("auth")),
        (
            "GLOBUS_SDK_SERVICE_URL_TRANSFER",
            running.service_url("transfer"),
        ),
        ("EMULATOR_BASE_URL", running.base_url.clone()),
        ("EMULATOR_CLIENT_ID", USER.to_string()),
        ("EMULATOR_CLIENT_SECRET", secret_of(USER).to_string()),
        ("EMULATOR_GCS_ENDPOINT_ID", GCS.to_string()),
        ("EMULATOR_MAPPED_COLLECTION_ID", MAPPED.to_string()),
        ("EMULATOR_STORAGE_GATEWAY_ID", GATEWAY.to_string()),
        ("EMULATOR_MEMBER_ID", ALICE.to_string()),
    ];
    conformance::run_script(
        "globus_sdk_gcs.py",
        env.to_vec(),
        "globus-sdk GCS conformance",
    )
    .await;
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
