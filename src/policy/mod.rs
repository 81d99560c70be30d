//! What users write, checked and lowered: workspace loading, typed policy with spans,
//! validation, diagnostics, and the resolution and compilation of the policy into the
//! desired state.
//!
//! `load_workspace` reads `accord.yaml` and the policy files, parses them into the AST
//! (`ast`; each service's keys by that service, through [`ServicePolicy`]), merges and checks
//! them (`validate`, the toolkit every service checks with), and lowers them into `model`.
//! Every problem is a `PolicyDiagnostic` at `file:line:col`. `resolve` then names every
//! principal canonically, and `compile` asks each service's [`PolicySection`] for its objects.

pub mod ast;
pub mod compile;
pub mod diagnostics;
pub mod excerpt;
pub mod limits;
pub mod load;
pub mod model;
pub mod principal;
pub mod problem;
pub mod resolve;
pub mod schema;
pub mod section;
pub mod source;
pub mod validate;

pub use compile::{Compiler, compile};
pub use diagnostics::{Diagnostics, PolicyDiagnostic, error_at};
pub use load::{load_from_memory, load_workspace};
pub use model::*;
pub use problem::{Problem, Problems};
pub use resolve::{ResolveError, Resolved, resolve};
pub use schema::{policy_file_schema, workspace_file_schema};
pub use section::{
    Declared, FileSection, ParsedValue, PolicySection, PolicyServices, ServicePolicy,
    SpecialPrincipal, Summary, Yaml, YamlError, property_schema, values,
};
pub use validate::Checker;
