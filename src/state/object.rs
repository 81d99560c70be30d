//! Objects, containers and the desired or live state they make up.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::address::Address;
use super::attrs::Attrs;

/// Where in the policy an object was asked for.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct Provenance {
    /// The policy file, relative to the workspace root.
    // Shared: every object a file asks for names it.
    pub file: Arc<Path>,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

impl std::fmt::Display for Provenance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)
    }
}

/// One managed object, desired or live.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Object {
    /// Its canonical address.
    pub address: Address,
    /// Normalised fields: sorted lists, canonical principals, paths ending in `/`,
    /// timestamps as RFC 3339 UTC with `Z`.
    pub attrs: Attrs,
    /// Objects that must exist before this one (a rule naming a managed group).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<Address>,
    /// For desired objects: the policy line that asks for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provenance: Option<Provenance>,
    /// For live objects: the server's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_id: Option<String>,
}

impl Object {
    /// A new object with no attributes.
    pub fn new(address: Address) -> Self {
        Object {
            address,
            attrs: Attrs::new(),
            depends_on: Vec::new(),
            provenance: None,
            server_id: None,
        }
    }

    /// Sets an attribute (builder style).
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.attrs.insert(key.to_string(), value.into());
        self
    }

    /// A string attribute, if present and a string.
    pub fn str_attr(&self, key: &str) -> Option<&str> {
        self.attrs.get(key).and_then(Value::as_str)
    }
}

/// How a container treats live contents the policy does not name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ContainerMode {
    /// Undeclared live contents are removed.
    Authoritative,
    /// Each named key is exact; other keys are untouched.
    Keyed,
    /// Never removes.
    Additive,
}

/// A container the desired state names: its contents are read, and diffed per its mode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Container {
    /// The container itself (a group, or a collection by its id).
    pub address: Address,
    /// How undeclared contents are treated.
    pub mode: ContainerMode,
    /// For ACL containers: only rules under these paths are accord's (empty = all).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub manage_paths: Vec<String>,
    /// Where the policy declares the container.
    pub provenance: Option<Provenance>,
}

/// A set of objects keyed by address, plus the containers and tombstones the policy names.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// The objects.
    pub objects: BTreeMap<Address, Object>,
    /// The containers whose contents are managed (desired state only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub containers: Vec<Container>,
}

impl State {
    /// Adds an object, returning the one it replaced.
    pub fn insert(&mut self, object: Object) -> Option<Object> {
        self.objects.insert(object.address.clone(), object)
    }

    /// The object at an address.
    pub fn get(&self, address: &Address) -> Option<&Object> {
        self.objects.get(address)
    }

    /// Rebuilds the object map with full nodes, once it is complete. A B-tree filled one
    /// insert at a time splits its nodes in halves and leaves them about half empty; one
    /// built from sorted entries fills them, which at a hundred thousand objects is a
    /// tenth of the plan's memory.
    pub fn pack(&mut self) {
        self.objects = std::mem::take(&mut self.objects).into_iter().collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packing_keeps_every_object_in_order() {
        let mut state = State::default();
        for i in (0..500).rev() {
            state.insert(Object::new(Address::new(
                crate::state::kind::testing::GROUP,
                [format!("g{i:03}")],
            )));
        }
        let before: Vec<Address> = state.objects.keys().cloned().collect();
        state.pack();
        let after: Vec<Address> = state.objects.keys().cloned().collect();
        assert_eq!(before, after);
        assert!(
            state
                .get(&Address::new(crate::state::kind::testing::GROUP, ["g250"]))
                .is_some()
        );
    }
}
