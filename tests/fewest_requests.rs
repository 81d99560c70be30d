//! Issue 19: the fewest start-up and read requests. Each test counts the requests a command
//! sends to the in-process emulator (its request log).

mod common;

use common::{Live, run, workspace};

/// (method, path, status) of every request in the log.
fn log(live: &Live) -> Vec<(String, String, u16)> {
    live.emulator()
        .request_log()
        .into_iter()
        .map(|r| (r.method, r.path, r.status))
        .collect()
}

fn count(log: &[(String, String, u16)], method: &str, path: &str) -> usize {
    log.iter()
        .filter(|(m, p, _)| m == method && p == path)
        .count()
}

#[test]
fn a_plan_asks_one_token_and_never_introspects() {
    let live = Live::from_seed_file("policies/lab/live.yaml");
    let (_tmp, ws) = workspace("policies/lab");
    live.emulator().clear_request_log();
    let (code, out, err) = run(&["plan", ws.to_str().unwrap(), "--target", live.url()]);
    assert_eq!(code, 0, "{out}{err}");
    let log = log(&live);
    // One token call covers Auth, Groups and Transfer (Auth answers `other_tokens`).
    assert_eq!(count(&log, "POST", "/auth/v2/oauth2/token"), 1, "{log:?}");
    // accord's own identity is its client id: no introspection.
    assert_eq!(
        count(&log, "POST", "/auth/v2/oauth2/token/introspect"),
        0,
        "{log:?}"
    );
    // Nothing refused: accord asks only what it may read.
    let refused: Vec<_> = log.iter().filter(|(_, _, s)| *s >= 400).collect();
    assert!(refused.is_empty(), "{refused:?}");
}

#[test]
fn identity_ids_behind_aliases_are_not_looked_up() {
    let live = Live::from_seed_file("policies/lab/live.yaml");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    // The lab seed's people by their identity ids (as `accord import` writes them).
    let alice = "8f3e2a1b-4c5d-4e6f-8a9b-0c1d2e3f4a5b";
    let bob = "2d7a4c6e-0a8e-4d8f-9d1e-5f6a7b8c9d0e";
    std::fs::write(
        dir.join("accord.yaml"),
        "policies: [\"policy.yaml\"]\nsafety: { max_deletes: 1000, max_delete_share: 1.0 }\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("policy.yaml"),
        format!(
            "identities:\n  alice: {alice}\n  bob: {bob}\ngroups:\n  lab-admins:\n    members:\n      alice: admin\n      bob: member\n"
        ),
    )
    .unwrap();
    live.emulator().clear_request_log();
    let (code, out, err) = run(&["plan", dir.to_str().unwrap(), "--target", live.url()]);
    assert!(code == 0 || code == 2, "{out}{err}");
    let log = log(&live);
    // No username to resolve, no id to label: the aliases are the labels, and the
    // undeclared member the live read finds (erin) comes with her username from Groups.
    // (Before: one `ids=` lookup of the two aliased ids.)
    let lookups = count(&log, "GET", "/auth/v2/api/identities");
    assert!(out.contains("alice"), "{out}");
    assert!(out.contains("erin@uchicago.edu"), "{out}");
    assert_eq!(lookups, 0, "{log:?}");
}

#[test]
fn plan_out_writes_the_plan_only_to_its_file() {
    let live = Live::from_seed_file("policies/lab/live.yaml");
    let (tmp, ws) = workspace("policies/lab");
    let file = tmp.path().join("plan.json");
    let (code, out, err) = run(&[
        "plan",
        ws.to_str().unwrap(),
        "--target",
        live.url(),
        "--format",
        "json",
        "--out",
        file.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.is_empty(), "the plan went to the file only:\n{out}");
    assert!(err.contains("Saved the plan to"), "{err}");
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert!(saved["changes"].as_array().is_some_and(|c| !c.is_empty()));
    // Without --out, the same JSON plan goes to stdout.
    let (code, out, _) = run(&[
        "plan",
        ws.to_str().unwrap(),
        "--target",
        live.url(),
        "--format",
        "json",
    ]);
    assert_eq!(code, 0);
    let printed: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(printed["changes"], saved["changes"]);
}
