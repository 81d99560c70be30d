//! What can go wrong with a request, said without a token or a secret.

use std::time::{Duration, SystemTime};

use serde_json::Value;
use url::Url;

use super::{ENV_ALLOW_HOSTS, ServiceId};
use crate::state::ProviderError;

/// An HTTP failure. Carries status, service code and message; never a token or secret.
#[derive(Debug, Clone, thiserror::Error)]
pub enum HttpError {
    /// The URL's host is not trusted with credentials: nothing was sent.
    #[error(
        "refusing to send credentials to untrusted host `{host}` ({url}); trusted: the real services, loopback, and {ENV_ALLOW_HOSTS}"
    )]
    Untrusted {
        /// The refused host.
        host: String,
        /// The refused URL.
        url: String,
    },
    /// The service answered with an error status.
    #[error("{method} {path}: HTTP {status}{}: {message}", code.as_deref().map(|c| format!(" {c}")).unwrap_or_default())]
    Status {
        /// The service called.
        service: ServiceId,
        /// The HTTP method (text fields boxed: keeps the error small).
        method: Box<str>,
        /// The request path (below the service base).
        path: Box<str>,
        /// The HTTP status.
        status: u16,
        /// The service's error code (`Exists`, `ALREADY_ACTIVE`, …), when it gave one.
        code: Option<Box<str>>,
        /// The service's message.
        message: Box<str>,
        /// The `Retry-After` the service asked for.
        retry_after: Option<Duration>,
        /// Whether the API says its code is final: never retried.
        final_code: bool,
        /// Whether it came from the token issuer: a refusal there is about the credentials.
        credentials: bool,
    },
    /// The request could not be completed (connection refused, reset, timed out).
    #[error("{method} {path}: {message}")]
    Transport {
        /// The service called.
        service: ServiceId,
        /// The HTTP method.
        method: String,
        /// The request path.
        path: String,
        /// What happened.
        message: String,
    },
    /// A host never reached in this run refused the connection or did not resolve.
    #[error("cannot connect to {host} ({service}): {message}")]
    Unreachable {
        /// The service called.
        service: ServiceId,
        /// The host (and port) that could not be reached.
        host: String,
        /// How the connection failed.
        message: String,
    },
    /// A create failed in a way that may have reached the service: re-read before resending.
    #[error("{cause} (the create may have been applied)")]
    MaybeApplied {
        /// The failure.
        cause: Box<HttpError>,
    },
    /// A credential could not be obtained or was refused.
    #[error("credentials for {service}: {message}")]
    Credentials {
        /// The service whose token failed.
        service: ServiceId,
        /// What Auth said.
        message: String,
    },
    /// A success body did not decode.
    #[error("{method} {path}: unexpected response body: {message}")]
    Decode {
        /// The service called.
        service: ServiceId,
        /// The HTTP method.
        method: String,
        /// The request path.
        path: String,
        /// The decode error.
        message: String,
    },
    /// The configuration is unusable (a malformed base URL).
    #[error("configuration: {0}")]
    Config(String),
}

impl HttpError {
    /// The HTTP status of a service error (looking through `MaybeApplied`).
    pub fn status(&self) -> Option<u16> {
        match self {
            HttpError::Status { status, .. } => Some(*status),
            HttpError::MaybeApplied { cause } => cause.status(),
            _ => None,
        }
    }

    /// The service error code, if any (looking through `MaybeApplied`).
    pub fn code(&self) -> Option<&str> {
        match self {
            HttpError::Status { code, .. } => code.as_deref(),
            HttpError::MaybeApplied { cause } => cause.code(),
            _ => None,
        }
    }

    /// The service the failure came from, when known.
    pub fn service(&self) -> Option<ServiceId> {
        match self {
            HttpError::Status { service, .. }
            | HttpError::Transport { service, .. }
            | HttpError::Unreachable { service, .. }
            | HttpError::Credentials { service, .. }
            | HttpError::Decode { service, .. } => Some(*service),
            HttpError::MaybeApplied { cause } => cause.service(),
            HttpError::Untrusted { .. } | HttpError::Config(_) => None,
        }
    }

    /// Whether this is a create that may have been applied.
    pub fn is_maybe_applied(&self) -> bool {
        matches!(self, HttpError::MaybeApplied { .. })
    }

    /// The `Retry-After` the service asked for (looking through `MaybeApplied`).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            HttpError::Status { retry_after, .. } => *retry_after,
            HttpError::MaybeApplied { cause } => cause.retry_after(),
            _ => None,
        }
    }

    /// Whether an idempotent call failing this way is retried.
    pub fn is_retryable(&self) -> bool {
        match self {
            HttpError::Transport { .. } | HttpError::Unreachable { .. } => true,
            HttpError::Status {
                status, final_code, ..
            } => matches!(status, 429 | 500 | 502 | 503 | 504) && !final_code,
            _ => false,
        }
    }
}

impl From<HttpError> for ProviderError {
    fn from(e: HttpError) -> Self {
        match &e {
            HttpError::Credentials { .. } => ProviderError::Credentials(e.to_string()),
            HttpError::Status {
                status: 401 | 403,
                credentials: true,
                ..
            } => ProviderError::Credentials(e.to_string()),
            _ => ProviderError::Service {
                service: e.service().map(ServiceId::name).unwrap_or("http"),
                message: e.to_string(),
            },
        }
    }
}

/// A transport error's message without its URL's query or credentials.
pub(super) fn transport_message(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else if e.is_body() || e.is_decode() {
        "reading the response failed"
    } else {
        "request failed"
    };
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
    let mut detail = String::new();
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    if detail.is_empty() {
        kind.to_string()
    } else {
        format!("{kind}: {detail}")
    }
}

/// A URL for messages: scheme, host, port and path only.
pub(super) fn redact_url(url: &Url) -> String {
    let mut u = url.clone();
    u.set_query(None);
    u.set_fragment(None);
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u.to_string()
}

/// Parses `Retry-After`: delay seconds or an HTTP-date.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// The service error code and message of an error body, in any of the Globus shapes.
pub(super) fn error_code_and_message(body: &Value) -> (Option<String>, String) {
    // An error nested as an object (`{"error": {"code", "detail"}, "debug_id"}`) has one of
    // these shapes itself.
    if let Some(inner) = body.get("error").filter(|e| e.is_object()) {
        return error_code_and_message(inner);
    }
    let s = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
    let first = body
        .get("errors")
        .and_then(Value::as_array)
        .and_then(|a| a.first());
    // The Boss's codes are numbers (`{"status": 404, "code": 4002, "message": …}`).
    let number = |v: Option<&Value>| v.and_then(Value::as_i64).map(|n| n.to_string());
    let code = s(body.get("code"))
        .or_else(|| number(body.get("code")))
        .or_else(|| first.and_then(|f| s(f.get("code"))))
        .or_else(|| s(body.get("error")))
        .filter(|c| !c.is_empty());
    let message = s(body.get("message"))
        .or_else(|| s(body.get("detail")))
        .or_else(|| first.and_then(|f| s(f.get("detail")).or_else(|| s(f.get("title")))))
        .or_else(|| s(body.get("error_description")))
        .or_else(|| {
            body.get("detail")
                .filter(|d| !d.is_null())
                .map(|d| d.to_string())
        })
        .or_else(|| body.as_str().map(str::to_string))
        .unwrap_or_default();
    let mut message: String = message.chars().take(500).collect();
    if message.is_empty() {
        message = "no message".into();
    }
    (code, message)
}
