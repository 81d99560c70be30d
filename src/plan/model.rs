//! The plan: ordered changes grouped into steps, plus what was kept, blocked or refused.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::access::AccessDelta;
use super::change::Change;
use crate::state::{Address, Provenance};

/// Bumped whenever the saved-plan or JSON layout changes incompatibly.
pub const FORMAT_VERSION: u32 = 1;

/// Which services a plan was made against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TargetInfo {
    /// The target's name in `accord.yaml`, or the emulator URL.
    pub name: String,
    /// `embedded`, `emulator` or `globus`.
    pub kind: String,
    /// Text shown on the plan's first line.
    pub description: String,
}

/// One node of the apply graph: one call (a single change or a batch).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Step {
    /// Indices into `Plan::changes`, sent together.
    pub changes: Vec<usize>,
    /// The batch key when several changes share one call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch: Option<String>,
    /// Indices into `Plan::steps` that must finish first.
    pub depends_on: Vec<usize>,
}

/// Access left in place because it is protected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Kept {
    /// The live object kept.
    pub address: Address,
    /// For people: who and what.
    pub label: String,
    /// Why it is protected (the running identity, `protect:`, the last admin).
    pub reason: String,
}

/// A grant the service will not carry out (the identity left the group, or disallows adds).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Blocked {
    /// The desired object.
    pub address: Address,
    /// For people: who and what.
    pub label: String,
    /// Why.
    pub reason: String,
    /// The policy line.
    pub provenance: Option<Provenance>,
}

/// A membership present but pending (invited or pending approval): not re-added.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Pending {
    /// The membership.
    pub address: Address,
    /// For people: who and where.
    pub label: String,
    /// `invited` or `pending`.
    pub status: String,
}

/// A grant whose `expires` falls within the window asked for (`--expiring-within`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Expiring {
    /// The grant.
    pub address: Address,
    /// For people: who and what.
    pub label: String,
    /// When it expires.
    pub expires: DateTime<Utc>,
    /// The policy line.
    pub provenance: Option<Provenance>,
}

/// A safety rail the plan breaks: the plan is refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Violation {
    /// `max_deletes`, `max_delete_share` or `prevent_destroy`.
    pub rail: String,
    /// For people.
    pub message: String,
    /// The container concerned (share rail, prevent_destroy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
}

/// The deletion limits a plan was checked against, and the overrides that raised them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RailsInForce {
    /// Most removals allowed in one plan.
    pub max_deletes: u32,
    /// Largest share of a container's live objects one plan may remove…
    pub max_delete_share: f64,
    /// …for containers holding at least this many.
    pub share_min_objects: u32,
    /// The overrides in force: unexpired `safety.allow` entries and `--allow-deletes`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub overrides: Vec<OverrideInForce>,
}

/// One override of a rail in force for a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct OverrideInForce {
    /// The rail it lifts: `max_deletes` or `max_delete_share`.
    pub rail: String,
    /// The limit it allows.
    pub up_to: f64,
    /// Why: the committed reason, or `--allow-deletes` for the flag.
    pub reason: String,
    /// The end of a committed override.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<DateTime<Utc>>,
    /// Where it is written (`accord.yaml:12`); `None` for the flag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// What a plan read live, so that applying it later can refuse if anything changed since.
///
/// Terraform's stale-plan check compares only its own state file, so an out-of-band change
/// slips through; this records the live objects themselves.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LiveChecks {
    /// A fingerprint of every live object inside an authoritative container (and of every
    /// managed top-level object), by address.
    pub objects: std::collections::BTreeMap<Address, Fingerprint>,
    /// The authoritative containers whose listings were read.
    pub containers: Vec<Address>,
    /// Addresses the plan creates: they were absent.
    pub absent: Vec<Address>,
}

/// The first 96 bits of the SHA-256 of a live object's canonical JSON (attributes and server
/// id), written as 24 hex digits. Held as bytes: a plan at scale holds tens of thousands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fingerprint(pub [u8; 12]);

impl Fingerprint {
    /// The fingerprint of a canonical serialisation.
    pub fn of(canonical: &[u8]) -> Self {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(canonical);
        let mut bytes = [0; 12];
        bytes.copy_from_slice(&digest[..12]);
        Fingerprint(bytes)
    }
}

impl std::fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl Serialize for Fingerprint {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Fingerprint {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        let mut bytes = [0; 12];
        hex::decode_to_slice(&text, &mut bytes).map_err(|e| {
            serde::de::Error::custom(format!("fingerprint `{text}` is not 24 hex digits: {e}"))
        })?;
        Ok(Fingerprint(bytes))
    }
}

impl schemars::JsonSchema for Fingerprint {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Fingerprint".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "96 bits of SHA-256 of a live object's canonical JSON, in hex",
            "pattern": "^[0-9a-f]{24}$"
        })
    }
}

/// Counts of direct access changes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AccessSummary {
    /// Grants (creates and widenings of access-bearing objects).
    pub grants: Vec<String>,
    /// Escalations among the grants (admin/manager roles, `rw`, grants to everyone).
    pub escalations: Vec<String>,
    /// Revocations (deletes and narrowings).
    pub revocations: Vec<String>,
}

/// A complete plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Plan {
    /// [`FORMAT_VERSION`] when written.
    pub format_version: u32,
    /// What it was made against.
    pub target: TargetInfo,
    /// Digest of every workspace file it was made from.
    pub workspace_digest: String,
    /// The workspace folder it was made from (absolute): recorded in saved plan files, so
    /// `accord apply FILE` finds it from any folder; absent from printed plans.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace: Option<String>,
    /// What the plan saw live, re-checked before a saved plan is applied.
    #[serde(default)]
    pub live_checks: LiveChecks,
    /// The clock used for expiry.
    pub now: DateTime<Utc>,
    /// Changes, in a valid apply order.
    pub changes: Vec<Change>,
    /// The apply graph.
    pub steps: Vec<Step>,
    /// Protected access left in place.
    #[serde(default)]
    pub kept: Vec<Kept>,
    /// Grants the service will not carry out.
    #[serde(default)]
    pub blocked: Vec<Blocked>,
    /// Memberships pending on the service.
    #[serde(default)]
    pub pending: Vec<Pending>,
    /// Grants expiring within `expiring_window` (asked for with `--expiring-within`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expiring: Vec<Expiring>,
    /// The window of `expiring`, as written (`7d`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiring_window: Option<String>,
    /// Rails broken: a plan with violations is refused.
    #[serde(default)]
    pub violations: Vec<Violation>,
    /// The rails the plan was checked against, with their overrides.
    #[serde(default)]
    pub rails: RailsInForce,
    /// Direct access changes.
    pub access: AccessSummary,
    /// Who gains and who loses effective access, through managed groups included.
    /// Absent from plans saved before it existed: read as empty.
    #[serde(default)]
    pub access_delta: AccessDelta,
}

impl Plan {
    /// Whether the plan changes nothing.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// Whether a rail refuses this plan.
    pub fn is_refused(&self) -> bool {
        !self.violations.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::Fingerprint;

    #[test]
    fn a_fingerprint_is_24_hex_digits_and_reads_back() {
        let f = Fingerprint::of(b"{}");
        let json = serde_json::to_string(&f).unwrap();
        assert_eq!(json, "\"44136fa355b3678a1146ad16\"");
        assert_eq!(serde_json::from_str::<Fingerprint>(&json).unwrap(), f);
        assert!(serde_json::from_str::<Fingerprint>("\"44136fa3\"").is_err());
        assert!(serde_json::from_str::<Fingerprint>("\"zz136fa355b3678a1146ad16\"").is_err());
    }
}
