//! Search's subject and query routes, with `visible_to` and `principal_sets` filtering.

use super::*;

pub(super) fn param<'a>(q: &'a [(String, String)], key: &str) -> Option<&'a str> {
    q.iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

pub(super) fn bool_param(q: &[(String, String)], key: &str) -> Result<bool, Response> {
    match param(q, key).map(str::to_ascii_lowercase).as_deref() {
        None | Some("false") | Some("0") | Some("no") => Ok(false),
        Some("true") | Some("1") | Some("yes") => Ok(true),
        Some(_) => {
            let mut p = Problems::default();
            p.add(&refused::QUERY, &[key], "Not a valid boolean.");
            Err(invalid("query", p))
        }
    }
}

/// Which optional parts of an entry an answer carries.
#[derive(Clone, Copy)]
pub(super) struct Shape {
    content: bool,
    /// `visible_to` (index admins and owners only).
    visible_to: bool,
    /// `principal_sets` (index admins and owners only).
    principal_sets: bool,
}

pub(super) fn result_entry(e: &EntryRec, who: &Who, shape: Shape) -> ResultEntry {
    ResultEntry {
        entry_id: e.id.clone(),
        content: shape.content.then(|| e.content.clone()),
        matched_principal_sets: who.matched_sets(e),
        visible_to: shape.visible_to.then(|| e.visible_to.clone()),
        principal_sets: shape
            .principal_sets
            .then(|| serde_json::to_value(e.principal_sets.clone().unwrap_or_default()))
            .and_then(Result::ok),
        extra: Default::default(),
    }
}

pub(super) fn gmeta_result(subject: &str, entries: Vec<ResultEntry>) -> GMetaResult {
    GMetaResult {
        datatype: Some("GMetaResult".into()),
        version: Some(RESULT_VERSION.into()),
        subject: subject.into(),
        entries,
        extra: Default::default(),
    }
}

/// Checks `bypass_visible_to`: only index admins and owners may ask for it.
pub(super) fn check_bypass(
    bypass: bool,
    admin: bool,
    caller: SearchCaller,
    op: &str,
) -> Option<Response> {
    match (bypass, caller.0, admin) {
        (false, _, _) | (true, Some(_), true) => None,
        (true, None, _) => Some(unauthenticated(op)),
        (true, Some(_), false) => Some(forbidden(op)),
    }
}

pub(super) async fn get_subject(
    State(em): State<Handle>,
    Extension(caller): Extension<SearchCaller>,
    Path(raw): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> Response {
    let w = em.lock();
    let st: &World = &w;
    let ix = match index(st, &raw) {
        Ok(ix) => ix,
        Err(r) => return r,
    };
    let Some(subject) = param(&q, "subject") else {
        let mut p = Problems::default();
        p.add(&refused::QUERY, &["subject"], MISSING);
        return invalid("query", p);
    };
    let bypass = match bool_param(&q, "bypass_visible_to") {
        Ok(b) => b,
        Err(r) => return r,
    };
    let who = Who::of(st, caller);
    let admin = Need::Admin.met_by(&who.roles(ix));
    if let Some(r) = check_bypass(bypass, admin, caller, "subject_show") {
        return r;
    }
    // A subject read takes no `fields`: bypassing is how an admin asks for the lists.
    let shape = Shape {
        content: true,
        visible_to: bypass,
        principal_sets: bypass,
    };
    let entries: Vec<ResultEntry> = ix
        .subjects
        .get(subject)
        .into_iter()
        .flatten()
        .filter(|e| bypass || who.sees(&e.visible_to))
        .map(|e| result_entry(e, &who, shape))
        .collect();
    if entries.is_empty() {
        return not_found(
            &refused::SUBJECT_NOT_FOUND,
            format!("No entries visible to you for subject \"{subject}\" in index \"{raw}\""),
        );
    }
    Json(gmeta_result(subject, entries)).into_response()
}

pub(super) async fn delete_subject(
    State(em): State<Handle>,
    Extension(caller): Extension<SearchCaller>,
    Path(raw): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> Response {
    let mut w = em.lock();
    let (index_id, submitter) = match index_for(&w, &raw, caller, Need::Write, "subject_delete") {
        Ok((ix, who)) => (ix.id, who.identity.unwrap_or_default()),
        Err(r) => return r,
    };
    let Some(subject) = param(&q, "subject") else {
        let mut p = Problems::default();
        p.add(&refused::SUBJECT_MISSING, &["subject"], MISSING);
        return invalid("query", p);
    };
    if let Some(ix) = state_mut(&mut w).indexes.get_mut(&index_id) {
        ix.subjects.remove(subject);
    }
    submit(&mut w, index_id, "DELETE_BY_SUBJECT", submitter, None)
}

/// A term of `q`: a needle, maybe restricted to one dotted content field.
pub(super) struct Term {
    field: Option<Vec<String>>,
    needle: String,
}

pub(super) fn parse_terms(q: &str) -> Vec<Term> {
    q.split_whitespace()
        .filter(|t| !matches!(*t, "AND" | "and" | "&&"))
        .filter_map(|raw| {
            let t = raw.trim_matches('"').replace('*', "");
            let (field, needle) = match t.split_once(':') {
                Some((f, v))
                    if !f.is_empty()
                        && f.chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.') =>
                {
                    (
                        Some(f.split('.').map(String::from).collect()),
                        v.trim_matches('"').to_string(),
                    )
                }
                _ => (None, t),
            };
            let needle = needle.to_lowercase();
            (!needle.is_empty() || field.is_some()).then_some(Term { field, needle })
        })
        .collect()
}

/// Whether any scalar inside `v` contains `needle` (case-insensitive).
pub(super) fn value_contains(v: &Value, needle: &str) -> bool {
    match v {
        Value::String(s) => s.to_lowercase().contains(needle),
        Value::Number(n) => n.to_string().contains(needle),
        Value::Bool(b) => b.to_string() == needle,
        Value::Array(items) => items.iter().any(|i| value_contains(i, needle)),
        Value::Object(m) => m.values().any(|i| value_contains(i, needle)),
        Value::Null => false,
    }
}

/// The values at a dotted path (lists are searched through).
pub(super) fn at_path<'a>(v: &'a Value, path: &[String]) -> Vec<&'a Value> {
    let Some((first, rest)) = path.split_first() else {
        return vec![v];
    };
    match v {
        Value::Object(m) => m.get(first).map_or(Vec::new(), |x| at_path(x, rest)),
        Value::Array(items) => items.iter().flat_map(|i| at_path(i, path)).collect(),
        _ => Vec::new(),
    }
}

pub(super) fn entry_matches(terms: &[Term], subject: &str, e: &EntryRec) -> bool {
    let content = Value::Object(e.content.clone());
    terms.iter().all(|t| match &t.field {
        Some(path) => {
            let found = at_path(&content, path);
            if found.is_empty() {
                // Not a field of this entry: read the term as plain text (`https://...`).
                let whole = format!("{}:{}", path.join("."), t.needle).to_lowercase();
                subject.to_lowercase().contains(&whole) || value_contains(&content, &whole)
            } else {
                t.needle.is_empty() || found.iter().any(|v| value_contains(v, &t.needle))
            }
        }
        None => subject.to_lowercase().contains(&t.needle) || value_contains(&content, &t.needle),
    })
}

/// A query, from GET parameters or a POST body.
pub(super) struct QuerySpec {
    q: String,
    limit: u64,
    offset: u64,
    bypass: bool,
    filter_principal_sets: Vec<String>,
    fields: Option<Vec<String>>,
}

pub(super) fn run_query(
    em: &Handle,
    raw: &str,
    caller: SearchCaller,
    query: QuerySpec,
) -> Response {
    let location = "query";
    let mut p = Problems::default();
    if query.limit > MAX_RESULTS {
        p.add(
            &refused::QUERY,
            &["limit"],
            format!("Must be less than or equal to {MAX_RESULTS}."),
        );
    }
    if query.offset + query.limit > MAX_RESULTS {
        p.add(
            &refused::QUERY,
            &["offset"],
            format!("offset + limit must be less than or equal to {MAX_RESULTS}."),
        );
    }
    let fields = query
        .fields
        .clone()
        .unwrap_or_else(|| vec!["content".to_string()]);
    for f in &fields {
        if !QUERY_FIELDS.contains(&f.as_str()) {
            p.add(
                &refused::QUERY,
                &["fields"],
                format!("Must be one of: visible_to, principal_sets, content (got {f})."),
            );
        }
    }
    if !p.is_empty() {
        return invalid(location, p);
    }
    let w = em.lock();
    let st: &World = &w;
    let ix = match index(st, raw) {
        Ok(ix) => ix,
        Err(r) => return r,
    };
    let who = Who::of(st, caller);
    let admin = Need::Admin.met_by(&who.roles(ix));
    if let Some(r) = check_bypass(query.bypass, admin, caller, "query") {
        return r;
    }
    // `fields` alone decides what an entry carries (default `content`); the lists only
    // for index admins and owners, bypassing or not.
    let named = |f: &str| fields.iter().any(|n| n == f);
    let shape = Shape {
        content: named("content"),
        visible_to: admin && named("visible_to"),
        principal_sets: admin && named("principal_sets"),
    };
    let terms = if matches!(query.q.trim(), "" | "*") {
        Vec::new()
    } else {
        parse_terms(&query.q)
    };
    let mut hits: Vec<GMetaResult> = Vec::new();
    for (subject, entries) in &ix.subjects {
        let kept: Vec<&EntryRec> = entries
            .iter()
            .filter(|e| query.bypass || who.sees(&e.visible_to))
            .filter(|e| {
                query.filter_principal_sets.is_empty()
                    || who
                        .matched_sets(e)
                        .iter()
                        .any(|m| query.filter_principal_sets.contains(m))
            })
            .collect();
        if kept.iter().any(|e| entry_matches(&terms, subject, e)) {
            hits.push(gmeta_result(
                subject,
                kept.iter().map(|e| result_entry(e, &who, shape)).collect(),
            ));
        }
    }
    let total = hits.len() as u64;
    let page: Vec<GMetaResult> = hits
        .into_iter()
        .skip(query.offset as usize)
        .take(query.limit as usize)
        .collect();
    let count = page.len() as u64;
    Json(GSearchResult {
        datatype: Some("GSearchResult".into()),
        version: Some(VERSION_2017.into()),
        count,
        offset: query.offset,
        total,
        has_next_page: query.offset + count < total,
        gmeta: page,
        facet_results: None,
        extra: Default::default(),
    })
    .into_response()
}

pub(super) async fn search_get(
    State(em): State<Handle>,
    Extension(caller): Extension<SearchCaller>,
    Path(raw): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> Response {
    let params = match SearchParams::from_query(&q) {
        Ok(p) => p,
        Err(msg) => {
            let (field, text) = msg.split_once(": ").unwrap_or(("q", msg.as_str()));
            let mut p = Problems::default();
            p.add(&refused::QUERY, &[field], text);
            return invalid("query", p);
        }
    };
    let query = QuerySpec {
        q: params.q,
        limit: params.limit.unwrap_or(10),
        offset: params.offset.unwrap_or(0),
        bypass: params.bypass_visible_to.unwrap_or(false),
        filter_principal_sets: params.filter_principal_sets,
        fields: (!params.fields.is_empty()).then_some(params.fields),
    };
    run_query(&em, &raw, caller, query)
}

pub(super) async fn search_post(
    State(em): State<Handle>,
    Extension(caller): Extension<SearchCaller>,
    Path(raw): Path<String>,
    body: Bytes,
) -> Response {
    let body = match json_object(&body, "/v1/search") {
        Ok(b) => b,
        Err(r) => return r,
    };
    let body: SearchQuery = match serde_json::from_value(Value::Object(body)) {
        Ok(b) => b,
        Err(e) => {
            let mut p = Problems::default();
            p.add(&refused::QUERY, &["_schema"], e.to_string());
            return invalid("json", p);
        }
    };
    // The body's version decides its schema: only `query#1.0.0` has `fields`.
    let mut p = Problems::default();
    match body.version.as_deref() {
        None | Some(VERSION_2017) | Some(QUERY_V1) => {}
        Some(_) => p.add(
            &refused::QUERY,
            &["@version"],
            format!("Must be one of: {VERSION_2017}, {QUERY_V1}."),
        ),
    }
    if body.fields.is_some() && !body.takes_fields() {
        p.add(&refused::QUERY, &["fields"], "Unknown field.");
    }
    if !p.is_empty() {
        return invalid("json", p);
    }
    let query = QuerySpec {
        q: body.q.unwrap_or_else(|| "*".into()),
        limit: body.limit.unwrap_or(10),
        offset: body.offset.unwrap_or(0),
        bypass: body.bypass_visible_to.unwrap_or(false),
        filter_principal_sets: body.filter_principal_sets.unwrap_or_default(),
        fields: body.fields,
    };
    run_query(&em, &raw, caller, query)
}
