//! Ends the actions a stopped provider left unfinished, so that nothing stays ACTIVE.

use serde_json::{Value, json};

use super::super::model::{StatusValue, display};
use super::super::store::{Phase, Store, StoreError};

/// Ends every action a stopped provider left ACTIVE or INACTIVE: FAILED, saying where it was
/// interrupted, and frees the locks they held. Returns how many were ended.
pub fn recover(store: &Store) -> Result<usize, StoreError> {
    end_interrupted(store, None)
}

/// Ends the ACTIVE and INACTIVE actions (only those of `only`, when given) as interrupted.
pub(super) fn end_interrupted(store: &Store, only: Option<&[String]>) -> Result<usize, StoreError> {
    let mut stranded = store.list(&[StatusValue::Active, StatusValue::Inactive])?;
    if let Some(ids) = only {
        stranded.retain(|a| ids.contains(&a.status.action_id));
    }
    for a in &stranded {
        let (code, description) = match a.phase {
            Phase::Applying => (
                "Interrupted",
                "the action provider stopped while this apply was sending changes: some may have been applied. Run apply again: it re-reads the live state and converges".to_string(),
            ),
            phase => (
                "Interrupted",
                format!(
                    "the action provider stopped while this action was {}: nothing was changed. Run it again",
                    match phase {
                        Phase::Queued => "queued",
                        Phase::Waiting => "waiting for its workspace",
                        _ => "reading and planning",
                    }
                ),
            ),
        };
        let mut details = match &a.status.details {
            Value::Object(m) => Value::Object(m.clone()),
            _ => json!({}),
        };
        details["operation"] = json!(a.input.operation);
        details["workspace"] = a.input.workspace.clone().into();
        details["interrupted_phase"] = a.phase.as_str().into();
        details["error"] = json!({"code": code, "description": description});
        store.finish(
            &a.status.action_id,
            StatusValue::Failed,
            &display(format!("Interrupted while {}", a.phase.as_str())),
            &details,
            (code, &description, &json!({})),
        )?;
    }
    for (workspace, holder) in store.orphan_locks()? {
        store.lock_delete(&workspace, Some(&holder))?;
    }
    Ok(stranded.len())
}
