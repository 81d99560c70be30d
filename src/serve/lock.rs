//! The workspace lock of `accord serve`: [`SqliteLock`], a [`LockBackend`] (the abstraction
//! the CLI's `.accord/lock` implements) backed by the provider's SQLite store, so that only
//! one apply per workspace runs at a time across every action, every provider process sharing
//! the database, and restarts. [`acquire`] takes the CLI's file lock first (an OS lock the
//! kernel frees when its process dies), so an `accord apply` at a terminal and an action never
//! write through one workspace together, then the store's row. Every live row's holder holds
//! the file lock, so a row found while holding it was left by a provider that died, and is
//! replaced: no process ids are looked at.

use std::io;
use std::path::{Path, PathBuf};

use crate::lock::{FileLock, LockBackend, LockError, LockGuard, LockInfo, Removed};

use super::store::Store;

/// The lock of one workspace in the store (table `workspace_locks`).
#[derive(Debug, Clone)]
pub struct SqliteLock {
    store: Store,
    workspace: String,
    action_id: Option<String>,
}

impl SqliteLock {
    /// The lock of workspace `workspace`, taken for action `action_id`.
    pub fn new(store: Store, workspace: &str, action_id: Option<&str>) -> SqliteLock {
        SqliteLock {
            store,
            workspace: workspace.to_string(),
            action_id: action_id.map(str::to_string),
        }
    }

    fn io(&self, e: impl std::fmt::Display) -> LockError {
        LockError::Io {
            path: PathBuf::from(format!("workspace_locks[{}]", self.workspace)),
            source: io::Error::other(e.to_string()),
        }
    }

    fn parse(&self, text: &str) -> Result<LockInfo, LockError> {
        serde_json::from_str(text).map_err(|e| LockError::Unreadable {
            path: PathBuf::from(format!("workspace_locks[{}]", self.workspace)),
            reason: e.to_string(),
            workspace: PathBuf::from(&self.workspace),
        })
    }
}

impl SqliteLock {
    /// Inserts the row for `info`. A row there already is another holder's, refused, unless
    /// `replace`: then it is a dead provider's (see [`acquire`]), replaced and returned.
    fn take(&self, info: &LockInfo, replace: bool) -> Result<LockGuard, LockError> {
        let ours = serde_json::to_string(info).map_err(|e| self.io(e))?;
        let mut took_over = None;
        for _ in 0..3 {
            let current = self
                .store
                .lock_insert(&self.workspace, &ours, self.action_id.as_deref())
                .map_err(|e| self.io(e))?;
            let Some(text) = current else {
                let store = self.store.clone();
                let workspace = self.workspace.clone();
                return Ok(LockGuard::new(
                    move || {
                        // Only our own row: after a force-unlock it may be someone else's.
                        if let Err(e) = store.lock_delete(&workspace, Some(&ours)) {
                            tracing::error!("releasing the lock of {workspace}: {e}");
                        }
                    },
                    took_over,
                ));
            };
            let holder = self.parse(&text)?;
            if !replace {
                return Err(LockError::Held {
                    holder: Box::new(holder),
                    workspace: PathBuf::from(&self.workspace),
                });
            }
            self.store
                .lock_delete(&self.workspace, Some(&text))
                .map_err(|e| self.io(e))?;
            took_over = Some(holder);
        }
        Err(LockError::Contended {
            path: PathBuf::from(format!("workspace_locks[{}]", self.workspace)),
        })
    }
}

impl LockBackend for SqliteLock {
    /// Takes the row; any row there is a holder's (alive or not: only [`acquire`], holding
    /// the file lock, can tell, and replaces a dead one's).
    fn acquire(&self, info: &LockInfo) -> Result<LockGuard, LockError> {
        self.take(info, false)
    }

    fn holder(&self) -> Result<Option<LockInfo>, LockError> {
        match self
            .store
            .lock_holder(&self.workspace)
            .map_err(|e| self.io(e))?
        {
            Some(text) => self.parse(&text).map(Some),
            None => Ok(None),
        }
    }

    fn force_unlock(&self) -> Result<Removed, LockError> {
        let holder = match self.holder() {
            Ok(Some(h)) => Removed::Lock(h),
            Ok(None) => return Ok(Removed::Nothing),
            Err(LockError::Unreadable { reason, .. }) => Removed::Unreadable(reason),
            Err(e) => return Err(e),
        };
        self.store
            .lock_delete(&self.workspace, None)
            .map_err(|e| self.io(e))?;
        Ok(holder)
    }
}

/// Both locks of a workspace, released together on drop (the store's row first, then the
/// file lock: fields drop in order).
#[derive(Debug)]
pub struct WorkspaceGuard {
    _sqlite: LockGuard,
    _file: LockGuard,
}

/// What stopped [`acquire`].
#[derive(Debug, thiserror::Error)]
pub enum Busy {
    /// Another action or run holds the lock.
    #[error("{0}")]
    Held(Box<LockInfo>),
    /// The lock could not be read or written.
    #[error(transparent)]
    Failed(LockError),
}

/// Takes the file lock of workspace `name` (folder `root`), then the store's row, replacing a
/// row a dead provider left.
pub fn acquire(
    store: &Store,
    name: &str,
    root: &Path,
    action_id: &str,
    info: &LockInfo,
) -> Result<WorkspaceGuard, Busy> {
    let held = |e: LockError| match e {
        LockError::Held { holder, .. } => Busy::Held(holder),
        other => Busy::Failed(other),
    };
    let file = FileLock::for_workspace(root).acquire(info).map_err(held)?;
    let sqlite = SqliteLock::new(store.clone(), name, Some(action_id))
        .take(info, true)
        .map_err(held)?;
    Ok(WorkspaceGuard {
        _sqlite: sqlite,
        _file: file,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(pid: u32, command: &str) -> LockInfo {
        LockInfo {
            pid,
            ..LockInfo::current(command)
        }
    }

    #[test]
    fn one_holder_at_a_time_and_drop_releases() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("ap.db")).unwrap();
        let lock = SqliteLock::new(store.clone(), "lab", Some("a1"));
        let me = info(std::process::id(), "accord serve apply lab");
        let guard = lock.acquire(&me).unwrap();
        assert_eq!(lock.holder().unwrap(), Some(me.clone()));
        let other = SqliteLock::new(store.clone(), "lab", Some("a2"));
        match other.acquire(&info(std::process::id(), "second")) {
            Err(LockError::Held { holder, .. }) => assert_eq!(*holder, me),
            other => panic!("{other:?}"),
        }
        // Another workspace is independent.
        let _elsewhere = SqliteLock::new(store.clone(), "other", None)
            .acquire(&me)
            .unwrap();
        drop(guard);
        assert_eq!(lock.holder().unwrap(), None);
        let _again = other.acquire(&me).unwrap();
    }

    #[test]
    fn a_row_a_dead_provider_left_is_replaced_under_the_file_lock() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("ap.db")).unwrap();
        let root = dir.path().join("lab");
        std::fs::create_dir_all(&root).unwrap();
        // A provider killed mid-action: its row stays, its file lock went with its process.
        let dead = info(4_000_000, "killed");
        let lock = SqliteLock::new(store.clone(), "lab", Some("a1"));
        std::mem::forget(lock.acquire(&dead).unwrap());
        // On its own the store cannot tell a dead holder from a live one.
        assert!(matches!(
            lock.acquire(&info(std::process::id(), "second")),
            Err(LockError::Held { .. })
        ));
        let me = info(std::process::id(), "restarted");
        let guard = acquire(&store, "lab", &root, "a2", &me).unwrap();
        assert_eq!(lock.holder().unwrap(), Some(me));
        drop(guard);
        assert_eq!(lock.holder().unwrap(), None);
        assert_eq!(FileLock::for_workspace(&root).holder().unwrap(), None);
    }

    #[test]
    fn the_workspace_guard_holds_the_file_lock_too() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("ap.db")).unwrap();
        let root = dir.path().join("lab");
        std::fs::create_dir_all(&root).unwrap();
        let me = info(std::process::id(), "accord serve apply lab");
        let guard = acquire(&store, "lab", &root, "a1", &me).unwrap();
        assert!(FileLock::for_workspace(&root).holder().unwrap().is_some());
        // A CLI run holding the file lock makes the action wait.
        drop(guard);
        let cli = FileLock::for_workspace(&root)
            .acquire(&info(std::process::id(), "accord apply"))
            .unwrap();
        assert!(matches!(
            acquire(&store, "lab", &root, "a2", &me),
            Err(Busy::Held(h)) if h.command == "accord apply"
        ));
        // …and the store's lock was given back.
        assert_eq!(SqliteLock::new(store, "lab", None).holder().unwrap(), None);
        drop(cli);
    }
}
