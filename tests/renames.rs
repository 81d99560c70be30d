//! `previously:` renames a group in place instead of deleting and recreating it, and
//! `ignore_changes:` lists fields accord does not fight over.

mod common;

use common::{Live, run, workspace};

#[test]
fn previously_renames_a_group_in_place() {
    let live = Live::from_seed_file("policies/lab/live.yaml");
    let (_tmp, ws) = workspace("policies/lab");
    let dir = ws.to_str().unwrap();
    assert_eq!(
        run(&["apply", dir, "--target", live.url(), "--auto-approve"]).0,
        0
    );
    let groups = ws.join("groups.yaml");
    let text = std::fs::read_to_string(&groups).unwrap();
    std::fs::write(
        &groups,
        text.replace(
            "  lab-members:\n",
            "  lab-people:\n    previously: [lab-members]\n",
        ),
    )
    .unwrap();
    let shares = ws.join("shares.yaml");
    let text = std::fs::read_to_string(&shares).unwrap();
    std::fs::write(
        &shares,
        text.replace("group:lab-members", "group:lab-people"),
    )
    .unwrap();
    let (code, out, err) = run(&["plan", dir, "--target", live.url()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("~ globus.group lab-people"), "{out}");
    assert!(
        out.contains(r#"name: "lab-members" → "lab-people""#),
        "{out}"
    );
    assert!(
        out.contains("Plan: 0 to add, 1 to change, 0 to remove."),
        "a rename is one update:\n{out}"
    );
    let before = group_ids(&live);
    assert_eq!(
        run(&["apply", dir, "--target", live.url(), "--auto-approve"]).0,
        0
    );
    assert_eq!(group_ids(&live), before, "the group keeps its id");
    let (code, out, _) = run(&["plan", dir, "--target", live.url(), "--detailed-exitcode"]);
    assert_eq!(code, 0, "{out}");
}

fn group_ids(live: &Live) -> Vec<String> {
    let state = live.state();
    let mut ids: Vec<String> = state["groups"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    ids.sort();
    ids
}

#[test]
fn ignore_changes_leaves_a_field_alone() {
    let live = Live::from_seed_file("policies/lab/live.yaml");
    let (_tmp, ws) = workspace("policies/lab");
    let dir = ws.to_str().unwrap();
    let groups = ws.join("groups.yaml");
    let text = std::fs::read_to_string(&groups).unwrap();
    std::fs::write(
        &groups,
        text.replace(
            "    description: Everyone in the lab\n",
            "    description: Everyone in the lab\n    ignore_changes: [description]\n",
        ),
    )
    .unwrap();
    let (code, out, err) = run(&["plan", dir, "--target", live.url()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(!out.contains("~ globus.group lab-members"), "{out}");
    assert!(
        out.contains("Plan: 4 to add, 2 to change, 3 to remove."),
        "{out}"
    );
}
