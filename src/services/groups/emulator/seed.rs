//! Groups' seed section (`groups`): groups with their policies and members. Transfer's roles
//! and rules and Search's principals name groups, which they resolve through
//! [`GroupsSeed::directory`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::service::emulator::derived_id;
use crate::services::auth::emulator::SeedDirectory;
use crate::services::groups::wire::{GroupPoliciesWrite, MembershipStatus, Role};

/// Groups' part of a seed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupsSeed {
    /// Globus groups with their members.
    #[serde(default)]
    pub groups: Vec<SeedGroup>,
}

/// A Globus group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedGroup {
    /// Group UUID; derived from the name when omitted.
    #[serde(default)]
    pub id: Option<Uuid>,
    /// Display name.
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Policies; unset ones take the service defaults.
    #[serde(default)]
    pub policies: Option<GroupPoliciesWrite>,
    /// Memberships.
    #[serde(default)]
    pub members: Vec<SeedMember>,
}

impl SeedGroup {
    /// The group id, explicit or derived from the name.
    pub fn id(&self) -> Uuid {
        self.id.unwrap_or_else(|| derived_id("group", &self.name))
    }
}

/// One membership of a seeded group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedMember {
    /// An identity id or username (clients included).
    pub identity: String,
    /// `member` (default), `manager` or `admin`.
    #[serde(default = "member")]
    pub role: Role,
    /// `active` (default), `invited`, `pending`, `left`, ...
    #[serde(default = "active")]
    pub status: MembershipStatus,
}

fn member() -> Role {
    Role::Member
}

fn active() -> MembershipStatus {
    MembershipStatus::Active
}

/// The groups a seed defines, to resolve the other sections' group references: any group
/// UUID (a group accord does not manage, seeded or not), or the name of exactly one group.
#[derive(Debug, Clone, Default)]
pub struct SeedGroups {
    by_name: BTreeMap<String, (usize, Uuid)>,
}

impl SeedGroups {
    /// The group `r` names, if it is a UUID or the name of exactly one seeded group.
    pub fn group(&self, r: &str) -> Option<Uuid> {
        match r.parse::<Uuid>() {
            // An unseeded group UUID is fine: Transfer accepts any group id.
            Ok(id) => Some(id),
            Err(_) => match self.by_name.get(r) {
                Some((1, id)) => Some(*id),
                _ => None,
            },
        }
    }
}

impl GroupsSeed {
    /// The groups this section defines, for the other sections' references.
    pub fn directory(&self) -> SeedGroups {
        let mut d = SeedGroups::default();
        for g in &self.groups {
            let e = d.by_name.entry(g.name.clone()).or_insert((0, g.id()));
            e.0 += 1;
        }
        d
    }

    /// Adds the problems of this section: repeated ids, members that are no seeded identity.
    pub fn validate(&self, identities: &SeedDirectory, problems: &mut Vec<String>) {
        let mut ids = BTreeMap::new();
        for g in &self.groups {
            if ids.insert(g.id(), ()).is_some() {
                problems.push(format!("duplicate group id {} ({})", g.id(), g.name));
            }
        }
        for g in &self.groups {
            for m in &g.members {
                if identities.identity(&m.identity).is_none() {
                    problems.push(format!(
                        "group {}: unknown member identity {}",
                        g.name, m.identity
                    ));
                }
            }
        }
    }
}
