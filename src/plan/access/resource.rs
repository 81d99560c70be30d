//! What access is on, owned (a plan's access delta names it), and why a gain escalates.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::state::kind::On;

/// What access is on: a group (its roles) or a path on a Transfer collection.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum Resource {
    /// A managed group, by policy name (`group:<name>`); levels `member`, `manager`, `admin`.
    Group(String),
    /// A path on a collection (`transfer:<collection>:<path>`); levels `r`, `rw`.
    Path {
        /// The collection (endpoint) UUID.
        collection: String,
        /// The normalised path, ending in `/`.
        path: String,
    },
}

impl Resource {
    /// The resource for people: `group lab-readers`, `e56c36e4… /shared/`.
    pub fn label(&self) -> String {
        match self {
            Resource::Group(name) => format!("group {name}"),
            Resource::Path { collection, path } => format!("{} {path}", short(collection)),
        }
    }

    /// A level on this resource, for people: `admin of group lab-admins`, `rw on e56c36e4… /x/`.
    pub fn phrase(&self, level: &str) -> String {
        match self {
            Resource::Group(_) => format!("{level} of {}", self.label()),
            Resource::Path { .. } => format!("{level} on {}", self.label()),
        }
    }

    /// Why gaining `level` here is an escalation, if it is: a new `rw`, or a role that
    /// administers the group (managers and admins change who else has access).
    pub(super) fn escalation(&self, level: &str) -> Option<Escalation> {
        match (self, level) {
            (Resource::Path { .. }, "rw") => Some(Escalation::NewRw),
            (Resource::Group(_), "admin") => Some(Escalation::NewAdmin),
            (Resource::Group(_), "manager") => Some(Escalation::NewManager),
            _ => None,
        }
    }
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Resource::Group(name) => write!(f, "group:{name}"),
            Resource::Path { collection, path } => write!(f, "transfer:{collection}:{path}"),
        }
    }
}

impl FromStr for Resource {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once(':') {
            Some(("group", name)) if !name.is_empty() => Ok(Resource::Group(name.to_string())),
            // The collection is a UUID (no `:`), so the first `:` after it ends it and the
            // path keeps any `:` of its own.
            Some(("transfer", rest)) => match rest.split_once(':') {
                Some((collection, path)) if !collection.is_empty() && path.starts_with('/') => {
                    Ok(Resource::Path {
                        collection: collection.to_string(),
                        path: path.to_string(),
                    })
                }
                _ => Err(format!("not a resource: `{s}`")),
            },
            _ => Err(format!("not a resource: `{s}`")),
        }
    }
}

impl From<Resource> for String {
    fn from(r: Resource) -> String {
        r.to_string()
    }
}

impl TryFrom<String> for Resource {
    type Error = String;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

/// Why a gain is flagged for reviewers.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Escalation {
    /// A grant to `public`, `anonymous` or `all_authenticated_users`, at any level.
    Everyone,
    /// Write access (`rw`) where there was none or only `r`.
    NewRw,
    /// A new admin of a group.
    NewAdmin,
    /// A new manager of a group.
    NewManager,
}

impl fmt::Display for Escalation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Escalation::Everyone => "grant to everyone",
            Escalation::NewRw => "new rw",
            Escalation::NewAdmin => "new admin",
            Escalation::NewManager => "new manager",
        })
    }
}

/// The resource a grant is on, owned.
pub(super) fn resource(on: On<'_>) -> Resource {
    match on {
        On::Group(name) => Resource::Group(name.to_string()),
        On::Path(collection, path) => Resource::Path {
            collection: collection.to_string(),
            path: path.to_string(),
        },
    }
}

/// `8f3e2a1b…` for a UUID; anything else unchanged.
pub(super) fn short(s: &str) -> String {
    if s.len() == 36 && uuid::Uuid::parse_str(s).is_ok() {
        format!("{}…", &s[..8])
    } else {
        s.to_string()
    }
}
