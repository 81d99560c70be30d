//! What the policy half of the service contract ([`ServicePolicy`], [`PolicySection`], at
//! `policy`'s root) is spoken in: each file's parsed value of a key, the YAML handed to a
//! service, the registry of keys, and what a section declares and summarises.
//!
//! A policy file is a mapping. `identities:` is the core's; every other top-level key belongs
//! to the service whose [`ServicePolicy::keys`] lists it. Loading a workspace runs, for each
//! service in the order of the list:
//! 1. [`parse`](ServicePolicy::parse): each file's value of its keys, spans kept, into types
//!    only the service knows;
//! 2. [`count`](ServicePolicy::count): their objects, against the workspace's limit;
//! 3. [`declare`](ServicePolicy::declare): what every service's checks need before any runs
//!    (the groups the workspace manages, which `group:NAME` names);
//! 4. [`check`](ServicePolicy::check): merge across files, check with the core's [`Checker`]
//!    (diagnostics at file:line:col) and lower into a [`PolicySection`].
//!
//! Resolution, compilation, `accord validate`'s summary and the plan's checks against the live
//! read then ask the sections.

use std::any::{Any, TypeId};
use std::fmt::Debug;
use std::mem::ManuallyDrop;
use std::sync::Mutex;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::Deserialize;
use serde::de::{Deserializer, Error as _};

use super::ServicePolicy;
use super::model::PrincipalRef;

/// The services whose keys a workspace's policy files may hold, in the order they are listed.
pub trait PolicyServices {
    /// Each service's part of the policy files, in order.
    fn policies(&self) -> Vec<&dyn ServicePolicy>;
}

impl PolicyServices for [&dyn ServicePolicy] {
    fn policies(&self) -> Vec<&dyn ServicePolicy> {
        self.to_vec()
    }
}

/// One file's value of a key, as the service's [`ServicePolicy::parse`] read it.
pub type ParsedValue = Box<dyn Any + Send + Sync>;

/// One file's value of one of a service's keys.
#[derive(Clone, Copy)]
pub struct FileSection<'a> {
    /// The file's index in `Workspace::files`.
    pub file: usize,
    /// The key.
    pub key: &'static str,
    value: &'a (dyn Any + Send + Sync),
}

impl<'a> FileSection<'a> {
    /// One file's value of `key`.
    pub fn new(file: usize, key: &'static str, value: &'a (dyn Any + Send + Sync)) -> Self {
        FileSection { file, key, value }
    }

    /// The value, as the service's `parse` made it (`None` for another type).
    pub fn get<T: Any>(&self) -> Option<&'a T> {
        self.value.downcast_ref()
    }
}

/// Each file's value of type `T` among `sections`, with the file's index, in file order.
pub fn values<'a, T: Any>(
    sections: &'a [FileSection<'a>],
) -> impl Iterator<Item = (usize, &'a T)> + 'a {
    sections
        .iter()
        .filter_map(|s| s.get::<T>().map(|v| (s.file, v)))
}

/// A service's section of a real target in `accord.yaml` (`boss: {url}`): where a target
/// points that service, when it is not at its production URL.
#[derive(Debug, Clone, Copy)]
pub struct TargetSection {
    /// Its key: the service's name, as the HTTP client knows it.
    pub key: &'static str,
    /// The service's name for people, in messages (`Boss`).
    pub title: &'static str,
    /// A URL to show in help texts.
    pub example: &'static str,
    /// Its property in the JSON Schema of a target, its definitions added to the generator.
    pub schema: fn(&mut SchemaGenerator) -> Schema,
}

/// A special principal a service accepts (`anonymous`), and the help told where one is
/// written in a place that does not accept it.
#[derive(Debug)]
pub struct SpecialPrincipal {
    /// The principal.
    pub principal: PrincipalRef,
    /// Where it is accepted, for people (``"`anonymous` exists only in … ACL rules"``).
    pub help: &'static str,
}

/// A section's part of `accord validate`'s summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// A heading for counts whose nouns another service also uses (`Boss: 2 group(s)`);
    /// untitled counts come first, together.
    pub title: Option<&'static str>,
    /// The counts, each with its noun (`3 group(s)`).
    pub counts: Vec<String>,
}

/// The JSON Schema of property `key` of `T`'s object schema (a schema-only struct whose
/// fields are a service's keys, with their docs), its definitions added to `generator`.
pub fn property_schema<T: JsonSchema>(key: &str, generator: &mut SchemaGenerator) -> Schema {
    let object = T::json_schema(generator);
    object
        .get("properties")
        .and_then(|p| p.get(key))
        .cloned()
        .and_then(|v| Schema::try_from(v).ok())
        .unwrap_or_default()
}

/// The YAML value of one top-level key, for its service to read into its own types.
pub struct Yaml<'de, 'e>(serde_saphyr::Deserializer<'de, 'e>);

/// Why a value did not read (with its location in the file).
pub type YamlError = serde_saphyr::Error;

impl<'de> Yaml<'de, '_> {
    /// Reads the value as a `T`, spans kept.
    pub fn read<T: Deserialize<'de>>(self) -> Result<T, YamlError> {
        T::deserialize(self.0)
    }

    /// Reads the value as a `T`, boxed as [`ParsedValue`].
    pub fn boxed<T: Deserialize<'de> + Send + Sync + 'static>(
        self,
    ) -> Result<ParsedValue, YamlError> {
        Ok(Box::new(self.read::<T>()?))
    }
}

/// Hands `d` to `f` as the YAML parser's own deserializer, mapping its error back.
///
/// Serde hands a map's values to a seed as a generic deserializer, and a service's reader
/// behind a trait object cannot be generic. Type-erasing the deserializer (erased-serde)
/// would turn every error into text, losing the location and span that diagnostics point at,
/// and would box every value it reads. The loader only ever parses with serde-saphyr, so `D`
/// is its deserializer: this checks that, and hands it over as that type.
pub(crate) fn with_yaml<'de, D, R>(
    d: D,
    f: impl for<'e> FnOnce(Yaml<'de, 'e>) -> Result<R, YamlError>,
) -> Result<R, D::Error>
where
    D: Deserializer<'de>,
{
    if typeid::of::<D>() != typeid::of::<serde_saphyr::Deserializer<'static, 'static>>()
        || typeid::of::<D::Error>() != TypeId::of::<YamlError>()
    {
        return Err(D::Error::custom(
            "policy files are read with serde-saphyr's deserializer",
        ));
    }
    let d = ManuallyDrop::new(d);
    // SAFETY: `D` is serde-saphyr's deserializer up to lifetimes (same type id, and type ids
    // ignore lifetimes). Its `'de` is ours: it implements `Deserializer<'de>` for its own `'de`
    // only. Its other lifetime borrows the parser's event source, which outlives this call;
    // `f`, generic over that lifetime, consumes the deserializer within the call. `d` is
    // moved out exactly once (it is never dropped here).
    let yaml =
        unsafe { std::ptr::read(&*d as *const D as *const serde_saphyr::Deserializer<'de, '_>) };
    f(Yaml(yaml)).map_err(|e| {
        let e = ManuallyDrop::new(e);
        // SAFETY: `D::Error` is `YamlError` (same type id; neither borrows), moved out once.
        unsafe { std::ptr::read(&*e as *const YamlError as *const D::Error) }
    })
}

/// The registered services' keys, each with its service, in the policy format's order.
pub(crate) struct Registry<'a> {
    /// Every service with a part of the policy, in the order of the list.
    pub(crate) services: Vec<&'a dyn ServicePolicy>,
    /// Every service key (`identities` aside), in order, with the index of its service.
    pub(crate) keys: Vec<(&'static str, usize)>,
    /// `identities` and every service key, in order: what an unknown key is told.
    pub(crate) expected: &'static [&'static str],
    /// The keys of a target in `accord.yaml`: the core's, then each service's that a target
    /// may point elsewhere.
    pub(crate) target_keys: &'static [&'static str],
}

/// The core's keys of a target in `accord.yaml`.
pub(crate) const TARGET_KEYS: [&str; 3] = ["embedded", "seed", "globus"];

/// The core's own top-level key.
pub(crate) const IDENTITIES: &str = "identities";

impl<'a> Registry<'a> {
    /// The keys of `services`, ordered by position, then list order, then each service's order.
    pub(crate) fn new(services: &'a dyn PolicyServices) -> Self {
        let services = services.policies();
        let mut keys: Vec<(u32, usize, usize, &'static str)> = services
            .iter()
            .enumerate()
            .flat_map(|(i, s)| {
                s.keys()
                    .iter()
                    .enumerate()
                    .map(move |(k, key)| (s.position(), i, k, *key))
            })
            .collect();
        keys.sort();
        let keys: Vec<(&'static str, usize)> =
            keys.into_iter().map(|(_, i, _, k)| (k, i)).collect();
        let names: Vec<&'static str> = std::iter::once(IDENTITIES)
            .chain(keys.iter().map(|(k, _)| *k))
            .collect();
        let target_keys: Vec<&'static str> = TARGET_KEYS
            .iter()
            .copied()
            .chain(services.iter().filter_map(|s| s.target().map(|t| t.key)))
            .collect();
        Registry {
            services,
            keys,
            expected: leaked(&names),
            target_keys: leaked(&target_keys),
        }
    }

    /// The service reading key number `index`.
    pub(crate) fn service_of(&self, index: usize) -> &'a dyn ServicePolicy {
        self.services[self.keys[index].1]
    }

    /// The index of a service key.
    pub(crate) fn index_of(&self, key: &str) -> Option<usize> {
        self.keys.iter().position(|(k, _)| *k == key)
    }

    /// The service reading the top-level `key`.
    pub(crate) fn service_for(&self, key: &str) -> Option<&'a dyn ServicePolicy> {
        self.index_of(key).map(|i| self.service_of(i))
    }
}

/// `keys` as a `&'static` list, which serde's "unknown field" error takes: leaked once per
/// distinct list (a process sees one or two).
fn leaked(keys: &[&'static str]) -> &'static [&'static str] {
    static SEEN: Mutex<Vec<&'static [&'static str]>> = Mutex::new(Vec::new());
    let mut seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(s) = seen.iter().find(|s| **s == keys) {
        return s;
    }
    let s: &'static [&'static str] = Box::leak(keys.to_vec().into_boxed_slice());
    seen.push(s);
    s
}
