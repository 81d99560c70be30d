//! Merging and checking `groups:` (see `policy::validate`).
use std::collections::{BTreeMap, HashMap};

use serde_saphyr::Spanned;
use uuid::Uuid;

use super::ast::{self, Group, MemberValue};
use super::model::{GroupPolicies, GroupPolicy, GroupRole, MemberGrant};
use crate::policy::ast::SpannedMap;
use crate::policy::diagnostics::codes;
use crate::policy::principal::PrincipalContext;
use crate::policy::validate::{Checker, range};
use crate::policy::{FileSection, Located, Origin, Ownership, values};

/// A group's members: identities only.
pub const GROUP_MEMBER: PrincipalContext = PrincipalContext {
    place: "as a group member",
    groups: false,
    specials: &[],
    no_groups: "Globus groups hold identities only: list the group's members instead",
};
/// Parses a Globus group role.
pub fn parse_role(s: &str) -> Option<GroupRole> {
    match s {
        "member" => Some(GroupRole::Member),
        "manager" => Some(GroupRole::Manager),
        "admin" => Some(GroupRole::Admin),
        _ => None,
    }
}

const GROUP_VISIBILITY: [&str; 2] = ["authenticated", "private"];
const GROUP_MEMBERS_VISIBILITY: [&str; 2] = ["members", "managers"];
const SIGNUP_FIELDS: [&str; 12] = [
    "institution",
    "current_project_name",
    "address",
    "city",
    "state",
    "country",
    "address1",
    "address2",
    "zip",
    "phone",
    "department",
    "field_of_science",
];
const GROUP_POLICY_KEYS: [&str; 6] = [
    "group_visibility",
    "group_members_visibility",
    "join_requests",
    "signup_fields",
    "authentication_assurance_timeout",
    "is_high_assurance",
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

impl Check<'_, '_> {
    // ---------------------------------------------------------------- groups

    pub(crate) fn groups(&mut self, sections: &[FileSection<'_>]) -> BTreeMap<String, GroupPolicy> {
        let mut out: BTreeMap<String, GroupPolicy> = BTreeMap::new();
        let mut pins: HashMap<Uuid, (String, Origin)> = HashMap::new();
        for (file, groups) in values::<SpannedMap<Group>>(sections) {
            for (k, g) in groups.iter() {
                let name = k.value.clone();
                let key_at = self.at(file, k);
                let key = format!("groups.{name}");
                if !out.contains_key(&name) {
                    self.group_name(&name, &key_at, "group");
                }
                let mut gp = out.remove(&name).unwrap_or_else(|| GroupPolicy {
                    name: name.clone(),
                    origin: key_at.clone(),
                    id: None,
                    absent: false,
                    description: None,
                    policies: None,
                    members: Vec::new(),
                    previously: Vec::new(),
                    ownership: Ownership::default(),
                });
                self.group_part(file, &key, g, &mut gp, &mut pins);
                out.insert(name, gp);
            }
        }
        // Tombstones with content: checked once every file has been merged.
        for gp in out.values() {
            if !gp.absent {
                continue;
            }
            let Some(at) = self.group_absent_at(&gp.name).cloned() else {
                continue;
            };
            let mut content: Vec<(Origin, &str)> = gp
                .members
                .iter()
                .map(|m| (m.origin.clone(), "members"))
                .collect();
            if let Some(d) = &gp.description {
                content.push((d.origin.clone(), "a description"));
            }
            if let Some(p) = &gp.policies {
                content.push((p.origin.clone(), "policies"));
            }
            if let Some((o, what)) = content.first() {
                let d = self
                    .diag(codes::ABSENT_WITH_CONTENT, o, format!("group `{}` is marked `absent: true` but also declares {what}", gp.name))
                    .with_label("content of a deleted group")
                    .also_at(self.files, &at, "marked absent here")
                    .with_help("a tombstone deletes the group: remove its members, description and policies, or remove `absent: true`");
                self.emit(d);
            }
        }
        out
    }

    pub(crate) fn group_name(&mut self, name: &str, at: &Origin, what: &str) {
        if name.trim().is_empty() {
            let d = self
                .diag(codes::BAD_GROUP_NAME, at, format!("{what} name is empty"))
                .with_label("empty name");
            self.emit(d);
        } else if Uuid::parse_str(name).is_ok() {
            let d = self
                .diag(codes::BAD_GROUP_NAME, at, format!("{what} name `{name}` is a UUID"))
                .with_label("a managed group's name cannot be a UUID")
                .with_help("`group:<uuid>` would be ambiguous: give the group a name and pin its UUID with `id:`");
            self.emit(d);
        }
    }

    pub(crate) fn group_part(
        &mut self,
        file: usize,
        key: &str,
        g: &ast::Group,
        gp: &mut GroupPolicy,
        pins: &mut HashMap<Uuid, (String, Origin)>,
    ) {
        let name = gp.name.clone();
        let gdesc = format!("group `{name}`");
        if let Some(id) = &g.id {
            let o = self.at(file, id);
            if self.claim(format!("{key}.id"), &o, &format!("`id` of {gdesc}"))
                && let Some(u) = self.uuid(file, id, "group id")
            {
                if let Some((other, other_at)) = pins.get(&u).cloned() {
                    let d = self
                        .diag(
                            codes::DEFINED_TWICE,
                            &o,
                            format!("groups `{other}` and `{name}` are pinned to the same id"),
                        )
                        .with_label("same id again")
                        .also_at(self.files, &other_at, "first pinned here")
                        .with_help("each managed group has its own id: fix or remove one pin");
                    self.emit(d);
                } else {
                    pins.insert(u, (name.clone(), o.clone()));
                }
                gp.id = Some(Located {
                    value: u,
                    origin: o,
                });
            }
        }
        if let Some(a) = &g.absent {
            let o = self.at(file, a);
            if self.claim(format!("{key}.absent"), &o, &format!("`absent` of {gdesc}")) {
                gp.absent = a.value;
            }
        }
        if let Some(d) = &g.description {
            let o = self.at(file, d);
            if self.claim(
                format!("{key}.description"),
                &o,
                &format!("`description` of {gdesc}"),
            ) {
                gp.description = Some(Located {
                    value: d.value.clone(),
                    origin: o,
                });
            }
        }
        if let Some(p) = &g.policies {
            self.group_policies(file, key, &gdesc, p, gp);
        }
        for (mk, mv) in g.members.iter() {
            let o = self.at(file, mk);
            if !self.claim(
                format!("{key}.members.{}", mk.value),
                &o,
                &format!("member `{}` of {gdesc}", mk.value),
            ) {
                continue;
            }
            let principal = self.principal(file, mk, &GROUP_MEMBER);
            let (role_s, expires) = match &mv.value {
                MemberValue::Role(r) => (Spanned::new(r.clone(), mv.referenced, mv.defined), None),
                MemberValue::Long(l) => (l.role.clone(), l.expires.as_ref()),
            };
            let role_ok = self.one_of(
                file,
                &role_s,
                &["member", "manager", "admin"],
                codes::INVALID_ROLE,
                "group role",
            );
            let expires = match expires {
                Some(e) => match self.timestamp(file, e, "expiry") {
                    Some(t) => Some(t),
                    None => continue,
                },
                None => None,
            };
            let (Some(principal), true) = (principal, role_ok) else {
                continue;
            };
            if !self.same_person(key, &mk.value, &principal) {
                continue;
            }
            gp.members.push(MemberGrant {
                principal,
                role: parse_role(&role_s.value).expect("checked by one_of"),
                expires,
                origin: o,
            });
        }
        if let Some(prev) = &g.previously {
            for p in prev {
                let o = self.at(file, p);
                if !self.claim(
                    format!("{key}.previously.{}", p.value),
                    &o,
                    &format!("former name `{}` of {gdesc}", p.value),
                ) {
                    continue;
                }
                if p.value == name {
                    let d = self
                        .diag(
                            codes::BAD_GROUP_NAME,
                            &o,
                            format!("`previously` of {gdesc} lists its current name"),
                        )
                        .with_label("the current name")
                        .with_help("`previously` lists former names only");
                    self.emit(d);
                    continue;
                }
                if self.is_managed_group(&p.value) {
                    let d = self
                        .diag(codes::BAD_GROUP_NAME, &o, format!("former name `{}` of {gdesc} is also a declared group", p.value))
                        .with_label("declared group")
                        .with_help("a rename moves a group to a new name: remove the old entry, or this line");
                    self.emit(d);
                    continue;
                }
                self.group_name(&p.value, &o, "former group");
                gp.previously.push(Located {
                    value: p.value.clone(),
                    origin: o,
                });
            }
        }
        if let Some(m) = self.mode(file, &g.mode, key) {
            gp.ownership.mode = Some(m);
        }
        if let Some(p) = &g.prevent_destroy {
            let o = self.at(file, p);
            if self.claim(
                format!("{key}.prevent_destroy"),
                &o,
                &format!("`prevent_destroy` of {gdesc}"),
            ) {
                gp.ownership.prevent_destroy = Some(p.value);
            }
        }
        if let Some(ic) = &g.ignore_changes {
            for f in ic {
                let o = self.at(file, f);
                if !self.claim(
                    format!("{key}.ignore_changes.{}", f.value),
                    &o,
                    &format!("`ignore_changes` entry `{}` of {gdesc}", f.value),
                ) {
                    continue;
                }
                let ok = f.value == "description"
                    || f.value == "policies"
                    || f.value
                        .strip_prefix("policies.")
                        .is_some_and(|k| GROUP_POLICY_KEYS.contains(&k));
                if ok {
                    gp.ownership.ignore_changes.push(Located {
                        value: f.value.clone(),
                        origin: o,
                    });
                } else {
                    let d = self
                        .diag(codes::INVALID_VALUE, &o, format!("`ignore_changes` entry `{}` is not a group field", f.value))
                        .with_label("unknown field")
                        .with_help("a group's fields are `description`, `policies` and `policies.<key>` (e.g. `policies.join_requests`)");
                    self.emit(d);
                }
            }
        }
    }

    pub(crate) fn group_policies(
        &mut self,
        file: usize,
        key: &str,
        gdesc: &str,
        p: &Spanned<ast::GroupPolicies>,
        gp: &mut GroupPolicy,
    ) {
        let po = self.at(file, p);
        let mut acc = gp.policies.take().unwrap_or(Located {
            value: GroupPolicies::default(),
            origin: po.clone(),
        });
        let v = &p.value;
        macro_rules! leaf {
            ($field:ident) => {
                v.$field.as_ref().and_then(|s| {
                    let o = self.at(file, s);
                    let k = format!("{key}.policies.{}", stringify!($field));
                    self.claim(
                        k,
                        &o,
                        &format!("`policies.{}` of {gdesc}", stringify!($field)),
                    )
                    .then_some(s)
                })
            };
        }
        if let Some(s) = leaf!(group_visibility)
            && self.one_of(
                file,
                s,
                &GROUP_VISIBILITY,
                codes::INVALID_VALUE,
                "group_visibility",
            )
        {
            acc.value.group_visibility = Some(s.value.clone());
        }
        if let Some(s) = leaf!(group_members_visibility)
            && self.one_of(
                file,
                s,
                &GROUP_MEMBERS_VISIBILITY,
                codes::INVALID_VALUE,
                "group_members_visibility",
            )
        {
            acc.value.group_members_visibility = Some(s.value.clone());
        }
        if let Some(s) = leaf!(join_requests) {
            acc.value.join_requests = Some(s.value);
        }
        if let Some(s) = leaf!(is_high_assurance) {
            acc.value.is_high_assurance = Some(s.value);
        }
        if let Some(s) = leaf!(authentication_assurance_timeout) {
            let help = "give the timeout in seconds (Globus defaults to 28800)";
            let what = "authentication_assurance_timeout";
            if self.in_range(file, s, what, range::UINT32, Some(help)) {
                acc.value.authentication_assurance_timeout = Some(s.value);
            }
        }
        if let Some(fields) = &v.signup_fields {
            let o = fields
                .first()
                .map_or_else(|| po.clone(), |f| self.at(file, f));
            if self.claim(
                format!("{key}.policies.signup_fields"),
                &o,
                &format!("`policies.signup_fields` of {gdesc}"),
            ) {
                let mut ok = Vec::new();
                for f in fields {
                    if self.one_of(
                        file,
                        f,
                        &SIGNUP_FIELDS,
                        codes::INVALID_VALUE,
                        "signup field",
                    ) {
                        ok.push(f.value.clone());
                    }
                }
                acc.value.signup_fields = Some(ok);
            }
        }
        gp.policies = Some(acc);
    }
}
