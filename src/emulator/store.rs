//! The emulator's in-memory state: what `GET /_emulator/state` dumps and a snapshot restores.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::seed::{Seed, derived_id};
use crate::services::groups::wire::{GroupPolicies, GroupPoliciesWrite, MembershipStatus, Role};
use crate::services::transfer::wire::PrincipalType;

/// Everything the services hold. Tokens, the clock, faults and the request log are
/// session matters and live beside it, so a dump is reproducible and a reset keeps tokens.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// Confidential clients by id.
    pub clients: BTreeMap<Uuid, ClientRec>,
    /// Identities by id (clients included).
    pub identities: BTreeMap<Uuid, IdentityRec>,
    /// Groups by id.
    pub groups: BTreeMap<Uuid, GroupRec>,
    /// Endpoints and collections by id.
    pub endpoints: BTreeMap<Uuid, EndpointRec>,
    /// Counter behind generated ids, so a replayed sequence of calls yields the same ids.
    pub seq: u64,
    /// The Boss: users, groups, coordinate frames and resources with their permissions.
    #[serde(default)]
    pub boss: crate::services::boss::emulator::BossState,
    /// Globus Search: indexes (roles, entries) and tasks.
    #[serde(default)]
    pub search: crate::services::search::emulator::SearchState,
}

/// A confidential client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientRec {
    /// Client id (= identity id).
    pub id: Uuid,
    /// Client secret.
    pub secret: String,
}

/// An identity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdentityRec {
    /// Identity id.
    pub id: Uuid,
    /// Username.
    pub username: String,
    /// Display name.
    pub name: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Organization.
    pub organization: Option<String>,
    /// `used | unused | private | closed`.
    pub status: String,
    /// Identity provider id, derived from the username's domain.
    pub identity_provider: Uuid,
    /// Groups preference: may managers add this identity directly.
    pub allow_add: bool,
}

/// A group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupRec {
    /// Group id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Terms and conditions.
    pub terms_and_conditions: Option<String>,
    /// Parent group.
    pub parent_id: Option<Uuid>,
    /// Policies.
    pub policies: GroupPolicies,
    /// Memberships by identity, in every status.
    pub members: BTreeMap<Uuid, MemberRec>,
}

/// One membership.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberRec {
    /// Role.
    pub role: Role,
    /// Status.
    pub status: MembershipStatus,
    /// Reason of the last change.
    pub status_reason: Option<String>,
    /// Time of the last change.
    pub updated: String,
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

/// Formats a time the way Transfer and Groups print it (`2024-12-16T21:30:15+00:00`).
pub fn fmt_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S+00:00").to_string()
}

/// Parses an RFC 3339 time into UTC.
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// A short opaque id (role ids, request ids) derived from a label.
pub fn short_id(label: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    Sha256::digest(label.as_bytes())
        .iter()
        .take(9)
        .map(|b| ALPHABET[(*b as usize) % ALPHABET.len()] as char)
        .collect()
}

fn provider_for(username: &str) -> Uuid {
    let domain = username.rsplit_once('@').map_or("", |(_, d)| d);
    derived_id("identity_provider", &domain.to_lowercase())
}

impl State {
    /// Builds the state a seed describes; references the seed does not resolve are skipped
    /// (`Seed::validate` reports them).
    pub fn from_seed(seed: &Seed, now: DateTime<Utc>) -> State {
        let mut st = State::default();
        let stamp = fmt_time(now);
        for c in &seed.clients {
            st.clients.insert(
                c.client_id,
                ClientRec {
                    id: c.client_id,
                    secret: c.client_secret.clone(),
                },
            );
            let username = c.username();
            st.identities.insert(
                c.client_id,
                IdentityRec {
                    id: c.client_id,
                    identity_provider: provider_for(&username),
                    username,
                    name: c.name.clone(),
                    email: None,
                    organization: None,
                    status: "used".into(),
                    allow_add: c.allow_add,
                },
            );
        }
        for i in &seed.identities {
            st.identities.insert(
                i.id(),
                IdentityRec {
                    id: i.id(),
                    username: i.username.clone(),
                    name: i.name.clone(),
                    email: i.email.clone(),
                    organization: i.organization.clone(),
                    status: i.status.clone(),
                    identity_provider: provider_for(&i.username),
                    allow_add: i.allow_add,
                },
            );
        }
        for g in &seed.groups {
            let mut policies = GroupPolicies::default();
            if let Some(p) = &g.policies {
                apply_policies(&mut policies, p);
            }
            let mut members = BTreeMap::new();
            for m in &g.members {
                if let Some(id) = st.identity_ref(&m.identity) {
                    members.insert(
                        id,
                        MemberRec {
                            role: m.role.clone(),
                            status: m.status.clone(),
                            status_reason: None,
                            updated: stamp.clone(),
                        },
                    );
                }
            }
            st.groups.insert(
                g.id(),
                GroupRec {
                    id: g.id(),
                    name: g.name.clone(),
                    description: g.description.clone(),
                    terms_and_conditions: None,
                    parent_id: None,
                    policies,
                    members,
                },
            );
        }
        for e in &seed.endpoints {
            let ep_id = e.id();
            let mut roles = Vec::new();
            for (role, holders) in e.roles.all() {
                for h in holders {
                    let resolved = match h.strip_prefix("group:") {
                        Some(g) => st.group_ref(g).map(|id| (PrincipalType::Group, id)),
                        None => st.identity_ref(h).map(|id| (PrincipalType::Identity, id)),
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
                    PrincipalType::Identity => st.identity_ref(&r.principal).map(|u| u.to_string()),
                    PrincipalType::Group => st.group_ref(&r.principal).map(|u| u.to_string()),
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
                    owner_id: e.owner.as_deref().and_then(|o| st.identity_ref(o)),
                    description: e.description.clone(),
                    organization: e.organization.clone(),
                    gcs_manager_url: e.gcs_manager_url.clone(),
                    host_endpoint_id: e.host_endpoint_id,
                    mapped_collection_id: e.mapped_collection_id,
                    public: e.public,
                    roles,
                    acl,
                    directories,
                    storage_gateways: e
                        .storage_gateways
                        .iter()
                        .map(|g| GatewayRec {
                            id: g.id(ep_id),
                            display_name: g.display_name.clone(),
                            connector: g.connector.clone(),
                        })
                        .collect(),
                    user_credentials: Vec::new(),
                    collection: None,
                },
            );
        }
        // Second pass: links between GCS endpoints and their collections and credentials
        // (mapped collections before guest collections, which take their gateway).
        let guests_last = seed
            .endpoints
            .iter()
            .filter(|e| e.entity_type != "GCSv5_guest_collection")
            .chain(
                seed.endpoints
                    .iter()
                    .filter(|e| e.entity_type == "GCSv5_guest_collection"),
            );
        for e in guests_last {
            let ep_id = e.id();
            let mut creds = Vec::new();
            for c in &e.user_credentials {
                let (Some(identity), Some(gateway)) = (
                    st.identity_ref(&c.identity),
                    e.gateway_ref(&c.storage_gateway),
                ) else {
                    continue;
                };
                let username = c.username.clone().unwrap_or_else(|| {
                    st.identities
                        .get(&identity)
                        .map(|i| local_part(&i.username))
                        .unwrap_or_default()
                });
                creds.push(CredentialRec {
                    id: c.id.unwrap_or_else(|| {
                        derived_id("user_credential", &format!("{ep_id}:{identity}:{gateway}"))
                    }),
                    identity_id: identity,
                    storage_gateway_id: gateway,
                    username,
                    display_name: c.display_name.clone(),
                    invalid: c.invalid,
                    provisioned: false,
                });
            }
            let host = e.host_endpoint_id.and_then(|h| st.endpoints.get(&h));
            let collection = host.filter(|h| h.entity_type == "GCSv5_endpoint").map(|h| {
                let guest = e.entity_type == "GCSv5_guest_collection";
                let mapped = e.mapped_collection_id.and_then(|m| st.endpoints.get(&m));
                let gateway = if guest {
                    mapped
                        .and_then(|m| m.collection.as_ref())
                        .and_then(|c| c.storage_gateway_id)
                } else {
                    match &e.storage_gateway {
                        Some(g) => seed
                            .endpoints
                            .iter()
                            .find(|s| s.id() == h.id)
                            .and_then(|s| s.gateway_ref(g)),
                        None => h.storage_gateways.first().map(|g| g.id),
                    }
                };
                CollectionRec {
                    storage_gateway_id: gateway,
                    base_path: e.collection_base_path.clone().unwrap_or_else(|| "/".into()),
                    user_credential_id: None,
                    identity_id: if guest {
                        e.owner.as_deref().and_then(|o| st.identity_ref(o))
                    } else {
                        None
                    },
                    created_at: stamp.clone(),
                    doc: crate::wire::Extra::new(),
                }
            });
            // A guest's seeded directories live in its mapped collection, under its base path.
            if let (Some(c), Some(m)) = (&collection, e.mapped_collection_id)
                && e.entity_type == "GCSv5_guest_collection"
                && let Some(mapped) = st.endpoints.get_mut(&m)
            {
                mapped.directories.extend(
                    e.directories
                        .iter()
                        .chain(std::iter::once(&"/".to_string()))
                        .flat_map(|d| with_parents(&join_path(&c.base_path, d))),
                );
            }
            if let Some(rec) = st.endpoints.get_mut(&ep_id) {
                rec.user_credentials = creds;
                if collection.is_some() {
                    // A GCSv5 collection is owned by its endpoint's client unless the seed
                    // names an owner, as real collections report (globus-cli finds the
                    // endpoint through it).
                    rec.owner_id = rec.owner_id.or(e.host_endpoint_id);
                    rec.collection = collection;
                }
            }
        }
        st.boss = crate::services::boss::emulator::BossState::from_seed(&seed.boss, now);
        st.search =
            crate::services::search::emulator::SearchState::from_seed(&seed.search, &st, now);
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
    /// (directly or through a group).
    pub fn holds_any(&self, ep: Uuid, identity: Uuid, roles: &[&str]) -> bool {
        self.endpoints
            .get(&ep)
            .map(|e| self.effective_roles(e, identity))
            .is_some_and(|have| roles.iter().any(|r| have.contains(*r)))
    }

    /// Resolves an identity id or (case-insensitive) username.
    pub fn identity_ref(&self, r: &str) -> Option<Uuid> {
        match r.parse::<Uuid>() {
            Ok(id) => self.identities.contains_key(&id).then_some(id),
            Err(_) => self.identity_by_username(r).map(|i| i.id),
        }
    }

    /// Finds an identity by username, case-insensitively as Globus Auth does.
    pub fn identity_by_username(&self, username: &str) -> Option<&IdentityRec> {
        self.identities
            .values()
            .find(|i| i.username.eq_ignore_ascii_case(username))
    }

    /// Resolves a group id (any UUID, seeded or not) or the name of exactly one group.
    pub fn group_ref(&self, r: &str) -> Option<Uuid> {
        if let Ok(id) = r.parse::<Uuid>() {
            return Some(id);
        }
        let mut found = self.groups.values().filter(|g| g.name == r).map(|g| g.id);
        match (found.next(), found.next()) {
            (Some(id), None) => Some(id),
            _ => None,
        }
    }

    /// The groups in which `identity` is an active member.
    pub fn active_groups(&self, identity: Uuid) -> BTreeSet<Uuid> {
        self.groups
            .values()
            .filter(|g| {
                g.members
                    .get(&identity)
                    .is_some_and(|m| m.status == MembershipStatus::Active)
            })
            .map(|g| g.id)
            .collect()
    }

    /// The caller's effective Transfer roles on an endpoint (direct or through a group).
    pub fn effective_roles(&self, ep: &EndpointRec, identity: Uuid) -> BTreeSet<String> {
        let groups = self.active_groups(identity);
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

    /// A fresh id of `kind`, derived from a counter so replays are reproducible.
    pub fn next_id(&mut self, kind: &str) -> Uuid {
        self.seq += 1;
        derived_id(kind, &format!("generated:{}", self.seq))
    }

    /// Creates an identity for an unknown username (Auth `provision=true`).
    pub fn provision(&mut self, username: &str) -> Uuid {
        let id = derived_id("identity", &username.to_lowercase());
        self.identities.entry(id).or_insert_with(|| IdentityRec {
            id,
            username: username.to_string(),
            name: None,
            email: None,
            organization: None,
            status: "unused".into(),
            identity_provider: provider_for(username),
            allow_add: true,
        });
        id
    }
}

/// Applies a policy write (absent fields unchanged).
pub fn apply_policies(p: &mut GroupPolicies, w: &GroupPoliciesWrite) {
    if let Some(v) = w.is_high_assurance {
        p.is_high_assurance = v;
    }
    if let Some(v) = w.authentication_assurance_timeout {
        p.authentication_assurance_timeout = Some(v);
    }
    if let Some(v) = &w.group_visibility {
        p.group_visibility = v.clone();
    }
    if let Some(v) = &w.group_members_visibility {
        p.group_members_visibility = v.clone();
    }
    if let Some(v) = w.join_requests {
        p.join_requests = v;
    }
    if let Some(v) = &w.signup_fields {
        p.signup_fields = v.clone();
    }
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
