//! What every service's wire types share: unknown fields kept verbatim, and serde helpers
//! for fields whose form varies. Each service's documents are in its folder
//! (`services/<service>/wire.rs`), shared by its client and its emulator, so a document's
//! shape lives in exactly one place. Decoding is lenient on purpose: every
//! document the client reads keeps unknown fields in `extra` (they go back on a full
//! update) and optional fields default, so a new server-side field never breaks accord.

/// Unknown fields of a document, kept verbatim so they survive a round trip.
pub type Extra = serde_json::Map<String, serde_json::Value>;

/// Serde helpers for fields whose wire form varies between fixtures and the real service.
pub mod serde_helpers {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use serde_json::Value;

    /// Decodes an id that the service may send as a string or as a number (Transfer
    /// fixtures show integer `access_id`s; the real service sends UUID strings).
    pub fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        match Value::deserialize(d)? {
            Value::String(s) => Ok(s),
            Value::Number(n) => Ok(n.to_string()),
            other => Err(serde::de::Error::custom(format!(
                "expected a string or a number, found {other}"
            ))),
        }
    }

    /// Like [`string_or_number`], for a nullable id.
    pub fn opt_string_or_number<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<String>, D::Error> {
        match Value::deserialize(d)? {
            Value::Null => Ok(None),
            Value::String(s) => Ok(Some(s)),
            Value::Number(n) => Ok(Some(n.to_string())),
            other => Err(serde::de::Error::custom(format!(
                "expected a string, a number or null, found {other}"
            ))),
        }
    }

    /// A field that may be absent (`None`), explicitly null (`Some(None)`) or set.
    ///
    /// Use with `#[serde(default, skip_serializing_if = "Option::is_none", with = "double_option")]`:
    /// updates need the difference, since `null` clears a value and absence keeps it.
    pub mod double_option {
        use super::*;

        /// Serializes `Some(None)` as `null` and `Some(Some(v))` as `v`.
        pub fn serialize<T: Serialize, S: Serializer>(
            v: &Option<Option<T>>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            match v {
                Some(inner) => inner.serialize(s),
                None => s.serialize_none(),
            }
        }

        /// Deserializes a present field (null or a value) as `Some(..)`.
        pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
            d: D,
        ) -> Result<Option<Option<T>>, D::Error> {
            Option::<T>::deserialize(d).map(Some)
        }
    }
}
