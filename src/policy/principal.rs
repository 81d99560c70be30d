//! Classifying a principal string as written into a [`PrincipalRef`], without network.
//!
//! Resolution to canonical principals (identity UUIDs, group UUIDs) happens later, in
//! `state`; here we only decide what kind of reference a string is, whether it is allowed
//! where it is written, and which spellings surely denote the same person.

use std::collections::BTreeMap;

use uuid::Uuid;

use super::model::PrincipalRef;

/// Where a Globus principal is written: decides which principals are allowed there. Each
/// service defines the places of its section (an ACL rule, a role); the core has
/// `safety.protect` ([`PrincipalContext::PROTECT`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrincipalContext {
    /// How diagnostics name the place, after "not allowed" (`in a collection role`).
    pub place: &'static str,
    /// Whether groups are allowed here.
    pub groups: bool,
    /// The special principals allowed here (`all_authenticated_users`, …).
    pub specials: &'static [PrincipalRef],
    /// Why a group is refused here (the help of that diagnostic), when groups are not allowed.
    pub no_groups: &'static str,
}

impl PrincipalContext {
    /// `safety.protect`: identities and groups.
    pub const PROTECT: PrincipalContext = PrincipalContext {
        place: "in safety.protect",
        groups: true,
        specials: &[],
        no_groups: "",
    };

    /// Whether a principal of this form is accepted here.
    fn allows(&self, p: &PrincipalRef) -> bool {
        match p {
            PrincipalRef::Anonymous
            | PrincipalRef::Public
            | PrincipalRef::AllAuthenticatedUsers => self.specials.contains(p),
            PrincipalRef::GroupName(_) | PrincipalRef::GroupId(_) => self.groups,
            PrincipalRef::Alias(_) | PrincipalRef::Username(_) | PrincipalRef::IdentityId(_) => {
                true
            }
        }
    }
}

/// Why a principal string was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalError {
    /// Neither an alias nor any recognised form.
    UnknownAlias {
        /// Suggested correction, if a close alias or group exists.
        suggestion: Option<String>,
    },
    /// `group:NAME` where NAME is not under `groups:`.
    UndeclaredGroup {
        /// Suggested correction.
        suggestion: Option<String>,
    },
    /// `group:NAME` where NAME is a tombstone.
    AbsentGroup,
    /// `group:` with nothing after it.
    EmptyGroup,
    /// A `urn:` that is neither an identity nor a group URN (or with a bad UUID).
    BadUrn,
    /// A username that is not `user@domain`.
    BadUsername,
    /// A principal kind not allowed where it is written.
    NotAllowedHere,
}

/// What the classifier needs to know about the workspace.
pub struct PrincipalScope<'a> {
    /// Declared aliases.
    pub aliases: &'a BTreeMap<String, PrincipalRef>,
    /// Declared groups: name → whether it is a tombstone (`absent: true`).
    pub groups: &'a BTreeMap<String, bool>,
}

const IDENTITY_URN: &str = "urn:globus:auth:identity:";
const GROUP_URN: &str = "urn:globus:groups:id:";

/// Classifies a principal string without looking at the workspace: `None` means
/// "a bare word", which can only be an alias.
pub fn classify_literal(s: &str) -> Option<Result<PrincipalRef, PrincipalError>> {
    Some(match s {
        "all_authenticated_users" => Ok(PrincipalRef::AllAuthenticatedUsers),
        "anonymous" => Ok(PrincipalRef::Anonymous),
        "public" => Ok(PrincipalRef::Public),
        _ => {
            if let Some(rest) = s.strip_prefix("group:") {
                if rest.is_empty() {
                    Err(PrincipalError::EmptyGroup)
                } else if let Ok(id) = Uuid::parse_str(rest) {
                    Ok(PrincipalRef::GroupId(id))
                } else {
                    Ok(PrincipalRef::GroupName(rest.to_string()))
                }
            } else if let Some(rest) = s.strip_prefix(IDENTITY_URN) {
                Uuid::parse_str(rest)
                    .map(PrincipalRef::IdentityId)
                    .map_err(|_| PrincipalError::BadUrn)
            } else if let Some(rest) = s.strip_prefix(GROUP_URN) {
                Uuid::parse_str(rest)
                    .map(PrincipalRef::GroupId)
                    .map_err(|_| PrincipalError::BadUrn)
            } else if s.starts_with("urn:") {
                Err(PrincipalError::BadUrn)
            } else if let Ok(id) = Uuid::parse_str(s) {
                Ok(PrincipalRef::IdentityId(id))
            } else if s.contains('@') {
                if is_username(s) {
                    Ok(PrincipalRef::Username(s.to_string()))
                } else {
                    Err(PrincipalError::BadUsername)
                }
            } else {
                return None;
            }
        }
    })
}

/// A Globus username: `user@domain`, one `@`, no whitespace, a dotted domain.
fn is_username(s: &str) -> bool {
    let Some((user, domain)) = s.split_once('@') else {
        return false;
    };
    !user.is_empty()
        && !domain.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(char::is_whitespace)
}

/// Classifies a principal written in `ctx`, checking aliases and `group:NAME` against the
/// workspace.
pub fn classify(
    s: &str,
    ctx: &PrincipalContext,
    scope: &PrincipalScope<'_>,
) -> Result<PrincipalRef, PrincipalError> {
    let p = match classify_literal(s) {
        Some(r) => r?,
        None if scope.aliases.contains_key(s) => PrincipalRef::Alias(s.to_string()),
        None => {
            return Err(PrincipalError::UnknownAlias {
                suggestion: suggest_for_bare_word(s, scope),
            });
        }
    };
    if let PrincipalRef::GroupName(name) = &p {
        match scope.groups.get(name) {
            None => {
                return Err(PrincipalError::UndeclaredGroup {
                    suggestion: closest(name, scope.groups.keys().map(String::as_str))
                        .map(|g| format!("group:{g}")),
                });
            }
            Some(true) => return Err(PrincipalError::AbsentGroup),
            Some(false) => {}
        }
    }
    if !ctx.allows(&p) {
        return Err(PrincipalError::NotAllowedHere);
    }
    Ok(p)
}

/// For a bare word that is not an alias: a close alias, or `group:NAME` when it names a group.
fn suggest_for_bare_word(s: &str, scope: &PrincipalScope<'_>) -> Option<String> {
    if scope.groups.contains_key(s) {
        return Some(format!("group:{s}"));
    }
    closest(s, scope.aliases.keys().map(String::as_str)).map(str::to_string)
}

/// The closest candidate within a small edit distance, for "did you mean" hints.
pub fn closest<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, c)| c)
}

/// Edit distance over chars where swapping two neighbours counts once (optimal string
/// alignment): `alcie` is one typo away from `alice`, as a person would count it.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

/// A key under which two spellings surely denote the same principal, as far as can be
/// told without network: an alias stands for what it names, usernames compare without
/// case (Globus usernames are case-insensitive), and a group's pinned id (`group_pins`:
/// id → policy name) is that group.
pub fn person_key(
    p: &PrincipalRef,
    aliases: &BTreeMap<String, PrincipalRef>,
    group_pins: &BTreeMap<Uuid, String>,
) -> PrincipalRef {
    match p {
        PrincipalRef::Alias(a) => match aliases.get(a) {
            Some(target) => person_key(target, aliases, group_pins),
            None => p.clone(),
        },
        PrincipalRef::Username(u) => PrincipalRef::Username(u.to_lowercase()),
        PrincipalRef::GroupId(id) => match group_pins.get(id) {
            Some(name) => PrincipalRef::GroupName(name.clone()),
            None => p.clone(),
        },
        other => other.clone(),
    }
}

/// Whether a string can be an alias name: not something [`classify_literal`] would read
/// as another kind of principal.
pub fn alias_name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("an alias cannot be empty")
    } else if classify_literal(name).is_some() {
        Some(
            "an alias must be a bare word: this reads as a username, UUID, URN, group or special principal",
        )
    } else if name.chars().any(|c| c.is_whitespace() || c == ':') {
        Some("an alias cannot contain whitespace or `:`")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A place taking every principal but `public` (an ACL rule).
    const ACL: PrincipalContext = PrincipalContext {
        place: "in a rule",
        groups: true,
        specials: &[PrincipalRef::AllAuthenticatedUsers, PrincipalRef::Anonymous],
        no_groups: "",
    };
    /// A place taking identities only (a group's members).
    const MEMBER: PrincipalContext = PrincipalContext {
        place: "as a member",
        groups: false,
        specials: &[],
        no_groups: "groups hold identities only",
    };
    /// A place taking `public` (a document's readers).
    const DOCUMENT: PrincipalContext = PrincipalContext {
        place: "in a document",
        groups: true,
        specials: &[PrincipalRef::AllAuthenticatedUsers, PrincipalRef::Public],
        no_groups: "",
    };

    fn scope_parts() -> (BTreeMap<String, PrincipalRef>, BTreeMap<String, bool>) {
        let mut aliases = BTreeMap::new();
        aliases.insert(
            "alice".to_string(),
            PrincipalRef::Username("Alice@UChicago.edu".into()),
        );
        aliases.insert(
            "bob".to_string(),
            PrincipalRef::IdentityId("2d7a4c6e-0a8e-4d8f-9d1e-5f6a7b8c9d0e".parse().unwrap()),
        );
        let mut groups = BTreeMap::new();
        groups.insert("lab-admins".to_string(), false);
        groups.insert("old".to_string(), true);
        (aliases, groups)
    }

    #[test]
    fn classifies_every_form() {
        let (aliases, groups) = scope_parts();
        let scope = PrincipalScope {
            aliases: &aliases,
            groups: &groups,
        };
        let acl = &ACL;
        let id: Uuid = "2d7a4c6e-0a8e-4d8f-9d1e-5f6a7b8c9d0e".parse().unwrap();
        assert_eq!(
            classify("alice", acl, &scope),
            Ok(PrincipalRef::Alias("alice".into()))
        );
        assert_eq!(
            classify("carol@uni.edu", acl, &scope),
            Ok(PrincipalRef::Username("carol@uni.edu".into()))
        );
        assert_eq!(
            classify(&id.to_string(), acl, &scope),
            Ok(PrincipalRef::IdentityId(id))
        );
        assert_eq!(
            classify(&format!("urn:globus:auth:identity:{id}"), acl, &scope),
            Ok(PrincipalRef::IdentityId(id))
        );
        assert_eq!(
            classify(&format!("urn:globus:groups:id:{id}"), acl, &scope),
            Ok(PrincipalRef::GroupId(id))
        );
        assert_eq!(
            classify(&format!("group:{id}"), acl, &scope),
            Ok(PrincipalRef::GroupId(id))
        );
        assert_eq!(
            classify("group:lab-admins", acl, &scope),
            Ok(PrincipalRef::GroupName("lab-admins".into()))
        );
        assert_eq!(
            classify("anonymous", acl, &scope),
            Ok(PrincipalRef::Anonymous)
        );
    }

    #[test]
    fn refuses_with_reasons() {
        let (aliases, groups) = scope_parts();
        let scope = PrincipalScope {
            aliases: &aliases,
            groups: &groups,
        };
        let acl = &ACL;
        assert_eq!(
            classify("alcie", acl, &scope),
            Err(PrincipalError::UnknownAlias {
                suggestion: Some("alice".into())
            })
        );
        assert_eq!(
            classify("lab-admins", acl, &scope),
            Err(PrincipalError::UnknownAlias {
                suggestion: Some("group:lab-admins".into())
            })
        );
        assert_eq!(
            classify("group:lab-admin", acl, &scope),
            Err(PrincipalError::UndeclaredGroup {
                suggestion: Some("group:lab-admins".into())
            })
        );
        assert_eq!(
            classify("group:old", acl, &scope),
            Err(PrincipalError::AbsentGroup)
        );
        assert_eq!(
            classify("group:", acl, &scope),
            Err(PrincipalError::EmptyGroup)
        );
        assert_eq!(
            classify("urn:globus:auth:identity:nope", acl, &scope),
            Err(PrincipalError::BadUrn)
        );
        assert_eq!(
            classify("a@b", acl, &scope),
            Err(PrincipalError::BadUsername)
        );
        assert_eq!(
            classify("public", acl, &scope),
            Err(PrincipalError::NotAllowedHere)
        );
        assert_eq!(
            classify("anonymous", &MEMBER, &scope),
            Err(PrincipalError::NotAllowedHere)
        );
        assert_eq!(
            classify("group:lab-admins", &MEMBER, &scope),
            Err(PrincipalError::NotAllowedHere)
        );
        assert_eq!(
            classify("public", &DOCUMENT, &scope),
            Ok(PrincipalRef::Public)
        );
    }

    #[test]
    fn same_person_keys() {
        let (aliases, _) = scope_parts();
        let pins = BTreeMap::new();
        let bob_id =
            PrincipalRef::IdentityId("2d7a4c6e-0a8e-4d8f-9d1e-5f6a7b8c9d0e".parse().unwrap());
        assert_eq!(
            person_key(&PrincipalRef::Alias("bob".into()), &aliases, &pins),
            bob_id
        );
        assert_eq!(
            person_key(&PrincipalRef::Alias("alice".into()), &aliases, &pins),
            person_key(
                &PrincipalRef::Username("alice@uchicago.EDU".into()),
                &aliases,
                &pins
            )
        );
    }

    #[test]
    fn a_pinned_group_id_is_the_group() {
        let (aliases, _) = scope_parts();
        let pinned: Uuid = "7b2a0d1f-9e3c-4f4b-8a5d-6c7e8f9a0b1c".parse().unwrap();
        let other: Uuid = "8b7d57bc-1666-11ec-88b2-f50515619d57".parse().unwrap();
        let pins = BTreeMap::from([(pinned, "lab-members".to_string())]);
        let by_name = PrincipalRef::GroupName("lab-members".into());
        assert_eq!(
            person_key(&PrincipalRef::GroupId(pinned), &aliases, &pins),
            by_name
        );
        assert_eq!(
            person_key(&PrincipalRef::GroupId(other), &aliases, &pins),
            PrincipalRef::GroupId(other)
        );
    }

    #[test]
    fn alias_names() {
        assert!(alias_name_problem("alice").is_none());
        assert!(alias_name_problem("alice@x.org").is_some());
        assert!(alias_name_problem("public").is_some());
        assert!(alias_name_problem("group:x").is_some());
        assert!(alias_name_problem("2d7a4c6e-0a8e-4d8f-9d1e-5f6a7b8c9d0e").is_some());
    }

    #[test]
    fn distance() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("alcie", "alice"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(
            closest("readr", ["reader", "writer"].into_iter()),
            Some("reader")
        );
        assert_eq!(closest("zzz", ["reader"].into_iter()), None);
    }
}
