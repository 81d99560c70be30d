//! Shared helpers of the emulator tests: a seed with one client per role, and a small
//! HTTP client. Included by the `emulator_*` tests with `#[path]`; as a crate of its own
//! it only checks that the seed parses.
#![allow(dead_code)]

use accord::emulator::{Emulator, RunningEmulator, Seed, spawn};
use reqwest::Method;
use serde_json::Value;

pub const ADMIN: &str = "11111111-1111-4111-8111-111111111111";
pub const MANAGER: &str = "22222222-2222-4222-8222-222222222222";
pub const MEMBER: &str = "33333333-3333-4333-8333-333333333333";
pub const OUTSIDER: &str = "44444444-4444-4444-8444-444444444444";
pub const ACCESS_MANAGER: &str = "55555555-5555-4555-8555-555555555555";
pub const RESTRICTED: &str = "66666666-6666-4666-8666-666666666666";
pub const WRITER: &str = "77777777-7777-4777-8777-777777777777";
pub const GROUP: &str = "aaaaaaaa-0000-4000-8000-000000000001";
pub const OPEN_GROUP: &str = "aaaaaaaa-0000-4000-8000-000000000002";
pub const ENDPOINT: &str = "eeeeeeee-0000-4000-8000-000000000001";
pub const ALICE_RULE: &str = "ru1e0000-0000-0000-0000-000000000001";

pub const GROUPS_SCOPE: &str = "urn:globus:auth:scope:groups.api.globus.org:all";
pub const TRANSFER_SCOPE: &str = "urn:globus:auth:scope:transfer.api.globus.org:all";

/// One client per role; secrets are `<name>-secret`.
pub const SEED: &str = r#"
clients:
  - { client_id: 11111111-1111-4111-8111-111111111111, client_secret: admin-secret, name: admin }
  - { client_id: 22222222-2222-4222-8222-222222222222, client_secret: manager-secret, name: manager }
  - { client_id: 33333333-3333-4333-8333-333333333333, client_secret: member-secret, name: member }
  - { client_id: 44444444-4444-4444-8444-444444444444, client_secret: outsider-secret, name: outsider }
  - { client_id: 55555555-5555-4555-8555-555555555555, client_secret: am-secret, name: access manager }
  - { client_id: 66666666-6666-4666-8666-666666666666, client_secret: ra-secret, name: restricted admin }
  - { client_id: 77777777-7777-4777-8777-777777777777, client_secret: writer-secret, name: writer }
identities:
  - { username: alice@uni.edu, name: Alice, email: alice@uni.edu }
  - { username: bob@uni.edu, name: Bob }
  - { username: carol@uni.edu, allow_add: false }
  - { username: dave@uni.edu }
groups:
  - id: aaaaaaaa-0000-4000-8000-000000000001
    name: lab
    description: The lab
    members:
      - { identity: 11111111-1111-4111-8111-111111111111, role: admin }
      - { identity: 22222222-2222-4222-8222-222222222222, role: manager }
      - { identity: 33333333-3333-4333-8333-333333333333 }
      - { identity: alice@uni.edu }
      - { identity: dave@uni.edu, status: left }
  - id: aaaaaaaa-0000-4000-8000-000000000002
    name: open-lab
    policies: { group_visibility: authenticated, group_members_visibility: members }
    members:
      - { identity: 11111111-1111-4111-8111-111111111111, role: admin }
endpoints:
  - id: eeeeeeee-0000-4000-8000-000000000001
    display_name: lab-share
    entity_type: GCSv5_guest_collection
    owner: 11111111-1111-4111-8111-111111111111
    directories: [/existing/]
    roles:
      administrator: [11111111-1111-4111-8111-111111111111]
      access_manager: [55555555-5555-4555-8555-555555555555]
      restricted_administrator: [66666666-6666-4666-8666-666666666666]
    acl:
      - { id: ru1e0000-0000-0000-0000-000000000001, principal_type: identity, principal: alice@uni.edu, path: /alice/, permissions: r }
      - { principal_type: identity, principal: 77777777-7777-4777-8777-777777777777, path: /scratch/, permissions: rw }
"#;

pub fn seed() -> Seed {
    Seed::from_yaml_str(&accord::services::builtin(), SEED).expect("test seed parses")
}

pub async fn start() -> RunningEmulator {
    spawn(Emulator::new(seed())).await.expect("emulator starts")
}

pub fn secret_of(client: &str) -> &'static str {
    match client {
        ADMIN => "admin-secret",
        MANAGER => "manager-secret",
        MEMBER => "member-secret",
        OUTSIDER => "outsider-secret",
        ACCESS_MANAGER => "am-secret",
        RESTRICTED => "ra-secret",
        WRITER => "writer-secret",
        _ => panic!("unknown test client {client}"),
    }
}

/// A caller of the running emulator with its Groups and Transfer tokens.
pub struct Api {
    pub http: reqwest::Client,
    pub base: String,
    pub groups_token: String,
    pub transfer_token: String,
}

/// A response: status, body as JSON (Null if not JSON) and the Retry-After header.
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub retry_after: Option<String>,
}

pub async fn token_response(base: &str, client: &str, secret: &str, scope: &str) -> Answer {
    let resp = reqwest::Client::new()
        .post(format!("{base}/auth/v2/oauth2/token"))
        .basic_auth(client, Some(secret))
        .form(&[("grant_type", "client_credentials"), ("scope", scope)])
        .send()
        .await
        .expect("token request");
    answer(resp).await
}

pub async fn answer(resp: reqwest::Response) -> Answer {
    let status = resp.status().as_u16();
    let retry_after = resp
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    let text = resp.text().await.unwrap_or_default();
    Answer {
        status,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
        retry_after,
    }
}

impl Api {
    pub async fn login(running: &RunningEmulator, client: &str) -> Api {
        let base = running.base_url.clone();
        let t = token_response(
            &base,
            client,
            secret_of(client),
            &format!("{GROUPS_SCOPE} {TRANSFER_SCOPE}"),
        )
        .await;
        assert_eq!(t.status, 200, "token: {}", t.body);
        let mut groups_token = String::new();
        let mut transfer_token = String::new();
        let all = std::iter::once(t.body.clone())
            .chain(t.body["other_tokens"].as_array().unwrap().iter().cloned());
        for tok in all {
            let at = tok["access_token"].as_str().unwrap().to_string();
            match tok["resource_server"].as_str().unwrap() {
                "groups.api.globus.org" => groups_token = at,
                "transfer.api.globus.org" => transfer_token = at,
                other => panic!("unexpected resource server {other}"),
            }
        }
        Api {
            http: reqwest::Client::new(),
            base,
            groups_token,
            transfer_token,
        }
    }

    /// Calls `method path` (full path, service prefix included) with the right token.
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        let token = if path.starts_with("/transfer") {
            &self.transfer_token
        } else {
            &self.groups_token
        };
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token);
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

    pub async fn put(&self, path: &str, body: Value) -> Answer {
        self.call(Method::PUT, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Answer {
        self.call(Method::DELETE, path, None).await
    }
}

#[test]
fn seed_parses() {
    let seed = seed();
    let s = seed
        .part::<accord::services::auth::emulator::AuthSeed>()
        .unwrap();
    assert_eq!(s.clients.len(), 7);
    let s = seed
        .part::<accord::services::groups::emulator::GroupsSeed>()
        .unwrap();
    assert_eq!(s.groups.len(), 2);
}
