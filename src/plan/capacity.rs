//! How many objects each container holds once a plan is applied: what a service's limit on
//! a container (rules per collection, roles per index) is checked against before apply.

use std::collections::BTreeMap;

use crate::state::LiveRead;
use crate::state::{ContainerMode, Desired, Kind};

/// Per container of `kind` (by its first key): the desired objects, plus the live ones the
/// plan keeps (a container that is not authoritative keeps every undeclared one).
pub fn after_apply(kind: Kind, desired: &Desired, live: &LiveRead) -> BTreeMap<String, usize> {
    let modes: BTreeMap<&str, ContainerMode> = desired
        .state
        .containers
        .iter()
        .filter(|c| c.address.kind == kind)
        .filter_map(|c| Some((c.address.keys.first()?.as_str(), c.mode)))
        .collect();
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut count = |key: &str| *counts.entry(key.to_string()).or_default() += 1;
    for address in desired.state.objects.keys().filter(|a| a.kind == kind) {
        if let Some(key) = address
            .keys
            .first()
            .filter(|k| modes.contains_key(k.as_str()))
        {
            count(key);
        }
    }
    for address in live.state.objects.keys().filter(|a| a.kind == kind) {
        let Some(key) = address.keys.first() else {
            continue;
        };
        let kept = modes
            .get(key.as_str())
            .is_some_and(|m| *m != ContainerMode::Authoritative);
        if kept && !desired.state.objects.contains_key(address) {
            count(key);
        }
    }
    counts
}
