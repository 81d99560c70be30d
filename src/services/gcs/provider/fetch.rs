//! The GCS calls both `read` and `apply` make: paginated listings of credentials, guest
//! collections and roles, one collection by id, and the choice among what they list.

use std::collections::BTreeSet;

use serde_json::Value;
use uuid::Uuid;

use crate::http::{HttpError, HttpRequest};
use crate::services::gcs::api;
use crate::services::gcs::wire::{Collection, GcsResult, Role, UserCredential};

use super::GcsProvider;
use super::documents::{first_item, str_field};

/// Items asked for per page of a GCS list.
const PAGE_SIZE: u32 = 100;

impl GcsProvider {
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
    pub(super) async fn find_credential(
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
    pub(super) async fn credentials_on(
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
    pub(super) async fn matching_collections(
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
}

/// The running identity's credential on `gateway` among those listed: the one with
/// `username` when given, else a valid one (lowest id first, so the choice is stable).
pub(super) fn pick_credential(
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
pub(super) fn matching(listed: &[Value], display_name: &str, mapped: &str) -> Vec<Value> {
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
