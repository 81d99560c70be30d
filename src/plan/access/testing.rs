//! Helpers for tests of the access model, here and in the services' folders: changes, and
//! the scoped delta checked against the obvious model (both whole states, every pair).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::effective::effective;
use super::overlay::membership_of;
use super::{AccessDelta, compare, delta};
use crate::plan::change::{Action, Change};
use crate::state::{Object, Principal, State};

/// A state holding these objects.
pub(crate) fn state(objects: Vec<Object>) -> State {
    // Which principals name managed groups is the registered resources' to say.
    crate::state::kind::testing::register();
    let mut s = State::default();
    for o in objects {
        s.insert(o);
    }
    s
}

/// A change from `before` to `after` (one of them at least).
pub(crate) fn change(action: Action, before: Option<Object>, after: Option<Object>) -> Change {
    let address = after.as_ref().or(before.as_ref()).unwrap().address.clone();
    Change {
        before,
        after,
        ..Change::new(address, action)
    }
}

/// The create of `o`.
pub(crate) fn create(o: Object) -> Change {
    change(Action::Create, None, Some(o))
}

/// The delete of `o`.
pub(crate) fn delete(o: Object) -> Change {
    change(Action::Delete, Some(o), None)
}

/// The update of `before` to `after`, which carries no computed field (a desired object).
pub(crate) fn update(before: Object, mut after: Object) -> Change {
    // Desired objects carry no computed fields.
    after.attrs.remove("status");
    change(Action::Update, Some(before), Some(after))
}

/// The live state with the changes applied by copying it: the obvious model the
/// overlay must agree with.
pub(crate) fn after_changes(live: &State, changes: &[Change]) -> State {
    let mut state = live.clone();
    for c in changes {
        match c.action {
            Action::Create | Action::Replace => {
                if let Some(after) = &c.after {
                    state.insert(after.clone());
                }
            }
            Action::Update => {
                if let Some(after) = &c.after {
                    let mut merged = state
                        .get(&c.address)
                        .or(c.before.as_ref())
                        .cloned()
                        .unwrap_or_else(|| after.clone());
                    merged.attrs.extend(after.attrs.clone());
                    state.insert(merged);
                }
            }
            Action::Delete => {
                state.objects.remove(&c.address);
                if let Some(Principal::ManagedGroup(group)) =
                    c.address.kind.semantics().is_principal(&c.address)
                {
                    state
                        .objects
                        .retain(|a, _| membership_of(a) != Some(("group", group.as_str())));
                }
            }
        }
    }
    state
}

/// The delta computed over every pair of both whole states.
pub(crate) fn full_delta(live: &State, changes: &[Change], now: DateTime<Utc>) -> AccessDelta {
    let before = effective(live, now);
    let after_state = after_changes(live, changes);
    let after = effective(&after_state, now);
    compare(&before, &after, &BTreeMap::new())
}

/// The delta of `changes` on the `live` objects, checked against the full one.
pub(crate) fn checked_delta(
    live: Vec<Object>,
    changes: Vec<Change>,
    now: DateTime<Utc>,
) -> AccessDelta {
    let live = state(live);
    let d = delta(live.objects.values(), &changes, &BTreeMap::new(), now);
    assert_eq!(
        d,
        full_delta(&live, &changes, now),
        "the scoped delta is the full one"
    );
    d
}
