//! How Globus Groups is reached: its base URL and its token.

use crate::http::{Api, ServiceId, Token};

/// Globus Groups' API.
pub static API: Api = Api {
    token: Token::Scopes {
        resource_server: "groups.api.globus.org",
        scopes: "urn:globus:auth:scope:groups.api.globus.org:all",
    },
    ..Api::new("groups", "https://groups.api.globus.org", "/groups")
};

/// Requests to Globus Groups.
pub const ID: ServiceId = ServiceId::fixed("groups");
