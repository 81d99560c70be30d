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

// ---------------------------------------------------------------------------------------
// Documents

fn connector_id(connector: &str) -> String {
    if connector == "posix" {
        POSIX_CONNECTOR_ID.into()
    } else {
        derived_id("connector", connector).to_string()
    }
}

fn connector_name(connector: &str) -> String {
    match connector {
        "posix" => "POSIX".into(),
        "s3" => "S3".into(),
        other => other.into(),
    }
}

fn gateway(st: &Store, ep: Uuid, id: Option<Uuid>) -> Option<&GatewayRec> {
    let id = id?;
    st.endpoints
        .get(&ep)?
        .storage_gateways
        .iter()
        .find(|g| g.id == id)
}

fn manager_url(w: &World, ep: Uuid) -> Option<String> {
    w.base_url.as_ref().map(|b| format!("{b}/gcs/{ep}"))
}

/// Fields of a collection document the emulator keeps in its own fields (or ignores as
/// read-only); every other field is kept verbatim in `CollectionRec::doc`.
const COLLECTION_FIELDS: [&str; 27] = [
    "DATA_TYPE",
    "id",
    "collection_type",
    "display_name",
    "mapped_collection_id",
    "storage_gateway_id",
    "user_credential_id",
    "collection_base_path",
    "identity_id",
    "public",
    "description",
    "organization",
    "host_endpoint_id",
    "owner_id",
    "connector_id",
    "manager_url",
    "https_url",
    "tlsftp_url",
    "root_path",
    "gcs_version",
    "created_at",
    "last_access",
    "deleted",
    "high_assurance",
    "require_mfa",
    "authentication_timeout_mins",
    "subscription_admin_verified",
];

fn collection_doc(w: &World, c: &EndpointRec) -> Value {
    let st = &w.state;
    let rec = c.collection.clone().unwrap_or_default();
    let host = c.host_endpoint_id.unwrap_or(c.id);
    let gw = gateway(st, host, rec.storage_gateway_id);
    let guest = c.is_guest();
    let doc = Collection {
        data_type: COLLECTION_DATA_TYPE.into(),
        id: Some(c.id.to_string()),
        collection_type: Some(if guest {
            CollectionType::Guest
        } else {
            CollectionType::Mapped
        }),
        display_name: Some(c.display_name.clone()),
        mapped_collection_id: c
            .mapped_collection_id
            .filter(|_| guest)
            .map(|m| m.to_string()),
        storage_gateway_id: rec.storage_gateway_id.map(|g| g.to_string()),
        collection_base_path: Some(rec.base_path.clone()),
        identity_id: rec.identity_id.map(|i| i.to_string()),
        host_endpoint_id: Some(host.to_string()),
        owner_id: Some(host.to_string()),
        public: Some(c.public),
        description: c.description.clone(),
        organization: c.organization.clone(),
        connector_id: gw.map(|g| connector_id(&g.connector)),
        manager_url: manager_url(w, host),
        root_path: Some("/".into()),
        gcs_version: Some(GCS_VERSION.into()),
        created_at: Some(rec.created_at.clone()),
        deleted: Some(false),
        high_assurance: Some(false),
        allow_guest_collections: (!guest).then_some(true),
        policies: Some(json!({})),
        ..Collection::default()
    };
    let mut v = to_value(&doc);
    if let Value::Object(m) = &mut v {
        for (k, val) in &rec.doc {
            m.insert(k.clone(), val.clone());
        }
    }
    v
}

fn principal_urn(r: &RoleRec) -> String {
    match r.principal_type {
        PrincipalType::Group => format!("urn:globus:groups:id:{}", r.principal),
        _ => format!("urn:globus:auth:identity:{}", r.principal),
    }
}

fn parse_principal(urn: &str) -> Option<(PrincipalType, Uuid)> {
    if let Some(id) = urn.strip_prefix("urn:globus:auth:identity:") {
        return id.parse().ok().map(|id| (PrincipalType::Identity, id));
    }
    if let Some(id) = urn.strip_prefix("urn:globus:groups:id:") {
        return id.parse().ok().map(|id| (PrincipalType::Group, id));
    }
    None
}

fn role_doc(r: &RoleRec, collection: Option<Uuid>) -> Value {
    to_value(&Role {
        data_type: ROLE_DATA_TYPE.into(),
        id: Some(r.id.clone()),
        collection: collection.map(|c| c.to_string()),
        principal: principal_urn(r),
        role: r.role.clone(),
        extra: Map::new(),
    })
}

fn credential_doc(st: &Store, ep: Uuid, c: &CredentialRec) -> Value {
    let connector = gateway(st, ep, Some(c.storage_gateway_id))
        .map(|g| g.connector.clone())
        .unwrap_or_else(|| "posix".into());
    let policies = if connector == "posix" {
        json!({"DATA_TYPE": POSIX_CREDENTIAL_POLICIES_DATA_TYPE})
    } else {
        json!({})
    };
    to_value(&UserCredential {
        data_type: USER_CREDENTIAL_DATA_TYPE.into(),
        id: Some(c.id.to_string()),
        identity_id: Some(c.identity_id.to_string()),
        storage_gateway_id: Some(c.storage_gateway_id.to_string()),
        connector_id: Some(connector_id(&connector)),
        username: Some(c.username.clone()),
        display_name: c.display_name.clone(),
        policies: Some(policies),
        invalid: Some(c.invalid),
        provisioned: Some(c.provisioned),
        deleted: Some(false),
        home_directory: Some(format!("/home/{}", c.username)),
        extra: Map::new(),
    })
}

fn gateway_doc(g: &GatewayRec) -> Value {
    json!({
        "DATA_TYPE": STORAGE_GATEWAY_DATA_TYPE,
        "id": g.id.to_string(),
        "display_name": g.display_name,
        "connector_id": connector_id(&g.connector),
        "high_assurance": false,
        "require_high_assurance": false,
        "authentication_timeout_mins": 15840,
        "allowed_domains": [],
        "mapping": "username_without_domain",
        "restrict_paths": null,
        "users_allow": [],
        "users_deny": [],
        "policies": {"DATA_TYPE": format!("{}_storage_gateway#1.0.0", g.connector)},
    })
}

// ---------------------------------------------------------------------------------------
// Info, endpoint, storage gateways

async fn info(State(em): State<Emulator>, Path(raw): Path<String>) -> Response {
    let w = em.lock();
    let ep = match gcs_endpoint(&w, &raw) {
        Ok(ep) => ep,
        Err(e) => return e,
    };
    let domain = w
        .base_url
        .as_deref()
        .and_then(|b| url::Url::parse(b).ok())
        .and_then(|u| u.host_str().map(String::from))
        .unwrap_or_else(|| "localhost".into());
    let mut data = vec![json!({
        "DATA_TYPE": INFO_DATA_TYPE,
        "api_version": API_VERSION,
        "client_id": ep.to_string(),
        "endpoint_id": ep.to_string(),
        "domain_name": domain,
        "manager_version": GCS_VERSION,
    })];
    let connectors: BTreeSet<String> = w
        .state
        .endpoints
        .get(&ep)
        .map(|e| {
            e.storage_gateways
                .iter()
                .map(|g| g.connector.clone())
                .collect()
        })
        .unwrap_or_default();
    for c in connectors {
        data.push(json!({
            "DATA_TYPE": CONNECTOR_DATA_TYPE,
            "display_name": connector_name(&c),
            "id": connector_id(&c),
            "is_baa": false,
            "is_ha": false,
        }));
    }
    let mut answer = Answer::new(StatusCode::OK, data);
    answer.body.data_type = "result#1.1.0".into();
    answer.into_response()
}

async fn endpoint_doc(
    State(em): State<Emulator>,
    Path(raw): Path<String>,
    headers: HeaderMap,
) -> Response {
    let w = em.lock();
    let ctx = match open(&w, &raw, &headers) {
        Ok(c) => c,
        Err(e) => return e,
    };
    let Some(e) = w.state.endpoints.get(&ctx.ep) else {
        return not_found(&refused::ENDPOINT_NOT_FOUND, "No such endpoint");
    };
    let doc = json!({
        "DATA_TYPE": "endpoint#1.2.0",
        "id": e.id.to_string(),
        "display_name": e.display_name,
        "organization": e.organization,
        "description": e.description,
        "public": e.public,
        "gcs_manager_url": manager_url(&w, e.id),
        "subscription_id": null,
        "network_use": "normal",
        "allow_udt": false,
    });
    Answer::new(StatusCode::OK, vec![doc]).into_response()
}

async fn list_gateways(
    State(em): State<Emulator>,
    Path(raw): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let w = em.lock();
    let ctx = match open(&w, &raw, &headers) {
        Ok(c) => c,
        Err(e) => return e,
    };
    let items = w
        .state
        .endpoints
        .get(&ctx.ep)
        .map(|e| {
            e.storage_gateways
                .iter()
                .map(|g| (g.id.to_string(), gateway_doc(g)))
                .collect()
        })
        .unwrap_or_default();
    match page(items, &q) {
        Ok((data, next)) => Answer::new(StatusCode::OK, data).page(next).into_response(),
        Err(e) => e,
    }
}

async fn get_gateway(
    State(em): State<Emulator>,
    Path((raw, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let w = em.lock();
    let ctx = match open(&w, &raw, &headers) {
        Ok(c) => c,
        Err(e) => return e,
    };
    match gateway(&w.state, ctx.ep, id.parse().ok()) {
        Some(g) => Answer::new(StatusCode::OK, vec![gateway_doc(g)]).into_response(),
        None => not_found(
            &refused::GATEWAY_NOT_FOUND,
            format!("Storage gateway '{id}' not found"),
        ),
    }
}

// ---------------------------------------------------------------------------------------
// Collections

async fn list_collections(
    State(em): State<Emulator>,
    Path(raw): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let w = em.lock();
    let ctx = match open(&w, &raw, &headers) {
        Ok(c) => c,
        Err(e) => return e,
    };
    let st = &w.state;
    let (mapped_id, gateway_id) = match (
        uuid_param(&q, "mapped_collection_id"),
        uuid_param(&q, "storage_gateway_id"),
    ) {
        (Ok(m), Ok(g)) => (m, g),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    let filters: Vec<&str> = q
        .get("filter")
        .map(|f| {
            f.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let keep = |c: &EndpointRec| {
        filters.iter().all(|f| match *f {
            "mapped_collections" => !c.is_guest(),
            "guest_collections" => c.is_guest(),
            "managed_by_me" => holds(st, c.id, ctx.who, &["administrator", "access_manager"]),
            "created_by_me" => {
                c.collection
                    .as_ref()
                    .is_some_and(|r| r.identity_id == Some(ctx.who))
                    || c.roles
                        .iter()
                        .any(|r| r.protected && r.role == "administrator" && r.principal == ctx.who)
            }
            // Date filters (`last_access<=…`, `created_at…`) and unknown ones select all.
            _ => true,
        })
    };
    let items: Vec<(String, Value)> = st
        .endpoints
        .values()
        .filter(|c| c.is_collection_of(ctx.ep))
        .filter(|c| may_see(st, &ctx, c))
        .filter(|c| mapped_id.is_none_or(|m| c.is_guest() && c.mapped_collection_id == Some(m)))
        .filter(|c| {
            gateway_id
                .is_none_or(|g| c.collection.as_ref().and_then(|r| r.storage_gateway_id) == Some(g))
        })
        .filter(|c| keep(c))
        .map(|c| (c.id.to_string(), collection_doc(&w, c)))
        .collect();
    match page(items, &q) {
        Ok((data, next)) => Answer::new(StatusCode::OK, data).page(next).into_response(),
        Err(e) => e,
    }
}

async fn get_collection(
    State(em): State<Emulator>,
    Path((raw, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let w = em.lock();
    let ctx = match open(&w, &raw, &headers) {
        Ok(c) => c,
        Err(e) => return e,
    };
    let c = match collection(&w.state, &ctx, &id) {
        Ok(c) => c,
        Err(e) => return e,
    };
    if !may_see(&w.state, &ctx, c) {
        return missing_role(
            &refused::COLLECTION_ROLE,
            format!("Missing a role on collection '{id}'"),
            &[(Some(c.id), "administrator"), (None, "administrator")],
        );
    }
    Answer::new(StatusCode::OK, vec![collection_doc(&w, c)]).into_response()
}

fn opt_string(body: &Map<String, Value>, key: &str) -> Result<Option<Option<String>>, Response> {
    match body.get(key) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(s)) => Ok(Some(Some(s.clone()))),
        Some(_) => Err(malformed(key, format!("'{key}' must be a string"))),
    }
}

fn opt_uuid(body: &Map<String, Value>, key: &str) -> Result<Option<Uuid>, Response> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => s
            .parse()
            .map(Some)
            .map_err(|_| malformed(key, format!("'{key}' must be a UUID"))),
        Some(_) => Err(malformed(key, format!("'{key}' must be a UUID"))),
    }
}

/// Checks that `cred` is a usable credential of the caller on `gateway`.
fn check_credential(st: &Store, ctx: &Ctx, cred: Uuid, gateway: Option<Uuid>) -> Option<Response> {
    let found = st
        .endpoints
        .get(&ctx.ep)
        .and_then(|e| e.user_credentials.iter().find(|c| c.id == cred))
        .filter(|c| c.identity_id == ctx.who && Some(c.storage_gateway_id) == gateway);
    match found {
        None => Some(denied(
            &refused::CREDENTIAL_MISSING,
            format!("No user credential '{cred}' of the caller on the storage gateway"),
            "credential_not_found#1.0.0",
            json!({"accounts": []}),
        )),
        Some(c) if c.invalid => Some(denied(
            &refused::CREDENTIAL_INVALID,
            format!("User credential '{cred}' is invalid"),
            "invalid_credential#1.0.0",
            json!({"user_credential_id": cred.to_string()}),
        )),
        Some(_) => None,
    }
}

/// The fields a create, PUT or PATCH sets, checked.
struct CollectionWrite {
    display_name: Option<String>,
    public: Option<bool>,
    description: Option<Option<String>>,
    organization: Option<Option<String>>,
    user_credential_id: Option<Uuid>,
    doc: Map<String, Value>,
}

fn collection_write(body: &Map<String, Value>) -> Result<CollectionWrite, Response> {
    let display_name = match opt_string(body, "display_name")? {
        Some(None) => {
            return Err(bad_input(
                &refused::DISPLAY_NAME,
                "display_name",
                "display_name may not be null",
            ));
        }
        Some(Some(s)) if s.trim().is_empty() => {
            return Err(bad_input(
                &refused::DISPLAY_NAME,
                "display_name",
                "display_name may not be empty",
            ));
        }
        other => other.flatten(),
    };
    let public = match body.get("public") {
        None => None,
        Some(Value::Null) => Some(false),
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => return Err(malformed("public", "'public' must be a boolean")),
    };
    Ok(CollectionWrite {
        display_name,
        public,
        description: opt_string(body, "description")?,
        organization: opt_string(body, "organization")?,
        user_credential_id: opt_uuid(body, "user_credential_id")?,
        doc: body
            .iter()
            .filter(|(k, _)| !COLLECTION_FIELDS.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    })
}

fn base_path(body: &Map<String, Value>, default: Option<&str>) -> Result<String, Response> {
    match body.get("collection_base_path") {
        Some(Value::String(p)) if p.starts_with('/') && !p.split('/').any(|s| s == "..") => {
            Ok(p.clone())
        }
        None | Some(Value::Null) if default.is_some() => Ok(default.unwrap_or("/").into()),
        _ => Err(bad_input(
            &refused::BASE_PATH,
            "collection_base_path",
            "collection_base_path must be an absolute path",
        )),
    }
}

async fn create_collection(
    State(em): State<Emulator>,
    Path(raw): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    let mut w = em.lock();
    let ctx = match open(&w, &raw, &headers) {
        Ok(c) => c,
        Err(e) => return e,
    };
    let body = match object_body(&bytes, "collection") {
        Ok(b) => b,
        Err(e) => return e,
    };
    let write = match collection_write(&body) {
        Ok(x) => x,
        Err(e) => return e,
    };
    let Some(display_name) = write.display_name.clone() else {
        return bad_input(
            &refused::DISPLAY_NAME,
            "display_name",
            "display_name is required",
        );
    };
    let guest = match body.get("collection_type").and_then(Value::as_str) {
        Some("guest") => true,
        Some("mapped") => false,
        _ => {
            return malformed(
                "collection_type",
                "collection_type must be 'mapped' or 'guest'",
            );
        }
    };
    let now = w.now();
    let st = &w.state;
    let (mapped, gateway_id, base) = if guest {
        let m = match opt_uuid(&body, "mapped_collection_id") {
            Ok(Some(m)) => m,
            Ok(None) => {
                return malformed("mapped_collection_id", "mapped_collection_id is required");
            }
            Err(e) => return e,
        };
        let mapped = match collection(st, &ctx, &m.to_string()) {
            Ok(c) if !c.is_guest() => c,
            Ok(_) => {
                return bad_input(
                    &refused::MAPPED_IS_GUEST,
                    "mapped_collection_id",
                    "mapped_collection_id names a guest collection",
                );
            }
            Err(e) => return e,
        };
        if !holds(st, ctx.ep, ctx.who, &GCS_ROLES) && !holds(st, m, ctx.who, &GCS_ROLES) {
            return missing_role(
                &refused::COLLECTION_ROLE,
                "Creating a guest collection needs a role on the mapped collection or the endpoint",
                &[
                    (Some(m), "administrator"),
                    (Some(m), "access_manager"),
                    (None, "administrator"),
                ],
            );
        }
        if !ctx.has_data_access(m) {
            return denied(
                &refused::MISSING_DATA_ACCESS,
                "The token lacks the data_access scope of the mapped collection",
                "missing_required_scopes#1.0.0",
                json!({"scopes": [format!(
                    "urn:globus:auth:scope:{}:manage_collections[https://auth.globus.org/scopes/{m}/data_access]",
                    ctx.ep
                )]}),
            );
        }
        match opt_uuid(&body, "identity_id") {
            Ok(Some(i)) if i != ctx.who => {
                return denied(
                    &refused::NOT_CALLER,
                    format!("Identity '{i}' is not in the caller's identity set"),
                    "id_not_in_identity_set#1.0.0",
                    json!({"identity_id": i.to_string()}),
                );
            }
            Ok(_) => {}
            Err(e) => return e,
        }
        let gateway_id = mapped
            .collection
            .as_ref()
            .and_then(|r| r.storage_gateway_id);
        let Some(cred) = write.user_credential_id else {
            return malformed("user_credential_id", "user_credential_id is required");
        };
        if let Some(e) = check_credential(st, &ctx, cred, gateway_id) {
            return e;
        }
        let base = match base_path(&body, None) {
            Ok(b) => b,
            Err(e) => return e,
        };
        (Some(mapped.id), gateway_id, base)
    } else {
        if !holds(st, ctx.ep, ctx.who, &ENDPOINT_ADMIN) {
            return missing_role(
                &refused::COLLECTION_ROLE,
                "Creating a mapped collection needs the endpoint's administrator role",
                &[(None, "administrator"), (None, "owner")],
            );
        }
        let g = match opt_uuid(&body, "storage_gateway_id") {
            Ok(Some(g)) => g,
            Ok(None) => return malformed("storage_gateway_id", "storage_gateway_id is required"),
            Err(e) => return e,
        };
        if gateway(st, ctx.ep, Some(g)).is_none() {
            return not_found(
                &refused::GATEWAY_NOT_FOUND,
                format!("Storage gateway '{g}' not found"),
            );
        }
        let base = match base_path(&body, Some("/")) {
            Ok(b) => b,
            Err(e) => return e,
        };
        (None, Some(g), base)
    };
    let st = &mut w.state;
    let id = st.next_id("collection");
    let role_id = st.next_id("role").to_string();
    // A guest collection's root exists in its mapped collection from the start.
    if let Some(m) = mapped.and_then(|m| st.endpoints.get_mut(&m)) {
        m.directories.extend(with_parents(&join_path(&base, "/")));
    }
    let rec = EndpointRec {
        id,
        display_name,
        entity_type: if guest {
            "GCSv5_guest_collection"
        } else {
            "GCSv5_mapped_collection"
        }
        .into(),
        owner_id: Some(ctx.ep),
        description: write.description.clone().flatten(),
        organization: write.organization.clone().flatten(),
        gcs_manager_url: None,
        host_endpoint_id: Some(ctx.ep),
        mapped_collection_id: mapped,
        public: write.public.unwrap_or(false),
        roles: vec![RoleRec {
            id: role_id,
            role: "administrator".into(),
            principal_type: PrincipalType::Identity,
            principal: ctx.who,
            protected: true,
        }],
        acl: Vec::new(),
        directories: ["/".to_string()].into_iter().collect(),
        storage_gateways: Vec::new(),
        user_credentials: Vec::new(),
        collection: Some(CollectionRec {
            storage_gateway_id: gateway_id,
            base_path: base,
            user_credential_id: write.user_credential_id.filter(|_| guest),
            identity_id: guest.then_some(ctx.who),
            created_at: fmt_time(now),
            doc: write
                .doc
                .into_iter()
                .filter(|(_, v)| !v.is_null())
                .collect(),
        }),
    };
    st.endpoints.insert(id, rec);
    let doc = w
        .state
        .endpoints
        .get(&id)
        .map(|c| collection_doc(&w, c))
        .unwrap_or_default();
    Answer::new(StatusCode::CREATED, vec![doc])
        .message(format!("Created collection {id}"))
        .into_response()
}

/// PATCH (`replace` false) or PUT (`replace` true) of a collection.
fn update_collection(
    em: &Emulator,
    raw: &str,
    id: &str,
    headers: &HeaderMap,
    bytes: &Bytes,
    replace: bool,
) -> Response {
    let mut w = em.lock();
    let ctx = match open(&w, raw, headers) {
        Ok(c) => c,
        Err(e) => return e,
    };
    let st = &w.state;
    let c = match collection(st, &ctx, id) {
        Ok(c) => c,
        Err(e) => return e,
    };
    if !may_manage(st, &ctx, c) {
        return missing_role(
            &refused::COLLECTION_ROLE,
            format!("Updating collection '{id}' needs its administrator role"),
            &manage_roles(c),
        );
    }
    let body = match object_body(bytes, "collection") {
        Ok(b) => b,
        Err(e) => return e,
    };
    let write = match collection_write(&body) {
        Ok(x) => x,
        Err(e) => return e,
    };
    if replace && write.display_name.is_none() {
        return bad_input(
            &refused::DISPLAY_NAME,
            "display_name",
            "display_name is required",
        );
    }
    let rec = c.collection.clone().unwrap_or_default();
    let current_type = if c.is_guest() { "guest" } else { "mapped" };
    // Fields that identify what the collection shares cannot change.
    let fixed = [
        ("collection_type", Some(current_type.to_string())),
        (
            "mapped_collection_id",
            c.mapped_collection_id
                .filter(|_| c.is_guest())
                .map(|m| m.to_string()),
        ),
        (
            "storage_gateway_id",
            rec.storage_gateway_id.map(|g| g.to_string()),
        ),
        ("collection_base_path", Some(rec.base_path.clone())),
    ];
    for (key, current) in fixed {
        if let Some(v) = body.get(key)
            && !v.is_null()
            && v.as_str() != current.as_deref()
        {
            return bad_input(
                &refused::FIXED_FIELD,
                key,
                format!("'{key}' of a collection cannot be changed"),
            );
        }
    }
    if let Some(cred) = write.user_credential_id
        && c.is_guest()
        && let Some(e) = check_credential(st, &ctx, cred, rec.storage_gateway_id)
    {
        return e;
    }
    let cid = c.id;
    let Some(c) = w.state.endpoints.get_mut(&cid) else {
        return not_found(&refused::COLLECTION_NOT_FOUND, "Collection vanished");
    };
    if replace {
        c.description = None;
        c.organization = None;
        c.public = false;
    }
    if let Some(n) = write.display_name {
        c.display_name = n;
    }
    if let Some(p) = write.public {
        c.public = p;
    }
    if let Some(d) = write.description {
        c.description = d;
    }
    if let Some(o) = write.organization {
        c.organization = o;
    }
    let r = c.collection.get_or_insert_with(CollectionRec::default);
    if replace {
        r.doc.clear();
    }
    if let Some(cred) = write.user_credential_id.filter(|_| r.identity_id.is_some()) {
        r.user_credential_id = Some(cred);
    }
    for (k, v) in write.doc {
        if v.is_null() {
            r.doc.remove(&k);
        } else {
            r.doc.insert(k, v);
        }
    }
    let doc = w
        .state
        .endpoints
        .get(&cid)
        .map(|c| collection_doc(&w, c))
        .unwrap_or_default();
    Answer::new(StatusCode::OK, vec![doc])
        .message(format!("Updated collection {cid}"))
        .into_response()
}

async fn patch_collection(
    State(em): State<Emulator>,
    Path((raw, id)): Path<(String, String)>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    update_collection(&em, &raw, &id, &headers, &bytes, false)
}

async fn put_collection(
    State(em): State<Emulator>,
    Path((raw, id)): Path<(String, String)>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    update_collection(&em, &raw, &id, &headers, &bytes, true)
}

async fn delete_collection(
    State(em): State<Emulator>,
    Path((raw, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let mut w = em.lock();
    let ctx = match open(&w, &raw, &headers) {
        Ok(c) => c,
        Err(e) => return e,
    };
    let st = &w.state;
    let c = match collection(st, &ctx, &id) {
        Ok(c) => c,
        Err(e) => return e,
    };
    let via_mapped = c.is_guest()
        && c.mapped_collection_id
            .is_some_and(|m| holds(st, m, ctx.who, &["administrator"]));
    if !may_manage(st, &ctx, c) && !via_mapped {
        return missing_role(
            &refused::COLLECTION_ROLE,
            format!("Deleting collection '{id}' needs its administrator role"),
            &manage_roles(c),
        );
    }
    let protected = c
        .collection
        .as_ref()
        .and_then(|r| r.doc.get("delete_protected"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if protected {
        return fail(
            &refused::DELETE_PROTECTED,
            format!("Collection '{id}' is delete_protected"),
            json!({"DATA_TYPE": "resource_conflict#1.0.0", "resources": [id]}),
        );
    }
    let cid = c.id;
    // Deleting a mapped collection deletes its guest collections; each takes its ACL
    // rules and roles with it.
    let doomed: Vec<Uuid> = st
        .endpoints
        .values()
        .filter(|g| g.id == cid || (g.is_guest() && g.mapped_collection_id == Some(cid)))
        .map(|g| g.id)
        .collect();
    for d in doomed {
        w.state.endpoints.remove(&d);
    }
    Answer::new(StatusCode::OK, Vec::new())
        .message(format!("Deleted collection {cid}"))
        .into_response()
}

// ---------------------------------------------------------------------------------------
// Roles

/// Where a role lives: the endpoint (`None`) or a collection.
fn role_scope(st: &Store, ctx: &Ctx, collection_id: Option<Uuid>) -> Result<Uuid, Response> {
    match collection_id {
        None => Ok(ctx.ep),
        Some(c) => collection(st, ctx, &c.to_string()).map(|c| c.id),
    }
}

/// Whether the caller may see the roles on `on` (the endpoint or a collection).
fn may_view_roles(st: &Store, ctx: &Ctx, on: Uuid) -> bool {
    holds(st, ctx.ep, ctx.who, &ENDPOINT_ADMIN) || holds(st, on, ctx.who, &GCS_ROLES)
}

/// Whether the caller may assign roles on `on`: endpoint roles need an endpoint
/// administrator; mapped collection roles an endpoint or collection administrator; guest
/// collection roles the guest collection's administrator.
fn may_assign(st: &Store, ctx: &Ctx, on: Uuid) -> bool {
    if on == ctx.ep {
        return holds(st, on, ctx.who, &ENDPOINT_ADMIN);
    }
    let guest = st.endpoints.get(&on).is_some_and(EndpointRec::is_guest);
    holds(st, on, ctx.who, &["administrator"])
        || (!guest && holds(st, ctx.ep, ctx.who, &ENDPOINT_ADMIN))
}

fn assign_roles(st: &Store, ctx: &Ctx, on: Uuid) -> Vec<(Option<Uuid>, &'static str)> {
    if on == ctx.ep {
        return vec![(None, "administrator"), (None, "owner")];
    }
    let guest = st.endpoints.get(&on).is_some_and(EndpointRec::is_guest);
    let mut out = vec![(Some(on), "administrator")];
    if !guest {
        out.push((None, "administrator"));
    }
    out
}

/// Every GCS role on the endpoint and its collections: (where, role).
fn all_roles(st: &Store, ep: Uuid) -> Vec<(Option<Uuid>, &RoleRec)> {
    st.endpoints
        .values()
        .filter(|e| e.id == ep || e.is_collection_of(ep))
        .flat_map(|e| {
            let on = (e.id != ep).then_some(e.id);
            e.roles
                .iter()
                .filter(|r| GCS_ROLES.contains(&r.role.as_str()))
                .map(move |r| (on, r))
        })
        .collect()
}

async fn list_roles(
    State(em): State<Emulator>,
    Path(raw): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let w = em.lock();
    let ctx = match open(&w, &raw, &headers) {
        Ok(c) => c,
        Err(e) => return e,
    };
    let st = &w.state;
    let all = q
        .get("include")
        .is_some_and(|i| i.split(',').any(|x| x.trim() == "all_roles"));
    let collection_id = match uuid_param(&q, "collection_id") {
        Ok(c) => c,
        Err(e) => return e,
    };
    let items: Vec<(String, Value)> = if all {
        if !holds(st, ctx.ep, ctx.who, &ENDPOINT_ADMIN) {
            return missing_role(
                &refused::ROLE_ROLE,
                "include=all_roles needs the endpoint's administrator role",
                &[(None, "administrator")],
            );
        }
        all_roles(st, ctx.ep)
            .into_iter()
            .map(|(on, r)| (r.id.clone(), role_doc(r, on)))
            .collect()
    } else {
        let on = match role_scope(st, &ctx, collection_id) {
            Ok(on) => on,
            Err(e) => return e,
        };
        if !may_view_roles(st, &ctx, on) {
            return missing_role(
                &refused::ROLE_ROLE,
                "Listing these roles needs a role on them",
                &assign_roles(st, &ctx, on),
            );
        }
        all_roles(st, ctx.ep)
            .into_iter()
            .filter(|(c, _)| c.unwrap_or(ctx.ep) == on)
            .map(|(c, r)| (r.id.clone(), role_doc(r, c)))
            .collect()
    };
    match page(items, &q) {
        Ok((data, next)) => Answer::new(StatusCode::OK, data).page(next).into_response(),
        Err(e) => e,
    }
}

fn find_role<'a>(st: &'a Store, ctx: &Ctx, id: &str) -> Option<(Option<Uuid>, &'a RoleRec)> {
    all_roles(st, ctx.ep).into_iter().find(|(_, r)| r.id == id)
}

async fn get_role(
    State(em): State<Emulator>,
    Path((raw, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let w = em.lock();
    let ctx = match open(&w, &raw, &headers) {
        Ok(c) => c,
        Err(e) => return e,
    };
    let st = &w.state;
    let Some((on, r)) = find_role(st, &ctx, &id) else {
        return not_found(&refused::ROLE_NOT_FOUND, format!("Role '{id}' not found"));
    };
    let scope = on.unwrap_or(ctx.ep);
    if !may_view_roles(st, &ctx, scope) {
        return missing_role(
            &refused::ROLE_ROLE,
            "Reading this role needs a role on its collection or endpoint",
            &assign_roles(st, &ctx, scope),
        );
    }
    Answer::new(StatusCode::OK, vec![role_doc(r, on)]).into_response()
}

async fn create_role(
    State(em): State<Emulator>,
    Path(raw): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    let mut w = em.lock();
    let ctx = match open(&w, &raw, &headers) {
        Ok(c) => c,
        Err(e) => return e,
    };
    let body = match object_body(&bytes, "role") {
        Ok(b) => b,
        Err(e) => return e,
    };
    let collection_id = match opt_uuid(&body, "collection") {
        Ok(c) => c,
        Err(e) => return e,
    };
    let Some((principal_type, principal)) = body
        .get("principal")
        .and_then(Value::as_str)
        .and_then(parse_principal)
    else {
        return bad_input(
            &refused::ROLE_PRINCIPAL,
            "principal",
            "principal must be urn:globus:auth:identity:<uuid> or urn:globus:groups:id:<uuid>",
        );
    };
    let role = body.get("role").and_then(Value::as_str).unwrap_or_default();
    let allowed: &[&str] = if collection_id.is_some() {
        &COLLECTION_ROLES
    } else {
        &ENDPOINT_ROLES
    };
    if !allowed.contains(&role) {
        return bad_input(
            &refused::ROLE_NAME,
            "role",
            format!(
                "role must be one of {} on {}",
                allowed.join(", "),
                if collection_id.is_some() {
                    "a collection"
                } else {
                    "the endpoint"
                }
            ),
        );
    }
    let st = &w.state;
    let on = match role_scope(st, &ctx, collection_id) {
        Ok(on) => on,
        Err(e) => return e,
    };
    if !may_assign(st, &ctx, on) {
        return missing_role(
            &refused::ROLE_ROLE,
            "Assigning this role needs the administrator role",
            &assign_roles(st, &ctx, on),
        );
    }
    let exists = st.endpoints.get(&on).is_some_and(|e| {
        e.roles.iter().any(|r| {
            r.role == role && r.principal == principal && r.principal_type == principal_type
        })
    });
    if exists {
        return fail(
            &refused::ROLE_EXISTS,
            format!("The principal already holds the role '{role}' there"),
            Value::Null,
        );
    }
    let id = w.state.next_id("role").to_string();
    let rec = RoleRec {
        id: id.clone(),
        role: role.to_string(),
        principal_type,
        principal,
        protected: false,
    };
    let doc = role_doc(&rec, collection_id);
    if let Some(e) = w.state.endpoints.get_mut(&on) {
        e.roles.push(rec);
    }
    Answer::new(StatusCode::OK, vec![doc])
        .message(format!("Created role {id}"))
        .into_response()
}

async fn delete_role(
    State(em): State<Emulator>,
    Path((raw, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let mut w = em.lock();
    let ctx = match open(&w, &raw, &headers) {
        Ok(c) => c,
        Err(e) => return e,
    };
    let st = &w.state;
    let Some((on, r)) = find_role(st, &ctx, &id) else {
        return not_found(&refused::ROLE_NOT_FOUND, format!("Role '{id}' not found"));
    };
    let scope = on.unwrap_or(ctx.ep);
    let via_mapped = st
        .endpoints
        .get(&scope)
        .filter(|c| c.is_guest())
        .and_then(|c| c.mapped_collection_id)
        .is_some_and(|m| holds(st, m, ctx.who, &["administrator"]));
    if !may_assign(st, &ctx, scope) && !via_mapped {
        return missing_role(
            &refused::ROLE_ROLE,
            "Deleting this role needs the administrator role",
            &assign_roles(st, &ctx, scope),
        );
    }
    if r.protected {
        let what = if on.is_some() {
            "the collection creator's administrator role"
        } else {
            "the endpoint's owner role"
        };
        return fail(
            &refused::ROLE_PROTECTED,
            format!("Role '{id}' is {what} and may not be deleted using this API"),
            json!({"DATA_TYPE": "resource_conflict#1.0.0", "resources": [id]}),
        );
    }
    if let Some(e) = w.state.endpoints.get_mut(&scope) {
        e.roles.retain(|r| r.id != id);
    }
    Answer::new(StatusCode::OK, Vec::new())
        .message(format!("Deleted role {id}"))
        .into_response()
}

// ---------------------------------------------------------------------------------------
// User credentials

fn credentials(st: &Store, ep: Uuid) -> &[CredentialRec] {
    st.endpoints
        .get(&ep)
        .map(|e| e.user_credentials.as_slice())
        .unwrap_or_default()
}

async fn list_credentials(
    State(em): State<Emulator>,
    Path(raw): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let w = em.lock();
    let ctx = match open(&w, &raw, &headers) {
        Ok(c) => c,
        Err(e) => return e,
    };
    let st = &w.state;
    let gateway_filter = match uuid_param(&q, "storage_gateway") {
        Ok(g) => g,
        Err(e) => return e,
    };
    let all =
        q.get("include").is_some_and(|i| i == "all") && holds(st, ctx.ep, ctx.who, &ENDPOINT_ADMIN);
    let items: Vec<(String, Value)> = credentials(st, ctx.ep)
        .iter()
        .filter(|c| all || c.identity_id == ctx.who)
        .filter(|c| gateway_filter.is_none_or(|g| c.storage_gateway_id == g))
        .map(|c| (c.id.to_string(), credential_doc(st, ctx.ep, c)))
        .collect();
    match page(items, &q) {
        Ok((data, next)) => Answer::new(StatusCode::OK, data).page(next).into_response(),
        Err(e) => e,
    }
}

/// The credential `id`, if the caller may see it (its own, or an endpoint administrator).
fn own_credential<'a>(st: &'a Store, ctx: &Ctx, id: &str) -> Result<&'a CredentialRec, Response> {
    let c = credentials(st, ctx.ep)
        .iter()
        .find(|c| c.id.to_string() == id)
        .ok_or_else(|| {
            not_found(
                &refused::CREDENTIAL_NOT_FOUND,
                format!("User credential '{id}' not found"),
            )
        })?;
    if c.identity_id != ctx.who && !holds(st, ctx.ep, ctx.who, &ENDPOINT_ADMIN) {
        return Err(denied(
            &refused::NOT_CALLER,
            format!("User credential '{id}' belongs to another identity"),
            "id_not_in_identity_set#1.0.0",
            json!({"identity_id": c.identity_id.to_string()}),
        ));
    }
    Ok(c)
}

async fn get_credential(
    State(em): State<Emulator>,
    Path((raw, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let w = em.lock();
    let ctx = match open(&w, &raw, &headers) {
        Ok(c) => c,
        Err(e) => return e,
    };
    match own_credential(&w.state, &ctx, &id) {
        Ok(c) => {
            Answer::new(StatusCode::OK, vec![credential_doc(&w.state, ctx.ep, c)]).into_response()
        }
        Err(e) => e,
    }
}

async fn create_credential(
    State(em): State<Emulator>,
    Path(raw): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    let mut w = em.lock();
    let ctx = match open(&w, &raw, &headers) {
        Ok(c) => c,
        Err(e) => return e,
    };
    let body = match object_body(&bytes, "user_credential") {
        Ok(b) => b,
        Err(e) => return e,
    };
    let gateway_id = match opt_uuid(&body, "storage_gateway_id") {
        Ok(Some(g)) => g,
        Ok(None) => return malformed("storage_gateway_id", "storage_gateway_id is required"),
        Err(e) => return e,
    };
    let st = &w.state;
    if gateway(st, ctx.ep, Some(gateway_id)).is_none() {
        return not_found(
            &refused::GATEWAY_NOT_FOUND,
            format!("Storage gateway '{gateway_id}' not found"),
        );
    }
    match opt_uuid(&body, "identity_id") {
        Ok(Some(i)) if i != ctx.who => {
            return denied(
                &refused::NOT_CALLER,
                format!("Identity '{i}' is not in the caller's identity set"),
                "id_not_in_identity_set#1.0.0",
                json!({"identity_id": i.to_string()}),
            );
        }
        Ok(_) => {}
        Err(e) => return e,
    }
    let (username, display_name) = match (
        opt_string(&body, "username"),
        opt_string(&body, "display_name"),
    ) {
        (Ok(u), Ok(d)) => (u.flatten(), d.flatten()),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    // Without a username, the local part of the identity's username (GCS' default
    // `username_without_domain` mapping).
    let username = username.filter(|u| !u.is_empty()).unwrap_or_else(|| {
        st.identities
            .get(&ctx.who)
            .map(|i| local_part(&i.username))
            .unwrap_or_else(|| ctx.who.to_string())
    });
    let id = w.state.next_id("user_credential");
    let rec = CredentialRec {
        id,
        identity_id: ctx.who,
        storage_gateway_id: gateway_id,
        username,
        display_name,
        invalid: false,
        provisioned: false,
    };
    let doc = credential_doc(&w.state, ctx.ep, &rec);
    if let Some(e) = w.state.endpoints.get_mut(&ctx.ep) {
        e.user_credentials.push(rec);
    }
    Answer::new(StatusCode::CREATED, vec![doc])
        .detail("created")
        .message(format!("Created User Credential {id}"))
        .into_response()
}

async fn delete_credential(
    State(em): State<Emulator>,
    Path((raw, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let mut w = em.lock();
    let ctx = match open(&w, &raw, &headers) {
        Ok(c) => c,
        Err(e) => return e,
    };
    let cid = match own_credential(&w.state, &ctx, &id) {
        Ok(c) => c.id,
        Err(e) => return e,
    };
    if let Some(e) = w.state.endpoints.get_mut(&ctx.ep) {
        e.user_credentials.retain(|c| c.id != cid);
    }
    Answer::new(StatusCode::OK, Vec::new())
        .message(format!("Deleted User Credential {cid}"))
        .into_response()
}
