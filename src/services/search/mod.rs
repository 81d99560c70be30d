//! Globus Search, everything accord knows of it: its policy section (`search:`), kinds, API,
//! provider, wire types, and its emulator part and refusals (`docs/search-model.md`).

pub mod access;
pub mod api;

#[cfg(feature = "emulator")]
pub mod emulator;
pub mod kinds;
pub mod policy;
pub mod provider;
pub mod wire;

use crate::state::Kind;

pub use kinds::{ENTRY, ROLE};

#[cfg(feature = "emulator")]
pub mod refusals;

/// Search's resource server.
pub const RESOURCE_SERVER: &str = "search.api.globus.org";

/// Search's scopes.
pub const SCOPES: &[&str] = &["all", "search", "ingest"];

/// The longest subject Search takes, in UTF-8 bytes.
pub const MAX_SUBJECT_BYTES: usize = 500;

/// The most `visible_to` values one entry takes.
pub const MAX_VISIBLE_TO: usize = 100;

/// The most entries one subject holds.
pub const MAX_ENTRIES_PER_SUBJECT: usize = 10;

/// The most roles one index holds.
pub const MAX_ROLES: usize = 50;

/// Globus Search, as a service accord manages.
pub struct Search;

impl crate::service::Service for Search {
    fn provider(
        &self,
        cx: &crate::service::Connect,
    ) -> Option<std::sync::Arc<dyn crate::service::Provider>> {
        Some(std::sync::Arc::new(provider::SearchProvider::new(
            cx.http.clone(),
        )))
    }

    fn name(&self) -> &'static str {
        "search"
    }

    fn api(&self) -> Option<&'static crate::http::Api> {
        Some(&api::API)
    }

    fn title(&self) -> &'static str {
        "Globus Search"
    }

    #[cfg(feature = "emulator")]
    fn emulator(&self) -> Option<&dyn crate::service::emulator::EmulatedService> {
        Some(&emulator::EMULATOR)
    }

    fn kinds(&self) -> &'static [Kind] {
        &[ROLE, ENTRY]
    }

    fn resources(&self) -> &'static [crate::state::access::ResourceType] {
        &[access::INDEX, access::DOCUMENT]
    }

    fn policy(&self) -> Option<&dyn crate::service::policy::ServicePolicy> {
        Some(&policy::Policy)
    }
}
