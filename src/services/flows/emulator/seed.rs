//! Flows' seed section (`flows:`): flows with their owner and role lists. Flows are created
//! elsewhere (accord manages only their access), so the seed is how they come to exist.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::service::emulator::derived_id;
use crate::services::flows::wire::{ALL_AUTHENTICATED_USERS, PUBLIC, ROLE_LISTS};

/// Flows' part of a seed: the `flows` key.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FlowsSeed {
    /// Globus Flows: flows with their owner and role lists.
    #[serde(default)]
    pub flows: Vec<SeedFlow>,
}

/// One seeded flow. Each role list entry is a URN (`urn:globus:auth:identity:<id>`,
/// `urn:globus:groups:id:<id>`), an identity id or username, `group:<id or seeded name>`, or
/// the special value its list takes (`all_authenticated_users` in `flow_starters`, `public`
/// in `flow_viewers`); all are stored as the URNs Flows answers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedFlow {
    /// The flow id; derived from the title when omitted.
    #[serde(default)]
    pub id: Option<Uuid>,
    /// Title.
    pub title: String,
    /// Subtitle (default empty).
    #[serde(default)]
    pub subtitle: String,
    /// Description (default empty).
    #[serde(default)]
    pub description: String,
    /// Keywords.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// The owner: an identity id or username (clients included).
    pub owner: String,
    /// Administrators.
    #[serde(default)]
    pub flow_administrators: Vec<String>,
    /// Starters.
    #[serde(default)]
    pub flow_starters: Vec<String>,
    /// Viewers.
    #[serde(default)]
    pub flow_viewers: Vec<String>,
    /// Run managers.
    #[serde(default)]
    pub run_managers: Vec<String>,
    /// Run monitors.
    #[serde(default)]
    pub run_monitors: Vec<String>,
}

impl SeedFlow {
    /// The flow id, explicit or derived from the title.
    pub fn id(&self) -> Uuid {
        self.id.unwrap_or_else(|| derived_id("flow", &self.title))
    }

    /// Each role list with its name, in [`ROLE_LISTS`] order.
    pub fn lists(&self) -> [(&'static str, &Vec<String>); 5] {
        [
            (ROLE_LISTS[0], &self.flow_administrators),
            (ROLE_LISTS[1], &self.flow_starters),
            (ROLE_LISTS[2], &self.flow_viewers),
            (ROLE_LISTS[3], &self.run_managers),
            (ROLE_LISTS[4], &self.run_monitors),
        ]
    }
}

/// What a role list entry is, as Flows reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    /// `urn:globus:auth:identity:<uuid>`.
    Identity(Uuid),
    /// `urn:globus:groups:id:<uuid>`.
    Group(Uuid),
    /// `all_authenticated_users`.
    AllAuthenticatedUsers,
    /// `public`.
    Public,
}

impl Entry {
    /// Reads one entry; `None` for anything Flows does not recognise (a bare UUID included).
    pub fn parse(s: &str) -> Option<Entry> {
        if s == ALL_AUTHENTICATED_USERS {
            return Some(Entry::AllAuthenticatedUsers);
        }
        if s == PUBLIC {
            return Some(Entry::Public);
        }
        if let Some(id) = s.strip_prefix("urn:globus:auth:identity:") {
            return id.parse().ok().map(Entry::Identity);
        }
        let id = s.strip_prefix("urn:globus:groups:id:")?;
        id.parse().ok().map(Entry::Group)
    }
}

/// Whether role list `list` accepts `entry`: identity and group URNs everywhere,
/// `all_authenticated_users` only among starters, `public` only among viewers.
pub fn accepts(list: &str, entry: &str) -> bool {
    match Entry::parse(entry) {
        Some(Entry::Identity(_) | Entry::Group(_)) => true,
        Some(Entry::AllAuthenticatedUsers) => list == "flow_starters",
        Some(Entry::Public) => list == "flow_viewers",
        None => false,
    }
}

/// Resolves a seed entry of `list` to what Flows stores: an entry the list accepts as written,
/// `group:<ref>` to a group URN, an identity ref to an identity URN; `None` otherwise.
pub fn seed_principal(
    list: &str,
    r: &str,
    identity: &dyn Fn(&str) -> Option<Uuid>,
    group: &dyn Fn(&str) -> Option<Uuid>,
) -> Option<String> {
    if accepts(list, r) {
        return Some(r.to_string());
    }
    if r.starts_with("urn:") || Entry::parse(r).is_some() {
        return None;
    }
    match r.strip_prefix("group:") {
        Some(g) => group(g).map(|id| format!("urn:globus:groups:id:{id}")),
        None => identity(r).map(|id| format!("urn:globus:auth:identity:{id}")),
    }
}

impl FlowsSeed {
    /// Adds the problems of this section: repeated ids, owners and entries that resolve to
    /// nothing, special values outside their lists.
    pub fn validate(
        &self,
        identity: &dyn Fn(&str) -> Option<Uuid>,
        group: &dyn Fn(&str) -> Option<Uuid>,
        problems: &mut Vec<String>,
    ) {
        let mut ids = std::collections::BTreeSet::new();
        for f in &self.flows {
            let at = format!("flow {} ({})", f.id(), f.title);
            if !ids.insert(f.id()) {
                problems.push(format!("duplicate flow id {}", f.id()));
            }
            if identity(&f.owner).is_none() {
                problems.push(format!("{at}: unknown owner {}", f.owner));
            }
            for (list, entries) in f.lists() {
                for e in entries {
                    if seed_principal(list, e, identity, group).is_none() {
                        problems.push(format!("{at}: {list}: unknown or misplaced principal {e}"));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "46bd0f56-e24f-11e5-a510-131bef46955c";

    #[test]
    fn lists_accept_urns_and_their_own_special_value() {
        let identity = format!("urn:globus:auth:identity:{ID}");
        let group = format!("urn:globus:groups:id:{ID}");
        for list in ROLE_LISTS {
            assert!(accepts(list, &identity), "{list}");
            assert!(accepts(list, &group), "{list}");
            assert!(!accepts(list, ID), "{list}: a bare UUID");
            assert!(!accepts(list, "urn:globus:auth:identity:nope"), "{list}");
            assert_eq!(accepts(list, PUBLIC), list == "flow_viewers", "{list}");
            assert_eq!(
                accepts(list, ALL_AUTHENTICATED_USERS),
                list == "flow_starters",
                "{list}"
            );
        }
    }

    #[test]
    fn seed_entries_resolve_to_urns() {
        let id: Uuid = ID.parse().unwrap();
        let identity = |r: &str| (r == "alice").then_some(id);
        let group = |r: &str| (r == "lab").then_some(id);
        let r = |list, s: &str| seed_principal(list, s, &identity, &group);
        assert_eq!(
            r("flow_administrators", "alice").unwrap(),
            format!("urn:globus:auth:identity:{ID}")
        );
        assert_eq!(
            r("run_monitors", "group:lab").unwrap(),
            format!("urn:globus:groups:id:{ID}")
        );
        assert_eq!(r("flow_viewers", "public").as_deref(), Some("public"));
        assert_eq!(r("flow_starters", "public"), None);
        assert_eq!(r("flow_viewers", "all_authenticated_users"), None);
        assert_eq!(r("flow_viewers", "bob"), None);
        assert_eq!(r("flow_viewers", "urn:globus::auth:identity:x"), None);
    }
}
