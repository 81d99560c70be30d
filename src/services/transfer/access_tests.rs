//! The access delta over Transfer rules and Groups memberships: what plans name as resources
//! (`transfer:<collection>:<path>`, `group:<name>`) and how they read for people.

use chrono::{DateTime, Utc};

use crate::plan::Resource;
use crate::plan::access::AccessDelta;
use crate::plan::access::testing::{checked_delta, delete};
use crate::plan::change::Change;
use crate::services::groups::MEMBER;
use crate::services::groups::kinds::ROLES;
use crate::services::transfer::ACL;
use crate::services::transfer::kinds::PATH;
use crate::state::{Address, Object, Principal};

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
    Object::new(Address::new(ACL, [EP, path, principal])).with("permissions", perms)
}

fn run(live: Vec<Object>, changes: Vec<Change>) -> AccessDelta {
    checked_delta(live, changes, now())
}

fn path(p: &str) -> Resource {
    Resource::new(PATH, [EP, p])
}

#[test]
fn an_expiry_revoked_member_loses_access() {
    // The diff plans the delete of an expired membership; its group rule goes with it.
    let dave = member("lab", 4, "member");
    let d = run(
        vec![dave.clone(), rule("/projects/", "group:lab", "r")],
        vec![delete(dave)],
    );
    let lost: Vec<_> = d.losses.iter().map(|l| l.resource.to_string()).collect();
    assert_eq!(
        lost,
        vec!["group:lab".to_string(), format!("transfer:{EP}:/projects/")]
    );
}

#[test]
fn resources_round_trip() {
    crate::services::builtin();
    for s in ["group:lab-readers", &format!("transfer:{EP}:/a:b/")] {
        assert_eq!(s.parse::<Resource>().unwrap().to_string(), s);
    }
    assert!("transfer:x".parse::<Resource>().is_err());
    assert_eq!(path("/shared/").label(), "e56c36e4… /shared/");
    assert_eq!(
        Resource::new(ROLES, ["lab"]).phrase("admin"),
        "admin of group lab"
    );
}

#[test]
fn a_rule_on_a_folder_covers_what_is_under_it_and_nothing_else() {
    crate::services::builtin();
    let on = |p: &str| Resource::parse_typed(&format!("transfer:{EP}:{p}")).unwrap();
    let rule = on("/a/");
    for under in ["/a/", "/a", "/a/b/c", "/a/b/"] {
        assert!(rule.covers(&on(under)), "{under}");
    }
    for outside in ["/", "/ab/", "/b/a/", "/a-b"] {
        assert!(!rule.covers(&on(outside)), "{outside}");
    }
    let other =
        Resource::parse_typed("transfer:9c8b7a6f-5e4d-4c3b-8a2f-1e0d9c8b7a6f:/a/b").unwrap();
    assert!(!rule.covers(&other), "another collection");
    assert!(Resource::parse_typed(&format!("transfer:{EP}:a/")).is_err());
    let err = Resource::parse_typed("folder:/a/").unwrap_err().to_string();
    assert!(err.contains("transfer:<collection>:/path/"), "{err}");
}
