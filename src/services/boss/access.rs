//! What the Boss's grants are on in the access model: a group's membership
//! (`boss-group:<name>`) and a collection, experiment or channel (`boss:<path>`), and the
//! level a permission set reads as.
//!
//! A user's permissions on a resource are the union over the groups they are a *member* of
//! (`../shared/reference/boss-and-action-provider.md`); a maintainer manages a group's
//! members without being one. Permissions are not inherited down the hierarchy: a set on a
//! collection says nothing of its experiments, so a grant covers its own resource only.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use crate::state::access::{
    Escalation, GrantSpec, On, ResourceDef, ResourceSemantics, ResourceType,
};
use crate::state::{Address, Object};

/// The permission names of a resource, least to most: an update that drops one reduces access.
pub const PERMISSION_ORDER: &[&str] = &[
    "read",
    "read_volumetric_data",
    "add",
    "add_volumetric_data",
    "update",
    "delete",
    "delete_volumetric_data",
    "assign_group",
    "remove_group",
];

/// Boss permissions that let a group change or destroy what others can do or hold.
pub const POWERFUL: [&str; 4] = [
    "assign_group",
    "remove_group",
    "delete",
    "delete_volumetric_data",
];

/// A Boss group's members and maintainers (`boss-group:<name>`): members hold what the
/// group is granted; the group is named by the principal of the same form.
pub static GROUP_DEF: ResourceDef = ResourceDef::new("boss-group", 500, 1)
    .preposition("of")
    .escalations(&[("maintainer", Escalation::NewManager)])
    .membership()
    .forms(&["boss-group:<name>"])
    .semantics(&GroupResource);
/// A Boss group's membership.
pub const GROUP_ROLES: ResourceType = ResourceType::of(&GROUP_DEF);

/// A Boss collection, experiment or channel (`boss:<collection>[/<experiment>[/<channel>]]`).
pub static DATA_DEF: ResourceDef = ResourceDef::new("boss", 501, 1)
    .forms(&["boss:<collection>[/<experiment>[/<channel>]] (boss:JHUAPL/Mouse17/EM)"])
    .semantics(&DataResource);
/// A Boss collection, experiment or channel.
pub const DATA: ResourceType = ResourceType::of(&DATA_DEF);

/// The levels of a group's membership, least to most.
const ROLES: [&str; 2] = ["member", "maintainer"];

/// A Boss group reads `Boss group jhuapl_admins`.
struct GroupResource;

impl ResourceSemantics for GroupResource {
    fn label(&self, parts: &[String]) -> String {
        format!("Boss group {}", parts[0])
    }

    /// Only members hold what the group is granted.
    fn makes_member(&self, level: &str) -> bool {
        level == "member"
    }
}

/// A Boss resource reads `Boss JHUAPL/Mouse17/EM`.
struct DataResource;

impl ResourceSemantics for DataResource {
    fn label(&self, parts: &[String]) -> String {
        format!("Boss {}", parts[0])
    }

    /// `JHUAPL`, `JHUAPL/Mouse17` or `JHUAPL/Mouse17/EM`: one to three names.
    fn valid(&self, parts: &[String]) -> bool {
        let names = parts[0].split('/').count();
        (1..=3).contains(&names) && parts[0].split('/').all(|n| !n.is_empty())
    }

    /// A set holding a right to destroy data or to change what others hold.
    fn escalation(&self, level: &str) -> Option<Escalation> {
        level
            .split(", ")
            .any(|n| POWERFUL.contains(&n))
            .then_some(Escalation::PowerfulPermission)
    }
}

/// What a membership grants: its user, the group's membership, member or maintainer.
pub(super) fn member_access_on(a: &Address) -> Option<(&str, On<'_>)> {
    crate::state::access::role_access_on(a, GROUP_ROLES)
}

/// A role's grant: the role, read from its address.
pub(super) fn member_grant(o: &Object) -> Option<GrantSpec<'_>> {
    crate::state::access::role_grant(&o.address, GROUP_ROLES, &ROLES)
}

/// What a permission set grants: its group, the resource.
pub(super) fn permission_access_on(a: &Address) -> Option<(&str, On<'_>)> {
    let k = &a.keys;
    (k.len() == 2).then(|| (k[1].as_str(), On::new(DATA, &k[..1])))
}

/// A permission set's grant: its names as one level (`read, add`), ranked by the strongest.
pub(super) fn permission_grant(o: &Object) -> Option<GrantSpec<'_>> {
    let (principal, on) = permission_access_on(&o.address)?;
    let names = o.attrs.get("permissions")?.as_array()?;
    let mut mask = 0u16;
    for n in names.iter().filter_map(|n| n.as_str()) {
        if let Some(i) = PERMISSION_ORDER.iter().position(|p| *p == n) {
            mask |= 1 << i;
        }
    }
    if mask == 0 {
        return None;
    }
    let rank = 15 - mask.leading_zeros() as usize;
    Some(GrantSpec::named(principal, on, set_level(mask), rank))
}

/// The level of a set of permission names (bit `i`: `PERMISSION_ORDER[i]`), in that order.
/// Interned: at most 2⁹ sets exist, and a grant borrows its level.
fn set_level(mask: u16) -> &'static str {
    static SETS: OnceLock<Mutex<HashMap<u16, &'static str>>> = OnceLock::new();
    let mut sets = SETS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    sets.entry(mask).or_insert_with(|| {
        let names: Vec<&str> = PERMISSION_ORDER
            .iter()
            .enumerate()
            .filter(|(i, _)| mask & (1 << i) != 0)
            .map(|(_, n)| *n)
            .collect();
        Box::leak(names.join(", ").into_boxed_str())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::access::Resource;
    use serde_json::json;

    #[test]
    fn a_permission_set_reads_in_order_and_ranks_by_its_strongest_name() {
        let a = Address::new(
            super::super::PERMISSION,
            ["JHUAPL/Mouse17", "boss-group:lab"],
        );
        let o = Object::new(a).with("permissions", json!(["delete", "read"]));
        let g = permission_grant(&o).expect("a grant");
        assert_eq!(g.principal, "boss-group:lab");
        let crate::state::access::Level::Named { level, rank } = g.level else {
            panic!("a named level")
        };
        assert_eq!(level, "read, delete");
        assert_eq!(rank, 5);
        assert_eq!(DATA.escalation(level), Some(Escalation::PowerfulPermission));
        assert_eq!(DATA.escalation("read, add"), None);
    }

    #[test]
    fn only_members_hold_what_their_group_holds() {
        assert!(GroupResource.makes_member("member"));
        assert!(!GroupResource.makes_member("maintainer"));
    }

    #[test]
    fn a_boss_resource_is_one_to_three_names() {
        for r in [DATA, GROUP_ROLES] {
            r.register();
        }
        assert!("boss:JHUAPL/Mouse17/EM".parse::<Resource>().is_ok());
        assert!("boss:JHUAPL".parse::<Resource>().is_ok());
        assert!("boss:a/b/c/d".parse::<Resource>().is_err());
        assert!("boss:a//c".parse::<Resource>().is_err());
    }
}
