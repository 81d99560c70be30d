//! Compilation of `endpoints:`, and of the ACL rules and directories guest collections share.
use std::collections::BTreeSet;

use serde_json::Value;

use super::model::{AclRule, Directory, EndpointPolicy, ID_PLACEHOLDER};
use crate::policy::{Compiler, Located, Problem};
use crate::state::{Address, Container, Lookup, Object, Principal, timestamp};

/// The ACL container of a collection: by UUID for endpoints, by policy name for guest
/// collections.
pub fn acl_container(collection: &str) -> Address {
    Address::partial(super::super::ACL, [collection.to_string()])
}
/// This section's compilation, with the core's [`Compiler`] at hand (`self.claim`, …).
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
    pub(crate) fn endpoint(&mut self, e: &EndpointPolicy) {
        let collection = e.id.to_string();
        let dirs = self.directories(&collection, &e.directories, None);
        self.desired.state.containers.push(Container {
            address: acl_container(&collection),
            mode: Compiler::mode(&e.ownership),
            manage_paths: e.manage_paths.iter().map(|p| p.value.clone()).collect(),
            provenance: Some(e.origin.provenance()),
        });
        self.acl(&collection, &e.acl, None, &dirs);
    }

    /// `{id}` in `path` replaced by the identity UUID of `p`; `None` (reported) when `p` is
    /// not an identity.
    pub(crate) fn substitute(&mut self, path: &Located<String>, p: &Principal) -> Option<String> {
        if !path.value.contains(ID_PLACEHOLDER) {
            return Some(path.value.clone());
        }
        match p {
            Principal::Identity(id) => Some(path.value.replace(ID_PLACEHOLDER, &id.to_string())),
            other => {
                self.problems.push(
                    Problem::at(
                        &path.origin,
                        format!("`{{id}}` needs an identity, and `{other}` is not one"),
                    )
                    .help("`{id}` is replaced with an identity's UUID"),
                );
                None
            }
        }
    }

    /// The directories of collection `c` (endpoint UUID or guest collection name), each
    /// looked up live; returns the concrete paths declared.
    pub(crate) fn directories(
        &mut self,
        c: &str,
        dirs: &[Directory],
        collection: Option<&Address>,
    ) -> BTreeSet<String> {
        let mut paths = BTreeSet::new();
        for d in dirs {
            let mut concrete = Vec::new();
            if d.for_principals.is_empty() {
                concrete.push((d.path.value.clone(), d.origin.clone(), d.path.value.clone()));
            }
            for r in &d.for_principals {
                let Some(p) = self.principal(r) else {
                    continue;
                };
                let Some(path) = self.substitute(&d.path, &p) else {
                    continue;
                };
                let who = self.resolved.label(&p);
                concrete.push((path, r.origin.clone(), format!("directory for {who}")));
            }
            for (path, origin, what) in concrete {
                let address = Address::new(super::super::DIRECTORY, [c.to_string(), path.clone()]);
                if !self.claim(&address, &origin, &format!("{what} at {path}")) {
                    continue;
                }
                let mut obj = Object::new(address.clone());
                obj.depends_on.extend(collection.cloned());
                obj.provenance = Some(origin.provenance());
                self.desired.state.insert(obj);
                self.desired.lookups.push(Lookup {
                    address,
                    pin: None,
                    previously: Vec::new(),
                    hints: Default::default(),
                });
                paths.insert(path);
            }
        }
        paths
    }

    /// The ACL rules of collection `c`; each waits for the collection (when accord creates
    /// it), the directory at its path (when declared) and the managed group it names.
    pub(crate) fn acl(
        &mut self,
        c: &str,
        rules: &[AclRule],
        collection: Option<&Address>,
        dirs: &BTreeSet<String>,
    ) {
        for rule in rules {
            let Some(p) = self.principal(&rule.principal) else {
                continue;
            };
            let Some(path) = self.substitute(&rule.path, &p) else {
                continue;
            };
            let address = Address::new(
                super::super::ACL,
                [c.to_string(), path.clone(), p.to_string()],
            );
            let who = self.resolved.label(&p);
            let written = &rule.principal.origin;
            if !self.claim(&address, written, &format!("{who} on {path}")) {
                continue;
            }
            if let Some(exp) = rule.expires
                && exp <= self.now
            {
                self.desired
                    .expired
                    .insert(address, (exp, rule.origin.provenance()));
                continue;
            }
            let mut obj = Object::new(address)
                .with("permissions", rule.permissions.as_str())
                .with(
                    "expires",
                    rule.expires
                        .as_ref()
                        .map(timestamp)
                        .map(Value::from)
                        .unwrap_or(Value::Null),
                );
            if let Some(n) = &rule.notify_email {
                obj.attrs.insert("notify_email".into(), n.clone().into());
            }
            obj.depends_on.extend(collection.cloned());
            if dirs.contains(&path) {
                obj.depends_on
                    .push(Address::new(super::super::DIRECTORY, [c.to_string(), path]));
            }
            obj.depends_on.extend(self.managed_group(&p));
            obj.provenance = Some(rule.origin.provenance());
            self.desired.state.insert(obj);
        }
    }
}
