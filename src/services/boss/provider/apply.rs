//! What `apply` sends the Boss: group, membership, frame and resource creates (adopting what
//! exists), updates and deletes, and the fewest permission calls that reach a desired set.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use crate::http::{HttpError, HttpRequest};
use crate::plan::{Action, Change};
use crate::service::{Outcome, failed};
use crate::services::boss::wire::{CoordFrame, PermissionSet};
use crate::state::{Address, Object};

use super::objects::{frame_object, resource_object};
use super::paths::{
    Level, ResourcePath, attr_sets, create_attrs, group_path, member_call, object_api_path,
    permission_parts,
};
use super::read::GroupSeen;
use super::{BossProvider, Caller, PUBLIC_GROUP};

/// The result of re-reading an object after "exists".
enum Adopt {
    Adopted(Outcome),
    Absent,
    Deleted,
    Failed(String),
}

/// The calls of one permission change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum PermissionCall {
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
pub(super) fn permission_update(
    group: &str,
    before: &[String],
    after: &[String],
) -> Vec<PermissionCall> {
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
pub(super) fn permission_body(path: &ResourcePath, group: &str, names: &[String]) -> PermissionSet {
    PermissionSet {
        group: group.to_string(),
        collection: path.collection.clone(),
        experiment: path.experiment.clone(),
        channel: path.channel.clone(),
        permissions: names.to_vec(),
        ..PermissionSet::default()
    }
}

impl BossProvider {
    /// Sends one change: the calls its kind and action need.
    pub(super) async fn apply_one(&self, change: &Change) -> Outcome {
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

/// The path and body of a frame or resource create: the managed attributes the desired
/// object sets (`null`s left out), plus `collection` for an experiment, as intern sends it.
pub(super) fn create_request(
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
pub(super) fn update_request(change: &Change) -> Result<(String, Map<String, Value>), String> {
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
pub(super) fn same_value(a: &Value, b: &Value) -> bool {
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
