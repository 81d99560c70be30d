//! GCS's emulator part: the Globus Connect Server v5 Manager API of every seeded
//! `GCSv5_endpoint`, under `/gcs/{endpoint_id}/api/...`: info, endpoint, storage gateways,
//! collections, roles and user credentials, in the GCS result envelope.
//!
//! GCS keeps no state of its own: collections are the Transfer endpoints whose
//! `host_endpoint_id` is the GCS endpoint (Transfer's records, through Transfer's public API),
//! so a guest collection created here is at once a Transfer endpoint (ACL rules, mkdir,
//! stat), and GCS collection roles are its Transfer roles. GCS writes the GCS side of those
//! records. Rights: `docs/emulator.md`.
// Early returns carry the finished HTTP answer; boxing it would only add noise on a cold path.
#![allow(clippy::result_large_err)]

mod collections;
mod credentials;
mod documents;
mod roles;
mod seed;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::service::emulator::refusal::{self, Refusal};
use crate::service::emulator::{
    ApiError, EmulatedService, ErrorShape, Handle, Seed, World, bearer, derived_id, fmt_time,
};
use crate::services::auth::emulator::{AuthSeed, directory, split_scopes};
use crate::services::groups::emulator::active_groups;
use crate::services::transfer::emulator::{
    CollectionRec, CredentialRec, EndpointRec, Endpoints as Store, GatewayRec, RoleRec,
    TransferSeed, endpoints, endpoints_mut, join_path, local_part, with_parents,
};

use collections::*;
use credentials::*;
use documents::*;
use roles::*;

use crate::services::gcs::refusals as refused;
use crate::services::gcs::wire::{
    COLLECTION_DATA_TYPE, CONNECTOR_DATA_TYPE, Collection, CollectionType, GcsResult,
    INFO_DATA_TYPE, POSIX_CONNECTOR_ID, POSIX_CREDENTIAL_POLICIES_DATA_TYPE, RESULT_DATA_TYPE,
    ROLE_DATA_TYPE, Role, STORAGE_GATEWAY_DATA_TYPE, USER_CREDENTIAL_DATA_TYPE, UserCredential,
    data_type_name,
};
use crate::services::transfer::wire::PrincipalType;

/// The GCS Manager API version the emulator reports.
const API_VERSION: &str = "1.29.0";
/// The GCS version the emulator reports.
const GCS_VERSION: &str = "5.4.80";
/// Items per page when `page_size` is not given.
const DEFAULT_PAGE_SIZE: usize = 100;
/// The largest `page_size` accepted.
const MAX_PAGE_SIZE: usize = 1000;

/// Role names GCS knows (Transfer's `restricted_administrator` is not one of them).
const GCS_ROLES: [&str; 6] = [
    "owner",
    "administrator",
    "access_manager",
    "activity_manager",
    "activity_monitor",
    "access_monitor",
];
/// Roles that may be assigned on the endpoint.
const ENDPOINT_ROLES: [&str; 4] = [
    "owner",
    "administrator",
    "activity_manager",
    "activity_monitor",
];
/// Roles that may be assigned on a collection.
const COLLECTION_ROLES: [&str; 5] = [
    "administrator",
    "access_manager",
    "activity_manager",
    "activity_monitor",
    "access_monitor",
];
/// Endpoint roles that administer the endpoint.
const ENDPOINT_ADMIN: [&str; 2] = ["owner", "administrator"];

/// GCS's emulator part.
pub struct GcsEmulator;

/// GCS's emulator part, as `Service::emulator` hands it out.
pub static EMULATOR: GcsEmulator = GcsEmulator;

impl EmulatedService for GcsEmulator {
    fn name(&self) -> &'static str {
        "gcs"
    }

    fn banner_name(&self) -> &'static str {
        "GCS"
    }

    fn errors(&self) -> &'static dyn ErrorShape {
        &ERRORS
    }

    fn refusals(&self) -> &'static [&'static Refusal] {
        refused::ALL
    }

    fn routes(&self, em: Handle) -> Router {
        routes().with_state(em)
    }

    /// A GCS endpoint and each collection on one is a resource server of its own (its id).
    fn state_scopes(&self, w: &World, rs: &str) -> Option<&'static [&'static str]> {
        let ep = endpoints(&w.states)?.endpoints.get(&rs.parse().ok()?)?;
        match ep.entity_type.as_str() {
            "GCSv5_endpoint" => Some(super::ENDPOINT_SCOPES),
            "GCSv5_mapped_collection" | "GCSv5_guest_collection" => Some(super::COLLECTION_SCOPES),
            _ => None,
        }
    }

    fn validate_seed(&self, seed: &Seed, problems: &mut Vec<String>) {
        let identities = seed
            .part::<AuthSeed>()
            .map(AuthSeed::directory)
            .unwrap_or_default();
        if let Some(s) = seed.part::<TransferSeed>() {
            seed::validate(s, &identities, problems);
        }
    }

    fn build(&self, seed: &Seed, w: &mut World, now: DateTime<Utc>) {
        let Some(section) = seed.part::<TransferSeed>() else {
            return;
        };
        let (st, dir) = w
            .states
            .pair_mut::<Store, crate::services::auth::emulator::Directory>();
        if let Some(st) = st {
            seed::build(section, dir, st, now);
        }
    }
}

/// GCS's error shape: the result envelope with the error's code and message.
struct GcsErrors;

static ERRORS: GcsErrors = GcsErrors;

impl ErrorShape for GcsErrors {
    fn body(&self, e: &ApiError) -> Value {
        to_value(&gcs_error_body(e.status, &e.code, &e.message, Value::Null))
    }

    fn injected(&self, status: u16) -> (&'static str, &'static str) {
        match status {
            429 => ("too_many_requests", "Too many requests; slow down"),
            500 => ("internal_server_error", "An internal error occurred"),
            502 => ("bad_gateway", "Bad gateway"),
            503 => ("service_unavailable", "Service unavailable"),
            504 => ("gateway_timeout", "Gateway timeout"),
            _ => ("error", "Injected error"),
        }
    }

    fn unauthorized(&self) -> &'static str {
        "Token is invalid, expired, or not for this endpoint"
    }

    fn no_route_code(&self) -> &'static str {
        "not_found"
    }
}

/// The GCS result envelope of an error (`data` empty, `detail` a string, a typed
/// document or null).
fn gcs_error_body(
    status: StatusCode,
    code: &str,
    message: &str,
    detail: Value,
) -> GcsResult<Value> {
    GcsResult {
        data_type: RESULT_DATA_TYPE.into(),
        code: code.into(),
        detail,
        http_response_code: Some(status.as_u16()),
        has_next_page: false,
        marker: None,
        message: Some(message.into()),
        authorization_parameters: None,
        data: Vec::new(),
        extra: Default::default(),
    }
}

/// No endpoints: what GCS reads when Transfer is not served.
static NO_ENDPOINTS: Store = Store {
    endpoints: BTreeMap::new(),
};

/// Transfer's endpoint records, which GCS's collections are.
fn eps(w: &World) -> &Store {
    endpoints(&w.states).unwrap_or(&NO_ENDPOINTS)
}

/// Transfer's endpoint records, to change (a route reaches this only after finding its
/// endpoint there).
fn eps_mut(w: &mut World) -> &mut Store {
    endpoints_mut(&mut w.states).expect("GCS endpoints are Transfer's records")
}

fn routes() -> Router<Handle> {
    Router::new()
        .route("/{ep}/api/info", get(info))
        .route("/{ep}/api/endpoint", get(endpoint_doc))
        .route("/{ep}/api/storage_gateways", get(list_gateways))
        .route("/{ep}/api/storage_gateways/{id}", get(get_gateway))
        .route(
            "/{ep}/api/collections",
            get(list_collections).post(create_collection),
        )
        .route(
            "/{ep}/api/collections/{id}",
            get(get_collection)
                .patch(patch_collection)
                .put(put_collection)
                .delete(delete_collection),
        )
        .route("/{ep}/api/roles", get(list_roles).post(create_role))
        .route("/{ep}/api/roles/{id}", get(get_role).delete(delete_role))
        .route(
            "/{ep}/api/user_credentials",
            get(list_credentials).post(create_credential),
        )
        .route(
            "/{ep}/api/user_credentials/{id}",
            get(get_credential).delete(delete_credential),
        )
}

// ---------------------------------------------------------------------------------------
// Answers

/// `refusal` in the GCS envelope.
fn fail(refusal: &'static Refusal, message: impl Into<String>, detail: Value) -> Response {
    let message = message.into();
    let status = refusal.status_code();
    let body = gcs_error_body(status, refusal.code, &message, detail);
    refusal::tag((status, Json(body)).into_response(), &[refusal])
}

fn not_found(refusal: &'static Refusal, message: impl Into<String>) -> Response {
    fail(refusal, message, Value::Null)
}

/// 400 `bad_request` with an `invalid_input#1.0.0` detail naming the property.
fn bad_input(refusal: &'static Refusal, property: &str, message: impl Into<String>) -> Response {
    let message = message.into();
    let detail = json!({"DATA_TYPE": "invalid_input#1.0.0",
                        "errors": [{"property": property, "message": message}]});
    fail(refusal, message, detail)
}

/// A malformed request: 400 `bad_request` naming the property.
fn malformed(property: &str, message: impl Into<String>) -> Response {
    bad_input(&refused::MALFORMED, property, message)
}

/// 403 `permission_denied` with a `missing_required_role#1.0.0` detail listing roles any
/// one of which would do (`collection` null for an endpoint role).
fn missing_role(
    refusal: &'static Refusal,
    message: impl Into<String>,
    roles: &[(Option<Uuid>, &str)],
) -> Response {
    let roles: Vec<Value> = roles
        .iter()
        .map(|(c, r)| json!({"collection": c.map(|c| c.to_string()), "role": r}))
        .collect();
    let detail = json!({"DATA_TYPE": "missing_required_role#1.0.0", "roles": roles});
    fail(refusal, message, detail)
}

/// 403 `permission_denied` with a typed detail of `data_type` and `fields`.
fn denied(
    refusal: &'static Refusal,
    message: impl Into<String>,
    data_type: &str,
    fields: Value,
) -> Response {
    let mut detail = Map::new();
    detail.insert("DATA_TYPE".into(), json!(data_type));
    if let Value::Object(f) = fields {
        detail.extend(f);
    }
    fail(refusal, message, Value::Object(detail))
}

/// A success envelope.
struct Answer {
    status: StatusCode,
    body: GcsResult<Value>,
}

impl Answer {
    fn new(status: StatusCode, data: Vec<Value>) -> Answer {
        Answer {
            status,
            body: GcsResult {
                data_type: RESULT_DATA_TYPE.into(),
                code: "success".into(),
                detail: json!("success"),
                http_response_code: Some(status.as_u16()),
                has_next_page: false,
                marker: None,
                message: None,
                authorization_parameters: None,
                data,
                extra: Map::new(),
            },
        }
    }

    fn message(mut self, m: impl Into<String>) -> Answer {
        self.body.message = Some(m.into());
        self
    }

    fn detail(mut self, d: &str) -> Answer {
        self.body.detail = json!(d);
        self
    }

    fn page(mut self, next: Option<String>) -> Answer {
        self.body.has_next_page = next.is_some();
        self.body.marker = next;
        self
    }
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}

fn to_value<T: serde::Serialize>(doc: &T) -> Value {
    serde_json::to_value(doc).unwrap_or(Value::Null)
}

// ---------------------------------------------------------------------------------------
// Request context

/// Who calls, on which GCS endpoint, with which token scope.
struct Ctx {
    /// The GCS endpoint id.
    ep: Uuid,
    /// The caller's identity.
    who: Uuid,
    /// The groups the caller is an active member of (roles held by a group are theirs).
    groups: BTreeSet<Uuid>,
    /// The token's scope string (with dependent scopes in brackets).
    scope: String,
}

impl Ctx {
    /// Whether the token carries the dependent `data_access` scope of collection `c`.
    fn has_data_access(&self, c: Uuid) -> bool {
        self.scope.contains(&format!("/scopes/{c}/data_access"))
            || self.scope.contains(&format!(":scope:{c}:data_access"))
    }
}

/// The GCS endpoint of the route (404 if it is no seeded `GCSv5_endpoint`).
fn gcs_endpoint(w: &World, raw: &str) -> Result<Uuid, Response> {
    raw.parse::<Uuid>()
        .ok()
        .filter(|id| {
            eps(w)
                .endpoints
                .get(id)
                .is_some_and(|e| e.entity_type == "GCSv5_endpoint")
        })
        .ok_or_else(|| {
            not_found(
                &refused::ENDPOINT_NOT_FOUND,
                format!("No GCS endpoint '{raw}'"),
            )
        })
}

/// Authenticates a call: a token this emulator issued for the endpoint's resource server
/// (its id) whose scope includes `manage_collections`.
fn open(w: &World, raw: &str, headers: &HeaderMap) -> Result<Ctx, Response> {
    let ep = gcs_endpoint(w, raw)?;
    let rec = bearer(headers)
        .and_then(|t| w.tokens.get(t))
        .filter(|rec| rec.resource_server == ep.to_string())
        .ok_or_else(|| {
            fail(
                &refused::UNAUTHORIZED,
                "Token is invalid, expired, or not for this endpoint",
                Value::Null,
            )
        })?;
    let wanted = [
        format!("urn:globus:auth:scope:{ep}:manage_collections"),
        format!("https://auth.globus.org/scopes/{ep}/manage_collections"),
    ];
    let has_scope = split_scopes(&rec.scope).iter().any(|s| {
        wanted
            .iter()
            .any(|w| s.split('[').next() == Some(w.as_str()))
    });
    if !has_scope {
        return Err(denied(
            &refused::MISSING_SCOPE,
            "The token lacks the manage_collections scope of this endpoint",
            "missing_required_scopes#1.0.0",
            json!({"scopes": [wanted[0]]}),
        ));
    }
    Ok(Ctx {
        ep,
        who: rec.client_id,
        groups: active_groups(w, rec.client_id),
        scope: rec.scope.clone(),
    })
}

/// A JSON object body whose `DATA_TYPE` names `name` (any version).
fn object_body(bytes: &Bytes, name: &str) -> Result<Map<String, Value>, Response> {
    let v: Value = serde_json::from_slice(bytes)
        .map_err(|e| malformed("", format!("Request body is not valid JSON: {e}")))?;
    let Value::Object(map) = v else {
        return Err(malformed("", "Request body must be a JSON object"));
    };
    match map.get("DATA_TYPE").and_then(Value::as_str) {
        Some(dt) if data_type_name(dt) == name && dt.contains('#') => Ok(map),
        _ => Err(malformed(
            "DATA_TYPE",
            format!("DATA_TYPE must be a version of '{name}' (e.g. '{name}#1.0.0')"),
        )),
    }
}

/// Reads a UUID query parameter.
fn uuid_param(q: &HashMap<String, String>, key: &str) -> Result<Option<Uuid>, Response> {
    match q.get(key).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => v
            .parse()
            .map(Some)
            .map_err(|_| malformed(key, format!("'{v}' is not a UUID"))),
    }
}

/// One page of `items` (sorted by key) after `marker`, with the marker of the next page.
fn page<T>(
    items: Vec<(String, T)>,
    q: &HashMap<String, String>,
) -> Result<(Vec<T>, Option<String>), Response> {
    let size = match q.get("page_size") {
        None => DEFAULT_PAGE_SIZE,
        Some(v) => match v.parse::<usize>() {
            Ok(n) if (1..=MAX_PAGE_SIZE).contains(&n) => n,
            _ => {
                return Err(malformed(
                    "page_size",
                    format!("page_size must be an integer from 1 to {MAX_PAGE_SIZE}"),
                ));
            }
        },
    };
    let after = match q.get("marker").filter(|m| !m.is_empty()) {
        None => None,
        Some(m) => Some(
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(m)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| malformed("marker", "Invalid marker"))?,
        ),
    };
    let mut items = items;
    items.sort_by(|a, b| a.0.cmp(&b.0));
    let mut rest: Vec<(String, T)> = items
        .into_iter()
        .filter(|(k, _)| after.as_ref().is_none_or(|a| k > a))
        .collect();
    let next = (rest.len() > size).then(|| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rest[size - 1].0.as_bytes())
    });
    rest.truncate(size);
    Ok((rest.into_iter().map(|(_, v)| v).collect(), next))
}

// ---------------------------------------------------------------------------------------
// Rights

/// Whether the caller holds one of `roles` on `on` (directly or through a group).
fn holds(st: &Store, ctx: &Ctx, on: Uuid, roles: &[&str]) -> bool {
    st.holds_any(on, ctx.who, &ctx.groups, roles)
}

/// A collection of the endpoint (mapped or guest), or 404.
fn collection<'a>(st: &'a Store, ctx: &Ctx, raw: &str) -> Result<&'a EndpointRec, Response> {
    raw.parse::<Uuid>()
        .ok()
        .and_then(|id| st.endpoints.get(&id))
        .filter(|c| c.is_collection_of(ctx.ep))
        .ok_or_else(|| {
            fail(
                &refused::COLLECTION_NOT_FOUND,
                format!("Collection '{raw}' not found"),
                json!({"DATA_TYPE": "collection_not_found#1.0.0", "collection_id": raw}),
            )
        })
}

/// Whether the caller may see collection `c`: any role on the endpoint or on `c`, or on
/// a guest's mapped collection; a public collection; or the guest collection's owner.
fn may_see(st: &Store, ctx: &Ctx, c: &EndpointRec) -> bool {
    holds(st, ctx, ctx.ep, &GCS_ROLES)
        || holds(st, ctx, c.id, &GCS_ROLES)
        || c.public
        || c.collection
            .as_ref()
            .is_some_and(|r| r.identity_id == Some(ctx.who))
        || (c.is_guest()
            && c.mapped_collection_id
                .is_some_and(|m| holds(st, ctx, m, &["administrator"])))
}

/// Whether the caller may change collection `c`: its administrator, or an endpoint
/// administrator or owner.
fn may_manage(st: &Store, ctx: &Ctx, c: &EndpointRec) -> bool {
    holds(st, ctx, c.id, &["administrator"]) || holds(st, ctx, ctx.ep, &ENDPOINT_ADMIN)
}

fn manage_roles(c: &EndpointRec) -> [(Option<Uuid>, &'static str); 3] {
    [
        (Some(c.id), "administrator"),
        (None, "administrator"),
        (None, "owner"),
    ]
}
