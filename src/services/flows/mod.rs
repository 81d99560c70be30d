//! Globus Flows, everything accord knows of it: who may view, start, administer, and manage or
//! monitor the runs of a flow (`../shared/reference/flows-api.md`). Flows are created elsewhere
//! (a flow definition is code, not access); accord manages their role lists.

pub mod api;
#[cfg(feature = "emulator")]
pub mod emulator;
#[cfg(feature = "emulator")]
pub mod refusals;
pub mod wire;

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
}
