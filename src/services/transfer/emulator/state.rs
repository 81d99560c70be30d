//! Transfer's state: endpoints and collections, each with its roles, ACL rules and
//! directories. These records are Transfer's; GCS's emulator reads them and writes their GCS
//! side (`storage_gateways`, `user_credentials`, `collection`), since a collection created
//! through GCS is at once a Transfer endpoint.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::seed::TransferSeed;
use crate::service::emulator::{
    ServiceState, States, derived_id, fmt_time, parse_time, short_id, to_map,
};
use crate::services::auth::emulator::Directory;
use crate::services::groups::emulator::GroupsState;
use crate::services::transfer::wire::PrincipalType;

/// Transfer's state: the `endpoints` key of the whole-state JSON.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Endpoints {
    /// Endpoints and collections by id.
    pub endpoints: BTreeMap<Uuid, EndpointRec>,
}

impl ServiceState for Endpoints {
    fn save(&self) -> Result<Map<String, Value>, serde_json::Error> {
        to_map(self)
    }

    fn expire(&mut self, now: DateTime<Utc>) {
        self.prune_expired(now);
    }
}

/// A Transfer endpoint or collection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EndpointRec {
    /// Endpoint id.
    pub id: Uuid,
    /// Display name.
    pub display_name: String,
    /// Entity type.
    pub entity_type: String,
    /// Owner identity.
    pub owner_id: Option<Uuid>,
    /// Description.
    pub description: Option<String>,
    /// Organization.
    pub organization: Option<String>,
    /// GCS Manager URL.
    pub gcs_manager_url: Option<String>,
    /// Host GCS endpoint of a collection.
    pub host_endpoint_id: Option<Uuid>,
    /// Mapped collection of a guest collection.
    pub mapped_collection_id: Option<Uuid>,
    /// Publicly listed.
    pub public: bool,
    /// Role assignments.
    pub roles: Vec<RoleRec>,
    /// Explicit ACL rules, in creation order.
    pub acl: Vec<AclRec>,
    /// Directories that exist (always with a trailing `/`). A guest collection created
    /// through GCS keeps none: its files are its mapped collection's, under its base path.
    pub directories: BTreeSet<String>,
    /// `GCSv5_endpoint` only: storage gateways.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub storage_gateways: Vec<GatewayRec>,
    /// `GCSv5_endpoint` only: user credentials on its gateways.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub user_credentials: Vec<CredentialRec>,
    /// Collections on a GCS endpoint (`host_endpoint_id` set): the GCS collection fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collection: Option<CollectionRec>,
}

impl EndpointRec {
    /// Whether this is a GCS collection (mapped or guest) hosted on endpoint `host`.
    pub fn is_collection_of(&self, host: Uuid) -> bool {
        self.host_endpoint_id == Some(host)
            && matches!(
                self.entity_type.as_str(),
                "GCSv5_mapped_collection" | "GCSv5_guest_collection"
            )
    }

    /// Whether this is a guest collection.
    pub fn is_guest(&self) -> bool {
        self.entity_type == "GCSv5_guest_collection"
    }
}

/// A storage gateway of a GCS endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GatewayRec {
    /// Gateway id.
    pub id: Uuid,
    /// Display name.
    pub display_name: String,
    /// Connector name (`posix`, `s3`, ...).
    pub connector: String,
}

/// A user credential on a GCS endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CredentialRec {
    /// Credential id.
    pub id: Uuid,
    /// Owning identity.
    pub identity_id: Uuid,
    /// Its storage gateway.
    pub storage_gateway_id: Uuid,
    /// Local username.
    pub username: String,
    /// Display name.
    pub display_name: Option<String>,
    /// Whether it no longer works.
    pub invalid: bool,
    /// Whether GCS created it by itself.
    pub provisioned: bool,
}

/// The GCS side of a collection hosted on a GCS endpoint.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CollectionRec {
    /// The storage gateway (a guest's is its mapped collection's).
    pub storage_gateway_id: Option<Uuid>,
    /// Root of the collection (for a guest relative to its mapped collection's root).
    pub base_path: String,
    /// Guest only: the credential it accesses data with.
    pub user_credential_id: Option<Uuid>,
    /// Guest only: the identity owning it.
    pub identity_id: Option<Uuid>,
    /// Creation time.
    pub created_at: String,
    /// Other document fields (`contact_email`, `keywords`, ...), as last written.
    pub doc: crate::wire::Extra,
}

/// A role assignment on an endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleRec {
    /// Role id (shown as `role_id` on implicit rules).
    pub id: String,
    /// `administrator | access_manager | restricted_administrator`.
    pub role: String,
    /// `identity | group`.
    pub principal_type: PrincipalType,
    /// Identity or group id.
    pub principal: Uuid,
    /// System-managed (an endpoint's seeded owner, a collection creator's administrator
    /// role): GCS refuses to delete it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub protected: bool,
}

/// An explicit ACL rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AclRec {
    /// Rule id.
    pub id: String,
    /// Principal type.
    pub principal_type: PrincipalType,
    /// Bare id or `""`.
    pub principal: String,
    /// Path.
    pub path: String,
    /// `r | rw`.
    pub permissions: String,
    /// Creation time.
    pub create_time: String,
    /// Expiry, normalised to `+00:00`.
    pub expiration_date: Option<String>,
}

impl Endpoints {
    /// The endpoints a seed section describes; owners, role holders and rule principals
    /// resolve against Auth's identities and Groups' groups, and those that do not are
    /// skipped. The GCS side of the records is GCS's to build.
    pub fn from_seed(
        seed: &TransferSeed,
        dir: Option<&Directory>,
        groups: Option<&GroupsState>,
        now: DateTime<Utc>,
    ) -> Endpoints {
        let identity_ref = |r: &str| dir.and_then(|d| d.identity_ref(r));
        let group_ref = |r: &str| match groups {
            Some(g) => g.group_ref(r),
            None => r.parse().ok(),
        };
        let stamp = fmt_time(now);
        let mut st = Endpoints::default();
        for e in &seed.endpoints {
            let ep_id = e.id();
            let mut roles = Vec::new();
            for (role, holders) in e.roles.all() {
                for h in holders {
                    let resolved = match h.strip_prefix("group:") {
                        Some(g) => group_ref(g).map(|id| (PrincipalType::Group, id)),
                        None => identity_ref(h).map(|id| (PrincipalType::Identity, id)),
                    };
                    if let Some((principal_type, principal)) = resolved {
                        roles.push(RoleRec {
                            id: short_id(&format!("role:{ep_id}:{role}:{principal}")),
                            role: role.into(),
                            principal_type,
                            principal,
                            protected: role == "owner",
                        });
                    }
                }
            }
            let mut acl = Vec::new();
            for r in &e.acl {
                let principal = match r.principal_type {
                    PrincipalType::Identity => identity_ref(&r.principal).map(|u| u.to_string()),
                    PrincipalType::Group => group_ref(&r.principal).map(|u| u.to_string()),
                    _ => Some(String::new()),
                };
                let Some(principal) = principal else { continue };
                let id = r.id.clone().unwrap_or_else(|| {
                    derived_id(
                        "acl",
                        &format!(
                            "{ep_id}:{}:{principal}:{}",
                            r.principal_type.as_str(),
                            r.path
                        ),
                    )
                    .to_string()
                });
                acl.push(AclRec {
                    id,
                    principal_type: r.principal_type.clone(),
                    principal,
                    path: r.path.clone(),
                    permissions: r.permissions.clone(),
                    create_time: stamp.clone(),
                    expiration_date: r
                        .expiration_date
                        .as_deref()
                        .and_then(parse_time)
                        .map(fmt_time),
                });
            }
            let mut directories: BTreeSet<String> =
                e.directories.iter().map(|d| dir_key(d)).collect();
            directories.insert("/".into());
            st.endpoints.insert(
                ep_id,
                EndpointRec {
                    id: ep_id,
                    display_name: e.display_name.clone(),
                    entity_type: e.entity_type.clone(),
                    owner_id: e.owner.as_deref().and_then(&identity_ref),
                    description: e.description.clone(),
                    organization: e.organization.clone(),
                    gcs_manager_url: e.gcs_manager_url.clone(),
                    host_endpoint_id: e.host_endpoint_id,
                    mapped_collection_id: e.mapped_collection_id,
                    public: e.public,
                    roles,
                    acl,
                    directories,
                    storage_gateways: Vec::new(),
                    user_credentials: Vec::new(),
                    collection: None,
                },
            );
        }
        st
    }

    /// Where a collection's path is stored: a guest collection with a `collection` record
    /// and a mapped collection present sees its mapped collection's files under its base
    /// path; any other endpoint has its own tree. Answers the holder and the directory key.
    pub fn storage(&self, ep: &EndpointRec, path: &str) -> (Uuid, String) {
        if ep.is_guest()
            && let (Some(c), Some(m)) = (&ep.collection, ep.mapped_collection_id)
            && self.endpoints.contains_key(&m)
        {
            return (m, dir_key(&join_path(&c.base_path, path)));
        }
        (ep.id, dir_key(path))
    }

    /// Whether `identity` holds one of `roles` on the endpoint or collection `ep`
    /// (directly or through one of `groups`, the identity's active groups).
    pub fn holds_any(
        &self,
        ep: Uuid,
        identity: Uuid,
        groups: &BTreeSet<Uuid>,
        roles: &[&str],
    ) -> bool {
        self.endpoints
            .get(&ep)
            .map(|e| self.effective_roles(e, identity, groups))
            .is_some_and(|have| roles.iter().any(|r| have.contains(*r)))
    }

    /// The caller's effective Transfer roles on an endpoint (direct or through one of
    /// `groups`, the caller's active groups).
    pub fn effective_roles(
        &self,
        ep: &EndpointRec,
        identity: Uuid,
        groups: &BTreeSet<Uuid>,
    ) -> BTreeSet<String> {
        ep.roles
            .iter()
            .filter(|r| match r.principal_type {
                PrincipalType::Identity => r.principal == identity,
                PrincipalType::Group => groups.contains(&r.principal),
                _ => false,
            })
            .map(|r| r.role.clone())
            .collect()
    }

    /// Removes every ACL rule whose expiry is at or before `now`, as Transfer does.
    pub fn prune_expired(&mut self, now: DateTime<Utc>) {
        for ep in self.endpoints.values_mut() {
            ep.acl.retain(|r| {
                r.expiration_date
                    .as_deref()
                    .and_then(parse_time)
                    .is_none_or(|t| t > now)
            });
        }
    }
}

/// Transfer's state in `states`, if Transfer is served.
pub fn endpoints(states: &States) -> Option<&Endpoints> {
    states.get::<Endpoints>()
}

/// Transfer's state in `states`, to change (GCS creates and deletes collections in it).
pub fn endpoints_mut(states: &mut States) -> Option<&mut Endpoints> {
    states.get_mut::<Endpoints>()
}

/// Joins a collection base path and a path relative to it (`/lab/` + `/x/` → `/lab/x/`).
pub fn join_path(base: &str, rel: &str) -> String {
    let base = base.trim_end_matches('/');
    let rel = rel.trim_start_matches('/');
    dir_key(&format!("{base}/{rel}"))
}

/// A directory and all its parents (`/a/b/` → `/`, `/a/`, `/a/b/`).
pub fn with_parents(dir: &str) -> Vec<String> {
    let mut out = vec!["/".to_string()];
    let mut prefix = String::from("/");
    for seg in dir.split('/').filter(|s| !s.is_empty()) {
        prefix.push_str(seg);
        prefix.push('/');
        out.push(prefix.clone());
    }
    out
}

/// The local part of a username (`alice@uni.edu` → `alice`).
pub fn local_part(username: &str) -> String {
    username.split('@').next().unwrap_or(username).to_string()
}

/// The key a directory is stored under: always ending in `/`.
pub fn dir_key(path: &str) -> String {
    if path.ends_with('/') {
        path.to_string()
    } else {
        format!("{path}/")
    }
}
