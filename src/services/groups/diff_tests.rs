//! The diff on Groups' kinds (and the container index across services): members created,
//! updated and removed, the last admin and protected access kept.

use crate::plan::diff::{ContainerIndex, DiffContext, diff};
use crate::services::boss::PERMISSION;
use crate::services::groups::{GROUP, MEMBER};
use crate::services::transfer::ACL;
use crate::state::{
    Action, Address, Container, ContainerMode, Desired, Direction, Kind, LiveRead, Object,
    Principal, Provenance,
};

fn member(group: &str, id: u128, role: &str) -> Object {
    let key = format!("identity:{}", uuid::Uuid::from_u128(id));
    Object::new(Address::new(MEMBER, [group.to_string(), key])).with("role", role)
}

fn group_container(name: &str) -> Container {
    Container {
        address: Address::new(GROUP, [name]),
        mode: ContainerMode::Authoritative,
        manage_paths: vec![],
        provenance: Some(Provenance {
            file: std::path::Path::new("g.yaml").into(),
            line: 1,
            column: 1,
        }),
    }
}

/// The index finds what a scan of every container in policy order finds.
#[test]
fn the_container_index_agrees_with_a_scan() {
    let scan = |containers: &[Container], a: &Address| -> Option<Address> {
        containers
            .iter()
            .find(|c| {
                c.address.kind == a.kind && a.keys.starts_with(&c.address.keys)
                    || (c.address.kind == GROUP
                        && a.kind == MEMBER
                        && a.keys.first() == c.address.keys.first())
            })
            .map(|c| c.address.clone())
    };
    let container = |kind: Kind, keys: &[&str]| Container {
        address: Address::partial(kind, keys.iter().copied()),
        ..group_container("x")
    };
    let containers = vec![
        container(ACL, &["ep1", "/a/"]),
        container(ACL, &["ep1"]),
        container(GROUP, &["lab"]),
        container(MEMBER, &["lab"]),
        container(PERMISSION, &[]),
        container(PERMISSION, &["coll"]),
    ];
    let index = ContainerIndex::new(&containers);
    let addresses = [
        Address::new(ACL, ["ep1", "/a/", "identity:x"]),
        Address::new(ACL, ["ep1", "/b/", "identity:x"]),
        Address::new(ACL, ["ep2", "/a/", "identity:x"]),
        Address::new(MEMBER, ["lab", "identity:x"]),
        Address::new(MEMBER, ["other", "identity:x"]),
        Address::partial(PERMISSION, ["coll", "boss-group:g"]),
        Address::partial(PERMISSION, ["else", "boss-group:g"]),
        Address::new(GROUP, ["lab"]),
    ];
    for a in &addresses {
        assert_eq!(
            index.find(a).map(|c| c.address.clone()),
            scan(&containers, a),
            "{a}"
        );
    }
    assert_eq!(
        index.find(&addresses[0]).unwrap().address.keys[..],
        vec!["ep1", "/a/"],
        "the first container in policy order wins"
    );
}

fn setup(desired: Vec<Object>, live: Vec<Object>) -> (Desired, LiveRead) {
    let mut d = Desired::default();
    d.state.containers.push(group_container("lab"));
    for o in desired {
        d.state.insert(o);
    }
    let mut l = LiveRead::default();
    for o in live {
        l.state.insert(o.with("status", "active"));
    }
    (d, l)
}

#[test]
fn creates_updates_and_deletes() {
    let (d, l) = setup(
        vec![member("lab", 1, "admin"), member("lab", 2, "member")],
        vec![member("lab", 1, "manager"), member("lab", 3, "member")],
    );
    let out = diff(&d, &l, &DiffContext::default());
    let actions: Vec<_> = out
        .changes
        .iter()
        .map(|c| (c.action, c.direction))
        .collect();
    assert_eq!(
        actions,
        vec![
            (Action::Update, Direction::Grant),
            (Action::Create, Direction::Grant),
            (Action::Delete, Direction::Revoke)
        ]
    );
    assert_eq!(out.changes[0].fields[0].before, "manager");
    assert!(out.changes[2].reason.contains("authoritative"));
}

#[test]
fn member_expiry_is_not_compared_with_live() {
    // Groups stores no expiry: a declared future expiry must not be a perpetual change.
    let (d, l) = setup(
        vec![member("lab", 1, "member").with("expires", "2027-06-30T00:00:00Z")],
        vec![member("lab", 1, "member")],
    );
    let out = diff(&d, &l, &DiffContext::default());
    assert!(out.changes.is_empty(), "{:?}", out.changes);
}

#[test]
fn demotion_is_a_revocation() {
    let (d, l) = setup(
        vec![member("lab", 1, "member"), member("lab", 2, "admin")],
        vec![member("lab", 1, "admin"), member("lab", 2, "admin")],
    );
    let out = diff(&d, &l, &DiffContext::default());
    assert_eq!(out.changes.len(), 1);
    assert_eq!(out.changes[0].direction, Direction::Revoke);
}

#[test]
fn last_admin_is_kept() {
    let (d, l) = setup(
        vec![member("lab", 2, "member")],
        vec![member("lab", 1, "admin")],
    );
    let out = diff(&d, &l, &DiffContext::default());
    assert_eq!(out.kept.len(), 1, "{:?}", out.changes);
    assert!(out.kept[0].reason.contains("last admin"));
    assert!(out.changes.iter().all(|c| c.action == Action::Create));
}

#[test]
fn caller_and_protected_are_kept() {
    let (d, l) = setup(
        vec![member("lab", 9, "admin")],
        vec![
            member("lab", 9, "admin"),
            member("lab", 1, "admin"),
            member("lab", 2, "member"),
        ],
    );
    let caller = Principal::Identity(uuid::Uuid::from_u128(1));
    let protect = [Principal::Identity(uuid::Uuid::from_u128(2))]
        .into_iter()
        .collect();
    let out = diff(
        &d,
        &l,
        &DiffContext {
            callers: [caller].into(),
            protect,
        },
    );
    // The caller's undeclared membership is system-managed; the protected one is kept.
    assert!(out.changes.is_empty(), "{:?}", out.changes);
    assert_eq!(out.kept.len(), 1);
    assert_eq!(out.kept[0].reason, "listed in safety.protect");
}

#[test]
fn pending_is_present_and_left_is_blocked() {
    let (d, mut l) = setup(
        vec![member("lab", 1, "member"), member("lab", 2, "member")],
        vec![],
    );
    l.state
        .insert(member("lab", 1, "member").with("status", "invited"));
    l.state
        .insert(member("lab", 2, "member").with("status", "left"));
    let out = diff(&d, &l, &DiffContext::default());
    assert!(out.changes.is_empty());
    assert_eq!(out.pending.len(), 1);
    assert_eq!(out.blocked.len(), 1);
}

#[test]
fn additive_never_removes_and_manage_paths_scope() {
    let mut d = Desired::default();
    d.state.containers.push(Container {
        address: Address::partial(ACL, ["ep"]),
        mode: ContainerMode::Authoritative,
        manage_paths: vec!["/disthome/".into()],
        provenance: None,
    });
    let mut l = LiveRead::default();
    let rule =
        |p: &str| Object::new(Address::new(ACL, ["ep", p, "anonymous"])).with("permissions", "r");
    l.state.insert(rule("/disthome/x/"));
    l.state.insert(rule("/other/"));
    let out = diff(&d, &l, &DiffContext::default());
    assert_eq!(out.changes.len(), 1);
    assert_eq!(out.changes[0].address.keys[1], "/disthome/x/");
    d.state.containers[0].mode = ContainerMode::Additive;
    assert!(diff(&d, &l, &DiffContext::default()).changes.is_empty());
}

#[test]
fn ignore_changes_and_computed_fields_are_not_diffed() {
    let mut d = Desired::default();
    let g = Address::new(GROUP, ["lab"]);
    d.state
        .insert(Object::new(g.clone()).with("description", "new"));
    d.ignore_changes
        .insert(g.clone(), ["description".to_string()].into_iter().collect());
    let mut l = LiveRead::default();
    l.state.insert(Object::new(g).with("description", "old"));
    assert!(diff(&d, &l, &DiffContext::default()).changes.is_empty());
}

#[test]
fn a_new_groups_creator_admin_is_not_planned() {
    // The policy names accord (id 1) admin of a group this plan creates, and of one that exists.
    let group = |name: &str| Object::new(Address::new(GROUP, [name]));
    let (mut d, mut l) = setup(
        vec![
            group("new"),
            member("new", 1, "admin"),
            member("new", 2, "member"),
            group("lab"),
            member("lab", 1, "admin"),
        ],
        vec![group("lab")],
    );
    d.state.containers.push(group_container("new"));
    l.state
        .insert(member("lab", 2, "member").with("status", "active"));
    let caller = Principal::Identity(uuid::Uuid::from_u128(1));
    let out = diff(
        &d,
        &l,
        &DiffContext {
            callers: [caller].into(),
            protect: Default::default(),
        },
    );
    let created: Vec<String> = out
        .changes
        .iter()
        .filter(|c| c.action == Action::Create)
        .map(|c| c.address.to_string())
        .collect();
    // Groups makes the creator admin of "new" by itself: no line for it. In "lab", which
    // exists, accord's admin membership is a real write.
    let me = format!("identity:{}", uuid::Uuid::from_u128(1));
    assert!(
        created
            .iter()
            .any(|a| a.contains("\"new\"]") && !a.contains(&me))
    );
    assert!(
        !created
            .iter()
            .any(|a| a.contains("\"new\"") && a.contains(&me)),
        "{created:?}"
    );
    assert!(
        created
            .iter()
            .any(|a| a.contains("\"lab\"") && a.contains(&me)),
        "{created:?}"
    );
    assert!(
        created
            .iter()
            .any(|a| a.contains("\"new\"") && a.contains("00000000-0000-0000-0000-000000000002")),
        "{created:?}"
    );
}
