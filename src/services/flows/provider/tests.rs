//! Reading a flow document into live objects (canonical principals, the owner system-managed,
//! a flow accord does not administer blocked), and laying a step's changes over live lists.

use std::collections::BTreeMap;

use serde_json::json;

use super::*;
use crate::plan::diff::{DiffContext, diff};
use crate::state::{Container, ContainerMode, Desired, Provenance};

const F: &str = "2f3a0000-0000-4000-8000-000000000001";
const OWNER_ID: &str = "b44bddda-d274-11e5-978a-9f15789a8150";
const ALICE: &str = "a1a1a1a1-0000-4000-8000-000000000001";
const LAB: &str = "9a000000-0000-4000-8000-000000000001";
const OTHER: &str = "9a000000-0000-4000-8000-000000000002";

fn doc(roles: &[&str]) -> Flow {
    serde_json::from_value(json!({
        "id": F,
        "title": "publish",
        "definition": {"StartAt": "x"},
        "flow_owner": format!("urn:globus:auth:identity:{OWNER_ID}"),
        "flow_administrators": [format!("urn:globus:groups:id:{LAB}")],
        "flow_starters": ["all_authenticated_users", format!("urn:globus:groups:id:{OTHER}")],
        "flow_viewers": ["public", format!("URN:GLOBUS:AUTH:IDENTITY:{}", ALICE.to_uppercase())],
        "run_managers": ["not a principal"],
        "run_monitors": [],
        "user_roles": roles,
    }))
    .unwrap()
}

fn names() -> BTreeMap<String, String> {
    BTreeMap::from([(LAB.to_string(), "lab".to_string())])
}

fn keys(live: &LiveRead) -> Vec<String> {
    live.state
        .objects
        .keys()
        .map(|a| a.keys[1..].join(" "))
        .collect()
}

#[test]
fn an_administrator_reads_every_list_canonically() {
    let mut live = LiveRead::default();
    read_flow(&mut live, &doc(&["flow_administrator"]), &names());
    assert_eq!(
        keys(&live),
        [
            "flow_administrators group:lab".to_string(),
            "flow_starters all_authenticated_users".into(),
            format!("flow_starters group:{OTHER}"),
            format!("flow_viewers identity:{ALICE}"),
            "flow_viewers public".into(),
        ]
    );
    assert!(live.blocked.is_empty());
    // The owner is the service's own.
    assert_eq!(live.system_managed.len(), 1);
    assert_eq!(
        live.system_managed[0].address.keys[1..],
        [OWNER.to_string(), format!("identity:{OWNER_ID}")]
    );
}

#[test]
fn the_owner_reads_the_lists_too() {
    let mut live = LiveRead::default();
    read_flow(&mut live, &doc(&["flow_owner"]), &names());
    assert_eq!(live.state.objects.len(), 5);
}

#[test]
fn a_flow_accord_does_not_administer_is_blocked_and_never_read() {
    let mut live = LiveRead::default();
    read_flow(&mut live, &doc(&["flow_starter", "flow_viewer"]), &names());
    assert!(live.state.objects.is_empty());
    assert_eq!(
        live.blocked,
        [(
            Address::partial(ROLE, [F]),
            format!("accord is not an administrator of flow {F}")
        )]
    );
}

/// A desired list over a blocked flow: reported blocked with its line, nothing planned.
#[test]
fn a_blocked_flow_plans_nothing_and_says_why() {
    let mut live = LiveRead::default();
    read_flow(&mut live, &doc(&["flow_viewer"]), &names());
    let mut desired = Desired::default();
    let at = Provenance {
        file: std::path::Path::new("f.yaml").into(),
        line: 4,
        column: 21,
    };
    desired.state.containers.push(Container {
        address: Address::partial(ROLE, [F, "flow_starters"]),
        mode: ContainerMode::Authoritative,
        manage_paths: vec![],
        provenance: Some(at.clone()),
    });
    let mut o = Object::new(Address::new(
        ROLE,
        [F, "flow_starters", &format!("identity:{ALICE}")],
    ));
    o.provenance = Some(at.clone());
    desired.state.insert(o);
    // What an administrator would see live there: it must not be removed either.
    live.state.insert(Object::new(Address::new(
        ROLE,
        [F, "flow_starters", "all_authenticated_users"],
    )));
    let d = diff(&desired, &live, &DiffContext::default());
    assert!(d.changes.is_empty(), "{:?}", d.changes);
    assert_eq!(d.blocked.len(), 1);
    assert_eq!(
        d.blocked[0].reason,
        format!("accord is not an administrator of flow {F}")
    );
    assert_eq!(d.blocked[0].provenance, Some(at));
}

#[test]
fn changes_are_laid_over_the_live_lists_and_only_differing_lists_are_sent() {
    let live = doc(&["flow_administrator"]);
    let mut w = Wanted::default();
    let bob = "urn:globus:auth:identity:b0b0b0b0-0000-4000-8000-000000000002".to_string();
    w.add("flow_starters", "all_authenticated_users".into(), true);
    w.add("flow_viewers", bob.clone(), false);
    // Already so: not sent.
    w.add(
        "flow_administrators",
        format!("urn:globus:groups:id:{LAB}"),
        false,
    );
    w.add("run_monitors", bob.clone(), true);
    let update = w.update(&live);
    let body = serde_json::to_value(&update).unwrap();
    assert_eq!(
        body,
        json!({
            "flow_starters": [format!("urn:globus:groups:id:{OTHER}")],
            "flow_viewers": [
                "public",
                format!("URN:GLOBUS:AUTH:IDENTITY:{}", ALICE.to_uppercase()),
                bob
            ],
        })
    );
    assert_eq!(sent_lists(&update).len(), 2);
}

#[test]
fn removing_the_last_entry_sends_an_empty_list() {
    let live = doc(&["flow_administrator"]);
    let mut w = Wanted::default();
    w.add(
        "flow_administrators",
        format!("urn:globus:groups:id:{LAB}"),
        true,
    );
    let body = serde_json::to_value(w.update(&live)).unwrap();
    assert_eq!(body, json!({"flow_administrators": []}));
}

#[test]
fn an_answer_without_what_was_sent_is_a_failure() {
    let mut answer = doc(&["flow_administrator"]);
    let sent = vec![("run_monitors", vec!["public".to_string()])];
    let why = check_answer(&answer, &sent).unwrap();
    assert!(why.contains("run_monitors is []"), "{why}");
    answer.run_monitors = vec!["public".into()];
    assert_eq!(check_answer(&answer, &sent), None);
}

#[test]
fn entries_read_canonically() {
    let n = names();
    assert_eq!(canonical("public", &n), Some(Principal::Public));
    assert_eq!(
        canonical(&format!("urn:globus:groups:id:{LAB}"), &n),
        Some(Principal::ManagedGroup("lab".into()))
    );
    assert_eq!(canonical("urn:globus:groups:id:nope", &n), None);
    assert_eq!(
        canonical(ALICE, &n),
        None,
        "a bare UUID is not a Flows principal"
    );
}
