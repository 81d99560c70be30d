//! accord: a declarative permissions reconciler for research-data services.
//!
//! The pipeline is `policy` (what users write) → `state` (resolved, compiled desired
//! state and the live state read by `providers`) → `plan` (diff, order, rails, render)
//! → `apply`. See ARCHITECTURE.md for the map.

pub mod access;
pub mod apply;
pub mod cli;
#[cfg(feature = "emulator")]
pub mod emulator;
pub mod engine;
pub mod escape;
pub mod http;
pub mod import;
pub mod lock;
pub mod logs;
pub mod memory;
pub mod plan;
pub mod policy;
pub mod progress;
pub mod serve;
pub mod service;
pub mod services;
pub mod state;
pub mod target;
pub mod textwidth;
pub mod wire;
