//! Globus Groups' emulator part: groups, policies, batch membership actions and preferences
//! (Groups v2) under `/groups`; its seed section (`groups`) and its state, which Transfer, GCS
//! and Search ask for a caller's groups.
// Early returns carry the finished HTTP answer; boxing it would only add noise on a cold path.
#![allow(clippy::result_large_err)]

mod batch;
mod seed;
mod state;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use batch::*;
pub use seed::{GroupsSeed, SeedGroup, SeedGroups, SeedMember};
pub use state::{
    GroupRec, GroupsState, MemberRec, active_groups, apply_policies, group_ref, groups,
};

use crate::service::emulator::refusal::{self, Refusal};
use crate::service::emulator::{
    ApiError, Caller, EmulatedService, ErrorShape, Handle, Seed, SeedError, SeedPart, SeedSource,
    TokenCheck, World, fmt_time, take,
};
use crate::services::auth::emulator::{AuthSeed, Directory, IdentityRec, directory};

use crate::services::groups::refusals as refused;
use crate::services::groups::wire::{
    BatchError, BatchMember, BatchMembershipAction, BatchMembershipResponse, Group, GroupCreate,
    GroupPolicies, GroupPoliciesWrite, GroupUpdate, GroupsError, IdentityPreferences, Membership,
    MembershipStatus, Preferences, Role,
};
use crate::wire::Extra;

/// Groups' emulator part.
pub struct GroupsEmulator;

/// Groups' emulator part, as `Service::emulator` hands it out.
pub static EMULATOR: GroupsEmulator = GroupsEmulator;

impl EmulatedService for GroupsEmulator {
    fn name(&self) -> &'static str {
        "groups"
    }

    fn banner_name(&self) -> &'static str {
        "Groups"
    }

    fn errors(&self) -> &'static dyn ErrorShape {
        &ERRORS
    }

    fn refusals(&self) -> &'static [&'static Refusal] {
        refused::ALL
    }

    fn routes(&self, em: Handle) -> Router {
        Router::new()
            .route("/v2/groups", axum::routing::post(create_group))
            .route("/v2/groups/my_groups", get(my_groups))
            .route(
                "/v2/groups/{id}",
                get(get_group)
                    .put(update_group)
                    .delete(delete_group)
                    .post(batch),
            )
            .route(
                "/v2/groups/{id}/policies",
                get(get_policies).put(put_policies),
            )
            .route("/v2/preferences", get(get_preferences).put(put_preferences))
            .with_state(em)
    }

    fn token_check(&self) -> Option<TokenCheck> {
        Some(TokenCheck {
            resource_server: super::RESOURCE_SERVER,
            refusal: &refused::UNAUTHORIZED,
        })
    }

    fn scopes(&self) -> Option<(&'static str, &'static [&'static str])> {
        Some((super::RESOURCE_SERVER, super::SCOPES))
    }

    fn parse_seed(&self, src: &SeedSource<'_>) -> Result<Option<Arc<dyn SeedPart>>, SeedError> {
        Ok(Some(Arc::new(src.parse::<GroupsSeed>()?)))
    }

    fn validate_seed(&self, seed: &Seed, problems: &mut Vec<String>) {
        let identities = seed
            .part::<AuthSeed>()
            .map(AuthSeed::directory)
            .unwrap_or_default();
        if let Some(s) = seed.part::<GroupsSeed>() {
            s.validate(&identities, problems);
        }
    }

    fn build(&self, seed: &Seed, w: &mut World, now: DateTime<Utc>) {
        let empty = GroupsSeed::default();
        let section = seed.part::<GroupsSeed>().unwrap_or(&empty);
        let st = GroupsState::from_seed(section, directory(w), now);
        w.states.insert(st);
    }

    fn restore(
        &self,
        saved: &mut Map<String, Value>,
        _seed: &Seed,
        w: &mut World,
        _now: DateTime<Utc>,
    ) -> Result<(), serde_json::Error> {
        w.states.insert(take::<GroupsState>(saved, &["groups"])?);
        Ok(())
    }
}

/// Groups' error shape: `{code, detail}`.
struct GroupsErrors;

static ERRORS: GroupsErrors = GroupsErrors;

impl ErrorShape for GroupsErrors {
    fn body(&self, e: &ApiError) -> Value {
        serde_json::to_value(GroupsError {
            code: Some(e.code.clone()),
            detail: json!(e.message),
            ..GroupsError::default()
        })
        .unwrap_or_default()
    }
}

/// What Groups' handlers read: its groups, and Auth's identities for usernames.
struct Store<'a> {
    groups: &'a BTreeMap<Uuid, GroupRec>,
    identities: &'a BTreeMap<Uuid, IdentityRec>,
}

static NO_GROUPS: BTreeMap<Uuid, GroupRec> = BTreeMap::new();
static NO_IDENTITIES: BTreeMap<Uuid, IdentityRec> = BTreeMap::new();

fn store(w: &World) -> Store<'_> {
    Store {
        groups: groups(w).map_or(&NO_GROUPS, |g| &g.groups),
        identities: directory(w).map_or(&NO_IDENTITIES, |d| &d.identities),
    }
}

/// Groups' own groups, to change (built with its routes, so always there when they run).
fn groups_mut(w: &mut World) -> &mut BTreeMap<Uuid, GroupRec> {
    &mut w
        .states
        .get_mut::<GroupsState>()
        .expect("Groups' state is built before its routes serve")
        .groups
}

fn err(refusal: &'static Refusal, detail: impl Into<String>) -> Response {
    ApiError::refused(&ERRORS, refusal, detail).into_response()
}

fn forbidden(detail: &str) -> Response {
    err(&refused::FORBIDDEN, detail)
}

fn not_found(id: &str) -> Response {
    err(&refused::NOT_FOUND, format!("Group {id} not found"))
}

/// A FastAPI-style 422, the shape Groups answers for a body that does not validate.
fn unprocessable(refusal: &'static Refusal, loc: &[&str], msg: impl Into<String>) -> Response {
    let msg = msg.into();
    let resp = (
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(json!({"detail": [{"loc": loc, "msg": msg, "type": "value_error"}]})),
    )
        .into_response();
    refusal::tag(resp, &[refusal])
}

/// Parses a JSON body; failures answer FastAPI's 422 shape.
fn body<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, Response> {
    serde_json::from_slice(bytes)
        .map_err(|e| unprocessable(&refused::MALFORMED, &["body"], e.to_string()))
}

fn group_id(raw: &str) -> Result<Uuid, Response> {
    raw.parse().map_err(|_| not_found(raw))
}

fn is_status(m: Option<&MemberRec>, s: MembershipStatus) -> bool {
    m.is_some_and(|m| m.status == s)
}

/// The caller's active role in a group, if any.
fn active_role(g: &GroupRec, who: Uuid) -> Option<Role> {
    g.members
        .get(&who)
        .filter(|m| m.status == MembershipStatus::Active)
        .map(|m| m.role.clone())
}

fn is_manager(g: &GroupRec, who: Uuid) -> bool {
    matches!(active_role(g, who), Some(Role::Admin | Role::Manager))
}

fn is_admin(g: &GroupRec, who: Uuid) -> bool {
    active_role(g, who) == Some(Role::Admin)
}

/// Who may see a group: its active, invited or pending members, or anyone signed in
/// when the group's visibility is `authenticated`.
fn can_view(g: &GroupRec, who: Uuid) -> bool {
    g.policies.group_visibility == "authenticated"
        || g.members.get(&who).is_some_and(|m| {
            matches!(
                m.status,
                MembershipStatus::Active | MembershipStatus::Invited | MembershipStatus::Pending
            )
        })
}

/// Who may list every membership: managers and admins, or active members when the
/// group's members visibility is `members`.
fn can_see_members(g: &GroupRec, who: Uuid) -> bool {
    is_manager(g, who)
        || (g.policies.group_members_visibility == "members" && active_role(g, who).is_some())
}

fn membership(st: &Store, g: Uuid, who: Uuid, m: &MemberRec) -> Membership {
    Membership {
        group_id: g,
        identity_id: who,
        username: st.identities.get(&who).map(|i| i.username.clone()),
        role: m.role.clone(),
        status: m.status.clone(),
        source_group_id: None,
        status_reason: m.status_reason.clone(),
        invite_email_address: None,
        updated: Some(m.updated.clone()),
        invite_time: None,
        membership_fields: None,
        extra: Extra::new(),
    }
}

/// Renders a group, with the parts `include` asks for.
fn render(st: &Store, g: &GroupRec, who: Uuid, include: &BTreeSet<String>) -> Group {
    let mine = || {
        g.members
            .get(&who)
            .map(|m| vec![membership(st, g.id, who, m)])
            .unwrap_or_default()
    };
    Group {
        id: g.id,
        name: g.name.clone(),
        description: g.description.clone(),
        terms_and_conditions: g.terms_and_conditions.clone(),
        parent_id: g.parent_id,
        group_type: "regular".into(),
        enforce_session: false,
        session_limit: Some(28800),
        session_timeouts: Default::default(),
        my_memberships: include.contains("my_memberships").then(mine),
        memberships: include.contains("memberships").then(|| {
            if can_see_members(g, who) {
                g.members
                    .iter()
                    .map(|(id, m)| membership(st, g.id, *id, m))
                    .collect()
            } else {
                mine()
            }
        }),
        policies: include.contains("policies").then(|| g.policies.clone()),
        allowed_actions: include
            .contains("allowed_actions")
            .then(|| allowed_actions(g, who)),
        child_ids: include.contains("child_ids").then(|| {
            st.groups
                .values()
                .filter(|c| c.parent_id == Some(g.id))
                .map(|c| c.id)
                .collect()
        }),
        subscription_id: None,
        subscription_info: None,
        subscription_admin_verified_id: None,
        extra: Extra::new(),
    }
}

/// The `allowed_actions` document: for each action, the caller's identities it is allowed
/// for (the caller has a single identity here).
fn allowed_actions(g: &GroupRec, who: Uuid) -> serde_json::Value {
    let me = json!([who]);
    let none = json!([]);
    let pick = |ok: bool| if ok { me.clone() } else { none.clone() };
    let status = g.members.get(&who).map(|m| m.status.clone());
    json!({
        "add": pick(is_manager(g, who)),
        "invite": pick(is_manager(g, who)),
        "remove": pick(is_manager(g, who)),
        "approve": pick(is_manager(g, who)),
        "reject": pick(is_manager(g, who)),
        "change_role": pick(is_admin(g, who)),
        "accept": pick(status == Some(MembershipStatus::Invited)),
        "decline": pick(status == Some(MembershipStatus::Invited)),
        "leave": pick(status == Some(MembershipStatus::Active)),
        "join": pick(status != Some(MembershipStatus::Active) && g.policies.group_visibility == "authenticated" && !g.policies.join_requests),
        "request_join": pick(status != Some(MembershipStatus::Active) && g.policies.join_requests),
    })
}

fn includes(q: &HashMap<String, String>) -> BTreeSet<String> {
    q.get("include")
        .map(|s| {
            s.split(',')
                .map(|x| x.trim().to_string())
                .filter(|x| !x.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

async fn my_groups(
    State(em): State<Handle>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let statuses: BTreeSet<String> = q
        .get("statuses")
        .map(|s| s.split(',').map(|x| x.trim().to_string()).collect())
        .unwrap_or_else(|| BTreeSet::from(["active".to_string()]));
    let w = em.lock();
    let st = &store(&w);
    let include = BTreeSet::from(["my_memberships".to_string()]);
    let list: Vec<Group> = st
        .groups
        .values()
        .filter(|g| {
            g.members
                .get(&caller.identity)
                .is_some_and(|m| statuses.contains(m.status.as_str()))
        })
        .map(|g| render(st, g, caller.identity, &include))
        .collect();
    Json(list).into_response()
}

async fn create_group(
    State(em): State<Handle>,
    Extension(caller): Extension<Caller>,
    bytes: Bytes,
) -> Response {
    let req: GroupCreate = match body(&bytes) {
        Ok(r) => r,
        Err(e) => return e,
    };
    if req.name.trim().is_empty() {
        return err(&refused::EMPTY_NAME, "Group name must not be empty");
    }
    let mut w = em.lock();
    let now = fmt_time(w.now());
    if let Some(parent) = req.parent_id {
        match store(&w).groups.get(&parent) {
            None => return not_found(&parent.to_string()),
            Some(p) if !is_admin(p, caller.identity) => {
                return forbidden("Only an admin of the parent group may create a subgroup");
            }
            Some(_) => {}
        }
    }
    let mut policies = GroupPolicies::default();
    if let Some(p) = &req.policies {
        if let Err(e) = check_policies(p) {
            return e;
        }
        apply_policies(&mut policies, p);
    }
    let id = w.ids.next("group");
    let g = GroupRec {
        id,
        name: req.name,
        description: req.description,
        terms_and_conditions: req.terms_and_conditions,
        parent_id: req.parent_id,
        policies,
        members: BTreeMap::from([(
            caller.identity,
            MemberRec {
                role: Role::Admin,
                status: MembershipStatus::Active,
                status_reason: None,
                updated: now,
            },
        )]),
    };
    let include = BTreeSet::from(["my_memberships".to_string(), "policies".to_string()]);
    let doc = render(&store(&w), &g, caller.identity, &include);
    groups_mut(&mut w).insert(id, g);
    (StatusCode::CREATED, Json(doc)).into_response()
}

async fn get_group(
    State(em): State<Handle>,
    Extension(caller): Extension<Caller>,
    Path(raw): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let id = match group_id(&raw) {
        Ok(id) => id,
        Err(e) => return e,
    };
    let w = em.lock();
    let Some(g) = store(&w).groups.get(&id) else {
        return not_found(&raw);
    };
    if !can_view(g, caller.identity) {
        return forbidden("You do not have permission to view this group");
    }
    Json(render(&store(&w), g, caller.identity, &includes(&q))).into_response()
}

async fn update_group(
    State(em): State<Handle>,
    Extension(caller): Extension<Caller>,
    Path(raw): Path<String>,
    bytes: Bytes,
) -> Response {
    let id = match group_id(&raw) {
        Ok(id) => id,
        Err(e) => return e,
    };
    let req: GroupUpdate = match body(&bytes) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let mut w = em.lock();
    let Some(g) = groups_mut(&mut w).get_mut(&id) else {
        return not_found(&raw);
    };
    if !is_admin(g, caller.identity) {
        return forbidden("Only group admins may update the group");
    }
    if let Some(n) = req.name {
        if n.trim().is_empty() {
            return err(&refused::EMPTY_NAME, "Group name must not be empty");
        }
        g.name = n;
    }
    if let Some(d) = req.description {
        g.description = Some(d);
    }
    if let Some(t) = req.terms_and_conditions {
        g.terms_and_conditions = Some(t);
    }
    let g = g.clone();
    Json(render(&store(&w), &g, caller.identity, &BTreeSet::new())).into_response()
}

async fn delete_group(
    State(em): State<Handle>,
    Extension(caller): Extension<Caller>,
    Path(raw): Path<String>,
) -> Response {
    let id = match group_id(&raw) {
        Ok(id) => id,
        Err(e) => return e,
    };
    let mut w = em.lock();
    let Some(g) = store(&w).groups.get(&id) else {
        return not_found(&raw);
    };
    if !is_admin(g, caller.identity) {
        return forbidden("Only group admins may delete the group");
    }
    let doc = render(&store(&w), g, caller.identity, &BTreeSet::new());
    groups_mut(&mut w).remove(&id);
    Json(doc).into_response()
}

async fn get_policies(
    State(em): State<Handle>,
    Extension(caller): Extension<Caller>,
    Path(raw): Path<String>,
) -> Response {
    let id = match group_id(&raw) {
        Ok(id) => id,
        Err(e) => return e,
    };
    let w = em.lock();
    let Some(g) = store(&w).groups.get(&id) else {
        return not_found(&raw);
    };
    if !can_view(g, caller.identity) {
        return forbidden("You do not have permission to view this group");
    }
    Json(g.policies.clone()).into_response()
}

/// The policy values Groups refuses: visibilities outside their values, and an
/// `authentication_assurance_timeout` outside an unsigned 32-bit number (docs/emulator.md).
fn check_policies(p: &GroupPoliciesWrite) -> Result<(), Response> {
    for (field, value, allowed) in [
        (
            "group_visibility",
            &p.group_visibility,
            &["authenticated", "private"][..],
        ),
        (
            "group_members_visibility",
            &p.group_members_visibility,
            &["members", "managers"][..],
        ),
    ] {
        if let Some(v) = value
            && !allowed.contains(&v.as_str())
        {
            let msg = format!("invalid {field}: {v}");
            return Err(unprocessable(&refused::POLICY_VALUE, &["body", field], msg));
        }
    }
    if let Some(t) = p.authentication_assurance_timeout
        && u32::try_from(t).is_err()
    {
        let field = "authentication_assurance_timeout";
        let msg = format!("{field} {t} is not between 0 and {}", u32::MAX);
        return Err(unprocessable(&refused::POLICY_RANGE, &["body", field], msg));
    }
    Ok(())
}

async fn put_policies(
    State(em): State<Handle>,
    Extension(caller): Extension<Caller>,
    Path(raw): Path<String>,
    bytes: Bytes,
) -> Response {
    let id = match group_id(&raw) {
        Ok(id) => id,
        Err(e) => return e,
    };
    let req: GroupPoliciesWrite = match body(&bytes) {
        Ok(r) => r,
        Err(e) => return e,
    };
    if let Err(e) = check_policies(&req) {
        return e;
    }
    let mut w = em.lock();
    let Some(g) = groups_mut(&mut w).get_mut(&id) else {
        return not_found(&raw);
    };
    if !is_admin(g, caller.identity) {
        return forbidden("Only group admins may set policies");
    }
    apply_policies(&mut g.policies, &req);
    Json(g.policies.clone()).into_response()
}

async fn get_preferences(
    State(em): State<Handle>,
    Extension(caller): Extension<Caller>,
) -> Response {
    let w = em.lock();
    let allow_add = store(&w)
        .identities
        .get(&caller.identity)
        .is_none_or(|i| i.allow_add);
    let prefs: Preferences = BTreeMap::from([(
        caller.identity,
        IdentityPreferences {
            allow_add,
            extra: Extra::new(),
        },
    )]);
    Json(prefs).into_response()
}

async fn put_preferences(
    State(em): State<Handle>,
    Extension(caller): Extension<Caller>,
    bytes: Bytes,
) -> Response {
    let req: Preferences = match body(&bytes) {
        Ok(r) => r,
        Err(e) => return e,
    };
    if req.keys().any(|k| *k != caller.identity) {
        return err(
            &refused::PREFERENCES_FORBIDDEN,
            "You may only set preferences of your own identities",
        );
    }
    let mut w = em.lock();
    let mut out = Preferences::new();
    for (id, p) in req {
        if let Some(i) = w
            .states
            .get_mut::<Directory>()
            .and_then(|d| d.identities.get_mut(&id))
        {
            i.allow_add = p.allow_add;
        }
        out.insert(id, p);
    }
    Json(out).into_response()
}
