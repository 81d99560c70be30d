//! Groups' batch membership actions (`POST /v2/groups/{id}`): add, invite, approve, remove…

use super::*;

/// The order in which batch actions are applied (and keyed in the response).
pub(super) const ACTIONS: [&str; 11] = [
    "add",
    "invite",
    "change_role",
    "remove",
    "approve",
    "reject",
    "accept",
    "decline",
    "leave",
    "join",
    "request_join",
];

pub(super) fn action_items<'a>(b: &'a BatchMembershipAction, action: &str) -> &'a [BatchMember] {
    match action {
        "add" => &b.add,
        "invite" => &b.invite,
        "change_role" => &b.change_role,
        "remove" => &b.remove,
        "approve" => &b.approve,
        "reject" => &b.reject,
        "accept" => &b.accept,
        "decline" => &b.decline,
        "leave" => &b.leave,
        "join" => &b.join,
        _ => &b.request_join,
    }
}

pub(super) fn set_action(r: &mut BatchMembershipResponse, action: &str, list: Vec<Membership>) {
    let slot = match action {
        "add" => &mut r.add,
        "invite" => &mut r.invite,
        "change_role" => &mut r.change_role,
        "remove" => &mut r.remove,
        "approve" => &mut r.approve,
        "reject" => &mut r.reject,
        "accept" => &mut r.accept,
        "decline" => &mut r.decline,
        "leave" => &mut r.leave,
        "join" => &mut r.join,
        _ => &mut r.request_join,
    };
    *slot = Some(list);
}

/// A per-identity failure: the refusal (its code) and the detail.
pub(super) type ItemError = (&'static Refusal, String);

pub(super) fn active_admins(g: &GroupRec) -> usize {
    g.members
        .values()
        .filter(|m| m.status == MembershipStatus::Active && m.role == Role::Admin)
        .count()
}

pub(super) fn is_last_admin(g: &GroupRec, who: Uuid) -> bool {
    is_admin(g, who) && active_admins(g) == 1
}

/// Applies one item of one action to the group; returns the resulting membership.
pub(super) fn apply_item(
    st: &Store,
    g: &mut GroupRec,
    caller: Uuid,
    action: &str,
    item: &BatchMember,
    now: &str,
) -> Result<MemberRec, ItemError> {
    let who = item.identity_id;
    let Some(ident) = st.identities.get(&who) else {
        return Err((
            &refused::MEMBER_UNKNOWN,
            format!("Identity {who} does not exist."),
        ));
    };
    let current = g.members.get(&who).cloned();
    let new_status = |status: MembershipStatus, role: Role| MemberRec {
        role,
        status,
        status_reason: item.status_reason.clone(),
        updated: now.to_string(),
    };
    let elevated = |r: &Role| matches!(r, Role::Admin | Role::Manager);
    let self_only = || {
        if who == caller {
            Ok(())
        } else {
            Err((
                &refused::MEMBER_NOT_SELF,
                "This action may only be taken on your own identity.".to_string(),
            ))
        }
    };
    let no_membership = || {
        (
            &refused::MEMBER_NONE,
            "Identity has no membership in group.".to_string(),
        )
    };
    let rec = match action {
        "add" | "invite" => {
            let role = item.role.clone().unwrap_or(Role::Member);
            if elevated(&role) && !is_admin(g, caller) {
                return Err((
                    &refused::MEMBER_ELEVATED,
                    "Only admins may add admins or managers.".into(),
                ));
            }
            if is_status(current.as_ref(), MembershipStatus::Active) {
                return Err((
                    &refused::MEMBER_ACTIVE,
                    "The identity is already an active member of the group.".into(),
                ));
            }
            if action == "add"
                && (is_status(current.as_ref(), MembershipStatus::Left) || !ident.allow_add)
            {
                return Err((
                    &refused::MEMBER_ADD_FORBIDDEN,
                    "The identity has left the group or does not allow being added; invite it instead."
                        .into(),
                ));
            }
            let status = if action == "add" {
                MembershipStatus::Active
            } else {
                MembershipStatus::Invited
            };
            new_status(status, role)
        }
        "change_role" => {
            let Some(role) = item.role.clone() else {
                return Err((&refused::MEMBER_NO_ROLE, "change_role needs a role.".into()));
            };
            let Some(cur) = current.filter(|m| {
                matches!(
                    m.status,
                    MembershipStatus::Active
                        | MembershipStatus::Invited
                        | MembershipStatus::Pending
                )
            }) else {
                return Err(no_membership());
            };
            if role != Role::Admin && is_last_admin(g, who) {
                return Err((
                    &refused::MEMBER_LAST_ADMIN,
                    "The last admin of a group cannot be demoted.".into(),
                ));
            }
            MemberRec {
                role,
                updated: now.to_string(),
                ..cur
            }
        }
        "remove" => {
            let Some(cur) = current.filter(|m| {
                matches!(
                    m.status,
                    MembershipStatus::Active
                        | MembershipStatus::Invited
                        | MembershipStatus::Pending
                )
            }) else {
                return Err(no_membership());
            };
            if who == caller {
                return Err((
                    &refused::MEMBER_REMOVE_SELF,
                    "You cannot remove yourself; use leave.".into(),
                ));
            }
            if elevated(&cur.role) && !is_admin(g, caller) {
                return Err((
                    &refused::MEMBER_ELEVATED,
                    "Only admins may remove admins or managers.".into(),
                ));
            }
            if is_last_admin(g, who) {
                return Err((
                    &refused::MEMBER_LAST_ADMIN,
                    "The last admin of a group cannot be removed.".into(),
                ));
            }
            new_status(MembershipStatus::Removed, cur.role)
        }
        "approve" | "reject" => {
            let Some(cur) = current else {
                return Err(no_membership());
            };
            if cur.status != MembershipStatus::Pending {
                return Err((
                    &refused::MEMBER_STATUS,
                    "The membership is not pending.".into(),
                ));
            }
            let status = if action == "approve" {
                MembershipStatus::Active
            } else {
                MembershipStatus::Rejected
            };
            new_status(status, cur.role)
        }
        "accept" | "decline" => {
            self_only()?;
            let Some(cur) = current else {
                return Err(no_membership());
            };
            if cur.status != MembershipStatus::Invited {
                return Err((
                    &refused::MEMBER_STATUS,
                    "There is no pending invitation.".into(),
                ));
            }
            let status = if action == "accept" {
                MembershipStatus::Active
            } else {
                MembershipStatus::Declined
            };
            new_status(status, cur.role)
        }
        "leave" => {
            self_only()?;
            let Some(cur) = current.filter(|m| m.status == MembershipStatus::Active) else {
                return Err(no_membership());
            };
            if is_last_admin(g, who) {
                return Err((
                    &refused::MEMBER_LAST_ADMIN,
                    "The last admin of a group cannot leave.".into(),
                ));
            }
            new_status(MembershipStatus::Left, cur.role)
        }
        "join" => {
            self_only()?;
            if is_status(current.as_ref(), MembershipStatus::Active) {
                return Err((
                    &refused::MEMBER_ACTIVE,
                    "The identity is already an active member of the group.".into(),
                ));
            }
            if g.policies.group_visibility != "authenticated" || g.policies.join_requests {
                return Err((
                    &refused::MEMBER_NO_JOIN,
                    "This group cannot be joined directly.".into(),
                ));
            }
            new_status(MembershipStatus::Active, Role::Member)
        }
        _ => {
            self_only()?;
            if is_status(current.as_ref(), MembershipStatus::Active) {
                return Err((
                    &refused::MEMBER_ACTIVE,
                    "The identity is already an active member of the group.".into(),
                ));
            }
            if !g.policies.join_requests {
                return Err((
                    &refused::MEMBER_NO_JOIN,
                    "This group does not accept join requests.".into(),
                ));
            }
            new_status(MembershipStatus::Pending, Role::Member)
        }
    };
    g.members.insert(who, rec.clone());
    Ok(rec)
}

pub(super) async fn batch(
    State(em): State<Handle>,
    Extension(caller): Extension<Caller>,
    Path(raw): Path<String>,
    bytes: Bytes,
) -> Response {
    let id = match group_id(&raw) {
        Ok(id) => id,
        Err(e) => return e,
    };
    let req: BatchMembershipAction = match body(&bytes) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let mut seen = BTreeSet::new();
    for action in ACTIONS {
        for item in action_items(&req, action) {
            if !seen.insert(item.identity_id) {
                return err(
                    &refused::BATCH_DUPLICATE,
                    format!(
                        "Identity {} appears more than once in the request",
                        item.identity_id
                    ),
                );
            }
        }
    }
    let mut w = em.lock();
    let now = fmt_time(w.now());
    let Some(mut g) = store(&w).groups.get(&id).cloned() else {
        return not_found(&raw);
    };
    let manages = ["add", "invite", "remove", "approve", "reject"]
        .iter()
        .any(|a| !action_items(&req, a).is_empty());
    if manages && !is_manager(&g, caller.identity) {
        return forbidden("Only group admins and managers may manage memberships");
    }
    if !req.change_role.is_empty() && !is_admin(&g, caller.identity) {
        return forbidden("Only group admins may change roles");
    }
    let mut resp = BatchMembershipResponse::default();
    let mut refusals: Vec<&Refusal> = Vec::new();
    for action in ACTIONS {
        let items = action_items(&req, action);
        if items.is_empty() {
            continue;
        }
        let mut done = Vec::new();
        let mut errors = Vec::new();
        for item in items {
            match apply_item(&store(&w), &mut g, caller.identity, action, item, &now) {
                Ok(rec) => done.push(membership(&store(&w), id, item.identity_id, &rec)),
                Err((refusal, detail)) => {
                    refusals.push(refusal);
                    errors.push(BatchError {
                        identity_id: item.identity_id,
                        code: refusal.code.into(),
                        detail,
                        extra: Extra::new(),
                    });
                }
            }
        }
        set_action(&mut resp, action, done);
        if !errors.is_empty() {
            resp.errors.insert(action.to_string(), errors);
        }
    }
    groups_mut(&mut w).insert(id, g);
    refusal::tag(Json(resp).into_response(), &refusals)
}
