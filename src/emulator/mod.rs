//! An axum server emulating every managed service, for embedded targets, `accord emulate` and tests.
//!
//! One router serves each service under its prefix (`/auth`, `/groups`, `/transfer`, `/gcs`, `/boss`,
//! `/search`) with the
//! real service's paths, bodies, status codes and error shapes, plus control routes under
//! `/_emulator`. State lives in memory, starts from a [`Seed`], and can be dumped
//! ([`Emulator::snapshot`]) and restored ([`Emulator::from_snapshot`]). See `docs/emulator.md`.

mod control;
pub mod errors;
pub mod faults;
pub mod refusal;
pub mod seed;
pub mod store;
pub mod tls;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::serve::ListenerExt;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use control::{Connection, ConnectionBoss, ConnectionClient};
pub use errors::Service;
pub use faults::{FaultRule, FaultTarget};
pub use seed::{Seed, SeedError};
pub use tls::TlsIdentity;

use errors::ApiError;
use faults::{FaultAction, Faults};
use store::State as Store;

/// One request the emulator received (control routes excluded).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedRequest {
    /// HTTP method, e.g. `GET`.
    pub method: String,
    /// Full path without the query, service prefix included (`/transfer/v0.10/...`).
    pub path: String,
    /// Status answered; 0 when the connection was dropped by a fault.
    pub status: u16,
    /// The ids of the refusals the answer carries (`emulator::refusal`), if any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub refusals: Vec<String>,
}

impl RecordedRequest {
    /// Whether the request could change state (anything but GET, HEAD and OPTIONS).
    pub fn is_write(&self) -> bool {
        !matches!(self.method.as_str(), "GET" | "HEAD" | "OPTIONS")
    }
}

/// Why a snapshot could not be restored.
#[derive(Debug, thiserror::Error)]
#[error("emulator snapshot: {0}")]
pub struct SnapshotError(#[from] serde_json::Error);

/// An issued access token.
#[derive(Debug, Clone)]
pub(crate) struct TokenRec {
    pub(crate) client_id: Uuid,
    pub(crate) scope: String,
    pub(crate) resource_server: String,
    pub(crate) issued_at: i64,
    pub(crate) expires_at: i64,
}

/// The identity a bearer token stands for, put in request extensions by the auth layer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Caller {
    pub(crate) identity: Uuid,
}

/// Everything mutable, under one lock: handlers never hold it across an await.
pub(crate) struct World {
    pub(crate) state: Store,
    pub(crate) tokens: HashMap<String, TokenRec>,
    clock: Option<DateTime<Utc>>,
    faults: Faults,
    log: Vec<RecordedRequest>,
    rate_windows: HashMap<Service, (Instant, u32)>,
    /// Where the emulator is served (`http(s)://127.0.0.1:PORT`), for the GCS Manager URLs
    /// it reports; set by [`spawn`], [`spawn_tls`], [`serve`] or [`Emulator::set_base_url`].
    pub(crate) base_url: Option<String>,
}

impl World {
    /// The emulator clock: set by `/_emulator/clock` or `set_now`, else the wall clock.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.clock.unwrap_or_else(Utc::now)
    }

    /// The state with expired ACL rules removed, as a read at `now` would see it.
    pub(crate) fn state_now(&mut self) -> &mut Store {
        let now = self.now();
        self.state.prune_expired(now);
        &mut self.state
    }
}

struct Inner {
    seed: Seed,
    /// When the seed was first loaded: a reset stamps seeded objects with this same time, so
    /// it returns to exactly the seeded state.
    seeded_at: DateTime<Utc>,
    world: Mutex<World>,
}

/// The emulator: cheap to clone (an `Arc` inside), `Send + Sync`.
#[derive(Clone)]
pub struct Emulator {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator").finish_non_exhaustive()
    }
}

impl Emulator {
    /// An emulator whose state is the seed's. References the seed cannot resolve are
    /// skipped; use [`Emulator::try_new`] (or [`Seed::validate`]) to reject them.
    pub fn new(seed: Seed) -> Emulator {
        let now = Utc::now();
        let state = Store::from_seed(&seed, now);
        Emulator::with_state(seed, state, now)
    }

    /// Like [`Emulator::new`], but with the clock fixed at `now` from the start, so the
    /// seeded objects' timestamps (e.g. ACL `create_time`) are `now`, not the wall clock.
    pub fn new_at(seed: Seed, now: DateTime<Utc>) -> Emulator {
        let state = Store::from_seed(&seed, now);
        let em = Emulator::with_state(seed, state, now);
        em.set_now(now);
        em
    }

    /// Like [`Emulator::new`], but fails on a seed that does not validate.
    pub fn try_new(seed: Seed) -> Result<Emulator, SeedError> {
        seed.validate()?;
        Ok(Emulator::new(seed))
    }

    /// An emulator restored from a [`Emulator::snapshot`]; `seed` is what a reset returns to.
    pub fn from_snapshot(
        seed: Seed,
        snapshot: serde_json::Value,
    ) -> Result<Emulator, SnapshotError> {
        let state: Store = serde_json::from_value(snapshot)?;
        // The original seeding time is not in a snapshot; a reset stamps with the restore time.
        Ok(Emulator::with_state(seed, state, Utc::now()))
    }

    fn with_state(seed: Seed, state: Store, seeded_at: DateTime<Utc>) -> Emulator {
        let tokens = seeded_tokens(&seed, &state, seeded_at);
        Emulator {
            inner: Arc::new(Inner {
                seed,
                seeded_at,
                world: Mutex::new(World {
                    state,
                    tokens,
                    clock: None,
                    faults: Faults::default(),
                    log: Vec::new(),
                    rate_windows: HashMap::new(),
                    base_url: None,
                }),
            }),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, World> {
        // A panic elsewhere must not wedge every later request; the state stays usable.
        self.inner.world.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The full state as JSON (what `GET /_emulator/state` answers), expired rules removed.
    pub fn snapshot(&self) -> serde_json::Value {
        let mut w = self.lock();
        serde_json::to_value(w.state_now()).unwrap_or_default()
    }

    /// What a client needs to connect (what `GET /_emulator/connection` answers).
    pub fn connection(&self) -> Connection {
        Connection::of(&self.lock().state)
    }

    /// Sets the emulator clock (expiry of ACL rules, timestamps of new objects).
    pub fn set_now(&self, now: DateTime<Utc>) {
        let mut w = self.lock();
        w.clock = Some(now);
        w.state.prune_expired(now);
    }

    /// Goes back to the wall clock.
    pub fn clear_now(&self) {
        self.lock().clock = None;
    }

    /// The emulator clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.lock().now()
    }

    /// Puts the state back to the seed's (tokens, clock and faults are kept).
    pub fn reset(&self) {
        let mut w = self.lock();
        w.state = Store::from_seed(&self.inner.seed, self.inner.seeded_at);
    }

    /// Sets the base URL the emulator is served at (`https://127.0.0.1:PORT`), from which
    /// the GCS Manager URLs it reports are made; the spawn and serve functions set it.
    pub fn set_base_url(&self, url: Option<String>) {
        self.lock().base_url = url.map(|u| u.trim_end_matches('/').to_string());
    }

    /// The base URL the emulator is served at, if known.
    pub fn base_url(&self) -> Option<String> {
        self.lock().base_url.clone()
    }

    /// The seed a reset returns to.
    pub fn seed(&self) -> &Seed {
        &self.inner.seed
    }

    /// Every request received so far (control routes excluded), oldest first.
    pub fn request_log(&self) -> Vec<RecordedRequest> {
        self.lock().log.clone()
    }

    /// Forgets the request log.
    pub fn clear_request_log(&self) {
        self.lock().log.clear();
    }

    /// Adds fault rules (what `POST /_emulator/faults` does).
    pub fn add_faults(&self, rules: Vec<FaultRule>) -> Result<(), String> {
        for r in &rules {
            r.validate()?;
        }
        self.lock().faults.add(rules);
        Ok(())
    }

    /// How many faults the active rules have injected so far (latency excluded).
    pub fn faults_injected(&self) -> u64 {
        self.lock().faults.list().iter().map(|f| f.injected).sum()
    }

    /// Removes every fault rule.
    pub fn clear_faults(&self) {
        self.lock().faults.clear();
    }

    /// Issues a token to a seeded client as the token endpoint would, without HTTP
    /// (for embedded targets and tests). `scopes` is space-separated.
    pub fn issue_tokens(
        &self,
        client_id: Uuid,
        scopes: &str,
    ) -> Option<crate::services::auth::wire::TokenResponse> {
        let mut w = self.lock();
        w.state.clients.get(&client_id)?;
        crate::services::auth::emulator::issue(&mut w, client_id, scopes).ok()
    }

    /// Every access token issued so far (through the token endpoint or
    /// [`Emulator::issue_tokens`]), sorted; for tests that check no token leaks.
    pub fn issued_tokens(&self) -> Vec<String> {
        let mut tokens: Vec<String> = self.lock().tokens.keys().cloned().collect();
        tokens.sort();
        tokens
    }

    /// The axum router serving every service and the control routes.
    pub fn router(&self) -> Router {
        let groups = crate::services::groups::emulator::routes().layer(
            middleware::from_fn_with_state(self.clone(), require_groups_token),
        );
        let transfer = crate::services::transfer::emulator::routes().layer(
            middleware::from_fn_with_state(self.clone(), require_transfer_token),
        );
        Router::new()
            .nest("/auth", crate::services::auth::emulator::routes())
            .nest("/groups", groups)
            .nest("/transfer", transfer)
            .nest("/gcs", crate::services::gcs::emulator::routes())
            .nest("/boss", crate::services::boss::emulator::routes())
            .nest(
                "/search",
                crate::services::search::emulator::routes(self.clone()),
            )
            .merge(control::routes())
            .fallback(fallback)
            .layer(middleware::from_fn_with_state(self.clone(), front))
            .with_state(self.clone())
    }
}

/// The access tokens a seed hands out beforehand (`identities[].tokens`), so tests can call
/// as users, who have no client credentials. They never expire, like issued ones.
fn seeded_tokens(seed: &Seed, state: &Store, at: DateTime<Utc>) -> HashMap<String, TokenRec> {
    let now = at.timestamp();
    let mut out = HashMap::new();
    for i in &seed.identities {
        if !state.identities.contains_key(&i.id()) {
            continue;
        }
        for (rs, token) in &i.tokens {
            out.insert(
                token.clone(),
                TokenRec {
                    client_id: i.id(),
                    scope: format!("urn:globus:auth:scope:{rs}:all"),
                    resource_server: rs.clone(),
                    issued_at: now,
                    expires_at: now + crate::services::auth::emulator::TOKEN_LIFETIME,
                },
            );
        }
    }
    out
}

/// A running emulator bound to a loopback port.
#[derive(Debug)]
pub struct RunningEmulator {
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub base_url: String,
    /// The emulator being served (shares state with the server).
    pub emulator: Emulator,
    /// The bound address.
    pub addr: SocketAddr,
    /// With TLS ([`spawn_tls`]): the PEM of the CA certificate clients must trust.
    pub ca_pem: Option<String>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl RunningEmulator {
    /// The URL of one service's root, with a trailing slash, as the SDK variables want it.
    pub fn service_url(&self, service: Service) -> String {
        let name = match service {
            Service::Auth => "auth",
            Service::Groups => "groups",
            Service::Transfer => "transfer",
            Service::Gcs => "gcs",
            Service::Boss => "boss",
            Service::Search => "search",
        };
        format!("{}/{name}/", self.base_url)
    }

    /// Stops accepting connections; requests in flight finish.
    pub fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

impl Drop for RunningEmulator {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Serves `emulator` over HTTP on `127.0.0.1:0` in a background task.
pub async fn spawn(emulator: Emulator) -> std::io::Result<RunningEmulator> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    let base_url = format!("http://{addr}");
    emulator.set_base_url(Some(base_url.clone()));
    let router = emulator.router();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let served = axum::serve(listener.tap_io(set_nodelay), router)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await;
        if let Err(e) = served {
            tracing::error!("emulator server stopped: {e}");
        }
    });
    Ok(RunningEmulator {
        base_url,
        emulator,
        addr,
        ca_pem: None,
        shutdown: Some(tx),
    })
}

/// Serves `emulator` over HTTPS on `127.0.0.1:0` in a background task, with a fresh
/// self-signed CA ([`RunningEmulator::ca_pem`]) and a certificate for `127.0.0.1`.
pub async fn spawn_tls(emulator: Emulator) -> std::io::Result<RunningEmulator> {
    let identity = TlsIdentity::generate()?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    let base_url = format!("https://{addr}");
    emulator.set_base_url(Some(base_url.clone()));
    let listener = tls::TlsListener::new(listener, &identity)?;
    let router = emulator.router();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let served = axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await;
        if let Err(e) = served {
            tracing::error!("emulator server stopped: {e}");
        }
    });
    Ok(RunningEmulator {
        base_url,
        emulator,
        addr,
        ca_pem: Some(identity.ca_pem),
        shutdown: Some(tx),
    })
}

/// Serves `emulator` over HTTP on `addr` until Ctrl-C (for `accord emulate`).
pub async fn serve(emulator: Emulator, addr: SocketAddr) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    emulator.set_base_url(Some(format!("http://{local}")));
    tracing::info!("emulator listening on http://{local}");
    axum::serve(listener.tap_io(set_nodelay), emulator.router())
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}

/// Serves `emulator` over HTTPS on `addr` with `identity` until Ctrl-C (`accord emulate --tls`).
pub async fn serve_tls(
    emulator: Emulator,
    addr: SocketAddr,
    identity: &TlsIdentity,
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    emulator.set_base_url(Some(format!("https://{local}")));
    tracing::info!("emulator listening on https://{local}");
    let listener = tls::TlsListener::new(listener, identity)?;
    axum::serve(listener, emulator.router())
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}

/// Nagle's algorithm meets delayed ACKs on loopback keep-alive connections and stalls
/// every response by ~40 ms, so it is switched off on each accepted socket.
fn set_nodelay(tcp: &mut tokio::net::TcpStream) {
    set_nodelay_stream(tcp);
}

fn set_nodelay_stream(tcp: &tokio::net::TcpStream) {
    if let Err(e) = tcp.set_nodelay(true) {
        tracing::trace!("TCP_NODELAY: {e}");
    }
}

/// The outer layer: faults, seed rate limits and the request log, for service routes only.
async fn front(State(em): State<Emulator>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    if path.starts_with("/_emulator") {
        return next.run(req).await;
    }
    let method = req.method().to_string();
    let service = Service::of_path(&path);
    let (latency, action) = match service {
        Some((svc, rest)) => {
            let mut w = em.lock();
            let (latency, mut action) = w.faults.decide(svc, &method, rest);
            if action == FaultAction::Pass && over_rate_limit(&mut w, &em.inner.seed, svc) {
                action = FaultAction::Error {
                    status: 429,
                    retry_after: Some(1),
                };
            }
            (latency, action)
        }
        None => (0, FaultAction::Pass),
    };
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    let resp = match (action, service) {
        (
            FaultAction::Error {
                status,
                retry_after,
            },
            Some((svc, rest)),
        ) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            let mut err = ApiError::injected(svc, status, rest);
            err.retry_after = retry_after;
            err.into_response()
        }
        (FaultAction::Drop, _) => dropped_connection(),
        _ => refused_by_framework(next.run(req).await),
    };
    let status = if action == FaultAction::Drop {
        0
    } else {
        resp.status().as_u16()
    };
    em.lock().log.push(RecordedRequest {
        method,
        path,
        status,
        refusals: refusal::of(&resp),
    });
    resp
}

/// A 4xx no route named (axum's own: a method the path does not take, a body over the limit,
/// a form that does not parse) is tagged as the HTTP layer's refusal; every route names its own.
fn refused_by_framework(resp: Response) -> Response {
    if resp.status().is_client_error() && refusal::of(&resp).is_empty() {
        refusal::tag(resp, &[&refusal::FRAMEWORK])
    } else {
        resp
    }
}

fn over_rate_limit(w: &mut World, seed: &Seed, svc: Service) -> bool {
    let limit = match svc {
        Service::Auth => seed.rate_limits.auth,
        Service::Groups => seed.rate_limits.groups,
        Service::Transfer => seed.rate_limits.transfer,
        Service::Gcs => seed.rate_limits.gcs,
        Service::Boss => seed.rate_limits.boss,
        Service::Search => seed.rate_limits.search,
    };
    let Some(limit) = limit else { return false };
    let now = Instant::now();
    let window = w.rate_windows.entry(svc).or_insert((now, 0));
    if now.duration_since(window.0) >= Duration::from_secs(1) {
        *window = (now, 0);
    }
    window.1 += 1;
    window.1 > limit
}

/// A response whose body fails at once: hyper then closes the connection without
/// completing the response, which is what a dropped connection looks like to a client.
fn dropped_connection() -> Response {
    let body = Body::from_stream(futures::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::other("connection dropped by fault"))
    }));
    Response::builder()
        .status(StatusCode::OK)
        .body(body)
        .unwrap_or_default()
}

async fn fallback(req: Request) -> Response {
    let path = req.uri().path();
    let svc = Service::of_path(path);
    match svc {
        Some((svc, rest)) => {
            let code = match svc {
                Service::Transfer => "ClientError.NotFound",
                Service::Gcs => "not_found",
                Service::Boss => "1000",
                Service::Search => "NotFound.Generic",
                _ => "NOT_FOUND",
            };
            ApiError {
                refusal: Some(&refusal::NO_ROUTE),
                ..ApiError::new(
                    svc,
                    StatusCode::NOT_FOUND,
                    code,
                    format!("No route for {rest}"),
                )
            }
            .at(rest)
            .into_response()
        }
        None => refusal::tag(
            (
                StatusCode::NOT_FOUND,
                axum::Json(
                    serde_json::json!({"code": "NotFound", "message": format!("No route for {path}")}),
                ),
            )
                .into_response(),
            &[&refusal::NO_ROUTE],
        ),
    }
}

pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Checks the bearer token is one this emulator issued for `resource_server`.
fn authenticate(em: &Emulator, headers: &HeaderMap, resource_server: &str) -> Option<Caller> {
    let token = bearer(headers)?;
    let w = em.lock();
    let rec = w.tokens.get(token)?;
    (rec.resource_server == resource_server).then_some(Caller {
        identity: rec.client_id,
    })
}

async fn require_token(
    em: Emulator,
    (service, refused): (Service, &'static refusal::Refusal),
    resource_server: &str,
    mut req: Request,
    next: Next,
) -> Response {
    match authenticate(&em, req.headers(), resource_server) {
        Some(caller) => {
            req.extensions_mut().insert(caller);
            next.run(req).await
        }
        None => ApiError::unauthorized(service, refused, req.uri().path()).into_response(),
    }
}

async fn require_groups_token(State(em): State<Emulator>, req: Request, next: Next) -> Response {
    let refused = &crate::services::groups::refusals::UNAUTHORIZED;
    require_token(
        em,
        (Service::Groups, refused),
        crate::services::auth::emulator::GROUPS_RS,
        req,
        next,
    )
    .await
}

async fn require_transfer_token(State(em): State<Emulator>, req: Request, next: Next) -> Response {
    let refused = &crate::services::transfer::refusals::UNAUTHORIZED;
    require_token(
        em,
        (Service::Transfer, refused),
        crate::services::auth::emulator::TRANSFER_RS,
        req,
        next,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = "
clients: [{ client_id: 11111111-1111-4111-8111-111111111111, client_secret: s }]
identities: [{ username: alice@uni.edu }]
endpoints:
  - display_name: ep
    acl: [{ principal_type: identity, principal: alice@uni.edu, path: /a/, permissions: r }]
";

    #[test]
    fn new_at_stamps_seeded_objects_with_the_given_clock() {
        let now: DateTime<Utc> = "2026-11-23T00:00:00Z".parse().unwrap();
        let em = Emulator::new_at(Seed::from_yaml_str(SEED).unwrap(), now);
        assert_eq!(em.now(), now);
        let snap = em.snapshot();
        let ep = snap["endpoints"]
            .as_object()
            .unwrap()
            .values()
            .next()
            .unwrap();
        assert_eq!(ep["acl"][0]["create_time"], store::fmt_time(now));
    }

    #[test]
    fn issued_tokens_lists_every_token() {
        let em = Emulator::new(Seed::from_yaml_str(SEED).unwrap());
        assert!(em.issued_tokens().is_empty());
        let client = "11111111-1111-4111-8111-111111111111".parse().unwrap();
        let t = em
            .issue_tokens(
                client,
                "urn:globus:auth:scope:groups.api.globus.org:all urn:globus:auth:scope:transfer.api.globus.org:all",
            )
            .unwrap();
        let mut want = vec![t.access_token, t.other_tokens[0].access_token.clone()];
        want.sort();
        assert_eq!(em.issued_tokens(), want);
    }
}
