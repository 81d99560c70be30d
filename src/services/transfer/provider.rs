//! Globus Transfer: ACL rules of endpoints and collections, and directories (mkdir).
//!
//! A rule's address is `[collection, path, principal]`, the principal keyed as the core keys
//! it (`identity:<uuid>`, `group:<policy-name>` for a managed group, `group:<uuid>`,
//! `all_authenticated_users`, `anonymous`). Live rules carry `permissions`, `expires` (RFC
//! 3339 UTC with `Z`, or null) and `create_time`, with `server_id` = the rule id. Rules the
//! service derives from a collection role (`role_id` set, `id` null) are system-managed.
//!
//! A directory `transfer.directory[C][PATH]` is read when the scope holds a [`Lookup`] of kind
//! `transfer.directory` at that address: Transfer `stat` says whether the path exists (404
//! `NotFound`: absent). Creating it is a mkdir; an existing path
//! (`ExternalError.MkdirFailed.Exists`) counts as applied. Directories are never deleted.
//!
//! The collection key `C` of an ACL container, rule or directory is an endpoint or collection
//! UUID, or the policy name `N` of a guest collection accord creates: its id comes from
//! `Scope::collection_ids[N]` when reading (no id yet: the collection does not exist, so it has
//! no rules or directories) and from the id map's [`named_collection`] when
//! applying. Addresses keep `N`; only the calls use the id.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use serde_json::Value;

use crate::http::{HttpClient, HttpError, HttpRequest};
use crate::plan::{Action, Change};
use crate::service::{
    Caller, IdMap, LiveRead, Lookup, Outcome, Provider, ProviderError, Scope, failed,
};
use crate::services::transfer::wire::{
    AccessCreateResult, AccessList, AccessRule, AccessRuleCreate, AccessRuleUpdate, MkdirRequest,
    PrincipalType,
};
use crate::state::{Address, Kind, Object, Principal};

const KINDS: &[Kind] = &[
    crate::services::transfer::ACL,
    crate::services::transfer::DIRECTORY,
];

/// Rules asked for per page of `access_list` (the service may not page at all).
const PAGE_LIMIT: u64 = 1000;

/// The Globus Transfer provider.
#[derive(Debug, Clone)]
pub struct TransferProvider {
    http: Arc<HttpClient>,
}

/// The wire form of a principal: `principal_type` and bare `principal`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct WirePrincipal {
    principal_type: PrincipalType,
    principal: String,
}

impl TransferProvider {
    /// A provider sending through the shared client.
    pub fn new(http: Arc<HttpClient>) -> Self {
        TransferProvider { http }
    }

    /// Every rule of a collection's access list (all pages).
    pub async fn access_list(&self, collection: &str) -> Result<Vec<AccessRule>, HttpError> {
        let path = format!("/v0.10/endpoint/{collection}/access_list");
        let mut rules = Vec::new();
        let mut offset: u64 = 0;
        loop {
            let req = HttpRequest::get(crate::services::transfer::api::ID, &path)
                .query("limit", PAGE_LIMIT.to_string())
                .query("offset", offset.to_string());
            let page: AccessList = self.http.send(&req).await?.json()?;
            let got = page.data.len() as u64;
            rules.extend(page.data);
            let more = page.extra.get("has_next_page").and_then(Value::as_bool);
            let total = page.total;
            offset += got;
            let next = match (more, total) {
                (Some(m), _) => m,
                (None, Some(t)) => offset < t,
                (None, None) => false,
            };
            if !next || got == 0 {
                return Ok(rules);
            }
        }
    }

    /// Whether a path exists on a collection (Transfer `stat`); `false` on 404 `NotFound`.
    pub async fn stat_exists(&self, collection: &str, path: &str) -> Result<bool, HttpError> {
        let req = HttpRequest::get(
            crate::services::transfer::api::ID,
            format!("/v0.10/operation/endpoint/{collection}/stat"),
        )
        .query("path", path);
        match self.http.send(&req).await {
            Ok(resp) => {
                if resp.body.get("type").and_then(Value::as_str) == Some("file") {
                    tracing::warn!(%collection, %path, "a file, not a directory, is at this path");
                }
                Ok(true)
            }
            Err(e) if e.status() == Some(404) && e.code() != Some("EndpointNotFound") => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Reads one directory lookup into the live state (absent paths are left out).
    async fn read_directory(
        &self,
        lookup: &Lookup,
        scope: &Scope,
        live: &mut LiveRead,
    ) -> Result<(), ProviderError> {
        let [key, path] = &lookup.address.keys[..] else {
            return Ok(());
        };
        let Some(collection) = read_collection_id(key, scope) else {
            // A guest collection that does not exist yet holds no directories.
            return Ok(());
        };
        let exists = self.stat_exists(&collection, path).await.map_err(|e| {
            if e.code() == Some("EndpointNotFound") {
                ProviderError::NotFound(format!("collection or endpoint {key}: {e}"))
            } else {
                e.into()
            }
        })?;
        if exists {
            live.state.insert(Object::new(lookup.address.clone()));
        }
        Ok(())
    }

    async fn apply_one(&self, change: &Change, ids: &IdMap) -> Outcome {
        match change.address.kind {
            k_ if k_ == crate::services::transfer::ACL => match change.action {
                Action::Create => self.create_rule(change, ids).await,
                Action::Update => self.update_rule(change, ids).await,
                Action::Delete => self.delete_rule(change, ids).await,
                Action::Replace => match self.delete_rule(change, ids).await {
                    Outcome::Applied { .. } => self.create_rule(change, ids).await,
                    other => other,
                },
            },
            k_ if k_ == crate::services::transfer::DIRECTORY => match change.action {
                Action::Delete => failed(format!(
                    "{}: accord never deletes directories",
                    change.address
                )),
                _ => self.mkdir(change, ids).await,
            },
            other => failed(format!("the transfer provider does not manage {other}")),
        }
    }

    async fn mkdir(&self, change: &Change, ids: &IdMap) -> Outcome {
        let [key, path] = &change.address.keys[..] else {
            return failed(format!("{}: not a directory address", change.address));
        };
        let collection = match apply_collection_id(key, ids) {
            Ok(c) => c,
            Err(e) => return failed(format!("{}: {e}", change.address)),
        };
        let req = HttpRequest::post(
            crate::services::transfer::api::ID,
            format!("/v0.10/operation/endpoint/{collection}/mkdir"),
        )
        .json(&MkdirRequest::new(path.clone()));
        match self.http.send(&req).await {
            Ok(_) => Outcome::Applied { server_id: None },
            Err(e) if e.code() == Some("ExternalError.MkdirFailed.Exists") => {
                Outcome::Applied { server_id: None }
            }
            Err(e) => failed(e),
        }
    }

    async fn create_rule(&self, change: &Change, ids: &IdMap) -> Outcome {
        let Some(after) = &change.after else {
            return failed("create without a desired object");
        };
        let [key, path, principal_key] = &change.address.keys[..] else {
            return failed(format!("{}: not an ACL rule address", change.address));
        };
        let collection = match apply_collection_id(key, ids) {
            Ok(c) => c,
            Err(e) => return failed(format!("{}: {e}", change.address)),
        };
        let collection = collection.as_str();
        let wire = match wire_principal(principal_key, ids) {
            Ok(w) => w,
            Err(e) => return failed(format!("{}: {e}", change.address)),
        };
        let permissions = after.str_attr("permissions").unwrap_or("r").to_string();
        let expiration = match wire_expiration(after.attrs.get("expires")) {
            Ok(e) => e,
            Err(e) => return failed(format!("{}: {e}", change.address)),
        };
        let create = AccessRuleCreate {
            data_type: "access".into(),
            principal_type: wire.principal_type.clone(),
            principal: wire.principal.clone(),
            path: path.clone(),
            permissions: permissions.clone(),
            notify_email: after.str_attr("notify_email").map(str::to_string),
            notify_message: after.str_attr("notify_message").map(str::to_string),
            expiration_date: expiration.clone(),
            extra: Default::default(),
        };
        // `expiration_date` is always sent: null means "never expires".
        let mut body = serde_json::to_value(&create).unwrap_or(Value::Null);
        if let Value::Object(m) = &mut body {
            m.insert(
                "expiration_date".into(),
                expiration.clone().map_or(Value::Null, Value::from),
            );
        }
        let req = HttpRequest::post(
            crate::services::transfer::api::ID,
            format!("/v0.10/endpoint/{collection}/access"),
        )
        .create();
        let req = HttpRequest {
            json: Some(body),
            ..req
        };
        let mut backoff = self.http.create_backoff();
        loop {
            match self.http.send(&req).await {
                Ok(resp) => {
                    return match resp.json::<AccessCreateResult>() {
                        Ok(r) => {
                            ids.insert(change.address.clone(), r.access_id.clone());
                            Outcome::Applied {
                                server_id: Some(r.access_id),
                            }
                        }
                        Err(e) => failed(e),
                    };
                }
                Err(e) if e.code() == Some("Exists") => {
                    return self
                        .adopt(
                            change,
                            ids,
                            collection,
                            path,
                            &wire,
                            &permissions,
                            &expiration,
                        )
                        .await
                        .unwrap_or_else(|| {
                            failed(format!(
                                "{e}; but no rule for this principal and path was found on re-read"
                            ))
                        });
                }
                Err(e) if e.is_maybe_applied() => {
                    // Never resend blindly: re-read the access list and adopt the rule if there.
                    if !self.http.pause_before_retry(&mut backoff, &e).await {
                        return failed(e);
                    }
                    if let Some(outcome) = self
                        .adopt(
                            change,
                            ids,
                            collection,
                            path,
                            &wire,
                            &permissions,
                            &expiration,
                        )
                        .await
                    {
                        return outcome;
                    }
                }
                Err(e) => return failed(e),
            }
        }
    }

    /// Re-reads the access list and adopts the rule for (principal, path), updating it if its
    /// permissions or expiration differ. `None` when the rule is not there.
    #[allow(clippy::too_many_arguments)]
    async fn adopt(
        &self,
        change: &Change,
        ids: &IdMap,
        collection: &str,
        path: &str,
        wire: &WirePrincipal,
        permissions: &str,
        expiration: &Option<String>,
    ) -> Option<Outcome> {
        let rules = match self.access_list(collection).await {
            Ok(r) => r,
            Err(e) => return Some(failed(format!("re-reading the access list failed: {e}"))),
        };
        let rule = rules.into_iter().find(|r| {
            r.id.is_some()
                && r.path == path
                && r.principal_type == wire.principal_type
                && r.principal.eq_ignore_ascii_case(&wire.principal)
        })?;
        let id = rule.id.clone().unwrap_or_default();
        ids.insert(change.address.clone(), id.clone());
        let live_exp = rule.expiration_date.as_deref().map(normalize_timestamp);
        let want_exp = expiration.as_deref().map(normalize_timestamp);
        let differs = rule.permissions != permissions || live_exp != want_exp;
        if differs
            && let Err(e) = self
                .put_rule(collection, &id, permissions, expiration.clone())
                .await
        {
            return Some(failed(format!(
                "adopted existing rule {id}, but updating it failed: {e}"
            )));
        }
        tracing::info!(rule = %id, address = %change.address, "adopted existing ACL rule");
        Some(Outcome::Applied {
            server_id: Some(id),
        })
    }

    async fn put_rule(
        &self,
        collection: &str,
        id: &str,
        permissions: &str,
        expiration: Option<String>,
    ) -> Result<(), HttpError> {
        let body = AccessRuleUpdate {
            data_type: "access".into(),
            id: None,
            permissions: Some(permissions.to_string()),
            expiration_date: Some(expiration),
            extra: Default::default(),
        };
        let req = HttpRequest::put(
            crate::services::transfer::api::ID,
            format!("/v0.10/endpoint/{collection}/access/{id}"),
        )
        .json(&body);
        self.http.send(&req).await.map(|_| ())
    }

    async fn update_rule(&self, change: &Change, ids: &IdMap) -> Outcome {
        let Some(id) = server_id(change, ids) else {
            return failed(format!("{}: no known rule id", change.address));
        };
        let collection = match apply_collection_id(&change.address.keys[0], ids) {
            Ok(c) => c,
            Err(e) => return failed(format!("{}: {e}", change.address)),
        };
        let pick = |field: &str| {
            change
                .after
                .as_ref()
                .and_then(|a| a.attrs.get(field))
                .or_else(|| change.before.as_ref().and_then(|b| b.attrs.get(field)))
        };
        let Some(permissions) = pick("permissions").and_then(Value::as_str) else {
            return failed(format!("{}: no permissions to set", change.address));
        };
        let expiration = match wire_expiration(pick("expires")) {
            Ok(e) => e,
            Err(e) => return failed(format!("{}: {e}", change.address)),
        };
        match self
            .put_rule(&collection, &id, permissions, expiration)
            .await
        {
            Ok(()) => Outcome::Applied {
                server_id: Some(id),
            },
            Err(e) => failed(e),
        }
    }

    async fn delete_rule(&self, change: &Change, ids: &IdMap) -> Outcome {
        let Some(id) = server_id(change, ids) else {
            return failed(format!("{}: no known rule id", change.address));
        };
        let collection = match apply_collection_id(&change.address.keys[0], ids) {
            Ok(c) => c,
            Err(e) => return failed(format!("{}: {e}", change.address)),
        };
        let req = HttpRequest::delete(
            crate::services::transfer::api::ID,
            format!("/v0.10/endpoint/{collection}/access/{id}"),
        );
        match self.http.send(&req).await {
            Ok(_) => Outcome::Applied { server_id: None },
            Err(e) if e.code() == Some("AccessRuleNotFound") || e.status() == Some(404) => {
                Outcome::Applied { server_id: None }
            }
            Err(e) => failed(e),
        }
    }
}

/// The key under which the id of a collection the policy names by name (a guest collection)
/// is recorded, by the read or the create that finds it: the partial rule address of that
/// collection.
pub fn named_collection(name: &str) -> Address {
    Address::partial(super::ACL, [name.to_string()])
}

/// The live id of a collection key when reading: a UUID names itself, a guest collection's
/// policy name maps through the id an earlier read found (`Scope::known_ids`); `None` when it
/// does not exist yet.
fn read_collection_id(key: &str, scope: &Scope) -> Option<String> {
    match key.parse::<uuid::Uuid>() {
        Ok(_) => Some(key.to_string()),
        Err(_) => scope.known_ids.get(&named_collection(key)).cloned(),
    }
}

/// The live id of a collection key when applying: a UUID names itself, a guest collection's
/// policy name maps through the id map's [`named_collection`].
fn apply_collection_id(key: &str, ids: &IdMap) -> Result<String, String> {
    match key.parse::<uuid::Uuid>() {
        Ok(_) => Ok(key.to_string()),
        Err(_) => ids.get(&named_collection(key)).ok_or_else(|| {
            format!("the id of guest collection {key} is not known (was it created?)")
        }),
    }
}

/// The wire principal of an address's principal key (a managed group through the id map).
fn wire_principal(key: &str, ids: &IdMap) -> Result<WirePrincipal, String> {
    let principal: Principal = key.parse().map_err(|e| format!("{e}"))?;
    let (principal_type, principal) = match principal {
        Principal::Identity(u) => (PrincipalType::Identity, u.to_string()),
        Principal::Group(u) => (PrincipalType::Group, u.to_string()),
        Principal::ManagedGroup(name) => {
            let id = ids
                .get(&Address::new(
                    crate::services::groups::GROUP,
                    [name.clone()],
                ))
                .ok_or_else(|| format!("the id of group {name} is not known (was it created?)"))?;
            (PrincipalType::Group, id)
        }
        Principal::AllAuthenticatedUsers => (PrincipalType::AllAuthenticatedUsers, String::new()),
        Principal::Anonymous => (PrincipalType::Anonymous, String::new()),
        other => return Err(format!("Transfer rules cannot grant to `{other}`")),
    };
    Ok(WirePrincipal {
        principal_type,
        principal,
    })
}

/// The principal key of a live rule; `None` for a principal type accord does not know.
fn principal_key(rule: &AccessRule, group_names: &BTreeMap<String, String>) -> Option<String> {
    Some(match &rule.principal_type {
        PrincipalType::Identity => match rule.principal.parse::<uuid::Uuid>() {
            Ok(u) => Principal::Identity(u).to_string(),
            Err(_) => return None,
        },
        PrincipalType::Group => {
            let id = rule.principal.to_ascii_lowercase();
            match group_names
                .get(&rule.principal)
                .or_else(|| group_names.get(&id))
            {
                Some(name) => Principal::ManagedGroup(name.clone()).to_string(),
                None => match id.parse::<uuid::Uuid>() {
                    Ok(u) => Principal::Group(u).to_string(),
                    Err(_) => return None,
                },
            }
        }
        PrincipalType::AllAuthenticatedUsers => Principal::AllAuthenticatedUsers.to_string(),
        PrincipalType::Anonymous => Principal::Anonymous.to_string(),
        PrincipalType::Other(_) => return None,
    })
}

/// Normalises a Transfer timestamp to RFC 3339 UTC with `Z` (`2026-12-31T00:00:00Z`);
/// text that is not a timestamp is returned unchanged.
pub fn normalize_timestamp(s: &str) -> String {
    parse_timestamp(s)
        .map(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
        .unwrap_or_else(|| s.to_string())
}

fn parse_timestamp(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f%:z",
    ] {
        if let Ok(t) = DateTime::parse_from_str(s, fmt) {
            return Some(t.with_timezone(&Utc));
        }
        if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(t.and_utc());
        }
    }
    None
}

/// The wire form of an `expires` attribute: `+00:00` offset as Transfer writes it, or `None`.
fn wire_expiration(expires: Option<&Value>) -> Result<Option<String>, String> {
    match expires {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => parse_timestamp(s)
            .map(|t| Some(t.format("%Y-%m-%dT%H:%M:%S+00:00").to_string()))
            .ok_or_else(|| format!("expires `{s}` is not an RFC 3339 timestamp")),
        Some(other) => Err(format!("expires `{other}` is not a timestamp")),
    }
}

/// The server id of the object a change acts on: the live object's, or one recorded since.
fn server_id(change: &Change, ids: &IdMap) -> Option<String> {
    change
        .before
        .as_ref()
        .and_then(|b| b.server_id.clone())
        .or_else(|| ids.get(&change.address))
}

/// Whether a path lies under one of the managed paths (all paths when none are given).
fn under_managed(path: &str, manage_paths: &[String]) -> bool {
    manage_paths.is_empty() || manage_paths.iter().any(|m| path.starts_with(m.as_str()))
}

/// The live object of a rule.
fn rule_object(address: Address, rule: &AccessRule) -> Object {
    let mut o = Object::new(address)
        .with("permissions", rule.permissions.clone())
        .with(
            "expires",
            rule.expiration_date
                .as_deref()
                .map_or(Value::Null, |e| Value::from(normalize_timestamp(e))),
        )
        .with(
            "create_time",
            rule.create_time
                .as_deref()
                .map_or(Value::Null, |e| Value::from(normalize_timestamp(e))),
        );
    o.server_id = rule.id.clone();
    o
}

#[async_trait]
impl Provider for TransferProvider {
    fn name(&self) -> &'static str {
        "transfer"
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
        let mut live = LiveRead::default();
        for lookup in &scope.lookups {
            if lookup.address.kind == crate::services::transfer::DIRECTORY {
                self.read_directory(lookup, scope, &mut live).await?;
            }
        }
        // Every container's access list, read concurrently (the shared client caps requests
        // in flight and paces Transfer's rate), kept in container order.
        let wanted = scope.containers.iter().filter_map(|container| {
            if container.address.kind != crate::services::transfer::ACL {
                return None;
            }
            let key = container.address.keys.first()?;
            // A guest collection that does not exist yet has no rules.
            let id = read_collection_id(key, scope)?;
            Some((container, key, id))
        });
        let wanted: Vec<_> = wanted.collect();
        let calls: Vec<_> = wanted
            .iter()
            .map(|(_, _, id)| self.access_list(id))
            .collect();
        let got = self.http.concurrently(calls).await;
        let lists = wanted
            .into_iter()
            .zip(got)
            .map(|((container, key, _), rules)| (container, key, rules));
        for (container, collection, rules) in lists {
            let rules = match rules {
                Ok(rules) => rules,
                Err(e) if e.code() == Some("EndpointNotFound") => {
                    let msg = format!("collection or endpoint {collection}: {e}");
                    return Err(ProviderError::NotFound(msg));
                }
                // An endpoint without access rules (`acl_available: false`) answers 400: the
                // plan refuses the rules the policy gives it, naming them.
                Err(e) if e.status() == Some(400) => {
                    live.unavailable
                        .push((container.address.clone(), e.to_string()));
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            for rule in rules {
                if !under_managed(&rule.path, &container.manage_paths) {
                    continue;
                }
                let key = principal_key(&rule, &scope.group_names).unwrap_or_else(|| {
                    format!("{}:{}", rule.principal_type.as_str(), rule.principal)
                });
                let address = Address::new(
                    crate::services::transfer::ACL,
                    [collection.clone(), rule.path.clone(), key],
                );
                let mut object = rule_object(address, &rule);
                if rule.is_role_derived() || rule.id.is_none() {
                    if let Some(role) = &rule.role_type {
                        object = object.with("role_type", role.clone());
                    }
                    if let Some(role_id) = &rule.role_id {
                        object = object.with("role_id", role_id.clone());
                    }
                    live.system_managed.push(object);
                } else if matches!(rule.principal_type, PrincipalType::Other(_)) {
                    live.system_managed.push(object);
                } else {
                    live.state.insert(object);
                }
            }
        }
        Ok(live)
    }

    async fn apply(&self, changes: &[Change], ids: &IdMap) -> Vec<Outcome> {
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
    fn timestamps_normalise_to_z() {
        assert_eq!(
            normalize_timestamp("2026-12-31T00:00:00+00:00"),
            "2026-12-31T00:00:00Z"
        );
        assert_eq!(
            normalize_timestamp("2026-12-31T02:00:00+02:00"),
            "2026-12-31T00:00:00Z"
        );
        assert_eq!(
            normalize_timestamp("2026-12-31 00:00:00"),
            "2026-12-31T00:00:00Z"
        );
        assert_eq!(normalize_timestamp("garbage"), "garbage");
    }

    #[test]
    fn expiration_goes_out_with_offset() {
        assert_eq!(
            wire_expiration(Some(&Value::from("2026-12-31T00:00:00Z"))).unwrap(),
            Some("2026-12-31T00:00:00+00:00".into())
        );
        assert_eq!(wire_expiration(Some(&Value::Null)).unwrap(), None);
        assert!(wire_expiration(Some(&Value::from("soon"))).is_err());
    }

    #[test]
    fn principals_round_trip() {
        let ids = IdMap::default();
        ids.insert(
            Address::new(crate::services::groups::GROUP, ["lab"]),
            "8b7d57bc-1666-11ec-88b2-f50515619d57".into(),
        );
        let w = wire_principal("group:lab", &ids).unwrap();
        assert_eq!(w.principal_type, PrincipalType::Group);
        assert_eq!(w.principal, "8b7d57bc-1666-11ec-88b2-f50515619d57");
        assert!(wire_principal("group:nolab", &ids).is_err());
        let w = wire_principal("anonymous", &ids).unwrap();
        assert_eq!(w.principal, "");
    }

    #[test]
    fn managed_paths() {
        assert!(under_managed("/a/b/", &[]));
        assert!(under_managed("/a/b/", &["/a/".into()]));
        assert!(!under_managed("/c/", &["/a/".into()]));
    }
}
