//! Search's seed section (`search:`): indexes with their roles and entries.

use super::*;

/// Search's part of a seed: the `search` key.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SearchSection {
    /// Globus Search: indexes with their roles and entries.
    #[serde(default)]
    pub search: SearchSeed,
}

/// The `search:` section of a seed: indexes by id.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchSeed {
    /// Indexes by UUID.
    #[serde(default)]
    pub indexes: BTreeMap<Uuid, SeedIndex>,
}

/// One seeded index.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedIndex {
    /// Display name.
    pub display_name: String,
    /// Description (default empty).
    #[serde(default)]
    pub description: String,
    /// Index roles: role name → principals.
    #[serde(default)]
    pub roles: SeedIndexRoles,
    /// Entries present from the start.
    #[serde(default)]
    pub entries: Vec<SeedEntry>,
}

/// The roles of a seeded index. Each principal is a URN (`urn:globus:auth:identity:<id>`,
/// `urn:globus:groups:id:<id>`), an identity id or username, or `group:<id or seeded name>`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedIndexRoles {
    /// Owners.
    #[serde(default)]
    pub owner: Vec<String>,
    /// Admins.
    #[serde(default)]
    pub admin: Vec<String>,
    /// Writers.
    #[serde(default)]
    pub writer: Vec<String>,
}

impl SeedIndexRoles {
    /// Every role name with its holders, strongest first.
    pub fn all(&self) -> [(&'static str, &Vec<String>); 3] {
        [
            ("owner", &self.owner),
            ("admin", &self.admin),
            ("writer", &self.writer),
        ]
    }
}

/// One seeded entry. `visible_to` and `principal_sets` take the principals roles take, and
/// `visible_to` also `public` and `all_authenticated_users`; they are stored as URNs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedEntry {
    /// The subject.
    pub subject: String,
    /// The entry id (default null: the subject's default entry).
    #[serde(default)]
    pub id: Option<String>,
    /// Who may see it.
    pub visible_to: Vec<String>,
    /// Named principal sets.
    #[serde(default)]
    pub principal_sets: Option<BTreeMap<String, Vec<String>>>,
    /// The document (default `{}`).
    #[serde(default)]
    pub content: Map<String, Value>,
}

/// Resolves a seed principal to its URN: a URN as written (identity or group), `group:<ref>`,
/// or an identity ref; `public`/`all_authenticated_users` only when `special`.
pub(super) fn seed_principal(
    r: &str,
    special: bool,
    identity: &dyn Fn(&str) -> Option<Uuid>,
    group: &dyn Fn(&str) -> Option<Uuid>,
) -> Option<String> {
    if let Some(p) = Principal::parse(r) {
        return match p {
            Principal::Public | Principal::AllAuthenticatedUsers => special.then(|| p.urn()),
            _ => Some(p.urn()),
        };
    }
    if r.starts_with("urn:") {
        return None;
    }
    match r.strip_prefix("group:") {
        Some(g) => group(g).map(|id| Principal::Group(id).urn()),
        None => identity(r).map(|id| Principal::Identity(id).urn()),
    }
}

impl SearchSeed {
    /// Adds the problems of this section: principals that resolve to nothing, bad subjects,
    /// too many values or entries, duplicate entries.
    pub fn validate(
        &self,
        identity: &dyn Fn(&str) -> Option<Uuid>,
        group: &dyn Fn(&str) -> Option<Uuid>,
        problems: &mut Vec<String>,
    ) {
        for (id, ix) in &self.indexes {
            let at = format!("search index {id} ({})", ix.display_name);
            let mut roles = 0;
            for (name, holders) in ix.roles.all() {
                for h in holders {
                    roles += 1;
                    if seed_principal(h, false, identity, group).is_none() {
                        problems.push(format!("{at}: unknown {name} {h}"));
                    }
                }
            }
            if roles > MAX_ROLES {
                problems.push(format!("{at}: more than {MAX_ROLES} roles"));
            }
            let mut keys = BTreeSet::new();
            let mut per_subject: BTreeMap<&str, usize> = BTreeMap::new();
            for e in &ix.entries {
                let key = format!("{} / {}", e.subject, e.id.as_deref().unwrap_or("(default)"));
                if !keys.insert((e.subject.clone(), e.id.clone())) {
                    problems.push(format!("{at}: duplicate entry {key}"));
                }
                *per_subject.entry(&e.subject).or_default() += 1;
                if e.subject.is_empty() || e.subject.len() > MAX_SUBJECT_BYTES {
                    problems.push(format!(
                        "{at}: subject must have 1 to {MAX_SUBJECT_BYTES} bytes: {key}"
                    ));
                }
                if e.visible_to.len() > MAX_VISIBLE_TO {
                    problems.push(format!(
                        "{at}: {key}: more than {MAX_VISIBLE_TO} visible_to values"
                    ));
                }
                for v in &e.visible_to {
                    if seed_principal(v, true, identity, group).is_none() {
                        problems.push(format!("{at}: {key}: unknown visible_to principal {v}"));
                    }
                }
                for (set, members) in e.principal_sets.iter().flatten() {
                    for m in members {
                        if seed_principal(m, false, identity, group).is_none() {
                            problems.push(format!(
                                "{at}: {key}: unknown principal {m} in principal set {set}"
                            ));
                        }
                    }
                }
            }
            for (s, n) in per_subject {
                if n > MAX_ENTRIES_PER_SUBJECT {
                    problems.push(format!(
                        "{at}: subject {s} has more than {MAX_ENTRIES_PER_SUBJECT} entries"
                    ));
                }
            }
        }
    }
}
