//! What grants are on, as services describe it: the resources of the access model.
//!
//! The core knows no resource by name. A service describes each class of resource its kinds
//! give access to once, in a static [`ResourceDef`]: the prefix of its canonical form
//! (`<prefix>:<part>:…`), how many parts follow, how a level on it reads for people, which
//! levels are escalations, and whether holding it makes one a member of a managed group. A
//! kind says what each grant is on through [`KindSemantics`](super::kind::KindSemantics)
//! (`access_on`, `grant`), as an [`On`] borrowing the parts from the granting object's
//! address: the delta over a hundred thousand objects copies none of them.

use std::fmt;
use std::sync::RwLock;

use serde::{Deserialize, Serialize};

/// Why a gain is flagged for reviewers.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Escalation {
    /// A grant to `public`, `anonymous` or `all_authenticated_users`, at any level.
    Everyone,
    /// Write access (`rw`) where there was none or only `r`.
    NewRw,
    /// A new admin of a group.
    NewAdmin,
    /// A new manager of a group.
    NewManager,
    /// A new right to destroy data or to change what others hold (the Boss's `delete`,
    /// `assign_group`, `remove_group`).
    PowerfulPermission,
}

impl fmt::Display for Escalation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Escalation::Everyone => "grant to everyone",
            Escalation::NewRw => "new rw",
            Escalation::NewAdmin => "new admin",
            Escalation::NewManager => "new manager",
            Escalation::PowerfulPermission => "new delete or assign right",
        })
    }
}

/// What only a resource's service knows about it. Every method has the answer of a resource
/// with nothing special about it.
pub trait ResourceSemantics: Sync + 'static {
    /// The resource for people, from its parts (`group lab`, `e56c36e4… /shared/`).
    fn label(&self, parts: &[String]) -> String {
        parts.join(" ")
    }

    /// Whether parts read back from a canonical form make a resource (each part is already
    /// known not to be empty): a path starts with `/`.
    fn valid(&self, _parts: &[String]) -> bool {
        true
    }

    /// The parts of a short form people type after the prefix (`boss:JHUAPL/Mouse17/EM`),
    /// when the canonical form does not read it: none by default.
    fn parse_short(&self, _rest: &str) -> Option<Vec<String>> {
        None
    }

    /// What holding `level` on `granted` gives on `asked`, a resource of another type whose
    /// parts differ (an index's administrator sees each of its documents): the level there,
    /// none by default. Asked of one resource at a time: it is not listed for `what`.
    fn reaches(
        &self,
        _granted: &[String],
        _level: &str,
        _asked: ResourceType,
        _asked_parts: &[String],
    ) -> Option<&'static str> {
        None
    }

    /// What holding `level` here also gives, on the resource of the same parts of each type
    /// named (a flow's administrator manages its runs): nothing by default.
    fn implies(&self, _level: &str) -> &'static [(&'static ResourceDef, &'static str)] {
        &[]
    }

    /// For a membership resource: whether holding `level` makes one a member, whose access
    /// includes the group's (a Boss maintainer manages a group without being in it). Every
    /// level does by default.
    fn makes_member(&self, _level: &str) -> bool {
        true
    }

    /// Why gaining `level` is an escalation, for a level the resource's `escalations` list
    /// cannot name (a set of permissions holding a powerful one): none by default.
    fn escalation(&self, _level: &str) -> Option<Escalation> {
        None
    }

    /// Whether a grant on `granted` gives access to `asked`, both of this type: when they are
    /// the same resource by default; a path covers the paths under it.
    fn covers(&self, granted: &[String], asked: &[String]) -> bool {
        granted == asked
    }
}

/// A resource with nothing special about it.
pub struct PlainResource;

impl ResourceSemantics for PlainResource {}

/// Everything a service says about one class of resource grants are on. Services declare
/// each as a `static` and refer to it through a [`ResourceType`].
pub struct ResourceDef {
    /// The prefix of its canonical form, before the first `:`.
    pub prefix: &'static str,
    /// Its place among resources: resources sort by it, then by their parts. Each service
    /// takes a block of its own, as for kinds.
    pub order: u32,
    /// The number of parts after the prefix, each after a `:`. All but the last hold no `:`
    /// (a UUID, a name); the last keeps any of its own (a path).
    pub arity: usize,
    /// The word between a level and the resource, for people: `admin of group lab`,
    /// `rw on e56c36e4… /x/`.
    pub preposition: &'static str,
    /// The levels whose gain is an escalation, and which one each is.
    pub escalations: &'static [(&'static str, Escalation)],
    /// The prefix of the principal naming the managed group its one part names, if holding it
    /// makes one a member of that group (at the
    /// levels its semantics' `makes_member` accepts): a grant to the principal written as
    /// its canonical form (`group:<name>`) elsewhere is then access for each member.
    pub members: Option<&'static str>,
    /// How people write it, for `--help` (`transfer:<collection>:<path>`); the first is its
    /// canonical form. Empty: `<prefix>:…` only.
    pub forms: &'static [&'static str],
    /// What only its service knows.
    pub semantics: &'static dyn ResourceSemantics,
}

impl ResourceDef {
    /// A resource `<prefix>:<part>…` of `arity` parts, levels on it read `<level> on <label>`,
    /// none escalates, and nothing special.
    pub const fn new(prefix: &'static str, order: u32, arity: usize) -> Self {
        ResourceDef {
            prefix,
            order,
            arity,
            preposition: "on",
            escalations: &[],
            members: None,
            forms: &[],
            semantics: &PlainResource,
        }
    }

    /// How people write it, for `--help`, its canonical form first.
    pub const fn forms(mut self, forms: &'static [&'static str]) -> Self {
        self.forms = forms;
        self
    }

    /// Levels on it read `<level> <preposition> <label>`.
    pub const fn preposition(mut self, preposition: &'static str) -> Self {
        self.preposition = preposition;
        self
    }

    /// Gaining one of these levels is the escalation paired with it.
    pub const fn escalations(mut self, escalations: &'static [(&'static str, Escalation)]) -> Self {
        self.escalations = escalations;
        self
    }

    /// Holding it makes one a member of the managed group its one part names, which a grant
    /// names as a principal written as this resource's canonical form (`group:<name>`).
    pub const fn membership(mut self) -> Self {
        self.members = Some(self.prefix);
        self
    }

    /// Holding it makes one a member of the managed group its one part names, which a grant
    /// names as the principal `<principals>:<name>`.
    pub const fn membership_of(mut self, principals: &'static str) -> Self {
        self.members = Some(principals);
        self
    }

    /// With these semantics.
    pub const fn semantics(mut self, semantics: &'static dyn ResourceSemantics) -> Self {
        self.semantics = semantics;
        self
    }
}

/// A class of resource: a reference to its service's [`ResourceDef`]. Resource types are
/// equal when they are the same definition, and sort by their `order`.
#[derive(Clone, Copy)]
pub struct ResourceType(&'static ResourceDef);

impl ResourceType {
    /// The resource type a definition describes.
    pub const fn of(def: &'static ResourceDef) -> ResourceType {
        ResourceType(def)
    }

    /// Its definition.
    pub fn def(self) -> &'static ResourceDef {
        self.0
    }

    /// The prefix of its canonical form.
    pub fn prefix(self) -> &'static str {
        self.0.prefix
    }

    /// Why gaining `level` on it is an escalation, if it is.
    pub fn escalation(self, level: &str) -> Option<Escalation> {
        self.0
            .escalations
            .iter()
            .find(|(l, _)| *l == level)
            .map(|(_, e)| *e)
            .or_else(|| self.0.semantics.escalation(level))
    }

    /// Makes the resource type known by its prefix, so saved plans naming it parse.
    /// Registering the same definition again does nothing; another one with a taken prefix
    /// panics.
    pub fn register(self) {
        // The lock is released before panicking, so that the table stays usable.
        let taken = {
            let mut known = RESOURCES.write().unwrap_or_else(|e| e.into_inner());
            match known.iter().find(|r| r.prefix() == self.prefix()) {
                Some(r) => *r != self,
                None => {
                    known.push(self);
                    false
                }
            }
        };
        if taken {
            panic!("two resource types use the prefix `{}`", self.prefix());
        }
    }

    /// Every registered resource type, in their order.
    pub fn all() -> Vec<ResourceType> {
        let mut all = RESOURCES.read().unwrap_or_else(|e| e.into_inner()).clone();
        all.sort();
        all
    }

    /// The prefix of principals naming managed groups as a registered membership resource
    /// declares it (`group`, `boss-group`), if `prefix` is one.
    pub fn members_prefix(prefix: &str) -> Option<&'static str> {
        RESOURCES
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .find_map(|r| r.0.members.filter(|m| *m == prefix))
    }

    /// A registered resource type by its prefix.
    pub fn from_prefix(prefix: &str) -> Option<ResourceType> {
        RESOURCES
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .find(|r| r.prefix() == prefix)
            .copied()
    }
}

/// Every resource type registered so far: reading a saved plan back needs the prefixes.
static RESOURCES: RwLock<Vec<ResourceType>> = RwLock::new(Vec::new());

impl PartialEq for ResourceType {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.0, other.0)
    }
}

impl Eq for ResourceType {}

impl std::hash::Hash for ResourceType {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        std::ptr::hash(self.0, state)
    }
}

impl PartialOrd for ResourceType {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ResourceType {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        // The effective-access maps compare these for every grant: the same definition
        // answers without reading it.
        if self == other {
            return std::cmp::Ordering::Equal;
        }
        (self.0.order, self.0.prefix).cmp(&(other.0.order, other.0.prefix))
    }
}

impl fmt::Debug for ResourceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.prefix())
    }
}

/// What a grant is on, borrowed from the granting object's address: a resource type and its
/// parts (a group's name; a collection and a path).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct On<'a> {
    /// The class of resource.
    pub resource: ResourceType,
    /// Its parts, as many as the type's arity.
    pub parts: &'a [String],
}

impl<'a> On<'a> {
    /// The resource of this type with these parts.
    pub fn new(resource: ResourceType, parts: &'a [String]) -> Self {
        On { resource, parts }
    }

    /// The managed group holding this resource makes one a member of, if it is a group's
    /// membership: its prefix and name, which a grant to that group names as
    /// `<prefix>:<name>` (`group:lab`, `boss-group:readers`).
    pub fn group(self) -> Option<(&'static str, &'a str)> {
        Some((self.resource.0.members?, self.parts.first()?.as_str()))
    }
}

/// A grant one object makes by itself, before managed groups are expanded: the access model's
/// view of an object, borrowed from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GrantSpec<'a> {
    /// The principal's canonical key (`identity:<uuid>`, `group:<name>`, …).
    pub principal: &'a str,
    /// What the access is on.
    pub on: On<'a>,
    /// The level granted, and how it ranks.
    pub level: Level<'a>,
}

/// How a grant's level is found and ranked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level<'a> {
    /// In a field of the granting object, ranked by the field's access order.
    Field {
        /// The field holding the level.
        field: &'static str,
        /// The level when the field is absent.
        default: &'static str,
    },
    /// A level the kind reads itself (a role in the address, a set of permission names), with
    /// its rank among the resource's levels.
    Named {
        /// The level.
        level: &'a str,
        /// Its rank: a higher one gives more.
        rank: usize,
    },
}

impl<'a> GrantSpec<'a> {
    /// A grant whose level is in `field` of the object (`default` when absent).
    pub fn in_field(
        principal: &'a str,
        on: On<'a>,
        field: &'static str,
        default: &'static str,
    ) -> Self {
        GrantSpec {
            principal,
            on,
            level: Level::Field { field, default },
        }
    }

    /// A grant of `level`, ranked `rank`, as the kind reads it.
    pub fn named(principal: &'a str, on: On<'a>, level: &'a str, rank: usize) -> Self {
        GrantSpec {
            principal,
            on,
            level: Level::Named { level, rank },
        }
    }
}

/// Who a role object grants to, and on what, for an address `[resource, role, principal]` (a
/// role held on a resource, as GCS, Search and the Boss keep them).
pub fn role_access_on(address: &super::Address, of: ResourceType) -> Option<(&str, On<'_>)> {
    let k = &address.keys;
    (k.len() == 3).then(|| (k[2].as_str(), On::new(of, &k[..1])))
}

/// The grant of a role object addressed `[resource, role, principal]`: the role read from its
/// address, ranked by its place in `roles` (least to most).
pub fn role_grant<'a>(
    address: &'a super::Address,
    of: ResourceType,
    roles: &[&str],
) -> Option<GrantSpec<'a>> {
    let (principal, on) = role_access_on(address, of)?;
    let role = address.keys[1].as_str();
    let rank = roles.iter().position(|r| *r == role)?;
    Some(GrantSpec::named(principal, on, role, rank))
}

/// `8f3e2a1b…` for a UUID; anything else unchanged: resources and principals for people.
pub fn short_id(s: &str) -> String {
    if s.len() == 36 && uuid::Uuid::parse_str(s).is_ok() {
        format!("{}…", &s[..8])
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::kind::testing::{PATH, ROLES};

    #[test]
    fn only_a_membership_names_a_group() {
        let keys = ["lab".to_string(), "/x/".to_string()];
        assert_eq!(On::new(ROLES, &keys[..1]).group(), Some(("group", "lab")));
        assert_eq!(On::new(PATH, &keys).group(), None);
    }

    #[test]
    #[should_panic(expected = "two resource types")]
    fn a_taken_prefix_panics() {
        static OTHER: ResourceDef = ResourceDef::new("test-path", 3, 1);
        PATH.register();
        ResourceType::of(&OTHER).register();
    }

    #[test]
    fn uuids_are_shortened_for_people() {
        assert_eq!(
            short_id("e56c36e4-1063-11e6-a747-22000bf2d559"),
            "e56c36e4…"
        );
        assert_eq!(short_id("lab"), "lab");
    }
}
