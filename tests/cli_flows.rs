//! The Flows example end to end on its embedded emulator, and the two ways a declared flow is
//! out of accord's reach: a flow accord does not administer (blocked, nothing sent) and a flow
//! it cannot find (an error naming its identity, nothing created).

mod common;

use common::{run, workspace, write_embedded};

const CLIENT: &str = "0b1e4d5c-6f7a-4b8c-9d0e-1f2a3b4c5d6e";
const FLOW: &str = "2f3a0000-0000-4000-8000-000000000001";

#[test]
fn the_flows_example_plans_with_its_access_delta_applies_and_converges() {
    let (_tmp, ws) = workspace("policies/flows");
    let dir = ws.to_str().unwrap();
    let (code, plan, err) = run(&["plan", dir, "--detailed-exitcode"]);
    assert_eq!(code, 2, "{plan}\n{err}");
    for line in [
        "+ flows.role flow 2f3a0000… flow_administrators: group:curators",
        "+ flows.role flow 2f3a0000… flow_viewers: public",
        "- flows.role flow 2f3a0000… flow_starters: all_authenticated_users",
        "- flows.role flow 2f3a0000… run_managers: cy",
        "ada gains administrator on flow 2f3a0000… (via group:curators)",
        "⚠ escalation: new admin",
        "public gains viewer on flow 2f3a0000…",
        "⚠ escalation: grant to everyone",
        "dee gains monitor of runs of flow 2f3a0000… (via group:run-watchers)",
        // Administrators manage every run; a run manager could already view the flow.
        "ada gains manager of runs of flow 2f3a0000… (via group:curators)",
        "cy gains starter on flow 2f3a0000… (was viewer; via group:lab-members)",
        "cy loses manager of runs of flow 2f3a0000…",
    ] {
        assert!(plan.contains(line), "missing `{line}` in\n{plan}");
    }
    let (code, out, err) = run(&["apply", dir, "--auto-approve"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("0 failed, 0 blocked"), "{out}");
    let (code, again, err) = run(&["plan", dir, "--detailed-exitcode"]);
    assert_eq!(code, 0, "{again}\n{err}");
}

/// A seed whose one flow is owned and administered by `owner` alone, started by u0; accord's
/// client may view it (a flow it cannot view does not exist for it).
fn seed(owner: &str) -> String {
    format!(
        "clients: [{{ client_id: {CLIENT}, client_secret: s }}]
identities:
  - {{ id: 00000000-0000-4000-8000-000000000000, username: u0@uni.edu }}
  - {{ id: 00000000-0000-4000-8000-000000000001, username: u1@uni.edu }}
flows:
  - {{ id: {FLOW}, title: t, owner: {owner}, flow_starters: [u0@uni.edu], flow_viewers: [{CLIENT}] }}
"
    )
}

#[test]
fn a_flow_accord_does_not_administer_is_blocked_and_nothing_is_sent() {
    let tmp = tempfile::tempdir().unwrap();
    let policy =
        format!("identities:\n  u1: u1@uni.edu\nflows:\n  {FLOW}:\n    flow_starters: [u1]\n");
    write_embedded(tmp.path(), &seed("u1@uni.edu"), &policy);
    let dir = tmp.path().to_str().unwrap();
    let (code, plan, err) = run(&["plan", dir]);
    assert_eq!(code, 0, "{plan}\n{err}");
    assert!(
        plan.contains(&format!("accord is not an administrator of flow {FLOW}")),
        "{plan}"
    );
    assert!(!plan.contains("+ flows.role"), "{plan}");
    let (code, out, err) = run(&["apply", dir, "--auto-approve"]);
    assert_eq!(code, 0, "{out}\n{err}");
    let state = std::fs::read_to_string(tmp.path().join(".accord/t/state.json")).unwrap();
    let state: serde_json::Value = serde_json::from_str(&state).unwrap();
    let starters = &state["state"]["flows"][FLOW]["roles"]["flow_starters"];
    assert_eq!(
        starters,
        &serde_json::json!(["urn:globus:auth:identity:00000000-0000-4000-8000-000000000000"]),
        "the starters stay as they were: {state:#}"
    );
}

#[test]
fn a_flow_that_cannot_be_found_is_an_error_naming_accords_identity() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = "2f3a0000-0000-4000-8000-0000000000ff";
    let policy =
        format!("identities:\n  u1: u1@uni.edu\nflows:\n  {missing}:\n    flow_starters: [u1]\n");
    write_embedded(tmp.path(), &seed(CLIENT), &policy);
    let (code, out, err) = run(&["plan", tmp.path().to_str().unwrap()]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(
        err.contains(&format!(
            "flow {missing} not found, or not visible to {CLIENT}@clients.auth.globus.org"
        )),
        "{err}"
    );
}
