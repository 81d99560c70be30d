//! The OAuth2 client-credentials token document (RFC 6749 §5.1, with the `resource_server`
//! and `other_tokens` Globus Auth adds): what the shared client decodes from the token issuer.

use serde::{Deserialize, Serialize};

use crate::wire::Extra;

/// One access token for one resource server, as found in `other_tokens`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Token {
    /// The opaque bearer token.
    pub access_token: String,
    /// Space-separated scopes this token carries.
    #[serde(default)]
    pub scope: String,
    /// Lifetime in seconds from issue.
    #[serde(default)]
    pub expires_in: i64,
    /// Usually `Bearer`; may be absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
    /// The service this token is for (e.g. `transfer.api.globus.org`).
    pub resource_server: String,
    /// Never issued for client credentials; kept for other grants.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// OAuth `state` echo, when the grant had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Unknown fields, kept verbatim.
    #[serde(flatten, default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

/// `POST /v2/oauth2/token` response: one top-level token plus one per further resource server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenResponse {
    /// The opaque bearer token of the top-level resource server.
    pub access_token: String,
    /// Space-separated scopes of the top-level token.
    #[serde(default)]
    pub scope: String,
    /// Lifetime in seconds from issue.
    #[serde(default)]
    pub expires_in: i64,
    /// Usually `Bearer`; may be absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
    /// The service the top-level token is for.
    pub resource_server: String,
    /// Never issued for client credentials; kept for other grants.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// Present when `openid` was requested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    /// OAuth `state` echo, when the grant had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Tokens for the other resource servers of the request (always present, maybe empty).
    #[serde(default)]
    pub other_tokens: Vec<Token>,
    /// Unknown fields, kept verbatim.
    #[serde(flatten, default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

impl TokenResponse {
    /// Every token of the response as (resource server, access token), top-level first.
    pub fn by_resource_server(&self) -> Vec<(&str, &str)> {
        std::iter::once((self.resource_server.as_str(), self.access_token.as_str()))
            .chain(
                self.other_tokens
                    .iter()
                    .map(|t| (t.resource_server.as_str(), t.access_token.as_str())),
            )
            .collect()
    }
}
