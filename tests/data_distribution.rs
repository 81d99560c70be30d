//! The data-distribution example end to end: per-user directories and expiring read-only
//! rules on an existing endpoint, and group-based sharing on a guest collection accord creates.

mod common;

use common::{Live, run, workspace};

const ALICE: &str = "8f3e2a1b-4c5d-4e6f-8a9b-0c1d2e3f4a5b";

#[test]
fn plan_apply_converge_and_a_second_apply_does_nothing() {
    let (_tmp, ws) = workspace("policies/data-distribution");
    let dir = ws.to_str().unwrap();
    let (code, out, err) = run(&["plan", dir]);
    assert_eq!(code, 0, "{out}{err}");
    // Order: credential → collection → directories → roles and rules.
    let at = |needle: &str| {
        out.find(needle)
            .unwrap_or_else(|| panic!("missing `{needle}` in:\n{out}"))
    };
    assert!(at("+ gcs.credential") < at("+ gcs.collection"));
    assert!(at("+ gcs.collection") < at("+ transfer.directory community-share /release-1/"));
    assert!(
        at("+ transfer.directory community-share /release-1/")
            < at("+ transfer.acl community-share /release-1/")
    );
    assert!(
        out.contains(&format!(
            "+ transfer.directory e56c36e4… /disthome/{ALICE}/"
        )),
        "{out}"
    );
    assert!(
        out.contains("dave gains r on community-share /release-1/ (via group:dist-community)"),
        "{out}"
    );
    common::snapshots().bind(|| insta::assert_snapshot!("data_distribution__plan_text", out));
    let (code, out, err) = run(&["apply", dir, "--auto-approve"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("0 failed"), "{out}");
    let (code, out, _) = run(&["plan", dir, "--detailed-exitcode"]);
    assert_eq!(code, 0, "converged:\n{out}");
    let (code, out, _) = run(&["apply", dir, "--auto-approve"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("No changes") && !out.contains("Apply:"),
        "{out}"
    );
}

#[test]
fn moving_the_clock_past_an_expiry_revokes_exactly_that_rule() {
    // The services' clock stays at NOW: the rule is still live when accord's clock passes it.
    let live = Live::from_seed_file("policies/data-distribution/live.yaml");
    let (_tmp, ws) = workspace("policies/data-distribution");
    let dir = ws.to_str().unwrap();
    let (code, out, err) = run(&["apply", dir, "--target", live.url(), "--auto-approve"]);
    assert_eq!(code, 0, "{out}{err}");
    let out = common::accord()
        .args([
            "plan",
            dir,
            "--target",
            live.url(),
            "--now",
            "2027-01-15T00:00:00Z",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Plan: 0 to add, 0 to change, 1 to remove."),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "- transfer.acl e56c36e4… /disthome/{ALICE}/ alice (r)"
        )),
        "{text}"
    );
    assert!(text.contains("expired 2026-12-31T00:00:00Z"), "{text}");
}

#[test]
fn a_guest_collection_is_deleted_only_once_prevent_destroy_is_lifted() {
    let (_tmp, ws) = workspace("policies/data-distribution");
    let dir = ws.to_str().unwrap();
    assert_eq!(run(&["apply", dir, "--auto-approve"]).0, 0);
    let community = ws.join("community.yaml");
    let tombstone = "collections:\n  community-share:\n    absent: true\n    endpoint: e0000000-0000-4000-8000-00000000000e\n    mapped_collection: 3c000000-0000-4000-8000-000000000001\n    display_name: Community datasets\n";
    std::fs::write(
        &community,
        format!("# yaml-language-server: $schema=x\n{tombstone}"),
    )
    .unwrap();
    let (code, out, err) = run(&["plan", dir]);
    assert_eq!(
        code, 1,
        "prevent_destroy is on by default for guest collections:\n{out}{err}"
    );
    assert!(out.contains("prevent_destroy"), "{out}");
    std::fs::write(
        &community,
        format!("{tombstone}    prevent_destroy: false\n"),
    )
    .unwrap();
    let (code, out, err) = run(&["plan", dir]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("- gcs.collection e0000000… community-share"),
        "{out}"
    );
    assert!(
        out.contains("deleted with guest collection community-share"),
        "{out}"
    );
    let (code, out, err) = run(&["apply", dir, "--auto-approve"]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, _) = run(&["plan", dir, "--detailed-exitcode"]);
    assert_eq!(code, 0, "{out}");
}
