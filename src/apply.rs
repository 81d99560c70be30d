//! Executes a plan: starts each step as soon as its dependencies are done (capped by the
//! parallelism), holds every revocation until every grant is done, stops starting new work
//! after a failure, and reports every change as applied, failed, blocked or skipped.

use std::collections::VecDeque;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use serde::Serialize;

use crate::plan::{Direction, Plan};
use crate::service::Registry;
use crate::service::{IdMap, Outcome};
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

/// Progress events, for a progress bar, and the caller's request to stop.
pub trait Progress: Sync {
    /// A step finished; `done` of `total` changes are settled.
    fn step_done(&self, done: usize, total: usize);
    /// Change `change` (its index in the plan) settled with `status`, before its step's
    /// [`Progress::step_done`]; changes never started are not reported.
    fn change_done(&self, _change: usize, _status: &ChangeStatus) {}
    /// Whether the caller asked to stop (a signal): no new step starts, calls in flight
    /// finish, and what did not start is reported skipped.
    fn stop_requested(&self) -> bool {
        false
    }
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
        while !stopped && running.len() < parallelism && !progress.stop_requested() {
            let Some(s) = ready.pop_front() else { break };
            let changes: Vec<_> = plan.steps[s]
                .changes
                .iter()
                .map(|&c| plan.changes[c].clone())
                .collect();
            let provider = registry.for_kind(changes[0].address.kind).cloned();
            running.push(async move {
                // Deletes the service carries out itself (with a guest collection's) are done
                // once the step they wait for is: nothing is sent.
                let carried = changes.iter().all(|c| !c.is_sent());
                let outcomes = match provider {
                    _ if carried => changes
                        .iter()
                        .map(|_| Outcome::Applied { server_id: None })
                        .collect(),
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
            progress.change_done(c, &st);
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    use async_trait::async_trait;

    use crate::plan::{Action, Change, Step};
    use crate::service::{Caller, LiveRead, Provider, ProviderError, Scope};
    use crate::state::Kind;

    /// Records the order of calls; fails the change whose path is `/fail/`.
    #[derive(Default)]
    struct Recorder {
        calls: Mutex<Vec<String>>,
    }

    #[async_trait]
    impl Provider for Recorder {
        fn name(&self) -> &'static str {
            "fake"
        }
        fn kinds(&self) -> &'static [Kind] {
            &[crate::state::kind::testing::RULE]
        }
        fn caller(&self) -> Caller {
            Caller::OAuthClient
        }
        async fn read(&self, _: &Scope) -> Result<LiveRead, ProviderError> {
            Ok(LiveRead::default())
        }
        async fn apply(&self, changes: &[Change], _: &IdMap) -> Vec<Outcome> {
            tokio::task::yield_now().await;
            changes
                .iter()
                .map(|c| {
                    self.calls.lock().unwrap().push(c.address.keys[1].clone());
                    if c.address.keys[1] == "/fail/" {
                        Outcome::Failed {
                            error: "boom".into(),
                        }
                    } else {
                        Outcome::Applied {
                            server_id: Some("id".into()),
                        }
                    }
                })
                .collect()
        }
    }

    fn plan(paths: &[(&str, Direction)], deps: &[(usize, usize)]) -> Plan {
        let changes: Vec<Change> = paths
            .iter()
            .map(|(p, d)| Change {
                address: Address::new(crate::state::kind::testing::RULE, ["ep", p, "anonymous"]),
                action: if *d == Direction::Revoke {
                    Action::Delete
                } else {
                    Action::Create
                },
                fields: vec![],
                before: None,
                after: None,
                direction: *d,
                reason: String::new(),
                provenance: None,
                labels: Default::default(),
                deleted_with: None,
            })
            .collect();
        let mut steps: Vec<Step> = (0..changes.len())
            .map(|i| Step {
                changes: vec![i],
                batch: None,
                depends_on: vec![],
            })
            .collect();
        for &(from, to) in deps {
            steps[to].depends_on.push(from);
        }
        Plan {
            format_version: 1,
            target: crate::plan::TargetInfo {
                name: "t".into(),
                kind: "embedded".into(),
                description: "t".into(),
            },
            workspace_digest: String::new(),
            workspace: None,
            live_checks: Default::default(),
            now: chrono::Utc::now(),
            changes,
            steps,
            kept: vec![],
            blocked: vec![],
            pending: vec![],
            violations: vec![],
            rails: Default::default(),
            expiring: Vec::new(),
            expiring_window: None,
            access: Default::default(),
            access_delta: Default::default(),
        }
    }

    #[tokio::test]
    async fn grants_run_before_revocations() {
        let rec = Arc::new(Recorder::default());
        let reg = Registry::new().with(rec.clone());
        let p = plan(
            &[
                ("/r1/", Direction::Revoke),
                ("/g1/", Direction::Grant),
                ("/g2/", Direction::Grant),
            ],
            &[],
        );
        let report = apply(&p, &reg, &IdMap::default(), 8, &()).await;
        assert!(!report.failed());
        let calls = rec.calls.lock().unwrap().clone();
        assert_eq!(calls.last().unwrap(), "/r1/", "{calls:?}");
    }

    #[tokio::test]
    async fn a_failure_stops_new_work_and_skips_the_rest() {
        let rec = Arc::new(Recorder::default());
        let reg = Registry::new().with(rec.clone());
        let p = plan(
            &[
                ("/fail/", Direction::Grant),
                ("/after/", Direction::Grant),
                ("/r/", Direction::Revoke),
            ],
            &[(0, 1)],
        );
        let report = apply(&p, &reg, &IdMap::default(), 1, &()).await;
        assert!(matches!(report.results[0].1, ChangeStatus::Failed { .. }));
        assert_eq!(report.results[1].1, ChangeStatus::Skipped);
        assert_eq!(report.results[2].1, ChangeStatus::Skipped);
        assert_eq!(rec.calls.lock().unwrap().len(), 1);
    }

    #[tokio::test]
    async fn created_ids_are_recorded() {
        let rec = Arc::new(Recorder::default());
        let reg = Registry::new().with(rec);
        let p = plan(&[("/a/", Direction::Grant)], &[]);
        let ids = IdMap::default();
        apply(&p, &reg, &ids, 2, &()).await;
        assert_eq!(ids.get(&p.changes[0].address).as_deref(), Some("id"));
    }

    /// Asks to stop once `after` steps are settled.
    struct StopAfter {
        after: usize,
        done: std::sync::atomic::AtomicUsize,
    }

    impl Progress for StopAfter {
        fn step_done(&self, done: usize, _: usize) {
            self.done.store(done, std::sync::atomic::Ordering::SeqCst);
        }
        fn stop_requested(&self) -> bool {
            self.done.load(std::sync::atomic::Ordering::SeqCst) >= self.after
        }
    }

    #[tokio::test]
    async fn a_stop_request_starts_nothing_new_and_skips_the_rest() {
        let rec = Arc::new(Recorder::default());
        let reg = Registry::new().with(rec.clone());
        let p = plan(
            &[
                ("/a/", Direction::Grant),
                ("/b/", Direction::Grant),
                ("/c/", Direction::Grant),
            ],
            &[],
        );
        let stop = StopAfter {
            after: 1,
            done: Default::default(),
        };
        let report = apply(&p, &reg, &IdMap::default(), 1, &stop).await;
        assert_eq!(report.results[0].1, ChangeStatus::Applied);
        assert_eq!(report.results[1].1, ChangeStatus::Skipped);
        assert_eq!(report.results[2].1, ChangeStatus::Skipped);
        assert_eq!(rec.calls.lock().unwrap().len(), 1);
    }

    /// Records each change as it settles.
    #[derive(Default)]
    struct Settled(std::sync::Mutex<Vec<(usize, ChangeStatus)>>);

    impl Progress for Settled {
        fn step_done(&self, _: usize, _: usize) {}
        fn change_done(&self, change: usize, status: &ChangeStatus) {
            self.0.lock().unwrap().push((change, status.clone()));
        }
    }

    #[tokio::test]
    async fn each_started_change_is_reported_as_it_settles() {
        let rec = Arc::new(Recorder::default());
        let reg = Registry::new().with(rec);
        let p = plan(
            &[("/fail/", Direction::Grant), ("/after/", Direction::Grant)],
            &[(0, 1)],
        );
        let settled = Settled::default();
        let report = apply(&p, &reg, &IdMap::default(), 1, &settled).await;
        let seen = settled.0.lock().unwrap().clone();
        assert_eq!(seen.len(), 1, "the skipped change never settled: {seen:?}");
        assert_eq!(seen[0].0, 0);
        assert_eq!(seen[0].1, report.results[0].1);
    }
}
