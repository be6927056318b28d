//! The seam between the import of payment information and the accounting journal
//! (`domain.md` §8).
//!
//! The import describes every payment-information record as a [`BankEvent`] and hands them,
//! in file order and in batches, to [`journal_lines_for`] inside the import's transaction. The
//! journal issue fills that function in: per event one draft line in the format's journal
//! (date, debtor account, amount, the format's bank account as offset, the invoice numbers as
//! offsets) and the `(!)` texts of the §8 table; the store writes them in the same
//! transaction, so a file and its journal lines are applied together or not at all (I10).
//!
//! Until then it writes nothing and only counts the events that will need a person: the ones
//! §8 marks `(!)`, which decide the archived file's status (`error`) and the import's exit
//! code. An event the import recognised as applied before (I5, [`BankEvent::duplicate_of`])
//! must never be posted again and needs nobody.

use super::BankEvent;
use crate::status::PaymentOutcome;

/// What the journal makes of a batch of bank events.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JournalDraft {
    /// Draft lines that need a person (`(!)` lines).
    pub attention: usize,
}

/// The journal draft lines for a batch of bank events (see the module documentation).
pub fn journal_lines_for(events: &[BankEvent]) -> JournalDraft {
    JournalDraft {
        attention: events.iter().filter(|e| needs_attention(e)).count(),
    }
}

/// Whether §8 gives the event a `(!)` line: no mandate or no line found, an amount that
/// differs, a rejection, cancellation or charge-back, or a line whose status could not follow
/// the record (the status machine refused the change).
pub fn needs_attention(event: &BankEvent) -> bool {
    if event.duplicate_of.is_some() {
        return false;
    }
    event.lines.is_empty()
        || event.outcome != PaymentOutcome::Completed
        || event.lines.iter().any(|l| l.status_after.is_none())
}
