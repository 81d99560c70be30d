//! The Boss's group routes: groups, members and maintainers.

use super::*;

pub(super) fn list_groups(st: &mut BossState, req: &Req) -> Answer {
    if req.method != Method::GET {
        return Err(req.not_allowed());
    }
    let me = req.caller;
    let members: BTreeSet<String> = st.groups_of(me).into_iter().map(String::from).collect();
    let maintained: BTreeSet<String> = st
        .groups
        .values()
        .filter(|g| {
            g.maintainers.contains(me) || g.maintainer_groups.iter().any(|mg| members.contains(mg))
        })
        .map(|g| g.name.clone())
        .collect();
    let groups: BTreeSet<String> = match req.query.get("filter").map(String::as_str) {
        None => members.union(&maintained).cloned().collect(),
        Some("member") => members,
        Some("maintainer") => maintained,
        Some(_) => {
            return Err(err(
                &refused::GROUP_FILTER,
                "Unrecognized value {} for filter. Valid options are member, maintainer",
            ));
        }
    };
    json(
        StatusCode::OK,
        &GroupList {
            groups: groups.into_iter().collect(),
            ..GroupList::default()
        },
    )
}

pub(super) fn group(st: &mut BossState, req: &Req, g: &str) -> Answer {
    let me = req.caller;
    match *req.method {
        Method::GET => {
            let rec = st.groups.get(g).ok_or_else(|| group_not_found(g))?;
            let Some(owner) = rec.creator.clone() else {
                return Err(err(&refused::GROUP_INVALID, format!("Invalid group {g}")));
            };
            if !st.member_or_maintainer(me, rec) {
                return Err(err(
                    &refused::NOT_MEMBER,
                    format!(
                        "Unauthorized. The user {me} is not a member or maintainer of the group {g}"
                    ),
                ));
            }
            let resources = holdings(st, g).into_iter().map(|(r, _)| r).collect();
            json(
                StatusCode::OK,
                &Group {
                    name: g.to_string(),
                    owner,
                    resources,
                    ..Group::default()
                },
            )
        }
        Method::POST => {
            req.require_role(st, "resource-manager")?;
            if st.groups.contains_key(g) {
                return Err(err(
                    &refused::GROUP_EXISTS,
                    format!("A group  with name {g} already exist"),
                ));
            }
            if !valid_principal(g) {
                return Err(err(&refused::GROUP_NAME, format!("Invalid group name {g}")));
            }
            st.groups.insert(
                g.to_string(),
                BossGroupRec {
                    name: g.to_string(),
                    creator: Some(me.to_string()),
                    members: BTreeSet::from([me.to_string()]),
                    maintainers: BTreeSet::new(),
                    maintainer_groups: BTreeSet::from([primary(me), ADMIN_GROUP.to_string()]),
                },
            );
            empty(StatusCode::CREATED)
        }
        Method::DELETE => {
            req.require_role(st, "resource-manager")?;
            let rec = st.groups.get(g).ok_or_else(|| group_not_found(g))?;
            if g == ADMIN_GROUP || g == PUBLIC_GROUP {
                return Err(err(
                    &refused::SYSTEM_GROUP,
                    format!("The group {g} cannot be deleted"),
                ));
            }
            if rec.creator.as_deref() != Some(me) && !st.has_role(me, "admin") {
                return Err(err(
                    &refused::NOT_CREATOR,
                    "Groups can only be deleted by the creator or administrator",
                ));
            }
            st.groups.remove(g);
            for perms in all_perms_mut(st) {
                perms.remove(g);
            }
            for other in st.groups.values_mut() {
                other.maintainer_groups.remove(g);
            }
            empty(StatusCode::NO_CONTENT)
        }
        _ => Err(req.not_allowed()),
    }
}

/// Checks shared by members and maintainers: role, group, and for writes the special groups
/// and `maintain_group`.
pub(super) fn group_for_membership<'a>(
    st: &'a BossState,
    req: &Req,
    g: &str,
) -> Result<&'a BossGroupRec, Failure> {
    req.require_role(st, "resource-manager")?;
    let rec = st.groups.get(g).ok_or_else(|| group_not_found(g))?;
    let me = req.caller;
    if *req.method == Method::GET {
        if !st.member_or_maintainer(me, rec) {
            return Err(err(
                &refused::NOT_MEMBER,
                format!(
                    "Unauthorized. The user {me} is not a member or maintainer of the group {g}"
                ),
            ));
        }
    } else {
        if g == ADMIN_GROUP || g == PUBLIC_GROUP {
            return Err(err(
                &refused::SYSTEM_GROUP,
                format!("Cannot change the membership of the group {g}"),
            ));
        }
        if !st.is_maintainer(me, rec) {
            return Err(err(
                &refused::NOT_MAINTAINER,
                format!(
                    "The user {me} does not have the maintain_group permission on the group {g}"
                ),
            ));
        }
    }
    Ok(rec)
}

pub(super) fn members(st: &mut BossState, req: &Req, g: &str, user: Option<&str>) -> Answer {
    let rec = group_for_membership(st, req, g)?;
    match (req.method.clone(), user) {
        (Method::GET, None) => json(
            StatusCode::OK,
            &MemberList {
                members: rec.members.iter().cloned().collect(),
                ..MemberList::default()
            },
        ),
        (Method::GET, Some(u)) => {
            st.user(u).ok_or_else(|| user_not_found(u))?;
            json(
                StatusCode::OK,
                &BoolResult {
                    result: rec.members.contains(u),
                    ..BoolResult::default()
                },
            )
        }
        (Method::POST, Some(u)) => {
            st.user(u).ok_or_else(|| user_not_found(u))?;
            if let Some(rec) = st.groups.get_mut(g) {
                rec.members.insert(u.to_string());
            }
            empty(StatusCode::NO_CONTENT)
        }
        (Method::DELETE, Some(u)) => {
            if u == BOSS_ADMIN {
                return Err(err(
                    &refused::BOSSADMIN,
                    "Cannot remove bossadmin from a group",
                ));
            }
            st.user(u).ok_or_else(|| user_not_found(u))?;
            if let Some(rec) = st.groups.get_mut(g) {
                rec.members.remove(u);
            }
            empty(StatusCode::NO_CONTENT)
        }
        (Method::POST | Method::DELETE, None) => Err(err(
            &refused::MISSING_USER,
            "Missing the username in the request",
        )),
        _ => Err(req.not_allowed()),
    }
}

pub(super) fn maintainers(st: &mut BossState, req: &Req, g: &str, user: Option<&str>) -> Answer {
    let rec = group_for_membership(st, req, g)?;
    match (req.method.clone(), user) {
        (Method::GET, None) => json(
            StatusCode::OK,
            &MaintainerList {
                maintainers: st.maintainers_of(rec).into_iter().collect(),
                ..MaintainerList::default()
            },
        ),
        (Method::GET, Some(u)) => {
            st.user(u).ok_or_else(|| user_not_found(u))?;
            json(
                StatusCode::OK,
                &BoolResult {
                    result: st.is_maintainer(u, rec),
                    ..BoolResult::default()
                },
            )
        }
        (Method::POST, Some(u)) => {
            st.user(u).ok_or_else(|| user_not_found(u))?;
            if let Some(rec) = st.groups.get_mut(g) {
                rec.maintainers.insert(u.to_string());
            }
            empty(StatusCode::NO_CONTENT)
        }
        (Method::DELETE, Some(u)) => {
            if u == BOSS_ADMIN {
                return Err(err(
                    &refused::BOSSADMIN,
                    "Cannot remove bossadmin as a maintainer",
                ));
            }
            st.user(u).ok_or_else(|| user_not_found(u))?;
            if !rec.maintainers.contains(u) {
                return Err(err(
                    &refused::NOT_DIRECT_MAINTAINER,
                    format!("The user {u} is not a maintainer of the group {g}"),
                ));
            }
            if let Some(rec) = st.groups.get_mut(g) {
                rec.maintainers.remove(u);
            }
            empty(StatusCode::NO_CONTENT)
        }
        (Method::POST | Method::DELETE, None) => Err(err(
            &refused::MISSING_USER,
            "Missing the username in the request",
        )),
        _ => Err(req.not_allowed()),
    }
}

/// Every permission map of every collection, experiment, channel and coordinate frame.
pub(super) fn all_perms_mut(st: &mut BossState) -> Vec<&mut Perms> {
    let mut out = Vec::new();
    for f in st.coord_frames.values_mut() {
        out.push(&mut f.perms);
    }
    for c in st.collections.values_mut() {
        out.push(&mut c.perms);
        for e in c.experiments.values_mut() {
            out.push(&mut e.perms);
            for ch in e.channels.values_mut() {
                out.push(&mut ch.perms);
            }
        }
    }
    out
}

/// The objects `group` holds any permission on: collections, then experiments, then
/// channels, each with the group's permissions there (deleted objects left out).
pub(super) fn holdings(st: &BossState, group: &str) -> Vec<(ResourceRef, Vec<String>)> {
    let (mut cols, mut exps, mut chans) = (Vec::new(), Vec::new(), Vec::new());
    let held = |perms: &Perms| {
        perms
            .get(group)
            .filter(|p| !p.is_empty())
            .map(|p| p.iter().cloned().collect::<Vec<_>>())
    };
    for c in st
        .collections
        .values()
        .filter(|c| c.to_be_deleted.is_none())
    {
        if let Some(p) = held(&c.perms) {
            cols.push((resource_ref(&c.doc.name, None, None), p));
        }
        for e in c.experiments.values().filter(|e| e.to_be_deleted.is_none()) {
            if let Some(p) = held(&e.perms) {
                exps.push((resource_ref(&c.doc.name, Some(&e.doc.name), None), p));
            }
            for ch in e.channels.values().filter(|ch| ch.to_be_deleted.is_none()) {
                if let Some(p) = held(&ch.perms) {
                    chans.push((
                        resource_ref(&c.doc.name, Some(&e.doc.name), Some(&ch.doc.name)),
                        p,
                    ));
                }
            }
        }
    }
    cols.into_iter().chain(exps).chain(chans).collect()
}

pub(super) fn resource_ref(c: &str, e: Option<&str>, ch: Option<&str>) -> ResourceRef {
    ResourceRef {
        collection: c.to_string(),
        experiment: e.map(String::from),
        channel: ch.map(String::from),
        ..ResourceRef::default()
    }
}
