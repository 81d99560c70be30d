//! Compilation of `collections:` (see `docs/gcs-model.md`): a credential per (endpoint,
//! storage gateway), the collection, its directories, roles and ACL rules, keyed by the
//! collection's policy name. A credential's `identity_id` (the running identity) is not
//! compiled: compilation knows no caller, so the GCS provider fills it (it is a computed
//! field, never diffed).
use std::collections::BTreeMap;

use serde_json::Value;

use super::model::CollectionPolicy;
use crate::policy::{Compiler, Located, Problem};
use crate::services::transfer::policy::compile::{Compile as Rules, acl_container};
use crate::state::{Address, Container, Lookup, Object};

/// A base path as objects carry it: ending in `/`.
fn folder(p: &str) -> String {
    if p.ends_with('/') {
        p.to_string()
    } else {
        format!("{p}/")
    }
}
/// This section's compilation, with the core's [`Compiler`] at hand (`self.claim`, …).
pub(crate) struct Compile<'c, 'a> {
    /// The core's compiler.
    pub(crate) c: &'c mut Compiler<'a>,
    /// Credentials by address: the `local_username` asked for (and where), or none.
    pub(crate) credentials: BTreeMap<Address, Option<Located<String>>>,
}

impl<'a> std::ops::Deref for Compile<'_, 'a> {
    type Target = Compiler<'a>;
    fn deref(&self) -> &Compiler<'a> {
        self.c
    }
}

impl std::ops::DerefMut for Compile<'_, '_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        self.c
    }
}

impl<'a> Compile<'_, 'a> {
    /// Transfer's compilation of the rules and directories a guest collection holds.
    fn rules(&mut self) -> Rules<'_, 'a> {
        Rules(self.c)
    }
}

impl Compile<'_, '_> {
    /// The credential a guest collection is created with, once per (endpoint, gateway).
    pub(crate) fn credential(
        &mut self,
        c: &CollectionPolicy,
        endpoint: &str,
        gateway: &str,
    ) -> Address {
        let address = Address::new(super::super::CREDENTIAL, [endpoint, gateway]);
        let wanted = c.local_username.clone();
        match self.credentials.get(&address).cloned() {
            Some(Some(first)) => {
                if let Some(w) = &wanted
                    && w.value != first.value
                {
                    self.problems.push(
                        Problem::at(
                            &w.origin,
                            format!(
                                "collections on one endpoint and storage gateway share one credential, which cannot be both `{}` and `{}`",
                                first.value, w.value
                            ),
                        )
                        .also(&first.origin, "first asked for here")
                        .help("give every guest collection on this storage gateway the same `local_username`"),
                    );
                }
                return address;
            }
            Some(None) if wanted.is_none() => return address,
            _ => {}
        }
        self.credentials.insert(address.clone(), wanted.clone());
        let mut obj = Object::new(address.clone());
        let mut hints = BTreeMap::new();
        if let Some(u) = &wanted {
            obj.attrs.insert("username".into(), u.value.clone().into());
            hints.insert("username".to_string(), Value::from(u.value.clone()));
        }
        obj.provenance = Some(
            wanted
                .as_ref()
                .map_or(&c.origin, |w| &w.origin)
                .provenance(),
        );
        self.desired.state.insert(obj);
        self.desired.lookups.retain(|l| l.address != address);
        self.desired.lookups.push(Lookup {
            address: address.clone(),
            pin: None,
            previously: Vec::new(),
            hints,
        });
        address
    }

    pub(crate) fn collection(&mut self, c: &CollectionPolicy) {
        let Some(endpoint) = &c.endpoint else {
            self.problems.push(Problem::at(
                &c.origin,
                format!("collection `{}` has no endpoint", c.name),
            ));
            return;
        };
        let endpoint = endpoint.value.to_string();
        let n = c.name.clone();
        let address = Address::new(super::super::COLLECTION, [endpoint.clone(), n.clone()]);
        let display_name = c
            .display_name
            .as_ref()
            .map_or_else(|| n.clone(), |d| d.value.clone());
        let mut hints = BTreeMap::new();
        hints.insert(
            "display_name".to_string(),
            Value::from(display_name.clone()),
        );
        if let Some(m) = &c.mapped_collection {
            hints.insert(
                "mapped_collection_id".to_string(),
                Value::from(m.value.to_string()),
            );
        }
        self.desired.lookups.push(Lookup {
            address: address.clone(),
            pin: c.id.as_ref().map(|id| id.value.to_string()),
            previously: Vec::new(),
            hints,
        });
        if c.ownership
            .prevent_destroy
            .unwrap_or(super::super::COLLECTION.holds_data())
        {
            self.desired.prevent_destroy.insert(address.clone());
        }
        let provenance = Some(c.origin.provenance());
        // A tombstone's rules and roles are read, so the plan lists what goes with it.
        for container in [
            acl_container(&n),
            Address::partial(super::super::ROLE, [n.clone()]),
        ] {
            self.desired.state.containers.push(Container {
                address: container,
                mode: Compiler::mode(&c.ownership),
                manage_paths: Vec::new(),
                provenance: provenance.clone(),
            });
        }
        if c.absent {
            self.desired
                .tombstones
                .insert(address, c.origin.provenance());
            return;
        }
        let (Some(mapped), Some(gateway), Some(base)) =
            (&c.mapped_collection, &c.storage_gateway, &c.base_path)
        else {
            self.problems.push(Problem::at(
                &c.origin,
                format!("collection `{n}` is incomplete"),
            ));
            return;
        };
        let credential = self.credential(c, &endpoint, &gateway.value.to_string());
        let mut obj = Object::new(address.clone())
            .with("display_name", display_name)
            .with("collection_base_path", folder(&base.value))
            .with("mapped_collection_id", mapped.value.to_string())
            .with("storage_gateway_id", gateway.value.to_string());
        if let Some(p) = &c.public {
            obj.attrs.insert("public".into(), p.value.into());
        }
        for (k, v) in &c.document {
            obj.attrs.insert(k.clone(), v.value.clone());
        }
        obj.depends_on.push(credential);
        obj.provenance = provenance;
        self.desired.state.insert(obj);

        let dirs = self.rules().directories(&n, &c.directories, Some(&address));
        for g in &c.roles {
            let Some(p) = self.principal(&g.principal) else {
                continue;
            };
            let role = Address::new(
                super::super::ROLE,
                [n.clone(), g.role.as_str().to_string(), p.to_string()],
            );
            let who = self.resolved.label(&p);
            if !self.claim(
                &role,
                &g.principal.origin,
                &format!("{who} as {}", g.role.as_str()),
            ) {
                continue;
            }
            let mut obj = Object::new(role);
            obj.depends_on.push(address.clone());
            obj.depends_on.extend(self.managed_group(&p));
            obj.provenance = Some(g.principal.origin.provenance());
            self.desired.state.insert(obj);
        }
        self.rules().acl(&n, &c.acl, Some(&address), &dirs);
    }
}
