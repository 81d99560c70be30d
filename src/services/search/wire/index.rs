//! The index document, its roles, and the `GError` body.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::wire::Extra;

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
