//! Canonical principals: what every alias, username, URN or group reference resolves to.
//!
//! The core knows Globus' principals (identities, groups, the special ones). A service with
//! principals of its own (users and groups outside Globus Auth) declares each namespace once,
//! in a static [`NamespaceDef`], and registers it through its `Service`: `<prefix>:<name>`
//! then parses, prints and sorts like any other principal.

use std::fmt;
use std::str::FromStr;
use std::sync::RwLock;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

/// A principal after resolution. Its `Display` form is the key used in addresses.
///
/// The variants' order is the principals' order (maps of principals feed plan output):
/// Globus' principals first, then each service's namespaces by their `order`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Principal {
    /// A Globus Auth identity (`identity:<uuid>`).
    Identity(Uuid),
    /// A group this workspace manages, keyed by its policy name (`group:<name>`);
    /// its live UUID maps back to this name.
    ManagedGroup(String),
    /// A Globus group this workspace does not manage (`group:<uuid>`).
    Group(Uuid),
    /// Every authenticated Globus user (Transfer, Search).
    AllAuthenticatedUsers,
    /// Anyone, signed in or not (Transfer only).
    Anonymous,
    /// Anyone (Search only).
    Public,
    /// A name in a namespace a service declares (`<prefix>:<name>`): a user or group of a
    /// service with principals of its own.
    Namespaced(Namespace, String),
}

/// The key prefixes of the core's own principals, which no service may declare.
const CORE_PREFIXES: [&str; 2] = ["identity", "group"];

/// Everything a service says about one namespace of its principals. Services declare each as
/// a `static` and refer to it through a [`Namespace`].
#[derive(Debug)]
pub struct NamespaceDef {
    /// The prefix of its principals' keys, before the `:`.
    pub prefix: &'static str,
    /// Its place among namespaces: principals of two namespaces sort by it (after every Globus
    /// principal). Each service takes a block of its own, as for kinds.
    pub order: u32,
}

impl NamespaceDef {
    /// The namespace of keys `<prefix>:<name>`, sorting at `order`.
    pub const fn new(prefix: &'static str, order: u32) -> Self {
        NamespaceDef { prefix, order }
    }
}

/// A namespace of principals: a reference to its service's [`NamespaceDef`]. Namespaces are
/// equal when they are the same definition, and sort by their `order`.
#[derive(Clone, Copy)]
pub struct Namespace(&'static NamespaceDef);

impl Namespace {
    /// The namespace a definition describes.
    pub const fn of(def: &'static NamespaceDef) -> Namespace {
        Namespace(def)
    }

    /// The prefix of its principals' keys.
    pub fn prefix(self) -> &'static str {
        self.0.prefix
    }

    /// The principal `name` of this namespace.
    pub fn principal(self, name: impl Into<String>) -> Principal {
        Principal::Namespaced(self, name.into())
    }

    /// The name a key holds if it is one of this namespace's (`<prefix>:<name>`, the name not
    /// empty): a service reads its own keys without the registry.
    pub fn name_in(self, key: &str) -> Option<&str> {
        key.strip_prefix(self.0.prefix)?
            .strip_prefix(':')
            .filter(|name| !name.is_empty())
    }

    /// Makes the namespace known by its prefix, so its principals parse. Registering the same
    /// definition again does nothing; another one with a taken prefix (or one of the core's)
    /// panics.
    pub fn register(self) {
        if CORE_PREFIXES.contains(&self.prefix()) {
            panic!("the principal prefix `{}` is the core's", self.prefix());
        }
        // The lock is released before panicking, so that the table stays usable.
        let taken = {
            let mut known = NAMESPACES.write().unwrap_or_else(|e| e.into_inner());
            match known.iter().find(|n| n.prefix() == self.prefix()) {
                Some(n) => *n != self,
                None => {
                    known.push(self);
                    false
                }
            }
        };
        if taken {
            panic!(
                "two principal namespaces use the prefix `{}`",
                self.prefix()
            );
        }
    }

    /// A registered namespace by its prefix.
    pub fn from_prefix(prefix: &str) -> Option<Namespace> {
        NAMESPACES
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .find(|n| n.prefix() == prefix)
            .copied()
    }
}

/// Every namespace registered so far: parsing a key back needs its prefix.
static NAMESPACES: RwLock<Vec<Namespace>> = RwLock::new(Vec::new());

impl PartialEq for Namespace {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.0, other.0)
    }
}

impl Eq for Namespace {}

impl std::hash::Hash for Namespace {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        std::ptr::hash(self.0, state)
    }
}

impl PartialOrd for Namespace {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Namespace {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.0.order, self.0.prefix).cmp(&(other.0.order, other.0.prefix))
    }
}

impl fmt::Debug for Namespace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.prefix())
    }
}

impl Principal {
    /// Whether this principal means "everyone" in some sense: a grant to it is an escalation.
    pub fn is_public(&self) -> bool {
        matches!(
            self,
            Principal::AllAuthenticatedUsers | Principal::Anonymous | Principal::Public
        )
    }

    /// The Globus URN of this principal where one exists (Search, GCS roles).
    pub fn urn(&self, group_id: impl Fn(&str) -> Option<String>) -> Option<String> {
        match self {
            Principal::Identity(id) => Some(format!("urn:globus:auth:identity:{id}")),
            Principal::Group(id) => Some(format!("urn:globus:groups:id:{id}")),
            Principal::ManagedGroup(name) => {
                group_id(name).map(|id| format!("urn:globus:groups:id:{id}"))
            }
            Principal::AllAuthenticatedUsers => Some("all_authenticated_users".into()),
            Principal::Public => Some("public".into()),
            _ => None,
        }
    }
}

impl fmt::Display for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Principal::Identity(id) => write!(f, "identity:{id}"),
            Principal::ManagedGroup(name) => write!(f, "group:{name}"),
            Principal::Group(id) => write!(f, "group:{id}"),
            Principal::AllAuthenticatedUsers => f.write_str("all_authenticated_users"),
            Principal::Anonymous => f.write_str("anonymous"),
            Principal::Public => f.write_str("public"),
            Principal::Namespaced(ns, name) => write!(f, "{}:{name}", ns.prefix()),
        }
    }
}

/// Why a string is not a canonical principal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a canonical principal: `{0}`")]
pub struct PrincipalParseError(pub String);

impl FromStr for Principal {
    type Err = PrincipalParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || PrincipalParseError(s.to_string());
        Ok(match s {
            "all_authenticated_users" => Principal::AllAuthenticatedUsers,
            "anonymous" => Principal::Anonymous,
            "public" => Principal::Public,
            _ => match s.split_once(':') {
                Some(("identity", id)) => Principal::Identity(id.parse().map_err(|_| err())?),
                Some(("group", g)) => match g.parse::<Uuid>() {
                    Ok(id) => Principal::Group(id),
                    Err(_) if !g.is_empty() => Principal::ManagedGroup(g.to_string()),
                    Err(_) => return Err(err()),
                },
                Some((prefix, name)) if !name.is_empty() => match Namespace::from_prefix(prefix) {
                    Some(ns) => Principal::Namespaced(ns, name.to_string()),
                    None => return Err(err()),
                },
                _ => return Err(err()),
            },
        })
    }
}

impl Serialize for Principal {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Principal {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A namespace of the core's tests, as a service would declare one.
    static TEST_USER_DEF: NamespaceDef = NamespaceDef::new("test-user", 900);
    const TEST_USER: Namespace = Namespace::of(&TEST_USER_DEF);
    static TEST_TEAM_DEF: NamespaceDef = NamespaceDef::new("test-team", 901);
    const TEST_TEAM: Namespace = Namespace::of(&TEST_TEAM_DEF);

    #[test]
    fn round_trips() {
        TEST_USER.register();
        for s in [
            "identity:2d7a4c6e-0a8e-4d8f-9d1e-5f6a7b8c9d0e",
            "group:lab-admins",
            "group:8b7d57bc-1666-11ec-88b2-f50515619d57",
            "all_authenticated_users",
            "anonymous",
            "public",
            "test-user:intern1",
        ] {
            assert_eq!(s.parse::<Principal>().unwrap().to_string(), s);
        }
        assert!("identity:nope".parse::<Principal>().is_err());
        assert!("group:".parse::<Principal>().is_err());
        assert!("test-user:".parse::<Principal>().is_err());
        assert!("unknown:x".parse::<Principal>().is_err());
    }

    #[test]
    fn namespaces_sort_after_globus_principals_and_by_their_order() {
        let mut all = [
            TEST_TEAM.principal("a"),
            TEST_USER.principal("b"),
            Principal::Public,
            TEST_USER.principal("a"),
            Principal::ManagedGroup("lab".into()),
        ];
        all.sort();
        let keys: Vec<String> = all.iter().map(|p| p.to_string()).collect();
        assert_eq!(
            keys,
            [
                "group:lab",
                "public",
                "test-user:a",
                "test-user:b",
                "test-team:a"
            ]
        );
    }

    #[test]
    fn a_namespace_reads_its_own_keys() {
        assert_eq!(TEST_USER.name_in("test-user:ann"), Some("ann"));
        assert_eq!(TEST_USER.name_in("test-user:"), None);
        assert_eq!(TEST_USER.name_in("test-team:ann"), None);
        assert_eq!(TEST_USER.name_in("test-username:ann"), None);
    }

    #[test]
    #[should_panic(expected = "the core's")]
    fn the_core_prefixes_are_not_a_services() {
        static IDENTITY: NamespaceDef = NamespaceDef::new("identity", 902);
        Namespace::of(&IDENTITY).register();
    }
}
