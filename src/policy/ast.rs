//! The policy files and `accord.yaml` exactly as written: serde + schemars types with spans.
//!
//! Every value a diagnostic may blame is a `Spanned<T>`. Values with a closed set of
//! spellings (roles, permissions, modes, timestamps) are read as strings and checked in
//! `validate`, so that a bad value gets a precise, friendly diagnostic instead of serde's
//! generic "unknown variant". The JSON Schema still lists the allowed values, through the
//! schema-only types at the bottom of this file (`#[schemars(with = ...)]`).
//!
//! serde-saphyr loses spans under `#[serde(tag)]`, `untagged` and `flatten`, so this AST
//! uses none of them: the "string or mapping" shapes have hand-written visitors instead.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_saphyr::Spanned;

use crate::services::boss::policy::ast::Boss;
use crate::services::gcs::policy::ast::Collection;
use crate::services::groups::policy::ast::Group;
use crate::services::search::policy::ast::Search;
use crate::services::transfer::policy::ast::Endpoint;

/// A YAML mapping whose keys keep their locations, in file order.
///
/// A `BTreeMap` would lose the key spans (and `Spanned` is not `Ord`); duplicate keys
/// are rejected by the parser itself (`DuplicateKeyPolicy::Error`).
#[derive(Debug, Clone, PartialEq)]
pub struct SpannedMap<V>(pub Vec<(Spanned<String>, V)>);

impl<V> Default for SpannedMap<V> {
    fn default() -> Self {
        SpannedMap(Vec::new())
    }
}

impl<V> SpannedMap<V> {
    /// The entries in file order.
    pub fn iter(&self) -> impl Iterator<Item = (&Spanned<String>, &V)> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    /// Whether the mapping has no entry.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for SpannedMap<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct MapVisitor<V>(PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for MapVisitor<V> {
            type Value = SpannedMap<V>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a mapping")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(k) = map.next_key::<Spanned<String>>()? {
                    let v = map.next_value::<V>()?;
                    out.push((k, v));
                }
                Ok(SpannedMap(out))
            }
            // `identities:` with nothing after it is an empty mapping, not a type error.
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(SpannedMap(Vec::new()))
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(SpannedMap(Vec::new()))
            }
        }
        d.deserialize_map(MapVisitor(PhantomData))
    }
}

impl<V: JsonSchema> JsonSchema for SpannedMap<V> {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        format!("Map_of_{}", V::schema_name()).into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        <BTreeMap<String, V>>::json_schema(generator)
    }
}

/// One policy file. Every section is optional; sections from several files merge.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "accord policy file")]
pub struct PolicyFile {
    /// Short names for Globus principals: alias → username (`alice@uchicago.edu`) or identity UUID.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    pub identities: SpannedMap<Spanned<String>>,
    /// Globus groups by name. The name is the group's name on the service.
    #[serde(default)]
    pub groups: SpannedMap<Group>,
    /// Guest collections accord creates on a GCS endpoint, by policy name.
    #[serde(default)]
    pub collections: SpannedMap<Collection>,
    /// Collections accord does not create, by collection UUID: their ACL rules and directories.
    #[serde(default)]
    pub endpoints: SpannedMap<Endpoint>,
    /// Globus Search.
    #[serde(default)]
    #[schemars(with = "Option<Search>")]
    pub search: Option<Spanned<Search>>,
    /// The Boss: its principals are Boss usernames and Boss group names.
    #[serde(default)]
    #[schemars(with = "Option<Boss>")]
    pub boss: Option<Spanned<Boss>>,
}

/// `accord.yaml`: the workspace's settings.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "accord workspace (accord.yaml)")]
pub struct WorkspaceFile {
    /// Globs of policy files, relative to this folder (default `**/*.yaml`, `**/*.yml`).
    /// Dot-folders, `accord.yaml` and embedded targets' seeds are never read as policy.
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub policies: Option<Vec<Spanned<String>>>,
    /// Named targets.
    #[serde(default)]
    pub targets: SpannedMap<Target>,
    /// The target used when `--target` is not given.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub default_target: Option<Spanned<String>>,
    /// Safety rails; defaults apply when absent.
    #[serde(default)]
    #[schemars(with = "Option<SafetyFile>")]
    pub safety: Option<Spanned<SafetyFile>>,
}

/// One target: `{embedded: true, seed: FILE}` or `{globus: {}, boss: {url}}`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// `true`: an in-process emulator started from `seed`.
    #[serde(default)]
    #[schemars(with = "Option<bool>")]
    pub embedded: Option<Spanned<bool>>,
    /// The emulator's seed file, relative to the workspace and inside it (symlinks resolved).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub seed: Option<Spanned<String>>,
    /// The real Globus services (credentials from the environment).
    #[serde(default)]
    #[schemars(with = "Option<GlobusTarget>")]
    pub globus: Option<Spanned<GlobusTarget>>,
    /// The real Boss.
    #[serde(default)]
    #[schemars(with = "Option<BossTarget>")]
    pub boss: Option<Spanned<BossTarget>>,
}

/// `globus: {}`: no settings yet; base URLs come only from the environment.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GlobusTarget {}

/// `boss: {url}`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BossTarget {
    /// The Boss API base URL (a token is sent only to hosts allowed from the environment).
    #[schemars(with = "String")]
    pub url: Spanned<String>,
}

/// `safety:`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SafetyFile {
    /// Refuse a plan removing more than this many objects (default 20).
    #[serde(default)]
    #[schemars(with = "Option<u32>")]
    pub max_deletes: Option<Spanned<i64>>,
    /// Refuse a plan removing more than this share (0..1) of a container's live objects
    /// when it holds at least 10 (default 0.25).
    #[serde(default)]
    #[schemars(with = "Option<f64>")]
    pub max_delete_share: Option<Spanned<f64>>,
    /// Principals whose access accord never removes.
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub protect: Option<Vec<Spanned<String>>>,
    /// Reviewed, committed overrides of the rails.
    #[serde(default)]
    #[schemars(with = "Option<Vec<AllowEntrySchema>>")]
    pub allow: Option<Vec<Spanned<AllowEntry>>>,
}

/// One `safety.allow` entry. Every field is optional here so that a missing one gets
/// accord's own diagnostic; the schema (`AllowEntrySchema`) requires them all.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowEntry {
    /// `max_deletes` or `max_delete_share`.
    #[serde(default)]
    pub rail: Option<Spanned<String>>,
    /// The new limit.
    #[serde(default)]
    pub up_to: Option<Spanned<f64>>,
    /// Why (required).
    #[serde(default)]
    pub reason: Option<Spanned<String>>,
    /// The last day (`2026-12-15`) or instant (RFC 3339) the override applies (required).
    #[serde(default)]
    pub until: Option<Spanned<String>>,
}

/// A reviewed, committed override of one rail.
#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct AllowEntrySchema {
    /// The rail it lifts.
    rail: RailSchema,
    /// The new limit: a count for `max_deletes`, a share (0..1) for `max_delete_share`.
    up_to: f64,
    /// Why the override is needed.
    reason: String,
    /// The last day (`2026-12-15`) or instant (RFC 3339 with a timezone) it applies.
    until: String,
}

// ---- Schema-only types: they give the JSON Schema its enums and shapes. ----
/// A rail an override lifts.
#[derive(JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
enum RailSchema {
    /// The count of removals.
    MaxDeletes,
    /// The share of a container's objects removed.
    MaxDeleteShare,
}
