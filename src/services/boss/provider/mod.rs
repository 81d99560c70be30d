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
//!   `GET /v1/groups/admin/members/` per read, only when a maintainer needs classifying and
//!   the caller may read them, `read::admin_read_needed`) are system-managed;
//! - a [`Lookup`] `boss.frame[F]` or `boss.resource[PATH]`: one `GET` each (404: absent; a
//!   child of an absent parent is absent without a call);
//! - containers `boss.permission[PATH]`: one `GET /v1/permissions/?group=G` per looked-up
//!   group that exists, and one for `public`; an authoritative container also reads
//!   `GET /v1/permissions/?collection=…` (sets of the groups the caller belongs to). The sets
//!   of `admin` and of `<user>-primary` groups are system-managed.
//!
//! `read` goes step by step (groups, their lists, frames, resources one level at a time,
//! permission sets); the calls of a step go out concurrently, up to the client's
//! `read_concurrency` (`--read-parallelism`), and are handled in order, so the result and the first error are those of
//! one call at a time.
//!
//! `apply` sends the fewest correct calls (see the table in `docs/boss-model.md`). A create
//! answered "exists" (6001 for groups, 400 1003 for frames and resources) or failing in a way
//! that may have reached the Boss is re-read by name and adopted, never blindly resent. A
//! member or maintainer add answered 404 4002 (the user never logged in) is blocked.
//!
//! [`Lookup`]: crate::service::Lookup

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::Value;

use crate::http::{AuthMode, HttpClient, HttpError, HttpRequest, Secret};
use crate::plan::Change;
use crate::service::{IdMap, LiveRead, Outcome, Provider, ProviderError, Scope};
use crate::services::boss::principals;
use crate::state::Kind;

mod apply;
mod objects;
mod paths;
mod read;

pub use objects::{is_implicit_maintainer, is_system_group};
pub use paths::{CHANNEL_ATTRS, COLLECTION_ATTRS, EXPERIMENT_ATTRS, Level, ResourcePath};

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
        self.read_scope(scope).await
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
mod tests;
