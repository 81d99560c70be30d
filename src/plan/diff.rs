//! The diff: desired state against live state, per container and per the kind's field schema.

use std::collections::{BTreeMap, BTreeSet};

use rustc_hash::FxHashMap as HashMap;

use serde_json::Value;

use super::change::{Action, Change, Direction, FieldChange};
use super::join::join;
use super::model::{Blocked, Kept, Pending};
use crate::state::LiveRead;
use crate::state::{
    Address, Container, ContainerMode, Desired, FieldMode, Kind, Object, Principal,
};

/// What the diff needs besides the two states.
#[derive(Debug, Clone, Default)]
pub struct DiffContext {
    /// Who accord runs as (its Globus identity, its Boss user): their own access is protected.
    pub callers: BTreeSet<Principal>,
    /// `safety.protect` principals.
    pub protect: BTreeSet<Principal>,
}

/// The diff's result, before ordering and rails.
#[derive(Debug, Clone, Default)]
pub struct Diff {
    /// Changes, unordered.
    pub changes: Vec<Change>,
    /// Protected access left in place.
    pub kept: Vec<Kept>,
    /// Grants the service will not carry out.
    pub blocked: Vec<Blocked>,
    /// Pending memberships.
    pub pending: Vec<Pending>,
    /// Addresses of changes that revoke an expired grant (`apply --only-expired`).
    pub expired: BTreeSet<Address>,
    /// Live object counts per container, for the share rail.
    pub container_sizes: BTreeMap<Address, usize>,
    /// Display names of every principal known (policy aliases first, then live usernames),
    /// for the access delta, which names people no change is about.
    pub labels: BTreeMap<Principal, String>,
}

/// Membership statuses that count as present; `invited` and `pending` are present but pending.
const PRESENT: &[&str] = &["active", "invited", "pending"];
/// Membership statuses the service refuses to add back (the identity left).
const REFUSES_ADD: &[&str] = &["left"];

/// Why the service will not carry out a grant on this live object, if it will not: a member
/// who left a group, or a Search subject that does not exist (accord manages access, never
/// content, so it does not invent one).
fn refused(have: &Object) -> Option<String> {
    let s = status(have)?;
    match have.address.kind {
        Kind::GlobusMember if REFUSES_ADD.contains(&s) => Some(format!(
            "the identity {s} the group; the service will not add it back"
        )),
        Kind::SearchEntryAccess if s == "missing" => Some(
            "the subject is not in the index; accord manages access, not content: ingest it first"
                .into(),
        ),
        _ => None,
    }
}

fn status(o: &Object) -> Option<&str> {
    o.str_attr("status")
}

fn present(o: &Object) -> bool {
    status(o).is_none_or(|s| PRESENT.contains(&s))
}

/// The principal an object is about, if its address names one.
pub fn principal_of(address: &Address) -> Option<Principal> {
    match address.kind {
        Kind::GlobusMember
        | Kind::TransferAcl
        | Kind::GcsRole
        | Kind::SearchRole
        | Kind::BossMember
        | Kind::BossPermission => address.keys.last().and_then(|k| k.parse().ok()),
        _ => None,
    }
}

/// The desired containers, indexed by kind and first key, so that finding an object's
/// container costs a lookup, not a scan of thousands of containers per live object.
pub struct ContainerIndex<'a> {
    /// Per kind: the containers with no key, and the others by first key; each with its
    /// position in the policy order.
    by_kind: HashMap<Kind, KindContainers<'a>>,
    /// Group containers by group name: a group's memberships belong to it.
    groups: HashMap<&'a str, Vec<(usize, &'a Container)>>,
}

/// One kind's containers: keyless ones, and the others by first key.
type KindContainers<'a> = (
    Vec<(usize, &'a Container)>,
    HashMap<&'a str, Vec<(usize, &'a Container)>>,
);

impl<'a> ContainerIndex<'a> {
    /// Indexes the containers.
    pub fn new(containers: &'a [Container]) -> Self {
        let mut index = ContainerIndex {
            by_kind: HashMap::default(),
            groups: HashMap::default(),
        };
        for (i, c) in containers.iter().enumerate() {
            let (keyless, keyed) = index.by_kind.entry(c.address.kind).or_default();
            match c.address.keys.first() {
                None => keyless.push((i, c)),
                Some(first) => keyed.entry(first.as_str()).or_default().push((i, c)),
            }
            if c.address.kind == Kind::GlobusGroup
                && let Some(name) = c.address.keys.first()
            {
                index.groups.entry(name.as_str()).or_default().push((i, c));
            }
        }
        index
    }

    /// Which container an object belongs to: the first in policy order whose address
    /// prefixes the object's (a group's members belong to the group).
    pub fn find(&self, address: &Address) -> Option<&'a Container> {
        let first = address.keys.first().map(String::as_str);
        let (keyless, keyed) = match self.by_kind.get(&address.kind) {
            Some((keyless, keyed)) => (
                keyless.as_slice(),
                first
                    .and_then(|k| keyed.get(k))
                    .map_or(&[][..], Vec::as_slice),
            ),
            None => (&[][..], &[][..]),
        };
        let group = match (address.kind, first) {
            (Kind::GlobusMember, Some(name)) => {
                self.groups.get(name).map_or(&[][..], Vec::as_slice)
            }
            _ => &[][..],
        };
        keyless
            .iter()
            .chain(keyed)
            .filter(|(_, c)| address.keys.starts_with(&c.address.keys))
            .chain(group)
            .min_by_key(|(i, _)| *i)
            .map(|(_, c)| *c)
    }
}

/// Whether `path` lies under one of `manage_paths` (all paths when empty).
pub fn managed_path(container: &Container, address: &Address) -> bool {
    if container.manage_paths.is_empty() || address.kind != Kind::TransferAcl {
        return true;
    }
    let path = &address.keys[1];
    container
        .manage_paths
        .iter()
        .any(|m| path.starts_with(m.as_str()))
}

/// Compares the fields the desired object manages; returns the changed ones.
fn changed_fields(
    desired: &Object,
    live: &Object,
    ignore: Option<&BTreeSet<String>>,
) -> Vec<FieldChange> {
    let kind = desired.address.kind;
    let mut out = Vec::new();
    for (name, want) in &desired.attrs {
        let mode = kind
            .field(name)
            .map(|f| f.mode)
            .unwrap_or(FieldMode::Managed);
        if matches!(
            mode,
            FieldMode::Computed | FieldMode::WriteOnly | FieldMode::Sensitive
        ) {
            continue;
        }
        if ignore.is_some_and(|i| i.contains(name)) {
            continue;
        }
        let have = live.attrs.get(name).cloned().unwrap_or(Value::Null);
        if &have != want {
            out.push(FieldChange {
                name: name.clone(),
                before: have,
                after: want.clone(),
            });
        }
    }
    out
}

/// Whether an update widens or narrows access, by the kind's access-ordered fields.
/// A value as a set: a list's items, or a map of lists' (key, item) pairs; `None` for scalars.
/// Absent counts as the empty set.
fn set_members(v: &Value) -> Option<BTreeSet<String>> {
    match v {
        Value::Null => Some(BTreeSet::new()),
        Value::Array(a) => Some(a.iter().map(Value::to_string).collect()),
        Value::Object(m) => {
            let mut out = BTreeSet::new();
            for (k, x) in m {
                match x {
                    Value::Array(a) => out.extend(a.iter().map(|i| format!("{k}\u{1f}{i}"))),
                    _ => return None,
                }
            }
            Some(out)
        }
        _ => None,
    }
}

fn update_direction(kind: Kind, fields: &[FieldChange]) -> Direction {
    let mut dir = Direction::Neutral;
    for f in fields {
        // Sets (Boss permission names, Search `visible_to`, and `principal_sets` as sets of
        // (set name, principal)): dropping any member is a revocation.
        if kind.grants_access()
            && let (Some(before), Some(after)) = (set_members(&f.before), set_members(&f.after))
        {
            if before.iter().any(|v| !after.contains(v)) {
                return Direction::Revoke;
            }
            if after.iter().any(|v| !before.contains(v)) {
                dir = Direction::Grant;
            }
            continue;
        }
        let Some(spec) = kind.field(&f.name) else {
            continue;
        };
        if spec.access_order.is_empty() {
            continue;
        }
        let rank = |v: &Value| {
            v.as_str()
                .and_then(|s| spec.access_order.iter().position(|o| *o == s))
        };
        match (rank(&f.before), rank(&f.after)) {
            (Some(b), Some(a)) if a < b => return Direction::Revoke,
            (Some(b), Some(a)) if a > b => dir = Direction::Grant,
            _ => {}
        }
    }
    dir
}

fn labels_for(address: &Address, desired: &Desired, live: &LiveRead) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    // Document access lists principals in its values, not its address: name them all.
    if address.kind == Kind::SearchEntryAccess {
        let mut keys = BTreeSet::new();
        for o in [desired.state.get(address), live.state.get(address)]
            .into_iter()
            .flatten()
        {
            o.attrs
                .values()
                .for_each(|v| principal_strings(v, &mut keys));
        }
        for k in keys {
            if let Ok(p) = k.parse::<Principal>()
                && let Some(l) = desired.labels.get(&p).or_else(|| live.names.get(&p))
            {
                out.insert(k, l.clone());
            }
        }
    }
    if let Some(p) = principal_of(address) {
        let label = desired
            .labels
            .get(&p)
            .or_else(|| live.names.get(&p))
            .cloned();
        if let Some(l) = label {
            out.insert(p.to_string(), l);
        }
    }
    out
}

/// Every string inside a value (lists of principals, and maps of them).
fn principal_strings(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::String(s) => {
            out.insert(s.clone());
        }
        Value::Array(a) => a.iter().for_each(|x| principal_strings(x, out)),
        Value::Object(m) => m.values().for_each(|x| principal_strings(x, out)),
        _ => {}
    }
}

/// Diffs the desired state against the live one.
pub fn diff(desired: &Desired, live: &LiveRead, ctx: &DiffContext) -> Diff {
    let mut d = Diff::default();
    let containers = ContainerIndex::new(&desired.state.containers);

    // A desired object the service maintains itself (a Boss group's creator as maintainer) is
    // satisfied: planning it would be sent, then read back as system-managed, forever.
    let system_managed: BTreeSet<&Address> =
        live.system_managed.iter().map(|o| &o.address).collect();
    let both = || join(&desired.state.objects, &live.state.objects);
    for (address, want, have) in both() {
        let Some(want) = want else { continue };
        // Labels are made only for what the plan mentions: most objects are unchanged.
        let labels = || labels_for(address, desired, live);
        if have.is_none() && system_managed.contains(address) {
            continue;
        }
        match have {
            Some(have) if let Some(reason) = refused(have) => {
                d.blocked.push(Blocked {
                    address: address.clone(),
                    label: labels()
                        .values()
                        .next()
                        .cloned()
                        .unwrap_or_else(|| address.keys[1].clone()),
                    reason,
                    provenance: want.provenance.clone(),
                });
            }
            Some(have) if present(have) => {
                if let Some(s) = status(have).filter(|s| *s != "active") {
                    d.pending.push(Pending {
                        address: address.clone(),
                        label: labels()
                            .values()
                            .next()
                            .cloned()
                            .unwrap_or_else(|| address.to_string()),
                        status: s.to_string(),
                    });
                }
                let fields = changed_fields(want, have, desired.ignore_changes.get(address));
                if fields.is_empty() {
                    continue;
                }
                let replace = fields.iter().any(|f| {
                    address
                        .kind
                        .field(&f.name)
                        .is_some_and(|s| s.mode == FieldMode::ForceReplace)
                });
                let direction = if replace {
                    if address.kind.grants_access() {
                        Direction::Revoke
                    } else {
                        Direction::Neutral
                    }
                } else {
                    update_direction(address.kind, &fields)
                };
                d.changes.push(Change {
                    address: address.clone(),
                    action: if replace {
                        Action::Replace
                    } else {
                        Action::Update
                    },
                    fields,
                    before: Some(have.clone()),
                    after: Some(want.clone()),
                    direction,
                    reason: "policy differs from live".into(),
                    provenance: want.provenance.clone(),
                    labels: labels(),
                    deleted_with: None,
                });
            }
            _ => {
                let direction = if address.kind.grants_access() {
                    Direction::Grant
                } else {
                    Direction::Neutral
                };
                d.changes.push(Change {
                    address: address.clone(),
                    action: Action::Create,
                    fields: Vec::new(),
                    before: None,
                    after: Some(want.clone()),
                    direction,
                    reason: "in policy, not live".into(),
                    provenance: want.provenance.clone(),
                    labels: labels(),
                    deleted_with: None,
                });
            }
        }
    }

    // Undeclared live objects inside managed containers.
    for (address, want, have) in both() {
        let Some(have) = have else { continue };
        if want.is_some() || address.kind == Kind::GlobusGroup {
            continue;
        }
        let Some(container) = containers.find(address) else {
            continue;
        };
        *d.container_sizes
            .entry(container.address.clone())
            .or_default() += 1;
        if !present(have) || !managed_path(container, address) {
            continue;
        }
        let reason = match desired.expired.get(address) {
            Some((at, prov)) => {
                d.expired.insert(address.clone());
                format!("expired {} ({prov})", crate::state::timestamp(at))
            }
            None => match container.mode {
                ContainerMode::Authoritative => authoritative_reason(container, address),
                ContainerMode::Keyed | ContainerMode::Additive => continue,
            },
        };
        if container.mode == ContainerMode::Additive && !d.expired.contains(address) {
            continue;
        }
        d.changes.push(Change {
            address: address.clone(),
            action: Action::Delete,
            fields: Vec::new(),
            before: Some(have.clone()),
            after: None,
            direction: if address.kind.grants_access() {
                Direction::Revoke
            } else {
                Direction::Neutral
            },
            reason,
            provenance: container.provenance.clone(),
            labels: labels_for(address, desired, live),
            deleted_with: None,
        });
    }
    for (address, want, live_obj) in both() {
        let Some(live_obj) = live_obj else { continue };
        if want.is_some()
            && let Some(c) = containers.find(address)
        {
            *d.container_sizes.entry(c.address.clone()).or_default() += 1;
        }
        let removal = if let Some(prov) = desired.tombstones.get(address) {
            Some((prov, format!("tombstone (absent: true) at {prov}")))
        } else {
            desired
                .revoked
                .get(address)
                .map(|prov| (prov, format!("revoked in policy (`[]`) at {prov}")))
        };
        if let Some((prov, reason)) = removal {
            d.changes.push(Change {
                address: address.clone(),
                action: Action::Delete,
                fields: Vec::new(),
                before: Some(live_obj.clone()),
                after: None,
                direction: Direction::Revoke,
                reason,
                provenance: Some(prov.clone()),
                labels: labels_for(address, desired, live),
                deleted_with: None,
            });
        }
    }

    protect(&mut d, desired, live, ctx);
    cascade(&mut d, desired, live);
    for c in &mut d.changes {
        if let Some(what) = destroys(c) {
            c.reason = format!("{}; {what}", c.reason);
        }
    }
    d.labels = live.names.clone();
    d.labels.extend(desired.labels.clone());
    d
}

/// What deleting (or replacing) a Boss resource destroys, for the plan to say: its data, and
/// the children the live object lists (the Boss refuses to delete a parent that has any).
fn destroys(c: &Change) -> Option<String> {
    if c.address.kind != Kind::BossResource || !matches!(c.action, Action::Delete | Action::Replace)
    {
        return None;
    }
    let path = &c.address.keys[0];
    let children = |field: &str| -> Vec<String> {
        c.before
            .as_ref()
            .and_then(|o| o.attrs.get(field))
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default()
    };
    let (level, inner, word) = match path.matches('/').count() {
        0 => ("collection", children("experiments"), "experiments"),
        1 => ("experiment", children("channels"), "channels"),
        _ => ("channel", Vec::new(), ""),
    };
    let mut out = format!("destroys the {level} {path} and every voxel stored under it");
    if !inner.is_empty() {
        out.push_str(&format!(
            " (live {word}: {}; the Boss refuses until they are deleted)",
            inner.join(", ")
        ));
    }
    Some(out)
}

/// The reason of a delete carried out by the service with a guest collection's.
pub fn deleted_with_reason(collection: &str) -> String {
    format!("deleted with guest collection {collection}")
}

/// Deleting (or replacing) a guest collection deletes its ACL rules and roles on the server:
/// their deletes are listed as part of the collection's, marked `deleted_with`, and never
/// sent; whatever else the diff planned inside it is superseded. On a replace, the declared
/// rules and roles are created again on the new collection.
fn cascade(d: &mut Diff, desired: &Desired, live: &LiveRead) {
    let gone: Vec<Change> = d
        .changes
        .iter()
        .filter(|c| {
            c.address.kind == Kind::GcsCollection
                && matches!(c.action, Action::Delete | Action::Replace)
        })
        .cloned()
        .collect();
    for collection in gone {
        let name = collection.address.keys[1].clone();
        let inside = |a: &Address| {
            matches!(a.kind, Kind::TransferAcl | Kind::GcsRole) && a.keys.first() == Some(&name)
        };
        d.changes.retain(|c| !inside(&c.address));
        d.kept.retain(|k| !inside(&k.address));
        d.expired.retain(|a| !inside(a));
        for (address, have) in live.state.objects.iter().filter(|(a, _)| inside(a)) {
            if collection.action == Action::Replace && desired.state.objects.contains_key(address) {
                continue;
            }
            d.changes.push(Change {
                address: address.clone(),
                action: Action::Delete,
                fields: Vec::new(),
                before: Some(have.clone()),
                after: None,
                direction: Direction::Revoke,
                reason: deleted_with_reason(&name),
                provenance: collection.provenance.clone(),
                labels: labels_for(address, desired, live),
                deleted_with: Some(collection.address.clone()),
            });
        }
        if collection.action != Action::Replace {
            continue;
        }
        for (address, want) in desired.state.objects.iter().filter(|(a, _)| inside(a)) {
            d.changes.push(Change {
                address: address.clone(),
                action: Action::Create,
                fields: Vec::new(),
                before: None,
                after: Some(want.clone()),
                direction: Direction::Grant,
                reason: format!("created again on the replaced guest collection {name}"),
                provenance: want.provenance.clone(),
                labels: labels_for(address, desired, live),
                deleted_with: None,
            });
        }
    }
}

fn authoritative_reason(container: &Container, address: &Address) -> String {
    let short = |s: &str| {
        if s.len() > 8 {
            format!("{}…", &s[..8])
        } else {
            s.to_string()
        }
    };
    match address.kind {
        Kind::TransferAcl => {
            let scope = if container.manage_paths.is_empty() {
                format!("the ACL of {}", short(&container.address.keys[0]))
            } else {
                format!(
                    "{} on {}",
                    container.manage_paths.join(", "),
                    short(&container.address.keys[0])
                )
            };
            format!("not in policy; {scope} is authoritative")
        }
        Kind::GlobusMember => format!(
            "not in policy; members of {} are authoritative",
            address.keys[0]
        ),
        Kind::SearchRole => format!(
            "not in policy; the roles of Search index {} are authoritative",
            short(&address.keys[0])
        ),
        Kind::BossMember => format!(
            "not in policy; {}s of Boss group {} are authoritative",
            address.keys[1], address.keys[0]
        ),
        Kind::BossPermission => format!(
            "not in policy; permissions on Boss resource {} are authoritative",
            address.keys[0]
        ),
        _ => format!("not in policy; {} is authoritative", container.address),
    }
}

/// Takes protected revocations out of the plan and lists them as kept.
fn protect(d: &mut Diff, desired: &Desired, live: &LiveRead, ctx: &DiffContext) {
    let mut kept = Vec::new();
    let label = |c: &Change| {
        let who = c.labels.values().next().cloned().unwrap_or_default();
        match c.address.kind {
            Kind::GlobusMember => format!("{who} in {}", c.address.keys[0]),
            Kind::BossMember => format!(
                "{who} as {} of Boss group {}",
                c.address.keys[1], c.address.keys[0]
            ),
            Kind::TransferAcl => format!("{who} on {} {}", c.address.keys[0], c.address.keys[1]),
            _ => c.address.to_string(),
        }
    };
    // The running identity's own membership, when undeclared, is the one the service made on
    // create: system-managed, not planned and not shown.
    d.changes.retain(|c| {
        let own = principal_of(&c.address).is_some_and(|p| ctx.callers.contains(&p));
        !(own
            && matches!(c.address.kind, Kind::GlobusMember | Kind::BossMember)
            && c.action == Action::Delete
            && !desired.expired.contains_key(&c.address))
    });
    d.changes.retain(|c| {
        if c.direction != Direction::Revoke || !c.address.kind.grants_access() {
            return true;
        }
        let who = principal_of(&c.address);
        let reason = if who.as_ref().is_some_and(|p| ctx.callers.contains(p)) {
            Some("the running identity's own access")
        } else if who.as_ref().is_some_and(|p| ctx.protect.contains(p)) {
            Some("listed in safety.protect")
        } else {
            None
        };
        match reason {
            Some(r) => {
                kept.push(Kept {
                    address: c.address.clone(),
                    label: label(c),
                    reason: r.into(),
                });
                false
            }
            None => true,
        }
    });
    // A group keeps at least one admin. Live admins and the changes are indexed by group in
    // one pass each (a scan of everything per group is quadratic at scale).
    let is_admin = |o: &Object| {
        o.str_attr("role") == Some("admin") && o.str_attr("status").is_none_or(|s| s == "active")
    };
    let mut live_admins: BTreeMap<&str, usize> = BTreeMap::new();
    for o in live.state.objects.values() {
        if o.address.kind == Kind::GlobusMember {
            let n = live_admins.entry(o.address.keys[0].as_str()).or_default();
            if is_admin(o) {
                *n += 1;
            }
        }
    }
    let mut member_changes: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, c) in d.changes.iter().enumerate() {
        if c.address.kind == Kind::GlobusMember {
            member_changes
                .entry(c.address.keys[0].as_str())
                .or_default()
                .push(i);
        }
    }
    let mut last_admins: Vec<usize> = Vec::new();
    for (group, &admins) in &live_admins {
        if admins == 0
            || desired
                .tombstones
                .contains_key(&Address::new(Kind::GlobusGroup, [group.to_string()]))
        {
            continue;
        }
        let changes = member_changes.get(group).map(Vec::as_slice).unwrap_or(&[]);
        let losing: Vec<usize> = changes
            .iter()
            .copied()
            .filter(|&i| {
                let c = &d.changes[i];
                c.before.as_ref().is_some_and(is_admin)
                    && (c.action == Action::Delete
                        || c.after
                            .as_ref()
                            .is_some_and(|a| a.str_attr("role") != Some("admin")))
            })
            .collect();
        let gaining = changes.iter().any(|&i| {
            let c = &d.changes[i];
            c.after
                .as_ref()
                .is_some_and(|a| a.str_attr("role") == Some("admin"))
                && !c.before.as_ref().is_some_and(is_admin)
        });
        if !gaining && losing.len() == admins {
            last_admins.push(losing[0]);
        }
    }
    // Taken out in group order, without shifting the indices still to take.
    let mut taken: BTreeMap<usize, Change> = BTreeMap::new();
    let mut descending = last_admins.clone();
    descending.sort_unstable_by(|a, b| b.cmp(a));
    for i in descending {
        taken.insert(i, d.changes.remove(i));
    }
    for i in last_admins {
        let c = &taken[&i];
        kept.push(Kept {
            address: c.address.clone(),
            label: label(c),
            reason: format!("the last admin of {}", c.address.keys[0]),
        });
    }
    // A Search index keeps at least one owner (the service refuses to delete the last).
    let indexes: BTreeSet<String> = live
        .state
        .objects
        .keys()
        .filter(|a| a.kind == Kind::SearchRole && a.keys[1] == "owner")
        .map(|a| a.keys[0].clone())
        .collect();
    for index in indexes {
        let is_owner =
            |a: &Address| a.kind == Kind::SearchRole && a.keys[0] == index && a.keys[1] == "owner";
        let live_owners = live.state.objects.keys().filter(|a| is_owner(a)).count();
        let losing: Vec<usize> = d
            .changes
            .iter()
            .enumerate()
            .filter(|(_, c)| is_owner(&c.address) && c.action == Action::Delete)
            .map(|(i, _)| i)
            .collect();
        let gaining = d
            .changes
            .iter()
            .any(|c| is_owner(&c.address) && c.action == Action::Create);
        if !gaining && !losing.is_empty() && losing.len() == live_owners {
            let c = d.changes.remove(losing[0]);
            kept.push(Kept {
                address: c.address.clone(),
                label: label(&c),
                reason: format!("the last owner of Search index {index}"),
            });
        }
    }
    let changed: BTreeSet<&Address> = d.changes.iter().map(|c| &c.address).collect();
    d.expired.retain(|a| changed.contains(a));
    d.kept.extend(kept);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Provenance;

    fn member(group: &str, id: u128, role: &str) -> Object {
        let key = format!("identity:{}", uuid::Uuid::from_u128(id));
        Object::new(Address::new(Kind::GlobusMember, [group.to_string(), key])).with("role", role)
    }

    fn group_container(name: &str) -> Container {
        Container {
            address: Address::new(Kind::GlobusGroup, [name]),
            mode: ContainerMode::Authoritative,
            manage_paths: vec![],
            provenance: Some(Provenance {
                file: std::path::Path::new("g.yaml").into(),
                line: 1,
                column: 1,
            }),
        }
    }

    /// The index finds what a scan of every container in policy order finds.
    #[test]
    fn the_container_index_agrees_with_a_scan() {
        let scan = |containers: &[Container], a: &Address| -> Option<Address> {
            containers
                .iter()
                .find(|c| {
                    c.address.kind == a.kind && a.keys.starts_with(&c.address.keys)
                        || (c.address.kind == Kind::GlobusGroup
                            && a.kind == Kind::GlobusMember
                            && a.keys.first() == c.address.keys.first())
                })
                .map(|c| c.address.clone())
        };
        let container = |kind: Kind, keys: &[&str]| Container {
            address: Address::partial(kind, keys.iter().copied()),
            ..group_container("x")
        };
        let containers = vec![
            container(Kind::TransferAcl, &["ep1", "/a/"]),
            container(Kind::TransferAcl, &["ep1"]),
            container(Kind::GlobusGroup, &["lab"]),
            container(Kind::GlobusMember, &["lab"]),
            container(Kind::BossPermission, &[]),
            container(Kind::BossPermission, &["coll"]),
        ];
        let index = ContainerIndex::new(&containers);
        let addresses = [
            Address::new(Kind::TransferAcl, ["ep1", "/a/", "identity:x"]),
            Address::new(Kind::TransferAcl, ["ep1", "/b/", "identity:x"]),
            Address::new(Kind::TransferAcl, ["ep2", "/a/", "identity:x"]),
            Address::new(Kind::GlobusMember, ["lab", "identity:x"]),
            Address::new(Kind::GlobusMember, ["other", "identity:x"]),
            Address::partial(Kind::BossPermission, ["coll", "boss-group:g"]),
            Address::partial(Kind::BossPermission, ["else", "boss-group:g"]),
            Address::new(Kind::GlobusGroup, ["lab"]),
        ];
        for a in &addresses {
            assert_eq!(
                index.find(a).map(|c| c.address.clone()),
                scan(&containers, a),
                "{a}"
            );
        }
        assert_eq!(
            index.find(&addresses[0]).unwrap().address.keys[..],
            vec!["ep1", "/a/"],
            "the first container in policy order wins"
        );
    }

    fn setup(desired: Vec<Object>, live: Vec<Object>) -> (Desired, LiveRead) {
        let mut d = Desired::default();
        d.state.containers.push(group_container("lab"));
        for o in desired {
            d.state.insert(o);
        }
        let mut l = LiveRead::default();
        for o in live {
            l.state.insert(o.with("status", "active"));
        }
        (d, l)
    }

    #[test]
    fn creates_updates_and_deletes() {
        let (d, l) = setup(
            vec![member("lab", 1, "admin"), member("lab", 2, "member")],
            vec![member("lab", 1, "manager"), member("lab", 3, "member")],
        );
        let out = diff(&d, &l, &DiffContext::default());
        let actions: Vec<_> = out
            .changes
            .iter()
            .map(|c| (c.action, c.direction))
            .collect();
        assert_eq!(
            actions,
            vec![
                (Action::Update, Direction::Grant),
                (Action::Create, Direction::Grant),
                (Action::Delete, Direction::Revoke)
            ]
        );
        assert_eq!(out.changes[0].fields[0].before, "manager");
        assert!(out.changes[2].reason.contains("authoritative"));
    }

    #[test]
    fn member_expiry_is_not_compared_with_live() {
        // Groups stores no expiry: a declared future expiry must not be a perpetual change.
        let (d, l) = setup(
            vec![member("lab", 1, "member").with("expires", "2027-06-30T00:00:00Z")],
            vec![member("lab", 1, "member")],
        );
        let out = diff(&d, &l, &DiffContext::default());
        assert!(out.changes.is_empty(), "{:?}", out.changes);
    }

    #[test]
    fn demotion_is_a_revocation() {
        let (d, l) = setup(
            vec![member("lab", 1, "member"), member("lab", 2, "admin")],
            vec![member("lab", 1, "admin"), member("lab", 2, "admin")],
        );
        let out = diff(&d, &l, &DiffContext::default());
        assert_eq!(out.changes.len(), 1);
        assert_eq!(out.changes[0].direction, Direction::Revoke);
    }

    #[test]
    fn last_admin_is_kept() {
        let (d, l) = setup(
            vec![member("lab", 2, "member")],
            vec![member("lab", 1, "admin")],
        );
        let out = diff(&d, &l, &DiffContext::default());
        assert_eq!(out.kept.len(), 1, "{:?}", out.changes);
        assert!(out.kept[0].reason.contains("last admin"));
        assert!(out.changes.iter().all(|c| c.action == Action::Create));
    }

    #[test]
    fn caller_and_protected_are_kept() {
        let (d, l) = setup(
            vec![member("lab", 9, "admin")],
            vec![
                member("lab", 9, "admin"),
                member("lab", 1, "admin"),
                member("lab", 2, "member"),
            ],
        );
        let caller = Principal::Identity(uuid::Uuid::from_u128(1));
        let protect = [Principal::Identity(uuid::Uuid::from_u128(2))]
            .into_iter()
            .collect();
        let out = diff(
            &d,
            &l,
            &DiffContext {
                callers: [caller].into(),
                protect,
            },
        );
        // The caller's undeclared membership is system-managed; the protected one is kept.
        assert!(out.changes.is_empty(), "{:?}", out.changes);
        assert_eq!(out.kept.len(), 1);
        assert_eq!(out.kept[0].reason, "listed in safety.protect");
    }

    #[test]
    fn pending_is_present_and_left_is_blocked() {
        let (d, mut l) = setup(
            vec![member("lab", 1, "member"), member("lab", 2, "member")],
            vec![],
        );
        l.state
            .insert(member("lab", 1, "member").with("status", "invited"));
        l.state
            .insert(member("lab", 2, "member").with("status", "left"));
        let out = diff(&d, &l, &DiffContext::default());
        assert!(out.changes.is_empty());
        assert_eq!(out.pending.len(), 1);
        assert_eq!(out.blocked.len(), 1);
    }

    #[test]
    fn additive_never_removes_and_manage_paths_scope() {
        let mut d = Desired::default();
        d.state.containers.push(Container {
            address: Address::partial(Kind::TransferAcl, ["ep"]),
            mode: ContainerMode::Authoritative,
            manage_paths: vec!["/disthome/".into()],
            provenance: None,
        });
        let mut l = LiveRead::default();
        let rule = |p: &str| {
            Object::new(Address::new(Kind::TransferAcl, ["ep", p, "anonymous"]))
                .with("permissions", "r")
        };
        l.state.insert(rule("/disthome/x/"));
        l.state.insert(rule("/other/"));
        let out = diff(&d, &l, &DiffContext::default());
        assert_eq!(out.changes.len(), 1);
        assert_eq!(out.changes[0].address.keys[1], "/disthome/x/");
        d.state.containers[0].mode = ContainerMode::Additive;
        assert!(diff(&d, &l, &DiffContext::default()).changes.is_empty());
    }

    #[test]
    fn ignore_changes_and_computed_fields_are_not_diffed() {
        let mut d = Desired::default();
        let g = Address::new(Kind::GlobusGroup, ["lab"]);
        d.state
            .insert(Object::new(g.clone()).with("description", "new"));
        d.ignore_changes
            .insert(g.clone(), ["description".to_string()].into_iter().collect());
        let mut l = LiveRead::default();
        l.state.insert(Object::new(g).with("description", "old"));
        assert!(diff(&d, &l, &DiffContext::default()).changes.is_empty());
    }
}
