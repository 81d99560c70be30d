//! Globus Flows' kind, one entry of one role list of a flow
//! (`flows.role[FLOW][LIST][PRINCIPAL]`), and what its grants are on in the access model.
//!
//! **Two resources, because the core ranks one level per principal and resource.** Flows'
//! implications (`../shared/reference/flows-api.md` §3) are a chain, viewer ⊂ starter ⊂
//! administrator ⊂ owner, plus two run roles beside it: run monitors and run managers can view
//! the flow, and administrators and the owner are run managers. One rank cannot say "a run
//! manager who is also a viewer" honestly, so:
//! - `flow:<id>` carries the chain: `viewer < starter < administrator < owner`; an entry of
//!   `flow_viewers`, `flow_starters` or `flow_administrators` grants that level there, and the
//!   access delta shows a move along the chain as one change (`viewer → administrator`);
//! - `flow-runs:<id>` carries the run roles: `monitor < manager`; an entry of `run_monitors` or
//!   `run_managers` grants that level there.
//!
//! The rest of the implications are the resources' (`ResourceSemantics::implies`), counted
//! wherever the grant is: an administrator (or the owner) of `flow:<id>` also holds `manager`
//! on `flow-runs:<id>`, and a run manager or monitor also holds `viewer` on `flow:<id>`. So a
//! new run monitor gains `monitor of runs of flow …` and, if it could not see the flow,
//! `viewer on flow …`; neither is an escalation. The owner is system-managed (never planned,
//! never in the diffed live state), so `owner` is in the order for `accord access` and never
//! appears in a plan's delta.

use crate::state::access::{
    Escalation, GrantSpec, On, ResourceDef, ResourceSemantics, ResourceType, short_id,
};
use crate::state::kind::{FieldSpec, KindDef, KindSemantics};
use crate::state::{Address, Change, Container, Kind, Object, Principal};

use super::wire::ROLE_LISTS;

/// The list key under which the provider reports a flow's owner (system-managed).
pub const OWNER: &str = "flow_owner";

/// The level field of a grant on `flow:<id>`: never set on an object, its address says it
/// (see [`level`]); the field exists to rank the levels.
const FLOW_LEVEL: &str = "flow_level";
/// The level field of a grant on `flow-runs:<id>` (likewise).
const RUN_LEVEL: &str = "run_level";

/// One entry of a flow's role list: `flows.role[flow][list][principal]`.
pub static ROLE_DEF: KindDef = KindDef::new("flows.role", 600, 3)
    .fields(&[
        FieldSpec::access(FLOW_LEVEL, &["viewer", "starter", "administrator", "owner"]),
        FieldSpec::access(RUN_LEVEL, &["monitor", "manager"]),
    ])
    .grants_access()
    .semantics(&Role);
/// One entry of a flow's role list.
pub const ROLE: Kind = Kind::of(&ROLE_DEF);

/// A flow (`flow:<id>`): who may view it, start it, administer it.
pub static FLOW_DEF: ResourceDef = ResourceDef::new("flow", 600, 1)
    .escalations(&[
        ("administrator", Escalation::NewAdmin),
        ("owner", Escalation::NewAdmin),
    ])
    .forms(&["flow:<id>"])
    .semantics(&FlowResource);
/// A flow.
pub const FLOW: ResourceType = ResourceType::of(&FLOW_DEF);

/// The runs of a flow (`flow-runs:<id>`): who may monitor or manage every run of it.
pub static RUNS_DEF: ResourceDef = ResourceDef::new("flow-runs", 601, 1)
    .preposition("of")
    .forms(&["flow-runs:<id>"])
    .semantics(&RunsResource);
/// The runs of a flow.
pub const RUNS: ResourceType = ResourceType::of(&RUNS_DEF);

/// What administrators and the owner also hold: every run of the flow to manage.
static MANAGES_RUNS: [(&ResourceDef, &str); 1] = [(&RUNS_DEF, "manager")];
/// What run monitors and run managers also hold: a view of the flow.
static VIEWS_FLOW: [(&ResourceDef, &str); 1] = [(&FLOW_DEF, "viewer")];

/// A flow reads `flow 2f3a0000…`.
struct FlowResource;

impl ResourceSemantics for FlowResource {
    fn label(&self, parts: &[String]) -> String {
        format!("flow {}", short_id(&parts[0]))
    }

    fn valid(&self, parts: &[String]) -> bool {
        uuid::Uuid::parse_str(&parts[0]).is_ok()
    }

    /// Administrators and the owner manage every run of the flow.
    fn implies(&self, level: &str) -> &'static [(&'static ResourceDef, &'static str)] {
        match level {
            "administrator" | "owner" => &MANAGES_RUNS,
            _ => &[],
        }
    }
}

/// A flow's runs read `runs of flow 2f3a0000…`.
struct RunsResource;

impl ResourceSemantics for RunsResource {
    fn label(&self, parts: &[String]) -> String {
        format!("runs of flow {}", short_id(&parts[0]))
    }

    fn valid(&self, parts: &[String]) -> bool {
        uuid::Uuid::parse_str(&parts[0]).is_ok()
    }

    /// Run monitors and run managers can view the flow.
    fn implies(&self, level: &str) -> &'static [(&'static ResourceDef, &'static str)] {
        match level {
            "monitor" | "manager" => &VIEWS_FLOW,
            _ => &[],
        }
    }
}

/// What a list's entries grant: the resource, its level field and the level.
pub fn level(list: &str) -> Option<(ResourceType, &'static str, &'static str)> {
    Some(match list {
        "flow_viewers" => (FLOW, FLOW_LEVEL, "viewer"),
        "flow_starters" => (FLOW, FLOW_LEVEL, "starter"),
        "flow_administrators" => (FLOW, FLOW_LEVEL, "administrator"),
        OWNER => (FLOW, FLOW_LEVEL, "owner"),
        "run_monitors" => (RUNS, RUN_LEVEL, "monitor"),
        "run_managers" => (RUNS, RUN_LEVEL, "manager"),
        _ => return None,
    })
}

/// A role list's entry: about its principal; the list is authoritative.
struct Role;

impl KindSemantics for Role {
    fn principal_of(&self, address: &Address) -> Option<Principal> {
        address.keys.get(2)?.parse().ok()
    }

    fn removal_reason(&self, _container: &Container, a: &Address) -> Option<String> {
        Some(format!(
            "not in policy; the {} of flow {} are authoritative",
            a.keys[1],
            short_id(&a.keys[0])
        ))
    }

    fn label(
        &self,
        address: &Address,
        _key: &dyn Fn(usize) -> String,
        principal: &dyn Fn(usize) -> String,
        _permissions: Option<&str>,
    ) -> Option<String> {
        let k = &address.keys;
        (k.len() == 3).then(|| format!("flow {} {}: {}", short_id(&k[0]), k[1], principal(2)))
    }

    fn kept_label(&self, change: &Change, who: &str) -> Option<String> {
        let k = &change.address.keys;
        Some(format!("{who} in {} of flow {}", k[1], short_id(&k[0])))
    }

    fn access_phrase(&self, change: &Change, who: &str) -> Option<String> {
        let k = &change.address.keys;
        let (resource, _, level) = level(k.get(1)?)?;
        Some(format!(
            "{who}: {level} {} {}",
            resource.def().preposition,
            resource.def().semantics.label(&k[..1])
        ))
    }

    /// A new administrator; `all_authenticated_users` among starters; `public` among viewers.
    fn escalates(&self, change: &Change) -> Option<bool> {
        let k = &change.address.keys;
        let everyone = principal_of_key(k.get(2)).is_some_and(|p| p.is_public());
        Some(k.get(1).is_some_and(|l| l == "flow_administrators") || everyone)
    }

    fn access_on<'a>(&self, address: &'a Address) -> Option<(&'a str, On<'a>)> {
        let k = &address.keys;
        let (resource, _, _) = level(k.get(1)?)?;
        (k.len() == 3).then(|| (k[2].as_str(), On::new(resource, &k[..1])))
    }

    fn grant<'a>(&self, o: &'a Object) -> Option<GrantSpec<'a>> {
        let (principal, on) = self.access_on(&o.address)?;
        let (_, field, default) = level(&o.address.keys[1])?;
        Some(GrantSpec::in_field(principal, on, field, default))
    }
}

fn principal_of_key(key: Option<&String>) -> Option<Principal> {
    key?.parse().ok()
}

/// Whether `list` is one of the role lists a policy may name.
pub fn is_role_list(list: &str) -> bool {
    ROLE_LISTS.contains(&list)
}

#[cfg(test)]
mod tests;
