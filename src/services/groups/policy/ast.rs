//! `groups:` as written: serde + schemars types with spans (see `policy::ast`).
use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_saphyr::Spanned;
use uuid::Uuid;

use crate::policy::ast::SpannedMap;
use crate::state::ContainerMode;
/// One Globus group.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Group {
    /// Pin to an existing group's UUID (`accord import` writes it).
    #[serde(default)]
    #[schemars(with = "Option<Uuid>")]
    pub id: Option<Spanned<String>>,
    /// The group's description.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub description: Option<Spanned<String>>,
    /// Group policies; only the keys written are managed.
    #[serde(default)]
    #[schemars(with = "Option<GroupPolicies>")]
    pub policies: Option<Spanned<GroupPolicies>>,
    /// Members: principal → role (`member`, `manager`, `admin`) or `{role, expires}`.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, MemberValueSchema>")]
    pub members: SpannedMap<Spanned<MemberValue>>,
    /// `true` makes this entry a tombstone: the group is deleted.
    #[serde(default)]
    #[schemars(with = "Option<bool>")]
    pub absent: Option<Spanned<bool>>,
    /// Former names of this group, so that a rename is an update, not a delete + create.
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub previously: Option<Vec<Spanned<String>>>,
    /// How live members the policy does not name are treated (default `authoritative`).
    #[serde(default)]
    #[schemars(with = "Option<ContainerMode>")]
    pub mode: Option<Spanned<String>>,
    /// Refuse any plan that deletes this group.
    #[serde(default)]
    #[schemars(with = "Option<bool>")]
    pub prevent_destroy: Option<Spanned<bool>>,
    /// Fields accord must not fight over: `description`, `policies` or `policies.<key>`.
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub ignore_changes: Option<Vec<Spanned<String>>>,
}

/// A group's `policies:`.
#[derive(Debug, Default, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupPolicies {
    /// Who can see the group.
    #[serde(default)]
    #[schemars(with = "Option<GroupVisibilitySchema>")]
    pub group_visibility: Option<Spanned<String>>,
    /// Who can see the member list.
    #[serde(default)]
    #[schemars(with = "Option<GroupMembersVisibilitySchema>")]
    pub group_members_visibility: Option<Spanned<String>>,
    /// Whether users may ask to join.
    #[serde(default)]
    #[schemars(with = "Option<bool>")]
    pub join_requests: Option<Spanned<bool>>,
    /// Fields a user fills in when asking to join.
    #[serde(default)]
    #[schemars(with = "Option<Vec<SignupFieldSchema>>")]
    pub signup_fields: Option<Vec<Spanned<String>>>,
    /// Seconds an authentication stays valid for this group (high-assurance groups).
    #[serde(default)]
    #[schemars(with = "Option<u32>")]
    pub authentication_assurance_timeout: Option<Spanned<i64>>,
    /// Whether the group is high-assurance.
    #[serde(default)]
    #[schemars(with = "Option<bool>")]
    pub is_high_assurance: Option<Spanned<bool>>,
}

/// A member's value: a role string, or the long form with an expiry.
#[derive(Debug, Clone, PartialEq)]
pub enum MemberValue {
    /// `alice: member`.
    Role(String),
    /// `bob: { role: admin, expires: 2027-06-30T00:00:00Z }`.
    Long(MemberLong),
}

/// The long form of a member entry.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberLong {
    /// `member`, `manager` or `admin`.
    #[schemars(with = "GroupRoleSchema")]
    pub role: Spanned<String>,
    /// When the membership ends (RFC 3339 with a timezone).
    #[serde(default)]
    #[schemars(with = "Option<DateTime<Utc>>")]
    pub expires: Option<Spanned<String>>,
}

// Hand-written because `#[serde(untagged)]` would drop the spans inside `MemberLong`.
impl<'de> Deserialize<'de> for MemberValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = MemberValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a role (member, manager, admin) or a mapping {role, expires}")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(MemberValue::Role(v.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                MemberLong::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(MemberValue::Long)
            }
        }
        d.deserialize_any(V)
    }
}

// ---- Schema-only types: they give the JSON Schema its enums and shapes. ----
/// A group role.
#[derive(JsonSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
enum GroupRoleSchema {
    /// A member.
    Member,
    /// A manager: manages members.
    Manager,
    /// An admin: manages the group.
    Admin,
}

/// A member: a role, or `{role, expires}`.
#[derive(JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum MemberValueSchema {
    /// Short form.
    Role(GroupRoleSchema),
    /// Long form, for expiry.
    Long(MemberLong),
}

/// Who can see the group.
#[derive(JsonSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
enum GroupVisibilitySchema {
    /// Any signed-in user.
    Authenticated,
    /// Members only.
    Private,
}

/// Who can see the member list.
#[derive(JsonSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
enum GroupMembersVisibilitySchema {
    /// Every member.
    Members,
    /// Managers and admins only.
    Managers,
}

/// A field asked for when joining a group.
#[derive(JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
enum SignupFieldSchema {
    /// Institution.
    Institution,
    /// Current project name.
    CurrentProjectName,
    /// Address.
    Address,
    /// City.
    City,
    /// State.
    State,
    /// Country.
    Country,
    /// Address line 1.
    Address1,
    /// Address line 2.
    Address2,
    /// ZIP code.
    Zip,
    /// Phone.
    Phone,
    /// Department.
    Department,
    /// Field of science.
    FieldOfScience,
}
