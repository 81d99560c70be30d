//! Shared helpers of the integration tests: temporary copies of example workspaces, the
//! binary under test, and snapshot settings.
#![allow(dead_code)]

pub mod grants;
pub mod oob;

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// The fixed clock every test passes with `--now`.
pub const NOW: &str = "2026-11-23T00:00:00Z";

/// Copies a workspace (e.g. `policies/lab`) into a fresh temporary folder.
pub fn workspace(rel: &str) -> (tempfile::TempDir, PathBuf) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    let tmp = tempfile::tempdir().expect("tempdir");
    let dst = tmp.path().join(Path::new(rel).file_name().unwrap());
    copy_dir(&src, &dst);
    (tmp, dst)
}

fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for entry in std::fs::read_dir(src).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let to = dst.join(&name);
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &to);
        } else {
            std::fs::copy(entry.path(), &to).unwrap();
        }
    }
}

/// The accord binary, with a clean environment for credentials and colour.
pub fn accord() -> Command {
    let mut cmd = Command::cargo_bin("accord").expect("binary");
    for var in [
        "ACCORD_GLOBUS_CLIENT_ID",
        "ACCORD_GLOBUS_CLIENT_SECRET",
        "ACCORD_ALLOW_HOSTS",
        "ACCORD_LOG",
        "RUST_LOG",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("NO_COLOR", "1")
        .env("ACCORD_TEST_BACKOFF_SCALE", "0.001");
    cmd
}

/// The commands that take `--now`; the others refuse it (no global flags but -v, --no-color).
pub const CLOCKED: &[&str] = &[
    "plan", "apply", "drift", "access", "import", "emulate", "serve",
];

/// `args` with `--now NOW` after them when their command takes the clock.
pub fn with_clock<'a>(args: &[&'a str]) -> Vec<&'a str> {
    let mut all = args.to_vec();
    if args
        .iter()
        .find(|a| !a.starts_with('-'))
        .is_some_and(|c| CLOCKED.contains(c))
    {
        all.extend(["--now", NOW]);
    }
    all
}

/// Runs accord with the fixed clock (when its command takes one) and returns (exit code,
/// stdout, stderr).
pub fn run(args: &[&str]) -> (i32, String, String) {
    let out = accord()
        .args(with_clock(args))
        .output()
        .expect("run accord");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// insta settings: snapshots in the top-level `snapshots/` folder.
pub fn snapshots() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("../snapshots");
    s.set_prepend_module_to_snapshot(false);
    s
}

/// A loopback emulator served in-process (for `--target URL`), on its own runtime, with its
/// clock fixed at [`NOW`].
pub struct Live {
    /// The running server (dropped before the runtime).
    pub running: accord::emulator::RunningEmulator,
    /// The runtime serving it; also runs the tests' own HTTP calls.
    pub rt: tokio::runtime::Runtime,
}

impl Live {
    /// Serves the seed file `rel` (relative to the crate root, e.g. `policies/lab/live.yaml`).
    pub fn from_seed_file(rel: &str) -> Live {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
        let text = std::fs::read_to_string(path).expect("seed file");
        Live::from_seed(
            accord::emulator::Seed::from_yaml_str(&accord::services::builtin(), &text)
                .expect("seed"),
        )
    }

    /// Serves `seed`.
    pub fn from_seed(seed: accord::emulator::Seed) -> Live {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let now = NOW.parse().unwrap();
        let emulator = accord::emulator::Emulator::new_at(seed, now);
        let running = rt
            .block_on(accord::emulator::spawn(emulator))
            .expect("spawn emulator");
        Live { running, rt }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.running.base_url
    }

    /// The emulator being served.
    pub fn emulator(&self) -> &accord::emulator::Emulator {
        &self.running.emulator
    }

    /// The emulator's state (`GET /_emulator/state`).
    pub fn state(&self) -> serde_json::Value {
        self.emulator().snapshot()
    }
}

/// Writes an embedded workspace into `dir`: `accord.yaml` (target `t` on `live.yaml`, the
/// deletion rails opened wide), the seed `live.yaml` and one policy file `policy.yaml`.
pub fn write_embedded(dir: &Path, seed: &str, policy: &str) {
    std::fs::write(
        dir.join("accord.yaml"),
        "policies: [\"policy.yaml\"]\ntargets:\n  t: { embedded: true, seed: live.yaml }\n\
         default_target: t\nsafety: { max_deletes: 1000, max_delete_share: 1.0 }\n",
    )
    .unwrap();
    std::fs::write(dir.join("live.yaml"), seed).unwrap();
    std::fs::write(dir.join("policy.yaml"), policy).unwrap();
}

/// The convergence property on a workspace: one apply succeeds with nothing failed or
/// blocked, the plan after it is empty, and a second apply does nothing. `Err` says which
/// step broke it, with the outputs and `context` (the generated seed and policy).
pub fn converges(dir: &str, context: &str) -> Result<(), String> {
    let (code, out, err) = run(&["apply", dir, "--auto-approve", "--allow-deletes", "1000"]);
    if code != 0 {
        return Err(format!("apply failed\n{out}\n{err}\n{context}"));
    }
    if !(out.contains(" 0 failed, 0 blocked") || out.contains("No changes")) {
        return Err(format!("apply left failures\n{out}\n{context}"));
    }
    let (code, plan, err) = run(&["plan", dir, "--detailed-exitcode"]);
    if code != 0 {
        return Err(format!(
            "not converged after one apply\n{plan}\n{err}\napply:\n{out}\n{context}"
        ));
    }
    let (code, again, _) = run(&["apply", dir, "--auto-approve"]);
    if code != 0 || !again.contains("No changes") {
        return Err(format!("a second apply did something\n{again}\n{context}"));
    }
    Ok(())
}

/// The writes in the emulator's request log: requests that may change state, except token
/// requests and Search queries (`POST /search/v1/index/{id}/search`, how the Search provider
/// reads an index's subjects).
pub fn writes(live: &Live) -> Vec<accord::emulator::RecordedRequest> {
    live.emulator()
        .request_log()
        .into_iter()
        .filter(|r| {
            r.is_write()
                && !r.path.starts_with("/auth/")
                && !(r.path.starts_with("/search/") && r.path.ends_with("/search"))
        })
        .collect()
}

/// After an apply against `live`: the plan is empty, and a second apply says so and sends
/// no write to the services under `prefixes` (`/boss`, `/search`).
pub fn assert_converged_without_writes(live: &Live, dir: &str, url: &str, prefixes: &[&str]) {
    let (code, out, _) = run(&["plan", dir, "--target", url, "--detailed-exitcode"]);
    assert_eq!(code, 0, "converged:\n{out}");
    live.emulator().clear_request_log();
    let (code, out, _) = run(&["apply", dir, "--target", url, "--auto-approve"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("No changes") && !out.contains("Apply:"),
        "{out}"
    );
    let writes: Vec<_> = writes(live)
        .into_iter()
        .filter(|r| prefixes.iter().any(|p| r.path.starts_with(p)))
        .collect();
    assert!(
        writes.is_empty(),
        "a converged apply writes nothing: {writes:?}"
    );
}

/// No character of `out` acts on a terminal: every control character a text output may carry
/// from data is escaped (`accord::escape`); only newlines and tabs remain.
pub fn assert_inert(what: &str, out: &str) {
    if let Some(c) = out
        .chars()
        .find(|c| accord::escape::is_control(*c) || *c == '\r')
    {
        panic!("{what} holds {c:?}:\n{out}");
    }
}

/// A loopback port free right now, for a spawned `accord emulate` or `serve`.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
