//! Globus Connect Server, everything accord knows of it: its policy section (`collections:`,
//! guest collections, their roles and the Transfer rules on them), kinds, the Manager API of
//! each endpoint (found through Transfer), provider, wire types, and its emulator part and
//! refusals (`docs/gcs-model.md`).

pub mod access;
pub mod api;

#[cfg(feature = "emulator")]
pub mod emulator;
pub mod kinds;
pub mod policy;
pub mod provider;
pub mod wire;

use crate::state::Kind;

pub use kinds::{COLLECTION, CREDENTIAL, ROLE};

#[cfg(feature = "emulator")]
pub mod refusals;

/// The scopes of a GCS endpoint (its own id is its resource server).
pub const ENDPOINT_SCOPES: &[&str] = &["manage_collections"];

/// The scopes of a GCS collection, mapped or guest (its id is its resource server).
pub const COLLECTION_SCOPES: &[&str] = &["data_access", "https"];

/// Globus Connect Server, as a service accord manages.
pub struct Gcs;

impl crate::service::Service for Gcs {
    fn provider(
        &self,
        cx: &crate::service::Connect,
    ) -> Option<std::sync::Arc<dyn crate::service::Provider>> {
        Some(std::sync::Arc::new(provider::GcsProvider::new(
            cx.http.clone(),
        )))
    }

    fn name(&self) -> &'static str {
        "gcs"
    }

    fn api(&self) -> Option<&'static crate::http::Api> {
        Some(&api::API)
    }

    fn title(&self) -> &'static str {
        "Globus Connect Server"
    }

    #[cfg(feature = "emulator")]
    fn emulator(&self) -> Option<&dyn crate::service::emulator::EmulatedService> {
        Some(&emulator::EMULATOR)
    }

    fn kinds(&self) -> &'static [Kind] {
        &[CREDENTIAL, COLLECTION, ROLE]
    }

    fn resources(&self) -> &'static [crate::state::access::ResourceType] {
        &[access::COLLECTION]
    }

    fn policy(&self) -> Option<&dyn crate::service::policy::ServicePolicy> {
        Some(&policy::Policy)
    }
}
