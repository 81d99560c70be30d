//! Unit tests of the Search provider's conversions: principals, entries, desired access.

use super::*;
use crate::services::search::wire::{GIngest, GMetaEntry, GMetaResult};
use crate::state::Object;
use serde_json::{Value, json};
use std::time::Duration;

const ALICE: &str = "46bd0f56-e24f-11e5-a510-131bef46955c";
const LAB: &str = "8b7d57bc-1666-11ec-88b2-f50515619d57";
const OTHER: &str = "6c54cade-bde5-45c1-bdea-f4bd71dba2cc";

fn names() -> BTreeMap<String, String> {
    BTreeMap::from([(LAB.to_string(), "lab".to_string())])
}

fn result(entries: Value) -> GMetaResult {
    serde_json::from_value(json!({"subject": "doc1", "entries": entries})).unwrap()
}

#[test]
fn urns_become_canonical_principals_and_back() {
    let ids = IdMap::default();
    ids.insert(
        Address::new(crate::services::groups::GROUP, ["lab"]),
        LAB.into(),
    );
    for (urn, key) in [
        (
            format!("urn:globus:auth:identity:{ALICE}"),
            format!("identity:{ALICE}"),
        ),
        (
            format!("urn:globus:groups:id:{LAB}"),
            "group:lab".to_string(),
        ),
        (
            format!("urn:globus:groups:id:{OTHER}"),
            format!("group:{OTHER}"),
        ),
        ("public".to_string(), "public".to_string()),
        (
            "all_authenticated_users".to_string(),
            "all_authenticated_users".to_string(),
        ),
    ] {
        assert_eq!(canonical(&urn, &names()).unwrap().to_string(), key);
        assert_eq!(principal_urn(&key, &ids, true).unwrap(), urn);
    }
    // Upper-case UUIDs read the same.
    let upper = format!("urn:globus:groups:id:{}", LAB.to_uppercase());
    assert_eq!(
        canonical(&upper, &names()).unwrap().to_string(),
        "group:lab"
    );
    assert_eq!(canonical("urn:globus:auth:identity:nope", &names()), None);
    // Roles and principal sets take no specials; unknown managed groups are an error.
    assert!(principal_urn("public", &ids, false).is_err());
    assert!(principal_urn("anonymous", &ids, true).is_err());
    let e = principal_urn("group:nobody", &ids, false).unwrap_err();
    assert!(e.contains("not known"), "{e}");
}

#[test]
fn gmeta_list_keeps_content_ids_and_unknown_fields() {
    let live = result(json!([
        {"entry_id": null, "content": {"title": "d1", "nested": {"a": [1, 2.5, "x"]}},
         "visible_to": ["public"], "principal_sets": {"curator": ["urn:globus:auth:identity:46bd0f56-e24f-11e5-a510-131bef46955c"]},
         "matched_principal_sets": [], "future_field": {"k": 1}},
        {"entry_id": "v2", "content": {"t": 2},
         "visible_to": ["urn:globus:groups:id:8b7d57bc-1666-11ec-88b2-f50515619d57"], "principal_sets": {}}
    ]));
    let desired = DesiredAccess {
        visible_to: Some(vec!["all_authenticated_users".into()]),
        principal_sets: None,
    };
    let entries = gmeta_entries(&live, &desired).unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].id, None);
    assert_eq!(entries[1].id.as_deref(), Some("v2"));
    assert_eq!(
        Value::Object(entries[0].content.clone()),
        json!({"title": "d1", "nested": {"a": [1, 2.5, "x"]}})
    );
    assert_eq!(entries[0].extra.get("future_field"), Some(&json!({"k": 1})));
    assert!(!entries[0].extra.contains_key("matched_principal_sets"));
    for e in &entries {
        assert_eq!(e.subject, "doc1");
        assert_eq!(e.visible_to, vec!["all_authenticated_users"]);
    }
    // principal_sets unset: each entry keeps its own.
    assert_eq!(
        entries[0].principal_sets.as_ref().unwrap()["curator"].len(),
        1
    );
    assert_eq!(entries[1].principal_sets, Some(BTreeMap::new()));
    // The ingest document carries them as a GMetaList.
    let ingest = serde_json::to_value(GIngest::list(entries)).unwrap();
    assert_eq!(ingest["ingest_type"], "GMetaList");
    assert_eq!(ingest["ingest_data"]["gmeta"][0]["id"], Value::Null);
    assert_eq!(
        ingest["ingest_data"]["gmeta"][0]["future_field"],
        json!({"k": 1})
    );

    // Desired principal sets replace every entry's; visible_to unset keeps each entry's.
    let desired = DesiredAccess {
        visible_to: None,
        principal_sets: Some(BTreeMap::from([("c".to_string(), vec![])])),
    };
    let entries = gmeta_entries(&live, &desired).unwrap();
    assert_eq!(entries[0].visible_to, vec!["public"]);
    assert_eq!(
        entries[1].visible_to,
        vec![format!("urn:globus:groups:id:{LAB}")]
    );
    assert!(
        entries
            .iter()
            .all(|e| e.principal_sets == desired.principal_sets)
    );
}

#[test]
fn gmeta_list_refuses_what_it_would_empty() {
    let no_content = result(json!([{"entry_id": null, "visible_to": ["public"]}]));
    assert!(gmeta_entries(&no_content, &DesiredAccess::default()).is_err());
    let no_acl = result(json!([{"entry_id": null, "content": {}}]));
    assert!(gmeta_entries(&no_acl, &DesiredAccess::default()).is_err());
    let desired = DesiredAccess {
        visible_to: Some(vec!["public".into()]),
        principal_sets: None,
    };
    assert!(gmeta_entries(&no_acl, &desired).is_ok());
}

#[test]
fn entries_read_canonical_and_sorted() {
    let live = result(json!([{
        "entry_id": null, "content": {},
        "visible_to": [format!("urn:globus:groups:id:{LAB}"), "public",
                       format!("urn:globus:auth:identity:{ALICE}")],
        "principal_sets": {"curator": [format!("urn:globus:groups:id:{OTHER}"),
                                       format!("urn:globus:auth:identity:{ALICE}")]}
    }]));
    let o = entry_object(
        Address::new(crate::services::search::ENTRY, ["ix", "doc1"]),
        &live,
        &names(),
    );
    assert_eq!(
        o.attrs["visible_to"],
        json!(["group:lab", format!("identity:{ALICE}"), "public"])
    );
    assert_eq!(
        o.attrs["principal_sets"],
        json!({"curator": [format!("group:{OTHER}"), format!("identity:{ALICE}")]})
    );
    assert!(!o.attrs.contains_key("entries_differ"));
    assert!(!o.attrs.contains_key("status"));
}

#[test]
fn entries_that_disagree_are_flagged_per_list() {
    let live = result(json!([
        {"entry_id": null, "content": {}, "visible_to": ["public"], "principal_sets": {}},
        {"entry_id": "v2", "content": {}, "visible_to": ["public"],
         "principal_sets": {"c": [format!("urn:globus:auth:identity:{ALICE}")]}}
    ]));
    let o = entry_object(
        Address::new(crate::services::search::ENTRY, ["ix", "doc1"]),
        &live,
        &names(),
    );
    assert_eq!(o.attrs["entries_differ"], json!(true));
    // They agree on visible_to: its common value.
    assert_eq!(o.attrs["visible_to"], json!(["public"]));
    // They disagree on principal_sets: per entry, never equal to a desired `{name: list}`.
    assert_eq!(
        o.attrs["principal_sets"],
        json!({DEFAULT_ENTRY: {}, "v2": {"c": [format!("identity:{ALICE}")]}})
    );
    // The same lists in another order agree.
    let same = result(json!([
        {"entry_id": null, "content": {}, "visible_to": ["public", format!("urn:globus:auth:identity:{ALICE}")]},
        {"entry_id": "v2", "content": {}, "visible_to": [format!("urn:globus:auth:identity:{ALICE}"), "public"]}
    ]));
    let o = entry_object(
        Address::new(crate::services::search::ENTRY, ["ix", "doc1"]),
        &same,
        &names(),
    );
    assert!(!o.attrs.contains_key("entries_differ"));
    assert_eq!(o.attrs["principal_sets"], json!({}));
}

#[test]
fn desired_access_converts_every_list() {
    let ids = IdMap::default();
    ids.insert(
        Address::new(crate::services::groups::GROUP, ["lab"]),
        LAB.into(),
    );
    let o = Object::new(Address::new(crate::services::search::ENTRY, ["ix", "doc1"]))
        .with("visible_to", json!(["group:lab", "public"]))
        .with(
            "principal_sets",
            json!({"curator": [format!("identity:{ALICE}")]}),
        );
    let d = DesiredAccess::of(&o, &ids).unwrap();
    assert_eq!(
        d.visible_to.unwrap(),
        vec![format!("urn:globus:groups:id:{LAB}"), "public".to_string()]
    );
    assert_eq!(
        d.principal_sets.unwrap()["curator"],
        vec![format!("urn:globus:auth:identity:{ALICE}")]
    );
    let only = Object::new(Address::new(crate::services::search::ENTRY, ["ix", "doc1"]))
        .with("principal_sets", json!({"c": ["public"]}));
    assert!(DesiredAccess::of(&only, &ids).is_err());
    let none = Object::new(Address::new(crate::services::search::ENTRY, ["ix", "doc1"]));
    assert_eq!(
        DesiredAccess::of(&none, &ids).unwrap(),
        DesiredAccess::default()
    );
}

#[test]
fn path_segments_are_encoded() {
    assert_eq!(segment("MDAwMDAx"), "MDAwMDAx");
    assert_eq!(segment("a/b+c="), "a%2Fb%2Bc%3D");
}

#[test]
fn task_polls_start_after_a_delay_back_off_and_are_bounded() {
    let delays: Vec<Duration> = poll_delays().collect();
    assert_eq!(delays.len(), MAX_TASK_POLLS);
    assert_eq!(delays[0], FIRST_POLL);
    assert_eq!(delays[1], FIRST_POLL * 2);
    assert!(delays.iter().all(|d| *d <= MAX_POLL_GAP));
    let total: Duration = delays.iter().sum();
    assert!(total >= TASK_WAIT && total - *delays.last().unwrap() < TASK_WAIT);
}

#[test]
fn a_batch_is_one_ingest_unless_too_big_and_a_subject_is_never_split() {
    let entry = |subject: &str, id: Option<&str>| GMetaEntry {
        subject: subject.into(),
        id: id.map(Into::into),
        visible_to: vec!["public".into()],
        content: serde_json::from_value(json!({"t": "x".repeat(100)})).unwrap(),
        ..GMetaEntry::default()
    };
    let subjects = || {
        vec![
            (0, vec![entry("a", None), entry("a", Some("v2"))]),
            (1, vec![entry("b", None)]),
            (2, vec![entry("c", None)]),
        ]
    };
    let one = pack(subjects(), MAX_INGEST_BYTES);
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].0, vec![0, 1, 2]);
    assert_eq!(one[0].1.len(), 4);
    // Room for two entries an ingest: a's two, then b and c.
    let size = 2 * serde_json::to_vec(&vec![entry("b", None)]).unwrap().len();
    let two = pack(subjects(), size);
    let at: Vec<Vec<usize>> = two.iter().map(|(at, _)| at.clone()).collect();
    assert_eq!(at, vec![vec![0], vec![1, 2]]);
    // Smaller than a subject: each alone, never split.
    let tiny = pack(subjects(), 1);
    assert_eq!(tiny.len(), 3);
    assert_eq!(tiny[0].1.len(), 2);
}
