//! ISO 8601 durations (`P30D`, `PT1H30M`, `PT0.5S`), the type of `release_after` and
//! `maximum_deadline` in the Action Provider interface, read and written by `jiff`.
//!
//! Years and months have no fixed length; as Python's `isodate` does when it turns a duration
//! into a `timedelta`, a year counts 365 days and a month 30.

use std::fmt;

use jiff::Span;
use jiff::fmt::temporal::{SpanParser, SpanPrinter};

/// A parsed ISO 8601 duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct IsoDuration {
    millis: i64,
}

/// Why a duration did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an ISO 8601 duration (e.g. P30D, PT1H, PT0.5S)")]
pub struct DurationError(pub String);

const SECOND: i128 = 1000;
const MINUTE: i128 = 60 * SECOND;
const HOUR: i128 = 60 * MINUTE;
const DAY: i128 = 24 * HOUR;

impl IsoDuration {
    /// A duration of this many milliseconds (negative is clamped to zero).
    pub fn from_millis(millis: i64) -> IsoDuration {
        IsoDuration {
            millis: millis.max(0),
        }
    }

    /// The length in milliseconds.
    pub fn millis(self) -> i64 {
        self.millis
    }

    /// As a chrono duration.
    pub fn to_chrono(self) -> chrono::Duration {
        chrono::Duration::milliseconds(self.millis)
    }

    /// Parses `PnYnMnWnDTnHnMnS` (each part optional, at least one present; the smallest
    /// time part may carry a fraction); a negative duration is refused.
    pub fn parse(text: &str) -> Result<IsoDuration, DurationError> {
        let bad = || DurationError(text.to_string());
        // Only the ISO 8601 form (jiff's `Span: FromStr` also reads `1 day`), only upper
        // case designators as the Action Provider interface writes them.
        if !text.starts_with('P') || text.chars().any(|c| c.is_ascii_lowercase()) {
            return Err(bad());
        }
        let span: Span = SpanParser::new().parse_span(text).map_err(|_| bad())?;
        let nanos = i128::from(span.get_nanoseconds())
            + 1000 * i128::from(span.get_microseconds())
            + 1_000_000 * i128::from(span.get_milliseconds());
        let millis = i128::from(span.get_years()) * 365 * DAY
            + i128::from(span.get_months()) * 30 * DAY
            + i128::from(span.get_weeks()) * 7 * DAY
            + i128::from(span.get_days()) * DAY
            + i128::from(span.get_hours()) * HOUR
            + i128::from(span.get_minutes()) * MINUTE
            + i128::from(span.get_seconds()) * SECOND
            + (nanos + 500_000).div_euclid(1_000_000);
        match i64::try_from(millis) {
            Ok(ms) if (0..=i64::MAX / 2).contains(&ms) => Ok(IsoDuration { millis: ms }),
            _ => Err(bad()),
        }
    }
}

impl fmt::Display for IsoDuration {
    /// The canonical form: whole days as `P30D`, else `PnDTnHnMnS` with millisecond fractions.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = i128::from(self.millis);
        let part = |unit: i128, of: i128| i64::try_from(ms % of / unit).unwrap_or(0);
        let time = Span::new()
            .hours(part(HOUR, DAY))
            .minutes(part(MINUTE, HOUR))
            .seconds(part(SECOND, MINUTE))
            .milliseconds(part(1, SECOND));
        let days = i64::try_from(ms / DAY).unwrap_or(i64::MAX);
        let printer = SpanPrinter::new();
        match time.try_days(days) {
            Ok(span) => f.write_str(&printer.span_to_string(&span)),
            // Past jiff's range of days (about 20,000 years): the days by hand.
            Err(_) if time.is_zero() => write!(f, "P{days}D"),
            Err(_) => write!(f, "P{days}D{}", &printer.span_to_string(&time)[1..]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(text: &str) -> i64 {
        IsoDuration::parse(text).unwrap().millis()
    }

    #[test]
    fn parses_the_usual_forms() {
        assert_eq!(ms("P30D"), 30 * 86_400_000);
        assert_eq!(ms("PT1S"), 1000);
        assert_eq!(ms("PT0.5S"), 500);
        assert_eq!(ms("PT1H30M"), 5_400_000);
        assert_eq!(ms("P1W"), 7 * 86_400_000);
        assert_eq!(ms("P1Y"), 365 * 86_400_000);
        assert_eq!(ms("P1M"), 30 * 86_400_000);
        assert_eq!(ms("P1DT2H"), 93_600_000);
        assert_eq!(ms("PT0S"), 0);
    }

    #[test]
    fn refuses_what_is_not_a_duration() {
        for bad in [
            "", "P", "PT", "30D", "P1H", "PT1D", "P1.5DT1H", "PxD", "P1D2", "PT1S1M", "P-1D",
        ] {
            assert!(IsoDuration::parse(bad).is_err(), "{bad} parsed");
        }
    }

    #[test]
    fn reads_what_jiff_reads_and_no_more() {
        assert_eq!(ms("PT0,5S"), 500);
        assert_eq!(ms("PT1.5H"), 5_400_000);
        assert_eq!(ms("P2Y3M"), (2 * 365 + 3 * 30) * 86_400_000);
        for bad in ["1 day", "-P1D", "p1d", "P1d", "PT1.5H30M"] {
            assert!(IsoDuration::parse(bad).is_err(), "{bad} parsed");
        }
        // Past jiff's range of days it still prints.
        assert_eq!(
            IsoDuration::from_millis(30_000_000 * 86_400_000 + 1000).to_string(),
            "P30000000DT1S"
        );
    }

    #[test]
    fn displays_canonically() {
        for (text, want) in [
            ("P30D", "P30D"),
            ("PT1S", "PT1S"),
            ("PT0.5S", "PT0.5S"),
            ("PT90M", "PT1H30M"),
            ("P1DT1S", "P1DT1S"),
            ("PT0S", "PT0S"),
        ] {
            assert_eq!(IsoDuration::parse(text).unwrap().to_string(), want);
        }
    }
}
