//! Which workspaces a provider serves: the folders holding `accord.yaml` under `--workspaces`,
//! each itself or through a symlink that resolves inside that folder. A symlink out of it is
//! never served: a request naming one is refused, and an action whose folder was swapped for
//! one after it was accepted ends FAILED `WorkspaceNotServed`.

use std::path::{Path, PathBuf};

use crate::policy::load::WORKSPACE_FILE;
use crate::policy::source::{Containment, resolve_inside};

/// The folder of workspace `name` under `workspaces`, when it is served.
pub fn root(workspaces: &Path, name: &str) -> Result<PathBuf, Containment> {
    let found = resolve_inside(workspaces, Path::new(name))?;
    if found == workspaces.canonicalize()? {
        return Err(Containment::NotFound);
    }
    match found.join(WORKSPACE_FILE).is_file() {
        true => Ok(workspaces.join(name)),
        false => Err(Containment::NotFound),
    }
}

/// The workspaces served under `workspaces`, sorted.
pub fn names(workspaces: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(workspaces)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .filter(|name| root(workspaces, name).is_ok())
        .collect();
    names.sort();
    names
}

/// Why workspace `name` is not served, for the caller.
pub fn why_not(name: &str, why: &Containment) -> String {
    match why {
        // The resolved path is the server's business: it is not told.
        Containment::Outside(_) => format!(
            "workspace `{name}` is a symlink to a folder outside the workspaces folder: it is not served"
        ),
        _ => format!("no workspace `{name}` is served here"),
    }
}
