//! Globus Connect Server v5: the user credentials, guest collections and collection roles
//! accord manages on GCS endpoints (`docs/gcs-model.md`).
//!
//! Every call goes to the endpoint's own Manager API ([`Service::Gcs`]), whose URL the shared
//! client discovers from Transfer and trusts for that endpoint's token only.
//!
//! What `read` answers (the engine's GCS phase):
//! - a [`Lookup`] of kind `gcs.credential` at `[E, G]` (`hints.username` when the policy sets
//!   `local_username`): the running identity's own user credential on gateway `G` of `E`, as
//!   `identity_id` and `username`, `server_id` = the credential id;
//! - a [`Lookup`] of kind `gcs.collection` at `[E, N]`: the guest collection pinned by `id:`
//!   (a missing pin is [`ProviderError::NotFound`]), else the one guest collection on `E`
//!   whose `display_name` and `mapped_collection_id` match `hints` (several are an error),
//!   with its document fields and `server_id` = the collection id;
//! - a container `gcs.role[N]` (partial address): every role of `N`'s collection, found by id
//!   through `Scope::collection_ids` or the collections read in the same call, as
//!   `gcs.role[N][ROLE][PRINCIPAL]` objects depending on `gcs.collection[E][N]`. The running
//!   identity's own `administrator` role (the creator's, added by the service) is
//!   system-managed.
//!
//! Reads are shared per endpoint, so their number does not grow with the lookups: one
//! `user_credentials` listing per endpoint (filtered by gateway when the lookups name one
//! gateway there), one guest collection listing per endpoint with an unpinned collection
//! (all its pages), which also answers the pinned collections it holds, a `GET` per other
//! pinned collection and per mapped collection (its storage gateway), and one role listing
//! per existing collection (`include=all_roles` would list an endpoint's in one go, but it
//! needs the endpoint's administrator role, which a guest collection's creator seldom holds,
//! and it lists every collection's roles). Each endpoint's manager URL is discovered once
//! first; the calls of each step then run concurrently, within the shared client's limits
//! per endpoint.
//!
//! `apply` creates credentials (never deletes them: one may back other collections), creates,
//! patches and deletes guest collections, and creates and deletes roles. A create is never
//! blindly resent: after a failure that may have reached the service, the object is re-read by
//! its natural key and adopted; `exists`/`conflict` answers are adopted the same way.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::api;
use crate::http::{HttpClient, HttpError, HttpRequest};
use crate::plan::{Action, Change};
use crate::service::{
    Caller, IdMap, LiveRead, Lookup, Outcome, Provider, ProviderError, Scope, failed,
};
use crate::services::gcs::wire::{
    Collection, GcsResult, Role, USER_CREDENTIAL_DATA_TYPE, UserCredential,
};
use crate::services::transfer::provider::named_collection;
use crate::state::{Address, Kind, Object, Principal};

const KINDS: &[Kind] = &[
    crate::services::gcs::CREDENTIAL,
    crate::services::gcs::COLLECTION,
    crate::services::gcs::ROLE,
];

/// Items asked for per page of a GCS list.
const PAGE_SIZE: u32 = 100;

/// The guest collection document fields accord reads and writes (besides the identifying
/// `collection_type`, `identity_id` and `user_credential_id`).
pub const COLLECTION_FIELDS: &[&str] = &[
    "display_name",
    "public",
    "collection_base_path",
    "mapped_collection_id",
    "description",
    "organization",
    "department",
    "contact_email",
    "contact_info",
    "info_link",
    "keywords",
    "default_directory",
    "force_encryption",
    "disable_verify",
    "force_verify",
    "enable_https",
    "user_message",
    "user_message_link",
    "acl_expiration_mins",
    "restrict_transfers_to_high_assurance",
    "skip_auto_delete",
    "activity_notification_policy",
    "associated_flow_policy",
];

/// Fields whose change replaces a guest collection: never sent in a `PATCH`.
const REPLACE_FIELDS: &[&str] = &["collection_base_path", "mapped_collection_id"];

/// The lowest collection document version that carries each newer field (as the SDK picks).
const FIELD_VERSIONS: &[(&str, u32)] = &[
    ("user_message", 1),
    ("user_message_link", 1),
    ("enable_https", 1),
    ("force_verify", 4),
    ("acl_expiration_mins", 10),
    ("restrict_transfers_to_high_assurance", 12),
    ("skip_auto_delete", 13),
    ("activity_notification_policy", 14),
    ("associated_flow_policy", 15),
];

/// The Globus Connect Server provider.
#[derive(Debug)]
pub struct GcsProvider {
    http: Arc<HttpClient>,
    /// Guest collection policy name → its endpoint, learned from reads and applies, for
    /// role changes whose address names only the collection.
    endpoints: Mutex<BTreeMap<String, Uuid>>,
}

impl GcsProvider {
    /// A provider sending through the shared client.
    pub fn new(http: Arc<HttpClient>) -> Self {
        GcsProvider {
            http,
            endpoints: Mutex::new(BTreeMap::new()),
        }
    }

    /// The identity accord runs as: a confidential client's identity id is its client id.
    fn me(&self) -> Result<Uuid, String> {
        self.http.client_id().parse().map_err(|_| {
            format!(
                "the client id `{}` is not a UUID, so it is no identity id",
                self.http.client_id()
            )
        })
    }

    /// Every item of a marker-paginated GCS list.
    async fn list(
        &self,
        endpoint: Uuid,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<Vec<Value>, HttpError> {
        let mut items = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let mut req = HttpRequest::get(api::endpoint(endpoint), path)
                .query("page_size", PAGE_SIZE.to_string());
            for (k, v) in query {
                req = req.query(k, v.clone());
            }
            if let Some(m) = &marker {
                req = req.query("marker", m.clone());
            }
            let page: GcsResult<Value> = self.http.send(&req).await?.json()?;
            let next = page.next_marker().map(str::to_string);
            items.extend(page.data);
            match next {
                Some(n) if marker.as_deref() != Some(n.as_str()) => marker = Some(n),
                _ => return Ok(items),
            }
        }
    }

    /// The caller's own user credentials on one storage gateway of an endpoint.
    pub async fn user_credentials(
        &self,
        endpoint: Uuid,
        gateway: &str,
    ) -> Result<Vec<UserCredential>, HttpError> {
        let items = self
            .list(
                endpoint,
                "/user_credentials",
                &[("storage_gateway", gateway.to_string())],
            )
            .await?;
        Ok(
            decode_all::<UserCredential>(endpoint, "/user_credentials", items)?
                .into_iter()
                .filter(|c| {
                    c.storage_gateway_id
                        .as_deref()
                        .is_none_or(|g| g.eq_ignore_ascii_case(gateway))
                        && c.deleted != Some(true)
                })
                .collect(),
        )
    }

    /// The running identity's credential on a gateway: the one with `username` when given,
    /// else a valid one (lowest id first, so the choice is stable).
    async fn find_credential(
        &self,
        endpoint: Uuid,
        gateway: &str,
        username: Option<&str>,
    ) -> Result<Option<UserCredential>, HttpError> {
        let me = self.me().map_err(HttpError::Config)?;
        let listed = self.user_credentials(endpoint, gateway).await?;
        Ok(pick_credential(&listed, gateway, username, me))
    }

    /// The caller's own user credentials on the given gateways of an endpoint, in one
    /// listing: filtered by the gateway when there is one (the same call as
    /// [`GcsProvider::user_credentials`]), else all of them.
    async fn credentials_on(
        &self,
        endpoint: Uuid,
        gateways: &BTreeSet<String>,
    ) -> Result<Vec<UserCredential>, HttpError> {
        if let [gateway] = Vec::from_iter(gateways).as_slice() {
            return self.user_credentials(endpoint, gateway).await;
        }
        let items = self.list(endpoint, "/user_credentials", &[]).await?;
        decode_all::<UserCredential>(endpoint, "/user_credentials", items)
    }

    /// Every guest collection on an endpoint that the caller can see.
    pub async fn guest_collections(&self, endpoint: Uuid) -> Result<Vec<Value>, HttpError> {
        let items = self
            .list(
                endpoint,
                "/collections",
                &[("filter", "guest_collections".into())],
            )
            .await?;
        Ok(decode_all::<Collection>(endpoint, "/collections", items)?
            .into_iter()
            .filter(|c| c.collection_type.is_none() || c.is_guest())
            .map(|c| serde_json::to_value(c).unwrap_or(Value::Null))
            .collect())
    }

    /// One collection by id; `None` when the endpoint does not have it.
    pub async fn collection(&self, endpoint: Uuid, id: &str) -> Result<Option<Value>, HttpError> {
        let req = HttpRequest::get(api::endpoint(endpoint), format!("/collections/{id}"));
        match self.http.send(&req).await {
            Ok(resp) => Ok(first_item(&resp.body, "collection")),
            Err(e) if e.status() == Some(404) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The guest collections on an endpoint matching a display name and mapped collection.
    async fn matching_collections(
        &self,
        endpoint: Uuid,
        display_name: &str,
        mapped: &str,
    ) -> Result<Vec<Value>, HttpError> {
        let listed = self.guest_collections(endpoint).await?;
        Ok(matching(&listed, display_name, mapped))
    }

    /// Every role on one collection.
    pub async fn roles(&self, endpoint: Uuid, collection: &str) -> Result<Vec<Role>, HttpError> {
        let items = self
            .list(
                endpoint,
                "/roles",
                &[("collection_id", collection.to_string())],
            )
            .await?;
        Ok(decode_all::<Role>(endpoint, "/roles", items)?
            .into_iter()
            .filter(|r| {
                r.collection
                    .as_deref()
                    .is_some_and(|c| c.eq_ignore_ascii_case(collection))
            })
            .collect())
    }

    fn remember_endpoint(&self, name: &str, endpoint: Uuid) {
        self.endpoints
            .lock()
            .expect("endpoint map poisoned")
            .insert(name.to_string(), endpoint);
    }

    fn known_endpoint(&self, name: &str) -> Option<Uuid> {
        self.endpoints
            .lock()
            .expect("endpoint map poisoned")
            .get(name)
            .copied()
    }

    // ---- read ----

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

    // ---- apply ----

    async fn apply_one(&self, change: &Change, ids: &IdMap) -> Outcome {
        use crate::services::gcs::{COLLECTION, CREDENTIAL, ROLE};
        let kind = change.address.kind;
        if kind == CREDENTIAL {
            match change.action {
                Action::Create | Action::Replace => self.create_credential(change, ids).await,
                Action::Update => self.update_credential(change, ids).await,
                Action::Delete => {
                    tracing::info!(address = %change.address, "user credentials are never deleted");
                    Outcome::Applied { server_id: None }
                }
            }
        } else if kind == COLLECTION {
            match change.action {
                Action::Create => self.create_collection(change, ids).await,
                Action::Update => self.update_collection(change, ids).await,
                Action::Delete => self.delete_collection(change, ids).await,
                Action::Replace => match self.delete_collection(change, ids).await {
                    Outcome::Applied { .. } => self.create_collection(change, ids).await,
                    other => other,
                },
            }
        } else if kind == ROLE {
            match change.action {
                Action::Create => self.create_role(change, ids).await,
                Action::Delete => self.delete_role(change, ids).await,
                Action::Replace => match self.delete_role(change, ids).await {
                    Outcome::Applied { .. } => self.create_role(change, ids).await,
                    other => other,
                },
                // A role has nothing to update on the server (accord enforces expiry by
                // revoking).
                Action::Update => Outcome::Applied {
                    server_id: server_id(change, ids),
                },
            }
        } else {
            failed(format!("the gcs provider does not manage {kind}"))
        }
    }

    async fn create_credential(&self, change: &Change, ids: &IdMap) -> Outcome {
        let [endpoint, gateway] = &change.address.keys[..] else {
            return failed(format!("{}: not a credential address", change.address));
        };
        let endpoint = match parse_endpoint(endpoint) {
            Ok(e) => e,
            Err(e) => return failed(e),
        };
        let me = match self.me() {
            Ok(m) => m,
            Err(e) => return failed(e),
        };
        let after = change.after.as_ref();
        let username = after.and_then(|a| a.str_attr("username"));
        let attr = |f: &str| after.and_then(|a| a.attrs.get(f)).filter(|v| !v.is_null());
        let body = UserCredential {
            identity_id: Some(me.to_string()),
            storage_gateway_id: Some(gateway.clone()),
            username: username.map(str::to_string),
            display_name: attr("display_name")
                .and_then(Value::as_str)
                .map(str::to_string),
            policies: attr("policies").cloned(),
            ..UserCredential::default()
        };
        let req = HttpRequest::post(api::endpoint(endpoint), "/user_credentials")
            .json(&body)
            .create();
        let adopt = || async {
            match self.find_credential(endpoint, gateway, username).await {
                Ok(Some(c)) => c.id.map(|id| {
                    ids.insert(change.address.clone(), id.clone());
                    tracing::info!(credential = %id, address = %change.address, "adopted existing user credential");
                    Ok(id)
                }),
                Ok(None) => None,
                Err(e) => Some(Err(format!("re-reading the user credentials failed: {e}"))),
            }
        };
        let mut backoff = self.http.create_backoff();
        loop {
            match self.http.send(&req).await {
                Ok(resp) => {
                    let Some(id) = first_item(&resp.body, "user_credential")
                        .as_ref()
                        .and_then(|c| str_field(c, "id"))
                        .map(str::to_string)
                    else {
                        return failed("the created user credential has no id");
                    };
                    ids.insert(change.address.clone(), id.clone());
                    return Outcome::Applied {
                        server_id: Some(id),
                    };
                }
                Err(e) if is_exists(&e) => {
                    return match adopt().await {
                        Some(Ok(id)) => Outcome::Applied {
                            server_id: Some(id),
                        },
                        Some(Err(m)) => failed(m),
                        None => failed(format!("{e}; but no credential was found on re-read")),
                    };
                }
                Err(e) if e.is_maybe_applied() => {
                    if !self.http.pause_before_retry(&mut backoff, &e).await {
                        return failed(e);
                    }
                    match adopt().await {
                        Some(Ok(id)) => {
                            return Outcome::Applied {
                                server_id: Some(id),
                            };
                        }
                        Some(Err(m)) => return failed(m),
                        None => {}
                    }
                }
                Err(e) => return failed(e),
            }
        }
    }

    async fn update_credential(&self, change: &Change, ids: &IdMap) -> Outcome {
        let Some(id) = server_id(change, ids) else {
            return failed(format!("{}: no known credential id", change.address));
        };
        let endpoint = match parse_endpoint(&change.address.keys[0]) {
            Ok(e) => e,
            Err(e) => return failed(e),
        };
        let mut body = Map::new();
        for f in &change.fields {
            if f.name == "display_name" || f.name == "policies" {
                body.insert(f.name.clone(), f.after.clone());
            }
        }
        if body.is_empty() {
            return Outcome::Applied {
                server_id: Some(id),
            };
        }
        body.insert("DATA_TYPE".into(), USER_CREDENTIAL_DATA_TYPE.into());
        let req = HttpRequest::patch(api::endpoint(endpoint), format!("/user_credentials/{id}"))
            .json(&Value::Object(body));
        match self.http.send(&req).await {
            Ok(_) => Outcome::Applied {
                server_id: Some(id),
            },
            Err(e) => failed(e),
        }
    }

    /// The id of the credential a new collection uses: the one recorded for its gateway
    /// (created or read earlier), else the running identity's own, found live.
    async fn credential_for(
        &self,
        change: &Change,
        endpoint: Uuid,
        after: &Object,
        ids: &IdMap,
    ) -> Result<String, String> {
        let credential = after
            .depends_on
            .iter()
            .find(|a| a.kind == crate::services::gcs::CREDENTIAL && a.keys.len() == 2)
            .cloned()
            .or_else(|| {
                after.str_attr("storage_gateway_id").map(|g| {
                    Address::new(crate::services::gcs::CREDENTIAL, [endpoint.to_string(), g.to_string()])
                })
            })
            .ok_or_else(|| {
                format!(
                    "{}: neither a credential dependency nor a storage_gateway_id says which credential to use",
                    change.address
                )
            })?;
        if let Some(id) = ids.get(&credential) {
            return Ok(id);
        }
        match self
            .find_credential(endpoint, &credential.keys[1], None)
            .await
        {
            Ok(Some(c)) => c.id.ok_or_else(|| format!("{credential} has no id")),
            Ok(None) => Err(format!(
                "{}: no user credential of accord's identity on gateway {} (plan {credential} first)",
                change.address, credential.keys[1]
            )),
            Err(e) => Err(format!("finding {credential} failed: {e}")),
        }
    }

    async fn create_collection(&self, change: &Change, ids: &IdMap) -> Outcome {
        let Some(after) = &change.after else {
            return failed("create without a desired object");
        };
        let [endpoint, name] = &change.address.keys[..] else {
            return failed(format!(
                "{}: not a guest collection address",
                change.address
            ));
        };
        let endpoint = match parse_endpoint(endpoint) {
            Ok(e) => e,
            Err(e) => return failed(e),
        };
        self.remember_endpoint(name, endpoint);
        let Some(mapped) = after
            .str_attr("mapped_collection_id")
            .and_then(|m| m.parse::<Uuid>().ok())
        else {
            return failed(format!(
                "{}: mapped_collection_id is missing or not a UUID",
                change.address
            ));
        };
        let me = match self.me() {
            Ok(m) => m,
            Err(e) => return failed(e),
        };
        let credential = match self.credential_for(change, endpoint, after, ids).await {
            Ok(c) => c,
            Err(e) => return failed(e),
        };
        let display_name = after.str_attr("display_name").unwrap_or(name).to_string();
        let mut body = document_fields(after);
        body.insert("display_name".into(), display_name.clone().into());
        body.insert("collection_type".into(), "guest".into());
        body.insert("identity_id".into(), me.to_string().into());
        body.insert("user_credential_id".into(), credential.into());
        body.insert(
            "DATA_TYPE".into(),
            format!("collection#1.{}.0", document_version(&body)).into(),
        );
        let document: Collection = match serde_json::from_value(Value::Object(body)) {
            Ok(d) => d,
            Err(e) => {
                return failed(format!(
                    "{}: not a collection document: {e}",
                    change.address
                ));
            }
        };
        let req = HttpRequest::post(api::endpoint(endpoint), "/collections")
            .json(&document)
            .create()
            .scope(crate::services::gcs::api::data_access_scope(
                endpoint, mapped,
            ));
        let mut backoff = self.http.create_backoff();
        loop {
            match self.http.send(&req).await {
                Ok(resp) => {
                    let Some(id) = first_item(&resp.body, "collection")
                        .as_ref()
                        .and_then(|c| str_field(c, "id"))
                        .map(str::to_string)
                    else {
                        return failed("the created guest collection has no id");
                    };
                    record_collection(ids, &change.address, &id);
                    return Outcome::Applied {
                        server_id: Some(id),
                    };
                }
                Err(e) if is_exists(&e) => {
                    return self
                        .adopt_collection(change, ids, endpoint, &display_name, mapped, after)
                        .await
                        .unwrap_or_else(|| {
                            failed(format!(
                                "{e}; but no guest collection `{display_name}` was found on re-read"
                            ))
                        });
                }
                Err(e) if e.is_maybe_applied() => {
                    // Never resend blindly: re-read by natural key and adopt it if there.
                    if !self.http.pause_before_retry(&mut backoff, &e).await {
                        return failed(e);
                    }
                    if let Some(outcome) = self
                        .adopt_collection(change, ids, endpoint, &display_name, mapped, after)
                        .await
                    {
                        return outcome;
                    }
                }
                Err(e) => return failed(e),
            }
        }
    }

    /// Re-reads the guest collections by natural key (display name, mapped collection) and
    /// adopts the one found, patching fields that differ. `None` when there is none.
    async fn adopt_collection(
        &self,
        change: &Change,
        ids: &IdMap,
        endpoint: Uuid,
        display_name: &str,
        mapped: Uuid,
        after: &Object,
    ) -> Option<Outcome> {
        let mut found = match self
            .matching_collections(endpoint, display_name, &mapped.to_string())
            .await
        {
            Ok(f) => f,
            Err(e) => {
                return Some(failed(format!(
                    "re-reading the guest collections failed: {e}"
                )));
            }
        };
        let doc = match found.len() {
            0 => return None,
            1 => found.remove(0),
            n => {
                return Some(failed(format!(
                    "{}: {n} guest collections named `{display_name}` exist on mapped collection {mapped}; pin one with `id:`",
                    change.address
                )));
            }
        };
        let id = str_field(&doc, "id")?.to_string();
        let live = collection_object(change.address.clone(), &doc);
        for field in REPLACE_FIELDS {
            if let (Some(want), Some(have)) = (after.attrs.get(*field), live.attrs.get(*field))
                && normalized(field, want) != *have
            {
                return Some(failed(format!(
                    "{}: guest collection {id} named `{display_name}` exists with {field} {have}, not {want}; pin it with `id:` or rename",
                    change.address
                )));
            }
        }
        record_collection(ids, &change.address, &id);
        let patch: Map<String, Value> = document_fields(after)
            .into_iter()
            .filter(|(k, v)| {
                !REPLACE_FIELDS.contains(&k.as_str())
                    && live.attrs.get(k) != Some(&normalized(k, v))
            })
            .collect();
        if !patch.is_empty()
            && let Err(e) = self.patch_collection(endpoint, &id, patch).await
        {
            return Some(failed(format!(
                "adopted existing guest collection {id}, but updating it failed: {e}"
            )));
        }
        tracing::info!(collection = %id, address = %change.address, "adopted existing guest collection");
        Some(Outcome::Applied {
            server_id: Some(id),
        })
    }

    async fn patch_collection(
        &self,
        endpoint: Uuid,
        id: &str,
        mut fields: Map<String, Value>,
    ) -> Result<(), HttpError> {
        let version = document_version(&fields);
        fields.insert(
            "DATA_TYPE".into(),
            format!("collection#1.{version}.0").into(),
        );
        let req = HttpRequest::patch(api::endpoint(endpoint), format!("/collections/{id}"))
            .json(&Value::Object(fields));
        self.http.send(&req).await.map(|_| ())
    }

    fn collection_id(&self, change: &Change, ids: &IdMap) -> Option<String> {
        server_id(change, ids).or_else(|| {
            change
                .address
                .keys
                .get(1)
                .and_then(|n| ids.get(&named_collection(n)))
        })
    }

    async fn update_collection(&self, change: &Change, ids: &IdMap) -> Outcome {
        let Some(id) = self.collection_id(change, ids) else {
            return failed(format!("{}: no known collection id", change.address));
        };
        let endpoint = match parse_endpoint(&change.address.keys[0]) {
            Ok(e) => e,
            Err(e) => return failed(e),
        };
        let after = change.after.as_ref();
        let desired = after.map(document_fields).unwrap_or_default();
        let mut fields: Map<String, Value> = change
            .fields
            .iter()
            .filter(|f| {
                COLLECTION_FIELDS.contains(&f.name.as_str())
                    && !REPLACE_FIELDS.contains(&f.name.as_str())
            })
            .map(|f| {
                // An explicit null removes the field on the server.
                let v = desired.get(&f.name).cloned().unwrap_or(Value::Null);
                (f.name.clone(), v)
            })
            .collect();
        if change.fields.is_empty() {
            fields = desired
                .into_iter()
                .filter(|(k, _)| !REPLACE_FIELDS.contains(&k.as_str()))
                .collect();
        }
        record_collection(ids, &change.address, &id);
        if fields.is_empty() {
            return Outcome::Applied {
                server_id: Some(id),
            };
        }
        match self.patch_collection(endpoint, &id, fields).await {
            Ok(()) => Outcome::Applied {
                server_id: Some(id),
            },
            Err(e) => failed(e),
        }
    }

    async fn delete_collection(&self, change: &Change, ids: &IdMap) -> Outcome {
        let Some(id) = self.collection_id(change, ids) else {
            return failed(format!("{}: no known collection id", change.address));
        };
        let endpoint = match parse_endpoint(&change.address.keys[0]) {
            Ok(e) => e,
            Err(e) => return failed(e),
        };
        let req = HttpRequest::delete(api::endpoint(endpoint), format!("/collections/{id}"));
        match self.http.send(&req).await {
            Ok(_) => Outcome::Applied { server_id: None },
            Err(e) if e.status() == Some(404) => Outcome::Applied { server_id: None },
            Err(e) => failed(e),
        }
    }

    /// The endpoint of a role change's collection: from its dependency on
    /// `gcs.collection[E][N]`, else learned from a read or create.
    fn role_endpoint(&self, change: &Change) -> Result<Uuid, String> {
        let name = &change.address.keys[0];
        change
            .after
            .iter()
            .chain(change.before.iter())
            .flat_map(|o| o.depends_on.iter())
            .find(|a| {
                a.kind == crate::services::gcs::COLLECTION
                    && a.keys.len() == 2
                    && a.keys[1] == *name
            })
            .and_then(|a| a.keys[0].parse().ok())
            .or_else(|| self.known_endpoint(name))
            .ok_or_else(|| {
                format!(
                    "{}: the endpoint of collection {name} is not known",
                    change.address
                )
            })
    }

    async fn create_role(&self, change: &Change, ids: &IdMap) -> Outcome {
        let [name, role, principal] = &change.address.keys[..] else {
            return failed(format!("{}: not a role address", change.address));
        };
        let endpoint = match self.role_endpoint(change) {
            Ok(e) => e,
            Err(e) => return failed(e),
        };
        let Some(collection) = collection_id_by_name(name, endpoint, ids) else {
            return failed(format!(
                "{}: the id of collection {name} is not known (was it created?)",
                change.address
            ));
        };
        let urn = match principal_urn(principal, ids) {
            Ok(u) => u,
            Err(e) => return failed(format!("{}: {e}", change.address)),
        };
        let body = Role::new(Some(collection.clone()), urn.clone(), role.clone());
        let req = HttpRequest::post(api::endpoint(endpoint), "/roles")
            .json(&body)
            .create();
        let mut backoff = self.http.create_backoff();
        loop {
            match self.http.send(&req).await {
                Ok(resp) => {
                    let Some(id) = first_item(&resp.body, "role")
                        .as_ref()
                        .and_then(|r| str_field(r, "id"))
                        .map(str::to_string)
                    else {
                        return failed("the created role has no id");
                    };
                    ids.insert(change.address.clone(), id.clone());
                    return Outcome::Applied {
                        server_id: Some(id),
                    };
                }
                Err(e) if is_exists(&e) => {
                    return self
                        .adopt_role(change, ids, endpoint, &collection, role, &urn)
                        .await
                        .unwrap_or_else(|| {
                            failed(format!("{e}; but no such role was found on re-read"))
                        });
                }
                Err(e) if e.is_maybe_applied() => {
                    if !self.http.pause_before_retry(&mut backoff, &e).await {
                        return failed(e);
                    }
                    if let Some(outcome) = self
                        .adopt_role(change, ids, endpoint, &collection, role, &urn)
                        .await
                    {
                        return outcome;
                    }
                }
                Err(e) => return failed(e),
            }
        }
    }

    /// Re-reads a collection's roles and adopts the one for (role, principal), if there.
    async fn adopt_role(
        &self,
        change: &Change,
        ids: &IdMap,
        endpoint: Uuid,
        collection: &str,
        role: &str,
        urn: &str,
    ) -> Option<Outcome> {
        let roles = match self.roles(endpoint, collection).await {
            Ok(r) => r,
            Err(e) => return Some(failed(format!("re-reading the roles failed: {e}"))),
        };
        let found = roles
            .iter()
            .find(|r| r.role == role && r.principal.eq_ignore_ascii_case(urn))?;
        let id = found.id.clone()?;
        ids.insert(change.address.clone(), id.clone());
        tracing::info!(role = %id, address = %change.address, "adopted existing role");
        Some(Outcome::Applied {
            server_id: Some(id),
        })
    }

    async fn delete_role(&self, change: &Change, ids: &IdMap) -> Outcome {
        let Some(id) = server_id(change, ids) else {
            return failed(format!("{}: no known role id", change.address));
        };
        let endpoint = match self.role_endpoint(change) {
            Ok(e) => e,
            Err(e) => return failed(e),
        };
        let req = HttpRequest::delete(api::endpoint(endpoint), format!("/roles/{id}"));
        match self.http.send(&req).await {
            Ok(_) => Outcome::Applied { server_id: None },
            Err(e) if e.status() == Some(404) => Outcome::Applied { server_id: None },
            Err(e) => failed(e),
        }
    }
}

/// Records a guest collection's id under `gcs.collection[E][N]` and Transfer's `named_collection(N)`.
fn record_collection(ids: &IdMap, address: &Address, id: &str) {
    ids.insert(address.clone(), id.to_string());
    if let Some(name) = address.keys.get(1) {
        ids.insert(named_collection(name), id.to_string());
    }
}

/// A collection's id by policy name (a UUID names itself).
fn collection_id_by_name(name: &str, endpoint: Uuid, ids: &IdMap) -> Option<String> {
    ids.get(&named_collection(name))
        .or_else(|| {
            ids.get(&Address::new(
                crate::services::gcs::COLLECTION,
                [endpoint.to_string(), name.to_string()],
            ))
        })
        .or_else(|| name.parse::<Uuid>().ok().map(|u| u.to_string()))
}

/// How a guest collection lookup was found.
enum Found {
    /// Its document, from the endpoint's listing.
    Doc(Value),
    /// Not in the listing: its pin is read with a `GET`.
    Fetch(String),
    /// No guest collection matches it: it does not exist yet.
    Absent,
}

/// The running identity's credential on `gateway` among those listed: the one with
/// `username` when given, else a valid one (lowest id first, so the choice is stable).
fn pick_credential(
    listed: &[UserCredential],
    gateway: &str,
    username: Option<&str>,
    me: Uuid,
) -> Option<UserCredential> {
    let me = me.to_string();
    let mut mine: Vec<&UserCredential> = listed
        .iter()
        .filter(|c| {
            c.storage_gateway_id
                .as_deref()
                .is_none_or(|g| g.eq_ignore_ascii_case(gateway))
                && c.deleted != Some(true)
        })
        .filter(|c| {
            c.identity_id
                .as_deref()
                .is_none_or(|i| i.eq_ignore_ascii_case(&me))
        })
        .filter(|c| username.is_none_or(|u| c.username.as_deref() == Some(u)))
        .collect();
    mine.sort_by_key(|c| (!c.is_usable(), c.id.clone().unwrap_or_default()));
    mine.first().map(|c| (*c).clone())
}

/// The listed guest collections with this display name on this mapped collection.
fn matching(listed: &[Value], display_name: &str, mapped: &str) -> Vec<Value> {
    listed
        .iter()
        .filter(|c| {
            str_field(c, "display_name") == Some(display_name)
                && str_field(c, "mapped_collection_id")
                    .is_some_and(|m| m.eq_ignore_ascii_case(mapped))
        })
        .cloned()
        .collect()
}

/// The endpoint and gateway of a credential address.
fn credential_keys(address: &Address) -> Result<(Uuid, &str), ProviderError> {
    endpoint_and_key(address, "credential")
}

/// The endpoint and policy name of a guest collection address.
fn collection_keys(address: &Address) -> Result<(Uuid, &str), ProviderError> {
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

fn parse_endpoint(key: &str) -> Result<Uuid, String> {
    key.parse()
        .map_err(|_| format!("`{key}` is not a GCS endpoint UUID"))
}

fn str_field<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// The first item of a result envelope's `data` whose `DATA_TYPE` names `name`
/// (else the first item).
fn first_item(body: &Value, name: &str) -> Option<Value> {
    let result: GcsResult<Value> = serde_json::from_value(body.clone()).ok()?;
    let picked = result
        .data
        .iter()
        .position(|d| {
            str_field(d, "DATA_TYPE")
                .is_some_and(|t| crate::services::gcs::wire::data_type_name(t) == name)
        })
        .unwrap_or(0);
    result.data.into_iter().nth(picked)
}

/// Whether an error says the object already exists (`exists`, `conflict`, HTTP 409).
fn is_exists(e: &HttpError) -> bool {
    e.status() == Some(409) || matches!(e.code(), Some("exists" | "Exists"))
}

/// A value normalised as accord keeps it: base paths end in `/`, keyword lists are sorted.
fn normalized(field: &str, v: &Value) -> Value {
    match (field, v) {
        ("collection_base_path", Value::String(p)) if !p.ends_with('/') => format!("{p}/").into(),
        ("keywords", Value::Array(items)) => {
            let mut items = items.clone();
            items.sort_by_key(|a| a.to_string());
            Value::Array(items)
        }
        _ => v.clone(),
    }
}

/// The document fields a desired collection sets (`null`s left out).
fn document_fields(o: &Object) -> Map<String, Value> {
    o.attrs
        .iter()
        .filter(|(k, v)| COLLECTION_FIELDS.contains(&k.as_str()) && !v.is_null())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// The minor version of the collection document needed by these fields.
fn document_version(fields: &Map<String, Value>) -> u32 {
    FIELD_VERSIONS
        .iter()
        .filter(|(f, _)| fields.contains_key(*f))
        .map(|(_, v)| *v)
        .max()
        .unwrap_or(0)
}

/// The live object of a user credential.
fn credential_object(address: Address, c: &UserCredential) -> Object {
    let mut o = Object::new(address);
    for (field, value) in [
        ("identity_id", &c.identity_id),
        ("username", &c.username),
        ("display_name", &c.display_name),
    ] {
        if let Some(v) = value {
            o = o.with(field, v.clone());
        }
    }
    o.server_id = c.id.clone();
    o
}

/// Decodes the items of a list into a wire type.
fn decode_all<T: serde::de::DeserializeOwned>(
    endpoint: Uuid,
    path: &str,
    items: Vec<Value>,
) -> Result<Vec<T>, HttpError> {
    items
        .into_iter()
        .map(|v| {
            serde_json::from_value(v).map_err(|e| HttpError::Decode {
                service: api::endpoint(endpoint),
                method: "GET".into(),
                path: path.to_string(),
                message: e.to_string(),
            })
        })
        .collect()
}

/// The live object of a guest collection.
fn collection_object(address: Address, doc: &Value) -> Object {
    let mut o = Object::new(address);
    for field in COLLECTION_FIELDS
        .iter()
        .chain(&["storage_gateway_id", "user_credential_id"])
    {
        if let Some(v) = doc.get(*field).filter(|v| !v.is_null()) {
            o = o.with(field, normalized(field, v));
        }
    }
    o.server_id = str_field(doc, "id").map(str::to_string);
    o
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
fn principal_urn(key: &str, ids: &IdMap) -> Result<String, String> {
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
fn server_id(change: &Change, ids: &IdMap) -> Option<String> {
    change
        .before
        .as_ref()
        .and_then(|b| b.server_id.clone())
        .or_else(|| ids.get(&change.address))
}

#[async_trait]
impl Provider for GcsProvider {
    fn name(&self) -> &'static str {
        "gcs"
    }

    fn kinds(&self) -> &'static [Kind] {
        KINDS
    }

    fn caller(&self) -> Caller {
        Caller::OAuthClient
    }

    fn reads_before(&self) -> &'static [&'static str] {
        // Transfer's rules on a guest collection name it by policy name: its id comes from here.
        &[crate::services::transfer::api::ID.name]
    }

    fn needs_group_names(&self) -> bool {
        true
    }

    async fn read(&self, scope: &Scope) -> Result<LiveRead, ProviderError> {
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

    async fn apply(&self, changes: &[Change], ids: &IdMap) -> Vec<Outcome> {
        let mut out = Vec::with_capacity(changes.len());
        for c in changes {
            out.push(self.apply_one(c, ids).await);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ID: &str = "2d7a4c6e-0a8e-4d8f-9d1e-5f6a7b8c9d0e";
    const GROUP: &str = "8b7d57bc-1666-11ec-88b2-f50515619d57";

    #[test]
    fn role_principals_key_canonically() {
        let mut names = BTreeMap::new();
        assert_eq!(
            principal_key(&format!("urn:globus:auth:identity:{ID}"), &names).as_deref(),
            Some(format!("identity:{ID}").as_str())
        );
        assert_eq!(
            principal_key(&format!("urn:globus:groups:id:{GROUP}"), &names).as_deref(),
            Some(format!("group:{GROUP}").as_str())
        );
        names.insert(GROUP.to_string(), "lab-admins".to_string());
        assert_eq!(
            principal_key(&format!("urn:globus:groups:id:{GROUP}"), &names).as_deref(),
            Some("group:lab-admins")
        );
        assert_eq!(principal_key("urn:globus:auth:identity:nope", &names), None);
        assert_eq!(principal_key("all_authenticated_users", &names), None);
    }

    #[test]
    fn role_principals_go_out_as_urns() {
        let ids = IdMap::default();
        ids.insert(
            Address::new(crate::services::groups::GROUP, ["lab"]),
            GROUP.into(),
        );
        assert_eq!(
            principal_urn("group:lab", &ids).unwrap(),
            format!("urn:globus:groups:id:{GROUP}")
        );
        assert_eq!(
            principal_urn(&format!("identity:{ID}"), &ids).unwrap(),
            format!("urn:globus:auth:identity:{ID}")
        );
        assert!(principal_urn("group:other", &ids).is_err());
        assert!(principal_urn("anonymous", &ids).is_err());
    }

    #[test]
    fn document_version_follows_fields() {
        let mut m = Map::new();
        m.insert("display_name".into(), "x".into());
        assert_eq!(document_version(&m), 0);
        m.insert("enable_https".into(), true.into());
        assert_eq!(document_version(&m), 1);
        m.insert("acl_expiration_mins".into(), 60.into());
        assert_eq!(document_version(&m), 10);
    }

    #[test]
    fn live_collection_is_normalised() {
        let doc = json!({"DATA_TYPE": "collection#1.0.0", "id": "c1", "display_name": "Lab",
            "collection_base_path": "/lab", "public": true, "keywords": ["b", "a"],
            "https_url": "https://x", "description": null});
        let o = collection_object(
            Address::new(crate::services::gcs::COLLECTION, [ID, "lab"]),
            &doc,
        );
        assert_eq!(o.attrs["collection_base_path"], "/lab/");
        assert_eq!(o.attrs["keywords"], json!(["a", "b"]));
        assert!(!o.attrs.contains_key("https_url"));
        assert!(!o.attrs.contains_key("description"));
        assert_eq!(o.server_id.as_deref(), Some("c1"));
    }

    #[test]
    fn created_ids_are_recorded_twice() {
        let ids = IdMap::default();
        let a = Address::new(crate::services::gcs::COLLECTION, [ID, "lab"]);
        record_collection(&ids, &a, "c1");
        assert_eq!(ids.get(&a).as_deref(), Some("c1"));
        assert_eq!(ids.get(&named_collection("lab")).as_deref(), Some("c1"));
        assert_eq!(
            collection_id_by_name("lab", ID.parse().unwrap(), &ids).as_deref(),
            Some("c1")
        );
    }
}
