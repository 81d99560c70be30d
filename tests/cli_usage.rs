//! Exit codes and usage errors: 2 always means "changes", so usage errors exit 1.

mod common;

use common::{accord, run};

#[test]
fn usage_errors_exit_1_not_2() {
    let out = accord().args(["plan", "--no-such-flag"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let out = accord().output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "a missing subcommand is a usage error"
    );
    let out = accord()
        .args(["plan", "--format", "yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let out = accord()
        .args(["plan", "--now", "yesterday"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("RFC 3339"));
}

#[test]
fn help_and_version_exit_0() {
    assert_eq!(
        accord().arg("--help").output().unwrap().status.code(),
        Some(0)
    );
    assert_eq!(
        accord().arg("--version").output().unwrap().status.code(),
        Some(0)
    );
}

#[test]
fn target_url_must_be_loopback() {
    let (_tmp, ws) = common::workspace("policies/lab");
    let (code, _, err) = run(&[
        "plan",
        ws.to_str().unwrap(),
        "--target",
        "https://example.org",
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("loopback"), "{err}");
}

#[test]
fn unknown_target_is_an_error() {
    let (_tmp, ws) = common::workspace("policies/lab");
    let (code, _, err) = run(&["plan", ws.to_str().unwrap(), "--target", "nope"]);
    assert_eq!(code, 1);
    assert!(err.contains("unknown target `nope`"), "{err}");
}

#[test]
fn bad_only_address_is_an_error() {
    let (_tmp, ws) = common::workspace("policies/lab");
    let (code, _, err) = run(&["plan", ws.to_str().unwrap(), "--only", "nope.kind"]);
    assert_eq!(code, 1);
    assert!(err.contains("unknown kind"), "{err}");
}

#[test]
fn validate_passes_on_the_lab_and_makes_no_network_call() {
    // validate never connects: it takes no target at all.
    let (_tmp, ws) = common::workspace("policies/lab");
    let (code, out, err) = run(&["validate", ws.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("valid"), "{out}");
    let (code, _, err) = run(&[
        "validate",
        ws.to_str().unwrap(),
        "--target",
        "http://127.0.0.1:9",
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("unexpected argument '--target'"), "{err}");
}

#[test]
fn reset_starts_the_embedded_target_again() {
    let (_tmp, ws) = common::workspace("policies/lab");
    let dir = ws.to_str().unwrap();
    assert_eq!(run(&["apply", dir, "--auto-approve"]).0, 0);
    assert_eq!(run(&["plan", dir, "--detailed-exitcode"]).0, 0);
    let (code, out, _) = run(&["reset", dir]);
    assert_eq!(code, 0);
    assert!(out.contains("starts again"), "{out}");
    assert_eq!(run(&["plan", dir, "--detailed-exitcode"]).0, 2);
}

#[test]
fn a_changed_seed_starts_the_state_again_with_a_notice() {
    let (_tmp, ws) = common::workspace("policies/lab");
    let dir = ws.to_str().unwrap();
    assert_eq!(run(&["apply", dir, "--auto-approve"]).0, 0);
    let seed = ws.join("live.yaml");
    let text = std::fs::read_to_string(&seed).unwrap();
    std::fs::write(&seed, format!("{text}\n# edited\n")).unwrap();
    let (code, _, err) = run(&["plan", dir, "--detailed-exitcode"]);
    assert_eq!(code, 2);
    assert!(err.contains("starts again from the seed"), "{err}");
}
