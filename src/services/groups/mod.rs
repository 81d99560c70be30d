//! What accord knows of Globus Groups beyond the core's folders: its scopes and emulator
//! refusals.

#[cfg(feature = "emulator")]
pub mod emulator;
pub mod kinds;
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
    fn name(&self) -> &'static str {
        "groups"
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
}
