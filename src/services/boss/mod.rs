//! What accord knows of the Boss beyond the core's folders: the refusals a policy or a plan
//! shows, and its emulator refusals.

#[cfg(feature = "emulator")]
pub mod emulator;
pub mod kinds;
pub mod provider;
pub mod wire;

pub use kinds::{FRAME, GROUP, MEMBER, PERMISSION, RESOURCE};

pub mod checks;
pub mod live;
#[cfg(feature = "emulator")]
pub mod refusals;
