//! The journal's one error type.
//!
//! Every message is lower case and says what was wrong, where (the journal line, the debtor
//! account, the invoice) and what to do. A refused operation changed nothing: every journal
//! function decides its refusals before it writes. After [`JournalError::Db`] the caller's
//! transaction may hold part of the work: roll it back.

use crate::Amount;

pub type Result<T> = std::result::Result<T, JournalError>;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JournalError {
    /// A database error that is not one of the cases below. A busy database arrives here too;
    /// the caller decides whether to retry.
    #[error("database error: {0}")]
    Db(#[from] rusqlite::Error),

    /// A line handed to `add_draft_lines` breaks a rule of the journal (the caller's mistake:
    /// the engine builds these lines). `index` counts from 1 in the slice given.
    #[error("journal line {index} of those to add is invalid: {reason}; no line was added")]
    InvalidLine { index: usize, reason: String },

    /// A line handed to `add_draft_lines` names a debtor account the company does not have.
    #[error("journal line {index} of those to add names debtor account '{account}', which this company does not have: import the debtor first; no line was added")]
    UnknownDebtor { index: usize, account: String },

    #[error("no journal line {line} in this company: list the journal draft to see its lines")]
    UnknownLine { line: i64 },

    #[error(
        "journal line {line}: the account is empty: give the debtor account the line belongs to"
    )]
    EmptyAccount { line: i64 },

    /// `set_offset_account` with an empty or blank account.
    #[error("journal line {line}: the offset account is empty: give the general-ledger account the line balances against, e.g. the bank account")]
    EmptyOffsetAccount { line: i64 },

    /// `set_account` with an account that is not one of the company's debtors.
    #[error("journal line {line}: no debtor account '{account}' in this company: a journal line posts to a debtor account; import the debtor first or give an existing account")]
    UnknownAccount { line: i64, account: String },

    /// `post` found no line it may post.
    #[error("{}", nothing_to_post(.journal.as_deref(), *.attention))]
    NothingToPost {
        journal: Option<String>,
        /// Lines left in the draft because they need attention.
        attention: usize,
    },

    #[error("journal line {line} names invoice '{invoice}', but debtor account '{account}' has no entry with that invoice number: nothing was posted; import the debtor's entries and post again; or, if it is a payment the bank made, approve it as it is (journal set-account {line} {account}): it then settles what is open and leaves the rest on the debtor's account")]
    UnknownInvoice {
        line: i64,
        account: String,
        invoice: String,
    },

    /// A payment names an invoice whose entries are all settled already (typically settled
    /// meanwhile, by another line or by an import of the entries).
    #[error("journal line {line} pays invoice '{invoice}' of debtor account '{account}', which is already settled (it may have been settled meanwhile): nothing was posted; import the debtor's entries as they are and post again; or, if the money did move as the line says, approve it as it is (journal set-account {line} {account}): it then settles what is open and leaves the rest on the debtor's account")]
    InvoiceSettled {
        line: i64,
        account: String,
        invoice: String,
    },

    /// A line that credits the debtor (a payment) with more than its invoices have open.
    #[error("journal line {line} credits debtor account '{account}' with {amount}, {excess} more than its invoices ({invoices}) have open: nothing was posted; import the debtor's entries as they are and post again; or, if the money did move as the line says, approve it as it is (journal set-account {line} {account}): it then settles what is open and leaves the rest on the debtor's account")]
    Overpayment {
        line: i64,
        account: String,
        amount: Amount,
        excess: Amount,
        invoices: String,
    },

    /// A line that debits the debtor (a charge-back, a payout) with more than its invoices
    /// can take back: more than was paid of them.
    #[error("journal line {line} debits debtor account '{account}' with {amount}, {excess} more than its invoices ({invoices}) can take back: nothing was posted; if the payment it takes back waits in the draft, approve and post that first; else import the debtor's entries as they are and post again")]
    ExcessDebit {
        line: i64,
        account: String,
        amount: Amount,
        excess: Amount,
        invoices: String,
    },

    #[error("journal line {line}: the amounts of its entries overflow: nothing was posted")]
    Overflow { line: i64 },

    /// The database holds a value this crate cannot read (edited by hand or damaged).
    #[error("database holds an invalid value: {0}")]
    Corrupt(String),
}

impl JournalError {
    /// Whether the operation was refused (bad input, or nothing to do), as opposed to a
    /// database that failed or holds something unreadable. The command line exits 2 on both,
    /// but only a refusal is the user's to fix.
    pub fn is_refusal(&self) -> bool {
        !matches!(self, JournalError::Db(_) | JournalError::Corrupt(_))
    }
}

fn nothing_to_post(journal: Option<&str>, attention: usize) -> String {
    let lines = if attention == 1 {
        "line needs"
    } else {
        "lines need"
    };
    match (journal, attention) {
        (Some(journal), 0) => format!("journal {journal} is empty: nothing to post"),
        (None, 0) => "the journals are empty: nothing to post".to_string(),
        (Some(journal), n) => format!(
            "nothing to post in journal {journal}: {n} {lines} attention (!): set an account on each to approve it, and an offset account on each that has none, then post"
        ),
        (None, n) => format!(
            "nothing to post: {n} {lines} attention (!): set an account on each to approve it, and an offset account on each that has none, then post"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_told_from_failures() {
        assert!(JournalError::UnknownLine { line: 1 }.is_refusal());
        assert!(JournalError::NothingToPost {
            journal: None,
            attention: 0
        }
        .is_refusal());
        assert!(!JournalError::Corrupt("x".to_string()).is_refusal());
        assert!(!JournalError::Db(rusqlite::Error::InvalidQuery).is_refusal());
    }

    #[test]
    fn nothing_to_post_says_why() {
        let message = |journal: Option<&str>, attention| {
            JournalError::NothingToPost {
                journal: journal.map(str::to_string),
                attention,
            }
            .to_string()
        };
        assert_eq!(
            message(Some("Day"), 0),
            "journal Day is empty: nothing to post"
        );
        assert_eq!(message(None, 0), "the journals are empty: nothing to post");
        assert_eq!(
            message(None, 1),
            "nothing to post: 1 line needs attention (!): set an account on each to approve it, and an offset account on each that has none, then post"
        );
    }
}
