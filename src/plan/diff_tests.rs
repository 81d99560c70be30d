//! The diff's generic rules on the core's test kinds: containers a read reports blocked.

use super::diff::{DiffContext, diff};
use crate::state::kind::testing::{GROUP, MEMBER};
use crate::state::{
    Action, Address, Container, ContainerMode, Desired, LiveRead, Object, Provenance,
};

fn member(group: &str, id: u128) -> Object {
    let key = format!("identity:{}", uuid::Uuid::from_u128(id));
    Object::new(Address::new(MEMBER, [group.to_string(), key]))
}

fn at(line: u32) -> Provenance {
    Provenance {
        file: std::path::Path::new("p.yaml").into(),
        line,
        column: 5,
    }
}

/// `lab` and `ops` authoritative; alice wanted in both, bob live in both.
fn states() -> (Desired, LiveRead) {
    let mut desired = Desired::default();
    let mut live = LiveRead::default();
    for g in ["lab", "ops"] {
        desired.state.containers.push(Container {
            address: Address::new(GROUP, [g]),
            mode: ContainerMode::Authoritative,
            manage_paths: vec![],
            provenance: Some(at(1)),
        });
        let mut alice = member(g, 1);
        alice.provenance = Some(at(7));
        desired.state.insert(alice);
        live.state.insert(member(g, 2));
    }
    (desired, live)
}

#[test]
fn without_a_blocked_container_the_diff_creates_and_removes() {
    let (desired, live) = states();
    let d = diff(&desired, &live, &DiffContext::default());
    let mut actions: Vec<Action> = d.changes.iter().map(|c| c.action).collect();
    actions.sort_by_key(|a| format!("{a:?}"));
    assert_eq!(
        actions,
        [
            Action::Create,
            Action::Create,
            Action::Delete,
            Action::Delete
        ]
    );
    assert!(d.blocked.is_empty());
}

#[test]
fn a_blocked_container_is_neither_diffed_nor_written() {
    let (desired, mut live) = states();
    let mut other = LiveRead::default();
    other.blocked.push((
        Address::partial(MEMBER, ["lab"]),
        "accord may not see lab".to_string(),
    ));
    // Merged like any read's findings.
    live.merge(other);
    let d = diff(&desired, &live, &DiffContext::default());
    // `ops` is diffed as before; nothing of `lab` is planned.
    assert_eq!(d.changes.len(), 2, "{:?}", d.changes);
    assert!(d.changes.iter().all(|c| c.address.keys[0] == "ops"));
    assert_eq!(d.blocked.len(), 1, "{:?}", d.blocked);
    let b = &d.blocked[0];
    assert_eq!(b.address, member("lab", 1).address);
    assert_eq!(b.reason, "accord may not see lab");
    assert_eq!(b.provenance, Some(at(7)));
}

#[test]
fn a_tombstone_inside_a_blocked_container_is_not_removed() {
    let (mut desired, mut live) = states();
    let bob = member("lab", 2).address;
    desired.tombstones.insert(bob.clone(), at(9));
    live.blocked
        .push((Address::partial(MEMBER, ["lab"]), "blocked".to_string()));
    let d = diff(&desired, &live, &DiffContext::default());
    assert!(
        d.changes.iter().all(|c| c.address != bob),
        "{:?}",
        d.changes
    );
}
