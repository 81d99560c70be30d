//! Cancelling an action: a flag the provider wrappers check before every call they start.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use crate::service::Registry;
use crate::service::{IdMap, LiveRead, Outcome, Provider, ProviderError, Scope};
use crate::state::Kind;

/// Who asked to cancel an action, once asked.
#[derive(Debug, Default)]
pub(super) struct CancelFlag(Mutex<Option<String>>);

impl CancelFlag {
    pub(super) fn get(&self) -> Option<String> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
    pub(super) fn set(&self, who: &str) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(who.to_string());
    }
}

/// The provider wrapper that makes cancel stop an apply between steps: once cancelled, every
/// step not yet started fails without a call, and apply then starts nothing new.
struct Cancellable {
    inner: Arc<dyn Provider>,
    cancel: Arc<CancelFlag>,
}

#[async_trait]
impl Provider for Cancellable {
    fn name(&self) -> &'static str {
        self.inner.name()
    }
    fn kinds(&self) -> &'static [Kind] {
        self.inner.kinds()
    }
    fn caller(&self) -> crate::service::Caller {
        self.inner.caller()
    }
    fn reads_after(&self) -> &'static [&'static str] {
        self.inner.reads_after()
    }
    fn reads_before(&self) -> &'static [&'static str] {
        self.inner.reads_before()
    }
    fn needs_group_names(&self) -> bool {
        self.inner.needs_group_names()
    }
    fn supplies_group_names(&self) -> bool {
        self.inner.supplies_group_names()
    }
    async fn read(&self, scope: &Scope) -> Result<LiveRead, ProviderError> {
        self.inner.read(scope).await
    }
    fn batch_key(&self, change: &crate::plan::Change) -> Option<String> {
        self.inner.batch_key(change)
    }
    async fn apply(&self, changes: &[crate::plan::Change], ids: &IdMap) -> Vec<Outcome> {
        if let Some(who) = self.cancel.get() {
            return changes
                .iter()
                .map(|_| Outcome::Failed {
                    error: format!("not sent: the action was cancelled by {who}"),
                })
                .collect();
        }
        self.inner.apply(changes, ids).await
    }
}

pub(super) fn cancellable(registry: &Registry, cancel: &Arc<CancelFlag>) -> Registry {
    registry.providers().iter().fold(Registry::new(), |r, p| {
        r.with(Arc::new(Cancellable {
            inner: p.clone(),
            cancel: cancel.clone(),
        }))
    })
}
