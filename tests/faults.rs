//! Apply under injected faults: a failed write stops new work and a re-run converges; random
//! 503s and 429s are retried without duplicating anything; a failed create is not blindly resent.

mod common;

use std::collections::BTreeSet;

use accord::emulator::FaultRule;
use common::{Live, run, workspace};
use serde_json::{Value, json};

fn rules(v: Value) -> Vec<FaultRule> {
    serde_json::from_value(v).expect("fault rules")
}

/// Asserts no two groups share a name and no two ACL rules share (type, principal, path).
fn assert_no_duplicates(state: &Value) {
    let mut names = BTreeSet::new();
    for g in state["groups"].as_object().unwrap().values() {
        let name = g["name"].as_str().unwrap();
        assert!(names.insert(name), "group {name} is duplicated: {state:#}");
    }
    for ep in state["endpoints"].as_object().unwrap().values() {
        let mut keys = BTreeSet::new();
        for r in ep["acl"].as_array().unwrap() {
            let key = (
                r["principal_type"].to_string(),
                r["principal"].to_string(),
                r["path"].to_string(),
            );
            assert!(keys.insert(key.clone()), "rule {key:?} is duplicated");
        }
    }
}

/// The per-change outcome lines of an apply report.
fn outcomes(out: &str) -> Vec<&str> {
    out.lines()
        .filter(|l| {
            ["  applied  ", "  FAILED   ", "  skipped  ", "  blocked  "]
                .iter()
                .any(|p| l.starts_with(p))
        })
        .collect()
}

#[test]
fn a_failed_write_stops_new_work_and_a_rerun_converges() {
    let live = Live::from_seed_file("policies/lab/live.yaml");
    let (_tmp, ws) = workspace("policies/lab");
    let dir = ws.to_str().unwrap();
    let url = live.url();
    // A refusal (400 is never retried) of the first ACL rule created.
    live.emulator()
        .add_faults(rules(
            json!([{"service": "transfer", "error_rate": 1.0, "status": 400,
            "path_contains": "/access", "method": "POST", "count": 1}]),
        ))
        .unwrap();
    let (code, out, err) = run(&["apply", dir, "--target", url, "--auto-approve"]);
    assert_eq!(code, 1, "{out}\n{err}");
    let failed: Vec<_> = outcomes(&out)
        .into_iter()
        .filter(|l| l.starts_with("  FAILED "))
        .collect();
    assert_eq!(failed.len(), 1, "{out}");
    assert!(failed[0].contains("transfer.acl"), "{out}");
    assert!(out.contains("\n  applied  "), "{out}");
    // Revocations wait for every grant, so the failure leaves them unstarted.
    for revoke in ["erin@uchicago.edu", "dave", "/disthome/carol/"] {
        let line = outcomes(&out)
            .into_iter()
            .find(|l| l.contains(revoke))
            .unwrap_or_else(|| panic!("no outcome for {revoke}:\n{out}"));
        assert!(line.starts_with("  skipped  "), "{line}\n{out}");
    }
    assert!(out.contains(" 1 failed, "), "{out}");

    live.emulator().clear_faults();
    let (code, out, err) = run(&["apply", dir, "--target", url, "--auto-approve"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains(" 0 failed, "), "{out}");
    let (code, out, _) = run(&["plan", dir, "--target", url, "--detailed-exitcode"]);
    assert_eq!(code, 0, "converged:\n{out}");
    assert_no_duplicates(&live.state());
}

#[test]
fn a_create_that_failed_with_500_is_read_again_before_it_is_resent() {
    let live = Live::from_seed_file("policies/lab/live.yaml");
    let (_tmp, ws) = workspace("policies/lab");
    let dir = ws.to_str().unwrap();
    let url = live.url();
    live.emulator()
        .add_faults(rules(
            json!([{"service": "transfer", "error_rate": 1.0, "status": 500,
            "path_contains": "/access", "method": "POST", "count": 1}]),
        ))
        .unwrap();
    live.emulator().clear_request_log();
    let (code, out, err) = run(&["apply", dir, "--target", url, "--auto-approve"]);
    assert_eq!(code, 0, "{out}\n{err}");
    let log = live.emulator().request_log();
    let creates: Vec<usize> = (0..log.len())
        .filter(|&i| log[i].method == "POST" && log[i].path.ends_with("/access"))
        .collect();
    // Two rules to create: one failed with 500, each created exactly once.
    let statuses: Vec<u16> = creates.iter().map(|&i| log[i].status).collect();
    assert_eq!(
        statuses.iter().filter(|&&s| s == 500).count(),
        1,
        "{log:#?}"
    );
    assert_eq!(
        statuses.iter().filter(|&&s| s == 201).count(),
        2,
        "{log:#?}"
    );
    let failed = creates[statuses.iter().position(|&s| s == 500).unwrap()];
    let last = *creates.last().unwrap();
    assert!(failed < last, "the failed create was resent: {log:#?}");
    assert!(
        log[failed + 1..last]
            .iter()
            .any(|r| r.method == "GET" && r.path.ends_with("/access_list")),
        "the rules were read again before the create was resent: {log:#?}"
    );
    assert_no_duplicates(&live.state());
    let (code, out, _) = run(&["plan", dir, "--target", url, "--detailed-exitcode"]);
    assert_eq!(code, 0, "converged:\n{out}");
}

#[test]
fn random_503s_and_429s_are_retried_without_duplicates() {
    let live = Live::from_seed_file("policies/lab/live.yaml");
    let (_tmp, ws) = workspace("policies/lab");
    let dir = ws.to_str().unwrap();
    let url = live.url();
    live.emulator()
        .add_faults(rules(
            json!([{"service": "all", "error_rate": 0.05, "status": 503,
            "rate_limit": 0.05, "retry_after": 1, "seed": 7}]),
        ))
        .unwrap();
    let (mut code, mut out, mut err) = run(&["apply", dir, "--target", url, "--auto-approve"]);
    if code != 0 {
        // Retries may run out; a second apply re-reads and finishes the job.
        (code, out, err) = run(&["apply", dir, "--target", url, "--auto-approve"]);
    }
    assert_eq!(code, 0, "{out}\n{err}");
    let (code, out, err) = run(&["plan", dir, "--target", url, "--detailed-exitcode"]);
    assert_eq!(code, 0, "converged:\n{out}\n{err}");
    let injected: u64 = live.rt.block_on(async {
        reqwest::get(format!("{url}/_emulator/faults"))
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()
    })["rules"][0]["injected"]
        .as_u64()
        .unwrap();
    assert!(injected > 0, "faults were injected");
    let state: Value = live.rt.block_on(async {
        reqwest::get(format!("{url}/_emulator/state"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    assert_no_duplicates(&state);
    let groups = state["groups"].as_object().unwrap();
    assert_eq!(
        groups.len(),
        3,
        "lab-admins, lab-members and the new lab-readers"
    );
}
