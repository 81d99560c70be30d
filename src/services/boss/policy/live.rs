//! What the Boss refuses that only the live state shows: a tombstoned experiment or
//! collection that still holds live channels or experiments the policy does not tombstone
//! (400 4003), a `sources`/`related` name that is no channel of the experiment, declared or
//! live (400 1003), and a `default_time_sample` not below the experiment's number of time
//! samples (400 1003).

use serde_json::Value;

use super::checks::parent;
use super::{BossLevel, BossPolicy, BossResourcePolicy};
use crate::policy::Problem;
use crate::service::LiveRead;
use crate::state::Address;

/// The Boss's `num_time_samples` when an experiment is created without one.
const DEFAULT_TIME_SAMPLES: i64 = 1;

/// The problems of the merged `boss:`'s resources against the live read.
pub fn problems(boss: &BossPolicy, live: &LiveRead) -> Vec<Problem> {
    let attr = |path: &str, field: &str| {
        let address = Address::new(super::super::RESOURCE, [path.to_string()]);
        live.state.objects.get(&address)?.attrs.get(field).cloned()
    };
    let mut out = Vec::new();
    for r in boss.resources.values() {
        match r.level {
            BossLevel::Collection | BossLevel::Experiment if r.absent => {
                out.extend(still_holds(boss, r, attr(&r.path, children(r.level))));
            }
            BossLevel::Channel if !r.absent => {
                let experiment = parent(&r.path).unwrap_or_default();
                out.extend(unknown_links(boss, r, attr(experiment, "channels")));
                let samples = boss
                    .resources
                    .get(experiment)
                    .and_then(|e| e.fields.get("num_time_samples").map(|v| v.value.clone()))
                    .or_else(|| attr(experiment, "num_time_samples"));
                out.extend(time_sample(r, samples));
            }
            _ => {}
        }
    }
    out
}

/// The live attribute listing a level's children.
fn children(level: BossLevel) -> &'static str {
    match level {
        BossLevel::Collection => "experiments",
        _ => "channels",
    }
}

fn names(v: Option<Value>) -> Vec<String> {
    v.and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default()
}

/// A tombstoned collection or experiment whose live children are not all tombstoned.
fn still_holds(boss: &BossPolicy, r: &BossResourcePolicy, live: Option<Value>) -> Option<Problem> {
    let left: Vec<String> = names(live)
        .into_iter()
        .filter(|n| {
            !boss
                .resources
                .get(&format!("{}/{n}", r.path))
                .is_some_and(|c| c.absent)
        })
        .collect();
    if left.is_empty() {
        return None;
    }
    let level = r.level.word();
    let child = if r.level == BossLevel::Collection {
        "experiment"
    } else {
        "channel"
    };
    let list = left
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ");
    Some(
        Problem::at(
            &r.origin,
            format!(
                "Boss {level} `{}` is marked `absent: true` but still holds live {child}s {list}; the Boss deletes it only once it is empty (400 4003)",
                r.path
            ),
        )
        .help(format!(
            "declare each of them `absent: true` (with `prevent_destroy: false`) so the same plan deletes them first, or keep the {level}"
        )),
    )
}

/// `sources`/`related` names that are no channel of the experiment: neither declared (and
/// not tombstoned: validation reports those) nor live.
fn unknown_links(boss: &BossPolicy, r: &BossResourcePolicy, live: Option<Value>) -> Vec<Problem> {
    let experiment = parent(&r.path).unwrap_or_default();
    let live = names(live);
    let mut out = Vec::new();
    for (field, links) in &r.links {
        for n in links {
            let declared = boss
                .resources
                .contains_key(&format!("{experiment}/{}", n.value));
            if declared || live.contains(&n.value) || r.path.ends_with(&format!("/{}", n.value)) {
                continue;
            }
            out.push(
                Problem::at(
                    &n.origin,
                    format!(
                        "`{}` in `{field}` of Boss channel `{}` is no channel of experiment `{experiment}`, declared or live; the Boss refuses it (400 1003 Invalid channel name)",
                        n.value, r.path
                    ),
                )
                .help("name a channel of the same experiment, or declare it under the experiment's `channels:`"),
            );
        }
    }
    out
}

/// A `default_time_sample` not below the experiment's `num_time_samples` (the policy's, else
/// the live one, else the Boss's default of 1).
fn time_sample(r: &BossResourcePolicy, samples: Option<Value>) -> Option<Problem> {
    let dts = r.fields.get("default_time_sample")?;
    let n = samples
        .and_then(|v| v.as_i64())
        .unwrap_or(DEFAULT_TIME_SAMPLES);
    let v = dts.value.as_i64()?;
    (v >= n).then(|| {
        Problem::at(
            &dts.origin,
            format!(
                "`default_time_sample` {v} of Boss channel `{}` is not below the experiment's `num_time_samples` {n} (the Boss answers 400 1003)",
                r.path
            ),
        )
        .help("a channel's default time sample is one of its experiment's time samples: 0 to num_time_samples - 1")
    })
}
