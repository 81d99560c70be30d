//! The committed JSON Schemas are what `accord schema` writes, and example files point at them.

mod common;

use std::path::Path;

#[test]
fn committed_schemas_are_current() {
    let tmp = tempfile::tempdir().unwrap();
    let out = common::accord()
        .args(["schema", "--out"])
        .arg(tmp.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
    for name in [
        "policy.schema.json",
        "accord.schema.json",
        "plan.schema.json",
        "drift.schema.json",
        "access.schema.json",
        "access-review.schema.json",
    ] {
        let fresh = std::fs::read_to_string(tmp.path().join(name)).unwrap();
        let old = std::fs::read_to_string(committed.join(name)).unwrap_or_default();
        assert!(
            fresh == old,
            "schemas/{name} is stale: run `cargo run -- schema --out schemas` and commit the result"
        );
    }
}

#[test]
fn example_files_carry_a_schema_comment() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
    let mut checked = 0;
    for entry in walkdir::WalkDir::new(&root) {
        let entry = entry.unwrap();
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "yaml")
            || path.file_name().is_some_and(|n| n == "live.yaml")
        {
            continue;
        }
        let first = std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .next()
            .unwrap_or_default()
            .to_string();
        assert!(
            first.starts_with("# yaml-language-server: $schema="),
            "{} lacks a $schema comment",
            path.display()
        );
        checked += 1;
    }
    assert!(checked >= 4, "only {checked} example files checked");
}

#[test]
fn schemas_describe_the_format() {
    let p = accord::policy::policy_file_schema(&accord::services::builtin());
    assert_eq!(p["additionalProperties"], serde_json::json!(false));
    for key in [
        "identities",
        "groups",
        "collections",
        "endpoints",
        "search",
        "boss",
    ] {
        assert!(p["properties"][key].is_object(), "{key} missing");
    }
    let w = accord::policy::workspace_file_schema(&accord::services::builtin());
    for key in ["policies", "targets", "default_target", "safety"] {
        assert!(w["properties"][key].is_object(), "{key} missing");
    }
}
