//! The policy half of the service contract: a service's keys of the policy files, what it
//! reads under them, and what the later stages ask of its merged part. The traits live with
//! the core's policy loading ([`crate::policy::section`]), which calls them; a service
//! implements them in its folder and returns its [`ServicePolicy`] from
//! [`Service::policy`](super::Service::policy).

pub use crate::policy::section::{
    FileSection, ParsedValue, PolicyServices, SpecialPrincipal, Summary, TargetSection, Yaml,
    YamlError, property_schema, values,
};
pub use crate::policy::{Declared, PolicySection, ServicePolicy};

use super::Services;

impl PolicyServices for Services {
    fn policies(&self) -> Vec<&dyn ServicePolicy> {
        self.iter().filter_map(|s| s.policy()).collect()
    }
}
