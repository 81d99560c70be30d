//! Assembling a plan: diff → order → rails → access summary and effective-access delta.

use chrono::{DateTime, Utc};
use std::collections::BTreeSet;

use super::access::delta;
use super::change::{Action, Change, Direction};
use super::diff::Diff;
use super::model::{AccessSummary, FORMAT_VERSION, LiveChecks, Plan, TargetInfo};
use super::order::{Cycle, order};
use super::rails::{Limits, check};
use crate::state::LiveRead;
use crate::state::{Address, Kind, Principal};

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

fn short_key(key: &str) -> String {
    match key.split_once(':') {
        Some((kind, id)) if id.len() > 8 && uuid::Uuid::parse_str(id).is_ok() => {
            format!("{kind}:{}…", &id[..8])
        }
        _ => key.to_string(),
    }
}

/// One phrase per access change: `alice r /disthome/alice/`, `bob: admin of lab-admins`.
fn describe(c: &Change) -> String {
    let obj = c.after.as_ref().or(c.before.as_ref());
    match c.address.kind {
        Kind::GlobusMember => {
            let role = obj.and_then(|o| o.str_attr("role")).unwrap_or("member");
            format!("{}: {role} of {}", who(c), c.address.keys[0])
        }
        Kind::TransferAcl => {
            let perm = obj.and_then(|o| o.str_attr("permissions")).unwrap_or("r");
            format!("{} {perm} {}", who(c), c.address.keys[1])
        }
        Kind::GcsRole | Kind::SearchRole => {
            format!("{}: {} of {}", who(c), c.address.keys[1], c.address.keys[0])
        }
        Kind::SearchEntryAccess => {
            let fields: Vec<&str> = c.fields.iter().map(|f| f.name.as_str()).collect();
            format!(
                "{} in {}: {}",
                c.address.keys[1],
                short_key(&format!("index:{}", c.address.keys[0])),
                fields.join(", ")
            )
        }
        Kind::BossMember => format!(
            "{}: {} of Boss group {}",
            boss_name(&c.address.keys[2]),
            c.address.keys[1],
            c.address.keys[0]
        ),
        Kind::BossPermission => {
            let (gained, lost) = boss_permission_delta(c);
            let names = if c.direction == Direction::Revoke {
                lost
            } else {
                gained
            };
            format!(
                "{}: {} on {}",
                boss_name(&c.address.keys[1]),
                names.join(", "),
                c.address.keys[0]
            )
        }
        _ => format!("{}", c.address),
    }
}

/// A Boss user or group key without its namespace prefix.
fn boss_name(key: &str) -> &str {
    key.split_once(':').map_or(key, |(_, name)| name)
}

/// The Boss permission names a change adds and removes.
fn boss_permission_delta(c: &Change) -> (Vec<String>, Vec<String>) {
    let names = |o: Option<&crate::state::Object>| -> Vec<String> {
        o.and_then(|o| o.attrs.get("permissions"))
            .and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    let before = names(c.before.as_ref());
    let after = if c.action == Action::Delete {
        Vec::new()
    } else {
        names(c.after.as_ref())
    };
    let gained = after
        .iter()
        .filter(|n| !before.contains(n))
        .cloned()
        .collect();
    let lost = before
        .iter()
        .filter(|n| !after.contains(n))
        .cloned()
        .collect();
    (gained, lost)
}

/// Boss permissions that let a group change or destroy what others can do or hold.
const BOSS_POWERFUL: [&str; 4] = [
    "assign_group",
    "remove_group",
    "delete",
    "delete_volumetric_data",
];

/// Counts direct grants and revocations, and flags escalations.
pub fn access_summary(changes: &[Change]) -> AccessSummary {
    let mut s = AccessSummary::default();
    for c in changes.iter().filter(|c| c.address.kind.grants_access()) {
        match (c.action, c.direction) {
            (Action::Delete, _) | (_, Direction::Revoke) => s.revocations.push(describe(c)),
            (Action::Create, _) | (_, Direction::Grant) => {
                let d = describe(c);
                if escalates(c) {
                    s.escalations.push(d.clone());
                }
                s.grants.push(d);
            }
            _ => {}
        }
    }
    s
}

/// A new `rw`, a new admin or manager role, or any grant to everyone.
fn escalates(c: &Change) -> bool {
    let after = c.after.as_ref();
    let before = c.before.as_ref();
    // Rising to one of `values` (ordered low → high) from below it, or from nothing.
    let rose_to = |field: &str, values: &[&str]| {
        let rank = |o: Option<&crate::state::Object>| {
            o.and_then(|o| o.str_attr(field))
                .and_then(|v| values.iter().position(|x| *x == v))
        };
        match (rank(before), rank(after)) {
            (_, None) => false,
            (None, Some(_)) => true,
            (Some(b), Some(a)) => a > b,
        }
    };
    let public = c
        .address
        .keys
        .last()
        .and_then(|k| k.parse::<Principal>().ok())
        .is_some_and(|p| p.is_public());
    match c.address.kind {
        Kind::GlobusMember => rose_to("role", &["manager", "admin"]),
        Kind::TransferAcl => public || rose_to("permissions", &["rw"]),
        Kind::GcsRole | Kind::SearchRole => true,
        // A document opened to everyone.
        Kind::SearchEntryAccess => {
            let everyone = |o: Option<&crate::state::Object>| {
                o.and_then(|o| o.attrs.get("visible_to"))
                    .and_then(|v| v.as_array())
                    .is_some_and(|a| {
                        a.iter().any(|p| {
                            p.as_str()
                                .and_then(|s| s.parse::<Principal>().ok())
                                .is_some_and(|p| p.is_public())
                        })
                    })
            };
            everyone(after) && !everyone(before)
        }
        // A maintainer decides who else is in the group.
        Kind::BossMember => c.address.keys[1] == "maintainer",
        Kind::BossPermission => {
            let (gained, _) = boss_permission_delta(c);
            c.address.keys[1] == "boss-group:public"
                || gained.iter().any(|n| BOSS_POWERFUL.contains(&n.as_str()))
        }
        _ => public,
    }
}
