//! The one list of services, and the refusals each one's checks of a policy and of a plan's
//! live read find before any write (see DESIGN.md's layout; the rest of each service still
//! lives in the core folders).

use crate::policy::{Policy, PolicyDiagnostic, SourceFile};
use crate::service::LiveRead;
use crate::state::{Desired, Problem};

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

/// What each service would refuse that the loaded policy shows (run after the core's checks).
pub fn check_policy(files: &[SourceFile], policy: &Policy) -> Vec<PolicyDiagnostic> {
    let checks = [search::checks::policy, boss::checks::policy];
    checks
        .iter()
        .flat_map(|check| check(files, policy))
        .collect()
}

/// What each service would refuse that the live read shows, at the policy lines asking for it.
pub fn check_live(policy: &Policy, desired: &Desired, live: &LiveRead) -> Vec<Problem> {
    let checks = [
        transfer::live::problems,
        search::live::problems,
        boss::live::problems,
    ];
    checks
        .iter()
        .flat_map(|check| check(policy, desired, live))
        .collect()
}
