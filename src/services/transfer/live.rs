//! What Transfer refuses that only the live state shows: access rules on an endpoint that
//! has none (a GCSv5 endpoint, `acl_available: false`), and more than 1000 rules on one
//! endpoint or collection once the plan is applied.

use super::MAX_RULES;
use crate::plan::capacity;
use crate::policy::{Origin, Policy};
use crate::service::LiveRead;
use crate::state::{Desired, Problem};

/// Where the policy declares the rule container keyed `key` (an endpoint UUID or a guest
/// collection name), and where its first rule is written.
fn declared(policy: &Policy, key: &str) -> Option<(Origin, Option<Origin>)> {
    if let Some(ep) = key.parse().ok().and_then(|id| policy.endpoints.get(&id)) {
        return Some((ep.origin.clone(), ep.acl.first().map(|r| r.origin.clone())));
    }
    let c = policy.collections.get(key)?;
    Some((c.origin.clone(), c.acl.first().map(|r| r.origin.clone())))
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
