//! The emulator's refusals on each GCS endpoint's Manager API (`src/services/gcs/emulator/`).

crate::refusals! {
    /// An endpoint id that is not a GCS endpoint.
    ENDPOINT_NOT_FOUND = ("gcs.endpoint.not_found", 404, "not_found", "a GCS endpoint that does not exist");
    /// No token, or one not issued for this endpoint.
    UNAUTHORIZED = ("gcs.token.invalid", 401, "not_authorized", "a missing, unknown or other resource server's token");
    /// A token without the endpoint's `manage_collections` scope.
    MISSING_SCOPE = ("gcs.token.missing_scope", 403, "permission_denied", "a token without the endpoint's manage_collections scope");
    /// A guest collection created without the mapped collection's `data_access` scope.
    MISSING_DATA_ACCESS = ("gcs.token.missing_data_access", 403, "permission_denied", "a guest collection created with a token lacking the mapped collection's data_access dependent scope");
    /// A body or query parameter that does not parse, or a required field left out.
    MALFORMED = ("gcs.request.malformed", 400, "bad_request", "a body or parameter that does not parse (JSON, DATA_TYPE, UUIDs, types, page_size, marker), or a required field left out");
    /// A collection id that is not one of the endpoint's collections.
    COLLECTION_NOT_FOUND = ("gcs.collection.not_found", 404, "not_found", "a collection of the endpoint that does not exist");
    /// A storage gateway id that does not exist.
    GATEWAY_NOT_FOUND = ("gcs.gateway.not_found", 404, "not_found", "a storage gateway that does not exist");
    /// A collection read, created, updated or deleted without the role it needs.
    COLLECTION_ROLE = ("gcs.collection.missing_role", 403, "permission_denied", "a collection read, created, updated or deleted without the role it needs");
    /// A display name null or empty (or missing on create or PUT).
    DISPLAY_NAME = ("gcs.collection.display_name", 400, "bad_request", "a display_name missing, null or empty");
    /// A base path that is not absolute or climbs out.
    BASE_PATH = ("gcs.collection.base_path", 400, "bad_request", "a collection_base_path not absolute, or with .. segments");
    /// A guest collection whose mapped collection is a guest collection.
    MAPPED_IS_GUEST = ("gcs.collection.mapped_is_guest", 400, "bad_request", "a guest collection on a guest collection");
    /// An identity outside the caller's identity set.
    NOT_CALLER = ("gcs.identity.not_caller", 403, "permission_denied", "an identity_id outside the caller's identity set, or another identity's credential");
    /// A guest collection with no credential of the caller on the gateway.
    CREDENTIAL_MISSING = ("gcs.collection.credential_not_found", 403, "permission_denied", "a guest collection without a user credential of the caller on the storage gateway");
    /// A guest collection on an invalid credential.
    CREDENTIAL_INVALID = ("gcs.collection.credential_invalid", 403, "permission_denied", "a guest collection on a user credential marked invalid");
    /// An update of what a collection shares.
    FIXED_FIELD = ("gcs.collection.fixed_field", 400, "bad_request", "an update of collection_type, mapped_collection_id, storage_gateway_id or collection_base_path");
    /// Deleting a `delete_protected` collection.
    DELETE_PROTECTED = ("gcs.collection.delete_protected", 409, "conflict", "deleting a collection with delete_protected");
    /// Roles listed, read, created or deleted without the role it needs.
    ROLE_ROLE = ("gcs.role.missing_role", 403, "permission_denied", "roles listed, read, assigned or deleted without the administrator role they need");
    /// A role principal that is not an identity or group URN.
    ROLE_PRINCIPAL = ("gcs.role.bad_principal", 400, "bad_request", "a role principal that is not an identity or group URN");
    /// A role name the endpoint or collection does not have.
    ROLE_NAME = ("gcs.role.bad_role", 400, "bad_request", "a role name the endpoint or a collection does not have");
    /// A role the principal already holds there.
    ROLE_EXISTS = ("gcs.role.exists", 409, "exists", "a role the principal already holds there");
    /// A role id that does not exist.
    ROLE_NOT_FOUND = ("gcs.role.not_found", 404, "not_found", "a role that does not exist");
    /// Deleting the endpoint's owner role or a collection creator's administrator role.
    ROLE_PROTECTED = ("gcs.role.protected", 409, "conflict", "deleting the endpoint's owner role or a collection creator's administrator role");
    /// A user credential id that does not exist.
    CREDENTIAL_NOT_FOUND = ("gcs.credential.not_found", 404, "not_found", "a user credential that does not exist");
}
