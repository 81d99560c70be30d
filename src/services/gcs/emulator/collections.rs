//! GCS collection routes: list, get, create, update and delete mapped and guest collections.

use super::*;

pub(super) async fn list_collections(
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
    let (mapped_id, gateway_id) = match (
        uuid_param(&q, "mapped_collection_id"),
        uuid_param(&q, "storage_gateway_id"),
    ) {
        (Ok(m), Ok(g)) => (m, g),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    let filters: Vec<&str> = q
        .get("filter")
        .map(|f| {
            f.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let keep = |c: &EndpointRec| {
        filters.iter().all(|f| match *f {
            "mapped_collections" => !c.is_guest(),
            "guest_collections" => c.is_guest(),
            "managed_by_me" => holds(st, &ctx, c.id, &["administrator", "access_manager"]),
            "created_by_me" => {
                c.collection
                    .as_ref()
                    .is_some_and(|r| r.identity_id == Some(ctx.who))
                    || c.roles
                        .iter()
                        .any(|r| r.protected && r.role == "administrator" && r.principal == ctx.who)
            }
            // Date filters (`last_access<=…`, `created_at…`) and unknown ones select all.
            _ => true,
        })
    };
    let items: Vec<(String, Value)> = st
        .endpoints
        .values()
        .filter(|c| c.is_collection_of(ctx.ep))
        .filter(|c| may_see(st, &ctx, c))
        .filter(|c| mapped_id.is_none_or(|m| c.is_guest() && c.mapped_collection_id == Some(m)))
        .filter(|c| {
            gateway_id
                .is_none_or(|g| c.collection.as_ref().and_then(|r| r.storage_gateway_id) == Some(g))
        })
        .filter(|c| keep(c))
        .map(|c| (c.id.to_string(), collection_doc(&w, c)))
        .collect();
    match page(items, &q) {
        Ok((data, next)) => Answer::new(StatusCode::OK, data).page(next).into_response(),
        Err(e) => e,
    }
}

pub(super) async fn get_collection(
    State(em): State<Handle>,
    Path((raw, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let w = em.lock();
    let ctx = match open(&w, &raw, &headers) {
        Ok(c) => c,
        Err(e) => return e,
    };
    let c = match collection(eps(&w), &ctx, &id) {
        Ok(c) => c,
        Err(e) => return e,
    };
    if !may_see(eps(&w), &ctx, c) {
        return missing_role(
            &refused::COLLECTION_ROLE,
            format!("Missing a role on collection '{id}'"),
            &[(Some(c.id), "administrator"), (None, "administrator")],
        );
    }
    Answer::new(StatusCode::OK, vec![collection_doc(&w, c)]).into_response()
}

pub(super) fn opt_string(
    body: &Map<String, Value>,
    key: &str,
) -> Result<Option<Option<String>>, Response> {
    match body.get(key) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(s)) => Ok(Some(Some(s.clone()))),
        Some(_) => Err(malformed(key, format!("'{key}' must be a string"))),
    }
}

pub(super) fn opt_uuid(body: &Map<String, Value>, key: &str) -> Result<Option<Uuid>, Response> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => s
            .parse()
            .map(Some)
            .map_err(|_| malformed(key, format!("'{key}' must be a UUID"))),
        Some(_) => Err(malformed(key, format!("'{key}' must be a UUID"))),
    }
}

/// Checks that `cred` is a usable credential of the caller on `gateway`.
pub(super) fn check_credential(
    st: &Store,
    ctx: &Ctx,
    cred: Uuid,
    gateway: Option<Uuid>,
) -> Option<Response> {
    let found = st
        .endpoints
        .get(&ctx.ep)
        .and_then(|e| e.user_credentials.iter().find(|c| c.id == cred))
        .filter(|c| c.identity_id == ctx.who && Some(c.storage_gateway_id) == gateway);
    match found {
        None => Some(denied(
            &refused::CREDENTIAL_MISSING,
            format!("No user credential '{cred}' of the caller on the storage gateway"),
            "credential_not_found#1.0.0",
            json!({"accounts": []}),
        )),
        Some(c) if c.invalid => Some(denied(
            &refused::CREDENTIAL_INVALID,
            format!("User credential '{cred}' is invalid"),
            "invalid_credential#1.0.0",
            json!({"user_credential_id": cred.to_string()}),
        )),
        Some(_) => None,
    }
}

/// The fields a create, PUT or PATCH sets, checked.
pub(super) struct CollectionWrite {
    display_name: Option<String>,
    public: Option<bool>,
    description: Option<Option<String>>,
    organization: Option<Option<String>>,
    user_credential_id: Option<Uuid>,
    doc: Map<String, Value>,
}

pub(super) fn collection_write(body: &Map<String, Value>) -> Result<CollectionWrite, Response> {
    let display_name = match opt_string(body, "display_name")? {
        Some(None) => {
            return Err(bad_input(
                &refused::DISPLAY_NAME,
                "display_name",
                "display_name may not be null",
            ));
        }
        Some(Some(s)) if s.trim().is_empty() => {
            return Err(bad_input(
                &refused::DISPLAY_NAME,
                "display_name",
                "display_name may not be empty",
            ));
        }
        other => other.flatten(),
    };
    let public = match body.get("public") {
        None => None,
        Some(Value::Null) => Some(false),
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => return Err(malformed("public", "'public' must be a boolean")),
    };
    Ok(CollectionWrite {
        display_name,
        public,
        description: opt_string(body, "description")?,
        organization: opt_string(body, "organization")?,
        user_credential_id: opt_uuid(body, "user_credential_id")?,
        doc: body
            .iter()
            .filter(|(k, _)| !COLLECTION_FIELDS.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    })
}

pub(super) fn base_path(
    body: &Map<String, Value>,
    default: Option<&str>,
) -> Result<String, Response> {
    match body.get("collection_base_path") {
        Some(Value::String(p)) if p.starts_with('/') && !p.split('/').any(|s| s == "..") => {
            Ok(p.clone())
        }
        None | Some(Value::Null) if default.is_some() => Ok(default.unwrap_or("/").into()),
        _ => Err(bad_input(
            &refused::BASE_PATH,
            "collection_base_path",
            "collection_base_path must be an absolute path",
        )),
    }
}

pub(super) async fn create_collection(
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
    let body = match object_body(&bytes, "collection") {
        Ok(b) => b,
        Err(e) => return e,
    };
    let write = match collection_write(&body) {
        Ok(x) => x,
        Err(e) => return e,
    };
    let Some(display_name) = write.display_name.clone() else {
        return bad_input(
            &refused::DISPLAY_NAME,
            "display_name",
            "display_name is required",
        );
    };
    let guest = match body.get("collection_type").and_then(Value::as_str) {
        Some("guest") => true,
        Some("mapped") => false,
        _ => {
            return malformed(
                "collection_type",
                "collection_type must be 'mapped' or 'guest'",
            );
        }
    };
    let now = w.now();
    let st = eps(&w);
    let (mapped, gateway_id, base) = if guest {
        let m = match opt_uuid(&body, "mapped_collection_id") {
            Ok(Some(m)) => m,
            Ok(None) => {
                return malformed("mapped_collection_id", "mapped_collection_id is required");
            }
            Err(e) => return e,
        };
        let mapped = match collection(st, &ctx, &m.to_string()) {
            Ok(c) if !c.is_guest() => c,
            Ok(_) => {
                return bad_input(
                    &refused::MAPPED_IS_GUEST,
                    "mapped_collection_id",
                    "mapped_collection_id names a guest collection",
                );
            }
            Err(e) => return e,
        };
        if !holds(st, &ctx, ctx.ep, &GCS_ROLES) && !holds(st, &ctx, m, &GCS_ROLES) {
            return missing_role(
                &refused::COLLECTION_ROLE,
                "Creating a guest collection needs a role on the mapped collection or the endpoint",
                &[
                    (Some(m), "administrator"),
                    (Some(m), "access_manager"),
                    (None, "administrator"),
                ],
            );
        }
        if !ctx.has_data_access(m) {
            return denied(
                &refused::MISSING_DATA_ACCESS,
                "The token lacks the data_access scope of the mapped collection",
                "missing_required_scopes#1.0.0",
                json!({"scopes": [format!(
                    "urn:globus:auth:scope:{}:manage_collections[https://auth.globus.org/scopes/{m}/data_access]",
                    ctx.ep
                )]}),
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
        let gateway_id = mapped
            .collection
            .as_ref()
            .and_then(|r| r.storage_gateway_id);
        let Some(cred) = write.user_credential_id else {
            return malformed("user_credential_id", "user_credential_id is required");
        };
        if let Some(e) = check_credential(st, &ctx, cred, gateway_id) {
            return e;
        }
        let base = match base_path(&body, None) {
            Ok(b) => b,
            Err(e) => return e,
        };
        (Some(mapped.id), gateway_id, base)
    } else {
        if !holds(st, &ctx, ctx.ep, &ENDPOINT_ADMIN) {
            return missing_role(
                &refused::COLLECTION_ROLE,
                "Creating a mapped collection needs the endpoint's administrator role",
                &[(None, "administrator"), (None, "owner")],
            );
        }
        let g = match opt_uuid(&body, "storage_gateway_id") {
            Ok(Some(g)) => g,
            Ok(None) => return malformed("storage_gateway_id", "storage_gateway_id is required"),
            Err(e) => return e,
        };
        if gateway(st, ctx.ep, Some(g)).is_none() {
            return not_found(
                &refused::GATEWAY_NOT_FOUND,
                format!("Storage gateway '{g}' not found"),
            );
        }
        let base = match base_path(&body, Some("/")) {
            Ok(b) => b,
            Err(e) => return e,
        };
        (None, Some(g), base)
    };
    let id = w.ids.next("collection");
    let role_id = w.ids.next("role").to_string();
    let st = eps_mut(&mut w);
    // A guest collection's root exists in its mapped collection from the start.
    if let Some(m) = mapped.and_then(|m| st.endpoints.get_mut(&m)) {
        m.directories.extend(with_parents(&join_path(&base, "/")));
    }
    let rec = EndpointRec {
        id,
        display_name,
        entity_type: if guest {
            "GCSv5_guest_collection"
        } else {
            "GCSv5_mapped_collection"
        }
        .into(),
        owner_id: Some(ctx.ep),
        description: write.description.clone().flatten(),
        organization: write.organization.clone().flatten(),
        gcs_manager_url: None,
        host_endpoint_id: Some(ctx.ep),
        mapped_collection_id: mapped,
        public: write.public.unwrap_or(false),
        roles: vec![RoleRec {
            id: role_id,
            role: "administrator".into(),
            principal_type: PrincipalType::Identity,
            principal: ctx.who,
            protected: true,
        }],
        acl: Vec::new(),
        directories: ["/".to_string()].into_iter().collect(),
        storage_gateways: Vec::new(),
        user_credentials: Vec::new(),
        collection: Some(CollectionRec {
            storage_gateway_id: gateway_id,
            base_path: base,
            user_credential_id: write.user_credential_id.filter(|_| guest),
            identity_id: guest.then_some(ctx.who),
            created_at: fmt_time(now),
            doc: write
                .doc
                .into_iter()
                .filter(|(_, v)| !v.is_null())
                .collect(),
        }),
    };
    st.endpoints.insert(id, rec);
    let doc = eps(&w)
        .endpoints
        .get(&id)
        .map(|c| collection_doc(&w, c))
        .unwrap_or_default();
    Answer::new(StatusCode::CREATED, vec![doc])
        .message(format!("Created collection {id}"))
        .into_response()
}

/// PATCH (`replace` false) or PUT (`replace` true) of a collection.
pub(super) fn update_collection(
    em: &Handle,
    raw: &str,
    id: &str,
    headers: &HeaderMap,
    bytes: &Bytes,
    replace: bool,
) -> Response {
    let mut w = em.lock();
    let ctx = match open(&w, raw, headers) {
        Ok(c) => c,
        Err(e) => return e,
    };
    let st = eps(&w);
    let c = match collection(st, &ctx, id) {
        Ok(c) => c,
        Err(e) => return e,
    };
    if !may_manage(st, &ctx, c) {
        return missing_role(
            &refused::COLLECTION_ROLE,
            format!("Updating collection '{id}' needs its administrator role"),
            &manage_roles(c),
        );
    }
    let body = match object_body(bytes, "collection") {
        Ok(b) => b,
        Err(e) => return e,
    };
    let write = match collection_write(&body) {
        Ok(x) => x,
        Err(e) => return e,
    };
    if replace && write.display_name.is_none() {
        return bad_input(
            &refused::DISPLAY_NAME,
            "display_name",
            "display_name is required",
        );
    }
    let rec = c.collection.clone().unwrap_or_default();
    let current_type = if c.is_guest() { "guest" } else { "mapped" };
    // Fields that identify what the collection shares cannot change.
    let fixed = [
        ("collection_type", Some(current_type.to_string())),
        (
            "mapped_collection_id",
            c.mapped_collection_id
                .filter(|_| c.is_guest())
                .map(|m| m.to_string()),
        ),
        (
            "storage_gateway_id",
            rec.storage_gateway_id.map(|g| g.to_string()),
        ),
        ("collection_base_path", Some(rec.base_path.clone())),
    ];
    for (key, current) in fixed {
        if let Some(v) = body.get(key)
            && !v.is_null()
            && v.as_str() != current.as_deref()
        {
            return bad_input(
                &refused::FIXED_FIELD,
                key,
                format!("'{key}' of a collection cannot be changed"),
            );
        }
    }
    if let Some(cred) = write.user_credential_id
        && c.is_guest()
        && let Some(e) = check_credential(st, &ctx, cred, rec.storage_gateway_id)
    {
        return e;
    }
    let cid = c.id;
    let Some(c) = eps_mut(&mut w).endpoints.get_mut(&cid) else {
        return not_found(&refused::COLLECTION_NOT_FOUND, "Collection vanished");
    };
    if replace {
        c.description = None;
        c.organization = None;
        c.public = false;
    }
    if let Some(n) = write.display_name {
        c.display_name = n;
    }
    if let Some(p) = write.public {
        c.public = p;
    }
    if let Some(d) = write.description {
        c.description = d;
    }
    if let Some(o) = write.organization {
        c.organization = o;
    }
    let r = c.collection.get_or_insert_with(CollectionRec::default);
    if replace {
        r.doc.clear();
    }
    if let Some(cred) = write.user_credential_id.filter(|_| r.identity_id.is_some()) {
        r.user_credential_id = Some(cred);
    }
    for (k, v) in write.doc {
        if v.is_null() {
            r.doc.remove(&k);
        } else {
            r.doc.insert(k, v);
        }
    }
    let doc = eps(&w)
        .endpoints
        .get(&cid)
        .map(|c| collection_doc(&w, c))
        .unwrap_or_default();
    Answer::new(StatusCode::OK, vec![doc])
        .message(format!("Updated collection {cid}"))
        .into_response()
}

pub(super) async fn patch_collection(
    State(em): State<Handle>,
    Path((raw, id)): Path<(String, String)>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    update_collection(&em, &raw, &id, &headers, &bytes, false)
}

pub(super) async fn put_collection(
    State(em): State<Handle>,
    Path((raw, id)): Path<(String, String)>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Response {
    update_collection(&em, &raw, &id, &headers, &bytes, true)
}

pub(super) async fn delete_collection(
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
    let c = match collection(st, &ctx, &id) {
        Ok(c) => c,
        Err(e) => return e,
    };
    let via_mapped = c.is_guest()
        && c.mapped_collection_id
            .is_some_and(|m| holds(st, &ctx, m, &["administrator"]));
    if !may_manage(st, &ctx, c) && !via_mapped {
        return missing_role(
            &refused::COLLECTION_ROLE,
            format!("Deleting collection '{id}' needs its administrator role"),
            &manage_roles(c),
        );
    }
    let protected = c
        .collection
        .as_ref()
        .and_then(|r| r.doc.get("delete_protected"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if protected {
        return fail(
            &refused::DELETE_PROTECTED,
            format!("Collection '{id}' is delete_protected"),
            json!({"DATA_TYPE": "resource_conflict#1.0.0", "resources": [id]}),
        );
    }
    let cid = c.id;
    // Deleting a mapped collection deletes its guest collections; each takes its ACL
    // rules and roles with it.
    let doomed: Vec<Uuid> = st
        .endpoints
        .values()
        .filter(|g| g.id == cid || (g.is_guest() && g.mapped_collection_id == Some(cid)))
        .map(|g| g.id)
        .collect();
    for d in doomed {
        eps_mut(&mut w).endpoints.remove(&d);
    }
    Answer::new(StatusCode::OK, Vec::new())
        .message(format!("Deleted collection {cid}"))
        .into_response()
}
