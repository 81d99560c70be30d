//! Addresses and ids: the keys of GCS addresses, collection ids by policy name, and role
//! principals as canonical keys and as URNs.

use std::collections::BTreeMap;

use uuid::Uuid;

use crate::plan::Change;
use crate::service::{IdMap, ProviderError};
use crate::services::transfer::provider::named_collection;
use crate::state::{Address, Principal};

/// Records a guest collection's id under `gcs.collection[E][N]` and Transfer's `named_collection(N)`.
pub(super) fn record_collection(ids: &IdMap, address: &Address, id: &str) {
    ids.insert(address.clone(), id.to_string());
    if let Some(name) = address.keys.get(1) {
        ids.insert(named_collection(name), id.to_string());
    }
}

/// A collection's id by policy name (a UUID names itself).
pub(super) fn collection_id_by_name(name: &str, endpoint: Uuid, ids: &IdMap) -> Option<String> {
    ids.get(&named_collection(name))
        .or_else(|| {
            ids.get(&Address::new(
                crate::services::gcs::COLLECTION,
                [endpoint.to_string(), name.to_string()],
            ))
        })
        .or_else(|| name.parse::<Uuid>().ok().map(|u| u.to_string()))
}

/// The endpoint and gateway of a credential address.
pub(super) fn credential_keys(address: &Address) -> Result<(Uuid, &str), ProviderError> {
    endpoint_and_key(address, "credential")
}

/// The endpoint and policy name of a guest collection address.
pub(super) fn collection_keys(address: &Address) -> Result<(Uuid, &str), ProviderError> {
    endpoint_and_key(address, "guest collection")
}

/// The two keys of an address on a GCS endpoint: the endpoint's UUID and a name.
fn endpoint_and_key<'a>(
    address: &'a Address,
    what: &str,
) -> Result<(Uuid, &'a str), ProviderError> {
    let [endpoint, key] = &address.keys[..] else {
        return Err(ProviderError::NotFound(format!(
            "{address}: not a {what} address"
        )));
    };
    let endpoint = parse_endpoint(endpoint).map_err(ProviderError::NotFound)?;
    Ok((endpoint, key))
}

pub(super) fn parse_endpoint(key: &str) -> Result<Uuid, String> {
    key.parse()
        .map_err(|_| format!("`{key}` is not a GCS endpoint UUID"))
}

/// The canonical key of a role's principal URN: `identity:<uuid>`, `group:<policy-name>`
/// for a managed group, else `group:<uuid>`; `None` for a form accord does not know.
pub fn principal_key(urn: &str, group_names: &BTreeMap<String, String>) -> Option<String> {
    if let Some(id) = urn.strip_prefix("urn:globus:auth:identity:") {
        return id
            .parse::<Uuid>()
            .ok()
            .map(|u| Principal::Identity(u).to_string());
    }
    let id = urn.strip_prefix("urn:globus:groups:id:")?;
    let lower = id.to_ascii_lowercase();
    match group_names.get(id).or_else(|| group_names.get(&lower)) {
        Some(name) => Some(Principal::ManagedGroup(name.clone()).to_string()),
        None => id
            .parse::<Uuid>()
            .ok()
            .map(|u| Principal::Group(u).to_string()),
    }
}

/// The URN of an address's principal key (a managed group through the id map).
pub(super) fn principal_urn(key: &str, ids: &IdMap) -> Result<String, String> {
    let principal: Principal = key.parse().map_err(|e| format!("{e}"))?;
    match &principal {
        Principal::Identity(_) | Principal::Group(_) | Principal::ManagedGroup(_) => principal
            .urn(|name| {
                ids.get(&Address::new(
                    crate::services::groups::GROUP,
                    [name.to_string()],
                ))
            })
            .ok_or_else(|| format!("the id of group {principal} is not known (was it created?)")),
        other => Err(format!("GCS roles cannot be granted to `{other}`")),
    }
}

/// The server id of the object a change acts on: the live object's, or one recorded since.
pub(super) fn server_id(change: &Change, ids: &IdMap) -> Option<String> {
    change
        .before
        .as_ref()
        .and_then(|b| b.server_id.clone())
        .or_else(|| ids.get(&change.address))
}
