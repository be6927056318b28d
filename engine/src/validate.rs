//! Validation of payment lines ("Controllers", `domain.md` §4).
//!
//! [`validate`] runs every rule on every line that can still be exported and reports **all**
//! failing rules of each line, in the order of [`PRECEDENCE`], each with a stable code and a
//! message that names the values involved. A line is `ok` only when nothing fails; export
//! re-runs validation and sends only `ok` lines, so these rules are the last guard before money
//! moves.
//!
//! Which lines are validated ([`can_still_be_exported`]): status blank, transmitting, waiting
//! (always reported as `status-not-exportable`, so a person sees what else is wrong before
//! releasing it) and stop, unless an LS stop line's cancellation has already gone out. Sent and
//! later lines are history and are not validated again.
//!
//! Codes beyond the §4 table, decided here:
//! - `format-unknown`, `entry-unknown`, `debtor-unknown`: the line names something that does not
//!   exist. Such a line gets only these failures, because the other rules need the missing data.
//! - `entry-on-other-line`: another live line charges the same entry. Invariant I8 says an entry
//!   is never in two live lines; this happens when a rejected line is set back to blank after
//!   `suggest` has already proposed a new one, and would charge the debtor twice.
//! - `deselected`: `collect` set the line aside (group `Deselected`); it is not exported until
//!   `collect` runs again (or `collect --off`). `collect` itself ignores this code.
//!
//! Liveness (for `duplicate-debtor-date` and `entry-on-other-line`): a line is live when it is
//! not yet sent and exportable (blank or transmitting, and not deselected), or sent and not
//! rejected, unsubscribed, reversed or stopped (sent, to-be-treated, received, difference,
//! error, information). Two unsent lines are merged when they carry the same collective payment
//! id `<debtor>-<yyyymmdd>` that matches their debtor and payment date; a line that was sent is
//! never merged with one that was not, because they cannot travel in one record.
//!
//! Within a merged group the group is what is charged, so `payout-blocked` and the LS deadline
//! (D-1 for a collection, D-2 for a payout) look at the group's net amount.
//!
//! Calendar errors (a date outside 1900–2199) fail the rule that needed the calendar, with the
//! calendar's message; nothing panics. The cost is linear in the number of lines: the clash
//! checks are hash-map lookups.

use crate::charge::{amount_to_charge, has_invoice_number, partial_payment_problem};
use crate::collect::group_id;
use crate::model::{
    BsType, PaymentFormat, PaymentLine, RunData, Scheme, Status, ValidationError, GROUP_DESELECTED,
};
use bankcal::Calendar;
use chrono::{Days, NaiveDate, NaiveDateTime};
use ledger::Amount;
use std::collections::HashMap;

/// The stable codes of the validation rules.
pub mod code {
    pub const FORMAT_UNKNOWN: &str = "format-unknown";
    pub const ENTRY_UNKNOWN: &str = "entry-unknown";
    pub const DEBTOR_UNKNOWN: &str = "debtor-unknown";
    pub const STATUS_NOT_EXPORTABLE: &str = "status-not-exportable";
    pub const CURRENCY_NOT_DKK: &str = "currency-not-dkk";
    pub const AMOUNT_ZERO: &str = "amount-zero";
    pub const PARTIAL_PAYMENT_INVALID: &str = "partial-payment-invalid";
    pub const PAYOUT_BLOCKED: &str = "payout-blocked";
    pub const INVOICE_MISSING: &str = "invoice-missing";
    pub const INVOICE_LINES_MISSING: &str = "invoice-lines-missing";
    pub const CVR_MISSING: &str = "cvr-missing";
    pub const MANDATE_NOT_ACTIVE: &str = "mandate-not-active";
    pub const NOT_BANKING_DAY: &str = "not-banking-day";
    pub const PAYMENT_DATE_PAST: &str = "payment-date-past";
    pub const BEYOND_HORIZON: &str = "beyond-horizon";
    pub const DEADLINE_PASSED: &str = "deadline-passed";
    pub const DUPLICATE_DEBTOR_DATE: &str = "duplicate-debtor-date";
    pub const ENTRY_ON_OTHER_LINE: &str = "entry-on-other-line";
    pub const DESELECTED: &str = "deselected";
}

/// Every code, in the order failures are reported.
pub const PRECEDENCE: [&str; 19] = [
    code::FORMAT_UNKNOWN,
    code::ENTRY_UNKNOWN,
    code::DEBTOR_UNKNOWN,
    code::STATUS_NOT_EXPORTABLE,
    code::CURRENCY_NOT_DKK,
    code::AMOUNT_ZERO,
    code::PARTIAL_PAYMENT_INVALID,
    code::PAYOUT_BLOCKED,
    code::INVOICE_MISSING,
    code::INVOICE_LINES_MISSING,
    code::CVR_MISSING,
    code::MANDATE_NOT_ACTIVE,
    code::NOT_BANKING_DAY,
    code::PAYMENT_DATE_PAST,
    code::BEYOND_HORIZON,
    code::DEADLINE_PASSED,
    code::DUPLICATE_DEBTOR_DATE,
    code::ENTRY_ON_OTHER_LINE,
    code::DESELECTED,
];

/// How far ahead a payment date may lie, in calendar days.
pub const HORIZON_DAYS: u64 = 90;

/// The validation result of one line; no errors = ok.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineValidation {
    pub line: i64,
    pub errors: Vec<ValidationError>,
}

impl LineValidation {
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }

    /// The failing codes, in precedence order.
    pub fn codes(&self) -> Vec<&'static str> {
        self.errors.iter().map(|e| e.code).collect()
    }
}

/// True for the lines validation looks at: blank, transmitting, waiting, and stop unless its
/// cancellation was already sent.
pub fn can_still_be_exported(line: &PaymentLine) -> bool {
    match line.status {
        Status::Blank | Status::Transmitting | Status::Waiting => true,
        Status::Stop => !line.cancellation_sent,
        _ => false,
    }
}

/// Whether a line counts for the one-charge-per-debtor-per-date rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Liveness {
    /// Not yet sent and exportable: blank or transmitting, and not deselected by `collect`.
    Unsent,
    /// Sent and not rejected, unsubscribed, reversed or stopped.
    Sent,
    NotLive,
}

pub(crate) fn liveness(line: &PaymentLine) -> Liveness {
    match line.status {
        Status::Blank | Status::Transmitting => {
            if line.group.as_deref() == Some(GROUP_DESELECTED) {
                Liveness::NotLive
            } else {
                Liveness::Unsent
            }
        }
        Status::Sent
        | Status::ToBeTreated
        | Status::Received
        | Status::Difference
        | Status::Error
        | Status::Information => Liveness::Sent,
        Status::Unsubscribed
        | Status::Rejected
        | Status::Reversed
        | Status::Waiting
        | Status::Stop => Liveness::NotLive,
    }
}

/// The line's collective payment id when it is a real merge id for its own debtor and date
/// (not `-`, `Deselected`, or an id left over from before the date was changed).
pub(crate) fn merged_group(line: &PaymentLine) -> Option<&str> {
    let group = line.group.as_deref()?;
    (group == group_id(&line.debtor, line.payment_date)).then_some(group)
}

type BucketKey<'a> = (&'a str, &'a str, NaiveDate);

/// What one (format, debtor, payment date) holds, for the duplicate rule.
#[derive(Default)]
struct Bucket<'a> {
    unsent: usize,
    sent: usize,
    /// Up to four unsent live lines with distinct merge keys (their group, or themselves), so
    /// that a message can name up to three clashing lines without scanning the bucket.
    unsent_examples: Vec<(i64, Option<&'a str>)>,
    sent_examples: Vec<i64>,
}

/// Live lines per entry, for `entry-on-other-line`.
#[derive(Default)]
struct EntryLines {
    live: usize,
    examples: Vec<(i64, Status)>,
}

/// Everything validation needs about the other lines, gathered in one pass.
struct Index<'a> {
    buckets: HashMap<BucketKey<'a>, Bucket<'a>>,
    /// Unsent live lines per (format, merge id), with their net amount (`None` on overflow or
    /// when a member's amount cannot be computed).
    groups: HashMap<(&'a str, &'a str), (usize, Option<Amount>)>,
    entries: HashMap<&'a str, EntryLines>,
}

impl<'a> Index<'a> {
    fn build(data: &'a RunData) -> Index<'a> {
        let mut index = Index {
            buckets: HashMap::new(),
            groups: HashMap::new(),
            entries: HashMap::new(),
        };
        for line in &data.lines {
            let live = liveness(line);
            if live == Liveness::NotLive {
                continue;
            }
            let on_entry = index.entries.entry(&line.entry_id).or_default();
            on_entry.live += 1;
            if on_entry.examples.len() < 3 {
                on_entry.examples.push((line.id, line.status));
            }
            let bucket = index
                .buckets
                .entry((&line.format_id, &line.debtor, line.payment_date))
                .or_default();
            if live == Liveness::Sent {
                bucket.sent += 1;
                if bucket.sent_examples.len() < 3 {
                    bucket.sent_examples.push(line.id);
                }
                continue;
            }
            bucket.unsent += 1;
            let group = merged_group(line);
            let new_key =
                group.is_none() || bucket.unsent_examples.iter().all(|(_, g)| *g != group);
            if new_key && bucket.unsent_examples.len() < 4 {
                bucket.unsent_examples.push((line.id, group));
            }
            if let Some(group) = group {
                let amount = line_amount(data, line);
                let member = index
                    .groups
                    .entry((&line.format_id, group))
                    .or_insert((0, Some(Amount::ZERO)));
                member.0 += 1;
                member.1 = member.1.zip(amount).and_then(|(sum, a)| sum.checked_add(a));
            }
        }
        index
    }
}

/// The amount to charge of a line, when its entry and format exist.
fn line_amount(data: &RunData, line: &PaymentLine) -> Option<Amount> {
    let entry = data.entries.get(&line.entry_id)?;
    let format = data.formats.get(&line.format_id)?;
    Some(amount_to_charge(line, entry, format))
}

/// Validates every line that can still be exported, in the order of `data.lines`.
///
/// `now` is Danish local time (the caller converts); today is `now.date()`.
pub fn validate(data: &RunData, cal: &Calendar, now: NaiveDateTime) -> Vec<LineValidation> {
    let index = Index::build(data);
    data.lines
        .iter()
        .filter(|line| can_still_be_exported(line))
        .map(|line| LineValidation {
            line: line.id,
            errors: validate_line(data, &index, cal, now, line),
        })
        .collect()
}

fn fail(errors: &mut Vec<ValidationError>, code: &'static str, message: String) {
    errors.push(ValidationError { code, message });
}

fn validate_line(
    data: &RunData,
    index: &Index<'_>,
    cal: &Calendar,
    now: NaiveDateTime,
    line: &PaymentLine,
) -> Vec<ValidationError> {
    let mut errors = Vec::new();
    let format = data.formats.get(&line.format_id);
    let entry = data.entries.get(&line.entry_id);
    let debtor = data.debtors.get(&line.debtor);
    if format.is_none() {
        fail(
            &mut errors,
            code::FORMAT_UNKNOWN,
            format!("payment format '{}' does not exist", line.format_id),
        );
    }
    if entry.is_none() {
        fail(
            &mut errors,
            code::ENTRY_UNKNOWN,
            format!(
                "entry '{}' does not exist or is no longer open",
                line.entry_id
            ),
        );
    }
    if debtor.is_none() {
        fail(
            &mut errors,
            code::DEBTOR_UNKNOWN,
            format!("debtor '{}' does not exist", line.debtor),
        );
    }
    let (Some(format), Some(entry), Some(debtor)) = (format, entry, debtor) else {
        return errors;
    };

    let today = now.date();
    let date = line.payment_date;
    let scheme = format.scheme;
    let is_stop = line.status == Status::Stop;
    let charge = amount_to_charge(line, entry, format);
    // In a merged group the group's net amount is what is charged or paid out.
    let group_net = merged_group(line)
        .filter(|_| liveness(line) == Liveness::Unsent)
        .and_then(|group| index.groups.get(&(line.format_id.as_str(), group)))
        .filter(|(members, _)| *members > 1)
        .map(|(_, net)| *net);
    let charged = match group_net {
        Some(Some(net)) => net,
        // Overflow of the group sum: judge the line on its own; collect refuses such groups.
        Some(None) | None => charge,
    };

    // status-not-exportable
    match line.status {
        Status::Blank | Status::Transmitting => {}
        Status::Stop if scheme == Scheme::Ls => {}
        Status::Stop => fail(
            &mut errors,
            code::STATUS_NOT_EXPORTABLE,
            format!(
                "status is stop, but payment format {} is Betalingsservice: only Leverandørservice lines can be stopped",
                format.id
            ),
        ),
        Status::Waiting => fail(
            &mut errors,
            code::STATUS_NOT_EXPORTABLE,
            "status is waiting: waiting lines are never exported; set the line to blank to release it"
                .to_string(),
        ),
        other => fail(
            &mut errors,
            code::STATUS_NOT_EXPORTABLE,
            format!(
                "status is {}: only blank, transmitting or (Leverandørservice) stop lines can be exported",
                other.as_str()
            ),
        ),
    }

    // currency-not-dkk
    if entry.currency != "DKK" {
        fail(
            &mut errors,
            code::CURRENCY_NOT_DKK,
            format!(
                "entry {} is in {}: Betalingsservice and Leverandørservice charge only DKK",
                entry.entry_id, entry.currency
            ),
        );
    }

    // amount-zero (an LS stop line sends a 0-amount cancellation on purpose)
    if charge.is_zero() && !(is_stop && scheme == Scheme::Ls) {
        fail(
            &mut errors,
            code::AMOUNT_ZERO,
            format!("the amount to charge for entry {} is 0.00", entry.entry_id),
        );
    }

    // partial-payment-invalid
    if let Some(problem) = partial_payment_problem(line, entry) {
        fail(&mut errors, code::PARTIAL_PAYMENT_INVALID, problem);
    }

    // payout-blocked (a stop line pays nothing out)
    if charged.is_negative() && format.block_payouts && !is_stop {
        let what = if group_net.is_some() {
            format!(
                "collective payment {} nets to {charged}, a payout",
                line.group.as_deref().unwrap_or_default()
            )
        } else {
            format!("the amount to charge {charged} is a payout")
        };
        fail(
            &mut errors,
            code::PAYOUT_BLOCKED,
            format!("{what}, and payment format {} blocks payouts", format.id),
        );
    }

    // invoice-missing / invoice-lines-missing / cvr-missing
    match scheme {
        Scheme::Bs => {
            if !has_invoice_number(entry) && !format.allow_without_invoice {
                fail(
                    &mut errors,
                    code::INVOICE_MISSING,
                    format!(
                        "entry {} has no invoice number, and payment format {} does not allow charging without one",
                        entry.entry_id, format.id
                    ),
                );
            }
        }
        Scheme::Ls => {
            if !entry.has_invoice_lines {
                fail(
                    &mut errors,
                    code::INVOICE_LINES_MISSING,
                    format!(
                        "entry {} has no invoice lines: Leverandørservice charges only invoices with invoice lines",
                        entry.entry_id
                    ),
                );
            }
            if !debtor.tax_id.as_ref().is_some_and(|t| t.is_cvr()) {
                // Never print the CPR number itself (I12); saying there is one is enough.
                let has = if debtor.tax_id.is_some() {
                    "has a CPR number, not a CVR number"
                } else {
                    "has no CVR number"
                };
                fail(
                    &mut errors,
                    code::CVR_MISSING,
                    format!(
                        "debtor {} {has}: Leverandørservice charges only companies",
                        debtor.account
                    ),
                );
            }
        }
    }

    // mandate-not-active (BS Total charges debtors without a mandate through a payment slip)
    let needs_mandate = match scheme {
        Scheme::Ls => true,
        Scheme::Bs => format.bs_type != Some(BsType::Total),
    };
    if needs_mandate {
        let active = data.mandates.get(&line.debtor).is_some_and(|mandates| {
            mandates
                .iter()
                .any(|m| m.payment_format == format.id && m.is_active_on(date))
        });
        if !active {
            fail(
                &mut errors,
                code::MANDATE_NOT_ACTIVE,
                format!(
                    "debtor {} has no mandate for payment format {} active on {date}",
                    line.debtor, format.id
                ),
            );
        }
    }

    // not-banking-day
    match cal.is_banking_day(date) {
        Ok(true) => {}
        Ok(false) => fail(
            &mut errors,
            code::NOT_BANKING_DAY,
            format!(
                "payment date {date} ({}) is not a banking day",
                date.format("%A")
            ),
        ),
        Err(e) => fail(
            &mut errors,
            code::NOT_BANKING_DAY,
            format!("cannot tell whether payment date {date} is a banking day: {e}"),
        ),
    }

    // payment-date-past
    if date < today {
        fail(
            &mut errors,
            code::PAYMENT_DATE_PAST,
            format!("payment date {date} is before today, {today}"),
        );
    }

    // beyond-horizon
    if let Some(horizon) = today.checked_add_days(Days::new(HORIZON_DAYS)) {
        if date > horizon {
            fail(
                &mut errors,
                code::BEYOND_HORIZON,
                format!(
                    "payment date {date} is more than {HORIZON_DAYS} calendar days after today ({today}); the latest allowed is {horizon}"
                ),
            );
        }
    }

    // deadline-passed
    match deadline(cal, format, date, charged.is_negative()) {
        Ok(deadline) if now > deadline => fail(
            &mut errors,
            code::DEADLINE_PASSED,
            format!(
                "the deadline for payment date {date} was {}",
                deadline.format("%Y-%m-%d %H:%M")
            ),
        ),
        Ok(_) => {}
        Err(e) => fail(
            &mut errors,
            code::DEADLINE_PASSED,
            format!("cannot compute the deadline for payment date {date}: {e}"),
        ),
    }

    // duplicate-debtor-date
    if let Some(message) = duplicate_message(index, line, &format.id) {
        fail(&mut errors, code::DUPLICATE_DEBTOR_DATE, message);
    }

    // entry-on-other-line
    if let Some(on_entry) = index.entries.get(line.entry_id.as_str()) {
        let own = usize::from(liveness(line) != Liveness::NotLive);
        let others = on_entry.live - own;
        if others > 0 {
            let named: Vec<String> = on_entry
                .examples
                .iter()
                .filter(|(id, _)| *id != line.id)
                .map(|(id, status)| format!("line {id} ({})", status.as_str()))
                .collect();
            fail(
                &mut errors,
                code::ENTRY_ON_OTHER_LINE,
                format!(
                    "entry {} is also on {}{}: charging it on two lines may charge the debtor twice",
                    line.entry_id,
                    named.join(", "),
                    more(others, named.len())
                ),
            );
        }
    }

    // deselected
    if line.group.as_deref() == Some(GROUP_DESELECTED) {
        fail(
            &mut errors,
            code::DESELECTED,
            "collect set this line aside (group Deselected): run collect again once it is fixed"
                .to_string(),
        );
    }

    errors
}

/// The delivery deadline of §1 for a payment date in this format.
pub fn deadline(
    cal: &Calendar,
    format: &PaymentFormat,
    payment_date: NaiveDate,
    payout: bool,
) -> Result<NaiveDateTime, bankcal::CalendarError> {
    match format.scheme {
        Scheme::Bs => cal.bs_deadline(payment_date, format.extended_deadline, format.cutoff),
        Scheme::Ls => cal.ls_deadline(payment_date, payout, format.cutoff),
    }
}

/// `" and 2 more"` when not every counted line was named.
fn more(count: usize, named: usize) -> String {
    if count > named {
        format!(" and {} more", count - named)
    } else {
        String::new()
    }
}

/// The duplicate-debtor-date message for a line, or `None` when it does not clash.
fn duplicate_message(index: &Index<'_>, line: &PaymentLine, format_id: &str) -> Option<String> {
    let bucket = index
        .buckets
        .get(&(format_id, line.debtor.as_str(), line.payment_date))?;
    let own = liveness(line);
    let group = if own == Liveness::Unsent {
        merged_group(line)
    } else {
        None
    };
    // Unsent live lines that are this line or merged with it do not clash with it.
    let merged = match group {
        Some(group) => index
            .groups
            .get(&(format_id, group))
            .map_or(1, |(members, _)| *members),
        None => usize::from(own == Liveness::Unsent),
    };
    let unsent_clash = bucket.unsent.saturating_sub(merged);
    let sent_clash = bucket.sent;
    // Allow overwriting lets a line replace sent charges, never another unsent one.
    let flagged = unsent_clash > 0 || (sent_clash > 0 && !line.allow_overwriting);
    if !flagged {
        return None;
    }
    let mut named: Vec<String> = bucket
        .unsent_examples
        .iter()
        .filter(|(id, g)| *id != line.id && (g.is_none() || *g != group))
        .take(3)
        .map(|(id, _)| format!("line {id}"))
        .collect();
    named.extend(
        bucket
            .sent_examples
            .iter()
            .take(3)
            .map(|id| format!("line {id} (sent)")),
    );
    let count = unsent_clash + sent_clash;
    let hint = if unsent_clash > 0 {
        "collect them into one collective payment or move one to another date"
    } else {
        "allow overwriting to replace the sent charge, or move this line to another date"
    };
    Some(format!(
        "debtor {} already has {}{} on {} in payment format {format_id}: only one charge per debtor per payment date; {hint}",
        line.debtor,
        named.join(", "),
        more(count, named.len()),
        line.payment_date,
    ))
}
