//! Globus Search API v1 under `/search` (paths `/v1/...`): ingest, tasks, subjects, queries
//! (GET and POST) with `visible_to` and `principal_sets` filtering, index roles and the
//! index document; plus the seed section and the state it builds. Rights and the behaviour
//! decided where the reference is silent: `docs/emulator.md`.
// Early returns carry the finished HTTP answer; boxing it would only add noise on a cold path.
#![allow(clippy::result_large_err)]

use std::collections::{BTreeMap, BTreeSet};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Extension, Json};
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::emulator::errors::{ApiError, Service};
use crate::emulator::refusal::{self, Refusal};
use crate::emulator::store::State as Store;
use crate::emulator::{Emulator, World, bearer};
use crate::services::search::refusals as refused;
use crate::services::search::wire::{
    DeletedRole, GMetaResult, GSearchResult, MAX_QUERY_RESULTS, Principal, QUERY_FIELDS, QUERY_V1,
    RESULT_VERSION, ROLE_NAMES, ResultEntry, Role, RoleList, SearchIndex, SearchParams,
    SearchQuery, Task, TaskList, TaskState, TaskSubmitResponse, VERSION_2017,
};

/// Resource server of Search tokens.
pub const SEARCH_RS: &str = crate::services::search::RESOURCE_SERVER;
use crate::services::search::{
    MAX_ENTRIES_PER_SUBJECT, MAX_ROLES, MAX_SUBJECT_BYTES, MAX_VISIBLE_TO,
};
/// Results reachable by offset + limit (the reference's 10,000).
const MAX_RESULTS: u64 = MAX_QUERY_RESULTS;
/// Tasks listed by `task_list`.
const MAX_TASKS_LISTED: usize = 1000;
/// Largest request body (the reference's 10 MB limit).
const MAX_BODY: usize = 10 * 1024 * 1024;

// ---------------------------------------------------------------------------------------
// Seed
// ---------------------------------------------------------------------------------------

/// The `search:` section of a seed: indexes by id.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchSeed {
    /// Indexes by UUID.
    #[serde(default)]
    pub indexes: BTreeMap<Uuid, SeedIndex>,
}

/// One seeded index.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedIndex {
    /// Display name.
    pub display_name: String,
    /// Description (default empty).
    #[serde(default)]
    pub description: String,
    /// Index roles: role name → principals.
    #[serde(default)]
    pub roles: SeedIndexRoles,
    /// Entries present from the start.
    #[serde(default)]
    pub entries: Vec<SeedEntry>,
}

/// The roles of a seeded index. Each principal is a URN (`urn:globus:auth:identity:<id>`,
/// `urn:globus:groups:id:<id>`), an identity id or username, or `group:<id or seeded name>`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedIndexRoles {
    /// Owners.
    #[serde(default)]
    pub owner: Vec<String>,
    /// Admins.
    #[serde(default)]
    pub admin: Vec<String>,
    /// Writers.
    #[serde(default)]
    pub writer: Vec<String>,
}

impl SeedIndexRoles {
    /// Every role name with its holders, strongest first.
    pub fn all(&self) -> [(&'static str, &Vec<String>); 3] {
        [
            ("owner", &self.owner),
            ("admin", &self.admin),
            ("writer", &self.writer),
        ]
    }
}

/// One seeded entry. `visible_to` and `principal_sets` take the principals roles take, and
/// `visible_to` also `public` and `all_authenticated_users`; they are stored as URNs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedEntry {
    /// The subject.
    pub subject: String,
    /// The entry id (default null: the subject's default entry).
    #[serde(default)]
    pub id: Option<String>,
    /// Who may see it.
    pub visible_to: Vec<String>,
    /// Named principal sets.
    #[serde(default)]
    pub principal_sets: Option<BTreeMap<String, Vec<String>>>,
    /// The document (default `{}`).
    #[serde(default)]
    pub content: Map<String, Value>,
}

/// Resolves a seed principal to its URN: a URN as written (identity or group), `group:<ref>`,
/// or an identity ref; `public`/`all_authenticated_users` only when `special`.
fn seed_principal(
    r: &str,
    special: bool,
    identity: &dyn Fn(&str) -> Option<Uuid>,
    group: &dyn Fn(&str) -> Option<Uuid>,
) -> Option<String> {
    if let Some(p) = Principal::parse(r) {
        return match p {
            Principal::Public | Principal::AllAuthenticatedUsers => special.then(|| p.urn()),
            _ => Some(p.urn()),
        };
    }
    if r.starts_with("urn:") {
        return None;
    }
    match r.strip_prefix("group:") {
        Some(g) => group(g).map(|id| Principal::Group(id).urn()),
        None => identity(r).map(|id| Principal::Identity(id).urn()),
    }
}

impl SearchSeed {
    /// Adds the problems of this section: principals that resolve to nothing, bad subjects,
    /// too many values or entries, duplicate entries.
    pub fn validate(
        &self,
        identity: &dyn Fn(&str) -> Option<Uuid>,
        group: &dyn Fn(&str) -> Option<Uuid>,
        problems: &mut Vec<String>,
    ) {
        for (id, ix) in &self.indexes {
            let at = format!("search index {id} ({})", ix.display_name);
            let mut roles = 0;
            for (name, holders) in ix.roles.all() {
                for h in holders {
                    roles += 1;
                    if seed_principal(h, false, identity, group).is_none() {
                        problems.push(format!("{at}: unknown {name} {h}"));
                    }
                }
            }
            if roles > MAX_ROLES {
                problems.push(format!("{at}: more than {MAX_ROLES} roles"));
            }
            let mut keys = BTreeSet::new();
            let mut per_subject: BTreeMap<&str, usize> = BTreeMap::new();
            for e in &ix.entries {
                let key = format!("{} / {}", e.subject, e.id.as_deref().unwrap_or("(default)"));
                if !keys.insert((e.subject.clone(), e.id.clone())) {
                    problems.push(format!("{at}: duplicate entry {key}"));
                }
                *per_subject.entry(&e.subject).or_default() += 1;
                if e.subject.is_empty() || e.subject.len() > MAX_SUBJECT_BYTES {
                    problems.push(format!(
                        "{at}: subject must have 1 to {MAX_SUBJECT_BYTES} bytes: {key}"
                    ));
                }
                if e.visible_to.len() > MAX_VISIBLE_TO {
                    problems.push(format!(
                        "{at}: {key}: more than {MAX_VISIBLE_TO} visible_to values"
                    ));
                }
                for v in &e.visible_to {
                    if seed_principal(v, true, identity, group).is_none() {
                        problems.push(format!("{at}: {key}: unknown visible_to principal {v}"));
                    }
                }
                for (set, members) in e.principal_sets.iter().flatten() {
                    for m in members {
                        if seed_principal(m, false, identity, group).is_none() {
                            problems.push(format!(
                                "{at}: {key}: unknown principal {m} in principal set {set}"
                            ));
                        }
                    }
                }
            }
            for (s, n) in per_subject {
                if n > MAX_ENTRIES_PER_SUBJECT {
                    problems.push(format!(
                        "{at}: subject {s} has more than {MAX_ENTRIES_PER_SUBJECT} entries"
                    ));
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// State
// ---------------------------------------------------------------------------------------

/// Search's state: indexes (roles and subjects) and tasks.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SearchState {
    /// Indexes by id.
    pub indexes: BTreeMap<Uuid, IndexRec>,
    /// Tasks, oldest first.
    pub tasks: Vec<TaskRec>,
    /// Counter behind role ids (`MDAwMDAx` is role 1), so replays give the same ids.
    pub role_seq: u64,
}

/// An index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexRec {
    /// Index id.
    pub id: Uuid,
    /// Display name.
    pub display_name: String,
    /// Description.
    pub description: String,
    /// `YYYY-MM-DD HH:MM:SS`.
    pub creation_date: String,
    /// Roles, in creation order.
    pub roles: Vec<IndexRoleRec>,
    /// Entries by subject, each subject's in ingest order.
    pub subjects: BTreeMap<String, Vec<EntryRec>>,
}

/// A role on an index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexRoleRec {
    /// Role id.
    pub id: String,
    /// `owner | admin | writer`.
    pub role_name: String,
    /// Principal URN (identity or group).
    pub principal: String,
    /// `YYYY-MM-DD HH:MM:SS`.
    pub creation_date: String,
}

/// One entry of a subject.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntryRec {
    /// Entry id (null: the default entry).
    pub id: Option<String>,
    /// Who may see it, as ingested.
    pub visible_to: Vec<String>,
    /// Named principal sets, as ingested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal_sets: Option<BTreeMap<String, Vec<String>>>,
    /// The document.
    pub content: Map<String, Value>,
}

/// A task (ingest or subject delete). Its effect is applied when it is submitted; its state
/// reads `PENDING` on the first `GET /v1/task/{id}` and its outcome from the second on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskRec {
    /// Task id.
    pub task_id: Uuid,
    /// The index.
    pub index_id: Uuid,
    /// `INGEST` or `DELETE_BY_SUBJECT`.
    pub task_type: String,
    /// Current state.
    pub state: TaskState,
    /// `YYYY-MM-DDTHH:MM:SS`.
    pub creation_date: String,
    /// Set when the state becomes terminal.
    pub completion_date: Option<String>,
    /// The failure message the task ends with (`None`: it succeeds).
    pub failure: Option<String>,
    /// Who submitted it.
    pub submitted_by: Uuid,
    /// `GET /v1/task/{id}` calls answered so far.
    pub polls: u32,
}

fn role_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

fn task_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S").to_string()
}

impl SearchState {
    /// The state a seed section describes; principals resolve against `st` (identities and
    /// groups already built). Unresolvable principals are skipped (`Seed::validate` reports
    /// them).
    pub fn from_seed(seed: &SearchSeed, st: &Store, now: DateTime<Utc>) -> SearchState {
        let identity = |r: &str| st.identity_ref(r);
        let group = |r: &str| st.group_ref(r);
        let resolve = |r: &str, special: bool| seed_principal(r, special, &identity, &group);
        let mut out = SearchState::default();
        for (id, ix) in &seed.indexes {
            let mut roles = Vec::new();
            for (name, holders) in ix.roles.all() {
                for h in holders {
                    if let Some(principal) = resolve(h, false) {
                        roles.push(IndexRoleRec {
                            id: out.next_role_id(),
                            role_name: name.into(),
                            principal,
                            creation_date: role_time(now),
                        });
                    }
                }
            }
            let mut subjects: BTreeMap<String, Vec<EntryRec>> = BTreeMap::new();
            for e in &ix.entries {
                let rec = EntryRec {
                    id: e.id.clone(),
                    visible_to: e
                        .visible_to
                        .iter()
                        .filter_map(|v| resolve(v, true))
                        .collect(),
                    principal_sets: e.principal_sets.as_ref().map(|sets| {
                        sets.iter()
                            .map(|(k, v)| {
                                (
                                    k.clone(),
                                    v.iter().filter_map(|m| resolve(m, false)).collect(),
                                )
                            })
                            .collect()
                    }),
                    content: e.content.clone(),
                };
                upsert(subjects.entry(e.subject.clone()).or_default(), rec);
            }
            out.indexes.insert(
                *id,
                IndexRec {
                    id: *id,
                    display_name: ix.display_name.clone(),
                    description: ix.description.clone(),
                    creation_date: role_time(now),
                    roles,
                    subjects,
                },
            );
        }
        out
    }

    /// A fresh role id: base64 of a six-digit counter, like the real ids (`MDQ1MzAy`).
    fn next_role_id(&mut self) -> String {
        self.role_seq += 1;
        base64::engine::general_purpose::STANDARD.encode(format!("{:06}", self.role_seq))
    }
}

/// Puts an entry in its subject, replacing the one with the same id.
fn upsert(entries: &mut Vec<EntryRec>, rec: EntryRec) {
    match entries.iter_mut().find(|e| e.id == rec.id) {
        Some(e) => *e = rec,
        None => entries.push(rec),
    }
}

// ---------------------------------------------------------------------------------------
// Callers, rights, visibility
// ---------------------------------------------------------------------------------------

/// Who calls: an identity with the groups it is an active member of, or nobody (no token).
#[derive(Debug, Clone, Default)]
struct Who {
    identity: Option<Uuid>,
    groups: BTreeSet<Uuid>,
}

/// The caller the auth layer found: `None` without an `Authorization` header.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SearchCaller(Option<Uuid>);

impl Who {
    fn of(st: &Store, caller: SearchCaller) -> Who {
        match caller.0 {
            Some(id) => Who {
                identity: Some(id),
                groups: st.active_groups(id),
            },
            None => Who::default(),
        }
    }

    /// Whether the caller is this identity or group URN.
    fn is(&self, urn: &str) -> bool {
        match Principal::parse(urn) {
            Some(Principal::Identity(id)) => self.identity == Some(id),
            Some(Principal::Group(id)) => self.identity.is_some() && self.groups.contains(&id),
            _ => false,
        }
    }

    /// Whether an entry with this `visible_to` is visible to the caller.
    fn sees(&self, visible_to: &[String]) -> bool {
        visible_to.iter().any(|v| match Principal::parse(v) {
            Some(Principal::Public) => true,
            Some(Principal::AllAuthenticatedUsers) => self.identity.is_some(),
            Some(_) => self.is(v),
            None => false,
        })
    }

    /// The names of the entry's principal sets holding the caller, sorted.
    fn matched_sets(&self, e: &EntryRec) -> Vec<String> {
        e.principal_sets
            .iter()
            .flatten()
            .filter(|(_, members)| members.iter().any(|m| self.is(m)))
            .map(|(name, _)| name.clone())
            .collect()
    }

    /// The caller's roles on an index (direct or through a group).
    fn roles(&self, ix: &IndexRec) -> BTreeSet<String> {
        ix.roles
            .iter()
            .filter(|r| self.is(&r.principal))
            .map(|r| r.role_name.clone())
            .collect()
    }
}

/// What a route needs of the caller's index roles.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Need {
    /// writer, admin or owner.
    Write,
    /// admin or owner.
    Admin,
}

impl Need {
    fn met_by(self, roles: &BTreeSet<String>) -> bool {
        let has = |r: &str| roles.contains(r);
        match self {
            Need::Write => has("writer") || has("admin") || has("owner"),
            Need::Admin => has("admin") || has("owner"),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

fn gerror(refusal: &'static Refusal, message: impl Into<String>) -> ApiError {
    ApiError::refused(Service::Search, refusal, message)
}

fn not_found(refusal: &'static Refusal, message: impl Into<String>) -> Response {
    gerror(refusal, message).into_response()
}

fn no_index(raw: &str) -> Response {
    gerror(
        &refused::NO_INDEX,
        format!("There is no search index named \"{raw}\""),
    )
    .into_response()
}

/// 403 `Forbidden.Generic`, shaped like the SDK's recorded `index_update` refusal.
fn forbidden(op: &str) -> Response {
    gerror(
        &refused::FORBIDDEN,
        format!("{op} request denied by service"),
    )
    .with_data(json!({
        "cause": format!("You do not have the proper roles to perform the {op} operation."),
        "recommended_resolution": "Ensure you are making a call authenticated with a valid \
            Search token and that you have been granted the required roles for this operation",
    }))
    .into_response()
}

fn unauthenticated(op: &str) -> Response {
    gerror(
        &refused::ANONYMOUS,
        format!("{op} requires an authenticated call"),
    )
    .into_response()
}

fn bad_request(message: impl Into<String>) -> Response {
    gerror(&refused::MALFORMED, message).into_response()
}

/// 400 `BadRequest.ValidationError` with marshmallow-style `error_data.messages.<location>`,
/// tagged with every refusal the problems name.
fn invalid(location: &str, p: Problems) -> Response {
    let Some(first) = p.refusals.first() else {
        return bad_request("Request failed input validation.");
    };
    let resp = gerror(first, "Request failed input validation.")
        .with_data(json!({ "messages": { location: p.messages } }))
        .into_response();
    refusal::tag(resp, &p.refusals)
}

fn conflict(
    refusal: &'static Refusal,
    message: impl Into<String>,
    data: Option<Value>,
) -> Response {
    let mut e = gerror(refusal, message);
    if let Some(d) = data {
        e = e.with_data(d);
    }
    e.into_response()
}

/// Validation messages keyed by field path, built up as the body is checked, and the
/// refusals they are.
#[derive(Default)]
struct Problems {
    messages: Map<String, Value>,
    refusals: Vec<&'static Refusal>,
}

impl Problems {
    fn add(&mut self, refusal: &'static Refusal, path: &[&str], message: impl Into<String>) {
        if !self.refusals.contains(&refusal) {
            self.refusals.push(refusal);
        }
        let mut map = &mut self.messages;
        for (i, key) in path.iter().enumerate() {
            if i + 1 == path.len() {
                let list = map
                    .entry(key.to_string())
                    .or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(items) = list {
                    items.push(Value::String(message.into()));
                }
                return;
            }
            let next = map
                .entry(key.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            if !next.is_object() {
                *next = Value::Object(Map::new());
            }
            let Value::Object(inner) = next else { return };
            map = inner;
        }
    }

    fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }
}

const MISSING: &str = "Missing data for required field.";

// ---------------------------------------------------------------------------------------
// Routing and authentication
// ---------------------------------------------------------------------------------------

pub(crate) fn routes(em: Emulator) -> Router<Emulator> {
    Router::new()
        .route("/v1/index_list", get(index_list))
        .route("/v1/index/{index}", get(get_index))
        .route("/v1/index/{index}/ingest", post(ingest))
        .route(
            "/v1/index/{index}/subject",
            get(get_subject).delete(delete_subject),
        )
        .route(
            "/v1/index/{index}/search",
            get(search_get).post(search_post),
        )
        .route("/v1/index/{index}/role", post(create_role))
        .route("/v1/index/{index}/role_list", get(role_list))
        .route("/v1/index/{index}/role/{role_id}", delete(delete_role))
        .route("/v1/task/{task}", get(get_task))
        .route("/v1/task_list/{index}", get(task_list))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(middleware::from_fn_with_state(em, authenticate))
}

/// No `Authorization`: an anonymous caller (public data only). A bearer token this emulator
/// issued for Search: that identity. Anything else: 401.
async fn authenticate(State(em): State<Emulator>, mut req: Request, next: Next) -> Response {
    let caller = if req
        .headers()
        .contains_key(axum::http::header::AUTHORIZATION)
    {
        let found = bearer(req.headers()).and_then(|t| {
            let w = em.lock();
            w.tokens
                .get(t)
                .filter(|rec| rec.resource_server == SEARCH_RS)
                .map(|rec| rec.client_id)
        });
        match found {
            Some(id) => Some(id),
            None => {
                return ApiError::unauthorized(Service::Search, &refused::UNAUTHORIZED, "")
                    .into_response();
            }
        }
    } else {
        None
    };
    req.extensions_mut().insert(SearchCaller(caller));
    next.run(req).await
}

/// The index of a route (404 when absent or not a UUID).
fn index<'a>(st: &'a Store, raw: &str) -> Result<&'a IndexRec, Response> {
    raw.parse::<Uuid>()
        .ok()
        .and_then(|id| st.search.indexes.get(&id))
        .ok_or_else(|| no_index(raw))
}

/// The index of a route and the caller, checked for authentication and `need`.
fn index_for<'a>(
    st: &'a Store,
    raw: &str,
    caller: SearchCaller,
    need: Need,
    op: &str,
) -> Result<(&'a IndexRec, Who), Response> {
    if caller.0.is_none() {
        return Err(unauthenticated(op));
    }
    let ix = index(st, raw)?;
    let who = Who::of(st, caller);
    if !need.met_by(&who.roles(ix)) {
        return Err(forbidden(op));
    }
    Ok((ix, who))
}

fn json_object(body: &Bytes, what: &str) -> Result<Map<String, Value>, Response> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(bad_request(format!("{what} requires a JSON payload"))),
    }
}

// ---------------------------------------------------------------------------------------
// Index documents
// ---------------------------------------------------------------------------------------

fn index_doc(ix: &IndexRec, permissions: Option<Vec<String>>) -> SearchIndex {
    let num_entries = ix.subjects.values().map(Vec::len).sum::<usize>() as u64;
    let bytes: usize = ix
        .subjects
        .values()
        .flatten()
        .map(|e| serde_json::to_string(&e.content).map_or(0, |s| s.len()))
        .sum();
    SearchIndex {
        datatype: Some("GSearchIndex".into()),
        version: Some(VERSION_2017.into()),
        id: ix.id.to_string(),
        display_name: ix.display_name.clone(),
        description: ix.description.clone(),
        creation_date: ix.creation_date.clone(),
        is_trial: false,
        subscription_id: None,
        max_size_in_mb: 100,
        size_in_mb: (bytes / (1024 * 1024)) as u64,
        num_entries,
        num_subjects: ix.subjects.len() as u64,
        status: "open".into(),
        available: Some(true),
        permissions,
        extra: Default::default(),
    }
}

/// Role names in the reference's order (owner, admin, writer).
fn ordered(roles: &BTreeSet<String>) -> Vec<String> {
    ROLE_NAMES
        .iter()
        .filter(|r| roles.contains(**r))
        .map(|r| r.to_string())
        .collect()
}

async fn get_index(
    State(em): State<Emulator>,
    Extension(caller): Extension<SearchCaller>,
    Path(raw): Path<String>,
) -> Response {
    let w = em.lock();
    let ix = match index(&w.state, &raw) {
        Ok(ix) => ix,
        Err(r) => return r,
    };
    let who = Who::of(&w.state, caller);
    Json(index_doc(ix, Some(ordered(&who.roles(ix))))).into_response()
}

async fn index_list(
    State(em): State<Emulator>,
    Extension(caller): Extension<SearchCaller>,
    Query(q): Query<Vec<(String, String)>>,
) -> Response {
    if caller.0.is_none() {
        return unauthenticated("index_list");
    }
    let filter: BTreeSet<String> = q
        .iter()
        .filter(|(k, _)| k == "filter_roles")
        .flat_map(|(_, v)| v.split(',').map(|s| s.trim().to_string()))
        .filter(|s| !s.is_empty())
        .collect();
    if let Some(bad) = filter.iter().find(|r| !ROLE_NAMES.contains(&r.as_str())) {
        let mut p = Problems::default();
        p.add(
            &refused::QUERY,
            &["filter_roles"],
            format!("Must be one of: owner, admin, writer (got {bad})."),
        );
        return invalid("query", p);
    }
    let w = em.lock();
    let who = Who::of(&w.state, caller);
    let list: Vec<SearchIndex> = w
        .state
        .search
        .indexes
        .values()
        .filter_map(|ix| {
            let roles = who.roles(ix);
            let keep = if filter.is_empty() {
                !roles.is_empty()
            } else {
                roles.iter().any(|r| filter.contains(r))
            };
            keep.then(|| index_doc(ix, Some(ordered(&roles))))
        })
        .take(100)
        .collect();
    Json(json!({ "index_list": list })).into_response()
}

// ---------------------------------------------------------------------------------------
// Ingest and tasks
// ---------------------------------------------------------------------------------------

/// `path` with one more key.
fn join<'a>(path: &[&'a str], key: &'a str) -> Vec<&'a str> {
    let mut out = path.to_vec();
    out.push(key);
    out
}

/// Checks one `GMetaEntry` at `path`, returning the subject and the entry when valid.
fn check_entry(v: &Value, path: &[&str], p: &mut Problems) -> Option<(String, EntryRec)> {
    let Some(m) = v.as_object() else {
        p.add(&refused::INGEST_MALFORMED, path, "Invalid input type.");
        return None;
    };
    let at = |field: &'static str| join(path, field);
    let before = p.messages.clone();
    let subject = match m.get("subject") {
        None | Some(Value::Null) => {
            p.add(&refused::INGEST_MALFORMED, &at("subject"), MISSING);
            None
        }
        Some(Value::String(s)) if s.is_empty() || s.len() > MAX_SUBJECT_BYTES => {
            p.add(
                &refused::SUBJECT_LENGTH,
                &at("subject"),
                format!("Length must be between 1 and {MAX_SUBJECT_BYTES}."),
            );
            None
        }
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            p.add(
                &refused::INGEST_MALFORMED,
                &at("subject"),
                "Not a valid string.",
            );
            None
        }
    };
    let id = match m.get("id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            p.add(&refused::INGEST_MALFORMED, &at("id"), "Not a valid string.");
            None
        }
    };
    let mut visible_to = Vec::new();
    match m.get("visible_to") {
        None | Some(Value::Null) => p.add(&refused::INGEST_MALFORMED, &at("visible_to"), MISSING),
        Some(Value::Array(items)) => {
            if items.len() > MAX_VISIBLE_TO {
                p.add(
                    &refused::VISIBLE_TO_LIMIT,
                    &at("visible_to"),
                    format!("Longer than maximum length {MAX_VISIBLE_TO}."),
                );
            }
            for item in items {
                match item.as_str() {
                    Some(s) if Principal::parse(s).is_some() => visible_to.push(s.to_string()),
                    _ => p.add(
                        &refused::VISIBLE_TO_PRINCIPAL,
                        &at("visible_to"),
                        format!("Not a valid principal: {item}"),
                    ),
                }
            }
        }
        Some(_) => p.add(
            &refused::INGEST_MALFORMED,
            &at("visible_to"),
            "Not a valid list.",
        ),
    }
    let principal_sets = match m.get("principal_sets") {
        None | Some(Value::Null) => None,
        Some(Value::Object(sets)) => {
            let mut out = BTreeMap::new();
            for (name, members) in sets {
                let mut list = Vec::new();
                match members.as_array() {
                    Some(items) => {
                        for item in items {
                            match item.as_str().and_then(Principal::parse) {
                                Some(pr) if pr.principal_type().is_some() => {
                                    list.push(item.as_str().unwrap_or_default().to_string())
                                }
                                _ => p.add(
                                    &refused::PRINCIPAL_SET_MEMBER,
                                    &join(&at("principal_sets"), name),
                                    format!("Not a valid principal URN: {item}"),
                                ),
                            }
                        }
                    }
                    None => p.add(
                        &refused::INGEST_MALFORMED,
                        &join(&at("principal_sets"), name),
                        "Not a valid list.",
                    ),
                }
                out.insert(name.clone(), list);
            }
            Some(out)
        }
        Some(_) => {
            p.add(
                &refused::INGEST_MALFORMED,
                &at("principal_sets"),
                "Not a valid mapping type.",
            );
            None
        }
    };
    let content = match m.get("content") {
        None | Some(Value::Null) => {
            p.add(&refused::INGEST_MALFORMED, &at("content"), MISSING);
            None
        }
        Some(Value::Object(c)) => Some(c.clone()),
        Some(_) => {
            p.add(
                &refused::INGEST_MALFORMED,
                &at("content"),
                "Not a valid mapping type.",
            );
            None
        }
    };
    if p.messages != before {
        return None;
    }
    Some((
        subject?,
        EntryRec {
            id,
            visible_to,
            principal_sets,
            content: content?,
        },
    ))
}

/// The entries of an ingest body, or the validation answer.
fn check_ingest(body: &Map<String, Value>) -> Result<Vec<(String, EntryRec)>, Response> {
    let mut p = Problems::default();
    let mut out = Vec::new();
    let kind = body.get("ingest_type").and_then(Value::as_str);
    match body.get("ingest_type") {
        None | Some(Value::Null) => p.add(&refused::INGEST_MALFORMED, &["ingest_type"], MISSING),
        Some(Value::String(s)) if s == "GMetaEntry" || s == "GMetaList" => {}
        Some(_) => p.add(
            &refused::INGEST_MALFORMED,
            &["ingest_type"],
            "Must be one of: GMetaEntry, GMetaList.",
        ),
    }
    match (kind, body.get("ingest_data")) {
        (_, None | Some(Value::Null)) => {
            p.add(&refused::INGEST_MALFORMED, &["ingest_data"], MISSING)
        }
        (Some("GMetaEntry"), Some(data)) => {
            out.extend(check_entry(data, &["ingest_data"], &mut p));
        }
        (Some("GMetaList"), Some(data)) => match data.get("gmeta") {
            None | Some(Value::Null) => p.add(
                &refused::INGEST_MALFORMED,
                &["ingest_data", "gmeta"],
                MISSING,
            ),
            Some(Value::Array(items)) => {
                let keys: Vec<String> = (0..items.len()).map(|i| i.to_string()).collect();
                for (item, key) in items.iter().zip(&keys) {
                    out.extend(check_entry(item, &["ingest_data", "gmeta", key], &mut p));
                }
            }
            Some(_) => p.add(
                &refused::INGEST_MALFORMED,
                &["ingest_data", "gmeta"],
                "Not a valid list.",
            ),
        },
        _ => {}
    }
    if p.is_empty() {
        Ok(out)
    } else {
        Err(invalid("json", p))
    }
}

/// Records a task and answers its submission.
fn submit(
    w: &mut World,
    index_id: Uuid,
    task_type: &str,
    submitted_by: Uuid,
    failure: Option<String>,
) -> Response {
    let now = w.now();
    let task_id = w.state.next_id("search_task");
    w.state.search.tasks.push(TaskRec {
        task_id,
        index_id,
        task_type: task_type.into(),
        state: TaskState::Pending,
        creation_date: task_time(now),
        completion_date: None,
        failure,
        submitted_by,
        polls: 0,
    });
    Json(TaskSubmitResponse {
        acknowledged: true,
        task_id: task_id.to_string(),
        extra: Default::default(),
    })
    .into_response()
}

async fn ingest(
    State(em): State<Emulator>,
    Extension(caller): Extension<SearchCaller>,
    Path(raw): Path<String>,
    body: Bytes,
) -> Response {
    let mut w = em.lock();
    let (index_id, submitter) = match index_for(&w.state, &raw, caller, Need::Write, "ingest") {
        Ok((ix, who)) => (ix.id, who.identity.unwrap_or_default()),
        Err(r) => return r,
    };
    let body = match json_object(&body, "/v1/ingest") {
        Ok(b) => b,
        Err(r) => return r,
    };
    let entries = match check_ingest(&body) {
        Ok(e) => e,
        Err(r) => return r,
    };
    let Some(ix) = w.state.search.indexes.get(&index_id) else {
        return no_index(&raw);
    };
    // The whole task applies or fails: a subject may hold at most 10 entries.
    let mut subjects = ix.subjects.clone();
    for (subject, rec) in entries {
        upsert(subjects.entry(subject).or_default(), rec);
    }
    let failure = subjects
        .iter()
        .find(|(_, e)| e.len() > MAX_ENTRIES_PER_SUBJECT)
        .map(|(s, _)| {
            format!("Subject {s:?} would have more than {MAX_ENTRIES_PER_SUBJECT} entries")
        });
    if failure.is_none()
        && let Some(ix) = w.state.search.indexes.get_mut(&index_id)
    {
        ix.subjects = subjects;
    }
    let failed = failure.is_some();
    let resp = submit(&mut w, index_id, "INGEST", submitter, failure);
    if failed {
        refusal::tag(resp, &[&refused::ENTRY_LIMIT])
    } else {
        resp
    }
}

fn task_doc(t: &TaskRec) -> Task {
    let (description, message) = match &t.state {
        TaskState::Success => ("Task succeeded", None),
        TaskState::Failed => ("Task failed", t.failure.clone()),
        _ => ("Task is waiting to start", None),
    };
    Task {
        task_id: t.task_id.to_string(),
        index_id: t.index_id.to_string(),
        state: t.state.clone(),
        state_description: description.into(),
        task_type: Some(t.task_type.clone()),
        creation_date: t.creation_date.clone(),
        completion_date: t.completion_date.clone(),
        message,
        additional_details: None,
        extra: Default::default(),
    }
}

async fn get_task(
    State(em): State<Emulator>,
    Extension(caller): Extension<SearchCaller>,
    Path(raw): Path<String>,
) -> Response {
    if caller.0.is_none() {
        return unauthenticated("task_show");
    }
    let mut w = em.lock();
    let now = w.now();
    let st = &w.state;
    let Some(pos) = raw
        .parse::<Uuid>()
        .ok()
        .and_then(|id| st.search.tasks.iter().position(|t| t.task_id == id))
    else {
        return not_found(
            &refused::TASK_NOT_FOUND,
            format!("No task with id \"{raw}\""),
        );
    };
    let t = &st.search.tasks[pos];
    let who = Who::of(st, caller);
    let allowed = who.identity == Some(t.submitted_by)
        || st
            .search
            .indexes
            .get(&t.index_id)
            .is_some_and(|ix| Need::Write.met_by(&who.roles(ix)));
    if !allowed {
        return forbidden("task_show");
    }
    let t = &mut w.state.search.tasks[pos];
    if !t.state.is_terminal() {
        if t.polls > 0 {
            t.state = if t.failure.is_some() {
                TaskState::Failed
            } else {
                TaskState::Success
            };
            t.completion_date = Some(task_time(now));
        }
        t.polls += 1;
    }
    Json(task_doc(t)).into_response()
}

async fn task_list(
    State(em): State<Emulator>,
    Extension(caller): Extension<SearchCaller>,
    Path(raw): Path<String>,
) -> Response {
    let w = em.lock();
    let ix = match index_for(&w.state, &raw, caller, Need::Write, "task_list") {
        Ok((ix, _)) => ix,
        Err(r) => return r,
    };
    let tasks: Vec<Task> = w
        .state
        .search
        .tasks
        .iter()
        .rev()
        .filter(|t| t.index_id == ix.id)
        .take(MAX_TASKS_LISTED)
        .map(task_doc)
        .collect();
    Json(TaskList {
        index_id: ix.id.to_string(),
        tasks,
        extra: Default::default(),
    })
    .into_response()
}

// ---------------------------------------------------------------------------------------
// Subjects
// ---------------------------------------------------------------------------------------

fn param<'a>(q: &'a [(String, String)], key: &str) -> Option<&'a str> {
    q.iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn bool_param(q: &[(String, String)], key: &str) -> Result<bool, Response> {
    match param(q, key).map(str::to_ascii_lowercase).as_deref() {
        None | Some("false") | Some("0") | Some("no") => Ok(false),
        Some("true") | Some("1") | Some("yes") => Ok(true),
        Some(_) => {
            let mut p = Problems::default();
            p.add(&refused::QUERY, &[key], "Not a valid boolean.");
            Err(invalid("query", p))
        }
    }
}

/// Which optional parts of an entry an answer carries.
#[derive(Clone, Copy)]
struct Shape {
    content: bool,
    /// `visible_to` (index admins and owners only).
    visible_to: bool,
    /// `principal_sets` (index admins and owners only).
    principal_sets: bool,
}

fn result_entry(e: &EntryRec, who: &Who, shape: Shape) -> ResultEntry {
    ResultEntry {
        entry_id: e.id.clone(),
        content: shape.content.then(|| e.content.clone()),
        matched_principal_sets: who.matched_sets(e),
        visible_to: shape.visible_to.then(|| e.visible_to.clone()),
        principal_sets: shape
            .principal_sets
            .then(|| serde_json::to_value(e.principal_sets.clone().unwrap_or_default()))
            .and_then(Result::ok),
        extra: Default::default(),
    }
}

fn gmeta_result(subject: &str, entries: Vec<ResultEntry>) -> GMetaResult {
    GMetaResult {
        datatype: Some("GMetaResult".into()),
        version: Some(RESULT_VERSION.into()),
        subject: subject.into(),
        entries,
        extra: Default::default(),
    }
}

/// Checks `bypass_visible_to`: only index admins and owners may ask for it.
fn check_bypass(bypass: bool, admin: bool, caller: SearchCaller, op: &str) -> Option<Response> {
    match (bypass, caller.0, admin) {
        (false, _, _) | (true, Some(_), true) => None,
        (true, None, _) => Some(unauthenticated(op)),
        (true, Some(_), false) => Some(forbidden(op)),
    }
}

async fn get_subject(
    State(em): State<Emulator>,
    Extension(caller): Extension<SearchCaller>,
    Path(raw): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> Response {
    let w = em.lock();
    let st = &w.state;
    let ix = match index(st, &raw) {
        Ok(ix) => ix,
        Err(r) => return r,
    };
    let Some(subject) = param(&q, "subject") else {
        let mut p = Problems::default();
        p.add(&refused::QUERY, &["subject"], MISSING);
        return invalid("query", p);
    };
    let bypass = match bool_param(&q, "bypass_visible_to") {
        Ok(b) => b,
        Err(r) => return r,
    };
    let who = Who::of(st, caller);
    let admin = Need::Admin.met_by(&who.roles(ix));
    if let Some(r) = check_bypass(bypass, admin, caller, "subject_show") {
        return r;
    }
    // A subject read takes no `fields`: bypassing is how an admin asks for the lists.
    let shape = Shape {
        content: true,
        visible_to: bypass,
        principal_sets: bypass,
    };
    let entries: Vec<ResultEntry> = ix
        .subjects
        .get(subject)
        .into_iter()
        .flatten()
        .filter(|e| bypass || who.sees(&e.visible_to))
        .map(|e| result_entry(e, &who, shape))
        .collect();
    if entries.is_empty() {
        return not_found(
            &refused::SUBJECT_NOT_FOUND,
            format!("No entries visible to you for subject \"{subject}\" in index \"{raw}\""),
        );
    }
    Json(gmeta_result(subject, entries)).into_response()
}

async fn delete_subject(
    State(em): State<Emulator>,
    Extension(caller): Extension<SearchCaller>,
    Path(raw): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> Response {
    let mut w = em.lock();
    let (index_id, submitter) =
        match index_for(&w.state, &raw, caller, Need::Write, "subject_delete") {
            Ok((ix, who)) => (ix.id, who.identity.unwrap_or_default()),
            Err(r) => return r,
        };
    let Some(subject) = param(&q, "subject") else {
        let mut p = Problems::default();
        p.add(&refused::SUBJECT_MISSING, &["subject"], MISSING);
        return invalid("query", p);
    };
    if let Some(ix) = w.state.search.indexes.get_mut(&index_id) {
        ix.subjects.remove(subject);
    }
    submit(&mut w, index_id, "DELETE_BY_SUBJECT", submitter, None)
}

// ---------------------------------------------------------------------------------------
// Queries
// ---------------------------------------------------------------------------------------

/// A term of `q`: a needle, maybe restricted to one dotted content field.
struct Term {
    field: Option<Vec<String>>,
    needle: String,
}

fn parse_terms(q: &str) -> Vec<Term> {
    q.split_whitespace()
        .filter(|t| !matches!(*t, "AND" | "and" | "&&"))
        .filter_map(|raw| {
            let t = raw.trim_matches('"').replace('*', "");
            let (field, needle) = match t.split_once(':') {
                Some((f, v))
                    if !f.is_empty()
                        && f.chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.') =>
                {
                    (
                        Some(f.split('.').map(String::from).collect()),
                        v.trim_matches('"').to_string(),
                    )
                }
                _ => (None, t),
            };
            let needle = needle.to_lowercase();
            (!needle.is_empty() || field.is_some()).then_some(Term { field, needle })
        })
        .collect()
}

/// Whether any scalar inside `v` contains `needle` (case-insensitive).
fn value_contains(v: &Value, needle: &str) -> bool {
    match v {
        Value::String(s) => s.to_lowercase().contains(needle),
        Value::Number(n) => n.to_string().contains(needle),
        Value::Bool(b) => b.to_string() == needle,
        Value::Array(items) => items.iter().any(|i| value_contains(i, needle)),
        Value::Object(m) => m.values().any(|i| value_contains(i, needle)),
        Value::Null => false,
    }
}

/// The values at a dotted path (lists are searched through).
fn at_path<'a>(v: &'a Value, path: &[String]) -> Vec<&'a Value> {
    let Some((first, rest)) = path.split_first() else {
        return vec![v];
    };
    match v {
        Value::Object(m) => m.get(first).map_or(Vec::new(), |x| at_path(x, rest)),
        Value::Array(items) => items.iter().flat_map(|i| at_path(i, path)).collect(),
        _ => Vec::new(),
    }
}

fn entry_matches(terms: &[Term], subject: &str, e: &EntryRec) -> bool {
    let content = Value::Object(e.content.clone());
    terms.iter().all(|t| match &t.field {
        Some(path) => {
            let found = at_path(&content, path);
            if found.is_empty() {
                // Not a field of this entry: read the term as plain text (`https://...`).
                let whole = format!("{}:{}", path.join("."), t.needle).to_lowercase();
                subject.to_lowercase().contains(&whole) || value_contains(&content, &whole)
            } else {
                t.needle.is_empty() || found.iter().any(|v| value_contains(v, &t.needle))
            }
        }
        None => subject.to_lowercase().contains(&t.needle) || value_contains(&content, &t.needle),
    })
}

/// A query, from GET parameters or a POST body.
struct QuerySpec {
    q: String,
    limit: u64,
    offset: u64,
    bypass: bool,
    filter_principal_sets: Vec<String>,
    fields: Option<Vec<String>>,
}

fn run_query(em: &Emulator, raw: &str, caller: SearchCaller, query: QuerySpec) -> Response {
    let location = "query";
    let mut p = Problems::default();
    if query.limit > MAX_RESULTS {
        p.add(
            &refused::QUERY,
            &["limit"],
            format!("Must be less than or equal to {MAX_RESULTS}."),
        );
    }
    if query.offset + query.limit > MAX_RESULTS {
        p.add(
            &refused::QUERY,
            &["offset"],
            format!("offset + limit must be less than or equal to {MAX_RESULTS}."),
        );
    }
    let fields = query
        .fields
        .clone()
        .unwrap_or_else(|| vec!["content".to_string()]);
    for f in &fields {
        if !QUERY_FIELDS.contains(&f.as_str()) {
            p.add(
                &refused::QUERY,
                &["fields"],
                format!("Must be one of: visible_to, principal_sets, content (got {f})."),
            );
        }
    }
    if !p.is_empty() {
        return invalid(location, p);
    }
    let w = em.lock();
    let st = &w.state;
    let ix = match index(st, raw) {
        Ok(ix) => ix,
        Err(r) => return r,
    };
    let who = Who::of(st, caller);
    let admin = Need::Admin.met_by(&who.roles(ix));
    if let Some(r) = check_bypass(query.bypass, admin, caller, "query") {
        return r;
    }
    // `fields` alone decides what an entry carries (default `content`); the lists only
    // for index admins and owners, bypassing or not.
    let named = |f: &str| fields.iter().any(|n| n == f);
    let shape = Shape {
        content: named("content"),
        visible_to: admin && named("visible_to"),
        principal_sets: admin && named("principal_sets"),
    };
    let terms = if matches!(query.q.trim(), "" | "*") {
        Vec::new()
    } else {
        parse_terms(&query.q)
    };
    let mut hits: Vec<GMetaResult> = Vec::new();
    for (subject, entries) in &ix.subjects {
        let kept: Vec<&EntryRec> = entries
            .iter()
            .filter(|e| query.bypass || who.sees(&e.visible_to))
            .filter(|e| {
                query.filter_principal_sets.is_empty()
                    || who
                        .matched_sets(e)
                        .iter()
                        .any(|m| query.filter_principal_sets.contains(m))
            })
            .collect();
        if kept.iter().any(|e| entry_matches(&terms, subject, e)) {
            hits.push(gmeta_result(
                subject,
                kept.iter().map(|e| result_entry(e, &who, shape)).collect(),
            ));
        }
    }
    let total = hits.len() as u64;
    let page: Vec<GMetaResult> = hits
        .into_iter()
        .skip(query.offset as usize)
        .take(query.limit as usize)
        .collect();
    let count = page.len() as u64;
    Json(GSearchResult {
        datatype: Some("GSearchResult".into()),
        version: Some(VERSION_2017.into()),
        count,
        offset: query.offset,
        total,
        has_next_page: query.offset + count < total,
        gmeta: page,
        facet_results: None,
        extra: Default::default(),
    })
    .into_response()
}

async fn search_get(
    State(em): State<Emulator>,
    Extension(caller): Extension<SearchCaller>,
    Path(raw): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> Response {
    let params = match SearchParams::from_query(&q) {
        Ok(p) => p,
        Err(msg) => {
            let (field, text) = msg.split_once(": ").unwrap_or(("q", msg.as_str()));
            let mut p = Problems::default();
            p.add(&refused::QUERY, &[field], text);
            return invalid("query", p);
        }
    };
    let query = QuerySpec {
        q: params.q,
        limit: params.limit.unwrap_or(10),
        offset: params.offset.unwrap_or(0),
        bypass: params.bypass_visible_to.unwrap_or(false),
        filter_principal_sets: params.filter_principal_sets,
        fields: (!params.fields.is_empty()).then_some(params.fields),
    };
    run_query(&em, &raw, caller, query)
}

async fn search_post(
    State(em): State<Emulator>,
    Extension(caller): Extension<SearchCaller>,
    Path(raw): Path<String>,
    body: Bytes,
) -> Response {
    let body = match json_object(&body, "/v1/search") {
        Ok(b) => b,
        Err(r) => return r,
    };
    let body: SearchQuery = match serde_json::from_value(Value::Object(body)) {
        Ok(b) => b,
        Err(e) => {
            let mut p = Problems::default();
            p.add(&refused::QUERY, &["_schema"], e.to_string());
            return invalid("json", p);
        }
    };
    // The body's version decides its schema: only `query#1.0.0` has `fields`.
    let mut p = Problems::default();
    match body.version.as_deref() {
        None | Some(VERSION_2017) | Some(QUERY_V1) => {}
        Some(_) => p.add(
            &refused::QUERY,
            &["@version"],
            format!("Must be one of: {VERSION_2017}, {QUERY_V1}."),
        ),
    }
    if body.fields.is_some() && !body.takes_fields() {
        p.add(&refused::QUERY, &["fields"], "Unknown field.");
    }
    if !p.is_empty() {
        return invalid("json", p);
    }
    let query = QuerySpec {
        q: body.q.unwrap_or_else(|| "*".into()),
        limit: body.limit.unwrap_or(10),
        offset: body.offset.unwrap_or(0),
        bypass: body.bypass_visible_to.unwrap_or(false),
        filter_principal_sets: body.filter_principal_sets.unwrap_or_default(),
        fields: body.fields,
    };
    run_query(&em, &raw, caller, query)
}

// ---------------------------------------------------------------------------------------
// Roles
// ---------------------------------------------------------------------------------------

fn role_doc(ix: &IndexRec, r: &IndexRoleRec) -> Role {
    Role {
        id: r.id.clone(),
        index_id: ix.id.to_string(),
        principal: r.principal.clone(),
        principal_type: Principal::parse(&r.principal)
            .and_then(|p| p.principal_type())
            .unwrap_or("identity")
            .into(),
        role_name: r.role_name.clone(),
        creation_date: r.creation_date.clone(),
        extra: Default::default(),
    }
}

async fn create_role(
    State(em): State<Emulator>,
    Extension(caller): Extension<SearchCaller>,
    Path(raw): Path<String>,
    body: Bytes,
) -> Response {
    let mut w = em.lock();
    let now = w.now();
    let (index_id, caller_roles) =
        match index_for(&w.state, &raw, caller, Need::Admin, "role_create") {
            Ok((ix, who)) => (ix.id, who.roles(ix)),
            Err(r) => return r,
        };
    let body = match json_object(&body, "/v1/index/<index_id>/role") {
        Ok(b) => b,
        Err(r) => return r,
    };
    let mut p = Problems::default();
    let role_name = match body.get("role_name") {
        None | Some(Value::Null) => {
            p.add(&refused::ROLE_INVALID, &["role_name"], MISSING);
            None
        }
        Some(Value::String(s)) if ROLE_NAMES.contains(&s.as_str()) => Some(s.clone()),
        Some(_) => {
            p.add(
                &refused::ROLE_INVALID,
                &["role_name"],
                "Must be one of: owner, admin, writer.",
            );
            None
        }
    };
    let principal = match body.get("principal") {
        None | Some(Value::Null) => {
            p.add(&refused::ROLE_INVALID, &["principal"], MISSING);
            None
        }
        Some(Value::String(s)) => match Principal::parse(s) {
            Some(pr) if pr.principal_type().is_some() => Some(pr),
            _ => {
                p.add(
                    &refused::ROLE_INVALID,
                    &["principal"],
                    format!("Not a valid identity or group principal URN: {s}"),
                );
                None
            }
        },
        Some(_) => {
            p.add(
                &refused::ROLE_INVALID,
                &["principal"],
                "Not a valid string.",
            );
            None
        }
    };
    let (Some(role_name), Some(principal)) = (role_name, principal) else {
        return invalid("json", p);
    };
    if role_name == "owner" && !caller_roles.contains("owner") {
        return gerror(
            &refused::NEEDS_OWNER,
            "The operation you have requested requires \"Owner\" rights",
        )
        .into_response();
    }
    let Some(ix) = w.state.search.indexes.get(&index_id) else {
        return no_index(&raw);
    };
    if ix
        .roles
        .iter()
        .any(|r| r.role_name == role_name && Principal::parse(&r.principal) == Some(principal))
    {
        return conflict(
            &refused::ROLE_EXISTS,
            format!(
                "{} already holds the {role_name} role on this index",
                principal.urn()
            ),
            None,
        );
    }
    if ix.roles.len() >= MAX_ROLES {
        return conflict(
            &refused::ROLE_LIMIT,
            "Role limit exceeded",
            Some(json!({
                "cause": "Creating this role would exceed the limit on roles of an index.",
                "constraint": format!("Cannot create more than {MAX_ROLES} roles on an index"),
            })),
        );
    }
    let id = w.state.search.next_role_id();
    let rec = IndexRoleRec {
        id,
        role_name,
        principal: principal.urn(),
        creation_date: role_time(now),
    };
    let Some(ix) = w.state.search.indexes.get_mut(&index_id) else {
        return no_index(&raw);
    };
    ix.roles.push(rec.clone());
    Json(role_doc(ix, &rec)).into_response()
}

async fn role_list(
    State(em): State<Emulator>,
    Extension(caller): Extension<SearchCaller>,
    Path(raw): Path<String>,
) -> Response {
    let w = em.lock();
    let ix = match index_for(&w.state, &raw, caller, Need::Admin, "role_list") {
        Ok((ix, _)) => ix,
        Err(r) => return r,
    };
    Json(RoleList {
        role_list: ix.roles.iter().map(|r| role_doc(ix, r)).collect(),
        extra: Default::default(),
    })
    .into_response()
}

async fn delete_role(
    State(em): State<Emulator>,
    Extension(caller): Extension<SearchCaller>,
    Path((raw, role_id)): Path<(String, String)>,
) -> Response {
    let mut w = em.lock();
    let index_id = match index_for(&w.state, &raw, caller, Need::Admin, "role_delete") {
        Ok((ix, _)) => ix.id,
        Err(r) => return r,
    };
    let Some(ix) = w.state.search.indexes.get_mut(&index_id) else {
        return no_index(&raw);
    };
    let Some(pos) = ix.roles.iter().position(|r| r.id == role_id) else {
        return not_found(
            &refused::ROLE_NOT_FOUND,
            format!("No role with id \"{role_id}\" on index \"{raw}\""),
        );
    };
    let owners = ix.roles.iter().filter(|r| r.role_name == "owner").count();
    if ix.roles[pos].role_name == "owner" && owners == 1 {
        return conflict(
            &refused::ROLE_LAST_OWNER,
            "The last owner role on an index cannot be deleted",
            None,
        );
    }
    let removed = ix.roles.remove(pos);
    Json(DeletedRole {
        deleted: role_doc(ix, &removed),
        success: true,
        extra: Default::default(),
    })
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_ids_look_like_the_real_ones() {
        let mut st = SearchState {
            role_seq: 45301,
            ..SearchState::default()
        };
        assert_eq!(st.next_role_id(), "MDQ1MzAy");
        assert_eq!(st.role_seq, 45302);
    }

    #[test]
    fn problems_nest_by_path() {
        let mut p = Problems::default();
        p.add(
            &refused::INGEST_MALFORMED,
            &["ingest_data", "gmeta", "0", "visible_to"],
            MISSING,
        );
        p.add(
            &refused::INGEST_MALFORMED,
            &["ingest_data", "gmeta", "0", "content"],
            MISSING,
        );
        p.add(&refused::INGEST_MALFORMED, &["ingest_type"], "x");
        assert_eq!(p.refusals, [&refused::INGEST_MALFORMED]);
        assert_eq!(
            Value::Object(p.messages),
            json!({
                "ingest_data": {"gmeta": {"0": {"visible_to": [MISSING], "content": [MISSING]}}},
                "ingest_type": ["x"]
            })
        );
    }

    #[test]
    fn terms_match_subject_content_and_fields() {
        let e = EntryRec {
            id: None,
            visible_to: vec!["public".into()],
            principal_sets: None,
            content:
                json!({"title": "Mouse Cortex", "meta": {"year": 2024}, "tags": ["em", "xray"]})
                    .as_object()
                    .unwrap()
                    .clone(),
        };
        let m = |q: &str| entry_matches(&parse_terms(q), "https://example.org/d1", &e);
        assert!(m("mouse"));
        assert!(m("MOUSE cortex"));
        assert!(!m("mouse rat"));
        assert!(m("example.org"));
        assert!(m("https://example.org/d1"));
        assert!(m("meta.year:2024"));
        assert!(!m("meta.year:2023"));
        assert!(m("tags:xray"));
        assert!(m("cort*"));
        assert!(m("title:\"mouse\""));
    }

    #[test]
    fn seed_principals_resolve_to_urns() {
        let id: Uuid = "46bd0f56-e24f-11e5-a510-131bef46955c".parse().unwrap();
        let identity = |r: &str| (r == "alice").then_some(id);
        let group = |r: &str| (r == "lab").then_some(id);
        let r = |s: &str, special| seed_principal(s, special, &identity, &group);
        assert_eq!(
            r("alice", false).as_deref(),
            Some("urn:globus:auth:identity:46bd0f56-e24f-11e5-a510-131bef46955c")
        );
        assert_eq!(
            r("group:lab", false).as_deref(),
            Some("urn:globus:groups:id:46bd0f56-e24f-11e5-a510-131bef46955c")
        );
        assert_eq!(r("public", true).as_deref(), Some("public"));
        assert_eq!(r("public", false), None);
        assert_eq!(r("urn:globus::auth:identity:x", false), None);
        assert_eq!(r("bob", false), None);
    }
}
