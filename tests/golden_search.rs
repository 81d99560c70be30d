//! Decodes every Search API example of the Globus reference (§5, copied into
//! `tests/golden/search_*.json`; seed 002's GIngest document too) with the wire types of
//! `accord::services::search::wire`, and checks that re-serialising keeps unknown fields and every
//! key of the example: an entry's `content` and its unknown fields round-trip unchanged.
//!
//! Where the reference writes a placeholder (`<G>`, `<I>`, `…`), the golden file spells a
//! full UUID. The index document is assembled from the fields §5.5 lists. The access query
//! accord reads an index with (`search_query_access`) and its answer (`search_result_access`)
//! follow §5.4 and the OpenAPI's `GSearchRequestBodyV1` and `ResultEntry`: `fields` in a
//! `query#1.0.0` body, entries carrying `visible_to` and `principal_sets` without `content`.

#[path = "golden_support.rs"]
mod support;
use support::*;

use accord::services::search::wire::{
    DeletedRole, GIngest, GMetaEntry, GMetaResult, GSearchResult, Principal, QUERY_V1, Role,
    RoleCreate, RoleList, SearchError, SearchIndex, SearchQuery, Task, TaskList, TaskState,
    TaskSubmitResponse,
};
use serde_json::{Value, json};

#[test]
fn ingest_of_one_entry() {
    let g: GIngest = decode("search_ingest_entry");
    assert_eq!(g.ingest_type, "GMetaEntry");
    let entries = g.entries().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].subject, "https://example.com/foo/bar");
    assert_eq!(entries[0].id, None);
    assert_eq!(entries[0].visible_to, ["public"]);
    assert_eq!(entries[0].content["foo/bar"], "some val");
    assert_round_trip_keeps_all::<GIngest>("search_ingest_entry");
    // The entry itself round-trips, `"id": null` included.
    let data = golden("search_ingest_entry")["ingest_data"].clone();
    let entry: GMetaEntry = serde_json::from_value(data.clone()).unwrap();
    assert_eq!(serde_json::to_value(&entry).unwrap(), data);
}

#[test]
fn ingest_of_a_list_with_principal_sets() {
    let g: GIngest = decode("search_ingest_list");
    assert_eq!(g.ingest_type, "GMetaList");
    let entries = g.entries().unwrap();
    assert_eq!(entries.len(), 2);
    let sets = entries[0].principal_sets.as_ref().unwrap();
    assert_eq!(sets["admin"].len(), 2);
    assert!(matches!(
        Principal::parse(&sets["monitor"][0]),
        Some(Principal::Group(_))
    ));
    assert!(
        entries[0]
            .visible_to
            .iter()
            .all(|v| Principal::parse(v).is_some())
    );
    assert_eq!(entries[1].id.as_deref(), Some("otherentry"));
    assert!(entries[1].principal_sets.is_none());
    assert_round_trip_keeps_all::<GIngest>("search_ingest_list");
}

#[test]
fn the_role_filtering_guide_document() {
    let g: GIngest = decode("search_ingest_role_filtering");
    let entries = g.entries().unwrap();
    let subjects: Vec<&str> = entries.iter().map(|e| e.subject.as_str()).collect();
    assert_eq!(subjects, ["doc0", "doc1", "doc2"]);
    assert!(entries[0].principal_sets.is_none());
    assert_eq!(
        entries[1]
            .principal_sets
            .as_ref()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["contributor", "curator"]
    );
    assert_round_trip_keeps_all::<GIngest>("search_ingest_role_filtering");
}

#[test]
fn entries_keep_content_and_unknown_fields_verbatim() {
    let raw = json!({
        "subject": "s", "id": "e1", "visible_to": ["all_authenticated_users"],
        "@version": "2017-09-01",
        "content": {"a": {"b": [1, 2.5, null, "x", {"c": true}]}, "ünï": "cödé"},
        "x_future_entry_field": {"k": [1]}
    });
    let e: GMetaEntry = serde_json::from_value(raw.clone()).unwrap();
    assert_eq!(e.extra["x_future_entry_field"], json!({"k": [1]}));
    assert_eq!(serde_json::to_value(&e).unwrap(), raw);
    // Built into an ingest and read back, nothing changes either.
    let back = GIngest::list(vec![e.clone()]).entries().unwrap();
    assert_eq!(back, vec![e]);
}

#[test]
fn ingest_response() {
    let r: TaskSubmitResponse = decode("search_ingest_response");
    assert!(r.acknowledged);
    assert_eq!(r.task_id, "965865a7-f075-4407-84e7-0838279803a2");
    assert_round_trip_keeps_all::<TaskSubmitResponse>("search_ingest_response");
    // The CLI's subject-delete fixture carries only the task id.
    let d: TaskSubmitResponse = decode("search_delete_subject");
    assert!(!d.acknowledged);
    assert_round_trip_keeps_all::<TaskSubmitResponse>("search_delete_subject");
}

#[test]
fn tasks() {
    let t: Task = decode("search_task");
    assert_eq!(t.state, TaskState::Success);
    assert!(t.state.is_terminal());
    assert_eq!(t.completion_date.as_deref(), Some("2021-10-05T18:42:49"));
    assert_eq!(t.message, None);
    assert_round_trip_keeps_all::<Task>("search_task");
    let p: Task = decode("search_task_pending");
    assert_eq!(p.state, TaskState::Pending);
    assert_eq!(p.completion_date, None);
    assert_round_trip_keeps_all::<Task>("search_task_pending");
    let l: TaskList = decode("search_task_list");
    assert_eq!(l.tasks.len(), 2);
    assert_round_trip_keeps_all::<TaskList>("search_task_list");
}

#[test]
fn subject_document() {
    let s: GMetaResult = decode("search_subject");
    assert_eq!(s.subject, "multi-entry-subject");
    assert_eq!(s.entries.len(), 2);
    assert_eq!(s.entries[0].entry_id.as_deref(), Some("foo"));
    assert_eq!(s.entries[1].content.as_ref().unwrap()["bar"], "baz");
    assert!(s.entries[0].matched_principal_sets.is_empty());
    assert!(s.entries[0].visible_to.is_none());
    assert_round_trip_keeps_all::<GMetaResult>("search_subject");
}

#[test]
fn search_result() {
    let r: GSearchResult = decode("search_result");
    assert_eq!((r.count, r.offset, r.total), (1, 0, 10));
    assert!(r.has_next_page);
    assert_eq!(r.gmeta[0].version.as_deref(), Some("2019-08-27"));
    assert_eq!(r.gmeta[0].entries[0].entry_id, None);
    assert_round_trip_keeps_all::<GSearchResult>("search_result");
    // `entry_id: null` is written back, as the service answers it.
    let back = serde_json::to_value(&r).unwrap();
    assert_eq!(back["gmeta"][0]["entries"][0]["entry_id"], Value::Null);
}

#[test]
fn search_query_body() {
    let q: SearchQuery = decode("search_query_post");
    assert_eq!(q.q.as_deref(), Some("*"));
    assert_eq!(q.limit, Some(10));
    assert_eq!(
        q.filter_principal_sets.as_deref(),
        Some(&["curator".to_string()][..])
    );
    assert_round_trip_keeps_all::<SearchQuery>("search_query_post");
}

#[test]
fn access_query_body() {
    let q: SearchQuery = decode("search_query_access");
    assert_eq!(q.version.as_deref(), Some(QUERY_V1));
    assert!(q.takes_fields());
    assert_eq!(q.bypass_visible_to, Some(true));
    assert_eq!(
        q.fields.as_deref(),
        Some(&["visible_to".to_string(), "principal_sets".to_string()][..])
    );
    assert_round_trip_keeps_all::<SearchQuery>("search_query_access");
    // It is exactly what the provider sends for a first page.
    assert_eq!(
        serde_json::to_value(SearchQuery::access_of_all(0, 1000)).unwrap(),
        golden("search_query_access")
    );
}

#[test]
fn access_query_result() {
    let r: GSearchResult = decode("search_result_access");
    assert_eq!((r.count, r.total, r.has_next_page), (2, 2, false));
    let doc1 = &r.gmeta[0];
    assert_eq!(doc1.subject, "doc1");
    assert_eq!(doc1.entries.len(), 2);
    for e in r.gmeta.iter().flat_map(|g| &g.entries) {
        assert!(e.content.is_none());
        assert!(e.visible_to.is_some());
        assert!(e.principal_sets.as_ref().is_some_and(Value::is_object));
    }
    assert_eq!(doc1.entries[1].entry_id.as_deref(), Some("otherentry"));
    assert!(
        doc1.entries[0]
            .visible_to
            .as_ref()
            .unwrap()
            .iter()
            .all(|v| Principal::parse(v).is_some())
    );
    assert_round_trip_keeps_all::<GSearchResult>("search_result_access");
    // No `content` key is invented on the way back.
    let back = serde_json::to_value(&r).unwrap();
    assert!(back["gmeta"][0]["entries"][0].get("content").is_none());
}

#[test]
fn roles() {
    let r: Role = decode("search_role");
    assert_eq!(r.id, "MDQ1MzAy");
    assert_eq!(r.role_name, "writer");
    assert_eq!(r.principal_type, "identity");
    assert!(matches!(
        Principal::parse(&r.principal),
        Some(Principal::Identity(_))
    ));
    assert_round_trip_keeps_all::<Role>("search_role");
    let c: RoleCreate = decode("search_role_create_request");
    assert_eq!(c.role_name, "writer");
    assert_eq!(
        serde_json::to_value(&c).unwrap(),
        golden("search_role_create_request")
    );
    let l: RoleList = decode("search_role_list");
    assert_eq!(l.role_list, vec![r.clone()]);
    assert_round_trip_keeps_all::<RoleList>("search_role_list");
    let d: DeletedRole = decode("search_role_deleted");
    assert!(d.success);
    assert_eq!(d.deleted, r);
    assert_round_trip_keeps_all::<DeletedRole>("search_role_deleted");
}

#[test]
fn index_document() {
    let i: SearchIndex = decode("search_index");
    assert_eq!(i.status, "open");
    assert!(i.is_trial);
    assert_eq!(i.subscription_id, None);
    assert_eq!(i.permissions, None);
    assert_round_trip_keeps_all::<SearchIndex>("search_index");
}

#[test]
fn errors() {
    let e: SearchError = decode("search_error_validation");
    assert_eq!(e.code, "BadRequest.ValidationError");
    assert_eq!(e.class(), "BadRequest");
    assert_eq!(e.status, 400);
    assert_eq!(
        e.error_data.as_ref().unwrap()["messages"]["json"]["ingest_data"]["visible_to"][0],
        "Missing data for required field."
    );
    assert_round_trip_keeps_all::<SearchError>("search_error_validation");
    let n: SearchError = decode("search_error_no_such_index");
    assert_eq!(n.class(), "NotFound");
    assert!(n.message.starts_with("There is no search index named"));
    assert_round_trip_keeps_all::<SearchError>("search_error_no_such_index");
}
