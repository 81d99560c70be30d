//! Crashes (issue 8): `accord apply` killed with SIGKILL at a point in its run, then run again,
//! converges. The services are slowed down so every kill lands mid-apply; the long version
//! with 20+ kill points is `bench/crash-loop`.

mod common;

use std::time::Duration;

use accord::emulator::FaultRule;
use common::{Live, run, workspace};
use serde_json::json;

/// Kills an apply after `after_ms`, then re-runs it; the plan that follows is empty.
fn kill_then_converge(example: &str, after_ms: u64) {
    let live = Live::from_seed_file(&format!("policies/{example}/live.yaml"));
    let (_tmp, ws) = workspace(&format!("policies/{example}"));
    let dir = ws.to_str().unwrap();
    let url = live.url().to_string();
    let slow: Vec<FaultRule> =
        serde_json::from_value(json!([{"service": "all", "latency_ms": 150}])).unwrap();
    live.emulator().add_faults(slow).unwrap();

    #[allow(deprecated)] // cargo_bin: the binary of this package, as assert_cmd builds it
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("accord"))
        .env("NO_COLOR", "1")
        .env_remove("ACCORD_GLOBUS_CLIENT_ID")
        .env_remove("ACCORD_GLOBUS_CLIENT_SECRET")
        .args([
            "apply",
            dir,
            "--target",
            &url,
            "--auto-approve",
            "--now",
            common::NOW,
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn accord apply");
    std::thread::sleep(Duration::from_millis(after_ms));
    let finished_first = child.try_wait().expect("try_wait").is_some();
    child.kill().ok(); // SIGKILL on Unix
    child.wait().ok();
    assert!(
        !finished_first,
        "{example}: the apply finished before the kill at {after_ms} ms"
    );

    live.emulator().clear_faults();
    let (code, out, err) = run(&["apply", dir, "--target", &url, "--auto-approve"]);
    assert_eq!(
        code, 0,
        "{example}: the re-run after a kill at {after_ms} ms:\n{out}{err}"
    );
    let (code, out, err) = run(&["plan", dir, "--target", &url, "--detailed-exitcode"]);
    assert_eq!(
        code, 0,
        "{example}: converged after a kill at {after_ms} ms:\n{out}{err}"
    );
}

#[test]
fn a_killed_lab_apply_converges_on_rerun() {
    for after_ms in [250, 800] {
        kill_then_converge("lab", after_ms);
    }
}

#[test]
fn a_killed_boss_apply_converges_on_rerun() {
    for after_ms in [400, 1500] {
        kill_then_converge("boss-tutorial", after_ms);
    }
}
