//! Diff, ordering, safety rails, rendering and saved plan files.

pub mod access;

pub mod model;
pub mod planfile;
pub mod render;

pub use crate::state::change::{self, Action, Change, Direction, FieldChange};
pub use access::{AccessDelta, AccessEntry, Escalation, Resource};
pub use model::{
    AccessSummary, Blocked, Expiring, FORMAT_VERSION, Fingerprint, Kept, LiveChecks,
    OverrideInForce, Pending, Plan, RailsInForce, Step, TargetInfo, Violation,
};
pub mod build;
pub mod capacity;
pub mod diff;
#[cfg(test)]
mod diff_tests;
pub mod drift;
pub mod join;
pub mod order;
pub mod rails;

pub use build::{PlanInputs, access_summary, build};
pub use diff::{Diff, DiffContext, diff};
pub use order::{Cycle, order};
pub use rails::{Limits, is_removal};
