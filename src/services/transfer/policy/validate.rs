//! Merging and checking `endpoints:`, and the ACL rules and directories guest collections
//! share (see `policy::validate`).
use std::collections::BTreeMap;

use serde_saphyr::Spanned;
use uuid::Uuid;

use super::ast::{self, DirectoryValue, Endpoint};
use super::model::{AclRule, Directory, EndpointPolicy, ID_PLACEHOLDER, Permissions};
use crate::policy::ast::SpannedMap;
use crate::policy::diagnostics::codes;
use crate::policy::principal::PrincipalContext;
use crate::policy::validate::Checker;
use crate::policy::{FileSection, Located, Ownership, PrincipalRef, values};

/// An ACL path outside the endpoint's `manage_paths`.
pub const OUTSIDE_MANAGE_PATHS: &str = "accord::policy::outside_manage_paths";

/// An ACL rule's principal: every kind, `anonymous` included.
pub const ACL_RULE: PrincipalContext = PrincipalContext {
    place: "in a Transfer ACL rule",
    groups: true,
    specials: &[PrincipalRef::AllAuthenticatedUsers, PrincipalRef::Anonymous],
    no_groups: "",
};

/// A directory's `for:`: identities only (`{id}` is one identity's UUID).
pub const DIRECTORY_FOR: PrincipalContext = PrincipalContext {
    place: "in a directory's `for:`",
    groups: false,
    specials: &[],
    no_groups: "`{id}` is replaced with one identity's UUID: list identities in `for:`",
};

/// What is wrong with a folder path (ACL path, directory, manage path), and the fix.
pub fn folder_path_problem(p: &str) -> Option<(String, String)> {
    if p.is_empty() {
        return Some((
            "the path is empty".into(),
            "write an absolute folder path such as `/shared/`".into(),
        ));
    }
    if let Some(problem) = segment_problem(p) {
        return Some(problem);
    }
    let fixed = {
        let mut f = String::new();
        if !p.starts_with('/') {
            f.push('/');
        }
        f.push_str(p);
        if !p.ends_with('/') {
            f.push('/');
        }
        f
    };
    if !p.starts_with('/') {
        Some((
            format!("path `{p}` is relative; paths are absolute from the collection's root"),
            format!("write `{fixed}`"),
        ))
    } else if !p.ends_with('/') {
        Some((
            format!("path `{p}` does not end in `/`; ACL rules and directories name folders"),
            format!("write `{fixed}`"),
        ))
    } else {
        None
    }
}
/// The first `{…}` placeholder of a path that is not `{id}` (or a stray brace), if any.
pub fn unknown_placeholder(p: &str) -> Option<String> {
    let rest = p.replace(ID_PLACEHOLDER, "\u{0}");
    let start = rest.find(['{', '}'])?;
    let tail = &rest[start..];
    let end = match tail.strip_prefix('{') {
        Some(inner) => inner.find(['}', '/']).map_or(tail.len(), |e| {
            if inner.as_bytes()[e] == b'}' {
                e + 2
            } else {
                e + 1
            }
        }),
        None => 1,
    };
    Some(tail[..end].replace('\u{0}', ID_PLACEHOLDER))
}

/// Whether a principal as written stands for one identity (aliases always do).
pub fn is_identity(p: &PrincipalRef) -> bool {
    matches!(
        p,
        PrincipalRef::Alias(_) | PrincipalRef::Username(_) | PrincipalRef::IdentityId(_)
    )
}

/// `.`/`..` segments and `//` would let two spellings name one folder (or escape it).
pub fn segment_problem(p: &str) -> Option<(String, String)> {
    let inner = p.trim_start_matches('/').trim_end_matches('/');
    if inner.is_empty() {
        return None;
    }
    if inner.split('/').any(|s| s == "." || s == "..") {
        return Some((
            format!("path `{p}` contains a `.` or `..` segment"),
            "write the folder's plain absolute path".into(),
        ));
    }
    if inner.contains("//") {
        return Some((
            format!("path `{p}` contains an empty segment (`//`)"),
            format!("write `{}`", p.replace("//", "/")),
        ));
    }
    None
}
/// Parses Transfer permissions.
pub fn parse_permissions(s: &str) -> Option<Permissions> {
    match s {
        "r" => Some(Permissions::Read),
        "rw" => Some(Permissions::ReadWrite),
        _ => None,
    }
}
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
    pub(crate) fn folder_path(&mut self, file: usize, s: &Spanned<String>) -> bool {
        match folder_path_problem(&s.value) {
            None => true,
            Some((msg, help)) => {
                let o = self.at(file, s);
                let d = self
                    .diag(codes::BAD_PATH, &o, msg)
                    .with_label("not an absolute folder path")
                    .with_help(help);
                self.emit(d);
                false
            }
        }
    }

    /// One ACL list: checks each rule and returns the valid ones.
    pub(crate) fn acl(
        &mut self,
        file: usize,
        key: &str,
        what: &str,
        rules: &[Spanned<ast::AclRule>],
    ) -> Vec<AclRule> {
        let mut out = Vec::new();
        for r in rules {
            let origin = self.at(file, r);
            let rule = &r.value;
            let po = self.at(file, &rule.path);
            let leaf = format!("{key}.acl[{}][{}]", rule.principal.value, rule.path.value);
            if !self.claim(
                leaf,
                &po,
                &format!(
                    "ACL rule for `{}` on `{}` of {what}",
                    rule.principal.value, rule.path.value
                ),
            ) {
                continue;
            }
            let principal = self.principal(file, &rule.principal, &ACL_RULE);
            let path_ok = self.folder_path(file, &rule.path);
            let perms_ok = self.one_of(
                file,
                &rule.permissions,
                &["r", "rw"],
                codes::INVALID_PERMISSIONS,
                "permissions",
            );
            let expires = rule
                .expires
                .as_ref()
                .map(|e| self.timestamp(file, e, "expiry"));
            if let Some(n) = &rule.notify_email
                && !n.value.contains('@')
            {
                let o = self.at(file, n);
                let d = self
                    .diag(
                        codes::INVALID_VALUE,
                        &o,
                        format!("notify_email `{}` is not an email address", n.value),
                    )
                    .with_label("not an email address");
                self.emit(d);
            }
            let path_ok = path_ok && self.known_placeholders(file, &rule.path);
            let (Some(principal), true, true) = (principal, path_ok, perms_ok) else {
                continue;
            };
            if matches!(expires, Some(None)) {
                continue;
            }
            if rule.path.value.contains(ID_PLACEHOLDER) && !is_identity(&principal.value) {
                let d = self
                    .diag(
                        codes::BAD_PLACEHOLDER,
                        &po,
                        format!(
                            "`{{id}}` in path `{}` needs an identity principal; `{}` is not one",
                            rule.path.value, rule.principal.value
                        ),
                    )
                    .with_label("`{id}` needs an identity")
                    .with_help("`{id}` is replaced with the rule principal's identity UUID: grant an identity (alias, username or UUID), or write the path without `{id}`");
                self.emit(d);
                continue;
            }
            // The same person twice on one path is one rule written twice.
            if !self.same_person(
                &format!("{key}.acl.{}", rule.path.value),
                &rule.principal.value,
                &principal,
            ) {
                continue;
            }
            out.push(AclRule {
                principal,
                path: Located {
                    value: rule.path.value.clone(),
                    origin: po,
                },
                permissions: parse_permissions(&rule.permissions.value).expect("checked by one_of"),
                expires: expires.flatten(),
                notify_email: rule.notify_email.as_ref().map(|n| n.value.clone()),
                origin,
            });
        }
        out
    }

    /// A list of folder paths (`manage_paths`): each claimed once and checked.
    pub(crate) fn folder_list(
        &mut self,
        file: usize,
        key: &str,
        what: &str,
        dirs: &[Spanned<String>],
        field: &str,
    ) -> Vec<Located<String>> {
        let mut out = Vec::new();
        for d in dirs {
            let o = self.at(file, d);
            if self.claim(
                format!("{key}.{field}.{}", d.value),
                &o,
                &format!("`{field}` entry `{}` of {what}", d.value),
            ) && self.folder_path(file, d)
                && self.no_placeholder(file, d, field)
            {
                out.push(Located {
                    value: d.value.clone(),
                    origin: o,
                });
            }
        }
        out
    }

    /// Reports a `{…}` placeholder other than `{id}`; `true` when there is none.
    pub(crate) fn known_placeholders(&mut self, file: usize, s: &Spanned<String>) -> bool {
        let Some(bad) = unknown_placeholder(&s.value) else {
            return true;
        };
        let o = self.at(file, s);
        let d = self
            .diag(
                codes::BAD_PLACEHOLDER,
                &o,
                format!("unknown placeholder `{bad}` in path `{}`", s.value),
            )
            .with_label("unknown placeholder")
            .with_help("the only placeholder is `{id}`: an identity's UUID, in ACL rule paths and in directories with `for:`");
        self.emit(d);
        false
    }

    /// Reports any placeholder where none is allowed; `true` when there is none.
    pub(crate) fn no_placeholder(&mut self, file: usize, s: &Spanned<String>, field: &str) -> bool {
        if !s.value.contains(ID_PLACEHOLDER) {
            return self.known_placeholders(file, s);
        }
        let o = self.at(file, s);
        let d = self
            .diag(
                codes::BAD_PLACEHOLDER,
                &o,
                format!("`{{id}}` is not allowed in `{field}`"),
            )
            .with_label("placeholder not allowed here")
            .with_help("`{id}` stands for an identity's UUID in ACL rule paths and in directories with `for:` only");
        self.emit(d);
        false
    }

    /// A `directories:` list: plain paths, or `{path, for}` with `{id}` in the path.
    pub(crate) fn directories(
        &mut self,
        file: usize,
        key: &str,
        what: &str,
        dirs: &[Spanned<DirectoryValue>],
    ) -> Vec<Directory> {
        let mut out = Vec::new();
        for d in dirs {
            let origin = self.at(file, d);
            let (path, fors) = match &d.value {
                DirectoryValue::Path(p) => (Spanned::new(p.clone(), d.referenced, d.defined), None),
                DirectoryValue::Long(l) => (l.path.clone(), l.for_principals.as_ref()),
            };
            let po = self.at(file, &path);
            if !self.claim(
                format!("{key}.directories.{}", path.value),
                &po,
                &format!("directory `{}` of {what}", path.value),
            ) || !self.folder_path(file, &path)
                || !self.known_placeholders(file, &path)
            {
                continue;
            }
            let templated = path.value.contains(ID_PLACEHOLDER);
            let fors: &[Spanned<String>] = fors.map_or(&[], Vec::as_slice);
            if templated && fors.is_empty() {
                let d = self
                    .diag(
                        codes::BAD_PLACEHOLDER,
                        &po,
                        format!("directory `{}` holds `{{id}}` but names no identities in `for:`", path.value),
                    )
                    .with_label("`{id}` without `for:`")
                    .with_help(format!(
                        "write `{{ path: {}, for: [alice, bob] }}`: one directory per identity, `{{id}}` replaced by its UUID",
                        path.value
                    ));
                self.emit(d);
                continue;
            }
            if !templated && !fors.is_empty() {
                let d = self
                    .diag(
                        codes::BAD_PLACEHOLDER,
                        &po,
                        format!("directory `{}` has `for:` but no `{{id}}` in its path", path.value),
                    )
                    .with_label("no `{id}` here")
                    .with_help("each `for:` identity gets the path with `{id}` replaced by its UUID: add `{id}` to the path, or remove `for:`");
                self.emit(d);
                continue;
            }
            let container = format!("{key}.directories.{}.for", path.value);
            let mut for_principals = Vec::new();
            let mut ok = true;
            for p in fors {
                match self.principal(file, p, &DIRECTORY_FOR) {
                    Some(lp) if self.same_person(&container, &p.value, &lp) => {
                        for_principals.push(lp)
                    }
                    _ => ok = false,
                }
            }
            if ok {
                out.push(Directory {
                    path: Located {
                        value: path.value.clone(),
                        origin: po,
                    },
                    for_principals,
                    origin,
                });
            }
        }
        out
    }

    pub(crate) fn endpoints(
        &mut self,
        sections: &[FileSection<'_>],
    ) -> BTreeMap<Uuid, EndpointPolicy> {
        let mut out: BTreeMap<Uuid, EndpointPolicy> = BTreeMap::new();
        for (file, endpoints) in values::<SpannedMap<Endpoint>>(sections) {
            for (k, e) in endpoints.iter() {
                let Some(id) = self.uuid(file, k, "endpoint key") else {
                    continue;
                };
                let key = format!("endpoints.{id}");
                let what = format!("endpoint `{id}`");
                let at = self.at(file, k);
                let mut ep = out.remove(&id).unwrap_or_else(|| EndpointPolicy {
                    id,
                    origin: at,
                    manage_paths: Vec::new(),
                    directories: Vec::new(),
                    acl: Vec::new(),
                    ownership: Ownership::default(),
                });
                if let Some(m) = &e.manage_paths {
                    let v = self.folder_list(file, &key, &what, m, "manage_paths");
                    ep.manage_paths.extend(v);
                }
                if let Some(d) = &e.directories {
                    let v = self.directories(file, &key, &what, d);
                    ep.directories.extend(v);
                }
                if let Some(a) = &e.acl {
                    let v = self.acl(file, &key, &what, a);
                    ep.acl.extend(v);
                }
                if let Some(m) = self.mode(file, &e.mode, &key) {
                    ep.ownership.mode = Some(m);
                }
                out.insert(id, ep);
            }
        }
        // manage_paths may come from another file than the rules: check after merging.
        for ep in out.values() {
            if ep.manage_paths.is_empty() {
                continue;
            }
            for r in &ep.acl {
                if ep
                    .manage_paths
                    .iter()
                    .any(|m| r.path.value.starts_with(&m.value))
                {
                    continue;
                }
                let list = ep
                    .manage_paths
                    .iter()
                    .map(|m| format!("`{}`", m.value))
                    .collect::<Vec<_>>()
                    .join(", ");
                let mut d = self
                    .diag(OUTSIDE_MANAGE_PATHS, &r.path.origin, format!("ACL path `{}` is outside this endpoint's manage_paths ({list})", r.path.value))
                    .with_label("outside manage_paths")
                    .with_help("accord owns only rules under `manage_paths`: move the rule under one of them, or add its folder to `manage_paths`");
                if let Some(m) = ep.manage_paths.first() {
                    d = d.also_at(self.files, &m.origin, "manage_paths declared here");
                }
                self.emit(d);
            }
        }
        out
    }
}
