//! `endpoints:` as written, and the ACL rules and directories guest collections share: serde
//! + schemars types with spans (see `policy::ast`).
use std::fmt;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_saphyr::Spanned;

use crate::state::ContainerMode;
/// A collection accord does not create (`endpoints:`), keyed by its UUID.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    /// accord owns only ACL rules under these paths (absolute, ending in `/`); empty: all.
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub manage_paths: Option<Vec<Spanned<String>>>,
    /// Directories to create: a path (absolute, ending in `/`), or `{path, for}` with `{id}`
    /// in the path standing for each `for:` identity's UUID.
    #[serde(default)]
    #[schemars(with = "Option<Vec<DirectoryValueSchema>>")]
    pub directories: Option<Vec<Spanned<DirectoryValue>>>,
    /// ACL rules.
    #[serde(default)]
    #[schemars(with = "Option<Vec<AclRule>>")]
    pub acl: Option<Vec<Spanned<AclRule>>>,
    /// How live rules the policy does not name are treated (default `authoritative`).
    #[serde(default)]
    #[schemars(with = "Option<ContainerMode>")]
    pub mode: Option<Spanned<String>>,
}

/// A directory entry: a path, or the long form with the identities it is made for.
#[derive(Debug, Clone, PartialEq)]
pub enum DirectoryValue {
    /// `/shared/`.
    Path(String),
    /// `{ path: /disthome/{id}/, for: [alice, bob] }`.
    Long(DirectoryLong),
}

/// The long form of a directory entry.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DirectoryLong {
    /// The path, absolute and ending in `/`; `{id}` stands for each `for:` identity's UUID.
    #[schemars(with = "String")]
    pub path: Spanned<String>,
    /// The identities one directory each is made for (the path must hold `{id}`).
    #[serde(default, rename = "for")]
    #[schemars(with = "Option<Vec<String>>")]
    pub for_principals: Option<Vec<Spanned<String>>>,
}

// Hand-written because `#[serde(untagged)]` would drop the spans inside `DirectoryLong`.
impl<'de> Deserialize<'de> for DirectoryValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = DirectoryValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a folder path or a mapping {path, for}")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(DirectoryValue::Path(v.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                DirectoryLong::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(DirectoryValue::Long)
            }
        }
        d.deserialize_any(V)
    }
}

/// One Transfer ACL rule.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AclRule {
    /// Who: an alias, username, identity UUID or URN, `group:NAME`, `group:<uuid>`,
    /// `all_authenticated_users` or `anonymous`.
    #[schemars(with = "String")]
    pub principal: Spanned<String>,
    /// The path, absolute and ending in `/`; `{id}` stands for an identity principal's UUID.
    #[schemars(with = "String")]
    pub path: Spanned<String>,
    /// `r` or `rw`.
    #[schemars(with = "PermissionsSchema")]
    pub permissions: Spanned<String>,
    /// When the rule ends (RFC 3339 with a timezone).
    #[serde(default)]
    #[schemars(with = "Option<DateTime<Utc>>")]
    pub expires: Option<Spanned<String>>,
    /// Address notified when the rule is created.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub notify_email: Option<Spanned<String>>,
}

// ---- Schema-only types: they give the JSON Schema its enums and shapes. ----
/// Transfer permissions.
#[derive(JsonSchema)]
#[allow(dead_code)]
enum PermissionsSchema {
    /// Read only.
    #[serde(rename = "r")]
    Read,
    /// Read-write.
    #[serde(rename = "rw")]
    ReadWrite,
}

/// A directory: a path, or `{path, for}`.
#[derive(JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum DirectoryValueSchema {
    /// A folder path, absolute and ending in `/`.
    Path(String),
    /// One directory per identity: `{id}` in the path is the identity's UUID.
    Long(DirectoryLong),
}
