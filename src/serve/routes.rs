//! The HTTP routes of the Action Provider interface, in both styles the toolkit registers
//! (reference B1): `/run`, `/{id}/status`, `/{id}/cancel`, `/{id}/release`, `/{id}/log`, and
//! `/actions`, `/actions/{id}` (GET status, DELETE release), `/actions/{id}/cancel`,
//! `/actions/{id}/log`, `GET /actions` (enumerate); `GET /` introspects.
//!
//! Every route but a public introspection checks the token first, so a request without a
//! good token gets 401 even for an unknown action.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::Utc;
use serde_json::{Value, json};

use super::App;
use super::auth::Caller;
use super::error::ApError;
use super::model::{ActionRequest, ActionStatus, StatusValue, display, iso_time};
use super::runner::Cancelled;
use super::store::{Inserted, Phase, StoredAction};

/// The largest request body read (a run's ActionRequest); a larger one is answered 413.
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// The router of one provider.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(introspect).options(preflight))
        .route("/run", post(run))
        .route("/actions", post(run).get(enumerate))
        .route("/actions/{id}", get(status).delete(release))
        .route("/actions/{id}/cancel", post(cancel))
        .route("/actions/{id}/log", get(log))
        .route("/{id}/status", get(status))
        .route("/{id}/cancel", post(cancel))
        .route("/{id}/release", post(release))
        .route("/{id}/log", get(log))
        .fallback(no_route)
        .method_not_allowed_fallback(wrong_method)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(app)
}

type Answer = Result<Response, ApError>;

fn json_response(status: StatusCode, body: &impl serde::Serialize) -> Response {
    (status, axum::Json(body)).into_response()
}

async fn no_route(uri: axum::http::Uri) -> ApError {
    ApError::NoRoute(format!(
        "no route {}: see GET / for this action provider",
        uri.path()
    ))
}

async fn wrong_method(method: axum::http::Method, uri: axum::http::Uri) -> ApError {
    ApError::MethodNotAllowed(format!("{method} is not allowed on {}", uri.path()))
}

fn cors(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    r
}

async fn preflight() -> Response {
    let mut r = StatusCode::NO_CONTENT.into_response();
    let h = r.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, OPTIONS"),
    );
    h.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("*"),
    );
    cors(r)
}

async fn introspect(State(app): State<Arc<App>>, headers: HeaderMap) -> Answer {
    let visible_to = &app.config.visible_to;
    if !visible_to.iter().any(|p| p == "public") {
        let caller = app.auth.authenticate(&headers).await?;
        if !app.auth.allowed(&caller, visible_to, false).await {
            return Err(ApError::Unauthorized(format!(
                "{} is not in visible_to of this action provider",
                caller.who()
            )));
        }
    }
    Ok(cors(json_response(StatusCode::OK, &app.description)))
}

/// Whether the caller may see (`manage` false) or manage an action: its creator, a principal
/// of its `monitor_by` (or `manage_by`), or an administrator of the provider.
async fn authorize(
    app: &App,
    caller: &Caller,
    a: &StoredAction,
    manage: bool,
) -> Result<(), ApError> {
    let s = &a.status;
    let mut list: Vec<String> = vec![s.creator_id.clone()];
    list.extend(
        if manage { &s.manage_by } else { &s.monitor_by }
            .iter()
            .cloned(),
    );
    list.extend(app.config.administered_by.iter().cloned());
    if app.auth.allowed(caller, &list, false).await {
        return Ok(());
    }
    let (verb, field) = if manage {
        ("manage", "manage_by")
    } else {
        ("view", "monitor_by")
    };
    Err(ApError::Unauthorized(format!(
        "{} may not {verb} action {}: not its creator, not in its {field}, not an administrator of this action provider",
        caller.who(),
        s.action_id
    )))
}

/// The caller, if its token is good and it is in `runnable_by` (run and enumerate need that).
async fn runner_of(app: &App, headers: &HeaderMap) -> Result<Caller, ApError> {
    let caller = app.auth.authenticate(headers).await?;
    if !app
        .auth
        .allowed(&caller, &app.config.runnable_by, false)
        .await
    {
        return Err(ApError::Unauthorized(format!(
            "{} is not in runnable_by of this action provider",
            caller.who()
        )));
    }
    Ok(caller)
}

fn not_found(id: &str) -> ApError {
    ApError::NotFound(format!("No Action with id {id}"))
}

/// The action `id`, if the caller may see (or manage) it.
async fn find(app: &App, caller: &Caller, id: &str, manage: bool) -> Result<StoredAction, ApError> {
    let a = app.store.get(id)?.ok_or_else(|| not_found(id))?;
    authorize(app, caller, &a, manage).await?;
    Ok(a)
}

async fn run(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Answer {
    let caller = runner_of(&app, &headers).await?;
    let body = body.map_err(|e| match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApError::TooLarge(format!(
            "the request body is over the limit of {MAX_BODY_BYTES} bytes"
        )),
        _ => ApError::BadRequest(format!("the request body could not be read: {e}")),
    })?;
    // Parsed whatever the Content-Type says, as the toolkit does.
    let doc: Value = serde_json::from_slice(&body)
        .map_err(|e| ApError::BadRequest(format!("Invalid JSON: {e}")))?;
    let req = ActionRequest::parse(&doc)?;
    if let Err(e) = app.runner.workspace_root(&req.input.workspace) {
        let served = app.runner.workspace_names();
        return Err(ApError::Validation(format!(
            "Field 'body.workspace': {}; served: {}",
            super::workspaces::why_not(&req.input.workspace, &e),
            if served.is_empty() {
                "none".to_string()
            } else {
                served.join(", ")
            }
        )));
    }
    let now = Utc::now();
    if let Some(deadline) = req.deadline {
        let max = app.max_deadline.to_chrono();
        if deadline <= now {
            return Err(ApError::Validation(format!(
                "Field 'deadline': {} has already passed",
                iso_time(deadline)
            )));
        }
        if deadline > now + max {
            return Err(ApError::Validation(format!(
                "Field 'deadline': {} is later than this provider's maximum_deadline ({}) allows",
                iso_time(deadline),
                app.config.maximum_deadline
            )));
        }
    }
    // Like the toolkit's examples: unset monitor_by and manage_by are the caller's identities.
    let identities: Vec<String> = caller.identities.iter().cloned().collect();
    let or_me = |v: &Vec<String>| {
        if v.is_empty() {
            identities.clone()
        } else {
            v.clone()
        }
    };
    let release_after = req.release_after.unwrap_or(app.release_after);
    let action = StoredAction {
        status: ActionStatus {
            action_id: uuid::Uuid::new_v4().to_string(),
            completion_time: None,
            creator_id: caller.identity.clone(),
            details: json!({
                "operation": req.input.operation,
                "workspace": req.input.workspace,
            }),
            display_status: Some(display(format!(
                "Queued: {} of {}",
                req.input.operation.as_str(),
                req.input.workspace
            ))),
            label: req.label.clone(),
            manage_by: or_me(&req.manage_by),
            monitor_by: or_me(&req.monitor_by),
            release_after: release_after.to_string(),
            start_time: iso_time(now),
            status: StatusValue::Active,
        },
        request_id: req.request_id.clone(),
        fingerprint: req.fingerprint.clone(),
        input: req.input.clone(),
        phase: Phase::Queued,
        deadline: req.deadline.map(iso_time),
        release_after_ms: release_after.millis(),
        cancel_requested_by: None,
    };
    let stored = action.clone();
    let requested = format!(
        "{} of {} requested by {}",
        action.input.operation.as_str(),
        action.input.workspace,
        caller.who()
    );
    let inserted = app
        .store
        .write(move |s| s.insert(&stored, ("ActionRequested", &requested)))
        .await?;
    match inserted {
        Inserted::New => {
            app.runner.start(&action);
            Ok(json_response(StatusCode::ACCEPTED, &action.status))
        }
        Inserted::Existing(found) if found.fingerprint == req.fingerprint => {
            // The spec's idempotent replay: the existing action, 200, nothing started.
            Ok(json_response(StatusCode::OK, &found.status))
        }
        Inserted::Existing(found) => Err(ApError::Conflict(format!(
            "Request with id {} already present with different parameters (action {})",
            req.request_id, found.status.action_id
        ))),
    }
}

async fn status(State(app): State<Arc<App>>, headers: HeaderMap, Path(id): Path<String>) -> Answer {
    let caller = app.auth.authenticate(&headers).await?;
    let a = find(&app, &caller, &id, false).await?;
    Ok(json_response(StatusCode::OK, &a.status))
}

async fn cancel(State(app): State<Arc<App>>, headers: HeaderMap, Path(id): Path<String>) -> Answer {
    let caller = app.auth.authenticate(&headers).await?;
    let a = find(&app, &caller, &id, true).await?;
    if a.status.status.is_final() {
        return Err(ApError::Conflict(format!(
            "Cannot cancel complete action: action {id} already {}",
            a.status.status.as_str()
        )));
    }
    let outcome = app.runner.cancel(&id, &caller.who()).await?;
    let now = app.store.get(&id)?.ok_or_else(|| not_found(&id))?;
    let mut status = now.status;
    if outcome == Cancelled::Stopping && status.status == StatusValue::Active {
        status.display_status = Some(display(format!(
            "Cancelling: {} asked; no further change is sent",
            caller.who()
        )));
    }
    Ok(json_response(StatusCode::OK, &status))
}

async fn release(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Answer {
    let caller = app.auth.authenticate(&headers).await?;
    let a = find(&app, &caller, &id, true).await?;
    if !a.status.status.is_final() {
        return Err(ApError::Conflict(format!(
            "Cannot release incomplete Action: action {id} is {}; cancel it or wait until it ends",
            a.status.status.as_str()
        )));
    }
    let key = id.clone();
    if !app.store.write(move |s| s.delete(&key)).await? {
        return Err(not_found(&id));
    }
    Ok(json_response(StatusCode::OK, &a.status))
}

/// Values of a query parameter, repeated or comma-separated.
fn query_values(raw: &Option<String>, key: &str) -> Vec<String> {
    let Some(raw) = raw else { return Vec::new() };
    url::form_urlencoded::parse(raw.as_bytes())
        .filter(|(k, _)| k == key)
        .flat_map(|(_, v)| {
            v.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
        })
        .collect()
}

async fn log(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Answer {
    let caller = app.auth.authenticate(&headers).await?;
    find(&app, &caller, &id, false).await?;
    let limit = match query_values(&query, "limit").first() {
        None => 100,
        Some(v) => match v.parse::<usize>() {
            Ok(n) if (1..=1000).contains(&n) => n,
            _ => {
                return Err(ApError::Validation(format!(
                    "Field 'limit': `{v}` is not a number from 1 to 1000"
                )));
            }
        },
    };
    let after = match query_values(&query, "marker").first() {
        None => 0,
        Some(v) => v.parse::<i64>().map_err(|_| {
            ApError::Validation(format!(
                "Field 'marker': `{v}` is not a marker this provider gave"
            ))
        })?,
    };
    let (entries, more) = app.store.logs(&id, after, limit)?;
    let marker = if more {
        entries.last().map(|e| e.seq.to_string())
    } else {
        None
    };
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "limit": limit,
            "has_next_page": more,
            "marker": marker,
            "entries": entries,
        }),
    ))
}

async fn enumerate(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Answer {
    let caller = runner_of(&app, &headers).await?;
    // As the toolkit: unknown values are dropped; nothing left means the default.
    let mut statuses: BTreeSet<StatusValue> = query_values(&query, "status")
        .iter()
        .filter_map(|s| StatusValue::parse(s))
        .collect();
    if statuses.is_empty() {
        statuses.insert(StatusValue::Active);
    }
    let mut roles: BTreeSet<String> = query_values(&query, "roles")
        .into_iter()
        .map(|r| r.to_ascii_lowercase())
        .filter(|r| matches!(r.as_str(), "creator_id" | "monitor_by" | "manage_by"))
        .collect();
    if roles.is_empty() {
        roles.insert("creator_id".into());
    }
    let statuses: Vec<StatusValue> = statuses.into_iter().collect();
    let mut out = Vec::new();
    for a in app.store.list(&statuses)? {
        let s = &a.status;
        let mut mine = roles.contains("creator_id") && caller.identities.contains(&s.creator_id);
        if !mine && roles.contains("monitor_by") {
            mine = app.auth.allowed(&caller, &s.monitor_by, false).await;
        }
        if !mine && roles.contains("manage_by") {
            mine = app.auth.allowed(&caller, &s.manage_by, false).await;
        }
        if mine {
            out.push(a.status);
        }
    }
    Ok(json_response(StatusCode::OK, &out))
}
