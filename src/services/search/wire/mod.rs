//! Globus Search API v1 documents (`https://search.api.globus.org/v1/...`): ingest
//! (`GIngest` of a `GMetaEntry` or a `GMetaList`), tasks, subjects (`GMetaResult`), queries
//! (GET parameters and the POST body), results (`GSearchResult`), index roles, the index
//! document and the `GError` body.
//!
//! Every document keeps unknown fields in `extra` and defaults what it may miss. An entry's
//! `content` is kept as a JSON object, verbatim, so a re-ingest sends back exactly what was
//! read.

mod index;
mod ingest;
mod query;

pub use index::{DeletedRole, Role, RoleCreate, RoleList, SearchError, SearchIndex};
pub use ingest::{GIngest, GMetaEntry, GMetaList, Task, TaskList, TaskState, TaskSubmitResponse};
pub use query::{GMetaResult, GSearchResult, ResultEntry, SearchParams, SearchQuery};

/// The `@version` of documents this crate writes (`GIngest`, `GMetaEntry`, query bodies).
pub const VERSION_2017: &str = "2017-09-01";
/// The `@version` of query bodies that may name `fields` (`GSearchRequestBodyV1`); a
/// `2017-09-01` body has no `fields`, and its results carry `content` only.
pub const QUERY_V1: &str = "query#1.0.0";
/// The query `fields` that may be asked for; a query that names none answers `content`.
pub const QUERY_FIELDS: [&str; 3] = ["content", "visible_to", "principal_sets"];
/// Results a query reaches by `offset` + `limit` (also the largest `limit`): the rest of an
/// index needs a scroll.
pub const MAX_QUERY_RESULTS: u64 = 10_000;
/// The `@version` of `GMetaResult` documents the service answers.
pub const RESULT_VERSION: &str = "2019-08-27";
/// The `visible_to` value that makes an entry visible to anybody, signed in or not.
pub const PUBLIC: &str = "public";
/// The `visible_to` value that makes an entry visible to any signed-in caller.
pub const ALL_AUTHENTICATED_USERS: &str = "all_authenticated_users";
/// The prefix of identity principal URNs.
pub const IDENTITY_URN_PREFIX: &str = "urn:globus:auth:identity:";
/// The prefix of group principal URNs.
pub const GROUP_URN_PREFIX: &str = "urn:globus:groups:id:";
/// The index role names, strongest first.
pub const ROLE_NAMES: [&str; 3] = ["owner", "admin", "writer"];

/// A principal URN of Search (`visible_to`, `principal_sets`, roles), parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Principal {
    /// `public`.
    Public,
    /// `all_authenticated_users`.
    AllAuthenticatedUsers,
    /// `urn:globus:auth:identity:<uuid>`.
    Identity(uuid::Uuid),
    /// `urn:globus:groups:id:<uuid>`.
    Group(uuid::Uuid),
}

impl Principal {
    /// Parses a `visible_to` value or a principal URN (the UUID in any case); `None` when it
    /// is neither a special value nor a well-formed URN.
    pub fn parse(s: &str) -> Option<Principal> {
        match s {
            PUBLIC => return Some(Principal::Public),
            ALL_AUTHENTICATED_USERS => return Some(Principal::AllAuthenticatedUsers),
            _ => {}
        }
        if let Some(id) = s.strip_prefix(IDENTITY_URN_PREFIX) {
            return id.parse().ok().map(Principal::Identity);
        }
        if let Some(id) = s.strip_prefix(GROUP_URN_PREFIX) {
            return id.parse().ok().map(Principal::Group);
        }
        None
    }

    /// The wire form (`public`, `urn:globus:auth:identity:<uuid>`, ...).
    pub fn urn(&self) -> String {
        match self {
            Principal::Public => PUBLIC.into(),
            Principal::AllAuthenticatedUsers => ALL_AUTHENTICATED_USERS.into(),
            Principal::Identity(id) => format!("{IDENTITY_URN_PREFIX}{id}"),
            Principal::Group(id) => format!("{GROUP_URN_PREFIX}{id}"),
        }
    }

    /// `identity` or `group` (a role's `principal_type`); `None` for the special values.
    pub fn principal_type(&self) -> Option<&'static str> {
        match self {
            Principal::Identity(_) => Some("identity"),
            Principal::Group(_) => Some("group"),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
