//! The commands around plans: the JSON Schemas, the embedded target's reset, the workspace
//! lock, the emulator and the action provider.

use std::path::Path;

use super::*;

impl Ctx<'_> {
    pub(super) fn schema(&self, out: Option<&Path>) -> Exit {
        let schemas = [
            (
                "policy.schema.json",
                policy::schema::policy_file_schema(&self.services),
            ),
            (
                "accord.schema.json",
                policy::schema::workspace_file_schema(&self.services),
            ),
            ("plan.schema.json", render::plan_schema()),
            ("drift.schema.json", crate::plan::drift::drift_schema()),
            ("access.schema.json", crate::plan::access::answer_schema()),
            (
                "access-review.schema.json",
                crate::plan::access::review_schema(),
            ),
        ];
        match out {
            Some(dir) => {
                if let Err(e) = std::fs::create_dir_all(dir) {
                    return fail(format!("cannot create {}: {e}", dir.display()));
                }
                for (name, schema) in schemas {
                    let path = dir.join(name);
                    let text =
                        serde_json::to_string_pretty(&schema).expect("schemas serialise") + "\n";
                    if let Err(e) = std::fs::write(&path, text) {
                        return fail(format!("cannot write {}: {e}", path.display()));
                    }
                    outln!("wrote {}", path.display());
                }
            }
            None => {
                let all: serde_json::Map<String, serde_json::Value> = schemas
                    .into_iter()
                    .map(|(n, s)| (n.to_string(), s))
                    .collect();
                outln!(
                    "{}",
                    serde_json::to_string_pretty(&all).expect("schemas serialise")
                );
            }
        }
        Exit::Ok
    }

    pub(super) fn reset(&self, dir: Option<&Path>) -> Exit {
        let ws = match self.load(dir) {
            Ok(ws) => ws,
            Err(e) => return e,
        };
        let _lock = match self.lock(&ws, true) {
            Ok(l) => l,
            Err(e) => return e,
        };
        match target::reset(&ws, self.target.target.as_deref()) {
            Ok(msg) => {
                outln!("{msg}");
                Exit::Ok
            }
            Err(e) => fail(e),
        }
    }

    /// Takes the workspace's run lock: always for a run that writes (`writes`), else only when
    /// an embedded target's state is persisted under `.accord/`. The guard releases it.
    pub(super) fn lock(&self, ws: &Workspace, writes: bool) -> Result<Option<LockGuard>, Exit> {
        if !writes && !target::is_embedded(ws, self.target.target.as_deref()) {
            return Ok(None);
        }
        let guard = FileLock::for_workspace(&ws.root)
            .acquire(&LockInfo::current(crate::lock::command_line()))
            .map_err(fail)?;
        if let Some(gone) = guard.took_over() {
            eprintln!(
                "notice: the last run to hold this lock, {}, ended without releasing it; the OS freed it",
                Escaped(gone)
            );
        }
        Ok(Some(guard))
    }

    pub(super) fn force_unlock(&self, dir: Option<&Path>) -> Exit {
        let lock = FileLock::for_workspace(dir.unwrap_or(Path::new(".")));
        let path = lock.path().display().to_string();
        match lock.force_unlock() {
            Ok(Removed::Nothing) => outln!("no lock at {path}; nothing to remove"),
            Ok(Removed::Lock(holder)) => {
                eprintln!(
                    "warning: that run still holds the removed lock and goes on writing; new runs no longer wait for it. Stop it if it hangs (pid {} on host {})",
                    holder.pid,
                    Escaped(&holder.host)
                );
                outln!("removed {path}, held by {}", Escaped(holder));
            }
            Ok(Removed::Free(gone)) => outln!(
                "removed {path}: it was free (the OS frees the lock of a run that ends); it named {}, which ended without releasing it",
                Escaped(gone)
            ),
            Ok(Removed::Unreadable(reason)) => {
                outln!(
                    "removed {path} (its content was unreadable: {})",
                    Escaped(reason)
                )
            }
            Err(e) => return fail(e),
        }
        Exit::Ok
    }

    pub(super) async fn emulate(
        &self,
        listen: std::net::SocketAddr,
        seed: Option<&Path>,
        tls: bool,
        ca_out: Option<&Path>,
    ) -> Exit {
        let tls = tls.then(|| target::EmulateTls {
            ca_out: ca_out.map(Path::to_path_buf),
        });
        match target::emulate(listen, seed, self.now, tls).await {
            Ok(()) => Exit::Ok,
            Err(e) => fail(e),
        }
    }
    pub(super) async fn serve(
        &self,
        listen: std::net::SocketAddr,
        db: &Path,
        workspaces: &Path,
        config: Option<&Path>,
    ) -> Exit {
        use crate::serve::{ServeOptions, config::ServeConfig};
        let config = match config.map(ServeConfig::load).transpose() {
            Ok(c) => c.unwrap_or_default(),
            Err(e) => return fail(e),
        };
        let http = self.target.http_options(config.parallelism);
        let opts = ServeOptions {
            listen,
            db: db.to_path_buf(),
            workspaces: workspaces.to_path_buf(),
            config,
            target: self.target.target.clone(),
            http,
            now: self.now,
            services: self.services.clone(),
        };
        match crate::serve::serve(opts).await {
            Ok(()) => Exit::Ok,
            Err(e) => fail(e),
        }
    }
}

/// `accord completions SHELL`: the completion script, generated from the clap definitions.
pub(super) fn completions(shell: clap_complete::Shell) -> Exit {
    let mut command = <Cli as clap::CommandFactory>::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut command, "accord", &mut out);
    write_stdout(&out)
}

/// `accord man`: the man page (roff), generated from the clap definitions.
pub(super) fn man() -> Exit {
    let command = <Cli as clap::CommandFactory>::command();
    let mut out = Vec::new();
    if let Err(e) = clap_mangen::Man::new(command).render(&mut out) {
        return fail(e);
    }
    write_stdout(&out)
}

/// Writes bytes to stdout; a closed pipe (`| head`) is not an error.
fn write_stdout(bytes: &[u8]) -> Exit {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => Exit::Ok,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Exit::Ok,
        Err(e) => fail(e),
    }
}
