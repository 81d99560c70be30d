//! GCS role routes on the endpoint and its collections.

use super::*;

/// Where a role lives: the endpoint (`None`) or a collection.
pub(super) fn role_scope(
    st: &Store,
    ctx: &Ctx,
    collection_id: Option<Uuid>,
) -> Result<Uuid, Response> {
    match collection_id {
        None => Ok(ctx.ep),
        Some(c) => collection(st, ctx, &c.to_string()).map(|c| c.id),
    }
}

/// Whether the caller may see the roles on `on` (the endpoint or a collection).
pub(super) fn may_view_roles(st: &Store, ctx: &Ctx, on: Uuid) -> bool {
    holds(st, ctx, ctx.ep, &ENDPOINT_ADMIN) || holds(st, ctx, on, &GCS_ROLES)
}

/// Whether the caller may assign roles on `on`: endpoint roles need an endpoint
/// administrator; mapped collection roles an endpoint or collection administrator; guest
/// collection roles the guest collection's administrator.
pub(super) fn may_assign(st: &Store, ctx: &Ctx, on: Uuid) -> bool {
    if on == ctx.ep {
        return holds(st, ctx, on, &ENDPOINT_ADMIN);
    }
    let guest = st.endpoints.get(&on).is_some_and(EndpointRec::is_guest);
    holds(st, ctx, on, &["administrator"]) || (!guest && holds(st, ctx, ctx.ep, &ENDPOINT_ADMIN))
}

pub(super) fn assign_roles(st: &Store, ctx: &Ctx, on: Uuid) -> Vec<(Option<Uuid>, &'static str)> {
    if on == ctx.ep {
        return vec![(None, "administrator"), (None, "owner")];
    }
    let guest = st.endpoints.get(&on).is_some_and(EndpointRec::is_guest);
    let mut out = vec![(Some(on), "administrator")];
    if !guest {
        out.push((None, "administrator"));
    }
    out
}

/// Every GCS role on the endpoint and its collections: (where, role).
pub(super) fn all_roles(st: &Store, ep: Uuid) -> Vec<(Option<Uuid>, &RoleRec)> {
    st.endpoints
        .values()
        .filter(|e| e.id == ep || e.is_collection_of(ep))
        .flat_map(|e| {
            let on = (e.id != ep).then_some(e.id);
            e.roles
                .iter()
                .filter(|r| GCS_ROLES.contains(&r.role.as_str()))
                .map(move |r| (on, r))
        })
        .collect()
}

pub(super) async fn list_roles(
    State(em): State<Handle>,
    Path(raw): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let w = em.lock();
    let ctx = match open(&w, &raw, &headers) {
        Ok(c) => c,
        Err(e) => return e,
    };
    let st = eps(&w);
    let all = q
        .get("include")
        .is_some_and(|i| i.split(',').any(|x| x.trim() == "all_roles"));
    let collection_id = match uuid_param(&q, "collection_id") {
        Ok(c) => c,
        Err(e) => return e,
    };
    let items: Vec<(String, Value)> = if all {
        if !holds(st, &ctx, ctx.ep, &ENDPOINT_ADMIN) {
            return missing_role(
                &refused::ROLE_ROLE,
                "include=all_roles needs the endpoint's administrator role",
                &[(None, "administrator")],
            );
        }
        all_roles(st, ctx.ep)
            .into_iter()
            .map(|(on, r)| (r.id.clone(), role_doc(r, on)))
            .collect()
    } else {
        let on = match role_scope(st, &ctx, collection_id) {
            Ok(on) => on,
            Err(e) => return e,
        };
        if !may_view_roles(st, &ctx, on) {
            return missing_role(
                &refused::ROLE_ROLE,
                "Listing these roles needs a role on them",
                &assign_roles(st, &ctx, on),
            );
        }
        all_roles(st, ctx.ep)
            .into_iter()
            .filter(|(c, _)| c.unwrap_or(ctx.ep) == on)
            .map(|(c, r)| (r.id.clone(), role_doc(r, c)))
            .collect()
    };
    match page(items, &q) {
        Ok((data, next)) => Answer::new(StatusCode::OK, data).page(next).into_response(),
        Err(e) => e,
    }
}

pub(super) fn find_role<'a>(
    st: &'a Store,
    ctx: &Ctx,
    id: &str,
) -> Option<(Option<Uuid>, &'a RoleRec)> {
    all_roles(st, ctx.ep).into_iter().find(|(_, r)| r.id == id)
}

pub(super) async fn get_role(
    State(em): State<Handle>,
    Path((raw, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let w = em.lock();
    let ctx = match open(&w, &raw, &headers) {
        Ok(c) => c,
        Err(e) => return e,
    };
    let st = eps(&w);
    let Some((on, r)) = find_role(st, &ctx, &id) else {
        return not_found(&refused::ROLE_NOT_FOUND, format!("Role '{id}' not found"));
    };
    let scope = on.unwrap_or(ctx.ep);
    if !may_view_roles(st, &ctx, scope) {
        return missing_role(
            &refused::ROLE_ROLE,
            "Reading this role needs a role on its collection or endpoint",
            &assign_roles(st, &ctx, scope),
        );
    }
    Answer::new(StatusCode::OK, vec![role_doc(r, on)]).into_response()
}

pub(super) async fn create_role(
    State(em): State<Handle>,
    Path(raw): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    let mut w = em.lock();
    let ctx = match open(&w, &raw, &headers) {
        Ok(c) => c,
        Err(e) => return e,
    };
    let body = match object_body(&bytes, "role") {
        Ok(b) => b,
        Err(e) => return e,
    };
    let collection_id = match opt_uuid(&body, "collection") {
        Ok(c) => c,
        Err(e) => return e,
    };
    let Some((principal_type, principal)) = body
        .get("principal")
        .and_then(Value::as_str)
        .and_then(parse_principal)
    else {
        return bad_input(
            &refused::ROLE_PRINCIPAL,
            "principal",
            "principal must be urn:globus:auth:identity:<uuid> or urn:globus:groups:id:<uuid>",
        );
    };
    let role = body.get("role").and_then(Value::as_str).unwrap_or_default();
    let allowed: &[&str] = if collection_id.is_some() {
        &COLLECTION_ROLES
    } else {
        &ENDPOINT_ROLES
    };
    if !allowed.contains(&role) {
        return bad_input(
            &refused::ROLE_NAME,
            "role",
            format!(
                "role must be one of {} on {}",
                allowed.join(", "),
                if collection_id.is_some() {
                    "a collection"
                } else {
                    "the endpoint"
                }
            ),
        );
    }
    let st = eps(&w);
    let on = match role_scope(st, &ctx, collection_id) {
        Ok(on) => on,
        Err(e) => return e,
    };
    if !may_assign(st, &ctx, on) {
        return missing_role(
            &refused::ROLE_ROLE,
            "Assigning this role needs the administrator role",
            &assign_roles(st, &ctx, on),
        );
    }
    let exists = st.endpoints.get(&on).is_some_and(|e| {
        e.roles.iter().any(|r| {
            r.role == role && r.principal == principal && r.principal_type == principal_type
        })
    });
    if exists {
        return fail(
            &refused::ROLE_EXISTS,
            format!("The principal already holds the role '{role}' there"),
            Value::Null,
        );
    }
    let id = w.ids.next("role").to_string();
    let rec = RoleRec {
        id: id.clone(),
        role: role.to_string(),
        principal_type,
        principal,
        protected: false,
    };
    let doc = role_doc(&rec, collection_id);
    if let Some(e) = eps_mut(&mut w).endpoints.get_mut(&on) {
        e.roles.push(rec);
    }
    Answer::new(StatusCode::OK, vec![doc])
        .message(format!("Created role {id}"))
        .into_response()
}

pub(super) async fn delete_role(
    State(em): State<Handle>,
    Path((raw, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let mut w = em.lock();
    let ctx = match open(&w, &raw, &headers) {
        Ok(c) => c,
        Err(e) => return e,
    };
    let st = eps(&w);
    let Some((on, r)) = find_role(st, &ctx, &id) else {
        return not_found(&refused::ROLE_NOT_FOUND, format!("Role '{id}' not found"));
    };
    let scope = on.unwrap_or(ctx.ep);
    let via_mapped = st
        .endpoints
        .get(&scope)
        .filter(|c| c.is_guest())
        .and_then(|c| c.mapped_collection_id)
        .is_some_and(|m| holds(st, &ctx, m, &["administrator"]));
    if !may_assign(st, &ctx, scope) && !via_mapped {
        return missing_role(
            &refused::ROLE_ROLE,
            "Deleting this role needs the administrator role",
            &assign_roles(st, &ctx, scope),
        );
    }
    if r.protected {
        let what = if on.is_some() {
            "the collection creator's administrator role"
        } else {
            "the endpoint's owner role"
        };
        return fail(
            &refused::ROLE_PROTECTED,
            format!("Role '{id}' is {what} and may not be deleted using this API"),
            json!({"DATA_TYPE": "resource_conflict#1.0.0", "resources": [id]}),
        );
    }
    if let Some(e) = eps_mut(&mut w).endpoints.get_mut(&scope) {
        e.roles.retain(|r| r.id != id);
    }
    Answer::new(StatusCode::OK, Vec::new())
        .message(format!("Deleted role {id}"))
        .into_response()
}
