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
//!
//! A policy file holds `identities:` and, under their own top-level keys, each service's
//! sections: the service reads its values ([`ServicePolicy::parse`](super::ServicePolicy::parse)).

use std::borrow::Cow;
use std::cell::Cell;
use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_saphyr::Spanned;

use super::section::{IDENTITIES, ParsedValue, Registry, with_yaml};

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

/// One policy file: `identities:` and each service's values, by top-level key. Every key is
/// optional; the values of one key in several files merge.
#[derive(Default)]
pub struct PolicyFile {
    /// Short names for Globus principals: alias → username (`alice@uchicago.edu`) or identity UUID.
    pub identities: SpannedMap<Spanned<String>>,
    /// Every other key written, as the index of the key in the registry and the value its
    /// service read, in the registry's order.
    pub sections: Vec<(usize, ParsedValue)>,
}

impl fmt::Debug for PolicyFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PolicyFile")
            .field("identities", &self.identities)
            .field(
                "sections",
                &self.sections.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// Reads a [`PolicyFile`]: `identities:` itself, every other key by its service, and an
/// unknown key told apart exactly as serde's derive tells it (the same message and place).
pub(crate) struct PolicyFileSeed<'r> {
    /// The registered keys.
    pub(crate) registry: &'r Registry<'r>,
}

/// A top-level key: `identities`, or the index of a service key.
enum TopKey {
    Identities,
    Section(usize),
}

/// Reads a top-level key, refusing an unknown one.
struct TopKeySeed<'r>(&'r Registry<'r>);

impl<'de> de::DeserializeSeed<'de> for TopKeySeed<'_> {
    type Value = TopKey;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<TopKey, D::Error> {
        struct KeyVisitor<'r>(&'r Registry<'r>);
        impl<'de> Visitor<'de> for KeyVisitor<'_> {
            type Value = TopKey;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("field identifier")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<TopKey, E> {
                let n = self.0.expected.len() as u64;
                match v {
                    0 => Ok(TopKey::Identities),
                    v if v < n => Ok(TopKey::Section(v as usize - 1)),
                    _ => Err(E::invalid_value(
                        de::Unexpected::Unsigned(v),
                        &format!("field index 0 <= i < {n}").as_str(),
                    )),
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<TopKey, E> {
                if v == IDENTITIES {
                    return Ok(TopKey::Identities);
                }
                match self.0.index_of(v) {
                    Some(i) => Ok(TopKey::Section(i)),
                    None => Err(E::unknown_field(v, self.0.expected)),
                }
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<TopKey, E> {
                match std::str::from_utf8(v) {
                    Ok(s) => self.visit_str(s),
                    Err(_) => Err(E::unknown_field(
                        &String::from_utf8_lossy(v),
                        self.0.expected,
                    )),
                }
            }
        }
        d.deserialize_identifier(KeyVisitor(self.0))
    }
}

/// Hands one service key's value to its service.
struct SectionSeed<'r> {
    registry: &'r Registry<'r>,
    index: usize,
}

impl<'de> de::DeserializeSeed<'de> for SectionSeed<'_> {
    type Value = ParsedValue;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<ParsedValue, D::Error> {
        let key = self.registry.keys[self.index].0;
        let service = self.registry.service_of(self.index);
        with_yaml(d, |yaml| service.parse(key, yaml))
    }
}

impl<'de> de::DeserializeSeed<'de> for PolicyFileSeed<'_> {
    type Value = PolicyFile;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<PolicyFile, D::Error> {
        struct FileVisitor<'r>(&'r Registry<'r>);
        impl<'de> Visitor<'de> for FileVisitor<'_> {
            type Value = PolicyFile;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("struct PolicyFile")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<PolicyFile, A::Error> {
                let mut out = PolicyFile::default();
                let mut identities = false;
                while let Some(key) = map.next_key_seed(TopKeySeed(self.0))? {
                    match key {
                        TopKey::Identities => {
                            if identities {
                                return Err(de::Error::duplicate_field(IDENTITIES));
                            }
                            identities = true;
                            out.identities = map.next_value()?;
                        }
                        TopKey::Section(index) => {
                            if out.sections.iter().any(|(i, _)| *i == index) {
                                return Err(de::Error::duplicate_field(self.0.keys[index].0));
                            }
                            let value = map.next_value_seed(SectionSeed {
                                registry: self.0,
                                index,
                            })?;
                            out.sections.push((index, value));
                        }
                    }
                }
                out.sections.sort_by_key(|(i, _)| *i);
                Ok(out)
            }
        }
        d.deserialize_struct(
            "PolicyFile",
            self.registry.expected,
            FileVisitor(self.registry),
        )
    }
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
#[derive(Debug, Default, JsonSchema)]
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
    /// Each other key: a service's section (`<service>: {url}`), in file order. Which keys
    /// name a service is the services' to say ([`crate::policy::TargetSection`]): the checker
    /// refuses the others, and the schema lists each service's.
    #[schemars(skip)]
    pub services: Vec<(String, Spanned<ServiceTarget>)>,
}

thread_local! {
    /// The keys of a target while the loader parses `accord.yaml` (the core's and the
    /// services'); unset elsewhere, where any other key reads as a service's section.
    static TARGET_KEYS: Cell<Option<&'static [&'static str]>> = const { Cell::new(None) };
}

/// Runs `f` (a parse of `accord.yaml`) with `keys` as a target's keys: any other key is an
/// unknown field, refused by the parser at the key as `deny_unknown_fields` refuses one.
pub(crate) fn with_target_keys<R>(keys: &'static [&'static str], f: impl FnOnce() -> R) -> R {
    let before = TARGET_KEYS.with(|k| k.replace(Some(keys)));
    let result = f();
    TARGET_KEYS.with(|k| k.set(before));
    result
}

/// A target's key, refused while it is read when it is not one of the known keys.
struct TargetKey;

impl<'de> de::DeserializeSeed<'de> for TargetKey {
    type Value = String;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<String, D::Error> {
        struct KeyVisitor;

        impl Visitor<'_> for KeyVisitor {
            type Value = String;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a target setting")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
                match TARGET_KEYS.with(Cell::get) {
                    Some(known) if !known.contains(&v) => Err(E::unknown_field(v, known)),
                    _ => Ok(v.to_string()),
                }
            }
        }

        deserializer.deserialize_identifier(KeyVisitor)
    }
}

impl<'de> Deserialize<'de> for Target {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TargetVisitor;

        impl<'de> Visitor<'de> for TargetVisitor {
            type Value = Target;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a target mapping")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Target, A::Error> {
                let mut target = Target::default();
                let mut seen = std::collections::BTreeSet::new();
                while let Some(key) = map.next_key_seed(TargetKey)? {
                    if !seen.insert(key.clone()) {
                        return Err(de::Error::custom(format!("duplicate field `{key}`")));
                    }
                    match key.as_str() {
                        "embedded" => target.embedded = map.next_value()?,
                        "seed" => target.seed = map.next_value()?,
                        "globus" => target.globus = map.next_value()?,
                        _ => {
                            let section = map.next_value()?;
                            target.services.push((key, section));
                        }
                    }
                }
                Ok(target)
            }
        }

        deserializer.deserialize_map(TargetVisitor)
    }
}

/// `globus: {}`: no settings yet; base URLs come only from the environment.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GlobusTarget {}

/// A service's section of a real target: `<service>: {url}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceTarget {
    /// The service's API base URL (a token is sent only to hosts allowed from the environment).
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
