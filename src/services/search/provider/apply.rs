//! What `apply` sends Search: role creates (adopting a role that exists) and deletes, and
//! the re-ingest of a subject's entries with their desired access, waited for to its end.

use std::time::Duration;

use crate::http::HttpRequest;
use crate::plan::{Action, Change};
use crate::service::{IdMap, Outcome, failed};
use crate::services::search::wire::{
    GIngest, ROLE_NAMES, Role, RoleCreate, Task, TaskState, TaskSubmitResponse,
};

use super::access::{DesiredAccess, gmeta_entries, role_urn};
use super::{NO_SUCH_INDEX, SearchProvider, segment};

/// How long an ingest task is waited for, before backoff scaling.
const TASK_WAIT: Duration = Duration::from_secs(300);

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
                Action::Update => self.update_entry(change, ids).await,
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

    async fn update_entry(&self, change: &Change, ids: &IdMap) -> Outcome {
        let [index, subject] = &change.address.keys[..] else {
            return failed(format!("{}: not a Search entry address", change.address));
        };
        let Some(after) = &change.after else {
            return failed("update without a desired object");
        };
        let desired = match DesiredAccess::of(after, ids) {
            Ok(d) => d,
            Err(e) => return failed(format!("{}: {e}", change.address)),
        };
        // Re-read right before: the ingest sends back every entry as it is now.
        let result = match self.subject(index, subject).await {
            Ok(Some(r)) => r,
            Ok(None) => {
                return Outcome::Blocked {
                    reason: "the subject is not in the index; accord manages access, not content: ingest it first".into(),
                };
            }
            Err(e) => return failed(e),
        };
        let entries = match gmeta_entries(&result, &desired) {
            Ok(e) => e,
            Err(e) => return failed(format!("{}: {e}", change.address)),
        };
        let req = HttpRequest::post(
            crate::services::search::api::ID,
            format!("/v1/index/{}/ingest", segment(index)),
        )
        .json(&GIngest::list(entries));
        // An ingest sets the entries to the values sent: resending it is harmless.
        let task = match self.http.send(&req).await {
            Ok(resp) => match resp.json::<TaskSubmitResponse>() {
                Ok(t) => t.task_id,
                Err(e) => return failed(e),
            },
            Err(e) => return failed(e),
        };
        self.wait_task(&task).await
    }

    /// Polls `GET /v1/task/{task_id}` with backoff until the task ends.
    async fn wait_task(&self, task_id: &str) -> Outcome {
        let opts = self.http.options();
        let mut delay = opts.min_backoff;
        let mut waited = Duration::ZERO;
        loop {
            tokio::time::sleep(delay.mul_f64(opts.backoff_scale)).await;
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
                ref state if waited >= TASK_WAIT => {
                    return failed(format!(
                        "ingest task {task_id} is still {} after {}s; it may yet apply: plan again later",
                        state.as_str(),
                        waited.as_secs()
                    ));
                }
                _ => delay = (delay * 2).min(opts.max_backoff),
            }
        }
    }
}

/// The server id of the object a change acts on: the live object's, or one recorded since.
fn server_id(change: &Change, ids: &IdMap) -> Option<String> {
    change
        .before
        .as_ref()
        .and_then(|b| b.server_id.clone())
        .or_else(|| ids.get(&change.address))
}
