//! The seed file: the emulator's starting state, written by people in YAML (or JSON).
//!
//! Ids may be left out where a name identifies the object; they are then derived from a
//! hash of the name, so the same seed always yields the same state.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::services::groups::wire::{GroupPoliciesWrite, MembershipStatus, Role};
use crate::services::transfer::wire::PrincipalType;

/// Why a seed could not be used.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    /// The YAML did not parse or did not fit the seed format.
    #[error("seed YAML: {0}")]
    Yaml(String),
    /// The JSON did not parse or did not fit the seed format.
    #[error("seed JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The seed parsed but refers to something it does not define, or repeats an id.
    #[error("seed: {0}")]
    Invalid(String),
}

/// The emulator's starting state: clients, identities, groups, endpoints and rate limits.
///
/// Unknown top-level keys are ignored so that sections for services emulated elsewhere
/// may share the file; every nested entry is strict.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Seed {
    /// Confidential clients that may get tokens; each is also an identity.
    #[serde(default)]
    pub clients: Vec<SeedClient>,
    /// Globus Auth identities.
    #[serde(default)]
    pub identities: Vec<SeedIdentity>,
    /// Globus groups with their members.
    #[serde(default)]
    pub groups: Vec<SeedGroup>,
    /// Transfer endpoints and collections with their roles and ACL rules.
    #[serde(default)]
    pub endpoints: Vec<SeedEndpoint>,
    /// Optional per-service request rate limits.
    #[serde(default)]
    pub rate_limits: RateLimits,
    /// The Boss: users with tokens and roles, groups, coordinate frames and resources.
    #[serde(default)]
    pub boss: crate::services::boss::emulator::BossSeed,
    /// Globus Search: indexes with their roles and entries.
    #[serde(default)]
    pub search: crate::services::search::emulator::SearchSeed,
}

/// A confidential client (client credentials grant).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedClient {
    /// The client id, which is also its identity id.
    pub client_id: Uuid,
    /// The client secret checked by the token endpoint.
    pub client_secret: String,
    /// Defaults to `<client_id>@clients.auth.globus.org`.
    #[serde(default)]
    pub username: Option<String>,
    /// Display name of the client identity.
    #[serde(default)]
    pub name: Option<String>,
    /// Whether Groups managers may add this client to groups (default true).
    #[serde(default = "yes")]
    pub allow_add: bool,
}

impl SeedClient {
    /// The client's identity username.
    pub fn username(&self) -> String {
        self.username
            .clone()
            .unwrap_or_else(|| format!("{}@clients.auth.globus.org", self.client_id))
    }
}

fn yes() -> bool {
    true
}

/// A Globus Auth identity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedIdentity {
    /// Identity UUID; derived from the username when omitted.
    #[serde(default)]
    pub id: Option<Uuid>,
    /// Username, e.g. `alice@uchicago.edu` (unique, case-insensitive).
    pub username: String,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// Email.
    #[serde(default)]
    pub email: Option<String>,
    /// Organization.
    #[serde(default)]
    pub organization: Option<String>,
    /// `used` (default), `unused`, `private` or `closed`.
    #[serde(default = "used")]
    pub status: String,
    /// Whether Groups managers may add this identity without an invitation (default true).
    #[serde(default = "yes")]
    pub allow_add: bool,
    /// Access tokens issued to this identity beforehand, by resource server
    /// (`search.api.globus.org: alice-search-token`): users have no client credentials, so
    /// this is how a test calls as one.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tokens: BTreeMap<String, String>,
}

impl SeedIdentity {
    /// The identity id, explicit or derived from the username.
    pub fn id(&self) -> Uuid {
        self.id
            .unwrap_or_else(|| derived_id("identity", &self.username.to_lowercase()))
    }
}

fn used() -> String {
    "used".into()
}

/// A Globus group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedGroup {
    /// Group UUID; derived from the name when omitted.
    #[serde(default)]
    pub id: Option<Uuid>,
    /// Display name.
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Policies; unset ones take the service defaults.
    #[serde(default)]
    pub policies: Option<GroupPoliciesWrite>,
    /// Memberships.
    #[serde(default)]
    pub members: Vec<SeedMember>,
}

impl SeedGroup {
    /// The group id, explicit or derived from the name.
    pub fn id(&self) -> Uuid {
        self.id.unwrap_or_else(|| derived_id("group", &self.name))
    }
}

/// One membership of a seeded group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedMember {
    /// An identity id or username (clients included).
    pub identity: String,
    /// `member` (default), `manager` or `admin`.
    #[serde(default = "member")]
    pub role: Role,
    /// `active` (default), `invited`, `pending`, `left`, ...
    #[serde(default = "active")]
    pub status: MembershipStatus,
}

fn member() -> Role {
    Role::Member
}

fn active() -> MembershipStatus {
    MembershipStatus::Active
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

/// Requests per second allowed per service before a 429 (absent: unlimited).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimits {
    /// Limit for `/auth`.
    #[serde(default)]
    pub auth: Option<u32>,
    /// Limit for `/groups`.
    #[serde(default)]
    pub groups: Option<u32>,
    /// Limit for `/transfer`.
    #[serde(default)]
    pub transfer: Option<u32>,
    /// Limit for `/gcs` (all GCS endpoints together).
    #[serde(default)]
    pub gcs: Option<u32>,
    /// Limit for `/boss`.
    #[serde(default)]
    pub boss: Option<u32>,
    /// Limit for `/search` (the reference gives 5–10 requests/second per client).
    #[serde(default)]
    pub search: Option<u32>,
}

impl Seed {
    /// Parses and validates a YAML seed.
    pub fn from_yaml_str(text: &str) -> Result<Seed, SeedError> {
        let seed: Seed =
            serde_saphyr::from_str(text).map_err(|e| SeedError::Yaml(e.to_string()))?;
        seed.validate()?;
        Ok(seed)
    }

    /// Parses and validates a JSON seed.
    pub fn from_json_str(text: &str) -> Result<Seed, SeedError> {
        let seed: Seed = serde_json::from_str(text)?;
        seed.validate()?;
        Ok(seed)
    }

    /// Checks that ids are unique and that every reference names something seeded.
    pub fn validate(&self) -> Result<(), SeedError> {
        let mut problems = Vec::new();
        let mut ids = BTreeMap::new();
        let mut usernames = BTreeMap::new();
        for c in &self.clients {
            if ids.insert(c.client_id, "client").is_some() {
                problems.push(format!("duplicate identity id {}", c.client_id));
            }
            usernames.insert(c.username().to_lowercase(), c.client_id);
        }
        for i in &self.identities {
            if ids.insert(i.id(), "identity").is_some() {
                problems.push(format!("duplicate identity id {}", i.id()));
            }
            if usernames
                .insert(i.username.to_lowercase(), i.id())
                .is_some()
            {
                problems.push(format!("duplicate username {}", i.username));
            }
        }
        let identity_ok = |r: &str| match r.parse::<Uuid>() {
            Ok(id) => ids.contains_key(&id),
            Err(_) => usernames.contains_key(&r.to_lowercase()),
        };
        let mut group_ids = BTreeMap::new();
        let mut group_names: BTreeMap<&str, usize> = BTreeMap::new();
        for g in &self.groups {
            if group_ids.insert(g.id(), ()).is_some() {
                problems.push(format!("duplicate group id {} ({})", g.id(), g.name));
            }
            *group_names.entry(g.name.as_str()).or_default() += 1;
        }
        let group_ok = |r: &str| match r.parse::<Uuid>() {
            // An unseeded group UUID is fine: Transfer accepts any group id.
            Ok(_) => true,
            Err(_) => group_names.get(r) == Some(&1),
        };
        for g in &self.groups {
            for m in &g.members {
                if !identity_ok(&m.identity) {
                    problems.push(format!(
                        "group {}: unknown member identity {}",
                        g.name, m.identity
                    ));
                }
            }
        }
        let mut endpoint_ids = BTreeMap::new();
        for e in &self.endpoints {
            if endpoint_ids.insert(e.id(), ()).is_some() {
                problems.push(format!("duplicate endpoint id {}", e.id()));
            }
            if let Some(owner) = &e.owner
                && !identity_ok(owner)
            {
                problems.push(format!(
                    "endpoint {}: unknown owner {owner}",
                    e.display_name
                ));
            }
            let all_roles = e.roles.all();
            for r in all_roles.iter().flat_map(|(_, holders)| holders.iter()) {
                let ok = match r.strip_prefix("group:") {
                    Some(g) => group_ok(g),
                    None => identity_ok(r),
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
                    PrincipalType::Identity => identity_ok(&rule.principal),
                    PrincipalType::Group => group_ok(&rule.principal),
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
                if !crate::services::transfer::emulator::valid_path(&rule.path) {
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
        let mut tokens = BTreeMap::new();
        for i in &self.identities {
            for (rs, token) in &i.tokens {
                if rs.is_empty() || token.is_empty() {
                    problems.push(format!(
                        "identity {}: empty resource server or token",
                        i.username
                    ));
                }
                if tokens.insert(token.as_str(), ()).is_some() {
                    problems.push(format!("identity {}: token used twice", i.username));
                }
            }
        }
        self.validate_gcs(&identity_ok, &mut problems);
        self.boss.validate(&mut problems);
        let identity_id = |r: &str| match r.parse::<Uuid>() {
            Ok(id) => ids.contains_key(&id).then_some(id),
            Err(_) => usernames.get(&r.to_lowercase()).copied(),
        };
        let group_id = |r: &str| match r.parse::<Uuid>() {
            Ok(id) => Some(id),
            Err(_) => (group_names.get(r) == Some(&1)).then(|| {
                self.groups
                    .iter()
                    .find(|g| g.name == r)
                    .map(SeedGroup::id)
                    .unwrap_or_default()
            }),
        };
        self.search.validate(&identity_id, &group_id, &mut problems);
        if problems.is_empty() {
            Ok(())
        } else {
            Err(SeedError::Invalid(problems.join("; ")))
        }
    }
}

impl Seed {
    /// GCS checks: gateways, credentials and the links of collections to their endpoint.
    fn validate_gcs(&self, identity_ok: &dyn Fn(&str) -> bool, problems: &mut Vec<String>) {
        let by_id: BTreeMap<Uuid, &SeedEndpoint> =
            self.endpoints.iter().map(|e| (e.id(), e)).collect();
        for e in &self.endpoints {
            let gcs = e.entity_type == "GCSv5_endpoint";
            let has_gcs_parts = !e.storage_gateways.is_empty() || !e.user_credentials.is_empty();
            if !gcs && has_gcs_parts {
                problems.push(format!(
                    "endpoint {}: storage_gateways and user_credentials need entity_type GCSv5_endpoint",
                    e.display_name
                ));
            }
            let mut names = BTreeMap::new();
            for g in &e.storage_gateways {
                if names.insert(g.display_name.as_str(), ()).is_some() {
                    problems.push(format!(
                        "endpoint {}: duplicate storage gateway {}",
                        e.display_name, g.display_name
                    ));
                }
            }
            for c in &e.user_credentials {
                if !identity_ok(&c.identity) {
                    problems.push(format!(
                        "endpoint {}: unknown credential identity {}",
                        e.display_name, c.identity
                    ));
                }
                if e.gateway_ref(&c.storage_gateway).is_none() {
                    problems.push(format!(
                        "endpoint {}: unknown storage gateway {}",
                        e.display_name, c.storage_gateway
                    ));
                }
            }
            if !gcs && !e.roles.owner.is_empty() {
                problems.push(format!(
                    "endpoint {}: the owner role exists only on GCSv5_endpoint",
                    e.display_name
                ));
            }
            if let Some(p) = &e.collection_base_path
                && !p.starts_with('/')
            {
                problems.push(format!(
                    "endpoint {}: collection_base_path {p} must be absolute",
                    e.display_name
                ));
            }
            if let Some(g) = &e.storage_gateway {
                let host = e.host_endpoint_id.and_then(|h| by_id.get(&h));
                match host {
                    Some(h) if h.entity_type == "GCSv5_endpoint" => {
                        if h.gateway_ref(g).is_none() {
                            problems.push(format!(
                                "endpoint {}: storage gateway {g} is not on its host endpoint",
                                e.display_name
                            ));
                        }
                    }
                    _ => problems.push(format!(
                        "endpoint {}: storage_gateway needs host_endpoint_id naming a seeded GCSv5_endpoint",
                        e.display_name
                    )),
                }
            }
        }
    }
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

/// A stable UUID derived from a kind and a name, so seeds without ids stay reproducible.
pub fn derived_id(kind: &str, name: &str) -> Uuid {
    let digest = Sha256::digest(format!("accord-emulator:{kind}:{name}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}
