//! Fault injection: errors, latency, 429s and dropped connections, per service, repeatable.

use serde::{Deserialize, Serialize};

/// Which service a fault rule applies to: every one (`all`, the default) or one by name.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub struct FaultTarget(Option<String>);

impl FaultTarget {
    /// Every service.
    pub const ALL: FaultTarget = FaultTarget(None);

    /// Only the service of this name (`groups`); the emulator refuses a name it does not serve.
    pub fn service(name: &str) -> FaultTarget {
        FaultTarget::from(name.to_string())
    }

    /// The service named, or `None` for every one.
    pub fn name(&self) -> Option<&str> {
        self.0.as_deref()
    }

    fn matches(&self, service: &str) -> bool {
        self.0.as_deref().is_none_or(|s| s == service)
    }
}

impl From<String> for FaultTarget {
    fn from(name: String) -> FaultTarget {
        FaultTarget((name != "all").then_some(name))
    }
}

impl From<FaultTarget> for String {
    fn from(t: FaultTarget) -> String {
        t.0.unwrap_or_else(|| "all".into())
    }
}

/// One fault rule, the body (or an item of the body) of `POST /_emulator/faults`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRule {
    /// A served service's name, or `all` (the default).
    #[serde(default)]
    pub service: FaultTarget,
    /// Probability (0..1) of answering `status` with the service's error body.
    #[serde(default)]
    pub error_rate: f64,
    /// Status of injected errors (default 503).
    #[serde(default = "default_status")]
    pub status: u16,
    /// Delay added before every matching request is handled.
    #[serde(default)]
    pub latency_ms: u64,
    /// Probability (0..1) of answering 429 with `Retry-After: retry_after`.
    #[serde(default)]
    pub rate_limit: f64,
    /// Seconds sent in `Retry-After` on injected 429s and 503s (default 1).
    #[serde(default = "default_retry_after")]
    pub retry_after: u64,
    /// Probability (0..1) of closing the connection without a complete response.
    #[serde(default)]
    pub drop_rate: f64,
    /// Seed of this rule's random generator: the same seed gives the same faults.
    #[serde(default)]
    pub seed: u64,
    /// Let the first N matching requests through untouched.
    #[serde(default)]
    pub after: u64,
    /// Inject at most N faults (latency excluded), then stop.
    #[serde(default)]
    pub count: Option<u64>,
    /// Only requests whose service-relative path contains this string.
    #[serde(default)]
    pub path_contains: Option<String>,
    /// Only requests with this HTTP method.
    #[serde(default)]
    pub method: Option<String>,
}

fn default_status() -> u16 {
    503
}

fn default_retry_after() -> u64 {
    1
}

impl Default for FaultRule {
    /// The rule an empty JSON object gives: every service, nothing injected.
    fn default() -> Self {
        serde_json::from_value(serde_json::json!({})).expect("every field has a default")
    }
}

impl FaultRule {
    /// Checks probabilities and status.
    pub fn validate(&self) -> Result<(), String> {
        for (name, p) in [
            ("error_rate", self.error_rate),
            ("rate_limit", self.rate_limit),
            ("drop_rate", self.drop_rate),
        ] {
            if !(0.0..=1.0).contains(&p) {
                return Err(format!("{name} must be between 0 and 1"));
            }
        }
        if self.error_rate + self.rate_limit + self.drop_rate > 1.0 + f64::EPSILON {
            return Err("error_rate + rate_limit + drop_rate must not exceed 1".into());
        }
        if !(400..=599).contains(&self.status) {
            return Err("status must be between 400 and 599".into());
        }
        Ok(())
    }
}

/// What the fault layer decided for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultAction {
    /// Handle the request normally.
    Pass,
    /// Answer with this status and the service's error body.
    Error {
        /// HTTP status.
        status: u16,
        /// `Retry-After` seconds, when sent.
        retry_after: Option<u64>,
    },
    /// Close the connection without a complete response.
    Drop,
}

/// SplitMix64: tiny, seedable and stable across versions, so a seed means the same faults
/// forever (a library RNG may change its stream between releases).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_f64(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A rule with its random generator and counters.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ActiveFault {
    /// The rule as posted.
    #[serde(flatten)]
    pub rule: FaultRule,
    /// Matching requests seen so far.
    pub seen: u64,
    /// Faults injected so far.
    pub injected: u64,
    #[serde(skip_serializing, default = "zero_rng")]
    rng: SplitMix64,
}

fn zero_rng() -> SplitMix64 {
    SplitMix64(0)
}

/// The active fault rules.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    rules: Vec<ActiveFault>,
}

impl Faults {
    /// Adds rules after the existing ones.
    pub fn add(&mut self, rules: Vec<FaultRule>) {
        self.rules.extend(rules.into_iter().map(|rule| ActiveFault {
            rng: SplitMix64(rule.seed),
            rule,
            seen: 0,
            injected: 0,
        }));
    }

    /// Removes every rule.
    pub fn clear(&mut self) {
        self.rules.clear();
    }

    /// The rules with their counters.
    pub fn list(&self) -> &[ActiveFault] {
        &self.rules
    }

    /// Decides the fate of one request: the total latency to add, and the first fault drawn.
    pub fn decide(&mut self, service: &str, method: &str, path: &str) -> (u64, FaultAction) {
        let mut latency = 0;
        let mut action = FaultAction::Pass;
        for f in &mut self.rules {
            let r = &f.rule;
            if !r.service.matches(service)
                || r.path_contains
                    .as_deref()
                    .is_some_and(|p| !path.contains(p))
                || r.method
                    .as_deref()
                    .is_some_and(|m| !m.eq_ignore_ascii_case(method))
            {
                continue;
            }
            f.seen += 1;
            if f.seen <= r.after {
                continue;
            }
            latency += r.latency_ms;
            if action != FaultAction::Pass || r.count.is_some_and(|c| f.injected >= c) {
                continue;
            }
            // One draw per request and rule keeps the sequence a pure function of the seed.
            let x = f.rng.next_f64();
            let drawn = if x < r.drop_rate {
                FaultAction::Drop
            } else if x < r.drop_rate + r.rate_limit {
                FaultAction::Error {
                    status: 429,
                    retry_after: Some(r.retry_after),
                }
            } else if x < r.drop_rate + r.rate_limit + r.error_rate {
                FaultAction::Error {
                    status: r.status,
                    retry_after: (r.status == 503).then_some(r.retry_after),
                }
            } else {
                FaultAction::Pass
            };
            if drawn != FaultAction::Pass {
                f.injected += 1;
                action = drawn;
            }
        }
        (latency, action)
    }
}

/// The body of `POST /_emulator/faults`: one rule, a list, or `{"rules": [...]}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum FaultBody {
    /// `{"rules": [...]}`.
    Wrapped {
        /// The rules.
        rules: Vec<FaultRule>,
    },
    /// `[...]`.
    List(Vec<FaultRule>),
    /// A single rule.
    One(FaultRule),
}

impl FaultBody {
    /// The rules of the body.
    pub fn into_rules(self) -> Vec<FaultRule> {
        match self {
            FaultBody::Wrapped { rules } | FaultBody::List(rules) => rules,
            FaultBody::One(r) => vec![r],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_rule_is_the_empty_json_rule_and_injects_nothing() {
        let d = FaultRule::default();
        assert_eq!((d.status, d.retry_after, d.count), (503, 1, None));
        assert_eq!((d.error_rate, d.rate_limit, d.drop_rate), (0.0, 0.0, 0.0));
        assert!(d.validate().is_ok());
    }
}
