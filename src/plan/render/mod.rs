//! Rendering plans for people (text, markdown) and programs (JSON), and the plan JSON Schema.
//!
//! Every renderer starts from [`redact`]ed data so that a sensitive field can never leak
//! through one output format that was forgotten. Text and markdown share the line model
//! built here ([`ChangeLine`]) so that both always describe a change the same way; its texts
//! come from policy files and live services, so they are escaped here ([`shown`]), once for
//! both, and a name can neither act on a terminal nor forge a line.

mod json;
mod markdown;
mod text;

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde_json::Value;
use uuid::Uuid;

use super::access::{AccessDelta, AccessEntry, Escalation};
use super::change::{Action, Change, Direction};
use super::model::{AccessSummary, Plan};
use crate::escape::escape_line;
use crate::state::{Address, FieldMode, Kind, Object, Principal, Provenance};

pub use json::{json, json_string, plan_schema, write_json};
pub use markdown::{COMMENT_BUDGET, markdown, markdown_fitting, markdown_within};
pub use markdown::{code as markdown_code, text as markdown_text};
pub use text::text;

/// What every sensitive attribute value is replaced with in plans, renderings and plan files.
pub const REDACTED: &str = "(sensitive)";

/// How many items of an access list are shown before "… and N more" (unless verbose).
const ACCESS_ITEMS_SHOWN: usize = 5;

/// How many non-escalating gains (and, separately, losses) of the access delta are listed
/// before "… and N more" (unless verbose). Escalations are always listed.
const DELTA_ITEMS_SHOWN: usize = 10;

/// Options shared by the human renderers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RenderOptions {
    /// Emit ANSI colours (off for `--no-color`, `NO_COLOR` and non-terminals).
    pub color: bool,
    /// Show every attribute of created objects and each change's canonical address.
    pub verbose: bool,
}

/// The Terraform-style counts of a plan: a replace counts as one add and one remove.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Creates and replaces.
    pub add: usize,
    /// Updates in place.
    pub change: usize,
    /// Deletes and replaces.
    pub remove: usize,
}

impl Counts {
    /// Counts the changes of a plan.
    pub fn of(plan: &Plan) -> Counts {
        let mut c = Counts::default();
        for ch in &plan.changes {
            c.count(ch.action);
        }
        c
    }

    /// Counts one change: a replace is one to add and one to remove.
    pub fn count(&mut self, action: Action) {
        match action {
            Action::Create => self.add += 1,
            Action::Update => self.change += 1,
            Action::Replace => {
                self.add += 1;
                self.remove += 1;
            }
            Action::Delete => self.remove += 1,
        }
    }

    /// `Plan: X to add, Y to change, Z to remove.`
    pub fn summary(&self) -> String {
        format!(
            "Plan: {} to add, {} to change, {} to remove.",
            self.add, self.change, self.remove
        )
    }
}

/// A copy of the plan with the value of every `Sensitive` field replaced by [`REDACTED`],
/// in objects and field changes alike. Every renderer and the plan-file writer use it.
///
/// It also makes every policy path valid UTF-8 (lossily), so that serialising the result
/// cannot fail: JSON has no way to carry a non-UTF-8 path.
pub fn redact(plan: &Plan) -> Cow<'_, Plan> {
    // Only the changes and blocked grants carry values and paths; the rest (live-check
    // fingerprints of every live object, at scale) is not copied unless it must be.
    let mut changes = plan.changes.clone();
    for change in &mut changes {
        let kind = change.address.kind;
        lossy_path(&mut change.provenance);
        for object in [&mut change.before, &mut change.after]
            .into_iter()
            .flatten()
        {
            redact_object(object);
            lossy_path(&mut object.provenance);
        }
        for field in &mut change.fields {
            if is_sensitive(kind, &field.name) {
                redact_value(&mut field.before);
                redact_value(&mut field.after);
            }
        }
    }
    let mut blocked = plan.blocked.clone();
    for b in &mut blocked {
        lossy_path(&mut b.provenance);
    }
    if changes == plan.changes && blocked == plan.blocked {
        return Cow::Borrowed(plan);
    }
    let mut out = plan.clone();
    out.changes = changes;
    out.blocked = blocked;
    Cow::Owned(out)
}

fn lossy_path(provenance: &mut Option<Provenance>) {
    if let Some(p) = provenance
        && p.file.to_str().is_none()
    {
        p.file = std::path::Path::new(&*p.file.to_string_lossy()).into();
    }
}

fn is_sensitive(kind: Kind, field: &str) -> bool {
    kind.field(field)
        .is_some_and(|f| f.mode == FieldMode::Sensitive)
}

fn redact_object(object: &mut Object) {
    let kind = object.address.kind;
    for (name, value) in &mut object.attrs {
        if is_sensitive(kind, name) {
            redact_value(value);
        }
    }
}

/// Absent stays absent (`null`), so a plan still shows whether a secret is being set or removed.
fn redact_value(value: &mut Value) {
    if !value.is_null() {
        *value = Value::String(REDACTED.to_string());
    }
}

/// `8f3e2b1c…` for a UUID; anything else unchanged.
fn short_uuid(s: &str) -> Option<String> {
    Uuid::parse_str(s).ok().filter(|_| s.len() == 36)?;
    Some(format!("{}…", &s[..8]))
}

/// A key for people: a UUID (bare or after a `identity:`/`group:` prefix) shortened to 8 chars.
fn abbreviate_key(key: &str) -> String {
    if let Some(short) = short_uuid(key) {
        return short;
    }
    if let Some((prefix, rest)) = key.split_once(':')
        && let Some(short) = short_uuid(rest)
    {
        return format!("{prefix}:{short}");
    }
    key.to_string()
}

/// The display name of an address key: its label when the plan has one, else the abbreviated key.
fn display_key(key: &str, labels: &BTreeMap<String, String>) -> String {
    labels
        .get(key)
        .cloned()
        .unwrap_or_else(|| abbreviate_key(key))
}

/// A principal with its id beside its name (`alice (8f3e2b1c…)`), for memberships where
/// two people of one name must stay distinguishable.
fn principal_with_id(key: &str, labels: &BTreeMap<String, String>) -> String {
    match labels.get(key) {
        Some(label) => {
            let id = key.split_once(':').map_or(key, |(_, id)| id);
            match short_uuid(id) {
                Some(short) => format!("{label} ({short})"),
                None => label.clone(),
            }
        }
        None => abbreviate_key(key),
    }
}

/// The object a change acts on, for people: `globus.member lab-readers / alice (8f3e2b1c…)`.
pub fn change_label(change: &Change) -> String {
    object_label(
        &change.address,
        &change.labels,
        perms(change).as_deref(),
        true,
    )
}

/// The object a change acts on with the plan's principal names ([`Names`]): `alice`, or
/// `alice (8f3e2b1c9…)` only when two principals of the plan share that label.
fn named_change_label(change: &Change, labels: &BTreeMap<String, String>) -> String {
    object_label(&change.address, labels, perms(change).as_deref(), false)
}

/// The principals of a plan for people: each by its label, with the shortest id prefix (at
/// least 8 characters) that tells it apart when another principal of the plan has the same
/// label. Ids are never cut to look identical.
#[derive(Debug, Default)]
pub(crate) struct Names {
    shown: BTreeMap<String, String>,
}

impl Names {
    /// The names of every principal the plan's changes and access delta mention, labelled or
    /// not: an unlabelled one goes by its shortened key (`identity:8f3e2b1c…`), lengthened
    /// where two would look alike.
    pub(crate) fn of(plan: &Plan) -> Names {
        // Each principal once, with its label if any change or entry gives one.
        let mut labels: BTreeMap<&str, Option<&str>> = BTreeMap::new();
        fn note<'a>(
            labels: &mut BTreeMap<&'a str, Option<&'a str>>,
            key: &'a str,
            label: Option<&'a str>,
        ) {
            let slot = labels.entry(key).or_default();
            if slot.is_none() {
                *slot = label;
            }
        }
        for c in &plan.changes {
            for key in c.address.keys.iter() {
                if abbreviate_key(key) != *key {
                    note(&mut labels, key, c.labels.get(key).map(String::as_str));
                }
            }
            for (key, label) in &c.labels {
                note(&mut labels, key, Some(label));
            }
        }
        for e in plan
            .access_delta
            .gains
            .iter()
            .chain(&plan.access_delta.losses)
        {
            note(&mut labels, &e.principal, e.label.as_deref());
        }
        let mut by_shown: BTreeMap<String, Vec<(&str, bool)>> = BTreeMap::new();
        for (key, label) in labels {
            let shown = label.map_or_else(|| abbreviate_key(key), str::to_string);
            by_shown
                .entry(shown)
                .or_default()
                .push((key, label.is_some()));
        }
        let mut shown = BTreeMap::new();
        for (name, keys) in by_shown {
            if keys.len() == 1 {
                shown.insert(keys[0].0.to_string(), name);
                continue;
            }
            let ids: Vec<(&str, &str)> = keys
                .iter()
                .map(|(k, _)| k.split_once(':').unwrap_or(("", k)))
                .collect();
            for ((key, labelled), (kind, id)) in keys.iter().zip(&ids) {
                let needed = ids
                    .iter()
                    .filter(|(_, other)| other != id)
                    .map(|(_, other)| common_prefix(id, other) + 1)
                    .max()
                    .unwrap_or(0)
                    .max(8);
                let prefix = match id.char_indices().nth(needed) {
                    Some((at, _)) => format!("{}…", &id[..at]),
                    None => id.to_string(),
                };
                let name = match (labelled, kind.is_empty()) {
                    (true, _) => format!("{name} ({prefix})"),
                    (false, true) => prefix,
                    (false, false) => format!("{kind}:{prefix}"),
                };
                shown.insert(key.to_string(), name);
            }
        }
        Names { shown }
    }

    /// A change's labels with each principal, labelled or not, named as the plan names it.
    fn relabel(&self, change: &Change) -> BTreeMap<String, String> {
        change
            .labels
            .keys()
            .chain(change.address.keys.iter())
            .filter_map(|k| Some((k.clone(), self.shown.get(k)?.clone())))
            .collect()
    }

    /// The principal of an access entry for people.
    fn who(&self, e: &AccessEntry) -> String {
        self.shown
            .get(&e.principal)
            .cloned()
            .unwrap_or_else(|| e.who())
    }
}

/// How many leading characters two strings share.
fn common_prefix(a: &str, b: &str) -> usize {
    a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count()
}

/// The permissions of a rule, part of what it *is* for a reader, so they go in its label;
/// the desired value wins for updates, the live one for deletes.
fn perms(change: &Change) -> Option<String> {
    change
        .after
        .as_ref()
        .or(change.before.as_ref())
        .and_then(|o| o.attrs.get("permissions"))
        .and_then(|v| match v {
            Value::String(s) => Some(s.clone()),
            // A set of permission names.
            Value::Array(names) => Some(
                names
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            _ => None,
        })
}

/// Text from policy or live data as the human renderings show it: on one line, its control
/// characters escaped (`crate::escape`).
fn shown(s: &str) -> String {
    escape_line(s).into_owned()
}

/// [`entry_label`], [`shown`].
fn shown_entry(address: &Address, label: &str) -> String {
    shown(&entry_label(address, label))
}

/// The label of a kept, blocked or pending entry. The plan gives a display name (`alice`)
/// or a ready-made label; a display name is placed in the object's label, so the reader
/// sees which group or rule the entry is about, not only who.
pub fn entry_label(address: &Address, label: &str) -> String {
    if label.starts_with(&format!("{} ", address.kind.name())) {
        return label.to_string();
    }
    let mut labels = BTreeMap::new();
    // The principal is the last key that parses as one (a member's identity, a rule's
    // grantee); a label that merely repeats that key adds nothing.
    if let Some(key) = address
        .keys
        .iter()
        .rev()
        .find(|k| k.parse::<Principal>().is_ok())
        .filter(|k| !label.is_empty() && k.as_str() != label && address.to_string() != label)
    {
        labels.insert(key.clone(), label.to_string());
    }
    object_label(address, &labels, None, true)
}

/// An object for people; `ids` puts each labelled principal's short id beside its label.
fn object_label(
    a: &Address,
    labels: &BTreeMap<String, String>,
    perms: Option<&str>,
    ids: bool,
) -> String {
    let key = |i: usize| display_key(&a.keys[i], labels);
    let principal = |i: usize| {
        if ids {
            principal_with_id(&a.keys[i], labels)
        } else {
            display_key(&a.keys[i], labels)
        }
    };
    let body = a
        .kind
        .semantics()
        .label(a, &key, &principal, perms)
        .unwrap_or_else(|| {
            a.keys
                .iter()
                .map(|k| display_key(k, labels))
                .collect::<Vec<_>>()
                .join(" ")
        });
    format!("{} {}", a.kind.name(), body)
}

/// The sign of an action, as in Terraform.
fn sign(action: Action) -> &'static str {
    match action {
        Action::Create => "+",
        Action::Update => "~",
        Action::Replace => "-/+",
        Action::Delete => "-",
    }
}

/// Whether a change takes something away, as the rails count it.
fn is_removal(change: &Change) -> bool {
    matches!(change.action, Action::Delete | Action::Replace)
        || change.direction == Direction::Revoke
}

/// Whether a violation's container or object covers this address. A violation without an
/// address (a plan-wide rail such as `max_deletes`) covers every address. Containers are
/// matched by a proper key prefix across kinds, because a container (a group, a collection)
/// is usually a different kind from the objects it holds; a proper prefix keeps a sibling
/// of the same arity (a collection's credential) from matching the collection.
pub(crate) fn covers(violation_address: Option<&Address>, address: &Address) -> bool {
    match violation_address {
        None => true,
        Some(v) => {
            v == address
                || address.container().as_ref() == Some(v)
                || (v.keys.len() < address.keys.len() && address.keys.starts_with(&v.keys))
        }
    }
}

/// The rails (by index into `plan.violations`) that concern one change.
fn concerned_by(plan: &Plan, change: &Change) -> Vec<usize> {
    if !is_removal(change) {
        return Vec::new();
    }
    plan.violations
        .iter()
        .enumerate()
        .filter(|(_, v)| covers(v.address.as_ref(), &change.address))
        .map(|(i, _)| i)
        .collect()
}

/// One change, laid out for people; shared by the text and markdown renderers.
#[derive(Debug, Clone)]
struct ChangeLine {
    action: Action,
    /// `+`, `~`, `-/+` or `-`.
    sign: &'static str,
    /// The object, for people.
    label: String,
    /// The policy `file:line` (creates, updates, replaces) or the reason (deletes).
    note: String,
    /// Indented detail lines: changed or notable fields, the replace warning, the address.
    details: Vec<String>,
    /// Whether a safety rail that refuses the plan concerns this change.
    refused: bool,
}

/// An override in force, for people: `max_deletes up to 40 until 2026-12-15T00:00:00Z
/// (accord.yaml:12): migrating the lab`, or `max_deletes up to 40 (--allow-deletes)`.
pub(crate) fn override_phrase(o: &crate::plan::OverrideInForce) -> String {
    let limit = if o.rail == "max_delete_share" {
        format!("{}%", o.up_to * 100.0)
    } else {
        o.up_to.to_string()
    };
    let mut s = format!("{} up to {limit}", o.rail);
    if let Some(until) = o.until {
        s.push_str(&format!(" until {}", crate::state::timestamp(&until)));
    }
    match &o.source {
        Some(source) => s.push_str(&format!(" ({source}): {}", o.reason)),
        None => s.push_str(&format!(" ({})", o.reason)),
    }
    s
}

/// Each change's label as the plan's renderings show it, its principals named by the plan
/// ([`Names`]): `globus.member lab-admins / bob`.
pub fn change_labels(plan: &Plan) -> Vec<String> {
    change_lines(plan, false)
        .into_iter()
        .map(|l| l.label)
        .collect()
}

fn change_lines(plan: &Plan, verbose: bool) -> Vec<ChangeLine> {
    let names = Names::of(plan);
    plan.changes
        .iter()
        .map(|c| {
            let labels = names.relabel(c);
            ChangeLine {
                action: c.action,
                sign: sign(c.action),
                label: shown(&named_change_label(c, &labels)),
                note: shown(&note(c)),
                details: details(c, &labels, verbose)
                    .iter()
                    .map(|d| shown(d))
                    .collect(),
                refused: !concerned_by(plan, c).is_empty(),
            }
        })
        .collect()
}

fn note(change: &Change) -> String {
    let provenance = change.provenance.as_ref().map(ToString::to_string);
    match change.action {
        Action::Delete if !change.reason.is_empty() => change.reason.clone(),
        Action::Delete => "not in policy".to_string(),
        _ => provenance.unwrap_or_else(|| change.reason.clone()),
    }
}

fn details(change: &Change, labels: &BTreeMap<String, String>, verbose: bool) -> Vec<String> {
    let kind = change.address.kind;
    let mut out = Vec::new();
    match change.action {
        Action::Update | Action::Replace => {
            for f in &change.fields {
                let mut line = format!(
                    "{}: {} → {}",
                    f.name,
                    format_value(kind, &f.name, &f.before, labels),
                    format_value(kind, &f.name, &f.after, labels)
                );
                if change.action == Action::Replace
                    && kind.field(&f.name).map(|s| s.mode) == Some(FieldMode::ForceReplace)
                {
                    line.push_str(" (forces replacement)");
                }
                out.push(line);
            }
            if change.action == Action::Replace {
                out.push("replaced: deleted, then created again; access is briefly absent".into());
            }
        }
        Action::Create => {
            if let Some(after) = &change.after {
                // Schema order (the order people think of a kind's fields in), then any
                // field the schema does not declare, by name.
                let position = |name: &str| {
                    kind.fields()
                        .iter()
                        .position(|f| f.name == name)
                        .unwrap_or(usize::MAX)
                };
                let mut attrs: Vec<_> = after.attrs.iter().collect();
                attrs.sort_by_key(|(name, _)| (position(name), name.as_str()));
                for (name, value) in attrs {
                    if value.is_null() {
                        continue;
                    }
                    if verbose || is_notable(kind, name, value) {
                        out.push(format!(
                            "{name}: {}",
                            format_value(kind, name, value, labels)
                        ));
                    }
                }
            }
        }
        Action::Delete => {}
    }
    if verbose {
        out.push(format!("address: {}", change.address));
    }
    out
}

/// The fields worth a line on a create without `--verbose`: an expiry, and access above the
/// lowest level (a new admin must stand out). Permissions of a rule are already in its label.
fn is_notable(kind: Kind, name: &str, value: &Value) -> bool {
    if name == "expires" {
        return true;
    }
    if kind.semantics().in_label(name) {
        return false;
    }
    match (kind.field(name), value.as_str()) {
        (Some(spec), Some(v)) => spec.access_order.first().is_some_and(|lowest| *lowest != v),
        _ => false,
    }
}

/// A value for people: levels, timestamps, ids and paths bare; free text quoted; absent as
/// `(none)`; lists and maps of principals by their labels (`[ivy, group:team-g]`).
pub(crate) fn format_value(
    kind: Kind,
    name: &str,
    value: &Value,
    labels: &BTreeMap<String, String>,
) -> String {
    let item = |v: &Value| match v {
        Value::String(s) if s.parse::<Principal>().is_ok() => {
            labels.get(s).cloned().unwrap_or_else(|| abbreviate_key(s))
        }
        other => format_value(kind, name, other, labels),
    };
    match value {
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(item).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(map) if map.values().all(Value::is_array) => format!(
            "{{{}}}",
            map.iter()
                .map(|(k, v)| format!("{k}: {}", format_value(kind, name, v, labels)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Null => "(none)".to_string(),
        Value::String(s) => {
            let bare = s == REDACTED
                || kind
                    .field(name)
                    .is_some_and(|f| f.access_order.contains(&s.as_str()))
                || chrono::DateTime::parse_from_rfc3339(s).is_ok()
                || Uuid::parse_str(s).is_ok()
                || (s.starts_with('/') && !s.contains(char::is_whitespace));
            if bare {
                s.clone()
            } else {
                Value::String(s.clone()).to_string()
            }
        }
        other => other.to_string(),
    }
}

/// `+N grants, K escalations (…), −M revocations (…)`, or `None` when access is untouched.
fn access_summary(access: &AccessSummary, verbose: bool) -> Option<String> {
    if access.grants.is_empty() && access.escalations.is_empty() && access.revocations.is_empty() {
        return None;
    }
    let part = |prefix: &str, n: usize, noun: &str, items: &[String], list: bool| {
        let mut s = format!("{prefix}{n} {noun}{}", if n == 1 { "" } else { "s" });
        if list && !items.is_empty() {
            s.push_str(&format!(" ({})", list_items(items, verbose)));
        }
        s
    };
    let summary = format!(
        "{}, {}, {}",
        part("+", access.grants.len(), "grant", &access.grants, false),
        part(
            "",
            access.escalations.len(),
            "escalation",
            &access.escalations,
            true
        ),
        part(
            "−",
            access.revocations.len(),
            "revocation",
            &access.revocations,
            true
        ),
    );
    Some(shown(&summary))
}

fn list_items(items: &[String], verbose: bool) -> String {
    if verbose || items.len() <= ACCESS_ITEMS_SHOWN {
        return items.join(", ");
    }
    format!(
        "{}, … and {} more",
        items[..ACCESS_ITEMS_SHOWN].join(", "),
        items.len() - ACCESS_ITEMS_SHOWN
    )
}

/// One entry of the access delta, laid out for people; shared by the text and markdown
/// renderers so that both phrase a gain or a loss the same way.
#[derive(Debug, Clone)]
struct DeltaLine {
    /// A gain (else a loss).
    gain: bool,
    /// `+` or `−`.
    sign: &'static str,
    /// The principal for people.
    who: String,
    /// `alice gains rw on e56c36e4… /shared/ (via group:lab-readers)`.
    sentence: String,
    /// `r → rw`, `none → r`, `rw → none`.
    levels: String,
    /// The resource for people.
    resource: String,
    /// `direct`, `group:lab-readers`, `direct and group:lab-readers`.
    via: String,
    /// Why a gain is an escalation.
    escalation: Option<Escalation>,
}

/// The delta's lines, gains then losses, each list capped unless verbose, with the number of
/// entries left out. Escalations come first in each list and are never left out.
fn delta_lines(delta: &AccessDelta, names: &Names, verbose: bool) -> (Vec<DeltaLine>, usize) {
    let mut lines = Vec::new();
    let mut hidden = 0;
    for (gain, entries) in [(true, &delta.gains), (false, &delta.losses)] {
        let mut others = 0;
        for e in entries {
            if e.escalation.is_none() {
                others += 1;
                if !verbose && others > DELTA_ITEMS_SHOWN {
                    hidden += 1;
                    continue;
                }
            }
            lines.push(delta_line(e, names, gain));
        }
    }
    (lines, hidden)
}

fn delta_line(e: &AccessEntry, names: &Names, gain: bool) -> DeltaLine {
    let level = |l: &Option<String>| l.clone().unwrap_or_else(|| "none".to_string());
    let groups: Vec<&str> = e
        .via
        .iter()
        .map(String::as_str)
        .filter(|v| *v != "direct")
        .collect();
    let direct = e.via.iter().any(|v| v == "direct");
    let via_note = match (direct, groups.is_empty()) {
        (_, true) => None,
        (false, false) => Some(format!("via {}", groups.join(", "))),
        (true, false) => Some(format!("directly and via {}", groups.join(", "))),
    };
    let who = names.who(e);
    let (verb, changed, other) = if gain {
        (
            "gains",
            &e.after,
            e.before.as_ref().map(|b| format!("was {b}")),
        )
    } else {
        (
            "loses",
            &e.before,
            e.after.as_ref().map(|a| format!("keeps {a}")),
        )
    };
    let notes: Vec<String> = other.into_iter().chain(via_note).collect();
    let mut sentence = format!("{who} {verb} {}", e.resource.phrase(&level(changed)));
    if !notes.is_empty() {
        sentence.push_str(&format!(" ({})", notes.join("; ")));
    }
    DeltaLine {
        gain,
        sign: if gain { "+" } else { "−" },
        who: shown(&who),
        sentence: shown(&sentence),
        levels: shown(&format!("{} → {}", level(&e.before), level(&e.after))),
        resource: shown(&e.resource.label()),
        via: shown(&e.via.join(" and ")),
        escalation: e.escalation,
    }
}

/// The text shown when a plan changes nothing.
const NO_CHANGES: &str = "No changes. The live state matches the policy.";

#[cfg(test)]
mod tests {
    use super::*;

    const ALICE: &str = "8f3e2b1c-4d5a-4e6f-9a0b-1c2d3e4f5a6b";

    #[test]
    fn abbreviates_uuids_only() {
        assert_eq!(abbreviate_key(ALICE), "8f3e2b1c…");
        assert_eq!(
            abbreviate_key(&format!("identity:{ALICE}")),
            "identity:8f3e2b1c…"
        );
        assert_eq!(abbreviate_key("group:lab-readers"), "group:lab-readers");
        assert_eq!(abbreviate_key("/disthome/"), "/disthome/");
    }
}
