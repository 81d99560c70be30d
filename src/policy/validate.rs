//! Merging parsed policy files per container, checking them, and lowering them into the
//! span-carrying, YAML-free [`model`](super::model).
//!
//! Merge rule: a container (group, endpoint, collection, index, Boss resource) may be spread
//! over several files, but every leaf (a member, an alias, an ACL rule, a scalar setting) is
//! written once; a second definition is an error citing both places. Files are visited in
//! the loader's sorted order, so "first" and "again" are deterministic.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use petgraph::graph::DiGraph;
use serde_saphyr::Spanned;
use uuid::Uuid;

use super::ast::{self, DirectoryValue, MemberValue, PermissionValue, SpannedMap};
use super::diagnostics::{PolicyDiagnostic, codes, origin_of};
use super::model::{
    AclRule, BossFramePolicy, BossGrant, BossGroupPolicy, BossLevel, BossPolicy,
    BossResourcePolicy, CollectionPolicy, CollectionRole, Directory, EndpointPolicy, GroupPolicies,
    GroupPolicy, GroupRole, ID_PLACEHOLDER, Located, MemberGrant, Origin, Override, Ownership,
    Permissions, Policy, PrincipalRef, RoleGrant, Safety, SearchDocumentPolicy, SearchIndexPolicy,
    SearchRoleGrant, SourceFile, TargetConfig, WorkspaceConfig,
};
use super::principal::{
    PrincipalContext, PrincipalError, PrincipalScope, alias_name_problem, classify,
    classify_literal, closest, person_key,
};
use crate::state::ContainerMode;

mod range;

/// Boss permission names valid on every resource.
pub use crate::services::boss::wire::RESOURCE_PERMISSIONS as BOSS_PERMISSIONS;
/// Boss permission names valid on channels only.
pub use crate::services::boss::wire::VOLUMETRIC_PERMISSIONS as BOSS_VOLUMETRIC;
/// The Boss's built-in public group, which may only be granted read permissions.
const BOSS_PUBLIC_GROUP: &str = "public";
/// The Boss's admin group, which gets every permission on every new object.
const BOSS_ADMIN_GROUP: &str = "admin";

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
fn segment_problem(p: &str) -> Option<(String, String)> {
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

/// The Boss naming rule accord enforces for every Boss name (collections, experiments,
/// channels, frames, groups, users, permission sets): 1 to 255 characters from
/// `[A-Za-z0-9_-]`. This is the Boss's resource rule (`^[a-zA-Z0-9_-]*$`, max 255) made
/// non-empty; group and user names sit in URL segments matching `[\w_-]+`, which this
/// ASCII rule stays within.
pub fn boss_name_ok(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 255
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
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

/// Parses a Globus group role.
pub fn parse_role(s: &str) -> Option<GroupRole> {
    match s {
        "member" => Some(GroupRole::Member),
        "manager" => Some(GroupRole::Manager),
        "admin" => Some(GroupRole::Admin),
        _ => None,
    }
}

/// Parses Transfer permissions.
pub fn parse_permissions(s: &str) -> Option<Permissions> {
    match s {
        "r" => Some(Permissions::Read),
        "rw" => Some(Permissions::ReadWrite),
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
const COLLECTION_ROLES: [&str; 4] = [
    "administrator",
    "access_manager",
    "activity_manager",
    "activity_monitor",
];
const SEARCH_ROLES: [&str; 3] = ["owner", "admin", "writer"];
const MODES: [&str; 3] = ["authoritative", "keyed", "additive"];
const VOXEL_UNITS: [&str; 4] = ["nanometers", "micrometers", "millimeters", "centimeters"];
const HIERARCHY_METHODS: [&str; 2] = ["anisotropic", "isotropic"];
const TIME_STEP_UNITS: [&str; 4] = ["nanoseconds", "microseconds", "milliseconds", "seconds"];
const CHANNEL_TYPES: [&str; 2] = ["image", "annotation"];
const DATATYPES: [&str; 3] = ["uint8", "uint16", "uint64"];
const RAILS: [&str; 2] = ["max_deletes", "max_delete_share"];

/// A parsed file: its index in `Workspace::files` and its AST.
pub(crate) type Parsed<'a, T> = (usize, &'a T);

/// The merger and checker: collects diagnostics, remembers where each leaf was defined.
pub(crate) struct Checker<'a> {
    files: &'a [SourceFile],
    /// Everything found so far.
    pub diags: Vec<PolicyDiagnostic>,
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

    fn at<T>(&self, file: usize, s: &Spanned<T>) -> Origin {
        origin_of(self.files, file, &s.referenced)
    }

    fn diag(&self, code: &str, origin: &Origin, msg: impl Into<String>) -> PolicyDiagnostic {
        PolicyDiagnostic::new(code, self.files, origin, msg)
    }

    fn emit(&mut self, d: PolicyDiagnostic) {
        self.diags.push(d);
    }

    /// Claims a leaf: `true` the first time; afterwards reports "defined twice".
    fn claim(&mut self, key: String, origin: &Origin, what: &str) -> bool {
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
    fn claimed_one_of(
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

    fn one_of(
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

    fn mode(
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

    fn timestamp(&mut self, file: usize, s: &Spanned<String>, what: &str) -> Option<DateTime<Utc>> {
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

    fn uuid(&mut self, file: usize, s: &Spanned<String>, what: &str) -> Option<Uuid> {
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

    fn folder_path(&mut self, file: usize, s: &Spanned<String>) -> bool {
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

    /// Classifies a Globus principal, reporting why it is refused.
    fn principal(
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
    fn same_person(&mut self, container: &str, written: &str, p: &Located<PrincipalRef>) -> bool {
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

    // ---------------------------------------------------------------- groups

    fn groups(&mut self, files: &[Parsed<'_, ast::PolicyFile>]) -> BTreeMap<String, GroupPolicy> {
        let mut out: BTreeMap<String, GroupPolicy> = BTreeMap::new();
        let mut pins: HashMap<Uuid, (String, Origin)> = HashMap::new();
        for &(file, pf) in files {
            for (k, g) in pf.groups.iter() {
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
        self.group_pins = pins.into_iter().map(|(id, (name, _))| (id, name)).collect();
        // Tombstones with content: checked once every file has been merged.
        for gp in out.values() {
            if !gp.absent {
                continue;
            }
            let Some(at) = self.group_absent_at.get(&gp.name).cloned() else {
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

    fn group_name(&mut self, name: &str, at: &Origin, what: &str) {
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

    fn group_part(
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
            let principal = self.principal(file, mk, PrincipalContext::GroupMember);
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
                if self.group_absent.contains_key(&p.value) {
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

    fn group_policies(
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

/// `a`, `a or b`, `a, b or c`.
fn join_or(items: impl Iterator<Item = String>) -> String {
    join_words(items.collect(), "or")
}

/// `a`, `a and b`, `a, b and c`.
fn join_and(items: impl Iterator<Item = String>) -> String {
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
fn describe_key(key: &str) -> String {
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

// ---------------------------------------------------------------- endpoints & collections

impl Checker<'_> {
    /// One ACL list: checks each rule and returns the valid ones.
    fn acl(
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
            let principal = self.principal(file, &rule.principal, PrincipalContext::TransferAcl);
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
    fn folder_list(
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
    fn known_placeholders(&mut self, file: usize, s: &Spanned<String>) -> bool {
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
    fn no_placeholder(&mut self, file: usize, s: &Spanned<String>, field: &str) -> bool {
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
    fn directories(
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
                match self.principal(file, p, PrincipalContext::DirectoryFor) {
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

    fn endpoints(
        &mut self,
        files: &[Parsed<'_, ast::PolicyFile>],
    ) -> BTreeMap<Uuid, EndpointPolicy> {
        let mut out: BTreeMap<Uuid, EndpointPolicy> = BTreeMap::new();
        for &(file, pf) in files {
            for (k, e) in pf.endpoints.iter() {
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
                    .diag(codes::OUTSIDE_MANAGE_PATHS, &r.path.origin, format!("ACL path `{}` is outside this endpoint's manage_paths ({list})", r.path.value))
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

    /// Claims a leaf of a collection: its origin when written the first time.
    fn leaf<T>(
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
    fn text_leaf(
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

    fn collection_name(&mut self, name: &str, at: &Origin) {
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

    fn collections(
        &mut self,
        files: &[Parsed<'_, ast::PolicyFile>],
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
        for &(file, pf) in files {
            for (k, c) in pf.collections.iter() {
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
    fn collection_part(
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
            } else if self.no_placeholder(file, s, "base_path") {
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
            if self.folder_path(file, s) && self.no_placeholder(file, s, "default_directory") {
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
                PrincipalContext::CollectionRole,
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
            let v = self.directories(file, key, what, d);
            cp.directories.extend(v);
        }
        if let Some(a) = &c.acl {
            if let Some(first) = a.first() {
                content.get_or_insert(self.at(file, first));
            }
            let v = self.acl(file, key, what, a);
            cp.acl.extend(v);
        }
    }

    /// A roles mapping (collection or Search index): role names checked, principals
    /// classified; returns the valid `(role, principal)` pairs.
    #[allow(clippy::too_many_arguments)]
    fn roles(
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

    fn principal_list(
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

    fn search(
        &mut self,
        files: &[Parsed<'_, ast::PolicyFile>],
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

// ---------------------------------------------------------------- Boss

/// The fields every Boss resource level shares, borrowed from the AST for lowering.
struct ResourceCommon<'a> {
    description: &'a Option<Spanned<String>>,
    public: &'a Option<Spanned<bool>>,
    absent: &'a Option<Spanned<bool>>,
    prevent_destroy: &'a Option<Spanned<bool>>,
    mode: &'a Option<Spanned<String>>,
    permissions: &'a ast::BossPermissions,
}

/// Permission set name → (where its name is written, its entries with origins).
type PermissionSets = BTreeMap<String, (Origin, Vec<(String, Origin)>)>;

/// What the Boss checks need to know, gathered from every file first.
#[derive(Default)]
struct BossDecls {
    /// Group name → (where declared, where `absent: true` if it is a tombstone).
    groups: BTreeMap<String, (Origin, Option<Origin>)>,
    /// Set name → (where its name is written, its entries with origins).
    sets: PermissionSets,
    /// Frame name → where declared.
    frames: BTreeMap<String, Origin>,
}

impl Checker<'_> {
    fn boss_name(&mut self, file: usize, s: &Spanned<String>, what: &str) -> bool {
        if boss_name_ok(&s.value) {
            return true;
        }
        let o = self.at(file, s);
        let d = self
            .diag(
                codes::BOSS_NAME,
                &o,
                format!("Boss {what} name `{}` is not allowed", s.value),
            )
            .with_label("invalid Boss name")
            .with_help("Boss names are 1 to 255 characters from letters, digits, `_` and `-`");
        self.emit(d);
        false
    }

    fn boss(&mut self, files: &[Parsed<'_, ast::PolicyFile>]) -> Option<BossPolicy> {
        let mut first = None;
        let mut decls = BossDecls::default();
        // Pass 1: declarations (groups, sets, frames), with their own checks.
        for &(file, pf) in files {
            let Some(b) = &pf.boss else { continue };
            first.get_or_insert_with(|| self.at(file, b));
            let b = &b.value;
            for (k, set) in b.permission_sets.iter() {
                let o = self.at(file, k);
                if !self.claim(
                    format!("boss.permission_set.{}", k.value),
                    &o,
                    &format!("Boss permission set `{}`", k.value),
                ) {
                    continue;
                }
                if !self.boss_name(file, k, "permission set") {
                    continue;
                }
                if BOSS_PERMISSIONS.contains(&k.value.as_str())
                    || BOSS_VOLUMETRIC.contains(&k.value.as_str())
                {
                    let d = self
                        .diag(
                            codes::BOSS_PERMISSION,
                            &o,
                            format!(
                                "permission set `{}` has the name of a Boss permission",
                                k.value
                            ),
                        )
                        .with_label("shadows a permission")
                        .with_help("give the set another name, e.g. `reader`");
                    self.emit(d);
                    continue;
                }
                let entries = set
                    .value
                    .iter()
                    .map(|e| (e.value.clone(), self.at(file, e)))
                    .collect();
                decls.sets.insert(k.value.clone(), (o, entries));
            }
            for (k, g) in b.groups.iter() {
                let o = self.at(file, k);
                let key = format!("boss.group.{}", k.value);
                let what = format!("Boss group `{}`", k.value);
                if !self.boss_name(file, k, "group") {
                    continue;
                }
                if k.value == BOSS_PUBLIC_GROUP
                    || k.value == BOSS_ADMIN_GROUP
                    || k.value.ends_with("-primary")
                {
                    let d = self
                        .diag(
                            codes::BOSS_NAME,
                            &o,
                            format!("Boss group `{}` is made and managed by the Boss itself", k.value),
                        )
                        .with_label("system group")
                        .with_help("`admin`, `public` and each user's `<username>-primary` group are the Boss's own; choose another name");
                    self.emit(d);
                    continue;
                }
                let absent = match &g.absent {
                    Some(a) if a.value => {
                        let ao = self.at(file, a);
                        self.claim(format!("{key}.absent"), &ao, &format!("`absent` of {what}"))
                            .then_some(ao)
                    }
                    _ => None,
                };
                let entry = decls.groups.entry(k.value.clone()).or_insert((o, None));
                if absent.is_some() {
                    entry.1 = absent.clone();
                }
                let mut content = None;
                for (field, list) in [("members", &g.members), ("maintainers", &g.maintainers)] {
                    for u in list.iter().flatten() {
                        let uo = self.at(file, u);
                        content.get_or_insert(uo.clone());
                        if self.claim(
                            format!("{key}.{field}.{}", u.value),
                            &uo,
                            &format!("`{}` in `{field}` of {what}", u.value),
                        ) {
                            self.boss_name(file, u, "username");
                        }
                    }
                }
                self.mode(file, &g.mode, &key);
                if let (Some(a), Some(c)) = (decls.groups[&k.value].1.clone(), content) {
                    let d = self
                        .diag(codes::ABSENT_WITH_CONTENT, &c, format!("{what} is marked `absent: true` but also lists members"))
                        .with_label("member of a deleted group")
                        .also_at(self.files, &a, "marked absent here")
                        .with_help("a tombstone deletes the group: remove its members, or remove `absent: true`");
                    self.emit(d);
                }
            }
            for (k, f) in b.coordinate_frames.iter() {
                let o = self.at(file, k);
                if !self.claim(
                    format!("boss.coordinate_frame.{}", k.value),
                    &o,
                    &format!("Boss coordinate frame `{}`", k.value),
                ) {
                    continue;
                }
                if self.boss_name(file, k, "coordinate frame") {
                    decls.frames.insert(k.value.clone(), o);
                }
                self.frame(file, &k.value, &f.value);
            }
        }
        first.as_ref()?;
        self.set_cycles(&decls);
        // Pass 2: resources.
        for &(file, pf) in files {
            let Some(b) = &pf.boss else { continue };
            for (ck, c) in b.value.collections.iter() {
                let key = format!("boss.collection.{}", ck.value);
                if !self.boss_name(file, ck, "collection") {
                    continue;
                }
                self.boss_resource_common(
                    file,
                    &key,
                    &format!("Boss collection `{}`", ck.value),
                    &c.description,
                    &c.public,
                    &c.prevent_destroy,
                    &c.absent,
                    &c.mode,
                );
                self.boss_permissions(file, &key, &c.permissions, BossLevel::Collection, &decls);
                for (ek, e) in c.experiments.iter() {
                    let ekey = format!("{key}.experiment.{}", ek.value);
                    let ewhat = format!("Boss experiment `{}/{}`", ck.value, ek.value);
                    if !self.boss_name(file, ek, "experiment") {
                        continue;
                    }
                    self.boss_resource_common(
                        file,
                        &ekey,
                        &ewhat,
                        &e.description,
                        &e.public,
                        &e.prevent_destroy,
                        &e.absent,
                        &e.mode,
                    );
                    self.experiment(file, &ekey, &ewhat, e, &decls);
                    self.boss_permissions(
                        file,
                        &ekey,
                        &e.permissions,
                        BossLevel::Experiment,
                        &decls,
                    );
                    for (hk, h) in e.channels.iter() {
                        let hkey = format!("{ekey}.channel.{}", hk.value);
                        let hwhat =
                            format!("Boss channel `{}/{}/{}`", ck.value, ek.value, hk.value);
                        if !self.boss_name(file, hk, "channel") {
                            continue;
                        }
                        self.boss_resource_common(
                            file,
                            &hkey,
                            &hwhat,
                            &h.description,
                            &h.public,
                            &h.prevent_destroy,
                            &h.absent,
                            &h.mode,
                        );
                        self.channel(file, &hkey, &hwhat, h);
                        self.boss_permissions(
                            file,
                            &hkey,
                            &h.permissions,
                            BossLevel::Channel,
                            &decls,
                        );
                    }
                }
            }
        }
        self.boss_required(files, &decls);
        let origin = first?;
        Some(self.boss_lower(files, &decls, origin))
    }

    /// Lowers the checked `boss:` sections of every file into one [`BossPolicy`]. Leaves were
    /// claimed once by the checks, so merging is a union; entries the checks refused are
    /// lowered as written (the load fails on the diagnostics anyway).
    fn boss_lower(
        &self,
        files: &[Parsed<'_, ast::PolicyFile>],
        decls: &BossDecls,
        origin: Origin,
    ) -> BossPolicy {
        let mut out = BossPolicy {
            origin,
            groups: BTreeMap::new(),
            frames: BTreeMap::new(),
            resources: BTreeMap::new(),
        };
        let located = |file: usize, s: &Spanned<String>| Located {
            value: s.value.clone(),
            origin: self.at(file, s),
        };
        for &(file, pf) in files {
            let Some(b) = &pf.boss else { continue };
            for (k, g) in b.value.groups.iter() {
                let entry = out
                    .groups
                    .entry(k.value.clone())
                    .or_insert_with(|| BossGroupPolicy {
                        name: k.value.clone(),
                        origin: self.at(file, k),
                        absent: false,
                        members: Vec::new(),
                        maintainers: Vec::new(),
                        ownership: Ownership::default(),
                    });
                entry.absent |= g.absent.as_ref().is_some_and(|a| a.value);
                entry
                    .members
                    .extend(g.members.iter().flatten().map(|u| located(file, u)));
                entry
                    .maintainers
                    .extend(g.maintainers.iter().flatten().map(|u| located(file, u)));
                if let Some(m) = self.lowered_mode(file, &g.mode) {
                    entry.ownership.mode = Some(m);
                }
            }
            for (k, f) in b.value.coordinate_frames.iter() {
                let f = &f.value;
                let mut fields: BTreeMap<String, serde_json::Value> = [
                    ("x_start", f.x_start.value.into()),
                    ("x_stop", f.x_stop.value.into()),
                    ("y_start", f.y_start.value.into()),
                    ("y_stop", f.y_stop.value.into()),
                    ("z_start", f.z_start.value.into()),
                    ("z_stop", f.z_stop.value.into()),
                    ("x_voxel_size", f.x_voxel_size.value.into()),
                    ("y_voxel_size", f.y_voxel_size.value.into()),
                    ("z_voxel_size", f.z_voxel_size.value.into()),
                    ("voxel_unit", f.voxel_unit.value.clone().into()),
                ]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect();
                if let Some(d) = &f.description {
                    fields.insert("description".into(), d.value.clone().into());
                }
                out.frames.insert(
                    k.value.clone(),
                    BossFramePolicy {
                        name: k.value.clone(),
                        origin: self.at(file, k),
                        fields,
                    },
                );
            }
            for (ck, c) in b.value.collections.iter() {
                let common = ResourceCommon {
                    description: &c.description,
                    public: &c.public,
                    absent: &c.absent,
                    prevent_destroy: &c.prevent_destroy,
                    mode: &c.mode,
                    permissions: &c.permissions,
                };
                self.boss_resource(&mut out, file, ck, ck.value.clone(), common, decls);
                for (ek, e) in c.experiments.iter() {
                    let path = format!("{}/{}", ck.value, ek.value);
                    let common = ResourceCommon {
                        description: &e.description,
                        public: &e.public,
                        absent: &e.absent,
                        prevent_destroy: &e.prevent_destroy,
                        mode: &e.mode,
                        permissions: &e.permissions,
                    };
                    let r = self.boss_resource(&mut out, file, ek, path.clone(), common, decls);
                    let str_field = |v: &Option<Spanned<String>>| {
                        v.as_ref()
                            .map(|s| (serde_json::Value::from(s.value.clone()), self.at(file, s)))
                    };
                    let int_field = |v: &Option<Spanned<i64>>| {
                        v.as_ref()
                            .map(|s| (serde_json::Value::from(s.value), self.at(file, s)))
                    };
                    for (name, v) in [
                        ("coord_frame", str_field(&e.coord_frame)),
                        ("hierarchy_method", str_field(&e.hierarchy_method)),
                        ("time_step_unit", str_field(&e.time_step_unit)),
                        ("num_hierarchy_levels", int_field(&e.num_hierarchy_levels)),
                        ("num_time_samples", int_field(&e.num_time_samples)),
                        ("time_step", int_field(&e.time_step)),
                    ] {
                        if let Some((value, origin)) = v {
                            r.fields.insert(name.into(), Located { value, origin });
                        }
                    }
                    for (hk, h) in e.channels.iter() {
                        let path = format!("{path}/{}", hk.value);
                        let common = ResourceCommon {
                            description: &h.description,
                            public: &h.public,
                            absent: &h.absent,
                            prevent_destroy: &h.prevent_destroy,
                            mode: &h.mode,
                            permissions: &h.permissions,
                        };
                        let r = self.boss_resource(&mut out, file, hk, path, common, decls);
                        for (name, v) in [
                            ("type", str_field(&h.channel_type)),
                            ("datatype", str_field(&h.datatype)),
                            ("default_time_sample", int_field(&h.default_time_sample)),
                            ("base_resolution", int_field(&h.base_resolution)),
                        ] {
                            if let Some((value, origin)) = v {
                                r.fields.insert(name.into(), Located { value, origin });
                            }
                        }
                        for (name, list) in [("sources", &h.sources), ("related", &h.related)] {
                            let Some(list) = list else { continue };
                            let mut names: Vec<String> =
                                list.iter().map(|s| s.value.clone()).collect();
                            names.sort();
                            let origin = list
                                .first()
                                .map(|s| self.at(file, s))
                                .unwrap_or_else(|| self.at(file, hk));
                            r.fields.insert(
                                name.into(),
                                Located {
                                    value: names.into(),
                                    origin,
                                },
                            );
                            let links = list.iter().map(|s| located(file, s));
                            r.links.entry(name.into()).or_default().extend(links);
                        }
                    }
                }
            }
        }
        out
    }

    /// The resource at `path`, created on first sight and merged with what `common` sets.
    fn boss_resource<'o>(
        &self,
        out: &'o mut BossPolicy,
        file: usize,
        key: &Spanned<String>,
        path: String,
        common: ResourceCommon<'_>,
        decls: &BossDecls,
    ) -> &'o mut BossResourcePolicy {
        let origin = self.at(file, key);
        let r = out
            .resources
            .entry(path.clone())
            .or_insert_with(|| BossResourcePolicy {
                level: BossLevel::of_path(&path),
                path,
                origin,
                absent: false,
                fields: BTreeMap::new(),
                links: BTreeMap::new(),
                permissions: Vec::new(),
                ownership: Ownership::default(),
            });
        r.absent |= common.absent.as_ref().is_some_and(|a| a.value);
        if let Some(d) = common.description {
            r.fields.insert(
                "description".into(),
                Located {
                    value: d.value.clone().into(),
                    origin: self.at(file, d),
                },
            );
        }
        if let Some(p) = common.public {
            r.fields.insert(
                "public".into(),
                Located {
                    value: p.value.into(),
                    origin: self.at(file, p),
                },
            );
        }
        if let Some(p) = common.prevent_destroy {
            r.ownership.prevent_destroy = Some(p.value);
        }
        if let Some(m) = self.lowered_mode(file, common.mode) {
            r.ownership.mode = Some(m);
        }
        for (g, v) in common.permissions.iter() {
            let names: Vec<&str> = match &v.value {
                PermissionValue::One(s) => vec![s.as_str()],
                PermissionValue::Many(list) => list.iter().map(|s| s.value.as_str()).collect(),
            };
            let mut permissions = BTreeSet::new();
            for n in names {
                if decls.sets.contains_key(n) {
                    permissions.extend(expand_set(n, &decls.sets));
                } else {
                    permissions.insert(n.to_string());
                }
            }
            r.permissions.push(BossGrant {
                group: Located {
                    value: g.value.clone(),
                    origin: self.at(file, g),
                },
                permissions,
                origin: self.at(file, v),
            });
        }
        r
    }

    /// A checked `mode:` value, lowered.
    fn lowered_mode(
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

    #[allow(clippy::too_many_arguments)]
    fn boss_resource_common(
        &mut self,
        file: usize,
        key: &str,
        what: &str,
        description: &Option<Spanned<String>>,
        public: &Option<Spanned<bool>>,
        prevent_destroy: &Option<Spanned<bool>>,
        absent: &Option<Spanned<bool>>,
        mode: &Option<Spanned<String>>,
    ) {
        if let Some(d) = description {
            let o = self.at(file, d);
            if self.claim(
                format!("{key}.description"),
                &o,
                &format!("`description` of {what}"),
            ) && d.value.chars().count() > 4096
            {
                let e = self
                    .diag(
                        codes::INVALID_VALUE,
                        &o,
                        format!("description of {what} is longer than 4096 characters"),
                    )
                    .with_label("too long");
                self.emit(e);
            }
        }
        for (field, v) in [
            ("public", public),
            ("prevent_destroy", prevent_destroy),
            ("absent", absent),
        ] {
            if let Some(v) = v {
                let o = self.at(file, v);
                self.claim(
                    format!("{key}.{field}"),
                    &o,
                    &format!("`{field}` of {what}"),
                );
            }
        }
        self.mode(file, mode, key);
    }

    fn frame(&mut self, file: usize, name: &str, f: &ast::CoordinateFrame) {
        for (axis, start, stop) in [
            ("x", &f.x_start, &f.x_stop),
            ("y", &f.y_start, &f.y_stop),
            ("z", &f.z_start, &f.z_stop),
        ] {
            let stop_name = format!("coordinate frame `{name}`: {axis}_stop");
            if !self.in_range(file, stop, &stop_name, 1..=range::INT32_MAX, None) {
                continue;
            }
            if start.value < 0 || stop.value <= start.value {
                let o = self.at(file, stop);
                let d = self
                    .diag(codes::INVALID_VALUE, &o, format!("coordinate frame `{name}`: {axis}_stop {} must be greater than {axis}_start {} (and both at least 0)", stop.value, start.value))
                    .with_label("empty or negative extent")
                    .with_help("`*_stop` is exclusive: a frame of 2048 voxels along x is `x_start: 0, x_stop: 2048`");
                self.emit(d);
            }
        }
        for (axis, size) in [
            ("x", &f.x_voxel_size),
            ("y", &f.y_voxel_size),
            ("z", &f.z_voxel_size),
        ] {
            if !(size.value.is_finite() && size.value > 0.0) {
                let o = self.at(file, size);
                let d = self
                    .diag(
                        codes::INVALID_VALUE,
                        &o,
                        format!("coordinate frame `{name}`: {axis}_voxel_size must be positive"),
                    )
                    .with_label("not a positive size");
                self.emit(d);
            }
        }
        self.one_of(
            file,
            &f.voxel_unit,
            &VOXEL_UNITS,
            codes::INVALID_VALUE,
            "voxel unit",
        );
    }

    fn experiment(
        &mut self,
        file: usize,
        key: &str,
        what: &str,
        e: &ast::BossExperiment,
        decls: &BossDecls,
    ) {
        if let Some(cf) = &e.coord_frame {
            let o = self.at(file, cf);
            if self.claim(
                format!("{key}.coord_frame"),
                &o,
                &format!("`coord_frame` of {what}"),
            ) && !decls.frames.contains_key(&cf.value)
            {
                let d = self
                    .diag(
                        codes::BOSS_COORD_FRAME,
                        &o,
                        format!(
                            "coordinate frame `{}` is not declared under `boss.coordinate_frames`",
                            cf.value
                        ),
                    )
                    .with_label("undeclared coordinate frame")
                    .with_help_opt(Some(
                        match closest(&cf.value, decls.frames.keys().map(String::as_str)) {
                            Some(c) => format!("did you mean `{c}`?"),
                            None => "declare the frame under `boss.coordinate_frames`".into(),
                        },
                    ));
                self.emit(d);
            }
        }
        self.claimed_one_of(
            file,
            key,
            what,
            "hierarchy_method",
            e.hierarchy_method.as_ref(),
            &HIERARCHY_METHODS,
            codes::INVALID_VALUE,
            "hierarchy method",
        );
        self.claimed_one_of(
            file,
            key,
            what,
            "time_step_unit",
            e.time_step_unit.as_ref(),
            &TIME_STEP_UNITS,
            codes::INVALID_VALUE,
            "time step unit",
        );
        for (field, v, min) in [
            ("num_hierarchy_levels", &e.num_hierarchy_levels, 1),
            ("num_time_samples", &e.num_time_samples, 1),
            ("time_step", &e.time_step, 0),
        ] {
            if let Some(v) = v {
                let o = self.at(file, v);
                let name = format!("`{field}` of {what}");
                if self.claim(format!("{key}.{field}"), &o, &name) {
                    self.in_range(file, v, &name, min..=range::INT32_MAX, None);
                }
            }
        }
    }

    fn channel(&mut self, file: usize, key: &str, what: &str, h: &ast::BossChannel) {
        self.claimed_one_of(
            file,
            key,
            what,
            "type",
            h.channel_type.as_ref(),
            &CHANNEL_TYPES,
            codes::INVALID_VALUE,
            "channel type",
        );
        self.claimed_one_of(
            file,
            key,
            what,
            "datatype",
            h.datatype.as_ref(),
            &DATATYPES,
            codes::INVALID_VALUE,
            "channel datatype",
        );
        for (field, v) in [
            ("default_time_sample", &h.default_time_sample),
            ("base_resolution", &h.base_resolution),
        ] {
            if let Some(v) = v {
                let o = self.at(file, v);
                let name = format!("`{field}` of {what}");
                if self.claim(format!("{key}.{field}"), &o, &name) {
                    self.in_range(file, v, &name, 0..=range::INT32_MAX, None);
                }
            }
        }
        for (field, v) in [("sources", &h.sources), ("related", &h.related)] {
            for s in v.iter().flatten() {
                let o = self.at(file, s);
                if self.claim(
                    format!("{key}.{field}.{}", s.value),
                    &o,
                    &format!("`{}` in `{field}` of {what}", s.value),
                ) {
                    self.boss_name(file, s, "channel");
                }
            }
        }
    }

    /// Checks one resource's `permissions:`.
    fn boss_permissions(
        &mut self,
        file: usize,
        key: &str,
        perms: &ast::BossPermissions,
        level: BossLevel,
        decls: &BossDecls,
    ) {
        for (g, v) in perms.iter() {
            let go = self.at(file, g);
            if !self.claim(
                format!("{key}.permissions.{}", g.value),
                &go,
                &format!(
                    "permissions of Boss group `{}` on this {}",
                    g.value,
                    level.word()
                ),
            ) {
                continue;
            }
            let is_public = g.value == BOSS_PUBLIC_GROUP;
            match decls.groups.get(&g.value) {
                _ if is_public => {}
                None => {
                    let d = self
                        .diag(codes::BOSS_UNDECLARED_GROUP, &go, format!("Boss group `{}` is not declared under `boss.groups`", g.value))
                        .with_label("undeclared Boss group")
                        .with_help(match closest(&g.value, decls.groups.keys().map(String::as_str)) {
                            Some(c) => format!("did you mean `{c}`?"),
                            None => "declare it under `boss.groups` (Boss groups are a namespace of their own, apart from Globus groups)".into(),
                        });
                    self.emit(d);
                }
                Some((_, Some(absent_at))) => {
                    let d = self
                        .diag(
                            codes::ABSENT_GROUP,
                            &go,
                            format!(
                                "Boss group `{}` is marked `absent: true`, which accord deletes",
                                g.value
                            ),
                        )
                        .with_label("reference to a deleted group")
                        .also_at(self.files, absent_at, "marked absent here");
                    self.emit(d);
                }
                Some(_) => {}
            }
            let items: Vec<(String, Origin)> = match &v.value {
                PermissionValue::One(s) => vec![(s.clone(), self.at(file, v))],
                PermissionValue::Many(list) => list
                    .iter()
                    .map(|s| (s.value.clone(), self.at(file, s)))
                    .collect(),
            };
            let mut seen: BTreeMap<String, Origin> = BTreeMap::new();
            for (name, o) in items {
                if let Some(first) = seen.get(&name) {
                    let d = self
                        .diag(
                            codes::DEFINED_TWICE,
                            &o,
                            format!("`{name}` is listed twice for Boss group `{}`", g.value),
                        )
                        .with_label("listed again")
                        .also_at(self.files, first, "first listed here");
                    self.emit(d);
                    continue;
                }
                seen.insert(name.clone(), o.clone());
                let granted: BTreeSet<String> = if BOSS_PERMISSIONS.contains(&name.as_str())
                    || BOSS_VOLUMETRIC.contains(&name.as_str())
                {
                    [name.clone()].into()
                } else if let Some((set_at, _)) = decls.sets.get(&name) {
                    let set_at = set_at.clone();
                    let perms = expand_set(&name, &decls.sets);
                    if level != BossLevel::Channel
                        && let Some(vol) =
                            perms.iter().find(|p| BOSS_VOLUMETRIC.contains(&p.as_str()))
                    {
                        let d = self
                            .diag(codes::BOSS_VOLUMETRIC, &o, format!("permission set `{name}` grants `{vol}`, which only channels take, on a Boss {}", level.word()))
                            .with_label("volumetric permission above channel level")
                            .also_at(self.files, &set_at, "set defined here")
                            .with_help("grant volumetric permissions on channels; on collections and experiments use a set without them");
                        self.emit(d);
                    }
                    perms
                } else if name == "maintain_group" {
                    let d = self
                        .diag(
                            codes::BOSS_PERMISSION,
                            &o,
                            "`maintain_group` is a permission on Boss groups, not on resources",
                        )
                        .with_label("not a resource permission")
                        .with_help(
                            "list the group's maintainers under `boss.groups.<name>.maintainers`",
                        );
                    self.emit(d);
                    continue;
                } else {
                    let candidates = BOSS_PERMISSIONS
                        .iter()
                        .chain(BOSS_VOLUMETRIC.iter())
                        .copied()
                        .chain(decls.sets.keys().map(String::as_str));
                    let d = self
                        .diag(codes::BOSS_PERMISSION, &o, format!("`{name}` is neither a Boss permission nor a permission set"))
                        .with_label("unknown permission")
                        .with_help(match closest(&name, candidates) {
                            Some(c) => format!("did you mean `{c}`?"),
                            None => format!("Boss permissions are {}, {}; or declare a set under `boss.permission_sets`", BOSS_PERMISSIONS.join(", "), BOSS_VOLUMETRIC.join(", ")),
                        });
                    self.emit(d);
                    continue;
                };
                if level != BossLevel::Channel && BOSS_VOLUMETRIC.contains(&name.as_str()) {
                    let d = self
                        .diag(
                            codes::BOSS_VOLUMETRIC,
                            &o,
                            format!(
                                "`{name}` is a channel permission; a Boss {} cannot take it",
                                level.word()
                            ),
                        )
                        .with_label("volumetric permission above channel level")
                        .with_help("grant volumetric permissions on the channels of this resource");
                    self.emit(d);
                }
                if is_public
                    && let Some(bad) = granted
                        .iter()
                        .find(|p| *p != "read" && *p != "read_volumetric_data")
                {
                    let d = self
                        .diag(codes::BOSS_PERMISSION, &o, format!("the Boss `public` group can only have read permissions, not `{bad}`"))
                        .with_label("not a read permission")
                        .with_help("grant `public` only `read` and `read_volumetric_data`");
                    self.emit(d);
                }
            }
        }
    }

    /// Reports each cycle between permission sets once, naming every member.
    fn set_cycles(&mut self, decls: &BossDecls) {
        let mut graph = DiGraph::<&str, ()>::new();
        let nodes: BTreeMap<&str, _> = decls
            .sets
            .keys()
            .map(|k| (k.as_str(), graph.add_node(k.as_str())))
            .collect();
        for (name, (_, entries)) in &decls.sets {
            for (e, _) in entries {
                if let Some(&to) = nodes.get(e.as_str()) {
                    graph.add_edge(nodes[name.as_str()], to, ());
                }
            }
        }
        for scc in petgraph::algo::tarjan_scc(&graph) {
            let is_cycle = scc.len() > 1 || graph.contains_edge(scc[0], scc[0]);
            if !is_cycle {
                continue;
            }
            let mut members: Vec<&str> = scc.iter().map(|n| graph[*n]).collect();
            members.sort_unstable();
            let (first_at, _) = &decls.sets[members[0]];
            let msg = if members.len() == 1 {
                format!("permission set `{}` includes itself", members[0])
            } else {
                let all = join_and(members.iter().map(|m| format!("`{m}`")));
                format!("permission sets {all} include each other in a cycle")
            };
            let mut d = self
                .diag(codes::BOSS_SET_CYCLE, first_at, msg)
                .with_label("part of the cycle")
                .with_help("a permission set may include other sets, but not itself, directly or through others");
            for m in &members[1..] {
                let (at, _) = &decls.sets[*m];
                d = d.also_at(self.files, at, "part of the cycle");
            }
            self.emit(d);
        }
        // Entries that are neither permissions nor sets.
        for (name, (_, entries)) in &decls.sets {
            for (e, o) in entries {
                if BOSS_PERMISSIONS.contains(&e.as_str())
                    || BOSS_VOLUMETRIC.contains(&e.as_str())
                    || decls.sets.contains_key(e)
                {
                    continue;
                }
                let candidates = BOSS_PERMISSIONS
                    .iter()
                    .chain(BOSS_VOLUMETRIC.iter())
                    .copied()
                    .chain(decls.sets.keys().map(String::as_str));
                let d = self
                    .diag(codes::BOSS_PERMISSION, o, format!("`{e}` in permission set `{name}` is neither a Boss permission nor a permission set"))
                    .with_label("unknown permission")
                    .with_help(match closest(e, candidates) {
                        Some(c) => format!("did you mean `{c}`?"),
                        None => format!("Boss permissions are {}, {}", BOSS_PERMISSIONS.join(", "), BOSS_VOLUMETRIC.join(", ")),
                    });
                self.emit(d);
            }
        }
    }

    /// After merging: experiments need a frame, channels a type and datatype.
    fn boss_required(&mut self, files: &[Parsed<'_, ast::PolicyFile>], _decls: &BossDecls) {
        // name path → (first key origin, fields seen, absent)
        let mut seen: BTreeMap<String, (Origin, BTreeSet<&'static str>, bool, &'static str)> =
            BTreeMap::new();
        for &(file, pf) in files {
            let Some(b) = &pf.boss else { continue };
            for (ck, c) in b.value.collections.iter() {
                for (ek, e) in c.experiments.iter() {
                    let path = format!("{}/{}", ck.value, ek.value);
                    let o = self.at(file, ek);
                    let entry = seen.entry(path.clone()).or_insert((
                        o,
                        BTreeSet::new(),
                        false,
                        "experiment",
                    ));
                    if e.coord_frame.is_some() {
                        entry.1.insert("coord_frame");
                    }
                    entry.2 |= e.absent.as_ref().is_some_and(|a| a.value);
                    for (hk, h) in e.channels.iter() {
                        let o = self.at(file, hk);
                        let entry = seen.entry(format!("{path}/{}", hk.value)).or_insert((
                            o,
                            BTreeSet::new(),
                            false,
                            "channel",
                        ));
                        if h.channel_type.is_some() {
                            entry.1.insert("type");
                        }
                        if h.datatype.is_some() {
                            entry.1.insert("datatype");
                        }
                        entry.2 |= h.absent.as_ref().is_some_and(|a| a.value);
                    }
                }
            }
        }
        for (path, (o, fields, absent, kind)) in seen {
            if absent {
                continue;
            }
            let need: &[&str] = if kind == "experiment" {
                &["coord_frame"]
            } else {
                &["type", "datatype"]
            };
            let missing: Vec<String> = need
                .iter()
                .filter(|f| !fields.contains(*f))
                .map(|f| format!("`{f}`"))
                .collect();
            if !missing.is_empty() {
                let d = self
                    .diag(codes::MISSING, &o, format!("Boss {kind} `{path}` lacks {}", join_and(missing.into_iter())))
                    .with_label(format!("incomplete {kind}"))
                    .with_help(if kind == "experiment" {
                        "an experiment needs `coord_frame`, a frame declared under `boss.coordinate_frames`"
                    } else {
                        "a channel needs `type` (image, annotation) and `datatype` (uint8, uint16, uint64)"
                    });
                self.emit(d);
            }
        }
    }
}

/// The permissions a set grants, following nested sets (cycles are cut; they are reported
/// separately).
fn expand_set(name: &str, sets: &PermissionSets) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut stack = vec![name.to_string()];
    let mut visited = BTreeSet::new();
    while let Some(s) = stack.pop() {
        if !visited.insert(s.clone()) {
            continue;
        }
        if let Some((_, entries)) = sets.get(&s) {
            for (e, _) in entries {
                if sets.contains_key(e) {
                    stack.push(e.clone());
                } else {
                    out.insert(e.clone());
                }
            }
        }
    }
    out
}

// ---------------------------------------------------------------- accord.yaml

impl Checker<'_> {
    /// Checks and lowers `accord.yaml`; `policies` are the effective globs.
    pub(crate) fn config(
        &mut self,
        file: usize,
        wf: &ast::WorkspaceFile,
        policies: Vec<String>,
    ) -> WorkspaceConfig {
        let mut cfg = WorkspaceConfig {
            policies,
            ..WorkspaceConfig::default()
        };
        for (name, t) in wf.targets.iter() {
            let o = self.at(file, name);
            if name.value.is_empty() || name.value.contains("://") {
                let d = self
                    .diag(
                        codes::BAD_TARGET,
                        &o,
                        format!("target name `{}` is not allowed", name.value),
                    )
                    .with_label("bad target name")
                    .with_help(
                        "`--target` takes a name or a URL: a name cannot be empty or contain `://`",
                    );
                self.emit(d);
                continue;
            }
            let embedded = t.embedded.as_ref().map(|e| e.value);
            let real = t.globus.is_some() || t.boss.is_some();
            match (embedded, real) {
                (Some(true), false) => match &t.seed {
                    Some(seed) if !seed.value.is_empty() => {
                        cfg.targets.insert(
                            name.value.clone(),
                            TargetConfig::Embedded {
                                seed: PathBuf::from(&seed.value),
                            },
                        );
                    }
                    Some(seed) => {
                        let so = self.at(file, seed);
                        let d = self
                            .diag(codes::BAD_TARGET, &so, "the seed file name is empty")
                            .with_label("empty seed");
                        self.emit(d);
                    }
                    None => {
                        let d = self
                            .diag(
                                codes::BAD_TARGET,
                                &o,
                                format!("embedded target `{}` needs a `seed` file", name.value),
                            )
                            .with_label("no seed")
                            .with_help("write `{ embedded: true, seed: live.yaml }`");
                        self.emit(d);
                    }
                },
                (Some(_), true) => {
                    let d = self
                        .diag(codes::BAD_TARGET, &o, format!("target `{}` is both embedded and real", name.value))
                        .with_label("ambiguous target")
                        .with_help("a target is either `{ embedded: true, seed: FILE }` or `{ globus: {}, boss: { url: … } }`");
                    self.emit(d);
                }
                (Some(false), false) => {
                    let eo = self.at(file, t.embedded.as_ref().expect("matched Some"));
                    let d = self
                        .diag(
                            codes::BAD_TARGET,
                            &eo,
                            format!(
                                "target `{}` says `embedded: false` but names no real service",
                                name.value
                            ),
                        )
                        .with_label("no service")
                        .with_help(
                            "write `{ globus: {} }` (and `boss: { url: … }`) for the real services",
                        );
                    self.emit(d);
                }
                (None, true) => {
                    if let Some(seed) = &t.seed {
                        let so = self.at(file, seed);
                        let d = self
                            .diag(codes::BAD_TARGET, &so, "`seed` is only for embedded targets")
                            .with_label("seed on a real target")
                            .with_help("remove `seed`, or write `embedded: true` instead of the real services");
                        self.emit(d);
                        continue;
                    }
                    if let Some(b) = &t.boss {
                        let u = &b.value.url;
                        match url::Url::parse(&u.value) {
                            Ok(parsed)
                                if matches!(parsed.scheme(), "https" | "http")
                                    && parsed.host().is_some() =>
                            {
                                cfg.boss_urls.insert(name.value.clone(), u.value.clone());
                            }
                            _ => {
                                let uo = self.at(file, u);
                                let d = self
                                    .diag(
                                        codes::BAD_TARGET,
                                        &uo,
                                        format!("Boss URL `{}` is not an http(s) URL", u.value),
                                    )
                                    .with_label("bad URL")
                                    .with_help("write e.g. `https://api.theboss.io`");
                                self.emit(d);
                                continue;
                            }
                        }
                    }
                    cfg.targets.insert(name.value.clone(), TargetConfig::Globus);
                }
                (None, false) => {
                    let d = self
                        .diag(codes::BAD_TARGET, &o, format!("target `{}` names no service", name.value))
                        .with_label("empty target")
                        .with_help("write `{ embedded: true, seed: FILE }` or `{ globus: {}, boss: { url: … } }`");
                    self.emit(d);
                }
            }
        }
        if let Some(dt) = &wf.default_target {
            let o = self.at(file, dt);
            if wf.targets.iter().any(|(k, _)| k.value == dt.value) {
                cfg.default_target = Some(dt.value.clone());
            } else {
                let d = self
                    .diag(
                        codes::BAD_TARGET,
                        &o,
                        format!(
                            "default_target `{}` is not a target of this workspace",
                            dt.value
                        ),
                    )
                    .with_label("unknown target")
                    .with_help(
                        match closest(&dt.value, wf.targets.iter().map(|(k, _)| k.value.as_str())) {
                            Some(c) => format!("did you mean `{c}`?"),
                            None => "name one of the entries under `targets:`".into(),
                        },
                    );
                self.emit(d);
            }
        }
        cfg
    }

    /// Checks and lowers `safety:` (after the policy files, since `protect` may use aliases).
    pub(crate) fn safety(&mut self, file: usize, s: &ast::SafetyFile) -> Safety {
        let mut safety = Safety::default();
        if let Some(m) = &s.max_deletes {
            match u32::try_from(m.value) {
                Ok(v) => safety.max_deletes = v,
                Err(_) => {
                    let o = self.at(file, m);
                    let d = self
                        .diag(
                            codes::BAD_SAFETY,
                            &o,
                            format!("max_deletes {} is not a count", m.value),
                        )
                        .with_label("not a count")
                        .with_help("write a whole number, 0 or more");
                    self.emit(d);
                }
            }
        }
        if let Some(m) = &s.max_delete_share {
            if (0.0..=1.0).contains(&m.value) {
                safety.max_delete_share = m.value;
            } else {
                let o = self.at(file, m);
                let d = self
                    .diag(
                        codes::BAD_SAFETY,
                        &o,
                        format!(
                            "max_delete_share {} is not a share between 0 and 1",
                            m.value
                        ),
                    )
                    .with_label("not a share")
                    .with_help("write e.g. `0.25` for 25%");
                self.emit(d);
            }
        }
        for p in s.protect.iter().flatten() {
            let o = self.at(file, p);
            if !self.claim(
                format!("safety.protect.{}", p.value),
                &o,
                &format!("`{}` in safety.protect", p.value),
            ) {
                continue;
            }
            if let Some(lp) = self.principal(file, p, PrincipalContext::Protect)
                && self.same_person("safety.protect", &p.value, &lp)
            {
                safety.protect.push(lp);
            }
        }
        for entry in s.allow.iter().flatten() {
            let origin = self.at(file, entry);
            let e = &entry.value;
            let mut missing = Vec::new();
            if e.rail.is_none() {
                missing.push("`rail`");
            }
            if e.up_to.is_none() {
                missing.push("`up_to`");
            }
            if e.reason.as_ref().is_none_or(|r| r.value.trim().is_empty()) {
                missing.push("`reason`");
            }
            if e.until.is_none() {
                missing.push("`until`");
            }
            if !missing.is_empty() {
                let d = self
                    .diag(codes::BAD_SAFETY, &origin, format!("safety.allow entry lacks {}", join_and(missing.into_iter().map(str::to_string))))
                    .with_label("incomplete override")
                    .with_help("an override is reviewed and expires: write `{ rail: max_deletes, up_to: 40, reason: \"…\", until: 2026-12-15 }`");
                self.emit(d);
                continue;
            }
            let (rail, up_to, reason, until) = (
                e.rail.as_ref().expect("checked"),
                e.up_to.as_ref().expect("checked"),
                e.reason.as_ref().expect("checked"),
                e.until.as_ref().expect("checked"),
            );
            if !self.one_of(file, rail, &RAILS, codes::BAD_SAFETY, "rail") {
                continue;
            }
            let limit_ok = if rail.value == "max_deletes" {
                up_to.value >= 0.0 && up_to.value.fract() == 0.0
            } else {
                (0.0..=1.0).contains(&up_to.value)
            };
            if !limit_ok {
                let o = self.at(file, up_to);
                let d = self
                    .diag(codes::BAD_SAFETY, &o, format!("up_to {} does not fit rail `{}`", up_to.value, rail.value))
                    .with_label("bad limit")
                    .with_help("`max_deletes` takes a whole number; `max_delete_share` a share between 0 and 1");
                self.emit(d);
                continue;
            }
            let until_t = match parse_until(&until.value) {
                Ok(t) => t,
                Err(_) => {
                    let o = self.at(file, until);
                    let d = self
                        .diag(codes::BAD_TIMESTAMP, &o, format!("until `{}` is neither a date nor an RFC 3339 timestamp with a timezone", until.value))
                        .with_label("bad date")
                        .with_help("write a date such as `2026-12-15` (through the end of that day, UTC) or `2026-12-15T18:00:00Z`");
                    self.emit(d);
                    continue;
                }
            };
            safety.allow.push(Override {
                rail: rail.value.clone(),
                up_to: up_to.value,
                reason: reason.value.clone(),
                until: until_t,
                origin,
            });
        }
        safety
    }

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
mod merge_tests {
    use super::*;

    /// Parses in-memory files and runs the merge and checks over them.
    fn check(files: &[(&str, &str)]) -> (Policy, Vec<String>) {
        let sources: Vec<SourceFile> = files
            .iter()
            .map(|(p, t)| SourceFile {
                path: std::path::Path::new(p).into(),
                text: t.to_string(),
            })
            .collect();
        let parsed: Vec<(usize, ast::PolicyFile)> = sources
            .iter()
            .enumerate()
            .map(|(i, f)| (i, serde_saphyr::from_str(&f.text).expect("valid YAML")))
            .collect();
        let refs: Vec<(usize, &ast::PolicyFile)> = parsed.iter().map(|(i, p)| (*i, p)).collect();
        let mut c = Checker::new(&sources);
        let policy = c.policy(&refs);
        (policy, c.diags.iter().map(|d| d.to_string()).collect())
    }

    #[test]
    fn a_group_spreads_over_files() {
        let (p, errs) = check(&[
            (
                "a.yaml",
                "groups:\n  lab:\n    description: Lab\n    policies: { group_visibility: private }\n",
            ),
            (
                "b.yaml",
                "groups:\n  lab:\n    members: { a@b.org: member }\n    policies: { join_requests: true }\n",
            ),
        ]);
        assert!(errs.is_empty(), "{errs:?}");
        let lab = &p.groups["lab"];
        assert_eq!(lab.description.as_ref().unwrap().value, "Lab");
        assert_eq!(lab.members.len(), 1);
        let pol = &lab.policies.as_ref().unwrap().value;
        assert_eq!(pol.group_visibility.as_deref(), Some("private"));
        assert_eq!(pol.join_requests, Some(true));
        assert_eq!(&*lab.origin.path, std::path::Path::new("a.yaml"));
    }

    #[test]
    fn a_leaf_defined_twice_cites_both_places() {
        let (_, errs) = check(&[
            (
                "a.yaml",
                "groups:\n  lab:\n    members: { a@b.org: member }\n",
            ),
            (
                "b.yaml",
                "groups:\n  lab:\n    members:\n      a@b.org: admin\n",
            ),
        ]);
        assert_eq!(
            errs,
            ["b.yaml:4:7: member `a@b.org` of group `lab` is defined twice (see also a.yaml:3:16)"]
        );
        let (_, errs) = check(&[
            (
                "a.yaml",
                "groups:\n  lab:\n    policies: { join_requests: true }\n",
            ),
            (
                "b.yaml",
                "groups:\n  lab:\n    policies: { join_requests: false }\n",
            ),
        ]);
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(errs[0].contains("`policies.join_requests` of group `lab` is defined twice"));
    }

    #[test]
    fn aliases_are_leaves_too() {
        let (_, errs) = check(&[
            ("a.yaml", "identities: { alice: alice@uni.edu }\n"),
            ("b.yaml", "identities: { alice: alice@other.edu }\n"),
        ]);
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(
            errs[0].starts_with("b.yaml:1:15: alias `alice` is defined twice"),
            "{errs:?}"
        );
    }

    #[test]
    fn acl_rules_are_keyed_by_principal_and_path() {
        let ep = "e56c36e4-1063-11e6-a747-22000bf2d559";
        let (p, errs) = check(&[
            (
                "a.yaml",
                &format!(
                    "identities: {{ alice: alice@uni.edu }}\nendpoints:\n  {ep}:\n    acl:\n      - {{ principal: alice, path: /a/, permissions: r }}\n"
                ),
            ),
            (
                "b.yaml",
                &format!(
                    "endpoints:\n  {ep}:\n    acl:\n      - {{ principal: alice, path: /b/, permissions: rw }}\n      - {{ principal: alice@UNI.edu, path: /a/, permissions: r }}\n"
                ),
            ),
        ]);
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(
            errs[0].contains("`alice@UNI.edu` and `alice` are the same principal"),
            "{errs:?}"
        );
        assert!(errs[0].contains("see also a.yaml:5:22"), "{errs:?}");
        assert_eq!(p.endpoints.values().next().unwrap().acl.len(), 2);
    }

    #[test]
    fn references_see_tombstones_in_other_files() {
        let (_, errs) = check(&[
            ("a.yaml", "groups:\n  old: { absent: true }\n"),
            (
                "b.yaml",
                "search:\n  indexes:\n    4de2f3a1-5b7c-4d8e-9f0a-1b2c3d4e5f60:\n      roles: { admin: [group:old] }\n",
            ),
        ]);
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(
            errs[0].starts_with("b.yaml:4:24: `group:old` refers to a group marked `absent: true`"),
            "{errs:?}"
        );
        assert!(errs[0].contains("see also a.yaml:2:18"), "{errs:?}");
    }

    #[test]
    fn boss_sets_and_groups_are_workspace_wide() {
        let (p, errs) = check(&[
            (
                "a.yaml",
                "boss:\n  permission_sets: { reader: [read, read_volumetric_data] }\n  groups: { sci: { members: [sci1] } }\n",
            ),
            (
                "b.yaml",
                "boss:\n  coordinate_frames:\n    f: { x_start: 0, x_stop: 2, y_start: 0, y_stop: 2, z_start: 0, z_stop: 2, x_voxel_size: 1.0, y_voxel_size: 1.0, z_voxel_size: 1.0, voxel_unit: nanometers }\n  collections:\n    C:\n      permissions: { sci: [read] }\n      experiments:\n        E:\n          coord_frame: f\n          channels:\n            H: { type: image, datatype: uint8, permissions: { sci: reader } }\n",
            ),
        ]);
        assert!(errs.is_empty(), "{errs:?}");
        assert_eq!(
            &*p.boss.unwrap().origin.path,
            std::path::Path::new("a.yaml")
        );
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

    #[test]
    fn boss_names() {
        assert!(boss_name_ok("JHUAPL"));
        assert!(boss_name_ok("mouse17_frame-2"));
        assert!(!boss_name_ok(""));
        assert!(!boss_name_ok("a.b"));
        assert!(!boss_name_ok("a b"));
        assert!(!boss_name_ok(&"a".repeat(256)));
    }

    #[test]
    fn sets_expand_through_nesting_and_cycles() {
        let o = Origin {
            file: 0,
            path: std::path::Path::new("p.yaml").into(),
            line: 1,
            column: 1,
            offset: 0,
            len: 1,
        };
        let mut sets = BTreeMap::new();
        sets.insert(
            "reader".to_string(),
            (
                o.clone(),
                vec![
                    ("read".to_string(), o.clone()),
                    ("writer".to_string(), o.clone()),
                ],
            ),
        );
        sets.insert(
            "writer".to_string(),
            (
                o.clone(),
                vec![
                    ("reader".to_string(), o.clone()),
                    ("update".to_string(), o.clone()),
                ],
            ),
        );
        let got = expand_set("writer", &sets);
        assert_eq!(got, ["read".to_string(), "update".to_string()].into());
    }
}
