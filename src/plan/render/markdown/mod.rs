//! The markdown rendering of a plan, for pull-request comments.
//!
//! It leads with what a reviewer must decide (counts per service, the rails, every
//! escalation, who gains and loses access per service), then lists each change once, grouped
//! per service and container, long lists folded into `<details>`. It stays under
//! [`COMMENT_BUDGET`] characters by summarising, never by cutting: per-person access rows and
//! change lists give way to a count per container, and if the escalations alone do not fit it
//! says how many there are and shows as many as fit, in the plan's order. It must be stable
//! from run to run (CI edits one comment in place), so it holds no timestamp but the plan's
//! own clock.

use std::collections::BTreeMap;
use std::fmt::Write as _;

pub use crate::escape::{markdown_code as code, markdown_text as text};

use super::{
    ChangeLine, Counts, NO_CHANGES, Names, RenderOptions, access_summary, change_lines, delta_line,
    override_phrase, redact, shown_entry,
};
use crate::plan::Action;
use crate::plan::access::{AccessEntry, Resource};
use crate::plan::build::escalation_phrase;
use crate::plan::model::Plan;

/// GitHub refuses comments over 65,536 characters; this leaves room for the workflow's marker
/// and footer.
pub const COMMENT_BUDGET: usize = 64_000;

/// Lists longer than this fold into `<details>`.
const FOLD: usize = 10;

/// What a summarised comment says about the rest.
const IN_ARTIFACT: &str = "The full plan is in the artifact (`accord show PLAN.json`).";

/// Renders a plan as a markdown document for a pull-request comment, within [`COMMENT_BUDGET`].
pub fn markdown(plan: &Plan, opts: &RenderOptions) -> String {
    markdown_within(plan, opts, COMMENT_BUDGET)
}

/// [`markdown`] within `budget` characters: the full rendering if it fits, else one that
/// summarises access rows, then changes, then the escalations that do not fit.
pub fn markdown_within(plan: &Plan, opts: &RenderOptions, budget: usize) -> String {
    markdown_fitting(plan, opts, &|s| s.chars().count() <= budget)
}

/// [`markdown`] as long as `fits` accepts (a store that counts bytes, say), summarised the
/// same way as [`markdown_within`].
pub fn markdown_fitting(plan: &Plan, opts: &RenderOptions, fits: &dyn Fn(&str) -> bool) -> String {
    let plan = redact(plan);
    let parts = Parts::of(&plan, opts);
    // Each step summarises one more section, the least needed for a decision first.
    let steps = [
        Detail::FULL,
        Detail {
            delta_rows: false,
            ..Detail::FULL
        },
        Detail {
            delta_rows: false,
            changes: Changes::PerContainer,
            ..Detail::FULL
        },
        Detail {
            delta_rows: false,
            changes: Changes::Counted,
            ..Detail::FULL
        },
        Detail::LEAST,
    ];
    for detail in steps {
        let out = parts.assemble(detail, usize::MAX);
        if fits(&out) {
            return out;
        }
    }
    // Even with the rest summarised, the escalations do not fit: as many as fit, in order.
    let (mut lo, mut hi) = (0, parts.escalations.len());
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if fits(&parts.assemble(Detail::LEAST, mid)) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    parts.assemble(Detail::LEAST, lo)
}

/// How much of each section a comment shows.
#[derive(Clone, Copy, PartialEq)]
struct Detail {
    /// Every access row, or a count per service.
    delta_rows: bool,
    changes: Changes,
    /// Every kept, blocked, expiring and pending entry, or their counts.
    tail_entries: bool,
}

/// How the changes are listed.
#[derive(Clone, Copy, PartialEq)]
enum Changes {
    /// Every change, per service and container.
    Every,
    /// A count per container.
    PerContainer,
    /// Only the counts per service at the top.
    Counted,
}

impl Detail {
    const FULL: Detail = Detail {
        delta_rows: true,
        changes: Changes::Every,
        tail_entries: true,
    };
    const LEAST: Detail = Detail {
        delta_rows: false,
        changes: Changes::Counted,
        tail_entries: false,
    };
}

/// The sections of a comment, each rendered in full and summarised.
struct Parts {
    head: String,
    /// One table row per escalation, in the plan's order.
    escalations: Vec<String>,
    delta_full: String,
    delta_summary: String,
    changes_full: String,
    changes_per_container: String,
    changes_counted: String,
    tail_full: String,
    tail_counted: String,
}

impl Parts {
    fn of(plan: &Plan, opts: &RenderOptions) -> Parts {
        let names = Names::of(plan);
        let lines = change_lines(plan, opts.verbose);
        Parts {
            head: head(plan, &lines),
            escalations: escalation_rows(plan, &names, &lines),
            delta_full: delta(plan, &names, true),
            delta_summary: delta(plan, &names, false),
            changes_full: changes(plan, &lines, opts, true),
            changes_per_container: changes(plan, &lines, opts, false),
            changes_counted: if lines.is_empty() {
                String::new()
            } else {
                format!(
                    "\n#### Changes\n\n{} changes; their counts per service are at the top. \
                     {IN_ARTIFACT}\n",
                    lines.len()
                )
            },
            tail_full: tail(plan, opts, true),
            tail_counted: tail(plan, opts, false),
        }
    }

    fn assemble(&self, detail: Detail, escalations: usize) -> String {
        let mut out = self.head.clone();
        if !self.escalations.is_empty() {
            let total = self.escalations.len();
            let _ = writeln!(out, "\n#### ⚠️ Escalations ({total})\n");
            if escalations < total {
                let _ = writeln!(
                    out,
                    "**{total} escalations; the first {escalations} are shown, {} more are in \
                     the artifact.** {IN_ARTIFACT}\n",
                    total - escalations
                );
            }
            out.push_str("| Change (policy) | Who | Access | Escalation |\n|---|---|---|---|\n");
            for row in &self.escalations[..escalations.min(total)] {
                out.push_str(row);
            }
        }
        out.push_str(if detail.delta_rows {
            &self.delta_full
        } else {
            &self.delta_summary
        });
        out.push_str(match detail.changes {
            Changes::Every => &self.changes_full,
            Changes::PerContainer => &self.changes_per_container,
            Changes::Counted => &self.changes_counted,
        });
        out.push_str(if detail.tail_entries {
            &self.tail_full
        } else {
            &self.tail_counted
        });
        if detail != Detail::FULL {
            let _ = writeln!(
                out,
                "\n*This plan is too long for one comment: it is summarised. {IN_ARTIFACT}*"
            );
        }
        out
    }
}

/// The service of a kind or resource: its name before the first `.` or `:`.
fn service(name: &str) -> &str {
    name.split(['.', ':']).next().unwrap_or(name)
}

/// Title, counts per service, and the rails.
fn head(plan: &Plan, lines: &[ChangeLine]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "### accord plan: {}", text(&plan.target.description));
    out.push('\n');
    let summary = if plan.is_empty() {
        NO_CHANGES.to_string()
    } else {
        Counts::of(plan).summary()
    };
    let _ = writeln!(
        out,
        "**{}** Target {}, clock {}.",
        text(&summary),
        code(&plan.target.name),
        code(
            &plan
                .now
                .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
        ),
    );
    if !plan.is_empty() {
        let mut per: BTreeMap<&str, Counts> = BTreeMap::new();
        for c in &plan.changes {
            per.entry(service(c.address.kind.name()))
                .or_default()
                .count(c.action);
        }
        out.push_str("\n| Service | To add | To change | To remove |\n|---|--:|--:|--:|\n");
        for (s, n) in per {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                text(s),
                n.add,
                n.change,
                n.remove
            );
        }
    }

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
            let _ = write!(out, "- **{}**: {}", code(&v.rail), text(&v.message));
            if let Some(a) = &v.address {
                let _ = write!(out, " ({})", code(&a.to_string()));
            }
            out.push('\n');
        }
    } else if !plan.is_empty() {
        out.push_str("\nSafety rails: none refuses this plan.\n");
    }
    if !plan.rails.overrides.is_empty() {
        out.push_str("\n**Overrides in force** (they raise the rails above):\n\n");
        for o in &plan.rails.overrides {
            let _ = writeln!(out, "- {}", text(&override_phrase(o)));
        }
    }
    out
}

/// One row per escalation, in the plan's order: each escalating change, beside the gains it
/// makes directly, then each escalated gain no change makes directly (through a group).
fn escalation_rows(plan: &Plan, names: &Names, lines: &[ChangeLine]) -> Vec<String> {
    let gains: Vec<&AccessEntry> = plan
        .access_delta
        .gains
        .iter()
        .filter(|e| e.escalation.is_some())
        .collect();
    let mut shown = vec![false; gains.len()];
    // Four columns, so the table fits a comment's width even with long Boss permission lists.
    let row = |change: &str, e: Option<&AccessEntry>| {
        let Some(e) = e else {
            // Nobody's effective access moves yet (an invitation, say): the change says it all.
            return format!("| {change} | — | — | — |\n");
        };
        let l = delta_line(e, names, true);
        let why = e.escalation.map(|x| x.to_string()).unwrap_or_default();
        let who = if l.via == "direct" {
            text(&l.who)
        } else {
            format!("{}<br>via {}", text(&l.who), text(&l.via))
        };
        format!(
            "| {change} | {who} | {} on {} | {} |\n",
            code(&l.levels),
            code(&l.resource),
            text(&why),
        )
    };
    let mut rows = Vec::new();
    for (c, l) in plan.changes.iter().zip(lines) {
        let Some(phrase) = escalation_phrase(c) else {
            continue;
        };
        let change = format!("{} {} ({})", action(c.action), text(&phrase), code(&l.note));
        // The gains this change makes: to its principal on its resource, or to the members of
        // the managed group it names; for an object naming its principals in its values, the
        // direct gains on its resource.
        let semantics = c.address.kind.semantics();
        let (principal, on) = match semantics.access_on(&c.address) {
            Some((p, on)) => (Some(p), Some(Resource::from(on))),
            None => (
                None,
                semantics.access_resource(&c.address).map(Resource::from),
            ),
        };
        let before = rows.len();
        for (i, e) in gains.iter().enumerate() {
            let direct = e.via.iter().any(|v| v == "direct");
            let made = match principal {
                Some(p) => (direct && p == e.principal) || e.via.iter().any(|v| v == p),
                None => direct,
            };
            if !shown[i] && made && on.as_ref() == Some(&e.resource) {
                shown[i] = true;
                // A change reaching several people names itself once; rows are only ever
                // dropped from the end, so its first row is always shown.
                let first = rows.len() == before;
                rows.push(row(if first { &change } else { "(same change)" }, Some(e)));
            }
        }
        if rows.len() == before {
            rows.push(row(&change, None));
        }
    }
    for (e, shown) in gains.iter().zip(shown) {
        if !shown {
            rows.push(row("—", Some(e)));
        }
    }
    rows
}

/// Who gains and loses access, per service: every row, or a count per service and resource.
fn delta(plan: &Plan, names: &Names, full: bool) -> String {
    let d = &plan.access_delta;
    if d.is_empty() {
        return String::new();
    }
    let mut out = String::from("\n#### Who gains and loses access\n\n");
    out.push_str("Effective access, through managed groups included; escalations are above.\n\n");
    let mut per: BTreeMap<&str, Vec<(bool, &AccessEntry)>> = BTreeMap::new();
    for (gain, entries) in [(true, &d.gains), (false, &d.losses)] {
        for e in entries.iter().filter(|e| e.escalation.is_none()) {
            per.entry(service(e.resource.of.def().prefix))
                .or_default()
                .push((gain, e));
        }
    }
    if per.is_empty() {
        out.push_str("Every gain is an escalation, listed above.\n");
    }
    for (s, entries) in per {
        let gains = entries.iter().filter(|(g, _)| *g).count();
        let losses = entries.len() - gains;
        let title = format!("{}: {gains} gained, {losses} lost", text(s));
        if !full {
            let mut resources: BTreeMap<String, (usize, usize)> = BTreeMap::new();
            for (gain, e) in &entries {
                let n = resources.entry(e.resource.label()).or_default();
                if *gain { n.0 += 1 } else { n.1 += 1 }
            }
            let _ = writeln!(out, "- **{title}** on {} resources", resources.len());
            continue;
        }
        let fold = entries.len() > FOLD;
        if fold {
            let _ = writeln!(out, "<details><summary>{title}</summary>\n");
        } else {
            let _ = writeln!(out, "**{title}**\n");
        }
        out.push_str("| Action | Who | Access | On | Through |\n|---|---|---|---|---|\n");
        for (gain, e) in entries {
            let l = delta_line(e, names, gain);
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                if gain { "**+** gains" } else { "**−** loses" },
                text(&l.who),
                code(&l.levels),
                code(&l.resource),
                text(&l.via),
            );
        }
        out.push('\n');
        if fold {
            out.push_str("</details>\n\n");
        }
    }
    out
}

/// The action column: a sign and a word, so each kind of change reads apart.
fn action(a: Action) -> &'static str {
    match a {
        Action::Create => "**+** add",
        Action::Update => "**~** change",
        Action::Replace => "**±** replace",
        Action::Delete => "**−** remove",
    }
}

/// The changes once, per service and container: every row, or a count per container.
fn changes(plan: &Plan, lines: &[ChangeLine], opts: &RenderOptions, full: bool) -> String {
    if lines.is_empty() {
        return String::new();
    }
    let mut out = String::from("\n#### Changes\n\n");
    // Service, then container, in the plan's order within each.
    let mut per: BTreeMap<&str, BTreeMap<String, Vec<&ChangeLine>>> = BTreeMap::new();
    for (c, l) in plan.changes.iter().zip(lines) {
        let container = c
            .address
            .container()
            .map(|a| shown_entry(&a, ""))
            .unwrap_or_else(|| "(top level)".to_string());
        per.entry(service(c.address.kind.name()))
            .or_default()
            .entry(container)
            .or_default()
            .push(l);
    }
    for (s, containers) in per {
        let _ = writeln!(out, "##### {}\n", text(s));
        for (container, lines) in containers {
            let count = |a: Action| lines.iter().filter(|l| l.action == a).count();
            let counts = format!(
                "{} to add, {} to change, {} to replace, {} to remove",
                count(Action::Create),
                count(Action::Update),
                count(Action::Replace),
                count(Action::Delete)
            );
            if !full {
                let _ = writeln!(out, "- {}: {counts}", code(&container));
                continue;
            }
            let fold = lines.len() > FOLD;
            if fold {
                let _ = writeln!(
                    out,
                    "<details><summary>{} ({counts})</summary>\n",
                    text(&container)
                );
            } else {
                let _ = writeln!(out, "{} ({counts})\n", code(&container));
            }
            out.push_str("| Action | Object | Policy or reason |\n|---|---|---|\n");
            for l in lines {
                let mark = if l.refused { "⛔ " } else { "" };
                let mut object = code(&l.label);
                let shown_details = l
                    .details
                    .iter()
                    .filter(|d| opts.verbose || !d.starts_with("address: "));
                for d in shown_details {
                    let _ = write!(object, "<br>{}", code(d));
                }
                let note = if l.action == Action::Delete {
                    text(&l.note)
                } else {
                    code(&l.note)
                };
                let _ = writeln!(out, "| {mark}{} | {object} | {note} |", action(l.action));
            }
            out.push('\n');
            if fold {
                out.push_str("</details>\n\n");
            }
        }
    }
    if !full {
        out.push('\n');
    }
    out
}

/// Kept, blocked, pending and expiring entries (or their counts), and the access summary.
fn tail(plan: &Plan, opts: &RenderOptions, entries: bool) -> String {
    let mut out = String::new();
    let list = |out: &mut String, title: &str, items: Vec<String>| {
        if items.is_empty() {
            return;
        }
        let _ = writeln!(out, "\n#### {title}\n");
        if !entries {
            let _ = writeln!(out, "{} entries. {IN_ARTIFACT}", items.len());
            return;
        }
        let fold = items.len() > FOLD;
        if fold {
            let _ = writeln!(out, "<details><summary>{} entries</summary>\n", items.len());
        }
        for i in items {
            let _ = writeln!(out, "- {i}");
        }
        if fold {
            out.push_str("\n</details>\n");
        }
    };
    list(
        &mut out,
        "Kept (protected)",
        plan.kept
            .iter()
            .map(|k| {
                format!(
                    "{}: {}",
                    code(&shown_entry(&k.address, &k.label)),
                    text(&k.reason)
                )
            })
            .collect(),
    );
    list(
        &mut out,
        "Blocked grants",
        plan.blocked
            .iter()
            .map(|b| {
                let mut s = format!(
                    "{}: {}",
                    code(&shown_entry(&b.address, &b.label)),
                    text(&b.reason)
                );
                if let Some(p) = &b.provenance {
                    let _ = write!(s, " ({})", code(&p.to_string()));
                }
                s
            })
            .collect(),
    );
    if let Some(window) = &plan.expiring_window {
        let items: Vec<String> = plan
            .expiring
            .iter()
            .map(|e| {
                let mut s = format!(
                    "{}: expires {}",
                    code(&shown_entry(&e.address, &e.label)),
                    crate::state::timestamp(&e.expires)
                );
                if let Some(p) = &e.provenance {
                    let _ = write!(s, " ({})", code(&p.to_string()));
                }
                s
            })
            .collect();
        if items.is_empty() {
            let _ = writeln!(
                out,
                "\n#### Expiring within {}\n\nNo grant expires in this window.",
                text(window)
            );
        } else {
            list(
                &mut out,
                &format!("Expiring within {}", text(window)),
                items,
            );
        }
    }
    list(
        &mut out,
        "Pending memberships",
        plan.pending
            .iter()
            .map(|p| {
                format!(
                    "{}: {}",
                    code(&shown_entry(&p.address, &p.label)),
                    text(&p.status)
                )
            })
            .collect(),
    );
    if !plan.is_empty() {
        let access = access_summary(&plan.access, opts.verbose && entries)
            .unwrap_or_else(|| "no direct access changes".to_string());
        let _ = writeln!(out, "\n**Access:** {}", text(&access));
    }
    out
}
