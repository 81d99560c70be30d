//! Groups' state: groups with their policies and memberships. Transfer, GCS and Search ask
//! it which groups a caller is an active member of ([`active_groups`]).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::seed::GroupsSeed;
use crate::service::emulator::{ServiceState, World, fmt_time, to_map};
use crate::services::auth::emulator::Directory;
use crate::services::groups::wire::{GroupPolicies, GroupPoliciesWrite, MembershipStatus, Role};

/// Groups' state: the `groups` key of the whole-state JSON.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupsState {
    /// Groups by id.
    pub groups: BTreeMap<Uuid, GroupRec>,
}

/// A group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupRec {
    /// Group id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Terms and conditions.
    pub terms_and_conditions: Option<String>,
    /// Parent group.
    pub parent_id: Option<Uuid>,
    /// Policies.
    pub policies: GroupPolicies,
    /// Memberships by identity, in every status.
    pub members: BTreeMap<Uuid, MemberRec>,
}

/// One membership.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberRec {
    /// Role.
    pub role: Role,
    /// Status.
    pub status: MembershipStatus,
    /// Reason of the last change.
    pub status_reason: Option<String>,
    /// Time of the last change.
    pub updated: String,
}

impl ServiceState for GroupsState {
    fn save(&self) -> Result<Map<String, Value>, serde_json::Error> {
        to_map(self)
    }
}

impl GroupsState {
    /// The groups a seed section describes; members resolve against Auth's identities
    /// (`dir`), and those that do not are skipped.
    pub fn from_seed(seed: &GroupsSeed, dir: Option<&Directory>, now: DateTime<Utc>) -> Self {
        let stamp = fmt_time(now);
        let mut st = GroupsState::default();
        for g in &seed.groups {
            let mut policies = GroupPolicies::default();
            if let Some(p) = &g.policies {
                apply_policies(&mut policies, p);
            }
            let mut members = BTreeMap::new();
            for m in &g.members {
                if let Some(id) = dir.and_then(|d| d.identity_ref(&m.identity)) {
                    members.insert(
                        id,
                        MemberRec {
                            role: m.role.clone(),
                            status: m.status.clone(),
                            status_reason: None,
                            updated: stamp.clone(),
                        },
                    );
                }
            }
            st.groups.insert(
                g.id(),
                GroupRec {
                    id: g.id(),
                    name: g.name.clone(),
                    description: g.description.clone(),
                    terms_and_conditions: None,
                    parent_id: None,
                    policies,
                    members,
                },
            );
        }
        st
    }

    /// Resolves a group id (any UUID, seeded or not) or the name of exactly one group.
    pub fn group_ref(&self, r: &str) -> Option<Uuid> {
        if let Ok(id) = r.parse::<Uuid>() {
            return Some(id);
        }
        let mut found = self.groups.values().filter(|g| g.name == r).map(|g| g.id);
        match (found.next(), found.next()) {
            (Some(id), None) => Some(id),
            _ => None,
        }
    }

    /// The groups in which `identity` is an active member.
    pub fn active_groups(&self, identity: Uuid) -> BTreeSet<Uuid> {
        self.groups
            .values()
            .filter(|g| {
                g.members
                    .get(&identity)
                    .is_some_and(|m| m.status == MembershipStatus::Active)
            })
            .map(|g| g.id)
            .collect()
    }
}

/// Groups' state in `w`, if Groups is served.
pub fn groups(w: &World) -> Option<&GroupsState> {
    w.states.get::<GroupsState>()
}

/// The groups in which `identity` is an active member (none when Groups is not served): what
/// a group principal on another service's object grants to.
pub fn active_groups(w: &World, identity: Uuid) -> BTreeSet<Uuid> {
    groups(w)
        .map(|g| g.active_groups(identity))
        .unwrap_or_default()
}

/// Resolves a group id (any UUID) or the name of exactly one group.
pub fn group_ref(w: &World, r: &str) -> Option<Uuid> {
    match groups(w) {
        Some(g) => g.group_ref(r),
        None => r.parse().ok(),
    }
}

/// Applies a policy write (absent fields unchanged).
pub fn apply_policies(p: &mut GroupPolicies, w: &GroupPoliciesWrite) {
    if let Some(v) = w.is_high_assurance {
        p.is_high_assurance = v;
    }
    if let Some(v) = w.authentication_assurance_timeout {
        p.authentication_assurance_timeout = Some(v);
    }
    if let Some(v) = &w.group_visibility {
        p.group_visibility = v.clone();
    }
    if let Some(v) = &w.group_members_visibility {
        p.group_members_visibility = v.clone();
    }
    if let Some(v) = w.join_requests {
        p.join_requests = v;
    }
    if let Some(v) = &w.signup_fields {
        p.signup_fields = v.clone();
    }
}
