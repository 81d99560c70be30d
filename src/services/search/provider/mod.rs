//! Globus Search (API v1): index roles, and the access (`visible_to`, `principal_sets`) of the
//! subjects a policy declares (`docs/search-model.md`). accord manages access, never content:
//! subjects are looked up, never created or deleted.
//!
//! What `read` answers (Search kinds are read in the last phase, with [`Scope::group_names`]
//! filled, so a managed group's URN maps back to `group:<policy name>`):
//! - a container `search.role[INDEX]`: one `GET /v1/index/{INDEX}/role_list`, each role as
//!   `search.role[INDEX][ROLE][PRINCIPAL]` with `server_id` = the role id;
//! - the [`Lookup`]s `search.entry[INDEX][SUBJECT]` of one index: with at least
//!   [`QUERY_THRESHOLD`] of them, one query of every subject (`POST /v1/index/{INDEX}/search`,
//!   `query#1.0.0`, `q: "*"`, `bypass_visible_to`, `fields: [visible_to, principal_sets]`,
//!   [`QUERY_PAGE`] results a page, see [`SearchProvider::read_by_query`]); with fewer, one
//!   `GET /v1/index/{INDEX}/subject?subject=S&bypass_visible_to=true` each. Either way a
//!   subject reads as `visible_to` (a sorted list of canonical principals, `public` and
//!   `all_authenticated_users` kept) and `principal_sets` (set name → sorted list). A subject
//!   whose entries disagree carries `entries_differ: true`, and each list the entries
//!   disagree on is read per entry (an object entry id → value, [`DEFAULT_ENTRY`] for the
//!   default entry), so it differs from any desired list and the subject is re-ingested. An
//!   absent subject (404, or not among the query's results) is a live object with
//!   `status: "missing"`, which the plan lists as blocked.
//!
//! Indexes are read concurrently (the shared client paces Search at its documented rate), each
//! one's roles first. An index Search does not know is a read error. A scope without Search
//! containers or lookups makes no call at all (not even for a token).
//!
//! `apply` sends:
//! - role create: `POST /v1/index/{INDEX}/role {role_name, principal}`, a create: a `409` or a
//!   failure that may have reached Search is re-read (`role_list`) and the role adopted, never
//!   blindly resent;
//! - role delete: `DELETE /v1/index/{INDEX}/role/{role_id}` (`404`: already gone);
//! - entry update: the subject re-read (`bypass_visible_to=true`) right before, then
//!   `POST /v1/index/{INDEX}/ingest` of a `GMetaList` of every entry of the subject with its
//!   `id`, `content` and unknown fields as read and the desired `visible_to` /
//!   `principal_sets` (a list the desired object does not set keeps each entry's live value),
//!   then `GET /v1/task/{task_id}` with backoff until `SUCCESS` (applied) or `FAILED` (failed,
//!   with the task's message). A subject gone at apply time is blocked.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::http::{HttpClient, HttpError, HttpRequest};
use crate::plan::{Action, Change};
use crate::service::{Caller, IdMap, LiveRead, Outcome, Provider, ProviderError, Scope, failed};
use crate::services::search::wire::Principal as SearchPrincipal;
use crate::services::search::wire::{
    GIngest, GMetaEntry, GMetaResult, GSearchResult, MAX_QUERY_RESULTS, ROLE_NAMES, ResultEntry,
    Role, RoleCreate, RoleList, SearchQuery, Task, TaskState, TaskSubmitResponse,
};
use crate::state::{Address, Kind, Object, Principal};

const KINDS: &[Kind] = &[
    crate::services::search::ROLE,
    crate::services::search::ENTRY,
];

/// The key of the default entry (entry id null) in a list read per entry.
pub const DEFAULT_ENTRY: &str = "(default)";

/// The Search error code of an unknown index (a read error, not a missing subject).
pub const NO_SUCH_INDEX: &str = "NotFound.NoSuchIndex";

/// Declared subjects of one index from which it is read with a query rather than a `GET`
/// per subject: below it, the GETs are as few calls (1 or 2) and carry no other subject.
pub const QUERY_THRESHOLD: usize = 3;

/// Results asked for per query page. The documented cap is 10,000 ([`MAX_QUERY_RESULTS`]);
/// 1,000 bounds one answer's size (up to 10 entries of up to 100 principals each per
/// subject) while a full 10,000-subject window still takes only 10 calls.
pub const QUERY_PAGE: u64 = 1_000;

/// How long an ingest task is waited for, before backoff scaling.
const TASK_WAIT: Duration = Duration::from_secs(300);

/// Why accord never creates or deletes a Search subject.
const NOT_CONTENT: &str =
    "accord manages access to Search subjects, not content: it never creates or deletes a subject";

/// The Globus Search provider.
#[derive(Debug, Clone)]
pub struct SearchProvider {
    http: Arc<HttpClient>,
}

impl SearchProvider {
    /// A provider sending through the shared client.
    pub fn new(http: Arc<HttpClient>) -> Self {
        SearchProvider { http }
    }

    /// `GET /v1/index/{index}/role_list`.
    pub async fn role_list(&self, index: &str) -> Result<Vec<Role>, HttpError> {
        let list: RoleList = self
            .http
            .get_json(
                crate::services::search::api::ID,
                &format!("/v1/index/{}/role_list", segment(index)),
                &[],
            )
            .await?;
        Ok(list.role_list)
    }

    /// `GET /v1/index/{index}/subject?subject=S&bypass_visible_to=true`: every entry of the
    /// subject with its `visible_to` and `principal_sets`; `None` when the subject does not
    /// exist (an unknown index is an error).
    pub async fn subject(
        &self,
        index: &str,
        subject: &str,
    ) -> Result<Option<GMetaResult>, HttpError> {
        let res = self
            .http
            .get_json(
                crate::services::search::api::ID,
                &format!("/v1/index/{}/subject", segment(index)),
                &[("subject", subject), ("bypass_visible_to", "true")],
            )
            .await;
        match res {
            Ok(r) => Ok(Some(r)),
            Err(e) if e.status() == Some(404) && e.code() != Some(NO_SUCH_INDEX) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// One page of `POST /v1/index/{index}/search` asking for every subject's entries with
    /// their `visible_to` and `principal_sets` and without `content`
    /// ([`SearchQuery::access_of_all`]).
    pub async fn query_access(
        &self,
        index: &str,
        offset: u64,
        limit: u64,
    ) -> Result<GSearchResult, HttpError> {
        let req = HttpRequest::post(
            crate::services::search::api::ID,
            format!("/v1/index/{}/search", segment(index)),
        )
        .json(&SearchQuery::access_of_all(offset, limit));
        self.http.send(&req).await?.json()
    }

    /// Reads the declared subjects of one index with queries of every subject, a page of
    /// [`QUERY_PAGE`] at a time by `offset`, and answers each subject's result (`None`:
    /// missing). Paging stops early when fewer subjects remain unfound than pages remain (a
    /// `GET` each is then fewer calls), or at the end of the 10,000 results a query reaches;
    /// a subject not found then is read with a `GET` (it may lie beyond). A subject not
    /// found after a single complete page is missing; after several pages it is read with a
    /// `GET` too, as a write between pages may have shifted it across one. A subject whose
    /// entries come back without `visible_to` (a service that did not honour `fields`) is
    /// read with a `GET` as well, never taken for an empty list.
    pub async fn read_by_query(
        &self,
        index: &str,
        subjects: &[&str],
    ) -> Result<BTreeMap<String, Option<GMetaResult>>, HttpError> {
        let wanted: BTreeSet<&str> = subjects.iter().copied().collect();
        let mut found: BTreeMap<String, Option<GMetaResult>> = BTreeMap::new();
        // Returned without their lists: read with a GET whatever the paging did.
        let mut unreadable: BTreeSet<String> = BTreeSet::new();
        let mut offset = 0;
        let mut pages = 0;
        let complete = loop {
            let limit = QUERY_PAGE.min(MAX_QUERY_RESULTS - offset);
            let page = self.query_access(index, offset, limit).await?;
            pages += 1;
            let count = page.gmeta.len() as u64;
            for result in page.gmeta {
                if !wanted.contains(result.subject.as_str()) {
                    continue;
                }
                if !result.entries.is_empty()
                    && result.entries.iter().all(|e| e.visible_to.is_some())
                {
                    unreadable.remove(&result.subject);
                    found.insert(result.subject.clone(), Some(result));
                } else {
                    unreadable.insert(result.subject);
                }
            }
            if !page.has_next_page || count == 0 {
                break true;
            }
            offset += count;
            let reachable = page.total.min(MAX_QUERY_RESULTS);
            if offset >= reachable {
                break false;
            }
            let pages_left = (reachable - offset).div_ceil(QUERY_PAGE);
            let unfound = wanted.len() - found.len();
            if unfound as u64 <= pages_left {
                break false;
            }
        };
        for subject in wanted {
            if found.contains_key(subject) {
                continue;
            }
            let result = if complete && pages == 1 && !unreadable.contains(subject) {
                None
            } else {
                self.subject(index, subject).await?
            };
            found.insert(subject.to_string(), result);
        }
        Ok(found)
    }

    /// The roles and declared subjects of one index: `Ok(Err(message))` when Search does not
    /// know the index.
    async fn read_index(
        &self,
        index: &str,
        roles: bool,
        subjects: &[&Address],
        group_names: &BTreeMap<String, String>,
    ) -> Result<Result<Vec<Object>, String>, ProviderError> {
        let mut objects = Vec::new();
        if roles {
            let list = match self.role_list(index).await {
                Ok(r) => r,
                Err(e) => {
                    return match read_error(index, "its roles", e) {
                        ProviderError::NotFound(m) => Ok(Err(m)),
                        other => Err(other),
                    };
                }
            };
            objects.extend(
                list.into_iter()
                    .filter_map(|r| role_object(index, r, group_names)),
            );
        }
        let keys: Vec<&str> = subjects
            .iter()
            .filter_map(|a| a.keys.get(1).map(String::as_str))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let results = if keys.len() >= QUERY_THRESHOLD {
            self.read_by_query(index, &keys).await
        } else {
            let mut results = BTreeMap::new();
            let mut failed = None;
            for subject in &keys {
                match self.subject(index, subject).await {
                    Ok(r) => {
                        results.insert(subject.to_string(), r);
                    }
                    Err(e) => {
                        failed = Some(e);
                        break;
                    }
                }
            }
            failed.map_or(Ok(results), Err)
        };
        let results = match results {
            Ok(r) => r,
            Err(e) => {
                return match read_error(index, "its subjects' access", e) {
                    ProviderError::NotFound(m) => Ok(Err(m)),
                    other => Err(other),
                };
            }
        };
        for address in subjects {
            let Some(subject) = address.keys.get(1) else {
                continue;
            };
            objects.push(match results.get(subject).and_then(Option::as_ref) {
                Some(result) => entry_object((*address).clone(), result, group_names),
                None => missing_entry((*address).clone()),
            });
        }
        Ok(Ok(objects))
    }

    /// The id of the role `role` held by `principal` (a URN) on `index`, if any.
    async fn find_role(
        &self,
        index: &str,
        role: &str,
        principal: &str,
    ) -> Result<Option<String>, HttpError> {
        let want = SearchPrincipal::parse(principal);
        Ok(self
            .role_list(index)
            .await?
            .into_iter()
            .find(|r| r.role_name == role && SearchPrincipal::parse(&r.principal) == want)
            .map(|r| r.id))
    }

    async fn apply_one(&self, change: &Change, ids: &IdMap) -> Outcome {
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

/// The `visible_to` and `principal_sets` a desired entry sets, as URNs; `None` for a list it
/// does not set (each entry keeps its live value).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DesiredAccess {
    /// `visible_to` URNs (and `public`, `all_authenticated_users`).
    pub visible_to: Option<Vec<String>>,
    /// Set name → URNs.
    pub principal_sets: Option<BTreeMap<String, Vec<String>>>,
}

impl DesiredAccess {
    /// The desired object's lists with canonical principals turned into URNs (a managed
    /// group through the id map's `globus.group[NAME]`).
    pub fn of(desired: &Object, ids: &IdMap) -> Result<DesiredAccess, String> {
        let list = |v: &Value, what: &str, specials: bool| -> Result<Vec<String>, String> {
            let Value::Array(items) = v else {
                return Err(format!("{what} is not a list"));
            };
            items
                .iter()
                .map(|i| {
                    let s = i
                        .as_str()
                        .ok_or_else(|| format!("{what}: {i} is not a principal"))?;
                    principal_urn(s, ids, specials).map_err(|e| format!("{what}: {e}"))
                })
                .collect()
        };
        let visible_to = desired
            .attrs
            .get("visible_to")
            .map(|v| list(v, "visible_to", true))
            .transpose()?;
        let principal_sets = match desired.attrs.get("principal_sets") {
            None => None,
            Some(Value::Object(sets)) => Some(
                sets.iter()
                    .map(|(name, members)| {
                        Ok((
                            name.clone(),
                            list(members, &format!("principal set {name}"), false)?,
                        ))
                    })
                    .collect::<Result<BTreeMap<_, _>, String>>()?,
            ),
            Some(_) => return Err("principal_sets is not an object".into()),
        };
        Ok(DesiredAccess {
            visible_to,
            principal_sets,
        })
    }
}

/// The `GMetaList` entries that re-ingest a subject: every entry as read (its id, `content`
/// and unknown fields verbatim) with the desired lists; a list the desired access does not
/// set keeps the entry's live value. Refuses an entry read without its `content` or its
/// lists, rather than ingest it emptied.
pub fn gmeta_entries(
    result: &GMetaResult,
    desired: &DesiredAccess,
) -> Result<Vec<GMetaEntry>, String> {
    if result.entries.is_empty() {
        return Err(format!("subject {} has no entries", result.subject));
    }
    result
        .entries
        .iter()
        .map(|e| {
            let name = entry_name(e);
            let content = e.content.clone().ok_or_else(|| {
                format!("entry {name} was read without its content; refusing to re-ingest it")
            })?;
            let visible_to = match &desired.visible_to {
                Some(v) => v.clone(),
                None => e.visible_to.clone().ok_or_else(|| {
                    format!(
                        "entry {name} was read without its visible_to; refusing to re-ingest it"
                    )
                })?,
            };
            let principal_sets = match &desired.principal_sets {
                Some(p) => Some(p.clone()),
                None => match &e.principal_sets {
                    None | Some(Value::Null) => None,
                    Some(v) => Some(BTreeMap::<String, Vec<String>>::deserialize(v).map_err(
                        |err| format!("entry {name}: principal_sets {v} not understood: {err}"),
                    )?),
                },
            };
            Ok(GMetaEntry {
                subject: result.subject.clone(),
                id: e.entry_id.clone(),
                visible_to,
                principal_sets,
                content,
                version: None,
                extra: e.extra.clone(),
            })
        })
        .collect()
}

/// The canonical principal of a Search principal (`public`, `all_authenticated_users`, an
/// identity or group URN): a group in `group_names` (live UUID → policy name) is the managed
/// `group:<name>`; `None` for a value accord does not know.
pub fn canonical(value: &str, group_names: &BTreeMap<String, String>) -> Option<Principal> {
    Some(match SearchPrincipal::parse(value)? {
        SearchPrincipal::Public => Principal::Public,
        SearchPrincipal::AllAuthenticatedUsers => Principal::AllAuthenticatedUsers,
        SearchPrincipal::Identity(u) => Principal::Identity(u),
        SearchPrincipal::Group(u) => match group_names.get(&u.to_string()) {
            Some(name) => Principal::ManagedGroup(name.clone()),
            None => Principal::Group(u),
        },
    })
}

/// The Search form of a canonical principal key: an identity or group URN (a managed group's
/// live id from the id map), or with `specials` `public` / `all_authenticated_users`.
pub fn principal_urn(key: &str, ids: &IdMap, specials: bool) -> Result<String, String> {
    let p: Principal = key.parse().map_err(|e| format!("{e}"))?;
    match &p {
        Principal::Identity(_) | Principal::Group(_) | Principal::ManagedGroup(_) => p
            .urn(|name| {
                ids.get(&Address::new(
                    crate::services::groups::GROUP,
                    [name.to_string()],
                ))
            })
            .ok_or_else(|| format!("the id of group {p} is not known (was it created?)")),
        Principal::Public | Principal::AllAuthenticatedUsers if specials => p
            .urn(|_| None)
            .ok_or_else(|| format!("`{p}` has no Search form")),
        other if specials => Err(format!("Search entries cannot be visible to `{other}`")),
        other => Err(format!(
            "Search roles and principal sets hold identities and groups, not `{other}`"
        )),
    }
}

/// The URN of a role's principal key.
fn role_urn(key: &str, ids: &IdMap) -> Result<String, String> {
    principal_urn(key, ids, false)
}

/// A Search list as sorted, deduplicated canonical strings; values accord does not know are
/// kept verbatim (they then differ from any desired list).
fn canonical_list(values: &[String], group_names: &BTreeMap<String, String>) -> Value {
    let set: BTreeSet<String> = values
        .iter()
        .map(|v| canonical(v, group_names).map_or_else(|| v.clone(), |p| p.to_string()))
        .collect();
    Value::Array(set.into_iter().map(Value::String).collect())
}

/// An entry's `principal_sets` as `{name: sorted canonical list}` (`{}` when it has none); a
/// value that is not an object of lists is kept verbatim.
fn canonical_sets(sets: Option<&Value>, group_names: &BTreeMap<String, String>) -> Value {
    match sets {
        None | Some(Value::Null) => Value::Object(Map::new()),
        Some(v) => match BTreeMap::<String, Vec<String>>::deserialize(v) {
            Ok(m) => Value::Object(
                m.iter()
                    .map(|(k, l)| (k.clone(), canonical_list(l, group_names)))
                    .collect(),
            ),
            Err(_) => v.clone(),
        },
    }
}

/// An entry's name in messages and per-entry values.
fn entry_name(e: &ResultEntry) -> String {
    e.entry_id.clone().unwrap_or_else(|| DEFAULT_ENTRY.into())
}

/// The live object of a subject read with `bypass_visible_to`. Entries that agree give their
/// common lists; otherwise `entries_differ: true`, and a list they disagree on is an object
/// entry id → that entry's list.
pub fn entry_object(
    address: Address,
    result: &GMetaResult,
    group_names: &BTreeMap<String, String>,
) -> Object {
    let mut o = Object::new(address);
    let names: Vec<String> = result.entries.iter().map(entry_name).collect();
    let visible_to: Vec<Value> = result
        .entries
        .iter()
        .map(|e| canonical_list(e.visible_to.as_deref().unwrap_or(&[]), group_names))
        .collect();
    let principal_sets: Vec<Value> = result
        .entries
        .iter()
        .map(|e| canonical_sets(e.principal_sets.as_ref(), group_names))
        .collect();
    let mut differ = false;
    for (attr, values) in [
        ("visible_to", visible_to),
        ("principal_sets", principal_sets),
    ] {
        let Some(first) = values.first() else {
            continue;
        };
        if values.iter().all(|v| v == first) {
            o.attrs.insert(attr.into(), first.clone());
        } else {
            differ = true;
            let per_entry: Map<String, Value> = names.iter().cloned().zip(values).collect();
            o.attrs.insert(attr.into(), Value::Object(per_entry));
        }
    }
    if differ {
        o.attrs.insert("entries_differ".into(), Value::Bool(true));
    }
    o
}

/// The live object of an index role, keyed by its canonical principal; `None` (skipped with a
/// warning, never deleted) for a principal that is not an identity or group accord knows.
fn role_object(index: &str, role: Role, group_names: &BTreeMap<String, String>) -> Option<Object> {
    let key = match canonical(&role.principal, group_names) {
        Some(p @ (Principal::Identity(_) | Principal::Group(_) | Principal::ManagedGroup(_))) => {
            p.to_string()
        }
        _ => {
            tracing::warn!(%index, role = %role.role_name, principal = %role.principal, "skipping a Search role whose principal accord does not know");
            return None;
        }
    };
    let mut o = Object::new(Address::new(
        crate::services::search::ROLE,
        [index.to_string(), role.role_name, key],
    ));
    o.server_id = Some(role.id);
    Some(o)
}

/// The live object of a declared subject Search does not have.
fn missing_entry(address: Address) -> Object {
    Object::new(address).with("status", "missing")
}

/// The server id of the object a change acts on: the live object's, or one recorded since.
fn server_id(change: &Change, ids: &IdMap) -> Option<String> {
    change
        .before
        .as_ref()
        .and_then(|b| b.server_id.clone())
        .or_else(|| ids.get(&change.address))
}

/// Percent-encodes one path segment (role ids are base64 and may hold `/`, `+`, `=`).
fn segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A read failure, said plainly: an unknown index, or rights accord's client lacks.
fn read_error(index: &str, what: &str, e: HttpError) -> ProviderError {
    match e.status() {
        Some(404) if e.code() == Some(NO_SUCH_INDEX) => ProviderError::NotFound(format!(
            "search index {index}: Search has no such index ({e})"
        )),
        Some(401 | 403) => ProviderError::Service {
            service: "search",
            message: format!(
                "search index {index}: reading {what} needs an admin or owner role on the index for accord's client: {e}"
            ),
        },
        _ => e.into(),
    }
}

#[async_trait]
impl Provider for SearchProvider {
    fn name(&self) -> &'static str {
        "search"
    }

    fn kinds(&self) -> &'static [Kind] {
        KINDS
    }

    fn caller(&self) -> Caller {
        Caller::OAuthClient
    }

    fn needs_group_names(&self) -> bool {
        true
    }

    async fn read(&self, scope: &Scope) -> Result<LiveRead, ProviderError> {
        // Index → (roles read?, declared subjects), in index order.
        let mut indexes: BTreeMap<&str, (bool, Vec<&Address>)> = BTreeMap::new();
        for c in &scope.containers {
            if c.address.kind == crate::services::search::ROLE
                && let Some(index) = c.address.keys.first()
            {
                indexes.entry(index.as_str()).or_default().0 = true;
            }
        }
        for lookup in &scope.lookups {
            let address = &lookup.address;
            if address.kind == crate::services::search::ENTRY
                && let [index, _] = &address.keys[..]
            {
                indexes.entry(index.as_str()).or_default().1.push(address);
            }
        }
        let calls: Vec<_> = indexes
            .iter()
            .map(|(index, (roles, subjects))| {
                self.read_index(index, *roles, subjects, &scope.group_names)
            })
            .collect();
        let mut live = LiveRead::default();
        let mut unknown = Vec::new();
        for read in self.http.concurrently(calls).await {
            match read? {
                Ok(objects) => {
                    for o in objects {
                        live.state.insert(o);
                    }
                }
                Err(message) => unknown.push(message),
            }
        }
        if unknown.is_empty() {
            Ok(live)
        } else {
            Err(ProviderError::NotFound(unknown.join("; ")))
        }
    }

    async fn apply(&self, changes: &[Change], ids: &IdMap) -> Vec<Outcome> {
        let mut out = Vec::with_capacity(changes.len());
        for c in changes {
            out.push(self.apply_one(c, ids).await);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ALICE: &str = "46bd0f56-e24f-11e5-a510-131bef46955c";
    const LAB: &str = "8b7d57bc-1666-11ec-88b2-f50515619d57";
    const OTHER: &str = "6c54cade-bde5-45c1-bdea-f4bd71dba2cc";

    fn names() -> BTreeMap<String, String> {
        BTreeMap::from([(LAB.to_string(), "lab".to_string())])
    }

    fn result(entries: Value) -> GMetaResult {
        serde_json::from_value(json!({"subject": "doc1", "entries": entries})).unwrap()
    }

    #[test]
    fn urns_become_canonical_principals_and_back() {
        let ids = IdMap::default();
        ids.insert(
            Address::new(crate::services::groups::GROUP, ["lab"]),
            LAB.into(),
        );
        for (urn, key) in [
            (
                format!("urn:globus:auth:identity:{ALICE}"),
                format!("identity:{ALICE}"),
            ),
            (
                format!("urn:globus:groups:id:{LAB}"),
                "group:lab".to_string(),
            ),
            (
                format!("urn:globus:groups:id:{OTHER}"),
                format!("group:{OTHER}"),
            ),
            ("public".to_string(), "public".to_string()),
            (
                "all_authenticated_users".to_string(),
                "all_authenticated_users".to_string(),
            ),
        ] {
            assert_eq!(canonical(&urn, &names()).unwrap().to_string(), key);
            assert_eq!(principal_urn(&key, &ids, true).unwrap(), urn);
        }
        // Upper-case UUIDs read the same.
        let upper = format!("urn:globus:groups:id:{}", LAB.to_uppercase());
        assert_eq!(
            canonical(&upper, &names()).unwrap().to_string(),
            "group:lab"
        );
        assert_eq!(canonical("urn:globus:auth:identity:nope", &names()), None);
        // Roles and principal sets take no specials; unknown managed groups are an error.
        assert!(principal_urn("public", &ids, false).is_err());
        assert!(principal_urn("anonymous", &ids, true).is_err());
        let e = principal_urn("group:nobody", &ids, false).unwrap_err();
        assert!(e.contains("not known"), "{e}");
    }

    #[test]
    fn gmeta_list_keeps_content_ids_and_unknown_fields() {
        let live = result(json!([
            {"entry_id": null, "content": {"title": "d1", "nested": {"a": [1, 2.5, "x"]}},
             "visible_to": ["public"], "principal_sets": {"curator": ["urn:globus:auth:identity:46bd0f56-e24f-11e5-a510-131bef46955c"]},
             "matched_principal_sets": [], "future_field": {"k": 1}},
            {"entry_id": "v2", "content": {"t": 2},
             "visible_to": ["urn:globus:groups:id:8b7d57bc-1666-11ec-88b2-f50515619d57"], "principal_sets": {}}
        ]));
        let desired = DesiredAccess {
            visible_to: Some(vec!["all_authenticated_users".into()]),
            principal_sets: None,
        };
        let entries = gmeta_entries(&live, &desired).unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].id, None);
        assert_eq!(entries[1].id.as_deref(), Some("v2"));
        assert_eq!(
            Value::Object(entries[0].content.clone()),
            json!({"title": "d1", "nested": {"a": [1, 2.5, "x"]}})
        );
        assert_eq!(entries[0].extra.get("future_field"), Some(&json!({"k": 1})));
        assert!(!entries[0].extra.contains_key("matched_principal_sets"));
        for e in &entries {
            assert_eq!(e.subject, "doc1");
            assert_eq!(e.visible_to, vec!["all_authenticated_users"]);
        }
        // principal_sets unset: each entry keeps its own.
        assert_eq!(
            entries[0].principal_sets.as_ref().unwrap()["curator"].len(),
            1
        );
        assert_eq!(entries[1].principal_sets, Some(BTreeMap::new()));
        // The ingest document carries them as a GMetaList.
        let ingest = serde_json::to_value(GIngest::list(entries)).unwrap();
        assert_eq!(ingest["ingest_type"], "GMetaList");
        assert_eq!(ingest["ingest_data"]["gmeta"][0]["id"], Value::Null);
        assert_eq!(
            ingest["ingest_data"]["gmeta"][0]["future_field"],
            json!({"k": 1})
        );

        // Desired principal sets replace every entry's; visible_to unset keeps each entry's.
        let desired = DesiredAccess {
            visible_to: None,
            principal_sets: Some(BTreeMap::from([("c".to_string(), vec![])])),
        };
        let entries = gmeta_entries(&live, &desired).unwrap();
        assert_eq!(entries[0].visible_to, vec!["public"]);
        assert_eq!(
            entries[1].visible_to,
            vec![format!("urn:globus:groups:id:{LAB}")]
        );
        assert!(
            entries
                .iter()
                .all(|e| e.principal_sets == desired.principal_sets)
        );
    }

    #[test]
    fn gmeta_list_refuses_what_it_would_empty() {
        let no_content = result(json!([{"entry_id": null, "visible_to": ["public"]}]));
        assert!(gmeta_entries(&no_content, &DesiredAccess::default()).is_err());
        let no_acl = result(json!([{"entry_id": null, "content": {}}]));
        assert!(gmeta_entries(&no_acl, &DesiredAccess::default()).is_err());
        let desired = DesiredAccess {
            visible_to: Some(vec!["public".into()]),
            principal_sets: None,
        };
        assert!(gmeta_entries(&no_acl, &desired).is_ok());
    }

    #[test]
    fn entries_read_canonical_and_sorted() {
        let live = result(json!([{
            "entry_id": null, "content": {},
            "visible_to": [format!("urn:globus:groups:id:{LAB}"), "public",
                           format!("urn:globus:auth:identity:{ALICE}")],
            "principal_sets": {"curator": [format!("urn:globus:groups:id:{OTHER}"),
                                           format!("urn:globus:auth:identity:{ALICE}")]}
        }]));
        let o = entry_object(
            Address::new(crate::services::search::ENTRY, ["ix", "doc1"]),
            &live,
            &names(),
        );
        assert_eq!(
            o.attrs["visible_to"],
            json!(["group:lab", format!("identity:{ALICE}"), "public"])
        );
        assert_eq!(
            o.attrs["principal_sets"],
            json!({"curator": [format!("group:{OTHER}"), format!("identity:{ALICE}")]})
        );
        assert!(!o.attrs.contains_key("entries_differ"));
        assert!(!o.attrs.contains_key("status"));
    }

    #[test]
    fn entries_that_disagree_are_flagged_per_list() {
        let live = result(json!([
            {"entry_id": null, "content": {}, "visible_to": ["public"], "principal_sets": {}},
            {"entry_id": "v2", "content": {}, "visible_to": ["public"],
             "principal_sets": {"c": [format!("urn:globus:auth:identity:{ALICE}")]}}
        ]));
        let o = entry_object(
            Address::new(crate::services::search::ENTRY, ["ix", "doc1"]),
            &live,
            &names(),
        );
        assert_eq!(o.attrs["entries_differ"], json!(true));
        // They agree on visible_to: its common value.
        assert_eq!(o.attrs["visible_to"], json!(["public"]));
        // They disagree on principal_sets: per entry, never equal to a desired `{name: list}`.
        assert_eq!(
            o.attrs["principal_sets"],
            json!({DEFAULT_ENTRY: {}, "v2": {"c": [format!("identity:{ALICE}")]}})
        );
        // The same lists in another order agree.
        let same = result(json!([
            {"entry_id": null, "content": {}, "visible_to": ["public", format!("urn:globus:auth:identity:{ALICE}")]},
            {"entry_id": "v2", "content": {}, "visible_to": [format!("urn:globus:auth:identity:{ALICE}"), "public"]}
        ]));
        let o = entry_object(
            Address::new(crate::services::search::ENTRY, ["ix", "doc1"]),
            &same,
            &names(),
        );
        assert!(!o.attrs.contains_key("entries_differ"));
        assert_eq!(o.attrs["principal_sets"], json!({}));
    }

    #[test]
    fn desired_access_converts_every_list() {
        let ids = IdMap::default();
        ids.insert(
            Address::new(crate::services::groups::GROUP, ["lab"]),
            LAB.into(),
        );
        let o = Object::new(Address::new(crate::services::search::ENTRY, ["ix", "doc1"]))
            .with("visible_to", json!(["group:lab", "public"]))
            .with(
                "principal_sets",
                json!({"curator": [format!("identity:{ALICE}")]}),
            );
        let d = DesiredAccess::of(&o, &ids).unwrap();
        assert_eq!(
            d.visible_to.unwrap(),
            vec![format!("urn:globus:groups:id:{LAB}"), "public".to_string()]
        );
        assert_eq!(
            d.principal_sets.unwrap()["curator"],
            vec![format!("urn:globus:auth:identity:{ALICE}")]
        );
        let only = Object::new(Address::new(crate::services::search::ENTRY, ["ix", "doc1"]))
            .with("principal_sets", json!({"c": ["public"]}));
        assert!(DesiredAccess::of(&only, &ids).is_err());
        let none = Object::new(Address::new(crate::services::search::ENTRY, ["ix", "doc1"]));
        assert_eq!(
            DesiredAccess::of(&none, &ids).unwrap(),
            DesiredAccess::default()
        );
    }

    #[test]
    fn path_segments_are_encoded() {
        assert_eq!(segment("MDAwMDAx"), "MDAwMDAx");
        assert_eq!(segment("a/b+c="), "a%2Fb%2Bc%3D");
    }
}
