//! The shared HTTP client: base URLs, trusted hosts, client-credentials tokens, retries,
//! rate limits and redaction. It knows no service by name: each service declares its
//! [`Api`] (base URLs, token, documented rate, final error codes), and the client is built
//! from the list.
//!
//! Every call is tagged [`CallKind::Idempotent`] (retried with exponential backoff on
//! connection errors, 429, 500, 502, 503 and 504, honouring `Retry-After`, unless the API
//! says its error code is final) or [`CallKind::Create`] (never resent: a failure that may
//! have reached the service comes back as [`HttpError::MaybeApplied`], so the provider
//! re-reads by natural key first).
//!
//! A credential is only ever sent to the real services' hosts, to loopback, or to hosts named
//! in `ACCORD_ALLOW_HOSTS`; any other host is refused before anything is sent. Tokens and
//! secrets never appear in errors, logs or `Debug` output.
//!
//! An API with a base per instance (a GCS endpoint's Manager API) is a service of its own per
//! instance ([`ServiceId::instance`]): its base is found by the API's [`Discover`] (from
//! another API's answer, never from a file) and cached. That host is trusted for that
//! instance's token only, and only when it is loopback, named in `ACCORD_ALLOW_HOSTS`, or
//! reported over https by a real service (an emulator's seed is a committed file, so a URL it
//! names is not trusted by itself). An instance's token is cached per resource server (the
//! instance); a request asking for another scope ([`HttpRequest::scope`]) gets a token for the
//! same resource server cached apart, so the plain token is never widened.
//! A CA file (`--ca-file`, `ACCORD_CA_FILE`) adds roots for institutional endpoints.

mod api;
mod credentials;
mod error;
pub mod oauth;
mod pacing;
mod reach;
mod request;
mod tokens;

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

pub use api::{Api, Discover, Discovered, ServiceId, ServiceUrls, Token};
pub use credentials::{GlobusCredentials, Secret};
pub use error::{HttpError, parse_retry_after};
use error::{error_code_and_message, redact_url, transport_message};
use pacing::Limits;
pub use pacing::{DEFAULT_READ_CONCURRENCY, HttpOptions};
pub use request::{AuthMode, CallKind, HttpRequest, HttpResponse};
use tokens::CachedToken;

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

/// A URL's host and port, for messages and first-contact budgets.
fn host_of(url: &Url) -> String {
    match (url.host_str(), url.port_or_known_default()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        _ => url.to_string(),
    }
}

/// The shared HTTP client of every provider.
pub struct HttpClient {
    client: reqwest::Client,
    /// The APIs it talks to, as their services declare them.
    apis: Vec<&'static Api>,
    urls: ServiceUrls,
    /// The base URL of each API with one, by name.
    bases: HashMap<&'static str, String>,
    /// The hosts of the real services: always trusted.
    production_hosts: BTreeSet<String>,
    creds: GlobusCredentials,
    /// Why there are no Globus client credentials (a run against services taking static
    /// tokens needs none): every call that needs them fails with this, before anything is sent.
    creds_missing: Option<String>,
    options: HttpOptions,
    trusted: RwLock<BTreeSet<String>>,
    tokens: Mutex<HashMap<String, CachedToken>>,
    token_fetch: tokio::sync::Mutex<()>,
    limits: Mutex<HashMap<ServiceId, Arc<Limits>>>,
    instances: RwLock<HashMap<ServiceId, Instance>>,
    /// Which hosts answered in this run (a first contact's failures have a short budget).
    reach: reach::Reach,
    /// Requests answered per API, for a progress display.
    activity: Arc<crate::progress::Activity>,
}

/// A discovered instance of an API: its base and the one host trusted with its token.
#[derive(Debug, Clone)]
struct Instance {
    api_base: String,
    host: String,
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
    /// A client for these APIs at these URLs, with these credentials and options; checks
    /// every base URL parses.
    pub fn new(
        apis: &[&'static Api],
        urls: ServiceUrls,
        creds: GlobusCredentials,
        options: HttpOptions,
    ) -> Result<Self, HttpError> {
        let mut bases = HashMap::new();
        for api in apis {
            if let Some(base) = urls.base(api) {
                Url::parse(&base)
                    .map_err(|e| HttpError::Config(format!("{} base URL: {e}", api.name)))?;
                bases.insert(api.name, base);
            }
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
        let trusted = options.allow_hosts.iter().cloned().collect();
        Ok(HttpClient {
            client,
            apis: apis.to_vec(),
            urls,
            bases,
            production_hosts: apis.iter().filter_map(|a| a.production_host()).collect(),
            creds,
            creds_missing: None,
            options,
            trusted: RwLock::new(trusted),
            tokens: Mutex::new(HashMap::new()),
            token_fetch: tokio::sync::Mutex::new(()),
            limits: Mutex::new(HashMap::new()),
            instances: RwLock::new(HashMap::new()),
            reach: reach::Reach::default(),
            activity: Arc::default(),
        })
    }

    /// The run's activity this client counts its requests in.
    pub fn activity(&self) -> Arc<crate::progress::Activity> {
        self.activity.clone()
    }

    /// The same, shared.
    pub fn shared(
        apis: &[&'static Api],
        urls: ServiceUrls,
        creds: GlobusCredentials,
        options: HttpOptions,
    ) -> Result<Arc<Self>, HttpError> {
        Self::new(apis, urls, creds, options).map(Arc::new)
    }

    /// A client without Globus client credentials, for a run that may need none (one
    /// against services taking static tokens): every call needing them fails with
    /// [`HttpError::Credentials`] saying `why`, and nothing is sent.
    pub fn without_globus_credentials(
        apis: &[&'static Api],
        urls: ServiceUrls,
        why: impl Into<String>,
        options: HttpOptions,
    ) -> Result<Self, HttpError> {
        let mut client = Self::new(apis, urls, GlobusCredentials::new("", ""), options)?;
        client.creds_missing = Some(why.into());
        Ok(client)
    }

    /// The base URLs in use.
    pub fn urls(&self) -> &ServiceUrls {
        &self.urls
    }

    /// The base URL of an API with one.
    pub fn base(&self, api: &str) -> Option<&str> {
        self.bases.get(api).map(String::as_str)
    }

    /// The client id accord runs as (also its identity id).
    pub fn client_id(&self) -> &str {
        &self.creds.client_id
    }

    /// Why this client has no Globus client credentials, when it has none.
    pub fn credentials_missing(&self) -> Option<&str> {
        self.creds_missing.as_deref()
    }

    /// The options in use.
    pub fn options(&self) -> &HttpOptions {
        &self.options
    }

    /// Runs `calls` at most `read_concurrency` at a time and answers their outputs in the
    /// order given, so a provider reads concurrently yet reports (and fails) as if in order.
    /// The client's per-service limits still apply to every request the calls make. A `Vec`,
    /// not an iterator: a closure held across the await would make the caller's future fail
    /// the `Send` bound of `async_trait` ("FnOnce is not general enough").
    pub async fn concurrently<F: Future>(&self, calls: Vec<F>) -> Vec<F::Output> {
        futures::stream::iter(calls)
            .buffered(self.options.read_concurrency.max(1))
            .collect()
            .await
    }

    /// The facts of the API a request goes to.
    fn api(&self, id: ServiceId) -> Result<&'static Api, HttpError> {
        self.apis
            .iter()
            .find(|a| a.name == id.name)
            .copied()
            .ok_or_else(|| HttpError::Config(format!("{id} is not a known API")))
    }

    /// Whether an API is a real service's (its base host is a production host).
    pub fn is_production(&self, api: &str) -> bool {
        self.base(api)
            .and_then(|b| Url::parse(b).ok())
            .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
            .is_some_and(|h| self.production_hosts.contains(&h))
    }

    /// Trusts one more host for this run, for every API's credentials (like
    /// `ACCORD_ALLOW_HOSTS`); a discovered instance's host is trusted per instance instead
    /// ([`HttpClient::instance_base`]).
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
        let known = self.production_hosts.contains(&name)
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

    /// Whether a URL may receive `id`'s credentials: for an instance, loopback or the https
    /// host discovered for that instance, and nothing else; for the other APIs,
    /// [`HttpClient::check_trusted`].
    pub fn check_trusted_for(&self, id: ServiceId, url: &Url) -> Result<(), HttpError> {
        if id.instance.is_none() {
            return self.check_trusted(url);
        }
        if is_loopback(url) {
            return Ok(());
        }
        let host = url.host_str().unwrap_or("").to_ascii_lowercase();
        let discovered = self
            .instances
            .read()
            .expect("instances poisoned")
            .get(&id)
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

    /// The base of an instance of an API, found by the API's [`Discover`] once and cached.
    /// The host it names is trusted for this instance's token only, and only when it is
    /// loopback, in the allowed hosts, or reported over https by a real service; any other
    /// is refused with [`HttpError::Untrusted`].
    pub async fn instance_base(&self, id: ServiceId) -> Result<String, HttpError> {
        if let Some(e) = self.instances.read().expect("instances poisoned").get(&id) {
            return Ok(e.api_base.clone());
        }
        let (Some(instance), Some(discover)) = (id.instance, self.api(id)?.discover) else {
            return Err(HttpError::Config(format!("{id} has no base URL")));
        };
        let found = discover.discover(self, instance).await?;
        let url = &found.url;
        let host = url.host_str().unwrap_or("").to_ascii_lowercase();
        let allowed = self.options.allow_hosts.contains(&host);
        let trusted = !host.is_empty()
            && (is_loopback(url) && matches!(url.scheme(), "http" | "https")
                || url.scheme() == "https" && (allowed || self.is_production(found.informant)));
        if !trusted {
            return Err(HttpError::Untrusted {
                host,
                url: redact_url(url),
            });
        }
        tracing::debug!(%id, %host, "discovered");
        self.instances.write().expect("instances poisoned").insert(
            id,
            Instance {
                api_base: found.api_base.clone(),
                host,
            },
        );
        Ok(found.api_base)
    }

    /// Sends a request: trusted-host check, token, rate limit, retries per its kind.
    /// A request to an instance finds the instance's base first.
    pub async fn send(&self, req: &HttpRequest) -> Result<HttpResponse, HttpError> {
        if let Some(why) = &self.creds_missing
            && matches!(req.auth, AuthMode::Bearer | AuthMode::ClientBasic)
        {
            return Err(HttpError::Credentials {
                service: req.service,
                message: why.clone(),
            });
        }
        if req.service.instance.is_some() {
            // Boxed: discovery sends a request through `send`.
            Box::pin(self.instance_base(req.service)).await?;
        }
        let url = self.url_for(req)?;
        self.check_trusted_for(req.service, &url)?;
        match req.kind {
            CallKind::Idempotent => {
                let host = host_of(&url);
                let budget = reach::FIRST_CONTACT_BUDGET.mul_f64(self.options.backoff_scale);
                if let Some((left, message)) = self.reach.left(&host, budget)
                    && left.is_zero()
                {
                    return Err(HttpError::Unreachable {
                        service: req.service,
                        host,
                        message,
                    });
                }
                let backoff = self.backoff();
                let mut retry = 0;
                (|| self.attempt(req, &url))
                    .retry(backoff)
                    .when(|e| match e {
                        HttpError::Unreachable { .. } => self
                            .reach
                            .left(&host, budget)
                            .is_none_or(|(left, _)| !left.is_zero()),
                        e => e.is_retryable(),
                    })
                    .adjust(|e, d| {
                        // `None` means the retries are spent: keep it so. A host never reached
                        // waits no longer than its budget's rest.
                        let d = d.map(|d| e.retry_after().map_or(d, |ra| ra.max(d)));
                        match (e, self.reach.left(&host, budget)) {
                            (HttpError::Unreachable { .. }, Some((left, _))) => {
                                d.map(|d| d.min(left))
                            }
                            _ => d,
                        }
                    })
                    .notify(|e, d| {
                        retry += 1;
                        tracing::info!(
                            service = req.service.name(),
                            method = %req.method,
                            path = %req.path,
                            retry,
                            wait_ms = d.as_millis() as u64,
                            "retrying after: {e}"
                        );
                    })
                    .await
            }
            CallKind::Create => self.attempt(req, &url).await.map_err(|e| {
                // A host that never answered did not receive it.
                if e.is_retryable() && !matches!(e, HttpError::Unreachable { .. }) {
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
        service: ServiceId,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<T, HttpError> {
        let mut req = HttpRequest::get(service, path);
        for (k, v) in query {
            req = req.query(k, *v);
        }
        self.send(&req).await?.json()
    }

    fn url_for(&self, req: &HttpRequest) -> Result<Url, HttpError> {
        let instance_base;
        let base = match (self.base(req.service.name), req.service.instance) {
            (_, Some(_)) => {
                instance_base = self
                    .instances
                    .read()
                    .expect("instances poisoned")
                    .get(&req.service)
                    .map(|e| e.api_base.clone())
                    .ok_or_else(|| {
                        HttpError::Config(format!("{} was not discovered", req.service))
                    })?;
                instance_base.as_str()
            }
            (Some(b), None) => b,
            (None, None) => {
                return Err(HttpError::Config(format!(
                    "{} has no base URL",
                    req.service
                )));
            }
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

    /// The interval an API's requests are paced at, if they are.
    #[cfg(test)]
    pub(crate) fn pacing_interval(&self, id: ServiceId) -> Option<Duration> {
        self.limits_for(id).pacer.as_ref().map(|p| p.interval)
    }

    /// The limits of an API; each instance has its own, made on first use.
    fn limits_for(&self, id: ServiceId) -> Arc<Limits> {
        let rate = self
            .api(id)
            .ok()
            .and_then(|a| a.rate_per_sec)
            .or(self.options.default_rate_per_sec);
        self.limits
            .lock()
            .expect("limits poisoned")
            .entry(id)
            .or_insert_with(|| {
                let in_flight = (self.options.max_concurrency).max(self.options.read_concurrency);
                Arc::new(Limits::new(in_flight, rate))
            })
            .clone()
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
                    self.token_with(req.service, req.scope.as_deref()).await?.0
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
            self.activity.request(req.service.name);
            let elapsed_ms = started.elapsed().as_millis() as u64;
            let resp = match result {
                Ok(r) => {
                    self.reach.answered(&host_of(url));
                    r
                }
                Err(e) => {
                    tracing::debug!(
                        service = req.service.name(),
                        method = %req.method,
                        path = %req.path,
                        elapsed_ms,
                        "request failed"
                    );
                    let message = transport_message(&e);
                    let host = host_of(url);
                    if e.is_connect() && self.reach.connect_failed(&host, &message) {
                        return Err(HttpError::Unreachable {
                            service: req.service,
                            host,
                            message,
                        });
                    }
                    return Err(HttpError::Transport {
                        service: req.service,
                        method: req.method.to_string(),
                        path: req.path.clone(),
                        message,
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
                self.invalidate_token(req.service, req.scope.as_deref());
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
            let api = self.api(req.service)?;
            return Err(HttpError::Status {
                service: req.service,
                method: req.method.as_str().into(),
                path: req.path.as_str().into(),
                status,
                final_code: code.as_deref().is_some_and(|c| api.is_final(c)),
                credentials: api.token_endpoint.is_some(),
                code: code.map(Into::into),
                message: message.into(),
                retry_after,
            });
        }
    }
}

#[cfg(test)]
mod tests;
