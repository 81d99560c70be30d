//! The periodic access review (`accord access review`), the recertification NIST AC-2 asks
//! for: every holding on every resource with the chains granting it, and the findings a
//! reviewer looks at first (grants expiring soon, escalated levels, grants to everyone,
//! live grants the policy does not explain).
//!
//! A [`Review`] is built from one [`Answer`] to the question `review`
//! ([`Model::everything`](super::Model::everything)); what is an escalation is each
//! resource's service's to say (`ResourceDef::escalations`), so no service is named here.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::query::{Answer, Chain, Holding, Link};
use super::resource::Resource;
use crate::state::timestamp;

/// The status `--from live|both` gives a link no policy line declares.
const LIVE_ONLY: &str = "live only";

/// How far ahead `--expiring-within` looks: a duration people write (`30d`, `2w`, `12h`),
/// read by `humantime`. The one parser of such windows: `accord plan` and `accord access
/// review` both take theirs here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    /// How long.
    pub duration: Duration,
    /// As written.
    written: String,
}

/// Why a window could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{given}` is not a duration ({reason}): write a number and a unit, such as 30d, 2w or 12h"
)]
pub struct WindowError {
    /// What was written.
    pub given: String,
    /// What the parser said.
    pub reason: String,
}

impl std::str::FromStr for Window {
    type Err = WindowError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason: String| WindowError {
            given: s.to_string(),
            reason,
        };
        let d = humantime::parse_duration(s.trim()).map_err(|e| err(e.to_string()))?;
        // Past a thousand years a date overflows; nobody reviews that far ahead.
        if d > Duration::from_secs(1000 * 366 * 86_400) {
            return Err(err("longer than a thousand years".into()));
        }
        Ok(Window {
            duration: d,
            written: s.trim().to_string(),
        })
    }
}

impl Window {
    /// The window as a chrono duration and as written, the form the plan takes.
    pub fn to_chrono(&self) -> (chrono::Duration, String) {
        // A window is at most a thousand years (checked when read), which chrono holds.
        let d = chrono::Duration::from_std(self.duration).unwrap_or(chrono::Duration::MAX);
        (d, self.written.clone())
    }
}

impl std::fmt::Display for Window {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.written)
    }
}

/// The report of one access review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Review {
    /// Where it comes from: `policy`, `live` or `both`.
    pub from: String,
    /// The clock it was made at (RFC 3339).
    pub now: String,
    /// The window of `expiring`, as written (`30d`).
    pub expiring_within: String,
    /// The end of that window (RFC 3339).
    pub expiring_until: String,
    /// Counts of what follows.
    pub summary: Summary,
    /// Per resource, who holds what and through what.
    pub resources: Vec<ResourceReview>,
    /// Grants whose `expires` falls within the window, or has passed while still live.
    pub expiring: Vec<Finding>,
    /// Holdings at a level the resource's service calls an escalation (an admin, a manager,
    /// `rw`, …).
    pub escalated: Vec<Finding>,
    /// Holdings of everyone (`all_authenticated_users`, `anonymous`, `public`).
    pub everyone: Vec<Finding>,
    /// Live grants the policy does not explain; `null` from the policy alone, which cannot
    /// see them.
    pub unexplained: Option<Vec<Finding>>,
    /// What the reader must know to read the report right.
    pub notes: Vec<String>,
}

/// Counts of a review, for its head.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Summary {
    /// Resources with at least one holder.
    pub resources: usize,
    /// Distinct principals holding anything.
    pub principals: usize,
    /// Holdings: one per principal and resource.
    pub holdings: usize,
    /// Grants expiring within the window (or expired and still live).
    pub expiring: usize,
    /// Escalated holdings.
    pub escalated: usize,
    /// Holdings of everyone.
    pub everyone: usize,
    /// Live grants the policy does not explain; `null` from the policy alone.
    pub unexplained: Option<usize>,
}

/// Who holds what on one resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ResourceReview {
    /// The resource, canonical (`group:<name>`, `flow:<id>`, …).
    pub resource: String,
    /// The resource for people.
    pub label: String,
    /// Each holder, the highest levels first.
    pub holders: Vec<Holder>,
}

/// One principal's holding on one resource, in a review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Holder {
    /// The principal, canonical or as written (matched by spelling).
    pub principal: String,
    /// Its name for people, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The highest level any chain gives.
    pub level: String,
    /// Whether the principal stands for everyone.
    pub everyone: bool,
    /// Why the level is flagged, when its resource's service calls it an escalation
    /// (`admin`, `manager`, `rw`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalation: Option<String>,
    /// Since when it is held, where the service reports it; `null`: not reported.
    pub since: Option<String>,
    /// The earliest `expires` of its chains' links, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// Every chain granting it.
    pub chains: Vec<Chain>,
}

impl Holder {
    /// The principal for people: its label, else its key.
    pub fn who(&self) -> &str {
        self.label.as_deref().unwrap_or(&self.principal)
    }
}

/// One line of a findings list: a grant (for `expiring`, `unexplained`) or a holding (for
/// `escalated`, `everyone`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Finding {
    /// The principal, canonical or as written.
    pub principal: String,
    /// Its name for people, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The level.
    pub level: String,
    /// What it is on, canonical.
    pub resource: String,
    /// That resource for people.
    pub resource_label: String,
    /// Why it is listed, for people (`admin`, `expires in 15 days`, …).
    pub why: String,
    /// The policy line declaring the grant, or for a holding the lines of each chain's last
    /// link (`null`: live only).
    pub at: Option<String>,
    /// With `--from live` or `both`: the grant's status (`live`, `live only`,
    /// `system-managed`, …; for a holding, its first chain's last link's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The granting object's address (the first chain's last link for a holding).
    pub address: String,
    /// When it expires, if it does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// Other holdings that end with it (a membership expiring ends the group's access too),
    /// for people.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also_ends: Vec<String>,
}

impl Finding {
    /// The principal for people: its label, else its key.
    pub fn who(&self) -> &str {
        self.label.as_deref().unwrap_or(&self.principal)
    }

    /// Where it comes from, for people: its policy line and status, or `live only`.
    pub fn origin(&self) -> String {
        match (&self.at, &self.status) {
            (Some(at), Some(status)) => format!("{at}, {status}"),
            (Some(at), None) => at.clone(),
            (None, Some(status)) => status.clone(),
            (None, None) => LIVE_ONLY.into(),
        }
    }
}

/// The JSON Schema of `accord access review --format json`.
pub fn review_schema() -> serde_json::Value {
    let mut schema = schemars::schema_for!(Review);
    schema.insert("title".into(), "accord access review".into());
    schema.insert(
        "description".into(),
        "A periodic access review: every holding on every resource with the chains granting \
         it, grants expiring soon, escalated levels, grants to everyone and live grants the \
         policy does not explain, as printed by `accord access review --format json`."
            .into(),
    );
    schema.to_value()
}

/// The principal a chain's link `i` grants to: the holder for the first, the group the link
/// before it reaches for the others (a rule to `group:<name>`).
fn grantee<'a>(holding: &'a Holding, chain: &'a Chain, i: usize) -> (&'a str, Option<&'a str>) {
    match i.checked_sub(1) {
        None => (&holding.principal, holding.label.as_deref()),
        Some(before) => (&chain.links[before].to, None),
    }
}

/// A chain's links, each with its grantee.
fn links<'a>(
    holding: &'a Holding,
) -> impl Iterator<Item = (&'a str, Option<&'a str>, &'a Link)> + 'a {
    holding.chains.iter().flat_map(move |c| {
        c.links.iter().enumerate().map(move |(i, l)| {
            let (p, label) = grantee(holding, c, i);
            (p, label, l)
        })
    })
}

/// The level `holding` holds, when its resource's service calls it an escalation: the
/// reason, without the delta's "new " (`admin`, `rw`).
fn escalation(holding: &Holding) -> Option<String> {
    let resource: Resource = holding.resource.parse().ok()?;
    let e = resource.of.escalation(&holding.level)?.to_string();
    Some(e.strip_prefix("new ").unwrap_or(&e).to_string())
}

/// Days from `now` to `when`, for people.
fn days_left(now: DateTime<Utc>, when: DateTime<Utc>) -> String {
    let hours = (when - now).num_hours();
    match hours {
        ..=0 => "expires now".into(),
        1..=47 => format!("expires in {hours} hours"),
        _ => format!("expires in {} days", hours / 24),
    }
}

impl Review {
    /// The review of `answer` (question `review`) at `now`, with grants expiring within
    /// `window` listed.
    pub fn new(answer: Answer, now: DateTime<Utc>, window: &Window) -> Review {
        let until = now
            + chrono::Duration::from_std(window.duration)
                .unwrap_or_else(|_| chrono::Duration::zero());
        let mut by_resource: BTreeMap<Resource, Vec<Holder>> = BTreeMap::new();
        let mut labels: BTreeMap<String, String> = BTreeMap::new();
        let mut escalated = Vec::new();
        let mut everyone = Vec::new();
        // Per granting object: the finding, and the holdings ending with it.
        let mut expiring: BTreeMap<String, (Finding, BTreeSet<String>)> = BTreeMap::new();
        let mut unexplained: BTreeMap<String, Finding> = BTreeMap::new();
        let from = answer.from;
        let mut notes = answer.notes;
        for h in answer.holdings {
            let Ok(resource) = h.resource.parse::<Resource>() else {
                continue;
            };
            labels.insert(h.resource.clone(), h.resource_label.clone());
            let esc = escalation(&h);
            let since = held_since(&h);
            let expires = links(&h).filter_map(|(_, _, l)| l.expires.clone()).min();
            let first = &h.chains[0];
            let last = first.links.last().expect("a chain has a link");
            // The policy lines granting the level: the last link of each chain reaching it.
            let lines: Vec<&str> = h
                .chains
                .iter()
                .filter(|c| c.level == h.level)
                .filter_map(|c| c.links.last()?.at.as_deref())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            let of_holding = |why: String| Finding {
                principal: h.principal.clone(),
                label: h.label.clone(),
                level: h.level.clone(),
                resource: h.resource.clone(),
                resource_label: h.resource_label.clone(),
                why,
                at: (!lines.is_empty()).then(|| lines.join(", ")),
                status: last.status.clone(),
                address: last.address.clone(),
                expires: expires.clone(),
                also_ends: Vec::new(),
            };
            if let Some(why) = &esc {
                escalated.push(of_holding(why.clone()));
            }
            if h.everyone {
                everyone.push(of_holding("everyone".into()));
            }
            for (principal, label, l) in links(&h) {
                let grant = |why: String| Finding {
                    principal: principal.to_string(),
                    label: label.map(str::to_string),
                    level: l.level.clone(),
                    resource: l.to.clone(),
                    resource_label: l.label.clone(),
                    why,
                    at: l.at.clone(),
                    status: l.status.clone(),
                    address: l.address.clone(),
                    expires: l.expires.clone(),
                    also_ends: Vec::new(),
                };
                if let Some(when) = l.expires.as_deref().and_then(parse_time)
                    && (l.expired || when <= until)
                {
                    let why = if l.expired || when <= now {
                        "expired, still live".to_string()
                    } else {
                        days_left(now, when)
                    };
                    let entry = expiring
                        .entry(l.address.clone())
                        .or_insert_with(|| (grant(why), BTreeSet::new()));
                    if h.resource != l.to {
                        entry.1.insert(format!("{}: {}", h_who(&h), h.phrase));
                    }
                }
                if l.status.as_deref() == Some(LIVE_ONLY) && l.implied_by.is_none() {
                    unexplained
                        .entry(l.address.clone())
                        .or_insert_with(|| grant("not in the policy".into()));
                }
            }
            // Moved, not copied: a review of a hundred thousand objects holds millions of links.
            let holder = Holder {
                principal: h.principal,
                label: h.label,
                level: h.level,
                everyone: h.everyone,
                escalation: esc,
                since,
                expires,
                chains: h.chains,
            };
            by_resource.entry(resource).or_default().push(holder);
        }
        let resources: Vec<ResourceReview> = by_resource
            .into_iter()
            .map(|(r, mut holders)| {
                holders.sort_by_cached_key(|h| {
                    let rank = h.chains.iter().map(|c| c.rank).max().unwrap_or(0);
                    (
                        h.everyone,
                        std::cmp::Reverse(rank),
                        h.who().to_string(),
                        h.principal.clone(),
                    )
                });
                let resource = r.to_string();
                ResourceReview {
                    label: labels.get(&resource).cloned().unwrap_or_else(|| r.label()),
                    resource,
                    holders,
                }
            })
            .collect();
        let mut expiring: Vec<Finding> = expiring
            .into_values()
            .map(|(mut f, ends)| {
                f.also_ends = ends.into_iter().collect();
                f
            })
            .collect();
        expiring.sort_by(|a, b| {
            (&a.expires, a.who(), &a.resource).cmp(&(&b.expires, b.who(), &b.resource))
        });
        let by_who = |a: &Finding, b: &Finding| {
            (a.who(), &a.resource_label, &a.resource).cmp(&(
                b.who(),
                &b.resource_label,
                &b.resource,
            ))
        };
        escalated.sort_by(by_who);
        everyone.sort_by(by_who);
        let unexplained = (from != "policy").then(|| {
            let mut u: Vec<Finding> = unexplained.into_values().collect();
            u.sort_by(by_who);
            u
        });
        let principals: BTreeSet<&str> = resources
            .iter()
            .flat_map(|r| &r.holders)
            .map(|h| h.principal.as_str())
            .collect();
        let holdings = resources.iter().map(|r| r.holders.len()).sum();
        let summary = Summary {
            resources: resources.len(),
            principals: principals.len(),
            holdings,
            expiring: expiring.len(),
            escalated: escalated.len(),
            everyone: everyone.len(),
            unexplained: unexplained.as_ref().map(Vec::len),
        };
        let dated = resources
            .iter()
            .flat_map(|r| &r.holders)
            .any(|h| h.since.is_some());
        notes.push(if dated {
            "since when a grant is held: where its service reports it (such as a rule's creation \
             time) and every link of a chain is dated; otherwise not reported"
                .into()
        } else {
            "since when a grant is held: not reported by the service for any resource here".into()
        });
        Review {
            from,
            now: timestamp(&now),
            expiring_within: window.to_string(),
            expiring_until: timestamp(&until),
            summary,
            resources,
            expiring,
            escalated,
            everyone,
            unexplained,
            notes,
        }
    }
}

/// The holder of a holding for people.
fn h_who(h: &Holding) -> &str {
    h.label.as_deref().unwrap_or(&h.principal)
}

/// An RFC 3339 time.
fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Since when a holding has been held: the earliest of its chains', a chain dated by its
/// latest link when every link is dated.
fn held_since(h: &Holding) -> Option<String> {
    h.chains
        .iter()
        .filter_map(|c| {
            let dates: Option<Vec<&String>> = c.links.iter().map(|l| l.since.as_ref()).collect();
            dates?.into_iter().max().cloned()
        })
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_read_as_people_write_them() {
        let w: Window = "30d".parse().unwrap();
        assert_eq!(w.duration, Duration::from_secs(30 * 86_400));
        assert_eq!(w.to_string(), "30d");
        assert_eq!(
            "2w".parse::<Window>().unwrap().duration.as_secs(),
            14 * 86_400
        );
        assert_eq!(
            "12h".parse::<Window>().unwrap().duration.as_secs(),
            12 * 3600
        );
        for bad in ["", "30", "3x", "-1d", "thirty days", "99999999y"] {
            let e = bad.parse::<Window>().unwrap_err();
            assert!(e.to_string().contains("such as 30d"), "{bad}: {e}");
        }
    }

    #[test]
    fn the_plan_reads_its_window_here_too() {
        // The forms `accord plan --expiring-within` documents, as chrono durations.
        for (text, want) in [
            ("30m", chrono::Duration::minutes(30)),
            ("36h", chrono::Duration::hours(36)),
            ("7d", chrono::Duration::days(7)),
            ("2w", chrono::Duration::weeks(2)),
            ("1d 12h", chrono::Duration::hours(36)),
        ] {
            let w: Window = text.parse().unwrap();
            assert_eq!(w.to_chrono(), (want, text.to_string()), "{text}");
        }
    }

    #[test]
    fn days_left_reads_for_people() {
        let now = parse_time("2026-06-15T00:00:00Z").unwrap();
        let at = |s| parse_time(s).unwrap();
        assert_eq!(
            days_left(now, at("2026-06-30T00:00:00Z")),
            "expires in 15 days"
        );
        assert_eq!(
            days_left(now, at("2026-06-15T05:00:00Z")),
            "expires in 5 hours"
        );
        assert_eq!(days_left(now, now), "expires now");
    }
}
