//! What a client needs to connect to an emulator (`GET /_emulator/connection`): each
//! service's part under its key, with its secret, which no log shows.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// Every service's part, by key (`null` where a service has nobody to run as).
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Connection(BTreeMap<String, Option<ConnectionPart>>);

impl Connection {
    /// Adds a service's part.
    pub fn insert(&mut self, key: &str, part: Option<ConnectionPart>) {
        self.0.insert(key.to_string(), part);
    }

    /// A service's part, read as the type that service gives it.
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        let part = self.0.get(key)?.as_ref()?;
        serde_json::from_value(Value::Object(part.doc.clone())).ok()
    }
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.0.iter()).finish()
    }
}

/// One service's part: a JSON object whose fields are shown, or secret and redacted from
/// its `Debug` form. A part read back from JSON shows nothing.
#[derive(Clone, Default, PartialEq)]
pub struct ConnectionPart {
    doc: Map<String, Value>,
    shown: Vec<String>,
}

impl ConnectionPart {
    /// An empty part.
    pub fn new() -> ConnectionPart {
        ConnectionPart::default()
    }

    /// Adds a field logs may show (a client id, a username).
    pub fn shown(mut self, key: &str, value: impl Into<Value>) -> ConnectionPart {
        self.doc.insert(key.to_string(), value.into());
        self.shown.push(key.to_string());
        self
    }

    /// Adds a secret field (a client secret, a token).
    pub fn secret(mut self, key: &str, value: impl Into<Value>) -> ConnectionPart {
        self.doc.insert(key.to_string(), value.into());
        self
    }
}

impl Serialize for ConnectionPart {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.doc.serialize(s)
    }
}

impl<'de> Deserialize<'de> for ConnectionPart {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(ConnectionPart {
            doc: Map::deserialize(d)?,
            shown: Vec::new(),
        })
    }
}

// The secrets stay out of every log and error.
impl std::fmt::Debug for ConnectionPart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut s = f.debug_struct("ConnectionPart");
        for (k, v) in &self.doc {
            if self.shown.contains(k) {
                s.field(k, v);
            } else {
                s.field(k, &"<redacted>");
            }
        }
        s.finish()
    }
}
