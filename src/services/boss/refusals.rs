//! The emulator's Boss refusals (`src/services/boss/emulator/`), with the Boss's numeric codes.

crate::refusals! {
    /// No `Token` header, or an unknown token (DRF's `{"detail": ...}`).
    UNAUTHORIZED = ("boss.token.invalid", 401, "detail", "no Token header, or an unknown token");
    /// A `/v0.x/` path.
    OLD_VERSION = ("boss.request.unsupported_version", 400, "9003", "a /v0.x/ path");
    /// A path no view serves.
    INVALID_URL = ("boss.request.invalid_url", 404, "1000", "a path no view serves");
    /// A body that is not a JSON object.
    MALFORMED = ("boss.request.malformed", 400, "1006", "a body that is not a JSON object");
    /// A method the path does not take.
    METHOD = ("boss.request.method_not_allowed", 405, "1006", "a method the path does not take");
    /// A call without the user role it needs.
    MISSING_ROLE = ("boss.role.missing", 403, "3000", "a call without the user role it needs (resource-manager)");
    /// A resource call without the object permission it needs.
    MISSING_PERMISSION = ("boss.resource.missing_permission", 403, "3001", "a resource call without the permission it needs on the object (read, add on the parent, update, delete, assign_group, remove_group)");
    /// A resource (or coordinate frame) that does not exist.
    NOT_FOUND = ("boss.resource.not_found", 404, "4000", "a collection, experiment, channel or coordinate frame that does not exist");
    /// A soft-deleted resource.
    MARKED_FOR_DELETION = ("boss.resource.marked_for_deletion", 404, "4005", "a resource marked for deletion");
    /// A Boss group that does not exist.
    GROUP_NOT_FOUND = ("boss.group.not_found", 404, "4001", "a Boss group that does not exist");
    /// A user who never logged in.
    USER_NOT_FOUND = ("boss.user.not_found", 404, "4002", "a user who never logged in");
    /// A group list filter other than member or maintainer.
    GROUP_FILTER = ("boss.groups.bad_filter", 400, "1004", "a group list filter other than member or maintainer");
    /// A group without its BossGroup row.
    GROUP_INVALID = ("boss.group.invalid", 400, "1004", "a group without its BossGroup row");
    /// Reading a group or its lists as neither member nor maintainer.
    NOT_MEMBER = ("boss.group.not_member", 403, "3001", "reading a group, or writing permissions for it, as neither member nor maintainer");
    /// Creating a group that exists.
    GROUP_EXISTS = ("boss.group.exists", 404, "6001", "creating a group that exists");
    /// A group name outside `[\w-]+`.
    GROUP_NAME = ("boss.group.bad_name", 400, "1000", "a group name outside letters, digits, _ and -");
    /// Deleting, or changing the members of, `admin` or `public`.
    SYSTEM_GROUP = ("boss.group.system", 400, "1006", "deleting admin or public, or changing their members or maintainers");
    /// Deleting a group as neither its creator nor an admin.
    NOT_CREATOR = ("boss.group.not_creator", 403, "3000", "deleting a group as neither its creator nor an admin");
    /// Adding or removing members or maintainers without `maintain_group`.
    NOT_MAINTAINER = ("boss.group.not_maintainer", 403, "3001", "adding or removing members or maintainers without maintain_group");
    /// Removing `bossadmin` from a group or as a maintainer.
    BOSSADMIN = ("boss.member.bossadmin", 400, "1006", "removing bossadmin");
    /// A member or maintainer call without the username.
    MISSING_USER = ("boss.member.missing_user", 400, "1000", "a member or maintainer write without the username");
    /// Removing a maintainer who holds `maintain_group` only through a group.
    NOT_DIRECT_MAINTAINER = ("boss.maintainer.not_direct", 403, "3001", "removing a maintainer who is not one directly");
    /// A permission POST or DELETE without group, collection or permissions.
    PERMISSION_FIELDS = ("boss.permission.missing_field", 400, "1000", "a permission POST or DELETE without group, collection or permissions");
    /// A permission PATCH without group, collection or permissions.
    PERMISSION_PATCH_FIELDS = ("boss.permission.patch_missing_field", 400, "1004", "a permission PATCH without group, collection or permissions");
    /// The `public` group given more than read permissions.
    PUBLIC_READ_ONLY = ("boss.permission.public_read_only", 400, "1003", "the public group given more than read (PATCH: exactly read)");
    /// A permission name the level does not have.
    PERMISSION_NAME = ("boss.permission.invalid", 400, "1003", "a permission name the level does not have (volumetric ones above channels)");
    /// A permission DELETE on a resource that does not exist (an unhandled exception).
    PERMISSION_DELETE_UNKNOWN = ("boss.permission.delete_unknown_resource", 500, "9002", "a permission DELETE naming a resource that does not exist");
    /// Listing the experiments of a collection that does not exist (an unhandled exception).
    LIST_UNKNOWN = ("boss.collection.list_unknown", 500, "9002", "listing the experiments of a collection that does not exist");
    /// A field of the wrong type.
    FIELD_TYPE = ("boss.request.bad_field", 400, "1003", "a field of the wrong type (boolean, integer, number, list of names)");
    /// A description over 4096 characters.
    DESCRIPTION = ("boss.resource.description_length", 400, "1003", "a description over 4096 characters");
    /// A value outside a field's choices.
    CHOICE = ("boss.resource.bad_choice", 400, "1003", "a value outside a field's choices (type, datatype, hierarchy_method, time_step_unit, voxel_unit, storage_type)");
    /// An integer outside the database's 32-bit range.
    OUT_OF_RANGE = ("boss.resource.out_of_range", 400, "1003", "an integer field outside -2147483648 to 2147483647 (Django's IntegerField on MySQL)");
    /// A resource name outside `^[a-zA-Z0-9_-]{1,255}$`.
    NAME = ("boss.resource.bad_name", 400, "1003", "a resource name outside letters, digits, _ and -, or over 255 characters");
    /// A name taken (soft-deleted resources included).
    EXISTS = ("boss.resource.exists", 400, "1003", "creating or renaming to a name taken, by a soft-deleted resource too");
    /// An update of a read-only field.
    READONLY = ("boss.resource.readonly_field", 400, "1003", "an update of a field the level does not let change");
    /// Deleting a collection that still has experiments.
    HAS_EXPERIMENTS = ("boss.collection.has_experiments", 400, "4003", "deleting a collection that still has experiments");
    /// An experiment without a coordinate frame.
    NO_FRAME = ("boss.experiment.no_coord_frame", 400, "1003", "an experiment created without a coord_frame");
    /// Deleting an experiment that still has channels.
    HAS_CHANNELS = ("boss.experiment.has_channels", 400, "4003", "deleting an experiment that still has channels");
    /// A channel without its type or datatype.
    CHANNEL_REQUIRED = ("boss.channel.required_field", 400, "1003", "a channel created without type or datatype");
    /// A default time sample not below the experiment's number of time samples.
    TIME_SAMPLE = ("boss.channel.default_time_sample", 400, "1003", "a default_time_sample negative or not below the experiment's num_time_samples");
    /// A source or related channel that does not exist.
    UNKNOWN_LINK = ("boss.channel.unknown_link", 400, "1003", "sources or related naming a channel the experiment does not have");
    /// A channel both a source and a related channel.
    LINK_OVERLAP = ("boss.channel.link_overlap", 400, "1003", "a channel in both sources and related");
    /// A bucket or cv_path set by a non-admin.
    ADMIN_FIELD = ("boss.channel.admin_field", 403, "3001", "a bucket or cv_path set by someone outside the admin group");
    /// Deleting a channel that is a source of another.
    IS_SOURCE = ("boss.channel.is_source", 400, "4003", "deleting a channel that is a source of another channel");
    /// A coordinate frame without a required field.
    FRAME_REQUIRED = ("boss.frame.required_field", 400, "1003", "a coordinate frame created without an extent, voxel size or unit");
    /// Deleting a coordinate frame experiments use.
    FRAME_IN_USE = ("boss.frame.in_use", 400, "4003", "deleting a coordinate frame experiments still use");
}
