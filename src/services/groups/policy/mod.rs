//! Its section of the policy files, `groups:`: the types as written (`ast`), merged and
//! checked (`model`), and compiled into desired objects.

pub mod ast;
pub mod compile;
pub mod model;
pub mod validate;

pub use model::*;
