//! The service contract: what the core knows of a service, and nothing more. A service
//! implements [`Service`] in its folder under `src/services/`; `services::builtin()` lists
//! them, and the library's entry points take the list as [`Services`].

#[cfg(feature = "emulator")]
pub mod emulator;
pub mod policy;
pub mod provider;
pub mod registry;

use std::sync::Arc;

pub use crate::state::identity::{IdentityInfo, IdentityResolver};
pub use crate::state::live::{IdMap, LiveRead, Lookup, ProviderError, Scope};
pub(crate) use provider::failed;
pub use provider::{CredentialKind, Outcome, Provider};
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

    /// The kinds it manages.
    fn kinds(&self) -> &'static [Kind] {
        &[]
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
