//! Transfer's API facts as the shared client uses them: final codes, pacing at the documented
//! rates (Transfer's and Search's), the real services' hosts trusted, and calls needing the
//! OAuth client refused without it.

use std::time::Duration;

use url::Url;

use super::api::{API, ID};
use crate::http::{
    AuthMode, GlobusCredentials, HttpClient, HttpError, HttpOptions, HttpRequest, Secret,
    ServiceId, ServiceUrls,
};

#[test]
fn never_retried_codes() {
    assert!(API.is_final("ExternalError.MkdirFailed.Exists"));
    assert!(API.is_final("EndpointError"));
    assert!(!API.is_final("ServiceUnavailable"));
}

#[tokio::test]
async fn missing_globus_credentials_fail_only_calls_that_need_them() {
    let c = HttpClient::without_globus_credentials(
        &crate::services::builtin().apis(),
        ServiceUrls::emulator("http://127.0.0.1:9"),
        "set ACCORD_GLOBUS_CLIENT_ID",
        HttpOptions {
            max_retries: 0,
            ..HttpOptions::default()
        },
    )
    .unwrap();
    let e = c
        .send(&HttpRequest::get(
            crate::services::groups::api::ID,
            "/v2/groups/my_groups",
        ))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, HttpError::Credentials { message, .. } if message == "set ACCORD_GLOBUS_CLIENT_ID"),
        "{e}"
    );
    // A Boss call carries its own header: it is sent (and here finds no server).
    let boss = HttpRequest::get(crate::services::boss::api::ID, "/v1/groups/")
        .auth(AuthMode::Header(Secret::new("Token t")));
    let e = c.send(&boss).await.unwrap_err();
    assert!(matches!(e, HttpError::Unreachable { .. }), "{e}");
}

#[test]
fn only_services_with_a_documented_limit_are_paced_by_default() {
    let apis = crate::services::builtin().apis();
    let rate = |name: &str| apis.iter().find(|a| a.name == name).unwrap().rate_per_sec;
    assert_eq!(rate("transfer"), Some(20));
    assert_eq!(rate("search"), Some(10));
    for s in ["auth", "groups", "boss", "gcs"] {
        assert_eq!(rate(s), None, "{s}");
    }
    let c = HttpClient::new(
        &apis,
        ServiceUrls::emulator("http://127.0.0.1:9"),
        GlobusCredentials::new("id", "s"),
        HttpOptions::default(),
    )
    .unwrap();
    let interval = |s: ServiceId| c.pacing_interval(s);
    let gcs = crate::services::gcs::api::endpoint(uuid::Uuid::nil());
    assert_eq!(interval(crate::services::groups::api::ID), None);
    assert_eq!(interval(crate::services::boss::api::ID), None);
    assert_eq!(interval(gcs), None);
    assert_eq!(
        interval(crate::services::search::api::ID),
        Some(Duration::from_millis(100))
    );
    assert_eq!(interval(ID), Some(Duration::from_millis(50)));
    // Pacing them stays possible.
    let paced = HttpClient::new(
        &apis,
        ServiceUrls::emulator("http://127.0.0.1:9"),
        GlobusCredentials::new("id", "s"),
        HttpOptions {
            default_rate_per_sec: Some(5),
            ..HttpOptions::default()
        },
    )
    .unwrap();
    assert_eq!(
        paced.pacing_interval(crate::services::groups::api::ID),
        Some(Duration::from_millis(200))
    );
}

#[test]
fn trusted_hosts() {
    let c = HttpClient::new(
        &crate::services::builtin().apis(),
        ServiceUrls::production(),
        GlobusCredentials::new("id", "s"),
        HttpOptions {
            allow_hosts: vec!["gcs.example.org".into()],
            ..HttpOptions::default()
        },
    )
    .unwrap();
    let ok = |u: &str| c.check_trusted(&Url::parse(u).unwrap()).is_ok();
    assert!(ok("https://transfer.api.globus.org/v0.10/x"));
    assert!(ok("http://127.0.0.1:9999/groups"));
    assert!(ok("http://[::1]:9999/groups"));
    assert!(ok("http://localhost:1/x"));
    assert!(ok("https://gcs.example.org/api"));
    assert!(!ok("http://gcs.example.org/api"));
    assert!(!ok("https://evil.example.com/v2/groups"));
    assert!(!ok("http://transfer.api.globus.org/v0.10/x"));
    c.trust_host("abc.data.globus.org");
    assert!(ok("https://abc.data.globus.org/api"));
}
