//! Out-of-band changes, made through the services' real HTTP APIs as a person with the web
//! app (or another script) would: what accord's drift and stale-plan checks must notice.

use serde_json::{Value, json};

/// The lab seed's client (`policies/lab/live.yaml`).
pub const CLIENT_ID: &str = "0b1e4d5c-6f7a-4b8c-9d0e-1f2a3b4c5d6e";
/// Its secret.
pub const SECRET: &str = "demo-secret-not-for-production";
/// The lab's shared endpoint.
pub const ENDPOINT: &str = "e56c36e4-1063-11e6-a747-22000bf2d559";
/// Group lab-members.
pub const LAB_MEMBERS: &str = "7b2a0d1f-9e3c-4f4b-8a5d-6c7e8f9a0b1c";
/// alice@uchicago.edu.
pub const ALICE: &str = "8f3e2a1b-4c5d-4e6f-8a9b-0c1d2e3f4a5b";
/// carol@uni.edu.
pub const CAROL: &str = "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d";
/// erin@uchicago.edu.
pub const ERIN: &str = "3f4e5d6c-7b8a-4988-a776-655443322110";

/// An authenticated client of the emulator's Groups and Transfer APIs.
pub struct Oob {
    base: String,
    http: reqwest::Client,
    groups: String,
    transfer: String,
}

impl Oob {
    /// Gets tokens for the seed's client by client credentials.
    pub async fn connect(base: &str) -> Oob {
        let http = reqwest::Client::new();
        let tokens: Value = http
            .post(format!("{base}/auth/v2/oauth2/token"))
            .basic_auth(CLIENT_ID, Some(SECRET))
            .form(&[
                ("grant_type", "client_credentials"),
                (
                    "scope",
                    "urn:globus:auth:scope:groups.api.globus.org:all urn:globus:auth:scope:transfer.api.globus.org:all",
                ),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(tokens["resource_server"], "groups.api.globus.org");
        Oob {
            base: base.to_string(),
            groups: tokens["access_token"].as_str().unwrap().to_string(),
            transfer: tokens["other_tokens"][0]["access_token"]
                .as_str()
                .unwrap()
                .to_string(),
            http,
        }
    }

    /// Sends a request to a service path and asserts the status.
    pub async fn call(&self, method: &str, path: &str, body: Option<Value>, status: u16) -> Value {
        let token = if path.starts_with("/groups/") {
            &self.groups
        } else {
            &self.transfer
        };
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let got = resp.status().as_u16();
        let value: Value = resp.json().await.unwrap_or(Value::Null);
        assert_eq!(got, status, "{path}: {value}");
        value
    }

    /// Adds an identity rule on the lab endpoint; returns its id.
    pub async fn add_rule(&self, identity: &str, path: &str, permissions: &str) -> String {
        let v = self
            .call(
                "POST",
                &format!("/transfer/v0.10/endpoint/{ENDPOINT}/access"),
                Some(json!({"DATA_TYPE": "access", "principal_type": "identity",
                            "principal": identity, "path": path, "permissions": permissions})),
                201,
            )
            .await;
        v["access_id"].as_str().unwrap().to_string()
    }

    /// The id of the lab endpoint's explicit rule on `path`.
    pub async fn rule_id(&self, path: &str) -> String {
        let list = self
            .call(
                "GET",
                &format!("/transfer/v0.10/endpoint/{ENDPOINT}/access_list"),
                None,
                200,
            )
            .await;
        list["DATA"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["path"] == path && !r["id"].is_null())
            .unwrap_or_else(|| panic!("no rule on {path}: {list}"))["id"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Changes a group member's role through the batch call.
    pub async fn change_role(&self, group: &str, identity: &str, role: &str) {
        let body = self
            .call(
                "POST",
                &format!("/groups/v2/groups/{group}"),
                Some(json!({"change_role": [{"identity_id": identity, "role": role}]})),
                200,
            )
            .await;
        assert!(body.get("errors").is_none(), "{body}");
    }
}
