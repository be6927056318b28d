//! Open debtor entries: what a debtor owes (or is owed), as the accounting system knows it.

use crate::{Amount, Id};
use chrono::NaiveDate;

/// An open debtor entry: an invoice or a credit note on a debtor's account.
///
/// `remaining` is what is still open; posting a payment that names the entry in its offsets
/// lowers it, and at zero the entry is closed. A credit note has a negative amount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub entry_id: Id,
    /// The debtor's account number.
    pub debtor: Id,
    /// The posting date, when known.
    pub date: Option<NaiveDate>,
    pub due_date: NaiveDate,
    pub invoice: Option<Id>,
    pub amount: Amount,
    pub remaining: Amount,
    /// ISO 4217 code, `DKK` unless the file said otherwise.
    pub currency: Id,
    pub text: Id,
    /// LS can only charge invoices that have invoice lines.
    pub has_invoice_lines: bool,
    /// FIK71 payment id (15 digits, Luhn check digit last), when the format creates one.
    pub payment_id: Option<Id>,
}

impl Entry {
    /// Open means something remains to be paid or paid out.
    pub fn is_open(&self) -> bool {
        !self.remaining.is_zero()
    }
}
