//! What the Boss checks gather from every file before checking and lowering it: declared
//! groups, permission sets and frames, and the fields every resource level shares.
use std::collections::{BTreeMap, BTreeSet};

use serde_saphyr::Spanned;

use super::ast;
use crate::policy::Origin;

/// The fields every Boss resource level shares, borrowed from the AST for lowering.
pub(crate) struct ResourceCommon<'a> {
    pub(crate) description: &'a Option<Spanned<String>>,
    pub(crate) public: &'a Option<Spanned<bool>>,
    pub(crate) absent: &'a Option<Spanned<bool>>,
    pub(crate) prevent_destroy: &'a Option<Spanned<bool>>,
    pub(crate) mode: &'a Option<Spanned<String>>,
    pub(crate) permissions: &'a ast::BossPermissions,
}

/// Permission set name → (where its name is written, its entries with origins).
pub(crate) type PermissionSets = BTreeMap<String, (Origin, Vec<(String, Origin)>)>;

/// What the Boss checks need to know, gathered from every file first.
#[derive(Default)]
pub(crate) struct BossDecls {
    /// Group name → (where declared, where `absent: true` if it is a tombstone).
    pub(crate) groups: BTreeMap<String, (Origin, Option<Origin>)>,
    /// Set name → (where its name is written, its entries with origins).
    pub(crate) sets: PermissionSets,
    /// Frame name → where declared.
    pub(crate) frames: BTreeMap<String, Origin>,
}
/// The permissions a set grants, following nested sets (cycles are cut; they are reported
/// separately).
pub(crate) fn expand_set(name: &str, sets: &PermissionSets) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut stack = vec![name.to_string()];
    let mut visited = BTreeSet::new();
    while let Some(s) = stack.pop() {
        if !visited.insert(s.clone()) {
            continue;
        }
        if let Some((_, entries)) = sets.get(&s) {
            for (e, _) in entries {
                if sets.contains_key(e) {
                    stack.push(e.clone());
                } else {
                    out.insert(e.clone());
                }
            }
        }
    }
    out
}
