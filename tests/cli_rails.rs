//! Safety rails: a refused plan renders in full with its violations, exits 1 and writes
//! nothing; committed overrides and `--allow-deletes` lift the rails they name.

mod common;

use std::path::Path;

const ENDPOINT: &str = "e56c36e4-1063-11e6-a747-22000bf2d559";

/// A workspace whose policy keeps 2 of the 24 live rules on one endpoint.
fn workspace(dir: &Path, safety: &str) {
    let mut seed = String::from(
        "clients:\n  - { client_id: 0b1e4d5c-6f7a-4b8c-9d0e-1f2a3b4c5d6e, client_secret: s }\nidentities:\n",
    );
    for i in 0..24 {
        seed.push_str(&format!("  - {{ username: user{i}@uni.edu }}\n"));
    }
    seed.push_str(&format!(
        "endpoints:\n  - id: {ENDPOINT}\n    display_name: share\n    roles: {{ access_manager: [0b1e4d5c-6f7a-4b8c-9d0e-1f2a3b4c5d6e] }}\n    acl:\n"
    ));
    for i in 0..24 {
        seed.push_str(&format!(
            "      - {{ principal_type: identity, principal: user{i}@uni.edu, path: /home/{i}/, permissions: r }}\n"
        ));
    }
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("live.yaml"), seed).unwrap();
    std::fs::write(
        dir.join("accord.yaml"),
        format!("policies: [policy.yaml]\ntargets:\n  demo: {{ embedded: true, seed: live.yaml }}\ndefault_target: demo\n{safety}"),
    )
    .unwrap();
    std::fs::write(
        dir.join("policy.yaml"),
        format!(
            "endpoints:\n  {ENDPOINT}:\n    acl:\n      - {{ principal: user0@uni.edu, path: /home/0/, permissions: r }}\n      - {{ principal: user1@uni.edu, path: /home/1/, permissions: r }}\n"
        ),
    )
    .unwrap();
}

#[test]
fn a_refused_plan_renders_in_full_exits_1_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ws");
    workspace(&dir, "");
    let d = dir.to_str().unwrap();
    let (code, out, _) = common::run(&["plan", d]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("REFUSED"), "{out}");
    assert!(out.contains("max_deletes"), "{out}");
    assert!(out.contains("max_delete_share"), "{out}");
    assert_eq!(
        out.matches("- transfer.acl").count(),
        22,
        "every change still shows:\n{out}"
    );
    let planfile = tmp.path().join("p.json");
    let (code, _, _) = common::run(&["plan", d, "--out", planfile.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(!planfile.exists(), "a refused plan is not saved");
    let (code, out, _) = common::run(&["apply", d, "--auto-approve"]);
    assert_eq!(code, 1);
    assert!(out.contains("REFUSED") && !out.contains("Apply:"), "{out}");
    // Nothing was written: the same plan again.
    let (_, again, _) = common::run(&["plan", d]);
    assert_eq!(again.matches("- transfer.acl").count(), 22);
}

#[test]
fn allow_deletes_lifts_only_the_count_rail() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ws");
    workspace(&dir, "");
    let (code, out, _) = common::run(&["plan", dir.to_str().unwrap(), "--allow-deletes", "22"]);
    assert_eq!(code, 1, "the share rail still refuses:\n{out}");
    assert!(!out.contains("✗ max_deletes"), "{out}");
    assert!(out.contains("max_delete_share"), "{out}");
}

#[test]
fn committed_overrides_apply_until_their_end_date() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ws");
    let allow = "safety:\n  allow:\n    - { rail: max_deletes, up_to: 30, reason: retire the cohort, until: 2026-12-15 }\n    - { rail: max_delete_share, up_to: 1.0, reason: retire the cohort, until: 2026-12-15T00:00:00Z }\n";
    workspace(&dir, allow);
    let d = dir.to_str().unwrap();
    let (code, out, _) = common::run(&["plan", d]);
    assert_eq!(code, 0, "{out}");
    // After the end date the overrides no longer apply.
    let out = common::accord()
        .args(["plan", d, "--now", "2027-01-01T00:00:00Z"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let (code, out, err) = common::run(&["apply", d, "--auto-approve"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(common::run(&["plan", d, "--detailed-exitcode"]).0, 0);
}

#[test]
fn additive_mode_never_removes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ws");
    workspace(&dir, "");
    let policy = dir.join("policy.yaml");
    let text = std::fs::read_to_string(&policy)
        .unwrap()
        .replace("    acl:\n", "    mode: additive\n    acl:\n");
    std::fs::write(&policy, text).unwrap();
    let (code, out, err) = common::run(&["plan", dir.to_str().unwrap(), "--detailed-exitcode"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("No changes"), "{out}");
}

#[test]
fn manage_paths_limits_what_is_authoritative() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ws");
    workspace(&dir, "");
    let policy = dir.join("policy.yaml");
    let text = std::fs::read_to_string(&policy)
        .unwrap()
        .replace(
            "    acl:\n",
            "    manage_paths: [/home/1/, /home/2/]\n    acl:\n",
        )
        .replace(
            "      - { principal: user0@uni.edu, path: /home/0/, permissions: r }\n",
            "",
        );
    std::fs::write(&policy, text).unwrap();
    let (code, out, err) = common::run(&["plan", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("Plan: 0 to add, 0 to change, 1 to remove."),
        "{out}"
    );
    assert!(out.contains("/home/2/"), "{out}");
}

#[test]
fn overrides_carry_through_a_saved_plan() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ws");
    let allow = "safety:\n  allow:\n    - { rail: max_delete_share, up_to: 1.0, reason: retire the cohort, until: 2026-12-15 }\n";
    workspace(&dir, allow);
    let d = dir.to_str().unwrap();
    let planfile = tmp.path().join("p.json");
    let pf = planfile.to_str().unwrap();
    // The count rail is lifted for this run only; the share rail by the committed override.
    let (code, out, _) = common::run(&["plan", d, "--allow-deletes", "22", "--out", pf]);
    assert_eq!(code, 0, "{out}");
    let out = common::accord()
        .current_dir(&dir)
        .args(["apply", pf, "--now", common::NOW])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("22 applied"));
    assert_eq!(common::run(&["plan", d, "--detailed-exitcode"]).0, 0);
}

#[test]
fn a_refused_plan_renders_in_full_for_a_pull_request() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ws");
    workspace(&dir, "");
    let (code, md, _) = common::run(&["plan", dir.to_str().unwrap(), "--format", "markdown"]);
    assert_eq!(code, 1);
    assert!(md.contains("Plan refused"), "{md}");
    assert!(
        md.matches("/home/").count() >= 22,
        "every change is listed:
{md}"
    );
    let (code, json, _) = common::run(&["plan", dir.to_str().unwrap(), "--format", "json"]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let rails: Vec<&str> = v["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["rail"].as_str().unwrap())
        .collect();
    assert_eq!(rails, ["max_deletes", "max_delete_share"]);
}

#[test]
fn prevent_destroy_holds_back_a_tombstone() {
    let (_tmp, ws) = common::workspace("policies/lab");
    let groups = ws.join("groups.yaml");
    let text = std::fs::read_to_string(&groups).unwrap();
    std::fs::write(
        &groups,
        text.replace("  lab-admins:\n    description: Administrators of the lab's data\n    members:\n      bob: admin\n", "  lab-admins: { absent: true, prevent_destroy: true }\n"),
    )
    .unwrap();
    let d = ws.to_str().unwrap();
    let (code, out, err) = common::run(&["plan", d]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains(r#"globus.group["lab-admins"] has prevent_destroy"#),
        "{out}"
    );
    let text = std::fs::read_to_string(&groups).unwrap();
    std::fs::write(
        &groups,
        text.replace("absent: true, prevent_destroy: true", "absent: true"),
    )
    .unwrap();
    let (code, out, _) = common::run(&["plan", d]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("- globus.group lab-admins"), "{out}");
}
