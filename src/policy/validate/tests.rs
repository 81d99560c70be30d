//! Timestamps and override dates.

use super::*;

#[test]
fn timestamps() {
    let t = parse_timestamp("2026-12-31T00:00:00Z").unwrap();
    assert_eq!(t.to_rfc3339(), "2026-12-31T00:00:00+00:00");
    let t = parse_timestamp("2026-12-31T02:00:00+02:00").unwrap();
    assert_eq!(t.to_rfc3339(), "2026-12-31T00:00:00+00:00");
    assert_eq!(
        parse_timestamp("2026-12-31T00:00:00"),
        Err(TimestampError::NoTimezone)
    );
    assert_eq!(
        parse_timestamp("2026-12-31 00:00:00"),
        Err(TimestampError::NoTimezone)
    );
    assert_eq!(parse_timestamp("2026-12-31"), Err(TimestampError::DateOnly));
    assert_eq!(
        parse_timestamp("next tuesday"),
        Err(TimestampError::Invalid)
    );
    assert_eq!(
        parse_timestamp("2026-02-30T00:00:00Z"),
        Err(TimestampError::Invalid)
    );
}

#[test]
fn until_dates_last_the_whole_day() {
    assert_eq!(
        parse_until("2026-12-15").unwrap().to_rfc3339(),
        "2026-12-16T00:00:00+00:00"
    );
    assert_eq!(
        parse_until("2026-12-15T10:00:00Z").unwrap().to_rfc3339(),
        "2026-12-15T10:00:00+00:00"
    );
    assert!(parse_until("2026-12-15T10:00:00").is_err());
}
