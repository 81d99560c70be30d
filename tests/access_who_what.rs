//! `accord access who|what --from policy` on the example workspaces, with answers worked out
//! by hand from their policy files (line numbers included): who reaches a Transfer path and
//! through which group, what a person or a group can do on a flow, and clear refusals of a
//! resource or principal accord cannot read.

mod common;

use common::run;

const LAB: &str = "policies/lab";
const FLOWS: &str = "policies/flows";
const SHARE: &str = "e56c36e4-1063-11e6-a747-22000bf2d559";
const FLOW: &str = "2f3a0000-0000-4000-8000-000000000001";

/// `accord access ARGS… --from policy` at `now` (or the tests' clock): exit code, stdout, stderr.
fn access(args: &[&str], now: Option<&str>) -> (i32, String, String) {
    let mut all = vec!["access"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--from", "policy"]);
    if let Some(now) = now {
        // Its own clock, not the one `run` passes.
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_accord"))
            .args(&all)
            .args(["--now", now])
            .output()
            .expect("run accord");
        return (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        );
    }
    run(&all)
}

/// Checks an answer against schemas/access.schema.json.
fn assert_schema(answer: &serde_json::Value) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schemas/access.schema.json");
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    assert!(validator.is_valid(answer), "{answer:#}");
}

fn assert_lines(out: &str, lines: &[&str]) {
    for line in lines {
        assert!(out.contains(line), "missing `{line}` in\n{out}");
    }
}

#[test]
fn a_rule_on_a_folder_reaches_a_path_under_it_through_the_group() {
    // shares.yaml:7 gives group:lab-members r on /projects/; groups.yaml:11 makes alice a
    // member, and groups.yaml:12 makes dave one until 2026-06-30.
    let path = format!("transfer:{SHARE}:/projects/data/run1.h5");
    let (code, out, err) = access(&["who", &path, LAB], Some("2026-01-01T00:00:00Z"));
    assert_eq!(code, 0, "{err}");
    assert_lines(
        &out,
        &[
            "  alice: r\n",
            "alice —member→ group lab-members (groups.yaml:11) —r→ e56c36e4… /projects/ (shares.yaml:7)",
            "  dave: r\n",
            "dave —member→ group lab-members (groups.yaml:12) [expires 2026-06-30T00:00:00Z] —r→ e56c36e4… /projects/ (shares.yaml:7)",
            "usernames are shown as written and matched by spelling",
        ],
    );
    // After dave's membership expires, only alice is left.
    let (code, out, _) = access(&["who", &path, LAB], Some("2026-12-01T00:00:00Z"));
    assert_eq!(code, 0);
    assert!(out.contains("alice: r") && !out.contains("dave"), "{out}");
}

#[test]
fn a_rule_covers_neither_its_parent_nor_a_sibling_spelled_alike() {
    for path in ["/disthome/", "/projectsX/", "/"] {
        let (code, out, err) = access(&["who", &format!("transfer:{SHARE}:{path}"), LAB], None);
        assert_eq!(code, 0, "{err}");
        assert!(out.contains("  nobody\n"), "{path}: {out}");
    }
    // The folder itself, with or without its last slash.
    for path in ["/disthome/bob/", "/disthome/bob"] {
        let (_, out, _) = access(&["who", &format!("transfer:{SHARE}:{path}"), LAB], None);
        assert_lines(
            &out,
            &["bob —r→ e56c36e4… /disthome/bob/ (shares.yaml:6) [expires 2027-12-31T00:00:00Z]"],
        );
    }
}

#[test]
fn what_a_person_reaches_lists_each_group_and_each_rule() {
    let (code, out, err) = access(&["what", "alice", LAB], None);
    assert_eq!(code, 0, "{err}");
    assert_lines(
        &out,
        &[
            "What alice can reach (from policy):",
            "  member of group lab-members\n",
            "  member of group lab-readers\n",
            "  rw on e56c36e4… /disthome/alice/\n",
            "alice —rw→ e56c36e4… /disthome/alice/ (shares.yaml:5)",
            "  r on e56c36e4… /projects/\n",
            "  r on e56c36e4… /shared/\n",
            "alice —member→ group lab-readers (groups.yaml:16) —r→ e56c36e4… /shared/ (shares.yaml:8)",
        ],
    );
    // Her username and her alias are one principal.
    let (_, by_name, _) = access(&["what", "alice@uchicago.edu", LAB], None);
    assert_eq!(by_name.replace("alice@uchicago.edu can", "alice can"), out);
    let (_, bob, _) = access(&["what", "bob", LAB], None);
    assert_lines(
        &bob,
        &[
            "  admin of group lab-admins\n",
            "bob —admin→ group lab-admins (groups.yaml:6)",
        ],
    );
}

#[test]
fn who_reaches_the_flow_every_chain_the_highest_level_first() {
    // flows.yaml:5 curators administer, :6 lab-members start, :7 the public views;
    // people.yaml:12 ada and ben are curators, :15 all four are lab members.
    let (code, out, err) = access(&["who", &format!("flow:{FLOW}"), FLOWS], None);
    assert_eq!(code, 0, "{err}");
    let expected = "\
Who can reach flow:2f3a0000-0000-4000-8000-000000000001 (from policy):
  ada: administrator
    ada —member→ group curators (people.yaml:12) —administrator→ flow 2f3a0000… (flows.yaml:5)
    ada —member→ group lab-members (people.yaml:15) —starter→ flow 2f3a0000… (flows.yaml:6)
  ben: administrator
    ben —member→ group curators (people.yaml:12) —administrator→ flow 2f3a0000… (flows.yaml:5)
    ben —member→ group lab-members (people.yaml:15) —starter→ flow 2f3a0000… (flows.yaml:6)
  cy: starter
    cy —member→ group lab-members (people.yaml:15) —starter→ flow 2f3a0000… (flows.yaml:6)
  dee: starter
    dee —member→ group lab-members (people.yaml:15) —starter→ flow 2f3a0000… (flows.yaml:6)
    dee —member→ group run-watchers (people.yaml:18) —viewer (as monitor)→ flow 2f3a0000… (flows.yaml:9)
  public: viewer
    public —viewer→ flow 2f3a0000… (flows.yaml:7)
";
    assert!(out.starts_with(expected), "{out}");
}

#[test]
fn administrators_manage_runs_and_run_monitors_view_the_flow() {
    // The Flows implications: curators administer (flows.yaml:5), so they manage runs;
    // run_managers is empty (flows.yaml:8); run-watchers monitor (flows.yaml:9).
    let (code, out, err) = access(&["who", &format!("flow-runs:{FLOW}"), FLOWS], None);
    assert_eq!(code, 0, "{err}");
    assert_lines(
        &out,
        &[
            "  ada: manager\n",
            "ada —member→ group curators (people.yaml:12) —manager (as administrator)→ runs of flow 2f3a0000… (flows.yaml:5)",
            "  dee: monitor\n",
            "dee —member→ group run-watchers (people.yaml:18) —monitor→ runs of flow 2f3a0000… (flows.yaml:9)",
        ],
    );
    assert!(!out.contains("  cy:"), "{out}");
}

#[test]
fn what_a_group_and_a_watcher_can_do_on_the_flow() {
    let (code, out, err) = access(&["what", "group:curators", FLOWS], None);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "What group:curators can reach (from policy):\n  administrator on flow 2f3a0000…\n    \
         group:curators —administrator→ flow 2f3a0000… (flows.yaml:5)\n  \
         manager of runs of flow 2f3a0000…\n    \
         group:curators —manager (as administrator)→ runs of flow 2f3a0000… (flows.yaml:5)\n"
    );
    // dee watches runs through run-watchers (people.yaml:18, flows.yaml:9), and sees what
    // everyone sees.
    let (_, dee, _) = access(&["what", "dee", FLOWS], None);
    assert_lines(
        &dee,
        &[
            "  starter on flow 2f3a0000…\n",
            "dee —member→ group run-watchers (people.yaml:18) —monitor→ runs of flow 2f3a0000… (flows.yaml:9)",
            "What everyone gets:\n  public: viewer on flow 2f3a0000…\n",
        ],
    );
}

#[test]
fn json_answers_carry_each_link_and_its_line() {
    let (code, out, err) = access(&["what", "bob", LAB, "--format", "json"], None);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_schema(&v);
    assert_eq!(v["question"], "what");
    assert_eq!(v["from"], "policy");
    let rule = &v["holdings"][1];
    assert_eq!(rule["principal"], "bob@uchicago.edu");
    assert_eq!(rule["label"], "bob");
    assert_eq!(rule["resource"], format!("transfer:{SHARE}:/disthome/bob/"));
    assert_eq!(rule["level"], "r");
    let link = &rule["chains"][0]["links"][0];
    assert_eq!(link["at"], "shares.yaml:6");
    assert_eq!(link["expires"], "2027-12-31T00:00:00Z");
}

#[test]
fn an_unknown_resource_or_principal_is_refused_clearly() {
    let (code, out, err) = access(&["who", "folder:/x", LAB], None);
    assert_eq!(code, 1, "{out}");
    assert!(err.contains("not a resource: `folder:/x`"), "{err}");
    assert!(err.contains("transfer:<collection>:/path/"), "{err}");
    let (code, _, err) = access(&["who", "transfer:not-a-uuid:projects", LAB], None);
    assert_eq!(code, 1);
    assert!(err.contains("not a resource"), "{err}");
    let (code, _, err) = access(&["what", "nobody-here", LAB], None);
    assert_eq!(code, 1);
    assert!(err.contains("not a principal: `nobody-here`"), "{err}");
}

#[test]
fn both_marks_each_link_live_declared_or_system_managed() {
    // The lab's demo target (live.yaml): lab-members holds alice and dave, the /projects/
    // rule is live, bob's rule on /disthome/bob/ is not, and the client is the group's admin
    // with Transfer's role-derived rw on `/` (both system-managed).
    let (_tmp, ws) = common::workspace(LAB);
    let dir = ws.to_str().unwrap();
    let path = format!("transfer:{SHARE}:/projects/x");
    let (code, out, err) = run(&["access", "who", &path, dir, "--from", "both"]);
    assert_eq!(code, 0, "{err}");
    assert_lines(
        &out,
        &[
            "Who can reach transfer:e56c36e4-1063-11e6-a747-22000bf2d559:/projects/x (from both):",
            "alice —member→ group lab-members (groups.yaml:11, live) —r→ e56c36e4… /projects/ (shares.yaml:7, live)",
            "—rw→ e56c36e4… / (system-managed)",
            // The client's own admin membership, made when it created the group: not
            // declared, yet no drift (plans keep it), so system-managed, not live only.
            "—admin→ group lab-members (system-managed) —r→ e56c36e4… /projects/ (shares.yaml:7, live)",
        ],
    );
    let (code, out, err) = run(&["access", "what", "bob", dir, "--from", "both"]);
    assert_eq!(code, 0, "{err}");
    assert_lines(
        &out,
        &[
            // groups.yaml:6 asks admin; live.yaml has bob as a manager.
            "bob —admin→ group lab-admins (groups.yaml:6, live as manager)",
            "bob —r→ e56c36e4… /disthome/bob/ (shares.yaml:6, not yet live) [expires 2027-12-31T00:00:00Z]",
        ],
    );
    let (code, out, err) = run(&[
        "access", "what", "bob", dir, "--from", "both", "--format", "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_schema(&v);
    assert_eq!(
        v["holdings"][0]["chains"][0]["links"][0]["status"],
        "live as manager"
    );
    // dave's membership expired on 2026-06-30 (groups.yaml:12) and is still live.
    let (code, out, err) = run(&["access", "who", "group:lab-members", dir, "--from", "both"]);
    assert_eq!(code, 0, "{err}");
    assert_lines(
        &out,
        &[
            "dave —member→ group lab-members (groups.yaml:12, expired 2026-06-30T00:00:00Z, still live)",
        ],
    );
    // Live alone: alice's own folder is r there (the policy asks rw).
    let (code, out, err) = run(&["access", "what", "alice", dir, "--from", "live"]);
    assert_eq!(code, 0, "{err}");
    assert_lines(
        &out,
        &["  r on e56c36e4… /disthome/alice/\n", "(from live)"],
    );
}

#[test]
fn an_unmanaged_group_is_named_not_expanded_and_everyone_gets_what_anonymous_gets() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("accord.yaml"), "policies: [\"*.yaml\"]\n").unwrap();
    std::fs::write(
        dir.path().join("shares.yaml"),
        format!(
            "endpoints:\n  {SHARE}:\n    acl:\n      \
             - {{ principal: group:8b7d57bc-1666-11ec-88b2-f50515619d57, path: /ext/, permissions: r }}\n      \
             - {{ principal: anonymous, path: /pub/, permissions: r }}\n"
        ),
    )
    .unwrap();
    let ws = dir.path().to_str().unwrap();
    let (code, out, err) = access(&["who", &format!("transfer:{SHARE}:/ext/a"), ws], None);
    assert_eq!(code, 0, "{err}");
    assert_lines(
        &out,
        &[
            "  group:8b7d57bc-1666-11ec-88b2-f50515619d57: r\n",
            "—r→ e56c36e4… /ext/ (shares.yaml:4)",
            "note: group:8b7d57bc-1666-11ec-88b2-f50515619d57 is not managed here: accord may not read its members",
        ],
    );
    // Anyone at all, written by username: only what everyone gets.
    let (code, out, err) = access(&["what", "zed@uni.edu", ws], None);
    assert_eq!(code, 0, "{err}");
    assert_lines(
        &out,
        &[
            "What everyone gets:\n  anonymous: r on e56c36e4… /pub/\n",
            "anonymous —r→ e56c36e4… /pub/ (shares.yaml:5)",
        ],
    );
    let (code, out, _) = access(&["what", "anonymous", ws], None);
    assert_eq!(code, 0);
    assert_lines(&out, &["anonymous: r on e56c36e4… /pub/"]);
}
