//! The JSON rendering of a plan and its JSON Schema: one layout for `plan --format json`
//! and for saved plan files.

use serde_json::Value;

use super::redact;
use crate::plan::model::{FORMAT_VERSION, Plan};

/// The redacted plan as a JSON value (`format_version`, target, changes, steps, …).
///
/// `serde_json` keeps object keys sorted in a `Value`; use [`json_string`] for the
/// document people read, which keeps the field order with `format_version` first.
pub fn json(plan: &Plan) -> Value {
    serde_json::to_value(redact(plan)).expect("a plan always serialises: its keys are strings")
}

/// The redacted plan as pretty JSON with `format_version` first, ending in a newline.
pub fn json_string(plan: &Plan) -> String {
    let mut out = Vec::new();
    write_json(plan, &mut out).expect("writing to memory cannot fail");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

/// Writes the redacted plan as [`json_string`] does, streamed: a plan of 100,000 live
/// objects is tens of megabytes of JSON, never held in memory whole.
pub fn write_json(plan: &Plan, out: &mut impl std::io::Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &redact(plan)).map_err(std::io::Error::from)?;
    out.write_all(b"\n")
}

/// The JSON Schema (draft 2020-12) of a plan: `plan --format json` and saved plan files.
pub fn plan_schema() -> Value {
    let mut schema = schemars::schema_for!(Plan);
    schema.insert("title".into(), "accord plan".into());
    schema.insert(
        "description".into(),
        format!(
            "A plan made by `accord plan`, as printed by `--format json` and saved by `--out` \
             (format_version {FORMAT_VERSION}). Sensitive attribute values are replaced by \
             \"(sensitive)\"."
        )
        .into(),
    );
    schema.to_value()
}
