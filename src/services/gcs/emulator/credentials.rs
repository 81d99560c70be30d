//! GCS user credential routes.

use super::*;

pub(super) fn credentials(st: &Store, ep: Uuid) -> &[CredentialRec] {
    st.endpoints
        .get(&ep)
        .map(|e| e.user_credentials.as_slice())
        .unwrap_or_default()
}

pub(super) async fn list_credentials(
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
    let gateway_filter = match uuid_param(&q, "storage_gateway") {
        Ok(g) => g,
        Err(e) => return e,
    };
    let all =
        q.get("include").is_some_and(|i| i == "all") && holds(st, &ctx, ctx.ep, &ENDPOINT_ADMIN);
    let items: Vec<(String, Value)> = credentials(st, ctx.ep)
        .iter()
        .filter(|c| all || c.identity_id == ctx.who)
        .filter(|c| gateway_filter.is_none_or(|g| c.storage_gateway_id == g))
        .map(|c| (c.id.to_string(), credential_doc(st, ctx.ep, c)))
        .collect();
    match page(items, &q) {
        Ok((data, next)) => Answer::new(StatusCode::OK, data).page(next).into_response(),
        Err(e) => e,
    }
}

/// The credential `id`, if the caller may see it (its own, or an endpoint administrator).
pub(super) fn own_credential<'a>(
    st: &'a Store,
    ctx: &Ctx,
    id: &str,
) -> Result<&'a CredentialRec, Response> {
    let c = credentials(st, ctx.ep)
        .iter()
        .find(|c| c.id.to_string() == id)
        .ok_or_else(|| {
            not_found(
                &refused::CREDENTIAL_NOT_FOUND,
                format!("User credential '{id}' not found"),
            )
        })?;
    if c.identity_id != ctx.who && !holds(st, ctx, ctx.ep, &ENDPOINT_ADMIN) {
        return Err(denied(
            &refused::NOT_CALLER,
            format!("User credential '{id}' belongs to another identity"),
            "id_not_in_identity_set#1.0.0",
            json!({"identity_id": c.identity_id.to_string()}),
        ));
    }
    Ok(c)
}

pub(super) async fn get_credential(
    State(em): State<Handle>,
    Path((raw, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let w = em.lock();
    let ctx = match open(&w, &raw, &headers) {
        Ok(c) => c,
        Err(e) => return e,
    };
    match own_credential(eps(&w), &ctx, &id) {
        Ok(c) => {
            Answer::new(StatusCode::OK, vec![credential_doc(eps(&w), ctx.ep, c)]).into_response()
        }
        Err(e) => e,
    }
}

pub(super) async fn create_credential(
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
    let body = match object_body(&bytes, "user_credential") {
        Ok(b) => b,
        Err(e) => return e,
    };
    let gateway_id = match opt_uuid(&body, "storage_gateway_id") {
        Ok(Some(g)) => g,
        Ok(None) => return malformed("storage_gateway_id", "storage_gateway_id is required"),
        Err(e) => return e,
    };
    let st = eps(&w);
    if gateway(st, ctx.ep, Some(gateway_id)).is_none() {
        return not_found(
            &refused::GATEWAY_NOT_FOUND,
            format!("Storage gateway '{gateway_id}' not found"),
        );
    }
    match opt_uuid(&body, "identity_id") {
        Ok(Some(i)) if i != ctx.who => {
            return denied(
                &refused::NOT_CALLER,
                format!("Identity '{i}' is not in the caller's identity set"),
                "id_not_in_identity_set#1.0.0",
                json!({"identity_id": i.to_string()}),
            );
        }
        Ok(_) => {}
        Err(e) => return e,
    }
    let (username, display_name) = match (
        opt_string(&body, "username"),
        opt_string(&body, "display_name"),
    ) {
        (Ok(u), Ok(d)) => (u.flatten(), d.flatten()),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    // Without a username, the local part of the identity's username (GCS' default
    // `username_without_domain` mapping).
    let username = username.filter(|u| !u.is_empty()).unwrap_or_else(|| {
        directory(&w)
            .and_then(|d| d.identities.get(&ctx.who))
            .map(|i| local_part(&i.username))
            .unwrap_or_else(|| ctx.who.to_string())
    });
    let id = w.ids.next("user_credential");
    let rec = CredentialRec {
        id,
        identity_id: ctx.who,
        storage_gateway_id: gateway_id,
        username,
        display_name,
        invalid: false,
        provisioned: false,
    };
    let doc = credential_doc(eps(&w), ctx.ep, &rec);
    if let Some(e) = eps_mut(&mut w).endpoints.get_mut(&ctx.ep) {
        e.user_credentials.push(rec);
    }
    Answer::new(StatusCode::CREATED, vec![doc])
        .detail("created")
        .message(format!("Created User Credential {id}"))
        .into_response()
}

pub(super) async fn delete_credential(
    State(em): State<Handle>,
    Path((raw, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let mut w = em.lock();
    let ctx = match open(&w, &raw, &headers) {
        Ok(c) => c,
        Err(e) => return e,
    };
    let cid = match own_credential(eps(&w), &ctx, &id) {
        Ok(c) => c.id,
        Err(e) => return e,
    };
    if let Some(e) = eps_mut(&mut w).endpoints.get_mut(&ctx.ep) {
        e.user_credentials.retain(|c| c.id != cid);
    }
    Answer::new(StatusCode::OK, Vec::new())
        .message(format!("Deleted User Credential {cid}"))
        .into_response()
}
