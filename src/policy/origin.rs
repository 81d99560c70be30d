//! Where the policy says something: origins (file, line, column, span), values located at
//! them, and the source files they point into.

use std::path::Path;
use std::sync::Arc;

use crate::state::Provenance;

/// Where an entity is written: file (relative to the workspace root), 1-based line and column,
/// and the byte span inside the file for miette snippets.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Origin {
    /// Index into `Workspace::files`.
    pub file: usize,
    /// The file's path relative to the workspace root, shared with every origin in the file.
    pub path: Arc<Path>,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    /// Byte offset of the entity in the file.
    pub offset: usize,
    /// Length in bytes of the highlighted text (at least 1).
    pub len: usize,
}

impl Origin {
    /// The provenance recorded on desired objects.
    pub fn provenance(&self) -> Provenance {
        Provenance {
            file: self.path.clone(),
            line: self.line,
            column: self.column,
        }
    }
}

/// A value together with where it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located<T> {
    /// The value.
    pub value: T,
    /// Where it is written.
    pub origin: Origin,
}

/// One source file's text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path relative to the workspace root.
    pub path: Arc<Path>,
    /// Its full text.
    pub text: String,
}

/// Where a section declares a container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declared {
    /// Where its key is first written.
    pub at: Origin,
    /// Where its first entry is written, if it has one.
    pub first: Option<Origin>,
}
