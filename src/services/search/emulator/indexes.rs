//! Search's index routes: the index document, the index list and index roles.

use super::*;

pub(super) fn index_doc(ix: &IndexRec, permissions: Option<Vec<String>>) -> SearchIndex {
    let num_entries = ix.subjects.values().map(Vec::len).sum::<usize>() as u64;
    let bytes: usize = ix
        .subjects
        .values()
        .flatten()
        .map(|e| serde_json::to_string(&e.content).map_or(0, |s| s.len()))
        .sum();
    SearchIndex {
        datatype: Some("GSearchIndex".into()),
        version: Some(VERSION_2017.into()),
        id: ix.id.to_string(),
        display_name: ix.display_name.clone(),
        description: ix.description.clone(),
        creation_date: ix.creation_date.clone(),
        is_trial: false,
        subscription_id: None,
        max_size_in_mb: 100,
        size_in_mb: (bytes / (1024 * 1024)) as u64,
        num_entries,
        num_subjects: ix.subjects.len() as u64,
        status: "open".into(),
        available: Some(true),
        permissions,
        extra: Default::default(),
    }
}

/// Role names in the reference's order (owner, admin, writer).
pub(super) fn ordered(roles: &BTreeSet<String>) -> Vec<String> {
    ROLE_NAMES
        .iter()
        .filter(|r| roles.contains(**r))
        .map(|r| r.to_string())
        .collect()
}

pub(super) async fn get_index(
    State(em): State<Handle>,
    Extension(caller): Extension<SearchCaller>,
    Path(raw): Path<String>,
) -> Response {
    let w = em.lock();
    let ix = match index(&w, &raw) {
        Ok(ix) => ix,
        Err(r) => return r,
    };
    let who = Who::of(&w, caller);
    Json(index_doc(ix, Some(ordered(&who.roles(ix))))).into_response()
}

pub(super) async fn index_list(
    State(em): State<Handle>,
    Extension(caller): Extension<SearchCaller>,
    Query(q): Query<Vec<(String, String)>>,
) -> Response {
    if caller.0.is_none() {
        return unauthenticated("index_list");
    }
    let filter: BTreeSet<String> = q
        .iter()
        .filter(|(k, _)| k == "filter_roles")
        .flat_map(|(_, v)| v.split(',').map(|s| s.trim().to_string()))
        .filter(|s| !s.is_empty())
        .collect();
    if let Some(bad) = filter.iter().find(|r| !ROLE_NAMES.contains(&r.as_str())) {
        let mut p = Problems::default();
        p.add(
            &refused::QUERY,
            &["filter_roles"],
            format!("Must be one of: owner, admin, writer (got {bad})."),
        );
        return invalid("query", p);
    }
    let w = em.lock();
    let who = Who::of(&w, caller);
    let list: Vec<SearchIndex> = state(&w)
        .indexes
        .values()
        .filter_map(|ix| {
            let roles = who.roles(ix);
            let keep = if filter.is_empty() {
                !roles.is_empty()
            } else {
                roles.iter().any(|r| filter.contains(r))
            };
            keep.then(|| index_doc(ix, Some(ordered(&roles))))
        })
        .take(100)
        .collect();
    Json(json!({ "index_list": list })).into_response()
}

pub(super) fn role_doc(ix: &IndexRec, r: &IndexRoleRec) -> Role {
    Role {
        id: r.id.clone(),
        index_id: ix.id.to_string(),
        principal: r.principal.clone(),
        principal_type: Principal::parse(&r.principal)
            .and_then(|p| p.principal_type())
            .unwrap_or("identity")
            .into(),
        role_name: r.role_name.clone(),
        creation_date: r.creation_date.clone(),
        extra: Default::default(),
    }
}

pub(super) async fn create_role(
    State(em): State<Handle>,
    Extension(caller): Extension<SearchCaller>,
    Path(raw): Path<String>,
    body: Bytes,
) -> Response {
    let mut w = em.lock();
    let now = w.now();
    let (index_id, caller_roles) = match index_for(&w, &raw, caller, Need::Admin, "role_create") {
        Ok((ix, who)) => (ix.id, who.roles(ix)),
        Err(r) => return r,
    };
    let body = match json_object(&body, "/v1/index/<index_id>/role") {
        Ok(b) => b,
        Err(r) => return r,
    };
    let mut p = Problems::default();
    let role_name = match body.get("role_name") {
        None | Some(Value::Null) => {
            p.add(&refused::ROLE_INVALID, &["role_name"], MISSING);
            None
        }
        Some(Value::String(s)) if ROLE_NAMES.contains(&s.as_str()) => Some(s.clone()),
        Some(_) => {
            p.add(
                &refused::ROLE_INVALID,
                &["role_name"],
                "Must be one of: owner, admin, writer.",
            );
            None
        }
    };
    let principal = match body.get("principal") {
        None | Some(Value::Null) => {
            p.add(&refused::ROLE_INVALID, &["principal"], MISSING);
            None
        }
        Some(Value::String(s)) => match Principal::parse(s) {
            Some(pr) if pr.principal_type().is_some() => Some(pr),
            _ => {
                p.add(
                    &refused::ROLE_INVALID,
                    &["principal"],
                    format!("Not a valid identity or group principal URN: {s}"),
                );
                None
            }
        },
        Some(_) => {
            p.add(
                &refused::ROLE_INVALID,
                &["principal"],
                "Not a valid string.",
            );
            None
        }
    };
    let (Some(role_name), Some(principal)) = (role_name, principal) else {
        return invalid("json", p);
    };
    if role_name == "owner" && !caller_roles.contains("owner") {
        return gerror(
            &refused::NEEDS_OWNER,
            "The operation you have requested requires \"Owner\" rights",
        )
        .into_response();
    }
    let Some(ix) = state_mut(&mut w).indexes.get(&index_id) else {
        return no_index(&raw);
    };
    if ix
        .roles
        .iter()
        .any(|r| r.role_name == role_name && Principal::parse(&r.principal) == Some(principal))
    {
        return conflict(
            &refused::ROLE_EXISTS,
            format!(
                "{} already holds the {role_name} role on this index",
                principal.urn()
            ),
            None,
        );
    }
    if ix.roles.len() >= MAX_ROLES {
        return conflict(
            &refused::ROLE_LIMIT,
            "Role limit exceeded",
            Some(json!({
                "cause": "Creating this role would exceed the limit on roles of an index.",
                "constraint": format!("Cannot create more than {MAX_ROLES} roles on an index"),
            })),
        );
    }
    let id = state_mut(&mut w).next_role_id();
    let rec = IndexRoleRec {
        id,
        role_name,
        principal: principal.urn(),
        creation_date: role_time(now),
    };
    let Some(ix) = state_mut(&mut w).indexes.get_mut(&index_id) else {
        return no_index(&raw);
    };
    ix.roles.push(rec.clone());
    Json(role_doc(ix, &rec)).into_response()
}

pub(super) async fn role_list(
    State(em): State<Handle>,
    Extension(caller): Extension<SearchCaller>,
    Path(raw): Path<String>,
) -> Response {
    let w = em.lock();
    let ix = match index_for(&w, &raw, caller, Need::Admin, "role_list") {
        Ok((ix, _)) => ix,
        Err(r) => return r,
    };
    Json(RoleList {
        role_list: ix.roles.iter().map(|r| role_doc(ix, r)).collect(),
        extra: Default::default(),
    })
    .into_response()
}

pub(super) async fn delete_role(
    State(em): State<Handle>,
    Extension(caller): Extension<SearchCaller>,
    Path((raw, role_id)): Path<(String, String)>,
) -> Response {
    let mut w = em.lock();
    let index_id = match index_for(&w, &raw, caller, Need::Admin, "role_delete") {
        Ok((ix, _)) => ix.id,
        Err(r) => return r,
    };
    let Some(ix) = state_mut(&mut w).indexes.get_mut(&index_id) else {
        return no_index(&raw);
    };
    let Some(pos) = ix.roles.iter().position(|r| r.id == role_id) else {
        return not_found(
            &refused::ROLE_NOT_FOUND,
            format!("No role with id \"{role_id}\" on index \"{raw}\""),
        );
    };
    let owners = ix.roles.iter().filter(|r| r.role_name == "owner").count();
    if ix.roles[pos].role_name == "owner" && owners == 1 {
        return conflict(
            &refused::ROLE_LAST_OWNER,
            "The last owner role on an index cannot be deleted",
            None,
        );
    }
    let removed = ix.roles.remove(pos);
    Json(DeletedRole {
        deleted: role_doc(ix, &removed),
        success: true,
        extra: Default::default(),
    })
    .into_response()
}
