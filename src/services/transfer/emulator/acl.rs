//! Transfer's access rule routes: the access list, and creating, reading, updating and
//! deleting rules.

use super::*;

pub(super) fn rule_doc(r: &AclRec) -> AccessRule {
    AccessRule {
        data_type: "access".into(),
        id: Some(r.id.clone()),
        role_id: None,
        role_type: None,
        principal_type: r.principal_type.clone(),
        principal: r.principal.clone(),
        path: r.path.clone(),
        permissions: r.permissions.clone(),
        create_time: Some(r.create_time.clone()),
        expiration_date: r.expiration_date.clone(),
        extra: Extra::new(),
    }
}

/// The implicit `rw` rules on `/` that administrator and access_manager roles imply.
pub(super) fn role_rules(ep: &EndpointRec) -> impl Iterator<Item = AccessRule> + '_ {
    ep.roles
        .iter()
        .filter(|r| r.role == "administrator" || r.role == "access_manager")
        .map(|r| AccessRule {
            data_type: "access".into(),
            id: None,
            role_id: Some(r.id.clone()),
            role_type: Some(r.role.clone()),
            principal_type: r.principal_type.clone(),
            principal: r.principal.to_string(),
            path: "/".into(),
            permissions: "rw".into(),
            create_time: None,
            expiration_date: None,
            extra: Extra::new(),
        })
}

/// Normalises an expiry to `+00:00`, rejecting bad or past times.
pub(super) fn check_expiry(
    e: &str,
    now: chrono::DateTime<chrono::Utc>,
    uri: &Uri,
) -> Result<String, Response> {
    let t = parse_time(e).ok_or_else(|| {
        err(
            &refused::ACL_EXPIRY_INVALID,
            format!("Invalid expiration_date '{e}'"),
            uri,
        )
    })?;
    if t <= now {
        return Err(err(
            &refused::ACL_EXPIRY_PAST,
            "expiration_date must be in the future",
            uri,
        ));
    }
    Ok(fmt_time(t))
}

pub(super) async fn access_list(
    State(em): State<Handle>,
    Extension(caller): Extension<Caller>,
    Path(raw): Path<String>,
    uri: Uri,
) -> Response {
    let mut guard = em.lock();
    // The world's fields apart: a handler changes Transfer's state while taking fresh ids.
    let w = &mut *guard;
    let caller = who(w, caller);
    let now = w.now();
    let st = endpoints_now(&mut w.states, now);
    let (ep, _) = match endpoint(st, &raw, &caller, Need::ViewAcl, &uri) {
        Ok(x) => x,
        Err(e) => return e,
    };
    if !acl_available(ep) {
        return no_acl(ep, &uri);
    }
    let data: Vec<AccessRule> = role_rules(ep).chain(ep.acl.iter().map(rule_doc)).collect();
    Json(AccessList {
        data_type: "access_list".into(),
        endpoint: Some(ep.id.to_string()),
        length: Some(data.len() as u64),
        data,
        offset: None,
        limit: None,
        total: None,
        extra: Extra::new(),
    })
    .into_response()
}

pub(super) async fn create_rule(
    State(em): State<Handle>,
    Extension(caller): Extension<Caller>,
    Path(raw): Path<String>,
    uri: Uri,
    bytes: Bytes,
) -> Response {
    let mut guard = em.lock();
    // The world's fields apart: a handler changes Transfer's state while taking fresh ids.
    let w = &mut *guard;
    let caller = who(w, caller);
    let now = w.now();
    let st = endpoints_now(&mut w.states, now);
    let ep_id = match endpoint(st, &raw, &caller, Need::ManageAcl, &uri) {
        Ok((ep, _)) if !acl_available(ep) => return no_acl(ep, &uri),
        Ok((ep, _)) => ep.id,
        Err(e) => return e,
    };
    let req: AccessRuleCreate = match body(&bytes, "access", &uri) {
        Ok(r) => r,
        Err(e) => return e,
    };
    if let Err(e) = check_permissions(&req.permissions, &uri) {
        return e;
    }
    let principal_ok = match req.principal_type {
        PrincipalType::Identity | PrincipalType::Group => req.principal.parse::<Uuid>().is_ok(),
        PrincipalType::AllAuthenticatedUsers | PrincipalType::Anonymous => req.principal.is_empty(),
        PrincipalType::Other(_) => false,
    };
    if !principal_ok {
        return err(
            &refused::ACL_PRINCIPAL,
            format!(
                "Invalid principal '{}' for principal_type '{}'",
                req.principal,
                req.principal_type.as_str()
            ),
            &uri,
        );
    }
    if !valid_path(&req.path) {
        return err(
            &refused::ACL_PATH,
            format!(
                "Invalid path '{}': it must be absolute and begin and end with '/'",
                req.path
            ),
            &uri,
        );
    }
    let expiration_date = match req.expiration_date.as_deref() {
        Some(e) => match check_expiry(e, now, &uri) {
            Ok(t) => Some(t),
            Err(resp) => return resp,
        },
        None => None,
    };
    // Principal UUIDs are compared case-insensitively by normalising to the hyphenated form.
    let principal = req
        .principal
        .parse::<Uuid>()
        .map(|u| u.to_string())
        .unwrap_or_default();
    let Some(ep) = st.endpoints.get(&ep_id) else {
        return err(&refused::ENDPOINT_NOT_FOUND, "No such endpoint", &uri);
    };
    if ep.acl.iter().any(|r| {
        r.principal_type == req.principal_type && r.principal == principal && r.path == req.path
    }) {
        return err(
            &refused::ACL_EXISTS,
            "This folder is already shared with this identity. If you would like to change the read/write access level, please delete this permission and then add a new permission with the desired access level.",
            &uri,
        );
    }
    if ep.acl.len() >= MAX_RULES {
        return err(
            &refused::ACL_LIMIT,
            format!("An endpoint may hold at most {MAX_RULES} access rules"),
            &uri,
        );
    }
    let id = w.ids.next("acl").to_string();
    if let Some(ep) = st.endpoints.get_mut(&ep_id) {
        ep.acl.push(AclRec {
            id: id.clone(),
            principal_type: req.principal_type,
            principal,
            path: req.path,
            permissions: req.permissions,
            create_time: fmt_time(now),
            expiration_date,
        });
    }
    (
        StatusCode::CREATED,
        Json(AccessCreateResult {
            data_type: "access_create_result".into(),
            code: "Created".into(),
            access_id: id,
            message: "Access rule created successfully.".into(),
            request_id: request_id(),
            resource: format!("/endpoint/{ep_id}/access"),
            extra: Extra::new(),
        }),
    )
        .into_response()
}

pub(super) fn rule_not_found(rule_id: &str, uri: &Uri) -> Response {
    err(
        &refused::ACL_NOT_FOUND,
        format!("Access rule '{rule_id}' not found"),
        uri,
    )
}

pub(super) async fn get_rule(
    State(em): State<Handle>,
    Extension(caller): Extension<Caller>,
    Path((raw, rule_id)): Path<(String, String)>,
    uri: Uri,
) -> Response {
    let mut guard = em.lock();
    // The world's fields apart: a handler changes Transfer's state while taking fresh ids.
    let w = &mut *guard;
    let caller = who(w, caller);
    let now = w.now();
    let st = endpoints_now(&mut w.states, now);
    let (ep, _) = match endpoint(st, &raw, &caller, Need::ViewAcl, &uri) {
        Ok(x) => x,
        Err(e) => return e,
    };
    match ep.acl.iter().find(|r| r.id == rule_id) {
        Some(r) => Json(rule_doc(r)).into_response(),
        None => rule_not_found(&rule_id, &uri),
    }
}

pub(super) async fn update_rule(
    State(em): State<Handle>,
    Extension(caller): Extension<Caller>,
    Path((raw, rule_id)): Path<(String, String)>,
    uri: Uri,
    bytes: Bytes,
) -> Response {
    let mut guard = em.lock();
    // The world's fields apart: a handler changes Transfer's state while taking fresh ids.
    let w = &mut *guard;
    let caller = who(w, caller);
    let now = w.now();
    let st = endpoints_now(&mut w.states, now);
    let ep_id = match endpoint(st, &raw, &caller, Need::ManageAcl, &uri) {
        Ok((ep, _)) => ep.id,
        Err(e) => return e,
    };
    let req: AccessRuleUpdate = match body(&bytes, "access", &uri) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let Some(rule) = st
        .endpoints
        .get_mut(&ep_id)
        .and_then(|ep| ep.acl.iter_mut().find(|r| r.id == rule_id))
    else {
        return rule_not_found(&rule_id, &uri);
    };
    if req.id.as_deref().is_some_and(|id| id != rule_id) {
        return err(
            &refused::ACL_FIXED_FIELD,
            "The id in the document does not match the URL",
            &uri,
        );
    }
    // Only permissions and expiration_date may change; the rest may be echoed unchanged.
    let unchanged = |key: &str, current: &str| {
        req.extra
            .get(key)
            .is_none_or(|v| v.is_null() || v.as_str() == Some(current))
    };
    if !unchanged("path", &rule.path)
        || !unchanged("principal", &rule.principal)
        || !unchanged("principal_type", rule.principal_type.as_str())
    {
        return err(
            &refused::ACL_FIXED_FIELD,
            "Only permissions and expiration_date of an access rule may be updated",
            &uri,
        );
    }
    if let Some(p) = &req.permissions
        && let Err(e) = check_permissions(p, &uri)
    {
        return e;
    }
    let expiry = match &req.expiration_date {
        Some(Some(e)) => match check_expiry(e, now, &uri) {
            Ok(t) => Some(Some(t)),
            Err(resp) => return resp,
        },
        other => other.clone(),
    };
    if let Some(p) = req.permissions {
        rule.permissions = p;
    }
    if let Some(e) = expiry {
        rule.expiration_date = e;
    }
    Json(TransferResult {
        data_type: "result".into(),
        code: "Updated".into(),
        message: format!("Access rule '{rule_id}' updated successfully"),
        request_id: request_id(),
        resource: format!("/endpoint/{ep_id}/access/{rule_id}"),
        extra: Extra::new(),
    })
    .into_response()
}

pub(super) async fn delete_rule(
    State(em): State<Handle>,
    Extension(caller): Extension<Caller>,
    Path((raw, rule_id)): Path<(String, String)>,
    uri: Uri,
) -> Response {
    let mut guard = em.lock();
    // The world's fields apart: a handler changes Transfer's state while taking fresh ids.
    let w = &mut *guard;
    let caller = who(w, caller);
    let now = w.now();
    let st = endpoints_now(&mut w.states, now);
    let ep_id = match endpoint(st, &raw, &caller, Need::ViewAcl, &uri) {
        Ok((ep, _)) => ep.id,
        Err(e) => return e,
    };
    let Some(ep) = st.endpoints.get_mut(&ep_id) else {
        return rule_not_found(&rule_id, &uri);
    };
    let before = ep.acl.len();
    ep.acl.retain(|r| r.id != rule_id);
    if ep.acl.len() == before {
        return rule_not_found(&rule_id, &uri);
    }
    Json(TransferResult {
        data_type: "result".into(),
        code: "Deleted".into(),
        message: format!("Access rule '{rule_id}' deleted successfully"),
        request_id: request_id(),
        resource: format!("/endpoint/{ep_id}/access/{rule_id}"),
        extra: Extra::new(),
    })
    .into_response()
}
