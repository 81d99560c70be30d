//! Diff, ordering, safety rails, rendering and saved plan files.

pub mod change;
pub mod model;
pub mod planfile;
pub mod render;

pub use change::{Action, Change, Direction, FieldChange};
pub use model::{
    AccessSummary, Blocked, FORMAT_VERSION, Kept, Pending, Plan, Step, TargetInfo, Violation,
};
