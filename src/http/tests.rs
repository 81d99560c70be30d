//! Unit tests of the shared client.

use std::time::{Duration, Instant, SystemTime};

use super::pacing::Pacer;
use super::*;

#[test]
fn secret_never_prints() {
    let c = GlobusCredentials::new("id", "s3cr3t");
    assert!(!format!("{c:?}").contains("s3cr3t"));
    assert_eq!(c.client_secret.to_string(), "[redacted]");
}

#[test]
fn retry_after_forms() {
    assert_eq!(parse_retry_after("3"), Some(Duration::from_secs(3)));
    let later = SystemTime::now() + Duration::from_secs(30);
    let d = parse_retry_after(&httpdate::fmt_http_date(later)).unwrap();
    assert!(d <= Duration::from_secs(30) && d >= Duration::from_secs(28));
    assert_eq!(
        parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
        Some(Duration::ZERO)
    );
    assert_eq!(parse_retry_after("soon"), None);
}

#[test]
fn error_shapes() {
    let t = serde_json::json!({"code":"Exists","message":"already"});
    assert_eq!(
        error_code_and_message(&t),
        (Some("Exists".into()), "already".into())
    );
    let a = serde_json::json!({"errors":[{"code":"UNAUTHORIZED","detail":"Call must be authenticated"}],"error":"unauthorized"});
    assert_eq!(
        error_code_and_message(&a),
        (
            Some("UNAUTHORIZED".into()),
            "Call must be authenticated".into()
        )
    );
    let g = serde_json::json!({"detail":[{"loc":["body"],"msg":"bad"}]});
    assert!(error_code_and_message(&g).1.contains("bad"));
    let b = serde_json::json!({"status":404,"code":4002,"message":"u does not exist. Ensure that the user has logged in"});
    assert_eq!(
        error_code_and_message(&b),
        (
            Some("4002".into()),
            "u does not exist. Ensure that the user has logged in".into()
        )
    );
    let o = serde_json::json!({"error":"invalid_client"});
    assert_eq!(
        error_code_and_message(&o).0.as_deref(),
        Some("invalid_client")
    );
}

#[test]
fn never_retried_codes() {
    let e = HttpError::Status {
        service: Service::Transfer,
        method: "POST".into(),
        path: "/x".into(),
        status: 502,
        code: Some("ExternalError.MkdirFailed.Exists".into()),
        message: "exists".into(),
        retry_after: None,
    };
    assert!(!e.is_retryable());
}

#[tokio::test]
async fn missing_globus_credentials_fail_only_calls_that_need_them() {
    let c = HttpClient::without_globus_credentials(
        ServiceUrls::emulator("http://127.0.0.1:9"),
        "set ACCORD_GLOBUS_CLIENT_ID",
        HttpOptions {
            max_retries: 0,
            ..HttpOptions::default()
        },
    )
    .unwrap();
    let e = c
        .send(&HttpRequest::get(Service::Groups, "/v2/groups/my_groups"))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, HttpError::Credentials { message, .. } if message == "set ACCORD_GLOBUS_CLIENT_ID"),
        "{e}"
    );
    // A Boss call carries its own header: it is sent (and here finds no server).
    let boss = HttpRequest::get(Service::Boss, "/v1/groups/")
        .auth(AuthMode::Header(Secret::new("Token t")));
    let e = c.send(&boss).await.unwrap_err();
    assert!(matches!(e, HttpError::Transport { .. }), "{e}");
}

#[test]
fn only_services_with_a_documented_limit_are_paced_by_default() {
    let o = HttpOptions::default();
    assert_eq!(o.rate_per_sec(Service::Transfer), Some(20));
    assert_eq!(o.rate_per_sec(Service::Search), Some(10));
    for s in [
        Service::Auth,
        Service::Groups,
        Service::Boss,
        Service::Gcs(uuid::Uuid::nil()),
    ] {
        assert_eq!(o.rate_per_sec(s), None, "{s}");
    }
    let c = HttpClient::new(
        ServiceUrls::emulator("http://127.0.0.1:9"),
        GlobusCredentials::new("id", "s"),
        o,
    )
    .unwrap();
    let interval = |s| c.limits_for(s).pacer.as_ref().map(|p| p.interval);
    assert_eq!(interval(Service::Groups), None);
    assert_eq!(interval(Service::Boss), None);
    assert_eq!(interval(Service::Gcs(uuid::Uuid::nil())), None);
    assert_eq!(interval(Service::Search), Some(Duration::from_millis(100)));
    assert_eq!(interval(Service::Transfer), Some(Duration::from_millis(50)));
    // Pacing them stays possible.
    let paced = HttpOptions {
        default_rate_per_sec: Some(5),
        ..HttpOptions::default()
    };
    assert_eq!(paced.rate_per_sec(Service::Groups), Some(5));
}

#[test]
fn a_paced_service_gets_a_one_second_burst_then_its_rate() {
    // Search at 10/s: 11 requests go at once (the burst), then one every 100 ms.
    let pacer = Pacer::new(10);
    let t0 = Instant::now();
    let mut tat = t0;
    let waits: Vec<Option<Duration>> = (0..31)
        .map(|_| pacer.reserve(&mut tat, t0).map(|at| at - t0))
        .collect();
    assert!(waits[..11].iter().all(Option::is_none), "{waits:?}");
    assert_eq!(waits[11], Some(Duration::from_millis(100)));
    assert_eq!(waits[20], Some(Duration::from_secs(1)));
    assert_eq!(waits[30], Some(Duration::from_secs(2)));
    // After a quiet second the burst is available again.
    let later = t0 + Duration::from_secs(4);
    assert_eq!(pacer.reserve(&mut tat, later), None);
}

#[test]
fn trusted_hosts() {
    let c = HttpClient::new(
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
