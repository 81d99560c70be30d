//! The kind semantics and access resources of flow role entries.
