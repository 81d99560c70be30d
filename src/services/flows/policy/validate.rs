//! Merging and checking `flows:` (see `policy::validate`): flow ids are UUIDs, each list is
//! written once across files, and each principal is one Flows takes in that list.

use std::collections::BTreeMap;

use serde_saphyr::Spanned;

use super::ast::Flows;
use super::model::FlowPolicy;
use crate::policy::diagnostics::codes;
use crate::policy::principal::{PrincipalContext, classify_literal};
use crate::policy::validate::Checker;
use crate::policy::{FileSection, Located, PrincipalRef, values};

/// Administrators and the run lists: identities and groups only.
const PEOPLE: PrincipalContext = PrincipalContext {
    place: "in a flow's role list",
    groups: true,
    specials: &[],
    no_groups: "",
};

/// `flow_starters`: `all_authenticated_users` too.
const STARTERS: PrincipalContext = PrincipalContext {
    place: "in a flow's `flow_starters`",
    groups: true,
    specials: &[PrincipalRef::AllAuthenticatedUsers],
    no_groups: "",
};

/// `flow_viewers`: `public` too.
const VIEWERS: PrincipalContext = PrincipalContext {
    place: "in a flow's `flow_viewers`",
    groups: true,
    specials: &[PrincipalRef::Public],
    no_groups: "",
};

/// The principals a list takes.
fn context(list: &str) -> &'static PrincipalContext {
    match list {
        "flow_starters" => &STARTERS,
        "flow_viewers" => &VIEWERS,
        _ => &PEOPLE,
    }
}

/// Where a special principal is allowed among a flow's lists, for the diagnostic.
fn special_help(p: &PrincipalRef) -> &'static str {
    match p {
        PrincipalRef::AllAuthenticatedUsers => {
            "Flows takes `all_authenticated_users` only in `flow_starters`; the other lists hold identities and groups"
        }
        PrincipalRef::Public => {
            "Flows takes `public` only in `flow_viewers`; the other lists hold identities and groups"
        }
        _ => {
            "Flows has no `anonymous`: `public` (in `flow_viewers`) lets anyone see a flow, `all_authenticated_users` (in `flow_starters`) lets anyone signed in start it"
        }
    }
}

/// The checks of this section, with the core's [`Checker`] toolkit at hand.
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
    /// Every file's `flows:`, merged by flow id; a list written twice is reported at its
    /// second place.
    pub(crate) fn flows(&mut self, sections: &[FileSection<'_>]) -> BTreeMap<String, FlowPolicy> {
        let mut out: BTreeMap<String, FlowPolicy> = BTreeMap::new();
        for (file, flows) in values::<Option<Spanned<Flows>>>(sections) {
            let Some(flows) = flows else { continue };
            for (k, roles) in flows.value.iter() {
                let Some(id) = self.uuid(file, k, "flow id") else {
                    continue;
                };
                let at = self.at(file, k);
                let key = format!("flows.{id}");
                let flow = out.entry(id.to_string()).or_insert_with(|| FlowPolicy {
                    id,
                    origin: at,
                    lists: BTreeMap::new(),
                });
                for (list, written) in roles.lists() {
                    let Some(written) = written else { continue };
                    let o = self.at(file, written);
                    let what = format!("`{list}` of flow `{id}`");
                    if !self.claim(format!("{key}.{list}"), &o, &what) {
                        continue;
                    }
                    let allowed = self.specials_allowed(file, list, &what, &written.value);
                    let principals = self.principal_list(
                        file,
                        &format!("{key}.{list}"),
                        &what,
                        &allowed,
                        context(list),
                    );
                    flow.lists.insert(
                        list,
                        Located {
                            value: principals,
                            origin: o,
                        },
                    );
                }
            }
        }
        out
    }

    /// The entries of a list without the special principals Flows refuses there, each
    /// reported with where Flows takes it (the core's help names the first service taking
    /// it, which may not be Flows).
    fn specials_allowed(
        &mut self,
        file: usize,
        list: &str,
        what: &str,
        entries: &[Spanned<String>],
    ) -> Vec<Spanned<String>> {
        let ctx = context(list);
        let mut out = Vec::with_capacity(entries.len());
        for e in entries {
            let special = match classify_literal(&e.value) {
                Some(Ok(
                    p @ (PrincipalRef::Public
                    | PrincipalRef::AllAuthenticatedUsers
                    | PrincipalRef::Anonymous),
                )) if !ctx.specials.contains(&p) => p,
                _ => {
                    out.push(e.clone());
                    continue;
                }
            };
            let o = self.at(file, e);
            let d = self
                .diag(
                    codes::BAD_PRINCIPAL,
                    &o,
                    format!("`{}` is not allowed in {what}", e.value),
                )
                .with_label("not allowed here")
                .with_help(special_help(&special));
            self.emit(d);
        }
        out
    }
}
