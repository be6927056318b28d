//! The Danish closing-day rule, written as data.
//!
//! Each row of [`DANISH_RULES`] is one line of the rule in `spec/bankcal.md`: where the day falls
//! (a fixed date or a number of days from Easter Sunday), its names, and the years it applies to.
//! Changing the law means changing a row here, not code.
//!
//! The table covers the whole supported range 1900 to 2199, but only the changes the product
//! needs are modelled: the Friday after Ascension became a bank closing day in 2009 and Great
//! Prayer Day stopped being one after 2023. Before 2009 the table is today's rule applied
//! backwards (historic practices such as Saturday banking or other bank closing days are not
//! modelled); the product needs the years from 2000 on to be exact, and they are.

use std::borrow::Cow;

use chrono::{NaiveDate, TimeDelta};

use crate::easter::easter_month_day;
use crate::{FIRST_YEAR, LAST_YEAR};

/// Where a closing day falls in a given year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RuleDate {
    /// The same day of the same month every year.
    Fixed {
        /// 1 to 12.
        month: u32,
        /// 1 to 31.
        day: u32,
    },
    /// A number of days after Easter Sunday (before it when negative).
    FromEaster(i64),
}

/// One closing day of the rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ClosingRule {
    pub(crate) date: RuleDate,
    /// The English name.
    pub(crate) name: &'static str,
    /// The Danish name.
    pub(crate) name_da: &'static str,
    /// The first year the day is a closing day.
    pub(crate) first_year: i32,
    /// The last year the day is a closing day.
    pub(crate) last_year: i32,
}

impl ClosingRule {
    /// Whether the rule closes the banks in `year`.
    fn applies_in(&self, year: i32) -> bool {
        (self.first_year..=self.last_year).contains(&year)
    }
}

/// Shorthand for a rule row that holds for the whole supported range.
const fn always(date: RuleDate, name: &'static str, name_da: &'static str) -> ClosingRule {
    ClosingRule {
        date,
        name,
        name_da,
        first_year: FIRST_YEAR,
        last_year: LAST_YEAR,
    }
}

const fn fixed(month: u32, day: u32) -> RuleDate {
    RuleDate::Fixed { month, day }
}

/// The Danish bank closing days, in the order they fall in a year. When two rows fall on the same
/// date their names are joined in this order ("Whit Monday / Constitution Day").
///
/// Easter Sunday and Whit Sunday are always Sundays and so never change whether a day is a
/// banking day; they are listed because they are holidays and the closing-day listing shows every
/// closing day of the year, weekends included.
pub(crate) const DANISH_RULES: &[ClosingRule] = &[
    always(fixed(1, 1), "New Year's Day", "nytårsdag"),
    always(RuleDate::FromEaster(-3), "Maundy Thursday", "skærtorsdag"),
    always(RuleDate::FromEaster(-2), "Good Friday", "langfredag"),
    always(RuleDate::FromEaster(0), "Easter Sunday", "påskedag"),
    always(RuleDate::FromEaster(1), "Easter Monday", "2. påskedag"),
    // Abolished as a holiday from 1 January 2024 by lov nr. 214 af 6. marts 2023.
    ClosingRule {
        date: RuleDate::FromEaster(26),
        name: "Great Prayer Day",
        name_da: "store bededag",
        first_year: FIRST_YEAR,
        last_year: 2023,
    },
    always(
        RuleDate::FromEaster(39),
        "Ascension Day",
        "Kristi himmelfartsdag",
    ),
    // A bank closing day (not a public holiday) since 2009.
    ClosingRule {
        date: RuleDate::FromEaster(40),
        name: "Friday after Ascension",
        name_da: "fredag efter Kristi himmelfartsdag",
        first_year: 2009,
        last_year: LAST_YEAR,
    },
    always(RuleDate::FromEaster(49), "Whit Sunday", "pinsedag"),
    always(RuleDate::FromEaster(50), "Whit Monday", "2. pinsedag"),
    always(fixed(6, 5), "Constitution Day", "grundlovsdag"),
    always(fixed(12, 24), "Christmas Eve", "juleaftensdag"),
    always(fixed(12, 25), "Christmas Day", "juledag"),
    always(fixed(12, 26), "Boxing Day", "2. juledag"),
    always(fixed(12, 31), "New Year's Eve", "nytårsaftensdag"),
];

/// A closing day as the calendar stores it. The names borrow the rule table's strings so that
/// building the calendar for 300 years does not allocate thousands of strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NamedDay {
    pub(crate) date: NaiveDate,
    pub(crate) name: Cow<'static, str>,
    pub(crate) name_da: Cow<'static, str>,
}

/// The closing days `rules` give for `year` (a year in the supported range), sorted by date, one
/// entry per date: rows that fall on the same date are joined into one entry whose names are
/// joined with " / " in table order.
pub(crate) fn closing_days_by_rule(rules: &[ClosingRule], year: i32) -> Vec<NamedDay> {
    let (easter_month, easter_day) = easter_month_day(year);
    let easter = NaiveDate::from_ymd_opt(year, easter_month, easter_day)
        .expect("the computus yields a date in March or April");

    let mut days: Vec<NamedDay> = Vec::with_capacity(rules.len());
    for rule in rules.iter().filter(|rule| rule.applies_in(year)) {
        let date = match rule.date {
            RuleDate::Fixed { month, day } => NaiveDate::from_ymd_opt(year, month, day)
                .expect("the rule table holds only dates that exist every year"),
            RuleDate::FromEaster(offset) => easter + TimeDelta::days(offset),
        };
        days.push(NamedDay {
            date,
            name: Cow::Borrowed(rule.name),
            name_da: Cow::Borrowed(rule.name_da),
        });
    }
    // A stable sort keeps table order among days on the same date, which is the order the
    // joined names are written in.
    days.sort_by_key(|day| day.date);

    let mut joined: Vec<NamedDay> = Vec::with_capacity(days.len());
    for day in days {
        match joined.last_mut() {
            Some(previous) if previous.date == day.date => {
                previous.name = Cow::Owned(format!("{} / {}", previous.name, day.name));
                previous.name_da = Cow::Owned(format!("{} / {}", previous.name_da, day.name_da));
            }
            _ => joined.push(day),
        }
    }
    joined
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Datelike;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn listing(year: i32) -> Vec<(NaiveDate, String, String)> {
        closing_days_by_rule(DANISH_RULES, year)
            .into_iter()
            .map(|day| (day.date, day.name.into_owned(), day.name_da.into_owned()))
            .collect()
    }

    #[test]
    fn fixed_rows_name_dates_that_exist_in_every_year() {
        // A leap-day row would make `closing_days_by_rule` panic in common years.
        for rule in DANISH_RULES {
            if let RuleDate::Fixed { month, day } = rule.date {
                assert!(
                    NaiveDate::from_ymd_opt(1900, month, day).is_some(),
                    "{rule:?}"
                );
            }
        }
    }

    #[test]
    fn listing_2026_in_full() {
        let d = |m, d| date(2026, m, d);
        let expected = [
            (d(1, 1), "New Year's Day", "nytårsdag"),
            (d(4, 2), "Maundy Thursday", "skærtorsdag"),
            (d(4, 3), "Good Friday", "langfredag"),
            (d(4, 5), "Easter Sunday", "påskedag"),
            (d(4, 6), "Easter Monday", "2. påskedag"),
            (d(5, 14), "Ascension Day", "Kristi himmelfartsdag"),
            (
                d(5, 15),
                "Friday after Ascension",
                "fredag efter Kristi himmelfartsdag",
            ),
            (d(5, 24), "Whit Sunday", "pinsedag"),
            (d(5, 25), "Whit Monday", "2. pinsedag"),
            (d(6, 5), "Constitution Day", "grundlovsdag"),
            (d(12, 24), "Christmas Eve", "juleaftensdag"),
            (d(12, 25), "Christmas Day", "juledag"),
            (d(12, 26), "Boxing Day", "2. juledag"),
            (d(12, 31), "New Year's Eve", "nytårsaftensdag"),
        ]
        .map(|(date, name, name_da)| (date, name.to_owned(), name_da.to_owned()));
        assert_eq!(listing(2026), expected);
    }

    #[test]
    fn whit_monday_and_constitution_day_2028_are_one_entry_with_joined_names() {
        let days = listing(2028);
        let on_5_june: Vec<_> = days
            .iter()
            .filter(|day| day.0 == date(2028, 6, 5))
            .collect();
        assert_eq!(
            on_5_june,
            [&(
                date(2028, 6, 5),
                "Whit Monday / Constitution Day".to_owned(),
                "2. pinsedag / grundlovsdag".to_owned()
            )]
        );
    }

    #[test]
    fn great_prayer_day_ends_with_2023_and_friday_after_ascension_starts_2009() {
        let has = |year: i32, name: &str| listing(year).iter().any(|day| day.1 == name);
        assert!(has(2023, "Great Prayer Day"));
        assert!(!has(2024, "Great Prayer Day"));
        assert!(!has(2008, "Friday after Ascension"));
        assert!(has(2009, "Friday after Ascension"));
    }

    #[test]
    fn every_year_lists_sorted_unique_dates_within_the_year() {
        for year in FIRST_YEAR..=LAST_YEAR {
            let days = closing_days_by_rule(DANISH_RULES, year);
            assert!(days.windows(2).all(|w| w[0].date < w[1].date), "{year}");
            assert!(days.iter().all(|day| day.date.year() == year), "{year}");
        }
    }
}
