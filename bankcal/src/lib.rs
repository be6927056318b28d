//! The Danish banking calendar: which days are banking days (bankdage), counting in banking
//! days, and the Betalingsservice (BS) and Leverandørservice (LS) submission deadlines that are
//! counted in them.
//!
//! A banking day is a Monday to Friday that is not a closing day (banklukkedag). The closing days
//! are the Danish public holidays plus the Friday after Ascension (since 2009), Constitution Day,
//! Christmas Eve and New Year's Eve; Great Prayer Day was one up to 2023. The rule is written as
//! data in one table, so a change of law is a change of a row; users can add their own closing
//! days from a CSV file without a new release.
//!
//! The crate is pure: no clock, no file I/O. The caller reads files and passes their text.
//!
//! Main items:
//! - [`Calendar`]: the calendar, with every answer precomputed for the supported range
//!   [`FIRST_YEAR`] to [`LAST_YEAR`] (1900 to 2199). Outside it every method returns an error
//!   rather than guess or panic.
//! - [`ClosingDay`]: a closing day with its English and Danish names.
//! - [`parse_closing_days_csv`]: reads a user's extra closing days.
//! - [`easter_sunday`]: the Gregorian computus the movable closing days hang off.
//! - [`CalendarError`]: the one error type.
//!
//! Years before 2009 follow today's rule applied backwards (with Great Prayer Day, without the
//! Friday after Ascension); historic bank closing practices are not modelled. The product needs
//! the years from 2000 on to be exact, and those are tested day by day against an independent
//! formulation of the rule.
//!
//! # Example
//!
//! ```
//! use bankcal::{Calendar, BS_DEFAULT_CUTOFF, LS_DEFAULT_CUTOFF};
//! use chrono::NaiveDate;
//!
//! let calendar = Calendar::danish();
//! let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
//!
//! // The Friday after Ascension is a closing day; 1 May is not.
//! assert!(!calendar.is_banking_day(date(2026, 5, 15))?);
//! assert!(calendar.is_banking_day(date(2026, 5, 1))?);
//!
//! // A BS payment on 1 June 2026 must be delivered by 17:30 on the 6th-last banking day of May.
//! let bs = calendar.bs_deadline(date(2026, 6, 1), false, BS_DEFAULT_CUTOFF)?;
//! assert_eq!(bs, date(2026, 5, 21).and_time(BS_DEFAULT_CUTOFF));
//!
//! // An LS collection is due 1 banking day before the payment date.
//! let ls = calendar.ls_deadline(date(2026, 6, 1), false, LS_DEFAULT_CUTOFF)?;
//! assert_eq!(ls, date(2026, 5, 29).and_time(LS_DEFAULT_CUTOFF));
//!
//! // Outside 1900 to 2199 the calendar refuses to answer.
//! assert!(calendar.is_banking_day(date(2200, 1, 1)).is_err());
//! # Ok::<(), bankcal::CalendarError>(())
//! ```
#![forbid(unsafe_code)]

mod calendar;
mod csv;
mod easter;
mod error;
mod rule;
#[cfg(test)]
mod tests;

use chrono::NaiveTime;

pub use calendar::{Calendar, ClosingDay};
pub use csv::{parse_closing_days_csv, separator_other_than_comma};
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
