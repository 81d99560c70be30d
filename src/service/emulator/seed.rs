//! The seed file: the emulator's starting state, written by people in YAML (or JSON).
//!
//! Each top-level key belongs to the service that reads it (Auth's `clients` and
//! `identities`, Groups' `groups`, Transfer's `endpoints`, `search`, `boss`…), which parses
//! and validates its section; `rate_limits` is the shell's. Keys no service reads are ignored,
//! so that sections for services emulated elsewhere may share the file; within a section,
//! every entry is strict. Ids may be left out where a name identifies the object; they are
//! then derived from a hash of the name, so the same seed always yields the same state.

use std::any::Any;
use std::collections::BTreeMap;
use std::sync::Arc;

use super::parts;
use super::world::to_map;
use crate::service::Services;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Why a seed could not be used.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    /// The YAML did not parse or did not fit the seed format.
    #[error("seed YAML: {0}")]
    Yaml(String),
    /// The JSON did not parse or did not fit the seed format.
    #[error("seed JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The seed parsed but refers to something it does not define, or repeats an id.
    #[error("seed: {0}")]
    Invalid(String),
}

/// Where a section is parsed from: the text of a seed file, or (a seed built in code, or
/// changed by [`Seed::merge`] or [`Seed::set`]) its top-level keys.
#[derive(Debug, Clone, Copy)]
pub enum SeedSource<'a> {
    /// A YAML seed.
    Yaml(&'a str),
    /// A JSON seed.
    Json(&'a str),
    /// Top-level keys.
    Value(&'a Map<String, Value>),
}

impl SeedSource<'_> {
    /// Reads the whole seed as a `T`: a section type names the top-level keys it reads as its
    /// fields and leaves the others alone.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, SeedError> {
        match self {
            SeedSource::Yaml(text) => {
                serde_saphyr::from_str(text).map_err(|e| SeedError::Yaml(e.to_string()))
            }
            SeedSource::Json(text) => Ok(serde_json::from_str(text)?),
            SeedSource::Value(map) => Ok(serde_json::from_value(Value::Object((*map).clone()))?),
        }
    }
}

/// One service's parsed section: any serialisable type (written back for [`Seed::merge`]).
pub trait SeedPart: Any + Send + Sync + std::fmt::Debug {
    /// The section as top-level keys.
    fn to_json(&self) -> Map<String, Value>;
}

impl<T: Serialize + Any + Send + Sync + std::fmt::Debug> SeedPart for T {
    fn to_json(&self) -> Map<String, Value> {
        to_map(self).unwrap_or_default()
    }
}

/// The shell's part of a seed.
#[derive(Deserialize)]
struct ShellSection {
    /// Requests per second allowed per service before a 429 (absent: unlimited).
    #[serde(default)]
    rate_limits: BTreeMap<String, u32>,
}

/// The emulator's starting state: each service's section, parsed by that service.
#[derive(Clone)]
pub struct Seed {
    services: Services,
    sections: Vec<(&'static str, Arc<dyn SeedPart>)>,
    /// Requests per second allowed per service (by name) before a 429 (absent: unlimited).
    pub rate_limits: BTreeMap<String, u32>,
}

impl std::fmt::Debug for Seed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut s = f.debug_struct("Seed");
        for (name, part) in &self.sections {
            s.field(name, part);
        }
        s.field("rate_limits", &self.rate_limits).finish()
    }
}

impl Seed {
    /// Parses and validates a YAML seed for `services`.
    pub fn from_yaml_str(services: &Services, text: &str) -> Result<Seed, SeedError> {
        Seed::parse(services, SeedSource::Yaml(text))
    }

    /// Parses and validates a JSON seed for `services`.
    pub fn from_json_str(services: &Services, text: &str) -> Result<Seed, SeedError> {
        Seed::parse(services, SeedSource::Json(text))
    }

    /// Reads and validates a seed given as top-level keys.
    pub fn from_value(services: &Services, keys: &Map<String, Value>) -> Result<Seed, SeedError> {
        Seed::parse(services, SeedSource::Value(keys))
    }

    /// The seed `accord emulate` starts from without `--seed`: each service's default section.
    pub fn default_for(services: &Services) -> Result<Seed, SeedError> {
        let mut keys = Map::new();
        for p in parts(services) {
            keys.extend(p.default_seed());
        }
        Seed::from_value(services, &keys)
    }

    /// Each service parses its section, then the whole seed is validated.
    fn parse(services: &Services, src: SeedSource<'_>) -> Result<Seed, SeedError> {
        let seed = Seed::parse_unchecked(services, src)?;
        seed.validate()?;
        Ok(seed)
    }

    fn parse_unchecked(services: &Services, src: SeedSource<'_>) -> Result<Seed, SeedError> {
        let mut sections = Vec::new();
        for p in parts(services) {
            if let Some(part) = p.parse_seed(&src)? {
                sections.push((p.name(), part));
            }
        }
        let shell: ShellSection = src.parse()?;
        Ok(Seed {
            services: services.clone(),
            sections,
            rate_limits: shell.rate_limits,
        })
    }

    /// The services this seed was read for (an emulator made from it serves them).
    pub fn services(&self) -> &Services {
        &self.services
    }

    /// The section of type `T`, parsed by its service: how a service reads its own section
    /// and the sections it refers to (Groups' members name Auth's identities).
    pub fn part<T: SeedPart>(&self) -> Option<&T> {
        self.sections
            .iter()
            .find_map(|(_, p)| (&**p as &dyn Any).downcast_ref::<T>())
    }

    /// Checks that ids are unique and that every reference names something seeded: each
    /// service checks its section, and the rate limits must name mounted services.
    pub fn validate(&self) -> Result<(), SeedError> {
        let mut problems = Vec::new();
        for name in self.rate_limits.keys() {
            if !parts(&self.services).any(|p| p.name() == name) {
                problems.push(format!("rate_limits: unknown service {name}"));
            }
        }
        for p in parts(&self.services) {
            p.validate_seed(self, &mut problems);
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(SeedError::Invalid(problems.join("; ")))
        }
    }

    /// The seed as top-level keys.
    pub fn to_json(&self) -> Map<String, Value> {
        let mut keys = Map::new();
        for (_, part) in &self.sections {
            keys.extend(part.to_json());
        }
        if !self.rate_limits.is_empty()
            && let Ok(limits) = serde_json::to_value(&self.rate_limits)
        {
            keys.insert("rate_limits".into(), limits);
        }
        keys
    }

    /// Adds `other`'s entries to this seed's (lists are appended, maps merged, other values
    /// replaced), then validates the result.
    pub fn merge(&mut self, other: &Seed) -> Result<(), SeedError> {
        let mut keys = self.to_json();
        for (k, v) in other.to_json() {
            match keys.get_mut(&k) {
                Some(mine) => merge_value(mine, v),
                None => {
                    keys.insert(k, v);
                }
            }
        }
        *self = Seed::from_value(&self.services, &keys)?;
        Ok(())
    }

    /// Sets one top-level key (a whole section, such as `boss`), then validates the result.
    pub fn set(&mut self, key: &str, value: Value) -> Result<(), SeedError> {
        let mut keys = self.to_json();
        keys.insert(key.to_string(), value);
        *self = Seed::from_value(&self.services, &keys)?;
        Ok(())
    }
}

fn merge_value(mine: &mut Value, theirs: Value) {
    match (mine, theirs) {
        (Value::Array(a), Value::Array(b)) => a.extend(b),
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                match a.get_mut(&k) {
                    Some(x) => merge_value(x, v),
                    None => {
                        a.insert(k, v);
                    }
                }
            }
        }
        (mine, theirs) => *mine = theirs,
    }
}
