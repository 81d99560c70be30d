//! Auth's state: the confidential clients and the identities (clients included). Every other
//! service resolves identities through it ([`Directory::identity_ref`]), and Groups keeps
//! each identity's preference (`allow_add`) here.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::seed::AuthSeed;
use crate::service::emulator::{ServiceState, TokenRec, World, derived_id, to_map};

/// Token lifetime reported in `expires_in` (two days, like the real service).
pub const TOKEN_LIFETIME: i64 = 172_800;

/// Auth's state: the `clients` and `identities` keys of the whole-state JSON.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Directory {
    /// Confidential clients by id.
    pub clients: BTreeMap<Uuid, ClientRec>,
    /// Identities by id (clients included).
    pub identities: BTreeMap<Uuid, IdentityRec>,
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

impl ServiceState for Directory {
    fn save(&self) -> Result<Map<String, Value>, serde_json::Error> {
        to_map(self)
    }
}

fn provider_for(username: &str) -> Uuid {
    let domain = username.rsplit_once('@').map_or("", |(_, d)| d);
    derived_id("identity_provider", &domain.to_lowercase())
}

impl Directory {
    /// The clients and identities a seed section describes.
    pub fn from_seed(seed: &AuthSeed) -> Directory {
        let mut st = Directory::default();
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
        st
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

/// Auth's state in `w`, if Auth is served: how the other services resolve identities.
pub fn directory(w: &World) -> Option<&Directory> {
    w.states.get::<Directory>()
}

/// The access tokens a seed hands out beforehand (`identities[].tokens`), so tests can call
/// as users, who have no client credentials. They never expire, like issued ones.
pub(super) fn seeded_tokens(
    seed: &AuthSeed,
    st: &Directory,
    tokens: &mut HashMap<String, TokenRec>,
    at: DateTime<Utc>,
) {
    let now = at.timestamp();
    for i in &seed.identities {
        if !st.identities.contains_key(&i.id()) {
            continue;
        }
        for (rs, token) in &i.tokens {
            tokens.insert(
                token.clone(),
                TokenRec {
                    client_id: i.id(),
                    scope: format!("urn:globus:auth:scope:{rs}:all"),
                    resource_server: rs.clone(),
                    issued_at: now,
                    expires_at: now + TOKEN_LIFETIME,
                },
            );
        }
    }
}
