//! `flows:` from policy to desired state, without a network: one authoritative container per
//! list the policy names (a list left out is none; `[]` is an empty one), one object per
//! principal with its provenance, waiting for a managed group's create.

use accord::policy::{PrincipalRef, Resolved, compile, load_workspace};
use accord::services::flows::ROLE;
use accord::services::groups::GROUP;
use accord::state::{Address, ContainerMode, Desired, Principal};
use uuid::Uuid;

const F: &str = "2f3a0000-0000-4000-8000-000000000001";
const G: &str = "2f3a0000-0000-4000-8000-000000000002";

fn bob() -> Uuid {
    Uuid::from_u128(0xb0b)
}

fn desired(policy: &str) -> Desired {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("accord.yaml"), "policies: [\"*.yaml\"]\n").unwrap();
    std::fs::write(dir.path().join("policy.yaml"), policy).unwrap();
    let ws =
        load_workspace(dir.path(), &accord::services::builtin()).unwrap_or_else(|d| panic!("{d}"));
    let resolved = Resolved::from_pairs([
        (
            PrincipalRef::Alias("bob".into()),
            Principal::Identity(bob()),
        ),
        (
            PrincipalRef::GroupName("lab".into()),
            Principal::ManagedGroup("lab".into()),
        ),
        (PrincipalRef::Public, Principal::Public),
        (
            PrincipalRef::AllAuthenticatedUsers,
            Principal::AllAuthenticatedUsers,
        ),
    ]);
    compile(
        &ws.policy,
        &resolved,
        "2026-11-01T00:00:00Z".parse().unwrap(),
    )
    .unwrap_or_else(|p| panic!("{p:?}"))
}

const POLICY: &str = r#"
identities:
  bob: bob@uni.edu
groups:
  lab: {}
flows:
  2f3a0000-0000-4000-8000-000000000001:
    flow_administrators: [group:lab]
    flow_starters: [group:lab, all_authenticated_users]
    flow_viewers: [public]
    run_managers: [bob]
  2f3a0000-0000-4000-8000-000000000002:
    run_monitors: []
"#;

fn entry(flow: &str, list: &str, p: &str) -> Address {
    Address::new(ROLE, [flow, list, p])
}

#[test]
fn each_list_named_is_an_authoritative_container_of_its_entries() {
    let d = desired(POLICY);
    let mut containers: Vec<(String, ContainerMode, u32)> = d
        .state
        .containers
        .iter()
        .filter(|c| c.address.kind == ROLE)
        .map(|c| {
            (
                c.address.keys.join("/"),
                c.mode,
                c.provenance.as_ref().unwrap().line,
            )
        })
        .collect();
    containers.sort_by(|a, b| (&a.0, a.2).cmp(&(&b.0, b.2)));
    assert_eq!(
        containers,
        [
            (
                format!("{F}/flow_administrators"),
                ContainerMode::Authoritative,
                8
            ),
            (
                format!("{F}/flow_starters"),
                ContainerMode::Authoritative,
                9
            ),
            (
                format!("{F}/flow_viewers"),
                ContainerMode::Authoritative,
                10
            ),
            (
                format!("{F}/run_managers"),
                ContainerMode::Authoritative,
                11
            ),
            // `[]` clears the list; the lists left out are not containers.
            (
                format!("{G}/run_monitors"),
                ContainerMode::Authoritative,
                13
            ),
        ]
    );
    let mut objects: Vec<String> = d
        .state
        .objects
        .keys()
        .filter(|a| a.kind == ROLE)
        .map(|a| a.keys.join("/"))
        .collect();
    objects.sort();
    assert_eq!(
        objects,
        [
            format!("{F}/flow_administrators/group:lab"),
            format!("{F}/flow_starters/all_authenticated_users"),
            format!("{F}/flow_starters/group:lab"),
            format!("{F}/flow_viewers/public"),
            format!("{F}/run_managers/identity:{}", bob()),
        ]
    );
}

#[test]
fn an_entry_has_its_provenance_and_waits_for_its_managed_group() {
    let d = desired(POLICY);
    let admin = d
        .state
        .get(&entry(F, "flow_administrators", "group:lab"))
        .unwrap();
    let at = admin.provenance.as_ref().unwrap();
    assert_eq!((at.line, at.column), (8, 27));
    assert_eq!(admin.depends_on, [Address::new(GROUP, ["lab"])]);
    let manager = d
        .state
        .get(&entry(F, "run_managers", &format!("identity:{}", bob())))
        .unwrap();
    assert!(manager.depends_on.is_empty());
    assert_eq!(manager.provenance.as_ref().unwrap().line, 11);
}
