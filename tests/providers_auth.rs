//! The Auth identity resolver against wiremock: batching, no provisioning, whoami.

use std::sync::Arc;

use accord::http::{GlobusCredentials, HttpClient, HttpOptions, ServiceUrls};
use accord::service::IdentityResolver;
use accord::services::auth::provider::GlobusAuth;
use serde_json::json;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const CLIENT: &str = "0f8a3b4c-0000-4000-8000-000000000001";
const TOKEN: &str = "auth-token-SEKRIT";

async fn server() -> MockServer {
    let s = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/auth/v2/oauth2/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": TOKEN, "scope": "openid profile email", "expires_in": 172800,
            "token_type": "Bearer", "resource_server": "auth.globus.org", "other_tokens": []})))
        .mount(&s)
        .await;
    s
}

fn auth(s: &MockServer) -> GlobusAuth {
    let http = HttpClient::new(
        &accord::services::builtin().apis(),
        ServiceUrls::emulator(&s.uri()),
        GlobusCredentials::new(CLIENT, "secret"),
        HttpOptions {
            backoff_scale: 0.001,
            ..HttpOptions::default()
        },
    )
    .unwrap();
    GlobusAuth::new(Arc::new(http))
}

/// Answers an identities lookup with one identity per requested username.
fn echo_usernames(req: &Request) -> ResponseTemplate {
    let names = req
        .url
        .query_pairs()
        .find(|(k, _)| k == "usernames")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let identities: Vec<_> = names
        .split(',')
        .filter(|n| !n.starts_with("ghost"))
        .enumerate()
        .map(|(i, n)| {
            json!({"id": format!("00000000-0000-4000-8000-{:012}", i + n.len() * 1000),
                   "username": n, "status": "used"})
        })
        .collect();
    ResponseTemplate::new(200).set_body_json(json!({ "identities": identities }))
}

#[tokio::test]
async fn usernames_are_looked_up_in_batches_of_100_without_provisioning() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path("/auth/v2/api/identities"))
        .and(query_param("provision", "false"))
        .respond_with(echo_usernames)
        .expect(2)
        .mount(&s)
        .await;
    let mut names: Vec<String> = (0..150).map(|i| format!("user{i}@uni.edu")).collect();
    names.push("ghost@uni.edu".into());
    names.push("user0@uni.edu".into());
    let found = auth(&s).by_usernames(&names).await.unwrap();
    assert_eq!(
        found.len(),
        150,
        "duplicates collapse, unknown names are missing"
    );
    assert!(found.iter().all(|i| i.status == "used"));
}

#[tokio::test]
async fn ids_are_looked_up() {
    let s = server().await;
    let id = "ae341a98-d274-11e5-b888-dbae3a8ba545";
    Mock::given(method("GET"))
        .and(path("/auth/v2/api/identities"))
        .and(query_param("ids", id))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"identities": [
            {"id": id, "username": "sirosen@globus.org", "status": "used",
             "identity_provider": "927d7238-f917-4eb2-9ace-c523fa9ba34e",
             "name": "Stephen Rosen", "email": null, "organization": null}]})),
        )
        .expect(1)
        .mount(&s)
        .await;
    let found = auth(&s).by_ids(&[id.parse().unwrap()]).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].username, "sirosen@globus.org");
}

#[tokio::test]
async fn whoami_is_the_client_itself_without_a_call() {
    let s = server().await;
    let me = auth(&s).whoami().await.unwrap();
    // A confidential client's identity id is its client id: no token, no introspection.
    assert_eq!(me.id.to_string(), CLIENT);
    assert_eq!(me.username, format!("{CLIENT}@clients.auth.globus.org"));
    let requests = s.received_requests().await.unwrap_or_default();
    assert!(requests.is_empty(), "{requests:?}");
}

#[tokio::test]
async fn whoami_without_credentials_is_a_credentials_error() {
    let s = server().await;
    let http = HttpClient::without_globus_credentials(
        &accord::services::builtin().apis(),
        ServiceUrls::emulator(&s.uri()),
        "set the client credentials",
        HttpOptions::default(),
    )
    .unwrap();
    let err = GlobusAuth::new(Arc::new(http)).whoami().await.unwrap_err();
    assert!(matches!(
        err,
        accord::service::ProviderError::Credentials(ref m) if m.contains("set the client credentials")
    ));
}
