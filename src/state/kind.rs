//! Kinds: what each service says about the objects it manages, and the field schema the diff,
//! fingerprints and redaction read.
//!
//! The core knows no kind by name. A service describes each of its kinds once, in a static
//! [`KindDef`]: its name, its place in plans, its arity, its field schema, and its
//! [`KindSemantics`](super::KindSemantics) (who an object is about, why an undeclared one is removed, what a
//! delete destroys, which changes escalate access…). The diff, ordering, rails, rendering and
//! the access model ask the kind; none of them matches on it.

use std::sync::RwLock;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub use super::{KindSemantics, Plain};

/// How the diff treats a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldMode {
    /// Diffed and written.
    Managed,
    /// Set by the server; never diffed.
    Computed,
    /// Sent on create or update, never read back, so never diffed.
    WriteOnly,
    /// A change means delete + create.
    ForceReplace,
    /// Redacted everywhere; never diffed by value.
    Sensitive,
}

/// One field of a kind's schema.
#[derive(Debug, Clone, Copy)]
pub struct FieldSpec {
    /// The attribute name in `Object::attrs`.
    pub name: &'static str,
    /// How the diff treats it.
    pub mode: FieldMode,
    /// For access-bearing fields, the values from least to most access: a change
    /// towards the front is a reduction of access (counted as a removal by the rails).
    pub access_order: &'static [&'static str],
}

impl FieldSpec {
    /// A field diffed per `mode`.
    pub const fn new(name: &'static str, mode: FieldMode) -> Self {
        FieldSpec {
            name,
            mode,
            access_order: &[],
        }
    }

    /// A managed field whose values rank access, lowest first.
    pub const fn access(name: &'static str, order: &'static [&'static str]) -> Self {
        FieldSpec {
            name,
            mode: FieldMode::Managed,
            access_order: order,
        }
    }
}

/// Everything a service says about one kind. Services declare each as a `static` and refer to
/// it through a [`Kind`].
pub struct KindDef {
    /// The dotted name used in addresses and output (`transfer.acl`).
    pub name: &'static str,
    /// Its place in states and plans: kinds sort by it. Each service takes a block of its own
    /// (`services/mod.rs` lists them).
    pub order: u32,
    /// The number of key segments an address of this kind has.
    pub arity: usize,
    /// The field schema.
    pub fields: &'static [FieldSpec],
    /// Whether objects of this kind give someone access (grants and revocations).
    pub grants_access: bool,
    /// Whether objects of this kind hold data, so `prevent_destroy` is on by default.
    pub holds_data: bool,
    /// How deep the object sits: a plan creates shallower objects first and deletes them last.
    pub depth: u8,
    /// What only its service knows.
    pub semantics: &'static dyn KindSemantics,
}

impl KindDef {
    /// A kind with no fields, no access and nothing special.
    pub const fn new(name: &'static str, order: u32, arity: usize) -> Self {
        KindDef {
            name,
            order,
            arity,
            fields: &[],
            grants_access: false,
            holds_data: false,
            depth: 3,
            semantics: &Plain,
        }
    }

    /// With this field schema.
    pub const fn fields(mut self, fields: &'static [FieldSpec]) -> Self {
        self.fields = fields;
        self
    }

    /// Its objects grant access.
    pub const fn grants_access(mut self) -> Self {
        self.grants_access = true;
        self
    }

    /// Its objects hold data.
    pub const fn holds_data(mut self) -> Self {
        self.holds_data = true;
        self
    }

    /// At this depth (0 first).
    pub const fn depth(mut self, depth: u8) -> Self {
        self.depth = depth;
        self
    }

    /// With these semantics.
    pub const fn semantics(mut self, semantics: &'static dyn KindSemantics) -> Self {
        self.semantics = semantics;
        self
    }
}

/// A managed kind: a reference to its service's [`KindDef`]. Kinds are equal when they are the
/// same definition, and sort by their `order`.
#[derive(Clone, Copy)]
pub struct Kind(&'static KindDef);

impl Kind {
    /// The kind a definition describes.
    pub const fn of(def: &'static KindDef) -> Kind {
        Kind(def)
    }

    /// Its definition.
    pub fn def(self) -> &'static KindDef {
        self.0
    }

    /// The dotted name used in addresses and output (`transfer.acl`).
    pub fn name(self) -> &'static str {
        self.0.name
    }

    /// The number of key segments an address of this kind has.
    pub fn arity(self) -> usize {
        self.0.arity
    }

    /// Whether objects of this kind give someone access (grants and revocations).
    pub fn grants_access(self) -> bool {
        self.0.grants_access
    }

    /// Whether objects of this kind hold data, so `prevent_destroy` is on by default.
    pub fn holds_data(self) -> bool {
        self.0.holds_data
    }

    /// The field schema of this kind.
    pub fn fields(self) -> &'static [FieldSpec] {
        self.0.fields
    }

    /// The schema entry for one field, if the kind declares it.
    pub fn field(self, name: &str) -> Option<&'static FieldSpec> {
        self.0.fields.iter().find(|f| f.name == name)
    }

    /// What only its service knows.
    pub fn semantics(self) -> &'static dyn KindSemantics {
        self.0.semantics
    }

    /// Makes the kind known by name, so addresses and plan files naming it parse. Registering
    /// the same definition again does nothing; another definition with a taken name panics.
    pub fn register(self) {
        // The lock is released before panicking, so that the table stays usable.
        let taken = {
            let mut known = KNOWN.write().unwrap_or_else(|e| e.into_inner());
            match known.iter().find(|k| k.name() == self.name()) {
                Some(k) => *k != self,
                None => {
                    known.push(self);
                    false
                }
            }
        };
        if taken {
            panic!("two kinds are named `{}`", self.name());
        }
    }

    /// A registered kind by its dotted name.
    pub fn from_name(name: &str) -> Option<Kind> {
        KNOWN
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .find(|k| k.name() == name)
            .copied()
    }
}

/// Every kind registered so far: addresses and plan files name kinds, and parsing them back
/// needs the name.
static KNOWN: RwLock<Vec<Kind>> = RwLock::new(Vec::new());

impl PartialEq for Kind {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.0, other.0)
    }
}

impl Eq for Kind {}

impl std::hash::Hash for Kind {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        std::ptr::hash(self.0, state)
    }
}

impl PartialOrd for Kind {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Kind {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.0.order, self.0.name).cmp(&(other.0.order, other.0.name))
    }
}

impl std::fmt::Debug for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Kind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Kind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        Kind::from_name(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown kind `{name}`")))
    }
}

/// Kinds for the core's own tests: a group with members and a rule on a path, with none of a
/// real service's semantics beyond those the tests name.
#[cfg(test)]
pub mod testing {
    use super::*;
    use crate::state::access::{
        Escalation, GrantSpec, On, ResourceDef, ResourceSemantics, ResourceType,
    };
    use crate::state::{Address, Object, Principal};

    /// A group's roles, which make one its member (`test-group:<name>`); the group is the
    /// principal `group:<name>`.
    pub static ROLES_DEF: ResourceDef = ResourceDef::new("test-group", 1, 1)
        .preposition("of")
        .escalations(&[
            ("admin", Escalation::NewAdmin),
            ("manager", Escalation::NewManager),
        ])
        .membership_of("group")
        .semantics(&GroupRoles);
    /// A group's roles.
    pub const ROLES: ResourceType = ResourceType::of(&ROLES_DEF);
    /// A path on a collection (`test-path:<collection>:<path>`).
    pub static PATH_DEF: ResourceDef = ResourceDef::new("test-path", 2, 2)
        .escalations(&[("rw", Escalation::NewRw)])
        .semantics(&CollectionPath);
    /// A path on a collection.
    pub const PATH: ResourceType = ResourceType::of(&PATH_DEF);

    /// A group's roles read `group <name>`.
    pub struct GroupRoles;

    impl ResourceSemantics for GroupRoles {
        fn label(&self, parts: &[String]) -> String {
            format!("group {}", parts[0])
        }
    }

    /// A path's last part starts with `/`.
    pub struct CollectionPath;

    impl ResourceSemantics for CollectionPath {
        fn valid(&self, parts: &[String]) -> bool {
            parts[1].starts_with('/')
        }
    }

    /// A group holding members.
    pub static GROUP_DEF: KindDef = KindDef::new("test.group", 1, 1).depth(0).semantics(&Group);
    /// A group.
    pub const GROUP: Kind = Kind::of(&GROUP_DEF);
    /// A membership, held by its group.
    pub static MEMBER_DEF: KindDef = KindDef::new("test.member", 2, 2)
        .fields(&[FieldSpec::access("role", &["member", "manager", "admin"])])
        .grants_access()
        .semantics(&Member);
    /// A membership.
    pub const MEMBER: Kind = Kind::of(&MEMBER_DEF);
    /// An access rule on a path of a collection.
    pub static RULE_DEF: KindDef = KindDef::new("test.rule", 3, 3)
        .fields(&[FieldSpec::access("permissions", &["r", "rw"])])
        .grants_access()
        .semantics(&Rule);
    /// An access rule.
    pub const RULE: Kind = Kind::of(&RULE_DEF);

    /// A group is the principal `group:<name>`.
    pub struct Group;

    impl KindSemantics for Group {
        fn is_principal(&self, a: &Address) -> Option<Principal> {
            Some(Principal::ManagedGroup(a.keys.first()?.clone()))
        }
    }

    /// A set of names one principal holds on a resource, like a permission set.
    pub static SET_DEF: KindDef = KindDef::new("test.set", 4, 2).grants_access();
    /// A set of names on a resource.
    pub const SET: Kind = Kind::of(&SET_DEF);

    /// A membership's semantics: about its identity, held by its group.
    pub struct Member;

    impl KindSemantics for Member {
        fn principal_of(&self, a: &Address) -> Option<Principal> {
            a.keys.last()?.parse().ok()
        }
        fn parent(&self, a: &Address) -> Option<Address> {
            Some(Address::new(GROUP, [a.keys[0].clone()]))
        }
        fn held_by(&self) -> Option<Kind> {
            Some(GROUP)
        }
        fn is_membership(&self) -> bool {
            true
        }
        fn access_on<'a>(&self, a: &'a Address) -> Option<(&'a str, On<'a>)> {
            Some((a.keys[1].as_str(), On::new(ROLES, &a.keys[..1])))
        }
        fn grant<'a>(&self, o: &'a Object) -> Option<GrantSpec<'a>> {
            if o.str_attr("status").is_some_and(|s| s != "active") {
                return None;
            }
            let (principal, on) = self.access_on(&o.address)?;
            Some(GrantSpec::in_field(principal, on, "role", "member"))
        }
    }

    /// A rule's semantics: about its grantee, on its path.
    pub struct Rule;

    impl KindSemantics for Rule {
        fn principal_of(&self, a: &Address) -> Option<Principal> {
            a.keys.last()?.parse().ok()
        }
        fn path_key(&self) -> Option<usize> {
            Some(1)
        }
        fn access_on<'a>(&self, a: &'a Address) -> Option<(&'a str, On<'a>)> {
            let k = &a.keys;
            Some((k[2].as_str(), On::new(PATH, &k[..2])))
        }
        fn grant<'a>(&self, o: &'a Object) -> Option<GrantSpec<'a>> {
            let (principal, on) = self.access_on(&o.address)?;
            Some(GrantSpec::in_field(principal, on, "permissions", "r"))
        }
    }

    /// Registers the test kinds and resources.
    pub fn register() {
        for k in [GROUP, MEMBER, RULE, SET] {
            k.register();
        }
        for r in [ROLES, PATH] {
            r.register();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;

    #[test]
    fn names_round_trip_once_registered() {
        register();
        for k in [GROUP, MEMBER, RULE] {
            assert_eq!(Kind::from_name(k.name()), Some(k));
        }
        assert_eq!(Kind::from_name("nope"), None);
        register();
    }

    #[test]
    fn kinds_sort_by_their_order() {
        assert!(GROUP < MEMBER && MEMBER < RULE);
        assert_eq!(MEMBER, Kind::of(&MEMBER_DEF));
    }

    #[test]
    fn access_order_ranks_roles() {
        let role = MEMBER.field("role").unwrap();
        assert_eq!(role.access_order, &["member", "manager", "admin"]);
    }
}
