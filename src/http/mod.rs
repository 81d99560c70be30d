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

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime};

use backon::{BackoffBuilder, ExponentialBuilder, Retryable};
use futures::StreamExt;
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::sync::Semaphore;
use url::Url;

use crate::services::auth::wire::TokenResponse;
use crate::services::transfer::wire::Endpoint;
use crate::state::ProviderError;

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

/// A service the client talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Service {
    /// Globus Auth.
    Auth,
    /// Globus Groups.
    Groups,
    /// Globus Transfer.
    Transfer,
    /// Globus Search.
    Search,
    /// The Boss.
    Boss,
    /// The GCS Manager API of one Globus Connect Server endpoint (its UUID).
    Gcs(uuid::Uuid),
}

/// The services with a fixed base URL.
const FIXED_SERVICES: [Service; 5] = [
    Service::Auth,
    Service::Groups,
    Service::Transfer,
    Service::Search,
    Service::Boss,
];

impl Service {
    /// The short name used in errors and logs.
    pub fn name(self) -> &'static str {
        match self {
            Service::Auth => "auth",
            Service::Groups => "groups",
            Service::Transfer => "transfer",
            Service::Search => "search",
            Service::Boss => "boss",
            Service::Gcs(_) => "gcs",
        }
    }

    /// The Globus resource server whose token this service takes (`None` for the Boss); a
    /// GCS endpoint is its own resource server.
    pub fn resource_server(self) -> Option<String> {
        match self {
            Service::Auth => Some("auth.globus.org".into()),
            Service::Groups => Some("groups.api.globus.org".into()),
            Service::Transfer => Some("transfer.api.globus.org".into()),
            Service::Search => Some("search.api.globus.org".into()),
            Service::Boss => None,
            Service::Gcs(endpoint) => Some(endpoint.to_string()),
        }
    }

    /// The scopes requested for this service's token (`None` for the Boss).
    pub fn scopes(self) -> Option<String> {
        match self {
            Service::Auth => Some(
                "openid profile email urn:globus:auth:scope:auth.globus.org:view_identity_set"
                    .into(),
            ),
            Service::Groups => Some("urn:globus:auth:scope:groups.api.globus.org:all".into()),
            Service::Transfer => Some("urn:globus:auth:scope:transfer.api.globus.org:all".into()),
            Service::Search => Some("urn:globus:auth:scope:search.api.globus.org:all".into()),
            Service::Boss => None,
            Service::Gcs(endpoint) => Some(gcs_manage_scope(endpoint)),
        }
    }
}

/// The scope of a GCS endpoint's Manager API: `urn:globus:auth:scope:<E>:manage_collections`.
pub fn gcs_manage_scope(endpoint: uuid::Uuid) -> String {
    format!("urn:globus:auth:scope:{endpoint}:manage_collections")
}

/// The scope for creating a guest collection on mapped collection `M` of endpoint `E`:
/// `…:manage_collections[https://auth.globus.org/scopes/<M>/data_access]`.
pub fn gcs_data_access_scope(endpoint: uuid::Uuid, mapped: uuid::Uuid) -> String {
    format!(
        "{}[https://auth.globus.org/scopes/{mapped}/data_access]",
        gcs_manage_scope(endpoint)
    )
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Service::Gcs(endpoint) => write!(f, "gcs {endpoint}"),
            other => f.write_str(other.name()),
        }
    }
}

/// The base URL of every service (no trailing slash; request paths start with `/`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceUrls {
    /// Globus Auth.
    pub auth: String,
    /// Globus Groups.
    pub groups: String,
    /// Globus Transfer (paths start with `/v0.10`).
    pub transfer: String,
    /// Globus Search.
    pub search: String,
    /// The Boss.
    pub boss: String,
}

impl Default for ServiceUrls {
    /// The real production services.
    fn default() -> Self {
        ServiceUrls::production()
    }
}

impl ServiceUrls {
    /// The real production services.
    pub fn production() -> Self {
        ServiceUrls {
            auth: "https://auth.globus.org".into(),
            groups: "https://groups.api.globus.org".into(),
            transfer: "https://transfer.api.globus.org".into(),
            search: "https://search.api.globus.org".into(),
            boss: "https://api.theboss.io".into(),
        }
    }

    /// An emulator at `base` (e.g. `http://127.0.0.1:8080`), each service under its prefix.
    pub fn emulator(base: &str) -> Self {
        let base = base.trim_end_matches('/');
        ServiceUrls {
            auth: format!("{base}/auth"),
            groups: format!("{base}/groups"),
            transfer: format!("{base}/transfer"),
            search: format!("{base}/search"),
            boss: format!("{base}/boss"),
        }
    }

    /// The base URL of one service; `None` for a GCS endpoint, whose base is discovered
    /// from Transfer ([`HttpClient::gcs_base`]).
    pub fn base(&self, service: Service) -> Option<&str> {
        match service {
            Service::Auth => Some(&self.auth),
            Service::Groups => Some(&self.groups),
            Service::Transfer => Some(&self.transfer),
            Service::Search => Some(&self.search),
            Service::Boss => Some(&self.boss),
            Service::Gcs(_) => None,
        }
    }
}

/// A secret string: never printed by `Debug` or `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret(value.to_string())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Globus Auth client credentials (a confidential client).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GlobusCredentials {
    /// The client id (also the client's identity id).
    pub client_id: String,
    /// The client secret.
    pub client_secret: Secret,
}

impl GlobusCredentials {
    /// Explicit credentials (an embedded target uses the client its seed names).
    pub fn new(client_id: impl Into<String>, client_secret: impl Into<Secret>) -> Self {
        GlobusCredentials {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
        }
    }

    /// Reads `ACCORD_GLOBUS_CLIENT_ID` and `ACCORD_GLOBUS_CLIENT_SECRET`.
    pub fn from_env() -> Result<Self, ProviderError> {
        Self::from_env_or(None)
    }

    /// Reads the environment variables; where one is unset, uses `fallback` (a seed's client).
    pub fn from_env_or(fallback: Option<&GlobusCredentials>) -> Result<Self, ProviderError> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        match (var(ENV_CLIENT_ID), var(ENV_CLIENT_SECRET), fallback) {
            (Some(id), Some(secret), _) => Ok(GlobusCredentials::new(id, secret)),
            (None, None, Some(fb)) => Ok(fb.clone()),
            (Some(id), None, Some(fb)) => Ok(GlobusCredentials::new(id, fb.client_secret.clone())),
            (None, Some(secret), Some(fb)) => {
                Ok(GlobusCredentials::new(fb.client_id.clone(), secret))
            }
            (id, _, None) => Err(ProviderError::Credentials(format!(
                "set {} and {} (Globus client credentials); {} is missing",
                ENV_CLIENT_ID,
                ENV_CLIENT_SECRET,
                if id.is_none() {
                    ENV_CLIENT_ID
                } else {
                    ENV_CLIENT_SECRET
                }
            ))),
        }
    }
}

/// How a call may be retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallKind {
    /// Safe to resend (GET, PUT, DELETE, the Groups batch call): retried with backoff.
    Idempotent,
    /// Creates something: never resent; a possibly-applied failure is [`HttpError::MaybeApplied`].
    Create,
}

/// How a request authenticates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthMode {
    /// A client-credentials bearer token for the request's service (the default).
    Bearer,
    /// HTTP Basic with the client id and secret (Auth's OAuth endpoints).
    ClientBasic,
    /// A full `Authorization` header value given by the caller (e.g. the Boss's `Token …`).
    Header(Secret),
    /// No credential.
    None,
}

/// Tuning of the client: retries, timeouts, rate limits, extra trusted hosts.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpOptions {
    /// Multiplies every backoff delay (not `Retry-After`); tests make it tiny.
    pub backoff_scale: f64,
    /// Retries after the first attempt of an idempotent call.
    pub max_retries: usize,
    /// The first backoff delay, before scaling.
    pub min_backoff: Duration,
    /// The largest backoff delay, before scaling.
    pub max_backoff: Duration,
    /// The largest `Retry-After` honoured (longer ones are capped).
    pub max_retry_after: Duration,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Hosts trusted with credentials besides the real services and loopback.
    pub allow_hosts: Vec<String>,
    /// Requests in flight per service (each GCS endpoint on its own).
    pub max_concurrency: usize,
    /// Requests per second to Transfer (its documented limit is 20).
    pub transfer_rate_per_sec: u32,
    /// Requests per second to Search (its documented limit is 5–10 per client).
    pub search_rate_per_sec: u32,
    /// Requests per second to the services with no documented limit (Auth, Groups, each GCS
    /// endpoint, the Boss); `None` paces them not at all: `max_concurrency` and their 429
    /// answers (`Retry-After`) bound them instead.
    pub default_rate_per_sec: Option<u32>,
    /// A PEM file of extra root certificates (`--ca-file`, `ACCORD_CA_FILE`).
    pub ca_file: Option<PathBuf>,
}

impl Default for HttpOptions {
    /// Defaults, with `ACCORD_TEST_BACKOFF_SCALE` and `ACCORD_ALLOW_HOSTS` read from the environment.
    fn default() -> Self {
        let backoff_scale = std::env::var(ENV_BACKOFF_SCALE)
            .ok()
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|v| v.is_finite() && *v >= 0.0)
            .unwrap_or(1.0);
        let allow_hosts = std::env::var(ENV_ALLOW_HOSTS)
            .map(|v| parse_host_list(&v))
            .unwrap_or_default();
        let ca_file = std::env::var_os(ENV_CA_FILE)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        HttpOptions {
            backoff_scale,
            max_retries: 5,
            min_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(60),
            timeout: Duration::from_secs(60),
            allow_hosts,
            max_concurrency: 16,
            transfer_rate_per_sec: 20,
            search_rate_per_sec: 10,
            default_rate_per_sec: None,
            ca_file,
        }
    }
}

impl HttpOptions {
    /// The rate a service is paced at: its documented limit, else `default_rate_per_sec`.
    pub fn rate_per_sec(&self, service: Service) -> Option<u32> {
        match service {
            Service::Transfer => Some(self.transfer_rate_per_sec),
            Service::Search => Some(self.search_rate_per_sec),
            Service::Auth | Service::Groups | Service::Boss | Service::Gcs(_) => {
                self.default_rate_per_sec
            }
        }
    }
}

/// Splits a comma-separated host list, lower-cased, ignoring blanks.
fn parse_host_list(v: &str) -> Vec<String> {
    v.split(',')
        .map(|h| h.trim().to_ascii_lowercase())
        .filter(|h| !h.is_empty())
        .collect()
}

/// An HTTP failure. Carries status, service code and message; never a token or secret.
#[derive(Debug, Clone, thiserror::Error)]
pub enum HttpError {
    /// The URL's host is not trusted with credentials: nothing was sent.
    #[error(
        "refusing to send credentials to untrusted host `{host}` ({url}); trusted: the real services, loopback, and {ENV_ALLOW_HOSTS}"
    )]
    Untrusted {
        /// The refused host.
        host: String,
        /// The refused URL.
        url: String,
    },
    /// The service answered with an error status.
    #[error("{method} {path}: HTTP {status}{}: {message}", code.as_deref().map(|c| format!(" {c}")).unwrap_or_default())]
    Status {
        /// The service called.
        service: Service,
        /// The HTTP method (boxed: keeps the error small).
        method: Box<str>,
        /// The request path (below the service base).
        path: String,
        /// The HTTP status.
        status: u16,
        /// The service's error code (`Exists`, `ALREADY_ACTIVE`, …), when it gave one.
        code: Option<String>,
        /// The service's message.
        message: String,
        /// The `Retry-After` the service asked for.
        retry_after: Option<Duration>,
    },
    /// The request could not be completed (connection refused, reset, timed out).
    #[error("{method} {path}: {message}")]
    Transport {
        /// The service called.
        service: Service,
        /// The HTTP method.
        method: String,
        /// The request path.
        path: String,
        /// What happened.
        message: String,
    },
    /// A create failed in a way that may have reached the service: re-read before resending.
    #[error("{cause} (the create may have been applied)")]
    MaybeApplied {
        /// The failure.
        cause: Box<HttpError>,
    },
    /// A credential could not be obtained or was refused.
    #[error("credentials for {service}: {message}")]
    Credentials {
        /// The service whose token failed.
        service: Service,
        /// What Auth said.
        message: String,
    },
    /// A success body did not decode.
    #[error("{method} {path}: unexpected response body: {message}")]
    Decode {
        /// The service called.
        service: Service,
        /// The HTTP method.
        method: String,
        /// The request path.
        path: String,
        /// The decode error.
        message: String,
    },
    /// The configuration is unusable (a malformed base URL).
    #[error("configuration: {0}")]
    Config(String),
}

impl HttpError {
    /// The HTTP status of a service error (looking through `MaybeApplied`).
    pub fn status(&self) -> Option<u16> {
        match self {
            HttpError::Status { status, .. } => Some(*status),
            HttpError::MaybeApplied { cause } => cause.status(),
            _ => None,
        }
    }

    /// The service error code, if any (looking through `MaybeApplied`).
    pub fn code(&self) -> Option<&str> {
        match self {
            HttpError::Status { code, .. } => code.as_deref(),
            HttpError::MaybeApplied { cause } => cause.code(),
            _ => None,
        }
    }

    /// The service the failure came from, when known.
    pub fn service(&self) -> Option<Service> {
        match self {
            HttpError::Status { service, .. }
            | HttpError::Transport { service, .. }
            | HttpError::Credentials { service, .. }
            | HttpError::Decode { service, .. } => Some(*service),
            HttpError::MaybeApplied { cause } => cause.service(),
            HttpError::Untrusted { .. } | HttpError::Config(_) => None,
        }
    }

    /// Whether this is a create that may have been applied.
    pub fn is_maybe_applied(&self) -> bool {
        matches!(self, HttpError::MaybeApplied { .. })
    }

    /// The `Retry-After` the service asked for (looking through `MaybeApplied`).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            HttpError::Status { retry_after, .. } => *retry_after,
            HttpError::MaybeApplied { cause } => cause.retry_after(),
            _ => None,
        }
    }

    /// Whether an idempotent call failing this way is retried.
    pub fn is_retryable(&self) -> bool {
        match self {
            HttpError::Transport { .. } => true,
            HttpError::Status { status, code, .. } => {
                matches!(status, 429 | 500 | 502 | 503 | 504)
                    && !code.as_deref().is_some_and(is_never_retried_code)
            }
            _ => false,
        }
    }
}

/// Transfer codes the SDK and accord never retry.
pub fn is_never_retried_code(code: &str) -> bool {
    code.contains("ExternalError") || code.contains("EndpointError")
}

impl From<HttpError> for ProviderError {
    fn from(e: HttpError) -> Self {
        match &e {
            HttpError::Credentials { .. } => ProviderError::Credentials(e.to_string()),
            HttpError::Status {
                status: 401 | 403,
                service,
                ..
            } if *service == Service::Auth => ProviderError::Credentials(e.to_string()),
            _ => ProviderError::Service {
                service: e.service().map(Service::name).unwrap_or("http"),
                message: e.to_string(),
            },
        }
    }
}

/// One request: service, method, path below the service base, and what to send.
/// Its `Debug` output leaves out form values (they may hold a token).
#[derive(Clone)]
pub struct HttpRequest {
    /// The service.
    pub service: Service,
    /// The HTTP method.
    pub method: Method,
    /// The path below the service base, starting with `/`.
    pub path: String,
    /// Query parameters.
    pub query: Vec<(String, String)>,
    /// A JSON body.
    pub json: Option<Value>,
    /// A form body (Auth's OAuth endpoints).
    pub form: Option<Vec<(String, String)>>,
    /// How it may be retried.
    pub kind: CallKind,
    /// How it authenticates.
    pub auth: AuthMode,
    /// For a GCS call: the mapped collection whose `data_access` the token must carry as a
    /// dependent scope (creating a guest collection).
    pub data_access: Option<uuid::Uuid>,
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let form_keys: Option<Vec<&str>> = self
            .form
            .as_ref()
            .map(|f| f.iter().map(|(k, _)| k.as_str()).collect());
        f.debug_struct("HttpRequest")
            .field("service", &self.service)
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &self.query)
            .field("json", &self.json)
            .field("form_keys", &form_keys)
            .field("kind", &self.kind)
            .field("auth", &self.auth)
            .field("data_access", &self.data_access)
            .finish()
    }
}

impl HttpRequest {
    /// A request with no body, idempotent and bearer-authenticated.
    pub fn new(service: Service, method: Method, path: impl Into<String>) -> Self {
        HttpRequest {
            service,
            method,
            path: path.into(),
            query: Vec::new(),
            json: None,
            form: None,
            kind: CallKind::Idempotent,
            auth: AuthMode::Bearer,
            data_access: None,
        }
    }

    /// A `GET`.
    pub fn get(service: Service, path: impl Into<String>) -> Self {
        Self::new(service, Method::GET, path)
    }

    /// A `POST`.
    pub fn post(service: Service, path: impl Into<String>) -> Self {
        Self::new(service, Method::POST, path)
    }

    /// A `PUT`.
    pub fn put(service: Service, path: impl Into<String>) -> Self {
        Self::new(service, Method::PUT, path)
    }

    /// A `DELETE`.
    pub fn delete(service: Service, path: impl Into<String>) -> Self {
        Self::new(service, Method::DELETE, path)
    }

    /// A `PATCH` (idempotent: it sets fields to given values).
    pub fn patch(service: Service, path: impl Into<String>) -> Self {
        Self::new(service, Method::PATCH, path)
    }

    /// Adds a query parameter.
    pub fn query(mut self, key: &str, value: impl Into<String>) -> Self {
        self.query.push((key.to_string(), value.into()));
        self
    }

    /// Sets a JSON body from any serializable value.
    pub fn json(mut self, body: &impl serde::Serialize) -> Self {
        self.json = Some(serde_json::to_value(body).unwrap_or(Value::Null));
        self
    }

    /// Sets a form body.
    pub fn form(mut self, fields: &[(&str, &str)]) -> Self {
        self.form = Some(
            fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        );
        self
    }

    /// Sets the call kind.
    pub fn kind(mut self, kind: CallKind) -> Self {
        self.kind = kind;
        self
    }

    /// Marks the call as a create (never resent).
    pub fn create(self) -> Self {
        self.kind(CallKind::Create)
    }

    /// Sets how the request authenticates.
    pub fn auth(mut self, auth: AuthMode) -> Self {
        self.auth = auth;
        self
    }

    /// Asks for a GCS token carrying mapped collection `mapped`'s `data_access` as a
    /// dependent scope (needed to create a guest collection on it).
    pub fn data_access(mut self, mapped: uuid::Uuid) -> Self {
        self.data_access = Some(mapped);
        self
    }
}

/// A successful response: status and JSON body (`null` when empty).
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// The service.
    pub service: Service,
    /// The HTTP method.
    pub method: String,
    /// The request path.
    pub path: String,
    /// The HTTP status (2xx).
    pub status: u16,
    /// The decoded body.
    pub body: Value,
}

impl HttpResponse {
    /// Decodes the body into a wire type.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, HttpError> {
        T::deserialize(&self.body).map_err(|e| HttpError::Decode {
            service: self.service,
            method: self.method.clone(),
            path: self.path.clone(),
            message: e.to_string(),
        })
    }
}

/// A cached access token.
struct CachedToken {
    token: Secret,
    expires_at: Instant,
}

/// A per-service pacing limiter (GCRA: a steady rate with a one-second burst).
struct Pacer {
    interval: Duration,
    burst: Duration,
    tat: tokio::sync::Mutex<Instant>,
}

impl Pacer {
    fn new(rate_per_sec: u32) -> Self {
        let rate = rate_per_sec.max(1);
        Pacer {
            interval: Duration::from_secs(1) / rate,
            burst: Duration::from_secs(1),
            tat: tokio::sync::Mutex::new(Instant::now()),
        }
    }

    /// Waits until one more request fits the rate.
    async fn until_ready(&self) {
        let mut tat = self.tat.lock().await;
        let now = Instant::now();
        if let Some(earliest) = self.reserve(&mut tat, now) {
            tokio::time::sleep_until(earliest.into()).await;
        }
    }

    /// Books one request at `now` on the theoretical arrival time `tat`: when it may go, if
    /// later than `now`. Kept apart from the sleep so tests check the schedule without a clock.
    fn reserve(&self, tat: &mut Instant, now: Instant) -> Option<Instant> {
        let start = (*tat).max(now);
        let earliest = start.checked_sub(self.burst).unwrap_or(now);
        *tat = start + self.interval;
        (earliest > now).then_some(earliest)
    }
}

/// Per-service limits: requests in flight and, for a paced service, request rate.
struct Limits {
    in_flight: Semaphore,
    pacer: Option<Pacer>,
}

impl Limits {
    fn new(max_concurrency: usize, rate_per_sec: Option<u32>) -> Self {
        Limits {
            in_flight: Semaphore::new(max_concurrency.max(1)),
            pacer: rate_per_sec.map(Pacer::new),
        }
    }
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

/// A transport error's message without its URL's query or credentials.
fn transport_message(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else if e.is_body() || e.is_decode() {
        "reading the response failed"
    } else {
        "request failed"
    };
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
    let mut detail = String::new();
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    if detail.is_empty() {
        kind.to_string()
    } else {
        format!("{kind}: {detail}")
    }
}

/// A URL for messages: scheme, host, port and path only.
fn redact_url(url: &Url) -> String {
    let mut u = url.clone();
    u.set_query(None);
    u.set_fragment(None);
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u.to_string()
}

/// Parses `Retry-After`: delay seconds or an HTTP-date.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// The service error code and message of an error body, in any of the Globus shapes.
fn error_code_and_message(body: &Value) -> (Option<String>, String) {
    let s = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
    let first = body
        .get("errors")
        .and_then(Value::as_array)
        .and_then(|a| a.first());
    // The Boss's codes are numbers (`{"status": 404, "code": 4002, "message": …}`).
    let number = |v: Option<&Value>| v.and_then(Value::as_i64).map(|n| n.to_string());
    let code = s(body.get("code"))
        .or_else(|| number(body.get("code")))
        .or_else(|| first.and_then(|f| s(f.get("code"))))
        .or_else(|| s(body.get("error")))
        .filter(|c| !c.is_empty());
    let message = s(body.get("message"))
        .or_else(|| s(body.get("detail")))
        .or_else(|| first.and_then(|f| s(f.get("detail")).or_else(|| s(f.get("title")))))
        .or_else(|| s(body.get("error_description")))
        .or_else(|| {
            body.get("detail")
                .filter(|d| !d.is_null())
                .map(|d| d.to_string())
        })
        .or_else(|| body.as_str().map(str::to_string))
        .unwrap_or_default();
    let mut message: String = message.chars().take(500).collect();
    if message.is_empty() {
        message = "no message".into();
    }
    (code, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_never_prints() {
        let c = GlobusCredentials::new("id", "s3cr3t");
        assert!(!format!("{c:?}").contains("s3cr3t"));
        assert_eq!(c.client_secret.to_string(), "[redacted]");
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse_retry_after("3"), Some(Duration::from_secs(3)));
        let later = SystemTime::now() + Duration::from_secs(30);
        let d = parse_retry_after(&httpdate::fmt_http_date(later)).unwrap();
        assert!(d <= Duration::from_secs(30) && d >= Duration::from_secs(28));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn error_shapes() {
        let t = serde_json::json!({"code":"Exists","message":"already"});
        assert_eq!(
            error_code_and_message(&t),
            (Some("Exists".into()), "already".into())
        );
        let a = serde_json::json!({"errors":[{"code":"UNAUTHORIZED","detail":"Call must be authenticated"}],"error":"unauthorized"});
        assert_eq!(
            error_code_and_message(&a),
            (
                Some("UNAUTHORIZED".into()),
                "Call must be authenticated".into()
            )
        );
        let g = serde_json::json!({"detail":[{"loc":["body"],"msg":"bad"}]});
        assert!(error_code_and_message(&g).1.contains("bad"));
        let b = serde_json::json!({"status":404,"code":4002,"message":"u does not exist. Ensure that the user has logged in"});
        assert_eq!(
            error_code_and_message(&b),
            (
                Some("4002".into()),
                "u does not exist. Ensure that the user has logged in".into()
            )
        );
        let o = serde_json::json!({"error":"invalid_client"});
        assert_eq!(
            error_code_and_message(&o).0.as_deref(),
            Some("invalid_client")
        );
    }

    #[test]
    fn never_retried_codes() {
        let e = HttpError::Status {
            service: Service::Transfer,
            method: "POST".into(),
            path: "/x".into(),
            status: 502,
            code: Some("ExternalError.MkdirFailed.Exists".into()),
            message: "exists".into(),
            retry_after: None,
        };
        assert!(!e.is_retryable());
    }

    #[tokio::test]
    async fn missing_globus_credentials_fail_only_calls_that_need_them() {
        let c = HttpClient::without_globus_credentials(
            ServiceUrls::emulator("http://127.0.0.1:9"),
            "set ACCORD_GLOBUS_CLIENT_ID",
            HttpOptions {
                max_retries: 0,
                ..HttpOptions::default()
            },
        )
        .unwrap();
        let e = c
            .send(&HttpRequest::get(Service::Groups, "/v2/groups/my_groups"))
            .await
            .unwrap_err();
        assert!(
            matches!(&e, HttpError::Credentials { message, .. } if message == "set ACCORD_GLOBUS_CLIENT_ID"),
            "{e}"
        );
        // A Boss call carries its own header: it is sent (and here finds no server).
        let boss = HttpRequest::get(Service::Boss, "/v1/groups/")
            .auth(AuthMode::Header(Secret::new("Token t")));
        let e = c.send(&boss).await.unwrap_err();
        assert!(matches!(e, HttpError::Transport { .. }), "{e}");
    }

    #[test]
    fn only_services_with_a_documented_limit_are_paced_by_default() {
        let o = HttpOptions::default();
        assert_eq!(o.rate_per_sec(Service::Transfer), Some(20));
        assert_eq!(o.rate_per_sec(Service::Search), Some(10));
        for s in [
            Service::Auth,
            Service::Groups,
            Service::Boss,
            Service::Gcs(uuid::Uuid::nil()),
        ] {
            assert_eq!(o.rate_per_sec(s), None, "{s}");
        }
        let c = HttpClient::new(
            ServiceUrls::emulator("http://127.0.0.1:9"),
            GlobusCredentials::new("id", "s"),
            o,
        )
        .unwrap();
        let interval = |s| c.limits_for(s).pacer.as_ref().map(|p| p.interval);
        assert_eq!(interval(Service::Groups), None);
        assert_eq!(interval(Service::Boss), None);
        assert_eq!(interval(Service::Gcs(uuid::Uuid::nil())), None);
        assert_eq!(interval(Service::Search), Some(Duration::from_millis(100)));
        assert_eq!(interval(Service::Transfer), Some(Duration::from_millis(50)));
        // Pacing them stays possible.
        let paced = HttpOptions {
            default_rate_per_sec: Some(5),
            ..HttpOptions::default()
        };
        assert_eq!(paced.rate_per_sec(Service::Groups), Some(5));
    }

    #[test]
    fn a_paced_service_gets_a_one_second_burst_then_its_rate() {
        // Search at 10/s: 11 requests go at once (the burst), then one every 100 ms.
        let pacer = Pacer::new(10);
        let t0 = Instant::now();
        let mut tat = t0;
        let waits: Vec<Option<Duration>> = (0..31)
            .map(|_| pacer.reserve(&mut tat, t0).map(|at| at - t0))
            .collect();
        assert!(waits[..11].iter().all(Option::is_none), "{waits:?}");
        assert_eq!(waits[11], Some(Duration::from_millis(100)));
        assert_eq!(waits[20], Some(Duration::from_secs(1)));
        assert_eq!(waits[30], Some(Duration::from_secs(2)));
        // After a quiet second the burst is available again.
        let later = t0 + Duration::from_secs(4);
        assert_eq!(pacer.reserve(&mut tat, later), None);
    }

    #[test]
    fn trusted_hosts() {
        let c = HttpClient::new(
            ServiceUrls::production(),
            GlobusCredentials::new("id", "s"),
            HttpOptions {
                allow_hosts: vec!["gcs.example.org".into()],
                ..HttpOptions::default()
            },
        )
        .unwrap();
        let ok = |u: &str| c.check_trusted(&Url::parse(u).unwrap()).is_ok();
        assert!(ok("https://transfer.api.globus.org/v0.10/x"));
        assert!(ok("http://127.0.0.1:9999/groups"));
        assert!(ok("http://[::1]:9999/groups"));
        assert!(ok("http://localhost:1/x"));
        assert!(ok("https://gcs.example.org/api"));
        assert!(!ok("http://gcs.example.org/api"));
        assert!(!ok("https://evil.example.com/v2/groups"));
        assert!(!ok("http://transfer.api.globus.org/v0.10/x"));
        c.trust_host("abc.data.globus.org");
        assert!(ok("https://abc.data.globus.org/api"));
    }
}
