//! `boss:` merged and checked: what compilation reads (see `policy::model`).
use std::collections::BTreeMap;

use crate::policy::{Located, Origin, Ownership};
/// `boss:` merged from every file. Names are Boss names: a namespace of their own.
#[derive(Debug, Clone)]
pub struct BossPolicy {
    /// The first `boss:` section.
    pub origin: Origin,
    /// `groups:` by name.
    pub groups: BTreeMap<String, BossGroupPolicy>,
    /// `coordinate_frames:` by name.
    pub frames: BTreeMap<String, BossFramePolicy>,
    /// Collections, experiments and channels by path (`C`, `C/E`, `C/E/CH`).
    pub resources: BTreeMap<String, BossResourcePolicy>,
}

/// One Boss group.
#[derive(Debug, Clone)]
pub struct BossGroupPolicy {
    /// The group name.
    pub name: String,
    /// Where the key is first written.
    pub origin: Origin,
    /// `absent: true`: a tombstone.
    pub absent: bool,
    /// `members:` Boss usernames.
    pub members: Vec<Located<String>>,
    /// `maintainers:` Boss usernames.
    pub maintainers: Vec<Located<String>>,
    /// Ownership settings (`mode` of members and maintainers).
    pub ownership: Ownership,
}

/// One Boss coordinate frame: the Boss's own field names and values.
#[derive(Debug, Clone)]
pub struct BossFramePolicy {
    /// The frame name.
    pub name: String,
    /// Where the key is written.
    pub origin: Origin,
    /// Field name → value (`description`, extents, voxel sizes, `voxel_unit`).
    pub fields: BTreeMap<String, serde_json::Value>,
}

/// A Boss resource level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BossLevel {
    /// A collection.
    Collection,
    /// An experiment (in a collection).
    Experiment,
    /// A channel (in an experiment).
    Channel,
}

impl BossLevel {
    /// The Boss's word for the level.
    pub fn word(self) -> &'static str {
        match self {
            BossLevel::Collection => "collection",
            BossLevel::Experiment => "experiment",
            BossLevel::Channel => "channel",
        }
    }

    /// The level of a resource path (`C`, `C/E`, `C/E/CH`).
    pub fn of_path(path: &str) -> BossLevel {
        match path.matches('/').count() {
            0 => BossLevel::Collection,
            1 => BossLevel::Experiment,
            _ => BossLevel::Channel,
        }
    }
}

/// One Boss collection, experiment or channel.
#[derive(Debug, Clone)]
pub struct BossResourcePolicy {
    /// Its path: `C`, `C/E` or `C/E/CH`.
    pub path: String,
    /// Its level.
    pub level: BossLevel,
    /// Where the key is first written (files may merge).
    pub origin: Origin,
    /// `absent: true`: a tombstone.
    pub absent: bool,
    /// The Boss fields the policy sets (`description`, `public`, `coord_frame`, `type`, …),
    /// by their wire names; lists sorted.
    pub fields: BTreeMap<String, Located<serde_json::Value>>,
    /// A channel's `sources:` and `related:`: each channel name where it is written.
    pub links: BTreeMap<String, Vec<Located<String>>>,
    /// `permissions:` one entry per group.
    pub permissions: Vec<BossGrant>,
    /// Ownership settings (`mode` of the permissions; `prevent_destroy`).
    pub ownership: Ownership,
}

/// One group's permissions on one Boss resource, permission sets expanded.
#[derive(Debug, Clone)]
pub struct BossGrant {
    /// The Boss group.
    pub group: Located<String>,
    /// The permission names (empty: revoke every permission of the group here).
    pub permissions: std::collections::BTreeSet<String>,
    /// Where the entry is written.
    pub origin: Origin,
}
