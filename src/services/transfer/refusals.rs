//! The emulator's Transfer refusals (`src/services/transfer/emulator/`).

crate::refusals! {
    /// No token, or one not issued for Transfer.
    UNAUTHORIZED = ("transfer.token.invalid", 401, "AuthenticationFailed", "a missing, unknown or other service's token");
    /// An endpoint or collection id that does not exist.
    ENDPOINT_NOT_FOUND = ("transfer.endpoint.not_found", 404, "EndpointNotFound", "an endpoint or collection that does not exist");
    /// Access rules handled without the role they need.
    PERMISSION_DENIED = ("transfer.acl.permission_denied", 403, "PermissionDenied", "access rules without administrator or access_manager (restricted_administrator may list, read and delete)");
    /// A body that is not JSON, lacks its `DATA_TYPE` or does not decode.
    MALFORMED = ("transfer.request.malformed", 400, "BadRequest", "a body that is not JSON, lacks its DATA_TYPE or does not decode");
    /// A principal that does not fit its `principal_type`.
    ACL_PRINCIPAL = ("transfer.acl.bad_principal", 400, "BadRequest", "a principal that does not fit its principal_type");
    /// Permissions other than `r` and `rw`.
    ACL_PERMISSIONS = ("transfer.acl.bad_permissions", 400, "BadRequest", "permissions other than r or rw");
    /// A rule path that is not absolute, lacks its trailing slash, has `.`/`..` or is too long.
    ACL_PATH = ("transfer.acl.invalid_path", 400, "InvalidPath", "a rule path not absolute, without its trailing slash, with . or .. segments, or over 2000 characters");
    /// An `expiration_date` that is not a timestamp.
    ACL_EXPIRY_INVALID = ("transfer.acl.bad_expiration_date", 400, "BadRequest", "an expiration_date that is not a timestamp");
    /// An `expiration_date` that is not in the future.
    ACL_EXPIRY_PAST = ("transfer.acl.expiration_date_past", 400, "BadRequest", "an expiration_date not in the future");
    /// A second rule for the same principal and path.
    ACL_EXISTS = ("transfer.acl.exists", 409, "Exists", "a second rule for the same principal and path");
    /// More rules than one endpoint holds.
    ACL_LIMIT = ("transfer.acl.limit_exceeded", 409, "LimitExceeded", "a rule beyond the 1000 one endpoint or collection holds");
    /// A rule id that does not exist.
    ACL_NOT_FOUND = ("transfer.acl.not_found", 404, "AccessRuleNotFound", "a rule id that does not exist");
    /// An update that changes what identifies a rule.
    ACL_FIXED_FIELD = ("transfer.acl.fixed_field", 400, "BadRequest", "an update changing a rule's path, principal or principal_type, or naming another id");
    /// Access rules on an endpoint that has none (`acl_available: false`, a GCSv5 endpoint).
    ACL_UNAVAILABLE = ("transfer.acl.unavailable", 400, "ClientError.BadRequest", "access rules on an endpoint whose acl_available is false (a GCSv5 endpoint)");
    /// A directory path that is relative or has `.`/`..` segments.
    MKDIR_BAD_PATH = ("transfer.mkdir.bad_path", 400, "BadRequest", "a relative directory path or one with . or .. segments");
    /// mkdir without a role or an `rw` rule covering the path.
    MKDIR_DENIED = ("transfer.mkdir.permission_denied", 403, "EndpointPermissionDenied", "mkdir without a role or an rw rule covering the path");
    /// A directory that already exists.
    MKDIR_EXISTS = ("transfer.mkdir.exists", 502, "ExternalError.MkdirFailed.Exists", "mkdir of a directory that already exists");
    /// stat without a path, or with a relative one.
    STAT_BAD_PATH = ("transfer.stat.bad_path", 400, "BadRequest", "stat without a path, or of a relative one");
    /// stat without a role or a rule covering the path.
    STAT_DENIED = ("transfer.stat.permission_denied", 403, "EndpointPermissionDenied", "stat without a role or a rule covering the path");
    /// stat of a directory that does not exist.
    STAT_NOT_FOUND = ("transfer.stat.not_found", 404, "NotFound", "stat of a directory that does not exist");
}
