//! Globus Search (API v1): index roles, and the access (`visible_to`, `principal_sets`) of the
//! subjects a policy declares (`docs/search-model.md`). accord manages access, never content:
//! subjects are looked up, never created or deleted.
//!
//! What `read` answers (Search kinds are read in the last phase, with [`Scope::group_names`]
//! filled, so a managed group's URN maps back to `group:<policy name>`):
//! - a container `search.role[INDEX]`: one `GET /v1/index/{INDEX}/role_list`, each role as
//!   `search.role[INDEX][ROLE][PRINCIPAL]` with `server_id` = the role id;
//! - the [`Lookup`]s `search.entry[INDEX][SUBJECT]` of one index: with at least
//!   [`QUERY_THRESHOLD`] of them, one query of every subject (`POST /v1/index/{INDEX}/search`,
//!   `query#1.0.0`, `q: "*"`, `bypass_visible_to`, `fields: [visible_to, principal_sets]`,
//!   [`QUERY_PAGE`] results a page, see [`SearchProvider::read_by_query`]); with fewer, one
//!   `GET /v1/index/{INDEX}/subject?subject=S&bypass_visible_to=true` each. Either way a
//!   subject reads as `visible_to` (a sorted list of canonical principals, `public` and
//!   `all_authenticated_users` kept) and `principal_sets` (set name → sorted list). A subject
//!   whose entries disagree carries `entries_differ: true`, and each list the entries
//!   disagree on is read per entry (an object entry id → value, [`DEFAULT_ENTRY`] for the
//!   default entry), so it differs from any desired list and the subject is re-ingested. An
//!   absent subject (404, or not among the query's results) is a live object with
//!   `status: "missing"`, which the plan lists as blocked.
//!
//! Indexes are read concurrently (the shared client paces Search at its documented rate), each
//! one's roles first. An index Search does not know is a read error. A scope without Search
//! containers or lookups makes no call at all (not even for a token).
//!
//! `apply` sends:
//! - role create: `POST /v1/index/{INDEX}/role {role_name, principal}`, a create: a `409` or a
//!   failure that may have reached Search is re-read (`role_list`) and the role adopted, never
//!   blindly resent;
//! - role delete: `DELETE /v1/index/{INDEX}/role/{role_id}` (`404`: already gone);
//! - entry updates, batched per index ([`Provider::batch_key`]; the executor makes one step of
//!   an index's grants and one of its revocations, every grant done before any revocation
//!   starts): the step's subjects re-read together right before (`bypass_visible_to`, with
//!   `content`: [`SearchProvider::read_subjects`], one query page for many, a `GET` each for
//!   fewer than [`QUERY_THRESHOLD`]), then one `POST /v1/index/{INDEX}/ingest` of a
//!   `GMetaList` of every entry of every subject, each with its `id`, `content` and unknown
//!   fields as read and the desired `visible_to` / `principal_sets` (a list the desired object
//!   does not set keeps each entry's live value); past [`MAX_INGEST_BYTES`] several ingests,
//!   a subject's entries always in one. Each ingest's task is polled (`GET /v1/task/{id}`) on
//!   [`poll_delays`], at most [`MAX_TASK_POLLS`] times, until `SUCCESS` (applied) or `FAILED`
//!   (failed, with the task's message). A subject gone at apply time is blocked.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;

use crate::http::HttpClient;
use crate::plan::{Action, Change};
use crate::service::{Caller, IdMap, LiveRead, Outcome, Provider, ProviderError, Scope};
use crate::state::{Address, Kind};

mod access;
mod apply;
mod read;

pub use access::{DesiredAccess, canonical, entry_object, gmeta_entries, principal_urn};
pub use apply::{
    FIRST_POLL, MAX_INGEST_BYTES, MAX_POLL_GAP, MAX_TASK_POLLS, TASK_WAIT, pack, poll_delays,
};
pub use read::{QUERY_PAGE, QUERY_THRESHOLD};

const KINDS: &[Kind] = &[
    crate::services::search::ROLE,
    crate::services::search::ENTRY,
];

/// The key of the default entry (entry id null) in a list read per entry.
pub const DEFAULT_ENTRY: &str = "(default)";

/// The Search error code of an unknown index (a read error, not a missing subject).
pub const NO_SUCH_INDEX: &str = "NotFound.NoSuchIndex";

/// The Globus Search provider.
#[derive(Debug, Clone)]
pub struct SearchProvider {
    http: Arc<HttpClient>,
}

impl SearchProvider {
    /// A provider sending through the shared client.
    pub fn new(http: Arc<HttpClient>) -> Self {
        SearchProvider { http }
    }
}

/// Percent-encodes one path segment (role ids are base64 and may hold `/`, `+`, `=`).
fn segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[async_trait]
impl Provider for SearchProvider {
    fn name(&self) -> &'static str {
        "search"
    }

    fn kinds(&self) -> &'static [Kind] {
        KINDS
    }

    fn caller(&self) -> Caller {
        Caller::OAuthClient
    }

    fn needs_group_names(&self) -> bool {
        true
    }

    async fn read(&self, scope: &Scope) -> Result<LiveRead, ProviderError> {
        // Index → (roles read?, declared subjects), in index order.
        let mut indexes: BTreeMap<&str, (bool, Vec<&Address>)> = BTreeMap::new();
        for c in &scope.containers {
            if c.address.kind == crate::services::search::ROLE
                && let Some(index) = c.address.keys.first()
            {
                indexes.entry(index.as_str()).or_default().0 = true;
            }
        }
        for lookup in &scope.lookups {
            let address = &lookup.address;
            if address.kind == crate::services::search::ENTRY
                && let [index, _] = &address.keys[..]
            {
                indexes.entry(index.as_str()).or_default().1.push(address);
            }
        }
        let calls: Vec<_> = indexes
            .iter()
            .map(|(index, (roles, subjects))| {
                self.read_index(index, *roles, subjects, &scope.group_names)
            })
            .collect();
        let mut live = LiveRead::default();
        let mut unknown = Vec::new();
        for read in self.http.concurrently(calls).await {
            match read? {
                Ok(objects) => {
                    for o in objects {
                        live.state.insert(o);
                    }
                }
                Err(message) => unknown.push(message),
            }
        }
        if unknown.is_empty() {
            Ok(live)
        } else {
            Err(ProviderError::NotFound(unknown.join("; ")))
        }
    }

    /// A subject's access update is batched per index (the executor keeps grants and
    /// revocations apart): one step, one ingest.
    fn batch_key(&self, change: &Change) -> Option<String> {
        (change.address.kind == crate::services::search::ENTRY && change.action == Action::Update)
            .then(|| change.address.keys.first().map(|i| format!("entries:{i}")))
            .flatten()
    }

    async fn apply(&self, changes: &[Change], ids: &IdMap) -> Vec<Outcome> {
        let mut out: Vec<Option<Outcome>> = vec![None; changes.len()];
        // Entry updates by index, each index's sent together; the rest one by one.
        let mut by_index: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, c) in changes.iter().enumerate() {
            match self.batch_key(c).and(c.address.keys.first()) {
                Some(index) => by_index.entry(index.as_str()).or_default().push(i),
                None => out[i] = Some(self.apply_one(c, ids).await),
            }
        }
        for (index, at) in by_index {
            let mine: Vec<&Change> = at.iter().map(|&i| &changes[i]).collect();
            for (i, o) in at
                .into_iter()
                .zip(self.update_entries(index, &mine, ids).await)
            {
                out[i] = Some(o);
            }
        }
        out.into_iter()
            .map(|o| o.unwrap_or_else(|| crate::service::failed("no outcome")))
            .collect()
    }
}

#[cfg(test)]
mod tests;
