//! Safety rails: limits on deletion that refuse a plan, and their committed overrides.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use super::change::{Action, Change, Direction};
use super::model::{OverrideInForce, RailsInForce, Violation};
use crate::policy::Safety;
use crate::state::Address;

/// The limits in force for one run.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Most removals allowed in one plan.
    pub max_deletes: u32,
    /// Largest share of a container's live objects one plan may remove…
    pub max_delete_share: f64,
    /// …for containers holding at least this many.
    pub share_min_objects: u32,
    /// The overrides that raised them.
    pub overrides: Vec<OverrideInForce>,
}

impl Limits {
    /// The limits from `safety:`, its unexpired overrides at `now`, and `--allow-deletes`.
    pub fn new(safety: &Safety, now: DateTime<Utc>, allow_deletes: Option<u32>) -> Limits {
        let mut l = Limits {
            max_deletes: safety.max_deletes,
            max_delete_share: safety.max_delete_share,
            share_min_objects: safety.share_min_objects,
            overrides: Vec::new(),
        };
        for o in safety.allow.iter().filter(|o| o.until > now) {
            match o.rail.as_str() {
                "max_deletes" => l.max_deletes = l.max_deletes.max(o.up_to as u32),
                "max_delete_share" => l.max_delete_share = l.max_delete_share.max(o.up_to),
                _ => continue,
            }
            l.overrides.push(OverrideInForce {
                rail: o.rail.clone(),
                up_to: o.up_to,
                reason: o.reason.clone(),
                until: Some(o.until),
                source: Some(format!("{}:{}", o.origin.path.display(), o.origin.line)),
            });
        }
        if let Some(n) = allow_deletes {
            l.max_deletes = l.max_deletes.max(n);
            l.overrides.push(OverrideInForce {
                rail: "max_deletes".into(),
                up_to: f64::from(n),
                reason: "--allow-deletes".into(),
                until: None,
                source: None,
            });
        }
        l
    }

    /// What the plan records of them.
    pub fn in_force(&self) -> RailsInForce {
        RailsInForce {
            max_deletes: self.max_deletes,
            max_delete_share: self.max_delete_share,
            share_min_objects: self.share_min_objects,
            overrides: self.overrides.clone(),
        }
    }
}

/// Whether a change counts as a removal: deletes, replaces, and updates that reduce access.
pub fn is_removal(c: &Change) -> bool {
    matches!(c.action, Action::Delete | Action::Replace)
        || (c.action == Action::Update && c.direction == Direction::Revoke)
}

/// The container an address is counted in for the share rail: of the containers that hold it
/// (a prefix of its keys, or its group), the first in address order. Looked up, not scanned:
/// a plan at scale removes thousands of objects from thousands of containers.
fn share_container(address: &Address, sizes: &BTreeMap<Address, usize>) -> Option<Address> {
    (0..=address.keys.len())
        .map(|n| Address::partial(address.kind, address.keys[..n].iter().cloned()))
        .chain(address.container())
        .filter(|c| sizes.contains_key(c))
        .min()
}

/// Every rail the changes break.
pub fn check(
    changes: &[Change],
    container_sizes: &BTreeMap<Address, usize>,
    prevent_destroy: &BTreeSet<Address>,
    limits: &Limits,
) -> Vec<Violation> {
    let mut out = Vec::new();
    let removals: Vec<&Change> = changes.iter().filter(|c| is_removal(c)).collect();
    if removals.len() as u64 > u64::from(limits.max_deletes) {
        out.push(Violation {
            rail: "max_deletes".into(),
            message: format!(
                "the plan removes {} objects, more than max_deletes = {}; raise it for one run with --allow-deletes {} or commit a safety.allow entry with a reason and an end date",
                removals.len(),
                limits.max_deletes,
                removals.len()
            ),
            address: None,
        });
    }
    let mut per_container: BTreeMap<Address, usize> = BTreeMap::new();
    for c in &removals {
        if let Some(container) = share_container(&c.address, container_sizes) {
            *per_container.entry(container).or_default() += 1;
        }
    }
    for (container, removed) in per_container {
        let size = container_sizes[&container];
        if size as u64 >= u64::from(limits.share_min_objects)
            && removed as f64 > limits.max_delete_share * size as f64
        {
            out.push(Violation {
                rail: "max_delete_share".into(),
                message: format!(
                    "the plan removes {removed} of {size} live objects in {container} ({:.0}%), more than max_delete_share = {:.0}%",
                    100.0 * removed as f64 / size as f64,
                    100.0 * limits.max_delete_share
                ),
                address: Some(container),
            });
        }
    }
    for c in changes {
        if matches!(c.action, Action::Delete | Action::Replace)
            && prevent_destroy.contains(&c.address)
        {
            out.push(Violation {
                rail: "prevent_destroy".into(),
                message: format!(
                    "{} has prevent_destroy; lift it in the policy first",
                    c.address
                ),
                address: Some(c.address.clone()),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{Origin, Override};
    use crate::state::kind::testing::{GROUP, MEMBER, RULE, SET};

    fn delete(i: usize) -> Change {
        Change {
            address: Address::new(
                RULE,
                ["ep".to_string(), format!("/{i}/"), "anonymous".into()],
            ),
            action: Action::Delete,
            fields: vec![],
            before: None,
            after: None,
            direction: Direction::Revoke,
            reason: String::new(),
            provenance: None,
            labels: Default::default(),
            deleted_with: None,
        }
    }

    fn origin() -> Origin {
        Origin {
            file: 0,
            path: std::path::Path::new("accord.yaml").into(),
            line: 1,
            column: 1,
            offset: 0,
            len: 1,
        }
    }

    #[test]
    fn max_deletes_and_overrides() {
        let now = "2026-11-01T00:00:00Z".parse().unwrap();
        let changes: Vec<Change> = (0..21).map(delete).collect();
        let sizes = BTreeMap::new();
        let mut safety = Safety::default();
        let limits = Limits::new(&safety, now, None);
        assert_eq!(
            check(&changes, &sizes, &BTreeSet::new(), &limits)[0].rail,
            "max_deletes"
        );
        assert!(
            check(
                &changes,
                &sizes,
                &BTreeSet::new(),
                &Limits::new(&safety, now, Some(21))
            )
            .is_empty()
        );
        let ov = |until: &str| Override {
            rail: "max_deletes".into(),
            up_to: 40.0,
            reason: "retire".into(),
            until: until.parse().unwrap(),
            origin: origin(),
        };
        safety.allow.push(ov("2026-12-15T00:00:00Z"));
        assert!(
            check(
                &changes,
                &sizes,
                &BTreeSet::new(),
                &Limits::new(&safety, now, None)
            )
            .is_empty()
        );
        safety.allow[0] = ov("2026-10-01T00:00:00Z");
        assert!(
            !check(
                &changes,
                &sizes,
                &BTreeSet::new(),
                &Limits::new(&safety, now, None)
            )
            .is_empty(),
            "expired override"
        );
    }

    #[test]
    fn share_rail_counts_per_container() {
        let now = "2026-11-01T00:00:00Z".parse().unwrap();
        let container = Address::partial(RULE, ["ep"]);
        let sizes: BTreeMap<_, _> = [(container.clone(), 10)].into_iter().collect();
        let limits = Limits::new(&Safety::default(), now, None);
        let two: Vec<Change> = (0..2).map(delete).collect();
        assert!(check(&two, &sizes, &BTreeSet::new(), &limits).is_empty());
        let three: Vec<Change> = (0..3).map(delete).collect();
        let v = check(&three, &sizes, &BTreeSet::new(), &limits);
        assert_eq!(v[0].rail, "max_delete_share");
        assert_eq!(v[0].address.as_ref(), Some(&container));
    }

    #[test]
    fn the_share_container_is_looked_up_as_a_scan_would_find_it() {
        let containers = [
            Address::partial(RULE, ["ep"]),
            Address::partial(RULE, ["ep", "/a/"]),
            Address::partial(RULE, ["other"]),
            Address::new(GROUP, ["lab"]),
            Address::partial(MEMBER, ["lab"]),
            Address::partial(SET, ["coll/exp"]),
        ];
        let addresses = [
            Address::new(RULE, ["ep", "/a/", "identity:1"]),
            Address::new(RULE, ["ep", "/b/", "identity:1"]),
            Address::new(RULE, ["none", "/a/", "identity:1"]),
            Address::new(MEMBER, ["lab", "identity:1"]),
            Address::new(MEMBER, ["else", "identity:1"]),
            Address::new(SET, ["coll/exp", "group:g"]),
            Address::new(GROUP, ["lab"]),
        ];
        // Any subset of the containers: the lookup must agree with the first match of a scan.
        for mask in 0..1u32 << containers.len() {
            let sizes: BTreeMap<Address, usize> = containers
                .iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << i) != 0)
                .map(|(_, c)| (c.clone(), 1))
                .collect();
            for a in &addresses {
                let scan = sizes
                    .keys()
                    .find(|c| {
                        (c.kind == a.kind && a.keys.starts_with(&c.keys))
                            || a.container().as_ref() == Some(*c)
                    })
                    .cloned();
                assert_eq!(share_container(a, &sizes), scan, "{a} in {mask:b}");
            }
        }
    }

    #[test]
    fn prevent_destroy_refuses() {
        let now = "2026-11-01T00:00:00Z".parse().unwrap();
        let c = delete(1);
        let pd: BTreeSet<_> = [c.address.clone()].into_iter().collect();
        let v = check(
            &[c],
            &BTreeMap::new(),
            &pd,
            &Limits::new(&Safety::default(), now, None),
        );
        assert_eq!(v[0].rail, "prevent_destroy");
    }
}
