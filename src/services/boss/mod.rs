//! What accord knows of this service beyond the core's folders: its emulator refusals.

#[cfg(feature = "emulator")]
pub mod refusals;
