//! Each row of the Boss "Routes and required rights" table of `docs/emulator.md`: a caller
//! without the right gets the documented answer, and a caller with it gets through.

use accord::emulator::{Emulator, RunningEmulator, Seed, spawn};
use serde_json::{Value, json};

const SEED: &str = "
boss:
  users:
    - { username: admin1, token: admin-token, roles: [admin] }
    - { username: manager, token: manager-token, roles: [resource-manager] }
    - { username: outsider, token: outsider-token, roles: [resource-manager] }
    - { username: plain, token: plain-token }
  groups:
    - { name: g1, owner: manager, members: [manager, plain] }
  coord_frames:
    - { name: f1, creator: manager, x_start: 0, x_stop: 10, y_start: 0, y_stop: 10, z_start: 0,
        z_stop: 10, x_voxel_size: 1.0, y_voxel_size: 1.0, z_voxel_size: 1.0, voxel_unit: nanometers }
  collections:
    - name: c1
      creator: manager
      experiments:
        - name: e1
          coord_frame: f1
          creator: manager
          channels: [{ name: ch1, type: image, datatype: uint8, creator: manager }]
";

async fn boss() -> RunningEmulator {
    spawn(Emulator::new(
        Seed::from_yaml_str(&accord::services::builtin(), SEED).expect("seed"),
    ))
    .await
    .expect("emulator")
}

/// Sends one request; answers the status and the JSON body (null when empty).
async fn call(
    em: &RunningEmulator,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let url = format!("{}/boss{path}", em.base_url);
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = reqwest::Client::new().request(method, url);
    if let Some(t) = token {
        req = req.header("Authorization", format!("Token {t}"));
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap_or_default();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, body)
}

fn assert_boss_error(got: &(u16, Value), status: u16, code: u64) {
    assert_eq!(got.0, status, "{got:?}");
    assert_eq!(got.1["status"], json!(status), "{got:?}");
    assert_eq!(got.1["code"], json!(code), "{got:?}");
}

#[tokio::test]
async fn authentication_is_a_token() {
    let em = boss().await;
    let none = call(&em, "GET", "/v1/groups/", None, None).await;
    assert_eq!(none.0, 401);
    assert_eq!(
        none.1["detail"],
        "Authentication credentials were not provided."
    );
    let bad = call(&em, "GET", "/v1/groups/", Some("nope"), None).await;
    assert_eq!(
        (bad.0, bad.1["detail"].clone()),
        (401, json!("Invalid token."))
    );
    let ok = call(&em, "GET", "/v1/groups/", Some("plain-token"), None).await;
    assert_eq!(ok.0, 200);
    assert_eq!(ok.1["groups"], json!(["g1", "plain-primary", "public"]));
}

#[tokio::test]
async fn get_group_needs_member_or_maintainer() {
    let em = boss().await;
    let denied = call(&em, "GET", "/v1/groups/g1/", Some("outsider-token"), None).await;
    assert_boss_error(&denied, 403, 3001);
    let ok = call(&em, "GET", "/v1/groups/g1/", Some("plain-token"), None).await;
    assert_eq!(ok.0, 200);
    assert_eq!(
        ok.1,
        json!({"name": "g1", "owner": "manager", "resources": []})
    );
    let admin = call(&em, "GET", "/v1/groups/g1/", Some("admin-token"), None).await;
    assert_eq!(
        admin.0, 403,
        "the admin role alone is not membership: {admin:?}"
    );
}

#[tokio::test]
async fn create_group_needs_resource_manager() {
    let em = boss().await;
    let denied = call(&em, "POST", "/v1/groups/g2/", Some("plain-token"), None).await;
    assert_boss_error(&denied, 403, 3000);
    assert_eq!(
        denied.1["message"],
        "plain does not have the required role resource-manager"
    );
    let ok = call(&em, "POST", "/v1/groups/g2/", Some("manager-token"), None).await;
    assert_eq!(ok, (201, Value::Null));
    let again = call(&em, "POST", "/v1/groups/g2/", Some("manager-token"), None).await;
    assert_boss_error(&again, 404, 6001);
    let members = call(
        &em,
        "GET",
        "/v1/groups/g2/members/",
        Some("manager-token"),
        None,
    )
    .await;
    assert_eq!(members.1["members"], json!(["manager"]));
}

#[tokio::test]
async fn delete_group_needs_creator_or_admin() {
    let em = boss().await;
    let denied = call(
        &em,
        "DELETE",
        "/v1/groups/g1/",
        Some("outsider-token"),
        None,
    )
    .await;
    assert_boss_error(&denied, 403, 3000);
    let special = call(
        &em,
        "DELETE",
        "/v1/groups/public/",
        Some("admin-token"),
        None,
    )
    .await;
    assert_boss_error(&special, 400, 1006);
    let ok = call(&em, "DELETE", "/v1/groups/g1/", Some("admin-token"), None).await;
    assert_eq!(ok, (204, Value::Null));
    let gone = call(&em, "DELETE", "/v1/groups/g1/", Some("admin-token"), None).await;
    assert_boss_error(&gone, 404, 4001);
}

#[tokio::test]
async fn members_need_resource_manager_and_maintain_group() {
    let em = boss().await;
    let path = "/v1/groups/g1/members/";
    let no_role = call(&em, "GET", path, Some("plain-token"), None).await;
    assert_boss_error(&no_role, 403, 3000);
    let not_member = call(&em, "GET", path, Some("outsider-token"), None).await;
    assert_boss_error(&not_member, 403, 3001);
    let add = "/v1/groups/g1/members/outsider";
    let denied = call(&em, "POST", add, Some("outsider-token"), None).await;
    assert_boss_error(&denied, 403, 3001);
    let ok = call(&em, "POST", add, Some("manager-token"), None).await;
    assert_eq!(ok, (204, Value::Null));
    let unknown = call(
        &em,
        "POST",
        "/v1/groups/g1/members/nobody",
        Some("manager-token"),
        None,
    )
    .await;
    assert_boss_error(&unknown, 404, 4002);
    let is = call(&em, "GET", add, Some("manager-token"), None).await;
    assert_eq!(is, (200, json!({"result": true})));
    let del = call(&em, "DELETE", add, Some("manager-token"), None).await;
    assert_eq!(del.0, 204);
}

#[tokio::test]
async fn maintainers_need_maintain_group() {
    let em = boss().await;
    let path = "/v1/groups/g1/maintainers/plain";
    let denied = call(&em, "POST", path, Some("outsider-token"), None).await;
    assert_boss_error(&denied, 403, 3001);
    let ok = call(&em, "POST", path, Some("manager-token"), None).await;
    assert_eq!(ok.0, 204);
    let list = call(
        &em,
        "GET",
        "/v1/groups/g1/maintainers/",
        Some("manager-token"),
        None,
    )
    .await;
    // Via the owner's primary group, the admin group (bossadmin) and the direct grant;
    // admin1 holds the admin role but is not a superuser, so not in the admin group.
    assert_eq!(
        list.1["maintainers"],
        json!(["bossadmin", "manager", "plain"])
    );
    let not_direct = call(
        &em,
        "DELETE",
        "/v1/groups/g1/maintainers/manager",
        Some("manager-token"),
        None,
    )
    .await;
    assert_boss_error(&not_direct, 403, 3001);
    let del = call(&em, "DELETE", path, Some("manager-token"), None).await;
    assert_eq!(del.0, 204);
}

#[tokio::test]
async fn resource_reads_need_read() {
    let em = boss().await;
    for path in [
        "/v1/collection/c1",
        "/v1/collection/c1/experiment/e1",
        "/v1/collection/c1/experiment/e1/channel/ch1",
    ] {
        let denied = call(&em, "GET", path, Some("outsider-token"), None).await;
        assert_boss_error(&denied, 403, 3001);
        let ok = call(&em, "GET", path, Some("manager-token"), None).await;
        assert_eq!(ok.0, 200, "{path}: {ok:?}");
    }
    let list = call(&em, "GET", "/v1/collection//", Some("outsider-token"), None).await;
    assert_eq!(list, (200, json!({"collections": []})));
    let list = call(&em, "GET", "/v1/collection/", Some("manager-token"), None).await;
    assert_eq!(list, (200, json!({"collections": ["c1"]})));
    // Coordinate frames need no permission.
    let frame = call(&em, "GET", "/v1/coord/f1", Some("plain-token"), None).await;
    assert_eq!(frame.0, 200);
}

#[tokio::test]
async fn resource_creates_need_role_and_add_on_the_parent() {
    let em = boss().await;
    let body = json!({"description": "d"});
    let no_role = call(
        &em,
        "POST",
        "/v1/collection/c2",
        Some("plain-token"),
        Some(body.clone()),
    )
    .await;
    assert_boss_error(&no_role, 403, 3000);
    let ok = call(
        &em,
        "POST",
        "/v1/collection/c2",
        Some("outsider-token"),
        Some(body),
    )
    .await;
    assert_eq!(ok.0, 201);
    assert_eq!(ok.1["creator"], "outsider");
    let exp = json!({"coord_frame": "f1"});
    let denied = call(
        &em,
        "POST",
        "/v1/collection/c1/experiment/e2",
        Some("outsider-token"),
        Some(exp.clone()),
    )
    .await;
    assert_boss_error(&denied, 403, 3001);
    assert_eq!(
        denied.1["message"],
        "Missing add permissions on the resource c1"
    );
    let ok = call(
        &em,
        "POST",
        "/v1/collection/c1/experiment/e2",
        Some("manager-token"),
        Some(exp),
    )
    .await;
    assert_eq!(ok.0, 201);
    let chan = json!({"type": "image", "datatype": "uint8"});
    let denied = call(
        &em,
        "POST",
        "/v1/collection/c1/experiment/e1/channel/ch2",
        Some("outsider-token"),
        Some(chan.clone()),
    )
    .await;
    assert_boss_error(&denied, 403, 3001);
    let ok = call(
        &em,
        "POST",
        "/v1/collection/c1/experiment/e1/channel/ch2",
        Some("manager-token"),
        Some(chan),
    )
    .await;
    assert_eq!(ok.0, 201);
    let frame = json!({"x_start": 0, "x_stop": 1, "y_start": 0, "y_stop": 1, "z_start": 0, "z_stop": 1,
        "x_voxel_size": 1.0, "y_voxel_size": 1.0, "z_voxel_size": 1.0, "voxel_unit": "nanometers"});
    let no_role = call(
        &em,
        "POST",
        "/v1/coord/f2",
        Some("plain-token"),
        Some(frame.clone()),
    )
    .await;
    assert_boss_error(&no_role, 403, 3000);
    let ok = call(
        &em,
        "POST",
        "/v1/coord/f2",
        Some("manager-token"),
        Some(frame),
    )
    .await;
    assert_eq!(ok.0, 201);
}

#[tokio::test]
async fn updates_need_update_and_no_role() {
    let em = boss().await;
    let body = json!({"description": "new"});
    let denied = call(
        &em,
        "PUT",
        "/v1/collection/c1",
        Some("outsider-token"),
        Some(body.clone()),
    )
    .await;
    assert_boss_error(&denied, 403, 3001);
    // plain has no role: grant its group update through the owner, then it may update.
    let grant = json!({"group": "g1", "collection": "c1", "permissions": ["update"]});
    let posted = call(
        &em,
        "POST",
        "/v1/permissions/",
        Some("manager-token"),
        Some(grant),
    )
    .await;
    assert_eq!(posted, (201, Value::Null));
    let ok = call(
        &em,
        "PUT",
        "/v1/collection/c1",
        Some("plain-token"),
        Some(body),
    )
    .await;
    assert_eq!(ok.0, 200);
    assert_eq!(ok.1["description"], "new");
}

#[tokio::test]
async fn deletes_need_role_and_delete() {
    let em = boss().await;
    let chan = "/v1/collection/c1/experiment/e1/channel/ch1";
    let denied = call(&em, "DELETE", chan, Some("outsider-token"), None).await;
    assert_boss_error(&denied, 403, 3001);
    let blocked = call(
        &em,
        "DELETE",
        "/v1/collection/c1/experiment/e1",
        Some("manager-token"),
        None,
    )
    .await;
    assert_boss_error(&blocked, 400, 4003);
    assert_eq!(
        call(&em, "DELETE", chan, Some("manager-token"), None)
            .await
            .0,
        204
    );
    let gone = call(&em, "GET", chan, Some("manager-token"), None).await;
    assert_boss_error(&gone, 404, 4005);
    let frame_used = call(&em, "DELETE", "/v1/coord/f1", Some("manager-token"), None).await;
    assert_boss_error(&frame_used, 400, 4003);
}

#[tokio::test]
async fn permissions_need_role_membership_and_assign_or_remove_group() {
    let em = boss().await;
    let set = json!({"group": "g1", "collection": "c1", "permissions": ["read"]});
    let no_role = call(
        &em,
        "POST",
        "/v1/permissions/",
        Some("plain-token"),
        Some(set.clone()),
    )
    .await;
    assert_boss_error(&no_role, 403, 3000);
    let not_member = call(
        &em,
        "POST",
        "/v1/permissions/",
        Some("outsider-token"),
        Some(set.clone()),
    )
    .await;
    assert_boss_error(&not_member, 403, 3001);
    let ok = call(
        &em,
        "POST",
        "/v1/permissions/",
        Some("manager-token"),
        Some(set),
    )
    .await;
    assert_eq!(ok.0, 201);
    let volumetric =
        json!({"group": "g1", "collection": "c1", "permissions": ["read_volumetric_data"]});
    let bad = call(
        &em,
        "POST",
        "/v1/permissions/",
        Some("manager-token"),
        Some(volumetric),
    )
    .await;
    assert_boss_error(&bad, 400, 1003);
    let on_channel = json!({"group": "g1", "collection": "c1", "experiment": "e1", "channel": "ch1",
        "permissions": ["read_volumetric_data"]});
    assert_eq!(
        call(
            &em,
            "POST",
            "/v1/permissions/",
            Some("manager-token"),
            Some(on_channel)
        )
        .await
        .0,
        201
    );
    let listed = call(
        &em,
        "GET",
        "/v1/permissions/?group=g1",
        Some("outsider-token"),
        None,
    )
    .await;
    assert_eq!(listed.0, 200, "GET needs no role nor membership");
    assert_eq!(
        listed.1["permission-sets"].as_array().map(Vec::len),
        Some(2)
    );
    let patch = json!({"group": "g1", "collection": "c1", "permissions": ["read", "add"]});
    assert_eq!(
        call(
            &em,
            "PATCH",
            "/v1/permissions/",
            Some("manager-token"),
            Some(patch)
        )
        .await,
        (200, Value::Null)
    );
    let del = "/v1/permissions/?group=g1&collection=c1";
    let denied = call(&em, "DELETE", del, Some("outsider-token"), None).await;
    assert_boss_error(&denied, 403, 3001);
    assert_eq!(
        call(&em, "DELETE", del, Some("manager-token"), None).await,
        (204, Value::Null)
    );
    let unknown = call(
        &em,
        "DELETE",
        "/v1/permissions/?group=g1&collection=zz",
        Some("manager-token"),
        None,
    )
    .await;
    assert_boss_error(&unknown, 500, 9002);
}
