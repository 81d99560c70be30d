//! The Boss's emulator part: the Boss API v1 under `/boss/v1/...`: token auth, groups with
//! members and maintainers, collections, experiments, channels, coordinate frames (soft
//! deletes), and permission sets; its seed section (`boss`) and its state, which nothing
//! outside the Boss reads.
//!
//! Behaviour, status codes, error codes and messages follow the Boss reference (PART A).
//! Paths are parsed by hand because the real URL patterns take optional trailing slashes and
//! intern lists collections at `/v1/collection//`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::service::emulator::{
    ApiError, ConnectionPart, EmulatedService, ErrorShape, Handle, Refusal, Seed, SeedError,
    SeedPart, SeedSource, World, fmt_time,
};
use crate::services::boss::refusals as refused;
use crate::services::boss::wire::{BossError, DrfDetail};

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

// The Boss's naming rules, which its seed section, its state and its routes all check.

/// A user's primary group (`<user>-primary`).
fn primary(user: &str) -> String {
    format!("{user}-primary")
}

/// Whether a user or group name is one the Boss takes (`[\w_-]+`).
fn valid_principal(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

/// Whether a collection, experiment, channel or frame name is one the Boss takes.
fn valid_resource_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 255
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Whether a permission exists (the volumetric ones only on channels).
fn valid_permission(p: &str, channel: bool) -> bool {
    RESOURCE_PERMISSIONS.contains(&p) || (channel && VOLUMETRIC_PERMISSIONS.contains(&p))
}

/// The Boss's emulator part.
pub struct BossEmulator;

/// The Boss's emulator part, as `Service::emulator` hands it out.
pub static EMULATOR: BossEmulator = BossEmulator;

impl EmulatedService for BossEmulator {
    fn name(&self) -> &'static str {
        "boss"
    }

    fn banner_name(&self) -> &'static str {
        "the Boss"
    }

    fn errors(&self) -> &'static dyn ErrorShape {
        &ERRORS
    }

    fn refusals(&self) -> &'static [&'static Refusal] {
        refused::ALL
    }

    fn routes(&self, em: Handle) -> Router {
        Router::new()
            .route("/", any(dispatch))
            .route("/{*rest}", any(dispatch))
            .with_state(em)
    }

    fn parse_seed(&self, src: &SeedSource<'_>) -> Result<Option<Arc<dyn SeedPart>>, SeedError> {
        Ok(Some(Arc::new(src.parse::<BossSection>()?)))
    }

    fn validate_seed(&self, seed: &Seed, problems: &mut Vec<String>) {
        if let Some(s) = seed.part::<BossSection>() {
            s.boss.validate(problems);
        }
    }

    fn build(&self, seed: &Seed, w: &mut World, now: DateTime<Utc>) {
        let empty = BossSeed::default();
        let section = seed.part::<BossSection>().map_or(&empty, |s| &s.boss);
        w.states.insert(BossState::from_seed(section, now));
    }

    fn restore(
        &self,
        saved: &mut Map<String, Value>,
        _seed: &Seed,
        w: &mut World,
        _now: DateTime<Utc>,
    ) -> Result<(), serde_json::Error> {
        let st = match saved.remove("boss") {
            Some(v) => serde_json::from_value(v)?,
            None => BossState::default(),
        };
        w.states.insert(st);
        Ok(())
    }

    fn connection(&self, w: &World) -> Option<(&'static str, Option<ConnectionPart>)> {
        // The Boss user accord runs as (`boss.accord_user`), when it has a token.
        let st = w.states.get::<BossState>()?;
        let user = st.accord_user.as_ref().and_then(|name| {
            let token = st.users.get(name)?.token.as_deref()?;
            (!token.is_empty()).then(|| {
                ConnectionPart::new()
                    .shown("username", name.clone())
                    .secret("token", token)
            })
        });
        Some(("boss", user))
    }

    fn banner(&self, seed: &Seed) -> Vec<String> {
        let user = seed
            .part::<BossSection>()
            .and_then(|s| s.boss.accord_user());
        user.map(|u| {
            let user = crate::escape::escape_line(&u.username);
            format!("  Boss user: {user} (its token is in the seed)")
        })
        .into_iter()
        .collect()
    }

    fn strip_secrets(&self, state: &mut Map<String, Value>) {
        if let Some(users) = state
            .get_mut("boss")
            .and_then(|b| b.get_mut("users"))
            .and_then(|u| u.as_object_mut())
        {
            for user in users.values_mut() {
                if let Some(u) = user.as_object_mut() {
                    u.insert("token".into(), Value::Null);
                }
            }
        }
    }

    fn restore_secrets(&self, state: &mut Map<String, Value>, seed: &Seed) {
        let Some(section) = seed.part::<BossSection>() else {
            return;
        };
        for u in &section.boss.users {
            let Some(token) = &u.token else { continue };
            if let Some(user) = state
                .get_mut("boss")
                .and_then(|b| b.get_mut("users"))
                .and_then(|us| us.get_mut(&u.username))
                .and_then(|u| u.as_object_mut())
            {
                user.insert("token".into(), token.clone().into());
            }
        }
    }
}

/// The Boss user accord runs as on an emulator (the `boss` part of
/// `GET /_emulator/connection`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionBoss {
    /// The Boss username.
    pub username: String,
    /// Its API token.
    pub token: String,
}

// The token stays out of every log and error.
impl std::fmt::Debug for ConnectionBoss {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionBoss")
            .field("username", &self.username)
            .field("token", &"<redacted>")
            .finish()
    }
}

/// The Boss's error shape: its `{status, code, message}` body, or Django REST framework's
/// `{detail}` for authentication (code `detail`).
struct BossErrors;

static ERRORS: BossErrors = BossErrors;

impl ErrorShape for BossErrors {
    fn body(&self, e: &ApiError) -> Value {
        if e.code == "detail" {
            serde_json::to_value(DrfDetail {
                detail: e.message.clone(),
                ..DrfDetail::default()
            })
        } else {
            serde_json::to_value(BossError {
                status: e.status.as_u16(),
                code: e.code.parse().unwrap_or(9001),
                message: e.message.clone(),
                ..BossError::default()
            })
        }
        .unwrap_or_default()
    }

    /// Boss codes: 9002 UNHANDLED_EXCEPTION for server errors, 9001 otherwise.
    fn injected(&self, status: u16) -> (&'static str, &'static str) {
        match status {
            500..=599 => ("9002", "Injected error"),
            429 => ("9001", "Too many requests; slow down"),
            _ => ("9001", "Injected error"),
        }
    }

    fn unauthorized(&self) -> &'static str {
        "Invalid token."
    }

    fn no_route_code(&self) -> &'static str {
        "1000"
    }
}

/// The Boss's own state (built with its routes, so always there when they run).
fn state_mut(w: &mut World) -> &mut BossState {
    w.states
        .get_mut::<BossState>()
        .expect("the Boss's state is built before its routes serve")
}

// ---------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------

/// An error answer, boxed to keep `Result`s small.
type Failure = Box<Response>;

type Answer = Result<Response, Failure>;

fn err(refusal: &'static Refusal, message: impl Into<String>) -> Failure {
    Box::new(ApiError::refused(&ERRORS, refusal, message).into_response())
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

/// The authenticated caller's username.
fn authenticate(em: &Handle, headers: &HeaderMap) -> Result<String, Failure> {
    let drf = |msg: &str| {
        let mut resp = ApiError::refused(&ERRORS, &refused::UNAUTHORIZED, msg).into_response();
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
    let mut w = em.lock();
    state_mut(&mut w)
        .users
        .values()
        .find(|u| u.token.as_deref() == Some(token))
        .map(|u| u.username.clone())
        .ok_or_else(|| drf("Invalid token."))
}

async fn dispatch(
    State(em): State<Handle>,
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
    let st = state_mut(&mut w);
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

    /// A seed's `boss:` section, read by the Boss from a whole seed.
    fn seed(boss: &str) -> Result<super::BossSection, String> {
        let s = Seed::from_yaml_str(&crate::services::builtin(), &format!("boss:\n{boss}"))
            .map_err(|e| e.to_string())?;
        Ok(s.part::<super::BossSection>().cloned().unwrap_or_default())
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
