//! Property: for random policies and live states, one apply converges (plan is empty after it).

mod common;

use std::fmt::Write as _;
use std::path::Path;

use common::run;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

const CLIENT: &str = "0b1e4d5c-6f7a-4b8c-9d0e-1f2a3b4c5d6e";
const ENDPOINT: &str = "e56c36e4-1063-11e6-a747-22000bf2d559";
const IDENTITIES: usize = 5;
const GROUPS: usize = 3;
const PATHS: [&str; 4] = ["/a/", "/a/b/", "/c/", "/d/"];
/// Identities, then groups.
const PRINCIPALS: usize = IDENTITIES + GROUPS;
const ROLES: [&str; 3] = ["member", "manager", "admin"];
const PERMS: [&str; 2] = ["r", "rw"];
/// No expiry, a future one, an expired one (the clock is `common::NOW`).
const EXPIRES: [Option<&str>; 3] = [
    None,
    Some("2027-06-30T00:00:00Z"),
    Some("2026-01-01T00:00:00Z"),
];

fn identity_id(i: usize) -> String {
    format!("00000000-0000-4000-8000-00000000000{i}")
}

/// One random world: the seed's live state and the policy.
#[derive(Debug, Clone)]
struct Case {
    seeded_groups: Vec<bool>,
    /// Per group, per identity: the live role.
    seed_members: Vec<Vec<Option<usize>>>,
    /// Per group, per identity: the declared role and expiry.
    policy_members: Vec<Vec<Option<(usize, usize)>>>,
    /// Per (principal, path): permissions and expiry.
    seed_acl: Vec<Option<(usize, usize)>>,
    policy_acl: Vec<Option<(usize, usize)>>,
    descriptions: (Vec<usize>, Vec<usize>),
}

fn case() -> impl Strategy<Value = Case> {
    let members = |p| prop::collection::vec(prop::option::weighted(p, 0..3usize), IDENTITIES);
    let declared = |p| {
        prop::collection::vec(
            prop::option::weighted(p, (0..3usize, 0..3usize)),
            IDENTITIES,
        )
    };
    let acl = || {
        prop::collection::vec(
            prop::option::weighted(0.3, (0..2usize, 0..3usize)),
            PRINCIPALS * PATHS.len(),
        )
    };
    (
        prop::collection::vec(prop::bool::weighted(0.7), GROUPS),
        prop::collection::vec(members(0.5), GROUPS),
        prop::collection::vec(declared(0.5), GROUPS),
        acl(),
        acl(),
        (
            prop::collection::vec(0..2usize, GROUPS),
            prop::collection::vec(0..2usize, GROUPS),
        ),
    )
        .prop_map(
            |(seeded_groups, seed_members, policy_members, seed_acl, policy_acl, descriptions)| {
                Case {
                    seeded_groups,
                    seed_members,
                    policy_members,
                    seed_acl,
                    policy_acl,
                    descriptions,
                }
            },
        )
}

impl Case {
    fn seed(&self) -> String {
        let mut s = format!(
            "clients: [{{ client_id: {CLIENT}, client_secret: prop-secret }}]\nidentities:\n"
        );
        for i in 0..IDENTITIES {
            writeln!(
                s,
                "  - {{ id: {}, username: u{i}@uni.edu }}",
                identity_id(i)
            )
            .unwrap();
        }
        s.push_str(if self.seeded_groups.contains(&true) {
            "groups:\n"
        } else {
            "groups: []\n"
        });
        for g in (0..GROUPS).filter(|&g| self.seeded_groups[g]) {
            writeln!(
                s,
                "  - name: g{g}\n    description: d{}\n    members:\n      - {{ identity: {CLIENT}, role: admin }}",
                self.descriptions.0[g]
            )
            .unwrap();
            for (i, role) in self.seed_members[g].iter().enumerate() {
                if let Some(r) = role {
                    writeln!(
                        s,
                        "      - {{ identity: u{i}@uni.edu, role: {} }}",
                        ROLES[*r]
                    )
                    .unwrap();
                }
            }
        }
        writeln!(
            s,
            "endpoints:\n  - id: {ENDPOINT}\n    display_name: share\n    roles: {{ access_manager: [{CLIENT}] }}\n    acl:"
        )
        .unwrap();
        let mut any = false;
        for (k, rule) in self.seed_acl.iter().enumerate() {
            let Some((perm, exp)) = rule else { continue };
            let (p, path) = (k / PATHS.len(), PATHS[k % PATHS.len()]);
            let (ty, principal) = if p < IDENTITIES {
                ("identity", format!("u{p}@uni.edu"))
            } else if self.seeded_groups[p - IDENTITIES] {
                ("group", format!("g{}", p - IDENTITIES))
            } else {
                continue;
            };
            let exp = EXPIRES[*exp]
                .map(|e| format!(", expiration_date: {e}"))
                .unwrap_or_default();
            writeln!(
                s,
                "      - {{ principal_type: {ty}, principal: {principal}, path: {path}, permissions: {}{exp} }}",
                PERMS[*perm]
            )
            .unwrap();
            any = true;
        }
        if !any {
            s = s.trim_end().strip_suffix("acl:").unwrap().to_string() + "acl: []\n";
        }
        s
    }

    fn policy(&self) -> String {
        let mut s = String::from("identities:\n");
        for i in 0..IDENTITIES {
            writeln!(s, "  u{i}: u{i}@uni.edu").unwrap();
        }
        s.push_str("groups:\n");
        for g in 0..GROUPS {
            writeln!(
                s,
                "  g{g}:\n    description: d{}\n    members:",
                self.descriptions.1[g]
            )
            .unwrap();
            let mut any = false;
            for (i, m) in self.policy_members[g].iter().enumerate() {
                let Some((role, exp)) = m else { continue };
                match EXPIRES[*exp] {
                    None => writeln!(s, "      u{i}: {}", ROLES[*role]).unwrap(),
                    Some(e) => {
                        writeln!(s, "      u{i}: {{ role: {}, expires: {e} }}", ROLES[*role])
                            .unwrap()
                    }
                }
                any = true;
            }
            if !any {
                s = s.trim_end().to_string() + " {}\n";
            }
        }
        writeln!(s, "endpoints:\n  {ENDPOINT}:\n    acl:").unwrap();
        let mut any = false;
        for (k, rule) in self.policy_acl.iter().enumerate() {
            let Some((perm, exp)) = rule else { continue };
            let (p, path) = (k / PATHS.len(), PATHS[k % PATHS.len()]);
            let principal = if p < IDENTITIES {
                format!("u{p}")
            } else {
                format!("group:g{}", p - IDENTITIES)
            };
            let exp = EXPIRES[*exp]
                .map(|e| format!(", expires: {e}"))
                .unwrap_or_default();
            writeln!(
                s,
                "      - {{ principal: {principal}, path: {path}, permissions: {}{exp} }}",
                PERMS[*perm]
            )
            .unwrap();
            any = true;
        }
        if !any {
            s = s.trim_end().to_string() + " []\n";
        }
        s
    }

    fn write(&self, dir: &Path) {
        common::write_embedded(dir, &self.seed(), &self.policy());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn one_apply_converges(case in case()) {
        let tmp = tempfile::tempdir().unwrap();
        case.write(tmp.path());
        let dir = tmp.path().to_str().unwrap();
        let ctx = format!("seed:\n{}\npolicy:\n{}", case.seed(), case.policy());
        common::converges(dir, &ctx).map_err(TestCaseError::fail)?;
    }
}

#[test]
fn generated_workspaces_are_valid() {
    // The generator itself: a full case and an empty one both validate.
    let full = Case {
        seeded_groups: vec![true; GROUPS],
        seed_members: vec![vec![Some(2); IDENTITIES]; GROUPS],
        policy_members: vec![vec![Some((1, 1)); IDENTITIES]; GROUPS],
        seed_acl: vec![Some((1, 1)); PRINCIPALS * PATHS.len()],
        policy_acl: vec![Some((0, 2)); PRINCIPALS * PATHS.len()],
        descriptions: (vec![0; GROUPS], vec![1; GROUPS]),
    };
    let empty = Case {
        seeded_groups: vec![false; GROUPS],
        seed_members: vec![vec![None; IDENTITIES]; GROUPS],
        policy_members: vec![vec![None; IDENTITIES]; GROUPS],
        seed_acl: vec![None; PRINCIPALS * PATHS.len()],
        policy_acl: vec![None; PRINCIPALS * PATHS.len()],
        descriptions: (vec![0; GROUPS], vec![0; GROUPS]),
    };
    for c in [full, empty] {
        let tmp = tempfile::tempdir().unwrap();
        c.write(tmp.path());
        accord::emulator::Seed::from_yaml_str(&accord::services::builtin(), &c.seed())
            .expect("seed validates");
        let (code, out, err) = run(&["validate", tmp.path().to_str().unwrap()]);
        assert_eq!(code, 0, "{out}\n{err}\n{}", c.policy());
    }
}
