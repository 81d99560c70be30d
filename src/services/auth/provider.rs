//! Globus Auth: identity lookups (never provisioning) and the running identity.

use std::collections::BTreeSet;
use std::sync::Arc;

use async_trait::async_trait;

use crate::http::{HttpClient, HttpRequest};
use crate::service::{IdentityInfo, IdentityResolver, ProviderError};
use crate::services::auth::wire::{IdentitiesResponse, Identity};

/// Names or ids per identities call (the SDK's batch size).
pub const LOOKUP_BATCH: usize = 100;

/// Resolves principals through Globus Auth.
#[derive(Debug, Clone)]
pub struct GlobusAuth {
    http: Arc<HttpClient>,
}

impl GlobusAuth {
    /// A resolver sending through the shared client.
    pub fn new(http: Arc<HttpClient>) -> Self {
        GlobusAuth { http }
    }

    /// One identities call.
    async fn identities(&self, req: &HttpRequest) -> Result<IdentitiesResponse, ProviderError> {
        Ok(self.http.send(req).await?.json()?)
    }

    /// `GET /v2/api/identities` with `key=<comma list>` in batches; order is not preserved.
    async fn lookup(
        &self,
        key: &str,
        values: Vec<String>,
    ) -> Result<Vec<IdentityInfo>, ProviderError> {
        // The batches go out concurrently (the shared client caps requests in flight).
        let requests: Vec<HttpRequest> = values
            .chunks(LOOKUP_BATCH)
            .map(|chunk| {
                let req = HttpRequest::get(crate::services::auth::api::ID, "/v2/api/identities")
                    .query(key, chunk.join(","));
                if key == "usernames" {
                    req.query("provision", "false")
                } else {
                    req
                }
            })
            .collect();
        let calls: Vec<_> = requests.iter().map(|req| self.identities(req)).collect();
        let pages: Vec<Result<IdentitiesResponse, ProviderError>> =
            self.http.concurrently(calls).await;
        let mut out = Vec::new();
        for page in pages {
            out.extend(page?.identities.into_iter().map(info));
        }
        Ok(out)
    }
}

fn info(i: Identity) -> IdentityInfo {
    IdentityInfo {
        id: i.id,
        username: i.username,
        status: i.status,
    }
}

#[async_trait]
impl IdentityResolver for GlobusAuth {
    async fn by_usernames(&self, usernames: &[String]) -> Result<Vec<IdentityInfo>, ProviderError> {
        let wanted: BTreeSet<String> = usernames
            .iter()
            .map(|u| u.trim().to_string())
            .filter(|u| !u.is_empty())
            .collect();
        let lower: BTreeSet<String> = wanted.iter().map(|u| u.to_lowercase()).collect();
        let found = self
            .lookup("usernames", wanted.into_iter().collect())
            .await?;
        // Usernames match case-insensitively; keep only what was asked for.
        Ok(found
            .into_iter()
            .filter(|i| lower.contains(&i.username.to_lowercase()))
            .collect())
    }

    async fn by_ids(&self, ids: &[uuid::Uuid]) -> Result<Vec<IdentityInfo>, ProviderError> {
        let wanted: BTreeSet<uuid::Uuid> = ids.iter().copied().collect();
        let found = self
            .lookup("ids", wanted.iter().map(uuid::Uuid::to_string).collect())
            .await?;
        Ok(found
            .into_iter()
            .filter(|i| wanted.contains(&i.id))
            .collect())
    }

    /// A confidential client is its own identity: its identity id is its client id, its
    /// username `<client_id>@clients.auth.globus.org`. No call is made (no introspection).
    async fn whoami(&self) -> Result<IdentityInfo, ProviderError> {
        if let Some(why) = self.http.credentials_missing() {
            return Err(ProviderError::Credentials(why.to_string()));
        }
        client_identity(self.http.client_id())
    }
}

/// The identity of the confidential client `client_id`.
pub fn client_identity(client_id: &str) -> Result<IdentityInfo, ProviderError> {
    let id = client_id.parse::<uuid::Uuid>().map_err(|_| {
        ProviderError::Credentials(format!(
            "the client id `{client_id}` is not a UUID, so it names no Globus identity"
        ))
    })?;
    Ok(IdentityInfo {
        id,
        username: format!("{client_id}@clients.auth.globus.org"),
        status: "used".into(),
    })
}

/// The OAuth client an emulator's connection document names (its `client`), or, from an
/// emulator too old to serve that document, the first client of its state (`clients`).
pub fn emulator_client(doc: &serde_json::Value) -> Option<crate::http::GlobusCredentials> {
    let (id, secret) = match doc.get("client") {
        Some(c) => (c.get("client_id")?, c.get("client_secret")?),
        None => {
            let c = doc.get("clients")?.as_object()?.values().next()?;
            (c.get("id")?, c.get("secret")?)
        }
    };
    Some(crate::http::GlobusCredentials::new(
        id.as_str()?,
        secret.as_str()?.to_string(),
    ))
}
