//! Property: for random Flows role lists, live and declared (each list declared or left out),
//! one apply converges (the plan is empty after it) and a second apply sends nothing.

mod common;

use std::fmt::Write as _;
use std::path::Path;

use common::run;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

const CLIENT: &str = "0b1e4d5c-6f7a-4b8c-9d0e-1f2a3b4c5d6e";
const FLOW: &str = "2f3a0000-0000-4000-8000-000000000001";
const USERS: usize = 3;
const LISTS: [&str; 5] = [
    "flow_administrators",
    "flow_starters",
    "flow_viewers",
    "run_managers",
    "run_monitors",
];
/// Principals a list may hold: the users, the managed group, and the list's special value.
const PRINCIPALS: usize = USERS + 2;

fn user_id(u: usize) -> String {
    format!("00000000-0000-4000-8000-00000000000{u}")
}

#[derive(Debug, Clone)]
struct Case {
    /// Per list: the live mask, and the declared one (None: the list is left out).
    seed: Vec<u8>,
    policy: Vec<Option<u8>>,
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec(0u8..(1 << PRINCIPALS), LISTS.len()),
        prop::collection::vec(
            prop::option::weighted(0.7, 0u8..(1 << PRINCIPALS)),
            LISTS.len(),
        ),
    )
        .prop_map(|(seed, policy)| Case { seed, policy })
}

/// The principals of `mask` in list `list`, as the seed (`live`) or the policy writes them.
fn principals(mask: u8, list: usize, live: bool) -> Vec<String> {
    (0..PRINCIPALS)
        .filter(|i| mask & (1 << i) != 0)
        .filter_map(|i| match i {
            i if i < USERS => Some(if live {
                format!("u{i}@uni.edu")
            } else {
                format!("u{i}")
            }),
            i if i == USERS => Some("group:team".to_string()),
            // Only starters and viewers take a special value.
            _ => match LISTS[list] {
                "flow_starters" => Some("all_authenticated_users".to_string()),
                "flow_viewers" => Some("public".to_string()),
                _ => None,
            },
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
        // accord's client owns the flow: it may read and write every list.
        writeln!(
            s,
            "flows:\n  - id: {FLOW}\n    title: prop\n    owner: {CLIENT}"
        )
        .unwrap();
        for (l, name) in LISTS.iter().enumerate() {
            writeln!(
                s,
                "    {name}: {}",
                list(&principals(self.seed[l], l, true))
            )
            .unwrap();
        }
        s
    }

    fn policy(&self) -> String {
        let mut s = String::from("identities:\n");
        for u in 0..USERS {
            writeln!(s, "  u{u}: u{u}@uni.edu").unwrap();
        }
        s.push_str("groups:\n  team:\n    members: { u0: member }\n");
        writeln!(s, "flows:\n  {FLOW}:").unwrap();
        for (l, name) in LISTS.iter().enumerate() {
            if let Some(mask) = self.policy[l] {
                writeln!(s, "    {name}: {}", list(&principals(mask, l, false))).unwrap();
            }
        }
        s
    }

    fn write(&self, dir: &Path) {
        common::write_embedded(dir, &self.seed(), &self.policy());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn one_flows_apply_converges(case in case()) {
        let tmp = tempfile::tempdir().unwrap();
        case.write(tmp.path());
        let dir = tmp.path().to_str().unwrap();
        let ctx = format!("seed:\n{}\npolicy:\n{}", case.seed(), case.policy());
        common::converges(dir, &ctx).map_err(TestCaseError::fail)?;
    }
}

#[test]
fn generated_flows_workspaces_are_valid() {
    let full = Case {
        seed: vec![(1 << PRINCIPALS) - 1; LISTS.len()],
        policy: vec![Some((1 << PRINCIPALS) - 1); LISTS.len()],
    };
    let tmp = tempfile::tempdir().unwrap();
    full.write(tmp.path());
    accord::emulator::Seed::from_yaml_str(&accord::services::builtin(), &full.seed())
        .expect("seed validates");
    let (code, out, err) = run(&["validate", tmp.path().to_str().unwrap()]);
    assert_eq!(code, 0, "{out}\n{err}\n{}", full.policy());
}
