//! Merging across files, through the whole checker.
use super::*;

/// Parses in-memory files and runs the merge and checks over them.
fn check(files: &[(&str, &str)]) -> (Policy, Vec<String>) {
    let sources: Vec<SourceFile> = files
        .iter()
        .map(|(p, t)| SourceFile {
            path: std::path::Path::new(p).into(),
            text: t.to_string(),
        })
        .collect();
    let parsed: Vec<(usize, ast::PolicyFile)> = sources
        .iter()
        .enumerate()
        .map(|(i, f)| (i, serde_saphyr::from_str(&f.text).expect("valid YAML")))
        .collect();
    let refs: Vec<(usize, &ast::PolicyFile)> = parsed.iter().map(|(i, p)| (*i, p)).collect();
    let mut c = Checker::new(&sources);
    let policy = c.policy(&refs);
    (policy, c.diags.iter().map(|d| d.to_string()).collect())
}

#[test]
fn a_group_spreads_over_files() {
    let (p, errs) = check(&[
        (
            "a.yaml",
            "groups:\n  lab:\n    description: Lab\n    policies: { group_visibility: private }\n",
        ),
        (
            "b.yaml",
            "groups:\n  lab:\n    members: { a@b.org: member }\n    policies: { join_requests: true }\n",
        ),
    ]);
    assert!(errs.is_empty(), "{errs:?}");
    let lab = &p.groups["lab"];
    assert_eq!(lab.description.as_ref().unwrap().value, "Lab");
    assert_eq!(lab.members.len(), 1);
    let pol = &lab.policies.as_ref().unwrap().value;
    assert_eq!(pol.group_visibility.as_deref(), Some("private"));
    assert_eq!(pol.join_requests, Some(true));
    assert_eq!(&*lab.origin.path, std::path::Path::new("a.yaml"));
}

#[test]
fn a_leaf_defined_twice_cites_both_places() {
    let (_, errs) = check(&[
        (
            "a.yaml",
            "groups:\n  lab:\n    members: { a@b.org: member }\n",
        ),
        (
            "b.yaml",
            "groups:\n  lab:\n    members:\n      a@b.org: admin\n",
        ),
    ]);
    assert_eq!(
        errs,
        ["b.yaml:4:7: member `a@b.org` of group `lab` is defined twice (see also a.yaml:3:16)"]
    );
    let (_, errs) = check(&[
        (
            "a.yaml",
            "groups:\n  lab:\n    policies: { join_requests: true }\n",
        ),
        (
            "b.yaml",
            "groups:\n  lab:\n    policies: { join_requests: false }\n",
        ),
    ]);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].contains("`policies.join_requests` of group `lab` is defined twice"));
}

#[test]
fn aliases_are_leaves_too() {
    let (_, errs) = check(&[
        ("a.yaml", "identities: { alice: alice@uni.edu }\n"),
        ("b.yaml", "identities: { alice: alice@other.edu }\n"),
    ]);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].starts_with("b.yaml:1:15: alias `alice` is defined twice"),
        "{errs:?}"
    );
}

#[test]
fn acl_rules_are_keyed_by_principal_and_path() {
    let ep = "e56c36e4-1063-11e6-a747-22000bf2d559";
    let (p, errs) = check(&[
        (
            "a.yaml",
            &format!(
                "identities: {{ alice: alice@uni.edu }}\nendpoints:\n  {ep}:\n    acl:\n      - {{ principal: alice, path: /a/, permissions: r }}\n"
            ),
        ),
        (
            "b.yaml",
            &format!(
                "endpoints:\n  {ep}:\n    acl:\n      - {{ principal: alice, path: /b/, permissions: rw }}\n      - {{ principal: alice@UNI.edu, path: /a/, permissions: r }}\n"
            ),
        ),
    ]);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].contains("`alice@UNI.edu` and `alice` are the same principal"),
        "{errs:?}"
    );
    assert!(errs[0].contains("see also a.yaml:5:22"), "{errs:?}");
    assert_eq!(p.endpoints.values().next().unwrap().acl.len(), 2);
}

#[test]
fn references_see_tombstones_in_other_files() {
    let (_, errs) = check(&[
        ("a.yaml", "groups:\n  old: { absent: true }\n"),
        (
            "b.yaml",
            "search:\n  indexes:\n    4de2f3a1-5b7c-4d8e-9f0a-1b2c3d4e5f60:\n      roles: { admin: [group:old] }\n",
        ),
    ]);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].starts_with("b.yaml:4:24: `group:old` refers to a group marked `absent: true`"),
        "{errs:?}"
    );
    assert!(errs[0].contains("see also a.yaml:2:18"), "{errs:?}");
}

#[test]
fn boss_sets_and_groups_are_workspace_wide() {
    let (p, errs) = check(&[
        (
            "a.yaml",
            "boss:\n  permission_sets: { reader: [read, read_volumetric_data] }\n  groups: { sci: { members: [sci1] } }\n",
        ),
        (
            "b.yaml",
            "boss:\n  coordinate_frames:\n    f: { x_start: 0, x_stop: 2, y_start: 0, y_stop: 2, z_start: 0, z_stop: 2, x_voxel_size: 1.0, y_voxel_size: 1.0, z_voxel_size: 1.0, voxel_unit: nanometers }\n  collections:\n    C:\n      permissions: { sci: [read] }\n      experiments:\n        E:\n          coord_frame: f\n          channels:\n            H: { type: image, datatype: uint8, permissions: { sci: reader } }\n",
        ),
    ]);
    assert!(errs.is_empty(), "{errs:?}");
    assert_eq!(
        &*p.boss.unwrap().origin.path,
        std::path::Path::new("a.yaml")
    );
}
