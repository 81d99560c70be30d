//! The markdown rendering of a plan, for pull-request comments.
//!
//! It must be stable from run to run (CI edits one comment in place), so it holds no
//! timestamp but the plan's own clock.

use std::fmt::Write as _;

use super::{
    Counts, NO_CHANGES, RenderOptions, access_summary, change_lines, delta_lines, redact, shown,
    shown_entry,
};
use crate::plan::model::Plan;

/// Escapes text for use outside code spans (list items, table cells): markdown syntax and
/// HTML (`<`, `>`) are backslash-escaped, so data never becomes a tag, a link or a column;
/// control characters and newlines as [`shown`].
pub(crate) fn escape(s: &str) -> String {
    let s = shown(s);
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '<' | '>' | '[' | ']' | '|' | '#'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// An inline code span that survives backticks in its content and `|` inside a table, on one
/// line, with control characters escaped as [`shown`].
pub(crate) fn code(s: &str) -> String {
    let s = &shown(s);
    let longest = longest_backtick_run(s);
    let ticks = "`".repeat(longest + 1);
    let pad = if longest > 0 { " " } else { "" };
    format!("{ticks}{pad}{}{pad}{ticks}", s.replace('|', "\\|"))
}

fn longest_backtick_run(s: &str) -> usize {
    s.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

/// Renders a plan as a markdown document for a pull-request comment.
pub fn markdown(plan: &Plan, opts: &RenderOptions) -> String {
    let plan = redact(plan);
    let mut out = String::new();
    let _ = writeln!(out, "### accord plan: {}", escape(&plan.target.description));
    out.push('\n');
    let summary = if plan.is_empty() {
        NO_CHANGES.to_string()
    } else {
        Counts::of(&plan).summary()
    };
    let _ = writeln!(
        out,
        "**{}** Target {}, clock {}.",
        escape(&summary),
        code(&plan.target.name),
        code(
            &plan
                .now
                .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
        ),
    );

    let lines = change_lines(&plan, opts.verbose);

    // The refusal comes first: a reviewer must not miss it, and must still see the plan.
    if plan.is_refused() {
        out.push_str("\n#### ⛔ Plan refused\n\n");
        out.push_str(
            "A safety rail refuses this plan: nothing will be applied. \
             The full plan is shown below",
        );
        if lines.iter().any(|l| l.refused) {
            out.push_str("; the changes concerned are marked ⛔");
        }
        out.push_str(".\n\n");
        for v in &plan.violations {
            let _ = write!(out, "- **{}**: {}", code(&v.rail), escape(&v.message));
            if let Some(a) = &v.address {
                let _ = write!(out, " ({})", code(&a.to_string()));
            }
            out.push('\n');
        }
    }

    if !lines.is_empty() {
        let mut diff = String::new();
        for l in &lines {
            let _ = writeln!(diff, "{} {}", l.sign, l.label);
            for d in &l.details {
                let _ = writeln!(diff, "    {d}");
            }
        }
        // A fence longer than any backtick run inside, so no label can close it early.
        let fence = "`".repeat(longest_backtick_run(&diff).max(2) + 1);
        let _ = write!(out, "\n{fence}diff\n{diff}{fence}\n");

        out.push_str("\n| | Change | Policy or reason |\n|:-:|---|---|\n");
        for l in &lines {
            let mark = if l.refused { "⛔ " } else { "" };
            let mut object = code(&l.label);
            if opts.verbose {
                for d in &l.details {
                    let _ = write!(object, "<br>{}", code(d));
                }
            }
            let note = if l.action == crate::plan::Action::Delete {
                escape(&l.note)
            } else {
                code(&l.note)
            };
            let _ = writeln!(out, "| {mark}{} | {object} | {note} |", code(l.sign));
        }
    }

    if !plan.access_delta.is_empty() {
        out.push_str("\n#### Who gains and loses access\n\n");
        out.push_str(
            "Effective access, through managed groups included; escalations are marked ⚠️.\n\n",
        );
        out.push_str("| | Who | Access | On | Via | Escalation |\n|:-:|---|---|---|---|---|\n");
        let (lines, hidden) = delta_lines(&plan.access_delta, opts.verbose);
        for l in &lines {
            let escalation = l
                .escalation
                .map(|e| format!("⚠️ {}", escape(&e.to_string())))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {escalation} |",
                code(l.sign),
                escape(&l.who),
                code(&l.levels),
                code(&l.resource),
                escape(&l.via),
            );
        }
        if hidden > 0 {
            let _ = writeln!(out, "\n… and {hidden} more.");
        }
    }

    if !plan.kept.is_empty() {
        out.push_str("\n#### Kept (protected)\n\n");
        for k in &plan.kept {
            let _ = writeln!(
                out,
                "- {}: {}",
                code(&shown_entry(&k.address, &k.label)),
                escape(&k.reason)
            );
        }
    }
    if !plan.blocked.is_empty() {
        out.push_str("\n#### Blocked grants\n\n");
        for b in &plan.blocked {
            let _ = write!(
                out,
                "- {}: {}",
                code(&shown_entry(&b.address, &b.label)),
                escape(&b.reason)
            );
            if let Some(p) = &b.provenance {
                let _ = write!(out, " ({})", code(&p.to_string()));
            }
            out.push('\n');
        }
    }
    if let Some(window) = &plan.expiring_window {
        let _ = writeln!(out, "\n#### Expiring within {}\n", escape(window));
        if plan.expiring.is_empty() {
            out.push_str("No grant expires in this window.\n");
        }
        for e in &plan.expiring {
            let _ = write!(
                out,
                "- {}: expires {}",
                code(&shown_entry(&e.address, &e.label)),
                crate::state::timestamp(&e.expires)
            );
            if let Some(p) = &e.provenance {
                let _ = write!(out, " ({})", code(&p.to_string()));
            }
            out.push('\n');
        }
    }
    if !plan.pending.is_empty() {
        out.push_str("\n#### Pending memberships\n\n");
        for p in &plan.pending {
            let _ = writeln!(
                out,
                "- {}: {}",
                code(&shown_entry(&p.address, &p.label)),
                escape(&p.status)
            );
        }
    }

    if !plan.is_empty() {
        let access = access_summary(&plan.access, opts.verbose)
            .unwrap_or_else(|| "no direct access changes".to_string());
        let _ = writeln!(out, "\n**Access:** {}", escape(&access));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_survive_pipes_and_backticks() {
        assert_eq!(code("a|b"), "`a\\|b`");
        assert_eq!(code("a`b"), "`` a`b ``");
    }

    #[test]
    fn escapes_markdown_syntax() {
        assert_eq!(escape("a_b *c*"), "a\\_b \\*c\\*");
    }
}
