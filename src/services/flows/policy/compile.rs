//! Compilation of `flows:`: each list the policy names is an authoritative container of its
//! entries, one object per principal with its provenance. A list left out is not a container,
//! so its live entries are left alone; `[]` is a container with nothing in it.

use super::model::FlowPolicy;
use crate::policy::compile::Compiler;
use crate::services::flows::kinds::ROLE;
use crate::state::{Address, Container, ContainerMode, Object};

/// This section's compilation, with the core's [`Compiler`] at hand.
pub(crate) struct Compile<'c, 'a>(pub(crate) &'c mut Compiler<'a>);

impl<'a> std::ops::Deref for Compile<'_, 'a> {
    type Target = Compiler<'a>;
    fn deref(&self) -> &Compiler<'a> {
        self.0
    }
}

impl std::ops::DerefMut for Compile<'_, '_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        self.0
    }
}

impl Compile<'_, '_> {
    /// One flow's lists.
    pub(crate) fn flow(&mut self, flow: &FlowPolicy) {
        let id = flow.id.to_string();
        for (list, principals) in &flow.lists {
            self.desired.state.containers.push(Container {
                address: Address::partial(ROLE, [id.clone(), list.to_string()]),
                mode: ContainerMode::Authoritative,
                manage_paths: Vec::new(),
                provenance: Some(principals.origin.provenance()),
            });
            for r in &principals.value {
                let Some(p) = self.principal(r) else {
                    continue;
                };
                let address = Address::new(ROLE, [id.clone(), list.to_string(), p.to_string()]);
                let who = self.resolved.label(&p);
                if !self.claim(&address, &r.origin, &format!("{who} in {list}")) {
                    continue;
                }
                let mut obj = Object::new(address);
                // A group the same plan creates exists before its URN is sent.
                obj.depends_on.extend(self.managed_group(&p));
                obj.provenance = Some(r.origin.provenance());
                self.desired.state.insert(obj);
            }
        }
    }
}
