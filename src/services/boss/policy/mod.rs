//! Its section of the policy files, `boss:`: the types as written (`ast`), merged and
//! checked (`model`), and compiled into desired objects.

pub mod ast;
pub mod compile;
mod lower;
pub mod model;
pub mod validate;

pub use model::*;
