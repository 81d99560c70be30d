//! Credentials: secrets that never print, and Globus client credentials from the environment.

use std::fmt;

use super::ENV_CLIENT_ID;
use super::ENV_CLIENT_SECRET;
use crate::state::ProviderError;

/// A secret string: never printed by `Debug` or `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub(super) String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret(value.to_string())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Globus Auth client credentials (a confidential client).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GlobusCredentials {
    /// The client id (also the client's identity id).
    pub client_id: String,
    /// The client secret.
    pub client_secret: Secret,
}

impl GlobusCredentials {
    /// Explicit credentials (an embedded target uses the client its seed names).
    pub fn new(client_id: impl Into<String>, client_secret: impl Into<Secret>) -> Self {
        GlobusCredentials {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
        }
    }

    /// Reads `ACCORD_GLOBUS_CLIENT_ID` and `ACCORD_GLOBUS_CLIENT_SECRET`.
    pub fn from_env() -> Result<Self, ProviderError> {
        Self::from_env_or(None)
    }

    /// Reads the environment variables; where one is unset, uses `fallback` (a seed's client).
    pub fn from_env_or(fallback: Option<&GlobusCredentials>) -> Result<Self, ProviderError> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        match (var(ENV_CLIENT_ID), var(ENV_CLIENT_SECRET), fallback) {
            (Some(id), Some(secret), _) => Ok(GlobusCredentials::new(id, secret)),
            (None, None, Some(fb)) => Ok(fb.clone()),
            (Some(id), None, Some(fb)) => Ok(GlobusCredentials::new(id, fb.client_secret.clone())),
            (None, Some(secret), Some(fb)) => {
                Ok(GlobusCredentials::new(fb.client_id.clone(), secret))
            }
            (id, _, None) => Err(ProviderError::Credentials(format!(
                "set {} and {} (Globus client credentials); {} is missing",
                ENV_CLIENT_ID,
                ENV_CLIENT_SECRET,
                if id.is_none() {
                    ENV_CLIENT_ID
                } else {
                    ENV_CLIENT_SECRET
                }
            ))),
        }
    }
}
