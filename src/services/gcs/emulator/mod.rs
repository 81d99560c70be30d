//! The Globus Connect Server v5 Manager API of every seeded `GCSv5_endpoint`, under
//! `/gcs/{endpoint_id}/api/...`: info, endpoint, storage gateways, collections, roles and
//! user credentials, in the GCS result envelope.
//!
//! Collections are the Transfer endpoints whose `host_endpoint_id` is the GCS endpoint, so
//! a guest collection created here is at once a Transfer endpoint (ACL rules, mkdir, stat),
//! and GCS collection roles are its Transfer roles. Rights: `docs/emulator.md`.
// Early returns carry the finished HTTP answer; boxing it would only add noise on a cold path.
#![allow(clippy::result_large_err)]

use std::collections::{BTreeSet, HashMap};

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::emulator::errors::gcs_error_body;
use crate::emulator::refusal::{self, Refusal};
use crate::emulator::seed::derived_id;
use crate::emulator::store::{
    CollectionRec, CredentialRec, EndpointRec, GatewayRec, RoleRec, State as Store, fmt_time,
    join_path, local_part, with_parents,
};
use crate::emulator::{Emulator, World, bearer};
mod collections;
mod credentials;
mod documents;
mod roles;

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

pub(crate) fn routes() -> Router<Emulator> {
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
            w.state
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
    let has_scope = crate::services::auth::emulator::split_scopes(&rec.scope)
        .iter()
        .any(|s| {
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

fn holds(st: &Store, on: Uuid, who: Uuid, roles: &[&str]) -> bool {
    st.holds_any(on, who, roles)
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
    holds(st, ctx.ep, ctx.who, &GCS_ROLES)
        || holds(st, c.id, ctx.who, &GCS_ROLES)
        || c.public
        || c.collection
            .as_ref()
            .is_some_and(|r| r.identity_id == Some(ctx.who))
        || (c.is_guest()
            && c.mapped_collection_id
                .is_some_and(|m| holds(st, m, ctx.who, &["administrator"])))
}

/// Whether the caller may change collection `c`: its administrator, or an endpoint
/// administrator or owner.
fn may_manage(st: &Store, ctx: &Ctx, c: &EndpointRec) -> bool {
    holds(st, c.id, ctx.who, &["administrator"]) || holds(st, ctx.ep, ctx.who, &ENDPOINT_ADMIN)
}

fn manage_roles(c: &EndpointRec) -> [(Option<Uuid>, &'static str); 3] {
    [
        (Some(c.id), "administrator"),
        (None, "administrator"),
        (None, "owner"),
    ]
}
