//! `collections:` merged and checked: what compilation reads (see `policy::model`).
use std::collections::BTreeMap;

use uuid::Uuid;

use crate::policy::{Located, Origin, Ownership, PrincipalRef};
use crate::services::transfer::policy::model::{AclRule, Directory};
/// A guest collection role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CollectionRole {
    /// `administrator`: full control of the collection.
    Administrator,
    /// `access_manager`: manages ACL rules.
    AccessManager,
    /// `activity_manager`: manages and sees tasks.
    ActivityManager,
    /// `activity_monitor`: sees tasks.
    ActivityMonitor,
}

impl CollectionRole {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            CollectionRole::Administrator => "administrator",
            CollectionRole::AccessManager => "access_manager",
            CollectionRole::ActivityManager => "activity_manager",
            CollectionRole::ActivityMonitor => "activity_monitor",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<CollectionRole> {
        match s {
            "administrator" => Some(CollectionRole::Administrator),
            "access_manager" => Some(CollectionRole::AccessManager),
            "activity_manager" => Some(CollectionRole::ActivityManager),
            "activity_monitor" => Some(CollectionRole::ActivityMonitor),
            _ => None,
        }
    }
}

/// One principal in one role of a guest collection.
#[derive(Debug, Clone)]
pub struct RoleGrant {
    /// The role.
    pub role: CollectionRole,
    /// Who.
    pub principal: Located<PrincipalRef>,
}

/// One entry of `collections:`: a GCS guest collection accord creates.
#[derive(Debug, Clone)]
pub struct CollectionPolicy {
    /// The policy name N (the key; never a UUID).
    pub name: String,
    /// Where the key is first written (files may merge).
    pub origin: Origin,
    /// `id:` pin.
    pub id: Option<Located<Uuid>>,
    /// `absent: true`: a tombstone (it keeps `endpoint`, and `id` or `mapped_collection`,
    /// to find the collection live).
    pub absent: bool,
    /// `endpoint:` the GCS endpoint UUID E (always set once validated).
    pub endpoint: Option<Located<Uuid>>,
    /// `mapped_collection:` M (set unless a pinned tombstone leaves it out).
    pub mapped_collection: Option<Located<Uuid>>,
    /// `storage_gateway:` G of M (set unless a tombstone).
    pub storage_gateway: Option<Located<Uuid>>,
    /// `base_path:` the collection's base path inside M (set unless a tombstone).
    pub base_path: Option<Located<String>>,
    /// `display_name:` (compilation defaults it to `name`).
    pub display_name: Option<Located<String>>,
    /// `public:`.
    pub public: Option<Located<bool>>,
    /// `local_username:` the POSIX user of the credential.
    pub local_username: Option<Located<String>>,
    /// Other guest collection document fields, by their GCS name (`description`,
    /// `organization`, `department`, `contact_email`, `contact_info`, `info_link`, `keywords`
    /// (sorted), `default_directory`, `force_encryption`, `disable_verify`, `enable_https`,
    /// `user_message`, `user_message_link`), as written.
    pub document: BTreeMap<String, Located<serde_json::Value>>,
    /// `roles:`.
    pub roles: Vec<RoleGrant>,
    /// `directories:`.
    pub directories: Vec<Directory>,
    /// `acl:` rules, from every file that names this collection.
    pub acl: Vec<AclRule>,
    /// Ownership settings (`mode` applies to both rules and roles).
    pub ownership: Ownership,
}
