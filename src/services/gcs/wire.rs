//! Globus Connect Server v5 Manager API documents (`https://<endpoint-host>/api/...`):
//! the result envelope, collections, roles, user credentials, storage gateways and info.
//!
//! Every document carries a versioned `DATA_TYPE` (`collection#1.0.0`); decoding accepts any
//! version and keeps unknown fields in `extra`. Optional fields are left out when `None`, so
//! a document built for a create carries only what the caller set.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::wire::Extra;

/// `DATA_TYPE` of the result envelope this crate writes.
pub const RESULT_DATA_TYPE: &str = "result#1.0.0";
/// `DATA_TYPE` of collection documents this crate writes.
pub const COLLECTION_DATA_TYPE: &str = "collection#1.0.0";
/// `DATA_TYPE` of role documents.
pub const ROLE_DATA_TYPE: &str = "role#1.0.0";
/// `DATA_TYPE` of user credential documents.
pub const USER_CREDENTIAL_DATA_TYPE: &str = "user_credential#1.0.0";
/// `DATA_TYPE` of storage gateway documents this crate writes.
pub const STORAGE_GATEWAY_DATA_TYPE: &str = "storage_gateway#1.0.0";
/// `DATA_TYPE` of the info document of `GET /api/info`.
pub const INFO_DATA_TYPE: &str = "info#1.0.0";
/// `DATA_TYPE` of the connector document of `GET /api/info`.
pub const CONNECTOR_DATA_TYPE: &str = "connector#1.1.0";
/// `DATA_TYPE` of POSIX user credential policies.
pub const POSIX_CREDENTIAL_POLICIES_DATA_TYPE: &str = "posix_user_credential_policies#1.0.0";
/// The id of the POSIX connector (as GCS reports it).
pub const POSIX_CONNECTOR_ID: &str = "145812c8-decc-41f1-83cf-bb2a85a2a70b";

/// The name part of a versioned `DATA_TYPE` (`collection#1.4.0` → `collection`).
pub fn data_type_name(data_type: &str) -> &str {
    data_type.split('#').next().unwrap_or(data_type)
}

/// The result envelope every GCS answer (success or error) is wrapped in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GcsResult<T> {
    /// `result#1.0.0` or `result#1.1.0`.
    #[serde(rename = "DATA_TYPE", default)]
    pub data_type: String,
    /// `success`, or an error code (`permission_denied`, `not_found`, `exists`, ...).
    #[serde(default)]
    pub code: String,
    /// A string, a typed detail document (`missing_required_role#1.0.0`, ...) or null.
    #[serde(default)]
    pub detail: Value,
    /// The HTTP status the server meant (fixtures sometimes differ from the real status).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_response_code: Option<u16>,
    /// Whether another page follows (marker pagination).
    #[serde(default)]
    pub has_next_page: bool,
    /// The marker to pass back for the next page (null or `""` on the last page).
    #[serde(default)]
    pub marker: Option<String>,
    /// Human-readable message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// What a new login must satisfy (`result#1.1.0`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_parameters: Option<Value>,
    /// The documents; single-object answers carry one.
    #[serde(default = "Vec::new")]
    pub data: Vec<T>,
    /// Unknown fields, kept verbatim.
    #[serde(flatten, default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

impl<T> GcsResult<T> {
    /// Whether `code` says success (fixtures also spell it `Success`).
    pub fn is_success(&self) -> bool {
        self.code.eq_ignore_ascii_case("success")
    }

    /// The `DATA_TYPE` name of a typed `detail` (`missing_required_role`), if it is one.
    pub fn detail_data_type(&self) -> Option<&str> {
        self.detail
            .get("DATA_TYPE")
            .and_then(Value::as_str)
            .map(data_type_name)
    }

    /// The marker of the next page, when there is one.
    pub fn next_marker(&self) -> Option<&str> {
        match self.marker.as_deref() {
            Some(m) if self.has_next_page && !m.is_empty() => Some(m),
            _ => None,
        }
    }
}

impl GcsResult<Value> {
    /// Decodes the items whose `DATA_TYPE` name is `name` (e.g. `info`, `connector`), the
    /// way the SDK's unpacking responses pick their document out of a mixed `data`.
    pub fn items_of<T: serde::de::DeserializeOwned>(
        &self,
        name: &str,
    ) -> Result<Vec<T>, serde_json::Error> {
        self.data
            .iter()
            .filter(|item| {
                item.get("DATA_TYPE")
                    .and_then(Value::as_str)
                    .is_some_and(|dt| data_type_name(dt) == name)
            })
            .map(|item| serde_json::from_value(item.clone()))
            .collect()
    }
}

/// An error answer: the envelope with an empty (or untyped) `data`.
pub type GcsError = GcsResult<Value>;

/// Whether a collection is mapped (on a storage gateway) or guest (shared from a mapped one).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CollectionType {
    /// A mapped collection: a storage gateway's path, accessed as the user's local account.
    Mapped,
    /// A guest collection: a path of a mapped collection shared through a user credential.
    Guest,
    /// A type this version does not know.
    #[serde(untagged)]
    Other(String),
}

fn collection_data_type() -> String {
    COLLECTION_DATA_TYPE.into()
}

/// The `collection#1.x.0` document (mapped and guest fields; all optional on decode).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Collection {
    /// `collection#1.0.0` … `collection#1.16.0`.
    #[serde(rename = "DATA_TYPE", default = "collection_data_type")]
    pub data_type: String,
    /// The collection UUID (server-set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `mapped` or `guest`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collection_type: Option<CollectionType>,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Guest only: the mapped collection it shares from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mapped_collection_id: Option<String>,
    /// The storage gateway (required for mapped; derived for guest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_gateway_id: Option<String>,
    /// Guest only: the user credential the guest collection accesses data as (write-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_credential_id: Option<String>,
    /// The collection's root: for guests relative to the mapped collection's root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collection_base_path: Option<String>,
    /// Guest only: the identity that owns the guest collection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_id: Option<String>,
    /// The GCS endpoint hosting the collection (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_endpoint_id: Option<String>,
    /// The owner (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<String>,
    /// Whether it is listed publicly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public: Option<bool>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Contact email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_email: Option<String>,
    /// Contact information.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_info: Option<String>,
    /// Link to more information.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub info_link: Option<String>,
    /// Organization.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    /// Department.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    /// Search keywords.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keywords: Option<Vec<String>>,
    /// Directory shown first in the web app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_directory: Option<String>,
    /// Whether transfers must be encrypted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub force_encryption: Option<bool>,
    /// Whether checksum verification is disabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_verify: Option<bool>,
    /// Whether HTTPS access is enabled (1.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_https: Option<bool>,
    /// Message shown to users (1.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_message: Option<String>,
    /// Link shown with the user message (1.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_message_link: Option<String>,
    /// Mapped only: whether guest collections may be created on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_guest_collections: Option<bool>,
    /// Mapped only: whether deletion is blocked (1.8).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_protected: Option<bool>,
    /// Connector-specific policies (mapped) or `{}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policies: Option<Value>,
    /// The connector of its storage gateway (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connector_id: Option<String>,
    /// The endpoint's GCS Manager URL (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager_url: Option<String>,
    /// HTTPS access URL (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub https_url: Option<String>,
    /// GridFTP access URL (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tlsftp_url: Option<String>,
    /// Root path as seen by users (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_path: Option<String>,
    /// GCS version (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gcs_version: Option<String>,
    /// Creation date (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// Last access date (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_access: Option<String>,
    /// Whether it is deleted (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted: Option<bool>,
    /// Whether it is high assurance (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub high_assurance: Option<bool>,
    /// Authentication timeout in minutes (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentication_timeout_mins: Option<i64>,
    /// Unknown fields, kept verbatim.
    #[serde(flatten, default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

impl Default for Collection {
    fn default() -> Self {
        Collection {
            data_type: collection_data_type(),
            id: None,
            collection_type: None,
            display_name: None,
            mapped_collection_id: None,
            storage_gateway_id: None,
            user_credential_id: None,
            collection_base_path: None,
            identity_id: None,
            host_endpoint_id: None,
            owner_id: None,
            public: None,
            description: None,
            contact_email: None,
            contact_info: None,
            info_link: None,
            organization: None,
            department: None,
            keywords: None,
            default_directory: None,
            force_encryption: None,
            disable_verify: None,
            enable_https: None,
            user_message: None,
            user_message_link: None,
            allow_guest_collections: None,
            delete_protected: None,
            policies: None,
            connector_id: None,
            manager_url: None,
            https_url: None,
            tlsftp_url: None,
            root_path: None,
            gcs_version: None,
            created_at: None,
            last_access: None,
            deleted: None,
            high_assurance: None,
            authentication_timeout_mins: None,
            extra: Extra::new(),
        }
    }
}

impl Collection {
    /// Whether this is a guest collection.
    pub fn is_guest(&self) -> bool {
        self.collection_type == Some(CollectionType::Guest)
    }
}

fn role_data_type() -> String {
    ROLE_DATA_TYPE.into()
}

/// The `role#1.0.0` document: a principal's role on the endpoint or on one collection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Role {
    /// `role#1.0.0`.
    #[serde(rename = "DATA_TYPE", default = "role_data_type")]
    pub data_type: String,
    /// The role id (server-set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The collection, or null for an endpoint role.
    #[serde(default)]
    pub collection: Option<String>,
    /// `urn:globus:auth:identity:<id>` or `urn:globus:groups:id:<id>`.
    pub principal: String,
    /// `owner | administrator | access_manager | activity_manager | activity_monitor | access_monitor`.
    pub role: String,
    /// Unknown fields, kept verbatim.
    #[serde(flatten, default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

impl Role {
    /// A role document to create (`id` unset).
    pub fn new(
        collection: Option<String>,
        principal: impl Into<String>,
        role: impl Into<String>,
    ) -> Self {
        Role {
            data_type: role_data_type(),
            id: None,
            collection,
            principal: principal.into(),
            role: role.into(),
            extra: Extra::new(),
        }
    }
}

fn user_credential_data_type() -> String {
    USER_CREDENTIAL_DATA_TYPE.into()
}

/// The `user_credential#1.0.0` document: how an identity accesses a storage gateway.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserCredential {
    /// `user_credential#1.0.0`.
    #[serde(rename = "DATA_TYPE", default = "user_credential_data_type")]
    pub data_type: String,
    /// The credential id (server-set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The identity it belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_id: Option<String>,
    /// The storage gateway it is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_gateway_id: Option<String>,
    /// The gateway's connector (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connector_id: Option<String>,
    /// The local (e.g. POSIX) username.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Connector-specific policies (`posix_user_credential_policies#1.0.0`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policies: Option<Value>,
    /// Whether it no longer works (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invalid: Option<bool>,
    /// Whether it was provisioned automatically (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioned: Option<bool>,
    /// Whether it is deleted (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted: Option<bool>,
    /// The local home directory (read-only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub home_directory: Option<String>,
    /// Unknown fields, kept verbatim.
    #[serde(flatten, default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

impl Default for UserCredential {
    fn default() -> Self {
        UserCredential {
            data_type: user_credential_data_type(),
            id: None,
            identity_id: None,
            storage_gateway_id: None,
            connector_id: None,
            username: None,
            display_name: None,
            policies: None,
            invalid: None,
            provisioned: None,
            deleted: None,
            home_directory: None,
            extra: Extra::new(),
        }
    }
}

impl UserCredential {
    /// Whether the credential may be used (not marked invalid or deleted).
    pub fn is_usable(&self) -> bool {
        self.invalid != Some(true) && self.deleted != Some(true)
    }
}

/// The `storage_gateway#1.x.0` document (the fields accord reads).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StorageGateway {
    /// `storage_gateway#1.0.0` … `#1.3.0`.
    #[serde(rename = "DATA_TYPE", default)]
    pub data_type: String,
    /// The gateway id.
    pub id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// The connector (POSIX, S3, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connector_id: Option<String>,
    /// Whether it is high assurance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub high_assurance: Option<bool>,
    /// Identity mapping (e.g. `username_without_domain`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mapping: Option<String>,
    /// Connector-specific policies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policies: Option<Value>,
    /// Unknown fields, kept verbatim.
    #[serde(flatten, default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

/// The `info#1.0.0` document of `GET /api/info` (unauthenticated).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Info {
    /// `info#1.0.0`.
    #[serde(rename = "DATA_TYPE", default)]
    pub data_type: String,
    /// Manager API version, e.g. `1.29.0`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    /// The endpoint's Auth client id: the resource server of `manage_collections` tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// The endpoint id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint_id: Option<String>,
    /// The endpoint's domain name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain_name: Option<String>,
    /// GCS manager version, e.g. `5.4.76`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager_version: Option<String>,
    /// Unknown fields, kept verbatim.
    #[serde(flatten, default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

/// The `connector#1.x.0` document that `GET /api/info` lists beside `info`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Connector {
    /// `connector#1.0.0` or `#1.1.0`.
    #[serde(rename = "DATA_TYPE", default)]
    pub data_type: String,
    /// Connector id.
    pub id: String,
    /// Display name, e.g. `POSIX`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Whether it is BAA-compliant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_baa: Option<bool>,
    /// Whether it is high assurance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_ha: Option<bool>,
    /// Unknown fields, kept verbatim.
    #[serde(flatten, default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}
