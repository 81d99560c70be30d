//! The access model's tests: the scoped delta against the full one, on the core's test kinds.

use super::testing::{self, checked_delta, create, delete, state, update};
use super::*;
use crate::plan::change::Action;
use crate::state::Address;
use crate::state::State;
use crate::state::kind::testing::{GROUP, MEMBER, PATH, ROLES, RULE};
use effective::effective;
use std::collections::BTreeSet;

const EP: &str = "e56c36e4-1063-11e6-a747-22000bf2d559";

fn now() -> DateTime<Utc> {
    "2026-11-23T00:00:00Z".parse().unwrap()
}

fn who(n: u128) -> String {
    Principal::Identity(uuid::Uuid::from_u128(n)).to_string()
}

fn member(group: &str, n: u128, role: &str) -> Object {
    Object::new(Address::new(MEMBER, [group.to_string(), who(n)]))
        .with("role", role)
        .with("status", "active")
}

fn rule(path: &str, principal: &str, perms: &str) -> Object {
    Object::new(Address::new(RULE, [EP, path, principal])).with("permissions", perms)
}

fn run(live: Vec<Object>, changes: Vec<Change>) -> AccessDelta {
    checked_delta(live, changes, now())
}

/// The delta computed over every pair of both whole states.
fn full_delta(live: &State, changes: &[Change]) -> AccessDelta {
    testing::full_delta(live, changes, now())
}

fn path(p: &str) -> Resource {
    Resource::new(PATH, [EP, p])
}

#[test]
fn a_new_member_gains_the_groups_rules() {
    let rw = rule("/shared/", "group:lab", "rw");
    let d = run(
        vec![member("lab", 1, "member"), rw],
        vec![create(member("lab", 2, "member"))],
    );
    assert!(d.losses.is_empty());
    let on_path: Vec<_> = d
        .gains
        .iter()
        .filter(|g| g.resource == path("/shared/"))
        .collect();
    assert_eq!(on_path.len(), 1, "{d:#?}");
    assert_eq!(on_path[0].principal, who(2));
    assert_eq!(on_path[0].via, vec!["group:lab"]);
    assert_eq!(on_path[0].escalation, Some(Escalation::NewRw));
    // Membership is access too.
    assert!(
        d.gains
            .iter()
            .any(|g| g.resource == Resource::new(ROLES, ["lab"])
                && g.after.as_deref() == Some("member")
                && g.escalation.is_none())
    );
}

#[test]
fn removing_a_member_loses_the_groups_rw() {
    let d = run(
        vec![member("lab", 1, "member"), rule("/x/", "group:lab", "rw")],
        vec![delete(member("lab", 1, "member"))],
    );
    assert!(d.gains.is_empty());
    let lost = d.losses.iter().find(|l| l.resource == path("/x/")).unwrap();
    assert_eq!(
        (lost.before.as_deref(), lost.after.as_deref()),
        (Some("rw"), None)
    );
    assert_eq!(lost.via, vec!["group:lab"]);
    assert_eq!(d.losses.len(), 2, "the rw and the membership");
}

#[test]
fn r_to_rw_is_an_escalation_and_rw_to_r_a_partial_loss() {
    let id = who(1);
    let d = run(
        vec![rule("/a/", &id, "r")],
        vec![update(rule("/a/", &id, "r"), rule("/a/", &id, "rw"))],
    );
    assert_eq!(d.gains.len(), 1);
    assert_eq!(d.gains[0].before.as_deref(), Some("r"));
    assert_eq!(d.gains[0].escalation, Some(Escalation::NewRw));
    let d = run(
        vec![rule("/a/", &id, "rw")],
        vec![update(rule("/a/", &id, "rw"), rule("/a/", &id, "r"))],
    );
    assert_eq!(d.losses.len(), 1);
    assert_eq!(d.losses[0].after.as_deref(), Some("r"));
}

#[test]
fn any_grant_to_anonymous_is_an_escalation() {
    let d = run(vec![], vec![create(rule("/pub/", "anonymous", "r"))]);
    assert_eq!(d.gains.len(), 1);
    assert_eq!(d.gains[0].principal, "anonymous");
    assert_eq!(d.gains[0].escalation, Some(Escalation::Everyone));
}

#[test]
fn a_group_rule_for_three_members_is_three_gains() {
    let live = vec![
        member("lab", 1, "member"),
        member("lab", 2, "manager"),
        member("lab", 3, "admin"),
    ];
    let d = run(live, vec![create(rule("/data/", "group:lab", "r"))]);
    assert_eq!(d.gains.len(), 3, "{d:#?}");
    assert!(
        d.gains
            .iter()
            .all(|g| g.via == vec!["group:lab"] && g.escalation.is_none() && g.before.is_none())
    );
}

#[test]
fn manager_to_admin_is_an_escalation() {
    let d = run(
        vec![member("lab", 1, "manager")],
        vec![update(
            member("lab", 1, "manager"),
            member("lab", 1, "admin"),
        )],
    );
    assert_eq!(d.gains.len(), 1);
    assert_eq!(d.gains[0].before.as_deref(), Some("manager"));
    assert_eq!(d.gains[0].escalation, Some(Escalation::NewAdmin));
}

#[test]
fn an_expired_grant_gives_nothing() {
    let id = who(1);
    let live = vec![rule("/a/", &id, "rw").with("expires", "2026-01-01T00:00:00Z")];
    assert!(effective(&state(live), now()).is_empty());
}

#[test]
fn invited_members_have_no_access_until_active() {
    let live = vec![
        member("lab", 1, "member").with("status", "invited"),
        rule("/x/", "group:lab", "r"),
    ];
    assert!(effective(&state(live), now()).is_empty());
}

#[test]
fn a_second_route_at_the_same_level_keeps_access() {
    // Alice reads /x/ directly and through the group: losing one route loses nothing.
    let alice = who(1);
    let direct = rule("/x/", &alice, "r");
    let d = run(
        vec![
            member("lab", 1, "member"),
            rule("/x/", "group:lab", "r"),
            direct.clone(),
        ],
        vec![delete(direct)],
    );
    assert!(d.is_empty(), "{d:#?}");
}

#[test]
fn deleting_a_group_removes_its_members_access() {
    let group = Object::new(Address::new(GROUP, ["old"]));
    let d = run(
        vec![group.clone(), member("old", 1, "admin")],
        vec![delete(group)],
    );
    assert_eq!(d.losses.len(), 1);
    assert_eq!(d.losses[0].before.as_deref(), Some("admin"));
}

#[test]
fn unmanaged_groups_and_special_principals_are_principals() {
    let unmanaged = "group:8b7d57bc-1666-11ec-88b2-f50515619d57";
    let d = run(
        vec![],
        vec![
            create(rule("/u/", unmanaged, "r")),
            create(rule("/all/", "all_authenticated_users", "r")),
        ],
    );
    assert_eq!(d.gains.len(), 2);
    assert_eq!(d.gains[0].escalation, Some(Escalation::Everyone));
    assert_eq!(d.gains[1].principal, unmanaged);
    assert_eq!(d.gains[1].who(), "group:8b7d57bc…");
}

mod scoped_equals_full {
    use super::*;
    use proptest::prelude::*;

    /// One random object among a few groups, paths and people, so that changes collide.
    fn object() -> impl Strategy<Value = Object> {
        let role = prop::sample::select(vec!["member", "manager", "admin"]);
        let status = prop::sample::select(vec!["active", "active", "invited", "left"]);
        let perms = prop::sample::select(vec!["r", "rw"]);
        let group = prop::sample::select(vec!["a", "b", "c"]);
        let path = prop::sample::select(vec!["/x/", "/y/", "/z/"]);
        let expiry = prop::option::of(prop::sample::select(vec![
            "2026-01-01T00:00:00Z",
            "2027-01-01T00:00:00Z",
        ]));
        prop_oneof![
            (group.clone(), 1u128..6, role, status)
                .prop_map(|(g, n, r, s)| member(g, n, r).with("status", s)),
            (
                path,
                prop_oneof![
                    (1u128..6).prop_map(who),
                    group.prop_map(|g| format!("group:{g}")),
                    Just("anonymous".to_string()),
                ],
                perms,
                expiry
            )
                .prop_map(|(p, who, perms, exp)| {
                    let r = rule(p, &who, perms);
                    match exp {
                        Some(e) => r.with("expires", e),
                        None => r,
                    }
                }),
            group_object(),
        ]
    }

    fn group_object() -> impl Strategy<Value = Object> {
        prop::sample::select(vec!["a", "b", "c"])
            .prop_map(|g| Object::new(Address::new(GROUP, [g])))
    }

    /// A change against the live state: create or replace with a new object, update
    /// one, delete one (groups included).
    fn changes(live: &State, news: Vec<Object>, picks: Vec<(u8, usize)>) -> Vec<Change> {
        let existing: Vec<&Object> = live.objects.values().collect();
        let mut out = Vec::new();
        let mut seen = BTreeSet::new();
        for ((action, pick), new) in picks.into_iter().zip(news) {
            let change = match (action % 4, existing.get(pick % existing.len().max(1))) {
                (0, _) => {
                    let mut c = create(new.clone());
                    if live.objects.contains_key(&new.address) {
                        c.action = Action::Replace;
                        c.before = live.get(&new.address).cloned();
                    }
                    c
                }
                (1, Some(have)) if have.address.kind != GROUP => {
                    let mut want = new.clone();
                    want.address = have.address.clone();
                    update((*have).clone(), want)
                }
                (_, Some(have)) => delete((*have).clone()),
                _ => continue,
            };
            if seen.insert(change.address.clone()) {
                out.push(change);
            }
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        #[test]
        fn on_random_states(
            live in prop::collection::vec(object(), 0..24),
            news in prop::collection::vec(object(), 0..8),
            picks in prop::collection::vec((0u8..4, 0usize..64), 0..8),
        ) {
            let live = state(live);
            let changes = changes(&live, news, picks);
            let scoped = delta(live.objects.values(), &changes, &BTreeMap::new(), now());
            prop_assert_eq!(scoped, full_delta(&live, &changes));
        }

        /// `accord access` and the delta read one model: every holding of the query model is
        /// the effective access of the whole state, and the other way round.
        #[test]
        fn the_query_model_is_the_deltas(objects in prop::collection::vec(object(), 0..24)) {
            let live = state(objects);
            let model = Model::new(live.objects.values(), now(), false);
            let answered: BTreeMap<(String, String), (String, usize)> = model
                .everything(&BTreeMap::new())
                .holdings
                .into_iter()
                .filter(|h| h.principal.parse::<Principal>().is_ok())
                .map(|h| {
                    let rank = h.chains[0].rank;
                    ((h.principal, h.resource), (h.level, rank))
                })
                .collect();
            let effective: BTreeMap<(String, String), (String, usize)> =
                super::super::effective::effective(&live, now())
                    .into_iter()
                    .map(|((p, on), h)| {
                        ((p.to_string(), Resource::from(on).to_string()), (h.level.to_string(), h.rank))
                    })
                    .collect();
            prop_assert_eq!(answered, effective);
        }
    }
}

#[test]
fn resources_read_back_by_their_registered_prefix() {
    crate::state::kind::testing::register();
    let s = format!("test-path:{EP}:/a:b/");
    let r: Resource = s.parse().unwrap();
    assert_eq!(r, path("/a:b/"));
    assert_eq!(r.to_string(), s);
    for bad in [
        "test-path:x",
        "test-path::/a/",
        "test-path:x:a/",
        "test-group:",
        "nope:x",
    ] {
        assert!(bad.parse::<Resource>().is_err(), "{bad}");
    }
    assert_eq!(
        "test-group:a:b".parse::<Resource>().unwrap(),
        Resource::new(ROLES, ["a:b"])
    );
}

#[test]
fn resources_sort_by_their_type_then_their_parts() {
    let mut all = [
        path("/b/"),
        Resource::new(ROLES, ["z"]),
        path("/a/"),
        Resource::new(ROLES, ["a"]),
    ];
    all.sort();
    let shown: Vec<String> = all.iter().map(|r| r.to_string()).collect();
    assert_eq!(
        shown,
        [
            "test-group:a".to_string(),
            "test-group:z".to_string(),
            format!("test-path:{EP}:/a/"),
            format!("test-path:{EP}:/b/"),
        ]
    );
}

#[test]
fn a_resource_reads_as_its_service_says() {
    assert_eq!(
        Resource::new(ROLES, ["lab"]).phrase("admin"),
        "admin of group lab"
    );
    assert_eq!(path("/x/").phrase("rw"), format!("rw on {EP} /x/"));
    assert_eq!(ROLES.escalation("manager"), Some(Escalation::NewManager));
    assert_eq!(ROLES.escalation("member"), None);
}
