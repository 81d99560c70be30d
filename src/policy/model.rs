//! The merged, validated policy: what the loader hands to compilation.
//!
//! Every entity keeps its `Origin` (file, line, column, byte span) so that later
//! stages (resolution, compilation, rails) can point at the policy line at fault.
//! This model is span-carrying but YAML-free: the serde-saphyr AST stays inside the loader.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::state::{ContainerMode, Provenance};

/// Where an entity is written: file (relative to the workspace root), 1-based line and column,
/// and the byte span inside the file for miette snippets.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Origin {
    /// Index into `Workspace::files`.
    pub file: usize,
    /// The file's path relative to the workspace root, shared with every origin in the file.
    pub path: Arc<Path>,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    /// Byte offset of the entity in the file.
    pub offset: usize,
    /// Length in bytes of the highlighted text (at least 1).
    pub len: usize,
}

impl Origin {
    /// The provenance recorded on desired objects.
    pub fn provenance(&self) -> Provenance {
        Provenance {
            file: self.path.clone(),
            line: self.line,
            column: self.column,
        }
    }
}

/// A value together with where it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located<T> {
    /// The value.
    pub value: T,
    /// Where it is written.
    pub origin: Origin,
}

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

/// A Globus group role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GroupRole {
    /// `member`.
    Member,
    /// `manager`.
    Manager,
    /// `admin`.
    Admin,
}

impl GroupRole {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            GroupRole::Member => "member",
            GroupRole::Manager => "manager",
            GroupRole::Admin => "admin",
        }
    }
}

/// Transfer permissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Permissions {
    /// Read only (`r`).
    Read,
    /// Read-write (`rw`).
    ReadWrite,
}

impl Permissions {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Permissions::Read => "r",
            Permissions::ReadWrite => "rw",
        }
    }
}

/// The whole merged policy of a workspace.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// `identities:` alias → username or identity id (as written).
    pub identities: BTreeMap<String, Located<PrincipalRef>>,
    /// `groups:` by policy name.
    pub groups: BTreeMap<String, GroupPolicy>,
    /// `endpoints:` by collection UUID.
    pub endpoints: BTreeMap<Uuid, EndpointPolicy>,
    /// `collections:` by policy name (GCS guest collections accord creates).
    pub collections: BTreeMap<String, CollectionPolicy>,
    /// `search.indexes` by index id.
    pub search_indexes: BTreeMap<String, SearchIndexPolicy>,
    /// `boss:` merged from every file, when any file has one.
    pub boss: Option<BossPolicy>,
}

/// One Globus Search index: its roles and the access to its declared subjects.
#[derive(Debug, Clone)]
pub struct SearchIndexPolicy {
    /// The index id.
    pub id: Uuid,
    /// Where the key is first written (files may merge).
    pub origin: Origin,
    /// Whether any file writes `roles:` for the index: only then are its roles managed.
    pub manage_roles: bool,
    /// `roles:` (role name → principal), from every file.
    pub roles: Vec<SearchRoleGrant>,
    /// `documents:` by subject.
    pub documents: BTreeMap<String, SearchDocumentPolicy>,
    /// Ownership settings (`mode` of the roles).
    pub ownership: Ownership,
}

/// One principal in one index role.
#[derive(Debug, Clone)]
pub struct SearchRoleGrant {
    /// `owner`, `admin` or `writer`.
    pub role: String,
    /// Who.
    pub principal: Located<PrincipalRef>,
}

/// The access to one subject's entries.
#[derive(Debug, Clone)]
pub struct SearchDocumentPolicy {
    /// The subject.
    pub subject: String,
    /// Where the subject's key is first written.
    pub origin: Origin,
    /// `visible_to:` when the policy manages it (where the list is written, its principals).
    pub visible_to: Option<Located<Vec<Located<PrincipalRef>>>>,
    /// `principal_sets:` when the policy manages them: set name → principals.
    pub principal_sets: Option<Located<BTreeMap<String, Vec<Located<PrincipalRef>>>>>,
}

/// `boss:` merged from every file. Names are Boss names: a namespace of their own.
#[derive(Debug, Clone)]
pub struct BossPolicy {
    /// The first `boss:` section.
    pub origin: Origin,
    /// `groups:` by name.
    pub groups: BTreeMap<String, BossGroupPolicy>,
    /// `coordinate_frames:` by name.
    pub frames: BTreeMap<String, BossFramePolicy>,
    /// Collections, experiments and channels by path (`C`, `C/E`, `C/E/CH`).
    pub resources: BTreeMap<String, BossResourcePolicy>,
}

/// One Boss group.
#[derive(Debug, Clone)]
pub struct BossGroupPolicy {
    /// The group name.
    pub name: String,
    /// Where the key is first written.
    pub origin: Origin,
    /// `absent: true`: a tombstone.
    pub absent: bool,
    /// `members:` Boss usernames.
    pub members: Vec<Located<String>>,
    /// `maintainers:` Boss usernames.
    pub maintainers: Vec<Located<String>>,
    /// Ownership settings (`mode` of members and maintainers).
    pub ownership: Ownership,
}

/// One Boss coordinate frame: the Boss's own field names and values.
#[derive(Debug, Clone)]
pub struct BossFramePolicy {
    /// The frame name.
    pub name: String,
    /// Where the key is written.
    pub origin: Origin,
    /// Field name → value (`description`, extents, voxel sizes, `voxel_unit`).
    pub fields: BTreeMap<String, serde_json::Value>,
}

/// A Boss resource level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BossLevel {
    /// A collection.
    Collection,
    /// An experiment (in a collection).
    Experiment,
    /// A channel (in an experiment).
    Channel,
}

impl BossLevel {
    /// The Boss's word for the level.
    pub fn word(self) -> &'static str {
        match self {
            BossLevel::Collection => "collection",
            BossLevel::Experiment => "experiment",
            BossLevel::Channel => "channel",
        }
    }

    /// The level of a resource path (`C`, `C/E`, `C/E/CH`).
    pub fn of_path(path: &str) -> BossLevel {
        match path.matches('/').count() {
            0 => BossLevel::Collection,
            1 => BossLevel::Experiment,
            _ => BossLevel::Channel,
        }
    }
}

/// One Boss collection, experiment or channel.
#[derive(Debug, Clone)]
pub struct BossResourcePolicy {
    /// Its path: `C`, `C/E` or `C/E/CH`.
    pub path: String,
    /// Its level.
    pub level: BossLevel,
    /// Where the key is first written (files may merge).
    pub origin: Origin,
    /// `absent: true`: a tombstone.
    pub absent: bool,
    /// The Boss fields the policy sets (`description`, `public`, `coord_frame`, `type`, …),
    /// by their wire names; lists sorted.
    pub fields: BTreeMap<String, Located<serde_json::Value>>,
    /// A channel's `sources:` and `related:`: each channel name where it is written.
    pub links: BTreeMap<String, Vec<Located<String>>>,
    /// `permissions:` one entry per group.
    pub permissions: Vec<BossGrant>,
    /// Ownership settings (`mode` of the permissions; `prevent_destroy`).
    pub ownership: Ownership,
}

/// One group's permissions on one Boss resource, permission sets expanded.
#[derive(Debug, Clone)]
pub struct BossGrant {
    /// The Boss group.
    pub group: Located<String>,
    /// The permission names (empty: revoke every permission of the group here).
    pub permissions: std::collections::BTreeSet<String>,
    /// Where the entry is written.
    pub origin: Origin,
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

/// One entry of `groups:`.
#[derive(Debug, Clone)]
pub struct GroupPolicy {
    /// The policy name (the key); also the group's name on the service.
    pub name: String,
    /// Where the group's key is written.
    pub origin: Origin,
    /// `id:` pin.
    pub id: Option<Located<Uuid>>,
    /// `absent: true`: a tombstone.
    pub absent: bool,
    /// `description:`.
    pub description: Option<Located<String>>,
    /// `policies:` (only the keys written).
    pub policies: Option<Located<GroupPolicies>>,
    /// `members:`.
    pub members: Vec<MemberGrant>,
    /// `previously:` former names, for renames.
    pub previously: Vec<Located<String>>,
    /// Ownership settings.
    pub ownership: Ownership,
}

/// `policies:` of a group; `None` means "not managed".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupPolicies {
    /// `group_visibility`: `authenticated` or `private`.
    pub group_visibility: Option<String>,
    /// `group_members_visibility`: `members` or `managers`.
    pub group_members_visibility: Option<String>,
    /// `join_requests`.
    pub join_requests: Option<bool>,
    /// `signup_fields`.
    pub signup_fields: Option<Vec<String>>,
    /// `authentication_assurance_timeout` in seconds.
    pub authentication_assurance_timeout: Option<i64>,
    /// `is_high_assurance`.
    pub is_high_assurance: Option<bool>,
}

/// One member line of a group.
#[derive(Debug, Clone)]
pub struct MemberGrant {
    /// Who.
    pub principal: Located<PrincipalRef>,
    /// With which role.
    pub role: GroupRole,
    /// Until when (an expired grant counts as absent).
    pub expires: Option<DateTime<Utc>>,
    /// Where the entry is written.
    pub origin: Origin,
}

/// One entry of `endpoints:`: a collection accord does not create.
#[derive(Debug, Clone)]
pub struct EndpointPolicy {
    /// The collection UUID.
    pub id: Uuid,
    /// Where the key is first written (files may merge).
    pub origin: Origin,
    /// `manage_paths:` (each ends in `/`); empty means every path.
    pub manage_paths: Vec<Located<String>>,
    /// `directories:`.
    pub directories: Vec<Directory>,
    /// `acl:` rules, from every file that names this endpoint.
    pub acl: Vec<AclRule>,
    /// Ownership settings.
    pub ownership: Ownership,
}

/// One `directories:` entry of an endpoint or a guest collection.
#[derive(Debug, Clone)]
pub struct Directory {
    /// The path, absolute and ending in `/`; holds `{id}` exactly when `for_principals` is set.
    pub path: Located<String>,
    /// `for:` the identities one directory each is made for (`{id}` → each one's UUID);
    /// empty for a plain path.
    pub for_principals: Vec<Located<PrincipalRef>>,
    /// Where the entry is written.
    pub origin: Origin,
}

/// The placeholder for an identity's UUID in ACL and directory paths.
pub const ID_PLACEHOLDER: &str = "{id}";

/// A guest collection role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CollectionRole {
    /// `administrator`: full control of the collection.
    Administrator,
    /// `access_manager`: manages ACL rules.
    AccessManager,
    /// `activity_manager`: manages and sees tasks.
    ActivityManager,
    /// `activity_monitor`: sees tasks.
    ActivityMonitor,
}

impl CollectionRole {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            CollectionRole::Administrator => "administrator",
            CollectionRole::AccessManager => "access_manager",
            CollectionRole::ActivityManager => "activity_manager",
            CollectionRole::ActivityMonitor => "activity_monitor",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<CollectionRole> {
        match s {
            "administrator" => Some(CollectionRole::Administrator),
            "access_manager" => Some(CollectionRole::AccessManager),
            "activity_manager" => Some(CollectionRole::ActivityManager),
            "activity_monitor" => Some(CollectionRole::ActivityMonitor),
            _ => None,
        }
    }
}

/// One principal in one role of a guest collection.
#[derive(Debug, Clone)]
pub struct RoleGrant {
    /// The role.
    pub role: CollectionRole,
    /// Who.
    pub principal: Located<PrincipalRef>,
}

/// One entry of `collections:`: a GCS guest collection accord creates.
#[derive(Debug, Clone)]
pub struct CollectionPolicy {
    /// The policy name N (the key; never a UUID).
    pub name: String,
    /// Where the key is first written (files may merge).
    pub origin: Origin,
    /// `id:` pin.
    pub id: Option<Located<Uuid>>,
    /// `absent: true`: a tombstone (it keeps `endpoint`, and `id` or `mapped_collection`,
    /// to find the collection live).
    pub absent: bool,
    /// `endpoint:` the GCS endpoint UUID E (always set once validated).
    pub endpoint: Option<Located<Uuid>>,
    /// `mapped_collection:` M (set unless a pinned tombstone leaves it out).
    pub mapped_collection: Option<Located<Uuid>>,
    /// `storage_gateway:` G of M (set unless a tombstone).
    pub storage_gateway: Option<Located<Uuid>>,
    /// `base_path:` the collection's base path inside M (set unless a tombstone).
    pub base_path: Option<Located<String>>,
    /// `display_name:` (compilation defaults it to `name`).
    pub display_name: Option<Located<String>>,
    /// `public:`.
    pub public: Option<Located<bool>>,
    /// `local_username:` the POSIX user of the credential.
    pub local_username: Option<Located<String>>,
    /// Other guest collection document fields, by their GCS name (`description`,
    /// `organization`, `department`, `contact_email`, `contact_info`, `info_link`, `keywords`
    /// (sorted), `default_directory`, `force_encryption`, `disable_verify`, `enable_https`,
    /// `user_message`, `user_message_link`), as written.
    pub document: BTreeMap<String, Located<serde_json::Value>>,
    /// `roles:`.
    pub roles: Vec<RoleGrant>,
    /// `directories:`.
    pub directories: Vec<Directory>,
    /// `acl:` rules, from every file that names this collection.
    pub acl: Vec<AclRule>,
    /// Ownership settings (`mode` applies to both rules and roles).
    pub ownership: Ownership,
}

/// One ACL rule.
#[derive(Debug, Clone)]
pub struct AclRule {
    /// Who.
    pub principal: Located<PrincipalRef>,
    /// The path, absolute and ending in `/`; may hold `{id}` for an identity principal.
    pub path: Located<String>,
    /// `r` or `rw`.
    pub permissions: Permissions,
    /// Until when.
    pub expires: Option<DateTime<Utc>>,
    /// `notify_email`, sent on create only.
    pub notify_email: Option<String>,
    /// Where the rule is written.
    pub origin: Origin,
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
    /// `targets.<name>.boss.url` for real targets that name one. A token is sent there only
    /// when the host is also allowed from the command line or environment.
    pub boss_urls: BTreeMap<String, String>,
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

/// One source file's text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path relative to the workspace root.
    pub path: Arc<Path>,
    /// Its full text.
    pub text: String,
}
