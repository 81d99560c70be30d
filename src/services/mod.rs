//! The one list of services: each one's scopes and its emulator refusals (see DESIGN.md's
//! layout; each service's policy section, checks and compilation are its own, reached
//! through `Service::policy`).

pub mod auth;
pub mod boss;
pub mod gcs;
pub mod groups;
pub mod search;
pub mod transfer;

/// The services built into accord, in the order plans and summaries list them.
pub fn builtin() -> crate::service::Services {
    crate::service::Services::new(vec![
        std::sync::Arc::new(auth::Auth),
        std::sync::Arc::new(groups::Groups),
        std::sync::Arc::new(transfer::Transfer),
        std::sync::Arc::new(gcs::Gcs),
        std::sync::Arc::new(search::Search),
        std::sync::Arc::new(boss::Boss),
    ])
}

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
