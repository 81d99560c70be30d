//! The Boss's permission routes: permission sets of groups on collections, experiments and channels.

use super::*;

/// Which object a permission request names: collection, experiment or channel level.
#[derive(Debug, Clone)]
pub(super) struct Target {
    collection: String,
    experiment: Option<String>,
    channel: Option<String>,
}

impl Target {
    /// The level is decided by the fields present; `channel` without `experiment` falls
    /// back to the collection level.
    fn from_fields(c: &str, e: Option<&str>, ch: Option<&str>) -> Target {
        let experiment = e.filter(|s| !s.is_empty()).map(String::from);
        let channel = experiment
            .as_ref()
            .and(ch.filter(|s| !s.is_empty()).map(String::from));
        Target {
            collection: c.to_string(),
            experiment,
            channel,
        }
    }

    fn is_channel(&self) -> bool {
        self.channel.is_some()
    }

    fn name(&self) -> &str {
        self.channel
            .as_deref()
            .or(self.experiment.as_deref())
            .unwrap_or(&self.collection)
    }

    fn set(&self, group: &str, permissions: Vec<String>) -> PermissionSet {
        PermissionSet {
            group: group.to_string(),
            collection: self.collection.clone(),
            experiment: self.experiment.clone(),
            channel: self.channel.clone(),
            permissions,
            ..PermissionSet::default()
        }
    }
}

/// The permissions of the object a target names, or the first missing name.
pub(super) fn perms_of<'a>(st: &'a BossState, t: &Target) -> Result<&'a Perms, String> {
    let c = st
        .collections
        .get(&t.collection)
        .ok_or_else(|| t.collection.clone())?;
    let Some(e) = &t.experiment else {
        return Ok(&c.perms);
    };
    let exp = c.experiments.get(e).ok_or_else(|| e.clone())?;
    let Some(ch) = &t.channel else {
        return Ok(&exp.perms);
    };
    exp.channels
        .get(ch)
        .map(|c| &c.perms)
        .ok_or_else(|| ch.clone())
}

pub(super) fn perms_of_mut<'a>(st: &'a mut BossState, t: &Target) -> Option<&'a mut Perms> {
    let c = st.collections.get_mut(&t.collection)?;
    let Some(e) = &t.experiment else {
        return Some(&mut c.perms);
    };
    let exp = c.experiments.get_mut(e)?;
    match &t.channel {
        None => Some(&mut exp.perms),
        Some(ch) => exp.channels.get_mut(ch).map(|c| &mut c.perms),
    }
}

pub(super) fn sorted(perms: &BTreeSet<String>) -> Vec<String> {
    perms.iter().cloned().collect()
}

pub(super) fn permissions(st: &mut BossState, req: &Req) -> Answer {
    match *req.method {
        Method::GET => get_permissions(st, req),
        Method::POST | Method::PATCH => write_permissions(st, req),
        Method::DELETE => delete_permissions(st, req),
        _ => Err(req.not_allowed()),
    }
}

pub(super) fn get_permissions(st: &BossState, req: &Req) -> Answer {
    let q = |k: &str| {
        req.query
            .get(k)
            .map(String::as_str)
            .filter(|s| !s.is_empty())
    };
    let group = q("group");
    if let Some(g) = group
        && !st.groups.contains_key(g)
    {
        return Err(group_not_found(g));
    }
    let target = q("collection").map(|c| Target::from_fields(c, q("experiment"), q("channel")));
    let sets: Vec<PermissionSet> = match (group, &target) {
        (Some(g), Some(t)) => {
            let perms = perms_of(st, t)
                .map_err(|n| err(&refused::NOT_FOUND, format!("{n} does not exist")))?;
            perms
                .get(g)
                .filter(|p| !p.is_empty())
                .map(|p| vec![t.set(g, sorted(p))])
                .unwrap_or_default()
        }
        (None, Some(t)) => {
            let perms = perms_of(st, t)
                .map_err(|n| err(&refused::NOT_FOUND, format!("{n} does not exist")))?;
            st.groups_of(req.caller)
                .into_iter()
                .filter_map(|g| {
                    perms
                        .get(g)
                        .filter(|p| !p.is_empty())
                        .map(|p| t.set(g, sorted(p)))
                })
                .collect()
        }
        (Some(g), None) => group_sets(st, g, false),
        (None, None) => st
            .groups_of(req.caller)
            .into_iter()
            .flat_map(|g| group_sets(st, g, true))
            .collect(),
    };
    json(
        StatusCode::OK,
        &PermissionSets {
            permission_sets: sets,
            ..PermissionSets::default()
        },
    )
}

/// Every set `group` holds. With `last_collection_bug`, experiment and channel sets report
/// the permissions of the last collection processed for the group, as the real server's
/// unfiltered listing does (intern's integration test codifies it).
pub(super) fn group_sets(
    st: &BossState,
    group: &str,
    last_collection_bug: bool,
) -> Vec<PermissionSet> {
    let mut last: Option<Vec<String>> = None;
    holdings(st, group)
        .into_iter()
        .map(|(r, perms)| {
            let perms = if r.experiment.is_none() {
                last = Some(perms.clone());
                perms
            } else if last_collection_bug {
                last.clone().unwrap_or(perms)
            } else {
                perms
            };
            PermissionSet {
                group: group.to_string(),
                collection: r.collection,
                experiment: r.experiment,
                channel: r.channel,
                permissions: perms,
                ..PermissionSet::default()
            }
        })
        .collect()
}

pub(super) fn body_str<'a>(body: &'a Map<String, Value>, k: &str) -> Option<&'a str> {
    body.get(k)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

pub(super) fn write_permissions(st: &mut BossState, req: &Req) -> Answer {
    req.require_role(st, "resource-manager")?;
    let patch = *req.method == Method::PATCH;
    let missing_fields = if patch {
        &refused::PERMISSION_PATCH_FIELDS
    } else {
        &refused::PERMISSION_FIELDS
    };
    let b = req.body;
    let permissions: Vec<String> = match b.get("permissions") {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(String::from))
            .collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => {
            return Err(err(
                missing_fields,
                "Permissions are not included in the request",
            ));
        }
    };
    let Some(group) = body_str(b, "group") else {
        return Err(err(
            missing_fields,
            "Group name is not included in the request",
        ));
    };
    let Some(collection) = body_str(b, "collection") else {
        return Err(err(
            missing_fields,
            "Invalid resource or missing resource name in request",
        ));
    };
    if group == PUBLIC_GROUP {
        let ok = if patch {
            permissions == ["read"]
        } else {
            permissions
                .iter()
                .all(|p| p == "read" || p == "read_volumetric_data")
        };
        if !ok {
            return Err(invalid_post(
                &refused::PUBLIC_READ_ONLY,
                "The public group can only have read permissions",
            ));
        }
    }
    let me = req.caller;
    if let Some(rec) = st.groups.get(group)
        && !st.member_or_maintainer(me, rec)
    {
        return Err(err(
            &refused::NOT_MEMBER,
            format!(
                "Unauthorized. The user {me} is not a member or maintainer of the group {group}"
            ),
        ));
    }
    let target = Target::from_fields(
        collection,
        body_str(b, "experiment"),
        body_str(b, "channel"),
    );
    let perms = perms_of(st, &target)
        .map_err(|n| err(&refused::NOT_FOUND, format!("{n} does not exist")))?;
    if !st.has_perm(me, perms, "assign_group") {
        return Err(missing_perm("assign group", collection));
    }
    if patch && !st.has_perm(me, perms, "remove_group") {
        return Err(missing_perm("remove group", collection));
    }
    let invalid: Vec<&String> = permissions
        .iter()
        .filter(|p| !valid_permission(p, target.is_channel()))
        .collect();
    if !invalid.is_empty() {
        return Err(invalid_post(
            &refused::PERMISSION_NAME,
            format!("Invalid permissions {} in the request", py_list(&invalid)),
        ));
    }
    if !st.groups.contains_key(group) {
        return Err(group_not_found(group));
    }
    let Some(perms) = perms_of_mut(st, &target) else {
        return Err(not_found(target.name()));
    };
    let set = perms.entry(group.to_string()).or_default();
    if patch {
        set.clear();
    }
    set.extend(permissions);
    if set.is_empty() {
        perms.remove(group);
    }
    if patch {
        empty(StatusCode::OK)
    } else {
        empty(StatusCode::CREATED)
    }
}

pub(super) fn delete_permissions(st: &mut BossState, req: &Req) -> Answer {
    req.require_role(st, "resource-manager")?;
    let q = |k: &str| {
        req.query
            .get(k)
            .map(String::as_str)
            .filter(|s| !s.is_empty())
    };
    let Some(group) = q("group") else {
        return Err(err(
            &refused::PERMISSION_FIELDS,
            "Group name is not included in the request",
        ));
    };
    let Some(collection) = q("collection") else {
        return Err(err(
            &refused::PERMISSION_FIELDS,
            "Invalid resource or missing resource name in request",
        ));
    };
    let me = req.caller;
    let rec = st.groups.get(group).ok_or_else(|| group_not_found(group))?;
    if !st.member_or_maintainer(me, rec) {
        return Err(err(
            &refused::NOT_MEMBER,
            format!(
                "Unauthorized. The user {me} is not a member or maintainer of the group {group}"
            ),
        ));
    }
    let target = Target::from_fields(collection, q("experiment"), q("channel"));
    let perms = perms_of(st, &target).map_err(|n| {
        err(
            &refused::PERMISSION_DELETE_UNKNOWN,
            format!("(<ErrorCodes.RESOURCE_NOT_FOUND: 4000>, '{n} does not exist')"),
        )
    })?;
    if !st.has_perm(me, perms, "remove_group") {
        return Err(missing_perm("remove group", collection));
    }
    if let Some(perms) = perms_of_mut(st, &target) {
        perms.remove(group);
    }
    empty(StatusCode::NO_CONTENT)
}
