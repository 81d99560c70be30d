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
use crate::state::{Address, Kind, Principal};

/// A dependency cycle, with every address on it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("dependency cycle: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join(" → "))]
pub struct Cycle(pub Vec<Address>);

/// Apply phase of a change: creates and grants first, then revocations, then deletions
/// (innermost first).
fn phase(c: &Change) -> (u8, i8) {
    let depth = match c.address.kind {
        Kind::GlobusGroup | Kind::BossGroup | Kind::BossFrame | Kind::GcsCredential => 0,
        Kind::GcsCollection | Kind::BossResource => 1,
        // Directories exist before the rules and roles that point at them.
        Kind::Directory => 2,
        _ => 3,
    };
    match (c.action, c.direction) {
        (Action::Delete, _) => (2, -depth),
        (_, Direction::Revoke) => (1, depth),
        _ => (0, depth),
    }
}

/// The objects an address refers to, which it must be deleted before: its group, a managed
/// group it names, a Boss resource's parent, a Boss permission's resource and group.
pub fn references(address: &Address) -> Vec<Address> {
    let mut out = Vec::new();
    if let Some(c) = address.container() {
        out.push(c);
    }
    match address.keys.last().map(|k| k.parse::<Principal>()) {
        Some(Ok(Principal::ManagedGroup(name))) => {
            out.push(Address::new(Kind::GlobusGroup, [name]))
        }
        Some(Ok(Principal::BossGroup(name))) if address.kind == Kind::BossPermission => {
            out.push(Address::new(Kind::BossGroup, [name]))
        }
        _ => {}
    }
    // A Boss permission lives on its resource; a resource inside its parent (the Boss
    // refuses to delete a collection or experiment that still has children).
    match address.kind {
        Kind::BossPermission => {
            out.push(Address::new(Kind::BossResource, [address.keys[0].clone()]))
        }
        Kind::BossResource => {
            if let Some((parent, _)) = address.keys[0].rsplit_once('/') {
                out.push(Address::new(Kind::BossResource, [parent.to_string()]));
            }
        }
        _ => {}
    }
    out
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
    // Deletes reversed: a top-level object goes after the deletes of what refers to it.
    for (i, c) in changes.iter().enumerate() {
        if c.action != Action::Delete {
            continue;
        }
        for target in references(&c.address) {
            if let Some(&j) = by_address.get(&target)
                && changes[j].action == Action::Delete
            {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Object;

    fn change(
        address: Address,
        action: Action,
        direction: Direction,
        deps: Vec<Address>,
    ) -> Change {
        let mut obj = Object::new(address.clone());
        obj.depends_on = deps;
        Change {
            address,
            action,
            fields: vec![],
            before: None,
            after: if action == Action::Delete {
                None
            } else {
                Some(obj)
            },
            direction,
            reason: String::new(),
            provenance: None,
            labels: Default::default(),
            deleted_with: None,
        }
    }

    fn group(n: &str) -> Address {
        Address::new(Kind::GlobusGroup, [n])
    }

    fn member(g: &str, i: u128) -> Address {
        Address::new(
            Kind::GlobusMember,
            [
                g.to_string(),
                format!("identity:{}", uuid::Uuid::from_u128(i)),
            ],
        )
    }

    #[test]
    fn batches_per_group_and_direction_and_orders_groups_first() {
        let changes = vec![
            change(
                member("a", 1),
                Action::Create,
                Direction::Grant,
                vec![group("a")],
            ),
            change(member("a", 2), Action::Delete, Direction::Revoke, vec![]),
            change(
                member("a", 3),
                Action::Create,
                Direction::Grant,
                vec![group("a")],
            ),
            change(group("a"), Action::Create, Direction::Neutral, vec![]),
        ];
        let key = |c: &Change| {
            (c.address.kind == Kind::GlobusMember).then(|| format!("g:{}", c.address.keys[0]))
        };
        let (changes, steps) = order(changes, &key).unwrap();
        assert_eq!(changes[0].address, group("a"));
        assert_eq!(steps.len(), 3, "{steps:?}");
        assert_eq!(steps[1].changes.len(), 2, "both grants in one batch");
        assert_eq!(
            steps[1].depends_on,
            vec![0],
            "the batch waits for the group"
        );
        assert_eq!(changes[steps[2].changes[0]].action, Action::Delete);
    }

    #[test]
    fn deletes_are_reversed() {
        let rule = Address::new(Kind::TransferAcl, ["ep", "/x/", "group:a"]);
        let changes = vec![
            change(group("a"), Action::Delete, Direction::Revoke, vec![]),
            change(rule.clone(), Action::Delete, Direction::Revoke, vec![]),
        ];
        let (changes, steps) = order(changes, &|_| None).unwrap();
        assert_eq!(changes[0].address, rule);
        assert_eq!(steps[1].depends_on, vec![0]);
    }

    #[test]
    fn reports_every_member_of_a_cycle() {
        let a = Address::new(Kind::TransferAcl, ["ep", "/a/", "anonymous"]);
        let b = Address::new(Kind::TransferAcl, ["ep", "/b/", "anonymous"]);
        let changes = vec![
            change(a.clone(), Action::Create, Direction::Grant, vec![b.clone()]),
            change(b.clone(), Action::Create, Direction::Grant, vec![a.clone()]),
        ];
        let err = order(changes, &|_| None).unwrap_err();
        assert_eq!(err.0, vec![a, b]);
        assert!(err.to_string().starts_with("dependency cycle: "));
    }
}
