//! Ctrl-C and SIGTERM during `accord apply`: the first signal stops starting changes (calls in
//! flight finish, the summary is printed, the lock released) and the run exits 128 + the
//! signal's number (130, 143); a second signal aborts at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::watch;

/// SIGINT's number.
pub(super) const SIGINT: u8 = 2;
/// SIGTERM's number.
pub(super) const SIGTERM: u8 = 15;

/// The signals of one run: which came first (0 before any), and whether changes are being
/// applied (then a signal stops new work instead of ending the run).
#[derive(Debug)]
pub(super) struct Interrupt {
    signal: watch::Receiver<u8>,
    applying: AtomicBool,
}

impl Interrupt {
    /// Takes over SIGINT and SIGTERM for the rest of the process.
    pub(super) fn install() -> Arc<Interrupt> {
        let (tx, rx) = watch::channel(0u8);
        let it = Arc::new(Interrupt {
            signal: rx,
            applying: AtomicBool::new(false),
        });
        let seen = it.clone();
        tokio::spawn(async move {
            let mut signals = Signals::new();
            while let Some(sig) = signals.next().await {
                if *tx.borrow() != 0 {
                    eprintln!("\nSecond signal: aborting at once.");
                    std::process::exit(128 + i32::from(sig));
                }
                if seen.applying.load(Ordering::SeqCst) {
                    eprintln!(
                        "\n{}: no new change starts; calls in flight finish (signal again to abort at once).",
                        name(sig)
                    );
                }
                let _ = tx.send(sig);
            }
        });
        it
    }

    /// The first signal's number, if one came.
    pub(super) fn signal(&self) -> Option<u8> {
        Some(*self.signal.borrow()).filter(|&s| s != 0)
    }

    /// Marks the start of applying: from now on a signal stops new work, and
    /// [`Interrupt::before_apply`] never resolves.
    pub(super) fn applying(&self) {
        self.applying.store(true, Ordering::SeqCst);
    }

    /// Resolves with the signal's number when one comes before applying began.
    pub(super) async fn before_apply(&self) -> u8 {
        let mut rx = self.signal.clone();
        let sig = match rx.wait_for(|&s| s != 0).await {
            Ok(s) => *s,
            Err(_) => std::future::pending().await,
        };
        if self.applying.load(Ordering::SeqCst) {
            std::future::pending::<()>().await;
        }
        sig
    }
}

/// A signal's name for people.
pub(super) fn name(sig: u8) -> &'static str {
    if sig == SIGTERM { "SIGTERM" } else { "SIGINT" }
}

/// SIGINT and SIGTERM as one stream.
struct Signals {
    #[cfg(unix)]
    int: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    term: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    fn new() -> Signals {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Signals {
                int: signal(SignalKind::interrupt()).ok(),
                term: signal(SignalKind::terminate()).ok(),
            }
        }
        #[cfg(not(unix))]
        Signals {}
    }

    async fn next(&mut self) -> Option<u8> {
        #[cfg(unix)]
        {
            let Signals { int, term } = self;
            let int = async {
                match int {
                    Some(s) => s.recv().await,
                    None => std::future::pending().await,
                }
            };
            let term = async {
                match term {
                    Some(s) => s.recv().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                r = int => r.map(|_| SIGINT),
                r = term => r.map(|_| SIGTERM),
            }
        }
        #[cfg(not(unix))]
        tokio::signal::ctrl_c().await.ok().map(|_| SIGINT)
    }
}
