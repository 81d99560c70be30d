//! Standard output for every command. A reader that closes the pipe early
//! (`accord schema | head -1`) has all it wanted: the rest of the output is dropped and the
//! command ends as it would have (locks released, the same exit code), with no panic.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once standard output is gone (closed pipe) or failed: later writes are dropped.
static DONE: AtomicBool = AtomicBool::new(false);

/// Standard output that takes a closed pipe as the end of output, never as a panic.
pub(crate) struct Stdout;

impl Stdout {
    /// What a failed write means: a closed pipe is the reader being done; anything else is
    /// said once on stderr. Either way the output ends and the write counts as done.
    fn ended<T>(e: io::Error, done: T) -> io::Result<T> {
        if !DONE.swap(true, Ordering::Relaxed) && e.kind() != io::ErrorKind::BrokenPipe {
            eprintln!("error: cannot write to standard output: {e}");
        }
        Ok(done)
    }
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if DONE.load(Ordering::Relaxed) {
            return Ok(buf.len());
        }
        match io::stdout().lock().write(buf) {
            Err(e) if e.kind() != io::ErrorKind::Interrupted => Stdout::ended(e, buf.len()),
            other => other,
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        if DONE.load(Ordering::Relaxed) {
            return Ok(());
        }
        match io::stdout().lock().flush() {
            Err(e) => Stdout::ended(e, ()),
            ok => ok,
        }
    }
}

/// Writes `text` to standard output and flushes it; see [`Stdout`].
pub(crate) fn print(text: &str) {
    let mut out = Stdout;
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

/// `println!` through [`Stdout`]: a closed pipe ends the output quietly.
macro_rules! outln {
    () => { $crate::cli::out::print("\n") };
    ($($arg:tt)*) => { $crate::cli::out::print(&format!("{}\n", format_args!($($arg)*))) };
}

pub(crate) use outln;
