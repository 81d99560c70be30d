//! Merging parsed policy files per container, checking them, and lowering them into the
//! span-carrying, YAML-free [`model`](super::model): the core's part (`identities:`,
//! `accord.yaml`), and the [`Checker`], the toolkit every service checks its sections with.
//!
//! Merge rule: a container (a group, an endpoint, an index…) may be spread over several files,
//! but every leaf (a member, an alias, a rule, a scalar setting) is written once; a second
//! definition is an error citing both places ([`Checker::claim`]). Files are visited in the
//! loader's sorted order, so "first" and "again" are deterministic.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde_saphyr::Spanned;
use uuid::Uuid;

use super::ast::{self, SpannedMap};
use super::diagnostics::{PolicyDiagnostic, codes, origin_of};
use super::model::{ManagedGroup, Policy, PrincipalRef};
use super::origin::{Located, Origin, SourceFile};
use super::principal::{
    PrincipalContext, PrincipalError, PrincipalScope, alias_name_problem, classify,
    classify_literal, closest, person_key,
};
use super::section::{FileSection, Registry};
use crate::state::ContainerMode;

mod config;
#[cfg(test)]
pub(crate) mod merge_tests;
pub mod range;
#[cfg(test)]
#[path = "tests.rs"]
mod tests;

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

/// The spellings of `mode:`.
pub const MODES: [&str; 3] = ["authoritative", "keyed", "additive"];

/// A parsed file: its index in `Workspace::files` and its AST.
pub(crate) type Parsed<'a, T> = (usize, &'a T);

/// The merger and checker: collects diagnostics, remembers where each leaf was defined, and
/// knows what every principal check needs (aliases, the groups the workspace manages).
pub struct Checker<'a> {
    /// The workspace's files, for diagnostics.
    pub files: &'a [SourceFile],
    /// Everything found so far.
    pub diags: Vec<PolicyDiagnostic>,
    /// The registered services' keys.
    registry: &'a Registry<'a>,
    /// Leaf key → where it was first defined.
    leaves: HashMap<String, Origin>,
    /// (container, person key) → first spelling and place, for "same person twice".
    persons: HashMap<(String, PrincipalRef), (String, Origin)>,
    aliases: BTreeMap<String, PrincipalRef>,
    /// Declared group name → whether it is a tombstone.
    group_absent: BTreeMap<String, bool>,
    /// Where each group's `absent: true` is written.
    group_absent_at: BTreeMap<String, Origin>,
    /// Pinned group id → policy name: `group:<pin>` is that group.
    group_pins: BTreeMap<Uuid, String>,
}

impl<'a> Checker<'a> {
    /// A checker over the workspace's files, for the services of `registry`.
    pub(crate) fn new(files: &'a [SourceFile], registry: &'a Registry<'a>) -> Self {
        Checker {
            files,
            diags: Vec::new(),
            registry,
            leaves: HashMap::new(),
            persons: HashMap::new(),
            aliases: BTreeMap::new(),
            group_absent: BTreeMap::new(),
            group_absent_at: BTreeMap::new(),
            group_pins: BTreeMap::new(),
        }
    }

    /// Declares a group the workspace manages (`group:NAME` names it); `absent_at` is where
    /// it is marked `absent: true`, if it is (the first place wins).
    pub fn declare_group(&mut self, name: &str, absent_at: Option<Origin>) {
        let absent = self.group_absent.entry(name.to_string()).or_insert(false);
        *absent |= absent_at.is_some();
        if let Some(at) = absent_at {
            self.group_absent_at.entry(name.to_string()).or_insert(at);
        }
    }

    /// Pins a managed group's id: `group:<id>` is group `name` (the first pin of an id wins).
    pub fn pin_group(&mut self, id: Uuid, name: &str) {
        self.group_pins
            .entry(id)
            .or_insert_with(|| name.to_string());
    }

    /// Whether `name` is a declared managed group.
    pub fn is_managed_group(&self, name: &str) -> bool {
        self.group_absent.contains_key(name)
    }

    /// Where managed group `name` is marked `absent: true`, if it is.
    pub fn group_absent_at(&self, name: &str) -> Option<&Origin> {
        self.group_absent_at.get(name)
    }

    /// Where `s` is written in file `file`.
    pub fn at<T>(&self, file: usize, s: &Spanned<T>) -> Origin {
        origin_of(self.files, file, &s.referenced)
    }

    /// A diagnostic at `origin`.
    pub fn diag(&self, code: &str, origin: &Origin, msg: impl Into<String>) -> PolicyDiagnostic {
        PolicyDiagnostic::new(code, self.files, origin, msg)
    }

    /// Reports a diagnostic.
    pub fn emit(&mut self, d: PolicyDiagnostic) {
        self.diags.push(d);
    }

    /// Claims a leaf: `true` the first time; afterwards reports "defined twice".
    pub fn claim(&mut self, key: String, origin: &Origin, what: &str) -> bool {
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

    /// A leaf that may be written once and must be one of `allowed`: the duplicate check and
    /// the value check that every enumerated Boss field shares.
    #[allow(clippy::too_many_arguments)]
    pub fn claimed_one_of(
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

    /// Checks that `s` is one of `allowed`; reports it otherwise.
    pub fn one_of(
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

    /// A container's `mode:`, claimed once and checked.
    pub fn mode(
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
            &format!("`mode` of {}", self.describe_key(key)),
        ) {
            return None;
        }
        if !self.one_of(file, s, &MODES, codes::INVALID_VALUE, "mode") {
            return None;
        }
        parse_mode(&s.value).map(|value| Located { value, origin: o })
    }

    /// An RFC 3339 timestamp with a timezone (`what` names it in the diagnostic).
    pub fn timestamp(
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

    /// A UUID (`what` names it in the diagnostic).
    pub fn uuid(&mut self, file: usize, s: &Spanned<String>, what: &str) -> Option<Uuid> {
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
    pub fn principal(
        &mut self,
        file: usize,
        s: &Spanned<String>,
        ctx: &PrincipalContext,
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
                    Some(Ok(
                        special @ (PrincipalRef::Anonymous
                        | PrincipalRef::Public
                        | PrincipalRef::AllAuthenticatedUsers),
                    )) => (
                        format!("`{v}` is not allowed {}", ctx.place),
                        self.special_help(&special)
                            .unwrap_or("no service takes it here")
                            .to_string(),
                    ),
                    _ => (
                        format!("`{v}` is a group, which is not allowed {}", ctx.place),
                        ctx.no_groups.to_string(),
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

    /// Where a special principal is accepted, as the first service taking it tells it.
    fn special_help(&self, p: &PrincipalRef) -> Option<&'static str> {
        self.registry
            .services
            .iter()
            .flat_map(|s| s.special_principals())
            .find(|sp| sp.principal == *p)
            .map(|sp| sp.help)
    }

    /// Reports the same person written twice (two spellings) in one container.
    /// Returns `false` (and reports) when the principal is already listed in `container`.
    pub fn same_person(
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
                        self.describe_key(container)
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

    /// Pass 1: `identities:`, which every principal check needs.
    fn declarations(
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
        }
        identities
    }

    /// Turns an internal leaf key (`groups.lab.members`) into words for messages: as the
    /// service reading its first segment says, else the key itself.
    pub fn describe_key(&self, key: &str) -> String {
        let top = key.split('.').next().unwrap_or(key);
        self.registry
            .service_for(top)
            .and_then(|s| s.describe(key))
            .unwrap_or_else(|| format!("`{key}`"))
    }
}

/// `a`, `a or b`, `a, b or c`.
pub fn join_or(items: impl Iterator<Item = String>) -> String {
    join_words(items.collect(), "or")
}

/// `a`, `a and b`, `a, b and c`.
pub fn join_and(items: impl Iterator<Item = String>) -> String {
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

impl Checker<'_> {
    /// Claims leaf `field` of a container: its origin when written the first time.
    pub fn leaf<T>(
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
    pub fn text_leaf(
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
    /// A roles mapping: role names checked, principals classified; returns the valid
    /// `(role, principal)` pairs.
    #[allow(clippy::too_many_arguments)]
    pub fn roles(
        &mut self,
        file: usize,
        key: &str,
        what: &str,
        roles: &SpannedMap<Vec<Spanned<String>>>,
        allowed: &[&str],
        role_word: &str,
        ctx: &PrincipalContext,
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

    /// A list of principals, each claimed once and classified; returns the valid ones.
    pub fn principal_list(
        &mut self,
        file: usize,
        key: &str,
        what: &str,
        list: &[Spanned<String>],
        ctx: &PrincipalContext,
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
    pub fn lowered_mode(
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
    /// Merges, checks and lowers every policy file: `identities:`, then every service's
    /// declarations, then every service's sections, in the order of the list.
    pub(crate) fn policy(&mut self, files: &[Parsed<'_, ast::PolicyFile>]) -> Policy {
        let identities = self.declarations(files);
        let registry = self.registry;
        let per_service: Vec<Vec<FileSection<'_>>> = (0..registry.services.len())
            .map(|service| {
                files
                    .iter()
                    .flat_map(|&(file, pf)| {
                        pf.sections
                            .iter()
                            .filter(move |(k, _)| registry.keys[*k].1 == service)
                            .map(move |(k, v)| FileSection::new(file, registry.keys[*k].0, &**v))
                    })
                    .collect()
            })
            .collect();
        for (service, sections) in registry.services.iter().zip(&per_service) {
            service.declare(sections, self);
        }
        let sections = registry
            .services
            .iter()
            .zip(&per_service)
            .map(|(service, sections)| Arc::from(service.check(sections, self)))
            .collect();
        let pins: BTreeMap<&String, Uuid> =
            self.group_pins.iter().map(|(id, n)| (n, *id)).collect();
        let managed_groups = self
            .group_absent
            .iter()
            .map(|(name, absent)| {
                let group = ManagedGroup {
                    absent: *absent,
                    pin: pins.get(name).copied(),
                };
                (name.clone(), group)
            })
            .collect();
        let managed_group_kind = registry
            .services
            .iter()
            .find_map(|s| s.managed_group_kind());
        Policy {
            identities,
            managed_groups,
            managed_group_kind,
            sections,
        }
    }
}
