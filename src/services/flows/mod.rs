//! Globus Flows, everything accord knows of it: who may view, start, administer, and manage or
//! monitor the runs of a flow (`../shared/reference/flows-api.md`). Flows are created elsewhere
//! (a flow definition is code, not access); accord manages their role lists: its policy section
//! (`flows:`), kind and access-model resources, API, provider, wire types, and its emulator
//! part and refusals.

pub mod api;
#[cfg(feature = "emulator")]
pub mod emulator;
pub mod kinds;
pub mod policy;
pub mod provider;
#[cfg(feature = "emulator")]
pub mod refusals;
pub mod wire;

use crate::state::Kind;
use crate::state::access::ResourceType;

pub use kinds::{FLOW, ROLE, RUNS};

/// Globus Flows, as a service accord manages.
pub struct Flows;

impl crate::service::Service for Flows {
    fn name(&self) -> &'static str {
        "flows"
    }

    fn title(&self) -> &'static str {
        "Globus Flows"
    }

    fn api(&self) -> Option<&'static crate::http::Api> {
        Some(&api::API)
    }

    #[cfg(feature = "emulator")]
    fn emulator(&self) -> Option<&dyn crate::service::emulator::EmulatedService> {
        Some(&emulator::EMULATOR)
    }

    fn kinds(&self) -> &'static [Kind] {
        &[ROLE]
    }

    fn resources(&self) -> &'static [ResourceType] {
        &[FLOW, RUNS]
    }

    fn policy(&self) -> Option<&dyn crate::service::policy::ServicePolicy> {
        Some(&policy::Policy)
    }

    fn provider(
        &self,
        cx: &crate::service::Connect,
    ) -> Option<std::sync::Arc<dyn crate::service::Provider>> {
        Some(std::sync::Arc::new(provider::FlowsProvider::new(
            cx.http.clone(),
        )))
    }
}
