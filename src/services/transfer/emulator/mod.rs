//! Globus Transfer v0.10: endpoint documents, ACL rules and mkdir.
// Early returns carry the finished HTTP answer; boxing it would only add noise on a cold path.
#![allow(clippy::result_large_err)]

use std::collections::BTreeSet;

use axum::body::Bytes;
use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde::de::DeserializeOwned;
use serde_json::json;
use uuid::Uuid;

use crate::emulator::errors::{ApiError, Service, request_id};
use crate::emulator::refusal::Refusal;
use crate::emulator::store::{
    AclRec, EndpointRec, State as Store, dir_key, fmt_time, parse_time, with_parents,
};
use crate::emulator::{Caller, Emulator};
use crate::services::transfer::refusals as refused;
use crate::services::transfer::wire::{
    AccessCreateResult, AccessList, AccessRule, AccessRuleCreate, AccessRuleUpdate, Endpoint,
    MkdirRequest, MkdirResult, PrincipalType, TransferResult,
};
use crate::wire::Extra;

use crate::services::transfer::MAX_RULES;

pub(crate) fn routes() -> Router<Emulator> {
    Router::new()
        .route("/v0.10/endpoint/{id}", get(get_endpoint))
        .route("/v0.10/endpoint/{id}/access_list", get(access_list))
        .route("/v0.10/endpoint/{id}/access", post(create_rule))
        .route(
            "/v0.10/endpoint/{id}/access/{rule_id}",
            get(get_rule).put(update_rule).delete(delete_rule),
        )
        .route("/v0.10/operation/endpoint/{id}/mkdir", post(mkdir))
        .route("/v0.10/operation/endpoint/{id}/stat", get(stat))
}

/// Whether an ACL path is acceptable: absolute, ending in `/`, no `.` or `..` segments.
pub(crate) fn valid_path(p: &str) -> bool {
    p.starts_with('/')
        && p.ends_with('/')
        && p.len() <= 2000
        && !p.split('/').any(|seg| seg == "." || seg == "..")
}

fn err(refusal: &'static Refusal, message: impl Into<String>, uri: &Uri) -> Response {
    ApiError::refused(Service::Transfer, refusal, message)
        .at(uri.path())
        .into_response()
}

/// What a route needs of the caller's effective roles.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Need {
    /// Any signed-in caller.
    Nothing,
    /// administrator, access_manager or restricted_administrator (list, get, delete).
    ViewAcl,
    /// administrator or access_manager (create, update).
    ManageAcl,
}

/// The endpoint of a route with the caller's roles, or the error to answer.
fn endpoint<'a>(
    st: &'a Store,
    raw: &str,
    caller: Caller,
    need: Need,
    uri: &Uri,
) -> Result<(&'a EndpointRec, BTreeSet<String>), Response> {
    let ep = raw
        .parse::<Uuid>()
        .ok()
        .and_then(|id| st.endpoints.get(&id))
        .ok_or_else(|| {
            err(
                &refused::ENDPOINT_NOT_FOUND,
                format!("No such endpoint '{raw}'"),
                uri,
            )
        })?;
    let roles = st.effective_roles(ep, caller.identity);
    let has = |r: &str| roles.contains(r);
    let ok = match need {
        Need::Nothing => true,
        Need::ViewAcl => {
            has("administrator") || has("access_manager") || has("restricted_administrator")
        }
        Need::ManageAcl => has("administrator") || has("access_manager"),
    };
    if !ok {
        return Err(err(
            &refused::PERMISSION_DENIED,
            format!(
                "User does not have an administrator or access_manager role on endpoint '{raw}'"
            ),
            uri,
        ));
    }
    Ok((ep, roles))
}

/// Whether an endpoint has access rules at all: a GCSv5 endpoint does not (its collections do).
fn acl_available(ep: &EndpointRec) -> bool {
    ep.entity_type != "GCSv5_endpoint"
}

/// The refusal of access rules on an endpoint without them (`acl_available: false`).
fn no_acl(ep: &EndpointRec, uri: &Uri) -> Response {
    err(
        &refused::ACL_UNAVAILABLE,
        format!(
            "Endpoint '{}' is a {} and has no access rules (acl_available is false); set them on one of its collections",
            ep.id, ep.entity_type
        ),
        uri,
    )
}

fn rule_doc(r: &AclRec) -> AccessRule {
    AccessRule {
        data_type: "access".into(),
        id: Some(r.id.clone()),
        role_id: None,
        role_type: None,
        principal_type: r.principal_type.clone(),
        principal: r.principal.clone(),
        path: r.path.clone(),
        permissions: r.permissions.clone(),
        create_time: Some(r.create_time.clone()),
        expiration_date: r.expiration_date.clone(),
        extra: Extra::new(),
    }
}

/// The implicit `rw` rules on `/` that administrator and access_manager roles imply.
fn role_rules(ep: &EndpointRec) -> impl Iterator<Item = AccessRule> + '_ {
    ep.roles
        .iter()
        .filter(|r| r.role == "administrator" || r.role == "access_manager")
        .map(|r| AccessRule {
            data_type: "access".into(),
            id: None,
            role_id: Some(r.id.clone()),
            role_type: Some(r.role.clone()),
            principal_type: r.principal_type.clone(),
            principal: r.principal.to_string(),
            path: "/".into(),
            permissions: "rw".into(),
            create_time: None,
            expiration_date: None,
            extra: Extra::new(),
        })
}

/// Parses a JSON body, insisting on `DATA_TYPE` as Transfer does.
fn body<T: DeserializeOwned>(bytes: &Bytes, data_type: &str, uri: &Uri) -> Result<T, Response> {
    let v: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| err(&refused::MALFORMED, format!("Invalid JSON: {e}"), uri))?;
    match v.get("DATA_TYPE").and_then(|d| d.as_str()) {
        Some(d) if d == data_type => {}
        _ => {
            return Err(err(
                &refused::MALFORMED,
                format!("DATA_TYPE must be '{data_type}'"),
                uri,
            ));
        }
    }
    serde_json::from_value(v)
        .map_err(|e| err(&refused::MALFORMED, format!("Invalid document: {e}"), uri))
}

fn check_permissions(p: &str, uri: &Uri) -> Result<(), Response> {
    if p == "r" || p == "rw" {
        Ok(())
    } else {
        Err(err(
            &refused::ACL_PERMISSIONS,
            format!("Invalid permissions '{p}': must be 'r' or 'rw'"),
            uri,
        ))
    }
}

/// Normalises an expiry to `+00:00`, rejecting bad or past times.
fn check_expiry(
    e: &str,
    now: chrono::DateTime<chrono::Utc>,
    uri: &Uri,
) -> Result<String, Response> {
    let t = parse_time(e).ok_or_else(|| {
        err(
            &refused::ACL_EXPIRY_INVALID,
            format!("Invalid expiration_date '{e}'"),
            uri,
        )
    })?;
    if t <= now {
        return Err(err(
            &refused::ACL_EXPIRY_PAST,
            "expiration_date must be in the future",
            uri,
        ));
    }
    Ok(fmt_time(t))
}

async fn get_endpoint(
    State(em): State<Emulator>,
    Extension(caller): Extension<Caller>,
    Path(raw): Path<String>,
    uri: Uri,
) -> Response {
    let w = em.lock();
    let st = &w.state;
    let (ep, roles) = match endpoint(st, &raw, caller, Need::Nothing, &uri) {
        Ok(x) => x,
        Err(e) => return e,
    };
    // An owner that is no identity of the state is a client (a GCS endpoint's own), whose
    // username is `<id>@clients.auth.globus.org`.
    let owner_string = ep.owner_id.map(|o| match st.identities.get(&o) {
        Some(i) => i.username.clone(),
        None => format!("{o}@clients.auth.globus.org"),
    });
    // A GCS endpoint and its collections point at the emulator's GCS Manager API unless
    // the seed names a URL.
    let gcs_host = match ep.entity_type.as_str() {
        "GCSv5_endpoint" => Some(ep.id),
        _ => ep.host_endpoint_id.filter(|h| {
            st.endpoints
                .get(h)
                .is_some_and(|h| h.entity_type == "GCSv5_endpoint")
        }),
    };
    let gcs_manager_url = ep.gcs_manager_url.clone().or_else(|| {
        let base = w.base_url.as_ref()?;
        gcs_host.map(|h| format!("{base}/gcs/{h}"))
    });
    let editable = roles.contains("administrator") || roles.contains("access_manager");
    Json(Endpoint {
        data_type: "endpoint".into(),
        id: ep.id.to_string(),
        display_name: Some(ep.display_name.clone()),
        entity_type: Some(ep.entity_type.clone()),
        owner_id: ep.owner_id.map(|o| o.to_string()),
        owner_string,
        host_endpoint_id: ep.host_endpoint_id.map(|h| h.to_string()),
        mapped_collection_id: ep.mapped_collection_id.map(|m| m.to_string()),
        gcs_manager_url,
        gcs_version: Some("5.4.80".into()),
        canonical_name: Some(format!(
            "{}#{}",
            ep.owner_id.map(|o| o.to_string()).unwrap_or_default(),
            ep.id
        )),
        description: ep.description.clone(),
        organization: ep.organization.clone(),
        high_assurance: Some(false),
        public: Some(ep.public),
        shareable: Some(ep.entity_type == "GCSv5_mapped_collection"),
        non_functional: Some(ep.entity_type == "GCSv5_endpoint"),
        is_globus_connect: Some(false),
        subscription_id: None,
        my_effective_roles: Some(roles.iter().cloned().collect()),
        acl_available: Some(acl_available(ep)),
        acl_editable: Some(editable),
        data: Some(Vec::new()),
        extra: Extra::new(),
    })
    .into_response()
}

async fn access_list(
    State(em): State<Emulator>,
    Extension(caller): Extension<Caller>,
    Path(raw): Path<String>,
    uri: Uri,
) -> Response {
    let mut w = em.lock();
    let st = w.state_now();
    let (ep, _) = match endpoint(st, &raw, caller, Need::ViewAcl, &uri) {
        Ok(x) => x,
        Err(e) => return e,
    };
    if !acl_available(ep) {
        return no_acl(ep, &uri);
    }
    let data: Vec<AccessRule> = role_rules(ep).chain(ep.acl.iter().map(rule_doc)).collect();
    Json(AccessList {
        data_type: "access_list".into(),
        endpoint: Some(ep.id.to_string()),
        length: Some(data.len() as u64),
        data,
        offset: None,
        limit: None,
        total: None,
        extra: Extra::new(),
    })
    .into_response()
}

async fn create_rule(
    State(em): State<Emulator>,
    Extension(caller): Extension<Caller>,
    Path(raw): Path<String>,
    uri: Uri,
    bytes: Bytes,
) -> Response {
    let mut w = em.lock();
    let now = w.now();
    let st = w.state_now();
    let ep_id = match endpoint(st, &raw, caller, Need::ManageAcl, &uri) {
        Ok((ep, _)) if !acl_available(ep) => return no_acl(ep, &uri),
        Ok((ep, _)) => ep.id,
        Err(e) => return e,
    };
    let req: AccessRuleCreate = match body(&bytes, "access", &uri) {
        Ok(r) => r,
        Err(e) => return e,
    };
    if let Err(e) = check_permissions(&req.permissions, &uri) {
        return e;
    }
    let principal_ok = match req.principal_type {
        PrincipalType::Identity | PrincipalType::Group => req.principal.parse::<Uuid>().is_ok(),
        PrincipalType::AllAuthenticatedUsers | PrincipalType::Anonymous => req.principal.is_empty(),
        PrincipalType::Other(_) => false,
    };
    if !principal_ok {
        return err(
            &refused::ACL_PRINCIPAL,
            format!(
                "Invalid principal '{}' for principal_type '{}'",
                req.principal,
                req.principal_type.as_str()
            ),
            &uri,
        );
    }
    if !valid_path(&req.path) {
        return err(
            &refused::ACL_PATH,
            format!(
                "Invalid path '{}': it must be absolute and begin and end with '/'",
                req.path
            ),
            &uri,
        );
    }
    let expiration_date = match req.expiration_date.as_deref() {
        Some(e) => match check_expiry(e, now, &uri) {
            Ok(t) => Some(t),
            Err(resp) => return resp,
        },
        None => None,
    };
    // Principal UUIDs are compared case-insensitively by normalising to the hyphenated form.
    let principal = req
        .principal
        .parse::<Uuid>()
        .map(|u| u.to_string())
        .unwrap_or_default();
    let Some(ep) = st.endpoints.get(&ep_id) else {
        return err(&refused::ENDPOINT_NOT_FOUND, "No such endpoint", &uri);
    };
    if ep.acl.iter().any(|r| {
        r.principal_type == req.principal_type && r.principal == principal && r.path == req.path
    }) {
        return err(
            &refused::ACL_EXISTS,
            "This folder is already shared with this identity. If you would like to change the read/write access level, please delete this permission and then add a new permission with the desired access level.",
            &uri,
        );
    }
    if ep.acl.len() >= MAX_RULES {
        return err(
            &refused::ACL_LIMIT,
            format!("An endpoint may hold at most {MAX_RULES} access rules"),
            &uri,
        );
    }
    let id = st.next_id("acl").to_string();
    if let Some(ep) = st.endpoints.get_mut(&ep_id) {
        ep.acl.push(AclRec {
            id: id.clone(),
            principal_type: req.principal_type,
            principal,
            path: req.path,
            permissions: req.permissions,
            create_time: fmt_time(now),
            expiration_date,
        });
    }
    (
        StatusCode::CREATED,
        Json(AccessCreateResult {
            data_type: "access_create_result".into(),
            code: "Created".into(),
            access_id: id,
            message: "Access rule created successfully.".into(),
            request_id: request_id(),
            resource: format!("/endpoint/{ep_id}/access"),
            extra: Extra::new(),
        }),
    )
        .into_response()
}

fn rule_not_found(rule_id: &str, uri: &Uri) -> Response {
    err(
        &refused::ACL_NOT_FOUND,
        format!("Access rule '{rule_id}' not found"),
        uri,
    )
}

async fn get_rule(
    State(em): State<Emulator>,
    Extension(caller): Extension<Caller>,
    Path((raw, rule_id)): Path<(String, String)>,
    uri: Uri,
) -> Response {
    let mut w = em.lock();
    let st = w.state_now();
    let (ep, _) = match endpoint(st, &raw, caller, Need::ViewAcl, &uri) {
        Ok(x) => x,
        Err(e) => return e,
    };
    match ep.acl.iter().find(|r| r.id == rule_id) {
        Some(r) => Json(rule_doc(r)).into_response(),
        None => rule_not_found(&rule_id, &uri),
    }
}

async fn update_rule(
    State(em): State<Emulator>,
    Extension(caller): Extension<Caller>,
    Path((raw, rule_id)): Path<(String, String)>,
    uri: Uri,
    bytes: Bytes,
) -> Response {
    let mut w = em.lock();
    let now = w.now();
    let st = w.state_now();
    let ep_id = match endpoint(st, &raw, caller, Need::ManageAcl, &uri) {
        Ok((ep, _)) => ep.id,
        Err(e) => return e,
    };
    let req: AccessRuleUpdate = match body(&bytes, "access", &uri) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let Some(rule) = st
        .endpoints
        .get_mut(&ep_id)
        .and_then(|ep| ep.acl.iter_mut().find(|r| r.id == rule_id))
    else {
        return rule_not_found(&rule_id, &uri);
    };
    if req.id.as_deref().is_some_and(|id| id != rule_id) {
        return err(
            &refused::ACL_FIXED_FIELD,
            "The id in the document does not match the URL",
            &uri,
        );
    }
    // Only permissions and expiration_date may change; the rest may be echoed unchanged.
    let unchanged = |key: &str, current: &str| {
        req.extra
            .get(key)
            .is_none_or(|v| v.is_null() || v.as_str() == Some(current))
    };
    if !unchanged("path", &rule.path)
        || !unchanged("principal", &rule.principal)
        || !unchanged("principal_type", rule.principal_type.as_str())
    {
        return err(
            &refused::ACL_FIXED_FIELD,
            "Only permissions and expiration_date of an access rule may be updated",
            &uri,
        );
    }
    if let Some(p) = &req.permissions
        && let Err(e) = check_permissions(p, &uri)
    {
        return e;
    }
    let expiry = match &req.expiration_date {
        Some(Some(e)) => match check_expiry(e, now, &uri) {
            Ok(t) => Some(Some(t)),
            Err(resp) => return resp,
        },
        other => other.clone(),
    };
    if let Some(p) = req.permissions {
        rule.permissions = p;
    }
    if let Some(e) = expiry {
        rule.expiration_date = e;
    }
    Json(TransferResult {
        data_type: "result".into(),
        code: "Updated".into(),
        message: format!("Access rule '{rule_id}' updated successfully"),
        request_id: request_id(),
        resource: format!("/endpoint/{ep_id}/access/{rule_id}"),
        extra: Extra::new(),
    })
    .into_response()
}

async fn delete_rule(
    State(em): State<Emulator>,
    Extension(caller): Extension<Caller>,
    Path((raw, rule_id)): Path<(String, String)>,
    uri: Uri,
) -> Response {
    let mut w = em.lock();
    let st = w.state_now();
    let ep_id = match endpoint(st, &raw, caller, Need::ViewAcl, &uri) {
        Ok((ep, _)) => ep.id,
        Err(e) => return e,
    };
    let Some(ep) = st.endpoints.get_mut(&ep_id) else {
        return rule_not_found(&rule_id, &uri);
    };
    let before = ep.acl.len();
    ep.acl.retain(|r| r.id != rule_id);
    if ep.acl.len() == before {
        return rule_not_found(&rule_id, &uri);
    }
    Json(TransferResult {
        data_type: "result".into(),
        code: "Deleted".into(),
        message: format!("Access rule '{rule_id}' deleted successfully"),
        request_id: request_id(),
        resource: format!("/endpoint/{ep_id}/access/{rule_id}"),
        extra: Extra::new(),
    })
    .into_response()
}

/// Whether the caller holds a rule covering `dir` (directly, through a group, or as any
/// signed-in user): an `rw` one when `write`, else any.
fn can_access(st: &Store, ep: &EndpointRec, who: Uuid, dir: &str, write: bool) -> bool {
    let groups = st.active_groups(who);
    ep.acl.iter().any(|r| {
        (r.permissions == "rw" || !write)
            && dir.starts_with(&r.path)
            && match r.principal_type {
                PrincipalType::Identity => r.principal == who.to_string(),
                PrincipalType::Group => r
                    .principal
                    .parse::<Uuid>()
                    .is_ok_and(|g| groups.contains(&g)),
                PrincipalType::AllAuthenticatedUsers => true,
                _ => false,
            }
    })
}

async fn mkdir(
    State(em): State<Emulator>,
    Extension(caller): Extension<Caller>,
    Path(raw): Path<String>,
    uri: Uri,
    bytes: Bytes,
) -> Response {
    let mut w = em.lock();
    let st = w.state_now();
    let (ep_id, roles) = match endpoint(st, &raw, caller, Need::Nothing, &uri) {
        Ok((ep, roles)) => (ep.id, roles),
        Err(e) => return e,
    };
    let req: MkdirRequest = match body(&bytes, "mkdir", &uri) {
        Ok(r) => r,
        Err(e) => return e,
    };
    if !req.path.starts_with('/') || req.path.split('/').any(|s| s == "." || s == "..") {
        return err(
            &refused::MKDIR_BAD_PATH,
            format!("Invalid path '{}'", req.path),
            &uri,
        );
    }
    let dir = dir_key(&req.path);
    let Some(ep) = st.endpoints.get(&ep_id) else {
        return err(&refused::ENDPOINT_NOT_FOUND, "No such endpoint", &uri);
    };
    let privileged = roles.contains("administrator") || roles.contains("access_manager");
    if !privileged && !can_access(st, ep, caller.identity, &dir, true) {
        return err(
            &refused::MKDIR_DENIED,
            format!("No write permission on '{}'", req.path),
            &uri,
        );
    }
    let (holder, stored) = st.storage(ep, &dir);
    if st
        .endpoints
        .get(&holder)
        .is_some_and(|h| h.directories.contains(&stored))
    {
        return err(
            &refused::MKDIR_EXISTS,
            format!(
                "Path already exists, Error Path '{}' already exists",
                req.path
            ),
            &uri,
        );
    }
    if let Some(h) = st.endpoints.get_mut(&holder) {
        // Parents are created implicitly (see docs/emulator.md: the real service's
        // behaviour for a missing parent is not confirmed).
        h.directories.extend(with_parents(&stored));
    }
    (
        StatusCode::ACCEPTED,
        Json(MkdirResult {
            data_type: "mkdir_result".into(),
            code: "DirectoryCreated".into(),
            message: "The directory was created successfully".into(),
            request_id: request_id(),
            resource: uri.path().to_string(),
            extra: Extra::new(),
        }),
    )
        .into_response()
}

/// `GET /operation/endpoint/{id}/stat?path=`: the `file` document of an existing directory.
async fn stat(
    State(em): State<Emulator>,
    Extension(caller): Extension<Caller>,
    Path(raw): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    uri: Uri,
) -> Response {
    let mut w = em.lock();
    let now = w.now();
    let st = w.state_now();
    let (ep, roles) = match endpoint(st, &raw, caller, Need::Nothing, &uri) {
        Ok(x) => x,
        Err(e) => return e,
    };
    let Some(path) = q.get("path").filter(|p| !p.is_empty()) else {
        return err(
            &refused::STAT_BAD_PATH,
            "Missing required parameter 'path'",
            &uri,
        );
    };
    if !path.starts_with('/') || path.split('/').any(|s| s == "." || s == "..") {
        return err(
            &refused::STAT_BAD_PATH,
            format!("Invalid path '{path}'"),
            &uri,
        );
    }
    let dir = dir_key(path);
    let privileged = roles.contains("administrator") || roles.contains("access_manager");
    if !privileged && !can_access(st, ep, caller.identity, &dir, false) {
        return err(
            &refused::STAT_DENIED,
            format!("No read permission on '{path}'"),
            &uri,
        );
    }
    let (holder, stored) = st.storage(ep, &dir);
    if !st
        .endpoints
        .get(&holder)
        .is_some_and(|h| h.directories.contains(&stored))
    {
        return err(
            &refused::STAT_NOT_FOUND,
            format!("Path not found, Error Path '{path}' does not exist"),
            &uri,
        );
    }
    let name = dir
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .filter(|n| !n.is_empty())
        .unwrap_or("/");
    Json(json!({
        "DATA_TYPE": "file",
        "name": name,
        "type": "dir",
        "link_target": null,
        "permissions": "0755",
        "size": 4096,
        "user": null,
        "group": null,
        "last_modified": now.format("%Y-%m-%d %H:%M:%S+00:00").to_string(),
    }))
    .into_response()
}
