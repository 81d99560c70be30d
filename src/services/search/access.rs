//! What Globus Search's grants are on in the access model: an index's roles
//! (`search-index:<index>`) and one subject's documents (`search:<index>:<subject>`).
//!
//! A subject's `visible_to` lets each principal see its entries (`visible`); each of its
//! `principal_sets` names the principals holding that set's role on it (`curator`, …). An
//! index's owners and administrators see every document of it (Search lets them bypass
//! `visible_to`): the service's own rule, which `accord access who` shows on a document as
//! `visible (as admin)`.

use crate::state::access::{
    Escalation, GrantSpec, On, ResourceDef, ResourceSemantics, ResourceType, short_id,
};
use crate::state::{Address, Object};

/// A Search index's roles (`search-index:<index>`).
pub static INDEX_DEF: ResourceDef = ResourceDef::new("search-index", 400, 1)
    .escalations(&[
        ("writer", Escalation::NewRw),
        ("admin", Escalation::NewAdmin),
        ("owner", Escalation::NewAdmin),
    ])
    .forms(&["search-index:<index>"])
    .semantics(&IndexResource);
/// A Search index.
pub const INDEX: ResourceType = ResourceType::of(&INDEX_DEF);

/// One subject's documents in a Search index (`search:<index>:<subject>`).
pub static DOCUMENT_DEF: ResourceDef = ResourceDef::new("search", 401, 2)
    .forms(&["search:<index>:<subject> (split at the first two colons: subjects may be URLs)"])
    .semantics(&DocumentResource);
/// One subject's documents.
pub const DOCUMENT: ResourceType = ResourceType::of(&DOCUMENT_DEF);

/// An index's roles, least to most.
const ROLES: [&str; 3] = ["writer", "admin", "owner"];

/// An index reads `Search index 4de2f3a1…`.
struct IndexResource;

impl ResourceSemantics for IndexResource {
    fn label(&self, parts: &[String]) -> String {
        format!("Search index {}", short_id(&parts[0]))
    }

    /// Owners and administrators see every document of their index.
    fn reaches(
        &self,
        granted: &[String],
        level: &str,
        asked: ResourceType,
        asked_parts: &[String],
    ) -> Option<&'static str> {
        (asked == DOCUMENT && asked_parts[0] == granted[0] && matches!(level, "owner" | "admin"))
            .then_some("visible")
    }
}

/// A subject reads `doc1 in Search index 4de2f3a1…`.
struct DocumentResource;

impl ResourceSemantics for DocumentResource {
    fn label(&self, parts: &[String]) -> String {
        format!("{} in Search index {}", parts[1], short_id(&parts[0]))
    }
}

/// What a role grants: its holder, the index's roles.
pub(super) fn role_access_on(a: &Address) -> Option<(&str, On<'_>)> {
    crate::state::access::role_access_on(a, INDEX)
}

/// A role's grant: the role, read from its address.
pub(super) fn role_grant(o: &Object) -> Option<GrantSpec<'_>> {
    crate::state::access::role_grant(&o.address, INDEX, &ROLES)
}

/// The document a subject's access is on: a change to it can move anyone's.
pub(super) fn entry_resource(a: &Address) -> Option<On<'_>> {
    (a.keys.len() == 2).then(|| On::new(DOCUMENT, &a.keys[..2]))
}

/// A subject's grants: `visible` to each of `visible_to`, and each principal set's name to
/// each of its principals (ranked above seeing).
pub(super) fn entry_grants<'a>(o: &'a Object, each: &mut dyn FnMut(GrantSpec<'a>)) {
    let Some(on) = entry_resource(&o.address) else {
        return;
    };
    let principals = |v: &'a serde_json::Value| {
        v.as_array()
            .into_iter()
            .flatten()
            .filter_map(serde_json::Value::as_str)
    };
    if let Some(visible) = o.attrs.get("visible_to") {
        for p in principals(visible) {
            each(GrantSpec::named(p, on, "visible", 0));
        }
    }
    if let Some(sets) = o.attrs.get("principal_sets").and_then(|s| s.as_object()) {
        for (set, members) in sets {
            for p in principals(members) {
                each(GrantSpec::named(p, on, set, 1));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};
    use serde_json::json;

    use crate::plan::access::testing::{checked_delta, create, delete, update};
    use crate::services::search::kinds::ENTRY;
    use crate::state::{Address, Object, Principal};

    const INDEX: &str = "4de2f3a1-5b7c-4d8e-9f0a-1b2c3d4e5f60";

    fn now() -> DateTime<Utc> {
        "2026-11-23T00:00:00Z".parse().unwrap()
    }

    fn who(n: u128) -> String {
        Principal::Identity(uuid::Uuid::from_u128(n)).to_string()
    }

    fn entry(subject: &str, visible: &[String], curators: &[String]) -> Object {
        super::DOCUMENT.register();
        Object::new(Address::new(ENTRY, [INDEX, subject]))
            .with("visible_to", json!(visible))
            .with("principal_sets", json!({ "curator": curators }))
    }

    #[test]
    fn each_reader_of_a_document_gains_and_loses_apart_as_the_whole_model_says() {
        let before = entry("doc1", &[who(1), who(2)], &[who(3)]);
        let after = entry("doc1", &[who(2), who(4)], &[who(3), who(1)]);
        let other = entry("doc2", &[who(1)], &[]);
        let d = checked_delta(
            vec![before.clone(), other.clone()],
            vec![update(before, after)],
            now(),
        );
        let gained: Vec<(String, Option<String>)> = d
            .gains
            .iter()
            .map(|g| (g.principal.clone(), g.after.clone()))
            .collect();
        // who(1) goes from seeing to curating; who(4) starts seeing; doc2 does not move.
        assert_eq!(
            gained,
            [
                (who(1), Some("curator".to_string())),
                (who(4), Some("visible".to_string()))
            ]
        );
        assert!(d.losses.is_empty(), "{:?}", d.losses);
        let gone = checked_delta(vec![other.clone()], vec![delete(other)], now());
        assert_eq!(gone.losses.len(), 1);
        let made = checked_delta(vec![], vec![create(entry("doc3", &[who(5)], &[]))], now());
        assert_eq!(made.gains[0].principal, who(5));
    }
}
