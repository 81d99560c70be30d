//! Search writes at their fewest: an apply changing N documents in 2 indexes and M roles sends
//! one call per role created or deleted, one ingest per index and direction (the grants' ingest
//! is done before any revocation's starts), one re-read of a batch's subjects right before its
//! ingest, and a bounded number of task polls, counted in the emulator's request log.

mod common;

use std::fmt::Write as _;

use accord::emulator::RecordedRequest;
use common::{Live, run};

const CLIENT: &str = "0b1e4d5c-6f7a-4b8c-9d0e-1f2a3b4c5d6e";
const INDEX_A: &str = "4de2f3a1-5b7c-4d8e-9f0a-1b2c3d4e5f60";
const INDEX_B: &str = "4de2f3a1-5b7c-4d8e-9f0a-1b2c3d4e5f61";
/// Documents per index.
const DOCS: usize = 8;
/// Polls of one ingest task the emulator needs: it answers `PENDING` to a task's first poll.
const POLLS_PER_TASK: usize = 2;

fn user_id(u: usize) -> String {
    format!("00000000-0000-4000-8000-00000000000{u}")
}

/// Index `i`'s documents: (subject, declared visible_to). Live, each is visible to u0 and u1.
/// Index A: 3 widened (a grant each), 3 narrowed (a revocation each), 2 as they are; index B:
/// 4 widened, 4 as they are.
fn documents(index: usize) -> Vec<(String, &'static str)> {
    (0..DOCS)
        .map(|d| {
            let visible = match (index, d) {
                (0, 0..3) | (1, 0..4) => "[u0, u1, u2]",
                (0, 3..6) => "[u0]",
                _ => "[u0, u1]",
            };
            (format!("doc{d}"), visible)
        })
        .collect()
}

fn seed() -> String {
    let mut s =
        format!("clients: [{{ client_id: {CLIENT}, client_secret: count-secret }}]\nidentities:\n");
    for u in 0..4 {
        writeln!(s, "  - {{ id: {}, username: u{u}@uni.edu }}", user_id(u)).unwrap();
    }
    s.push_str("search:\n  indexes:\n");
    for (i, index) in [INDEX_A, INDEX_B].iter().enumerate() {
        writeln!(
            s,
            "    {index}:\n      display_name: count {i}\n      roles: {{ owner: [{CLIENT}], writer: [u0@uni.edu] }}\n      entries:"
        )
        .unwrap();
        for (subject, _) in documents(i) {
            writeln!(
                s,
                "        - {{ subject: {subject}, visible_to: [u0@uni.edu, u1@uni.edu], content: {{ title: \"{subject} of {i}\", n: [1, 2] }} }}"
            )
            .unwrap();
        }
    }
    s
}

/// Roles: index A's writers become u1 and u2 (2 created, 1 deleted), index B's u0 and u1
/// (1 created): M = 4.
fn policy() -> String {
    let mut s = format!("identities:\n  accord: {CLIENT}\n");
    for u in 0..4 {
        writeln!(s, "  u{u}: u{u}@uni.edu").unwrap();
    }
    s.push_str("search:\n  indexes:\n");
    for (i, index) in [INDEX_A, INDEX_B].iter().enumerate() {
        let writers = if i == 0 { "[u1, u2]" } else { "[u0, u1]" };
        writeln!(
            s,
            "    {index}:\n      roles: {{ owner: [accord], writer: {writers} }}\n      documents:"
        )
        .unwrap();
        for (subject, visible) in documents(i) {
            writeln!(s, "        {subject}: {{ visible_to: {visible} }}").unwrap();
        }
    }
    s
}

/// `METHOD /path` of each Search request, the service prefix left out.
fn search_requests(log: &[RecordedRequest]) -> Vec<String> {
    log.iter()
        .filter_map(|r| {
            let path = r.path.strip_prefix("/search")?;
            Some(format!("{} {path}", r.method))
        })
        .collect()
}

fn count(requests: &[String], pred: impl Fn(&str) -> bool) -> usize {
    requests.iter().filter(|r| pred(r)).count()
}

#[test]
fn an_apply_sends_one_ingest_per_index_and_direction_and_one_call_per_role() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    common::write_embedded(dir, &seed(), &policy());
    let live = Live::from_seed(
        accord::emulator::Seed::from_yaml_str(&accord::services::builtin(), &seed()).unwrap(),
    );
    let d = dir.to_str().unwrap();
    live.emulator().clear_request_log();
    let (code, out, err) = run(&["apply", d, "--target", live.url(), "--auto-approve"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("0 failed, 0 blocked"), "{out}");
    let requests = search_requests(&live.emulator().request_log());

    let roles = 4; // M
    // Index A: a batch of grants and one of revocations; index B: a batch of grants.
    let batches = 3;
    let role_writes = count(&requests, |r| {
        r.starts_with("POST ") && r.ends_with("/role") || r.starts_with("DELETE ")
    });
    let ingests = count(&requests, |r| r.ends_with("/ingest"));
    let polls = count(&requests, |r| r.starts_with("GET /v1/task/"));
    let queries = count(&requests, |r| r.ends_with("/search"));
    let subject_gets = count(&requests, |r| {
        r.starts_with("GET ") && r.contains("/subject")
    });
    let role_lists = count(&requests, |r| r.ends_with("/role_list"));
    eprintln!(
        "search requests: {} (role writes {role_writes}, ingests {ingests}, polls {polls}, \
         queries {queries}, subject GETs {subject_gets}, role lists {role_lists})\n{requests:#?}",
        requests.len()
    );
    // Writes: exactly the formula's.
    assert_eq!(role_writes, roles, "{requests:#?}");
    assert_eq!(ingests, batches, "{requests:#?}");
    // Reads: per index its role list and one query of its subjects; per batch one query
    // re-reading its subjects (content is sent back whole) right before its ingest.
    assert_eq!(role_lists, 2, "{requests:#?}");
    assert_eq!(queries, 2 + batches, "{requests:#?}");
    assert_eq!(subject_gets, 0, "{requests:#?}");
    // Polls: bounded, reported apart.
    assert!(polls <= batches * POLLS_PER_TASK, "{requests:#?}");
    assert_eq!(
        requests.len(),
        role_writes + ingests + polls + queries + role_lists,
        "no other Search request: {requests:#?}"
    );

    // Converged: nothing left to do.
    let (code, plan, _) = run(&["plan", d, "--target", live.url(), "--detailed-exitcode"]);
    assert_eq!(code, 0, "converged:\n{plan}");
}
