//! The terminal rendering of a plan (`accord plan`, `accord show`, `accord apply`'s prompt).

use std::fmt::Write as _;

use super::{
    ChangeLine, Counts, NO_CHANGES, RenderOptions, access_summary, change_lines, delta_lines,
    redact, shown, shown_entry,
};
use crate::plan::change::Action;
use crate::plan::model::Plan;
use crate::textwidth::{pad_to, width};

/// Notes start here at the latest, so one long label does not push every note off screen.
const MAX_NOTE_COLUMN: usize = 72;
/// Space between a label and its note.
const NOTE_GAP: usize = 3;

const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const RED: &str = "\x1b[31m";
const BOLD_RED: &str = "\x1b[1;31m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

/// Wraps `s` in an ANSI colour only when colour is on, so `--no-color` output has no escapes.
fn paint(s: &str, code: &str, color: bool) -> String {
    if color && !s.is_empty() {
        format!("{code}{s}{RESET}")
    } else {
        s.to_string()
    }
}

fn action_color(action: Action) -> &'static str {
    match action {
        Action::Create => GREEN,
        Action::Update => YELLOW,
        Action::Replace | Action::Delete => RED,
    }
}

/// Lines of `(left, note)` with the notes aligned in one column, widths computed on the
/// uncoloured text so that colour never shifts the column.
fn aligned(rows: &[(String, String)]) -> Vec<(String, String, usize)> {
    let column = rows
        .iter()
        .map(|(left, _)| width(left))
        .max()
        .unwrap_or(0)
        .min(MAX_NOTE_COLUMN);
    rows.iter()
        .map(|(left, note)| {
            let pad = if note.is_empty() {
                0
            } else {
                pad_to(left, column) + NOTE_GAP
            };
            (left.clone(), note.clone(), pad)
        })
        .collect()
}

/// Renders a plan for a terminal in the shape of DESIGN.md's "Plan output".
pub fn text(plan: &Plan, opts: &RenderOptions) -> String {
    let plan = redact(plan);
    let color = opts.color;
    let mut out = String::new();
    let _ = writeln!(out, "target: {}", shown(&plan.target.description));
    let refused = plan.is_refused();

    let lines: Vec<ChangeLine> = change_lines(&plan, opts.verbose);
    if !lines.is_empty() {
        out.push('\n');
        let rows: Vec<(String, String)> = lines
            .iter()
            .map(|l| (format!("  {} {}", l.sign, l.label), l.note.clone()))
            .collect();
        for (line, (_, note, pad)) in lines.iter().zip(aligned(&rows)) {
            // The margin `!` marks a change a refusing rail is about; the plan stays whole.
            let margin = if line.refused {
                paint("!", BOLD_RED, color)
            } else {
                " ".to_string()
            };
            let tint = action_color(line.action);
            let _ = writeln!(
                out,
                "{margin} {} {}{:pad$}{note}",
                paint(line.sign, tint, color),
                paint(&line.label, tint, color),
                ""
            );
            for d in &line.details {
                let _ = writeln!(out, "      {d}");
            }
        }
    }

    // What the changes mean for people, right under the changes that cause it.
    if !plan.access_delta.is_empty() {
        let _ = writeln!(out, "\n{}", paint("Effective access:", BOLD, color));
        let (lines, hidden) =
            delta_lines(&plan.access_delta, &super::Names::of(&plan), opts.verbose);
        let rows: Vec<(String, String)> = lines
            .iter()
            .map(|l| {
                let note = l
                    .escalation
                    .map(|e| format!("⚠ escalation: {e}"))
                    .unwrap_or_default();
                (format!("  {} {}", l.sign, l.sentence), note)
            })
            .collect();
        for (line, (_, note, pad)) in lines.iter().zip(aligned(&rows)) {
            let tint = if line.gain { GREEN } else { RED };
            let _ = writeln!(
                out,
                "  {} {}{:pad$}{}",
                paint(line.sign, tint, color),
                line.sentence,
                "",
                paint(&note, YELLOW, color)
            );
        }
        if hidden > 0 {
            let _ = writeln!(out, "  … and {hidden} more");
        }
    }

    if !plan.kept.is_empty() {
        let _ = writeln!(out, "\n{}", paint("Kept (protected):", BOLD, color));
        let rows: Vec<_> = plan
            .kept
            .iter()
            .map(|k| {
                (
                    format!("  {}", shown_entry(&k.address, &k.label)),
                    shown(&k.reason),
                )
            })
            .collect();
        write_rows(&mut out, &rows);
    }
    if !plan.blocked.is_empty() {
        let _ = writeln!(out, "\n{}", paint("Blocked grants:", BOLD, color));
        let rows: Vec<_> = plan
            .blocked
            .iter()
            .map(|b| {
                let note = match &b.provenance {
                    Some(p) => format!("{} ({p})", b.reason),
                    None => b.reason.clone(),
                };
                (
                    format!("  {}", shown_entry(&b.address, &b.label)),
                    shown(&note),
                )
            })
            .collect();
        write_rows(&mut out, &rows);
    }
    if let Some(window) = &plan.expiring_window {
        let title = format!("Expiring within {}:", shown(window));
        let _ = writeln!(out, "\n{}", paint(&title, BOLD, color));
        if plan.expiring.is_empty() {
            let _ = writeln!(out, "  none");
        }
        let rows: Vec<_> = plan
            .expiring
            .iter()
            .map(|e| {
                let when = crate::state::timestamp(&e.expires);
                let note = match &e.provenance {
                    Some(p) => format!("expires {when} ({p})"),
                    None => format!("expires {when}"),
                };
                (
                    format!("  {}", shown_entry(&e.address, &e.label)),
                    shown(&note),
                )
            })
            .collect();
        write_rows(&mut out, &rows);
    }
    if !plan.pending.is_empty() {
        let _ = writeln!(out, "\n{}", paint("Pending memberships:", BOLD, color));
        let rows: Vec<_> = plan
            .pending
            .iter()
            .map(|p| {
                (
                    format!("  {}", shown_entry(&p.address, &p.label)),
                    shown(&p.status),
                )
            })
            .collect();
        write_rows(&mut out, &rows);
    }

    if !plan.rails.overrides.is_empty() {
        let _ = writeln!(out, "\n{}", paint("Overrides in force:", BOLD, color));
        for o in &plan.rails.overrides {
            let _ = writeln!(out, "  {}", shown(&super::override_phrase(o)));
        }
    }

    if refused {
        let n = plan.violations.len();
        let _ = writeln!(
            out,
            "\n{}",
            paint(
                &format!(
                    "REFUSED: {n} safety rail{} refuse{} this plan; nothing will be applied.",
                    if n == 1 { "" } else { "s" },
                    if n == 1 { "s" } else { "" }
                ),
                BOLD_RED,
                color
            )
        );
        for v in &plan.violations {
            let _ = writeln!(
                out,
                "  {} {}: {}",
                paint("✗", RED, color),
                shown(&v.rail),
                shown(&v.message)
            );
            if let Some(a) = &v.address {
                let _ = writeln!(out, "      at {}", shown(&a.to_string()));
            }
        }
        if lines.iter().any(|l| l.refused) {
            let _ = writeln!(out, "  Changes marked ! above are the ones concerned.");
        }
    }

    out.push('\n');
    if plan.is_empty() {
        let _ = writeln!(out, "{NO_CHANGES}");
        return out;
    }
    let access = access_summary(&plan.access, opts.verbose)
        .unwrap_or_else(|| "no direct access changes".to_string());
    let _ = writeln!(out, "Access: {access}");
    let _ = writeln!(out, "{}", Counts::of(&plan).summary());
    out
}

fn write_rows(out: &mut String, rows: &[(String, String)]) {
    for (left, note, pad) in aligned(rows) {
        let _ = writeln!(out, "{left}{:pad$}{note}", "");
    }
}
