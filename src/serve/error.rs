//! The Action Provider's error answers: `{"code": "<name>", "description": "<why>"}` with the
//! status codes of globus-action-provider-tools (reference B5).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// An error answered to a caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApError {
    /// 401 `UnauthorizedRequest`: every authentication and authorization failure.
    #[error("{0}")]
    Unauthorized(String),
    /// 404 `ActionNotFound`: an unknown or released action.
    #[error("{0}")]
    NotFound(String),
    /// 404 `NotFound`: no such route.
    #[error("{0}")]
    NoRoute(String),
    /// 405 `MethodNotAllowed`.
    #[error("{0}")]
    MethodNotAllowed(String),
    /// 409 `ActionConflict`: cancel of a finished action, release of an unfinished one, a
    /// reused `request_id` with different parameters.
    #[error("{0}")]
    Conflict(String),
    /// 422 `RequestValidationError`: the request or its `body` fails its schema.
    #[error("{0}")]
    Validation(String),
    /// 400 `BadActionRequest`: the body is not JSON.
    #[error("{0}")]
    BadRequest(String),
    /// 413 `RequestEntityTooLarge`: the body is over the limit.
    #[error("{0}")]
    TooLarge(String),
    /// 503 `ServiceUnavailable`: Globus Auth could not be reached to check a token.
    #[error("{0}")]
    Unavailable(String),
    /// 500 `ActionProviderError`: something unexpected (the description names no secret).
    #[error("{0}")]
    Internal(String),
}

impl ApError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            ApError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApError::NotFound(_) | ApError::NoRoute(_) => StatusCode::NOT_FOUND,
            ApError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApError::Conflict(_) => StatusCode::CONFLICT,
            ApError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The `code` of the error body.
    pub fn code(&self) -> &'static str {
        match self {
            ApError::Unauthorized(_) => "UnauthorizedRequest",
            ApError::NotFound(_) => "ActionNotFound",
            ApError::NoRoute(_) => "NotFound",
            ApError::MethodNotAllowed(_) => "MethodNotAllowed",
            ApError::Conflict(_) => "ActionConflict",
            ApError::Validation(_) => "RequestValidationError",
            ApError::BadRequest(_) => "BadActionRequest",
            // Werkzeug's name for it, as the toolkit's error bodies name the exception.
            ApError::TooLarge(_) => "RequestEntityTooLarge",
            ApError::Unavailable(_) => "ServiceUnavailable",
            ApError::Internal(_) => "ActionProviderError",
        }
    }

    /// The JSON body.
    pub fn body(&self) -> serde_json::Value {
        serde_json::json!({ "code": self.code(), "description": self.to_string() })
    }
}

impl IntoResponse for ApError {
    fn into_response(self) -> Response {
        if let ApError::Internal(detail) = &self {
            tracing::error!("internal error: {detail}");
        }
        (self.status(), Json(self.body())).into_response()
    }
}
