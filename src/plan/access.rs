//! Effective access: who can do what, through managed groups included, before and after a
//! plan, and the difference between the two (the plan's *access delta*).
//!
//! The object diff says which rules and memberships change; this module says what that
//! means for people. A rule granting `r` to `group:lab-readers` gives `r` to every active
//! member of `lab-readers`, so adding alice to the group is a gain of `r` on that path for
//! alice even though no rule changes.
//!
//! **Effective access** of a state is the set of `(principal, resource, level)` where:
//! - a membership (`globus.member`) gives its identity the membership's role (`member`,
//!   `manager`, `admin`) on the resource `group:<name>`, but only while its status is
//!   `active` (or absent, as on an object the plan creates): an invited or pending member
//!   cannot use the group yet, and one who left has no access;
//! - a Transfer rule (`transfer.acl`) gives its principal the rule's permissions (`r`, `rw`)
//!   on `transfer:<collection>:<path>`. When the principal is a **managed** group, every
//!   identity that is an effective member of that group (per the same state) gets the level
//!   instead, `via` that group. Unmanaged groups (`group:<uuid>`), whose members accord
//!   cannot see, and the special principals (`all_authenticated_users`, `anonymous`) are
//!   principals themselves;
//! - a grant whose `expires` is at or before the plan's clock gives nothing;
//! - per principal and resource only the highest level counts, and `via` lists every route
//!   giving that level (`direct`, `group:<name>`). Paths are taken as written: a rule on
//!   `/a/` is not merged with one on `/a/b/`.
//!
//! The state after the plan is the live state with each change applied: creates and
//! replaces put the desired object, updates lay the desired fields over the live object
//! (keeping computed ones such as a membership's status), deletes remove it, and deleting a
//! group removes its memberships. The kinds that carry access and what they mean are all
//! in `direct_grant`; the rest of the module is kind-agnostic.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::change::{Action, Change};
use super::join::join;
use crate::state::kind::On;
use crate::state::{Address, Object, Principal};

/// What access is on: a group (its roles) or a path on a Transfer collection.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum Resource {
    /// A managed group, by policy name (`group:<name>`); levels `member`, `manager`, `admin`.
    Group(String),
    /// A path on a collection (`transfer:<collection>:<path>`); levels `r`, `rw`.
    Path {
        /// The collection (endpoint) UUID.
        collection: String,
        /// The normalised path, ending in `/`.
        path: String,
    },
}

impl Resource {
    /// The resource for people: `group lab-readers`, `e56c36e4… /shared/`.
    pub fn label(&self) -> String {
        match self {
            Resource::Group(name) => format!("group {name}"),
            Resource::Path { collection, path } => format!("{} {path}", short(collection)),
        }
    }

    /// A level on this resource, for people: `admin of group lab-admins`, `rw on e56c36e4… /x/`.
    pub fn phrase(&self, level: &str) -> String {
        match self {
            Resource::Group(_) => format!("{level} of {}", self.label()),
            Resource::Path { .. } => format!("{level} on {}", self.label()),
        }
    }

    /// Why gaining `level` here is an escalation, if it is: a new `rw`, or a role that
    /// administers the group (managers and admins change who else has access).
    fn escalation(&self, level: &str) -> Option<Escalation> {
        match (self, level) {
            (Resource::Path { .. }, "rw") => Some(Escalation::NewRw),
            (Resource::Group(_), "admin") => Some(Escalation::NewAdmin),
            (Resource::Group(_), "manager") => Some(Escalation::NewManager),
            _ => None,
        }
    }
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Resource::Group(name) => write!(f, "group:{name}"),
            Resource::Path { collection, path } => write!(f, "transfer:{collection}:{path}"),
        }
    }
}

impl FromStr for Resource {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once(':') {
            Some(("group", name)) if !name.is_empty() => Ok(Resource::Group(name.to_string())),
            // The collection is a UUID (no `:`), so the first `:` after it ends it and the
            // path keeps any `:` of its own.
            Some(("transfer", rest)) => match rest.split_once(':') {
                Some((collection, path)) if !collection.is_empty() && path.starts_with('/') => {
                    Ok(Resource::Path {
                        collection: collection.to_string(),
                        path: path.to_string(),
                    })
                }
                _ => Err(format!("not a resource: `{s}`")),
            },
            _ => Err(format!("not a resource: `{s}`")),
        }
    }
}

impl From<Resource> for String {
    fn from(r: Resource) -> String {
        r.to_string()
    }
}

impl TryFrom<String> for Resource {
    type Error = String;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

/// Why a gain is flagged for reviewers.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Escalation {
    /// A grant to `public`, `anonymous` or `all_authenticated_users`, at any level.
    Everyone,
    /// Write access (`rw`) where there was none or only `r`.
    NewRw,
    /// A new admin of a group.
    NewAdmin,
    /// A new manager of a group.
    NewManager,
}

impl fmt::Display for Escalation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Escalation::Everyone => "grant to everyone",
            Escalation::NewRw => "new rw",
            Escalation::NewAdmin => "new admin",
            Escalation::NewManager => "new manager",
        })
    }
}

/// One principal's effective access to one resource that the plan raises or lowers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AccessEntry {
    /// The canonical principal: `identity:<uuid>`, `group:<uuid>` (a group accord does not
    /// manage), `all_authenticated_users` or `anonymous`.
    pub principal: String,
    /// Its display name (alias or username), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// What the access is on: `group:<name>` or `transfer:<collection>:<path>`.
    #[schemars(with = "String")]
    pub resource: Resource,
    /// The effective level before the plan (`null`: none).
    pub before: Option<String>,
    /// The effective level after the plan (`null`: none).
    pub after: Option<String>,
    /// The routes giving the level gained (for a gain) or lost (for a loss): `direct`, or
    /// `group:<name>` for a rule to a managed group the principal is a member of.
    pub via: Vec<String>,
    /// Why a gain is an escalation; always `null` for a loss.
    pub escalation: Option<Escalation>,
}

impl AccessEntry {
    /// The principal for people: its label, else its key with any UUID shortened.
    pub fn who(&self) -> String {
        self.label
            .clone()
            .unwrap_or_else(|| short_key(&self.principal))
    }
}

/// Who gains and who loses effective access if the plan is applied.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AccessDelta {
    /// New access, or a higher level: escalations first, then by principal and resource.
    pub gains: Vec<AccessEntry>,
    /// Access removed, or a lower level: by principal and resource.
    pub losses: Vec<AccessEntry>,
}

impl AccessDelta {
    /// Whether the plan changes nobody's effective access.
    pub fn is_empty(&self) -> bool {
        self.gains.is_empty() && self.losses.is_empty()
    }
}

/// One principal's effective level on one resource, and the routes giving it, borrowed from
/// the objects granting it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Holding<'a> {
    /// The level (`r`, `rw`, `member`, …).
    level: &'a str,
    /// Its position in the kind's access order: levels compare by it.
    rank: usize,
    /// `direct` and/or `group:<name>`, sorted.
    via: Vec<&'a str>,
}

/// The effective access of a state, per principal (its canonical key) and resource.
type Effective<'a> = BTreeMap<(&'a str, On<'a>), Holding<'a>>;

/// The resource a grant is on, owned.
fn resource(on: On<'_>) -> Resource {
    match on {
        On::Group(name) => Resource::Group(name.to_string()),
        On::Path(collection, path) => Resource::Path {
            collection: collection.to_string(),
            path: path.to_string(),
        },
    }
}

/// A grant one object makes by itself, before managed groups are expanded. It borrows from
/// the object: a plan over a hundred thousand objects copies none of them.
#[derive(Debug, Clone, Copy)]
struct Grant<'a> {
    address: &'a Address,
    /// The principal's canonical key, parsed only for the pairs computed.
    principal: &'a str,
    on: On<'a>,
    level: &'a str,
    rank: usize,
}

/// What an object grants directly, as its kind says.
fn direct_grant(o: &Object, now: DateTime<Utc>) -> Option<Grant<'_>> {
    let spec = o.address.kind.semantics().grant(o)?;
    let expired = o
        .str_attr("expires")
        .and_then(|e| DateTime::parse_from_rfc3339(e).ok())
        .is_some_and(|e| e <= now);
    if expired {
        return None;
    }
    let level = o.str_attr(spec.field).unwrap_or(spec.default);
    // The kind's field schema orders the levels, so ranks stay defined in one place.
    let rank = o
        .address
        .kind
        .field(spec.field)?
        .access_order
        .iter()
        .position(|l| *l == level)?;
    Some(Grant {
        address: &o.address,
        principal: spec.principal,
        on: spec.on,
        level,
        rank,
    })
}

/// The grants of a set of objects.
fn grants<'a>(objects: impl Iterator<Item = &'a Object>, now: DateTime<Utc>) -> Vec<Grant<'a>> {
    let mut out: Vec<Grant<'a>> = objects.filter_map(|o| direct_grant(o, now)).collect();
    // A hundred thousand grants: the growth slack would be megabytes.
    out.shrink_to_fit();
    out
}

/// The managed group a principal key names (`group:<name>`, not a UUID), if it names one.
fn managed_group(key: &str) -> Option<&str> {
    let name = key.strip_prefix("group:")?;
    matches!(key.parse(), Ok(Principal::ManagedGroup(_))).then_some(name)
}

/// Which principals of a resource a computation covers.
#[derive(Debug, Clone)]
enum Who<'a> {
    /// Every principal.
    All,
    /// These only, by canonical key.
    These(BTreeSet<&'a str>),
}

impl<'a> Who<'a> {
    fn covers(&self, p: &str) -> bool {
        match self {
            Who::All => true,
            Who::These(set) => set.contains(p),
        }
    }

    fn merge(&mut self, other: &Who<'a>) {
        match (&mut *self, other) {
            (Who::All, _) => {}
            (_, Who::All) => *self = Who::All,
            (Who::These(a), Who::These(b)) => a.extend(b.iter().cloned()),
        }
    }
}

/// The `(principal, resource)` pairs whose effective access is computed: every pair, or the
/// pairs a plan's changes can move.
#[derive(Debug, Default)]
struct Scope<'a> {
    everything: bool,
    resources: HashMap<On<'a>, Who<'a>>,
}

impl<'a> Scope<'a> {
    #[cfg(test)]
    fn everything() -> Self {
        Scope {
            everything: true,
            resources: HashMap::default(),
        }
    }

    fn includes(&self, on: On<'_>) -> bool {
        self.everything || self.resources.contains_key(&on)
    }

    fn covers(&self, p: &str, on: On<'_>) -> bool {
        self.everything || self.resources.get(&on).is_some_and(|w| w.covers(p))
    }

    fn add(&mut self, on: On<'a>, who: Who<'a>) {
        match self.resources.get_mut(&on) {
            Some(w) => w.merge(&who),
            None => {
                self.resources.insert(on, who);
            }
        }
    }

    /// What `changes` can move: a changed rule moves its whole resource; a changed
    /// membership moves that member's access to the group and to every resource a rule
    /// gives the group (in either state); a deleted group moves all of it. Any other pair
    /// keeps the same routes before and after, so its access cannot change.
    fn of_changes(changes: &'a [Change], grants: impl Iterator<Item = Grant<'a>>) -> Self {
        let mut scope = Scope::default();
        let mut members_moved: HashMap<&str, Who<'a>> = HashMap::default();
        for c in changes {
            let semantics = c.address.kind.semantics();
            match semantics.access_on(&c.address) {
                Some((principal, On::Group(group))) => {
                    let who = Who::These(BTreeSet::from([principal]));
                    members_moved
                        .entry(group)
                        .or_insert_with(|| Who::These(BTreeSet::new()))
                        .merge(&who);
                    scope.add(On::Group(group), who);
                }
                Some((_, on)) => scope.add(on, Who::All),
                None => {}
            }
            if c.action == Action::Delete
                && let Some(Principal::ManagedGroup(_)) = semantics.is_principal(&c.address)
            {
                let group = c.address.keys[0].as_str();
                members_moved.insert(group, Who::All);
                scope.add(On::Group(group), Who::All);
            }
        }
        if members_moved.is_empty() {
            return scope;
        }
        for g in grants {
            if let On::Path(..) = g.on
                && let Some(who) = g
                    .principal
                    .strip_prefix("group:")
                    .and_then(|name| members_moved.get(name))
                && managed_group(g.principal).is_some()
            {
                scope.add(g.on, who.clone());
            }
        }
        scope
    }
}

/// The effective access the grants give, for the pairs in `scope`.
fn effective_within<'a>(
    grants: impl Iterator<Item = Grant<'a>> + Clone,
    scope: &Scope<'_>,
) -> Effective<'a> {
    // Members of each managed group: any effective role makes one a member.
    let mut members: HashMap<&str, Vec<&str>> = HashMap::default();
    for g in grants.clone() {
        if let On::Group(name) = g.on {
            members.entry(name).or_default().push(g.principal);
        }
    }
    let mut out = Effective::new();
    let mut add = |principal: &'a str, g: &Grant<'a>, via: &'a str| {
        if !scope.covers(principal, g.on) || principal.parse::<Principal>().is_err() {
            return;
        }
        let h = out.entry((principal, g.on)).or_insert_with(|| Holding {
            level: g.level,
            rank: g.rank,
            via: Vec::new(),
        });
        if g.rank > h.rank {
            h.level = g.level;
            h.rank = g.rank;
            h.via.clear();
        }
        if g.rank == h.rank
            && let Err(i) = h.via.binary_search(&via)
        {
            h.via.insert(i, via);
        }
    };
    for g in grants.filter(|g| scope.includes(g.on)) {
        // A rule to a managed group is access for its members, not for the group.
        match (g.on, managed_group(g.principal)) {
            (On::Path(..), Some(name)) => {
                for m in members.get(name).into_iter().flatten() {
                    add(m, &g, g.principal);
                }
            }
            _ => add(g.principal, &g, "direct"),
        }
    }
    out
}

/// The effective access of a whole state at time `now`: what the scoped computation must
/// agree with.
#[cfg(test)]
fn effective(state: &crate::state::State, now: DateTime<Utc>) -> Effective<'_> {
    let grants = grants(state.objects.values(), now);
    effective_within(grants.iter().copied(), &Scope::everything())
}

/// The managed group an object is a membership of, by its kind's access semantics.
fn membership_of(address: &Address) -> Option<&str> {
    match address.kind.semantics().access_on(address)? {
        (_, On::Group(group)) => Some(group),
        _ => None,
    }
}

/// The objects after a plan: the live ones with the changes laid over them, built without
/// copying the live state (it can hold a hundred thousand objects).
struct Overlay<'a> {
    /// What each changed address holds after the plan (`None`: deleted).
    objects: HashMap<&'a Address, Option<Cow<'a, Object>>>,
    /// Groups the plan deletes, by policy name: their live memberships go with them.
    deleted_groups: HashSet<&'a str>,
}

impl<'a> Overlay<'a> {
    fn new(changes: &'a [Change]) -> Self {
        let mut o = Overlay {
            objects: HashMap::default(),
            deleted_groups: HashSet::default(),
        };
        for c in changes {
            match c.action {
                Action::Create | Action::Replace => {
                    if let Some(after) = &c.after {
                        o.objects.insert(&c.address, Some(Cow::Borrowed(after)));
                    }
                }
                Action::Update => {
                    if let Some(after) = &c.after {
                        // The desired object sets only what the policy manages; the live
                        // one's computed fields (a membership's status) still hold after.
                        let mut merged = match o.objects.get(&c.address) {
                            Some(Some(seen)) => seen.clone().into_owned(),
                            _ => c.before.clone().unwrap_or_else(|| after.clone()),
                        };
                        merged.attrs.extend(after.attrs.clone());
                        o.objects.insert(&c.address, Some(Cow::Owned(merged)));
                    }
                }
                Action::Delete => {
                    o.objects.insert(&c.address, None);
                    if let Some(Principal::ManagedGroup(_)) =
                        c.address.kind.semantics().is_principal(&c.address)
                    {
                        let group = c.address.keys[0].as_str();
                        o.deleted_groups.insert(group);
                        for (a, v) in o.objects.iter_mut() {
                            if membership_of(a) == Some(group) {
                                *v = None;
                            }
                        }
                    }
                }
            }
        }
        o
    }

    /// Whether a live object is still there, unchanged, after the plan.
    fn keeps(&self, address: &Address) -> bool {
        let gone_with_group =
            membership_of(address).is_some_and(|g| self.deleted_groups.contains(g));
        !gone_with_group && !self.objects.contains_key(address)
    }

    /// The grants after the plan: the live grants the plan keeps, and the changed objects'.
    /// Walked, not collected: the live grants are a hundred thousand.
    fn grants<'b>(
        &'b self,
        live: &'b [Grant<'b>],
        changed: &'b [Grant<'b>],
    ) -> impl Iterator<Item = Grant<'b>> + Clone {
        live.iter()
            .copied()
            .filter(|g| self.keeps(g.address))
            .chain(changed.iter().copied())
    }
}

/// Who gains and who loses effective access when `changes` are applied to the `live`
/// objects (one per address). Only the pairs the changes can move are computed, so the
/// cost follows the plan, not the size of the estate.
pub fn delta<'a>(
    live: impl Iterator<Item = &'a Object>,
    changes: &'a [Change],
    labels: &BTreeMap<Principal, String>,
    now: DateTime<Utc>,
) -> AccessDelta {
    let overlay = Overlay::new(changes);
    let before = grants(live, now);
    let changed = grants(overlay.objects.values().filter_map(|o| o.as_deref()), now);
    let after = overlay.grants(&before, &changed);
    let scope = Scope::of_changes(changes, before.iter().copied().chain(after.clone()));
    compare(
        &effective_within(before.iter().copied(), &scope),
        &effective_within(after, &scope),
        labels,
    )
}

/// The gains and losses between two effective-access maps.
fn compare(
    before: &Effective,
    after: &Effective,
    labels: &BTreeMap<Principal, String>,
) -> AccessDelta {
    let mut d = AccessDelta::default();
    for ((key, on), b, a) in join(before, after) {
        if a.map(|h| h.rank) == b.map(|h| h.rank) {
            continue;
        }
        let (Ok(principal), resource) = (key.parse::<Principal>(), resource(*on)) else {
            continue;
        };
        let entry = |via: &[&str], escalation| AccessEntry {
            principal: principal.to_string(),
            label: labels.get(&principal).cloned(),
            resource: resource.clone(),
            before: b.map(|h| h.level.to_string()),
            after: a.map(|h| h.level.to_string()),
            via: via.iter().map(|v| v.to_string()).collect(),
            escalation,
        };
        // No access ranks below every level (`None < Some`).
        match a.map(|h| h.rank).cmp(&b.map(|h| h.rank)) {
            std::cmp::Ordering::Greater => {
                let a = a.expect("a higher rank is a holding");
                let escalation = if principal.is_public() {
                    Some(Escalation::Everyone)
                } else {
                    resource.escalation(a.level)
                };
                d.gains.push(entry(&a.via, escalation));
            }
            std::cmp::Ordering::Less => {
                let b = b.expect("a higher rank is a holding");
                d.losses.push(entry(&b.via, None));
            }
            std::cmp::Ordering::Equal => {}
        }
    }
    // Escalations first, so that a capped listing never hides one.
    let order = |e: &AccessEntry| {
        (
            e.escalation.is_none(),
            e.who(),
            e.principal.clone(),
            e.resource.clone(),
        )
    };
    d.gains.sort_by_key(order);
    d.losses.sort_by_key(order);
    d
}

/// `identity:8f3e2a1b…` for a key holding a UUID; anything else unchanged.
fn short_key(key: &str) -> String {
    match key.split_once(':') {
        Some((kind, id)) => format!("{kind}:{}", short(id)),
        None => short(key),
    }
}

/// `8f3e2a1b…` for a UUID; anything else unchanged.
fn short(s: &str) -> String {
    if s.len() == 36 && uuid::Uuid::parse_str(s).is_ok() {
        format!("{}…", &s[..8])
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::State;
    use crate::state::kind::testing::{GROUP, MEMBER, RULE};

    const EP: &str = "e56c36e4-1063-11e6-a747-22000bf2d559";

    fn now() -> DateTime<Utc> {
        "2026-11-23T00:00:00Z".parse().unwrap()
    }

    fn who(n: u128) -> String {
        Principal::Identity(uuid::Uuid::from_u128(n)).to_string()
    }

    fn member(group: &str, n: u128, role: &str) -> Object {
        Object::new(Address::new(MEMBER, [group.to_string(), who(n)]))
            .with("role", role)
            .with("status", "active")
    }

    fn rule(path: &str, principal: &str, perms: &str) -> Object {
        Object::new(Address::new(RULE, [EP, path, principal])).with("permissions", perms)
    }

    fn state(objects: Vec<Object>) -> State {
        let mut s = State::default();
        for o in objects {
            s.insert(o);
        }
        s
    }

    fn change(action: Action, before: Option<Object>, after: Option<Object>) -> Change {
        let address = after.as_ref().or(before.as_ref()).unwrap().address.clone();
        Change {
            before,
            after,
            ..Change::new(address, action)
        }
    }

    fn create(o: Object) -> Change {
        change(Action::Create, None, Some(o))
    }

    fn delete(o: Object) -> Change {
        change(Action::Delete, Some(o), None)
    }

    fn update(before: Object, mut after: Object) -> Change {
        // Desired objects carry no computed fields.
        after.attrs.remove("status");
        change(Action::Update, Some(before), Some(after))
    }

    fn run(live: Vec<Object>, changes: Vec<Change>) -> AccessDelta {
        let live = state(live);
        let d = delta(live.objects.values(), &changes, &BTreeMap::new(), now());
        assert_eq!(
            d,
            full_delta(&live, &changes),
            "the scoped delta is the full one"
        );
        d
    }

    /// The live state with the changes applied by copying it: the obvious model the
    /// overlay must agree with.
    fn after_changes(live: &State, changes: &[Change]) -> State {
        let mut state = live.clone();
        for c in changes {
            match c.action {
                Action::Create | Action::Replace => {
                    if let Some(after) = &c.after {
                        state.insert(after.clone());
                    }
                }
                Action::Update => {
                    if let Some(after) = &c.after {
                        let mut merged = state
                            .get(&c.address)
                            .or(c.before.as_ref())
                            .cloned()
                            .unwrap_or_else(|| after.clone());
                        merged.attrs.extend(after.attrs.clone());
                        state.insert(merged);
                    }
                }
                Action::Delete => {
                    state.objects.remove(&c.address);
                    if c.address.kind == GROUP {
                        let group = &c.address.keys[0];
                        state
                            .objects
                            .retain(|a, _| !(a.kind == MEMBER && a.keys.first() == Some(group)));
                    }
                }
            }
        }
        state
    }

    /// The delta computed over every pair of both whole states.
    fn full_delta(live: &State, changes: &[Change]) -> AccessDelta {
        let before = effective(live, now());
        let after_state = after_changes(live, changes);
        let after = effective(&after_state, now());
        compare(&before, &after, &BTreeMap::new())
    }

    fn path(p: &str) -> Resource {
        Resource::Path {
            collection: EP.into(),
            path: p.into(),
        }
    }

    #[test]
    fn a_new_member_gains_the_groups_rules() {
        let rw = rule("/shared/", "group:lab", "rw");
        let d = run(
            vec![member("lab", 1, "member"), rw],
            vec![create(member("lab", 2, "member"))],
        );
        assert!(d.losses.is_empty());
        let on_path: Vec<_> = d
            .gains
            .iter()
            .filter(|g| g.resource == path("/shared/"))
            .collect();
        assert_eq!(on_path.len(), 1, "{d:#?}");
        assert_eq!(on_path[0].principal, who(2));
        assert_eq!(on_path[0].via, vec!["group:lab"]);
        assert_eq!(on_path[0].escalation, Some(Escalation::NewRw));
        // Membership is access too.
        assert!(
            d.gains
                .iter()
                .any(|g| g.resource == Resource::Group("lab".into())
                    && g.after.as_deref() == Some("member")
                    && g.escalation.is_none())
        );
    }

    #[test]
    fn removing_a_member_loses_the_groups_rw() {
        let d = run(
            vec![member("lab", 1, "member"), rule("/x/", "group:lab", "rw")],
            vec![delete(member("lab", 1, "member"))],
        );
        assert!(d.gains.is_empty());
        let lost = d.losses.iter().find(|l| l.resource == path("/x/")).unwrap();
        assert_eq!(
            (lost.before.as_deref(), lost.after.as_deref()),
            (Some("rw"), None)
        );
        assert_eq!(lost.via, vec!["group:lab"]);
        assert_eq!(d.losses.len(), 2, "the rw and the membership");
    }

    #[test]
    fn r_to_rw_is_an_escalation_and_rw_to_r_a_partial_loss() {
        let id = who(1);
        let d = run(
            vec![rule("/a/", &id, "r")],
            vec![update(rule("/a/", &id, "r"), rule("/a/", &id, "rw"))],
        );
        assert_eq!(d.gains.len(), 1);
        assert_eq!(d.gains[0].before.as_deref(), Some("r"));
        assert_eq!(d.gains[0].escalation, Some(Escalation::NewRw));
        let d = run(
            vec![rule("/a/", &id, "rw")],
            vec![update(rule("/a/", &id, "rw"), rule("/a/", &id, "r"))],
        );
        assert_eq!(d.losses.len(), 1);
        assert_eq!(d.losses[0].after.as_deref(), Some("r"));
    }

    #[test]
    fn any_grant_to_anonymous_is_an_escalation() {
        let d = run(vec![], vec![create(rule("/pub/", "anonymous", "r"))]);
        assert_eq!(d.gains.len(), 1);
        assert_eq!(d.gains[0].principal, "anonymous");
        assert_eq!(d.gains[0].escalation, Some(Escalation::Everyone));
    }

    #[test]
    fn a_group_rule_for_three_members_is_three_gains() {
        let live = vec![
            member("lab", 1, "member"),
            member("lab", 2, "manager"),
            member("lab", 3, "admin"),
        ];
        let d = run(live, vec![create(rule("/data/", "group:lab", "r"))]);
        assert_eq!(d.gains.len(), 3, "{d:#?}");
        assert!(
            d.gains.iter().all(|g| g.via == vec!["group:lab"]
                && g.escalation.is_none()
                && g.before.is_none())
        );
    }

    #[test]
    fn manager_to_admin_is_an_escalation() {
        let d = run(
            vec![member("lab", 1, "manager")],
            vec![update(
                member("lab", 1, "manager"),
                member("lab", 1, "admin"),
            )],
        );
        assert_eq!(d.gains.len(), 1);
        assert_eq!(d.gains[0].before.as_deref(), Some("manager"));
        assert_eq!(d.gains[0].escalation, Some(Escalation::NewAdmin));
    }

    #[test]
    fn an_expiry_revoked_member_loses_access() {
        // The diff plans the delete of an expired membership; its group rule goes with it.
        let dave = member("lab", 4, "member");
        let d = run(
            vec![dave.clone(), rule("/projects/", "group:lab", "r")],
            vec![delete(dave)],
        );
        let lost: Vec<_> = d.losses.iter().map(|l| l.resource.to_string()).collect();
        assert_eq!(
            lost,
            vec!["group:lab".to_string(), format!("transfer:{EP}:/projects/")]
        );
    }

    #[test]
    fn an_expired_grant_gives_nothing() {
        let id = who(1);
        let live = vec![rule("/a/", &id, "rw").with("expires", "2026-01-01T00:00:00Z")];
        assert!(effective(&state(live), now()).is_empty());
    }

    #[test]
    fn invited_members_have_no_access_until_active() {
        let live = vec![
            member("lab", 1, "member").with("status", "invited"),
            rule("/x/", "group:lab", "r"),
        ];
        assert!(effective(&state(live), now()).is_empty());
    }

    #[test]
    fn a_second_route_at_the_same_level_keeps_access() {
        // Alice reads /x/ directly and through the group: losing one route loses nothing.
        let alice = who(1);
        let direct = rule("/x/", &alice, "r");
        let d = run(
            vec![
                member("lab", 1, "member"),
                rule("/x/", "group:lab", "r"),
                direct.clone(),
            ],
            vec![delete(direct)],
        );
        assert!(d.is_empty(), "{d:#?}");
    }

    #[test]
    fn deleting_a_group_removes_its_members_access() {
        let group = Object::new(Address::new(GROUP, ["old"]));
        let d = run(
            vec![group.clone(), member("old", 1, "admin")],
            vec![delete(group)],
        );
        assert_eq!(d.losses.len(), 1);
        assert_eq!(d.losses[0].before.as_deref(), Some("admin"));
    }

    #[test]
    fn unmanaged_groups_and_special_principals_are_principals() {
        let unmanaged = "group:8b7d57bc-1666-11ec-88b2-f50515619d57";
        let d = run(
            vec![],
            vec![
                create(rule("/u/", unmanaged, "r")),
                create(rule("/all/", "all_authenticated_users", "r")),
            ],
        );
        assert_eq!(d.gains.len(), 2);
        assert_eq!(d.gains[0].escalation, Some(Escalation::Everyone));
        assert_eq!(d.gains[1].principal, unmanaged);
        assert_eq!(d.gains[1].who(), "group:8b7d57bc…");
    }

    #[test]
    fn resources_round_trip() {
        for s in ["group:lab-readers", &format!("transfer:{EP}:/a:b/")] {
            assert_eq!(s.parse::<Resource>().unwrap().to_string(), s);
        }
        assert!("transfer:x".parse::<Resource>().is_err());
        assert_eq!(path("/shared/").label(), "e56c36e4… /shared/");
        assert_eq!(
            Resource::Group("lab".into()).phrase("admin"),
            "admin of group lab"
        );
    }

    mod scoped_equals_full {
        use super::*;
        use proptest::prelude::*;

        /// One random object among a few groups, paths and people, so that changes collide.
        fn object() -> impl Strategy<Value = Object> {
            let role = prop::sample::select(vec!["member", "manager", "admin"]);
            let status = prop::sample::select(vec!["active", "active", "invited", "left"]);
            let perms = prop::sample::select(vec!["r", "rw"]);
            let group = prop::sample::select(vec!["a", "b", "c"]);
            let path = prop::sample::select(vec!["/x/", "/y/", "/z/"]);
            let expiry = prop::option::of(prop::sample::select(vec![
                "2026-01-01T00:00:00Z",
                "2027-01-01T00:00:00Z",
            ]));
            prop_oneof![
                (group.clone(), 1u128..6, role, status)
                    .prop_map(|(g, n, r, s)| member(g, n, r).with("status", s)),
                (
                    path,
                    prop_oneof![
                        (1u128..6).prop_map(who),
                        group.prop_map(|g| format!("group:{g}")),
                        Just("anonymous".to_string()),
                    ],
                    perms,
                    expiry
                )
                    .prop_map(|(p, who, perms, exp)| {
                        let r = rule(p, &who, perms);
                        match exp {
                            Some(e) => r.with("expires", e),
                            None => r,
                        }
                    }),
                group_object(),
            ]
        }

        fn group_object() -> impl Strategy<Value = Object> {
            prop::sample::select(vec!["a", "b", "c"])
                .prop_map(|g| Object::new(Address::new(GROUP, [g])))
        }

        /// A change against the live state: create or replace with a new object, update
        /// one, delete one (groups included).
        fn changes(live: &State, news: Vec<Object>, picks: Vec<(u8, usize)>) -> Vec<Change> {
            let existing: Vec<&Object> = live.objects.values().collect();
            let mut out = Vec::new();
            let mut seen = BTreeSet::new();
            for ((action, pick), new) in picks.into_iter().zip(news) {
                let change = match (action % 4, existing.get(pick % existing.len().max(1))) {
                    (0, _) => {
                        let mut c = create(new.clone());
                        if live.objects.contains_key(&new.address) {
                            c.action = Action::Replace;
                            c.before = live.get(&new.address).cloned();
                        }
                        c
                    }
                    (1, Some(have)) if have.address.kind != GROUP => {
                        let mut want = new.clone();
                        want.address = have.address.clone();
                        update((*have).clone(), want)
                    }
                    (_, Some(have)) => delete((*have).clone()),
                    _ => continue,
                };
                if seen.insert(change.address.clone()) {
                    out.push(change);
                }
            }
            out
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]
            #[test]
            fn on_random_states(
                live in prop::collection::vec(object(), 0..24),
                news in prop::collection::vec(object(), 0..8),
                picks in prop::collection::vec((0u8..4, 0usize..64), 0..8),
            ) {
                let live = state(live);
                let changes = changes(&live, news, picks);
                let scoped = delta(live.objects.values(), &changes, &BTreeMap::new(), now());
                prop_assert_eq!(scoped, full_delta(&live, &changes));
            }
        }
    }
}
