//! The Boss API v1 under `/boss/v1/...`: token auth, groups with members and maintainers,
//! collections, experiments, channels, coordinate frames (soft deletes), and permission sets.
//!
//! Behaviour, status codes, error codes and messages follow the Boss reference (PART A).
//! Paths are parsed by hand because the real URL patterns take optional trailing slashes and
//! intern lists collections at `/v1/collection//`.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::emulator::Emulator;
use crate::emulator::errors::{ApiError, Service};
use crate::emulator::refusal::Refusal;
use crate::emulator::store::fmt_time;
use crate::services::boss::refusals as refused;
mod channels;
mod groups;
mod permissions;
mod resources;
mod seed;
mod state;

use channels::*;
use groups::*;
use permissions::*;
use resources::*;
pub use seed::*;
pub use state::*;

use crate::services::boss::wire::{
    BoolResult, Channel, ChannelList, Collection, CollectionList, CoordFrame, CoordList,
    Experiment, ExperimentList, Group, GroupList, MaintainerList, MemberList, PermissionSet,
    PermissionSets, RESOURCE_PERMISSIONS, ROLES, ResourceRef, VOLUMETRIC_PERMISSIONS,
};

/// The Boss superuser: `has_perm` is always true for it, and it always exists.
pub const BOSS_ADMIN: &str = "bossadmin";
/// The admin group: gets every permission on every new object.
pub const ADMIN_GROUP: &str = "admin";
/// The public group: every user is a member.
pub const PUBLIC_GROUP: &str = "public";

// ---------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------

/// An error answer, boxed to keep `Result`s small.
type Failure = Box<Response>;

type Answer = Result<Response, Failure>;

fn err(refusal: &'static Refusal, message: impl Into<String>) -> Failure {
    Box::new(ApiError::refused(Service::Boss, refusal, message).into_response())
}

fn json<T: Serialize>(status: StatusCode, body: &T) -> Answer {
    Ok((status, axum::Json(body)).into_response())
}

fn empty(status: StatusCode) -> Answer {
    Ok(status.into_response())
}

fn missing_role(user: &str, role: &str) -> Failure {
    err(
        &refused::MISSING_ROLE,
        format!("{user} does not have the required role {role}"),
    )
}

fn missing_perm(perm: &str, name: &str) -> Failure {
    err(
        &refused::MISSING_PERMISSION,
        format!("Missing {perm} permissions on the resource {name}"),
    )
}

fn not_found(name: &str) -> Failure {
    err(&refused::NOT_FOUND, format!("{name} does not exist."))
}

fn marked_for_deletion() -> Failure {
    err(
        &refused::MARKED_FOR_DELETION,
        "Invalid Request. This Resource has been marked for deletion",
    )
}

fn group_not_found(g: &str) -> Failure {
    err(&refused::GROUP_NOT_FOUND, format!("{g} does not exist."))
}

fn user_not_found(u: &str) -> Failure {
    err(
        &refused::USER_NOT_FOUND,
        format!("{u} does not exist. Ensure that the user has logged in"),
    )
}

fn invalid_post(refusal: &'static Refusal, message: impl Into<String>) -> Failure {
    err(refusal, message)
}

/// A Python-style list repr, `['a', 'b']`, as the Boss's messages print them.
fn py_list<S: AsRef<str>>(items: &[S]) -> String {
    let inner: Vec<String> = items.iter().map(|s| format!("'{}'", s.as_ref())).collect();
    format!("[{}]", inner.join(", "))
}

// ---------------------------------------------------------------------------------------
// Routing
// ---------------------------------------------------------------------------------------

pub(crate) fn routes() -> Router<Emulator> {
    Router::new()
        .route("/", any(dispatch))
        .route("/{*rest}", any(dispatch))
}

/// The authenticated caller's username.
fn authenticate(em: &Emulator, headers: &HeaderMap) -> Result<String, Failure> {
    let drf = |msg: &str| {
        let mut resp =
            ApiError::refused(Service::Boss, &refused::UNAUTHORIZED, msg).into_response();
        resp.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Token"),
        );
        Box::new(resp)
    };
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(drf("Authentication credentials were not provided."));
    };
    let value = value.to_str().unwrap_or_default();
    let Some((scheme, token)) = value.split_once(' ') else {
        return Err(drf("Invalid token header. No credentials provided."));
    };
    if !scheme.eq_ignore_ascii_case("token") {
        return Err(drf("Authentication credentials were not provided."));
    }
    let token = token.trim();
    let w = em.lock();
    w.state
        .boss
        .users
        .values()
        .find(|u| u.token.as_deref() == Some(token))
        .map(|u| u.username.clone())
        .ok_or_else(|| drf("Invalid token."))
}

async fn dispatch(
    State(em): State<Emulator>,
    method: Method,
    uri: Uri,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path();
    let path = path.strip_prefix("/boss").unwrap_or(path);
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if segs.first() != Some(&"v1") {
        if segs.first().is_some_and(|s| s.starts_with("v0.")) {
            return *err(
                &refused::OLD_VERSION,
                " This API version is unsupported. Update to version v1",
            );
        }
        return *err(&refused::INVALID_URL, format!("Invalid URL {path}"));
    }
    let caller = match authenticate(&em, &headers) {
        Ok(c) => c,
        Err(resp) => return *resp,
    };
    let body: Map<String, Value> = if body.is_empty() {
        Map::new()
    } else {
        match serde_json::from_slice::<Value>(&body) {
            Ok(Value::Object(m)) => m,
            Ok(_) | Err(_) => return *err(&refused::MALFORMED, "Invalid JSON body"),
        }
    };
    let now = em.now();
    let mut w = em.lock();
    let st = &mut w.state.boss;
    let req = Req {
        caller: &caller,
        method: &method,
        query: &query,
        body: &body,
        now,
    };
    let answer = match &segs[1..] {
        ["groups"] => list_groups(st, &req),
        ["groups", g] => group(st, &req, g),
        ["groups", g, "members"] => members(st, &req, g, None),
        ["groups", g, "members", u] => members(st, &req, g, Some(u)),
        ["groups", g, "maintainers"] => maintainers(st, &req, g, None),
        ["groups", g, "maintainers", u] => maintainers(st, &req, g, Some(u)),
        ["permissions", ..] => permissions(st, &req),
        ["collection"] => list_collections(st, &req),
        ["collection", c] => collection(st, &req, c),
        ["collection", c, "experiment"] => list_experiments(st, &req, c),
        ["collection", c, "experiment", e] => experiment(st, &req, c, e),
        ["collection", c, "experiment", e, "channel"] => list_channels(st, &req, c, e),
        ["collection", c, "experiment", e, "channel", ch] => channel(st, &req, c, e, ch),
        ["coord"] => list_coords(st, &req),
        ["coord", f] => coord(st, &req, f),
        _ => Err(err(&refused::INVALID_URL, format!("Invalid URL {path}"))),
    };
    answer.unwrap_or_else(|e| *e)
}

/// One request, as the handlers see it.
struct Req<'a> {
    caller: &'a str,
    method: &'a Method,
    query: &'a HashMap<String, String>,
    body: &'a Map<String, Value>,
    now: DateTime<Utc>,
}

impl Req<'_> {
    fn require_role(&self, st: &BossState, role: &str) -> Result<(), Failure> {
        if st.has_role(self.caller, role) {
            Ok(())
        } else {
            Err(missing_role(self.caller, role))
        }
    }

    fn not_allowed(&self) -> Failure {
        err(
            &refused::METHOD,
            format!("Method \"{}\" not allowed.", self.method),
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::emulator::Seed;

    fn seed(boss: &str) -> Result<Seed, String> {
        Seed::from_yaml_str(&format!("boss:\n{boss}")).map_err(|e| e.to_string())
    }

    #[test]
    fn accord_user_defaults_to_the_first_manager_with_a_token() {
        let s = seed(
            "  users:\n    - { username: plain, token: t1 }\n    - { username: norole }\n    - { username: mgr, token: t2, roles: [resource-manager] }\n    - { username: adm, token: t3, roles: [admin] }\n",
        )
        .unwrap();
        assert_eq!(s.boss.accord_user().unwrap().username, "mgr");
        let st = super::BossState::from_seed(&s.boss, chrono::Utc::now());
        assert_eq!(st.accord_user.as_deref(), Some("mgr"));
        let none = seed("  users: [{ username: plain, token: t1 }]\n").unwrap();
        assert!(none.boss.accord_user().is_none());
    }

    #[test]
    fn accord_user_must_be_a_seeded_user_with_a_token() {
        let s = seed(
            "  accord_user: plain\n  users:\n    - { username: mgr, token: t2, roles: [resource-manager] }\n    - { username: plain, token: t1 }\n",
        )
        .unwrap();
        assert_eq!(s.boss.accord_user().unwrap().username, "plain");
        let unknown = seed("  accord_user: ghost\n  users: [{ username: mgr, token: t }]\n");
        assert!(
            unknown.as_ref().unwrap_err().contains("accord_user ghost"),
            "{unknown:?}"
        );
        let tokenless = seed("  accord_user: bob\n  users: [{ username: bob }]\n");
        assert!(
            tokenless.as_ref().unwrap_err().contains("has no token"),
            "{tokenless:?}"
        );
    }
}
