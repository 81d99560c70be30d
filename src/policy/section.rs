//! The policy half of the service contract: the top-level keys of a policy file a service
//! reads, and what the later stages ask of its merged, checked part of the policy.
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

use super::compile::Compiler;
use super::limits::ObjectCounter;
use super::model::{Located, Origin, Policy, PrincipalRef};
use super::problem::Problem;
use super::validate::Checker;
use crate::state::{Desired, Kind, LiveRead};

/// A service's part of the policy files.
pub trait ServicePolicy: Send + Sync {
    /// The top-level keys of a policy file it reads (`groups`).
    fn keys(&self) -> &'static [&'static str];

    /// Where its keys stand among all services' in the policy format: the JSON Schema and the
    /// keys an unknown one is told about list them in this order (the list's order breaks
    /// ties, so a service that does not care comes after the built-in ones).
    fn position(&self) -> u32 {
        u32::MAX
    }

    /// Reads one file's value of `key`, spans kept.
    fn parse(&self, key: &str, yaml: Yaml<'_, '_>) -> Result<ParsedValue, YamlError>;

    /// The JSON Schema of `key`'s value, with its description; the definitions it refers to
    /// are added to `generator`.
    fn schema(&self, key: &str, generator: &mut SchemaGenerator) -> Schema;

    /// Counts the objects one file's value declares, for the workspace's limit.
    fn count(&self, _section: &FileSection<'_>, _objects: &mut ObjectCounter) {}

    /// Declares to `checker` what every service's checks need before any runs: the groups the
    /// workspace manages (`group:NAME`), whether each is a tombstone, and their pinned ids.
    fn declare(&self, _sections: &[FileSection<'_>], _checker: &mut Checker<'_>) {}

    /// Merges every file's values of its keys (in file order), checks them and lowers them.
    fn check(
        &self,
        sections: &[FileSection<'_>],
        checker: &mut Checker<'_>,
    ) -> Box<dyn PolicySection>;

    /// The kind of the objects of the managed groups it declares: what a grant naming one
    /// waits for.
    fn managed_group_kind(&self) -> Option<Kind> {
        None
    }

    /// How diagnostics name the container behind one of its leaf keys (`groups.lab` → "group
    /// `lab`"); the key itself when `None`.
    fn describe(&self, _key: &str) -> Option<String> {
        None
    }

    /// The diagnostic codes of its checks that hold only once every file has parsed: what
    /// they look for may be declared in a file that did not.
    fn whole_workspace_codes(&self) -> &'static [&'static str] {
        &[]
    }

    /// The special principals it accepts, each with the help told where one is written in a
    /// place that does not accept it.
    fn special_principals(&self) -> &'static [SpecialPrincipal] {
        &[]
    }
}

/// A service's merged, checked part of the policy: what the later stages ask of it.
pub trait PolicySection: Any + Debug + Send + Sync {
    /// Every Globus principal it names, where it is written: resolution looks each one up.
    fn principals(&self, _each: &mut dyn FnMut(&Located<PrincipalRef>)) {}

    /// Compiles it into the desired state.
    fn compile(&self, _compiler: &mut Compiler<'_>) {}

    /// Its counts in `accord validate`'s summary.
    fn summary(&self) -> Option<Summary> {
        None
    }

    /// Where it declares the container keyed `key` of `kind`, if it does.
    fn container(&self, _kind: Kind, _key: &str) -> Option<Declared> {
        None
    }

    /// What the service would refuse that the live read shows, at the policy lines asking
    /// for it (run before the diff: nothing is written then).
    fn check_live(&self, _policy: &Policy, _desired: &Desired, _live: &LiveRead) -> Vec<Problem> {
        Vec::new()
    }
}

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

/// Where a section declares a container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declared {
    /// Where its key is first written.
    pub at: Origin,
    /// Where its first entry is written, if it has one.
    pub first: Option<Origin>,
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
}

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
        Registry {
            services,
            keys,
            expected: leaked(&names),
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
