//! The texts an action's details and status carry: the summary, capped markdown, policy
//! problems and lock holders.

use serde_json::{Value, json};

use crate::lock::LockInfo;
use crate::plan::Plan;
use crate::plan::render::{Counts, RenderOptions};
use crate::policy::Workspace;
use crate::policy::diagnostics::{Diagnostics, error_at};

/// The longest markdown kept in `details` (Flows stores details with the run).
const MARKDOWN_LIMIT: usize = 60_000;

/// The plan's markdown (the PR comment's), summarised to fit [`MARKDOWN_LIMIT`] bytes the
/// way the comment fits GitHub's limit: never cut mid-table.
pub(super) fn plan_markdown(plan: &Plan) -> String {
    let fits = |s: &str| s.len() <= MARKDOWN_LIMIT;
    crate::plan::render::markdown_fitting(plan, &RenderOptions::default(), &fits)
}

/// Cuts a long markdown text (the drift report), saying so.
pub(super) fn cap(text: String) -> String {
    if text.len() <= MARKDOWN_LIMIT {
        return text;
    }
    let mut end = MARKDOWN_LIMIT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!(
        "{}\n\n… (cut at {MARKDOWN_LIMIT} bytes; run `accord plan` on the workspace for the whole plan)\n",
        &text[..end]
    )
}

/// The plan summary every finished action carries.
pub(super) fn summary(plan: &Plan) -> Value {
    let counts = Counts::of(plan);
    json!({
        "add": counts.add,
        "change": counts.change,
        "remove": counts.remove,
        "changes": plan.changes.len(),
        "text": if plan.is_empty() { "No changes.".to_string() } else { counts.summary() },
        "refused": plan.is_refused(),
        "violations": plan.violations.iter().map(|v| json!({"rail": v.rail, "message": v.message})).collect::<Vec<_>>(),
        "grants": plan.access.grants.len(),
        "escalations": plan.access.escalations,
        "revocations": plan.access.revocations.len(),
        "kept": plan.kept.len(),
        "blocked": plan.blocked.len(),
        "pending": plan.pending.len(),
    })
}

/// Policy problems as the CLI renders them, without colour.
pub(super) fn problems_text(ws: &Workspace, p: &crate::policy::Problems) -> String {
    let diags = Diagnostics(
        p.0.iter()
            .map(|p| {
                let d = error_at(&ws.files, &p.origin, p.message.clone(), p.help.clone());
                p.related
                    .iter()
                    .fold(d, |d, (o, label)| d.also_at(&ws.files, o, label))
            })
            .collect(),
    );
    diagnostics_text(&diags)
}

pub(super) fn diagnostics_text(d: &Diagnostics) -> String {
    let handler =
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor());
    d.render(&handler)
}

/// The holder of a lock, for a display status.
pub(super) fn holder_text(h: &LockInfo) -> String {
    h.command.clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cap_cuts_long_markdown_on_a_char_boundary() {
        let long = "é".repeat(MARKDOWN_LIMIT);
        let cut = cap(long);
        assert!(cut.len() < MARKDOWN_LIMIT + 200);
        assert!(cut.contains("cut at"));
        assert_eq!(cap("short".into()), "short");
    }
}
