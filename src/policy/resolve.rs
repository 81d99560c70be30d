//! Resolution: every principal the policy names becomes a canonical [`Principal`], once,
//! in one place. Unknown usernames and identities are all reported together, each citing
//! every place it is used.

use std::collections::{BTreeMap, BTreeSet};

use uuid::Uuid;

use super::model::{Policy, PrincipalRef};
use super::origin::{Located, Origin};
use super::problem::{Problem, Problems};
use crate::state::{IdentityResolver, Principal, ProviderError};

/// The outcome of resolution: a canonical principal for every reference, and a label for people.
#[derive(Debug, Clone, Default)]
pub struct Resolved {
    principals: BTreeMap<PrincipalRef, Principal>,
    /// Display names: the alias when the policy has one, else the username.
    pub labels: BTreeMap<Principal, String>,
    /// Every reference that did not resolve, each reported once in `problems`.
    pub failed: BTreeSet<PrincipalRef>,
    /// What went wrong (unknown usernames, identities, aliases), citing every use.
    pub problems: Vec<Problem>,
}

impl Resolved {
    /// The canonical principal of a reference that resolution has seen.
    pub fn get(&self, r: &PrincipalRef) -> Option<&Principal> {
        self.principals.get(r)
    }

    /// Builds a resolution by hand (tests, and callers that already know the answers).
    pub fn from_pairs(pairs: impl IntoIterator<Item = (PrincipalRef, Principal)>) -> Self {
        Resolved {
            principals: pairs.into_iter().collect(),
            ..Resolved::default()
        }
    }

    /// A label for people: alias or username, else the canonical key.
    pub fn label(&self, p: &Principal) -> String {
        self.labels.get(p).cloned().unwrap_or_else(|| p.to_string())
    }

    /// This resolution once the Groups read has found the managed groups' live ids
    /// (`group_ids`: live id → policy name): a `group:<uuid>` naming one of them is that group,
    /// `group:NAME`, as a pinned id already is. Addresses, attributes, dependencies and
    /// protection all follow from the resolution, so compiling it again canonicalises them
    /// all, and reports a container naming the group both ways. `None` when no reference
    /// names a managed group by its id: there is nothing to compile again.
    pub fn with_live_group_ids(&self, group_ids: &BTreeMap<Uuid, String>) -> Option<Resolved> {
        let mut renamed: Option<Resolved> = None;
        for (r, p) in &self.principals {
            if let Principal::Group(id) = p
                && let Some(name) = group_ids.get(id)
            {
                renamed
                    .get_or_insert_with(|| self.clone())
                    .principals
                    .insert(r.clone(), Principal::ManagedGroup(name.clone()));
            }
        }
        renamed
    }
}

/// Why resolution failed.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    /// Policy problems (unknown usernames, identities, groups).
    #[error(transparent)]
    Problems(#[from] Problems),
    /// The lookup service failed.
    #[error(transparent)]
    Service(#[from] ProviderError),
}

/// Every principal reference in the policy, with every place it is used.
pub fn principal_uses(policy: &Policy) -> BTreeMap<PrincipalRef, Vec<Origin>> {
    let mut uses: BTreeMap<PrincipalRef, Vec<Origin>> = BTreeMap::new();
    let mut add = |p: &Located<PrincipalRef>| {
        uses.entry(p.value.clone())
            .or_default()
            .push(p.origin.clone())
    };
    for section in policy.sections() {
        section.principals(&mut add);
    }
    uses
}

/// Resolves every principal the policy (and `extra`, e.g. `safety.protect`) names.
/// Policy problems do not stop resolution: they are collected in `Resolved::problems`, so
/// that compilation can add its own and everything is reported together.
pub async fn resolve(
    policy: &Policy,
    extra: &[Located<PrincipalRef>],
    auth: &dyn IdentityResolver,
) -> Result<Resolved, ResolveError> {
    let mut uses = principal_uses(policy);
    for p in extra {
        uses.entry(p.value.clone())
            .or_default()
            .push(p.origin.clone());
    }
    // Aliases stand for a username or an identity id: look those up, remember the alias name.
    let alias_target = |name: &str| policy.identities.get(name).map(|l| l.value.clone());
    // Usernames are looked up (the id is what the services take). An identity id is taken as
    // written: behind an alias, the alias is its label and nothing is asked; a bare one is
    // looked up once, batched, for its label (and reported when Auth does not know it).
    let mut usernames = BTreeSet::new();
    let mut ids = BTreeSet::new();
    for r in uses.keys() {
        match r {
            PrincipalRef::Alias(a) => {
                if let Some(PrincipalRef::Username(u)) = alias_target(a) {
                    usernames.insert(u.to_lowercase());
                }
            }
            PrincipalRef::Username(u) => {
                usernames.insert(u.to_lowercase());
            }
            PrincipalRef::IdentityId(id) => {
                ids.insert(*id);
            }
            _ => {}
        }
    }
    let usernames: Vec<String> = usernames.into_iter().collect();
    let ids: Vec<Uuid> = ids.into_iter().collect();
    let by_name: BTreeMap<String, (Uuid, String)> = if usernames.is_empty() {
        BTreeMap::new()
    } else {
        auth.by_usernames(&usernames)
            .await?
            .into_iter()
            .map(|i| (i.username.to_lowercase(), (i.id, i.username)))
            .collect()
    };
    let by_id: BTreeMap<Uuid, String> = if ids.is_empty() {
        BTreeMap::new()
    } else {
        auth.by_ids(&ids)
            .await?
            .into_iter()
            .map(|i| (i.id, i.username))
            .collect()
    };

    let managed_pins: BTreeMap<Uuid, String> = policy
        .managed_groups
        .iter()
        .filter_map(|(name, g)| g.pin.map(|id| (id, name.clone())))
        .collect();

    let mut resolved = Resolved::default();
    let mut problems = Vec::new();
    for (r, origins) in &uses {
        let (target, alias) = match r {
            PrincipalRef::Alias(a) => match alias_target(a) {
                Some(t) => (t, Some(a.clone())),
                None => {
                    problems.push(cite(
                        origins,
                        format!("unknown alias `{a}`"),
                        "declare it under `identities:`",
                    ));
                    continue;
                }
            },
            other => (other.clone(), None),
        };
        let principal = match &target {
            PrincipalRef::Username(u) => match by_name.get(&u.to_lowercase()) {
                Some((id, name)) => {
                    resolved
                        .labels
                        .entry(Principal::Identity(*id))
                        .or_insert_with(|| name.clone());
                    Principal::Identity(*id)
                }
                None => {
                    problems.push(cite(
                        origins,
                        format!("unknown Globus username `{u}`"),
                        "accord looks identities up and never provisions them; check the spelling",
                    ));
                    continue;
                }
            },
            PrincipalRef::IdentityId(id) if alias.is_some() => Principal::Identity(*id),
            PrincipalRef::IdentityId(id) => match by_id.get(id) {
                Some(name) => {
                    resolved
                        .labels
                        .entry(Principal::Identity(*id))
                        .or_insert_with(|| name.clone());
                    Principal::Identity(*id)
                }
                None => {
                    problems.push(cite(
                        origins,
                        format!("unknown Globus identity `{id}`"),
                        "no such identity on Globus Auth",
                    ));
                    continue;
                }
            },
            PrincipalRef::GroupName(n) => Principal::ManagedGroup(n.clone()),
            PrincipalRef::GroupId(id) => match managed_pins.get(id) {
                Some(name) => Principal::ManagedGroup(name.clone()),
                None => Principal::Group(*id),
            },
            PrincipalRef::AllAuthenticatedUsers => Principal::AllAuthenticatedUsers,
            PrincipalRef::Anonymous => Principal::Anonymous,
            PrincipalRef::Public => Principal::Public,
            PrincipalRef::Alias(_) => {
                problems.push(cite(
                    origins,
                    format!("alias `{r:?}` must name a username or an identity id"),
                    "aliases cannot point at aliases",
                ));
                continue;
            }
        };
        if let Some(alias) = alias {
            // An alias is the friendliest label; it wins over a username.
            resolved.labels.insert(principal.clone(), alias);
        }
        resolved.principals.insert(r.clone(), principal);
    }
    resolved.failed = uses
        .keys()
        .filter(|r| !resolved.principals.contains_key(*r))
        .cloned()
        .collect();
    resolved.problems = problems;
    Ok(resolved)
}

/// One problem at the first use, citing every other use.
fn cite(origins: &[Origin], message: String, help: &str) -> Problem {
    let mut p = Problem::at(&origins[0], message).help(help);
    for o in &origins[1..] {
        p = p.also(o, "also used here");
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_managed_groups_live_id_resolves_to_its_name() {
        let live: Uuid = "7b2a0d1f-9e3c-4f4b-8a5d-6c7e8f9a0b1c".parse().unwrap();
        let other: Uuid = "8b7d57bc-1666-11ec-88b2-f50515619d57".parse().unwrap();
        let resolved = Resolved::from_pairs([
            (PrincipalRef::GroupId(live), Principal::Group(live)),
            (PrincipalRef::GroupId(other), Principal::Group(other)),
        ]);
        let ids = BTreeMap::from([(live, "lab-members".to_string())]);
        let named = resolved
            .with_live_group_ids(&ids)
            .expect("one reference renamed");
        assert_eq!(
            named.get(&PrincipalRef::GroupId(live)),
            Some(&Principal::ManagedGroup("lab-members".into()))
        );
        assert_eq!(
            named.get(&PrincipalRef::GroupId(other)),
            Some(&Principal::Group(other))
        );
        // Nothing names a managed group by id: nothing to compile again.
        assert!(named.with_live_group_ids(&ids).is_none());
        assert!(resolved.with_live_group_ids(&BTreeMap::new()).is_none());
    }
}
