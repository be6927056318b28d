//! Tests of the calendar as a whole: the published closing-day lists, the cases that catch
//! calendars out, the acceptance examples, a day-by-day comparison with an independent
//! formulation of the rule, properties of the counting functions, and the edges of the range.

use std::sync::OnceLock;
use std::time::Instant;

use chrono::{Datelike, Days, NaiveDate, NaiveTime, Weekday};
use proptest::prelude::*;

use crate::{
    parse_closing_days_csv, Calendar, CalendarError, ClosingDay, BS_DEFAULT_CUTOFF, FIRST_YEAR,
    LAST_YEAR, LS_DEFAULT_CUTOFF,
};

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn first_date() -> NaiveDate {
    date(FIRST_YEAR, 1, 1)
}

fn last_date() -> NaiveDate {
    date(LAST_YEAR, 12, 31)
}

fn is_weekend(day: NaiveDate) -> bool {
    matches!(day.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The weekdays of `year` that are not banking days.
fn closed_weekdays(calendar: &Calendar, year: i32) -> Vec<NaiveDate> {
    date(year, 1, 1)
        .iter_days()
        .take_while(|day| day.year() == year)
        .filter(|&day| !is_weekend(day) && !calendar.is_banking_day(day).unwrap())
        .collect()
}

fn closing_dates(calendar: &Calendar, year: i32) -> Vec<NaiveDate> {
    calendar
        .closing_days(year)
        .unwrap()
        .into_iter()
        .map(|day| day.date)
        .collect()
}

fn at(day: NaiveDate, time: NaiveTime) -> chrono::NaiveDateTime {
    day.and_time(time)
}

// --- Danmarks Nationalbank's published closing days ---

#[test]
fn nationalbanken_2026_list_is_exactly_the_closed_weekdays() {
    let calendar = Calendar::danish();
    let published = [
        (1, 1),
        (4, 2),
        (4, 3),
        (4, 6),
        (5, 14),
        (5, 15),
        (5, 25),
        (6, 5),
        (12, 24),
        (12, 25),
        (12, 26),
        (12, 31),
    ]
    .map(|(m, d)| date(2026, m, d));
    let listed = closing_dates(&calendar, 2026);
    for day in published {
        assert!(
            listed.contains(&day),
            "{day} missing from closing_days(2026)"
        );
    }
    // 26 Dec 2026 is a Saturday: published, but not a closed weekday.
    let weekdays: Vec<_> = published.into_iter().filter(|&d| !is_weekend(d)).collect();
    assert_eq!(closed_weekdays(&calendar, 2026), weekdays);
}

#[test]
fn nationalbanken_2027_list_is_exactly_the_closed_weekdays() {
    let calendar = Calendar::danish();
    let published = [
        (1, 1),
        (3, 25),
        (3, 26),
        (3, 29),
        (5, 6),
        (5, 7),
        (5, 17),
        (6, 5),
        (12, 24),
        (12, 31),
    ]
    .map(|(m, d)| date(2027, m, d));
    let listed = closing_dates(&calendar, 2027);
    for day in published {
        assert!(
            listed.contains(&day),
            "{day} missing from closing_days(2027)"
        );
    }
    // Christmas Day and Boxing Day 2027 fall on a weekend but are still listed.
    assert!(listed.contains(&date(2027, 12, 25)) && listed.contains(&date(2027, 12, 26)));
    assert!(is_weekend(date(2027, 6, 5)));
    let weekdays: Vec<_> = published.into_iter().filter(|&d| !is_weekend(d)).collect();
    assert_eq!(closed_weekdays(&calendar, 2027), weekdays);
}

// --- The cases of bankcal.md that catch calendars out ---

#[test]
fn great_prayer_day_closes_5_may_2023_but_not_26_april_2024() {
    let calendar = Calendar::danish();
    assert_eq!(calendar.is_banking_day(date(2023, 5, 5)), Ok(false));
    assert_eq!(
        calendar
            .closing_day(date(2023, 5, 5))
            .unwrap()
            .unwrap()
            .name,
        "Great Prayer Day"
    );
    assert_eq!(calendar.is_banking_day(date(2024, 4, 26)), Ok(true));
    assert_eq!(calendar.closing_day(date(2024, 4, 26)), Ok(None));
}

#[test]
fn april_2024_sixth_last_banking_day_is_the_23rd_not_the_22nd() {
    let calendar = Calendar::danish();
    assert_eq!(
        calendar.nth_last_banking_day(2024, 4, 6),
        Ok(date(2024, 4, 23))
    );
}

#[test]
fn first_of_may_2026_is_a_banking_day() {
    let calendar = Calendar::danish();
    assert_eq!(date(2026, 5, 1).weekday(), Weekday::Fri);
    assert_eq!(calendar.is_banking_day(date(2026, 5, 1)), Ok(true));
    assert_eq!(calendar.closing_day(date(2026, 5, 1)), Ok(None));
}

#[test]
fn whit_monday_2028_and_constitution_day_are_one_entry_with_joined_names() {
    let calendar = Calendar::danish();
    let on_5_june: Vec<ClosingDay> = calendar
        .closing_days(2028)
        .unwrap()
        .into_iter()
        .filter(|day| day.date == date(2028, 6, 5))
        .collect();
    let expected = ClosingDay {
        date: date(2028, 6, 5),
        name: "Whit Monday / Constitution Day".to_owned(),
        name_da: "2. pinsedag / grundlovsdag".to_owned(),
    };
    assert_eq!(on_5_june, std::slice::from_ref(&expected));
    assert_eq!(calendar.closing_day(date(2028, 6, 5)), Ok(Some(expected)));
}

#[test]
fn may_2030_friday_after_ascension_is_the_31st_so_the_last_banking_day_is_the_29th() {
    let calendar = Calendar::danish();
    assert_eq!(
        calendar
            .closing_day(date(2030, 5, 31))
            .unwrap()
            .unwrap()
            .name,
        "Friday after Ascension"
    );
    assert_eq!(
        calendar.nth_last_banking_day(2030, 5, 1),
        Ok(date(2030, 5, 29))
    );
}

#[test]
fn december_24th_and_31st_close_the_banks() {
    let calendar = Calendar::danish();
    // 2026: 24 Dec is a Thursday, 25 a Friday, 31 a Thursday.
    let december = calendar.banking_days_in_month(2026, 12).unwrap();
    let late: Vec<_> = december.iter().filter(|d| d.day() >= 21).copied().collect();
    let expected = [21, 22, 23, 28, 29, 30].map(|d| date(2026, 12, d));
    assert_eq!(late, expected);
    assert_eq!(
        calendar.nth_last_banking_day(2026, 12, 1),
        Ok(date(2026, 12, 30))
    );
    // 2025: 24 and 31 Dec are Wednesdays.
    assert_eq!(calendar.is_banking_day(date(2025, 12, 24)), Ok(false));
    assert_eq!(calendar.is_banking_day(date(2025, 12, 31)), Ok(false));
    assert_eq!(
        calendar.nth_last_banking_day(2025, 12, 1),
        Ok(date(2025, 12, 30))
    );
}

#[test]
fn friday_after_ascension_is_open_in_2008_and_closed_in_2009() {
    let calendar = Calendar::danish();
    // Ascension Day 2008 was Thursday 1 May; 2009 Thursday 21 May.
    assert_eq!(calendar.is_banking_day(date(2008, 5, 1)), Ok(false));
    assert_eq!(calendar.is_banking_day(date(2008, 5, 2)), Ok(true));
    assert_eq!(calendar.is_banking_day(date(2009, 5, 21)), Ok(false));
    assert_eq!(calendar.is_banking_day(date(2009, 5, 22)), Ok(false));
}

// --- The acceptance examples ---

#[test]
fn may_2026_last_third_last_and_sixth_last_banking_days() {
    let calendar = Calendar::danish();
    assert_eq!(
        calendar.nth_last_banking_day(2026, 5, 1),
        Ok(date(2026, 5, 29))
    );
    assert_eq!(
        calendar.nth_last_banking_day(2026, 5, 3),
        Ok(date(2026, 5, 27))
    );
    assert_eq!(
        calendar.nth_last_banking_day(2026, 5, 6),
        Ok(date(2026, 5, 21))
    );
}

#[test]
fn bs_deadline_for_1_june_2026_is_21_may_and_27_may_extended() {
    let calendar = Calendar::danish();
    let payment = date(2026, 6, 1);
    assert_eq!(
        calendar.bs_deadline(payment, false, BS_DEFAULT_CUTOFF),
        Ok(at(date(2026, 5, 21), BS_DEFAULT_CUTOFF))
    );
    assert_eq!(
        calendar.bs_deadline(payment, true, BS_DEFAULT_CUTOFF),
        Ok(at(date(2026, 5, 27), BS_DEFAULT_CUTOFF))
    );
    // Any payment date in June has the same deadline.
    assert_eq!(
        calendar.bs_deadline(date(2026, 6, 30), false, BS_DEFAULT_CUTOFF),
        Ok(at(date(2026, 5, 21), BS_DEFAULT_CUTOFF))
    );
    assert_eq!(
        BS_DEFAULT_CUTOFF,
        NaiveTime::from_hms_opt(17, 30, 0).unwrap()
    );
}

#[test]
fn bs_deadline_for_january_counts_in_december_of_the_year_before() {
    let calendar = Calendar::danish();
    // December 2025's banking days end 19, 22, 23, 29, 30: the 6th-last is the 18th.
    assert_eq!(
        calendar.bs_deadline(date(2026, 1, 2), false, BS_DEFAULT_CUTOFF),
        Ok(at(date(2025, 12, 18), BS_DEFAULT_CUTOFF))
    );
}

#[test]
fn ls_deadline_for_1_june_2026_is_29_may_and_28_may_for_a_payout() {
    let calendar = Calendar::danish();
    let payment = date(2026, 6, 1);
    assert_eq!(
        calendar.ls_deadline(payment, false, LS_DEFAULT_CUTOFF),
        Ok(at(date(2026, 5, 29), LS_DEFAULT_CUTOFF))
    );
    assert_eq!(
        calendar.ls_deadline(payment, true, LS_DEFAULT_CUTOFF),
        Ok(at(date(2026, 5, 28), LS_DEFAULT_CUTOFF))
    );
    assert_eq!(
        LS_DEFAULT_CUTOFF,
        NaiveTime::from_hms_opt(15, 0, 0).unwrap()
    );
}

// --- Rolling and counting ---

#[test]
fn rolling_over_easter_2026() {
    let calendar = Calendar::danish();
    // Maundy Thursday 2 April to Easter Monday 6 April are closed.
    assert_eq!(
        calendar.next_banking_day(date(2026, 4, 2)),
        Ok(date(2026, 4, 7))
    );
    assert_eq!(
        calendar.previous_banking_day(date(2026, 4, 6)),
        Ok(date(2026, 4, 1))
    );
    assert_eq!(
        calendar.next_banking_day(date(2026, 4, 1)),
        Ok(date(2026, 4, 1))
    );
    assert_eq!(
        calendar.add_banking_days(date(2026, 4, 1), 1),
        Ok(date(2026, 4, 7))
    );
    assert_eq!(
        calendar.add_banking_days(date(2026, 4, 7), -1),
        Ok(date(2026, 4, 1))
    );
    assert_eq!(
        calendar.add_banking_days(date(2026, 4, 4), 0),
        Ok(date(2026, 4, 4))
    );
    // From a closed day, counting still starts strictly after / before it.
    assert_eq!(
        calendar.add_banking_days(date(2026, 4, 4), 1),
        Ok(date(2026, 4, 7))
    );
    assert_eq!(
        calendar.add_banking_days(date(2026, 4, 4), -2),
        Ok(date(2026, 3, 31))
    );
}

#[test]
fn closing_day_is_none_on_a_plain_weekend_and_some_on_a_holiday_sunday() {
    let calendar = Calendar::danish();
    assert_eq!(calendar.closing_day(date(2026, 4, 4)), Ok(None));
    let easter = calendar.closing_day(date(2026, 4, 5)).unwrap().unwrap();
    assert_eq!(
        (easter.name.as_str(), easter.name_da.as_str()),
        ("Easter Sunday", "påskedag")
    );
    let whit_sunday = calendar.closing_day(date(2026, 5, 24)).unwrap().unwrap();
    assert_eq!(whit_sunday.name_da, "pinsedag");
}

#[test]
fn default_is_the_danish_rule() {
    let default = Calendar::default();
    let danish = Calendar::danish();
    for year in [1900, 2000, 2026, 2199] {
        assert_eq!(default.closing_days(year), danish.closing_days(year));
    }
}

// --- Extra closing days ---

#[test]
fn extra_days_from_a_csv_with_bom_are_merged() {
    let text = "\u{feff}date,name\n\
                2026-12-28,Bank closed for moving\n\
                2026-12-24,Our Christmas\n\
                2026-12-19,Saturday party\n";
    let days = parse_closing_days_csv("closing.csv", text).unwrap();
    let calendar = Calendar::danish().with_extra_closing_days(&days).unwrap();

    // A weekday becomes a non-banking day and is listed with its name.
    assert_eq!(calendar.is_banking_day(date(2026, 12, 28)), Ok(false));
    let extra = ClosingDay {
        date: date(2026, 12, 28),
        name: "Bank closed for moving".to_owned(),
        name_da: "Bank closed for moving".to_owned(),
    };
    assert_eq!(
        calendar.closing_day(date(2026, 12, 28)),
        Ok(Some(extra.clone()))
    );
    let listed = calendar.closing_days(2026).unwrap();
    assert!(listed.contains(&extra));

    // A user day on a rule day keeps one entry, with the rule's names.
    let christmas_eve: Vec<_> = listed
        .iter()
        .filter(|d| d.date == date(2026, 12, 24))
        .collect();
    assert_eq!(christmas_eve.len(), 1);
    assert_eq!(christmas_eve[0].name, "Christmas Eve");
    assert_eq!(christmas_eve[0].name_da, "juleaftensdag");

    // A user day on a weekend is listed like the holidays on weekends are.
    assert!(listed.iter().any(|d| d.date == date(2026, 12, 19)));

    // The listing stays sorted and one entry per date; the counting sees the new day.
    assert!(listed.windows(2).all(|w| w[0].date < w[1].date));
    assert_eq!(
        listed.len(),
        Calendar::danish().closing_days(2026).unwrap().len() + 2
    );
    assert_eq!(
        calendar.nth_last_banking_day(2026, 12, 1),
        Ok(date(2026, 12, 30))
    );
    assert_eq!(
        calendar.nth_last_banking_day(2026, 12, 4),
        Ok(date(2026, 12, 22))
    );
    // Other calendars are not affected.
    assert_eq!(
        Calendar::danish().is_banking_day(date(2026, 12, 28)),
        Ok(true)
    );
}

#[test]
fn extra_day_outside_the_range_is_an_error() {
    let day = ClosingDay {
        date: date(2200, 1, 2),
        name: "x".to_owned(),
        name_da: "x".to_owned(),
    };
    let err = Calendar::danish()
        .with_extra_closing_days(&[day])
        .unwrap_err();
    assert_eq!(
        err,
        CalendarError::DateOutOfRange {
            date: date(2200, 1, 2)
        }
    );
}

// --- The edges of the supported range ---

#[test]
fn dates_outside_the_range_are_errors_with_a_clear_message() {
    let calendar = Calendar::danish();
    for day in [date(2200, 1, 1), date(1899, 12, 31)] {
        assert_eq!(
            calendar.is_banking_day(day),
            Err(CalendarError::DateOutOfRange { date: day })
        );
        assert_eq!(
            calendar.closing_day(day),
            Err(CalendarError::DateOutOfRange { date: day })
        );
        assert!(calendar.next_banking_day(day).is_err());
        assert!(calendar.previous_banking_day(day).is_err());
        assert!(calendar.add_banking_days(day, 0).is_err());
        assert!(calendar.bs_deadline(day, false, BS_DEFAULT_CUTOFF).is_err());
        assert!(calendar.ls_deadline(day, false, LS_DEFAULT_CUTOFF).is_err());
    }
    assert_eq!(
        calendar
            .is_banking_day(date(2200, 1, 1))
            .unwrap_err()
            .to_string(),
        "date 2200-01-01 is outside the supported range 1900-01-01 to 2199-12-31"
    );
    assert_eq!(
        calendar
            .is_banking_day(date(1899, 12, 31))
            .unwrap_err()
            .to_string(),
        "date 1899-12-31 is outside the supported range 1900-01-01 to 2199-12-31"
    );
    assert_eq!(
        calendar.closing_days(2200).unwrap_err().to_string(),
        "year 2200 is outside the supported range 1900 to 2199"
    );
    assert_eq!(
        calendar.banking_days_in_month(1899, 12),
        Err(CalendarError::YearOutOfRange { year: 1899 })
    );
}

#[test]
fn stepping_over_the_edge_of_the_range_is_an_error_not_a_panic() {
    let calendar = Calendar::danish();
    // 2199-12-31 is New Year's Eve (a Tuesday) and 1900-01-01 New Year's Day (a Monday), so
    // both need a step outside the range.
    assert_eq!(calendar.is_banking_day(last_date()), Ok(false));
    assert_eq!(calendar.is_banking_day(first_date()), Ok(false));
    let leaves = |from| Err(CalendarError::CountLeavesRange { from });
    assert_eq!(calendar.next_banking_day(last_date()), leaves(last_date()));
    assert_eq!(
        calendar.previous_banking_day(first_date()),
        leaves(first_date())
    );
    assert_eq!(
        calendar
            .next_banking_day(last_date())
            .unwrap_err()
            .to_string(),
        "counting banking days from 2199-12-31 leaves the supported range \
         1900-01-01 to 2199-12-31"
    );
    assert_eq!(
        calendar.add_banking_days(date(2199, 12, 30), 1),
        leaves(date(2199, 12, 30))
    );
    assert_eq!(
        calendar.add_banking_days(date(1900, 1, 2), -1),
        leaves(date(1900, 1, 2))
    );
    assert_eq!(
        calendar.add_banking_days(date(2026, 1, 1), i32::MAX),
        leaves(date(2026, 1, 1))
    );
    assert_eq!(
        calendar.add_banking_days(date(2026, 1, 1), i32::MIN),
        leaves(date(2026, 1, 1))
    );
    assert_eq!(
        calendar.ls_deadline(date(1900, 1, 2), false, LS_DEFAULT_CUTOFF),
        Err(CalendarError::CountLeavesRange {
            from: date(1900, 1, 2)
        })
    );
    // The last banking days of the range are still reachable.
    assert_eq!(
        calendar.previous_banking_day(last_date()),
        Ok(date(2199, 12, 30))
    );
    assert_eq!(
        calendar.nth_last_banking_day(2199, 12, 1),
        Ok(date(2199, 12, 30))
    );
    assert_eq!(
        calendar.next_banking_day(first_date()),
        Ok(date(1900, 1, 2))
    );
}

#[test]
fn bs_deadline_for_january_1900_is_an_error() {
    let calendar = Calendar::danish();
    let payment = date(1900, 1, 15);
    let err = calendar
        .bs_deadline(payment, false, BS_DEFAULT_CUTOFF)
        .unwrap_err();
    assert_eq!(
        err,
        CalendarError::BsDeadlineOutOfRange {
            payment_date: payment
        }
    );
    assert_eq!(
        err.to_string(),
        "the bs deadline for payment date 1900-01-15 falls in the month before it, \
         outside the supported range 1900-01-01 to 2199-12-31"
    );
    assert!(calendar
        .bs_deadline(date(1900, 2, 1), false, BS_DEFAULT_CUTOFF)
        .is_ok());
}

#[test]
fn bad_month_and_bad_position_are_errors_naming_them() {
    let calendar = Calendar::danish();
    for month in [0, 13] {
        assert_eq!(
            calendar.banking_days_in_month(2026, month),
            Err(CalendarError::MonthOutOfRange { month })
        );
    }
    assert_eq!(
        calendar
            .nth_last_banking_day(2026, 13, 1)
            .unwrap_err()
            .to_string(),
        "month 13 is not a month: expected 1 to 12"
    );
    assert_eq!(
        calendar
            .nth_last_banking_day(2026, 5, 0)
            .unwrap_err()
            .to_string(),
        "2026-05 has 18 banking days: there is no banking day number 0 from the end \
         (1 is the last)"
    );
    assert_eq!(
        calendar.nth_last_banking_day(2026, 5, 18),
        Ok(date(2026, 5, 1))
    );
    assert_eq!(
        calendar.nth_last_banking_day(2026, 5, 19),
        Err(CalendarError::NoNthLastBankingDay {
            year: 2026,
            month: 5,
            n: 19,
            count: 18
        })
    );
}

// --- An independent formulation of the rule, compared day by day ---

/// Easter Sunday by Gauss's algorithm with the Gregorian corrections and its two exceptions; a
/// different algorithm from the crate's (Meeus/Jones/Butcher), so a slip in either shows.
fn gauss_easter(year: i32) -> NaiveDate {
    let a = year % 19;
    let b = year % 4;
    let c = year % 7;
    let k = year / 100;
    let p = (13 + 8 * k) / 25;
    let q = k / 4;
    let m = (15 - p + k - q).rem_euclid(30);
    let n = (4 + k - q).rem_euclid(7);
    let d = (19 * a + m) % 30;
    let e = (2 * b + 4 * c + 6 * d + n) % 7;
    let mut days_after_22_march = d + e;
    let exception = (d == 29 && e == 6) || (d == 28 && e == 6 && (11 * m + 11) % 30 < 19);
    if exception {
        days_after_22_march -= 7;
    }
    date(year, 3, 22) + Days::new(days_after_22_march as u64)
}

/// Whether `day` is a banking day, written straight from the rule text of bankcal.md without
/// the crate's Easter, rule table or bitsets.
fn banking_day_by_rule_text(day: NaiveDate) -> bool {
    if is_weekend(day) {
        return false;
    }
    let fixed = [(1, 1), (6, 5), (12, 24), (12, 25), (12, 26), (12, 31)];
    if fixed.contains(&(day.month(), day.day())) {
        return false;
    }
    let year = day.year();
    let from_easter = day.signed_duration_since(gauss_easter(year)).num_days();
    let closed_every_year = [-3, -2, 1, 39, 50].contains(&from_easter);
    let great_prayer_day = year <= 2023 && from_easter == 26;
    let friday_after_ascension = year >= 2009 && from_easter == 40;
    !(closed_every_year || great_prayer_day || friday_after_ascension)
}

#[test]
fn gauss_easter_agrees_with_published_dates() {
    // The oracle itself must be right, or agreeing with it proves nothing.
    for (y, m, d) in [
        (1954, 4, 18),
        (1981, 4, 19),
        (2024, 3, 31),
        (2025, 4, 20),
        (2026, 4, 5),
        (2027, 3, 28),
        (2038, 4, 25),
        (2049, 4, 18),
    ] {
        assert_eq!(gauss_easter(y), date(y, m, d));
    }
}

#[test]
fn every_day_2000_to_2100_agrees_with_the_rule_text() {
    // The whole supported range is checked, which includes 2000-01-01 to 2100-12-31.
    let calendar = Calendar::danish();
    let mut disagreements = Vec::new();
    let mut checked = 0;
    for day in first_date()
        .iter_days()
        .take_while(|&day| day <= last_date())
    {
        let expected = banking_day_by_rule_text(day);
        if calendar.is_banking_day(day) != Ok(expected) {
            disagreements.push(day);
        }
        // Every closed weekday is a listed closing day, and no open day is.
        let listed = calendar.closing_day(day).unwrap().is_some();
        if !is_weekend(day) && listed == expected {
            disagreements.push(day);
        }
        checked += 1;
    }
    assert_eq!(checked, 109_573);
    assert!(disagreements.is_empty(), "disagreements: {disagreements:?}");
}

/// Not a timing assertion: it proves a million look-ups work over consecutive dates, and prints
/// the elapsed time (`cargo test -p bankcal --release million -- --nocapture`).
#[test]
fn a_million_is_banking_day_calls_over_consecutive_dates() {
    let calendar = Calendar::danish();
    let calls = 1_000_000;
    let mut day = first_date();
    let mut banking_days = 0_u64;
    let started = Instant::now();
    for _ in 0..calls {
        if calendar.is_banking_day(day).unwrap() {
            banking_days += 1;
        }
        day = if day == last_date() {
            first_date()
        } else {
            day.succ_opt().unwrap()
        };
    }
    let elapsed = started.elapsed();
    eprintln!("{calls} is_banking_day calls took {elapsed:?}");

    // The same walk answered by the independent formulation.
    let range: Vec<NaiveDate> = first_date()
        .iter_days()
        .take_while(|&d| d <= last_date())
        .collect();
    let per_pass = range
        .iter()
        .filter(|&&d| banking_day_by_rule_text(d))
        .count() as u64;
    let passes = calls / range.len();
    let rest = calls % range.len();
    let in_rest = range[..rest]
        .iter()
        .filter(|&&d| banking_day_by_rule_text(d))
        .count() as u64;
    assert_eq!(banking_days, passes as u64 * per_pass + in_rest);
}

// --- Properties of the counting functions on random dates in the range ---

/// One calendar for all property cases, so that the cases test the calendar, not its
/// construction time.
fn shared_calendar() -> &'static Calendar {
    static CALENDAR: OnceLock<Calendar> = OnceLock::new();
    CALENDAR.get_or_init(Calendar::danish)
}

fn any_date() -> impl Strategy<Value = NaiveDate> {
    let days = last_date().signed_duration_since(first_date()).num_days() as u64;
    (0..=days).prop_map(|offset| first_date() + Days::new(offset))
}

fn banking_days_between(calendar: &Calendar, from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
    from.iter_days()
        .take_while(|&d| d <= to)
        .filter(|&d| calendar.is_banking_day(d) == Ok(true))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn next_banking_day_is_the_first_banking_day_on_or_after(day in any_date()) {
        let calendar = shared_calendar();
        match calendar.next_banking_day(day) {
            Ok(next) => {
                prop_assert!(next >= day);
                prop_assert_eq!(calendar.is_banking_day(next), Ok(true));
                prop_assert_eq!(banking_days_between(calendar, day, next), vec![next]);
            }
            Err(err) => {
                prop_assert_eq!(err, CalendarError::CountLeavesRange { from: day });
                prop_assert!(banking_days_between(calendar, day, last_date()).is_empty());
            }
        }
    }

    #[test]
    fn previous_banking_day_is_the_last_banking_day_on_or_before(day in any_date()) {
        let calendar = shared_calendar();
        match calendar.previous_banking_day(day) {
            Ok(previous) => {
                prop_assert!(previous <= day);
                prop_assert_eq!(calendar.is_banking_day(previous), Ok(true));
                prop_assert_eq!(banking_days_between(calendar, previous, day), vec![previous]);
            }
            Err(err) => {
                prop_assert_eq!(err, CalendarError::CountLeavesRange { from: day });
                prop_assert!(banking_days_between(calendar, first_date(), day).is_empty());
            }
        }
    }

    #[test]
    fn adding_and_subtracting_banking_days_round_trips(any_day in any_date(), n in -400..=400_i32) {
        let calendar = shared_calendar();
        // Roll to a banking day instead of rejecting the ~30 % of dates that are not: with
        // `prop_assume!` a run of 2000 cases could hit proptest's limit of 1024 rejections.
        let Ok(day) = calendar.next_banking_day(any_day) else {
            return Ok(());
        };
        if let Ok(moved) = calendar.add_banking_days(day, n) {
            prop_assert_eq!(calendar.add_banking_days(moved, -n), Ok(day));
            // Both ends are banking days and exactly |n| - 1 banking days lie strictly between.
            let (from, to) = if n >= 0 { (day, moved) } else { (moved, day) };
            let between = banking_days_between(calendar, from, to).len();
            prop_assert_eq!(between, n.unsigned_abs() as usize + 1);
        }
    }

    #[test]
    fn nth_last_banking_day_is_a_banking_day_of_its_month_with_n_minus_1_after_it(
        year in FIRST_YEAR..=LAST_YEAR,
        month in 1..=12_u32,
        n in 1..=24_u32,
    ) {
        let calendar = shared_calendar();
        let in_month = calendar.banking_days_in_month(year, month).unwrap();
        match calendar.nth_last_banking_day(year, month, n) {
            Ok(day) => {
                prop_assert_eq!((day.year(), day.month()), (year, month));
                prop_assert_eq!(calendar.is_banking_day(day), Ok(true));
                let after = in_month.iter().filter(|&&d| d > day).count();
                prop_assert_eq!(after, n as usize - 1);
            }
            Err(_) => prop_assert!(n as usize > in_month.len()),
        }
    }

    #[test]
    fn deadlines_are_strictly_before_the_payment_date(
        day in any_date(),
        extended in any::<bool>(),
        payout in any::<bool>(),
    ) {
        let calendar = shared_calendar();
        match calendar.bs_deadline(day, extended, BS_DEFAULT_CUTOFF) {
            Ok(deadline) => {
                prop_assert!(deadline.date() < day);
                prop_assert_eq!(calendar.is_banking_day(deadline.date()), Ok(true));
            }
            Err(_) => prop_assert_eq!((day.year(), day.month()), (FIRST_YEAR, 1)),
        }
        match calendar.ls_deadline(day, payout, LS_DEFAULT_CUTOFF) {
            Ok(deadline) => {
                prop_assert!(deadline.date() < day);
                prop_assert_eq!(calendar.is_banking_day(deadline.date()), Ok(true));
            }
            Err(_) => prop_assert!(day < date(FIRST_YEAR, 1, 10)),
        }
    }
}
