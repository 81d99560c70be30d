//! Error answers: an [`ApiError`] says what went wrong, and the service's [`ErrorShape`] says
//! how its real API writes that down, so the shell can answer in any service's shape (an
//! injected fault, a missing route, a bad token) without knowing the service.

use std::sync::atomic::{AtomicU64, Ordering};

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::refusal::{self, Refusal};
use super::world::short_id;

/// How one service writes its errors.
pub trait ErrorShape: Send + Sync {
    /// The JSON body of an error.
    fn body(&self, e: &ApiError) -> serde_json::Value;

    /// The code and message of the error a fault or rate limit injects with `status`.
    fn injected(&self, status: u16) -> (&'static str, &'static str) {
        match status {
            429 => ("TOO_MANY_REQUESTS", "Too many requests; slow down"),
            500 => ("INTERNAL_SERVER_ERROR", "An internal error occurred"),
            502 => ("BAD_GATEWAY", "Bad gateway"),
            503 => ("SERVICE_UNAVAILABLE", "Service unavailable"),
            504 => ("GATEWAY_TIMEOUT", "Gateway timeout"),
            _ => ("ERROR", "Injected error"),
        }
    }

    /// The message of the 401 for a missing or wrong bearer token.
    fn unauthorized(&self) -> &'static str {
        "Token is invalid, expired, or not for this service"
    }

    /// The code of the 404 for a path no route serves.
    fn no_route_code(&self) -> &'static str {
        "NOT_FOUND"
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
#[derive(Clone)]
pub struct ApiError {
    /// Whose shape to use.
    pub shape: &'static dyn ErrorShape,
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

impl std::fmt::Debug for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiError")
            .field("status", &self.status)
            .field("code", &self.code)
            .field("message", &self.message)
            .field("resource", &self.resource)
            .field("refusal", &self.refusal.map(|r| r.id))
            .finish_non_exhaustive()
    }
}

impl ApiError {
    /// An error in `shape` with `status`, `code` and `message`.
    pub fn new(
        shape: &'static dyn ErrorShape,
        status: StatusCode,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        ApiError {
            shape,
            status,
            code: code.into(),
            message: message.into(),
            resource: String::new(),
            retry_after: None,
            data: None,
            refusal: None,
        }
    }

    /// `refusal` answered in `shape`: its status and code, with `message`.
    pub fn refused(
        shape: &'static dyn ErrorShape,
        refusal: &'static Refusal,
        message: impl Into<String>,
    ) -> Self {
        ApiError {
            refusal: Some(refusal),
            ..ApiError::new(shape, refusal.status_code(), refusal.code, message)
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

    /// The generic error a fault or rate limit injects for `status` in `shape`.
    pub fn injected(shape: &'static dyn ErrorShape, status: StatusCode, resource: &str) -> Self {
        let (code, message) = shape.injected(status.as_u16());
        ApiError::new(shape, status, code, message).at(resource)
    }

    /// The 401 a route answers without a valid bearer token (`refusal` is the service's).
    pub fn unauthorized(
        shape: &'static dyn ErrorShape,
        refusal: &'static Refusal,
        resource: &str,
    ) -> Self {
        ApiError::refused(shape, refusal, shape.unauthorized()).at(resource)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = self.shape.body(&self);
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
