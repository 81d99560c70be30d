//! Globus Transfer, everything accord knows of it: its policy section (`endpoints:`), kinds and
//! the path resource of the access model, API, provider, import (`--endpoint`), wire types,
//! and its emulator part and refusals.

pub mod api;
#[cfg(test)]
mod api_tests;

#[cfg(feature = "emulator")]
pub mod emulator;
pub mod import;
pub mod kinds;
pub mod policy;
pub mod provider;
pub mod wire;

#[cfg(test)]
mod access_tests;

use crate::state::Kind;

pub use kinds::{ACL, DIRECTORY};

pub mod live;
#[cfg(feature = "emulator")]
pub mod refusals;

/// Transfer's resource server.
pub const RESOURCE_SERVER: &str = "transfer.api.globus.org";

/// Transfer's scopes.
pub const SCOPES: &[&str] = &["all"];

/// The most access rules one endpoint or collection holds (the guest-collection limit in
/// Globus' docs).
pub const MAX_RULES: usize = 1000;

/// Globus Transfer, as a service accord manages.
pub struct Transfer;

impl crate::service::Service for Transfer {
    fn provider(
        &self,
        cx: &crate::service::Connect,
    ) -> Option<std::sync::Arc<dyn crate::service::Provider>> {
        Some(std::sync::Arc::new(provider::TransferProvider::new(
            cx.http.clone(),
        )))
    }

    fn importer(&self) -> Option<&dyn crate::service::import::Importer> {
        Some(&import::EndpointImporter)
    }

    fn name(&self) -> &'static str {
        "transfer"
    }

    fn api(&self) -> Option<&'static crate::http::Api> {
        Some(&api::API)
    }

    fn title(&self) -> &'static str {
        "Globus Transfer"
    }

    #[cfg(feature = "emulator")]
    fn emulator(&self) -> Option<&dyn crate::service::emulator::EmulatedService> {
        Some(&emulator::EMULATOR)
    }

    fn kinds(&self) -> &'static [Kind] {
        &[ACL, DIRECTORY]
    }

    fn resources(&self) -> &'static [crate::state::access::ResourceType] {
        &[kinds::PATH]
    }

    fn policy(&self) -> Option<&dyn crate::service::policy::ServicePolicy> {
        Some(&policy::Policy)
    }
}
