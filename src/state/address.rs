//! Canonical addresses: a kind plus typed key segments, printed unambiguously and parsed back.
//!
//! Segments are canonical keys (principals as `identity:<uuid>`, managed groups by policy
//! name, paths ending in `/`), never aliases, so one object has exactly one address.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::kind::Kind;

/// The canonical address of one managed object, e.g.
/// `transfer.acl["e56c36e4-…"]["/disthome/alice/"]["identity:8f3e…"]`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Address {
    /// The kind of the object.
    pub kind: Kind,
    /// Its key segments, as many as the kind's arity. Shared: a plan holds each address
    /// several times over (map key, object, live checks, id map), and a clone is a count.
    pub keys: Arc<[String]>,
}

/// Why a string is not an address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressParseError {
    /// The text before the first `[` is not a kind name.
    #[error("unknown kind `{0}`")]
    UnknownKind(String),
    /// A segment is not a quoted string inside brackets.
    #[error("malformed key segment at byte {0}")]
    Malformed(usize),
    /// The number of segments does not match the kind.
    #[error("`{kind}` takes {expected} key(s), found {found}")]
    Arity {
        kind: Kind,
        expected: usize,
        found: usize,
    },
}

impl Address {
    /// Builds an address; panics in debug builds if the arity is wrong.
    pub fn new(kind: Kind, keys: impl IntoIterator<Item = impl Into<String>>) -> Self {
        let address = Address::partial(kind, keys);
        debug_assert_eq!(address.keys.len(), kind.arity(), "{kind} address arity");
        address
    }

    /// A partial address, with fewer keys than the kind's arity: a container
    /// (`transfer.acl["<collection>"]`) or an `--only` prefix.
    pub fn partial(kind: Kind, keys: impl IntoIterator<Item = impl Into<String>>) -> Self {
        let keys: Arc<[String]> = keys
            .into_iter()
            .map(|k| {
                let mut k: String = k.into();
                // Keys are often formatted into a growing buffer: keep only what they use.
                k.shrink_to_fit();
                k
            })
            .collect();
        debug_assert!(keys.len() <= kind.arity(), "{kind} address arity");
        Address { kind, keys }
    }

    /// The address of the container holding this object, if it has one
    /// (a member's group, a rule's collection).
    pub fn container(&self) -> Option<Address> {
        self.kind.semantics().parent(self)
    }

    /// Whether `pattern` (an `--only` argument) selects this address: an exact address,
    /// a prefix of its segments, or a bare kind name.
    pub fn matches(&self, pattern: &Address) -> bool {
        pattern.kind == self.kind && self.keys.starts_with(&pattern.keys)
    }

    /// Parses a possibly partial address (fewer segments than the arity), for `--only`.
    pub fn parse_prefix(s: &str) -> Result<Address, AddressParseError> {
        let (kind_name, mut rest) = match s.find('[') {
            Some(i) => (&s[..i], &s[i..]),
            None => (s, ""),
        };
        let kind = Kind::from_name(kind_name)
            .ok_or_else(|| AddressParseError::UnknownKind(kind_name.into()))?;
        let mut keys = Vec::new();
        let mut offset = kind_name.len();
        while !rest.is_empty() {
            let inner = rest
                .strip_prefix('[')
                .ok_or(AddressParseError::Malformed(offset))?;
            let mut de = serde_json::Deserializer::from_str(inner).into_iter::<String>();
            let key = match de.next() {
                Some(Ok(k)) => k,
                _ => return Err(AddressParseError::Malformed(offset + 1)),
            };
            let used = de.byte_offset();
            let after = inner[used..]
                .strip_prefix(']')
                .ok_or(AddressParseError::Malformed(offset + 1 + used))?;
            keys.push(key);
            offset += rest.len() - after.len();
            rest = after;
        }
        if keys.len() > kind.arity() {
            return Err(AddressParseError::Arity {
                kind,
                expected: kind.arity(),
                found: keys.len(),
            });
        }
        Ok(Address {
            kind,
            keys: keys.into(),
        })
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind.name())?;
        for k in self.keys.iter() {
            write!(f, "[{}]", serde_json::Value::String(k.clone()))?;
        }
        Ok(())
    }
}

impl FromStr for Address {
    type Err = AddressParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let a = Address::parse_prefix(s)?;
        if a.keys.len() != a.kind.arity() {
            return Err(AddressParseError::Arity {
                kind: a.kind,
                expected: a.kind.arity(),
                found: a.keys.len(),
            });
        }
        Ok(a)
    }
}

impl Serialize for Address {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Address {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Containers are partial addresses (`transfer.acl["<collection>"]`), so a serialised
        // address may have fewer keys than its kind's arity.
        let s = String::deserialize(d)?;
        Address::parse_prefix(&s).map_err(serde::de::Error::custom)
    }
}

impl schemars::JsonSchema for Address {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Address".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "A canonical address: kind[\"key\"]…",
            "pattern": "^[a-z]+\\.[a-z]+(\\[\".*\"\\])+$"
        })
    }
}
