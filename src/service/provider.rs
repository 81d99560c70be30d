//! The provider half of the service contract.
//!
//! A provider reads the live objects of the containers the desired state names, and applies
//! one plan step (a single change, or a batch of changes sharing a batch key). The core knows
//! no HTTP: it sees only this trait.

use async_trait::async_trait;

use crate::plan::Change;
use crate::state::{IdMap, Kind, LiveRead, Principal, ProviderError, Scope};

/// Who a provider acts as, for protecting its own access.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// The run's OAuth client, whose identity the identity resolver knows (`whoami`).
    OAuthClient,
    /// This principal (a user named by the credentials, such as a static token's user).
    Principal(Principal),
    /// Nobody the plan could touch.
    Nobody,
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

/// One service.
#[async_trait]
pub trait Provider: Send + Sync {
    /// The service name (`groups`, `transfer`).
    fn name(&self) -> &'static str;
    /// The kinds it manages.
    fn kinds(&self) -> &'static [Kind];
    /// Who it acts as: their own access is never planned away.
    fn caller(&self) -> Caller;
    /// The providers whose reads its own needs first (their `LiveRead::ids`, such as guest
    /// collection ids for rules naming a collection by policy name).
    fn reads_after(&self) -> &'static [&'static str] {
        &[]
    }
    /// The providers whose reads need its own first: the other half of `reads_after`, for
    /// the service that depends on another and knows it (GCS finds the guest collection ids
    /// Transfer's rules name).
    fn reads_before(&self) -> &'static [&'static str] {
        &[]
    }
    /// Whether its read needs the managed groups' live ids (`Scope::group_names`): it keys
    /// what names a managed group by the group's policy name.
    fn needs_group_names(&self) -> bool {
        false
    }
    /// Whether its read finds the managed groups' live ids (it manages the groups).
    fn supplies_group_names(&self) -> bool {
        false
    }
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
