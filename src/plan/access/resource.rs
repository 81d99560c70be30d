//! What access is on, owned (a plan's access delta names it): a resource type its service
//! declares, and the parts the granting object's address gave it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::state::access::{Escalation, On, ResourceType};

/// What access is on: `<prefix>:<part>…`, such as a managed group (its roles) or a path on a
/// collection, as the resource's service declares it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct Resource {
    /// The class of resource; resources sort by it first.
    pub of: ResourceType,
    /// Its parts, as many as the type's arity.
    pub parts: Vec<String>,
}

impl Resource {
    /// The resource of type `of` with these parts.
    pub fn new(of: ResourceType, parts: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Resource {
            of,
            parts: parts.into_iter().map(Into::into).collect(),
        }
    }

    /// The resource for people: `group lab-readers`, `e56c36e4… /shared/`.
    pub fn label(&self) -> String {
        self.of.def().semantics.label(&self.parts)
    }

    /// A level on this resource, for people: `admin of group lab-admins`, `rw on e56c36e4… /x/`.
    pub fn phrase(&self, level: &str) -> String {
        format!("{level} {} {}", self.of.def().preposition, self.label())
    }

    /// A resource as people type it: its canonical form (`transfer:<collection>:<path>`), or a
    /// short form its service reads (`boss:JHUAPL/Mouse17/EM`).
    pub fn parse_typed(s: &str) -> Result<Resource, ResourceParseError> {
        if let Ok(r) = s.parse() {
            return Ok(r);
        }
        let err = || ResourceParseError(s.to_string());
        let (prefix, rest) = s.split_once(':').ok_or_else(err)?;
        let of = ResourceType::from_prefix(prefix).ok_or_else(err)?;
        let parts = of.def().semantics.parse_short(rest).ok_or_else(err)?;
        let whole = parts.len() == of.def().arity && parts.iter().all(|p| !p.is_empty());
        if !whole || !of.def().semantics.valid(&parts) {
            return Err(err());
        }
        Ok(Resource { of, parts })
    }

    /// Whether access granted on `self` is access to `asked` (the same resource, or a path
    /// under a path), as its service says.
    pub fn covers(&self, asked: &Resource) -> bool {
        self.of == asked.of && self.of.def().semantics.covers(&self.parts, &asked.parts)
    }

    /// Why gaining `level` here is an escalation, if it is (a new `rw`, or a role that
    /// administers a group: managers and admins change who else has access), as its service
    /// says.
    pub(super) fn escalation(&self, level: &str) -> Option<Escalation> {
        self.of.escalation(level)
    }
}

impl From<On<'_>> for Resource {
    fn from(on: On<'_>) -> Resource {
        Resource {
            of: on.resource,
            parts: on.parts.to_vec(),
        }
    }
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.of.prefix())?;
        for part in &self.parts {
            write!(f, ":{part}")?;
        }
        Ok(())
    }
}

/// Why a string is not a resource.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a resource: `{0}` (write one of: {forms})", forms = forms().join(", "))]
pub struct ResourceParseError(pub String);

/// How people write each registered resource, canonical forms first, for help and errors.
pub fn forms() -> Vec<String> {
    ResourceType::all()
        .into_iter()
        .flat_map(|r| match r.def().forms {
            [] => vec![format!("{}:…", r.prefix())],
            forms => forms.iter().map(|f| f.to_string()).collect(),
        })
        .collect()
}

impl FromStr for Resource {
    type Err = ResourceParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ResourceParseError(s.to_string());
        let (prefix, rest) = s.split_once(':').ok_or_else(err)?;
        let of = ResourceType::from_prefix(prefix).ok_or_else(err)?;
        // All parts but the last hold no `:` (a UUID, a name), so each `:` up to the last
        // part ends one, and the last part (a path) keeps any `:` of its own.
        let parts: Vec<String> = rest.splitn(of.def().arity, ':').map(String::from).collect();
        let whole = parts.len() == of.def().arity && parts.iter().all(|p| !p.is_empty());
        if !whole || !of.def().semantics.valid(&parts) {
            return Err(err());
        }
        Ok(Resource { of, parts })
    }
}

impl From<Resource> for String {
    fn from(r: Resource) -> String {
        r.to_string()
    }
}

impl TryFrom<String> for Resource {
    type Error = ResourceParseError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}
