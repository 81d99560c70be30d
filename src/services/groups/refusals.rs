//! The emulator's Groups refusals (`src/services/groups/emulator/`), per-identity batch errors
//! included: they come back inside a 200 answer.

crate::refusals! {
    /// No token, or one not issued for Groups.
    UNAUTHORIZED = ("groups.token.invalid", 401, "UNAUTHORIZED", "a missing, unknown or other service's token");
    /// A group id that does not exist (or is not a UUID).
    NOT_FOUND = ("groups.group.not_found", 404, "NOT_FOUND", "a group (or parent group) that does not exist");
    /// A group action without the membership role it needs.
    FORBIDDEN = ("groups.group.forbidden", 403, "FORBIDDEN", "viewing a group as a non-member, or updating, deleting, setting policies, managing members or creating a subgroup without the admin or manager role");
    /// Preferences of another identity.
    PREFERENCES_FORBIDDEN = ("groups.preferences.forbidden", 403, "FORBIDDEN", "setting another identity's preferences");
    /// A body that does not parse.
    MALFORMED = ("groups.request.malformed", 422, "value_error", "a body that does not parse (FastAPI's 422 shape)");
    /// A policy value outside its allowed values.
    POLICY_VALUE = ("groups.policies.invalid_value", 422, "value_error", "a group_visibility or group_members_visibility outside the allowed values");
    /// A policy number outside its range.
    POLICY_RANGE = ("groups.policies.out_of_range", 422, "value_error", "an authentication_assurance_timeout outside 0 to 4294967295");
    /// An empty group name.
    EMPTY_NAME = ("groups.group.empty_name", 400, "BAD_REQUEST", "a group name that is empty");
    /// An identity twice in one batch.
    BATCH_DUPLICATE = ("groups.batch.duplicate_identity", 400, "BAD_REQUEST", "an identity named twice in one batch");
    /// A batch item naming an identity that does not exist.
    MEMBER_UNKNOWN = ("groups.member.identity_not_found", 200, "IDENTITY_NOT_FOUND", "a batch item naming an identity that does not exist");
    /// A manager adding or removing an admin or manager.
    MEMBER_ELEVATED = ("groups.member.needs_admin", 200, "PERMISSION_DENIED", "a manager adding, inviting or removing an admin or manager");
    /// Accept, decline, leave, join or request_join for another identity.
    MEMBER_NOT_SELF = ("groups.member.not_self", 200, "PERMISSION_DENIED", "accept, decline, leave, join or request_join for another identity");
    /// Joining a group that does not take joins or join requests.
    MEMBER_NO_JOIN = ("groups.member.join_denied", 200, "PERMISSION_DENIED", "join or request_join on a group that does not allow it");
    /// Adding or inviting an active member.
    MEMBER_ACTIVE = ("groups.member.already_active", 200, "ALREADY_ACTIVE", "adding, inviting or joining an identity already active");
    /// Adding an identity that left the group or does not allow adds.
    MEMBER_ADD_FORBIDDEN = ("groups.member.add_forbidden", 200, "ADD_FORBIDDEN", "adding an identity that left the group or set allow_add to false");
    /// change_role without a role.
    MEMBER_NO_ROLE = ("groups.member.no_role", 200, "INVALID_ROLE", "change_role without a role");
    /// An action on an identity with no (fitting) membership.
    MEMBER_NONE = ("groups.member.no_membership", 200, "NO_MEMBERSHIP", "changing, removing or answering a membership that does not exist");
    /// Demoting, removing or leaving as the last admin.
    MEMBER_LAST_ADMIN = ("groups.member.last_admin", 200, "LAST_ADMIN", "demoting, removing or leaving the last admin");
    /// Removing oneself.
    MEMBER_REMOVE_SELF = ("groups.member.remove_self", 200, "CANNOT_REMOVE_SELF", "removing oneself (leave instead)");
    /// Approving, rejecting, accepting or declining a membership not in that state.
    MEMBER_STATUS = ("groups.member.invalid_status", 200, "INVALID_STATUS", "approving or rejecting a membership not pending, accepting or declining one not invited");
}
