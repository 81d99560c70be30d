//! What users write: workspace loading, typed policy with spans, validation, diagnostics.

pub mod model;

pub use model::*;
