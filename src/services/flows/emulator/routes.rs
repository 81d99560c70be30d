//! A flow's routes: `GET /flows/{id}`, the partial `PUT /flows/{id}` and `DELETE /flows/{id}`,
//! with the rights of `docs/emulator.md` (404 to whoever cannot see the flow, 403 to a caller
//! who sees it but neither administers nor owns it).

use axum::Extension;
use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use uuid::Uuid;

use super::listing::list_flows;
use super::state::{dedup, flow_time};
use super::{
    Problem, Who, accepts, document, flow_id, forbidden, not_found, state, state_mut, unprocessable,
};
use crate::service::emulator::{Caller, Handle, World};
use crate::services::flows::refusals as refused;
use crate::services::flows::wire::ROLE_LISTS;

/// Flows' routes, relative to `/flows`.
pub(super) fn routes() -> Router<Handle> {
    Router::new().route("/flows", get(list_flows)).route(
        "/flows/{flow_id}",
        get(get_flow).put(update_flow).delete(delete_flow),
    )
}

/// `GET /flows/{id}`: the document, as the caller may see it.
async fn get_flow(
    State(em): State<Handle>,
    Extension(caller): Extension<Caller>,
    Path(raw): Path<String>,
) -> Response {
    let id = match flow_id(&raw) {
        Ok(id) => id,
        Err(resp) => return resp,
    };
    let w = em.lock();
    let who = Who::of(&w, caller.identity);
    match state(&w).flows.get(&id) {
        Some(f) if who.roles(f).viewer => Json(document(f, &who, w.base_url())).into_response(),
        _ => not_found(&raw),
    }
}

/// The name a role list has in Flows' validation messages, and the principal types it takes.
fn role_title(list: &str) -> (&'static str, &'static str) {
    match list {
        "flow_administrators" => ("FlowAdministrator", "[<AuthGroupUrn>, <AuthIdentityUrn>]"),
        "flow_starters" => (
            "FlowStarter",
            "[<AllAuthenticatedUsers>, <AuthGroupUrn>, <AuthIdentityUrn>]",
        ),
        "flow_viewers" => (
            "FlowViewer",
            "[<AuthGroupUrn>, <AuthIdentityUrn>, <Public>]",
        ),
        "run_managers" => ("RunManager", "[<AuthGroupUrn>, <AuthIdentityUrn>]"),
        _ => ("RunMonitor", "[<AuthGroupUrn>, <AuthIdentityUrn>]"),
    }
}

fn malformed(loc: Vec<Value>, msg: &str, kind: &'static str) -> Problem {
    Problem {
        loc,
        msg: msg.into(),
        kind,
        refusal: &refused::MALFORMED,
    }
}

/// A role list as sent: every entry its list accepts, or the problems, each at its index.
fn role_list(list: &str, v: &Value, problems: &mut Vec<Problem>) -> Option<Vec<String>> {
    let Value::Array(items) = v else {
        problems.push(malformed(
            vec![json!(list)],
            "value is not a valid list",
            "type_error.list",
        ));
        return None;
    };
    let before = problems.len();
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match item.as_str() {
            Some(s) if accepts(list, s) => out.push(s.to_string()),
            Some(s) => {
                let (role, allowed) = role_title(list);
                problems.push(Problem {
                    loc: vec![json!(list), json!(i)],
                    msg: format!(
                        "Unrecognized principal string: \"{s}\". Allowed principal types in role \"{role}\": {allowed}"
                    ),
                    kind: "value_error",
                    refusal: &refused::PRINCIPAL,
                });
            }
            None => problems.push(malformed(
                vec![json!(list), json!(i)],
                "str type expected",
                "type_error.str",
            )),
        }
    }
    (problems.len() == before).then(|| dedup(out))
}

/// The flow `raw` names and the caller, when the caller administers it: a flow it cannot
/// see does not exist for it (404), and one it only sees refuses `op` (403).
fn administered(w: &World, caller: Caller, raw: &str, op: &str) -> Result<(Uuid, Who), Response> {
    let id = flow_id(raw)?;
    let who = Who::of(w, caller.identity);
    let roles = match state(w).flows.get(&id) {
        Some(f) => who.roles(f),
        None => return Err(not_found(raw)),
    };
    if !roles.viewer {
        return Err(not_found(raw));
    }
    if !roles.administers() {
        return Err(forbidden(id, op));
    }
    Ok((id, who))
}

/// `PUT /flows/{id}`: partial. Only the role lists (and metadata fields) sent change, each
/// replaced whole; every entry is checked before anything changes; `updated_at` moves.
async fn update_flow(
    State(em): State<Handle>,
    Extension(caller): Extension<Caller>,
    Path(raw): Path<String>,
    body: Bytes,
) -> Response {
    let mut w = em.lock();
    let (id, who) = match administered(&w, caller, &raw, "update") {
        Ok(found) => found,
        Err(resp) => return resp,
    };
    let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(&body) else {
        return unprocessable(vec![malformed(
            vec![json!("body")],
            "value is not a valid dict",
            "type_error.dict",
        )]);
    };
    let mut problems = Vec::new();
    let mut lists = Vec::new();
    for list in ROLE_LISTS {
        if let Some(v) = body.get(list)
            && let Some(entries) = role_list(list, v, &mut problems)
        {
            lists.push((list, entries));
        }
    }
    let text = |key: &str, problems: &mut Vec<Problem>| match body.get(key) {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            problems.push(malformed(
                vec![json!(key)],
                "str type expected",
                "type_error.str",
            ));
            None
        }
    };
    let title = text("title", &mut problems);
    let subtitle = text("subtitle", &mut problems);
    let description = text("description", &mut problems);
    let owner = text("flow_owner", &mut problems);
    if owner.as_deref().is_some_and(|o| o != who.urn()) {
        problems.push(Problem {
            loc: vec![json!("flow_owner")],
            msg: "flow_owner must be the calling user's Globus Auth identity URN".into(),
            kind: "value_error",
            refusal: &refused::OWNER,
        });
    }
    let keywords = match body.get("keywords") {
        None => None,
        Some(Value::Array(k)) if k.iter().all(Value::is_string) => Some(
            k.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect::<Vec<_>>(),
        ),
        Some(_) => {
            problems.push(malformed(
                vec![json!("keywords")],
                "value is not a valid list of strings",
                "type_error.list",
            ));
            None
        }
    };
    if !problems.is_empty() {
        return unprocessable(problems);
    }
    let now = flow_time(w.now());
    let base = w.base_url().map(str::to_string);
    let f = state_mut(&mut w)
        .flows
        .get_mut(&id)
        .expect("the flow was found above, under the same lock");
    for (list, entries) in lists {
        f.roles.insert(list.to_string(), entries);
    }
    if let Some(t) = title {
        f.title = t;
    }
    if let Some(t) = subtitle {
        f.subtitle = t;
    }
    if let Some(t) = description {
        f.description = t;
    }
    if let Some(k) = keywords {
        f.keywords = k;
    }
    for key in ["definition", "input_schema"] {
        if let Some(v @ Value::Object(_)) = body.get(key) {
            if key == "definition" {
                f.definition = v.clone();
            } else {
                f.input_schema = v.clone();
            }
        }
    }
    if owner.is_some() {
        // A takeover: the caller (an administrator) becomes the owner. The previous owner
        // keeps only what the role lists give them.
        f.owner = who.identity;
    }
    f.updated_at = now;
    let f = f.clone();
    Json(document(&f, &who, base.as_deref())).into_response()
}

/// `DELETE /flows/{id}`: administrators and the owner; answers the document with `DELETED`.
async fn delete_flow(
    State(em): State<Handle>,
    Extension(caller): Extension<Caller>,
    Path(raw): Path<String>,
) -> Response {
    let mut w = em.lock();
    let (id, who) = match administered(&w, caller, &raw, "delete") {
        Ok(found) => found,
        Err(resp) => return resp,
    };
    let now = flow_time(w.now());
    let base = w.base_url().map(str::to_string);
    let Some(f) = state_mut(&mut w).flows.remove(&id) else {
        return not_found(&raw);
    };
    let mut doc = document(&f, &who, base.as_deref());
    doc.extra.insert("DELETED".into(), json!(true));
    doc.extra.insert("deleted_at".into(), json!(now));
    Json(doc).into_response()
}
