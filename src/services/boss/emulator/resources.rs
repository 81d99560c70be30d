//! The Boss's resource routes: collections and experiments.

use super::*;

pub(super) fn readable(st: &BossState, user: &str, public: bool, perms: &Perms) -> bool {
    public || st.has_perm(user, perms, "read")
}

pub(super) fn list_collections(st: &mut BossState, req: &Req) -> Answer {
    if req.method != Method::GET {
        return Err(req.not_allowed());
    }
    let names: BTreeSet<String> = st
        .collections
        .values()
        .filter(|c| {
            c.doc.public || (c.to_be_deleted.is_none() && st.has_perm(req.caller, &c.perms, "read"))
        })
        .map(|c| c.doc.name.clone())
        .collect();
    json(
        StatusCode::OK,
        &CollectionList {
            collections: names.into_iter().collect(),
            ..CollectionList::default()
        },
    )
}

pub(super) fn collection_doc(
    st: &BossState,
    rec: &CollectionRec,
    filter_for: Option<&str>,
) -> Collection {
    let mut doc = rec.doc.clone();
    doc.experiments = rec
        .experiments
        .values()
        .filter(|e| e.to_be_deleted.is_none())
        .filter(|e| match filter_for {
            Some(u) => rec.doc.public || readable(st, u, e.doc.public, &e.perms),
            None => true,
        })
        .map(|e| e.doc.name.clone())
        .collect();
    doc
}

pub(super) fn experiment_doc(
    st: &BossState,
    rec: &ExperimentRec,
    filter_for: Option<&str>,
) -> Experiment {
    let mut doc = rec.doc.clone();
    doc.channels = rec
        .channels
        .values()
        .filter(|c| c.to_be_deleted.is_none())
        .filter(|c| match filter_for {
            Some(u) => rec.doc.public || readable(st, u, c.doc.public, &c.perms),
            None => true,
        })
        .map(|c| c.doc.name.clone())
        .collect();
    doc
}

pub(super) fn body_bool(b: &Map<String, Value>, k: &str) -> Result<Option<bool>, Failure> {
    match b.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(v)) => Ok(Some(*v)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(_) => Err(invalid_post(
            &refused::FIELD_TYPE,
            format!("{{'{k}': ['Must be a valid boolean.']}}"),
        )),
    }
}

/// An integer field; Django's `IntegerField` takes MySQL's signed 32-bit range.
pub(super) fn body_int(b: &Map<String, Value>, k: &str) -> Result<Option<i64>, Failure> {
    let n = match b.get(k) {
        None | Some(Value::Null) => return Ok(None),
        Some(v) => v
            .as_i64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            .ok_or_else(|| {
                invalid_post(
                    &refused::FIELD_TYPE,
                    format!("{{'{k}': ['A valid integer is required.']}}"),
                )
            })?,
    };
    let (bound, side) = if n > i64::from(i32::MAX) {
        (i32::MAX, "less")
    } else if n < i64::from(i32::MIN) {
        (i32::MIN, "greater")
    } else {
        return Ok(Some(n));
    };
    Err(invalid_post(
        &refused::OUT_OF_RANGE,
        format!("{{'{k}': ['Ensure this value is {side} than or equal to {bound}.']}}"),
    ))
}

pub(super) fn body_f64(b: &Map<String, Value>, k: &str) -> Result<Option<f64>, Failure> {
    match b.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_f64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            .map(Some)
            .ok_or_else(|| {
                invalid_post(
                    &refused::FIELD_TYPE,
                    format!("{{'{k}': ['A valid number is required.']}}"),
                )
            }),
    }
}

pub(super) fn body_description(b: &Map<String, Value>) -> Result<Option<String>, Failure> {
    match b.get("description") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.chars().count() <= 4096 => Ok(Some(s.clone())),
        Some(_) => Err(invalid_post(
            &refused::DESCRIPTION,
            "{'description': ['Ensure this field has no more than 4096 characters.']}",
        )),
    }
}

pub(super) fn one_of(
    b: &Map<String, Value>,
    k: &str,
    allowed: &[&str],
) -> Result<Option<String>, Failure> {
    match b.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if allowed.contains(&s.as_str()) => Ok(Some(s.clone())),
        Some(v) => Err(invalid_post(
            &refused::CHOICE,
            format!(
                "{{'{k}': ['{}' is not a valid choice.']}}",
                v.as_str().unwrap_or_default()
            ),
        )),
    }
}

pub(super) fn check_name(name: &str) -> Result<(), Failure> {
    if valid_resource_name(name) {
        Ok(())
    } else {
        Err(invalid_post(
            &refused::NAME,
            format!(
                "{{'name': ['Invalid name {name}: only letters, digits, _ and - are allowed.']}}"
            ),
        ))
    }
}

/// A rename in an update body, checked against `taken`.
pub(super) fn rename(
    b: &Map<String, Value>,
    current: &str,
    taken: impl Fn(&str) -> bool,
) -> Result<Option<String>, Failure> {
    match body_str(b, "name") {
        Some(n) if n != current => {
            check_name(n)?;
            if taken(n) {
                return Err(invalid_post(
                    &refused::EXISTS,
                    format!("{{'name': ['A resource with name {n} already exists.']}}"),
                ));
            }
            Ok(Some(n.to_string()))
        }
        _ => Ok(None),
    }
}

pub(super) fn readonly_fields(b: &Map<String, Value>, allowed: &[&str]) -> Result<(), Failure> {
    let bad: Vec<&String> = b
        .keys()
        .filter(|k| !allowed.contains(&k.as_str()))
        .collect();
    if bad.is_empty() {
        Ok(())
    } else {
        Err(invalid_post(
            &refused::READONLY,
            format!(
                "Cannot update the following readonly fields:{}",
                py_list(&bad)
            ),
        ))
    }
}

pub(super) fn live<'a, T>(
    rec: Option<&'a T>,
    deleted: impl Fn(&T) -> bool,
    name: &str,
) -> Result<&'a T, Failure> {
    match rec {
        None => Err(not_found(name)),
        Some(r) if deleted(r) => Err(marked_for_deletion()),
        Some(r) => Ok(r),
    }
}

pub(super) fn collection(st: &mut BossState, req: &Req, c: &str) -> Answer {
    let me = req.caller;
    let b = req.body;
    match *req.method {
        Method::GET => {
            let rec = live(st.collections.get(c), |r| r.to_be_deleted.is_some(), c)?;
            if !readable(st, me, rec.doc.public, &rec.perms) {
                return Err(missing_perm("read", c));
            }
            json(StatusCode::OK, &collection_doc(st, rec, Some(me)))
        }
        Method::POST => {
            req.require_role(st, "resource-manager")?;
            check_name(c)?;
            if st.collections.contains_key(c) {
                return Err(invalid_post(
                    &refused::EXISTS,
                    "{'name': ['collection with this name already exists.']}",
                ));
            }
            let rec = CollectionRec {
                doc: Collection {
                    name: c.to_string(),
                    public: body_bool(b, "public")?.unwrap_or(false),
                    description: body_description(b)?.unwrap_or_default(),
                    creator: me.to_string(),
                    ..Collection::default()
                },
                perms: creator_perms(me, false),
                to_be_deleted: None,
                experiments: BTreeMap::new(),
            };
            let doc = collection_doc(st, &rec, None);
            st.collections.insert(c.to_string(), rec);
            json(StatusCode::CREATED, &doc)
        }
        Method::PUT => {
            let rec = live(st.collections.get(c), |r| r.to_be_deleted.is_some(), c)?;
            if !st.has_perm(me, &rec.perms, "update") {
                return Err(missing_perm("update", c));
            }
            let new_name = rename(b, c, |n| st.collections.contains_key(n))?;
            let description = body_description(b)?;
            let public = body_bool(b, "public")?;
            let Some(mut rec) = st.collections.remove(c) else {
                return Err(not_found(c));
            };
            if let Some(d) = description {
                rec.doc.description = d;
            }
            if let Some(p) = public {
                rec.doc.public = p;
            }
            if let Some(n) = new_name {
                rec.doc.name = n;
                for e in rec.experiments.values_mut() {
                    e.doc.collection = rec.doc.name.clone();
                }
            }
            let doc = collection_doc(st, &rec, None);
            st.collections.insert(rec.doc.name.clone(), rec);
            json(StatusCode::OK, &doc)
        }
        Method::DELETE => {
            req.require_role(st, "resource-manager")?;
            let rec = live(st.collections.get(c), |r| r.to_be_deleted.is_some(), c)?;
            if !st.has_perm(me, &rec.perms, "delete") {
                return Err(missing_perm("delete", c));
            }
            if rec.experiments.values().any(|e| e.to_be_deleted.is_none()) {
                return Err(err(
                    &refused::HAS_EXPERIMENTS,
                    "Cannot delete the collection since it has experiments that reference it.",
                ));
            }
            if let Some(rec) = st.collections.get_mut(c) {
                rec.to_be_deleted = Some(fmt_time(req.now));
            }
            empty(StatusCode::NO_CONTENT)
        }
        _ => Err(req.not_allowed()),
    }
}

pub(super) fn list_experiments(st: &mut BossState, req: &Req, c: &str) -> Answer {
    if req.method != Method::GET {
        return Err(req.not_allowed());
    }
    let Some(col) = st.collections.get(c) else {
        // The real view raises an unhandled DoesNotExist here.
        return Err(err(
            &refused::LIST_UNKNOWN,
            format!("Collection matching query does not exist. ({c})"),
        ));
    };
    let names: Vec<String> = col
        .experiments
        .values()
        .filter(|e| e.to_be_deleted.is_none() && readable(st, req.caller, e.doc.public, &e.perms))
        .map(|e| e.doc.name.clone())
        .collect();
    json(
        StatusCode::OK,
        &ExperimentList {
            experiments: names,
            ..ExperimentList::default()
        },
    )
}

pub(super) const EXPERIMENT_UPDATABLE: [&str; 8] = [
    "name",
    "public",
    "description",
    "num_hierarchy_levels",
    "hierarchy_method",
    "num_time_samples",
    "time_step",
    "time_step_unit",
];
pub(super) const HIERARCHY: [&str; 2] = ["anisotropic", "isotropic"];
pub(super) const TIME_UNITS: [&str; 4] = ["nanoseconds", "microseconds", "milliseconds", "seconds"];

pub(super) fn experiment(st: &mut BossState, req: &Req, c: &str, e: &str) -> Answer {
    let me = req.caller;
    let b = req.body;
    let col = live(st.collections.get(c), |r| r.to_be_deleted.is_some(), c)?;
    match *req.method {
        Method::GET => {
            let rec = live(col.experiments.get(e), |r| r.to_be_deleted.is_some(), e)?;
            if !readable(st, me, rec.doc.public, &rec.perms) {
                return Err(missing_perm("read", e));
            }
            json(StatusCode::OK, &experiment_doc(st, rec, Some(me)))
        }
        Method::POST => {
            req.require_role(st, "resource-manager")?;
            if !st.has_perm(me, &col.perms, "add") {
                return Err(missing_perm("add", c));
            }
            check_name(e)?;
            let Some(frame) = body_str(b, "coord_frame") else {
                return Err(invalid_post(
                    &refused::NO_FRAME,
                    "This request requires a valid coordinate frame",
                ));
            };
            live(
                st.coord_frames.get(frame),
                |f| f.to_be_deleted.is_some(),
                frame,
            )?;
            if col.experiments.contains_key(e) {
                return Err(invalid_post(
                    &refused::EXISTS,
                    "{'non_field_errors': ['The fields collection, name must make a unique set.']}",
                ));
            }
            let time_step_unit = match b.get("time_step_unit") {
                Some(Value::Null) => None,
                None => Some("seconds".to_string()),
                Some(_) => one_of(b, "time_step_unit", &TIME_UNITS)?,
            };
            let doc = Experiment {
                name: e.to_string(),
                public: body_bool(b, "public")?.unwrap_or(false),
                description: body_description(b)?.unwrap_or_default(),
                collection: c.to_string(),
                coord_frame: frame.to_string(),
                num_hierarchy_levels: body_int(b, "num_hierarchy_levels")?.unwrap_or(1),
                hierarchy_method: one_of(b, "hierarchy_method", &HIERARCHY)?
                    .unwrap_or_else(|| "anisotropic".into()),
                num_time_samples: body_int(b, "num_time_samples")?.unwrap_or(1),
                time_step: match b.get("time_step") {
                    Some(Value::Null) => None,
                    _ => Some(body_int(b, "time_step")?.unwrap_or(0)),
                },
                time_step_unit,
                creator: me.to_string(),
                ..Experiment::default()
            };
            let rec = ExperimentRec {
                doc,
                perms: creator_perms(me, false),
                to_be_deleted: None,
                channels: BTreeMap::new(),
            };
            let doc = experiment_doc(st, &rec, None);
            if let Some(col) = st.collections.get_mut(c) {
                col.experiments.insert(e.to_string(), rec);
            }
            json(StatusCode::CREATED, &doc)
        }
        Method::PUT => {
            let rec = live(col.experiments.get(e), |r| r.to_be_deleted.is_some(), e)?;
            if !st.has_perm(me, &rec.perms, "update") {
                return Err(missing_perm("update", e));
            }
            readonly_fields(b, &EXPERIMENT_UPDATABLE)?;
            let new_name = rename(b, e, |n| col.experiments.contains_key(n))?;
            let mut doc = rec.doc.clone();
            if let Some(d) = body_description(b)? {
                doc.description = d;
            }
            if let Some(p) = body_bool(b, "public")? {
                doc.public = p;
            }
            if let Some(n) = body_int(b, "num_hierarchy_levels")? {
                doc.num_hierarchy_levels = n;
            }
            if let Some(h) = one_of(b, "hierarchy_method", &HIERARCHY)? {
                doc.hierarchy_method = h;
            }
            if let Some(n) = body_int(b, "num_time_samples")? {
                doc.num_time_samples = n;
            }
            if b.contains_key("time_step") {
                doc.time_step = body_int(b, "time_step")?;
            }
            if b.contains_key("time_step_unit") {
                doc.time_step_unit = one_of(b, "time_step_unit", &TIME_UNITS)?;
            }
            let Some(col) = st.collections.get_mut(c) else {
                return Err(not_found(c));
            };
            let Some(mut rec) = col.experiments.remove(e) else {
                return Err(not_found(e));
            };
            if let Some(n) = new_name {
                doc.name = n;
            }
            rec.doc = doc;
            let name = rec.doc.name.clone();
            for ch in rec.channels.values_mut() {
                ch.doc.experiment = name.clone();
            }
            col.experiments.insert(name.clone(), rec);
            let rec = &st.collections[c].experiments[&name];
            json(StatusCode::OK, &experiment_doc(st, rec, None))
        }
        Method::DELETE => {
            req.require_role(st, "resource-manager")?;
            let rec = live(col.experiments.get(e), |r| r.to_be_deleted.is_some(), e)?;
            if !st.has_perm(me, &rec.perms, "delete") {
                return Err(missing_perm("delete", e));
            }
            if rec.channels.values().any(|ch| ch.to_be_deleted.is_none()) {
                return Err(err(
                    &refused::HAS_CHANNELS,
                    "Cannot delete the experiment since it has channels that reference it.",
                ));
            }
            if let Some(rec) = st
                .collections
                .get_mut(c)
                .and_then(|col| col.experiments.get_mut(e))
            {
                rec.to_be_deleted = Some(fmt_time(req.now));
            }
            empty(StatusCode::NO_CONTENT)
        }
        _ => Err(req.not_allowed()),
    }
}

pub(super) fn live_experiment<'a>(
    st: &'a BossState,
    c: &str,
    e: &str,
) -> Result<&'a ExperimentRec, Failure> {
    let col = live(st.collections.get(c), |r| r.to_be_deleted.is_some(), c)?;
    live(col.experiments.get(e), |r| r.to_be_deleted.is_some(), e)
}
