//! The set of providers a run uses, found by kind.

use std::sync::Arc;

use futures::future::try_join_all;

use super::{LiveRead, Provider, ProviderError, Scope};
use crate::plan::Change;
use crate::state::Kind;

/// The providers of one run.
#[derive(Clone, Default)]
pub struct Registry {
    providers: Vec<Arc<dyn Provider>>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Registry::default()
    }

    /// Adds a provider.
    pub fn with(mut self, provider: Arc<dyn Provider>) -> Self {
        self.providers.push(provider);
        self
    }

    /// Every provider, in the order added.
    pub fn providers(&self) -> &[Arc<dyn Provider>] {
        &self.providers
    }

    /// The provider managing a kind.
    pub fn for_kind(&self, kind: Kind) -> Option<&Arc<dyn Provider>> {
        self.providers.iter().find(|p| p.kinds().contains(&kind))
    }

    /// The batch key of a change, from its provider.
    pub fn batch_key(&self, change: &Change) -> Option<String> {
        self.for_kind(change.address.kind)
            .and_then(|p| p.batch_key(change).map(|k| format!("{}:{k}", p.name())))
    }

    /// Reads every provider's part of the scope concurrently and merges the results.
    pub async fn read(&self, scope: &Scope) -> Result<LiveRead, ProviderError> {
        let reads = try_join_all(self.providers.iter().map(|p| p.read(scope))).await?;
        let mut live = LiveRead::default();
        for r in reads {
            live.merge(r);
        }
        Ok(live)
    }
}
