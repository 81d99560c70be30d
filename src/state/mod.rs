//! The service-agnostic model: kinds and their field schemas, addresses, principals,
//! objects, desired and live state, principal resolution and compilation of a policy.

pub mod access;
pub mod address;
pub mod attrs;
pub mod change;
pub mod compile;
pub mod identity;
pub mod kind;
pub mod live;
pub mod object;
pub mod principal;
pub mod problem;
pub mod resolve;

pub use address::{Address, AddressParseError};
pub use attrs::Attrs;
pub use change::{Action, Change, Direction, FieldChange};
pub use compile::{Desired, compile, timestamp};
pub use identity::{IdentityInfo, IdentityResolver};
pub use kind::{FieldMode, FieldSpec, Kind};
pub use live::{IdMap, LiveRead, Lookup, ProviderError, Scope};
pub use object::{Container, ContainerMode, Object, Provenance, State};
pub use principal::Principal;
pub use problem::{Problem, Problems};
pub use resolve::{Resolved, resolve};
