//! `accord apply`: a saved plan or a fresh one, confirmed, applied with progress, and each
//! change's outcome reported.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::Arc;

use super::interrupt::{self, Interrupt};
use super::progress::{Applying, change_line};
use super::*;

impl Ctx<'_> {
    /// `accord apply`, answering SIGINT and SIGTERM: before applying, a signal ends the run
    /// (nothing was applied); while applying, it stops new work and the run ends with the
    /// summary. Either way the lock is released and the exit is 128 + the signal's number.
    pub(super) async fn apply(
        &self,
        path: Option<&Path>,
        auto_approve: bool,
        opts: &PlanOptions,
    ) -> Exit {
        let interrupt = Interrupt::install();
        let exit = tokio::select! {
            exit = self.apply_run(path, auto_approve, opts, &interrupt) => exit,
            sig = interrupt.before_apply() => {
                eprintln!("\n{}: stopped before applying; nothing was applied.", interrupt::name(sig));
                return Exit::Interrupted(sig);
            }
        };
        match interrupt.signal() {
            Some(sig) => {
                outln!(
                    "Interrupted by {}: changes not started were skipped. Run apply again: it re-reads the live state and converges.",
                    interrupt::name(sig)
                );
                Exit::Interrupted(sig)
            }
            None => exit,
        }
    }

    async fn apply_run(
        &self,
        path: Option<&Path>,
        auto_approve: bool,
        opts: &PlanOptions,
        interrupt: &Arc<Interrupt>,
    ) -> Exit {
        let path = path.unwrap_or(Path::new("."));
        if path.is_file() {
            return self.apply_saved(path, interrupt).await;
        }
        let ws = match self.load(Some(path)) {
            Ok(ws) => ws,
            Err(e) => return e,
        };
        let _lock = match self.lock(&ws, true) {
            Ok(l) => l,
            Err(e) => return e,
        };
        let conn = match self.connect(Some(&ws)).await {
            Ok(c) => c,
            Err(e) => return e,
        };
        let exit = self
            .plan_and_apply(&ws, &conn, auto_approve, opts, interrupt)
            .await;
        match conn.finish().await {
            Ok(()) => exit,
            Err(e) => fail(e),
        }
    }

    pub(super) async fn plan_and_apply(
        &self,
        ws: &Workspace,
        conn: &Connected,
        auto_approve: bool,
        opts: &PlanOptions,
        interrupt: &Arc<Interrupt>,
    ) -> Exit {
        let planned = match self.make_plan(ws, conn, opts).await {
            Ok(p) => p,
            Err(e) => return e,
        };
        self.print(&planned.plan, Format::Text);
        if planned.plan.is_refused() {
            return Exit::Error;
        }
        if planned.plan.is_empty() {
            return Exit::Ok;
        }
        if !auto_approve {
            // Off the async threads, so a signal at the prompt still ends the run.
            match tokio::task::spawn_blocking(confirm).await {
                Ok(Ok(true)) => {}
                Ok(Ok(false)) => return fail("apply cancelled"),
                Ok(Err(e)) => return fail(e),
                Err(e) => return fail(e),
            }
        }
        let report = self
            .run_apply(&planned.plan, conn, &planned.ids, interrupt)
            .await;
        self.report(&planned.plan, &report)
    }

    pub(super) async fn apply_saved(&self, path: &Path, interrupt: &Arc<Interrupt>) -> Exit {
        let plan = match planfile::read(path) {
            Ok(p) => p,
            Err(e) => return fail(e),
        };
        // A saved plan is checked against the workspace it was made from: the folder it
        // records, else (a plan from another machine) the current folder or the plan's.
        let dir = match planfile::workspace_of(&plan, path) {
            Ok(dir) => dir,
            Err(e) => return fail(e),
        };
        let ws = match self.load(Some(&dir)) {
            Ok(ws) => ws,
            Err(e) => return e,
        };
        let _lock = match self.lock(&ws, true) {
            Ok(l) => l,
            Err(e) => return e,
        };
        let conn = match self.connect(Some(&ws)).await {
            Ok(c) => c,
            Err(e) => return e,
        };
        if let Err(e) = planfile::check_current(
            &plan,
            &conn.session.target.name,
            &engine::workspace_digest(&ws),
        ) {
            let _ = conn.finish().await;
            return fail(e);
        }
        // The plan is the approval for exactly what it saw: re-read it and refuse on any change.
        let reading =
            super::progress::Reading::start("re-reading live state", conn.session.activity.clone());
        let rechecked = engine::recheck(&plan, &ws, &conn.session).await;
        reading.finish();
        let exit = match rechecked {
            Ok((differences, _)) if !differences.is_empty() => {
                eprintln!(
                    "error: the live state changed since {} was made; nothing was applied:",
                    path.display()
                );
                for d in &differences {
                    eprintln!("  - {}", escape_line(&d.to_string()));
                }
                eprintln!("Make a new plan (accord plan --out FILE) and review it.");
                Exit::Error
            }
            Ok((_, ids)) => {
                let report = self.run_apply(&plan, &conn, &ids, interrupt).await;
                self.report(&plan, &report)
            }
            Err(e) => self.engine_error(&ws, e),
        };
        match conn.finish().await {
            Ok(()) => exit,
            Err(e) => fail(e),
        }
    }

    pub(super) async fn run_apply(
        &self,
        plan: &Plan,
        conn: &Connected,
        ids: &crate::service::IdMap,
        interrupt: &Arc<Interrupt>,
    ) -> ApplyReport {
        interrupt.applying();
        let bar = Bar {
            plan,
            verbose: self.cli.verbose > 0,
            shown: Applying::new(plan.changes.len()),
            interrupt: interrupt.clone(),
        };
        engine::apply_plan(plan, &conn.session, ids, self.parallelism, &bar).await
    }

    pub(super) fn report(&self, plan: &Plan, report: &ApplyReport) -> Exit {
        let mut out = String::new();
        for (i, (address, status)) in report.results.iter().enumerate() {
            out.push_str(&report_line(plan, i, address, status, self.cli.verbose > 0));
            out.push('\n');
        }
        let applied = report.count(|s| matches!(s, ChangeStatus::Applied));
        let failed = report.count(|s| matches!(s, ChangeStatus::Failed { .. }));
        let blocked = report.count(|s| matches!(s, ChangeStatus::Blocked { .. }));
        let skipped = report.count(|s| matches!(s, ChangeStatus::Skipped));
        out.push_str(&format!(
            "\nApply: {applied} applied, {failed} failed, {blocked} blocked, {skipped} skipped.\n"
        ));
        if failed > 0 {
            out.push_str("A failure stopped new work. Run apply again: it re-reads the live state and converges.\n");
        }
        out::print(&format!("\n{out}"));
        if failed > 0 { Exit::Error } else { Exit::Ok }
    }
}

/// Asks on a TTY; refuses without one.
fn confirm() -> Result<bool, String> {
    if !std::io::stdin().is_terminal() {
        return Err("apply needs confirmation: run it on a terminal, pass --auto-approve, or apply a saved plan file".into());
    }
    eprint!("Apply these changes? Only 'yes' is accepted: ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    Ok(line.trim() == "yes")
}

/// One change's line of the report: its status, label and (with -v) address, escaped.
fn report_line(
    plan: &Plan,
    i: usize,
    address: &Address,
    status: &ChangeStatus,
    verbose: bool,
) -> String {
    let line = change_line(&render::change_label(&plan.changes[i]), status);
    let line = escape_line(&line);
    if verbose {
        format!("{line}    {address}")
    } else {
        line.to_string()
    }
}

/// Apply's progress (on a terminal only: each change's line as it settles, then count, rate
/// and ETA), and the signals that stop new work.
struct Bar<'a> {
    plan: &'a Plan,
    verbose: bool,
    shown: Applying,
    interrupt: Arc<Interrupt>,
}

impl crate::apply::Progress for Bar<'_> {
    fn step_done(&self, done: usize, _total: usize) {
        self.shown.position(done);
    }
    fn change_done(&self, change: usize, status: &ChangeStatus) {
        self.shown.settled(|| {
            let address = &self.plan.changes[change].address;
            report_line(self.plan, change, address, status, self.verbose)
        });
    }
    fn stop_requested(&self) -> bool {
        self.interrupt.signal().is_some()
    }
}
