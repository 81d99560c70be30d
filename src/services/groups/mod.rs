//! What accord knows of Globus Groups beyond the core's folders: its scopes and emulator
//! refusals.

#[cfg(feature = "emulator")]
pub mod refusals;

/// Groups' resource server.
pub const RESOURCE_SERVER: &str = "groups.api.globus.org";

/// Groups' scopes.
pub const SCOPES: &[&str] = &["all", "view_my_groups_and_memberships"];
