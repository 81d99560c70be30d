//! The compile driver: a resolved policy becomes the desired state, every object carrying the
//! policy line that asks for it. Each service compiles its own section
//! ([`PolicySection::compile`](super::PolicySection::compile)) into the [`Compiler`], which
//! keeps what every section shares: principals by their resolution, one object per address
//! (the same principal written two ways in one container is an error), and the problems.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use super::model::{Policy, PrincipalRef};
use super::origin::{Located, Origin};
use super::problem::{Problem, Problems};
use super::resolve::Resolved;
use crate::state::{Address, ContainerMode, Desired, Kind, Principal};

/// Compiles a resolved policy at time `now`: each section in turn, in the order of the list
/// of services.
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
        managed_group_kind: policy.managed_group_kind,
        absent_groups: policy
            .managed_groups
            .iter()
            .filter(|(_, g)| g.absent)
            .map(|(name, _)| name.clone())
            .collect(),
    };
    c.desired.labels = resolved.labels.clone();
    for section in policy.sections() {
        section.compile(&mut c);
    }
    if c.problems.is_empty() {
        c.desired.state.pack();
        Ok(c.desired)
    } else {
        Err(Problems(c.problems))
    }
}

/// What the sections compile into: the desired state being built, the problems found, and
/// the resolution they name principals by.
pub struct Compiler<'a> {
    /// The resolution of every principal the policy names.
    pub resolved: &'a Resolved,
    /// The clock: grants expired by now are absent.
    pub now: DateTime<Utc>,
    /// The desired state so far.
    pub desired: Desired,
    /// The problems so far, reported together.
    pub problems: Vec<Problem>,
    /// First origin of every address, to report the same principal written twice.
    seen: BTreeMap<Address, Origin>,
    /// The kind of the managed groups' objects.
    managed_group_kind: Option<Kind>,
    /// Managed groups marked `absent: true`: nothing may grant them access.
    absent_groups: BTreeSet<String>,
}

/// The same principal written twice in one container, at its second place, citing the first.
pub fn listed_twice(origin: &Origin, first: &Origin, who: &str, p: Option<&Principal>) -> Problem {
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
    /// The canonical principal of a reference, or `None` (reported, unless resolution already
    /// did) when it did not resolve or names a deleted managed group.
    pub fn principal(&mut self, r: &Located<PrincipalRef>) -> Option<Principal> {
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
    pub fn claim(&mut self, address: &Address, origin: &Origin, who: &str) -> bool {
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

    /// The object of the managed group `p` is, if it is one: what a grant naming it waits
    /// for (a group created in the same plan exists before the grant is sent).
    pub fn managed_group(&self, p: &Principal) -> Option<Address> {
        match p {
            Principal::ManagedGroup(name) => self
                .managed_group_kind
                .map(|kind| Address::new(kind, [name.clone()])),
            _ => None,
        }
    }

    /// A container's mode: `mode:` when written, else authoritative.
    pub fn mode(o: &super::Ownership) -> ContainerMode {
        o.mode
            .as_ref()
            .map(|m| m.value)
            .unwrap_or(ContainerMode::Authoritative)
    }
}
