//! Running the official Python clients' conformance scripts (`tests/conformance/*.py`).
//! Included by the `conformance_*` tests with `#[path]`; as a crate of its own it has no tests.
#![allow(dead_code)]

use std::process::Command;

/// Runs `tests/conformance/<script>` with `ACCORD_PYTHON` (the virtualenv `scripts/test`
/// makes; `python3` otherwise) and `env`, off the async runtime so the in-process emulator
/// keeps serving, and asserts that it exits 0 and prints `<marker>: ok`. Fails, never skips,
/// when Python or a client is missing. Answers the script's standard output.
pub async fn run_script(script: &str, env: Vec<(&'static str, String)>, marker: &str) -> String {
    let path = format!("{}/tests/conformance/{script}", env!("CARGO_MANIFEST_DIR"));
    let python = std::env::var("ACCORD_PYTHON").unwrap_or_else(|_| "python3".into());
    let output = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .arg(&path)
            .envs(env)
            .env("GLOBUS_SDK_HTTP_TIMEOUT", "30")
            // No ~/.intern/intern.cfg may shadow the configuration a script passes.
            .env("HOME", std::env::temp_dir())
            .output()
    })
    .await
    .expect("join")
    .unwrap_or_else(|e| panic!("Python must be installed to run this test: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{script} failed ({}); `scripts/test` installs tests/conformance/requirements.txt.\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        output.status
    );
    assert!(stdout.contains(&format!("{marker}: ok")), "{stdout}");
    stdout
}
