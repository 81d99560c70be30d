//! How Globus Transfer is reached: its base URL (paths start with `/v0.10`), its token, its
//! documented rate, and the error codes never retried.

use crate::http::{Api, ServiceId, Token};

/// Globus Transfer's API. Its documented limit is 20 requests per second; error codes
/// containing `ExternalError` or `EndpointError` are final (the SDK never retries them).
pub static API: Api = Api {
    token: Token::Scopes {
        resource_server: "transfer.api.globus.org",
        scopes: "urn:globus:auth:scope:transfer.api.globus.org:all",
    },
    rate_per_sec: Some(20),
    final_codes: &["ExternalError", "EndpointError"],
    ..Api::new("transfer", "https://transfer.api.globus.org", "/transfer")
};

/// Requests to Globus Transfer.
pub const ID: ServiceId = ServiceId::fixed("transfer");
