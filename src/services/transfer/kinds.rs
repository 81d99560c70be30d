//! Globus Transfer's kinds: an access rule on a collection, and a directory that must exist.

use crate::state::access::{
    Escalation, GrantSpec, On, ResourceDef, ResourceSemantics, ResourceType, short_id,
};
use crate::state::kind::{FieldMode::*, FieldSpec, KindDef, KindSemantics};
use crate::state::{Address, Change, Container, Kind, Object, Principal};

/// A Transfer ACL rule on a collection: `transfer.acl[collection][path][principal]`.
pub static ACL_DEF: KindDef = KindDef::new("transfer.acl", 200, 3)
    .fields(&[
        FieldSpec::access("permissions", &["r", "rw"]),
        FieldSpec::new("expires", Managed),
        FieldSpec::new("notify_email", WriteOnly),
        FieldSpec::new("notify_message", WriteOnly),
        FieldSpec::new("create_time", Computed),
    ])
    .grants_access()
    .semantics(&Acl);
/// A Transfer ACL rule on a collection.
pub const ACL: Kind = Kind::of(&ACL_DEF);

/// A directory that must exist on a collection (Transfer mkdir), before the rules and roles
/// that point at it.
pub static DIRECTORY_DEF: KindDef = KindDef::new("transfer.directory", 201, 2).depth(2);
/// A directory that must exist on a collection.
pub const DIRECTORY: Kind = Kind::of(&DIRECTORY_DEF);

/// A path on a collection (`transfer:<collection>:<path>`), which a rule grants `r` or `rw`
/// on. The collection is a UUID, so the first `:` after it ends it.
pub static PATH_DEF: ResourceDef = ResourceDef::new("transfer", 200, 2)
    .escalations(&[("rw", Escalation::NewRw)])
    .forms(&["transfer:<collection>:/path/ (a rule on /a/ covers /a/b/c)"])
    .semantics(&CollectionPath);
/// A path on a collection.
pub const PATH: ResourceType = ResourceType::of(&PATH_DEF);

/// A path reads `<collection, shortened> <path>`, and starts with `/`.
struct CollectionPath;

impl ResourceSemantics for CollectionPath {
    fn label(&self, parts: &[String]) -> String {
        format!("{} {}", short_id(&parts[0]), parts[1])
    }

    fn valid(&self, parts: &[String]) -> bool {
        parts[1].starts_with('/')
    }

    /// A rule on `/a/` is access to `/a/`, `/a` and everything under it, on its collection.
    fn covers(&self, granted: &[String], asked: &[String]) -> bool {
        let (dir, path) = (&granted[1], &asked[1]);
        granted[0] == asked[0]
            && (path.starts_with(dir.as_str()) || dir.strip_suffix('/').is_some_and(|d| d == path))
    }
}

/// The first 8 characters of a long key, for people.
fn short(s: &str) -> String {
    match s.char_indices().nth(8) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// A rule: about its grantee, on its path.
struct Acl;

impl KindSemantics for Acl {
    /// Transfer stamps each rule with its creation time.
    fn granted_since<'a>(&self, o: &'a Object) -> Option<&'a str> {
        o.str_attr("create_time")
    }

    fn principal_of(&self, address: &Address) -> Option<Principal> {
        address.keys.last()?.parse().ok()
    }

    fn path_key(&self) -> Option<usize> {
        Some(1)
    }

    fn removal_reason(&self, container: &Container, _address: &Address) -> Option<String> {
        let collection = short(&container.address.keys[0]);
        let scope = if container.manage_paths.is_empty() {
            format!("the ACL of {collection}")
        } else {
            format!("{} on {collection}", container.manage_paths.join(", "))
        };
        Some(format!("not in policy; {scope} is authoritative"))
    }

    fn kept_label(&self, change: &Change, who: &str) -> Option<String> {
        let k = &change.address.keys;
        Some(format!("{who} on {} {}", k[0], k[1]))
    }

    fn access_phrase(&self, change: &Change, who: &str) -> Option<String> {
        let obj = change.after.as_ref().or(change.before.as_ref());
        let perm = obj.and_then(|o| o.str_attr("permissions")).unwrap_or("r");
        Some(format!("{who} {perm} {}", change.address.keys[1]))
    }

    fn escalates(&self, change: &Change) -> Option<bool> {
        Some(change.names_everyone() || change.rose_to("permissions", &["rw"]))
    }

    fn label(
        &self,
        address: &Address,
        key: &dyn Fn(usize) -> String,
        _principal: &dyn Fn(usize) -> String,
        permissions: Option<&str>,
    ) -> Option<String> {
        (address.keys.len() == 3).then(|| {
            let mut s = format!("{} {} {}", key(0), address.keys[1], key(2));
            if let Some(p) = permissions {
                s.push_str(&format!(" ({p})"));
            }
            s
        })
    }

    fn in_label(&self, field: &str) -> bool {
        field == "permissions"
    }

    fn access_on<'a>(&self, address: &'a Address) -> Option<(&'a str, On<'a>)> {
        let k = &address.keys;
        (k.len() == 3).then(|| (k[2].as_str(), On::new(PATH, &k[..2])))
    }

    fn grant<'a>(&self, o: &'a Object) -> Option<GrantSpec<'a>> {
        let (principal, on) = self.access_on(&o.address)?;
        Some(GrantSpec::in_field(principal, on, "permissions", "r"))
    }
}
