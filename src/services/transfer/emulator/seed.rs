//! Transfer's seed section (`endpoints`): endpoints and collections with their roles, ACL
//! rules and directories. The section is Transfer's, and so are the records it builds; the
//! fields of a `GCSv5_endpoint` and of the collections on one (storage gateways, user
//! credentials, a collection's gateway and base path) are read and checked by GCS's emulator.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::service::emulator::derived_id;
use crate::services::auth::emulator::SeedDirectory;
use crate::services::groups::emulator::SeedGroups;
use crate::services::transfer::wire::PrincipalType;

/// Transfer's part of a seed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TransferSeed {
    /// Transfer endpoints and collections with their roles and ACL rules.
    #[serde(default)]
    pub endpoints: Vec<SeedEndpoint>,
}

/// A Transfer endpoint or collection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedEndpoint {
    /// Endpoint UUID; derived from the display name when omitted.
    #[serde(default)]
    pub id: Option<Uuid>,
    /// Display name.
    pub display_name: String,
    /// Defaults to `GCSv5_mapped_collection`.
    #[serde(default = "mapped_collection")]
    pub entity_type: String,
    /// Owner identity (id or username); reported as `owner_id`/`owner_string`.
    #[serde(default)]
    pub owner: Option<String>,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Organization.
    #[serde(default)]
    pub organization: Option<String>,
    /// The GCS Manager URL reported by `GET /endpoint/{id}`.
    #[serde(default)]
    pub gcs_manager_url: Option<String>,
    /// For collections: the GCS endpoint hosting it.
    #[serde(default)]
    pub host_endpoint_id: Option<Uuid>,
    /// For guest collections: their mapped collection.
    #[serde(default)]
    pub mapped_collection_id: Option<Uuid>,
    /// Whether the endpoint is listed publicly.
    #[serde(default)]
    pub public: bool,
    /// Directories that exist already (`/` always does).
    #[serde(default)]
    pub directories: Vec<String>,
    /// Role holders: identity ids or usernames, or `group:<id or seeded name>`.
    #[serde(default)]
    pub roles: SeedRoles,
    /// Explicit ACL rules.
    #[serde(default)]
    pub acl: Vec<SeedAclRule>,
    /// `GCSv5_endpoint` only: the endpoint's storage gateways.
    #[serde(default)]
    pub storage_gateways: Vec<SeedStorageGateway>,
    /// `GCSv5_endpoint` only: user credentials held on its storage gateways.
    #[serde(default)]
    pub user_credentials: Vec<SeedUserCredential>,
    /// Mapped collections on a GCS endpoint: the storage gateway (id or display name on
    /// the `host_endpoint_id` endpoint; default: the host's first gateway).
    #[serde(default)]
    pub storage_gateway: Option<String>,
    /// Collections on a GCS endpoint: the collection's root (default `/`); for guest
    /// collections relative to the mapped collection's root.
    #[serde(default)]
    pub collection_base_path: Option<String>,
}

/// A storage gateway of a seeded GCS endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedStorageGateway {
    /// Gateway UUID; derived from the endpoint and display name when omitted.
    #[serde(default)]
    pub id: Option<Uuid>,
    /// Display name (unique on its endpoint).
    pub display_name: String,
    /// Connector: `posix` (default), `s3`, `google_cloud_storage`, ...
    #[serde(default = "posix")]
    pub connector: String,
}

impl SeedStorageGateway {
    /// The gateway id, explicit or derived from the endpoint id and display name.
    pub fn id(&self, endpoint: Uuid) -> Uuid {
        self.id.unwrap_or_else(|| {
            derived_id(
                "storage_gateway",
                &format!("{endpoint}:{}", self.display_name),
            )
        })
    }
}

fn posix() -> String {
    "posix".into()
}

/// A user credential of a seeded GCS endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedUserCredential {
    /// Credential UUID; derived from the endpoint, identity and gateway when omitted.
    #[serde(default)]
    pub id: Option<Uuid>,
    /// The identity it belongs to (id or username, clients included).
    pub identity: String,
    /// Its storage gateway (id or display name on this endpoint).
    pub storage_gateway: String,
    /// Local username; default: the local part of the identity's username.
    #[serde(default)]
    pub username: Option<String>,
    /// Display name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Whether the credential no longer works (default false).
    #[serde(default)]
    pub invalid: bool,
}

impl SeedEndpoint {
    /// The endpoint id, explicit or derived from the display name.
    pub fn id(&self) -> Uuid {
        self.id
            .unwrap_or_else(|| derived_id("endpoint", &self.display_name))
    }
}

fn mapped_collection() -> String {
    "GCSv5_mapped_collection".into()
}

/// The Transfer roles of a seeded endpoint.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedRoles {
    /// Full control, ACLs included.
    #[serde(default)]
    pub administrator: Vec<String>,
    /// Manages ACLs.
    #[serde(default)]
    pub access_manager: Vec<String>,
    /// Views and deletes ACLs.
    #[serde(default)]
    pub restricted_administrator: Vec<String>,
    /// GCS: the endpoint's owner (endpoint role only).
    #[serde(default)]
    pub owner: Vec<String>,
    /// GCS: manages tasks of others.
    #[serde(default)]
    pub activity_manager: Vec<String>,
    /// GCS: views tasks of others.
    #[serde(default)]
    pub activity_monitor: Vec<String>,
    /// GCS: views ACLs.
    #[serde(default)]
    pub access_monitor: Vec<String>,
}

impl SeedRoles {
    /// Every role name with its holders, in a fixed order.
    pub fn all(&self) -> [(&'static str, &Vec<String>); 7] {
        [
            ("administrator", &self.administrator),
            ("access_manager", &self.access_manager),
            ("restricted_administrator", &self.restricted_administrator),
            ("owner", &self.owner),
            ("activity_manager", &self.activity_manager),
            ("activity_monitor", &self.activity_monitor),
            ("access_monitor", &self.access_monitor),
        ]
    }
}

/// One explicit ACL rule of a seeded endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedAclRule {
    /// Rule id; derived from the endpoint, principal and path when omitted.
    #[serde(default)]
    pub id: Option<String>,
    /// `identity`, `group`, `all_authenticated_users` or `anonymous`.
    pub principal_type: PrincipalType,
    /// Identity id or username, group id or seeded name, or empty for the special types.
    #[serde(default)]
    pub principal: String,
    /// Path, beginning and ending with `/`.
    pub path: String,
    /// `r` or `rw`.
    pub permissions: String,
    /// RFC 3339 expiry, if any.
    #[serde(default)]
    pub expiration_date: Option<String>,
}

impl SeedEndpoint {
    /// Resolves a storage gateway of this endpoint by id or display name.
    pub fn gateway_ref(&self, r: &str) -> Option<Uuid> {
        let ep = self.id();
        self.storage_gateways
            .iter()
            .find(|g| g.display_name == r || r.parse::<Uuid>().is_ok_and(|id| id == g.id(ep)))
            .map(|g| g.id(ep))
    }
}

impl TransferSeed {
    /// Adds the problems of this section: repeated ids, and owners, role holders and ACL
    /// principals that are no seeded identity or group, bad paths and expiry dates.
    pub fn validate(
        &self,
        identities: &SeedDirectory,
        groups: &SeedGroups,
        problems: &mut Vec<String>,
    ) {
        let mut endpoint_ids = BTreeMap::new();
        for e in &self.endpoints {
            if endpoint_ids.insert(e.id(), ()).is_some() {
                problems.push(format!("duplicate endpoint id {}", e.id()));
            }
            if let Some(owner) = &e.owner
                && identities.identity(owner).is_none()
            {
                problems.push(format!(
                    "endpoint {}: unknown owner {owner}",
                    e.display_name
                ));
            }
            let all_roles = e.roles.all();
            for r in all_roles.iter().flat_map(|(_, holders)| holders.iter()) {
                let ok = match r.strip_prefix("group:") {
                    Some(g) => groups.group(g).is_some(),
                    None => identities.identity(r).is_some(),
                };
                if !ok {
                    problems.push(format!(
                        "endpoint {}: unknown role holder {r}",
                        e.display_name
                    ));
                }
            }
            for rule in &e.acl {
                let ok = match rule.principal_type {
                    PrincipalType::Identity => identities.identity(&rule.principal).is_some(),
                    PrincipalType::Group => groups.group(&rule.principal).is_some(),
                    PrincipalType::AllAuthenticatedUsers | PrincipalType::Anonymous => {
                        rule.principal.is_empty()
                    }
                    PrincipalType::Other(_) => false,
                };
                if !ok {
                    problems.push(format!(
                        "endpoint {}: bad ACL principal {}:{}",
                        e.display_name,
                        rule.principal_type.as_str(),
                        rule.principal
                    ));
                }
                if !super::valid_path(&rule.path) {
                    problems.push(format!(
                        "endpoint {}: ACL path {} must begin and end with /",
                        e.display_name, rule.path
                    ));
                }
                if let Some(exp) = &rule.expiration_date
                    && chrono::DateTime::parse_from_rfc3339(exp).is_err()
                {
                    problems.push(format!(
                        "endpoint {}: bad expiration_date {exp}",
                        e.display_name
                    ));
                }
            }
        }
    }
}
