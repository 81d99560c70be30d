//! How Globus Search is reached: its base URL, its token and its documented rate.

use crate::http::{Api, ServiceId, Token};

/// Globus Search's API; its documented limit is 5–10 requests per second per client.
pub static API: Api = Api {
    token: Token::Scopes {
        resource_server: "search.api.globus.org",
        scopes: "urn:globus:auth:scope:search.api.globus.org:all",
    },
    rate_per_sec: Some(10),
    ..Api::new("search", "https://search.api.globus.org", "/search")
};

/// Requests to Globus Search.
pub const ID: ServiceId = ServiceId::fixed("search");
