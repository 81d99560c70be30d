//! Drives the emulator with the official globus-sdk 4.9.0 (Python). Fails, never skips,
//! when python3 or that exact globus-sdk is missing. `scripts/test` (the README's test
//! command) installs it into a virtualenv and points `ACCORD_PYTHON` at that interpreter.

#[path = "conformance_support.rs"]
mod conformance;
#[path = "emulator_support.rs"]
mod support;

use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn globus_sdk_groups_and_transfer() {
    let em = start().await;
    let env = [
        ("GLOBUS_SDK_SERVICE_URL_AUTH", em.service_url("auth")),
        ("GLOBUS_SDK_SERVICE_URL_GROUPS", em.service_url("groups")),
        (
            "GLOBUS_SDK_SERVICE_URL_TRANSFER",
            em.service_url("transfer"),
        ),
        ("EMULATOR_CLIENT_ID", ADMIN.to_string()),
        ("EMULATOR_CLIENT_SECRET", "admin-secret".to_string()),
        ("EMULATOR_MEMBER_ID", MEMBER.to_string()),
        ("EMULATOR_ENDPOINT_ID", ENDPOINT.to_string()),
    ];
    conformance::run_script(
        "globus_sdk_groups_transfer.py",
        env.to_vec(),
        "globus-sdk conformance",
    )
    .await;
    let log = em.emulator.request_log();
    assert!(log.iter().any(|r| r.path == "/auth/v2/oauth2/token"));
    assert!(log.iter().all(|r| r.status != 0), "no dropped requests");
}
