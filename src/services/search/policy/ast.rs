//! `search:` as written: serde + schemars types with spans (see `policy::ast`).
use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::policy::ast::SpannedMap;
use crate::state::ContainerMode;
/// `search:`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Search {
    /// Indexes by UUID.
    #[serde(default)]
    pub indexes: SpannedMap<SearchIndex>,
}

/// One Search index.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchIndex {
    /// Index roles → principals.
    #[serde(default)]
    #[schemars(with = "Option<SearchRolesSchema>")]
    pub roles: Option<Spanned<SpannedMap<Vec<Spanned<String>>>>>,
    /// Entry visibility by subject.
    #[serde(default)]
    pub documents: SpannedMap<SearchDocument>,
    /// How live roles the policy does not name are treated (default `authoritative`).
    #[serde(default)]
    #[schemars(with = "Option<ContainerMode>")]
    pub mode: Option<Spanned<String>>,
}

/// Access to one Search subject.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchDocument {
    /// Who can see the subject's entries (`public`, `all_authenticated_users`, principals).
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub visible_to: Option<Spanned<Vec<Spanned<String>>>>,
    /// Named principal sets of the subject.
    #[serde(default)]
    #[schemars(with = "Option<BTreeMap<String, Vec<String>>>")]
    pub principal_sets: Option<SpannedMap<Spanned<Vec<Spanned<String>>>>>,
}

// ---- Schema-only types: they give the JSON Schema its enums and shapes. ----
/// Search index roles.
#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct SearchRolesSchema {
    /// Owns the index.
    owner: Option<Vec<String>>,
    /// Administers the index.
    admin: Option<Vec<String>>,
    /// Writes entries.
    writer: Option<Vec<String>>,
}
