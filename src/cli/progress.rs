//! Progress on a terminal, on stderr: while a run reads the live state, a line per service
//! (objects read, requests answered, time); while apply runs, count, rate and ETA, with each
//! change's result printed above the bar as it finishes. Nothing is drawn off a terminal or
//! with `TERM=dumb`, so logs and pipes see today's output unchanged.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::apply::ChangeStatus;
use crate::progress::{Activity, Service};
use crate::textwidth::{pad_to, width};

/// Whether to draw progress: stderr is a terminal, and not a dumb one.
pub(super) fn enabled() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar())
}

/// The display of a live read, redrawn every 100 ms until [`Reading::finish`].
pub(super) struct Reading {
    multi: MultiProgress,
    activity: Arc<Activity>,
    ticker: Option<tokio::task::JoinHandle<()>>,
}

impl Reading {
    /// Starts drawing `activity` under the heading `what` (on a terminal only).
    pub(super) fn start(what: &'static str, activity: Arc<Activity>) -> Reading {
        let on = enabled();
        let multi = MultiProgress::with_draw_target(if on {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        });
        let ticker = on.then(|| {
            let (multi, activity) = (multi.clone(), activity.clone());
            tokio::spawn(async move {
                let head = multi.add(ProgressBar::new_spinner());
                head.set_style(style("{spinner} {msg} ({elapsed})"));
                head.set_message(what);
                let mut rows: Vec<ProgressBar> = Vec::new();
                let mut tick = tokio::time::interval(Duration::from_millis(100));
                loop {
                    tick.tick().await;
                    let lines = service_lines(&activity.snapshot());
                    while rows.len() < lines.len() {
                        let row = multi.add(ProgressBar::new_spinner());
                        row.set_style(style("  {msg}"));
                        rows.push(row);
                    }
                    for (row, line) in rows.iter().zip(lines) {
                        row.set_message(line);
                    }
                    head.tick();
                }
            })
        });
        Reading {
            multi,
            activity,
            ticker,
        }
    }

    /// Stops drawing, clears the lines, and leaves a one-line summary (on a terminal only).
    pub(super) fn finish(self) {
        let Some(ticker) = self.ticker else { return };
        ticker.abort();
        let _ = self.multi.clear();
        eprintln!(
            "{}",
            summary(&self.activity.snapshot(), self.activity.elapsed())
        );
    }
}

/// The line a finished read leaves: `Read 11 objects (groups 4, transfer 7) in 10 requests (0.2s).`
fn summary(services: &[(&'static str, Service)], took: Duration) -> String {
    let read: Vec<String> = services
        .iter()
        .filter_map(|(name, s)| s.objects.filter(|&n| n > 0).map(|n| format!("{name} {n}")))
        .collect();
    let objects: usize = services.iter().filter_map(|(_, s)| s.objects).sum();
    let requests: u64 = services.iter().map(|(_, s)| s.requests).sum();
    format!(
        "Read {objects} objects ({}) in {requests} requests ({:.1}s).",
        read.join(", "),
        took.as_secs_f64()
    )
}

/// A line per service, the columns aligned: `groups   12 objects   30 requests   0.4s`.
fn service_lines(services: &[(&'static str, Service)]) -> Vec<String> {
    let name_width = services.iter().map(|(n, _)| width(n)).max().unwrap_or(0);
    services
        .iter()
        .map(|(name, s)| {
            let state = match (s.objects, s.read_took, s.read_started) {
                (Some(n), Some(took), _) => format!("{n} objects, {:.1}s", took.as_secs_f64()),
                (_, _, Some(started)) => {
                    format!("reading… {:.1}s", started.elapsed().as_secs_f64())
                }
                _ => String::new(),
            };
            let pad = pad_to(name, name_width);
            format!("{name}{:pad$}  {:>6} requests  {state}", "", s.requests)
        })
        .collect()
}

/// Apply's bar: count, rate and ETA, each change's result printed above it as it settles.
pub(super) struct Applying {
    bar: ProgressBar,
    settled: AtomicUsize,
    total: usize,
}

impl Applying {
    /// A bar for `total` changes (hidden off a terminal).
    pub(super) fn new(total: usize) -> Applying {
        let target = if enabled() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(Some(total as u64), target);
        bar.set_style(
            style("{bar:30} {pos}/{len} changes  {rate}  ETA {eta}  ({elapsed})").with_key(
                "rate",
                |s: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = write!(w, "{:.1} changes/s", s.per_sec());
                },
            ),
        );
        Applying {
            bar,
            settled: AtomicUsize::new(0),
            total,
        }
    }

    /// Prints one settled change's line (`line`, as the final report writes it) above the bar.
    pub(super) fn settled(&self, line: impl FnOnce() -> String) {
        let n = self.settled.fetch_add(1, Ordering::Relaxed) + 1;
        if !self.bar.is_hidden() {
            self.bar
                .println(format!("[{n}/{}] {}", self.total, line().trim_start()));
        }
    }

    /// `done` changes are settled.
    pub(super) fn position(&self, done: usize) {
        self.bar.set_position(done as u64);
    }
}

impl Drop for Applying {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

/// The report's line for one change: `  applied  LABEL` and the like.
pub(super) fn change_line(label: &str, status: &ChangeStatus) -> String {
    match status {
        ChangeStatus::Applied => format!("  applied  {label}"),
        ChangeStatus::Failed { error } => format!("  FAILED   {label}: {error}"),
        ChangeStatus::Blocked { reason } => format!("  blocked  {label}: {reason}"),
        ChangeStatus::Skipped => format!("  skipped  {label}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_lines_align_their_columns() {
        let done = Service {
            requests: 12,
            read_started: Some(std::time::Instant::now()),
            objects: Some(40),
            read_took: Some(Duration::from_millis(300)),
        };
        let auth = Service {
            requests: 3,
            ..Service::default()
        };
        let lines = service_lines(&[("auth", auth.clone()), ("svc", done.clone())]);
        assert_eq!(lines[0].find("requests"), lines[1].find("requests"));
        assert!(lines[1].ends_with("40 objects, 0.3s"), "{lines:?}");
        let all = [("auth", auth), ("svc", done)];
        assert_eq!(
            summary(&all, Duration::from_millis(1200)),
            "Read 40 objects (svc 40) in 15 requests (1.2s)."
        );
    }
}
