//! `accord apply PLANFILE` re-reads what the plan saw live and refuses, naming each
//! difference, after any out-of-band change; otherwise it applies exactly that plan.

mod common;

use common::oob::{ALICE, CAROL, ENDPOINT, ERIN, LAB_MEMBERS, Oob};
use common::{Live, run, workspace};
use serde_json::json;

/// Plans the lab against a fresh emulator, changes the live state with `change`, applies the
/// saved plan, and returns (exit code, stderr, whether the live state still needs the plan).
fn plan_change_apply(change: impl AsyncFnOnce(&Oob)) -> (i32, String, bool) {
    let live = Live::from_seed_file("policies/lab/live.yaml");
    let (tmp, ws) = workspace("policies/lab");
    let dir = ws.to_str().unwrap();
    let planfile = tmp.path().join("lab.plan.json");
    let pf = planfile.to_str().unwrap();
    let (code, out, err) = run(&["plan", dir, "--target", live.url(), "--out", pf]);
    assert_eq!(code, 0, "{out}{err}");
    live.rt.block_on(async {
        let oob = Oob::connect(live.url()).await;
        change(&oob).await;
    });
    let out = common::accord()
        .current_dir(&ws)
        .args(["apply", pf, "--target", live.url(), "--now", common::NOW])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let (plan_code, _, _) = run(&["plan", dir, "--target", live.url(), "--detailed-exitcode"]);
    (out.status.code().unwrap_or(-1), stderr, plan_code == 2)
}

fn assert_refused(code: i32, stderr: &str, still_pending: bool, needle: &str) {
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("the live state changed since"), "{stderr}");
    assert!(stderr.contains(needle), "missing `{needle}` in:\n{stderr}");
    assert!(still_pending, "a refused saved plan applies nothing");
}

#[test]
fn an_unchanged_live_state_applies_exactly_the_plan() {
    let (code, stderr, still_pending) = plan_change_apply(async |_| {});
    assert_eq!(code, 0, "{stderr}");
    assert!(!still_pending, "the plan was applied in full");
}

#[test]
fn a_rule_added_inside_an_authoritative_container_is_refused() {
    let (code, err, pending) = plan_change_apply(async |oob| {
        oob.add_rule(CAROL, "/sneaky/", "rw").await;
    });
    assert_refused(
        code,
        &err,
        pending,
        &format!(r#"transfer.acl["{ENDPOINT}"]["/sneaky/"]["identity:{CAROL}"] appeared"#),
    );
}

#[test]
fn a_rule_changed_out_of_band_is_refused() {
    let (code, err, pending) = plan_change_apply(async |oob| {
        let id = oob.rule_id("/projects/").await;
        let path = format!("/transfer/v0.10/endpoint/{ENDPOINT}/access/{id}");
        oob.call(
            "PUT",
            &path,
            Some(json!({"DATA_TYPE": "access", "permissions": "rw"})),
            200,
        )
        .await;
    });
    assert_refused(
        code,
        &err,
        pending,
        r#"["/projects/"]["group:lab-members"] changed since the plan"#,
    );
}

#[test]
fn a_rule_deleted_out_of_band_is_refused() {
    let (code, err, pending) = plan_change_apply(async |oob| {
        let id = oob.rule_id("/disthome/carol/").await;
        oob.call(
            "DELETE",
            &format!("/transfer/v0.10/endpoint/{ENDPOINT}/access/{id}"),
            None,
            200,
        )
        .await;
    });
    assert_refused(
        code,
        &err,
        pending,
        r#"["/disthome/carol/"]["identity:5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d"] was deleted"#,
    );
}

#[test]
fn a_member_added_or_a_role_changed_out_of_band_is_refused() {
    let (code, err, pending) = plan_change_apply(async |oob| {
        oob.call(
            "POST",
            &format!("/groups/v2/groups/{LAB_MEMBERS}"),
            Some(json!({"add": [{"identity_id": ERIN, "role": "member"}]})),
            200,
        )
        .await;
        oob.change_role(LAB_MEMBERS, ALICE, "manager").await;
    });
    assert_refused(
        code,
        &err,
        pending,
        &format!(r#"globus.member["lab-members"]["identity:{ERIN}"] appeared"#),
    );
    assert!(
        err.contains(&format!(
            r#"globus.member["lab-members"]["identity:{ALICE}"] changed"#
        )),
        "{err}"
    );
}

#[test]
fn a_group_changed_out_of_band_is_refused() {
    let (code, err, pending) = plan_change_apply(async |oob| {
        oob.call(
            "PUT",
            &format!("/groups/v2/groups/{LAB_MEMBERS}"),
            Some(json!({"description": "edited in the web app"})),
            200,
        )
        .await;
    });
    assert_refused(
        code,
        &err,
        pending,
        r#"globus.group["lab-members"] changed since the plan"#,
    );
}

#[test]
fn an_object_the_plan_creates_that_now_exists_is_refused() {
    let (code, err, pending) = plan_change_apply(async |oob| {
        oob.call(
            "POST",
            "/groups/v2/groups",
            Some(json!({"name": "lab-readers"})),
            201,
        )
        .await;
    });
    assert_refused(
        code,
        &err,
        pending,
        r#"globus.group["lab-readers"] was absent when the plan was made, and exists now"#,
    );
}

#[test]
fn show_renders_a_saved_plan_in_every_format() {
    let live = Live::from_seed_file("policies/lab/live.yaml");
    let (tmp, ws) = workspace("policies/lab");
    let pf = tmp.path().join("p.json");
    let pf = pf.to_str().unwrap();
    assert_eq!(
        run(&[
            "plan",
            ws.to_str().unwrap(),
            "--target",
            live.url(),
            "--out",
            pf
        ])
        .0,
        0
    );
    let (code, text, _) = run(&["show", pf]);
    assert_eq!(code, 0);
    assert!(
        text.contains("Plan: 4 to add, 3 to change, 3 to remove."),
        "{text}"
    );
    let (code, md, _) = run(&["show", pf, "--format", "markdown"]);
    assert_eq!(code, 0);
    assert!(md.starts_with("### accord plan"), "{md}");
    let (code, json, _) = run(&["show", pf, "--format", "json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(!v["live_checks"]["objects"].as_object().unwrap().is_empty());
    assert!(
        v["live_checks"]["absent"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == r#"globus.group["lab-readers"]"#)
    );
}
