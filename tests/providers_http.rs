//! The shared HTTP client against wiremock: retries, Retry-After, creates that time out,
//! token refresh, trusted hosts and redaction.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use accord::http::{
    CallKind, GlobusCredentials, HttpClient, HttpError, HttpOptions, HttpRequest, ServiceUrls,
};
use accord::plan::{Action, Change, Direction};
use accord::service::{IdMap, Outcome, Provider};
use accord::services::groups::provider::GroupsProvider;
use accord::services::transfer::provider::TransferProvider;
use accord::state::{Address, Object};
use serde_json::json;
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "tok-SEKRIT-0123456789";
const SECRET: &str = "client-SEKRIT-secret";
const GROUP_ID: &str = "8b7d57bc-1666-11ec-88b2-f50515619d57";
const COLLECTION: &str = "e56c36e4-1063-11e6-a747-22000bf2d559";

fn options() -> HttpOptions {
    HttpOptions {
        backoff_scale: 0.001,
        allow_hosts: Vec::new(),
        ..HttpOptions::default()
    }
}

fn creds() -> GlobusCredentials {
    GlobusCredentials::new("0f8a3b4c-0000-4000-8000-000000000001", SECRET)
}

fn token_body(rs: &str) -> serde_json::Value {
    json!({"access_token": TOKEN, "scope": "x", "expires_in": 172800,
           "token_type": "Bearer", "resource_server": rs, "other_tokens": []})
}

/// A mock server answering the token grant for every resource server.
async fn server() -> MockServer {
    let s = MockServer::start().await;
    for (scope, rs) in [
        ("groups.api.globus.org", "groups.api.globus.org"),
        ("transfer.api.globus.org", "transfer.api.globus.org"),
        ("view_identity_set", "auth.globus.org"),
    ] {
        Mock::given(method("POST"))
            .and(path("/auth/v2/oauth2/token"))
            .and(body_string_contains(scope))
            .respond_with(ResponseTemplate::new(200).set_body_json(token_body(rs)))
            .mount(&s)
            .await;
    }
    s
}

fn client(s: &MockServer, opts: HttpOptions) -> Arc<HttpClient> {
    HttpClient::shared(
        &accord::services::builtin().apis(),
        ServiceUrls::emulator(&s.uri()),
        creds(),
        opts,
    )
    .unwrap()
}

fn group_doc(name: &str) -> serde_json::Value {
    json!({"id": GROUP_ID, "name": name, "description": null, "parent_id": null,
           "group_type": "regular", "enforce_session": false, "session_limit": 28800,
           "session_timeouts": {}, "subscription_id": null, "subscription_info": null,
           "subscription_admin_verified_id": null})
}

fn change(address: Address, action: Action, after: Option<Object>) -> Change {
    Change {
        after,
        direction: Direction::Grant,
        ..Change::new(address, action)
    }
}

#[tokio::test]
async fn idempotent_get_retries_503_then_succeeds() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path("/groups/v2/groups/my_groups"))
        .respond_with(
            ResponseTemplate::new(503).set_body_json(json!({"code":"UNAVAILABLE","detail":"busy"})),
        )
        .up_to_n_times(2)
        .expect(2)
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path("/groups/v2/groups/my_groups"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([group_doc("lab")])))
        .expect(1)
        .mount(&s)
        .await;
    let groups = GroupsProvider::new(client(&s, options()));
    let found = groups.my_groups().await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].name, "lab");
}

#[tokio::test]
async fn retries_give_up_after_max_and_report_status_and_code() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path("/groups/v2/groups/my_groups"))
        .respond_with(
            ResponseTemplate::new(500).set_body_json(json!({"code":"BOOM","detail":"down"})),
        )
        .expect(3)
        .mount(&s)
        .await;
    let http = client(
        &s,
        HttpOptions {
            max_retries: 2,
            ..options()
        },
    );
    let err = http
        .send(&HttpRequest::get(
            accord::services::groups::api::ID,
            "/v2/groups/my_groups",
        ))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(500));
    assert_eq!(err.code(), Some("BOOM"));
    assert!(err.to_string().contains("HTTP 500 BOOM: down"), "{err}");
}

#[tokio::test]
async fn retry_after_is_honoured_on_429() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path("/transfer/v0.10/endpoint/x/access_list"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "1")
                .set_body_json(json!({"code":"RequestThrottled","message":"slow down"})),
        )
        .up_to_n_times(1)
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path("/transfer/v0.10/endpoint/x/access_list"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"DATA_TYPE":"access_list","endpoint":"x","DATA":[]})),
        )
        .expect(1)
        .mount(&s)
        .await;
    let transfer = TransferProvider::new(client(&s, options()));
    let started = Instant::now();
    let rules = transfer.access_list("x").await.unwrap();
    assert!(rules.is_empty());
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "waited only {:?}",
        started.elapsed()
    );
}

/// Sends `n` Groups reads through [`HttpClient::concurrently`]; how long they took.
async fn time_groups_reads(s: &MockServer, opts: HttpOptions, n: usize) -> Duration {
    let http = client(s, opts);
    let req = HttpRequest::get(accord::services::groups::api::ID, "/v2/groups/my_groups");
    let started = Instant::now();
    let got = http
        .concurrently((0..n).map(|_| http.send(&req)).collect())
        .await;
    let elapsed = started.elapsed();
    assert_eq!(got.len(), n);
    assert!(got.iter().all(Result::is_ok));
    elapsed
}

#[tokio::test]
async fn services_without_a_documented_limit_are_paced_only_when_asked() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path("/groups/v2/groups/my_groups"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&s)
        .await;
    // Unpaced by default: 40 reads wait for nothing but the server (paced at 10/s, they
    // could not finish before 2.9 s: 11 in the one-second burst, then one every 100 ms).
    let unpaced = time_groups_reads(&s, options(), 40).await;
    assert!(unpaced < Duration::from_secs(2), "took {unpaced:?}");
    let paced = HttpOptions {
        default_rate_per_sec: Some(10),
        ..options()
    };
    let paced = time_groups_reads(&s, paced, 40).await;
    assert!(paced >= Duration::from_millis(2900), "took {paced:?}");
}

#[tokio::test]
async fn concurrent_calls_answer_in_the_order_given() {
    let s = server().await;
    let http = client(&s, options());
    // Later calls finish first; the answers still come in the order of the calls.
    let calls: Vec<_> = (0..20u64)
        .map(|i| async move {
            tokio::time::sleep(Duration::from_millis(40 - 2 * i)).await;
            i
        })
        .collect();
    let got = http.concurrently(calls).await;
    assert_eq!(got, (0..20).collect::<Vec<_>>());
}

#[tokio::test]
async fn transfer_external_errors_are_never_retried_and_mkdir_exists_is_success() {
    let s = server().await;
    Mock::given(method("POST"))
        .and(path(format!(
            "/transfer/v0.10/operation/endpoint/{COLLECTION}/mkdir"
        )))
        .respond_with(ResponseTemplate::new(502).set_body_json(json!({
            "code": "ExternalError.MkdirFailed.Exists",
            "message": "Path already exists", "request_id": "r1", "resource": "/mkdir"})))
        .expect(1)
        .mount(&s)
        .await;
    let transfer = TransferProvider::new(client(&s, options()));
    let c = change(
        Address::new(
            accord::services::transfer::DIRECTORY,
            [COLLECTION, "/shared/"],
        ),
        Action::Create,
        Some(Object::new(Address::new(
            accord::services::transfer::DIRECTORY,
            [COLLECTION, "/shared/"],
        ))),
    );
    let out = transfer.apply(&[c], &IdMap::default()).await;
    assert_eq!(out, vec![Outcome::Applied { server_id: None }]);
}

#[tokio::test]
async fn a_create_that_times_out_is_reread_and_adopted_not_resent() {
    let s = server().await;
    Mock::given(method("POST"))
        .and(path("/groups/v2/groups"))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(group_doc("lab-readers"))
                .set_delay(Duration::from_secs(3)),
        )
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path("/groups/v2/groups/my_groups"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!([group_doc("lab-readers"), {
                    "id": "11111111-1666-11ec-88b2-f50515619d57", "name": "other"}])),
        )
        .expect(1)
        .mount(&s)
        .await;
    let http = client(
        &s,
        HttpOptions {
            timeout: Duration::from_millis(300),
            ..options()
        },
    );
    let groups = GroupsProvider::new(http);
    let address = Address::new(accord::services::groups::GROUP, ["lab-readers"]);
    let ids = IdMap::default();
    let c = change(
        address.clone(),
        Action::Create,
        Some(Object::new(address.clone()).with("name", "lab-readers")),
    );
    let out = groups.apply(&[c], &ids).await;
    assert_eq!(
        out,
        vec![Outcome::Applied {
            server_id: Some(GROUP_ID.into())
        }]
    );
    assert_eq!(ids.get(&address).as_deref(), Some(GROUP_ID));
}

#[tokio::test]
async fn a_create_is_never_retried_by_the_client() {
    let s = server().await;
    Mock::given(method("POST"))
        .and(path("/groups/v2/groups"))
        .respond_with(ResponseTemplate::new(503))
        .expect(1)
        .mount(&s)
        .await;
    let http = client(&s, options());
    let err = http
        .send(
            &HttpRequest::post(accord::services::groups::api::ID, "/v2/groups")
                .json(&json!({"name": "x"}))
                .kind(CallKind::Create),
        )
        .await
        .unwrap_err();
    assert!(err.is_maybe_applied(), "{err:?}");
    assert_eq!(err.status(), Some(503));
}

#[tokio::test]
async fn a_401_refreshes_the_token_once() {
    let s = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/auth/v2/oauth2/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body("groups.api.globus.org")))
        .expect(2)
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path("/groups/v2/groups/my_groups"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"code":"UNAUTHORIZED","detail":"expired"})),
        )
        .up_to_n_times(1)
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path("/groups/v2/groups/my_groups"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .expect(1)
        .mount(&s)
        .await;
    let groups = GroupsProvider::new(client(&s, options()));
    assert!(groups.my_groups().await.unwrap().is_empty());
}

#[tokio::test]
async fn tokens_are_cached_per_resource_server() {
    let s = server().await;
    Mock::given(method("GET"))
        .and(path("/groups/v2/groups/my_groups"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .expect(3)
        .mount(&s)
        .await;
    let groups = GroupsProvider::new(client(&s, options()));
    for _ in 0..3 {
        groups.my_groups().await.unwrap();
    }
    let token_calls = s
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path() == "/auth/v2/oauth2/token")
        .count();
    assert_eq!(token_calls, 1);
}

#[tokio::test]
async fn refused_credentials_are_a_credentials_error_without_the_secret() {
    let s = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/auth/v2/oauth2/token"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error":"invalid_client"})))
        .mount(&s)
        .await;
    let http = client(&s, options());
    let err = http
        .send(&HttpRequest::get(
            accord::services::groups::api::ID,
            "/v2/groups/my_groups",
        ))
        .await
        .unwrap_err();
    assert!(matches!(err, HttpError::Credentials { .. }), "{err:?}");
    assert!(err.to_string().contains("invalid_client"));
    for text in [err.to_string(), format!("{err:?}")] {
        assert!(!text.contains(SECRET), "{text}");
    }
    let perr: accord::service::ProviderError = err.into();
    assert!(matches!(
        perr,
        accord::service::ProviderError::Credentials(_)
    ));
}

/// A `tracing` writer into a shared buffer.
#[derive(Clone, Default)]
struct Buf(Arc<Mutex<Vec<u8>>>);

impl Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn tokens_and_secrets_never_reach_errors_debug_or_logs() {
    // A global subscriber, not a scoped one: tracing caches each callsite's interest
    // globally, so a callsite first hit by a concurrent test while only a scoped subscriber
    // exists elsewhere may never reach it (this flaked under load). Every test of this binary
    // logs into the buffer then, which only makes the no-token check stronger.
    let buf = Buf::default();
    let writer = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber).expect("the only global subscriber");
    tracing::callsite::rebuild_interest_cache();

    let s = server().await;
    Mock::given(method("GET"))
        .and(path("/groups/v2/groups/my_groups"))
        .respond_with(ResponseTemplate::new(403).set_body_json(
            json!({"code":"FORBIDDEN","detail":"no access","provided_scopes":["x"]}),
        ))
        .mount(&s)
        .await;
    let http = client(&s, options());
    let err = http
        .send(&HttpRequest::get(
            accord::services::groups::api::ID,
            "/v2/groups/my_groups",
        ))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(403));
    let token = http.token(accord::services::groups::api::ID).await.unwrap();
    assert_eq!(token.expose(), TOKEN);
    let perr: accord::service::ProviderError = err.clone().into();
    let texts = [
        err.to_string(),
        format!("{err:?}"),
        perr.to_string(),
        format!("{perr:?}"),
        format!("{http:?}"),
        format!("{token:?}"),
        token.to_string(),
        format!("{:?}", creds()),
        format!(
            "{:?}",
            HttpRequest::post(
                accord::services::auth::api::ID,
                "/v2/oauth2/token/introspect"
            )
            .form(&[("token", TOKEN)])
        ),
        String::from_utf8_lossy(&buf.0.lock().unwrap()).into_owned(),
    ];
    for t in &texts {
        assert!(!t.contains(TOKEN), "token leaked: {t}");
        assert!(!t.contains(SECRET), "secret leaked: {t}");
    }
    let logs = texts.last().unwrap();
    assert!(logs.contains("/v2/groups/my_groups"), "{logs}");
}

#[tokio::test]
async fn untrusted_hosts_are_refused_before_sending() {
    let s = server().await;
    // A service on an untrusted host: refused, nothing sent (not even a token request).
    let mut urls = ServiceUrls::emulator(&s.uri());
    urls.set("groups", "https://evil.example.com");
    let http = HttpClient::shared(
        &accord::services::builtin().apis(),
        urls,
        creds(),
        options(),
    )
    .unwrap();
    let err = http
        .send(&HttpRequest::get(
            accord::services::groups::api::ID,
            "/v2/groups/my_groups",
        ))
        .await
        .unwrap_err();
    assert!(matches!(err, HttpError::Untrusted { .. }), "{err:?}");
    assert!(err.to_string().contains("evil.example.com"));
    assert!(s.received_requests().await.unwrap().is_empty());

    // Auth on an untrusted host: the client secret is never sent there.
    let mut urls = ServiceUrls::emulator(&s.uri());
    urls.set("auth", "http://auth.evil.example.com");
    let http = HttpClient::shared(
        &accord::services::builtin().apis(),
        urls,
        creds(),
        options(),
    )
    .unwrap();
    let err = http
        .send(&HttpRequest::get(
            accord::services::groups::api::ID,
            "/v2/groups/my_groups",
        ))
        .await
        .unwrap_err();
    assert!(matches!(err, HttpError::Untrusted { .. }), "{err:?}");
    assert!(s.received_requests().await.unwrap().is_empty());

    // Allowed explicitly (as ACCORD_ALLOW_HOSTS does), but only over https.
    let mut urls = ServiceUrls::production();
    urls.set("groups", "http://groups.example.org");
    let http = HttpClient::shared(
        &accord::services::builtin().apis(),
        urls,
        creds(),
        HttpOptions {
            allow_hosts: vec!["groups.example.org".into()],
            ..options()
        },
    )
    .unwrap();
    let err = http
        .send(&HttpRequest::get(
            accord::services::groups::api::ID,
            "/v2/groups/my_groups",
        ))
        .await
        .unwrap_err();
    assert!(matches!(err, HttpError::Untrusted { .. }), "{err:?}");
}

#[tokio::test]
async fn transfer_acl_exists_is_adopted_and_updated() {
    let s = server().await;
    let identity = "25de0aed-aa83-4600-a1be-a62a910af116";
    Mock::given(method("POST"))
        .and(path(format!(
            "/transfer/v0.10/endpoint/{COLLECTION}/access"
        )))
        .and(body_string_contains("\"expiration_date\":null"))
        .respond_with(ResponseTemplate::new(409).set_body_json(json!({
            "code":"Exists","message":"already shared","request_id":"r","resource":"/access"})))
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("GET"))
        .and(path(format!(
            "/transfer/v0.10/endpoint/{COLLECTION}/access_list"
        )))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "DATA_TYPE":"access_list","endpoint": COLLECTION, "DATA":[
              {"DATA_TYPE":"access","id":"rule-1","path":"/shared/","permissions":"r",
               "principal": identity,"principal_type":"identity","role_id":null,"role_type":null,
               "create_time":"2024-12-16T21:30:15+00:00","expiration_date":null}]})))
        .expect(1)
        .mount(&s)
        .await;
    Mock::given(method("PUT"))
        .and(path(format!("/transfer/v0.10/endpoint/{COLLECTION}/access/rule-1")))
        .and(body_string_contains("\"permissions\":\"rw\""))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "DATA_TYPE":"result","code":"Updated","message":"ok","request_id":"r","resource":"/x"})))
        .expect(1)
        .mount(&s)
        .await;
    let transfer = TransferProvider::new(client(&s, options()));
    let address = Address::new(
        accord::services::transfer::ACL,
        [COLLECTION, "/shared/", &format!("identity:{identity}")],
    );
    let c = change(
        address.clone(),
        Action::Create,
        Some(
            Object::new(address.clone())
                .with("permissions", "rw")
                .with("expires", serde_json::Value::Null),
        ),
    );
    let ids = IdMap::default();
    let out = transfer.apply(&[c], &ids).await;
    assert_eq!(
        out,
        vec![Outcome::Applied {
            server_id: Some("rule-1".into())
        }]
    );
    assert_eq!(ids.get(&address).as_deref(), Some("rule-1"));
}

/// A closed port on loopback: connections are refused.
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

#[tokio::test]
async fn a_refused_first_contact_stops_at_its_budget_and_names_the_host() {
    let port = closed_port();
    let opts = HttpOptions {
        // Budget 15 s × 0.01 = 150 ms; without it, 100 retries of up to 100 ms each.
        backoff_scale: 0.01,
        max_retries: 100,
        ..options()
    };
    let c = HttpClient::shared(
        &accord::services::builtin().apis(),
        ServiceUrls::emulator(&format!("http://127.0.0.1:{port}")),
        creds(),
        opts,
    )
    .unwrap();
    let req = HttpRequest::get(accord::services::groups::api::ID, "/v2/groups/my_groups")
        .auth(accord::http::AuthMode::None);
    let t0 = Instant::now();
    let e = c.send(&req).await.unwrap_err();
    let took = t0.elapsed();
    assert!(took < Duration::from_secs(1), "{took:?}");
    assert!(
        matches!(&e, HttpError::Unreachable { host, .. } if *host == format!("127.0.0.1:{port}")),
        "{e}"
    );
    assert!(
        e.to_string()
            .starts_with(&format!("cannot connect to 127.0.0.1:{port}")),
        "{e}"
    );
    // The budget spent, the next call to that host fails at once.
    let t1 = Instant::now();
    let e = c.send(&req).await.unwrap_err();
    assert!(
        t1.elapsed() < Duration::from_millis(20),
        "{:?}",
        t1.elapsed()
    );
    assert!(matches!(e, HttpError::Unreachable { .. }), "{e}");
}
