//! Compilation of `search:` (see `docs/search-model.md`): index roles, and the access to
//! each declared subject (`visible_to`, `principal_sets`). accord manages access, never
//! content: subjects are looked up, never created.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::model::SearchIndexPolicy;
use crate::policy::compile::{Compiler, listed_twice};
use crate::policy::{Located, Origin, PrincipalRef};
use crate::state::Lookup;
use crate::state::{Address, Container, ContainerMode, Object, Principal};

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
    pub(crate) fn search_index(&mut self, index: &SearchIndexPolicy) {
        let id = index.id.to_string();
        // An index whose policy names only documents leaves its roles alone.
        if index.manage_roles {
            self.search_roles(index, &id);
        }
        for doc in index.documents.values() {
            let address = Address::new(super::super::ENTRY, [id.clone(), doc.subject.clone()]);
            self.desired.lookups.push(Lookup {
                address: address.clone(),
                pin: None,
                previously: Vec::new(),
                hints: Default::default(),
            });
            let mut obj = Object::new(address);
            if let Some(v) = &doc.visible_to {
                let list = self.principal_values(&v.value, &mut obj.depends_on);
                obj.attrs.insert("visible_to".into(), list);
            }
            if let Some(sets) = &doc.principal_sets {
                let mut out = Map::new();
                for (name, members) in &sets.value {
                    out.insert(
                        name.clone(),
                        self.principal_values(members, &mut obj.depends_on),
                    );
                }
                obj.attrs
                    .insert("principal_sets".into(), Value::Object(out));
            }
            obj.depends_on.sort();
            obj.depends_on.dedup();
            obj.provenance = Some(doc.origin.provenance());
            self.desired.state.insert(obj);
        }
    }

    /// The index's roles: an authoritative container (unless `mode:` says otherwise).
    fn search_roles(&mut self, index: &SearchIndexPolicy, id: &str) {
        let id = id.to_string();
        self.desired.state.containers.push(Container {
            address: Address::partial(super::super::ROLE, [id.clone()]),
            mode: index
                .ownership
                .mode
                .as_ref()
                .map_or(ContainerMode::Authoritative, |m| m.value),
            manage_paths: Vec::new(),
            provenance: Some(index.origin.provenance()),
        });
        for grant in &index.roles {
            let Some(p) = self.principal(&grant.principal) else {
                continue;
            };
            let address = Address::new(
                super::super::ROLE,
                [id.clone(), grant.role.clone(), p.to_string()],
            );
            let who = self.resolved.label(&p);
            if !self.claim(
                &address,
                &grant.principal.origin,
                &format!("{who} as {}", grant.role),
            ) {
                continue;
            }
            let mut obj = Object::new(address);
            obj.depends_on.extend(self.managed_group(&p));
            obj.provenance = Some(grant.principal.origin.provenance());
            self.desired.state.insert(obj);
        }
    }

    /// Canonical principals as a sorted JSON list; managed groups named become dependencies.
    /// One principal written two ways in the list is an error.
    fn principal_values(
        &mut self,
        refs: &[Located<PrincipalRef>],
        depends_on: &mut Vec<Address>,
    ) -> Value {
        let mut first_at: BTreeMap<Principal, &Origin> = BTreeMap::new();
        for r in refs {
            let Some(p) = self.principal(r) else {
                continue;
            };
            if let Some(first) = first_at.get(&p) {
                let who = self.resolved.label(&p);
                self.problems
                    .push(listed_twice(&r.origin, first, &who, Some(&p)));
                continue;
            }
            depends_on.extend(self.managed_group(&p));
            first_at.insert(p, &r.origin);
        }
        // Sorted as strings, the order live lists are compared in.
        let mut out: Vec<String> = first_at.keys().map(Principal::to_string).collect();
        out.sort();
        out.into()
    }
}
