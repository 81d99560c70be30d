//! The kind semantics and access resources of flow role entries: removal reasons, labels,
//! escalations, and the access delta along viewer < starter < administrator and on runs.

use crate::plan::Escalation;
use crate::plan::access::Resource;
use crate::plan::access::testing::{checked_delta, create, delete};
use crate::state::kind::KindSemantics;
use crate::state::{Address, Change, Container, ContainerMode, Object, Principal};

use super::*;

const F: &str = "2f3a0000-0000-4000-8000-000000000001";

fn who(n: u128) -> String {
    Principal::Identity(uuid::Uuid::from_u128(n)).to_string()
}

fn entry(list: &str, principal: &str) -> Object {
    Object::new(Address::new(ROLE, [F, list, principal]))
}

fn now() -> chrono::DateTime<chrono::Utc> {
    "2026-11-23T00:00:00Z".parse().unwrap()
}

fn semantics() -> &'static dyn KindSemantics {
    ROLE.semantics()
}

#[test]
fn an_entry_is_about_its_principal_and_its_list_is_authoritative() {
    let o = entry("flow_starters", &who(1));
    assert_eq!(
        semantics().principal_of(&o.address),
        Some(Principal::Identity(uuid::Uuid::from_u128(1)))
    );
    let c = Container {
        address: Address::partial(ROLE, [F, "flow_starters"]),
        mode: ContainerMode::Authoritative,
        manage_paths: vec![],
        provenance: None,
    };
    assert_eq!(
        semantics().removal_reason(&c, &o.address).as_deref(),
        Some("not in policy; the flow_starters of flow 2f3a0000… are authoritative")
    );
}

#[test]
fn escalations_are_a_new_administrator_and_grants_to_everyone() {
    let grant = |list: &str, p: &str| semantics().escalates(&create(entry(list, p)));
    assert_eq!(grant("flow_administrators", &who(1)), Some(true));
    assert_eq!(
        grant("flow_starters", "all_authenticated_users"),
        Some(true)
    );
    assert_eq!(grant("flow_viewers", "public"), Some(true));
    assert_eq!(grant("flow_starters", &who(1)), Some(false));
    assert_eq!(grant("flow_viewers", "group:lab"), Some(false));
    assert_eq!(grant("run_managers", &who(1)), Some(false));
    assert_eq!(grant("run_monitors", &who(1)), Some(false));
}

#[test]
fn phrases_and_labels_name_the_level_and_the_flow() {
    let c: Change = create(entry("flow_starters", &who(1)));
    assert_eq!(
        semantics().access_phrase(&c, "alice").as_deref(),
        Some("alice: starter on flow 2f3a0000…")
    );
    let c = create(entry("run_monitors", &who(1)));
    assert_eq!(
        semantics().access_phrase(&c, "alice").as_deref(),
        Some("alice: monitor of runs of flow 2f3a0000…")
    );
    let label = semantics().label(
        &c.address,
        &|i| c.address.keys[i].clone(),
        &|_| "alice".into(),
        None,
    );
    assert_eq!(label.as_deref(), Some("flow 2f3a0000… run_monitors: alice"));
}

fn flow() -> Resource {
    Resource::new(FLOW, [F])
}

fn runs() -> Resource {
    Resource::new(RUNS, [F])
}

#[test]
fn a_viewer_made_administrator_moves_along_one_chain() {
    let d = checked_delta(
        vec![entry("flow_viewers", &who(1))],
        vec![create(entry("flow_administrators", &who(1)))],
        now(),
    );
    assert!(d.losses.is_empty(), "{d:#?}");
    assert_eq!(d.gains.len(), 2, "{d:#?}");
    let g = d.gains.iter().find(|g| g.resource == flow()).unwrap();
    assert_eq!(g.before.as_deref(), Some("viewer"));
    assert_eq!(g.after.as_deref(), Some("administrator"));
    assert_eq!(g.escalation, Some(Escalation::NewAdmin));
    // An administrator manages every run of the flow.
    let runs = d.gains.iter().find(|g| g.resource == runs()).unwrap();
    assert_eq!(runs.before, None);
    assert_eq!(runs.after.as_deref(), Some("manager"));
}

#[test]
fn run_managers_and_monitors_can_view_the_flow() {
    for list in ["run_managers", "run_monitors"] {
        let d = checked_delta(vec![], vec![create(entry(list, &who(1)))], now());
        let view = d.gains.iter().find(|g| g.resource == flow()).unwrap();
        assert_eq!(view.after.as_deref(), Some("viewer"), "{list}: {d:#?}");
        // Removing the run role takes the view with it.
        let d = checked_delta(
            vec![entry(list, &who(1))],
            vec![delete(entry(list, &who(1)))],
            now(),
        );
        assert!(
            d.losses.iter().any(|l| l.resource == flow()),
            "{list}: {d:#?}"
        );
    }
}

#[test]
fn a_starter_who_stays_administrator_loses_nothing() {
    let d = checked_delta(
        vec![
            entry("flow_starters", &who(1)),
            entry("flow_administrators", &who(1)),
        ],
        vec![delete(entry("flow_starters", &who(1)))],
        now(),
    );
    assert!(d.is_empty(), "{d:#?}");
}

#[test]
fn run_roles_are_on_the_runs_of_the_flow() {
    let d = checked_delta(
        vec![entry("run_monitors", &who(1))],
        vec![
            create(entry("run_managers", &who(1))),
            create(entry("flow_starters", "all_authenticated_users")),
        ],
        now(),
    );
    assert!(d.losses.is_empty(), "{d:#?}");
    let on_runs = d.gains.iter().find(|g| g.resource == runs()).unwrap();
    assert_eq!(on_runs.before.as_deref(), Some("monitor"));
    assert_eq!(on_runs.after.as_deref(), Some("manager"));
    assert_eq!(on_runs.escalation, None);
    let everyone = d.gains.iter().find(|g| g.resource == flow()).unwrap();
    assert_eq!(everyone.principal, "all_authenticated_users");
    assert_eq!(everyone.escalation, Some(Escalation::Everyone));
}

#[test]
fn the_resources_read_and_parse_back() {
    crate::services::builtin();
    let r: Resource = format!("flow-runs:{F}").parse().unwrap();
    assert_eq!(r, runs());
    assert!("flow:not-a-uuid".parse::<Resource>().is_err());
}

/// accord's own administrator entry, left out of an exact list, is kept, not removed.
#[test]
fn the_running_identitys_own_administrator_access_is_kept() {
    use crate::plan::diff::{DiffContext, diff};
    use crate::state::{Desired, LiveRead};
    let mut desired = Desired::default();
    desired.state.containers.push(Container {
        address: Address::partial(ROLE, [F, "flow_administrators"]),
        mode: ContainerMode::Authoritative,
        manage_paths: vec![],
        provenance: None,
    });
    let mut live = LiveRead::default();
    live.state.insert(entry("flow_administrators", &who(7)));
    live.state.insert(entry("flow_administrators", &who(8)));
    let mut ctx = DiffContext::default();
    ctx.callers
        .insert(Principal::Identity(uuid::Uuid::from_u128(7)));
    let d = diff(&desired, &live, &ctx);
    // The other administrator goes; accord's own entry stays.
    assert_eq!(d.changes.len(), 1, "{:?}", d.changes);
    assert_eq!(
        d.changes[0].address,
        entry("flow_administrators", &who(8)).address
    );
    assert_eq!(d.kept.len(), 1);
    assert_eq!(d.kept[0].reason, "the running identity's own access");
    assert!(
        d.kept[0]
            .label
            .ends_with("in flow_administrators of flow 2f3a0000…"),
        "{}",
        d.kept[0].label
    );
}
