//! What accord knows of Globus Transfer beyond the core's folders: its scopes, the refusals
//! a plan shows, and its emulator refusals.

#[cfg(feature = "emulator")]
pub mod emulator;
pub mod kinds;
pub mod provider;
pub mod wire;

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
