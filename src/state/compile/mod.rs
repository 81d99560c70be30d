//! Compilation: a resolved policy becomes the desired state, every object carrying the
//! policy line that asks for it. Each service compiles its own sections (`services/*/policy/compile.rs`).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, SecondsFormat, Utc};

use super::address::Address;
use super::object::{ContainerMode, Provenance, State};
use super::principal::Principal;
use super::problem::{Problem, Problems};
use super::resolve::Resolved;
use crate::policy::{Located, Origin, Policy, PrincipalRef};
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

/// The compiler's state: what the services' compilation adds to.
pub(crate) struct Compiler<'a> {
    pub(crate) resolved: &'a Resolved,
    pub(crate) now: DateTime<Utc>,
    pub(crate) desired: Desired,
    pub(crate) problems: Vec<Problem>,
    /// First origin of every address, to report the same principal written twice.
    pub(crate) seen: BTreeMap<Address, Origin>,
    /// Credentials by address: the `local_username` asked for (and where), or none.
    pub(crate) credentials: BTreeMap<Address, Option<Located<String>>>,
    /// Managed groups marked `absent: true`: nothing may grant them access.
    pub(crate) absent_groups: BTreeSet<String>,
}

/// The same principal written twice in one container, at its second place, citing the first.
pub(crate) fn listed_twice(
    origin: &Origin,
    first: &Origin,
    who: &str,
    p: Option<&Principal>,
) -> Problem {
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
impl Compiler<'_> {
    pub(crate) fn principal(&mut self, r: &Located<PrincipalRef>) -> Option<Principal> {
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
    pub(crate) fn claim(&mut self, address: &Address, origin: &Origin, who: &str) -> bool {
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
    pub(crate) fn mode(o: &crate::policy::Ownership) -> ContainerMode {
        o.mode
            .as_ref()
            .map(|m| m.value)
            .unwrap_or(ContainerMode::Authoritative)
    }
}
