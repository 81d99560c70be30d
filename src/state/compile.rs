//! Compilation: a resolved policy becomes the desired state, every object carrying the
//! policy line that asks for it.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;

use super::address::Address;
use super::kind::Kind;
use super::object::{Container, ContainerMode, Object, Provenance, State};
use super::principal::Principal;
use super::problem::{Problem, Problems};
use super::resolve::Resolved;
use crate::policy::{GroupPolicy, Located, Origin, Policy, PrincipalRef};
use crate::providers::Lookup;

/// The desired state plus what the diff needs beside the objects themselves.
#[derive(Debug, Clone, Default)]
pub struct Desired {
    /// Objects and managed containers.
    pub state: State,
    /// Top-level objects to find live (groups by pin or name), tombstones included.
    pub lookups: Vec<Lookup>,
    /// Tombstoned top-level objects (`absent: true`) and where they are written.
    pub tombstones: BTreeMap<Address, Provenance>,
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
    };
    c.desired.labels = resolved.labels.clone();
    for group in policy.groups.values() {
        c.group(group);
    }
    for endpoint in policy.endpoints.values() {
        c.endpoint(endpoint);
    }
    for (name, l) in &policy.collections {
        c.unsupported(
            &l.origin,
            &format!("guest collection `{name}`"),
            "collections:",
        );
    }
    for (name, l) in &policy.search_indexes {
        c.unsupported(&l.origin, &format!("search index `{name}`"), "search:");
    }
    if let Some(o) = &policy.boss {
        c.unsupported(o, "the `boss:` section", "boss:");
    }
    if c.problems.is_empty() {
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
}

impl Compiler<'_> {
    fn unsupported(&mut self, origin: &Origin, what: &str, section: &str) {
        self.problems.push(
            Problem::at(
                origin,
                format!(
                    "{what} cannot be planned yet: no provider for `{section}` in this version"
                ),
            )
            .help(
                "`accord validate` accepts it; planning arrives with the provider for that service",
            ),
        );
    }

    fn principal(&mut self, r: &Located<PrincipalRef>) -> Option<Principal> {
        match self.resolved.get(&r.value) {
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
            self.problems.push(
                Problem::at(origin, format!("{who} is listed twice in the same container"))
                    .also(first, "first listed here")
                    .help("the same person written two ways (alias, username, id) resolves to one principal"),
            );
            return false;
        }
        self.seen.insert(address.clone(), origin.clone());
        true
    }

    fn group(&mut self, g: &GroupPolicy) {
        let address = Address::new(Kind::GlobusGroup, [g.name.clone()]);
        self.desired.group_names.insert(g.name.clone());
        self.desired.lookups.push(Lookup {
            address: address.clone(),
            pin: g.id.as_ref().map(|id| id.value.to_string()),
            previously: g.previously.iter().map(|p| p.value.clone()).collect(),
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
            let member = Address::new(Kind::GlobusMember, [g.name.clone(), p.to_string()]);
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

    fn endpoint(&mut self, e: &crate::policy::EndpointPolicy) {
        let collection = e.id.to_string();
        for d in &e.directories {
            self.unsupported(
                &d.origin,
                &format!("directory `{}`", d.value),
                "directories:",
            );
        }
        self.desired.state.containers.push(Container {
            address: Address {
                kind: Kind::TransferAcl,
                keys: vec![collection.clone()],
            },
            mode: e
                .ownership
                .mode
                .as_ref()
                .map(|m| m.value)
                .unwrap_or(ContainerMode::Authoritative),
            manage_paths: e.manage_paths.iter().map(|p| p.value.clone()).collect(),
            provenance: Some(e.origin.provenance()),
        });
        for rule in &e.acl {
            let Some(p) = self.principal(&rule.principal) else {
                continue;
            };
            let address = Address::new(
                Kind::TransferAcl,
                [collection.clone(), rule.path.value.clone(), p.to_string()],
            );
            let who = self.resolved.label(&p);
            if !self.claim(
                &address,
                &rule.origin,
                &format!("{who} on {}", rule.path.value),
            ) {
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
            if let Principal::ManagedGroup(name) = &p {
                obj.depends_on
                    .push(Address::new(Kind::GlobusGroup, [name.clone()]));
            }
            obj.provenance = Some(rule.origin.provenance());
            self.desired.state.insert(obj);
        }
    }
}
