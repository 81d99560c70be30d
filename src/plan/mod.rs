//! Diff, ordering, safety rails, rendering and saved plan files.
