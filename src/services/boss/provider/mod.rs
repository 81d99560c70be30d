//! The Boss (API v1): groups with their members and maintainers, coordinate frames,
//! collections, experiments and channels, and group permission sets on resources
//! (`docs/boss-model.md`).
//!
//! Every call carries `Authorization: Token <token>` ([`AuthMode::Header`]); the token comes
//! from `ACCORD_BOSS_TOKEN` (or an emulator seed's `boss.accord_user`), with the user accord
//! runs as in `ACCORD_BOSS_USERNAME`, since the Boss has no whoami. Missing credentials are an
//! error only when a run has Boss objects: a read whose scope names no Boss lookup or
//! container makes no call at all.
//!
//! What `read` answers:
//! - a [`Lookup`] `boss.group[G]`: `GET /v1/groups/{G}/` (404: absent), with `owner`;
//! - a container `boss.member[G]`: `GET …/members/` and `GET …/maintainers/` as
//!   `boss.member[G][member|maintainer][boss-user:U]`. Maintainers the Boss lists without a
//!   direct grant (the group's owner, `bossadmin`, the members of `admin` when readable: one
//!   `GET /v1/groups/admin/members/` per read, only when a maintainer needs classifying) are
//!   system-managed;
//! - a [`Lookup`] `boss.frame[F]` or `boss.resource[PATH]`: one `GET` each (404: absent; a
//!   child of an absent parent is absent without a call);
//! - containers `boss.permission[PATH]`: one `GET /v1/permissions/?group=G` per looked-up
//!   group that exists, and one for `public`; an authoritative container also reads
//!   `GET /v1/permissions/?collection=…` (sets of the groups the caller belongs to). The sets
//!   of `admin` and of `<user>-primary` groups are system-managed.
//!
//! `read` goes step by step (groups, their lists, frames, resources one level at a time,
//! permission sets); the calls of a step go out concurrently, up to the client's
//! `max_concurrency`, and are handled in order, so the result and the first error are those of
//! one call at a time.
//!
//! `apply` sends the fewest correct calls (see the table in `docs/boss-model.md`). A create
//! answered "exists" (6001 for groups, 400 1003 for frames and resources) or failing in a way
//! that may have reached the Boss is re-read by name and adopted, never blindly resent. A
//! member or maintainer add answered 404 4002 (the user never logged in) is blocked.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{Map, Value};

use crate::http::{AuthMode, HttpClient, HttpError, HttpRequest, Secret};
use crate::plan::{Action, Change};
use crate::service::{IdMap, LiveRead, Lookup, Outcome, Provider, ProviderError, Scope, failed};
use crate::services::boss::principals;
use crate::services::boss::wire::{
    Channel, Collection, CoordFrame, Experiment, FRAME_FIELDS, Group, MaintainerList, MemberList,
    PermissionSet, PermissionSets,
};
use crate::state::{Address, ContainerMode, Kind, Object};

/// Environment variable holding the Boss API token.
pub const ENV_BOSS_TOKEN: &str = "ACCORD_BOSS_TOKEN";
/// Environment variable holding the Boss username accord runs as.
pub const ENV_BOSS_USERNAME: &str = "ACCORD_BOSS_USERNAME";

/// The Boss superuser: a maintainer of every group.
pub const BOSS_ADMIN: &str = "bossadmin";
/// The Boss's admin group: every permission on every object, `maintain_group` on every group.
pub const ADMIN_GROUP: &str = "admin";
/// The Boss's public group (every user is a member).
pub const PUBLIC_GROUP: &str = "public";

const KINDS: &[Kind] = &[
    crate::services::boss::GROUP,
    crate::services::boss::MEMBER,
    crate::services::boss::FRAME,
    crate::services::boss::RESOURCE,
    crate::services::boss::PERMISSION,
];

/// The frame attributes the Boss updates in place (`PUT`).
const FRAME_UPDATABLE: &[&str] = &["description"];

/// Boss credentials: the API token and the username it belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BossCredentials {
    /// The Boss username accord runs as.
    pub username: String,
    /// The API token.
    pub token: Secret,
}

impl BossCredentials {
    /// Explicit credentials (an embedded target uses the user its seed names).
    pub fn new(username: impl Into<String>, token: impl Into<Secret>) -> Self {
        BossCredentials {
            username: username.into(),
            token: token.into(),
        }
    }

    /// Reads `ACCORD_BOSS_TOKEN` and `ACCORD_BOSS_USERNAME`.
    pub fn from_env() -> Result<Self, String> {
        Self::from_env_or(None)
    }

    /// Reads the environment variables; when neither is set, uses `fallback` (a seed's
    /// user). Setting only one of them is an error: a token without its username (or the
    /// reverse) would protect the wrong user's access.
    pub fn from_env_or(fallback: Option<&BossCredentials>) -> Result<Self, String> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        Self::pick(var(ENV_BOSS_TOKEN), var(ENV_BOSS_USERNAME), fallback)
    }

    fn pick(
        token: Option<String>,
        username: Option<String>,
        fallback: Option<&BossCredentials>,
    ) -> Result<Self, String> {
        match (token, username, fallback) {
            (Some(t), Some(u), _) => Ok(BossCredentials::new(u.trim(), t.trim())),
            (None, None, Some(fb)) => Ok(fb.clone()),
            (None, None, None) => Err(format!(
                "the workspace has Boss objects: set {ENV_BOSS_TOKEN} (a Boss API token) and {ENV_BOSS_USERNAME} (the Boss user it belongs to)"
            )),
            (t, _, _) => Err(format!(
                "set both {ENV_BOSS_TOKEN} and {ENV_BOSS_USERNAME} (the Boss has no whoami); {} is missing",
                if t.is_none() {
                    ENV_BOSS_TOKEN
                } else {
                    ENV_BOSS_USERNAME
                }
            )),
        }
    }
}

/// The Boss user an emulator's connection document names (its `boss`), or, from an emulator
/// too old to serve that document, `boss.accord_user` of its state, with its token.
pub fn emulator_user(doc: &serde_json::Value) -> Option<BossCredentials> {
    let boss = doc.get("boss")?;
    if let (Some(name), Some(token)) = (boss.get("username"), boss.get("token")) {
        return Some(BossCredentials::new(
            name.as_str()?,
            token.as_str()?.to_string(),
        ));
    }
    let name = boss.get("accord_user")?.as_str()?;
    let token = boss
        .get("users")?
        .get(name)?
        .get("token")?
        .as_str()
        .filter(|t| !t.is_empty())?;
    Some(BossCredentials::new(name, token.to_string()))
}

/// The user accord calls as, with its ready `Authorization` header.
#[derive(Debug, Clone)]
struct Caller {
    username: String,
    auth: AuthMode,
}

/// The Boss provider.
#[derive(Debug)]
pub struct BossProvider {
    http: Arc<HttpClient>,
    caller: Result<Caller, String>,
}

impl BossProvider {
    /// A provider calling as `creds` through the shared client.
    pub fn new(http: Arc<HttpClient>, creds: BossCredentials) -> Self {
        let header = Secret::new(format!("Token {}", creds.token.expose()));
        BossProvider {
            http,
            caller: Ok(Caller {
                username: creds.username,
                auth: AuthMode::Header(header),
            }),
        }
    }

    /// A provider without credentials: a run with no Boss object never notices; any other
    /// read fails with [`ProviderError::Credentials`] saying `why`.
    pub fn without_credentials(http: Arc<HttpClient>, why: impl Into<String>) -> Self {
        BossProvider {
            http,
            caller: Err(why.into()),
        }
    }

    /// A provider from the outcome of reading credentials.
    pub fn from_credentials(http: Arc<HttpClient>, creds: Result<BossCredentials, String>) -> Self {
        match creds {
            Ok(c) => Self::new(http, c),
            Err(why) => Self::without_credentials(http, why),
        }
    }

    /// A provider for a run: the environment's credentials, else, against an emulator, the
    /// user its connection document names. Missing ones fail only the calls needing them.
    pub fn connect(cx: &crate::service::Connect) -> Self {
        let creds = match cx.emulator {
            Some(doc) => {
                let fallback = emulator_user(doc);
                let missing = fallback.is_none();
                BossCredentials::from_env_or(fallback.as_ref()).map_err(|e| {
                    if missing {
                        format!(
                            "{e}; or name the Boss user accord runs as in the seed (`boss.accord_user`, a seeded user with a token)"
                        )
                    } else {
                        e
                    }
                })
            }
            None => BossCredentials::from_env(),
        };
        Self::from_credentials(cx.http.clone(), creds)
    }

    /// The Boss username accord runs as, when credentials are known.
    pub fn username(&self) -> Option<&str> {
        self.caller.as_ref().ok().map(|c| c.username.as_str())
    }

    fn acting_user(&self) -> Result<&Caller, String> {
        self.caller.as_ref().map_err(Clone::clone)
    }

    /// Sends a request with the Boss token.
    async fn send(&self, caller: &Caller, req: HttpRequest) -> Result<Value, HttpError> {
        let req = req.auth(caller.auth.clone());
        Ok(self.http.send(&req).await?.body)
    }

    /// A `GET` decoded into a wire type; `Ok(None)` on 404.
    async fn get_opt<T: serde::de::DeserializeOwned>(
        &self,
        caller: &Caller,
        path: &str,
    ) -> Result<Option<T>, HttpError> {
        let req = HttpRequest::get(crate::services::boss::api::ID, path).auth(caller.auth.clone());
        match self.http.send(&req).await {
            Ok(resp) => resp.json().map(Some),
            Err(e) if e.status() == Some(404) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// A read error as the provider reports it: a refused token is a credentials problem.
    fn read_error(&self, caller: &Caller, e: HttpError) -> ProviderError {
        if e.status() == Some(401) {
            ProviderError::Credentials(format!(
                "the Boss refused the token of {} ({ENV_BOSS_TOKEN}): {e}",
                caller.username
            ))
        } else {
            e.into()
        }
    }

    // ---- read ----

    async fn read_group(
        &self,
        caller: &Caller,
        name: &str,
    ) -> Result<Option<GroupSeen>, ProviderError> {
        let req = HttpRequest::get(crate::services::boss::api::ID, group_path(name)?);
        match self.send(caller, req).await {
            Ok(body) => {
                let g: Group =
                    serde_json::from_value(body).map_err(|e| ProviderError::Service {
                        service: "boss",
                        message: format!(
                            "GET {}: unexpected response body: {e}",
                            group_path_str(name)
                        ),
                    })?;
                Ok(Some(GroupSeen::Readable { owner: g.owner }))
            }
            Err(e) if e.status() == Some(404) => Ok(None),
            // The group exists, but the caller is neither a member nor a maintainer.
            Err(e) if e.status() == Some(403) => Ok(Some(GroupSeen::Unreadable(e.to_string()))),
            Err(e) => Err(self.read_error(caller, e)),
        }
    }

    /// The members of `admin`, when the caller may read them; else only `bossadmin`.
    async fn admin_members(&self, caller: &Caller) -> Result<BTreeSet<String>, ProviderError> {
        let mut out = BTreeSet::from([BOSS_ADMIN.to_string()]);
        let req = HttpRequest::get(
            crate::services::boss::api::ID,
            format!("/v1/groups/{ADMIN_GROUP}/members/"),
        );
        match self.send(caller, req).await {
            Ok(body) => {
                let list: MemberList = serde_json::from_value(body).unwrap_or_default();
                out.extend(list.members);
            }
            Err(e) if matches!(e.status(), Some(403 | 404)) => {
                tracing::debug!("the members of the Boss admin group are not readable: {e}");
            }
            Err(e) => return Err(self.read_error(caller, e)),
        }
        Ok(out)
    }

    /// A group's members and maintainers, both lists asked for at once.
    async fn fetch_members(
        &self,
        caller: &Caller,
        group: &str,
    ) -> Result<(MemberList, MaintainerList), ProviderError> {
        let base = group_path(group)?;
        let list = |what: &'static str| {
            let req = HttpRequest::get(crate::services::boss::api::ID, format!("{base}{what}/"));
            async move {
                self.send(caller, req)
                    .await
                    .map_err(|e| self.read_error(caller, e))
            }
        };
        let (members, maintainers) = futures::join!(list("members"), list("maintainers"));
        // The members' error first, as when they were read one after the other.
        let members: MemberList = decode(members?, "members")?;
        let maintainers: MaintainerList = decode(maintainers?, "maintainers")?;
        Ok((members, maintainers))
    }

    /// Places a group's members and maintainers in `live`; a maintainer the Boss lists without
    /// a direct grant is system-managed.
    async fn place_members(
        &self,
        caller: &Caller,
        group: &str,
        owner: &str,
        (members, maintainers): (MemberList, MaintainerList),
        admin: &mut Option<BTreeSet<String>>,
        live: &mut LiveRead,
    ) -> Result<(), ProviderError> {
        let parent = Address::new(crate::services::boss::GROUP, [group]);
        for u in members.members {
            live.state
                .insert(member_object(group, "member", &u, &parent));
        }
        for u in maintainers.maintainers {
            let o = member_object(group, "maintainer", &u, &parent);
            // The members of `admin` are read once, and only when they could matter.
            if admin.is_none() && !is_implicit_maintainer(&u, owner, &BTreeSet::new()) {
                *admin = Some(self.admin_members(caller).await?);
            }
            let implicit =
                is_implicit_maintainer(&u, owner, admin.as_ref().unwrap_or(&BTreeSet::new()));
            if implicit {
                live.system_managed.push(o);
            } else {
                live.state.insert(o);
            }
        }
        Ok(())
    }

    /// One coordinate frame; `Ok(None)` when it is absent.
    async fn read_frame(
        &self,
        caller: &Caller,
        lookup: &Lookup,
    ) -> Result<Option<Object>, ProviderError> {
        let name = &lookup.address.keys[0];
        let path = frame_path(name).map_err(ProviderError::NotFound)?;
        Ok(self
            .get_opt::<CoordFrame>(caller, &path)
            .await
            .map_err(|e| self.read_error(caller, e))?
            .map(|f| frame_object(lookup.address.clone(), &f)))
    }

    /// One resource; `Ok(None)` when it is absent.
    async fn read_resource(
        &self,
        caller: &Caller,
        lookup: &Lookup,
    ) -> Result<Option<Object>, ProviderError> {
        let path = ResourcePath::parse(&lookup.address.keys[0]).map_err(ProviderError::NotFound)?;
        let req = HttpRequest::get(crate::services::boss::api::ID, path.api_path());
        let body = match self.send(caller, req).await {
            Ok(b) => b,
            Err(e) if e.status() == Some(404) => return Ok(None),
            Err(e) if e.status() == Some(403) => {
                return Err(ProviderError::Service {
                    service: "boss",
                    message: format!(
                        "{}: it exists but {} may not read it ({e}); grant one of their groups `read` on it",
                        lookup.address, caller.username
                    ),
                });
            }
            Err(e) => return Err(self.read_error(caller, e)),
        };
        let object = resource_object(lookup.address.clone(), &path, body).map_err(|m| {
            ProviderError::Service {
                service: "boss",
                message: format!("GET {}: unexpected response body: {m}", path.api_path()),
            }
        })?;
        Ok(Some(object))
    }

    /// `GET /v1/permissions/?…`; `Ok(None)` when the group or resource does not exist.
    async fn permission_sets(
        &self,
        caller: &Caller,
        query: &[(&str, &str)],
    ) -> Result<Option<Vec<PermissionSet>>, ProviderError> {
        let mut req = HttpRequest::get(crate::services::boss::api::ID, "/v1/permissions/");
        for (k, v) in query {
            req = req.query(k, *v);
        }
        match self.send(caller, req).await {
            Ok(body) => {
                let sets: PermissionSets = decode(body, "permission-sets")?;
                Ok(Some(sets.permission_sets))
            }
            Err(e) if e.status() == Some(404) => Ok(None),
            Err(e) => Err(self.read_error(caller, e)),
        }
    }

    /// The permission sets of the containers: per looked-up group (and `public`), then, for
    /// each authoritative container, the sets of the groups the caller belongs to. The calls of
    /// each step go out concurrently; their answers are placed in order.
    async fn read_permissions(
        &self,
        caller: &Caller,
        containers: &BTreeMap<String, ContainerMode>,
        managed: &BTreeSet<String>,
        absent: &BTreeSet<String>,
        live: &mut LiveRead,
    ) -> Result<(), ProviderError> {
        let mut groups: Vec<&str> = managed.iter().map(String::as_str).collect();
        if !managed.contains(PUBLIC_GROUP) {
            groups.push(PUBLIC_GROUP);
        }
        let calls: Vec<_> = groups
            .iter()
            .map(|g| async move { self.permission_sets(caller, &[("group", g)]).await })
            .collect();
        let per_group = self.http.concurrently(calls).await;
        for sets in per_group {
            for set in sets?.unwrap_or_default() {
                let path = set_path(&set);
                if containers.contains_key(&path) {
                    let o = permission_object(&path, &set.group, &set.permissions, managed);
                    place_permission(o, &set.group, live);
                }
            }
        }
        let authoritative: Vec<&String> = containers
            .iter()
            .filter(|(path, mode)| {
                **mode == ContainerMode::Authoritative && !absent.contains(*path)
            })
            .map(|(path, _)| path)
            .collect();
        let calls: Vec<_> = authoritative
            .iter()
            .map(|path| async move {
                let p = ResourcePath::parse(path).map_err(ProviderError::NotFound)?;
                let mut query = vec![("collection", p.collection.as_str())];
                if let Some(e) = &p.experiment {
                    query.push(("experiment", e));
                }
                if let Some(ch) = &p.channel {
                    query.push(("channel", ch));
                }
                self.permission_sets(caller, &query).await
            })
            .collect();
        let per_container = self.http.concurrently(calls).await;
        for (path, sets) in authoritative.into_iter().zip(per_container) {
            for set in sets?.unwrap_or_default() {
                if set_path(&set) != *path {
                    continue;
                }
                let o = permission_object(path, &set.group, &set.permissions, managed);
                if live.state.get(&o.address).is_none() {
                    place_permission(o, &set.group, live);
                }
            }
        }
        Ok(())
    }

    // ---- apply ----

    async fn apply_one(&self, change: &Change) -> Outcome {
        let caller = match self.acting_user() {
            Ok(c) => c,
            Err(e) => return failed(format!("credentials: {e}")),
        };
        match change.address.kind {
            k_ if k_ == crate::services::boss::GROUP => match change.action {
                Action::Create => self.create_group(caller, change).await,
                // A group has no attribute to update.
                Action::Update => applied(),
                Action::Delete => self.delete_group(caller, change).await,
                Action::Replace => match self.delete_group(caller, change).await {
                    Outcome::Applied { .. } => self.create_group(caller, change).await,
                    other => other,
                },
            },
            k_ if k_ == crate::services::boss::MEMBER => match change.action {
                Action::Create => self.add_member(caller, change).await,
                Action::Update => applied(),
                Action::Delete => self.remove_member(caller, change).await,
                Action::Replace => match self.remove_member(caller, change).await {
                    Outcome::Applied { .. } => self.add_member(caller, change).await,
                    other => other,
                },
            },
            k_ if k_ == crate::services::boss::FRAME || k_ == crate::services::boss::RESOURCE => {
                match change.action {
                    Action::Create => self.create_object(caller, change).await,
                    Action::Update => self.update_object(caller, change).await,
                    Action::Delete => self.delete_object(caller, change).await,
                    Action::Replace => match self.delete_object(caller, change).await {
                        Outcome::Applied { .. } => self.create_object(caller, change).await,
                        other => other,
                    },
                }
            }
            k_ if k_ == crate::services::boss::PERMISSION => {
                self.apply_permission(caller, change).await
            }
            other => failed(format!("the boss provider does not manage {other}")),
        }
    }

    async fn create_group(&self, caller: &Caller, change: &Change) -> Outcome {
        let name = &change.address.keys[0];
        let path = match group_path(name) {
            Ok(p) => p,
            Err(e) => return failed(e),
        };
        let req = HttpRequest::post(crate::services::boss::api::ID, path).create();
        let mut backoff = self.http.create_backoff();
        loop {
            match self.send(caller, req.clone()).await {
                Ok(_) => return applied(),
                Err(e) if boss_code(&e) == Some(6001) => {
                    return match self.read_group(caller, name).await {
                        Ok(Some(GroupSeen::Readable { .. })) => {
                            tracing::info!(group = %name, "the Boss group exists: adopted");
                            applied()
                        }
                        Ok(Some(GroupSeen::Unreadable(why))) => failed(format!(
                            "{e}; the group exists but {} is neither a member nor a maintainer of it, so accord cannot manage it ({why})",
                            caller.username
                        )),
                        Ok(None) => failed(format!("{e}; but no such group was found on re-read")),
                        Err(e2) => failed(format!("{e}; re-reading the group failed: {e2}")),
                    };
                }
                Err(e) if e.is_maybe_applied() => {
                    if !self.http.pause_before_retry(&mut backoff, &e).await {
                        return failed(e);
                    }
                    match self.read_group(caller, name).await {
                        Ok(Some(_)) => {
                            tracing::info!(group = %name, "create may have applied; adopted the group");
                            return applied();
                        }
                        Ok(None) => continue,
                        Err(e2) => {
                            return failed(format!("{e}; re-reading the group failed: {e2}"));
                        }
                    }
                }
                Err(e) => return failed(e),
            }
        }
    }

    async fn delete_group(&self, caller: &Caller, change: &Change) -> Outcome {
        let path = match group_path(&change.address.keys[0]) {
            Ok(p) => p,
            Err(e) => return failed(e),
        };
        match self
            .send(
                caller,
                HttpRequest::delete(crate::services::boss::api::ID, path),
            )
            .await
        {
            Ok(_) => applied(),
            Err(e) if boss_code(&e) == Some(4001) => applied(),
            Err(e) => failed(e),
        }
    }

    async fn add_member(&self, caller: &Caller, change: &Change) -> Outcome {
        let (group, role, user, path) = match member_call(&change.address) {
            Ok(p) => p,
            Err(e) => return failed(e),
        };
        // Adding an existing member or maintainer is a no-op 204: safe to resend.
        match self
            .send(
                caller,
                HttpRequest::post(crate::services::boss::api::ID, path),
            )
            .await
        {
            Ok(_) => applied(),
            Err(e) if boss_code(&e) == Some(4002) => Outcome::Blocked {
                reason: format!(
                    "Boss user {user} has never logged in, so the Boss cannot make them a {role} of {group} yet (HTTP 404 4002: {}); it can once they log in",
                    boss_message(&e)
                ),
            },
            Err(e) => failed(e),
        }
    }

    async fn remove_member(&self, caller: &Caller, change: &Change) -> Outcome {
        let (_, role, _, path) = match member_call(&change.address) {
            Ok(p) => p,
            Err(e) => return failed(e),
        };
        match self
            .send(
                caller,
                HttpRequest::delete(crate::services::boss::api::ID, path),
            )
            .await
        {
            Ok(_) => applied(),
            // The group or the user is gone: so is the membership.
            Err(e) if matches!(boss_code(&e), Some(4001 | 4002)) => applied(),
            Err(e)
                if role == "maintainer"
                    && boss_code(&e) == Some(3001)
                    && boss_message(&e).contains("is not a maintainer") =>
            {
                applied()
            }
            Err(e) => failed(e),
        }
    }

    /// Creates a frame or resource, adopting one that exists.
    async fn create_object(&self, caller: &Caller, change: &Change) -> Outcome {
        let Some(after) = &change.after else {
            return failed("create without a desired object");
        };
        let (path, body) = match create_request(&change.address, after) {
            Ok(x) => x,
            Err(e) => return failed(e),
        };
        let req = HttpRequest::post(crate::services::boss::api::ID, path)
            .json(&Value::Object(body))
            .create();
        let mut backoff = self.http.create_backoff();
        loop {
            match self.send(caller, req.clone()).await {
                Ok(_) => return applied(),
                // A duplicate name is 400 1003 (like any validation error): re-read to tell.
                Err(e) if boss_code(&e) == Some(1003) || boss_code(&e) == Some(6002) => {
                    return match self.adopt_object(caller, &change.address, after).await {
                        Adopt::Adopted(o) => o,
                        Adopt::Absent => failed(e),
                        Adopt::Deleted => failed(format!(
                            "{e}; {} was deleted, and the Boss keeps a deleted name taken until its cleanup removes it: create it again after that, or give it another name",
                            change.address
                        )),
                        Adopt::Failed(m) => failed(format!("{e}; {m}")),
                    };
                }
                Err(e) if e.is_maybe_applied() => {
                    if !self.http.pause_before_retry(&mut backoff, &e).await {
                        return failed(e);
                    }
                    match self.adopt_object(caller, &change.address, after).await {
                        Adopt::Adopted(o) => return o,
                        Adopt::Absent => continue,
                        Adopt::Deleted => {
                            return failed(format!(
                                "{e}; {} is marked for deletion",
                                change.address
                            ));
                        }
                        Adopt::Failed(m) => return failed(format!("{e}; {m}")),
                    }
                }
                Err(e) => return failed(e),
            }
        }
    }

    /// Re-reads a frame or resource after "exists": adopts it, updating the fields that
    /// differ when the Boss can update them in place.
    async fn adopt_object(&self, caller: &Caller, address: &Address, desired: &Object) -> Adopt {
        let path = match object_api_path(address) {
            Ok(p) => p,
            Err(e) => return Adopt::Failed(e),
        };
        let req = HttpRequest::get(crate::services::boss::api::ID, &path);
        let body = match self.send(caller, req).await {
            Ok(b) => b,
            Err(e) if boss_code(&e) == Some(4005) => return Adopt::Deleted,
            Err(e) if e.status() == Some(404) => return Adopt::Absent,
            Err(e) => return Adopt::Failed(format!("re-reading it failed: {e}")),
        };
        let live = match address.kind {
            k_ if k_ == crate::services::boss::FRAME => serde_json::from_value::<CoordFrame>(body)
                .map(|f| frame_object(address.clone(), &f))
                .map_err(|e| e.to_string()),
            _ => match ResourcePath::parse(&address.keys[0]) {
                Ok(p) => resource_object(address.clone(), &p, body),
                Err(e) => Err(e),
            },
        };
        let live = match live {
            Ok(o) => o,
            Err(m) => return Adopt::Failed(format!("re-reading it failed: {m}")),
        };
        let (updatable, _) = attr_sets(address);
        let mut put = Map::new();
        let mut fixed = Vec::new();
        for (k, v) in &desired.attrs {
            if !create_attrs(address).contains(&k.as_str()) || v.is_null() {
                continue;
            }
            if live.attrs.get(k).is_some_and(|l| same_value(l, v)) {
                continue;
            }
            if updatable.contains(&k.as_str()) {
                put.insert(k.clone(), v.clone());
            } else {
                fixed.push(k.clone());
            }
        }
        if !fixed.is_empty() {
            return Adopt::Failed(format!(
                "{address} already exists with other {} (the Boss cannot change them in place)",
                fixed.join(", ")
            ));
        }
        tracing::info!(%address, "the Boss object exists: adopted");
        if put.is_empty() {
            return Adopt::Adopted(applied());
        }
        let req = HttpRequest::put(crate::services::boss::api::ID, path).json(&Value::Object(put));
        Adopt::Adopted(match self.send(caller, req).await {
            Ok(_) => applied(),
            Err(e) => failed(format!(
                "adopted the existing {address}, but updating it failed: {e}"
            )),
        })
    }

    async fn update_object(&self, caller: &Caller, change: &Change) -> Outcome {
        let (path, body) = match update_request(change) {
            Ok(x) => x,
            Err(e) => return failed(e),
        };
        if body.is_empty() {
            return applied();
        }
        let req = HttpRequest::put(crate::services::boss::api::ID, path).json(&Value::Object(body));
        match self.send(caller, req).await {
            Ok(_) => applied(),
            Err(e) => failed(e),
        }
    }

    async fn delete_object(&self, caller: &Caller, change: &Change) -> Outcome {
        let path = match object_api_path(&change.address) {
            Ok(p) => p,
            Err(e) => return failed(e),
        };
        match self
            .send(
                caller,
                HttpRequest::delete(crate::services::boss::api::ID, path),
            )
            .await
        {
            Ok(_) => applied(),
            // Already gone (4000) or already marked for deletion (4005).
            Err(e) if matches!(boss_code(&e), Some(4000 | 4005)) => applied(),
            Err(e) => failed(e),
        }
    }

    async fn apply_permission(&self, caller: &Caller, change: &Change) -> Outcome {
        let (path, group) = match permission_parts(&change.address) {
            Ok(p) => p,
            Err(e) => return failed(e),
        };
        let set = |o: Option<&Object>| o.map(permissions_of).unwrap_or_default();
        let calls = match change.action {
            Action::Create => match set(change.after.as_ref()) {
                s if s.is_empty() => vec![],
                s => vec![PermissionCall::Post(s)],
            },
            Action::Update => permission_update(
                &group,
                &set(change.before.as_ref()),
                &set(change.after.as_ref()),
            ),
            Action::Replace => {
                let after = set(change.after.as_ref());
                let mut calls = vec![PermissionCall::Delete];
                if !after.is_empty() {
                    calls.push(PermissionCall::Post(after));
                }
                calls
            }
            Action::Delete => vec![PermissionCall::Delete],
        };
        for call in calls {
            let req = match &call {
                PermissionCall::Post(names) => {
                    HttpRequest::post(crate::services::boss::api::ID, "/v1/permissions/")
                        .json(&permission_body(&path, &group, names))
                }
                PermissionCall::Patch(names) => {
                    HttpRequest::patch(crate::services::boss::api::ID, "/v1/permissions/")
                        .json(&permission_body(&path, &group, names))
                }
                PermissionCall::Delete => {
                    let mut r =
                        HttpRequest::delete(crate::services::boss::api::ID, "/v1/permissions/")
                            .query("group", group.clone())
                            .query("collection", path.collection.clone());
                    if let Some(e) = &path.experiment {
                        r = r.query("experiment", e.clone());
                    }
                    if let Some(ch) = &path.channel {
                        r = r.query("channel", ch.clone());
                    }
                    r
                }
            };
            match self.send(caller, req).await {
                Ok(_) => {}
                // Deleting the sets of a group or on a resource that is gone: nothing is left
                // (the Boss answers an unknown resource with 500 9002).
                Err(e)
                    if matches!(call, PermissionCall::Delete)
                        && (boss_code(&e) == Some(4001)
                            || boss_code(&e) == Some(9002)
                                && boss_message(&e).contains("does not exist")) => {}
                Err(e) => return failed(e),
            }
        }
        applied()
    }
}

/// What a group read found.
#[derive(Debug, Clone, PartialEq)]
enum GroupSeen {
    /// Readable, with its owner (the BossGroup creator).
    Readable { owner: String },
    /// It exists, but the caller is neither a member nor a maintainer.
    Unreadable(String),
}

/// The result of re-reading an object after "exists".
enum Adopt {
    Adopted(Outcome),
    Absent,
    Deleted,
    Failed(String),
}

/// The calls of one permission change.
#[derive(Debug, Clone, PartialEq, Eq)]
enum PermissionCall {
    /// `POST /v1/permissions/`: adds these names.
    Post(Vec<String>),
    /// `PATCH /v1/permissions/`: replaces the set with these names.
    Patch(Vec<String>),
    /// `DELETE /v1/permissions/?…`: removes the whole set.
    Delete,
}

/// The calls that turn a group's live set `before` into `after`: grants only post the added
/// names; otherwise the whole set is patched. The Boss patches `public` only to exactly
/// `["read"]`, so another narrowing of `public` deletes and posts the set.
fn permission_update(group: &str, before: &[String], after: &[String]) -> Vec<PermissionCall> {
    let b: BTreeSet<&String> = before.iter().collect();
    let a: BTreeSet<&String> = after.iter().collect();
    if a == b {
        return vec![];
    }
    if a.is_empty() {
        return vec![PermissionCall::Delete];
    }
    if a.is_superset(&b) {
        let added: Vec<String> = a.difference(&b).map(|s| (*s).clone()).collect();
        return vec![PermissionCall::Post(added)];
    }
    if group == PUBLIC_GROUP && after != ["read"] {
        return vec![PermissionCall::Delete, PermissionCall::Post(after.to_vec())];
    }
    vec![PermissionCall::Patch(after.to_vec())]
}

/// The body of `POST`/`PATCH /v1/permissions/`.
fn permission_body(path: &ResourcePath, group: &str, names: &[String]) -> PermissionSet {
    PermissionSet {
        group: group.to_string(),
        collection: path.collection.clone(),
        experiment: path.experiment.clone(),
        channel: path.channel.clone(),
        permissions: names.to_vec(),
        ..PermissionSet::default()
    }
}

/// A resource's path: `C`, `C/E` or `C/E/CH`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourcePath {
    /// The collection.
    pub collection: String,
    /// The experiment.
    pub experiment: Option<String>,
    /// The channel.
    pub channel: Option<String>,
}

/// A resource's level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// A collection.
    Collection,
    /// An experiment.
    Experiment,
    /// A channel.
    Channel,
}

impl ResourcePath {
    /// Parses `C`, `C/E` or `C/E/CH`.
    pub fn parse(path: &str) -> Result<ResourcePath, String> {
        let parts: Vec<&str> = path.split('/').collect();
        if parts.is_empty() || parts.len() > 3 || parts.iter().any(|p| !segment_ok(p)) {
            return Err(format!(
                "`{path}` is not a Boss resource path (COLLECTION[/EXPERIMENT[/CHANNEL]])"
            ));
        }
        Ok(ResourcePath {
            collection: parts[0].to_string(),
            experiment: parts.get(1).map(|s| s.to_string()),
            channel: parts.get(2).map(|s| s.to_string()),
        })
    }

    /// The level: the number of parts.
    pub fn level(&self) -> Level {
        match (&self.experiment, &self.channel) {
            (None, _) => Level::Collection,
            (Some(_), None) => Level::Experiment,
            (Some(_), Some(_)) => Level::Channel,
        }
    }

    /// The parent resource's path.
    pub fn parent(&self) -> Option<String> {
        match (&self.experiment, &self.channel) {
            (None, _) => None,
            (Some(_), None) => Some(self.collection.clone()),
            (Some(e), Some(_)) => Some(format!("{}/{e}", self.collection)),
        }
    }

    /// `/v1/collection/{C}[/experiment/{E}[/channel/{CH}]]`.
    pub fn api_path(&self) -> String {
        let mut p = format!("/v1/collection/{}", self.collection);
        if let Some(e) = &self.experiment {
            p.push_str(&format!("/experiment/{e}"));
            if let Some(ch) = &self.channel {
                p.push_str(&format!("/channel/{ch}"));
            }
        }
        p
    }
}

impl std::fmt::Display for ResourcePath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.collection)?;
        if let Some(e) = &self.experiment {
            write!(f, "/{e}")?;
            if let Some(ch) = &self.channel {
                write!(f, "/{ch}")?;
            }
        }
        Ok(())
    }
}

/// Whether a name can go into a URL path segment as is: Boss names, usernames and group
/// names are `[\w-]+` (the Boss's own URL patterns).
fn segment_ok(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

fn checked(kind: &str, name: &str) -> Result<(), String> {
    if segment_ok(name) {
        Ok(())
    } else {
        Err(format!("`{name}` is not a valid Boss {kind} name"))
    }
}

fn group_path_str(name: &str) -> String {
    format!("/v1/groups/{name}/")
}

fn group_path(name: &str) -> Result<String, ProviderError> {
    checked("group", name).map_err(ProviderError::NotFound)?;
    Ok(group_path_str(name))
}

fn member_path(group: &str, role: &str, user: &str) -> Result<String, String> {
    checked("group", group)?;
    checked("user", user)?;
    let list = if role == "maintainer" {
        "maintainers"
    } else {
        "members"
    };
    Ok(format!("/v1/groups/{group}/{list}/{user}"))
}

fn frame_path(name: &str) -> Result<String, String> {
    checked("coordinate frame", name)?;
    Ok(format!("/v1/coord/{name}"))
}

/// The detail path of a frame or resource address.
fn object_api_path(address: &Address) -> Result<String, String> {
    let key = address
        .keys
        .first()
        .ok_or_else(|| format!("{address}: no name"))?;
    match address.kind {
        k_ if k_ == crate::services::boss::FRAME => frame_path(key),
        k_ if k_ == crate::services::boss::RESOURCE => Ok(ResourcePath::parse(key)?.api_path()),
        other => Err(format!("{other} has no Boss resource path")),
    }
}

/// (group, `member` | `maintainer`, username) of a member address.
/// A membership's group, role, user and API path, from its address.
fn member_call(address: &Address) -> Result<(String, &'static str, String, String), String> {
    let (group, role, user) = member_parts(address)?;
    let path = member_path(&group, role, &user)?;
    Ok((group, role, user, path))
}

fn member_parts(address: &Address) -> Result<(String, &'static str, String), String> {
    let [group, role, principal] = &address.keys[..] else {
        return Err(format!("{address}: not a Boss member address"));
    };
    let role = match role.as_str() {
        "member" => "member",
        "maintainer" => "maintainer",
        other => return Err(format!("{address}: unknown Boss group role `{other}`")),
    };
    match principals::USER.name_in(principal) {
        Some(u) => Ok((group.clone(), role, u.to_string())),
        None => Err(format!(
            "{address}: a Boss group member must be a `boss-user:`"
        )),
    }
}

/// (resource path, group) of a permission address.
fn permission_parts(address: &Address) -> Result<(ResourcePath, String), String> {
    let [path, principal] = &address.keys[..] else {
        return Err(format!("{address}: not a Boss permission address"));
    };
    let path = ResourcePath::parse(path)?;
    match principals::GROUP.name_in(principal) {
        Some(g) if segment_ok(g) => Ok((path, g.to_string())),
        _ => Err(format!(
            "{address}: Boss permissions are granted to a `boss-group:`"
        )),
    }
}

/// The updatable and the create-only attributes of a frame or resource.
fn attr_sets(address: &Address) -> (&'static [&'static str], &'static [&'static str]) {
    match address.kind {
        k_ if k_ == crate::services::boss::FRAME => (FRAME_UPDATABLE, &FRAME_FIELDS),
        _ => match address
            .keys
            .first()
            .and_then(|k| ResourcePath::parse(k).ok())
            .map(|p| p.level())
        {
            Some(Level::Experiment) => (EXPERIMENT_UPDATABLE, EXPERIMENT_ATTRS),
            Some(Level::Channel) => (CHANNEL_UPDATABLE, CHANNEL_ATTRS),
            _ => (COLLECTION_UPDATABLE, COLLECTION_ATTRS),
        },
    }
}

fn create_attrs(address: &Address) -> &'static [&'static str] {
    attr_sets(address).1
}

/// The managed attributes of a collection (all updatable).
pub const COLLECTION_ATTRS: &[&str] = &["description", "public"];
const COLLECTION_UPDATABLE: &[&str] = &["description", "public"];
/// The managed attributes of an experiment.
pub const EXPERIMENT_ATTRS: &[&str] = &[
    "description",
    "public",
    "coord_frame",
    "num_hierarchy_levels",
    "hierarchy_method",
    "num_time_samples",
    "time_step",
    "time_step_unit",
];
const EXPERIMENT_UPDATABLE: &[&str] = &[
    "description",
    "public",
    "num_hierarchy_levels",
    "hierarchy_method",
    "num_time_samples",
    "time_step",
    "time_step_unit",
];
/// The managed attributes of a channel.
pub const CHANNEL_ATTRS: &[&str] = &[
    "description",
    "public",
    "type",
    "datatype",
    "default_time_sample",
    "base_resolution",
    "sources",
    "related",
];
const CHANNEL_UPDATABLE: &[&str] = &[
    "description",
    "public",
    "default_time_sample",
    "base_resolution",
    "sources",
    "related",
];

/// The path and body of a frame or resource create: the managed attributes the desired
/// object sets (`null`s left out), plus `collection` for an experiment, as intern sends it.
fn create_request(
    address: &Address,
    desired: &Object,
) -> Result<(String, Map<String, Value>), String> {
    let path = object_api_path(address)?;
    let mut body: Map<String, Value> = create_attrs(address)
        .iter()
        .filter_map(|k| {
            desired
                .attrs
                .get(*k)
                .filter(|v| !v.is_null())
                .map(|v| (k.to_string(), v.clone()))
        })
        .collect();
    if address.kind == crate::services::boss::RESOURCE {
        let p = ResourcePath::parse(&address.keys[0])?;
        if p.level() == Level::Experiment {
            body.insert("collection".into(), p.collection.clone().into());
        }
    }
    Ok((path, body))
}

/// The path and body of a frame or resource update: only the changed fields, which must be
/// ones the Boss updates in place.
fn update_request(change: &Change) -> Result<(String, Map<String, Value>), String> {
    let path = object_api_path(&change.address)?;
    let (updatable, _) = attr_sets(&change.address);
    let mut body = Map::new();
    let mut fixed = Vec::new();
    for f in &change.fields {
        if f.after.is_null() {
            continue;
        }
        if updatable.contains(&f.name.as_str()) {
            body.insert(f.name.clone(), f.after.clone());
        } else {
            fixed.push(f.name.as_str());
        }
    }
    if !fixed.is_empty() {
        return Err(format!(
            "{}: the Boss cannot change {} in place (it needs a replace)",
            change.address,
            fixed.join(", ")
        ));
    }
    Ok((path, body))
}

/// Whether two attribute values are equal, numbers compared by value (`4` = `4.0`).
fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

fn applied() -> Outcome {
    Outcome::Applied { server_id: None }
}

/// The Boss's numeric error code of a failure.
fn boss_code(e: &HttpError) -> Option<u32> {
    e.code()?.parse().ok()
}

/// The Boss's message of a failure (empty when there is none).
fn boss_message(e: &HttpError) -> String {
    match e {
        HttpError::Status { message, .. } => message.to_string(),
        HttpError::MaybeApplied { cause } => boss_message(cause),
        _ => String::new(),
    }
}

fn decode<T: serde::de::DeserializeOwned>(body: Value, what: &str) -> Result<T, ProviderError> {
    serde_json::from_value(body).map_err(|e| ProviderError::Service {
        service: "boss",
        message: format!("unexpected `{what}` response body: {e}"),
    })
}

/// A member or maintainer object, depending on its group.
fn member_object(group: &str, role: &str, user: &str, parent: &Address) -> Object {
    let mut o = Object::new(Address::new(
        crate::services::boss::MEMBER,
        [
            group.to_string(),
            role.to_string(),
            principals::user(user).to_string(),
        ],
    ));
    o.depends_on = vec![parent.clone()];
    o
}

/// Whether the Boss itself keeps this group's permission sets (`admin`, `<user>-primary`).
pub fn is_system_group(group: &str) -> bool {
    group == ADMIN_GROUP || group.ends_with("-primary")
}

/// Whether the Boss lists `user` as a maintainer without a direct grant: the group's owner
/// (through their primary group), `bossadmin`, or a member of `admin`.
pub fn is_implicit_maintainer(user: &str, owner: &str, admin_members: &BTreeSet<String>) -> bool {
    user == owner || user == BOSS_ADMIN || admin_members.contains(user)
}

/// A live permission set; depends on its resource and, for a managed group, the group.
fn permission_object(
    path: &str,
    group: &str,
    names: &[String],
    managed: &BTreeSet<String>,
) -> Object {
    let mut names = names.to_vec();
    names.sort();
    names.dedup();
    let mut o = Object::new(Address::new(
        crate::services::boss::PERMISSION,
        [path.to_string(), principals::group(group).to_string()],
    ))
    .with("permissions", names);
    o.depends_on = vec![Address::new(crate::services::boss::RESOURCE, [path])];
    if managed.contains(group) {
        o.depends_on
            .push(Address::new(crate::services::boss::GROUP, [group]));
    }
    o
}

fn place_permission(o: Object, group: &str, live: &mut LiveRead) {
    if is_system_group(group) {
        if !live.system_managed.iter().any(|s| s.address == o.address) {
            live.system_managed.push(o);
        }
    } else {
        live.state.insert(o);
    }
}

/// The sorted permission names of an object's `permissions` attribute.
fn permissions_of(o: &Object) -> Vec<String> {
    let mut names: Vec<String> = o
        .attrs
        .get("permissions")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names.dedup();
    names
}

/// The resource path of a permission set.
fn set_path(set: &PermissionSet) -> String {
    let mut p = set.collection.clone();
    if let Some(e) = set.experiment.as_deref().filter(|e| !e.is_empty()) {
        p.push('/');
        p.push_str(e);
        if let Some(ch) = set.channel.as_deref().filter(|c| !c.is_empty()) {
            p.push('/');
            p.push_str(ch);
        }
    }
    p
}

/// The live object of a coordinate frame.
fn frame_object(address: Address, f: &CoordFrame) -> Object {
    Object::new(address)
        .with("description", f.description.clone())
        .with("x_start", f.x_start)
        .with("x_stop", f.x_stop)
        .with("y_start", f.y_start)
        .with("y_stop", f.y_stop)
        .with("z_start", f.z_start)
        .with("z_stop", f.z_stop)
        .with("x_voxel_size", f.x_voxel_size)
        .with("y_voxel_size", f.y_voxel_size)
        .with("z_voxel_size", f.z_voxel_size)
        .with("voxel_unit", f.voxel_unit.clone())
}

fn sorted(mut names: Vec<String>) -> Vec<String> {
    names.sort();
    names
}

/// The live object of a collection, experiment or channel: its managed attributes and
/// `creator` (computed).
fn resource_object(address: Address, path: &ResourcePath, body: Value) -> Result<Object, String> {
    let mut o = Object::new(address);
    let err = |e: serde_json::Error| e.to_string();
    match path.level() {
        Level::Collection => {
            let c: Collection = serde_json::from_value(body).map_err(err)?;
            o = o
                .with("description", c.description)
                .with("public", c.public)
                .with("creator", c.creator)
                .with("experiments", sorted(c.experiments));
        }
        Level::Experiment => {
            let e: Experiment = serde_json::from_value(body).map_err(err)?;
            o = o
                .with("description", e.description)
                .with("public", e.public)
                .with("coord_frame", e.coord_frame)
                .with("num_hierarchy_levels", e.num_hierarchy_levels)
                .with("hierarchy_method", e.hierarchy_method)
                .with("num_time_samples", e.num_time_samples)
                .with("creator", e.creator)
                .with("channels", sorted(e.channels));
            if let Some(t) = e.time_step {
                o = o.with("time_step", t);
            }
            if let Some(u) = e.time_step_unit {
                o = o.with("time_step_unit", u);
            }
        }
        Level::Channel => {
            let c: Channel = serde_json::from_value(body).map_err(err)?;
            o = o
                .with("description", c.description)
                .with("public", c.public)
                .with("type", c.channel_type)
                .with("datatype", c.datatype)
                .with("default_time_sample", c.default_time_sample)
                .with("base_resolution", c.base_resolution)
                .with("sources", sorted(c.sources))
                .with("related", sorted(c.related))
                .with("creator", c.creator);
        }
    }
    if let Some(parent) = path.parent() {
        o.depends_on
            .push(Address::new(crate::services::boss::RESOURCE, [parent]));
    }
    Ok(o)
}

#[async_trait]
impl Provider for BossProvider {
    fn name(&self) -> &'static str {
        "boss"
    }

    fn kinds(&self) -> &'static [Kind] {
        KINDS
    }

    fn caller(&self) -> crate::service::Caller {
        match self.username() {
            Some(u) => crate::service::Caller::Principal(principals::user(u.to_string())),
            None => crate::service::Caller::Nobody,
        }
    }

    async fn read(&self, scope: &Scope) -> Result<LiveRead, ProviderError> {
        let lookups = |kind: Kind| {
            scope
                .lookups
                .iter()
                .filter(move |l| l.address.kind == kind && l.address.keys.len() == 1)
        };
        let member_groups: BTreeSet<String> = scope
            .containers
            .iter()
            .filter(|c| {
                c.address.kind == crate::services::boss::MEMBER && c.address.keys.len() == 1
            })
            .map(|c| c.address.keys[0].clone())
            .collect();
        let permission_containers: BTreeMap<String, ContainerMode> = scope
            .containers
            .iter()
            .filter(|c| {
                c.address.kind == crate::services::boss::PERMISSION && c.address.keys.len() == 1
            })
            .map(|c| (c.address.keys[0].clone(), c.mode))
            .collect();
        let group_lookups: BTreeSet<String> = lookups(crate::services::boss::GROUP)
            .map(|l| l.address.keys[0].clone())
            .collect();
        let frames: Vec<&Lookup> = lookups(crate::services::boss::FRAME).collect();
        let mut resources: Vec<&Lookup> = lookups(crate::services::boss::RESOURCE).collect();
        if group_lookups.is_empty()
            && member_groups.is_empty()
            && permission_containers.is_empty()
            && frames.is_empty()
            && resources.is_empty()
        {
            return Ok(LiveRead::default());
        }
        let caller = self.acting_user().map_err(ProviderError::Credentials)?;
        let mut live = LiveRead::default();

        // Each step's calls go out concurrently (the shared client caps them in flight) and
        // their answers are handled in order, so the live state, the system-managed list and
        // the first error are those of reading one call at a time.

        // Groups: the looked-up ones and those whose members are read.
        let mut seen_names: BTreeSet<&String> = BTreeSet::new();
        let names: Vec<&String> = group_lookups
            .iter()
            .chain(&member_groups)
            .filter(|name| seen_names.insert(*name))
            .collect();
        let calls: Vec<_> = names
            .iter()
            .map(|name| self.read_group(caller, name))
            .collect();
        let read = self.http.concurrently(calls).await;
        let mut groups: BTreeMap<String, GroupSeen> = BTreeMap::new();
        for (name, seen) in names.into_iter().zip(read) {
            if let Some(seen) = seen? {
                let mut o = Object::new(Address::new(crate::services::boss::GROUP, [name.clone()]));
                if let GroupSeen::Readable { owner } = &seen {
                    o = o.with("owner", owner.clone());
                }
                live.state.insert(o);
                groups.insert(name.clone(), seen);
            }
        }

        // Members and maintainers; the members of `admin` are read once, while placing them.
        let groups = &groups;
        let calls: Vec<_> = member_groups
            .iter()
            .map(|g| async move {
                match groups.get(g) {
                    None => Ok(None),
                    Some(GroupSeen::Unreadable(why)) => Err(ProviderError::Service {
                        service: "boss",
                        message: format!(
                            "boss.member[{g:?}]: {} is neither a member nor a maintainer of Boss group {g}, so its members cannot be read ({why}); make {} a maintainer of it",
                            caller.username, caller.username
                        ),
                    }),
                    Some(GroupSeen::Readable { owner }) => self
                        .fetch_members(caller, g)
                        .await
                        .map(|lists| Some((owner, lists))),
                }
            })
            .collect();
        let lists = self.http.concurrently(calls).await;
        let mut admin: Option<BTreeSet<String>> = None;
        for (g, lists) in member_groups.iter().zip(lists) {
            if let Some((owner, lists)) = lists? {
                self.place_members(caller, g, owner, lists, &mut admin, &mut live)
                    .await?;
            }
        }

        let calls: Vec<_> = frames.iter().map(|l| self.read_frame(caller, l)).collect();
        let read = self.http.concurrently(calls).await;
        for frame in read {
            if let Some(o) = frame? {
                live.state.insert(o);
            }
        }

        // Resources level by level, parents first: a child of an absent parent is absent
        // without a call.
        let depth = |l: &&Lookup| l.address.keys[0].matches('/').count();
        resources.sort_by_key(|l| (depth(l), l.address.keys[0].clone()));
        let mut absent: BTreeSet<String> = BTreeSet::new();
        for level in resources.chunk_by(|a, b| depth(a) == depth(b)) {
            let parent_absent: Vec<bool> = level
                .iter()
                .map(|l| {
                    ResourcePath::parse(&l.address.keys[0])
                        .ok()
                        .and_then(|p| p.parent())
                        .is_some_and(|parent| absent.contains(&parent))
                })
                .collect();
            let calls: Vec<_> = level
                .iter()
                .zip(&parent_absent)
                .map(|(lookup, &parent_absent)| async move {
                    if parent_absent {
                        Ok(None)
                    } else {
                        self.read_resource(caller, lookup).await
                    }
                })
                .collect();
            let read = self.http.concurrently(calls).await;
            for (lookup, object) in level.iter().zip(read) {
                match object? {
                    Some(o) => {
                        live.state.insert(o);
                    }
                    None => {
                        absent.insert(lookup.address.keys[0].clone());
                    }
                }
            }
        }

        if !permission_containers.is_empty() {
            let managed: BTreeSet<String> = groups.keys().cloned().collect();
            let managed: BTreeSet<String> = managed.intersection(&group_lookups).cloned().collect();
            self.read_permissions(caller, &permission_containers, &managed, &absent, &mut live)
                .await?;
        }
        Ok(live)
    }

    async fn apply(&self, changes: &[Change], _ids: &IdMap) -> Vec<Outcome> {
        let mut out = Vec::with_capacity(changes.len());
        for c in changes {
            out.push(self.apply_one(c).await);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::FieldChange;
    use serde_json::json;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn change(address: Address, action: Action) -> Change {
        Change::new(address, action)
    }

    #[test]
    fn grants_only_post_the_added_names() {
        assert_eq!(
            permission_update("lab", &strings(&["read"]), &strings(&["add", "read"])),
            vec![PermissionCall::Post(strings(&["add"]))]
        );
        assert_eq!(
            permission_update("lab", &[], &strings(&["read"])),
            vec![PermissionCall::Post(strings(&["read"]))]
        );
    }

    #[test]
    fn any_removal_patches_the_whole_set() {
        assert_eq!(
            permission_update("lab", &strings(&["add", "read"]), &strings(&["read"])),
            vec![PermissionCall::Patch(strings(&["read"]))]
        );
        assert_eq!(
            permission_update(
                "lab",
                &strings(&["add", "read"]),
                &strings(&["read", "update"])
            ),
            vec![PermissionCall::Patch(strings(&["read", "update"]))]
        );
        assert_eq!(
            permission_update("lab", &strings(&["read"]), &[]),
            vec![PermissionCall::Delete]
        );
        assert_eq!(
            permission_update("lab", &strings(&["read"]), &strings(&["read"])),
            vec![]
        );
    }

    #[test]
    fn public_is_patched_only_to_read() {
        assert_eq!(
            permission_update(
                "public",
                &strings(&["read", "read_volumetric_data"]),
                &strings(&["read"])
            ),
            vec![PermissionCall::Patch(strings(&["read"]))]
        );
        assert_eq!(
            permission_update(
                "public",
                &strings(&["read", "read_volumetric_data"]),
                &strings(&["read_volumetric_data"])
            ),
            vec![
                PermissionCall::Delete,
                PermissionCall::Post(strings(&["read_volumetric_data"]))
            ]
        );
    }

    #[test]
    fn create_bodies_hold_the_managed_attrs_set() {
        let a = Address::new(crate::services::boss::RESOURCE, ["C/E"]);
        let desired = Object::new(a.clone())
            .with("coord_frame", "f1")
            .with("description", "d")
            .with("time_step", Value::Null)
            .with("creator", "someone")
            .with("unknown", 1);
        let (path, body) = create_request(&a, &desired).unwrap();
        assert_eq!(path, "/v1/collection/C/experiment/E");
        assert_eq!(
            Value::Object(body),
            json!({"coord_frame": "f1", "description": "d", "collection": "C"})
        );

        let ch = Address::new(crate::services::boss::RESOURCE, ["C/E/CH"]);
        let desired = Object::new(ch.clone())
            .with("type", "image")
            .with("datatype", "uint8")
            .with("sources", json!(["a"]));
        let (path, body) = create_request(&ch, &desired).unwrap();
        assert_eq!(path, "/v1/collection/C/experiment/E/channel/CH");
        assert_eq!(
            Value::Object(body),
            json!({"type": "image", "datatype": "uint8", "sources": ["a"]})
        );

        let f = Address::new(crate::services::boss::FRAME, ["f1"]);
        let desired = Object::new(f.clone())
            .with("x_start", 0)
            .with("x_voxel_size", 4.0)
            .with("voxel_unit", "nanometers");
        let (path, body) = create_request(&f, &desired).unwrap();
        assert_eq!(path, "/v1/coord/f1");
        assert_eq!(
            Value::Object(body),
            json!({"x_start": 0, "x_voxel_size": 4.0, "voxel_unit": "nanometers"})
        );
    }

    #[test]
    fn update_bodies_hold_only_changed_updatable_fields() {
        let a = Address::new(crate::services::boss::RESOURCE, ["C/E/CH"]);
        let mut c = change(a, Action::Update);
        c.fields = vec![
            FieldChange {
                name: "description".into(),
                before: json!("old"),
                after: json!("new"),
            },
            FieldChange {
                name: "related".into(),
                before: json!([]),
                after: json!(["x"]),
            },
        ];
        let (path, body) = update_request(&c).unwrap();
        assert_eq!(path, "/v1/collection/C/experiment/E/channel/CH");
        assert_eq!(
            Value::Object(body),
            json!({"description": "new", "related": ["x"]})
        );
        c.fields.push(FieldChange {
            name: "datatype".into(),
            before: json!("uint8"),
            after: json!("uint16"),
        });
        let e = update_request(&c).unwrap_err();
        assert!(e.contains("datatype") && e.contains("replace"), "{e}");

        let mut f = change(
            Address::new(crate::services::boss::FRAME, ["f1"]),
            Action::Update,
        );
        f.fields = vec![FieldChange {
            name: "x_stop".into(),
            before: json!(1),
            after: json!(2),
        }];
        assert!(update_request(&f).is_err());
    }

    #[test]
    fn system_managed_classification() {
        assert!(is_system_group("admin"));
        assert!(is_system_group("alice-primary"));
        assert!(!is_system_group("public"));
        assert!(!is_system_group("lab"));
        let admins = BTreeSet::from(["root".to_string()]);
        assert!(is_implicit_maintainer("alice", "alice", &admins));
        assert!(is_implicit_maintainer("bossadmin", "alice", &admins));
        assert!(is_implicit_maintainer("root", "alice", &admins));
        assert!(!is_implicit_maintainer("bob", "alice", &admins));
    }

    #[test]
    fn addresses_parse_into_calls() {
        let m = Address::new(
            crate::services::boss::MEMBER,
            ["lab", "maintainer", "boss-user:bob"],
        );
        let (g, role, u) = member_parts(&m).unwrap();
        assert_eq!(
            member_path(&g, role, &u).unwrap(),
            "/v1/groups/lab/maintainers/bob"
        );
        let bad = Address::new(
            crate::services::boss::MEMBER,
            ["lab", "admin", "boss-user:bob"],
        );
        assert!(member_parts(&bad).is_err());
        let p = Address::new(crate::services::boss::PERMISSION, ["C/E", "boss-group:lab"]);
        let (path, group) = permission_parts(&p).unwrap();
        assert_eq!((path.to_string(), group.as_str()), ("C/E".into(), "lab"));
        assert_eq!(
            serde_json::to_value(permission_body(&path, &group, &strings(&["read"]))).unwrap(),
            json!({"group": "lab", "collection": "C", "experiment": "E", "permissions": ["read"]})
        );
        assert!(ResourcePath::parse("a/b/c/d").is_err());
        assert!(ResourcePath::parse("a//c").is_err());
        assert!(ResourcePath::parse("a?x").is_err());
    }

    #[test]
    fn credentials_need_both_variables() {
        let fb = BossCredentials::new("seed-user", "seed-token");
        assert_eq!(BossCredentials::pick(None, None, Some(&fb)).unwrap(), fb);
        assert_eq!(
            BossCredentials::pick(Some("t".into()), Some("u".into()), Some(&fb)).unwrap(),
            BossCredentials::new("u", "t")
        );
        let e = BossCredentials::pick(Some("t".into()), None, Some(&fb)).unwrap_err();
        assert!(e.contains(ENV_BOSS_USERNAME), "{e}");
        let e = BossCredentials::pick(None, None, None).unwrap_err();
        assert!(
            e.contains(ENV_BOSS_TOKEN) && e.contains(ENV_BOSS_USERNAME),
            "{e}"
        );
        assert!(!format!("{:?}", BossCredentials::new("u", "s3cr3t")).contains("s3cr3t"));
    }

    #[test]
    fn numbers_compare_by_value() {
        assert!(same_value(&json!(4), &json!(4.0)));
        assert!(!same_value(&json!(4), &json!(5)));
        assert!(same_value(&json!("a"), &json!("a")));
    }
}
