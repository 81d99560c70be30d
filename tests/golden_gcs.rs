//! Decodes every GCS Manager API example of the Globus reference (§4, copied into
//! `tests/golden/gcs_*.json`) with the wire types of `accord::services::gcs::wire`, and checks that
//! re-serialising keeps unknown fields and every key of the example.
//!
//! Where the reference abbreviates a UUID with `…`, the golden file spells a full one.

#[path = "golden_support.rs"]
mod support;
use support::*;

use accord::services::gcs::wire::{
    Collection, CollectionType, Connector, GcsError, GcsResult, Info, Role, UserCredential,
    data_type_name,
};
use serde_json::{Value, json};

#[test]
fn guest_collection_create_request() {
    let c: Collection = decode("gcs_guest_collection_create_request");
    assert_eq!(c.data_type, "collection#1.0.0");
    assert!(c.is_guest());
    assert_eq!(
        c.mapped_collection_id.as_deref(),
        Some("1405823f-0597-4a16-b296-46d4f0ae4b15")
    );
    assert_eq!(
        c.user_credential_id.as_deref(),
        Some("4ac6579b-9c4d-4a45-a794-adcb86eeb868")
    );
    assert_eq!(c.collection_base_path.as_deref(), Some("/projects/p1/"));
    assert_eq!(c.public, Some(true));
    assert!(c.id.is_none());
    assert_round_trip_keeps_all::<Collection>("gcs_guest_collection_create_request");
    // A document built in code carries only what was set.
    let built = Collection {
        collection_type: Some(CollectionType::Guest),
        display_name: Some("x".into()),
        ..Collection::default()
    };
    assert_eq!(
        serde_json::to_value(&built).unwrap(),
        json!({"DATA_TYPE": "collection#1.0.0", "collection_type": "guest", "display_name": "x"})
    );
}

#[test]
fn collection_create_result() {
    let r: GcsResult<Collection> = decode("gcs_collection_create_result");
    assert!(r.is_success());
    assert_eq!(r.http_response_code, Some(200));
    assert_eq!(r.detail, json!("success"));
    assert_eq!(r.data.len(), 1);
    let c = &r.data[0];
    assert_eq!(
        c.id.as_deref(),
        Some("0e4a77f8-b778-4d5c-abaa-e1254e71427f")
    );
    assert_eq!(c.collection_type, Some(CollectionType::Guest));
    assert_eq!(c.root_path.as_deref(), Some("/"));
    assert_eq!(c.authentication_timeout_mins, Some(30));
    // A field the type does not name is kept.
    assert_eq!(c.extra["authentication_assurance_timeout"], json!(30));
    assert_round_trip_keeps_all::<GcsResult<Collection>>("gcs_collection_create_result");
}

#[test]
fn unknown_collection_type_is_kept() {
    let c: Collection = serde_json::from_value(json!({"collection_type": "shared_thing"})).unwrap();
    assert_eq!(
        c.collection_type,
        Some(CollectionType::Other("shared_thing".into()))
    );
    assert_eq!(c.data_type, "collection#1.0.0");
}

#[test]
fn delete_results_without_data() {
    let r: GcsResult<Collection> = decode("gcs_collection_delete_result");
    assert!(r.is_success());
    assert!(r.data.is_empty());
    assert_round_trip_keeps_all::<GcsResult<Collection>>("gcs_collection_delete_result");
    let r: GcsResult<Role> = decode("gcs_role_delete_result");
    assert_eq!(data_type_name(&r.data_type), "result");
    assert_eq!(
        r.message.as_deref(),
        Some("Deleted role 75bdc786-9a84-4f8f-8a7a-4e1d2f1c3b5a")
    );
    assert!(!r.has_next_page);
    assert_round_trip_keeps_all::<GcsResult<Role>>("gcs_role_delete_result");
}

#[test]
fn role() {
    let r: Role = decode("gcs_role");
    assert_eq!(r.role, "administrator");
    assert_eq!(
        r.collection.as_deref(),
        Some("0e4a77f8-b778-4d5c-abaa-e1254e71427f")
    );
    assert!(r.principal.starts_with("urn:globus:auth:identity:"));
    assert_round_trip_keeps_all::<Role>("gcs_role");
    // An endpoint role: collection null or omitted.
    let e: Role = serde_json::from_value(
        json!({"DATA_TYPE": "role#1.0.0", "principal": "urn:globus:groups:id:x", "role": "owner"}),
    )
    .unwrap();
    assert!(e.collection.is_none());
    let built = Role::new(None, "urn:globus:auth:identity:x", "access_manager");
    assert_eq!(
        serde_json::to_value(&built).unwrap(),
        json!({"DATA_TYPE": "role#1.0.0", "collection": null,
               "principal": "urn:globus:auth:identity:x", "role": "access_manager"})
    );
}

#[test]
fn user_credential_create_result() {
    let r: GcsResult<UserCredential> = decode("gcs_user_credential_create_result");
    assert_eq!(r.http_response_code, Some(201));
    assert_eq!(r.detail, json!("created"));
    let c = &r.data[0];
    assert_eq!(c.username.as_deref(), Some("testuser"));
    assert_eq!(
        c.storage_gateway_id.as_deref(),
        Some("82247cc9-3208-4d71-bd7f-1b8798c95e6b")
    );
    assert_eq!(c.invalid, Some(false));
    assert_eq!(c.provisioned, Some(false));
    assert!(c.is_usable());
    assert_eq!(
        c.policies.as_ref().unwrap()["DATA_TYPE"],
        json!("posix_user_credential_policies#1.0.0")
    );
    assert_round_trip_keeps_all::<GcsResult<UserCredential>>("gcs_user_credential_create_result");
}

#[test]
fn info_with_connector() {
    let r: GcsResult<Value> = decode("gcs_info");
    assert_eq!(r.data_type, "result#1.1.0");
    let info: Vec<Info> = r.items_of("info").unwrap();
    assert_eq!(info.len(), 1);
    assert_eq!(info[0].api_version.as_deref(), Some("1.29.0"));
    assert_eq!(
        info[0].client_id.as_deref(),
        Some("1405823f-0597-4a16-b296-46d4f0ae4b15")
    );
    assert_eq!(info[0].manager_version.as_deref(), Some("5.4.76-rc3"));
    let connectors: Vec<Connector> = r.items_of("connector").unwrap();
    assert_eq!(connectors[0].display_name.as_deref(), Some("POSIX"));
    assert_eq!(connectors[0].is_ha, Some(false));
    assert_round_trip_keeps_all::<GcsResult<Value>>("gcs_info");
}

#[test]
fn errors() {
    let e: GcsError = decode("gcs_error_permission_denied");
    assert!(!e.is_success());
    assert_eq!(e.code, "permission_denied");
    assert_eq!(e.http_response_code, Some(403));
    assert!(e.detail.is_null());
    assert_eq!(e.detail_data_type(), None);
    assert_eq!(e.marker.as_deref(), Some(""));
    assert_eq!(e.next_marker(), None);
    assert_round_trip_keeps_all::<GcsError>("gcs_error_permission_denied");

    let e: GcsError = decode("gcs_error_missing_role");
    assert_eq!(e.detail_data_type(), Some("missing_required_role"));
    assert_eq!(e.detail["roles"][0]["role"], json!("administrator"));
    assert!(e.marker.is_none());
}

#[test]
fn marker_pagination() {
    let page: GcsResult<Collection> = serde_json::from_value(json!({
        "DATA_TYPE": "result#1.0.0", "code": "success", "has_next_page": true, "marker": "m1",
        "data": [{"DATA_TYPE": "collection#1.4.0", "id": "a", "collection_type": "mapped"}]
    }))
    .unwrap();
    assert_eq!(page.next_marker(), Some("m1"));
    assert_eq!(page.data[0].data_type, "collection#1.4.0");
    assert_eq!(data_type_name(&page.data[0].data_type), "collection");
}
