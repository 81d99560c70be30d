//! `accord import`: writes a workspace from the live state of named groups and endpoints.
//!
//! Three stages, like the rest of accord: [`read`] asks the providers (the same
//! `Provider::read` a plan uses, so there is one code path) for the groups, their members and
//! the endpoints' ACL rules, and returns an [`Imported`] value; [`render`] turns it into the
//! workspace's files (pure and deterministic: everything sorted, identities given readable
//! aliases); [`write`] checks the files with the policy loader in a staging folder and only
//! then moves them into `--out`, so a failed import leaves nothing behind.
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
use serde_json::Value;
use uuid::Uuid;

use crate::engine::Session;
use crate::escape::escape_line;
use crate::plan::TargetInfo;
use crate::service::{LiveRead, Lookup, ProviderError, Scope};
use crate::services::groups::provider::POLICY_FIELDS;
use crate::state::{Address, Container, ContainerMode, Object, Principal};

mod aliases;
mod yaml;

pub use aliases::aliases;
use yaml::{block_scalar, comment, key, scalar, value};

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

/// What to import.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// `--group`, in command-line order.
    pub groups: Vec<GroupRef>,
    /// `--endpoint`, in command-line order.
    pub endpoints: Vec<Uuid>,
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

/// One imported group.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedGroup {
    /// Its live name, which becomes its policy name.
    pub name: String,
    /// Its id, written as the `id:` pin.
    pub id: String,
    /// Its description (empty when none).
    pub description: String,
    /// Its policy fields, in the provider's order; null fields are left out.
    pub policies: Vec<(String, Value)>,
    /// Members that count as present (active, invited, pending): identity → role.
    pub members: BTreeMap<Uuid, String>,
}

/// One imported ACL rule.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ImportedRule {
    /// The path, ending in `/`.
    pub path: String,
    /// The canonical principal (`group:NAME` for an imported group).
    pub principal: Principal,
    /// `r` or `rw`.
    pub permissions: String,
    /// RFC 3339 UTC, when the rule expires.
    pub expires: Option<String>,
}

/// One imported endpoint or collection.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedEndpoint {
    /// Its UUID.
    pub id: Uuid,
    /// Its rules, sorted by path then principal.
    pub rules: Vec<ImportedRule>,
}

/// The live state an import read: the value [`render`] writes.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    /// The target read from.
    pub target: TargetInfo,
    /// When.
    pub now: DateTime<Utc>,
    /// Groups, sorted by name.
    pub groups: Vec<ImportedGroup>,
    /// Endpoints, sorted by id.
    pub endpoints: Vec<ImportedEndpoint>,
    /// Usernames of the identities named, where Auth knows them.
    pub usernames: BTreeMap<Uuid, String>,
}

/// Membership statuses that count as present (the diff's rule): others are not written.
const PRESENT: &[&str] = &["active", "invited", "pending"];

/// Reads the named groups (members and policies) and endpoints (ACL rules) from the live state.
/// Every group or endpoint that cannot be found is reported together.
pub async fn read(
    session: &Session,
    request: &Request,
    now: DateTime<Utc>,
) -> Result<Imported, ImportError> {
    let caller = session.auth.whoami().await?.id;
    let mut missing = Vec::new();
    let mut live = LiveRead::default();
    // Groups are read under a temporary key (the name or id as given) and renamed to their
    // live names below; the provider keys what it reads by the lookup's address.
    let names: Vec<&GroupRef> = request
        .groups
        .iter()
        .filter(|g| matches!(g, GroupRef::Name(_)))
        .collect();
    // Set when the read by name failed as a whole (a name matching several groups): the
    // other names are then not reported missing, since they were never looked at.
    let mut names_failed = false;
    if !names.is_empty() {
        // One read for every name: the provider lists the caller's groups once.
        match session.registry.read(&group_scope(&names)).await {
            Ok(r) => merge(&mut live, r),
            Err(ProviderError::NotFound(m)) => {
                missing.push(m);
                names_failed = true;
            }
            Err(e) => return Err(e.into()),
        }
    }
    for g in &request.groups {
        if let GroupRef::Id(_) = g {
            // One read per pin, so that every missing id is reported, not just the first; a
            // pin that does not exist is then simply absent from `live`, like a missing name.
            match session.registry.read(&group_scope(&[g])).await {
                Ok(r) => merge(&mut live, r),
                Err(ProviderError::NotFound(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }

    let mut groups: BTreeMap<String, ImportedGroup> = BTreeMap::new();
    let mut seen_ids = BTreeSet::new();
    for g in &request.groups {
        let key = g.to_string();
        let Some(group) = live
            .state
            .get(&Address::new(crate::services::groups::GROUP, [key.clone()]))
        else {
            match g {
                GroupRef::Id(id) => missing.push(format!("group {id} does not exist")),
                GroupRef::Name(n) if !names_failed => {
                    missing.push(format!("group `{n}` is not among your groups"));
                }
                GroupRef::Name(_) => {}
            }
            continue;
        };
        let id = group.server_id.clone().unwrap_or_default();
        // The same group asked for twice (by name and by id) is imported once.
        if !seen_ids.insert(id.clone()) {
            continue;
        }
        let imported = imported_group(group, &live, &key, caller);
        if let Some(other) = groups.get(&imported.name) {
            return Err(ImportError::NameClash {
                name: imported.name.clone(),
                ids: format!("{} and {}", other.id, imported.id),
            });
        }
        groups.insert(imported.name.clone(), imported);
    }

    // A rule naming an imported group is keyed `group:NAME`, so it is written that way.
    let group_names: BTreeMap<String, String> = groups
        .values()
        .map(|g| (g.id.clone(), g.name.clone()))
        .collect();
    let mut endpoints = BTreeMap::new();
    for &id in &request.endpoints {
        if endpoints.contains_key(&id) {
            continue;
        }
        let scope = Scope {
            containers: vec![Container {
                address: Address::partial(crate::services::transfer::ACL, [id.to_string()]),
                mode: ContainerMode::Authoritative,
                manage_paths: Vec::new(),
                provenance: None,
            }],
            lookups: Vec::new(),
            group_names: group_names.clone(),
            ..Scope::default()
        };
        match session.registry.read(&scope).await {
            Ok(r) => {
                endpoints.insert(
                    id,
                    ImportedEndpoint {
                        id,
                        rules: imported_rules(&r),
                    },
                );
            }
            Err(ProviderError::NotFound(m)) => missing.push(m),
            Err(e) => return Err(e.into()),
        }
    }
    if !missing.is_empty() {
        // A group or endpoint named twice is reported once.
        let mut seen = BTreeSet::new();
        missing.retain(|m| seen.insert(m.clone()));
        return Err(ImportError::NotFound(missing));
    }

    let identities: BTreeSet<Uuid> = groups
        .values()
        .flat_map(|g| g.members.keys().copied())
        .chain(endpoints.values().flat_map(|e| {
            e.rules.iter().filter_map(|r| match r.principal {
                Principal::Identity(id) => Some(id),
                _ => None,
            })
        }))
        .collect();
    let mut usernames: BTreeMap<Uuid, String> = identities
        .iter()
        .filter_map(|id| Some((*id, live.names.get(&Principal::Identity(*id))?.clone())))
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
        groups: groups.into_values().collect(),
        endpoints: endpoints.into_values().collect(),
        usernames,
    })
}

/// The scope reading these groups with their members: a lookup (pinned for ids) and a
/// container each.
fn group_scope(groups: &[&GroupRef]) -> Scope {
    let mut scope = Scope::default();
    for g in groups {
        let address = Address::new(crate::services::groups::GROUP, [g.to_string()]);
        scope.lookups.push(Lookup {
            address: address.clone(),
            pin: match g {
                GroupRef::Id(id) => Some(id.to_string()),
                GroupRef::Name(_) => None,
            },
            previously: Vec::new(),
            hints: Default::default(),
        });
        scope.containers.push(Container {
            address,
            mode: ContainerMode::Authoritative,
            manage_paths: Vec::new(),
            provenance: None,
        });
    }
    scope
}

fn merge(into: &mut LiveRead, from: LiveRead) {
    into.state.objects.extend(from.state.objects);
    into.names.extend(from.names);
    into.system_managed.extend(from.system_managed);
}

/// A group read under `key`, with its present members; the caller's own admin membership is
/// left out, since the diff treats it as system-managed (the one the service made on create).
fn imported_group(group: &Object, live: &LiveRead, key: &str, caller: Uuid) -> ImportedGroup {
    let members = live
        .state
        .objects
        .values()
        .filter(|o| o.address.kind == crate::services::groups::MEMBER && o.address.keys[0] == key)
        .filter(|o| o.str_attr("status").is_none_or(|s| PRESENT.contains(&s)))
        .filter_map(|o| {
            let Ok(Principal::Identity(id)) = o.address.keys[1].parse::<Principal>() else {
                return None;
            };
            let role = o.str_attr("role").unwrap_or("member");
            if id == caller && role == "admin" {
                return None;
            }
            Some((id, role.to_string()))
        })
        .collect();
    ImportedGroup {
        name: group.str_attr("name").unwrap_or(key).to_string(),
        id: group.server_id.clone().unwrap_or_default(),
        description: group.str_attr("description").unwrap_or("").to_string(),
        policies: POLICY_FIELDS
            .iter()
            .filter_map(|f| match group.attrs.get(*f) {
                None | Some(Value::Null) => None,
                Some(v) => Some(((*f).to_string(), v.clone())),
            })
            .collect(),
        members,
    }
}

/// The rules of one endpoint's read; system-managed ones are not in `state`, so never written.
fn imported_rules(live: &LiveRead) -> Vec<ImportedRule> {
    let mut rules: Vec<ImportedRule> = live
        .state
        .objects
        .values()
        .filter(|o| o.address.kind == crate::services::transfer::ACL)
        .filter_map(|o| {
            Some(ImportedRule {
                path: o.address.keys[1].clone(),
                principal: o.address.keys[2].parse().ok()?,
                permissions: o.str_attr("permissions").unwrap_or("r").to_string(),
                expires: o.str_attr("expires").map(str::to_string),
            })
        })
        .collect();
    rules.sort();
    rules
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

fn list<T: std::fmt::Display>(items: impl Iterator<Item = T>) -> String {
    items.map(|i| i.to_string()).collect::<Vec<_>>().join(", ")
}

/// The files of the imported workspace, relative to `--out`, with their text.
pub fn render(imported: &Imported, services: &dyn PolicyServices) -> Vec<(PathBuf, String)> {
    let aliases = aliases(&imported.usernames);
    let who = |id: &Uuid| match aliases.get(id) {
        Some(a) => a.clone(),
        None => id.to_string(),
    };
    let group_list = list(imported.groups.iter().map(|g| &g.name));
    let endpoint_list = list(imported.endpoints.iter().map(|e| e.id));
    let mut files = Vec::new();

    let mut accord = String::new();
    let mut what = Vec::new();
    if !group_list.is_empty() {
        what.push(format!("Groups: {group_list}."));
    }
    if !endpoint_list.is_empty() {
        what.push(format!("Endpoints: {endpoint_list}."));
    }
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

    if !imported.groups.is_empty() {
        let mut text = String::new();
        header(
            &mut text,
            "policy.schema.json",
            imported,
            &[
                &format!(
                    "Groups {group_list}, pinned by id, with their active, invited and pending members."
                ),
                "accord's own admin membership is the service's (made on create), so it is not written.",
            ],
        );
        text.push_str("groups:\n");
        for g in &imported.groups {
            let _ = writeln!(text, "{}", key("  ", &g.name));
            let _ = writeln!(text, "    id: {}", g.id);
            if !g.description.is_empty() {
                let _ = writeln!(text, "    description: {}", block_scalar(&g.description));
            }
            if !g.policies.is_empty() {
                text.push_str("    policies:\n");
                for (k, v) in &g.policies {
                    let _ = writeln!(text, "      {k}: {}", value(v));
                }
            }
            let members: BTreeMap<String, &String> =
                g.members.iter().map(|(id, role)| (who(id), role)).collect();
            if members.is_empty() {
                text.push_str("    members: {}\n");
            } else {
                text.push_str("    members:\n");
                for (m, role) in members {
                    let _ = writeln!(text, "{} {role}", key("      ", &m));
                }
            }
        }
        files.push((PathBuf::from("groups.yaml"), text));
    }

    if !imported.endpoints.is_empty() {
        let mut text = String::new();
        header(
            &mut text,
            "policy.schema.json",
            imported,
            &[
                &format!("The ACL rules of {endpoint_list}."),
                "Rules derived from collection roles are the service's, so they are not written.",
            ],
        );
        text.push_str("endpoints:\n");
        for e in &imported.endpoints {
            let _ = writeln!(text, "  {}:", e.id);
            if e.rules.is_empty() {
                text.push_str("    acl: []\n");
                continue;
            }
            text.push_str("    acl:\n");
            // Flow mappings, one rule a line, as people write them.
            let mut rules: Vec<(String, &ImportedRule)> = e
                .rules
                .iter()
                .map(|r| {
                    let principal = match &r.principal {
                        Principal::Identity(id) => who(id),
                        other => other.to_string(),
                    };
                    (principal, r)
                })
                .collect();
            rules.sort_by(|a, b| (&a.1.path, &a.0).cmp(&(&b.1.path, &b.0)));
            for (principal, r) in rules {
                let mut line = format!(
                    "      - {{ principal: {}, path: {}, permissions: {}",
                    scalar(&principal),
                    scalar(&r.path),
                    scalar(&r.permissions)
                );
                if let Some(exp) = &r.expires {
                    let _ = write!(line, ", expires: {}", scalar(exp));
                }
                line.push_str(" }\n");
                text.push_str(&line);
            }
        }
        files.push((PathBuf::from("endpoints.yaml"), text));
    }

    for (name, schema) in [
        (
            "policy.schema.json",
            crate::policy::schema::policy_file_schema(services),
        ),
        (
            "accord.schema.json",
            crate::policy::schema::workspace_file_schema(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_refs_and_endpoints_parse() {
        assert_eq!(
            GroupRef::parse("lab-admins").unwrap(),
            GroupRef::Name("lab-admins".into())
        );
        assert_eq!(
            GroupRef::parse("6a1f9c0e-8d2b-4e3a-9f4c-5b6d7e8f9a0b").unwrap(),
            GroupRef::Id("6a1f9c0e-8d2b-4e3a-9f4c-5b6d7e8f9a0b".parse().unwrap())
        );
        assert!(GroupRef::parse(" ").is_err());
        assert!(parse_endpoint("e56c36e4-1063-11e6-a747-22000bf2d559").is_ok());
        let e = parse_endpoint("lab-share").unwrap_err();
        assert!(
            e.contains("`lab-share` is not a collection or endpoint UUID"),
            "{e}"
        );
    }
}
