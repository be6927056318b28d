//! Delivery files end to end (`domain.md` §6–§8): the export of a payment run to Mastercard,
//! the import of the bank's answers, the file archive and the bank simulator's file edge.
//!
//! The fixed-width layouts live in [`crate::delivery`] (pure codecs); this module decides
//! *what* goes into a file and *what* an answer does to the payment lines:
//!
//! * [`export`] plans an export from the run data and the validation results: one charge per
//!   collective group or single line, a unique payment reference per charge, one delivery per
//!   payment format (BS 0601 section 0112, LS material type 40) and its file name. Pure.
//! * [`import`] turns an answer's records into outcomes of the status machine (pure helpers)
//!   and describes each 0602 payment record as a [`BankEvent`] for the journal.
//! * [`journal`] is the seam where the journal issue turns bank events into draft lines.
//! * [`files`] writes delivery files atomically and reads the ZIP archives the export writes.
//! * [`simulate`] is `payrun simulate-bank`: answers to an exported file, written to a
//!   directory.
//! * The SQLite part (archive, charges, applied records, the transactions) is
//!   `store::exchange`; the [`Engine`](crate::api::Engine) methods are in `engine_api`.
//!
//! # Decisions
//!
//! * **Payment reference**: a per-company running charge number written as 9 digits
//!   (`000000042`). Nine characters because the 0602 answer to a payment slip (0297/0299)
//!   returns only the first 9 characters of the reference (formats.md §3): a longer
//!   reference would not identify the charge there. Every line of a charge carries the
//!   reference; its uniqueness is the primary key of the `charges` table, which also keeps
//!   the customer number, payment date and amount sent for the fallback match, and the ids
//!   of the lines it was sent for (there is no index of the lines by reference).
//! * **Matching an answer** (§8): by reference through `charges`; else by customer number
//!   (upper case, leading zeros stripped) and payment date with the same amount; for LS,
//!   whose 0602 carries the amount that moved rather than the amount charged, a single charge
//!   of that customer and date also matches. The lines are those carrying the charge's
//!   reference (a line resent since carries a newer one and is not touched).
//! * **File names** (§7): BS `AB_PBSXML000<yyyymm><supplier CVR><delivery id, 10 digits>PROD`,
//!   with `.zip` when zipped (the archive holds one entry named without `.zip`); LS
//!   `NetsLS_<yymmdd>_<delivery id, 10 digits>`. No other extension: the names are the
//!   seed's masks. Delivery ids come from one per-company counter shared by BS and LS.
//! * **Archive statuses**: a sent file is `pending` (written to the out directory, not yet
//!   confirmed by the bank); a received file is `ok`, or `error` when some record needs a
//!   person (the `attention` count).
//! * **I5 key**: the text of the return record itself (trailing blanks stripped): a record the
//!   bank sends again in another file is the same text. Kept as FNV-1a-64 hash plus the place
//!   of the record in its archived file, so a hash hit is confirmed against the text.
//! * **Notification texts** (BS 052) are written in Danish, the debtor's language: one line
//!   per invoice, `Faktura 5001: 1.000,00 kr.` (`Kreditnota` for a credit note).

pub mod archive;
pub mod export;
pub mod files;
pub mod import;
pub mod journal;
pub mod simulate;

mod engine_api;

pub use archive::{ArchiveFilter, ArchivedFile, ArchivedFileContent, FileLogEntry};

use crate::delivery::{DeliveryKey, ParseError, RenderError, ZipError};
use crate::model::{Scheme, Status};
use crate::status::PaymentOutcome;
use chrono::NaiveDate;
use ledger::{Amount, Id};
use std::path::PathBuf;

/// What went wrong while exchanging files with the bank.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExchangeError {
    /// The export committed (its lines are sent) but a file could not be renamed into place.
    #[error("the export was recorded, but its file '{}' could not be put in place ({reason}): \
             run the same export again to finish it, it sends nothing twice", .path.display())]
    NotPublished { path: PathBuf, reason: String },

    /// The file is not a valid delivery: refused whole, nothing applied.
    #[error("{0}; the file was refused and nothing was applied")]
    Parse(ParseError),

    /// A file the engine writes was given to `import delivery`.
    #[error("{file}: is a {kind} delivery to Mastercard, not an answer from it: only BS 0602/0603, LS 0690/0602 and LS type 30 files can be imported")]
    NotAnAnswer { file: String, kind: &'static str },

    /// I4: the same delivery key was imported before with other content.
    #[error("{file}: delivery {} (data supplier {}, system code {}, type {}, created {}) was already imported as archive file {archived} ('{archived_name}') with different content; refused, nothing applied: ask Mastercard which one is right", .key.delivery_id, .key.data_supplier, .key.system_code, .key.delivery_type, .key.created.map_or_else(|| "-".to_string(), |d| d.to_string()))]
    ConflictingDelivery {
        file: String,
        key: DeliveryKey,
        archived: i64,
        archived_name: String,
    },

    /// None of the file's creditor numbers is one of this company's payment formats.
    #[error("{file}: is for creditor {creditors}, which is not a {scheme} payment format of company '{company}': import it into the right company (--company)")]
    NotForCompany {
        file: String,
        creditors: String,
        scheme: &'static str,
        company: String,
    },

    /// The delivery could not be written (a value does not fit its field).
    #[error("cannot write the delivery for payment format '{format}': {error}")]
    Render { format: String, error: RenderError },

    #[error("{0}")]
    Zip(#[from] ZipError),

    /// A file is too large to be read.
    #[error("'{}': {size} bytes is more than the {limit} bytes a delivery may have", .path.display())]
    TooLarge {
        path: PathBuf,
        size: u64,
        limit: usize,
    },

    /// A ZIP archive that `simulate-bank` cannot read.
    #[error("{file}: {reason}")]
    Unzip { file: String, reason: String },

    /// `simulate-bank` was given a file that is not an export.
    #[error("{file}: is a {kind} delivery; simulate-bank answers an exported BS 0601 or LS type 40 file")]
    NotAnExport { file: String, kind: &'static str },

    /// No archived file with this id in the company.
    #[error("no file {0} in this company's file archive: `payrun archive list` shows the files")]
    UnknownFile(i64),

    /// The out directory cannot be used.
    #[error("'{}' is not a directory: create it first", .0.display())]
    NotADirectory(PathBuf),
}

impl From<ExchangeError> for crate::Error {
    fn from(error: ExchangeError) -> crate::Error {
        crate::Error::Exchange(Box::new(error))
    }
}

/// How a return record was tied to payment lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MatchedBy {
    /// The payment reference named a charge.
    Reference,
    /// Customer number and payment date (and amount) named a charge.
    CustomerAndDate,
    /// No charge was found.
    Nothing,
}

impl MatchedBy {
    pub fn as_str(self) -> &'static str {
        match self {
            MatchedBy::Reference => "reference",
            MatchedBy::CustomerAndDate => "customer-and-date",
            MatchedBy::Nothing => "nothing",
        }
    }
}

/// One payment line a return record answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventLine {
    pub line: i64,
    pub entry_id: Id,
    /// The entry's invoice number: the journal line's offset.
    pub invoice: Option<Id>,
    pub debtor: Id,
    /// What the line would have charged on its own (signed).
    pub amount: Amount,
    pub status_before: Status,
    /// The status the record gave the line; `None` when it changed nothing (the event is not
    /// an edge from the line's status, or the record was applied before).
    pub status_after: Option<Status>,
}

/// One payment-information record (BS 0602 sections 0211/0215 or LS 0602), matched to the
/// payment lines it answers: what the journal issue needs to write its draft line (§8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankEvent {
    /// The archived file (`archive show`) and the record's line in it: the journal line's
    /// source, `file 12, line 5`.
    pub file_id: i64,
    pub record_line: usize,
    pub scheme: Scheme,
    /// The record's transaction code: `0236`–`0239`, `0297`, `0299`, `0580`, `0585`, `0530`,
    /// `0540`, `0555`.
    pub code: &'static str,
    pub outcome: PaymentOutcome,
    /// The payment format whose creditor number the record carries.
    pub format_id: Id,
    /// The customer number as the bank returned it (BS: right-aligned with zeros).
    pub customer_no: Id,
    /// The mandate with this customer number (compared upper case, leading zeros stripped),
    /// when the company has one in this format: `None` is the journal's `(!) M:<customer>`.
    pub mandate: Option<Id>,
    /// The debtor: the matched lines' or, without lines, the mandate's.
    pub debtor: Option<Id>,
    /// The creditor's reference in the record (BS; empty for LS).
    pub reference: Id,
    pub payment_date: NaiveDate,
    /// BS 104–109: the actual payment date (for 0239/0299 the charge-back date).
    pub actual_date: Option<NaiveDate>,
    pub booking_date: Option<NaiveDate>,
    /// What the record says was charged (signed: negative = paid out to the debtor).
    pub amount_charged: Amount,
    /// What moved (signed): zero for rejections and cancellations before the due date.
    pub amount_paid: Amount,
    /// What the engine sent for the matched charge.
    pub amount_sent: Option<Amount>,
    pub matched_by: MatchedBy,
    /// The matched charge's reference and its collective payment id (`<debtor>-<yyyymmdd>`).
    pub charge: Option<Id>,
    pub group: Option<Id>,
    pub lines: Vec<EventLine>,
    /// I5: the same record was applied before from this archived file; nothing changed now
    /// and nothing may be posted again.
    pub duplicate_of: Option<i64>,
}

/// One file written by an export.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ExportedFile {
    /// Where the file was written.
    pub path: PathBuf,
    /// The archive id (`archive show`).
    pub file_id: i64,
    /// The payment format's id.
    pub format: String,
    /// `bs` or `ls`.
    pub scheme: &'static str,
    /// 10 digits.
    pub delivery_id: String,
    pub charges: usize,
    pub lines: usize,
    /// The net amount of the charges (collections minus payouts).
    pub amount: Amount,
}

/// Lines that were exportable but could not be written into a delivery.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HeldCharge {
    pub format: String,
    pub lines: Vec<i64>,
    pub reason: String,
}

/// What `export` did: the files written (none when nothing was due) and the charges held back.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ExportReport {
    pub files: Vec<ExportedFile>,
    pub held: Vec<HeldCharge>,
}

/// Whether an import applied the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportOutcome {
    Applied,
    /// I4: the same delivery with the same content is in the archive; nothing changed.
    AlreadyImported,
}

impl ImportOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            ImportOutcome::Applied => "applied",
            ImportOutcome::AlreadyImported => "already-imported",
        }
    }
}

impl serde::Serialize for ImportOutcome {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// What importing one delivery file did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ImportReport {
    /// The file as named by the caller.
    pub path: String,
    /// The archive id (of the earlier import when already imported).
    pub file_id: i64,
    /// `0602`, `0603`, `0690` or `30`.
    pub delivery_type: &'static str,
    /// `bs` or `ls`.
    pub scheme: &'static str,
    pub outcome: ImportOutcome,
    /// Detail records in the file (payment, mandate, receipt, remark… records).
    pub records: usize,
    /// Records a person must look at (the journal's `(!)` lines and lines without an offset
    /// account, unknown mandates, remarks).
    pub attention: usize,
    /// Status changes made to payment lines (a line that a charge-back moves to received and
    /// then to reversed counts twice).
    pub changed: usize,
    /// Mandates created or changed.
    pub mandates_changed: usize,
    /// Payment records that matched no payment line.
    pub unmatched: usize,
    /// Status changes the status machine refused (the line kept its status).
    pub refused: usize,
    /// I5: records applied before from another file, which changed nothing.
    pub duplicates: usize,
    /// Sections or records for creditors that are not this company's, skipped.
    pub skipped: usize,
}

/// A short name of a scheme for JSON and file names.
pub fn scheme_id(scheme: Scheme) -> &'static str {
    crate::payment_format::scheme_id(scheme)
}

/// FNV-1a, 64 bits: the content hash of archived files and the I5 record key. Not
/// cryptographic; every hit is confirmed against the text it stands for.
pub(crate) fn fnv1a64(bytes: &[u8]) -> u64 {
    fnv1a64_more(0xcbf2_9ce4_8422_2325, bytes)
}

/// FNV-1a-64 continued over more bytes: `fnv1a64_more(fnv1a64(a), b) == fnv1a64(a ++ b)`, so
/// a text can be hashed a piece at a time.
pub(crate) fn fnv1a64_more(mut hash: u64, bytes: &[u8]) -> u64 {
    for &byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
mod tests;
