//! One module per service, plus the shared HTTP client.
//!
//! A provider reads the live objects of the containers the desired state names, and applies
//! one plan step (a single change, or a batch of changes sharing a batch key). The core knows
//! no HTTP: it sees only this trait.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use crate::plan::Change;
use crate::state::{Address, Container, Kind, Object, Principal, State};

pub mod auth;
pub mod boss;
pub mod gcs;
pub mod groups;
pub mod http;
pub mod search;
pub mod transfer;

pub use auth::GlobusAuth;
pub use boss::{BossCredentials, BossProvider};
pub use gcs::GcsProvider;
pub use groups::GroupsProvider;
pub use http::{
    CallKind, GlobusCredentials, HttpClient, HttpError, HttpOptions, Secret, Service, ServiceUrls,
};
pub use search::SearchProvider;
pub use transfer::TransferProvider;

/// The kind of credential a provider needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialKind {
    /// Globus Auth client credentials (`ACCORD_GLOBUS_CLIENT_ID` / `ACCORD_GLOBUS_CLIENT_SECRET`).
    GlobusClient,
    /// A Boss API token (`ACCORD_BOSS_TOKEN`) and username (`ACCORD_BOSS_USERNAME`).
    BossToken,
}

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
    /// Guest collection policy name → live collection UUID (filled from the GCS read), so
    /// rules, roles and directories on a guest collection accord creates find its id.
    pub collection_ids: BTreeMap<String, String>,
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
    /// Containers the service says can hold nothing (a GCSv5 endpoint has no access rules),
    /// with its words: the plan refuses what the policy puts in them.
    pub unavailable: Vec<(Address, String)>,
}

impl LiveRead {
    /// Adds another read's objects, names and findings to this one.
    pub fn merge(&mut self, other: LiveRead) {
        self.state.objects.extend(other.state.objects);
        self.names.extend(other.names);
        self.system_managed.extend(other.system_managed);
        self.unavailable.extend(other.unavailable);
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

/// What happened to one change of a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Done; a create reports the new server id.
    Applied {
        /// The server id of a created object.
        server_id: Option<String>,
    },
    /// The service refused or failed; apply stops starting new work.
    Failed {
        /// What the service said (never a secret).
        error: String,
    },
    /// The service will not do it for this principal (left the group, disallows adds):
    /// reported, not a failure.
    Blocked {
        /// Why.
        reason: String,
    },
}

/// A failed outcome from any displayable error (never a secret: provider errors are redacted).
pub(crate) fn failed(e: impl std::fmt::Display) -> Outcome {
    Outcome::Failed {
        error: e.to_string(),
    }
}

/// A provider's error while reading or applying.
#[derive(Debug, thiserror::Error)]
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

/// One service.
#[async_trait]
pub trait Provider: Send + Sync {
    /// The service name (`groups`, `transfer`).
    fn name(&self) -> &'static str;
    /// The kinds it manages.
    fn kinds(&self) -> &'static [Kind];
    /// The credential it needs.
    fn credential(&self) -> CredentialKind;
    /// Reads the live objects of the scope's containers and lookups that are of its kinds.
    async fn read(&self, scope: &Scope) -> Result<LiveRead, ProviderError>;
    /// Changes that may be sent together share a batch key (per group, one batch of grants and
    /// one of revocations); `None` means the change is sent alone.
    fn batch_key(&self, _change: &Change) -> Option<String> {
        None
    }
    /// Applies one step (a single change or a batch); returns one outcome per change, in order.
    async fn apply(&self, changes: &[Change], ids: &IdMap) -> Vec<Outcome>;
}

/// A resolved Globus identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityInfo {
    /// Identity UUID.
    pub id: uuid::Uuid,
    /// Username.
    pub username: String,
    /// `unused | used | private | closed`.
    pub status: String,
}

/// Looks principals up on Globus Auth, never provisioning.
#[async_trait]
pub trait IdentityResolver: Send + Sync {
    /// Identities for these usernames; unknown usernames are simply missing from the result.
    async fn by_usernames(&self, usernames: &[String]) -> Result<Vec<IdentityInfo>, ProviderError>;
    /// Identities for these ids; unknown ids are missing from the result.
    async fn by_ids(&self, ids: &[uuid::Uuid]) -> Result<Vec<IdentityInfo>, ProviderError>;
    /// The identity accord runs as (token introspection), for protecting its own access.
    async fn whoami(&self) -> Result<IdentityInfo, ProviderError>;
}

pub mod registry;
