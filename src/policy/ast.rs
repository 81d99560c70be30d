//! The policy files and `accord.yaml` exactly as written: serde + schemars types with spans.
//!
//! Every value a diagnostic may blame is a `Spanned<T>`. Values with a closed set of
//! spellings (roles, permissions, modes, timestamps) are read as strings and checked in
//! `validate`, so that a bad value gets a precise, friendly diagnostic instead of serde's
//! generic "unknown variant". The JSON Schema still lists the allowed values, through the
//! schema-only types at the bottom of this file (`#[schemars(with = ...)]`).
//!
//! serde-saphyr loses spans under `#[serde(tag)]`, `untagged` and `flatten`, so this AST
//! uses none of them: the "string or mapping" shapes have hand-written visitors instead.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use chrono::{DateTime, Utc};
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;
use uuid::Uuid;

use crate::state::ContainerMode;

/// A YAML mapping whose keys keep their locations, in file order.
///
/// A `BTreeMap` would lose the key spans (and `Spanned` is not `Ord`); duplicate keys
/// are rejected by the parser itself (`DuplicateKeyPolicy::Error`).
#[derive(Debug, Clone, PartialEq)]
pub struct SpannedMap<V>(pub Vec<(Spanned<String>, V)>);

impl<V> Default for SpannedMap<V> {
    fn default() -> Self {
        SpannedMap(Vec::new())
    }
}

impl<V> SpannedMap<V> {
    /// The entries in file order.
    pub fn iter(&self) -> impl Iterator<Item = (&Spanned<String>, &V)> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    /// Whether the mapping has no entry.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for SpannedMap<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct MapVisitor<V>(PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for MapVisitor<V> {
            type Value = SpannedMap<V>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a mapping")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(k) = map.next_key::<Spanned<String>>()? {
                    let v = map.next_value::<V>()?;
                    out.push((k, v));
                }
                Ok(SpannedMap(out))
            }
            // `identities:` with nothing after it is an empty mapping, not a type error.
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(SpannedMap(Vec::new()))
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(SpannedMap(Vec::new()))
            }
        }
        d.deserialize_map(MapVisitor(PhantomData))
    }
}

impl<V: JsonSchema> JsonSchema for SpannedMap<V> {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        format!("Map_of_{}", V::schema_name()).into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        <BTreeMap<String, V>>::json_schema(generator)
    }
}

/// One policy file. Every section is optional; sections from several files merge.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "accord policy file")]
pub struct PolicyFile {
    /// Short names for Globus principals: alias → username (`alice@uchicago.edu`) or identity UUID.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    pub identities: SpannedMap<Spanned<String>>,
    /// Globus groups by name. The name is the group's name on the service.
    #[serde(default)]
    pub groups: SpannedMap<Group>,
    /// Guest collections accord creates on a GCS endpoint, by policy name.
    #[serde(default)]
    pub collections: SpannedMap<Collection>,
    /// Collections accord does not create, by collection UUID: their ACL rules and directories.
    #[serde(default)]
    pub endpoints: SpannedMap<Endpoint>,
    /// Globus Search.
    #[serde(default)]
    #[schemars(with = "Option<Search>")]
    pub search: Option<Spanned<Search>>,
    /// The Boss: its principals are Boss usernames and Boss group names.
    #[serde(default)]
    #[schemars(with = "Option<Boss>")]
    pub boss: Option<Spanned<Boss>>,
}

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

/// A collection accord does not create (`endpoints:`), keyed by its UUID.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    /// accord owns only ACL rules under these paths (absolute, ending in `/`); empty: all.
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub manage_paths: Option<Vec<Spanned<String>>>,
    /// Directories to create: a path (absolute, ending in `/`), or `{path, for}` with `{id}`
    /// in the path standing for each `for:` identity's UUID.
    #[serde(default)]
    #[schemars(with = "Option<Vec<DirectoryValueSchema>>")]
    pub directories: Option<Vec<Spanned<DirectoryValue>>>,
    /// ACL rules.
    #[serde(default)]
    #[schemars(with = "Option<Vec<AclRule>>")]
    pub acl: Option<Vec<Spanned<AclRule>>>,
    /// How live rules the policy does not name are treated (default `authoritative`).
    #[serde(default)]
    #[schemars(with = "Option<ContainerMode>")]
    pub mode: Option<Spanned<String>>,
}

/// A directory entry: a path, or the long form with the identities it is made for.
#[derive(Debug, Clone, PartialEq)]
pub enum DirectoryValue {
    /// `/shared/`.
    Path(String),
    /// `{ path: /disthome/{id}/, for: [alice, bob] }`.
    Long(DirectoryLong),
}

/// The long form of a directory entry.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DirectoryLong {
    /// The path, absolute and ending in `/`; `{id}` stands for each `for:` identity's UUID.
    #[schemars(with = "String")]
    pub path: Spanned<String>,
    /// The identities one directory each is made for (the path must hold `{id}`).
    #[serde(default, rename = "for")]
    #[schemars(with = "Option<Vec<String>>")]
    pub for_principals: Option<Vec<Spanned<String>>>,
}

// Hand-written because `#[serde(untagged)]` would drop the spans inside `DirectoryLong`.
impl<'de> Deserialize<'de> for DirectoryValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = DirectoryValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a folder path or a mapping {path, for}")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(DirectoryValue::Path(v.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                DirectoryLong::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(DirectoryValue::Long)
            }
        }
        d.deserialize_any(V)
    }
}

/// One Transfer ACL rule.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AclRule {
    /// Who: an alias, username, identity UUID or URN, `group:NAME`, `group:<uuid>`,
    /// `all_authenticated_users` or `anonymous`.
    #[schemars(with = "String")]
    pub principal: Spanned<String>,
    /// The path, absolute and ending in `/`; `{id}` stands for an identity principal's UUID.
    #[schemars(with = "String")]
    pub path: Spanned<String>,
    /// `r` or `rw`.
    #[schemars(with = "PermissionsSchema")]
    pub permissions: Spanned<String>,
    /// When the rule ends (RFC 3339 with a timezone).
    #[serde(default)]
    #[schemars(with = "Option<DateTime<Utc>>")]
    pub expires: Option<Spanned<String>>,
    /// Address notified when the rule is created.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub notify_email: Option<Spanned<String>>,
}

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

/// `search:`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Search {
    /// Indexes by UUID.
    #[serde(default)]
    pub indexes: SpannedMap<SearchIndex>,
}

/// One Search index.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchIndex {
    /// Index roles → principals.
    #[serde(default)]
    #[schemars(with = "Option<SearchRolesSchema>")]
    pub roles: Option<Spanned<SpannedMap<Vec<Spanned<String>>>>>,
    /// Entry visibility by subject.
    #[serde(default)]
    pub documents: SpannedMap<SearchDocument>,
    /// How live roles the policy does not name are treated (default `authoritative`).
    #[serde(default)]
    #[schemars(with = "Option<ContainerMode>")]
    pub mode: Option<Spanned<String>>,
}

/// Access to one Search subject.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchDocument {
    /// Who can see the subject's entries (`public`, `all_authenticated_users`, principals).
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub visible_to: Option<Spanned<Vec<Spanned<String>>>>,
    /// Named principal sets of the subject.
    #[serde(default)]
    #[schemars(with = "Option<BTreeMap<String, Vec<String>>>")]
    pub principal_sets: Option<SpannedMap<Spanned<Vec<Spanned<String>>>>>,
}

/// `boss:`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Boss {
    /// Named permission sets: name → permission names or other set names.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, Vec<String>>")]
    pub permission_sets: SpannedMap<Spanned<Vec<Spanned<String>>>>,
    /// Boss groups by name.
    #[serde(default)]
    pub groups: SpannedMap<BossGroup>,
    /// Coordinate frames by name.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, CoordinateFrame>")]
    pub coordinate_frames: SpannedMap<Spanned<CoordinateFrame>>,
    /// Collections by name.
    #[serde(default)]
    pub collections: SpannedMap<BossCollection>,
}

/// A Boss group.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BossGroup {
    /// Boss usernames of the members.
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub members: Option<Vec<Spanned<String>>>,
    /// Boss usernames of the maintainers.
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub maintainers: Option<Vec<Spanned<String>>>,
    /// `true` makes this entry a tombstone: the group is deleted.
    #[serde(default)]
    #[schemars(with = "Option<bool>")]
    pub absent: Option<Spanned<bool>>,
    /// How live members the policy does not name are treated (default `authoritative`).
    #[serde(default)]
    #[schemars(with = "Option<ContainerMode>")]
    pub mode: Option<Spanned<String>>,
}

/// A Boss coordinate frame. `*_stop` is exclusive.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CoordinateFrame {
    /// Description.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub description: Option<Spanned<String>>,
    /// First x index.
    #[schemars(with = "u32", range(max = 2147483646))]
    pub x_start: Spanned<i64>,
    /// x index after the last.
    #[schemars(with = "u32", range(min = 1, max = 2147483647))]
    pub x_stop: Spanned<i64>,
    /// First y index.
    #[schemars(with = "u32", range(max = 2147483646))]
    pub y_start: Spanned<i64>,
    /// y index after the last.
    #[schemars(with = "u32", range(min = 1, max = 2147483647))]
    pub y_stop: Spanned<i64>,
    /// First z index.
    #[schemars(with = "u32", range(max = 2147483646))]
    pub z_start: Spanned<i64>,
    /// z index after the last.
    #[schemars(with = "u32", range(min = 1, max = 2147483647))]
    pub z_stop: Spanned<i64>,
    /// Voxel size along x.
    #[schemars(with = "f64")]
    pub x_voxel_size: Spanned<f64>,
    /// Voxel size along y.
    #[schemars(with = "f64")]
    pub y_voxel_size: Spanned<f64>,
    /// Voxel size along z.
    #[schemars(with = "f64")]
    pub z_voxel_size: Spanned<f64>,
    /// `nanometers`, `micrometers`, `millimeters` or `centimeters`.
    #[schemars(with = "VoxelUnitSchema")]
    pub voxel_unit: Spanned<String>,
}

/// A Boss resource's `permissions:`: group → permission names and set names, or one set name.
pub type BossPermissions = SpannedMap<Spanned<PermissionValue>>;

/// One group's permissions on a Boss resource.
#[derive(Debug, Clone, PartialEq)]
pub enum PermissionValue {
    /// `group: reader`: a single permission set (or permission) name.
    One(String),
    /// `group: [read, add]`.
    Many(Vec<Spanned<String>>),
}

// Hand-written because `#[serde(untagged)]` would drop the spans of the list items.
impl<'de> Deserialize<'de> for PermissionValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = PermissionValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a permission set name or a list of permission and set names")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(PermissionValue::One(v.to_string()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(item) = seq.next_element::<Spanned<String>>()? {
                    out.push(item);
                }
                Ok(PermissionValue::Many(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// A Boss collection.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BossCollection {
    /// Description.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub description: Option<Spanned<String>>,
    /// Whether anyone may read it.
    #[serde(default)]
    #[schemars(with = "Option<bool>")]
    pub public: Option<Spanned<bool>>,
    /// Group → permissions (each named group's set is exact).
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, PermissionValueSchema>")]
    pub permissions: BossPermissions,
    /// Experiments by name.
    #[serde(default)]
    pub experiments: SpannedMap<BossExperiment>,
    /// `true` makes this entry a tombstone: it is deleted.
    #[serde(default)]
    #[schemars(with = "Option<bool>")]
    pub absent: Option<Spanned<bool>>,
    /// Refuse any plan that deletes it (on by default).
    #[serde(default)]
    #[schemars(with = "Option<bool>")]
    pub prevent_destroy: Option<Spanned<bool>>,
    /// How groups the policy does not name are treated (default `keyed`).
    #[serde(default)]
    #[schemars(with = "Option<ContainerMode>")]
    pub mode: Option<Spanned<String>>,
}

/// A Boss experiment.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BossExperiment {
    /// The coordinate frame's name (declared under `boss.coordinate_frames`).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub coord_frame: Option<Spanned<String>>,
    /// Description.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub description: Option<Spanned<String>>,
    /// Whether anyone may read it.
    #[serde(default)]
    #[schemars(with = "Option<bool>")]
    pub public: Option<Spanned<bool>>,
    /// Number of resolution levels.
    #[serde(default)]
    #[schemars(with = "Option<u32>", range(min = 1, max = 2147483647))]
    pub num_hierarchy_levels: Option<Spanned<i64>>,
    /// `anisotropic` or `isotropic`.
    #[serde(default)]
    #[schemars(with = "Option<HierarchyMethodSchema>")]
    pub hierarchy_method: Option<Spanned<String>>,
    /// Number of time samples.
    #[serde(default)]
    #[schemars(with = "Option<u32>", range(min = 1, max = 2147483647))]
    pub num_time_samples: Option<Spanned<i64>>,
    /// Time step between samples.
    #[serde(default)]
    #[schemars(with = "Option<u32>", range(max = 2147483647))]
    pub time_step: Option<Spanned<i64>>,
    /// `nanoseconds`, `microseconds`, `milliseconds` or `seconds`.
    #[serde(default)]
    #[schemars(with = "Option<TimeStepUnitSchema>")]
    pub time_step_unit: Option<Spanned<String>>,
    /// Group → permissions.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, PermissionValueSchema>")]
    pub permissions: BossPermissions,
    /// Channels by name.
    #[serde(default)]
    pub channels: SpannedMap<BossChannel>,
    /// `true` makes this entry a tombstone: it is deleted.
    #[serde(default)]
    #[schemars(with = "Option<bool>")]
    pub absent: Option<Spanned<bool>>,
    /// Refuse any plan that deletes it (on by default).
    #[serde(default)]
    #[schemars(with = "Option<bool>")]
    pub prevent_destroy: Option<Spanned<bool>>,
    /// How groups the policy does not name are treated (default `keyed`).
    #[serde(default)]
    #[schemars(with = "Option<ContainerMode>")]
    pub mode: Option<Spanned<String>>,
}

/// A Boss channel.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BossChannel {
    /// `image` or `annotation`.
    #[serde(default, rename = "type")]
    #[schemars(with = "Option<ChannelTypeSchema>")]
    pub channel_type: Option<Spanned<String>>,
    /// `uint8`, `uint16` or `uint64`.
    #[serde(default)]
    #[schemars(with = "Option<DatatypeSchema>")]
    pub datatype: Option<Spanned<String>>,
    /// Description.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub description: Option<Spanned<String>>,
    /// Whether anyone may read it.
    #[serde(default)]
    #[schemars(with = "Option<bool>")]
    pub public: Option<Spanned<bool>>,
    /// Default time sample (less than the experiment's `num_time_samples`).
    #[serde(default)]
    #[schemars(with = "Option<u32>", range(max = 2147483647))]
    pub default_time_sample: Option<Spanned<i64>>,
    /// Base resolution level.
    #[serde(default)]
    #[schemars(with = "Option<u32>", range(max = 2147483647))]
    pub base_resolution: Option<Spanned<i64>>,
    /// Names of source channels in the same experiment.
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub sources: Option<Vec<Spanned<String>>>,
    /// Names of related channels in the same experiment.
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub related: Option<Vec<Spanned<String>>>,
    /// Group → permissions (channels also take the volumetric permissions).
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, PermissionValueSchema>")]
    pub permissions: BossPermissions,
    /// `true` makes this entry a tombstone: it is deleted.
    #[serde(default)]
    #[schemars(with = "Option<bool>")]
    pub absent: Option<Spanned<bool>>,
    /// Refuse any plan that deletes it (on by default).
    #[serde(default)]
    #[schemars(with = "Option<bool>")]
    pub prevent_destroy: Option<Spanned<bool>>,
    /// How groups the policy does not name are treated (default `keyed`).
    #[serde(default)]
    #[schemars(with = "Option<ContainerMode>")]
    pub mode: Option<Spanned<String>>,
}

/// `accord.yaml`: the workspace's settings.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "accord workspace (accord.yaml)")]
pub struct WorkspaceFile {
    /// Globs of policy files, relative to this folder (default `**/*.yaml`, `**/*.yml`).
    /// Dot-folders, `accord.yaml` and embedded targets' seeds are never read as policy.
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub policies: Option<Vec<Spanned<String>>>,
    /// Named targets.
    #[serde(default)]
    pub targets: SpannedMap<Target>,
    /// The target used when `--target` is not given.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub default_target: Option<Spanned<String>>,
    /// Safety rails; defaults apply when absent.
    #[serde(default)]
    #[schemars(with = "Option<SafetyFile>")]
    pub safety: Option<Spanned<SafetyFile>>,
}

/// One target: `{embedded: true, seed: FILE}` or `{globus: {}, boss: {url}}`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// `true`: an in-process emulator started from `seed`.
    #[serde(default)]
    #[schemars(with = "Option<bool>")]
    pub embedded: Option<Spanned<bool>>,
    /// The emulator's seed file, relative to the workspace and inside it (symlinks resolved).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub seed: Option<Spanned<String>>,
    /// The real Globus services (credentials from the environment).
    #[serde(default)]
    #[schemars(with = "Option<GlobusTarget>")]
    pub globus: Option<Spanned<GlobusTarget>>,
    /// The real Boss.
    #[serde(default)]
    #[schemars(with = "Option<BossTarget>")]
    pub boss: Option<Spanned<BossTarget>>,
}

/// `globus: {}`: no settings yet; base URLs come only from the environment.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GlobusTarget {}

/// `boss: {url}`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BossTarget {
    /// The Boss API base URL (a token is sent only to hosts allowed from the environment).
    #[schemars(with = "String")]
    pub url: Spanned<String>,
}

/// `safety:`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SafetyFile {
    /// Refuse a plan removing more than this many objects (default 20).
    #[serde(default)]
    #[schemars(with = "Option<u32>")]
    pub max_deletes: Option<Spanned<i64>>,
    /// Refuse a plan removing more than this share (0..1) of a container's live objects
    /// when it holds at least 10 (default 0.25).
    #[serde(default)]
    #[schemars(with = "Option<f64>")]
    pub max_delete_share: Option<Spanned<f64>>,
    /// Principals whose access accord never removes.
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub protect: Option<Vec<Spanned<String>>>,
    /// Reviewed, committed overrides of the rails.
    #[serde(default)]
    #[schemars(with = "Option<Vec<AllowEntrySchema>>")]
    pub allow: Option<Vec<Spanned<AllowEntry>>>,
}

/// One `safety.allow` entry. Every field is optional here so that a missing one gets
/// accord's own diagnostic; the schema (`AllowEntrySchema`) requires them all.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowEntry {
    /// `max_deletes` or `max_delete_share`.
    #[serde(default)]
    pub rail: Option<Spanned<String>>,
    /// The new limit.
    #[serde(default)]
    pub up_to: Option<Spanned<f64>>,
    /// Why (required).
    #[serde(default)]
    pub reason: Option<Spanned<String>>,
    /// The last day (`2026-12-15`) or instant (RFC 3339) the override applies (required).
    #[serde(default)]
    pub until: Option<Spanned<String>>,
}

/// A reviewed, committed override of one rail.
#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct AllowEntrySchema {
    /// The rail it lifts.
    rail: RailSchema,
    /// The new limit: a count for `max_deletes`, a share (0..1) for `max_delete_share`.
    up_to: f64,
    /// Why the override is needed.
    reason: String,
    /// The last day (`2026-12-15`) or instant (RFC 3339 with a timezone) it applies.
    until: String,
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

/// Transfer permissions.
#[derive(JsonSchema)]
#[allow(dead_code)]
enum PermissionsSchema {
    /// Read only.
    #[serde(rename = "r")]
    Read,
    /// Read-write.
    #[serde(rename = "rw")]
    ReadWrite,
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

/// A directory: a path, or `{path, for}`.
#[derive(JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum DirectoryValueSchema {
    /// A folder path, absolute and ending in `/`.
    Path(String),
    /// One directory per identity: `{id}` in the path is the identity's UUID.
    Long(DirectoryLong),
}

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

/// Search index roles.
#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct SearchRolesSchema {
    /// Owns the index.
    owner: Option<Vec<String>>,
    /// Administers the index.
    admin: Option<Vec<String>>,
    /// Writes entries.
    writer: Option<Vec<String>>,
}

/// A permission set name, or a list of permission names and set names.
#[derive(JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum PermissionValueSchema {
    /// One set name.
    One(String),
    /// Permissions and set names.
    Many(Vec<String>),
}

/// A voxel unit.
#[derive(JsonSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
enum VoxelUnitSchema {
    /// nm.
    Nanometers,
    /// µm.
    Micrometers,
    /// mm.
    Millimeters,
    /// cm.
    Centimeters,
}

/// How resolution levels are built.
#[derive(JsonSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
enum HierarchyMethodSchema {
    /// Downsample x and y only.
    Anisotropic,
    /// Downsample all axes.
    Isotropic,
}

/// A time step unit.
#[derive(JsonSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
enum TimeStepUnitSchema {
    /// ns.
    Nanoseconds,
    /// µs.
    Microseconds,
    /// ms.
    Milliseconds,
    /// s.
    Seconds,
}

/// A channel type.
#[derive(JsonSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
enum ChannelTypeSchema {
    /// Image data.
    Image,
    /// Annotation (label) data.
    Annotation,
}

/// A channel datatype.
#[derive(JsonSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
enum DatatypeSchema {
    /// 8-bit.
    Uint8,
    /// 16-bit.
    Uint16,
    /// 64-bit (annotations).
    Uint64,
}

/// A rail an override lifts.
#[derive(JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
enum RailSchema {
    /// The count of removals.
    MaxDeletes,
    /// The share of a container's objects removed.
    MaxDeleteShare,
}
