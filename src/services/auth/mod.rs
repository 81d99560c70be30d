//! Globus Auth, everything accord knows of it: its API and scopes, identity resolution (the
//! core's `IdentityResolver`), its wire types, the registry of scopes the emulator issues, and
//! its emulator part and refusals.

pub mod api;

#[cfg(feature = "emulator")]
pub mod emulator;
pub mod provider;
pub mod wire;

#[cfg(feature = "emulator")]
pub mod refusals;
#[cfg(feature = "emulator")]
pub mod scopes;

/// The resource server of Globus Auth itself.
pub const RESOURCE_SERVER: &str = "auth.globus.org";

/// Auth's own scopes (`openid`, `profile` and `email` are also written bare).
pub const SCOPES: &[&str] = &[
    "openid",
    "profile",
    "email",
    "view_identity_set",
    "view_identities",
];

/// Globus Auth, as a service accord manages.
pub struct Auth;

impl crate::service::Service for Auth {
    fn oauth_client(&self, emulator: &serde_json::Value) -> Option<crate::http::GlobusCredentials> {
        provider::emulator_client(emulator)
    }

    fn identities(
        &self,
        cx: &crate::service::Connect,
    ) -> Option<std::sync::Arc<dyn crate::service::IdentityResolver>> {
        Some(std::sync::Arc::new(provider::GlobusAuth::new(
            cx.http.clone(),
        )))
    }

    fn name(&self) -> &'static str {
        "auth"
    }

    fn api(&self) -> Option<&'static crate::http::Api> {
        Some(&api::API)
    }

    fn title(&self) -> &'static str {
        "Globus Auth"
    }

    #[cfg(feature = "emulator")]
    fn emulator(&self) -> Option<&dyn crate::service::emulator::EmulatedService> {
        Some(&emulator::EMULATOR)
    }
}
