//! The Boss's channel and coordinate frame routes.

use super::*;

pub(super) fn list_channels(st: &mut BossState, req: &Req, c: &str, e: &str) -> Answer {
    if req.method != Method::GET {
        return Err(req.not_allowed());
    }
    let exp = live_experiment(st, c, e)?;
    let names: Vec<String> = exp
        .channels
        .values()
        .filter(|ch| {
            ch.to_be_deleted.is_none() && readable(st, req.caller, ch.doc.public, &ch.perms)
        })
        .map(|ch| ch.doc.name.clone())
        .collect();
    json(
        StatusCode::OK,
        &ChannelList {
            channels: names,
            ..ChannelList::default()
        },
    )
}

pub(super) const CHANNEL_UPDATABLE: [&str; 7] = [
    "name",
    "public",
    "description",
    "default_time_sample",
    "base_resolution",
    "sources",
    "related",
];
pub(super) const CHANNEL_ADMIN_UPDATABLE: [&str; 3] = ["bucket", "cv_path", "storage_type"];

pub(super) fn name_list(b: &Map<String, Value>, k: &str) -> Result<Option<Vec<String>>, Failure> {
    match b.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(String::from))
            .collect::<Option<Vec<_>>>()
            .map(Some)
            .ok_or_else(|| {
                invalid_post(
                    &refused::FIELD_TYPE,
                    format!("{{'{k}': ['Expected a list of channel names.']}}"),
                )
            }),
        Some(_) => Err(invalid_post(
            &refused::FIELD_TYPE,
            format!("{{'{k}': ['Expected a list of channel names.']}}"),
        )),
    }
}

/// Checks `sources` and `related` name live channels of the experiment and do not overlap.
pub(super) fn check_links(
    exp: &ExperimentRec,
    sources: &[String],
    related: &[String],
) -> Result<(), Failure> {
    for n in sources.iter().chain(related) {
        if exp
            .channels
            .get(n)
            .is_none_or(|ch| ch.to_be_deleted.is_some())
        {
            return Err(invalid_post(
                &refused::UNKNOWN_LINK,
                format!("Invalid channel name {n}. It does not exist."),
            ));
        }
    }
    if sources.iter().any(|s| related.contains(s)) {
        return Err(invalid_post(
            &refused::LINK_OVERLAP,
            "Related channels have to be different from source channels",
        ));
    }
    Ok(())
}

pub(super) fn channel(st: &mut BossState, req: &Req, c: &str, e: &str, ch: &str) -> Answer {
    let me = req.caller;
    let b = req.body;
    let exp = live_experiment(st, c, e)?;
    let in_admin = st
        .groups
        .get(ADMIN_GROUP)
        .is_some_and(|g| g.members.contains(me));
    match *req.method {
        Method::GET => {
            let rec = live(exp.channels.get(ch), |r| r.to_be_deleted.is_some(), ch)?;
            if !readable(st, me, rec.doc.public, &rec.perms) {
                return Err(missing_perm("read", ch));
            }
            json(StatusCode::OK, &rec.doc)
        }
        Method::POST => {
            req.require_role(st, "resource-manager")?;
            if !st.has_perm(me, &exp.perms, "add") {
                return Err(missing_perm("add", e));
            }
            check_name(ch)?;
            if exp.channels.contains_key(ch) {
                return Err(invalid_post(
                    &refused::EXISTS,
                    "{'non_field_errors': ['The fields experiment, name must make a unique set.']}",
                ));
            }
            let Some(channel_type) = one_of(b, "type", &["image", "annotation"])? else {
                return Err(invalid_post(
                    &refused::CHANNEL_REQUIRED,
                    "{'type': ['This field is required.']}",
                ));
            };
            let Some(datatype) = one_of(b, "datatype", &["uint8", "uint16", "uint32", "uint64"])?
            else {
                return Err(invalid_post(
                    &refused::CHANNEL_REQUIRED,
                    "{'datatype': ['This field is required.']}",
                ));
            };
            let default_time_sample = body_int(b, "default_time_sample")?.unwrap_or(0);
            if default_time_sample >= exp.doc.num_time_samples || default_time_sample < 0 {
                return Err(invalid_post(
                    &refused::TIME_SAMPLE,
                    "The default time sample must be less than the number of time samples of the experiment",
                ));
            }
            let sources = name_list(b, "sources")?.unwrap_or_default();
            let related = name_list(b, "related")?.unwrap_or_default();
            check_links(exp, &sources, &related)?;
            let storage_type =
                one_of(b, "storage_type", &["spdb", "cloudvol"])?.unwrap_or_else(|| "spdb".into());
            let bucket = body_str(b, "bucket").map(String::from);
            let mut cv_path = body_str(b, "cv_path").map(String::from);
            if (bucket.is_some() || cv_path.is_some()) && !in_admin {
                return Err(err(
                    &refused::ADMIN_FIELD,
                    "Only admins can set the bucket or cv_path of a channel",
                ));
            }
            let mut downsample_status = "NOT_DOWNSAMPLED".to_string();
            if storage_type == "cloudvol" {
                downsample_status = "DOWNSAMPLED".into();
                cv_path.get_or_insert_with(|| format!("/{c}/{e}/{ch}"));
            }
            let rec = ChannelRec {
                doc: Channel {
                    name: ch.to_string(),
                    public: body_bool(b, "public")?.unwrap_or(false),
                    description: body_description(b)?.unwrap_or_default(),
                    experiment: e.to_string(),
                    default_time_sample,
                    channel_type,
                    base_resolution: body_int(b, "base_resolution")?.unwrap_or(0),
                    datatype,
                    creator: me.to_string(),
                    sources,
                    downsample_status,
                    related,
                    storage_type,
                    bucket,
                    cv_path,
                    ..Channel::default()
                },
                perms: creator_perms(me, true),
                to_be_deleted: None,
            };
            let doc = rec.doc.clone();
            if let Some(exp) = st
                .collections
                .get_mut(c)
                .and_then(|col| col.experiments.get_mut(e))
            {
                exp.channels.insert(ch.to_string(), rec);
            }
            json(StatusCode::CREATED, &doc)
        }
        Method::PUT => {
            let rec = live(exp.channels.get(ch), |r| r.to_be_deleted.is_some(), ch)?;
            if !st.has_perm(me, &rec.perms, "update") {
                return Err(missing_perm("update", ch));
            }
            let mut allowed = CHANNEL_UPDATABLE.to_vec();
            if in_admin {
                allowed.extend(CHANNEL_ADMIN_UPDATABLE);
            }
            readonly_fields(b, &allowed)?;
            let new_name = rename(b, ch, |n| exp.channels.contains_key(n))?;
            let mut doc = rec.doc.clone();
            if let Some(d) = body_description(b)? {
                doc.description = d;
            }
            if let Some(p) = body_bool(b, "public")? {
                doc.public = p;
            }
            if let Some(n) = body_int(b, "default_time_sample")? {
                if n < 0 || n >= exp.doc.num_time_samples {
                    return Err(invalid_post(
                        &refused::TIME_SAMPLE,
                        "The default time sample must be less than the number of time samples of the experiment",
                    ));
                }
                doc.default_time_sample = n;
            }
            if let Some(n) = body_int(b, "base_resolution")? {
                doc.base_resolution = n;
            }
            if let Some(s) = name_list(b, "sources")? {
                doc.sources = s;
            }
            if let Some(r) = name_list(b, "related")? {
                doc.related = r;
            }
            check_links(exp, &doc.sources, &doc.related)?;
            if let Some(s) = one_of(b, "storage_type", &["spdb", "cloudvol"])? {
                doc.storage_type = s;
            }
            if b.contains_key("bucket") {
                doc.bucket = body_str(b, "bucket").map(String::from);
            }
            if b.contains_key("cv_path") {
                doc.cv_path = body_str(b, "cv_path").map(String::from);
            }
            let Some(exp) = st
                .collections
                .get_mut(c)
                .and_then(|col| col.experiments.get_mut(e))
            else {
                return Err(not_found(e));
            };
            let Some(mut rec) = exp.channels.remove(ch) else {
                return Err(not_found(ch));
            };
            if let Some(n) = new_name {
                doc.name = n.clone();
                for other in exp.channels.values_mut() {
                    for link in other
                        .doc
                        .sources
                        .iter_mut()
                        .chain(other.doc.related.iter_mut())
                    {
                        if link == ch {
                            *link = n.clone();
                        }
                    }
                }
            }
            rec.doc = doc.clone();
            exp.channels.insert(doc.name.clone(), rec);
            json(StatusCode::OK, &doc)
        }
        Method::DELETE => {
            req.require_role(st, "resource-manager")?;
            let rec = live(exp.channels.get(ch), |r| r.to_be_deleted.is_some(), ch)?;
            if !st.has_perm(me, &rec.perms, "delete") {
                return Err(missing_perm("delete", ch));
            }
            let is_source = exp.channels.values().any(|o| {
                o.to_be_deleted.is_none()
                    && o.doc.name != ch
                    && o.doc.sources.iter().any(|s| s == ch)
            });
            if is_source {
                return Err(err(
                    &refused::IS_SOURCE,
                    "Cannot delete the channel since it is a source of other channels.",
                ));
            }
            if let Some(rec) = st
                .collections
                .get_mut(c)
                .and_then(|col| col.experiments.get_mut(e))
                .and_then(|exp| exp.channels.get_mut(ch))
            {
                rec.to_be_deleted = Some(fmt_time(req.now));
            }
            empty(StatusCode::NO_CONTENT)
        }
        _ => Err(req.not_allowed()),
    }
}

pub(super) fn list_coords(st: &mut BossState, req: &Req) -> Answer {
    if req.method != Method::GET {
        return Err(req.not_allowed());
    }
    let only_mine = req
        .query
        .get("owner")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let names: Vec<String> = st
        .coord_frames
        .values()
        .filter(|f| f.to_be_deleted.is_none() && (!only_mine || f.creator == req.caller))
        .map(|f| f.doc.name.clone())
        .collect();
    json(
        StatusCode::OK,
        &CoordList {
            coords: names,
            ..CoordList::default()
        },
    )
}

pub(super) fn coord(st: &mut BossState, req: &Req, f: &str) -> Answer {
    let me = req.caller;
    let b = req.body;
    match *req.method {
        Method::GET => {
            let rec = live(st.coord_frames.get(f), |r| r.to_be_deleted.is_some(), f)?;
            json(StatusCode::OK, &rec.doc)
        }
        Method::POST => {
            req.require_role(st, "resource-manager")?;
            check_name(f)?;
            if st.coord_frames.contains_key(f) {
                return Err(invalid_post(
                    &refused::EXISTS,
                    "{'name': ['coordinate frame with this name already exists.']}",
                ));
            }
            let missing: Vec<&str> = crate::services::boss::wire::FRAME_FIELDS[1..]
                .iter()
                .copied()
                .filter(|k| b.get(*k).is_none_or(Value::is_null))
                .collect();
            if !missing.is_empty() {
                let errors: Vec<String> = missing
                    .iter()
                    .map(|k| format!("'{k}': ['This field is required.']"))
                    .collect();
                return Err(invalid_post(
                    &refused::FRAME_REQUIRED,
                    format!("{{{}}}", errors.join(", ")),
                ));
            }
            let int = |k: &str| body_int(b, k).map(Option::unwrap_or_default);
            let float = |k: &str| body_f64(b, k).map(Option::unwrap_or_default);
            let doc = CoordFrame {
                name: f.to_string(),
                description: body_description(b)?.unwrap_or_default(),
                x_start: int("x_start")?,
                x_stop: int("x_stop")?,
                y_start: int("y_start")?,
                y_stop: int("y_stop")?,
                z_start: int("z_start")?,
                z_stop: int("z_stop")?,
                x_voxel_size: float("x_voxel_size")?,
                y_voxel_size: float("y_voxel_size")?,
                z_voxel_size: float("z_voxel_size")?,
                voxel_unit: one_of(
                    b,
                    "voxel_unit",
                    &["nanometers", "micrometers", "millimeters", "centimeters"],
                )?
                .unwrap_or_default(),
                ..CoordFrame::default()
            };
            st.coord_frames.insert(
                f.to_string(),
                FrameRec {
                    doc: doc.clone(),
                    creator: me.to_string(),
                    perms: creator_perms(me, false),
                    to_be_deleted: None,
                },
            );
            json(StatusCode::CREATED, &doc)
        }
        Method::PUT => {
            let rec = live(st.coord_frames.get(f), |r| r.to_be_deleted.is_some(), f)?;
            if !st.has_perm(me, &rec.perms, "update") {
                return Err(missing_perm("update", f));
            }
            readonly_fields(b, &["name", "description"])?;
            let new_name = rename(b, f, |n| st.coord_frames.contains_key(n))?;
            let description = body_description(b)?;
            let Some(mut rec) = st.coord_frames.remove(f) else {
                return Err(not_found(f));
            };
            if let Some(d) = description {
                rec.doc.description = d;
            }
            if let Some(n) = new_name {
                rec.doc.name = n.clone();
                for e in st
                    .collections
                    .values_mut()
                    .flat_map(|c| c.experiments.values_mut())
                {
                    if e.doc.coord_frame == f {
                        e.doc.coord_frame = n.clone();
                    }
                }
            }
            let doc = rec.doc.clone();
            st.coord_frames.insert(doc.name.clone(), rec);
            json(StatusCode::OK, &doc)
        }
        Method::DELETE => {
            req.require_role(st, "resource-manager")?;
            let rec = live(st.coord_frames.get(f), |r| r.to_be_deleted.is_some(), f)?;
            if !st.has_perm(me, &rec.perms, "delete") {
                return Err(missing_perm("delete", f));
            }
            let used = st.collections.values().any(|c| {
                c.experiments
                    .values()
                    .any(|e| e.to_be_deleted.is_none() && e.doc.coord_frame == f)
            });
            if used {
                return Err(err(
                    &refused::FRAME_IN_USE,
                    "Cannot delete the coordinate frame since it has experiments that reference it.",
                ));
            }
            if let Some(rec) = st.coord_frames.get_mut(f) {
                rec.to_be_deleted = Some(fmt_time(req.now));
            }
            empty(StatusCode::NO_CONTENT)
        }
        _ => Err(req.not_allowed()),
    }
}
