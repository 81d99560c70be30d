//! Decodes every JSON example of the Globus reference (§1–3, copied into `tests/golden/`)
//! with the wire types, and checks that re-serialising keeps unknown fields.
//!
//! Where the reference abbreviates a UUID with `…`, the golden file spells a full one,
//! since the typed ids would (rightly) reject the abbreviation.

#[path = "golden_support.rs"]
mod support;
use support::*;

use accord::services::auth::wire::{
    AuthError, IdentitiesResponse, IntrospectResponse, TokenResponse,
};
use accord::services::groups::wire::{
    BatchMembershipAction, BatchMembershipResponse, Group, GroupCreate, GroupPoliciesWrite,
    MembershipStatus, Preferences, Role,
};
use accord::services::transfer::wire::{
    AccessCreateResult, AccessList, AccessRule, AccessRuleCreate, AccessRuleUpdate, Endpoint,
    MkdirRequest, MkdirResult, PrincipalType, TransferError, TransferResult,
};
use serde_json::{Value, json};

#[test]
fn auth_token() {
    let t: TokenResponse = decode("auth_token");
    assert_eq!(t.resource_server, "transfer.api.globus.org");
    assert_eq!(t.expires_in, 172800);
    assert!(t.other_tokens.is_empty());
    assert_round_trip_keeps_all::<TokenResponse>("auth_token");
}

#[test]
fn auth_token_with_other_tokens() {
    let t: TokenResponse = decode("auth_token_other_tokens");
    assert_eq!(t.resource_server, "auth.globus.org");
    assert_eq!(t.id_token.as_deref(), Some("header.payload.signature"));
    assert_eq!(t.other_tokens.len(), 1);
    assert_eq!(
        t.other_tokens[0].refresh_token.as_deref(),
        Some("transfer_refresh")
    );
    assert_eq!(
        t.by_resource_server(),
        vec![
            ("auth.globus.org", "auth_access_token"),
            ("transfer.api.globus.org", "transfer_access_token")
        ]
    );
    assert_round_trip_keeps_all::<TokenResponse>("auth_token_other_tokens");
}

#[test]
fn auth_introspect() {
    let i: IntrospectResponse = decode("auth_introspect");
    assert!(i.active);
    assert_eq!(i.username.as_deref(), Some("kingfish@globus.org"));
    assert_eq!(i.exp, Some(1715289767));
    assert_eq!(i.aud.as_ref().map(Vec::len), Some(2));
    let inactive: IntrospectResponse = serde_json::from_value(json!({"active": false})).unwrap();
    assert!(!inactive.active);
    assert_eq!(
        serde_json::to_value(&inactive).unwrap(),
        json!({"active": false})
    );
}

#[test]
fn auth_identities() {
    let r: IdentitiesResponse = decode("auth_identities");
    assert_eq!(r.identities.len(), 2);
    assert_eq!(r.identities[0].username, "globus@globus.org");
    assert_eq!(r.identities[0].name, None);
    assert_eq!(r.identities[1].identity_type.as_deref(), Some("login"));
    assert_eq!(
        r.identities[1].id.to_string(),
        "ae341a98-d274-11e5-b888-dbae3a8ba545"
    );
    assert_round_trip_keeps_all::<IdentitiesResponse>("auth_identities");
}

#[test]
fn auth_errors() {
    let e: AuthError = decode("auth_error_401");
    assert_eq!(e.error.as_deref(), Some("unauthorized"));
    assert_eq!(e.errors[0].code, "UNAUTHORIZED");
    assert_eq!(e.errors[0].status, "401");
    assert_round_trip_keeps_all::<AuthError>("auth_error_401");
    let g: AuthError = decode("auth_error_invalid_grant");
    assert_eq!(g.error.as_deref(), Some("invalid_grant"));
    assert!(g.errors.is_empty());
    assert_round_trip_keeps_all::<AuthError>("auth_error_invalid_grant");
}

#[test]
fn groups_group() {
    let g: Group = decode("groups_group");
    assert_eq!(g.name, "Group 1");
    assert_eq!(g.group_type, "regular");
    let mine = g.my_memberships.as_ref().unwrap();
    assert_eq!(mine[0].role, Role::Admin);
    assert_eq!(mine[0].status, MembershipStatus::Active);
    let p = g.policies.as_ref().unwrap();
    assert_eq!(p.group_visibility, "private");
    assert_eq!(p.authentication_assurance_timeout, Some(28800));
    assert!(g.memberships.is_none());
    assert_round_trip_keeps_all::<Group>("groups_group");
}

#[test]
fn groups_requests() {
    let c: GroupCreate = decode("groups_create_request");
    assert_eq!(c.name, "lab-readers");
    assert_eq!(c.parent_id, None);
    let p: GroupPoliciesWrite = decode("groups_policies_write");
    assert_eq!(p.group_members_visibility.as_deref(), Some("managers"));
    assert_eq!(p.signup_fields, Some(vec![]));
    assert_round_trip_keeps_all::<GroupPoliciesWrite>("groups_policies_write");
    let b: BatchMembershipAction = decode("groups_batch_request");
    assert_eq!(b.add[0].role, Some(Role::Member));
    assert_eq!(b.change_role[0].role, Some(Role::Admin));
    assert_eq!(b.remove[0].role, None);
    assert_round_trip_keeps_all::<BatchMembershipAction>("groups_batch_request");
    let prefs: Preferences = serde_json::from_value(golden("groups_preferences")).unwrap();
    assert!(!prefs.values().next().unwrap().allow_add);
}

#[test]
fn groups_batch_responses() {
    let r: BatchMembershipResponse = decode("groups_batch_add_errors");
    assert_eq!(r.add.as_ref().map(Vec::len), Some(0));
    assert_eq!(r.errors["add"][0].code, "ALREADY_ACTIVE");
    assert_round_trip_keeps_all::<BatchMembershipResponse>("groups_batch_add_errors");
    let r: BatchMembershipResponse = decode("groups_batch_remove");
    let removed = &r.remove.as_ref().unwrap()[0];
    assert_eq!(removed.status, MembershipStatus::Removed);
    assert_eq!(removed.username.as_deref(), Some("test_user1"));
    assert!(r.errors.is_empty());
    assert_round_trip_keeps_all::<BatchMembershipResponse>("groups_batch_remove");
}

#[test]
fn groups_unknown_enum_values_are_kept() {
    let m: accord::services::groups::wire::Membership = serde_json::from_value(json!({
        "group_id": "8b7d57bc-1666-11ec-88b2-f50515619d57",
        "identity_id": "00000000-0000-0000-0000-000000000001",
        "role": "owner", "status": "suspended"
    }))
    .unwrap();
    assert_eq!(m.role, Role::Other("owner".into()));
    assert_eq!(serde_json::to_value(&m).unwrap()["status"], "suspended");
}

#[test]
fn transfer_access_documents() {
    let c: AccessRuleCreate = decode("transfer_access_create_request");
    assert_eq!(c.principal_type, PrincipalType::Identity);
    assert_eq!(c.notify_email.as_deref(), Some("a@example.org"));
    assert_round_trip_keeps_all::<AccessRuleCreate>("transfer_access_create_request");

    let r: AccessCreateResult = decode("transfer_access_create_result");
    assert_eq!(r.code, "Created");
    assert_eq!(r.access_id, "fbe71e48-9fb4-4265-a5b5-4408d8bb5d1b");
    let int_id: AccessCreateResult =
        serde_json::from_value(json!({"DATA_TYPE": "access_create_result", "access_id": 12345}))
            .unwrap();
    assert_eq!(int_id.access_id, "12345");

    let rule: AccessRule = decode("transfer_access_rule");
    assert_eq!(
        rule.id.as_deref(),
        Some("fbe71e48-9fb4-4265-a5b5-4408d8bb5d1b")
    );
    assert_eq!(rule.role_id, None);
    assert!(!rule.is_role_derived());
    assert_eq!(
        rule.expiration_date.as_deref(),
        Some("2025-01-01T00:00:00+00:00")
    );
    assert_round_trip_keeps_all::<AccessRule>("transfer_access_rule");

    let list: AccessList = decode("transfer_access_list");
    assert_eq!(list.data_type, "access_list");
    assert_eq!(list.length, Some(1));
    assert_eq!(list.data[0].path, "/foo/bar/");
    assert_round_trip_keeps_all::<AccessList>("transfer_access_list");

    let u: AccessRuleUpdate = decode("transfer_access_update_request");
    assert_eq!(u.permissions.as_deref(), Some("r"));
    assert_eq!(
        u.expiration_date,
        Some(None),
        "explicit null clears the expiry"
    );
    assert_round_trip_keeps_all::<AccessRuleUpdate>("transfer_access_update_request");
    let absent: AccessRuleUpdate =
        serde_json::from_value(json!({"DATA_TYPE": "access", "permissions": "rw"})).unwrap();
    assert_eq!(absent.expiration_date, None);
    assert!(
        serde_json::to_value(&absent)
            .unwrap()
            .get("expiration_date")
            .is_none()
    );

    let res: TransferResult = decode("transfer_result_updated");
    assert_eq!(res.code, "Updated");
    assert_round_trip_keeps_all::<TransferResult>("transfer_result_updated");
}

#[test]
fn transfer_role_derived_rule() {
    let rule: AccessRule = serde_json::from_value(json!({
        "DATA_TYPE": "access", "id": null, "role_id": "abc", "role_type": "administrator",
        "principal_type": "identity", "principal": "25de0aed-aa83-4600-a1be-a62a910af116",
        "path": "/", "permissions": "rw", "create_time": null, "expiration_date": null
    }))
    .unwrap();
    assert!(rule.is_role_derived());
    let back = serde_json::to_value(&rule).unwrap();
    assert_eq!(
        back["id"],
        Value::Null,
        "id is serialised as an explicit null"
    );
}

#[test]
fn transfer_mkdir_and_endpoint() {
    let m: MkdirRequest = decode("transfer_mkdir_request");
    assert_eq!(m.path, "/~/newdir/");
    assert_round_trip_keeps_all::<MkdirRequest>("transfer_mkdir_request");
    let r: MkdirResult = decode("transfer_mkdir_result");
    assert_eq!(r.code, "DirectoryCreated");
    assert_round_trip_keeps_all::<MkdirResult>("transfer_mkdir_result");

    let e: Endpoint = decode("transfer_endpoint");
    assert_eq!(e.entity_type.as_deref(), Some("GCSv5_guest_collection"));
    assert_eq!(
        e.gcs_manager_url.as_deref(),
        Some("https://abc.xyz.data.globus.org")
    );
    assert_eq!(e.data.as_ref().map(Vec::len), Some(1));
    assert_round_trip_keeps_all::<Endpoint>("transfer_endpoint");
}

#[test]
fn transfer_errors() {
    let e: TransferError = decode("transfer_error_endpoint_not_found");
    assert_eq!(e.code, "EndpointNotFound");
    assert_eq!(e.request_id, "BHI2BHt8N");
    assert!(!e.is_never_retried());
    assert_round_trip_keeps_all::<TransferError>("transfer_error_endpoint_not_found");
    let p: TransferError = decode("transfer_error_permission_denied");
    assert_eq!(p.code, "PermissionDenied");
    let ext = TransferError {
        code: "ExternalError.MkdirFailed.Exists".into(),
        ..TransferError::default()
    };
    assert!(ext.is_never_retried());
}
