//! Canonical principals: what every alias, username, URN or group reference resolves to.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

/// A principal after resolution. Its `Display` form is the key used in addresses.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Principal {
    /// A Globus Auth identity (`identity:<uuid>`).
    Identity(Uuid),
    /// A group this workspace manages, keyed by its policy name (`group:<name>`);
    /// its live UUID maps back to this name.
    ManagedGroup(String),
    /// A Globus group this workspace does not manage (`group:<uuid>`).
    Group(Uuid),
    /// Every authenticated Globus user (Transfer, Search).
    AllAuthenticatedUsers,
    /// Anyone, signed in or not (Transfer only).
    Anonymous,
    /// Anyone (Search only).
    Public,
    /// A Boss user (`boss-user:<name>`): a namespace of its own.
    BossUser(String),
    /// A Boss group (`boss-group:<name>`).
    BossGroup(String),
}

impl Principal {
    /// Whether this principal means "everyone" in some sense: a grant to it is an escalation.
    pub fn is_public(&self) -> bool {
        matches!(
            self,
            Principal::AllAuthenticatedUsers | Principal::Anonymous | Principal::Public
        )
    }

    /// The Globus URN of this principal where one exists (Search, GCS roles).
    pub fn urn(&self, group_id: impl Fn(&str) -> Option<String>) -> Option<String> {
        match self {
            Principal::Identity(id) => Some(format!("urn:globus:auth:identity:{id}")),
            Principal::Group(id) => Some(format!("urn:globus:groups:id:{id}")),
            Principal::ManagedGroup(name) => {
                group_id(name).map(|id| format!("urn:globus:groups:id:{id}"))
            }
            Principal::AllAuthenticatedUsers => Some("all_authenticated_users".into()),
            Principal::Public => Some("public".into()),
            _ => None,
        }
    }
}

impl fmt::Display for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Principal::Identity(id) => write!(f, "identity:{id}"),
            Principal::ManagedGroup(name) => write!(f, "group:{name}"),
            Principal::Group(id) => write!(f, "group:{id}"),
            Principal::AllAuthenticatedUsers => f.write_str("all_authenticated_users"),
            Principal::Anonymous => f.write_str("anonymous"),
            Principal::Public => f.write_str("public"),
            Principal::BossUser(u) => write!(f, "boss-user:{u}"),
            Principal::BossGroup(g) => write!(f, "boss-group:{g}"),
        }
    }
}

/// Why a string is not a canonical principal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a canonical principal: `{0}`")]
pub struct PrincipalParseError(pub String);

impl FromStr for Principal {
    type Err = PrincipalParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || PrincipalParseError(s.to_string());
        Ok(match s {
            "all_authenticated_users" => Principal::AllAuthenticatedUsers,
            "anonymous" => Principal::Anonymous,
            "public" => Principal::Public,
            _ => match s.split_once(':') {
                Some(("identity", id)) => Principal::Identity(id.parse().map_err(|_| err())?),
                Some(("group", g)) => match g.parse::<Uuid>() {
                    Ok(id) => Principal::Group(id),
                    Err(_) if !g.is_empty() => Principal::ManagedGroup(g.to_string()),
                    Err(_) => return Err(err()),
                },
                Some(("boss-user", u)) if !u.is_empty() => Principal::BossUser(u.to_string()),
                Some(("boss-group", g)) if !g.is_empty() => Principal::BossGroup(g.to_string()),
                _ => return Err(err()),
            },
        })
    }
}

impl Serialize for Principal {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Principal {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for s in [
            "identity:2d7a4c6e-0a8e-4d8f-9d1e-5f6a7b8c9d0e",
            "group:lab-admins",
            "group:8b7d57bc-1666-11ec-88b2-f50515619d57",
            "all_authenticated_users",
            "anonymous",
            "public",
            "boss-user:intern1",
        ] {
            assert_eq!(s.parse::<Principal>().unwrap().to_string(), s);
        }
        assert!("identity:nope".parse::<Principal>().is_err());
        assert!("group:".parse::<Principal>().is_err());
    }
}
