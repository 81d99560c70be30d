//! Auth's seed section: `clients` (confidential clients, each also an identity) and
//! `identities`. The other services' sections name identities, which they resolve through
//! [`AuthSeed::directory`].

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::service::emulator::derived_id;

/// Auth's part of a seed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AuthSeed {
    /// Confidential clients that may get tokens; each is also an identity.
    #[serde(default)]
    pub clients: Vec<SeedClient>,
    /// Globus Auth identities.
    #[serde(default)]
    pub identities: Vec<SeedIdentity>,
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

/// The identities a seed defines (clients included), to resolve the references of every
/// section: an identity id, or a username in any case.
#[derive(Debug, Clone, Default)]
pub struct SeedDirectory {
    ids: BTreeSet<Uuid>,
    usernames: BTreeMap<String, Uuid>,
}

impl SeedDirectory {
    /// The seeded identity `r` names (an id or a case-insensitive username).
    pub fn identity(&self, r: &str) -> Option<Uuid> {
        match r.parse::<Uuid>() {
            Ok(id) => self.ids.contains(&id).then_some(id),
            Err(_) => self.usernames.get(&r.to_lowercase()).copied(),
        }
    }
}

impl AuthSeed {
    /// The identities this section defines, for the other sections' references.
    pub fn directory(&self) -> SeedDirectory {
        let mut d = SeedDirectory::default();
        for c in &self.clients {
            d.ids.insert(c.client_id);
            d.usernames.insert(c.username().to_lowercase(), c.client_id);
        }
        for i in &self.identities {
            d.ids.insert(i.id());
            d.usernames.insert(i.username.to_lowercase(), i.id());
        }
        d
    }

    /// Adds the problems of this section: repeated ids, usernames and tokens, empty tokens.
    pub fn validate(&self, problems: &mut Vec<String>) {
        let mut ids = BTreeSet::new();
        let mut usernames = BTreeSet::new();
        for c in &self.clients {
            if !ids.insert(c.client_id) {
                problems.push(format!("duplicate identity id {}", c.client_id));
            }
            usernames.insert(c.username().to_lowercase());
        }
        for i in &self.identities {
            if !ids.insert(i.id()) {
                problems.push(format!("duplicate identity id {}", i.id()));
            }
            if !usernames.insert(i.username.to_lowercase()) {
                problems.push(format!("duplicate username {}", i.username));
            }
        }
        let mut tokens = BTreeSet::new();
        for i in &self.identities {
            for (rs, token) in &i.tokens {
                if rs.is_empty() || token.is_empty() {
                    problems.push(format!(
                        "identity {}: empty resource server or token",
                        i.username
                    ));
                }
                if !tokens.insert(token.as_str()) {
                    problems.push(format!("identity {}: token used twice", i.username));
                }
            }
        }
    }
}
