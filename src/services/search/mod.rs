//! What accord knows of Globus Search beyond the core's folders: its scopes and emulator
//! refusals.

#[cfg(feature = "emulator")]
pub mod refusals;

/// Search's resource server.
pub const RESOURCE_SERVER: &str = "search.api.globus.org";

/// Search's scopes.
pub const SCOPES: &[&str] = &["all", "search", "ingest"];
