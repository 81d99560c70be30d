//! The APIs the client talks to, as their services describe them: names, base URLs, the token
//! each takes, documented rates and error codes never retried. The client knows no service by
//! name; each service declares its [`Api`] in its folder.

use std::collections::BTreeMap;
use std::fmt;

use async_trait::async_trait;
use url::Url;
use uuid::Uuid;

use super::{HttpClient, HttpError};

/// Which API a request is for: a service's API and, for an API with one base URL per
/// instance (one per GCS endpoint, say), the instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServiceId {
    /// The API's name (its service's name).
    pub name: &'static str,
    /// The instance, for an API with a base URL per instance.
    pub instance: Option<Uuid>,
}

impl ServiceId {
    /// An API with one base URL.
    pub const fn fixed(name: &'static str) -> Self {
        ServiceId {
            name,
            instance: None,
        }
    }

    /// One instance of an API with a base URL per instance.
    pub const fn instance(name: &'static str, id: Uuid) -> Self {
        ServiceId {
            name,
            instance: Some(id),
        }
    }

    /// The short name used in errors and logs.
    pub fn name(self) -> &'static str {
        self.name
    }
}

impl fmt::Display for ServiceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.instance {
            Some(id) => write!(f, "{} {id}", self.name),
            None => f.write_str(self.name),
        }
    }
}

/// The token an API's requests carry by default.
#[derive(Debug, Clone, Copy)]
pub enum Token {
    /// None from the client: the caller supplies its own `Authorization` (a static API token).
    None,
    /// A client-credentials token for a resource server, asked with these scopes.
    Scopes {
        /// The resource server.
        resource_server: &'static str,
        /// The scopes asked for, space separated.
        scopes: &'static str,
    },
    /// A token per instance: the instance id is the resource server; this gives its scope.
    PerInstance(fn(Uuid) -> String),
}

/// Finds an instance's base URL (a GCS endpoint's manager URL, from Transfer).
#[async_trait]
pub trait Discover: Send + Sync {
    /// The instance's base, as another API reported it.
    async fn discover(&self, http: &HttpClient, instance: Uuid) -> Result<Discovered, HttpError>;
}

/// An instance's base URL as another API reported it.
#[derive(Debug, Clone)]
pub struct Discovered {
    /// The URL as reported: its host is the one trusted with the instance's token.
    pub url: Url,
    /// The base requests go to (the reported URL, or a path below it).
    pub api_base: String,
    /// The API that reported it: a host it names is trusted only when that API is a real
    /// service's (a committed file, such as an emulator's seed, is not a trusted informant).
    pub informant: &'static str,
}

/// The connection facts of one service's HTTP API.
pub struct Api {
    /// Its name (its service's), the key of its base URL and limits.
    pub name: &'static str,
    /// Its real base URL; `None` for an API whose every instance is discovered.
    pub production: Option<&'static str>,
    /// Its prefix under an emulator's address (`/groups`).
    pub emulator_prefix: &'static str,
    /// The token its requests carry.
    pub token: Token,
    /// The request rate it documents, if any: requests are paced at it.
    pub rate_per_sec: Option<u32>,
    /// Error codes never retried: a code containing one of these is final.
    pub final_codes: &'static [&'static str],
    /// The path of the OAuth2 token endpoint it serves, if it is the token issuer.
    pub token_endpoint: Option<&'static str>,
    /// How an instance's base URL is found, for an API with a base per instance.
    pub discover: Option<&'static dyn Discover>,
}

impl Api {
    /// An API with a real base URL and nothing else said yet.
    pub const fn new(name: &'static str, production: &'static str, prefix: &'static str) -> Self {
        Api {
            name,
            production: Some(production),
            emulator_prefix: prefix,
            token: Token::None,
            rate_per_sec: None,
            final_codes: &[],
            token_endpoint: None,
            discover: None,
        }
    }

    /// The host of its real base URL, lower-cased.
    pub fn production_host(&self) -> Option<String> {
        let url = Url::parse(self.production?).ok()?;
        url.host_str().map(str::to_ascii_lowercase)
    }

    /// Whether an error code from this API is final (never retried).
    pub fn is_final(&self, code: &str) -> bool {
        self.final_codes.iter().any(|c| code.contains(c))
    }

    /// The resource server and scope of the token a request to `id` takes, if it takes one.
    pub fn token_for(&self, id: ServiceId) -> Option<(String, String)> {
        match (self.token, id.instance) {
            (
                Token::Scopes {
                    resource_server,
                    scopes,
                },
                _,
            ) => Some((resource_server.to_string(), scopes.to_string())),
            (Token::PerInstance(scope), Some(instance)) => {
                Some((instance.to_string(), scope(instance)))
            }
            _ => None,
        }
    }
}

impl fmt::Debug for Api {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Api")
            .field("name", &self.name)
            .field("production", &self.production)
            .finish_non_exhaustive()
    }
}

/// Where the APIs are: the real services, or an emulator with each under its prefix, with
/// a base of its own for any API the target names (the Boss at a target's `boss.url`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServiceUrls {
    /// The emulator's address, or `None` for the real services.
    emulator: Option<String>,
    /// Bases given by name, overriding the above.
    overrides: BTreeMap<String, String>,
}

impl ServiceUrls {
    /// The real production services.
    pub fn production() -> Self {
        ServiceUrls::default()
    }

    /// An emulator at `base` (e.g. `http://127.0.0.1:8080`), each service under its prefix.
    pub fn emulator(base: &str) -> Self {
        ServiceUrls {
            emulator: Some(base.trim_end_matches('/').to_string()),
            overrides: BTreeMap::new(),
        }
    }

    /// The same, with `api` at `base`.
    pub fn with(mut self, api: &str, base: &str) -> Self {
        self.set(api, base);
        self
    }

    /// Puts `api` at `base`.
    pub fn set(&mut self, api: &str, base: &str) {
        self.overrides
            .insert(api.to_string(), base.trim_end_matches('/').to_string());
    }

    /// The emulator's address, when these are an emulator's.
    pub fn emulator_base(&self) -> Option<&str> {
        self.emulator.as_deref()
    }

    /// The base URL of an API; `None` for one whose instances are discovered.
    pub fn base(&self, api: &Api) -> Option<String> {
        if let Some(b) = self.overrides.get(api.name) {
            return Some(b.clone());
        }
        match &self.emulator {
            Some(e) => api
                .production
                .map(|_| format!("{e}{}", api.emulator_prefix)),
            None => api.production.map(str::to_string),
        }
    }
}
