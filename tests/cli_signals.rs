//! Ctrl-C and SIGTERM during `accord apply` (issue 18): the first signal stops starting
//! changes, lets calls in flight finish, prints the summary, releases the lock and exits 130
//! (SIGINT) or 143 (SIGTERM); a re-run converges.
#![cfg(unix)]

mod common;

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::time::Duration;

use accord::emulator::FaultRule;
use common::{Live, run, workspace};
use serde_json::json;

/// Starts a slowed-down apply of the lab, sends `signal` once the plan is printed (so the
/// apply is under way), and returns (exit code, stdout, stderr) with the workspace checked.
fn interrupted_apply(signal: &str) -> (i32, String, String) {
    let live = Live::from_seed_file("policies/lab/live.yaml");
    let (_tmp, ws) = workspace("policies/lab");
    let dir = ws.to_str().unwrap();
    let url = live.url().to_string();
    let slow: Vec<FaultRule> = serde_json::from_value(
        json!([{"service": "all", "method": "POST", "latency_ms": 400},
                                      {"service": "all", "method": "PUT", "latency_ms": 400},
                                      {"service": "all", "method": "DELETE", "latency_ms": 400}]),
    )
    .unwrap();
    live.emulator().add_faults(slow).unwrap();

    #[allow(deprecated)] // cargo_bin: the binary of this package, as assert_cmd builds it
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("accord"))
        .env("NO_COLOR", "1")
        .env_remove("ACCORD_GLOBUS_CLIENT_ID")
        .env_remove("ACCORD_GLOBUS_CLIENT_SECRET")
        .args(["apply", dir, "--target", &url, "--auto-approve"])
        .args(["--parallelism", "1", "--now", common::NOW])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn accord apply");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut out = String::new();
    loop {
        let mut line = String::new();
        if stdout.read_line(&mut line).unwrap() == 0 {
            panic!("apply ended before its plan was printed:\n{out}");
        }
        out.push_str(&line);
        if line.starts_with("Plan: ") {
            break;
        }
    }
    // The first call is in flight now (400 ms each, one at a time).
    std::thread::sleep(Duration::from_millis(300));
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args([signal, &pid])
            .status()
            .unwrap()
            .success()
    );
    stdout.read_to_string(&mut out).unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let code = child.wait().unwrap().code().unwrap_or(-1);

    assert!(
        !ws.join(".accord").join("lock").exists(),
        "the lock is released:\n{out}{err}"
    );
    live.emulator().clear_faults();
    let (rerun, o, e) = run(&["apply", dir, "--target", &url, "--auto-approve"]);
    assert_eq!(rerun, 0, "the re-run applies the rest:\n{o}{e}");
    let (plan, o, e) = run(&["plan", dir, "--target", &url, "--detailed-exitcode"]);
    assert_eq!(plan, 0, "converged after the re-run:\n{o}{e}");
    (code, out, err)
}

/// The summary line's counts: (applied, failed, skipped).
fn summary(out: &str) -> (usize, usize, usize) {
    let line = out
        .lines()
        .find(|l| l.starts_with("Apply: "))
        .unwrap_or_else(|| panic!("no summary:\n{out}"));
    let n = |word: &str| -> usize {
        let before = line.split(&format!(" {word}")).next().unwrap();
        before.rsplit(' ').next().unwrap().parse().unwrap()
    };
    (n("applied"), n("failed"), n("skipped"))
}

#[test]
fn sigint_mid_apply_prints_the_summary_releases_the_lock_and_exits_130() {
    let (code, out, err) = interrupted_apply("-INT");
    assert_eq!(code, 130, "{out}{err}");
    let (applied, failed, skipped) = summary(&out);
    assert_eq!(failed, 0, "the call in flight finished:\n{out}{err}");
    assert!(applied >= 1, "the call in flight finished:\n{out}{err}");
    assert!(skipped >= 1, "nothing new started:\n{out}{err}");
    assert!(out.contains("Interrupted by SIGINT"), "{out}");
    assert!(err.contains("no new change starts"), "{err}");
}

#[test]
fn sigterm_mid_apply_exits_143() {
    let (code, out, err) = interrupted_apply("-TERM");
    assert_eq!(code, 143, "{out}{err}");
    let (_, failed, skipped) = summary(&out);
    assert_eq!(failed, 0, "{out}{err}");
    assert!(skipped >= 1, "{out}{err}");
    assert!(out.contains("Interrupted by SIGTERM"), "{out}");
}
