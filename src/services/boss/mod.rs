//! The Boss, everything accord knows of it: its policy section (`boss:`), kinds, principal
//! namespaces (`boss-user:`, `boss-group:`), target section (`boss: {url}`), API, provider,
//! wire types, and its emulator part and refusals (`docs/boss-model.md`).

pub mod access;
pub mod api;
#[cfg(test)]
mod target_tests;

#[cfg(feature = "emulator")]
pub mod emulator;
pub mod kinds;
pub mod policy;
pub mod principals;
pub mod provider;
pub mod wire;

use crate::state::Kind;

pub use kinds::{FRAME, GROUP, MEMBER, PERMISSION, RESOURCE};

#[cfg(feature = "emulator")]
pub mod refusals;

/// the Boss, as a service accord manages.
pub struct Boss;

impl crate::service::Service for Boss {
    fn provider(
        &self,
        cx: &crate::service::Connect,
    ) -> Option<std::sync::Arc<dyn crate::service::Provider>> {
        Some(std::sync::Arc::new(provider::BossProvider::connect(cx)))
    }

    fn name(&self) -> &'static str {
        "boss"
    }

    fn api(&self) -> Option<&'static crate::http::Api> {
        Some(&api::API)
    }

    fn title(&self) -> &'static str {
        "the Boss"
    }

    #[cfg(feature = "emulator")]
    fn emulator(&self) -> Option<&dyn crate::service::emulator::EmulatedService> {
        Some(&emulator::EMULATOR)
    }

    fn kinds(&self) -> &'static [Kind] {
        &[GROUP, MEMBER, FRAME, RESOURCE, PERMISSION]
    }

    fn namespaces(&self) -> &'static [crate::state::principal::Namespace] {
        principals::ALL
    }

    fn resources(&self) -> &'static [crate::state::access::ResourceType] {
        &[access::GROUP_ROLES, access::DATA]
    }

    fn policy(&self) -> Option<&dyn crate::service::policy::ServicePolicy> {
        Some(&policy::Policy)
    }
}
