//! The engine's one error type.
//!
//! Errors are for things that went wrong: bad input, a refused operation, a database problem.
//! Expected outcomes of the payment run (a failed validation, a duplicate delivery) are values,
//! not errors. Every message is lower case and says what was wrong, where, and what to do; none
//! contains a whole CPR number (I12).

use crate::csv_import::ImportError;
use crate::model::Status;
use std::path::PathBuf;

pub type Result<T> = std::result::Result<T, Error>;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A database error that is not one of the cases below.
    #[error("database error: {0}")]
    Db(rusqlite::Error),

    /// Another process holds the write lock for longer than the busy timeout.
    #[error(
        "the database is busy: another payrun is writing to it; nothing was changed, try again"
    )]
    Busy,

    /// A file could not be read or created.
    #[error("'{path}': {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },

    /// `Engine::open` on a path where no database exists.
    #[error("database '{0}' does not exist: run payrun init")]
    DatabaseMissing(PathBuf),

    /// The database was written by a newer payrun.
    #[error("database '{path}' has schema version {found}, but this payrun knows only up to {known}: upgrade payrun")]
    SchemaTooNew {
        path: PathBuf,
        found: u32,
        known: u32,
    },

    /// Inside [`crate::store::Store::atomically`], a write failed but the work went on and
    /// returned success. The transaction was rolled back: part of the failed write may have
    /// been applied, and nothing half-done is committed.
    #[error(
        "a write inside the transaction failed and its error was not passed on; \
         nothing was changed"
    )]
    PartFailed,

    /// The database holds a value this payrun cannot read (it was edited by hand or is damaged).
    #[error("database holds an invalid value: {0}")]
    Corrupt(String),

    /// The database cannot be given the settings payrun relies on.
    #[error("{0}")]
    Unsupported(String),

    /// A CSV import was refused whole; the message lists every bad row.
    #[error("{0}")]
    Import(#[from] ImportError),

    /// A delivery file could not be exported, imported, archived or simulated. Boxed: its
    /// messages carry a whole delivery key and would make every `Result` large.
    #[error(transparent)]
    Exchange(Box<crate::exchange::ExchangeError>),

    #[error("no company '{0}' in the database: name one that exists with --company, or create it with `payrun init --company {0}`")]
    UnknownCompany(String),

    #[error("several companies in the database ({}): name one with --company", .companies.join(", "))]
    CompanyRequired { companies: Vec<String> },

    #[error("no company: run `payrun init` first")]
    NoCompany,

    #[error("company '{0}' already exists in the database: choose another id with --company")]
    CompanyExists(String),

    #[error("company id '{0}' is not valid: use 1 to 30 letters, digits, '-' or '_'")]
    InvalidCompanyId(String),

    #[error("no payment format '{0}' in this company: add it with `payrun format add --id {0}`")]
    UnknownFormat(String),

    #[error("payment format '{0}' already exists in this company: choose another id")]
    FormatExists(String),

    /// A payment format that breaks the scheme's rules; the message lists every problem.
    #[error("{0}")]
    InvalidFormat(String),

    #[error("no payment line {0} in this company: `payrun list` shows the lines")]
    UnknownLine(i64),

    #[error("no entry '{0}' in this company: import it with `payrun import entries`")]
    UnknownEntry(String),

    /// A new payment line names a debtor that is not its entry's.
    #[error("entry '{entry}' belongs to debtor '{expected}', not '{given}'")]
    WrongDebtor {
        entry: String,
        expected: String,
        given: String,
    },

    /// An optimistic status change found the line in another status than expected.
    #[error("payment line {line} is now {}, not {}: it changed meanwhile; nothing was changed, run the command again", .found.as_str(), .expected.as_str())]
    StaleStatus {
        line: i64,
        expected: Status,
        found: Status,
    },

    /// Only lines that were never sent may be deleted.
    #[error("payment line {0} has been sent and cannot be deleted")]
    LineSent(i64),

    /// Manual status changes the status machine refuses (`domain.md` §6); nothing changed.
    #[error("{}", refused_message(.0))]
    StatusRefused(Vec<crate::run::RefusedChange>),

    /// The journal refused an operation (an unknown journal line or account, nothing to post,
    /// an invoice settled meanwhile, …); nothing changed. See [`ledger::JournalError`].
    #[error("{0}")]
    Journal(ledger::JournalError),

    /// `journal transfer` was asked for something it cannot do; nothing changed.
    #[error("{0}")]
    Transfer(String),

    /// A partial payment that cannot be set on the line (it was sent already, or the amount
    /// does not fit its entry); nothing changed.
    #[error("payment line {line}: {reason}; nothing was changed")]
    PartialPaymentRefused { line: i64, reason: String },

    /// A payment date that cannot be set on the line (it was sent already); nothing changed.
    #[error("payment line {line}: {reason}; nothing was changed")]
    PaymentDateRefused { line: i64, reason: String },
}

impl From<ledger::JournalError> for Error {
    /// The journal's database errors go through the same mapping as the engine's own, so a
    /// busy database stays [`Error::Busy`] (retryable); its refusals stay journal errors.
    fn from(error: ledger::JournalError) -> Error {
        match error {
            ledger::JournalError::Db(e) => Error::from(e),
            ledger::JournalError::Corrupt(text) => Error::Corrupt(text),
            other => Error::Journal(other),
        }
    }
}

impl From<rusqlite::Error> for Error {
    /// A busy or locked database becomes [`Error::Busy`], which a caller may retry; everything
    /// else stays a database error.
    fn from(error: rusqlite::Error) -> Error {
        match error.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
                Error::Busy
            }
            _ => Error::Db(error),
        }
    }
}

fn refused_message(refused: &[crate::run::RefusedChange]) -> String {
    let parts: Vec<String> = refused
        .iter()
        .map(|r| format!("line {}: {} ({})", r.line, r.refusal, r.refusal.code()))
        .collect();
    format!(
        "status change refused, nothing was changed: {}",
        parts.join("; ")
    )
}
