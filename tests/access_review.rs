//! `accord access review` and the graph formats of `accord access who|what`, from the policy
//! of the example workspaces, with what they must say worked out from the policy lines:
//! dave's membership (lab groups.yaml:12, until 2026-06-30) and bob's rule (shares.yaml:6,
//! until 2027-12-31) expiring, the escalations (bob admin, alice rw; ada and ben
//! administrators of the flow), and the flow's viewers being everyone (flows.yaml:7). The
//! HTML fetches nothing, the markdown's tables keep their columns, names are escaped, and the
//! JSON follows its schema.

mod common;

use std::path::Path;

use serde_json::Value;

const LAB: &str = "policies/lab";
const FLOWS: &str = "policies/flows";
const SHARE: &str = "e56c36e4-1063-11e6-a747-22000bf2d559";
const FLOW: &str = "2f3a0000-0000-4000-8000-000000000001";
/// Fifteen days before dave's membership ends.
const JUNE: &str = "2026-06-15T00:00:00Z";

/// `accord ARGS… --from policy --now NOW`: exit code, stdout, stderr.
fn accord(args: &[&str], now: &str) -> (i32, String, String) {
    let out = common::accord()
        .args(args)
        .args(["--from", "policy", "--now", now])
        .output()
        .expect("run accord");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The review of `dir` in `format`, which must succeed.
fn review(dir: &str, format: &str, extra: &[&str], now: &str) -> String {
    let mut args = vec!["access", "review", dir, "--format", format];
    args.extend_from_slice(extra);
    let (code, out, err) = accord(&args, now);
    assert_eq!(code, 0, "{err}");
    out
}

/// The JSON review of `dir`, checked against schemas/access-review.schema.json.
fn json_review(dir: &str, extra: &[&str], now: &str) -> Value {
    let review: Value = serde_json::from_str(&review(dir, "json", extra, now)).unwrap();
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/schemas/access-review.schema.json"
    );
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&review)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}\n{review:#}");
    review
}

/// `(principal label, level, resource, policy line)` of each finding in a list.
fn findings(review: &Value, list: &str) -> Vec<(String, String, String, String)> {
    review[list]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or_default().to_string();
            let who = f["label"]
                .as_str()
                .map_or_else(|| s("principal"), String::from);
            (who, s("level"), s("resource"), s("at"))
        })
        .collect()
}

fn t(a: &str, b: &str, c: &str, d: &str) -> (String, String, String, String) {
    (a.into(), b.into(), c.into(), d.into())
}

#[test]
fn the_lab_review_lists_dave_expiring_and_the_escalations() {
    let r = json_review(LAB, &[], JUNE);
    assert_eq!(r["from"], "policy");
    assert_eq!(r["now"], JUNE);
    assert_eq!(r["expiring_within"], "30d");
    assert_eq!(r["expiring_until"], "2026-07-15T00:00:00Z");
    // Three groups and four rules; alice, bob and dave; memberships: bob 1, alice 2, dave 1;
    // rules: alice's, bob's, /projects/ for alice and dave, /shared/ for alice.
    assert_eq!(
        r["summary"],
        serde_json::json!({"resources": 7, "principals": 3, "holdings": 9, "expiring": 1,
                           "escalated": 2, "everyone": 0, "unexplained": null})
    );
    // dave's membership (groups.yaml:12) ends on 2026-06-30, and his r on /projects/ with it;
    // bob's rule (2027-12-31) is beyond the window.
    assert_eq!(
        findings(&r, "expiring"),
        [t("dave", "member", "group:lab-members", "groups.yaml:12")]
    );
    let dave = &r["expiring"][0];
    assert_eq!(dave["expires"], "2026-06-30T00:00:00Z");
    assert_eq!(dave["why"], "expires in 15 days");
    assert_eq!(
        dave["also_ends"],
        serde_json::json!([format!("dave: r on {}… /projects/", &SHARE[..8])])
    );
    // bob is an admin of lab-admins (groups.yaml:6); alice has rw on her folder (shares.yaml:5).
    let rw = format!("transfer:{SHARE}:/disthome/alice/");
    assert_eq!(
        findings(&r, "escalated"),
        [
            t("alice", "rw", &rw, "shares.yaml:5"),
            t("bob", "admin", "group:lab-admins", "groups.yaml:6"),
        ]
    );
    assert_eq!(r["everyone"], serde_json::json!([]));
    assert_eq!(r["unexplained"], Value::Null);

    // Per resource: /projects/ is held by alice and dave through lab-members.
    let projects = r["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["resource"] == format!("transfer:{SHARE}:/projects/"))
        .expect("/projects/ is reviewed");
    let holders: Vec<&str> = projects["holders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["label"].as_str().unwrap())
        .collect();
    assert_eq!(holders, ["alice", "dave"]);
    let dave = &projects["holders"][1];
    assert_eq!(dave["since"], Value::Null, "no service says since when");
    let links: Vec<(&str, &str)> = dave["chains"][0]["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["level"].as_str().unwrap(), l["at"].as_str().unwrap()))
        .collect();
    assert_eq!(
        links,
        [("member", "groups.yaml:12"), ("r", "shares.yaml:7")]
    );

    // A longer window reaches bob's rule too, soonest first.
    let r = json_review(LAB, &["--expiring-within", "600d"], JUNE);
    let bob = format!("transfer:{SHARE}:/disthome/bob/");
    assert_eq!(
        findings(&r, "expiring"),
        [
            t("dave", "member", "group:lab-members", "groups.yaml:12"),
            t("bob", "r", &bob, "shares.yaml:6"),
        ]
    );
    // After dave's membership ended, the policy grants him nothing.
    let r = json_review(LAB, &[], "2026-07-01T00:00:00Z");
    assert_eq!(r["summary"]["expiring"], 0);
    assert!(!r.to_string().contains("dave"), "{r:#}");
}

#[test]
fn the_flows_review_lists_its_administrators_and_what_everyone_gets() {
    let r = json_review(FLOWS, &[], JUNE);
    let flow = format!("flow:{FLOW}");
    // curators (ada, ben) administer the flow (flows.yaml:5); public views it (flows.yaml:7).
    assert_eq!(
        findings(&r, "escalated"),
        [
            t("ada", "administrator", &flow, "flows.yaml:5"),
            t("ben", "administrator", &flow, "flows.yaml:5"),
        ]
    );
    assert_eq!(
        findings(&r, "everyone"),
        [t("public", "viewer", &flow, "flows.yaml:7")]
    );
    assert_eq!(r["expiring"], serde_json::json!([]));
    let levels = |resource: &str| -> Vec<String> {
        let res = r["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["resource"] == resource)
            .unwrap_or_else(|| panic!("{resource} is reviewed"));
        res["holders"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                let who = h["label"].as_str().or(h["principal"].as_str()).unwrap();
                format!("{who}: {}", h["level"].as_str().unwrap())
            })
            .collect()
    };
    // The highest levels first, everyone last; administrators manage runs, monitors monitor.
    assert_eq!(
        levels(&flow),
        [
            "ada: administrator",
            "ben: administrator",
            "cy: starter",
            "dee: starter",
            "public: viewer"
        ]
    );
    assert_eq!(
        levels(&format!("flow-runs:{FLOW}")),
        ["ada: manager", "ben: manager", "dee: monitor"]
    );
}

/// Each markdown table's rows, split into cells on the `|` no backslash escapes.
fn tables(md: &str) -> Vec<Vec<Vec<String>>> {
    let mut all = Vec::new();
    let mut current: Vec<Vec<String>> = Vec::new();
    for line in md.lines().chain([""]) {
        if line.starts_with('|') {
            let mut cells = vec![String::new()];
            let mut chars = line.chars();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => {
                        let last = cells.last_mut().unwrap();
                        last.push(c);
                        last.extend(chars.next());
                    }
                    '|' => cells.push(String::new()),
                    c => cells.last_mut().unwrap().push(c),
                }
            }
            // A row starts and ends with a pipe.
            assert_eq!(cells.first().map(String::as_str), Some(""), "{line}");
            assert_eq!(cells.last().map(String::as_str), Some(""), "{line}");
            current.push(cells[1..cells.len() - 1].to_vec());
        } else if !current.is_empty() {
            all.push(std::mem::take(&mut current));
        }
    }
    all
}

fn assert_tables_keep_their_columns(md: &str) -> usize {
    let tables = tables(md);
    for table in &tables {
        let width = table[0].len();
        assert!(table[1].iter().all(|c| c.trim() == "---"), "{:?}", table[1]);
        for row in table {
            assert_eq!(row.len(), width, "{row:?} in\n{md}");
        }
    }
    tables.len()
}

#[test]
fn markdown_tables_keep_their_columns() {
    // The summary, the findings lists that are not empty, one table per resource: lab's
    // expiring and escalated lists and 7 resources; the flows' escalated and everyone lists
    // and 5 resources.
    for (dir, expected) in [(LAB, 1 + 2 + 7), (FLOWS, 1 + 2 + 5)] {
        let md = review(dir, "markdown", &["--expiring-within", "600d"], JUNE);
        assert_eq!(assert_tables_keep_their_columns(&md), expected, "{md}");
        assert!(md.contains("| not reported by the service |"), "{md}");
    }
}

/// A workspace whose names hold what markdown, HTML and the graph languages read as their own.
fn hostile() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let w = |name: &str, text: &str| std::fs::write(tmp.path().join(name), text).unwrap();
    w("accord.yaml", "policies: [\"*.yaml\"]\n");
    w(
        "p.yaml",
        r#"identities:
  "eve|<script>alert(1)</script>`x`": eve@uni.edu
groups:
  "lab|<b>x</b>":
    members:
      "eve|<script>alert(1)</script>`x`": admin
endpoints:
  e56c36e4-1063-11e6-a747-22000bf2d559:
    acl:
      - { principal: "eve|<script>alert(1)</script>`x`", path: "/a|b/<script>`c`\"/", permissions: rw }
      - { principal: "group:lab|<b>x</b>", path: /shared/, permissions: r }
"#,
    );
    tmp
}

#[test]
fn names_are_escaped_in_every_format() {
    let tmp = hostile();
    let dir = tmp.path().to_str().unwrap();
    let md = review(dir, "markdown", &[], JUNE);
    assert_tables_keep_their_columns(&md);
    assert!(!md.contains("<script>") && !md.contains("<b>"), "{md}");
    assert!(
        md.contains("eve\\|&lt;script&gt;alert(1)&lt;/script&gt;\\`x\\`"),
        "{md}"
    );
    let html = review(dir, "html", &[], JUNE);
    // The one script is accord's own; no name opens a tag.
    assert_eq!(html.matches("<script").count(), 1, "{html}");
    assert!(!html.contains("<b>x"), "{html}");
    assert!(html.contains("eve|&lt;script&gt;alert(1)&lt;/script&gt;`x`"));
    // The graphs: Mermaid entity codes, dot's backslashes.
    let rule = format!("transfer:{SHARE}:/shared/");
    let (code, mermaid, err) = accord(&["access", "who", &rule, dir, "--format", "mermaid"], JUNE);
    assert_eq!(code, 0, "{err}");
    assert!(
        mermaid.contains(r#"n0["eve#124;#lt;script#gt;alert(1)#lt;/script#gt;#96;x#96;"]"#),
        "{mermaid}"
    );
    assert!(
        mermaid.contains("[[\"group lab#124;#lt;b#gt;x#lt;/b#gt;\"]]"),
        "{mermaid}"
    );
    let path = format!("transfer:{SHARE}:/a|b/<script>`c`\"/");
    let (code, dot, err) = accord(&["access", "who", &path, dir, "--format", "dot"], JUNE);
    assert_eq!(code, 0, "{err}");
    assert!(dot.contains(r#"/a|b/<script>`c`\"/""#), "{dot}");
    let (_, md, _) = accord(&["access", "who", &path, dir, "--format", "markdown"], JUNE);
    assert!(md.starts_with("### Who can reach transfer:"), "{md}");
    assert!(md.contains("#lt;script#gt;#96;c#96;#quot;/"), "{md}");
}

#[test]
fn the_html_review_is_self_contained_and_sortable() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("review.html");
    let (code, out, err) = accord(
        &[
            "access",
            "review",
            LAB,
            "--format",
            "html",
            "--out",
            file.to_str().unwrap(),
        ],
        JUNE,
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.is_empty() && err.contains("review.html"), "{out}{err}");
    let html = std::fs::read_to_string(&file).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    // Nothing is fetched: no source, no stylesheet, no link off the page, no URL in the CSS,
    // and a policy that forbids fetching anyway.
    for fetch in ["src=", "://", "url(", "@import", "<link", "<iframe", "<img"] {
        assert!(!html.contains(fetch), "`{fetch}` in the page");
    }
    for href in html.match_indices("href=").map(|(i, _)| &html[i..]) {
        assert!(href.starts_with("href=\"#"), "{}", &href[..40]);
    }
    assert!(html.contains("content=\"default-src 'none';"));
    // Sortable tables, and the findings worked out above.
    assert_eq!(
        html.matches("<table class=\"sortable\">").count(),
        2 + 7,
        "the findings lists that are not empty (expiring, escalated) and one per resource"
    );
    assert!(html.contains("addEventListener('click', sort)"));
    assert!(html.contains("expires in 15 days"));
    assert!(html.contains("escalated: admin"));
    assert!(html.contains("not reported by the service"));
}

#[test]
fn a_bad_window_is_refused_clearly() {
    for bad in ["30", "soon", "-3d"] {
        // `=`: clap would read `-3d` after a space as flags of its own.
        let flag = format!("--expiring-within={bad}");
        let (code, out, err) = accord(&["access", "review", LAB, &flag], JUNE);
        assert_eq!(code, 1, "{bad}: {out}{err}");
        assert!(err.contains("--expiring-within"), "{err}");
        assert!(err.contains("such as 30d"), "{err}");
        assert!(out.is_empty());
    }
}

#[test]
fn who_and_what_draw_their_chains() {
    let path = format!("transfer:{SHARE}:/projects/data/run1.h5");
    let (code, mermaid, err) = accord(&["access", "who", &path, LAB, "--format", "mermaid"], JUNE);
    assert_eq!(code, 0, "{err}");
    let edges: Vec<&str> = mermaid.lines().filter(|l| l.contains("-->")).collect();
    assert_eq!(
        edges,
        [
            "  n0 -->|\"member · groups.yaml:11\"| n1",
            "  n1 -->|\"r · shares.yaml:7\"| n2",
            "  n2 -->|\"covers\"| n3",
            "  n4 -->|\"member · groups.yaml:12 · expires 2026-06-30T00:00:00Z\"| n1",
        ],
        "{mermaid}"
    );
    assert!(mermaid.starts_with("flowchart LR\n  n0[\"alice\"]\n  n1[[\"group lab-members\"]]\n"));
    let (code, dot, err) = accord(&["access", "what", "dee", FLOWS, "--format", "dot"], JUNE);
    assert_eq!(code, 0, "{err}");
    for line in [
        "  n0 [label=\"dee\"];",
        "  n0 -> n1 [label=\"member · people.yaml:15\"];",
        "  n2 -> n3 [label=\"viewer (as monitor) · flows.yaml:9\"];",
        "  n5 [label=\"public\", fillcolor=\"#fde8e8\"];",
    ] {
        assert!(dot.contains(line), "missing {line} in\n{dot}");
    }
    assert_eq!(dot.matches(" -> ").count(), 6, "{dot}");
    let (_, md, _) = accord(
        &["access", "what", "dee", FLOWS, "--format", "markdown"],
        JUNE,
    );
    assert!(md.contains("```mermaid\nflowchart LR\n"), "{md}");
    assert!(
        md.contains("```text\nWhat dee can reach (from policy):\n"),
        "{md}"
    );
    let mut settings = common::snapshots();
    settings.set_snapshot_suffix("flow_who");
    let (_, who, _) = accord(
        &[
            "access",
            "who",
            &format!("flow:{FLOW}"),
            FLOWS,
            "--format",
            "markdown",
        ],
        JUNE,
    );
    settings.bind(|| insta::assert_snapshot!("access_graph", who));
}

#[test]
fn past_forty_edges_members_are_counted_per_group() {
    let tmp = tempfile::tempdir().unwrap();
    let members: String = (0..50)
        .map(|i| format!("      user{i:02}@uni.edu: member\n"))
        .collect();
    std::fs::write(tmp.path().join("accord.yaml"), "policies: [\"*.yaml\"]\n").unwrap();
    std::fs::write(
        tmp.path().join("p.yaml"),
        format!(
            "groups:\n  big:\n    members:\n{members}  small:\n    members:\n      \
             ann@uni.edu: member\n      user07@uni.edu: member\nendpoints:\n  {SHARE}:\n    acl:\n      \
             - {{ principal: group:big, path: /data/, permissions: r }}\n      \
             - {{ principal: group:small, path: /data/, permissions: rw }}\n      \
             - {{ principal: user03@uni.edu, path: /data/, permissions: rw }}\n"
        ),
    )
    .unwrap();
    let dir = tmp.path().to_str().unwrap();
    let path = format!("transfer:{SHARE}:/data/");
    for format in ["mermaid", "dot"] {
        let (code, out, err) = accord(&["access", "who", &path, dir, "--format", format], JUNE);
        assert_eq!(code, 0, "{err}");
        // 50 + 2 members and 3 grants would be 55 edges: big's members are counted instead;
        // small's two stay drawn, and user03's own rule too.
        assert!(out.contains("group big (50 members)"), "{out}");
        assert!(!out.contains("user49@"), "{out}");
        assert!(out.contains("user03@uni.edu"), "{out}");
        let edges = out.matches("-->").count() + out.matches(" -> ").count();
        assert!(edges <= 40, "{edges} edges:\n{out}");
        assert_eq!(edges, 5, "{out}");
    }
    let (_, md, _) = accord(&["access", "who", &path, dir, "--format", "markdown"], JUNE);
    assert!(md.contains("past 40 edges: group:big (50)"), "{md}");
    // The text answer below still names every member.
    assert!(md.contains("user49@uni.edu: r"), "{md}");
    // One person's answer is small: nothing is summarised.
    let (_, what, _) = accord(
        &[
            "access",
            "what",
            "user07@uni.edu",
            dir,
            "--format",
            "mermaid",
        ],
        JUNE,
    );
    assert!(
        what.contains("group big\"") && !what.contains("members)"),
        "{what}"
    );
}

#[test]
fn the_review_schema_is_committed() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/access-review.schema.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(schema["title"], "accord access review");
    for key in [
        "summary",
        "resources",
        "expiring",
        "escalated",
        "everyone",
        "unexplained",
    ] {
        assert!(schema["properties"][key].is_object(), "{key}");
    }
}

#[test]
fn from_both_the_review_lists_live_grants_the_policy_does_not_explain() {
    // The lab's demo target (live.yaml) has carol's rw rule on /disthome/carol/ and erin in
    // lab-admins, neither in the policy. accord's own client is an admin of both groups it
    // made, and Transfer's role-derived rw on / is the service's own: both system-managed,
    // as plans and drift treat them.
    let (_tmp, ws) = common::workspace(LAB);
    let out = common::accord()
        .args(["access", "review"])
        .arg(&ws)
        .args(["--from", "both", "--format", "json", "--now", JUNE])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["from"], "both");
    let unexplained: Vec<(String, String, String)> = findings(&r, "unexplained")
        .into_iter()
        .map(|(who, level, on, _)| (who, level, on))
        .collect();
    let s = |a: &str, b: &str, c: &str| (a.to_string(), b.to_string(), c.to_string());
    assert_eq!(
        unexplained,
        [
            s(
                "carol@uni.edu",
                "rw",
                &format!("transfer:{SHARE}:/disthome/carol/")
            ),
            s("erin@uchicago.edu", "member", "group:lab-admins"),
        ]
    );
    assert_eq!(r["summary"]["unexplained"], 2);
    // Transfer dates its rules (create_time): alice's rule is held since the target was
    // seeded; a group's membership is not dated, so neither is what comes through it.
    let holder = |resource: &str, who: &str| -> Value {
        r["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["resource"] == resource)
            .and_then(|x| {
                x["holders"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|h| h["label"].as_str().is_some_and(|l| l.starts_with(who)))
                    .cloned()
            })
            .unwrap_or_else(|| panic!("{who} on {resource}"))
    };
    let since = holder(&format!("transfer:{SHARE}:/disthome/alice/"), "alice");
    let since = since["since"].as_str().expect("a Transfer rule is dated");
    assert!(
        chrono::DateTime::parse_from_rfc3339(since).is_ok(),
        "{since}"
    );
    assert!(holder(&format!("transfer:{SHARE}:/projects/"), "alice")["since"].is_null());
    assert!(
        r["unexplained"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["status"] == "live only" && f["at"].is_null())
    );
    // The system-managed rw on / is escalated (rw) but explained: the service's own.
    let root = r["escalated"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["resource"] == format!("transfer:{SHARE}:/"))
        .expect("the role-derived rw on / is listed");
    assert_eq!(root["status"], "system-managed");
    // bob is declared admin and live as manager.
    let md = {
        let out = common::accord()
            .args(["access", "review"])
            .arg(&ws)
            .args(["--from", "both", "--now", JUNE])
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    assert_tables_keep_their_columns(&md);
    assert!(
        md.contains("bob —admin→ group lab-admins (groups.yaml:6, live as manager)"),
        "{md}"
    );
}

#[test]
fn the_lab_review_in_markdown() {
    let md = review(LAB, "markdown", &["--expiring-within", "600d"], JUNE);
    let mut settings = common::snapshots();
    settings.set_snapshot_suffix("lab");
    settings.bind(|| insta::assert_snapshot!("access_review", md));
}
