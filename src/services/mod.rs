//! The one list of services (see DESIGN.md's layout): adding a service is one line here;
//! everything else about it lives in its folder, reached through `crate::service::Service`.

pub mod auth;
pub mod boss;
pub mod flows;
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
        std::sync::Arc::new(flows::Flows),
    ])
}
