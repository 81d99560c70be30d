//! Error answers in each service's real body shape.

use std::sync::atomic::{AtomicU64, Ordering};

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::refusal::{self, Refusal};
use super::store::short_id;
use crate::services::auth::wire::{AuthError, AuthErrorItem};
use crate::services::boss::wire::{BossError, DrfDetail};
use crate::services::gcs::wire::{GcsResult, RESULT_DATA_TYPE};
use crate::services::groups::wire::GroupsError;
use crate::services::search::wire::SearchError;
use crate::services::transfer::wire::TransferError;

/// The emulated services, as named in fault rules and rate limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Service {
    /// Globus Auth (`/auth`).
    Auth,
    /// Globus Groups (`/groups`).
    Groups,
    /// Globus Transfer (`/transfer`).
    Transfer,
    /// The GCS Manager API of each GCS endpoint (`/gcs/{endpoint_id}/api`).
    Gcs,
    /// The Boss API v1 (`/boss`).
    Boss,
    /// Globus Search v1 (`/search`).
    Search,
}

impl Service {
    /// The service a full request path belongs to, with the service-relative rest.
    pub fn of_path(path: &str) -> Option<(Service, &str)> {
        for (prefix, svc) in [
            ("/auth", Service::Auth),
            ("/groups", Service::Groups),
            ("/transfer", Service::Transfer),
            ("/gcs", Service::Gcs),
            ("/boss", Service::Boss),
            ("/search", Service::Search),
        ] {
            if let Some(rest) = path.strip_prefix(prefix)
                && (rest.is_empty() || rest.starts_with('/'))
            {
                return Some((svc, rest));
            }
        }
        None
    }
}

static REQUEST_SEQ: AtomicU64 = AtomicU64::new(0);

/// A short request id, like Transfer's `BHI2BHt8N`.
pub fn request_id() -> String {
    short_id(&format!(
        "request:{}",
        REQUEST_SEQ.fetch_add(1, Ordering::Relaxed)
    ))
}

/// An error of one service, rendered in that service's body shape.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// Which service's shape to use.
    pub service: Service,
    /// HTTP status.
    pub status: StatusCode,
    /// The `code` field (Transfer's CamelCase, Groups' and Auth's UPPER_CASE).
    pub code: String,
    /// The message (`message` for Transfer, `detail` for Groups and Auth).
    pub message: String,
    /// Transfer's `resource` (the service-relative path).
    pub resource: String,
    /// `Retry-After` seconds, for 429s.
    pub retry_after: Option<u64>,
    /// Search's `error_data` (validation messages, `{cause, ...}`).
    pub data: Option<serde_json::Value>,
    /// The refusal this answer is (none for injected faults).
    pub refusal: Option<&'static Refusal>,
}

impl ApiError {
    /// An error for `service` with `status`, `code` and `message`.
    pub fn new(
        service: Service,
        status: StatusCode,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        ApiError {
            service,
            status,
            code: code.into(),
            message: message.into(),
            resource: String::new(),
            retry_after: None,
            data: None,
            refusal: None,
        }
    }

    /// `refusal` answered by `service`: its status and code, with `message`.
    pub fn refused(
        service: Service,
        refusal: &'static Refusal,
        message: impl Into<String>,
    ) -> Self {
        ApiError {
            refusal: Some(refusal),
            ..ApiError::new(service, refusal.status_code(), refusal.code, message)
        }
    }

    /// Sets Search's `error_data`.
    pub fn with_data(mut self, data: serde_json::Value) -> Self {
        self.data = Some(data);
        self
    }

    /// Sets Transfer's `resource`.
    pub fn at(mut self, resource: impl Into<String>) -> Self {
        self.resource = resource.into();
        self
    }

    /// Adds a `Retry-After` header.
    pub fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs);
        self
    }

    /// The generic error a fault or rate limit injects for `status` on `service`.
    pub fn injected(service: Service, status: StatusCode, resource: &str) -> Self {
        let (code, message) = match (service, status.as_u16()) {
            (Service::Transfer, 429) => ("RateLimited", "Too many requests; slow down"),
            (Service::Transfer, 500) => ("InternalError", "An internal error occurred"),
            (Service::Transfer, 502) => ("BadGateway", "Bad gateway"),
            (Service::Transfer, 503) => ("ServiceUnavailable", "Service unavailable"),
            (Service::Transfer, 504) => ("GatewayTimeout", "Gateway timeout"),
            (Service::Transfer, _) => ("Error", "Injected error"),
            (Service::Gcs, 429) => ("too_many_requests", "Too many requests; slow down"),
            (Service::Gcs, 500) => ("internal_server_error", "An internal error occurred"),
            (Service::Gcs, 502) => ("bad_gateway", "Bad gateway"),
            (Service::Gcs, 503) => ("service_unavailable", "Service unavailable"),
            (Service::Gcs, 504) => ("gateway_timeout", "Gateway timeout"),
            (Service::Gcs, _) => ("error", "Injected error"),
            // Boss codes: 9002 UNHANDLED_EXCEPTION for server errors, 9001 otherwise.
            (Service::Boss, 500..=599) => ("9002", "Injected error"),
            (Service::Boss, 429) => ("9001", "Too many requests; slow down"),
            (Service::Boss, _) => ("9001", "Injected error"),
            (Service::Search, 429) => ("TooManyRequests", "Too many requests; slow down"),
            (Service::Search, 500) => ("InternalError", "An internal error occurred"),
            (Service::Search, 502) => ("BadGateway", "Bad gateway"),
            (Service::Search, 503) => ("ServiceUnavailable", "Service unavailable"),
            (Service::Search, 504) => ("GatewayTimeout", "Gateway timeout"),
            (Service::Search, _) => ("Error", "Injected error"),
            (_, 429) => ("TOO_MANY_REQUESTS", "Too many requests; slow down"),
            (_, 500) => ("INTERNAL_SERVER_ERROR", "An internal error occurred"),
            (_, 502) => ("BAD_GATEWAY", "Bad gateway"),
            (_, 503) => ("SERVICE_UNAVAILABLE", "Service unavailable"),
            (_, 504) => ("GATEWAY_TIMEOUT", "Gateway timeout"),
            _ => ("ERROR", "Injected error"),
        };
        ApiError::new(service, status, code, message).at(resource)
    }

    /// The 401 a route answers without a valid bearer token (`refusal` is the service's).
    pub fn unauthorized(service: Service, refusal: &'static Refusal, resource: &str) -> Self {
        let message = match service {
            Service::Transfer => "Token is not active",
            Service::Auth => "Call must be authenticated",
            Service::Gcs => "Token is invalid, expired, or not for this endpoint",
            Service::Boss => "Invalid token.",
            Service::Groups | Service::Search => {
                "Token is invalid, expired, or not for this service"
            }
        };
        ApiError::refused(service, refusal, message).at(resource)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = match self.service {
            Service::Transfer => serde_json::to_value(TransferError {
                code: self.code,
                message: self.message,
                request_id: request_id(),
                resource: self.resource,
                ..TransferError::default()
            }),
            Service::Groups => serde_json::to_value(GroupsError {
                code: Some(self.code),
                detail: json!(self.message),
                ..GroupsError::default()
            }),
            Service::Gcs => serde_json::to_value(gcs_error_body(
                self.status,
                &self.code,
                &self.message,
                serde_json::Value::Null,
            )),
            // A `detail` code stands for DRF's authentication body; else the Boss error body.
            Service::Boss if self.code == "detail" => serde_json::to_value(DrfDetail {
                detail: self.message,
                ..DrfDetail::default()
            }),
            Service::Boss => serde_json::to_value(BossError {
                status: self.status.as_u16(),
                code: self.code.parse().unwrap_or(9001),
                message: self.message,
                ..BossError::default()
            }),
            Service::Search => serde_json::to_value(SearchError {
                datatype: Some("GError".into()),
                version: Some(crate::services::search::wire::VERSION_2017.into()),
                code: self.code,
                message: self.message,
                request_id: Some(request_id()),
                status: self.status.as_u16(),
                error_data: self.data,
                ..SearchError::default()
            }),
            Service::Auth => {
                let title = self
                    .status
                    .canonical_reason()
                    .unwrap_or("Error")
                    .to_string();
                serde_json::to_value(AuthError {
                    errors: vec![AuthErrorItem {
                        status: self.status.as_u16().to_string(),
                        id: uuid::Uuid::new_v4().to_string(),
                        code: self.code.clone(),
                        title: title.clone(),
                        detail: self.message,
                        ..AuthErrorItem::default()
                    }],
                    error: Some(self.code.to_lowercase()),
                    error_description: Some(title),
                    ..AuthError::default()
                })
            }
        }
        .unwrap_or_default();
        let mut resp = (self.status, Json(body)).into_response();
        if let Some(r) = self.refusal {
            resp = refusal::tag(resp, &[r]);
        }
        if let Some(secs) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        resp
    }
}

/// The GCS result envelope of an error (`data` empty, `detail` a string, a typed
/// document or null).
pub fn gcs_error_body(
    status: StatusCode,
    code: &str,
    message: &str,
    detail: serde_json::Value,
) -> GcsResult<serde_json::Value> {
    GcsResult {
        data_type: RESULT_DATA_TYPE.into(),
        code: code.into(),
        detail,
        http_response_code: Some(status.as_u16()),
        has_next_page: false,
        marker: None,
        message: Some(message.into()),
        authorization_parameters: None,
        data: Vec::new(),
        extra: Default::default(),
    }
}

/// An RFC 6749 error of the OAuth endpoints (`{"error": "invalid_client"}`): the refusal's
/// code is the `error`.
pub fn oauth_error(refused: &'static Refusal, description: &str) -> Response {
    let body = AuthError {
        error: Some(refused.code.into()),
        error_description: Some(description.into()),
        ..AuthError::default()
    };
    refusal::tag(
        (refused.status_code(), Json(body)).into_response(),
        &[refused],
    )
}
