//! `accord import --group NAME|ID`: groups pinned by id, with their present members and
//! policies, written as `groups.yaml`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::PathBuf;

use async_trait::async_trait;
use serde_json::Value;
use uuid::Uuid;

use super::provider::POLICY_FIELDS;
use super::{GROUP, MEMBER};
use crate::service::import::yaml::{block_scalar, key, value};
use crate::service::import::{ImportContext, ImportFailure, ImportedPart, Importer, RenderContext};
use crate::service::{LiveRead, Lookup, ProviderError, Scope};
use crate::state::{Address, Container, ContainerMode, Object, Principal};

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

/// Membership statuses that count as present (the diff's rule): others are not written.
const PRESENT: &[&str] = &["active", "invited", "pending"];

/// Groups' importer.
pub struct GroupImporter;

/// The groups an import read, sorted by name, and what it could not find.
#[derive(Debug, Clone, Default)]
pub struct ImportedGroups {
    /// The groups.
    pub groups: Vec<ImportedGroup>,
    missing: Vec<String>,
    usernames: BTreeMap<Uuid, String>,
}

#[async_trait]
impl Importer for GroupImporter {
    fn selector(&self) -> &'static str {
        "group"
    }

    fn parse(&self, value: &str) -> Result<String, String> {
        GroupRef::parse(value).map(|g| g.to_string())
    }

    async fn read(
        &self,
        values: &[String],
        cx: &ImportContext<'_>,
    ) -> Result<Box<dyn ImportedPart>, ImportFailure> {
        let refs: Vec<GroupRef> = values
            .iter()
            .filter_map(|v| GroupRef::parse(v).ok())
            .collect();
        Ok(Box::new(read(&refs, cx).await?))
    }
}

/// Reads the groups, each with its members and policies.
async fn read(
    request: &[GroupRef],
    cx: &ImportContext<'_>,
) -> Result<ImportedGroups, ImportFailure> {
    let mut missing = Vec::new();
    let mut live = LiveRead::default();
    // Groups are read under a temporary key (the name or id as given) and renamed to their
    // live names below; the provider keys what it reads by the lookup's address.
    let names: Vec<&GroupRef> = request
        .iter()
        .filter(|g| matches!(g, GroupRef::Name(_)))
        .collect();
    // Set when the read by name failed as a whole (a name matching several groups): the
    // other names are then not reported missing, since they were never looked at.
    let mut names_failed = false;
    if !names.is_empty() {
        // One read for every name: the provider lists the caller's groups once.
        match cx.registry.read(&group_scope(&names)).await {
            Ok(r) => live.merge(r),
            Err(ProviderError::NotFound(m)) => {
                missing.push(m);
                names_failed = true;
            }
            Err(e) => return Err(e.into()),
        }
    }
    for g in request {
        if let GroupRef::Id(_) = g {
            // One read per pin, so that every missing id is reported, not just the first; a
            // pin that does not exist is then simply absent from `live`, like a missing name.
            match cx.registry.read(&group_scope(&[g])).await {
                Ok(r) => live.merge(r),
                Err(ProviderError::NotFound(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }

    let mut groups: BTreeMap<String, ImportedGroup> = BTreeMap::new();
    let mut seen_ids = BTreeSet::new();
    for g in request {
        let key = g.to_string();
        let Some(group) = live.state.get(&Address::new(GROUP, [key.clone()])) else {
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
        let imported = imported_group(group, &live, &key, cx.caller);
        if let Some(other) = groups.get(&imported.name) {
            return Err(ImportFailure::NameClash {
                name: imported.name.clone(),
                ids: format!("{} and {}", other.id, imported.id),
            });
        }
        groups.insert(imported.name.clone(), imported);
    }
    Ok(ImportedGroups {
        groups: groups.into_values().collect(),
        missing,
        usernames: live
            .names
            .iter()
            .filter_map(|(p, n)| match p {
                Principal::Identity(id) => Some((*id, n.clone())),
                _ => None,
            })
            .collect(),
    })
}

/// The scope reading these groups with their members: a lookup (pinned for ids) and a
/// container each.
fn group_scope(groups: &[&GroupRef]) -> Scope {
    let mut scope = Scope::default();
    for g in groups {
        let address = Address::new(GROUP, [g.to_string()]);
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

/// A group read under `key`, with its present members; the caller's own admin membership is
/// left out, since the diff treats it as system-managed (the one the service made on create).
fn imported_group(group: &Object, live: &LiveRead, key: &str, caller: Uuid) -> ImportedGroup {
    let members = live
        .state
        .objects
        .values()
        .filter(|o| o.address.kind == MEMBER && o.address.keys[0] == key)
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

impl ImportedGroups {
    /// The groups' names, comma separated.
    fn list(&self) -> String {
        self.groups
            .iter()
            .map(|g| g.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl ImportedPart for ImportedGroups {
    fn count(&self) -> String {
        format!("{} group(s)", self.groups.len())
    }

    fn summary(&self) -> Option<String> {
        (!self.groups.is_empty()).then(|| format!("Groups: {}.", self.list()))
    }

    fn missing(&self) -> Vec<String> {
        self.missing.clone()
    }

    fn group_names(&self) -> BTreeMap<String, String> {
        self.groups
            .iter()
            .map(|g| (g.id.clone(), g.name.clone()))
            .collect()
    }

    fn identities(&self) -> Vec<Uuid> {
        self.groups
            .iter()
            .flat_map(|g| g.members.keys().copied())
            .collect()
    }

    fn usernames(&self) -> BTreeMap<Uuid, String> {
        self.usernames.clone()
    }

    fn render(&self, cx: &dyn RenderContext) -> Option<(PathBuf, String)> {
        if self.groups.is_empty() {
            return None;
        }
        let mut text = String::new();
        cx.header(
            &mut text,
            &[
                &format!(
                    "Groups {}, pinned by id, with their active, invited and pending members.",
                    self.list()
                ),
                "accord's own admin membership is the service's (made on create), so it is not written.",
            ],
        );
        text.push_str("groups:\n");
        for g in &self.groups {
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
            let members: BTreeMap<String, &String> = g
                .members
                .iter()
                .map(|(id, role)| (cx.who(id), role))
                .collect();
            if members.is_empty() {
                text.push_str("    members: {}\n");
            } else {
                text.push_str("    members:\n");
                for (m, role) in members {
                    let _ = writeln!(text, "{} {role}", key("      ", &m));
                }
            }
        }
        Some((PathBuf::from("groups.yaml"), text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_refs_parse() {
        assert_eq!(
            GroupRef::parse("lab-admins").unwrap(),
            GroupRef::Name("lab-admins".into())
        );
        assert_eq!(
            GroupRef::parse("6a1f9c0e-8d2b-4e3a-9f4c-5b6d7e8f9a0b").unwrap(),
            GroupRef::Id("6a1f9c0e-8d2b-4e3a-9f4c-5b6d7e8f9a0b".parse().unwrap())
        );
        assert!(GroupRef::parse(" ").is_err());
    }
}
