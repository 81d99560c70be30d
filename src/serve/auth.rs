//! Authentication and authorization of callers, as globus-action-provider-tools does them
//! (reference B6): the bearer token is introspected at Globus Auth with the provider's own
//! client credentials (`include=identity_set`), must be active and carry the provider's scope;
//! the caller's principals are its identity set, plus its groups when a list being checked
//! names a group. Groups come from Globus Groups (`GET /v2/groups/my_groups`) with a
//! dependent token of the caller's token; any failure there gives no groups (a soft fail).
//!
//! Results are cached by the SHA-256 of the token, never by the token itself: introspection
//! 30 s, groups 5 min. Every refusal is an [`ApError::Unauthorized`] saying why.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, header};
use sha2::{Digest, Sha256};

use super::error::ApError;
use crate::http::{AuthMode, HttpClient, HttpError, HttpRequest, Secret, ServiceId};
use crate::services::auth::wire::{IntrospectResponse, Token};

/// How long an introspection answer is reused.
const INTROSPECTION_TTL: Duration = Duration::from_secs(30);
/// How long a caller's groups are reused.
const GROUPS_TTL: Duration = Duration::from_secs(300);
/// Past this many entries, expired cache entries are dropped.
const CACHE_PRUNE_AT: usize = 10_000;
/// The Groups scope the provider's scope lists as a dependent scope.
pub const GROUPS_SCOPE: &str =
    "urn:globus:auth:scope:groups.api.globus.org:view_my_groups_and_memberships";
/// The dependent token grant.
const DEPENDENT_GRANT: &str = "urn:globus:auth:grant_type:dependent_token";

/// Principal URN prefixes.
const IDENTITY_URN: &str = "urn:globus:auth:identity:";
const GROUP_URN: &str = "urn:globus:groups:id:";

type TokenKey = [u8; 32];

/// What introspection said about a token.
#[derive(Debug, Clone)]
struct Introspected {
    active: bool,
    scopes: BTreeSet<String>,
    sub: Option<String>,
    identity_set: Vec<String>,
    username: Option<String>,
}

/// An authenticated caller.
#[derive(Debug)]
pub struct Caller {
    /// `urn:globus:auth:identity:<sub>`.
    pub identity: String,
    /// The caller's identity set as URNs (its own identity included).
    pub identities: BTreeSet<String>,
    /// The caller's username, for logs.
    pub username: Option<String>,
    token: Secret,
    key: TokenKey,
    groups: tokio::sync::OnceCell<BTreeSet<String>>,
}

impl Caller {
    /// A caller made by hand (unit tests): no token, these groups.
    #[cfg(test)]
    pub fn for_tests(identity: &str, groups: &[&str]) -> Caller {
        let cell = tokio::sync::OnceCell::new();
        let _ = cell.set(groups.iter().map(|g| g.to_string()).collect());
        Caller {
            identity: identity.to_string(),
            identities: BTreeSet::from([identity.to_string()]),
            username: None,
            token: Secret::new(""),
            key: [0; 32],
            groups: cell,
        }
    }

    /// Who, for display statuses and logs: the username when known, else the URN.
    pub fn who(&self) -> String {
        self.username
            .clone()
            .unwrap_or_else(|| self.identity.clone())
    }
}

/// Checks tokens and principals; shared by every request.
pub struct Authenticator {
    http: Arc<HttpClient>,
    scope: String,
    introspections: Mutex<HashMap<TokenKey, (Instant, Introspected)>>,
    /// One introspection per token at a time: concurrent requests with a new token wait for
    /// the first one's answer instead of each calling Auth.
    inflight: Mutex<HashMap<TokenKey, Arc<tokio::sync::Mutex<()>>>>,
    groups: Mutex<HashMap<TokenKey, (Instant, BTreeSet<String>)>>,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

fn prune<V>(map: &mut HashMap<TokenKey, (Instant, V)>, ttl: Duration) {
    if map.len() >= CACHE_PRUNE_AT {
        map.retain(|_, (at, _)| at.elapsed() < ttl);
    }
}

/// The bearer token of a request, or why there is none.
fn bearer(headers: &HeaderMap, scope: &str) -> Result<String, ApError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(ApError::Unauthorized(format!(
            "no Authorization header: send `Authorization: Bearer <access token>` with a token for the scope {scope}"
        )));
    };
    let value = value
        .to_str()
        .map_err(|_| ApError::Unauthorized("the Authorization header is not valid text".into()))?;
    let (scheme, token) = value.trim().split_once(' ').unwrap_or((value.trim(), ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(ApError::Unauthorized(format!(
            "the Authorization header uses the `{scheme}` scheme; only `Bearer <access token>` is accepted"
        )));
    }
    let token = token.trim();
    if token.is_empty() {
        return Err(ApError::Unauthorized(
            "the Authorization header holds an empty bearer token".into(),
        ));
    }
    Ok(token.to_string())
}

impl Authenticator {
    /// An authenticator introspecting through `http` (whose credentials are the provider's
    /// client) and requiring `scope`.
    pub fn new(http: Arc<HttpClient>, scope: String) -> Authenticator {
        Authenticator {
            http,
            scope,
            introspections: Mutex::new(HashMap::new()),
            inflight: Mutex::new(HashMap::new()),
            groups: Mutex::new(HashMap::new()),
        }
    }

    /// The scope every token must carry.
    pub fn scope(&self) -> &str {
        &self.scope
    }

    /// Authenticates a request: a bearer token, active, carrying the provider's scope.
    pub async fn authenticate(&self, headers: &HeaderMap) -> Result<Caller, ApError> {
        let token = bearer(headers, &self.scope)?;
        let key: TokenKey = Sha256::digest(token.as_bytes()).into();
        let found = match self.cached_introspection(&key) {
            Some(i) => i,
            None => {
                let gate = self
                    .inflight
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .entry(key)
                    .or_default()
                    .clone();
                let _turn = gate.lock().await;
                match self.cached_introspection(&key) {
                    Some(i) => i,
                    None => {
                        let answer = self.introspect(&token).await;
                        if let Ok(i) = &answer {
                            let mut cache = self
                                .introspections
                                .lock()
                                .unwrap_or_else(|e| e.into_inner());
                            prune(&mut cache, INTROSPECTION_TTL);
                            cache.insert(key, (Instant::now(), i.clone()));
                        }
                        self.inflight
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .remove(&key);
                        answer?
                    }
                }
            }
        };
        if !found.active {
            return Err(ApError::Unauthorized(
                "the token is not active: Globus Auth reports it expired, revoked or unknown"
                    .into(),
            ));
        }
        if !found.scopes.contains(&self.scope) {
            let has = if found.scopes.is_empty() {
                "none".to_string()
            } else {
                found.scopes.iter().cloned().collect::<Vec<_>>().join(" ")
            };
            return Err(ApError::Unauthorized(format!(
                "the token lacks the scope {} (it carries: {has}); get a token for this action provider's scope",
                self.scope
            )));
        }
        let Some(sub) = found.sub.clone() else {
            return Err(ApError::Unauthorized(
                "Globus Auth gave no subject (sub) for the token".into(),
            ));
        };
        let identity = format!("{IDENTITY_URN}{sub}");
        let mut identities: BTreeSet<String> = found
            .identity_set
            .iter()
            .map(|id| format!("{IDENTITY_URN}{id}"))
            .collect();
        identities.insert(identity.clone());
        Ok(Caller {
            identity,
            identities,
            username: found.username,
            token: Secret::new(token),
            key,
            groups: tokio::sync::OnceCell::new(),
        })
    }

    fn cached_introspection(&self, key: &TokenKey) -> Option<Introspected> {
        self.introspections
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
            .filter(|(at, _)| at.elapsed() < INTROSPECTION_TTL)
            .map(|(_, i)| i.clone())
    }

    async fn introspect(&self, token: &str) -> Result<Introspected, ApError> {
        let req = HttpRequest::post(ServiceId::fixed("auth"), "/v2/oauth2/token/introspect")
            .form(&[("token", token), ("include", "identity_set")])
            .auth(AuthMode::ClientBasic);
        let resp: IntrospectResponse = match self.http.send(&req).await.and_then(|r| r.json()) {
            Ok(r) => r,
            Err(HttpError::Status {
                status: status @ (400 | 401 | 403),
                code,
                ..
            }) => {
                return Err(ApError::Unauthorized(format!(
                    "the token could not be checked: Globus Auth refused this action provider's introspection (HTTP {status}{}); its client credentials are wrong",
                    code.map(|c| format!(" {c}")).unwrap_or_default()
                )));
            }
            Err(e) => {
                tracing::warn!("token introspection failed: {e}");
                return Err(ApError::Unavailable(format!(
                    "the token could not be checked: Globus Auth is unavailable ({e}); try again later"
                )));
            }
        };
        Ok(Introspected {
            active: resp.active,
            scopes: resp
                .scope
                .unwrap_or_default()
                .split_whitespace()
                .map(str::to_string)
                .collect(),
            sub: resp.sub,
            identity_set: resp.identity_set.unwrap_or_default(),
            username: resp.username,
        })
    }

    /// The caller's groups as `urn:globus:groups:id:` URNs (cached; empty on any failure).
    pub async fn groups(&self, caller: &Caller) -> BTreeSet<String> {
        caller
            .groups
            .get_or_init(|| async {
                let cached = self
                    .groups
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .get(&caller.key)
                    .filter(|(at, _)| at.elapsed() < GROUPS_TTL)
                    .map(|(_, g)| g.clone());
                if let Some(g) = cached {
                    return g;
                }
                let groups = match self.fetch_groups(&caller.token).await {
                    Ok(g) => g,
                    Err(e) => {
                        tracing::warn!(
                            "groups of {} unavailable, checking without them: {e}",
                            caller.identity
                        );
                        return BTreeSet::new();
                    }
                };
                let mut cache = self.groups.lock().unwrap_or_else(|e| e.into_inner());
                prune(&mut cache, GROUPS_TTL);
                cache.insert(caller.key, (Instant::now(), groups.clone()));
                groups
            })
            .await
            .clone()
    }

    /// A dependent token for Groups, then `my_groups`.
    async fn fetch_groups(&self, token: &Secret) -> Result<BTreeSet<String>, String> {
        let req = HttpRequest::post(ServiceId::fixed("auth"), "/v2/oauth2/token")
            .form(&[("grant_type", DEPENDENT_GRANT), ("token", token.expose())])
            .auth(AuthMode::ClientBasic);
        let tokens: Vec<Token> = self
            .http
            .send(&req)
            .await
            .and_then(|r| r.json())
            .map_err(|e| format!("dependent token grant: {e}"))?;
        let groups_token = tokens
            .into_iter()
            .find(|t| t.resource_server == "groups.api.globus.org")
            .ok_or("the dependent token grant gave no Groups token (does the provider's scope list the Groups dependent scope?)")?;
        let req = HttpRequest::get(ServiceId::fixed("groups"), "/v2/groups/my_groups").auth(
            AuthMode::Header(Secret::new(format!("Bearer {}", groups_token.access_token))),
        );
        let list: Vec<serde_json::Value> = self
            .http
            .send(&req)
            .await
            .and_then(|r| r.json())
            .map_err(|e| format!("my_groups: {e}"))?;
        Ok(list
            .iter()
            .filter_map(|g| g.get("id")?.as_str().map(|id| format!("{GROUP_URN}{id}")))
            .collect())
    }

    /// Whether the caller matches `allowed` (reference B6 `check_authorization`): `public`
    /// when `allow_public`, `all_authenticated_users` for any caller, or one of its
    /// principals; its groups are looked up only when `allowed` names a group.
    pub async fn allowed(&self, caller: &Caller, allowed: &[String], allow_public: bool) -> bool {
        if allow_public && allowed.iter().any(|p| p == "public") {
            return true;
        }
        if allowed.iter().any(|p| p == "all_authenticated_users") && !caller.identities.is_empty() {
            return true;
        }
        if allowed.iter().any(|p| caller.identities.contains(p)) {
            return true;
        }
        if allowed.iter().any(|p| p.starts_with(GROUP_URN)) {
            let groups = self.groups(caller).await;
            return allowed.iter().any(|p| groups.contains(p));
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(value: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(v) = value {
            h.insert(header::AUTHORIZATION, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn bearer_header_problems_say_why() {
        let scope = "https://auth.globus.org/scopes/x/action_all";
        let why = |v| bearer(&headers(v), scope).unwrap_err().to_string();
        assert!(why(None).contains("no Authorization header"));
        assert!(why(Some("Basic abc")).contains("`Basic` scheme"));
        assert!(why(Some("Bearer ")).contains("empty bearer token"));
        assert_eq!(
            bearer(&headers(Some("bearer  tok ")), scope).unwrap(),
            "tok"
        );
    }

    #[tokio::test]
    async fn allowed_follows_check_authorization() {
        let http = HttpClient::shared(
            &[],
            crate::http::ServiceUrls::emulator("http://127.0.0.1:9"),
            crate::http::GlobusCredentials::new("c", "s"),
            crate::http::HttpOptions::default(),
        )
        .unwrap();
        let auth = Authenticator::new(http, "s".into());
        let me = "urn:globus:auth:identity:8f3e2a1b-4c5d-4e6f-8a9b-0c1d2e3f4a5b";
        let group = "urn:globus:groups:id:6a1f9c0e-8d2b-4e3a-9f4c-5b6d7e8f9a0b";
        let caller = Caller::for_tests(me, &[group]);
        let list = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(auth.allowed(&caller, &list(&["public"]), true).await);
        assert!(!auth.allowed(&caller, &list(&["public"]), false).await);
        assert!(
            auth.allowed(&caller, &list(&["all_authenticated_users"]), false)
                .await
        );
        assert!(auth.allowed(&caller, &list(&[me]), false).await);
        assert!(auth.allowed(&caller, &list(&[group]), false).await);
        assert!(
            !auth
                .allowed(
                    &caller,
                    &list(&["urn:globus:groups:id:7b2a0d1f-9e3c-4f4b-8a5d-6c7e8f9a0b1c"]),
                    false
                )
                .await
        );
    }
}
