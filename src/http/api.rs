//! The services the client talks to: their names, base URLs, tokens and documented rates.

use std::fmt;

/// A service the client talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Service {
    /// Globus Auth.
    Auth,
    /// Globus Groups.
    Groups,
    /// Globus Transfer.
    Transfer,
    /// Globus Search.
    Search,
    /// The Boss.
    Boss,
    /// The GCS Manager API of one Globus Connect Server endpoint (its UUID).
    Gcs(uuid::Uuid),
}

/// The services with a fixed base URL.
pub(super) const FIXED_SERVICES: [Service; 5] = [
    Service::Auth,
    Service::Groups,
    Service::Transfer,
    Service::Search,
    Service::Boss,
];

impl Service {
    /// The short name used in errors and logs.
    pub fn name(self) -> &'static str {
        match self {
            Service::Auth => "auth",
            Service::Groups => "groups",
            Service::Transfer => "transfer",
            Service::Search => "search",
            Service::Boss => "boss",
            Service::Gcs(_) => "gcs",
        }
    }

    /// The Globus resource server whose token this service takes (`None` for the Boss); a
    /// GCS endpoint is its own resource server.
    pub fn resource_server(self) -> Option<String> {
        match self {
            Service::Auth => Some("auth.globus.org".into()),
            Service::Groups => Some("groups.api.globus.org".into()),
            Service::Transfer => Some("transfer.api.globus.org".into()),
            Service::Search => Some("search.api.globus.org".into()),
            Service::Boss => None,
            Service::Gcs(endpoint) => Some(endpoint.to_string()),
        }
    }

    /// The scopes requested for this service's token (`None` for the Boss).
    pub fn scopes(self) -> Option<String> {
        match self {
            Service::Auth => Some(
                "openid profile email urn:globus:auth:scope:auth.globus.org:view_identity_set"
                    .into(),
            ),
            Service::Groups => Some("urn:globus:auth:scope:groups.api.globus.org:all".into()),
            Service::Transfer => Some("urn:globus:auth:scope:transfer.api.globus.org:all".into()),
            Service::Search => Some("urn:globus:auth:scope:search.api.globus.org:all".into()),
            Service::Boss => None,
            Service::Gcs(endpoint) => Some(gcs_manage_scope(endpoint)),
        }
    }
}

/// The scope of a GCS endpoint's Manager API: `urn:globus:auth:scope:<E>:manage_collections`.
pub fn gcs_manage_scope(endpoint: uuid::Uuid) -> String {
    format!("urn:globus:auth:scope:{endpoint}:manage_collections")
}

/// The scope for creating a guest collection on mapped collection `M` of endpoint `E`:
/// `…:manage_collections[https://auth.globus.org/scopes/<M>/data_access]`.
pub fn gcs_data_access_scope(endpoint: uuid::Uuid, mapped: uuid::Uuid) -> String {
    format!(
        "{}[https://auth.globus.org/scopes/{mapped}/data_access]",
        gcs_manage_scope(endpoint)
    )
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Service::Gcs(endpoint) => write!(f, "gcs {endpoint}"),
            other => f.write_str(other.name()),
        }
    }
}

/// The base URL of every service (no trailing slash; request paths start with `/`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceUrls {
    /// Globus Auth.
    pub auth: String,
    /// Globus Groups.
    pub groups: String,
    /// Globus Transfer (paths start with `/v0.10`).
    pub transfer: String,
    /// Globus Search.
    pub search: String,
    /// The Boss.
    pub boss: String,
}

impl Default for ServiceUrls {
    /// The real production services.
    fn default() -> Self {
        ServiceUrls::production()
    }
}

impl ServiceUrls {
    /// The real production services.
    pub fn production() -> Self {
        ServiceUrls {
            auth: "https://auth.globus.org".into(),
            groups: "https://groups.api.globus.org".into(),
            transfer: "https://transfer.api.globus.org".into(),
            search: "https://search.api.globus.org".into(),
            boss: "https://api.theboss.io".into(),
        }
    }

    /// An emulator at `base` (e.g. `http://127.0.0.1:8080`), each service under its prefix.
    pub fn emulator(base: &str) -> Self {
        let base = base.trim_end_matches('/');
        ServiceUrls {
            auth: format!("{base}/auth"),
            groups: format!("{base}/groups"),
            transfer: format!("{base}/transfer"),
            search: format!("{base}/search"),
            boss: format!("{base}/boss"),
        }
    }

    /// The base URL of one service; `None` for a GCS endpoint, whose base is discovered
    /// from Transfer ([`HttpClient::gcs_base`]).
    pub fn base(&self, service: Service) -> Option<&str> {
        match service {
            Service::Auth => Some(&self.auth),
            Service::Groups => Some(&self.groups),
            Service::Transfer => Some(&self.transfer),
            Service::Search => Some(&self.search),
            Service::Boss => Some(&self.boss),
            Service::Gcs(_) => None,
        }
    }
}
