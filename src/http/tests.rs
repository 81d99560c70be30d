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
    let n =
        serde_json::json!({"error":{"code":"NOT_FOUND","detail":"No such thing"},"debug_id":"x"});
    assert_eq!(
        error_code_and_message(&n),
        (Some("NOT_FOUND".into()), "No such thing".into())
    );
    let o = serde_json::json!({"error":"invalid_client"});
    assert_eq!(
        error_code_and_message(&o).0.as_deref(),
        Some("invalid_client")
    );
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
