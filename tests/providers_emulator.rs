//! The Groups and Transfer providers against the in-process emulator.

use std::collections::BTreeMap;
use std::sync::Arc;

use accord::emulator::{Emulator, FaultRule, RunningEmulator, Seed, spawn};
use accord::http::{GlobusCredentials, HttpClient, HttpOptions, ServiceUrls};
use accord::plan::{Action, Change, Direction, FieldChange};
use accord::service::{
    IdMap, IdentityResolver, LiveRead, Lookup, Outcome, Provider, ProviderError, Scope,
};
use accord::services::auth::provider::GlobusAuth;
use accord::services::groups::provider::GroupsProvider;
use accord::services::transfer::provider::TransferProvider;
use accord::state::{Address, Container, ContainerMode, Object};
use serde_json::{Value, json};

const CLIENT: &str = "0f8a3b4c-0000-4000-8000-000000000001";
const SECRET: &str = "emulator-client-secret";
const HIDDEN: &str = "5a1d0000-1666-11ec-88b2-f50515619d57";
const DUP_A: &str = "d0000000-0000-4000-8000-00000000000a";
const DUP_B: &str = "d0000000-0000-4000-8000-00000000000b";
const SHARE: &str = "e56c36e4-1063-11e6-a747-22000bf2d559";

const SEED: &str = r#"
clients:
  - client_id: 0f8a3b4c-0000-4000-8000-000000000001
    client_secret: emulator-client-secret
identities:
  - { username: alice@uni.edu }
  - { username: bob@uni.edu }
  - { username: carol@uni.edu }
  - { username: dave@uni.edu }
  - { username: erin@uni.edu, allow_add: false }
groups:
  - name: lab-readers
    description: Read access to the lab share
    members:
      - { identity: 0f8a3b4c-0000-4000-8000-000000000001, role: admin }
      - { identity: alice@uni.edu }
      - { identity: bob@uni.edu, role: manager }
      - { identity: dave@uni.edu, status: left }
  - id: 5a1d0000-1666-11ec-88b2-f50515619d57
    name: hidden
    members:
      - { identity: 0f8a3b4c-0000-4000-8000-000000000001, role: admin }
      - { identity: carol@uni.edu }
  - id: d0000000-0000-4000-8000-00000000000a
    name: dup
    members: [{ identity: 0f8a3b4c-0000-4000-8000-000000000001, role: admin }]
  - id: d0000000-0000-4000-8000-00000000000b
    name: dup
    members: [{ identity: 0f8a3b4c-0000-4000-8000-000000000001, role: admin }]
endpoints:
  - id: e56c36e4-1063-11e6-a747-22000bf2d559
    display_name: lab share
    entity_type: GCSv5_guest_collection
    directories: [/disthome/, /shared/]
    roles:
      administrator: [0f8a3b4c-0000-4000-8000-000000000001]
      access_manager: [group:lab-readers]
    acl:
      - { principal_type: identity, principal: alice@uni.edu, path: /disthome/alice/, permissions: r, expiration_date: "2026-12-31T00:00:00+00:00" }
      - { principal_type: group, principal: lab-readers, path: /shared/, permissions: r }
      - { principal_type: all_authenticated_users, path: /public/, permissions: r }
"#;

struct Env {
    emu: RunningEmulator,
    groups: GroupsProvider,
    transfer: TransferProvider,
    auth: GlobusAuth,
}

async fn env() -> Env {
    let seed = Seed::from_yaml_str(&accord::services::builtin(), SEED).expect("seed");
    let emu = spawn(Emulator::try_new(seed).expect("emulator"))
        .await
        .expect("spawn");
    let http = Arc::new(
        HttpClient::new(
            &accord::services::builtin().apis(),
            ServiceUrls::emulator(&emu.base_url),
            GlobusCredentials::new(CLIENT, SECRET),
            HttpOptions {
                backoff_scale: 0.001,
                ..HttpOptions::default()
            },
        )
        .expect("client"),
    );
    Env {
        groups: GroupsProvider::new(http.clone()),
        auth: GlobusAuth::new(http.clone()),
        transfer: TransferProvider::new(http),
        emu,
    }
}

fn group(name: &str) -> Address {
    Address::new(accord::services::groups::GROUP, [name])
}

fn member(group: &str, identity: &str) -> Address {
    Address::new(
        accord::services::groups::MEMBER,
        [group, &format!("identity:{identity}")],
    )
}

fn acl(path: &str, principal: &str) -> Address {
    Address::new(accord::services::transfer::ACL, [SHARE, path, principal])
}

fn identity(emu: &RunningEmulator, username: &str) -> String {
    emu.emulator
        .seed()
        .part::<accord::services::auth::emulator::AuthSeed>()
        .unwrap()
        .identities
        .iter()
        .find(|i| i.username == username)
        .expect("seeded identity")
        .id()
        .to_string()
}

fn lookup(name: &str, pin: Option<&str>) -> Lookup {
    Lookup {
        address: group(name),
        pin: pin.map(str::to_string),
        previously: Vec::new(),
        hints: Default::default(),
    }
}

fn container(address: Address) -> Container {
    Container {
        address,
        mode: ContainerMode::Authoritative,
        manage_paths: Vec::new(),
        provenance: None,
    }
}

fn group_scope(lookups: Vec<Lookup>) -> Scope {
    Scope {
        containers: lookups
            .iter()
            .map(|l| container(l.address.clone()))
            .collect(),
        lookups,
        ..Scope::default()
    }
}

fn share_scope(group_names: BTreeMap<String, String>) -> Scope {
    Scope {
        containers: vec![container(Address::partial(
            accord::services::transfer::ACL,
            [SHARE],
        ))],
        group_names,
        ..Scope::default()
    }
}

fn change(
    address: Address,
    action: Action,
    before: Option<&Object>,
    after: Option<Object>,
    direction: Direction,
) -> Change {
    let fields = match (before, &after) {
        (Some(b), Some(a)) => a
            .attrs
            .iter()
            .filter(|(k, v)| b.attrs.get(*k) != Some(*v))
            .map(|(k, v)| FieldChange {
                name: k.clone(),
                before: b.attrs.get(k).cloned().unwrap_or(Value::Null),
                after: v.clone(),
            })
            .collect(),
        _ => Vec::new(),
    };
    Change {
        address,
        action,
        fields,
        before: before.cloned(),
        after,
        direction,
        reason: String::new(),
        provenance: None,
        labels: Default::default(),
        deleted_with: None,
    }
}

/// Fills an id map from a live read, as the core does.
fn ids_of(live: &LiveRead) -> IdMap {
    let ids = IdMap::default();
    for o in live.state.objects.values() {
        if let Some(id) = &o.server_id {
            ids.insert(o.address.clone(), id.clone());
        }
    }
    ids
}

fn posts_to(emu: &RunningEmulator, path: &str) -> usize {
    emu.emulator
        .request_log()
        .iter()
        .filter(|r| r.method == "POST" && r.path == path)
        .count()
}

#[tokio::test]
async fn reads_a_group_by_name_with_every_attribute_and_member() {
    let e = env().await;
    let live = e
        .groups
        .read(&group_scope(vec![lookup("lab-readers", None)]))
        .await
        .unwrap();
    let g = live.state.get(&group("lab-readers")).expect("group found");
    assert_eq!(g.str_attr("name"), Some("lab-readers"));
    assert_eq!(
        g.str_attr("description"),
        Some("Read access to the lab share")
    );
    for attr in [
        "group_visibility",
        "group_members_visibility",
        "join_requests",
        "signup_fields",
        "authentication_assurance_timeout",
        "is_high_assurance",
    ] {
        assert!(g.attrs.contains_key(attr), "missing {attr}");
    }
    assert!(g.server_id.is_some());
    let alice = identity(&e.emu, "alice@uni.edu");
    let dave = identity(&e.emu, "dave@uni.edu");
    let a = live
        .state
        .get(&member("lab-readers", &alice))
        .expect("alice");
    assert_eq!(a.str_attr("role"), Some("member"));
    assert_eq!(a.str_attr("status"), Some("active"));
    assert_eq!(a.str_attr("username"), Some("alice@uni.edu"));
    let d = live.state.get(&member("lab-readers", &dave)).expect("dave");
    assert_eq!(d.str_attr("status"), Some("left"));
    assert_eq!(
        live.names
            .values()
            .filter(|n| *n == "alice@uni.edu")
            .count(),
        1
    );
    assert_eq!(
        live.managed_group_ids().get(g.server_id.as_ref().unwrap()),
        Some(&"lab-readers".to_string())
    );
}

#[tokio::test]
async fn reads_a_group_by_pin_and_by_a_previous_name() {
    let e = env().await;
    let live = e
        .groups
        .read(&group_scope(vec![lookup("renamed", Some(HIDDEN))]))
        .await
        .unwrap();
    let g = live.state.get(&group("renamed")).expect("pinned group");
    assert_eq!(g.server_id.as_deref(), Some(HIDDEN));
    assert_eq!(g.str_attr("name"), Some("hidden"));
    let carol = identity(&e.emu, "carol@uni.edu");
    assert!(live.state.get(&member("renamed", &carol)).is_some());

    let mut l = lookup("readers-v2", None);
    l.previously = vec!["lab-readers".into()];
    let live = e.groups.read(&group_scope(vec![l])).await.unwrap();
    assert!(live.state.get(&group("readers-v2")).is_some());
}

#[tokio::test]
async fn ambiguous_names_and_missing_pins_are_errors_reported_together() {
    let e = env().await;
    let missing = "00000000-dead-4000-8000-000000000000";
    let err = e
        .groups
        .read(&group_scope(vec![
            lookup("dup", None),
            lookup("lab-readers", Some(missing)),
        ]))
        .await
        .unwrap_err();
    let ProviderError::NotFound(msg) = err else {
        panic!("expected NotFound, got {err:?}")
    };
    assert!(msg.contains(DUP_A) && msg.contains(DUP_B), "{msg}");
    assert!(
        msg.contains(&format!(
            "group lab-readers: pinned id {missing} does not exist"
        )),
        "{msg}"
    );
}

#[tokio::test]
async fn an_unknown_name_is_simply_absent() {
    let e = env().await;
    let live = e
        .groups
        .read(&group_scope(vec![lookup("no-such-group", None)]))
        .await
        .unwrap();
    assert!(live.state.objects.is_empty());
}

#[tokio::test]
async fn membership_batches_send_one_post_each() {
    let e = env().await;
    let live = e
        .groups
        .read(&group_scope(vec![lookup("lab-readers", None)]))
        .await
        .unwrap();
    let ids = ids_of(&live);
    let gid = ids.get(&group("lab-readers")).unwrap();
    let (alice, bob, carol) = (
        identity(&e.emu, "alice@uni.edu"),
        identity(&e.emu, "bob@uni.edu"),
        identity(&e.emu, "carol@uni.edu"),
    );
    let alice_live = live.state.get(&member("lab-readers", &alice)).unwrap();
    let bob_live = live.state.get(&member("lab-readers", &bob)).unwrap();

    let grants = vec![
        change(
            member("lab-readers", &carol),
            Action::Create,
            None,
            Some(Object::new(member("lab-readers", &carol)).with("role", "member")),
            Direction::Grant,
        ),
        change(
            member("lab-readers", &alice),
            Action::Update,
            Some(alice_live),
            Some(Object::new(member("lab-readers", &alice)).with("role", "admin")),
            Direction::Grant,
        ),
    ];
    let revokes = vec![change(
        member("lab-readers", &bob),
        Action::Delete,
        Some(bob_live),
        None,
        Direction::Revoke,
    )];
    let keys: Vec<_> = grants
        .iter()
        .chain(&revokes)
        .map(|c| e.groups.batch_key(c))
        .collect();
    assert_eq!(
        keys,
        vec![
            Some("groups:lab-readers:grant".to_string()),
            Some("groups:lab-readers:grant".to_string()),
            Some("groups:lab-readers:revoke".to_string()),
        ]
    );

    let batch_path = format!("/groups/v2/groups/{gid}");
    let before = posts_to(&e.emu, &batch_path);
    let out = e.groups.apply(&grants, &ids).await;
    assert_eq!(out, vec![Outcome::Applied { server_id: None }; 2]);
    assert_eq!(posts_to(&e.emu, &batch_path), before + 1);
    let out = e.groups.apply(&revokes, &ids).await;
    assert_eq!(out, vec![Outcome::Applied { server_id: None }]);
    assert_eq!(posts_to(&e.emu, &batch_path), before + 2);

    let live = e
        .groups
        .read(&group_scope(vec![lookup("lab-readers", None)]))
        .await
        .unwrap();
    let role = |id: &str| {
        live.state.get(&member("lab-readers", id)).map(|m| {
            (
                m.str_attr("role").map(String::from),
                m.str_attr("status").map(String::from),
            )
        })
    };
    assert_eq!(
        role(&carol),
        Some((Some("member".into()), Some("active".into())))
    );
    assert_eq!(
        role(&alice),
        Some((Some("admin".into()), Some("active".into())))
    );
    assert_ne!(
        role(&bob).and_then(|(_, s)| s),
        Some("active".to_string()),
        "bob removed"
    );
}

#[tokio::test]
async fn already_active_and_no_membership_count_as_applied_and_refusals_are_blocked() {
    let e = env().await;
    let live = e
        .groups
        .read(&group_scope(vec![lookup("lab-readers", None)]))
        .await
        .unwrap();
    let ids = ids_of(&live);
    let (alice, carol, dave, erin) = (
        identity(&e.emu, "alice@uni.edu"),
        identity(&e.emu, "carol@uni.edu"),
        identity(&e.emu, "dave@uni.edu"),
        identity(&e.emu, "erin@uni.edu"),
    );
    let add = |id: &str| {
        change(
            member("lab-readers", id),
            Action::Create,
            None,
            Some(Object::new(member("lab-readers", id)).with("role", "member")),
            Direction::Grant,
        )
    };
    let out = e
        .groups
        .apply(&[add(&alice), add(&erin), add(&dave)], &ids)
        .await;
    assert_eq!(
        out[0],
        Outcome::Applied { server_id: None },
        "ALREADY_ACTIVE"
    );
    assert!(
        matches!(out[1], Outcome::Blocked { .. }),
        "allow_add false: {:?}",
        out[1]
    );
    assert!(
        matches!(out[2], Outcome::Blocked { .. }),
        "left: {:?}",
        out[2]
    );

    let remove = change(
        member("lab-readers", &carol),
        Action::Delete,
        Some(&Object::new(member("lab-readers", &carol))),
        None,
        Direction::Revoke,
    );
    let out = e.groups.apply(&[remove], &ids).await;
    assert_eq!(
        out,
        vec![Outcome::Applied { server_id: None }],
        "NO_MEMBERSHIP"
    );
}

#[tokio::test]
async fn groups_are_created_updated_and_deleted() {
    let e = env().await;
    let ids = IdMap::default();
    let desired = Object::new(group("new-lab"))
        .with("name", "new-lab")
        .with("description", "fresh")
        .with("group_visibility", "authenticated")
        .with("join_requests", true);
    let out = e
        .groups
        .apply(
            &[change(
                group("new-lab"),
                Action::Create,
                None,
                Some(desired),
                Direction::Neutral,
            )],
            &ids,
        )
        .await;
    let Outcome::Applied {
        server_id: Some(id),
    } = &out[0]
    else {
        panic!("create: {out:?}")
    };
    assert_eq!(ids.get(&group("new-lab")).as_ref(), Some(id));

    let live = e
        .groups
        .read(&group_scope(vec![lookup("new-lab", None)]))
        .await
        .unwrap();
    let g = live
        .state
        .get(&group("new-lab"))
        .expect("created group adopted by name");
    assert_eq!(g.server_id.as_ref(), Some(id));
    assert_eq!(g.str_attr("group_visibility"), Some("authenticated"));
    assert_eq!(g.attrs["join_requests"], json!(true));
    assert_eq!(g.str_attr("group_members_visibility"), Some("managers"));

    let desired = Object::new(group("new-lab"))
        .with("description", "updated")
        .with("group_members_visibility", "members");
    let out = e
        .groups
        .apply(
            &[change(
                group("new-lab"),
                Action::Update,
                Some(g),
                Some(desired),
                Direction::Neutral,
            )],
            &ids,
        )
        .await;
    assert!(matches!(out[0], Outcome::Applied { .. }), "{out:?}");
    let live = e
        .groups
        .read(&group_scope(vec![lookup("new-lab", None)]))
        .await
        .unwrap();
    let g = live.state.get(&group("new-lab")).unwrap();
    assert_eq!(g.str_attr("description"), Some("updated"));
    assert_eq!(g.str_attr("group_members_visibility"), Some("members"));
    assert_eq!(
        g.str_attr("group_visibility"),
        Some("authenticated"),
        "kept"
    );
    assert_eq!(g.attrs["join_requests"], json!(true), "kept");

    let out = e
        .groups
        .apply(
            &[change(
                group("new-lab"),
                Action::Delete,
                Some(g),
                None,
                Direction::Neutral,
            )],
            &ids,
        )
        .await;
    assert!(matches!(out[0], Outcome::Applied { .. }), "{out:?}");
    let live = e
        .groups
        .read(&group_scope(vec![lookup("new-lab", None)]))
        .await
        .unwrap();
    assert!(live.state.objects.is_empty());
}

#[tokio::test]
async fn acl_rules_read_with_managed_group_names_and_role_rules_apart() {
    let e = env().await;
    let glive = e
        .groups
        .read(&group_scope(vec![lookup("lab-readers", None)]))
        .await
        .unwrap();
    let live = e
        .transfer
        .read(&share_scope(glive.managed_group_ids()))
        .await
        .unwrap();
    let alice = identity(&e.emu, "alice@uni.edu");
    let rule = live
        .state
        .get(&acl("/disthome/alice/", &format!("identity:{alice}")))
        .expect("alice's rule");
    assert_eq!(rule.str_attr("permissions"), Some("r"));
    assert_eq!(rule.str_attr("expires"), Some("2026-12-31T00:00:00Z"));
    assert!(rule.server_id.is_some());
    assert!(
        live.state
            .get(&acl("/shared/", "group:lab-readers"))
            .is_some()
    );
    assert_eq!(
        live.state
            .get(&acl("/public/", "all_authenticated_users"))
            .map(|o| o.attrs["expires"].clone()),
        Some(Value::Null)
    );
    assert!(
        !live.system_managed.is_empty(),
        "role-derived rules are system-managed"
    );
    assert!(live.system_managed.iter().all(|o| o.server_id.is_none()));
    assert!(live.state.objects.values().all(|o| o.server_id.is_some()));

    // Without the group names, a group is keyed by its UUID.
    let live = e
        .transfer
        .read(&share_scope(BTreeMap::new()))
        .await
        .unwrap();
    let gid = glive
        .state
        .get(&group("lab-readers"))
        .unwrap()
        .server_id
        .clone()
        .unwrap();
    assert!(
        live.state
            .get(&acl("/shared/", &format!("group:{gid}")))
            .is_some()
    );
}

#[tokio::test]
async fn acl_rules_are_created_updated_and_deleted() {
    let e = env().await;
    let glive = e
        .groups
        .read(&group_scope(vec![lookup("lab-readers", None)]))
        .await
        .unwrap();
    let ids = ids_of(&glive);
    let carol = format!("identity:{}", identity(&e.emu, "carol@uni.edu"));
    let desired = Object::new(acl("/shared/", &carol))
        .with("permissions", "rw")
        .with("expires", "2027-06-30T00:00:00Z");
    let managed = Object::new(acl("/disthome/", "group:lab-readers"))
        .with("permissions", "r")
        .with("expires", Value::Null);
    let out = e
        .transfer
        .apply(
            &[
                change(
                    acl("/shared/", &carol),
                    Action::Create,
                    None,
                    Some(desired),
                    Direction::Grant,
                ),
                change(
                    acl("/disthome/", "group:lab-readers"),
                    Action::Create,
                    None,
                    Some(managed),
                    Direction::Grant,
                ),
            ],
            &ids,
        )
        .await;
    assert!(
        out.iter()
            .all(|o| matches!(o, Outcome::Applied { server_id: Some(_) })),
        "{out:?}"
    );

    let live = e
        .transfer
        .read(&share_scope(glive.managed_group_ids()))
        .await
        .unwrap();
    let rule = live
        .state
        .get(&acl("/shared/", &carol))
        .expect("created")
        .clone();
    assert_eq!(rule.str_attr("permissions"), Some("rw"));
    assert_eq!(rule.str_attr("expires"), Some("2027-06-30T00:00:00Z"));
    assert!(
        live.state
            .get(&acl("/disthome/", "group:lab-readers"))
            .is_some()
    );

    let desired = Object::new(acl("/shared/", &carol))
        .with("permissions", "r")
        .with("expires", Value::Null);
    let out = e
        .transfer
        .apply(
            &[change(
                acl("/shared/", &carol),
                Action::Update,
                Some(&rule),
                Some(desired),
                Direction::Revoke,
            )],
            &ids,
        )
        .await;
    assert!(matches!(out[0], Outcome::Applied { .. }), "{out:?}");
    let live = e
        .transfer
        .read(&share_scope(BTreeMap::new()))
        .await
        .unwrap();
    let updated = live.state.get(&acl("/shared/", &carol)).unwrap().clone();
    assert_eq!(updated.str_attr("permissions"), Some("r"));
    assert_eq!(updated.attrs["expires"], Value::Null);

    let delete = change(
        acl("/shared/", &carol),
        Action::Delete,
        Some(&updated),
        None,
        Direction::Revoke,
    );
    let out = e.transfer.apply(std::slice::from_ref(&delete), &ids).await;
    assert_eq!(out, vec![Outcome::Applied { server_id: None }]);
    // Deleting again: AccessRuleNotFound is success.
    let out = e.transfer.apply(&[delete], &ids).await;
    assert_eq!(out, vec![Outcome::Applied { server_id: None }]);
    let live = e
        .transfer
        .read(&share_scope(BTreeMap::new()))
        .await
        .unwrap();
    assert!(live.state.get(&acl("/shared/", &carol)).is_none());
}

#[tokio::test]
async fn an_existing_rule_is_adopted_on_409_and_updated() {
    let e = env().await;
    let alice = format!("identity:{}", identity(&e.emu, "alice@uni.edu"));
    let desired = Object::new(acl("/disthome/alice/", &alice))
        .with("permissions", "rw")
        .with("expires", "2026-12-31T00:00:00Z");
    let ids = IdMap::default();
    let out = e
        .transfer
        .apply(
            &[change(
                acl("/disthome/alice/", &alice),
                Action::Create,
                None,
                Some(desired),
                Direction::Grant,
            )],
            &ids,
        )
        .await;
    assert!(
        matches!(out[0], Outcome::Applied { server_id: Some(_) }),
        "{out:?}"
    );
    let live = e
        .transfer
        .read(&share_scope(BTreeMap::new()))
        .await
        .unwrap();
    let rule = live.state.get(&acl("/disthome/alice/", &alice)).unwrap();
    assert_eq!(rule.str_attr("permissions"), Some("rw"));
    assert_eq!(ids.get(&acl("/disthome/alice/", &alice)), rule.server_id);
    let creates = posts_to(&e.emu, &format!("/transfer/v0.10/endpoint/{SHARE}/access"));
    assert_eq!(creates, 1, "the create is not resent");
}

#[tokio::test]
async fn directories_are_made_and_existing_ones_are_fine() {
    let e = env().await;
    let dir = Address::new(
        accord::services::transfer::DIRECTORY,
        [SHARE, "/shared/new/"],
    );
    let c = change(
        dir.clone(),
        Action::Create,
        None,
        Some(Object::new(dir)),
        Direction::Neutral,
    );
    let ids = IdMap::default();
    for _ in 0..2 {
        let out = e.transfer.apply(std::slice::from_ref(&c), &ids).await;
        assert_eq!(out, vec![Outcome::Applied { server_id: None }]);
    }
    let live = e
        .transfer
        .read(&share_scope(BTreeMap::new()))
        .await
        .unwrap();
    assert!(
        live.state
            .objects
            .keys()
            .all(|a| a.kind == accord::services::transfer::ACL)
    );
}

#[tokio::test]
async fn injected_503s_and_429s_are_retried() {
    let e = env().await;
    let rules: Vec<FaultRule> = serde_json::from_value(json!([
        {"service": "groups", "error_rate": 1.0, "status": 503, "count": 2, "path_contains": "my_groups"},
        {"service": "transfer", "rate_limit": 1.0, "retry_after": 1, "count": 1}
    ]))
    .unwrap();
    e.emu.emulator.add_faults(rules).unwrap();
    let live = e
        .groups
        .read(&group_scope(vec![lookup("lab-readers", None)]))
        .await
        .unwrap();
    assert!(live.state.get(&group("lab-readers")).is_some());
    let started = std::time::Instant::now();
    let live = e
        .transfer
        .read(&share_scope(BTreeMap::new()))
        .await
        .unwrap();
    assert!(!live.state.objects.is_empty());
    assert!(started.elapsed() >= std::time::Duration::from_millis(950));
}

#[tokio::test]
async fn identities_resolve_and_whoami_is_the_client() {
    let e = env().await;
    let found = e
        .auth
        .by_usernames(&[
            "alice@uni.edu".into(),
            "nobody@uni.edu".into(),
            "Bob@uni.edu".into(),
        ])
        .await
        .unwrap();
    let mut names: Vec<_> = found.iter().map(|i| i.username.as_str()).collect();
    names.sort();
    assert_eq!(names, ["alice@uni.edu", "bob@uni.edu"]);
    let alice = found
        .iter()
        .find(|i| i.username == "alice@uni.edu")
        .unwrap();
    assert_eq!(alice.id.to_string(), identity(&e.emu, "alice@uni.edu"));
    let by_id = e.auth.by_ids(&[alice.id]).await.unwrap();
    assert_eq!(by_id, vec![alice.clone()]);
    let me = e.auth.whoami().await.unwrap();
    assert_eq!(me.id.to_string(), CLIENT);
}
