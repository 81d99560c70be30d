//! Flows' state: the flows, each with its owner, role lists and timestamps.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::seed::{FlowsSeed, seed_principal};
use crate::service::emulator::ServiceState;
use crate::services::auth::emulator::Directory;
use crate::services::flows::wire::ROLE_LISTS;
use crate::services::groups::emulator::GroupsState;

/// Flows' state: flows by id. Saved under the `flows` key of the whole-state JSON.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FlowsState {
    /// Flows by id.
    pub flows: BTreeMap<Uuid, FlowRec>,
}

impl ServiceState for FlowsState {
    /// The `flows` key of the whole-state JSON.
    fn save(&self) -> Result<Map<String, Value>, serde_json::Error> {
        let mut out = Map::new();
        out.insert("flows".into(), serde_json::to_value(self)?);
        Ok(out)
    }
}

/// One flow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlowRec {
    /// The flow id.
    pub id: Uuid,
    /// Title.
    pub title: String,
    /// Subtitle.
    #[serde(default)]
    pub subtitle: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Keywords.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// The flow definition (accord never reads it).
    #[serde(default)]
    pub definition: Value,
    /// The input schema (accord never reads it).
    #[serde(default)]
    pub input_schema: Value,
    /// The owner's identity id.
    pub owner: Uuid,
    /// Who created it (the first owner; a takeover leaves it).
    pub created_by: Uuid,
    /// The role lists by field name (every name of [`ROLE_LISTS`]), entries as stored: URNs
    /// and the special values.
    pub roles: BTreeMap<String, Vec<String>>,
    /// `2020-09-01T17:59:20.711845+00:00`.
    pub created_at: String,
    /// Bumped by every successful update.
    pub updated_at: String,
}

impl FlowRec {
    /// The role list named `list` (empty when the name is no role list).
    pub fn list(&self, list: &str) -> &[String] {
        self.roles.get(list).map_or(&[], Vec::as_slice)
    }
}

/// A time as Flows prints it (`2020-09-01T17:59:20.711845+00:00`): fixed width, so the
/// strings sort as the times do.
pub fn flow_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string()
}

/// Every role list, empty.
pub fn empty_roles() -> BTreeMap<String, Vec<String>> {
    ROLE_LISTS
        .iter()
        .map(|l| (l.to_string(), Vec::new()))
        .collect()
}

/// Drops repeated entries, keeping the first of each in its place.
pub fn dedup(entries: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::BTreeSet::new();
    entries
        .into_iter()
        .filter(|e| seen.insert(e.clone()))
        .collect()
}

impl FlowsState {
    /// The state a seed section describes; principals resolve against the identities and
    /// groups already built. Unresolvable ones are skipped (`Seed::validate` reports them).
    pub fn from_seed(
        seed: &FlowsSeed,
        dir: Option<&Directory>,
        groups: Option<&GroupsState>,
        now: DateTime<Utc>,
    ) -> FlowsState {
        let identity = |r: &str| dir.and_then(|d| d.identity_ref(r));
        let group = |r: &str| match groups {
            Some(g) => g.group_ref(r),
            None => r.parse().ok(),
        };
        let mut out = FlowsState::default();
        for f in &seed.flows {
            let Some(owner) = identity(&f.owner).or_else(|| f.owner.parse().ok()) else {
                continue;
            };
            let mut roles = empty_roles();
            for (list, entries) in f.lists() {
                let resolved = entries
                    .iter()
                    .filter_map(|e| seed_principal(list, e, &identity, &group))
                    .collect();
                roles.insert(list.to_string(), dedup(resolved));
            }
            let id = f.id();
            out.flows.insert(
                id,
                FlowRec {
                    id,
                    title: f.title.clone(),
                    subtitle: f.subtitle.clone(),
                    description: f.description.clone(),
                    keywords: f.keywords.clone(),
                    definition: serde_json::json!({"StartAt": "Pass", "States": {"Pass": {"Type": "Pass", "End": true}}}),
                    input_schema: serde_json::json!({}),
                    owner,
                    created_by: owner,
                    roles,
                    created_at: flow_time(now),
                    updated_at: flow_time(now),
                },
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_have_microseconds_and_sort() {
        let a = DateTime::parse_from_rfc3339("2020-09-01T17:59:20.711845Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(flow_time(a), "2020-09-01T17:59:20.711845+00:00");
        let b = a + chrono::Duration::seconds(1);
        assert!(flow_time(a) < flow_time(b));
    }

    #[test]
    fn dedup_keeps_first_places() {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(dedup(v(&["b", "a", "b", "c", "a"])), v(&["b", "a", "c"]));
    }
}
