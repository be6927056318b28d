//! `payrun calendar …`: the banking calendar from the command line. Needs no database.

use crate::args::{CalendarCommand, Global, SchemeArg};
use crate::output::{out, outln};
use crate::{context, output, Outcome};
use chrono::{Datelike, NaiveDate};
use serde::Serialize;

pub fn run(global: &Global, command: &CalendarCommand) -> anyhow::Result<Outcome> {
    let calendar = context::calendar(global)?;
    match *command {
        CalendarCommand::Month { month } => {
            let days = calendar.banking_days_in_month(month.year, month.month)?;
            let nth_last = |n: usize| days.len().checked_sub(n).map(|i| days[i]);
            let report = MonthReport {
                month: format!("{:04}-{:02}", month.year, month.month),
                last: nth_last(1),
                third_last: nth_last(3),
                sixth_last: nth_last(6),
                banking_days: days.clone(),
            };
            if global.json {
                output::print_json(&report)?;
            } else {
                outln!("Banking days in {}: {}", report.month, days.len());
                let rows: Vec<Vec<String>> = days
                    .iter()
                    .map(|d| vec![d.to_string(), d.weekday().to_string()])
                    .collect();
                out!("{}", output::table(&["date", "weekday"], &rows));
                outln!("last banking day:       {}", show(report.last));
                outln!("3rd-last (BS extended): {}", show(report.third_last));
                outln!("6th-last (BS deadline): {}", show(report.sixth_last));
            }
        }
        CalendarCommand::Holidays { year } => {
            let closing_days: Vec<HolidayReport> = calendar
                .closing_days(year)?
                .into_iter()
                .map(|day| HolidayReport {
                    weekday: day.date.weekday().to_string(),
                    date: day.date,
                    name: day.name,
                    name_da: day.name_da,
                })
                .collect();
            if global.json {
                output::print_json(&YearReport { year, closing_days })?;
            } else {
                outln!("Bank closing days in {year}:");
                let rows: Vec<Vec<String>> = closing_days
                    .iter()
                    .map(|d| {
                        vec![
                            d.date.to_string(),
                            d.weekday.clone(),
                            d.name.clone(),
                            d.name_da.clone(),
                        ]
                    })
                    .collect();
                out!(
                    "{}",
                    output::table(&["date", "weekday", "name", "Danish name"], &rows)
                );
            }
        }
        CalendarCommand::Deadline {
            scheme,
            payment_date,
            payout,
            extended,
            cutoff,
        } => {
            let deadline = match scheme {
                SchemeArg::Bs => calendar.bs_deadline(
                    payment_date,
                    extended,
                    cutoff.unwrap_or(bankcal::BS_DEFAULT_CUTOFF),
                )?,
                SchemeArg::Ls => calendar.ls_deadline(
                    payment_date,
                    payout,
                    cutoff.unwrap_or(bankcal::LS_DEFAULT_CUTOFF),
                )?,
            };
            let report = DeadlineReport {
                payment_date,
                deadline: deadline.format("%Y-%m-%dT%H:%M").to_string(),
                scheme: match scheme {
                    SchemeArg::Bs => "bs",
                    SchemeArg::Ls => "ls",
                },
            };
            if global.json {
                output::print_json(&report)?;
            } else {
                let what = match scheme {
                    SchemeArg::Bs => "A BS payment",
                    SchemeArg::Ls if payout => "An LS payout",
                    SchemeArg::Ls => "An LS collection",
                };
                outln!(
                    "{what} on {} ({}) must be delivered by {} ({}) Danish time.",
                    payment_date,
                    payment_date.weekday(),
                    deadline.format("%Y-%m-%d %H:%M"),
                    deadline.date().weekday(),
                );
            }
        }
        CalendarCommand::IsBankingDay { date } => {
            let banking_day = calendar.is_banking_day(date)?;
            let closing_day = calendar.closing_day(date)?.map(|d| d.name);
            let report = BankingDayReport {
                date,
                banking_day,
                weekday: date.weekday().to_string(),
                closing_day,
            };
            if global.json {
                output::print_json(&report)?;
            } else {
                let why = match (&report.closing_day, banking_day) {
                    (_, true) => String::new(),
                    (Some(name), false) => format!(" ({name})"),
                    (None, false) => " (weekend)".to_string(),
                };
                let verdict = if banking_day {
                    "a banking day"
                } else {
                    "not a banking day"
                };
                outln!("{date} ({}) is {verdict}{why}.", report.weekday);
            }
        }
    }
    Ok(Outcome::Done)
}

fn show(date: Option<NaiveDate>) -> String {
    date.map_or_else(|| "-".to_string(), |d| d.to_string())
}

#[derive(Serialize)]
struct MonthReport {
    month: String,
    banking_days: Vec<NaiveDate>,
    last: Option<NaiveDate>,
    third_last: Option<NaiveDate>,
    sixth_last: Option<NaiveDate>,
}

#[derive(Serialize)]
struct HolidayReport {
    date: NaiveDate,
    name: String,
    name_da: String,
    weekday: String,
}

#[derive(Serialize)]
struct YearReport {
    year: i32,
    closing_days: Vec<HolidayReport>,
}

#[derive(Serialize)]
struct DeadlineReport {
    payment_date: NaiveDate,
    deadline: String,
    scheme: &'static str,
}

#[derive(Serialize)]
struct BankingDayReport {
    date: NaiveDate,
    banking_day: bool,
    weekday: String,
    closing_day: Option<String>,
}
