//! Scope strings as the emulator's token endpoint reads them: the resource server and name of
//! a scope, and its dependent scopes. Which scopes exist is the registry's
//! (`service::emulator::known_scope`): each served service's fixed ones, then those its
//! state defines (each GCS endpoint's and collection's, each client's Action Provider scope).

use super::RESOURCE_SERVER;

/// The resource server and scope name of one scope string (its dependent scopes, in
/// brackets, cut off): `urn:globus:auth:scope:<rs>:<name>`,
/// `https://auth.globus.org/scopes/<rs>/<name>`, or bare `openid`, `profile`, `email`.
pub fn parse(scope: &str) -> Option<(&str, &str)> {
    let base = scope.split('[').next().unwrap_or(scope);
    if matches!(base, "openid" | "profile" | "email") {
        return Some((RESOURCE_SERVER, base));
    }
    let (rs, name) = if let Some(rest) = base.strip_prefix("urn:globus:auth:scope:") {
        rest.rsplit_once(':')?
    } else {
        base.strip_prefix("https://auth.globus.org/scopes/")?
            .split_once('/')?
    };
    (!rs.is_empty() && !name.is_empty()).then_some((rs, name))
}

/// The dependent scopes written in brackets after a scope (`a[b c]` → `b c`).
pub fn dependents(scope: &str) -> Option<&str> {
    let (_, rest) = scope.split_once('[')?;
    rest.strip_suffix(']')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_strings_parse() {
        assert_eq!(parse("openid"), Some((RESOURCE_SERVER, "openid")));
        assert_eq!(
            parse("urn:globus:auth:scope:groups.api.globus.org:all"),
            Some(("groups.api.globus.org", "all"))
        );
        assert_eq!(
            parse("https://auth.globus.org/scopes/abc/data_access"),
            Some(("abc", "data_access"))
        );
        assert_eq!(
            parse(
                "urn:globus:auth:scope:e:manage_collections[https://auth.globus.org/scopes/m/data_access]"
            ),
            Some(("e", "manage_collections"))
        );
        assert_eq!(parse("urn:globus:auth:scope::x"), None);
        assert_eq!(parse("nonsense"), None);
        assert_eq!(dependents("a[b c]"), Some("b c"));
        assert_eq!(dependents("a"), None);
    }
}
