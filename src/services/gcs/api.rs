//! How a GCS endpoint's Manager API is reached: each endpoint is an instance of its own,
//! whose base is its `gcs_manager_url` as Transfer reports it (`GET /v0.10/endpoint/{E}`),
//! never a file's; the endpoint is its own resource server.

use async_trait::async_trait;
use url::Url;
use uuid::Uuid;

use crate::http::{
    Api, Discover, Discovered, HttpClient, HttpError, HttpRequest, ServiceId, Token,
};
use crate::services::transfer;
use crate::services::transfer::wire::Endpoint;

/// The GCS Manager API of every endpoint.
pub static API: Api = Api {
    production: None,
    token: Token::PerInstance(manage_scope),
    discover: Some(&FromTransfer),
    ..Api::new("gcs", "", "/gcs")
};

/// Requests to one endpoint's Manager API.
pub fn endpoint(id: Uuid) -> ServiceId {
    ServiceId::instance("gcs", id)
}

/// The scope of a GCS endpoint's Manager API: `urn:globus:auth:scope:<E>:manage_collections`.
pub fn manage_scope(endpoint: Uuid) -> String {
    format!("urn:globus:auth:scope:{endpoint}:manage_collections")
}

/// The scope for creating a guest collection on mapped collection `M` of endpoint `E`:
/// `…:manage_collections[https://auth.globus.org/scopes/<M>/data_access]`.
pub fn data_access_scope(endpoint: Uuid, mapped: Uuid) -> String {
    format!(
        "{}[https://auth.globus.org/scopes/{mapped}/data_access]",
        manage_scope(endpoint)
    )
}

/// Finds an endpoint's Manager API from Transfer's endpoint document.
struct FromTransfer;

#[async_trait]
impl Discover for FromTransfer {
    async fn discover(&self, http: &HttpClient, endpoint: Uuid) -> Result<Discovered, HttpError> {
        let path = format!("/v0.10/endpoint/{endpoint}");
        let doc: Endpoint = http
            .send(&HttpRequest::get(transfer::api::ID, &path))
            .await?
            .json()?;
        let manager = doc
            .gcs_manager_url
            .filter(|u| !u.trim().is_empty())
            .ok_or_else(|| HttpError::Config(format!(
                "endpoint {endpoint} has no gcs_manager_url in Transfer: it is not a Globus Connect Server v5 endpoint"
            )))?;
        let url = Url::parse(manager.trim()).map_err(|e| {
            HttpError::Config(format!(
                "endpoint {endpoint}: gcs_manager_url `{manager}` is not a URL: {e}"
            ))
        })?;
        Ok(Discovered {
            api_base: format!("{}/api", url.as_str().trim_end_matches('/')),
            url,
            informant: transfer::api::ID.name,
        })
    }
}
