use super::*;
use chrono::NaiveDate;
use ledger::Amount;
use std::collections::{HashMap, HashSet};

/// A Wednesday, a day before the deadline of June 2026 (2026-05-21 17:30).
const NOW: &str = "2026-05-20T09:00";

fn at(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M").unwrap()
}

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .unwrap_or_else(|e| panic!("'{text}' is not a date: {e}"))
}

struct Files {
    debtors: String,
    mandates: String,
    entries: String,
    summary: GenerateSummary,
}

fn run(debtors: usize, entries: usize, seed: u64, now: &str) -> Files {
    let options = GenerateOptions {
        debtors,
        entries,
        seed,
        now: at(now),
    };
    let (mut d, mut m, mut e) = (Vec::new(), Vec::new(), Vec::new());
    let summary = generate(&options, &Calendar::danish(), &mut d, &mut m, &mut e).unwrap();
    Files {
        debtors: String::from_utf8(d).unwrap(),
        mandates: String::from_utf8(m).unwrap(),
        entries: String::from_utf8(e).unwrap(),
        summary,
    }
}

/// The rows of a file as name → value maps, after checking the header and the field count.
fn rows<'a>(text: &'a str, header: &str) -> Vec<HashMap<&'a str, &'a str>> {
    let mut lines = text.lines();
    let names: Vec<&str> = lines.next().expect("a header row").split(',').collect();
    assert_eq!(names.join(","), header.trim_end());
    assert!(text.ends_with('\n'), "the last row ends with a newline");
    assert!(!text.contains('"'), "nothing is quoted");
    lines
        .enumerate()
        .map(|(index, line)| {
            let values: Vec<&str> = line.split(',').collect();
            assert_eq!(values.len(), names.len(), "row {}: {line}", index + 2);
            names.iter().copied().zip(values).collect()
        })
        .collect()
}

/// The parsed workload, for the tests that check its content.
struct Workload<'a> {
    debtors: Vec<HashMap<&'a str, &'a str>>,
    mandates: Vec<HashMap<&'a str, &'a str>>,
    entries: Vec<HashMap<&'a str, &'a str>>,
}

impl Files {
    fn parse(&self) -> Workload<'_> {
        Workload {
            debtors: rows(&self.debtors, DEBTORS_HEADER),
            mandates: rows(&self.mandates, MANDATES_HEADER),
            entries: rows(&self.entries, ENTRIES_HEADER),
        }
    }
}

fn digits(text: &str, count: usize) -> bool {
    text.len() == count && text.bytes().all(|b| b.is_ascii_digit())
}

/// `count / total` lies within `low..=high` parts per ten thousand.
fn assert_share(what: &str, count: usize, total: usize, low: usize, high: usize) {
    let share = count * 10_000 / total;
    assert!(
        (low..=high).contains(&share),
        "{what}: {count} of {total} is {share} per ten thousand, expected {low} to {high}"
    );
}

#[test]
fn splitmix64_matches_the_reference_outputs() {
    // The first outputs of Vigna's splitmix64.c for seed 1234567.
    let mut rng = SplitMix64::new(1_234_567);
    assert_eq!(rng.next_u64(), 6_457_827_717_110_365_317);
    assert_eq!(rng.next_u64(), 3_203_168_211_198_807_973);
    assert_eq!(rng.next_u64(), 9_817_491_932_198_370_423);
    assert!((0..1000).all(|_| rng.below(7) < 7));
    assert_eq!(rng.below(0), 0);
}

#[test]
fn generate_same_seed_gives_identical_files_and_another_seed_other_files() {
    let a = run(300, 1500, 42, NOW);
    let b = run(300, 1500, 42, NOW);
    assert_eq!(a.debtors, b.debtors);
    assert_eq!(a.mandates, b.mandates);
    assert_eq!(a.entries, b.entries);
    assert_eq!(a.summary, b.summary);
    let c = run(300, 1500, 43, NOW);
    assert_ne!(a.debtors, c.debtors);
    assert_ne!(a.mandates, c.mandates);
    assert_ne!(a.entries, c.entries);
}

#[test]
fn generate_row_counts_keys_and_references_hold() {
    let files = run(2_000, 10_000, 7, NOW);
    let summary = files.summary;
    let workload = files.parse();
    assert_eq!(workload.debtors.len(), 2_000);
    assert_eq!(workload.entries.len(), 10_000);
    assert_eq!(summary.debtors, 2_000);
    assert_eq!(summary.entries, 10_000);
    assert_eq!(summary.mandates, workload.mandates.len());
    assert_eq!(summary.valid + summary.failing.total(), summary.entries);

    // Keys are unique, and in file order sort as text (fixed width).
    let accounts: Vec<&str> = workload.debtors.iter().map(|d| d["account"]).collect();
    assert!(accounts.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(accounts[0], "D0000001");
    let formats: HashMap<&str, &str> = workload
        .debtors
        .iter()
        .map(|d| (d["account"], d["payment_format"]))
        .collect();
    let mandate_ids: Vec<&str> = workload.mandates.iter().map(|m| m["mandate_id"]).collect();
    assert!(mandate_ids.windows(2).all(|w| w[0] < w[1]));
    let entry_ids: Vec<&str> = workload.entries.iter().map(|e| e["entry_id"]).collect();
    assert!(entry_ids.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(entry_ids[0], "E00000001");
    let invoices: Vec<&str> = workload
        .entries
        .iter()
        .map(|e| e["invoice"])
        .filter(|i| !i.is_empty())
        .collect();
    assert_eq!(
        invoices.iter().collect::<HashSet<_>>().len(),
        invoices.len()
    );

    // References resolve, and a mandate is in its debtor's payment format.
    for mandate in &workload.mandates {
        let format = formats
            .get(mandate["debtor"])
            .expect("the mandate's debtor exists");
        assert_eq!(mandate["payment_format"], *format);
        assert_eq!(mandate["mandate_id"], mandate["debtor"]);
    }
    for entry in &workload.entries {
        assert!(
            formats.contains_key(entry["debtor"]),
            "{}",
            entry["entry_id"]
        );
    }
}

#[test]
fn generate_fields_are_what_the_importer_accepts() {
    let files = run(2_000, 10_000, 3, NOW);
    let workload = files.parse();
    for debtor in &workload.debtors {
        assert!(!debtor["name"].is_empty());
        let cvr = debtor["cvr"];
        assert!(cvr.is_empty() || digits(cvr, 8) || digits(cvr, 10), "{cvr}");
        if digits(cvr, 10) {
            assert!(cvr.starts_with("01019"), "synthetic CPR numbers only");
        }
        assert!(["DK", "SE", "NO"].contains(&debtor["country"]));
        match debtor["payment_format"] {
            "LS" => assert!(digits(cvr, 8), "an LS debtor has a CVR number"),
            format => assert_eq!(format, "BS"),
        }
        let email = debtor["email"];
        assert!(email.is_empty() || email.ends_with("@example.com"));
    }
    for mandate in &workload.mandates {
        let id = mandate["mandate_id"];
        assert!(id.len() <= 15 && id == id.to_uppercase());
        let agreement = mandate["agreement"];
        match mandate["status"] {
            "enrolled" => assert!(digits(agreement, 9) && mandate["end_date"].is_empty()),
            "unsubscribed" => assert!(digits(agreement, 9) && !mandate["end_date"].is_empty()),
            "registered" => assert!(agreement.is_empty()),
            status => panic!("unexpected status {status}"),
        }
        for column in ["start_date", "end_date"] {
            if !mandate[column].is_empty() {
                date(mandate[column]);
            }
        }
        assert!(mandate["alt_mandate_id"].is_empty());
    }
    for entry in &workload.entries {
        date(entry["date"]);
        date(entry["due_date"]);
        assert!(entry["date"] <= entry["due_date"], "posted before due");
        let parse = |column: &str| {
            let text = entry[column];
            let (_, decimals) = text.split_once('.').expect("a decimal point");
            assert_eq!(decimals.len(), 2, "{text}");
            let amount = Amount::parse(text).unwrap();
            assert_eq!(amount.to_string(), text);
            amount
        };
        let (amount, remaining) = (parse("amount"), parse("remaining"));
        assert!(!remaining.is_zero());
        assert_eq!(amount.is_negative(), remaining.is_negative());
        assert!(remaining.checked_abs() <= amount.checked_abs());
        if amount.is_positive() {
            assert!((5_000..=500_000).contains(&amount.ore()), "{amount}");
        }
        assert!(["DKK", "EUR"].contains(&entry["currency"]));
        assert!(["true", "false"].contains(&entry["has_invoice_lines"]));
        let invoice = entry["invoice"];
        assert!(invoice.is_empty() || invoice == format!("INV{}", &entry["entry_id"][1..]));
        assert!(!entry["text"].is_empty());
        assert!(entry["payment_id"].is_empty());
    }
}

/// Rebuilds from the files alone which validation code each entry fails with at `now`, checks
/// that it is at most one and that it matches the summary, and checks every entry meant to be
/// valid against the date rules with the calendar.
fn check_validity(now: &str, seed: u64) {
    let files = run(1_000, 6_000, seed, now);
    let workload = files.parse();
    let now = at(now);
    let today = now.date();
    let calendar = Calendar::danish();
    let debtors: HashMap<&str, &HashMap<&str, &str>> =
        workload.debtors.iter().map(|d| (d["account"], d)).collect();
    let mandates: HashMap<&str, &HashMap<&str, &str>> =
        workload.mandates.iter().map(|m| (m["debtor"], m)).collect();
    let mut failing = FailingEntries::default();
    let mut valid = 0;
    // Net amount and net remaining amount per debtor and date: what either charging
    // principle would charge for the collective payment.
    let mut groups: HashMap<(&str, NaiveDate), (i64, i64)> = HashMap::new();
    for entry in &workload.entries {
        let debtor = debtors[entry["debtor"]];
        let ls = debtor["payment_format"] == "LS";
        let due = date(entry["due_date"]);
        let payment_date = due.max(today);
        let active = mandates.get(entry["debtor"]).is_some_and(|m| {
            m["status"] == "enrolled"
                && date(m["start_date"]) <= payment_date
                && (m["end_date"].is_empty() || date(m["end_date"]) > payment_date)
        });
        let faults = [
            !active,
            due < today,
            entry["currency"] != "DKK",
            !ls && entry["invoice"].is_empty(),
            ls && entry["has_invoice_lines"] == "false",
        ];
        let counts = [
            &mut failing.mandate_not_active,
            &mut failing.deadline_passed,
            &mut failing.currency_not_dkk,
            &mut failing.invoice_missing,
            &mut failing.invoice_lines_missing,
        ];
        assert!(
            faults.iter().filter(|&&f| f).count() <= 1,
            "{}: one fault at most",
            entry["entry_id"]
        );
        if let Some((_, count)) = faults.iter().zip(counts).find(|(&f, _)| f) {
            *count += 1;
            continue;
        }
        valid += 1;
        let amount = Amount::parse(entry["amount"]).unwrap();
        let id = entry["entry_id"];
        assert!(calendar.is_banking_day(due).unwrap(), "{id}: {due}");
        assert!(due > today, "{id}: {due}");
        assert!((due - today).num_days() <= 90, "{id}: {due}");
        let deadline = if ls {
            assert!(digits(debtor["cvr"], 8));
            calendar.ls_deadline(due, amount.is_negative(), LS_DEFAULT_CUTOFF)
        } else {
            calendar.bs_deadline(due, false, BS_DEFAULT_CUTOFF)
        };
        assert!(now <= deadline.unwrap(), "{id}: {due}");
        let remaining = Amount::parse(entry["remaining"]).unwrap();
        let net = groups.entry((entry["debtor"], due)).or_default();
        net.0 += amount.ore();
        net.1 += remaining.ore();
    }
    assert_eq!(failing, files.summary.failing);
    assert_eq!(valid, files.summary.valid);
    assert!(valid > 5_000, "most entries are valid: {valid}");
    // Credit notes never make a collective payment zero or negative.
    assert!(groups
        .values()
        .all(|&(amount, remaining)| amount > 0 && remaining > 0));
}

#[test]
fn generate_entries_meant_valid_meet_every_rule_at_now() {
    check_validity(NOW, 1);
    // A minute after June's deadline: July.
    check_validity("2026-05-21T17:31", 2);
    // A minute before it, on the deadline day itself.
    check_validity("2026-05-21T17:29", 3);
    // A Saturday, and across the turn of the year with its closing days.
    check_validity("2026-05-23T10:00", 4);
    check_validity("2026-12-23T12:00", 5);
    check_validity("2026-12-31T23:59", 6);
    // Around Easter 2027 (Maundy Thursday is 25 March).
    check_validity("2027-03-24T16:00", 7);
}

#[test]
fn generate_bs_due_dates_are_in_the_first_month_still_open() {
    let calendar = Calendar::danish();
    let now = at("2026-05-21T17:29");
    let horizon = date("2026-08-19");
    let june = bs_due_dates(&calendar, now, horizon).unwrap();
    assert_eq!(june.first(), Some(&date("2026-06-01")));
    assert!(june.iter().all(|d| d.month() == 6));
    let july = bs_due_dates(&calendar, at("2026-05-21T17:31"), horizon).unwrap();
    assert_eq!(july.first(), Some(&date("2026-07-01")));
    assert!(july.iter().all(|d| d.month() == 7));
}

#[test]
fn generate_mix_is_as_documented() {
    let files = run(4_000, 20_000, 1, NOW);
    let summary = files.summary;
    let workload = files.parse();
    let today = at(NOW).date();
    let debtors = workload.debtors.len();
    let entries = workload.entries.len();

    let ls = workload
        .debtors
        .iter()
        .filter(|d| d["payment_format"] == "LS");
    assert_share("LS debtors", ls.count(), debtors, 700, 1300);
    assert_eq!(summary.debtors_ls * 10_000 / debtors, {
        let ls = workload
            .debtors
            .iter()
            .filter(|d| d["payment_format"] == "LS");
        ls.count() * 10_000 / debtors
    });
    let bs: Vec<_> = workload
        .debtors
        .iter()
        .filter(|d| d["payment_format"] == "BS")
        .collect();
    let cpr = bs.iter().filter(|d| d["cvr"].len() == 10).count();
    let cvr = bs.iter().filter(|d| d["cvr"].len() == 8).count();
    assert_share("BS debtors with a CPR number", cpr, bs.len(), 5_500, 6_500);
    assert_share("BS debtors with a CVR number", cvr, bs.len(), 2_000, 3_000);
    let foreign = workload.debtors.iter().filter(|d| d["country"] != "DK");
    assert_share("foreign debtors", foreign.count(), debtors, 100, 350);

    let status = |s: &str| {
        workload
            .mandates
            .iter()
            .filter(|m| m["status"] == s)
            .count()
    };
    assert_share("enrolled", status("enrolled"), debtors, 9_450, 9_750);
    assert_eq!(status("enrolled"), summary.mandates_enrolled);
    let missing = debtors - workload.mandates.len();
    assert_share("without a mandate", missing, debtors, 100, 350);
    assert_share("registered", status("registered"), debtors, 30, 200);
    assert_share("unsubscribed", status("unsubscribed"), debtors, 30, 200);

    let count =
        |f: &dyn Fn(&HashMap<&str, &str>) -> bool| workload.entries.iter().filter(|e| f(e)).count();
    let credit_notes = count(&|e| e["amount"].starts_with('-'));
    assert_eq!(credit_notes, summary.credit_notes);
    assert_share("credit notes", credit_notes, entries, 200, 450);
    let partly_paid = count(&|e| e["amount"] != e["remaining"]);
    assert_eq!(partly_paid, summary.partly_paid);
    assert_share("partly paid", partly_paid, entries, 100, 350);
    let past_due = count(&|e| date(e["due_date"]) < today);
    assert_share("past due", past_due, entries, 100, 350);
    assert_share("EUR", count(&|e| e["currency"] == "EUR"), entries, 10, 60);
    assert_share(
        "without invoice",
        count(&|e| e["invoice"].is_empty()),
        entries,
        20,
        80,
    );
    let without_lines = count(&|e| e["has_invoice_lines"] == "false");
    assert_share("without invoice lines", without_lines, entries, 5, 50);
    assert_share("LS entries", summary.entries_ls, entries, 600, 1400);
    assert_share("meant valid", summary.valid, entries, 8_800, 9_600);

    // Several invoices per debtor on one date, and several entries per debtor.
    let mut per_date: HashMap<(&str, &str), usize> = HashMap::new();
    let mut per_debtor: HashMap<&str, usize> = HashMap::new();
    for entry in &workload.entries {
        *per_date
            .entry((entry["debtor"], entry["due_date"]))
            .or_default() += 1;
        *per_debtor.entry(entry["debtor"]).or_default() += 1;
    }
    let shared: usize = per_date.values().filter(|&&n| n > 1).sum();
    assert_share(
        "entries sharing debtor and date",
        shared,
        entries,
        5_000,
        8_500,
    );
    assert_share(
        "debtors with entries",
        per_debtor.len(),
        debtors,
        8_500,
        10_000,
    );
    assert!(per_debtor.values().any(|&n| n >= 10));
    // The usual monthly collection day: BS clusters gather on its first banking day.
    let first_day = count(&|e| e["due_date"] == "2026-06-01");
    assert_share("on 1 June", first_day, entries, 3_000, 5_000);
}

#[test]
fn generate_refuses_what_it_cannot_write() {
    let calendar = Calendar::danish();
    let attempt = |debtors, entries, now: &str| {
        let options = GenerateOptions {
            debtors,
            entries,
            seed: 1,
            now: at(now),
        };
        let sink = &mut io::sink();
        generate(&options, &calendar, &mut io::sink(), &mut io::sink(), sink)
    };
    let kind = |result: io::Result<GenerateSummary>| result.unwrap_err().kind();
    assert_eq!(kind(attempt(0, 1, NOW)), io::ErrorKind::InvalidInput);
    assert_eq!(
        kind(attempt(MAX_DEBTORS + 1, 0, NOW)),
        io::ErrorKind::InvalidInput
    );
    assert_eq!(
        kind(attempt(1, MAX_ENTRIES + 1, NOW)),
        io::ErrorKind::InvalidInput
    );
    let end = attempt(1, 1, "2199-12-20T10:00").unwrap_err();
    assert_eq!(end.kind(), io::ErrorKind::InvalidInput);
    assert!(end.to_string().contains("2199"), "{end}");
    // Nothing to generate is not an error: three files with only their headers.
    let empty = run(0, 0, 1, NOW);
    assert_eq!(empty.debtors, DEBTORS_HEADER);
    assert_eq!(empty.mandates, MANDATES_HEADER);
    assert_eq!(empty.entries, ENTRIES_HEADER);
}

#[test]
fn generate_to_dir_writes_the_same_three_files() {
    let dir = std::env::temp_dir().join(format!("payrun-generate-{}", std::process::id()));
    let options = GenerateOptions {
        debtors: 50,
        entries: 200,
        seed: 9,
        now: at(NOW),
    };
    let summary = generate_to_dir(&options, &Calendar::danish(), &dir).unwrap();
    let expected = run(50, 200, 9, NOW);
    assert_eq!(summary, expected.summary);
    let read = |name: &str| fs::read_to_string(dir.join(name)).unwrap();
    assert_eq!(read("debtors.csv"), expected.debtors);
    assert_eq!(read("mandates.csv"), expected.mandates);
    assert_eq!(read("entries.csv"), expected.entries);
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn generate_writes_amounts_and_dates_as_the_ledger_and_chrono_do() {
    for ore in [
        0,
        5,
        50,
        100,
        5_000,
        123_456,
        -1,
        -99,
        -100,
        -250_075,
        i64::MIN,
    ] {
        let mut line = Line::default();
        line.amount(ore);
        assert_eq!(
            String::from_utf8(line.bytes).unwrap(),
            Amount::from_ore(ore).to_string()
        );
    }
    let mut line = Line::default();
    line.digits(0, 1)
        .comma()
        .digits(7, 3)
        .comma()
        .digits(123_456, 2)
        .comma();
    line.digits(u64::MAX, 25);
    assert_eq!(line.bytes, b"0,007,123456,18446744073709551615");
    for text in ["1900-01-01", "2026-05-20", "2199-12-31"] {
        assert_eq!(&date_text(date(text)), text.as_bytes());
    }
}

/// The benchmark's size. Run with
/// `cargo test --release -p engine generate_a_million -- --ignored --nocapture`.
#[test]
#[ignore = "timing: run in release"]
fn generate_a_million_entries_quickly() {
    let options = GenerateOptions {
        debtors: 200_000,
        entries: 1_000_000,
        seed: 1,
        now: at(NOW),
    };
    let calendar = Calendar::danish();
    let (mut d, mut m, mut e) = (io::sink(), io::sink(), io::sink());
    let started = std::time::Instant::now();
    let summary = generate(&options, &calendar, &mut d, &mut m, &mut e).unwrap();
    let to_sink = started.elapsed();
    // Into memory too, so that no write can be optimised away: the bytes are counted.
    let (mut d, mut m, mut e) = (Vec::new(), Vec::new(), Vec::new());
    let started = std::time::Instant::now();
    generate(&options, &calendar, &mut d, &mut m, &mut e).unwrap();
    let to_memory = started.elapsed();
    let bytes = d.len() + m.len() + e.len();
    // And as `payrun generate` writes them: buffered files.
    let dir = std::env::temp_dir().join(format!("payrun-generate-timing-{}", std::process::id()));
    let started = std::time::Instant::now();
    generate_to_dir(&options, &calendar, &dir).unwrap();
    let to_files = started.elapsed();
    fs::remove_dir_all(&dir).unwrap();
    println!(
        "200,000 debtors and 1,000,000 entries ({bytes} bytes): {to_sink:?} into io::sink(), \
         {to_memory:?} into memory, {to_files:?} into files\n{summary:#?}"
    );
    assert_eq!(summary.entries, 1_000_000);
    if !cfg!(debug_assertions) {
        assert!(to_files < std::time::Duration::from_secs(2), "{to_files:?}");
    }
}
