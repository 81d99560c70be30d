//! Globus Auth's emulator part: client-credentials and dependent tokens, introspection and
//! identity lookups, under `/auth`; the scope registry it issues from; its seed section
//! (`clients`, `identities`) and its state, through which every service resolves identities.

mod seed;
mod state;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

pub use seed::{AuthSeed, SeedClient, SeedDirectory, SeedIdentity};
pub use state::{ClientRec, Directory, IdentityRec, TOKEN_LIFETIME, directory};

use crate::service::emulator::refusal::{self, Refusal};
use crate::service::emulator::{
    ApiError, ConnectionPart, EmulatedService, ErrorShape, Handle, Seed, SeedError, SeedPart,
    SeedSource, TokenRec, World, bearer, known_scope, scope_resource_server, take,
};
use crate::services::auth::refusals as refused;
use crate::services::auth::scopes;
use crate::services::auth::wire::{
    AuthError, AuthErrorItem, IdentitiesResponse, Identity, IntrospectResponse, Token,
    TokenResponse,
};

/// Auth's emulator part.
pub struct AuthEmulator;

/// Auth's emulator part, as `Service::emulator` hands it out.
pub static EMULATOR: AuthEmulator = AuthEmulator;

/// The scope a seeded client has as a resource server: an Action Provider's.
const CLIENT_SCOPES: &[&str] = &["action_all"];

impl EmulatedService for AuthEmulator {
    fn name(&self) -> &'static str {
        "auth"
    }

    fn banner_name(&self) -> &'static str {
        "Auth"
    }

    fn errors(&self) -> &'static dyn ErrorShape {
        &ERRORS
    }

    fn refusals(&self) -> &'static [&'static Refusal] {
        refused::ALL
    }

    fn routes(&self, em: Handle) -> Router {
        Router::new()
            .route("/v2/oauth2/token", post(token))
            .route("/v2/oauth2/token/introspect", post(introspect))
            .route("/v2/api/identities", get(identities))
            .route("/v2/api/identities/{id}", get(identity))
            .with_state(em)
    }

    fn scopes(&self) -> Option<(&'static str, &'static [&'static str])> {
        Some((super::RESOURCE_SERVER, super::SCOPES))
    }

    fn state_scopes(&self, w: &World, rs: &str) -> Option<&'static [&'static str]> {
        let id = rs.parse().ok()?;
        directory(w)?
            .clients
            .contains_key(&id)
            .then_some(CLIENT_SCOPES)
    }

    fn parse_seed(&self, src: &SeedSource<'_>) -> Result<Option<Arc<dyn SeedPart>>, SeedError> {
        Ok(Some(Arc::new(src.parse::<AuthSeed>()?)))
    }

    fn default_seed(&self) -> Map<String, Value> {
        // One client with a fresh random secret, which `--target URL` reads from the
        // emulator's connection route.
        let client = SeedClient {
            client_id: Uuid::from_u128(0x0b1e_4d5c_6f7a_4b8c_9d0e_1f2a_3b4c_5d6e),
            client_secret: Uuid::new_v4().simple().to_string(),
            username: None,
            name: Some("accord emulate".into()),
            allow_add: true,
        };
        AuthSeed {
            clients: vec![client],
            identities: Vec::new(),
        }
        .to_json()
    }

    fn validate_seed(&self, seed: &Seed, problems: &mut Vec<String>) {
        if let Some(s) = seed.part::<AuthSeed>() {
            s.validate(problems);
        }
    }

    fn build(&self, seed: &Seed, w: &mut World, now: DateTime<Utc>) {
        let empty = AuthSeed::default();
        let section = seed.part::<AuthSeed>().unwrap_or(&empty);
        let st = Directory::from_seed(section);
        state::seeded_tokens(section, &st, &mut w.tokens, now);
        w.states.insert(st);
    }

    fn restore(
        &self,
        saved: &mut Map<String, Value>,
        seed: &Seed,
        w: &mut World,
        now: DateTime<Utc>,
    ) -> Result<(), serde_json::Error> {
        let st: Directory = take(saved, &["clients", "identities"])?;
        if let Some(section) = seed.part::<AuthSeed>() {
            state::seeded_tokens(section, &st, &mut w.tokens, now);
        }
        w.states.insert(st);
        Ok(())
    }

    fn connection(&self, w: &World) -> Option<(&'static str, Option<ConnectionPart>)> {
        // The state's first client (by id): the one a reader of the whole state picks.
        let client = directory(w)?.clients.values().next().map(|c| {
            ConnectionPart::new()
                .shown("client_id", c.id.to_string())
                .secret("client_secret", c.secret.clone())
        });
        Some(("client", client))
    }

    fn banner(&self, seed: &Seed) -> Vec<String> {
        let first = seed.part::<AuthSeed>().and_then(|s| s.clients.first());
        first
            .map(|c| format!("  client id: {} (its secret is in the seed)", c.client_id))
            .into_iter()
            .collect()
    }

    fn strip_secrets(&self, state: &mut Map<String, Value>) {
        if let Some(clients) = state.get_mut("clients").and_then(|c| c.as_object_mut()) {
            for client in clients.values_mut() {
                if let Some(c) = client.as_object_mut() {
                    c.remove("secret");
                }
            }
        }
    }

    fn restore_secrets(&self, state: &mut Map<String, Value>, seed: &Seed) {
        let Some(section) = seed.part::<AuthSeed>() else {
            return;
        };
        for c in &section.clients {
            if let Some(client) = state
                .get_mut("clients")
                .and_then(|cs| cs.get_mut(c.client_id.to_string()))
                .and_then(|c| c.as_object_mut())
            {
                client.insert("secret".into(), c.client_secret.clone().into());
            }
        }
    }
}

/// What a client needs to run as the emulator's first client (the `client` part of
/// `GET /_emulator/connection`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionClient {
    /// The client id (also its identity id).
    pub client_id: Uuid,
    /// The client secret.
    pub client_secret: String,
}

// The secret stays out of every log and error.
impl std::fmt::Debug for ConnectionClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionClient")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .finish()
    }
}

/// Auth's error shape: the Auth API's `errors` list with the OAuth `error` beside it.
struct AuthErrors;

static ERRORS: AuthErrors = AuthErrors;

impl ErrorShape for AuthErrors {
    fn body(&self, e: &ApiError) -> Value {
        let title = e.status.canonical_reason().unwrap_or("Error").to_string();
        serde_json::to_value(AuthError {
            errors: vec![AuthErrorItem {
                status: e.status.as_u16().to_string(),
                id: Uuid::new_v4().to_string(),
                code: e.code.clone(),
                title: title.clone(),
                detail: e.message.clone(),
                ..AuthErrorItem::default()
            }],
            error: Some(e.code.to_lowercase()),
            error_description: Some(title),
            ..AuthError::default()
        })
        .unwrap_or_default()
    }

    fn unauthorized(&self) -> &'static str {
        "Call must be authenticated"
    }
}

/// An RFC 6749 error of the OAuth endpoints (`{"error": "invalid_client"}`): the refusal's
/// code is the `error`.
fn oauth_error(refused: &'static Refusal, description: &str) -> Response {
    let body = AuthError {
        error: Some(refused.code.into()),
        error_description: Some(description.into()),
        ..AuthError::default()
    };
    refusal::tag(
        (refused.status_code(), Json(body)).into_response(),
        &[refused],
    )
}

/// Issues a token to a seeded client as the token endpoint would, without HTTP (for
/// embedded targets and tests). `scopes` is space-separated.
pub fn issue_tokens(em: &Handle, client_id: Uuid, scopes: &str) -> Option<TokenResponse> {
    let mut w = em.lock();
    directory(&w)?.clients.get(&client_id)?;
    issue(em, &mut w, client_id, scopes).ok()
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
    let client = directory(w)?.clients.get(&id)?;
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
/// the registry (each served service's scopes, [`known_scope`]), else why not.
fn registered(em: &Handle, w: &World, scope: &str) -> Result<String, String> {
    let (rs, name) = scopes::parse(scope).ok_or_else(|| format!("Malformed scope {scope}"))?;
    let rs = scope_resource_server(em.services(), rs);
    if !known_scope(em.services(), w, rs, name) {
        return Err(format!("Unknown scope {scope}"));
    }
    for dependent in scopes::dependents(scope)
        .map(split_scopes)
        .unwrap_or_default()
    {
        registered(em, w, &dependent)?;
    }
    Ok(rs.to_string())
}

/// Issues one token per resource server named by `scopes`, the first one top-level.
fn issue(
    em: &Handle,
    w: &mut World,
    client_id: Uuid,
    scopes: &str,
) -> Result<TokenResponse, String> {
    let mut by_rs: Vec<(String, Vec<String>)> = Vec::new();
    for s in split_scopes(scopes) {
        let rs = registered(em, w, &s)?;
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
    State(em): State<Handle>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let mut w = em.lock();
    let Some(client_id) = basic_client(&w, &headers) else {
        return oauth_error(&refused::CLIENT, "Client authentication failed");
    };
    match form.get("grant_type").map(String::as_str) {
        Some("client_credentials") => {}
        Some(DEPENDENT_TOKEN_GRANT) => return dependent_tokens(&em, &mut w, client_id, &form),
        _ => {
            return oauth_error(
                &refused::GRANT_TYPE,
                "Only the client_credentials and dependent_token grants are emulated",
            );
        }
    }
    match issue(
        &em,
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
fn dependent_tokens(
    em: &Handle,
    w: &mut World,
    client_id: Uuid,
    form: &HashMap<String, String>,
) -> Response {
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
    match issue(em, w, rec.client_id, GROUPS_DEPENDENT_SCOPE) {
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
    State(em): State<Handle>,
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
    let ident = directory(&w).and_then(|d| d.identities.get(&rec.client_id));
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
    ApiError::refused(&ERRORS, &refused::PARAMETERS, detail).into_response()
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
    State(em): State<Handle>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let mut w = em.lock();
    if !authorized(&w, &headers) {
        return ApiError::unauthorized(&ERRORS, &refused::UNAUTHORIZED, "").into_response();
    }
    let usernames = list_param(&q, "usernames");
    let ids = list_param(&q, "ids");
    let provision = q.get("provision").is_some_and(|v| v == "true");
    let found: Vec<Identity> = match (usernames, ids) {
        (Some(_), Some(_)) => return bad_params("Specify either usernames or ids, not both"),
        (None, None) => return bad_params("One of usernames or ids is required"),
        (Some(names), None) => {
            let Some(dir) = w.states.get_mut::<Directory>() else {
                return bad_params("No identities");
            };
            let mut out = Vec::new();
            for n in names {
                let id = match dir.identity_by_username(&n) {
                    Some(i) => Some(i.id),
                    None if provision => Some(dir.provision(&n)),
                    None => None,
                };
                if let Some(i) = id.and_then(|id| dir.identities.get(&id)) {
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
                if let Some(i) = directory(&w).and_then(|d| d.identities.get(&id)) {
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
    State(em): State<Handle>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let w = em.lock();
    if !authorized(&w, &headers) {
        return ApiError::unauthorized(&ERRORS, &refused::UNAUTHORIZED, "").into_response();
    }
    let found = id
        .parse::<Uuid>()
        .ok()
        .and_then(|id| directory(&w)?.identities.get(&id));
    match found {
        Some(i) => Json(serde_json::json!({ "identity": to_wire(i) })).into_response(),
        None => ApiError::refused(
            &ERRORS,
            &refused::IDENTITY_NOT_FOUND,
            format!("No identity {id}"),
        )
        .into_response(),
    }
}
