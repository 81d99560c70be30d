//! How Globus Auth is reached: its base URL, its token, and the token endpoint it serves.

use crate::http::{Api, ServiceId, Token};

/// Globus Auth's API.
pub static API: Api = Api {
    token: Token::Scopes {
        resource_server: "auth.globus.org",
        scopes: "openid profile email urn:globus:auth:scope:auth.globus.org:view_identity_set",
    },
    token_endpoint: Some("/v2/oauth2/token"),
    ..Api::new("auth", "https://auth.globus.org", "/auth")
};

/// Requests to Globus Auth.
pub const ID: ServiceId = ServiceId::fixed("auth");
