//! Boss resource paths, and what an address maps to: its API path, its parts, and the
//! attributes its level manages and can update in place.

use crate::service::ProviderError;
use crate::services::boss::principals;
use crate::services::boss::wire::FRAME_FIELDS;
use crate::state::Address;

/// The frame attributes the Boss updates in place (`PUT`).
const FRAME_UPDATABLE: &[&str] = &["description"];

/// A resource's path: `C`, `C/E` or `C/E/CH`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourcePath {
    /// The collection.
    pub collection: String,
    /// The experiment.
    pub experiment: Option<String>,
    /// The channel.
    pub channel: Option<String>,
}

/// A resource's level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// A collection.
    Collection,
    /// An experiment.
    Experiment,
    /// A channel.
    Channel,
}

impl ResourcePath {
    /// Parses `C`, `C/E` or `C/E/CH`.
    pub fn parse(path: &str) -> Result<ResourcePath, String> {
        let parts: Vec<&str> = path.split('/').collect();
        if parts.is_empty() || parts.len() > 3 || parts.iter().any(|p| !segment_ok(p)) {
            return Err(format!(
                "`{path}` is not a Boss resource path (COLLECTION[/EXPERIMENT[/CHANNEL]])"
            ));
        }
        Ok(ResourcePath {
            collection: parts[0].to_string(),
            experiment: parts.get(1).map(|s| s.to_string()),
            channel: parts.get(2).map(|s| s.to_string()),
        })
    }

    /// The level: the number of parts.
    pub fn level(&self) -> Level {
        match (&self.experiment, &self.channel) {
            (None, _) => Level::Collection,
            (Some(_), None) => Level::Experiment,
            (Some(_), Some(_)) => Level::Channel,
        }
    }

    /// The parent resource's path.
    pub fn parent(&self) -> Option<String> {
        match (&self.experiment, &self.channel) {
            (None, _) => None,
            (Some(_), None) => Some(self.collection.clone()),
            (Some(e), Some(_)) => Some(format!("{}/{e}", self.collection)),
        }
    }

    /// `/v1/collection/{C}[/experiment/{E}[/channel/{CH}]]`.
    pub fn api_path(&self) -> String {
        let mut p = format!("/v1/collection/{}", self.collection);
        if let Some(e) = &self.experiment {
            p.push_str(&format!("/experiment/{e}"));
            if let Some(ch) = &self.channel {
                p.push_str(&format!("/channel/{ch}"));
            }
        }
        p
    }
}

impl std::fmt::Display for ResourcePath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.collection)?;
        if let Some(e) = &self.experiment {
            write!(f, "/{e}")?;
            if let Some(ch) = &self.channel {
                write!(f, "/{ch}")?;
            }
        }
        Ok(())
    }
}

/// Whether a name can go into a URL path segment as is: Boss names, usernames and group
/// names are `[\w-]+` (the Boss's own URL patterns).
fn segment_ok(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

fn checked(kind: &str, name: &str) -> Result<(), String> {
    if segment_ok(name) {
        Ok(())
    } else {
        Err(format!("`{name}` is not a valid Boss {kind} name"))
    }
}

pub(super) fn group_path_str(name: &str) -> String {
    format!("/v1/groups/{name}/")
}

pub(super) fn group_path(name: &str) -> Result<String, ProviderError> {
    checked("group", name).map_err(ProviderError::NotFound)?;
    Ok(group_path_str(name))
}

pub(super) fn member_path(group: &str, role: &str, user: &str) -> Result<String, String> {
    checked("group", group)?;
    checked("user", user)?;
    let list = if role == "maintainer" {
        "maintainers"
    } else {
        "members"
    };
    Ok(format!("/v1/groups/{group}/{list}/{user}"))
}

pub(super) fn frame_path(name: &str) -> Result<String, String> {
    checked("coordinate frame", name)?;
    Ok(format!("/v1/coord/{name}"))
}

/// The detail path of a frame or resource address.
pub(super) fn object_api_path(address: &Address) -> Result<String, String> {
    let key = address
        .keys
        .first()
        .ok_or_else(|| format!("{address}: no name"))?;
    match address.kind {
        k_ if k_ == crate::services::boss::FRAME => frame_path(key),
        k_ if k_ == crate::services::boss::RESOURCE => Ok(ResourcePath::parse(key)?.api_path()),
        other => Err(format!("{other} has no Boss resource path")),
    }
}

/// (group, `member` | `maintainer`, username) of a member address.
/// A membership's group, role, user and API path, from its address.
pub(super) fn member_call(
    address: &Address,
) -> Result<(String, &'static str, String, String), String> {
    let (group, role, user) = member_parts(address)?;
    let path = member_path(&group, role, &user)?;
    Ok((group, role, user, path))
}

pub(super) fn member_parts(address: &Address) -> Result<(String, &'static str, String), String> {
    let [group, role, principal] = &address.keys[..] else {
        return Err(format!("{address}: not a Boss member address"));
    };
    let role = match role.as_str() {
        "member" => "member",
        "maintainer" => "maintainer",
        other => return Err(format!("{address}: unknown Boss group role `{other}`")),
    };
    match principals::USER.name_in(principal) {
        Some(u) => Ok((group.clone(), role, u.to_string())),
        None => Err(format!(
            "{address}: a Boss group member must be a `boss-user:`"
        )),
    }
}

/// (resource path, group) of a permission address.
pub(super) fn permission_parts(address: &Address) -> Result<(ResourcePath, String), String> {
    let [path, principal] = &address.keys[..] else {
        return Err(format!("{address}: not a Boss permission address"));
    };
    let path = ResourcePath::parse(path)?;
    match principals::GROUP.name_in(principal) {
        Some(g) if segment_ok(g) => Ok((path, g.to_string())),
        _ => Err(format!(
            "{address}: Boss permissions are granted to a `boss-group:`"
        )),
    }
}

/// The updatable and the create-only attributes of a frame or resource.
pub(super) fn attr_sets(address: &Address) -> (&'static [&'static str], &'static [&'static str]) {
    match address.kind {
        k_ if k_ == crate::services::boss::FRAME => (FRAME_UPDATABLE, &FRAME_FIELDS),
        _ => match address
            .keys
            .first()
            .and_then(|k| ResourcePath::parse(k).ok())
            .map(|p| p.level())
        {
            Some(Level::Experiment) => (EXPERIMENT_UPDATABLE, EXPERIMENT_ATTRS),
            Some(Level::Channel) => (CHANNEL_UPDATABLE, CHANNEL_ATTRS),
            _ => (COLLECTION_UPDATABLE, COLLECTION_ATTRS),
        },
    }
}

pub(super) fn create_attrs(address: &Address) -> &'static [&'static str] {
    attr_sets(address).1
}

/// The managed attributes of a collection (all updatable).
pub const COLLECTION_ATTRS: &[&str] = &["description", "public"];
const COLLECTION_UPDATABLE: &[&str] = &["description", "public"];
/// The managed attributes of an experiment.
pub const EXPERIMENT_ATTRS: &[&str] = &[
    "description",
    "public",
    "coord_frame",
    "num_hierarchy_levels",
    "hierarchy_method",
    "num_time_samples",
    "time_step",
    "time_step_unit",
];
const EXPERIMENT_UPDATABLE: &[&str] = &[
    "description",
    "public",
    "num_hierarchy_levels",
    "hierarchy_method",
    "num_time_samples",
    "time_step",
    "time_step_unit",
];
/// The managed attributes of a channel.
pub const CHANNEL_ATTRS: &[&str] = &[
    "description",
    "public",
    "type",
    "datatype",
    "default_time_sample",
    "base_resolution",
    "sources",
    "related",
];
const CHANNEL_UPDATABLE: &[&str] = &[
    "description",
    "public",
    "default_time_sample",
    "base_resolution",
    "sources",
    "related",
];
