//! The Boss's seed section (`boss:`): users, groups, coordinate frames and resources.

use super::*;

/// The Boss's part of a seed: the `boss` key.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BossSection {
    /// The Boss: users with tokens and roles, groups, coordinate frames and resources.
    #[serde(default)]
    pub boss: BossSeed,
}

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
