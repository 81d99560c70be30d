//! `accord access`: who can reach a resource and what a principal can reach, with the chains
//! that grant it, answered from the same access model as the plan's access delta
//! (`plan::access`).
//!
//! `--from policy` answers from the desired state alone, with no network call. Resolution
//! then asks a resolver that answers by spelling ([`BySpelling`]): a username stands for an
//! identity of its own, keyed by a UUID derived from its spelling, so that every use of one
//! spelling (and of each alias naming it) is the same principal; an identity written by id is
//! that identity; an unpinned `group:<uuid>` stays a group accord does not manage. The answer
//! shows those principals as written and says so.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::engine::{self, EngineError, Session};
use crate::plan::access::{Answer, Model, Resource, ResourceParseError, grant_levels};
use crate::policy::principal::classify_literal;
use crate::policy::{self, PrincipalRef, Problems, Workspace};
use crate::state::{Desired, IdentityInfo, IdentityResolver, Principal, ProviderError, timestamp};

/// Where an answer comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Source {
    /// The desired state alone, with no network call.
    Policy,
    /// The live services, read-only.
    Live,
    /// Both, each grant marked declared, live, or both.
    #[default]
    Both,
}

/// Why a question could not be answered.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    /// The policy does not compile.
    #[error(transparent)]
    Problems(#[from] Problems),
    /// A service failed (never, from the policy alone).
    #[error(transparent)]
    Service(#[from] ProviderError),
    /// RESOURCE is no resource form accord knows.
    #[error(transparent)]
    Resource(#[from] ResourceParseError),
    /// PRINCIPAL is no principal.
    #[error(
        "not a principal: `{0}` (write an alias, a username, identity:<uuid>, group:<name>, group:<uuid>, a service's own principal <namespace>:<name>, all_authenticated_users, anonymous or public)"
    )]
    Principal(String),
    /// A live answer needs a connection to the services.
    #[error("--from {0} reads the services: no target is connected")]
    NotConnected(&'static str),
    /// Reading the live services failed.
    #[error(transparent)]
    Engine(#[from] EngineError),
}

/// The UUID standing for a username matched by spelling: the same for every spelling that
/// differs only in case.
pub fn spelled_id(username: &str) -> Uuid {
    let digest = Sha256::digest(format!("accord:by-spelling:{}", username.to_lowercase()));
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

/// An identity resolver that calls nothing: usernames become identities of their own by
/// spelling ([`spelled_id`]), ids are themselves. It remembers what it made up.
#[derive(Default)]
pub struct BySpelling {
    spelled: Mutex<BTreeMap<Uuid, String>>,
}

impl BySpelling {
    /// The usernames it made identities for, by the UUID standing for each.
    pub fn spelled(&self) -> BTreeMap<Uuid, String> {
        self.spelled
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

#[async_trait]
impl IdentityResolver for BySpelling {
    async fn by_usernames(&self, usernames: &[String]) -> Result<Vec<IdentityInfo>, ProviderError> {
        let mut spelled = self.spelled.lock().unwrap_or_else(|e| e.into_inner());
        Ok(usernames
            .iter()
            .map(|u| {
                let id = spelled_id(u);
                spelled.insert(id, u.clone());
                IdentityInfo {
                    id,
                    username: u.clone(),
                    status: "used".into(),
                }
            })
            .collect())
    }

    async fn by_ids(&self, ids: &[Uuid]) -> Result<Vec<IdentityInfo>, ProviderError> {
        Ok(ids
            .iter()
            .map(|id| IdentityInfo {
                id: *id,
                username: id.to_string(),
                status: "used".into(),
            })
            .collect())
    }

    async fn whoami(&self) -> Result<IdentityInfo, ProviderError> {
        Err(ProviderError::Credentials(
            "none: answering from the policy alone".into(),
        ))
    }
}

/// The desired state compiled with no network call, principals resolved by spelling, and the
/// usernames so resolved.
pub async fn desired_by_spelling(
    ws: &Workspace,
    now: DateTime<Utc>,
) -> Result<(Desired, BTreeMap<Uuid, String>), AccessError> {
    let resolver = BySpelling::default();
    let resolved = match policy::resolve(&ws.policy, &[], &resolver).await {
        Ok(r) => r,
        Err(policy::ResolveError::Problems(p)) => return Err(p.into()),
        Err(policy::ResolveError::Service(e)) => return Err(e.into()),
    };
    let mut problems = resolved.problems.clone();
    let desired = match policy::compile(&ws.policy, &resolved, now) {
        Ok(d) if problems.is_empty() => d,
        Ok(_) => return Err(Problems(problems).into()),
        Err(Problems(more)) => {
            problems.extend(more);
            return Err(Problems(problems).sorted().into());
        }
    };
    Ok((desired, resolver.spelled()))
}

/// A principal as people type it, classified as the policy's are: an alias of `identities:`
/// (what it names), a username, an identity id, `group:<name>`, `group:<uuid>` or a special
/// one; `identity:<uuid>` too.
fn written(ws: &Workspace, s: &str) -> Result<PrincipalRef, AccessError> {
    let bad = || AccessError::Principal(s.to_string());
    if let Some(id) = s.strip_prefix("identity:") {
        return Uuid::parse_str(id)
            .map(PrincipalRef::IdentityId)
            .map_err(|_| bad());
    }
    match classify_literal(s) {
        Some(r) => r.map_err(|_| bad()),
        None => ws
            .policy
            .identities
            .get(s)
            .map(|l| l.value.clone())
            .ok_or_else(bad),
    }
}

/// A principal as people type it, resolved as `--from policy` resolves the policy's: a
/// username by spelling, a pinned managed group's id as that group.
pub fn principal_by_spelling(ws: &Workspace, s: &str) -> Result<Principal, AccessError> {
    if let Some(p) = namespaced(s) {
        return Ok(p);
    }
    canonical(ws, s, written(ws, s)?, &|u| Some(spelled_id(u)))
}

/// A principal of a service's own namespace (`boss-user:<name>`), which needs no lookup.
fn namespaced(s: &str) -> Option<Principal> {
    s.parse::<Principal>()
        .ok()
        .filter(|p| matches!(p, Principal::Namespaced(..)))
}

/// A written principal made canonical, usernames by `username`.
fn canonical(
    ws: &Workspace,
    s: &str,
    written: PrincipalRef,
    username: &dyn Fn(&str) -> Option<Uuid>,
) -> Result<Principal, AccessError> {
    Ok(match written {
        PrincipalRef::Username(u) => {
            Principal::Identity(username(&u).ok_or_else(|| AccessError::Principal(s.to_string()))?)
        }
        PrincipalRef::IdentityId(id) => Principal::Identity(id),
        PrincipalRef::GroupName(n) => Principal::ManagedGroup(n),
        PrincipalRef::GroupId(id) => ws
            .policy
            .managed_groups
            .iter()
            .find(|(_, g)| g.pin == Some(id))
            .map(|(name, _)| Principal::ManagedGroup(name.clone()))
            .unwrap_or(Principal::Group(id)),
        PrincipalRef::AllAuthenticatedUsers => Principal::AllAuthenticatedUsers,
        PrincipalRef::Anonymous => Principal::Anonymous,
        PrincipalRef::Public => Principal::Public,
        PrincipalRef::Alias(_) => return Err(AccessError::Principal(s.to_string())),
    })
}

/// A principal as people type it, a username looked up on Globus Auth.
async fn principal_live(
    ws: &Workspace,
    s: &str,
    session: &Session,
) -> Result<Principal, AccessError> {
    if let Some(p) = namespaced(s) {
        return Ok(p);
    }
    let written = written(ws, s)?;
    let found = match &written {
        PrincipalRef::Username(u) => session.auth.by_usernames(std::slice::from_ref(u)).await?,
        _ => Vec::new(),
    };
    let id = |u: &str| {
        found
            .iter()
            .find(|i| i.username.eq_ignore_ascii_case(u))
            .map(|i| i.id)
    };
    canonical(ws, s, written, &id)
}

/// The question asked.
#[derive(Debug, Clone)]
pub enum Question {
    /// `who RESOURCE`.
    Who(String),
    /// `what PRINCIPAL`.
    What(String),
    /// Every holding on every resource (`access review`).
    Everything,
}

/// A question read: its resource or principal parsed.
enum Asked {
    Who(Resource),
    What(Principal),
    Everything,
}

/// Answers a question about a workspace from `source`; `live` and `both` read the services
/// through `session` (read-only, the reads of `drift`).
pub async fn answer(
    ws: &Workspace,
    question: &Question,
    source: Source,
    session: Option<&Session>,
    now: DateTime<Utc>,
) -> Result<Answered, AccessError> {
    // The question is read before anything is compiled or read: a typo costs nothing.
    let asked = match question {
        Question::Who(r) => Asked::Who(Resource::parse_typed(r)?),
        Question::What(p) => Asked::What(principal_by_spelling(ws, p)?),
        Question::Everything => Asked::Everything,
    };
    let asked = match (asked, question, session) {
        (Asked::What(_), Question::What(p), Some(session)) if source != Source::Policy => {
            Asked::What(principal_live(ws, p, session).await?)
        }
        (asked, ..) => asked,
    };
    let ask = |model: &Model<'_>, labels| match &asked {
        Asked::Who(resource) => model.who(resource, labels),
        Asked::What(principal) => model.what(principal, labels),
        Asked::Everything => model.everything(labels),
    };
    let computed_from: Box<dyn std::any::Any + Send>;
    let mut answer = match source {
        Source::Policy => {
            let (desired, spelled) = desired_by_spelling(ws, now).await?;
            let model = Model::new(desired.state.objects.values(), now, false);
            let mut answer = ask(&model, &desired.labels);
            drop(model);
            as_written(&mut answer, &spelled);
            computed_from = Box::new(desired);
            answer
        }
        Source::Live | Source::Both => {
            let name = if source == Source::Live {
                "live"
            } else {
                "both"
            };
            let session = session.ok_or(AccessError::NotConnected(name))?;
            let (desired, live) = engine::desired_and_live(ws, session, now).await?;
            // The running identity's own undeclared membership is the one a service made on
            // create: system-managed, as plans and drift treat it.
            let callers: BTreeSet<String> = engine::callers(&desired, session)
                .await?
                .iter()
                .map(ToString::to_string)
                .collect();
            let own: BTreeSet<String> = live
                .state
                .objects
                .values()
                .filter(|o| o.address.kind.semantics().is_membership())
                .filter(|o| !desired.state.objects.contains_key(&o.address))
                .map(|o| o.address.to_string())
                .collect();
            let mut labels = live.names.clone();
            labels.extend(desired.labels.clone());
            let system: BTreeSet<String> = live
                .system_managed
                .iter()
                .map(|o| o.address.to_string())
                .collect();
            let live_objects = live.state.objects.values().chain(&live.system_managed);
            let mut answer = if source == Source::Live {
                ask(&Model::new(live_objects, now, true), &labels)
            } else {
                let model = Model::union(desired.state.objects.values(), live_objects, now);
                ask(&model, &labels)
            };
            // Per granting object and principal: a document grants each reader apart.
            let declared: BTreeSet<(String, String)> = grant_levels(desired.state.objects.values())
                .into_iter()
                .map(|(a, p, _)| (a.to_string(), p.to_string()))
                .collect();
            let live_level: BTreeMap<(String, String), String> =
                grant_levels(live.state.objects.values())
                    .into_iter()
                    .map(|(a, p, l)| ((a.to_string(), p.to_string()), l.to_string()))
                    .collect();
            // Grants the policy declares but whose `expires` has passed.
            let expired: BTreeMap<String, String> = desired
                .expired
                .iter()
                .map(|(a, (when, at))| {
                    (a.to_string(), format!("{at}, expired {}", timestamp(when)))
                })
                .collect();
            // A declared grant's date is its live object's.
            let since: BTreeMap<String, String> = live
                .state
                .objects
                .values()
                .chain(&live.system_managed)
                .filter_map(|o| {
                    let at = o.address.kind.semantics().granted_since(o)?;
                    Some((o.address.to_string(), at.to_string()))
                })
                .collect();
            answer.date(|a| since.get(a).cloned());
            answer.mark(|l| {
                let a = l.address.as_str();
                if let Some(e) = expired.get(a) {
                    return Some(format!("{e}, still live"));
                }
                let key = (l.address.clone(), l.holder.clone());
                let system = system.contains(a) || (own.contains(a) && callers.contains(&l.holder));
                Some(
                    match (system, declared.contains(&key), live_level.get(&key)) {
                        (true, _, _) => "system-managed".into(),
                        (_, true, Some(live)) if *live != l.level && l.implied_by.is_none() => {
                            format!("live as {live}")
                        }
                        (_, true, Some(_)) => "live".into(),
                        (_, true, None) => "not yet live".into(),
                        _ => "live only".into(),
                    },
                )
            });
            answer.from = name.into();
            computed_from = Box::new((desired, live));
            answer
        }
    };
    if answer.from.is_empty() {
        answer.from = "policy".into();
    }
    if let Question::What(typed) = question {
        answer.subject = typed.clone();
    }
    Ok(Answered {
        answer,
        computed_from,
    })
}

/// An answer, and the states it was computed from, which the caller frees when it suits it:
/// a one-shot command leaves them to the process's exit, as freeing a hundred thousand
/// objects one by one costs a tenth of the run (profiled at `bench/scale`).
pub struct Answered {
    /// The answer.
    pub answer: Answer,
    /// The desired (and live) states behind it.
    pub computed_from: Box<dyn std::any::Any + Send>,
}

/// Shows the identities resolved by spelling as their usernames, and says so.
fn as_written(answer: &mut Answer, spelled: &BTreeMap<Uuid, String>) {
    let written = |key: &str| {
        let id = Uuid::parse_str(key.strip_prefix("identity:")?).ok()?;
        spelled.get(&id).cloned()
    };
    let mut any = false;
    for h in &mut answer.holdings {
        if let Some(u) = written(&h.principal) {
            h.principal = u;
            any = true;
        }
    }
    if let Some(u) = written(&answer.subject) {
        answer.subject = u;
        any = true;
    }
    // A resource named by an identity's id (a folder per user) names it by spelling too.
    let ids: Vec<(String, String)> = spelled
        .iter()
        .map(|(id, u)| (id.to_string(), format!("<id of {u}>")))
        .collect();
    let unspell = |s: &mut String| {
        for (id, u) in &ids {
            if s.contains(id.as_str()) {
                *s = s.replace(id.as_str(), u);
            }
        }
    };
    for h in &mut answer.holdings {
        unspell(&mut h.resource);
        unspell(&mut h.resource_label);
        unspell(&mut h.phrase);
        for l in h.chains.iter_mut().flat_map(|c| &mut c.links) {
            unspell(&mut l.to);
            unspell(&mut l.label);
        }
    }
    if any {
        answer.notes.push(
            "from the policy alone: usernames are shown as written and matched by spelling \
             (not looked up on Globus Auth)"
                .into(),
        );
    }
}
