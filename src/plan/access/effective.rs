//! Effective access: the grants with managed groups expanded to their members, the highest
//! level per principal and resource, and the routes giving it.

use std::collections::BTreeMap;

#[cfg(test)]
use chrono::{DateTime, Utc};

use rustc_hash::FxHashMap as HashMap;

#[cfg(test)]
use super::grants::grants;
use super::grants::{Grant, managed_group};
use super::scope::Scope;
use crate::state::Principal;
use crate::state::access::On;

/// One principal's effective level on one resource, and the routes giving it, borrowed from
/// the objects granting it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Holding<'a> {
    /// The level (`r`, `rw`, `member`, …).
    pub(super) level: &'a str,
    /// Its position in the kind's access order: levels compare by it.
    pub(super) rank: usize,
    /// `direct` and/or `group:<name>`, sorted.
    pub(super) via: Vec<&'a str>,
}

/// The effective access of a state, per principal (its canonical key) and resource.
pub(super) type Effective<'a> = BTreeMap<(&'a str, On<'a>), Holding<'a>>;

/// The effective access the grants give, for the pairs in `scope`.
pub(super) fn effective_within<'a>(
    grants: impl Iterator<Item = Grant<'a>> + Clone,
    scope: &Scope<'_>,
) -> Effective<'a> {
    // Members of each managed group: any effective role makes one a member.
    let mut members: HashMap<(&str, &str), Vec<&str>> = HashMap::default();
    for g in grants.clone() {
        if let Some(name) = g.member_of() {
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
        // Peers of one rank (a document's principal sets) are not the same level: only the
        // routes to the level kept are its routes.
        if g.rank == h.rank
            && g.level == h.level
            && let Err(i) = h.via.binary_search(&via)
        {
            h.via.insert(i, via);
        }
    };
    for g in grants.filter(|g| scope.includes(g.on)) {
        // A rule to a managed group is access for its members, not for the group.
        match (g.on.group(), managed_group(g.principal)) {
            (None, Some(name)) => {
                for m in members.get(&name).into_iter().flatten() {
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
pub(super) fn effective(state: &crate::state::State, now: DateTime<Utc>) -> Effective<'_> {
    let grants = grants(state.objects.values(), now);
    effective_within(grants.iter().copied(), &Scope::everything())
}
