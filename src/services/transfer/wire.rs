//! Globus Transfer v0.10 documents: ACL rules, results, mkdir, endpoints, errors.

use serde::{Deserialize, Serialize};

use crate::wire::Extra;
use crate::wire::serde_helpers::{double_option, opt_string_or_number, string_or_number};

/// Who an ACL rule grants to. Unknown values decode as `Other`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalType {
    /// An identity UUID.
    Identity,
    /// A group UUID.
    Group,
    /// Every signed-in user (`principal` is `""`).
    AllAuthenticatedUsers,
    /// Anyone (`principal` is `""`).
    Anonymous,
    /// A type this version does not know.
    #[serde(untagged)]
    Other(String),
}

impl PrincipalType {
    /// The wire spelling.
    pub fn as_str(&self) -> &str {
        match self {
            PrincipalType::Identity => "identity",
            PrincipalType::Group => "group",
            PrincipalType::AllAuthenticatedUsers => "all_authenticated_users",
            PrincipalType::Anonymous => "anonymous",
            PrincipalType::Other(s) => s,
        }
    }
}

fn access_data_type() -> String {
    "access".into()
}

/// The `access` document: one ACL rule as read (`GET .../access/{id}`, list items).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessRule {
    /// Always `access`.
    #[serde(rename = "DATA_TYPE", default = "access_data_type")]
    pub data_type: String,
    /// Rule id; null for implicit role-derived rules.
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub id: Option<String>,
    /// Set (with `id` null) for a rule implied by an administrator/access_manager role.
    #[serde(default, deserialize_with = "opt_string_or_number")]
    pub role_id: Option<String>,
    /// `administrator | access_manager` for implicit rules, else null.
    #[serde(default)]
    pub role_type: Option<String>,
    /// Who the rule grants to.
    pub principal_type: PrincipalType,
    /// Bare identity or group UUID, or `""` for the special principals.
    #[serde(default)]
    pub principal: String,
    /// Absolute path, beginning and ending with `/`.
    pub path: String,
    /// `r` or `rw`.
    pub permissions: String,
    /// Creation time (ISO 8601 with offset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_time: Option<String>,
    /// When the service removes the rule (ISO 8601 with offset), or null.
    #[serde(default)]
    pub expiration_date: Option<String>,
    /// Unknown fields, kept verbatim.
    #[serde(flatten, default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

impl AccessRule {
    /// Whether this is a role-derived rule that cannot be read, changed or deleted by id.
    pub fn is_role_derived(&self) -> bool {
        self.id.is_none() && self.role_id.is_some()
    }
}

/// The body of `POST /endpoint/{id}/access`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessRuleCreate {
    /// Always `access`.
    #[serde(rename = "DATA_TYPE", default = "access_data_type")]
    pub data_type: String,
    /// Who the rule grants to.
    pub principal_type: PrincipalType,
    /// Bare identity or group UUID, or `""` for the special principals.
    #[serde(default)]
    pub principal: String,
    /// Absolute path, beginning and ending with `/`.
    pub path: String,
    /// `r` or `rw`.
    pub permissions: String,
    /// Who to notify of the share (write-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify_email: Option<String>,
    /// Message of the notification (write-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify_message: Option<String>,
    /// When the service removes the rule (ISO 8601 with offset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_date: Option<String>,
    /// Unknown fields, kept verbatim.
    #[serde(flatten, default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

/// The body of `PUT /endpoint/{id}/access/{rule_id}`: only these two fields change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessRuleUpdate {
    /// Always `access`.
    #[serde(rename = "DATA_TYPE", default = "access_data_type")]
    pub data_type: String,
    /// If present, must equal the rule id in the URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// New permissions, `r` or `rw`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions: Option<String>,
    /// Absent: unchanged; null: never expires; a timestamp: expires then.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "double_option"
    )]
    pub expiration_date: Option<Option<String>>,
    /// Unknown fields, kept verbatim (the service rejects changes to other fields).
    #[serde(flatten, default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

/// The `access_list` document of `GET /endpoint/{id}/access_list`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessList {
    /// Always `access_list`.
    #[serde(rename = "DATA_TYPE", default)]
    pub data_type: String,
    /// The endpoint or collection id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// Number of rules in `DATA`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<u64>,
    /// The rules, role-derived ones included.
    #[serde(rename = "DATA", default)]
    pub data: Vec<AccessRule>,
    /// Offset paging, if the service pages (unconfirmed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    /// Offset paging, if the service pages (unconfirmed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
    /// Offset paging, if the service pages (unconfirmed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
    /// Unknown fields, kept verbatim.
    #[serde(flatten, default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

/// The `access_create_result` of a 201 from `POST /endpoint/{id}/access`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessCreateResult {
    /// Always `access_create_result`.
    #[serde(rename = "DATA_TYPE", default)]
    pub data_type: String,
    /// `Created`.
    #[serde(default)]
    pub code: String,
    /// The new rule's id (a UUID string; fixtures also show integers).
    #[serde(deserialize_with = "string_or_number")]
    pub access_id: String,
    /// Human-readable message.
    #[serde(default)]
    pub message: String,
    /// Request id for support.
    #[serde(default)]
    pub request_id: String,
    /// The resource path.
    #[serde(default)]
    pub resource: String,
    /// Unknown fields, kept verbatim.
    #[serde(flatten, default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

/// A generic `{"DATA_TYPE":"result","code":...}` answer (update, delete).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransferResult {
    /// Always `result`.
    #[serde(rename = "DATA_TYPE", default)]
    pub data_type: String,
    /// E.g. `Updated`, `Deleted`.
    pub code: String,
    /// Human-readable message.
    #[serde(default)]
    pub message: String,
    /// Request id for support.
    #[serde(default)]
    pub request_id: String,
    /// The resource path.
    #[serde(default)]
    pub resource: String,
    /// Unknown fields, kept verbatim.
    #[serde(flatten, default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

/// The body of `POST /operation/endpoint/{id}/mkdir`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MkdirRequest {
    /// Always `mkdir`.
    #[serde(rename = "DATA_TYPE", default = "mkdir_data_type")]
    pub data_type: String,
    /// The directory to create.
    pub path: String,
    /// Local account to act as, on endpoints that map several.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_user: Option<String>,
    /// Unknown fields, kept verbatim.
    #[serde(flatten, default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

fn mkdir_data_type() -> String {
    "mkdir".into()
}

impl MkdirRequest {
    /// A request to create `path`.
    pub fn new(path: impl Into<String>) -> Self {
        MkdirRequest {
            data_type: mkdir_data_type(),
            path: path.into(),
            local_user: None,
            extra: Extra::new(),
        }
    }
}

/// The `mkdir_result` of a successful mkdir.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MkdirResult {
    /// Always `mkdir_result`.
    #[serde(rename = "DATA_TYPE", default)]
    pub data_type: String,
    /// `DirectoryCreated`.
    pub code: String,
    /// Human-readable message.
    #[serde(default)]
    pub message: String,
    /// Request id for support.
    #[serde(default)]
    pub request_id: String,
    /// The resource path.
    #[serde(default)]
    pub resource: String,
    /// Unknown fields, kept verbatim.
    #[serde(flatten, default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

/// The `endpoint` document of `GET /endpoint/{id}` (endpoints and collections).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Endpoint {
    /// Always `endpoint`.
    #[serde(rename = "DATA_TYPE", default)]
    pub data_type: String,
    /// The endpoint or collection UUID.
    pub id: String,
    /// Display name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// `GCSv5_endpoint | GCSv5_mapped_collection | GCSv5_guest_collection | ...`.
    #[serde(default)]
    pub entity_type: Option<String>,
    /// Owner identity (for GCSv5 collections: the endpoint id).
    #[serde(default)]
    pub owner_id: Option<String>,
    /// Owner username.
    #[serde(default)]
    pub owner_string: Option<String>,
    /// The GCS endpoint hosting a collection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_endpoint_id: Option<String>,
    /// The mapped collection of a guest collection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mapped_collection_id: Option<String>,
    /// The GCS Manager URL (must be https for the official clients).
    #[serde(default)]
    pub gcs_manager_url: Option<String>,
    /// GCS version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gcs_version: Option<String>,
    /// `owner#name` style name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canonical_name: Option<String>,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Organization.
    #[serde(default)]
    pub organization: Option<String>,
    /// Whether high assurance is required.
    #[serde(default)]
    pub high_assurance: Option<bool>,
    /// Whether it is listed publicly.
    #[serde(default)]
    pub public: Option<bool>,
    /// Whether guest collections may be made on it.
    #[serde(default)]
    pub shareable: Option<bool>,
    /// Whether it is non-functional (a GCSv5 endpoint rather than a collection).
    #[serde(default)]
    pub non_functional: Option<bool>,
    /// Whether it is a Globus Connect Personal endpoint.
    #[serde(default)]
    pub is_globus_connect: Option<bool>,
    /// Subscription id.
    #[serde(default)]
    pub subscription_id: Option<String>,
    /// The caller's effective roles on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub my_effective_roles: Option<Vec<String>>,
    /// Whether it has ACLs at all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acl_available: Option<bool>,
    /// Whether the caller may edit its ACLs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acl_editable: Option<bool>,
    /// Server documents.
    #[serde(rename = "DATA", default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Vec<serde_json::Value>>,
    /// Unknown fields, kept verbatim.
    #[serde(flatten, default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

/// A Transfer error body `{"code","message","request_id","resource"}`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TransferError {
    /// E.g. `EndpointNotFound`, `Exists`, `ExternalError.MkdirFailed.Exists`.
    #[serde(default)]
    pub code: String,
    /// Human-readable message.
    #[serde(default)]
    pub message: String,
    /// Request id for support.
    #[serde(default)]
    pub request_id: String,
    /// The resource path.
    #[serde(default)]
    pub resource: String,
    /// What a new login must satisfy, on session or consent failures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_parameters: Option<serde_json::Value>,
    /// Unknown fields, kept verbatim.
    #[serde(flatten, default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

impl TransferError {
    /// Whether the SDK and accord must never retry it (`ExternalError` / `EndpointError`).
    pub fn is_never_retried(&self) -> bool {
        self.code.contains("ExternalError") || self.code.contains("EndpointError")
    }
}
