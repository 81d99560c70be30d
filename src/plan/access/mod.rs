//! Effective access: who can do what, through managed groups included, before and after a
//! plan, and the difference between the two (the plan's *access delta*).
//!
//! The object diff says which rules and memberships change; this module says what that
//! means for people. A rule granting `r` to `group:lab-readers` gives `r` to every active
//! member of `lab-readers`, so adding alice to the group is a gain of `r` on that path for
//! alice even though no rule changes.
//!
//! **Effective access** of a state is the set of `(principal, resource, level)` where:
//! - each object grants what its kind says (`KindSemantics::grant`): a principal, a level
//!   ranked by the kind's access order, and what it is on, a resource of a type its service
//!   declares (`state::access::ResourceDef`). Today a group membership gives its identity its
//!   role (`member`, `manager`, `admin`) on `group:<name>` while it is `active` (or has no
//!   status, as on an object the plan creates), and a Transfer rule gives its principal its
//!   permissions (`r`, `rw`) on `transfer:<collection>:<path>`;
//! - holding a *membership* resource (`group:<name>`) at any level makes one a member of that
//!   managed group. A grant on any other resource to a **managed** group is access for every
//!   identity that is an effective member of that group (per the same state) instead, `via`
//!   that group. Unmanaged groups (`group:<uuid>`), whose members accord cannot see, and the
//!   special principals (`all_authenticated_users`, `anonymous`) are principals themselves;
//! - a grant whose `expires` is at or before the plan's clock gives nothing;
//! - per principal and resource only the highest level counts, and `via` lists every route
//!   giving that level (`direct`, `group:<name>`). Resources are taken as written: a rule on
//!   `/a/` is not merged with one on `/a/b/`.
//!
//! The state after the plan is the live state with each change applied: creates and
//! replaces put the desired object, updates lay the desired fields over the live object
//! (keeping computed ones such as a membership's status), deletes remove it, and deleting a
//! managed group removes its memberships. What carries access and what it means is the
//! kinds' and resources' to say; this module names none of them.

mod effective;
mod grants;
mod overlay;
mod query;
pub mod render;
mod resource;
mod review;
mod scope;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::change::Change;
use super::join::join;
pub use crate::state::access::Escalation;
use crate::state::access::short_id;
use crate::state::{Object, Principal};
use effective::{Effective, effective_within};
pub use grants::grant_levels;
use grants::grants;
use overlay::Overlay;
pub use query::{Answer, Chain, Holding, Link, Model, answer_schema};
pub use resource::{Resource, ResourceParseError, forms};
pub use review::{
    Finding, Holder, ResourceReview, Review, Summary, Window, WindowError, review_schema,
};
use scope::Scope;

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
        let (Ok(principal), resource) = (key.parse::<Principal>(), Resource::from(*on)) else {
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
    // Escalations first, so that a capped listing never hides one. Each key is made once:
    // it copies the principal and the resource.
    let order = |e: &AccessEntry| {
        (
            e.escalation.is_none(),
            e.who(),
            e.principal.clone(),
            e.resource.clone(),
        )
    };
    d.gains.sort_by_cached_key(order);
    d.losses.sort_by_cached_key(order);
    d
}

/// `identity:8f3e2a1b…` for a key holding a UUID; anything else unchanged.
fn short_key(key: &str) -> String {
    match key.split_once(':') {
        Some((kind, id)) => format!("{kind}:{}", short_id(id)),
        None => short_id(key),
    }
}

#[cfg(test)]
pub(crate) mod testing;
#[cfg(test)]
mod tests;
