//! The desired state: what compilation of a policy asks for, and what the diff needs beside
//! the objects themselves.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, SecondsFormat, Utc};

use super::address::Address;
use super::live::Lookup;
use super::object::{Provenance, State};
use super::principal::Principal;

/// The desired state plus what the diff needs beside the objects themselves.
#[derive(Debug, Clone, Default)]
pub struct Desired {
    /// Objects and managed containers.
    pub state: State,
    /// Top-level objects to find live (groups by pin or name), tombstones included.
    pub lookups: Vec<Lookup>,
    /// Tombstoned top-level objects (`absent: true`) and where they are written.
    pub tombstones: BTreeMap<Address, Provenance>,
    /// Grants the policy revokes explicitly (a group given `[]` on a resource of a keyed
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
