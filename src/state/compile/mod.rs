//! Compilation: a resolved policy becomes the desired state, every object carrying the
//! policy line that asks for it.
//!
//! Guest collections follow `docs/gcs-model.md`: a credential per (endpoint, storage gateway),
//! the collection, its directories, roles and ACL rules, keyed by the collection's policy
//! name. A credential's `identity_id` (the running identity) is not compiled: compilation
//! knows no caller, so the GCS provider fills it (it is a computed field, never diffed).

mod boss;
mod search;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;

use super::address::Address;
use super::object::{Container, ContainerMode, Object, Provenance, State};
use super::principal::Principal;
use super::problem::{Problem, Problems};
use super::resolve::Resolved;
use crate::policy::{
    AclRule, CollectionPolicy, Directory, EndpointPolicy, GroupPolicy, ID_PLACEHOLDER, Located,
    Origin, Policy, PrincipalRef,
};
use crate::state::Lookup;

/// The desired state plus what the diff needs beside the objects themselves.
#[derive(Debug, Clone, Default)]
pub struct Desired {
    /// Objects and managed containers.
    pub state: State,
    /// Top-level objects to find live (groups by pin or name), tombstones included.
    pub lookups: Vec<Lookup>,
    /// Tombstoned top-level objects (`absent: true`) and where they are written.
    pub tombstones: BTreeMap<Address, Provenance>,
    /// Grants the policy revokes explicitly (a Boss group given `[]` on a resource of a keyed
    /// container), and where: removed when live, like a tombstone.
    pub revoked: BTreeMap<Address, Provenance>,
    /// Grants whose `expires` has passed: absent from `state`, so a live one is revoked.
    pub expired: BTreeMap<Address, (DateTime<Utc>, Provenance)>,
    /// Objects whose deletion is refused.
    pub prevent_destroy: BTreeSet<Address>,
    /// Fields the diff must not fight over, per object.
    pub ignore_changes: BTreeMap<Address, BTreeSet<String>>,
    /// Labels for principals (aliases, usernames).
    pub labels: BTreeMap<Principal, String>,
    /// Top-level objects whose container contents are authoritative etc. live here too.
    pub group_names: BTreeSet<String>,
}

/// Formats a timestamp the one way objects carry it.
pub fn timestamp(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Compiles a resolved policy at time `now`.
pub fn compile(
    policy: &Policy,
    resolved: &Resolved,
    now: DateTime<Utc>,
) -> Result<Desired, Problems> {
    let mut c = Compiler {
        resolved,
        now,
        desired: Desired::default(),
        problems: Vec::new(),
        seen: BTreeMap::new(),
        credentials: BTreeMap::new(),
        absent_groups: policy
            .groups
            .values()
            .filter(|g| g.absent)
            .map(|g| g.name.clone())
            .collect(),
    };
    c.desired.labels = resolved.labels.clone();
    for group in policy.groups.values() {
        c.group(group);
    }
    for endpoint in policy.endpoints.values() {
        c.endpoint(endpoint);
    }
    for collection in policy.collections.values() {
        c.collection(collection);
    }
    for index in policy.search_indexes.values() {
        c.search_index(index);
    }
    if let Some(b) = &policy.boss {
        c.boss(b);
    }
    if c.problems.is_empty() {
        c.desired.state.pack();
        Ok(c.desired)
    } else {
        Err(Problems(c.problems))
    }
}

struct Compiler<'a> {
    resolved: &'a Resolved,
    now: DateTime<Utc>,
    desired: Desired,
    problems: Vec<Problem>,
    /// First origin of every address, to report the same principal written twice.
    seen: BTreeMap<Address, Origin>,
    /// Credentials by address: the `local_username` asked for (and where), or none.
    credentials: BTreeMap<Address, Option<Located<String>>>,
    /// Managed groups marked `absent: true`: nothing may grant them access.
    absent_groups: BTreeSet<String>,
}

/// The same principal written twice in one container, at its second place, citing the first.
fn listed_twice(origin: &Origin, first: &Origin, who: &str, p: Option<&Principal>) -> Problem {
    let help = match p {
        Some(Principal::ManagedGroup(_)) => {
            "a group this workspace manages, written by its UUID (`group:<uuid>`, \
             `urn:globus:groups:id:<uuid>`), is `group:NAME`: list it once"
        }
        _ => "the same person written two ways (alias, username, id) resolves to one principal",
    };
    Problem::at(
        origin,
        format!("{who} is listed twice in the same container"),
    )
    .also(first, "first listed here")
    .help(help)
}

/// The ACL container of a collection: by UUID for endpoints, by policy name for guest
/// collections.
fn acl_container(collection: &str) -> Address {
    Address::partial(crate::services::transfer::ACL, [collection.to_string()])
}

/// A guest collection's partial address `gcs.collection[N]`, under which providers find its
/// id (`IdMap`).
pub fn collection_id_key(name: &str) -> Address {
    Address::partial(crate::services::gcs::COLLECTION, [name.to_string()])
}

/// A base path as objects carry it: ending in `/`.
fn folder(p: &str) -> String {
    if p.ends_with('/') {
        p.to_string()
    } else {
        format!("{p}/")
    }
}

impl Compiler<'_> {
    fn principal(&mut self, r: &Located<PrincipalRef>) -> Option<Principal> {
        match self.resolved.get(&r.value) {
            // Only an id can name a tombstone here: validation refuses `group:NAME` of one.
            Some(Principal::ManagedGroup(name)) if self.absent_groups.contains(name) => {
                self.problems.push(
                    Problem::at(
                        &r.origin,
                        format!(
                            "this is the id of group `{name}`, marked `absent: true`, which accord deletes"
                        ),
                    )
                    .help("remove this reference, or the group's `absent: true`"),
                );
                None
            }
            Some(p) => Some(p.clone()),
            // Resolution already reported it, citing every use.
            None if self.resolved.failed.contains(&r.value) => None,
            None => {
                self.problems.push(Problem::at(
                    &r.origin,
                    format!("unresolved principal {:?}", r.value),
                ));
                None
            }
        }
    }

    /// Registers an address once; the same principal written two ways in one container is an error.
    fn claim(&mut self, address: &Address, origin: &Origin, who: &str) -> bool {
        if let Some(first) = self.seen.get(address) {
            // Grants end in their principal; a directory's last key is a path.
            let principal = address.keys.last().and_then(|k| k.parse().ok());
            self.problems
                .push(listed_twice(origin, first, who, principal.as_ref()));
            return false;
        }
        self.seen.insert(address.clone(), origin.clone());
        true
    }

    fn group(&mut self, g: &GroupPolicy) {
        let address = Address::new(crate::services::groups::GROUP, [g.name.clone()]);
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
            let member = Address::new(
                crate::services::groups::MEMBER,
                [g.name.clone(), p.to_string()],
            );
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

    fn mode(o: &crate::policy::Ownership) -> ContainerMode {
        o.mode
            .as_ref()
            .map(|m| m.value)
            .unwrap_or(ContainerMode::Authoritative)
    }

    fn endpoint(&mut self, e: &EndpointPolicy) {
        let collection = e.id.to_string();
        let dirs = self.directories(&collection, &e.directories, None);
        self.desired.state.containers.push(Container {
            address: acl_container(&collection),
            mode: Self::mode(&e.ownership),
            manage_paths: e.manage_paths.iter().map(|p| p.value.clone()).collect(),
            provenance: Some(e.origin.provenance()),
        });
        self.acl(&collection, &e.acl, None, &dirs);
    }

    /// `{id}` in `path` replaced by the identity UUID of `p`; `None` (reported) when `p` is
    /// not an identity.
    fn substitute(&mut self, path: &Located<String>, p: &Principal) -> Option<String> {
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
    fn directories(
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
                let address = Address::new(
                    crate::services::transfer::DIRECTORY,
                    [c.to_string(), path.clone()],
                );
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
    fn acl(
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
                crate::services::transfer::ACL,
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
                obj.depends_on.push(Address::new(
                    crate::services::transfer::DIRECTORY,
                    [c.to_string(), path],
                ));
            }
            if let Principal::ManagedGroup(name) = &p {
                obj.depends_on
                    .push(Address::new(crate::services::groups::GROUP, [name.clone()]));
            }
            obj.provenance = Some(rule.origin.provenance());
            self.desired.state.insert(obj);
        }
    }

    /// The credential a guest collection is created with, once per (endpoint, gateway).
    fn credential(&mut self, c: &CollectionPolicy, endpoint: &str, gateway: &str) -> Address {
        let address = Address::new(crate::services::gcs::CREDENTIAL, [endpoint, gateway]);
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

    fn collection(&mut self, c: &CollectionPolicy) {
        let Some(endpoint) = &c.endpoint else {
            self.problems.push(Problem::at(
                &c.origin,
                format!("collection `{}` has no endpoint", c.name),
            ));
            return;
        };
        let endpoint = endpoint.value.to_string();
        let n = c.name.clone();
        let address = Address::new(
            crate::services::gcs::COLLECTION,
            [endpoint.clone(), n.clone()],
        );
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
            .unwrap_or(crate::services::gcs::COLLECTION.holds_data())
        {
            self.desired.prevent_destroy.insert(address.clone());
        }
        let provenance = Some(c.origin.provenance());
        // A tombstone's rules and roles are read, so the plan lists what goes with it.
        for container in [
            acl_container(&n),
            Address::partial(crate::services::gcs::ROLE, [n.clone()]),
        ] {
            self.desired.state.containers.push(Container {
                address: container,
                mode: Self::mode(&c.ownership),
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

        let dirs = self.directories(&n, &c.directories, Some(&address));
        for g in &c.roles {
            let Some(p) = self.principal(&g.principal) else {
                continue;
            };
            let role = Address::new(
                crate::services::gcs::ROLE,
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
            if let Principal::ManagedGroup(name) = &p {
                obj.depends_on
                    .push(Address::new(crate::services::groups::GROUP, [name.clone()]));
            }
            obj.provenance = Some(g.principal.origin.provenance());
            self.desired.state.insert(obj);
        }
        self.acl(&n, &c.acl, Some(&address), &dirs);
    }
}
