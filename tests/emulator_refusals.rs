//! The emulator's refusals the registry added (issue 14): scopes outside the registry,
//! access rules on a GCSv5 endpoint, out-of-range numbers at Groups and the Boss; the owner a
//! seeded GCSv5 collection reports; and that every refusal carries its id to the client and
//! the request log.

use accord::emulator::refusal::HEADER;
use accord::emulator::{Emulator, RunningEmulator, Seed, spawn};
use reqwest::{Method, RequestBuilder};
use serde_json::{Value, json};

const CLIENT: &str = "0b1e4d5c-6f7a-4b8c-9d0e-1f2a3b4c5d6e";
const GCS: &str = "e0000000-0000-4000-8000-00000000000e";
const MAPPED: &str = "3c000000-0000-4000-8000-000000000001";
const OWNED: &str = "3c000000-0000-4000-8000-000000000002";
const GROUP: &str = "6a1f9c0e-8d2b-4e3a-9f4c-5b6d7e8f9a0b";

const SEED: &str = r#"
clients:
  - { client_id: 0b1e4d5c-6f7a-4b8c-9d0e-1f2a3b4c5d6e, client_secret: s }
identities:
  - { id: 8f3e2a1b-4c5d-4e6f-8a9b-0c1d2e3f4a5b, username: alice@uni.edu }
groups:
  - id: 6a1f9c0e-8d2b-4e3a-9f4c-5b6d7e8f9a0b
    name: lab
    members: [{ identity: 0b1e4d5c-6f7a-4b8c-9d0e-1f2a3b4c5d6e, role: admin }]
endpoints:
  - id: e0000000-0000-4000-8000-00000000000e
    display_name: lab-gcs
    entity_type: GCSv5_endpoint
    roles: { administrator: [0b1e4d5c-6f7a-4b8c-9d0e-1f2a3b4c5d6e] }
    storage_gateways: [{ id: 9a000000-0000-4000-8000-000000000001, display_name: posix }]
  - id: 3c000000-0000-4000-8000-000000000001
    display_name: lab-mapped
    entity_type: GCSv5_mapped_collection
    host_endpoint_id: e0000000-0000-4000-8000-00000000000e
    roles: { administrator: [0b1e4d5c-6f7a-4b8c-9d0e-1f2a3b4c5d6e] }
  - id: 3c000000-0000-4000-8000-000000000002
    display_name: alices-mapped
    entity_type: GCSv5_mapped_collection
    host_endpoint_id: e0000000-0000-4000-8000-00000000000e
    owner: alice@uni.edu
boss:
  accord_user: admin
  users:
    - { username: admin, token: boss-token, roles: [resource-manager] }
  coord_frames:
    - { name: frame, creator: admin, x_start: 0, x_stop: 64, y_start: 0, y_stop: 64,
        z_start: 0, z_stop: 8, x_voxel_size: 4.0, y_voxel_size: 4.0, z_voxel_size: 40.0,
        voxel_unit: nanometers }
  collections:
    - name: Lab
      creator: admin
      experiments:
        - name: Old
          coord_frame: frame
          creator: admin
          channels: [{ name: EM, type: image, datatype: uint8, creator: admin }]
"#;

async fn start() -> RunningEmulator {
    spawn(Emulator::new(
        Seed::from_yaml_str(&accord::services::builtin(), SEED).unwrap(),
    ))
    .await
    .unwrap()
}

/// Status, body and the refusal ids of an answer.
async fn send(req: RequestBuilder) -> (u16, Value, Vec<String>) {
    let resp = req.send().await.unwrap();
    let ids = resp
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(',').map(String::from).collect())
        .unwrap_or_default();
    let status = resp.status().as_u16();
    let body = resp.json().await.unwrap_or(Value::Null);
    (status, body, ids)
}

async fn token(em: &RunningEmulator, scope: &str) -> (u16, Value, Vec<String>) {
    let req = reqwest::Client::new()
        .post(format!("{}/auth/v2/oauth2/token", em.base_url))
        .basic_auth(CLIENT, Some("s"))
        .form(&[("grant_type", "client_credentials"), ("scope", scope)]);
    send(req).await
}

fn bearer(em: &RunningEmulator, method: Method, path: &str, token: &str) -> RequestBuilder {
    reqwest::Client::new()
        .request(method, format!("{}{path}", em.base_url))
        .bearer_auth(token)
}

fn boss(em: &RunningEmulator, method: Method, path: &str) -> RequestBuilder {
    reqwest::Client::new()
        .request(method, format!("{}/boss/v1/{path}", em.base_url))
        .header("Authorization", "Token boss-token")
}

#[tokio::test]
async fn auth_issues_only_the_scopes_resource_servers_have() {
    let em = start().await;
    for scope in [
        "urn:globus:auth:scope:transfer.api.globus.org:no_such_scope",
        "urn:globus:auth:scope:nowhere.globus.org:all",
        // `None` is what globus-cli asked for when a collection reported no owner.
        "urn:globus:auth:scope:None:manage_collections",
        // A mapped collection is no endpoint: it has no manage_collections.
        &format!("urn:globus:auth:scope:{MAPPED}:manage_collections"),
        // A dependent scope is checked too.
        &format!(
            "urn:globus:auth:scope:{GCS}:manage_collections[https://auth.globus.org/scopes/{GCS}/data_access]"
        ),
    ] {
        let (status, body, ids) = token(&em, scope).await;
        assert_eq!(status, 400, "{scope}: {body}");
        assert_eq!(body["error"], "invalid_scope", "{scope}");
        assert_eq!(ids, ["auth.scope.invalid"], "{scope}");
    }
    for scope in [
        "urn:globus:auth:scope:transfer.api.globus.org:all urn:globus:auth:scope:groups.api.globus.org:view_my_groups_and_memberships",
        "openid profile email urn:globus:auth:scope:auth.globus.org:view_identity_set",
        "urn:globus:auth:scope:search.api.globus.org:ingest",
        &format!(
            "urn:globus:auth:scope:{GCS}:manage_collections[https://auth.globus.org/scopes/{MAPPED}/data_access]"
        ),
        &format!("https://auth.globus.org/scopes/{CLIENT}/action_all"),
    ] {
        let (status, body, ids) = token(&em, scope).await;
        assert_eq!(status, 200, "{scope}: {body}");
        assert!(ids.is_empty());
    }
    let client = CLIENT.parse().unwrap();
    assert!(
        accord::services::auth::emulator::issue_tokens(
            em.emulator.handle(),
            client,
            "urn:globus:auth:scope:groups.api.globus.org:nope"
        )
        .is_none()
    );
}

#[tokio::test]
async fn transfer_refuses_access_rules_on_a_gcs_endpoint() {
    let em = start().await;
    let (_, t, _) = token(&em, "urn:globus:auth:scope:transfer.api.globus.org:all").await;
    let t = t["access_token"].as_str().unwrap().to_string();
    let rule = json!({"DATA_TYPE": "access", "principal_type": "all_authenticated_users",
                      "principal": "", "path": "/shared/", "permissions": "r"});
    let ep = format!("/transfer/v0.10/endpoint/{GCS}");
    let (status, doc, _) = send(bearer(&em, Method::GET, &ep, &t)).await;
    assert_eq!((status, &doc["acl_available"]), (200, &json!(false)));
    for req in [
        bearer(&em, Method::POST, &format!("{ep}/access"), &t).json(&rule),
        bearer(&em, Method::GET, &format!("{ep}/access_list"), &t),
    ] {
        let (status, body, ids) = send(req).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["code"], "ClientError.BadRequest");
        assert_eq!(ids, ["transfer.acl.unavailable"]);
    }
    let on_mapped = format!("/transfer/v0.10/endpoint/{MAPPED}/access");
    let (status, body, _) = send(bearer(&em, Method::POST, &on_mapped, &t).json(&rule)).await;
    assert_eq!(status, 201, "{body}");
    // The request log keeps each answer's refusals.
    let refused: Vec<Vec<String>> = em
        .emulator
        .request_log()
        .into_iter()
        .filter(|r| r.status == 400)
        .map(|r| r.refusals)
        .collect();
    assert_eq!(refused.len(), 2);
    assert!(refused.iter().all(|r| r == &["transfer.acl.unavailable"]));
}

#[tokio::test]
async fn a_seeded_gcs_collection_is_owned_by_its_endpoint_unless_the_seed_says() {
    let em = start().await;
    let (_, t, _) = token(&em, "urn:globus:auth:scope:transfer.api.globus.org:all").await;
    let t = t["access_token"].as_str().unwrap().to_string();
    let path = format!("/transfer/v0.10/endpoint/{MAPPED}");
    let (_, doc, _) = send(bearer(&em, Method::GET, &path, &t)).await;
    assert_eq!(doc["owner_id"], GCS);
    assert_eq!(
        doc["owner_string"],
        format!("{GCS}@clients.auth.globus.org")
    );
    let path = format!("/transfer/v0.10/endpoint/{OWNED}");
    let (_, doc, _) = send(bearer(&em, Method::GET, &path, &t)).await;
    assert_eq!(doc["owner_id"], "8f3e2a1b-4c5d-4e6f-8a9b-0c1d2e3f4a5b");
    assert_eq!(doc["owner_string"], "alice@uni.edu");
}

#[tokio::test]
async fn groups_refuses_a_timeout_beyond_an_unsigned_32_bit_number() {
    let em = start().await;
    let (_, t, _) = token(&em, "urn:globus:auth:scope:groups.api.globus.org:all").await;
    let t = t["access_token"].as_str().unwrap().to_string();
    let path = format!("/groups/v2/groups/{GROUP}/policies");
    let policies = |timeout: i64| {
        json!({"group_visibility": "private", "group_members_visibility": "managers",
               "is_high_assurance": true, "authentication_assurance_timeout": timeout})
    };
    let (status, body, ids) =
        send(bearer(&em, Method::PUT, &path, &t).json(&policies(4_294_967_296))).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        body["detail"][0]["loc"],
        json!(["body", "authentication_assurance_timeout"])
    );
    assert_eq!(ids, ["groups.policies.out_of_range"]);
    let (status, _, _) = send(bearer(&em, Method::PUT, &path, &t).json(&policies(-1))).await;
    assert_eq!(status, 422);
    let (status, body, _) =
        send(bearer(&em, Method::PUT, &path, &t).json(&policies(4_294_967_295))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["authentication_assurance_timeout"], 4_294_967_295_i64);
}

#[tokio::test]
async fn the_boss_refuses_integers_beyond_its_32_bit_fields() {
    let em = start().await;
    let exp = json!({"coord_frame": "frame", "num_time_samples": 2_147_483_648_i64});
    let (status, body, ids) =
        send(boss(&em, Method::POST, "collection/Lab/experiment/New").json(&exp)).await;
    assert_eq!((status, &body["code"]), (400, &json!(1003)), "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("less than or equal to 2147483647")
    );
    assert_eq!(ids, ["boss.resource.out_of_range"]);
    let ch = "collection/Lab/experiment/Old/channel/EM";
    let (status, _, ids) =
        send(boss(&em, Method::PUT, ch).json(&json!({"base_resolution": -2_147_483_649_i64})))
            .await;
    assert_eq!(
        (status, ids),
        (400, vec!["boss.resource.out_of_range".to_string()])
    );
    let frame = json!({"x_start": 0, "x_stop": 4_294_967_296_i64, "y_start": 0, "y_stop": 1,
                       "z_start": 0, "z_stop": 1, "x_voxel_size": 1.0, "y_voxel_size": 1.0,
                       "z_voxel_size": 1.0, "voxel_unit": "nanometers"});
    let (status, _, ids) = send(boss(&em, Method::POST, "coord/big").json(&frame)).await;
    assert_eq!(
        (status, ids),
        (400, vec!["boss.resource.out_of_range".to_string()])
    );
    let exp = json!({"coord_frame": "frame", "num_time_samples": 2_147_483_647_i64});
    let (status, body, _) =
        send(boss(&em, Method::POST, "collection/Lab/experiment/New").json(&exp)).await;
    assert_eq!(status, 201, "{body}");
}

#[tokio::test]
async fn a_4xx_no_route_names_is_the_http_layers_refusal() {
    let em = start().await;
    // Search's routes take no PATCH of an index: axum answers 405 itself.
    let path = "/search/v1/index/4de2f3a1-5b7c-4d8e-9f0a-1b2c3d4e5f60";
    let (status, _, ids) =
        send(reqwest::Client::new().patch(format!("{}{path}", em.base_url))).await;
    assert_eq!((status, ids), (405, vec!["emulator.framework".to_string()]));
    let (status, _, ids) =
        send(reqwest::Client::new().get(format!("{}/nowhere", em.base_url))).await;
    assert_eq!((status, ids), (404, vec!["emulator.no_route".to_string()]));
    let logged = em.emulator.request_log();
    assert!(logged.iter().all(|r| !r.refusals.is_empty()), "{logged:?}");
}
