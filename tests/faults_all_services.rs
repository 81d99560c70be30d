//! Every service under a storm of faults (issue 8): 10% 5xx, 429s with Retry-After, latency
//! spikes and dropped connections. Apply converges for every example workspace, creates no
//! duplicate (a create is re-read and adopted, never blindly resent) and loses no grant.

mod common;

use std::collections::BTreeSet;

use accord::emulator::FaultRule;
use common::{Live, run, workspace};
use serde_json::{Value, json};

/// The storm, seeded so a run repeats.
fn storm(seed: u64) -> Vec<FaultRule> {
    serde_json::from_value(json!([
        {"service": "all", "error_rate": 0.10, "status": 503, "seed": seed},
        {"service": "all", "rate_limit": 0.05, "retry_after": 1, "seed": seed + 1},
        {"service": "all", "drop_rate": 0.03, "seed": seed + 2},
        {"service": "all", "error_rate": 0.05, "status": 502, "latency_ms": 150, "seed": seed + 3}
    ]))
    .expect("fault rules")
}

/// Applies until it succeeds (retries may run out under the storm; a re-run re-reads and
/// goes on), at most `tries` times; answers the last output.
fn apply_until_done(dir: &str, url: &str, tries: usize) -> String {
    let mut last = String::new();
    for _ in 0..tries {
        let (code, out, err) = run(&["apply", dir, "--target", url, "--auto-approve"]);
        if code == 0 {
            return out;
        }
        last = format!("{out}\n{err}");
    }
    panic!("apply did not finish in {tries} tries:\n{last}");
}

/// Names that must be unique in each service's state: a duplicate is a create resent blindly.
fn assert_no_duplicates(state: &Value) {
    let mut seen = BTreeSet::new();
    for g in state["groups"]
        .as_object()
        .into_iter()
        .flat_map(|m| m.values())
    {
        assert!(
            seen.insert(("group", g["name"].to_string())),
            "duplicate group {g}"
        );
    }
    for ep in state["endpoints"]
        .as_object()
        .into_iter()
        .flat_map(|m| m.values())
    {
        let mut rules = BTreeSet::new();
        for r in ep["acl"].as_array().into_iter().flatten() {
            let key = (
                r["principal_type"].to_string(),
                r["principal"].to_string(),
                r["path"].to_string(),
            );
            assert!(rules.insert(key.clone()), "duplicate ACL rule {key:?}");
        }
    }
    let text = state.to_string();
    // Guest collections: one per display name and mapped collection.
    let mut collections = BTreeSet::new();
    collect(state, "collection_base_path", &mut |c| {
        let key = (
            c["display_name"].to_string(),
            c["mapped_collection_id"].to_string(),
        );
        assert!(
            collections.insert(key.clone()),
            "duplicate guest collection {key:?}"
        );
    });
    // Search roles: one per (role, principal) per index.
    for (_, index) in state["search"]["indexes"].as_object().into_iter().flatten() {
        let mut roles = BTreeSet::new();
        for r in index["roles"].as_array().into_iter().flatten() {
            let key = (r["role_name"].to_string(), r["principal"].to_string());
            assert!(roles.insert(key.clone()), "duplicate Search role {key:?}");
        }
    }
    assert!(!text.is_empty());
}

/// Calls `f` on every object holding `key`.
fn collect(v: &Value, key: &str, f: &mut dyn FnMut(&Value)) {
    match v {
        Value::Object(m) => {
            if m.contains_key(key) {
                f(v);
            }
            m.values().for_each(|x| collect(x, key, f));
        }
        Value::Array(a) => a.iter().for_each(|x| collect(x, key, f)),
        _ => {}
    }
}

fn storm_converges(example: &str, seed: u64) {
    let live = Live::from_seed_file(&format!("policies/{example}/live.yaml"));
    let (_tmp, ws) = workspace(&format!("policies/{example}"));
    let dir = ws.to_str().unwrap();
    let url = live.url().to_string();
    live.emulator().add_faults(storm(seed)).unwrap();
    apply_until_done(dir, &url, 4);
    // The plan after the storm, read under the storm too, is empty: nothing lost.
    let mut converged = None;
    for _ in 0..3 {
        let (code, out, _) = run(&["plan", dir, "--target", &url, "--detailed-exitcode"]);
        match code {
            0 => {
                converged = Some(out);
                break;
            }
            // A read that ran out of retries: read again.
            1 => continue,
            _ => panic!("{example}: not converged after the storm:\n{out}"),
        }
    }
    assert!(
        converged.is_some(),
        "{example}: plan kept failing under the storm"
    );
    let injected = live.emulator().faults_injected();
    assert!(injected > 0, "{example}: faults were injected");
    live.emulator().clear_faults();
    let (code, out, err) = run(&["plan", dir, "--target", &url, "--detailed-exitcode"]);
    assert_eq!(
        code, 0,
        "{example}: converged without faults too:\n{out}{err}"
    );
    assert_no_duplicates(&live.state());
}

#[test]
fn groups_and_transfer_converge_under_the_storm() {
    storm_converges("lab", 11);
}

#[test]
fn gcs_and_transfer_converge_under_the_storm() {
    storm_converges("data-distribution", 23);
}

#[test]
fn the_boss_converges_under_the_storm() {
    storm_converges("boss-tutorial", 37);
}

#[test]
fn search_converges_under_the_storm() {
    storm_converges("search-roles", 41);
}
