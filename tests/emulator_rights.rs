//! One test per row of the "route → required right" table in docs/emulator.md: each
//! checks an allowed caller and a denied caller through real HTTP.

#[path = "emulator_support.rs"]
mod support;

use serde_json::json;
use support::*;

fn rule_body(principal: &str, path: &str) -> serde_json::Value {
    json!({"DATA_TYPE": "access", "principal_type": "identity", "principal": principal,
           "path": path, "permissions": "r"})
}

#[tokio::test]
async fn auth_token_needs_client_credentials() {
    let em = start().await;
    let ok = token_response(&em.base_url, ADMIN, "admin-secret", GROUPS_SCOPE).await;
    assert_eq!(ok.status, 200);
    let bad = token_response(&em.base_url, ADMIN, "wrong", GROUPS_SCOPE).await;
    assert_eq!(bad.status, 401);
    assert_eq!(bad.body["error"], "invalid_client");
}

#[tokio::test]
async fn auth_introspect_needs_client_basic_auth() {
    let em = start().await;
    let api = Api::login(&em, MEMBER).await;
    let http = reqwest::Client::new();
    let url = format!("{}/auth/v2/oauth2/token/introspect", em.base_url);
    let form = [
        ("token", api.groups_token.as_str()),
        ("include", "identity_set"),
    ];
    let ok = answer(
        http.post(&url)
            .basic_auth(OUTSIDER, Some("outsider-secret"))
            .form(&form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.body["active"], true);
    assert_eq!(ok.body["sub"], MEMBER);
    assert_eq!(ok.body["identity_set"], json!([MEMBER]));
    let denied = answer(http.post(&url).form(&form).send().await.unwrap()).await;
    assert_eq!(denied.status, 401);
}

#[tokio::test]
async fn auth_identities_need_any_token() {
    let em = start().await;
    let api = Api::login(&em, OUTSIDER).await;
    let http = reqwest::Client::new();
    for path in [
        "/auth/v2/api/identities?usernames=alice@uni.edu".to_string(),
        format!("/auth/v2/api/identities/{ADMIN}"),
    ] {
        let url = format!("{}{path}", em.base_url);
        let ok = answer(
            http.get(&url)
                .bearer_auth(&api.transfer_token)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(ok.status, 200, "{path}: {}", ok.body);
        let denied = answer(http.get(&url).send().await.unwrap()).await;
        assert_eq!(denied.status, 401);
        assert_eq!(denied.body["errors"][0]["code"], "UNAUTHORIZED");
    }
}

#[tokio::test]
async fn groups_my_groups_needs_a_groups_token() {
    let em = start().await;
    let outsider = Api::login(&em, OUTSIDER).await;
    let ok = outsider.get("/groups/v2/groups/my_groups").await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.body, json!([]));
    // A Transfer token is not a Groups token.
    let wrong = reqwest::Client::new()
        .get(format!("{}/groups/v2/groups/my_groups", em.base_url))
        .bearer_auth(&outsider.transfer_token)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
}

#[tokio::test]
async fn groups_create_any_caller_subgroup_needs_parent_admin() {
    let em = start().await;
    let outsider = Api::login(&em, OUTSIDER).await;
    let ok = outsider
        .post(
            "/groups/v2/groups",
            json!({"name": "mine", "parent_id": null}),
        )
        .await;
    assert_eq!(ok.status, 201);
    let denied = outsider
        .post(
            "/groups/v2/groups",
            json!({"name": "sub", "parent_id": GROUP}),
        )
        .await;
    assert_eq!(denied.status, 403);
    let admin = Api::login(&em, ADMIN).await;
    let sub = admin
        .post(
            "/groups/v2/groups",
            json!({"name": "sub", "parent_id": GROUP}),
        )
        .await;
    assert_eq!(sub.status, 201);
}

#[tokio::test]
async fn groups_get_needs_membership_or_authenticated_visibility() {
    let em = start().await;
    let member = Api::login(&em, MEMBER).await;
    let outsider = Api::login(&em, OUTSIDER).await;
    assert_eq!(
        member
            .get(&format!("/groups/v2/groups/{GROUP}"))
            .await
            .status,
        200
    );
    let denied = outsider.get(&format!("/groups/v2/groups/{GROUP}")).await;
    assert_eq!(denied.status, 403);
    assert_eq!(denied.body["code"], "FORBIDDEN");
    assert_eq!(
        outsider
            .get(&format!("/groups/v2/groups/{OPEN_GROUP}"))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn groups_update_needs_admin() {
    let em = start().await;
    let admin = Api::login(&em, ADMIN).await;
    let manager = Api::login(&em, MANAGER).await;
    let path = format!("/groups/v2/groups/{GROUP}");
    assert_eq!(manager.put(&path, json!({"name": "x"})).await.status, 403);
    let ok = admin.put(&path, json!({"name": "renamed"})).await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.body["name"], "renamed");
}

#[tokio::test]
async fn groups_delete_needs_admin() {
    let em = start().await;
    let admin = Api::login(&em, ADMIN).await;
    let manager = Api::login(&em, MANAGER).await;
    let path = format!("/groups/v2/groups/{GROUP}");
    assert_eq!(manager.delete(&path).await.status, 403);
    assert_eq!(admin.delete(&path).await.status, 200);
    assert_eq!(admin.get(&path).await.status, 404);
}

#[tokio::test]
async fn groups_get_policies_needs_view_right() {
    let em = start().await;
    let member = Api::login(&em, MEMBER).await;
    let outsider = Api::login(&em, OUTSIDER).await;
    let path = format!("/groups/v2/groups/{GROUP}/policies");
    let ok = member.get(&path).await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.body["group_visibility"], "private");
    assert_eq!(outsider.get(&path).await.status, 403);
}

#[tokio::test]
async fn groups_put_policies_needs_admin() {
    let em = start().await;
    let admin = Api::login(&em, ADMIN).await;
    let manager = Api::login(&em, MANAGER).await;
    let path = format!("/groups/v2/groups/{GROUP}/policies");
    let body = json!({"group_visibility": "authenticated", "group_members_visibility": "members"});
    assert_eq!(manager.put(&path, body.clone()).await.status, 403);
    let ok = admin.put(&path, body).await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.body["group_members_visibility"], "members");
}

#[tokio::test]
async fn groups_batch_add_needs_manager() {
    let em = start().await;
    let manager = Api::login(&em, MANAGER).await;
    let member = Api::login(&em, MEMBER).await;
    let path = format!("/groups/v2/groups/{GROUP}");
    let bob = support_identity(&em, "bob@uni.edu").await;
    let body = json!({"add": [{"identity_id": bob}]});
    let denied = member.post(&path, body.clone()).await;
    assert_eq!(denied.status, 403);
    let ok = manager.post(&path, body).await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.body["add"][0]["status"], "active");
    assert_eq!(ok.body["add"][0]["role"], "member");
}

#[tokio::test]
async fn groups_batch_add_admin_role_needs_admin() {
    let em = start().await;
    let admin = Api::login(&em, ADMIN).await;
    let manager = Api::login(&em, MANAGER).await;
    let path = format!("/groups/v2/groups/{GROUP}");
    let bob = support_identity(&em, "bob@uni.edu").await;
    let body = json!({"add": [{"identity_id": bob, "role": "admin"}]});
    let denied = manager.post(&path, body.clone()).await;
    assert_eq!(denied.status, 200);
    assert_eq!(denied.body["errors"]["add"][0]["code"], "PERMISSION_DENIED");
    let ok = admin.post(&path, body).await;
    assert_eq!(ok.body["add"][0]["role"], "admin");
}

#[tokio::test]
async fn groups_batch_change_role_needs_admin() {
    let em = start().await;
    let admin = Api::login(&em, ADMIN).await;
    let manager = Api::login(&em, MANAGER).await;
    let path = format!("/groups/v2/groups/{GROUP}");
    let body = json!({"change_role": [{"identity_id": MEMBER, "role": "manager"}]});
    assert_eq!(manager.post(&path, body.clone()).await.status, 403);
    let ok = admin.post(&path, body).await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.body["change_role"][0]["role"], "manager");
}

#[tokio::test]
async fn groups_batch_remove_needs_manager_and_not_self() {
    let em = start().await;
    let manager = Api::login(&em, MANAGER).await;
    let member = Api::login(&em, MEMBER).await;
    let path = format!("/groups/v2/groups/{GROUP}");
    let alice = support_identity(&em, "alice@uni.edu").await;
    let body = json!({"remove": [{"identity_id": alice}]});
    assert_eq!(member.post(&path, body.clone()).await.status, 403);
    let ok = manager.post(&path, body).await;
    assert_eq!(ok.body["remove"][0]["status"], "removed");
    let own = manager
        .post(&path, json!({"remove": [{"identity_id": MANAGER}]}))
        .await;
    assert_eq!(
        own.body["errors"]["remove"][0]["code"],
        "CANNOT_REMOVE_SELF"
    );
    let admin_target = manager
        .post(&path, json!({"remove": [{"identity_id": ADMIN}]}))
        .await;
    assert_eq!(
        admin_target.body["errors"]["remove"][0]["code"],
        "PERMISSION_DENIED"
    );
}

#[tokio::test]
async fn groups_batch_self_actions_need_own_identity() {
    let em = start().await;
    let member = Api::login(&em, MEMBER).await;
    let path = format!("/groups/v2/groups/{GROUP}");
    let other = member
        .post(&path, json!({"leave": [{"identity_id": MANAGER}]}))
        .await;
    assert_eq!(
        other.body["errors"]["leave"][0]["code"],
        "PERMISSION_DENIED"
    );
    let own = member
        .post(&path, json!({"leave": [{"identity_id": MEMBER}]}))
        .await;
    assert_eq!(own.body["leave"][0]["status"], "left");
}

#[tokio::test]
async fn groups_preferences_only_own() {
    let em = start().await;
    let member = Api::login(&em, MEMBER).await;
    let got = member.get("/groups/v2/preferences").await;
    assert_eq!(got.status, 200);
    assert_eq!(got.body[MEMBER]["allow_add"], true);
    let ok = member
        .put(
            "/groups/v2/preferences",
            json!({MEMBER: {"allow_add": false}}),
        )
        .await;
    assert_eq!(ok.status, 200);
    let denied = member
        .put(
            "/groups/v2/preferences",
            json!({ADMIN: {"allow_add": false}}),
        )
        .await;
    assert_eq!(denied.status, 403);
}

#[tokio::test]
async fn transfer_endpoint_needs_any_transfer_token() {
    let em = start().await;
    let outsider = Api::login(&em, OUTSIDER).await;
    let path = format!("/transfer/v0.10/endpoint/{ENDPOINT}");
    let ok = outsider.get(&path).await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.body["my_effective_roles"], json!([]));
    let admin = Api::login(&em, ADMIN).await;
    assert_eq!(
        admin.get(&path).await.body["my_effective_roles"],
        json!(["administrator"])
    );
    let denied = reqwest::Client::new()
        .get(format!("{}{path}", em.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), 401);
}

#[tokio::test]
async fn transfer_access_list_needs_an_acl_role() {
    let em = start().await;
    let path = format!("/transfer/v0.10/endpoint/{ENDPOINT}/access_list");
    for who in [ADMIN, ACCESS_MANAGER, RESTRICTED] {
        let api = Api::login(&em, who).await;
        assert_eq!(api.get(&path).await.status, 200, "{who}");
    }
    let denied = Api::login(&em, OUTSIDER).await.get(&path).await;
    assert_eq!(denied.status, 403);
    assert_eq!(denied.body["code"], "PermissionDenied");
}

#[tokio::test]
async fn transfer_create_needs_admin_or_access_manager() {
    let em = start().await;
    let path = format!("/transfer/v0.10/endpoint/{ENDPOINT}/access");
    for (i, who) in [ADMIN, ACCESS_MANAGER].into_iter().enumerate() {
        let api = Api::login(&em, who).await;
        let ok = api.post(&path, rule_body(MEMBER, &format!("/d{i}/"))).await;
        assert_eq!(ok.status, 201, "{who}: {}", ok.body);
    }
    let restricted = Api::login(&em, RESTRICTED).await;
    let denied = restricted.post(&path, rule_body(MEMBER, "/d9/")).await;
    assert_eq!(denied.status, 403);
    assert_eq!(denied.body["code"], "PermissionDenied");
}

#[tokio::test]
async fn transfer_get_rule_needs_an_acl_role() {
    let em = start().await;
    let path = format!("/transfer/v0.10/endpoint/{ENDPOINT}/access/{ALICE_RULE}");
    let ok = Api::login(&em, RESTRICTED).await.get(&path).await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.body["path"], "/alice/");
    assert_eq!(Api::login(&em, OUTSIDER).await.get(&path).await.status, 403);
}

#[tokio::test]
async fn transfer_update_needs_admin_or_access_manager() {
    let em = start().await;
    let path = format!("/transfer/v0.10/endpoint/{ENDPOINT}/access/{ALICE_RULE}");
    let body = json!({"DATA_TYPE": "access", "permissions": "rw"});
    let denied = Api::login(&em, RESTRICTED)
        .await
        .put(&path, body.clone())
        .await;
    assert_eq!(denied.status, 403);
    let ok = Api::login(&em, ACCESS_MANAGER).await.put(&path, body).await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.body["code"], "Updated");
}

#[tokio::test]
async fn transfer_delete_allows_restricted_administrator() {
    let em = start().await;
    let path = format!("/transfer/v0.10/endpoint/{ENDPOINT}/access/{ALICE_RULE}");
    assert_eq!(
        Api::login(&em, OUTSIDER).await.delete(&path).await.status,
        403
    );
    let ok = Api::login(&em, RESTRICTED).await.delete(&path).await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.body["code"], "Deleted");
}

#[tokio::test]
async fn transfer_mkdir_needs_role_or_rw_rule() {
    let em = start().await;
    let path = format!("/transfer/v0.10/operation/endpoint/{ENDPOINT}/mkdir");
    let body = |p: &str| json!({"DATA_TYPE": "mkdir", "path": p});
    let ok = Api::login(&em, ADMIN)
        .await
        .post(&path, body("/new/"))
        .await;
    assert_eq!(ok.status, 202);
    assert_eq!(ok.body["code"], "DirectoryCreated");
    let writer = Api::login(&em, WRITER).await;
    assert_eq!(writer.post(&path, body("/scratch/w/")).await.status, 202);
    let denied = writer.post(&path, body("/elsewhere/")).await;
    assert_eq!(denied.status, 403);
    assert_eq!(denied.body["code"], "EndpointPermissionDenied");
    let outsider = Api::login(&em, OUTSIDER).await;
    assert_eq!(outsider.post(&path, body("/x/")).await.status, 403);
}

/// The id of a seeded identity, looked up through Auth.
async fn support_identity(em: &accord::emulator::RunningEmulator, username: &str) -> String {
    let resp = reqwest::Client::new()
        .get(format!(
            "{}/auth/v2/api/identities?usernames={username}",
            em.base_url
        ))
        .basic_auth(ADMIN, Some("admin-secret"))
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = resp.json().await.unwrap();
    body["identities"][0]["id"].as_str().unwrap().to_string()
}
