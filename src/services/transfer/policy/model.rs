//! `endpoints:` merged and checked, and the rules and directories guest collections share.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::policy::{Located, Origin, Ownership, PrincipalRef};
/// Transfer permissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Permissions {
    /// Read only (`r`).
    Read,
    /// Read-write (`rw`).
    ReadWrite,
}

impl Permissions {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Permissions::Read => "r",
            Permissions::ReadWrite => "rw",
        }
    }
}

/// One entry of `endpoints:`: a collection accord does not create.
#[derive(Debug, Clone)]
pub struct EndpointPolicy {
    /// The collection UUID.
    pub id: Uuid,
    /// Where the key is first written (files may merge).
    pub origin: Origin,
    /// `manage_paths:` (each ends in `/`); empty means every path.
    pub manage_paths: Vec<Located<String>>,
    /// `directories:`.
    pub directories: Vec<Directory>,
    /// `acl:` rules, from every file that names this endpoint.
    pub acl: Vec<AclRule>,
    /// Ownership settings.
    pub ownership: Ownership,
}

/// One `directories:` entry of an endpoint or a guest collection.
#[derive(Debug, Clone)]
pub struct Directory {
    /// The path, absolute and ending in `/`; holds `{id}` exactly when `for_principals` is set.
    pub path: Located<String>,
    /// `for:` the identities one directory each is made for (`{id}` → each one's UUID);
    /// empty for a plain path.
    pub for_principals: Vec<Located<PrincipalRef>>,
    /// Where the entry is written.
    pub origin: Origin,
}

/// The placeholder for an identity's UUID in ACL and directory paths.
pub const ID_PLACEHOLDER: &str = "{id}";

/// One ACL rule.
#[derive(Debug, Clone)]
pub struct AclRule {
    /// Who.
    pub principal: Located<PrincipalRef>,
    /// The path, absolute and ending in `/`; may hold `{id}` for an identity principal.
    pub path: Located<String>,
    /// `r` or `rw`.
    pub permissions: Permissions,
    /// Until when.
    pub expires: Option<DateTime<Utc>>,
    /// `notify_email`, sent on create only.
    pub notify_email: Option<String>,
    /// Where the rule is written.
    pub origin: Origin,
}
