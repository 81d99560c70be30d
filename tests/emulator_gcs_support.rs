//! Shared helpers of the GCS emulator tests: a seed with a GCS endpoint, its storage
//! gateway and mapped collection, and a caller holding GCS and Transfer tokens. Included
//! by the `emulator_gcs*` and `conformance_gcs` tests with `#[path]`; as a crate of its own
//! it only checks that the seed parses.
#![allow(dead_code)]

use accord::emulator::{Emulator, RunningEmulator, Seed, spawn};
use reqwest::Method;
use serde_json::{Value, json};

/// Endpoint administrator and owner.
pub const ADMIN: &str = "11111111-1111-4111-8111-111111111111";
/// `access_manager` on the mapped collection; no credential at first.
pub const USER: &str = "22222222-2222-4222-8222-222222222222";
/// No role anywhere; a seeded credential on the gateway.
pub const OUTSIDER: &str = "44444444-4444-4444-8444-444444444444";
/// The GCS endpoint.
pub const GCS: &str = "e0000000-0000-4000-8000-00000000000e";
/// Its POSIX storage gateway.
pub const GATEWAY: &str = "9a000000-0000-4000-8000-000000000001";
/// Its mapped collection.
pub const MAPPED: &str = "3c000000-0000-4000-8000-000000000001";
/// The outsider's seeded credential.
pub const OUTSIDER_CRED: &str = "c0000000-0000-4000-8000-000000000004";
/// An identity without a client.
pub const ALICE: &str = "a1a1a1a1-0000-4000-8000-000000000001";

pub const TRANSFER_SCOPE: &str = "urn:globus:auth:scope:transfer.api.globus.org:all";

pub const SEED: &str = r#"
clients:
  - { client_id: 11111111-1111-4111-8111-111111111111, client_secret: admin-secret, name: admin }
  - { client_id: 22222222-2222-4222-8222-222222222222, client_secret: user-secret, name: user,
      username: user@uni.edu }
  - { client_id: 44444444-4444-4444-8444-444444444444, client_secret: outsider-secret, name: outsider }
identities:
  - { id: a1a1a1a1-0000-4000-8000-000000000001, username: alice@uni.edu,
      tokens: { e0000000-0000-4000-8000-00000000000e: alice-gcs-all } }
endpoints:
  - id: e0000000-0000-4000-8000-00000000000e
    display_name: lab-gcs
    entity_type: GCSv5_endpoint
    roles:
      owner: [11111111-1111-4111-8111-111111111111]
      administrator: [11111111-1111-4111-8111-111111111111]
    storage_gateways:
      - { id: 9a000000-0000-4000-8000-000000000001, display_name: posix-gw }
    user_credentials:
      - { id: c0000000-0000-4000-8000-000000000004, identity: 44444444-4444-4444-8444-444444444444,
          storage_gateway: posix-gw, username: outsider }
  - id: 3c000000-0000-4000-8000-000000000001
    display_name: lab-mapped
    entity_type: GCSv5_mapped_collection
    host_endpoint_id: e0000000-0000-4000-8000-00000000000e
    storage_gateway: posix-gw
    directories: [/lab/existing/]
    roles:
      access_manager: [22222222-2222-4222-8222-222222222222]
"#;

pub fn seed() -> Seed {
    Seed::from_yaml_str(&accord::services::builtin(), SEED).expect("GCS test seed parses")
}

pub async fn start() -> RunningEmulator {
    spawn(Emulator::new(seed())).await.expect("emulator starts")
}

pub fn secret_of(client: &str) -> &'static str {
    match client {
        ADMIN => "admin-secret",
        USER => "user-secret",
        OUTSIDER => "outsider-secret",
        _ => panic!("unknown test client {client}"),
    }
}

/// The GCS scope of the test endpoint, with the mapped collection's `data_access` when asked.
pub fn gcs_scope(data_access: bool) -> String {
    let base = format!("urn:globus:auth:scope:{GCS}:manage_collections");
    if data_access {
        format!("{base}[https://auth.globus.org/scopes/{MAPPED}/data_access]")
    } else {
        base
    }
}

/// A response: status and body as JSON (Null if not JSON).
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

pub async fn answer(resp: reqwest::Response) -> Answer {
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap_or_default();
    Answer {
        status,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
    }
}

/// A token Alice holds for the endpoint's resource server, seeded with the scope `:all`
/// (no `manage_collections`: the token endpoint issues no scope the endpoint lacks).
pub const ALICE_GCS_ALL: &str = "alice-gcs-all";

/// Gets one access token by client credentials.
pub async fn token(http: &reqwest::Client, base: &str, client: &str, scope: &str) -> String {
    let resp = http
        .post(format!("{base}/auth/v2/oauth2/token"))
        .basic_auth(client, Some(secret_of(client)))
        .form(&[("grant_type", "client_credentials"), ("scope", scope)])
        .send()
        .await
        .expect("token request");
    let a = answer(resp).await;
    assert_eq!(a.status, 200, "token: {}", a.body);
    a.body["access_token"].as_str().unwrap().to_string()
}

/// A caller with a GCS token for the test endpoint and a Transfer token.
pub struct Caller {
    pub http: reqwest::Client,
    pub base: String,
    pub gcs_token: String,
    pub transfer_token: String,
}

impl Caller {
    /// Logs in with the GCS scope including the mapped collection's `data_access`.
    pub async fn login(em: &RunningEmulator, client: &str) -> Caller {
        Caller::login_with(em, client, reqwest::Client::new(), true).await
    }

    /// Logs in with a given HTTP client, with or without the dependent `data_access` scope.
    pub async fn login_with(
        em: &RunningEmulator,
        client: &str,
        http: reqwest::Client,
        data_access: bool,
    ) -> Caller {
        let base = em.base_url.clone();
        let gcs_token = token(&http, &base, client, &gcs_scope(data_access)).await;
        let transfer_token = token(&http, &base, client, TRANSFER_SCOPE).await;
        Caller {
            http,
            base,
            gcs_token,
            transfer_token,
        }
    }

    /// Calls `method path`: paths under `/transfer` use the Transfer token, any other is
    /// relative to the GCS API of the test endpoint (`/collections` → `/gcs/E/api/collections`).
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        let (url, token) = if path.starts_with("/transfer") {
            (format!("{}{path}", self.base), &self.transfer_token)
        } else {
            (
                format!("{}/gcs/{GCS}/api{path}", self.base),
                &self.gcs_token,
            )
        };
        let mut req = self.http.request(method, url).bearer_auth(token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        answer(req.send().await.expect("request sent")).await
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.call(Method::POST, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Answer {
        self.call(Method::PATCH, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> Answer {
        self.call(Method::PUT, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Answer {
        self.call(Method::DELETE, path, None).await
    }

    /// Creates a user credential of the caller on the test gateway; answers its id.
    pub async fn credential(&self) -> String {
        let a = self
            .post(
                "/user_credentials",
                json!({"DATA_TYPE": "user_credential#1.0.0", "storage_gateway_id": GATEWAY}),
            )
            .await;
        assert_eq!(a.status, 201, "{}", a.body);
        a.body["data"][0]["id"].as_str().unwrap().to_string()
    }

    /// Creates a guest collection on the mapped collection at `base_path`; answers its id.
    pub async fn guest(&self, credential: &str, name: &str, base_path: &str) -> String {
        let a = self
            .post("/collections", guest_doc(credential, name, base_path))
            .await;
        assert_eq!(a.status, 201, "{}", a.body);
        a.body["data"][0]["id"].as_str().unwrap().to_string()
    }
}

/// A guest collection document for the test mapped collection.
pub fn guest_doc(credential: &str, name: &str, base_path: &str) -> Value {
    json!({"DATA_TYPE": "collection#1.0.0", "collection_type": "guest",
           "display_name": name, "mapped_collection_id": MAPPED,
           "user_credential_id": credential, "collection_base_path": base_path,
           "public": false})
}

/// A role document.
pub fn role_doc(collection: Option<&str>, identity: &str, role: &str) -> Value {
    json!({"DATA_TYPE": "role#1.0.0", "collection": collection,
           "principal": format!("urn:globus:auth:identity:{identity}"), "role": role})
}

#[test]
fn gcs_seed_parses() {
    let s = seed();
    let s = s
        .part::<accord::services::transfer::emulator::TransferSeed>()
        .unwrap();
    assert_eq!(s.endpoints.len(), 2);
    assert_eq!(s.endpoints[0].storage_gateways.len(), 1);
}
