//! clap commands: wiring only. Each command maps flags onto one engine call and renders
//! the result; errors are rendered once, here, with spans where a policy file is at fault.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::apply::{ApplyReport, ChangeStatus};
use crate::engine::{self, EngineError, PlanOptions};
use crate::escape::{Escaped, escape_line};
use crate::lock::{FileLock, LockBackend, LockGuard, LockInfo, Removed};
use crate::plan::render::{self, RenderOptions};
use crate::plan::{Plan, planfile};
use crate::policy::diagnostics::{Diagnostics, error_at};
use crate::policy::{self, Workspace};
use crate::service::Services;
use crate::state::Address;
use crate::target::{self, Connected};
use miette::{GraphicalReportHandler, GraphicalTheme};

mod access;
mod admin;
mod apply;
mod flags;
mod interrupt;
mod out;
mod progress;
mod review;

use out::outln;

pub use flags::{ClockArgs, Flags, RunArgs, TargetArgs};

/// The version `--version` prints: the crate's, and the commit it was built from when the
/// build had git (`0.1.0 (abcdef0)`).
pub const VERSION: &str = env!("ACCORD_VERSION");

/// accord: declarative permissions for research data, planned and applied like code.
#[derive(Debug, Parser)]
#[command(name = "accord", version = VERSION, about, long_about = None)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
    /// More output: -v lists system-managed objects and logs calls; -vv logs more.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// No colours (also NO_COLOR).
    #[arg(long, global = true)]
    pub no_color: bool,
}

/// Output formats of plan, show and drift.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    /// For people at a terminal.
    #[default]
    Text,
    /// For pull-request comments.
    Markdown,
    /// For programs; validated by schemas/plan.schema.json (drift: schemas/drift.schema.json).
    Json,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Parse and check a workspace; no network.
    Validate {
        /// The workspace folder.
        dir: Option<PathBuf>,
    },
    /// Show what apply would change.
    Plan {
        /// The workspace folder.
        dir: Option<PathBuf>,
        /// Save the plan to this file (apply it later with `accord apply FILE`).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
        /// Exit 2 when there are changes (0 when none).
        #[arg(long)]
        detailed_exitcode: bool,
        /// Keep only changes at or under these addresses.
        #[arg(long, value_name = "ADDRESS", num_args = 1..)]
        only: Vec<String>,
        /// Allow up to N removals for this run.
        #[arg(long, value_name = "N")]
        allow_deletes: Option<u32>,
        /// Plan only the revocation of expired grants.
        #[arg(long)]
        only_expired: bool,
        /// Also list grants that expire within this window (e.g. 7d, 36h, 2w).
        #[arg(long, value_name = "DURATION")]
        expiring_within: Option<crate::plan::access::Window>,
        #[command(flatten)]
        target: TargetArgs,
        #[command(flatten)]
        clock: ClockArgs,
    },
    /// Apply the policy (or a saved plan file) to the live services.
    Apply {
        /// The workspace folder, or a saved plan file.
        path: Option<PathBuf>,
        /// Do not ask for confirmation.
        #[arg(long)]
        auto_approve: bool,
        /// Keep only changes at or under these addresses.
        #[arg(long, value_name = "ADDRESS", num_args = 1..)]
        only: Vec<String>,
        /// Revoke only grants whose `expires` has passed (what a scheduled job runs).
        #[arg(long)]
        only_expired: bool,
        /// Allow up to N removals for this run.
        #[arg(long, value_name = "N")]
        allow_deletes: Option<u32>,
        #[command(flatten)]
        target: TargetArgs,
        #[command(flatten)]
        clock: ClockArgs,
        #[command(flatten)]
        run: RunArgs,
    },
    /// Render a saved plan file.
    Show {
        /// The plan file.
        planfile: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Report where the live services differ from the policy (read-only; exit 2 on drift).
    Drift {
        /// The workspace folder.
        dir: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
        #[command(flatten)]
        target: TargetArgs,
        #[command(flatten)]
        clock: ClockArgs,
    },
    /// Who can reach a resource, what a principal can reach (with the chains granting it), and
    /// the periodic access review.
    Access {
        /// The question.
        #[command(subcommand)]
        question: access::AccessCommand,
    },
    /// Write a workspace from the live state of groups and endpoints (planning it shows no change).
    #[command(group(clap::ArgGroup::new("what").required(true).multiple(true).args(["group", "endpoint"])))]
    Import {
        /// A group to import, by id or by name among your groups (repeatable).
        #[arg(long, value_name = "NAME|ID", value_parser = |v: &str| import_value("group", v))]
        group: Vec<String>,
        /// A collection or endpoint whose ACL rules to import, by UUID (repeatable).
        #[arg(long, value_name = "ID", value_parser = |v: &str| import_value("endpoint", v))]
        endpoint: Vec<String>,
        /// The folder to write; it must be new or empty.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        #[command(flatten)]
        target: TargetArgs,
        #[command(flatten)]
        clock: ClockArgs,
    },
    /// Write the JSON Schemas (policy files, accord.yaml, plan and drift JSON, access answers).
    Schema {
        /// Write into this folder instead of printing.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Start an embedded target's state again from its seed.
    Reset {
        /// The workspace folder.
        dir: Option<PathBuf>,
        /// A named embedded target from accord.yaml.
        #[arg(long, value_name = "NAME")]
        target: Option<String>,
    },
    /// Remove the workspace's run lock, left by a run that did not finish.
    ForceUnlock {
        /// The workspace folder.
        dir: Option<PathBuf>,
    },
    /// Serve the emulator of every managed service.
    Emulate {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8470", value_name = "ADDR")]
        listen: std::net::SocketAddr,
        /// Seed file (YAML); without one the emulator starts empty but for a default client.
        #[arg(long, value_name = "FILE")]
        seed: Option<PathBuf>,
        /// Serve HTTPS with a fresh self-signed CA (the official clients need https for GCS).
        #[arg(long)]
        tls: bool,
        /// With --tls: where to write the CA certificate (PEM) clients must trust
        /// [default: accord-emulator-ca-PORT.pem in the temp dir].
        #[arg(long, value_name = "FILE", requires = "tls")]
        ca_out: Option<PathBuf>,
        #[command(flatten)]
        clock: ClockArgs,
    },
    /// Print a shell completion script (e.g. `accord completions bash > /etc/bash_completion.d/accord`).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff; e.g. `accord man > accord.1`).
    Man,
    /// Serve plan, drift and apply as a Globus Action Provider (see docs/action-provider.md).
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8480", value_name = "ADDR")]
        listen: std::net::SocketAddr,
        /// The SQLite database of actions and their logs (created if missing).
        #[arg(long, default_value = "accord-serve.db", value_name = "FILE")]
        db: PathBuf,
        /// The folder whose sub-folders (each holding accord.yaml) are the workspaces served.
        #[arg(long, default_value = ".", value_name = "DIR")]
        workspaces: PathBuf,
        /// The provider's configuration (YAML): title, scope, visible_to, runnable_by, admins…
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        #[command(flatten)]
        target: TargetArgs,
        #[command(flatten)]
        clock: ClockArgs,
    },
}

/// The exit codes of DESIGN.md: 0 nothing to do, 2 changes or drift, 1 any error, 128 + N
/// after signal N stopped an apply (130 SIGINT, 143 SIGTERM).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Success; for plan and drift, nothing to change.
    Ok,
    /// Changes (plan with --detailed-exitcode) or drift found.
    Changes,
    /// Any error, usage errors included.
    Error,
    /// An apply stopped by this signal (its number).
    Interrupted(u8),
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(match e {
            Exit::Ok => 0,
            Exit::Changes => 2,
            Exit::Error => 1,
            Exit::Interrupted(sig) => 128u8.saturating_add(sig),
        })
    }
}

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    // The services register their resource types, which the help of `access` lists.
    let _ = crate::services::builtin();
    let help = access::resource_help();
    let command = <Cli as clap::CommandFactory>::command().mut_subcommand("access", |c| {
        c.mut_subcommand("who", |w| w.after_help(help.clone()))
    });
    let parsed = command
        .try_get_matches()
        .and_then(|m| <Cli as clap::FromArgMatches>::from_arg_matches(&m));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => {
            // clap exits 2 on usage errors; 2 means "changes" here, so usage errors exit 1.
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    Exit::Ok
                }
                _ => Exit::Error,
            }
            .into();
        }
    };
    crate::logs::init(
        cli.verbose,
        colour(cli.no_color, std::env::var_os("NO_COLOR"), true),
    );
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return Exit::Error.into();
        }
    };
    let exit = runtime.block_on(run(cli));
    // A blocking read left at the apply prompt by a signal must not hold the exit.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    exit.into()
}

/// Whether to colour: not with `--no-color`, not with a non-empty `NO_COLOR` (an empty one
/// does not count, per no-color.org), and only on a terminal.
fn colour(no_color_flag: bool, no_color_env: Option<std::ffi::OsString>, terminal: bool) -> bool {
    !no_color_flag && no_color_env.is_none_or(|v| v.is_empty()) && terminal
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> Exit {
    let color = colour(
        cli.no_color,
        std::env::var_os("NO_COLOR"),
        std::io::stdout().is_terminal(),
    );
    let flags = cli.command.flags();
    let ctx = Ctx {
        cli: &cli,
        target: flags.target,
        now: flags.clock.now,
        parallelism: flags.run.parallelism,
        render: RenderOptions {
            color,
            verbose: cli.verbose > 0,
        },
        services: crate::services::builtin(),
    };
    match &cli.command {
        Command::Validate { dir } => ctx.validate(dir.as_deref()),
        Command::Plan {
            dir,
            out,
            format,
            detailed_exitcode,
            only,
            allow_deletes,
            only_expired,
            expiring_within,
            ..
        } => {
            let opts = match ctx.plan_options(only, *only_expired, *allow_deletes) {
                Ok(o) => PlanOptions {
                    expiring_within: expiring_within
                        .as_ref()
                        .map(crate::plan::access::Window::to_chrono),
                    ..o
                },
                Err(e) => return e,
            };
            ctx.plan(
                dir.as_deref(),
                out.as_deref(),
                *format,
                *detailed_exitcode,
                &opts,
            )
            .await
        }
        Command::Apply {
            path,
            auto_approve,
            only,
            only_expired,
            allow_deletes,
            ..
        } => {
            let opts = match ctx.plan_options(only, *only_expired, *allow_deletes) {
                Ok(o) => o,
                Err(e) => return e,
            };
            ctx.apply(path.as_deref(), *auto_approve, &opts).await
        }
        Command::Show { planfile, format } => ctx.show(planfile, *format),
        Command::Drift { dir, format, .. } => ctx.drift(dir.as_deref(), *format).await,
        Command::Access { question } => ctx.access(question).await,
        Command::Import {
            group,
            endpoint,
            out,
            ..
        } => {
            let values = [("group", group), ("endpoint", endpoint)]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect();
            ctx.import(crate::import::Request { values }, out).await
        }
        Command::Schema { out } => ctx.schema(out.as_deref()),
        Command::Completions { shell } => admin::completions(*shell),
        Command::Man => admin::man(),
        Command::Reset { dir, .. } => ctx.reset(dir.as_deref()),
        Command::ForceUnlock { dir } => ctx.force_unlock(dir.as_deref()),
        Command::Emulate {
            listen,
            seed,
            tls,
            ca_out,
            ..
        } => {
            ctx.emulate(*listen, seed.as_deref(), *tls, ca_out.as_deref())
                .await
        }
        Command::Serve {
            listen,
            db,
            workspaces,
            config,
            ..
        } => ctx.serve(*listen, db, workspaces, config.as_deref()).await,
    }
}

struct Ctx<'a> {
    cli: &'a Cli,
    /// Where to connect (`--target`, `--ca-file`), for the commands that take them.
    target: TargetArgs,
    /// The clock (`--now`).
    now: Option<chrono::DateTime<chrono::Utc>>,
    /// Calls at once during apply (`--parallelism`).
    parallelism: usize,
    render: RenderOptions,
    /// The services accord manages.
    services: Services,
}

/// Checks an `accord import --SELECTOR VALUE` with the importer of that selector.
fn import_value(selector: &str, value: &str) -> Result<String, String> {
    crate::services::builtin()
        .iter()
        .filter_map(|s| s.importer())
        .find(|i| i.selector() == selector)
        .ok_or_else(|| format!("nothing imports `--{selector}`"))?
        .parse(value)
}

/// Prints an error for people on stderr; names in it may come from files or services, so
/// its control characters are escaped.
fn fail(message: impl std::fmt::Display) -> Exit {
    eprintln!("error: {}", Escaped(message));
    Exit::Error
}

impl Ctx<'_> {
    fn plan_options(
        &self,
        only: &[String],
        only_expired: bool,
        allow_deletes: Option<u32>,
    ) -> Result<PlanOptions, Exit> {
        let mut parsed = Vec::new();
        for o in only {
            match Address::parse_prefix(o) {
                Ok(a) => parsed.push(a),
                Err(e) => return Err(fail(format!("--only {o}: {e}"))),
            }
        }
        Ok(PlanOptions {
            now: self.now,
            only: parsed,
            only_expired,
            allow_deletes,
            expiring_within: None,
        })
    }

    fn load(&self, dir: Option<&Path>) -> Result<Workspace, Exit> {
        let dir = dir.unwrap_or(Path::new("."));
        policy::load_workspace(dir, &self.services).map_err(|d| {
            self.diagnostics(&d);
            Exit::Error
        })
    }

    /// Renders policy diagnostics on stderr, with snippets (colour only on a terminal).
    fn diagnostics(&self, d: &Diagnostics) {
        let color = colour(
            self.cli.no_color,
            std::env::var_os("NO_COLOR"),
            std::io::stderr().is_terminal(),
        );
        let theme = if color {
            GraphicalTheme::unicode()
        } else {
            GraphicalTheme::unicode_nocolor()
        };
        let handler = GraphicalReportHandler::new_themed(theme);
        eprint!("{}", d.render(&handler));
    }

    fn validate(&self, dir: Option<&Path>) -> Exit {
        match self.load(dir) {
            Ok(ws) => {
                outln!(
                    "{}: valid ({} file(s); {})",
                    ws.root.display(),
                    ws.files.len(),
                    ws.policy.summary()
                );
                Exit::Ok
            }
            Err(e) => e,
        }
    }

    /// Connects to the target named by `--target` or the workspace.
    async fn connect(&self, ws: Option<&Workspace>) -> Result<Connected, Exit> {
        let http = self.target.http_options(self.parallelism);
        target::connect_with(
            &self.services,
            ws,
            self.target.target.as_deref(),
            self.now,
            http,
        )
        .await
        .map_err(fail)
    }

    /// Renders an engine error: policy problems with spans, others plainly.
    fn engine_error(&self, ws: &Workspace, e: EngineError) -> Exit {
        match e {
            EngineError::Problems(p) => {
                let diags = Diagnostics(
                    p.0.iter()
                        .map(|p| {
                            let d =
                                error_at(&ws.files, &p.origin, p.message.clone(), p.help.clone());
                            p.related
                                .iter()
                                .fold(d, |d, (o, label)| d.also_at(&ws.files, o, label))
                        })
                        .collect(),
                );
                self.diagnostics(&diags);
                Exit::Error
            }
            other => fail(other),
        }
    }

    fn print(&self, plan: &Plan, format: Format) {
        let out = match format {
            Format::Text => render::text(plan, &self.render),
            Format::Markdown => render::markdown(plan, &self.render),
            Format::Json => {
                // Streamed: at scale the JSON is tens of megabytes.
                let mut stdout = std::io::BufWriter::new(out::Stdout);
                let _ = render::write_json(plan, &mut stdout).and_then(|()| stdout.flush());
                return;
            }
        };
        out::print(&out);
        if !out.ends_with('\n') {
            out::print("\n");
        }
    }

    async fn make_plan(
        &self,
        ws: &Workspace,
        conn: &Connected,
        opts: &PlanOptions,
    ) -> Result<engine::Planned, Exit> {
        let reading = progress::Reading::start("reading live state", conn.session.activity.clone());
        let planned = engine::plan(ws, &conn.session, opts).await;
        reading.finish();
        planned.map_err(|e| self.engine_error(ws, e))
    }

    async fn plan(
        &self,
        dir: Option<&Path>,
        out: Option<&Path>,
        format: Format,
        detailed: bool,
        opts: &PlanOptions,
    ) -> Exit {
        let mut planned = match self.read_and_plan(dir, opts).await {
            Ok(p) => p,
            Err(e) => return e,
        };
        // With `--out`, a plan that is saved goes only to its file (`accord show FILE`
        // renders it); a refused plan, which is not saved, is printed as without `--out`.
        let saving = out.is_some() && !planned.plan.is_refused();
        if !saving {
            self.print(&planned.plan, format);
        }
        if self.cli.verbose > 0 && format == Format::Text {
            print_system_managed(&planned.live.system_managed);
        }
        if planned.plan.is_refused() {
            return Exit::Error;
        }
        if let Some(out) = out {
            // The saved plan knows its workspace, so `accord apply FILE` works from anywhere.
            planned.plan.workspace = planfile::workspace_path(dir.unwrap_or(Path::new(".")));
            if let Err(e) = planfile::write(out, &planned.plan) {
                return fail(format!("cannot write {}: {e}", out.display()));
            }
            eprintln!(
                "Saved the plan to {}. Apply it with: accord apply {} (show it with: accord show {})",
                out.display(),
                out.display(),
                out.display()
            );
        }
        if detailed && !planned.plan.is_empty() {
            Exit::Changes
        } else {
            Exit::Ok
        }
    }

    /// Loads, locks (an embedded target saves its state), connects, plans and disconnects:
    /// what `plan` and `drift` share.
    async fn read_and_plan(
        &self,
        dir: Option<&Path>,
        opts: &PlanOptions,
    ) -> Result<engine::Planned, Exit> {
        let ws = self.load(dir)?;
        let _lock = self.lock(&ws, false)?;
        let conn = self.connect(Some(&ws)).await?;
        let result = self.make_plan(&ws, &conn, opts).await;
        let saved = conn.finish().await;
        let planned = result?;
        saved.map_err(fail)?;
        Ok(planned)
    }

    fn show(&self, path: &Path, format: Format) -> Exit {
        match planfile::read(path) {
            Ok(plan) => {
                self.print(&plan, format);
                Exit::Ok
            }
            Err(e) => fail(e),
        }
    }

    async fn drift(&self, dir: Option<&Path>, format: Format) -> Exit {
        // Drift is a plan nobody applies: the same diff, read-only, exit 2 when non-empty.
        let opts = PlanOptions {
            now: self.now,
            ..PlanOptions::default()
        };
        let planned = match self.read_and_plan(dir, &opts).await {
            Ok(p) => p,
            Err(e) => return e,
        };
        let drift = crate::plan::drift::drift(&planned.plan);
        match format {
            Format::Text => out::print(&drift.text(&self.render)),
            Format::Markdown => out::print(&drift.markdown()),
            Format::Json => outln!("{}", drift.json()),
        }
        if planned.plan.is_empty() {
            Exit::Ok
        } else {
            Exit::Changes
        }
    }

    async fn import(&self, request: crate::import::Request, out: &Path) -> Exit {
        use crate::import;
        // Refused before any call, so a mistaken --out costs nothing.
        if let Err(e) = import::check_out(out) {
            return fail(e);
        }
        // A URL target needs no workspace; a named one (or the default) comes from the
        // workspace in the current folder, as for the other commands; outside a workspace,
        // import reads the real services (target `globus`).
        let is_url = self
            .target
            .target
            .as_deref()
            .is_some_and(|t| t.starts_with("http://") || t.starts_with("https://"));
        let ws = if is_url || !Path::new("accord.yaml").exists() {
            None
        } else {
            match self.load(None) {
                Ok(ws) => Some(ws),
                Err(e) => return e,
            }
        };
        let conn = match self.connect(ws.as_ref()).await {
            Ok(c) => c,
            Err(e) => return e,
        };
        let reading = progress::Reading::start("reading live state", conn.session.activity.clone());
        let now = self.now.unwrap_or_else(chrono::Utc::now);
        let result = import::read(&self.services, &conn.session, &request, now).await;
        reading.finish();
        let saved = conn.finish().await;
        let imported = match result {
            Ok(i) => i,
            Err(e) => return fail(e),
        };
        if let Err(e) = saved {
            return fail(e);
        }
        let files = import::render(&imported, &self.services);
        if let Err(e) = import::write(out, &files, &self.services) {
            return fail(e);
        }
        outln!("Imported {} into {}.", imported.counts(), out.display());
        // An embedded target's state stays with its own workspace: no command plans against it.
        if imported.target.kind != "embedded" {
            let target = self
                .target
                .target
                .as_deref()
                .map(|t| format!(" --target {t}"))
                .unwrap_or_default();
            outln!(
                "Planning it shows no change: accord plan {}{target}",
                out.display()
            );
        }
        Exit::Ok
    }
}

/// Lists (with `-v`) the live objects the services manage themselves, which accord never plans:
/// role-derived Transfer rules, the creator's own memberships and roles, and the like.
fn print_system_managed(objects: &[crate::state::Object]) {
    if objects.is_empty() {
        return;
    }
    outln!("\nSystem-managed (never planned):");
    for o in objects {
        outln!("  {}", escape_line(&o.address.to_string()));
    }
}

#[cfg(test)]
mod colour_tests {
    use super::colour;

    #[test]
    fn only_a_non_empty_no_color_or_the_flag_turns_colour_off() {
        assert!(colour(false, None, true));
        assert!(colour(false, Some("".into()), true), "an empty NO_COLOR");
        assert!(!colour(false, Some("1".into()), true));
        assert!(!colour(true, None, true), "--no-color");
        assert!(!colour(false, None, false), "not a terminal");
    }
}
