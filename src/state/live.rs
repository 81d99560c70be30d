//! What a read of the services returns, and what it is asked for: the scope (containers and
//! top-level objects to find), the live read, server ids known so far, and a service's error.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use super::{Address, Container, Object, Principal, State};

/// A top-level object to find on the service: by pin, or adopted by its policy name.
#[derive(Debug, Clone, PartialEq)]
pub struct Lookup {
    /// The object's address (keyed by policy name).
    pub address: Address,
    /// An `id:` pin; a pin that does not exist is an error.
    pub pin: Option<String>,
    /// Former names (`previously:`), tried after the current name.
    pub previously: Vec<String>,
    /// Desired attributes that identify an unpinned object live (a guest collection's
    /// `display_name` and `mapped_collection_id`); empty for groups, found by name.
    pub hints: BTreeMap<String, serde_json::Value>,
}

/// What to read: the containers whose contents are managed, and the top-level objects to find.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scope {
    /// Containers (groups, collections) whose contents are read.
    pub containers: Vec<Container>,
    /// Top-level objects to find (including tombstoned ones).
    pub lookups: Vec<Lookup>,
    /// Live group UUID → policy name of the groups this workspace manages, so a Transfer rule
    /// for a managed group is keyed `group:<policy-name>` (filled from the Groups read).
    pub group_names: BTreeMap<String, String>,
    /// Server ids earlier reads found under addresses other than their objects' own (a guest
    /// collection's id under its policy name): a later read finds by them what its containers
    /// name by policy name.
    pub known_ids: BTreeMap<Address, String>,
}

/// The result of reading a scope.
#[derive(Debug, Clone, Default)]
pub struct LiveRead {
    /// Live objects, with server ids, keyed by canonical address (managed groups by policy name).
    pub state: State,
    /// Display names of principals seen live (usernames), for plan output.
    pub names: BTreeMap<Principal, String>,
    /// Live objects the service manages itself, skipped by the diff (listed with `-v`).
    pub system_managed: Vec<Object>,
    /// Server ids found under addresses other than the objects' own (a guest collection's id
    /// under its policy name), for later reads and for apply.
    pub ids: BTreeMap<Address, String>,
    /// Containers the service says can hold nothing (a GCSv5 endpoint has no access rules),
    /// with its words: the plan refuses what the policy puts in them.
    pub unavailable: Vec<(Address, String)>,
    /// Containers (or prefixes of them) whose contents the service will not let accord see
    /// or change, with the reason: the plan reports each desired object in them as blocked and
    /// removes nothing there.
    pub blocked: Vec<(Address, String)>,
}

impl LiveRead {
    /// Live id → policy name of the managed groups this read found (the objects that are
    /// `group:<name>` principals, with their server ids), for [`Scope::group_names`].
    pub fn managed_group_ids(&self) -> BTreeMap<String, String> {
        self.state
            .objects
            .values()
            .filter_map(
                |o| match o.address.kind.semantics().is_principal(&o.address) {
                    Some(Principal::ManagedGroup(name)) => Some((o.server_id.clone()?, name)),
                    _ => None,
                },
            )
            .collect()
    }

    /// Adds another read's objects, names and findings to this one.
    pub fn merge(&mut self, other: LiveRead) {
        self.state.objects.extend(other.state.objects);
        self.ids.extend(other.ids);
        self.names.extend(other.names);
        self.system_managed.extend(other.system_managed);
        self.unavailable.extend(other.unavailable);
        self.blocked.extend(other.blocked);
    }
}

/// Server ids known so far: filled from the live read and by creates during apply.
#[derive(Debug, Clone, Default)]
pub struct IdMap(Arc<Mutex<BTreeMap<Address, String>>>);

impl IdMap {
    /// The server id of an address, if known.
    pub fn get(&self, address: &Address) -> Option<String> {
        self.0
            .lock()
            .expect("id map poisoned")
            .get(address)
            .cloned()
    }

    /// Records a server id.
    pub fn insert(&self, address: Address, id: String) {
        self.0.lock().expect("id map poisoned").insert(address, id);
    }
}

/// A provider's error while reading or applying.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ProviderError {
    /// An HTTP-level failure after retries.
    #[error("{service}: {message}")]
    Service {
        /// The service name.
        service: &'static str,
        /// What went wrong (status, code, message; never a secret).
        message: String,
    },
    /// The policy names something the service does not have (a missing pin, an ambiguous name).
    #[error("{0}")]
    NotFound(String),
    /// Credentials are missing or refused.
    #[error("credentials: {0}")]
    Credentials(String),
}
