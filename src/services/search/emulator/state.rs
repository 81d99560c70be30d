//! Search's state: indexes (roles, subjects) and tasks.

use super::*;
use crate::service::emulator::ServiceState;
use crate::services::auth::emulator::Directory;
use crate::services::groups::emulator::GroupsState;

impl ServiceState for SearchState {
    /// The `search` key of the whole-state JSON.
    fn save(&self) -> Result<Map<String, Value>, serde_json::Error> {
        let mut out = Map::new();
        out.insert("search".into(), serde_json::to_value(self)?);
        Ok(out)
    }
}

/// Search's state: indexes (roles and subjects) and tasks.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SearchState {
    /// Indexes by id.
    pub indexes: BTreeMap<Uuid, IndexRec>,
    /// Tasks, oldest first.
    pub tasks: Vec<TaskRec>,
    /// Counter behind role ids (`MDAwMDAx` is role 1), so replays give the same ids.
    pub role_seq: u64,
}

/// An index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexRec {
    /// Index id.
    pub id: Uuid,
    /// Display name.
    pub display_name: String,
    /// Description.
    pub description: String,
    /// `YYYY-MM-DD HH:MM:SS`.
    pub creation_date: String,
    /// Roles, in creation order.
    pub roles: Vec<IndexRoleRec>,
    /// Entries by subject, each subject's in ingest order.
    pub subjects: BTreeMap<String, Vec<EntryRec>>,
}

/// A role on an index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexRoleRec {
    /// Role id.
    pub id: String,
    /// `owner | admin | writer`.
    pub role_name: String,
    /// Principal URN (identity or group).
    pub principal: String,
    /// `YYYY-MM-DD HH:MM:SS`.
    pub creation_date: String,
}

/// One entry of a subject.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntryRec {
    /// Entry id (null: the default entry).
    pub id: Option<String>,
    /// Who may see it, as ingested.
    pub visible_to: Vec<String>,
    /// Named principal sets, as ingested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal_sets: Option<BTreeMap<String, Vec<String>>>,
    /// The document.
    pub content: Map<String, Value>,
}

/// A task (ingest or subject delete). Its effect is applied when it is submitted; its state
/// reads `PENDING` on the first `GET /v1/task/{id}` and its outcome from the second on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskRec {
    /// Task id.
    pub task_id: Uuid,
    /// The index.
    pub index_id: Uuid,
    /// `INGEST` or `DELETE_BY_SUBJECT`.
    pub task_type: String,
    /// Current state.
    pub state: TaskState,
    /// `YYYY-MM-DDTHH:MM:SS`.
    pub creation_date: String,
    /// Set when the state becomes terminal.
    pub completion_date: Option<String>,
    /// The failure message the task ends with (`None`: it succeeds).
    pub failure: Option<String>,
    /// Who submitted it.
    pub submitted_by: Uuid,
    /// `GET /v1/task/{id}` calls answered so far.
    pub polls: u32,
}

pub(super) fn role_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

pub(super) fn task_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S").to_string()
}

impl SearchState {
    /// The state a seed section describes; principals resolve against `st` (identities and
    /// groups already built). Unresolvable principals are skipped (`Seed::validate` reports
    /// them).
    pub fn from_seed(
        seed: &SearchSeed,
        dir: Option<&Directory>,
        groups: Option<&GroupsState>,
        now: DateTime<Utc>,
    ) -> SearchState {
        let identity = |r: &str| dir.and_then(|d| d.identity_ref(r));
        let group = |r: &str| match groups {
            Some(g) => g.group_ref(r),
            None => r.parse().ok(),
        };
        let resolve = |r: &str, special: bool| seed_principal(r, special, &identity, &group);
        let mut out = SearchState::default();
        for (id, ix) in &seed.indexes {
            let mut roles = Vec::new();
            for (name, holders) in ix.roles.all() {
                for h in holders {
                    if let Some(principal) = resolve(h, false) {
                        roles.push(IndexRoleRec {
                            id: out.next_role_id(),
                            role_name: name.into(),
                            principal,
                            creation_date: role_time(now),
                        });
                    }
                }
            }
            let mut subjects: BTreeMap<String, Vec<EntryRec>> = BTreeMap::new();
            for e in &ix.entries {
                let rec = EntryRec {
                    id: e.id.clone(),
                    visible_to: e
                        .visible_to
                        .iter()
                        .filter_map(|v| resolve(v, true))
                        .collect(),
                    principal_sets: e.principal_sets.as_ref().map(|sets| {
                        sets.iter()
                            .map(|(k, v)| {
                                (
                                    k.clone(),
                                    v.iter().filter_map(|m| resolve(m, false)).collect(),
                                )
                            })
                            .collect()
                    }),
                    content: e.content.clone(),
                };
                upsert(subjects.entry(e.subject.clone()).or_default(), rec);
            }
            out.indexes.insert(
                *id,
                IndexRec {
                    id: *id,
                    display_name: ix.display_name.clone(),
                    description: ix.description.clone(),
                    creation_date: role_time(now),
                    roles,
                    subjects,
                },
            );
        }
        out
    }

    /// A fresh role id: base64 of a six-digit counter, like the real ids (`MDQ1MzAy`).
    pub(super) fn next_role_id(&mut self) -> String {
        self.role_seq += 1;
        base64::engine::general_purpose::STANDARD.encode(format!("{:06}", self.role_seq))
    }
}

/// Puts an entry in its subject, replacing the one with the same id.
pub(super) fn upsert(entries: &mut Vec<EntryRec>, rec: EntryRec) {
    match entries.iter_mut().find(|e| e.id == rec.id) {
        Some(e) => *e = rec,
        None => entries.push(rec),
    }
}
