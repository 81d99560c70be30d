//! Ingest documents (`GIngest` of a `GMetaEntry` or a `GMetaList`) and the tasks an ingest
//! starts.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::wire::Extra;

/// One entry of a subject, as ingested: `{"subject", "id", "visible_to", "principal_sets",
/// "content"}`. `(subject, id)` is its key; `id` null is the subject's default entry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GMetaEntry {
    /// The subject (≤ 500 UTF-8 bytes), often a URL.
    pub subject: String,
    /// The entry id; null (always written) for the default entry.
    #[serde(default)]
    pub id: Option<String>,
    /// Who may see the entry: `public`, `all_authenticated_users`, identity and group URNs.
    #[serde(default)]
    pub visible_to: Vec<String>,
    /// Named sets of principal URNs callers may filter on (`filter_principal_sets`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal_sets: Option<BTreeMap<String, Vec<String>>>,
    /// The document itself, verbatim.
    #[serde(default)]
    pub content: serde_json::Map<String, Value>,
    /// `2017-09-01` when present.
    #[serde(rename = "@version", default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Unknown fields, kept verbatim.
    #[serde(flatten)]
    pub extra: Extra,
}

/// The `ingest_data` of a `GMetaList` ingest: `{"gmeta": [GMetaEntry, ...]}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GMetaList {
    /// The entries.
    #[serde(default)]
    pub gmeta: Vec<GMetaEntry>,
    /// `2017-09-01` when present.
    #[serde(rename = "@version", default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `POST /v1/index/{index_id}/ingest`: `{"ingest_type": "GMetaEntry"|"GMetaList",
/// "ingest_data": ...}`. `ingest_data` stays raw JSON: decode it with [`GIngest::entries`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GIngest {
    /// `GMetaEntry` or `GMetaList`.
    #[serde(default)]
    pub ingest_type: String,
    /// A `GMetaEntry` or a `GMetaList`, as sent.
    #[serde(default)]
    pub ingest_data: Value,
    /// Explicit field types (`{"loc.center": "geo_point"}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field_mapping: Option<serde_json::Map<String, Value>>,
    /// `2017-09-01` when present.
    #[serde(rename = "@version", default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

impl GIngest {
    /// An ingest of one entry.
    pub fn entry(entry: GMetaEntry) -> GIngest {
        GIngest {
            ingest_type: "GMetaEntry".into(),
            ingest_data: serde_json::to_value(entry).unwrap_or_default(),
            ..GIngest::default()
        }
    }

    /// An ingest of several entries.
    pub fn list(entries: Vec<GMetaEntry>) -> GIngest {
        let list = GMetaList {
            gmeta: entries,
            ..GMetaList::default()
        };
        GIngest {
            ingest_type: "GMetaList".into(),
            ingest_data: serde_json::to_value(list).unwrap_or_default(),
            ..GIngest::default()
        }
    }

    /// The entries carried, whatever the ingest type.
    pub fn entries(&self) -> Result<Vec<GMetaEntry>, serde_json::Error> {
        match self.ingest_type.as_str() {
            "GMetaList" => Ok(GMetaList::deserialize(&self.ingest_data)?.gmeta),
            "GMetaEntry" => Ok(vec![GMetaEntry::deserialize(&self.ingest_data)?]),
            other => Err(serde::de::Error::custom(format!(
                "unknown ingest_type {other:?}"
            ))),
        }
    }
}

/// The answer of an ingest or a subject delete: `{"acknowledged": true, "task_id": "..."}`
/// (the CLI's delete fixture shows only `task_id`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TaskSubmitResponse {
    /// Always true on success.
    #[serde(default)]
    pub acknowledged: bool,
    /// The task to poll.
    pub task_id: String,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A task's state.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum TaskState {
    /// `CREATING`.
    Creating,
    /// `PENDING`: waiting to start.
    #[default]
    Pending,
    /// `PROGRESS`: running.
    Progress,
    /// `SUCCESS`.
    Success,
    /// `FAILED`.
    Failed,
    /// A state this crate does not know, kept verbatim.
    Other(String),
}

impl TaskState {
    /// The wire form.
    pub fn as_str(&self) -> &str {
        match self {
            TaskState::Creating => "CREATING",
            TaskState::Pending => "PENDING",
            TaskState::Progress => "PROGRESS",
            TaskState::Success => "SUCCESS",
            TaskState::Failed => "FAILED",
            TaskState::Other(s) => s,
        }
    }

    /// Whether the task has finished (successfully or not).
    pub fn is_terminal(&self) -> bool {
        matches!(self, TaskState::Success | TaskState::Failed)
    }
}

impl Serialize for TaskState {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for TaskState {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(match s.as_str() {
            "CREATING" => TaskState::Creating,
            "PENDING" => TaskState::Pending,
            "PROGRESS" => TaskState::Progress,
            "SUCCESS" => TaskState::Success,
            "FAILED" => TaskState::Failed,
            _ => TaskState::Other(s),
        })
    }
}

/// `GET /v1/task/{task_id}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Task {
    /// Task id (a UUID).
    pub task_id: String,
    /// The index it works on.
    #[serde(default)]
    pub index_id: String,
    /// Its state.
    #[serde(default)]
    pub state: TaskState,
    /// `Task succeeded`, `Task is waiting to start`, ...
    #[serde(default)]
    pub state_description: String,
    /// The kind of task (values unconfirmed; the emulator says `INGEST` or `DELETE_BY_SUBJECT`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_type: Option<String>,
    /// `2021-10-05T18:42:49`.
    #[serde(default)]
    pub creation_date: String,
    /// Null until the task ends.
    #[serde(default)]
    pub completion_date: Option<String>,
    /// Why a task failed; null otherwise.
    #[serde(default)]
    pub message: Option<String>,
    /// Anything more the service says; null usually.
    #[serde(default)]
    pub additional_details: Option<Value>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `GET /v1/task_list/{index_id}`: the index's most recent tasks (at most 1000).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TaskList {
    /// The index.
    #[serde(default)]
    pub index_id: String,
    /// Tasks, most recent first.
    #[serde(default)]
    pub tasks: Vec<Task>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}
