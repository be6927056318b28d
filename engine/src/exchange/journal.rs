//! The seam between the import of payment information and the accounting journal
//! (`domain.md` §8): every payment record becomes one journal draft line.
//!
//! The import describes every payment-information record as a [`BankEvent`] and hands them,
//! in file order and in batches, to [`journal_lines_for`] inside the import's transaction; the
//! store writes the lines it returns with [`ledger::add_draft_lines`] in that same
//! transaction, so a file and its journal lines are applied together or not at all (I10).
//!
//! # The lines (§8)
//!
//! Per record one line in the payment format's journal: date = the actual payment date (the
//! payment date when the record has none), account = the debtor, offset account = the
//! format's bank account, offsets = the invoice numbers it settles (a collective payment is
//! one line whose offsets list every invoice of the group), source `file F, line L`. The
//! amount is signed on the debtor account: a payment received is negative (it credits the
//! debtor), money going back to the bank positive. The bank's amounts are signed the other
//! way (positive = collected from the debtor; sign code 2, a payout, negative), so a sign code
//! 2 record turns every amount around by itself.
//!
//! | record | text | amount | account |
//! |---|---|---|---|
//! | completed, as charged (0236, 0580, 0585) | `BS <invoice>`, collective `BS <group id>` | − paid | debtor |
//! | completed, amount differs | `(!) BS <invoice>` | − paid | debtor |
//! | payment slip paid (0297) | `BS FI <invoice>` (differs: `(!) BS FI <invoice>`) | − paid | debtor |
//! | customer number matches no mandate (and no line) | `(!) M:<customer number>` | what moved | none |
//! | mandate found, no line, or no invoice number | `(!) BS: Could not find original invoice` | what moved | debtor |
//! | cancelled (0238, 0540) | `(!) Unsubscribed (0238)` | 0 | debtor |
//! | rejected before the due date (0237, 0530; no actual date, nothing paid) | `(!) Unsubscribed (0237)` | 0 | debtor |
//! | rejected after the due date | `(!) Unsubscribed (0237)` | + the amount (debit the debtor) | debtor |
//! | charged back (0239, 0299, 0555) | `(!) Unsubscribed (0239)` | + the amount (debit the debtor) | debtor |
//!
//! "What moved" is − paid for a completion, 0 for a cancellation or a rejection before the due
//! date, + the amount for a rejection after the due date or a charge-back. The amount that
//! goes back is the record's paid amount, or what it says was charged when it carries none.
//!
//! # Decisions
//!
//! * **LS texts**: §8 says LS records post "the same way with the same texts and their own
//!   codes". The texts are the same patterns with the scheme's own name and codes: `LS 7001`,
//!   `(!) LS 7001`, `LS <group id>`, `(!) LS: Could not find original invoice`,
//!   `(!) Unsubscribed (0530)`, `(0540)`, `(0555)`; `(!) M:<customer number>` as for BS. A
//!   bookkeeper sees which scheme the money came through.
//! * **A completion the status machine refused** (the line was no longer sent, e.g. set to
//!   blank by hand) still moved money: its line is written with the `(!)` mark, so a person
//!   decides (the seed: "if the transaction only has this flag, …").
//! * **Lines without an invoice number** (a format that allows it): nothing to settle, so
//!   `(!) BS: Could not find original invoice` when no line of the charge has one; when only
//!   some have, the normal text with the `(!)` mark and the invoices that are known.
//! * **A duplicate** (I5, [`BankEvent::duplicate_of`]) writes nothing: it was journalled from
//!   the file that applied it first.
//! * **A payment its entries cannot take** (more than they have open: a standard-principle
//!   charge of a partly paid invoice, or an invoice settled since the export) gets the `(!)`
//!   mark on its usual text (`(!) BS 5001`): posting would refuse it, so a person decides.
//! * **Attention** (the file's `error` status, `import delivery`'s exit 1) counts the lines a
//!   person must act on before they are posted: the `(!)` lines, and the lines without an
//!   offset account. A format without a bank account gives those: the ledger does not post
//!   them until a person gives each one its bank account (`payrun journal set-offset-account`,
//!   `ledger::set_offset_account`), and the import also says so in the log (stderr).

use super::{BankEvent, EventLine};
use crate::delivery::customer_no_key;
use crate::model::{PaymentFormat, Scheme};
use crate::status::PaymentOutcome;
use ledger::{Amount, Id, NewJournalLine, ATTENTION_MARK};

/// What the journal makes of a batch of bank events.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JournalDraft {
    /// The draft lines to add, in the order of the events.
    pub lines: Vec<NewJournalLine>,
    /// How many of them need a person before they are posted: the `(!)` mark, or no offset
    /// account (`journal_lines.attention`, without the person's approval).
    pub attention: usize,
    /// How many have no offset account (the format has no bank account).
    pub without_offset: usize,
}

/// The journal draft lines for a batch of bank events: one per event that is not a duplicate,
/// in the journal and with the bank account of the event's payment format (`formats` are the
/// company's; see the module documentation).
///
/// `remaining` looks up the remaining amount of an event line's entry (`None`: no such
/// entry). It is handed the whole line, so the store finds the entry it read with the line by
/// the line's id, without a map by entry id (−1.3 % instructions of `import delivery` at
/// 100,000). A line that would otherwise post without a person, but moves more than its
/// entries have open (a standard-principle charge of a partly paid invoice, an invoice
/// settled since the export), gets the `(!)` mark: posting it would be refused, so a person
/// decides.
pub fn journal_lines_for<E>(
    events: &[BankEvent],
    formats: &[PaymentFormat],
    remaining: &mut dyn FnMut(&EventLine) -> Result<Option<Amount>, E>,
) -> Result<JournalDraft, E> {
    let mut draft = JournalDraft::default();
    for event in events {
        let format = formats.iter().find(|f| f.id == event.format_id);
        let Some(mut line) = journal_line(event, format) else {
            continue;
        };
        if !line.text.starts_with(ATTENTION_MARK) && !line.amount.is_zero() {
            let mut open: i128 = 0;
            let mut known = true;
            for entry in &event.lines {
                match remaining(entry)? {
                    Some(amount) => open += i128::from(amount.ore()),
                    None => known = false,
                }
            }
            // A payment (negative) needs that much open; a payout that much owed.
            let needed = -i128::from(line.amount.ore());
            let fits = if needed > 0 {
                open >= needed
            } else {
                open <= needed
            };
            if !known || !fits {
                line.text = format!("{ATTENTION_MARK} {}", line.text);
            }
        }
        draft.attention +=
            usize::from(line.text.starts_with(ATTENTION_MARK) || line.offset_account.is_none());
        draft.without_offset += usize::from(line.offset_account.is_none());
        draft.lines.push(line);
    }
    Ok(draft)
}

/// Whether §8 gives the event a `(!)` line.
pub fn needs_attention(event: &BankEvent) -> bool {
    journal_line(event, None).is_some_and(|line| line.text.starts_with(ATTENTION_MARK))
}

/// The one journal line of an event, or `None` for a duplicate (I5).
pub fn journal_line(event: &BankEvent, format: Option<&PaymentFormat>) -> Option<NewJournalLine> {
    if event.duplicate_of.is_some() {
        return None;
    }
    let scheme = match event.scheme {
        Scheme::Bs => "BS",
        Scheme::Ls => "LS",
    };
    let moved = moved(event);
    let invoices = invoices(event);
    let (text, account, amount) = if event.lines.is_empty() {
        match (&event.mandate, &event.debtor) {
            (Some(_), Some(debtor)) => (
                format!("{ATTENTION_MARK} {scheme}: Could not find original invoice"),
                Some(debtor.to_string()),
                moved,
            ),
            _ => (
                format!("{ATTENTION_MARK} M:{}", customer_no_key(&event.customer_no)),
                None,
                moved,
            ),
        }
    } else {
        let unsubscribed = || format!("{ATTENTION_MARK} Unsubscribed ({})", event.code);
        let text = match event.outcome {
            PaymentOutcome::Completed | PaymentOutcome::Difference if invoices.is_empty() => {
                format!("{ATTENTION_MARK} {scheme}: Could not find original invoice")
            }
            PaymentOutcome::Completed | PaymentOutcome::Difference => {
                let slip = if event.code == "0297" { " FI" } else { "" };
                // `{scheme}{slip} {group or invoices}`, written in place rather than formatted
                // from a joined copy (with [`source`]: −0.7 % instructions of `import delivery`
                // at 100,000).
                let mut plain = String::with_capacity(32);
                plain.push_str(scheme);
                plain.push_str(slip);
                plain.push(' ');
                match &event.group {
                    Some(group) => plain.push_str(group),
                    None => {
                        for (i, invoice) in invoices.iter().enumerate() {
                            if i > 0 {
                                plain.push(' ');
                            }
                            plain.push_str(invoice);
                        }
                    }
                }
                let missing_invoice = event
                    .lines
                    .iter()
                    .any(|l| matches!(l.invoice.as_deref().map(str::trim), None | Some("")));
                let refused = event.lines.iter().any(|l| l.status_after.is_none());
                if event.outcome == PaymentOutcome::Difference || missing_invoice || refused {
                    format!("{ATTENTION_MARK} {plain}")
                } else {
                    plain
                }
            }
            PaymentOutcome::Rejected { .. }
            | PaymentOutcome::Unsubscribed
            | PaymentOutcome::ChargedBack => unsubscribed(),
        };
        (text, event.debtor.as_ref().map(Id::to_string), moved)
    };
    Some(NewJournalLine {
        journal: format.map_or_else(
            || crate::payment_format::DEFAULT_JOURNAL.to_string(),
            |f| f.journal.clone(),
        ),
        date: event.actual_date.unwrap_or(event.payment_date),
        account,
        text,
        amount,
        offset_account: format
            .and_then(|f| f.bank_account.clone())
            .filter(|a| !a.trim().is_empty()),
        offsets: invoices,
        source: source(event.file_id, event.record_line),
    })
}

/// `file F, line L`, written in place rather than by `format!` (see `journal_line`).
fn source(file: i64, line: usize) -> String {
    let (file, line) = (file.to_string(), line.to_string());
    let mut source = String::with_capacity(13 + file.len() + line.len());
    source.push_str("file ");
    source.push_str(&file);
    source.push_str(", line ");
    source.push_str(&line);
    source
}

/// What moved on the debtor account (see the module documentation).
fn moved(event: &BankEvent) -> Amount {
    let back = || {
        if event.amount_paid.is_zero() {
            event.amount_charged
        } else {
            event.amount_paid
        }
    };
    match event.outcome {
        PaymentOutcome::Completed | PaymentOutcome::Difference => negate(event.amount_paid),
        PaymentOutcome::Unsubscribed => Amount::ZERO,
        PaymentOutcome::Rejected {
            after_due_date: false,
        } => Amount::ZERO,
        PaymentOutcome::Rejected {
            after_due_date: true,
        }
        | PaymentOutcome::ChargedBack => back(),
    }
}

/// −amount; the bank's amounts are at most 13 digits of øre, far from `i64::MIN`.
fn negate(amount: Amount) -> Amount {
    amount.checked_neg().unwrap_or(amount)
}

/// The invoice numbers of the event's lines, in line order, each once.
fn invoices(event: &BankEvent) -> Vec<String> {
    let mut invoices: Vec<String> = Vec::with_capacity(event.lines.len());
    for invoice in event.lines.iter().filter_map(|l| l.invoice.as_deref()) {
        let invoice = invoice.trim();
        if !invoice.is_empty() && !invoices.iter().any(|i| i == invoice) {
            invoices.push(invoice.to_string());
        }
    }
    invoices
}

#[cfg(test)]
#[path = "journal_tests.rs"]
mod tests;
