//! The emulator's server shell: one axum server emulating every service of a list, for
//! embedded targets, `accord emulate` and tests.
//!
//! Each service's part ([`EmulatedService`], in its folder under `src/services/`) brings its
//! routes, state, seed section and error shapes; the shell mounts each under `/<name>` with the
//! real service's paths, and adds the control routes under `/_emulator` (state dump and reset,
//! connection, faults, clock, request log), fault injection, seed rate limits, TLS and the
//! snapshot. State lives in memory, starts from a [`Seed`], and can be dumped
//! ([`Emulator::snapshot`]) and restored ([`Emulator::from_snapshot`]). See `docs/emulator.md`.

mod control;
pub mod faults;
mod front;
pub mod refusal;
mod server;
pub mod tls;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use axum::Router;
use axum::middleware;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use crate::service::emulator::{
    Connection, ConnectionPart, EmulatedService, Handle, Seed, SeedError,
};
pub use faults::{FaultRule, FaultTarget};
pub use server::{RunningEmulator, serve, serve_tls, spawn, spawn_tls};
pub use tls::TlsIdentity;

use crate::service::Services;
use crate::service::emulator::{Ids, States, World, parts};
use faults::Faults;

/// One request the emulator received (control routes excluded).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedRequest {
    /// HTTP method, e.g. `GET`.
    pub method: String,
    /// Full path without the query, service prefix included (`/groups/v2/...`).
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

/// The shell's own session matters, beside the world: faults, the request log, rate windows.
#[derive(Default)]
struct Session {
    faults: Faults,
    log: Vec<RecordedRequest>,
    rate_windows: HashMap<&'static str, (Instant, u32)>,
}

struct Inner {
    seed: Seed,
    /// When the seed was first loaded: a reset stamps seeded objects with this same time, so
    /// it returns to exactly the seeded state.
    seeded_at: DateTime<Utc>,
    handle: Handle,
    session: Mutex<Session>,
}

/// The emulator: cheap to clone (an `Arc` inside), `Send + Sync`. It serves the services its
/// seed was read for ([`Seed::services`]).
#[derive(Clone)]
pub struct Emulator {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator").finish_non_exhaustive()
    }
}

/// The world each service builds from `seed` at `now`, in list order.
fn built(seed: &Seed, now: DateTime<Utc>) -> World {
    let mut w = World::default();
    build_into(seed, &mut w, now);
    w
}

fn build_into(seed: &Seed, w: &mut World, now: DateTime<Utc>) {
    for p in parts(seed.services()) {
        p.build(seed, w, now);
    }
}

impl Emulator {
    /// An emulator whose state is the seed's. References the seed cannot resolve are
    /// skipped; use [`Emulator::try_new`] (or [`Seed::validate`]) to reject them.
    pub fn new(seed: Seed) -> Emulator {
        let now = Utc::now();
        let world = built(&seed, now);
        Emulator::with_world(seed, world, now)
    }

    /// Like [`Emulator::new`], but with the clock fixed at `now` from the start, so the
    /// seeded objects' timestamps (e.g. ACL `create_time`) are `now`, not the wall clock.
    pub fn new_at(seed: Seed, now: DateTime<Utc>) -> Emulator {
        let world = built(&seed, now);
        let em = Emulator::with_world(seed, world, now);
        em.set_now(now);
        em
    }

    /// Like [`Emulator::new`], but fails on a seed that does not validate.
    pub fn try_new(seed: Seed) -> Result<Emulator, SeedError> {
        seed.validate()?;
        Ok(Emulator::new(seed))
    }

    /// An emulator restored from a [`Emulator::snapshot`]; `seed` is what a reset returns to.
    pub fn from_snapshot(seed: Seed, snapshot: Value) -> Result<Emulator, SnapshotError> {
        // The original seeding time is not in a snapshot; a reset stamps with the restore time.
        let now = Utc::now();
        let Value::Object(mut saved) = snapshot else {
            return Err(SnapshotError(serde::de::Error::custom(
                "a state is a JSON object",
            )));
        };
        let mut w = World::default();
        let seq = saved
            .remove("seq")
            .ok_or_else(|| <serde_json::Error as serde::de::Error>::missing_field("seq"))?;
        w.ids = Ids::at(serde_json::from_value(seq)?);
        for p in parts(seed.services()) {
            p.restore(&mut saved, &seed, &mut w, now)?;
        }
        Ok(Emulator::with_world(seed, w, now))
    }

    fn with_world(seed: Seed, world: World, seeded_at: DateTime<Utc>) -> Emulator {
        let handle = Handle::new(world, seed.services().clone());
        Emulator {
            inner: Arc::new(Inner {
                seed,
                seeded_at,
                handle,
                session: Mutex::new(Session::default()),
            }),
        }
    }

    /// The handle every service's handlers lock: how a service's public API (Auth's
    /// `issue_tokens`, say) reaches this emulator's world.
    pub fn handle(&self) -> &Handle {
        &self.inner.handle
    }

    /// The services served.
    pub fn services(&self) -> &Services {
        self.inner.seed.services()
    }

    fn lock(&self) -> MutexGuard<'_, World> {
        self.inner.handle.lock()
    }

    fn session(&self) -> MutexGuard<'_, Session> {
        // A panic elsewhere must not wedge every later request.
        self.inner.session.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The full state as JSON (what `GET /_emulator/state` answers), expired objects removed:
    /// each service's keys, and `seq`, the counter behind generated ids.
    pub fn snapshot(&self) -> Value {
        let mut w = self.lock();
        let now = w.now();
        let mut out = Map::new();
        for s in w.states.iter_mut() {
            s.expire(now);
        }
        out.insert("seq".into(), w.ids.seq().into());
        for s in w.states.iter() {
            match s.save() {
                Ok(keys) => out.extend(keys),
                Err(e) => tracing::error!("emulator state does not serialise: {e}"),
            }
        }
        Value::Object(out)
    }

    /// What a client needs to connect (what `GET /_emulator/connection` answers): each
    /// service's part.
    pub fn connection(&self) -> Connection {
        let w = self.lock();
        let mut conn = Connection::default();
        for p in parts(self.services()) {
            if let Some((key, part)) = p.connection(&w) {
                conn.insert(key, part);
            }
        }
        conn
    }

    /// Sets the emulator clock (expiry, timestamps of new objects).
    pub fn set_now(&self, now: DateTime<Utc>) {
        let mut w = self.lock();
        w.set_clock(Some(now));
        for s in w.states.iter_mut() {
            s.expire(now);
        }
    }

    /// Goes back to the wall clock.
    pub fn clear_now(&self) {
        self.lock().set_clock(None);
    }

    /// The emulator clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.lock().now()
    }

    /// Puts the state back to the seed's (tokens, clock and faults are kept).
    pub fn reset(&self) {
        let mut w = self.lock();
        w.states = States::default();
        w.ids = Ids::default();
        build_into(&self.inner.seed, &mut w, self.inner.seeded_at);
    }

    /// Sets the base URL the emulator is served at (`https://127.0.0.1:PORT`), from which
    /// the URLs services report for themselves are made; the spawn and serve functions set it.
    pub fn set_base_url(&self, url: Option<String>) {
        self.lock()
            .set_base_url(url.map(|u| u.trim_end_matches('/').to_string()));
    }

    /// The base URL the emulator is served at, if known.
    pub fn base_url(&self) -> Option<String> {
        self.lock().base_url().map(str::to_string)
    }

    /// The seed a reset returns to.
    pub fn seed(&self) -> &Seed {
        &self.inner.seed
    }

    /// Every request received so far (control routes excluded), oldest first.
    pub fn request_log(&self) -> Vec<RecordedRequest> {
        self.session().log.clone()
    }

    /// Forgets the request log.
    pub fn clear_request_log(&self) {
        self.session().log.clear();
    }

    /// Adds fault rules (what `POST /_emulator/faults` does); each names a served service
    /// or all of them.
    pub fn add_faults(&self, rules: Vec<FaultRule>) -> Result<(), String> {
        for r in &rules {
            r.validate()?;
            if let Some(name) = r.service.name()
                && !parts(self.services()).any(|p| p.name() == name)
            {
                let known: Vec<&str> = parts(self.services()).map(|p| p.name()).collect();
                return Err(format!(
                    "unknown service {name}: one of all, {}",
                    known.join(", ")
                ));
            }
        }
        self.session().faults.add(rules);
        Ok(())
    }

    /// How many faults the active rules have injected so far (latency excluded).
    pub fn faults_injected(&self) -> u64 {
        self.session()
            .faults
            .list()
            .iter()
            .map(|f| f.injected)
            .sum()
    }

    /// Removes every fault rule.
    pub fn clear_faults(&self) {
        self.session().faults.clear();
    }

    /// Every access token issued so far (by a token endpoint, seeded, or by a service's
    /// API), sorted; for tests that check no token leaks.
    pub fn issued_tokens(&self) -> Vec<String> {
        let mut tokens: Vec<String> = self.lock().tokens.keys().cloned().collect();
        tokens.sort();
        tokens
    }

    /// The axum router serving every service and the control routes.
    pub fn router(&self) -> Router {
        let mut app: Router<Emulator> = Router::new();
        for p in parts(self.services()) {
            let mut routes = p.routes(self.inner.handle.clone());
            if let Some(check) = p.token_check() {
                let layer = front::TokenLayer {
                    handle: self.inner.handle.clone(),
                    check,
                    shape: p.errors(),
                };
                routes = routes.layer(middleware::from_fn_with_state(layer, front::require_token));
            }
            app = app.nest(&format!("/{}", p.name()), routes.with_state(()));
        }
        app.merge(control::routes())
            .fallback(front::fallback)
            .layer(middleware::from_fn_with_state(self.clone(), front::front))
            .with_state(self.clone())
    }
}

/// How `accord emulate` names what it serves: `Auth, Groups and the Boss`.
pub fn banner(services: &Services) -> String {
    let names: Vec<&str> = parts(services).map(|p| p.banner_name()).collect();
    match names.split_last() {
        None => String::new(),
        Some((last, [])) => (*last).to_string(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

/// The lines `accord emulate` prints after its banner: whom each service runs accord as.
pub fn banner_lines(seed: &Seed) -> Vec<String> {
    parts(seed.services())
        .flat_map(|p| p.banner(seed))
        .collect()
}

/// Removes every service's secrets from a whole-state JSON: a saved state file holds none.
pub fn strip_secrets(services: &Services, state: &mut Value) {
    if let Some(map) = state.as_object_mut() {
        for p in parts(services) {
            p.strip_secrets(map);
        }
    }
}

/// Puts the seed's secrets back into a whole-state JSON read from a saved state file.
pub fn restore_secrets(seed: &Seed, state: &mut Value) {
    if let Some(map) = state.as_object_mut() {
        for p in parts(seed.services()) {
            p.restore_secrets(map, seed);
        }
    }
}
