//! The service-agnostic model: kinds and their field schemas, addresses, principals,
//! objects, desired and live state. It knows no policy file: `policy` resolves and compiles
//! a policy into it.
//!
//! Its contract with the services is here, at its root: [`KindSemantics`], what only a kind's
//! service knows about its objects. A kind ([`kind::KindDef`]) holds its semantics, and the
//! semantics read addresses and objects, which name their kind: so the trait sits above the
//! modules it speaks of, and none of them needs another's sibling back.

pub mod access;
pub mod address;
pub mod attrs;
pub mod change;
pub mod desired;
pub mod identity;
pub mod kind;
pub mod live;
pub mod object;
pub mod principal;

pub use address::{Address, AddressParseError};
pub use attrs::Attrs;
pub use change::{Action, Change, Direction, FieldChange};
pub use desired::{Desired, timestamp};
pub use identity::{IdentityInfo, IdentityResolver};
pub use kind::{FieldMode, FieldSpec, Kind};
pub use live::{IdMap, LiveRead, Lookup, ProviderError, Scope};
pub use object::{Container, ContainerMode, Object, Provenance, State};
pub use principal::Principal;

use access::{GrantSpec, On};

/// What only a kind's service knows about its objects. Every method has the answer of a kind
/// with nothing special about it.
pub trait KindSemantics: Sync + 'static {
    /// The principal an object is about, from its address (a member's identity, a rule's
    /// grantee, a role's holder).
    fn principal_of(&self, _address: &Address) -> Option<Principal> {
        None
    }

    /// The object an object belongs to (a member's group).
    fn parent(&self, _address: &Address) -> Option<Address> {
        None
    }

    /// The kind of container that holds this kind's objects by their first key, besides
    /// containers of the kind itself (a group holds its members).
    fn held_by(&self) -> Option<Kind> {
        None
    }

    /// The key holding a path, which a container's `manage_paths` restricts.
    fn path_key(&self) -> Option<usize> {
        None
    }

    /// Whether principals appear in the object's values (lists of them), to be labelled.
    fn principals_in_values(&self) -> bool {
        false
    }

    /// Why the service will not carry out a grant on this live object, if it will not.
    fn refused(&self, _live: &Object) -> Option<String> {
        None
    }

    /// Why an undeclared live object inside an authoritative container is removed.
    fn removal_reason(&self, _container: &Container, _address: &Address) -> Option<String> {
        None
    }

    /// What deleting or replacing the object destroys beyond itself, said for people.
    fn destroys(&self, _change: &Change) -> Option<String> {
        None
    }

    /// Whether deleting one of its objects deletes others with it on the server.
    fn cascades(&self) -> bool {
        false
    }

    /// Whether deleting the object at `deleted` deletes `other` with it on the server (a guest
    /// collection's rules and roles).
    fn carries(&self, _deleted: &Address, _other: &Address) -> bool {
        false
    }

    /// Why an object is deleted with `deleted`, or created again on it when `recreated` (it
    /// was replaced).
    fn carried_reason(&self, deleted: &Address, recreated: bool) -> String {
        if recreated {
            format!("created again on the replaced {deleted}")
        } else {
            format!("deleted with {deleted}")
        }
    }

    /// How a kept (protected) change reads, given who it is about.
    fn kept_label(&self, _change: &Change, _who: &str) -> Option<String> {
        None
    }

    /// Whether the service makes this object by itself when one of `callers` creates its
    /// container (a new group's creator is its admin): a plan never lists it, since no request
    /// makes it.
    fn made_with_container(
        &self,
        _object: &Object,
        _callers: &std::collections::BTreeSet<Principal>,
    ) -> bool {
        false
    }

    /// Whether the object is a membership: the running identity's own is never removed.
    fn is_membership(&self) -> bool {
        false
    }

    /// If the object is one of its scope's last-resort holders (a group's admin, an index's
    /// owner), that scope and how keeping it reads: a plan never removes the last one.
    fn last_holder(&self, _object: &Object) -> Option<(Address, String)> {
        None
    }

    /// One phrase for an access change: `alice r /disthome/alice/`, `bob: admin of lab`.
    fn access_phrase(&self, _change: &Change, _who: &str) -> Option<String> {
        None
    }

    /// Whether a grant escalates access (a new admin, `rw`, a grant to everyone). `None` keeps
    /// the default: any grant to a public principal.
    fn escalates(&self, _change: &Change) -> Option<bool> {
        None
    }

    /// Objects this one refers to besides its parent and the principal it names, which it must
    /// be deleted before (a Boss resource's parent).
    fn references(&self, _address: &Address) -> Vec<Address> {
        Vec::new()
    }

    /// If this object *is* a principal (a managed group), that principal: changes naming it
    /// wait for its create, and its delete waits for theirs.
    fn is_principal(&self, _address: &Address) -> Option<Principal> {
        None
    }

    /// The body of the object's label for people (after the kind name), given each key's
    /// display form and the permissions the change carries; `None` joins the keys.
    fn label(
        &self,
        _address: &Address,
        _key: &dyn Fn(usize) -> String,
        _principal: &dyn Fn(usize) -> String,
        _permissions: Option<&str>,
    ) -> Option<String> {
        None
    }

    /// Whether a field is already said by the object's label, so a create need not list it.
    fn in_label(&self, _field: &str) -> bool {
        false
    }

    /// Who an object gives access to, and on what (a resource type its service declares,
    /// with parts borrowed from the address), from its address alone: a change to it can move
    /// that principal's access there.
    fn access_on<'a>(&self, _address: &'a Address) -> Option<(&'a str, On<'a>)> {
        None
    }

    /// What the object grants by itself now, for the access model (nothing while, say, a
    /// membership is only invited).
    fn grant<'a>(&self, _object: &'a Object) -> Option<GrantSpec<'a>> {
        None
    }

    /// Each grant the object makes by itself now: its one [`grant`](Self::grant) by default;
    /// a kind whose object names its principals in its values (a document's `visible_to`)
    /// gives one per principal.
    fn grants<'a>(&self, object: &'a Object, each: &mut dyn FnMut(GrantSpec<'a>)) {
        if let Some(g) = self.grant(object) {
            each(g);
        }
    }

    /// Since when the object's grant has been held, where its service reports it (a Transfer
    /// rule's `create_time`): none by default.
    fn granted_since<'a>(&self, _object: &'a Object) -> Option<&'a str> {
        None
    }

    /// For a kind whose objects name their principals in their values: the resource a change
    /// to the object can move, for any principal (its `access_on` is then `None`).
    fn access_resource<'a>(&self, _address: &'a Address) -> Option<On<'a>> {
        None
    }
}

/// A kind with nothing special about it.
pub struct Plain;

impl KindSemantics for Plain {}
