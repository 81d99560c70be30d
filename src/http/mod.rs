//! The shared HTTP client: base URLs, trusted hosts, client-credentials tokens, retries,
//! rate limits and redaction.
//!
//! Every call is tagged [`CallKind::Idempotent`] (retried with exponential backoff on
//! connection errors, 429, 500, 502, 503 and 504, honouring `Retry-After`) or
//! [`CallKind::Create`] (never resent: a failure that may have reached the service comes back
//! as [`HttpError::MaybeApplied`], so the provider re-reads by natural key first). Transfer
//! error codes containing `ExternalError` or `EndpointError` are never retried.
//!
//! A credential is only ever sent to the real service hosts, to loopback, or to hosts named in
//! `ACCORD_ALLOW_HOSTS`; any other host is refused before anything is sent. Tokens and secrets
//! never appear in errors, logs or `Debug` output.
//!
//! A GCS endpoint `E` is a service of its own ([`Service::Gcs`]): its base URL is discovered
//! from Transfer (`GET /v0.10/endpoint/{E}` → `gcs_manager_url`, API base
//! `<gcs_manager_url>/api`), never from a file, and cached. That host is trusted for `E`'s
//! token only, and only when it is loopback, named in `ACCORD_ALLOW_HOSTS`, or reported by the
//! real Transfer service over https (an emulator's seed is a committed file, so a manager URL
//! it names is not trusted by itself). `E`'s token is cached per resource server `E` with the
//! scope `urn:globus:auth:scope:<E>:manage_collections`; a request marked
//! [`HttpRequest::data_access`] (creating a guest collection on mapped collection `M`) asks
//! for `…:manage_collections[https://auth.globus.org/scopes/<M>/data_access]` instead, a token
//! for the same resource server cached apart, per `M`, so the plain token is never widened.
//! A CA file (`--ca-file`, `ACCORD_CA_FILE`) adds roots for institutional endpoints.

mod api;
mod credentials;
mod error;
mod pacing;
mod request;

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use backon::{BackoffBuilder, ExponentialBuilder, Retryable};
use futures::StreamExt;
use serde::de::DeserializeOwned;
use serde_json::Value;
use url::Url;

use api::FIXED_SERVICES;
pub use api::{Service, ServiceUrls, gcs_data_access_scope, gcs_manage_scope};
pub use credentials::{GlobusCredentials, Secret};
pub use error::{HttpError, is_never_retried_code, parse_retry_after};
use error::{error_code_and_message, redact_url, transport_message};
pub use pacing::HttpOptions;
use pacing::Limits;
pub use request::{AuthMode, CallKind, HttpRequest, HttpResponse};

use crate::services::auth::wire::TokenResponse;
use crate::services::transfer::wire::Endpoint;

/// Environment variable holding the Globus client id.
pub const ENV_CLIENT_ID: &str = "ACCORD_GLOBUS_CLIENT_ID";
/// Environment variable holding the Globus client secret.
pub const ENV_CLIENT_SECRET: &str = "ACCORD_GLOBUS_CLIENT_SECRET";
/// Environment variable listing extra trusted hosts (comma separated).
pub const ENV_ALLOW_HOSTS: &str = "ACCORD_ALLOW_HOSTS";
/// Environment variable scaling every retry backoff (a float; tests make it tiny).
pub const ENV_BACKOFF_SCALE: &str = "ACCORD_TEST_BACKOFF_SCALE";
/// Environment variable naming a PEM file of extra root certificates (institutional CAs).
pub const ENV_CA_FILE: &str = "ACCORD_CA_FILE";

/// The hosts of the real services: always trusted.
pub const PRODUCTION_HOSTS: &[&str] = &[
    "auth.globus.org",
    "groups.api.globus.org",
    "transfer.api.globus.org",
    "search.api.globus.org",
    "api.theboss.io",
];

/// A cached access token.
struct CachedToken {
    token: Secret,
    expires_at: Instant,
}

/// Reads a PEM file of root certificates (one or several).
fn load_ca_file(path: &std::path::Path) -> Result<Vec<reqwest::Certificate>, HttpError> {
    let bad = |m: String| HttpError::Config(format!("CA file {}: {m}", path.display()));
    let pem = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| bad(e.to_string()))?;
    if certs.is_empty() {
        return Err(bad("holds no PEM certificate".into()));
    }
    Ok(certs)
}

/// Whether a URL's host is loopback (`localhost`, `127.0.0.0/8`, `::1`).
fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// The shared HTTP client of every Globus provider.
pub struct HttpClient {
    client: reqwest::Client,
    urls: ServiceUrls,
    creds: GlobusCredentials,
    /// Why there are no Globus client credentials (a Boss-only run needs none): every call
    /// that needs them fails with this, before anything is sent.
    creds_missing: Option<String>,
    options: HttpOptions,
    trusted: RwLock<BTreeSet<String>>,
    tokens: Mutex<HashMap<String, CachedToken>>,
    token_fetch: tokio::sync::Mutex<()>,
    limits: HashMap<Service, Arc<Limits>>,
    gcs: RwLock<HashMap<uuid::Uuid, GcsEndpoint>>,
    gcs_limits: Mutex<HashMap<uuid::Uuid, Arc<Limits>>>,
}

/// A discovered GCS endpoint: its API base and the one host trusted with its token.
#[derive(Debug, Clone)]
struct GcsEndpoint {
    api_base: String,
    host: String,
}

/// Which token a request takes: the cache key, the resource server and the scope to ask for.
struct TokenSpec {
    key: String,
    resource_server: String,
    scope: String,
}

impl fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClient")
            .field("urls", &self.urls)
            .field("client_id", &self.creds.client_id)
            .finish_non_exhaustive()
    }
}

impl HttpClient {
    /// A client for these services, credentials and options; checks every base URL parses.
    pub fn new(
        urls: ServiceUrls,
        creds: GlobusCredentials,
        options: HttpOptions,
    ) -> Result<Self, HttpError> {
        for s in FIXED_SERVICES {
            Url::parse(urls.base(s).unwrap_or_default())
                .map_err(|e| HttpError::Config(format!("{} base URL: {e}", s.name())))?;
        }
        let mut builder = reqwest::Client::builder()
            .timeout(options.timeout)
            .user_agent(concat!("accord/", env!("CARGO_PKG_VERSION")));
        if let Some(path) = &options.ca_file {
            builder = builder.tls_certs_merge(load_ca_file(path)?);
        }
        let client = builder
            .build()
            .map_err(|e| HttpError::Config(format!("HTTP client: {e}")))?;
        let limits = FIXED_SERVICES
            .into_iter()
            .map(|s| {
                let rate = options.rate_per_sec(s);
                (s, Arc::new(Limits::new(options.max_concurrency, rate)))
            })
            .collect();
        let trusted = options.allow_hosts.iter().cloned().collect();
        Ok(HttpClient {
            client,
            urls,
            creds,
            creds_missing: None,
            options,
            trusted: RwLock::new(trusted),
            tokens: Mutex::new(HashMap::new()),
            token_fetch: tokio::sync::Mutex::new(()),
            limits,
            gcs: RwLock::new(HashMap::new()),
            gcs_limits: Mutex::new(HashMap::new()),
        })
    }

    /// The same, shared.
    pub fn shared(
        urls: ServiceUrls,
        creds: GlobusCredentials,
        options: HttpOptions,
    ) -> Result<Arc<Self>, HttpError> {
        Self::new(urls, creds, options).map(Arc::new)
    }

    /// A client without Globus client credentials, for a run that may need none (a
    /// Boss-only workspace): every call needing them fails with [`HttpError::Credentials`]
    /// saying `why`, and nothing is sent.
    pub fn without_globus_credentials(
        urls: ServiceUrls,
        why: impl Into<String>,
        options: HttpOptions,
    ) -> Result<Self, HttpError> {
        let mut client = Self::new(urls, GlobusCredentials::new("", ""), options)?;
        client.creds_missing = Some(why.into());
        Ok(client)
    }

    /// The base URLs in use.
    pub fn urls(&self) -> &ServiceUrls {
        &self.urls
    }

    /// The client id accord runs as (also its identity id).
    pub fn client_id(&self) -> &str {
        &self.creds.client_id
    }

    /// The options in use.
    pub fn options(&self) -> &HttpOptions {
        &self.options
    }

    /// Runs `calls` at most `max_concurrency` at a time and answers their outputs in the
    /// order given, so a provider reads concurrently yet reports (and fails) as if in order.
    /// The client's per-service limits still apply to every request the calls make. A `Vec`,
    /// not an iterator: a closure held across the await would make the caller's future fail
    /// the `Send` bound of `async_trait` ("FnOnce is not general enough").
    pub async fn concurrently<F: Future>(&self, calls: Vec<F>) -> Vec<F::Output> {
        futures::stream::iter(calls)
            .buffered(self.options.max_concurrency.max(1))
            .collect()
            .await
    }

    /// Trusts one more host for this run, for every service's credentials (like
    /// `ACCORD_ALLOW_HOSTS`); a GCS manager host is trusted per endpoint instead
    /// ([`HttpClient::gcs_base`]).
    pub fn trust_host(&self, host: &str) {
        self.trusted
            .write()
            .expect("trusted hosts poisoned")
            .insert(host.to_ascii_lowercase());
    }

    /// Whether a URL's host may receive credentials; non-loopback hosts must use https.
    pub fn check_trusted(&self, url: &Url) -> Result<(), HttpError> {
        let refuse = || HttpError::Untrusted {
            host: url.host_str().unwrap_or("").to_string(),
            url: redact_url(url),
        };
        if url.host().is_none() {
            return Err(refuse());
        }
        if is_loopback(url) {
            return Ok(());
        }
        let name = url.host_str().unwrap_or("").to_ascii_lowercase();
        let known = PRODUCTION_HOSTS.contains(&name.as_str())
            || self
                .trusted
                .read()
                .expect("trusted hosts poisoned")
                .contains(&name);
        if known && url.scheme() == "https" {
            Ok(())
        } else {
            Err(refuse())
        }
    }

    /// Whether a URL may receive `service`'s credentials: for a GCS endpoint, loopback or
    /// the https manager host discovered for that endpoint, and nothing else; for the other
    /// services, [`HttpClient::check_trusted`].
    pub fn check_trusted_for(&self, service: Service, url: &Url) -> Result<(), HttpError> {
        let Service::Gcs(endpoint) = service else {
            return self.check_trusted(url);
        };
        if is_loopback(url) {
            return Ok(());
        }
        let host = url.host_str().unwrap_or("").to_ascii_lowercase();
        let discovered = self
            .gcs
            .read()
            .expect("gcs endpoints poisoned")
            .get(&endpoint)
            .is_some_and(|e| e.host == host);
        if discovered && url.scheme() == "https" {
            Ok(())
        } else {
            Err(HttpError::Untrusted {
                host,
                url: redact_url(url),
            })
        }
    }

    /// The API base (`<gcs_manager_url>/api`) of GCS endpoint `endpoint`, discovered from
    /// Transfer once and cached. The manager host is trusted for this endpoint's token only,
    /// and only when it is loopback, in the allowed hosts, or named over https by the real
    /// Transfer service; any other manager URL is refused with [`HttpError::Untrusted`].
    pub async fn gcs_base(&self, endpoint: uuid::Uuid) -> Result<String, HttpError> {
        if let Some(e) = self
            .gcs
            .read()
            .expect("gcs endpoints poisoned")
            .get(&endpoint)
        {
            return Ok(e.api_base.clone());
        }
        let path = format!("/v0.10/endpoint/{endpoint}");
        let doc: Endpoint = self
            .send(&HttpRequest::get(Service::Transfer, &path))
            .await?
            .json()?;
        let manager = doc
            .gcs_manager_url
            .filter(|u| !u.trim().is_empty())
            .ok_or_else(|| HttpError::Config(format!(
                "endpoint {endpoint} has no gcs_manager_url in Transfer: it is not a Globus Connect Server v5 endpoint"
            )))?;
        let url = Url::parse(manager.trim()).map_err(|e| {
            HttpError::Config(format!(
                "endpoint {endpoint}: gcs_manager_url `{manager}` is not a URL: {e}"
            ))
        })?;
        let host = url.host_str().unwrap_or("").to_ascii_lowercase();
        let transfer_is_real = Url::parse(self.urls.transfer.as_str())
            .ok()
            .and_then(|t| t.host_str().map(str::to_ascii_lowercase))
            .is_some_and(|t| PRODUCTION_HOSTS.contains(&t.as_str()));
        let allowed = self.options.allow_hosts.contains(&host);
        let trusted = !host.is_empty()
            && (is_loopback(&url) && matches!(url.scheme(), "http" | "https")
                || url.scheme() == "https" && (allowed || transfer_is_real));
        if !trusted {
            return Err(HttpError::Untrusted {
                host,
                url: redact_url(&url),
            });
        }
        let api_base = format!("{}/api", url.as_str().trim_end_matches('/'));
        tracing::debug!(%endpoint, %host, "discovered GCS manager");
        self.gcs.write().expect("gcs endpoints poisoned").insert(
            endpoint,
            GcsEndpoint {
                api_base: api_base.clone(),
                host,
            },
        );
        Ok(api_base)
    }

    /// Sends a request: trusted-host check, token, rate limit, retries per its kind.
    /// A GCS request discovers its endpoint's manager first.
    pub async fn send(&self, req: &HttpRequest) -> Result<HttpResponse, HttpError> {
        if let Some(why) = &self.creds_missing
            && matches!(req.auth, AuthMode::Bearer | AuthMode::ClientBasic)
        {
            return Err(HttpError::Credentials {
                service: req.service,
                message: why.clone(),
            });
        }
        if let Service::Gcs(endpoint) = req.service {
            // Boxed: discovery sends a Transfer request through `send`.
            Box::pin(self.gcs_base(endpoint)).await?;
        }
        let url = self.url_for(req)?;
        self.check_trusted_for(req.service, &url)?;
        match req.kind {
            CallKind::Idempotent => {
                let backoff = self.backoff();
                (|| self.attempt(req, &url))
                    .retry(backoff)
                    .when(HttpError::is_retryable)
                    .adjust(|e, d| {
                        // `None` means the retries are spent: keep it so.
                        d.map(|d| e.retry_after().map_or(d, |ra| ra.max(d)))
                    })
                    .notify(|e, d| {
                        tracing::debug!(
                            service = req.service.name(),
                            method = %req.method,
                            path = %req.path,
                            wait_ms = d.as_millis() as u64,
                            "retrying after: {e}"
                        );
                    })
                    .await
            }
            CallKind::Create => self.attempt(req, &url).await.map_err(|e| {
                if e.is_retryable() {
                    HttpError::MaybeApplied { cause: Box::new(e) }
                } else {
                    e
                }
            }),
        }
    }

    /// Sends a `GET` and decodes its body.
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        service: Service,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<T, HttpError> {
        let mut req = HttpRequest::get(service, path);
        for (k, v) in query {
            req = req.query(k, *v);
        }
        self.send(&req).await?.json()
    }

    /// The cached client-credentials token for a service, fetching it when missing or stale.
    pub async fn token(&self, service: Service) -> Result<Secret, HttpError> {
        self.token_with(service, None).await
    }

    /// The token for a service; for a GCS endpoint with `data_access = Some(M)`, the one
    /// carrying mapped collection `M`'s `data_access` as a dependent scope.
    pub async fn token_with(
        &self,
        service: Service,
        data_access: Option<uuid::Uuid>,
    ) -> Result<Secret, HttpError> {
        let spec = token_spec(service, data_access)?;
        if let Some(t) = self.cached_token(&spec.key) {
            return Ok(t);
        }
        let _guard = self.token_fetch.lock().await;
        if let Some(t) = self.cached_token(&spec.key) {
            return Ok(t);
        }
        self.fetch_token(service, &spec).await
    }

    /// Forgets a cached token (after a 401).
    fn invalidate_token(&self, service: Service, data_access: Option<uuid::Uuid>) {
        if let Ok(spec) = token_spec(service, data_access) {
            self.tokens
                .lock()
                .expect("token cache poisoned")
                .remove(&spec.key);
        }
    }

    fn cached_token(&self, rs: &str) -> Option<Secret> {
        let tokens = self.tokens.lock().expect("token cache poisoned");
        tokens
            .get(rs)
            .filter(|t| t.expires_at > Instant::now() + Duration::from_secs(60))
            .map(|t| t.token.clone())
    }

    async fn fetch_token(&self, service: Service, spec: &TokenSpec) -> Result<Secret, HttpError> {
        let rs = spec.resource_server.as_str();
        let req = HttpRequest::post(Service::Auth, "/v2/oauth2/token")
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

    fn url_for(&self, req: &HttpRequest) -> Result<Url, HttpError> {
        let gcs_base;
        let base = match (self.urls.base(req.service), req.service) {
            (Some(b), _) => b,
            (None, Service::Gcs(endpoint)) => {
                gcs_base = self
                    .gcs
                    .read()
                    .expect("gcs endpoints poisoned")
                    .get(&endpoint)
                    .map(|e| e.api_base.clone())
                    .ok_or_else(|| {
                        HttpError::Config(format!("GCS endpoint {endpoint} was not discovered"))
                    })?;
                gcs_base.as_str()
            }
            (None, other) => return Err(HttpError::Config(format!("{other} has no base URL"))),
        }
        .trim_end_matches('/');
        let path = if req.path.starts_with('/') {
            req.path.clone()
        } else {
            format!("/{}", req.path)
        };
        Url::parse(&format!("{base}{path}"))
            .map_err(|e| HttpError::Config(format!("{} URL for {path}: {e}", req.service)))
    }

    /// The limits of a service; each GCS endpoint has its own, made on first use.
    fn limits_for(&self, service: Service) -> Arc<Limits> {
        match service {
            Service::Gcs(endpoint) => self
                .gcs_limits
                .lock()
                .expect("gcs limits poisoned")
                .entry(endpoint)
                .or_insert_with(|| {
                    Arc::new(Limits::new(
                        self.options.max_concurrency,
                        self.options.rate_per_sec(service),
                    ))
                })
                .clone(),
            other => self.limits[&other].clone(),
        }
    }

    /// Backoff delays between attempts of a create that a provider re-reads and resends.
    pub fn create_backoff(&self) -> impl Iterator<Item = Duration> + Send + use<> {
        self.backoff().build()
    }

    /// Waits before the next attempt of a create: the backoff delay or the service's
    /// `Retry-After`, whichever is longer; `false` when the attempts are spent.
    pub async fn pause_before_retry(
        &self,
        backoff: &mut (impl Iterator<Item = Duration> + Send),
        error: &HttpError,
    ) -> bool {
        match backoff.next() {
            Some(d) => {
                let wait = error.retry_after().map_or(d, |ra| ra.max(d));
                tokio::time::sleep(wait).await;
                true
            }
            None => false,
        }
    }

    fn backoff(&self) -> ExponentialBuilder {
        let scale = self.options.backoff_scale;
        ExponentialBuilder::default()
            .with_min_delay(self.options.min_backoff.mul_f64(scale))
            .with_max_delay(self.options.max_backoff.mul_f64(scale))
            .with_max_times(self.options.max_retries)
            .with_jitter()
    }

    /// One attempt (plus one resend after a 401, with a fresh token).
    async fn attempt(&self, req: &HttpRequest, url: &Url) -> Result<HttpResponse, HttpError> {
        let mut refreshed = false;
        loop {
            let auth = match &req.auth {
                AuthMode::Bearer => Some(format!(
                    "Bearer {}",
                    self.token_with(req.service, req.data_access).await?.0
                )),
                AuthMode::ClientBasic => None,
                AuthMode::Header(h) => Some(h.0.clone()),
                AuthMode::None => None,
            };
            let limits = self.limits_for(req.service);
            let _permit = limits
                .in_flight
                .acquire()
                .await
                .map_err(|_| HttpError::Config("client closed".into()))?;
            if let Some(pacer) = &limits.pacer {
                pacer.until_ready().await;
            }

            let mut rb = self
                .client
                .request(req.method.clone(), url.clone())
                .header(reqwest::header::ACCEPT, "application/json");
            if !req.query.is_empty() {
                rb = rb.query(&req.query);
            }
            if let Some(body) = &req.json {
                rb = rb.json(body);
            }
            if let Some(form) = &req.form {
                rb = rb.form(form);
            }
            match (&req.auth, auth) {
                (AuthMode::ClientBasic, _) => {
                    rb = rb.basic_auth(
                        &self.creds.client_id,
                        Some(self.creds.client_secret.expose()),
                    );
                }
                (_, Some(value)) => {
                    let mut hv = reqwest::header::HeaderValue::from_str(&value).map_err(|_| {
                        HttpError::Credentials {
                            service: req.service,
                            message: "credential is not a valid header value".into(),
                        }
                    })?;
                    hv.set_sensitive(true);
                    rb = rb.header(reqwest::header::AUTHORIZATION, hv);
                }
                _ => {}
            }

            let started = Instant::now();
            let result = rb.send().await;
            let elapsed_ms = started.elapsed().as_millis() as u64;
            let resp = match result {
                Ok(r) => r,
                Err(e) => {
                    tracing::debug!(
                        service = req.service.name(),
                        method = %req.method,
                        path = %req.path,
                        elapsed_ms,
                        "request failed"
                    );
                    return Err(HttpError::Transport {
                        service: req.service,
                        method: req.method.to_string(),
                        path: req.path.clone(),
                        message: transport_message(&e),
                    });
                }
            };
            let status = resp.status().as_u16();
            tracing::debug!(
                service = req.service.name(),
                method = %req.method,
                path = %req.path,
                status,
                elapsed_ms,
                "http"
            );
            let retry_after = resp
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(parse_retry_after)
                .map(|d| d.min(self.options.max_retry_after));
            let bytes = resp.bytes().await.map_err(|e| HttpError::Transport {
                service: req.service,
                method: req.method.to_string(),
                path: req.path.clone(),
                message: transport_message(&e),
            })?;
            if status == 401 && req.auth == AuthMode::Bearer && !refreshed {
                refreshed = true;
                self.invalidate_token(req.service, req.data_access);
                continue;
            }
            let body: Value = if bytes.is_empty() {
                Value::Null
            } else {
                serde_json::from_slice(&bytes)
                    .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
            };
            if (200..300).contains(&status) {
                if let Value::String(_) = body
                    && !bytes.is_empty()
                {
                    return Err(HttpError::Decode {
                        service: req.service,
                        method: req.method.to_string(),
                        path: req.path.clone(),
                        message: "the body is not JSON".into(),
                    });
                }
                return Ok(HttpResponse {
                    service: req.service,
                    method: req.method.to_string(),
                    path: req.path.clone(),
                    status,
                    body,
                });
            }
            let (code, message) = error_code_and_message(&body);
            return Err(HttpError::Status {
                service: req.service,
                method: req.method.as_str().into(),
                path: req.path.clone(),
                status,
                code,
                message,
                retry_after,
            });
        }
    }
}

/// The token a request takes: its cache key, resource server and scope.
fn token_spec(service: Service, data_access: Option<uuid::Uuid>) -> Result<TokenSpec, HttpError> {
    let no_token = || HttpError::Credentials {
        service,
        message: "this service takes no Globus token".into(),
    };
    let resource_server = service.resource_server().ok_or_else(no_token)?;
    Ok(match (service, data_access) {
        (Service::Gcs(endpoint), Some(mapped)) => TokenSpec {
            key: format!("{resource_server} data_access {mapped}"),
            resource_server,
            scope: gcs_data_access_scope(endpoint, mapped),
        },
        _ => TokenSpec {
            key: resource_server.clone(),
            resource_server,
            scope: service.scopes().ok_or_else(no_token)?,
        },
    })
}

#[cfg(test)]
mod tests;
