//! What users write: workspace loading, typed policy with spans, validation, diagnostics.
//!
//! `load_workspace` reads `accord.yaml` and the policy files, parses them into the AST
//! (`ast`), merges and checks them (`validate`), and lowers them into `model`, which later
//! stages consume. Every problem is a `PolicyDiagnostic` at `file:line:col`.

pub mod ast;
pub mod diagnostics;
pub mod excerpt;
pub mod limits;
pub mod load;
pub mod model;
pub mod principal;
pub mod schema;
pub mod source;
pub mod validate;

pub use diagnostics::{Diagnostics, PolicyDiagnostic, error_at};
pub use load::{load_from_memory, load_workspace};
pub use model::*;
pub use schema::{policy_file_schema, workspace_file_schema};
