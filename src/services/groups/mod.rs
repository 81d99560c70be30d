//! Globus Groups, everything accord knows of it: its policy section (`groups:`), kinds and the
//! group resource of the access model, API, provider, import (`--group`), wire types, and its
//! emulator part and refusals.

pub mod api;

#[cfg(feature = "emulator")]
pub mod emulator;
pub mod import;
pub mod kinds;
pub mod policy;
pub mod provider;
pub mod wire;

#[cfg(test)]
mod diff_tests;
#[cfg(test)]
mod order_tests;
#[cfg(test)]
mod render_tests;

use crate::state::Kind;

pub use kinds::{GROUP, MEMBER};

#[cfg(feature = "emulator")]
pub mod refusals;

/// Groups' resource server.
pub const RESOURCE_SERVER: &str = "groups.api.globus.org";

/// Groups' scopes.
pub const SCOPES: &[&str] = &["all", "view_my_groups_and_memberships"];

/// Globus Groups, as a service accord manages.
pub struct Groups;

impl crate::service::Service for Groups {
    fn provider(
        &self,
        cx: &crate::service::Connect,
    ) -> Option<std::sync::Arc<dyn crate::service::Provider>> {
        Some(std::sync::Arc::new(provider::GroupsProvider::new(
            cx.http.clone(),
        )))
    }

    fn importer(&self) -> Option<&dyn crate::service::import::Importer> {
        Some(&import::GroupImporter)
    }

    fn name(&self) -> &'static str {
        "groups"
    }

    fn api(&self) -> Option<&'static crate::http::Api> {
        Some(&api::API)
    }

    fn title(&self) -> &'static str {
        "Globus Groups"
    }

    #[cfg(feature = "emulator")]
    fn emulator(&self) -> Option<&dyn crate::service::emulator::EmulatedService> {
        Some(&emulator::EMULATOR)
    }

    fn kinds(&self) -> &'static [Kind] {
        &[GROUP, MEMBER]
    }

    fn resources(&self) -> &'static [crate::state::access::ResourceType] {
        &[kinds::ROLES]
    }

    fn policy(&self) -> Option<&dyn crate::service::policy::ServicePolicy> {
        Some(&policy::Policy)
    }
}
