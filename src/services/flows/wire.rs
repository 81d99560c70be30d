//! Globus Flows' JSON documents, once, for the provider and the emulator alike
//! (`../shared/reference/flows-api.md` §2–4): the flow document, the partial update, a page of
//! the flow listing, and the error body. Decoded leniently: unknown fields are kept.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::wire::Extra;

/// The role lists of a flow, by their field names, in the order documents list them.
pub const ROLE_LISTS: [&str; 5] = [
    "flow_administrators",
    "flow_starters",
    "flow_viewers",
    "run_managers",
    "run_monitors",
];

/// The one special value `flow_starters` accepts besides URNs.
pub const ALL_AUTHENTICATED_USERS: &str = "all_authenticated_users";
/// The one special value `flow_viewers` accepts besides URNs.
pub const PUBLIC: &str = "public";

/// A flow document (`GET /flows/{id}`, and the answer to `PUT`): its id, owner, role lists and
/// the caller's roles; the definition, schema and the rest are kept in `extra`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Flow {
    /// The flow id (a UUID).
    pub id: String,
    /// `urn:globus:auth:identity:<uuid>` of the owner.
    #[serde(default)]
    pub flow_owner: String,
    /// Identity or group URNs.
    #[serde(default)]
    pub flow_administrators: Vec<String>,
    /// URNs and `all_authenticated_users`.
    #[serde(default)]
    pub flow_starters: Vec<String>,
    /// URNs and `public`.
    #[serde(default)]
    pub flow_viewers: Vec<String>,
    /// URNs: manage every run of the flow.
    #[serde(default)]
    pub run_managers: Vec<String>,
    /// URNs: monitor every run of the flow.
    #[serde(default)]
    pub run_monitors: Vec<String>,
    /// The caller's strongest role (deprecated in favour of `user_roles`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_role: Option<String>,
    /// Every role the caller holds (`flow_viewer`, `flow_starter`, `flow_administrator`,
    /// `flow_owner`, `flow_run_monitor`, `flow_run_manager`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_roles: Option<Vec<String>>,
    /// The flow's title.
    #[serde(default)]
    pub title: String,
    /// Unknown fields (definition, input schema, scope, timestamps…).
    #[serde(flatten)]
    pub extra: Extra,
}

impl Flow {
    /// The role list named `list` (one of [`ROLE_LISTS`]).
    pub fn list(&self, list: &str) -> Option<&Vec<String>> {
        match list {
            "flow_administrators" => Some(&self.flow_administrators),
            "flow_starters" => Some(&self.flow_starters),
            "flow_viewers" => Some(&self.flow_viewers),
            "run_managers" => Some(&self.run_managers),
            "run_monitors" => Some(&self.run_monitors),
            _ => None,
        }
    }

    /// The role list named `list`, to change it.
    pub fn list_mut(&mut self, list: &str) -> Option<&mut Vec<String>> {
        match list {
            "flow_administrators" => Some(&mut self.flow_administrators),
            "flow_starters" => Some(&mut self.flow_starters),
            "flow_viewers" => Some(&mut self.flow_viewers),
            "run_managers" => Some(&mut self.run_managers),
            "run_monitors" => Some(&mut self.run_monitors),
            _ => None,
        }
    }

    /// Whether the caller may see and change the role lists: an administrator or the owner.
    pub fn caller_administers(&self) -> bool {
        let roles = self.user_roles.iter().flatten().map(String::as_str);
        roles
            .chain(self.user_role.as_deref())
            .any(|r| r == "flow_administrator" || r == "flow_owner")
    }
}

/// `PUT /flows/{id}`: partial; only the lists sent change, each replaced whole (`[]` clears).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FlowUpdate {
    /// New administrators.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow_administrators: Option<Vec<String>>,
    /// New starters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow_starters: Option<Vec<String>>,
    /// New viewers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow_viewers: Option<Vec<String>>,
    /// New run managers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_managers: Option<Vec<String>>,
    /// New run monitors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_monitors: Option<Vec<String>>,
    /// Other fields of the update (title, definition…): accord sends none.
    #[serde(flatten)]
    pub extra: Extra,
}

impl FlowUpdate {
    /// The list named `list`, to set it.
    pub fn list_mut(&mut self, list: &str) -> Option<&mut Option<Vec<String>>> {
        match list {
            "flow_administrators" => Some(&mut self.flow_administrators),
            "flow_starters" => Some(&mut self.flow_starters),
            "flow_viewers" => Some(&mut self.flow_viewers),
            "run_managers" => Some(&mut self.run_managers),
            "run_monitors" => Some(&mut self.run_monitors),
            _ => None,
        }
    }
}

/// `GET /flows`: one page, `{"flows", "limit", "has_next_page", "marker"}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FlowList {
    /// The flows of this page.
    #[serde(default)]
    pub flows: Vec<Flow>,
    /// The page size.
    #[serde(default)]
    pub limit: u32,
    /// Whether another page follows.
    #[serde(default)]
    pub has_next_page: bool,
    /// The marker of the next page, `null` on the last.
    #[serde(default)]
    pub marker: Option<String>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// An error body: `{"error": {"code", "detail", "message"?}, "debug_id"}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FlowsError {
    /// The error.
    pub error: ErrorDetail,
    /// The request's debug id (a UUID).
    #[serde(default)]
    pub debug_id: String,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// The `error` of an error body.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// `UPPER_SNAKE` (`NOT_FOUND`, `FORBIDDEN`, `UNPROCESSABLE_ENTITY`).
    pub code: String,
    /// A string, or a list of `{"loc", "msg", "type"}` for a 422.
    #[serde(default)]
    pub detail: Value,
    /// A summary some errors add.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

impl FlowsError {
    /// The error's messages for people: each `detail[].msg`, or `detail` itself.
    pub fn messages(&self) -> Vec<String> {
        match &self.error.detail {
            Value::Array(items) => items
                .iter()
                .filter_map(|i| i.get("msg").and_then(Value::as_str).map(str::to_string))
                .collect(),
            Value::String(s) => vec![s.clone()],
            _ => self.error.message.iter().cloned().collect(),
        }
    }
}
