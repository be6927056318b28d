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
use ledger::Id;
use std::collections::HashSet;

/// A payment line to create (status blank, no partial payment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLine {
    pub entry_id: Id,
    pub debtor: Id,
    pub format_id: Id,
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

impl NewLine {
    /// The line this suggestion becomes once the store has given it `id`.
    pub fn into_line(self, id: i64) -> crate::model::PaymentLine {
        crate::model::PaymentLine::blank(
            id,
            self.entry_id,
            self.debtor,
            self.format_id,
            self.payment_date,
        )
    }
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

    // Each new line with its sort key: the positions of its debtor and its entry in their
    // id order (`ById` keeps them sorted), the payment date between. The key orders as
    // (debtor, date, entry id) do, and compares as three numbers: sorting a million lines by
    // their ids' texts was 10 % of `suggest`.
    let mut new_lines: Vec<((u32, NaiveDate, u32), NewLine)> = data
        .entries
        .values()
        .zip(0u32..)
        .filter(|(entry, _)| entry.is_open() && !handled.contains(entry.entry_id.as_str()))
        .filter_map(|(entry, entry_position)| {
            let debtor_position = data.debtors.position_of(&entry.debtor)?;
            let debtor = data.debtors.at(debtor_position)?;
            let format_id = debtor.payment_format.as_ref()?;
            let format = data.formats.get(format_id)?;
            let baseline = baseline_date(cal, format, entry.due_date, today);
            let payment_date = if earliest {
                let payout = entry_charge_is_payout(entry, format);
                earliest_date(cal, format, now, payout).map_or(baseline, |e| e.max(baseline))
            } else {
                baseline
            };
            let key = (
                u32::try_from(debtor_position).unwrap_or(u32::MAX),
                payment_date,
                entry_position,
            );
            let line = NewLine {
                entry_id: entry.entry_id.clone(),
                debtor: entry.debtor.clone(),
                format_id: format.id.clone(),
                payment_date,
            };
            Some((key, line))
        })
        .collect();
    // Keys are unique (one line per entry).
    new_lines.sort_unstable_by_key(|(key, _)| *key);
    let new_lines = new_lines.into_iter().map(|(_, line)| line).collect();
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::BankingDayAction;
    use crate::testdata::{amount, apply_suggestion, cal, date, time, Run};
    use ledger::Amount;

    const NOW: &str = "2026-05-20 10:00";

    /// The payment date suggest proposes for one entry due on `due`, in a fresh BS or LS format
    /// changed by `format`, at `now`.
    fn date_for(
        run: Run,
        due: &str,
        amt: &str,
        now: &str,
        earliest: bool,
        action: BankingDayAction,
    ) -> String {
        let debtor = "100100";
        let data = run
            .format_with(|f| f.banking_day_action = action)
            .enrolled(debtor)
            .entry("E1", debtor, due, amt)
            .build();
        let plan = suggest(&data, cal(), time(now), earliest);
        assert_eq!(plan.new_lines.len(), 1, "{plan:?}");
        plan.new_lines[0].payment_date.to_string()
    }

    fn bs_date(due: &str, now: &str, action: BankingDayAction) -> String {
        date_for(Run::new().bs_basis("BS"), due, "100.00", now, false, action)
    }

    #[test]
    fn baseline_is_the_due_date_or_today() {
        use BankingDayAction::After;
        assert_eq!(bs_date("2026-06-10", NOW, After), "2026-06-10");
        // Past due: today.
        assert_eq!(bs_date("2026-05-01", NOW, After), "2026-05-20");
        assert_eq!(bs_date("2026-05-20", NOW, After), "2026-05-20");
    }

    #[test]
    fn banking_day_action_moves_non_banking_dates() {
        use BankingDayAction::{After, Before, None};
        // Saturday 6 June 2026; Friday 5 June is Constitution Day.
        assert_eq!(bs_date("2026-06-06", NOW, After), "2026-06-08");
        assert_eq!(bs_date("2026-06-06", NOW, Before), "2026-06-04");
        assert_eq!(bs_date("2026-06-06", NOW, None), "2026-06-06");
        // Today is Saturday 23 May 2026: "before" would give Friday the 22nd, in the past, so
        // the date rolls forward instead, over Whit Monday the 25th.
        let saturday = "2026-05-23 10:00";
        assert_eq!(bs_date("2026-05-10", saturday, Before), "2026-05-26");
        assert_eq!(bs_date("2026-05-10", saturday, After), "2026-05-26");
        assert_eq!(bs_date("2026-05-10", saturday, None), "2026-05-23");
    }

    fn earliest_bs(due: &str, now: &str, extended: bool) -> String {
        let run = Run::new()
            .bs_basis("BS")
            .format_with(|f| f.extended_deadline = extended);
        date_for(run, due, "100.00", now, true, BankingDayAction::After)
    }

    #[test]
    fn earliest_bs_is_the_first_banking_day_of_the_first_month_still_open() {
        // June's deadline is 2026-05-21 17:30 (6th-last banking day of May).
        assert_eq!(earliest_bs("2026-05-01", NOW, false), "2026-06-01");
        assert_eq!(
            earliest_bs("2026-05-01", "2026-05-21 17:30", false),
            "2026-06-01"
        );
        assert_eq!(
            earliest_bs("2026-05-01", "2026-05-21 17:31", false),
            "2026-07-01"
        );
        // With the extension June stays open until the 3rd-last banking day, 27 May.
        assert_eq!(
            earliest_bs("2026-05-01", "2026-05-27 17:29", true),
            "2026-06-01"
        );
        assert_eq!(
            earliest_bs("2026-05-01", "2026-05-27 17:31", true),
            "2026-07-01"
        );
        // A date in a month that is still open keeps its baseline: never before the due date.
        assert_eq!(earliest_bs("2026-06-10", NOW, false), "2026-06-10");
        assert_eq!(
            earliest_bs("2026-07-15", "2026-05-21 18:00", false),
            "2026-07-15"
        );
        // Without --earliest the baseline stands even though it misses the deadline.
        assert_eq!(
            bs_date("2026-05-01", NOW, BankingDayAction::After),
            "2026-05-20"
        );
    }

    fn earliest_ls(amt: &str, now: &str) -> String {
        date_for(
            Run::new().ls("LS"),
            "2026-05-01",
            amt,
            now,
            true,
            BankingDayAction::After,
        )
    }

    #[test]
    fn earliest_ls_is_the_first_banking_day_whose_cutoff_is_ahead() {
        // Wednesday 20 May, 10:00: tomorrow's D-1 cut-off is today 15:00.
        assert_eq!(earliest_ls("100.00", NOW), "2026-05-21");
        assert_eq!(earliest_ls("100.00", "2026-05-20 15:00"), "2026-05-21");
        assert_eq!(earliest_ls("100.00", "2026-05-20 15:01"), "2026-05-22");
        // A payout needs two banking days.
        assert_eq!(earliest_ls("-100.00", NOW), "2026-05-22");
        // Friday 22 May after the cut-off: Monday 25th is Whit Monday, so Tuesday's D-1 is
        // Friday (passed) and Wednesday's is Tuesday.
        assert_eq!(earliest_ls("100.00", "2026-05-22 15:01"), "2026-05-27");
    }

    #[test]
    fn suggesting_twice_creates_nothing() {
        let mut data = Run::new()
            .bs_basis("BS")
            .enrolled("100100")
            .entry("E1", "100100", "2026-06-10", "100.00")
            .entry("E2", "100100", "2026-06-10", "-40.00")
            .ls("LS")
            .enrolled("200200")
            .entry("E3", "200200", "2026-05-01", "70.00")
            .entry_with("E4", "200200", "2026-06-01", "70.00", |e| {
                e.remaining = Amount::ZERO
            })
            .line("E4", "2026-06-01")
            .build();
        let first = suggest(&data, cal(), time(NOW), false);
        let entries: Vec<&str> = first
            .new_lines
            .iter()
            .map(|l| l.entry_id.as_str())
            .collect();
        assert_eq!(entries, ["E1", "E2", "E3"]);
        assert_eq!(first.remove, [1]);
        apply_suggestion(&mut data, &first);
        let second = suggest(&data, cal(), time(NOW), false);
        assert!(second.is_empty(), "{second:?}");
        let with_earliest = suggest(&data, cal(), time(NOW), true);
        assert!(with_earliest.is_empty(), "{with_earliest:?}");
    }

    #[test]
    fn which_lines_block_a_new_suggestion() {
        let expected_blocking = [
            (Status::Blank, true),
            (Status::Sent, true),
            (Status::ToBeTreated, true),
            (Status::Unsubscribed, false),
            (Status::Rejected, false),
            (Status::Reversed, false),
            (Status::Error, true),
            (Status::Received, true),
            (Status::Difference, true),
            (Status::Transmitting, true),
            (Status::Waiting, true),
            (Status::Information, true),
            (Status::Stop, true),
        ];
        for (status, blocks) in expected_blocking {
            let data = Run::new()
                .bs_basis("BS")
                .enrolled("100100")
                .charge("E1", "100100", "2026-06-10", "100.00")
                .line_with(|l| l.status = status)
                .build();
            assert_eq!(blocks_new_suggestion(&data.lines[0]), blocks, "{status:?}");
            let plan = suggest(&data, cal(), time(NOW), false);
            assert_eq!(plan.new_lines.is_empty(), blocks, "{status:?}");
        }
    }

    #[test]
    fn settled_never_sent_lines_are_removed() {
        let data = Run::new()
            .bs_basis("BS")
            .enrolled("100100")
            // Settled, blank: removed.
            .entry_with("E1", "100100", "2026-06-10", "100.00", |e| {
                e.remaining = Amount::ZERO
            })
            .line("E1", "2026-06-10")
            // Settled, sent: kept (it is history).
            .entry_with("E2", "100100", "2026-06-10", "100.00", |e| {
                e.remaining = Amount::ZERO
            })
            .line("E2", "2026-06-10")
            .sent(Status::Sent, "2026-05-10")
            // Entry gone, waiting: removed.
            .line("E3", "2026-06-10")
            .line_with(|l| {
                l.status = Status::Waiting;
                l.debtor = "100100".into();
            })
            // Settled, transmitting after having been sent once: kept.
            .entry_with("E4", "100100", "2026-06-10", "100.00", |e| {
                e.remaining = Amount::ZERO
            })
            .line("E4", "2026-06-10")
            .sent(Status::Transmitting, "2026-05-10")
            // Open, blank: kept.
            .charge("E5", "100100", "2026-06-10", "100.00")
            .build();
        let plan = suggest(&data, cal(), time(NOW), false);
        assert_eq!(plan.remove, [1, 3]);
        assert!(plan.new_lines.is_empty());
    }

    #[test]
    fn only_open_entries_of_debtors_with_an_existing_format() {
        let data = Run::new()
            .bs_basis("BS")
            .enrolled("100100")
            .debtor_with("100101", |d| d.payment_format = None)
            .debtor_with("100102", |d| d.payment_format = Some("GONE".into()))
            .entry("E1", "100100", "2026-06-10", "100.00")
            .entry("E2", "100101", "2026-06-10", "100.00")
            .entry("E3", "100102", "2026-06-10", "100.00")
            .entry("E4", "100999", "2026-06-10", "100.00")
            .entry_with("E5", "100100", "2026-06-10", "100.00", |e| {
                e.remaining = Amount::ZERO
            })
            // Principle standard charges the amount, but an entry is open by its remaining.
            .entry_with("E6", "100100", "2026-06-10", "100.00", |e| {
                e.remaining = amount("0.01")
            })
            .build();
        let plan = suggest(&data, cal(), time(NOW), false);
        let entries: Vec<&str> = plan.new_lines.iter().map(|l| l.entry_id.as_str()).collect();
        assert_eq!(entries, ["E1", "E6"]);
        assert_eq!(
            plan.new_lines[0],
            NewLine {
                entry_id: "E1".into(),
                debtor: "100100".into(),
                format_id: "BS".into(),
                payment_date: date("2026-06-10"),
            }
        );
    }

    #[test]
    fn dates_outside_the_calendar_stay_unmoved() {
        let run = Run::new().bs_basis("BS");
        assert_eq!(
            date_for(
                run,
                "2200-01-04",
                "1.00",
                NOW,
                false,
                BankingDayAction::After
            ),
            "2200-01-04"
        );
    }
}
