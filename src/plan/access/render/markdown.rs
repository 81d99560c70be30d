//! The access review as GitHub-flavoured markdown: a summary table, the findings, then who
//! holds what on each resource. Every name is escaped for a table cell (`|`, HTML, markdown
//! punctuation, control characters), and long lists fold into `<details>`.

use super::chain_text;
use crate::plan::access::review::{Finding, Holder, Review};

/// Lists longer than this fold into `<details>`.
const FOLD: usize = 10;

/// What the report says where the service does not say since when a grant is held.
pub const NOT_REPORTED: &str = "not reported by the service";

/// Text made safe for a markdown table cell or a line of markdown: the one markdown escaping
/// every rendering shares (the plan comment's too).
pub use crate::escape::markdown_text as cell;

/// A table: a header row, its alignment row, and each row (cells already escaped).
fn table(out: &mut String, head: &[&str], rows: &[Vec<String>]) {
    out.push_str(&format!("| {} |\n", head.join(" | ")));
    out.push_str(&format!("|{}\n", "---|".repeat(head.len())));
    for r in rows {
        debug_assert_eq!(r.len(), head.len());
        out.push_str(&format!("| {} |\n", r.join(" | ")));
    }
}

/// A table, folded into `<details>` past [`FOLD`] rows; "None." when empty.
fn section_table(out: &mut String, what: &str, head: &[&str], rows: &[Vec<String>]) {
    if rows.is_empty() {
        out.push_str("None.\n\n");
        return;
    }
    let fold = rows.len() > FOLD;
    if fold {
        out.push_str(&format!(
            "<details><summary>{} {what}</summary>\n\n",
            rows.len()
        ));
    }
    table(out, head, rows);
    out.push('\n');
    if fold {
        out.push_str("</details>\n\n");
    }
}

/// The principal of a finding or holder, with its key when a label stands for it.
fn who(label: Option<&str>, principal: &str) -> String {
    match label {
        Some(l) if l != principal => format!("{} ({})", cell(l), cell(principal)),
        _ => cell(principal),
    }
}

/// A finding's row: principal, level, resource, why, policy line, expiry.
fn finding_row(f: &Finding) -> Vec<String> {
    let mut why = cell(&f.why);
    if !f.also_ends.is_empty() {
        let ends: Vec<String> = f.also_ends.iter().map(|e| cell(e)).collect();
        why.push_str(&format!("; also ends: {}", ends.join("; ")));
    }
    vec![
        who(f.label.as_deref(), &f.principal),
        cell(&f.level),
        cell(&f.resource_label),
        why,
        cell(&f.origin()),
        cell(f.expires.as_deref().unwrap_or("")),
    ]
}

/// A holder's row: principal, level (flagged), chains, expiry, since when.
fn holder_row(h: &Holder) -> Vec<String> {
    let mut level = cell(&h.level);
    if let Some(e) = &h.escalation {
        level.push_str(&format!(" (escalated: {})", cell(e)));
    }
    if h.everyone {
        level.push_str(" (everyone)");
    }
    let chains: Vec<String> = h
        .chains
        .iter()
        .map(|c| cell(&chain_text(h.who(), c)))
        .collect();
    vec![
        who(h.label.as_deref(), &h.principal),
        level,
        chains.join("<br>"),
        cell(h.expires.as_deref().unwrap_or("")),
        cell(h.since.as_deref().unwrap_or(NOT_REPORTED)),
    ]
}

const FINDING_HEAD: [&str; 6] = ["Principal", "Level", "Resource", "Why", "Policy", "Expires"];

/// The review as GitHub-flavoured markdown.
pub fn review(r: &Review) -> String {
    let mut out = String::from("# Access review\n\n");
    out.push_str(&format!(
        "From **{}** at {}. Grants expiring within {} (until {}) are listed.\n\n",
        cell(&r.from),
        cell(&r.now),
        cell(&r.expiring_within),
        cell(&r.expiring_until)
    ));
    out.push_str("## Summary\n\n");
    let s = &r.summary;
    let mut counts = vec![
        vec!["Resources".into(), s.resources.to_string()],
        vec!["Principals".into(), s.principals.to_string()],
        vec!["Holdings".into(), s.holdings.to_string()],
        vec![
            format!("Expiring within {}", cell(&r.expiring_within)),
            s.expiring.to_string(),
        ],
        vec!["Escalated".into(), s.escalated.to_string()],
        vec!["Granted to everyone".into(), s.everyone.to_string()],
    ];
    counts.push(vec![
        "Live, not in the policy".into(),
        s.unexplained
            .map_or_else(|| "not checked (from policy)".into(), |n| n.to_string()),
    ]);
    table(&mut out, &["What", "Count"], &counts);
    out.push('\n');

    let rows = |fs: &[Finding]| fs.iter().map(finding_row).collect::<Vec<_>>();
    out.push_str(&format!(
        "## Expiring within {}\n\n",
        cell(&r.expiring_within)
    ));
    section_table(&mut out, "grants", &FINDING_HEAD, &rows(&r.expiring));
    out.push_str("## Escalated\n\n");
    section_table(&mut out, "holdings", &FINDING_HEAD, &rows(&r.escalated));
    out.push_str("## Granted to everyone\n\n");
    section_table(&mut out, "holdings", &FINDING_HEAD, &rows(&r.everyone));
    out.push_str("## Live grants the policy does not explain\n\n");
    match &r.unexplained {
        Some(u) => section_table(&mut out, "grants", &FINDING_HEAD, &rows(u)),
        None => out.push_str(
            "Not checked: from the policy alone accord does not read the services \
             (use `--from both`).\n\n",
        ),
    }

    out.push_str("## Per resource\n\n");
    if r.resources.is_empty() {
        out.push_str("Nobody holds anything.\n\n");
    }
    for res in &r.resources {
        out.push_str(&format!(
            "### {} ({})\n\n",
            cell(&res.label),
            cell(&res.resource)
        ));
        let rows: Vec<_> = res.holders.iter().map(holder_row).collect();
        section_table(
            &mut out,
            "holders",
            &["Principal", "Level", "Through", "Expires", "Since"],
            &rows,
        );
    }
    if !r.notes.is_empty() {
        out.push_str("## Notes\n\n");
        for n in &r.notes {
            out.push_str(&format!("- {}\n", cell(n)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_escape_pipes_html_markdown_and_line_breaks() {
        assert_eq!(cell("a|b"), "a\\|b");
        assert_eq!(
            cell("<script>alert(1)</script>"),
            "&lt;script&gt;alert(1)&lt;/script&gt;"
        );
        assert_eq!(cell("`x` *y* _z_"), "\\`x\\` \\*y\\* \\_z\\_");
        assert_eq!(cell("a\nb"), "a\\\\u{a}b");
        assert_eq!(cell("&amp;"), "&amp;amp;");
    }

    #[test]
    fn long_tables_fold() {
        let rows: Vec<Vec<String>> = (0..=FOLD).map(|i| vec![i.to_string()]).collect();
        let mut out = String::new();
        section_table(&mut out, "rows", &["n"], &rows);
        assert!(out.starts_with("<details><summary>11 rows</summary>\n\n| n |\n"));
        assert!(out.ends_with("</details>\n\n"));
        let mut out = String::new();
        section_table(&mut out, "rows", &["n"], &rows[..2]);
        assert_eq!(out, "| n |\n|---|\n| 0 |\n| 1 |\n\n");
    }
}
