//! Unit tests of the shared client.

use std::time::{Duration, Instant, SystemTime};

use super::pacing::{Pacer, quota};
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
    use governor::clock::{Clock, FakeRelativeClock, Reference};
    // Search at 10/s: 10 requests go at once (the burst), then one every 100 ms.
    let clock = FakeRelativeClock::default();
    let limiter = governor::RateLimiter::direct_with_clock(quota(10), clock.clone());
    let t0 = clock.now();
    let waits: Vec<Option<Duration>> = (0..30)
        .map(|_| match limiter.check() {
            Ok(()) => None,
            Err(not_until) => {
                // Book it as `until_ready` would: wait, then take the cell.
                let wait = not_until.wait_time_from(clock.now());
                clock.advance(wait);
                limiter.check().expect("ready after the wait");
                Some(clock.now().duration_since(t0).into())
            }
        })
        .collect();
    assert!(waits[..10].iter().all(Option::is_none), "{waits:?}");
    assert_eq!(waits[10], Some(Duration::from_millis(100)));
    assert_eq!(waits[19], Some(Duration::from_secs(1)));
    assert_eq!(waits[29], Some(Duration::from_secs(2)));
    // After a quiet second the burst is available again.
    clock.advance(Duration::from_secs(1));
    assert!((0..10).all(|_| limiter.check().is_ok()));
    assert!(limiter.check().is_err());
}

#[tokio::test]
async fn the_pacer_holds_the_rate_on_the_clock() {
    // 20/s: the first 20 at once, the next 5 one per 50 ms.
    let pacer = Pacer::new(20);
    assert_eq!(pacer.interval, Duration::from_millis(50));
    let t0 = Instant::now();
    for _ in 0..25 {
        pacer.until_ready().await;
    }
    let took = t0.elapsed();
    assert!(took >= Duration::from_millis(200), "{took:?}");
    assert!(took < Duration::from_secs(1), "{took:?}");
}

/// A client talking to nothing, with these read and in-flight widths.
fn client_with(read_concurrency: usize, max_concurrency: usize) -> HttpClient {
    let options = HttpOptions {
        read_concurrency,
        max_concurrency,
        ..HttpOptions::default()
    };
    HttpClient::new(
        &[],
        ServiceUrls::production(),
        GlobusCredentials::new("id", "s"),
        options,
    )
    .unwrap()
}

/// The most calls `concurrently` had started and not finished, over 40 calls that each wait
/// for a few turns of the scheduler (no clock involved), and whether the answers kept order.
async fn widest(client: &HttpClient) -> (usize, bool) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let now = AtomicUsize::new(0);
    let most = AtomicUsize::new(0);
    let calls = (0..40)
        .map(|i| {
            let (now, most) = (&now, &most);
            async move {
                let n = now.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(n, Ordering::SeqCst);
                // Later calls finish sooner: the answers must still come back in order.
                for _ in 0..(40 - i) {
                    tokio::task::yield_now().await;
                }
                now.fetch_sub(1, Ordering::SeqCst);
                i
            }
        })
        .collect();
    let got = client.concurrently(calls).await;
    (
        most.load(Ordering::SeqCst),
        got == (0..40).collect::<Vec<_>>(),
    )
}

#[tokio::test]
async fn reads_run_at_the_read_concurrency_and_answer_in_order() {
    for n in [1, 4, 16, 32] {
        // The in-flight cap (set by apply's parallelism) does not narrow the reads.
        let (most, ordered) = widest(&client_with(n, 8)).await;
        assert_eq!(most, n, "read concurrency {n}");
        assert!(ordered, "read concurrency {n}: answers out of order");
    }
}

#[test]
fn the_in_flight_cap_is_never_below_the_read_concurrency() {
    let client = client_with(32, 8);
    let limits = client.limits_for(ServiceId::fixed("x"));
    assert_eq!(limits.in_flight.available_permits(), 32);
    let client = client_with(4, 8);
    let limits = client.limits_for(ServiceId::fixed("x"));
    assert_eq!(limits.in_flight.available_permits(), 8);
}
