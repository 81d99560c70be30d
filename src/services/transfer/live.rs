//! What Transfer refuses that only the live state shows: access rules on an endpoint that
//! has none (a GCSv5 endpoint, `acl_available: false`), and more than 1000 rules on one
//! endpoint or collection once the plan is applied.

use super::MAX_RULES;
use crate::plan::capacity;
use crate::policy::{Origin, Policy, Problem};
use crate::service::LiveRead;
use crate::state::Desired;

/// Where the policy declares the rule container keyed `key` (an endpoint UUID, or a guest
/// collection's name in the GCS section), and where its first rule is written.
fn declared(policy: &Policy, key: &str) -> Option<(Origin, Option<Origin>)> {
    policy.container(super::ACL, key).map(|d| (d.at, d.first))
}

/// The problems of `policy`'s access rules against the live read.
pub fn problems(policy: &Policy, desired: &Desired, live: &LiveRead) -> Vec<Problem> {
    let mut out = Vec::new();
    for (container, why) in &live.unavailable {
        let key = container
            .keys
            .first()
            .map(String::as_str)
            .unwrap_or_default();
        if container.kind != super::ACL {
            continue;
        }
        let Some((at, Some(rule))) = declared(policy, key) else {
            continue;
        };
        out.push(
            Problem::at(
                &rule,
                format!("`{key}` takes no access rules: Transfer answered {why}"),
            )
            .also(&at, "declared here")
            .help("a GCSv5 endpoint has no access rules (its document says `acl_available: false`); give the rules to one of its collections"),
        );
    }
    for (key, n) in capacity::after_apply(super::ACL, desired, live) {
        let Some((at, _)) = declared(policy, &key).filter(|_| n > MAX_RULES) else {
            continue;
        };
        out.push(
            Problem::at(
                &at,
                format!(
                    "`{key}` would hold {n} access rules once applied; Transfer holds at most {MAX_RULES} per endpoint or collection (409 LimitExceeded)"
                ),
            )
            .help("grant access to groups rather than to each person, or remove rules the collection no longer needs"),
        );
    }
    out
}
