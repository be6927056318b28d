//! "Now" in Denmark.
//!
//! Every deadline and "today" in payrun is Danish local time (Europe/Copenhagen), whatever
//! the host's time zone. The core never reads the system clock: callers pass `now` as a
//! `NaiveDateTime` in Danish local time. This module is the one place that turns a UTC instant
//! or a user's `YYYY-MM-DDTHH:MM` into that value.

use chrono::{DateTime, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Europe::Copenhagen;

/// The Danish local time of a UTC instant.
pub fn danish_local(instant: DateTime<Utc>) -> NaiveDateTime {
    instant.with_timezone(&Copenhagen).naive_local()
}

/// The Danish local time now, from the system clock. The only function here with a side input.
pub fn now_in_denmark() -> NaiveDateTime {
    danish_local(Utc::now())
}

/// Why a text is not a usable Danish local time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClockError {
    #[error(
        "'{0}' is not a time: expected YYYY-MM-DDTHH:MM (Danish local time), e.g. 2026-05-21T09:00"
    )]
    Invalid(String),
    #[error("'{0}' does not exist in Danish local time (the clocks jump forward that night)")]
    Skipped(String),
}

/// Parses `YYYY-MM-DDTHH:MM` as Danish local time. A time skipped by the switch to summer
/// time is refused; a time that occurs twice (the autumn switch) is accepted as written,
/// because deadlines are compared in local wall-clock time.
pub fn parse_danish_local(text: &str) -> Result<NaiveDateTime, ClockError> {
    let naive = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M")
        .map_err(|_| ClockError::Invalid(text.to_string()))?;
    match Copenhagen.from_local_datetime(&naive) {
        LocalResult::None => Err(ClockError::Skipped(text.to_string())),
        LocalResult::Single(_) | LocalResult::Ambiguous(_, _) => Ok(naive),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_instants_become_danish_wall_clock_time() {
        // Winter: UTC+1; summer: UTC+2.
        let winter = Utc.with_ymd_and_hms(2026, 1, 15, 16, 30, 0).unwrap();
        assert_eq!(danish_local(winter).to_string(), "2026-01-15 17:30:00");
        let summer = Utc.with_ymd_and_hms(2026, 5, 21, 15, 30, 0).unwrap();
        assert_eq!(danish_local(summer).to_string(), "2026-05-21 17:30:00");
        // 23:30 UTC on 31 May is already 1 June in Denmark.
        let late = Utc.with_ymd_and_hms(2026, 5, 31, 23, 30, 0).unwrap();
        assert_eq!(danish_local(late).date().to_string(), "2026-06-01");
    }

    #[test]
    fn parses_danish_local_time() {
        assert_eq!(
            parse_danish_local("2026-05-21T17:30").unwrap().to_string(),
            "2026-05-21 17:30:00"
        );
        assert_eq!(
            parse_danish_local("2026-05-21 17:30").unwrap_err().to_string(),
            "'2026-05-21 17:30' is not a time: expected YYYY-MM-DDTHH:MM (Danish local time), e.g. 2026-05-21T09:00"
        );
        assert!(parse_danish_local("2026-02-30T10:00").is_err());
        // 29 March 2026, 02:30 does not exist in Copenhagen.
        assert_eq!(
            parse_danish_local("2026-03-29T02:30").unwrap_err(),
            ClockError::Skipped("2026-03-29T02:30".into())
        );
        assert!(parse_danish_local("2026-10-25T02:30").is_ok());
    }
}
