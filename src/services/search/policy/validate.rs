//! Merging and checking `search:` (see `policy::validate`).
use std::collections::BTreeMap;

use super::model::{SearchDocumentPolicy, SearchIndexPolicy, SearchRoleGrant};
use crate::policy::diagnostics::codes;
use crate::policy::principal::PrincipalContext;
use crate::policy::validate::{Checker, Parsed};
use crate::policy::{Located, Ownership, ast as policy_ast};
const SEARCH_ROLES: [&str; 3] = ["owner", "admin", "writer"];

impl Checker<'_> {
    pub(crate) fn search(
        &mut self,
        files: &[Parsed<'_, policy_ast::PolicyFile>],
    ) -> BTreeMap<String, SearchIndexPolicy> {
        let mut out: BTreeMap<String, SearchIndexPolicy> = BTreeMap::new();
        for &(file, pf) in files {
            let Some(search) = &pf.search else { continue };
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
                        PrincipalContext::SearchRole,
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
                                PrincipalContext::SearchDocument,
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
                                    PrincipalContext::SearchDocument,
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
