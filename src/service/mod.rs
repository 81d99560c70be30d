//! The service contract: what the core knows of a service, and nothing more. A service
//! implements it in its folder under `src/services/`; `services::builtin()` lists them.

pub mod provider;
pub mod registry;

pub use crate::state::identity::{IdentityInfo, IdentityResolver};
pub use crate::state::live::{IdMap, LiveRead, Lookup, ProviderError, Scope};
pub(crate) use provider::failed;
pub use provider::{CredentialKind, Outcome, Provider};
pub use registry::Registry;
