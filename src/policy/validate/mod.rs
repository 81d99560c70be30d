//! Merging parsed policy files per container, checking them, and lowering them into the
//! span-carrying, YAML-free [`model`](super::model).
//!
//! Merge rule: a container (group, endpoint, collection, index, Boss resource) may be spread
//! over several files, but every leaf (a member, an alias, an ACL rule, a scalar setting) is
//! written once; a second definition is an error citing both places. Files are visited in
//! the loader's sorted order, so "first" and "again" are deterministic.
use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde_saphyr::Spanned;
use uuid::Uuid;

use super::ast::{self, SpannedMap};
use super::diagnostics::{PolicyDiagnostic, codes, origin_of};
use super::model::{Located, Origin, Policy, PrincipalRef, SourceFile};
use super::principal::{
    PrincipalContext, PrincipalError, PrincipalScope, alias_name_problem, classify,
    classify_literal, closest, person_key,
};
use crate::state::ContainerMode;

mod config;
#[cfg(test)]
mod merge_tests;
pub(crate) mod range;

/// Why a timestamp was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimestampError {
    /// A date and time without an offset.
    NoTimezone,
    /// A date alone where an instant is needed.
    DateOnly,
    /// Not a timestamp at all.
    Invalid,
}

/// Parses an RFC 3339 timestamp with a timezone (`2026-12-31T00:00:00Z`, `…+02:00`).
pub fn parse_timestamp(s: &str) -> Result<DateTime<Utc>, TimestampError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    let naive = [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ];
    if naive
        .iter()
        .any(|f| NaiveDateTime::parse_from_str(s, f).is_ok())
    {
        return Err(TimestampError::NoTimezone);
    }
    if NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok() {
        return Err(TimestampError::DateOnly);
    }
    Err(TimestampError::Invalid)
}

/// Parses an override's `until`: an RFC 3339 timestamp, or a date meaning "through the end
/// of that day, UTC" (DESIGN.md writes `until: 2026-12-15`).
pub fn parse_until(s: &str) -> Result<DateTime<Utc>, TimestampError> {
    match parse_timestamp(s) {
        Err(TimestampError::DateOnly) => {
            let d =
                NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| TimestampError::Invalid)?;
            let next = d.succ_opt().ok_or(TimestampError::Invalid)?;
            Ok(next
                .and_hms_opt(0, 0, 0)
                .ok_or(TimestampError::Invalid)?
                .and_utc())
        }
        other => other,
    }
}
/// Parses a `mode:` value.
pub fn parse_mode(s: &str) -> Option<ContainerMode> {
    match s {
        "authoritative" => Some(ContainerMode::Authoritative),
        "keyed" => Some(ContainerMode::Keyed),
        "additive" => Some(ContainerMode::Additive),
        _ => None,
    }
}
pub(crate) const MODES: [&str; 3] = ["authoritative", "keyed", "additive"];

/// A parsed file: its index in `Workspace::files` and its AST.
pub(crate) type Parsed<'a, T> = (usize, &'a T);

/// The merger and checker: collects diagnostics, remembers where each leaf was defined.
pub(crate) struct Checker<'a> {
    pub(crate) files: &'a [SourceFile],
    /// Everything found so far.
    pub diags: Vec<PolicyDiagnostic>,
    /// Leaf key → where it was first defined.
    pub(crate) leaves: HashMap<String, Origin>,
    /// (container, person key) → first spelling and place, for "same person twice".
    pub(crate) persons: HashMap<(String, PrincipalRef), (String, Origin)>,
    pub(crate) aliases: BTreeMap<String, PrincipalRef>,
    /// Declared group name → whether it is a tombstone.
    pub(crate) group_absent: BTreeMap<String, bool>,
    /// Where each group's `absent: true` is written.
    pub(crate) group_absent_at: BTreeMap<String, Origin>,
    /// Pinned group id → policy name: `group:<pin>` is that group.
    pub(crate) group_pins: BTreeMap<Uuid, String>,
}
impl<'a> Checker<'a> {
    /// A checker over the workspace's files.
    pub(crate) fn new(files: &'a [SourceFile]) -> Self {
        Checker {
            files,
            diags: Vec::new(),
            leaves: HashMap::new(),
            persons: HashMap::new(),
            aliases: BTreeMap::new(),
            group_absent: BTreeMap::new(),
            group_absent_at: BTreeMap::new(),
            group_pins: BTreeMap::new(),
        }
    }

    pub(crate) fn at<T>(&self, file: usize, s: &Spanned<T>) -> Origin {
        origin_of(self.files, file, &s.referenced)
    }

    pub(crate) fn diag(
        &self,
        code: &str,
        origin: &Origin,
        msg: impl Into<String>,
    ) -> PolicyDiagnostic {
        PolicyDiagnostic::new(code, self.files, origin, msg)
    }

    pub(crate) fn emit(&mut self, d: PolicyDiagnostic) {
        self.diags.push(d);
    }

    /// Claims a leaf: `true` the first time; afterwards reports "defined twice".
    pub(crate) fn claim(&mut self, key: String, origin: &Origin, what: &str) -> bool {
        if let Some(first) = self.leaves.get(&key).cloned() {
            let d = self
                .diag(
                    codes::DEFINED_TWICE,
                    origin,
                    format!("{what} is defined twice"),
                )
                .with_label("defined again here")
                .also_at(self.files, &first, "first defined here")
                .with_help(
                    "a container may be spread over several files, but each setting, member \
                     and rule is written once: remove one of them",
                );
            self.emit(d);
            false
        } else {
            self.leaves.insert(key, origin.clone());
            true
        }
    }

    /// Checks that `s` is one of `allowed`; reports it otherwise.
    /// A leaf that may be written once and must be one of `allowed`: the duplicate check and
    /// the value check that every enumerated Boss field shares.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn claimed_one_of(
        &mut self,
        file: usize,
        key: &str,
        what: &str,
        field: &str,
        value: Option<&Spanned<String>>,
        allowed: &[&str],
        code: &str,
        label: &str,
    ) {
        if let Some(v) = value {
            let o = self.at(file, v);
            if self.claim(
                format!("{key}.{field}"),
                &o,
                &format!("`{field}` of {what}"),
            ) {
                self.one_of(file, v, allowed, code, label);
            }
        }
    }

    pub(crate) fn one_of(
        &mut self,
        file: usize,
        s: &Spanned<String>,
        allowed: &[&str],
        code: &str,
        what: &str,
    ) -> bool {
        if allowed.contains(&s.value.as_str()) {
            return true;
        }
        let o = self.at(file, s);
        let list = join_or(allowed.iter().map(|a| format!("`{a}`")));
        let help = match closest(&s.value, allowed.iter().copied()) {
            Some(c) => format!("did you mean `{c}`? {what} is {list}"),
            None => format!("{what} is {list}"),
        };
        let d = self
            .diag(code, &o, format!("invalid {what} `{}`", s.value))
            .with_label(format!(
                "expected {}",
                join_or(allowed.iter().map(|a| a.to_string()))
            ))
            .with_help(help);
        self.emit(d);
        false
    }

    pub(crate) fn mode(
        &mut self,
        file: usize,
        s: &Option<Spanned<String>>,
        key: &str,
    ) -> Option<Located<ContainerMode>> {
        let s = s.as_ref()?;
        let o = self.at(file, s);
        if !self.claim(
            format!("{key}.mode"),
            &o,
            &format!("`mode` of {}", describe_key(key)),
        ) {
            return None;
        }
        if !self.one_of(file, s, &MODES, codes::INVALID_VALUE, "mode") {
            return None;
        }
        parse_mode(&s.value).map(|value| Located { value, origin: o })
    }

    pub(crate) fn timestamp(
        &mut self,
        file: usize,
        s: &Spanned<String>,
        what: &str,
    ) -> Option<DateTime<Utc>> {
        let o = self.at(file, s);
        let v = &s.value;
        let (msg, help) = match parse_timestamp(v) {
            Ok(t) => return Some(t),
            Err(TimestampError::NoTimezone) => (
                format!("{what} `{v}` has no timezone"),
                format!(
                    "RFC 3339 needs a timezone: write `{v}Z` for UTC, or an offset such as `{v}+02:00`"
                ),
            ),
            Err(TimestampError::DateOnly) => (
                format!("{what} `{v}` is a date, not a timestamp"),
                format!("write an RFC 3339 timestamp with a timezone, such as `{v}T00:00:00Z`"),
            ),
            Err(TimestampError::Invalid) => (
                format!("{what} `{v}` is not a timestamp"),
                "write an RFC 3339 timestamp with a timezone, such as `2026-12-31T00:00:00Z`"
                    .into(),
            ),
        };
        let d = self
            .diag(codes::BAD_TIMESTAMP, &o, msg)
            .with_label("not RFC 3339 with a timezone")
            .with_help(help);
        self.emit(d);
        None
    }

    pub(crate) fn uuid(&mut self, file: usize, s: &Spanned<String>, what: &str) -> Option<Uuid> {
        match Uuid::parse_str(&s.value) {
            Ok(u) => Some(u),
            Err(_) => {
                let o = self.at(file, s);
                let d = self
                    .diag(codes::BAD_UUID, &o, format!("{what} `{}` is not a UUID", s.value))
                    .with_label("expected a UUID")
                    .with_help("write the UUID as shown by Globus, e.g. `8b7d57bc-1666-11ec-88b2-f50515619d57`");
                self.emit(d);
                None
            }
        }
    }
    /// Classifies a Globus principal, reporting why it is refused.
    pub(crate) fn principal(
        &mut self,
        file: usize,
        s: &Spanned<String>,
        ctx: PrincipalContext,
    ) -> Option<Located<PrincipalRef>> {
        let o = self.at(file, s);
        let scope = PrincipalScope {
            aliases: &self.aliases,
            groups: &self.group_absent,
        };
        let v = &s.value;
        let err = match classify(v, ctx, &scope) {
            Ok(value) => return Some(Located { value, origin: o }),
            Err(e) => e,
        };
        let d = match err {
            PrincipalError::UnknownAlias { suggestion } => self
                .diag(codes::UNKNOWN_ALIAS, &o, format!("unknown principal `{v}`: not an alias declared under `identities:`"))
                .with_label("unknown alias")
                .with_help(match suggestion {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => "declare it under `identities:`, or write a username (`user@domain`), an identity UUID or `group:NAME`".into(),
                }),
            PrincipalError::UndeclaredGroup { suggestion } => self
                .diag(codes::UNDECLARED_GROUP, &o, format!("group `{}` is not declared under `groups:`", &v["group:".len()..]))
                .with_label("undeclared group")
                .with_help(match suggestion {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => "declare it under `groups:`, or write `group:<uuid>` for a group accord does not manage".into(),
                }),
            PrincipalError::AbsentGroup => {
                let name = &v["group:".len()..];
                let mut d = self
                    .diag(codes::ABSENT_GROUP, &o, format!("`{v}` refers to a group marked `absent: true`, which accord deletes"))
                    .with_label("reference to a deleted group")
                    .with_help("remove this reference, or the group's `absent: true`");
                if let Some(t) = self.group_absent_at.get(name) {
                    d = d.also_at(self.files, t, "marked absent here");
                }
                d
            }
            PrincipalError::EmptyGroup => self
                .diag(codes::BAD_PRINCIPAL, &o, "`group:` needs a group name or UUID")
                .with_label("empty group reference")
                .with_help("write `group:NAME` for a group declared under `groups:`, or `group:<uuid>`"),
            PrincipalError::BadUrn => self
                .diag(codes::BAD_PRINCIPAL, &o, format!("`{v}` is not a Globus identity or group URN"))
                .with_label("bad URN")
                .with_help("write `urn:globus:auth:identity:<uuid>` or `urn:globus:groups:id:<uuid>`"),
            PrincipalError::BadUsername => self
                .diag(codes::BAD_PRINCIPAL, &o, format!("`{v}` is not a Globus username"))
                .with_label("bad username")
                .with_help("a username is `user@domain`, e.g. `alice@uchicago.edu`"),
            PrincipalError::NotAllowedHere => {
                let (msg, help) = match classify_literal(v) {
                    Some(Ok(PrincipalRef::Anonymous)) => (
                        format!("`anonymous` is not allowed {}", ctx.describe()),
                        "`anonymous` exists only in Transfer ACL rules".to_string(),
                    ),
                    Some(Ok(PrincipalRef::Public)) => (
                        format!("`public` is not allowed {}", ctx.describe()),
                        "`public` exists only in a Search document's `visible_to`; Transfer ACL rules use `anonymous`".to_string(),
                    ),
                    Some(Ok(PrincipalRef::AllAuthenticatedUsers)) => (
                        format!("`all_authenticated_users` is not allowed {}", ctx.describe()),
                        "`all_authenticated_users` exists only in Transfer ACL rules and a Search document's `visible_to`".to_string(),
                    ),
                    _ if ctx == PrincipalContext::DirectoryFor => (
                        format!("`{v}` is a group, which is not allowed {}", ctx.describe()),
                        "`{id}` is replaced with one identity's UUID: list identities in `for:`".to_string(),
                    ),
                    _ => (
                        format!("`{v}` is a group, which is not allowed {}", ctx.describe()),
                        "Globus groups hold identities only: list the group's members instead".to_string(),
                    ),
                };
                self.diag(codes::BAD_PRINCIPAL, &o, msg)
                    .with_label("not allowed here")
                    .with_help(help)
            }
        };
        self.emit(d);
        None
    }

    /// Reports the same person written twice (two spellings) in one container.
    /// Returns `false` (and reports) when the principal is already listed in `container`.
    pub(crate) fn same_person(
        &mut self,
        container: &str,
        written: &str,
        p: &Located<PrincipalRef>,
    ) -> bool {
        let key = (
            container.to_string(),
            person_key(&p.value, &self.aliases, &self.group_pins),
        );
        if let Some((first, first_at)) = self.persons.get(&key).cloned() {
            let d = self
                .diag(
                    codes::SAME_PRINCIPAL,
                    &p.origin,
                    format!(
                        "`{written}` and `{first}` are the same principal, listed twice in {}",
                        describe_key(container)
                    ),
                )
                .with_label("same principal again")
                .also_at(self.files, &first_at, "first listed here")
                .with_help("list each principal once in a container");
            self.emit(d);
            false
        } else {
            self.persons
                .insert(key, (written.to_string(), p.origin.clone()));
            true
        }
    }

    // ---------------------------------------------------------------- declarations

    /// Pass 1: aliases and group names, which every principal check needs.
    pub(crate) fn declarations(
        &mut self,
        files: &[Parsed<'_, ast::PolicyFile>],
    ) -> BTreeMap<String, Located<PrincipalRef>> {
        let mut identities = BTreeMap::new();
        for &(file, pf) in files {
            for (k, v) in pf.identities.iter() {
                let o = self.at(file, k);
                if !self.claim(
                    format!("identities.{}", k.value),
                    &o,
                    &format!("alias `{}`", k.value),
                ) {
                    continue;
                }
                if let Some(problem) = alias_name_problem(&k.value) {
                    let d = self
                        .diag(
                            codes::BAD_ALIAS,
                            &o,
                            format!("invalid alias name `{}`: {problem}", k.value),
                        )
                        .with_label("bad alias name")
                        .with_help("use a short bare word such as `alice`");
                    self.emit(d);
                    continue;
                }
                let vo = self.at(file, v);
                match classify_literal(&v.value) {
                    Some(Ok(p @ (PrincipalRef::Username(_) | PrincipalRef::IdentityId(_)))) => {
                        self.aliases.insert(k.value.clone(), p.clone());
                        identities.insert(
                            k.value.clone(),
                            Located {
                                value: p,
                                origin: vo,
                            },
                        );
                    }
                    _ => {
                        let d = self
                            .diag(codes::BAD_ALIAS, &vo, format!("alias `{}` must name a username or an identity UUID, not `{}`", k.value, v.value))
                            .with_label("not a username or identity UUID")
                            .with_help("write `user@domain`, an identity UUID or `urn:globus:auth:identity:<uuid>`; groups are written `group:NAME` where used");
                        self.emit(d);
                    }
                }
            }
            for (k, g) in pf.groups.iter() {
                let absent = g.absent.as_ref().is_some_and(|a| a.value);
                let e = self.group_absent.entry(k.value.clone()).or_insert(false);
                *e |= absent;
                if absent && let Some(a) = &g.absent {
                    let o = self.at(file, a);
                    self.group_absent_at.entry(k.value.clone()).or_insert(o);
                }
            }
        }
        identities
    }
}

/// `a`, `a or b`, `a, b or c`.
pub(crate) fn join_or(items: impl Iterator<Item = String>) -> String {
    join_words(items.collect(), "or")
}

/// `a`, `a and b`, `a, b and c`.
pub(crate) fn join_and(items: impl Iterator<Item = String>) -> String {
    join_words(items.collect(), "and")
}

fn join_words(mut items: Vec<String>, word: &str) -> String {
    match items.len() {
        0 => String::new(),
        1 => items.remove(0),
        _ => {
            let last = items.pop().expect("at least two");
            format!("{} {word} {last}", items.join(", "))
        }
    }
}

/// Turns an internal leaf key (`groups.lab.members`) into words for messages.
pub(crate) fn describe_key(key: &str) -> String {
    let mut parts = key.splitn(2, '.');
    let kind = parts.next().unwrap_or("");
    let rest = parts.next().unwrap_or("");
    match kind {
        "groups" => format!("group `{rest}`"),
        "endpoints" => format!("endpoint `{}`", rest.split('.').next().unwrap_or(rest)),
        "collections" => format!("collection `{}`", rest.split('.').next().unwrap_or(rest)),
        "search" => format!("Search {}", rest.replace('.', " ")),
        "boss" => format!("Boss {}", rest.replace('.', " ")),
        _ => format!("`{key}`"),
    }
}
impl Checker<'_> {
    /// Claims a leaf of a collection: its origin when written the first time.
    pub(crate) fn leaf<T>(
        &mut self,
        file: usize,
        key: &str,
        what: &str,
        field: &str,
        s: &Spanned<T>,
    ) -> Option<Origin> {
        let o = self.at(file, s);
        self.claim(
            format!("{key}.{field}"),
            &o,
            &format!("`{field}` of {what}"),
        )
        .then_some(o)
    }

    /// A string leaf that must not be empty.
    pub(crate) fn text_leaf(
        &mut self,
        file: usize,
        key: &str,
        what: &str,
        field: &str,
        s: &Option<Spanned<String>>,
    ) -> Option<Located<String>> {
        let s = s.as_ref()?;
        let o = self.leaf(file, key, what, field, s)?;
        if s.value.trim().is_empty() {
            let d = self
                .diag(
                    codes::INVALID_VALUE,
                    &o,
                    format!("`{field}` of {what} is empty"),
                )
                .with_label("empty")
                .with_help(format!("remove `{field}`, or give it a value"));
            self.emit(d);
            return None;
        }
        Some(Located {
            value: s.value.clone(),
            origin: o,
        })
    }
    /// A roles mapping (collection or Search index): role names checked, principals
    /// classified; returns the valid `(role, principal)` pairs.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn roles(
        &mut self,
        file: usize,
        key: &str,
        what: &str,
        roles: &SpannedMap<Vec<Spanned<String>>>,
        allowed: &[&str],
        role_word: &str,
        ctx: PrincipalContext,
    ) -> Vec<(String, Located<PrincipalRef>)> {
        let mut out = Vec::new();
        for (role, principals) in roles.iter() {
            if !self.one_of(file, role, allowed, codes::INVALID_ROLE, role_word) {
                continue;
            }
            for p in principals {
                let o = self.at(file, p);
                if !self.claim(
                    format!("{key}.roles.{}.{}", role.value, p.value),
                    &o,
                    &format!("`{}` in role `{}` of {what}", p.value, role.value),
                ) {
                    continue;
                }
                if let Some(lp) = self.principal(file, p, ctx)
                    && self.same_person(&format!("{key}.roles.{}", role.value), &p.value, &lp)
                {
                    out.push((role.value.clone(), lp));
                }
            }
        }
        out
    }

    pub(crate) fn principal_list(
        &mut self,
        file: usize,
        key: &str,
        what: &str,
        list: &[Spanned<String>],
        ctx: PrincipalContext,
    ) -> Vec<Located<PrincipalRef>> {
        let mut out = Vec::new();
        for p in list {
            let o = self.at(file, p);
            if !self.claim(
                format!("{key}.{}", p.value),
                &o,
                &format!("`{}` in {what}", p.value),
            ) {
                continue;
            }
            if let Some(lp) = self.principal(file, p, ctx)
                && self.same_person(key, &p.value, &lp)
            {
                out.push(lp);
            }
        }
        out
    }
    /// A checked `mode:` value, lowered.
    pub(crate) fn lowered_mode(
        &self,
        file: usize,
        mode: &Option<Spanned<String>>,
    ) -> Option<Located<ContainerMode>> {
        let m = mode.as_ref()?;
        Some(Located {
            value: parse_mode(&m.value)?,
            origin: self.at(file, m),
        })
    }
}

impl Checker<'_> {
    /// Merges, checks and lowers every policy file.
    pub(crate) fn policy(&mut self, files: &[Parsed<'_, ast::PolicyFile>]) -> Policy {
        let identities = self.declarations(files);
        let groups = self.groups(files);
        let endpoints = self.endpoints(files);
        let collections = self.collections(files);
        let search_indexes = self.search(files);
        let boss = self.boss(files);
        let mut groups = groups;
        let mut endpoints = endpoints;
        // The model lives for the whole run: drop the growth slack of its long lists
        // (tens of thousands of rules and members at institution scale).
        for g in groups.values_mut() {
            g.members.shrink_to_fit();
        }
        for ep in endpoints.values_mut() {
            ep.acl.shrink_to_fit();
        }
        let policy = Policy {
            identities,
            groups,
            endpoints,
            collections,
            search_indexes,
            boss,
        };
        // What each service would refuse that the merged policy already shows.
        self.diags
            .extend(crate::services::check_policy(self.files, &policy));
        policy
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        let t = parse_timestamp("2026-12-31T00:00:00Z").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-12-31T00:00:00+00:00");
        let t = parse_timestamp("2026-12-31T02:00:00+02:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-12-31T00:00:00+00:00");
        assert_eq!(
            parse_timestamp("2026-12-31T00:00:00"),
            Err(TimestampError::NoTimezone)
        );
        assert_eq!(
            parse_timestamp("2026-12-31 00:00:00"),
            Err(TimestampError::NoTimezone)
        );
        assert_eq!(parse_timestamp("2026-12-31"), Err(TimestampError::DateOnly));
        assert_eq!(
            parse_timestamp("next tuesday"),
            Err(TimestampError::Invalid)
        );
        assert_eq!(
            parse_timestamp("2026-02-30T00:00:00Z"),
            Err(TimestampError::Invalid)
        );
    }

    #[test]
    fn until_dates_last_the_whole_day() {
        assert_eq!(
            parse_until("2026-12-15").unwrap().to_rfc3339(),
            "2026-12-16T00:00:00+00:00"
        );
        assert_eq!(
            parse_until("2026-12-15T10:00:00Z").unwrap().to_rfc3339(),
            "2026-12-15T10:00:00+00:00"
        );
        assert!(parse_until("2026-12-15T10:00:00").is_err());
    }
}
