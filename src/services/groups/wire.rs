//! Globus Groups v2 documents: groups, policies, memberships, batch actions, errors.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::wire::Extra;

/// A membership role. Unknown roles decode as `Other` so a new role never breaks a read.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// An ordinary member.
    Member,
    /// May add, approve, invite and remove members.
    Manager,
    /// May do everything, including changing roles.
    Admin,
    /// A role this version does not know.
    #[serde(untagged)]
    Other(String),
}

impl Role {
    /// The wire spelling of the role.
    pub fn as_str(&self) -> &str {
        match self {
            Role::Member => "member",
            Role::Manager => "manager",
            Role::Admin => "admin",
            Role::Other(s) => s,
        }
    }
}

/// A membership status. Unknown values decode as `Other`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MembershipStatus {
    /// A full member.
    Active,
    /// Invited, not yet accepted.
    Invited,
    /// Requested to join, not yet approved.
    Pending,
    /// Join request rejected.
    Rejected,
    /// Removed by a manager.
    Removed,
    /// Left on their own.
    Left,
    /// Declined an invitation.
    Declined,
    /// A status this version does not know.
    #[serde(untagged)]
    Other(String),
}

impl MembershipStatus {
    /// The wire spelling of the status.
    pub fn as_str(&self) -> &str {
        match self {
            MembershipStatus::Active => "active",
            MembershipStatus::Invited => "invited",
            MembershipStatus::Pending => "pending",
            MembershipStatus::Rejected => "rejected",
            MembershipStatus::Removed => "removed",
            MembershipStatus::Left => "left",
            MembershipStatus::Declined => "declined",
            MembershipStatus::Other(s) => s,
        }
    }
}

/// `GroupPolicyReadModel`: a group's policies as read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupPolicies {
    /// Whether the group is high-assurance.
    #[serde(default)]
    pub is_high_assurance: bool,
    /// Seconds of session freshness required; null for none.
    #[serde(default)]
    pub authentication_assurance_timeout: Option<i64>,
    /// `authenticated | private`.
    #[serde(default = "default_group_visibility")]
    pub group_visibility: String,
    /// `members | managers`.
    #[serde(default = "default_members_visibility")]
    pub group_members_visibility: String,
    /// Whether non-members may ask to join.
    #[serde(default)]
    pub join_requests: bool,
    /// Fields asked of people who join.
    #[serde(default)]
    pub signup_fields: Vec<String>,
    /// Unknown fields, kept verbatim.
    #[serde(flatten, default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

fn default_group_visibility() -> String {
    "private".into()
}

fn default_members_visibility() -> String {
    "managers".into()
}

impl Default for GroupPolicies {
    /// The service's defaults for a new group.
    fn default() -> Self {
        GroupPolicies {
            is_high_assurance: false,
            authentication_assurance_timeout: Some(28800),
            group_visibility: default_group_visibility(),
            group_members_visibility: default_members_visibility(),
            join_requests: false,
            signup_fields: Vec::new(),
            extra: Extra::new(),
        }
    }
}

/// `GroupPolicyWriteModel`: every field optional; absent fields are left unchanged.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct GroupPoliciesWrite {
    /// Whether the group is high-assurance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_high_assurance: Option<bool>,
    /// Seconds of session freshness required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentication_assurance_timeout: Option<i64>,
    /// `authenticated | private`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_visibility: Option<String>,
    /// `members | managers`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_members_visibility: Option<String>,
    /// Whether non-members may ask to join.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub join_requests: Option<bool>,
    /// Fields asked of people who join.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signup_fields: Option<Vec<String>>,
    /// Unknown fields, kept verbatim.
    #[serde(flatten, default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

/// `MembershipReadModel`: one identity's membership in one group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Membership {
    /// The group.
    pub group_id: Uuid,
    /// The member's identity.
    pub identity_id: Uuid,
    /// The member's username.
    #[serde(default)]
    pub username: Option<String>,
    /// `member | manager | admin`.
    pub role: Role,
    /// `active | invited | pending | ...`.
    pub status: MembershipStatus,
    /// Set when the membership comes from a child group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_group_id: Option<Uuid>,
    /// Why the status was last changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    /// Email an invitation was sent to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invite_email_address: Option<String>,
    /// Last change time (ISO 8601).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<String>,
    /// Invitation time (ISO 8601).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invite_time: Option<String>,
    /// Answers to the group's signup fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub membership_fields: Option<serde_json::Value>,
    /// Unknown fields, kept verbatim.
    #[serde(flatten, default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

/// `GroupReadModel`: a group as read (`memberships`, `policies` etc. only when included).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Group {
    /// The group UUID.
    pub id: Uuid,
    /// Display name (not unique).
    pub name: String,
    /// Free-text description.
    #[serde(default)]
    pub description: Option<String>,
    /// Terms members accept.
    #[serde(default)]
    pub terms_and_conditions: Option<String>,
    /// Parent group, for subgroups.
    #[serde(default)]
    pub parent_id: Option<Uuid>,
    /// `regular | plus`.
    #[serde(default = "default_group_type")]
    pub group_type: String,
    /// Whether a session is enforced.
    #[serde(default)]
    pub enforce_session: bool,
    /// Session limit in seconds.
    #[serde(default)]
    pub session_limit: Option<i64>,
    /// Per-identity session timeouts.
    #[serde(default)]
    pub session_timeouts: serde_json::Map<String, serde_json::Value>,
    /// The caller's own memberships (`include=my_memberships`, and in `my_groups`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub my_memberships: Option<Vec<Membership>>,
    /// Every membership (`include=memberships`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memberships: Option<Vec<Membership>>,
    /// The group's policies (`include=policies`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policies: Option<GroupPolicies>,
    /// What the caller may do, per action (`include=allowed_actions`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_actions: Option<serde_json::Value>,
    /// Child group ids (`include=child_ids`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub child_ids: Option<Vec<Uuid>>,
    /// Subscription, for Plus groups.
    #[serde(default)]
    pub subscription_id: Option<Uuid>,
    /// Subscription details, for Plus groups.
    #[serde(default)]
    pub subscription_info: Option<serde_json::Value>,
    /// Subscription an admin verified the group under.
    #[serde(default)]
    pub subscription_admin_verified_id: Option<Uuid>,
    /// Unknown fields, kept verbatim.
    #[serde(flatten, default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

fn default_group_type() -> String {
    "regular".into()
}

/// `GroupCreateModel`: the body of `POST /v2/groups`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct GroupCreate {
    /// Display name (required).
    pub name: String,
    /// Free-text description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Terms members accept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terms_and_conditions: Option<String>,
    /// Parent group; the caller must administer it. The SDK sends an explicit null.
    #[serde(default)]
    pub parent_id: Option<Uuid>,
    /// Initial policies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policies: Option<GroupPoliciesWrite>,
    /// Unknown fields, kept verbatim.
    #[serde(flatten, default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

/// `GroupWriteModel`: the body of `PUT /v2/groups/{id}`; absent fields are unchanged.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct GroupUpdate {
    /// New display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// New description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// New terms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terms_and_conditions: Option<String>,
    /// Subscription an admin verifies the group under.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription_admin_verified_id: Option<Uuid>,
    /// Unknown fields, kept verbatim.
    #[serde(flatten, default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

/// One identity in one action of a batch membership call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchMember {
    /// The identity acted on.
    pub identity_id: Uuid,
    /// Role, for `add`, `invite` and `change_role` (default `member`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// Reason recorded with the change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    /// Where to send an invitation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invite_email_address: Option<String>,
    /// Unknown fields, kept verbatim.
    #[serde(flatten, default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

impl BatchMember {
    /// An entry for `identity_id` with no role or reason.
    pub fn new(identity_id: Uuid) -> Self {
        BatchMember {
            identity_id,
            role: None,
            status_reason: None,
            invite_email_address: None,
            extra: Extra::new(),
        }
    }

    /// An entry for `identity_id` with `role`.
    pub fn with_role(identity_id: Uuid, role: Role) -> Self {
        BatchMember {
            role: Some(role),
            ..BatchMember::new(identity_id)
        }
    }
}

/// `GroupMembershipPostAction`: the body of `POST /v2/groups/{id}`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct BatchMembershipAction {
    /// Add identities directly (role defaults to `member`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub add: Vec<BatchMember>,
    /// Invite identities.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub invite: Vec<BatchMember>,
    /// Change the role of existing members.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub change_role: Vec<BatchMember>,
    /// Remove members.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remove: Vec<BatchMember>,
    /// Approve pending join requests.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub approve: Vec<BatchMember>,
    /// Reject pending join requests.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reject: Vec<BatchMember>,
    /// Accept an invitation (the caller's own identities).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accept: Vec<BatchMember>,
    /// Decline an invitation (the caller's own identities).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub decline: Vec<BatchMember>,
    /// Leave the group (the caller's own identities).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub leave: Vec<BatchMember>,
    /// Join an open group (the caller's own identities).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub join: Vec<BatchMember>,
    /// Ask to join (the caller's own identities).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub request_join: Vec<BatchMember>,
    /// Unknown fields, kept verbatim.
    #[serde(flatten, default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

/// A per-identity failure inside a batch response (not an HTTP error).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchError {
    /// The identity the action failed for.
    pub identity_id: Uuid,
    /// E.g. `ALREADY_ACTIVE`, `NO_MEMBERSHIP`.
    pub code: String,
    /// Human-readable explanation.
    #[serde(default)]
    pub detail: String,
    /// Unknown fields, kept verbatim.
    #[serde(flatten, default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

/// `GroupMembershipPostActionResponse`: the resulting memberships per action, plus errors.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct BatchMembershipResponse {
    /// Memberships added.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub add: Option<Vec<Membership>>,
    /// Memberships invited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invite: Option<Vec<Membership>>,
    /// Memberships whose role changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_role: Option<Vec<Membership>>,
    /// Memberships removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remove: Option<Vec<Membership>>,
    /// Memberships approved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approve: Option<Vec<Membership>>,
    /// Memberships rejected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reject: Option<Vec<Membership>>,
    /// Invitations accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accept: Option<Vec<Membership>>,
    /// Invitations declined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decline: Option<Vec<Membership>>,
    /// Memberships left.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leave: Option<Vec<Membership>>,
    /// Memberships joined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub join: Option<Vec<Membership>>,
    /// Join requests made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_join: Option<Vec<Membership>>,
    /// Per-action lists of per-identity failures.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub errors: BTreeMap<String, Vec<BatchError>>,
    /// Unknown fields, kept verbatim.
    #[serde(flatten, default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

/// One identity's preferences (`GET/PUT /v2/preferences`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdentityPreferences {
    /// Whether managers may add this identity without an invitation.
    #[serde(default = "default_true")]
    pub allow_add: bool,
    /// Unknown fields, kept verbatim.
    #[serde(flatten, default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

fn default_true() -> bool {
    true
}

/// The preferences document: identity id → preferences.
pub type Preferences = BTreeMap<Uuid, IdentityPreferences>;

/// A Groups error body: `{"code","detail"}` (detail is a list on FastAPI 422s).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct GroupsError {
    /// Error code; absent on FastAPI validation errors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// A message, or a list of validation failures on 422.
    #[serde(default)]
    pub detail: serde_json::Value,
    /// Scopes the token had (403).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provided_scopes: Option<Vec<String>>,
    /// What a new login must satisfy (401).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_parameters: Option<serde_json::Value>,
    /// Identities a name matched more than once (400).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ambiguous_identities: Option<Vec<serde_json::Value>>,
    /// Unknown fields, kept verbatim.
    #[serde(flatten, default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}
