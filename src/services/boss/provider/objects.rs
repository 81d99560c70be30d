//! The live objects of what the Boss answers: members, frames, resources and permission
//! sets, and which of them the Boss itself keeps (system-managed).

use std::collections::BTreeSet;

use serde_json::Value;

use crate::service::LiveRead;
use crate::services::boss::principals;
use crate::services::boss::wire::{Channel, Collection, CoordFrame, Experiment, PermissionSet};
use crate::state::{Address, Object};

use super::paths::{Level, ResourcePath};
use super::{ADMIN_GROUP, BOSS_ADMIN};

/// A member or maintainer object, depending on its group.
pub(super) fn member_object(group: &str, role: &str, user: &str, parent: &Address) -> Object {
    let mut o = Object::new(Address::new(
        crate::services::boss::MEMBER,
        [
            group.to_string(),
            role.to_string(),
            principals::user(user).to_string(),
        ],
    ));
    o.depends_on = vec![parent.clone()];
    o
}

/// Whether the Boss itself keeps this group's permission sets (`admin`, `<user>-primary`).
pub fn is_system_group(group: &str) -> bool {
    group == ADMIN_GROUP || group.ends_with("-primary")
}

/// Whether the Boss lists `user` as a maintainer without a direct grant: the group's owner
/// (through their primary group), `bossadmin`, or a member of `admin`.
pub fn is_implicit_maintainer(user: &str, owner: &str, admin_members: &BTreeSet<String>) -> bool {
    user == owner || user == BOSS_ADMIN || admin_members.contains(user)
}

/// A live permission set; depends on its resource and, for a managed group, the group.
pub(super) fn permission_object(
    path: &str,
    group: &str,
    names: &[String],
    managed: &BTreeSet<String>,
) -> Object {
    let mut names = names.to_vec();
    names.sort();
    names.dedup();
    let mut o = Object::new(Address::new(
        crate::services::boss::PERMISSION,
        [path.to_string(), principals::group(group).to_string()],
    ))
    .with("permissions", names);
    o.depends_on = vec![Address::new(crate::services::boss::RESOURCE, [path])];
    if managed.contains(group) {
        o.depends_on
            .push(Address::new(crate::services::boss::GROUP, [group]));
    }
    o
}

pub(super) fn place_permission(o: Object, group: &str, live: &mut LiveRead) {
    if is_system_group(group) {
        if !live.system_managed.iter().any(|s| s.address == o.address) {
            live.system_managed.push(o);
        }
    } else {
        live.state.insert(o);
    }
}

/// The resource path of a permission set.
pub(super) fn set_path(set: &PermissionSet) -> String {
    let mut p = set.collection.clone();
    if let Some(e) = set.experiment.as_deref().filter(|e| !e.is_empty()) {
        p.push('/');
        p.push_str(e);
        if let Some(ch) = set.channel.as_deref().filter(|c| !c.is_empty()) {
            p.push('/');
            p.push_str(ch);
        }
    }
    p
}

/// The live object of a coordinate frame.
pub(super) fn frame_object(address: Address, f: &CoordFrame) -> Object {
    Object::new(address)
        .with("description", f.description.clone())
        .with("x_start", f.x_start)
        .with("x_stop", f.x_stop)
        .with("y_start", f.y_start)
        .with("y_stop", f.y_stop)
        .with("z_start", f.z_start)
        .with("z_stop", f.z_stop)
        .with("x_voxel_size", f.x_voxel_size)
        .with("y_voxel_size", f.y_voxel_size)
        .with("z_voxel_size", f.z_voxel_size)
        .with("voxel_unit", f.voxel_unit.clone())
}

fn sorted(mut names: Vec<String>) -> Vec<String> {
    names.sort();
    names
}

/// The live object of a collection, experiment or channel: its managed attributes and
/// `creator` (computed).
pub(super) fn resource_object(
    address: Address,
    path: &ResourcePath,
    body: Value,
) -> Result<Object, String> {
    let mut o = Object::new(address);
    let err = |e: serde_json::Error| e.to_string();
    match path.level() {
        Level::Collection => {
            let c: Collection = serde_json::from_value(body).map_err(err)?;
            o = o
                .with("description", c.description)
                .with("public", c.public)
                .with("creator", c.creator)
                .with("experiments", sorted(c.experiments));
        }
        Level::Experiment => {
            let e: Experiment = serde_json::from_value(body).map_err(err)?;
            o = o
                .with("description", e.description)
                .with("public", e.public)
                .with("coord_frame", e.coord_frame)
                .with("num_hierarchy_levels", e.num_hierarchy_levels)
                .with("hierarchy_method", e.hierarchy_method)
                .with("num_time_samples", e.num_time_samples)
                .with("creator", e.creator)
                .with("channels", sorted(e.channels));
            if let Some(t) = e.time_step {
                o = o.with("time_step", t);
            }
            if let Some(u) = e.time_step_unit {
                o = o.with("time_step_unit", u);
            }
        }
        Level::Channel => {
            let c: Channel = serde_json::from_value(body).map_err(err)?;
            o = o
                .with("description", c.description)
                .with("public", c.public)
                .with("type", c.channel_type)
                .with("datatype", c.datatype)
                .with("default_time_sample", c.default_time_sample)
                .with("base_resolution", c.base_resolution)
                .with("sources", sorted(c.sources))
                .with("related", sorted(c.related))
                .with("creator", c.creator);
        }
    }
    if let Some(parent) = path.parent() {
        o.depends_on
            .push(Address::new(crate::services::boss::RESOURCE, [parent]));
    }
    Ok(o)
}
