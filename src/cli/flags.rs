//! The flags several commands share, each flattened into exactly the commands it affects
//! (`validate --help` lists no `--target`): where to connect, the clock, and how apply runs.
//! Only `-v` and `--no-color` are global.

use std::path::PathBuf;

use chrono::{DateTime, Utc};

use super::Command;
use super::access::AccessCommand;
use crate::http::{DEFAULT_READ_CONCURRENCY, HttpOptions};

/// Where to connect: the flags of every command that reads or writes the live services.
#[derive(Debug, Clone, clap::Args)]
pub struct TargetArgs {
    /// A named target from accord.yaml, or the URL of a running `accord emulate` (loopback only).
    #[arg(long, value_name = "NAME|URL")]
    pub target: Option<String>,
    /// Extra root certificates (PEM) for institutional GCS endpoints (also ACCORD_CA_FILE).
    #[arg(long, value_name = "FILE", env = "ACCORD_CA_FILE")]
    pub ca_file: Option<PathBuf>,
    /// How many reads of each service run at once (within its documented rate limit).
    #[arg(long, default_value_t = DEFAULT_READ_CONCURRENCY, value_name = "N", value_parser = parse_read_parallelism)]
    pub read_parallelism: usize,
}

impl Default for TargetArgs {
    fn default() -> TargetArgs {
        TargetArgs {
            target: None,
            ca_file: None,
            read_parallelism: DEFAULT_READ_CONCURRENCY,
        }
    }
}

impl TargetArgs {
    /// The HTTP client's options these flags ask for; `write_parallelism` is apply's
    /// `--parallelism` (requests of one service in flight never go below it).
    pub fn http_options(&self, write_parallelism: usize) -> HttpOptions {
        let defaults = HttpOptions::default();
        HttpOptions {
            ca_file: self.ca_file.clone(),
            read_concurrency: self.read_parallelism,
            max_concurrency: defaults.max_concurrency.max(write_parallelism),
            ..defaults
        }
    }
}

/// The clock, for the commands where expiry matters.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ClockArgs {
    /// The clock, for expiry (RFC 3339, e.g. 2026-12-01T00:00:00Z).
    #[arg(long, value_name = "TIMESTAMP", value_parser = parse_now)]
    pub now: Option<DateTime<Utc>>,
}

/// How apply runs its calls (one place for the settings of a run's concurrency).
#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    /// How many calls run at once during apply.
    #[arg(long, default_value_t = 8, value_name = "N")]
    pub parallelism: usize,
}

impl Default for RunArgs {
    fn default() -> RunArgs {
        RunArgs { parallelism: 8 }
    }
}

/// The shared flags one command line was given, defaults for those its command does not take.
#[derive(Debug, Clone, Default)]
pub struct Flags {
    /// Where to connect.
    pub target: TargetArgs,
    /// The clock.
    pub clock: ClockArgs,
    /// How apply runs.
    pub run: RunArgs,
}

impl Command {
    /// The shared flags of this command.
    pub(super) fn flags(&self) -> Flags {
        let mut f = Flags::default();
        match self {
            Command::Plan { target, clock, .. }
            | Command::Drift { target, clock, .. }
            | Command::Import { target, clock, .. }
            | Command::Serve { target, clock, .. } => {
                (f.target, f.clock) = (target.clone(), clock.clone());
            }
            Command::Apply {
                target, clock, run, ..
            } => (f.target, f.clock, f.run) = (target.clone(), clock.clone(), run.clone()),
            Command::Access { question } => {
                let (target, clock) = match question {
                    AccessCommand::Who { target, clock, .. }
                    | AccessCommand::What { target, clock, .. } => (target, clock),
                    AccessCommand::Review(r) => (&r.target, &r.clock),
                };
                (f.target, f.clock) = (target.clone(), clock.clone());
            }
            Command::Reset { target, .. } => f.target.target = target.clone(),
            Command::Emulate { clock, .. } => f.clock = clock.clone(),
            Command::Validate { .. }
            | Command::Show { .. }
            | Command::Schema { .. }
            | Command::ForceUnlock { .. }
            | Command::Completions { .. }
            | Command::Man => {}
        }
        f
    }
}

fn parse_now(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("`{s}` is not an RFC 3339 timestamp with a timezone ({e})"))
}

/// `--read-parallelism`: 1 to 256.
fn parse_read_parallelism(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n @ 1..=256) => Ok(n),
        _ => Err(format!("`{s}` is not a number from 1 to 256")),
    }
}
