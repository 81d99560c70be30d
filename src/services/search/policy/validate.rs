//! Merging and checking `search:` (see `policy::validate`).
use std::collections::BTreeMap;

use serde_saphyr::Spanned;

use super::ast::Search;
use super::model::{SearchDocumentPolicy, SearchIndexPolicy, SearchRoleGrant};
use crate::policy::diagnostics::codes;
use crate::policy::principal::PrincipalContext;
use crate::policy::validate::Checker;
use crate::policy::{FileSection, Located, Ownership, PrincipalRef, values};

/// An index's roles: identities and groups.
pub const SEARCH_ROLE: PrincipalContext = PrincipalContext {
    place: "in a Search index role",
    groups: true,
    specials: &[],
    no_groups: "",
};

/// A document's `visible_to` and principal sets: `public` and `all_authenticated_users` too.
pub const SEARCH_DOCUMENT: PrincipalContext = PrincipalContext {
    place: "in a Search document",
    groups: true,
    specials: &[PrincipalRef::AllAuthenticatedUsers, PrincipalRef::Public],
    no_groups: "",
};

const SEARCH_ROLES: [&str; 3] = ["owner", "admin", "writer"];

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

impl Check<'_, '_> {
    pub(crate) fn search(
        &mut self,
        sections: &[FileSection<'_>],
    ) -> BTreeMap<String, SearchIndexPolicy> {
        let mut out: BTreeMap<String, SearchIndexPolicy> = BTreeMap::new();
        for (file, search) in values::<Option<Spanned<Search>>>(sections) {
            let Some(search) = search else { continue };
            for (k, idx) in search.value.indexes.iter() {
                let Some(id) = self.uuid(file, k, "Search index id") else {
                    continue;
                };
                let at = self.at(file, k);
                let key = format!("search.index.{id}");
                let what = format!("Search index `{id}`");
                let mut roles = Vec::new();
                if let Some(r) = &idx.roles {
                    roles = self.roles(
                        file,
                        &key,
                        &what,
                        &r.value,
                        &SEARCH_ROLES,
                        "Search role",
                        &SEARCH_ROLE,
                    );
                }
                self.mode(file, &idx.mode, &key);
                let mode = self.lowered_mode(file, &idx.mode);
                let index = out
                    .entry(id.to_string())
                    .or_insert_with(|| SearchIndexPolicy {
                        id,
                        origin: at,
                        manage_roles: false,
                        roles: Vec::new(),
                        documents: BTreeMap::new(),
                        ownership: Ownership::default(),
                    });
                index.manage_roles |= idx.roles.is_some();
                index.roles.extend(
                    roles
                        .into_iter()
                        .map(|(role, principal)| SearchRoleGrant { role, principal }),
                );
                if mode.is_some() {
                    index.ownership.mode = mode;
                }
                for (subject, doc) in idx.documents.iter() {
                    let so = self.at(file, subject);
                    if subject.value.is_empty() {
                        let d = self
                            .diag(
                                codes::INVALID_VALUE,
                                &so,
                                "a Search subject cannot be empty",
                            )
                            .with_label("empty subject");
                        self.emit(d);
                        continue;
                    }
                    let dkey = format!("{key}.document.{}", subject.value);
                    let dwhat = format!("document `{}` of {what}", subject.value);
                    let document =
                        index
                            .documents
                            .entry(subject.value.clone())
                            .or_insert_with(|| SearchDocumentPolicy {
                                subject: subject.value.clone(),
                                origin: so.clone(),
                                visible_to: None,
                                principal_sets: None,
                            });
                    if let Some(v) = &doc.visible_to {
                        let o = self.at(file, v);
                        if self.claim(
                            format!("{dkey}.visible_to"),
                            &o,
                            &format!("`visible_to` of {dwhat}"),
                        ) {
                            let list = self.principal_list(
                                file,
                                &format!("{dkey}.visible_to"),
                                &format!("`visible_to` of {dwhat}"),
                                &v.value,
                                &SEARCH_DOCUMENT,
                            );
                            document.visible_to = Some(Located {
                                value: list,
                                origin: o,
                            });
                        }
                    }
                    if let Some(sets) = &doc.principal_sets {
                        // `principal_sets: {}` manages the sets too: there are none.
                        document.principal_sets.get_or_insert_with(|| Located {
                            value: BTreeMap::new(),
                            origin: so.clone(),
                        });
                        for (set, members) in sets.iter() {
                            let o = self.at(file, set);
                            let skey = format!("{dkey}.principal_sets.{}", set.value);
                            let swhat = format!("principal set `{}` of {dwhat}", set.value);
                            if self.claim(skey.clone(), &o, &swhat) {
                                let list = self.principal_list(
                                    file,
                                    &skey,
                                    &swhat,
                                    &members.value,
                                    &SEARCH_DOCUMENT,
                                );
                                document
                                    .principal_sets
                                    .get_or_insert_with(|| Located {
                                        value: BTreeMap::new(),
                                        origin: o,
                                    })
                                    .value
                                    .insert(set.value.clone(), list);
                            }
                        }
                    }
                }
            }
        }
        out
    }
}
