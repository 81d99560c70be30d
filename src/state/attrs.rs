//! An object's attributes: a small map sorted by name.
//!
//! Objects carry one to a dozen attributes, and a plan holds a desired and a live copy of
//! every managed object (two hundred thousand at institution scale). A `BTreeMap` spends a
//! 600-byte node on even one entry; a sorted vector spends what the entries need. The API
//! is the subset of `BTreeMap`'s that accord uses, with the same meaning (ordered by name,
//! one value per name), and it serialises as the same JSON object.

use std::borrow::Borrow;
use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// Attribute name → value, sorted by name.
#[derive(Clone, Default, PartialEq)]
pub struct Attrs(Vec<(String, Value)>);

impl Attrs {
    /// No attributes.
    pub fn new() -> Self {
        Attrs(Vec::new())
    }

    fn position(&self, name: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.as_str().cmp(name))
    }

    /// The value of an attribute.
    pub fn get<Q: Borrow<str> + ?Sized>(&self, name: &Q) -> Option<&Value> {
        let i = self.position(name.borrow()).ok()?;
        Some(&self.0[i].1)
    }

    /// The value of an attribute, to change in place.
    pub fn get_mut(&mut self, name: &str) -> Option<&mut Value> {
        let i = self.position(name).ok()?;
        Some(&mut self.0[i].1)
    }

    /// Whether an attribute is set.
    pub fn contains_key(&self, name: &str) -> bool {
        self.position(name).is_ok()
    }

    /// Sets an attribute; returns the value it replaces.
    pub fn insert(&mut self, name: String, value: Value) -> Option<Value> {
        match self.position(&name) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, value)),
            Err(i) => {
                // Objects hold a few attributes: grow one at a time, not by doubling.
                if self.0.len() == self.0.capacity() {
                    self.0.reserve_exact(1);
                }
                self.0.insert(i, (name, value));
                None
            }
        }
    }

    /// Removes an attribute; returns its value.
    pub fn remove(&mut self, name: &str) -> Option<Value> {
        let i = self.position(name).ok()?;
        Some(self.0.remove(i).1)
    }

    /// The attributes in name order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&String, &Value)> + ExactSizeIterator {
        self.0.iter().map(|(k, v)| (k, v))
    }

    /// The attributes in name order, values changeable.
    pub fn iter_mut(
        &mut self,
    ) -> impl DoubleEndedIterator<Item = (&String, &mut Value)> + ExactSizeIterator {
        self.0.iter_mut().map(|(k, v)| (&*k, v))
    }

    /// The names, in order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &String> + ExactSizeIterator {
        self.0.iter().map(|(k, _)| k)
    }

    /// The values, in name order.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &Value> + ExactSizeIterator {
        self.0.iter().map(|(_, v)| v)
    }

    /// How many attributes are set.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether none is set.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Attrs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl std::ops::Index<&str> for Attrs {
    type Output = Value;

    /// The value of an attribute; panics when it is not set, as `BTreeMap` does.
    fn index(&self, name: &str) -> &Value {
        self.get(name)
            .unwrap_or_else(|| panic!("no attribute `{name}`"))
    }
}

impl Extend<(String, Value)> for Attrs {
    fn extend<I: IntoIterator<Item = (String, Value)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

impl FromIterator<(String, Value)> for Attrs {
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(iter: I) -> Self {
        let mut a = Attrs::new();
        a.extend(iter);
        a
    }
}

impl IntoIterator for Attrs {
    type Item = (String, Value);
    type IntoIter = std::vec::IntoIter<(String, Value)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a Attrs {
    type Item = (&'a String, &'a Value);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (String, Value)>,
        fn(&'a (String, Value)) -> (&'a String, &'a Value),
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

impl<'a> IntoIterator for &'a mut Attrs {
    type Item = (&'a String, &'a mut Value);
    type IntoIter = std::iter::Map<
        std::slice::IterMut<'a, (String, Value)>,
        fn(&'a mut (String, Value)) -> (&'a String, &'a mut Value),
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter_mut().map(|(k, v)| (&*k, v))
    }
}

impl Serialize for Attrs {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.len()))?;
        for (k, v) in self {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Attrs {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct AttrsVisitor;
        impl<'de> Visitor<'de> for AttrsVisitor {
            type Value = Attrs;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of attributes")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Attrs, A::Error> {
                let mut attrs = Attrs(Vec::with_capacity(access.size_hint().unwrap_or(0)));
                while let Some((k, v)) = access.next_entry::<String, Value>()? {
                    attrs.insert(k, v);
                }
                Ok(attrs)
            }
        }
        d.deserialize_map(AttrsVisitor)
    }
}

impl schemars::JsonSchema for Attrs {
    /// Inline, as the map it stands for: the published plan schema does not change.
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Attrs".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        <std::collections::BTreeMap<String, Value>>::json_schema(generator)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn behaves_as_a_sorted_map() {
        let mut a = Attrs::new();
        assert_eq!(a.insert("role".into(), json!("member")), None);
        a.insert("expires".into(), json!(null));
        assert_eq!(
            a.insert("role".into(), json!("admin")),
            Some(json!("member"))
        );
        assert_eq!(a.keys().collect::<Vec<_>>(), ["expires", "role"]);
        assert_eq!(a["role"], json!("admin"));
        assert!(a.contains_key("expires") && !a.contains_key("status"));
        a.extend([("status".to_string(), json!("active"))]);
        assert_eq!(a.remove("expires"), Some(json!(null)));
        assert_eq!(a.len(), 2);
        let text = serde_json::to_string(&a).unwrap();
        assert_eq!(text, r#"{"role":"admin","status":"active"}"#);
        assert_eq!(serde_json::from_str::<Attrs>(&text).unwrap(), a);
        // Unsorted input is sorted, and a repeated name keeps the last value, as a map does.
        let b: Attrs = serde_json::from_str(r#"{"z":1,"a":2,"z":3}"#).unwrap();
        assert_eq!(serde_json::to_string(&b).unwrap(), r#"{"a":2,"z":3}"#);
    }
}
