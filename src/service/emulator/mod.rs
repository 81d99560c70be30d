//! The emulator half of the service contract: what a service hands the emulator shell
//! (`src/emulator/`) so that the shell serves it without knowing it.
//!
//! A service's [`EmulatedService`] gives its name (its path prefix, fault and rate-limit name),
//! its routes, the shape of its errors, its refusals, its scopes for the Auth scope registry,
//! its seed section (parsed and validated by the service), and the state it builds from that
//! section and saves in, and restores from, the whole-state JSON. The shell adds the control
//! routes, faults, rate limits, the clock, the request log, TLS and the snapshot.
//!
//! What services share goes through this module, named: the [`World`] every handler locks (the
//! services' states, the clock, issued tokens, generated ids), and the owning service's public
//! API for the rest (Auth's identities, Groups' memberships, Transfer's endpoint records).

mod connection;
mod errors;
pub mod refusal;
mod seed;
mod world;

use std::sync::Arc;

use axum::Router;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

pub use connection::{Connection, ConnectionPart};
pub use errors::{ApiError, ErrorShape, request_id};
pub use refusal::Refusal;
pub use seed::{Seed, SeedError, SeedPart, SeedSource};
pub use world::{
    Caller, Handle, Ids, ServiceState, States, TokenRec, World, bearer, derived_id, fmt_time,
    parse_time, short_id, take, to_map,
};

use super::Services;

/// A service's part of the emulator. Everything has a default but the name, the banner name,
/// the error shape and the routes, so a service declares only what it has.
pub trait EmulatedService: Send + Sync {
    /// Its name: served under `/<name>`, and so named in fault rules, seed rate limits, the
    /// request log and [`RunningEmulator::service_url`](crate::emulator::RunningEmulator).
    fn name(&self) -> &'static str;

    /// How `accord emulate`'s banner names it (`Transfer`, `the Boss`).
    fn banner_name(&self) -> &'static str;

    /// The body shape of its errors: refusals, injected faults, a missing route, a bad token.
    fn errors(&self) -> &'static dyn ErrorShape;

    /// Its refusals, each under a stable id (`docs/refusals.md` classifies them).
    fn refusals(&self) -> &'static [&'static Refusal] {
        &[]
    }

    /// Its routes, relative to `/<name>`, with the handle their handlers lock.
    fn routes(&self, em: Handle) -> Router;

    /// The bearer token the shell checks before any of its routes runs, if it wants that
    /// (`None`: its routes check the caller themselves).
    fn token_check(&self) -> Option<TokenCheck> {
        None
    }

    /// Its resource server and the fixed scopes the Auth scope registry issues for it.
    fn scopes(&self) -> Option<(&'static str, &'static [&'static str])> {
        None
    }

    /// The id its scope strings carry when it is not its resource server's name: a service
    /// whose scopes read `https://auth.globus.org/scopes/<its client id>/<name>` while its
    /// tokens are issued for a named resource server (`<service>.globus.org`).
    fn scope_client_id(&self) -> Option<&'static str> {
        None
    }

    /// The scopes of resource server `rs` when its state defines `rs` (a GCS endpoint's,
    /// a client's Action Provider scope); the registry asks after the fixed scopes.
    fn state_scopes(&self, _w: &World, _rs: &str) -> Option<&'static [&'static str]> {
        None
    }

    /// Whether its state defines scope `name` of resource server `rs`: by default, whether
    /// [`state_scopes`](Self::state_scopes) lists it. A service whose state makes scope names
    /// from its objects' ids (`<object>_<id>_user`) answers here instead.
    fn state_scope(&self, w: &World, rs: &str, name: &str) -> bool {
        self.state_scopes(w, rs)
            .is_some_and(|names| names.contains(&name))
    }

    /// Parses its section of a seed (the top-level keys it reads); `None` when it reads none.
    fn parse_seed(&self, _src: &SeedSource<'_>) -> Result<Option<Arc<dyn SeedPart>>, SeedError> {
        Ok(None)
    }

    /// Its section of the seed `accord emulate` starts from without `--seed`, as top-level keys.
    fn default_seed(&self) -> Map<String, Value> {
        Map::new()
    }

    /// Adds what is wrong with its section, given the whole seed (the sections it refers to).
    fn validate_seed(&self, _seed: &Seed, _problems: &mut Vec<String>) {}

    /// Builds its state from the seed into `w`; the services listed before it are built.
    /// References the seed does not resolve are skipped ([`Seed::validate`] reports them).
    fn build(&self, _seed: &Seed, _w: &mut World, _now: DateTime<Utc>) {}

    /// Restores its state from the whole-state JSON, taking its keys out of `saved`; the
    /// services listed before it are restored.
    fn restore(
        &self,
        _saved: &mut Map<String, Value>,
        _seed: &Seed,
        _w: &mut World,
        _now: DateTime<Utc>,
    ) -> Result<(), serde_json::Error> {
        Ok(())
    }

    /// Its part of what a client needs to connect (`GET /_emulator/connection`): the key and
    /// who accord runs as there (`None` as the value when nobody).
    fn connection(&self, _w: &World) -> Option<(&'static str, Option<ConnectionPart>)> {
        None
    }

    /// Lines `accord emulate` prints after its banner (who accord runs as, never a secret).
    fn banner(&self, _seed: &Seed) -> Vec<String> {
        Vec::new()
    }

    /// Removes its secrets from the whole-state JSON: a saved state file holds none.
    fn strip_secrets(&self, _state: &mut Map<String, Value>) {}

    /// Puts the seed's secrets back into a whole-state JSON read from a saved state file.
    fn restore_secrets(&self, _state: &mut Map<String, Value>, _seed: &Seed) {}
}

/// The bearer token a service's routes need: issued for its resource server, else a 401
/// carrying `refusal` in the service's error shape.
#[derive(Debug, Clone, Copy)]
pub struct TokenCheck {
    /// The resource server the token must have been issued for.
    pub resource_server: &'static str,
    /// The refusal a missing or wrong token is answered with.
    pub refusal: &'static Refusal,
}

/// The emulated parts of `services`, in list order.
pub fn parts(services: &Services) -> impl Iterator<Item = &dyn EmulatedService> {
    services.iter().filter_map(|s| s.emulator())
}

/// The resource server a scope string's `rs` part stands for: the name of the served service
/// whose [`EmulatedService::scope_client_id`] it is, else `rs` itself.
pub fn scope_resource_server<'a>(services: &Services, rs: &'a str) -> &'a str {
    parts(services)
        .find(|p| p.scope_client_id() == Some(rs))
        .and_then(|p| p.scopes().map(|(server, _)| server))
        .unwrap_or(rs)
}

/// The Auth scope registry: whether `name` is a scope of resource server `rs`, fixed by a
/// service or defined by a service's state. Auth issues no other.
pub fn known_scope(services: &Services, w: &World, rs: &str, name: &str) -> bool {
    parts(services).any(|p| {
        p.scopes()
            .is_some_and(|(server, names)| server == rs && names.contains(&name))
            || p.state_scope(w, rs, name)
    })
}
