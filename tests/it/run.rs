//! The payment run through the real binary (issue 3): init → format add → imports → suggest →
//! validate → collect on the fixture in `tests/data/run/`, status changes, queries, and bad
//! input refused whole with the database unchanged.

use crate::support::{self, assert_verified, payrun_in, Run, TempDir};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

const NOW: &str = "2026-05-04T09:00";

fn data(name: &str) -> String {
    format!("{}/tests/data/run/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// Runs payrun in `dir` at `NOW`, expecting exit `code`.
fn ok(dir: &Path, args: &[&str], code: i32) -> Run {
    let mut full = vec!["--now", NOW];
    full.extend_from_slice(args);
    let run = payrun_in(dir, &full);
    assert_eq!(
        run.code, code,
        "payrun {args:?}\nstdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    run
}

/// `format add`'s arguments for the BS Basis format `BS` of the fixture and of
/// [`one_invoice`].
const BS_BASIS: &[&str] = &[
    "--id",
    "BS",
    "--scheme",
    "bs",
    "--creditor",
    "09990001",
    "--supplier-cvr",
    "99887766",
    "--bs-type",
    "basis",
    "--bank-account",
    "5850",
];

/// A company with four payment formats and the fixture's master data.
fn fixture(dir: &Path) {
    ok(dir, &["init", "--name", "Eksempel Forsyning A/S"], 0);
    for format in [
        BS_BASIS,
        &[
            "--id",
            "BST",
            "--scheme",
            "bs",
            "--creditor",
            "09990002",
            "--supplier-cvr",
            "99887766",
            "--bs-type",
            "total",
            "--bank-account",
            "5850",
        ],
        &[
            "--id",
            "BSN",
            "--scheme",
            "bs",
            "--creditor",
            "09990003",
            "--supplier-cvr",
            "99887766",
            "--banking-day",
            "none",
        ],
        &[
            "--id",
            "LS",
            "--scheme",
            "ls",
            "--creditor",
            "12345",
            "--supplier-cvr",
            "99887766",
            "--bank-account",
            "5851",
            "--block-payouts",
        ],
    ] {
        let mut args = vec!["format", "add"];
        args.extend_from_slice(format);
        ok(dir, &args, 0);
    }
    for kind in ["debtors", "mandates", "entries"] {
        ok(dir, &["import", kind, &data(&format!("{kind}.csv"))], 0);
    }
}

/// entry id → the failing codes of its line, from a `{"lines": [...]}` document.
fn codes_by_entry(doc: &Value) -> BTreeMap<String, Vec<String>> {
    doc["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|line| {
            let codes = line["errors"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["code"].as_str().unwrap().to_string())
                .collect();
            (line["entry"].as_str().unwrap().to_string(), codes)
        })
        .collect()
}

fn line_of(doc: &Value, entry: &str) -> i64 {
    doc["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["entry"] == entry)
        .unwrap_or_else(|| panic!("no line for {entry}"))["line"]
        .as_i64()
        .unwrap()
}

fn count_rows(dir: &Path, table: &str) -> i64 {
    let conn = rusqlite::Connection::open(dir.join("payrun.db")).unwrap();
    conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

#[test]
fn a_whole_run_from_csv_to_collective_payments() {
    let dir = TempDir::new("run");
    let dir = dir.path();
    fixture(dir);

    let suggested = ok(dir, &["--json", "suggest"], 0).json();
    assert_eq!(
        suggested["created"].as_array().unwrap().len(),
        29,
        "entries with a BS/LS format and something open"
    );
    // Running it twice creates nothing new.
    let again = ok(dir, &["--json", "suggest"], 0).json();
    assert_eq!(again["created"].as_array().unwrap().len(), 0);

    // Validation: exit 1 because lines fail; every line reports every failing rule.
    let validated = ok(dir, &["--json", "validate"], 1).json();
    let codes = codes_by_entry(&validated);
    let expect = |entry: &str, expected: &[&str]| {
        assert_eq!(codes[entry], expected, "{entry}");
    };
    expect("E-1001", &["duplicate-debtor-date"]);
    expect("E-1004", &[]);
    expect("E-1005", &[]);
    expect("E-1006", &["mandate-not-active"]); // no mandate
    expect("E-1007", &["mandate-not-active"]); // only registered
    expect("E-1008", &["mandate-not-active"]); // ended before the payment date
    expect("E-1009", &["mandate-not-active"]); // unsubscribed
    expect("E-1012", &["currency-not-dkk"]);
    expect("E-1013", &["invoice-missing"]);
    expect("E-1014", &["deadline-passed"]);
    expect("E-1015", &["beyond-horizon"]);
    expect("E-1016", &[]); // a BS payout is allowed when the format does not block it
    expect("E-1017", &["amount-zero"]);
    expect("E-1019", &[]); // BS Total charges debtors without a mandate by payment slip
    expect("E-1020", &[]);
    expect("E-1021", &["not-banking-day"]);
    expect("E-2001", &[]);
    expect("E-2002", &["payout-blocked"]);
    expect("E-2003", &["invoice-lines-missing"]);
    expect("E-2004", &["cvr-missing"]);
    expect("E-2005", &["mandate-not-active"]);
    expect("E-2006", &["deadline-passed"]); // LS: due 1 banking day before at 15:00
    assert_eq!(validated["ok_count"], 7);
    assert_eq!(validated["failed_count"], 22);
    let line = &validated["lines"][0];
    for key in [
        "line",
        "entry",
        "debtor",
        "format",
        "payment_date",
        "amount",
        "status",
        "group",
        "reference",
        "ok",
        "errors",
    ] {
        assert!(line.get(key).is_some(), "payment line lacks {key}: {line}");
    }
    assert_eq!(line["amount"], "1000.00");
    // The report makes each failed line's messages again when it shows the line; they are
    // the messages validation stored, which `list` reads from the database.
    let listed = ok(dir, &["--json", "list"], 0).json();
    let stored: BTreeMap<i64, &Value> = listed["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["line"].as_i64().unwrap(), &l["errors"]))
        .collect();
    let mut with_messages = 0;
    for line in validated["lines"].as_array().unwrap() {
        let errors = &line["errors"];
        assert_eq!(errors, stored[&line["line"].as_i64().unwrap()], "{line}");
        with_messages += errors
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| !e["message"].as_str().unwrap().is_empty())
            .count();
    }
    assert!(with_messages >= 22, "every failure has its message");

    // Collective payments: the duplicates are merged and no longer flagged.
    let collected = ok(dir, &["--json", "collect"], 1).json();
    let groups = collected["groups"].as_array().unwrap();
    let group = |id: &str| {
        groups
            .iter()
            .find(|g| g["id"] == id)
            .unwrap_or_else(|| panic!("no group {id}"))
    };
    assert_eq!(
        group("100100-20260601")["amount"],
        "1150.50",
        "credit note netted"
    );
    assert_eq!(
        group("100100-20260601")["lines"].as_array().unwrap().len(),
        3
    );
    assert_eq!(group("100106-20260601")["amount"], "2000.00");
    assert_eq!(group("100106-20260601")["payment_date"], "2026-06-01");
    assert!(groups.iter().any(|g| g["id"] == "-"));
    let deselected: usize = groups
        .iter()
        .filter(|g| g["id"] == "Deselected")
        .map(|g| g["lines"].as_array().unwrap().len())
        .sum();
    assert_eq!(deselected, 15);
    let after = codes_by_entry(&ok(dir, &["--json", "validate"], 1).json());
    assert_eq!(after["E-1001"], Vec::<String>::new(), "merged lines pass");
    assert_eq!(after["E-1022"], Vec::<String>::new());

    // Waiting lines are never exported: status-not-exportable.
    let waiting = line_of(&validated, "E-1018");
    ok(
        dir,
        &["status", "set", "--to", "waiting", &waiting.to_string()],
        0,
    );
    let codes = codes_by_entry(&ok(dir, &["--json", "validate"], 1).json());
    assert_eq!(codes["E-1018"], ["status-not-exportable"]);

    // Later, the lines' dates have passed: payment-date-past (and the deadline with it).
    let late = payrun_in(dir, &["--now", "2026-06-02T09:00", "--json", "validate"]);
    let codes = codes_by_entry(&late.json());
    assert_eq!(codes["E-1004"], ["payment-date-past", "deadline-passed"]);

    // collect --off dissolves the groups.
    let off = ok(dir, &["--json", "collect", "--off"], 0).json();
    assert!(!off["dissolved"].as_array().unwrap().is_empty());
    let listed = ok(dir, &["--json", "list", "--group", "100100-20260601"], 0).json();
    assert_eq!(listed["lines"].as_array().unwrap().len(), 0);
    assert_verified(dir);
}

#[test]
fn the_seed_worked_example_becomes_six_charges() {
    let dir = TempDir::new("seed");
    let dir = dir.path();
    let now = "2018-06-01T10:00";
    let run = |args: &[&str], code: i32| {
        let mut full = vec!["--now", now];
        full.extend_from_slice(args);
        let run = payrun_in(dir, &full);
        assert_eq!(run.code, code, "{args:?}: {}", run.stderr);
        run
    };
    run(&["init"], 0);
    run(
        &[
            "format",
            "add",
            "--id",
            "BS",
            "--scheme",
            "bs",
            "--creditor",
            "09990001",
            "--supplier-cvr",
            "99887766",
        ],
        0,
    );
    let mut debtors = String::from("account,name,payment_format\n");
    let mut mandates = String::from("mandate_id,debtor,payment_format,status,start_date\n");
    for account in ["100100", "100101", "100102", "100103", "100104", "100106"] {
        debtors.push_str(&format!("{account},Debtor {account},BS\n"));
        mandates.push_str(&format!("{account},{account},BS,enrolled,2018-01-01\n"));
    }
    let mut entries = String::from("entry_id,debtor,due_date,invoice,amount\n");
    for (i, amount) in [
        "10000.00", "5000.00", "4715.00", "5000.00", "3000.00", "2000.00",
    ]
    .iter()
    .enumerate()
    {
        entries.push_str(&format!("A{i},100100,2018-07-13,{},{amount}\n", 700 + i));
    }
    entries.push_str("B1,100106,2018-07-13,801,1500.00\nB2,100106,2018-07-13,802,500.00\n");
    for (i, debtor) in ["100101", "100102", "100103", "100104"].iter().enumerate() {
        entries.push_str(&format!("C{i},{debtor},2018-07-13,90{i},100.00\n"));
    }
    for (name, text) in [
        ("debtors.csv", debtors),
        ("mandates.csv", mandates),
        ("entries.csv", entries),
    ] {
        std::fs::write(dir.join(name), text).unwrap();
    }
    run(&["import", "debtors", "debtors.csv"], 0);
    run(&["import", "mandates", "mandates.csv"], 0);
    run(&["import", "entries", "entries.csv"], 0);
    run(&["suggest"], 0);
    let collected = run(&["--json", "collect"], 0).json();
    let groups = collected["groups"].as_array().unwrap();
    let big = groups
        .iter()
        .find(|g| g["id"] == "100100-20180713")
        .unwrap();
    assert_eq!(big["amount"], "29715.00");
    assert_eq!(big["lines"].as_array().unwrap().len(), 6);
    let small = groups
        .iter()
        .find(|g| g["id"] == "100106-20180713")
        .unwrap();
    assert_eq!(small["amount"], "2000.00");
    let singles = groups.iter().filter(|g| g["id"] == "-").count();
    assert_eq!(singles, 4);
    assert_eq!(collected["charges"], 6);
    assert_verified(dir);
}

#[test]
fn status_changes_follow_the_table_and_refusals_change_nothing() {
    let dir = TempDir::new("status");
    let dir = dir.path();
    fixture(dir);
    let suggested = ok(dir, &["--json", "suggest"], 0).json();
    let line = line_of(&json_created(&suggested), "E-1004").to_string();
    let other = line_of(&json_created(&suggested), "E-1005").to_string();

    // blank → stop and blank → resend are refused, together: nothing changes.
    let refused = ok(dir, &["status", "set", "--to", "stop", &line, &other], 2);
    assert!(
        refused
            .stderr
            .contains(&format!("line {line}: cannot change a blank line to stop")),
        "{}",
        refused.stderr
    );
    let refused = ok(dir, &["status", "set", "--to", "resend", &line], 2);
    assert!(
        refused.stderr.contains("cannot resend a blank line"),
        "{}",
        refused.stderr
    );
    // blank → waiting → blank is allowed, and logged.
    let changed = ok(
        dir,
        &["--json", "status", "set", "--to", "waiting", &line],
        0,
    )
    .json();
    assert_eq!(changed["changed"][0]["status"], "waiting");
    // waiting → stop is refused; a mix of allowed and refused changes nothing.
    ok(dir, &["status", "set", "--to", "stop", &line], 2);
    ok(dir, &["status", "set", "--to", "waiting", &other, &line], 2);
    let shown = ok(dir, &["--json", "show", &other], 0).json();
    assert_eq!(
        shown["status"], "blank",
        "the allowed half of a refused request was not applied"
    );
    ok(dir, &["status", "set", "--to", "blank", &line], 0);
    let shown = ok(dir, &["--json", "show", &line], 0).json();
    let log: Vec<(Value, Value, Value)> = shown["log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["old"].clone(), c["new"].clone(), c["cause"].clone()))
        .collect();
    assert_eq!(
        log,
        vec![
            (Value::Null, "blank".into(), "suggest".into()),
            ("blank".into(), "waiting".into(), "manual".into()),
            ("waiting".into(), "blank".into(), "manual".into()),
        ]
    );
    // Unknown line ids are named.
    let unknown = ok(dir, &["status", "set", "--to", "waiting", "9999"], 2);
    assert!(unknown.stderr.contains("9999"), "{}", unknown.stderr);
    let unknown = ok(dir, &["show", "4242"], 2);
    assert!(
        unknown.stderr.contains("no payment line 4242"),
        "{}",
        unknown.stderr
    );
    assert_verified(dir);
}

fn json_created(doc: &Value) -> Value {
    serde_json::json!({"lines": doc["created"].clone()})
}

#[test]
fn list_filters_and_mandates() {
    let dir = TempDir::new("list");
    let dir = dir.path();
    fixture(dir);
    ok(dir, &["suggest"], 0);
    let count = |args: &[&str]| {
        let mut full = vec!["--json", "list"];
        full.extend_from_slice(args);
        ok(dir, &full, 0).json()["lines"].as_array().unwrap().len()
    };
    assert_eq!(count(&[]), 29);
    assert_eq!(count(&["--debtor", "100100"]), 5);
    assert_eq!(count(&["--mandate", "100106"]), 2);
    assert_eq!(count(&["--agreement", "000000006"]), 2);
    assert_eq!(count(&["--status", "blank"]), 29);
    assert_eq!(count(&["--status", "sent"]), 0);
    assert_eq!(count(&["--from", "2026-07-01", "--to", "2026-07-31"]), 1);
    assert_eq!(
        count(&["--period", "1m"]),
        1,
        "only the LS line due today is in the past month"
    );
    let bad = ok(dir, &["list", "--status", "paid"], 2);
    assert!(
        bad.stderr.contains("'paid' is not a status"),
        "{}",
        bad.stderr
    );

    let mandates = ok(
        dir,
        &["--json", "mandates", "list", "--debtor", "100100"],
        0,
    )
    .json();
    assert_eq!(
        mandates["mandates"][0],
        serde_json::json!({"mandate_id": "100100", "debtor": "100100", "format": "BS",
            "status": "enrolled", "agreement": "000000001", "start_date": "2025-01-01",
            "end_date": null, "alt_mandate_id": null})
    );
    assert_verified(dir);
}

#[test]
fn bad_csv_is_refused_whole_with_every_bad_line_named() {
    let dir = TempDir::new("bad-csv");
    let dir = dir.path();
    fixture(dir);
    let entries_before = count_rows(dir, "entries");
    let write = |name: &str, text: &str| std::fs::write(dir.join(name), text).unwrap();
    let cases: &[(&str, &str, &str, &[&str])] = &[
        ("entries", "unknown-column.csv", "entry_id,debtor,due_date,amount,colour\nX1,100100,2026-06-01,1.00,red\n", &["unknown-column.csv:1", "colour"]),
        ("entries", "missing-column.csv", "entry_id,debtor,amount\nX1,100100,1.00\n", &["missing-column.csv:1", "due_date"]),
        (
            "entries",
            "bad-amounts.csv",
            "entry_id,debtor,due_date,amount\nX1,100100,2026-06-01,12.345\nX2,100100,2026-06-01,\"1,5\"\nX3,100100,2026-06-01,abc\nX4,100100,2026-06-01,10.00\n",
            &["bad-amounts.csv:2", "12.345", "bad-amounts.csv:3", "1,5", "bad-amounts.csv:4", "abc"],
        ),
        ("entries", "bad-date.csv", "entry_id,debtor,due_date,amount\nX1,100100,2026-02-30,1.00\n", &["bad-date.csv:2", "2026-02-30"]),
        ("entries", "unknown-debtor.csv", "entry_id,debtor,due_date,amount\nX1,999999,2026-06-01,1.00\n", &["unknown-debtor.csv:2", "999999"]),
        ("entries", "duplicate.csv", "entry_id,debtor,due_date,amount\nX1,100100,2026-06-01,1.00\nX1,100100,2026-06-02,2.00\n", &["duplicate.csv:3", "X1"]),
        ("debtors", "unknown-format.csv", "account,name,payment_format\n400100,Ny kunde,XX\n", &["unknown-format.csv:2", "XX"]),
        ("debtors", "bad-cpr.csv", "account,name,cvr\n400100,Ny kunde,010170123\n", &["bad-cpr.csv:2"]),
    ];
    for (kind, file, text, needles) in cases {
        write(file, text);
        let run = ok(dir, &["import", kind, file], 2);
        for needle in *needles {
            assert!(
                run.stderr.contains(needle),
                "{file}: stderr lacks {needle:?}:\n{}",
                run.stderr
            );
        }
        assert!(
            !run.stderr.contains("010170123"),
            "a CPR number was printed: {}",
            run.stderr
        );
    }
    assert_eq!(
        count_rows(dir, "entries"),
        entries_before,
        "nothing was imported"
    );
    assert_eq!(count_rows(dir, "debtors"), 18);
    assert_verified(dir);
}

#[test]
fn unknown_company_format_and_database_are_named() {
    let dir = TempDir::new("unknown");
    let dir = dir.path();
    let missing = ok(dir, &["validate"], 2);
    assert!(
        missing.stderr.contains("payrun.db") && missing.stderr.contains("payrun init"),
        "{}",
        missing.stderr
    );
    fixture(dir);
    let company = ok(dir, &["--company", "acme", "validate"], 2);
    assert!(company.stderr.contains("'acme'"), "{}", company.stderr);
    ok(dir, &["--company", "other", "init"], 0);
    let which = ok(dir, &["validate"], 2);
    assert!(which.stderr.contains("--company"), "{}", which.stderr);
    let format = ok(
        dir,
        &[
            "--company",
            "main",
            "format",
            "add",
            "--id",
            "BS",
            "--scheme",
            "bs",
            "--creditor",
            "0999",
            "--supplier-cvr",
            "99887766",
        ],
        2,
    );
    assert!(format.stderr.contains("0999"), "{}", format.stderr);
    assert_verified(dir);
}

#[test]
fn the_database_file_is_private_and_cpr_numbers_are_never_printed_whole() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("private");
    let dir = dir.path();
    fixture(dir);
    let mode = std::fs::metadata(dir.join("payrun.db"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let mut outputs = String::new();
    for args in [
        &["suggest"][..],
        &["--json", "suggest"],
        &["validate"],
        &["--json", "validate"],
        &["collect"],
        &["--json", "list"],
        &["list"],
        &["--json", "show", "4"],
        &["show", "4"],
        &["mandates", "list"],
        &["reminders"],
        &["-vvv", "validate"],
    ] {
        let run = payrun_in(dir, &[&["--now", NOW][..], args].concat());
        outputs.push_str(&run.stdout);
        outputs.push_str(&run.stderr);
    }
    for cpr in ["0101701234", "0202801234", "0303901234"] {
        assert!(!outputs.contains(cpr), "CPR {cpr} printed whole");
    }
    assert_verified(dir);
}

#[test]
fn reminders_list_ls_debtors_to_notify_as_csv() {
    let dir = TempDir::new("reminders");
    let dir = dir.path();
    fixture(dir);
    ok(dir, &["suggest"], 0);
    ok(dir, &["collect"], 1);
    // On 18 May, the LS lines of 20 May are 3 banking days away or less.
    let run = payrun_in(
        dir,
        &["--now", "2026-05-18T09:00", "reminders", "--days", "3"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut lines = run.stdout.lines();
    assert_eq!(
        lines.next(),
        Some("line,debtor,name,email,payment_date,notify_by,amount,invoice,text")
    );
    let rows: Vec<&str> = lines.collect();
    // Only the line that will be charged: the others fail validation or are deselected.
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(rows[0].contains(",200100,Tømrer Hansen A/S,faktura@toemrer.example,2026-05-20,2026-05-13,12000.00,7001,"), "{}", rows[0]);
    // A week earlier nobody needs a notice yet.
    let early = payrun_in(dir, &["--now", "2026-05-11T09:00", "--json", "reminders"]);
    assert_eq!(early.json()["reminders"].as_array().unwrap().len(), 0);
    assert_verified(dir);
}

#[test]
fn suggest_earliest_moves_dates_that_would_miss_the_deadline() {
    let dir = TempDir::new("earliest");
    let dir = dir.path();
    fixture(dir);
    let created = ok(dir, &["--json", "suggest", "--earliest"], 0).json()["created"].clone();
    let date_of = |entry: &str| {
        created
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["entry"] == entry)
            .unwrap()["payment_date"]
            .as_str()
            .unwrap()
            .to_string()
    };
    // Due 15 May: the May deadline has passed, so the first banking day of June.
    assert_eq!(date_of("E-1014"), "2026-06-01");
    // Due 1 June already meets its deadline: unchanged.
    assert_eq!(date_of("E-1001"), "2026-06-01");
    // LS due today missed its D-1 cut-off (1 May 15:00): tomorrow, whose cut-off is today at
    // 15:00, still ahead at 09:00.
    assert_eq!(date_of("E-2006"), "2026-05-05");
    assert_verified(dir);
}

/// A company with one BS format, one enrolled debtor and one invoice, E1: 1,000.00 due on
/// Monday 1 June 2026.
fn one_invoice(dir: &Path) {
    ok(dir, &["init"], 0);
    let mut args = vec!["format", "add"];
    args.extend_from_slice(BS_BASIS);
    ok(dir, &args, 0);
    let files = [
        (
            "debtors",
            "account,name,cvr,address,postcode,city,country,payment_format\n\
             100100,Hansen ApS,12345678,Vej 1,8000,Aarhus C,DK,BS\n",
        ),
        (
            "mandates",
            "mandate_id,debtor,payment_format,status,agreement,start_date\n\
             100100,100100,BS,enrolled,000000001,2025-01-01\n",
        ),
        (
            "entries",
            "entry_id,debtor,due_date,amount,invoice\nE1,100100,2026-06-01,1000.00,5001\n",
        ),
    ];
    for (kind, text) in files {
        let file = dir.join(format!("{kind}.csv"));
        std::fs::write(&file, text).unwrap();
        ok(dir, &["import", kind, file.to_str().unwrap()], 0);
    }
}

/// [`support::refused`] at [`NOW`].
fn refused(dir: &Path, args: &[&str], message: &str) {
    support::refused(dir, NOW, args, message);
}

#[test]
fn a_partial_payment_is_charged_instead_of_the_entry_and_only_before_it_is_sent() {
    let dir = TempDir::new("partial");
    let dir = dir.path();
    one_invoice(dir);
    let suggested = ok(dir, &["--json", "suggest"], 0).json();
    let line = line_of(&json_created(&suggested), "E1").to_string();

    // Refused, each with its reason, and nothing changes.
    let before = ok(dir, &["--json", "show", &line], 0).stdout;
    for (amount, reason) in [
        (
            "1000.01",
            "partial payment 1000.01 is larger than entry E1's remaining amount 1000.00",
        ),
        (
            "-5",
            "partial payment -5.00 does not have the sign of entry E1's amount 1000.00",
        ),
        ("0", "a partial payment of 0.00 charges nothing"),
        ("12.345", "'12.345' has more than two decimals"),
    ] {
        refused(dir, &["partial", "set", &line, amount], reason);
    }
    assert_eq!(ok(dir, &["--json", "show", &line], 0).stdout, before);
    refused(
        dir,
        &["partial", "set", "9999", "1"],
        "no payment line 9999",
    );

    // Set, cleared, set again: the line charges 400.00, and so does the delivery.
    let set = ok(dir, &["--json", "partial", "set", &line, "600"], 0).json();
    assert_eq!(set["partial_payment"], "600.00");
    assert_eq!(set["amount"], "600.00");
    let cleared = ok(dir, &["--json", "partial", "clear", &line], 0).json();
    assert_eq!(cleared["partial_payment"], Value::Null);
    assert_eq!(cleared["amount"], "1000.00");
    let text = ok(dir, &["partial", "set", &line, "400.00"], 0).stdout;
    assert!(
        text.contains(&format!("Line {line} charges 400.00 of entry E1 now")),
        "{text}"
    );
    ok(dir, &["validate"], 0);
    std::fs::create_dir(dir.join("out")).unwrap();
    ok(dir, &["export", "--out", "out", "--no-zip"], 0);
    let archive = ok(dir, &["--json", "archive", "list"], 0).json();
    let sent = &archive["files"][0];
    assert_eq!(sent["delivery_type"], "0601", "{archive:#}");
    assert_eq!(sent["amount"], "400.00", "{archive:#}");

    // Sent: the amount is the bank's now.
    refused(
        dir,
        &["partial", "set", &line, "300"],
        "it is sent: a partial payment is set only on a line not sent yet",
    );
    ok(dir, &["partial", "clear", &line], 2);
    assert_verified(dir);
}

/// The seed's payment date is a field a person writes: `payment-date set` moves a line not
/// sent yet, takes it out of its collective payment (whose id names the old date), and the
/// delivery carries the new date; a sent line keeps the bank's.
#[test]
fn a_payment_date_is_set_by_hand_only_before_the_line_is_sent() {
    let dir = TempDir::new("payment-date");
    let dir = dir.path();
    one_invoice(dir);
    let second = dir.join("second.csv");
    std::fs::write(
        &second,
        "entry_id,debtor,due_date,amount,invoice\nE2,100100,2026-06-01,250.00,5002\n",
    )
    .unwrap();
    ok(dir, &["import", "entries", second.to_str().unwrap()], 0);
    let suggested = ok(dir, &["--json", "suggest"], 0).json();
    let created = json_created(&suggested);
    let (e1, e2) = (
        line_of(&created, "E1").to_string(),
        line_of(&created, "E2").to_string(),
    );
    ok(dir, &["collect"], 0);
    let group = |line: &str| ok(dir, &["--json", "show", line], 0).json()["group"].clone();
    assert_eq!(group(&e1), "100100-20260601");

    // Refused, with the reason, and nothing changes.
    let before = ok(dir, &["--json", "show", &e1], 0).stdout;
    refused(
        dir,
        &["payment-date", "set", "9999", "2026-07-01"],
        "no payment line 9999",
    );
    refused(
        dir,
        &["payment-date", "set", &e1, "2026-07-32"],
        "'2026-07-32' is not a date",
    );
    assert_eq!(ok(dir, &["--json", "show", &e1], 0).stdout, before);

    // Moved: out of the group, which E2 keeps until collect runs again.
    let moved = ok(
        dir,
        &["--json", "payment-date", "set", &e1, "2026-07-01"],
        0,
    )
    .json();
    assert_eq!(moved["payment_date"], "2026-07-01");
    assert_eq!(moved["group"], Value::Null);
    assert_eq!(group(&e2), "100100-20260601");
    let text = ok(dir, &["payment-date", "set", &e1, "2026-07-01"], 0).stdout;
    assert!(
        text.contains(&format!(
            "Line {e1} of entry E1 is now for payment on 2026-07-01"
        )),
        "{text}"
    );
    ok(dir, &["collect"], 0);
    ok(dir, &["validate"], 0);
    std::fs::create_dir(dir.join("out")).unwrap();
    let exported = ok(dir, &["--json", "export", "--out", "out", "--no-zip"], 0).json();
    let path = exported["files"][0]["path"].as_str().unwrap().to_string();
    let text = std::fs::read(dir.join(&path)).unwrap();
    let text = String::from_utf8_lossy(&text);
    // The two charges' 042 records: E1's on 1 July, E2's on 1 June (positions 52-59,
    // DDMMYYYY).
    let dates: Vec<&str> = text
        .lines()
        .filter(|r| r.starts_with("BS042"))
        .map(|r| &r[51..59])
        .collect();
    assert_eq!(dates.len(), 2, "{text}");
    assert!(
        dates.contains(&"01072026") && dates.contains(&"01062026"),
        "{dates:?}"
    );

    // Sent: the date is the bank's now.
    refused(
        dir,
        &["payment-date", "set", &e1, "2026-07-02"],
        "it is sent: a payment date is set only on a line not sent yet",
    );
    assert_verified(dir);
}

#[test]
fn verify_checks_payment_dates_against_the_closing_days_it_is_given() {
    // I9
    let dir = TempDir::new("verify-closing");
    let dir = dir.path();
    one_invoice(dir);
    ok(dir, &["suggest"], 0);
    ok(dir, &["validate"], 0);
    std::fs::create_dir(dir.join("out")).unwrap();
    ok(dir, &["export", "--out", "out", "--no-zip"], 0);
    assert_verified(dir);
    // 1 June 2026 made a closing day after the export: I9 names the charge on it.
    std::fs::write(dir.join("closing.csv"), "date,name\n2026-06-01,Extra\n").unwrap();
    let run = ok(dir, &["--closing-days", "closing.csv", "verify"], 1);
    let failed: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("FAIL"))
        .collect();
    assert_eq!(failed.len(), 1, "{}", run.stdout);
    assert!(
        failed[0].contains("I9")
            && failed[0].contains("payment date 2026-06-01 is not a banking day"),
        "{}",
        run.stdout
    );
}

/// A reader who stops reading (`payrun validate | head`) is not an error: the command does
/// its work, keeps it, and exits with its own code. Rust's `println!` panicked there (exit
/// 101, a backtrace on stderr) after validate had stored its results.
#[test]
fn output_nobody_reads_any_more_is_dropped_not_an_error() {
    use std::process::{Command, Stdio};
    let dir = TempDir::new("run-closed-stdout");
    let dir = dir.path();
    fixture(dir);
    ok(dir, &["suggest"], 0);
    let closed = |args: &[&str]| {
        let mut child = Command::new(support::payrun_bin())
            .args(["--now", NOW])
            .args(args)
            .current_dir(dir)
            .env_remove("RUST_LOG")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run payrun");
        // The reader goes away before the first byte is written.
        drop(child.stdout.take());
        let output = child.wait_with_output().expect("wait for payrun");
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(!stderr.contains("panicked"), "payrun {args:?}: {stderr}");
        assert!(!stderr.contains("error"), "payrun {args:?}: {stderr}");
        output.status.code()
    };
    // Validate finds failures (exit 1) and keeps its results.
    assert_eq!(closed(&["validate"]), Some(1));
    let listed = ok(dir, &["--json", "list"], 0).json();
    let failing = codes_by_entry(&listed)
        .values()
        .filter(|codes| !codes.is_empty())
        .count();
    assert!(failing > 0, "{listed}");
    for args in [
        &["list"][..],
        &["--json", "list"],
        &["validate", "--json"],
        &["calendar", "month", "2026-05"],
        &["verify"],
    ] {
        let code = payrun_in(dir, &[&["--now", NOW][..], args].concat()).code;
        assert_eq!(closed(args), Some(code), "payrun {args:?}");
    }
}

/// A stop is sent as the cancellation of the charge its line went in, and Mastercard cancels
/// a charge whole. Stopping some of the lines of a collective LS charge is refused, naming
/// the others (before, the stopped line could never be exported: it clashed with its own
/// charge's sent lines); stopping them all exports one cancellation for the charge.
#[test]
fn a_collective_ls_charge_is_stopped_whole_or_not_at_all() {
    let dir = TempDir::new("stop-charge");
    let dir = dir.path();
    let generate = [
        "generate",
        "--debtors",
        "100",
        "--entries",
        "500",
        "--out",
        "gen",
        "--seed",
        "3",
    ];
    ok(dir, &generate, 0);
    ok(dir, &["init"], 0);
    // The formats the generated files name.
    for format in engine::generate::BENCHMARK_FORMATS {
        ok(dir, format, 0);
    }
    for kind in ["debtors", "mandates", "entries"] {
        ok(dir, &["import", kind, &format!("gen/{kind}.csv")], 0);
    }
    ok(dir, &["suggest"], 0);
    // Collect and validate set some lines aside (exit 1): only the LS charges matter here.
    payrun_in(dir, &["--now", NOW, "collect"]);
    payrun_in(dir, &["--now", NOW, "validate"]);
    std::fs::create_dir(dir.join("out")).unwrap();
    ok(dir, &["export", "--out", "out"], 0);

    // The first LS charge of two or more lines.
    let sent = ok(dir, &["--json", "list", "--status", "sent"], 0).json();
    let mut charges: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in sent["lines"].as_array().unwrap() {
        if line["format"] == "LS" {
            let reference = line["reference"].as_str().unwrap().to_string();
            charges
                .entry(reference)
                .or_default()
                .push(line["line"].to_string());
        }
    }
    let charge = charges
        .into_values()
        .find(|lines| lines.len() >= 2)
        .expect("a collective LS charge");
    let all: Vec<&str> = charge.iter().map(String::as_str).collect();

    // One line alone, or all but one: refused, nothing changed.
    let whole = format!("(status set --to stop {})", all.join(" "));
    support::refused(
        dir,
        NOW,
        &["status", "set", "--to", "stop", all[0]],
        &format!("line {}: it was sent in one charge with line", all[0]),
    );
    support::refused(
        dir,
        NOW,
        &[&["status", "set", "--to", "stop"][..], &all[1..]].concat(),
        &whole,
    );
    // All of them: one cancellation of the charge.
    ok(
        dir,
        &[&["status", "set", "--to", "stop"][..], &all].concat(),
        0,
    );
    payrun_in(dir, &["--now", NOW, "validate"]);
    let stopped = ok(dir, &["--json", "list", "--status", "stop"], 0).json();
    for line in stopped["lines"].as_array().unwrap() {
        assert_eq!(line["ok"], true, "{line}");
    }
    let exported = ok(dir, &["--json", "export", "--out", "out"], 0).json();
    let files = exported["files"].as_array().unwrap();
    assert_eq!(files.len(), 1, "{exported}");
    assert_eq!(files[0]["format"], "LS");
    assert_eq!(files[0]["charges"], 1);
    assert_eq!(files[0]["lines"], all.len());
    assert_verified(dir);
}
