//! `boss:` from policy to plan, without a network: lowering, compilation
//! (docs/boss-model.md), keyed permission containers, system-managed objects and ordering.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use accord::plan::{self, Action, DiffContext, Direction};
use accord::policy::{Resolved, Workspace, compile, load_workspace};
use accord::service::LiveRead;
use accord::state::{Address, ContainerMode, Desired, Object};
use serde_json::json;

fn load(policy: &str) -> (tempfile::TempDir, Workspace) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("accord.yaml"), "policies: [\"*.yaml\"]\n").unwrap();
    std::fs::write(dir.path().join("policy.yaml"), policy).unwrap();
    let ws =
        load_workspace(dir.path(), &accord::services::builtin()).unwrap_or_else(|d| panic!("{d}"));
    (dir, ws)
}

fn now() -> chrono::DateTime<chrono::Utc> {
    "2026-11-01T00:00:00Z".parse().unwrap()
}

fn desired(policy: &str) -> Desired {
    let (_dir, ws) = load(policy);
    compile(&ws.policy, &Resolved::default(), now()).unwrap_or_else(|p| panic!("{p:?}"))
}

fn a(s: &str) -> Address {
    accord::services::builtin();
    s.parse().unwrap()
}

const POLICY: &str = r#"
boss:
  permission_sets:
    reader: [read]
    writer: [reader, add, update]
    data: [reader, read_volumetric_data]
  groups:
    team: { members: [ann, bo], maintainers: [cy] }
    old: { absent: true }
  coordinate_frames:
    f1: { x_start: 0, x_stop: 10, y_start: 0, y_stop: 10, z_start: 0, z_stop: 5,
          x_voxel_size: 4.0, y_voxel_size: 4.0, z_voxel_size: 40, voxel_unit: nanometers }
  collections:
    C:
      description: the collection
      permissions: { team: writer, public: [read] }
      experiments:
        E:
          coord_frame: f1
          num_hierarchy_levels: 3
          permissions: { team: [reader] }
          channels:
            raw: { type: image, datatype: uint8, permissions: { team: data } }
            seg: { type: annotation, datatype: uint64, sources: [raw], permissions: { team: [] } }
    Gone: { absent: true, prevent_destroy: false }
"#;

#[test]
fn the_hierarchy_compiles_to_kinds_and_addresses() {
    let d = desired(POLICY);
    let objects: BTreeSet<String> = d.state.objects.keys().map(ToString::to_string).collect();
    let want: BTreeSet<String> = [
        r#"boss.group["team"]"#,
        r#"boss.member["team"]["member"]["boss-user:ann"]"#,
        r#"boss.member["team"]["member"]["boss-user:bo"]"#,
        r#"boss.member["team"]["maintainer"]["boss-user:cy"]"#,
        r#"boss.frame["f1"]"#,
        r#"boss.resource["C"]"#,
        r#"boss.resource["C/E"]"#,
        r#"boss.resource["C/E/raw"]"#,
        r#"boss.resource["C/E/seg"]"#,
        r#"boss.permission["C"]["boss-group:team"]"#,
        r#"boss.permission["C"]["boss-group:public"]"#,
        r#"boss.permission["C/E"]["boss-group:team"]"#,
        r#"boss.permission["C/E/raw"]["boss-group:team"]"#,
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(objects, want);

    // Permission sets are expanded through nesting, and sorted.
    let perms = |addr: &str| d.state.get(&a(addr)).unwrap().attrs["permissions"].clone();
    assert_eq!(
        perms(r#"boss.permission["C"]["boss-group:team"]"#),
        json!(["add", "read", "update"])
    );
    assert_eq!(
        perms(r#"boss.permission["C/E/raw"]["boss-group:team"]"#),
        json!(["read", "read_volumetric_data"])
    );
    // `team: []` revokes; tombstones delete.
    assert!(
        d.revoked
            .contains_key(&a(r#"boss.permission["C/E/seg"]["boss-group:team"]"#))
    );
    assert!(d.tombstones.contains_key(&a(r#"boss.group["old"]"#)));
    assert!(d.tombstones.contains_key(&a(r#"boss.resource["Gone"]"#)));

    // Fields by their Boss names; a channel waits for its experiment and its sources.
    let e = d.state.get(&a(r#"boss.resource["C/E"]"#)).unwrap();
    assert_eq!(e.attrs["coord_frame"], json!("f1"));
    assert_eq!(e.attrs["num_hierarchy_levels"], json!(3));
    assert!(e.depends_on.contains(&a(r#"boss.frame["f1"]"#)));
    assert!(e.depends_on.contains(&a(r#"boss.resource["C"]"#)));
    let seg = d.state.get(&a(r#"boss.resource["C/E/seg"]"#)).unwrap();
    assert_eq!(seg.attrs["sources"], json!(["raw"]));
    assert!(seg.depends_on.contains(&a(r#"boss.resource["C/E/raw"]"#)));
    let f = d.state.get(&a(r#"boss.frame["f1"]"#)).unwrap();
    assert_eq!(f.attrs["z_voxel_size"], json!(40.0));
    assert_eq!(f.attrs["voxel_unit"], json!("nanometers"));

    // Resources hold data: prevent_destroy by default, lifted where the policy says so.
    assert!(
        d.prevent_destroy
            .contains(&a(r#"boss.resource["C/E/raw"]"#))
    );
    assert!(!d.prevent_destroy.contains(&a(r#"boss.resource["Gone"]"#)));

    // Members are authoritative, permissions keyed.
    let mode = |c: &str| {
        d.state
            .containers
            .iter()
            .find(|k| k.address == Address::parse_prefix(c).unwrap())
            .map(|k| k.mode)
    };
    assert_eq!(
        mode(r#"boss.member["team"]"#),
        Some(ContainerMode::Authoritative)
    );
    assert_eq!(mode(r#"boss.permission["C"]"#), Some(ContainerMode::Keyed));
}

fn live(objects: Vec<Object>, system: Vec<Object>) -> LiveRead {
    let mut l = LiveRead::default();
    for o in objects {
        l.state.insert(o);
    }
    l.system_managed = system;
    l
}

fn obj(addr: &str) -> Object {
    Object::new(a(addr))
}

#[test]
fn keyed_permissions_touch_only_named_groups_and_system_managed_is_never_planned() {
    let d = desired(POLICY);
    let live = live(
        vec![
            obj(r#"boss.group["team"]"#),
            obj(r#"boss.member["team"]["member"]["boss-user:ann"]"#),
            obj(r#"boss.member["team"]["member"]["boss-user:zed"]"#),
            obj(r#"boss.member["team"]["member"]["boss-user:me"]"#),
            // A group the policy does not name on C: keyed, so left alone.
            obj(r#"boss.permission["C"]["boss-group:others"]"#)
                .with("permissions", json!(["read"])),
            // Named: its set is made exact (one added, one dropped: a revocation).
            obj(r#"boss.permission["C"]["boss-group:team"]"#)
                .with("permissions", json!(["add", "delete", "read"])),
            obj(r#"boss.permission["C/E/seg"]["boss-group:team"]"#)
                .with("permissions", json!(["read"])),
            obj(r#"boss.resource["Gone"]"#),
        ],
        vec![
            // The creator as maintainer through their primary group.
            obj(r#"boss.member["team"]["maintainer"]["boss-user:cy"]"#),
            obj(r#"boss.permission["C"]["boss-group:admin"]"#).with("permissions", json!(["read"])),
        ],
    );
    let ctx = DiffContext {
        callers: [accord::services::boss::principals::user("me")].into(),
        ..DiffContext::default()
    };
    let diff = plan::diff(&d, &live, &ctx);
    let seen: BTreeMap<String, (Action, Direction)> = diff
        .changes
        .iter()
        .map(|c| (c.address.to_string(), (c.action, c.direction)))
        .collect();
    let get = |s: &str| seen.get(s).cloned();
    assert_eq!(
        get(r#"boss.member["team"]["member"]["boss-user:zed"]"#),
        Some((Action::Delete, Direction::Revoke))
    );
    // The running user's own membership (made by the Boss on create) is not planned away.
    assert_eq!(
        get(r#"boss.member["team"]["member"]["boss-user:me"]"#),
        None
    );
    // Declared maintainer the Boss lists implicitly: satisfied, nothing planned.
    assert_eq!(
        get(r#"boss.member["team"]["maintainer"]["boss-user:cy"]"#),
        None
    );
    assert_eq!(get(r#"boss.permission["C"]["boss-group:others"]"#), None);
    assert_eq!(
        get(r#"boss.permission["C"]["boss-group:team"]"#),
        Some((Action::Update, Direction::Revoke))
    );
    assert_eq!(
        get(r#"boss.permission["C/E/seg"]["boss-group:team"]"#),
        Some((Action::Delete, Direction::Revoke))
    );
    assert_eq!(
        get(r#"boss.resource["Gone"]"#),
        Some((Action::Delete, Direction::Revoke))
    );
    assert_eq!(get(r#"boss.permission["C"]["boss-group:admin"]"#), None);
    let reason = &diff
        .changes
        .iter()
        .find(|c| c.address == a(r#"boss.permission["C/E/seg"]["boss-group:team"]"#))
        .unwrap()
        .reason;
    assert!(
        reason.starts_with("revoked in policy (`[]`) at policy.yaml:"),
        "{reason}"
    );
    let gone = &diff
        .changes
        .iter()
        .find(|c| c.address == a(r#"boss.resource["Gone"]"#))
        .unwrap()
        .reason;
    assert!(gone.contains("destroys the collection Gone"), "{gone}");
    assert!(
        d.state
            .get(&a(r#"boss.resource["C"]"#))
            .unwrap()
            .provenance
            .is_some(),
        "every desired object carries its policy line"
    );
}

#[test]
fn an_update_that_only_adds_is_a_grant() {
    let d = desired(POLICY);
    let live = live(
        vec![
            obj(r#"boss.permission["C"]["boss-group:team"]"#).with("permissions", json!(["read"])),
        ],
        vec![],
    );
    let diff = plan::diff(&d, &live, &DiffContext::default());
    let c = diff
        .changes
        .iter()
        .find(|c| c.address == a(r#"boss.permission["C"]["boss-group:team"]"#))
        .unwrap();
    assert_eq!((c.action, c.direction), (Action::Update, Direction::Grant));
}

#[test]
fn the_tutorial_workspace_compiles_with_every_resource_naming_all_five_groups() {
    let ws = load_workspace(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("policies/boss-tutorial")
            .as_path(),
        &accord::services::builtin(),
    )
    .unwrap_or_else(|d| panic!("{d}"));
    let d = compile(&ws.policy, &Resolved::default(), now()).unwrap();
    let permissions = d
        .state
        .objects
        .keys()
        .filter(|k| k.kind == accord::services::boss::PERMISSION)
        .count();
    assert_eq!(permissions, 4 * 5);
}
