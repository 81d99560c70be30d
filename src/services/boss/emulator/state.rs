//! The Boss's state: users, groups, coordinate frames and collections with their permissions.

use super::*;
use crate::service::emulator::ServiceState;

impl ServiceState for BossState {
    /// The `boss` key of the whole-state JSON.
    fn save(&self) -> Result<Map<String, Value>, serde_json::Error> {
        let mut out = Map::new();
        out.insert("boss".into(), serde_json::to_value(self)?);
        Ok(out)
    }
}

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

/// Every permission an object's creator gets.
pub(super) fn all_perms(channel: bool) -> BTreeSet<String> {
    let mut s: BTreeSet<String> = RESOURCE_PERMISSIONS.iter().map(|p| p.to_string()).collect();
    if channel {
        s.extend(VOLUMETRIC_PERMISSIONS.iter().map(|p| p.to_string()));
    }
    s
}

/// The permissions a new object gets: everything for the creator's primary group and `admin`.
pub(super) fn creator_perms(creator: &str, channel: bool) -> Perms {
    let all = all_perms(channel);
    BTreeMap::from([
        (primary(creator), all.clone()),
        (ADMIN_GROUP.to_string(), all),
    ])
}

pub(super) fn seed_perms(
    creator: &str,
    channel: bool,
    extra: &BTreeMap<String, Vec<String>>,
) -> Perms {
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
    pub(super) fn add_user(&mut self, rec: BossUserRec) {
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

    pub(super) fn user(&self, name: &str) -> Option<&BossUserRec> {
        self.users.get(name)
    }

    pub(super) fn is_superuser(&self, user: &str) -> bool {
        self.user(user).is_some_and(|u| u.superuser)
    }

    /// `@check_role(R)`: the user has R or `admin`.
    pub(super) fn has_role(&self, user: &str, role: &str) -> bool {
        self.user(user)
            .is_some_and(|u| u.roles.contains(role) || u.roles.contains("admin"))
    }

    pub(super) fn groups_of(&self, user: &str) -> BTreeSet<&str> {
        self.groups
            .values()
            .filter(|g| g.members.contains(user))
            .map(|g| g.name.as_str())
            .collect()
    }

    /// `user.has_perm(perm, obj)`: superuser, or through any of the user's groups.
    pub(super) fn has_perm(&self, user: &str, perms: &Perms, perm: &str) -> bool {
        self.is_superuser(user)
            || self
                .groups_of(user)
                .iter()
                .any(|g| perms.get(*g).is_some_and(|p| p.contains(perm)))
    }

    /// Whether `user` holds `maintain_group` on `group` (directly, via a group, or superuser).
    pub(super) fn is_maintainer(&self, user: &str, group: &BossGroupRec) -> bool {
        self.is_superuser(user)
            || group.maintainers.contains(user)
            || self
                .groups_of(user)
                .iter()
                .any(|g| group.maintainer_groups.contains(*g))
    }

    pub(super) fn member_or_maintainer(&self, user: &str, group: &BossGroupRec) -> bool {
        group.members.contains(user) || self.is_maintainer(user, group)
    }

    /// Users holding `maintain_group` directly or through a group.
    pub(super) fn maintainers_of(&self, group: &BossGroupRec) -> BTreeSet<String> {
        let mut out = group.maintainers.clone();
        for g in &group.maintainer_groups {
            if let Some(rec) = self.groups.get(g) {
                out.extend(rec.members.iter().cloned());
            }
        }
        out
    }
}
