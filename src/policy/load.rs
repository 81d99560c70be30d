//! Loading a workspace: `accord.yaml`, the policy files its globs select, parsing each
//! file, then merging, checking and lowering them (see [`validate`](super::validate)).

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Component, Path, PathBuf};
use std::rc::Rc;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde::de::DeserializeOwned;
use walkdir::WalkDir;

use super::ast::{PolicyFile, WorkspaceFile};
use super::diagnostics::{Diagnostics, PolicyDiagnostic, codes, display_path, origin_of};
use super::limits::{self, Limits, ObjectCounter, human_bytes, thousands};
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
    load(&Disk(dir), dir, &Limits::DEFAULT)
}

/// Loads, merges and checks a workspace held in memory, exactly as [`load_workspace`] does
/// one on disk: `files` are `(path, contents)` with paths relative to the workspace root
/// (`accord.yaml`, `groups.yaml`, `teams/a.yaml`), `/`-separated. Paths that are not plain
/// relative paths, or that cross a dot-folder, are never policy, as on disk. `root` is the
/// workspace's root in the result; nothing is read from it.
pub fn load_from_memory<P, B>(root: &Path, files: &[(P, B)]) -> Result<Workspace, Diagnostics>
where
    P: AsRef<Path>,
    B: AsRef<[u8]>,
{
    let memory = Memory(
        files
            .iter()
            .map(|(p, b)| (p.as_ref().to_path_buf(), b.as_ref()))
            .collect(),
    );
    load(&memory, root, &Limits::DEFAULT)
}

/// Why a file could not be read.
enum ReadError {
    NotFound,
    /// Larger than [`limits::MAX_FILE_BYTES`]: its size.
    TooLarge(u64),
    Io(std::io::Error),
}

/// Where a workspace's files come from: a folder, or files in memory. Everything else
/// (globs, limits, parsing, merging, checks) is shared.
trait Source {
    /// Calls `f` with every file's path relative to the root, skipping dot-folders and
    /// dot-files, until `f` returns false. Folders that cannot be read go to `diags`.
    fn each_file(&self, diags: &mut Diagnostics, f: &mut dyn FnMut(&Path) -> bool);
    /// The contents of file `rel`, refused without reading it when it is too large.
    fn read(&self, rel: &Path, max: u64) -> Result<Vec<u8>, ReadError>;
}

/// A workspace folder.
struct Disk<'a>(&'a Path);

impl Source for Disk<'_> {
    fn each_file(&self, diags: &mut Diagnostics, f: &mut dyn FnMut(&Path) -> bool) {
        let dir = self.0;
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
            if !f(rel) {
                return;
            }
        }
    }

    fn read(&self, rel: &Path, max: u64) -> Result<Vec<u8>, ReadError> {
        let io = |e: std::io::Error| match e.kind() {
            std::io::ErrorKind::NotFound => ReadError::NotFound,
            _ => ReadError::Io(e),
        };
        let mut file = std::fs::File::open(self.0.join(rel)).map_err(io)?;
        let size = file.metadata().map_err(io)?.len();
        if size > max {
            return Err(ReadError::TooLarge(size));
        }
        let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        // The file may grow between the two calls: read no more than the limit allows.
        (&mut file)
            .take(max.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(io)?;
        if bytes.len() as u64 > max {
            return Err(ReadError::TooLarge(bytes.len() as u64));
        }
        Ok(bytes)
    }
}

/// A workspace in memory: relative path → contents.
struct Memory<'a>(BTreeMap<PathBuf, &'a [u8]>);

impl Source for Memory<'_> {
    fn each_file(&self, _diags: &mut Diagnostics, f: &mut dyn FnMut(&Path) -> bool) {
        for rel in self.0.keys() {
            // As on disk: only plain relative paths, and never inside a dot-folder.
            let plain = rel.components().all(|c| match c {
                Component::Normal(name) => !name.to_string_lossy().starts_with('.'),
                _ => false,
            });
            if plain && rel.components().next().is_some() && !f(rel) {
                return;
            }
        }
    }

    fn read(&self, rel: &Path, max: u64) -> Result<Vec<u8>, ReadError> {
        let bytes = self.0.get(rel).ok_or(ReadError::NotFound)?;
        if bytes.len() as u64 > max {
            return Err(ReadError::TooLarge(bytes.len() as u64));
        }
        Ok(bytes.to_vec())
    }
}

/// The text of a file, or why it cannot be had: the message of an IO diagnostic or a limit.
fn read_text(
    source: &dyn Source,
    rel: &Path,
    what: &str,
    max: u64,
) -> Result<String, Box<PolicyDiagnostic>> {
    let bytes = match source.read(rel, max) {
        Ok(b) => b,
        Err(ReadError::TooLarge(size)) => {
            return Err(Box::new(PolicyDiagnostic::at_file(
                codes::LIMIT,
                rel,
                format!(
                    "{what} is {}, over the limit of {} per file",
                    limits::human_bytes(size),
                    limits::human_bytes(max)
                ),
            )
            .with_help("split it: a container (a group, an endpoint's rules) may be spread over several files")));
        }
        Err(ReadError::NotFound) => {
            let e = std::io::Error::from(std::io::ErrorKind::NotFound);
            return Err(Box::new(PolicyDiagnostic::at_file(
                codes::IO,
                rel,
                format!("cannot read {what}: {e}"),
            )));
        }
        Err(ReadError::Io(e)) => {
            return Err(Box::new(PolicyDiagnostic::at_file(
                codes::IO,
                rel,
                format!("cannot read {what}: {e}"),
            )));
        }
    };
    String::from_utf8(bytes).map_err(|_| {
        Box::new(PolicyDiagnostic::at_file(
            codes::IO,
            rel,
            format!("cannot read {what}: stream did not contain valid UTF-8"),
        ))
    })
}

/// The limits of one load, and what parsing has used of the workspace-wide ones.
struct Usage<'a> {
    limits: &'a Limits,
    /// YAML nodes left for the files not parsed yet.
    nodes_left: usize,
    /// Bytes of policy files read so far.
    bytes: u64,
    /// Objects declared so far.
    objects: limits::ObjectCounter,
}

/// Loads any workspace [`Source`]; `root` is the workspace folder, for messages and the result.
fn load(source: &dyn Source, root: &Path, limits: &Limits) -> Result<Workspace, Diagnostics> {
    let config_rel = PathBuf::from(WORKSPACE_FILE);
    let config_text = match source.read(&config_rel, limits.file_bytes) {
        Err(ReadError::NotFound) => {
            return Err(PolicyDiagnostic::at_file(
                codes::NO_WORKSPACE,
                &root.join(WORKSPACE_FILE),
                format!("no {WORKSPACE_FILE} in `{}`: this folder is not an accord workspace", display_path(root)),
            )
            .with_help(format!(
                "create `{WORKSPACE_FILE}` in the workspace folder, e.g. `policies: [\"**/*.yaml\"]`, or pass the workspace folder"
            ))
            .into());
        }
        _ => read_text(source, &config_rel, WORKSPACE_FILE, limits.file_bytes)
            .map_err(|d| Diagnostics::from(*d))?,
    };
    let mut usage = Usage {
        limits,
        nodes_left: limits.yaml_nodes,
        bytes: config_text.len() as u64,
        objects: ObjectCounter::new(limits.objects),
    };
    let mut files = vec![SourceFile {
        path: config_rel.into(),
        text: config_text,
    }];
    let wf: WorkspaceFile = match parse(&files, 0, &mut usage) {
        Ok(wf) => wf,
        Err(e) => return Err(Diagnostics::from(*e.diagnostic)),
    };

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

    let (paths, matched) = discover(source, &set, &seeds, limits.files, &mut diags);
    if paths.len() > limits.files {
        let message = format!(
            "the workspace holds more than {} policy files (the limit)",
            thousands(limits.files as u64)
        );
        let help = "split the workspace (each is planned and applied on its own), or narrow `policies:` globs";
        let d = match globs.first() {
            Some(g) => {
                let o = origin_of(&files, 0, &g.referenced);
                PolicyDiagnostic::new(codes::LIMIT, &files, &o, message)
                    .with_label("these globs select too many files")
            }
            None => PolicyDiagnostic::at_file(codes::LIMIT, &files[0].path, message),
        };
        return Err(d.with_help(help).into());
    }
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
        let text = match read_text(source, &rel, "policy file", limits.file_bytes) {
            Ok(t) => t,
            Err(d) => {
                diags.push(*d);
                syntax_errors = true;
                continue;
            }
        };
        usage.bytes += text.len() as u64;
        if usage.bytes > limits.workspace_bytes {
            diags.push(
                PolicyDiagnostic::at_file(
                    codes::LIMIT,
                    &rel,
                    format!(
                        "the workspace's files add up to more than {} (the limit); this file crosses it",
                        human_bytes(limits.workspace_bytes)
                    ),
                )
                .with_help("split the workspace: each workspace is planned and applied on its own"),
            );
            return Err(sorted(diags));
        }
        files.push(SourceFile {
            path: rel.into(),
            text,
        });
        let idx = files.len() - 1;
        match parse::<PolicyFile>(&files, idx, &mut usage) {
            Ok(pf) => {
                if let Some(at) = usage.objects.file(&pf) {
                    let o = origin_of(&files, idx, &at);
                    diags.push(
                        PolicyDiagnostic::new(
                            codes::LIMIT,
                            &files,
                            &o,
                            format!(
                                "the workspace declares more than {} objects (the limit)",
                                thousands(limits.objects as u64)
                            ),
                        )
                        .with_label("the first object over the limit")
                        .with_help(
                            "split the workspace: each workspace is planned and applied on its own",
                        ),
                    );
                    return Err(sorted(diags));
                }
                parsed.push((idx, pf));
            }
            Err(e) => {
                diags.push(*e.diagnostic);
                if e.workspace_limit {
                    return Err(sorted(diags));
                }
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
            root: root.to_path_buf(),
            config,
            files,
            policy,
        })
    } else {
        Err(sorted(diags))
    }
}

fn sorted(mut diags: Diagnostics) -> Diagnostics {
    diags.sort();
    diags
}

/// A file that did not parse.
struct ParseError {
    diagnostic: Box<PolicyDiagnostic>,
    /// The workspace-wide YAML node budget ran out: loading stops here.
    workspace_limit: bool,
}

/// Parses file `idx` of `files` within the limits, charging its YAML nodes to `usage`; an
/// empty file (or one holding only comments) is the default value, as an empty YAML document
/// is no document at all.
fn parse<T: DeserializeOwned + Default>(
    files: &[SourceFile],
    idx: usize,
    usage: &mut Usage<'_>,
) -> Result<T, ParseError> {
    let text = &files[idx].text;
    let blank = text
        .lines()
        .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#') || l.trim() == "---");
    if blank {
        return Ok(T::default());
    }
    let budget = usage.nodes_left;
    let used = Rc::new(Cell::new(0));
    let options = limits::yaml_options(usage.limits, budget, &used);
    let result = serde_saphyr::from_str_with_options::<T>(text, options);
    usage.nodes_left = budget.saturating_sub(used.get());
    result.map_err(|e| match limits::breach(&e, usage.limits, budget) {
        Some(b) => {
            let o = origin_of(files, idx, &b.location);
            ParseError {
                diagnostic: Box::new(
                    PolicyDiagnostic::new(b.code, files, &o, b.message)
                        .with_label(b.label)
                        .with_help(b.help),
                ),
                workspace_limit: b.workspace,
            }
        }
        None => ParseError {
            diagnostic: Box::new(PolicyDiagnostic::from_yaml(files, idx, &e)),
            workspace_limit: false,
        },
    })
}

/// Policy files of `source` matching `set`, sorted, as paths relative to the root, and the
/// indexes of the globs that matched something; at most one more than the limit.
fn discover(
    source: &dyn Source,
    set: &GlobSet,
    seeds: &BTreeSet<String>,
    max: usize,
    diags: &mut Diagnostics,
) -> (Vec<PathBuf>, BTreeSet<usize>) {
    let mut out = Vec::new();
    let mut matched = BTreeSet::new();
    source.each_file(diags, &mut |rel| {
        let rel_s = display_path(rel);
        if rel_s == WORKSPACE_FILE || seeds.contains(&rel_s) {
            return true;
        }
        let hits = set.matches(rel);
        if hits.is_empty() {
            return true;
        }
        matched.extend(hits);
        out.push(rel.to_path_buf());
        out.len() <= max
    });
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

    fn memory<'a>(files: &'a [(&str, String)]) -> Memory<'a> {
        Memory(
            files
                .iter()
                .map(|(p, t)| (PathBuf::from(p), t.as_bytes()))
                .collect(),
        )
    }

    fn load_with(files: &[(&str, String)], limits: &Limits) -> Result<Workspace, Diagnostics> {
        load(&memory(files), Path::new("ws"), limits)
    }

    /// The one diagnostic of a load that must fail with exactly one, of code `LIMIT`.
    fn one_limit_error(r: Result<Workspace, Diagnostics>) -> PolicyDiagnostic {
        let diags = r.map(|_| ()).expect_err("the load must fail");
        assert_eq!(diags.len(), 1, "{diags}");
        let d = diags.0.into_iter().next().unwrap();
        assert_eq!(d.code, codes::LIMIT, "{d}");
        d
    }

    fn text(s: &str) -> String {
        s.to_string()
    }

    #[test]
    fn memory_loads_exactly_like_disk() {
        let dir = Path::new("policies/lab");
        let from_disk = load_workspace(dir).unwrap_or_else(|d| panic!("{d}"));
        let mut files = Vec::new();
        for entry in WalkDir::new(dir).sort_by_file_name() {
            let entry = entry.unwrap();
            let rel = entry.path().strip_prefix(dir).unwrap();
            if entry.file_type().is_file() && !rel.starts_with(".accord") {
                files.push((rel.to_path_buf(), std::fs::read(entry.path()).unwrap()));
            }
        }
        let from_memory = load_from_memory(dir, &files).unwrap_or_else(|d| panic!("{d}"));
        assert_eq!(format!("{from_memory:?}"), format!("{from_disk:?}"));
    }

    #[test]
    fn memory_skips_dot_folders_and_paths_that_are_not_plain() {
        let bad = text("groups: [not, a, mapping");
        let files = [
            ("accord.yaml", text("")),
            ("groups.yaml", text("groups: { g: {} }")),
            (".accord/x.yaml", bad.clone()),
            ("teams/.hidden.yaml", bad.clone()),
            ("../outside.yaml", bad.clone()),
            ("/absolute.yaml", bad.clone()),
            ("./dot.yaml", bad),
        ];
        let ws = load_with(&files, &Limits::DEFAULT).unwrap_or_else(|d| panic!("{d}"));
        let paths: Vec<String> = ws.files.iter().map(|f| display_path(&f.path)).collect();
        assert_eq!(paths, ["accord.yaml", "groups.yaml"]);
    }

    #[test]
    fn a_missing_accord_yaml_in_memory_is_no_workspace() {
        let d = load_with(&[("groups.yaml", text(""))], &Limits::DEFAULT)
            .map(|_| ())
            .unwrap_err();
        assert_eq!(d.0[0].code, codes::NO_WORKSPACE);
    }

    #[test]
    fn invalid_utf8_is_an_io_error_naming_the_file() {
        let files = [
            ("accord.yaml", Vec::new()),
            ("p.yaml", vec![b'a', 0xff, b'\n']),
        ];
        let d = load_from_memory(Path::new("ws"), &files)
            .map(|_| ())
            .unwrap_err();
        assert_eq!(
            d.to_string(),
            "p.yaml:1:1: cannot read policy file: stream did not contain valid UTF-8"
        );
    }

    #[test]
    fn a_file_over_16_mib_is_refused_before_parsing() {
        // On disk: a sparse file, never read.
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(WORKSPACE_FILE), "").unwrap();
        let big = std::fs::File::create(dir.path().join("big.yaml")).unwrap();
        big.set_len(limits::MAX_FILE_BYTES + 1).unwrap();
        let d = one_limit_error(load_workspace(dir.path()));
        assert_eq!(
            d.to_string(),
            "big.yaml:1:1: policy file is 16 MiB, over the limit of 16 MiB per file"
        );
        // In memory, and for accord.yaml too.
        let huge = " ".repeat(limits::MAX_FILE_BYTES as usize + 512 * 1024);
        let d = one_limit_error(load_with(&[("accord.yaml", huge)], &Limits::DEFAULT));
        assert_eq!(
            d.to_string(),
            "accord.yaml:1:1: accord.yaml is 16.5 MiB, over the limit of 16 MiB per file"
        );
        assert!(d.help.unwrap().contains("split it"));
    }

    #[test]
    fn deep_nesting_is_refused_at_its_line() {
        let deep = format!("groups:\n  {}g{}: {{}}\n", "[".repeat(40), "]".repeat(40));
        let d = one_limit_error(load_with(
            &[("accord.yaml", text("")), ("p.yaml", deep)],
            &Limits::DEFAULT,
        ));
        assert_eq!(
            d.to_string(),
            "p.yaml:2:35: YAML nested deeper than 32 levels (the limit)"
        );
        // Block nesting, through the budget rather than the scanner.
        let mut block = String::from("groups:\n");
        for i in 0..40 {
            block.push_str(&format!("{}- \n", "  ".repeat(i + 1)));
        }
        let limits = Limits {
            depth: 4,
            ..Limits::DEFAULT
        };
        let r = load_with(&[("accord.yaml", text("")), ("p.yaml", block)], &limits);
        let diags = r.map(|_| ()).unwrap_err();
        assert!(
            diags.0.iter().all(|d| d.path == Path::new("p.yaml")),
            "{diags}"
        );
    }

    #[test]
    fn an_alias_bomb_is_refused() {
        // Each level is ten aliases to the level below; only the limit stops the expansion.
        let mut bomb = String::from(
            "boss:\n  collections:\n    c0:\n      experiments: &e\n        e0:\n          channels: &h\n",
        );
        for i in 0..10 {
            bomb.push_str(&format!(
                "            h{i}: {{ permissions: {{ g: [read, add] }} }}\n"
            ));
        }
        for i in 1..10 {
            bomb.push_str(&format!("        e{i}: {{ channels: *h }}\n"));
        }
        for i in 1..10 {
            bomb.push_str(&format!("    c{i}: {{ experiments: *e }}\n"));
        }
        let limits = Limits {
            alias_expansion: 1_000,
            ..Limits::DEFAULT
        };
        let d = one_limit_error(load_with(
            &[("accord.yaml", text("")), ("p.yaml", bomb.clone())],
            &limits,
        ));
        assert!(
            d.message
                .starts_with("aliases expand to more than 1,000 YAML events"),
            "{d}"
        );
        // Within the default limits the same file loads as far as validation.
        let r = load_with(
            &[("accord.yaml", text("")), ("p.yaml", bomb)],
            &Limits::DEFAULT,
        );
        let diags = r.map(|_| ()).unwrap_err();
        assert!(diags.0.iter().all(|d| d.code != codes::LIMIT), "{diags}");
    }

    #[test]
    fn merge_keys_are_refused() {
        let p = text(
            "groups:\n  a:\n    members: &m { alice: member }\n  b:\n    members: { <<: *m }\n",
        );
        let diags = load_with(
            &[("accord.yaml", text("")), ("p.yaml", p)],
            &Limits::DEFAULT,
        )
        .map(|_| ())
        .unwrap_err();
        assert_eq!(
            diags.to_string(),
            "p.yaml:5:16: YAML merge keys (`<<`) are not allowed in policy files"
        );
        assert_eq!(diags.0[0].code, codes::SYNTAX);
    }

    #[test]
    fn too_many_policy_files_are_refused_before_reading_them() {
        let mut files = vec![("accord.yaml", text("policies: [\"*.yaml\"]\n"))];
        let names: Vec<String> = (0..=limits::MAX_FILES)
            .map(|i| format!("p{i}.yaml"))
            .collect();
        // Unparseable: reading any of them would add an error.
        files.extend(names.iter().map(|n| (n.as_str(), text("[unclosed"))));
        let d = one_limit_error(load_with(&files, &Limits::DEFAULT));
        assert_eq!(
            d.to_string(),
            "accord.yaml:1:12: the workspace holds more than 10,000 policy files (the limit)"
        );
    }

    #[test]
    fn the_workspace_size_is_limited() {
        let limits = Limits {
            workspace_bytes: 40,
            ..Limits::DEFAULT
        };
        let files = [
            ("accord.yaml", text("")),
            ("a.yaml", text("groups: { a: {} }\n")),
            ("b.yaml", text("groups: { b: {} }\n")),
            ("c.yaml", text("groups: { c: {} }\n")),
        ];
        let d = one_limit_error(load_with(&files, &limits));
        assert_eq!(
            d.to_string(),
            "c.yaml:1:1: the workspace's files add up to more than 40 bytes (the limit); this file crosses it"
        );
    }

    #[test]
    fn yaml_nodes_are_counted_across_files() {
        // Each file: the root mapping, `groups`, its mapping, `a`, its mapping = 5 nodes.
        let limits = Limits {
            yaml_nodes: 12,
            ..Limits::DEFAULT
        };
        let files = [
            ("accord.yaml", text("")),
            ("a.yaml", text("groups: { a: {} }\n")),
            ("b.yaml", text("groups: { b: {} }\n")),
            ("c.yaml", text("groups: { c: {} }\n")),
        ];
        let d = one_limit_error(load_with(&files, &limits));
        assert!(d.to_string().starts_with("c.yaml:1:"), "{d}");
        assert!(
            d.message
                .contains("the workspace's files hold more than 12 YAML nodes"),
            "{d}"
        );
        // Alone, a file over the budget is told so.
        let limits = Limits {
            yaml_nodes: 3,
            ..Limits::DEFAULT
        };
        let d = one_limit_error(load_with(&files[..2], &limits));
        assert!(
            d.message
                .starts_with("this file holds more than 3 YAML nodes"),
            "{d}"
        );
    }

    #[test]
    fn objects_are_counted_across_files_and_the_first_one_over_is_named() {
        let limits = Limits {
            objects: 4,
            ..Limits::DEFAULT
        };
        let files = [
            ("accord.yaml", text("")),
            (
                "a.yaml",
                text("identities: { alice: alice@uchicago.edu }\ngroups: { a: {} }\n"),
            ),
            (
                "b.yaml",
                text("groups:\n  b:\n    members: { alice: member }\n  c: {}\n"),
            ),
        ];
        let d = one_limit_error(load_with(&files, &limits));
        assert_eq!(
            d.to_string(),
            "b.yaml:4:3: the workspace declares more than 4 objects (the limit)"
        );
        assert!(
            load_with(
                &files,
                &Limits {
                    objects: 5,
                    ..Limits::DEFAULT
                }
            )
            .is_ok()
        );
    }

    #[test]
    fn normalizes_seed_paths() {
        assert_eq!(normalize_rel("./live.yaml"), "live.yaml");
        assert_eq!(normalize_rel("seeds/live.yaml"), "seeds/live.yaml");
    }
}
