//! The emulator's Flows refusals (`src/services/flows/emulator/`).

crate::refusals! {
    /// A token that is not one issued for Flows.
    UNAUTHORIZED = ("flows.token.invalid", 401, "UNAUTHORIZED", "a token that is unknown or another service's");
    /// A flow that does not exist, or that the caller holds no role on.
    NOT_FOUND = ("flows.flow.not_found", 404, "NOT_FOUND", "a flow that does not exist or that the caller cannot see (no role on it)");
    /// A change to a flow by a caller who sees it but neither administers nor owns it.
    FORBIDDEN = ("flows.flow.forbidden", 403, "FORBIDDEN", "an update or delete by a caller who sees the flow but is neither an administrator nor its owner");
    /// A role list entry its list does not accept.
    PRINCIPAL = ("flows.role.invalid_principal", 422, "UNPROCESSABLE_ENTITY", "a role list entry that is not an identity or group URN, or a special value outside its list (all_authenticated_users outside flow_starters, public outside flow_viewers)");
    /// A `flow_owner` that is not the caller's own identity URN.
    OWNER = ("flows.flow.owner_not_caller", 422, "UNPROCESSABLE_ENTITY", "a flow_owner that is not the caller's own identity URN");
    /// A body that does not fit the flow document's types.
    MALFORMED = ("flows.request.malformed", 422, "UNPROCESSABLE_ENTITY", "a body that is not a JSON object, a role list that is not a list of strings (null included), a flow id that is not a UUID");
    /// List query parameters that do not validate.
    QUERY = ("flows.query.invalid", 422, "UNPROCESSABLE_ENTITY", "a listing's unknown filter_roles or filter_role value, orderby, limit or marker");
}
