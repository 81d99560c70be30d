//! The run lock from the command line: a live holder refuses apply, a stale one is taken
//! over, `force-unlock` removes it, and every writing run releases it.

mod common;

use std::path::Path;
use std::process::{Child, Command};

use common::{NOW, run, workspace};

/// Writes a lock held by `pid` on this host into the workspace at `ws`.
fn write_lock(ws: &Path, pid: u32) {
    let dir = ws.join(".accord");
    std::fs::create_dir_all(&dir).unwrap();
    let lock = serde_json::json!({
        "pid": pid,
        "host": accord::lock::hostname(),
        "user": "someone",
        "command": "accord apply --auto-approve",
        "started_at": NOW,
        "version": "0.1.0",
    });
    std::fs::write(dir.join("lock"), lock.to_string()).unwrap();
}

/// A running process that outlives the test's accord runs; killed on drop.
struct Sleeper(Child);

impl Sleeper {
    fn start() -> Sleeper {
        Sleeper(
            Command::new("sleep")
                .arg("30")
                .spawn()
                .expect("spawn sleep"),
        )
    }
}

impl Drop for Sleeper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The pid of a process that has exited (and been reaped).
fn exited_pid() -> u32 {
    let mut child = Command::new("true").spawn().expect("spawn true");
    let pid = child.id();
    child.wait().unwrap();
    pid
}

fn lock_file(ws: &Path) -> std::path::PathBuf {
    ws.join(".accord").join("lock")
}

#[test]
fn a_live_lock_refuses_apply_and_names_its_holder() {
    let (_tmp, ws) = workspace("policies/lab");
    let sleeper = Sleeper::start();
    write_lock(&ws, sleeper.0.id());
    let dir = ws.to_str().unwrap();
    let (code, stdout, stderr) = run(&["apply", dir, "--auto-approve"]);
    assert_eq!(code, 1, "stdout: {stdout}\nstderr: {stderr}");
    assert!(
        stderr.contains(&format!("pid {}", sleeper.0.id())),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("host {}", accord::lock::hostname())),
        "{stderr}"
    );
    assert!(stderr.contains("started 2026-11-23T00:00:00Z"), "{stderr}");
    assert!(
        stderr.contains(&format!("accord force-unlock {dir}")),
        "{stderr}"
    );
    assert!(stdout.is_empty(), "nothing is planned: {stdout}");
    // Nothing was written: the embedded target still starts from its seed.
    assert!(!ws.join(".accord").join("demo").exists());
    // The holder's lock is untouched.
    let held: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(lock_file(&ws)).unwrap()).unwrap();
    assert_eq!(held["pid"], sleeper.0.id());

    // A saved plan's apply and reset are refused too; plan on an embedded target as well,
    // since it persists the emulator's state.
    let (code, _, stderr) = run(&["reset", dir]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("is locked by"), "{stderr}");
    let (code, _, stderr) = run(&["plan", dir]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("is locked by"), "{stderr}");
}

#[test]
fn a_saved_plan_apply_is_refused_by_a_live_lock() {
    let (_tmp, ws) = workspace("policies/lab");
    let plan = ws.join("plan.json");
    let (code, _, stderr) = run(&[
        "plan",
        ws.to_str().unwrap(),
        "--out",
        plan.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let sleeper = Sleeper::start();
    write_lock(&ws, sleeper.0.id());
    let (code, _, stderr) = run(&["apply", plan.to_str().unwrap()]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains(&format!("pid {}", sleeper.0.id())),
        "{stderr}"
    );
}

#[test]
fn a_stale_lock_is_taken_over_with_a_notice() {
    let (_tmp, ws) = workspace("policies/lab");
    let pid = exited_pid();
    write_lock(&ws, pid);
    let dir = ws.to_str().unwrap();
    let (code, stdout, stderr) = run(&["apply", dir, "--auto-approve"]);
    assert_eq!(code, 0, "stdout: {stdout}\nstderr: {stderr}");
    assert!(
        stderr.contains(&format!("took over a stale lock of pid {pid}")),
        "{stderr}"
    );
    assert!(stdout.contains("Apply: 10 applied"), "{stdout}");
    assert!(!lock_file(&ws).exists(), "apply released the lock");
    let (code, stdout, _) = run(&["plan", dir]);
    assert_eq!(code, 0);
    assert!(stdout.contains("No changes."), "{stdout}");
}

#[test]
fn force_unlock_removes_the_lock_and_says_what_it_removed() {
    let (_tmp, ws) = workspace("policies/lab");
    let dir = ws.to_str().unwrap();
    let (code, stdout, _) = run(&["force-unlock", dir]);
    assert_eq!(code, 0);
    assert!(stdout.contains("no lock at"), "{stdout}");

    let sleeper = Sleeper::start();
    write_lock(&ws, sleeper.0.id());
    let (code, stdout, stderr) = run(&["force-unlock", dir]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("removed"), "{stdout}");
    assert!(
        stdout.contains(&format!("pid {}", sleeper.0.id())),
        "{stdout}"
    );
    assert!(stdout.contains("accord apply --auto-approve"), "{stdout}");
    assert!(stderr.contains("still running"), "{stderr}");
    assert!(!lock_file(&ws).exists());

    let (code, stdout, stderr) = run(&["apply", dir, "--auto-approve"]);
    assert_eq!(code, 0, "stdout: {stdout}\nstderr: {stderr}");
}

#[test]
fn every_writing_run_releases_the_lock() {
    let (_tmp, ws) = workspace("policies/lab");
    let dir = ws.to_str().unwrap();
    for args in [
        &["plan", dir][..],
        &["drift", dir],
        &["apply", dir, "--auto-approve"],
        &["reset", dir],
    ] {
        let (code, _, stderr) = run(args);
        assert_ne!(code, 1, "{args:?}: {stderr}");
        assert!(!lock_file(&ws).exists(), "{args:?} left the lock behind");
    }
    // A failed run releases it too (the unknown target fails after the lock is taken).
    let (code, _, stderr) = run(&["apply", dir, "--auto-approve", "--target", "nope"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("unknown target"), "{stderr}");
    assert!(!lock_file(&ws).exists());
}
