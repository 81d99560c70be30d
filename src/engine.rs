//! Run orchestration: load → resolve → compile → read → diff → plan, and apply.
//!
//! The CLI calls these; they know no HTTP (providers do) and no rendering (plan::render does).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::apply::{ApplyReport, Progress, apply};
use crate::plan::{
    self, Change, Cycle, DiffContext, Fingerprint, Limits, LiveChecks, Plan, PlanInputs, TargetInfo,
};
use crate::policy::{self, Problems, Workspace};
use crate::service::Registry;
use futures::FutureExt;
use futures::future::{BoxFuture, Shared};

use crate::service::{Caller, IdMap, IdentityResolver, LiveRead, Provider, ProviderError, Scope};
use crate::state::{Address, Container, ContainerMode, Desired, Kind, Principal};

/// The services one run talks to.
#[derive(Clone)]
pub struct Session {
    /// Providers by kind.
    pub registry: Registry,
    /// Identity lookups.
    pub auth: Arc<dyn IdentityResolver>,
    /// What the plan says it runs against.
    pub target: TargetInfo,
    /// What the run is doing (reads, requests), for a progress display.
    pub activity: Arc<crate::progress::Activity>,
}

/// Options of `plan`, `drift` and `apply`.
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    /// The clock.
    pub now: Option<DateTime<Utc>>,
    /// `--only`: keep changes at or under these addresses.
    pub only: Vec<Address>,
    /// `--only-expired`: keep only revocations of expired grants.
    pub only_expired: bool,
    /// `--allow-deletes N` for this run.
    pub allow_deletes: Option<u32>,
    /// `--expiring-within`: list grants expiring within this window (and the window as written).
    pub expiring_within: Option<(chrono::Duration, String)>,
}

/// Why a run stopped before or while planning.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The policy is at fault (unknown principals, duplicates, unsupported sections).
    #[error(transparent)]
    Problems(#[from] Problems),
    /// A service failed or refused.
    #[error(transparent)]
    Provider(#[from] ProviderError),
    /// The changes depend on each other in a cycle.
    #[error(transparent)]
    Cycle(#[from] Cycle),
    /// `--only` addresses that select nothing: no change, no declared and no live object.
    #[error(
        "--only matched nothing: no change, declared object or live object is at or under {}; addresses are canonical and written in full (see `accord plan --format json`)",
        .0.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(", ")
    )]
    OnlyMatchedNothing(Vec<Address>),
}

impl From<policy::ResolveError> for EngineError {
    fn from(e: policy::ResolveError) -> Self {
        match e {
            policy::ResolveError::Problems(p) => EngineError::Problems(p),
            policy::ResolveError::Service(s) => EngineError::Provider(s),
        }
    }
}

/// A plan together with what it was made from, for apply.
pub struct Planned {
    /// The plan.
    pub plan: Plan,
    /// Server ids read live, to seed apply's id map.
    pub ids: IdMap,
    /// The live read (for drift and import).
    pub live: LiveRead,
}

/// Digest of the workspace files, recorded in plans.
pub fn workspace_digest(ws: &Workspace) -> String {
    plan::planfile::workspace_digest(ws.files.iter().map(|f| (&*f.path, f.text.as_str())))
}

/// Resolves and compiles the workspace: every policy problem is reported together.
/// Also returns the canonical `safety.protect` principals.
pub async fn desired(
    ws: &Workspace,
    session: &Session,
    now: DateTime<Utc>,
) -> Result<(Desired, BTreeSet<Principal>), EngineError> {
    let resolved = resolve(ws, session).await?;
    compile(ws, &resolved, now)
}

/// Resolves every principal the workspace names, `safety.protect` included. Policy problems
/// stay in the resolution, to be reported with compilation's.
async fn resolve(ws: &Workspace, session: &Session) -> Result<policy::Resolved, EngineError> {
    let protect = &ws.config.safety.protect;
    Ok(policy::resolve(&ws.policy, protect, session.auth.as_ref()).await?)
}

/// Compiles a resolution, reporting its problems and compilation's together. Also returns
/// the canonical `safety.protect` principals.
fn compile(
    ws: &Workspace,
    resolved: &policy::Resolved,
    now: DateTime<Utc>,
) -> Result<(Desired, BTreeSet<Principal>), EngineError> {
    let protect = ws
        .config
        .safety
        .protect
        .iter()
        .filter_map(|p| resolved.get(&p.value).cloned())
        .collect();
    let mut problems = resolved.problems.clone();
    match policy::compile(&ws.policy, resolved, now) {
        Ok(desired) if problems.is_empty() => Ok((desired, protect)),
        Ok(_) => Err(Problems(problems).into()),
        Err(Problems(more)) => {
            problems.extend(more);
            Err(Problems(problems).sorted().into())
        }
    }
}

/// The desired state with every managed group named by its policy name. An unpinned managed
/// group written `group:<uuid>` is known for what it is only once the Groups read has found
/// its live id; the policy is then compiled again with that group by name
/// ([`policy::Resolved::with_live_group_ids`]), and a container naming it both ways is
/// refused. The reads need nothing of this: they are scoped by containers and lookups,
/// never by a principal.
fn with_managed_group_names(
    ws: &Workspace,
    resolved: &policy::Resolved,
    compiled: (Desired, BTreeSet<Principal>),
    live: &LiveRead,
    now: DateTime<Utc>,
) -> Result<(Desired, BTreeSet<Principal>), EngineError> {
    let live_ids = live
        .managed_group_ids()
        .into_iter()
        .filter_map(|(id, name)| Some((id.parse().ok()?, name)))
        .collect();
    match resolved.with_live_group_ids(&live_ids) {
        Some(named) => {
            drop(compiled);
            compile(ws, &named, now)
        }
        None => Ok(compiled),
    }
}

/// One provider's read, shared by the reads waiting for it.
type SharedRead<'a> = Shared<BoxFuture<'a, Result<Arc<LiveRead>, ProviderError>>>;

/// Reads the live state of what the desired state names. Each provider reads once what it
/// needs is known (docs/gcs-model.md): the managed groups' live ids key rules and roles naming
/// managed groups, so a provider keying by them reads after the groups; one naming another's
/// objects by policy name (Transfer rules on a guest collection) reads after it. When the
/// policy pins every managed group, their ids are known up front, and only the second kind
/// of wait remains.
pub async fn read_live(
    desired: &Desired,
    session: &Session,
) -> Result<(LiveRead, IdMap), EngineError> {
    let pinned = pinned_group_names(desired);
    let providers = session.registry.providers();
    let deps = read_dependencies(providers, pinned.is_some());
    let mut reads: Vec<Option<SharedRead<'_>>> = vec![None; providers.len()];
    for i in read_order(&deps) {
        // Reads are made in dependency order: each one waited for is made already.
        let waits: Vec<SharedRead<'_>> = deps[i].iter().filter_map(|&j| reads[j].clone()).collect();
        let provider = &providers[i];
        let pinned = pinned.clone();
        let read = async move {
            let before = futures::future::try_join_all(waits).await?;
            let kinds = provider.kinds();
            let scope = Scope {
                containers: desired
                    .state
                    .containers
                    .iter()
                    .filter(|c| kinds.contains(&c.address.kind))
                    .cloned()
                    .collect(),
                lookups: desired
                    .lookups
                    .iter()
                    .filter(|l| kinds.contains(&l.address.kind))
                    .cloned()
                    .collect(),
                group_names: pinned
                    .unwrap_or_else(|| before.iter().flat_map(|r| r.managed_group_ids()).collect()),
                known_ids: before.iter().flat_map(|r| r.ids.clone()).collect(),
            };
            let activity = &session.activity;
            activity.read_started(provider.name());
            let read = provider.read(&scope).await;
            let objects = read.as_ref().map_or(0, |r| r.state.objects.len());
            activity.read_done(provider.name(), objects);
            read.map(Arc::new)
        };
        reads[i] = Some(read.boxed().shared());
    }
    let finished = futures::future::try_join_all(reads.into_iter().flatten()).await?;
    let mut live = LiveRead::default();
    for read in finished {
        live.merge(Arc::try_unwrap(read).unwrap_or_else(|shared| (*shared).clone()));
    }
    live.system_managed
        .sort_by(|a, b| a.address.cmp(&b.address));
    live.state.pack();
    // Name the identities seen live that the policy does not label (undeclared members, rules).
    let unnamed: BTreeSet<uuid::Uuid> = live
        .state
        .objects
        .keys()
        .filter_map(plan::diff::principal_of)
        .filter_map(|p| match p {
            Principal::Identity(id)
                if !desired.labels.contains_key(&p) && !live.names.contains_key(&p) =>
            {
                Some(id)
            }
            _ => None,
        })
        .collect();
    if !unnamed.is_empty() {
        let ids: Vec<_> = unnamed.into_iter().collect();
        for i in session.auth.by_ids(&ids).await? {
            live.names.insert(Principal::Identity(i.id), i.username);
        }
    }
    let ids = IdMap::default();
    for (address, o) in &live.state.objects {
        if let Some(id) = &o.server_id {
            ids.insert(address.clone(), id.clone());
        }
    }
    // Ids found under other addresses (a guest collection's under its policy name).
    for (address, id) in &live.ids {
        ids.insert(address.clone(), id.clone());
    }
    Ok((live, ids))
}

/// Live id → policy name of every managed group, when the policy pins them all.
fn pinned_group_names(desired: &Desired) -> Option<BTreeMap<String, String>> {
    desired
        .lookups
        .iter()
        .filter_map(
            |l| match l.address.kind.semantics().is_principal(&l.address) {
                Some(Principal::ManagedGroup(name)) => Some((l, name)),
                _ => None,
            },
        )
        .map(|(l, name)| Some((l.pin.clone()?, name)))
        .collect()
}

/// For each provider, the providers whose reads it waits for: those it names, and, unless
/// every managed group is pinned, the ones finding the managed groups when it needs them.
fn read_dependencies(providers: &[Arc<dyn Provider>], pinned: bool) -> Vec<Vec<usize>> {
    providers
        .iter()
        .map(|p| {
            providers
                .iter()
                .enumerate()
                .filter(|(_, q)| {
                    p.reads_after().contains(&q.name())
                        || q.reads_before().contains(&p.name())
                        || (!pinned && p.needs_group_names() && q.supplies_group_names())
                })
                .map(|(j, _)| j)
                .collect()
        })
        .collect()
}

/// The providers in an order where each comes after those it waits for (the registry's order
/// otherwise); a provider in a cycle is read without waiting for the rest of it.
fn read_order(deps: &[Vec<usize>]) -> Vec<usize> {
    fn visit(i: usize, deps: &[Vec<usize>], state: &mut [u8], out: &mut Vec<usize>) {
        if state[i] != 0 {
            return;
        }
        state[i] = 1;
        for &j in &deps[i] {
            visit(j, deps, state, out);
        }
        state[i] = 2;
        out.push(i);
    }
    let mut state = vec![0u8; deps.len()];
    let mut out = Vec::with_capacity(deps.len());
    for i in 0..deps.len() {
        visit(i, deps, &mut state, &mut out);
    }
    out
}

/// The desired state and the live read a plan would make, and nothing more (no diff, no
/// caller lookup): what `accord access --from live|both` answers from. Read-only, with the
/// same reads as `drift`.
pub async fn desired_and_live(
    ws: &Workspace,
    session: &Session,
    now: DateTime<Utc>,
) -> Result<(Desired, LiveRead), EngineError> {
    let resolved = resolve(ws, session).await?;
    let compiled = compile(ws, &resolved, now)?;
    let (live, _) = read_live(&compiled.0, session).await?;
    let (desired, _) = with_managed_group_names(ws, &resolved, compiled, &live, now)?;
    Ok((desired, live))
}

/// Makes a plan.
pub async fn plan(
    ws: &Workspace,
    session: &Session,
    opts: &PlanOptions,
) -> Result<Planned, EngineError> {
    let now = opts.now.unwrap_or_else(Utc::now);
    let resolved = resolve(ws, session).await?;
    let compiled = compile(ws, &resolved, now)?;
    // Loading, resolving and compiling, then decoding every response, leave freed memory
    // behind: give it back before the next phase builds on top of it.
    crate::memory::release_free_memory();
    let (live, ids) = read_live(&compiled.0, session).await?;
    let (desired, protect) = with_managed_group_names(ws, &resolved, compiled, &live, now)?;
    drop(resolved);
    crate::memory::release_free_memory();
    let ctx = DiffContext {
        callers: callers(&desired, session).await?,
        protect,
    };
    let plan = plan_from_live(ws, session, opts, now, &desired, &live, &ctx)?;
    Ok(Planned { plan, ids, live })
}

/// The CPU part of a plan, on a desired state and a live read already made: diff, filters,
/// order, rails, access delta and live checks (no call). `plan` runs it; the scale benchmark
/// (`bench/scale.rs`) times it alone.
pub fn plan_from_live(
    ws: &Workspace,
    session: &Session,
    opts: &PlanOptions,
    now: DateTime<Utc>,
    desired: &Desired,
    live: &LiveRead,
    ctx: &DiffContext,
) -> Result<Plan, EngineError> {
    // What a service would refuse is refused now, before any write, naming the policy line.
    let refused = ws.policy.check_live(desired, live);
    if !refused.is_empty() {
        return Err(Problems(refused).sorted().into());
    }
    let mut diff = plan::diff(desired, live, ctx);
    let unmatched = unmatched_only(&opts.only, &diff.changes, desired, live);
    if !unmatched.is_empty() {
        return Err(EngineError::OnlyMatchedNothing(unmatched));
    }
    filter(&mut diff.changes, &diff.expired, opts);
    let limits = Limits::new(&ws.config.safety, now, opts.allow_deletes);
    let registry = session.registry.clone();
    let batch_key = move |c: &Change| registry.batch_key(c);
    let plan = plan::build(
        diff,
        PlanInputs {
            target: session.target.clone(),
            workspace_digest: workspace_digest(ws),
            now,
            limits,
            prevent_destroy: &desired.prevent_destroy,
            batch_key: &batch_key,
            live_checks: live_checks(desired, live),
            live,
        },
    )?;
    let mut plan = plan;
    if let Some((window, written)) = &opts.expiring_within {
        plan.expiring = expiring(desired, now, now + *window);
        plan.expiring_window = Some(written.clone());
    }
    Ok(plan)
}

/// Who accord runs as, for protecting its own access: on each service the workspace
/// manages, the principal its provider acts as (the OAuth client's identity is asked of the
/// identity resolver only when such a service is managed, so a run against services taking
/// static tokens needs no OAuth client).
pub async fn callers(
    desired: &Desired,
    session: &Session,
) -> Result<BTreeSet<Principal>, EngineError> {
    let kinds: BTreeSet<Kind> = desired
        .state
        .objects
        .keys()
        .chain(desired.lookups.iter().map(|l| &l.address))
        .chain(desired.state.containers.iter().map(|c| &c.address))
        .map(|a| a.kind)
        .collect();
    let mut out = BTreeSet::new();
    let mut oauth = false;
    for p in session.registry.providers() {
        if !p.kinds().iter().any(|k| kinds.contains(k)) {
            continue;
        }
        match p.caller() {
            Caller::OAuthClient => oauth = true,
            Caller::Principal(principal) => {
                out.insert(principal);
            }
            Caller::Nobody => {}
        }
    }
    if oauth {
        out.insert(Principal::Identity(session.auth.whoami().await?.id));
    }
    Ok(out)
}

/// Desired grants whose `expires` falls in `(now, until]`, soonest first.
fn expiring(desired: &Desired, now: DateTime<Utc>, until: DateTime<Utc>) -> Vec<plan::Expiring> {
    let mut out: Vec<plan::Expiring> = desired
        .state
        .objects
        .values()
        .filter(|o| o.address.kind.grants_access())
        .filter_map(|o| {
            let expires = o.str_attr("expires")?.parse::<DateTime<Utc>>().ok()?;
            (expires > now && expires <= until).then(|| {
                let who = plan::diff::principal_of(&o.address)
                    .map(|p| {
                        desired
                            .labels
                            .get(&p)
                            .cloned()
                            .unwrap_or_else(|| p.to_string())
                    })
                    .unwrap_or_default();
                plan::Expiring {
                    address: o.address.clone(),
                    label: who,
                    expires,
                    provenance: o.provenance.clone(),
                }
            })
        })
        .collect();
    out.sort_by(|a, b| (a.expires, &a.address).cmp(&(b.expires, &b.address)));
    out
}

/// The `--only` addresses under which there is no change, no declared object and no live
/// object: a typo or a shortened form, never "nothing to do". Objects are found by range (an
/// address sorts just before everything under it), not by scanning the estate.
fn unmatched_only(
    only: &[Address],
    changes: &[Change],
    desired: &Desired,
    live: &LiveRead,
) -> Vec<Address> {
    let under = |objects: &BTreeMap<Address, crate::state::Object>, o: &Address| {
        objects.range(o..).next().is_some_and(|(a, _)| a.matches(o))
    };
    only.iter()
        .filter(|o| {
            !changes.iter().any(|c| c.address.matches(o))
                && !under(&desired.state.objects, o)
                && !under(&live.state.objects, o)
        })
        .cloned()
        .collect()
}

/// Applies `--only` and `--only-expired`.
fn filter(changes: &mut Vec<Change>, expired: &BTreeSet<Address>, opts: &PlanOptions) {
    if !opts.only.is_empty() {
        changes.retain(|c| opts.only.iter().any(|o| c.address.matches(o)));
    }
    if opts.only_expired {
        changes.retain(|c| expired.contains(&c.address));
    }
}

/// Applies a plan; `ids` comes from the plan's live read (or a fresh read for a saved plan).
pub async fn apply_plan(
    plan: &Plan,
    session: &Session,
    ids: &IdMap,
    parallelism: usize,
    progress: &dyn Progress,
) -> ApplyReport {
    apply(plan, &session.registry, ids, parallelism, progress).await
}

/// Fingerprints of the live objects a plan depends on: everything inside its authoritative
/// containers (within `manage_paths`), and the top-level objects it looked up.
pub fn live_checks(desired: &Desired, live: &LiveRead) -> LiveChecks {
    let authoritative: Vec<Container> = desired
        .state
        .containers
        .iter()
        .filter(|c| c.mode == ContainerMode::Authoritative)
        .cloned()
        .collect();
    let looked_up: BTreeSet<&Address> = desired.lookups.iter().map(|l| &l.address).collect();
    let index = plan::diff::ContainerIndex::new(&authoritative);
    // One buffer for every object's canonical JSON.
    let mut canonical = Vec::new();
    // The live map is walked in order, so the checks collect into a packed map.
    let objects = live
        .state
        .objects
        .iter()
        .filter(|(address, _)| {
            index
                .find(address)
                .is_some_and(|c| plan::diff::managed_path(c, address))
                || looked_up.contains(address)
        })
        .map(|(address, object)| {
            canonical.clear();
            serde_json::to_writer(&mut canonical, &(&object.attrs, &object.server_id))
                .expect("objects serialise");
            (address.clone(), Fingerprint::of(&canonical))
        })
        .collect();
    LiveChecks {
        objects,
        containers: authoritative.into_iter().map(|c| c.address).collect(),
        absent: Vec::new(),
    }
}

/// Re-reads what a saved plan saw live. Returns every difference (empty when the plan still
/// holds) and the server ids apply needs.
pub async fn recheck(
    plan: &Plan,
    ws: &Workspace,
    session: &Session,
) -> Result<(Vec<String>, IdMap), EngineError> {
    let (desired, _) = desired(ws, session, plan.now).await?;
    let (live, ids) = read_live(&desired, session).await?;
    let then = &plan.live_checks;
    let now = live_checks(&desired, &live);
    let mut differences = Vec::new();
    for (address, fingerprint) in &then.objects {
        match now.objects.get(address) {
            None => differences.push(format!("{address} was deleted since the plan was made")),
            Some(f) if f != fingerprint => {
                differences.push(format!("{address} changed since the plan was made"))
            }
            Some(_) => {}
        }
    }
    for address in now
        .objects
        .keys()
        .filter(|a| !then.objects.contains_key(*a))
    {
        differences.push(format!("{address} appeared since the plan was made"));
    }
    for address in &then.absent {
        if live.state.objects.contains_key(address) && !then.objects.contains_key(address) {
            differences.push(format!(
                "{address} was absent when the plan was made, and exists now"
            ));
        }
    }
    differences.sort();
    differences.dedup();
    Ok((differences, ids))
}
