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
use crate::service::{IdMap, IdentityResolver, LiveRead, ProviderError, Scope};
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
    /// The Boss username accord runs as (the Boss has no whoami): `ACCORD_BOSS_USERNAME`, or
    /// the user an emulator seed names, when Boss credentials are known.
    pub boss_user: Option<String>,
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
    let live_ids = crate::services::groups::provider::group_names(live)
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

/// Whether an address belongs to read phase 1 (groups), 2 (GCS) or 3 (Transfer).
fn read_phase(kind: Kind) -> u8 {
    use crate::services::{gcs, groups};
    if [groups::GROUP, groups::MEMBER].contains(&kind) || is_boss(kind) {
        // The Boss shares nothing with Globus: read it alongside the groups.
        1
    } else if [gcs::CREDENTIAL, gcs::COLLECTION, gcs::ROLE].contains(&kind) {
        2
    } else {
        3
    }
}

/// Whether a kind is the Boss's, whose principals are not Globus identities.
fn is_boss(kind: Kind) -> bool {
    use crate::services::boss;
    [
        boss::GROUP,
        boss::MEMBER,
        boss::FRAME,
        boss::RESOURCE,
        boss::PERMISSION,
    ]
    .contains(&kind)
}

/// Reads the live state of what the desired state names, in three phases (docs/gcs-model.md):
/// groups, whose live ids key rules and roles naming managed groups; GCS, whose guest
/// collection ids key the rules and directories on them; then Transfer and the rest.
pub async fn read_live(
    desired: &Desired,
    session: &Session,
) -> Result<(LiveRead, IdMap), EngineError> {
    let scope = |phase: u8| Scope {
        containers: desired
            .state
            .containers
            .iter()
            .filter(|c| read_phase(c.address.kind) == phase)
            .cloned()
            .collect(),
        lookups: desired
            .lookups
            .iter()
            .filter(|l| read_phase(l.address.kind) == phase)
            .cloned()
            .collect(),
        ..Scope::default()
    };
    // The later phases need the managed groups' live ids. When the policy pins every one,
    // those are known before reading (a pinned id that does not exist fails the groups
    // read, and with it the plan), so GCS and Transfer are read alongside the groups.
    let later = |group_names: BTreeMap<String, String>| async move {
        let gcs = session
            .registry
            .read(&Scope {
                group_names: group_names.clone(),
                ..scope(2)
            })
            .await?;
        let collection_ids = collection_ids(&gcs);
        let transfer = session
            .registry
            .read(&Scope {
                group_names,
                collection_ids: collection_ids.clone(),
                ..scope(3)
            })
            .await?;
        Ok::<_, ProviderError>((gcs, transfer, collection_ids))
    };
    let first = scope(1);
    let (mut live, (gcs, transfer, collection_ids)) = match pinned_group_names(desired) {
        Some(names) => futures::try_join!(session.registry.read(&first), later(names))?,
        None => {
            let live = session.registry.read(&first).await?;
            let names = crate::services::groups::provider::group_names(&live);
            (live, later(names).await?)
        }
    };
    for rest in [gcs, transfer] {
        live.merge(rest);
    }
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
    // Providers find a guest collection's id under `gcs.collection[N]`.
    for (name, id) in collection_ids {
        ids.insert(
            crate::services::gcs::policy::compile::collection_id_key(&name),
            id,
        );
    }
    Ok((live, ids))
}

/// Live id → policy name of every managed group, when the policy pins them all.
fn pinned_group_names(desired: &Desired) -> Option<BTreeMap<String, String>> {
    desired
        .lookups
        .iter()
        .filter(|l| l.address.kind == crate::services::groups::GROUP)
        .map(|l| Some((l.pin.clone()?, l.address.keys.first()?.clone())))
        .collect()
}

/// Guest collection policy name → live id, from the GCS read's `gcs.collection[E][N]` objects.
pub fn collection_ids(gcs: &LiveRead) -> BTreeMap<String, String> {
    gcs.state
        .objects
        .values()
        .filter(|o| o.address.kind == crate::services::gcs::COLLECTION && o.address.keys.len() == 2)
        .filter_map(|o| Some((o.address.keys[1].clone(), o.server_id.clone()?)))
        .collect()
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

/// Who accord runs as, for protecting its own access: the Globus identity (asked of Auth only
/// when the workspace manages a Globus service, so a Boss-only run needs no Globus
/// credentials) and the Boss user.
pub async fn callers(
    desired: &Desired,
    session: &Session,
) -> Result<BTreeSet<Principal>, EngineError> {
    let mut out = BTreeSet::new();
    let globus = desired
        .state
        .objects
        .keys()
        .chain(desired.lookups.iter().map(|l| &l.address))
        .chain(desired.state.containers.iter().map(|c| &c.address))
        .any(|a| !is_boss(a.kind));
    if globus {
        out.insert(Principal::Identity(session.auth.whoami().await?.id));
    }
    if let Some(u) = &session.boss_user {
        out.insert(Principal::BossUser(u.clone()));
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
