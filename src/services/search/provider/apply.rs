//! What `apply` sends Search: role creates (adopting a role that exists) and deletes, and
//! per step of entry updates (an index's grants, or its revocations) one re-read of its
//! subjects and one ingest of their entries with their desired access, waited for to its end.

use std::time::Duration;

use crate::http::HttpRequest;
use crate::plan::{Action, Change};
use crate::service::{IdMap, Outcome, failed};
use crate::services::search::wire::{
    GIngest, GMetaEntry, ROLE_NAMES, Role, RoleCreate, Task, TaskState, TaskSubmitResponse,
};

use super::access::{DesiredAccess, gmeta_entries, role_urn};
use super::{NO_SUCH_INDEX, SearchProvider, segment};

/// How long an ingest task is waited for, before backoff scaling.
pub const TASK_WAIT: Duration = Duration::from_secs(300);
/// The wait before an ingest task's first poll (the client's first backoff delay).
pub const FIRST_POLL: Duration = Duration::from_millis(500);
/// The longest wait between two polls of a task.
pub const MAX_POLL_GAP: Duration = Duration::from_secs(10);
/// The most polls of one ingest task ([`poll_delays`]: 0.5, 1, 2, 4, 8 s, then every 10 s
/// to [`TASK_WAIT`]).
pub const MAX_TASK_POLLS: usize = 34;
/// The largest ingest body accord sends: Search takes requests up to 10 MB; a batch past it
/// is sent as several ingests, each subject's entries in one.
pub const MAX_INGEST_BYTES: usize = 9_000_000;

/// Why accord never creates or deletes a Search subject.
const NOT_CONTENT: &str =
    "accord manages access to Search subjects, not content: it never creates or deletes a subject";

impl SearchProvider {
    /// Sends one change: the calls its kind and action need.
    pub(super) async fn apply_one(&self, change: &Change, ids: &IdMap) -> Outcome {
        match change.address.kind {
            k_ if k_ == crate::services::search::ROLE => match change.action {
                Action::Create => self.create_role(change, ids).await,
                Action::Delete => self.delete_role(change, ids).await,
                // A role has no managed attribute (`expires` is accord's own): nothing to send.
                Action::Update => Outcome::Applied {
                    server_id: server_id(change, ids),
                },
                Action::Replace => match self.delete_role(change, ids).await {
                    Outcome::Applied { .. } => self.create_role(change, ids).await,
                    other => other,
                },
            },
            k_ if k_ == crate::services::search::ENTRY => match change.action {
                Action::Update => match change.address.keys.first() {
                    Some(index) => self
                        .update_entries(index, &[change], ids)
                        .await
                        .pop()
                        .unwrap_or_else(|| failed("no outcome")),
                    None => failed(format!("{}: not a Search entry address", change.address)),
                },
                Action::Create | Action::Delete | Action::Replace => failed(format!(
                    "{}: cannot {} a Search subject: {NOT_CONTENT}",
                    change.address,
                    match change.action {
                        Action::Create => "create",
                        Action::Delete => "delete",
                        _ => "replace",
                    }
                )),
            },
            other => failed(format!("the search provider does not manage {other}")),
        }
    }

    async fn create_role(&self, change: &Change, ids: &IdMap) -> Outcome {
        let [index, role, key] = &change.address.keys[..] else {
            return failed(format!("{}: not a Search role address", change.address));
        };
        if !ROLE_NAMES.contains(&role.as_str()) {
            return failed(format!(
                "{}: unknown Search role `{role}` (owner, admin or writer)",
                change.address
            ));
        }
        let principal = match role_urn(key, ids) {
            Ok(u) => u,
            Err(e) => return failed(format!("{}: {e}", change.address)),
        };
        let body = RoleCreate {
            role_name: role.clone(),
            principal: principal.clone(),
            extra: Default::default(),
        };
        let req = HttpRequest::post(
            crate::services::search::api::ID,
            format!("/v1/index/{}/role", segment(index)),
        )
        .json(&body)
        .create();
        let adopted = |id: String| {
            ids.insert(change.address.clone(), id.clone());
            Outcome::Applied {
                server_id: Some(id),
            }
        };
        let mut backoff = self.http.create_backoff();
        loop {
            match self.http.send(&req).await {
                Ok(resp) => {
                    return match resp.json::<Role>() {
                        Ok(r) => adopted(r.id),
                        Err(e) => failed(e),
                    };
                }
                // The role exists already (`Conflict.DuplicateRole`): adopt it.
                Err(e) if e.status() == Some(409) => {
                    return match self.find_role(index, role, &principal).await {
                        Ok(Some(id)) => {
                            tracing::info!(%index, %role, %principal, %id, "role exists already; adopted");
                            adopted(id)
                        }
                        Ok(None) => failed(e),
                        Err(e2) => failed(format!("{e}; re-reading the roles failed: {e2}")),
                    };
                }
                Err(e) if e.is_maybe_applied() => {
                    // Never resend blindly: re-read and adopt what the create made.
                    if !self.http.pause_before_retry(&mut backoff, &e).await {
                        return failed(e);
                    }
                    match self.find_role(index, role, &principal).await {
                        Ok(Some(id)) => {
                            tracing::info!(%index, %role, %principal, %id, "create may have applied; adopted the role found");
                            return adopted(id);
                        }
                        Ok(None) => continue,
                        Err(e2) => {
                            return failed(format!("{e}; re-reading the roles failed: {e2}"));
                        }
                    }
                }
                Err(e) if e.status() == Some(403) => {
                    return failed(format!(
                        "{e} (accord's client needs the admin or owner role on index {index}, and owner to grant owner)"
                    ));
                }
                Err(e) => return failed(e),
            }
        }
    }

    async fn delete_role(&self, change: &Change, ids: &IdMap) -> Outcome {
        let Some(index) = change.address.keys.first() else {
            return failed(format!("{}: not a Search role address", change.address));
        };
        let Some(id) = server_id(change, ids) else {
            return failed(format!("{}: no known role id", change.address));
        };
        let req = HttpRequest::delete(
            crate::services::search::api::ID,
            format!("/v1/index/{}/role/{}", segment(index), segment(&id)),
        );
        match self.http.send(&req).await {
            Ok(_) => Outcome::Applied { server_id: None },
            Err(e) if e.status() == Some(404) && e.code() != Some(NO_SUCH_INDEX) => {
                Outcome::Applied { server_id: None }
            }
            Err(e) => failed(e),
        }
    }

    /// Sends a batch of entry updates of one index (one step: its grants, or its
    /// revocations): the subjects re-read together right before, then one ingest of every
    /// subject's entries (more only past [`MAX_INGEST_BYTES`]), each waited for to its end.
    /// Returns one outcome per change, in order.
    pub(super) async fn update_entries(
        &self,
        index: &str,
        changes: &[&Change],
        ids: &IdMap,
    ) -> Vec<Outcome> {
        let mut out: Vec<Option<Outcome>> = vec![None; changes.len()];
        // (position, subject, desired access) of the changes still to send.
        let mut todo = Vec::with_capacity(changes.len());
        for (i, change) in changes.iter().enumerate() {
            let [_, subject] = &change.address.keys[..] else {
                out[i] = Some(failed(format!(
                    "{}: not a Search entry address",
                    change.address
                )));
                continue;
            };
            let Some(after) = &change.after else {
                out[i] = Some(failed("update without a desired object"));
                continue;
            };
            match DesiredAccess::of(after, ids) {
                Ok(d) => todo.push((i, subject.as_str(), d)),
                Err(e) => out[i] = Some(failed(format!("{}: {e}", change.address))),
            }
        }
        // Re-read right before: the ingest sends back every entry, content included, as it
        // is now (Search has no partial or conditional update).
        let subjects: Vec<&str> = todo.iter().map(|(_, s, _)| *s).collect();
        let read = if subjects.is_empty() {
            Ok(Default::default())
        } else {
            self.read_subjects(index, &subjects, true).await
        };
        let results = match read {
            Ok(r) => r,
            Err(e) => {
                for (i, _, _) in &todo {
                    out[*i] = Some(failed(&e));
                }
                return finish(out);
            }
        };
        // Each subject's entries with the position of its change.
        let mut subjects = Vec::with_capacity(todo.len());
        for (i, subject, desired) in todo {
            let Some(result) = results.get(subject).and_then(Option::as_ref) else {
                out[i] = Some(Outcome::Blocked {
                    reason: "the subject is not in the index; accord manages access, not content: ingest it first".into(),
                });
                continue;
            };
            let entries = match gmeta_entries(result, &desired) {
                Ok(e) => e,
                Err(e) => {
                    out[i] = Some(failed(format!("{}: {e}", changes[i].address)));
                    continue;
                }
            };
            subjects.push((i, entries));
        }
        let mut stopped: Option<String> = None;
        for (at, entries) in pack(subjects, MAX_INGEST_BYTES) {
            let outcome = match &stopped {
                Some(why) => failed(format!("not sent: {why}")),
                None => self.ingest(index, entries).await,
            };
            if let Outcome::Failed { error } = &outcome {
                stopped.get_or_insert_with(|| {
                    format!("an earlier ingest of this batch failed ({error})")
                });
            }
            for i in at {
                out[i] = Some(outcome.clone());
            }
        }
        finish(out)
    }

    /// `POST /v1/index/{INDEX}/ingest` of a `GMetaList`, waited for to its end. An ingest sets
    /// the entries to the values sent: resending it is harmless.
    async fn ingest(&self, index: &str, entries: Vec<GMetaEntry>) -> Outcome {
        let req = HttpRequest::post(
            crate::services::search::api::ID,
            format!("/v1/index/{}/ingest", segment(index)),
        )
        .json(&GIngest::list(entries));
        let task = match self.http.send(&req).await {
            Ok(resp) => match resp.json::<TaskSubmitResponse>() {
                Ok(t) => t.task_id,
                Err(e) => return failed(e),
            },
            Err(e) => return failed(e),
        };
        self.wait_task(&task).await
    }

    /// Polls `GET /v1/task/{task_id}` on [`poll_delays`] until the task ends: at most
    /// [`MAX_TASK_POLLS`] polls.
    async fn wait_task(&self, task_id: &str) -> Outcome {
        let scale = self.http.options().backoff_scale;
        let mut waited = Duration::ZERO;
        let mut last = TaskState::Pending;
        for delay in poll_delays() {
            tokio::time::sleep(delay.mul_f64(scale)).await;
            waited += delay;
            let task: Task = match self
                .http
                .get_json(
                    crate::services::search::api::ID,
                    &format!("/v1/task/{}", segment(task_id)),
                    &[],
                )
                .await
            {
                Ok(t) => t,
                Err(e) => return failed(format!("ingest task {task_id}: {e}")),
            };
            match task.state {
                TaskState::Success => return Outcome::Applied { server_id: None },
                TaskState::Failed => {
                    let why = task
                        .message
                        .filter(|m| !m.is_empty())
                        .unwrap_or(task.state_description);
                    return failed(format!("ingest task {task_id} failed: {why}"));
                }
                state => last = state,
            }
        }
        failed(format!(
            "ingest task {task_id} is still {} after {}s; it may yet apply: plan again later",
            last.as_str(),
            waited.as_secs()
        ))
    }
}

/// The waits before each poll of an ingest task (before the client's backoff scaling): the
/// first after [`FIRST_POLL`], each next one twice as long up to [`MAX_POLL_GAP`], for
/// [`TASK_WAIT`] in all.
pub fn poll_delays() -> impl Iterator<Item = Duration> {
    let mut next = FIRST_POLL;
    let mut waited = Duration::ZERO;
    std::iter::from_fn(move || {
        if waited >= TASK_WAIT {
            return None;
        }
        let delay = next;
        waited += delay;
        next = (next * 2).min(MAX_POLL_GAP);
        Some(delay)
    })
}

/// Subjects' entries (with their change's position) packed into ingests of at most `max`
/// bytes of entries each, in order, a subject's entries never split: one ingest unless they
/// are more (a subject alone past `max` is an ingest of its own, for Search to judge).
pub fn pack(
    subjects: Vec<(usize, Vec<GMetaEntry>)>,
    max: usize,
) -> Vec<(Vec<usize>, Vec<GMetaEntry>)> {
    let mut out: Vec<(Vec<usize>, Vec<GMetaEntry>, usize)> = Vec::new();
    for (i, entries) in subjects {
        let bytes = serde_json::to_vec(&entries).map_or(0, |v| v.len());
        match out.last_mut() {
            Some((at, list, size)) if *size + bytes <= max => {
                at.push(i);
                list.extend(entries);
                *size += bytes;
            }
            _ => out.push((vec![i], entries, bytes)),
        }
    }
    out.into_iter().map(|(at, list, _)| (at, list)).collect()
}

/// Every change got an outcome above; the fallback says so rather than panic.
fn finish(out: Vec<Option<Outcome>>) -> Vec<Outcome> {
    out.into_iter()
        .map(|o| o.unwrap_or_else(|| failed("no outcome")))
        .collect()
}

/// The server id of the object a change acts on: the live object's, or one recorded since.
fn server_id(change: &Change, ids: &IdMap) -> Option<String> {
    change
        .before
        .as_ref()
        .and_then(|b| b.server_id.clone())
        .or_else(|| ids.get(&change.address))
}
