//! The GCS Manager API of the emulator through real HTTP: result envelope, marker
//! pagination, errors, roles, user credentials, guest collections as Transfer endpoints
//! (ACL rules, stat, mkdir, cascade on delete) and HTTPS with `spawn_tls`.

#[path = "emulator_gcs_support.rs"]
mod support;

use accord::emulator::{Emulator, spawn_tls};
use serde_json::{Value, json};
use support::*;

#[tokio::test]
async fn info_is_unauthenticated_and_enveloped() {
    let em = start().await;
    let resp = reqwest::get(format!("{}/gcs/{GCS}/api/info", em.base_url))
        .await
        .unwrap();
    let a = answer(resp).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.body["DATA_TYPE"], "result#1.1.0");
    assert_eq!(a.body["code"], "success");
    assert_eq!(a.body["data"][0]["DATA_TYPE"], "info#1.0.0");
    assert_eq!(a.body["data"][0]["endpoint_id"], GCS);
    assert_eq!(a.body["data"][0]["client_id"], GCS);
    assert_eq!(a.body["data"][1]["DATA_TYPE"], "connector#1.1.0");
    assert_eq!(a.body["data"][1]["display_name"], "POSIX");
    // An unknown endpoint is a GCS 404.
    let a = answer(
        reqwest::get(format!(
            "{}/gcs/00000000-0000-4000-8000-000000000000/api/info",
            em.base_url
        ))
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(a.status, 404);
    assert_eq!(a.body["code"], "not_found");
}

#[tokio::test]
async fn envelope_and_marker_pagination() {
    let em = start().await;
    let user = Caller::login(&em, USER).await;
    let cred = user.credential().await;
    let mut created = Vec::new();
    for i in 0..3 {
        created.push(
            user.guest(&cred, &format!("g{i}"), &format!("/lab/g{i}/"))
                .await,
        );
    }
    let first = user.get("/collections?page_size=1").await;
    assert_eq!(first.status, 200);
    for key in [
        "DATA_TYPE",
        "code",
        "detail",
        "http_response_code",
        "has_next_page",
        "marker",
    ] {
        assert!(
            first.body.get(key).is_some(),
            "{key} missing: {}",
            first.body
        );
    }
    assert_eq!(first.body["DATA_TYPE"], "result#1.0.0");
    assert_eq!(first.body["code"], "success");
    assert_eq!(first.body["http_response_code"], 200);
    assert_eq!(first.body["has_next_page"], true);
    assert_eq!(first.body["data"].as_array().unwrap().len(), 1);
    assert_eq!(first.body["data"][0]["DATA_TYPE"], "collection#1.0.0");
    // Follow the markers to the end: the mapped collection and the three guests, once each.
    let mut seen = Vec::new();
    let mut page = first;
    loop {
        for c in page.body["data"].as_array().unwrap() {
            seen.push(c["id"].as_str().unwrap().to_string());
        }
        if page.body["has_next_page"] != true {
            assert!(page.body["marker"].is_null());
            break;
        }
        let marker = page.body["marker"].as_str().unwrap().to_string();
        page = user
            .get(&format!("/collections?page_size=1&marker={marker}"))
            .await;
        assert_eq!(page.status, 200, "{}", page.body);
    }
    let mut want = created.clone();
    want.push(MAPPED.to_string());
    want.sort();
    let mut got = seen.clone();
    got.sort();
    assert_eq!(got, want, "every collection exactly once");
    // Filters.
    let guests = user.get("/collections?filter=guest_collections").await;
    assert_eq!(guests.body["data"].as_array().unwrap().len(), 3);
    assert!(
        guests.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["collection_type"] == "guest")
    );
    let mapped = user.get("/collections?filter=mapped_collections").await;
    assert_eq!(mapped.body["data"][0]["id"], MAPPED);
    assert_eq!(mapped.body["data"][0]["storage_gateway_id"], GATEWAY);
    let by_mapped = user
        .get(&format!("/collections?mapped_collection_id={MAPPED}"))
        .await;
    assert_eq!(by_mapped.body["data"].as_array().unwrap().len(), 3);
    let bad = user.get("/collections?page_size=0").await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.body["code"], "bad_request");
}

#[tokio::test]
async fn guest_collection_create_get_patch_put() {
    let em = start().await;
    let user = Caller::login(&em, USER).await;
    let cred = user.credential().await;
    let created = user
        .post("/collections", {
            let mut d = guest_doc(&cred, "Lab share", "/lab/share/");
            d["description"] = json!("shared");
            d["keywords"] = json!(["a", "b"]);
            d
        })
        .await;
    assert_eq!(created.status, 201);
    assert_eq!(created.body["http_response_code"], 201);
    let c = &created.body["data"][0];
    assert_eq!(c["collection_type"], "guest");
    assert_eq!(c["mapped_collection_id"], MAPPED);
    assert_eq!(c["storage_gateway_id"], GATEWAY);
    assert_eq!(c["collection_base_path"], "/lab/share/");
    assert_eq!(c["identity_id"], USER);
    assert_eq!(c["host_endpoint_id"], GCS);
    assert_eq!(c["keywords"], json!(["a", "b"]));
    let id = c["id"].as_str().unwrap().to_string();

    let got = user.get(&format!("/collections/{id}")).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.body["data"][0]["display_name"], "Lab share");

    // PATCH: null removes a field; the fields that say what is shared cannot change.
    let patched = user
        .patch(
            &format!("/collections/{id}"),
            json!({"DATA_TYPE": "collection#1.0.0", "display_name": "Renamed",
                   "description": null, "keywords": null, "public": true}),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    let p = &patched.body["data"][0];
    assert_eq!(p["display_name"], "Renamed");
    assert_eq!(p["public"], true);
    assert!(
        p.get("description").is_none() && p.get("keywords").is_none(),
        "{p}"
    );
    let moved = user
        .patch(
            &format!("/collections/{id}"),
            json!({"DATA_TYPE": "collection#1.0.0", "collection_base_path": "/elsewhere/"}),
        )
        .await;
    assert_eq!(moved.status, 400);
    assert_eq!(moved.body["detail"]["DATA_TYPE"], "invalid_input#1.0.0");

    // PUT replaces: fields left out go back to their defaults.
    let put = user
        .put(
            &format!("/collections/{id}"),
            json!({"DATA_TYPE": "collection#1.0.0", "display_name": "Put"}),
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.body);
    assert_eq!(put.body["data"][0]["public"], false);
    assert_eq!(put.body["data"][0]["display_name"], "Put");
}

#[tokio::test]
async fn errors_in_the_gcs_envelope() {
    let em = start().await;
    let user = Caller::login(&em, USER).await;
    // No token, and a Transfer token at GCS: 401 not_authorized.
    let none = answer(
        reqwest::get(format!("{}/gcs/{GCS}/api/collections", em.base_url))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(none.status, 401);
    assert_eq!(none.body["code"], "not_authorized");
    assert_eq!(none.body["DATA_TYPE"], "result#1.0.0");
    assert_eq!(none.body["http_response_code"], 401);
    let wrong = answer(
        reqwest::Client::new()
            .get(format!("{}/gcs/{GCS}/api/collections", em.base_url))
            .bearer_auth(&user.transfer_token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(wrong.status, 401);
    // 404 not_found, with a collection_not_found detail.
    let missing = user
        .get("/collections/00000000-0000-4000-8000-000000000000")
        .await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.body["code"], "not_found");
    assert_eq!(
        missing.body["detail"]["DATA_TYPE"],
        "collection_not_found#1.0.0"
    );
    assert_eq!(missing.body["data"], json!([]));
    // 400 bad_request: a body without a collection DATA_TYPE, a guest without a credential.
    let bad = user
        .post("/collections", json!({"DATA_TYPE": "role#1.0.0"}))
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.body["code"], "bad_request");
    let mut doc = guest_doc(OUTSIDER_CRED, "x", "/x/");
    doc.as_object_mut().unwrap().remove("user_credential_id");
    let no_cred = user.post("/collections", doc).await;
    assert_eq!(no_cred.status, 400);
    assert_eq!(
        no_cred.body["detail"]["errors"][0]["property"],
        "user_credential_id"
    );
    // 403 permission_denied with missing_required_role.
    let outsider = Caller::login(&em, OUTSIDER).await;
    let denied = outsider
        .post("/collections", guest_doc(OUTSIDER_CRED, "x", "/x/"))
        .await;
    assert_eq!(denied.status, 403);
    assert_eq!(denied.body["code"], "permission_denied");
    assert_eq!(
        denied.body["detail"]["DATA_TYPE"],
        "missing_required_role#1.0.0"
    );
    // Someone else's credential: credential_not_found.
    let foreign = user
        .post("/collections", guest_doc(OUTSIDER_CRED, "x", "/x/"))
        .await;
    assert_eq!(foreign.status, 403);
    assert_eq!(
        foreign.body["detail"]["DATA_TYPE"],
        "credential_not_found#1.0.0"
    );
}

#[tokio::test]
async fn roles_duplicates_and_the_creators_role() {
    let em = start().await;
    let user = Caller::login(&em, USER).await;
    let cred = user.credential().await;
    let coll = user.guest(&cred, "g", "/lab/g/").await;
    // The creator holds a system administrator role on the new collection.
    let roles = user.get(&format!("/roles?collection_id={coll}")).await;
    assert_eq!(roles.status, 200);
    let list = roles.body["data"].as_array().unwrap().clone();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["DATA_TYPE"], "role#1.0.0");
    assert_eq!(list[0]["role"], "administrator");
    assert_eq!(list[0]["collection"], coll.as_str());
    assert_eq!(
        list[0]["principal"],
        format!("urn:globus:auth:identity:{USER}")
    );
    let creator_role = list[0]["id"].as_str().unwrap().to_string();
    let refused = user.delete(&format!("/roles/{creator_role}")).await;
    assert_eq!(refused.status, 409);
    assert_eq!(refused.body["code"], "conflict");

    let made = user
        .post("/roles", role_doc(Some(&coll), ALICE, "access_manager"))
        .await;
    assert_eq!(made.status, 200, "{}", made.body);
    assert_eq!(made.body["data"][0]["role"], "access_manager");
    let role_id = made.body["data"][0]["id"].as_str().unwrap().to_string();
    let dup = user
        .post("/roles", role_doc(Some(&coll), ALICE, "access_manager"))
        .await;
    assert_eq!(dup.status, 409);
    assert_eq!(dup.body["code"], "exists");
    // A GCS access_manager role is a Transfer role: its implicit rule shows in the ACL.
    let acl = user
        .get(&format!("/transfer/v0.10/endpoint/{coll}/access_list"))
        .await;
    assert_eq!(acl.status, 200, "{}", acl.body);
    assert!(
        acl.body["DATA"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["role_type"] == "access_manager" && r["principal"] == ALICE)
    );
    let got = user.get(&format!("/roles/{role_id}")).await;
    assert_eq!(got.status, 200);
    let deleted = user.delete(&format!("/roles/{role_id}")).await;
    assert_eq!(deleted.status, 200);
    assert_eq!(deleted.body["message"], format!("Deleted role {role_id}"));
    assert_eq!(user.get(&format!("/roles/{role_id}")).await.status, 404);
    // A bad principal or role name: 400.
    let bad = user
        .post(
            "/roles",
            json!({"DATA_TYPE": "role#1.0.0", "collection": coll, "principal": ALICE,
                   "role": "administrator"}),
        )
        .await;
    assert_eq!(bad.status, 400);
    let bad_role = user
        .post("/roles", role_doc(Some(&coll), ALICE, "owner"))
        .await;
    assert_eq!(bad_role.status, 400);
}

#[tokio::test]
async fn user_credentials_are_the_callers_own() {
    let em = start().await;
    let user = Caller::login(&em, USER).await;
    let created = user
        .post(
            "/user_credentials",
            json!({"DATA_TYPE": "user_credential#1.0.0", "storage_gateway_id": GATEWAY,
                   "display_name": "mine"}),
        )
        .await;
    assert_eq!(created.status, 201);
    assert_eq!(created.body["detail"], "created");
    let c = &created.body["data"][0];
    assert_eq!(c["DATA_TYPE"], "user_credential#1.0.0");
    // Without a username: the local part of the identity's username.
    assert_eq!(c["username"], "user");
    assert_eq!(c["identity_id"], USER);
    assert_eq!(c["invalid"], false);
    assert_eq!(
        c["policies"]["DATA_TYPE"],
        "posix_user_credential_policies#1.0.0"
    );
    let id = c["id"].as_str().unwrap().to_string();
    let mine = user.get("/user_credentials").await;
    let ids: Vec<&str> = mine.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![id.as_str()], "only the caller's own");
    let filtered = user
        .get("/user_credentials?storage_gateway=00000000-0000-4000-8000-000000000000")
        .await;
    assert_eq!(filtered.body["data"], json!([]));
    assert_eq!(
        user.get(&format!("/user_credentials/{id}")).await.status,
        200
    );
    let unknown_gateway = user
        .post(
            "/user_credentials",
            json!({"DATA_TYPE": "user_credential#1.0.0",
                   "storage_gateway_id": "00000000-0000-4000-8000-000000000000"}),
        )
        .await;
    assert_eq!(unknown_gateway.status, 404);
    assert_eq!(
        user.delete(&format!("/user_credentials/{id}")).await.status,
        200
    );
    assert_eq!(
        user.get(&format!("/user_credentials/{id}")).await.status,
        404
    );
}

#[tokio::test]
async fn guest_collections_are_transfer_endpoints_and_delete_cascades() {
    let em = start().await;
    let user = Caller::login(&em, USER).await;
    let cred = user.credential().await;
    let coll = user.guest(&cred, "share", "/lab/share/").await;
    // Transfer sees it, with the GCS Manager URL of its endpoint.
    let ep = user.get(&format!("/transfer/v0.10/endpoint/{coll}")).await;
    assert_eq!(ep.status, 200, "{}", ep.body);
    assert_eq!(ep.body["entity_type"], "GCSv5_guest_collection");
    assert_eq!(ep.body["host_endpoint_id"], GCS);
    assert_eq!(ep.body["mapped_collection_id"], MAPPED);
    assert_eq!(
        ep.body["gcs_manager_url"],
        format!("{}/gcs/{GCS}", em.base_url)
    );
    assert_eq!(ep.body["my_effective_roles"], json!(["administrator"]));
    let gcs_ep = user.get(&format!("/transfer/v0.10/endpoint/{GCS}")).await;
    assert_eq!(gcs_ep.body["entity_type"], "GCSv5_endpoint");
    assert_eq!(
        gcs_ep.body["gcs_manager_url"],
        format!("{}/gcs/{GCS}", em.base_url)
    );
    // The creator (collection administrator) manages its ACL through Transfer.
    let rule = user
        .post(
            &format!("/transfer/v0.10/endpoint/{coll}/access"),
            json!({"DATA_TYPE": "access", "principal_type": "identity", "principal": ALICE,
                   "path": "/", "permissions": "r"}),
        )
        .await;
    assert_eq!(rule.status, 201, "{}", rule.body);
    let extra = user
        .post("/roles", role_doc(Some(&coll), ALICE, "activity_monitor"))
        .await;
    assert_eq!(extra.status, 200);

    let deleted = user.delete(&format!("/collections/{coll}")).await;
    assert_eq!(deleted.status, 200);
    assert_eq!(deleted.body["code"], "success");
    assert_eq!(deleted.body["data"], json!([]));
    // Its rules and roles went with it.
    let gone = user.get(&format!("/transfer/v0.10/endpoint/{coll}")).await;
    assert_eq!(gone.status, 404);
    assert_eq!(gone.body["code"], "EndpointNotFound");
    let rules = user
        .get(&format!("/transfer/v0.10/endpoint/{coll}/access_list"))
        .await;
    assert_eq!(rules.status, 404);
    assert_eq!(
        user.get(&format!("/roles?collection_id={coll}"))
            .await
            .status,
        404
    );
    let snap = em.emulator.snapshot();
    assert!(snap["endpoints"].get(&coll).is_none());
    let dump = snap.to_string();
    assert!(!dump.contains("activity_monitor"), "no role left: {dump}");
}

#[tokio::test]
async fn mapped_collection_delete_takes_its_guests() {
    let em = start().await;
    let user = Caller::login(&em, USER).await;
    let admin = Caller::login(&em, ADMIN).await;
    let cred = user.credential().await;
    let coll = user.guest(&cred, "share", "/lab/share/").await;
    let deleted = admin.delete(&format!("/collections/{MAPPED}")).await;
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    assert_eq!(admin.get(&format!("/collections/{coll}")).await.status, 404);
}

#[tokio::test]
async fn stat_and_mkdir_on_a_guest_collection() {
    let em = start().await;
    let user = Caller::login(&em, USER).await;
    let cred = user.credential().await;
    let coll = user.guest(&cred, "share", "/lab/share/").await;
    let stat = |path: &str| format!("/transfer/v0.10/operation/endpoint/{coll}/stat?path={path}");
    let root = user.get(&stat("/")).await;
    assert_eq!(root.status, 200, "{}", root.body);
    assert_eq!(root.body["DATA_TYPE"], "file");
    assert_eq!(root.body["type"], "dir");
    let missing = user.get(&stat("/new/")).await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.body["code"], "NotFound");
    let mkdir_path = format!("/transfer/v0.10/operation/endpoint/{coll}/mkdir");
    let mkdir = |path: &str| user.post(&mkdir_path, json!({"DATA_TYPE": "mkdir", "path": path}));
    assert_eq!(mkdir("/new/").await.status, 202);
    let made = user.get(&stat("/new")).await;
    assert_eq!(made.status, 200);
    assert_eq!(made.body["name"], "new");
    let again = mkdir("/new/").await;
    assert_eq!(again.status, 502);
    assert_eq!(again.body["code"], "ExternalError.MkdirFailed.Exists");
    // The guest's files are its mapped collection's, under the base path.
    let on_mapped = user
        .get(&format!(
            "/transfer/v0.10/operation/endpoint/{MAPPED}/stat?path=/lab/share/new/"
        ))
        .await;
    assert_eq!(on_mapped.status, 200, "{}", on_mapped.body);
    let seeded = user
        .get(&format!(
            "/transfer/v0.10/operation/endpoint/{MAPPED}/stat?path=/lab/existing/"
        ))
        .await;
    assert_eq!(seeded.status, 200);
}

#[tokio::test]
async fn collections_created_by_gcs_survive_a_snapshot() {
    let em = start().await;
    let user = Caller::login(&em, USER).await;
    let cred = user.credential().await;
    let coll = user.guest(&cred, "share", "/lab/share/").await;
    let restored = Emulator::from_snapshot(seed(), em.emulator.snapshot()).unwrap();
    assert_eq!(restored.snapshot(), em.emulator.snapshot());
    assert!(restored.snapshot()["endpoints"][&coll]["collection"].is_object());
}

#[tokio::test]
async fn tls_spawn_serves_https_with_its_ca() {
    let running = spawn_tls(Emulator::new(seed())).await.unwrap();
    assert!(running.base_url.starts_with("https://127.0.0.1:"));
    let ca = running.ca_pem.clone().expect("a CA");
    let cert = reqwest::Certificate::from_pem(ca.as_bytes()).unwrap();
    let http = reqwest::Client::builder()
        .tls_certs_only([cert])
        .build()
        .unwrap();
    let info = answer(
        http.get(format!("{}/gcs/{GCS}/api/info", running.base_url))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(info.status, 200);
    let user = Caller::login_with(&running, USER, http.clone(), true).await;
    let ep = user.get(&format!("/transfer/v0.10/endpoint/{GCS}")).await;
    let url = ep.body["gcs_manager_url"].as_str().unwrap().to_string();
    assert_eq!(url, format!("{}/gcs/{GCS}", running.base_url));
    assert!(url.starts_with("https://"));
    // Without the CA the certificate is refused.
    let plain = reqwest::Client::new()
        .get(format!("{}/gcs/{GCS}/api/info", running.base_url))
        .send()
        .await;
    assert!(plain.is_err());
    let _: Value = info.body;
}
