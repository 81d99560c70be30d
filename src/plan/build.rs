//! Assembling a plan: diff → order → rails → access summary and effective-access delta.

use chrono::{DateTime, Utc};
use std::collections::BTreeSet;

use super::access::delta;
use super::change::{Action, Change, Direction};
use super::diff::Diff;
use super::model::{AccessSummary, FORMAT_VERSION, LiveChecks, Plan, TargetInfo};
use super::order::{Cycle, order};
use super::rails::{Limits, check};
use crate::state::Address;
use crate::state::LiveRead;

/// Everything a plan is made from besides the diff.
pub struct PlanInputs<'a> {
    /// Where it runs.
    pub target: TargetInfo,
    /// Digest of the workspace files.
    pub workspace_digest: String,
    /// The clock.
    pub now: DateTime<Utc>,
    /// Rails in force.
    pub limits: Limits,
    /// Objects whose deletion is refused.
    pub prevent_destroy: &'a BTreeSet<Address>,
    /// The providers' batch keys.
    pub batch_key: &'a dyn Fn(&Change) -> Option<String>,
    /// Fingerprints of what was read live (the absent addresses are added here).
    pub live_checks: LiveChecks,
    /// The live read: the access delta starts from it.
    pub live: &'a LiveRead,
}

/// Builds the plan from a diff.
pub fn build(diff: Diff, inputs: PlanInputs<'_>) -> Result<Plan, Cycle> {
    let rails = inputs.limits.in_force();
    let violations = check(
        &diff.changes,
        &diff.container_sizes,
        inputs.prevent_destroy,
        &inputs.limits,
    );
    let (changes, steps) = order(diff.changes, inputs.batch_key)?;
    let access = access_summary(&changes);
    // System-managed objects carry access too (a membership through a subgroup is still
    // membership); a regular object wins an address.
    let live = inputs.live;
    let live_objects = live
        .system_managed
        .iter()
        .filter(|o| !live.state.objects.contains_key(&o.address))
        .chain(live.state.objects.values());
    let access_delta = delta(live_objects, &changes, &diff.labels, inputs.now);
    Ok(Plan {
        format_version: FORMAT_VERSION,
        target: inputs.target,
        workspace_digest: inputs.workspace_digest,
        workspace: None,
        live_checks: LiveChecks {
            absent: changes
                .iter()
                .filter(|c| c.action == Action::Create)
                .map(|c| c.address.clone())
                .collect(),
            ..inputs.live_checks
        },
        now: inputs.now,
        changes,
        steps,
        kept: diff.kept,
        blocked: diff.blocked,
        pending: diff.pending,
        violations,
        rails,
        expiring: Vec::new(),
        expiring_window: None,
        access,
        access_delta,
    })
}

fn who(c: &Change) -> String {
    let key = c.address.keys.last().cloned().unwrap_or_default();
    c.labels
        .get(&key)
        .cloned()
        .unwrap_or_else(|| short_key(&key))
}

/// A key with its UUID cut to 8 characters (`index:4de2f3a1…`), for people.
pub fn short_key(key: &str) -> String {
    match key.split_once(':') {
        Some((kind, id)) if id.len() > 8 && uuid::Uuid::parse_str(id).is_ok() => {
            format!("{kind}:{}…", &id[..8])
        }
        _ => key.to_string(),
    }
}

/// One phrase per access change: `alice r /disthome/alice/`, `bob: admin of lab-admins`.
fn describe(c: &Change) -> String {
    c.address
        .kind
        .semantics()
        .access_phrase(c, &who(c))
        .unwrap_or_else(|| format!("{}", c.address))
}

/// Counts direct grants and revocations, and flags escalations.
pub fn access_summary(changes: &[Change]) -> AccessSummary {
    let mut s = AccessSummary::default();
    for c in changes.iter().filter(|c| c.address.kind.grants_access()) {
        if revokes(c) {
            s.revocations.push(describe(c));
        } else if grants(c) {
            let d = describe(c);
            if escalates(c) {
                s.escalations.push(d.clone());
            }
            s.grants.push(d);
        }
    }
    s
}

/// The phrase the access summary gives an escalating grant (`alice rw /disthome/alice/`), or
/// `None` for any other change.
pub(crate) fn escalation_phrase(c: &Change) -> Option<String> {
    (c.address.kind.grants_access() && !revokes(c) && grants(c) && escalates(c))
        .then(|| describe(c))
}

/// A delete, or a change that narrows access.
fn revokes(c: &Change) -> bool {
    c.action == Action::Delete || c.direction == Direction::Revoke
}

/// A create, or a change that widens access.
fn grants(c: &Change) -> bool {
    c.action == Action::Create || c.direction == Direction::Grant
}

/// A new `rw`, a new admin or manager role, or any grant to everyone (the kind says).
fn escalates(c: &Change) -> bool {
    c.address
        .kind
        .semantics()
        .escalates(c)
        .unwrap_or_else(|| c.names_everyone())
}
