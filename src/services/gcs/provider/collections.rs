//! Applying guest collections: created on the right credential (adopting one that exists by
//! natural key), patched, deleted.

use serde_json::{Map, Value};
use uuid::Uuid;

use crate::http::{HttpError, HttpRequest};
use crate::plan::Change;
use crate::service::{IdMap, Outcome, failed};
use crate::services::gcs::api;
use crate::services::gcs::wire::Collection;
use crate::services::transfer::provider::named_collection;
use crate::state::{Address, Object};

use super::documents::{
    collection_object, document_fields, document_version, first_item, normalized, str_field,
};
use super::keys::{parse_endpoint, record_collection, server_id};
use super::{COLLECTION_FIELDS, GcsProvider, is_exists};

/// Fields whose change replaces a guest collection: never sent in a `PATCH`.
const REPLACE_FIELDS: &[&str] = &["collection_base_path", "mapped_collection_id"];

impl GcsProvider {
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

    pub(super) async fn create_collection(&self, change: &Change, ids: &IdMap) -> Outcome {
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

    pub(super) async fn update_collection(&self, change: &Change, ids: &IdMap) -> Outcome {
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

    pub(super) async fn delete_collection(&self, change: &Change, ids: &IdMap) -> Outcome {
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
}
