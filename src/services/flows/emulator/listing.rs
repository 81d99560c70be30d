//! `GET /flows`: the flows the caller holds a role on, filtered by `filter_roles` (singular
//! and plural spellings, comma-joined or repeated) or the deprecated `filter_role`, searched by
//! `filter_fulltext`, ordered by `orderby`, and paged by an opaque marker that carries the
//! whole query (so a marker alone resumes it, and other parameters sent with it are ignored).

use std::cmp::Ordering;

use axum::Extension;
use axum::Json;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::state::FlowRec;
use super::{Problem, Who, document, flow_scope, role_named, state, unprocessable};
use crate::service::emulator::{Caller, Handle};
use crate::services::flows::refusals as refused;
use crate::services::flows::wire::FlowList;

/// A page's size when `limit` is not sent.
pub const DEFAULT_LIMIT: usize = 20;
/// The largest `limit`.
pub const MAX_LIMIT: usize = 100;

/// The fields `orderby` sorts by (`flow_owners` is the SDK docstring's spelling).
const ORDER_FIELDS: [&str; 8] = [
    "id",
    "scope_string",
    "flow_owner",
    "flow_owners",
    "flow_administrators",
    "title",
    "created_at",
    "updated_at",
];

/// A listing's query, whole: what a marker carries.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ListQuery {
    /// Roles (as `user_roles` names them); a flow matches when the caller holds any. Empty:
    /// only flows the caller owns.
    pub roles: Vec<String>,
    /// `filter_fulltext`, lower-cased.
    pub fulltext: Option<String>,
    /// `(field, descending)` keys, in order; ties go by id.
    pub orderby: Vec<(String, bool)>,
    /// Page size.
    pub limit: usize,
    /// Flows already answered.
    pub offset: usize,
}

fn bad(param: &str, msg: String) -> Problem {
    Problem {
        loc: vec![json!("query"), json!(param)],
        msg,
        kind: "value_error",
        refusal: &refused::QUERY,
    }
}

impl ListQuery {
    /// Reads a query string; every problem at `["query", <parameter>]`.
    pub fn parse(raw: &str) -> Result<ListQuery, Vec<Problem>> {
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(raw.as_bytes())
            .into_owned()
            .collect();
        if let Some((_, m)) = pairs.iter().find(|(k, _)| k == "marker") {
            return ListQuery::from_marker(m)
                .ok_or_else(|| vec![bad("marker", format!("Invalid marker: {m:?}"))]);
        }
        let mut q = ListQuery {
            limit: DEFAULT_LIMIT,
            ..ListQuery::default()
        };
        let mut problems = Vec::new();
        for (k, v) in &pairs {
            match k.as_str() {
                "filter_roles" | "filter_role" => {
                    for name in v.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                        match role_named(name) {
                            Some(r) if !q.roles.iter().any(|x| x == r) => q.roles.push(r.into()),
                            Some(_) => {}
                            None => problems.push(bad(k, format!("Unknown role: {name:?}"))),
                        }
                    }
                }
                "filter_fulltext" => q.fulltext = Some(v.to_lowercase()),
                "orderby" => {
                    for key in v.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                        match order_key(key) {
                            Some(o) => q.orderby.push(o),
                            None => problems.push(bad(
                                k,
                                format!(
                                    "Invalid orderby {key:?}: FIELD ASC|DESC over {ORDER_FIELDS:?}"
                                ),
                            )),
                        }
                    }
                }
                "limit" => match v.parse::<usize>() {
                    Ok(n) if (1..=MAX_LIMIT).contains(&n) => q.limit = n,
                    _ => problems.push(bad(
                        k,
                        format!("limit must be an integer from 1 to {MAX_LIMIT}"),
                    )),
                },
                _ => {}
            }
        }
        if problems.is_empty() {
            Ok(q)
        } else {
            Err(problems)
        }
    }

    /// The marker of the page after this one.
    fn marker(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        URL_SAFE_NO_PAD.encode(json)
    }

    fn from_marker(m: &str) -> Option<ListQuery> {
        let bytes = URL_SAFE_NO_PAD.decode(m).ok()?;
        let q: ListQuery = serde_json::from_slice(&bytes).ok()?;
        (1..=MAX_LIMIT).contains(&q.limit).then_some(q)
    }

    /// Whether a flow the caller holds `roles` on (`user_roles` names) is listed.
    fn matches(&self, f: &FlowRec, who: &Who) -> bool {
        let roles = who.roles(f);
        let by_role = if self.roles.is_empty() {
            roles.owner
        } else {
            self.roles.iter().any(|r| roles.holds(r))
        };
        by_role
            && self.fulltext.as_deref().is_none_or(|t| {
                let owner = format!("urn:globus:auth:identity:{}", f.owner);
                [
                    &f.title,
                    &f.subtitle,
                    &f.description,
                    &f.id.to_string(),
                    &owner,
                ]
                .into_iter()
                .chain(f.list("flow_administrators"))
                .any(|s| s.to_lowercase().contains(t))
            })
    }

    /// The order of two flows: each `orderby` key, then the id.
    fn cmp(&self, a: &FlowRec, b: &FlowRec) -> Ordering {
        for (field, desc) in &self.orderby {
            let o = sort_value(a, field).cmp(&sort_value(b, field));
            let o = if *desc { o.reverse() } else { o };
            if o != Ordering::Equal {
                return o;
            }
        }
        a.id.cmp(&b.id)
    }
}

/// `FIELD ASC|DESC` (the direction defaults to ascending).
fn order_key(key: &str) -> Option<(String, bool)> {
    let mut words = key.split_whitespace();
    let field = words.next()?;
    let desc = match words.next().map(str::to_ascii_uppercase).as_deref() {
        None | Some("ASC") => false,
        Some("DESC") => true,
        Some(_) => return None,
    };
    (words.next().is_none() && ORDER_FIELDS.contains(&field)).then(|| (field.to_string(), desc))
}

/// What a flow sorts by for `field`.
fn sort_value(f: &FlowRec, field: &str) -> String {
    match field {
        "id" => f.id.to_string(),
        "scope_string" => flow_scope(f.id),
        "flow_owner" | "flow_owners" => format!("urn:globus:auth:identity:{}", f.owner),
        "flow_administrators" => f.list("flow_administrators").join(","),
        "title" => f.title.clone(),
        "created_at" => f.created_at.clone(),
        _ => f.updated_at.clone(),
    }
}

/// `GET /flows`: one page of the flows the query selects, as the caller may see them.
pub(super) async fn list_flows(
    State(em): State<Handle>,
    Extension(caller): Extension<Caller>,
    RawQuery(raw): RawQuery,
) -> Response {
    let q = match ListQuery::parse(raw.as_deref().unwrap_or("")) {
        Ok(q) => q,
        Err(problems) => return unprocessable(problems),
    };
    let w = em.lock();
    let who = Who::of(&w, caller.identity);
    let mut found: Vec<&FlowRec> = state(&w)
        .flows
        .values()
        .filter(|f| q.matches(f, &who))
        .collect();
    found.sort_by(|a, b| q.cmp(a, b));
    let end = (q.offset + q.limit).min(found.len());
    let page = found.get(q.offset.min(end)..end).unwrap_or_default();
    let has_next_page = end < found.len();
    let marker = has_next_page.then(|| {
        ListQuery {
            offset: end,
            ..q.clone()
        }
        .marker()
    });
    Json(FlowList {
        flows: page
            .iter()
            .map(|f| document(f, &who, w.base_url()))
            .collect(),
        limit: q.limit as u32,
        has_next_page,
        marker,
        ..FlowList::default()
    })
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_filters_take_both_spellings_and_both_forms() {
        let q = ListQuery::parse(
            "filter_roles=flow_viewers%2Crun_monitor&filter_roles=flow_administrator&filter_roles=flow_viewer",
        )
        .unwrap();
        assert_eq!(
            q.roles,
            ["flow_viewer", "flow_run_monitor", "flow_administrator"]
        );
        assert_eq!(
            ListQuery::parse("filter_role=flow_starter").unwrap().roles,
            ["flow_starter"]
        );
        let e = ListQuery::parse("filter_roles=viewer").unwrap_err();
        assert_eq!(e[0].loc, [json!("query"), json!("filter_roles")]);
    }

    #[test]
    fn orderby_reads_keys_and_refuses_others() {
        let q = ListQuery::parse("orderby=title+DESC%2Cupdated_at+asc&orderby=id").unwrap();
        assert_eq!(
            q.orderby,
            [
                ("title".to_string(), true),
                ("updated_at".to_string(), false),
                ("id".to_string(), false)
            ]
        );
        assert!(ListQuery::parse("orderby=colour+ASC").is_err());
        assert!(ListQuery::parse("orderby=title+UP").is_err());
    }

    #[test]
    fn a_marker_carries_the_query_and_overrides_the_rest() {
        let q = ListQuery {
            roles: vec!["flow_owner".into()],
            limit: 2,
            offset: 4,
            ..ListQuery::default()
        };
        let raw = format!("marker={}&limit=50&filter_roles=flow_viewer", q.marker());
        assert_eq!(ListQuery::parse(&raw).unwrap(), q);
        assert!(ListQuery::parse("marker=nonsense").is_err());
        assert!(ListQuery::parse("limit=0").is_err());
        assert!(ListQuery::parse("limit=101").is_err());
        assert_eq!(ListQuery::parse("").unwrap().limit, DEFAULT_LIMIT);
    }
}
