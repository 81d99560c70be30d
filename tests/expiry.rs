//! Expiry: plan lists grants expiring within a window; an expired grant is revoked by the
//! next plan; drift reports it as expired but still live. The clock is `--now`.

mod common;

use common::{accord, workspace};

fn plan_at(dir: &str, now: &str, extra: &[&str]) -> (i32, String) {
    let out = accord()
        .args(["plan", dir, "--now", now])
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn expiring_within_lists_grants_in_the_window() {
    let (_tmp, ws) = workspace("policies/lab");
    let dir = ws.to_str().unwrap();
    let (code, out) = plan_at(dir, "2027-12-01T00:00:00Z", &["--expiring-within", "60d"]);
    assert_eq!(code, 0);
    assert!(out.contains("Expiring within 60d:"), "{out}");
    assert!(
        out.contains("/disthome/bob/ bob   expires 2027-12-31T00:00:00Z (shares.yaml:6)"),
        "{out}"
    );
    let (_, out) = plan_at(dir, "2027-12-01T00:00:00Z", &["--expiring-within", "7d"]);
    assert!(out.contains("Expiring within 7d:\n  none"), "{out}");
    let (_, md) = plan_at(
        dir,
        "2027-12-01T00:00:00Z",
        &["--expiring-within", "8w", "--format", "markdown"],
    );
    assert!(md.contains("#### Expiring within 8w"), "{md}");
    let (_, json) = plan_at(
        dir,
        "2027-12-01T00:00:00Z",
        &["--expiring-within", "8w", "--format", "json"],
    );
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["expiring"][0]["expires"], "2027-12-31T00:00:00Z");
    assert_eq!(v["expiring_window"], "8w");
}

#[test]
fn moving_the_clock_past_an_expiry_revokes_exactly_that_grant() {
    let (_tmp, ws) = workspace("policies/lab");
    let dir = ws.to_str().unwrap();
    let out = accord()
        .args([
            "apply",
            dir,
            "--auto-approve",
            "--now",
            "2027-12-01T00:00:00Z",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        plan_at(dir, "2027-12-30T00:00:00Z", &["--detailed-exitcode"]).0,
        0
    );
    // After bob's rule expires, the service removes it itself (the emulator does so, as the
    // real Transfer does), so the plan is empty again; until then drift and the plan agree.
    let (code, out) = plan_at(dir, "2028-01-01T00:00:00Z", &["--detailed-exitcode"]);
    assert_eq!(
        code, 0,
        "the expired rule is gone on the service and absent from the policy:\n{out}"
    );
}

#[test]
fn drift_reports_expired_but_still_live_and_only_expired_revokes_it() {
    let (_tmp, ws) = workspace("policies/lab");
    let dir = ws.to_str().unwrap();
    let out = accord()
        .args(["drift", dir, "--now", common::NOW])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("expired but still live (1):"), "{text}");
    assert!(text.contains("dave"), "{text}");
    let out = accord()
        .args([
            "apply",
            dir,
            "--only-expired",
            "--auto-approve",
            "--now",
            common::NOW,
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Apply: 1 applied"), "{text}");
    let out = accord()
        .args(["drift", dir, "--now", common::NOW])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("expired but still live"), "{text}");
}

#[test]
fn the_plan_reads_windows_as_the_review_does() {
    // One parser for both: what `access review` accepts (`1y`, `1d 12h`), plan does too, and a
    // bad window gets the same message.
    let (_tmp, ws) = workspace("policies/lab");
    let dir = ws.to_str().unwrap();
    for window in ["1y", "1d 12h", "36h"] {
        let (code, _) = plan_at(dir, common::NOW, &["--expiring-within", window]);
        assert_ne!(code, 1, "{window}");
    }
    let out = accord()
        .args(["plan", dir, "--expiring-within", "soon"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--expiring-within"), "{err}");
    assert!(err.contains("such as 30d, 2w or 12h"), "{err}");
}

#[test]
fn a_bad_window_is_a_usage_error() {
    let (_tmp, ws) = workspace("policies/lab");
    let (code, _) = plan_at(
        ws.to_str().unwrap(),
        common::NOW,
        &["--expiring-within", "soon"],
    );
    assert_eq!(code, 1);
}
