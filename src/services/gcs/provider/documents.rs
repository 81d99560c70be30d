//! GCS documents as accord keeps them: result envelopes, normalised collection fields and
//! their document version, and the live objects of credentials and collections.

use serde_json::{Map, Value};

use crate::services::gcs::wire::{GcsResult, UserCredential};
use crate::state::{Address, Object};

use super::COLLECTION_FIELDS;

/// The lowest collection document version that carries each newer field (as the SDK picks).
const FIELD_VERSIONS: &[(&str, u32)] = &[
    ("user_message", 1),
    ("user_message_link", 1),
    ("enable_https", 1),
    ("force_verify", 4),
    ("acl_expiration_mins", 10),
    ("restrict_transfers_to_high_assurance", 12),
    ("skip_auto_delete", 13),
    ("activity_notification_policy", 14),
    ("associated_flow_policy", 15),
];

pub(super) fn str_field<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// The first item of a result envelope's `data` whose `DATA_TYPE` names `name`
/// (else the first item).
pub(super) fn first_item(body: &Value, name: &str) -> Option<Value> {
    let result: GcsResult<Value> = serde_json::from_value(body.clone()).ok()?;
    let picked = result
        .data
        .iter()
        .position(|d| {
            str_field(d, "DATA_TYPE")
                .is_some_and(|t| crate::services::gcs::wire::data_type_name(t) == name)
        })
        .unwrap_or(0);
    result.data.into_iter().nth(picked)
}

/// A value normalised as accord keeps it: base paths end in `/`, keyword lists are sorted.
pub(super) fn normalized(field: &str, v: &Value) -> Value {
    match (field, v) {
        ("collection_base_path", Value::String(p)) if !p.ends_with('/') => format!("{p}/").into(),
        ("keywords", Value::Array(items)) => {
            let mut items = items.clone();
            items.sort_by_key(|a| a.to_string());
            Value::Array(items)
        }
        _ => v.clone(),
    }
}

/// The document fields a desired collection sets (`null`s left out).
pub(super) fn document_fields(o: &Object) -> Map<String, Value> {
    o.attrs
        .iter()
        .filter(|(k, v)| COLLECTION_FIELDS.contains(&k.as_str()) && !v.is_null())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// The minor version of the collection document needed by these fields.
pub(super) fn document_version(fields: &Map<String, Value>) -> u32 {
    FIELD_VERSIONS
        .iter()
        .filter(|(f, _)| fields.contains_key(*f))
        .map(|(_, v)| *v)
        .max()
        .unwrap_or(0)
}

/// The live object of a user credential.
pub(super) fn credential_object(address: Address, c: &UserCredential) -> Object {
    let mut o = Object::new(address);
    for (field, value) in [
        ("identity_id", &c.identity_id),
        ("username", &c.username),
        ("display_name", &c.display_name),
    ] {
        if let Some(v) = value {
            o = o.with(field, v.clone());
        }
    }
    o.server_id = c.id.clone();
    o
}

/// The live object of a guest collection.
pub(super) fn collection_object(address: Address, doc: &Value) -> Object {
    let mut o = Object::new(address);
    for field in COLLECTION_FIELDS
        .iter()
        .chain(&["storage_gateway_id", "user_credential_id"])
    {
        if let Some(v) = doc.get(*field).filter(|v| !v.is_null()) {
            o = o.with(field, normalized(field, v));
        }
    }
    o.server_id = str_field(doc, "id").map(str::to_string);
    o
}
