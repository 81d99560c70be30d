//! GCS documents (collections, roles, credentials, gateways) and the info, endpoint and storage gateway routes.

use super::*;

pub(super) fn connector_id(connector: &str) -> String {
    if connector == "posix" {
        POSIX_CONNECTOR_ID.into()
    } else {
        derived_id("connector", connector).to_string()
    }
}

pub(super) fn connector_name(connector: &str) -> String {
    match connector {
        "posix" => "POSIX".into(),
        "s3" => "S3".into(),
        other => other.into(),
    }
}

pub(super) fn gateway(st: &Store, ep: Uuid, id: Option<Uuid>) -> Option<&GatewayRec> {
    let id = id?;
    st.endpoints
        .get(&ep)?
        .storage_gateways
        .iter()
        .find(|g| g.id == id)
}

pub(super) fn manager_url(w: &World, ep: Uuid) -> Option<String> {
    w.base_url().map(|b| format!("{b}/gcs/{ep}"))
}

/// Fields of a collection document the emulator keeps in its own fields (or ignores as
/// read-only); every other field is kept verbatim in `CollectionRec::doc`.
pub(super) const COLLECTION_FIELDS: [&str; 27] = [
    "DATA_TYPE",
    "id",
    "collection_type",
    "display_name",
    "mapped_collection_id",
    "storage_gateway_id",
    "user_credential_id",
    "collection_base_path",
    "identity_id",
    "public",
    "description",
    "organization",
    "host_endpoint_id",
    "owner_id",
    "connector_id",
    "manager_url",
    "https_url",
    "tlsftp_url",
    "root_path",
    "gcs_version",
    "created_at",
    "last_access",
    "deleted",
    "high_assurance",
    "require_mfa",
    "authentication_timeout_mins",
    "subscription_admin_verified",
];

pub(super) fn collection_doc(w: &World, c: &EndpointRec) -> Value {
    let st = eps(w);
    let rec = c.collection.clone().unwrap_or_default();
    let host = c.host_endpoint_id.unwrap_or(c.id);
    let gw = gateway(st, host, rec.storage_gateway_id);
    let guest = c.is_guest();
    let doc = Collection {
        data_type: COLLECTION_DATA_TYPE.into(),
        id: Some(c.id.to_string()),
        collection_type: Some(if guest {
            CollectionType::Guest
        } else {
            CollectionType::Mapped
        }),
        display_name: Some(c.display_name.clone()),
        mapped_collection_id: c
            .mapped_collection_id
            .filter(|_| guest)
            .map(|m| m.to_string()),
        storage_gateway_id: rec.storage_gateway_id.map(|g| g.to_string()),
        collection_base_path: Some(rec.base_path.clone()),
        identity_id: rec.identity_id.map(|i| i.to_string()),
        host_endpoint_id: Some(host.to_string()),
        owner_id: Some(host.to_string()),
        public: Some(c.public),
        description: c.description.clone(),
        organization: c.organization.clone(),
        connector_id: gw.map(|g| connector_id(&g.connector)),
        manager_url: manager_url(w, host),
        root_path: Some("/".into()),
        gcs_version: Some(GCS_VERSION.into()),
        created_at: Some(rec.created_at.clone()),
        deleted: Some(false),
        high_assurance: Some(false),
        allow_guest_collections: (!guest).then_some(true),
        policies: Some(json!({})),
        ..Collection::default()
    };
    let mut v = to_value(&doc);
    if let Value::Object(m) = &mut v {
        for (k, val) in &rec.doc {
            m.insert(k.clone(), val.clone());
        }
    }
    v
}

pub(super) fn principal_urn(r: &RoleRec) -> String {
    match r.principal_type {
        PrincipalType::Group => format!("urn:globus:groups:id:{}", r.principal),
        _ => format!("urn:globus:auth:identity:{}", r.principal),
    }
}

pub(super) fn parse_principal(urn: &str) -> Option<(PrincipalType, Uuid)> {
    if let Some(id) = urn.strip_prefix("urn:globus:auth:identity:") {
        return id.parse().ok().map(|id| (PrincipalType::Identity, id));
    }
    if let Some(id) = urn.strip_prefix("urn:globus:groups:id:") {
        return id.parse().ok().map(|id| (PrincipalType::Group, id));
    }
    None
}

pub(super) fn role_doc(r: &RoleRec, collection: Option<Uuid>) -> Value {
    to_value(&Role {
        data_type: ROLE_DATA_TYPE.into(),
        id: Some(r.id.clone()),
        collection: collection.map(|c| c.to_string()),
        principal: principal_urn(r),
        role: r.role.clone(),
        extra: Map::new(),
    })
}

pub(super) fn credential_doc(st: &Store, ep: Uuid, c: &CredentialRec) -> Value {
    let connector = gateway(st, ep, Some(c.storage_gateway_id))
        .map(|g| g.connector.clone())
        .unwrap_or_else(|| "posix".into());
    let policies = if connector == "posix" {
        json!({"DATA_TYPE": POSIX_CREDENTIAL_POLICIES_DATA_TYPE})
    } else {
        json!({})
    };
    to_value(&UserCredential {
        data_type: USER_CREDENTIAL_DATA_TYPE.into(),
        id: Some(c.id.to_string()),
        identity_id: Some(c.identity_id.to_string()),
        storage_gateway_id: Some(c.storage_gateway_id.to_string()),
        connector_id: Some(connector_id(&connector)),
        username: Some(c.username.clone()),
        display_name: c.display_name.clone(),
        policies: Some(policies),
        invalid: Some(c.invalid),
        provisioned: Some(c.provisioned),
        deleted: Some(false),
        home_directory: Some(format!("/home/{}", c.username)),
        extra: Map::new(),
    })
}

pub(super) fn gateway_doc(g: &GatewayRec) -> Value {
    json!({
        "DATA_TYPE": STORAGE_GATEWAY_DATA_TYPE,
        "id": g.id.to_string(),
        "display_name": g.display_name,
        "connector_id": connector_id(&g.connector),
        "high_assurance": false,
        "require_high_assurance": false,
        "authentication_timeout_mins": 15840,
        "allowed_domains": [],
        "mapping": "username_without_domain",
        "restrict_paths": null,
        "users_allow": [],
        "users_deny": [],
        "policies": {"DATA_TYPE": format!("{}_storage_gateway#1.0.0", g.connector)},
    })
}

pub(super) async fn info(State(em): State<Handle>, Path(raw): Path<String>) -> Response {
    let w = em.lock();
    let ep = match gcs_endpoint(&w, &raw) {
        Ok(ep) => ep,
        Err(e) => return e,
    };
    let domain = w
        .base_url()
        .and_then(|b| url::Url::parse(b).ok())
        .and_then(|u| u.host_str().map(String::from))
        .unwrap_or_else(|| "localhost".into());
    let mut data = vec![json!({
        "DATA_TYPE": INFO_DATA_TYPE,
        "api_version": API_VERSION,
        "client_id": ep.to_string(),
        "endpoint_id": ep.to_string(),
        "domain_name": domain,
        "manager_version": GCS_VERSION,
    })];
    let connectors: BTreeSet<String> = eps(&w)
        .endpoints
        .get(&ep)
        .map(|e| {
            e.storage_gateways
                .iter()
                .map(|g| g.connector.clone())
                .collect()
        })
        .unwrap_or_default();
    for c in connectors {
        data.push(json!({
            "DATA_TYPE": CONNECTOR_DATA_TYPE,
            "display_name": connector_name(&c),
            "id": connector_id(&c),
            "is_baa": false,
            "is_ha": false,
        }));
    }
    let mut answer = Answer::new(StatusCode::OK, data);
    answer.body.data_type = "result#1.1.0".into();
    answer.into_response()
}

pub(super) async fn endpoint_doc(
    State(em): State<Handle>,
    Path(raw): Path<String>,
    headers: HeaderMap,
) -> Response {
    let w = em.lock();
    let ctx = match open(&w, &raw, &headers) {
        Ok(c) => c,
        Err(e) => return e,
    };
    let Some(e) = eps(&w).endpoints.get(&ctx.ep) else {
        return not_found(&refused::ENDPOINT_NOT_FOUND, "No such endpoint");
    };
    let doc = json!({
        "DATA_TYPE": "endpoint#1.2.0",
        "id": e.id.to_string(),
        "display_name": e.display_name,
        "organization": e.organization,
        "description": e.description,
        "public": e.public,
        "gcs_manager_url": manager_url(&w, e.id),
        "subscription_id": null,
        "network_use": "normal",
        "allow_udt": false,
    });
    Answer::new(StatusCode::OK, vec![doc]).into_response()
}

pub(super) async fn list_gateways(
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
    let items = eps(&w)
        .endpoints
        .get(&ctx.ep)
        .map(|e| {
            e.storage_gateways
                .iter()
                .map(|g| (g.id.to_string(), gateway_doc(g)))
                .collect()
        })
        .unwrap_or_default();
    match page(items, &q) {
        Ok((data, next)) => Answer::new(StatusCode::OK, data).page(next).into_response(),
        Err(e) => e,
    }
}

pub(super) async fn get_gateway(
    State(em): State<Handle>,
    Path((raw, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let w = em.lock();
    let ctx = match open(&w, &raw, &headers) {
        Ok(c) => c,
        Err(e) => return e,
    };
    match gateway(eps(&w), ctx.ep, id.parse().ok()) {
        Some(g) => Answer::new(StatusCode::OK, vec![gateway_doc(g)]).into_response(),
        None => not_found(
            &refused::GATEWAY_NOT_FOUND,
            format!("Storage gateway '{id}' not found"),
        ),
    }
}
