//! Shared helpers of the golden tests: read a reference example from `tests/golden/`, decode
//! it with accord's wire types, and check the lenient-client contract (unknown fields kept,
//! every key surviving a round trip). Included with `#[path]` by `golden_*.rs`.
#![allow(dead_code)]

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// A reference example, as JSON.
pub fn golden(name: &str) -> Value {
    let path = format!("{}/tests/golden/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Decodes a golden file, and checks that the document survives a round trip with an
/// extra unknown field added at the top level (the lenient-client contract).
pub fn decode<T: DeserializeOwned + Serialize>(name: &str) -> T {
    let doc = golden(name);
    let value: T = serde_json::from_value(doc.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
    if let Value::Object(mut map) = doc {
        map.insert("x_future_field".into(), json!({"nested": [1, 2]}));
        let with_extra: T = serde_json::from_value(Value::Object(map))
            .unwrap_or_else(|e| panic!("{name} + unknown field: {e}"));
        let back = serde_json::to_value(&with_extra).unwrap();
        assert_eq!(
            back["x_future_field"],
            json!({"nested": [1, 2]}),
            "{name}: unknown field lost on re-serialisation"
        );
    }
    value
}

/// Every key of the golden document is present, with the same value, after a round trip.
pub fn assert_round_trip_keeps_all<T: DeserializeOwned + Serialize>(name: &str) {
    let doc = golden(name);
    let value: T = serde_json::from_value(doc.clone()).unwrap();
    let back = serde_json::to_value(&value).unwrap();
    assert_subset(&doc, &back, name);
}

pub fn assert_subset(expected: &Value, actual: &Value, at: &str) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, v) in e {
                let got = a
                    .get(k)
                    .unwrap_or_else(|| panic!("{at}.{k}: missing after round trip"));
                assert_subset(v, got, &format!("{at}.{k}"));
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            assert_eq!(e.len(), a.len(), "{at}: array length changed");
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                assert_subset(ev, av, &format!("{at}[{i}]"));
            }
        }
        // 4.0 and 4 are the same number to every client.
        (Value::Number(e), Value::Number(a)) => {
            assert_eq!(e.as_f64(), a.as_f64(), "{at}: number changed on round trip")
        }
        _ => assert_eq!(expected, actual, "{at}: value changed on round trip"),
    }
}

#[test]
fn the_golden_folder_has_examples() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden");
    assert!(std::fs::read_dir(dir).unwrap().count() >= 40);
}
