//! Globus Auth: client-credentials tokens, introspection and identity lookups.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::Engine;
use uuid::Uuid;

use crate::emulator::errors::{ApiError, Service, oauth_error};
use crate::emulator::store::IdentityRec;
use crate::emulator::{Emulator, TokenRec, World, bearer};
use crate::services::auth::refusals as refused;
use crate::services::auth::scopes;
use crate::services::auth::wire::{
    IdentitiesResponse, Identity, IntrospectResponse, Token, TokenResponse,
};

/// Resource server of Groups.
pub const GROUPS_RS: &str = crate::services::groups::RESOURCE_SERVER;
/// Resource server of Transfer.
pub const TRANSFER_RS: &str = crate::services::transfer::RESOURCE_SERVER;

/// Token lifetime reported in `expires_in` (two days, like the real service).
pub(crate) const TOKEN_LIFETIME: i64 = 172_800;

pub(crate) fn routes() -> Router<Emulator> {
    Router::new()
        .route("/v2/oauth2/token", post(token))
        .route("/v2/oauth2/token/introspect", post(introspect))
        .route("/v2/api/identities", get(identities))
        .route("/v2/api/identities/{id}", get(identity))
}

/// The client a request's HTTP Basic credentials authenticate, if any.
fn basic_client(w: &World, headers: &HeaderMap) -> Option<Uuid> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = v.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    let id: Uuid = id.parse().ok()?;
    let client = w.state.clients.get(&id)?;
    (client.secret == secret).then_some(id)
}

/// Splits a scope string on spaces outside dependent-scope brackets (`a[b c] d`).
pub(crate) fn split_scopes(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut depth = 0usize;
    for ch in s.chars() {
        match ch {
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        if ch.is_whitespace() && depth == 0 {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
        } else {
            cur.push(ch);
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The resource server of a scope string when it and each of its dependent scopes are in
/// the registry (`services::auth::scopes`), else why not.
fn registered(st: &crate::emulator::store::State, scope: &str) -> Result<String, String> {
    let (rs, name) = scopes::parse(scope).ok_or_else(|| format!("Malformed scope {scope}"))?;
    if !scopes::known(st, rs, name) {
        return Err(format!("Unknown scope {scope}"));
    }
    for dependent in scopes::dependents(scope)
        .map(split_scopes)
        .unwrap_or_default()
    {
        registered(st, &dependent)?;
    }
    Ok(rs.to_string())
}

/// Issues one token per resource server named by `scopes`, the first one top-level.
pub(crate) fn issue(w: &mut World, client_id: Uuid, scopes: &str) -> Result<TokenResponse, String> {
    let mut by_rs: Vec<(String, Vec<String>)> = Vec::new();
    for s in split_scopes(scopes) {
        let rs = registered(&w.state, &s)?;
        match by_rs.iter_mut().find(|(r, _)| *r == rs) {
            Some((_, list)) => list.push(s),
            None => by_rs.push((rs, vec![s])),
        }
    }
    if by_rs.is_empty() {
        return Err("No scope requested".into());
    }
    let now = w.now().timestamp();
    let mut tokens: Vec<Token> = by_rs
        .into_iter()
        .map(|(rs, scopes)| {
            let access_token = format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple());
            let scope = scopes.join(" ");
            w.tokens.insert(
                access_token.clone(),
                TokenRec {
                    client_id,
                    scope: scope.clone(),
                    resource_server: rs.clone(),
                    issued_at: now,
                    expires_at: now + TOKEN_LIFETIME,
                },
            );
            Token {
                access_token,
                scope,
                expires_in: TOKEN_LIFETIME,
                token_type: Some("Bearer".into()),
                resource_server: rs,
                refresh_token: None,
                state: None,
                extra: Default::default(),
            }
        })
        .collect();
    let top = tokens.remove(0);
    Ok(TokenResponse {
        access_token: top.access_token,
        scope: top.scope,
        expires_in: top.expires_in,
        token_type: top.token_type,
        resource_server: top.resource_server,
        refresh_token: None,
        id_token: None,
        state: None,
        other_tokens: tokens,
        extra: Default::default(),
    })
}

async fn token(
    State(em): State<Emulator>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let mut w = em.lock();
    let Some(client_id) = basic_client(&w, &headers) else {
        return oauth_error(&refused::CLIENT, "Client authentication failed");
    };
    match form.get("grant_type").map(String::as_str) {
        Some("client_credentials") => {}
        Some(DEPENDENT_TOKEN_GRANT) => return dependent_tokens(&mut w, client_id, &form),
        _ => {
            return oauth_error(
                &refused::GRANT_TYPE,
                "Only the client_credentials and dependent_token grants are emulated",
            );
        }
    }
    match issue(
        &mut w,
        client_id,
        form.get("scope").map_or("", String::as_str),
    ) {
        Ok(resp) => Json(resp).into_response(),
        Err(e) => oauth_error(&refused::SCOPE, &e),
    }
}

/// The dependent token grant (an Action Provider acting for its caller).
const DEPENDENT_TOKEN_GRANT: &str = "urn:globus:auth:grant_type:dependent_token";

/// The Groups scope every emulated resource server's scope is taken to list as a dependent
/// scope (as an Action Provider's `action_all` scope does).
const GROUPS_DEPENDENT_SCOPE: &str =
    "urn:globus:auth:scope:groups.api.globus.org:view_my_groups_and_memberships";

/// `grant_type=urn:globus:auth:grant_type:dependent_token`: the client must be the resource
/// server of `token` (the token was issued for its scope); the answer is a JSON **list** of
/// tokens for the same identity, one per dependent scope. The scope registry has no
/// dependent scopes: every scope is taken to have the Groups `view_my_groups_and_memberships`
/// dependent scope, so the list holds one Groups token.
fn dependent_tokens(w: &mut World, client_id: Uuid, form: &HashMap<String, String>) -> Response {
    let Some(token) = form.get("token") else {
        return oauth_error(&refused::MISSING_TOKEN, "Missing token parameter");
    };
    let now = w.now().timestamp();
    let Some(rec) = w.tokens.get(token).filter(|r| r.expires_at > now).cloned() else {
        return oauth_error(&refused::GRANT, "The token is not active");
    };
    if rec.resource_server != client_id.to_string() {
        return oauth_error(
            &refused::GRANT,
            "The token was not issued for this client's scope",
        );
    }
    match issue(w, rec.client_id, GROUPS_DEPENDENT_SCOPE) {
        Ok(resp) => Json(vec![Token {
            access_token: resp.access_token,
            scope: resp.scope,
            expires_in: resp.expires_in,
            token_type: resp.token_type,
            resource_server: resp.resource_server,
            refresh_token: None,
            state: None,
            extra: Default::default(),
        }])
        .into_response(),
        Err(e) => oauth_error(&refused::SCOPE, &e),
    }
}

async fn introspect(
    State(em): State<Emulator>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let w = em.lock();
    if basic_client(&w, &headers).is_none() {
        return oauth_error(&refused::CLIENT, "Client authentication failed");
    }
    let Some(tok) = form.get("token") else {
        return oauth_error(&refused::MISSING_TOKEN, "Missing token parameter");
    };
    let Some(rec) = w.tokens.get(tok) else {
        return Json(IntrospectResponse::default()).into_response();
    };
    let ident = w.state.identities.get(&rec.client_id);
    let with_set = form
        .get("include")
        .is_some_and(|i| i.split(',').any(|x| x.trim() == "identity_set"));
    Json(IntrospectResponse {
        active: true,
        token_type: Some("Bearer".into()),
        scope: Some(rec.scope.clone()),
        client_id: Some(rec.client_id.to_string()),
        username: ident.map(|i| i.username.clone()),
        name: ident.and_then(|i| i.name.clone()),
        email: ident.and_then(|i| i.email.clone()),
        exp: Some(rec.expires_at),
        iat: Some(rec.issued_at),
        nbf: Some(rec.issued_at),
        sub: Some(rec.client_id.to_string()),
        aud: Some(vec![rec.resource_server.clone(), rec.client_id.to_string()]),
        iss: Some("https://auth.globus.org".into()),
        identity_set: with_set.then(|| vec![rec.client_id.to_string()]),
        extra: Default::default(),
    })
    .into_response()
}

/// Identity routes accept any token this emulator issued, or a client's Basic credentials.
fn authorized(w: &World, headers: &HeaderMap) -> bool {
    bearer(headers).is_some_and(|t| w.tokens.contains_key(t)) || basic_client(w, headers).is_some()
}

fn to_wire(i: &IdentityRec) -> Identity {
    Identity {
        id: i.id,
        username: i.username.clone(),
        status: i.status.clone(),
        identity_provider: Some(i.identity_provider.to_string()),
        name: i.name.clone(),
        email: i.email.clone(),
        organization: i.organization.clone(),
        identity_type: Some("login".into()),
        extra: Default::default(),
    }
}

fn bad_params(detail: &str) -> Response {
    ApiError::refused(Service::Auth, &refused::PARAMETERS, detail).into_response()
}

fn list_param(q: &HashMap<String, String>, key: &str) -> Option<Vec<String>> {
    q.get(key).map(|v| {
        v.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect()
    })
}

async fn identities(
    State(em): State<Emulator>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let mut w = em.lock();
    if !authorized(&w, &headers) {
        return ApiError::unauthorized(Service::Auth, &refused::UNAUTHORIZED, "").into_response();
    }
    let usernames = list_param(&q, "usernames");
    let ids = list_param(&q, "ids");
    let provision = q.get("provision").is_some_and(|v| v == "true");
    let found: Vec<Identity> = match (usernames, ids) {
        (Some(_), Some(_)) => return bad_params("Specify either usernames or ids, not both"),
        (None, None) => return bad_params("One of usernames or ids is required"),
        (Some(names), None) => {
            let mut out = Vec::new();
            for n in names {
                let id = match w.state.identity_by_username(&n) {
                    Some(i) => Some(i.id),
                    None if provision => Some(w.state.provision(&n)),
                    None => None,
                };
                if let Some(i) = id.and_then(|id| w.state.identities.get(&id)) {
                    out.push(to_wire(i));
                }
            }
            out
        }
        (None, Some(ids)) => {
            if provision {
                return bad_params("provision may only be used with usernames");
            }
            let mut out = Vec::new();
            for raw in ids {
                let Ok(id) = raw.parse::<Uuid>() else {
                    return bad_params(&format!("Invalid identity id: {raw}"));
                };
                if let Some(i) = w.state.identities.get(&id) {
                    out.push(to_wire(i));
                }
            }
            out
        }
    };
    Json(IdentitiesResponse {
        identities: found,
        extra: Default::default(),
    })
    .into_response()
}

async fn identity(
    State(em): State<Emulator>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let w = em.lock();
    if !authorized(&w, &headers) {
        return ApiError::unauthorized(Service::Auth, &refused::UNAUTHORIZED, "").into_response();
    }
    let found = id
        .parse::<Uuid>()
        .ok()
        .and_then(|id| w.state.identities.get(&id));
    match found {
        Some(i) => Json(serde_json::json!({ "identity": to_wire(i) })).into_response(),
        None => ApiError::refused(
            Service::Auth,
            &refused::IDENTITY_NOT_FOUND,
            format!("No identity {id}"),
        )
        .into_response(),
    }
}
