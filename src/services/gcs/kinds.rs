//! Globus Connect Server's kinds: the user credential a guest collection needs, the guest
//! collection, and a role on it (docs/gcs-model.md).

use crate::services::transfer::kinds::ACL;
use crate::state::access::{GrantSpec, On};
use crate::state::kind::{FieldMode::*, FieldSpec, KindDef, KindSemantics};
use crate::state::{Address, Change, Kind, Object, Principal};

/// A GCS user credential backing a guest collection: `gcs.credential[endpoint][gateway]`.
pub static CREDENTIAL_DEF: KindDef = KindDef::new("gcs.credential", 300, 2)
    .fields(&[
        // The running identity: the provider fills it; compilation knows no caller.
        FieldSpec::new("identity_id", Computed),
        // Updated in place: a credential is never deleted.
        FieldSpec::new("username", Managed),
        FieldSpec::new("display_name", Managed),
        FieldSpec::new("policies", Sensitive),
    ])
    .depth(0);
/// A GCS user credential.
pub const CREDENTIAL: Kind = Kind::of(&CREDENTIAL_DEF);

/// A GCS guest collection: `gcs.collection[endpoint][name]`.
pub static COLLECTION_DEF: KindDef = KindDef::new("gcs.collection", 301, 2)
    .fields(&[
        FieldSpec::new("display_name", Managed),
        FieldSpec::new("public", Managed),
        FieldSpec::new("collection_base_path", ForceReplace),
        FieldSpec::new("mapped_collection_id", ForceReplace),
        FieldSpec::new("storage_gateway_id", Computed),
        FieldSpec::new("user_credential_id", Computed),
        FieldSpec::new("description", Managed),
        FieldSpec::new("organization", Managed),
        FieldSpec::new("department", Managed),
        FieldSpec::new("contact_email", Managed),
        FieldSpec::new("contact_info", Managed),
        FieldSpec::new("info_link", Managed),
        FieldSpec::new("keywords", Managed),
        FieldSpec::new("default_directory", Managed),
        FieldSpec::new("force_encryption", Managed),
        FieldSpec::new("disable_verify", Managed),
        FieldSpec::new("enable_https", Managed),
        FieldSpec::new("user_message", Managed),
        FieldSpec::new("user_message_link", Managed),
    ])
    .holds_data()
    .depth(1)
    .semantics(&Collection);
/// A GCS guest collection.
pub const COLLECTION: Kind = Kind::of(&COLLECTION_DEF);

/// A role on a GCS collection: `gcs.role[collection][role][principal]`.
pub static ROLE_DEF: KindDef = KindDef::new("gcs.role", 302, 3)
    // GCS does not store a role's expiry: accord enforces it by revoking.
    .fields(&[FieldSpec::new("expires", WriteOnly)])
    .grants_access()
    .semantics(&Role);
/// A role on a GCS collection.
pub const ROLE: Kind = Kind::of(&ROLE_DEF);

/// A guest collection carries its rules and roles: the server deletes them with it.
struct Collection;

impl KindSemantics for Collection {
    fn cascades(&self) -> bool {
        true
    }

    fn carries(&self, deleted: &Address, other: &Address) -> bool {
        (other.kind == ACL || other.kind == ROLE) && other.keys.first() == deleted.keys.get(1)
    }

    fn carried_reason(&self, deleted: &Address, recreated: bool) -> String {
        let name = &deleted.keys[1];
        if recreated {
            format!("created again on the replaced guest collection {name}")
        } else {
            format!("deleted with guest collection {name}")
        }
    }
}

/// A role: about its holder; every new role is an escalation.
pub(crate) struct Role;

impl KindSemantics for Role {
    fn principal_of(&self, address: &Address) -> Option<Principal> {
        address.keys.last()?.parse().ok()
    }

    fn access_phrase(&self, change: &Change, who: &str) -> Option<String> {
        let k = &change.address.keys;
        Some(format!("{who}: {} of {}", k[1], k[0]))
    }

    fn escalates(&self, _change: &Change) -> Option<bool> {
        Some(true)
    }

    fn access_on<'a>(&self, address: &'a Address) -> Option<(&'a str, On<'a>)> {
        super::access::role_access_on(address)
    }

    fn grant<'a>(&self, o: &'a Object) -> Option<GrantSpec<'a>> {
        super::access::role_grant(o)
    }
}
