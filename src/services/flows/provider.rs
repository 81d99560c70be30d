//! Globus Flows: the role lists of the flows a policy declares
//! (`../shared/reference/flows-api.md` §2–3). Flows are never created or deleted here: a flow
//! definition is code, not access.
//!
//! What `read` answers (Flows reads with [`Scope::group_names`] filled, so a managed group's
//! URN maps back to `group:<policy name>`): for each flow a container `flows.role[FLOW][LIST]`
//! names, one `GET /flows/{FLOW}` (flows concurrently, paced by the shared client), and
//! - each entry of each of the five lists as `flows.role[FLOW][LIST][PRINCIPAL]`: identity and
//!   group URNs canonical, `public` and `all_authenticated_users` as the core's special
//!   principals (in whichever list they appear: one outside its own list is then undeclared
//!   there, and removed); an entry accord does not understand is skipped with a warning, never
//!   removed;
//! - the owner as a system-managed object `flows.role[FLOW][flow_owner][identity:…]`: the
//!   service's own, never planned;
//! - when the caller is neither administrator nor owner (`user_roles`/`user_role`), the lists
//!   Flows shows may be redacted: none is read, and the whole flow is reported blocked
//!   ([`LiveRead::blocked`]) so its lists are never diffed or written;
//! - a 404 (or a 403) is a read error: "flow … not found, or not visible to …". A flow is
//!   never created.
//!
//! `apply` gets one flow's changes per step (the batch key is the flow; the core keeps grants
//! and revocations in separate steps, every grant first, so a flow with both gets two). It
//! re-reads the flow right before (a kept entry, such as accord's own administrator access,
//! and anything changed since the plan stay as they are live), lays the step's changes over
//! the live lists, and sends one partial `PUT /flows/{FLOW}` with only the lists that then
//! differ, each whole. A PUT of whole lists is idempotent, so the shared client retries it.
//! The answer is checked: each list sent must come back as sent (as a set). A step whose lists
//! already hold what it asks sends nothing. A flow the caller no longer administers is
//! blocked, not failed.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use async_trait::async_trait;

use crate::http::{HttpClient, HttpError, HttpRequest};
use crate::plan::{Action, Change};
use crate::service::{Caller, IdMap, LiveRead, Outcome, Provider, ProviderError, Scope};
use crate::state::{Address, Kind, Object, Principal};

use super::api;
use super::kinds::{OWNER, ROLE, is_role_list};
use super::wire::{ALL_AUTHENTICATED_USERS, Flow, FlowUpdate, PUBLIC, ROLE_LISTS};

const KINDS: &[Kind] = &[ROLE];

const IDENTITY_URN: &str = "urn:globus:auth:identity:";
const GROUP_URN: &str = "urn:globus:groups:id:";

/// The Globus Flows provider.
#[derive(Debug, Clone)]
pub struct FlowsProvider {
    http: Arc<HttpClient>,
}

impl FlowsProvider {
    /// A provider sending through the shared client.
    pub fn new(http: Arc<HttpClient>) -> Self {
        FlowsProvider { http }
    }

    /// Who accord is to Flows, for messages: its client's identity username.
    fn identity(&self) -> String {
        match self.http.client_id() {
            "" => "the running identity".into(),
            id => format!("{id}@clients.auth.globus.org"),
        }
    }

    /// Why a flow cannot be read or written: missing, or hidden from accord.
    fn not_found(&self, flow: &str) -> String {
        format!(
            "flow {flow} not found, or not visible to {}",
            self.identity()
        )
    }

    /// `GET /flows/{id}`.
    pub async fn get_flow(&self, flow: &str) -> Result<Flow, HttpError> {
        self.http
            .get_json(api::ID, &format!("/flows/{}", segment(flow)), &[])
            .await
    }

    /// `PUT /flows/{id}` with a partial update; the answer is the updated flow.
    pub async fn put_flow(&self, flow: &str, update: &FlowUpdate) -> Result<Flow, HttpError> {
        let req = HttpRequest::put(api::ID, format!("/flows/{}", segment(flow))).json(update);
        self.http.send(&req).await?.json()
    }

    /// One flow's step: re-read, lay the changes over the live lists, send what differs.
    async fn apply_flow(&self, flow: &str, changes: &[&Change], ids: &IdMap) -> Vec<Outcome> {
        let all = |o: Outcome| vec![o; changes.len()];
        let live = match self.get_flow(flow).await {
            Ok(f) => f,
            Err(e) if matches!(e.status(), Some(403 | 404)) => {
                return all(Outcome::Failed {
                    error: self.not_found(flow),
                });
            }
            Err(e) => return all(crate::service::failed(e)),
        };
        if !live.caller_administers() {
            return all(Outcome::Blocked {
                reason: not_administrator(flow),
            });
        }
        let mut out: Vec<Option<Outcome>> = vec![None; changes.len()];
        let mut wanted = Wanted::default();
        for (i, c) in changes.iter().enumerate() {
            match edit(c, ids) {
                Ok((list, urn)) => wanted.add(list, urn, c.action == Action::Delete),
                Err(error) => out[i] = Some(Outcome::Failed { error }),
            }
        }
        let update = wanted.update(&live);
        let sent = sent_lists(&update);
        if !sent.is_empty() {
            let answer = match self.put_flow(flow, &update).await {
                Ok(a) => a,
                Err(e) if matches!(e.status(), Some(404)) => {
                    return fill(
                        out,
                        Outcome::Failed {
                            error: self.not_found(flow),
                        },
                    );
                }
                Err(e) => return fill(out, crate::service::failed(e)),
            };
            if let Some(error) = check_answer(&answer, &sent) {
                return fill(out, Outcome::Failed { error });
            }
        }
        fill(out, Outcome::Applied { server_id: None })
    }
}

/// Every outcome not yet settled set to `o`.
fn fill(out: Vec<Option<Outcome>>, o: Outcome) -> Vec<Outcome> {
    out.into_iter()
        .map(|x| x.unwrap_or_else(|| o.clone()))
        .collect()
}

/// Why a flow's lists are left alone.
pub fn not_administrator(flow: &str) -> String {
    format!("accord is not an administrator of flow {flow}")
}

/// Percent-encodes one path segment (a flow id is a UUID; anything else is not sent raw).
fn segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The canonical principal of a list entry (an identity or group URN, `public`,
/// `all_authenticated_users`): a group in `group_names` (live UUID → policy name) is the
/// managed `group:<name>`; `None` for a value accord does not understand.
pub fn canonical(entry: &str, group_names: &BTreeMap<String, String>) -> Option<Principal> {
    if entry == PUBLIC {
        return Some(Principal::Public);
    }
    if entry == ALL_AUTHENTICATED_USERS {
        return Some(Principal::AllAuthenticatedUsers);
    }
    if let Some(id) = strip_prefix_ci(entry, IDENTITY_URN) {
        return uuid::Uuid::parse_str(id).ok().map(Principal::Identity);
    }
    let id = uuid::Uuid::parse_str(strip_prefix_ci(entry, GROUP_URN)?).ok()?;
    Some(match group_names.get(&id.to_string()) {
        Some(name) => Principal::ManagedGroup(name.clone()),
        None => Principal::Group(id),
    })
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// The form Flows compares entries in: URNs are case-insensitive UUIDs.
fn normal(entry: &str) -> String {
    entry.to_ascii_lowercase()
}

/// What a read of one flow adds to the live read (see the module doc).
pub fn read_flow(live: &mut LiveRead, flow: &Flow, group_names: &BTreeMap<String, String>) {
    let id = flow.id.as_str();
    if let Some(owner @ Principal::Identity(_)) = canonical(&flow.flow_owner, group_names) {
        live.system_managed.push(Object::new(Address::new(
            ROLE,
            [id.to_string(), OWNER.to_string(), owner.to_string()],
        )));
    }
    if !flow.caller_administers() {
        live.blocked
            .push((Address::partial(ROLE, [id]), not_administrator(id)));
        return;
    }
    for list in ROLE_LISTS {
        for entry in flow.list(list).into_iter().flatten() {
            let Some(p) = canonical(entry, group_names) else {
                tracing::warn!(flow = %id, %list, %entry, "skipping a flow role entry accord does not understand");
                continue;
            };
            live.state.insert(Object::new(Address::new(
                ROLE,
                [id.to_string(), list.to_string(), p.to_string()],
            )));
        }
    }
}

/// The list and URN a change adds or removes.
fn edit<'c>(c: &'c Change, ids: &IdMap) -> Result<(&'c str, String), String> {
    let [_, list, key] = &c.address.keys[..] else {
        return Err(format!("{} is not a flow role entry", c.address));
    };
    if !is_role_list(list) {
        return Err(format!("`{list}` is not a flow role list accord writes"));
    }
    let p: Principal = key.parse().map_err(|e| format!("{e}"))?;
    let urn = p
        .urn(|name| ids.get(&Address::new(crate::services::groups::GROUP, [name])))
        .ok_or_else(|| match &p {
            Principal::ManagedGroup(_) => {
                format!("the id of group {p} is not known (was it created?)")
            }
            _ => format!("Flows has no form for `{p}`"),
        })?;
    Ok((list.as_str(), urn))
}

/// The URNs a step adds and removes, per list.
#[derive(Debug, Default)]
struct Wanted<'c> {
    lists: BTreeMap<&'c str, (Vec<String>, BTreeSet<String>)>,
}

impl<'c> Wanted<'c> {
    fn add(&mut self, list: &'c str, urn: String, remove: bool) {
        let (adds, removes) = self.lists.entry(list).or_default();
        if remove {
            removes.insert(normal(&urn));
        } else {
            adds.push(urn);
        }
    }

    /// The partial update: each touched list as live, without what is removed, with what is
    /// added (live order kept, additions after); a list that comes out as live is not sent.
    fn update(&self, live: &Flow) -> FlowUpdate {
        let mut update = FlowUpdate::default();
        for (list, (adds, removes)) in &self.lists {
            let Some(have) = live.list(list) else {
                continue;
            };
            let mut new: Vec<String> = have
                .iter()
                .filter(|e| !removes.contains(&normal(e)))
                .cloned()
                .collect();
            for a in adds {
                if !new.iter().any(|e| normal(e) == normal(a)) {
                    new.push(a.clone());
                }
            }
            if &new != have
                && let Some(slot) = update.list_mut(list)
            {
                *slot = Some(new);
            }
        }
        update
    }
}

/// The lists an update sends, with their values.
fn sent_lists(update: &FlowUpdate) -> Vec<(&'static str, Vec<String>)> {
    let mut u = update.clone();
    ROLE_LISTS
        .iter()
        .filter_map(|l| Some((*l, u.list_mut(l)?.take()?)))
        .collect()
}

/// Why Flows' answer to a PUT does not hold what was sent, if it does not.
fn check_answer(answer: &Flow, sent: &[(&'static str, Vec<String>)]) -> Option<String> {
    let set = |l: &[String]| -> BTreeSet<String> { l.iter().map(|e| normal(e)).collect() };
    let wrong: Vec<String> = sent
        .iter()
        .filter(|(list, want)| answer.list(list).is_none_or(|got| set(got) != set(want)))
        .map(|(list, want)| {
            let got = answer.list(list).cloned().unwrap_or_default();
            format!("{list} is {got:?}, not {want:?}")
        })
        .collect();
    (!wrong.is_empty()).then(|| {
        format!(
            "Flows answered the update of flow {} with other lists: {}",
            answer.id,
            wrong.join("; ")
        )
    })
}

#[async_trait]
impl Provider for FlowsProvider {
    fn name(&self) -> &'static str {
        "flows"
    }

    fn kinds(&self) -> &'static [Kind] {
        KINDS
    }

    fn caller(&self) -> Caller {
        Caller::OAuthClient
    }

    fn needs_group_names(&self) -> bool {
        true
    }

    async fn read(&self, scope: &Scope) -> Result<LiveRead, ProviderError> {
        let flows: BTreeSet<&str> = scope
            .containers
            .iter()
            .filter(|c| c.address.kind == ROLE)
            .filter_map(|c| c.address.keys.first().map(String::as_str))
            .collect();
        let mut live = LiveRead::default();
        if flows.is_empty() {
            return Ok(live);
        }
        let calls: Vec<_> = flows.iter().map(|f| self.get_flow(f)).collect();
        let mut missing = Vec::new();
        for (id, read) in flows.iter().zip(self.http.concurrently(calls).await) {
            match read {
                Ok(flow) if flow.id.eq_ignore_ascii_case(id) => {
                    read_flow(&mut live, &flow, &scope.group_names)
                }
                Ok(flow) => {
                    return Err(ProviderError::Service {
                        service: "flows",
                        message: format!("GET /flows/{id} answered flow {}", flow.id),
                    });
                }
                Err(e) if matches!(e.status(), Some(403 | 404)) => missing.push(self.not_found(id)),
                Err(e) => return Err(e.into()),
            }
        }
        if missing.is_empty() {
            Ok(live)
        } else {
            Err(ProviderError::NotFound(missing.join("; ")))
        }
    }

    fn batch_key(&self, change: &Change) -> Option<String> {
        (change.address.kind == ROLE)
            .then(|| change.address.keys.first().map(|f| format!("flows:{f}")))
            .flatten()
    }

    async fn apply(&self, changes: &[Change], ids: &IdMap) -> Vec<Outcome> {
        // One step is one flow's, but any mix is answered in order.
        let mut by_flow: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, c) in changes.iter().enumerate() {
            let flow = c.address.keys.first().map_or("", String::as_str);
            by_flow.entry(flow).or_default().push(i);
        }
        let mut out: Vec<Option<Outcome>> = vec![None; changes.len()];
        for (flow, idx) in by_flow {
            let mine: Vec<&Change> = idx.iter().map(|&i| &changes[i]).collect();
            for (i, o) in idx.into_iter().zip(self.apply_flow(flow, &mine, ids).await) {
                out[i] = Some(o);
            }
        }
        // Every change got one above; the fallback says so rather than panic.
        fill(
            out,
            Outcome::Failed {
                error: "no outcome".into(),
            },
        )
    }
}

#[cfg(test)]
mod tests;
