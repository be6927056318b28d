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
//! An LS stop line that passes validation is the 0-amount cancellation: it goes into `-` with
//! amount 0.00, never merged with charges (stop lines of one debtor and date share one
//! cancellation group), and is deselected when a new charge goes out on its date, because in LS
//! the later payment replaces the earlier one anyway.
//!
//! The plan is a value; the store writes the assignments. Every line considered is in exactly
//! one [`GroupSummary`], and a group's amount is exactly the sum of its lines' amounts (I8).
//! After the plan is applied, validation no longer reports `duplicate-debtor-date` for the
//! merged lines.

use crate::charge::{amount_to_charge, has_invoice_number};
use crate::model::{same_key, sorted_by_key, FastMap};
use crate::model::{PaymentLine, RunData, Scheme, Status, GROUP_DESELECTED, GROUP_SINGLE};
use crate::validate::{can_still_be_exported, code, liveness, Codes, LineValidation, Liveness};
use chrono::NaiveDate;
use ledger::Amount;
use ledger::Id;

/// A group of two or more lines that nets to zero: nothing to charge.
pub const COLLECTIVE_NET_ZERO: &str = "collective-net-zero";
/// A group whose net sum does not fit in an amount.
pub const COLLECTIVE_OVERFLOW: &str = "collective-overflow";
/// A line that validation did not report on (the caller passed results for other lines).
pub const NOT_VALIDATED: &str = "not-validated";

/// The collective payment id of a debtor's merged lines on a payment date: `100100-20180713`.
pub fn group_id(debtor: &str, payment_date: NaiveDate) -> Id {
    use chrono::Datelike;
    ledger::format_id!(
        "{debtor}-{:04}{:02}{:02}",
        payment_date.year(),
        payment_date.month(),
        payment_date.day()
    )
}

/// Whether `group` is [`group_id`] of this debtor and date, without writing the id (every
/// validation asks this of every grouped line).
pub fn is_group_id(group: &str, debtor: &str, payment_date: NaiveDate) -> bool {
    use chrono::Datelike;
    let Some(digits) = group
        .strip_prefix(debtor)
        .and_then(|rest| rest.strip_prefix('-'))
        .map(str::as_bytes)
    else {
        return false;
    };
    if digits.len() != 8 || !digits.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let number = |range: std::ops::Range<usize>| {
        digits[range]
            .iter()
            .fold(0u32, |n, d| n * 10 + u32::from(d - b'0'))
    };
    i32::try_from(number(0..4)).ok() == Some(payment_date.year())
        && number(4..6) == payment_date.month()
        && number(6..8) == payment_date.day()
}

/// One charge (a merged group or a single line in `-`), or one deselected line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupSummary {
    /// `<debtor>-<yyyymmdd>`, [`GROUP_SINGLE`] or [`GROUP_DESELECTED`].
    pub id: Id,
    pub format_id: Id,
    pub debtor: Id,
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
    pub assignments: Vec<(i64, Id)>,
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
    let codes: Vec<(i64, Codes)> = validations
        .iter()
        .map(|v| (v.line, Codes::of(&v.errors)))
        .collect();
    collect_by_codes(data, &codes)
}

/// [`collect`] from each line's codes alone, as [`crate::validate::validate_code_sets`]
/// gives them: collect decides by codes, and a million lines' failures as vectors took 67 MB.
pub fn collect_by_codes(data: &RunData, validations: &[(i64, Codes)]) -> CollectPlan {
    let mut plan = plan_by_codes(data, validations);
    let assignments = std::mem::take(&mut plan.assignments);
    CollectPlan {
        assignments,
        groups: plan.groups(&data.lines),
    }
}

/// A collect plan whose groups name their lines by position in the run's lines: what collect
/// holds while it validates the grouped lines again and writes them, its peak. A million
/// lines' groups as [`GroupSummary`] values took 72 MB, in this form 28 MB.
/// [`PlannedGroups::groups`] makes the summaries.
#[derive(Debug, Default)]
pub struct PlannedGroups {
    /// (line id, group id), sorted by line id.
    pub assignments: Vec<(i64, Id)>,
    planned: Vec<PlannedGroup>,
    /// The lines of every group, by position in `data.lines`; each group has a range.
    positions: Vec<u32>,
}

/// A [`GroupSummary`] whose format, debtor and date are its first line's.
#[derive(Debug)]
struct PlannedGroup {
    id: Id,
    /// Its lines: `positions[start..start + len]`, the first one's key being the group's.
    start: u32,
    len: u32,
    amount: Amount,
    codes: Box<[&'static str]>,
}

impl PlannedGroups {
    /// How many records export will send.
    pub fn charges(&self) -> usize {
        self.planned
            .iter()
            .filter(|g| g.id != GROUP_DESELECTED)
            .count()
    }

    /// The groups, sorted by format, debtor, payment date and id. `lines` must be the lines
    /// of the data the plan was made from, in the same order; only their groups may have
    /// changed since.
    pub fn groups(self, lines: &[PaymentLine]) -> Vec<GroupSummary> {
        let mut groups: Vec<GroupSummary> = Vec::with_capacity(self.planned.len());
        for planned in self.planned {
            let at = planned.start as usize;
            let positions = &self.positions[at..at + planned.len as usize];
            let first = &lines[positions[0] as usize];
            let mut ids: Vec<i64> = positions.iter().map(|&p| lines[p as usize].id).collect();
            ids.sort_unstable();
            groups.push(GroupSummary {
                id: planned.id,
                format_id: first.format_id.clone(),
                debtor: first.debtor.clone(),
                payment_date: first.payment_date,
                amount: planned.amount,
                lines: ids,
                codes: planned.codes.into_vec(),
            });
        }
        // The key ends in the group's id and lines, so no two groups compare equal and an
        // unstable sort (no buffer of a copy of every group) gives the one order.
        groups.sort_unstable_by(|a, b| {
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
        groups
    }

    fn push(
        &mut self,
        id: Id,
        lines: impl Iterator<Item = u32>,
        amount: Amount,
        codes: Vec<&'static str>,
    ) {
        let start = self.positions.len();
        self.positions.extend(lines);
        self.planned.push(PlannedGroup {
            id,
            start: u32::try_from(start).expect("fewer than 2^32 lines"),
            len: u32::try_from(self.positions.len() - start).expect("fewer than 2^32 lines"),
            amount,
            codes: codes.into_boxed_slice(),
        });
    }
}

/// [`collect_by_codes`] with the groups as [`PlannedGroups`].
pub fn plan_by_codes(data: &RunData, validations: &[(i64, Codes)]) -> PlannedGroups {
    // Each line's codes, found by halving a list in line id order (validations follow
    // `data.lines`, which is in that order, so the sort is only a safeguard): a map of a
    // million lines took 34 MB.
    let sorted;
    let by_line: &[(i64, Codes)] = if validations.is_sorted_by_key(|v| v.0) {
        validations
    } else {
        let mut copy = validations.to_vec();
        copy.sort_by_key(|v| v.0);
        sorted = copy;
        &sorted
    };
    let validation_of = |line: i64| {
        by_line
            .binary_search_by_key(&line, |v| v.0)
            .ok()
            .map(|i| by_line[i].1)
    };
    // Sent charges already on a (format, debtor, date): a new line may only join them by
    // overwriting.
    let mut sent: FastMap<Key<'_>, usize> = FastMap::default();
    for line in &data.lines {
        if liveness(line) == Liveness::Sent {
            *sent
                .entry((&line.format_id, &line.debtor, line.payment_date))
                .or_default() += 1;
        }
    }

    let mut plan = PlannedGroups::default();
    // Every line considered gets one assignment and one place in a group.
    let considered = data
        .lines
        .iter()
        .filter(|l| can_still_be_exported(l))
        .count();
    plan.assignments.reserve_exact(considered);
    plan.positions.reserve_exact(considered);
    // The lines that may be charged, by position in `data.lines`, with their amounts; grouped
    // by key below.
    let mut candidates: Vec<(u32, Amount)> = Vec::with_capacity(considered);
    let mut stops: Vec<u32> = Vec::new();
    for (position, line) in data.lines.iter().enumerate() {
        if !can_still_be_exported(line) {
            continue;
        }
        let position = u32::try_from(position).expect("fewer than 2^32 lines");
        let entry = data.entries.get(&line.entry_id);
        let format = data.formats.get(&line.format_id);
        let amount = match (entry, format) {
            (_, _) if line.status == Status::Stop => Amount::ZERO,
            (Some(entry), Some(format)) => amount_to_charge(line, entry, format),
            _ => Amount::ZERO,
        };
        let Some(validation) = validation_of(line.id) else {
            deselect(&mut plan, line, position, amount, vec![NOT_VALIDATED]);
            continue;
        };
        let failures: Vec<&'static str> = validation
            .iter()
            .filter(|c| *c != code::DESELECTED)
            .collect();
        let blocking: Vec<&'static str> = failures
            .iter()
            .copied()
            .filter(|c| !IGNORED_BY_COLLECT.contains(c))
            .collect();
        let (Some(entry), Some(format)) = (entry, format) else {
            deselect(&mut plan, line, position, amount, failures);
            continue;
        };
        if !blocking.is_empty() {
            deselect(&mut plan, line, position, amount, failures);
            continue;
        }
        if line.status == Status::Stop {
            // The LS cancellation goes alone; a clash on its date is not something a group
            // can resolve.
            if failures.is_empty() {
                stops.push(position);
            } else {
                deselect(&mut plan, line, position, amount, failures);
            }
            continue;
        }
        if !matches!(line.status, Status::Blank | Status::Transmitting) {
            deselect(
                &mut plan,
                line,
                position,
                amount,
                vec![code::STATUS_NOT_EXPORTABLE],
            );
            continue;
        }
        if format.scheme == Scheme::Bs && !has_invoice_number(entry) {
            deselect(
                &mut plan,
                line,
                position,
                amount,
                vec![code::INVOICE_MISSING],
            );
            continue;
        }
        let key = (
            line.format_id.as_str(),
            line.debtor.as_str(),
            line.payment_date,
        );
        if sent.get(&key).is_some_and(|n| *n > 0) && !line.allow_overwriting {
            deselect(
                &mut plan,
                line,
                position,
                amount,
                vec![code::DUPLICATE_DEBTOR_DATE],
            );
            continue;
        }
        candidates.push((position, amount));
    }

    // The candidates of one (format, debtor, date) together, in line order: sorted as (hash of
    // the key, index in `candidates`) pairs, as validation's buckets are. A map from each key
    // to a vector of its lines held 66 MB at a million lines. The groups are sorted at the end,
    // so the order the keys come in does not matter.
    let key_of = |i: u32| {
        let line = &data.lines[candidates[i as usize].0 as usize];
        (
            line.format_id.as_str(),
            line.debtor.as_str(),
            line.payment_date,
        )
    };
    let count = u32::try_from(candidates.len()).expect("fewer than 2^32 lines");
    let by_key = sorted_by_key(0..count, key_of);
    // One group a key (a group that cannot be charged becomes one a line, which is rare): the
    // list is sized once rather than grown by doubling, which held both sizes at once.
    let keys = by_key
        .windows(2)
        .filter(|pair| !same_key(pair[0], pair[1], key_of))
        .count()
        + usize::from(!by_key.is_empty());
    plan.planned.reserve_exact(keys + stops.len());
    // The stop lines by key, so a charge on a stop line's key is noted as it is made (only
    // those keys: a set of every charged key held 32 MB at a million lines).
    let mut stops_by_key: FastMap<Key<'_>, Vec<u32>> = FastMap::default();
    for position in stops {
        let line = &data.lines[position as usize];
        let key = (
            line.format_id.as_str(),
            line.debtor.as_str(),
            line.payment_date,
        );
        stops_by_key.entry(key).or_default().push(position);
    }
    let mut charged: FastMap<Key<'_>, ()> = FastMap::default();
    let mut members: Vec<(u32, Amount)> = Vec::new();
    let mut rest = by_key.as_slice();
    while let Some(&first) = rest.first() {
        let len = rest
            .iter()
            .take_while(|&&other| same_key(first, other, key_of))
            .count();
        let (run, after) = rest.split_at(len);
        rest = after;
        members.clear();
        members.extend(run.iter().map(|&(_, i)| candidates[i as usize]));
        let (format_id, debtor, payment_date) = key_of(first.1);
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
                    Id::from(GROUP_SINGLE)
                } else {
                    group_id(debtor, payment_date)
                };
                let key = (format_id, debtor, payment_date);
                if stops_by_key.contains_key(&key) {
                    charged.insert(key, ());
                }
                plan.assignments.extend(
                    members
                        .iter()
                        .map(|&(p, _)| (data.lines[p as usize].id, id.clone())),
                );
                plan.push(id, members.iter().map(|&(p, _)| p), net, Vec::new());
            }
            (problem, _) => {
                let code = problem.unwrap_or(COLLECTIVE_OVERFLOW);
                for &(position, amount) in &members {
                    let line = &data.lines[position as usize];
                    deselect(&mut plan, line, position, amount, vec![code]);
                }
            }
        }
    }

    // A stop line whose date also gets a new charge is not sent: in LS the later payment to the
    // same debtor on the same date replaces the earlier one anyway, and two records on one
    // date would break the one-charge rule. (Validation does not see this clash when the
    // charge's lines were deselected by an earlier collect, so it is checked here.) Several
    // stop lines on one date need one cancellation: they form one group of amount 0.
    for (key, lines) in stops_by_key {
        let (_, debtor, payment_date) = key;
        let key_charged = charged.contains_key(&key);
        if key_charged {
            for position in lines {
                deselect(
                    &mut plan,
                    &data.lines[position as usize],
                    position,
                    Amount::ZERO,
                    vec![code::DUPLICATE_DEBTOR_DATE],
                );
            }
            continue;
        }
        let id = if lines.len() == 1 {
            Id::from(GROUP_SINGLE)
        } else {
            group_id(debtor, payment_date)
        };
        plan.assignments.extend(
            lines
                .iter()
                .map(|&p| (data.lines[p as usize].id, id.clone())),
        );
        plan.push(id, lines.into_iter(), Amount::ZERO, Vec::new());
    }

    plan.assignments.sort_unstable_by_key(|(line, _)| *line);
    plan
}

fn deselect(
    plan: &mut PlannedGroups,
    line: &PaymentLine,
    position: u32,
    amount: Amount,
    mut codes: Vec<&'static str>,
) {
    if codes.is_empty() {
        // Validation said ok although the line's entry or format is missing: the caller passed
        // results for other data.
        codes.push(NOT_VALIDATED);
    }
    plan.assignments.push((line.id, Id::from(GROUP_DESELECTED)));
    plan.push(
        Id::from(GROUP_DESELECTED),
        std::iter::once(position),
        amount,
        codes,
    );
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Status;
    use crate::suggest::suggest;
    use crate::testdata::{amount, apply_collect, apply_suggestion, cal, time, Run};
    use crate::validate::validate;

    const NOW: &str = "2026-05-20 10:00";

    /// The plan as text, one group per row: `id debtor date amount lines [codes]`.
    fn render(plan: &CollectPlan) -> String {
        plan.groups
            .iter()
            .map(|g| {
                let lines: Vec<String> = g.lines.iter().map(i64::to_string).collect();
                let mut row = format!(
                    "{} {} {} {} [{}]",
                    g.id,
                    g.debtor,
                    g.payment_date,
                    g.amount,
                    lines.join(",")
                );
                if !g.codes.is_empty() {
                    row.push(' ');
                    row.push_str(&g.codes.join(","));
                }
                row
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn plan_at(data: &RunData, now: &str) -> CollectPlan {
        collect(data, &validate(data, cal(), time(now)))
    }

    fn check(run: Run, expected: &str) {
        let plan = plan_at(&run.build(), NOW);
        assert_eq!(render(&plan), expected.trim());
    }

    /// The seed's worked example, through suggest → validate → collect: debtor 100100 with six
    /// invoices due 13.07.2018 totalling 29,715.00 becomes one collection with id
    /// `100100-20180713`; 100106's two invoices become one of 2,000.00; four single lines stay
    /// in `-`: six charges. Two faulty lines are deselected.
    #[test]
    fn the_seed_example_makes_six_charges() {
        let now = "2018-06-01 10:00";
        let mut run = Run::new().bs_basis("BS");
        for debtor in [
            "100100", "100101", "100102", "100103", "100104", "100106", "100108",
        ] {
            run = run.enrolled(debtor);
        }
        let mut data = run
            .debtor("100107") // no mandate
            .entry("5001", "100100", "2018-07-13", "5000.00")
            .entry("5002", "100100", "2018-07-13", "4000.00")
            .entry("5003", "100100", "2018-07-13", "6000.00")
            .entry("5004", "100100", "2018-07-13", "7715.00")
            .entry("5005", "100100", "2018-07-13", "3000.00")
            .entry("5006", "100100", "2018-07-13", "4000.00")
            .entry("5007", "100101", "2018-07-13", "1000.00")
            .entry("5008", "100102", "2018-07-20", "250.50")
            .entry("5009", "100103", "2018-08-01", "99.95")
            .entry("5010", "100104", "2018-07-13", "1200.00")
            .entry("5011", "100106", "2018-07-13", "1500.00")
            .entry("5012", "100106", "2018-07-13", "500.00")
            .entry("5013", "100107", "2018-07-13", "10.00")
            .entry_with("5014", "100108", "2018-07-13", "20.00", |e| {
                e.invoice = None
            })
            .build();
        let suggestion = suggest(&data, cal(), time(now), false);
        apply_suggestion(&mut data, &suggestion);
        assert_eq!(data.lines.len(), 14);
        let plan = plan_at(&data, now);
        assert_eq!(
            render(&plan),
            "\
100100-20180713 100100 2018-07-13 29715.00 [1,2,3,4,5,6]
- 100101 2018-07-13 1000.00 [7]
- 100102 2018-07-20 250.50 [8]
- 100103 2018-08-01 99.95 [9]
- 100104 2018-07-13 1200.00 [10]
100106-20180713 100106 2018-07-13 2000.00 [11,12]
Deselected 100107 2018-07-13 10.00 [13] mandate-not-active
Deselected 100108 2018-07-13 20.00 [14] invoice-missing"
        );
        assert_eq!(plan.charges(), 6);

        // Before collect the merged lines clash; after it they do not, and every line of a
        // charge is ok.
        let before = validate(&data, cal(), time(now));
        assert!(before[0].codes().contains(&code::DUPLICATE_DEBTOR_DATE));
        apply_collect(&mut data, &plan);
        let after = validate(&data, cal(), time(now));
        for group in plan.groups.iter().filter(|g| g.is_charge()) {
            for line in &group.lines {
                let v = after.iter().find(|v| v.line == *line).unwrap();
                assert!(v.is_ok(), "line {line}: {:?}", v.errors);
            }
        }
        // Collecting again gives the same plan.
        assert_eq!(plan_at(&data, now), plan);
    }

    fn bs() -> Run {
        Run::new().bs_basis("BS").enrolled("100100")
    }

    #[test]
    fn credit_notes_are_netted() {
        check(
            bs().charge("E1", "100100", "2026-06-01", "1000.00").charge(
                "C1",
                "100100",
                "2026-06-01",
                "-300.00",
            ),
            "100100-20260601 100100 2026-06-01 700.00 [1,2]",
        );
        // Even when the format blocks payouts: the group is a collection.
        check(
            bs().format_with(|f| f.block_payouts = true)
                .charge("E1", "100100", "2026-06-01", "1000.00")
                .charge("C1", "100100", "2026-06-01", "-300.00"),
            "100100-20260601 100100 2026-06-01 700.00 [1,2]",
        );
    }

    #[test]
    fn a_negative_net_is_a_payout() {
        check(
            bs().charge("E1", "100100", "2026-06-01", "100.00").charge(
                "C1",
                "100100",
                "2026-06-01",
                "-300.00",
            ),
            "100100-20260601 100100 2026-06-01 -200.00 [1,2]",
        );
        check(
            bs().format_with(|f| f.block_payouts = true)
                .charge("E1", "100100", "2026-06-01", "100.00")
                .charge("C1", "100100", "2026-06-01", "-300.00"),
            "
Deselected 100100 2026-06-01 100.00 [1] payout-blocked
Deselected 100100 2026-06-01 -300.00 [2] payout-blocked",
        );
    }

    #[test]
    fn a_group_that_nets_to_zero_is_deselected() {
        check(
            bs().charge("E1", "100100", "2026-06-01", "250.00")
                .charge("C1", "100100", "2026-06-01", "-250.00")
                .charge("E2", "100100", "2026-06-02", "250.00"),
            "
Deselected 100100 2026-06-01 250.00 [1] collective-net-zero
Deselected 100100 2026-06-01 -250.00 [2] collective-net-zero
- 100100 2026-06-02 250.00 [3]",
        );
    }

    #[test]
    fn bs_lines_without_invoice_number_are_deselected_even_when_allowed() {
        check(
            bs().format_with(|f| f.allow_without_invoice = true)
                .entry_with("E1", "100100", "2026-06-01", "100.00", |e| e.invoice = None)
                .line("E1", "2026-06-01")
                .charge("E2", "100100", "2026-06-01", "50.00"),
            "
- 100100 2026-06-01 50.00 [2]
Deselected 100100 2026-06-01 100.00 [1] invoice-missing",
        );
        // LS has no such rule.
        check(
            Run::new()
                .ls("LS")
                .enrolled("200200")
                .entry_with("E1", "200200", "2026-06-01", "100.00", |e| e.invoice = None)
                .line("E1", "2026-06-01"),
            "- 200200 2026-06-01 100.00 [1]",
        );
    }

    #[test]
    fn failing_lines_are_deselected_with_their_codes_and_the_rest_is_charged() {
        let mut data = bs()
            .charge("E1", "100100", "2026-06-01", "100.00")
            .charge("E2", "100100", "2026-06-01", "50.00")
            .line_with(|l| l.partial_payment = Some(amount("60.00")))
            .charge("E3", "100100", "2026-06-01", "20.00")
            .line_with(|l| l.status = Status::Waiting)
            .build();
        let plan = plan_at(&data, NOW);
        assert_eq!(
            render(&plan),
            "\
- 100100 2026-06-01 100.00 [1]
Deselected 100100 2026-06-01 60.00 [2] partial-payment-invalid,duplicate-debtor-date
Deselected 100100 2026-06-01 20.00 [3] status-not-exportable,duplicate-debtor-date"
        );
        // The deselected line no longer counts, so line 1 can be exported.
        apply_collect(&mut data, &plan);
        let after = validate(&data, cal(), time(NOW));
        assert!(after[0].is_ok(), "{:?}", after[0].errors);
        assert_eq!(
            after[1].codes(),
            [
                code::PARTIAL_PAYMENT_INVALID,
                code::DUPLICATE_DEBTOR_DATE,
                code::DESELECTED
            ]
        );
        // Fixed and collected again, the line joins the group.
        data.lines[1].partial_payment = None;
        let plan = plan_at(&data, NOW);
        assert_eq!(
            render(&plan),
            "\
100100-20260601 100100 2026-06-01 150.00 [1,2]
Deselected 100100 2026-06-01 20.00 [3] status-not-exportable,duplicate-debtor-date"
        );
    }

    #[test]
    fn a_sent_charge_on_the_date_blocks_new_lines_unless_they_may_overwrite() {
        let sent = || {
            bs().charge("E1", "100100", "2026-06-01", "100.00")
                .sent(Status::Sent, "2026-05-10")
                .charge("E2", "100100", "2026-06-01", "50.00")
                .charge("E3", "100100", "2026-06-01", "20.00")
        };
        check(
            sent(),
            "
Deselected 100100 2026-06-01 50.00 [2] duplicate-debtor-date
Deselected 100100 2026-06-01 20.00 [3] duplicate-debtor-date",
        );
        check(
            sent().line_with(|l| l.allow_overwriting = true),
            "
- 100100 2026-06-01 20.00 [3]
Deselected 100100 2026-06-01 50.00 [2] duplicate-debtor-date",
        );
    }

    #[test]
    fn an_ls_stop_line_is_a_single_zero_cancellation() {
        let stop = || {
            Run::new()
                .ls("LS")
                .enrolled("200200")
                .charge("E1", "200200", "2026-06-01", "100.00")
                .sent(Status::Stop, "2026-05-10")
        };
        check(stop(), "- 200200 2026-06-01 0.00 [1]");
        // A new charge on the same date replaces the stopped one; the cancellation stays home.
        // Two stopped charges on one date need one cancellation.
        check(
            stop()
                .charge("E2", "200200", "2026-06-01", "40.00")
                .sent(Status::Stop, "2026-05-10"),
            "200200-20260601 200200 2026-06-01 0.00 [1,2]",
        );
        check(
            stop().charge("E2", "200200", "2026-06-01", "40.00"),
            "
- 200200 2026-06-01 40.00 [2]
Deselected 200200 2026-06-01 0.00 [1] duplicate-debtor-date",
        );
    }

    #[test]
    fn sent_lines_are_not_collected() {
        check(
            bs().charge("E1", "100100", "2026-06-01", "100.00")
                .sent(Status::Received, "2026-05-10")
                .line_with(|l| l.group = Some("-".into()))
                .charge("E2", "100100", "2026-06-02", "10.00"),
            "- 100100 2026-06-02 10.00 [2]",
        );
    }

    #[test]
    fn missing_validation_results_deselect() {
        let data = bs().charge("E1", "100100", "2026-06-01", "100.00").build();
        assert_eq!(
            render(&collect(&data, &[])),
            "Deselected 100100 2026-06-01 100.00 [1] not-validated"
        );
    }

    #[test]
    fn collect_off_clears_only_lines_not_yet_sent() {
        let data = bs()
            .charge("E1", "100100", "2026-06-01", "100.00")
            .line_with(|l| l.group = Some("100100-20260601".into()))
            .charge("E2", "100100", "2026-06-01", "100.00")
            .line_with(|l| l.group = Some("100100-20260601".into()))
            .charge("E3", "100100", "2026-06-02", "100.00")
            .line_with(|l| l.group = Some(GROUP_DESELECTED.into()))
            .charge("E4", "100100", "2026-06-03", "100.00")
            .charge("E5", "100100", "2026-06-04", "100.00")
            .sent(Status::Sent, "2026-05-10")
            .line_with(|l| l.group = Some("-".into()))
            .build();
        assert_eq!(collect_off(&data), [1, 2, 3]);
    }

    #[test]
    fn group_ids_are_debtor_and_date() {
        let date = chrono::NaiveDate::from_ymd_opt(2018, 7, 13).unwrap();
        assert_eq!(group_id("100100", date), "100100-20180713");
        assert!(is_group_id("100100-20180713", "100100", date));
        for other in [
            "100100-20180714",
            "100100-20180813",
            "100100-20190713",
            "10010-20180713",
            "100100-2018071",
            "100100-201807130",
            "100100+20180713",
            "100100-2018O713",
            "-",
            "Deselected",
        ] {
            assert!(!is_group_id(other, "100100", date), "{other}");
        }
        let early = chrono::NaiveDate::from_ymd_opt(999, 1, 2).unwrap();
        assert_eq!(group_id("A", early), "A-09990102");
        assert!(is_group_id(&group_id("A", early), "A", early));
    }

    mod money_conservation {
        use super::*;
        use crate::charge::amount_to_charge;
        use proptest::prelude::*;

        /// One random line: debtor index, day offset, amount in øre, partial?, invoice?,
        /// status, allow overwriting, earlier group.
        type LineSpec = (usize, u32, i64, Option<i64>, bool, u8, bool, u8);

        fn line_spec() -> impl Strategy<Value = LineSpec> {
            (
                0..3usize,
                0..3u32,
                -5_000i64..5_000,
                proptest::option::weighted(0.2, -5_000i64..5_000),
                proptest::bool::weighted(0.9),
                0..10u8,
                proptest::bool::weighted(0.2),
                0..4u8,
            )
        }

        fn build(specs: &[LineSpec], block_payouts: bool, ls: bool) -> RunData {
            let debtors = ["100100", "100101", "100102"];
            let dates = ["2026-06-01", "2026-06-02", "2026-06-03"];
            let mut run = if ls {
                Run::new().ls("F")
            } else {
                Run::new().bs_basis("F")
            };
            run = run.format_with(|f| f.block_payouts = block_payouts);
            for debtor in debtors {
                run = run.enrolled(debtor);
            }
            for (i, &(debtor, day, ore, partial, invoice, status, overwrite, group)) in
                specs.iter().enumerate()
            {
                let (debtor, date) = (debtors[debtor], dates[day as usize]);
                let entry = format!("E{i}");
                let amount = ledger::Amount::from_ore(ore).to_string();
                run = run
                    .entry_with(&entry, debtor, date, &amount, |e| {
                        if !invoice {
                            e.invoice = None;
                        }
                    })
                    .line(&entry, date)
                    .line_with(|l| {
                        l.partial_payment = partial.map(ledger::Amount::from_ore);
                        l.allow_overwriting = overwrite;
                        l.group = match group {
                            0 => None,
                            1 => Some(Id::from(GROUP_DESELECTED)),
                            2 => Some(Id::from(GROUP_SINGLE)),
                            _ => Some(group_id(debtor, l.payment_date)),
                        };
                    });
                run = match status {
                    0 => run.line_with(|l| l.status = Status::Waiting),
                    1 => run.line_with(|l| l.status = Status::Transmitting),
                    2 => run.sent(Status::Sent, "2026-05-10"),
                    3 => run.sent(Status::Stop, "2026-05-10"),
                    4 => run.sent(Status::Rejected, "2026-05-10"),
                    _ => run,
                };
            }
            run.build()
        }

        proptest! {
            /// I8: every line considered is in exactly one group, each group's amount is the
            /// sum of its lines' amounts to charge, there is at most one charge per
            /// (format, debtor, date), and after applying the plan every line of a charge
            /// passes validation.
            #[test]
            fn groups_conserve_money_and_charge_once_per_debtor_and_date(
                specs in proptest::collection::vec(line_spec(), 0..25),
                block_payouts: bool,
                ls: bool,
            ) {
                let mut data = build(&specs, block_payouts, ls);
                let plan = plan_at(&data, NOW);

                let considered: Vec<i64> = data
                    .lines
                    .iter()
                    .filter(|l| can_still_be_exported(l))
                    .map(|l| l.id)
                    .collect();
                let mut grouped: Vec<i64> =
                    plan.groups.iter().flat_map(|g| g.lines.iter().copied()).collect();
                grouped.sort_unstable();
                prop_assert_eq!(&grouped, &considered);
                let assigned: Vec<i64> = plan.assignments.iter().map(|(l, _)| *l).collect();
                prop_assert_eq!(&assigned, &considered);

                let mut charged = std::collections::HashSet::new();
                for group in &plan.groups {
                    let sum = group.lines.iter().map(|id| {
                        let line = data.lines.iter().find(|l| l.id == *id).unwrap();
                        if line.status == Status::Stop {
                            ledger::Amount::ZERO
                        } else {
                            amount_to_charge(line, &data.entries[line.entry_id.as_str()], &data.formats["F"])
                        }
                    });
                    prop_assert_eq!(Some(group.amount), ledger::Amount::checked_sum(sum).ok());
                    for id in &group.lines {
                        prop_assert_eq!(plan.group_of(*id), Some(group.id.as_str()));
                    }
                    if group.is_charge() {
                        prop_assert!(charged.insert((group.debtor.clone(), group.payment_date)),
                            "two charges for {} on {}", group.debtor, group.payment_date);
                        prop_assert_eq!(group.lines.len() == 1, group.id == GROUP_SINGLE);
                        prop_assert!(group.codes.is_empty());
                    } else {
                        prop_assert!(!group.codes.is_empty());
                    }
                }

                apply_collect(&mut data, &plan);
                let after = validate(&data, cal(), time(NOW));
                for group in plan.groups.iter().filter(|g| g.is_charge()) {
                    for id in &group.lines {
                        let v = after.iter().find(|v| v.line == *id).unwrap();
                        prop_assert!(v.is_ok(), "line {} in {}: {:?}", id, group.id, v.errors);
                    }
                }
            }
        }
    }
}
