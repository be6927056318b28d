//! Collective payments (`domain.md` §5): several invoices of one debtor on one payment date
//! charged as one amount.
//!
//! Both schemes allow one charge per debtor per payment date, so lines that would clash are
//! merged into one group. [`collect`] takes the lines that are not yet sent (the ones
//! validation looks at) and their validation results, and plans:
//!
//! - per (payment format, debtor, payment date), the *candidates* are the blank or transmitting
//!   lines whose only failures are `duplicate-debtor-date` (which the group resolves),
//!   `payout-blocked` (judged on the group's net amount instead, so a credit note can be netted
//!   against an invoice even when the format blocks payouts) and `deselected` (the previous
//!   collect's verdict, which this one replaces);
//! - two or more candidates become one group with id `<debtor>-<yyyymmdd>`, charged as their net
//!   sum; a single candidate stays on its own in group `-`;
//! - everything else goes to `Deselected` with the codes that explain why: its validation
//!   failures, `invoice-missing` for a BS line without an invoice number (BS collects only
//!   invoices, even when the format allows charging without one), `duplicate-debtor-date` when a
//!   sent charge already exists on that date and the line may not overwrite it,
//!   `collective-net-zero` for a group that nets to zero, `payout-blocked` for a group that nets
//!   to a payout in a format that blocks payouts.
//!
//! An LS stop line that passes validation goes alone into `-` with amount 0.00: it is the
//! 0-amount cancellation, never merged with charges.
//!
//! The plan is a value; the store writes the assignments. Every line considered is in exactly
//! one [`GroupSummary`], and a group's amount is exactly the sum of its lines' amounts (I8).
//! After the plan is applied, validation no longer reports `duplicate-debtor-date` for the
//! merged lines.

use crate::charge::{amount_to_charge, has_invoice_number};
use crate::model::{PaymentLine, RunData, Scheme, Status, GROUP_DESELECTED, GROUP_SINGLE};
use crate::validate::{can_still_be_exported, code, liveness, LineValidation, Liveness};
use chrono::NaiveDate;
use ledger::Amount;
use std::collections::HashMap;

/// A group of two or more lines that nets to zero: nothing to charge.
pub const COLLECTIVE_NET_ZERO: &str = "collective-net-zero";
/// A group whose net sum does not fit in an amount.
pub const COLLECTIVE_OVERFLOW: &str = "collective-overflow";
/// A line that validation did not report on (the caller passed results for other lines).
pub const NOT_VALIDATED: &str = "not-validated";

/// The collective payment id of a debtor's merged lines on a payment date: `100100-20180713`.
pub fn group_id(debtor: &str, payment_date: NaiveDate) -> String {
    format!("{debtor}-{}", payment_date.format("%Y%m%d"))
}

/// One charge (a merged group or a single line in `-`), or one deselected line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupSummary {
    /// `<debtor>-<yyyymmdd>`, [`GROUP_SINGLE`] or [`GROUP_DESELECTED`].
    pub id: String,
    pub format_id: String,
    pub debtor: String,
    pub payment_date: NaiveDate,
    /// What is charged (negative: paid out); for a deselected line, what it would charge.
    pub amount: Amount,
    pub lines: Vec<i64>,
    /// Why the lines were deselected, in precedence order; empty for a charge.
    pub codes: Vec<&'static str>,
}

impl GroupSummary {
    /// True for a charge that export sends as one record.
    pub fn is_charge(&self) -> bool {
        self.id != GROUP_DESELECTED
    }
}

/// What `collect` would do: the new collective payment id of every line it considered, and the
/// groups, sorted by format, debtor, payment date and id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CollectPlan {
    /// (line id, group id), sorted by line id.
    pub assignments: Vec<(i64, String)>,
    pub groups: Vec<GroupSummary>,
}

impl CollectPlan {
    /// How many records export will send.
    pub fn charges(&self) -> usize {
        self.groups.iter().filter(|g| g.is_charge()).count()
    }

    /// The group assigned to a line, if it was considered.
    pub fn group_of(&self, line: i64) -> Option<&str> {
        self.assignments
            .binary_search_by_key(&line, |(id, _)| *id)
            .ok()
            .map(|i| self.assignments[i].1.as_str())
    }
}

/// Codes a candidate may carry: the group resolves or re-judges them.
const IGNORED_BY_COLLECT: [&str; 3] = [
    code::DUPLICATE_DEBTOR_DATE,
    code::PAYOUT_BLOCKED,
    code::DESELECTED,
];

type Key<'a> = (&'a str, &'a str, NaiveDate);

/// Plans the collective payments of the lines not yet sent. `validations` is the result of
/// [`crate::validate::validate`] on the same data.
pub fn collect(data: &RunData, validations: &[LineValidation]) -> CollectPlan {
    let by_line: HashMap<i64, &LineValidation> = validations.iter().map(|v| (v.line, v)).collect();
    // Sent charges already on a (format, debtor, date): a new line may only join them by
    // overwriting.
    let mut sent: HashMap<Key<'_>, usize> = HashMap::new();
    for line in &data.lines {
        if liveness(line) == Liveness::Sent {
            *sent
                .entry((&line.format_id, &line.debtor, line.payment_date))
                .or_default() += 1;
        }
    }

    let mut plan = CollectPlan::default();
    let mut candidates: HashMap<Key<'_>, Vec<(&PaymentLine, Amount)>> = HashMap::new();
    for line in data.lines.iter().filter(|l| can_still_be_exported(l)) {
        let entry = data.entries.get(&line.entry_id);
        let format = data.formats.get(&line.format_id);
        let amount = match (entry, format) {
            (_, _) if line.status == Status::Stop => Amount::ZERO,
            (Some(entry), Some(format)) => amount_to_charge(line, entry, format),
            _ => Amount::ZERO,
        };
        let Some(validation) = by_line.get(&line.id) else {
            deselect(&mut plan, line, amount, vec![NOT_VALIDATED]);
            continue;
        };
        let failures: Vec<&'static str> = validation
            .errors
            .iter()
            .map(|e| e.code)
            .filter(|c| *c != code::DESELECTED)
            .collect();
        let blocking: Vec<&'static str> = failures
            .iter()
            .copied()
            .filter(|c| !IGNORED_BY_COLLECT.contains(c))
            .collect();
        let (Some(entry), Some(format)) = (entry, format) else {
            deselect(&mut plan, line, amount, failures);
            continue;
        };
        if !blocking.is_empty() {
            deselect(&mut plan, line, amount, failures);
            continue;
        }
        if line.status == Status::Stop {
            // The LS cancellation goes alone; a clash on its date is not something a group
            // can resolve.
            if failures.is_empty() {
                charge(
                    &mut plan,
                    GROUP_SINGLE.to_string(),
                    line,
                    amount,
                    vec![line.id],
                );
            } else {
                deselect(&mut plan, line, amount, failures);
            }
            continue;
        }
        if !matches!(line.status, Status::Blank | Status::Transmitting) {
            deselect(&mut plan, line, amount, vec![code::STATUS_NOT_EXPORTABLE]);
            continue;
        }
        if format.scheme == Scheme::Bs && !has_invoice_number(entry) {
            deselect(&mut plan, line, amount, vec![code::INVOICE_MISSING]);
            continue;
        }
        let key = (
            line.format_id.as_str(),
            line.debtor.as_str(),
            line.payment_date,
        );
        if sent.get(&key).is_some_and(|n| *n > 0) && !line.allow_overwriting {
            deselect(&mut plan, line, amount, vec![code::DUPLICATE_DEBTOR_DATE]);
            continue;
        }
        candidates.entry(key).or_default().push((line, amount));
    }

    for ((format_id, debtor, payment_date), members) in candidates {
        let net = Amount::checked_sum(members.iter().map(|(_, a)| *a));
        let block_payouts = data.formats.get(format_id).is_some_and(|f| f.block_payouts);
        let problem = match net {
            Err(_) => Some(COLLECTIVE_OVERFLOW),
            Ok(net) if net.is_zero() => Some(COLLECTIVE_NET_ZERO),
            Ok(net) if net.is_negative() && block_payouts => Some(code::PAYOUT_BLOCKED),
            Ok(_) => None,
        };
        match (problem, net) {
            (None, Ok(net)) => {
                let id = if members.len() == 1 {
                    GROUP_SINGLE.to_string()
                } else {
                    group_id(debtor, payment_date)
                };
                let mut lines: Vec<i64> = members.iter().map(|(l, _)| l.id).collect();
                lines.sort_unstable();
                let first = members[0].0;
                plan.groups.push(GroupSummary {
                    id: id.clone(),
                    format_id: first.format_id.clone(),
                    debtor: first.debtor.clone(),
                    payment_date,
                    amount: net,
                    lines: lines.clone(),
                    codes: Vec::new(),
                });
                plan.assignments
                    .extend(lines.into_iter().map(|l| (l, id.clone())));
            }
            (problem, _) => {
                let code = problem.unwrap_or(COLLECTIVE_OVERFLOW);
                for (line, amount) in members {
                    deselect(&mut plan, line, amount, vec![code]);
                }
            }
        }
    }

    plan.assignments.sort_unstable_by_key(|(line, _)| *line);
    plan.groups.sort_by(|a, b| {
        (
            &a.format_id,
            &a.debtor,
            a.payment_date,
            !a.is_charge(),
            &a.id,
            &a.lines,
        )
            .cmp(&(
                &b.format_id,
                &b.debtor,
                b.payment_date,
                !b.is_charge(),
                &b.id,
                &b.lines,
            ))
    });
    plan
}

fn charge(plan: &mut CollectPlan, id: String, line: &PaymentLine, amount: Amount, lines: Vec<i64>) {
    plan.assignments.push((line.id, id.clone()));
    plan.groups.push(GroupSummary {
        id,
        format_id: line.format_id.clone(),
        debtor: line.debtor.clone(),
        payment_date: line.payment_date,
        amount,
        lines,
        codes: Vec::new(),
    });
}

fn deselect(
    plan: &mut CollectPlan,
    line: &PaymentLine,
    amount: Amount,
    mut codes: Vec<&'static str>,
) {
    if codes.is_empty() {
        // Validation said ok although the line's entry or format is missing: the caller passed
        // results for other data.
        codes.push(NOT_VALIDATED);
    }
    plan.assignments
        .push((line.id, GROUP_DESELECTED.to_string()));
    plan.groups.push(GroupSummary {
        id: GROUP_DESELECTED.to_string(),
        format_id: line.format_id.clone(),
        debtor: line.debtor.clone(),
        payment_date: line.payment_date,
        amount,
        lines: vec![line.id],
        codes,
    });
}

/// `collect --off`: the lines whose collective payment id is cleared. Only lines not yet sent
/// are touched; a sent line keeps the id it was exported with.
pub fn collect_off(data: &RunData) -> Vec<i64> {
    data.lines
        .iter()
        .filter(|l| can_still_be_exported(l) && l.group.is_some())
        .map(|l| l.id)
        .collect()
}
