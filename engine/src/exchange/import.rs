//! What an answer from the bank means (`domain.md` §6 and §8), as pure functions the store's
//! import applies in one transaction.
//!
//! * [`payment_answers`] gives the payment-information records of a BS 0602 (0236–0239,
//!   0297, 0299) or LS 0602 (0580, 0585, 0530, 0540, 0555) in one shape, [`PaymentAnswer`],
//!   with the line each record has in the file.
//! * [`PaymentAnswer::outcome`] is the record's [`PaymentOutcome`] for the status machine:
//!   completed when what moved equals what was charged (what the engine sent for the matched
//!   charge, else what the record says was charged), a difference otherwise; 0237 is a
//!   rejection after the due date when the record has an actual payment date or a paid
//!   amount (the money had moved and goes back).
//! * [`allocate_paid`] spreads a paid amount that differs from the charge over the lines of a
//!   collective payment, for their partial payments.
//! * [`record_lines`] finds every record's line number and text in the file, the way the
//!   delivery reader counts them.

use crate::delivery::{
    customer_no_key, parse_delivery, Bs0602PaymentCode, Bs0602Record, Bs0602Section,
    Bs0602SlipCode, Delivery, Ls0602PaymentCode, Ls0602Record, ParseError,
};
use crate::exchange::{fnv1a64, fnv1a64_more};
use crate::model::Scheme;
use crate::status::PaymentOutcome;
use chrono::NaiveDate;
use ledger::{Amount, Id};

/// A bank file parsed, to import later with [`crate::api::Engine::import_parsed_delivery`]:
/// a caller that checks several files before it imports any (`payrun import delivery`
/// refuses them all when one does not parse) need not parse a file twice. Made only by
/// [`ParsedDelivery::parse`], so the records applied are those of the bytes archived.
#[derive(Debug)]
pub struct ParsedDelivery {
    pub(crate) name: String,
    pub(crate) bytes: Vec<u8>,
    pub(crate) delivery: Delivery,
}

impl ParsedDelivery {
    /// Parses `bytes`, the file named `name` (in messages and the archive).
    pub fn parse(name: &str, bytes: Vec<u8>) -> Result<ParsedDelivery, ParseError> {
        let delivery = parse_delivery(name, &bytes)?;
        Ok(ParsedDelivery {
            name: name.to_string(),
            bytes,
            delivery,
        })
    }
}

/// One payment-information record of a BS or LS 0602, in one shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentAnswer {
    /// 0-based index of the record among the file's records (see [`record_lines`]).
    pub record: usize,
    pub scheme: Scheme,
    pub code: &'static str,
    pub kind: AnswerKind,
    /// BS: the section's PBS number; LS: the creditor number.
    pub creditor: Id,
    /// BS: the section's debtor group.
    pub debtor_group: Option<Id>,
    pub customer_no: Id,
    /// The creditor's reference (BS 0211: 30 characters; 0215: the first 9; LS: none).
    pub reference: Id,
    pub payment_date: NaiveDate,
    pub actual_date: Option<NaiveDate>,
    pub booking_date: Option<NaiveDate>,
    /// What the record says was charged (BS 57–69; LS: what the record carries).
    pub amount: Amount,
    /// What moved (BS 116–128; LS: the record's amount for 0580/0585/0555, else zero).
    pub paid: Amount,
}

/// What a payment-information record reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AnswerKind {
    /// 0236, 0297, 0580, 0585: the payment went through (for some amount).
    Completed,
    /// 0237, 0530: rejected by the debtor.
    Rejected,
    /// 0238, 0540: cancelled, the mandate ended before the due date.
    Cancelled,
    /// 0239, 0299, 0555: charged back.
    ChargedBack,
}

impl PaymentAnswer {
    /// The record's outcome for the status machine, given what the engine sent for the
    /// matched charge (`None` when no charge matched).
    pub fn outcome(&self, sent: Option<Amount>) -> PaymentOutcome {
        match self.kind {
            AnswerKind::Completed => {
                if self.paid == sent.unwrap_or(self.amount) {
                    PaymentOutcome::Completed
                } else {
                    PaymentOutcome::Difference
                }
            }
            AnswerKind::Rejected => PaymentOutcome::Rejected {
                after_due_date: self.actual_date.is_some() || !self.paid.is_zero(),
            },
            AnswerKind::Cancelled => PaymentOutcome::Unsubscribed,
            AnswerKind::ChargedBack => PaymentOutcome::ChargedBack,
        }
    }

    /// The customer number as compared with the ones sent (formats.md §8.8).
    pub fn customer_key(&self) -> std::borrow::Cow<'_, str> {
        customer_no_key(&self.customer_no)
    }
}

/// The payment-information records of a BS 0602 or LS 0602 delivery, in file order; empty for
/// any other delivery.
///
/// An iterator, not a list: the import walks the answers of a million-record file twice, and
/// making each answer when it is needed keeps a second copy of the file's text out of memory.
pub fn payment_answers(delivery: &Delivery) -> impl Iterator<Item = PaymentAnswer> + '_ {
    let bs = match delivery {
        Delivery::Bs0602(d) => d.sections.as_slice(),
        _ => &[],
    };
    let ls = match delivery {
        Delivery::Ls0602(d) => d.records.as_slice(),
        _ => &[],
    };
    // BS002, then per section BS012, its records, BS092: the first record of a section is
    // record 2 plus the records (and the BS012 and BS092) of the sections before it.
    let mut first = 2;
    let bs_answers = bs.iter().flat_map(move |section| {
        let start = first;
        first += section.records.len() + 2;
        section
            .records
            .iter()
            .enumerate()
            .filter_map(move |(i, record)| bs_answer(section, record, start + i))
    });
    let ls_answers = ls
        .iter()
        .enumerate()
        .filter_map(|(i, record)| ls_answer(record, i + 1));
    bs_answers.chain(ls_answers)
}

/// The answer of a BS 0602 record at index `record`, or `None` for a slip address or text.
fn bs_answer(
    section: &Bs0602Section,
    record: &Bs0602Record,
    index: usize,
) -> Option<PaymentAnswer> {
    let base = |code, kind, customer_no: &str, reference: &str| PaymentAnswer {
        record: index,
        scheme: Scheme::Bs,
        code,
        kind,
        creditor: Id::from(section.creditor_pbs.as_str()),
        debtor_group: Some(Id::from(section.debtor_group.as_str())),
        customer_no: Id::from(customer_no),
        reference: Id::from(reference),
        payment_date: NaiveDate::MIN,
        actual_date: None,
        booking_date: None,
        amount: Amount::ZERO,
        paid: Amount::ZERO,
    };
    match record {
        Bs0602Record::Payment(p) => {
            let kind = match p.code {
                Bs0602PaymentCode::Completed => AnswerKind::Completed,
                Bs0602PaymentCode::Rejected => AnswerKind::Rejected,
                Bs0602PaymentCode::Cancelled => AnswerKind::Cancelled,
                Bs0602PaymentCode::ChargedBack => AnswerKind::ChargedBack,
            };
            Some(PaymentAnswer {
                payment_date: p.payment_date,
                actual_date: p.actual_date,
                booking_date: p.booking_date,
                amount: p.amount,
                paid: p.paid_amount,
                ..base(p.code.code(), kind, &p.customer_no, &p.reference)
            })
        }
        Bs0602Record::SlipPayment(p) => {
            let kind = match p.code {
                Bs0602SlipCode::Completed => AnswerKind::Completed,
                Bs0602SlipCode::ChargedBack => AnswerKind::ChargedBack,
            };
            Some(PaymentAnswer {
                payment_date: p.payment_date,
                actual_date: p.actual_date,
                booking_date: p.booking_date,
                amount: p.amount,
                paid: p.paid_amount,
                ..base(p.code.code(), kind, &p.customer_no, &p.reference)
            })
        }
        Bs0602Record::SlipAddress(_) | Bs0602Record::SlipText(_) => None,
    }
}

/// The answer of an LS 0602 record at index `record`, or `None` for a task record.
fn ls_answer(record: &Ls0602Record, index: usize) -> Option<PaymentAnswer> {
    let Ls0602Record::Payment(p) = record else {
        return None;
    };
    let (kind, paid) = match p.code {
        Ls0602PaymentCode::Collected | Ls0602PaymentCode::PaidOut => {
            (AnswerKind::Completed, p.amount)
        }
        Ls0602PaymentCode::Rejected => (AnswerKind::Rejected, Amount::ZERO),
        Ls0602PaymentCode::Cancelled => (AnswerKind::Cancelled, Amount::ZERO),
        Ls0602PaymentCode::ChargedBack => (AnswerKind::ChargedBack, p.amount),
    };
    Some(PaymentAnswer {
        record: index,
        scheme: Scheme::Ls,
        code: p.code.code(),
        kind,
        creditor: Id::from(p.creditor_no.as_str()),
        debtor_group: None,
        customer_no: Id::from(p.customer_no.as_str()),
        reference: Id::default(),
        payment_date: p.payment_date,
        actual_date: None,
        booking_date: None,
        amount: p.amount,
        paid,
    })
}

/// FNV-1a-64 of the normalised content of a delivery file's ISO 8859-1 bytes (as UTF-8, see
/// [`crate::delivery::normalized_content`]), hashed line by line without building it.
pub fn normalized_hash(bytes: &[u8]) -> u64 {
    let mut hash = fnv1a64(b"");
    let mut utf8 = Vec::new();
    for line in bytes.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let end = line.iter().rposition(|&b| b != b' ').map_or(0, |i| i + 1);
        let line = line.get(..end).unwrap_or(line);
        if line.is_empty() || line.starts_with(b"PBCNET") {
            continue;
        }
        if line.is_ascii() {
            hash = fnv1a64_more(hash, line);
        } else {
            utf8.clear();
            for &byte in line {
                let mut buffer = [0; 2];
                utf8.extend_from_slice(char::from(byte).encode_utf8(&mut buffer).as_bytes());
            }
            hash = fnv1a64_more(hash, &utf8);
        }
        hash = fnv1a64_more(hash, b"\n");
    }
    hash
}

/// Every record of a delivery file: its 1-based line number and its text without the line
/// end and trailing blanks, skipping blank lines and `PBCNET` envelope lines exactly as the
/// delivery reader does. Index `i` is the `i`-th record the reader returned.
pub fn record_lines(bytes: &[u8]) -> Vec<(usize, &[u8])> {
    let mut records = Vec::new();
    for (number, line) in bytes.split(|&b| b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(|&b| b == b' ') || line.starts_with(b"PBCNET") {
            continue;
        }
        let end = line.iter().rposition(|&b| b != b' ').map_or(0, |i| i + 1);
        records.push((number + 1, line.get(..end).unwrap_or(line)));
    }
    records
}

/// Spreads `paid` over the lines of a charge whose own amounts are `amounts` (signed), for
/// their partial payments when the bank collected another amount than was charged.
///
/// The lines whose sign is opposite to the charge (credit notes netted into a collection)
/// count as settled in full; the rest of the money goes to the other lines in order, each
/// taking at most its own amount. A line that gets nothing gets 0. What is paid beyond the
/// lines' amounts stays unallocated (the journal line shows the whole paid amount).
pub fn allocate_paid(amounts: &[Amount], paid: Amount) -> Vec<Amount> {
    let net: i128 = amounts.iter().map(|a| i128::from(a.ore())).sum();
    let direction: i128 = if net < 0 { -1 } else { 1 };
    // What is available for the lines in the charge's direction, as a positive number.
    let opposite: i128 = amounts
        .iter()
        .map(|a| i128::from(a.ore()) * direction)
        .filter(|a| *a < 0)
        .map(|a| -a)
        .sum();
    let mut available = (i128::from(paid.ore()) * direction).max(0) + opposite;
    amounts
        .iter()
        .map(|a| {
            let own = i128::from(a.ore()) * direction;
            if own <= 0 {
                return *a;
            }
            let take = own.min(available);
            available -= take;
            // |take| ≤ |a|, so it fits in i64.
            Amount::from_ore(i64::try_from(take * direction).unwrap_or(a.ore()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn normalized_hash_is_the_hash_of_the_normalised_text() {
        let texts: [&[u8]; 6] = [
            b"",
            b"BS002\r\nBS042 1  \r\n\r\n   \nPBCNET header\nBS092",
            b"LS0420001234   \n\nLS9\r \r\n",
            b"\xe6\xf8\xe5 \xc6\xd8\xc5  \nPBCNETX\xff\n x\r",
            b"\n\n\n",
            b" \r\n\xa0\n",
        ];
        for bytes in texts {
            let text: String = bytes.iter().map(|&b| char::from(b)).collect();
            let normalized = crate::delivery::normalized_content(&text);
            assert_eq!(
                super::normalized_hash(bytes),
                crate::exchange::fnv1a64(normalized.as_bytes()),
                "{bytes:?}"
            );
        }
    }

    use super::*;
    use crate::delivery::parse_delivery;

    fn amounts(values: &[i64]) -> Vec<Amount> {
        values.iter().map(|v| Amount::from_ore(*v)).collect()
    }

    #[test]
    fn a_paid_amount_is_spread_over_the_lines_in_order() {
        // 100 + 50 charged as 150, 120 paid: the first line is paid in full, the second 20.
        assert_eq!(
            allocate_paid(&amounts(&[100, 50]), Amount::from_ore(120)),
            amounts(&[100, 20])
        );
        // A credit note netted into the collection counts as settled: 100 + 50 - 30 = 120
        // charged, 90 paid, so 120 is available for the invoices.
        assert_eq!(
            allocate_paid(&amounts(&[100, 50, -30]), Amount::from_ore(90)),
            amounts(&[100, 20, -30])
        );
        // Nothing paid: the invoices get zero, the credit note stays settled.
        assert_eq!(
            allocate_paid(&amounts(&[100, -30]), Amount::ZERO),
            amounts(&[30, -30])
        );
        // A payout paid out in part.
        assert_eq!(
            allocate_paid(&amounts(&[-100, -50]), Amount::from_ore(-120)),
            amounts(&[-100, -20])
        );
        // One line: the partial payment is the paid amount.
        assert_eq!(
            allocate_paid(&amounts(&[1000]), Amount::from_ore(999)),
            amounts(&[999])
        );
        // Overpaid: every line at most its own amount.
        assert_eq!(
            allocate_paid(&amounts(&[100, 50]), Amount::from_ore(500)),
            amounts(&[100, 50])
        );
    }

    #[test]
    fn outcomes_follow_the_codes_and_amounts() {
        let answer = |kind, amount: i64, paid: i64, actual: Option<NaiveDate>| PaymentAnswer {
            record: 2,
            scheme: Scheme::Bs,
            code: "0236",
            kind,
            creditor: "12345678".into(),
            debtor_group: None,
            customer_no: "000000000100100".into(),
            reference: Id::default(),
            payment_date: NaiveDate::from_ymd_opt(2026, 7, 1).unwrap(),
            actual_date: actual,
            booking_date: actual,
            amount: Amount::from_ore(amount),
            paid: Amount::from_ore(paid),
        };
        let day = NaiveDate::from_ymd_opt(2026, 7, 1);
        let sent = Some(Amount::from_ore(100));
        use PaymentOutcome as O;
        assert_eq!(
            answer(AnswerKind::Completed, 100, 100, day).outcome(sent),
            O::Completed
        );
        assert_eq!(
            answer(AnswerKind::Completed, 100, 90, day).outcome(sent),
            O::Difference
        );
        // The record's charged amount differs from what was sent: compared with what was sent.
        assert_eq!(
            answer(AnswerKind::Completed, 90, 90, day).outcome(sent),
            O::Difference
        );
        // Unmatched: compared with the record's own charged amount.
        assert_eq!(
            answer(AnswerKind::Completed, 90, 90, day).outcome(None),
            O::Completed
        );
        assert_eq!(
            answer(AnswerKind::Rejected, 100, 0, None).outcome(sent),
            O::Rejected {
                after_due_date: false
            }
        );
        assert_eq!(
            answer(AnswerKind::Rejected, 100, 100, day).outcome(sent),
            O::Rejected {
                after_due_date: true
            }
        );
        assert_eq!(
            answer(AnswerKind::Cancelled, 100, 0, None).outcome(sent),
            O::Unsubscribed
        );
        assert_eq!(
            answer(AnswerKind::ChargedBack, 100, 100, day).outcome(sent),
            O::ChargedBack
        );
        assert_eq!(
            answer(AnswerKind::Completed, 100, 100, day).customer_key(),
            "100100"
        );
    }

    #[test]
    fn record_lines_skip_what_the_reader_skips() {
        let text = b"PBCNET00 envelope\r\nBS002 a   \r\n\r\n   \nBS012 b\nPBCNET90\n";
        let lines = record_lines(text);
        assert_eq!(
            lines,
            vec![(2, b"BS002 a".as_slice()), (5, b"BS012 b".as_slice())]
        );
    }

    /// The answers of the sample 0602 carry the right line numbers: the record text at that
    /// line has the answer's code.
    #[test]
    fn answers_of_the_sample_0602_point_at_their_records() {
        let bytes = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../tests/data/delivery/samples/bs0602_payments.txt"),
        )
        .unwrap();
        let delivery = parse_delivery("bs0602_payments.txt", &bytes).unwrap();
        let answers: Vec<PaymentAnswer> = payment_answers(&delivery).collect();
        let records = record_lines(&bytes);
        assert_eq!(answers.len(), 11);
        for answer in &answers {
            let (_, text) = records[answer.record];
            assert_eq!(&text[..5], b"BS042");
            assert_eq!(&text[13..17], answer.code.as_bytes(), "{answer:?}");
        }
        let codes: Vec<&str> = answers.iter().map(|a| a.code).collect();
        assert_eq!(
            codes,
            [
                "0236", "0236", "0236", "0237", "0238", "0239", "0236", "0237", "0297", "0297",
                "0299"
            ]
        );
    }
}
