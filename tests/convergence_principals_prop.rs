//! Property: principals written in random forms (aliases, usernames in any case, identity
//! UUIDs and URNs; managed groups by name, by pinned or unpinned UUID or URN; an unmanaged
//! group by UUID or URN) across Groups, Transfer, Search and `safety.protect`: one apply
//! deletes no grant the policy declares or protects, the plan after it is empty, and a
//! second apply sends no write.

mod common;

use std::collections::BTreeSet;
use std::fmt::Write as _;

use common::Live;
use common::grants::{Grant, apply_keeping, grants};
use proptest::prelude::*;

const CLIENT: &str = "0b1e4d5c-6f7a-4b8c-9d0e-1f2a3b4c5d6e";
const ENDPOINT: &str = "e56c36e4-1063-11e6-a747-22000bf2d559";
const INDEX: &str = "4de2f3a1-5b7c-4d8e-9f0a-1b2c3d4e5f60";
const USERS: usize = 3;
/// Users, then the managed groups `g0` and `g1`, then the unmanaged group.
const PRINCIPALS: usize = USERS + 3;
const PATHS: [&str; 2] = ["/a/", "/b/"];
const PERMS: [&str; 2] = ["r", "rw"];
const ROLES: [&str; 2] = ["member", "manager"];
/// The ways a user may be written (see [`written`]).
const USER_FORMS: usize = 7;
/// The ways a group may be written.
const GROUP_FORMS: usize = 4;

fn user_id(u: usize) -> String {
    format!("00000000-0000-4000-8000-00000000000{u}")
}

/// The live id of principal `p`, a group.
fn group_id(p: usize) -> String {
    format!("6a000000-0000-4000-8000-00000000000{p}")
}

/// Principal `p` in form `form` (taken modulo the forms it has).
fn written(p: usize, form: usize) -> String {
    if p < USERS {
        let id = user_id(p);
        return match form % USER_FORMS {
            0 => format!("u{p}"),
            1 => format!("u{p}-id"),
            2 => format!("u{p}@uni.edu"),
            3 => format!("U{p}@Uni.EDU"),
            4 => id,
            5 => id.to_uppercase(),
            _ => format!("urn:globus:auth:identity:{id}"),
        };
    }
    let id = group_id(p);
    let managed = p < USERS + 2;
    match form % GROUP_FORMS {
        0 if managed => format!("group:g{}", p - USERS),
        0 | 1 => format!("group:{id}"),
        2 => format!("group:{}", id.to_uppercase()),
        _ => format!("urn:globus:groups:id:{id}"),
    }
}

/// The URN of principal `p`, as Search holds it.
fn urn(p: usize) -> String {
    if p < USERS {
        format!("urn:globus:auth:identity:{}", user_id(p))
    } else {
        format!("urn:globus:groups:id:{}", group_id(p))
    }
}

/// The bare UUID of principal `p`, as Transfer holds it.
fn id(p: usize) -> String {
    if p < USERS { user_id(p) } else { group_id(p) }
}

/// One random world. Every declared principal carries the form it is written in.
#[derive(Debug, Clone)]
struct Case {
    /// Whether each managed group is pinned by `id:`.
    pins: [bool; 2],
    /// Per (principal, path): the live permissions, and the declared ones with a form.
    seed_acl: Vec<Option<usize>>,
    policy_acl: Vec<Option<(usize, usize)>>,
    /// Per user: the live role in `g0`, and the declared one with a form.
    seed_members: Vec<Option<usize>>,
    policy_members: Vec<Option<(usize, usize)>>,
    /// Per principal: the live writer role, and the declared one with a form.
    seed_writers: Vec<bool>,
    policy_writers: Vec<Option<usize>>,
    /// Per principal: in the live `visible_to` and curator set, and declared with a form.
    seed_visible: Vec<bool>,
    policy_visible: Vec<Option<usize>>,
    seed_curators: Vec<bool>,
    policy_curators: Vec<Option<usize>>,
    /// Per principal: in `safety.protect`, with a form.
    protect: Vec<Option<usize>>,
}

fn case() -> impl Strategy<Value = Case> {
    let form = || 0..USER_FORMS;
    let declared = |n, p| prop::collection::vec(prop::option::weighted(p, form()), n);
    let live = |n, p| prop::collection::vec(prop::bool::weighted(p), n);
    let acl = PRINCIPALS * PATHS.len();
    (
        (prop::bool::ANY, prop::bool::ANY),
        prop::collection::vec(prop::option::weighted(0.4, 0..PERMS.len()), acl),
        prop::collection::vec(prop::option::weighted(0.4, (0..PERMS.len(), form())), acl),
        prop::collection::vec(prop::option::weighted(0.5, 0..ROLES.len()), USERS),
        prop::collection::vec(prop::option::weighted(0.5, (0..ROLES.len(), form())), USERS),
        (live(PRINCIPALS, 0.4), declared(PRINCIPALS, 0.4)),
        (live(PRINCIPALS, 0.5), declared(PRINCIPALS, 0.5)),
        (live(PRINCIPALS, 0.4), declared(PRINCIPALS, 0.4)),
        declared(PRINCIPALS, 0.2),
    )
        .prop_map(
            |(
                pins,
                seed_acl,
                policy_acl,
                seed_members,
                policy_members,
                writers,
                visible,
                curators,
                protect,
            )| Case {
                pins: [pins.0, pins.1],
                seed_acl,
                policy_acl,
                seed_members,
                policy_members,
                seed_writers: writers.0,
                policy_writers: writers.1,
                seed_visible: visible.0,
                policy_visible: visible.1,
                seed_curators: curators.0,
                policy_curators: curators.1,
                protect,
            },
        )
}

/// The principals of a live mask, as URNs.
fn urns(mask: &[bool]) -> String {
    let list: Vec<String> = (0..PRINCIPALS).filter(|&p| mask[p]).map(urn).collect();
    list.join(", ")
}

/// The declared principals of a list, each in its form, quoted.
fn forms(declared: &[Option<usize>]) -> String {
    let list: Vec<String> = declared
        .iter()
        .enumerate()
        .filter_map(|(p, f)| Some(format!("\"{}\"", written(p, (*f)?))))
        .collect();
    list.join(", ")
}

impl Case {
    fn seed(&self) -> String {
        let mut s = format!(
            "clients: [{{ client_id: {CLIENT}, client_secret: prop-secret }}]\nidentities:\n"
        );
        for u in 0..USERS {
            writeln!(s, "  - {{ id: {}, username: u{u}@uni.edu }}", user_id(u)).unwrap();
        }
        s.push_str("groups:\n");
        for p in USERS..PRINCIPALS {
            let name = if p < USERS + 2 {
                format!("g{}", p - USERS)
            } else {
                "outside".into()
            };
            writeln!(
                s,
                "  - id: {}\n    name: {name}\n    members:\n      - {{ identity: {CLIENT}, role: admin }}",
                group_id(p)
            )
            .unwrap();
            if p == USERS {
                for (u, role) in self.seed_members.iter().enumerate() {
                    if let Some(r) = role {
                        writeln!(
                            s,
                            "      - {{ identity: {}, role: {} }}",
                            user_id(u),
                            ROLES[*r]
                        )
                        .unwrap();
                    }
                }
            }
        }
        writeln!(
            s,
            "endpoints:\n  - id: {ENDPOINT}\n    display_name: share\n    roles: {{ access_manager: [{CLIENT}] }}\n    acl:"
        )
        .unwrap();
        for (k, perm) in self.seed_acl.iter().enumerate() {
            let Some(perm) = perm else { continue };
            let p = k / PATHS.len();
            let ty = if p < USERS { "identity" } else { "group" };
            writeln!(
                s,
                "      - {{ principal_type: {ty}, principal: {}, path: {}, permissions: {} }}",
                id(p),
                PATHS[k % PATHS.len()],
                PERMS[*perm]
            )
            .unwrap();
        }
        if self.seed_acl.iter().all(Option::is_none) {
            s = s.trim_end().strip_suffix("acl:").unwrap().to_string() + "acl: []\n";
        }
        writeln!(
            s,
            "search:\n  indexes:\n    {INDEX}:\n      display_name: prop\n      roles:\n        owner: [{CLIENT}]\n        writer: [{}]\n      entries:\n        - {{ subject: doc, visible_to: [{}], principal_sets: {{ curator: [{}] }} }}",
            urns(&self.seed_writers),
            // An entry is visible to someone.
            if self.seed_visible.contains(&true) { urns(&self.seed_visible) } else { "public".into() },
            urns(&self.seed_curators),
        )
        .unwrap();
        s
    }

    fn policy(&self) -> String {
        let mut s = format!("identities:\n  accord: {CLIENT}\n");
        for u in 0..USERS {
            writeln!(s, "  u{u}: u{u}@uni.edu\n  u{u}-id: {}", user_id(u)).unwrap();
        }
        s.push_str("groups:\n");
        for g in 0..2 {
            write!(s, "  g{g}:").unwrap();
            if self.pins[g] {
                write!(s, "\n    id: {}", group_id(USERS + g)).unwrap();
            }
            let members: Vec<String> = self
                .policy_members
                .iter()
                .enumerate()
                .filter(|_| g == 0)
                .filter_map(|(u, m)| {
                    let (role, form) = (*m)?;
                    Some(format!("\"{}\": {}", written(u, form), ROLES[role]))
                })
                .collect();
            if members.is_empty() && !self.pins[g] {
                s.push_str(" {}\n");
            } else {
                writeln!(s, "\n    members: {{ {} }}", members.join(", ")).unwrap();
            }
        }
        writeln!(s, "endpoints:\n  {ENDPOINT}:\n    acl:").unwrap();
        for (k, rule) in self.policy_acl.iter().enumerate() {
            let Some((perm, form)) = rule else { continue };
            writeln!(
                s,
                "      - {{ principal: \"{}\", path: {}, permissions: {} }}",
                written(k / PATHS.len(), *form),
                PATHS[k % PATHS.len()],
                PERMS[*perm]
            )
            .unwrap();
        }
        if self.policy_acl.iter().all(Option::is_none) {
            s = s.trim_end().to_string() + " []\n";
        }
        let visible = if self.policy_visible.iter().any(Option::is_some) {
            forms(&self.policy_visible)
        } else {
            "public".into()
        };
        writeln!(
            s,
            "search:\n  indexes:\n    {INDEX}:\n      roles:\n        owner: [accord]\n        writer: [{}]\n      documents:\n        doc:\n          visible_to: [{visible}]\n          principal_sets: {{ curator: [{}] }}",
            forms(&self.policy_writers),
            forms(&self.policy_curators),
        )
        .unwrap();
        s
    }

    fn safety(&self) -> String {
        format!("protect: [{}]", forms(&self.protect))
    }

    /// The grants the apply must keep: those the policy declares, and the live ones of a
    /// protected principal.
    fn kept(&self) -> Vec<Grant> {
        let mut out = BTreeSet::new();
        for (k, rule) in self.policy_acl.iter().enumerate() {
            if rule.is_some() {
                out.insert(Grant::new(
                    ENDPOINT,
                    PATHS[k % PATHS.len()],
                    &id(k / PATHS.len()),
                ));
            }
        }
        for (p, w) in self.policy_writers.iter().enumerate() {
            if w.is_some() {
                out.insert(Grant::new(INDEX, "writer", &id(p)));
            }
        }
        let protected: BTreeSet<String> = (0..PRINCIPALS)
            .filter(|&p| self.protect[p].is_some())
            .map(id)
            .collect();
        let live = grants(&live_state(&self.seed()));
        out.extend(live.into_values().filter(|g| protected.contains(&g.who)));
        out.into_iter().collect()
    }

    fn write(&self, dir: &std::path::Path) {
        common::write_embedded(dir, &self.seed(), &self.policy());
        let accord = dir.join("accord.yaml");
        let text = std::fs::read_to_string(&accord).unwrap();
        let text = text.replace(
            "max_delete_share: 1.0 }",
            &format!("max_delete_share: 1.0, {} }}", self.safety()),
        );
        std::fs::write(accord, text).unwrap();
    }
}

/// The emulator state a seed starts with.
fn live_state(seed: &str) -> serde_json::Value {
    let seed =
        accord::emulator::Seed::from_yaml_str(&accord::services::builtin(), seed).expect("seed");
    accord::emulator::Emulator::new_at(seed, common::NOW.parse().unwrap()).snapshot()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn principals_in_any_form_converge_without_dropping_access(case in case()) {
        let tmp = tempfile::tempdir().unwrap();
        case.write(tmp.path());
        let dir = tmp.path().to_str().unwrap();
        let live = Live::from_seed(accord::emulator::Seed::from_yaml_str(&accord::services::builtin(), &case.seed()).unwrap());
        apply_keeping(&live, dir, &case.kept());
        common::assert_converged_without_writes(
            &live,
            dir,
            live.url(),
            &["/groups", "/transfer", "/search"],
        );
    }
}

#[test]
fn generated_workspaces_are_valid() {
    // Every form of every principal, each in every container, validates.
    for form in 0..USER_FORMS {
        let all = vec![Some(form); PRINCIPALS];
        let c = Case {
            pins: [form % 2 == 0, form % 2 == 1],
            seed_acl: vec![Some(0); PRINCIPALS * PATHS.len()],
            policy_acl: vec![Some((1, form)); PRINCIPALS * PATHS.len()],
            seed_members: vec![Some(1); USERS],
            policy_members: vec![Some((0, form)); USERS],
            seed_writers: vec![true; PRINCIPALS],
            policy_writers: all.clone(),
            seed_visible: vec![true; PRINCIPALS],
            policy_visible: all.clone(),
            seed_curators: vec![false; PRINCIPALS],
            policy_curators: all.clone(),
            protect: all,
        };
        let tmp = tempfile::tempdir().unwrap();
        c.write(tmp.path());
        accord::emulator::Seed::from_yaml_str(&accord::services::builtin(), &c.seed())
            .expect("seed validates");
        let (code, out, err) = common::run(&["validate", tmp.path().to_str().unwrap()]);
        assert_eq!(code, 0, "{out}\n{err}\n{}", c.policy());
    }
}
