//! Tuning of the client, and each service's limits: requests in flight and request rate.

use std::num::NonZeroU32;
use std::path::PathBuf;
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

use tokio::sync::Semaphore;

use super::{ENV_ALLOW_HOSTS, ENV_BACKOFF_SCALE, ENV_CA_FILE};

/// Reads of one service at once unless told otherwise (`--read-parallelism`), chosen by
/// measurement (bench/README.md, "Read parallelism").
pub const DEFAULT_READ_CONCURRENCY: usize = 32;

/// Tuning of the client: retries, timeouts, rate limits, extra trusted hosts.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpOptions {
    /// Multiplies every backoff delay (not `Retry-After`); tests make it tiny.
    pub backoff_scale: f64,
    /// Retries after the first attempt of an idempotent call.
    pub max_retries: usize,
    /// The first backoff delay, before scaling.
    pub min_backoff: Duration,
    /// The largest backoff delay, before scaling.
    pub max_backoff: Duration,
    /// The largest `Retry-After` honoured (longer ones are capped).
    pub max_retry_after: Duration,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Hosts trusted with credentials besides the real services and loopback.
    pub allow_hosts: Vec<String>,
    /// Requests in flight per service (each GCS endpoint on its own); never below
    /// `read_concurrency`.
    pub max_concurrency: usize,
    /// Independent reads of one service a provider runs at once (`--read-parallelism`): the
    /// width of [`super::HttpClient::concurrently`]. Each service's rate limit still paces them.
    pub read_concurrency: usize,
    /// Requests per second to the APIs with no documented limit; `None` paces them not at
    /// all: `max_concurrency` and their 429 answers (`Retry-After`) bound them instead.
    pub default_rate_per_sec: Option<u32>,
    /// A PEM file of extra root certificates (`--ca-file`, `ACCORD_CA_FILE`).
    pub ca_file: Option<PathBuf>,
}

impl Default for HttpOptions {
    /// Defaults, with `ACCORD_TEST_BACKOFF_SCALE` and `ACCORD_ALLOW_HOSTS` read from the environment.
    fn default() -> Self {
        let backoff_scale = std::env::var(ENV_BACKOFF_SCALE)
            .ok()
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|v| v.is_finite() && *v >= 0.0)
            .unwrap_or(1.0);
        let allow_hosts = std::env::var(ENV_ALLOW_HOSTS)
            .map(|v| parse_host_list(&v))
            .unwrap_or_default();
        let ca_file = std::env::var_os(ENV_CA_FILE)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        HttpOptions {
            backoff_scale,
            max_retries: 5,
            min_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(60),
            timeout: Duration::from_secs(60),
            allow_hosts,
            max_concurrency: DEFAULT_READ_CONCURRENCY,
            read_concurrency: DEFAULT_READ_CONCURRENCY,
            default_rate_per_sec: None,
            ca_file,
        }
    }
}

/// Splits a comma-separated host list, lower-cased, ignoring blanks.
fn parse_host_list(v: &str) -> Vec<String> {
    v.split(',')
        .map(|h| h.trim().to_ascii_lowercase())
        .filter(|h| !h.is_empty())
        .collect()
}

/// A per-service pacing limiter: `governor`'s GCRA at the service's rate, with a one-second
/// burst (as many requests at once as the rate allows in a second).
pub(super) struct Pacer {
    /// The time between two requests at the steady rate.
    #[cfg(test)]
    pub(super) interval: Duration,
    limiter: DefaultDirectRateLimiter,
}

/// The quota of a service paced at `rate_per_sec` (at least 1): that many per second, and as
/// many at once.
pub(super) fn quota(rate_per_sec: u32) -> Quota {
    Quota::per_second(NonZeroU32::new(rate_per_sec.max(1)).expect("at least 1"))
}

impl Pacer {
    pub(super) fn new(rate_per_sec: u32) -> Self {
        let quota = quota(rate_per_sec);
        Pacer {
            #[cfg(test)]
            interval: quota.replenish_interval(),
            limiter: RateLimiter::direct(quota),
        }
    }

    /// Waits until one more request fits the rate.
    pub(super) async fn until_ready(&self) {
        self.limiter.until_ready().await;
    }
}

/// Per-service limits: requests in flight and, for a paced service, request rate.
pub(super) struct Limits {
    pub(super) in_flight: Semaphore,
    pub(super) pacer: Option<Pacer>,
}

impl Limits {
    pub(super) fn new(max_concurrency: usize, rate_per_sec: Option<u32>) -> Self {
        Limits {
            in_flight: Semaphore::new(max_concurrency.max(1)),
            pacer: rate_per_sec.map(Pacer::new),
        }
    }
}
