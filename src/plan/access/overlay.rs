//! The objects after a plan, laid over the live ones without copying them.

use std::borrow::Cow;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use super::grants::{Grant, group_object};
use crate::plan::change::{Action, Change};
use crate::state::{Address, Object};

/// The managed group an object is a membership of, by its kind's access semantics.
pub(super) fn membership_of(address: &Address) -> Option<(&'static str, &str)> {
    address.kind.semantics().access_on(address)?.1.group()
}

/// The objects after a plan: the live ones with the changes laid over them, built without
/// copying the live state (it can hold a hundred thousand objects).
pub(super) struct Overlay<'a> {
    /// What each changed address holds after the plan (`None`: deleted).
    pub(super) objects: HashMap<&'a Address, Option<Cow<'a, Object>>>,
    /// Groups the plan deletes, by prefix and name: their live memberships go with them.
    deleted_groups: HashSet<(&'static str, &'a str)>,
}

impl<'a> Overlay<'a> {
    pub(super) fn new(changes: &'a [Change]) -> Self {
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
                    if let Some(group) = group_object(&c.address) {
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
            membership_of(address).is_some_and(|g| self.deleted_groups.contains(&g));
        !gone_with_group && !self.objects.contains_key(address)
    }

    /// The grants after the plan: the live grants the plan keeps, and the changed objects'.
    /// Walked, not collected: the live grants are a hundred thousand.
    pub(super) fn grants<'b>(
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
