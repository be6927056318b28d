//! The benchmark workload: deterministic debtors, mandates and open entries (`performance.md`).
//!
//! [`generate`] writes the three input files of `cli.md` (`debtors.csv`, `mandates.csv`,
//! `entries.csv`) for a chosen size, seed and "now". The same options give byte-identical files,
//! so a benchmark run can be repeated and two runs compared. Nothing here touches a database: the
//! files go through the ordinary `import` commands like any ERP's.
//!
//! The mix is realistic rather than uniform, so that every stage of the cycle does real work:
//! most debtors are enrolled, a few have no mandate or one that is not active, several invoices
//! of one debtor fall on one date (they become one collective payment), credit notes sit on the
//! same date as an invoice of theirs, some entries are past due, a few are in EUR or lack an
//! invoice number (BS) or invoice lines (LS). The exact rates are the `*_PPM` constants below
//! (parts per million); [`GenerateSummary`] counts what a run wrote and which validation code
//! each entry is meant to fail with.
//!
//! Due dates are placed with the calendar so that an entry without a deliberate fault passes
//! validation at the same `now`: for BS a banking day of the first month whose deadline (17:30 on
//! the 6th-last banking day of the month before) has not passed, for LS a banking day at least
//! 2 banking days ahead whose payout deadline (D-2, 15:00) has not passed; both at most 90 days
//! ahead. Run every later stage with the same `--now`, or the deadlines move under the data.
//!
//! The files assume two payment formats, `BS` (BS Basis, creditor 09990001) and `LS` (creditor
//! 12345), created with the argument lists of [`BENCHMARK_FORMATS`]. The benchmark's set-up:
//!
//! ```text
//! payrun --now 2026-05-20T09:00 generate --debtors 200000 --entries 1000000 --out DIR --seed 1
//! payrun init
//! payrun format add --id BS --scheme bs --creditor 09990001 --supplier-cvr 99887766 --bs-type basis --bank-account 5850 --journal Day
//! payrun format add --id LS --scheme ls --creditor 12345 --supplier-cvr 99887766 --bank-account 5850 --journal Day
//! payrun import debtors DIR/debtors.csv
//! payrun import mandates DIR/mandates.csv
//! payrun import entries DIR/entries.csv
//! payrun --now 2026-05-20T09:00 suggest   (and validate, collect, export with the same --now)
//! ```
//!
//! # Example
//!
//! ```
//! use engine::generate::{generate, GenerateOptions};
//! use chrono::NaiveDate;
//!
//! let now = NaiveDate::from_ymd_opt(2026, 5, 20).unwrap().and_hms_opt(9, 0, 0).unwrap();
//! let options = GenerateOptions { debtors: 10, entries: 50, seed: 1, now };
//! let (mut debtors, mut mandates, mut entries) = (Vec::new(), Vec::new(), Vec::new());
//! let summary = generate(
//!     &options,
//!     &bankcal::Calendar::danish(),
//!     &mut debtors,
//!     &mut mandates,
//!     &mut entries,
//! )?;
//! assert_eq!(summary.entries, 50);
//! assert_eq!(summary.valid + summary.failing.total(), 50);
//! assert!(String::from_utf8(entries).unwrap().starts_with("entry_id,debtor,date,due_date,"));
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! Randomness comes from a small splitmix64 generator seeded per file, and every rate is an
//! integer threshold: no floating point, no extra crates, and the output does not depend on the
//! platform.

use crate::rng::SplitMix64;
use bankcal::{Calendar, CalendarError, BS_DEFAULT_CUTOFF, LS_DEFAULT_CUTOFF};
use chrono::{Datelike, Days, Months, NaiveDate, NaiveDateTime};
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// The id of the benchmark's Betalingsservice (Basis) payment format.
pub const BS_FORMAT_ID: &str = "BS";

/// The id of the benchmark's Leverandørservice payment format.
pub const LS_FORMAT_ID: &str = "LS";

/// The `payrun` arguments (after the program name) that create the two payment formats the
/// generated files refer to, in order.
pub const BENCHMARK_FORMATS: &[&[&str]] = &[
    &[
        "format",
        "add",
        "--id",
        BS_FORMAT_ID,
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
        "--journal",
        "Day",
    ],
    &[
        "format",
        "add",
        "--id",
        LS_FORMAT_ID,
        "--scheme",
        "ls",
        "--creditor",
        "12345",
        "--supplier-cvr",
        "99887766",
        "--bank-account",
        "5850",
        "--journal",
        "Day",
    ],
];

/// The most debtors the fixed-width account numbers (`D0000001`) can hold.
pub const MAX_DEBTORS: usize = 9_999_999;

/// The most entries the fixed-width entry ids (`E00000001`) can hold.
pub const MAX_ENTRIES: usize = 99_999_999;

const MILLION: u64 = 1_000_000;

// Debtors, each drawn independently (parts per million).
/// Debtors paying by LS (companies, always with a CVR number, always in Denmark).
pub const LS_DEBTORS_PPM: u64 = 100_000;
/// BS debtors in Denmark with a (synthetic) CPR number in the `cvr` column.
pub const BS_CPR_PPM: u64 = 600_000;
/// BS debtors in Denmark with a CVR number; the rest of them have neither.
pub const BS_CVR_PPM: u64 = 250_000;
/// BS debtors living in Sweden, and as many in Norway (they have no CPR or CVR number).
pub const FOREIGN_SE_PPM: u64 = 10_000;
pub const FOREIGN_NO_PPM: u64 = 10_000;
/// Debtors with an email address.
pub const WITH_EMAIL_PPM: u64 = 900_000;

// Mandates: every debtor gets exactly one of these outcomes.
/// An enrolled mandate that started a year before now: the debtor can be charged.
pub const MANDATE_ENROLLED_PPM: u64 = 960_000;
/// No mandate row at all.
pub const MANDATE_MISSING_PPM: u64 = 20_000;
/// A mandate registered but not yet enrolled (no agreement number yet).
pub const MANDATE_REGISTERED_PPM: u64 = 10_000;
/// The rest: an unsubscribed mandate, ended in the past 60 days.
pub const MANDATE_UNSUBSCRIBED_PPM: u64 =
    MILLION - MANDATE_ENROLLED_PPM - MANDATE_MISSING_PPM - MANDATE_REGISTERED_PPM;

// Entries.
/// Invoices of one debtor on one date: a cluster has 1, 2, 3, 4 or 6 invoices with these
/// cumulative thresholds (60 %, 22 %, 10 %, 5 %, 3 %).
const CLUSTER_SIZES: [(u64, usize); 5] = [
    (600_000, 1),
    (820_000, 2),
    (920_000, 3),
    (970_000, 4),
    (MILLION, 6),
];
/// BS clusters on the first banking day of the payment month (the usual monthly collection);
/// the rest spread over its banking days.
pub const BS_FIRST_BANKING_DAY_PPM: u64 = 400_000;
/// Entries of an enrolled debtor that are past due (1 to 60 days before today).
pub const PAST_DUE_PPM: u64 = 20_000;
/// Entries of an enrolled debtor in EUR.
pub const NOT_DKK_PPM: u64 = 3_000;
/// BS entries of an enrolled debtor without an invoice number.
pub const WITHOUT_INVOICE_PPM: u64 = 5_000;
/// LS entries of an enrolled debtor without invoice lines.
pub const WITHOUT_INVOICE_LINES_PPM: u64 = 20_000;
/// After an invoice that is not partly paid: a credit note for 10 % to 90 % of it, same
/// debtor and due date (about 3 % of all entries).
pub const CREDIT_NOTE_PPM: u64 = 32_000;
/// Invoices that are partly paid: remaining between 0.01 and the amount less 0.01.
pub const PARTLY_PAID_PPM: u64 = 20_000;
/// Invoice amounts, in øre: 50.00 to 5,000.00.
const AMOUNT_MIN_ORE: u64 = 5_000;
const AMOUNT_MAX_ORE: u64 = 500_000;
/// How far ahead LS due dates reach (the rule allows 90).
const LS_SPREAD_DAYS: u64 = 60;

const DEBTORS_HEADER: &str =
    "account,name,cvr,address,postcode,city,country,email,payment_format\n";
const MANDATES_HEADER: &str =
    "mandate_id,debtor,payment_format,status,agreement,start_date,end_date,alt_mandate_id\n";
const ENTRIES_HEADER: &str =
    "entry_id,debtor,date,due_date,invoice,amount,remaining,currency,text,has_invoice_lines,payment_id\n";

// Independent streams per file, so that changing one file's mix does not reshuffle the others.
const DEBTOR_STREAM: u64 = 0x6465_6274_6f72_7300;
const MANDATE_STREAM: u64 = 0x6d61_6e64_6174_6500;
const ENTRY_STREAM: u64 = 0x656e_7472_6965_7300;

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenerateOptions {
    pub debtors: usize,
    pub entries: usize,
    pub seed: u64,
    /// Danish local time; due dates are placed to pass validation at this moment.
    pub now: chrono::NaiveDateTime,
}

/// What a run wrote, for the benchmark's report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GenerateSummary {
    /// Rows in `debtors.csv` (without the header).
    pub debtors: usize,
    /// Debtors with payment format `LS`.
    pub debtors_ls: usize,
    /// Rows in `mandates.csv`.
    pub mandates: usize,
    /// Mandates with status `enrolled`.
    pub mandates_enrolled: usize,
    /// Rows in `entries.csv`.
    pub entries: usize,
    /// Entries of LS debtors.
    pub entries_ls: usize,
    /// Entries meant to pass validation at `now`: every rule holds except possibly
    /// `duplicate-debtor-date` between entries of one debtor and date, which `collect` resolves
    /// by merging them into a collective payment (always with a positive net amount).
    pub valid: usize,
    /// Entries meant to fail, by the one validation code each is built to fail with.
    pub failing: FailingEntries,
    /// Negative entries (each on the date of an invoice of the same debtor).
    pub credit_notes: usize,
    /// Invoices whose remaining amount is less than the amount.
    pub partly_paid: usize,
}

/// Entries meant to fail validation, by code. Each entry has exactly one deliberate fault.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FailingEntries {
    /// `mandate-not-active`: the debtor has no mandate, or one registered or unsubscribed.
    pub mandate_not_active: usize,
    /// `deadline-passed`: past due; `suggest` moves the payment date to today, too late.
    pub deadline_passed: usize,
    /// `currency-not-dkk`: in EUR.
    pub currency_not_dkk: usize,
    /// `invoice-missing`: a BS entry without an invoice number.
    pub invoice_missing: usize,
    /// `invoice-lines-missing`: an LS entry without invoice lines.
    pub invoice_lines_missing: usize,
}

impl FailingEntries {
    pub fn total(&self) -> usize {
        self.by_code().iter().map(|(_, count)| count).sum()
    }

    /// The counts with their validation codes, for a report.
    pub fn by_code(&self) -> [(&'static str, usize); 5] {
        [
            ("mandate-not-active", self.mandate_not_active),
            ("deadline-passed", self.deadline_passed),
            ("currency-not-dkk", self.currency_not_dkk),
            ("invoice-missing", self.invoice_missing),
            ("invoice-lines-missing", self.invoice_lines_missing),
        ]
    }
}

/// Writes the three files into `dir` (created if missing) as `debtors.csv`, `mandates.csv` and
/// `entries.csv`, replacing files of those names.
pub fn generate_to_dir(
    options: &GenerateOptions,
    calendar: &Calendar,
    dir: &Path,
) -> io::Result<GenerateSummary> {
    generate_to_dir_with_progress(options, calendar, dir, &mut crate::progress::none())
}

/// [`generate_to_dir`], reporting the rows of `entries.csv` written so far (the header
/// counts as one).
pub fn generate_to_dir_with_progress(
    options: &GenerateOptions,
    calendar: &Calendar,
    dir: &Path,
    progress: crate::progress::Progress<'_>,
) -> io::Result<GenerateSummary> {
    fs::create_dir_all(dir)?;
    let create = |name: &str| File::create(dir.join(name)).map(BufWriter::new);
    let mut debtors = create("debtors.csv")?;
    let mut mandates = create("mandates.csv")?;
    let total = u64::try_from(options.entries)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    let mut entries =
        crate::progress::LineCountingWriter::new(create("entries.csv")?, total, progress);
    let summary = generate(options, calendar, &mut debtors, &mut mandates, &mut entries)?;
    // Flushing here rather than on drop, which would swallow a full disk.
    debtors.flush()?;
    mandates.flush()?;
    entries.get_mut().flush()?;
    Ok(summary)
}

/// Writes the workload as three CSV files (header row, then rows; nothing quoted). Pass
/// buffered writers: rows are written field by field.
///
/// Fails with `InvalidInput` when there are entries but no debtors, when the counts exceed
/// [`MAX_DEBTORS`] / [`MAX_ENTRIES`], or when `now` is too close to the calendar's range
/// (1900–2199) to place due dates; otherwise only with the writers' errors.
pub fn generate(
    options: &GenerateOptions,
    calendar: &Calendar,
    debtors: &mut impl Write,
    mandates: &mut impl Write,
    entries: &mut impl Write,
) -> io::Result<GenerateSummary> {
    if options.debtors > MAX_DEBTORS {
        return Err(invalid_input(format!(
            "at most {MAX_DEBTORS} debtors can be generated, not {}",
            options.debtors
        )));
    }
    if options.entries > MAX_ENTRIES {
        return Err(invalid_input(format!(
            "at most {MAX_ENTRIES} entries can be generated, not {}",
            options.entries
        )));
    }
    if options.entries > 0 && options.debtors == 0 {
        return Err(invalid_input(
            "entries need debtors: give at least one debtor".to_string(),
        ));
    }
    let dates = DatePlan::new(calendar, options.now)?;
    let mut summary = GenerateSummary::default();
    let mut kinds = write_debtors(options, debtors, &mut summary)?;
    write_mandates(options, &dates, &mut kinds, mandates, &mut summary)?;
    write_entries(options, &dates, &kinds, entries, &mut summary)?;
    Ok(summary)
}

/// What the entries need to know of a debtor.
#[derive(Debug, Clone, Copy)]
struct DebtorKind {
    ls: bool,
    mandate_active: bool,
}

/// A date as its ten bytes `YYYY-MM-DD`, formatted once rather than once per row.
type DateText = [u8; 10];

/// The dates the rows draw from, computed once from `now` and the calendar.
struct DatePlan {
    /// BS due dates that pass validation; the first is the month's first such banking day.
    bs: Vec<DateText>,
    /// LS due dates that pass validation, collections and payouts alike.
    ls: Vec<DateText>,
    /// Today and the 90 days before it: `recent[k]` is `k` days ago.
    recent: Vec<DateText>,
    /// A year before today: the start of the enrolled mandates.
    year_ago: DateText,
}

impl DatePlan {
    fn new(calendar: &Calendar, now: NaiveDateTime) -> io::Result<DatePlan> {
        let today = now.date();
        let days_from_today = |n: u64| today.checked_add_days(Days::new(n));
        let horizon = days_from_today(90).ok_or_else(|| out_of_range(now))?;
        let bs = bs_due_dates(calendar, now, horizon).map_err(calendar_error)?;
        let ls = ls_due_dates(calendar, now).map_err(calendar_error)?;
        if bs.is_empty() || ls.is_empty() {
            return Err(out_of_range(now));
        }
        let recent = (0..=90)
            .map(|k| today.checked_sub_days(Days::new(k)).map(date_text))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| out_of_range(now))?;
        let year_ago = today
            .checked_sub_months(Months::new(12))
            .map(date_text)
            .ok_or_else(|| out_of_range(now))?;
        Ok(DatePlan {
            bs: bs.into_iter().map(date_text).collect(),
            ls: ls.into_iter().map(date_text).collect(),
            recent,
            year_ago,
        })
    }

    /// A day in the past: 1 to 60 days before today.
    fn past(&self, rng: &mut SplitMix64) -> &DateText {
        &self.recent[1 + rng.below(60) as usize]
    }
}

/// The banking days of the first month whose BS deadline has not passed at `now`, up to the
/// 90-day horizon. The current month's deadline lies in the month before, so the search starts
/// with next month; the month after that is the latest it can take.
fn bs_due_dates(
    calendar: &Calendar,
    now: NaiveDateTime,
    horizon: NaiveDate,
) -> Result<Vec<NaiveDate>, CalendarError> {
    let today = now.date();
    let Some(first_of_this_month) = today.with_day(1) else {
        return Ok(Vec::new());
    };
    for ahead in 1..=3 {
        let Some(first) = first_of_this_month.checked_add_months(Months::new(ahead)) else {
            return Ok(Vec::new());
        };
        if now < calendar.bs_deadline(first, false, BS_DEFAULT_CUTOFF)? {
            let mut days = calendar.banking_days_in_month(first.year(), first.month())?;
            days.retain(|&day| day > today && day <= horizon);
            return Ok(days);
        }
    }
    Ok(Vec::new())
}

/// Banking days from 2 banking days after today up to [`LS_SPREAD_DAYS`] ahead whose payout
/// deadline (2 banking days before, the stricter of the two) has not passed at `now`, so that
/// collections and credit notes on them both pass.
fn ls_due_dates(calendar: &Calendar, now: NaiveDateTime) -> Result<Vec<NaiveDate>, CalendarError> {
    let today = now.date();
    let earliest = calendar.add_banking_days(today, 2)?;
    let Some(latest) = today.checked_add_days(Days::new(LS_SPREAD_DAYS)) else {
        return Ok(Vec::new());
    };
    let mut days = Vec::new();
    for day in earliest.iter_days().take_while(|&day| day <= latest) {
        if calendar.is_banking_day(day)?
            && now < calendar.ls_deadline(day, true, LS_DEFAULT_CUTOFF)?
        {
            days.push(day);
        }
    }
    Ok(days)
}

fn write_debtors(
    options: &GenerateOptions,
    out: &mut impl Write,
    summary: &mut GenerateSummary,
) -> io::Result<Vec<DebtorKind>> {
    let mut rng = SplitMix64::new(options.seed ^ DEBTOR_STREAM);
    let mut kinds = Vec::with_capacity(options.debtors);
    let mut line = Line::default();
    out.write_all(DEBTORS_HEADER.as_bytes())?;
    for number in 1..=options.debtors {
        let ls = rng.chance(LS_DEBTORS_PPM);
        let country_roll = rng.below(MILLION);
        let country = if ls || country_roll >= FOREIGN_SE_PPM + FOREIGN_NO_PPM {
            "DK"
        } else if country_roll < FOREIGN_SE_PPM {
            "SE"
        } else {
            "NO"
        };
        let tax_roll = rng.below(MILLION);
        let tax_id = if ls {
            TaxId::Cvr
        } else if country != "DK" {
            TaxId::None
        } else if tax_roll < BS_CPR_PPM {
            TaxId::Cpr
        } else if tax_roll < BS_CPR_PPM + BS_CVR_PPM {
            TaxId::Cvr
        } else {
            TaxId::None
        };

        line.account(number).comma();
        // Persons have CPR numbers, companies CVR numbers; either may have none.
        if tax_id == TaxId::Cpr || (tax_id == TaxId::None && !rng.chance(300_000)) {
            let (first, last) = (rng.pick(FIRST_NAMES), rng.pick(LAST_NAMES));
            line.text(first).text(" ").text(last).comma();
        } else {
            let (name, form) = (rng.pick(COMPANY_NAMES), rng.pick(COMPANY_FORMS));
            line.text(name).text(" ").text(form).comma();
        }
        match tax_id {
            // Synthetic: 01-01-9x with a serial, obviously not a real person's number.
            TaxId::Cpr => line.text("01019").digits(rng.below(100_000), 5),
            TaxId::Cvr => line.digits(90_000_000 + rng.below(10_000_000), 8),
            TaxId::None => &mut line,
        }
        .comma();
        let (street, house) = (rng.pick(STREETS), 1 + rng.below(150));
        line.text(street).text(" ").digits(house, 1).comma();
        let (postcode, city) = match country {
            "SE" => *rng.pick(SWEDISH_TOWNS),
            "NO" => *rng.pick(NORWEGIAN_TOWNS),
            _ => *rng.pick(DANISH_TOWNS),
        };
        line.text(postcode).comma().text(city).comma();
        line.text(country).comma();
        if rng.chance(WITH_EMAIL_PPM) {
            line.text("d").digits(number as u64, 7).text("@example.com");
        }
        line.comma()
            .text(if ls { LS_FORMAT_ID } else { BS_FORMAT_ID });
        line.end(out)?;

        summary.debtors += 1;
        summary.debtors_ls += usize::from(ls);
        kinds.push(DebtorKind {
            ls,
            mandate_active: false,
        });
    }
    Ok(kinds)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TaxId {
    Cpr,
    Cvr,
    None,
}

fn write_mandates(
    options: &GenerateOptions,
    dates: &DatePlan,
    kinds: &mut [DebtorKind],
    out: &mut impl Write,
    summary: &mut GenerateSummary,
) -> io::Result<()> {
    let mut rng = SplitMix64::new(options.seed ^ MANDATE_STREAM);
    let mut line = Line::default();
    out.write_all(MANDATES_HEADER.as_bytes())?;
    for (index, kind) in kinds.iter_mut().enumerate() {
        let number = index + 1;
        let roll = rng.below(MILLION);
        if (MANDATE_ENROLLED_PPM..MANDATE_ENROLLED_PPM + MANDATE_MISSING_PPM).contains(&roll) {
            continue;
        }
        let format = if kind.ls { LS_FORMAT_ID } else { BS_FORMAT_ID };
        // The mandate id is the debtor's account, as most ERPs use it as customer number.
        line.account(number).comma().account(number).comma();
        line.text(format).comma();
        let agreement = number as u64;
        if roll < MANDATE_ENROLLED_PPM {
            line.text("enrolled,").digits(agreement, 9).comma();
            line.date(&dates.year_ago).comma().comma();
            kind.mandate_active = true;
            summary.mandates_enrolled += 1;
        } else if roll < MANDATE_ENROLLED_PPM + MANDATE_MISSING_PPM + MANDATE_REGISTERED_PPM {
            // Registered with us, not yet confirmed by Mastercard: no agreement number yet.
            line.text("registered,,");
            line.date(&dates.recent[rng.below(30) as usize])
                .comma()
                .comma();
        } else {
            line.text("unsubscribed,").digits(agreement, 9).comma();
            line.date(&dates.year_ago).comma();
            line.date(dates.past(&mut rng)).comma();
        }
        line.end(out)?;
        summary.mandates += 1;
    }
    Ok(())
}

/// The one deliberate fault of an entry, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    None,
    MandateNotActive,
    PastDue,
    NotDkk,
    WithoutInvoice,
    WithoutInvoiceLines,
}

impl Fault {
    /// The fault of an entry of an enrolled debtor.
    fn draw(rng: &mut SplitMix64, ls: bool) -> Fault {
        let roll = rng.below(MILLION);
        if roll < PAST_DUE_PPM {
            Fault::PastDue
        } else if roll < PAST_DUE_PPM + NOT_DKK_PPM {
            Fault::NotDkk
        } else if !ls && roll < PAST_DUE_PPM + NOT_DKK_PPM + WITHOUT_INVOICE_PPM {
            Fault::WithoutInvoice
        } else if ls && roll < PAST_DUE_PPM + NOT_DKK_PPM + WITHOUT_INVOICE_LINES_PPM {
            Fault::WithoutInvoiceLines
        } else {
            Fault::None
        }
    }

    fn count(self, summary: &mut GenerateSummary) {
        let failing = &mut summary.failing;
        match self {
            Fault::None => summary.valid += 1,
            Fault::MandateNotActive => failing.mandate_not_active += 1,
            Fault::PastDue => failing.deadline_passed += 1,
            Fault::NotDkk => failing.currency_not_dkk += 1,
            Fault::WithoutInvoice => failing.invoice_missing += 1,
            Fault::WithoutInvoiceLines => failing.invoice_lines_missing += 1,
        }
    }
}

/// One entries row.
struct EntryRow<'a> {
    debtor: usize,
    posting_date: &'a DateText,
    due_date: &'a DateText,
    has_invoice: bool,
    amount_ore: i64,
    remaining_ore: i64,
    currency: &'a str,
    text: &'a str,
    has_invoice_lines: bool,
}

fn write_entries(
    options: &GenerateOptions,
    dates: &DatePlan,
    kinds: &[DebtorKind],
    out: &mut impl Write,
    summary: &mut GenerateSummary,
) -> io::Result<()> {
    let mut rng = SplitMix64::new(options.seed ^ ENTRY_STREAM);
    let mut line = Line::default();
    out.write_all(ENTRIES_HEADER.as_bytes())?;
    let mut number = 0;
    while number < options.entries {
        // Clusters: several invoices of one debtor on one date, one debtor at a time.
        let debtor = rng.below(kinds.len() as u64) as usize;
        let kind = kinds[debtor];
        let due_date = if kind.ls {
            rng.pick(&dates.ls)
        } else if rng.chance(BS_FIRST_BANKING_DAY_PPM) {
            &dates.bs[0]
        } else {
            rng.pick(&dates.bs)
        };
        let posting_date = &dates.recent[rng.below(31) as usize];
        let size = cluster_size(&mut rng);
        for _ in 0..size {
            if number == options.entries {
                break;
            }
            let fault = if kind.mandate_active {
                Fault::draw(&mut rng, kind.ls)
            } else {
                Fault::MandateNotActive
            };
            let amount_ore = AMOUNT_MIN_ORE + rng.below(AMOUNT_MAX_ORE - AMOUNT_MIN_ORE + 1);
            let partly_paid = rng.chance(PARTLY_PAID_PPM);
            let remaining_ore = if partly_paid {
                summary.partly_paid += 1;
                1 + rng.below(amount_ore - 1)
            } else {
                amount_ore
            };
            let (due_date, posting_date) = if fault == Fault::PastDue {
                let days_ago = 1 + rng.below(60) as usize;
                let posted_ago = days_ago + 8 + rng.below(23) as usize;
                (&dates.recent[days_ago], &dates.recent[posted_ago])
            } else {
                (due_date, posting_date)
            };
            let text = rng.pick(INVOICE_TEXTS);
            let row = EntryRow {
                debtor: debtor + 1,
                posting_date,
                due_date,
                has_invoice: fault != Fault::WithoutInvoice,
                amount_ore: amount_ore as i64,
                remaining_ore: remaining_ore as i64,
                currency: if fault == Fault::NotDkk { "EUR" } else { "DKK" },
                text,
                has_invoice_lines: fault != Fault::WithoutInvoiceLines,
            };
            number += 1;
            write_entry(&mut line, out, number, &row)?;
            fault.count(summary);
            summary.entries += 1;
            summary.entries_ls += usize::from(kind.ls);

            // A credit note copies its invoice's row (debtor, dates, currency, flags, and so
            // its fault): it never stands alone on its date, and being smaller than the
            // invoice's remaining amount, it keeps the collective payment it joins positive
            // under either charging principle.
            if !partly_paid && number < options.entries && rng.chance(CREDIT_NOTE_PPM) {
                let share_per_mille = 100 + rng.below(801);
                let credit_ore = (amount_ore * share_per_mille / 1000) as i64;
                let credit = EntryRow {
                    amount_ore: -credit_ore,
                    remaining_ore: -credit_ore,
                    text: "Kreditnota",
                    ..row
                };
                number += 1;
                write_entry(&mut line, out, number, &credit)?;
                fault.count(summary);
                summary.entries += 1;
                summary.entries_ls += usize::from(kind.ls);
                summary.credit_notes += 1;
            }
        }
    }
    Ok(())
}

fn cluster_size(rng: &mut SplitMix64) -> usize {
    let roll = rng.below(MILLION);
    CLUSTER_SIZES
        .iter()
        .find(|&&(threshold, _)| roll < threshold)
        .map_or(1, |&(_, size)| size)
}

fn write_entry(
    line: &mut Line,
    out: &mut impl Write,
    number: usize,
    row: &EntryRow<'_>,
) -> io::Result<()> {
    let number = number as u64;
    line.text("E").digits(number, 8).comma();
    line.account(row.debtor).comma();
    line.date(row.posting_date)
        .comma()
        .date(row.due_date)
        .comma();
    if row.has_invoice {
        // The entry number doubles as invoice number: unique, and credit notes get their own.
        line.text("INV").digits(number, 8);
    }
    line.comma().amount(row.amount_ore).comma();
    line.amount(row.remaining_ore).comma();
    line.text(row.currency).comma().text(row.text).comma();
    line.text(if row.has_invoice_lines {
        "true"
    } else {
        "false"
    });
    // The payment id stays empty.
    line.comma().end(out)
}

/// One CSV row, assembled in a reused buffer and written with one call. At a million rows the
/// `fmt` machinery behind `write!` would cost more than the bytes themselves.
#[derive(Default)]
struct Line {
    bytes: Vec<u8>,
}

impl Line {
    fn text(&mut self, text: &str) -> &mut Line {
        self.bytes.extend_from_slice(text.as_bytes());
        self
    }

    fn comma(&mut self) -> &mut Line {
        self.bytes.push(b',');
        self
    }

    /// `n` in decimal, padded with leading zeros to at least `width` digits.
    fn digits(&mut self, n: u64, width: usize) -> &mut Line {
        let mut buffer = [b'0'; 20];
        let mut start = buffer.len();
        let mut rest = n;
        loop {
            start -= 1;
            buffer[start] = b'0' + (rest % 10) as u8;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        let start = start.min(buffer.len().saturating_sub(width));
        self.bytes.extend_from_slice(&buffer[start..]);
        self
    }

    /// A debtor account, fixed width so that it sorts as text: `D0000001`.
    fn account(&mut self, number: usize) -> &mut Line {
        self.text("D").digits(number as u64, 7)
    }

    fn date(&mut self, date: &DateText) -> &mut Line {
        self.bytes.extend_from_slice(date);
        self
    }

    /// An amount in øre as `ledger::Amount` prints it: `-1234.50`.
    fn amount(&mut self, ore: i64) -> &mut Line {
        if ore < 0 {
            self.bytes.push(b'-');
        }
        let abs = ore.unsigned_abs();
        self.digits(abs / 100, 1).text(".").digits(abs % 100, 2)
    }

    /// Ends the row and writes it.
    fn end(&mut self, out: &mut impl Write) -> io::Result<()> {
        self.bytes.push(b'\n');
        let written = out.write_all(&self.bytes);
        self.bytes.clear();
        written
    }
}

fn date_text(date: NaiveDate) -> DateText {
    let digit = |n: u32| b'0' + (n % 10) as u8;
    let year = u32::try_from(date.year()).unwrap_or(0);
    let (month, day) = (date.month(), date.day());
    [
        digit(year / 1000),
        digit(year / 100),
        digit(year / 10),
        digit(year),
        b'-',
        digit(month / 10),
        digit(month),
        b'-',
        digit(day / 10),
        digit(day),
    ]
}

fn invalid_input(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message)
}

fn calendar_error(error: CalendarError) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, error)
}

fn out_of_range(now: NaiveDateTime) -> io::Error {
    invalid_input(format!(
        "cannot place due dates around {}: too close to the calendar's range (1900-2199)",
        now.format("%Y-%m-%dT%H:%M")
    ))
}

const FIRST_NAMES: &[&str] = &[
    "Anne", "Søren", "Mette", "Jens", "Kirsten", "Niels", "Hanne", "Lars", "Birgitte", "Peter",
    "Karen", "Mikkel", "Signe", "Rasmus", "Ida", "Frederik", "Astrid", "Jørgen", "Lærke", "Mads",
];

const LAST_NAMES: &[&str] = &[
    "Jensen",
    "Nielsen",
    "Hansen",
    "Pedersen",
    "Andersen",
    "Christensen",
    "Larsen",
    "Sørensen",
    "Rasmussen",
    "Jørgensen",
    "Petersen",
    "Madsen",
    "Kristensen",
    "Olsen",
    "Thomsen",
    "Poulsen",
    "Johansen",
    "Møller",
    "Mortensen",
    "Østergaard",
];

const COMPANY_NAMES: &[&str] = &[
    "Nordvest Byg",
    "Havnens Bageri",
    "Fjord Consult",
    "Skov og Have",
    "Lindholm Transport",
    "Østerbro Tandklinik",
    "Kilde VVS",
    "Bakke Elektro",
    "Møllegården",
    "Strand Revision",
    "Ålborg Maskinservice",
    "Vestjysk Tømrer",
];

const COMPANY_FORMS: &[&str] = &["ApS", "A/S", "I/S"];

const STREETS: &[&str] = &[
    "Vestergade",
    "Østergade",
    "Nørregade",
    "Søndergade",
    "Algade",
    "Skolevej",
    "Kirkevej",
    "Møllevej",
    "Engvej",
    "Birkevej",
    "Bøgevej",
    "Stationsvej",
    "Havnegade",
    "Strandvejen",
    "Åboulevarden",
];

const DANISH_TOWNS: &[(&str, &str)] = &[
    ("1050", "København K"),
    ("2100", "København Ø"),
    ("2200", "København N"),
    ("2300", "København S"),
    ("2500", "Valby"),
    ("2800", "Kongens Lyngby"),
    ("3000", "Helsingør"),
    ("4000", "Roskilde"),
    ("5000", "Odense C"),
    ("6000", "Kolding"),
    ("6700", "Esbjerg"),
    ("7100", "Vejle"),
    ("8000", "Aarhus C"),
    ("8700", "Horsens"),
    ("9000", "Aalborg"),
    ("9700", "Brønderslev"),
];

const SWEDISH_TOWNS: &[(&str, &str)] = &[("211 20", "Malmö"), ("411 04", "Göteborg")];

const NORWEGIAN_TOWNS: &[(&str, &str)] = &[("0150", "Oslo"), ("5003", "Bergen")];

const INVOICE_TEXTS: &[&str] = &[
    "Husleje",
    "Vand og varme",
    "Kontingent",
    "Serviceaftale",
    "Forsikring",
    "Abonnement",
    "Elregning",
];

#[cfg(test)]
mod tests;
