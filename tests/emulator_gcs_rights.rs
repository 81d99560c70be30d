//! One test per GCS row of the "route → required right" table in docs/emulator.md: each
//! checks an allowed caller and a denied caller through real HTTP.

#[path = "emulator_gcs_support.rs"]
mod support;

use serde_json::json;
use support::*;

/// The running emulator, the three callers, and a guest collection USER created.
struct World {
    em: accord::emulator::RunningEmulator,
    admin: Caller,
    user: Caller,
    outsider: Caller,
    guest: String,
}

async fn world() -> World {
    let em = start().await;
    let admin = Caller::login(&em, ADMIN).await;
    let user = Caller::login(&em, USER).await;
    let outsider = Caller::login(&em, OUTSIDER).await;
    let cred = user.credential().await;
    let guest = user.guest(&cred, "share", "/lab/share/").await;
    World {
        em,
        admin,
        user,
        outsider,
        guest,
    }
}

fn assert_missing_role(a: &Answer) {
    assert_eq!(a.status, 403, "{}", a.body);
    assert_eq!(a.body["code"], "permission_denied");
    assert_eq!(a.body["detail"]["DATA_TYPE"], "missing_required_role#1.0.0");
}

#[tokio::test]
async fn info_needs_nothing_and_the_rest_an_endpoint_token() {
    let w = world().await;
    let anon = answer(
        reqwest::get(format!("{}/gcs/{GCS}/api/info", w.user.base))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(anon.status, 200);
    // A token for another resource server, or one lacking manage_collections (the token
    // endpoint issues no scope the endpoint lacks, so only a seeded token can).
    let http = reqwest::Client::new();
    let other = token(&http, &w.user.base, USER, TRANSFER_SCOPE).await;
    let odd = ALICE_GCS_ALL.to_string();
    for (tok, status) in [(other, 401), (odd, 403)] {
        let a = answer(
            http.get(format!("{}/gcs/{GCS}/api/collections", w.user.base))
                .bearer_auth(tok)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(a.status, status, "{}", a.body);
    }
    assert_eq!(w.user.get("/endpoint").await.status, 200);
    assert_eq!(w.outsider.get("/storage_gateways").await.status, 200);
    assert_eq!(
        w.outsider
            .get(&format!("/storage_gateways/{GATEWAY}"))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn list_collections_shows_what_the_caller_may_see() {
    let w = world().await;
    let count = |a: &Answer| a.body["data"].as_array().unwrap().len();
    assert_eq!(count(&w.admin.get("/collections").await), 2);
    assert_eq!(count(&w.user.get("/collections").await), 2);
    assert_eq!(count(&w.outsider.get("/collections").await), 0);
    // A public collection is visible to anyone with a token.
    let p = w
        .user
        .patch(
            &format!("/collections/{}", w.guest),
            json!({"DATA_TYPE": "collection#1.0.0", "public": true}),
        )
        .await;
    assert_eq!(p.status, 200);
    assert_eq!(count(&w.outsider.get("/collections").await), 1);
}

#[tokio::test]
async fn get_collection_needs_a_role_unless_public() {
    let w = world().await;
    let path = format!("/collections/{}", w.guest);
    assert_eq!(w.user.get(&path).await.status, 200);
    assert_eq!(w.admin.get(&path).await.status, 200);
    assert_missing_role(&w.outsider.get(&path).await);
}

#[tokio::test]
async fn create_guest_collection_needs_role_scope_and_own_credential() {
    let w = world().await;
    // A credential but no role on the mapped collection or endpoint.
    assert_missing_role(
        &w.outsider
            .post("/collections", guest_doc(OUTSIDER_CRED, "x", "/x/"))
            .await,
    );
    // A role, but the token lacks the mapped collection's data_access scope.
    let cred = w.user.credential().await;
    let no_scope = Caller::login_with(&w.em, USER, reqwest::Client::new(), false).await;
    let a = no_scope
        .post("/collections", guest_doc(&cred, "x", "/x/"))
        .await;
    assert_eq!(a.status, 403);
    assert_eq!(
        a.body["detail"]["DATA_TYPE"],
        "missing_required_scopes#1.0.0"
    );
    // A role, but someone else's credential.
    let a = w
        .user
        .post("/collections", guest_doc(OUTSIDER_CRED, "x", "/x/"))
        .await;
    assert_eq!(a.status, 403);
    assert_eq!(a.body["detail"]["DATA_TYPE"], "credential_not_found#1.0.0");
    // An endpoint administrator with a credential of their own.
    let admin_cred = w.admin.credential().await;
    let ok = w
        .admin
        .post("/collections", guest_doc(&admin_cred, "y", "/y/"))
        .await;
    assert_eq!(ok.status, 201, "{}", ok.body);
}

#[tokio::test]
async fn create_mapped_collection_needs_endpoint_administrator() {
    let w = world().await;
    let doc = json!({"DATA_TYPE": "collection#1.0.0", "collection_type": "mapped",
                     "display_name": "m2", "storage_gateway_id": GATEWAY,
                     "collection_base_path": "/"});
    assert_missing_role(&w.user.post("/collections", doc.clone()).await);
    let ok = w.admin.post("/collections", doc).await;
    assert_eq!(ok.status, 201, "{}", ok.body);
    assert_eq!(ok.body["data"][0]["collection_type"], "mapped");
}

#[tokio::test]
async fn update_collection_needs_its_administrator_or_an_endpoint_administrator() {
    let w = world().await;
    let path = format!("/collections/{}", w.guest);
    let body = json!({"DATA_TYPE": "collection#1.0.0", "display_name": "n"});
    assert_missing_role(&w.outsider.patch(&path, body.clone()).await);
    assert_missing_role(&w.outsider.put(&path, body.clone()).await);
    assert_eq!(w.user.patch(&path, body.clone()).await.status, 200);
    assert_eq!(w.admin.put(&path, body).await.status, 200);
}

#[tokio::test]
async fn delete_collection_needs_its_administrator_an_endpoint_or_mapped_administrator() {
    let w = world().await;
    let path = format!("/collections/{}", w.guest);
    assert_missing_role(&w.outsider.delete(&path).await);
    assert_eq!(w.admin.delete(&path).await.status, 200);
}

#[tokio::test]
async fn list_and_get_roles_need_a_role_there() {
    let w = world().await;
    let path = format!("/roles?collection_id={}", w.guest);
    assert_eq!(w.user.get(&path).await.status, 200);
    assert_eq!(w.admin.get(&path).await.status, 200);
    assert_missing_role(&w.outsider.get(&path).await);
    // Endpoint roles: any role on the endpoint.
    assert_eq!(w.admin.get("/roles").await.status, 200);
    assert_missing_role(&w.outsider.get("/roles").await);
    // include=all_roles: endpoint administrators only.
    let all = w.admin.get("/roles?include=all_roles").await;
    assert_eq!(all.status, 200);
    assert!(all.body["data"].as_array().unwrap().len() >= 4);
    assert_missing_role(&w.user.get("/roles?include=all_roles").await);
    // GET one role: as listing its scope.
    let id = w.user.get(&path).await.body["data"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(w.user.get(&format!("/roles/{id}")).await.status, 200);
    assert_missing_role(&w.outsider.get(&format!("/roles/{id}")).await);
}

#[tokio::test]
async fn create_role_rights_per_scope() {
    let w = world().await;
    // Endpoint roles: endpoint administrator.
    let ep_role = role_doc(None, ALICE, "activity_monitor");
    assert_missing_role(&w.user.post("/roles", ep_role.clone()).await);
    assert_eq!(w.admin.post("/roles", ep_role).await.status, 200);
    // Mapped collection roles: endpoint or collection administrator (USER is only an
    // access_manager there).
    let m_role = role_doc(Some(MAPPED), ALICE, "activity_monitor");
    assert_missing_role(&w.user.post("/roles", m_role.clone()).await);
    assert_eq!(w.admin.post("/roles", m_role).await.status, 200);
    // Guest collection roles: the guest collection's administrator only.
    let g_role = role_doc(Some(&w.guest), ALICE, "access_manager");
    assert_missing_role(&w.admin.post("/roles", g_role.clone()).await);
    assert_eq!(w.user.post("/roles", g_role).await.status, 200);
}

#[tokio::test]
async fn delete_role_as_create_or_the_mapped_collections_administrator() {
    let w = world().await;
    let made = w
        .user
        .post("/roles", role_doc(Some(&w.guest), ALICE, "access_manager"))
        .await;
    let id = made.body["data"][0]["id"].as_str().unwrap().to_string();
    assert_missing_role(&w.outsider.delete(&format!("/roles/{id}")).await);
    // An administrator of the mapped collection may delete guest roles.
    let m_admin = w
        .admin
        .post("/roles", role_doc(Some(MAPPED), OUTSIDER, "administrator"))
        .await;
    assert_eq!(m_admin.status, 200);
    assert_eq!(w.outsider.delete(&format!("/roles/{id}")).await.status, 200);
    // The endpoint owner's role is system-managed.
    let owner = w.admin.get("/roles").await.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["role"] == "owner")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let a = w.admin.delete(&format!("/roles/{owner}")).await;
    assert_eq!(a.status, 409);
    assert_eq!(a.body["code"], "conflict");
}

#[tokio::test]
async fn user_credentials_are_owned() {
    let w = world().await;
    // List: the caller's own; include=all for endpoint administrators.
    let own = w.outsider.get("/user_credentials").await;
    assert_eq!(own.body["data"].as_array().unwrap().len(), 1);
    assert_eq!(own.body["data"][0]["id"], OUTSIDER_CRED);
    let mine = w.user.get("/user_credentials?include=all").await;
    assert_eq!(
        mine.body["data"].as_array().unwrap().len(),
        1,
        "not an admin"
    );
    let all = w.admin.get("/user_credentials?include=all").await;
    assert_eq!(all.body["data"].as_array().unwrap().len(), 2);
    // Get and delete: owner or endpoint administrator.
    let path = format!("/user_credentials/{OUTSIDER_CRED}");
    let a = w.user.get(&path).await;
    assert_eq!(a.status, 403);
    assert_eq!(
        a.body["detail"]["DATA_TYPE"],
        "id_not_in_identity_set#1.0.0"
    );
    assert_eq!(w.user.delete(&path).await.status, 403);
    assert_eq!(w.admin.get(&path).await.status, 200);
    assert_eq!(w.outsider.delete(&path).await.status, 200);
    // Create: only for the caller's own identity.
    let for_other = w
        .user
        .post(
            "/user_credentials",
            json!({"DATA_TYPE": "user_credential#1.0.0", "storage_gateway_id": GATEWAY,
                   "identity_id": ALICE}),
        )
        .await;
    assert_eq!(for_other.status, 403);
    let for_self = w
        .user
        .post(
            "/user_credentials",
            json!({"DATA_TYPE": "user_credential#1.0.0", "storage_gateway_id": GATEWAY,
                   "identity_id": USER, "username": "labsvc"}),
        )
        .await;
    assert_eq!(for_self.status, 201);
    assert_eq!(for_self.body["data"][0]["username"], "labsvc");
}

#[tokio::test]
async fn transfer_stat_needs_a_role_or_a_rule() {
    let w = world().await;
    let stat = format!("/transfer/v0.10/operation/endpoint/{}/stat?path=/", w.guest);
    assert_eq!(w.user.get(&stat).await.status, 200);
    let denied = w.outsider.get(&stat).await;
    assert_eq!(denied.status, 403);
    assert_eq!(denied.body["code"], "EndpointPermissionDenied");
    let rule = w
        .user
        .post(
            &format!("/transfer/v0.10/endpoint/{}/access", w.guest),
            json!({"DATA_TYPE": "access", "principal_type": "identity", "principal": OUTSIDER,
                   "path": "/", "permissions": "r"}),
        )
        .await;
    assert_eq!(rule.status, 201);
    assert_eq!(w.outsider.get(&stat).await.status, 200);
}
