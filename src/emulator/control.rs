//! Control routes under `/_emulator`: state dump and reset, what a client connects with,
//! faults, clock, request log.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::Emulator;
use super::faults::FaultBody;
use crate::service::emulator::{fmt_time, parse_time};

pub(super) fn routes() -> Router<Emulator> {
    Router::new()
        .route("/_emulator/state", get(state))
        .route("/_emulator/connection", get(connection))
        .route("/_emulator/reset", post(reset))
        .route(
            "/_emulator/faults",
            get(list_faults).post(add_faults).delete(clear_faults),
        )
        .route("/_emulator/clock", get(get_clock).post(set_clock))
        .route("/_emulator/requests", get(requests).delete(clear_requests))
}

fn bad(msg: impl Into<String>) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"error": "bad_request", "message": msg.into()})),
    )
        .into_response()
}

async fn state(State(em): State<Emulator>) -> Response {
    Json(em.snapshot()).into_response()
}

async fn connection(State(em): State<Emulator>) -> Response {
    Json(em.connection()).into_response()
}

async fn reset(State(em): State<Emulator>) -> Response {
    em.reset();
    Json(em.snapshot()).into_response()
}

fn fault_list(em: &Emulator) -> serde_json::Value {
    json!({ "rules": em.session().faults.list() })
}

async fn list_faults(State(em): State<Emulator>) -> Response {
    Json(fault_list(&em)).into_response()
}

async fn add_faults(State(em): State<Emulator>, bytes: Bytes) -> Response {
    let body: FaultBody = match serde_json::from_slice(&bytes) {
        Ok(b) => b,
        Err(e) => return bad(format!("fault body: {e}")),
    };
    if let Err(e) = em.add_faults(body.into_rules()) {
        return bad(e);
    }
    Json(fault_list(&em)).into_response()
}

async fn clear_faults(State(em): State<Emulator>) -> Response {
    em.clear_faults();
    Json(fault_list(&em)).into_response()
}

/// The body of `POST /_emulator/clock`: an RFC 3339 time, or null for the wall clock.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClockBody {
    now: Option<String>,
}

fn clock_doc(em: &Emulator) -> serde_json::Value {
    let w = em.lock();
    json!({"now": fmt_time(w.now()), "fixed": w.clock().is_some()})
}

async fn get_clock(State(em): State<Emulator>) -> Response {
    Json(clock_doc(&em)).into_response()
}

async fn set_clock(State(em): State<Emulator>, bytes: Bytes) -> Response {
    let body: ClockBody = match serde_json::from_slice(&bytes) {
        Ok(b) => b,
        Err(e) => return bad(format!("clock body: {e}")),
    };
    match body.now {
        None => em.clear_now(),
        Some(s) => match parse_time(&s) {
            Some(t) => em.set_now(t),
            None => return bad(format!("not an RFC 3339 time: {s}")),
        },
    }
    Json(clock_doc(&em)).into_response()
}

async fn requests(State(em): State<Emulator>) -> Response {
    Json(em.request_log()).into_response()
}

async fn clear_requests(State(em): State<Emulator>) -> Response {
    em.clear_request_log();
    Json(json!([])).into_response()
}
