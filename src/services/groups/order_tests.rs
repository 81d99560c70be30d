//! Ordering on Groups' and Transfer's kinds: batches per group, groups first, deletes reversed.

use crate::plan::order::order;
use crate::state::Object;
use crate::state::{Action, Address, Change, Direction};

fn change(address: Address, action: Action, direction: Direction, deps: Vec<Address>) -> Change {
    let mut obj = Object::new(address.clone());
    obj.depends_on = deps;
    Change {
        address,
        action,
        fields: vec![],
        before: None,
        after: if action == Action::Delete {
            None
        } else {
            Some(obj)
        },
        direction,
        reason: String::new(),
        provenance: None,
        labels: Default::default(),
        deleted_with: None,
    }
}

fn group(n: &str) -> Address {
    Address::new(crate::services::groups::GROUP, [n])
}

fn member(g: &str, i: u128) -> Address {
    Address::new(
        crate::services::groups::MEMBER,
        [
            g.to_string(),
            format!("identity:{}", uuid::Uuid::from_u128(i)),
        ],
    )
}

#[test]
fn batches_per_group_and_direction_and_orders_groups_first() {
    let changes = vec![
        change(
            member("a", 1),
            Action::Create,
            Direction::Grant,
            vec![group("a")],
        ),
        change(member("a", 2), Action::Delete, Direction::Revoke, vec![]),
        change(
            member("a", 3),
            Action::Create,
            Direction::Grant,
            vec![group("a")],
        ),
        change(group("a"), Action::Create, Direction::Neutral, vec![]),
    ];
    let key = |c: &Change| {
        (c.address.kind == crate::services::groups::MEMBER)
            .then(|| format!("g:{}", c.address.keys[0]))
    };
    let (changes, steps) = order(changes, &key).unwrap();
    assert_eq!(changes[0].address, group("a"));
    assert_eq!(steps.len(), 3, "{steps:?}");
    assert_eq!(steps[1].changes.len(), 2, "both grants in one batch");
    assert_eq!(
        steps[1].depends_on,
        vec![0],
        "the batch waits for the group"
    );
    assert_eq!(changes[steps[2].changes[0]].action, Action::Delete);
}

#[test]
fn deletes_are_reversed() {
    let rule = Address::new(crate::services::transfer::ACL, ["ep", "/x/", "group:a"]);
    let changes = vec![
        change(group("a"), Action::Delete, Direction::Revoke, vec![]),
        change(rule.clone(), Action::Delete, Direction::Revoke, vec![]),
    ];
    let (changes, steps) = order(changes, &|_| None).unwrap();
    assert_eq!(changes[0].address, rule);
    assert_eq!(steps[1].depends_on, vec![0]);
}

#[test]
fn reports_every_member_of_a_cycle() {
    let a = Address::new(crate::services::transfer::ACL, ["ep", "/a/", "anonymous"]);
    let b = Address::new(crate::services::transfer::ACL, ["ep", "/b/", "anonymous"]);
    let changes = vec![
        change(a.clone(), Action::Create, Direction::Grant, vec![b.clone()]),
        change(b.clone(), Action::Create, Direction::Grant, vec![a.clone()]),
    ];
    let err = order(changes, &|_| None).unwrap_err();
    assert_eq!(err.0, vec![a, b]);
    assert!(err.to_string().starts_with("dependency cycle: "));
}
