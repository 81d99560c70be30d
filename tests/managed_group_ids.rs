//! A managed group named by its live UUID (`group:<uuid>`, `urn:globus:groups:id:<uuid>`)
//! is the group itself, wherever a principal is written: Transfer ACL rules on endpoints
//! and guest collections, GCS roles, Search roles, `visible_to` and principal sets, and
//! `safety.protect`. The plan converges, no apply deletes a grant the policy declares, and a
//! container naming the group both ways is a duplicate, refused before any write.

mod common;

use std::path::{Path, PathBuf};

use common::grants::{Grant, apply_keeping};
use common::oob::{ENDPOINT, LAB_MEMBERS};
use common::{Live, run, workspace};

/// `dist-community`, seeded live for the data-distribution workspace.
const DIST_COMMUNITY: &str = "4c000000-0000-4000-8000-0000000000d1";
/// `team-g` and `team-h`, seeded live for the search-roles workspace.
const TEAM_G: &str = "5e000000-0000-4000-8000-00000000000a";
const TEAM_H: &str = "5e000000-0000-4000-8000-00000000000b";
const INDEX: &str = "4de2f3a1-5b7c-4d8e-9f0a-1b2c3d4e5f60";
const CLIENT: &str = "0b1e4d5c-6f7a-4b8c-9d0e-1f2a3b4c5d6e";

/// Replaces `from` (which must occur) with `to` in the workspace file `file`.
fn edit(ws: &Path, file: &str, from: &str, to: &str) {
    let path = ws.join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "`{from}` is not in {file}");
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

/// The seed file `rel` with groups (name, id) added, the seed's client their admin.
fn seed_with_groups(rel: &str, groups: &[(&str, &str)]) -> Live {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    let mut text = std::fs::read_to_string(path).unwrap();
    text.push_str("groups:\n");
    for (name, id) in groups {
        text.push_str(&format!(
            "  - {{ id: {id}, name: {name}, members: [{{ identity: {CLIENT}, role: admin }}] }}\n"
        ));
    }
    Live::from_seed(
        accord::emulator::Seed::from_yaml_str(&accord::services::builtin(), &text).expect("seed"),
    )
}

/// The lab workspace and its live state.
fn lab() -> (Live, tempfile::TempDir, PathBuf) {
    let (tmp, ws) = workspace("policies/lab");
    (Live::from_seed_file("policies/lab/live.yaml"), tmp, ws)
}

/// The search-roles workspace, its groups `team-g` and `team-h` live already.
fn search_roles() -> (Live, tempfile::TempDir, PathBuf) {
    let live = seed_with_groups(
        "policies/search-roles/live.yaml",
        &[("team-g", TEAM_G), ("team-h", TEAM_H)],
    );
    let (tmp, ws) = workspace("policies/search-roles");
    (live, tmp, ws)
}

/// The plan's text against `live`, with the exit code.
fn plan(live: &Live, dir: &str) -> (i32, String, String) {
    run(&["plan", dir, "--target", live.url()])
}

#[test]
fn an_endpoint_rule_naming_a_managed_group_by_uuid_keeps_the_rule() {
    let (live, _tmp, ws) = lab();
    edit(
        &ws,
        "shares.yaml",
        "principal: group:lab-members,",
        &format!("principal: \"group:{LAB_MEMBERS}\","),
    );
    let dir = ws.to_str().unwrap();
    let (code, out, err) = plan(&live, dir);
    assert_eq!(code, 0, "{out}{err}");
    // The live rule is the declared one: neither removed nor created again.
    assert!(
        !out.lines()
            .any(|l| l.contains("transfer.acl") && l.contains("/projects/")),
        "{out}"
    );
    let declared = [Grant::new(ENDPOINT, "/projects/", LAB_MEMBERS)];
    apply_keeping(&live, dir, &declared);
    apply_keeping(&live, dir, &declared);
    common::assert_converged_without_writes(&live, dir, live.url(), &["/transfer", "/groups"]);
}

#[test]
fn a_guest_collections_rules_and_roles_naming_a_managed_group_by_uuid_converge() {
    let live = seed_with_groups(
        "policies/data-distribution/live.yaml",
        &[("dist-community", DIST_COMMUNITY)],
    );
    let (_tmp, ws) = workspace("policies/data-distribution");
    edit(
        &ws,
        "community.yaml",
        "principal: group:dist-community,",
        &format!("principal: \"group:{DIST_COMMUNITY}\","),
    );
    edit(
        &ws,
        "community.yaml",
        "access_manager: [bob]",
        &format!("access_manager: [bob, \"urn:globus:groups:id:{DIST_COMMUNITY}\"]"),
    );
    let dir = ws.to_str().unwrap();
    // The first apply creates the guest collection, its rule and roles.
    apply_keeping(&live, dir, &[]);
    let state = live.state();
    let collection = state["endpoints"]
        .as_object()
        .unwrap()
        .values()
        .find(|e| e["display_name"] == "Community datasets")
        .expect("the guest collection exists")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let declared = [
        Grant::new(&collection, "/release-1/", DIST_COMMUNITY),
        Grant::new(&collection, "access_manager", DIST_COMMUNITY),
    ];
    apply_keeping(&live, dir, &declared);
    common::assert_converged_without_writes(
        &live,
        dir,
        live.url(),
        &["/transfer", "/gcs", "/groups"],
    );
}

#[test]
fn search_roles_and_document_access_naming_a_managed_group_by_uuid_converge() {
    let (live, _tmp, ws) = search_roles();
    edit(
        &ws,
        "search.yaml",
        "writer: [jon]",
        &format!("writer: [jon, \"group:{TEAM_G}\"]"),
    );
    edit(
        &ws,
        "search.yaml",
        "contributor: [group:team-g]",
        &format!("contributor: [\"urn:globus:groups:id:{TEAM_G}\"]"),
    );
    edit(
        &ws,
        "search.yaml",
        "contributor: [group:team-h]",
        &format!("contributor: [\"group:{TEAM_H}\"]"),
    );
    edit(
        &ws,
        "search.yaml",
        "visible_to: [public]\n          principal_sets:\n            contributor",
        &format!(
            "visible_to: [\"group:{TEAM_H}\"]\n          principal_sets:\n            contributor"
        ),
    );
    let dir = ws.to_str().unwrap();
    let declared = [Grant::new(INDEX, "writer", TEAM_G)];
    apply_keeping(&live, dir, &declared);
    apply_keeping(&live, dir, &declared);
    let doc2 = &live.state()["search"]["indexes"][INDEX]["subjects"]["doc2"][0];
    assert_eq!(
        doc2["visible_to"],
        serde_json::json!([format!("urn:globus:groups:id:{TEAM_H}")])
    );
    assert_eq!(
        doc2["principal_sets"]["contributor"],
        serde_json::json!([format!("urn:globus:groups:id:{TEAM_H}")])
    );
    common::assert_converged_without_writes(&live, dir, live.url(), &["/search", "/groups"]);
}

#[test]
fn protecting_a_managed_group_by_uuid_keeps_its_access() {
    let (live, _tmp, ws) = lab();
    // The policy no longer grants lab-members /projects/, but protects the group.
    edit(
        &ws,
        "shares.yaml",
        "      - { principal: group:lab-members, path: /projects/, permissions: r }\n",
        "",
    );
    edit(
        &ws,
        "accord.yaml",
        "safety:\n",
        &format!("safety:\n  protect: [\"group:{LAB_MEMBERS}\"]\n"),
    );
    let dir = ws.to_str().unwrap();
    let (code, out, err) = plan(&live, dir);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        !out.contains("- transfer.acl e56c36e4… /projects/"),
        "a protected group's rule is kept:\n{out}"
    );
    let declared = [Grant::new(ENDPOINT, "/projects/", LAB_MEMBERS)];
    apply_keeping(&live, dir, &declared);
    common::assert_converged_without_writes(&live, dir, live.url(), &["/transfer", "/groups"]);
}

/// Plans against `live` and checks the plan is refused (exit 1, nothing on stdout) with
/// every `needle` on stderr, and that nothing was written. Returns stderr.
fn refused_without_writes(live: &Live, dir: &str, needles: &[&str]) -> String {
    live.emulator().clear_request_log();
    let (code, out, err) = plan(live, dir);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.is_empty(), "nothing is planned: {out}");
    for needle in needles {
        assert!(err.contains(needle), "missing `{needle}` in:\n{err}");
    }
    let writes = common::writes(live);
    assert!(
        writes.is_empty(),
        "no write may reach a service: {writes:?}"
    );
    err
}

#[test]
fn a_rule_naming_a_managed_group_both_ways_is_a_duplicate_at_plan_time() {
    let (live, _tmp, ws) = lab();
    edit(
        &ws,
        "shares.yaml",
        "      - { principal: group:lab-readers",
        &format!(
            "      - {{ principal: \"urn:globus:groups:id:{LAB_MEMBERS}\", path: /projects/, permissions: rw }}\n      - {{ principal: group:lab-readers"
        ),
    );
    let dir = ws.to_str().unwrap();
    // Only the live read tells which group the UUID is.
    let (code, out, err) = run(&["validate", dir]);
    assert_eq!(code, 0, "{out}{err}");
    let err = refused_without_writes(
        &live,
        dir,
        &[
            "shares.yaml:8:22: group:lab-members on /projects/ is listed twice in the same container (see also shares.yaml:7:22)",
            "1 error in the workspace",
        ],
    );
    common::snapshots().bind(|| insta::assert_snapshot!("managed_group_ids__acl_twice", err));
}

#[test]
fn a_principal_set_naming_a_managed_group_both_ways_is_a_duplicate_at_plan_time() {
    let (live, _tmp, ws) = search_roles();
    edit(
        &ws,
        "search.yaml",
        "contributor: [group:team-g]",
        &format!("contributor: [group:team-g, \"group:{TEAM_G}\"]"),
    );
    let dir = ws.to_str().unwrap();
    let err = refused_without_writes(
        &live,
        dir,
        &[
            "search.yaml:19:41: group:team-g is listed twice",
            "see also search.yaml:19:27",
        ],
    );
    common::snapshots().bind(|| insta::assert_snapshot!("managed_group_ids__set_twice", err));
}

#[test]
fn a_group_marked_absent_cannot_be_granted_by_its_id() {
    const OLD_TEAM: &str = "0d000000-0000-4000-8000-0000000000a1";
    let seed = format!(
        "clients: [{{ client_id: {CLIENT}, client_secret: s }}]\n\
         groups:\n  - {{ id: {OLD_TEAM}, name: old-team, members: [{{ identity: {CLIENT}, role: admin }}] }}\n\
         endpoints:\n  - id: {ENDPOINT}\n    display_name: share\n    roles: {{ access_manager: [{CLIENT}] }}\n"
    );
    // Pinned, the id is known before reading; unpinned, once the groups are read.
    for pin in [format!("id: {OLD_TEAM}, "), String::new()] {
        let tmp = tempfile::tempdir().unwrap();
        let policy = format!(
            "groups:\n  old-team: {{ {pin}absent: true }}\n\
             endpoints:\n  {ENDPOINT}:\n    acl:\n      - {{ principal: \"group:{OLD_TEAM}\", path: /x/, permissions: r }}\n"
        );
        common::write_embedded(tmp.path(), &seed, &policy);
        let dir = tmp.path().to_str().unwrap();
        let (code, out, err) = run(&["plan", dir]);
        assert_eq!(code, 1, "{pin}\n{out}{err}");
        assert!(
            err.contains(
                "policy.yaml:6:22: this is the id of group `old-team`, marked `absent: true`"
            ),
            "{pin}\n{err}"
        );
    }
}
