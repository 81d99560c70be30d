//! First contact with a host: a refused connection or a DNS failure before the host ever
//! answered in this run is retried for at most [`FIRST_CONTACT_BUDGET`] (scaled like the
//! backoff); after that every call to it fails at once, naming the host. A host that answered
//! once keeps the ordinary retries (a connection dropped mid-run).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a host never reached in this run is tried before its calls fail.
pub(super) const FIRST_CONTACT_BUDGET: Duration = Duration::from_secs(15);

/// What the run knows of each host it called.
#[derive(Debug, Default)]
pub(super) struct Reach(Mutex<HashMap<String, Contact>>);

#[derive(Debug, Clone)]
enum Contact {
    /// The host answered once (any status).
    Answered,
    /// Every connection so far failed: since when, and how the last one did.
    Failing(Instant, String),
}

impl Reach {
    /// Records an answer from `host`.
    pub(super) fn answered(&self, host: &str) {
        self.lock().insert(host.to_string(), Contact::Answered);
    }

    /// Records a failed connection to `host`; whether it never answered in this run.
    pub(super) fn connect_failed(&self, host: &str, message: &str) -> bool {
        let mut map = self.lock();
        match map.get(host) {
            Some(Contact::Answered) => false,
            Some(Contact::Failing(since, _)) => {
                let since = *since;
                map.insert(host.into(), Contact::Failing(since, message.into()));
                true
            }
            None => {
                map.insert(
                    host.into(),
                    Contact::Failing(Instant::now(), message.into()),
                );
                true
            }
        }
    }

    /// For a host never reached: the budget left (zero once spent) and the last failure.
    pub(super) fn left(&self, host: &str, budget: Duration) -> Option<(Duration, String)> {
        match self.lock().get(host) {
            Some(Contact::Failing(since, message)) => {
                Some((budget.saturating_sub(since.elapsed()), message.clone()))
            }
            _ => None,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Contact>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_never_reached_has_a_budget_and_one_that_answered_has_none() {
        let r = Reach::default();
        assert!(r.left("a:1", FIRST_CONTACT_BUDGET).is_none());
        assert!(r.connect_failed("a:1", "connection refused"));
        let (left, why) = r.left("a:1", FIRST_CONTACT_BUDGET).unwrap();
        assert!(left > Duration::from_secs(14), "{left:?}");
        assert_eq!(why, "connection refused");
        assert!(r.left("a:1", Duration::ZERO).unwrap().0.is_zero());
        r.answered("b:2");
        assert!(
            !r.connect_failed("b:2", "reset"),
            "a dropped connection mid-run"
        );
        assert!(r.left("b:2", FIRST_CONTACT_BUDGET).is_none());
    }
}
