//! Journal drafts and their lines, and the ledger transactions that posting writes.
//!
//! A **journal draft** is the set of lines of one journal (`Day`, …) that are not posted yet. A
//! line says that `amount` moved on a debtor `account` (signed on the debtor account: a payment
//! received is negative, it credits the debtor; a charge-back is positive, it debits the
//! debtor), against an `offset_account` (a general-ledger account, typically the bank), and
//! which invoices it settles (`offsets`). The engine writes the lines; the ledger books them.
//!
//! # Attention
//!
//! A line **needs attention** (`attention`, and it is never posted) when
//! - its text starts with [`ATTENTION_MARK`] `(!)` and no person has fixed it yet: the engine
//!   marks every line that deviates (a difference, an unknown customer, a rejection, …) this
//!   way, so the rule lives in one place, the text; or
//! - it has no account (the engine could not tell whose money it is); or
//! - it has no offset account (it could not balance, I1); a person gives it one with
//!   `set_offset_account`, which is not an approval of a `(!)` text.
//!
//! Setting a line's account (`set_account`) is a person's approval: the line is then marked
//! `fixed_by_person` and is posted even though its text still starts with `(!)` (the text
//! stays what the bank file said). The rule is computed by SQLite as a generated column of
//! `journal_lines`, so a stored flag can never disagree with the text; [`needs_attention`] is
//! the same rule in Rust, and a test keeps the two equal.

use crate::Amount;
use chrono::{NaiveDate, NaiveDateTime};

/// The prefix of a line text that asks a person to look at the line.
pub const ATTENTION_MARK: &str = "(!)";

/// Whether a line needs a person before it can be posted; see the module documentation.
pub fn needs_attention(
    text: &str,
    fixed_by_person: bool,
    account: Option<&str>,
    offset_account: Option<&str>,
) -> bool {
    (text.starts_with(ATTENTION_MARK) && !fixed_by_person)
        || account.is_none()
        || offset_account.is_none()
}

/// A line for the journal draft, as the engine builds it from a bank record (or a person
/// transfers it from a payment line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJournalLine {
    /// The journal's name, e.g. `Day` (the payment format's journal).
    pub journal: String,
    /// The date the money moved.
    pub date: NaiveDate,
    /// The debtor account, when known. `None` puts the line up for attention.
    pub account: Option<String>,
    /// The text, e.g. `BS 5001`; a text starting `(!)` asks for attention.
    pub text: String,
    /// Signed on the debtor account: negative credits the debtor (a payment received),
    /// positive debits the debtor (a charge-back, a payout).
    pub amount: Amount,
    /// The general-ledger account the line balances against (the bank account).
    pub offset_account: Option<String>,
    /// The invoice numbers of the debtor's entries the line settles, in the order given.
    pub offsets: Vec<String>,
    /// Where the line came from, for people: `file 12, line 5`.
    pub source: String,
}

impl NewJournalLine {
    /// Whether the line will need attention once in the draft; see [`needs_attention`].
    pub fn needs_attention(&self) -> bool {
        needs_attention(
            &self.text,
            false,
            self.account.as_deref(),
            self.offset_account.as_deref(),
        )
    }
}

/// A line of a journal draft, as listed. Serializes as `journal list --json` prints it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct JournalLine {
    pub id: i64,
    pub journal: String,
    pub date: NaiveDate,
    pub account: Option<String>,
    pub text: String,
    pub amount: Amount,
    pub offset_account: Option<String>,
    pub offsets: Vec<String>,
    /// Whether the line needs a person before it can be posted ([`needs_attention`]).
    pub attention: bool,
    pub source: String,
    /// A person set the account: the line is approved even if its text starts with `(!)`.
    pub fixed_by_person: bool,
}

/// Which kind of account a posting is on. Debtor accounts and general-ledger accounts are
/// numbered independently, so debtor `5850` and the bank account `5850` are two accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    /// A debtor account (a row of the company's debtors).
    Debtor,
    /// A general-ledger account, such as the bank account a line balances against.
    General,
}

impl AccountKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountKind::Debtor => "debtor",
            AccountKind::General => "general",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<AccountKind> {
        match text {
            "debtor" => Some(AccountKind::Debtor),
            "general" => Some(AccountKind::General),
            _ => None,
        }
    }
}

/// One side of a ledger transaction.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Posting {
    pub account_kind: AccountKind,
    pub account: String,
    /// Positive debits the account, negative credits it.
    pub amount: Amount,
}

/// What posting did to one open entry.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Settlement {
    /// The ledger transaction that settled it.
    pub transaction: i64,
    pub entry_id: String,
    pub invoice: String,
    pub remaining_before: Amount,
    pub remaining_after: Amount,
}

impl Settlement {
    /// The entry is closed: nothing remains.
    pub fn closed(&self) -> bool {
        self.remaining_after.is_zero()
    }
}

/// A posted ledger transaction: immutable (I2), its postings sum to zero (I1).
///
/// `id` counts the company's transactions from 1 without gaps.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LedgerTransaction {
    pub id: i64,
    pub journal: String,
    /// The journal line's date.
    pub date: NaiveDate,
    /// When it was posted (Danish local time, as the caller gave it).
    pub posted_at: NaiveDateTime,
    /// The id the line had in the journal draft.
    pub journal_line: i64,
    pub text: String,
    pub offsets: Vec<String>,
    pub source: String,
    /// The debtor posting first, then the offset posting.
    pub postings: Vec<Posting>,
    /// The entries it settled, by entry id.
    pub settlements: Vec<Settlement>,
}

/// One line of a trial balance: an account's balance over all posted transactions.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AccountBalance {
    pub account_kind: AccountKind,
    pub account: String,
    pub balance: Amount,
}

/// One posted journal line, as `post` reports it. Its transaction holds the rest (text,
/// accounts, settlements).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct PostedLine {
    /// The id the line had in the draft (it is gone from the draft now).
    pub line: i64,
    pub amount: Amount,
    /// The ledger transaction written; `None` for a line of amount zero, which moves no money
    /// and so is taken out of the draft without a transaction.
    pub transaction: Option<i64>,
}

/// What `post` did. Kept small (no text per line) because a posting may hold a million
/// lines; read the transactions for the details.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct PostingReport {
    /// The lines posted, in the order they were posted (by line id).
    pub posted: Vec<PostedLine>,
    /// Entries whose remaining amount changed.
    pub entries_settled: usize,
    /// Of those, the entries now closed (nothing remains).
    pub entries_closed: usize,
    /// Of those, the entries that were closed and are open again (a charge-back).
    pub entries_reopened: usize,
    /// Lines of the journal(s) left in the draft because they need attention.
    pub attention: usize,
    /// Approved payments of more than their named entries had open: what stays on the
    /// debtor's account, on no entry (see [`crate::post`]). Usually none.
    pub on_account: Vec<OnAccount>,
}

/// Part of a posted payment that settled no entry: the debtor paid more than was open, or
/// paid an invoice twice. Negative: a credit on the debtor's account.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OnAccount {
    /// The journal line (gone from the draft; its transaction names it).
    pub line: i64,
    /// The debtor account.
    pub account: String,
    /// Signed as the line's amount.
    pub amount: Amount,
}

impl PostingReport {
    /// The ids of the transactions written, oldest first (they are consecutive).
    pub fn transactions(&self) -> impl Iterator<Item = i64> + '_ {
        self.posted.iter().filter_map(|p| p.transaction)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attention_rule() {
        // (text, fixed by person, account, offset account) → needs attention
        let cases = [
            ("BS 5001", false, Some("100100"), Some("5850"), false),
            ("(!) BS 5001", false, Some("100100"), Some("5850"), true),
            ("(!) BS 5001", true, Some("100100"), Some("5850"), false),
            ("(!) M:999999", false, None, Some("5850"), true),
            ("(!) M:999999", true, None, Some("5850"), true),
            ("BS 5001", false, None, Some("5850"), true),
            ("BS 5001", true, Some("100100"), None, true),
            // Only a prefix counts: the engine writes the mark first.
            (" (!) BS 5001", false, Some("100100"), Some("5850"), false),
            ("BS (!) 5001", false, Some("100100"), Some("5850"), false),
            ("(!)", false, Some("100100"), Some("5850"), true),
        ];
        for (text, fixed, account, offset, expected) in cases {
            assert_eq!(
                needs_attention(text, fixed, account, offset),
                expected,
                "{text:?} fixed={fixed} {account:?} {offset:?}"
            );
        }
    }
}
