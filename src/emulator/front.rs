//! The layers around the services' routes: faults, seed rate limits and the request log in
//! front of every route; the bearer-token check a service asks for; and the answer to a path
//! no route serves, in the shape of the service whose prefix it has.

use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::faults::FaultAction;
use super::refusal;
use super::{Emulator, Session};
use crate::service::emulator::{
    ApiError, EmulatedService, ErrorShape, Handle, Seed, TokenCheck, parts,
};

/// The emulated service a full request path belongs to, with the service-relative rest.
fn of_path<'a>(seed: &'a Seed, path: &'a str) -> Option<(&'a dyn EmulatedService, &'a str)> {
    parts(seed.services()).find_map(|p| {
        let rest = path.strip_prefix('/')?.strip_prefix(p.name())?;
        (rest.is_empty() || rest.starts_with('/')).then_some((p, rest))
    })
}

/// The outer layer: faults, seed rate limits and the request log, for service routes only.
pub(super) async fn front(State(em): State<Emulator>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    if path.starts_with("/_emulator") {
        return next.run(req).await;
    }
    let method = req.method().to_string();
    let seed = &em.inner.seed;
    let service = of_path(seed, &path);
    let (latency, action) = match service {
        Some((svc, rest)) => {
            let mut s = em.session();
            let (latency, mut action) = s.faults.decide(svc.name(), &method, rest);
            if action == FaultAction::Pass && over_rate_limit(&mut s, seed, svc.name()) {
                action = FaultAction::Error {
                    status: 429,
                    retry_after: Some(1),
                };
            }
            (latency, action)
        }
        None => (0, FaultAction::Pass),
    };
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    let resp = match (action, service) {
        (
            FaultAction::Error {
                status,
                retry_after,
            },
            Some((svc, rest)),
        ) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            let mut err = ApiError::injected(svc.errors(), status, rest);
            err.retry_after = retry_after;
            err.into_response()
        }
        (FaultAction::Drop, _) => dropped_connection(),
        _ => refused_by_framework(next.run(req).await),
    };
    let status = if action == FaultAction::Drop {
        0
    } else {
        resp.status().as_u16()
    };
    em.session().log.push(super::RecordedRequest {
        method,
        path,
        status,
        refusals: refusal::of(&resp),
    });
    resp
}

/// A 4xx no route named (axum's own: a method the path does not take, a body over the limit,
/// a form that does not parse) is tagged as the HTTP layer's refusal; every route names its own.
fn refused_by_framework(resp: Response) -> Response {
    if resp.status().is_client_error() && refusal::of(&resp).is_empty() {
        refusal::tag(resp, &[&refusal::FRAMEWORK])
    } else {
        resp
    }
}

fn over_rate_limit(s: &mut Session, seed: &Seed, service: &'static str) -> bool {
    let Some(&limit) = seed.rate_limits.get(service) else {
        return false;
    };
    let now = Instant::now();
    let window = s.rate_windows.entry(service).or_insert((now, 0));
    if now.duration_since(window.0) >= Duration::from_secs(1) {
        *window = (now, 0);
    }
    window.1 += 1;
    window.1 > limit
}

/// A response whose body fails at once: hyper then closes the connection without
/// completing the response, which is what a dropped connection looks like to a client.
fn dropped_connection() -> Response {
    let body = Body::from_stream(futures::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::other("connection dropped by fault"))
    }));
    Response::builder()
        .status(StatusCode::OK)
        .body(body)
        .unwrap_or_default()
}

/// A path no route serves: the 404 of the service whose prefix it has, else a plain one.
pub(super) async fn fallback(State(em): State<Emulator>, req: Request) -> Response {
    let path = req.uri().path();
    match of_path(&em.inner.seed, path) {
        Some((svc, rest)) => {
            let shape = svc.errors();
            ApiError {
                refusal: Some(&refusal::NO_ROUTE),
                ..ApiError::new(
                    shape,
                    StatusCode::NOT_FOUND,
                    shape.no_route_code(),
                    format!("No route for {rest}"),
                )
            }
            .at(rest)
            .into_response()
        }
        None => refusal::tag(
            (
                StatusCode::NOT_FOUND,
                axum::Json(
                    serde_json::json!({"code": "NotFound", "message": format!("No route for {path}")}),
                ),
            )
                .into_response(),
            &[&refusal::NO_ROUTE],
        ),
    }
}

/// What the token check of one service needs: the world, the check, and its error shape.
#[derive(Clone)]
pub(super) struct TokenLayer {
    pub(super) handle: Handle,
    pub(super) check: TokenCheck,
    pub(super) shape: &'static dyn ErrorShape,
}

/// Lets a request through with its [`Caller`](crate::service::emulator::Caller) when its
/// bearer token was issued for the service's resource server; else the service's 401.
pub(super) async fn require_token(
    State(layer): State<TokenLayer>,
    mut req: Request,
    next: Next,
) -> Response {
    let caller = layer
        .handle
        .lock()
        .caller(req.headers(), layer.check.resource_server);
    match caller {
        Some(caller) => {
            req.extensions_mut().insert(caller);
            next.run(req).await
        }
        None => ApiError::unauthorized(layer.shape, layer.check.refusal, req.uri().path())
            .into_response(),
    }
}
