//! `ledger`: the accounting side of payrun, knowing nothing of Betalingsservice.
//!
//! - **Money**: [`Amount`], integer øre, exact decimal parsing, checked arithmetic (I3).
//! - **Open debtor entries**: [`Entry`], stored by the engine in its `entries` table.
//! - **Journal drafts**: the engine turns bank records into [`NewJournalLine`]s and adds them
//!   with [`add_draft_lines`]; [`draft_lines`] lists a draft. A line whose text starts `(!)`
//!   needs a person ([`needs_attention`]), who approves it by setting its account
//!   ([`set_account`]); a line without an offset account (its payment format has no bank
//!   account) gets one with [`set_offset_account`].
//! - **Posting**: [`post`] turns the approved lines into ledger transactions, settles the
//!   entries they name and empties the draft; [`PostingReport`] says what it did.
//! - **The ledger**: immutable transactions (I2) of two postings that sum to zero (I1):
//!   [`transactions`], [`trial_balance`], and [`check_invariants`] for `payrun verify`.
//! - **Schema**: [`JOURNAL_MIGRATION`] to [`JOURNAL_MIGRATION_4`], which the engine appends
//!   to its migrations.
//!
//! Every database function takes the company (the engine's `companies.key`) and touches only
//! that company's rows (I11). Writers take a connection inside the engine's `IMMEDIATE`
//! transaction (a `rusqlite::Transaction` derefs to one; the engine's import hands over the
//! connection of a transaction it began itself), never commit, and decide every refusal
//! before they write: a refused call changes nothing.
//!
//! # Settlement
//!
//! A line's amount is signed on the debtor account: a payment received is negative (it
//! credits the debtor), a charge-back or payout positive. Posting changes the remaining
//! amounts of the entries its offsets name (the debtor's entries with those invoice numbers)
//! by exactly the line's amount. A payment first nets the named credit notes, then pays the
//! named invoices in settlement order — due date, then entry id, oldest first — each down to
//! zero (closed) before the next. A charge-back mirrors it: it re-opens settled invoices,
//! their remaining amount going back up towards their amount, never past it. A line that
//! would move more than its entries can take (an overpayment, a charge-back of more than was
//! paid), names an invoice the debtor has no entry for, or pays an invoice already settled
//! is refused, and with it the whole posting; but a payment a person approved as it is
//! (`journal set-account`) settles what its entries can take and the rest stays on the
//! debtor's account ([`OnAccount`]), as the money did come in.
//!
//! ```
//! use ledger::{needs_attention, Amount, NewJournalLine};
//!
//! let amount = Amount::parse("1234.50").unwrap();
//! assert_eq!(amount.ore(), 123450);
//! assert_eq!(amount.to_string(), "1234.50");
//! assert!(Amount::parse("12.345").is_err()); // never rounded
//!
//! // A payment that differs from what was charged: the engine marks it for a person.
//! let line = NewJournalLine {
//!     journal: "Day".to_string(),
//!     date: "2026-07-01".parse().unwrap(),
//!     account: Some("100100".to_string()),
//!     text: "(!) BS 5001".to_string(),
//!     amount: Amount::parse("-600").unwrap(),
//!     offset_account: Some("5850".to_string()),
//!     offsets: vec!["5001".to_string()],
//!     source: "file 12, line 5".to_string(),
//! };
//! assert!(line.needs_attention());
//! // Once a person has set its account, it is approved and can be posted.
//! assert!(!needs_attention(&line.text, true, Some("100100"), Some("5850")));
//! ```
#![forbid(unsafe_code)]

mod amount;
mod draft;
mod entry;
mod error;
mod fast_hash;
mod journal;
mod ledger;
mod posting;
mod schema;
mod settlement;
mod sql;
#[cfg(test)]
mod testing;

pub use amount::{Amount, AmountError};
pub use draft::{
    add_draft_lines, draft_line, draft_lines, set_account, set_offset_account, DraftWriter,
};
pub use entry::Entry;

/// A short identifier: an entry id, a debtor account, a format id, a currency code, a payment
/// reference. 16 bytes, as is `Option<Id>`; up to 16 bytes are stored inline and longer ones
/// on the heap, shared between clones (a collective payment id, `<debtor>-<yyyymmdd>`, is on
/// every line of its group). A payment line holds seven ids and an entry five: at 24 bytes
/// each (`String`, or `compact_str`'s inline string, used before) a million-entry run held
/// about 100 MB more, and performance.md allows 512 MB for all of it.
pub type Id = lean_string::LeanString;

/// `format!` into an [`Id`], without a `String` in between.
#[macro_export]
macro_rules! format_id {
    ($($arg:tt)*) => {{
        let mut id = $crate::Id::new();
        ::std::fmt::Write::write_fmt(&mut id, format_args!($($arg)*))
            .expect("an Id takes any text");
        id
    }};
}
pub use error::{JournalError, Result};
pub use fast_hash::{FastHasher, FastMap, FastSet};
pub use journal::{
    needs_attention, AccountBalance, AccountKind, JournalLine, LedgerTransaction, NewJournalLine,
    OnAccount, PostedLine, Posting, PostingReport, Settlement, ATTENTION_MARK,
};
pub use ledger::{check_invariants, transactions, trial_balance, InvariantProblem};
pub use posting::post;
pub use schema::{
    JOURNAL_MIGRATION, JOURNAL_MIGRATION_2, JOURNAL_MIGRATION_3, JOURNAL_MIGRATION_4,
};
pub use sql::{format_date as iso_date, format_time as iso_time, iso_date_from_bytes};
