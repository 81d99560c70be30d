//! The one list of services: each one's emulator refusals, policy checks and live checks
//! (see DESIGN.md's layout; the rest of each service still lives in the core folders).

pub mod auth;
pub mod boss;
pub mod gcs;
pub mod groups;
pub mod search;
pub mod transfer;

/// Each service's resource server and its fixed scopes (GCS endpoints and collections are
/// resource servers of their own: `gcs::scopes`). Flows joins with one line here.
pub const SCOPES: &[(&str, &[&str])] = &[
    (auth::RESOURCE_SERVER, auth::SCOPES),
    (groups::RESOURCE_SERVER, groups::SCOPES),
    (transfer::RESOURCE_SERVER, transfer::SCOPES),
    (search::RESOURCE_SERVER, search::SCOPES),
];

/// Every service's emulator refusals (`docs/refusals.md` classifies each).
#[cfg(feature = "emulator")]
pub fn refusals() -> [&'static [&'static crate::emulator::refusal::Refusal]; 6] {
    [
        auth::refusals::ALL,
        groups::refusals::ALL,
        transfer::refusals::ALL,
        gcs::refusals::ALL,
        search::refusals::ALL,
        boss::refusals::ALL,
    ]
}
