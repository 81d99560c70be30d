//! The grants objects make by themselves, as their kinds say, borrowed from the objects.

use chrono::{DateTime, Utc};

use crate::state::access::On;
use crate::state::{Address, Object, Principal};

/// A grant one object makes by itself, before managed groups are expanded. It borrows from
/// the object: a plan over a hundred thousand objects copies none of them.
#[derive(Debug, Clone, Copy)]
pub(super) struct Grant<'a> {
    /// The granting object's address.
    pub(super) address: &'a Address,
    /// The principal's canonical key, parsed only for the pairs computed.
    pub(super) principal: &'a str,
    /// What the access is on.
    pub(super) on: On<'a>,
    /// The level granted.
    pub(super) level: &'a str,
    /// Its position in the kind's access order.
    pub(super) rank: usize,
}

/// What an object grants directly, as its kind says.
fn direct_grant(o: &Object, now: DateTime<Utc>) -> Option<Grant<'_>> {
    let spec = o.address.kind.semantics().grant(o)?;
    let expired = o
        .str_attr("expires")
        .and_then(|e| DateTime::parse_from_rfc3339(e).ok())
        .is_some_and(|e| e <= now);
    if expired {
        return None;
    }
    let level = o.str_attr(spec.field).unwrap_or(spec.default);
    // The kind's field schema orders the levels, so ranks stay defined in one place.
    let rank = o
        .address
        .kind
        .field(spec.field)?
        .access_order
        .iter()
        .position(|l| *l == level)?;
    Some(Grant {
        address: &o.address,
        principal: spec.principal,
        on: spec.on,
        level,
        rank,
    })
}

/// The grants of a set of objects.
pub(super) fn grants<'a>(
    objects: impl Iterator<Item = &'a Object>,
    now: DateTime<Utc>,
) -> Vec<Grant<'a>> {
    let mut out: Vec<Grant<'a>> = Vec::new();
    for o in objects {
        let Some(grant) = direct_grant(o, now) else {
            continue;
        };
        out.push(grant);
        // What the service says the grant carries besides, ranked like any level.
        for (on, field, level) in o.address.kind.semantics().implied(&o.address) {
            let rank = o
                .address
                .kind
                .field(field)
                .and_then(|f| f.access_order.iter().position(|l| *l == level));
            if let Some(rank) = rank {
                out.push(Grant {
                    on,
                    level,
                    rank,
                    ..grant
                });
            }
        }
    }
    // A hundred thousand grants: the growth slack would be megabytes.
    out.shrink_to_fit();
    out
}

/// The managed group a principal key names (`group:<name>`, not a UUID), if it names one.
pub(super) fn managed_group(key: &str) -> Option<&str> {
    let name = key.strip_prefix("group:")?;
    matches!(key.parse(), Ok(Principal::ManagedGroup(_))).then_some(name)
}
