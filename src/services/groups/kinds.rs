//! Globus Groups' kinds: a group, and one identity's membership in it.

use crate::state::access::{
    Escalation, GrantSpec, On, ResourceDef, ResourceSemantics, ResourceType,
};
use crate::state::kind::{FieldMode::*, FieldSpec, KindDef, KindSemantics};
use crate::state::{Address, Change, Container, Kind, Object, Principal};

/// A Globus group (top-level, keyed by its policy name).
pub static GROUP_DEF: KindDef = KindDef::new("globus.group", 100, 1)
    .fields(&[
        FieldSpec::new("name", Managed),
        FieldSpec::new("description", Managed),
        FieldSpec::new("group_visibility", Managed),
        FieldSpec::new("group_members_visibility", Managed),
        FieldSpec::new("join_requests", Managed),
        FieldSpec::new("signup_fields", Managed),
        FieldSpec::new("authentication_assurance_timeout", Managed),
        FieldSpec::new("is_high_assurance", Managed),
        FieldSpec::new("parent_id", ForceReplace),
    ])
    .depth(0)
    .semantics(&Group);
/// A Globus group.
pub const GROUP: Kind = Kind::of(&GROUP_DEF);

/// One identity's membership in a Globus group.
pub static MEMBER_DEF: KindDef = KindDef::new("globus.member", 101, 2)
    .fields(&[
        FieldSpec::access("role", &["member", "manager", "admin"]),
        FieldSpec::new("status", Computed),
        FieldSpec::new("username", Computed),
        // Groups has no membership expiry: accord enforces it by revoking, so a live
        // membership never carries it and it must not be diffed.
        FieldSpec::new("expires", WriteOnly),
    ])
    .grants_access()
    .semantics(&Member);
/// One identity's membership in a Globus group.
pub const MEMBER: Kind = Kind::of(&MEMBER_DEF);

/// A managed group's roles (`group:<name>`), which a membership grants: holding any makes one
/// a member. Managers and admins decide who else is in the group.
pub static ROLES_DEF: ResourceDef = ResourceDef::new("group", 100, 1)
    .preposition("of")
    .escalations(&[
        ("admin", Escalation::NewAdmin),
        ("manager", Escalation::NewManager),
    ])
    .membership()
    .forms(&["group:<name>"])
    .semantics(&Roles);
/// A managed group's roles.
pub const ROLES: ResourceType = ResourceType::of(&ROLES_DEF);

/// A group's roles read `group <name>`.
struct Roles;

impl ResourceSemantics for Roles {
    fn label(&self, parts: &[String]) -> String {
        format!("group {}", parts[0])
    }
}

/// Membership statuses the service refuses to add back (the identity left).
const REFUSES_ADD: &[&str] = &["left"];

/// A group is the principal `group:<name>`.
struct Group;

impl KindSemantics for Group {
    fn is_principal(&self, address: &Address) -> Option<Principal> {
        Some(Principal::ManagedGroup(address.keys.first()?.clone()))
    }
}

/// A membership: about its identity, held by its group.
struct Member;

impl KindSemantics for Member {
    fn principal_of(&self, address: &Address) -> Option<Principal> {
        address.keys.last()?.parse().ok()
    }

    fn parent(&self, address: &Address) -> Option<Address> {
        Some(Address::new(GROUP, [address.keys[0].clone()]))
    }

    fn held_by(&self) -> Option<Kind> {
        Some(GROUP)
    }

    fn refused(&self, live: &Object) -> Option<String> {
        let s = live.str_attr("status")?;
        REFUSES_ADD
            .contains(&s)
            .then(|| format!("the identity {s} the group; the service will not add it back"))
    }

    fn removal_reason(&self, _container: &Container, address: &Address) -> Option<String> {
        Some(format!(
            "not in policy; members of {} are authoritative",
            address.keys[0]
        ))
    }

    fn kept_label(&self, change: &Change, who: &str) -> Option<String> {
        Some(format!("{who} in {}", change.address.keys[0]))
    }

    fn is_membership(&self) -> bool {
        true
    }

    fn made_with_container(
        &self,
        o: &Object,
        callers: &std::collections::BTreeSet<Principal>,
    ) -> bool {
        o.str_attr("role") == Some("admin")
            && self
                .principal_of(&o.address)
                .is_some_and(|p| callers.contains(&p))
    }

    fn last_holder(&self, o: &Object) -> Option<(Address, String)> {
        let active = o.str_attr("status").is_none_or(|s| s == "active");
        (o.str_attr("role") == Some("admin") && active).then(|| {
            let group = &o.address.keys[0];
            (
                Address::new(GROUP, [group.clone()]),
                format!("the last admin of {group}"),
            )
        })
    }

    fn access_phrase(&self, change: &Change, who: &str) -> Option<String> {
        let obj = change.after.as_ref().or(change.before.as_ref());
        let role = obj.and_then(|o| o.str_attr("role")).unwrap_or("member");
        Some(format!("{who}: {role} of {}", change.address.keys[0]))
    }

    fn escalates(&self, change: &Change) -> Option<bool> {
        Some(change.rose_to("role", &["manager", "admin"]))
    }

    fn label(
        &self,
        address: &Address,
        key: &dyn Fn(usize) -> String,
        principal: &dyn Fn(usize) -> String,
        _permissions: Option<&str>,
    ) -> Option<String> {
        (address.keys.len() == 2).then(|| format!("{} / {}", key(0), principal(1)))
    }

    fn access_on<'a>(&self, address: &'a Address) -> Option<(&'a str, On<'a>)> {
        let k = &address.keys;
        (k.len() == 2).then(|| (k[1].as_str(), On::new(ROLES, &k[..1])))
    }

    fn grant<'a>(&self, o: &'a Object) -> Option<GrantSpec<'a>> {
        // No status means an object the plan creates: Groups adds it as active.
        if o.str_attr("status").is_some_and(|s| s != "active") {
            return None;
        }
        let (principal, on) = self.access_on(&o.address)?;
        Some(GrantSpec::in_field(principal, on, "role", "member"))
    }
}
