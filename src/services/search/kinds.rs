//! Globus Search's kinds: a role on an index, and one subject's document access
//! (docs/search-model.md).

use crate::plan::build::short_key;
use crate::state::access::{GrantSpec, On};
use crate::state::kind::{FieldMode::*, FieldSpec, KindDef, KindSemantics};
use crate::state::{Address, Change, Kind, Object, Principal};

/// A role on a Search index: `search.role[index][role][principal]`.
pub static ROLE_DEF: KindDef = KindDef::new("search.role", 400, 3)
    // Search does not store a role's expiry: accord enforces it by revoking.
    .fields(&[FieldSpec::new("expires", WriteOnly)])
    .grants_access()
    .semantics(&Role);
/// A role on a Search index.
pub const ROLE: Kind = Kind::of(&ROLE_DEF);

/// The `visible_to` and `principal_sets` of one Search subject: `search.entry[index][subject]`.
pub static ENTRY_DEF: KindDef = KindDef::new("search.entry", 401, 2)
    .fields(&[
        FieldSpec::new("visible_to", Managed),
        FieldSpec::new("principal_sets", Managed),
    ])
    .grants_access()
    .semantics(&Entry);
/// One Search subject's document access.
pub const ENTRY: Kind = Kind::of(&ENTRY_DEF);

/// An index role: about its holder; owners are the index's last resort.
struct Role;

impl KindSemantics for Role {
    fn principal_of(&self, address: &Address) -> Option<Principal> {
        address.keys.last()?.parse().ok()
    }

    fn removal_reason(&self, _container: &crate::state::Container, a: &Address) -> Option<String> {
        let index = &a.keys[0];
        let short = match index.char_indices().nth(8) {
            Some((i, _)) => format!("{}…", &index[..i]),
            None => index.to_string(),
        };
        Some(format!(
            "not in policy; the roles of Search index {short} are authoritative"
        ))
    }

    fn last_holder(&self, o: &Object) -> Option<(Address, String)> {
        let k = &o.address.keys;
        (k.len() == 3 && k[1] == "owner").then(|| {
            (
                Address::partial(ROLE, [k[0].clone()]),
                format!("the last owner of Search index {}", k[0]),
            )
        })
    }

    fn access_phrase(&self, change: &Change, who: &str) -> Option<String> {
        let k = &change.address.keys;
        Some(format!("{who}: {} of {}", k[1], k[0]))
    }

    fn access_on<'a>(&self, address: &'a Address) -> Option<(&'a str, On<'a>)> {
        super::access::role_access_on(address)
    }

    fn grant<'a>(&self, o: &'a Object) -> Option<GrantSpec<'a>> {
        super::access::role_grant(o)
    }

    fn escalates(&self, _change: &Change) -> Option<bool> {
        Some(true)
    }
}

/// A subject's access: principals in its values; a subject missing from the index is refused.
struct Entry;

impl KindSemantics for Entry {
    fn principals_in_values(&self) -> bool {
        true
    }

    fn access_resource<'a>(&self, address: &'a Address) -> Option<On<'a>> {
        super::access::entry_resource(address)
    }

    fn grants<'a>(&self, o: &'a Object, each: &mut dyn FnMut(GrantSpec<'a>)) {
        super::access::entry_grants(o, each)
    }

    fn refused(&self, live: &Object) -> Option<String> {
        (live.str_attr("status") == Some("missing")).then(|| {
            "the subject is not in the index; accord manages access, not content: ingest it first"
                .into()
        })
    }

    fn access_phrase(&self, change: &Change, _who: &str) -> Option<String> {
        let fields: Vec<&str> = change.fields.iter().map(|f| f.name.as_str()).collect();
        let k = &change.address.keys;
        Some(format!(
            "{} in {}: {}",
            k[1],
            short_key(&format!("index:{}", k[0])),
            fields.join(", ")
        ))
    }

    /// A document opened to everyone.
    fn escalates(&self, change: &Change) -> Option<bool> {
        let everyone = |o: Option<&Object>| {
            o.and_then(|o| o.attrs.get("visible_to"))
                .and_then(|v| v.as_array())
                .is_some_and(|a| {
                    a.iter().any(|p| {
                        p.as_str()
                            .and_then(|s| s.parse::<Principal>().ok())
                            .is_some_and(|p| p.is_public())
                    })
                })
        };
        Some(everyone(change.after.as_ref()) && !everyone(change.before.as_ref()))
    }
}
