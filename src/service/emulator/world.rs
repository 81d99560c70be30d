//! The world every emulated service's handlers lock: the services' states, the clock, the
//! tokens issued so far and the counter behind generated ids.

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::http::{HeaderMap, header};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::service::Services;

/// One service's state. It saves itself as top-level keys of the whole-state JSON (what
/// `GET /_emulator/state` dumps and a saved state file holds); its service restores it.
pub trait ServiceState: Any + Send {
    /// Its top-level keys of the whole-state JSON.
    fn save(&self) -> Result<Map<String, Value>, serde_json::Error>;

    /// Forgets what has expired at `now`, as the real service does (Transfer's ACL rules).
    fn expire(&mut self, _now: DateTime<Utc>) {}
}

/// The services' states, one per type: a service finds its own, and another's through that
/// service's public API.
#[derive(Default)]
pub struct States {
    list: Vec<Box<dyn ServiceState>>,
}

impl States {
    /// Puts a state in, replacing the one of the same type.
    pub fn insert<T: ServiceState>(&mut self, state: T) {
        match self
            .list
            .iter()
            .position(|s| (**s).type_id() == state.type_id())
        {
            Some(i) => self.list[i] = Box::new(state),
            None => self.list.push(Box::new(state)),
        }
    }

    /// The state of type `T`, if its service is mounted.
    pub fn get<T: ServiceState>(&self) -> Option<&T> {
        self.list
            .iter()
            .find_map(|s| (&**s as &dyn Any).downcast_ref::<T>())
    }

    /// The state of type `T`, mutably.
    pub fn get_mut<T: ServiceState>(&mut self) -> Option<&mut T> {
        self.list
            .iter_mut()
            .find_map(|s| (&mut **s as &mut dyn Any).downcast_mut::<T>())
    }

    /// The state of type `A` mutably and that of type `B` at once (a service changing its
    /// own state while reading another's).
    pub fn pair_mut<A: ServiceState, B: ServiceState>(&mut self) -> (Option<&mut A>, Option<&B>) {
        let mut a = None;
        let mut b = None;
        for s in self.list.iter_mut() {
            let s: &mut dyn Any = &mut **s;
            if s.is::<A>() {
                a = s.downcast_mut::<A>();
            } else if s.is::<B>() {
                b = s.downcast_ref::<B>();
            }
        }
        (a, b)
    }

    /// Every state, in the order the services built them.
    pub fn iter(&self) -> impl Iterator<Item = &dyn ServiceState> {
        self.list.iter().map(|s| &**s)
    }

    /// Every state, mutably.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut Box<dyn ServiceState>> {
        self.list.iter_mut()
    }
}

/// The counter behind generated ids, so a replayed sequence of calls yields the same ids.
/// It is the `seq` key of the whole-state JSON.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ids {
    seq: u64,
}

impl Ids {
    /// A counter at `seq` (restored from a saved state).
    pub fn at(seq: u64) -> Ids {
        Ids { seq }
    }

    /// How many ids were generated.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// A fresh id of `kind`.
    pub fn next(&mut self, kind: &str) -> Uuid {
        self.seq += 1;
        derived_id(kind, &format!("generated:{}", self.seq))
    }
}

/// An issued access token.
#[derive(Debug, Clone)]
pub struct TokenRec {
    /// The identity (a client's id, or a seeded user's) the token stands for.
    pub client_id: Uuid,
    /// Its scope string (dependent scopes in brackets).
    pub scope: String,
    /// The resource server it was issued for.
    pub resource_server: String,
    /// When it was issued (Unix seconds).
    pub issued_at: i64,
    /// When it expires (Unix seconds).
    pub expires_at: i64,
}

/// The identity a bearer token stands for, put in request extensions by the token check.
#[derive(Debug, Clone, Copy)]
pub struct Caller {
    /// The identity id.
    pub identity: Uuid,
}

/// Everything mutable, under one lock: handlers never hold it across an await.
#[derive(Default)]
pub struct World {
    /// The services' states.
    pub states: States,
    /// Generated ids.
    pub ids: Ids,
    /// Access tokens issued so far (by Auth's token endpoint or seeded), by token. Session
    /// matter: not in the whole-state JSON, and kept by a reset.
    pub tokens: HashMap<String, TokenRec>,
    clock: Option<DateTime<Utc>>,
    base_url: Option<String>,
}

impl World {
    /// The emulator clock: set by `/_emulator/clock` or `Emulator::set_now`, else the wall clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.unwrap_or_else(Utc::now)
    }

    /// The fixed clock, if one is set.
    pub fn clock(&self) -> Option<DateTime<Utc>> {
        self.clock
    }

    /// Fixes the clock at `now`, or goes back to the wall clock.
    pub fn set_clock(&mut self, now: Option<DateTime<Utc>>) {
        self.clock = now;
    }

    /// Where the emulator is served (`http(s)://127.0.0.1:PORT`), when known: the URLs a
    /// service reports for itself (GCS Manager URLs) are made from it.
    pub fn base_url(&self) -> Option<&str> {
        self.base_url.as_deref()
    }

    /// Sets where the emulator is served.
    pub fn set_base_url(&mut self, url: Option<String>) {
        self.base_url = url;
    }

    /// The caller a bearer token in `headers` stands for, when this emulator issued it for
    /// `resource_server`.
    pub fn caller(&self, headers: &HeaderMap, resource_server: &str) -> Option<Caller> {
        let rec = self.tokens.get(bearer(headers)?)?;
        (rec.resource_server == resource_server).then_some(Caller {
            identity: rec.client_id,
        })
    }
}

/// What every handler of every service shares: the world under its lock, and the services
/// mounted beside it. Cheap to clone.
#[derive(Clone)]
pub struct Handle {
    inner: Arc<Shared>,
}

struct Shared {
    world: Mutex<World>,
    services: Services,
}

impl Handle {
    /// A handle on `world`, served with `services`.
    pub fn new(world: World, services: Services) -> Handle {
        Handle {
            inner: Arc::new(Shared {
                world: Mutex::new(world),
                services,
            }),
        }
    }

    /// Locks the world.
    pub fn lock(&self) -> MutexGuard<'_, World> {
        // A panic elsewhere must not wedge every later request; the state stays usable.
        self.inner.world.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The services mounted (the Auth scope registry asks each for its scopes).
    pub fn services(&self) -> &Services {
        &self.inner.services
    }

    /// The emulator clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.lock().now()
    }
}

/// The token of an `Authorization: Bearer` header.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Formats a time the way Transfer and Groups print it (`2024-12-16T21:30:15+00:00`).
pub fn fmt_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S+00:00").to_string()
}

/// Parses an RFC 3339 time into UTC.
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// A short opaque id (role ids, request ids) derived from a label.
pub fn short_id(label: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    Sha256::digest(label.as_bytes())
        .iter()
        .take(9)
        .map(|b| ALPHABET[(*b as usize) % ALPHABET.len()] as char)
        .collect()
}

/// A stable UUID derived from a kind and a name, so seeds without ids stay reproducible.
pub fn derived_id(kind: &str, name: &str) -> Uuid {
    let digest = Sha256::digest(format!("accord-emulator:{kind}:{name}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

/// A state's top-level keys: what it serialises to, which must be a JSON object.
pub fn to_map<T: Serialize>(state: &T) -> Result<Map<String, Value>, serde_json::Error> {
    match serde_json::to_value(state)? {
        Value::Object(map) => Ok(map),
        _ => Err(serde::ser::Error::custom("a state saves as a JSON object")),
    }
}

/// Takes `keys` out of a whole-state JSON and reads them as a `T` (a key left out is absent).
pub fn take<T: DeserializeOwned>(
    saved: &mut Map<String, Value>,
    keys: &[&str],
) -> Result<T, serde_json::Error> {
    let mut part = Map::new();
    for k in keys {
        if let Some(v) = saved.remove(*k) {
            part.insert((*k).to_string(), v);
        }
    }
    serde_json::from_value(Value::Object(part))
}
