//! The Boss permissions tutorial (`../shared/seeds/004_eef10472a25b6091.txt`) as policy:
//! after one apply, every group's permission set on every resource is exactly the tutorial's,
//! the groups hold exactly their members, and a second plan and apply do nothing.

mod common;

use std::collections::BTreeSet;

use common::{Live, run, workspace};
use serde_json::Value;

const TOKEN: &str = "demo-boss-token-not-for-production";

const GROUPS: [&str; 5] = [
    "jhuapl_interns",
    "jhuapl_scientists",
    "jhuapl_analysts",
    "jhuapl_computer_vision",
    "jhuapl_admins",
];

const ALL: &[&str] = &[
    "read",
    "add",
    "update",
    "delete",
    "assign_group",
    "remove_group",
];
const DATA: &[&str] = &[
    "read_volumetric_data",
    "add_volumetric_data",
    "delete_volumetric_data",
];

/// The tutorial's `permissions_add` calls, transcribed call by call (not from the policy):
/// (resource path, group, permissions). The layer `Algorithm1` is an annotation channel.
fn tutorial() -> Vec<(&'static str, &'static str, BTreeSet<String>)> {
    let set = |names: &[&[&str]]| -> BTreeSet<String> {
        names
            .iter()
            .flat_map(|n| n.iter())
            .map(|s| s.to_string())
            .collect()
    };
    let mut out = Vec::new();
    let c = "JHUAPL";
    out.push((c, GROUPS[0], set(&[&["read", "add"]])));
    out.push((c, GROUPS[1], set(&[&["read", "add"]])));
    out.push((c, GROUPS[2], set(&[&["read", "add"]])));
    out.push((c, GROUPS[3], set(&[&["read"]])));
    out.push((c, GROUPS[4], set(&[ALL])));
    let e = "JHUAPL/Mouse17";
    out.push((e, GROUPS[0], set(&[&["read", "add"]])));
    out.push((e, GROUPS[1], set(&[&["read", "add", "update"]])));
    out.push((e, GROUPS[2], set(&[&["read", "add", "update"]])));
    out.push((e, GROUPS[3], set(&[&["read", "add"]])));
    out.push((e, GROUPS[4], set(&[ALL])));
    let curator: &[&str] = &[
        "read",
        "update",
        "read_volumetric_data",
        "add_volumetric_data",
        "delete_volumetric_data",
    ];
    let ch = "JHUAPL/Mouse17/EM";
    out.push((ch, GROUPS[0], set(&[&["read", "read_volumetric_data"]])));
    out.push((ch, GROUPS[1], set(&[curator])));
    out.push((ch, GROUPS[2], set(&[curator])));
    out.push((ch, GROUPS[3], set(&[&["read", "read_volumetric_data"]])));
    out.push((ch, GROUPS[4], set(&[ALL, DATA])));
    let layer = "JHUAPL/Mouse17/Algorithm1";
    let annotator: &[&str] = &["read", "read_volumetric_data", "add_volumetric_data"];
    out.push((layer, GROUPS[0], set(&[annotator])));
    out.push((layer, GROUPS[1], set(&[curator])));
    out.push((layer, GROUPS[2], set(&[curator])));
    out.push((layer, GROUPS[3], set(&[annotator])));
    out.push((layer, GROUPS[4], set(&[ALL, DATA])));
    out
}

/// `GET` on the Boss API as the tutorial's resource manager.
fn get(live: &Live, path_and_query: &str) -> Value {
    let url = format!("{}/boss/v1/{path_and_query}", live.url());
    live.rt.block_on(async {
        let resp = reqwest::Client::new()
            .get(url)
            .header("Authorization", format!("Token {TOKEN}"))
            .send()
            .await
            .expect("request");
        assert!(
            resp.status().is_success(),
            "{path_and_query}: {}",
            resp.status()
        );
        resp.json().await.expect("json")
    })
}

fn names(v: &Value) -> BTreeSet<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn after_apply_every_group_holds_the_tutorials_permissions_and_it_converges() {
    let live = Live::from_seed_file("policies/boss-tutorial/live.yaml");
    let (_tmp, ws) = workspace("policies/boss-tutorial");
    let dir = ws.to_str().unwrap();
    let url = live.url().to_string();

    let (code, out, err) = run(&["plan", dir, "--target", &url]);
    assert_eq!(code, 0, "{out}{err}");
    // The emulator's port changes from run to run.
    let out = out.replace(&url, "http://127.0.0.1:PORT");
    common::snapshots().bind(|| insta::assert_snapshot!("boss_tutorial__plan_text", out));

    let (code, out, err) = run(&["apply", dir, "--target", &url, "--auto-approve"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("0 failed"), "{out}");

    for (path, group, want) in tutorial() {
        let mut parts = path.split('/');
        let mut q = format!(
            "permissions/?group={group}&collection={}",
            parts.next().unwrap()
        );
        if let Some(e) = parts.next() {
            q.push_str(&format!("&experiment={e}"));
        }
        if let Some(ch) = parts.next() {
            q.push_str(&format!("&channel={ch}"));
        }
        let sets = get(&live, &q);
        let sets = sets["permission-sets"].as_array().unwrap();
        assert_eq!(sets.len(), 1, "{group} on {path}: {sets:?}");
        assert_eq!(names(&sets[0]["permissions"]), want, "{group} on {path}");
    }

    // Members are exact: the stale intern is gone; the running user stays where the Boss put it.
    let members = |g: &str| names(&get(&live, &format!("groups/{g}/members/"))["members"]);
    assert_eq!(
        members("jhuapl_interns"),
        ["intern-ana", "intern-ben", "jhuapl-admin"]
            .map(String::from)
            .into()
    );
    assert_eq!(
        members("jhuapl_scientists"),
        ["jhuapl-admin", "sci-carla", "sci-dev"]
            .map(String::from)
            .into()
    );
    let maintainers = names(&get(&live, "groups/jhuapl_admins/maintainers/")["maintainers"]);
    assert!(maintainers.contains("lab-manager"), "{maintainers:?}");
    // The annotation channel accord created names its source.
    let layer = get(
        &live,
        "collection/JHUAPL/experiment/Mouse17/channel/Algorithm1",
    );
    assert_eq!(layer["type"], "annotation");
    assert_eq!(layer["sources"], serde_json::json!(["EM"]));

    common::assert_converged_without_writes(&live, dir, &url, &["/boss"]);
}

#[test]
fn the_embedded_demo_plans_the_tutorial() {
    let (_tmp, ws) = workspace("policies/boss-tutorial");
    let (code, out, err) = run(&["plan", ws.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("embedded emulator"), "{out}");
    assert!(
        out.contains("- boss.member jhuapl_interns / intern-old"),
        "the stale member goes:\n{out}"
    );
    assert!(
        out.contains("~ boss.permission JHUAPL jhuapl_interns (add, read)"),
        "the partial set is completed:\n{out}"
    );
}

#[test]
fn deleting_a_channel_is_refused_until_prevent_destroy_is_lifted_and_the_plan_says_what_goes() {
    let live = Live::from_seed_file("policies/boss-tutorial/live.yaml");
    let (_tmp, ws) = workspace("policies/boss-tutorial");
    let dir = ws.to_str().unwrap();
    let url = live.url().to_string();
    let (code, out, err) = run(&["apply", dir, "--target", &url, "--auto-approve"]);
    assert_eq!(code, 0, "{out}{err}");

    let hierarchy = ws.join("hierarchy.yaml");
    let text = std::fs::read_to_string(&hierarchy).unwrap();
    let tombstoned = text.replace(
        "            Algorithm1:                         # the tutorial's layer: in Boss v1 an annotation channel\n",
        "            Algorithm1:\n              absent: true\n",
    );
    assert_ne!(text, tombstoned);
    // A tombstone keeps no content: drop the channel's other lines.
    let mut lines: Vec<&str> = Vec::new();
    let mut skipping = false;
    for l in tombstoned.lines() {
        if l.trim_start().starts_with("absent: true") {
            lines.push(l);
            skipping = true;
            continue;
        }
        if skipping && l.starts_with("              ") {
            continue;
        }
        skipping = false;
        lines.push(l);
    }
    std::fs::write(&hierarchy, lines.join("\n") + "\n").unwrap();

    let (code, out, err) = run(&["plan", dir, "--target", &url]);
    assert_eq!(code, 1, "prevent_destroy refuses:\n{out}{err}");
    assert!(out.contains("prevent_destroy"), "{out}");
    assert!(
        out.contains(
            "destroys the channel JHUAPL/Mouse17/Algorithm1 and every voxel stored under it"
        ),
        "{out}"
    );

    let lifted = std::fs::read_to_string(&hierarchy).unwrap().replace(
        "absent: true",
        "absent: true\n              prevent_destroy: false",
    );
    std::fs::write(&hierarchy, lifted).unwrap();
    let (code, out, err) = run(&["apply", dir, "--target", &url, "--auto-approve"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("- boss.resource JHUAPL/Mouse17/Algorithm1"),
        "{out}"
    );
    // Soft-deleted: gone from the experiment's channels.
    let experiment = get(&live, "collection/JHUAPL/experiment/Mouse17");
    assert_eq!(experiment["channels"], serde_json::json!(["EM"]));
    let (code, out, _) = run(&["plan", dir, "--target", &url, "--detailed-exitcode"]);
    assert_eq!(code, 0, "converged:\n{out}");
}
