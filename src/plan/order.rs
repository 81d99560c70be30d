//! Ordering: changes become steps (single calls or batches) in a dependency graph.
//!
//! Edges come from `depends_on` (a rule naming a managed group waits for the group's
//! create) and, reversed, for deletes (a group's delete waits for the deletes of the rules
//! naming it); a delete the service carries out with another object's (a guest collection's
//! rules and roles) waits for that delete. Every grant precedes every revocation: the
//! executor starts no step holding a revocation until every step holding a grant is done
//! (one barrier instead of G×R edges).

use std::collections::BTreeMap;

use petgraph::algo::tarjan_scc;
use petgraph::graph::DiGraph;

use super::change::{Action, Change, Direction};
use super::model::Step;
use crate::state::{Address, Principal};

/// A dependency cycle, with every address on it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("dependency cycle: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join(" → "))]
pub struct Cycle(pub Vec<Address>);

/// Apply phase of a change: creates and grants first, then revocations, then deletions
/// (innermost first).
fn phase(c: &Change) -> (u8, i8) {
    // Shallow objects (groups, credentials) first; directories before the rules on them.
    let depth = c.address.kind.def().depth as i8;
    match (c.action, c.direction) {
        (Action::Delete, _) => (2, -depth),
        (_, Direction::Revoke) => (1, depth),
        _ => (0, depth),
    }
}

/// The objects an address refers to, which it must be deleted before: the object it belongs
/// to, and whatever its kind names (a Boss resource's parent). The principal it names, when
/// that principal is an object of the plan (a managed group), is found by [`order`] itself.
pub fn references(address: &Address) -> Vec<Address> {
    let mut out = Vec::new();
    if let Some(c) = address.container() {
        out.push(c);
    }
    out.extend(address.kind.semantics().references(address));
    out
}

/// The principal an address names last (a rule's grantee), if it is one.
fn named_principal(address: &Address) -> Option<Principal> {
    address.keys.last()?.parse().ok()
}

/// Sorts changes into apply order and groups them into steps with their dependencies.
pub fn order(
    mut changes: Vec<Change>,
    batch_key: &dyn Fn(&Change) -> Option<String>,
) -> Result<(Vec<Change>, Vec<Step>), Cycle> {
    changes.sort_by(|a, b| {
        phase(a)
            .cmp(&phase(b))
            .then_with(|| a.address.cmp(&b.address))
    });

    let mut steps: Vec<Step> = Vec::new();
    let mut step_of: Vec<usize> = Vec::with_capacity(changes.len());
    let mut batches: BTreeMap<String, usize> = BTreeMap::new();
    for (i, c) in changes.iter().enumerate() {
        // A delete the service carries out itself is never sent, so never batched.
        let key = c
            .is_sent()
            .then(|| batch_key(c))
            .flatten()
            .map(|k| format!("{k}:{:?}", c.direction).to_lowercase());
        let s = match key.as_ref().and_then(|k| batches.get(k)) {
            Some(&s) => {
                steps[s].changes.push(i);
                s
            }
            None => {
                steps.push(Step {
                    changes: vec![i],
                    batch: key.clone(),
                    depends_on: Vec::new(),
                });
                if let Some(k) = key {
                    batches.insert(k, steps.len() - 1);
                }
                steps.len() - 1
            }
        };
        step_of.push(s);
    }

    let by_address: BTreeMap<&Address, usize> = changes
        .iter()
        .enumerate()
        .map(|(i, c)| (&c.address, i))
        .collect();
    let mut edges: Vec<(usize, usize)> = Vec::new();
    for (i, c) in changes.iter().enumerate() {
        if c.action == Action::Delete {
            continue;
        }
        let needs = c.after.iter().flat_map(|o| o.depends_on.iter());
        for dep in needs {
            if let Some(&j) = by_address.get(dep)
                && matches!(changes[j].action, Action::Create | Action::Replace)
            {
                edges.push((step_of[j], step_of[i]));
            }
        }
    }
    // Deletes reversed: a top-level object goes after the deletes of what refers to it,
    // a principal (a managed group) after the deletes of what names it.
    let principals: BTreeMap<Principal, usize> = changes
        .iter()
        .enumerate()
        .filter_map(|(i, c)| Some((c.address.kind.semantics().is_principal(&c.address)?, i)))
        .collect();
    for (i, c) in changes.iter().enumerate() {
        if c.action != Action::Delete {
            continue;
        }
        let named = named_principal(&c.address).and_then(|p| principals.get(&p).copied());
        let referred = references(&c.address)
            .into_iter()
            .filter_map(|target| by_address.get(&target).copied());
        for j in referred.chain(named) {
            if changes[j].action == Action::Delete {
                edges.push((step_of[i], step_of[j]));
            }
        }
    }
    // A delete carried out with another object's (a guest collection's rules and roles) is
    // done once that object's delete is.
    for (i, c) in changes.iter().enumerate() {
        if let Some(&j) = c.deleted_with.as_ref().and_then(|w| by_address.get(w)) {
            edges.push((step_of[j], step_of[i]));
        }
    }
    edges.sort_unstable();
    edges.dedup();

    let mut graph = DiGraph::<usize, ()>::new();
    let nodes: Vec<_> = (0..steps.len()).map(|s| graph.add_node(s)).collect();
    for &(from, to) in &edges {
        if from != to {
            graph.add_edge(nodes[from], nodes[to], ());
            steps[to].depends_on.push(from);
        }
    }
    for scc in tarjan_scc(&graph) {
        if scc.len() > 1 {
            let mut members: Vec<Address> = scc
                .iter()
                .flat_map(|n| {
                    steps[graph[*n]]
                        .changes
                        .iter()
                        .map(|&c| changes[c].address.clone())
                })
                .collect();
            members.sort();
            return Err(Cycle(members));
        }
    }
    for s in &mut steps {
        s.depends_on.sort_unstable();
        s.depends_on.dedup();
    }
    Ok((changes, steps))
}
