//! What Globus Connect Server's grants are on in the access model: a guest collection's roles
//! (`gcs:<name>`, the collection's policy name, as in `transfer:<name>:/path/`).
//!
//! A role manages the collection, not its data: data access is the collection's Transfer
//! rules. The creator's own `administrator` role is the service's (system-managed).

use crate::state::access::{
    Escalation, GrantSpec, On, ResourceDef, ResourceSemantics, ResourceType,
};
use crate::state::{Address, Object};

/// A guest collection's roles (`gcs:<name>`).
pub static COLLECTION_DEF: ResourceDef = ResourceDef::new("gcs", 300, 1)
    .escalations(&[
        ("access_manager", Escalation::NewManager),
        ("administrator", Escalation::NewAdmin),
    ])
    .forms(&["gcs:<guest collection> (its roles; its data is transfer:<guest collection>:/path/)"])
    .semantics(&CollectionResource);
/// A guest collection.
pub const COLLECTION: ResourceType = ResourceType::of(&COLLECTION_DEF);

/// The roles of a collection, least to most.
const ROLES: [&str; 4] = [
    "activity_monitor",
    "activity_manager",
    "access_manager",
    "administrator",
];

/// A guest collection reads `guest collection community-share`.
struct CollectionResource;

impl ResourceSemantics for CollectionResource {
    fn label(&self, parts: &[String]) -> String {
        format!("guest collection {}", parts[0])
    }
}

/// What a role grants: its holder, the collection's roles.
pub(super) fn role_access_on(a: &Address) -> Option<(&str, On<'_>)> {
    crate::state::access::role_access_on(a, COLLECTION)
}

/// A role's grant: the role, read from its address.
pub(super) fn role_grant(o: &Object) -> Option<GrantSpec<'_>> {
    crate::state::access::role_grant(&o.address, COLLECTION, &ROLES)
}
