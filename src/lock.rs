//! The run lock: at most one accord run writes through a workspace at a time.
//!
//! [`LockBackend`] is the one abstraction; [`FileLock`] implements it on this machine with
//! `<workspace>/.accord/lock`, a JSON [`LockInfo`] created atomically (`create_new`) and removed
//! when the [`LockGuard`] drops. A lock whose holder ran on this host and is no longer alive is
//! **stale** and is taken over. Across machines (CI runners) the guard is the CI system's own
//! concurrency control, e.g. GitHub Actions' `concurrency:`; a remote backend (a lock in a
//! shared store) would implement [`LockBackend`] too.

use std::fmt;
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

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

    /// Whether the holder ran on this host and is no longer alive (so it can be taken over).
    pub fn is_stale(&self) -> bool {
        self.host == hostname() && process_alive(self.pid) == Some(false)
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
        "the workspace is locked by {holder}: another accord run is writing. Wait for it to finish; if it is not running, remove the lock with: accord force-unlock {}",
        shell_word(workspace)
    )]
    Held {
        /// The holder.
        holder: Box<LockInfo>,
        /// The workspace folder (for the force-unlock hint).
        workspace: PathBuf,
    },
    /// The lock exists but says nothing readable about its holder.
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
    /// Another run is taking over the same stale lock right now.
    #[error(
        "another accord run is taking over the stale lock {} right now; try again",
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
    /// A lock held by this holder.
    Lock(LockInfo),
    /// A lock whose content was unreadable.
    Unreadable(String),
}

/// A place a run lock lives; [`FileLock`] is the local one.
pub trait LockBackend {
    /// Takes the lock for `info`, taking over a stale one; the guard releases it on drop.
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

    /// The stale holder this lock was taken over from, if any.
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

/// The local lock: `<workspace>/.accord/lock`.
#[derive(Debug, Clone)]
pub struct FileLock {
    workspace: PathBuf,
    path: PathBuf,
}

/// A takeover marker older than this was left by a crashed run and is ignored.
const TAKEOVER_TIMEOUT: Duration = Duration::from_secs(30);
/// How often [`FileLock::acquire`] looks again while another run takes over a stale lock…
const TAKEOVER_ROUNDS: usize = 20;
/// …and how long it waits between looks.
const TAKEOVER_PAUSE: Duration = Duration::from_millis(100);

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

    /// The lock file's raw content, or `None` when there is no lock.
    fn read_raw(&self) -> Result<Option<String>, LockError> {
        match fs::read_to_string(&self.path) {
            Ok(text) => Ok(Some(text)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(self.io(&self.path)(e)),
        }
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

    /// Creates the lock file for `info`; `Ok(false)` when one exists already.
    fn try_create(&self, info: &LockInfo) -> Result<bool, LockError> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let mut attempts = 0;
        let mut file = loop {
            fs::create_dir_all(dir).map_err(self.io(dir))?;
            match OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&self.path)
            {
                Ok(f) => break f,
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Ok(false),
                // A run releasing its lock removed the empty `.accord/` meanwhile.
                Err(e) if e.kind() == io::ErrorKind::NotFound && attempts < 3 => attempts += 1,
                Err(e) => return Err(self.io(&self.path)(e)),
            }
        };
        let text = serde_json::to_string_pretty(info).expect("lock info serialises") + "\n";
        if let Err(e) = file
            .write_all(text.as_bytes())
            .and_then(|()| file.sync_all())
        {
            let _ = fs::remove_file(&self.path);
            return Err(self.io(&self.path)(e));
        }
        Ok(true)
    }

    /// Removes the stale lock whose content is `stale`, unless someone changed it meanwhile;
    /// `Ok(false)` when another run is taking it over right now. A marker file
    /// (`lock.takeover`, created atomically) makes concurrent takeovers take turns.
    fn remove_stale(&self, stale: &str) -> Result<bool, LockError> {
        let marker = self.path.with_extension("takeover");
        let created = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&marker);
        match created {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                let abandoned = fs::metadata(&marker)
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| SystemTime::now().duration_since(t).ok())
                    .is_some_and(|age| age > TAKEOVER_TIMEOUT);
                if abandoned {
                    let _ = fs::remove_file(&marker);
                }
                return Ok(false);
            }
            Err(e) => return Err(self.io(&marker)(e)),
        }
        let result = match self.read_raw() {
            Ok(Some(now)) if now == stale => match fs::remove_file(&self.path) {
                Ok(()) => Ok(true),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
                Err(e) => Err(self.io(&self.path)(e)),
            },
            // Gone or replaced meanwhile: the next attempt looks again.
            Ok(_) => Ok(false),
            Err(e) => Err(e),
        };
        let _ = fs::remove_file(&marker);
        result
    }

    fn guard(&self, info: &LockInfo, took_over: Option<LockInfo>) -> LockGuard {
        let path = self.path.clone();
        let ours = info.clone();
        LockGuard::new(
            move || {
                // Remove the lock only if it is still ours: after a force-unlock another run
                // may hold it now.
                let still_ours = fs::read_to_string(&path)
                    .ok()
                    .and_then(|t| serde_json::from_str::<LockInfo>(&t).ok())
                    .is_some_and(|held| held == ours);
                if still_ours && fs::remove_file(&path).is_ok() {
                    // A run leaves no trace: `.accord/` goes too when the lock was all it held.
                    if let Some(dir) = path.parent() {
                        let _ = fs::remove_dir(dir);
                    }
                }
            },
            took_over,
        )
    }
}

impl LockBackend for FileLock {
    fn acquire(&self, info: &LockInfo) -> Result<LockGuard, LockError> {
        let mut took_over = None;
        // A few rounds: a lock released or taken over between our reads is looked at again.
        for _ in 0..TAKEOVER_ROUNDS {
            if self.try_create(info)? {
                return Ok(self.guard(info, took_over));
            }
            let Some(text) = self.read_raw()? else {
                continue;
            };
            let holder = self.parse(&text)?;
            if !holder.is_stale() {
                return Err(LockError::Held {
                    holder: Box::new(holder),
                    workspace: self.workspace.clone(),
                });
            }
            if self.remove_stale(&text)? {
                took_over = Some(holder);
            } else {
                std::thread::sleep(TAKEOVER_PAUSE);
            }
        }
        Err(LockError::Contended {
            path: self.path.clone(),
        })
    }

    fn holder(&self) -> Result<Option<LockInfo>, LockError> {
        match self.read_raw()? {
            Some(text) => self.parse(&text).map(Some),
            None => Ok(None),
        }
    }

    fn force_unlock(&self) -> Result<Removed, LockError> {
        let Some(text) = self.read_raw()? else {
            return Ok(Removed::Nothing);
        };
        let removed = match self.parse(&text) {
            Ok(holder) => Removed::Lock(holder),
            Err(LockError::Unreadable { reason, .. }) => Removed::Unreadable(reason),
            Err(e) => return Err(e),
        };
        match fs::remove_file(&self.path) {
            Ok(()) => Ok(removed),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Removed::Nothing),
            Err(e) => Err(self.io(&self.path)(e)),
        }
    }
}

/// This run's command line, as `accord ARGS…` (secrets are never arguments).
pub fn command_line() -> String {
    std::iter::once("accord".to_string())
        .chain(std::env::args().skip(1))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether process `pid` on this host is alive: `None` when this platform cannot tell.
pub fn process_alive(pid: u32) -> Option<bool> {
    if cfg!(target_os = "linux") {
        let stat = match fs::read_to_string(Path::new("/proc").join(pid.to_string()).join("stat")) {
            Ok(s) => s,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Some(false),
            Err(_) => return None,
        };
        // `pid (comm) state …`: comm may hold spaces and parentheses, so split at the last ')'.
        // A zombie (Z) or dead (X) process has exited; only its parent has not reaped it.
        let state = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next());
        Some(!matches!(state, Some("Z" | "X")))
    } else {
        None
    }
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

    fn info(pid: u32) -> LockInfo {
        LockInfo {
            pid,
            ..LockInfo::current("accord apply")
        }
    }

    /// A pid that is not running: a child that has exited and been reaped.
    fn dead_pid() -> u32 {
        let mut child = std::process::Command::new("true")
            .spawn()
            .expect("spawn true");
        let pid = child.id();
        child.wait().expect("wait");
        pid
    }

    #[test]
    fn acquire_writes_the_holder_and_drop_releases() {
        let dir = tempfile::tempdir().unwrap();
        let lock = FileLock::for_workspace(dir.path());
        let me = LockInfo::current("accord apply .");
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
        let _held = lock.acquire(&info(std::process::id())).unwrap();
        let err = lock.acquire(&info(std::process::id())).unwrap_err();
        let message = err.to_string();
        assert!(matches!(err, LockError::Held { .. }), "{message}");
        assert!(message.contains(&format!("pid {}", std::process::id())));
        assert!(message.contains("accord force-unlock"), "{message}");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_stale_lock_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let lock = FileLock::for_workspace(dir.path());
        let stale = info(dead_pid());
        assert!(stale.is_stale());
        std::mem::forget(lock.acquire(&stale).unwrap());
        let me = info(std::process::id());
        let guard = lock.acquire(&me).unwrap();
        assert_eq!(guard.took_over(), Some(&stale));
        assert_eq!(lock.holder().unwrap(), Some(me));
        drop(guard);
        assert!(!lock.path().exists());
        assert!(!lock.path().with_extension("takeover").exists());
    }

    #[test]
    fn a_dead_pid_on_another_host_is_not_stale() {
        let other = LockInfo {
            host: format!("{}-elsewhere", hostname()),
            ..info(dead_pid())
        };
        assert!(!other.is_stale());
    }

    #[test]
    fn release_leaves_a_lock_someone_else_took() {
        let dir = tempfile::tempdir().unwrap();
        let lock = FileLock::for_workspace(dir.path());
        let guard = lock.acquire(&info(std::process::id())).unwrap();
        assert!(matches!(lock.force_unlock().unwrap(), Removed::Lock(_)));
        let other = LockInfo {
            command: "accord reset".into(),
            ..info(std::process::id())
        };
        let _theirs = lock.acquire(&other).unwrap();
        drop(guard);
        assert_eq!(lock.holder().unwrap(), Some(other));
    }

    #[test]
    fn force_unlock_reports_what_it_removed() {
        let dir = tempfile::tempdir().unwrap();
        let lock = FileLock::for_workspace(dir.path());
        assert_eq!(lock.force_unlock().unwrap(), Removed::Nothing);
        fs::create_dir_all(lock.path().parent().unwrap()).unwrap();
        fs::write(lock.path(), "").unwrap();
        assert!(matches!(
            lock.acquire(&info(1)).unwrap_err(),
            LockError::Unreadable { .. }
        ));
        assert_eq!(
            lock.force_unlock().unwrap(),
            Removed::Unreadable("it is empty".into())
        );
        assert!(!lock.path().exists());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_takeover_in_progress_makes_acquire_wait_then_give_up() {
        let dir = tempfile::tempdir().unwrap();
        let lock = FileLock::for_workspace(dir.path());
        let stale = info(dead_pid());
        std::mem::forget(lock.acquire(&stale).unwrap());
        let marker = lock.path().with_extension("takeover");
        fs::write(&marker, "").unwrap();
        // A fresh marker: someone is taking over right now, and never finishes.
        assert!(matches!(
            lock.acquire(&info(std::process::id())).unwrap_err(),
            LockError::Contended { .. }
        ));
        assert!(marker.exists());
        // A marker left by a crashed run is ignored once it is old.
        let old = SystemTime::now() - 2 * TAKEOVER_TIMEOUT;
        fs::File::options()
            .write(true)
            .open(&marker)
            .and_then(|f| f.set_modified(old))
            .unwrap();
        let guard = lock.acquire(&info(std::process::id())).unwrap();
        assert_eq!(guard.took_over(), Some(&stale));
        assert!(!marker.exists());
    }

    #[test]
    fn process_liveness() {
        if cfg!(target_os = "linux") {
            assert_eq!(process_alive(std::process::id()), Some(true));
            assert_eq!(process_alive(dead_pid()), Some(false));
        } else {
            assert_eq!(process_alive(std::process::id()), None);
        }
    }

    #[test]
    fn hints_quote_odd_folders() {
        assert_eq!(shell_word(Path::new("policies/lab")), "policies/lab");
        assert_eq!(shell_word(Path::new("my lab")), "'my lab'");
        assert_eq!(shell_word(Path::new("it's")), r"'it'\''s'");
    }
}
