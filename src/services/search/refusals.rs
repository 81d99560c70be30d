//! The emulator's Search refusals (`src/services/search/emulator/`).

crate::refusals! {
    /// A token that is not one issued for Search.
    UNAUTHORIZED = ("search.token.invalid", 401, "Unauthorized.Generic", "a token that is unknown or another service's");
    /// An anonymous call to a route that needs a role.
    ANONYMOUS = ("search.request.anonymous", 401, "Unauthorized.Generic", "an anonymous call to a route that needs a role");
    /// An index that does not exist.
    NO_INDEX = ("search.index.not_found", 404, "NotFound.NoSuchIndex", "an index that does not exist");
    /// A route without the index role it needs.
    FORBIDDEN = ("search.index.forbidden", 403, "Forbidden.Generic", "a route without the index role it needs (writer to ingest and delete, admin for roles and bypass_visible_to)");
    /// An owner role created by an admin.
    NEEDS_OWNER = ("search.role.needs_owner", 403, "AccessForbidden.NeedsOwner", "an owner role created by an admin");
    /// A body that is not a JSON object.
    MALFORMED = ("search.request.malformed", 400, "BadRequest.Generic", "a body that is not a JSON object");
    /// Query parameters or a query body that do not validate.
    QUERY = ("search.query.invalid", 400, "BadRequest.ValidationError", "query parameters or a query body that do not validate (subject reads and queries)");
    /// A task id that does not exist.
    TASK_NOT_FOUND = ("search.task.not_found", 404, "NotFound.Generic", "a task that does not exist");
    /// A subject with no entry the caller sees.
    SUBJECT_NOT_FOUND = ("search.subject.not_found", 404, "NotFound.Generic", "a subject read with no entry the caller sees");
    /// A subject delete without its subject.
    SUBJECT_MISSING = ("search.subject.missing_parameter", 400, "BadRequest.ValidationError", "a subject delete without the subject parameter");
    /// An ingest body missing a required field or with one of the wrong type.
    INGEST_MALFORMED = ("search.ingest.malformed", 400, "BadRequest.ValidationError", "an ingest without ingest_type, ingest_data, subject, visible_to or content, or with one of the wrong type");
    /// A subject empty or over 500 bytes.
    SUBJECT_LENGTH = ("search.entry.subject_length", 400, "BadRequest.ValidationError", "a subject that is empty or over 500 bytes");
    /// More than 100 `visible_to` values.
    VISIBLE_TO_LIMIT = ("search.entry.visible_to_limit", 400, "BadRequest.ValidationError", "more than 100 visible_to values");
    /// A `visible_to` value that is neither a literal nor an identity or group URN.
    VISIBLE_TO_PRINCIPAL = ("search.entry.visible_to_principal", 400, "BadRequest.ValidationError", "a visible_to value not public, all_authenticated_users or an identity or group URN");
    /// A principal set member that is not an identity or group URN.
    PRINCIPAL_SET_MEMBER = ("search.entry.principal_set_member", 400, "BadRequest.ValidationError", "a principal set member that is not an identity or group URN (public and all_authenticated_users included)");
    /// An ingest that would leave a subject with more than 10 entries (its task fails).
    ENTRY_LIMIT = ("search.ingest.entry_limit", 200, "FAILED", "an ingest leaving a subject with more than 10 entries: accepted, its task ends FAILED");
    /// A role body without a valid role name or principal.
    ROLE_INVALID = ("search.role.invalid", 400, "BadRequest.ValidationError", "a role without a role_name of owner, admin or writer, or without an identity or group URN");
    /// The same role for the same principal again.
    ROLE_EXISTS = ("search.role.exists", 409, "Conflict.DuplicateRole", "a role the principal already holds");
    /// More than 50 roles on one index.
    ROLE_LIMIT = ("search.role.limit_exceeded", 409, "Conflict.LimitExceeded", "a role beyond the 50 an index holds");
    /// Deleting the last owner role.
    ROLE_LAST_OWNER = ("search.role.last_owner", 409, "Conflict.LastOwner", "deleting the only owner role of an index");
    /// A role id that does not exist.
    ROLE_NOT_FOUND = ("search.role.not_found", 404, "NotFound.Generic", "a role id that does not exist");
}
