//! GCS's reading of the seed: it has no section of its own, but checks and builds the GCS
//! side of Transfer's `endpoints` section: each `GCSv5_endpoint`'s storage gateways and user
//! credentials, and the links of collections to their endpoint, gateway and mapped collection.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::service::emulator::{derived_id, fmt_time};
use crate::services::auth::emulator::{Directory, SeedDirectory};
use crate::services::transfer::emulator::{
    CollectionRec, CredentialRec, Endpoints, GatewayRec, SeedEndpoint, TransferSeed, join_path,
    local_part, with_parents,
};

/// Adds the problems of the GCS side of the `endpoints` section: gateways, credentials and
/// the links of collections to their endpoint.
pub(super) fn validate(
    seed: &TransferSeed,
    identities: &SeedDirectory,
    problems: &mut Vec<String>,
) {
    let by_id: BTreeMap<Uuid, &SeedEndpoint> = seed.endpoints.iter().map(|e| (e.id(), e)).collect();
    for e in &seed.endpoints {
        let gcs = e.entity_type == "GCSv5_endpoint";
        let has_gcs_parts = !e.storage_gateways.is_empty() || !e.user_credentials.is_empty();
        if !gcs && has_gcs_parts {
            problems.push(format!(
                    "endpoint {}: storage_gateways and user_credentials need entity_type GCSv5_endpoint",
                    e.display_name
                ));
        }
        let mut names = BTreeMap::new();
        for g in &e.storage_gateways {
            if names.insert(g.display_name.as_str(), ()).is_some() {
                problems.push(format!(
                    "endpoint {}: duplicate storage gateway {}",
                    e.display_name, g.display_name
                ));
            }
        }
        for c in &e.user_credentials {
            if identities.identity(&c.identity).is_none() {
                problems.push(format!(
                    "endpoint {}: unknown credential identity {}",
                    e.display_name, c.identity
                ));
            }
            if e.gateway_ref(&c.storage_gateway).is_none() {
                problems.push(format!(
                    "endpoint {}: unknown storage gateway {}",
                    e.display_name, c.storage_gateway
                ));
            }
        }
        if !gcs && !e.roles.owner.is_empty() {
            problems.push(format!(
                "endpoint {}: the owner role exists only on GCSv5_endpoint",
                e.display_name
            ));
        }
        if let Some(p) = &e.collection_base_path
            && !p.starts_with('/')
        {
            problems.push(format!(
                "endpoint {}: collection_base_path {p} must be absolute",
                e.display_name
            ));
        }
        if let Some(g) = &e.storage_gateway {
            let host = e.host_endpoint_id.and_then(|h| by_id.get(&h));
            match host {
                    Some(h) if h.entity_type == "GCSv5_endpoint" => {
                        if h.gateway_ref(g).is_none() {
                            problems.push(format!(
                                "endpoint {}: storage gateway {g} is not on its host endpoint",
                                e.display_name
                            ));
                        }
                    }
                    _ => problems.push(format!(
                        "endpoint {}: storage_gateway needs host_endpoint_id naming a seeded GCSv5_endpoint",
                        e.display_name
                    )),
                }
        }
    }
}

/// Writes the GCS side of the seeded records into Transfer's: gateways first, then the
/// credentials and collection records (mapped collections before guest collections, which
/// take their gateway). References that do not resolve are skipped.
pub(super) fn build(
    seed: &TransferSeed,
    dir: Option<&Directory>,
    st: &mut Endpoints,
    now: DateTime<Utc>,
) {
    let identity_ref = |r: &str| dir.and_then(|d| d.identity_ref(r));
    let stamp = fmt_time(now);
    for e in &seed.endpoints {
        let ep_id = e.id();
        if let Some(rec) = st.endpoints.get_mut(&ep_id) {
            rec.storage_gateways = e
                .storage_gateways
                .iter()
                .map(|g| GatewayRec {
                    id: g.id(ep_id),
                    display_name: g.display_name.clone(),
                    connector: g.connector.clone(),
                })
                .collect();
        }
    }
    // Then the links: links between GCS endpoints and their collections and credentials
    // (mapped collections before guest collections, which take their gateway).
    let guests_last = seed
        .endpoints
        .iter()
        .filter(|e| e.entity_type != "GCSv5_guest_collection")
        .chain(
            seed.endpoints
                .iter()
                .filter(|e| e.entity_type == "GCSv5_guest_collection"),
        );
    for e in guests_last {
        let ep_id = e.id();
        let mut creds = Vec::new();
        for c in &e.user_credentials {
            let (Some(identity), Some(gateway)) =
                (identity_ref(&c.identity), e.gateway_ref(&c.storage_gateway))
            else {
                continue;
            };
            let username = c.username.clone().unwrap_or_else(|| {
                dir.and_then(|d| d.identities.get(&identity))
                    .map(|i| local_part(&i.username))
                    .unwrap_or_default()
            });
            creds.push(CredentialRec {
                id: c.id.unwrap_or_else(|| {
                    derived_id("user_credential", &format!("{ep_id}:{identity}:{gateway}"))
                }),
                identity_id: identity,
                storage_gateway_id: gateway,
                username,
                display_name: c.display_name.clone(),
                invalid: c.invalid,
                provisioned: false,
            });
        }
        let host = e.host_endpoint_id.and_then(|h| st.endpoints.get(&h));
        let collection = host.filter(|h| h.entity_type == "GCSv5_endpoint").map(|h| {
            let guest = e.entity_type == "GCSv5_guest_collection";
            let mapped = e.mapped_collection_id.and_then(|m| st.endpoints.get(&m));
            let gateway = if guest {
                mapped
                    .and_then(|m| m.collection.as_ref())
                    .and_then(|c| c.storage_gateway_id)
            } else {
                match &e.storage_gateway {
                    Some(g) => seed
                        .endpoints
                        .iter()
                        .find(|s| s.id() == h.id)
                        .and_then(|s| s.gateway_ref(g)),
                    None => h.storage_gateways.first().map(|g| g.id),
                }
            };
            CollectionRec {
                storage_gateway_id: gateway,
                base_path: e.collection_base_path.clone().unwrap_or_else(|| "/".into()),
                user_credential_id: None,
                identity_id: if guest {
                    e.owner.as_deref().and_then(&identity_ref)
                } else {
                    None
                },
                created_at: stamp.clone(),
                doc: crate::wire::Extra::new(),
            }
        });
        // A guest's seeded directories live in its mapped collection, under its base path.
        if let (Some(c), Some(m)) = (&collection, e.mapped_collection_id)
            && e.entity_type == "GCSv5_guest_collection"
            && let Some(mapped) = st.endpoints.get_mut(&m)
        {
            mapped.directories.extend(
                e.directories
                    .iter()
                    .chain(std::iter::once(&"/".to_string()))
                    .flat_map(|d| with_parents(&join_path(&c.base_path, d))),
            );
        }
        if let Some(rec) = st.endpoints.get_mut(&ep_id) {
            rec.user_credentials = creds;
            if collection.is_some() {
                // A GCSv5 collection is owned by its endpoint's client unless the seed
                // names an owner, as real collections report (globus-cli finds the
                // endpoint through it).
                rec.owner_id = rec.owner_id.or(e.host_endpoint_id);
                rec.collection = collection;
            }
        }
    }
}
