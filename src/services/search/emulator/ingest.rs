//! Search's ingest and task routes.

use super::*;

/// `path` with one more key.
pub(super) fn join<'a>(path: &[&'a str], key: &'a str) -> Vec<&'a str> {
    let mut out = path.to_vec();
    out.push(key);
    out
}

/// Checks one `GMetaEntry` at `path`, returning the subject and the entry when valid.
pub(super) fn check_entry(
    v: &Value,
    path: &[&str],
    p: &mut Problems,
) -> Option<(String, EntryRec)> {
    let Some(m) = v.as_object() else {
        p.add(&refused::INGEST_MALFORMED, path, "Invalid input type.");
        return None;
    };
    let at = |field: &'static str| join(path, field);
    let before = p.messages.clone();
    let subject = match m.get("subject") {
        None | Some(Value::Null) => {
            p.add(&refused::INGEST_MALFORMED, &at("subject"), MISSING);
            None
        }
        Some(Value::String(s)) if s.is_empty() || s.len() > MAX_SUBJECT_BYTES => {
            p.add(
                &refused::SUBJECT_LENGTH,
                &at("subject"),
                format!("Length must be between 1 and {MAX_SUBJECT_BYTES}."),
            );
            None
        }
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            p.add(
                &refused::INGEST_MALFORMED,
                &at("subject"),
                "Not a valid string.",
            );
            None
        }
    };
    let id = match m.get("id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            p.add(&refused::INGEST_MALFORMED, &at("id"), "Not a valid string.");
            None
        }
    };
    let mut visible_to = Vec::new();
    match m.get("visible_to") {
        None | Some(Value::Null) => p.add(&refused::INGEST_MALFORMED, &at("visible_to"), MISSING),
        Some(Value::Array(items)) => {
            if items.len() > MAX_VISIBLE_TO {
                p.add(
                    &refused::VISIBLE_TO_LIMIT,
                    &at("visible_to"),
                    format!("Longer than maximum length {MAX_VISIBLE_TO}."),
                );
            }
            for item in items {
                match item.as_str() {
                    Some(s) if Principal::parse(s).is_some() => visible_to.push(s.to_string()),
                    _ => p.add(
                        &refused::VISIBLE_TO_PRINCIPAL,
                        &at("visible_to"),
                        format!("Not a valid principal: {item}"),
                    ),
                }
            }
        }
        Some(_) => p.add(
            &refused::INGEST_MALFORMED,
            &at("visible_to"),
            "Not a valid list.",
        ),
    }
    let principal_sets = match m.get("principal_sets") {
        None | Some(Value::Null) => None,
        Some(Value::Object(sets)) => {
            let mut out = BTreeMap::new();
            for (name, members) in sets {
                let mut list = Vec::new();
                match members.as_array() {
                    Some(items) => {
                        for item in items {
                            match item.as_str().and_then(Principal::parse) {
                                Some(pr) if pr.principal_type().is_some() => {
                                    list.push(item.as_str().unwrap_or_default().to_string())
                                }
                                _ => p.add(
                                    &refused::PRINCIPAL_SET_MEMBER,
                                    &join(&at("principal_sets"), name),
                                    format!("Not a valid principal URN: {item}"),
                                ),
                            }
                        }
                    }
                    None => p.add(
                        &refused::INGEST_MALFORMED,
                        &join(&at("principal_sets"), name),
                        "Not a valid list.",
                    ),
                }
                out.insert(name.clone(), list);
            }
            Some(out)
        }
        Some(_) => {
            p.add(
                &refused::INGEST_MALFORMED,
                &at("principal_sets"),
                "Not a valid mapping type.",
            );
            None
        }
    };
    let content = match m.get("content") {
        None | Some(Value::Null) => {
            p.add(&refused::INGEST_MALFORMED, &at("content"), MISSING);
            None
        }
        Some(Value::Object(c)) => Some(c.clone()),
        Some(_) => {
            p.add(
                &refused::INGEST_MALFORMED,
                &at("content"),
                "Not a valid mapping type.",
            );
            None
        }
    };
    if p.messages != before {
        return None;
    }
    Some((
        subject?,
        EntryRec {
            id,
            visible_to,
            principal_sets,
            content: content?,
        },
    ))
}

/// The entries of an ingest body, or the validation answer.
pub(super) fn check_ingest(body: &Map<String, Value>) -> Result<Vec<(String, EntryRec)>, Response> {
    let mut p = Problems::default();
    let mut out = Vec::new();
    let kind = body.get("ingest_type").and_then(Value::as_str);
    match body.get("ingest_type") {
        None | Some(Value::Null) => p.add(&refused::INGEST_MALFORMED, &["ingest_type"], MISSING),
        Some(Value::String(s)) if s == "GMetaEntry" || s == "GMetaList" => {}
        Some(_) => p.add(
            &refused::INGEST_MALFORMED,
            &["ingest_type"],
            "Must be one of: GMetaEntry, GMetaList.",
        ),
    }
    match (kind, body.get("ingest_data")) {
        (_, None | Some(Value::Null)) => {
            p.add(&refused::INGEST_MALFORMED, &["ingest_data"], MISSING)
        }
        (Some("GMetaEntry"), Some(data)) => {
            out.extend(check_entry(data, &["ingest_data"], &mut p));
        }
        (Some("GMetaList"), Some(data)) => match data.get("gmeta") {
            None | Some(Value::Null) => p.add(
                &refused::INGEST_MALFORMED,
                &["ingest_data", "gmeta"],
                MISSING,
            ),
            Some(Value::Array(items)) => {
                let keys: Vec<String> = (0..items.len()).map(|i| i.to_string()).collect();
                for (item, key) in items.iter().zip(&keys) {
                    out.extend(check_entry(item, &["ingest_data", "gmeta", key], &mut p));
                }
            }
            Some(_) => p.add(
                &refused::INGEST_MALFORMED,
                &["ingest_data", "gmeta"],
                "Not a valid list.",
            ),
        },
        _ => {}
    }
    if p.is_empty() {
        Ok(out)
    } else {
        Err(invalid("json", p))
    }
}

/// Records a task and answers its submission.
pub(super) fn submit(
    w: &mut World,
    index_id: Uuid,
    task_type: &str,
    submitted_by: Uuid,
    failure: Option<String>,
) -> Response {
    let now = w.now();
    let task_id = w.ids.next("search_task");
    state_mut(w).tasks.push(TaskRec {
        task_id,
        index_id,
        task_type: task_type.into(),
        state: TaskState::Pending,
        creation_date: task_time(now),
        completion_date: None,
        failure,
        submitted_by,
        polls: 0,
    });
    Json(TaskSubmitResponse {
        acknowledged: true,
        task_id: task_id.to_string(),
        extra: Default::default(),
    })
    .into_response()
}

pub(super) async fn ingest(
    State(em): State<Handle>,
    Extension(caller): Extension<SearchCaller>,
    Path(raw): Path<String>,
    body: Bytes,
) -> Response {
    let mut w = em.lock();
    let (index_id, submitter) = match index_for(&w, &raw, caller, Need::Write, "ingest") {
        Ok((ix, who)) => (ix.id, who.identity.unwrap_or_default()),
        Err(r) => return r,
    };
    let body = match json_object(&body, "/v1/ingest") {
        Ok(b) => b,
        Err(r) => return r,
    };
    let entries = match check_ingest(&body) {
        Ok(e) => e,
        Err(r) => return r,
    };
    let Some(ix) = state_mut(&mut w).indexes.get(&index_id) else {
        return no_index(&raw);
    };
    // The whole task applies or fails: a subject may hold at most 10 entries.
    let mut subjects = ix.subjects.clone();
    for (subject, rec) in entries {
        upsert(subjects.entry(subject).or_default(), rec);
    }
    let failure = subjects
        .iter()
        .find(|(_, e)| e.len() > MAX_ENTRIES_PER_SUBJECT)
        .map(|(s, _)| {
            format!("Subject {s:?} would have more than {MAX_ENTRIES_PER_SUBJECT} entries")
        });
    if failure.is_none()
        && let Some(ix) = state_mut(&mut w).indexes.get_mut(&index_id)
    {
        ix.subjects = subjects;
    }
    let failed = failure.is_some();
    let resp = submit(&mut w, index_id, "INGEST", submitter, failure);
    if failed {
        refusal::tag(resp, &[&refused::ENTRY_LIMIT])
    } else {
        resp
    }
}

pub(super) fn task_doc(t: &TaskRec) -> Task {
    let (description, message) = match &t.state {
        TaskState::Success => ("Task succeeded", None),
        TaskState::Failed => ("Task failed", t.failure.clone()),
        _ => ("Task is waiting to start", None),
    };
    Task {
        task_id: t.task_id.to_string(),
        index_id: t.index_id.to_string(),
        state: t.state.clone(),
        state_description: description.into(),
        task_type: Some(t.task_type.clone()),
        creation_date: t.creation_date.clone(),
        completion_date: t.completion_date.clone(),
        message,
        additional_details: None,
        extra: Default::default(),
    }
}

pub(super) async fn get_task(
    State(em): State<Handle>,
    Extension(caller): Extension<SearchCaller>,
    Path(raw): Path<String>,
) -> Response {
    if caller.0.is_none() {
        return unauthenticated("task_show");
    }
    let mut w = em.lock();
    let now = w.now();
    let st: &World = &w;
    let Some(pos) = raw
        .parse::<Uuid>()
        .ok()
        .and_then(|id| state(st).tasks.iter().position(|t| t.task_id == id))
    else {
        return not_found(
            &refused::TASK_NOT_FOUND,
            format!("No task with id \"{raw}\""),
        );
    };
    let t = &state(st).tasks[pos];
    let who = Who::of(st, caller);
    let allowed = who.identity == Some(t.submitted_by)
        || state(st)
            .indexes
            .get(&t.index_id)
            .is_some_and(|ix| Need::Write.met_by(&who.roles(ix)));
    if !allowed {
        return forbidden("task_show");
    }
    let t = &mut state_mut(&mut w).tasks[pos];
    if !t.state.is_terminal() {
        if t.polls > 0 {
            t.state = if t.failure.is_some() {
                TaskState::Failed
            } else {
                TaskState::Success
            };
            t.completion_date = Some(task_time(now));
        }
        t.polls += 1;
    }
    Json(task_doc(t)).into_response()
}

pub(super) async fn task_list(
    State(em): State<Handle>,
    Extension(caller): Extension<SearchCaller>,
    Path(raw): Path<String>,
) -> Response {
    let w = em.lock();
    let ix = match index_for(&w, &raw, caller, Need::Write, "task_list") {
        Ok((ix, _)) => ix,
        Err(r) => return r,
    };
    let tasks: Vec<Task> = state(&w)
        .tasks
        .iter()
        .rev()
        .filter(|t| t.index_id == ix.id)
        .take(MAX_TASKS_LISTED)
        .map(task_doc)
        .collect();
    Json(TaskList {
        index_id: ix.id.to_string(),
        tasks,
        extra: Default::default(),
    })
    .into_response()
}
