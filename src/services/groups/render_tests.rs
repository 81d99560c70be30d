//! Plan rendering of Groups' (and GCS credentials') objects: labels, values, redaction.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::plan::render::{REDACTED, change_label, covers, entry_label, format_value, redact};
use crate::plan::{AccessSummary, FieldChange, Plan};
use crate::services::gcs::{COLLECTION, CREDENTIAL};
use crate::services::groups::{GROUP, MEMBER};
use crate::state::{Action, Address, Change, Object, Provenance};

const ALICE: &str = "8f3e2b1c-4d5a-4e6f-9a0b-1c2d3e4f5a6b";

fn change(address: Address, action: Action) -> Change {
    Change::new(address, action)
}

#[test]
fn member_label_shows_alias_and_short_id() {
    let key = format!("identity:{ALICE}");
    let mut c = change(Address::new(MEMBER, ["lab", key.as_str()]), Action::Create);
    assert_eq!(change_label(&c), "globus.member lab / identity:8f3e2b1c…");
    c.labels.insert(key, "alice".into());
    assert_eq!(change_label(&c), "globus.member lab / alice (8f3e2b1c…)");
}

#[test]
fn violations_cover_their_container_only() {
    let group = Address::new(GROUP, ["lab"]);
    let member = Address::new(MEMBER, ["lab", "identity:x"]);
    let other = Address::new(MEMBER, ["lib", "identity:x"]);
    let coll = Address::new(COLLECTION, ["ep", "share"]);
    let cred = Address::new(CREDENTIAL, ["ep", "share"]);
    assert!(covers(None, &member));
    assert!(covers(Some(&group), &member));
    assert!(!covers(Some(&group), &other));
    assert!(covers(Some(&coll), &coll));
    assert!(!covers(Some(&coll), &cred));
}

#[test]
fn entry_labels_place_the_display_name() {
    let key = format!("identity:{ALICE}");
    let a = Address::new(MEMBER, ["lab", key.as_str()]);
    assert_eq!(
        entry_label(&a, "alice"),
        "globus.member lab / alice (8f3e2b1c…)"
    );
    assert_eq!(
        entry_label(&a, &key),
        "globus.member lab / identity:8f3e2b1c…"
    );
    assert_eq!(
        entry_label(&a, &a.to_string()),
        "globus.member lab / identity:8f3e2b1c…"
    );
    assert_eq!(
        entry_label(&a, "globus.member x / y"),
        "globus.member x / y"
    );
}

#[test]
fn values_are_quoted_only_when_free_text() {
    let k = MEMBER;
    assert_eq!(
        format_value(k, "role", &Value::from("admin"), &BTreeMap::new()),
        "admin"
    );
    assert_eq!(
        format_value(k, "expires", &Value::Null, &BTreeMap::new()),
        "(none)"
    );
    assert_eq!(
        format_value(
            GROUP,
            "description",
            &Value::from("Lab share"),
            &BTreeMap::new()
        ),
        "\"Lab share\""
    );
}

#[test]
fn redacts_sensitive_fields_everywhere() {
    let addr = Address::new(CREDENTIAL, ["ep", "alice"]);
    let mut c = change(addr.clone(), Action::Update);
    c.after = Some(
        Object::new(addr.clone())
            .with("policies", "secret")
            .with("username", "a"),
    );
    c.fields.push(FieldChange {
        name: "policies".into(),
        before: Value::Null,
        after: Value::from("secret"),
    });
    c.provenance = Some(Provenance {
        file: std::path::Path::new("p.yaml").into(),
        line: 1,
        column: 1,
    });
    let plan = Plan {
        format_version: 1,
        target: crate::plan::TargetInfo {
            name: "t".into(),
            kind: "embedded".into(),
            description: "t".into(),
        },
        workspace_digest: String::new(),
        workspace: None,
        live_checks: Default::default(),
        now: chrono::DateTime::UNIX_EPOCH,
        changes: vec![c],
        steps: Vec::new(),
        kept: Vec::new(),
        blocked: Vec::new(),
        pending: Vec::new(),
        violations: Vec::new(),
        rails: Default::default(),
        expiring: Vec::new(),
        expiring_window: None,
        access: AccessSummary::default(),
        access_delta: Default::default(),
    };
    let r = redact(&plan);
    let after = r.changes[0].after.as_ref().unwrap();
    assert_eq!(after.attrs["policies"], REDACTED);
    assert_eq!(after.attrs["username"], "a");
    assert_eq!(r.changes[0].fields[0].before, Value::Null);
    assert_eq!(r.changes[0].fields[0].after, REDACTED);
}
