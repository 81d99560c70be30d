//! Executes a plan: starts each step as soon as its dependencies are done (capped by the
//! parallelism), holds every revocation until every grant is done, stops starting new work
//! after a failure, and reports every change as applied, failed, blocked or skipped.

use std::collections::VecDeque;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use serde::Serialize;

use crate::plan::{Direction, Plan};
use crate::providers::registry::Registry;
use crate::providers::{IdMap, Outcome};
use crate::state::Address;

/// The outcome of one change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum ChangeStatus {
    /// Done.
    Applied,
    /// The service refused or failed.
    Failed {
        /// What the service said.
        error: String,
    },
    /// The service will not do it for this principal; not a failure.
    Blocked {
        /// Why.
        reason: String,
    },
    /// Not started: an earlier failure stopped new work, or a dependency failed.
    Skipped,
}

/// What apply did, one entry per plan change, in plan order.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ApplyReport {
    /// Each change's address and outcome.
    pub results: Vec<(Address, ChangeStatus)>,
}

impl ApplyReport {
    /// Whether any change failed.
    pub fn failed(&self) -> bool {
        self.results
            .iter()
            .any(|(_, s)| matches!(s, ChangeStatus::Failed { .. }))
    }

    /// How many changes ended with the given status kind.
    pub fn count(&self, pred: impl Fn(&ChangeStatus) -> bool) -> usize {
        self.results.iter().filter(|(_, s)| pred(s)).count()
    }
}

/// Progress events, for a progress bar.
pub trait Progress: Sync {
    /// A step finished; `done` of `total` changes are settled.
    fn step_done(&self, done: usize, total: usize);
}

impl Progress for () {
    fn step_done(&self, _: usize, _: usize) {}
}

/// Applies a plan with the given providers.
pub async fn apply(
    plan: &Plan,
    registry: &Registry,
    ids: &IdMap,
    parallelism: usize,
    progress: &dyn Progress,
) -> ApplyReport {
    let n_steps = plan.steps.len();
    let mut status: Vec<Option<ChangeStatus>> = vec![None; plan.changes.len()];
    let is_grant = |s: usize| {
        plan.steps[s]
            .changes
            .iter()
            .any(|&c| plan.changes[c].direction == Direction::Grant)
    };
    let is_revoke = |s: usize| {
        plan.steps[s]
            .changes
            .iter()
            .any(|&c| plan.changes[c].direction == Direction::Revoke)
    };
    let mut waiting_on: Vec<usize> = plan.steps.iter().map(|s| s.depends_on.len()).collect();
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); n_steps];
    for (i, s) in plan.steps.iter().enumerate() {
        for &d in &s.depends_on {
            dependents[d].push(i);
        }
    }
    let mut grants_left = (0..n_steps).filter(|&s| is_grant(s)).count();
    let mut held: Vec<usize> = Vec::new();
    let mut ready: VecDeque<usize> = VecDeque::new();
    for s in (0..n_steps).filter(|&s| waiting_on[s] == 0) {
        if is_revoke(s) && grants_left > 0 {
            held.push(s)
        } else {
            ready.push_back(s)
        }
    }
    let mut stopped = false;
    let mut settled = 0;
    let mut running = FuturesUnordered::new();
    let parallelism = parallelism.max(1);

    loop {
        while !stopped && running.len() < parallelism {
            let Some(s) = ready.pop_front() else { break };
            let changes: Vec<_> = plan.steps[s]
                .changes
                .iter()
                .map(|&c| plan.changes[c].clone())
                .collect();
            let provider = registry.for_kind(changes[0].address.kind).cloned();
            running.push(async move {
                let outcomes = match provider {
                    Some(p) => p.apply(&changes, ids).await,
                    None => changes
                        .iter()
                        .map(|c| Outcome::Failed {
                            error: format!("no provider manages {}", c.address.kind),
                        })
                        .collect(),
                };
                (s, outcomes)
            });
        }
        let Some((s, outcomes)) = running.next().await else {
            break;
        };
        let mut ok = true;
        for (k, &c) in plan.steps[s].changes.iter().enumerate() {
            let st = match outcomes.get(k).cloned() {
                Some(Outcome::Applied { server_id }) => {
                    if let Some(id) = server_id {
                        ids.insert(plan.changes[c].address.clone(), id);
                    }
                    ChangeStatus::Applied
                }
                Some(Outcome::Blocked { reason }) => ChangeStatus::Blocked { reason },
                Some(Outcome::Failed { error }) => {
                    ok = false;
                    ChangeStatus::Failed { error }
                }
                None => {
                    ok = false;
                    ChangeStatus::Failed {
                        error: "the provider reported no outcome".into(),
                    }
                }
            };
            status[c] = Some(st);
        }
        settled += plan.steps[s].changes.len();
        progress.step_done(settled, plan.changes.len());
        if !ok {
            // A failure stops new work; calls in flight finish and are reported.
            stopped = true;
            continue;
        }
        if is_grant(s) {
            grants_left -= 1;
            if grants_left == 0 {
                ready.extend(held.drain(..));
            }
        }
        for &d in &dependents[s] {
            waiting_on[d] -= 1;
            if waiting_on[d] == 0 {
                if is_revoke(d) && grants_left > 0 {
                    held.push(d)
                } else {
                    ready.push_back(d)
                }
            }
        }
    }
    ApplyReport {
        results: plan
            .changes
            .iter()
            .zip(status)
            .map(|(c, s)| (c.address.clone(), s.unwrap_or(ChangeStatus::Skipped)))
            .collect(),
    }
}
