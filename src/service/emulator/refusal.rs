//! Every way the emulator refuses a request, each under a stable id a test can list.
//!
//! Each service declares its refusals with [`refusals!`](crate::refusals) (in
//! `src/services/<service>/refusals.rs`) and lists them in its
//! [`EmulatedService::refusals`](super::EmulatedService::refusals); every place that refuses
//! names one: the answer carries it in the [`HEADER`] header and the request log keeps it.
//! `docs/refusals.md` says, for each id, whether `validate` or `plan` catches it first or why
//! only apply can.

use axum::http::{HeaderName, HeaderValue};
use axum::response::Response;

/// The response header naming the refusals an answer carries (comma-separated ids).
pub const HEADER: &str = "x-emulator-refusal";

/// One kind of refusal: what the service refuses and how it answers.
#[derive(Debug, PartialEq, Eq)]
pub struct Refusal {
    /// Stable id, `<service>.<object>.<reason>`.
    pub id: &'static str,
    /// The HTTP status answered (200 for refusals inside a successful answer, such as a
    /// Groups batch's per-identity errors or a Search task that ends `FAILED`).
    pub status: u16,
    /// The service's error code (`code`, `error`, or the per-item `code`).
    pub code: &'static str,
    /// What is refused, in a few words.
    pub what: &'static str,
}

impl Refusal {
    /// The HTTP status as a `StatusCode`.
    pub fn status_code(&self) -> axum::http::StatusCode {
        axum::http::StatusCode::from_u16(self.status).unwrap_or(axum::http::StatusCode::BAD_REQUEST)
    }
}

/// Declares a service's refusals as statics, and `ALL`, the list of them in order.
#[macro_export]
macro_rules! refusals {
    ($( $(#[$doc:meta])* $name:ident = ($id:literal, $status:literal, $code:literal, $what:literal); )*) => {
        $( $(#[$doc])* pub static $name: $crate::service::emulator::Refusal =
            $crate::service::emulator::Refusal { id: $id, status: $status, code: $code, what: $what }; )*
        /// Every refusal of this service, in declaration order.
        pub static ALL: &[&$crate::service::emulator::Refusal] = &[$(&$name),*];
    };
}

/// Adds `refusals` to a response's [`HEADER`] (after any it already names).
pub fn tag(mut resp: Response, refusals: &[&Refusal]) -> Response {
    if refusals.is_empty() {
        return resp;
    }
    let name = HeaderName::from_static(HEADER);
    let mut ids: Vec<&str> = resp
        .headers()
        .get(&name)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(',').collect())
        .unwrap_or_default();
    for r in refusals {
        if !ids.contains(&r.id) {
            ids.push(r.id);
        }
    }
    if let Ok(v) = HeaderValue::from_str(&ids.join(",")) {
        resp.headers_mut().insert(name, v);
    }
    resp
}

/// The refusal ids a response carries.
pub fn of(resp: &Response) -> Vec<String> {
    resp.headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(',').map(str::to_string).collect())
        .unwrap_or_default()
}
