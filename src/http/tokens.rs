//! Client-credentials tokens: one per resource server (and per extra scope asked of it),
//! fetched from the token issuer when missing or stale, and cached.
//!
//! The first token asked for an API's own scope asks every API's own scope at once: Globus
//! Auth answers one token per resource server (the first, and the rest in `other_tokens`),
//! so a run makes one token call however many services it reads. Should Auth refuse the
//! combined request (400/403: a scope this client may not have), the one scope is asked
//! alone. Dependent-scope tokens (a GCS collection's `data_access`) and per-instance tokens
//! are asked one by one.

use std::time::{Duration, Instant};

use super::api::Token;
use super::oauth::TokenResponse;
use super::{AuthMode, HttpClient, HttpError, HttpRequest, Secret, ServiceId};

/// A cached access token.
pub(super) struct CachedToken {
    token: Secret,
    expires_at: Instant,
}

/// Which token a request takes: the cache key, the resource server and the scope to ask for.
#[derive(Clone)]
struct TokenSpec {
    key: String,
    resource_server: String,
    scope: String,
}

impl HttpClient {
    /// The cached client-credentials token for an API, fetching it when missing or stale.
    pub async fn token(&self, service: ServiceId) -> Result<Secret, HttpError> {
        self.token_with(service, None).await
    }

    /// The token for an API; with `scope`, the one asked with that scope instead of the
    /// API's own (a dependent scope), cached apart.
    pub async fn token_with(
        &self,
        service: ServiceId,
        scope: Option<&str>,
    ) -> Result<Secret, HttpError> {
        let spec = self.token_spec(service, scope)?;
        if let Some(t) = self.cached_token(&spec.key) {
            return Ok(t);
        }
        let _guard = self.token_fetch.lock().await;
        if let Some(t) = self.cached_token(&spec.key) {
            return Ok(t);
        }
        if scope.is_none()
            && let Some(all) = self.every_own_scope(&spec)
        {
            let every = TokenSpec {
                scope: all,
                ..spec.clone()
            };
            match self.fetch_token(service, &every).await {
                Err(HttpError::Credentials { .. }) => {}
                other => return other,
            }
        }
        self.fetch_token(service, &spec).await
    }

    /// Every API's own scope (`Token::Scopes`), `spec`'s first, space separated, when the
    /// spec is one of them and there are others to ask with it.
    fn every_own_scope(&self, spec: &TokenSpec) -> Option<String> {
        let mut scopes: Vec<&str> = spec.scope.split_whitespace().collect();
        let mut own = false;
        for api in &self.apis {
            if let Token::Scopes {
                resource_server,
                scopes: s,
            } = api.token
            {
                own |= resource_server == spec.resource_server;
                for one in s.split_whitespace() {
                    if !scopes.contains(&one) {
                        scopes.push(one);
                    }
                }
            }
        }
        let n = spec.scope.split_whitespace().count();
        (own && scopes.len() > n).then(|| scopes.join(" "))
    }

    /// Forgets a cached token (after a 401).
    pub(super) fn invalidate_token(&self, service: ServiceId, scope: Option<&str>) {
        if let Ok(spec) = self.token_spec(service, scope) {
            self.tokens
                .lock()
                .expect("token cache poisoned")
                .remove(&spec.key);
        }
    }

    /// The token a request takes: its cache key, resource server and scope.
    fn token_spec(&self, service: ServiceId, scope: Option<&str>) -> Result<TokenSpec, HttpError> {
        let (resource_server, own) =
            self.api(service)?
                .token_for(service)
                .ok_or_else(|| HttpError::Credentials {
                    service,
                    message: "this service takes no Globus token".into(),
                })?;
        Ok(match scope {
            Some(scope) => TokenSpec {
                key: format!("{resource_server} {scope}"),
                resource_server,
                scope: scope.to_string(),
            },
            None => TokenSpec {
                key: resource_server.clone(),
                resource_server,
                scope: own,
            },
        })
    }

    fn cached_token(&self, rs: &str) -> Option<Secret> {
        let tokens = self.tokens.lock().expect("token cache poisoned");
        tokens
            .get(rs)
            .filter(|t| t.expires_at > Instant::now() + Duration::from_secs(60))
            .map(|t| t.token.clone())
    }

    /// The API serving tokens, and its token path.
    fn issuer(&self, service: ServiceId) -> Result<(ServiceId, &'static str), HttpError> {
        self.apis
            .iter()
            .find_map(|a| Some((ServiceId::fixed(a.name), a.token_endpoint?)))
            .ok_or_else(|| HttpError::Credentials {
                service,
                message: "no API issues tokens".into(),
            })
    }

    async fn fetch_token(&self, service: ServiceId, spec: &TokenSpec) -> Result<Secret, HttpError> {
        let rs = spec.resource_server.as_str();
        let (issuer, path) = self.issuer(service)?;
        let req = HttpRequest::post(issuer, path)
            .form(&[
                ("grant_type", "client_credentials"),
                ("scope", spec.scope.as_str()),
            ])
            .auth(AuthMode::ClientBasic);
        // Boxed: `send` fetches tokens, so the future type would otherwise be recursive.
        let resp = Box::pin(self.send(&req)).await.map_err(|e| match e {
            HttpError::Status {
                status: 400 | 401 | 403,
                code,
                message,
                ..
            } => HttpError::Credentials {
                service,
                message: format!(
                    "Auth refused the client credentials{}: {message}",
                    code.map(|c| format!(" ({c})")).unwrap_or_default()
                ),
            },
            other => other,
        })?;
        let body: TokenResponse = resp.json()?;
        let now = Instant::now();
        let mut found = None;
        let mut tokens = self.tokens.lock().expect("token cache poisoned");
        let mut store = |server: &str, token: &str, expires_in: i64| {
            let secret = Secret::new(token);
            // The requested resource server's token goes under the request's cache key (a
            // dependent-scope token is kept apart from the plain one); others under their own.
            let key = if server == rs {
                found = Some(secret.clone());
                spec.key.clone()
            } else {
                server.to_string()
            };
            let life = Duration::from_secs(expires_in.max(0) as u64);
            tokens.insert(
                key,
                CachedToken {
                    token: secret,
                    expires_at: now + life,
                },
            );
        };
        store(&body.resource_server, &body.access_token, body.expires_in);
        for t in &body.other_tokens {
            store(&t.resource_server, &t.access_token, t.expires_in);
        }
        found.ok_or_else(|| HttpError::Credentials {
            service,
            message: format!("Auth issued no token for resource server {rs}"),
        })
    }
}
