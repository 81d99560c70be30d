//! Changes: what the diff finds, one per address.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::state::{Address, Object, Provenance};

/// What a change does to its object.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Create the object.
    Create,
    /// Update some fields in place.
    Update,
    /// Delete then create (a force-replace field changed): access is briefly absent.
    Replace,
    /// Delete the object.
    Delete,
}

/// One changed field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FieldChange {
    /// Field name.
    pub name: String,
    /// Live value (`null` when absent).
    pub before: Value,
    /// Desired value (`null` when absent).
    pub after: Value,
}

/// Whether a change gives access, takes it away, or neither.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Gives or widens access: ordered before every revocation.
    Grant,
    /// Takes away or narrows access: ordered after every grant; counts as a removal for the rails.
    Revoke,
    /// Neither (a description, a new group, a directory).
    Neutral,
}

/// One planned change to one object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Change {
    /// The object's canonical address.
    pub address: Address,
    /// What happens.
    pub action: Action,
    /// Changed fields (updates and replaces).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldChange>,
    /// The live object (absent for creates).
    pub before: Option<Object>,
    /// The desired object (absent for deletes).
    pub after: Option<Object>,
    /// Grant, revoke or neutral.
    pub direction: Direction,
    /// Why, for people: the policy line, or why a removal happens.
    pub reason: String,
    /// The policy line asking for it (creates and updates), or the container's (deletes).
    pub provenance: Option<Provenance>,
    /// Display names for the principals in the address (alias or username).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// A delete the service carries out itself when it deletes this object (a guest
    /// collection's rules and roles go with it): shown in the plan, never sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_with: Option<Address>,
}

impl Change {
    /// A change with no objects, fields or reason yet (tests and tools fill what they need).
    pub fn new(address: Address, action: Action) -> Change {
        Change {
            address,
            action,
            fields: Vec::new(),
            before: None,
            after: None,
            direction: Direction::Neutral,
            reason: String::new(),
            provenance: None,
            labels: BTreeMap::new(),
            deleted_with: None,
        }
    }
}

impl Change {
    /// Whether apply sends this change (a delete the service carries out itself is not sent).
    pub fn is_sent(&self) -> bool {
        self.deleted_with.is_none()
    }
}

impl Change {
    /// Whether a field rises to one of `values` (ordered low → high) from below it, or from
    /// nothing: a new admin, a new `rw`.
    pub fn rose_to(&self, field: &str, values: &[&str]) -> bool {
        let rank = |o: Option<&Object>| {
            o.and_then(|o| o.str_attr(field))
                .and_then(|v| values.iter().position(|x| *x == v))
        };
        match (rank(self.before.as_ref()), rank(self.after.as_ref())) {
            (_, None) => false,
            (None, Some(_)) => true,
            (Some(b), Some(a)) => a > b,
        }
    }

    /// Whether the principal the address ends with means everyone (`public`,
    /// `all_authenticated_users`, `anonymous`).
    pub fn names_everyone(&self) -> bool {
        self.address
            .keys
            .last()
            .and_then(|k| k.parse::<crate::state::Principal>().ok())
            .is_some_and(|p| p.is_public())
    }
}
