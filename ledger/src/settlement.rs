//! Settlement: how a posted journal line changes the remaining amounts of the entries its
//! offsets name. Pure: no database, no clock.
//!
//! A line of amount `A` (signed on the debtor account) changes the sum of the named entries'
//! remaining amounts by exactly `A`, the debtor account's own change: the open entries are the
//! debtor account's balance item by item. Which entry takes how much follows one rule, stated
//! for a **credit** line (`A < 0`, a payment received):
//!
//! 1. every named entry with a negative remaining amount (an open credit note) is closed: its
//!    credit joins the payment, as in a collective payment that nets a credit note;
//! 2. the payment then pays the named entries with a positive remaining amount (open invoices)
//!    in **settlement order** — due date, then entry id, oldest first — each down to zero
//!    before the next; an entry at zero is closed;
//! 3. only when the line names no open invoice: what is left re-opens named credit notes
//!    (remaining down towards their amount, never past it), in the same order — a payout
//!    that came back;
//! 4. if anything is still left, the line pays more than its entries have open and is
//!    refused (`Excess`). A payment never leaves credit on an entry: paying 800.00 for an
//!    invoice of 1000.00 and a credit note of -250.00 is refused, not booked as a re-opened
//!    credit note of -50.00. A payment a person approved as it is posts anyway
//!    ([`allocate_on_account`]): what is left stays on the debtor's account, on no entry.
//!
//! A **debit** line (`A > 0`: a charge-back, a rejection after the due date, a payout) follows
//! the mirror image: open invoices are closed into the debit, open credit notes are paid out
//! (remaining up towards zero), and — only when it names no open credit note — what is left
//! **re-opens** invoices: their remaining amount goes back up, towards their amount and never
//! past it, in settlement order. A charge-back of a payment that closed an invoice thus opens
//! the invoice again (a collective one opens its invoices; its credit notes stay closed, as
//! the net amount fits on the invoices). Every entry's remaining amount stays between zero and
//! its amount (when it started there). A line of amount zero changes nothing.

use crate::Amount;
use std::cmp::min;

/// An entry a journal line names, as settlement needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Item {
    pub amount: Amount,
    pub remaining: Amount,
}

impl Item {
    /// Whether a credit line (a payment) can lower this entry's remaining amount: it is open,
    /// or it is a credit note that can be re-opened. A payment naming only entries that
    /// cannot is paying something already settled.
    pub fn can_take_credit(&self) -> bool {
        !self.remaining.is_zero() || (self.amount.is_negative() && self.remaining > self.amount)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AllocationError {
    /// The line moves this much (a positive amount) more than its entries can take.
    Excess(Amount),
    Overflow,
}

/// The new remaining amounts of `items`, which are in settlement order; see the module
/// documentation for the rule.
pub(crate) fn allocate(
    line_amount: Amount,
    items: &[Item],
) -> Result<Vec<Amount>, AllocationError> {
    match allocate_on_account(line_amount, items)? {
        (after, left) if left.is_zero() => Ok(after),
        (_, left) => Err(AllocationError::Excess(left.checked_abs().unwrap_or(left))),
    }
}

/// [`allocate`], but what the entries cannot take is not refused: it is returned, signed as
/// the line's amount, with the new remaining amounts (a line a person approved posts its
/// whole amount, and that much stays on the debtor's account).
pub(crate) fn allocate_on_account(
    line_amount: Amount,
    items: &[Item],
) -> Result<(Vec<Amount>, Amount), AllocationError> {
    let overflow = AllocationError::Overflow;
    if line_amount.is_zero() {
        return Ok((
            items.iter().map(|item| item.remaining).collect(),
            Amount::ZERO,
        ));
    }
    // Work in the credit view: a debit line is the mirror image of a credit line.
    let debit = line_amount.is_positive();
    let view = |amount: Amount| {
        if debit {
            amount.checked_neg().ok_or(overflow)
        } else {
            Ok(amount)
        }
    };
    let mut budget = view(line_amount)?.checked_neg().ok_or(overflow)?;
    let amounts = items
        .iter()
        .map(|item| view(item.amount))
        .collect::<Result<Vec<_>, _>>()?;
    let mut remaining = items
        .iter()
        .map(|item| view(item.remaining))
        .collect::<Result<Vec<_>, _>>()?;

    // Re-opening is for lines that settle nothing (step 3).
    let may_reopen = !remaining.iter().any(|r| r.is_positive());
    // 1. Close the open credits; they add to what the line pays.
    for r in remaining.iter_mut().filter(|r| r.is_negative()) {
        budget = budget.checked_sub(*r).ok_or(overflow)?;
        *r = Amount::ZERO;
    }
    // 2. Pay the open debits, oldest first.
    for r in remaining.iter_mut().filter(|r| r.is_positive()) {
        let take = min(budget, *r);
        *r = r.checked_sub(take).ok_or(overflow)?;
        budget = budget.checked_sub(take).ok_or(overflow)?;
    }
    // 3. Re-open credits with what is left, never past their amount.
    for (r, amount) in remaining.iter_mut().zip(&amounts) {
        if may_reopen && amount.is_negative() && *r > *amount {
            let room = r.checked_sub(*amount).ok_or(overflow)?;
            let take = min(budget, room);
            *r = r.checked_sub(take).ok_or(overflow)?;
            budget = budget.checked_sub(take).ok_or(overflow)?;
        }
    }
    // What is left, back in the line's sign (the budget is the credit view's, negated).
    let left = view(budget.checked_neg().ok_or(overflow)?)?;
    let after = remaining
        .into_iter()
        .map(view)
        .collect::<Result<Vec<_>, _>>()?;
    Ok((after, left))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn item(amount: i64, remaining: i64) -> Item {
        Item {
            amount: Amount::from_ore(amount),
            remaining: Amount::from_ore(remaining),
        }
    }

    /// `entries` are `(amount, remaining)` in settlement order; the result is the new
    /// remaining amounts, or `excess N`.
    fn check(line: i64, entries: &[(i64, i64)], expected: Result<&[i64], i64>) {
        let items: Vec<Item> = entries.iter().map(|&(a, r)| item(a, r)).collect();
        let got = allocate(Amount::from_ore(line), &items)
            .map(|v| v.into_iter().map(Amount::ore).collect::<Vec<_>>());
        let expected = expected
            .map(<[i64]>::to_vec)
            .map_err(|e| AllocationError::Excess(Amount::from_ore(e)));
        assert_eq!(got, expected, "line {line} on {entries:?}");
    }

    #[test]
    fn a_payment_settles_oldest_first() {
        // Exactly what is open: everything closed.
        check(-1000, &[(1000, 1000)], Ok(&[0]));
        check(-1500, &[(1000, 1000), (500, 500)], Ok(&[0, 0]));
        // A partial payment: the oldest first, the rest stays open on the newest.
        check(-1200, &[(1000, 1000), (500, 500)], Ok(&[0, 300]));
        check(-600, &[(1000, 1000), (500, 500)], Ok(&[400, 500]));
        // An entry already partly paid takes only what remains.
        check(-700, &[(1000, 200), (500, 500)], Ok(&[0, 0]));
        // A line of zero changes nothing.
        check(0, &[(1000, 1000)], Ok(&[1000]));
    }

    #[test]
    fn a_payment_nets_the_credit_notes_it_names() {
        // Collective: invoice 1000 and credit note -250 collected as 750.
        check(-750, &[(1000, 1000), (-250, -250)], Ok(&[0, 0]));
        check(-750, &[(-250, -250), (1000, 1000)], Ok(&[0, 0]));
        // Less than the net: the credit note is used up, the invoice stays partly open.
        check(-500, &[(1000, 1000), (-250, -250)], Ok(&[250, 0]));
    }

    #[test]
    fn a_payment_never_pays_more_than_is_open() {
        check(-1001, &[(1000, 1000)], Err(1));
        check(-1000, &[(1000, 0)], Err(1000));
        check(-800, &[(1000, 1000), (-250, -250)], Err(50));
        check(-100, &[], Err(100));
    }

    #[test]
    fn a_payment_back_reopens_a_credit_note() {
        // A payout of 250 came back: the credit note is open again.
        check(-250, &[(-250, 0)], Ok(&[-250]));
        check(-300, &[(-250, 0)], Err(50));
        // Part of a payout came back.
        check(-150, &[(-250, -100)], Ok(&[-250]));
        check(-50, &[(-250, -100)], Ok(&[-150]));
        // Alongside a closed invoice.
        check(-250, &[(1000, 0), (-250, 0)], Ok(&[0, -250]));
    }

    #[test]
    fn a_charge_back_reopens_invoices() {
        check(1000, &[(1000, 0)], Ok(&[1000]));
        // In settlement order, never past an entry's amount.
        check(1200, &[(1000, 0), (500, 0)], Ok(&[1000, 200]));
        check(600, &[(1000, 400)], Ok(&[1000]));
        // More than was paid: refused.
        check(700, &[(1000, 400)], Err(100));
        check(1, &[(1000, 1000)], Err(1));
        // A collective charge-back: the credit note stays closed, the invoices carry the debit.
        check(750, &[(1000, 0), (-250, 0)], Ok(&[750, 0]));
    }

    #[test]
    fn a_payout_pays_out_credit_notes() {
        check(250, &[(-250, -250)], Ok(&[0]));
        // A payout netted with an open invoice.
        check(250, &[(1000, 250), (-500, -500)], Ok(&[0, 0]));
        check(300, &[(-250, -250)], Err(50));
        // A payout never re-opens an invoice.
        check(300, &[(1000, 0), (-250, -250)], Err(50));
    }

    /// On account, what [`allocate`] refuses is left over, signed as the line.
    #[test]
    fn on_account_the_excess_is_left_over_in_the_lines_sign() {
        let on_account = |line: i64, entries: &[(i64, i64)]| {
            let items: Vec<Item> = entries.iter().map(|&(a, r)| item(a, r)).collect();
            let (after, left) = allocate_on_account(Amount::from_ore(line), &items).unwrap();
            (
                after.iter().map(|a| a.ore()).collect::<Vec<_>>(),
                left.ore(),
            )
        };
        // Paid 1200.00 for an invoice of 1000.00: closed, 200.00 of credit left.
        assert_eq!(on_account(-1200, &[(1000, 1000)]), (vec![0], -200));
        // An invoice paid already: nothing taken.
        assert_eq!(on_account(-1000, &[(1000, 0)]), (vec![0], -1000));
        // A charge-back of an invoice nothing was paid of.
        assert_eq!(on_account(1000, &[(1000, 1000)]), (vec![1000], 1000));
        // A payout of more than the credit note.
        assert_eq!(on_account(300, &[(-250, -250)]), (vec![0], 50));
        // No entries at all: the whole line.
        assert_eq!(on_account(-20, &[]), (vec![], -20));
        // What fits leaves nothing over, as `allocate` has it.
        assert_eq!(on_account(-800, &[(1000, 1000)]), (vec![200], 0));
        assert_eq!(on_account(0, &[(1000, 1000)]), (vec![1000], 0));
    }

    #[test]
    fn what_a_payment_can_lower() {
        assert!(item(1000, 1000).can_take_credit());
        assert!(item(1000, 1).can_take_credit());
        assert!(!item(1000, 0).can_take_credit());
        assert!(item(-250, -250).can_take_credit());
        assert!(item(-250, 0).can_take_credit());
        assert!(!item(0, 0).can_take_credit());
    }

    #[test]
    fn overflow_is_an_error_not_a_wrap() {
        assert_eq!(
            allocate(Amount::from_ore(i64::MIN), &[item(1, 1)]),
            Err(AllocationError::Overflow)
        );
        assert_eq!(
            allocate(Amount::from_ore(-1), &[item(i64::MIN, i64::MIN)]),
            Err(AllocationError::Overflow)
        );
    }

    fn entries() -> impl Strategy<Value = Vec<(i64, i64)>> {
        // (amount, remaining) with remaining between zero and the amount.
        proptest::collection::vec(
            (-100_000i64..100_000).prop_flat_map(|amount| {
                let (low, high) = (amount.min(0), amount.max(0));
                (Just(amount), low..=high)
            }),
            0..6,
        )
    }

    proptest! {
        /// The named entries' remaining amounts change by exactly the line's amount, and each
        /// stays between zero and its amount.
        #[test]
        fn settlement_conserves_money(line in -300_000i64..300_000, entries in entries()) {
            let items: Vec<Item> = entries.iter().map(|&(a, r)| item(a, r)).collect();
            match allocate(Amount::from_ore(line), &items) {
                Ok(after) => {
                    let before: i64 = entries.iter().map(|e| e.1).sum();
                    let after_sum: i64 = after.iter().map(|a| a.ore()).sum();
                    prop_assert_eq!(after_sum, before + line);
                    for (&(amount, _), new) in entries.iter().zip(&after) {
                        prop_assert!(amount.min(0) <= new.ore() && new.ore() <= amount.max(0));
                    }
                }
                Err(AllocationError::Excess(excess)) => {
                    prop_assert!(excess.is_positive());
                    // Refused only when no allocation within the bounds exists, or when one
                    // would need re-opening and the line settles something.
                    let target: i64 = entries.iter().map(|e| e.1).sum::<i64>() + line;
                    let low: i64 = entries.iter().map(|e| e.0.min(0)).sum();
                    let high: i64 = entries.iter().map(|e| e.0.max(0)).sum();
                    let settles = entries.iter().any(|e| if line < 0 { e.1 > 0 } else { e.1 < 0 });
                    prop_assert!(target < low || target > high || settles, "target {} in {}..={}", target, low, high);
                }
                Err(AllocationError::Overflow) => prop_assert!(false, "overflow on small amounts"),
            }
        }
    }
}
