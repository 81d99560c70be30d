//! The service contract: what the core knows of a service, and nothing more. A service
//! implements [`Service`] in its folder under `src/services/`; `services::builtin()` lists
//! them, and the library's entry points take the list as [`Services`].

#[cfg(feature = "emulator")]
pub mod emulator;
pub mod import;
pub mod policy;
pub mod provider;
pub mod registry;

use std::sync::Arc;

use serde_json::Value;

use crate::http::{GlobusCredentials, HttpClient};

pub use crate::state::identity::{IdentityInfo, IdentityResolver};
pub use crate::state::live::{IdMap, LiveRead, Lookup, ProviderError, Scope};
pub(crate) use provider::failed;
pub use provider::{Caller, Outcome, Provider};
pub use registry::Registry;

use crate::state::Kind;
use crate::state::access::ResourceType;
use crate::state::principal::Namespace;

/// One service accord manages: everything the core may ask of it.
pub trait Service: Send + Sync + 'static {
    /// Its short name, in logs, fault rules and the request log (`transfer`).
    fn name(&self) -> &'static str;

    /// Its name for people (`Transfer`, `the Boss`).
    fn title(&self) -> &'static str;

    /// How its HTTP API is reached, if it has one: base URLs, token, rate, final codes.
    fn api(&self) -> Option<&'static crate::http::Api> {
        None
    }

    /// The kinds it manages.
    fn kinds(&self) -> &'static [Kind] {
        &[]
    }

    /// The OAuth client an emulator's connection document names, for a run against that
    /// emulator (the environment's credentials override it). One service answers: the
    /// token issuer's.
    fn oauth_client(&self, _emulator: &Value) -> Option<GlobusCredentials> {
        None
    }

    /// Who resolves principals to identities, if this service does (the core asks one).
    fn identities(&self, _cx: &Connect) -> Option<Arc<dyn IdentityResolver>> {
        None
    }

    /// Its provider for a run, if it manages anything.
    fn provider(&self, _cx: &Connect) -> Option<Arc<dyn Provider>> {
        None
    }

    /// Its part of `accord import`, if it has one.
    fn importer(&self) -> Option<&dyn import::Importer> {
        None
    }

    /// The namespaces of its own principals (users and groups outside Globus Auth).
    fn namespaces(&self) -> &'static [Namespace] {
        &[]
    }

    /// The resources its kinds grant access to (the access model's `<prefix>:<part>…`).
    fn resources(&self) -> &'static [ResourceType] {
        &[]
    }

    /// Its section of the policy files, if it has one.
    fn policy(&self) -> Option<&dyn policy::ServicePolicy> {
        None
    }

    /// Its part of the emulator, if it has one.
    #[cfg(feature = "emulator")]
    fn emulator(&self) -> Option<&dyn emulator::EmulatedService> {
        None
    }
}

/// What a target gives each service to connect with.
pub struct Connect<'a> {
    /// The run's shared HTTP client.
    pub http: &'a Arc<HttpClient>,
    /// For a run against an emulator, its connection document (`GET /_emulator/connection`):
    /// who the run acts as there, a section per service.
    pub emulator: Option<&'a Value>,
}

/// The services of a run, in the order they are listed: the library's entry points take it.
#[derive(Clone)]
pub struct Services {
    list: Vec<Arc<dyn Service>>,
}

impl Services {
    /// These services; their kinds, principal namespaces and resources become known by name
    /// (addresses, principals and saved plans parse).
    pub fn new(list: Vec<Arc<dyn Service>>) -> Services {
        list.iter().for_each(|s| register(s.as_ref()));
        Services { list }
    }

    /// The same services and one more (a service defined outside accord).
    pub fn with(mut self, service: Arc<dyn Service>) -> Services {
        register(service.as_ref());
        self.list.push(service);
        self
    }

    /// Every service, in order.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<dyn Service>> {
        self.list.iter()
    }

    /// A service by name.
    pub fn get(&self, name: &str) -> Option<&Arc<dyn Service>> {
        self.list.iter().find(|s| s.name() == name)
    }

    /// The HTTP APIs of the services, for the shared client.
    pub fn apis(&self) -> Vec<&'static crate::http::Api> {
        self.list.iter().filter_map(|s| s.api()).collect()
    }

    /// The service managing a kind.
    pub fn of_kind(&self, kind: Kind) -> Option<&Arc<dyn Service>> {
        self.list.iter().find(|s| s.kinds().contains(&kind))
    }
}

/// Makes what a service names in keys known by name, so that keys naming it parse.
fn register(service: &dyn Service) {
    service.kinds().iter().for_each(|k| k.register());
    service.namespaces().iter().for_each(|n| n.register());
    service.resources().iter().for_each(|r| r.register());
}

impl std::fmt::Debug for Services {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.list.iter().map(|s| s.name()))
            .finish()
    }
}
