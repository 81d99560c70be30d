//! The Boss API v1 under `/boss/v1/...`: token auth, groups with members and maintainers,
//! collections, experiments, channels, coordinate frames (soft deletes), and permission sets.
//!
//! Behaviour, status codes, error codes and messages follow the Boss reference (PART A).
//! Paths are parsed by hand because the real URL patterns take optional trailing slashes and
//! intern lists collections at `/v1/collection//`.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::emulator::Emulator;
use crate::emulator::errors::{ApiError, Service};
use crate::emulator::refusal::Refusal;
use crate::emulator::store::fmt_time;
use crate::services::boss::refusals as refused;
use crate::services::boss::wire::{
    BoolResult, Channel, ChannelList, Collection, CollectionList, CoordFrame, CoordList,
    Experiment, ExperimentList, Group, GroupList, MaintainerList, MemberList, PermissionSet,
    PermissionSets, RESOURCE_PERMISSIONS, ROLES, ResourceRef, VOLUMETRIC_PERMISSIONS,
};

/// The Boss superuser: `has_perm` is always true for it, and it always exists.
pub const BOSS_ADMIN: &str = "bossadmin";
/// The admin group: gets every permission on every new object.
pub const ADMIN_GROUP: &str = "admin";
/// The public group: every user is a member.
pub const PUBLIC_GROUP: &str = "public";

// ---------------------------------------------------------------------------------------
// Seed
// ---------------------------------------------------------------------------------------

/// The seed's `boss:` section.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BossSeed {
    /// Boss users (all count as logged in); `bossadmin` always exists.
    #[serde(default)]
    pub users: Vec<BossSeedUser>,
    /// Groups besides the automatic `admin`, `public` and `<user>-primary`.
    #[serde(default)]
    pub groups: Vec<BossSeedGroup>,
    /// Coordinate frames.
    #[serde(default)]
    pub coord_frames: Vec<BossSeedFrame>,
    /// Collections with their experiments and channels.
    #[serde(default)]
    pub collections: Vec<BossSeedCollection>,
    /// The Boss user accord runs as against this seed (an embedded or loopback target): a
    /// seeded user with a token. Default: the first seeded user with a token and the
    /// `resource-manager` or `admin` role. `ACCORD_BOSS_TOKEN` and `ACCORD_BOSS_USERNAME`
    /// override it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accord_user: Option<String>,
}

/// A Boss user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BossSeedUser {
    /// Username (`[\w_-]+`).
    pub username: String,
    /// The API token (`Authorization: Token <token>`); a user without one cannot call.
    #[serde(default)]
    pub token: Option<String>,
    /// Roles: `admin`, `resource-manager`, `user-manager`.
    #[serde(default)]
    pub roles: Vec<String>,
    /// A Keycloak superuser: also a member of the `admin` group.
    #[serde(default)]
    pub superuser: bool,
}

/// A Boss group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BossSeedGroup {
    /// Group name.
    pub name: String,
    /// The creator (default `bossadmin`): its primary group and `admin` may maintain the group.
    #[serde(default)]
    pub owner: Option<String>,
    /// Member usernames (exactly these; the owner is not added implicitly).
    #[serde(default)]
    pub members: Vec<String>,
    /// Users granted `maintain_group` directly.
    #[serde(default)]
    pub maintainers: Vec<String>,
}

/// A coordinate frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BossSeedFrame {
    /// Name.
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Creator (default `bossadmin`).
    #[serde(default)]
    pub creator: Option<String>,
    /// Extent and voxel size; `*_stop` exclusive.
    pub x_start: i64,
    /// x stop.
    pub x_stop: i64,
    /// y start.
    pub y_start: i64,
    /// y stop.
    pub y_stop: i64,
    /// z start.
    pub z_start: i64,
    /// z stop.
    pub z_stop: i64,
    /// Voxel size along x.
    pub x_voxel_size: f64,
    /// Voxel size along y.
    pub y_voxel_size: f64,
    /// Voxel size along z.
    pub z_voxel_size: f64,
    /// `nanometers | micrometers | millimeters | centimeters`.
    pub voxel_unit: String,
}

/// A collection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BossSeedCollection {
    /// Name.
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Readable by anyone.
    #[serde(default)]
    pub public: bool,
    /// Creator (default `bossadmin`); its primary group and `admin` get every permission.
    #[serde(default)]
    pub creator: Option<String>,
    /// Further permissions: group name → permission names.
    #[serde(default)]
    pub permissions: BTreeMap<String, Vec<String>>,
    /// Experiments.
    #[serde(default)]
    pub experiments: Vec<BossSeedExperiment>,
}

/// An experiment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BossSeedExperiment {
    /// Name.
    pub name: String,
    /// The coordinate frame's name (must be seeded).
    pub coord_frame: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Readable by anyone.
    #[serde(default)]
    pub public: bool,
    /// Creator (default `bossadmin`).
    #[serde(default)]
    pub creator: Option<String>,
    /// Default 1.
    #[serde(default)]
    pub num_hierarchy_levels: Option<i64>,
    /// Default `anisotropic`.
    #[serde(default)]
    pub hierarchy_method: Option<String>,
    /// Default 1.
    #[serde(default)]
    pub num_time_samples: Option<i64>,
    /// Default 0.
    #[serde(default)]
    pub time_step: Option<i64>,
    /// Default `seconds`.
    #[serde(default)]
    pub time_step_unit: Option<String>,
    /// Further permissions: group name → permission names.
    #[serde(default)]
    pub permissions: BTreeMap<String, Vec<String>>,
    /// Channels.
    #[serde(default)]
    pub channels: Vec<BossSeedChannel>,
}

/// A channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BossSeedChannel {
    /// Name.
    pub name: String,
    /// `image` or `annotation`.
    #[serde(rename = "type")]
    pub channel_type: String,
    /// `uint8 | uint16 | uint32 | uint64`.
    pub datatype: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Readable by anyone.
    #[serde(default)]
    pub public: bool,
    /// Creator (default `bossadmin`).
    #[serde(default)]
    pub creator: Option<String>,
    /// Default 0.
    #[serde(default)]
    pub default_time_sample: i64,
    /// Default 0.
    #[serde(default)]
    pub base_resolution: i64,
    /// Source channels in the same experiment.
    #[serde(default)]
    pub sources: Vec<String>,
    /// Related channels in the same experiment.
    #[serde(default)]
    pub related: Vec<String>,
    /// Further permissions: group name → permission names.
    #[serde(default)]
    pub permissions: BTreeMap<String, Vec<String>>,
}

impl BossSeed {
    /// The user accord runs as: `accord_user` when given (if it is a seeded user with a
    /// token), else the first seeded user with a token and the `resource-manager` or `admin`
    /// role; `None` when there is no such user.
    pub fn accord_user(&self) -> Option<&BossSeedUser> {
        let with_token = |u: &&BossSeedUser| u.token.as_deref().is_some_and(|t| !t.is_empty());
        match &self.accord_user {
            Some(name) => self
                .users
                .iter()
                .filter(with_token)
                .find(|u| &u.username == name),
            None => self.users.iter().filter(with_token).find(|u| {
                u.username == BOSS_ADMIN
                    || u.roles
                        .iter()
                        .any(|r| r == "resource-manager" || r == "admin")
            }),
        }
    }

    /// Adds the problems of this section: unknown users, roles, groups, frames, duplicates.
    pub fn validate(&self, problems: &mut Vec<String>) {
        if let Some(name) = &self.accord_user {
            match self.users.iter().find(|u| &u.username == name) {
                None => problems.push(format!(
                    "boss: accord_user {name} is not a seeded user (seed it under boss.users)"
                )),
                Some(u) if u.token.as_deref().is_none_or(str::is_empty) => problems.push(format!(
                    "boss: accord_user {name} has no token, so accord cannot call as it"
                )),
                Some(_) => {}
            }
        }
        let mut users = BTreeSet::from([BOSS_ADMIN.to_string()]);
        let mut tokens = BTreeSet::new();
        for u in &self.users {
            if u.username != BOSS_ADMIN && !users.insert(u.username.clone()) {
                problems.push(format!("boss: duplicate user {}", u.username));
            }
            if !valid_principal(&u.username) {
                problems.push(format!("boss: bad username {}", u.username));
            }
            if let Some(t) = &u.token
                && !tokens.insert(t.clone())
            {
                problems.push(format!("boss: user {}: token used twice", u.username));
            }
            for r in &u.roles {
                if !ROLES.contains(&r.as_str()) {
                    problems.push(format!("boss: user {}: unknown role {r}", u.username));
                }
            }
        }
        let mut groups: BTreeSet<String> = [ADMIN_GROUP, PUBLIC_GROUP, "bossingest"]
            .into_iter()
            .map(String::from)
            .collect();
        groups.extend(users.iter().map(|u| primary(u)));
        for g in &self.groups {
            if !groups.insert(g.name.clone()) {
                problems.push(format!("boss: duplicate group {}", g.name));
            }
            for u in g.members.iter().chain(&g.maintainers).chain(&g.owner) {
                if !users.contains(u) {
                    problems.push(format!("boss: group {}: unknown user {u}", g.name));
                }
            }
        }
        let mut frames = BTreeSet::new();
        for f in &self.coord_frames {
            if !frames.insert(f.name.clone()) {
                problems.push(format!("boss: duplicate coord frame {}", f.name));
            }
        }
        let check_perms = |at: &str, perms: &BTreeMap<String, Vec<String>>, channel: bool| {
            let mut out = Vec::new();
            for (g, ps) in perms {
                if !groups.contains(g) {
                    out.push(format!("boss: {at}: unknown group {g}"));
                }
                for p in ps {
                    if !valid_permission(p, channel) {
                        out.push(format!("boss: {at}: invalid permission {p}"));
                    }
                }
            }
            out
        };
        let mut names = BTreeSet::new();
        for c in &self.collections {
            if !names.insert(c.name.clone()) {
                problems.push(format!("boss: duplicate collection {}", c.name));
            }
            problems.extend(check_perms(&c.name, &c.permissions, false));
            let mut exps = BTreeSet::new();
            for e in &c.experiments {
                let at = format!("{}/{}", c.name, e.name);
                if !exps.insert(e.name.clone()) {
                    problems.push(format!("boss: duplicate experiment {at}"));
                }
                if !frames.contains(&e.coord_frame) {
                    problems.push(format!("boss: {at}: unknown coord frame {}", e.coord_frame));
                }
                problems.extend(check_perms(&at, &e.permissions, false));
                let chans: BTreeSet<&str> = e.channels.iter().map(|c| c.name.as_str()).collect();
                for ch in &e.channels {
                    let at = format!("{at}/{}", ch.name);
                    problems.extend(check_perms(&at, &ch.permissions, true));
                    for s in ch.sources.iter().chain(&ch.related) {
                        if !chans.contains(s.as_str()) {
                            problems.push(format!("boss: {at}: unknown channel {s}"));
                        }
                    }
                }
            }
        }
        for creator in self
            .collections
            .iter()
            .flat_map(|c| {
                std::iter::once(&c.creator).chain(c.experiments.iter().flat_map(|e| {
                    std::iter::once(&e.creator).chain(e.channels.iter().map(|ch| &ch.creator))
                }))
            })
            .chain(self.coord_frames.iter().map(|f| &f.creator))
            .flatten()
        {
            if !users.contains(creator) {
                problems.push(format!("boss: unknown creator {creator}"));
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// State
// ---------------------------------------------------------------------------------------

/// The Boss's state: users, groups, coordinate frames and collections.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BossState {
    /// Users by username.
    pub users: BTreeMap<String, BossUserRec>,
    /// Groups by name.
    pub groups: BTreeMap<String, BossGroupRec>,
    /// Coordinate frames by name (soft-deleted ones kept).
    pub coord_frames: BTreeMap<String, FrameRec>,
    /// Collections by name (soft-deleted ones kept).
    pub collections: BTreeMap<String, CollectionRec>,
    /// The user accord runs as ([`BossSeed::accord_user`]), for `--target URL`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accord_user: Option<String>,
}

/// A Boss user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BossUserRec {
    /// Username.
    pub username: String,
    /// API token, if the user may call.
    pub token: Option<String>,
    /// Roles.
    pub roles: BTreeSet<String>,
    /// Django superuser (`has_perm` always true).
    pub superuser: bool,
}

/// A Boss group with its BossGroup row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BossGroupRec {
    /// Name.
    pub name: String,
    /// The BossGroup creator; `None` for a group without a BossGroup row.
    pub creator: Option<String>,
    /// Member usernames.
    pub members: BTreeSet<String>,
    /// Users holding `maintain_group` directly.
    pub maintainers: BTreeSet<String>,
    /// Groups holding `maintain_group` (the creator's primary group and `admin`).
    pub maintainer_groups: BTreeSet<String>,
}

/// Permissions per group on one object.
pub type Perms = BTreeMap<String, BTreeSet<String>>;

/// A coordinate frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrameRec {
    /// The document (as served).
    pub doc: CoordFrame,
    /// Creator.
    pub creator: String,
    /// Permissions per group.
    pub perms: Perms,
    /// Soft-delete time.
    pub to_be_deleted: Option<String>,
}

/// A collection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CollectionRec {
    /// The document (`experiments` is computed on output).
    pub doc: Collection,
    /// Permissions per group.
    pub perms: Perms,
    /// Soft-delete time.
    pub to_be_deleted: Option<String>,
    /// Experiments by name.
    pub experiments: BTreeMap<String, ExperimentRec>,
}

/// An experiment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExperimentRec {
    /// The document (`channels` is computed on output).
    pub doc: Experiment,
    /// Permissions per group.
    pub perms: Perms,
    /// Soft-delete time.
    pub to_be_deleted: Option<String>,
    /// Channels by name.
    pub channels: BTreeMap<String, ChannelRec>,
}

/// A channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelRec {
    /// The document.
    pub doc: Channel,
    /// Permissions per group.
    pub perms: Perms,
    /// Soft-delete time.
    pub to_be_deleted: Option<String>,
}

fn primary(user: &str) -> String {
    format!("{user}-primary")
}

fn valid_principal(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

fn valid_resource_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 255
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn valid_permission(p: &str, channel: bool) -> bool {
    RESOURCE_PERMISSIONS.contains(&p) || (channel && VOLUMETRIC_PERMISSIONS.contains(&p))
}

/// Every permission an object's creator gets.
fn all_perms(channel: bool) -> BTreeSet<String> {
    let mut s: BTreeSet<String> = RESOURCE_PERMISSIONS.iter().map(|p| p.to_string()).collect();
    if channel {
        s.extend(VOLUMETRIC_PERMISSIONS.iter().map(|p| p.to_string()));
    }
    s
}

/// The permissions a new object gets: everything for the creator's primary group and `admin`.
fn creator_perms(creator: &str, channel: bool) -> Perms {
    let all = all_perms(channel);
    BTreeMap::from([
        (primary(creator), all.clone()),
        (ADMIN_GROUP.to_string(), all),
    ])
}

fn seed_perms(creator: &str, channel: bool, extra: &BTreeMap<String, Vec<String>>) -> Perms {
    let mut perms = creator_perms(creator, channel);
    for (g, ps) in extra {
        perms
            .entry(g.clone())
            .or_default()
            .extend(ps.iter().cloned());
    }
    perms
}

impl BossState {
    /// The state a seed section describes, as if every user had logged in once.
    pub fn from_seed(seed: &BossSeed, _now: DateTime<Utc>) -> BossState {
        let mut st = BossState {
            accord_user: seed.accord_user().map(|u| u.username.clone()),
            ..BossState::default()
        };
        st.add_user(BossUserRec {
            username: BOSS_ADMIN.into(),
            token: None,
            roles: BTreeSet::from(["admin".to_string()]),
            superuser: true,
        });
        for u in &seed.users {
            let mut rec = BossUserRec {
                username: u.username.clone(),
                token: u.token.clone(),
                roles: u.roles.iter().cloned().collect(),
                superuser: u.superuser,
            };
            if u.username == BOSS_ADMIN {
                rec.roles.insert("admin".into());
                rec.superuser = true;
            }
            st.add_user(rec);
        }
        for g in &seed.groups {
            let owner = g.owner.clone().unwrap_or_else(|| BOSS_ADMIN.into());
            st.groups.insert(
                g.name.clone(),
                BossGroupRec {
                    name: g.name.clone(),
                    maintainer_groups: BTreeSet::from([primary(&owner), ADMIN_GROUP.into()]),
                    creator: Some(owner),
                    members: g.members.iter().cloned().collect(),
                    maintainers: g.maintainers.iter().cloned().collect(),
                },
            );
        }
        let creator = |c: &Option<String>| c.clone().unwrap_or_else(|| BOSS_ADMIN.into());
        for f in &seed.coord_frames {
            let who = creator(&f.creator);
            st.coord_frames.insert(
                f.name.clone(),
                FrameRec {
                    doc: CoordFrame {
                        name: f.name.clone(),
                        description: f.description.clone(),
                        x_start: f.x_start,
                        x_stop: f.x_stop,
                        y_start: f.y_start,
                        y_stop: f.y_stop,
                        z_start: f.z_start,
                        z_stop: f.z_stop,
                        x_voxel_size: f.x_voxel_size,
                        y_voxel_size: f.y_voxel_size,
                        z_voxel_size: f.z_voxel_size,
                        voxel_unit: f.voxel_unit.clone(),
                        ..CoordFrame::default()
                    },
                    perms: creator_perms(&who, false),
                    creator: who,
                    to_be_deleted: None,
                },
            );
        }
        for c in &seed.collections {
            let who = creator(&c.creator);
            let mut rec = CollectionRec {
                doc: Collection {
                    name: c.name.clone(),
                    public: c.public,
                    description: c.description.clone(),
                    creator: who.clone(),
                    ..Collection::default()
                },
                perms: seed_perms(&who, false, &c.permissions),
                to_be_deleted: None,
                experiments: BTreeMap::new(),
            };
            for e in &c.experiments {
                let who = creator(&e.creator);
                let mut exp = ExperimentRec {
                    doc: Experiment {
                        name: e.name.clone(),
                        public: e.public,
                        description: e.description.clone(),
                        collection: c.name.clone(),
                        coord_frame: e.coord_frame.clone(),
                        num_hierarchy_levels: e.num_hierarchy_levels.unwrap_or(1),
                        hierarchy_method: e
                            .hierarchy_method
                            .clone()
                            .unwrap_or_else(|| "anisotropic".into()),
                        num_time_samples: e.num_time_samples.unwrap_or(1),
                        time_step: Some(e.time_step.unwrap_or(0)),
                        time_step_unit: Some(
                            e.time_step_unit.clone().unwrap_or_else(|| "seconds".into()),
                        ),
                        creator: who.clone(),
                        ..Experiment::default()
                    },
                    perms: seed_perms(&who, false, &e.permissions),
                    to_be_deleted: None,
                    channels: BTreeMap::new(),
                };
                for ch in &e.channels {
                    let who = creator(&ch.creator);
                    exp.channels.insert(
                        ch.name.clone(),
                        ChannelRec {
                            doc: Channel {
                                name: ch.name.clone(),
                                public: ch.public,
                                description: ch.description.clone(),
                                experiment: e.name.clone(),
                                default_time_sample: ch.default_time_sample,
                                channel_type: ch.channel_type.clone(),
                                base_resolution: ch.base_resolution,
                                datatype: ch.datatype.clone(),
                                creator: who.clone(),
                                sources: ch.sources.clone(),
                                downsample_status: "NOT_DOWNSAMPLED".into(),
                                related: ch.related.clone(),
                                storage_type: "spdb".into(),
                                ..Channel::default()
                            },
                            perms: seed_perms(&who, true, &ch.permissions),
                            to_be_deleted: None,
                        },
                    );
                }
                rec.experiments.insert(e.name.clone(), exp);
            }
            st.collections.insert(c.name.clone(), rec);
        }
        st
    }

    /// Adds a user as at first login: its primary group, `public`, and `admin` for superusers.
    fn add_user(&mut self, rec: BossUserRec) {
        let name = rec.username.clone();
        let mut auto = vec![primary(&name), PUBLIC_GROUP.to_string()];
        if rec.superuser {
            auto.push(ADMIN_GROUP.into());
        }
        for g in auto {
            self.groups
                .entry(g.clone())
                .or_insert_with(|| BossGroupRec {
                    name: g,
                    creator: Some(BOSS_ADMIN.into()),
                    members: BTreeSet::new(),
                    maintainers: BTreeSet::new(),
                    maintainer_groups: BTreeSet::from([
                        primary(BOSS_ADMIN),
                        ADMIN_GROUP.to_string(),
                    ]),
                })
                .members
                .insert(name.clone());
        }
        self.users.insert(name, rec);
    }

    fn user(&self, name: &str) -> Option<&BossUserRec> {
        self.users.get(name)
    }

    fn is_superuser(&self, user: &str) -> bool {
        self.user(user).is_some_and(|u| u.superuser)
    }

    /// `@check_role(R)`: the user has R or `admin`.
    fn has_role(&self, user: &str, role: &str) -> bool {
        self.user(user)
            .is_some_and(|u| u.roles.contains(role) || u.roles.contains("admin"))
    }

    fn groups_of(&self, user: &str) -> BTreeSet<&str> {
        self.groups
            .values()
            .filter(|g| g.members.contains(user))
            .map(|g| g.name.as_str())
            .collect()
    }

    /// `user.has_perm(perm, obj)`: superuser, or through any of the user's groups.
    fn has_perm(&self, user: &str, perms: &Perms, perm: &str) -> bool {
        self.is_superuser(user)
            || self
                .groups_of(user)
                .iter()
                .any(|g| perms.get(*g).is_some_and(|p| p.contains(perm)))
    }

    /// Whether `user` holds `maintain_group` on `group` (directly, via a group, or superuser).
    fn is_maintainer(&self, user: &str, group: &BossGroupRec) -> bool {
        self.is_superuser(user)
            || group.maintainers.contains(user)
            || self
                .groups_of(user)
                .iter()
                .any(|g| group.maintainer_groups.contains(*g))
    }

    fn member_or_maintainer(&self, user: &str, group: &BossGroupRec) -> bool {
        group.members.contains(user) || self.is_maintainer(user, group)
    }

    /// Users holding `maintain_group` directly or through a group.
    fn maintainers_of(&self, group: &BossGroupRec) -> BTreeSet<String> {
        let mut out = group.maintainers.clone();
        for g in &group.maintainer_groups {
            if let Some(rec) = self.groups.get(g) {
                out.extend(rec.members.iter().cloned());
            }
        }
        out
    }
}

// ---------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------

/// An error answer, boxed to keep `Result`s small.
type Failure = Box<Response>;

type Answer = Result<Response, Failure>;

fn err(refusal: &'static Refusal, message: impl Into<String>) -> Failure {
    Box::new(ApiError::refused(Service::Boss, refusal, message).into_response())
}

fn json<T: Serialize>(status: StatusCode, body: &T) -> Answer {
    Ok((status, axum::Json(body)).into_response())
}

fn empty(status: StatusCode) -> Answer {
    Ok(status.into_response())
}

fn missing_role(user: &str, role: &str) -> Failure {
    err(
        &refused::MISSING_ROLE,
        format!("{user} does not have the required role {role}"),
    )
}

fn missing_perm(perm: &str, name: &str) -> Failure {
    err(
        &refused::MISSING_PERMISSION,
        format!("Missing {perm} permissions on the resource {name}"),
    )
}

fn not_found(name: &str) -> Failure {
    err(&refused::NOT_FOUND, format!("{name} does not exist."))
}

fn marked_for_deletion() -> Failure {
    err(
        &refused::MARKED_FOR_DELETION,
        "Invalid Request. This Resource has been marked for deletion",
    )
}

fn group_not_found(g: &str) -> Failure {
    err(&refused::GROUP_NOT_FOUND, format!("{g} does not exist."))
}

fn user_not_found(u: &str) -> Failure {
    err(
        &refused::USER_NOT_FOUND,
        format!("{u} does not exist. Ensure that the user has logged in"),
    )
}

fn invalid_post(refusal: &'static Refusal, message: impl Into<String>) -> Failure {
    err(refusal, message)
}

/// A Python-style list repr, `['a', 'b']`, as the Boss's messages print them.
fn py_list<S: AsRef<str>>(items: &[S]) -> String {
    let inner: Vec<String> = items.iter().map(|s| format!("'{}'", s.as_ref())).collect();
    format!("[{}]", inner.join(", "))
}

// ---------------------------------------------------------------------------------------
// Routing
// ---------------------------------------------------------------------------------------

pub(crate) fn routes() -> Router<Emulator> {
    Router::new()
        .route("/", any(dispatch))
        .route("/{*rest}", any(dispatch))
}

/// The authenticated caller's username.
fn authenticate(em: &Emulator, headers: &HeaderMap) -> Result<String, Failure> {
    let drf = |msg: &str| {
        let mut resp =
            ApiError::refused(Service::Boss, &refused::UNAUTHORIZED, msg).into_response();
        resp.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Token"),
        );
        Box::new(resp)
    };
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(drf("Authentication credentials were not provided."));
    };
    let value = value.to_str().unwrap_or_default();
    let Some((scheme, token)) = value.split_once(' ') else {
        return Err(drf("Invalid token header. No credentials provided."));
    };
    if !scheme.eq_ignore_ascii_case("token") {
        return Err(drf("Authentication credentials were not provided."));
    }
    let token = token.trim();
    let w = em.lock();
    w.state
        .boss
        .users
        .values()
        .find(|u| u.token.as_deref() == Some(token))
        .map(|u| u.username.clone())
        .ok_or_else(|| drf("Invalid token."))
}

async fn dispatch(
    State(em): State<Emulator>,
    method: Method,
    uri: Uri,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path();
    let path = path.strip_prefix("/boss").unwrap_or(path);
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if segs.first() != Some(&"v1") {
        if segs.first().is_some_and(|s| s.starts_with("v0.")) {
            return *err(
                &refused::OLD_VERSION,
                " This API version is unsupported. Update to version v1",
            );
        }
        return *err(&refused::INVALID_URL, format!("Invalid URL {path}"));
    }
    let caller = match authenticate(&em, &headers) {
        Ok(c) => c,
        Err(resp) => return *resp,
    };
    let body: Map<String, Value> = if body.is_empty() {
        Map::new()
    } else {
        match serde_json::from_slice::<Value>(&body) {
            Ok(Value::Object(m)) => m,
            Ok(_) | Err(_) => return *err(&refused::MALFORMED, "Invalid JSON body"),
        }
    };
    let now = em.now();
    let mut w = em.lock();
    let st = &mut w.state.boss;
    let req = Req {
        caller: &caller,
        method: &method,
        query: &query,
        body: &body,
        now,
    };
    let answer = match &segs[1..] {
        ["groups"] => list_groups(st, &req),
        ["groups", g] => group(st, &req, g),
        ["groups", g, "members"] => members(st, &req, g, None),
        ["groups", g, "members", u] => members(st, &req, g, Some(u)),
        ["groups", g, "maintainers"] => maintainers(st, &req, g, None),
        ["groups", g, "maintainers", u] => maintainers(st, &req, g, Some(u)),
        ["permissions", ..] => permissions(st, &req),
        ["collection"] => list_collections(st, &req),
        ["collection", c] => collection(st, &req, c),
        ["collection", c, "experiment"] => list_experiments(st, &req, c),
        ["collection", c, "experiment", e] => experiment(st, &req, c, e),
        ["collection", c, "experiment", e, "channel"] => list_channels(st, &req, c, e),
        ["collection", c, "experiment", e, "channel", ch] => channel(st, &req, c, e, ch),
        ["coord"] => list_coords(st, &req),
        ["coord", f] => coord(st, &req, f),
        _ => Err(err(&refused::INVALID_URL, format!("Invalid URL {path}"))),
    };
    answer.unwrap_or_else(|e| *e)
}

/// One request, as the handlers see it.
struct Req<'a> {
    caller: &'a str,
    method: &'a Method,
    query: &'a HashMap<String, String>,
    body: &'a Map<String, Value>,
    now: DateTime<Utc>,
}

impl Req<'_> {
    fn require_role(&self, st: &BossState, role: &str) -> Result<(), Failure> {
        if st.has_role(self.caller, role) {
            Ok(())
        } else {
            Err(missing_role(self.caller, role))
        }
    }

    fn not_allowed(&self) -> Failure {
        err(
            &refused::METHOD,
            format!("Method \"{}\" not allowed.", self.method),
        )
    }
}

// ---------------------------------------------------------------------------------------
// Groups
// ---------------------------------------------------------------------------------------

fn list_groups(st: &mut BossState, req: &Req) -> Answer {
    if req.method != Method::GET {
        return Err(req.not_allowed());
    }
    let me = req.caller;
    let members: BTreeSet<String> = st.groups_of(me).into_iter().map(String::from).collect();
    let maintained: BTreeSet<String> = st
        .groups
        .values()
        .filter(|g| {
            g.maintainers.contains(me) || g.maintainer_groups.iter().any(|mg| members.contains(mg))
        })
        .map(|g| g.name.clone())
        .collect();
    let groups: BTreeSet<String> = match req.query.get("filter").map(String::as_str) {
        None => members.union(&maintained).cloned().collect(),
        Some("member") => members,
        Some("maintainer") => maintained,
        Some(_) => {
            return Err(err(
                &refused::GROUP_FILTER,
                "Unrecognized value {} for filter. Valid options are member, maintainer",
            ));
        }
    };
    json(
        StatusCode::OK,
        &GroupList {
            groups: groups.into_iter().collect(),
            ..GroupList::default()
        },
    )
}

fn group(st: &mut BossState, req: &Req, g: &str) -> Answer {
    let me = req.caller;
    match *req.method {
        Method::GET => {
            let rec = st.groups.get(g).ok_or_else(|| group_not_found(g))?;
            let Some(owner) = rec.creator.clone() else {
                return Err(err(&refused::GROUP_INVALID, format!("Invalid group {g}")));
            };
            if !st.member_or_maintainer(me, rec) {
                return Err(err(
                    &refused::NOT_MEMBER,
                    format!(
                        "Unauthorized. The user {me} is not a member or maintainer of the group {g}"
                    ),
                ));
            }
            let resources = holdings(st, g).into_iter().map(|(r, _)| r).collect();
            json(
                StatusCode::OK,
                &Group {
                    name: g.to_string(),
                    owner,
                    resources,
                    ..Group::default()
                },
            )
        }
        Method::POST => {
            req.require_role(st, "resource-manager")?;
            if st.groups.contains_key(g) {
                return Err(err(
                    &refused::GROUP_EXISTS,
                    format!("A group  with name {g} already exist"),
                ));
            }
            if !valid_principal(g) {
                return Err(err(&refused::GROUP_NAME, format!("Invalid group name {g}")));
            }
            st.groups.insert(
                g.to_string(),
                BossGroupRec {
                    name: g.to_string(),
                    creator: Some(me.to_string()),
                    members: BTreeSet::from([me.to_string()]),
                    maintainers: BTreeSet::new(),
                    maintainer_groups: BTreeSet::from([primary(me), ADMIN_GROUP.to_string()]),
                },
            );
            empty(StatusCode::CREATED)
        }
        Method::DELETE => {
            req.require_role(st, "resource-manager")?;
            let rec = st.groups.get(g).ok_or_else(|| group_not_found(g))?;
            if g == ADMIN_GROUP || g == PUBLIC_GROUP {
                return Err(err(
                    &refused::SYSTEM_GROUP,
                    format!("The group {g} cannot be deleted"),
                ));
            }
            if rec.creator.as_deref() != Some(me) && !st.has_role(me, "admin") {
                return Err(err(
                    &refused::NOT_CREATOR,
                    "Groups can only be deleted by the creator or administrator",
                ));
            }
            st.groups.remove(g);
            for perms in all_perms_mut(st) {
                perms.remove(g);
            }
            for other in st.groups.values_mut() {
                other.maintainer_groups.remove(g);
            }
            empty(StatusCode::NO_CONTENT)
        }
        _ => Err(req.not_allowed()),
    }
}

/// Checks shared by members and maintainers: role, group, and for writes the special groups
/// and `maintain_group`.
fn group_for_membership<'a>(
    st: &'a BossState,
    req: &Req,
    g: &str,
) -> Result<&'a BossGroupRec, Failure> {
    req.require_role(st, "resource-manager")?;
    let rec = st.groups.get(g).ok_or_else(|| group_not_found(g))?;
    let me = req.caller;
    if *req.method == Method::GET {
        if !st.member_or_maintainer(me, rec) {
            return Err(err(
                &refused::NOT_MEMBER,
                format!(
                    "Unauthorized. The user {me} is not a member or maintainer of the group {g}"
                ),
            ));
        }
    } else {
        if g == ADMIN_GROUP || g == PUBLIC_GROUP {
            return Err(err(
                &refused::SYSTEM_GROUP,
                format!("Cannot change the membership of the group {g}"),
            ));
        }
        if !st.is_maintainer(me, rec) {
            return Err(err(
                &refused::NOT_MAINTAINER,
                format!(
                    "The user {me} does not have the maintain_group permission on the group {g}"
                ),
            ));
        }
    }
    Ok(rec)
}

fn members(st: &mut BossState, req: &Req, g: &str, user: Option<&str>) -> Answer {
    let rec = group_for_membership(st, req, g)?;
    match (req.method.clone(), user) {
        (Method::GET, None) => json(
            StatusCode::OK,
            &MemberList {
                members: rec.members.iter().cloned().collect(),
                ..MemberList::default()
            },
        ),
        (Method::GET, Some(u)) => {
            st.user(u).ok_or_else(|| user_not_found(u))?;
            json(
                StatusCode::OK,
                &BoolResult {
                    result: rec.members.contains(u),
                    ..BoolResult::default()
                },
            )
        }
        (Method::POST, Some(u)) => {
            st.user(u).ok_or_else(|| user_not_found(u))?;
            if let Some(rec) = st.groups.get_mut(g) {
                rec.members.insert(u.to_string());
            }
            empty(StatusCode::NO_CONTENT)
        }
        (Method::DELETE, Some(u)) => {
            if u == BOSS_ADMIN {
                return Err(err(
                    &refused::BOSSADMIN,
                    "Cannot remove bossadmin from a group",
                ));
            }
            st.user(u).ok_or_else(|| user_not_found(u))?;
            if let Some(rec) = st.groups.get_mut(g) {
                rec.members.remove(u);
            }
            empty(StatusCode::NO_CONTENT)
        }
        (Method::POST | Method::DELETE, None) => Err(err(
            &refused::MISSING_USER,
            "Missing the username in the request",
        )),
        _ => Err(req.not_allowed()),
    }
}

fn maintainers(st: &mut BossState, req: &Req, g: &str, user: Option<&str>) -> Answer {
    let rec = group_for_membership(st, req, g)?;
    match (req.method.clone(), user) {
        (Method::GET, None) => json(
            StatusCode::OK,
            &MaintainerList {
                maintainers: st.maintainers_of(rec).into_iter().collect(),
                ..MaintainerList::default()
            },
        ),
        (Method::GET, Some(u)) => {
            st.user(u).ok_or_else(|| user_not_found(u))?;
            json(
                StatusCode::OK,
                &BoolResult {
                    result: st.is_maintainer(u, rec),
                    ..BoolResult::default()
                },
            )
        }
        (Method::POST, Some(u)) => {
            st.user(u).ok_or_else(|| user_not_found(u))?;
            if let Some(rec) = st.groups.get_mut(g) {
                rec.maintainers.insert(u.to_string());
            }
            empty(StatusCode::NO_CONTENT)
        }
        (Method::DELETE, Some(u)) => {
            if u == BOSS_ADMIN {
                return Err(err(
                    &refused::BOSSADMIN,
                    "Cannot remove bossadmin as a maintainer",
                ));
            }
            st.user(u).ok_or_else(|| user_not_found(u))?;
            if !rec.maintainers.contains(u) {
                return Err(err(
                    &refused::NOT_DIRECT_MAINTAINER,
                    format!("The user {u} is not a maintainer of the group {g}"),
                ));
            }
            if let Some(rec) = st.groups.get_mut(g) {
                rec.maintainers.remove(u);
            }
            empty(StatusCode::NO_CONTENT)
        }
        (Method::POST | Method::DELETE, None) => Err(err(
            &refused::MISSING_USER,
            "Missing the username in the request",
        )),
        _ => Err(req.not_allowed()),
    }
}

/// Every permission map of every collection, experiment, channel and coordinate frame.
fn all_perms_mut(st: &mut BossState) -> Vec<&mut Perms> {
    let mut out = Vec::new();
    for f in st.coord_frames.values_mut() {
        out.push(&mut f.perms);
    }
    for c in st.collections.values_mut() {
        out.push(&mut c.perms);
        for e in c.experiments.values_mut() {
            out.push(&mut e.perms);
            for ch in e.channels.values_mut() {
                out.push(&mut ch.perms);
            }
        }
    }
    out
}

/// The objects `group` holds any permission on: collections, then experiments, then
/// channels, each with the group's permissions there (deleted objects left out).
fn holdings(st: &BossState, group: &str) -> Vec<(ResourceRef, Vec<String>)> {
    let (mut cols, mut exps, mut chans) = (Vec::new(), Vec::new(), Vec::new());
    let held = |perms: &Perms| {
        perms
            .get(group)
            .filter(|p| !p.is_empty())
            .map(|p| p.iter().cloned().collect::<Vec<_>>())
    };
    for c in st
        .collections
        .values()
        .filter(|c| c.to_be_deleted.is_none())
    {
        if let Some(p) = held(&c.perms) {
            cols.push((resource_ref(&c.doc.name, None, None), p));
        }
        for e in c.experiments.values().filter(|e| e.to_be_deleted.is_none()) {
            if let Some(p) = held(&e.perms) {
                exps.push((resource_ref(&c.doc.name, Some(&e.doc.name), None), p));
            }
            for ch in e.channels.values().filter(|ch| ch.to_be_deleted.is_none()) {
                if let Some(p) = held(&ch.perms) {
                    chans.push((
                        resource_ref(&c.doc.name, Some(&e.doc.name), Some(&ch.doc.name)),
                        p,
                    ));
                }
            }
        }
    }
    cols.into_iter().chain(exps).chain(chans).collect()
}

fn resource_ref(c: &str, e: Option<&str>, ch: Option<&str>) -> ResourceRef {
    ResourceRef {
        collection: c.to_string(),
        experiment: e.map(String::from),
        channel: ch.map(String::from),
        ..ResourceRef::default()
    }
}

// ---------------------------------------------------------------------------------------
// Permissions
// ---------------------------------------------------------------------------------------

/// Which object a permission request names: collection, experiment or channel level.
#[derive(Debug, Clone)]
struct Target {
    collection: String,
    experiment: Option<String>,
    channel: Option<String>,
}

impl Target {
    /// The level is decided by the fields present; `channel` without `experiment` falls
    /// back to the collection level.
    fn from_fields(c: &str, e: Option<&str>, ch: Option<&str>) -> Target {
        let experiment = e.filter(|s| !s.is_empty()).map(String::from);
        let channel = experiment
            .as_ref()
            .and(ch.filter(|s| !s.is_empty()).map(String::from));
        Target {
            collection: c.to_string(),
            experiment,
            channel,
        }
    }

    fn is_channel(&self) -> bool {
        self.channel.is_some()
    }

    fn name(&self) -> &str {
        self.channel
            .as_deref()
            .or(self.experiment.as_deref())
            .unwrap_or(&self.collection)
    }

    fn set(&self, group: &str, permissions: Vec<String>) -> PermissionSet {
        PermissionSet {
            group: group.to_string(),
            collection: self.collection.clone(),
            experiment: self.experiment.clone(),
            channel: self.channel.clone(),
            permissions,
            ..PermissionSet::default()
        }
    }
}

/// The permissions of the object a target names, or the first missing name.
fn perms_of<'a>(st: &'a BossState, t: &Target) -> Result<&'a Perms, String> {
    let c = st
        .collections
        .get(&t.collection)
        .ok_or_else(|| t.collection.clone())?;
    let Some(e) = &t.experiment else {
        return Ok(&c.perms);
    };
    let exp = c.experiments.get(e).ok_or_else(|| e.clone())?;
    let Some(ch) = &t.channel else {
        return Ok(&exp.perms);
    };
    exp.channels
        .get(ch)
        .map(|c| &c.perms)
        .ok_or_else(|| ch.clone())
}

fn perms_of_mut<'a>(st: &'a mut BossState, t: &Target) -> Option<&'a mut Perms> {
    let c = st.collections.get_mut(&t.collection)?;
    let Some(e) = &t.experiment else {
        return Some(&mut c.perms);
    };
    let exp = c.experiments.get_mut(e)?;
    match &t.channel {
        None => Some(&mut exp.perms),
        Some(ch) => exp.channels.get_mut(ch).map(|c| &mut c.perms),
    }
}

fn sorted(perms: &BTreeSet<String>) -> Vec<String> {
    perms.iter().cloned().collect()
}

fn permissions(st: &mut BossState, req: &Req) -> Answer {
    match *req.method {
        Method::GET => get_permissions(st, req),
        Method::POST | Method::PATCH => write_permissions(st, req),
        Method::DELETE => delete_permissions(st, req),
        _ => Err(req.not_allowed()),
    }
}

fn get_permissions(st: &BossState, req: &Req) -> Answer {
    let q = |k: &str| {
        req.query
            .get(k)
            .map(String::as_str)
            .filter(|s| !s.is_empty())
    };
    let group = q("group");
    if let Some(g) = group
        && !st.groups.contains_key(g)
    {
        return Err(group_not_found(g));
    }
    let target = q("collection").map(|c| Target::from_fields(c, q("experiment"), q("channel")));
    let sets: Vec<PermissionSet> = match (group, &target) {
        (Some(g), Some(t)) => {
            let perms = perms_of(st, t)
                .map_err(|n| err(&refused::NOT_FOUND, format!("{n} does not exist")))?;
            perms
                .get(g)
                .filter(|p| !p.is_empty())
                .map(|p| vec![t.set(g, sorted(p))])
                .unwrap_or_default()
        }
        (None, Some(t)) => {
            let perms = perms_of(st, t)
                .map_err(|n| err(&refused::NOT_FOUND, format!("{n} does not exist")))?;
            st.groups_of(req.caller)
                .into_iter()
                .filter_map(|g| {
                    perms
                        .get(g)
                        .filter(|p| !p.is_empty())
                        .map(|p| t.set(g, sorted(p)))
                })
                .collect()
        }
        (Some(g), None) => group_sets(st, g, false),
        (None, None) => st
            .groups_of(req.caller)
            .into_iter()
            .flat_map(|g| group_sets(st, g, true))
            .collect(),
    };
    json(
        StatusCode::OK,
        &PermissionSets {
            permission_sets: sets,
            ..PermissionSets::default()
        },
    )
}

/// Every set `group` holds. With `last_collection_bug`, experiment and channel sets report
/// the permissions of the last collection processed for the group, as the real server's
/// unfiltered listing does (intern's integration test codifies it).
fn group_sets(st: &BossState, group: &str, last_collection_bug: bool) -> Vec<PermissionSet> {
    let mut last: Option<Vec<String>> = None;
    holdings(st, group)
        .into_iter()
        .map(|(r, perms)| {
            let perms = if r.experiment.is_none() {
                last = Some(perms.clone());
                perms
            } else if last_collection_bug {
                last.clone().unwrap_or(perms)
            } else {
                perms
            };
            PermissionSet {
                group: group.to_string(),
                collection: r.collection,
                experiment: r.experiment,
                channel: r.channel,
                permissions: perms,
                ..PermissionSet::default()
            }
        })
        .collect()
}

fn body_str<'a>(body: &'a Map<String, Value>, k: &str) -> Option<&'a str> {
    body.get(k)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

fn write_permissions(st: &mut BossState, req: &Req) -> Answer {
    req.require_role(st, "resource-manager")?;
    let patch = *req.method == Method::PATCH;
    let missing_fields = if patch {
        &refused::PERMISSION_PATCH_FIELDS
    } else {
        &refused::PERMISSION_FIELDS
    };
    let b = req.body;
    let permissions: Vec<String> = match b.get("permissions") {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(String::from))
            .collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => {
            return Err(err(
                missing_fields,
                "Permissions are not included in the request",
            ));
        }
    };
    let Some(group) = body_str(b, "group") else {
        return Err(err(
            missing_fields,
            "Group name is not included in the request",
        ));
    };
    let Some(collection) = body_str(b, "collection") else {
        return Err(err(
            missing_fields,
            "Invalid resource or missing resource name in request",
        ));
    };
    if group == PUBLIC_GROUP {
        let ok = if patch {
            permissions == ["read"]
        } else {
            permissions
                .iter()
                .all(|p| p == "read" || p == "read_volumetric_data")
        };
        if !ok {
            return Err(invalid_post(
                &refused::PUBLIC_READ_ONLY,
                "The public group can only have read permissions",
            ));
        }
    }
    let me = req.caller;
    if let Some(rec) = st.groups.get(group)
        && !st.member_or_maintainer(me, rec)
    {
        return Err(err(
            &refused::NOT_MEMBER,
            format!(
                "Unauthorized. The user {me} is not a member or maintainer of the group {group}"
            ),
        ));
    }
    let target = Target::from_fields(
        collection,
        body_str(b, "experiment"),
        body_str(b, "channel"),
    );
    let perms = perms_of(st, &target)
        .map_err(|n| err(&refused::NOT_FOUND, format!("{n} does not exist")))?;
    if !st.has_perm(me, perms, "assign_group") {
        return Err(missing_perm("assign group", collection));
    }
    if patch && !st.has_perm(me, perms, "remove_group") {
        return Err(missing_perm("remove group", collection));
    }
    let invalid: Vec<&String> = permissions
        .iter()
        .filter(|p| !valid_permission(p, target.is_channel()))
        .collect();
    if !invalid.is_empty() {
        return Err(invalid_post(
            &refused::PERMISSION_NAME,
            format!("Invalid permissions {} in the request", py_list(&invalid)),
        ));
    }
    if !st.groups.contains_key(group) {
        return Err(group_not_found(group));
    }
    let Some(perms) = perms_of_mut(st, &target) else {
        return Err(not_found(target.name()));
    };
    let set = perms.entry(group.to_string()).or_default();
    if patch {
        set.clear();
    }
    set.extend(permissions);
    if set.is_empty() {
        perms.remove(group);
    }
    if patch {
        empty(StatusCode::OK)
    } else {
        empty(StatusCode::CREATED)
    }
}

fn delete_permissions(st: &mut BossState, req: &Req) -> Answer {
    req.require_role(st, "resource-manager")?;
    let q = |k: &str| {
        req.query
            .get(k)
            .map(String::as_str)
            .filter(|s| !s.is_empty())
    };
    let Some(group) = q("group") else {
        return Err(err(
            &refused::PERMISSION_FIELDS,
            "Group name is not included in the request",
        ));
    };
    let Some(collection) = q("collection") else {
        return Err(err(
            &refused::PERMISSION_FIELDS,
            "Invalid resource or missing resource name in request",
        ));
    };
    let me = req.caller;
    let rec = st.groups.get(group).ok_or_else(|| group_not_found(group))?;
    if !st.member_or_maintainer(me, rec) {
        return Err(err(
            &refused::NOT_MEMBER,
            format!(
                "Unauthorized. The user {me} is not a member or maintainer of the group {group}"
            ),
        ));
    }
    let target = Target::from_fields(collection, q("experiment"), q("channel"));
    let perms = perms_of(st, &target).map_err(|n| {
        err(
            &refused::PERMISSION_DELETE_UNKNOWN,
            format!("(<ErrorCodes.RESOURCE_NOT_FOUND: 4000>, '{n} does not exist')"),
        )
    })?;
    if !st.has_perm(me, perms, "remove_group") {
        return Err(missing_perm("remove group", collection));
    }
    if let Some(perms) = perms_of_mut(st, &target) {
        perms.remove(group);
    }
    empty(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------------------------------
// Resources
// ---------------------------------------------------------------------------------------

fn readable(st: &BossState, user: &str, public: bool, perms: &Perms) -> bool {
    public || st.has_perm(user, perms, "read")
}

fn list_collections(st: &mut BossState, req: &Req) -> Answer {
    if req.method != Method::GET {
        return Err(req.not_allowed());
    }
    let names: BTreeSet<String> = st
        .collections
        .values()
        .filter(|c| {
            c.doc.public || (c.to_be_deleted.is_none() && st.has_perm(req.caller, &c.perms, "read"))
        })
        .map(|c| c.doc.name.clone())
        .collect();
    json(
        StatusCode::OK,
        &CollectionList {
            collections: names.into_iter().collect(),
            ..CollectionList::default()
        },
    )
}

fn collection_doc(st: &BossState, rec: &CollectionRec, filter_for: Option<&str>) -> Collection {
    let mut doc = rec.doc.clone();
    doc.experiments = rec
        .experiments
        .values()
        .filter(|e| e.to_be_deleted.is_none())
        .filter(|e| match filter_for {
            Some(u) => rec.doc.public || readable(st, u, e.doc.public, &e.perms),
            None => true,
        })
        .map(|e| e.doc.name.clone())
        .collect();
    doc
}

fn experiment_doc(st: &BossState, rec: &ExperimentRec, filter_for: Option<&str>) -> Experiment {
    let mut doc = rec.doc.clone();
    doc.channels = rec
        .channels
        .values()
        .filter(|c| c.to_be_deleted.is_none())
        .filter(|c| match filter_for {
            Some(u) => rec.doc.public || readable(st, u, c.doc.public, &c.perms),
            None => true,
        })
        .map(|c| c.doc.name.clone())
        .collect();
    doc
}

fn body_bool(b: &Map<String, Value>, k: &str) -> Result<Option<bool>, Failure> {
    match b.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(v)) => Ok(Some(*v)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(_) => Err(invalid_post(
            &refused::FIELD_TYPE,
            format!("{{'{k}': ['Must be a valid boolean.']}}"),
        )),
    }
}

/// An integer field; Django's `IntegerField` takes MySQL's signed 32-bit range.
fn body_int(b: &Map<String, Value>, k: &str) -> Result<Option<i64>, Failure> {
    let n = match b.get(k) {
        None | Some(Value::Null) => return Ok(None),
        Some(v) => v
            .as_i64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            .ok_or_else(|| {
                invalid_post(
                    &refused::FIELD_TYPE,
                    format!("{{'{k}': ['A valid integer is required.']}}"),
                )
            })?,
    };
    let (bound, side) = if n > i64::from(i32::MAX) {
        (i32::MAX, "less")
    } else if n < i64::from(i32::MIN) {
        (i32::MIN, "greater")
    } else {
        return Ok(Some(n));
    };
    Err(invalid_post(
        &refused::OUT_OF_RANGE,
        format!("{{'{k}': ['Ensure this value is {side} than or equal to {bound}.']}}"),
    ))
}

fn body_f64(b: &Map<String, Value>, k: &str) -> Result<Option<f64>, Failure> {
    match b.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_f64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            .map(Some)
            .ok_or_else(|| {
                invalid_post(
                    &refused::FIELD_TYPE,
                    format!("{{'{k}': ['A valid number is required.']}}"),
                )
            }),
    }
}

fn body_description(b: &Map<String, Value>) -> Result<Option<String>, Failure> {
    match b.get("description") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.chars().count() <= 4096 => Ok(Some(s.clone())),
        Some(_) => Err(invalid_post(
            &refused::DESCRIPTION,
            "{'description': ['Ensure this field has no more than 4096 characters.']}",
        )),
    }
}

fn one_of(b: &Map<String, Value>, k: &str, allowed: &[&str]) -> Result<Option<String>, Failure> {
    match b.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if allowed.contains(&s.as_str()) => Ok(Some(s.clone())),
        Some(v) => Err(invalid_post(
            &refused::CHOICE,
            format!(
                "{{'{k}': ['{}' is not a valid choice.']}}",
                v.as_str().unwrap_or_default()
            ),
        )),
    }
}

fn check_name(name: &str) -> Result<(), Failure> {
    if valid_resource_name(name) {
        Ok(())
    } else {
        Err(invalid_post(
            &refused::NAME,
            format!(
                "{{'name': ['Invalid name {name}: only letters, digits, _ and - are allowed.']}}"
            ),
        ))
    }
}

/// A rename in an update body, checked against `taken`.
fn rename(
    b: &Map<String, Value>,
    current: &str,
    taken: impl Fn(&str) -> bool,
) -> Result<Option<String>, Failure> {
    match body_str(b, "name") {
        Some(n) if n != current => {
            check_name(n)?;
            if taken(n) {
                return Err(invalid_post(
                    &refused::EXISTS,
                    format!("{{'name': ['A resource with name {n} already exists.']}}"),
                ));
            }
            Ok(Some(n.to_string()))
        }
        _ => Ok(None),
    }
}

fn readonly_fields(b: &Map<String, Value>, allowed: &[&str]) -> Result<(), Failure> {
    let bad: Vec<&String> = b
        .keys()
        .filter(|k| !allowed.contains(&k.as_str()))
        .collect();
    if bad.is_empty() {
        Ok(())
    } else {
        Err(invalid_post(
            &refused::READONLY,
            format!(
                "Cannot update the following readonly fields:{}",
                py_list(&bad)
            ),
        ))
    }
}

fn live<'a, T>(
    rec: Option<&'a T>,
    deleted: impl Fn(&T) -> bool,
    name: &str,
) -> Result<&'a T, Failure> {
    match rec {
        None => Err(not_found(name)),
        Some(r) if deleted(r) => Err(marked_for_deletion()),
        Some(r) => Ok(r),
    }
}

fn collection(st: &mut BossState, req: &Req, c: &str) -> Answer {
    let me = req.caller;
    let b = req.body;
    match *req.method {
        Method::GET => {
            let rec = live(st.collections.get(c), |r| r.to_be_deleted.is_some(), c)?;
            if !readable(st, me, rec.doc.public, &rec.perms) {
                return Err(missing_perm("read", c));
            }
            json(StatusCode::OK, &collection_doc(st, rec, Some(me)))
        }
        Method::POST => {
            req.require_role(st, "resource-manager")?;
            check_name(c)?;
            if st.collections.contains_key(c) {
                return Err(invalid_post(
                    &refused::EXISTS,
                    "{'name': ['collection with this name already exists.']}",
                ));
            }
            let rec = CollectionRec {
                doc: Collection {
                    name: c.to_string(),
                    public: body_bool(b, "public")?.unwrap_or(false),
                    description: body_description(b)?.unwrap_or_default(),
                    creator: me.to_string(),
                    ..Collection::default()
                },
                perms: creator_perms(me, false),
                to_be_deleted: None,
                experiments: BTreeMap::new(),
            };
            let doc = collection_doc(st, &rec, None);
            st.collections.insert(c.to_string(), rec);
            json(StatusCode::CREATED, &doc)
        }
        Method::PUT => {
            let rec = live(st.collections.get(c), |r| r.to_be_deleted.is_some(), c)?;
            if !st.has_perm(me, &rec.perms, "update") {
                return Err(missing_perm("update", c));
            }
            let new_name = rename(b, c, |n| st.collections.contains_key(n))?;
            let description = body_description(b)?;
            let public = body_bool(b, "public")?;
            let Some(mut rec) = st.collections.remove(c) else {
                return Err(not_found(c));
            };
            if let Some(d) = description {
                rec.doc.description = d;
            }
            if let Some(p) = public {
                rec.doc.public = p;
            }
            if let Some(n) = new_name {
                rec.doc.name = n;
                for e in rec.experiments.values_mut() {
                    e.doc.collection = rec.doc.name.clone();
                }
            }
            let doc = collection_doc(st, &rec, None);
            st.collections.insert(rec.doc.name.clone(), rec);
            json(StatusCode::OK, &doc)
        }
        Method::DELETE => {
            req.require_role(st, "resource-manager")?;
            let rec = live(st.collections.get(c), |r| r.to_be_deleted.is_some(), c)?;
            if !st.has_perm(me, &rec.perms, "delete") {
                return Err(missing_perm("delete", c));
            }
            if rec.experiments.values().any(|e| e.to_be_deleted.is_none()) {
                return Err(err(
                    &refused::HAS_EXPERIMENTS,
                    "Cannot delete the collection since it has experiments that reference it.",
                ));
            }
            if let Some(rec) = st.collections.get_mut(c) {
                rec.to_be_deleted = Some(fmt_time(req.now));
            }
            empty(StatusCode::NO_CONTENT)
        }
        _ => Err(req.not_allowed()),
    }
}

fn list_experiments(st: &mut BossState, req: &Req, c: &str) -> Answer {
    if req.method != Method::GET {
        return Err(req.not_allowed());
    }
    let Some(col) = st.collections.get(c) else {
        // The real view raises an unhandled DoesNotExist here.
        return Err(err(
            &refused::LIST_UNKNOWN,
            format!("Collection matching query does not exist. ({c})"),
        ));
    };
    let names: Vec<String> = col
        .experiments
        .values()
        .filter(|e| e.to_be_deleted.is_none() && readable(st, req.caller, e.doc.public, &e.perms))
        .map(|e| e.doc.name.clone())
        .collect();
    json(
        StatusCode::OK,
        &ExperimentList {
            experiments: names,
            ..ExperimentList::default()
        },
    )
}

const EXPERIMENT_UPDATABLE: [&str; 8] = [
    "name",
    "public",
    "description",
    "num_hierarchy_levels",
    "hierarchy_method",
    "num_time_samples",
    "time_step",
    "time_step_unit",
];
const HIERARCHY: [&str; 2] = ["anisotropic", "isotropic"];
const TIME_UNITS: [&str; 4] = ["nanoseconds", "microseconds", "milliseconds", "seconds"];

fn experiment(st: &mut BossState, req: &Req, c: &str, e: &str) -> Answer {
    let me = req.caller;
    let b = req.body;
    let col = live(st.collections.get(c), |r| r.to_be_deleted.is_some(), c)?;
    match *req.method {
        Method::GET => {
            let rec = live(col.experiments.get(e), |r| r.to_be_deleted.is_some(), e)?;
            if !readable(st, me, rec.doc.public, &rec.perms) {
                return Err(missing_perm("read", e));
            }
            json(StatusCode::OK, &experiment_doc(st, rec, Some(me)))
        }
        Method::POST => {
            req.require_role(st, "resource-manager")?;
            if !st.has_perm(me, &col.perms, "add") {
                return Err(missing_perm("add", c));
            }
            check_name(e)?;
            let Some(frame) = body_str(b, "coord_frame") else {
                return Err(invalid_post(
                    &refused::NO_FRAME,
                    "This request requires a valid coordinate frame",
                ));
            };
            live(
                st.coord_frames.get(frame),
                |f| f.to_be_deleted.is_some(),
                frame,
            )?;
            if col.experiments.contains_key(e) {
                return Err(invalid_post(
                    &refused::EXISTS,
                    "{'non_field_errors': ['The fields collection, name must make a unique set.']}",
                ));
            }
            let time_step_unit = match b.get("time_step_unit") {
                Some(Value::Null) => None,
                None => Some("seconds".to_string()),
                Some(_) => one_of(b, "time_step_unit", &TIME_UNITS)?,
            };
            let doc = Experiment {
                name: e.to_string(),
                public: body_bool(b, "public")?.unwrap_or(false),
                description: body_description(b)?.unwrap_or_default(),
                collection: c.to_string(),
                coord_frame: frame.to_string(),
                num_hierarchy_levels: body_int(b, "num_hierarchy_levels")?.unwrap_or(1),
                hierarchy_method: one_of(b, "hierarchy_method", &HIERARCHY)?
                    .unwrap_or_else(|| "anisotropic".into()),
                num_time_samples: body_int(b, "num_time_samples")?.unwrap_or(1),
                time_step: match b.get("time_step") {
                    Some(Value::Null) => None,
                    _ => Some(body_int(b, "time_step")?.unwrap_or(0)),
                },
                time_step_unit,
                creator: me.to_string(),
                ..Experiment::default()
            };
            let rec = ExperimentRec {
                doc,
                perms: creator_perms(me, false),
                to_be_deleted: None,
                channels: BTreeMap::new(),
            };
            let doc = experiment_doc(st, &rec, None);
            if let Some(col) = st.collections.get_mut(c) {
                col.experiments.insert(e.to_string(), rec);
            }
            json(StatusCode::CREATED, &doc)
        }
        Method::PUT => {
            let rec = live(col.experiments.get(e), |r| r.to_be_deleted.is_some(), e)?;
            if !st.has_perm(me, &rec.perms, "update") {
                return Err(missing_perm("update", e));
            }
            readonly_fields(b, &EXPERIMENT_UPDATABLE)?;
            let new_name = rename(b, e, |n| col.experiments.contains_key(n))?;
            let mut doc = rec.doc.clone();
            if let Some(d) = body_description(b)? {
                doc.description = d;
            }
            if let Some(p) = body_bool(b, "public")? {
                doc.public = p;
            }
            if let Some(n) = body_int(b, "num_hierarchy_levels")? {
                doc.num_hierarchy_levels = n;
            }
            if let Some(h) = one_of(b, "hierarchy_method", &HIERARCHY)? {
                doc.hierarchy_method = h;
            }
            if let Some(n) = body_int(b, "num_time_samples")? {
                doc.num_time_samples = n;
            }
            if b.contains_key("time_step") {
                doc.time_step = body_int(b, "time_step")?;
            }
            if b.contains_key("time_step_unit") {
                doc.time_step_unit = one_of(b, "time_step_unit", &TIME_UNITS)?;
            }
            let Some(col) = st.collections.get_mut(c) else {
                return Err(not_found(c));
            };
            let Some(mut rec) = col.experiments.remove(e) else {
                return Err(not_found(e));
            };
            if let Some(n) = new_name {
                doc.name = n;
            }
            rec.doc = doc;
            let name = rec.doc.name.clone();
            for ch in rec.channels.values_mut() {
                ch.doc.experiment = name.clone();
            }
            col.experiments.insert(name.clone(), rec);
            let rec = &st.collections[c].experiments[&name];
            json(StatusCode::OK, &experiment_doc(st, rec, None))
        }
        Method::DELETE => {
            req.require_role(st, "resource-manager")?;
            let rec = live(col.experiments.get(e), |r| r.to_be_deleted.is_some(), e)?;
            if !st.has_perm(me, &rec.perms, "delete") {
                return Err(missing_perm("delete", e));
            }
            if rec.channels.values().any(|ch| ch.to_be_deleted.is_none()) {
                return Err(err(
                    &refused::HAS_CHANNELS,
                    "Cannot delete the experiment since it has channels that reference it.",
                ));
            }
            if let Some(rec) = st
                .collections
                .get_mut(c)
                .and_then(|col| col.experiments.get_mut(e))
            {
                rec.to_be_deleted = Some(fmt_time(req.now));
            }
            empty(StatusCode::NO_CONTENT)
        }
        _ => Err(req.not_allowed()),
    }
}

fn live_experiment<'a>(st: &'a BossState, c: &str, e: &str) -> Result<&'a ExperimentRec, Failure> {
    let col = live(st.collections.get(c), |r| r.to_be_deleted.is_some(), c)?;
    live(col.experiments.get(e), |r| r.to_be_deleted.is_some(), e)
}

fn list_channels(st: &mut BossState, req: &Req, c: &str, e: &str) -> Answer {
    if req.method != Method::GET {
        return Err(req.not_allowed());
    }
    let exp = live_experiment(st, c, e)?;
    let names: Vec<String> = exp
        .channels
        .values()
        .filter(|ch| {
            ch.to_be_deleted.is_none() && readable(st, req.caller, ch.doc.public, &ch.perms)
        })
        .map(|ch| ch.doc.name.clone())
        .collect();
    json(
        StatusCode::OK,
        &ChannelList {
            channels: names,
            ..ChannelList::default()
        },
    )
}

const CHANNEL_UPDATABLE: [&str; 7] = [
    "name",
    "public",
    "description",
    "default_time_sample",
    "base_resolution",
    "sources",
    "related",
];
const CHANNEL_ADMIN_UPDATABLE: [&str; 3] = ["bucket", "cv_path", "storage_type"];

fn name_list(b: &Map<String, Value>, k: &str) -> Result<Option<Vec<String>>, Failure> {
    match b.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(String::from))
            .collect::<Option<Vec<_>>>()
            .map(Some)
            .ok_or_else(|| {
                invalid_post(
                    &refused::FIELD_TYPE,
                    format!("{{'{k}': ['Expected a list of channel names.']}}"),
                )
            }),
        Some(_) => Err(invalid_post(
            &refused::FIELD_TYPE,
            format!("{{'{k}': ['Expected a list of channel names.']}}"),
        )),
    }
}

/// Checks `sources` and `related` name live channels of the experiment and do not overlap.
fn check_links(exp: &ExperimentRec, sources: &[String], related: &[String]) -> Result<(), Failure> {
    for n in sources.iter().chain(related) {
        if exp
            .channels
            .get(n)
            .is_none_or(|ch| ch.to_be_deleted.is_some())
        {
            return Err(invalid_post(
                &refused::UNKNOWN_LINK,
                format!("Invalid channel name {n}. It does not exist."),
            ));
        }
    }
    if sources.iter().any(|s| related.contains(s)) {
        return Err(invalid_post(
            &refused::LINK_OVERLAP,
            "Related channels have to be different from source channels",
        ));
    }
    Ok(())
}

fn channel(st: &mut BossState, req: &Req, c: &str, e: &str, ch: &str) -> Answer {
    let me = req.caller;
    let b = req.body;
    let exp = live_experiment(st, c, e)?;
    let in_admin = st
        .groups
        .get(ADMIN_GROUP)
        .is_some_and(|g| g.members.contains(me));
    match *req.method {
        Method::GET => {
            let rec = live(exp.channels.get(ch), |r| r.to_be_deleted.is_some(), ch)?;
            if !readable(st, me, rec.doc.public, &rec.perms) {
                return Err(missing_perm("read", ch));
            }
            json(StatusCode::OK, &rec.doc)
        }
        Method::POST => {
            req.require_role(st, "resource-manager")?;
            if !st.has_perm(me, &exp.perms, "add") {
                return Err(missing_perm("add", e));
            }
            check_name(ch)?;
            if exp.channels.contains_key(ch) {
                return Err(invalid_post(
                    &refused::EXISTS,
                    "{'non_field_errors': ['The fields experiment, name must make a unique set.']}",
                ));
            }
            let Some(channel_type) = one_of(b, "type", &["image", "annotation"])? else {
                return Err(invalid_post(
                    &refused::CHANNEL_REQUIRED,
                    "{'type': ['This field is required.']}",
                ));
            };
            let Some(datatype) = one_of(b, "datatype", &["uint8", "uint16", "uint32", "uint64"])?
            else {
                return Err(invalid_post(
                    &refused::CHANNEL_REQUIRED,
                    "{'datatype': ['This field is required.']}",
                ));
            };
            let default_time_sample = body_int(b, "default_time_sample")?.unwrap_or(0);
            if default_time_sample >= exp.doc.num_time_samples || default_time_sample < 0 {
                return Err(invalid_post(
                    &refused::TIME_SAMPLE,
                    "The default time sample must be less than the number of time samples of the experiment",
                ));
            }
            let sources = name_list(b, "sources")?.unwrap_or_default();
            let related = name_list(b, "related")?.unwrap_or_default();
            check_links(exp, &sources, &related)?;
            let storage_type =
                one_of(b, "storage_type", &["spdb", "cloudvol"])?.unwrap_or_else(|| "spdb".into());
            let bucket = body_str(b, "bucket").map(String::from);
            let mut cv_path = body_str(b, "cv_path").map(String::from);
            if (bucket.is_some() || cv_path.is_some()) && !in_admin {
                return Err(err(
                    &refused::ADMIN_FIELD,
                    "Only admins can set the bucket or cv_path of a channel",
                ));
            }
            let mut downsample_status = "NOT_DOWNSAMPLED".to_string();
            if storage_type == "cloudvol" {
                downsample_status = "DOWNSAMPLED".into();
                cv_path.get_or_insert_with(|| format!("/{c}/{e}/{ch}"));
            }
            let rec = ChannelRec {
                doc: Channel {
                    name: ch.to_string(),
                    public: body_bool(b, "public")?.unwrap_or(false),
                    description: body_description(b)?.unwrap_or_default(),
                    experiment: e.to_string(),
                    default_time_sample,
                    channel_type,
                    base_resolution: body_int(b, "base_resolution")?.unwrap_or(0),
                    datatype,
                    creator: me.to_string(),
                    sources,
                    downsample_status,
                    related,
                    storage_type,
                    bucket,
                    cv_path,
                    ..Channel::default()
                },
                perms: creator_perms(me, true),
                to_be_deleted: None,
            };
            let doc = rec.doc.clone();
            if let Some(exp) = st
                .collections
                .get_mut(c)
                .and_then(|col| col.experiments.get_mut(e))
            {
                exp.channels.insert(ch.to_string(), rec);
            }
            json(StatusCode::CREATED, &doc)
        }
        Method::PUT => {
            let rec = live(exp.channels.get(ch), |r| r.to_be_deleted.is_some(), ch)?;
            if !st.has_perm(me, &rec.perms, "update") {
                return Err(missing_perm("update", ch));
            }
            let mut allowed = CHANNEL_UPDATABLE.to_vec();
            if in_admin {
                allowed.extend(CHANNEL_ADMIN_UPDATABLE);
            }
            readonly_fields(b, &allowed)?;
            let new_name = rename(b, ch, |n| exp.channels.contains_key(n))?;
            let mut doc = rec.doc.clone();
            if let Some(d) = body_description(b)? {
                doc.description = d;
            }
            if let Some(p) = body_bool(b, "public")? {
                doc.public = p;
            }
            if let Some(n) = body_int(b, "default_time_sample")? {
                if n < 0 || n >= exp.doc.num_time_samples {
                    return Err(invalid_post(
                        &refused::TIME_SAMPLE,
                        "The default time sample must be less than the number of time samples of the experiment",
                    ));
                }
                doc.default_time_sample = n;
            }
            if let Some(n) = body_int(b, "base_resolution")? {
                doc.base_resolution = n;
            }
            if let Some(s) = name_list(b, "sources")? {
                doc.sources = s;
            }
            if let Some(r) = name_list(b, "related")? {
                doc.related = r;
            }
            check_links(exp, &doc.sources, &doc.related)?;
            if let Some(s) = one_of(b, "storage_type", &["spdb", "cloudvol"])? {
                doc.storage_type = s;
            }
            if b.contains_key("bucket") {
                doc.bucket = body_str(b, "bucket").map(String::from);
            }
            if b.contains_key("cv_path") {
                doc.cv_path = body_str(b, "cv_path").map(String::from);
            }
            let Some(exp) = st
                .collections
                .get_mut(c)
                .and_then(|col| col.experiments.get_mut(e))
            else {
                return Err(not_found(e));
            };
            let Some(mut rec) = exp.channels.remove(ch) else {
                return Err(not_found(ch));
            };
            if let Some(n) = new_name {
                doc.name = n.clone();
                for other in exp.channels.values_mut() {
                    for link in other
                        .doc
                        .sources
                        .iter_mut()
                        .chain(other.doc.related.iter_mut())
                    {
                        if link == ch {
                            *link = n.clone();
                        }
                    }
                }
            }
            rec.doc = doc.clone();
            exp.channels.insert(doc.name.clone(), rec);
            json(StatusCode::OK, &doc)
        }
        Method::DELETE => {
            req.require_role(st, "resource-manager")?;
            let rec = live(exp.channels.get(ch), |r| r.to_be_deleted.is_some(), ch)?;
            if !st.has_perm(me, &rec.perms, "delete") {
                return Err(missing_perm("delete", ch));
            }
            let is_source = exp.channels.values().any(|o| {
                o.to_be_deleted.is_none()
                    && o.doc.name != ch
                    && o.doc.sources.iter().any(|s| s == ch)
            });
            if is_source {
                return Err(err(
                    &refused::IS_SOURCE,
                    "Cannot delete the channel since it is a source of other channels.",
                ));
            }
            if let Some(rec) = st
                .collections
                .get_mut(c)
                .and_then(|col| col.experiments.get_mut(e))
                .and_then(|exp| exp.channels.get_mut(ch))
            {
                rec.to_be_deleted = Some(fmt_time(req.now));
            }
            empty(StatusCode::NO_CONTENT)
        }
        _ => Err(req.not_allowed()),
    }
}

fn list_coords(st: &mut BossState, req: &Req) -> Answer {
    if req.method != Method::GET {
        return Err(req.not_allowed());
    }
    let only_mine = req
        .query
        .get("owner")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let names: Vec<String> = st
        .coord_frames
        .values()
        .filter(|f| f.to_be_deleted.is_none() && (!only_mine || f.creator == req.caller))
        .map(|f| f.doc.name.clone())
        .collect();
    json(
        StatusCode::OK,
        &CoordList {
            coords: names,
            ..CoordList::default()
        },
    )
}

fn coord(st: &mut BossState, req: &Req, f: &str) -> Answer {
    let me = req.caller;
    let b = req.body;
    match *req.method {
        Method::GET => {
            let rec = live(st.coord_frames.get(f), |r| r.to_be_deleted.is_some(), f)?;
            json(StatusCode::OK, &rec.doc)
        }
        Method::POST => {
            req.require_role(st, "resource-manager")?;
            check_name(f)?;
            if st.coord_frames.contains_key(f) {
                return Err(invalid_post(
                    &refused::EXISTS,
                    "{'name': ['coordinate frame with this name already exists.']}",
                ));
            }
            let missing: Vec<&str> = crate::services::boss::wire::FRAME_FIELDS[1..]
                .iter()
                .copied()
                .filter(|k| b.get(*k).is_none_or(Value::is_null))
                .collect();
            if !missing.is_empty() {
                let errors: Vec<String> = missing
                    .iter()
                    .map(|k| format!("'{k}': ['This field is required.']"))
                    .collect();
                return Err(invalid_post(
                    &refused::FRAME_REQUIRED,
                    format!("{{{}}}", errors.join(", ")),
                ));
            }
            let int = |k: &str| body_int(b, k).map(Option::unwrap_or_default);
            let float = |k: &str| body_f64(b, k).map(Option::unwrap_or_default);
            let doc = CoordFrame {
                name: f.to_string(),
                description: body_description(b)?.unwrap_or_default(),
                x_start: int("x_start")?,
                x_stop: int("x_stop")?,
                y_start: int("y_start")?,
                y_stop: int("y_stop")?,
                z_start: int("z_start")?,
                z_stop: int("z_stop")?,
                x_voxel_size: float("x_voxel_size")?,
                y_voxel_size: float("y_voxel_size")?,
                z_voxel_size: float("z_voxel_size")?,
                voxel_unit: one_of(
                    b,
                    "voxel_unit",
                    &["nanometers", "micrometers", "millimeters", "centimeters"],
                )?
                .unwrap_or_default(),
                ..CoordFrame::default()
            };
            st.coord_frames.insert(
                f.to_string(),
                FrameRec {
                    doc: doc.clone(),
                    creator: me.to_string(),
                    perms: creator_perms(me, false),
                    to_be_deleted: None,
                },
            );
            json(StatusCode::CREATED, &doc)
        }
        Method::PUT => {
            let rec = live(st.coord_frames.get(f), |r| r.to_be_deleted.is_some(), f)?;
            if !st.has_perm(me, &rec.perms, "update") {
                return Err(missing_perm("update", f));
            }
            readonly_fields(b, &["name", "description"])?;
            let new_name = rename(b, f, |n| st.coord_frames.contains_key(n))?;
            let description = body_description(b)?;
            let Some(mut rec) = st.coord_frames.remove(f) else {
                return Err(not_found(f));
            };
            if let Some(d) = description {
                rec.doc.description = d;
            }
            if let Some(n) = new_name {
                rec.doc.name = n.clone();
                for e in st
                    .collections
                    .values_mut()
                    .flat_map(|c| c.experiments.values_mut())
                {
                    if e.doc.coord_frame == f {
                        e.doc.coord_frame = n.clone();
                    }
                }
            }
            let doc = rec.doc.clone();
            st.coord_frames.insert(doc.name.clone(), rec);
            json(StatusCode::OK, &doc)
        }
        Method::DELETE => {
            req.require_role(st, "resource-manager")?;
            let rec = live(st.coord_frames.get(f), |r| r.to_be_deleted.is_some(), f)?;
            if !st.has_perm(me, &rec.perms, "delete") {
                return Err(missing_perm("delete", f));
            }
            let used = st.collections.values().any(|c| {
                c.experiments
                    .values()
                    .any(|e| e.to_be_deleted.is_none() && e.doc.coord_frame == f)
            });
            if used {
                return Err(err(
                    &refused::FRAME_IN_USE,
                    "Cannot delete the coordinate frame since it has experiments that reference it.",
                ));
            }
            if let Some(rec) = st.coord_frames.get_mut(f) {
                rec.to_be_deleted = Some(fmt_time(req.now));
            }
            empty(StatusCode::NO_CONTENT)
        }
        _ => Err(req.not_allowed()),
    }
}

#[cfg(test)]
mod tests {
    use crate::emulator::Seed;

    fn seed(boss: &str) -> Result<Seed, String> {
        Seed::from_yaml_str(&format!("boss:\n{boss}")).map_err(|e| e.to_string())
    }

    #[test]
    fn accord_user_defaults_to_the_first_manager_with_a_token() {
        let s = seed(
            "  users:\n    - { username: plain, token: t1 }\n    - { username: norole }\n    - { username: mgr, token: t2, roles: [resource-manager] }\n    - { username: adm, token: t3, roles: [admin] }\n",
        )
        .unwrap();
        assert_eq!(s.boss.accord_user().unwrap().username, "mgr");
        let st = super::BossState::from_seed(&s.boss, chrono::Utc::now());
        assert_eq!(st.accord_user.as_deref(), Some("mgr"));
        let none = seed("  users: [{ username: plain, token: t1 }]\n").unwrap();
        assert!(none.boss.accord_user().is_none());
    }

    #[test]
    fn accord_user_must_be_a_seeded_user_with_a_token() {
        let s = seed(
            "  accord_user: plain\n  users:\n    - { username: mgr, token: t2, roles: [resource-manager] }\n    - { username: plain, token: t1 }\n",
        )
        .unwrap();
        assert_eq!(s.boss.accord_user().unwrap().username, "plain");
        let unknown = seed("  accord_user: ghost\n  users: [{ username: mgr, token: t }]\n");
        assert!(
            unknown.as_ref().unwrap_err().contains("accord_user ghost"),
            "{unknown:?}"
        );
        let tokenless = seed("  accord_user: bob\n  users: [{ username: bob }]\n");
        assert!(
            tokenless.as_ref().unwrap_err().contains("has no token"),
            "{tokenless:?}"
        );
    }
}
