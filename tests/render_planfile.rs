//! Saved plan files: round trip, atomic writes, redaction, and each refusal reason.

use std::collections::BTreeMap;
use std::fs;
use std::path::PathBuf;

use accord::plan::planfile::{self, PlanFileError};
use accord::plan::render;
use accord::plan::{
    AccessSummary, Action, Change, Direction, FORMAT_VERSION, FieldChange, Plan, Step, TargetInfo,
};
use accord::state::{Address, FieldMode, Object, Provenance};
use serde_json::json;

const ENDPOINT: &str = "e56c36e4-1063-11e6-a747-22000bf2d559";
const ALICE: &str = "8f3e2b1c-4d5a-4e6f-9a0b-1c2d3e4f5a6b";
const GCS: &str = "1405823f-0597-4a16-b296-46d4f0ae4b15";
const SECRET: &str = "tok-5up3r-s3cr3t";

fn digest() -> String {
    planfile::workspace_digest([
        (PathBuf::from("accord.yaml"), "default_target: demo\n"),
        (
            PathBuf::from("policies/lab.yaml"),
            "identities: { alice: alice@uchicago.edu }\n",
        ),
    ])
}

/// A small plan: one rule granted, and a credential whose sensitive field changes.
fn plan() -> Plan {
    accord::services::builtin();
    let acl = Address::new(
        accord::services::transfer::ACL,
        [ENDPOINT, "/disthome/alice/", &format!("identity:{ALICE}")],
    );
    let cred = Address::new(accord::services::gcs::CREDENTIAL, [GCS, "lab-share"]);
    let at = Some(Provenance {
        file: std::path::Path::new("policies/lab.yaml").into(),
        line: 6,
        column: 7,
    });
    let mut labels = BTreeMap::new();
    labels.insert(format!("identity:{ALICE}"), "alice".to_string());
    Plan {
        format_version: FORMAT_VERSION,
        target: TargetInfo {
            name: "demo".into(),
            kind: "embedded".into(),
            description: "demo (embedded emulator, no real service is touched)".into(),
        },
        workspace_digest: digest(),
        workspace: None,
        live_checks: Default::default(),
        now: "2026-03-01T12:00:00Z".parse().unwrap(),
        changes: vec![
            Change {
                address: acl.clone(),
                action: Action::Create,
                fields: vec![],
                before: None,
                after: Some(Object::new(acl).with("permissions", "r")),
                direction: Direction::Grant,
                reason: String::new(),
                provenance: at.clone(),
                labels,
                deleted_with: None,
            },
            Change {
                address: cred.clone(),
                action: Action::Update,
                fields: vec![FieldChange {
                    name: "policies".into(),
                    before: json!({"token": "old"}),
                    after: json!({"token": SECRET}),
                }],
                before: Some(Object::new(cred.clone()).with("policies", json!({"token": "old"}))),
                after: Some(
                    Object::new(cred)
                        .with("policies", json!({"token": SECRET}))
                        .with("display_name", "Lab share"),
                ),
                direction: Direction::Neutral,
                reason: String::new(),
                provenance: at,
                labels: BTreeMap::new(),
                deleted_with: None,
            },
        ],
        steps: vec![
            Step {
                changes: vec![0],
                batch: None,
                depends_on: vec![],
            },
            Step {
                changes: vec![1],
                batch: None,
                depends_on: vec![],
            },
        ],
        kept: vec![],
        blocked: vec![],
        pending: vec![],
        violations: vec![],
        rails: Default::default(),
        expiring: Vec::new(),
        expiring_window: None,
        access: AccessSummary {
            grants: vec!["alice r /disthome/alice/".into()],
            ..AccessSummary::default()
        },
        access_delta: Default::default(),
    }
}

fn dir_entries(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn round_trips_the_redacted_plan() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.json");
    let plan = plan();
    planfile::write(&path, &plan).unwrap();
    let back = planfile::read(&path).unwrap();
    assert_eq!(back, render::redact(&plan).into_owned());
    // Nothing but the sensitive values differs from what was planned.
    let mut unredacted = back.clone();
    unredacted.changes[1] = plan.changes[1].clone();
    assert_eq!(unredacted, plan);
    planfile::check_current(&back, "demo", &digest()).unwrap();
    // The file is the same JSON `plan --format json` prints, and that validates.
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        render::json_string(&plan)
    );
}

#[test]
fn atomic_write_leaves_no_temp_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.json");
    fs::write(&path, "old contents").unwrap();
    planfile::write(&path, &plan()).unwrap();
    planfile::write(&path, &plan()).unwrap();
    assert_eq!(dir_entries(dir.path()), ["plan.json"]);
    assert!(planfile::read(&path).is_ok());

    // A failed write (the directory does not exist) leaves nothing behind either.
    let missing = dir.path().join("nope").join("plan.json");
    assert!(planfile::write(&missing, &plan()).is_err());
    assert_eq!(dir_entries(dir.path()), ["plan.json"]);
}

#[test]
fn plan_files_hold_no_sensitive_value() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.json");
    planfile::write(&path, &plan()).unwrap();
    let text = fs::read_to_string(&path).unwrap();
    assert!(!text.contains(SECRET), "{text}");
    assert!(!text.contains("\"old\""), "{text}");

    // Every attribute of every sensitive field, in every object and field change, is redacted.
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut checked = 0;
    for change in value["changes"].as_array().unwrap() {
        let address: Address = change["address"].as_str().unwrap().parse().unwrap();
        let sensitive: Vec<&str> = address
            .kind
            .fields()
            .iter()
            .filter(|f| f.mode == FieldMode::Sensitive)
            .map(|f| f.name)
            .collect();
        for side in ["before", "after"] {
            if let Some(attrs) = change[side]["attrs"].as_object() {
                for name in &sensitive {
                    if let Some(v) = attrs.get(*name) {
                        assert_eq!(v, render::REDACTED);
                        checked += 1;
                    }
                }
            }
        }
        for field in change["fields"].as_array().into_iter().flatten() {
            if sensitive.contains(&field["name"].as_str().unwrap()) {
                assert_eq!(field["before"], render::REDACTED);
                assert_eq!(field["after"], render::REDACTED);
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 3, "the fixture holds three sensitive values");
    // And the non-sensitive field next to them is kept.
    assert!(text.contains("Lab share"));
}

#[test]
fn refuses_unreadable_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing.json");
    let err = planfile::read(&path).unwrap_err();
    assert!(matches!(err, PlanFileError::Unreadable { .. }), "{err}");
    assert!(err.to_string().contains("missing.json"), "{err}");
}

#[test]
fn refuses_files_that_are_not_plans() {
    let dir = tempfile::tempdir().unwrap();
    for (name, body, says) in [
        ("yaml.json", "targets: {}\n", "not JSON"),
        ("other.json", r#"{"policies": []}"#, "no `format_version`"),
        ("text.json", r#"{"format_version": "1"}"#, "not a number"),
        (
            "partial.json",
            r#"{"format_version": 1, "changes": []}"#,
            "missing field",
        ),
    ] {
        let path = dir.path().join(name);
        fs::write(&path, body).unwrap();
        let err = planfile::read(&path).unwrap_err();
        assert!(
            matches!(err, PlanFileError::NotAPlan { .. }),
            "{name}: {err}"
        );
        let msg = err.to_string();
        assert!(
            msg.contains(name) && msg.contains("is not an accord plan"),
            "{msg}"
        );
        assert!(msg.contains(says), "{name}: {msg}");
    }
}

#[test]
fn refuses_another_format_version_when_reading() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.json");
    let mut value = render::json(&plan());
    value["format_version"] = json!(FORMAT_VERSION + 1);
    // A newer layout may differ anywhere: the version is what must be reported.
    value.as_object_mut().unwrap().remove("steps");
    fs::write(&path, value.to_string()).unwrap();
    let err = planfile::read(&path).unwrap_err();
    assert!(
        matches!(err, PlanFileError::UnsupportedVersion { found, expected }
            if found == u64::from(FORMAT_VERSION + 1) && expected == FORMAT_VERSION),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "unsupported plan format_version {} (expected {FORMAT_VERSION}); make the plan again with this accord",
            FORMAT_VERSION + 1
        )
    );
}

#[test]
fn check_current_refuses_another_format_version() {
    let mut p = plan();
    p.format_version = FORMAT_VERSION + 7;
    let err = planfile::check_current(&p, "demo", &digest()).unwrap_err();
    assert!(
        matches!(err, PlanFileError::UnsupportedVersion { .. }),
        "{err}"
    );
    let msg = err.to_string();
    assert!(msg.contains(&(FORMAT_VERSION + 7).to_string()));
    assert!(msg.contains(&format!("expected {FORMAT_VERSION}")));
}

#[test]
fn check_current_refuses_another_target() {
    let err = planfile::check_current(&plan(), "prod", &digest()).unwrap_err();
    assert!(matches!(err, PlanFileError::TargetMismatch { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        "the plan was made for target `demo`, but the current target is `prod`"
    );
}

#[test]
fn check_current_refuses_a_changed_workspace() {
    let now = planfile::workspace_digest([(
        PathBuf::from("policies/lab.yaml"),
        "identities: { alice: alice@uni.edu }\n",
    )]);
    let err = planfile::check_current(&plan(), "demo", &now).unwrap_err();
    assert!(
        matches!(err, PlanFileError::WorkspaceChanged { .. }),
        "{err}"
    );
    let msg = err.to_string();
    assert!(msg.contains(&digest()) && msg.contains(&now), "{msg}");
}

#[test]
fn workspace_digest_is_stable_and_content_sensitive() {
    let a = digest();
    assert_eq!(a, digest());
    assert!(a.starts_with("sha256:"));
    assert_eq!(a.len(), "sha256:".len() + 64);
    let renamed = planfile::workspace_digest([
        (PathBuf::from("accord.yaml"), "default_target: demo\n"),
        (
            PathBuf::from("policies/lab2.yaml"),
            "identities: { alice: alice@uchicago.edu }\n",
        ),
    ]);
    assert_ne!(a, renamed);
    // The empty workspace has a digest too: sha256 of nothing.
    assert_eq!(
        planfile::workspace_digest(Vec::<(PathBuf, String)>::new()),
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
}

#[test]
fn a_plan_saved_before_the_access_delta_still_reads() {
    // The field was added without a format bump: an older file reads with an empty delta.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.json");
    let mut value = render::json(&plan());
    value.as_object_mut().unwrap().remove("access_delta");
    fs::write(&path, serde_json::to_string(&value).unwrap()).unwrap();
    let back = planfile::read(&path).unwrap();
    assert!(back.access_delta.is_empty());
    assert_eq!(back.changes, render::redact(&plan()).changes);
}
