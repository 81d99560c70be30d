//! The emulator half of the service contract: a service's routes, state, seed section and
//! rights table, mounted by the emulator shell.
// (Filled by the emulator work.)

/// A service's part of the emulator.
pub trait EmulatedService: Send + Sync {}
