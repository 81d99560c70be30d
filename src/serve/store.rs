//! The SQLite store of actions, their logs and the workspace locks: nothing the provider
//! answered is lost when it stops, however it stops.
//!
//! Connections in WAL mode: reads (status polls) go through a few read connections and never
//! wait for a write's sync; writes go through one writer, with `synchronous=FULL`, so a committed
//! change survives a crash of the process or the machine. Every call is short and
//! synchronous; async callers run writes through [`Store::write`] (a blocking task).
//! Nothing secret is stored: no token, no credential; plans are stored redacted.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde_json::Value;

use super::model::{ActionStatus, Input, Operation, StatusValue};

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed.
    #[error("{0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A stored document did not decode.
    #[error("stored JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The blocking task running a write died.
    #[error("store task: {0}")]
    Task(String),
    /// The database file could not be opened.
    #[error("{path}: {message}")]
    Open {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

/// Where an ACTIVE action is in its run; stored so a restart can say what was interrupted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Accepted, not started.
    Queued,
    /// Waiting for the workspace lock.
    Waiting,
    /// Loading, reading live state and planning.
    Planning,
    /// Sending changes to the services.
    Applying,
    /// Finished.
    Done,
}

impl Phase {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Queued => "queued",
            Phase::Waiting => "waiting",
            Phase::Planning => "planning",
            Phase::Applying => "applying",
            Phase::Done => "done",
        }
    }

    fn parse(s: &str) -> Phase {
        match s {
            "queued" => Phase::Queued,
            "waiting" => Phase::Waiting,
            "planning" => Phase::Planning,
            "applying" => Phase::Applying,
            _ => Phase::Done,
        }
    }
}

/// One stored action: its ActionStatus and what the provider needs besides.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredAction {
    /// The status as answered.
    pub status: ActionStatus,
    /// The caller's request id.
    pub request_id: String,
    /// The canonical request, for idempotency.
    pub fingerprint: String,
    /// The validated input.
    pub input: Input,
    /// Where the run is.
    pub phase: Phase,
    /// The request's deadline (RFC 3339).
    pub deadline: Option<String>,
    /// `release_after` in milliseconds.
    pub release_after_ms: i64,
    /// Who asked to cancel it while it was applying.
    pub cancel_requested_by: Option<String>,
}

/// A log entry (reference B1, log document).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LogEntry {
    /// Position in the action's log, from 1.
    #[serde(skip)]
    pub seq: i64,
    /// When (ISO 8601).
    pub time: String,
    /// A short code (`ActionStarted`, `WaitingForLock`…).
    pub code: String,
    /// For people.
    pub description: String,
    /// More, as JSON.
    pub details: Value,
}

/// What [`Store::insert`] did.
#[derive(Debug)]
pub enum Inserted {
    /// A new action.
    New,
    /// The same caller already used this request id: the existing action.
    Existing(Box<StoredAction>),
}

/// The SQLite store; cheap to clone.
#[derive(Clone)]
pub struct Store {
    writer: Arc<Mutex<Connection>>,
    readers: Arc<Vec<Mutex<Connection>>>,
    next_reader: Arc<std::sync::atomic::AtomicUsize>,
}

/// Read connections (status polls run on them in parallel, never waiting for a write).
const READERS: usize = 4;

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS actions (
  action_id TEXT PRIMARY KEY,
  creator_id TEXT NOT NULL,
  request_id TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  operation TEXT NOT NULL,
  workspace TEXT NOT NULL,
  input TEXT NOT NULL,
  status TEXT NOT NULL,
  phase TEXT NOT NULL,
  display_status TEXT,
  label TEXT,
  monitor_by TEXT NOT NULL,
  manage_by TEXT NOT NULL,
  start_time TEXT NOT NULL,
  completion_time TEXT,
  release_after TEXT NOT NULL,
  release_after_ms INTEGER NOT NULL,
  release_at_ms INTEGER,
  deadline TEXT,
  details TEXT NOT NULL,
  cancel_requested_by TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS actions_by_request ON actions(creator_id, request_id);
CREATE INDEX IF NOT EXISTS actions_by_status ON actions(status);
CREATE TABLE IF NOT EXISTS action_log (
  action_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  time TEXT NOT NULL,
  code TEXT NOT NULL,
  description TEXT NOT NULL,
  details TEXT NOT NULL,
  PRIMARY KEY (action_id, seq)
);
CREATE TABLE IF NOT EXISTS workspace_locks (
  workspace TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  action_id TEXT,
  since TEXT NOT NULL
);
";

const COLUMNS: &str = "action_id, creator_id, request_id, fingerprint, input, status, phase, \
     display_status, label, monitor_by, manage_by, start_time, completion_time, release_after, \
     release_after_ms, deadline, details, cancel_requested_by";

fn row_to_action(row: &Row<'_>) -> rusqlite::Result<(StoredAction, [String; 4])> {
    let text = |i: usize| row.get::<_, String>(i);
    let status_text: String = text(5)?;
    let raw = [text(4)?, text(9)?, text(10)?, text(16)?];
    let action = StoredAction {
        status: ActionStatus {
            action_id: text(0)?,
            completion_time: row.get(12)?,
            creator_id: text(1)?,
            details: Value::Null,
            display_status: row.get(7)?,
            label: row.get(8)?,
            manage_by: Vec::new(),
            monitor_by: Vec::new(),
            release_after: text(13)?,
            start_time: text(11)?,
            status: StatusValue::parse(&status_text).unwrap_or(StatusValue::Failed),
        },
        request_id: text(2)?,
        fingerprint: text(3)?,
        input: Input {
            operation: Operation::Plan,
            workspace: String::new(),
            auto_approve: false,
        },
        phase: Phase::parse(&text(6)?),
        deadline: row.get(15)?,
        release_after_ms: row.get(14)?,
        cancel_requested_by: row.get(17)?,
    };
    Ok((action, raw))
}

/// Decodes the JSON columns a row left raw.
fn decode(
    (mut a, [input, monitor_by, manage_by, details]): (StoredAction, [String; 4]),
) -> Result<StoredAction, StoreError> {
    a.input = serde_json::from_str(&input)?;
    a.status.monitor_by = serde_json::from_str(&monitor_by)?;
    a.status.manage_by = serde_json::from_str(&manage_by)?;
    a.status.details = serde_json::from_str(&details)?;
    Ok(a)
}

fn open_connection(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path).map_err(|e| StoreError::Open {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(conn)
}

/// Appends a log entry through `conn` (inside the caller's transaction, if any). Its
/// description is text shown to people: control characters are escaped (`crate::escape`).
fn append_log(
    conn: &Connection,
    action_id: &str,
    code: &str,
    description: &str,
    details: &Value,
) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO action_log (action_id, seq, time, code, description, details) \
         VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM action_log WHERE action_id = ?1), ?2, ?3, ?4, ?5)",
        params![
            action_id,
            super::model::iso_time(chrono::Utc::now()),
            code,
            crate::escape::escape_text(description),
            serde_json::to_string(details)?
        ],
    )?;
    Ok(())
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl Store {
    /// Opens (creating) the database at `path`.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Open {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?;
        }
        let writer = open_connection(path)?;
        writer.execute_batch(SCHEMA)?;
        let readers = (0..READERS)
            .map(|_| open_connection(path).map(Mutex::new))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Store {
            writer: Arc::new(Mutex::new(writer)),
            readers: Arc::new(readers),
            next_reader: Arc::default(),
        })
    }

    fn w(&self) -> MutexGuard<'_, Connection> {
        self.writer.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A free read connection, else the next one in turn.
    fn r(&self) -> MutexGuard<'_, Connection> {
        for c in self.readers.iter() {
            if let Ok(guard) = c.try_lock() {
                return guard;
            }
        }
        let i = self
            .next_reader
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            % self.readers.len();
        self.readers[i].lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` (which writes) on a blocking thread, so a sync to disk never stalls the server.
    pub async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    {
        let store = self.clone();
        tokio::task::spawn_blocking(move || f(&store))
            .await
            .map_err(|e| StoreError::Task(e.to_string()))?
    }

    /// Inserts a new action with its first log entry (`code`, `description`), in one
    /// transaction, unless its creator already used its request id: then the existing one
    /// (released actions are gone, and free their request id).
    pub fn insert(&self, a: &StoredAction, log: (&str, &str)) -> Result<Inserted, StoreError> {
        let mut conn = self.w();
        let tx = conn.transaction()?;
        // An action released by its release_after (not yet swept) frees its request id too.
        let expired = "SELECT action_id FROM actions WHERE creator_id = ?1 AND request_id = ?2 \
                       AND release_at_ms IS NOT NULL AND release_at_ms <= ?3";
        let key = params![a.status.creator_id, a.request_id, now_ms()];
        tx.execute(
            &format!("DELETE FROM action_log WHERE action_id IN ({expired})"),
            key,
        )?;
        tx.execute(
            &format!("DELETE FROM actions WHERE action_id IN ({expired})"),
            key,
        )?;
        let existing = tx
            .query_row(
                &format!("SELECT {COLUMNS} FROM actions WHERE creator_id = ?1 AND request_id = ?2"),
                params![a.status.creator_id, a.request_id],
                row_to_action,
            )
            .optional()?;
        if let Some(found) = existing {
            return Ok(Inserted::Existing(Box::new(decode(found)?)));
        }
        let s = &a.status;
        tx.execute(
            "INSERT INTO actions (action_id, creator_id, request_id, fingerprint, operation, workspace, \
             input, status, phase, display_status, label, monitor_by, manage_by, start_time, \
             completion_time, release_after, release_after_ms, release_at_ms, deadline, details, \
             cancel_requested_by) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, NULL, ?18, ?19, NULL)",
            params![
                s.action_id,
                s.creator_id,
                a.request_id,
                a.fingerprint,
                a.input.operation.as_str(),
                a.input.workspace,
                serde_json::to_string(&a.input)?,
                s.status.as_str(),
                a.phase.as_str(),
                s.display_status,
                s.label,
                serde_json::to_string(&s.monitor_by)?,
                serde_json::to_string(&s.manage_by)?,
                s.start_time,
                s.completion_time,
                s.release_after,
                a.release_after_ms,
                a.deadline,
                serde_json::to_string(&s.details)?,
            ],
        )?;
        append_log(
            &tx,
            &s.action_id,
            log.0,
            log.1,
            &Value::Object(Default::default()),
        )?;
        tx.commit()?;
        Ok(Inserted::New)
    }

    /// The action, unless it is unknown or released (its `release_after` has passed).
    pub fn get(&self, action_id: &str) -> Result<Option<StoredAction>, StoreError> {
        let found = self
            .r()
            .query_row(
                &format!(
                    "SELECT {COLUMNS} FROM actions WHERE action_id = ?1 \
                     AND (release_at_ms IS NULL OR release_at_ms > ?2)"
                ),
                params![action_id, now_ms()],
                row_to_action,
            )
            .optional()?;
        found.map(decode).transpose()
    }

    /// Every unreleased action whose status is one of `statuses`, oldest first.
    pub fn list(&self, statuses: &[StatusValue]) -> Result<Vec<StoredAction>, StoreError> {
        let conn = self.r();
        let wanted: Vec<&str> = statuses.iter().map(|s| s.as_str()).collect();
        let mut stmt = conn.prepare(&format!(
            "SELECT {COLUMNS} FROM actions WHERE (release_at_ms IS NULL OR release_at_ms > ?1) \
             ORDER BY start_time, rowid"
        ))?;
        let rows = stmt.query_map(params![now_ms()], row_to_action)?;
        let mut out = Vec::new();
        for row in rows {
            let (a, raw) = row?;
            if wanted.contains(&a.status.status.as_str()) {
                out.push(decode((a, raw))?);
            }
        }
        Ok(out)
    }

    /// Records progress of an ACTIVE action; `false` when it is no longer ACTIVE.
    pub fn progress(
        &self,
        action_id: &str,
        phase: Phase,
        display_status: &str,
        details: Option<&Value>,
    ) -> Result<bool, StoreError> {
        let conn = self.w();
        let n = match details {
            Some(d) => conn.execute(
                "UPDATE actions SET phase = ?2, display_status = ?3, details = ?4 \
                 WHERE action_id = ?1 AND status = 'ACTIVE'",
                params![
                    action_id,
                    phase.as_str(),
                    display_status,
                    serde_json::to_string(d)?
                ],
            )?,
            None => conn.execute(
                "UPDATE actions SET phase = ?2, display_status = ?3 \
                 WHERE action_id = ?1 AND status = 'ACTIVE'",
                params![action_id, phase.as_str(), display_status],
            )?,
        };
        Ok(n > 0)
    }

    /// Finishes an ACTIVE action (SUCCEEDED or FAILED), starts its release clock and logs
    /// `log` (code, description, details), in one transaction; `false` (and nothing logged)
    /// when it was not ACTIVE any more (cancelled meanwhile).
    pub fn finish(
        &self,
        action_id: &str,
        status: StatusValue,
        display_status: &str,
        details: &Value,
        log: (&str, &str, &Value),
    ) -> Result<bool, StoreError> {
        let now = chrono::Utc::now();
        let mut conn = self.w();
        let tx = conn.transaction()?;
        let n = tx.execute(
            "UPDATE actions SET status = ?2, phase = 'done', display_status = ?3, details = ?4, \
             completion_time = ?5, release_at_ms = ?6 + release_after_ms \
             WHERE action_id = ?1 AND status = 'ACTIVE'",
            params![
                action_id,
                status.as_str(),
                display_status,
                serde_json::to_string(details)?,
                super::model::iso_time(now),
                now.timestamp_millis(),
            ],
        )?;
        if n > 0 {
            append_log(&tx, action_id, log.0, log.1, log.2)?;
        }
        tx.commit()?;
        Ok(n > 0)
    }

    /// Notes who asked to cancel an action while it was applying.
    pub fn request_cancel(&self, action_id: &str, by: &str) -> Result<bool, StoreError> {
        let n = self.w().execute(
            "UPDATE actions SET cancel_requested_by = ?2 WHERE action_id = ?1 AND status = 'ACTIVE'",
            params![action_id, by],
        )?;
        Ok(n > 0)
    }

    /// Removes an action and its log (release); `false` when it was not there.
    pub fn delete(&self, action_id: &str) -> Result<bool, StoreError> {
        let mut conn = self.w();
        let tx = conn.transaction()?;
        tx.execute(
            "DELETE FROM action_log WHERE action_id = ?1",
            params![action_id],
        )?;
        let n = tx.execute(
            "DELETE FROM actions WHERE action_id = ?1",
            params![action_id],
        )?;
        tx.commit()?;
        Ok(n > 0)
    }

    /// Removes every action whose `release_after` has passed; how many.
    pub fn sweep(&self) -> Result<usize, StoreError> {
        let mut conn = self.w();
        let tx = conn.transaction()?;
        let now = now_ms();
        tx.execute(
            "DELETE FROM action_log WHERE action_id IN \
             (SELECT action_id FROM actions WHERE release_at_ms IS NOT NULL AND release_at_ms <= ?1)",
            params![now],
        )?;
        let n = tx.execute(
            "DELETE FROM actions WHERE release_at_ms IS NOT NULL AND release_at_ms <= ?1",
            params![now],
        )?;
        tx.commit()?;
        Ok(n)
    }

    /// Appends a log entry.
    pub fn log(
        &self,
        action_id: &str,
        code: &str,
        description: &str,
        details: &Value,
    ) -> Result<(), StoreError> {
        append_log(&self.w(), action_id, code, description, details)
    }

    /// Up to `limit` log entries after entry `after`, and whether more follow.
    pub fn logs(
        &self,
        action_id: &str,
        after: i64,
        limit: usize,
    ) -> Result<(Vec<LogEntry>, bool), StoreError> {
        let conn = self.r();
        let mut stmt = conn.prepare(
            "SELECT seq, time, code, description, details FROM action_log \
             WHERE action_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![action_id, after, (limit + 1) as i64], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (seq, time, code, description, details) = row?;
            out.push(LogEntry {
                seq,
                time,
                code,
                description,
                details: serde_json::from_str(&details)?,
            });
        }
        let more = out.len() > limit;
        out.truncate(limit);
        Ok((out, more))
    }

    /// Takes the lock row of `workspace` for `holder`; the current holder's text when taken.
    pub fn lock_insert(
        &self,
        workspace: &str,
        holder: &str,
        action_id: Option<&str>,
    ) -> Result<Option<String>, StoreError> {
        let mut conn = self.w();
        let tx = conn.transaction()?;
        let current: Option<String> = tx
            .query_row(
                "SELECT holder FROM workspace_locks WHERE workspace = ?1",
                params![workspace],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(current) = current {
            return Ok(Some(current));
        }
        tx.execute(
            "INSERT INTO workspace_locks (workspace, holder, action_id, since) VALUES (?1, ?2, ?3, ?4)",
            params![
                workspace,
                holder,
                action_id,
                super::model::iso_time(chrono::Utc::now())
            ],
        )?;
        tx.commit()?;
        Ok(None)
    }

    /// The holder text of `workspace`'s lock.
    pub fn lock_holder(&self, workspace: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .w()
            .query_row(
                "SELECT holder FROM workspace_locks WHERE workspace = ?1",
                params![workspace],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Removes `workspace`'s lock if its holder text is `holder` (or whoever holds it, with
    /// `None`); whether a row was removed.
    pub fn lock_delete(&self, workspace: &str, holder: Option<&str>) -> Result<bool, StoreError> {
        let conn = self.w();
        let n = match holder {
            Some(h) => conn.execute(
                "DELETE FROM workspace_locks WHERE workspace = ?1 AND holder = ?2",
                params![workspace, h],
            )?,
            None => conn.execute(
                "DELETE FROM workspace_locks WHERE workspace = ?1",
                params![workspace],
            )?,
        };
        Ok(n > 0)
    }

    /// The locks held for actions that are no longer ACTIVE (left by a crash), as
    /// (workspace, holder) pairs.
    pub fn orphan_locks(&self) -> Result<Vec<(String, String)>, StoreError> {
        let conn = self.w();
        let mut stmt = conn.prepare(
            "SELECT workspace, holder FROM workspace_locks WHERE action_id IS NOT NULL AND action_id NOT IN \
             (SELECT action_id FROM actions WHERE status = 'ACTIVE')",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn action(id: &str, request_id: &str) -> StoredAction {
        StoredAction {
            status: ActionStatus {
                action_id: id.into(),
                completion_time: None,
                creator_id: "urn:globus:auth:identity:0b1e4d5c-6f7a-4b8c-9d0e-1f2a3b4c5d6e".into(),
                details: json!({"queued": true}),
                display_status: Some("Queued".into()),
                label: None,
                manage_by: vec![],
                monitor_by: vec![
                    "urn:globus:groups:id:6a1f9c0e-8d2b-4e3a-9f4c-5b6d7e8f9a0b".into(),
                ],
                release_after: "PT1H".into(),
                start_time: super::super::model::iso_time(chrono::Utc::now()),
                status: StatusValue::Active,
            },
            request_id: request_id.into(),
            fingerprint: "{}".into(),
            input: Input {
                operation: Operation::Apply,
                workspace: "lab".into(),
                auto_approve: true,
            },
            phase: Phase::Queued,
            deadline: None,
            release_after_ms: 3_600_000,
            cancel_requested_by: None,
        }
    }

    #[test]
    fn actions_round_trip_and_request_ids_are_per_creator() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("ap.db")).unwrap();
        let a = action("a1", "r1");
        assert!(matches!(
            store.insert(&a, ("ActionRequested", "requested")).unwrap(),
            Inserted::New
        ));
        assert_eq!(store.get("a1").unwrap().unwrap(), a);
        match store
            .insert(&action("a2", "r1"), ("ActionRequested", ""))
            .unwrap()
        {
            Inserted::Existing(found) => assert_eq!(found.status.action_id, "a1"),
            Inserted::New => panic!("request id reused"),
        }
        let mut other = action("a3", "r1");
        other.status.creator_id =
            "urn:globus:auth:identity:8f3e2a1b-4c5d-4e6f-8a9b-0c1d2e3f4a5b".into();
        assert!(matches!(
            store.insert(&other, ("ActionRequested", "")).unwrap(),
            Inserted::New
        ));
        assert_eq!(store.list(&[StatusValue::Active]).unwrap().len(), 2);
    }

    #[test]
    fn finish_is_once_and_release_after_hides_then_sweeps() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("ap.db")).unwrap();
        let mut a = action("a1", "r1");
        a.release_after_ms = 0;
        store.insert(&a, ("ActionRequested", "requested")).unwrap();
        assert!(
            store
                .progress("a1", Phase::Planning, "Planning", None)
                .unwrap()
        );
        assert!(
            store
                .finish(
                    "a1",
                    StatusValue::Succeeded,
                    "Done",
                    &json!({"x": 1}),
                    ("Done", "", &json!({}))
                )
                .unwrap()
        );
        assert!(
            !store
                .finish(
                    "a1",
                    StatusValue::Failed,
                    "again",
                    &json!({}),
                    ("Again", "", &json!({}))
                )
                .unwrap()
        );
        assert!(store.get("a1").unwrap().is_none(), "released at once");
        assert_eq!(store.sweep().unwrap(), 1);
    }

    #[test]
    fn logs_page() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("ap.db")).unwrap();
        store
            .insert(&action("a1", "r1"), ("ActionRequested", ""))
            .unwrap();
        for i in 0..4 {
            store
                .log("a1", "Step", &format!("step {i}\x1b[2J"), &json!({"i": i}))
                .unwrap();
        }
        let (page, more) = store.logs("a1", 0, 3).unwrap();
        assert_eq!(page.len(), 3);
        assert!(more);
        let (rest, more) = store.logs("a1", page[2].seq, 3).unwrap();
        assert_eq!(rest.len(), 2);
        assert!(!more);
        assert_eq!(page[0].code, "ActionRequested");
        // A description is text for people: control characters are escaped.
        assert_eq!(rest[1].description, "step 3\\u{1b}[2J");
    }

    #[test]
    fn data_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ap.db");
        {
            let store = Store::open(&path).unwrap();
            store
                .insert(&action("a1", "r1"), ("ActionRequested", ""))
                .unwrap();
            store
                .log("a1", "ActionStarted", "started", &json!({}))
                .unwrap();
        }
        let store = Store::open(&path).unwrap();
        assert!(store.get("a1").unwrap().is_some());
        assert_eq!(store.logs("a1", 0, 10).unwrap().0.len(), 2);
    }
}
