//! Unit tests of the GCS provider's conversions: principals, documents, recorded ids.

use std::collections::BTreeMap;

use serde_json::{Map, json};

use super::documents::{collection_object, document_version};
use super::keys::{collection_id_by_name, principal_key, principal_urn, record_collection};
use crate::service::IdMap;
use crate::services::transfer::provider::named_collection;
use crate::state::Address;

const ID: &str = "2d7a4c6e-0a8e-4d8f-9d1e-5f6a7b8c9d0e";
const GROUP: &str = "8b7d57bc-1666-11ec-88b2-f50515619d57";

#[test]
fn role_principals_key_canonically() {
    let mut names = BTreeMap::new();
    assert_eq!(
        principal_key(&format!("urn:globus:auth:identity:{ID}"), &names).as_deref(),
        Some(format!("identity:{ID}").as_str())
    );
    assert_eq!(
        principal_key(&format!("urn:globus:groups:id:{GROUP}"), &names).as_deref(),
        Some(format!("group:{GROUP}").as_str())
    );
    names.insert(GROUP.to_string(), "lab-admins".to_string());
    assert_eq!(
        principal_key(&format!("urn:globus:groups:id:{GROUP}"), &names).as_deref(),
        Some("group:lab-admins")
    );
    assert_eq!(principal_key("urn:globus:auth:identity:nope", &names), None);
    assert_eq!(principal_key("all_authenticated_users", &names), None);
}

#[test]
fn role_principals_go_out_as_urns() {
    let ids = IdMap::default();
    ids.insert(
        Address::new(crate::services::groups::GROUP, ["lab"]),
        GROUP.into(),
    );
    assert_eq!(
        principal_urn("group:lab", &ids).unwrap(),
        format!("urn:globus:groups:id:{GROUP}")
    );
    assert_eq!(
        principal_urn(&format!("identity:{ID}"), &ids).unwrap(),
        format!("urn:globus:auth:identity:{ID}")
    );
    assert!(principal_urn("group:other", &ids).is_err());
    assert!(principal_urn("anonymous", &ids).is_err());
}

#[test]
fn document_version_follows_fields() {
    let mut m = Map::new();
    m.insert("display_name".into(), "x".into());
    assert_eq!(document_version(&m), 0);
    m.insert("enable_https".into(), true.into());
    assert_eq!(document_version(&m), 1);
    m.insert("acl_expiration_mins".into(), 60.into());
    assert_eq!(document_version(&m), 10);
}

#[test]
fn live_collection_is_normalised() {
    let doc = json!({"DATA_TYPE": "collection#1.0.0", "id": "c1", "display_name": "Lab",
        "collection_base_path": "/lab", "public": true, "keywords": ["b", "a"],
        "https_url": "https://x", "description": null});
    let o = collection_object(
        Address::new(crate::services::gcs::COLLECTION, [ID, "lab"]),
        &doc,
    );
    assert_eq!(o.attrs["collection_base_path"], "/lab/");
    assert_eq!(o.attrs["keywords"], json!(["a", "b"]));
    assert!(!o.attrs.contains_key("https_url"));
    assert!(!o.attrs.contains_key("description"));
    assert_eq!(o.server_id.as_deref(), Some("c1"));
}

#[test]
fn created_ids_are_recorded_twice() {
    let ids = IdMap::default();
    let a = Address::new(crate::services::gcs::COLLECTION, [ID, "lab"]);
    record_collection(&ids, &a, "c1");
    assert_eq!(ids.get(&a).as_deref(), Some("c1"));
    assert_eq!(ids.get(&named_collection("lab")).as_deref(), Some("c1"));
    assert_eq!(
        collection_id_by_name("lab", ID.parse().unwrap(), &ids).as_deref(),
        Some("c1")
    );
}
