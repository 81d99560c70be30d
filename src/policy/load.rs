//! Loading a workspace: `accord.yaml`, the policy files its globs select, parsing each
//! file, then merging, checking and lowering them (see [`validate`](super::validate)).

use std::cell::Cell;
use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde::de::{DeserializeOwned, DeserializeSeed};

use super::ast::{PolicyFile, PolicyFileSeed, WorkspaceFile, with_target_keys};
use super::diagnostics::{Diagnostics, PolicyDiagnostic, codes, display_path, origin_of};
use super::limits::{self, Limits, ObjectCounter, human_bytes, thousands};
use super::model::Workspace;
use super::origin::SourceFile;
use super::section::{PolicyServices, Registry};
use super::source::{
    Containment, Disk, Found, Memory, ReadError, Source, check_seeds, read_text, refused,
};
use super::validate::Checker;

/// The workspace settings file, at the root of every workspace.
pub const WORKSPACE_FILE: &str = "accord.yaml";

/// Policy globs when `accord.yaml` gives none.
pub const DEFAULT_POLICY_GLOBS: [&str; 2] = ["**/*.yaml", "**/*.yml"];

/// The core's checks that can only be trusted when every file parsed, because what they
/// look for may be declared in any file (services add theirs:
/// [`ServicePolicy::whole_workspace_codes`](super::ServicePolicy::whole_workspace_codes)).
const WHOLE_WORKSPACE_CODES: [&str; 3] = [
    codes::UNKNOWN_ALIAS,
    codes::UNDECLARED_GROUP,
    codes::MISSING,
];

/// Loads, merges and checks the workspace in `dir`: every error of every file at once. The
/// policy files may hold the keys of `services` (each service reads its own).
pub fn load_workspace(dir: &Path, services: &dyn PolicyServices) -> Result<Workspace, Diagnostics> {
    load(&Disk::new(dir), dir, &Limits::DEFAULT, services)
}

/// Loads, merges and checks a workspace held in memory, exactly as [`load_workspace`] does
/// one on disk: `files` are `(path, contents)` with paths relative to the workspace root
/// (`accord.yaml`, `groups.yaml`, `teams/a.yaml`), `/`-separated. Paths that are not plain
/// relative paths, or that cross a dot-folder, are never policy, as on disk. `root` is the
/// workspace's root in the result; nothing is read from it.
pub fn load_from_memory<P, B>(
    root: &Path,
    files: &[(P, B)],
    services: &dyn PolicyServices,
) -> Result<Workspace, Diagnostics>
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
    load(&memory, root, &Limits::DEFAULT, services)
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
fn load(
    source: &dyn Source,
    root: &Path,
    limits: &Limits,
    services: &dyn PolicyServices,
) -> Result<Workspace, Diagnostics> {
    let registry = Registry::new(services);
    let config_rel = PathBuf::from(WORKSPACE_FILE);
    let config_text = match source.read(&config_rel, limits.file_bytes) {
        Err(ReadError::Unusable(Containment::NotFound)) => {
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
    let parsed = with_target_keys(registry.target_keys, || {
        parse(&files, 0, &mut usage, read_as::<WorkspaceFile>)
    });
    let wf: WorkspaceFile = match parsed {
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
    // accord.yaml and the seeds are never policy, whatever path (a symlink) reaches them.
    let mut not_policy = check_seeds(source, &files, &wf, &mut diags);
    not_policy.extend(source.locate(Path::new(WORKSPACE_FILE)).ok().flatten());

    let discovered = discover(
        source,
        &set,
        (&seeds, &not_policy),
        limits.files,
        &mut diags,
    );
    let (paths, matched) = (discovered.paths, discovered.matched);
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
    // A refused file is unread, like one that does not parse.
    let mut syntax_errors = discovered.refused;
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
        let read_policy = |text: &str, options: serde_saphyr::Options| {
            serde_saphyr::with_deserializer_from_str_with_options(text, options, |de| {
                PolicyFileSeed {
                    registry: &registry,
                }
                .deserialize(de)
            })
        };
        match parse::<PolicyFile>(&files, idx, &mut usage, read_policy) {
            Ok(pf) => {
                if let Some(at) = usage.objects.file(idx, &pf, &registry) {
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

    let mut checker = Checker::new(&files, &registry);
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
        let whole: Vec<&str> = WHOLE_WORKSPACE_CODES
            .into_iter()
            .chain(
                registry
                    .services
                    .iter()
                    .flat_map(|s| s.whole_workspace_codes().iter().copied()),
            )
            .collect();
        found.retain(|d| !whole.contains(&d.code.as_str()));
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

/// Reads a whole document as a `T`.
fn read_as<T: DeserializeOwned>(
    text: &str,
    options: serde_saphyr::Options,
) -> Result<T, serde_saphyr::Error> {
    serde_saphyr::from_str_with_options::<T>(text, options)
}

/// Parses file `idx` of `files` with `read` within the limits, charging its YAML nodes to
/// `usage`; an empty file (or one holding only comments) is the default value, as an empty
/// YAML document is no document at all.
fn parse<T: Default>(
    files: &[SourceFile],
    idx: usize,
    usage: &mut Usage<'_>,
    read: impl FnOnce(&str, serde_saphyr::Options) -> Result<T, serde_saphyr::Error>,
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
    let result = read(text, options);
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

/// What [`discover`] found.
struct Discovered {
    /// Policy files matching the globs, sorted, relative to the root; at most one more than
    /// the limit.
    paths: Vec<PathBuf>,
    /// The indexes of the globs that matched something.
    matched: BTreeSet<usize>,
    /// Whether the globs matched something refused (an error in `diags`).
    refused: bool,
}

/// The policy files of `source` matching `set`, but `accord.yaml` and the seeds (`excluded`:
/// their relative paths and, on disk, canonical paths). A file reached by several paths is
/// listed once, by its own path when that matches.
fn discover(
    source: &dyn Source,
    set: &GlobSet,
    excluded: (&BTreeSet<String>, &HashSet<PathBuf>),
    max: usize,
    diags: &mut Diagnostics,
) -> Discovered {
    let mut found: Vec<(PathBuf, Option<PathBuf>, bool)> = Vec::new();
    let mut matched = BTreeSet::new();
    let mut refusals = Vec::new();
    source.each_file(diags, &mut |rel, what| {
        let rel_s = display_path(rel);
        if rel_s == WORKSPACE_FILE || excluded.0.contains(&rel_s) {
            return true;
        }
        let hits = set.matches(rel);
        if hits.is_empty() {
            return true;
        }
        match what {
            Found::File { id, .. } if id.as_ref().is_some_and(|id| excluded.1.contains(id)) => {}
            Found::File { id, linked } => {
                matched.extend(hits);
                found.push((rel.to_path_buf(), id, linked));
            }
            Found::Refused(why) => {
                let what = match why {
                    Containment::NotAFile(_) | Containment::Io(_) => "this policy file",
                    Containment::Outside(_) | Containment::NotFound => "this symlink",
                };
                refusals.push(refused(rel, what, &why));
            }
        }
        found.len() <= max
    });
    let refused = !refusals.is_empty();
    diags.0.extend(refusals);
    // Per file, the path kept: its own when the globs matched it, else the first.
    let mut kept: std::collections::HashMap<PathBuf, (usize, bool)> = Default::default();
    for (i, (_, id, linked)) in found.iter().enumerate() {
        if let Some(id) = id {
            let best = kept.entry(id.clone()).or_insert((i, *linked));
            if best.1 && !linked {
                *best = (i, false);
            }
        }
    }
    let mut paths: Vec<PathBuf> = found
        .iter()
        .enumerate()
        .filter(|(i, (_, id, _))| id.as_ref().is_none_or(|id| kept[id].0 == *i))
        .map(|(_, (rel, _, _))| rel.clone())
        .collect();
    paths.sort();
    Discovered {
        paths,
        matched,
        refused,
    }
}

/// A relative path as written in `accord.yaml`, in the form `discover` compares.
fn normalize_rel(p: &str) -> String {
    let mut s = p.replace('\\', "/");
    while let Some(rest) = s.strip_prefix("./") {
        s = rest.to_string();
    }
    s
}

/// What the loader's tests and the services' share.
#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    /// Loads files held in memory within `limits`, with the built-in services (tests reach
    /// the limits cheaply this way).
    pub(crate) fn load_with(
        files: &[(&str, String)],
        limits: &Limits,
    ) -> Result<Workspace, Diagnostics> {
        let memory = Memory(
            files
                .iter()
                .map(|(p, t)| (PathBuf::from(p), t.as_bytes()))
                .collect(),
        );
        load(
            &memory,
            Path::new("ws"),
            limits,
            &crate::services::builtin(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_with(files: &[(&str, String)], limits: &Limits) -> Result<Workspace, Diagnostics> {
        testing::load_with(files, limits)
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
        let services = crate::services::builtin();
        let from_disk = load_workspace(dir, &services).unwrap_or_else(|d| panic!("{d}"));
        let mut files = Vec::new();
        for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
            let entry = entry.unwrap();
            let rel = entry.path().strip_prefix(dir).unwrap();
            if entry.file_type().is_file() && !rel.starts_with(".accord") {
                files.push((rel.to_path_buf(), std::fs::read(entry.path()).unwrap()));
            }
        }
        let from_memory =
            load_from_memory(dir, &files, &services).unwrap_or_else(|d| panic!("{d}"));
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
        let d = load_from_memory(Path::new("ws"), &files, &crate::services::builtin())
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
        let d = one_limit_error(load_workspace(dir.path(), &crate::services::builtin()));
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
