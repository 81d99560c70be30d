//! Diff, ordering, safety rails, rendering and saved plan files.

pub mod change;

pub use change::{Action, Change, Direction, FieldChange};
