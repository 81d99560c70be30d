//! How Globus Flows is reached: its base URL and its token. The reference documents no rate
//! limit for Flows.

use crate::http::{Api, ServiceId, Token};

/// Flows' resource server.
pub const RESOURCE_SERVER: &str = "flows.globus.org";

/// Flows' scope prefix: `…/{all,manage_flows,view_flows,run,run_status,run_manage}`.
pub const SCOPE_PREFIX: &str =
    "https://auth.globus.org/scopes/eec9b274-0c81-4334-bdc2-54e90e689b9a";

/// Globus Flows' API: no version prefix; the emulator serves it under `/flows`.
pub static API: Api = Api {
    token: Token::Scopes {
        resource_server: RESOURCE_SERVER,
        scopes: "https://auth.globus.org/scopes/eec9b274-0c81-4334-bdc2-54e90e689b9a/all",
    },
    ..Api::new("flows", "https://flows.automate.globus.org", "/flows")
};

/// Requests to Globus Flows.
pub const ID: ServiceId = ServiceId::fixed("flows");
