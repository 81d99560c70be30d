//! Logs on stderr (`-v`, `ACCORD_LOG`): one record a line, with every field and message
//! escaped (`crate::escape`), since log fields carry names from policy and live data.

use std::fmt::{self, Write as _};
use std::io::IsTerminal;

use tracing::field::Field;
use tracing_subscriber::field::MakeExt;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::{self, Writer};

use crate::escape::escape_line;

/// Installs the logger of a run: warnings by default, accord's info with `-v`, debug with
/// `-vv`; `ACCORD_LOG` (an `EnvFilter`) overrides. Coloured only when `colour` (no
/// `--no-color`, no non-empty `NO_COLOR`) and stderr is a terminal.
pub fn init(verbose: u8, colour: bool) {
    let default = match verbose {
        0 => "warn",
        1 => "accord=info",
        _ => "accord=debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("ACCORD_LOG")
        .unwrap_or_else(|_| default.into());
    let ansi = colour && std::io::stderr().is_terminal();
    let _ = tracing::subscriber::set_global_default(subscriber(filter, ansi, std::io::stderr));
}

/// The logger writing to `writer` (coloured when `ansi`), its fields escaped.
fn subscriber<W>(
    filter: tracing_subscriber::EnvFilter,
    ansi: bool,
    writer: W,
) -> impl tracing::Subscriber + Send + Sync
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(ansi)
        .with_target(false)
        .fmt_fields(format::debug_fn(escaped_field).delimited(" "))
        .finish()
}

/// One field, `name=value` (the message bare), escaped onto one line.
fn escaped_field(w: &mut Writer<'_>, field: &Field, value: &dyn fmt::Debug) -> fmt::Result {
    let mut text = String::new();
    write!(text, "{value:?}")?;
    match field.name() {
        "message" => w.write_str(&escape_line(&text)),
        name => write!(w, "{name}={}", escape_line(&text)),
    }
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::sync::{Arc, Mutex};

    use super::*;

    /// A log sink the test reads back.
    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Sink {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn fields_and_messages_are_escaped_onto_one_line() {
        let sink = Sink::default();
        let make = {
            let sink = sink.clone();
            move || sink.clone()
        };
        let logger = subscriber("info".into(), false, make);
        tracing::subscriber::with_default(logger, || {
            let name = "lab\x1b]0;pwned\x07\u{202e}";
            tracing::info!(group = %name, "adopted \x1b[2J{}\nforged line", "\u{9b}31m");
        });
        let out = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        assert_eq!(out.lines().count(), 1, "{out}");
        for c in ['\x1b', '\x07', '\u{202e}', '\u{9b}'] {
            assert!(!out.contains(c), "{c:?} in {out}");
        }
        assert!(
            out.contains("adopted \\u{1b}[2J\\u{9b}31m\\u{a}forged line"),
            "{out}"
        );
        assert!(
            out.contains("group=lab\\u{1b}]0;pwned\\u{7}\\u{202e}"),
            "{out}"
        );
    }
}
