//! `search:` merged and checked: what compilation reads (see `policy::model`).
use std::collections::BTreeMap;

use uuid::Uuid;

use crate::policy::{Located, Origin, Ownership, PrincipalRef};
/// One Globus Search index: its roles and the access to its declared subjects.
#[derive(Debug, Clone)]
pub struct SearchIndexPolicy {
    /// The index id.
    pub id: Uuid,
    /// Where the key is first written (files may merge).
    pub origin: Origin,
    /// Whether any file writes `roles:` for the index: only then are its roles managed.
    pub manage_roles: bool,
    /// `roles:` (role name → principal), from every file.
    pub roles: Vec<SearchRoleGrant>,
    /// `documents:` by subject.
    pub documents: BTreeMap<String, SearchDocumentPolicy>,
    /// Ownership settings (`mode` of the roles).
    pub ownership: Ownership,
}

/// One principal in one index role.
#[derive(Debug, Clone)]
pub struct SearchRoleGrant {
    /// `owner`, `admin` or `writer`.
    pub role: String,
    /// Who.
    pub principal: Located<PrincipalRef>,
}

/// The access to one subject's entries.
#[derive(Debug, Clone)]
pub struct SearchDocumentPolicy {
    /// The subject.
    pub subject: String,
    /// Where the subject's key is first written.
    pub origin: Origin,
    /// `visible_to:` when the policy manages it (where the list is written, its principals).
    pub visible_to: Option<Located<Vec<Located<PrincipalRef>>>>,
    /// `principal_sets:` when the policy manages them: set name → principals.
    pub principal_sets: Option<Located<BTreeMap<String, Vec<Located<PrincipalRef>>>>>,
}
