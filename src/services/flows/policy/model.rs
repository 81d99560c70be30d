//! `flows:` merged and checked: what compilation reads (see `policy::model`).

use std::collections::BTreeMap;

use uuid::Uuid;

use crate::policy::{Located, Origin, PrincipalRef};

/// One flow: the role lists the policy manages, each exact.
#[derive(Debug, Clone)]
pub struct FlowPolicy {
    /// The flow id.
    pub id: Uuid,
    /// Where the flow's key is first written (files may merge).
    pub origin: Origin,
    /// The lists written, by field name: where each is written, and its principals.
    pub lists: BTreeMap<&'static str, Located<Vec<Located<PrincipalRef>>>>,
}
