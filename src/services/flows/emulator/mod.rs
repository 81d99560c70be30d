//! Globus Flows under `/flows` (paths `/flows`, `/flows/{id}`): the listing with role filters,
//! ordering and marker pagination, a flow's document, its partial update and delete; plus the
//! seed section and the state it builds. Rights, redaction and the behaviour decided where the
//! reference is unconfirmed: `docs/emulator.md`.
// Early returns carry the finished HTTP answer; boxing it would only add noise on a cold path.
#![allow(clippy::result_large_err)]

mod listing;
mod routes;
mod seed;
mod state;

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::Router;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::service::emulator::{
    ApiError, EmulatedService, ErrorShape, Handle, Refusal, Seed, SeedError, SeedPart, SeedSource,
    TokenCheck, World,
};
use crate::services::auth::emulator::{AuthSeed, directory};
use crate::services::flows::api::{RESOURCE_SERVER, SCOPE_PREFIX};
use crate::services::flows::refusals as refused;
use crate::services::flows::wire::{ErrorDetail, Flow, FlowsError, ROLE_LISTS};
use crate::services::groups::emulator::{GroupsSeed, active_groups, groups};

pub use seed::{Entry, FlowsSeed, SeedFlow, accepts};
pub use state::{FlowRec, FlowsState};

/// Flows' fixed scopes, under [`SCOPE_PREFIX`].
pub const SCOPES: &[&str] = &[
    "all",
    "manage_flows",
    "view_flows",
    "run",
    "run_status",
    "run_manage",
];

/// Flows' emulator part.
pub struct FlowsEmulator;

/// Flows' emulator part, as `Service::emulator` hands it out.
pub static EMULATOR: FlowsEmulator = FlowsEmulator;

impl EmulatedService for FlowsEmulator {
    fn name(&self) -> &'static str {
        "flows"
    }

    fn banner_name(&self) -> &'static str {
        "Flows"
    }

    fn errors(&self) -> &'static dyn ErrorShape {
        &ERRORS
    }

    fn refusals(&self) -> &'static [&'static Refusal] {
        refused::ALL
    }

    fn routes(&self, em: Handle) -> Router {
        routes::routes().with_state(em)
    }

    /// Every route needs a token issued for `flows.globus.org`: Flows has no anonymous reads.
    fn token_check(&self) -> Option<TokenCheck> {
        Some(TokenCheck {
            resource_server: RESOURCE_SERVER,
            refusal: &refused::UNAUTHORIZED,
        })
    }

    fn scopes(&self) -> Option<(&'static str, &'static [&'static str])> {
        Some((RESOURCE_SERVER, SCOPES))
    }

    /// Flows' scope strings carry the Flows service's client id, not `flows.globus.org`.
    fn scope_client_id(&self) -> Option<&'static str> {
        SCOPE_PREFIX.rsplit('/').next()
    }

    /// Each flow is a resource server of its own (its id), with its one `flow_<id>_user` scope.
    fn state_scope(&self, w: &World, rs: &str, name: &str) -> bool {
        let Ok(id) = rs.parse::<Uuid>() else {
            return false;
        };
        w.states
            .get::<FlowsState>()
            .is_some_and(|st| st.flows.contains_key(&id))
            && name == flow_scope_name(id)
    }

    fn parse_seed(&self, src: &SeedSource<'_>) -> Result<Option<Arc<dyn SeedPart>>, SeedError> {
        Ok(Some(Arc::new(src.parse::<FlowsSeed>()?)))
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
        if let Some(s) = seed.part::<FlowsSeed>() {
            s.validate(&|r| identities.identity(r), &|r| groups.group(r), problems);
        }
    }

    fn build(&self, seed: &Seed, w: &mut World, now: DateTime<Utc>) {
        let empty = FlowsSeed::default();
        let section = seed.part::<FlowsSeed>().unwrap_or(&empty);
        let st = FlowsState::from_seed(section, directory(w), groups(w), now);
        w.states.insert(st);
    }

    fn restore(
        &self,
        saved: &mut Map<String, Value>,
        _seed: &Seed,
        w: &mut World,
        _now: DateTime<Utc>,
    ) -> Result<(), serde_json::Error> {
        let st = match saved.remove("flows") {
            Some(v) => serde_json::from_value(v)?,
            None => FlowsState::default(),
        };
        w.states.insert(st);
        Ok(())
    }
}

/// The name of a flow's own scope: `flow_<id with - as _>_user`.
pub fn flow_scope_name(id: Uuid) -> String {
    format!("flow_{}_user", id.to_string().replace('-', "_"))
}

/// A flow's own scope string (its `globus_auth_scope`).
pub fn flow_scope(id: Uuid) -> String {
    format!(
        "https://auth.globus.org/scopes/{id}/{}",
        flow_scope_name(id)
    )
}

/// Flows' error shape: `{"error": {"code", "detail"}, "debug_id"}`.
struct FlowsErrors;

static ERRORS: FlowsErrors = FlowsErrors;

impl ErrorShape for FlowsErrors {
    fn body(&self, e: &ApiError) -> Value {
        serde_json::to_value(FlowsError {
            error: ErrorDetail {
                code: e.code.clone(),
                // A 422's detail is its list of `{loc, msg, type}`; others are a sentence.
                detail: e.data.clone().unwrap_or_else(|| json!(e.message)),
                ..ErrorDetail::default()
            },
            debug_id: Uuid::new_v4().to_string(),
            ..FlowsError::default()
        })
        .unwrap_or_default()
    }
}

/// Flows' own state (built with its routes, so always there when they run).
fn state(w: &World) -> &FlowsState {
    w.states
        .get::<FlowsState>()
        .expect("Flows' state is built before its routes serve")
}

/// Flows' own state, to change.
fn state_mut(w: &mut World) -> &mut FlowsState {
    w.states
        .get_mut::<FlowsState>()
        .expect("Flows' state is built before its routes serve")
}

// ---------------------------------------------------------------------------------------
// Callers and their roles
// ---------------------------------------------------------------------------------------

/// Who calls: an identity with the groups it is an active member of (read at each request,
/// so membership changes take effect at once).
#[derive(Debug, Clone)]
struct Who {
    identity: Uuid,
    groups: BTreeSet<Uuid>,
}

impl Who {
    fn of(w: &World, identity: Uuid) -> Who {
        Who {
            identity,
            groups: active_groups(w, identity),
        }
    }

    /// The caller's identity URN.
    fn urn(&self) -> String {
        format!("urn:globus:auth:identity:{}", self.identity)
    }

    /// Whether an entry of `list` names the caller: its identity, a group it is an active
    /// member of, or (starters) `all_authenticated_users` and (viewers) `public`.
    fn named_in(&self, f: &FlowRec, list: &str) -> bool {
        f.list(list).iter().any(|e| match Entry::parse(e) {
            Some(Entry::Identity(id)) => id == self.identity,
            Some(Entry::Group(id)) => self.groups.contains(&id),
            Some(Entry::AllAuthenticatedUsers | Entry::Public) => true,
            None => false,
        })
    }

    /// The caller's roles on a flow, implications applied.
    fn roles(&self, f: &FlowRec) -> Roles {
        let owner = f.owner == self.identity;
        let administrator = owner || self.named_in(f, "flow_administrators");
        let starter = administrator || self.named_in(f, "flow_starters");
        let run_manager = administrator || self.named_in(f, "run_managers");
        let run_monitor = run_manager || self.named_in(f, "run_monitors");
        let viewer = starter || run_monitor || self.named_in(f, "flow_viewers");
        Roles {
            owner,
            administrator,
            starter,
            viewer,
            run_manager,
            run_monitor,
        }
    }
}

/// A caller's roles on one flow, each with what it implies (viewer ⊂ starter ⊂ administrator ⊂
/// owner; administrators are run managers; run managers are run monitors; either views).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Roles {
    owner: bool,
    administrator: bool,
    starter: bool,
    viewer: bool,
    run_manager: bool,
    run_monitor: bool,
}

/// The roles `filter_roles` and `user_roles` name, each with the spellings a listing takes.
const ROLE_NAMES: [(&str, &[&str]); 6] = [
    ("flow_owner", &["flow_owner", "flow_owners"]),
    (
        "flow_administrator",
        &["flow_administrator", "flow_administrators"],
    ),
    ("flow_starter", &["flow_starter", "flow_starters"]),
    ("flow_viewer", &["flow_viewer", "flow_viewers"]),
    (
        "flow_run_manager",
        &[
            "run_manager",
            "run_managers",
            "flow_run_manager",
            "flow_run_managers",
        ],
    ),
    (
        "flow_run_monitor",
        &[
            "run_monitor",
            "run_monitors",
            "flow_run_monitor",
            "flow_run_monitors",
        ],
    ),
];

impl Roles {
    /// Whether the caller holds the role `user_roles` names `name`.
    fn holds(&self, name: &str) -> bool {
        match name {
            "flow_owner" => self.owner,
            "flow_administrator" => self.administrator,
            "flow_starter" => self.starter,
            "flow_viewer" => self.viewer,
            "flow_run_manager" => self.run_manager,
            "flow_run_monitor" => self.run_monitor,
            _ => false,
        }
    }

    /// `user_roles`: every role held, strongest first.
    fn names(&self) -> Vec<String> {
        ROLE_NAMES
            .iter()
            .map(|(n, _)| *n)
            .filter(|n| self.holds(n))
            .map(str::to_string)
            .collect()
    }

    /// `user_role`: the strongest of owner, administrator, starter and viewer.
    fn strongest(&self) -> Option<String> {
        self.names()
            .into_iter()
            .find(|n| !n.starts_with("flow_run_"))
    }

    /// Whether the caller may change the flow's role lists and see them in full.
    fn administers(&self) -> bool {
        self.administrator
    }
}

/// The role `name` (any spelling a listing takes) stands for, as `user_roles` names it.
fn role_named(name: &str) -> Option<&'static str> {
    ROLE_NAMES
        .iter()
        .find(|(_, spellings)| spellings.contains(&name))
        .map(|(n, _)| *n)
}

/// A flow's document as `who` sees it: the role lists only to administrators and the owner
/// (every other caller gets each list `[]`), the caller's roles in `user_role(s)`.
fn document(f: &FlowRec, who: &Who, base_url: Option<&str>) -> Flow {
    let roles = who.roles(f);
    let list = |name: &str| {
        if roles.administers() {
            f.list(name).to_vec()
        } else {
            Vec::new()
        }
    };
    let owner = format!("urn:globus:auth:identity:{}", f.owner);
    let url = format!("{}/flows/flows/{}", base_url.unwrap_or(""), f.id);
    let extra = json!({
        "definition": f.definition,
        "input_schema": f.input_schema,
        "globus_auth_scope": flow_scope(f.id),
        "globus_auth_scopes_by_RunAs": {},
        "synchronous": false,
        "log_supported": true,
        "types": ["Action"],
        "api_version": "1.0",
        "subtitle": f.subtitle,
        "description": f.description,
        "keywords": f.keywords,
        "principal_urn": format!("urn:globus:auth:identity:{}", f.id),
        "globus_auth_username": format!("{}@clients.auth.globus.org", f.id),
        "created_at": f.created_at,
        "updated_at": f.updated_at,
        "created_by": format!("urn:globus:auth:identity:{}", f.created_by),
        "visible_to": [],
        "runnable_by": [],
        "administered_by": [],
        "action_url": url,
        "flow_url": url,
        "subscription_id": null,
        "is_high_assurance": false,
    });
    Flow {
        id: f.id.to_string(),
        flow_owner: owner,
        flow_administrators: list(ROLE_LISTS[0]),
        flow_starters: list(ROLE_LISTS[1]),
        flow_viewers: list(ROLE_LISTS[2]),
        run_managers: list(ROLE_LISTS[3]),
        run_monitors: list(ROLE_LISTS[4]),
        user_role: roles.strongest(),
        user_roles: Some(roles.names()),
        title: f.title.clone(),
        extra: match extra {
            Value::Object(m) => m,
            _ => Map::new(),
        },
    }
}

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

/// 404 `NOT_FOUND`: the flow does not exist, or the caller cannot see it (the same answer, so
/// a non-viewer cannot tell that it exists).
fn not_found(id: &str) -> Response {
    ApiError::refused(
        &ERRORS,
        &refused::NOT_FOUND,
        format!("No Flow exists with id value {id}"),
    )
    .into_response()
}

/// 403 `FORBIDDEN`: the caller sees the flow but neither administers nor owns it.
fn forbidden(id: Uuid, op: &str) -> Response {
    ApiError::refused(
        &ERRORS,
        &refused::FORBIDDEN,
        format!("User does not have the flow_administrator or flow_owner role required to {op} flow {id}"),
    )
    .into_response()
}

/// One `{loc, msg, type}` of a 422's `detail`.
#[derive(Debug, Clone)]
struct Problem {
    loc: Vec<Value>,
    msg: String,
    kind: &'static str,
    refusal: &'static Refusal,
}

/// 422 `UNPROCESSABLE_ENTITY` with every problem in `detail`, tagged with their refusals.
fn unprocessable(problems: Vec<Problem>) -> Response {
    let Some(first) = problems.first() else {
        return ApiError::refused(&ERRORS, &refused::MALFORMED, "Invalid request").into_response();
    };
    let detail: Vec<Value> = problems
        .iter()
        .map(|p| json!({"loc": p.loc, "msg": p.msg, "type": p.kind}))
        .collect();
    let resp = ApiError::refused(&ERRORS, first.refusal, "Invalid request")
        .with_data(Value::Array(detail))
        .into_response();
    let refusals: Vec<&Refusal> = problems.iter().map(|p| p.refusal).collect();
    crate::service::emulator::refusal::tag(resp, &refusals)
}

/// A flow id from the path: 422 at `["path", "flow_id"]` when it is no UUID.
fn flow_id(raw: &str) -> Result<Uuid, Response> {
    raw.parse().map_err(|_| {
        unprocessable(vec![Problem {
            loc: vec![json!("path"), json!("flow_id")],
            msg: "value is not a valid uuid".into(),
            kind: "type_error.uuid",
            refusal: &refused::MALFORMED,
        }])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(lists: &[(&str, &[&str])]) -> FlowRec {
        let mut roles = state::empty_roles();
        for (l, e) in lists {
            roles.insert(l.to_string(), e.iter().map(|s| s.to_string()).collect());
        }
        FlowRec {
            id: Uuid::from_u128(1),
            title: "t".into(),
            subtitle: String::new(),
            description: String::new(),
            keywords: Vec::new(),
            definition: json!({}),
            input_schema: json!({}),
            owner: Uuid::from_u128(10),
            created_by: Uuid::from_u128(10),
            roles,
            created_at: String::new(),
            updated_at: String::new(),
        }
    }

    fn who(id: u128, groups: &[u128]) -> Who {
        Who {
            identity: Uuid::from_u128(id),
            groups: groups.iter().map(|g| Uuid::from_u128(*g)).collect(),
        }
    }

    #[test]
    fn roles_carry_their_implications() {
        let g = format!("urn:globus:groups:id:{}", Uuid::from_u128(7));
        let m = format!("urn:globus:auth:identity:{}", Uuid::from_u128(3));
        let f = rec(&[
            ("flow_administrators", &[g.as_str()]),
            ("run_monitors", &[m.as_str()]),
        ]);
        let owner = who(10, &[]).roles(&f);
        assert_eq!(
            owner.names(),
            [
                "flow_owner",
                "flow_administrator",
                "flow_starter",
                "flow_viewer",
                "flow_run_manager",
                "flow_run_monitor"
            ]
        );
        assert_eq!(owner.strongest().as_deref(), Some("flow_owner"));
        let admin = who(2, &[7]).roles(&f);
        assert!(admin.administers() && !admin.owner && admin.run_manager);
        let monitor = who(3, &[]).roles(&f);
        assert_eq!(monitor.names(), ["flow_viewer", "flow_run_monitor"]);
        assert_eq!(monitor.strongest().as_deref(), Some("flow_viewer"));
        assert!(!monitor.administers());
        assert_eq!(who(4, &[]).roles(&f), Roles::default());
    }

    #[test]
    fn special_values_reach_everyone() {
        let f = rec(&[
            ("flow_starters", &["all_authenticated_users"]),
            ("flow_viewers", &["public"]),
        ]);
        let anyone = who(5, &[]).roles(&f);
        assert!(anyone.starter && anyone.viewer && !anyone.administrator);
    }

    #[test]
    fn listing_spellings_name_one_role() {
        assert_eq!(role_named("flow_viewers"), Some("flow_viewer"));
        assert_eq!(role_named("flow_viewer"), Some("flow_viewer"));
        assert_eq!(role_named("run_managers"), Some("flow_run_manager"));
        assert_eq!(role_named("flow_run_monitor"), Some("flow_run_monitor"));
        assert_eq!(role_named("viewer"), None);
    }

    #[test]
    fn only_administrators_see_the_lists() {
        let m = format!("urn:globus:auth:identity:{}", Uuid::from_u128(3));
        let f = rec(&[("flow_viewers", &[m.as_str(), "public"])]);
        let seen = document(&f, &who(10, &[]), None);
        assert_eq!(seen.flow_viewers, [m.as_str(), "public"]);
        let viewer = document(&f, &who(3, &[]), None);
        assert!(viewer.flow_viewers.is_empty());
        assert_eq!(viewer.user_role.as_deref(), Some("flow_viewer"));
        assert_eq!(
            viewer.extra["globus_auth_scope"],
            "https://auth.globus.org/scopes/00000000-0000-0000-0000-000000000001/flow_00000000_0000_0000_0000_000000000001_user"
        );
    }
}
