//! Globus Auth documents: tokens, introspection, identities and error bodies.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::wire::Extra;

// The token document is OAuth2's, which the shared client decodes: it lives there, once.
pub use crate::http::oauth::{Token, TokenResponse};

/// `POST /v2/oauth2/token/introspect` response (`{"active": false}` for an unknown token).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct IntrospectResponse {
    /// Whether the token is valid now.
    pub active: bool,
    /// Usually `Bearer`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
    /// Space-separated scopes of the token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The client the token was issued to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Username of the token's identity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Display name of the token's identity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Email of the token's identity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Expiry, seconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    /// Issue time, seconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    /// Not-before time, seconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    /// The identity id of the token's subject.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// Audiences of the token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<Vec<String>>,
    /// Issuer URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// Identity ids linked to the subject (only with `include=identity_set`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_set: Option<Vec<String>>,
    /// Unknown fields, kept verbatim.
    #[serde(flatten, default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

/// `GET /v2/api/identities` response.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct IdentitiesResponse {
    /// The identities found; unknown names or ids are simply absent.
    #[serde(default)]
    pub identities: Vec<Identity>,
    /// Unknown fields, kept verbatim.
    #[serde(flatten, default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

/// A Globus Auth identity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Identity {
    /// The identity UUID.
    pub id: Uuid,
    /// The username, e.g. `alice@uchicago.edu`.
    pub username: String,
    /// `unused | used | private | closed`.
    #[serde(default)]
    pub status: String,
    /// The identity provider's UUID (a string to stay lenient).
    #[serde(default)]
    pub identity_provider: Option<String>,
    /// Display name, null when private or unused.
    #[serde(default)]
    pub name: Option<String>,
    /// Email, null when private or unused.
    #[serde(default)]
    pub email: Option<String>,
    /// Organization, null when unknown.
    #[serde(default)]
    pub organization: Option<String>,
    /// E.g. `login`; not always present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_type: Option<String>,
    /// Unknown fields, kept verbatim.
    #[serde(flatten, default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

/// An Auth error body: JSON:API `errors` for API routes, or the bare OAuth
/// `{"error": ...}` shape for the token endpoints (then `errors` is empty).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct AuthError {
    /// JSON:API error items (absent on OAuth endpoint errors).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<AuthErrorItem>,
    /// OAuth-style error code, e.g. `unauthorized` or `invalid_grant`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Human-readable description of `error`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
    /// Unknown fields, kept verbatim.
    #[serde(flatten, default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}

/// One JSON:API error item of an Auth error body.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct AuthErrorItem {
    /// The HTTP status as a string, e.g. `"401"`.
    #[serde(default)]
    pub status: String,
    /// Request id (the SDK reports it as `request_id`).
    #[serde(default)]
    pub id: String,
    /// E.g. `UNAUTHORIZED`, `FORBIDDEN`.
    #[serde(default)]
    pub code: String,
    /// Short title.
    #[serde(default)]
    pub title: String,
    /// Longer explanation.
    #[serde(default)]
    pub detail: String,
    /// Unknown fields, kept verbatim.
    #[serde(flatten, default, skip_serializing_if = "Extra::is_empty")]
    pub extra: Extra,
}
