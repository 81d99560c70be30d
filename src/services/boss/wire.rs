//! Boss API v1 documents: errors, groups, members and maintainers, resources (collections,
//! experiments, channels, coordinate frames) and permission sets.
//!
//! Shapes follow the Boss reference (PART A). Every document keeps unknown fields in `extra`
//! and defaults what it may miss, so a server-side addition never breaks a read.

use serde::{Deserialize, Serialize};

use crate::wire::Extra;

/// The Boss application error body, `{"status": 403, "code": 3001, "message": "..."}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BossError {
    /// The HTTP status repeated in the body.
    #[serde(default)]
    pub status: u16,
    /// The Boss error code (`RESP_CODES`), e.g. 3001 for a missing permission.
    #[serde(default)]
    pub code: u32,
    /// The human-readable message.
    #[serde(default)]
    pub message: String,
    /// Unknown fields (Keycloak errors merge their own keys in).
    #[serde(flatten)]
    pub extra: Extra,
}

/// A Django REST Framework error body, `{"detail": "Invalid token."}` (authentication).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DrfDetail {
    /// The message.
    #[serde(default)]
    pub detail: String,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `GET /v1/groups/`: `{"groups": [...]}` (order unspecified).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupList {
    /// Group names.
    #[serde(default)]
    pub groups: Vec<String>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// One object a group holds permissions on, as listed in a group document.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceRef {
    /// The collection.
    pub collection: String,
    /// The experiment, at the experiment and channel levels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub experiment: Option<String>,
    /// The channel, at the channel level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `GET /v1/groups/{g}/`: the group, its creator and the objects it holds permissions on.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Group {
    /// Group name.
    pub name: String,
    /// The creator's username.
    #[serde(default)]
    pub owner: String,
    /// Collections, then experiments, then channels the group holds any permission on.
    #[serde(default)]
    pub resources: Vec<ResourceRef>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `GET /v1/groups/{g}/members/`: `{"members": [...]}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MemberList {
    /// Member usernames.
    #[serde(default)]
    pub members: Vec<String>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `GET /v1/groups/{g}/maintainers/`: `{"maintainers": [...]}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MaintainerList {
    /// Maintainer usernames (direct grants and grants through groups).
    #[serde(default)]
    pub maintainers: Vec<String>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `GET /v1/groups/{g}/members/{u}` (or `maintainers/{u}`): `{"result": bool}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BoolResult {
    /// Whether the user is a member (or maintainer).
    #[serde(default)]
    pub result: bool,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `GET /v1/collection/`: `{"collections": [...]}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CollectionList {
    /// Collection names.
    #[serde(default)]
    pub collections: Vec<String>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `GET /v1/collection/{c}/experiment/`: `{"experiments": [...]}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ExperimentList {
    /// Experiment names.
    #[serde(default)]
    pub experiments: Vec<String>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `GET /v1/collection/{c}/experiment/{e}/channel/`: `{"channels": [...]}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChannelList {
    /// Channel names.
    #[serde(default)]
    pub channels: Vec<String>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `GET /v1/coord/`: `{"coords": [...]}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CoordList {
    /// Coordinate frame names.
    #[serde(default)]
    pub coords: Vec<String>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A collection document (GET, POST 201, PUT 200).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Collection {
    /// Name (`^[a-zA-Z0-9_-]*$`).
    pub name: String,
    /// Readable by anyone when true.
    #[serde(default)]
    pub public: bool,
    /// Description (at most 4096 characters).
    #[serde(default)]
    pub description: String,
    /// Experiment names (filtered to the readable ones on GET).
    #[serde(default)]
    pub experiments: Vec<String>,
    /// The creator's username.
    #[serde(default)]
    pub creator: String,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// An experiment document (GET, POST 201, PUT 200).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Experiment {
    /// Channel names (filtered to the readable ones on GET).
    #[serde(default)]
    pub channels: Vec<String>,
    /// Name.
    pub name: String,
    /// Readable by anyone when true.
    #[serde(default)]
    pub public: bool,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// The parent collection's name.
    #[serde(default)]
    pub collection: String,
    /// The coordinate frame's name.
    #[serde(default)]
    pub coord_frame: String,
    /// Number of resolution levels (default 1).
    #[serde(default = "one")]
    pub num_hierarchy_levels: i64,
    /// `anisotropic` (default) or `isotropic`.
    #[serde(default = "anisotropic")]
    pub hierarchy_method: String,
    /// Number of time samples (default 1).
    #[serde(default = "one")]
    pub num_time_samples: i64,
    /// Time step, or null.
    #[serde(default)]
    pub time_step: Option<i64>,
    /// `nanoseconds | microseconds | milliseconds | seconds`, or null.
    #[serde(default)]
    pub time_step_unit: Option<String>,
    /// The creator's username.
    #[serde(default)]
    pub creator: String,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

fn one() -> i64 {
    1
}

fn anisotropic() -> String {
    "anisotropic".into()
}

/// A channel document (GET, POST 201, PUT 200).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Channel {
    /// Name.
    pub name: String,
    /// Readable by anyone when true.
    #[serde(default)]
    pub public: bool,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// The parent experiment's name.
    #[serde(default)]
    pub experiment: String,
    /// Default time sample (below the experiment's `num_time_samples`).
    #[serde(default)]
    pub default_time_sample: i64,
    /// `image` or `annotation`.
    #[serde(rename = "type", default)]
    pub channel_type: String,
    /// Base resolution level.
    #[serde(default)]
    pub base_resolution: i64,
    /// `uint8 | uint16 | uint32 | uint64`.
    #[serde(default)]
    pub datatype: String,
    /// The creator's username.
    #[serde(default)]
    pub creator: String,
    /// Source channels in the same experiment.
    #[serde(default)]
    pub sources: Vec<String>,
    /// `NOT_DOWNSAMPLED | QUEUED | IN_PROGRESS | DOWNSAMPLED | FAILED`.
    #[serde(default)]
    pub downsample_status: String,
    /// Related channels in the same experiment.
    #[serde(default)]
    pub related: Vec<String>,
    /// `spdb` (default) or `cloudvol`.
    #[serde(default)]
    pub storage_type: String,
    /// Storage bucket (admins only), or null.
    #[serde(default)]
    pub bucket: Option<String>,
    /// CloudVolume path (admins only), or null.
    #[serde(default)]
    pub cv_path: Option<String>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A coordinate frame document (GET, POST 201, PUT 200); `*_stop` is exclusive.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CoordFrame {
    /// Name.
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// First x voxel.
    #[serde(default)]
    pub x_start: i64,
    /// x stop (exclusive).
    #[serde(default)]
    pub x_stop: i64,
    /// First y voxel.
    #[serde(default)]
    pub y_start: i64,
    /// y stop (exclusive).
    #[serde(default)]
    pub y_stop: i64,
    /// First z voxel.
    #[serde(default)]
    pub z_start: i64,
    /// z stop (exclusive).
    #[serde(default)]
    pub z_stop: i64,
    /// Voxel size along x.
    #[serde(default)]
    pub x_voxel_size: f64,
    /// Voxel size along y.
    #[serde(default)]
    pub y_voxel_size: f64,
    /// Voxel size along z.
    #[serde(default)]
    pub z_voxel_size: f64,
    /// `nanometers | micrometers | millimeters | centimeters`.
    #[serde(default)]
    pub voxel_unit: String,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// One permission set: a group's permissions on one collection, experiment or channel.
///
/// Also the body of `POST` and `PATCH /v1/permissions/`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PermissionSet {
    /// The group.
    #[serde(default)]
    pub group: String,
    /// The collection.
    #[serde(default)]
    pub collection: String,
    /// The experiment, at the experiment and channel levels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub experiment: Option<String>,
    /// The channel, at the channel level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// Permission names (`read`, `add`, ..., `read_volumetric_data` on channels).
    #[serde(default)]
    pub permissions: Vec<String>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `GET /v1/permissions/`: `{"permission-sets": [...]}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PermissionSets {
    /// The sets, collections first, then experiments, then channels.
    #[serde(rename = "permission-sets", default)]
    pub permission_sets: Vec<PermissionSet>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Permission names valid on collections, experiments and coordinate frames.
pub const RESOURCE_PERMISSIONS: [&str; 6] = [
    "read",
    "add",
    "update",
    "delete",
    "assign_group",
    "remove_group",
];

/// Permission names valid only on channels, besides [`RESOURCE_PERMISSIONS`].
pub const VOLUMETRIC_PERMISSIONS: [&str; 3] = [
    "add_volumetric_data",
    "read_volumetric_data",
    "delete_volumetric_data",
];

/// The fields of a coordinate frame: its `description`, then its geometry (every geometry
/// field is required on create, and none can be updated).
pub const FRAME_FIELDS: [&str; 11] = [
    "description",
    "x_start",
    "x_stop",
    "y_start",
    "y_stop",
    "z_start",
    "z_stop",
    "x_voxel_size",
    "y_voxel_size",
    "z_voxel_size",
    "voxel_unit",
];

/// The Boss roles a user may hold (every user also implicitly has `default`).
pub const ROLES: [&str; 3] = ["admin", "user-manager", "resource-manager"];
