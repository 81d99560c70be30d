//! The Boss's kinds: groups and their members and maintainers, coordinate frames, resources
//! (collection, experiment, channel) and one group's permission set on one resource
//! (docs/boss-model.md).

use serde_json::Value;

use super::access::{PERMISSION_ORDER, POWERFUL};
use crate::state::access::{GrantSpec, On};
use crate::state::kind::{FieldMode::*, FieldSpec, KindDef, KindSemantics};
use crate::state::{Action, Address, Change, Container, Direction, Kind, Object, Principal};

/// A Boss group: `boss.group[name]`.
pub static GROUP_DEF: KindDef = KindDef::new("boss.group", 500, 1)
    .fields(&[FieldSpec::new("owner", Computed)])
    .depth(0)
    .semantics(&Group);
/// A Boss group.
pub const GROUP: Kind = Kind::of(&GROUP_DEF);

/// A Boss group member or maintainer: `boss.member[group][member|maintainer][boss-user:name]`.
pub static MEMBER_DEF: KindDef = KindDef::new("boss.member", 501, 3)
    .grants_access()
    .semantics(&Member);
/// A Boss group member or maintainer.
pub const MEMBER: Kind = Kind::of(&MEMBER_DEF);

/// A Boss coordinate frame: `boss.frame[name]`. The Boss updates only its description; its
/// geometry is fixed at creation.
pub static FRAME_DEF: KindDef = KindDef::new("boss.frame", 502, 1)
    .fields(&[
        FieldSpec::new("description", Managed),
        FieldSpec::new("x_start", ForceReplace),
        FieldSpec::new("x_stop", ForceReplace),
        FieldSpec::new("y_start", ForceReplace),
        FieldSpec::new("y_stop", ForceReplace),
        FieldSpec::new("z_start", ForceReplace),
        FieldSpec::new("z_stop", ForceReplace),
        FieldSpec::new("x_voxel_size", ForceReplace),
        FieldSpec::new("y_voxel_size", ForceReplace),
        FieldSpec::new("z_voxel_size", ForceReplace),
        FieldSpec::new("voxel_unit", ForceReplace),
    ])
    .depth(0);
/// A Boss coordinate frame.
pub const FRAME: Kind = Kind::of(&FRAME_DEF);

/// A Boss collection, experiment or channel: `boss.resource["coll/exp/chan"]`. One schema
/// for the three levels: a level's object only carries its own fields.
pub static RESOURCE_DEF: KindDef = KindDef::new("boss.resource", 503, 1)
    .fields(&[
        FieldSpec::new("description", Managed),
        FieldSpec::new("public", Managed),
        FieldSpec::new("coord_frame", ForceReplace),
        FieldSpec::new("num_hierarchy_levels", Managed),
        FieldSpec::new("hierarchy_method", Managed),
        FieldSpec::new("num_time_samples", Managed),
        FieldSpec::new("time_step", Managed),
        FieldSpec::new("time_step_unit", Managed),
        FieldSpec::new("type", ForceReplace),
        FieldSpec::new("datatype", ForceReplace),
        FieldSpec::new("default_time_sample", Managed),
        FieldSpec::new("base_resolution", Managed),
        FieldSpec::new("sources", Managed),
        FieldSpec::new("related", Managed),
        FieldSpec::new("creator", Computed),
        // What a collection or experiment holds, for the plan to say what a deletion
        // destroys.
        FieldSpec::new("experiments", Computed),
        FieldSpec::new("channels", Computed),
    ])
    .holds_data()
    .depth(1)
    .semantics(&Resource);
/// A Boss collection, experiment or channel.
pub const RESOURCE: Kind = Kind::of(&RESOURCE_DEF);

/// One Boss group's permission set on one resource: `boss.permission[resource][boss-group:name]`.
pub static PERMISSION_DEF: KindDef = KindDef::new("boss.permission", 504, 2)
    .fields(&[FieldSpec::access("permissions", PERMISSION_ORDER)])
    .grants_access()
    .semantics(&Permission);
/// One Boss group's permission set on one resource.
pub const PERMISSION: Kind = Kind::of(&PERMISSION_DEF);

/// A Boss user or group key without its namespace prefix.
fn name_of(key: &str) -> &str {
    key.split_once(':').map_or(key, |(_, name)| name)
}

/// A group is the principal `boss-group:<name>`.
struct Group;

impl KindSemantics for Group {
    fn is_principal(&self, address: &Address) -> Option<Principal> {
        Some(super::principals::group(address.keys.first()?.clone()))
    }
}

/// A member or maintainer: about its user, held by its group.
struct Member;

impl KindSemantics for Member {
    fn principal_of(&self, address: &Address) -> Option<Principal> {
        address.keys.last()?.parse().ok()
    }

    fn parent(&self, address: &Address) -> Option<Address> {
        Some(Address::new(GROUP, [address.keys[0].clone()]))
    }

    fn removal_reason(&self, _container: &Container, address: &Address) -> Option<String> {
        Some(format!(
            "not in policy; {}s of Boss group {} are authoritative",
            address.keys[1], address.keys[0]
        ))
    }

    fn kept_label(&self, change: &Change, who: &str) -> Option<String> {
        let k = &change.address.keys;
        Some(format!("{who} as {} of Boss group {}", k[1], k[0]))
    }

    fn is_membership(&self) -> bool {
        true
    }

    fn access_on<'a>(&self, address: &'a Address) -> Option<(&'a str, On<'a>)> {
        super::access::member_access_on(address)
    }

    fn grant<'a>(&self, o: &'a Object) -> Option<GrantSpec<'a>> {
        super::access::member_grant(o)
    }

    fn access_phrase(&self, change: &Change, _who: &str) -> Option<String> {
        let k = &change.address.keys;
        Some(format!(
            "{}: {} of Boss group {}",
            name_of(&k[2]),
            k[1],
            k[0]
        ))
    }

    /// A maintainer decides who else is in the group.
    fn escalates(&self, change: &Change) -> Option<bool> {
        Some(change.address.keys[1] == "maintainer")
    }

    fn label(
        &self,
        address: &Address,
        _key: &dyn Fn(usize) -> String,
        _principal: &dyn Fn(usize) -> String,
        _permissions: Option<&str>,
    ) -> Option<String> {
        // Boss names are their own labels: the namespace prefix is for keys.
        (address.keys.len() == 3).then(|| {
            let role = if address.keys[1] == "maintainer" {
                " (maintainer)"
            } else {
                ""
            };
            format!(
                "{} / {}{role}",
                address.keys[0],
                label_name(&address.keys[2])
            )
        })
    }
}

/// A Boss user or group key without its `boss-user:` / `boss-group:` prefix, for labels.
fn label_name(key: &str) -> &str {
    key.strip_prefix("boss-user:")
        .or_else(|| key.strip_prefix("boss-group:"))
        .unwrap_or(key)
}

/// A collection, experiment or channel: inside its parent; deleting one destroys its data.
struct Resource;

impl KindSemantics for Resource {
    /// The Boss refuses to delete a collection or experiment that still has children.
    fn references(&self, address: &Address) -> Vec<Address> {
        match address.keys[0].rsplit_once('/') {
            Some((parent, _)) => vec![Address::new(RESOURCE, [parent.to_string()])],
            None => Vec::new(),
        }
    }

    fn destroys(&self, c: &Change) -> Option<String> {
        if !matches!(c.action, Action::Delete | Action::Replace) {
            return None;
        }
        let path = &c.address.keys[0];
        let children = |field: &str| -> Vec<String> {
            c.before
                .as_ref()
                .and_then(|o| o.attrs.get(field))
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(String::from)
                        .collect()
                })
                .unwrap_or_default()
        };
        let (level, inner, word) = match path.matches('/').count() {
            0 => ("collection", children("experiments"), "experiments"),
            1 => ("experiment", children("channels"), "channels"),
            _ => ("channel", Vec::new(), ""),
        };
        let mut out = format!("destroys the {level} {path} and every voxel stored under it");
        if !inner.is_empty() {
            out.push_str(&format!(
                " (live {word}: {}; the Boss refuses until they are deleted)",
                inner.join(", ")
            ));
        }
        Some(out)
    }
}

/// A group's permission set on a resource: about the group, on its resource.
struct Permission;

impl Permission {
    /// The permission names a change adds and removes.
    fn delta(c: &Change) -> (Vec<String>, Vec<String>) {
        let names = |o: Option<&Object>| -> Vec<String> {
            o.and_then(|o| o.attrs.get("permissions"))
                .and_then(|v| v.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default()
        };
        let before = names(c.before.as_ref());
        let after = if c.action == Action::Delete {
            Vec::new()
        } else {
            names(c.after.as_ref())
        };
        let gained = after
            .iter()
            .filter(|n| !before.contains(n))
            .cloned()
            .collect();
        let lost = before
            .iter()
            .filter(|n| !after.contains(n))
            .cloned()
            .collect();
        (gained, lost)
    }
}

impl KindSemantics for Permission {
    fn principal_of(&self, address: &Address) -> Option<Principal> {
        address.keys.last()?.parse().ok()
    }

    fn removal_reason(&self, _container: &Container, address: &Address) -> Option<String> {
        Some(format!(
            "not in policy; permissions on Boss resource {} are authoritative",
            address.keys[0]
        ))
    }

    /// A permission set lives on its resource.
    fn references(&self, address: &Address) -> Vec<Address> {
        vec![Address::new(RESOURCE, [address.keys[0].clone()])]
    }

    fn access_on<'a>(&self, address: &'a Address) -> Option<(&'a str, On<'a>)> {
        super::access::permission_access_on(address)
    }

    fn grant<'a>(&self, o: &'a Object) -> Option<GrantSpec<'a>> {
        super::access::permission_grant(o)
    }

    fn access_phrase(&self, c: &Change, _who: &str) -> Option<String> {
        let (gained, lost) = Permission::delta(c);
        let names = if c.direction == Direction::Revoke {
            lost
        } else {
            gained
        };
        Some(format!(
            "{}: {} on {}",
            name_of(&c.address.keys[1]),
            names.join(", "),
            c.address.keys[0]
        ))
    }

    fn escalates(&self, c: &Change) -> Option<bool> {
        let (gained, _) = Permission::delta(c);
        Some(
            c.address.keys[1] == "boss-group:public"
                || gained.iter().any(|n| POWERFUL.contains(&n.as_str())),
        )
    }

    fn label(
        &self,
        address: &Address,
        _key: &dyn Fn(usize) -> String,
        _principal: &dyn Fn(usize) -> String,
        permissions: Option<&str>,
    ) -> Option<String> {
        (address.keys.len() == 2).then(|| {
            let mut s = format!("{} {}", address.keys[0], label_name(&address.keys[1]));
            if let Some(p) = permissions {
                s.push_str(&format!(" ({p})"));
            }
            s
        })
    }
}
