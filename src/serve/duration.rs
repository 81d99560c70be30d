//! ISO 8601 durations (`P30D`, `PT1H30M`, `PT0.5S`), the type of `release_after` and
//! `maximum_deadline` in the Action Provider interface.
//!
//! Years and months have no fixed length; as Python's `isodate` does when it turns a duration
//! into a `timedelta`, a year counts 365 days and a month 30.

use std::fmt;

/// A parsed ISO 8601 duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct IsoDuration {
    millis: i64,
}

/// Why a duration did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an ISO 8601 duration (e.g. P30D, PT1H, PT0.5S)")]
pub struct DurationError(pub String);

const SECOND: f64 = 1000.0;
const MINUTE: f64 = 60.0 * SECOND;
const HOUR: f64 = 60.0 * MINUTE;
const DAY: f64 = 24.0 * HOUR;

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
    /// part may carry a fraction).
    pub fn parse(text: &str) -> Result<IsoDuration, DurationError> {
        let bad = || DurationError(text.to_string());
        let rest = text.strip_prefix('P').ok_or_else(bad)?;
        if rest.is_empty() {
            return Err(bad());
        }
        let (date, time) = match rest.split_once('T') {
            Some((d, t)) if !t.is_empty() => (d, Some(t)),
            Some(_) => return Err(bad()),
            None => (rest, None),
        };
        let mut total = 0.0;
        let mut parts = 0;
        let mut fraction_seen = false;
        let mut take = |segment: &str, units: &[(char, f64)]| -> Result<(), DurationError> {
            let mut number = String::new();
            let mut next_unit = 0;
            for c in segment.chars() {
                if c.is_ascii_digit() || c == '.' || c == ',' {
                    number.push(if c == ',' { '.' } else { c });
                    continue;
                }
                let pos = units[next_unit..]
                    .iter()
                    .position(|(u, _)| *u == c)
                    .ok_or_else(bad)?;
                let (_, scale) = units[next_unit + pos];
                next_unit += pos + 1;
                if number.is_empty() || fraction_seen {
                    return Err(bad());
                }
                let value: f64 = number.parse().map_err(|_| bad())?;
                fraction_seen = number.contains('.');
                total += value * scale;
                parts += 1;
                number.clear();
            }
            if number.is_empty() {
                Ok(())
            } else {
                Err(bad())
            }
        };
        take(
            date,
            &[
                ('Y', 365.0 * DAY),
                ('M', 30.0 * DAY),
                ('W', 7.0 * DAY),
                ('D', DAY),
            ],
        )?;
        if let Some(time) = time {
            take(time, &[('H', HOUR), ('M', MINUTE), ('S', SECOND)])?;
        }
        if parts == 0 || !total.is_finite() || total > i64::MAX as f64 / 2.0 {
            return Err(bad());
        }
        Ok(IsoDuration {
            millis: total.round() as i64,
        })
    }
}

impl fmt::Display for IsoDuration {
    /// The canonical form: whole days as `P30D`, else `PnDTnHnMnS` with millisecond fractions.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.millis;
        if ms == 0 {
            return f.write_str("PT0S");
        }
        let day = DAY as i64;
        let (days, rest) = (ms / day, ms % day);
        f.write_str("P")?;
        if days > 0 {
            write!(f, "{days}D")?;
        }
        if rest == 0 {
            return Ok(());
        }
        f.write_str("T")?;
        let (hours, rest) = (rest / HOUR as i64, rest % HOUR as i64);
        let (minutes, rest) = (rest / MINUTE as i64, rest % MINUTE as i64);
        if hours > 0 {
            write!(f, "{hours}H")?;
        }
        if minutes > 0 {
            write!(f, "{minutes}M")?;
        }
        if rest > 0 {
            if rest % 1000 == 0 {
                write!(f, "{}S", rest / 1000)?;
            } else {
                let text = format!("{:.3}", rest as f64 / 1000.0);
                write!(f, "{}S", text.trim_end_matches('0'))?;
            }
        }
        Ok(())
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
