//! Transfer's file operations: mkdir and stat, with the rights ACL rules grant on paths.

use super::*;

/// Whether the caller holds a rule covering `dir` (directly, through a group, or as any
/// signed-in user): an `rw` one when `write`, else any.
pub(super) fn can_access(ep: &EndpointRec, who: &Who, dir: &str, write: bool) -> bool {
    let groups = &who.groups;
    let who = who.identity;
    ep.acl.iter().any(|r| {
        (r.permissions == "rw" || !write)
            && dir.starts_with(&r.path)
            && match r.principal_type {
                PrincipalType::Identity => r.principal == who.to_string(),
                PrincipalType::Group => r
                    .principal
                    .parse::<Uuid>()
                    .is_ok_and(|g| groups.contains(&g)),
                PrincipalType::AllAuthenticatedUsers => true,
                _ => false,
            }
    })
}

pub(super) async fn mkdir(
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
    let (ep_id, roles) = match endpoint(st, &raw, &caller, Need::Nothing, &uri) {
        Ok((ep, roles)) => (ep.id, roles),
        Err(e) => return e,
    };
    let req: MkdirRequest = match body(&bytes, "mkdir", &uri) {
        Ok(r) => r,
        Err(e) => return e,
    };
    if !req.path.starts_with('/') || req.path.split('/').any(|s| s == "." || s == "..") {
        return err(
            &refused::MKDIR_BAD_PATH,
            format!("Invalid path '{}'", req.path),
            &uri,
        );
    }
    let dir = dir_key(&req.path);
    let Some(ep) = st.endpoints.get(&ep_id) else {
        return err(&refused::ENDPOINT_NOT_FOUND, "No such endpoint", &uri);
    };
    let privileged = roles.contains("administrator") || roles.contains("access_manager");
    if !privileged && !can_access(ep, &caller, &dir, true) {
        return err(
            &refused::MKDIR_DENIED,
            format!("No write permission on '{}'", req.path),
            &uri,
        );
    }
    let (holder, stored) = st.storage(ep, &dir);
    if st
        .endpoints
        .get(&holder)
        .is_some_and(|h| h.directories.contains(&stored))
    {
        return err(
            &refused::MKDIR_EXISTS,
            format!(
                "Path already exists, Error Path '{}' already exists",
                req.path
            ),
            &uri,
        );
    }
    if let Some(h) = st.endpoints.get_mut(&holder) {
        // Parents are created implicitly (see docs/emulator.md: the real service's
        // behaviour for a missing parent is not confirmed).
        h.directories.extend(with_parents(&stored));
    }
    (
        StatusCode::ACCEPTED,
        Json(MkdirResult {
            data_type: "mkdir_result".into(),
            code: "DirectoryCreated".into(),
            message: "The directory was created successfully".into(),
            request_id: request_id(),
            resource: uri.path().to_string(),
            extra: Extra::new(),
        }),
    )
        .into_response()
}

/// `GET /operation/endpoint/{id}/stat?path=`: the `file` document of an existing directory.
pub(super) async fn stat(
    State(em): State<Handle>,
    Extension(caller): Extension<Caller>,
    Path(raw): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    uri: Uri,
) -> Response {
    let mut guard = em.lock();
    // The world's fields apart: a handler changes Transfer's state while taking fresh ids.
    let w = &mut *guard;
    let caller = who(w, caller);
    let now = w.now();
    let st = endpoints_now(&mut w.states, now);
    let (ep, roles) = match endpoint(st, &raw, &caller, Need::Nothing, &uri) {
        Ok(x) => x,
        Err(e) => return e,
    };
    let Some(path) = q.get("path").filter(|p| !p.is_empty()) else {
        return err(
            &refused::STAT_BAD_PATH,
            "Missing required parameter 'path'",
            &uri,
        );
    };
    if !path.starts_with('/') || path.split('/').any(|s| s == "." || s == "..") {
        return err(
            &refused::STAT_BAD_PATH,
            format!("Invalid path '{path}'"),
            &uri,
        );
    }
    let dir = dir_key(path);
    let privileged = roles.contains("administrator") || roles.contains("access_manager");
    if !privileged && !can_access(ep, &caller, &dir, false) {
        return err(
            &refused::STAT_DENIED,
            format!("No read permission on '{path}'"),
            &uri,
        );
    }
    let (holder, stored) = st.storage(ep, &dir);
    if !st
        .endpoints
        .get(&holder)
        .is_some_and(|h| h.directories.contains(&stored))
    {
        return err(
            &refused::STAT_NOT_FOUND,
            format!("Path not found, Error Path '{path}' does not exist"),
            &uri,
        );
    }
    let name = dir
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .filter(|n| !n.is_empty())
        .unwrap_or("/");
    Json(json!({
        "DATA_TYPE": "file",
        "name": name,
        "type": "dir",
        "link_target": null,
        "permissions": "0755",
        "size": 4096,
        "user": null,
        "group": null,
        "last_modified": now.format("%Y-%m-%d %H:%M:%S+00:00").to_string(),
    }))
    .into_response()
}
