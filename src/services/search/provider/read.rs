//! What `read` asks Search: an index's roles, and its declared subjects' access, by `GET`
//! per subject or by queries of every subject.

use std::collections::{BTreeMap, BTreeSet};

use crate::http::{HttpError, HttpRequest};
use crate::service::ProviderError;
use crate::services::search::wire::Principal as SearchPrincipal;
use crate::services::search::wire::{
    GMetaResult, GSearchResult, MAX_QUERY_RESULTS, Role, RoleList, SearchQuery,
};
use crate::state::{Address, Object};

use super::access::{entry_object, missing_entry, role_object};
use super::{NO_SUCH_INDEX, SearchProvider, segment};

/// Declared subjects of one index from which it is read with a query rather than a `GET`
/// per subject: below it, the GETs are as few calls (1 or 2) and carry no other subject.
pub const QUERY_THRESHOLD: usize = 3;

/// Results asked for per query page. The documented cap is 10,000 ([`MAX_QUERY_RESULTS`]);
/// 1,000 bounds one answer's size (up to 10 entries of up to 100 principals each per
/// subject) while a full 10,000-subject window still takes only 10 calls.
pub const QUERY_PAGE: u64 = 1_000;

impl SearchProvider {
    /// `GET /v1/index/{index}/role_list`.
    pub async fn role_list(&self, index: &str) -> Result<Vec<Role>, HttpError> {
        let list: RoleList = self
            .http
            .get_json(
                crate::services::search::api::ID,
                &format!("/v1/index/{}/role_list", segment(index)),
                &[],
            )
            .await?;
        Ok(list.role_list)
    }

    /// `GET /v1/index/{index}/subject?subject=S&bypass_visible_to=true`: every entry of the
    /// subject with its `visible_to` and `principal_sets`; `None` when the subject does not
    /// exist (an unknown index is an error).
    pub async fn subject(
        &self,
        index: &str,
        subject: &str,
    ) -> Result<Option<GMetaResult>, HttpError> {
        let res = self
            .http
            .get_json(
                crate::services::search::api::ID,
                &format!("/v1/index/{}/subject", segment(index)),
                &[("subject", subject), ("bypass_visible_to", "true")],
            )
            .await;
        match res {
            Ok(r) => Ok(Some(r)),
            Err(e) if e.status() == Some(404) && e.code() != Some(NO_SUCH_INDEX) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// One page of `POST /v1/index/{index}/search` asking for every subject's entries with
    /// their `visible_to` and `principal_sets`, and their `content` when `content` is set
    /// ([`SearchQuery::access_of_all`], [`SearchQuery::entries_of_all`]).
    pub async fn query_access(
        &self,
        index: &str,
        offset: u64,
        limit: u64,
        content: bool,
    ) -> Result<GSearchResult, HttpError> {
        let body = if content {
            SearchQuery::entries_of_all(offset, limit)
        } else {
            SearchQuery::access_of_all(offset, limit)
        };
        let req = HttpRequest::post(
            crate::services::search::api::ID,
            format!("/v1/index/{}/search", segment(index)),
        )
        .json(&body);
        self.http.send(&req).await?.json()
    }

    /// The subjects' results (`None`: missing) by the fewest calls: with at least
    /// [`QUERY_THRESHOLD`] of them, queries of every subject ([`Self::read_by_query`]);
    /// with fewer, a `GET` each (which answers `content` too). `content`: the queries ask
    /// for each entry's `content` as well (a re-ingest sends it back).
    pub async fn read_subjects(
        &self,
        index: &str,
        subjects: &[&str],
        content: bool,
    ) -> Result<BTreeMap<String, Option<GMetaResult>>, HttpError> {
        if subjects.len() >= QUERY_THRESHOLD {
            return self.read_by_query(index, subjects, content).await;
        }
        let mut results = BTreeMap::new();
        for subject in subjects {
            results.insert(subject.to_string(), self.subject(index, subject).await?);
        }
        Ok(results)
    }

    /// Reads the declared subjects of one index with queries of every subject, a page of
    /// [`QUERY_PAGE`] at a time by `offset`, and answers each subject's result (`None`:
    /// missing). Paging stops early when fewer subjects remain unfound than pages remain (a
    /// `GET` each is then fewer calls), or at the end of the 10,000 results a query reaches;
    /// a subject not found then is read with a `GET` (it may lie beyond). A subject not
    /// found after a single complete page is missing; after several pages it is read with a
    /// `GET` too, as a write between pages may have shifted it across one. A subject whose
    /// entries come back without `visible_to` (a service that did not honour `fields`) is
    /// read with a `GET` as well, never taken for an empty list; so is one without its
    /// `content` when `content` is asked for.
    pub async fn read_by_query(
        &self,
        index: &str,
        subjects: &[&str],
        content: bool,
    ) -> Result<BTreeMap<String, Option<GMetaResult>>, HttpError> {
        let wanted: BTreeSet<&str> = subjects.iter().copied().collect();
        let mut found: BTreeMap<String, Option<GMetaResult>> = BTreeMap::new();
        // Returned without their lists: read with a GET whatever the paging did.
        let mut unreadable: BTreeSet<String> = BTreeSet::new();
        let mut offset = 0;
        let mut pages = 0;
        let complete = loop {
            let limit = QUERY_PAGE.min(MAX_QUERY_RESULTS - offset);
            let page = self.query_access(index, offset, limit, content).await?;
            pages += 1;
            let count = page.gmeta.len() as u64;
            for result in page.gmeta {
                if !wanted.contains(result.subject.as_str()) {
                    continue;
                }
                if !result.entries.is_empty()
                    && result
                        .entries
                        .iter()
                        .all(|e| e.visible_to.is_some() && (!content || e.content.is_some()))
                {
                    unreadable.remove(&result.subject);
                    found.insert(result.subject.clone(), Some(result));
                } else {
                    unreadable.insert(result.subject);
                }
            }
            if !page.has_next_page || count == 0 {
                break true;
            }
            offset += count;
            let reachable = page.total.min(MAX_QUERY_RESULTS);
            if offset >= reachable {
                break false;
            }
            let pages_left = (reachable - offset).div_ceil(QUERY_PAGE);
            let unfound = wanted.len() - found.len();
            if unfound as u64 <= pages_left {
                break false;
            }
        };
        for subject in wanted {
            if found.contains_key(subject) {
                continue;
            }
            let result = if complete && pages == 1 && !unreadable.contains(subject) {
                None
            } else {
                self.subject(index, subject).await?
            };
            found.insert(subject.to_string(), result);
        }
        Ok(found)
    }

    /// The roles and declared subjects of one index: `Ok(Err(message))` when Search does not
    /// know the index.
    pub(super) async fn read_index(
        &self,
        index: &str,
        roles: bool,
        subjects: &[&Address],
        group_names: &BTreeMap<String, String>,
    ) -> Result<Result<Vec<Object>, String>, ProviderError> {
        let mut objects = Vec::new();
        if roles {
            let list = match self.role_list(index).await {
                Ok(r) => r,
                Err(e) => {
                    return match read_error(index, "its roles", e) {
                        ProviderError::NotFound(m) => Ok(Err(m)),
                        other => Err(other),
                    };
                }
            };
            objects.extend(
                list.into_iter()
                    .filter_map(|r| role_object(index, r, group_names)),
            );
        }
        let keys: Vec<&str> = subjects
            .iter()
            .filter_map(|a| a.keys.get(1).map(String::as_str))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let results = match self.read_subjects(index, &keys, false).await {
            Ok(r) => r,
            Err(e) => {
                return match read_error(index, "its subjects' access", e) {
                    ProviderError::NotFound(m) => Ok(Err(m)),
                    other => Err(other),
                };
            }
        };
        for address in subjects {
            let Some(subject) = address.keys.get(1) else {
                continue;
            };
            objects.push(match results.get(subject).and_then(Option::as_ref) {
                Some(result) => entry_object((*address).clone(), result, group_names),
                None => missing_entry((*address).clone()),
            });
        }
        Ok(Ok(objects))
    }

    /// The id of the role `role` held by `principal` (a URN) on `index`, if any.
    pub(super) async fn find_role(
        &self,
        index: &str,
        role: &str,
        principal: &str,
    ) -> Result<Option<String>, HttpError> {
        let want = SearchPrincipal::parse(principal);
        Ok(self
            .role_list(index)
            .await?
            .into_iter()
            .find(|r| r.role_name == role && SearchPrincipal::parse(&r.principal) == want)
            .map(|r| r.id))
    }
}

/// A read failure, said plainly: an unknown index, or rights accord's client lacks.
fn read_error(index: &str, what: &str, e: HttpError) -> ProviderError {
    match e.status() {
        Some(404) if e.code() == Some(NO_SUCH_INDEX) => ProviderError::NotFound(format!(
            "search index {index}: Search has no such index ({e})"
        )),
        Some(401 | 403) => ProviderError::Service {
            service: "search",
            message: format!(
                "search index {index}: reading {what} needs an admin or owner role on the index for accord's client: {e}"
            ),
        },
        _ => e.into(),
    }
}
