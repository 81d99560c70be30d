//! Access lists both ways: Search principals as canonical ones and back, a subject's entries
//! as a live object, a desired object as the entries that re-ingest it, roles as objects.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::service::IdMap;
use crate::services::search::wire::Principal as SearchPrincipal;
use crate::services::search::wire::{GMetaEntry, GMetaResult, ResultEntry, Role};
use crate::state::{Address, Object, Principal};

use super::DEFAULT_ENTRY;

/// The `visible_to` and `principal_sets` a desired entry sets, as URNs; `None` for a list it
/// does not set (each entry keeps its live value).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DesiredAccess {
    /// `visible_to` URNs (and `public`, `all_authenticated_users`).
    pub visible_to: Option<Vec<String>>,
    /// Set name → URNs.
    pub principal_sets: Option<BTreeMap<String, Vec<String>>>,
}

impl DesiredAccess {
    /// The desired object's lists with canonical principals turned into URNs (a managed
    /// group through the id map's `globus.group[NAME]`).
    pub fn of(desired: &Object, ids: &IdMap) -> Result<DesiredAccess, String> {
        let list = |v: &Value, what: &str, specials: bool| -> Result<Vec<String>, String> {
            let Value::Array(items) = v else {
                return Err(format!("{what} is not a list"));
            };
            items
                .iter()
                .map(|i| {
                    let s = i
                        .as_str()
                        .ok_or_else(|| format!("{what}: {i} is not a principal"))?;
                    principal_urn(s, ids, specials).map_err(|e| format!("{what}: {e}"))
                })
                .collect()
        };
        let visible_to = desired
            .attrs
            .get("visible_to")
            .map(|v| list(v, "visible_to", true))
            .transpose()?;
        let principal_sets = match desired.attrs.get("principal_sets") {
            None => None,
            Some(Value::Object(sets)) => Some(
                sets.iter()
                    .map(|(name, members)| {
                        Ok((
                            name.clone(),
                            list(members, &format!("principal set {name}"), false)?,
                        ))
                    })
                    .collect::<Result<BTreeMap<_, _>, String>>()?,
            ),
            Some(_) => return Err("principal_sets is not an object".into()),
        };
        Ok(DesiredAccess {
            visible_to,
            principal_sets,
        })
    }
}

/// The `GMetaList` entries that re-ingest a subject: every entry as read (its id, `content`
/// and unknown fields verbatim) with the desired lists; a list the desired access does not
/// set keeps the entry's live value. Refuses an entry read without its `content` or its
/// lists, rather than ingest it emptied.
pub fn gmeta_entries(
    result: &GMetaResult,
    desired: &DesiredAccess,
) -> Result<Vec<GMetaEntry>, String> {
    if result.entries.is_empty() {
        return Err(format!("subject {} has no entries", result.subject));
    }
    result
        .entries
        .iter()
        .map(|e| {
            let name = entry_name(e);
            let content = e.content.clone().ok_or_else(|| {
                format!("entry {name} was read without its content; refusing to re-ingest it")
            })?;
            let visible_to = match &desired.visible_to {
                Some(v) => v.clone(),
                None => e.visible_to.clone().ok_or_else(|| {
                    format!(
                        "entry {name} was read without its visible_to; refusing to re-ingest it"
                    )
                })?,
            };
            let principal_sets = match &desired.principal_sets {
                Some(p) => Some(p.clone()),
                None => match &e.principal_sets {
                    None | Some(Value::Null) => None,
                    Some(v) => Some(BTreeMap::<String, Vec<String>>::deserialize(v).map_err(
                        |err| format!("entry {name}: principal_sets {v} not understood: {err}"),
                    )?),
                },
            };
            Ok(GMetaEntry {
                subject: result.subject.clone(),
                id: e.entry_id.clone(),
                visible_to,
                principal_sets,
                content,
                version: None,
                extra: e.extra.clone(),
            })
        })
        .collect()
}

/// The canonical principal of a Search principal (`public`, `all_authenticated_users`, an
/// identity or group URN): a group in `group_names` (live UUID → policy name) is the managed
/// `group:<name>`; `None` for a value accord does not know.
pub fn canonical(value: &str, group_names: &BTreeMap<String, String>) -> Option<Principal> {
    Some(match SearchPrincipal::parse(value)? {
        SearchPrincipal::Public => Principal::Public,
        SearchPrincipal::AllAuthenticatedUsers => Principal::AllAuthenticatedUsers,
        SearchPrincipal::Identity(u) => Principal::Identity(u),
        SearchPrincipal::Group(u) => match group_names.get(&u.to_string()) {
            Some(name) => Principal::ManagedGroup(name.clone()),
            None => Principal::Group(u),
        },
    })
}

/// The Search form of a canonical principal key: an identity or group URN (a managed group's
/// live id from the id map), or with `specials` `public` / `all_authenticated_users`.
pub fn principal_urn(key: &str, ids: &IdMap, specials: bool) -> Result<String, String> {
    let p: Principal = key.parse().map_err(|e| format!("{e}"))?;
    match &p {
        Principal::Identity(_) | Principal::Group(_) | Principal::ManagedGroup(_) => p
            .urn(|name| {
                ids.get(&Address::new(
                    crate::services::groups::GROUP,
                    [name.to_string()],
                ))
            })
            .ok_or_else(|| format!("the id of group {p} is not known (was it created?)")),
        Principal::Public | Principal::AllAuthenticatedUsers if specials => p
            .urn(|_| None)
            .ok_or_else(|| format!("`{p}` has no Search form")),
        other if specials => Err(format!("Search entries cannot be visible to `{other}`")),
        other => Err(format!(
            "Search roles and principal sets hold identities and groups, not `{other}`"
        )),
    }
}

/// The URN of a role's principal key.
pub(super) fn role_urn(key: &str, ids: &IdMap) -> Result<String, String> {
    principal_urn(key, ids, false)
}

/// A Search list as sorted, deduplicated canonical strings; values accord does not know are
/// kept verbatim (they then differ from any desired list).
fn canonical_list(values: &[String], group_names: &BTreeMap<String, String>) -> Value {
    let set: BTreeSet<String> = values
        .iter()
        .map(|v| canonical(v, group_names).map_or_else(|| v.clone(), |p| p.to_string()))
        .collect();
    Value::Array(set.into_iter().map(Value::String).collect())
}

/// An entry's `principal_sets` as `{name: sorted canonical list}` (`{}` when it has none); a
/// value that is not an object of lists is kept verbatim.
fn canonical_sets(sets: Option<&Value>, group_names: &BTreeMap<String, String>) -> Value {
    match sets {
        None | Some(Value::Null) => Value::Object(Map::new()),
        Some(v) => match BTreeMap::<String, Vec<String>>::deserialize(v) {
            Ok(m) => Value::Object(
                m.iter()
                    .map(|(k, l)| (k.clone(), canonical_list(l, group_names)))
                    .collect(),
            ),
            Err(_) => v.clone(),
        },
    }
}

/// An entry's name in messages and per-entry values.
fn entry_name(e: &ResultEntry) -> String {
    e.entry_id.clone().unwrap_or_else(|| DEFAULT_ENTRY.into())
}

/// The live object of a subject read with `bypass_visible_to`. Entries that agree give their
/// common lists; otherwise `entries_differ: true`, and a list they disagree on is an object
/// entry id → that entry's list.
pub fn entry_object(
    address: Address,
    result: &GMetaResult,
    group_names: &BTreeMap<String, String>,
) -> Object {
    let mut o = Object::new(address);
    let names: Vec<String> = result.entries.iter().map(entry_name).collect();
    let visible_to: Vec<Value> = result
        .entries
        .iter()
        .map(|e| canonical_list(e.visible_to.as_deref().unwrap_or(&[]), group_names))
        .collect();
    let principal_sets: Vec<Value> = result
        .entries
        .iter()
        .map(|e| canonical_sets(e.principal_sets.as_ref(), group_names))
        .collect();
    let mut differ = false;
    for (attr, values) in [
        ("visible_to", visible_to),
        ("principal_sets", principal_sets),
    ] {
        let Some(first) = values.first() else {
            continue;
        };
        if values.iter().all(|v| v == first) {
            o.attrs.insert(attr.into(), first.clone());
        } else {
            differ = true;
            let per_entry: Map<String, Value> = names.iter().cloned().zip(values).collect();
            o.attrs.insert(attr.into(), Value::Object(per_entry));
        }
    }
    if differ {
        o.attrs.insert("entries_differ".into(), Value::Bool(true));
    }
    o
}

/// The live object of an index role, keyed by its canonical principal; `None` (skipped with a
/// warning, never deleted) for a principal that is not an identity or group accord knows.
pub(super) fn role_object(
    index: &str,
    role: Role,
    group_names: &BTreeMap<String, String>,
) -> Option<Object> {
    let key = match canonical(&role.principal, group_names) {
        Some(p @ (Principal::Identity(_) | Principal::Group(_) | Principal::ManagedGroup(_))) => {
            p.to_string()
        }
        _ => {
            tracing::warn!(%index, role = %role.role_name, principal = %role.principal, "skipping a Search role whose principal accord does not know");
            return None;
        }
    };
    let mut o = Object::new(Address::new(
        crate::services::search::ROLE,
        [index.to_string(), role.role_name, key],
    ));
    o.server_id = Some(role.id);
    Some(o)
}

/// The live object of a declared subject Search does not have.
pub(super) fn missing_entry(address: Address) -> Object {
    Object::new(address).with("status", "missing")
}
