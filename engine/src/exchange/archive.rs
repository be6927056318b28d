//! The file archive (`domain.md` §7) as the engine returns it: every delivery file sent or
//! received, its status and status log, and its content.

use chrono::NaiveDateTime;
use ledger::Amount;

/// Which archived files `archive list` shows: those created in a year, a month (of that year,
/// or of any year when no year is given), or all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ArchiveFilter {
    pub year: Option<i32>,
    pub month: Option<u32>,
}

/// One archived file, as listed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ArchivedFile {
    /// The file id (`archive show ID`).
    pub id: i64,
    /// When it was written or imported (Danish local time).
    #[serde(serialize_with = "minute")]
    pub created: NaiveDateTime,
    /// The creditor number (BS: PBS number, LS: creditor number).
    pub creditor: String,
    /// True for a file sent to Mastercard, false for one received.
    pub export: bool,
    pub file_name: String,
    /// `bs` or `ls`.
    pub scheme: String,
    /// `0601`, `0602`, `0603`, `0690`, `30` or `40`.
    pub delivery_type: String,
    pub delivery_id: String,
    /// The payment format it belongs to, when one.
    pub payment_format: Option<String>,
    /// `pending`, `ok` or `error`.
    pub status: String,
    pub reconciled: bool,
    pub records: i64,
    /// Sent: the net amount charged; received 0602: the sum of the paid amounts; else zero.
    pub amount: Amount,
}

/// One entry of a file's status log.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FileLogEntry {
    #[serde(serialize_with = "minute")]
    pub at: NaiveDateTime,
    pub text: String,
}

/// An archived file with its content (decoded from ISO 8859-1) and its status log.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ArchivedFileContent {
    #[serde(flatten)]
    pub file: ArchivedFile,
    pub log: Vec<FileLogEntry>,
    pub content: String,
}

/// Times in JSON are `YYYY-MM-DDTHH:MM` (cli.md).
fn minute<S: serde::Serializer>(time: &NaiveDateTime, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&time.format("%Y-%m-%dT%H:%M").to_string())
}
