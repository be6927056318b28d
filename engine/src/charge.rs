//! What a payment line charges, and the FIK71 payment id of an entry.
//!
//! Two small rules that several parts of the engine share, so they are written once:
//!
//! - the **amount to charge** (`domain.md` §3): the partial payment when one is set, otherwise
//!   the entry's amount (principle `standard`) or its remaining amount (principle `remaining`).
//!   Validation, collective payments and export must all agree on it, or a group's amount would
//!   differ from the sum of its lines (I8);
//! - the **payment id** (FIK71, `domain.md` §10): 15 digits whose last digit is a modulus-10
//!   (Luhn) check digit, made from a running number so that it is deterministic and unique as
//!   long as the number is.

use crate::model::{ChargingPrinciple, PaymentFormat, PaymentLine};
use ledger::{Amount, Entry};

/// The amount a line charges (positive) or pays out (negative).
///
/// The partial payment wins when it is set; otherwise the format's charging principle picks the
/// entry's amount or its remaining amount. Whether a partial payment is acceptable is a
/// separate question ([`partial_payment_problem`]); this function only says what would be sent.
pub fn amount_to_charge(line: &PaymentLine, entry: &Entry, format: &PaymentFormat) -> Amount {
    amount_to_charge_of(
        line.partial_payment,
        entry.amount,
        entry.remaining,
        format.principle,
    )
}

/// [`amount_to_charge`] from just the values it depends on: the line's partial payment, the
/// entry's amount and remaining amount, and the format's principle (for callers that keep
/// these few values instead of whole lines and entries).
pub fn amount_to_charge_of(
    partial_payment: Option<Amount>,
    amount: Amount,
    remaining: Amount,
    principle: ChargingPrinciple,
) -> Amount {
    match (partial_payment, principle) {
        (Some(partial), _) => partial,
        (None, ChargingPrinciple::Standard) => amount,
        (None, ChargingPrinciple::Remaining) => remaining,
    }
}

/// Why a partial payment cannot be charged, or `None` when it can (or none is set).
///
/// A partial payment must have the same sign as the entry (a partial collection of an invoice,
/// a partial payout of a credit note) and may not be larger than what remains, compared by
/// absolute value. A zero partial payment is left to the `amount-zero` rule.
pub fn partial_payment_problem(line: &PaymentLine, entry: &Entry) -> Option<String> {
    let partial = line.partial_payment?;
    if partial.is_zero() {
        return None;
    }
    let opposite = (partial.is_positive() && !entry.amount.is_positive())
        || (partial.is_negative() && !entry.amount.is_negative());
    if opposite {
        return Some(format!(
            "partial payment {partial} does not have the sign of entry {}'s amount {}",
            entry.entry_id, entry.amount
        ));
    }
    // unsigned_abs cannot overflow, unlike abs on i64::MIN øre.
    if partial.ore().unsigned_abs() > entry.remaining.ore().unsigned_abs() {
        return Some(format!(
            "partial payment {partial} is larger than entry {}'s remaining amount {}",
            entry.entry_id, entry.remaining
        ));
    }
    None
}

/// True when the entry has an invoice number (a blank one does not count).
pub fn has_invoice_number(entry: &Entry) -> bool {
    entry
        .invoice
        .as_deref()
        .is_some_and(|invoice| !invoice.trim().is_empty())
}

/// How many running numbers [`payment_id_for`] can tell apart: the 14 digits before the check
/// digit.
pub const PAYMENT_ID_NUMBERS: u64 = 100_000_000_000_000;

/// The FIK71 payment id for a running number: the number as 14 digits with leading zeros,
/// followed by its Luhn check digit, 15 digits in all.
///
/// Numbers are unique up to [`PAYMENT_ID_NUMBERS`]; a larger number keeps its last 14 digits
/// (the caller allocating numbers should never get there: it is 10^14 entries).
pub fn payment_id_for(number: u64) -> String {
    let body = format!("{:014}", number % PAYMENT_ID_NUMBERS);
    let check = luhn_check_digit(&body);
    format!("{body}{check}")
}

/// True when `digits` is a non-empty string of ASCII digits whose last digit is the Luhn
/// (modulus-10) check digit of the others.
pub fn luhn_valid(digits: &str) -> bool {
    if digits.len() < 2 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let (body, check) = digits.split_at(digits.len() - 1);
    luhn_check_digit(body) == check.as_bytes()[0] - b'0'
}

/// True when `text` is a well-formed FIK71 payment id: 15 digits, the last a Luhn check digit.
pub fn is_payment_id(text: &str) -> bool {
    text.len() == 15 && luhn_valid(text)
}

/// The Luhn check digit for a string of ASCII digits (the caller has checked them): starting
/// from the rightmost digit, every other digit is doubled (and 9 taken off when that gives two
/// digits); the check digit brings the sum up to a multiple of ten.
fn luhn_check_digit(body: &str) -> u8 {
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(position, byte)| {
            let digit = u32::from(byte - b'0');
            if position % 2 == 0 {
                let doubled = digit * 2;
                if doubled > 9 {
                    doubled - 9
                } else {
                    doubled
                }
            } else {
                digit
            }
        })
        .sum();
    // The check digit is below ten, so the cast cannot truncate.
    ((10 - sum % 10) % 10) as u8
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::{amount, Run};

    /// The amount to charge for a line given (principle, entry amount, remaining, partial).
    fn check_amount(
        principle: ChargingPrinciple,
        amt: &str,
        rem: &str,
        partial: Option<&str>,
    ) -> String {
        let mut run = Run::new().bs_basis("BS").debtor("100100");
        run = run.format_with(|f| f.principle = principle);
        run = run.entry_with("E1", "100100", "2026-07-01", amt, |e| {
            e.remaining = amount(rem)
        });
        run = run.line("E1", "2026-07-01");
        if let Some(p) = partial {
            run = run.line_with(|l| l.partial_payment = Some(amount(p)));
        }
        let data = run.build();
        let line = &data.lines[0];
        amount_to_charge(line, &data.entries["E1"], &data.formats["BS"]).to_string()
    }

    #[test]
    fn amount_to_charge_follows_principle_and_partial_payment() {
        use ChargingPrinciple::{Remaining, Standard};
        assert_eq!(check_amount(Standard, "1000.00", "400.00", None), "1000.00");
        assert_eq!(check_amount(Remaining, "1000.00", "400.00", None), "400.00");
        assert_eq!(
            check_amount(Standard, "1000.00", "400.00", Some("250.00")),
            "250.00"
        );
        assert_eq!(
            check_amount(Remaining, "1000.00", "400.00", Some("250.00")),
            "250.00"
        );
        assert_eq!(
            check_amount(Standard, "-500.00", "-500.00", None),
            "-500.00"
        );
    }

    /// The partial-payment problem (or "ok") for (entry amount, remaining, partial).
    fn check_partial(amt: &str, rem: &str, partial: Option<&str>) -> String {
        let run = Run::new()
            .bs_basis("BS")
            .debtor("100100")
            .entry_with("E1", "100100", "2026-07-01", amt, |e| {
                e.remaining = amount(rem)
            })
            .line("E1", "2026-07-01")
            .line_with(|l| l.partial_payment = partial.map(amount));
        let data = run.build();
        partial_payment_problem(&data.lines[0], &data.entries["E1"]).unwrap_or_else(|| "ok".into())
    }

    #[test]
    fn partial_payment_must_match_the_sign_and_fit_the_remaining_amount() {
        assert_eq!(check_partial("1000.00", "1000.00", None), "ok");
        assert_eq!(check_partial("1000.00", "600.00", Some("600.00")), "ok");
        assert_eq!(check_partial("1000.00", "600.00", Some("0.01")), "ok");
        assert_eq!(check_partial("-1000.00", "-600.00", Some("-600.00")), "ok");
        assert_eq!(check_partial("1000.00", "600.00", Some("0")), "ok");
        assert_eq!(
            check_partial("1000.00", "600.00", Some("600.01")),
            "partial payment 600.01 is larger than entry E1's remaining amount 600.00"
        );
        assert_eq!(
            check_partial("1000.00", "1000.00", Some("-10.00")),
            "partial payment -10.00 does not have the sign of entry E1's amount 1000.00"
        );
        assert_eq!(
            check_partial("-1000.00", "-1000.00", Some("10.00")),
            "partial payment 10.00 does not have the sign of entry E1's amount -1000.00"
        );
        assert!(check_partial("-1000.00", "-100.00", Some("-100.01")).contains("larger"));
    }

    #[test]
    fn payment_ids_are_fifteen_digits_with_a_luhn_check_digit() {
        // 79927398713 is the textbook Luhn example.
        assert!(luhn_valid("79927398713"));
        assert!(!luhn_valid("79927398710"));
        assert!(!luhn_valid(""));
        assert!(!luhn_valid("7"));
        assert!(!luhn_valid("7992739871a"));
        assert_eq!(payment_id_for(0), "000000000000000");
        assert_eq!(payment_id_for(1), "000000000000018");
        assert_eq!(payment_id_for(7992739871), "000079927398713");
        for number in [0, 1, 2, 9, 10, 12345, 99_999_999_999_999, u64::MAX] {
            let id = payment_id_for(number);
            assert!(is_payment_id(&id), "{number} -> {id}");
        }
        assert!(!is_payment_id("79927398713"));
    }

    #[test]
    fn payment_ids_differ_for_different_numbers_and_catch_a_changed_digit() {
        let ids: std::collections::HashSet<String> = (0..1000).map(payment_id_for).collect();
        assert_eq!(ids.len(), 1000);
        let id = payment_id_for(4711);
        for position in 0..15 {
            let mut bytes = id.clone().into_bytes();
            bytes[position] = if bytes[position] == b'9' {
                b'0'
            } else {
                bytes[position] + 1
            };
            let changed = String::from_utf8(bytes).unwrap();
            assert!(!luhn_valid(&changed), "{changed}");
        }
    }
}
