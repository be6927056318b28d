//! The Danish banking calendar: which days are banking days (bankdage), counting in banking
//! days, and the Betalingsservice (BS) and Leverandørservice (LS) submission deadlines that are
//! counted in them.
//!
//! The crate is pure: no clock, no file I/O. It answers for the years [`FIRST_YEAR`] to
//! [`LAST_YEAR`] and returns a [`CalendarError`] outside them.
#![forbid(unsafe_code)]

mod easter;
mod error;

use chrono::NaiveTime;

pub use easter::easter_sunday;
pub use error::{CalendarError, CsvProblem};

/// The first year the calendar answers for.
pub const FIRST_YEAR: i32 = 1900;

/// The last year the calendar answers for (inclusive).
pub const LAST_YEAR: i32 = 2199;

/// The usual Betalingsservice delivery cut-off on the deadline day, 17:30.
pub const BS_DEFAULT_CUTOFF: NaiveTime = time(17, 30);

/// The usual Leverandørservice delivery cut-off on the deadline day, 15:00.
pub const LS_DEFAULT_CUTOFF: NaiveTime = time(15, 0);

/// Mastercard Payment Services' own Betalingsservice cut-off, 18:30. A payment format's cut-off
/// may not be later, since a delivery after it misses the deadline day.
pub const BS_MASTERCARD_CUTOFF: NaiveTime = time(18, 30);

/// Mastercard Payment Services' own Leverandørservice cut-off, 16:00. A payment format's
/// cut-off may not be later, since a delivery after it misses the deadline day.
pub const LS_MASTERCARD_CUTOFF: NaiveTime = time(16, 0);

/// A time of day for the constants above; an invalid one stops the build, not the program.
const fn time(hour: u32, minute: u32) -> NaiveTime {
    match NaiveTime::from_hms_opt(hour, minute, 0) {
        Some(time) => time,
        None => panic!("invalid cut-off time"),
    }
}
