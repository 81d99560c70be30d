//! Identity lookups: the one thing resolution asks of a service (Globus Auth implements it).

use async_trait::async_trait;

use super::live::ProviderError;

/// A resolved Globus identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityInfo {
    /// Identity UUID.
    pub id: uuid::Uuid,
    /// Username.
    pub username: String,
    /// `unused | used | private | closed`.
    pub status: String,
}

/// Looks principals up on Globus Auth, never provisioning.
#[async_trait]
pub trait IdentityResolver: Send + Sync {
    /// Identities for these usernames; unknown usernames are simply missing from the result.
    async fn by_usernames(&self, usernames: &[String]) -> Result<Vec<IdentityInfo>, ProviderError>;
    /// Identities for these ids; unknown ids are missing from the result.
    async fn by_ids(&self, ids: &[uuid::Uuid]) -> Result<Vec<IdentityInfo>, ProviderError>;
    /// The identity accord runs as (token introspection), for protecting its own access.
    async fn whoami(&self) -> Result<IdentityInfo, ProviderError>;
}
