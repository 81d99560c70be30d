//! Globus Groups: groups (found by pin or adopted by name) and their memberships.
//!
//! Live groups are keyed by policy name and carry every group attribute (`name`,
//! `description` and the six policy fields) with `server_id` = the group UUID. Members are
//! keyed `identity:<uuid>` and carry `role`, `status` and `username`; members of every status
//! are returned and the core decides what "present" means. Memberships the service derives
//! from a child group (`source_group_id` set) are system-managed.
//!
//! Membership changes are batched: one `POST /v2/groups/{id}` per batch, whose per-identity
//! `errors` are mapped to outcomes (`ALREADY_ACTIVE` on add and `NO_MEMBERSHIP` on remove are
//! success; an identity that left or disallows adds is blocked, not failed).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::http::{HttpClient, HttpError, HttpRequest};
use crate::plan::{Action, Change, Direction};
use crate::service::{
    Caller, IdMap, LiveRead, Lookup, Outcome, Provider, ProviderError, Scope, failed,
};
use crate::services::groups::wire::{
    BatchMember, BatchMembershipAction, BatchMembershipResponse, Group, GroupCreate, GroupPolicies,
    GroupPoliciesWrite, GroupUpdate, Role,
};
use crate::state::{Address, Kind, Object, Principal};

/// The group attributes stored in its policies document.
pub const POLICY_FIELDS: &[&str] = &[
    "group_visibility",
    "group_members_visibility",
    "join_requests",
    "signup_fields",
    "authentication_assurance_timeout",
    "is_high_assurance",
];

/// Per-identity batch error codes meaning "the identity will not be added" (it left the group,
/// declined, or set `allow_add: false`): reported as blocked grants, not failures.
pub const BLOCKED_ADD_CODES: &[&str] = &[
    "ADD_FORBIDDEN",
    "ADD_NOT_ALLOWED",
    "ALLOW_ADD_FALSE",
    "IDENTITY_LEFT",
    "LEFT_GROUP",
    "MEMBERSHIP_LEFT",
    "USER_LEFT",
    "DECLINED",
    "OPTED_OUT",
];

const KINDS: &[Kind] = &[
    crate::services::groups::GROUP,
    crate::services::groups::MEMBER,
];

/// The Globus Groups provider.
#[derive(Debug, Clone)]
pub struct GroupsProvider {
    http: Arc<HttpClient>,
}

impl GroupsProvider {
    /// A provider sending through the shared client.
    pub fn new(http: Arc<HttpClient>) -> Self {
        GroupsProvider { http }
    }

    /// `GET /v2/groups/my_groups`: the groups the caller is an active member of.
    pub async fn my_groups(&self) -> Result<Vec<Group>, HttpError> {
        self.http
            .get_json(
                crate::services::groups::api::ID,
                "/v2/groups/my_groups",
                &[],
            )
            .await
    }

    /// `GET /v2/groups/{id}?include=memberships,policies`.
    pub async fn get_group(&self, id: &str) -> Result<Group, HttpError> {
        self.http
            .get_json(
                crate::services::groups::api::ID,
                &format!("/v2/groups/{id}"),
                &[("include", "memberships,policies")],
            )
            .await
    }

    /// The ids of the caller's groups named exactly `name`.
    async fn ids_named(&self, name: &str) -> Result<Vec<Uuid>, HttpError> {
        let groups = self.my_groups().await?;
        Ok(ids_named(&groups, name))
    }

    /// Resolves a lookup to a group id: the pin, or the one caller's group with the name
    /// (current name first, then `previously`). `Ok(None)` when nothing matches.
    fn resolve_by_name(lookup: &Lookup, by_name: &NameIndex) -> Result<Option<Uuid>, String> {
        let policy_name = &lookup.address.keys[0];
        for name in std::iter::once(policy_name).chain(lookup.previously.iter()) {
            let ids: &[Uuid] = by_name.get(name.as_str()).map_or(&[], Vec::as_slice);
            match ids.len() {
                0 => continue,
                1 => return Ok(Some(ids[0])),
                _ => {
                    let list: Vec<String> = ids.iter().map(Uuid::to_string).collect();
                    return Err(format!(
                        "group {policy_name}: {} of your groups are named `{name}` ({}); pin one with `id:`",
                        ids.len(),
                        list.join(", ")
                    ));
                }
            }
        }
        Ok(None)
    }

    async fn apply_one(&self, change: &Change, ids: &IdMap) -> Outcome {
        match change.address.kind {
            k_ if k_ == crate::services::groups::GROUP => match change.action {
                Action::Create => self.create_group(change, ids).await,
                Action::Update => self.update_group(change, ids).await,
                Action::Delete => self.delete_group(change, ids).await,
                Action::Replace => match self.delete_group(change, ids).await {
                    Outcome::Applied { .. } => self.create_group(change, ids).await,
                    other => other,
                },
            },
            k_ if k_ == crate::services::groups::MEMBER => {
                let mut out = self.apply_members(&[change], ids).await;
                out.pop()
                    .unwrap_or_else(|| failed("no outcome for membership change"))
            }
            other => failed(format!("the groups provider does not manage {other}")),
        }
    }

    async fn create_group(&self, change: &Change, ids: &IdMap) -> Outcome {
        let Some(after) = &change.after else {
            return failed("create without a desired object");
        };
        let name = after
            .str_attr("name")
            .unwrap_or(&change.address.keys[0])
            .to_string();
        let parent_id = match after.attrs.get("parent_id") {
            Some(Value::String(p)) => match p.parse::<Uuid>() {
                Ok(u) => Some(u),
                Err(_) => return failed(format!("parent_id `{p}` is not a UUID")),
            },
            _ => None,
        };
        let body = GroupCreate {
            name: name.clone(),
            description: after.str_attr("description").map(str::to_string),
            terms_and_conditions: None,
            parent_id,
            policies: None,
            extra: Default::default(),
        };
        let req = HttpRequest::post(crate::services::groups::api::ID, "/v2/groups")
            .json(&body)
            .create();
        let mut backoff = self.http.create_backoff();
        let id = loop {
            match self.http.send(&req).await {
                Ok(resp) => match resp.json::<Group>() {
                    Ok(g) => break g.id,
                    Err(e) => return failed(e),
                },
                Err(e) if e.is_maybe_applied() => {
                    // Never resend blindly: re-read by name and adopt what the create made.
                    if !self.http.pause_before_retry(&mut backoff, &e).await {
                        return failed(e);
                    }
                    match self.ids_named(&name).await {
                        Ok(found) if found.len() == 1 => {
                            tracing::info!(group = %name, id = %found[0], "create may have applied; adopted the group found by name");
                            break found[0];
                        }
                        Ok(found) if found.is_empty() => continue,
                        Ok(found) => {
                            return failed(format!(
                                "{e}; {} groups named `{name}` now exist, so accord cannot tell which one it made; pin one with `id:`",
                                found.len()
                            ));
                        }
                        Err(e2) => {
                            return failed(format!("{e}; re-reading groups by name failed: {e2}"));
                        }
                    }
                }
                Err(e) => return failed(e),
            }
        };
        let id = id.to_string();
        ids.insert(change.address.clone(), id.clone());
        if POLICY_FIELDS.iter().any(|f| after.attrs.contains_key(f)) {
            let doc = merged_policies(None, after);
            let req = HttpRequest::put(
                crate::services::groups::api::ID,
                format!("/v2/groups/{id}/policies"),
            )
            .json(&doc);
            if let Err(e) = self.http.send(&req).await {
                return failed(format!(
                    "group created (id {id}) but setting its policies failed: {e}"
                ));
            }
        }
        Outcome::Applied {
            server_id: Some(id),
        }
    }

    async fn update_group(&self, change: &Change, ids: &IdMap) -> Outcome {
        let Some(id) = server_id(change, ids) else {
            return failed(format!("{}: no known group id", change.address));
        };
        let Some(after) = &change.after else {
            return failed("update without a desired object");
        };
        let changed: BTreeSet<&str> = change.fields.iter().map(|f| f.name.as_str()).collect();
        let pick = |field: &str| {
            after
                .str_attr(field)
                .or_else(|| change.before.as_ref().and_then(|b| b.str_attr(field)))
                .map(str::to_string)
        };
        if changed.contains("name") || changed.contains("description") {
            let body = GroupUpdate {
                name: pick("name"),
                description: pick("description"),
                ..Default::default()
            };
            let req =
                HttpRequest::put(crate::services::groups::api::ID, format!("/v2/groups/{id}"))
                    .json(&body);
            if let Err(e) = self.http.send(&req).await {
                return failed(e);
            }
        }
        if POLICY_FIELDS.iter().any(|f| changed.contains(f)) {
            let doc = merged_policies(change.before.as_ref(), after);
            let req = HttpRequest::put(
                crate::services::groups::api::ID,
                format!("/v2/groups/{id}/policies"),
            )
            .json(&doc);
            if let Err(e) = self.http.send(&req).await {
                return failed(e);
            }
        }
        Outcome::Applied {
            server_id: Some(id),
        }
    }

    async fn delete_group(&self, change: &Change, ids: &IdMap) -> Outcome {
        let Some(id) = server_id(change, ids) else {
            return failed(format!("{}: no known group id", change.address));
        };
        let req = HttpRequest::delete(crate::services::groups::api::ID, format!("/v2/groups/{id}"));
        match self.http.send(&req).await {
            Ok(_) => Outcome::Applied { server_id: None },
            Err(e) if e.status() == Some(404) => Outcome::Applied { server_id: None },
            Err(e) => failed(e),
        }
    }

    /// Sends the membership changes of each group as one batch call; outcomes in input order.
    async fn apply_members(&self, changes: &[&Change], ids: &IdMap) -> Vec<Outcome> {
        let mut outcomes: Vec<Option<Outcome>> = vec![None; changes.len()];
        let mut by_group: BTreeMap<Address, Vec<usize>> = BTreeMap::new();
        for (i, c) in changes.iter().enumerate() {
            match c.address.container() {
                Some(g) if c.address.keys.len() == 2 => by_group.entry(g).or_default().push(i),
                _ => outcomes[i] = Some(failed(format!("{}: not a member address", c.address))),
            }
        }
        for (group, idxs) in by_group {
            let Some(gid) = ids.get(&group) else {
                for i in idxs {
                    outcomes[i] = Some(failed(format!(
                        "{}: the id of group {} is not known (was it created?)",
                        changes[i].address, group.keys[0]
                    )));
                }
                continue;
            };
            let mut body = BatchMembershipAction::default();
            let mut sent: Vec<(usize, &'static str, Uuid)> = Vec::new();
            for i in idxs {
                let c = changes[i];
                let identity = match member_identity(&c.address) {
                    Ok(u) => u,
                    Err(e) => {
                        outcomes[i] = Some(failed(e));
                        continue;
                    }
                };
                match member_action(c) {
                    Ok(MemberAction::Add(role)) => {
                        body.add.push(BatchMember::with_role(identity, role));
                        sent.push((i, "add", identity));
                    }
                    Ok(MemberAction::ChangeRole(role)) => {
                        body.change_role
                            .push(BatchMember::with_role(identity, role));
                        sent.push((i, "change_role", identity));
                    }
                    Ok(MemberAction::Remove) => {
                        body.remove.push(BatchMember::new(identity));
                        sent.push((i, "remove", identity));
                    }
                    Ok(MemberAction::Nothing) => {
                        outcomes[i] = Some(Outcome::Applied { server_id: None });
                    }
                    Err(e) => outcomes[i] = Some(failed(e)),
                }
            }
            if sent.is_empty() {
                continue;
            }
            let req = HttpRequest::post(
                crate::services::groups::api::ID,
                format!("/v2/groups/{gid}"),
            )
            .json(&body);
            let resp = match self.http.send(&req).await {
                Ok(r) => r.json::<BatchMembershipResponse>(),
                Err(e) => Err(e),
            };
            match resp {
                Ok(resp) => {
                    for (i, action, identity) in sent {
                        let err = resp
                            .errors
                            .get(action)
                            .and_then(|errs| errs.iter().find(|e| e.identity_id == identity));
                        outcomes[i] = Some(match err {
                            None => Outcome::Applied { server_id: None },
                            Some(e) => batch_error_outcome(action, &e.code, &e.detail),
                        });
                    }
                }
                Err(e) => {
                    let msg = e.to_string();
                    for (i, _, _) in sent {
                        outcomes[i] = Some(failed(&msg));
                    }
                }
            }
        }
        outcomes
            .into_iter()
            .map(|o| o.unwrap_or_else(|| failed("not applied")))
            .collect()
    }
}

/// The ids of the groups in `groups` named exactly `name`, deduplicated.
/// The caller's groups by name: each name's ids, sorted and distinct. Built once per read, so
/// adopting n groups by name costs n look-ups, not n scans of the list.
type NameIndex = std::collections::HashMap<String, Vec<Uuid>>;

/// Indexes the caller's groups by name.
fn name_index(groups: Vec<Group>) -> NameIndex {
    let mut index = NameIndex::with_capacity(groups.len());
    for g in groups {
        index.entry(g.name).or_default().push(g.id);
    }
    for ids in index.values_mut() {
        ids.sort();
        ids.dedup();
    }
    index
}

fn ids_named(groups: &[Group], name: &str) -> Vec<Uuid> {
    let mut ids: Vec<Uuid> = groups
        .iter()
        .filter(|g| g.name == name)
        .map(|g| g.id)
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// What one membership change sends.
enum MemberAction {
    Add(Role),
    ChangeRole(Role),
    Remove,
    Nothing,
}

fn member_action(c: &Change) -> Result<MemberAction, String> {
    let role = |o: Option<&Object>| -> Result<Role, String> {
        let r = o
            .and_then(|o| o.str_attr("role"))
            .unwrap_or("member")
            .to_string();
        match r.as_str() {
            "member" => Ok(Role::Member),
            "manager" => Ok(Role::Manager),
            "admin" => Ok(Role::Admin),
            other => Err(format!("{}: unknown role `{other}`", c.address)),
        }
    };
    let live_status = c.before.as_ref().and_then(|b| b.str_attr("status"));
    Ok(match c.action {
        Action::Delete => MemberAction::Remove,
        Action::Create => MemberAction::Add(role(c.after.as_ref())?),
        Action::Update | Action::Replace => {
            // A membership that ended (left, removed, …) is re-added; a live one changes role.
            match live_status {
                Some("active" | "invited" | "pending") | None => {
                    if c.fields.iter().any(|f| f.name == "role") || c.action == Action::Replace {
                        MemberAction::ChangeRole(role(c.after.as_ref())?)
                    } else {
                        MemberAction::Nothing
                    }
                }
                Some(_) => MemberAction::Add(role(c.after.as_ref())?),
            }
        }
    })
}

/// The identity UUID of a member address (`identity:<uuid>`).
fn member_identity(address: &Address) -> Result<Uuid, String> {
    match address.keys.get(1).map(|k| k.parse::<Principal>()) {
        Some(Ok(Principal::Identity(u))) => Ok(u),
        _ => Err(format!("{address}: a group member must be an identity")),
    }
}

/// The outcome of one per-identity error of a batch response.
fn batch_error_outcome(action: &str, code: &str, detail: &str) -> Outcome {
    match (action, code) {
        ("add", "ALREADY_ACTIVE") | ("remove", "NO_MEMBERSHIP") => {
            Outcome::Applied { server_id: None }
        }
        ("add", c) if is_blocked_add(c) => Outcome::Blocked {
            reason: if detail.is_empty() {
                c.to_string()
            } else {
                format!("{detail} ({c})")
            },
        },
        _ => failed(format!("{action}: {code}: {detail}")),
    }
}

/// Whether a per-identity `add` error means the identity refuses to be added.
fn is_blocked_add(code: &str) -> bool {
    let c = code.to_ascii_uppercase();
    BLOCKED_ADD_CODES.contains(&c.as_str()) || c.contains("LEFT") || c.contains("ALLOW_ADD")
}

/// The server id of the object a change acts on: the live object's, or one recorded since.
fn server_id(change: &Change, ids: &IdMap) -> Option<String> {
    change
        .before
        .as_ref()
        .and_then(|b| b.server_id.clone())
        .or_else(|| ids.get(&change.address))
}

/// The full policies document: the service defaults, then the live fields, then the desired.
fn merged_policies(before: Option<&Object>, after: &Object) -> GroupPoliciesWrite {
    let mut doc: Map<String, Value> = match serde_json::to_value(GroupPolicies::default()) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    };
    for o in before.into_iter().chain(std::iter::once(after)) {
        for f in POLICY_FIELDS {
            if let Some(v) = o.attrs.get(*f) {
                doc.insert((*f).to_string(), v.clone());
            }
        }
    }
    serde_json::from_value(Value::Object(doc)).unwrap_or_default()
}

/// The live object of a group, with every attribute.
fn group_object(address: Address, g: &Group) -> Object {
    let mut o = Object::new(address)
        .with("name", g.name.clone())
        .with("description", g.description.clone().unwrap_or_default());
    if let Some(p) = &g.policies {
        let mut signup = p.signup_fields.clone();
        signup.sort();
        o = o
            .with("group_visibility", p.group_visibility.clone())
            .with(
                "group_members_visibility",
                p.group_members_visibility.clone(),
            )
            .with("join_requests", p.join_requests)
            .with("signup_fields", signup)
            .with(
                "authentication_assurance_timeout",
                p.authentication_assurance_timeout
                    .map_or(Value::Null, Value::from),
            )
            .with("is_high_assurance", p.is_high_assurance);
    }
    if let Some(parent) = g.parent_id {
        o = o.with("parent_id", parent.to_string());
    }
    o.server_id = Some(g.id.to_string());
    o
}

fn direction_name(d: Direction) -> &'static str {
    match d {
        Direction::Grant => "grant",
        Direction::Revoke => "revoke",
        Direction::Neutral => "neutral",
    }
}

#[async_trait]
impl Provider for GroupsProvider {
    fn name(&self) -> &'static str {
        "groups"
    }

    fn kinds(&self) -> &'static [Kind] {
        KINDS
    }

    fn caller(&self) -> Caller {
        Caller::OAuthClient
    }

    fn supplies_group_names(&self) -> bool {
        true
    }

    async fn read(&self, scope: &Scope) -> Result<LiveRead, ProviderError> {
        let member_groups: BTreeSet<&Address> = scope
            .containers
            .iter()
            .filter(|c| c.address.kind == crate::services::groups::GROUP)
            .map(|c| &c.address)
            .collect();
        let mut lookups: Vec<Lookup> = scope
            .lookups
            .iter()
            .filter(|l| {
                l.address.kind == crate::services::groups::GROUP && !l.address.keys.is_empty()
            })
            .cloned()
            .collect();
        let looked_up: BTreeSet<Address> = lookups.iter().map(|l| l.address.clone()).collect();
        for a in &member_groups {
            if !a.keys.is_empty() && !looked_up.contains(*a) {
                lookups.push(Lookup {
                    address: (*a).clone(),
                    pin: None,
                    previously: Vec::new(),
                    hints: Default::default(),
                });
            }
        }

        let mut live = LiveRead::default();
        let mut problems: Vec<String> = Vec::new();
        let mut my_groups: Option<NameIndex> = None;
        // Ids first (pins, or one my_groups call), then every group fetched concurrently (the
        // shared client caps requests in flight per service), kept in lookup order.
        let mut wanted: Vec<(&Lookup, Uuid)> = Vec::with_capacity(lookups.len());
        for lookup in &lookups {
            let policy_name = &lookup.address.keys[0];
            let id = match &lookup.pin {
                Some(pin) => match pin.parse::<Uuid>() {
                    Ok(u) => u,
                    Err(_) => {
                        problems.push(format!(
                            "group {policy_name}: pinned id `{pin}` is not a UUID"
                        ));
                        continue;
                    }
                },
                None => {
                    let by_name = match my_groups {
                        Some(ref index) => index,
                        None => my_groups.insert(name_index(self.my_groups().await?)),
                    };
                    match Self::resolve_by_name(lookup, by_name) {
                        Ok(Some(id)) => id,
                        Ok(None) => continue,
                        Err(msg) => {
                            problems.push(msg);
                            continue;
                        }
                    }
                }
            };
            wanted.push((lookup, id));
        }
        let ids: Vec<String> = wanted.iter().map(|(_, id)| id.to_string()).collect();
        let calls: Vec<_> = ids.iter().map(|id| self.get_group(id)).collect();
        let got = self.http.concurrently(calls).await;
        let fetched = wanted.into_iter().map(|(lookup, _)| lookup).zip(got);
        for (lookup, got) in fetched {
            let policy_name = &lookup.address.keys[0];
            let group = match got {
                Ok(g) => g,
                Err(e) if e.status() == Some(404) => {
                    if let Some(pin) = &lookup.pin {
                        problems.push(format!(
                            "group {policy_name}: pinned id {pin} does not exist"
                        ));
                    }
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            live.state
                .insert(group_object(lookup.address.clone(), &group));
            if !member_groups.contains(&lookup.address) {
                continue;
            }
            for m in group.memberships.iter().flatten() {
                let address = Address::new(
                    crate::services::groups::MEMBER,
                    [
                        policy_name.clone(),
                        Principal::Identity(m.identity_id).to_string(),
                    ],
                );
                let mut o = Object::new(address)
                    .with("role", m.role.as_str())
                    .with("status", m.status.as_str())
                    .with(
                        "username",
                        m.username.clone().map_or(Value::Null, Value::from),
                    );
                if let Some(u) = &m.username {
                    live.names
                        .insert(Principal::Identity(m.identity_id), u.clone());
                }
                if let Some(src) = m.source_group_id {
                    o = o.with("source_group_id", src.to_string());
                    live.system_managed.push(o);
                } else {
                    live.state.insert(o);
                }
            }
        }
        if problems.is_empty() {
            Ok(live)
        } else {
            Err(ProviderError::NotFound(problems.join("; ")))
        }
    }

    fn batch_key(&self, change: &Change) -> Option<String> {
        if change.address.kind != crate::services::groups::MEMBER {
            return None;
        }
        let group = change.address.keys.first()?;
        Some(format!(
            "groups:{group}:{}",
            direction_name(change.direction)
        ))
    }

    async fn apply(&self, changes: &[Change], ids: &IdMap) -> Vec<Outcome> {
        if !changes.is_empty()
            && changes
                .iter()
                .all(|c| c.address.kind == crate::services::groups::MEMBER)
        {
            let refs: Vec<&Change> = changes.iter().collect();
            return self.apply_members(&refs, ids).await;
        }
        let mut out = Vec::with_capacity(changes.len());
        for c in changes {
            out.push(self.apply_one(c, ids).await);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adoption_by_name_uses_the_index_current_name_first_and_refuses_a_tie() {
        let g = |id: u128, name: &str| -> Group {
            serde_json::from_value(serde_json::json!({"id": Uuid::from_u128(id), "name": name}))
                .expect("group")
        };
        let index = name_index(vec![
            g(3, "b"),
            g(1, "a"),
            g(2, "b"),
            g(2, "b"),
            g(4, "old"),
        ]);
        let lookup = |name: &str, previously: &[&str]| Lookup {
            address: Address::new(crate::services::groups::GROUP, [name]),
            pin: None,
            previously: previously.iter().map(|p| p.to_string()).collect(),
            hints: Default::default(),
        };
        let found = GroupsProvider::resolve_by_name;
        assert_eq!(
            found(&lookup("a", &[]), &index),
            Ok(Some(Uuid::from_u128(1)))
        );
        assert_eq!(
            found(&lookup("new", &["old"]), &index),
            Ok(Some(Uuid::from_u128(4)))
        );
        assert_eq!(found(&lookup("none", &[]), &index), Ok(None));
        let tie = found(&lookup("b", &[]), &index).expect_err("two groups named b");
        assert!(tie.contains("2 of your groups are named `b`"), "{tie}");
    }

    #[test]
    fn batch_errors_map_to_outcomes() {
        assert_eq!(
            batch_error_outcome("add", "ALREADY_ACTIVE", "x"),
            Outcome::Applied { server_id: None }
        );
        assert_eq!(
            batch_error_outcome("remove", "NO_MEMBERSHIP", "x"),
            Outcome::Applied { server_id: None }
        );
        assert!(matches!(
            batch_error_outcome("add", "IDENTITY_LEFT", "left the group"),
            Outcome::Blocked { .. }
        ));
        assert!(matches!(
            batch_error_outcome("remove", "ALREADY_ACTIVE", "x"),
            Outcome::Failed { .. }
        ));
        assert!(matches!(
            batch_error_outcome("change_role", "NO_MEMBERSHIP", "x"),
            Outcome::Failed { .. }
        ));
    }

    #[test]
    fn policies_merge_desired_over_live_over_defaults() {
        let before = Object::new(Address::new(crate::services::groups::GROUP, ["g"]))
            .with("group_visibility", "authenticated")
            .with("join_requests", true);
        let after = Object::new(Address::new(crate::services::groups::GROUP, ["g"]))
            .with("group_members_visibility", "members")
            .with("join_requests", false);
        let doc = merged_policies(Some(&before), &after);
        assert_eq!(doc.group_visibility.as_deref(), Some("authenticated"));
        assert_eq!(doc.group_members_visibility.as_deref(), Some("members"));
        assert_eq!(doc.join_requests, Some(false));
        assert_eq!(doc.authentication_assurance_timeout, Some(28800));
        assert_eq!(doc.is_high_assurance, Some(false));
    }
}
