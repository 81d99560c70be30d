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

/// Why the service will not carry out a grant on this live object, if it will not: a member
/// who left a group, a subject missing from its index (the kind says).
fn refused(have: &Object) -> Option<String> {
    have.address.kind.semantics().refused(have)
}

fn status(o: &Object) -> Option<&str> {
    o.str_attr("status")
}

fn present(o: &Object) -> bool {
    status(o).is_none_or(|s| PRESENT.contains(&s))
}

/// The principal an object is about, if its address names one.
pub fn principal_of(address: &Address) -> Option<Principal> {
    address.kind.semantics().principal_of(address)
}

/// The desired containers, indexed by kind and first key, so that finding an object's
/// container costs a lookup, not a scan of thousands of containers per live object.
pub struct ContainerIndex<'a> {
    /// Per kind: the containers with no key, and the others by first key; each with its
    /// position in the policy order.
    by_kind: HashMap<Kind, KindContainers<'a>>,
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
        };
        for (i, c) in containers.iter().enumerate() {
            let (keyless, keyed) = index.by_kind.entry(c.address.kind).or_default();
            match c.address.keys.first() {
                None => keyless.push((i, c)),
                Some(first) => keyed.entry(first.as_str()).or_default().push((i, c)),
            }
        }
        index
    }

    /// Which container an object belongs to: the first in policy order whose address
    /// prefixes the object's, or that holds its kind by first key (a group's members belong
    /// to the group).
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
        let holder = match (address.kind.semantics().held_by(), first) {
            (Some(kind), Some(key)) => self
                .by_kind
                .get(&kind)
                .and_then(|(_, keyed)| keyed.get(key))
                .map_or(&[][..], Vec::as_slice),
            _ => &[][..],
        };
        keyless
            .iter()
            .chain(keyed)
            .filter(|(_, c)| address.keys.starts_with(&c.address.keys))
            .chain(holder)
            .min_by_key(|(i, _)| *i)
            .map(|(_, c)| *c)
    }
}

/// Whether `path` lies under one of `manage_paths` (all paths when empty).
pub fn managed_path(container: &Container, address: &Address) -> bool {
    let Some(key) = address.kind.semantics().path_key() else {
        return true;
    };
    if container.manage_paths.is_empty() {
        return true;
    }
    let path = &address.keys[key];
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
    // Some kinds list principals in their values, not their address: name them all.
    if address.kind.semantics().principals_in_values() {
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

/// The containers a read reports blocked (`LiveRead::blocked`), by kind and first key, so
/// that asking about an object costs a lookup, not a scan.
struct BlockedIndex<'a>(HashMap<BlockedKey<'a>, Vec<&'a (Address, String)>>);

/// A blocked container's kind and first key (none for a whole kind).
type BlockedKey<'a> = (Kind, Option<&'a str>);

impl<'a> BlockedIndex<'a> {
    fn new(blocked: &'a [(Address, String)]) -> Self {
        let mut index: HashMap<_, Vec<_>> = HashMap::default();
        for b in blocked {
            let first = b.0.keys.first().map(String::as_str);
            index.entry((b.0.kind, first)).or_default().push(b);
        }
        BlockedIndex(index)
    }

    /// Why the object at `address` may be neither diffed nor written, if it lies in a
    /// blocked container.
    fn reason(&self, address: &Address) -> Option<&'a str> {
        if self.0.is_empty() {
            return None;
        }
        let first = address.keys.first().map(String::as_str);
        [None, first]
            .into_iter()
            .filter_map(|k| self.0.get(&(address.kind, k)))
            .flatten()
            .find(|(c, _)| address.keys.starts_with(&c.keys))
            .map(|(_, why)| why.as_str())
    }
}

/// Diffs the desired state against the live one.
pub fn diff(desired: &Desired, live: &LiveRead, ctx: &DiffContext) -> Diff {
    let mut d = Diff::default();
    let containers = ContainerIndex::new(&desired.state.containers);
    let blocked = BlockedIndex::new(&live.blocked);

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
        // Nor is what the service makes itself with a container this plan creates (a new
        // group's creator as its admin): listing it would show a write, and an escalation,
        // that no request makes.
        if have.is_none() && made_with_new_container(want, desired, live, ctx) {
            continue;
        }
        // The service lets accord neither see nor change what is there: said, never planned.
        if let Some(reason) = blocked.reason(address) {
            d.blocked.push(Blocked {
                address: address.clone(),
                label: labels()
                    .values()
                    .next()
                    .cloned()
                    .unwrap_or_else(|| address.to_string()),
                reason: reason.to_string(),
                provenance: want.provenance.clone(),
            });
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
        if want.is_some() || blocked.reason(address).is_some() {
            continue;
        }
        // A container is not its own contents: a top-level object goes only by a tombstone.
        let Some(container) = containers.find(address).filter(|c| c.address != *address) else {
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
        if blocked.reason(address).is_some() {
            continue;
        }
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

/// What deleting or replacing an object destroys beyond itself, for the plan to say (the
/// kind says: a resource's data and the children it still holds).
fn destroys(c: &Change) -> Option<String> {
    c.address.kind.semantics().destroys(c)
}

/// Deleting (or replacing) an object whose kind cascades deletes what it carries on the
/// server (a guest collection's ACL rules and roles): their deletes are listed as part of
/// its own, marked `deleted_with`, and never sent; whatever else the diff planned inside it is
/// superseded. On a replace, the declared objects it carries are created again on the new one.
fn cascade(d: &mut Diff, desired: &Desired, live: &LiveRead) {
    let gone: Vec<Change> = d
        .changes
        .iter()
        .filter(|c| {
            c.address.kind.semantics().cascades()
                && matches!(c.action, Action::Delete | Action::Replace)
        })
        .cloned()
        .collect();
    for carrier in gone {
        let semantics = carrier.address.kind.semantics();
        let inside = |a: &Address| semantics.carries(&carrier.address, a);
        d.changes.retain(|c| !inside(&c.address));
        d.kept.retain(|k| !inside(&k.address));
        d.expired.retain(|a| !inside(a));
        for (address, have) in live.state.objects.iter().filter(|(a, _)| inside(a)) {
            if carrier.action == Action::Replace && desired.state.objects.contains_key(address) {
                continue;
            }
            d.changes.push(Change {
                address: address.clone(),
                action: Action::Delete,
                fields: Vec::new(),
                before: Some(have.clone()),
                after: None,
                direction: Direction::Revoke,
                reason: semantics.carried_reason(&carrier.address, false),
                provenance: carrier.provenance.clone(),
                labels: labels_for(address, desired, live),
                deleted_with: Some(carrier.address.clone()),
            });
        }
        if carrier.action != Action::Replace {
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
                reason: semantics.carried_reason(&carrier.address, true),
                provenance: want.provenance.clone(),
                labels: labels_for(address, desired, live),
                deleted_with: None,
            });
        }
    }
}

/// Whether the service makes `want` itself when this plan creates its container.
fn made_with_new_container(
    want: &Object,
    desired: &Desired,
    live: &LiveRead,
    ctx: &DiffContext,
) -> bool {
    want.address
        .kind
        .semantics()
        .made_with_container(want, &ctx.callers)
        && want.address.container().is_some_and(|c| {
            desired.state.objects.contains_key(&c) && !live.state.objects.contains_key(&c)
        })
}

/// Why an undeclared live object inside an authoritative container is removed.
fn authoritative_reason(container: &Container, address: &Address) -> String {
    address
        .kind
        .semantics()
        .removal_reason(container, address)
        .unwrap_or_else(|| format!("not in policy; {} is authoritative", container.address))
}

/// Takes protected revocations out of the plan and lists them as kept.
fn protect(d: &mut Diff, desired: &Desired, live: &LiveRead, ctx: &DiffContext) {
    let mut kept = Vec::new();
    let label = |c: &Change| {
        let who = c.labels.values().next().cloned().unwrap_or_default();
        c.address
            .kind
            .semantics()
            .kept_label(c, &who)
            .unwrap_or_else(|| c.address.to_string())
    };
    // The running identity's own membership, when undeclared, is the one the service made on
    // create: system-managed, not planned and not shown.
    d.changes.retain(|c| {
        let own = principal_of(&c.address).is_some_and(|p| ctx.callers.contains(&p));
        !(own
            && c.address.kind.semantics().is_membership()
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
    // Each scope keeps one last-resort holder (a group's admin, an index's owner): the live
    // holders and the changes are indexed by scope in one pass each.
    let holds = |o: &Object| o.address.kind.semantics().last_holder(o);
    let mut scopes: BTreeMap<Address, Holders> = BTreeMap::new();
    for o in live.state.objects.values() {
        if let Some((scope, reason)) = holds(o) {
            let h = scopes.entry(scope).or_default();
            h.live += 1;
            h.reason = reason;
        }
    }
    for (i, c) in d.changes.iter().enumerate() {
        let before = c.before.as_ref().and_then(holds).map(|(s, _)| s);
        let after = match c.action {
            Action::Delete => None,
            _ => c.after.as_ref().and_then(holds).map(|(s, _)| s),
        };
        if let Some(scope) = &before
            && after.as_ref() != Some(scope)
            && let Some(h) = scopes.get_mut(scope)
        {
            h.losing.push(i);
        }
        if let Some(scope) = after
            && before.as_ref() != Some(&scope)
            && let Some(h) = scopes.get_mut(&scope)
        {
            h.gaining = true;
        }
    }
    let last: Vec<(usize, String)> = scopes
        .into_iter()
        .filter(|(scope, h)| {
            !h.gaining
                && !h.losing.is_empty()
                && h.losing.len() == h.live
                && !desired.tombstones.contains_key(scope)
        })
        .map(|(_, h)| (h.losing[0], h.reason))
        .collect();
    // Taken out in scope order, without shifting the indices still to take.
    let mut taken: BTreeMap<usize, Change> = BTreeMap::new();
    let mut descending: Vec<usize> = last.iter().map(|(i, _)| *i).collect();
    descending.sort_unstable_by(|a, b| b.cmp(a));
    for i in descending {
        taken.insert(i, d.changes.remove(i));
    }
    for (i, reason) in last {
        let c = &taken[&i];
        kept.push(Kept {
            address: c.address.clone(),
            label: label(c),
            reason,
        });
    }
    let changed: BTreeSet<&Address> = d.changes.iter().map(|c| &c.address).collect();
    d.expired.retain(|a| changed.contains(a));
    d.kept.extend(kept);
}

/// One scope's last-resort holders: how many are live, the changes losing one, whether a
/// change gains one, and how keeping the last reads.
#[derive(Default)]
struct Holders {
    live: usize,
    losing: Vec<usize>,
    gaining: bool,
    reason: String,
}
