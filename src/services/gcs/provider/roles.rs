//! Applying collection roles: created (adopting one that exists) and deleted on the
//! endpoint of their collection.

use uuid::Uuid;

use crate::http::HttpRequest;
use crate::plan::Change;
use crate::service::{IdMap, Outcome, failed};
use crate::services::gcs::api;
use crate::services::gcs::wire::Role;

use super::documents::{first_item, str_field};
use super::keys::{collection_id_by_name, principal_urn, server_id};
use super::{GcsProvider, is_exists};

impl GcsProvider {
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

    pub(super) async fn create_role(&self, change: &Change, ids: &IdMap) -> Outcome {
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

    pub(super) async fn delete_role(&self, change: &Change, ids: &IdMap) -> Outcome {
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
