//! Shared helpers of the integration tests: temporary copies of example workspaces, the
//! binary under test, and snapshot settings.
#![allow(dead_code)]

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

/// Runs accord with the fixed clock and returns (exit code, stdout, stderr).
pub fn run(args: &[&str]) -> (i32, String, String) {
    let out = accord()
        .args(args)
        .args(["--now", NOW])
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
