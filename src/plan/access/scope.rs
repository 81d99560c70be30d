//! Which `(principal, resource)` pairs a plan's changes can move: only those are computed.

use std::collections::BTreeSet;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use super::grants::{Grant, group_object, implied_on, managed_group};
use crate::plan::change::{Action, Change};
use crate::state::access::On;

/// Which principals of a resource a computation covers.
#[derive(Debug, Clone)]
pub(super) enum Who<'a> {
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
pub(super) struct Scope<'a> {
    everything: bool,
    resources: HashMap<On<'a>, Who<'a>>,
}

impl<'a> Scope<'a> {
    #[cfg(test)]
    pub(super) fn everything() -> Self {
        Scope {
            everything: true,
            resources: HashMap::default(),
        }
    }

    pub(super) fn includes(&self, on: On<'_>) -> bool {
        self.everything || self.resources.contains_key(&on)
    }

    pub(super) fn covers(&self, p: &str, on: On<'_>) -> bool {
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
    /// gives the group (in either state); a deleted group moves all of it (its memberships
    /// and every resource a rule gives it). Any other pair keeps the same routes before and
    /// after, so its access cannot change.
    pub(super) fn of_changes(
        changes: &'a [Change],
        grants: impl Iterator<Item = Grant<'a>>,
    ) -> Self {
        let mut scope = Scope::default();
        let mut members_moved: HashMap<(&str, &str), Who<'a>> = HashMap::default();
        // Deleted groups: their memberships are found among the grants below.
        let mut deleted: HashSet<(&str, &str)> = HashSet::default();
        for c in changes {
            let semantics = c.address.kind.semantics();
            // Principals named in the object's values: any of them can move.
            if let Some(on) = semantics.access_resource(&c.address) {
                scope.add(on, Who::All);
            }
            if let Some((principal, on)) = semantics.access_on(&c.address) {
                match on.group() {
                    Some(group) => {
                        let who = Who::These(BTreeSet::from([principal]));
                        members_moved
                            .entry(group)
                            .or_insert_with(|| Who::These(BTreeSet::new()))
                            .merge(&who);
                        scope.add(on, who);
                    }
                    None => scope.add(on, Who::All),
                }
                // What the grant implies moves with it.
                for o in c.before.iter().chain(&c.after) {
                    for on in implied_on(o) {
                        scope.add(on, Who::All);
                    }
                }
            }
            if c.action == Action::Delete
                && let Some(group) = group_object(&c.address)
            {
                members_moved.insert(group, Who::All);
                deleted.insert(group);
            }
        }
        if members_moved.is_empty() {
            return scope;
        }
        for g in grants {
            match g.on.group() {
                // Every membership of a deleted group goes with it.
                Some(group) => {
                    if deleted.contains(&group) {
                        scope.add(g.on, Who::All);
                    }
                }
                None => {
                    if let Some(who) =
                        managed_group(g.principal).and_then(|group| members_moved.get(&group))
                    {
                        scope.add(g.on, who.clone());
                    }
                }
            }
        }
        scope
    }
}
