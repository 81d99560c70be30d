//! The lab example end to end through the binary: plan in three formats, apply, converge.

mod common;

use common::{run, snapshots, workspace};

#[test]
fn lab_plan_shows_every_kind_of_change() {
    let (_tmp, ws) = workspace("policies/lab");
    let dir = ws.to_str().unwrap();
    let (code, out, err) = run(&["plan", dir]);
    assert_eq!(code, 0, "stderr: {err}");
    for needle in [
        "+ globus.group lab-readers",
        "+ globus.member lab-readers / alice",
        "~ globus.member lab-admins / bob",
        "role: manager → admin",
        "- globus.member lab-admins / erin@uchicago.edu",
        "~ globus.group lab-members",
        "expired 2026-06-30T00:00:00Z",
        "+ transfer.acl e56c36e4… /disthome/bob/ bob (r)",
        "~ transfer.acl e56c36e4… /disthome/alice/ alice (rw)",
        "- transfer.acl e56c36e4… /disthome/carol/ carol@uni.edu (rw)",
    ] {
        assert!(out.contains(needle), "missing `{needle}` in:\n{out}");
    }
    snapshots().bind(|| insta::assert_snapshot!("cli_lab__plan_text", out));
    let (code, md, _) = run(&["plan", dir, "--format", "markdown"]);
    assert_eq!(code, 0);
    snapshots().bind(|| insta::assert_snapshot!("cli_lab__plan_markdown", md));
}

#[test]
fn lab_plan_json_validates_against_the_committed_schema() {
    let (_tmp, ws) = workspace("policies/lab");
    let (code, out, err) = run(&["plan", ws.to_str().unwrap(), "--format", "json"]);
    assert_eq!(code, 0, "stderr: {err}");
    let plan: serde_json::Value = serde_json::from_str(&out).unwrap();
    let schema_path = concat!(env!("CARGO_MANIFEST_DIR"), "/schemas/plan.schema.json");
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(schema_path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&plan)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(plan["format_version"], 1);
    snapshots().bind(|| {
        insta::assert_json_snapshot!("cli_lab__plan_json", plan, {
            ".workspace_digest" => "[digest]",
            ".changes[].before.server_id" => "[id]",
        })
    });
}

#[test]
fn apply_converges_and_a_second_apply_does_nothing() {
    let (_tmp, ws) = workspace("policies/lab");
    let dir = ws.to_str().unwrap();
    let (code, out, err) = run(&["apply", dir, "--auto-approve"]);
    assert_eq!(code, 0, "stdout: {out}\nstderr: {err}");
    assert!(out.contains("0 failed"), "{out}");
    let (code, out, _) = run(&["plan", dir, "--detailed-exitcode"]);
    assert_eq!(code, 0, "plan after apply must be empty:\n{out}");
    assert!(out.contains("No changes"), "{out}");
    let (code, out, _) = run(&["apply", dir, "--auto-approve"]);
    assert_eq!(code, 0);
    assert!(out.contains("No changes"), "{out}");
    assert!(
        !out.contains("applied"),
        "second apply must do nothing:\n{out}"
    );
    let (code, _, _) = run(&["drift", dir]);
    assert_eq!(code, 0, "no drift after apply");
}

#[test]
fn detailed_exitcode_and_drift_exit_2_on_changes() {
    let (_tmp, ws) = workspace("policies/lab");
    let dir = ws.to_str().unwrap();
    assert_eq!(run(&["plan", dir, "--detailed-exitcode"]).0, 2);
    let (code, out, _) = run(&["drift", dir]);
    assert_eq!(code, 2);
    assert!(out.contains("expired but still live"), "{out}");
    assert!(out.contains("live, not in policy"), "{out}");
    assert_eq!(run(&["drift", dir, "--format", "json"]).0, 2);
}

#[test]
fn saved_plan_applies_and_is_refused_when_the_workspace_changes() {
    let (tmp, ws) = workspace("policies/lab");
    let dir = ws.to_str().unwrap();
    let planfile = tmp.path().join("lab.plan");
    let pf = planfile.to_str().unwrap();
    assert_eq!(run(&["plan", dir, "--out", pf]).0, 0);
    let (code, shown, _) = run(&["show", pf]);
    assert_eq!(code, 0);
    assert!(shown.contains("+ globus.group lab-readers"));
    // Edit the workspace: the saved plan no longer matches it.
    let groups = ws.join("groups.yaml");
    let text = std::fs::read_to_string(&groups).unwrap();
    std::fs::write(&groups, text.replace("Everyone in the lab", "Everyone")).unwrap();
    let out = common::accord()
        .current_dir(&ws)
        .args(["apply", pf, "--now", common::NOW])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("workspace"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(&groups, text).unwrap();
    let out = common::accord()
        .current_dir(&ws)
        .args(["apply", pf, "--now", common::NOW])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(run(&["plan", dir, "--detailed-exitcode"]).0, 0);
}

#[test]
fn apply_without_a_terminal_refuses_and_writes_nothing() {
    let (_tmp, ws) = workspace("policies/lab");
    let dir = ws.to_str().unwrap();
    let (code, _, err) = run(&["apply", dir]);
    assert_eq!(code, 1);
    assert!(err.contains("--auto-approve"), "{err}");
    assert_eq!(
        run(&["plan", dir, "--detailed-exitcode"]).0,
        2,
        "nothing was applied"
    );
}

#[test]
fn only_expired_revokes_just_the_expired_grant() {
    let (_tmp, ws) = workspace("policies/lab");
    let dir = ws.to_str().unwrap();
    let (code, out, _) = run(&["plan", dir, "--only-expired"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("Plan: 0 to add, 0 to change, 1 to remove."),
        "{out}"
    );
    assert!(out.contains("dave"), "{out}");
}

#[test]
fn only_filters_by_address_prefix() {
    let (_tmp, ws) = workspace("policies/lab");
    let (code, out, _) = run(&[
        "plan",
        ws.to_str().unwrap(),
        "--only",
        r#"globus.member["lab-admins"]"#,
    ]);
    assert_eq!(code, 0);
    assert!(
        out.contains("Plan: 0 to add, 1 to change, 1 to remove."),
        "{out}"
    );
}

#[test]
fn verbose_plan_lists_system_managed_objects() {
    let (_tmp, ws) = workspace("policies/lab");
    let (code, out, _) = run(&["plan", ws.to_str().unwrap(), "-v"]);
    assert_eq!(code, 0);
    assert!(out.contains("System-managed (never planned):"), "{out}");
    // The client's access_manager role shows on Transfer as a role-derived rule on `/`.
    assert!(
        out.contains(
            r#"transfer.acl["e56c36e4-1063-11e6-a747-22000bf2d559"]["/"]["identity:0b1e4d5c"#
        ),
        "{out}"
    );
    let (_, quiet, _) = run(&["plan", ws.to_str().unwrap()]);
    assert!(!quiet.contains("System-managed"), "{quiet}");
}

/// With every group pinned, GCS and Transfer are read alongside the groups (their ids are
/// known before reading); the plan must be the one the phased read makes.
#[test]
fn pinned_groups_read_alongside_plan_the_same() {
    let plan_json = |pin: bool| {
        let (_tmp, ws) = workspace("policies/lab");
        let groups = std::fs::read_to_string(ws.join("groups.yaml")).unwrap();
        let mut groups = groups[..groups.find("  lab-readers:").unwrap()].to_string();
        // The unpinned file keeps the pin lines as comments, so provenance lines match.
        let pin_line = if pin { "    id: " } else { "    # id: " };
        groups = groups
            .replace(
                "  lab-admins:\n",
                &format!("  lab-admins:\n{pin_line}6a1f9c0e-8d2b-4e3a-9f4c-5b6d7e8f9a0b\n"),
            )
            .replace(
                "  lab-members:\n",
                &format!("  lab-members:\n{pin_line}7b2a0d1f-9e3c-4f4b-8a5d-6c7e8f9a0b1c\n"),
            );
        std::fs::write(ws.join("groups.yaml"), groups).unwrap();
        let shares = std::fs::read_to_string(ws.join("shares.yaml")).unwrap();
        let shares: String = shares
            .lines()
            .filter(|l| !l.contains("group:lab-readers"))
            .map(|l| format!("{l}\n"))
            .collect();
        std::fs::write(ws.join("shares.yaml"), shares).unwrap();
        let (code, out, err) = run(&["plan", ws.to_str().unwrap(), "--format", "json"]);
        assert_eq!(code, 0, "stderr: {err}");
        let mut plan: serde_json::Value = serde_json::from_str(&out).unwrap();
        plan.as_object_mut().unwrap().remove("workspace_digest");
        plan
    };
    let phased = plan_json(false);
    assert!(
        phased.to_string().contains("group:lab-members"),
        "the rule naming a managed group is read back by name"
    );
    let pinned = plan_json(true);
    for (key, value) in phased.as_object().unwrap() {
        assert_eq!(&pinned[key], value, "`{key}` differs");
    }
    assert_eq!(pinned, phased);
}
