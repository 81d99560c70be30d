//! Numbers outside the range the schema documents for them: the service would refuse them
//! (or store them wrapped), after part of a plan had applied.

use std::ops::RangeInclusive;

use serde_saphyr::Spanned;

use super::Checker;
use crate::policy::diagnostics::codes;

/// An unsigned 32-bit field (`format: uint32`).
pub(crate) const UINT32: RangeInclusive<i64> = 0..=u32::MAX as i64;

/// The largest value of a signed 32-bit field (a Django `IntegerField` on MySQL).
pub(crate) const INT32_MAX: i64 = i32::MAX as i64;

impl Checker<'_> {
    /// Reports `s` (the value of `what`) when it is outside `range`; `true` when inside.
    pub(crate) fn in_range(
        &mut self,
        file: usize,
        s: &Spanned<i64>,
        what: &str,
        range: RangeInclusive<i64>,
        help: Option<&str>,
    ) -> bool {
        if range.contains(&s.value) {
            return true;
        }
        let (lo, hi) = (range.start(), range.end());
        let v = s.value;
        let (msg, label) = if v < *lo {
            (format!("{what} is {v}, below {lo}"), "too small")
        } else {
            let msg = format!("{what} is {v}, above {hi}, the largest the service stores");
            (msg, "too large")
        };
        let o = self.at(file, s);
        let d = self
            .diag(codes::INVALID_VALUE, &o, msg)
            .with_label(label)
            .with_help(help.map_or_else(
                || format!("write a whole number from {lo} to {hi}"),
                String::from,
            ));
        self.emit(d);
        false
    }
}
