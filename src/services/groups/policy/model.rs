//! `groups:` merged and checked: what compilation reads (see `policy::model`).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::policy::{Located, Origin, Ownership, PrincipalRef};
/// A Globus group role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GroupRole {
    /// `member`.
    Member,
    /// `manager`.
    Manager,
    /// `admin`.
    Admin,
}

impl GroupRole {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            GroupRole::Member => "member",
            GroupRole::Manager => "manager",
            GroupRole::Admin => "admin",
        }
    }
}

/// One entry of `groups:`.
#[derive(Debug, Clone)]
pub struct GroupPolicy {
    /// The policy name (the key); also the group's name on the service.
    pub name: String,
    /// Where the group's key is written.
    pub origin: Origin,
    /// `id:` pin.
    pub id: Option<Located<Uuid>>,
    /// `absent: true`: a tombstone.
    pub absent: bool,
    /// `description:`.
    pub description: Option<Located<String>>,
    /// `policies:` (only the keys written).
    pub policies: Option<Located<GroupPolicies>>,
    /// `members:`.
    pub members: Vec<MemberGrant>,
    /// `previously:` former names, for renames.
    pub previously: Vec<Located<String>>,
    /// Ownership settings.
    pub ownership: Ownership,
}

/// `policies:` of a group; `None` means "not managed".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupPolicies {
    /// `group_visibility`: `authenticated` or `private`.
    pub group_visibility: Option<String>,
    /// `group_members_visibility`: `members` or `managers`.
    pub group_members_visibility: Option<String>,
    /// `join_requests`.
    pub join_requests: Option<bool>,
    /// `signup_fields`.
    pub signup_fields: Option<Vec<String>>,
    /// `authentication_assurance_timeout` in seconds.
    pub authentication_assurance_timeout: Option<i64>,
    /// `is_high_assurance`.
    pub is_high_assurance: Option<bool>,
}

/// One member line of a group.
#[derive(Debug, Clone)]
pub struct MemberGrant {
    /// Who.
    pub principal: Located<PrincipalRef>,
    /// With which role.
    pub role: GroupRole,
    /// Until when (an expired grant counts as absent).
    pub expires: Option<DateTime<Utc>>,
    /// Where the entry is written.
    pub origin: Origin,
}
