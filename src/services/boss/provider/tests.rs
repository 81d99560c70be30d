//! Unit tests of the Boss provider: permission calls, request bodies, address parsing,
//! system-managed classification and credentials.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::apply::{
    PermissionCall, create_request, permission_body, permission_update, same_value, update_request,
};
use super::paths::{member_parts, member_path, permission_parts};
use super::*;
use crate::plan::{Action, Change, FieldChange};
use crate::state::{Address, Object};

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn change(address: Address, action: Action) -> Change {
    Change::new(address, action)
}

#[test]
fn grants_only_post_the_added_names() {
    assert_eq!(
        permission_update("lab", &strings(&["read"]), &strings(&["add", "read"])),
        vec![PermissionCall::Post(strings(&["add"]))]
    );
    assert_eq!(
        permission_update("lab", &[], &strings(&["read"])),
        vec![PermissionCall::Post(strings(&["read"]))]
    );
}

#[test]
fn any_removal_patches_the_whole_set() {
    assert_eq!(
        permission_update("lab", &strings(&["add", "read"]), &strings(&["read"])),
        vec![PermissionCall::Patch(strings(&["read"]))]
    );
    assert_eq!(
        permission_update(
            "lab",
            &strings(&["add", "read"]),
            &strings(&["read", "update"])
        ),
        vec![PermissionCall::Patch(strings(&["read", "update"]))]
    );
    assert_eq!(
        permission_update("lab", &strings(&["read"]), &[]),
        vec![PermissionCall::Delete]
    );
    assert_eq!(
        permission_update("lab", &strings(&["read"]), &strings(&["read"])),
        vec![]
    );
}

#[test]
fn public_is_patched_only_to_read() {
    assert_eq!(
        permission_update(
            "public",
            &strings(&["read", "read_volumetric_data"]),
            &strings(&["read"])
        ),
        vec![PermissionCall::Patch(strings(&["read"]))]
    );
    assert_eq!(
        permission_update(
            "public",
            &strings(&["read", "read_volumetric_data"]),
            &strings(&["read_volumetric_data"])
        ),
        vec![
            PermissionCall::Delete,
            PermissionCall::Post(strings(&["read_volumetric_data"]))
        ]
    );
}

#[test]
fn create_bodies_hold_the_managed_attrs_set() {
    let a = Address::new(crate::services::boss::RESOURCE, ["C/E"]);
    let desired = Object::new(a.clone())
        .with("coord_frame", "f1")
        .with("description", "d")
        .with("time_step", Value::Null)
        .with("creator", "someone")
        .with("unknown", 1);
    let (path, body) = create_request(&a, &desired).unwrap();
    assert_eq!(path, "/v1/collection/C/experiment/E");
    assert_eq!(
        Value::Object(body),
        json!({"coord_frame": "f1", "description": "d", "collection": "C"})
    );

    let ch = Address::new(crate::services::boss::RESOURCE, ["C/E/CH"]);
    let desired = Object::new(ch.clone())
        .with("type", "image")
        .with("datatype", "uint8")
        .with("sources", json!(["a"]));
    let (path, body) = create_request(&ch, &desired).unwrap();
    assert_eq!(path, "/v1/collection/C/experiment/E/channel/CH");
    assert_eq!(
        Value::Object(body),
        json!({"type": "image", "datatype": "uint8", "sources": ["a"]})
    );

    let f = Address::new(crate::services::boss::FRAME, ["f1"]);
    let desired = Object::new(f.clone())
        .with("x_start", 0)
        .with("x_voxel_size", 4.0)
        .with("voxel_unit", "nanometers");
    let (path, body) = create_request(&f, &desired).unwrap();
    assert_eq!(path, "/v1/coord/f1");
    assert_eq!(
        Value::Object(body),
        json!({"x_start": 0, "x_voxel_size": 4.0, "voxel_unit": "nanometers"})
    );
}

#[test]
fn update_bodies_hold_only_changed_updatable_fields() {
    let a = Address::new(crate::services::boss::RESOURCE, ["C/E/CH"]);
    let mut c = change(a, Action::Update);
    c.fields = vec![
        FieldChange {
            name: "description".into(),
            before: json!("old"),
            after: json!("new"),
        },
        FieldChange {
            name: "related".into(),
            before: json!([]),
            after: json!(["x"]),
        },
    ];
    let (path, body) = update_request(&c).unwrap();
    assert_eq!(path, "/v1/collection/C/experiment/E/channel/CH");
    assert_eq!(
        Value::Object(body),
        json!({"description": "new", "related": ["x"]})
    );
    c.fields.push(FieldChange {
        name: "datatype".into(),
        before: json!("uint8"),
        after: json!("uint16"),
    });
    let e = update_request(&c).unwrap_err();
    assert!(e.contains("datatype") && e.contains("replace"), "{e}");

    let mut f = change(
        Address::new(crate::services::boss::FRAME, ["f1"]),
        Action::Update,
    );
    f.fields = vec![FieldChange {
        name: "x_stop".into(),
        before: json!(1),
        after: json!(2),
    }];
    assert!(update_request(&f).is_err());
}

#[test]
fn system_managed_classification() {
    assert!(is_system_group("admin"));
    assert!(is_system_group("alice-primary"));
    assert!(!is_system_group("public"));
    assert!(!is_system_group("lab"));
    let admins = BTreeSet::from(["root".to_string()]);
    assert!(is_implicit_maintainer("alice", "alice", &admins));
    assert!(is_implicit_maintainer("bossadmin", "alice", &admins));
    assert!(is_implicit_maintainer("root", "alice", &admins));
    assert!(!is_implicit_maintainer("bob", "alice", &admins));
}

#[test]
fn addresses_parse_into_calls() {
    let m = Address::new(
        crate::services::boss::MEMBER,
        ["lab", "maintainer", "boss-user:bob"],
    );
    let (g, role, u) = member_parts(&m).unwrap();
    assert_eq!(
        member_path(&g, role, &u).unwrap(),
        "/v1/groups/lab/maintainers/bob"
    );
    let bad = Address::new(
        crate::services::boss::MEMBER,
        ["lab", "admin", "boss-user:bob"],
    );
    assert!(member_parts(&bad).is_err());
    let p = Address::new(crate::services::boss::PERMISSION, ["C/E", "boss-group:lab"]);
    let (path, group) = permission_parts(&p).unwrap();
    assert_eq!((path.to_string(), group.as_str()), ("C/E".into(), "lab"));
    assert_eq!(
        serde_json::to_value(permission_body(&path, &group, &strings(&["read"]))).unwrap(),
        json!({"group": "lab", "collection": "C", "experiment": "E", "permissions": ["read"]})
    );
    assert!(ResourcePath::parse("a/b/c/d").is_err());
    assert!(ResourcePath::parse("a//c").is_err());
    assert!(ResourcePath::parse("a?x").is_err());
}

#[test]
fn credentials_need_both_variables() {
    let fb = BossCredentials::new("seed-user", "seed-token");
    assert_eq!(BossCredentials::pick(None, None, Some(&fb)).unwrap(), fb);
    assert_eq!(
        BossCredentials::pick(Some("t".into()), Some("u".into()), Some(&fb)).unwrap(),
        BossCredentials::new("u", "t")
    );
    let e = BossCredentials::pick(Some("t".into()), None, Some(&fb)).unwrap_err();
    assert!(e.contains(ENV_BOSS_USERNAME), "{e}");
    let e = BossCredentials::pick(None, None, None).unwrap_err();
    assert!(
        e.contains(ENV_BOSS_TOKEN) && e.contains(ENV_BOSS_USERNAME),
        "{e}"
    );
    assert!(!format!("{:?}", BossCredentials::new("u", "s3cr3t")).contains("s3cr3t"));
}

#[test]
fn numbers_compare_by_value() {
    assert!(same_value(&json!(4), &json!(4.0)));
    assert!(!same_value(&json!(4), &json!(5)));
    assert!(same_value(&json!("a"), &json!("a")));
}
