//! Loading a workspace: `accord.yaml`, the policy files its globs select, parsing each
//! file, then merging, checking and lowering them (see [`validate`](super::validate)).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde::de::DeserializeOwned;
use walkdir::WalkDir;

use super::ast::{PolicyFile, WorkspaceFile};
use super::diagnostics::{Diagnostics, PolicyDiagnostic, codes, display_path, origin_of};
use super::model::{SourceFile, Workspace};
use super::validate::Checker;

/// The workspace settings file, at the root of every workspace.
pub const WORKSPACE_FILE: &str = "accord.yaml";

/// Policy globs when `accord.yaml` gives none.
pub const DEFAULT_POLICY_GLOBS: [&str; 2] = ["**/*.yaml", "**/*.yml"];

/// Checks that can only be trusted when every file parsed, because what they look for
/// may be declared in any file.
const WHOLE_WORKSPACE_CODES: [&str; 7] = [
    codes::UNKNOWN_ALIAS,
    codes::UNDECLARED_GROUP,
    codes::BOSS_UNDECLARED_GROUP,
    codes::BOSS_COORD_FRAME,
    codes::BOSS_PERMISSION,
    codes::MISSING,
    codes::OUTSIDE_MANAGE_PATHS,
];

/// Loads, merges and checks the workspace in `dir`: every error of every file at once.
pub fn load_workspace(dir: &Path) -> Result<Workspace, Diagnostics> {
    let config_path = dir.join(WORKSPACE_FILE);
    let config_text = match std::fs::read_to_string(&config_path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(PolicyDiagnostic::at_file(
                codes::NO_WORKSPACE,
                &config_path,
                format!("no {WORKSPACE_FILE} in `{}`: this folder is not an accord workspace", display_path(dir)),
            )
            .with_help(format!(
                "create `{WORKSPACE_FILE}` in the workspace folder, e.g. `policies: [\"**/*.yaml\"]`, or pass the workspace folder"
            ))
            .into());
        }
        Err(e) => {
            return Err(PolicyDiagnostic::at_file(
                codes::IO,
                &config_path,
                format!("cannot read {WORKSPACE_FILE}: {e}"),
            )
            .into());
        }
    };
    let mut files = vec![SourceFile {
        path: PathBuf::from(WORKSPACE_FILE),
        text: config_text,
    }];
    let wf: WorkspaceFile = parse(&files, 0).map_err(|d| Diagnostics::from(*d))?;

    let mut diags = Diagnostics::default();
    let (globs, explicit) = match &wf.policies {
        Some(list) => (list.clone(), true),
        None => (Vec::new(), false),
    };
    let glob_strings: Vec<String> = if explicit {
        globs.iter().map(|g| g.value.clone()).collect()
    } else {
        DEFAULT_POLICY_GLOBS.iter().map(|s| s.to_string()).collect()
    };
    let mut set = GlobSetBuilder::new();
    let mut compiled = Vec::new();
    for (i, g) in glob_strings.iter().enumerate() {
        // `literal_separator`: `*` stays within one folder, `**` crosses folders (as in git).
        match GlobBuilder::new(g).literal_separator(true).build() {
            Ok(glob) => {
                set.add(glob);
                compiled.push(i);
            }
            Err(e) => {
                let o = origin_of(&files, 0, &globs[i].referenced);
                diags.push(
                    PolicyDiagnostic::new(codes::GLOB, &files, &o, format!("invalid glob `{g}`: {}", e.kind()))
                        .with_label("invalid glob")
                        .with_help("globs are relative to the workspace, e.g. `**/*.yaml` or `teams/*/policy.yaml`"),
                );
            }
        }
    }
    let set = set.build().unwrap_or_else(|_| GlobSet::empty());
    let seeds: BTreeSet<String> = wf
        .targets
        .iter()
        .filter_map(|(_, t)| t.seed.as_ref())
        .map(|s| normalize_rel(&s.value))
        .collect();

    let (paths, matched) = discover(dir, &set, &seeds, &mut diags);
    if explicit {
        for (k, &i) in compiled.iter().enumerate() {
            if !matched.contains(&k) {
                let o = origin_of(&files, 0, &globs[i].referenced);
                diags.push(
                    PolicyDiagnostic::new(codes::GLOB, &files, &o, format!("glob `{}` matches no policy file", glob_strings[i]))
                        .with_label("matches nothing")
                        .with_help("globs are relative to the workspace folder; dot-folders, accord.yaml and seed files are never policy"),
                );
            }
        }
    }

    let mut parsed: Vec<(usize, PolicyFile)> = Vec::new();
    let mut syntax_errors = false;
    for rel in paths {
        let text = match std::fs::read_to_string(dir.join(&rel)) {
            Ok(t) => t,
            Err(e) => {
                diags.push(PolicyDiagnostic::at_file(
                    codes::IO,
                    &rel,
                    format!("cannot read policy file: {e}"),
                ));
                syntax_errors = true;
                continue;
            }
        };
        files.push(SourceFile { path: rel, text });
        let idx = files.len() - 1;
        match parse::<PolicyFile>(&files, idx) {
            Ok(pf) => parsed.push((idx, pf)),
            Err(d) => {
                diags.push(*d);
                syntax_errors = true;
            }
        }
    }

    let mut checker = Checker::new(&files);
    let mut config = checker.config(0, &wf, glob_strings);
    let refs: Vec<(usize, &PolicyFile)> = parsed.iter().map(|(i, p)| (*i, p)).collect();
    let policy = checker.policy(&refs);
    if let Some(s) = &wf.safety {
        config.safety = checker.safety(0, &s.value);
    }
    let mut found = checker.diags;
    if syntax_errors {
        // An unparsed file may declare the aliases, groups, sets, frames or settings these
        // checks look for: reporting them now would be false alarms.
        found.retain(|d| !WHOLE_WORKSPACE_CODES.contains(&d.code.as_str()));
    }
    diags.0.extend(found);
    if diags.is_empty() {
        Ok(Workspace {
            root: dir.to_path_buf(),
            config,
            files,
            policy,
        })
    } else {
        diags.sort();
        Err(diags)
    }
}

/// Parses file `idx` of `files`; an empty file (or one holding only comments) is the
/// default value, as an empty YAML document is no document at all.
fn parse<T: DeserializeOwned + Default>(
    files: &[SourceFile],
    idx: usize,
) -> Result<T, Box<PolicyDiagnostic>> {
    let text = &files[idx].text;
    let blank = text
        .lines()
        .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#') || l.trim() == "---");
    if blank {
        return Ok(T::default());
    }
    serde_saphyr::from_str::<T>(text)
        .map_err(|e| Box::new(PolicyDiagnostic::from_yaml(files, idx, &e)))
}

/// Policy files under `dir` matching `set`, sorted, as paths relative to `dir`, and the
/// indexes of the globs that matched something.
fn discover(
    dir: &Path,
    set: &GlobSet,
    seeds: &BTreeSet<String>,
    diags: &mut Diagnostics,
) -> (Vec<PathBuf>, BTreeSet<usize>) {
    let mut out = Vec::new();
    let mut matched = BTreeSet::new();
    let walker = WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        // Dot-folders (`.accord/`, `.git/`, `.github/`) hold state and tooling, never policy.
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let path = e
                    .path()
                    .map(|p| p.strip_prefix(dir).unwrap_or(p).to_path_buf())
                    .unwrap_or_default();
                diags.push(PolicyDiagnostic::at_file(
                    codes::IO,
                    &path,
                    format!("cannot read the workspace folder: {e}"),
                ));
                continue;
            }
        };
        if !entry.file_type().is_file() {
            continue;
        }
        let Ok(rel) = entry.path().strip_prefix(dir) else {
            continue;
        };
        let rel_s = display_path(rel);
        if rel_s == WORKSPACE_FILE || seeds.contains(&rel_s) {
            continue;
        }
        let hits = set.matches(rel);
        if hits.is_empty() {
            continue;
        }
        matched.extend(hits);
        out.push(rel.to_path_buf());
    }
    out.sort();
    (out, matched)
}

/// A relative path as written in `accord.yaml`, in the form `discover` compares.
fn normalize_rel(p: &str) -> String {
    let mut s = p.replace('\\', "/");
    while let Some(rest) = s.strip_prefix("./") {
        s = rest.to_string();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_seed_paths() {
        assert_eq!(normalize_rel("./live.yaml"), "live.yaml");
        assert_eq!(normalize_rel("seeds/live.yaml"), "seeds/live.yaml");
    }
}
