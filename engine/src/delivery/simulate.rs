//! The bank simulator's core (`payrun simulate-bank`): turns a delivery the engine sent into
//! the answers the bank would send back, with chosen rates of rejections, cancellations,
//! charge-backs and amount differences. Deterministic per seed (a splitmix64 generator
//! written here), integer only (rates in parts per million).
//!
//! For every payment one number in 0..1,000,000 is drawn and compared with the cumulative
//! rates in this order: rejected, cancelled, charged back, amount difference; the rest are
//! completed. (If the rates add up to more than 1,000,000 the later ones get what is left.)
//!
//! BS (0601 → 0602), one 0602 record per 0601 payment, sections 0112 → 0211:
//! 0236 completed (actual and booking date = payment date, paid = charged), 0237 rejected and
//! 0238 cancelled (104–128 zeros), 0239 charged back (paid = charged, dates 3–10 days after the
//! payment date), amount difference = 0236 with a paid amount strictly between zero and the
//! charged amount. A payment without an amount (sign code 0) is always completed with zeros.
//! Payment slips (0601 section 0117 → 0602 section 0215, slip type 71): completed → 0297,
//! charged back → 0299, difference → 0297 with another paid amount, rejected or cancelled →
//! no record (the slip was never paid).
//!
//! LS (type 40 → 0690 + 0602): one 0900 receipt per payment date with payments; in the 0602
//! one 0500 task record per payment date (amounts: completed collections, completed
//! disbursements as a negative amount, and their net), then per payment 0580/0585 completed,
//! 0530 rejected, 0540 cancelled, 0555 charged back; a difference is a 0580/0585 with another
//! amount. Zero-amount records (stop orders) get no 0602 record.

use chrono::{Days, NaiveDate};
use ledger::{Amount, Id};
use std::borrow::Cow;

use super::bs0601::{Bs0601Delivery, Bs0601Payment, Bs0601SectionCode};
use super::bs0602::{
    Bs0602Delivery, Bs0602Payment, Bs0602PaymentCode, Bs0602Record, Bs0602Section,
    Bs0602SectionCode, Bs0602SlipCode, Bs0602SlipPayment,
};
use super::ls0602::{Ls0602Delivery, Ls0602Payment, Ls0602PaymentCode, Ls0602Record, Ls0602Task};
use super::ls0690::{Ls0690Delivery, Ls0690Receipt, Ls0690Record};
use super::ls40::{Ls40Delivery, Ls40PaymentKind, Ls40Record};

/// What the simulated bank does. Rates are parts per million (20000 = 2 %).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimulationOptions {
    pub seed: u64,
    pub reject_ppm: u32,
    pub cancel_ppm: u32,
    pub chargeback_ppm: u32,
    pub difference_ppm: u32,
    /// Serial number of the answer delivery (BS002 21–30).
    pub delivery_id: u64,
    /// Creation date of the answer.
    pub created: NaiveDate,
}

pub use crate::rng::SplitMix64;

/// Why a rate was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a rate: expected a number from 0 to 1 with at most 6 decimals, like 0.02")]
pub struct RateError(pub String);

/// Parses a rate such as `0.02` into parts per million (20000) without floating point.
/// Accepted: digits, optionally `.` and 1–6 more digits, with a value from 0 to 1.
pub fn parse_rate(text: &str) -> Result<u32, RateError> {
    let error = || RateError(text.to_string());
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty()
        || !all_digits(whole)
        || !all_digits(fraction)
        || fraction.len() > 6
        || (text.contains('.') && fraction.is_empty())
    {
        return Err(error());
    }
    let whole: u32 = match whole.trim_start_matches('0') {
        "" => 0,
        "1" => 1,
        _ => return Err(error()),
    };
    let fraction_ppm = fraction
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(6)
        .fold(0u32, |n, b| n * 10 + u32::from(b - b'0'));
    let ppm = whole * 1_000_000 + fraction_ppm;
    if ppm > 1_000_000 {
        return Err(error());
    }
    Ok(ppm)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Completed,
    Rejected,
    Cancelled,
    ChargedBack,
    Difference,
}

fn draw(rng: &mut SplitMix64, options: &SimulationOptions) -> Outcome {
    let r = rng.below(1_000_000);
    let mut limit = 0u64;
    for (ppm, outcome) in [
        (options.reject_ppm, Outcome::Rejected),
        (options.cancel_ppm, Outcome::Cancelled),
        (options.chargeback_ppm, Outcome::ChargedBack),
        (options.difference_ppm, Outcome::Difference),
    ] {
        limit += u64::from(ppm);
        if r < limit {
            return outcome;
        }
    }
    Outcome::Completed
}

/// A paid amount strictly between zero and `amount`, same sign; `None` when there is none
/// (|amount| < 2 øre).
fn partial(rng: &mut SplitMix64, amount: Amount) -> Option<Amount> {
    let abs = amount.ore().unsigned_abs();
    if abs < 2 {
        return None;
    }
    let part = i64::try_from(1 + rng.below(abs - 1)).ok()?;
    Some(Amount::from_ore(if amount.is_negative() {
        -part
    } else {
        part
    }))
}

/// A customer number the way BS returns it: upper case, right-aligned with leading zeros
/// (formats.md §1).
pub fn returned_customer_no(customer_no: &str) -> String {
    let upper = customer_no.trim().to_uppercase();
    let length = upper.chars().count();
    format!("{}{}", "0".repeat(15usize.saturating_sub(length)), upper)
}

/// The form in which a sent and a returned customer number are compared (formats.md §8.8):
/// trimmed, upper case, leading zeros stripped. Borrowed from `customer_no` when it is already
/// in that form (ASCII without lower case letters), as nearly every number is: an import
/// compares one per answer and per mandate.
pub fn customer_no_key(customer_no: &str) -> Cow<'_, str> {
    let key = customer_no.trim().trim_start_matches('0');
    if key.is_ascii() && !key.bytes().any(|b| b.is_ascii_lowercase()) {
        Cow::Borrowed(key)
    } else {
        // Upper case neither makes nor takes a '0' or a blank, so it can come last.
        Cow::Owned(key.to_uppercase())
    }
}

fn days_after(date: NaiveDate, days: u64) -> NaiveDate {
    date.checked_add_days(Days::new(days)).unwrap_or(date)
}

fn simulate_payment(
    rng: &mut SplitMix64,
    options: &SimulationOptions,
    payment: &Bs0601Payment,
) -> Bs0602Payment {
    let outcome = if payment.amount.is_zero() {
        Outcome::Completed
    } else {
        draw(rng, options)
    };
    let mut record = Bs0602Payment {
        code: Bs0602PaymentCode::Completed,
        customer_no: Id::from(returned_customer_no(&payment.customer_no)),
        agreement_no: Id::from(payment.agreement_no.as_str()),
        payment_date: payment.payment_date,
        amount: payment.amount,
        reference: Id::from(payment.reference.as_str()),
        actual_date: Some(payment.payment_date),
        booking_date: Some(payment.payment_date),
        paid_amount: payment.amount,
    };
    match outcome {
        Outcome::Completed => {}
        Outcome::Rejected | Outcome::Cancelled => {
            record.code = if outcome == Outcome::Rejected {
                Bs0602PaymentCode::Rejected
            } else {
                Bs0602PaymentCode::Cancelled
            };
            record.actual_date = None;
            record.booking_date = None;
            record.paid_amount = Amount::ZERO;
        }
        Outcome::ChargedBack => {
            let date = days_after(payment.payment_date, 3 + rng.below(8));
            record.code = Bs0602PaymentCode::ChargedBack;
            record.actual_date = Some(date);
            record.booking_date = Some(date);
        }
        Outcome::Difference => {
            if let Some(paid) = partial(rng, payment.amount) {
                record.paid_amount = paid;
            }
        }
    }
    record
}

fn simulate_slip(
    rng: &mut SplitMix64,
    options: &SimulationOptions,
    payment: &Bs0601Payment,
    serial: usize,
) -> Option<Bs0602SlipPayment> {
    let outcome = if payment.amount.is_zero() {
        Outcome::Completed
    } else {
        draw(rng, options)
    };
    let mut record = Bs0602SlipPayment {
        code: Bs0602SlipCode::Completed,
        customer_no: returned_customer_no(&payment.customer_no),
        slip_type: "71".to_string(),
        fee_deducted: false,
        fee: Amount::ZERO,
        payment_date: payment.payment_date,
        amount: payment.amount,
        reference: payment.reference.chars().take(9).collect(),
        archive_reference: format!("{:022}", serial),
        actual_date: Some(payment.payment_date),
        booking_date: Some(payment.payment_date),
        paid_amount: payment.amount,
    };
    match outcome {
        Outcome::Completed => {}
        Outcome::Rejected | Outcome::Cancelled => return None,
        Outcome::ChargedBack => {
            let date = days_after(payment.payment_date, 3 + rng.below(8));
            record.code = Bs0602SlipCode::ChargedBack;
            record.actual_date = Some(date);
            record.booking_date = Some(date);
        }
        Outcome::Difference => {
            if let Some(paid) = partial(rng, payment.amount) {
                record.paid_amount = paid;
            }
        }
    }
    Some(record)
}

/// Simulates Betalingsservice's 0602 answer to a 0601 delivery (see the module documentation).
pub fn simulate_bs0602(sent: &Bs0601Delivery, options: &SimulationOptions) -> Bs0602Delivery {
    let mut rng = SplitMix64::new(options.seed);
    let mut sections = Vec::new();
    let mut serial = 0;
    for section in &sent.sections {
        let (code, records): (Bs0602SectionCode, Vec<Bs0602Record>) = match section.section {
            Bs0601SectionCode::Payments => (
                Bs0602SectionCode::AutomaticPayments,
                section
                    .payments
                    .iter()
                    .map(|p| Bs0602Record::Payment(simulate_payment(&mut rng, options, p)))
                    .collect(),
            ),
            Bs0601SectionCode::ShortNoticeSlips => (
                Bs0602SectionCode::SlipPayments,
                section
                    .payments
                    .iter()
                    .filter_map(|p| {
                        serial += 1;
                        simulate_slip(&mut rng, options, p, serial).map(Bs0602Record::SlipPayment)
                    })
                    .collect(),
            ),
        };
        if records.is_empty() {
            continue;
        }
        sections.push(Bs0602Section {
            section: code,
            creditor_pbs: section.creditor_pbs.clone(),
            debtor_group: section.debtor_group.clone(),
            data_supplier_ident: section.data_supplier_ident.clone(),
            date: Some(options.created),
            records,
        });
    }
    Bs0602Delivery {
        data_supplier_cvr: sent.data_supplier_cvr.clone(),
        system_code: sent.system_code.clone(),
        delivery_id: options.delivery_id,
        created: Some(options.created),
        sections,
    }
}

/// Simulates Leverandørservice's answers to a material type 40 delivery: the 0690 receipt and
/// the 0602 payment information (see the module documentation).
pub fn simulate_ls(
    sent: &Ls40Delivery,
    options: &SimulationOptions,
) -> (Ls0690Delivery, Ls0602Delivery) {
    let mut rng = SplitMix64::new(options.seed);
    let mut receipts = Vec::new();
    let mut information = Vec::new();
    let creditor_no = sent.creditor_no.clone();
    for (index, group) in sent.groups.iter().enumerate() {
        let Some(payment_date) = group.payment_date else {
            continue;
        };
        let payments: Vec<_> = group
            .records
            .iter()
            .filter_map(|record| match record {
                Ls40Record::Payment(p) => Some(p),
                _ => None,
            })
            .collect();
        if payments.is_empty() {
            continue;
        }
        let mut receipt = Ls0690Receipt {
            creditor_no: creditor_no.clone(),
            debtors: payments.len() as u64,
            payment_date,
            creditor_reg_no: String::new(),
            creditor_account_no: String::new(),
            collections: 0,
            collection_amount: Amount::ZERO,
            payouts: 0,
            payout_amount: Amount::ZERO,
        };
        let task_no = format!("{:08}", (index + 1) % 100_000_000);
        let mut records = Vec::new();
        let (mut collected, mut paid_out) = (0i64, 0i64);
        for payment in payments {
            let ore = payment.amount.ore();
            match payment.kind {
                Ls40PaymentKind::Collection => {
                    receipt.collections += 1;
                    receipt.collection_amount =
                        Amount::from_ore(receipt.collection_amount.ore().saturating_add(ore));
                }
                Ls40PaymentKind::Payout => {
                    receipt.payouts += 1;
                    receipt.payout_amount =
                        Amount::from_ore(receipt.payout_amount.ore().saturating_add(ore));
                }
            }
            if payment.amount.is_zero() {
                continue;
            }
            let signed = match payment.kind {
                Ls40PaymentKind::Collection => payment.amount,
                Ls40PaymentKind::Payout => Amount::from_ore(ore.saturating_neg()),
            };
            let completed = match payment.kind {
                Ls40PaymentKind::Collection => Ls0602PaymentCode::Collected,
                Ls40PaymentKind::Payout => Ls0602PaymentCode::PaidOut,
            };
            let (code, amount) = match draw(&mut rng, options) {
                Outcome::Completed => (completed, signed),
                Outcome::Rejected => (Ls0602PaymentCode::Rejected, signed),
                Outcome::Cancelled => (Ls0602PaymentCode::Cancelled, signed),
                Outcome::ChargedBack => (Ls0602PaymentCode::ChargedBack, signed),
                Outcome::Difference => (completed, partial(&mut rng, signed).unwrap_or(signed)),
            };
            match code {
                Ls0602PaymentCode::Collected => collected = collected.saturating_add(amount.ore()),
                Ls0602PaymentCode::PaidOut => paid_out = paid_out.saturating_add(amount.ore()),
                _ => {}
            }
            records.push(Ls0602Record::Payment(Ls0602Payment {
                creditor_no: creditor_no.clone(),
                code,
                task_no: task_no.clone(),
                customer_no: payment.customer_no.clone(),
                payment_date,
                amount,
                creditor_reg_no: String::new(),
                creditor_account_no: String::new(),
            }));
        }
        receipts.push(Ls0690Record::Receipt(receipt));
        if !records.is_empty() {
            information.push(Ls0602Record::Task(Ls0602Task {
                creditor_no: creditor_no.clone(),
                task_no,
                amounts: [
                    Amount::from_ore(collected),
                    Amount::from_ore(paid_out),
                    Amount::from_ore(collected.saturating_add(paid_out)),
                ],
                creditor_reg_no: String::new(),
                creditor_account_no: String::new(),
            }));
            information.extend(records);
        }
    }
    (
        Ls0690Delivery {
            data_supplier_cvr: sent.data_supplier_cvr.clone(),
            test: sent.test,
            created: Some(options.created),
            records: receipts,
        },
        Ls0602Delivery {
            data_supplier_cvr: sent.data_supplier_cvr.clone(),
            test: sent.test,
            created: Some(options.created),
            records: information,
        },
    )
}
