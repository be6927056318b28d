//! The payment suggestion (`domain.md` §3): which open entries get a new payment line, on
//! which payment date, and which lines of settled entries disappear.
//!
//! [`suggest`] proposes one line per open entry (remaining ≠ 0) of a debtor whose payment
//! format exists, unless one of the entry's lines still stands for it
//! ([`blocks_new_suggestion`]). It is idempotent: applying its plan and running it again
//! proposes nothing. It also lists for removal the lines of entries that were settled (remaining
//! zero, or the entry is gone) and were never sent: nothing is left to charge.
//!
//! **Which lines block a new one.** Every line except rejected, unsubscribed and reversed ones:
//! those are charges that failed, the entry is still open and a fresh attempt is what a
//! bookkeeper expects. A received or difference line means the entry was handled (its payment
//! may not be posted yet, and charging again would charge twice; a difference is for a person);
//! an error or information line is still the entry's line, waiting for a person to resend or
//! reset it; a stop line was stopped on purpose; blank, waiting, transmitting, sent and
//! to-be-treated lines are on their way.
//!
//! **Payment date.** The due date, or today when the due date has passed; then the format's
//! banking-day action: `after` rolls to the next banking day, `before` to the previous one but
//! never before today (then it rolls forward instead), `none` leaves the date for validation to
//! report. A calendar error (a date outside 1900–2199) leaves the date unmoved; validation then
//! reports it.
//!
//! **`--earliest`** (decided here): the payment date becomes the later of the baseline date and
//! the earliest date that can still meet the delivery deadline at `now` — for BS the first
//! banking day of the first month whose deadline (6th-last, or with the extension 3rd-last,
//! banking day of the month before, at the format's cut-off) has not passed; for LS the first
//! banking day whose D-1 (payout: D-2) cut-off has not passed. A due date far enough ahead
//! keeps its baseline date (a debtor is never charged before the due date); only a date that
//! would miss its deadline moves. Because deadlines only grow with the payment date, the later
//! of the two meets the deadline too. `--earliest` applies to the new lines only.

use crate::model::{
    BankingDayAction, ChargingPrinciple, PaymentFormat, PaymentLine, RunData, Scheme, Status,
};
use bankcal::Calendar;
use chrono::{Datelike, Months, NaiveDate, NaiveDateTime};
use ledger::Entry;
use std::collections::HashSet;

/// A payment line to create (status blank, no partial payment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLine {
    pub entry_id: String,
    pub debtor: String,
    pub format_id: String,
    pub payment_date: NaiveDate,
}

/// What `suggest` would do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SuggestPlan {
    /// New lines, sorted by debtor, payment date and entry id.
    pub new_lines: Vec<NewLine>,
    /// Line ids to delete: settled entries' lines that were never sent, ascending.
    pub remove: Vec<i64>,
}

impl SuggestPlan {
    pub fn is_empty(&self) -> bool {
        self.new_lines.is_empty() && self.remove.is_empty()
    }
}

/// True when the line still stands for its entry, so `suggest` proposes no new line for it:
/// every status except rejected, unsubscribed and reversed (see the module documentation).
pub fn blocks_new_suggestion(line: &PaymentLine) -> bool {
    !matches!(
        line.status,
        Status::Rejected | Status::Unsubscribed | Status::Reversed
    )
}

/// True when the line may be removed because its entry is settled: never sent, and blank,
/// waiting or transmitting.
fn never_sent(line: &PaymentLine) -> bool {
    line.date_sent.is_none()
        && matches!(
            line.status,
            Status::Blank | Status::Waiting | Status::Transmitting
        )
}

/// Plans the suggestion. `now` is Danish local time; today is `now.date()`.
pub fn suggest(data: &RunData, cal: &Calendar, now: NaiveDateTime, earliest: bool) -> SuggestPlan {
    let today = now.date();
    let mut remove: Vec<i64> = data
        .lines
        .iter()
        .filter(|line| never_sent(line))
        .filter(|line| {
            data.entries
                .get(&line.entry_id)
                .is_none_or(|e| !e.is_open())
        })
        .map(|line| line.id)
        .collect();
    remove.sort_unstable();

    let handled: HashSet<&str> = data
        .lines
        .iter()
        .filter(|line| blocks_new_suggestion(line))
        .map(|line| line.entry_id.as_str())
        .collect();

    let mut new_lines: Vec<NewLine> = data
        .entries
        .values()
        .filter(|entry| entry.is_open() && !handled.contains(entry.entry_id.as_str()))
        .filter_map(|entry| {
            let format_id = data.debtors.get(&entry.debtor)?.payment_format.as_ref()?;
            let format = data.formats.get(format_id)?;
            let baseline = baseline_date(cal, format, entry.due_date, today);
            let payment_date = if earliest {
                let payout = entry_charge_is_payout(entry, format);
                earliest_date(cal, format, now, payout).map_or(baseline, |e| e.max(baseline))
            } else {
                baseline
            };
            Some(NewLine {
                entry_id: entry.entry_id.clone(),
                debtor: entry.debtor.clone(),
                format_id: format.id.clone(),
                payment_date,
            })
        })
        .collect();
    new_lines.sort_by(|a, b| {
        (&a.debtor, a.payment_date, &a.entry_id).cmp(&(&b.debtor, b.payment_date, &b.entry_id))
    });
    SuggestPlan { new_lines, remove }
}

/// A new line has no partial payment, so it charges what the principle names.
fn entry_charge_is_payout(entry: &Entry, format: &PaymentFormat) -> bool {
    match format.principle {
        ChargingPrinciple::Standard => entry.amount.is_negative(),
        ChargingPrinciple::Remaining => entry.remaining.is_negative(),
    }
}

/// The baseline payment date: the due date (today if it has passed), moved by the format's
/// banking-day action. A calendar error leaves the date unmoved.
pub fn baseline_date(
    cal: &Calendar,
    format: &PaymentFormat,
    due_date: NaiveDate,
    today: NaiveDate,
) -> NaiveDate {
    let date = due_date.max(today);
    let moved = match format.banking_day_action {
        BankingDayAction::None => return date,
        BankingDayAction::After => cal.next_banking_day(date),
        BankingDayAction::Before => cal.previous_banking_day(date).and_then(|previous| {
            if previous < today {
                cal.next_banking_day(date)
            } else {
                Ok(previous)
            }
        }),
    };
    moved.unwrap_or(date)
}

/// How many months or banking days `earliest_date` looks ahead before giving up; far more
/// than any deadline rule needs.
const EARLIEST_SEARCH: u32 = 6;

/// The earliest payment date whose delivery deadline has not passed at `now`, or `None` when
/// the calendar cannot say. BS: the first banking day of the first month whose deadline is
/// still ahead; LS: the first banking day from today whose D-1 (payout: D-2) cut-off is still
/// ahead.
pub fn earliest_date(
    cal: &Calendar,
    format: &PaymentFormat,
    now: NaiveDateTime,
    payout: bool,
) -> Option<NaiveDate> {
    let today = now.date();
    match format.scheme {
        Scheme::Bs => {
            let mut month = today.with_day(1)?;
            for _ in 0..EARLIEST_SEARCH {
                let first = cal.next_banking_day(month).ok()?;
                if first >= today && first.month() == month.month() {
                    let deadline = cal
                        .bs_deadline(first, format.extended_deadline, format.cutoff)
                        .ok()?;
                    if now <= deadline {
                        return Some(first);
                    }
                }
                month = month.checked_add_months(Months::new(1))?;
            }
            None
        }
        Scheme::Ls => {
            let mut day = cal.next_banking_day(today).ok()?;
            for _ in 0..EARLIEST_SEARCH {
                let deadline = cal.ls_deadline(day, payout, format.cutoff).ok()?;
                if now <= deadline {
                    return Some(day);
                }
                day = cal.add_banking_days(day, 1).ok()?;
            }
            None
        }
    }
}
