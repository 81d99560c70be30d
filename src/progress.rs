//! What a run is doing, for a progress display: each service's live read (started, objects
//! read, how long) and the HTTP requests each service's API answered. The HTTP client counts
//! requests, the engine marks reads; the CLI draws it on a terminal (`src/cli/progress.rs`).

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// One run's activity, shared by its HTTP client and its engine calls.
#[derive(Debug)]
pub struct Activity {
    started: Instant,
    services: Mutex<BTreeMap<&'static str, Service>>,
}

impl Default for Activity {
    fn default() -> Activity {
        Activity {
            started: Instant::now(),
            services: Mutex::new(BTreeMap::new()),
        }
    }
}

/// One service's activity so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Service {
    /// Requests sent and answered (retries included).
    pub requests: u64,
    /// When its last read started, if it was read.
    pub read_started: Option<Instant>,
    /// Objects its last read found, once it finished.
    pub objects: Option<usize>,
    /// How long its last read took, once it finished.
    pub read_took: Option<Duration>,
}

impl Service {
    /// Whether a read started and has not finished.
    pub fn reading(&self) -> bool {
        self.read_started.is_some() && self.read_took.is_none()
    }
}

impl Activity {
    /// Time since the activity began.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    fn with(&self, service: &'static str, f: impl FnOnce(&mut Service)) {
        let mut services = self.services.lock().unwrap_or_else(|e| e.into_inner());
        f(services.entry(service).or_default());
    }

    /// A request to `service`'s API was answered (or failed on the wire).
    pub fn request(&self, service: &'static str) {
        self.with(service, |s| s.requests += 1);
    }

    /// `service`'s live read started.
    pub fn read_started(&self, service: &'static str) {
        self.with(service, |s| {
            s.read_started = Some(Instant::now());
            s.objects = None;
            s.read_took = None;
        });
    }

    /// `service`'s live read finished with `objects` objects (0 when it failed).
    pub fn read_done(&self, service: &'static str, objects: usize) {
        self.with(service, |s| {
            s.objects = Some(objects);
            s.read_took = Some(s.read_started.map_or(Duration::ZERO, |t| t.elapsed()));
        });
    }

    /// Every service seen so far, by name.
    pub fn snapshot(&self) -> Vec<(&'static str, Service)> {
        let services = self.services.lock().unwrap_or_else(|e| e.into_inner());
        services.iter().map(|(k, v)| (*k, v.clone())).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_requests_are_counted_per_service() {
        let a = Activity::default();
        a.read_started("one");
        a.request("one");
        a.request("one");
        a.request("two");
        let snap = a.snapshot();
        assert_eq!(snap[0].0, "one");
        assert!(snap[0].1.reading());
        assert_eq!(snap[0].1.requests, 2);
        assert_eq!(snap[1].1.requests, 1);
        assert!(!snap[1].1.reading(), "two was never read");
        a.read_done("one", 7);
        let one = &a.snapshot()[0].1;
        assert_eq!(one.objects, Some(7));
        assert!(!one.reading());
    }
}
