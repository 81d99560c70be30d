//! The service-agnostic model: kinds and their field schemas, addresses, principals,
//! objects, desired and live state. It knows no policy file: `policy` resolves and compiles
//! a policy into it.

pub mod access;
pub mod address;
pub mod attrs;
pub mod change;
pub mod desired;
pub mod identity;
pub mod kind;
pub mod live;
pub mod object;
pub mod principal;

pub use address::{Address, AddressParseError};
pub use attrs::Attrs;
pub use change::{Action, Change, Direction, FieldChange};
pub use desired::{Desired, timestamp};
pub use identity::{IdentityInfo, IdentityResolver};
pub use kind::{FieldMode, FieldSpec, Kind};
pub use live::{IdMap, LiveRead, Lookup, ProviderError, Scope};
pub use object::{Container, ContainerMode, Object, Provenance, State};
pub use principal::Principal;
