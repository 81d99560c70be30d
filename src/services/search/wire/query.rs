//! Subjects as a reader sees them (`GMetaResult`), queries (GET parameters and the POST
//! body) and their results (`GSearchResult`).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{QUERY_FIELDS, QUERY_V1, VERSION_2017};
use crate::wire::Extra;

/// One entry of a subject as a reader sees it (`ResultEntry`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResultEntry {
    /// The entry id; null (always written) for the default entry.
    #[serde(default)]
    pub entry_id: Option<String>,
    /// The document (left out when the query's `fields` leave it out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<serde_json::Map<String, Value>>,
    /// The named principal sets the caller is in.
    #[serde(default)]
    pub matched_principal_sets: Vec<String>,
    /// For index admins and owners who ask: the entry's `visible_to`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visible_to: Option<Vec<String>>,
    /// For index admins and owners who ask: the entry's `principal_sets` (the emulator
    /// answers the ingested `{name: [urn]}` object; the OpenAPI types it loosely).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal_sets: Option<Value>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `GET /v1/index/{index_id}/subject` and each item of a search's `gmeta`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GMetaResult {
    /// `GMetaResult` when present.
    #[serde(rename = "@datatype", default, skip_serializing_if = "Option::is_none")]
    pub datatype: Option<String>,
    /// `2019-08-27` (or `2017-09-01`) when present.
    #[serde(rename = "@version", default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The subject.
    pub subject: String,
    /// The entries the caller may see.
    #[serde(default)]
    pub entries: Vec<ResultEntry>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// The body of `POST /v1/index/{index_id}/search` (`GSearchRequestBody`, `2017-09-01` or
/// `query#1.0.0`). Facets, filters, boosts and sorts stay raw JSON.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SearchQuery {
    /// `2017-09-01` or `query#1.0.0`.
    #[serde(rename = "@version", default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The query string (`*` matches everything).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    /// Page size (default 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
    /// Results to skip.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    /// Advanced query syntax.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advanced: Option<bool>,
    /// Index admins and owners: ignore `visible_to`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bypass_visible_to: Option<bool>,
    /// Keep only entries whose named principal sets hold the caller.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter_principal_sets: Option<Vec<String>>,
    /// `query#1.0.0` only: which of `content`, `visible_to`, `principal_sets` to answer
    /// (default `content`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<String>>,
    /// Facets, raw.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facets: Option<Value>,
    /// Filters, raw.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filters: Option<Value>,
    /// Boosts, raw.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boosts: Option<Value>,
    /// Sorts, raw.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort: Option<Value>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

impl SearchQuery {
    /// A `query#1.0.0` query of every subject (`q: "*"`) for an index admin or owner:
    /// `bypass_visible_to`, and per entry only its `visible_to` and `principal_sets` (no
    /// `content`), one page of `limit` results from `offset`.
    pub fn access_of_all(offset: u64, limit: u64) -> SearchQuery {
        SearchQuery {
            version: Some(QUERY_V1.into()),
            q: Some("*".into()),
            limit: Some(limit),
            offset: Some(offset),
            bypass_visible_to: Some(true),
            fields: Some(vec!["visible_to".into(), "principal_sets".into()]),
            ..SearchQuery::default()
        }
    }

    /// [`SearchQuery::access_of_all`] with each entry's `content` too: what a re-ingest sends
    /// back whole, read right before it.
    pub fn entries_of_all(offset: u64, limit: u64) -> SearchQuery {
        let mut q = SearchQuery::access_of_all(offset, limit);
        q.fields = Some(QUERY_FIELDS.iter().map(|f| f.to_string()).collect());
        q
    }

    /// Whether this body's `@version` takes `fields` (`query#1.0.0`; a body without
    /// `@version` is a `2017-09-01` one).
    pub fn takes_fields(&self) -> bool {
        self.version.as_deref() == Some(QUERY_V1)
    }
}

/// The query parameters of `GET /v1/index/{index_id}/search` (list values comma-joined, as
/// the SDK sends them; repeated parameters are accepted too).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchParams {
    /// `q` (required).
    pub q: String,
    /// `limit`.
    pub limit: Option<u64>,
    /// `offset`.
    pub offset: Option<u64>,
    /// `advanced`.
    pub advanced: Option<bool>,
    /// `bypass_visible_to`.
    pub bypass_visible_to: Option<bool>,
    /// `filter_principal_sets`.
    pub filter_principal_sets: Vec<String>,
    /// `fields`.
    pub fields: Vec<String>,
}

fn parse_bool(key: &str, v: &str) -> Result<bool, String> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        _ => Err(format!("{key}: not a valid boolean: {v:?}")),
    }
}

fn parse_u64(key: &str, v: &str) -> Result<u64, String> {
    v.parse()
        .map_err(|_| format!("{key}: not a valid integer: {v:?}"))
}

impl SearchParams {
    /// The query pairs to send, list values comma-joined.
    pub fn to_query(&self) -> Vec<(String, String)> {
        let mut out = vec![("q".to_string(), self.q.clone())];
        let mut push = |k: &str, v: Option<String>| {
            if let Some(v) = v {
                out.push((k.to_string(), v));
            }
        };
        push("limit", self.limit.map(|v| v.to_string()));
        push("offset", self.offset.map(|v| v.to_string()));
        push("advanced", self.advanced.map(|v| v.to_string()));
        push(
            "bypass_visible_to",
            self.bypass_visible_to.map(|v| v.to_string()),
        );
        push(
            "filter_principal_sets",
            (!self.filter_principal_sets.is_empty()).then(|| self.filter_principal_sets.join(",")),
        );
        push(
            "fields",
            (!self.fields.is_empty()).then(|| self.fields.join(",")),
        );
        out
    }

    /// Reads the parameters from decoded query pairs; unknown keys are ignored. The error
    /// names the first bad parameter.
    pub fn from_query(pairs: &[(String, String)]) -> Result<SearchParams, String> {
        let mut p = SearchParams::default();
        let mut q = None;
        let split = |v: &str| -> Vec<String> {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect()
        };
        for (k, v) in pairs {
            match k.as_str() {
                "q" => q = Some(v.clone()),
                "limit" => p.limit = Some(parse_u64(k, v)?),
                "offset" => p.offset = Some(parse_u64(k, v)?),
                "advanced" => p.advanced = Some(parse_bool(k, v)?),
                "bypass_visible_to" => p.bypass_visible_to = Some(parse_bool(k, v)?),
                "filter_principal_sets" => p.filter_principal_sets.extend(split(v)),
                "fields" => p.fields.extend(split(v)),
                _ => {}
            }
        }
        p.q = q.ok_or_else(|| "q: Missing data for required field.".to_string())?;
        Ok(p)
    }

    /// The same query as a POST body: `query#1.0.0` when it names `fields` (a `2017-09-01`
    /// body cannot), else `2017-09-01`.
    pub fn into_body(self) -> SearchQuery {
        let version = if self.fields.is_empty() {
            VERSION_2017
        } else {
            QUERY_V1
        };
        SearchQuery {
            version: Some(version.into()),
            q: Some(self.q),
            limit: self.limit,
            offset: self.offset,
            advanced: self.advanced,
            bypass_visible_to: self.bypass_visible_to,
            filter_principal_sets: (!self.filter_principal_sets.is_empty())
                .then_some(self.filter_principal_sets),
            fields: (!self.fields.is_empty()).then_some(self.fields),
            ..SearchQuery::default()
        }
    }
}

/// The answer of a search (`GSearchResult`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GSearchResult {
    /// `GSearchResult`.
    #[serde(rename = "@datatype", default, skip_serializing_if = "Option::is_none")]
    pub datatype: Option<String>,
    /// `2017-09-01`.
    #[serde(rename = "@version", default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Length of `gmeta`.
    #[serde(default)]
    pub count: u64,
    /// The offset asked for.
    #[serde(default)]
    pub offset: u64,
    /// Subjects matched in all.
    #[serde(default)]
    pub total: u64,
    /// Whether another page follows (offset + count).
    #[serde(default)]
    pub has_next_page: bool,
    /// One result per subject.
    #[serde(default)]
    pub gmeta: Vec<GMetaResult>,
    /// Facet results, raw.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facet_results: Option<Value>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}
