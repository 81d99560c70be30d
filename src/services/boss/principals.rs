//! The Boss's principals: its users and groups are a namespace of their own, outside Globus
//! Auth (`boss-user:<name>`, `boss-group:<name>`); nothing resolves to them through aliases.

use crate::state::Principal;
use crate::state::principal::{Namespace, NamespaceDef};

/// Boss users: `boss-user:<name>`.
pub static USER_DEF: NamespaceDef = NamespaceDef::new("boss-user", 500);
/// Boss users.
pub const USER: Namespace = Namespace::of(&USER_DEF);

/// Boss groups: `boss-group:<name>`. A group is also an object (`boss.group`).
pub static GROUP_DEF: NamespaceDef = NamespaceDef::new("boss-group", 501);
/// Boss groups.
pub const GROUP: Namespace = Namespace::of(&GROUP_DEF);

/// The Boss's namespaces, which its service registers.
pub const ALL: &[Namespace] = &[USER, GROUP];

/// The Boss user `name`.
pub fn user(name: impl Into<String>) -> Principal {
    USER.principal(name)
}

/// The Boss group `name`.
pub fn group(name: impl Into<String>) -> Principal {
    GROUP.principal(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        crate::services::builtin();
        for s in ["boss-user:intern1", "boss-group:lab"] {
            assert_eq!(s.parse::<Principal>().unwrap().to_string(), s);
        }
        assert!("boss-user:".parse::<Principal>().is_err());
    }

    #[test]
    fn users_sort_before_groups_after_every_globus_principal() {
        assert!(Principal::Public < user("z"));
        assert!(user("z") < group("a"));
        assert_eq!(user("ann").to_string(), "boss-user:ann");
    }
}
