//! The documents of the Action Provider interface (reference B2–B4): the ActionRequest a
//! caller sends, the input accord takes in its `body`, the ActionStatus every action operation
//! answers, and the introspection document. Serialised as the toolkit does: every field
//! present (`null` when unset), keys sorted.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::duration::IsoDuration;
use super::error::ApError;

/// An action's state. SUCCEEDED and FAILED are final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum StatusValue {
    /// Running (or waiting for its turn).
    Active,
    /// Paused, waiting for something outside (accord never pauses an action).
    Inactive,
    /// Done.
    Succeeded,
    /// Done, with an error in `details`.
    Failed,
}

impl StatusValue {
    /// Whether the action is over.
    pub fn is_final(self) -> bool {
        matches!(self, StatusValue::Succeeded | StatusValue::Failed)
    }

    /// The wire and database form (`ACTIVE`…).
    pub fn as_str(self) -> &'static str {
        match self {
            StatusValue::Active => "ACTIVE",
            StatusValue::Inactive => "INACTIVE",
            StatusValue::Succeeded => "SUCCEEDED",
            StatusValue::Failed => "FAILED",
        }
    }

    /// Parses the wire form, case-insensitively.
    pub fn parse(text: &str) -> Option<StatusValue> {
        match text.trim().to_ascii_uppercase().as_str() {
            "ACTIVE" => Some(StatusValue::Active),
            "INACTIVE" => Some(StatusValue::Inactive),
            "SUCCEEDED" => Some(StatusValue::Succeeded),
            "FAILED" => Some(StatusValue::Failed),
            _ => None,
        }
    }
}

/// The ActionStatus document (reference B3); fields in alphabetical order, as serialised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionStatus {
    /// The action's id (a UUID).
    pub action_id: String,
    /// When it finished (ISO 8601), or null.
    pub completion_time: Option<String>,
    /// The identity URN of the caller who ran it.
    pub creator_id: String,
    /// The result on success, the error on failure, progress while active.
    pub details: Value,
    /// A short status for people (at most 64 characters).
    pub display_status: Option<String>,
    /// The caller's label.
    pub label: Option<String>,
    /// Who may cancel and release it, besides its creator.
    pub manage_by: Vec<String>,
    /// Who may see it and its log, besides its creator.
    pub monitor_by: Vec<String>,
    /// How long after completion it is kept (ISO 8601 duration).
    pub release_after: String,
    /// When it started (ISO 8601).
    pub start_time: String,
    /// Its state.
    pub status: StatusValue,
}

/// The operations accord offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Operation {
    /// `accord plan`: what apply would change.
    Plan,
    /// `accord drift`: where the live services differ from the policy (read-only).
    Drift,
    /// `accord apply --auto-approve`.
    Apply,
}

impl Operation {
    /// The name in the input and in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Plan => "plan",
            Operation::Drift => "drift",
            Operation::Apply => "apply",
        }
    }
}

/// The `body` of an ActionRequest to accord, once it passed [`input_schema`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Input {
    /// What to run.
    pub operation: Operation,
    /// The workspace: a folder directly under `--workspaces`.
    pub workspace: String,
    /// For apply: must be true (an action cannot ask for confirmation).
    #[serde(default)]
    pub auto_approve: bool,
}

/// The pattern of a workspace name: one folder name, no path.
pub const WORKSPACE_PATTERN: &str = "^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$";

/// The JSON Schema of [`Input`], published in the introspection document and checked on run.
pub fn input_schema() -> Value {
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "accord action input",
        "description": "Run accord's plan, drift or apply on one workspace the provider serves.",
        "type": "object",
        "additionalProperties": false,
        "required": ["operation", "workspace"],
        "properties": {
            "operation": {
                "type": "string",
                "enum": ["plan", "drift", "apply"],
                "description": "plan: what apply would change; drift: where the live services differ from the policy (read-only); apply: make them match the policy."
            },
            "workspace": {
                "type": "string",
                "pattern": WORKSPACE_PATTERN,
                "description": "The workspace: the name of a folder holding accord.yaml directly under the provider's workspaces folder."
            },
            "auto_approve": {
                "type": "boolean",
                "default": false,
                "description": "apply needs true: an action cannot ask for confirmation. Review first with a plan action."
            }
        },
        "if": { "properties": { "operation": { "const": "apply" } }, "required": ["operation"] },
        "then": { "properties": { "auto_approve": { "const": true } }, "required": ["auto_approve"] }
    })
}

static INPUT_VALIDATOR: LazyLock<Result<jsonschema::Validator, String>> =
    LazyLock::new(|| jsonschema::validator_for(&input_schema()).map_err(|e| e.to_string()));

/// Matches `urn:globus:auth:identity:<uuid>` and `urn:globus:groups:id:<uuid>`.
pub fn is_principal_urn(p: &str) -> bool {
    let rest = p
        .strip_prefix("urn:globus:auth:identity:")
        .or_else(|| p.strip_prefix("urn:globus:groups:id:"));
    rest.is_some_and(|id| id.len() == 36 && uuid::Uuid::parse_str(id).is_ok())
}

/// A validated ActionRequest (reference B2).
#[derive(Debug, Clone, PartialEq)]
pub struct ActionRequest {
    /// The caller's id for this request (idempotency key, with the caller).
    pub request_id: String,
    /// The validated input.
    pub input: Input,
    /// The label, 1–64 characters.
    pub label: Option<String>,
    /// Principal URNs who may monitor.
    pub monitor_by: Vec<String>,
    /// Principal URNs who may manage.
    pub manage_by: Vec<String>,
    /// When the action must have started by.
    pub deadline: Option<DateTime<Utc>>,
    /// How long to keep it after completion.
    pub release_after: Option<IsoDuration>,
    /// The request's canonical JSON: the same request gives the same fingerprint.
    pub fingerprint: String,
}

/// Sorts every object's keys, so equal documents print equally.
fn canonical(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let mut out = Map::new();
            for k in keys {
                out.insert(k.clone(), canonical(&m[k]));
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The longest `request_id` accepted, in characters: ids are stored, indexed and echoed in
/// messages, and callers send UUIDs (36).
pub const MAX_REQUEST_ID_CHARS: usize = 1024;

impl ActionRequest {
    /// Validates a run request's JSON: the envelope (reference B2), then `body` against
    /// [`input_schema`]. Every problem is listed in one 422 description.
    pub fn parse(doc: &Value) -> Result<ActionRequest, ApError> {
        let Some(obj) = doc.as_object() else {
            return Err(ApError::Validation(format!(
                "Field '__root__': value is not a valid dict (got {})",
                type_name(doc)
            )));
        };
        let mut problems: Vec<String> = Vec::new();
        let present = |k: &str| obj.get(k).filter(|v| !v.is_null());
        let request_id = match obj.get("request_id") {
            None | Some(Value::Null) => {
                problems.push("Field 'request_id': field required".into());
                None
            }
            Some(Value::String(s)) if s.chars().count() > MAX_REQUEST_ID_CHARS => {
                problems.push(format!(
                    "Field 'request_id': {} characters, over the limit of {MAX_REQUEST_ID_CHARS}",
                    s.chars().count()
                ));
                None
            }
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            Some(Value::String(_)) => {
                problems.push("Field 'request_id': must not be empty".into());
                None
            }
            Some(other) => {
                problems.push(format!(
                    "Field 'request_id': must be a string, not {}",
                    type_name(other)
                ));
                None
            }
        };
        let body = match obj.get("body") {
            None | Some(Value::Null) => {
                problems.push("Field 'body': field required".into());
                None
            }
            Some(b @ Value::Object(_)) => Some(b),
            Some(other) => {
                problems.push(format!(
                    "Field 'body': must be an object, not {}",
                    type_name(other)
                ));
                None
            }
        };
        let label = match present("label") {
            None => None,
            Some(Value::String(s)) if (1..=64).contains(&s.chars().count()) => Some(s.clone()),
            Some(Value::String(_)) => {
                problems.push("Field 'label': must be 1 to 64 characters".into());
                None
            }
            Some(other) => {
                problems.push(format!(
                    "Field 'label': must be a string, not {}",
                    type_name(other)
                ));
                None
            }
        };
        let mut principals = |field: &str| -> Vec<String> {
            let Some(v) = present(field) else {
                return Vec::new();
            };
            let Some(items) = v.as_array() else {
                problems.push(format!(
                    "Field '{field}': must be an array of principal URNs, not {}",
                    type_name(v)
                ));
                return Vec::new();
            };
            let mut seen = BTreeSet::new();
            let mut out = Vec::new();
            for (i, item) in items.iter().enumerate() {
                match item.as_str() {
                    Some(p) if is_principal_urn(p) => {
                        if seen.insert(p.to_string()) {
                            out.push(p.to_string());
                        } else {
                            problems.push(format!("Field '{field}.{i}': {p} is listed twice"));
                        }
                    }
                    _ => problems.push(format!(
                        "Field '{field}.{i}': {item} is not a principal URN (urn:globus:auth:identity:<uuid> or urn:globus:groups:id:<uuid>)"
                    )),
                }
            }
            out
        };
        let monitor_by = principals("monitor_by");
        let manage_by = principals("manage_by");
        if let Some(v) = present("allowed_clients")
            && !v.as_array().is_some_and(|a| a.iter().all(Value::is_string))
        {
            problems.push("Field 'allowed_clients': must be an array of strings".into());
        }
        let deadline = match present("deadline") {
            None => None,
            Some(Value::String(s)) => match DateTime::parse_from_rfc3339(s) {
                Ok(t) => Some(t.with_timezone(&Utc)),
                Err(e) => {
                    problems.push(format!(
                        "Field 'deadline': `{s}` is not an RFC 3339 date-time ({e})"
                    ));
                    None
                }
            },
            Some(other) => {
                problems.push(format!(
                    "Field 'deadline': must be a date-time string, not {}",
                    type_name(other)
                ));
                None
            }
        };
        let release_after = match present("release_after") {
            None => None,
            Some(Value::String(s)) => match IsoDuration::parse(s) {
                Ok(d) => Some(d),
                Err(e) => {
                    problems.push(format!("Field 'release_after': {e}"));
                    None
                }
            },
            Some(other) => {
                problems.push(format!(
                    "Field 'release_after': must be an ISO 8601 duration string such as P30D, not {}",
                    type_name(other)
                ));
                None
            }
        };
        let input = body.and_then(|b| match validate_input(b) {
            Ok(i) => Some(i),
            Err(mut more) => {
                problems.append(&mut more);
                None
            }
        });
        if !problems.is_empty() {
            return Err(ApError::Validation(problems.join("; ")));
        }
        let (Some(request_id), Some(input)) = (request_id, input) else {
            return Err(ApError::Validation("the request is incomplete".into()));
        };
        // The fingerprint covers what the caller sent, not defaults filled in later.
        let mut sent = Map::new();
        for key in [
            "request_id",
            "body",
            "label",
            "monitor_by",
            "manage_by",
            "allowed_clients",
            "deadline",
            "release_after",
        ] {
            if let Some(v) = present(key) {
                sent.insert(key.to_string(), v.clone());
            }
        }
        let fingerprint = canonical(&Value::Object(sent)).to_string();
        Ok(ActionRequest {
            request_id,
            input,
            label,
            monitor_by,
            manage_by,
            deadline,
            release_after,
            fingerprint,
        })
    }
}

/// Checks `body` against [`input_schema`]; the problems, for people, when it fails.
pub fn validate_input(body: &Value) -> Result<Input, Vec<String>> {
    let validator = INPUT_VALIDATOR
        .as_ref()
        .map_err(|e| vec![format!("the input schema does not compile: {e}")])?;
    let apply_without_approval = body.get("operation").and_then(Value::as_str) == Some("apply")
        && body.get("auto_approve") != Some(&Value::Bool(true));
    let mut problems: Vec<String> = Vec::new();
    for e in validator.iter_errors(body) {
        let path = e.instance_path().to_string();
        let field = if path.is_empty() {
            "body".to_string()
        } else {
            format!("body{}", path.replace('/', "."))
        };
        // The if/then rule for apply gets one clear sentence below instead.
        if apply_without_approval && field == "body.auto_approve" {
            continue;
        }
        if apply_without_approval && e.to_string().contains("auto_approve") && path.is_empty() {
            continue;
        }
        problems.push(format!(
            "Field '{field}' (category: '{}'): {e}",
            e.kind().keyword()
        ));
    }
    if apply_without_approval {
        problems.push(
            "Field 'body.auto_approve': \"apply\" needs \"auto_approve\": true, because an action cannot ask for confirmation; to review the changes first, run \"plan\", then \"apply\" with \"auto_approve\": true".into(),
        );
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    serde_json::from_value(body.clone()).map_err(|e| vec![format!("Field 'body': {e}")])
}

/// An ISO 8601 timestamp as the toolkit prints it (`2019-06-21T17:01:55.806781+00:00`).
pub fn iso_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, false)
}

/// Cuts a display status to the 64 characters the interface allows, on one line with its
/// control characters escaped (`crate::escape`): it is shown to people as it is.
pub fn display(text: impl AsRef<str>) -> String {
    let text = crate::escape::escape_line(text.as_ref());
    if text.chars().count() <= 64 {
        text.to_string()
    } else {
        let cut: String = text.chars().take(63).collect();
        format!("{cut}…")
    }
}

/// The introspection document (reference B4); fields in alphabetical order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProviderDescription {
    /// Whom to contact about this provider.
    pub admin_contact: String,
    /// Principals administering it (they may monitor and manage every action).
    pub administered_by: Option<Vec<String>>,
    /// `"1.0"`.
    pub api_version: String,
    /// Longer description.
    pub description: Option<String>,
    /// Event types (none).
    pub event_types: Option<Vec<String>>,
    /// The scope tokens must carry.
    pub globus_auth_scope: String,
    /// The schema of `body`.
    pub input_schema: Value,
    /// Keywords.
    pub keywords: Option<Vec<String>>,
    /// Whether `/log` is served (true).
    pub log_supported: bool,
    /// The longest deadline accepted.
    pub maximum_deadline: String,
    /// Who may run actions.
    pub runnable_by: Vec<String>,
    /// Subtitle.
    pub subtitle: Option<String>,
    /// Whether run answers a final status (false: actions run in the background).
    pub synchronous: bool,
    /// Title.
    pub title: String,
    /// `["ACTION"]`.
    pub types: Vec<String>,
    /// Who may introspect.
    pub visible_to: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(v: Value) -> Result<ActionRequest, ApError> {
        ActionRequest::parse(&v)
    }

    #[test]
    fn a_good_request_parses() {
        let r = req(
            json!({"request_id": "r1", "body": {"operation": "plan", "workspace": "lab"},
            "label": "nightly", "release_after": "PT1H",
            "monitor_by": ["urn:globus:groups:id:6a1f9c0e-8d2b-4e3a-9f4c-5b6d7e8f9a0b"]}),
        )
        .unwrap();
        assert_eq!(r.input.operation, Operation::Plan);
        assert!(!r.input.auto_approve);
        assert_eq!(r.release_after.unwrap().millis(), 3_600_000);
        assert_eq!(r.monitor_by.len(), 1);
    }

    #[test]
    fn the_fingerprint_ignores_key_order() {
        let a = req(json!({"request_id": "r", "body": {"operation": "plan", "workspace": "lab"}}))
            .unwrap();
        let b = req(json!({"body": {"workspace": "lab", "operation": "plan"}, "request_id": "r"}))
            .unwrap();
        assert_eq!(a.fingerprint, b.fingerprint);
        let c = req(json!({"request_id": "r", "body": {"operation": "drift", "workspace": "lab"}}))
            .unwrap();
        assert_ne!(a.fingerprint, c.fingerprint);
    }

    #[test]
    fn every_problem_is_listed() {
        let e = req(
            json!({"body": {"operation": "nuke", "workspace": "../etc", "extra": 1},
            "label": "", "monitor_by": ["bob"], "release_after": "30 days"}),
        )
        .unwrap_err();
        let text = e.to_string();
        assert_eq!(e.code(), "RequestValidationError");
        for want in [
            "Field 'request_id': field required",
            "Field 'body.operation' (category: 'enum')",
            "Field 'body.workspace' (category: 'pattern')",
            "Field 'body' (category: 'additionalProperties')",
            "Field 'label'",
            "Field 'monitor_by.0'",
            "Field 'release_after'",
        ] {
            assert!(text.contains(want), "{want} missing in {text}");
        }
    }

    #[test]
    fn apply_without_approval_says_so_clearly() {
        for body in [
            json!({"operation": "apply", "workspace": "lab"}),
            json!({"operation": "apply", "workspace": "lab", "auto_approve": false}),
        ] {
            let text = req(json!({"request_id": "r", "body": body}))
                .unwrap_err()
                .to_string();
            assert!(
                text.contains("\"apply\" needs \"auto_approve\": true"),
                "{text}"
            );
            assert_eq!(text.matches("Field").count(), 1, "{text}");
        }
        let ok = req(
            json!({"request_id": "r", "body": {"operation": "apply", "workspace": "lab", "auto_approve": true}}),
        );
        assert!(ok.is_ok());
    }

    #[test]
    fn non_objects_are_refused() {
        assert!(
            req(json!([1, 2]))
                .unwrap_err()
                .to_string()
                .contains("Field '__root__'")
        );
        assert!(
            req(json!({"request_id": "r", "body": "plan"}))
                .unwrap_err()
                .to_string()
                .contains("Field 'body': must be an object")
        );
    }

    #[test]
    fn display_status_is_cut_to_64() {
        assert_eq!(display("x".repeat(80)).chars().count(), 64);
        assert_eq!(display("short"), "short");
        assert_eq!(display("a\x1b]0;t\x07\nb"), "a\\u{1b}]0;t\\u{7}\\u{a}b");
    }
}
