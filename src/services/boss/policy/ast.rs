//! `boss:` as written: serde + schemars types with spans (see `policy::ast`).
use std::collections::BTreeMap;
use std::fmt;

use schemars::JsonSchema;
use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde_saphyr::Spanned;

use crate::policy::ast::SpannedMap;
use crate::state::ContainerMode;
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
// ---- Schema-only types: they give the JSON Schema its enums and shapes. ----
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
