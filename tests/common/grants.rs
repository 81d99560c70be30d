//! Grants as the emulator holds them, and the ones an apply deleted: what tells a plan that
//! converges from one that drops access and puts it back.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::{Live, run};

/// One live grant without its id: on what (endpoint, collection or index id), what (a path
/// or a role) and who (a bare identity or group UUID).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Grant {
    /// The endpoint, collection or index id.
    pub on: String,
    /// The rule's path or the role's name.
    pub what: String,
    /// The principal's UUID, lowercase, without a URN prefix.
    pub who: String,
}

impl Grant {
    /// A grant from its parts.
    pub fn new(on: &str, what: &str, who: &str) -> Grant {
        Grant {
            on: on.to_string(),
            what: what.to_string(),
            who: bare(who),
        }
    }
}

/// A principal as the services write it (bare UUID, identity or group URN) made bare.
fn bare(who: &str) -> String {
    who.trim_start_matches("urn:globus:auth:identity:")
        .trim_start_matches("urn:globus:groups:id:")
        .to_ascii_lowercase()
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

/// Every live grant by its id, from an emulator state (`Live::state`): the Transfer ACL rules
/// and GCS roles of every endpoint and collection, and the roles of every Search index.
pub fn grants(state: &Value) -> BTreeMap<String, Grant> {
    let mut out = BTreeMap::new();
    let mut add = |on: &Value, list: &Value, what: &str| {
        for g in list.as_array().into_iter().flatten() {
            out.insert(
                text(&g["id"]),
                Grant::new(&text(on), &text(&g[what]), &text(&g["principal"])),
            );
        }
    };
    for e in state["endpoints"]
        .as_object()
        .into_iter()
        .flat_map(|m| m.values())
    {
        add(&e["id"], &e["acl"], "path");
        add(&e["id"], &e["roles"], "role");
    }
    for i in state["search"]["indexes"]
        .as_object()
        .into_iter()
        .flat_map(|m| m.values())
    {
        add(&i["id"], &i["roles"], "role_name");
    }
    out
}

/// The grants that the DELETE requests of the emulator's log removed, of those live in
/// `before` (every delete route of a grant ends in its id).
pub fn deleted(live: &Live, before: &BTreeMap<String, Grant>) -> BTreeSet<Grant> {
    live.emulator()
        .request_log()
        .into_iter()
        .filter(|r| r.method == "DELETE")
        .filter_map(|r| before.get(r.path.rsplit('/').next()?).cloned())
        .collect()
}

/// Applies `dir` against `live` and checks the apply deleted none of the `declared` grants
/// and left every one of them live. Returns the apply's output.
pub fn apply_keeping(live: &Live, dir: &str, declared: &[Grant]) -> String {
    let before = grants(&live.state());
    live.emulator().clear_request_log();
    let (code, out, err) = run(&["apply", dir, "--target", live.url(), "--auto-approve"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains(" 0 failed, 0 blocked") || out.contains("No changes"),
        "{out}"
    );
    let gone = deleted(live, &before);
    let after: BTreeSet<Grant> = grants(&live.state()).into_values().collect();
    for g in declared {
        assert!(
            !gone.contains(g),
            "the apply deleted a grant the policy declares: {g:?}\n{out}"
        );
        assert!(
            after.contains(g),
            "a declared grant is not live: {g:?}\n{out}"
        );
    }
    out
}
