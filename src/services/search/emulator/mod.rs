//! Globus Search API v1 under `/search` (paths `/v1/...`): ingest, tasks, subjects, queries
//! (GET and POST) with `visible_to` and `principal_sets` filtering, index roles and the
//! index document; plus the seed section and the state it builds. Rights and the behaviour
//! decided where the reference is silent: `docs/emulator.md`.
// Early returns carry the finished HTTP answer; boxing it would only add noise on a cold path.
#![allow(clippy::result_large_err)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

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

use crate::service::emulator::refusal::{self, Refusal};
use crate::service::emulator::{
    ApiError, EmulatedService, ErrorShape, Handle, Seed, SeedError, SeedPart, SeedSource, World,
    request_id,
};
use crate::services::auth::emulator::{AuthSeed, directory};
use crate::services::groups::emulator::{GroupsSeed, active_groups, groups};
mod indexes;
mod ingest;
mod query;
mod seed;
mod state;

use indexes::*;
use ingest::*;
use query::*;
pub use seed::*;
pub use state::*;

use crate::services::search::refusals as refused;
use crate::services::search::wire::{
    DeletedRole, GMetaResult, GSearchResult, MAX_QUERY_RESULTS, Principal, QUERY_FIELDS, QUERY_V1,
    RESULT_VERSION, ROLE_NAMES, ResultEntry, Role, RoleList, SearchError, SearchIndex,
    SearchParams, SearchQuery, Task, TaskList, TaskState, TaskSubmitResponse, VERSION_2017,
};

use crate::services::search::{
    MAX_ENTRIES_PER_SUBJECT, MAX_ROLES, MAX_SUBJECT_BYTES, MAX_VISIBLE_TO,
};
/// Results reachable by offset + limit (the reference's 10,000).
const MAX_RESULTS: u64 = MAX_QUERY_RESULTS;
/// Tasks listed by `task_list`.
const MAX_TASKS_LISTED: usize = 1000;
/// Largest request body (the reference's 10 MB limit).
const MAX_BODY: usize = 10 * 1024 * 1024;

/// Search's emulator part.
pub struct SearchEmulator;

/// Search's emulator part, as `Service::emulator` hands it out.
pub static EMULATOR: SearchEmulator = SearchEmulator;

impl EmulatedService for SearchEmulator {
    fn name(&self) -> &'static str {
        "search"
    }

    fn banner_name(&self) -> &'static str {
        "Search"
    }

    fn errors(&self) -> &'static dyn ErrorShape {
        &ERRORS
    }

    fn refusals(&self) -> &'static [&'static Refusal] {
        refused::ALL
    }

    fn routes(&self, em: Handle) -> Router {
        routes(em.clone()).with_state(em)
    }

    fn scopes(&self) -> Option<(&'static str, &'static [&'static str])> {
        Some((super::RESOURCE_SERVER, super::SCOPES))
    }

    fn parse_seed(&self, src: &SeedSource<'_>) -> Result<Option<Arc<dyn SeedPart>>, SeedError> {
        Ok(Some(Arc::new(src.parse::<SearchSection>()?)))
    }

    fn validate_seed(&self, seed: &Seed, problems: &mut Vec<String>) {
        let identities = seed
            .part::<AuthSeed>()
            .map(AuthSeed::directory)
            .unwrap_or_default();
        let groups = seed
            .part::<GroupsSeed>()
            .map(GroupsSeed::directory)
            .unwrap_or_default();
        if let Some(s) = seed.part::<SearchSection>() {
            s.search
                .validate(&|r| identities.identity(r), &|r| groups.group(r), problems);
        }
    }

    fn build(&self, seed: &Seed, w: &mut World, now: DateTime<Utc>) {
        let empty = SearchSeed::default();
        let section = seed.part::<SearchSection>().map_or(&empty, |s| &s.search);
        let st = SearchState::from_seed(section, directory(w), groups(w), now);
        w.states.insert(st);
    }

    fn restore(
        &self,
        saved: &mut Map<String, Value>,
        _seed: &Seed,
        w: &mut World,
        _now: DateTime<Utc>,
    ) -> Result<(), serde_json::Error> {
        let st = match saved.remove("search") {
            Some(v) => serde_json::from_value(v)?,
            None => SearchState::default(),
        };
        w.states.insert(st);
        Ok(())
    }
}

/// Search's error shape: a `GError`.
struct SearchErrors;

static ERRORS: SearchErrors = SearchErrors;

impl ErrorShape for SearchErrors {
    fn body(&self, e: &ApiError) -> Value {
        serde_json::to_value(SearchError {
            datatype: Some("GError".into()),
            version: Some(VERSION_2017.into()),
            code: e.code.clone(),
            message: e.message.clone(),
            request_id: Some(request_id()),
            status: e.status.as_u16(),
            error_data: e.data.clone(),
            ..SearchError::default()
        })
        .unwrap_or_default()
    }

    fn injected(&self, status: u16) -> (&'static str, &'static str) {
        match status {
            429 => ("TooManyRequests", "Too many requests; slow down"),
            500 => ("InternalError", "An internal error occurred"),
            502 => ("BadGateway", "Bad gateway"),
            503 => ("ServiceUnavailable", "Service unavailable"),
            504 => ("GatewayTimeout", "Gateway timeout"),
            _ => ("Error", "Injected error"),
        }
    }

    fn no_route_code(&self) -> &'static str {
        "NotFound.Generic"
    }
}

/// What Search's handlers read: the whole world (its state, and Groups' for a caller's groups).
type Store = World;

/// Search's own state (built with its routes, so always there when they run).
fn state(w: &World) -> &SearchState {
    w.states
        .get::<SearchState>()
        .expect("Search's state is built before its routes serve")
}

/// Search's own state, to change.
fn state_mut(w: &mut World) -> &mut SearchState {
    w.states
        .get_mut::<SearchState>()
        .expect("Search's state is built before its routes serve")
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
                groups: active_groups(st, id),
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
    ApiError::refused(&ERRORS, refusal, message)
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

fn routes(em: Handle) -> Router<Handle> {
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
async fn authenticate(State(em): State<Handle>, mut req: Request, next: Next) -> Response {
    let caller = if req
        .headers()
        .contains_key(axum::http::header::AUTHORIZATION)
    {
        let found = em
            .lock()
            .caller(req.headers(), super::RESOURCE_SERVER)
            .map(|c| c.identity);
        match found {
            Some(id) => Some(id),
            None => {
                return ApiError::unauthorized(&ERRORS, &refused::UNAUTHORIZED, "").into_response();
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
        .and_then(|id| state(st).indexes.get(&id))
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
