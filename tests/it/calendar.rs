//! `payrun calendar …` through the real binary: the JSON shapes of cli.md, the issue's
//! acceptance figures, and bad input refused with exit 2 and a message naming the value.

use crate::support::{payrun, payrun_in, TempDir};
use serde_json::json;

#[test]
fn month_prints_banking_days_and_the_deadline_days() {
    let run = payrun(&["--json", "calendar", "month", "2026-05"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v = run.json();
    assert_eq!(v["month"], "2026-05");
    assert_eq!(v["last"], "2026-05-29");
    assert_eq!(v["third_last"], "2026-05-27");
    assert_eq!(v["sixth_last"], "2026-05-21");
    let days: Vec<&str> = v["banking_days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect();
    // May 2026: 21 weekdays minus Ascension (14th) and the Friday after (15th) and Whit Monday (25th).
    assert_eq!(days.len(), 18);
    assert_eq!(days.first(), Some(&"2026-05-01"));
    assert!(!days.contains(&"2026-05-14") && !days.contains(&"2026-05-15"));
    assert!(!days.contains(&"2026-05-25"));
}

#[test]
fn bs_deadline_is_the_sixth_last_banking_day_of_the_month_before_at_1730() {
    let run = payrun(&[
        "--json",
        "calendar",
        "deadline",
        "--scheme",
        "bs",
        "--payment-date",
        "2026-06-01",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v = run.json();
    assert_eq!(v["payment_date"], "2026-06-01");
    assert_eq!(v["deadline"], "2026-05-21T17:30");

    let extended = payrun(&[
        "--json",
        "calendar",
        "deadline",
        "--scheme",
        "bs",
        "--payment-date",
        "2026-06-01",
        "--extended",
    ]);
    assert_eq!(extended.json()["deadline"], "2026-05-27T17:30");
}

#[test]
fn ls_deadline_is_one_banking_day_before_and_two_for_payouts() {
    let collection = payrun(&[
        "--json",
        "calendar",
        "deadline",
        "--scheme",
        "ls",
        "--payment-date",
        "2026-06-01",
    ]);
    assert_eq!(collection.json()["deadline"], "2026-05-29T15:00");
    let payout = payrun(&[
        "--json",
        "calendar",
        "deadline",
        "--scheme",
        "ls",
        "--payment-date",
        "2026-06-01",
        "--payout",
    ]);
    assert_eq!(payout.json()["deadline"], "2026-05-28T15:00");
    let cutoff = payrun(&[
        "--json",
        "calendar",
        "deadline",
        "--scheme",
        "ls",
        "--payment-date",
        "2026-06-01",
        "--cutoff",
        "12:00",
    ]);
    assert_eq!(cutoff.json()["deadline"], "2026-05-29T12:00");
}

#[test]
fn is_banking_day_names_the_closing_day() {
    let v = payrun(&["--json", "calendar", "is-banking-day", "2026-05-15"]).json();
    assert_eq!(v["date"], "2026-05-15");
    assert_eq!(v["banking_day"], false);
    assert_eq!(v["closing_day"], "Friday after Ascension");
    let may_day = payrun(&["--json", "calendar", "is-banking-day", "2026-05-01"]).json();
    assert_eq!(may_day["banking_day"], true);
    let human = payrun(&["calendar", "is-banking-day", "2026-05-15"]);
    assert_eq!(
        human.stdout,
        "2026-05-15 (Fri) is not a banking day (Friday after Ascension).\n"
    );
}

#[test]
fn holidays_lists_every_closing_day_of_the_year_weekends_included() {
    let v = payrun(&["--json", "calendar", "holidays", "2027"]).json();
    assert_eq!(v["year"], 2027);
    let days = v["closing_days"].as_array().unwrap();
    let dates: Vec<&str> = days.iter().map(|d| d["date"].as_str().unwrap()).collect();
    for expected in [
        "2027-01-01",
        "2027-03-25",
        "2027-03-26",
        "2027-03-29",
        "2027-05-06",
        "2027-05-07",
        "2027-05-17",
        "2027-06-05",
        "2027-12-24",
        "2027-12-25",
        "2027-12-26",
        "2027-12-31",
    ] {
        assert!(
            dates.contains(&expected),
            "{expected} missing from {dates:?}"
        );
    }
    assert_eq!(
        days[0],
        json!({"date": "2027-01-01", "name": "New Year's Day", "name_da": "nytårsdag", "weekday": "Fri"})
    );
    assert!(
        !dates.iter().any(|d| d.starts_with("2027-04-23")),
        "no Great Prayer Day after 2023"
    );
}

#[test]
fn extra_closing_days_from_a_csv_file_apply_to_any_command() {
    let dir = TempDir::new("closing");
    std::fs::write(
        dir.path().join("extra.csv"),
        "\u{feff}date,name\n2026-05-27,Bank strike\n",
    )
    .unwrap();
    let v = payrun_in(
        dir.path(),
        &[
            "--json",
            "--closing-days",
            "extra.csv",
            "calendar",
            "month",
            "2026-05",
        ],
    )
    .json();
    // One banking day fewer at the end of May: the 3rd-last and 6th-last move back.
    assert_eq!(v["third_last"], "2026-05-26");
    assert_eq!(v["sixth_last"], "2026-05-20");
    let day = payrun_in(
        dir.path(),
        &[
            "--json",
            "--closing-days",
            "extra.csv",
            "calendar",
            "is-banking-day",
            "2026-05-27",
        ],
    )
    .json();
    assert_eq!(day["banking_day"], false);
    assert_eq!(day["closing_day"], "Bank strike");
}

/// Each case: arguments, then a piece the message must contain. All exit 2.
#[test]
fn bad_input_is_refused_with_exit_2_and_names_the_value() {
    let dir = TempDir::new("bad-calendar");
    std::fs::write(
        dir.path().join("bad-date.csv"),
        "date,name\n2026-01-02,Fine\n2026-02-30,Oops\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("no-name.csv"), "date\n2026-01-02\n").unwrap();
    std::fs::write(
        dir.path().join("huge.csv"),
        "date,name\n".to_string() + &"2026-01-02,x\n".repeat(100_000),
    )
    .unwrap();
    let cases: &[(&[&str], &str)] = &[
        (
            &["calendar", "month", "2026-13"],
            "'2026-13' is not a month",
        ),
        (
            &["calendar", "is-banking-day", "2026-02-30"],
            "'2026-02-30' is not a date",
        ),
        (&["calendar", "holidays", "2200"], "2200"),
        (&["calendar", "month", "1899-12"], "1899"),
        (
            &[
                "calendar",
                "deadline",
                "--scheme",
                "bs",
                "--payment-date",
                "1900-01-15",
            ],
            "1900-01-15",
        ),
        (
            &["--now", "2026-05-21 17:30", "calendar", "month", "2026-05"],
            "'2026-05-21 17:30' is not a time",
        ),
        (
            &["--now", "2026-03-29T02:30", "calendar", "month", "2026-05"],
            "does not exist in Danish local time",
        ),
        (
            &[
                "--closing-days",
                "bad-date.csv",
                "calendar",
                "month",
                "2026-05",
            ],
            "bad-date.csv:3",
        ),
        (
            &[
                "--closing-days",
                "bad-date.csv",
                "calendar",
                "month",
                "2026-05",
            ],
            "2026-02-30",
        ),
        (
            &[
                "--closing-days",
                "no-name.csv",
                "calendar",
                "month",
                "2026-05",
            ],
            "no-name.csv:1",
        ),
        (
            &[
                "--closing-days",
                "missing.csv",
                "calendar",
                "month",
                "2026-05",
            ],
            "missing.csv",
        ),
        (
            &["--closing-days", "huge.csv", "calendar", "month", "2026-05"],
            "at most 1048576 bytes",
        ),
    ];
    for (args, needle) in cases {
        let run = payrun_in(dir.path(), args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains(needle),
            "{args:?}: stderr lacks {needle:?}:\n{}",
            run.stderr
        );
        assert!(
            !run.stderr.contains("panicked"),
            "{args:?} panicked: {}",
            run.stderr
        );
        assert!(
            run.stdout.is_empty(),
            "{args:?} printed to stdout: {}",
            run.stdout
        );
    }
}
