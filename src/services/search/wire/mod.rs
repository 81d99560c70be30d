//! Globus Search API v1 documents (`https://search.api.globus.org/v1/...`): ingest
//! (`GIngest` of a `GMetaEntry` or a `GMetaList`), tasks, subjects (`GMetaResult`), queries
//! (GET parameters and the POST body), results (`GSearchResult`), index roles, the index
//! document and the `GError` body.
//!
//! Every document keeps unknown fields in `extra` and defaults what it may miss. An entry's
//! `content` is kept as a JSON object, verbatim, so a re-ingest sends back exactly what was
//! read.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::wire::Extra;

/// The `@version` of documents this crate writes (`GIngest`, `GMetaEntry`, query bodies).
pub const VERSION_2017: &str = "2017-09-01";
/// The `@version` of query bodies that may name `fields` (`GSearchRequestBodyV1`); a
/// `2017-09-01` body has no `fields`, and its results carry `content` only.
pub const QUERY_V1: &str = "query#1.0.0";
/// The query `fields` that may be asked for; a query that names none answers `content`.
pub const QUERY_FIELDS: [&str; 3] = ["content", "visible_to", "principal_sets"];
/// Results a query reaches by `offset` + `limit` (also the largest `limit`): the rest of an
/// index needs a scroll.
pub const MAX_QUERY_RESULTS: u64 = 10_000;
/// The `@version` of `GMetaResult` documents the service answers.
pub const RESULT_VERSION: &str = "2019-08-27";
/// The `visible_to` value that makes an entry visible to anybody, signed in or not.
pub const PUBLIC: &str = "public";
/// The `visible_to` value that makes an entry visible to any signed-in caller.
pub const ALL_AUTHENTICATED_USERS: &str = "all_authenticated_users";
/// The prefix of identity principal URNs.
pub const IDENTITY_URN_PREFIX: &str = "urn:globus:auth:identity:";
/// The prefix of group principal URNs.
pub const GROUP_URN_PREFIX: &str = "urn:globus:groups:id:";
/// The index role names, strongest first.
pub const ROLE_NAMES: [&str; 3] = ["owner", "admin", "writer"];

/// A principal URN of Search (`visible_to`, `principal_sets`, roles), parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Principal {
    /// `public`.
    Public,
    /// `all_authenticated_users`.
    AllAuthenticatedUsers,
    /// `urn:globus:auth:identity:<uuid>`.
    Identity(uuid::Uuid),
    /// `urn:globus:groups:id:<uuid>`.
    Group(uuid::Uuid),
}

impl Principal {
    /// Parses a `visible_to` value or a principal URN (the UUID in any case); `None` when it
    /// is neither a special value nor a well-formed URN.
    pub fn parse(s: &str) -> Option<Principal> {
        match s {
            PUBLIC => return Some(Principal::Public),
            ALL_AUTHENTICATED_USERS => return Some(Principal::AllAuthenticatedUsers),
            _ => {}
        }
        if let Some(id) = s.strip_prefix(IDENTITY_URN_PREFIX) {
            return id.parse().ok().map(Principal::Identity);
        }
        if let Some(id) = s.strip_prefix(GROUP_URN_PREFIX) {
            return id.parse().ok().map(Principal::Group);
        }
        None
    }

    /// The wire form (`public`, `urn:globus:auth:identity:<uuid>`, ...).
    pub fn urn(&self) -> String {
        match self {
            Principal::Public => PUBLIC.into(),
            Principal::AllAuthenticatedUsers => ALL_AUTHENTICATED_USERS.into(),
            Principal::Identity(id) => format!("{IDENTITY_URN_PREFIX}{id}"),
            Principal::Group(id) => format!("{GROUP_URN_PREFIX}{id}"),
        }
    }

    /// `identity` or `group` (a role's `principal_type`); `None` for the special values.
    pub fn principal_type(&self) -> Option<&'static str> {
        match self {
            Principal::Identity(_) => Some("identity"),
            Principal::Group(_) => Some("group"),
            _ => None,
        }
    }
}

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

/// One entry of a subject as a reader sees it (`ResultEntry`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResultEntry {
    /// The entry id; null (always written) for the default entry.
    #[serde(default)]
    pub entry_id: Option<String>,
    /// The document (left out when the query's `fields` leave it out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<serde_json::Map<String, Value>>,
    /// The named principal sets the caller is in.
    #[serde(default)]
    pub matched_principal_sets: Vec<String>,
    /// For index admins and owners who ask: the entry's `visible_to`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visible_to: Option<Vec<String>>,
    /// For index admins and owners who ask: the entry's `principal_sets` (the emulator
    /// answers the ingested `{name: [urn]}` object; the OpenAPI types it loosely).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal_sets: Option<Value>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `GET /v1/index/{index_id}/subject` and each item of a search's `gmeta`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GMetaResult {
    /// `GMetaResult` when present.
    #[serde(rename = "@datatype", default, skip_serializing_if = "Option::is_none")]
    pub datatype: Option<String>,
    /// `2019-08-27` (or `2017-09-01`) when present.
    #[serde(rename = "@version", default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The subject.
    pub subject: String,
    /// The entries the caller may see.
    #[serde(default)]
    pub entries: Vec<ResultEntry>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// The body of `POST /v1/index/{index_id}/search` (`GSearchRequestBody`, `2017-09-01` or
/// `query#1.0.0`). Facets, filters, boosts and sorts stay raw JSON.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SearchQuery {
    /// `2017-09-01` or `query#1.0.0`.
    #[serde(rename = "@version", default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The query string (`*` matches everything).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    /// Page size (default 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
    /// Results to skip.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    /// Advanced query syntax.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advanced: Option<bool>,
    /// Index admins and owners: ignore `visible_to`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bypass_visible_to: Option<bool>,
    /// Keep only entries whose named principal sets hold the caller.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter_principal_sets: Option<Vec<String>>,
    /// `query#1.0.0` only: which of `content`, `visible_to`, `principal_sets` to answer
    /// (default `content`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<String>>,
    /// Facets, raw.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facets: Option<Value>,
    /// Filters, raw.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filters: Option<Value>,
    /// Boosts, raw.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boosts: Option<Value>,
    /// Sorts, raw.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort: Option<Value>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

impl SearchQuery {
    /// A `query#1.0.0` query of every subject (`q: "*"`) for an index admin or owner:
    /// `bypass_visible_to`, and per entry only its `visible_to` and `principal_sets` (no
    /// `content`), one page of `limit` results from `offset`.
    pub fn access_of_all(offset: u64, limit: u64) -> SearchQuery {
        SearchQuery {
            version: Some(QUERY_V1.into()),
            q: Some("*".into()),
            limit: Some(limit),
            offset: Some(offset),
            bypass_visible_to: Some(true),
            fields: Some(vec!["visible_to".into(), "principal_sets".into()]),
            ..SearchQuery::default()
        }
    }

    /// Whether this body's `@version` takes `fields` (`query#1.0.0`; a body without
    /// `@version` is a `2017-09-01` one).
    pub fn takes_fields(&self) -> bool {
        self.version.as_deref() == Some(QUERY_V1)
    }
}

/// The query parameters of `GET /v1/index/{index_id}/search` (list values comma-joined, as
/// the SDK sends them; repeated parameters are accepted too).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchParams {
    /// `q` (required).
    pub q: String,
    /// `limit`.
    pub limit: Option<u64>,
    /// `offset`.
    pub offset: Option<u64>,
    /// `advanced`.
    pub advanced: Option<bool>,
    /// `bypass_visible_to`.
    pub bypass_visible_to: Option<bool>,
    /// `filter_principal_sets`.
    pub filter_principal_sets: Vec<String>,
    /// `fields`.
    pub fields: Vec<String>,
}

fn parse_bool(key: &str, v: &str) -> Result<bool, String> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        _ => Err(format!("{key}: not a valid boolean: {v:?}")),
    }
}

fn parse_u64(key: &str, v: &str) -> Result<u64, String> {
    v.parse()
        .map_err(|_| format!("{key}: not a valid integer: {v:?}"))
}

impl SearchParams {
    /// The query pairs to send, list values comma-joined.
    pub fn to_query(&self) -> Vec<(String, String)> {
        let mut out = vec![("q".to_string(), self.q.clone())];
        let mut push = |k: &str, v: Option<String>| {
            if let Some(v) = v {
                out.push((k.to_string(), v));
            }
        };
        push("limit", self.limit.map(|v| v.to_string()));
        push("offset", self.offset.map(|v| v.to_string()));
        push("advanced", self.advanced.map(|v| v.to_string()));
        push(
            "bypass_visible_to",
            self.bypass_visible_to.map(|v| v.to_string()),
        );
        push(
            "filter_principal_sets",
            (!self.filter_principal_sets.is_empty()).then(|| self.filter_principal_sets.join(",")),
        );
        push(
            "fields",
            (!self.fields.is_empty()).then(|| self.fields.join(",")),
        );
        out
    }

    /// Reads the parameters from decoded query pairs; unknown keys are ignored. The error
    /// names the first bad parameter.
    pub fn from_query(pairs: &[(String, String)]) -> Result<SearchParams, String> {
        let mut p = SearchParams::default();
        let mut q = None;
        let split = |v: &str| -> Vec<String> {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect()
        };
        for (k, v) in pairs {
            match k.as_str() {
                "q" => q = Some(v.clone()),
                "limit" => p.limit = Some(parse_u64(k, v)?),
                "offset" => p.offset = Some(parse_u64(k, v)?),
                "advanced" => p.advanced = Some(parse_bool(k, v)?),
                "bypass_visible_to" => p.bypass_visible_to = Some(parse_bool(k, v)?),
                "filter_principal_sets" => p.filter_principal_sets.extend(split(v)),
                "fields" => p.fields.extend(split(v)),
                _ => {}
            }
        }
        p.q = q.ok_or_else(|| "q: Missing data for required field.".to_string())?;
        Ok(p)
    }

    /// The same query as a POST body: `query#1.0.0` when it names `fields` (a `2017-09-01`
    /// body cannot), else `2017-09-01`.
    pub fn into_body(self) -> SearchQuery {
        let version = if self.fields.is_empty() {
            VERSION_2017
        } else {
            QUERY_V1
        };
        SearchQuery {
            version: Some(version.into()),
            q: Some(self.q),
            limit: self.limit,
            offset: self.offset,
            advanced: self.advanced,
            bypass_visible_to: self.bypass_visible_to,
            filter_principal_sets: (!self.filter_principal_sets.is_empty())
                .then_some(self.filter_principal_sets),
            fields: (!self.fields.is_empty()).then_some(self.fields),
            ..SearchQuery::default()
        }
    }
}

/// The answer of a search (`GSearchResult`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GSearchResult {
    /// `GSearchResult`.
    #[serde(rename = "@datatype", default, skip_serializing_if = "Option::is_none")]
    pub datatype: Option<String>,
    /// `2017-09-01`.
    #[serde(rename = "@version", default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Length of `gmeta`.
    #[serde(default)]
    pub count: u64,
    /// The offset asked for.
    #[serde(default)]
    pub offset: u64,
    /// Subjects matched in all.
    #[serde(default)]
    pub total: u64,
    /// Whether another page follows (offset + count).
    #[serde(default)]
    pub has_next_page: bool,
    /// One result per subject.
    #[serde(default)]
    pub gmeta: Vec<GMetaResult>,
    /// Facet results, raw.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facet_results: Option<Value>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// An index role: `{"id", "index_id", "principal", "principal_type", "role_name",
/// "creation_date"}`. Ids are short opaque strings (`MDQ1MzAy`), not UUIDs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Role {
    /// Role id.
    pub id: String,
    /// The index.
    #[serde(default)]
    pub index_id: String,
    /// Principal URN.
    pub principal: String,
    /// `identity` or `group`.
    #[serde(default)]
    pub principal_type: String,
    /// `owner`, `admin` or `writer`.
    pub role_name: String,
    /// `2022-01-26 21:53:06`.
    #[serde(default)]
    pub creation_date: String,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `POST /v1/index/{index_id}/role`: `{"role_name", "principal"}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RoleCreate {
    /// `owner`, `admin` or `writer`.
    pub role_name: String,
    /// Principal URN.
    pub principal: String,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `GET /v1/index/{index_id}/role_list`: `{"role_list": [Role]}` (not paginated).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RoleList {
    /// Every role of the index.
    #[serde(default)]
    pub role_list: Vec<Role>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `DELETE /v1/index/{index_id}/role/{role_id}`: `{"deleted": Role, "success": true}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DeletedRole {
    /// The role removed.
    pub deleted: Role,
    /// Always true on success.
    #[serde(default)]
    pub success: bool,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `GET /v1/index/{index_id}` (`GSearchIndex`; with `permissions`, `IndexWithPermissions`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SearchIndex {
    /// `GSearchIndex`.
    #[serde(rename = "@datatype", default, skip_serializing_if = "Option::is_none")]
    pub datatype: Option<String>,
    /// `2017-09-01`.
    #[serde(rename = "@version", default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Index id (a UUID).
    pub id: String,
    /// Display name.
    #[serde(default)]
    pub display_name: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// `2021-04-05 15:05:18`.
    #[serde(default)]
    pub creation_date: String,
    /// Trial indexes are small and may be deleted.
    #[serde(default)]
    pub is_trial: bool,
    /// The subscription paying for it (null for trials).
    #[serde(default)]
    pub subscription_id: Option<String>,
    /// Size limit.
    #[serde(default)]
    pub max_size_in_mb: u64,
    /// Size used.
    #[serde(default)]
    pub size_in_mb: u64,
    /// Entries held.
    #[serde(default)]
    pub num_entries: u64,
    /// Subjects held.
    #[serde(default)]
    pub num_subjects: u64,
    /// `open`, `delete-pending`, ...
    #[serde(default)]
    pub status: String,
    /// Whether the index serves queries and tasks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub available: Option<bool>,
    /// The caller's roles on the index (`IndexWithPermissions`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions: Option<Vec<String>>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// The Search error body (`GError`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SearchError {
    /// `GError`.
    #[serde(rename = "@datatype", default, skip_serializing_if = "Option::is_none")]
    pub datatype: Option<String>,
    /// `2017-09-01`.
    #[serde(rename = "@version", default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// `NotFound.NoSuchIndex`, `BadRequest.ValidationError`, `Forbidden.Generic`, ...
    #[serde(default)]
    pub code: String,
    /// Human-readable message.
    #[serde(default)]
    pub message: String,
    /// Request id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The HTTP status repeated.
    #[serde(default)]
    pub status: u16,
    /// Details: validation messages, `{cause, recommended_resolution}`, nested GErrors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_data: Option<Value>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

impl SearchError {
    /// The code's class (`NotFound` of `NotFound.NoSuchIndex`).
    pub fn class(&self) -> &str {
        self.code.split('.').next().unwrap_or(&self.code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn principals_parse_and_print() {
        let id: uuid::Uuid = "46bd0f56-e24f-11e5-a510-131bef46955c".parse().unwrap();
        for (s, p) in [
            ("public", Principal::Public),
            ("all_authenticated_users", Principal::AllAuthenticatedUsers),
            (
                "urn:globus:auth:identity:46bd0f56-e24f-11e5-a510-131bef46955c",
                Principal::Identity(id),
            ),
            (
                "urn:globus:groups:id:46bd0f56-e24f-11e5-a510-131bef46955c",
                Principal::Group(id),
            ),
        ] {
            assert_eq!(Principal::parse(s), Some(p));
            assert_eq!(p.urn(), s);
        }
        assert_eq!(
            Principal::parse("urn:globus::auth:identity:46bd0f56-e24f-11e5-a510-131bef46955c"),
            None
        );
        assert_eq!(Principal::parse("urn:globus:auth:identity:I"), None);
        assert_eq!(Principal::parse("anonymous"), None);
    }

    #[test]
    fn ingest_builders_carry_the_entries() {
        let e = GMetaEntry {
            subject: "s".into(),
            visible_to: vec!["public".into()],
            content: json!({"a": 1}).as_object().unwrap().clone(),
            ..GMetaEntry::default()
        };
        let one = GIngest::entry(e.clone());
        assert_eq!(one.ingest_type, "GMetaEntry");
        assert_eq!(one.ingest_data["id"], Value::Null);
        assert_eq!(one.entries().unwrap(), vec![e.clone()]);
        let list = GIngest::list(vec![e.clone(), e.clone()]);
        assert_eq!(list.entries().unwrap().len(), 2);
        let bad = GIngest {
            ingest_type: "GMetaThing".into(),
            ..GIngest::default()
        };
        assert!(bad.entries().is_err());
    }

    #[test]
    fn search_params_round_trip_through_the_query() {
        let p = SearchParams {
            q: "*".into(),
            limit: Some(5),
            bypass_visible_to: Some(true),
            filter_principal_sets: vec!["curator".into(), "contributor".into()],
            ..SearchParams::default()
        };
        let pairs = p.to_query();
        assert!(pairs.contains(&(
            "filter_principal_sets".to_string(),
            "curator,contributor".to_string()
        )));
        assert_eq!(SearchParams::from_query(&pairs).unwrap(), p);
        let repeated = vec![
            ("q".to_string(), "x".to_string()),
            ("filter_principal_sets".to_string(), "a".to_string()),
            ("filter_principal_sets".to_string(), "b".to_string()),
        ];
        assert_eq!(
            SearchParams::from_query(&repeated)
                .unwrap()
                .filter_principal_sets,
            vec!["a", "b"]
        );
        assert!(SearchParams::from_query(&[]).is_err());
        assert!(
            SearchParams::from_query(&[("q".into(), "x".into()), ("limit".into(), "ten".into())])
                .is_err()
        );
        let body = p.clone().into_body();
        assert_eq!(body.q.as_deref(), Some("*"));
        assert_eq!(body.version.as_deref(), Some(VERSION_2017));
        assert!(!body.takes_fields());
        // `fields` needs a query#1.0.0 body.
        let with_fields = SearchParams {
            fields: vec!["visible_to".into()],
            ..p
        }
        .into_body();
        assert_eq!(with_fields.version.as_deref(), Some(QUERY_V1));
        assert!(with_fields.takes_fields());
    }

    #[test]
    fn the_access_query_asks_for_lists_not_content() {
        let q = SearchQuery::access_of_all(1000, 500);
        assert_eq!(
            serde_json::to_value(&q).unwrap(),
            json!({"@version": "query#1.0.0", "q": "*", "limit": 500, "offset": 1000,
                   "bypass_visible_to": true, "fields": ["visible_to", "principal_sets"]})
        );
        assert!(q.takes_fields());
    }

    #[test]
    fn task_states_keep_unknown_values() {
        let s: TaskState = serde_json::from_value(json!("QUEUED")).unwrap();
        assert_eq!(s, TaskState::Other("QUEUED".into()));
        assert_eq!(serde_json::to_value(&s).unwrap(), json!("QUEUED"));
        assert!(TaskState::Failed.is_terminal());
        assert!(!TaskState::Pending.is_terminal());
    }
}
