//! The markdown plan comment's structure, on the example plans and on a big synthetic plan:
//! every table row has its header's column count, every `<details>` and code fence is
//! closed, every escalation of the JSON plan appears (or the comment states how many do
//! not), hostile names are escaped, and the comment stays under GitHub's limit.

mod common;

use accord::plan::access::AccessEntry;
use accord::plan::access_summary;
use accord::plan::model::Plan;
use accord::plan::render::{
    COMMENT_BUDGET, RenderOptions, markdown, markdown_text, markdown_within,
};
use common::{run, workspace};

const EXAMPLES: [&str; 5] = [
    "policies/lab",
    "policies/boss-tutorial",
    "policies/search-roles",
    "policies/flows",
    "policies/data-distribution",
];

/// The cells of a table line, split on the `|` that no backslash escapes.
fn cells(line: &str) -> usize {
    let mut n = 0;
    let mut escaped = false;
    for c in line.chars() {
        match c {
            '\\' if !escaped => escaped = true,
            '|' if !escaped => n += 1,
            _ => escaped = false,
        }
        if c != '\\' {
            escaped = false;
        }
    }
    n - 1
}

/// Asserts the comment's structure; returns the number of table rows seen.
fn assert_structure(md: &str) -> usize {
    let mut rows = 0;
    let mut header: Option<usize> = None;
    let mut depth: i64 = 0;
    let mut fences = 0;
    for line in md.lines() {
        if line.starts_with('|') {
            assert!(line.ends_with('|'), "a table row must end with |: {line}");
            let n = cells(line);
            match header {
                None => header = Some(n),
                Some(h) => {
                    assert_eq!(n, h, "row with {n} cells under a {h}-column header: {line}");
                    rows += 1;
                }
            }
        } else {
            header = None;
        }
        if line.starts_with("```") {
            fences += 1;
        }
        depth += line.matches("<details>").count() as i64;
        depth -= line.matches("</details>").count() as i64;
        assert!(depth >= 0, "</details> without <details>: {line}");
        assert!(
            line.chars().count() <= 400 || line.starts_with('|') || line.starts_with("**Access:**"),
            "a long line outside a table: {line}"
        );
    }
    assert_eq!(depth, 0, "an unclosed <details>");
    assert_eq!(fences % 2, 0, "an unclosed code fence");
    assert!(md.chars().count() <= COMMENT_BUDGET);
    rows
}

/// Asserts that each escalation of the plan appears, or that the comment states how many
/// are left out.
fn assert_escalations(plan: &Plan, md: &str) {
    let escalating: Vec<&AccessEntry> = plan
        .access_delta
        .gains
        .iter()
        .filter(|e| e.escalation.is_some())
        .collect();
    let (gains, changes) = (escalating.len(), plan.access.escalations.len());
    if gains + changes == 0 {
        assert!(!md.contains("Escalations ("), "{md}");
        return;
    }
    // One row per escalated gain, plus one per escalating change that makes none itself.
    let total = escalation_count(md);
    assert!(
        total >= gains.max(changes) && total <= gains + changes,
        "{total} rows for {gains} gains and {changes} changes"
    );
    if md.contains("more are in the artifact") {
        return;
    }
    assert_eq!(
        escalation_rows(md).len(),
        total,
        "every escalation row is shown"
    );
    for e in escalating {
        let who = markdown_text(&e.label.clone().unwrap_or_default());
        assert!(md.contains(&who), "escalation of {who} missing");
        assert!(md.contains(&e.resource.label()), "{} missing", e.resource);
    }
    for phrase in &plan.access.escalations {
        assert!(md.contains(&markdown_text(phrase)), "{phrase} missing");
    }
}

/// The count in the comment's `Escalations (N)` heading.
fn escalation_count(md: &str) -> usize {
    let at = md.find("Escalations (").expect("an escalations heading") + "Escalations (".len();
    md[at..].split(')').next().unwrap().parse().unwrap()
}

/// The rows of the comment's escalations table.
fn escalation_rows(md: &str) -> Vec<&str> {
    md.lines()
        .skip_while(|l| !l.starts_with("| Change (policy) |"))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .collect()
}

fn plan_of(dir: &str, format: &str) -> String {
    let (_tmp, ws) = workspace(dir);
    let (code, out, err) = run(&["plan", ws.to_str().unwrap(), "--format", format]);
    assert!(code == 0 || code == 2, "{dir}: {code} {err}");
    out
}

#[test]
fn example_comments_keep_their_structure_and_every_escalation() {
    accord::services::builtin();
    for dir in EXAMPLES {
        let md = plan_of(dir, "markdown");
        let plan: Plan = serde_json::from_str(&plan_of(dir, "json")).unwrap();
        let rows = assert_structure(&md);
        assert!(rows > 0, "{dir}: no table");
        assert_escalations(&plan, &md);
        // Every change once: the Action column has one row per change.
        let actions = md
            .lines()
            .filter(|l| {
                [
                    "| **+** add |",
                    "| **~** change |",
                    "| **±** replace |",
                    "| **−** remove |",
                ]
                .iter()
                .any(|a| l.starts_with(a) || l.starts_with(&format!("| ⛔ {}", &a[2..])))
            })
            .count();
        assert_eq!(actions, plan.changes.len(), "{dir}: each change once\n{md}");
        if !plan.access_delta.is_empty() {
            assert!(md.contains("Who gains and loses access"), "{dir}");
        }
    }
}

#[test]
fn boss_tutorial_shows_its_access_delta() {
    let md = plan_of("policies/boss-tutorial", "markdown");
    assert!(md.contains("#### Who gains and loses access"));
    assert!(md.contains("| Action | Who | Access | On | Through |"));
}

#[test]
fn search_roles_principals_do_not_look_alike() {
    let md = plan_of("policies/search-roles", "markdown");
    // jon, ivy and kim share an id prefix; they are told apart by their labels.
    assert!(!md.contains("(1a2b3c4d…)"), "{md}");
    for who in ["jon", "ivy", "kim"] {
        assert!(md.contains(&format!("/ {who}`")), "{who}\n{md}");
    }
    assert!(md.contains("| jon | `none → writer`"), "{md}");
}

/// The lab plan, grown: `copies` copies of every change and access entry, each with its own
/// principal (hostile labels included), and `escalations` escalating gains.
fn big_plan(copies: usize, escalations: usize) -> Plan {
    accord::services::builtin();
    let base: Plan = serde_json::from_str(&plan_of("policies/lab", "json")).unwrap();
    let mut plan = base.clone();
    plan.changes.clear();
    plan.access_delta.gains.clear();
    plan.access_delta.losses.clear();
    let hostile = [
        "a|b",
        "`tick`",
        "</details><script>x</script>",
        "*em* [l](u)",
    ];
    for i in 0..copies {
        for c in &base.changes {
            let mut c = c.clone();
            let mut keys: Vec<String> = c.address.keys.iter().cloned().collect();
            let last = keys.len() - 1;
            keys[last] = format!("{}-{i}", keys[last]);
            c.address = accord::state::Address::new(c.address.kind, keys);
            plan.changes.push(c);
        }
        for e in &base.access_delta.losses {
            let mut e = e.clone();
            e.principal = format!("identity:{i:08x}-0000-4000-8000-000000000000");
            e.label = Some(format!("{}{i}", hostile[i % hostile.len()]));
            plan.access_delta.losses.push(e);
        }
    }
    let template = base
        .access_delta
        .gains
        .iter()
        .find(|e| e.escalation.is_some())
        .unwrap();
    for i in 0..escalations {
        let mut e = template.clone();
        e.principal = format!("identity:{i:08x}-1111-4000-8000-000000000000");
        e.label = Some(format!("user{i:05}{}", hostile[i % hostile.len()]));
        plan.access_delta.gains.push(e);
    }
    plan.access = access_summary(&plan.changes);
    plan
}

#[test]
fn a_big_plan_is_summarised_under_the_limit_with_every_escalation() {
    let plan = big_plan(80, 60);
    let md = markdown(&plan, &RenderOptions::default());
    assert_structure(&md);
    assert!(md.contains("it is summarised"), "{}", &md[..2000]);
    assert_escalations(&plan, &md);
    assert!(!md.contains("more are in the artifact"));
    assert!(!md.contains("<script>"));
    assert!(md.contains("&lt;/details&gt;&lt;script&gt;"));
    assert!(md.contains(r"a\|b"));
}

#[test]
fn escalations_that_do_not_fit_are_counted_in_a_stable_order() {
    let plan = big_plan(2000, 3000);
    let md = markdown(&plan, &RenderOptions::default());
    assert_structure(&md);
    let total = escalation_count(&md);
    assert!(total >= 3000, "{total}");
    assert!(md.contains("more are in the artifact"), "{}", &md[..3000]);
    // Everything else is at its shortest: changes counted per service only.
    assert!(md.contains("changes; their counts per service are at the top."));
    // The first ones, in the plan's order: the rows shown begin the full list.
    let shown = escalation_rows(&md);
    let full = markdown_within(&plan, &RenderOptions::default(), usize::MAX);
    let all = escalation_rows(&full);
    assert_eq!(all.len(), total);
    assert!(!shown.is_empty() && shown.len() < total, "{}", shown.len());
    assert_eq!(shown, all[..shown.len()]);
    assert!(md.contains(&format!(
        "the first {} are shown, {} more are in the artifact",
        shown.len(),
        total - shown.len()
    )));
    assert_eq!(md, markdown(&plan, &RenderOptions::default()));
}

#[test]
fn colliding_labels_get_the_shortest_unique_id_prefix() {
    let mut plan = big_plan(1, 0);
    let mut a = plan.access_delta.losses[0].clone();
    a.principal = "identity:1a2b3c4d-5e6f-4000-8000-000000000001".into();
    a.label = Some("sam".into());
    let mut b = a.clone();
    b.principal = "identity:1a2b3c4d-5e7f-4000-8000-000000000002".into();
    plan.access_delta.losses = vec![a, b];
    let md = markdown(&plan, &RenderOptions::default());
    assert!(md.contains("sam (1a2b3c4d-5e6…)"), "{md}");
    assert!(md.contains("sam (1a2b3c4d-5e7…)"), "{md}");
}

#[test]
fn unlabelled_principals_that_share_a_prefix_stay_apart() {
    let mut plan = big_plan(1, 0);
    let mut a = plan.access_delta.losses[0].clone();
    a.principal = "identity:00000000-0000-4000-8000-00000000000a".into();
    a.label = None;
    let mut b = a.clone();
    b.principal = "identity:00000000-0000-4000-8000-00000000000b".into();
    plan.access_delta.losses = vec![a, b];
    let md = markdown(&plan, &RenderOptions::default());
    assert!(
        md.contains("identity:00000000-0000-4000-8000-00000000000a"),
        "{md}"
    );
    assert!(
        md.contains("identity:00000000-0000-4000-8000-00000000000b"),
        "{md}"
    );
    assert!(!md.contains("| identity:00000000… |"), "{md}");
}

#[test]
fn overrides_in_force_lead_the_comment_and_the_text() {
    let (_tmp, ws) = workspace("policies/lab");
    let config = ws.join("accord.yaml");
    let mut yaml = std::fs::read_to_string(&config).unwrap();
    yaml.push_str(
        "  allow:\n    - { rail: max_deletes, up_to: 40, reason: \"moving | the <lab>\", until: 2099-12-15 }\n    \
         - { rail: max_delete_share, up_to: 0.5, reason: old, until: 2020-01-01 }\n",
    );
    std::fs::write(&config, yaml).unwrap();
    let ws = ws.to_str().unwrap();
    let (code, md, err) = run(&["plan", ws, "--format", "markdown", "--allow-deletes", "30"]);
    assert_eq!(code, 0, "{err}");
    assert_structure(&md);
    let overrides = md.find("**Overrides in force**").expect("overrides shown");
    assert!(overrides < md.find("#### ⚠️ Escalations").unwrap(), "{md}");
    assert!(
        md.contains(
            r"- max\_deletes up to 40 until 2099-12-16T00:00:00Z (accord.yaml:11): moving \| the &lt;lab&gt;"
        ),
        "{md}"
    );
    assert!(
        md.contains(r"- max\_deletes up to 30 (--allow-deletes)"),
        "{md}"
    );
    // The expired override is not in force.
    assert!(!md.contains("old"), "{md}");
    let (_, text, _) = run(&["plan", ws, "--allow-deletes", "30"]);
    assert!(
        text.contains("Overrides in force:\n  max_deletes up to 40"),
        "{text}"
    );
    let (_, json, _) = run(&["plan", ws, "--format", "json"]);
    let plan: Plan = serde_json::from_str(&json).unwrap();
    assert_eq!(plan.rails.max_deletes, 40);
    assert_eq!(plan.rails.overrides.len(), 1);
}

#[test]
fn a_byte_budget_summarises_the_same_way() {
    // The Action Provider keeps at most 60,000 bytes of markdown in an action's details.
    let plan = big_plan(80, 60);
    let fits = |s: &str| s.len() <= 60_000;
    let md = accord::plan::render::markdown_fitting(&plan, &RenderOptions::default(), &fits);
    assert!(md.len() <= 60_000, "{}", md.len());
    assert!(md.contains("it is summarised"));
    assert_structure(&md);
    assert_escalations(&plan, &md);
}
