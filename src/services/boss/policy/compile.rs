//! Compilation of `boss:` (see `docs/boss-model.md`): groups with their members and
//! maintainers, coordinate frames, the collection → experiment → channel hierarchy, and each
//! named group's permission set on each resource. Boss names are a namespace of their own:
//! nothing here goes through principal resolution.

use serde_json::Value;

use super::model::{BossLevel, BossPolicy, BossResourcePolicy};
use crate::policy::{Compiler, Ownership};
use crate::state::Lookup;
use crate::state::{Address, Container, ContainerMode, Object};

/// The canonical key of a Boss user in addresses.
fn user_key(name: &str) -> String {
    crate::services::boss::principals::user(name).to_string()
}

/// The canonical key of a Boss group in addresses.
fn group_key(name: &str) -> String {
    crate::services::boss::principals::group(name).to_string()
}

/// A top-level Boss object, found live by its name.
fn lookup(address: &Address) -> Lookup {
    Lookup {
        address: address.clone(),
        pin: None,
        previously: Vec::new(),
        hints: Default::default(),
    }
}

fn mode_or(o: &Ownership, default: ContainerMode) -> ContainerMode {
    o.mode.as_ref().map_or(default, |m| m.value)
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
    pub(crate) fn boss(&mut self, b: &BossPolicy) {
        for g in b.groups.values() {
            let address = Address::new(super::super::GROUP, [g.name.clone()]);
            self.desired.lookups.push(lookup(&address));
            if g.absent {
                self.desired
                    .tombstones
                    .insert(address, g.origin.provenance());
                continue;
            }
            let mut obj = Object::new(address.clone());
            obj.provenance = Some(g.origin.provenance());
            self.desired.state.insert(obj);
            self.desired.state.containers.push(Container {
                address: Address::partial(super::super::MEMBER, [g.name.clone()]),
                mode: mode_or(&g.ownership, ContainerMode::Authoritative),
                manage_paths: Vec::new(),
                provenance: Some(g.origin.provenance()),
            });
            for (role, users) in [("member", &g.members), ("maintainer", &g.maintainers)] {
                for u in users {
                    let member = Address::new(
                        super::super::MEMBER,
                        [g.name.clone(), role.into(), user_key(&u.value)],
                    );
                    self.desired.labels.insert(
                        crate::services::boss::principals::user(&u.value),
                        u.value.clone(),
                    );
                    let mut obj = Object::new(member);
                    obj.depends_on.push(address.clone());
                    obj.provenance = Some(u.origin.provenance());
                    self.desired.state.insert(obj);
                }
            }
        }
        for f in b.frames.values() {
            let address = Address::new(super::super::FRAME, [f.name.clone()]);
            self.desired.lookups.push(lookup(&address));
            let mut obj = Object::new(address);
            obj.attrs
                .extend(f.fields.iter().map(|(k, v)| (k.clone(), v.clone())));
            obj.provenance = Some(f.origin.provenance());
            self.desired.state.insert(obj);
        }
        for r in b.resources.values() {
            self.boss_resource(b, r);
        }
    }

    fn boss_resource(&mut self, b: &BossPolicy, r: &BossResourcePolicy) {
        let address = Address::new(super::super::RESOURCE, [r.path.clone()]);
        self.desired.lookups.push(lookup(&address));
        // prevent_destroy holds a tombstone back too: lifting it is a reviewed, separate step.
        if r.ownership
            .prevent_destroy
            .unwrap_or(super::super::RESOURCE.holds_data())
        {
            self.desired.prevent_destroy.insert(address.clone());
        }
        if r.absent {
            self.desired
                .tombstones
                .insert(address, r.origin.provenance());
            return;
        }
        let mut obj = Object::new(address.clone());
        for (k, v) in &r.fields {
            obj.attrs.insert(k.clone(), v.value.clone());
        }
        if let Some((parent, _)) = r.path.rsplit_once('/') {
            obj.depends_on
                .push(Address::new(super::super::RESOURCE, [parent.to_string()]));
        }
        if let Some(cf) = r.fields.get("coord_frame").and_then(|v| v.value.as_str())
            && b.frames.contains_key(cf)
        {
            obj.depends_on
                .push(Address::new(super::super::FRAME, [cf.to_string()]));
        }
        if r.level == BossLevel::Channel {
            let experiment = r.path.rsplit_once('/').map_or("", |(e, _)| e);
            for field in ["sources", "related"] {
                let names = r
                    .fields
                    .get(field)
                    .and_then(|v| v.value.as_array())
                    .cloned()
                    .unwrap_or_default();
                for n in names.iter().filter_map(Value::as_str) {
                    let path = format!("{experiment}/{n}");
                    if b.resources.contains_key(&path) {
                        obj.depends_on
                            .push(Address::new(super::super::RESOURCE, [path]));
                    }
                }
            }
        }
        obj.provenance = Some(r.origin.provenance());
        self.desired.state.insert(obj);

        self.desired.state.containers.push(Container {
            address: Address::partial(super::super::PERMISSION, [r.path.clone()]),
            mode: mode_or(&r.ownership, ContainerMode::Keyed),
            manage_paths: Vec::new(),
            provenance: Some(r.origin.provenance()),
        });
        for grant in &r.permissions {
            let group = &grant.group.value;
            let key = Address::new(super::super::PERMISSION, [r.path.clone(), group_key(group)]);
            self.desired
                .labels
                .insert(super::super::principals::group(group), group.clone());
            if grant.permissions.is_empty() {
                // `group: []`: every permission of the group here goes.
                self.desired.revoked.insert(key, grant.origin.provenance());
                continue;
            }
            let names: Vec<Value> = grant
                .permissions
                .iter()
                .map(|p| Value::from(p.clone()))
                .collect();
            let mut obj = Object::new(key).with("permissions", names);
            obj.depends_on.push(address.clone());
            if b.groups.contains_key(group) {
                obj.depends_on
                    .push(Address::new(super::super::GROUP, [group.clone()]));
            }
            obj.provenance = Some(grant.origin.provenance());
            self.desired.state.insert(obj);
        }
    }
}
