//! Boss names and permission sets.
use super::*;
use crate::policy::diagnostics::codes;
use crate::policy::limits::Limits;
use crate::policy::load::testing::load_with;
use crate::policy::validate::merge_tests::check;
use crate::services::boss::policy::BossSection;
#[test]
fn boss_names() {
    assert!(boss_name_ok("JHUAPL"));
    assert!(boss_name_ok("mouse17_frame-2"));
    assert!(!boss_name_ok(""));
    assert!(!boss_name_ok("a.b"));
    assert!(!boss_name_ok("a b"));
    assert!(!boss_name_ok(&"a".repeat(256)));
}

#[test]
fn sets_expand_through_nesting_and_cycles() {
    let o = Origin {
        file: 0,
        path: std::path::Path::new("p.yaml").into(),
        line: 1,
        column: 1,
        offset: 0,
        len: 1,
    };
    let mut sets = BTreeMap::new();
    sets.insert(
        "reader".to_string(),
        (
            o.clone(),
            vec![
                ("read".to_string(), o.clone()),
                ("writer".to_string(), o.clone()),
            ],
        ),
    );
    sets.insert(
        "writer".to_string(),
        (
            o.clone(),
            vec![
                ("reader".to_string(), o.clone()),
                ("update".to_string(), o.clone()),
            ],
        ),
    );
    let got = expand_set("writer", &sets);
    assert_eq!(got, ["read".to_string(), "update".to_string()].into());
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
        &*p.section::<BossSection>()
            .unwrap()
            .boss
            .as_ref()
            .unwrap()
            .origin
            .path,
        std::path::Path::new("a.yaml")
    );
}

#[test]
fn an_alias_bomb_is_refused() {
    // Each level is ten aliases to the level below; only the limit stops the expansion.
    let mut bomb = String::from(
        "boss:\n  collections:\n    c0:\n      experiments: &e\n        e0:\n          channels: &h\n",
    );
    for i in 0..10 {
        bomb.push_str(&format!(
            "            h{i}: {{ permissions: {{ g: [read, add] }} }}\n"
        ));
    }
    for i in 1..10 {
        bomb.push_str(&format!("        e{i}: {{ channels: *h }}\n"));
    }
    for i in 1..10 {
        bomb.push_str(&format!("    c{i}: {{ experiments: *e }}\n"));
    }
    let limits = Limits {
        alias_expansion: 1_000,
        ..Limits::DEFAULT
    };
    let d = one_limit_error(load_with(
        &[("accord.yaml", text("")), ("p.yaml", bomb.clone())],
        &limits,
    ));
    assert!(
        d.message
            .starts_with("aliases expand to more than 1,000 YAML events"),
        "{d}"
    );
    // Within the default limits the same file loads as far as validation.
    let r = load_with(
        &[("accord.yaml", text("")), ("p.yaml", bomb)],
        &Limits::DEFAULT,
    );
    let diags = r.map(|_| ()).unwrap_err();
    assert!(diags.0.iter().all(|d| d.code != codes::LIMIT), "{diags}");
}

/// The one diagnostic of a load that must fail with exactly one, of code `LIMIT`.
fn one_limit_error(
    r: Result<crate::policy::Workspace, crate::policy::Diagnostics>,
) -> crate::policy::PolicyDiagnostic {
    let diags = r.map(|_| ()).expect_err("the load must fail");
    assert_eq!(diags.len(), 1, "{diags}");
    let d = diags.0.into_iter().next().unwrap();
    assert_eq!(d.code, codes::LIMIT, "{d}");
    d
}

fn text(s: &str) -> String {
    s.to_string()
}
