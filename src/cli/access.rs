//! `accord access who|what`: standing access and the chains granting it (`crate::access`).

use super::*;
use crate::access::{self, AccessError, Question, Source};

/// Where `accord access` answers from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum From {
    /// The desired state alone, with no network call.
    Policy,
    /// The live services, read-only (the same reads as drift).
    Live,
    /// Both, each grant marked declared, live, or both.
    #[default]
    Both,
}

/// Output formats of `accord access`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum AccessFormat {
    /// For people at a terminal.
    #[default]
    Text,
    /// For programs.
    Json,
}

/// The questions `accord access` answers.
#[derive(Debug, Subcommand)]
pub enum AccessCommand {
    /// Every principal with effective access to RESOURCE, and the chains granting it.
    Who {
        /// The resource (see the forms below).
        resource: String,
        /// The workspace folder.
        dir: Option<PathBuf>,
        /// Where to answer from.
        #[arg(long, value_enum, default_value_t)]
        from: From,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: AccessFormat,
    },
    /// Everything PRINCIPAL can reach, across every service, and the chains granting it.
    What {
        /// An alias, a username, identity:<uuid>, group:<name>, group:<uuid>, a service's own
        /// principal (boss-user:<name>, boss-group:<name>), or a special principal
        /// (all_authenticated_users, anonymous, public).
        principal: String,
        /// The workspace folder.
        dir: Option<PathBuf>,
        /// Where to answer from.
        #[arg(long, value_enum, default_value_t)]
        from: From,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: AccessFormat,
    },
}

/// The resource forms every registered service reads, for `--help`.
pub(super) fn resource_help() -> String {
    let mut s = String::from("Resources:\n");
    for f in crate::plan::access::forms() {
        s.push_str(&format!("  {f}\n"));
    }
    s
}

impl Ctx<'_> {
    pub(super) async fn access(&self, command: &AccessCommand) -> Exit {
        let (question, dir, from, format) = match command {
            AccessCommand::Who {
                resource,
                dir,
                from,
                format,
            } => (Question::Who(resource.clone()), dir, from, format),
            AccessCommand::What {
                principal,
                dir,
                from,
                format,
            } => (Question::What(principal.clone()), dir, from, format),
        };
        let ws = match self.load(dir.as_deref()) {
            Ok(ws) => ws,
            Err(e) => return e,
        };
        let source = match from {
            From::Policy => Source::Policy,
            From::Live => Source::Live,
            From::Both => Source::Both,
        };
        let now = self.cli.now.unwrap_or_else(chrono::Utc::now);
        let answered = if source == Source::Policy {
            access::answer(&ws, &question, source, None, now).await
        } else {
            // Read-only, as drift: an embedded target's state is locked while it is read.
            let _lock = match self.lock(&ws, false) {
                Ok(l) => l,
                Err(e) => return e,
            };
            let conn = match self.connect(Some(&ws)).await {
                Ok(c) => c,
                Err(e) => return e,
            };
            let spinner = progress_spinner("reading live state");
            let answered = access::answer(&ws, &question, source, Some(&conn.session), now).await;
            spinner.finish_and_clear();
            if let Err(e) = conn.finish().await {
                return fail(e);
            }
            answered
        };
        let answer = match answered {
            Ok(a) => a,
            Err(AccessError::Problems(p)) => {
                return self.engine_error(&ws, EngineError::Problems(p));
            }
            Err(AccessError::Engine(e)) => return self.engine_error(&ws, e),
            Err(e) => return fail(e),
        };
        let out = match format {
            AccessFormat::Text => answer.text(),
            AccessFormat::Json => {
                serde_json::to_string_pretty(&answer).expect("answers serialise") + "\n"
            }
        };
        // A closed pipe (`| head`) is not an error worth a panic.
        let _ = std::io::stdout().lock().write_all(out.as_bytes());
        Exit::Ok
    }
}
