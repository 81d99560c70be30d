//! `flows:` as written: serde + schemars types with spans (see `policy::ast`).

use schemars::JsonSchema;
use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::policy::ast::SpannedMap;

/// `flows:`: flows by id, each with the role lists the policy manages.
pub type Flows = SpannedMap<FlowRoles>;

/// A role list as written: the list's place and each principal's.
pub type RoleList = Option<Spanned<Vec<Spanned<String>>>>;

/// One flow's role lists. A list written is exact (`[]` clears it); a list left out is not
/// touched.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FlowRoles {
    /// Who may change the flow and its lists, delete it, and manage its runs.
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub flow_administrators: RoleList,
    /// Who may start runs of the flow (`all_authenticated_users` allowed here only).
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub flow_starters: RoleList,
    /// Who may see the flow (`public` allowed here only).
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub flow_viewers: RoleList,
    /// Who may manage (cancel, update, delete) every run of the flow.
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub run_managers: RoleList,
    /// Who may see the status and logs of every run of the flow.
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub run_monitors: RoleList,
}

impl FlowRoles {
    /// The lists as written, by their field names, in the order documents list them.
    pub fn lists(&self) -> [(&'static str, &RoleList); 5] {
        [
            ("flow_administrators", &self.flow_administrators),
            ("flow_starters", &self.flow_starters),
            ("flow_viewers", &self.flow_viewers),
            ("run_managers", &self.run_managers),
            ("run_monitors", &self.run_monitors),
        ]
    }
}
