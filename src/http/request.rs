//! One request and one response, and how a request may be retried and authenticates.

use std::fmt;

use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::{HttpError, Secret, ServiceId};

/// How a call may be retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallKind {
    /// Safe to resend (GET, PUT, DELETE, the Groups batch call): retried with backoff.
    Idempotent,
    /// Creates something: never resent; a possibly-applied failure is [`HttpError::MaybeApplied`].
    Create,
}

/// How a request authenticates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthMode {
    /// A client-credentials bearer token for the request's service (the default).
    Bearer,
    /// HTTP Basic with the client id and secret (Auth's OAuth endpoints).
    ClientBasic,
    /// A full `Authorization` header value given by the caller (e.g. the Boss's `Token …`).
    Header(Secret),
    /// No credential.
    None,
}

/// One request: service, method, path below the service base, and what to send.
/// Its `Debug` output leaves out form values (they may hold a token).
#[derive(Clone)]
pub struct HttpRequest {
    /// The service.
    pub service: ServiceId,
    /// The HTTP method.
    pub method: Method,
    /// The path below the service base, starting with `/`.
    pub path: String,
    /// Query parameters.
    pub query: Vec<(String, String)>,
    /// A JSON body.
    pub json: Option<Value>,
    /// A form body (Auth's OAuth endpoints).
    pub form: Option<Vec<(String, String)>>,
    /// How it may be retried.
    pub kind: CallKind,
    /// How it authenticates.
    pub auth: AuthMode,
    /// The scope to ask for instead of the API's own (one with a dependent scope), for a
    /// token of the same resource server cached apart.
    pub scope: Option<String>,
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let form_keys: Option<Vec<&str>> = self
            .form
            .as_ref()
            .map(|f| f.iter().map(|(k, _)| k.as_str()).collect());
        f.debug_struct("HttpRequest")
            .field("service", &self.service)
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &self.query)
            .field("json", &self.json)
            .field("form_keys", &form_keys)
            .field("kind", &self.kind)
            .field("auth", &self.auth)
            .field("scope", &self.scope)
            .finish()
    }
}

impl HttpRequest {
    /// A request with no body, idempotent and bearer-authenticated.
    pub fn new(service: ServiceId, method: Method, path: impl Into<String>) -> Self {
        HttpRequest {
            service,
            method,
            path: path.into(),
            query: Vec::new(),
            json: None,
            form: None,
            kind: CallKind::Idempotent,
            auth: AuthMode::Bearer,
            scope: None,
        }
    }

    /// A `GET`.
    pub fn get(service: ServiceId, path: impl Into<String>) -> Self {
        Self::new(service, Method::GET, path)
    }

    /// A `POST`.
    pub fn post(service: ServiceId, path: impl Into<String>) -> Self {
        Self::new(service, Method::POST, path)
    }

    /// A `PUT`.
    pub fn put(service: ServiceId, path: impl Into<String>) -> Self {
        Self::new(service, Method::PUT, path)
    }

    /// A `DELETE`.
    pub fn delete(service: ServiceId, path: impl Into<String>) -> Self {
        Self::new(service, Method::DELETE, path)
    }

    /// A `PATCH` (idempotent: it sets fields to given values).
    pub fn patch(service: ServiceId, path: impl Into<String>) -> Self {
        Self::new(service, Method::PATCH, path)
    }

    /// Adds a query parameter.
    pub fn query(mut self, key: &str, value: impl Into<String>) -> Self {
        self.query.push((key.to_string(), value.into()));
        self
    }

    /// Sets a JSON body from any serializable value.
    pub fn json(mut self, body: &impl serde::Serialize) -> Self {
        self.json = Some(serde_json::to_value(body).unwrap_or(Value::Null));
        self
    }

    /// Sets a form body.
    pub fn form(mut self, fields: &[(&str, &str)]) -> Self {
        self.form = Some(
            fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        );
        self
    }

    /// Sets the call kind.
    pub fn kind(mut self, kind: CallKind) -> Self {
        self.kind = kind;
        self
    }

    /// Marks the call as a create (never resent).
    pub fn create(self) -> Self {
        self.kind(CallKind::Create)
    }

    /// Sets how the request authenticates.
    pub fn auth(mut self, auth: AuthMode) -> Self {
        self.auth = auth;
        self
    }

    /// Asks for a token with this scope instead of the API's own (a dependent scope, such as
    /// a collection's `data_access`), for the same resource server.
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }
}

/// A successful response: status and JSON body (`null` when empty).
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// The service.
    pub service: ServiceId,
    /// The HTTP method.
    pub method: String,
    /// The request path.
    pub path: String,
    /// The HTTP status (2xx).
    pub status: u16,
    /// The decoded body.
    pub body: Value,
}

impl HttpResponse {
    /// Decodes the body into a wire type.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, HttpError> {
        T::deserialize(&self.body).map_err(|e| HttpError::Decode {
            service: self.service,
            method: self.method.clone(),
            path: self.path.clone(),
            message: e.to_string(),
        })
    }
}
