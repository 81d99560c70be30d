//! `accord import`: writes a workspace from the live state of what the command line names
//! (`--group`, `--endpoint`…: each a service's importer, `service::import`).
//!
//! Three stages, like the rest of accord: [`read`] asks each service's importer (which reads
//! through the providers, the same `Provider::read` a plan uses, so there is one code path)
//! and returns an [`Imported`] value; [`render`] turns it into the workspace's files (pure and
//! deterministic: everything sorted, identities given readable aliases); [`write`] checks the
//! files with the policy loader in a staging folder and only then moves them into `--out`, so
//! a failed import leaves nothing behind.
//!
//! Planning the written workspace against the same target right away shows no change: groups
//! are pinned by `id:`, every live field the diff compares is written, and what accord treats
//! as system-managed (the running identity's own admin membership, role-derived rules) is left
//! out, as the diff leaves it out.

use crate::policy::PolicyServices;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};
use uuid::Uuid;

use crate::engine::Session;
use crate::escape::escape_line;
use crate::plan::TargetInfo;
use crate::service::ProviderError;
use crate::service::Services;
use crate::service::import::{ImportContext, ImportFailure, ImportedPart, RenderContext};

mod aliases;

use crate::service::import::yaml::{comment, key, scalar};
pub use aliases::aliases;

/// A group named on the command line: by id, or by name among the caller's groups.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum GroupRef {
    /// `--group <uuid>`.
    Id(Uuid),
    /// `--group NAME`.
    Name(String),
}

impl GroupRef {
    /// Parses a `--group` value: a UUID is an id, anything else a name.
    pub fn parse(s: &str) -> Result<GroupRef, String> {
        let s = s.trim();
        if s.is_empty() {
            return Err("a group name or id cannot be empty".into());
        }
        Ok(match Uuid::parse_str(s) {
            Ok(id) => GroupRef::Id(id),
            Err(_) => GroupRef::Name(s.to_string()),
        })
    }
}

impl std::fmt::Display for GroupRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GroupRef::Id(id) => write!(f, "{id}"),
            GroupRef::Name(n) => f.write_str(n),
        }
    }
}

/// Parses an `--endpoint` value: collections and endpoints are named by UUID only.
pub fn parse_endpoint(s: &str) -> Result<Uuid, String> {
    Uuid::parse_str(s.trim()).map_err(|_| {
        format!(
            "`{s}` is not a collection or endpoint UUID (e.g. e56c36e4-1063-11e6-a747-22000bf2d559)"
        )
    })
}

/// What to import: each selector's values (`--group a --group b`), in command-line order.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// Values by selector.
    pub values: BTreeMap<String, Vec<String>>,
}

/// Why an import stopped; nothing is written after any of these.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// `--out` exists and holds something.
    #[error(
        "{0} is not empty: import writes a new workspace and never overwrites one; pass an empty or new folder"
    )]
    OutNotEmpty(PathBuf),
    /// Reading or writing the output folder.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// Groups or endpoints that could not be found, one a line.
    #[error("not found:\n  {}", .0.iter().map(|m| escape_line(m)).collect::<Vec<_>>().join("\n  "))]
    NotFound(Vec<String>),
    /// Two imported groups have the same live name; policy names must be unique.
    #[error(
        "groups {ids} are all named `{}`: a workspace names each group once; import them into separate workspaces",
        escape_line(name)
    )]
    NameClash {
        /// The shared name.
        name: String,
        /// Their ids.
        ids: String,
    },
    /// A service failed or refused.
    #[error(transparent)]
    Provider(#[from] ProviderError),
    /// The written workspace does not pass the loader (a live value the policy format cannot
    /// express); carries the rendered diagnostics.
    #[error("the imported workspace does not validate, so nothing was written:\n{0}")]
    Invalid(String),
}

/// The live state an import read: the value [`render`] writes.
pub struct Imported {
    /// The target read from.
    pub target: TargetInfo,
    /// When.
    pub now: DateTime<Utc>,
    /// Each importer's part, in the services' order.
    pub parts: Vec<Box<dyn ImportedPart>>,
    /// Usernames of the identities named, where Auth knows them.
    pub usernames: BTreeMap<Uuid, String>,
}

impl Imported {
    /// What was imported, for people: `2 group(s) and 1 endpoint(s)`.
    pub fn counts(&self) -> String {
        let counts: Vec<String> = self.parts.iter().map(|p| p.count()).collect();
        match counts.split_last() {
            Some((last, [])) => last.clone(),
            Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
            None => "nothing".into(),
        }
    }
}

/// Reads what the request names, every importer in the services' order (a rule naming an
/// imported group is written `group:NAME`, so groups come first). Everything that cannot be
/// found is reported together.
pub async fn read(
    services: &Services,
    session: &Session,
    request: &Request,
    now: DateTime<Utc>,
) -> Result<Imported, ImportError> {
    let mut cx = ImportContext {
        registry: &session.registry,
        caller: session.auth.whoami().await?.id,
        group_names: BTreeMap::new(),
    };
    let mut parts = Vec::new();
    let mut missing = Vec::new();
    for importer in services.iter().filter_map(|s| s.importer()) {
        let values = request
            .values
            .get(importer.selector())
            .map(Vec::as_slice)
            .unwrap_or_default();
        let part = importer.read(values, &cx).await.map_err(|e| match e {
            ImportFailure::NameClash { name, ids } => ImportError::NameClash { name, ids },
            ImportFailure::Provider(p) => ImportError::Provider(p),
        })?;
        missing.extend(part.missing());
        cx.group_names.extend(part.group_names());
        parts.push(part);
    }
    if !missing.is_empty() {
        // Something named twice is reported once.
        let mut seen = BTreeSet::new();
        missing.retain(|m| seen.insert(m.clone()));
        return Err(ImportError::NotFound(missing));
    }
    let identities: BTreeSet<Uuid> = parts.iter().flat_map(|p| p.identities()).collect();
    let known: BTreeMap<Uuid, String> = parts.iter().flat_map(|p| p.usernames()).collect();
    let mut usernames: BTreeMap<Uuid, String> = identities
        .iter()
        .filter_map(|id| Some((*id, known.get(id)?.clone())))
        .collect();
    let unnamed: Vec<Uuid> = identities
        .iter()
        .filter(|id| !usernames.contains_key(id))
        .copied()
        .collect();
    if !unnamed.is_empty() {
        for i in session.auth.by_ids(&unnamed).await? {
            usernames.insert(i.id, i.username);
        }
    }
    Ok(Imported {
        target: session.target.clone(),
        now,
        parts,
        usernames,
    })
}

/// The schema comment editors read; the schemas are written beside the files.
const SCHEMAS_DIR: &str = "schemas";

/// Where the import read from, for the header comments.
fn source(target: &TargetInfo) -> String {
    let name = comment(&target.name);
    match target.kind.as_str() {
        "globus" => format!("the Globus target `{name}`"),
        "embedded" => format!("the embedded target `{name}`"),
        _ => format!("the emulator at {name}"),
    }
}

/// The first lines of every file: the schema editors read, and when and what was imported.
fn header(out: &mut String, schema: &str, imported: &Imported, what: &[&str]) {
    let _ = writeln!(
        out,
        "# yaml-language-server: $schema={SCHEMAS_DIR}/{schema}"
    );
    let _ = writeln!(
        out,
        "# Imported by `accord import` from {} at {}.",
        source(&imported.target),
        imported.now.to_rfc3339_opts(SecondsFormat::Secs, true)
    );
    for line in what {
        let _ = writeln!(out, "# {}", comment(line));
    }
}

/// What a part renders its policy file with.
struct Render<'a> {
    imported: &'a Imported,
    aliases: &'a BTreeMap<Uuid, String>,
}

impl RenderContext for Render<'_> {
    fn header(&self, out: &mut String, lines: &[&str]) {
        header(out, "policy.schema.json", self.imported, lines);
    }

    fn who(&self, id: &Uuid) -> String {
        match self.aliases.get(id) {
            Some(a) => a.clone(),
            None => id.to_string(),
        }
    }
}

/// The files of the imported workspace, relative to `--out`, with their text.
pub fn render(imported: &Imported, services: &dyn PolicyServices) -> Vec<(PathBuf, String)> {
    let aliases = aliases(&imported.usernames);
    let mut files = Vec::new();

    let mut accord = String::new();
    let what: Vec<String> = imported.parts.iter().filter_map(|p| p.summary()).collect();
    let what: Vec<&str> = what.iter().map(String::as_str).collect();
    header(&mut accord, "accord.schema.json", imported, &what);
    accord.push_str("policies: [\"*.yaml\"]\n");
    accord.push_str(&targets(&imported.target));
    files.push((PathBuf::from("accord.yaml"), accord));

    if !aliases.is_empty() {
        let mut text = String::new();
        header(
            &mut text,
            "policy.schema.json",
            imported,
            &[
                "Short names for the identities the other files name; each comment is the identity's id.",
            ],
        );
        text.push_str("identities:\n");
        let by_alias: BTreeMap<&String, &Uuid> = aliases.iter().map(|(id, a)| (a, id)).collect();
        for (alias, id) in by_alias {
            let _ = writeln!(
                text,
                "{} {}  # {id}",
                key("  ", alias),
                scalar(&imported.usernames[id])
            );
        }
        files.push((PathBuf::from("identities.yaml"), text));
    }

    let cx = Render {
        imported,
        aliases: &aliases,
    };
    files.extend(imported.parts.iter().filter_map(|p| p.render(&cx)));

    for (name, schema) in [
        (
            "policy.schema.json",
            crate::policy::schema::policy_file_schema(services),
        ),
        (
            "accord.schema.json",
            crate::policy::schema::workspace_file_schema(services),
        ),
    ] {
        let text = serde_json::to_string_pretty(&schema).expect("schemas serialise") + "\n";
        files.push((Path::new(SCHEMAS_DIR).join(name), text));
    }
    files
}

/// The `targets:` part of accord.yaml: a real Globus target is copied; an emulator's is not,
/// and a comment says why.
fn targets(target: &TargetInfo) -> String {
    match target.kind.as_str() {
        "globus" => format!(
            "targets:\n{} {{ globus: {{}} }}\ndefault_target: {}\n",
            key("  ", &target.name),
            scalar(&target.name)
        ),
        "embedded" => format!(
            "# No target: this was imported from the embedded target `{}` of another workspace,\n\
             # whose state lives in that workspace's .accord/ folder; its seed describes the state\n\
             # before any apply, not what was imported. Add a target, e.g. `prod: {{ globus: {{}} }}`,\n\
             # or plan against a running `accord emulate` with `--target http://127.0.0.1:PORT`.\n",
            comment(&target.name)
        ),
        _ => "# No target: this was imported from a running `accord emulate` (--target URL), whose\n\
              # address is not part of a workspace. Plan it with `accord plan DIR --target URL`, or add\n\
              # a target, e.g. `prod: { globus: {} }`, for the real services.\n"
            .to_string(),
    }
}

/// Refuses an `--out` that exists and is not an empty folder.
pub fn check_out(out: &Path) -> Result<(), ImportError> {
    match std::fs::read_dir(out) {
        Ok(mut entries) => match entries.next() {
            None => Ok(()),
            Some(_) => Err(ImportError::OutNotEmpty(out.to_path_buf())),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) if out.exists() && !out.is_dir() => Err(ImportError::Io {
            path: out.to_path_buf(),
            source: std::io::Error::new(e.kind(), "exists and is not a folder"),
        }),
        Err(e) => Err(ImportError::Io {
            path: out.to_path_buf(),
            source: e,
        }),
    }
}

/// Writes the files into a staging folder beside `out`, checks them with the policy loader,
/// and only then moves them into `out` (created if missing, else it must be empty).
pub fn write(
    out: &Path,
    files: &[(PathBuf, String)],
    services: &dyn PolicyServices,
) -> Result<(), ImportError> {
    check_out(out)?;
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ImportError::Io { path, source }
    };
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "import".into());
    let staging = out.with_file_name(format!(".{name}.accord-import-{}", std::process::id()));
    let result = (|| {
        for (rel, text) in files {
            let path = staging.join(rel);
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(io(dir))?;
            }
            std::fs::write(&path, text).map_err(io(&path))?;
        }
        if let Err(d) = crate::policy::load_workspace(&staging, services) {
            let handler = miette::GraphicalReportHandler::new_themed(
                miette::GraphicalTheme::unicode_nocolor(),
            );
            return Err(ImportError::Invalid(d.render(&handler)));
        }
        std::fs::create_dir_all(out).map_err(io(out))?;
        check_out(out)?;
        for entry in std::fs::read_dir(&staging).map_err(io(&staging))? {
            let entry = entry.map_err(io(&staging))?;
            let to = out.join(entry.file_name());
            std::fs::rename(entry.path(), &to).map_err(io(&to))?;
        }
        Ok(())
    })();
    let _ = std::fs::remove_dir_all(&staging);
    result
}
