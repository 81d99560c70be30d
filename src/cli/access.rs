//! `accord access who|what`: standing access and the chains granting it (`crate::access`).

use super::*;
use crate::access::{self, AccessError, Question, Source};
use crate::plan::access::Window;

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
    /// Markdown: the chains drawn as a Mermaid graph (GitHub draws it), then the text answer.
    Markdown,
    /// The chains as a Mermaid flowchart (members summarised per group past 40 edges).
    Mermaid,
    /// The chains as a Graphviz dot graph (members summarised per group past 40 edges).
    Dot,
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
        #[command(flatten)]
        target: TargetArgs,
        #[command(flatten)]
        clock: ClockArgs,
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
        #[command(flatten)]
        target: TargetArgs,
        #[command(flatten)]
        clock: ClockArgs,
    },
    /// A periodic access review (NIST AC-2 recertification): every holding on every resource
    /// and through what, grants expiring soon, escalated levels, grants to everyone, and (from
    /// live or both) live grants the policy does not explain.
    ///
    /// Markdown is printed unless --format or --out says otherwise; HTML is one
    /// self-contained page (inline style and script, no network), printed too unless --out
    /// names a file.
    Review(ReviewArgs),
}

/// Output formats of `accord access review`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ReviewFormat {
    /// GitHub-flavoured markdown (tables; long lists fold into <details>).
    #[default]
    Markdown,
    /// One self-contained HTML page: inline style, sortable tables, no network fetch.
    Html,
    /// The `Review` (schemas/access-review.schema.json).
    Json,
}

/// The flags of `accord access review`.
#[derive(Debug, clap::Args)]
pub struct ReviewArgs {
    /// The workspace folder.
    pub dir: Option<PathBuf>,
    /// Where to answer from (`live` and `both` also list live grants the policy does not
    /// explain).
    #[arg(long, value_enum, default_value_t)]
    pub from: From,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: ReviewFormat,
    /// List grants expiring within this long of --now (or the clock): 30d, 2w, 12h, 1y…
    #[arg(long, value_name = "DURATION", default_value = "30d")]
    pub expiring_within: Window,
    /// Write the report to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Where to connect (with `--from live` or `both`).
    #[command(flatten)]
    pub target: TargetArgs,
    /// The clock.
    #[command(flatten)]
    pub clock: ClockArgs,
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
                ..
            } => (Question::Who(resource.clone()), dir, from, format),
            AccessCommand::What {
                principal,
                dir,
                from,
                format,
                ..
            } => (Question::What(principal.clone()), dir, from, format),
            AccessCommand::Review(args) => return self.review(args).await,
        };
        let ws = match self.load(dir.as_deref()) {
            Ok(ws) => ws,
            Err(e) => return e,
        };
        let now = self.now.unwrap_or_else(chrono::Utc::now);
        let answer = match self.answer(&ws, &question, *from, now).await {
            Ok(a) => a,
            Err(e) => return e,
        };
        let graph = crate::plan::access::render::graph::Graph::of;
        let out = match format {
            AccessFormat::Text => answer.text(),
            AccessFormat::Json => {
                serde_json::to_string_pretty(&answer).expect("answers serialise") + "\n"
            }
            AccessFormat::Markdown => crate::plan::access::render::graph::markdown(&answer),
            AccessFormat::Mermaid => graph(&answer).mermaid(),
            AccessFormat::Dot => graph(&answer).dot(),
        };
        // A closed pipe (`| head`) is not an error worth a panic.
        out::print(&out);
        // As for the answer's states: the exit frees the loaded workspace faster.
        std::mem::forget(ws);
        Exit::Ok
    }

    /// Answers one question about a loaded workspace from where `from` says: the policy
    /// alone, or (locked and connected, read-only as drift) the live services.
    pub(super) async fn answer(
        &self,
        ws: &Workspace,
        question: &Question,
        from: From,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<crate::plan::access::Answer, Exit> {
        let (ws, question) = (ws, question.clone());
        let source = match from {
            From::Policy => Source::Policy,
            From::Live => Source::Live,
            From::Both => Source::Both,
        };
        let answered = if source == Source::Policy {
            access::answer(ws, &question, source, None, now).await
        } else {
            // Read-only, as drift: an embedded target's state is locked while it is read.
            let _lock = self.lock(ws, false)?;
            let conn = self.connect(Some(ws)).await?;
            let reading = super::progress::Reading::start(
                "reading live state",
                conn.session.activity.clone(),
            );
            let answered = access::answer(ws, &question, source, Some(&conn.session), now).await;
            reading.finish();
            conn.finish().await.map_err(fail)?;
            answered
        };
        match answered {
            Ok(a) => {
                // This command ends soon: the process's exit frees these states faster.
                std::mem::forget(a.computed_from);
                Ok(a.answer)
            }
            Err(AccessError::Problems(p)) => Err(self.engine_error(ws, EngineError::Problems(p))),
            Err(AccessError::Engine(e)) => Err(self.engine_error(ws, e)),
            Err(e) => Err(fail(e)),
        }
    }
}
