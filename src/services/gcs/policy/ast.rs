//! `collections:` as written: serde + schemars types with spans (see `policy::ast`).

use schemars::JsonSchema;
use serde::Deserialize;
use serde_saphyr::Spanned;
use uuid::Uuid;

use crate::policy::ast::SpannedMap;
use crate::services::transfer::policy::ast::{AclRule, DirectoryValue, DirectoryValueSchema};
use crate::state::ContainerMode;
/// A guest collection accord creates on a GCS endpoint.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Collection {
    /// Pin to an existing guest collection's UUID (`accord import` writes it).
    #[serde(default)]
    #[schemars(with = "Option<Uuid>")]
    pub id: Option<Spanned<String>>,
    /// The GCS endpoint UUID.
    #[serde(default)]
    #[schemars(with = "Option<Uuid>")]
    pub endpoint: Option<Spanned<String>>,
    /// The mapped collection UUID the guest collection sits on.
    #[serde(default)]
    #[schemars(with = "Option<Uuid>")]
    pub mapped_collection: Option<Spanned<String>>,
    /// The storage gateway UUID (for the user credential).
    #[serde(default)]
    #[schemars(with = "Option<Uuid>")]
    pub storage_gateway: Option<Spanned<String>>,
    /// The base path inside the mapped collection (absolute); changing it replaces the collection.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub base_path: Option<Spanned<String>>,
    /// The display name (defaults to the policy name).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub display_name: Option<Spanned<String>>,
    /// Whether the collection is listed publicly.
    #[serde(default)]
    #[schemars(with = "Option<bool>")]
    pub public: Option<Spanned<bool>>,
    /// The POSIX user of the storage gateway credential backing the collection.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub local_username: Option<Spanned<String>>,
    /// A description shown to users.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub description: Option<Spanned<String>>,
    /// The organization operating the collection.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub organization: Option<Spanned<String>>,
    /// The department operating the collection.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub department: Option<Spanned<String>>,
    /// A contact email address.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub contact_email: Option<Spanned<String>>,
    /// Other contact information.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub contact_info: Option<Spanned<String>>,
    /// A link to more information.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub info_link: Option<Spanned<String>>,
    /// Search keywords.
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub keywords: Option<Vec<Spanned<String>>>,
    /// The folder a client opens first (absolute, ending in `/`).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub default_directory: Option<Spanned<String>>,
    /// Require encrypted transfers.
    #[serde(default)]
    #[schemars(with = "Option<bool>")]
    pub force_encryption: Option<Spanned<bool>>,
    /// Skip checksum verification of transfers.
    #[serde(default)]
    #[schemars(with = "Option<bool>")]
    pub disable_verify: Option<Spanned<bool>>,
    /// Allow HTTPS access.
    #[serde(default)]
    #[schemars(with = "Option<bool>")]
    pub enable_https: Option<Spanned<bool>>,
    /// A message shown to users of the collection.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub user_message: Option<Spanned<String>>,
    /// A link shown beside `user_message`.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub user_message_link: Option<Spanned<String>>,
    /// Collection roles → principals.
    #[serde(default)]
    #[schemars(with = "Option<CollectionRolesSchema>")]
    pub roles: Option<Spanned<SpannedMap<Vec<Spanned<String>>>>>,
    /// Directories to create: a path (absolute, ending in `/`), or `{path, for}`.
    #[serde(default)]
    #[schemars(with = "Option<Vec<DirectoryValueSchema>>")]
    pub directories: Option<Vec<Spanned<DirectoryValue>>>,
    /// ACL rules.
    #[serde(default)]
    #[schemars(with = "Option<Vec<AclRule>>")]
    pub acl: Option<Vec<Spanned<AclRule>>>,
    /// `true` makes this entry a tombstone: the collection is deleted (with its rules and roles).
    #[serde(default)]
    #[schemars(with = "Option<bool>")]
    pub absent: Option<Spanned<bool>>,
    /// Refuse any plan that deletes or replaces this collection (on by default).
    #[serde(default)]
    #[schemars(with = "Option<bool>")]
    pub prevent_destroy: Option<Spanned<bool>>,
    /// How live rules and roles the policy does not name are treated (default `authoritative`).
    #[serde(default)]
    #[schemars(with = "Option<ContainerMode>")]
    pub mode: Option<Spanned<String>>,
}

// ---- Schema-only types: they give the JSON Schema its enums and shapes. ----
/// Guest collection roles.
#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct CollectionRolesSchema {
    /// Full control of the collection.
    administrator: Option<Vec<String>>,
    /// Manages ACL rules.
    access_manager: Option<Vec<String>>,
    /// Manages and sees tasks.
    activity_manager: Option<Vec<String>>,
    /// Sees tasks.
    activity_monitor: Option<Vec<String>>,
}
