//! Managed kinds and the field schema the diff, fingerprints and redaction read.

use serde::{Deserialize, Serialize};

/// Every kind of object accord manages, across all services.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Kind {
    /// A Globus group (top-level, keyed by its policy name).
    GlobusGroup,
    /// One identity's membership in a Globus group.
    GlobusMember,
    /// A Transfer ACL rule on a collection.
    TransferAcl,
    /// A directory that must exist on a collection (Transfer mkdir).
    Directory,
    /// A GCS user credential backing a guest collection.
    GcsCredential,
    /// A GCS guest collection.
    GcsCollection,
    /// A role on a GCS collection.
    GcsRole,
    /// A role on a Search index.
    SearchRole,
    /// The `visible_to` and `principal_sets` of one Search subject.
    SearchEntryAccess,
    /// A Boss group.
    BossGroup,
    /// A Boss group member or maintainer.
    BossMember,
    /// A Boss coordinate frame.
    BossFrame,
    /// A Boss collection, experiment or channel.
    BossResource,
    /// One Boss group's permission set on one resource.
    BossPermission,
}

/// How the diff treats a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldMode {
    /// Diffed and written.
    Managed,
    /// Set by the server; never diffed.
    Computed,
    /// Sent on create or update, never read back, so never diffed.
    WriteOnly,
    /// A change means delete + create.
    ForceReplace,
    /// Redacted everywhere; never diffed by value.
    Sensitive,
}

/// One field of a kind's schema.
#[derive(Debug, Clone, Copy)]
pub struct FieldSpec {
    /// The attribute name in `Object::attrs`.
    pub name: &'static str,
    /// How the diff treats it.
    pub mode: FieldMode,
    /// For access-bearing fields, the values from least to most access: a change
    /// towards the front is a reduction of access (counted as a removal by the rails).
    pub access_order: &'static [&'static str],
}

const fn field(name: &'static str, mode: FieldMode) -> FieldSpec {
    FieldSpec {
        name,
        mode,
        access_order: &[],
    }
}

const fn access(name: &'static str, order: &'static [&'static str]) -> FieldSpec {
    FieldSpec {
        name,
        mode: FieldMode::Managed,
        access_order: order,
    }
}

/// Expiry is a managed field on grant kinds whose service stores it.
const EXPIRES: FieldSpec = field("expires", FieldMode::Managed);

impl Kind {
    /// All kinds, in a stable order.
    pub const ALL: [Kind; 14] = [
        Kind::GlobusGroup,
        Kind::GlobusMember,
        Kind::TransferAcl,
        Kind::Directory,
        Kind::GcsCredential,
        Kind::GcsCollection,
        Kind::GcsRole,
        Kind::SearchRole,
        Kind::SearchEntryAccess,
        Kind::BossGroup,
        Kind::BossMember,
        Kind::BossFrame,
        Kind::BossResource,
        Kind::BossPermission,
    ];

    /// The dotted name used in addresses and output (`transfer.acl`).
    pub fn name(self) -> &'static str {
        match self {
            Kind::GlobusGroup => "globus.group",
            Kind::GlobusMember => "globus.member",
            Kind::TransferAcl => "transfer.acl",
            Kind::Directory => "transfer.directory",
            Kind::GcsCredential => "gcs.credential",
            Kind::GcsCollection => "gcs.collection",
            Kind::GcsRole => "gcs.role",
            Kind::SearchRole => "search.role",
            Kind::SearchEntryAccess => "search.entry",
            Kind::BossGroup => "boss.group",
            Kind::BossMember => "boss.member",
            Kind::BossFrame => "boss.frame",
            Kind::BossResource => "boss.resource",
            Kind::BossPermission => "boss.permission",
        }
    }

    /// Parses a dotted kind name back.
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The number of key segments an address of this kind has.
    pub fn arity(self) -> usize {
        match self {
            Kind::GlobusGroup | Kind::BossGroup | Kind::BossFrame => 1,
            Kind::GlobusMember
            | Kind::Directory
            | Kind::GcsCollection
            | Kind::SearchEntryAccess => 2,
            Kind::GcsCredential => 2,
            Kind::BossMember => 3,
            Kind::TransferAcl | Kind::GcsRole | Kind::SearchRole => 3,
            Kind::BossResource => 1,
            Kind::BossPermission => 2,
        }
    }

    /// Whether objects of this kind give someone access (grants and revocations).
    pub fn grants_access(self) -> bool {
        matches!(
            self,
            Kind::GlobusMember
                | Kind::TransferAcl
                | Kind::GcsRole
                | Kind::SearchRole
                | Kind::SearchEntryAccess
                | Kind::BossMember
                | Kind::BossPermission
        )
    }

    /// Whether this kind belongs to the Boss (whose principals are not Globus identities).
    pub fn is_boss(self) -> bool {
        matches!(
            self,
            Kind::BossGroup
                | Kind::BossMember
                | Kind::BossFrame
                | Kind::BossResource
                | Kind::BossPermission
        )
    }

    /// Whether objects of this kind hold data, so `prevent_destroy` is on by default.
    pub fn holds_data(self) -> bool {
        matches!(self, Kind::GcsCollection | Kind::BossResource)
    }

    /// The field schema of this kind.
    pub fn fields(self) -> &'static [FieldSpec] {
        use FieldMode::*;
        match self {
            Kind::GlobusGroup => {
                const F: &[FieldSpec] = &[
                    field("name", Managed),
                    field("description", Managed),
                    field("group_visibility", Managed),
                    field("group_members_visibility", Managed),
                    field("join_requests", Managed),
                    field("signup_fields", Managed),
                    field("authentication_assurance_timeout", Managed),
                    field("is_high_assurance", Managed),
                    field("parent_id", ForceReplace),
                ];
                F
            }
            Kind::GlobusMember => {
                const F: &[FieldSpec] = &[
                    access("role", &["member", "manager", "admin"]),
                    field("status", Computed),
                    field("username", Computed),
                    // Groups has no membership expiry: accord enforces it by revoking, so
                    // a live membership never carries it and it must not be diffed.
                    field("expires", WriteOnly),
                ];
                F
            }
            Kind::TransferAcl => {
                const F: &[FieldSpec] = &[
                    access("permissions", &["r", "rw"]),
                    EXPIRES,
                    field("notify_email", WriteOnly),
                    field("notify_message", WriteOnly),
                    field("create_time", Computed),
                ];
                F
            }
            Kind::Directory => &[],
            Kind::GcsCredential => {
                const F: &[FieldSpec] = &[
                    // The running identity: the provider fills it; compilation knows no caller.
                    field("identity_id", Computed),
                    // Updated in place: a credential is never deleted.
                    field("username", Managed),
                    field("display_name", Managed),
                    field("policies", Sensitive),
                ];
                F
            }
            Kind::GcsCollection => {
                const F: &[FieldSpec] = &[
                    field("display_name", Managed),
                    field("public", Managed),
                    field("collection_base_path", ForceReplace),
                    field("mapped_collection_id", ForceReplace),
                    field("storage_gateway_id", Computed),
                    field("user_credential_id", Computed),
                    field("description", Managed),
                    field("organization", Managed),
                    field("department", Managed),
                    field("contact_email", Managed),
                    field("contact_info", Managed),
                    field("info_link", Managed),
                    field("keywords", Managed),
                    field("default_directory", Managed),
                    field("force_encryption", Managed),
                    field("disable_verify", Managed),
                    field("enable_https", Managed),
                    field("user_message", Managed),
                    field("user_message_link", Managed),
                ];
                F
            }
            // Neither GCS nor Search stores a role's expiry: accord enforces it by revoking.
            Kind::GcsRole | Kind::SearchRole => {
                const F: &[FieldSpec] = &[field("expires", WriteOnly)];
                F
            }
            Kind::SearchEntryAccess => {
                const F: &[FieldSpec] = &[
                    field("visible_to", Managed),
                    field("principal_sets", Managed),
                ];
                F
            }
            Kind::BossGroup => {
                const F: &[FieldSpec] = &[field("owner", Computed)];
                F
            }
            Kind::BossMember => &[],
            // The Boss updates only a frame's description; its geometry is fixed at creation.
            Kind::BossFrame => {
                const F: &[FieldSpec] = &[
                    field("description", Managed),
                    field("x_start", ForceReplace),
                    field("x_stop", ForceReplace),
                    field("y_start", ForceReplace),
                    field("y_stop", ForceReplace),
                    field("z_start", ForceReplace),
                    field("z_stop", ForceReplace),
                    field("x_voxel_size", ForceReplace),
                    field("y_voxel_size", ForceReplace),
                    field("z_voxel_size", ForceReplace),
                    field("voxel_unit", ForceReplace),
                ];
                F
            }
            // One schema for the three levels: a level's object only carries its own fields.
            Kind::BossResource => {
                const F: &[FieldSpec] = &[
                    field("description", Managed),
                    field("public", Managed),
                    field("coord_frame", ForceReplace),
                    field("num_hierarchy_levels", Managed),
                    field("hierarchy_method", Managed),
                    field("num_time_samples", Managed),
                    field("time_step", Managed),
                    field("time_step_unit", Managed),
                    field("type", ForceReplace),
                    field("datatype", ForceReplace),
                    field("default_time_sample", Managed),
                    field("base_resolution", Managed),
                    field("sources", Managed),
                    field("related", Managed),
                    field("creator", Computed),
                    // What a collection or experiment holds, for the plan to say what a
                    // deletion destroys.
                    field("experiments", Computed),
                    field("channels", Computed),
                ];
                F
            }
            // A set of names: an update that drops one reduces access.
            Kind::BossPermission => {
                const F: &[FieldSpec] = &[access(
                    "permissions",
                    &[
                        "read",
                        "read_volumetric_data",
                        "add",
                        "add_volumetric_data",
                        "update",
                        "delete",
                        "delete_volumetric_data",
                        "assign_group",
                        "remove_group",
                    ],
                )];
                F
            }
        }
    }

    /// The schema entry for one field, if the kind declares it.
    pub fn field(self, name: &str) -> Option<&'static FieldSpec> {
        self.fields().iter().find(|f| f.name == name)
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for k in Kind::ALL {
            assert_eq!(Kind::from_name(k.name()), Some(k));
        }
        assert_eq!(Kind::from_name("nope"), None);
    }

    #[test]
    fn access_order_ranks_roles() {
        let role = Kind::GlobusMember.field("role").unwrap();
        assert_eq!(role.access_order, &["member", "manager", "admin"]);
    }
}
