//! The one error type of the crate.

use chrono::NaiveDate;
use thiserror::Error;

/// Everything that can go wrong when asking the calendar a question or reading closing days.
///
/// The calendar only answers for 1900-01-01 to 2199-12-31 ([`crate::FIRST_YEAR`] to
/// [`crate::LAST_YEAR`]); anything outside that range is an error rather than a guess, because a
/// deadline computed from a wrong calendar is worse than no deadline.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CalendarError {
    /// A date the caller passed lies outside the supported range.
    #[error("date {date} is outside the supported range 1900-01-01 to 2199-12-31")]
    DateOutOfRange {
        /// The offending date.
        date: NaiveDate,
    },

    /// A year the caller passed lies outside the supported range.
    #[error("year {year} is outside the supported range 1900 to 2199")]
    YearOutOfRange {
        /// The offending year.
        year: i32,
    },

    /// A month number that is not 1 to 12.
    #[error("month {month} is not a month: expected 1 to 12")]
    MonthOutOfRange {
        /// The offending month number.
        month: u32,
    },

    /// Counting banking days from a valid date would leave the supported range, for example the
    /// next banking day after 2199-12-31.
    #[error(
        "counting banking days from {from} leaves the supported range 1900-01-01 to 2199-12-31"
    )]
    CountLeavesRange {
        /// The date the count started from.
        from: NaiveDate,
    },

    /// `nth_last_banking_day` was asked for a position the month does not have (0, or more than
    /// the month's number of banking days).
    #[error(
        "{year}-{month:02} has {count} banking days: there is no banking day number {n} \
         from the end (1 is the last)"
    )]
    NoNthLastBankingDay {
        /// The year of the month.
        year: i32,
        /// The month, 1 to 12.
        month: u32,
        /// The position asked for, counted from the end.
        n: u32,
        /// How many banking days the month has.
        count: usize,
    },

    /// The BS deadline of a payment date falls in the month before it, and for January 1900 that
    /// month is outside the supported range.
    #[error(
        "the bs deadline for payment date {payment_date} falls in the month before it, \
         outside the supported range 1900-01-01 to 2199-12-31"
    )]
    BsDeadlineOutOfRange {
        /// The payment date whose deadline was asked for.
        payment_date: NaiveDate,
    },

    /// A problem in a closing-days CSV file, with the file name and the 1-based line number.
    #[error("{file}:{line}: {problem}")]
    Csv {
        /// The file name as given by the caller; only used in the message.
        file: String,
        /// The 1-based line number of the problem.
        line: usize,
        /// What is wrong on that line.
        problem: CsvProblem,
    },
}

/// What is wrong on one line of a closing-days CSV file; see [`crate::parse_closing_days_csv`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CsvProblem {
    /// The file has no header line (it is empty or only blank lines).
    #[error("no header: expected a line 'date,name'")]
    MissingHeader,

    /// The header lacks a required column.
    #[error("missing column '{0}'")]
    MissingColumn(&'static str),

    /// The header has a column the format does not know.
    #[error("unknown column '{0}': expected the columns 'date' and 'name'")]
    UnknownColumn(String),

    /// The header is one column with `';'` or tabs in it: the file was saved with another
    /// separator (a spreadsheet set up for Danish writes ';').
    #[error("the columns are separated by {0}, not by commas: save the file comma-separated")]
    OtherSeparator(&'static str),

    /// The header names a column twice.
    #[error("column '{0}' appears twice in the header")]
    DuplicateColumn(String),

    /// A row has a different number of fields than the header.
    #[error("expected {expected} fields like the header, found {found}")]
    WrongFieldCount {
        /// The number of columns in the header.
        expected: usize,
        /// The number of fields on this row.
        found: usize,
    },

    /// A date field is not a valid date in the form YYYY-MM-DD.
    #[error("'{0}' is not a date: expected YYYY-MM-DD")]
    NotADate(String),

    /// A date field is a valid date, but outside the supported range.
    #[error("{0} is outside the supported range 1900-01-01 to 2199-12-31")]
    DateOutOfRange(NaiveDate),

    /// A name field is empty.
    #[error("empty name: expected the name of the closing day")]
    EmptyName,

    /// A quoted field has no closing quote on its line.
    #[error("unterminated quote: expected a closing '\"' before the end of the line")]
    UnterminatedQuote,

    /// Text follows the closing quote of a quoted field before the next comma.
    #[error("unexpected text after a closing quote: expected ',' or the end of the line")]
    TextAfterQuote,
}
