//! What `read` asks the Boss, step by step: groups, their members and maintainers, frames,
//! resources one level at a time, and permission sets.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::http::HttpRequest;
use crate::service::{LiveRead, Lookup, ProviderError, Scope};
use crate::services::boss::wire::{
    CoordFrame, Group, MaintainerList, MemberList, PermissionSet, PermissionSets,
};
use crate::state::{Address, ContainerMode, Kind, Object};

use super::objects::{
    frame_object, is_implicit_maintainer, member_object, permission_object, place_permission,
    resource_object, set_path,
};
use super::paths::{ResourcePath, frame_path, group_path, group_path_str};
use super::{ADMIN_GROUP, BOSS_ADMIN, BossProvider, Caller, PUBLIC_GROUP};

/// What a group read found.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum GroupSeen {
    /// Readable, with its owner (the BossGroup creator).
    Readable { owner: String },
    /// It exists, but the caller is neither a member nor a maintainer.
    Unreadable(String),
}

impl BossProvider {
    /// The provider's `read`, beside the reads it drives (the provider's module doc says what
    /// each lookup and container answers).
    pub(super) async fn read_scope(&self, scope: &Scope) -> Result<LiveRead, ProviderError> {
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
        let mut read = Vec::new();
        for (g, lists) in member_groups.iter().zip(lists) {
            if let Some((owner, lists)) = lists? {
                read.push((g, owner, lists));
            }
        }
        // The members of `admin` are read once, and only when they could matter and the
        // caller may read them (`admin_read_needed`).
        let admin = if admin_read_needed(&caller.username, &read) {
            self.admin_members(caller).await?
        } else {
            BTreeSet::from([BOSS_ADMIN.to_string()])
        };
        for (g, owner, lists) in read {
            place_members(g, owner, lists, &admin, &mut live);
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

    pub(super) async fn read_group(
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
}

fn decode<T: serde::de::DeserializeOwned>(body: Value, what: &str) -> Result<T, ProviderError> {
    serde_json::from_value(body).map_err(|e| ProviderError::Service {
        service: "boss",
        message: format!("unexpected `{what}` response body: {e}"),
    })
}

/// Places a group's members and maintainers in `live`; a maintainer the Boss lists without
/// a direct grant (`admin` holding the members of the Boss's admin group) is system-managed.
fn place_members(
    group: &str,
    owner: &str,
    (members, maintainers): (MemberList, MaintainerList),
    admin: &BTreeSet<String>,
    live: &mut LiveRead,
) {
    let parent = Address::new(crate::services::boss::GROUP, [group]);
    for u in members.members {
        live.state
            .insert(member_object(group, "member", &u, &parent));
    }
    for u in maintainers.maintainers {
        let o = member_object(group, "maintainer", &u, &parent);
        if is_implicit_maintainer(&u, owner, admin) {
            live.system_managed.push(o);
        } else {
            live.state.insert(o);
        }
    }
}

/// Whether reading the members of `admin` can change how these groups' maintainers are
/// classified, and the caller may read them. The Boss grants `admin` `maintain_group` on every
/// group, so a member of `admin` is listed as a maintainer of every group: only a user in
/// every list read who is not already known as implicit (`bossadmin`, the group's owner) may
/// be one; the caller's own entry never matters (accord keeps its own access). The Boss lets only a member or maintainer of `admin` read its members; a member of
/// `admin` maintains every group, so a caller missing from some list would be refused (403):
/// it is not asked, and such users stay ordinary maintainers, as after a refusal.
pub(super) fn admin_read_needed(
    caller: &str,
    groups: &[(&String, &String, (MemberList, MaintainerList))],
) -> bool {
    let in_every = |u: &str| {
        groups
            .iter()
            .all(|(_, _, (_, m))| m.maintainers.iter().any(|x| x == u))
    };
    let Some((_, _, (_, first))) = groups.first() else {
        return false;
    };
    let unclassified = first.maintainers.iter().any(|u| {
        u != BOSS_ADMIN
            && u != caller
            && in_every(u)
            && groups.iter().any(|(_, owner, _)| *owner != u)
    });
    unclassified && in_every(caller)
}
