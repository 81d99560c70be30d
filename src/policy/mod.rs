//! What users write, checked and lowered: workspace loading, typed policy with spans,
//! validation, diagnostics, and the resolution and compilation of the policy into the
//! desired state.
//!
//! `load_workspace` reads `accord.yaml` and the policy files, parses them into the AST
//! (`ast`; each service's keys by that service, through [`ServicePolicy`]), merges and checks
//! them (`validate`, the toolkit every service checks with), and lowers them into `model`.
//! Every problem is a `PolicyDiagnostic` at `file:line:col`. `resolve` then names every
//! principal canonically, and `compile` asks each service's [`PolicySection`] for its objects.
//!
//! The policy half of the service contract is here, at the root: [`ServicePolicy`] (the
//! top-level keys a service reads, parses, counts, declares and checks) and [`PolicySection`]
//! (what the later stages ask of its merged part). Its methods speak of the loader's, the
//! checker's and the compiler's types, which in turn hold sections: so the traits sit above
//! the modules they speak of.

pub mod ast;
pub mod compile;
pub mod diagnostics;
pub mod excerpt;
pub mod limits;
pub mod load;
pub mod model;
pub mod origin;
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
    FileSection, ParsedValue, PolicyServices, SpecialPrincipal, Summary, TargetSection, Yaml,
    YamlError, property_schema, values,
};
pub use validate::Checker;

use std::any::Any;
use std::fmt::Debug;

use schemars::{Schema, SchemaGenerator};

use crate::state::{Desired, Kind, LiveRead};
use limits::ObjectCounter;

/// A service's part of the policy files.
pub trait ServicePolicy: Send + Sync {
    /// The top-level keys of a policy file it reads (`groups`).
    fn keys(&self) -> &'static [&'static str];

    /// Where its keys stand among all services' in the policy format: the JSON Schema and the
    /// keys an unknown one is told about list them in this order (the list's order breaks
    /// ties, so a service that does not care comes after the built-in ones).
    fn position(&self) -> u32 {
        u32::MAX
    }

    /// Reads one file's value of `key`, spans kept.
    fn parse(&self, key: &str, yaml: Yaml<'_, '_>) -> Result<ParsedValue, YamlError>;

    /// The JSON Schema of `key`'s value, with its description; the definitions it refers to
    /// are added to `generator`.
    fn schema(&self, key: &str, generator: &mut SchemaGenerator) -> Schema;

    /// Counts the objects one file's value declares, for the workspace's limit.
    fn count(&self, _section: &FileSection<'_>, _objects: &mut ObjectCounter) {}

    /// Declares to `checker` what every service's checks need before any runs: the groups the
    /// workspace manages (`group:NAME`), whether each is a tombstone, and their pinned ids.
    fn declare(&self, _sections: &[FileSection<'_>], _checker: &mut Checker<'_>) {}

    /// Merges every file's values of its keys (in file order), checks them and lowers them.
    fn check(
        &self,
        sections: &[FileSection<'_>],
        checker: &mut Checker<'_>,
    ) -> Box<dyn PolicySection>;

    /// The kind of the objects of the managed groups it declares: what a grant naming one
    /// waits for.
    fn managed_group_kind(&self) -> Option<Kind> {
        None
    }

    /// How diagnostics name the container behind one of its leaf keys (`groups.lab` → "group
    /// `lab`"); the key itself when `None`.
    fn describe(&self, _key: &str) -> Option<String> {
        None
    }

    /// The diagnostic codes of its checks that hold only once every file has parsed: what
    /// they look for may be declared in a file that did not.
    fn whole_workspace_codes(&self) -> &'static [&'static str] {
        &[]
    }

    /// Its section of a real target in `accord.yaml`, if a target may point it elsewhere than
    /// its production URL.
    fn target(&self) -> Option<TargetSection> {
        None
    }

    /// The special principals it accepts, each with the help told where one is written in a
    /// place that does not accept it.
    fn special_principals(&self) -> &'static [SpecialPrincipal] {
        &[]
    }
}

/// A service's merged, checked part of the policy: what the later stages ask of it.
pub trait PolicySection: Any + Debug + Send + Sync {
    /// Every Globus principal it names, where it is written: resolution looks each one up.
    fn principals(&self, _each: &mut dyn FnMut(&Located<PrincipalRef>)) {}

    /// Compiles it into the desired state.
    fn compile(&self, _compiler: &mut Compiler<'_>) {}

    /// Its counts in `accord validate`'s summary.
    fn summary(&self) -> Option<Summary> {
        None
    }

    /// Where it declares the container keyed `key` of `kind`, if it does.
    fn container(&self, _kind: Kind, _key: &str) -> Option<Declared> {
        None
    }

    /// What the service would refuse that the live read shows, at the policy lines asking
    /// for it (run before the diff: nothing is written then).
    fn check_live(&self, _policy: &Policy, _desired: &Desired, _live: &LiveRead) -> Vec<Problem> {
        Vec::new()
    }
}
