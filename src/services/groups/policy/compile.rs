//! Compilation of `groups:`: each group and its members.

use serde_json::Value;

use super::model::GroupPolicy;
use crate::policy::{Compiler, Problem};
use crate::state::{Address, Container, ContainerMode, Lookup, Object, Principal, timestamp};

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
    pub(crate) fn group(&mut self, g: &GroupPolicy) {
        let address = Address::new(super::super::GROUP, [g.name.clone()]);
        self.desired.group_names.insert(g.name.clone());
        self.desired.lookups.push(Lookup {
            address: address.clone(),
            pin: g.id.as_ref().map(|id| id.value.to_string()),
            previously: g.previously.iter().map(|p| p.value.clone()).collect(),
            hints: Default::default(),
        });
        // prevent_destroy holds a tombstone back too: lifting it is a reviewed, separate step.
        if g.ownership.prevent_destroy == Some(true) {
            self.desired.prevent_destroy.insert(address.clone());
        }
        if g.absent {
            self.desired
                .tombstones
                .insert(address, g.origin.provenance());
            return;
        }
        if !g.ownership.ignore_changes.is_empty() {
            let fields = g
                .ownership
                .ignore_changes
                .iter()
                .map(|f| f.value.clone())
                .collect();
            self.desired.ignore_changes.insert(address.clone(), fields);
        }
        let mut obj = Object::new(address.clone()).with("name", g.name.clone());
        obj.provenance = Some(g.origin.provenance());
        if let Some(d) = &g.description {
            obj.attrs
                .insert("description".into(), d.value.clone().into());
        }
        if let Some(p) = &g.policies {
            let p = &p.value;
            let mut set = |k: &str, v: Option<Value>| {
                if let Some(v) = v {
                    obj.attrs.insert(k.into(), v);
                }
            };
            set(
                "group_visibility",
                p.group_visibility.clone().map(Value::from),
            );
            set(
                "group_members_visibility",
                p.group_members_visibility.clone().map(Value::from),
            );
            set("join_requests", p.join_requests.map(Value::from));
            set(
                "signup_fields",
                p.signup_fields.clone().map(|mut v| {
                    v.sort();
                    Value::from(v)
                }),
            );
            set(
                "authentication_assurance_timeout",
                p.authentication_assurance_timeout.map(Value::from),
            );
            set("is_high_assurance", p.is_high_assurance.map(Value::from));
        }
        self.desired.state.insert(obj);
        self.desired.state.containers.push(Container {
            address: address.clone(),
            mode: g
                .ownership
                .mode
                .as_ref()
                .map(|m| m.value)
                .unwrap_or(ContainerMode::Authoritative),
            manage_paths: Vec::new(),
            provenance: Some(g.origin.provenance()),
        });
        for m in &g.members {
            let Some(p) = self.principal(&m.principal) else {
                continue;
            };
            if !matches!(p, Principal::Identity(_)) {
                self.problems.push(
                    Problem::at(
                        &m.principal.origin,
                        format!("group members must be identities, not `{p}`"),
                    )
                    .help("nest groups by granting access to both groups instead"),
                );
                continue;
            }
            let member = Address::new(super::super::MEMBER, [g.name.clone(), p.to_string()]);
            let who = self.resolved.label(&p);
            if !self.claim(&member, &m.origin, &who) {
                continue;
            }
            if let Some(exp) = m.expires
                && exp <= self.now
            {
                self.desired
                    .expired
                    .insert(member, (exp, m.origin.provenance()));
                continue;
            }
            let mut obj = Object::new(member).with("role", m.role.as_str());
            if let Some(exp) = m.expires {
                obj.attrs.insert("expires".into(), timestamp(&exp).into());
            }
            obj.depends_on.push(address.clone());
            obj.provenance = Some(m.origin.provenance());
            self.desired.state.insert(obj);
        }
    }
}
