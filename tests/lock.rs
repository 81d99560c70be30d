//! The run lock from the command line: an OS file lock. A live holder refuses apply and is
//! named; a holder that is killed leaves the lock free; `force-unlock` removes it; every
//! writing run releases it.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use accord::lock::{FileLock, LockBackend, LockInfo};
use common::{NOW, run, workspace};

/// Set in a child of this test binary: the workspace whose lock [`hold_the_lock`] takes.
const HOLD: &str = "ACCORD_TEST_HOLD_LOCK";

/// Not a test of its own: in a child started by [`Holder::start`] it takes the workspace's
/// lock as an `accord apply` would, says so, and holds it until it is killed.
#[test]
fn hold_the_lock() {
    let Some(ws) = std::env::var_os(HOLD) else {
        return;
    };
    let info = LockInfo {
        started_at: NOW.parse().unwrap(),
        ..LockInfo::current("accord apply --auto-approve")
    };
    let _guard = FileLock::for_workspace(Path::new(&ws))
        .acquire(&info)
        .expect("the holder takes the lock");
    println!("holding");
    std::thread::sleep(std::time::Duration::from_secs(60));
}

/// A child process holding the workspace's lock; SIGKILLed on drop.
struct Holder(Child);

impl Holder {
    fn start(ws: &Path) -> Holder {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "hold_the_lock",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(HOLD, ws)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn the holder");
        let out = BufReader::new(child.stdout.take().unwrap());
        // Wrapped at once, so the child is killed and waited for whatever happens next.
        let holder = Holder(child);
        for line in out.lines() {
            if line.unwrap().contains("holding") {
                return holder;
            }
        }
        panic!("the holder ended without taking the lock");
    }

    fn pid(&self) -> u32 {
        self.0.id()
    }

    /// SIGKILL: the process cannot release anything itself.
    fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Holder {
    fn drop(&mut self) {
        self.kill();
    }
}

fn lock_file(ws: &Path) -> std::path::PathBuf {
    ws.join(".accord").join("lock")
}

#[test]
fn a_live_lock_refuses_apply_and_names_its_holder() {
    let (_tmp, ws) = workspace("policies/lab");
    let holder = Holder::start(&ws);
    let dir = ws.to_str().unwrap();
    let (code, stdout, stderr) = run(&["apply", dir, "--auto-approve"]);
    assert_eq!(code, 1, "stdout: {stdout}\nstderr: {stderr}");
    assert!(
        stderr.contains(&format!("pid {}", holder.pid())),
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
    assert_eq!(held["pid"], holder.pid());

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
    let holder = Holder::start(&ws);
    let (code, _, stderr) = run(&["apply", plan.to_str().unwrap()]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains(&format!("pid {}", holder.pid())),
        "{stderr}"
    );
}

#[test]
fn a_killed_holders_lock_is_simply_free() {
    let (_tmp, ws) = workspace("policies/lab");
    let mut holder = Holder::start(&ws);
    let pid = holder.pid();
    let dir = ws.to_str().unwrap();
    let (code, _, stderr) = run(&["apply", dir, "--auto-approve"]);
    assert_eq!(code, 1, "held while it runs: {stderr}");
    // SIGKILL: no chance to clean up; its details stay in the file, its OS lock does not.
    holder.kill();
    assert!(lock_file(&ws).exists());
    let (code, stdout, stderr) = run(&["apply", dir, "--auto-approve"]);
    assert_eq!(code, 0, "stdout: {stdout}\nstderr: {stderr}");
    assert!(
        stderr.contains(&format!("the last run to hold this lock, pid {pid}")),
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

    // A live holder's lock: removed from under it, with a warning that it runs on.
    let mut holder = Holder::start(&ws);
    let (code, stdout, stderr) = run(&["force-unlock", dir]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("removed"), "{stdout}");
    assert!(
        stdout.contains(&format!("pid {}", holder.pid())),
        "{stdout}"
    );
    assert!(stdout.contains("accord apply --auto-approve"), "{stdout}");
    assert!(stderr.contains("still holds the removed lock"), "{stderr}");
    assert!(!lock_file(&ws).exists());
    let (code, stdout, stderr) = run(&["apply", dir, "--auto-approve"]);
    assert_eq!(code, 0, "stdout: {stdout}\nstderr: {stderr}");
    holder.kill();

    // A killed holder's leftover: free already, and said so.
    let mut holder = Holder::start(&ws);
    let pid = holder.pid();
    holder.kill();
    let (code, stdout, stderr) = run(&["force-unlock", dir]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("it was free"), "{stdout}");
    assert!(stdout.contains(&format!("pid {pid}")), "{stdout}");
    assert!(!lock_file(&ws).exists());
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
