//! Guest collections from policy to plan, without a network: lowering, compilation
//! (docs/gcs-model.md), the diff's cascade of a collection's delete, and ordering.

use std::collections::BTreeMap;
use std::path::Path;

use accord::plan::{self, Action, Change, DiffContext, Direction};
use accord::policy::{PrincipalRef, Problems, Resolved, Workspace, compile, load_workspace};
use accord::service::LiveRead;
use accord::services::gcs::policy::{CollectionRole, CollectionsPolicy};
use accord::state::{Address, ContainerMode, Desired, Kind, Object, Principal};
use uuid::Uuid;

const E: &str = "1405823f-0597-4a16-b296-46d4f0ae4b15";
const M: &str = "6c54cade-bde5-45c1-bdea-f4bd71dba2cc";
const G: &str = "947460f6-3fcd-4acc-9683-d71e14e5ace1";
const PIN: &str = "0e4a77f8-1111-4a16-b296-46d4f0ae4b15";
const EP: &str = "e56c36e4-1063-11e6-a747-22000bf2d559";

fn alice() -> Uuid {
    Uuid::from_u128(0xa11ce)
}

fn bob() -> Uuid {
    Uuid::from_u128(0xb0b)
}

fn load(policy: &str) -> (tempfile::TempDir, Workspace) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("accord.yaml"),
        "policies: [\"**/*.yaml\"]\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("policy.yaml"), policy).unwrap();
    let ws =
        load_workspace(dir.path(), &accord::services::builtin()).unwrap_or_else(|d| panic!("{d}"));
    (dir, ws)
}

fn resolved() -> Resolved {
    Resolved::from_pairs([
        (
            PrincipalRef::Alias("alice".into()),
            Principal::Identity(alice()),
        ),
        (
            PrincipalRef::Alias("bob".into()),
            Principal::Identity(bob()),
        ),
        (
            PrincipalRef::GroupName("lab-admins".into()),
            Principal::ManagedGroup("lab-admins".into()),
        ),
        (
            PrincipalRef::GroupName("lab-readers".into()),
            Principal::ManagedGroup("lab-readers".into()),
        ),
    ])
}

fn desired(policy: &str) -> Desired {
    let (_dir, ws) = load(policy);
    compile(&ws.policy, &resolved(), now()).unwrap_or_else(|p| panic!("{p:?}"))
}

fn now() -> chrono::DateTime<chrono::Utc> {
    "2026-11-01T00:00:00Z".parse().unwrap()
}

fn a(s: &str) -> Address {
    accord::services::builtin();
    s.parse().unwrap()
}

const LAB: &str = r#"
identities:
  alice: alice@uchicago.edu
  bob: 2d7a4c6e-0a8e-4d8f-9d1e-5f6a7b8c9d0e
groups:
  lab-admins: {}
  lab-readers: {}
collections:
  lab-share:
    id: 0e4a77f8-1111-4a16-b296-46d4f0ae4b15
    endpoint: 1405823f-0597-4a16-b296-46d4f0ae4b15
    mapped_collection: 6c54cade-bde5-45c1-bdea-f4bd71dba2cc
    storage_gateway: 947460f6-3fcd-4acc-9683-d71e14e5ace1
    base_path: /lab
    public: true
    local_username: labsvc
    description: The lab's share
    keywords: [lab, data]
    roles: { access_manager: [group:lab-admins], administrator: [bob] }
    directories:
      - /shared/
      - { path: "/disthome/{id}/", for: [alice, bob] }
    acl:
      - { principal: group:lab-readers, path: /shared/, permissions: r }
      - { principal: alice, path: "/disthome/{id}/", permissions: rw, expires: 2026-12-31T00:00:00Z }
"#;

#[test]
fn a_collection_is_lowered_with_its_origins() {
    let (_dir, ws) = load(LAB);
    let c = &ws
        .policy
        .section::<CollectionsPolicy>()
        .unwrap()
        .collections["lab-share"];
    assert_eq!(c.id.as_ref().unwrap().value.to_string(), PIN);
    assert_eq!(c.endpoint.as_ref().unwrap().value.to_string(), E);
    assert_eq!(c.base_path.as_ref().unwrap().value, "/lab");
    assert_eq!(c.local_username.as_ref().unwrap().value, "labsvc");
    assert!(c.public.as_ref().unwrap().value);
    assert_eq!(
        c.document["keywords"].value,
        serde_json::json!(["data", "lab"])
    );
    assert_eq!(c.document["description"].origin.line, 17);
    let roles: Vec<_> = c.roles.iter().map(|g| g.role).collect();
    assert_eq!(
        roles,
        [CollectionRole::AccessManager, CollectionRole::Administrator]
    );
    assert_eq!(c.directories.len(), 2);
    let per_user = &c.directories[1];
    assert_eq!(per_user.path.value, "/disthome/{id}/");
    assert_eq!(per_user.for_principals.len(), 2);
    assert_eq!((per_user.origin.line, per_user.path.origin.line), (22, 22));
    assert_eq!(c.acl.len(), 2);
    assert_eq!(c.origin.line, 9);
    assert!(!c.absent);
    assert_eq!(
        ws.policy
            .section::<CollectionsPolicy>()
            .unwrap()
            .collections
            .len(),
        1
    );
}

#[test]
fn a_collection_compiles_per_the_model() {
    let d = desired(LAB);
    let cred = a(&format!(r#"gcs.credential["{E}"]["{G}"]"#));
    let coll = a(&format!(r#"gcs.collection["{E}"]["lab-share"]"#));

    // The credential: the running identity is filled by the provider.
    let c = d.state.get(&cred).expect("credential");
    assert_eq!(c.attrs.get("username"), Some(&"labsvc".into()));
    assert!(!c.attrs.contains_key("identity_id"));

    // The collection: base path normalised, display_name defaulted, document fields.
    let o = d.state.get(&coll).expect("collection");
    assert_eq!(o.str_attr("display_name"), Some("lab-share"));
    assert_eq!(o.str_attr("collection_base_path"), Some("/lab/"));
    assert_eq!(o.str_attr("mapped_collection_id"), Some(M));
    assert_eq!(o.str_attr("storage_gateway_id"), Some(G));
    assert_eq!(o.attrs["public"], true);
    assert_eq!(o.str_attr("description"), Some("The lab's share"));
    assert_eq!(o.depends_on, std::slice::from_ref(&cred));
    assert_eq!(o.provenance.as_ref().unwrap().line, 9);
    let lookup = d.lookups.iter().find(|l| l.address == coll).unwrap();
    assert_eq!(lookup.pin.as_deref(), Some(PIN));
    assert_eq!(lookup.hints["display_name"], "lab-share");
    assert_eq!(lookup.hints["mapped_collection_id"], M);
    assert!(d.prevent_destroy.contains(&coll), "on by default");

    // Roles: authoritative container, each waiting for the collection.
    let role = a(r#"gcs.role["lab-share"]["access_manager"]["group:lab-admins"]"#);
    assert_eq!(
        d.state.get(&role).unwrap().depends_on,
        [coll.clone(), a(r#"globus.group["lab-admins"]"#)]
    );
    let bob_admin = format!(
        r#"gcs.role["lab-share"]["administrator"]["identity:{}"]"#,
        bob()
    );
    assert!(d.state.get(&a(&bob_admin)).is_some());
    for container in [r#"gcs.role["lab-share"]"#, r#"transfer.acl["lab-share"]"#] {
        let c = d
            .state
            .containers
            .iter()
            .find(|c| c.address == Address::parse_prefix(container).unwrap())
            .unwrap_or_else(|| panic!("{container}"));
        assert_eq!(c.mode, ContainerMode::Authoritative);
    }

    // Directories: one per `for:` identity, `{id}` substituted, each looked up.
    let dirs: Vec<String> = d
        .state
        .objects
        .keys()
        .filter(|a| a.kind == accord::services::transfer::DIRECTORY)
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        dirs,
        [
            // Sorted by address: bob's UUID sorts first.
            format!(r#"transfer.directory["lab-share"]["/disthome/{}/"]"#, bob()),
            format!(
                r#"transfer.directory["lab-share"]["/disthome/{}/"]"#,
                alice()
            ),
            r#"transfer.directory["lab-share"]["/shared/"]"#.to_string(),
        ]
    );
    for dir in &dirs {
        assert!(d.lookups.iter().any(|l| l.address.to_string() == *dir));
        assert_eq!(
            d.state.get(&a(dir)).unwrap().depends_on,
            std::slice::from_ref(&coll)
        );
    }

    // Rules: `{id}` is the rule principal's UUID; each waits for collection and directory.
    let alice_rule = a(&format!(
        r#"transfer.acl["lab-share"]["/disthome/{0}/"]["identity:{0}"]"#,
        alice()
    ));
    let r = d.state.get(&alice_rule).expect("alice's rule");
    assert_eq!(r.str_attr("permissions"), Some("rw"));
    assert_eq!(r.str_attr("expires"), Some("2026-12-31T00:00:00Z"));
    assert_eq!(
        r.depends_on,
        [
            coll.clone(),
            a(&format!(
                r#"transfer.directory["lab-share"]["/disthome/{}/"]"#,
                alice()
            ))
        ]
    );
    let readers = a(r#"transfer.acl["lab-share"]["/shared/"]["group:lab-readers"]"#);
    assert_eq!(
        d.state.get(&readers).unwrap().depends_on,
        [
            coll,
            a(r#"transfer.directory["lab-share"]["/shared/"]"#),
            a(r#"globus.group["lab-readers"]"#)
        ]
    );
}

#[test]
fn creation_order_is_credential_collection_directories_then_grants() {
    let d = desired(LAB);
    let diff = plan::diff(&d, &LiveRead::default(), &DiffContext::default());
    let (changes, steps) = plan::order(diff.changes, &|_| None).unwrap();
    let step_of = |kind: Kind| -> Vec<usize> {
        steps
            .iter()
            .enumerate()
            .filter(|(_, s)| s.changes.iter().any(|&c| changes[c].address.kind == kind))
            .map(|(i, _)| i)
            .collect()
    };
    let cred = step_of(accord::services::gcs::CREDENTIAL);
    let coll = step_of(accord::services::gcs::COLLECTION);
    assert_eq!(steps[coll[0]].depends_on, cred);
    for s in step_of(accord::services::transfer::DIRECTORY) {
        assert_eq!(steps[s].depends_on, coll);
    }
    for s in step_of(accord::services::gcs::ROLE)
        .into_iter()
        .chain(step_of(accord::services::transfer::ACL))
    {
        assert!(
            steps[s].depends_on.contains(&coll[0]),
            "{:?} waits for the collection",
            changes[steps[s].changes[0]].address
        );
    }
}

#[test]
fn prevent_destroy_can_be_lifted() {
    let policy = LAB.replace(
        "    public: true\n",
        "    public: true\n    prevent_destroy: false\n",
    );
    let d = desired(&policy);
    assert!(d.prevent_destroy.is_empty());
}

const TOMBSTONE: &str = r#"
collections:
  lab-share:
    absent: true
    endpoint: 1405823f-0597-4a16-b296-46d4f0ae4b15
    mapped_collection: 6c54cade-bde5-45c1-bdea-f4bd71dba2cc
"#;

fn live_lab_share() -> LiveRead {
    let mut live = LiveRead::default();
    let mut coll = Object::new(a(&format!(r#"gcs.collection["{E}"]["lab-share"]"#)))
        .with("display_name", "lab-share");
    coll.server_id = Some(PIN.into());
    live.state.insert(coll);
    live.state.insert(
        Object::new(a(&format!(
            r#"transfer.acl["lab-share"]["/shared/"]["identity:{}"]"#,
            alice()
        )))
        .with("permissions", "r"),
    );
    live.state.insert(Object::new(a(&format!(
        r#"gcs.role["lab-share"]["access_manager"]["identity:{}"]"#,
        bob()
    ))));
    live
}

#[test]
fn a_tombstone_deletes_the_collection_with_its_rules_and_roles() {
    let d = desired(TOMBSTONE);
    let coll = a(&format!(r#"gcs.collection["{E}"]["lab-share"]"#));
    assert!(d.tombstones.contains_key(&coll));
    assert!(
        d.prevent_destroy.contains(&coll),
        "a tombstone is held back too"
    );
    let lookup = d.lookups.iter().find(|l| l.address == coll).unwrap();
    assert_eq!(lookup.pin, None);
    assert_eq!(lookup.hints["mapped_collection_id"], M);
    // Nothing of a tombstone is created; its containers are read for the cascade.
    assert!(d.state.objects.is_empty());
    assert_eq!(d.state.containers.len(), 2);

    let caller = Principal::Identity(bob());
    let diff = plan::diff(
        &d,
        &live_lab_share(),
        &DiffContext {
            callers: [caller].into(),
            ..DiffContext::default()
        },
    );
    let mut seen: Vec<(String, Action, Option<Address>, String)> = diff
        .changes
        .iter()
        .map(|c| {
            (
                c.address.kind.name().to_string(),
                c.action,
                c.deleted_with.clone(),
                c.reason.clone(),
            )
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            (
                "gcs.collection".into(),
                Action::Delete,
                None,
                "tombstone (absent: true) at policy.yaml:3".into()
            ),
            (
                "gcs.role".into(),
                Action::Delete,
                Some(coll.clone()),
                "deleted with guest collection lab-share".into()
            ),
            (
                "transfer.acl".into(),
                Action::Delete,
                Some(coll.clone()),
                "deleted with guest collection lab-share".into()
            ),
        ],
        "the caller's own role goes with the collection: not kept"
    );
    assert!(diff.kept.is_empty());
    assert!(
        diff.changes
            .iter()
            .filter(|c| c.deleted_with.is_some())
            .all(|c| !c.is_sent())
    );

    // prevent_destroy (on by default) refuses the plan.
    let v = plan::rails::check(
        &diff.changes,
        &diff.container_sizes,
        &d.prevent_destroy,
        &plan::Limits::new(&Default::default(), now(), None),
    );
    assert!(
        v.iter()
            .any(|v| v.rail == "prevent_destroy" && v.address.as_ref() == Some(&coll))
    );

    // The carried deletes wait for the collection's and are never batched.
    let (changes, steps) = plan::order(diff.changes, &|_: &Change| Some("batch".into())).unwrap();
    let coll_step = steps
        .iter()
        .position(|s| changes[s.changes[0]].address == coll)
        .unwrap();
    for (i, s) in steps.iter().enumerate() {
        if i != coll_step {
            assert_eq!(s.depends_on, [coll_step]);
            assert_eq!(s.batch, None);
            assert_eq!(changes[s.changes[0]].direction, Direction::Revoke);
        }
    }
}

#[test]
fn a_replaced_collection_recreates_its_declared_grants() {
    let policy = r#"
identities:
  alice: alice@uchicago.edu
collections:
  lab-share:
    endpoint: 1405823f-0597-4a16-b296-46d4f0ae4b15
    mapped_collection: 6c54cade-bde5-45c1-bdea-f4bd71dba2cc
    storage_gateway: 947460f6-3fcd-4acc-9683-d71e14e5ace1
    base_path: /moved/
    prevent_destroy: false
    acl:
      - { principal: alice, path: /shared/, permissions: r }
"#;
    let d = desired(policy);
    let mut live = live_lab_share();
    let coll = a(&format!(r#"gcs.collection["{E}"]["lab-share"]"#));
    let mut o = live.state.get(&coll).unwrap().clone();
    for (k, v) in &d.state.get(&coll).unwrap().attrs {
        o.attrs.insert(k.clone(), v.clone());
    }
    o.attrs
        .insert("collection_base_path".into(), "/lab/".into());
    live.state.insert(o);
    live.state
        .insert(Object::new(a(&format!(r#"gcs.credential["{E}"]["{G}"]"#))));
    let diff = plan::diff(&d, &live, &DiffContext::default());
    let by: BTreeMap<String, (Action, bool)> = diff
        .changes
        .iter()
        .map(|c| (c.address.kind.name().to_string(), (c.action, c.is_sent())))
        .collect();
    assert_eq!(by["gcs.collection"], (Action::Replace, true));
    assert_eq!(by["transfer.acl"], (Action::Create, true), "created again");
    assert_eq!(
        by["gcs.role"],
        (Action::Delete, false),
        "goes with the old one"
    );
}

#[test]
fn endpoint_directories_take_for_too() {
    let d = desired(&format!(
        r#"
identities:
  alice: alice@uchicago.edu
endpoints:
  {EP}:
    directories:
      - {{ path: "/home/{{id}}/", for: [alice] }}
    acl:
      - {{ principal: alice, path: "/home/{{id}}/", permissions: rw }}
"#
    ));
    let dir = a(&format!(
        r#"transfer.directory["{EP}"]["/home/{}/"]"#,
        alice()
    ));
    assert!(d.state.get(&dir).unwrap().depends_on.is_empty());
    let rule = a(&format!(
        r#"transfer.acl["{EP}"]["/home/{0}/"]["identity:{0}"]"#,
        alice()
    ));
    assert_eq!(d.state.get(&rule).unwrap().depends_on, [dir]);
}

#[test]
fn collections_sharing_a_credential_must_agree_on_the_username() {
    let policy = format!(
        r#"
collections:
  one:
    endpoint: {E}
    mapped_collection: {M}
    storage_gateway: {G}
    base_path: /one/
    local_username: labsvc
  two:
    endpoint: {E}
    mapped_collection: {M}
    storage_gateway: {G}
    base_path: /two/
    local_username: other
"#
    );
    let (_dir, ws) = load(&policy);
    let Problems(problems) = compile(&ws.policy, &resolved(), now()).unwrap_err();
    assert_eq!(problems.len(), 1);
    let p = &problems[0];
    assert_eq!(
        (&*p.origin.path, p.origin.line, p.origin.column),
        (Path::new("policy.yaml"), 14, 21)
    );
    assert!(p.message.contains("`labsvc` and `other`"), "{}", p.message);
    assert_eq!(p.related[0].0.line, 8);
}
