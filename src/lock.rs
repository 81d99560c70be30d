//! The run lock: at most one accord run writes through a workspace at a time.
//!
//! [`LockBackend`] is the one abstraction; [`FileLock`] implements it on this machine with
//! `<workspace>/.accord/lock`, a file the run holds an **OS file lock** on (`flock` on Unix,
//! `LockFileEx` on Windows, through `std::fs::File::try_lock`). The kernel frees that lock
//! when the holder's process ends, however it ends, so a run that crashed or was killed
//! leaves a free lock: there is no staleness to judge. While held, the file also holds a JSON
//! [`LockInfo`] (pid, host, user, command, start) for the "locked by …" message; a clean
//! release removes the file. Across machines (CI runners) the guard is the CI system's own
//! concurrency control, e.g. GitHub Actions' `concurrency:`; a remote backend (a lock in a
//! shared store) would implement [`LockBackend`] too.

use std::fmt;
use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

/// Who holds a lock: written into the lock when it is taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockInfo {
    /// The holder's process id.
    pub pid: u32,
    /// The holder's host name.
    pub host: String,
    /// The user running the holder.
    pub user: String,
    /// The holder's command line.
    pub command: String,
    /// When the holder took the lock (RFC 3339, wall clock).
    pub started_at: DateTime<Utc>,
    /// The accord version of the holder.
    pub version: String,
}

impl LockInfo {
    /// Describes this process, running `command`, starting now.
    pub fn current(command: impl Into<String>) -> LockInfo {
        LockInfo {
            pid: std::process::id(),
            host: hostname(),
            user: username(),
            command: command.into(),
            started_at: Utc::now(),
            version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }
}

impl fmt::Display for LockInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "pid {} on host {} (user {}, `{}`, accord {}, started {})",
            self.pid,
            self.host,
            self.user,
            self.command,
            self.version,
            self.started_at.to_rfc3339_opts(SecondsFormat::Secs, true)
        )
    }
}

/// Why a lock could not be taken or removed.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another run holds the lock.
    #[error(
        "the workspace is locked by {holder}: another accord run is writing. Wait for it to finish; if it hangs, stop it, or remove the lock with: accord force-unlock {}",
        shell_word(workspace)
    )]
    Held {
        /// The holder.
        holder: Box<LockInfo>,
        /// The workspace folder (for the force-unlock hint).
        workspace: PathBuf,
    },
    /// The lock is held but says nothing readable about its holder.
    #[error(
        "the workspace is locked, but {} is unreadable ({reason}). If no accord run is writing, remove it with: accord force-unlock {}",
        path.display(),
        shell_word(workspace)
    )]
    Unreadable {
        /// The lock file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
        /// The workspace folder.
        workspace: PathBuf,
    },
    /// The lock kept changing hands while this run tried to take it.
    #[error(
        "the lock {} kept changing hands while this run tried to take it; try again",
        path.display()
    )]
    Contended {
        /// The lock file.
        path: PathBuf,
    },
    /// The file system failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
}

/// What [`LockBackend::force_unlock`] removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Removed {
    /// There was no lock.
    Nothing,
    /// A lock a live run held: that run goes on, but new runs no longer wait for it.
    Lock(LockInfo),
    /// A free lock file, with the details of the run that last held it and ended without
    /// releasing it (a crash); it was no obstacle.
    Free(LockInfo),
    /// A lock whose content was unreadable.
    Unreadable(String),
}

/// A place a run lock lives; [`FileLock`] is the local one.
pub trait LockBackend {
    /// Takes the lock for `info`; the guard releases it on drop.
    fn acquire(&self, info: &LockInfo) -> Result<LockGuard, LockError>;
    /// The current holder, if the lock is held.
    fn holder(&self) -> Result<Option<LockInfo>, LockError>;
    /// Removes the lock whoever holds it, and says what was removed.
    fn force_unlock(&self) -> Result<Removed, LockError>;
}

/// A held lock; dropping it releases the lock.
#[must_use = "the lock is released when the guard drops"]
pub struct LockGuard {
    release: Option<Box<dyn FnOnce() + Send>>,
    took_over: Option<LockInfo>,
}

impl LockGuard {
    /// A guard that runs `release` once, when dropped.
    pub fn new(release: impl FnOnce() + Send + 'static, took_over: Option<LockInfo>) -> LockGuard {
        LockGuard {
            release: Some(Box::new(release)),
            took_over,
        }
    }

    /// The run that held this lock last and ended without releasing it, if any.
    pub fn took_over(&self) -> Option<&LockInfo> {
        self.took_over.as_ref()
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        if let Some(release) = self.release.take() {
            release();
        }
    }
}

impl fmt::Debug for LockGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LockGuard")
            .field("took_over", &self.took_over)
            .finish_non_exhaustive()
    }
}

/// The local lock: `<workspace>/.accord/lock`, held with an OS file lock.
#[derive(Debug, Clone)]
pub struct FileLock {
    workspace: PathBuf,
    path: PathBuf,
}

/// How often [`FileLock::acquire`] looks again when the lock changes hands under it…
const ROUNDS: usize = 50;
/// …and how long it waits between looks (a holder that has just locked the file is writing
/// its details).
const PAUSE: Duration = Duration::from_millis(20);

impl FileLock {
    /// The lock of the workspace folder `workspace`.
    pub fn for_workspace(workspace: &Path) -> FileLock {
        FileLock {
            workspace: workspace.to_path_buf(),
            path: workspace.join(".accord").join("lock"),
        }
    }

    /// The lock file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn io(&self, path: &Path) -> impl FnOnce(io::Error) -> LockError + use<> {
        let path = path.to_path_buf();
        move |source| LockError::Io { path, source }
    }

    /// Opens the lock file, creating it (and `.accord/`) when `create`; `None` when it does
    /// not exist and is not to be created.
    fn open(&self, create: bool) -> Result<Option<File>, LockError> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let mut attempts = 0;
        loop {
            if create {
                fs::create_dir_all(dir).map_err(self.io(dir))?;
            }
            match OpenOptions::new()
                .read(true)
                .write(true)
                .create(create)
                .truncate(false)
                .open(&self.path)
            {
                Ok(f) => return Ok(Some(f)),
                Err(e) if e.kind() == io::ErrorKind::NotFound && !create => return Ok(None),
                // A run releasing its lock removed the empty `.accord/` meanwhile.
                Err(e) if e.kind() == io::ErrorKind::NotFound && attempts < 3 => attempts += 1,
                Err(e) => return Err(self.io(&self.path)(e)),
            }
        }
    }

    /// Takes the OS lock of `file` without waiting: `Ok(false)` when another holds it, or when
    /// `file` is no longer the lock (a release or force-unlock removed it meanwhile).
    fn try_lock(&self, file: &File) -> Result<bool, LockError> {
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => return Ok(false),
            Err(TryLockError::Error(e)) => return Err(self.io(&self.path)(e)),
        }
        if is_the_lock(file, &self.path) {
            Ok(true)
        } else {
            let _ = file.unlock();
            Ok(false)
        }
    }

    fn read(&self, mut file: &File) -> Result<String, LockError> {
        let mut text = String::new();
        file.rewind()
            .and_then(|()| file.read_to_string(&mut text))
            .map_err(self.io(&self.path))?;
        Ok(text)
    }

    fn parse(&self, text: &str) -> Result<LockInfo, LockError> {
        serde_json::from_str(text).map_err(|e| LockError::Unreadable {
            path: self.path.clone(),
            reason: if text.trim().is_empty() {
                "it is empty".into()
            } else {
                e.to_string()
            },
            workspace: self.workspace.clone(),
        })
    }

    /// The holder's details in a file another process has locked; a holder that has just
    /// taken the lock may still be writing them, so an empty file is read again a few times.
    fn held_by(&self, file: &File) -> Result<LockInfo, LockError> {
        let mut text = self.read(file)?;
        for _ in 0..ROUNDS {
            if !text.trim().is_empty() {
                break;
            }
            std::thread::sleep(PAUSE);
            text = self.read(file)?;
        }
        self.parse(&text)
    }

    /// Writes `info` into the locked `file`, replacing what a run that died left there.
    fn write(&self, mut file: &File, info: &LockInfo) -> Result<(), LockError> {
        let text = serde_json::to_string_pretty(info).expect("lock info serialises") + "\n";
        file.set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| file.write_all(text.as_bytes()))
            .and_then(|()| file.sync_all())
            .map_err(self.io(&self.path))
    }

    fn guard(&self, file: File, took_over: Option<LockInfo>) -> LockGuard {
        let path = self.path.clone();
        LockGuard::new(
            move || {
                // Remove the file only if it is still ours: after a force-unlock another run
                // may hold a new one there. Closing `file` then frees the OS lock.
                if is_the_lock(&file, &path) {
                    let _ = file.set_len(0);
                    if cfg!(unix) && fs::remove_file(&path).is_ok() {
                        // A run leaves no trace: `.accord/` goes too when the lock was all
                        // it held.
                        if let Some(dir) = path.parent() {
                            let _ = fs::remove_dir(dir);
                        }
                    }
                }
                drop(file);
            },
            took_over,
        )
    }
}

impl LockBackend for FileLock {
    fn acquire(&self, info: &LockInfo) -> Result<LockGuard, LockError> {
        // A few rounds: a lock file removed between our open and our lock is opened again.
        for _ in 0..ROUNDS {
            let file = self.open(true)?.expect("created");
            if self.try_lock(&file)? {
                // What a run that died while holding it left there, if anything.
                let left = self.read(&file)?;
                let took_over = serde_json::from_str::<LockInfo>(&left).ok();
                self.write(&file, info)?;
                return Ok(self.guard(file, took_over));
            }
            if !is_the_lock(&file, &self.path) {
                continue;
            }
            let holder = self.held_by(&file)?;
            return Err(LockError::Held {
                holder: Box::new(holder),
                workspace: self.workspace.clone(),
            });
        }
        Err(LockError::Contended {
            path: self.path.clone(),
        })
    }

    fn holder(&self) -> Result<Option<LockInfo>, LockError> {
        let Some(file) = self.open(false)? else {
            return Ok(None);
        };
        match file.try_lock() {
            // Free: whatever is written there is a dead run's.
            Ok(()) => Ok(None),
            Err(TryLockError::WouldBlock) => self.held_by(&file).map(Some),
            Err(TryLockError::Error(e)) => Err(self.io(&self.path)(e)),
        }
    }

    /// Removes the lock file. A free lock's file is removed under its lock. A held one is
    /// unlinked from under its holder (on Unix; elsewhere the removal fails): the holder runs
    /// on, unaware, and the next run takes a new lock. Stopping that run is the caller's call.
    fn force_unlock(&self) -> Result<Removed, LockError> {
        let Some(file) = self.open(false)? else {
            return Ok(Removed::Nothing);
        };
        let free = self.try_lock(&file)?;
        let text = self.read(&file)?;
        let removed = match self.parse(&text) {
            Ok(holder) if free => Removed::Free(holder),
            Ok(holder) => Removed::Lock(holder),
            Err(_) if free && text.trim().is_empty() => Removed::Nothing,
            Err(LockError::Unreadable { reason, .. }) => Removed::Unreadable(reason),
            Err(e) => return Err(e),
        };
        match fs::remove_file(&self.path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Removed::Nothing),
            Err(e) => return Err(self.io(&self.path)(e)),
        }
        if let Some(dir) = self.path.parent() {
            let _ = fs::remove_dir(dir);
        }
        Ok(removed)
    }
}

/// Whether the open `file` is still the one at `path` (not removed or replaced since it was
/// opened). Where the platform cannot tell, it is taken to be.
fn is_the_lock(file: &File, path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (file.metadata(), fs::metadata(path)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (file, path);
        true
    }
}

/// This run's command line, as `accord ARGS…` (secrets are never arguments).
pub fn command_line() -> String {
    std::iter::once("accord".to_string())
        .chain(std::env::args().skip(1))
        .collect::<Vec<_>>()
        .join(" ")
}

/// This machine's host name.
pub fn hostname() -> String {
    let from_file = ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|p| fs::read_to_string(p).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    from_file
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

fn username() -> String {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "unknown".into())
}

/// `dir` as one shell word, for hints people paste.
fn shell_word(dir: &Path) -> String {
    let s = dir.display().to_string();
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+:@,".contains(c))
    {
        s
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(command: &str) -> LockInfo {
        LockInfo::current(command)
    }

    /// Leaves in the workspace's lock file what a run killed while holding it leaves: its
    /// details, and no OS lock.
    fn leave_dead_holder(lock: &FileLock, holder: &LockInfo) {
        fs::create_dir_all(lock.path().parent().unwrap()).unwrap();
        fs::write(lock.path(), serde_json::to_string(holder).unwrap()).unwrap();
    }

    #[test]
    fn acquire_writes_the_holder_and_drop_releases() {
        let dir = tempfile::tempdir().unwrap();
        let lock = FileLock::for_workspace(dir.path());
        let me = info("accord apply .");
        let guard = lock.acquire(&me).unwrap();
        assert!(guard.took_over().is_none());
        assert_eq!(lock.holder().unwrap(), Some(me.clone()));
        let text = fs::read_to_string(lock.path()).unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        for field in ["pid", "host", "user", "command", "started_at", "version"] {
            assert!(json.get(field).is_some(), "{field} missing in {text}");
        }
        drop(guard);
        assert!(!lock.path().exists());
        assert!(
            !dir.path().join(".accord").exists(),
            "an empty .accord/ goes too"
        );
        assert_eq!(lock.holder().unwrap(), None);
    }

    #[test]
    fn a_live_holder_refuses_a_second_acquire() {
        let dir = tempfile::tempdir().unwrap();
        let lock = FileLock::for_workspace(dir.path());
        let _held = lock.acquire(&info("accord apply")).unwrap();
        let err = lock.acquire(&info("accord reset")).unwrap_err();
        let message = err.to_string();
        assert!(matches!(err, LockError::Held { .. }), "{message}");
        assert!(message.contains(&format!("pid {}", std::process::id())));
        assert!(message.contains("`accord apply`"), "{message}");
        assert!(message.contains("accord force-unlock"), "{message}");
    }

    #[test]
    fn a_dead_holders_lock_is_free() {
        let dir = tempfile::tempdir().unwrap();
        let lock = FileLock::for_workspace(dir.path());
        let dead = LockInfo {
            pid: 4_000_000,
            ..info("accord apply --auto-approve")
        };
        leave_dead_holder(&lock, &dead);
        // Nobody holds the OS lock: the details left there are no holder.
        assert_eq!(lock.holder().unwrap(), None);
        let me = info("accord apply");
        let guard = lock.acquire(&me).unwrap();
        assert_eq!(guard.took_over(), Some(&dead));
        assert_eq!(lock.holder().unwrap(), Some(me));
        drop(guard);
        assert!(!lock.path().exists());
    }

    #[test]
    fn a_held_lock_with_no_details_is_unreadable() {
        let dir = tempfile::tempdir().unwrap();
        let lock = FileLock::for_workspace(dir.path());
        fs::create_dir_all(lock.path().parent().unwrap()).unwrap();
        let raw = File::create(lock.path()).unwrap();
        raw.try_lock().unwrap();
        match lock.acquire(&info("accord apply")).unwrap_err() {
            LockError::Unreadable { reason, .. } => assert_eq!(reason, "it is empty"),
            other => panic!("{other}"),
        }
        assert_eq!(
            lock.force_unlock().unwrap(),
            Removed::Unreadable("it is empty".into())
        );
        assert!(!lock.path().exists());
    }

    #[cfg(unix)]
    #[test]
    fn release_leaves_a_lock_someone_else_took() {
        let dir = tempfile::tempdir().unwrap();
        let lock = FileLock::for_workspace(dir.path());
        let mine = info("accord apply");
        let guard = lock.acquire(&mine).unwrap();
        assert_eq!(lock.force_unlock().unwrap(), Removed::Lock(mine));
        let other = info("accord reset");
        let _theirs = lock.acquire(&other).unwrap();
        drop(guard);
        assert_eq!(lock.holder().unwrap(), Some(other));
    }

    #[test]
    fn force_unlock_reports_what_it_removed() {
        let dir = tempfile::tempdir().unwrap();
        let lock = FileLock::for_workspace(dir.path());
        assert_eq!(lock.force_unlock().unwrap(), Removed::Nothing);
        let dead = info("accord apply --auto-approve");
        leave_dead_holder(&lock, &dead);
        assert_eq!(lock.force_unlock().unwrap(), Removed::Free(dead));
        assert!(!lock.path().exists());
        fs::create_dir_all(lock.path().parent().unwrap()).unwrap();
        fs::write(lock.path(), "").unwrap();
        assert_eq!(lock.force_unlock().unwrap(), Removed::Nothing);
        assert!(!lock.path().exists());
    }

    #[test]
    fn hints_quote_odd_folders() {
        assert_eq!(shell_word(Path::new("policies/lab")), "policies/lab");
        assert_eq!(shell_word(Path::new("my lab")), "'my lab'");
        assert_eq!(shell_word(Path::new("it's")), r"'it'\''s'");
    }
}
