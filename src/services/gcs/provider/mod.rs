//! Globus Connect Server v5: the user credentials, guest collections and collection roles
//! accord manages on GCS endpoints (`docs/gcs-model.md`).
//!
//! Every call goes to the endpoint's own Manager API ([`Service::Gcs`]), whose URL the shared
//! client discovers from Transfer and trusts for that endpoint's token only.
//!
//! What `read` answers (the engine's GCS phase):
//! - a [`Lookup`] of kind `gcs.credential` at `[E, G]` (`hints.username` when the policy sets
//!   `local_username`): the running identity's own user credential on gateway `G` of `E`, as
//!   `identity_id` and `username`, `server_id` = the credential id;
//! - a [`Lookup`] of kind `gcs.collection` at `[E, N]`: the guest collection pinned by `id:`
//!   (a missing pin is [`ProviderError::NotFound`]), else the one guest collection on `E`
//!   whose `display_name` and `mapped_collection_id` match `hints` (several are an error),
//!   with its document fields and `server_id` = the collection id;
//! - a container `gcs.role[N]` (partial address): every role of `N`'s collection, found by id
//!   through `Scope::collection_ids` or the collections read in the same call, as
//!   `gcs.role[N][ROLE][PRINCIPAL]` objects depending on `gcs.collection[E][N]`. The running
//!   identity's own `administrator` role (the creator's, added by the service) is
//!   system-managed.
//!
//! Reads are shared per endpoint, so their number does not grow with the lookups: one
//! `user_credentials` listing per endpoint (filtered by gateway when the lookups name one
//! gateway there), one guest collection listing per endpoint with an unpinned collection
//! (all its pages), which also answers the pinned collections it holds, a `GET` per other
//! pinned collection and per mapped collection (its storage gateway), and one role listing
//! per existing collection (`include=all_roles` would list an endpoint's in one go, but it
//! needs the endpoint's administrator role, which a guest collection's creator seldom holds,
//! and it lists every collection's roles). Each endpoint's manager URL is discovered once
//! first; the calls of each step then run concurrently, within the shared client's limits
//! per endpoint.
//!
//! `apply` creates credentials (never deletes them: one may back other collections), creates,
//! patches and deletes guest collections, and creates and deletes roles. A create is never
//! blindly resent: after a failure that may have reached the service, the object is re-read by
//! its natural key and adopted; `exists`/`conflict` answers are adopted the same way.
//!
//! [`Lookup`]: crate::service::Lookup

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use uuid::Uuid;

use crate::http::{HttpClient, HttpError};
use crate::plan::{Action, Change};
use crate::service::{Caller, IdMap, LiveRead, Outcome, Provider, ProviderError, Scope, failed};
use crate::state::Kind;

mod collections;
mod credentials;
mod documents;
mod fetch;
mod keys;
mod read;
mod roles;

use keys::server_id;

pub use keys::principal_key;

const KINDS: &[Kind] = &[
    crate::services::gcs::CREDENTIAL,
    crate::services::gcs::COLLECTION,
    crate::services::gcs::ROLE,
];

/// The guest collection document fields accord reads and writes (besides the identifying
/// `collection_type`, `identity_id` and `user_credential_id`).
pub const COLLECTION_FIELDS: &[&str] = &[
    "display_name",
    "public",
    "collection_base_path",
    "mapped_collection_id",
    "description",
    "organization",
    "department",
    "contact_email",
    "contact_info",
    "info_link",
    "keywords",
    "default_directory",
    "force_encryption",
    "disable_verify",
    "force_verify",
    "enable_https",
    "user_message",
    "user_message_link",
    "acl_expiration_mins",
    "restrict_transfers_to_high_assurance",
    "skip_auto_delete",
    "activity_notification_policy",
    "associated_flow_policy",
];

/// The Globus Connect Server provider.
#[derive(Debug)]
pub struct GcsProvider {
    http: Arc<HttpClient>,
    /// Guest collection policy name → its endpoint, learned from reads and applies, for
    /// role changes whose address names only the collection.
    endpoints: Mutex<BTreeMap<String, Uuid>>,
}

impl GcsProvider {
    /// A provider sending through the shared client.
    pub fn new(http: Arc<HttpClient>) -> Self {
        GcsProvider {
            http,
            endpoints: Mutex::new(BTreeMap::new()),
        }
    }

    /// The identity accord runs as: a confidential client's identity id is its client id.
    fn me(&self) -> Result<Uuid, String> {
        self.http.client_id().parse().map_err(|_| {
            format!(
                "the client id `{}` is not a UUID, so it is no identity id",
                self.http.client_id()
            )
        })
    }

    fn remember_endpoint(&self, name: &str, endpoint: Uuid) {
        self.endpoints
            .lock()
            .expect("endpoint map poisoned")
            .insert(name.to_string(), endpoint);
    }

    fn known_endpoint(&self, name: &str) -> Option<Uuid> {
        self.endpoints
            .lock()
            .expect("endpoint map poisoned")
            .get(name)
            .copied()
    }

    async fn apply_one(&self, change: &Change, ids: &IdMap) -> Outcome {
        use crate::services::gcs::{COLLECTION, CREDENTIAL, ROLE};
        let kind = change.address.kind;
        if kind == CREDENTIAL {
            match change.action {
                Action::Create | Action::Replace => self.create_credential(change, ids).await,
                Action::Update => self.update_credential(change, ids).await,
                Action::Delete => {
                    tracing::info!(address = %change.address, "user credentials are never deleted");
                    Outcome::Applied { server_id: None }
                }
            }
        } else if kind == COLLECTION {
            match change.action {
                Action::Create => self.create_collection(change, ids).await,
                Action::Update => self.update_collection(change, ids).await,
                Action::Delete => self.delete_collection(change, ids).await,
                Action::Replace => match self.delete_collection(change, ids).await {
                    Outcome::Applied { .. } => self.create_collection(change, ids).await,
                    other => other,
                },
            }
        } else if kind == ROLE {
            match change.action {
                Action::Create => self.create_role(change, ids).await,
                Action::Delete => self.delete_role(change, ids).await,
                Action::Replace => match self.delete_role(change, ids).await {
                    Outcome::Applied { .. } => self.create_role(change, ids).await,
                    other => other,
                },
                // A role has nothing to update on the server (accord enforces expiry by
                // revoking).
                Action::Update => Outcome::Applied {
                    server_id: server_id(change, ids),
                },
            }
        } else {
            failed(format!("the gcs provider does not manage {kind}"))
        }
    }
}

/// Whether an error says the object already exists (`exists`, `conflict`, HTTP 409).
fn is_exists(e: &HttpError) -> bool {
    e.status() == Some(409) || matches!(e.code(), Some("exists" | "Exists"))
}

#[async_trait]
impl Provider for GcsProvider {
    fn name(&self) -> &'static str {
        "gcs"
    }

    fn kinds(&self) -> &'static [Kind] {
        KINDS
    }

    fn caller(&self) -> Caller {
        Caller::OAuthClient
    }

    fn reads_before(&self) -> &'static [&'static str] {
        // Transfer's rules on a guest collection name it by policy name: its id comes from here.
        &[crate::services::transfer::api::ID.name]
    }

    fn needs_group_names(&self) -> bool {
        true
    }

    async fn read(&self, scope: &Scope) -> Result<LiveRead, ProviderError> {
        self.read_scope(scope).await
    }

    async fn apply(&self, changes: &[Change], ids: &IdMap) -> Vec<Outcome> {
        let mut out = Vec::with_capacity(changes.len());
        for c in changes {
            out.push(self.apply_one(c, ids).await);
        }
        out
    }
}

#[cfg(test)]
mod tests;
