//! The merged, validated policy: what the loader hands to compilation.
//!
//! Every entity keeps its `Origin` (file, line, column, byte span) so that later
//! stages (resolution, compilation, rails) can point at the policy line at fault.
//! This model is span-carrying but YAML-free: the serde-saphyr AST stays inside the loader.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::PolicySection;
pub use super::origin::{Declared, Located, Origin, SourceFile};
use super::problem::Problem;
use crate::state::{ContainerMode, Desired, Kind, LiveRead};

/// A principal exactly as the policy writes it, classified but not yet resolved.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PrincipalRef {
    /// A key of `identities:`.
    Alias(String),
    /// A Globus username (`alice@uchicago.edu`), resolved through Auth.
    Username(String),
    /// An identity UUID, bare or as `urn:globus:auth:identity:<uuid>`.
    IdentityId(Uuid),
    /// `group:NAME`, a group declared in this workspace.
    GroupName(String),
    /// `group:<uuid>` or `urn:globus:groups:id:<uuid>`, a group accord does not manage.
    GroupId(Uuid),
    /// `all_authenticated_users`.
    AllAuthenticatedUsers,
    /// `anonymous` (Transfer only).
    Anonymous,
    /// `public` (Search only).
    Public,
}

/// The whole merged policy of a workspace: `identities:`, the groups it manages, and each
/// service's section.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// `identities:` alias → username or identity id (as written).
    pub identities: BTreeMap<String, Located<PrincipalRef>>,
    /// The groups the workspace manages (`group:NAME`) by policy name, as sections declare them.
    pub managed_groups: BTreeMap<String, ManagedGroup>,
    /// The kind of the managed groups' objects, as the service declaring them says.
    pub managed_group_kind: Option<Kind>,
    /// Each service's section, in the order of the list of services.
    pub(crate) sections: Vec<Arc<dyn PolicySection>>,
}

/// A group the workspace manages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ManagedGroup {
    /// `absent: true`: a tombstone, which nothing may grant access.
    pub absent: bool,
    /// Its pinned id: `group:<id>` is this group.
    pub pin: Option<Uuid>,
}

impl Policy {
    /// Every service's section, in the order of the list.
    pub fn sections(&self) -> impl Iterator<Item = &dyn PolicySection> {
        self.sections.iter().map(|s| &**s)
    }

    /// The section of type `T` (a service's own), if its service is registered.
    pub fn section<T: PolicySection>(&self) -> Option<&T> {
        self.sections
            .iter()
            .find_map(|s| (&**s as &dyn std::any::Any).downcast_ref::<T>())
    }

    /// The sections' counts, as `accord validate` prints them: untitled counts first, then
    /// each titled group of counts (`2 group(s), 1 endpoint(s); Boss: 1 group(s)`).
    pub fn summary(&self) -> String {
        let summaries: Vec<_> = self.sections().filter_map(|s| s.summary()).collect();
        let plain: Vec<&str> = summaries
            .iter()
            .filter(|s| s.title.is_none())
            .flat_map(|s| s.counts.iter().map(String::as_str))
            .collect();
        let mut out = plain.join(", ");
        for s in summaries.iter() {
            if let Some(title) = s.title {
                out.push_str(&format!("; {title}: {}", s.counts.join(", ")));
            }
        }
        out
    }

    /// Where some section declares the container keyed `key` of `kind`.
    pub fn container(&self, kind: Kind, key: &str) -> Option<Declared> {
        self.sections().find_map(|s| s.container(kind, key))
    }

    /// What the services would refuse that the live read shows, at the policy lines asking
    /// for it.
    pub fn check_live(&self, desired: &Desired, live: &LiveRead) -> Vec<Problem> {
        self.sections()
            .flat_map(|s| s.check_live(self, desired, live))
            .collect()
    }
}

/// Ownership settings shared by every container.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ownership {
    /// `mode:` when given.
    pub mode: Option<Located<ContainerMode>>,
    /// `prevent_destroy:` when given.
    pub prevent_destroy: Option<bool>,
    /// `ignore_changes:` field names accord must not fight over.
    pub ignore_changes: Vec<Located<String>>,
}

/// `accord.yaml`.
#[derive(Debug, Clone, Default)]
pub struct WorkspaceConfig {
    /// `policies:` globs.
    pub policies: Vec<String>,
    /// `targets:` by name.
    pub targets: BTreeMap<String, TargetConfig>,
    /// `default_target:`.
    pub default_target: Option<String>,
    /// `safety:`.
    pub safety: Safety,
    /// Target name → service → base URL, from `targets.<name>.<service>.url` of real targets
    /// that name one. A token is sent there only when the host is also allowed from the
    /// command line or environment.
    pub service_urls: BTreeMap<String, BTreeMap<String, String>>,
}

/// One named target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetConfig {
    /// An in-process emulator started from a seed file (relative to the workspace).
    Embedded {
        /// The seed file.
        seed: PathBuf,
    },
    /// The real services (base URLs overridable only from the environment / command line).
    Globus,
}

/// `safety:`; defaults per DESIGN.md's Rails.
#[derive(Debug, Clone, PartialEq)]
pub struct Safety {
    /// Refuse a plan removing more than this many objects (default 20).
    pub max_deletes: u32,
    /// Refuse a plan removing more than this share of a container's live objects (default 0.25)…
    pub max_delete_share: f64,
    /// …for containers holding at least this many (default 10).
    pub share_min_objects: u32,
    /// Principals whose access accord never removes.
    pub protect: Vec<Located<PrincipalRef>>,
    /// Committed overrides.
    pub allow: Vec<Override>,
}

impl Default for Safety {
    fn default() -> Self {
        Safety {
            max_deletes: 20,
            max_delete_share: 0.25,
            share_min_objects: 10,
            protect: Vec::new(),
            allow: Vec::new(),
        }
    }
}

/// One `safety.allow` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Override {
    /// The rail it lifts: `max_deletes` or `max_delete_share`.
    pub rail: String,
    /// The new limit (a count for `max_deletes`, a share for `max_delete_share`).
    pub up_to: f64,
    /// Why (required).
    pub reason: String,
    /// Until when it applies (required).
    pub until: DateTime<Utc>,
    /// Where it is written.
    pub origin: Origin,
}

/// A loaded workspace: its root, config, source files and merged policy.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// The workspace folder.
    pub root: PathBuf,
    /// `accord.yaml`.
    pub config: WorkspaceConfig,
    /// Every file read (accord.yaml first), for diagnostics and the workspace digest.
    pub files: Vec<SourceFile>,
    /// The merged policy.
    pub policy: Policy,
}
