//! `ledger`: the accounting side of payrun, knowing nothing of Betalingsservice.
//!
//! It owns money ([`Amount`], integer øre) and, as the journal issue lands, the journal drafts
//! (lines with date, account, text, amount, offset account, offsets and an attention flag),
//! posting, settlement of open debtor entries, and the immutable ledger transactions that
//! posting writes (invariants I1 and I2 of `reliability.md`).
//!
//! ```
//! use ledger::Amount;
//! let amount = Amount::parse("1234.50").unwrap();
//! assert_eq!(amount.ore(), 123450);
//! assert_eq!(amount.to_string(), "1234.50");
//! assert!(Amount::parse("12.345").is_err()); // never rounded
//! ```
#![forbid(unsafe_code)]

mod amount;
mod draft;
mod entry;
mod error;
mod journal;
mod ledger;
mod posting;
mod schema;
mod settlement;
mod sql;
#[cfg(test)]
mod testing;

pub use amount::{Amount, AmountError};
pub use draft::{add_draft_lines, draft_line, draft_lines, set_account};
pub use entry::Entry;
pub use error::{JournalError, Result};
pub use journal::{
    needs_attention, AccountBalance, AccountKind, JournalLine, LedgerTransaction, NewJournalLine,
    PostedLine, Posting, PostingReport, Settlement, ATTENTION_MARK,
};
pub use ledger::{check_invariants, transactions, trial_balance, InvariantProblem};
pub use posting::post;
pub use schema::JOURNAL_MIGRATION;
