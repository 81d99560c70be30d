//! Property: for random Search roles and document access, live and declared, one apply
//! converges (plan is empty after it), content is never changed, and a second apply sends
//! nothing.

mod common;

use std::fmt::Write as _;
use std::path::Path;

use common::run;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

const CLIENT: &str = "0b1e4d5c-6f7a-4b8c-9d0e-1f2a3b4c5d6e";
const INDEX: &str = "4de2f3a1-5b7c-4d8e-9f0a-1b2c3d4e5f60";
const USERS: usize = 3;
const SUBJECTS: usize = 3;
const ROLES: [&str; 3] = ["owner", "admin", "writer"];
const SETS: [&str; 2] = ["curator", "contributor"];
/// Principals usable in document access: users, then the managed group, then the literals.
const PRINCIPALS: usize = USERS + 1 + 2;

fn user_id(u: usize) -> String {
    format!("00000000-0000-4000-8000-00000000000{u}")
}

#[derive(Debug, Clone)]
struct Case {
    /// Per role, per user: live and declared.
    seed_roles: Vec<Vec<bool>>,
    policy_roles: Vec<Vec<bool>>,
    /// Per subject: visible_to masks (live, declared; declared None: not managed) and
    /// principal_sets masks per set over users + group.
    seed_visible: Vec<u8>,
    policy_visible: Vec<Option<u8>>,
    seed_sets: Vec<Vec<u8>>,
    policy_sets: Vec<Option<Vec<u8>>>,
}

fn case() -> impl Strategy<Value = Case> {
    let roles = |p| {
        prop::collection::vec(
            prop::collection::vec(prop::bool::weighted(p), USERS),
            ROLES.len(),
        )
    };
    (
        roles(0.3),
        roles(0.3),
        prop::collection::vec(1u8..(1 << PRINCIPALS), SUBJECTS),
        prop::collection::vec(
            prop::option::weighted(0.8, 1u8..(1 << PRINCIPALS)),
            SUBJECTS,
        ),
        prop::collection::vec(
            prop::collection::vec(0u8..(1 << (USERS + 1)), SETS.len()),
            SUBJECTS,
        ),
        prop::collection::vec(
            prop::option::weighted(
                0.7,
                prop::collection::vec(0u8..(1 << (USERS + 1)), SETS.len()),
            ),
            SUBJECTS,
        ),
    )
        .prop_map(
            |(seed_roles, policy_roles, seed_visible, policy_visible, seed_sets, policy_sets)| {
                Case {
                    seed_roles,
                    policy_roles,
                    seed_visible,
                    policy_visible,
                    seed_sets,
                    policy_sets,
                }
            },
        )
}

/// The principals of `mask`, written as the seed (`live`) or the policy writes them.
fn principals(mask: u8, count: usize, live: bool) -> Vec<String> {
    (0..count)
        .filter(|i| mask & (1 << i) != 0)
        .map(|i| match i {
            i if i < USERS => {
                if live {
                    format!("u{i}@uni.edu")
                } else {
                    format!("u{i}")
                }
            }
            // The seed and the policy both name the group `group:team`.
            i if i == USERS => "group:team".to_string(),
            i if i == USERS + 1 => "public".to_string(),
            _ => "all_authenticated_users".to_string(),
        })
        .collect()
}

fn list(items: &[String]) -> String {
    format!("[{}]", items.join(", "))
}

impl Case {
    fn seed(&self) -> String {
        let mut s = format!(
            "clients: [{{ client_id: {CLIENT}, client_secret: prop-secret }}]\nidentities:\n"
        );
        for u in 0..USERS {
            writeln!(s, "  - {{ id: {}, username: u{u}@uni.edu }}", user_id(u)).unwrap();
        }
        writeln!(
            s,
            "groups:\n  - name: team\n    members: [{{ identity: {CLIENT}, role: admin }}, {{ identity: u0@uni.edu }}]"
        )
        .unwrap();
        writeln!(
            s,
            "search:\n  indexes:\n    {INDEX}:\n      display_name: prop\n      roles:"
        )
        .unwrap();
        for (r, role) in ROLES.iter().enumerate() {
            let mut who: Vec<String> = (0..USERS)
                .filter(|&u| self.seed_roles[r][u])
                .map(|u| format!("u{u}@uni.edu"))
                .collect();
            if *role == "owner" {
                who.push(CLIENT.to_string());
            }
            writeln!(s, "        {role}: {}", list(&who)).unwrap();
        }
        s.push_str("      entries:\n");
        for d in 0..SUBJECTS {
            let sets: Vec<String> = SETS
                .iter()
                .enumerate()
                .filter_map(|(i, name)| {
                    let p = principals(self.seed_sets[d][i], USERS + 1, true);
                    (!p.is_empty()).then(|| format!("{name}: {}", list(&p)))
                })
                .collect();
            writeln!(
                s,
                "        - {{ subject: doc{d}, visible_to: {}, principal_sets: {{ {} }}, content: {{ n: {d}, nested: {{ keep: [1, 2] }} }} }}",
                list(&principals(self.seed_visible[d], PRINCIPALS, true)),
                sets.join(", ")
            )
            .unwrap();
        }
        s
    }

    fn policy(&self) -> String {
        let mut s = format!("identities:\n  accord: {CLIENT}\n");
        for u in 0..USERS {
            writeln!(s, "  u{u}: u{u}@uni.edu").unwrap();
        }
        s.push_str("groups:\n  team:\n    members: { u0: member }\n");
        writeln!(s, "search:\n  indexes:\n    {INDEX}:\n      roles:").unwrap();
        for (r, role) in ROLES.iter().enumerate() {
            let mut who: Vec<String> = (0..USERS)
                .filter(|&u| self.policy_roles[r][u])
                .map(|u| format!("u{u}"))
                .collect();
            if *role == "owner" {
                who.push("accord".to_string());
            }
            writeln!(s, "        {role}: {}", list(&who)).unwrap();
        }
        s.push_str("      documents:\n");
        for d in 0..SUBJECTS {
            let mut fields = Vec::new();
            if let Some(v) = self.policy_visible[d] {
                fields.push(format!(
                    "visible_to: {}",
                    list(&principals(v, PRINCIPALS, false))
                ));
            }
            if let Some(sets) = &self.policy_sets[d] {
                let named: Vec<String> = SETS
                    .iter()
                    .enumerate()
                    .filter_map(|(i, name)| {
                        let p = principals(sets[i], USERS + 1, false);
                        (!p.is_empty()).then(|| format!("{name}: {}", list(&p)))
                    })
                    .collect();
                fields.push(format!("principal_sets: {{ {} }}", named.join(", ")));
            }
            writeln!(s, "        doc{d}: {{ {} }}", fields.join(", ")).unwrap();
        }
        s
    }

    fn write(&self, dir: &Path) {
        common::write_embedded(dir, &self.seed(), &self.policy());
    }
}

/// The `content` of every seeded entry in a saved embedded state.
fn contents(dir: &Path) -> Vec<String> {
    let state = std::fs::read_to_string(dir.join(".accord/t/state.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&state).unwrap();
    let entries = &v["state"]["search"]["indexes"][INDEX]["subjects"];
    (0..SUBJECTS)
        .map(|d| {
            let subject = &entries[format!("doc{d}")];
            let mut found = Vec::new();
            collect_content(subject, &mut found);
            found.join("|")
        })
        .collect()
}

fn collect_content(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                if k == "content" {
                    out.push(x.to_string());
                } else {
                    collect_content(x, out);
                }
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| collect_content(x, out)),
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn one_search_apply_converges_and_keeps_content(case in case()) {
        let tmp = tempfile::tempdir().unwrap();
        case.write(tmp.path());
        let dir = tmp.path().to_str().unwrap();
        let ctx = format!("seed:\n{}\npolicy:\n{}", case.seed(), case.policy());
        common::converges(dir, &ctx).map_err(TestCaseError::fail)?;
        let after = contents(tmp.path());
        for (d, c) in after.iter().enumerate() {
            let want = format!("{{\"n\":{d},\"nested\":{{\"keep\":[1,2]}}}}");
            prop_assert_eq!(c, &want, "content changed\n{}", ctx);
        }
    }
}

#[test]
fn generated_search_workspaces_are_valid() {
    let full = Case {
        seed_roles: vec![vec![true; USERS]; ROLES.len()],
        policy_roles: vec![vec![false; USERS]; ROLES.len()],
        seed_visible: vec![0b11_1111; SUBJECTS],
        policy_visible: vec![Some(0b1); SUBJECTS],
        seed_sets: vec![vec![0b1111; SETS.len()]; SUBJECTS],
        policy_sets: vec![Some(vec![0; SETS.len()]); SUBJECTS],
    };
    let tmp = tempfile::tempdir().unwrap();
    full.write(tmp.path());
    accord::emulator::Seed::from_yaml_str(&accord::services::builtin(), &full.seed())
        .expect("seed validates");
    let (code, out, err) = run(&["validate", tmp.path().to_str().unwrap()]);
    assert_eq!(code, 0, "{out}\n{err}\n{}", full.policy());
}
