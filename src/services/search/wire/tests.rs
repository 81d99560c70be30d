//! Unit tests of the Search documents: principals, ingest, query parameters, task states.

use super::*;
use serde_json::{Value, json};

#[test]
fn principals_parse_and_print() {
    let id: uuid::Uuid = "46bd0f56-e24f-11e5-a510-131bef46955c".parse().unwrap();
    for (s, p) in [
        ("public", Principal::Public),
        ("all_authenticated_users", Principal::AllAuthenticatedUsers),
        (
            "urn:globus:auth:identity:46bd0f56-e24f-11e5-a510-131bef46955c",
            Principal::Identity(id),
        ),
        (
            "urn:globus:groups:id:46bd0f56-e24f-11e5-a510-131bef46955c",
            Principal::Group(id),
        ),
    ] {
        assert_eq!(Principal::parse(s), Some(p));
        assert_eq!(p.urn(), s);
    }
    assert_eq!(
        Principal::parse("urn:globus::auth:identity:46bd0f56-e24f-11e5-a510-131bef46955c"),
        None
    );
    assert_eq!(Principal::parse("urn:globus:auth:identity:I"), None);
    assert_eq!(Principal::parse("anonymous"), None);
}

#[test]
fn ingest_builders_carry_the_entries() {
    let e = GMetaEntry {
        subject: "s".into(),
        visible_to: vec!["public".into()],
        content: json!({"a": 1}).as_object().unwrap().clone(),
        ..GMetaEntry::default()
    };
    let one = GIngest::entry(e.clone());
    assert_eq!(one.ingest_type, "GMetaEntry");
    assert_eq!(one.ingest_data["id"], Value::Null);
    assert_eq!(one.entries().unwrap(), vec![e.clone()]);
    let list = GIngest::list(vec![e.clone(), e.clone()]);
    assert_eq!(list.entries().unwrap().len(), 2);
    let bad = GIngest {
        ingest_type: "GMetaThing".into(),
        ..GIngest::default()
    };
    assert!(bad.entries().is_err());
}

#[test]
fn search_params_round_trip_through_the_query() {
    let p = SearchParams {
        q: "*".into(),
        limit: Some(5),
        bypass_visible_to: Some(true),
        filter_principal_sets: vec!["curator".into(), "contributor".into()],
        ..SearchParams::default()
    };
    let pairs = p.to_query();
    assert!(pairs.contains(&(
        "filter_principal_sets".to_string(),
        "curator,contributor".to_string()
    )));
    assert_eq!(SearchParams::from_query(&pairs).unwrap(), p);
    let repeated = vec![
        ("q".to_string(), "x".to_string()),
        ("filter_principal_sets".to_string(), "a".to_string()),
        ("filter_principal_sets".to_string(), "b".to_string()),
    ];
    assert_eq!(
        SearchParams::from_query(&repeated)
            .unwrap()
            .filter_principal_sets,
        vec!["a", "b"]
    );
    assert!(SearchParams::from_query(&[]).is_err());
    assert!(
        SearchParams::from_query(&[("q".into(), "x".into()), ("limit".into(), "ten".into())])
            .is_err()
    );
    let body = p.clone().into_body();
    assert_eq!(body.q.as_deref(), Some("*"));
    assert_eq!(body.version.as_deref(), Some(VERSION_2017));
    assert!(!body.takes_fields());
    // `fields` needs a query#1.0.0 body.
    let with_fields = SearchParams {
        fields: vec!["visible_to".into()],
        ..p
    }
    .into_body();
    assert_eq!(with_fields.version.as_deref(), Some(QUERY_V1));
    assert!(with_fields.takes_fields());
}

#[test]
fn the_access_query_asks_for_lists_not_content() {
    let q = SearchQuery::access_of_all(1000, 500);
    assert_eq!(
        serde_json::to_value(&q).unwrap(),
        json!({"@version": "query#1.0.0", "q": "*", "limit": 500, "offset": 1000,
               "bypass_visible_to": true, "fields": ["visible_to", "principal_sets"]})
    );
    assert!(q.takes_fields());
}

#[test]
fn the_re_read_query_asks_for_content_too() {
    let q = SearchQuery::entries_of_all(0, 1000);
    assert_eq!(
        serde_json::to_value(&q).unwrap(),
        json!({"@version": "query#1.0.0", "q": "*", "limit": 1000, "offset": 0,
               "bypass_visible_to": true,
               "fields": ["content", "visible_to", "principal_sets"]})
    );
}

#[test]
fn task_states_keep_unknown_values() {
    let s: TaskState = serde_json::from_value(json!("QUEUED")).unwrap();
    assert_eq!(s, TaskState::Other("QUEUED".into()));
    assert_eq!(serde_json::to_value(&s).unwrap(), json!("QUEUED"));
    assert!(TaskState::Failed.is_terminal());
    assert!(!TaskState::Pending.is_terminal());
}
