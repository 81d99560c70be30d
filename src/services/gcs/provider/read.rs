//! What `read` answers: credential and collection lookups from shared per-endpoint
//! listings, and the roles of each existing collection.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use uuid::Uuid;

use crate::http::HttpError;
use crate::service::{LiveRead, Lookup, ProviderError, Scope};
use crate::services::gcs::api;
use crate::services::gcs::wire::{Role, UserCredential};
use crate::services::transfer::provider::named_collection;
use crate::state::{Address, Object, Principal};

use super::GcsProvider;
use super::documents::{collection_object, credential_object, str_field};
use super::fetch::{matching, pick_credential};
use super::keys::{collection_keys, credential_keys, principal_key};

/// How a guest collection lookup was found.
enum Found {
    /// Its document, from the endpoint's listing.
    Doc(Value),
    /// Not in the listing: its pin is read with a `GET`.
    Fetch(String),
    /// No guest collection matches it: it does not exist yet.
    Absent,
}

impl GcsProvider {
    /// The provider's `read`, beside the reads it drives (the provider's module doc says what
    /// each lookup and container answers).
    pub(super) async fn read_scope(&self, scope: &Scope) -> Result<LiveRead, ProviderError> {
        let mut live = LiveRead::default();
        // Guest collection ids by policy name: known from earlier reads, then found here.
        let mut ids: BTreeMap<String, String> = scope
            .known_ids
            .iter()
            .filter(|(a, _)| a.keys.first().is_some_and(|k| **a == named_collection(k)))
            .map(|(a, id)| (a.keys[0].clone(), id.clone()))
            .collect();
        // What each endpoint's shared listings must cover.
        let mut gateways: BTreeMap<Uuid, BTreeSet<String>> = BTreeMap::new();
        let mut listed: BTreeSet<Uuid> = BTreeSet::new();
        let mut endpoints: BTreeSet<Uuid> = BTreeSet::new();
        let mut collections: Vec<&Lookup> = Vec::new();
        for lookup in &scope.lookups {
            match lookup.address.kind {
                k_ if k_ == crate::services::gcs::CREDENTIAL => {
                    let (endpoint, gateway) = credential_keys(&lookup.address)?;
                    gateways
                        .entry(endpoint)
                        .or_default()
                        .insert(gateway.to_string());
                    endpoints.insert(endpoint);
                }
                k_ if k_ == crate::services::gcs::COLLECTION => {
                    let (endpoint, _) = collection_keys(&lookup.address)?;
                    endpoints.insert(endpoint);
                    if lookup.pin.is_none() {
                        listed.insert(endpoint);
                    }
                    collections.push(lookup);
                }
                _ => {}
            }
        }
        // Each endpoint's manager URL is found once (Transfer `GET /endpoint/{E}`) before its
        // listings run side by side, each of which would otherwise ask Transfer for it.
        let discoveries: Vec<_> = endpoints
            .iter()
            .map(|e| self.http.instance_base(api::endpoint(*e)))
            .collect();
        for discovered in self.http.concurrently(discoveries).await {
            discovered?;
        }
        let credential_calls: Vec<_> = gateways
            .iter()
            .map(|(endpoint, on)| self.credentials_on(*endpoint, on))
            .collect();
        let listing_calls: Vec<_> = listed
            .iter()
            .map(|endpoint| self.guest_collections(*endpoint))
            .collect();
        let (credentials, listings) = futures::join!(
            self.http.concurrently(credential_calls),
            self.http.concurrently(listing_calls)
        );
        let mut credentials: BTreeMap<Uuid, Result<Vec<UserCredential>, HttpError>> =
            gateways.keys().copied().zip(credentials).collect();
        let mut listings: BTreeMap<Uuid, Result<Vec<Value>, HttpError>> =
            listed.iter().copied().zip(listings).collect();

        for lookup in &scope.lookups {
            if lookup.address.kind != crate::services::gcs::CREDENTIAL {
                continue;
            }
            let (endpoint, gateway) = credential_keys(&lookup.address)?;
            let listed = match credentials.get(&endpoint) {
                Some(Ok(list)) => list,
                _ => {
                    return Err(match credentials.remove(&endpoint) {
                        Some(Err(e)) => e.into(),
                        _ => ProviderError::NotFound(format!(
                            "{}: endpoint {endpoint} was not listed",
                            lookup.address
                        )),
                    });
                }
            };
            let me = self.me().map_err(HttpError::Config)?;
            let username = lookup.hints.get("username").and_then(Value::as_str);
            if let Some(c) = pick_credential(listed, gateway, username, me) {
                live.state
                    .insert(credential_object(lookup.address.clone(), &c));
            }
        }

        let found = self.find_collections(&collections, &mut listings).await?;
        let mapped: BTreeSet<(Uuid, Uuid)> = found
            .iter()
            .filter_map(|(_, endpoint, doc)| {
                let doc = doc.as_ref()?;
                if doc.get("storage_gateway_id").is_some_and(|g| !g.is_null()) {
                    return None;
                }
                let m = str_field(doc, "mapped_collection_id")?.parse().ok()?;
                Some((*endpoint, m))
            })
            .collect();
        let gateways_of = self.mapped_gateways(mapped).await;
        for (lookup, _, doc) in found {
            let Some(doc) = doc else { continue };
            let mut object = collection_object(lookup.address.clone(), &doc);
            if !object.attrs.contains_key("storage_gateway_id")
                && let Some(g) = str_field(&doc, "mapped_collection_id")
                    .and_then(|m| m.parse::<Uuid>().ok())
                    .and_then(|m| gateways_of.get(&m).cloned().flatten())
            {
                object = object.with("storage_gateway_id", g);
            }
            if let (Some(id), Some(name)) = (&object.server_id, lookup.address.keys.get(1)) {
                ids.insert(name.clone(), id.clone());
                // Later reads and apply find the collection by its policy name.
                live.ids.insert(named_collection(name), id.clone());
            }
            live.state.insert(object);
        }

        // Roles, one listing per existing collection.
        let mut role_reads: Vec<(&str, Uuid, String)> = Vec::new();
        for container in &scope.containers {
            if container.address.kind != crate::services::gcs::ROLE {
                continue;
            }
            let [name] = &container.address.keys[..] else {
                continue;
            };
            let Some(collection) = ids
                .get(name)
                .cloned()
                .or_else(|| name.parse::<Uuid>().ok().map(|u| u.to_string()))
            else {
                // The collection does not exist yet: it has no roles.
                continue;
            };
            let Some(endpoint) = self.known_endpoint(name) else {
                return Err(ProviderError::NotFound(format!(
                    "gcs.role[{name:?}]: the endpoint of collection {name} is not known (declare it under collections:)"
                )));
            };
            role_reads.push((name.as_str(), endpoint, collection));
        }
        if role_reads.is_empty() {
            return Ok(live);
        }
        let me = self.me().map_err(ProviderError::Credentials)?;
        let calls: Vec<_> = role_reads
            .iter()
            .map(|(_, endpoint, collection)| self.roles(*endpoint, collection))
            .collect();
        let got = self.http.concurrently(calls).await;
        for ((name, endpoint, _), roles) in role_reads.into_iter().zip(got) {
            self.role_objects(name, endpoint, roles?, me, &scope.group_names, &mut live);
        }
        Ok(live)
    }

    /// Finds each collection lookup: in its endpoint's shared guest listing (`listings`,
    /// taken out on error), else by `GET` of its pin; answers them in lookup order.
    async fn find_collections<'a>(
        &self,
        lookups: &[&'a Lookup],
        listings: &mut BTreeMap<Uuid, Result<Vec<Value>, HttpError>>,
    ) -> Result<Vec<(&'a Lookup, Uuid, Option<Value>)>, ProviderError> {
        let mut found: Vec<(&Lookup, Uuid, Found)> = Vec::with_capacity(lookups.len());
        for lookup in lookups {
            let (endpoint, name) = collection_keys(&lookup.address)?;
            self.remember_endpoint(name, endpoint);
            let listed = match listings.get(&endpoint) {
                Some(Ok(list)) => Some(list.as_slice()),
                _ => None,
            };
            let hit = match &lookup.pin {
                Some(pin) => listed
                    .and_then(|list| {
                        list.iter().find(|c| {
                            str_field(c, "id").is_some_and(|i| i.eq_ignore_ascii_case(pin))
                        })
                    })
                    .map_or_else(|| Found::Fetch(pin.clone()), |c| Found::Doc(c.clone())),
                None => {
                    let display_name = lookup
                        .hints
                        .get("display_name")
                        .and_then(Value::as_str)
                        .unwrap_or(name);
                    let Some(mapped) = lookup
                        .hints
                        .get("mapped_collection_id")
                        .and_then(Value::as_str)
                    else {
                        return Err(ProviderError::NotFound(format!(
                            "collection {name}: no mapped_collection_id to find it by"
                        )));
                    };
                    let list = match listed {
                        Some(list) => list,
                        None => {
                            return Err(match listings.remove(&endpoint) {
                                Some(Err(e)) => e.into(),
                                _ => ProviderError::NotFound(format!(
                                    "collection {name}: endpoint {endpoint} was not listed"
                                )),
                            });
                        }
                    };
                    let mut candidates = matching(list, display_name, mapped);
                    match candidates.len() {
                        0 => Found::Absent,
                        1 => Found::Doc(candidates.remove(0)),
                        _ => {
                            let ids: Vec<&str> = candidates
                                .iter()
                                .filter_map(|c| str_field(c, "id"))
                                .collect();
                            return Err(ProviderError::NotFound(format!(
                                "collection {name}: {} guest collections on endpoint {endpoint} are named `{display_name}` on mapped collection {mapped} ({}); pin one with `id:`",
                                candidates.len(),
                                ids.join(", ")
                            )));
                        }
                    }
                }
            };
            found.push((lookup, endpoint, hit));
        }
        let fetches: Vec<_> = found
            .iter()
            .filter_map(|(_, endpoint, hit)| match hit {
                Found::Fetch(pin) => Some(self.collection(*endpoint, pin)),
                _ => None,
            })
            .collect();
        let mut fetched = self.http.concurrently(fetches).await.into_iter();
        let mut out = Vec::with_capacity(found.len());
        for (lookup, endpoint, hit) in found {
            let doc = match hit {
                Found::Doc(doc) => Some(doc),
                Found::Absent => None,
                Found::Fetch(pin) => match fetched.next() {
                    Some(Ok(Some(doc))) => Some(doc),
                    Some(Ok(None)) | None => {
                        let (_, name) = collection_keys(&lookup.address)?;
                        return Err(ProviderError::NotFound(format!(
                            "collection {name}: the pinned id {pin} does not exist on endpoint {endpoint}"
                        )));
                    }
                    Some(Err(e)) => return Err(e.into()),
                },
            };
            out.push((lookup, endpoint, doc));
        }
        Ok(out)
    }

    /// The storage gateway of each mapped collection the guest collections sit on, which GCS
    /// keeps on the mapped collection: one `GET` per mapped collection, concurrently (best
    /// effort, as the field is computed: a failed read leaves it out).
    async fn mapped_gateways(
        &self,
        mapped: BTreeSet<(Uuid, Uuid)>,
    ) -> BTreeMap<Uuid, Option<String>> {
        let ids: Vec<String> = mapped.iter().map(|(_, m)| m.to_string()).collect();
        let calls: Vec<_> = mapped
            .iter()
            .zip(&ids)
            .map(|((endpoint, _), id)| self.collection(*endpoint, id))
            .collect();
        let got = self.http.concurrently(calls).await;
        mapped
            .into_iter()
            .zip(got)
            .map(|((_, m), doc)| {
                let gateway = match doc {
                    Ok(Some(d)) => str_field(&d, "storage_gateway_id").map(str::to_string),
                    Ok(None) => None,
                    Err(e) => {
                        tracing::debug!(mapped = %m, "reading the mapped collection failed: {e}");
                        None
                    }
                };
                (m, gateway)
            })
            .collect()
    }

    /// The role objects of one collection's roles (`gcs.role[N][ROLE][PRINCIPAL]`, depending
    /// on the collection); the running identity's own `administrator` role is system-managed.
    fn role_objects(
        &self,
        name: &str,
        endpoint: Uuid,
        roles: Vec<Role>,
        me: Uuid,
        group_names: &BTreeMap<String, String>,
        live: &mut LiveRead,
    ) {
        let me_key = Principal::Identity(me).to_string();
        let parent = Address::new(
            crate::services::gcs::COLLECTION,
            [endpoint.to_string(), name.to_string()],
        );
        for role in roles {
            let (role_name, urn) = (role.role.as_str(), role.principal.as_str());
            let key = principal_key(urn, group_names);
            let address = Address::new(
                crate::services::gcs::ROLE,
                [
                    name.to_string(),
                    role_name.to_string(),
                    key.clone().unwrap_or_else(|| urn.to_string()),
                ],
            );
            let mut object = Object::new(address);
            object.server_id = role.id.clone();
            object.depends_on = vec![parent.clone()];
            if key.is_none() || (role_name == "administrator" && key.as_deref() == Some(&me_key)) {
                live.system_managed.push(object);
            } else {
                live.state.insert(object);
            }
        }
    }
}
