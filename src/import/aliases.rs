//! Readable aliases for the identities an import names, from their usernames.

use std::collections::BTreeMap;

use uuid::Uuid;

use crate::policy::principal::alias_name_problem;

/// Readable aliases for identities with a username: the username's local part (`alice`),
/// then with the domain's first label (`alice-uchicago`), the whole domain
/// (`alice-uchicago-edu`), and finally the identity id, until every alias is unique.
/// Identities whose username yields no valid alias are written by id.
pub fn aliases(usernames: &BTreeMap<Uuid, String>) -> BTreeMap<Uuid, String> {
    const LAST: usize = 3;
    let candidate = |id: &Uuid, username: &str, level: usize| -> Option<String> {
        let (local, domain) = username.rsplit_once('@').unwrap_or((username, ""));
        let local = slug(local);
        if local.is_empty() {
            return None;
        }
        let first = slug(domain.split('.').next().unwrap_or(""));
        let whole = slug(domain).replace('.', "-");
        let name = match level {
            0 => local,
            1 if !first.is_empty() => format!("{local}-{first}"),
            2 if !whole.is_empty() => format!("{local}-{whole}"),
            _ => format!("{local}-{}", id.simple()),
        };
        alias_name_problem(&name).is_none().then_some(name)
    };
    let mut level: BTreeMap<Uuid, usize> = usernames
        .iter()
        .filter(|(id, u)| candidate(id, u, LAST).is_some())
        .map(|(id, _)| (*id, 0))
        .collect();
    loop {
        let mut by_name: BTreeMap<String, Vec<Uuid>> = BTreeMap::new();
        for (id, l) in &level {
            // A level whose candidate is invalid (no domain, a word that reads as a UUID)
            // is skipped.
            let mut l2 = *l;
            let name = loop {
                match candidate(id, &usernames[id], l2) {
                    Some(n) => break n,
                    None => l2 += 1,
                }
            };
            by_name.entry(name).or_default().push(*id);
        }
        let clashing: Vec<Uuid> = by_name
            .values()
            .filter(|ids| ids.len() > 1)
            .flatten()
            .copied()
            .filter(|id| level[id] < LAST)
            .collect();
        if clashing.is_empty() {
            return by_name
                .into_iter()
                .flat_map(|(name, ids)| ids.into_iter().map(move |id| (id, name.clone())))
                .collect();
        }
        for id in clashing {
            *level.get_mut(&id).expect("clashing ids come from the map") += 1;
        }
    }
}

/// Lower-case letters, digits, `.`, `_` and `-`; runs of anything else become one `-`.
fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.to_lowercase().chars() {
        if c.is_ascii_alphanumeric() || c == '_' || c == '.' {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches(|c| c == '-' || c == '.').to_string()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    #[test]
    fn aliases_are_local_parts_disambiguated_deterministically() {
        let users: BTreeMap<Uuid, String> = [
            (id(1), "alice@uchicago.edu"),
            (id(2), "alice@uni.edu"),
            (id(3), "bob@uchicago.edu"),
            (id(4), "carol@uchicago.edu"),
            (id(5), "carol@uchicago.org"),
            (id(6), "Dave.Park@Example.COM"),
            (
                id(7),
                "0b1e4d5c-6f7a-4b8c-9d0e-1f2a3b4c5d6e@clients.auth.globus.org",
            ),
            (id(8), "public@uchicago.edu"),
        ]
        .into_iter()
        .map(|(i, u)| (i, u.to_string()))
        .collect();
        let a = aliases(&users);
        assert_eq!(a[&id(1)], "alice-uchicago");
        assert_eq!(a[&id(2)], "alice-uni");
        assert_eq!(a[&id(3)], "bob");
        assert_eq!(a[&id(4)], "carol-uchicago-edu");
        assert_eq!(a[&id(5)], "carol-uchicago-org");
        assert_eq!(a[&id(6)], "dave.park");
        // A local part that reads as a UUID or a special principal gets its domain.
        assert_eq!(a[&id(7)], "0b1e4d5c-6f7a-4b8c-9d0e-1f2a3b4c5d6e-clients");
        assert_eq!(a[&id(8)], "public-uchicago");
        for alias in a.values() {
            assert_eq!(alias_name_problem(alias), None, "{alias}");
        }
        let unique: BTreeSet<&String> = a.values().collect();
        assert_eq!(unique.len(), a.len());
    }

    #[test]
    fn a_disambiguated_alias_never_takes_anothers_plain_one() {
        let users: BTreeMap<Uuid, String> = [
            (id(1), "alice@uchicago.edu"),
            (id(2), "alice@uni.edu"),
            (id(3), "alice-uni@other.org"),
        ]
        .into_iter()
        .map(|(i, u)| (i, u.to_string()))
        .collect();
        let a = aliases(&users);
        let unique: BTreeSet<&String> = a.values().collect();
        assert_eq!(unique.len(), 3, "{a:?}");
        assert_eq!(a[&id(1)], "alice-uchicago");
    }
}
