//! `search:` from policy to desired state, without a network (docs/search-model.md).

use accord::policy::{PrincipalRef, Resolved, compile, load_workspace};
use accord::state::{Address, ContainerMode, Principal};
use serde_json::json;
use uuid::Uuid;

const INDEX: &str = "4de2f3a1-5b7c-4d8e-9f0a-1b2c3d4e5f60";

fn alice() -> Uuid {
    Uuid::from_u128(0xa11ce)
}

fn a(s: &str) -> Address {
    accord::services::builtin();
    s.parse().unwrap()
}

#[test]
fn roles_and_document_access_compile_to_canonical_principals() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("accord.yaml"), "policies: [\"*.yaml\"]\n").unwrap();
    std::fs::write(
        dir.path().join("policy.yaml"),
        format!(
            r#"
identities:
  alice: alice@uchicago.edu
groups:
  curators: {{}}
search:
  indexes:
    {INDEX}:
      roles: {{ owner: [alice], writer: [group:curators] }}
      documents:
        doc0: {{ visible_to: [public] }}
        doc1:
          visible_to: [all_authenticated_users, alice]
          principal_sets: {{ curator: [alice, group:curators], contributor: [group:6c54cade-bde5-45c1-bdea-f4bd71dba2cc] }}
"#
        ),
    )
    .unwrap();
    let ws =
        load_workspace(dir.path(), &accord::services::builtin()).unwrap_or_else(|d| panic!("{d}"));
    let resolved = Resolved::from_pairs([
        (
            PrincipalRef::Alias("alice".into()),
            Principal::Identity(alice()),
        ),
        (
            PrincipalRef::GroupName("curators".into()),
            Principal::ManagedGroup("curators".into()),
        ),
        (
            PrincipalRef::GroupId("6c54cade-bde5-45c1-bdea-f4bd71dba2cc".parse().unwrap()),
            Principal::Group("6c54cade-bde5-45c1-bdea-f4bd71dba2cc".parse().unwrap()),
        ),
        (PrincipalRef::Public, Principal::Public),
        (
            PrincipalRef::AllAuthenticatedUsers,
            Principal::AllAuthenticatedUsers,
        ),
    ]);
    let d = compile(
        &ws.policy,
        &resolved,
        "2026-11-01T00:00:00Z".parse().unwrap(),
    )
    .unwrap_or_else(|p| panic!("{p:?}"));

    let owner = a(&format!(
        r#"search.role["{INDEX}"]["owner"]["identity:{}"]"#,
        alice()
    ));
    let writer = a(&format!(
        r#"search.role["{INDEX}"]["writer"]["group:curators"]"#
    ));
    assert!(d.state.get(&owner).is_some());
    let w = d.state.get(&writer).unwrap();
    assert_eq!(w.depends_on, vec![a(r#"globus.group["curators"]"#)]);
    let container = d
        .state
        .containers
        .iter()
        .find(|c| c.address.kind == accord::services::search::ROLE)
        .unwrap();
    assert_eq!(container.address.keys[..], [INDEX.to_string()]);
    assert_eq!(container.mode, ContainerMode::Authoritative);

    let doc0 = d
        .state
        .get(&a(&format!(r#"search.entry["{INDEX}"]["doc0"]"#)))
        .unwrap();
    assert_eq!(doc0.attrs["visible_to"], json!(["public"]));
    assert!(
        !doc0.attrs.contains_key("principal_sets"),
        "unset lists are not managed"
    );
    let doc1 = d
        .state
        .get(&a(&format!(r#"search.entry["{INDEX}"]["doc1"]"#)))
        .unwrap();
    assert_eq!(
        doc1.attrs["visible_to"],
        json!(["all_authenticated_users", format!("identity:{}", alice())])
    );
    assert_eq!(
        doc1.attrs["principal_sets"],
        json!({
            "contributor": ["group:6c54cade-bde5-45c1-bdea-f4bd71dba2cc"],
            "curator": ["group:curators", format!("identity:{}", alice())],
        })
    );
    assert_eq!(doc1.depends_on, vec![a(r#"globus.group["curators"]"#)]);
    assert_eq!(
        d.lookups
            .iter()
            .filter(|l| l.address.kind == accord::services::search::ENTRY)
            .count(),
        2
    );
}

mod diff {
    use accord::plan::{self, Action, DiffContext};
    use accord::service::LiveRead;
    use accord::state::{Desired, Object};

    use super::{INDEX, a};

    fn object(addr: &str) -> Object {
        Object::new(a(addr))
    }

    #[test]
    fn the_last_owner_is_kept_and_a_missing_subject_is_blocked() {
        accord::services::builtin();
        let owner = format!(
            r#"search.role["{INDEX}"]["owner"]["identity:00000000-0000-0000-0000-00000000000b"]"#
        );
        let admin = format!(
            r#"search.role["{INDEX}"]["admin"]["identity:00000000-0000-0000-0000-00000000000c"]"#
        );
        let entry = format!(r#"search.entry["{INDEX}"]["doc9"]"#);
        let mut desired = Desired::default();
        desired.state.containers.push(accord::state::Container {
            address: accord::state::Address::parse_prefix(&format!(r#"search.role["{INDEX}"]"#))
                .unwrap(),
            mode: accord::state::ContainerMode::Authoritative,
            manage_paths: Vec::new(),
            provenance: None,
        });
        desired
            .state
            .insert(object(&entry).with("visible_to", serde_json::json!(["public"])));
        let mut live = LiveRead::default();
        live.state.insert(object(&owner));
        live.state.insert(object(&admin));
        live.state.insert(object(&entry).with("status", "missing"));
        let d = plan::diff(&desired, &live, &DiffContext::default());
        let planned: Vec<(String, Action)> = d
            .changes
            .iter()
            .map(|c| (c.address.to_string(), c.action))
            .collect();
        assert_eq!(planned, vec![(admin.clone(), Action::Delete)]);
        assert_eq!(d.kept.len(), 1);
        assert_eq!(d.kept[0].address.to_string(), owner);
        assert!(
            d.kept[0].reason.contains("last owner"),
            "{}",
            d.kept[0].reason
        );
        assert_eq!(d.blocked.len(), 1);
        assert!(
            d.blocked[0].reason.contains("not in the index"),
            "{}",
            d.blocked[0].reason
        );
    }
}

#[test]
fn an_index_naming_only_documents_leaves_its_roles_alone() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("accord.yaml"), "policies: [\"*.yaml\"]\n").unwrap();
    std::fs::write(
        dir.path().join("policy.yaml"),
        format!("search:\n  indexes:\n    {INDEX}:\n      documents:\n        doc0: {{ visible_to: [public] }}\n"),
    )
    .unwrap();
    let ws =
        load_workspace(dir.path(), &accord::services::builtin()).unwrap_or_else(|d| panic!("{d}"));
    let resolved = Resolved::from_pairs([(PrincipalRef::Public, Principal::Public)]);
    let d = compile(
        &ws.policy,
        &resolved,
        "2026-11-01T00:00:00Z".parse().unwrap(),
    )
    .unwrap();
    assert!(
        d.state
            .containers
            .iter()
            .all(|c| c.address.kind != accord::services::search::ROLE),
        "no role container: {:?}",
        d.state.containers
    );
    assert_eq!(d.state.objects.len(), 1);
}
