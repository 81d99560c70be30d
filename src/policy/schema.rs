//! JSON Schemas (draft 2020-12) for policy files and `accord.yaml`, generated from the AST
//! so that they cannot drift from what the loader accepts. Editors use them through a
//! `# yaml-language-server: $schema=...` comment. A policy file's schema is assembled from
//! `identities:` and each service's part ([`ServicePolicy::schema`](super::ServicePolicy::schema)).

use std::collections::BTreeMap;

use schemars::{JsonSchema, SchemaGenerator};

use serde_saphyr::Spanned;

use super::ast::{SpannedMap, WorkspaceFile};
use super::section::{PolicyServices, Registry};

/// One policy file. Every section is optional; sections from several files merge.
#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "accord policy file")]
#[allow(dead_code)]
struct PolicyFileSchema {
    /// Short names for Globus principals: alias → username (`alice@uchicago.edu`) or identity UUID.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    identities: SpannedMap<Spanned<String>>,
}

/// The JSON Schema of a policy file whose keys are those of `services`.
pub fn policy_file_schema(services: &dyn PolicyServices) -> serde_json::Value {
    let registry = Registry::new(services);
    let mut generator = SchemaGenerator::default();
    let parts: Vec<(&str, serde_json::Value)> = registry
        .keys
        .iter()
        .map(|(key, service)| {
            let schema = registry.services[*service].schema(key, &mut generator);
            (*key, schema.to_value())
        })
        .collect();
    let mut root = generator
        .into_root_schema_for::<PolicyFileSchema>()
        .to_value();
    if let Some(properties) = root
        .get_mut("properties")
        .and_then(serde_json::Value::as_object_mut)
    {
        properties.extend(parts.into_iter().map(|(k, v)| (k.to_string(), v)));
    }
    root
}

/// The JSON Schema of `accord.yaml`: a real target's keys are the core's and those of the
/// services a target may point elsewhere ([`ServicePolicy::target`](super::ServicePolicy::target)).
pub fn workspace_file_schema(services: &dyn PolicyServices) -> serde_json::Value {
    let registry = Registry::new(services);
    let mut generator = SchemaGenerator::default();
    let parts: Vec<(&str, serde_json::Value)> = registry
        .services
        .iter()
        .filter_map(|s| s.target())
        .map(|t| (t.key, (t.schema)(&mut generator).to_value()))
        .collect();
    let mut root = generator.into_root_schema_for::<WorkspaceFile>().to_value();
    if let Some(properties) = root
        .pointer_mut("/$defs/Target/properties")
        .and_then(serde_json::Value::as_object_mut)
    {
        properties.extend(parts.into_iter().map(|(k, v)| (k.to_string(), v)));
    }
    root
}
