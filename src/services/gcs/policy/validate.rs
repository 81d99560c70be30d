//! Merging and checking `collections:` (see `policy::validate`).
use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_saphyr::Spanned;
use uuid::Uuid;

use super::ast::{self, Collection};
use super::model::{CollectionPolicy, CollectionRole, RoleGrant};
use crate::policy::ast::SpannedMap;
use crate::policy::diagnostics::codes;
use crate::policy::principal::PrincipalContext;
use crate::policy::validate::{Checker, join_and};
use crate::policy::{FileSection, Located, Origin, Ownership, values};
use crate::services::transfer::policy::validate::{Check as Rules, segment_problem};

/// A guest collection's roles: identities and groups.
pub const COLLECTION_ROLE: PrincipalContext = PrincipalContext {
    place: "in a collection role",
    groups: true,
    specials: &[],
    no_groups: "",
};

/// A GCS base path: absolute, no `.`/`..` segments; the trailing `/` is optional.
pub fn base_path_problem(p: &str) -> Option<(String, String)> {
    if let Some(problem) = segment_problem(p) {
        return Some(problem);
    }
    if !p.starts_with('/') {
        return Some((
            format!("base path `{p}` is relative; it is absolute within the mapped collection"),
            format!("write `/{p}`"),
        ));
    }
    None
}
const COLLECTION_ROLES: [&str; 4] = [
    "administrator",
    "access_manager",
    "activity_manager",
    "activity_monitor",
];

/// The checks of this section, with the core's [`Checker`] toolkit at hand (`self.claim`, …).
pub(crate) struct Check<'c, 'a>(pub(crate) &'c mut Checker<'a>);

impl<'a> std::ops::Deref for Check<'_, 'a> {
    type Target = Checker<'a>;
    fn deref(&self) -> &Checker<'a> {
        self.0
    }
}

impl std::ops::DerefMut for Check<'_, '_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        self.0
    }
}

impl<'a> Check<'_, 'a> {
    /// Transfer's checks of the rules and directories a guest collection holds.
    fn rules(&mut self) -> Rules<'_, 'a> {
        Rules(self.0)
    }
}

impl Check<'_, '_> {
    pub(crate) fn collection_name(&mut self, name: &str, at: &Origin) {
        if name.trim().is_empty() {
            let d = self
                .diag(codes::BAD_COLLECTION_NAME, at, "collection name is empty")
                .with_label("empty name");
            self.emit(d);
        } else if Uuid::parse_str(name).is_ok() {
            let d = self
                .diag(codes::BAD_COLLECTION_NAME, at, format!("collection name `{name}` is a UUID"))
                .with_label("a guest collection's policy name cannot be a UUID")
                .with_help("rules and directories key a guest collection by its policy name and other collections by UUID: give it a name, and pin its UUID with `id:`");
            self.emit(d);
        }
    }

    pub(crate) fn collections(
        &mut self,
        sections: &[FileSection<'_>],
    ) -> BTreeMap<String, CollectionPolicy> {
        struct Acc {
            cp: CollectionPolicy,
            absent_at: Option<Origin>,
            /// The first thing written that a tombstone may not have.
            content: Option<Origin>,
            /// Required fields written (valid or not), to report only the really missing ones.
            written: BTreeSet<&'static str>,
        }
        let mut out: BTreeMap<String, Acc> = BTreeMap::new();
        let mut pins: HashMap<Uuid, (String, Origin)> = HashMap::new();
        for (file, collections) in values::<SpannedMap<Collection>>(sections) {
            for (k, c) in collections.iter() {
                let name = k.value.clone();
                let at = self.at(file, k);
                let key = format!("collections.{name}");
                let what = format!("collection `{name}`");
                if !out.contains_key(&name) {
                    self.collection_name(&name, &at);
                }
                let mut acc = out.remove(&name).unwrap_or_else(|| Acc {
                    cp: CollectionPolicy {
                        name: name.clone(),
                        origin: at.clone(),
                        id: None,
                        absent: false,
                        endpoint: None,
                        mapped_collection: None,
                        storage_gateway: None,
                        base_path: None,
                        display_name: None,
                        public: None,
                        local_username: None,
                        document: BTreeMap::new(),
                        roles: Vec::new(),
                        directories: Vec::new(),
                        acl: Vec::new(),
                        ownership: Ownership::default(),
                    },
                    absent_at: None,
                    content: None,
                    written: BTreeSet::new(),
                });
                self.collection_part(
                    file,
                    &key,
                    &what,
                    c,
                    &mut acc.cp,
                    &mut pins,
                    &mut acc.written,
                    &mut acc.content,
                );
                if let Some(s) = &c.absent
                    && let Some(o) = self.leaf(file, &key, &what, "absent", s)
                {
                    acc.cp.absent = s.value;
                    if s.value {
                        acc.absent_at = Some(o);
                    }
                }
                out.insert(name, acc);
            }
        }
        let mut lowered = BTreeMap::new();
        for (name, acc) in out {
            let need = |fields: &[&'static str]| -> Vec<&'static str> {
                fields
                    .iter()
                    .copied()
                    .filter(|f| !acc.written.contains(f))
                    .collect()
            };
            match (&acc.absent_at, &acc.content) {
                (Some(a), Some(c)) => {
                    let d = self
                        .diag(codes::ABSENT_WITH_CONTENT, c, format!("collection `{name}` is marked `absent: true` but also declares content"))
                        .with_label("content of a deleted collection")
                        .also_at(self.files, a, "marked absent here")
                        .with_help("a tombstone keeps only what finds the collection live: `endpoint`, and `id` or `mapped_collection` (and `display_name`)");
                    self.emit(d);
                }
                (Some(a), None) => {
                    let mut missing: Vec<&str> = need(&["endpoint"])
                        .into_iter()
                        .map(|_| "`endpoint`")
                        .collect();
                    if need(&["id", "mapped_collection"]).len() == 2 {
                        missing.push("either `id` or `mapped_collection`");
                    }
                    if !missing.is_empty() {
                        let list = missing.join(", and ");
                        let d = self
                            .diag(codes::MISSING, a, format!("tombstone of collection `{name}` lacks {list}"))
                            .with_label("cannot be found live")
                            .with_help("accord finds the collection to delete on `endpoint`, by its `id` pin or by `mapped_collection` and `display_name`");
                        self.emit(d);
                    }
                }
                (None, _) => {
                    let missing = need(&[
                        "endpoint",
                        "mapped_collection",
                        "storage_gateway",
                        "base_path",
                    ]);
                    if !missing.is_empty() {
                        let list = join_and(missing.iter().map(|m| format!("`{m}`")));
                        let d = self
                            .diag(codes::MISSING, &acc.cp.origin, format!("collection `{name}` lacks {list}"))
                            .with_label("incomplete collection")
                            .with_help("a guest collection needs `endpoint`, `mapped_collection`, `storage_gateway` and `base_path` (in any of its files)");
                        self.emit(d);
                    }
                }
            }
            lowered.insert(name, acc.cp);
        }
        lowered
    }

    /// One file's part of a collection, merged into `cp`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn collection_part(
        &mut self,
        file: usize,
        key: &str,
        what: &str,
        c: &ast::Collection,
        cp: &mut CollectionPolicy,
        pins: &mut HashMap<Uuid, (String, Origin)>,
        written: &mut BTreeSet<&'static str>,
        content: &mut Option<Origin>,
    ) {
        if let Some(id) = &c.id
            && let Some(o) = self.leaf(file, key, what, "id", id)
        {
            written.insert("id");
            if let Some(u) = self.uuid(file, id, "collection id") {
                if let Some((other, other_at)) = pins.get(&u).cloned() {
                    let d = self
                        .diag(
                            codes::DEFINED_TWICE,
                            &o,
                            format!(
                                "collections `{other}` and `{}` are pinned to the same id",
                                cp.name
                            ),
                        )
                        .with_label("same id again")
                        .also_at(self.files, &other_at, "first pinned here")
                        .with_help("each guest collection has its own id: fix or remove one pin");
                    self.emit(d);
                } else {
                    pins.insert(u, (cp.name.clone(), o.clone()));
                }
                cp.id = Some(Located {
                    value: u,
                    origin: o,
                });
            }
        }
        let uuids: [(&'static str, &Option<Spanned<String>>, &str, bool); 3] = [
            ("endpoint", &c.endpoint, "endpoint", false),
            (
                "mapped_collection",
                &c.mapped_collection,
                "mapped collection",
                false,
            ),
            (
                "storage_gateway",
                &c.storage_gateway,
                "storage gateway",
                true,
            ),
        ];
        for (field, v, label, is_content) in uuids {
            let Some(s) = v else { continue };
            let Some(o) = self.leaf(file, key, what, field, s) else {
                continue;
            };
            written.insert(field);
            if is_content {
                content.get_or_insert(o.clone());
            }
            if let Some(u) = self.uuid(file, s, label) {
                let l = Some(Located {
                    value: u,
                    origin: o,
                });
                match field {
                    "endpoint" => cp.endpoint = l,
                    "mapped_collection" => cp.mapped_collection = l,
                    _ => cp.storage_gateway = l,
                }
            }
        }
        if let Some(s) = &c.base_path
            && let Some(o) = self.leaf(file, key, what, "base_path", s)
        {
            written.insert("base_path");
            content.get_or_insert(o.clone());
            if let Some((msg, help)) = base_path_problem(&s.value) {
                let d = self
                    .diag(codes::BAD_PATH, &o, msg)
                    .with_label("not an absolute path")
                    .with_help(help);
                self.emit(d);
            } else if self.rules().no_placeholder(file, s, "base_path") {
                cp.base_path = Some(Located {
                    value: s.value.clone(),
                    origin: o,
                });
            }
        }
        if let Some(v) = self.text_leaf(file, key, what, "display_name", &c.display_name) {
            cp.display_name = Some(v);
        }
        if let Some(s) = &c.public
            && let Some(o) = self.leaf(file, key, what, "public", s)
        {
            content.get_or_insert(o.clone());
            cp.public = Some(Located {
                value: s.value,
                origin: o,
            });
        }
        if let Some(v) = self.text_leaf(file, key, what, "local_username", &c.local_username) {
            content.get_or_insert(v.origin.clone());
            cp.local_username = Some(v);
        }
        let texts = [
            ("description", &c.description),
            ("organization", &c.organization),
            ("department", &c.department),
            ("contact_email", &c.contact_email),
            ("contact_info", &c.contact_info),
            ("info_link", &c.info_link),
            ("user_message", &c.user_message),
            ("user_message_link", &c.user_message_link),
        ];
        for (field, v) in texts {
            let Some(l) = self.text_leaf(file, key, what, field, v) else {
                continue;
            };
            content.get_or_insert(l.origin.clone());
            if field == "contact_email" && !l.value.contains('@') {
                let d = self
                    .diag(
                        codes::INVALID_VALUE,
                        &l.origin,
                        format!("contact_email `{}` is not an email address", l.value),
                    )
                    .with_label("not an email address");
                self.emit(d);
                continue;
            }
            cp.document.insert(
                field.into(),
                Located {
                    value: l.value.into(),
                    origin: l.origin,
                },
            );
        }
        if let Some(s) = &c.default_directory
            && let Some(o) = self.leaf(file, key, what, "default_directory", s)
        {
            content.get_or_insert(o.clone());
            if self.rules().folder_path(file, s)
                && self.rules().no_placeholder(file, s, "default_directory")
            {
                cp.document.insert(
                    "default_directory".into(),
                    Located {
                        value: s.value.clone().into(),
                        origin: o,
                    },
                );
            }
        }
        let bools = [
            ("force_encryption", &c.force_encryption),
            ("disable_verify", &c.disable_verify),
            ("enable_https", &c.enable_https),
        ];
        for (field, v) in bools {
            let Some(s) = v else { continue };
            if let Some(o) = self.leaf(file, key, what, field, s) {
                content.get_or_insert(o.clone());
                cp.document.insert(
                    field.into(),
                    Located {
                        value: s.value.into(),
                        origin: o,
                    },
                );
            }
        }
        if let Some(list) = &c.keywords
            && let Some(first) = list.first()
            && let Some(o) = self.leaf(file, key, what, "keywords", first)
        {
            content.get_or_insert(o.clone());
            let mut words: Vec<String> = list.iter().map(|k| k.value.clone()).collect();
            words.sort();
            words.dedup();
            cp.document.insert(
                "keywords".into(),
                Located {
                    value: words.into(),
                    origin: o,
                },
            );
        }
        if let Some(s) = &c.prevent_destroy
            && self.leaf(file, key, what, "prevent_destroy", s).is_some()
        {
            cp.ownership.prevent_destroy = Some(s.value);
        }
        if let Some(m) = self.mode(file, &c.mode, key) {
            content.get_or_insert(m.origin.clone());
            cp.ownership.mode = Some(m);
        }
        if let Some(roles) = &c.roles {
            let grants = self.roles(
                file,
                key,
                what,
                &roles.value,
                &COLLECTION_ROLES,
                "collection role",
                &COLLECTION_ROLE,
            );
            if let Some((_, v)) = roles.value.0.iter().find(|(_, v)| !v.is_empty()) {
                content.get_or_insert(self.at(file, &v[0]));
            }
            for (role, principal) in grants {
                let role = CollectionRole::parse(&role).expect("checked by one_of");
                cp.roles.push(RoleGrant { role, principal });
            }
        }
        if let Some(d) = &c.directories {
            if let Some(first) = d.first() {
                content.get_or_insert(self.at(file, first));
            }
            let v = self.rules().directories(file, key, what, d);
            cp.directories.extend(v);
        }
        if let Some(a) = &c.acl {
            if let Some(first) = a.first() {
                content.get_or_insert(self.at(file, first));
            }
            let v = self.rules().acl(file, key, what, a);
            cp.acl.extend(v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::transfer::policy::validate::folder_path_problem;

    #[test]
    fn folder_paths() {
        assert!(folder_path_problem("/shared/").is_none());
        assert!(folder_path_problem("/").is_none());
        let (m, h) = folder_path_problem("shared/").unwrap();
        assert!(m.contains("relative"), "{m}");
        assert_eq!(h, "write `/shared/`");
        let (m, h) = folder_path_problem("/shared").unwrap();
        assert!(m.contains("does not end in `/`"), "{m}");
        assert_eq!(h, "write `/shared/`");
        assert!(folder_path_problem("/a/../b/").is_some());
        assert!(folder_path_problem("/a//b/").is_some());
        assert!(folder_path_problem("").is_some());
        assert!(base_path_problem("/lab").is_none());
        assert!(base_path_problem("lab").is_some());
    }
}
