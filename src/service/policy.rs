//! The policy half of the service contract: a service's section of the policy files.
// (Filled by the policy-sections work: parsing by top-level key, validation, model, compile.)

/// A service's part of the policy files.
pub trait ServicePolicy: Send + Sync {}
