//! Drift reports: where the live services differ from the policy, read-only.
//!
//! Drift is a plan nobody applies, described from the live side: what is missing, what
//! differs, what is live but undeclared inside an authoritative container, and which grants
//! have expired but are still live.

use serde::Serialize;

use super::change::{Action, Change, FieldChange};
use super::model::Plan;
use super::render::{RenderOptions, change_label, markdown_code, markdown_text, redact};
use crate::escape::escape_line;
use crate::state::{Address, Provenance};

/// How one object drifted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DriftKind {
    /// In the policy, not live.
    Missing,
    /// Live, with fields that differ from the policy.
    Differs,
    /// Live inside an authoritative container, not in the policy.
    Undeclared,
    /// Its `expires` has passed, but it is still live.
    ExpiredButLive,
}

/// One drifted object.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct DriftItem {
    /// What kind of drift.
    pub drift: DriftKind,
    /// The object's canonical address.
    pub address: Address,
    /// For people.
    pub label: String,
    /// Differing fields (live → policy); absent when none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldChange>,
    /// The policy line (missing, differs) or container (undeclared).
    pub provenance: Option<Provenance>,
    /// Why it counts as drift.
    pub reason: String,
}

/// A drift report.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Drift {
    /// The plan format version, shared with plans.
    pub format_version: u32,
    /// Target name.
    pub target: String,
    /// The clock used.
    pub now: chrono::DateTime<chrono::Utc>,
    /// Drifted objects.
    pub items: Vec<DriftItem>,
}

fn kind_of(c: &Change) -> DriftKind {
    match c.action {
        Action::Create => DriftKind::Missing,
        Action::Update | Action::Replace => DriftKind::Differs,
        Action::Delete if c.reason.starts_with("expired") => DriftKind::ExpiredButLive,
        Action::Delete => DriftKind::Undeclared,
    }
}

/// Builds the drift report of a plan.
pub fn drift(plan: &Plan) -> Drift {
    let plan = redact(plan);
    let items = plan
        .changes
        .iter()
        .map(|c| DriftItem {
            drift: kind_of(c),
            address: c.address.clone(),
            label: change_label(c),
            fields: c.fields.clone(),
            provenance: c.provenance.clone(),
            reason: c.reason.clone(),
        })
        .collect();
    Drift {
        format_version: plan.format_version,
        target: plan.target.name.clone(),
        now: plan.now,
        items,
    }
}

fn heading(kind: DriftKind) -> &'static str {
    match kind {
        DriftKind::Missing => "in policy, missing live",
        DriftKind::Differs => "differs from policy",
        DriftKind::Undeclared => "live, not in policy",
        DriftKind::ExpiredButLive => "expired but still live",
    }
}

const ORDER: [DriftKind; 4] = [
    DriftKind::ExpiredButLive,
    DriftKind::Undeclared,
    DriftKind::Differs,
    DriftKind::Missing,
];

impl Drift {
    /// Text for people; names from policy and live data on one line each, their control
    /// characters escaped (`crate::escape`).
    pub fn text(&self, _opts: &RenderOptions) -> String {
        let mut out = format!(
            "drift on {} at {}\n",
            escape_line(&self.target),
            crate::state::timestamp(&self.now)
        );
        if self.items.is_empty() {
            out.push_str("\nNo drift. The live state matches the policy.\n");
            return out;
        }
        for kind in ORDER {
            let items: Vec<_> = self.items.iter().filter(|i| i.drift == kind).collect();
            if items.is_empty() {
                continue;
            }
            out.push_str(&format!("\n{} ({}):\n", heading(kind), items.len()));
            for i in items {
                let at = match (&i.provenance, kind) {
                    (Some(p), DriftKind::Missing | DriftKind::Differs) => p.to_string(),
                    _ => i.reason.clone(),
                };
                let line = format!("  {}  {at}", i.label);
                out.push_str(&format!("{}\n", escape_line(&line)));
                for f in &i.fields {
                    let line = format!("{}: live {} → policy {}", f.name, f.before, f.after);
                    out.push_str(&format!("      {}\n", escape_line(&line)));
                }
            }
        }
        out.push_str(&format!(
            "\nDrift: {} object(s). `accord apply` would reconcile them.\n",
            self.items.len()
        ));
        out
    }

    /// Markdown for an issue or PR comment: data in code spans or escaped text, so a name
    /// can neither break the table nor bring in HTML.
    pub fn markdown(&self) -> String {
        let mut out = format!("### accord drift on {}\n\n", markdown_code(&self.target));
        if self.items.is_empty() {
            out.push_str("No drift. The live state matches the policy.\n");
            return out;
        }
        out.push_str("| drift | object | where / why |\n|---|---|---|\n");
        for kind in ORDER {
            for i in self.items.iter().filter(|i| i.drift == kind) {
                let mut at = match (&i.provenance, kind) {
                    (Some(p), DriftKind::Missing | DriftKind::Differs) => {
                        markdown_code(&p.to_string())
                    }
                    _ => markdown_text(&i.reason),
                };
                for f in &i.fields {
                    at.push_str(&format!(
                        "<br>{}: live {} → policy {}",
                        markdown_code(&f.name),
                        markdown_code(&f.before.to_string()),
                        markdown_code(&f.after.to_string())
                    ));
                }
                out.push_str(&format!(
                    "| {} | {} | {at} |\n",
                    heading(kind),
                    markdown_code(&i.label)
                ));
            }
        }
        out.push_str(&format!("\n**{} object(s) drifted.**\n", self.items.len()));
        out
    }

    /// JSON for programs.
    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).expect("drift serialises")
    }
}

/// The JSON Schema of `accord drift --format json` (`schemas/drift.schema.json`).
pub fn drift_schema() -> serde_json::Value {
    let mut schema = schemars::schema_for!(Drift);
    schema.insert("title".into(), "accord drift report".into());
    schema.insert(
        "description".into(),
        "Where the live services differ from the policy, as printed by `accord drift --format \
         json`. Sensitive attribute values are replaced by \"(sensitive)\"."
            .into(),
    );
    schema.to_value()
}
