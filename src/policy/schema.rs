//! JSON Schemas (draft 2020-12) for policy files and `accord.yaml`, generated from the AST
//! so that they cannot drift from what the loader accepts. Editors use them through a
//! `# yaml-language-server: $schema=...` comment.

use super::ast::{PolicyFile, WorkspaceFile};

/// The JSON Schema of a policy file.
pub fn policy_file_schema() -> serde_json::Value {
    schemars::schema_for!(PolicyFile).to_value()
}

/// The JSON Schema of `accord.yaml`.
pub fn workspace_file_schema() -> serde_json::Value {
    schemars::schema_for!(WorkspaceFile).to_value()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemas_describe_the_format() {
        let p = policy_file_schema();
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
        let w = workspace_file_schema();
        for key in ["policies", "targets", "default_target", "safety"] {
            assert!(w["properties"][key].is_object(), "{key} missing");
        }
    }
}
