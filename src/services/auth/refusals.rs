//! The emulator's Auth refusals (`src/services/auth/emulator/`).

crate::refusals! {
    /// Bad client credentials at the token or introspection endpoint.
    CLIENT = ("auth.client.invalid", 401, "invalid_client", "client credentials that do not authenticate");
    /// A grant type other than client credentials and dependent tokens.
    GRANT_TYPE = ("auth.grant.unsupported", 400, "unsupported_grant_type", "a grant type the emulator does not issue");
    /// A scope no resource server has, or none at all.
    SCOPE = ("auth.scope.invalid", 400, "invalid_scope", "a scope no resource server has (services/auth/scopes.rs), or no scope");
    /// A token grant or introspection without its `token` parameter.
    MISSING_TOKEN = ("auth.request.missing_token", 400, "invalid_request", "a dependent token grant or introspection without a token");
    /// A dependent token grant for a token that is not active or not for this client.
    GRANT = ("auth.grant.invalid", 400, "invalid_grant", "a dependent token grant for an inactive token, or one not issued for the client's scope");
    /// Identity lookups without a token or client credentials.
    UNAUTHORIZED = ("auth.token.invalid", 401, "UNAUTHORIZED", "an identity lookup without a token or client credentials");
    /// Identity lookups with conflicting or malformed parameters.
    PARAMETERS = ("auth.identities.bad_parameters", 400, "INVALID_PARAMETERS", "identity lookups with both or neither of usernames and ids, a malformed id, or provision with ids");
    /// One identity that does not exist.
    IDENTITY_NOT_FOUND = ("auth.identity.not_found", 404, "NOT_FOUND", "one identity that does not exist");
}
