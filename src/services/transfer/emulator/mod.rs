//! Globus Transfer's emulator part: endpoint documents, ACL rules, mkdir and stat
//! (Transfer v0.10) under `/transfer`; its seed section (`endpoints`) and its state, the
//! endpoint and collection records that GCS's emulator shares.
// Early returns carry the finished HTTP answer; boxing it would only add noise on a cold path.
#![allow(clippy::result_large_err)]

mod acl;
mod files;
mod seed;
mod state;
#[cfg(test)]
mod tests;

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use acl::*;
use files::*;
pub use seed::{
    SeedAclRule, SeedEndpoint, SeedRoles, SeedStorageGateway, SeedUserCredential, TransferSeed,
};
pub use state::{
    AclRec, CollectionRec, CredentialRec, EndpointRec, Endpoints, GatewayRec, RoleRec, dir_key,
    endpoints, endpoints_mut, join_path, local_part, with_parents,
};

use crate::service::emulator::{
    ApiError, Caller, EmulatedService, ErrorShape, Handle, Refusal, Seed, SeedError, SeedPart,
    SeedSource, States, TokenCheck, World, fmt_time, parse_time, request_id, take,
};
use crate::services::auth::emulator::{AuthSeed, directory};
use crate::services::groups::emulator::{GroupsSeed, active_groups, groups};
use crate::services::transfer::refusals as refused;
use crate::services::transfer::wire::{
    AccessCreateResult, AccessList, AccessRule, AccessRuleCreate, AccessRuleUpdate, Endpoint,
    MkdirRequest, MkdirResult, PrincipalType, TransferError, TransferResult,
};
use crate::wire::Extra;

use crate::services::transfer::MAX_RULES;

/// Transfer's emulator part.
pub struct TransferEmulator;

/// Transfer's emulator part, as `Service::emulator` hands it out.
pub static EMULATOR: TransferEmulator = TransferEmulator;

impl EmulatedService for TransferEmulator {
    fn name(&self) -> &'static str {
        "transfer"
    }

    fn banner_name(&self) -> &'static str {
        "Transfer"
    }

    fn errors(&self) -> &'static dyn ErrorShape {
        &ERRORS
    }

    fn refusals(&self) -> &'static [&'static Refusal] {
        refused::ALL
    }

    fn routes(&self, em: Handle) -> Router {
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
        Ok(Some(Arc::new(src.parse::<TransferSeed>()?)))
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
        if let Some(s) = seed.part::<TransferSeed>() {
            s.validate(&identities, &groups, problems);
        }
    }

    fn build(&self, seed: &Seed, w: &mut World, now: DateTime<Utc>) {
        let empty = TransferSeed::default();
        let section = seed.part::<TransferSeed>().unwrap_or(&empty);
        let st = Endpoints::from_seed(section, directory(w), groups(w), now);
        w.states.insert(st);
    }

    fn restore(
        &self,
        saved: &mut Map<String, Value>,
        _seed: &Seed,
        w: &mut World,
        _now: DateTime<Utc>,
    ) -> Result<(), serde_json::Error> {
        w.states.insert(take::<Endpoints>(saved, &["endpoints"])?);
        Ok(())
    }
}

/// Transfer's error shape: `{code, message, request_id, resource}`.
struct TransferErrors;

static ERRORS: TransferErrors = TransferErrors;

impl ErrorShape for TransferErrors {
    fn body(&self, e: &ApiError) -> Value {
        serde_json::to_value(TransferError {
            code: e.code.clone(),
            message: e.message.clone(),
            request_id: request_id(),
            resource: e.resource.clone(),
            ..TransferError::default()
        })
        .unwrap_or_default()
    }

    fn injected(&self, status: u16) -> (&'static str, &'static str) {
        match status {
            429 => ("RateLimited", "Too many requests; slow down"),
            500 => ("InternalError", "An internal error occurred"),
            502 => ("BadGateway", "Bad gateway"),
            503 => ("ServiceUnavailable", "Service unavailable"),
            504 => ("GatewayTimeout", "Gateway timeout"),
            _ => ("Error", "Injected error"),
        }
    }

    fn unauthorized(&self) -> &'static str {
        "Token is not active"
    }

    fn no_route_code(&self) -> &'static str {
        "ClientError.NotFound"
    }
}

/// Transfer's own endpoints, with the rules expired at `now` removed, as a read sees them
/// (built with its routes, so always there when they run).
fn endpoints_now(states: &mut States, now: DateTime<Utc>) -> &mut Endpoints {
    let st = endpoints_mut(states).expect("Transfer's state is built before its routes serve");
    st.prune_expired(now);
    st
}

/// The caller with the groups it is an active member of (Groups' state), which rules and
/// roles held by a group grant to.
struct Who {
    identity: Uuid,
    groups: BTreeSet<Uuid>,
}

fn who(w: &World, caller: Caller) -> Who {
    Who {
        identity: caller.identity,
        groups: active_groups(w, caller.identity),
    }
}

/// Whether an ACL path is acceptable: absolute, ending in `/`, no `.` or `..` segments.
pub(crate) fn valid_path(p: &str) -> bool {
    p.starts_with('/')
        && p.ends_with('/')
        && p.len() <= 2000
        && !p.split('/').any(|seg| seg == "." || seg == "..")
}

fn err(refusal: &'static Refusal, message: impl Into<String>, uri: &Uri) -> Response {
    ApiError::refused(&ERRORS, refusal, message)
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
    st: &'a Endpoints,
    raw: &str,
    caller: &Who,
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
    let roles = st.effective_roles(ep, caller.identity, &caller.groups);
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

async fn get_endpoint(
    State(em): State<Handle>,
    Extension(caller): Extension<Caller>,
    Path(raw): Path<String>,
    uri: Uri,
) -> Response {
    let w = em.lock();
    let caller = who(&w, caller);
    let Some(st) = endpoints(&w.states) else {
        return err(&refused::ENDPOINT_NOT_FOUND, "No such endpoint", &uri);
    };
    let (ep, roles) = match endpoint(st, &raw, &caller, Need::Nothing, &uri) {
        Ok(x) => x,
        Err(e) => return e,
    };
    // An owner that is no identity of the state is a client (a GCS endpoint's own), whose
    // username is `<id>@clients.auth.globus.org`.
    let identities = directory(&w).map(|d| &d.identities);
    let owner_string = ep
        .owner_id
        .map(|o| match identities.and_then(|i| i.get(&o)) {
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
        let base = w.base_url()?;
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
