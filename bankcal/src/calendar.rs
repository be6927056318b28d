//! The banking calendar: which days are banking days, and counting in banking days.

use std::borrow::Cow;

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime};

use crate::rule::{closing_days_by_rule, NamedDay, DANISH_RULES};
use crate::{CalendarError, FIRST_YEAR, LAST_YEAR};

/// A closing day (banklukkedag): a day the banks are closed although it may be a weekday.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClosingDay {
    /// The date.
    pub date: NaiveDate,
    /// The English name, e.g. "Whit Monday".
    pub name: String,
    /// The Danish name, e.g. "2. pinsedag". For a user's own closing day it is the given name.
    pub name_da: String,
}

/// The number of supported years.
const YEAR_COUNT: usize = (LAST_YEAR - FIRST_YEAR + 1) as usize;

/// One bit per day of a year (366 days fit in 6 × 64 bits), set when the day is not a banking
/// day. Bit `n` is the day with `ordinal0() == n`.
type YearBits = [u64; 6];

/// The Danish banking calendar for 1900 to 2199.
///
/// Everything is computed once, at construction: a bitset per year of the days that are not
/// banking days (weekends and closing days), so that [`Calendar::is_banking_day`] is two array
/// look-ups, and the sorted list of closing days with their names for listing. Building one takes
/// about half a millisecond in a release build; build one and pass it around (it is `Clone`).
///
/// Every method answers only for dates in 1900-01-01 to 2199-12-31 and returns an error outside
/// that range, also when counting would step over its edge; none of them panics.
#[derive(Debug, Clone)]
pub struct Calendar {
    /// `non_banking[year - FIRST_YEAR]` holds the year's non-banking days.
    non_banking: Vec<YearBits>,
    /// Every closing day of every supported year, weekends included, sorted by date, at most one
    /// entry per date.
    closing: Vec<NamedDay>,
}

impl Default for Calendar {
    fn default() -> Self {
        Calendar::danish()
    }
}

impl Calendar {
    /// The calendar of the statutory Danish rule (see the crate documentation), without any
    /// extra closing days.
    pub fn danish() -> Calendar {
        let mut non_banking = Vec::with_capacity(YEAR_COUNT);
        let mut closing = Vec::with_capacity(YEAR_COUNT * DANISH_RULES.len());
        for year in FIRST_YEAR..=LAST_YEAR {
            let mut bits = weekend_bits(year);
            let days = closing_days_by_rule(DANISH_RULES, year);
            for day in &days {
                set_bit(&mut bits, day.date);
            }
            non_banking.push(bits);
            closing.extend(days);
        }
        Calendar {
            non_banking,
            closing,
        }
    }

    /// This calendar with `days` added as closing days, e.g. a bank's own closing day or a change
    /// of law read with [`crate::parse_closing_days_csv`].
    ///
    /// A day on a date that already is a closing day adds nothing: the existing entry and its
    /// names are kept (the rule's names win over a user's, and the first of two user days on the
    /// same date wins). A day outside the supported range is an error and nothing is added.
    pub fn with_extra_closing_days(
        mut self,
        days: &[ClosingDay],
    ) -> Result<Calendar, CalendarError> {
        if let Some(day) = days.iter().find(|day| !in_range(day.date)) {
            return Err(CalendarError::DateOutOfRange { date: day.date });
        }
        for day in days {
            if let Err(position) = self.closing.binary_search_by_key(&day.date, |c| c.date) {
                self.closing.insert(
                    position,
                    NamedDay {
                        date: day.date,
                        name: Cow::Owned(day.name.clone()),
                        name_da: Cow::Owned(day.name_da.clone()),
                    },
                );
                let year_bits = &mut self.non_banking[year_index(day.date)];
                set_bit(year_bits, day.date);
            }
        }
        Ok(self)
    }

    /// Whether `date` is a banking day: a Monday to Friday that is not a closing day.
    pub fn is_banking_day(&self, date: NaiveDate) -> Result<bool, CalendarError> {
        self.banking_in_range(date)
            .ok_or(CalendarError::DateOutOfRange { date })
    }

    /// The closing day on `date`, if there is one. A plain Saturday or Sunday is not a closing
    /// day (`None`), but a holiday that falls on one is (Easter Sunday, or 25 December 2027).
    pub fn closing_day(&self, date: NaiveDate) -> Result<Option<ClosingDay>, CalendarError> {
        check_date(date)?;
        Ok(self
            .closing
            .binary_search_by_key(&date, |c| c.date)
            .ok()
            .map(|index| public_closing_day(&self.closing[index])))
    }

    /// Every closing day of `year`, weekends included, sorted by date, with the extra closing
    /// days merged in. Rules that fall on the same date are one entry with joined names
    /// ("Whit Monday / Constitution Day").
    pub fn closing_days(&self, year: i32) -> Result<Vec<ClosingDay>, CalendarError> {
        check_year(year)?;
        let start = self.closing.partition_point(|c| c.date.year() < year);
        let end = self.closing.partition_point(|c| c.date.year() <= year);
        Ok(self.closing[start..end]
            .iter()
            .map(public_closing_day)
            .collect())
    }

    /// The first banking day on or after `date` (rolling forward).
    pub fn next_banking_day(&self, date: NaiveDate) -> Result<NaiveDate, CalendarError> {
        check_date(date)?;
        let mut day = date;
        loop {
            match self.banking_in_range(day) {
                Some(true) => return Ok(day),
                Some(false) => day = step(day, 1, date)?,
                None => return Err(CalendarError::CountLeavesRange { from: date }),
            }
        }
    }

    /// The last banking day on or before `date` (rolling back).
    pub fn previous_banking_day(&self, date: NaiveDate) -> Result<NaiveDate, CalendarError> {
        check_date(date)?;
        let mut day = date;
        loop {
            match self.banking_in_range(day) {
                Some(true) => return Ok(day),
                Some(false) => day = step(day, -1, date)?,
                None => return Err(CalendarError::CountLeavesRange { from: date }),
            }
        }
    }

    /// Counts `n` banking days from `date`: for `n > 0` the `n`-th banking day strictly after
    /// `date`, for `n < 0` the `|n|`-th banking day strictly before it, for `n == 0` `date`
    /// itself. `date` need not be a banking day: one banking day before a Saturday is the Friday
    /// (if that is a banking day).
    pub fn add_banking_days(&self, date: NaiveDate, n: i32) -> Result<NaiveDate, CalendarError> {
        check_date(date)?;
        let direction = n.signum();
        let mut remaining = n.unsigned_abs();
        let mut day = date;
        while remaining > 0 {
            day = step(day, direction, date)?;
            match self.banking_in_range(day) {
                Some(true) => remaining -= 1,
                Some(false) => {}
                None => return Err(CalendarError::CountLeavesRange { from: date }),
            }
        }
        Ok(day)
    }

    /// The banking days of a month, in order. `month` is 1 to 12.
    pub fn banking_days_in_month(
        &self,
        year: i32,
        month: u32,
    ) -> Result<Vec<NaiveDate>, CalendarError> {
        let first = first_of_month(year, month)?;
        Ok(first
            .iter_days()
            .take_while(|day| day.month() == month)
            .filter(|&day| self.banking_in_range(day) == Some(true))
            .collect())
    }

    /// The `n`-th last banking day of a month: `n == 1` is the last banking day. `n == 0` or an
    /// `n` larger than the month's number of banking days is an error.
    pub fn nth_last_banking_day(
        &self,
        year: i32,
        month: u32,
        n: u32,
    ) -> Result<NaiveDate, CalendarError> {
        // Walks back from the month's last day: validation asks this for every payment line,
        // and a list of the month's banking days per call was 4 % of `collect`.
        let first = first_of_month(year, month)?;
        let mut day = first
            .checked_add_months(chrono::Months::new(1))
            .and_then(|next| next.pred_opt())
            .unwrap_or(first);
        let mut found = 0;
        while n > 0 && day >= first {
            if self.banking_in_range(day) == Some(true) {
                found += 1;
                if found == n {
                    return Ok(day);
                }
            }
            match day.pred_opt() {
                Some(previous) => day = previous,
                None => break,
            }
        }
        Err(CalendarError::NoNthLastBankingDay {
            year,
            month,
            n,
            count: self.banking_days_in_month(year, month)?.len(),
        })
    }

    /// The Betalingsservice submission deadline for a payment date: `cutoff` on the 6th-last
    /// banking day (with the paid extension, `extended`, the 3rd-last) of the month before the
    /// payment date's month.
    ///
    /// The cut-off is taken as given; the format configuration is what keeps it no later than
    /// [`crate::BS_MASTERCARD_CUTOFF`].
    pub fn bs_deadline(
        &self,
        payment_date: NaiveDate,
        extended: bool,
        cutoff: NaiveTime,
    ) -> Result<NaiveDateTime, CalendarError> {
        check_date(payment_date)?;
        let (year, month) = match payment_date.month() {
            1 => (payment_date.year() - 1, 12),
            month => (payment_date.year(), month - 1),
        };
        if year < FIRST_YEAR {
            return Err(CalendarError::BsDeadlineOutOfRange { payment_date });
        }
        let n = if extended { 3 } else { 6 };
        let day = self.nth_last_banking_day(year, month, n)?;
        Ok(day.and_time(cutoff))
    }

    /// The Leverandørservice deadline for a payment date: `cutoff` on the banking day 1 banking
    /// day before the payment date for a collection, 2 for a payout (`payout`).
    ///
    /// The cut-off is taken as given; the format configuration is what keeps it no later than
    /// [`crate::LS_MASTERCARD_CUTOFF`].
    pub fn ls_deadline(
        &self,
        payment_date: NaiveDate,
        payout: bool,
        cutoff: NaiveTime,
    ) -> Result<NaiveDateTime, CalendarError> {
        let n = if payout { 2 } else { 1 };
        let day = self.add_banking_days(payment_date, -n)?;
        Ok(day.and_time(cutoff))
    }

    /// Whether `date` is a banking day, or `None` when it is outside the supported range. The
    /// hot path: a range check and a bit test.
    fn banking_in_range(&self, date: NaiveDate) -> Option<bool> {
        if !in_range(date) {
            return None;
        }
        let bits = &self.non_banking[year_index(date)];
        let ordinal0 = date.ordinal0() as usize;
        Some(bits[ordinal0 / 64] & (1 << (ordinal0 % 64)) == 0)
    }
}

fn in_range(date: NaiveDate) -> bool {
    (FIRST_YEAR..=LAST_YEAR).contains(&date.year())
}

fn check_date(date: NaiveDate) -> Result<(), CalendarError> {
    if in_range(date) {
        Ok(())
    } else {
        Err(CalendarError::DateOutOfRange { date })
    }
}

fn check_year(year: i32) -> Result<(), CalendarError> {
    if (FIRST_YEAR..=LAST_YEAR).contains(&year) {
        Ok(())
    } else {
        Err(CalendarError::YearOutOfRange { year })
    }
}

/// The first day of a month, checking the month before the year so that a bad month is named
/// even in a bad year.
fn first_of_month(year: i32, month: u32) -> Result<NaiveDate, CalendarError> {
    if !(1..=12).contains(&month) {
        return Err(CalendarError::MonthOutOfRange { month });
    }
    check_year(year)?;
    Ok(NaiveDate::from_ymd_opt(year, month, 1).expect("year and month are checked"))
}

/// The index into `Calendar::non_banking` of a date in range.
fn year_index(date: NaiveDate) -> usize {
    (date.year() - FIRST_YEAR) as usize
}

/// One day forwards (`direction == 1`) or backwards (`-1`) from `day`; counting started at
/// `from`, which the error names. chrono's own limits are far outside the supported range, so
/// the error is only there to keep this total.
fn step(day: NaiveDate, direction: i32, from: NaiveDate) -> Result<NaiveDate, CalendarError> {
    let next = if direction > 0 {
        day.succ_opt()
    } else {
        day.pred_opt()
    };
    next.ok_or(CalendarError::CountLeavesRange { from })
}

fn set_bit(bits: &mut YearBits, date: NaiveDate) {
    set_ordinal0_bit(bits, date.ordinal0());
}

fn set_ordinal0_bit(bits: &mut YearBits, ordinal0: u32) {
    let ordinal0 = ordinal0 as usize;
    bits[ordinal0 / 64] |= 1 << (ordinal0 % 64);
}

/// The Saturdays and Sundays of `year` (a year in the supported range) as a bitset. Computed
/// from the weekday of 1 January rather than date by date, which makes up most of the time it
/// takes to build a calendar.
fn weekend_bits(year: i32) -> YearBits {
    let mut bits = [0; 6];
    let first = NaiveDate::from_ymd_opt(year, 1, 1).expect("1 January exists in every year");
    let last = NaiveDate::from_ymd_opt(year, 12, 31).expect("31 December exists in every year");
    let first_weekday = first.weekday().num_days_from_monday();
    for ordinal0 in 0..last.ordinal() {
        // 5 and 6 days after a Monday are Saturday and Sunday.
        if (first_weekday + ordinal0) % 7 >= 5 {
            set_ordinal0_bit(&mut bits, ordinal0);
        }
    }
    bits
}

fn public_closing_day(day: &NamedDay) -> ClosingDay {
    ClosingDay {
        date: day.date,
        name: day.name.clone().into_owned(),
        name_da: day.name_da.clone().into_owned(),
    }
}
