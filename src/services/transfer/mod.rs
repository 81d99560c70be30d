//! What accord knows of Globus Transfer beyond the core's folders: its scopes and emulator
//! refusals.

#[cfg(feature = "emulator")]
pub mod refusals;

/// Transfer's resource server.
pub const RESOURCE_SERVER: &str = "transfer.api.globus.org";

/// Transfer's scopes.
pub const SCOPES: &[&str] = &["all"];
