//! What Search refuses that only the live state shows: more than 50 roles on an index once
//! the plan is applied.

use std::collections::BTreeMap;

use super::super::MAX_ROLES;
use super::SearchIndexPolicy;
use crate::plan::capacity;
use crate::policy::Problem;
use crate::service::LiveRead;
use crate::state::Desired;

/// The problems of the policy's Search `indexes` against the live read.
pub fn problems(
    indexes: &BTreeMap<String, SearchIndexPolicy>,
    desired: &Desired,
    live: &LiveRead,
) -> Vec<Problem> {
    let mut out = Vec::new();
    for (key, n) in capacity::after_apply(super::super::ROLE, desired, live) {
        let Some(index) = indexes.get(&key).filter(|_| n > MAX_ROLES) else {
            continue;
        };
        out.push(
            Problem::at(
                &index.origin,
                format!(
                    "Search index `{key}` would hold {n} roles once applied; an index holds at most {MAX_ROLES} (Search answers 409 Conflict.LimitExceeded)"
                ),
            )
            .help("grant roles to groups rather than to each person, or remove roles the index no longer needs"),
        );
    }
    out
}
