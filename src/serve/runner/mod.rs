//! Runs actions: each one is a background task doing what `accord plan`, `accord drift` or
//! `accord apply --auto-approve` does on one workspace, through the engine the CLI uses, and
//! recording its progress, log and result in the store.
//!
//! Rules it keeps:
//! - an apply (and a plan or drift on an embedded target, whose state it saves) holds the
//!   workspace lock ([`super::lock`]) from before it reads until it is done; a second one
//!   waits ACTIVE, its display status naming the holder, or is refused (`when_busy`);
//! - at most `max_running` actions do work at once; the rest wait their turn, ACTIVE;
//! - cancel stops an action at once until it starts sending changes; after that it stops the
//!   apply from starting any further change (as a failure does) and the action ends FAILED;
//! - a provider that stopped mid-action finds the action ACTIVE on restart and ends it FAILED
//!   with the reason ([`recover`]): nothing stays ACTIVE.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use tokio::sync::{Notify, Semaphore};

mod cancel;
mod recover;
mod text;

use cancel::{CancelFlag, cancellable};
use recover::end_interrupted;
pub use recover::recover;
use text::{cap, diagnostics_text, holder_text, plan_markdown, problems_text, summary};

use super::config::{ServeConfig, WhenBusy};
use super::lock::{self, Busy};
use super::model::{Input, Operation, StatusValue, display};
use super::store::{Phase, Store, StoreError, StoredAction};
use super::workspaces;
use crate::apply::{ApplyReport, ChangeStatus, Progress};
use crate::engine::{self, EngineError, PlanOptions};
use crate::http::HttpOptions;
use crate::lock::LockInfo;
use crate::plan::Plan;
use crate::plan::render;
use crate::policy::source::Containment;
use crate::policy::{self, Workspace};

/// How often a waiting action looks at the lock again without being woken.
const LOCK_POLL: Duration = Duration::from_millis(500);

/// What the runner needs to run actions.
#[derive(Debug, Clone)]
pub struct RunnerConfig {
    /// The folder whose sub-folders are the workspaces.
    pub workspaces: PathBuf,
    /// `--target`: every workspace runs against it instead of its default target.
    pub target: Option<String>,
    /// HTTP options of the runs (`--ca-file`).
    pub http: HttpOptions,
    /// `--now`: the clock of every plan (expiry); the wall clock when unset.
    pub now: Option<DateTime<Utc>>,
    /// The services accord manages.
    pub services: crate::service::Services,
}

/// A running action's handle.
struct Running {
    abort: tokio::task::AbortHandle,
    applying: bool,
    cancel: Arc<CancelFlag>,
}

/// What cancel did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cancelled {
    /// The action was stopped and is now FAILED.
    Stopped,
    /// The action is sending changes: it starts no further change and ends FAILED soon.
    Stopping,
    /// This process is not running it (it finished meanwhile).
    NotRunning,
}

/// Runs actions in the background.
pub struct Runner {
    store: Store,
    config: Arc<ServeConfig>,
    run: RunnerConfig,
    slots: Semaphore,
    running: Mutex<HashMap<String, Running>>,
    lock_released: Notify,
    finished: AtomicUsize,
}

impl std::fmt::Debug for Runner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runner").finish_non_exhaustive()
    }
}

/// How an action ended, before it is stored.
struct End {
    status: StatusValue,
    display: String,
    details: Value,
    code: &'static str,
}

impl End {
    fn failed(code: &'static str, description: impl Into<String>, mut details: Value) -> End {
        let description = description.into();
        if let Some(map) = details.as_object_mut() {
            map.insert(
                "error".into(),
                json!({"code": code, "description": description}),
            );
        }
        End {
            status: StatusValue::Failed,
            display: display(format!("Failed: {description}")),
            details,
            code,
        }
    }
}

/// Apply progress, shown as the display status (written at most every quarter second, and
/// when the last change settles).
struct ApplyProgress<'a> {
    store: &'a Store,
    action_id: &'a str,
    last: Mutex<Option<std::time::Instant>>,
}

const PROGRESS_EVERY: Duration = Duration::from_millis(250);

impl Progress for ApplyProgress<'_> {
    fn step_done(&self, done: usize, total: usize) {
        {
            let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
            if done < total && last.is_some_and(|t| t.elapsed() < PROGRESS_EVERY) {
                return;
            }
            *last = Some(std::time::Instant::now());
        }
        let text = format!("Applying: {done}/{total} changes settled");
        if let Err(e) = self
            .store
            .progress(self.action_id, Phase::Applying, &text, None)
        {
            tracing::warn!("recording progress: {e}");
        }
    }
}

impl Runner {
    /// A runner storing in `store`.
    pub fn new(store: Store, config: Arc<ServeConfig>, run: RunnerConfig) -> Runner {
        Runner {
            store,
            slots: Semaphore::new(config.max_running),
            config,
            run,
            running: Mutex::new(HashMap::new()),
            lock_released: Notify::new(),
            finished: AtomicUsize::new(0),
        }
    }

    /// How many actions this runner finished (for tests and the load run).
    pub fn finished(&self) -> usize {
        self.finished.load(Ordering::Relaxed)
    }

    /// The folder of `workspace` when it is served ([`workspaces::root`]).
    pub fn workspace_root(&self, workspace: &str) -> Result<PathBuf, Containment> {
        workspaces::root(&self.run.workspaces, workspace)
    }

    /// The workspaces served, sorted (for error messages).
    pub fn workspace_names(&self) -> Vec<String> {
        workspaces::names(&self.run.workspaces)
    }

    /// Starts running a stored action in the background.
    pub fn start(self: &Arc<Self>, action: &StoredAction) {
        let id = action.status.action_id.clone();
        let input = action.input.clone();
        let deadline = action
            .deadline
            .as_deref()
            .and_then(|d| DateTime::parse_from_rfc3339(d).ok())
            .map(|d| d.with_timezone(&Utc));
        let cancel = Arc::new(CancelFlag::default());
        let me = self.clone();
        let flag = cancel.clone();
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        let task_id = id.clone();
        let handle = tokio::spawn(async move {
            me.run_one(&task_id, &input, deadline, &flag).await;
            me.running
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&task_id);
            me.finished.fetch_add(1, Ordering::Relaxed);
        });
        running.insert(
            id,
            Running {
                abort: handle.abort_handle(),
                applying: false,
                cancel,
            },
        );
    }

    /// Cancels a running action on behalf of `who`.
    pub async fn cancel(&self, action_id: &str, who: &str) -> Result<Cancelled, StoreError> {
        let stopped = {
            let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
            match running.get(action_id) {
                None => return Ok(Cancelled::NotRunning),
                Some(r) if r.applying => {
                    r.cancel.set(who);
                    None
                }
                Some(_) => running.remove(action_id),
            }
        };
        let Some(r) = stopped else {
            let (id, who) = (action_id.to_string(), who.to_string());
            self.store
                .write(move |s| {
                    s.request_cancel(&id, &who)?;
                    s.log(
                        &id,
                        "CancelRequested",
                        &format!("{who} asked to cancel: no further change will be sent"),
                        &json!({"cancelled_by": who}),
                    )
                })
                .await?;
            return Ok(Cancelled::Stopping);
        };
        r.abort.abort();
        self.lock_released.notify_waiters();
        let (id, by) = (action_id.to_string(), who.to_string());
        let description = format!("cancelled by {who} before any change was sent");
        let details = json!({
            "cancelled_by": who,
            "error": {"code": "Cancelled", "description": description},
        });
        let text = display(format!("Cancelled by {who}"));
        self.store
            .write(move |s| {
                s.finish(
                    &id,
                    StatusValue::Failed,
                    &text,
                    &details,
                    ("Cancelled", &description, &json!({"cancelled_by": by})),
                )?;
                Ok(())
            })
            .await?;
        self.finished.fetch_add(1, Ordering::Relaxed);
        Ok(Cancelled::Stopped)
    }

    /// Stops every action this runner is running (the provider is shutting down): each ends
    /// FAILED, saying so, as a restart would end it.
    pub async fn stop_all(&self) -> Result<usize, StoreError> {
        let stopped: Vec<(String, Running)> = self
            .running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain()
            .collect();
        for (_, r) in &stopped {
            r.abort.abort();
        }
        let ids: Vec<String> = stopped.into_iter().map(|(id, _)| id).collect();
        self.store
            .write(move |s| end_interrupted(s, Some(&ids)))
            .await
    }

    async fn progress(&self, id: &str, phase: Phase, text: String) {
        let (id, text) = (id.to_string(), display(text));
        let result = self
            .store
            .write(move |s| s.progress(&id, phase, &text, None))
            .await;
        if let Err(e) = result {
            tracing::warn!("recording progress: {e}");
        }
    }

    async fn log(&self, id: &str, code: &str, description: String, details: Value) {
        let (id, code) = (id.to_string(), code.to_string());
        if let Err(e) = self
            .store
            .write(move |s| s.log(&id, &code, &description, &details))
            .await
        {
            tracing::warn!("recording a log entry: {e}");
        }
    }

    /// Runs one action to its end and stores the end.
    async fn run_one(
        &self,
        id: &str,
        input: &Input,
        deadline: Option<DateTime<Utc>>,
        cancel: &Arc<CancelFlag>,
    ) {
        self.log(
            id,
            "ActionStarted",
            format!(
                "{} of workspace {}",
                input.operation.as_str(),
                input.workspace
            ),
            json!({"operation": input.operation, "workspace": input.workspace}),
        )
        .await;
        let end = self.execute(id, input, deadline, cancel).await;
        let (key, end_code) = (id.to_string(), end.code);
        let description = end.display.clone();
        let log_details = end.details.get("error").cloned().unwrap_or(json!({}));
        let result = self
            .store
            .write(move |s| {
                s.finish(
                    &key,
                    end.status,
                    &end.display,
                    &end.details,
                    (end_code, &description, &log_details),
                )?;
                Ok(())
            })
            .await;
        if let Err(e) = result {
            tracing::error!("storing the end of action {id}: {e}");
        }
    }

    async fn execute(
        &self,
        id: &str,
        input: &Input,
        deadline: Option<DateTime<Utc>>,
        cancel: &Arc<CancelFlag>,
    ) -> End {
        let base = json!({"operation": input.operation, "workspace": input.workspace});
        // Checked again: the folder may have changed since the run was accepted.
        let root = match self.workspace_root(&input.workspace) {
            Ok(root) => root,
            Err(e) => {
                let why = workspaces::why_not(&input.workspace, &e);
                return End::failed("WorkspaceNotServed", why, base);
            }
        };
        let ws = match tokio::task::spawn_blocking({
            let root = root.clone();
            let services = self.run.services.clone();
            move || policy::load_workspace(&root, &services)
        })
        .await
        {
            Ok(Ok(ws)) => ws,
            Ok(Err(d)) => {
                let mut details = base.clone();
                details["diagnostics"] = diagnostics_text(&d).into();
                return End::failed(
                    "InvalidPolicy",
                    format!("the policy of workspace {} is invalid", input.workspace),
                    details,
                );
            }
            Err(e) => return End::failed("InternalError", e.to_string(), base),
        };
        let needs_lock = input.operation == Operation::Apply
            || crate::target::is_embedded(&ws, self.run.target.as_deref());
        let _guard = if needs_lock {
            match self.lock(id, input, &root, deadline, &base).await {
                Ok(g) => Some(g),
                Err(end) => return end,
            }
        } else {
            None
        };
        let _permit = match self.slots.try_acquire() {
            Ok(p) => p,
            Err(_) => {
                self.progress(
                    id,
                    Phase::Queued,
                    "Queued: waiting for a free runner".into(),
                )
                .await;
                match self.slots.acquire().await {
                    Ok(p) => p,
                    Err(e) => return End::failed("InternalError", e.to_string(), base),
                }
            }
        };
        if let Some(d) = deadline
            && Utc::now() > d
        {
            return End::failed(
                "DeadlinePassed",
                format!("the deadline {d} passed before the action could start"),
                base,
            );
        }
        let end = self.work(id, input, &ws, cancel, base).await;
        // The guard drops here: wake the actions waiting for this workspace.
        drop(_guard);
        self.lock_released.notify_waiters();
        end
    }

    /// Takes the workspace lock, waiting (ACTIVE) or refusing per `when_busy`.
    async fn lock(
        &self,
        id: &str,
        input: &Input,
        root: &std::path::Path,
        deadline: Option<DateTime<Utc>>,
        base: &Value,
    ) -> Result<lock::WorkspaceGuard, End> {
        let info = LockInfo::current(format!(
            "accord serve: {} {} (action {id})",
            input.operation.as_str(),
            input.workspace
        ));
        let mut waiting_for: Option<String> = None;
        loop {
            // Registered before trying, so a release between the try and the wait is seen.
            let released = self.lock_released.notified();
            let attempt = tokio::task::spawn_blocking({
                let (store, name, root, id, info) = (
                    self.store.clone(),
                    input.workspace.clone(),
                    root.to_path_buf(),
                    id.to_string(),
                    info.clone(),
                );
                move || lock::acquire(&store, &name, &root, &id, &info)
            })
            .await;
            let holder = match attempt {
                Ok(Ok(guard)) => {
                    if let Some(h) = &waiting_for {
                        self.log(
                            id,
                            "LockAcquired",
                            format!("workspace {} is free (was held by {h})", input.workspace),
                            json!({}),
                        )
                        .await;
                    }
                    return Ok(guard);
                }
                Ok(Err(Busy::Held(holder))) => holder,
                Ok(Err(Busy::Failed(e))) => {
                    return Err(End::failed("LockError", e.to_string(), base.clone()));
                }
                Err(e) => return Err(End::failed("InternalError", e.to_string(), base.clone())),
            };
            let who = holder_text(&holder);
            if self.config.when_busy == WhenBusy::Refuse {
                let mut details = base.clone();
                details["locked_by"] = serde_json::to_value(&*holder).unwrap_or_default();
                return Err(End::failed(
                    "WorkspaceBusy",
                    format!("workspace {} is busy: {who}", input.workspace),
                    details,
                ));
            }
            if waiting_for.as_deref() != Some(who.as_str()) {
                let text = format!("Waiting: workspace {} is busy ({who})", input.workspace);
                let (key, details) = (id.to_string(), {
                    let mut d = base.clone();
                    d["waiting_for"] = serde_json::to_value(&*holder).unwrap_or_default();
                    d
                });
                let shown = display(&text);
                let _ = self
                    .store
                    .write(move |s| s.progress(&key, Phase::Waiting, &shown, Some(&details)))
                    .await;
                self.log(
                    id,
                    "WaitingForLock",
                    text,
                    serde_json::to_value(&*holder).unwrap_or_default(),
                )
                .await;
                waiting_for = Some(who);
            }
            if let Some(d) = deadline
                && Utc::now() > d
            {
                return Err(End::failed(
                    "DeadlinePassed",
                    format!(
                        "the deadline {d} passed while waiting for workspace {}",
                        input.workspace
                    ),
                    base.clone(),
                ));
            }
            tokio::select! {
                _ = released => {}
                _ = tokio::time::sleep(LOCK_POLL) => {}
            }
        }
    }

    /// Connects, plans, and for apply applies: the operation itself.
    async fn work(
        &self,
        id: &str,
        input: &Input,
        ws: &Workspace,
        cancel: &Arc<CancelFlag>,
        mut details: Value,
    ) -> End {
        self.progress(
            id,
            Phase::Planning,
            "Planning: reading the live state".into(),
        )
        .await;
        let mut conn = match crate::target::connect_with(
            &self.run.services,
            Some(ws),
            self.run.target.as_deref(),
            self.run.now,
            self.run.http.clone(),
        )
        .await
        {
            Ok(c) => c,
            Err(e) => return End::failed("TargetError", e.to_string(), details),
        };
        details["target"] =
            json!({"name": conn.session.target.name, "kind": conn.session.target.kind});
        if input.operation == Operation::Apply {
            conn.session.registry = cancellable(&conn.session.registry, cancel);
        }
        let planned = engine::plan(
            ws,
            &conn.session,
            &PlanOptions {
                now: self.run.now,
                ..PlanOptions::default()
            },
        )
        .await;
        let end = match planned {
            Err(EngineError::Problems(p)) => {
                details["diagnostics"] = problems_text(ws, &p).into();
                End::failed(
                    "InvalidPolicy",
                    format!("the policy of workspace {} has problems", input.workspace),
                    details,
                )
            }
            Err(e) => End::failed("PlanFailed", e.to_string(), details),
            Ok(planned) => {
                self.finish_operation(id, input, planned, &conn, cancel, details)
                    .await
            }
        };
        match conn.finish().await {
            Ok(()) => end,
            Err(e) => {
                let mut d = end.details;
                d["saved_state"] = false.into();
                End::failed(
                    "StateNotSaved",
                    format!("the embedded target's state could not be saved: {e}"),
                    d,
                )
            }
        }
    }

    async fn finish_operation(
        &self,
        id: &str,
        input: &Input,
        planned: engine::Planned,
        conn: &crate::target::Connected,
        cancel: &Arc<CancelFlag>,
        mut details: Value,
    ) -> End {
        let plan = &planned.plan;
        details["summary"] = summary(plan);
        let refused = plan.is_refused();
        match input.operation {
            Operation::Plan => {
                details["markdown"] = plan_markdown(plan).into();
                if refused {
                    return End::failed(
                        "PlanRefused",
                        "the safety rails refuse this plan",
                        details,
                    );
                }
                let text = details["summary"]["text"]
                    .as_str()
                    .unwrap_or("")
                    .to_string();
                End {
                    status: StatusValue::Succeeded,
                    display: display(text),
                    details,
                    code: "ActionSucceeded",
                }
            }
            Operation::Drift => {
                let drift = crate::plan::drift::drift(plan);
                details["drift_found"] = (!drift.items.is_empty()).into();
                details["drifted"] = drift.items.len().into();
                details["markdown"] = cap(drift.markdown()).into();
                details["plan_markdown"] = plan_markdown(plan).into();
                let text = if drift.items.is_empty() {
                    "No drift".to_string()
                } else {
                    format!(
                        "Drift: {} object(s) differ from the policy",
                        drift.items.len()
                    )
                };
                End {
                    status: StatusValue::Succeeded,
                    display: display(text),
                    details,
                    code: "ActionSucceeded",
                }
            }
            Operation::Apply => {
                details["markdown"] = plan_markdown(plan).into();
                if refused {
                    return End::failed(
                        "PlanRefused",
                        "the safety rails refuse this plan; nothing was applied",
                        details,
                    );
                }
                if plan.is_empty() {
                    details["apply"] = json!({"applied": 0, "failed": 0, "blocked": 0, "skipped": 0, "outcomes": []});
                    return End {
                        status: StatusValue::Succeeded,
                        display: "No changes".into(),
                        details,
                        code: "ActionSucceeded",
                    };
                }
                if !self.enter_apply(id) {
                    // Cancelled between planning and applying: the cancel stored the end.
                    let who = cancel.get().unwrap_or_default();
                    return End::failed("Cancelled", format!("cancelled by {who}"), details);
                }
                self.progress(
                    id,
                    Phase::Applying,
                    format!("Applying: 0/{} changes settled", plan.changes.len()),
                )
                .await;
                self.log(
                    id,
                    "ApplyStarted",
                    format!("sending {} change(s)", plan.changes.len()),
                    details["summary"].clone(),
                )
                .await;
                let progress = ApplyProgress {
                    store: &self.store,
                    action_id: id,
                    last: Mutex::new(None),
                };
                let report = engine::apply_plan(
                    plan,
                    &conn.session,
                    &planned.ids,
                    self.config.parallelism,
                    &progress,
                )
                .await;
                self.apply_end(plan, &report, cancel, details)
            }
        }
    }

    /// Marks the action as applying, unless it was cancelled; false when cancelled.
    fn enter_apply(&self, id: &str) -> bool {
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        match running.get_mut(id) {
            Some(r) if r.cancel.get().is_none() => {
                r.applying = true;
                true
            }
            _ => false,
        }
    }

    fn apply_end(
        &self,
        plan: &Plan,
        report: &ApplyReport,
        cancel: &Arc<CancelFlag>,
        mut details: Value,
    ) -> End {
        let outcomes: Vec<Value> = report
            .results
            .iter()
            .enumerate()
            .map(|(i, (address, status))| {
                let label = plan
                    .changes
                    .get(i)
                    .map(render::change_label)
                    .unwrap_or_default();
                let mut o = serde_json::to_value(status).unwrap_or_default();
                o["address"] = address.to_string().into();
                o["label"] = label.into();
                o
            })
            .collect();
        let applied = report.count(|s| matches!(s, ChangeStatus::Applied));
        let failed = report.count(|s| matches!(s, ChangeStatus::Failed { .. }));
        let blocked = report.count(|s| matches!(s, ChangeStatus::Blocked { .. }));
        let skipped = report.count(|s| matches!(s, ChangeStatus::Skipped));
        details["apply"] = json!({
            "applied": applied, "failed": failed, "blocked": blocked, "skipped": skipped,
            "outcomes": outcomes,
        });
        let text = format!(
            "Apply: {applied} applied, {failed} failed, {blocked} blocked, {skipped} skipped"
        );
        if let Some(who) = cancel.get() {
            details["cancelled_by"] = who.clone().into();
            let mut end = End::failed(
                "Cancelled",
                format!("cancelled by {who} during apply; {text}. Run apply again to converge"),
                details,
            );
            end.display = display(format!("Cancelled by {who}"));
            return end;
        }
        if failed > 0 {
            return End::failed(
                "ApplyFailed",
                format!(
                    "{text}. A failure stopped new work; run apply again: it re-reads the live state and converges"
                ),
                details,
            );
        }
        End {
            status: StatusValue::Succeeded,
            display: display(text),
            details,
            code: "ActionSucceeded",
        }
    }
}
