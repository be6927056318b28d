//! Reading the CSV input files of `cli.md`: debtors, mandates and open debtor entries.
//!
//! This module is pure: it turns text into typed rows ([`Debtor`], [`Mandate`],
//! [`ledger::Entry`]) or into [`RowProblem`]s, and knows nothing of the database. The store
//! applies the rows (`Store::import_debtors` and friends), checks what needs the database
//! (unknown debtor, unknown payment format) and refuses the whole file if any row was bad.
//!
//! Rows are read one at a time ([`CsvRows`] is an iterator), so a file of a million entries is
//! never held in memory twice.
//!
//! The rules, beyond `cli.md`:
//! - the line number of a row is its physical 1-based line in the file (the header is line 1);
//! - values are taken exactly as written; key and reference columns (`account`, `entry_id`,
//!   `mandate_id`, `debtor`, `payment_format`) may not start or end with a blank;
//! - an empty optional value means "not given" (its default applies);
//! - mandate ids (and alternative mandate ids) are normalised to upper case, as Mastercard
//!   does; two rows whose ids differ only in case are the same mandate;
//! - country codes and currency codes are normalised to upper case;
//! - a payment id, when given, is a FIK71 payment id: 15 digits, the last a Luhn check digit;
//! - an agreement number, when given, is 9 digits;
//! - every file has the limits [`Limits::DEFAULT`].

use crate::model::{Debtor, FastMap, Mandate, MandateStatus, TaxId};
use chrono::NaiveDate;
use ledger::{Amount, Entry, Id};
use std::collections::VecDeque;
use std::fmt;
use std::io::{self, Read};
use std::marker::PhantomData;

/// Size limits of a CSV file: past them the file is refused with a clear message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_file_bytes: u64,
    /// Data rows, the header not counted.
    pub max_rows: usize,
    /// Characters in one value.
    pub max_field_chars: usize,
    /// Problems kept in an [`ImportError`]; the rest are only counted.
    pub max_problems: usize,
}

impl Limits {
    /// 1 GiB, 20,000,000 rows, 1,000 characters a value, 1,000 problems reported.
    pub const DEFAULT: Limits = Limits {
        max_file_bytes: 1 << 30,
        max_rows: 20_000_000,
        max_field_chars: 1_000,
        max_problems: 1_000,
    };
}

/// The longest mandate id (customer number).
pub const MAX_MANDATE_ID_CHARS: usize = 15;

/// The three CSV input files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CsvKind {
    Debtors,
    Mandates,
    Entries,
}

/// A column of a CSV file: its exact name and whether it must be present.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub name: &'static str,
    pub required: bool,
}

const fn required(name: &'static str) -> Column {
    Column {
        name,
        required: true,
    }
}

const fn optional(name: &'static str) -> Column {
    Column {
        name,
        required: false,
    }
}

const DEBTOR_COLUMNS: &[Column] = &[
    required("account"),
    required("name"),
    optional("cvr"),
    optional("address"),
    optional("postcode"),
    optional("city"),
    optional("country"),
    optional("email"),
    optional("payment_format"),
];

const MANDATE_COLUMNS: &[Column] = &[
    required("mandate_id"),
    required("debtor"),
    required("payment_format"),
    required("status"),
    optional("agreement"),
    optional("start_date"),
    optional("end_date"),
    optional("alt_mandate_id"),
];

const ENTRY_COLUMNS: &[Column] = &[
    required("entry_id"),
    required("debtor"),
    required("due_date"),
    required("amount"),
    optional("date"),
    optional("invoice"),
    optional("remaining"),
    optional("currency"),
    optional("text"),
    optional("has_invoice_lines"),
    optional("payment_id"),
];

impl CsvKind {
    /// The columns of the file, required ones first.
    pub fn columns(self) -> &'static [Column] {
        match self {
            CsvKind::Debtors => DEBTOR_COLUMNS,
            CsvKind::Mandates => MANDATE_COLUMNS,
            CsvKind::Entries => ENTRY_COLUMNS,
        }
    }

    /// The key column: importing a row with a known key updates that row.
    pub fn key_column(self) -> &'static str {
        self.columns()[0].name
    }

    /// `debtors`, `mandates` or `entries`, as on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            CsvKind::Debtors => "debtors",
            CsvKind::Mandates => "mandates",
            CsvKind::Entries => "entries",
        }
    }
}

/// One thing wrong with a CSV file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    /// The physical 1-based line in the file (the header is line 1); 0 for the whole file.
    pub line: usize,
    /// The column the problem is in, when it is in one.
    pub column: Option<String>,
    pub message: String,
}

impl RowProblem {
    pub fn new(line: usize, column: Option<&str>, message: impl Into<String>) -> RowProblem {
        RowProblem {
            line,
            column: column.map(str::to_string),
            message: message.into(),
        }
    }
}

/// A CSV file refused whole: every bad row with what was wrong.
///
/// Displayed one problem a line, like
/// `entries.csv:4: amount: '12.345' has more than two decimals: amounts are never rounded`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    pub file: String,
    /// In file order, at most [`Limits::max_problems`] of them.
    pub problems: Vec<RowProblem>,
    /// Problems found beyond those kept.
    pub more: usize,
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{}:", self.file)?;
            if problem.line > 0 {
                write!(f, "{}:", problem.line)?;
            }
            if let Some(column) = &problem.column {
                write!(f, " {column}:")?;
            }
            write!(f, " {}", problem.message)?;
        }
        if self.more > 0 {
            let problems = if self.more == 1 {
                "problem"
            } else {
                "problems"
            };
            write!(
                f,
                "\n{}: {} more {problems} not shown; nothing was imported",
                self.file, self.more
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for ImportError {}

/// Collects the problems of one file, keeping the first [`Limits::max_problems`].
#[derive(Debug)]
pub struct Problems {
    file: String,
    kept: Vec<RowProblem>,
    more: usize,
    max: usize,
}

impl Problems {
    pub fn new(file: &str, limits: &Limits) -> Problems {
        Problems {
            file: file.to_string(),
            kept: Vec::new(),
            more: 0,
            max: limits.max_problems,
        }
    }

    pub fn push(&mut self, problem: RowProblem) {
        if self.kept.len() < self.max {
            self.kept.push(problem);
        } else {
            self.more += 1;
        }
    }

    pub fn extend(&mut self, problems: impl IntoIterator<Item = RowProblem>) {
        for problem in problems {
            self.push(problem);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.kept.is_empty() && self.more == 0
    }

    /// `Ok` when nothing was wrong, else the error listing every problem in line order.
    pub fn finish(mut self) -> Result<(), ImportError> {
        if self.is_empty() {
            return Ok(());
        }
        self.kept.sort_by_key(|p| p.line);
        Err(ImportError {
            file: self.file,
            problems: self.kept,
            more: self.more,
        })
    }
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ImportSummary {
    pub file: String,
    /// Data rows in the file.
    pub rows: usize,
    /// Rows whose key was new.
    pub inserted: usize,
    /// Rows whose key existed and were updated.
    pub updated: usize,
}

/// A typed row and the line it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row<T> {
    pub line: usize,
    pub value: T,
}

/// A value that one row of a CSV file describes.
pub trait CsvRow: Sized {
    const KIND: CsvKind;
    /// The key that must be unique within a file.
    fn key(&self) -> &str;
    /// Reads one row; on any problem records it in `fields` (the caller then drops the row).
    fn from_fields(fields: &mut Fields<'_>) -> Self;
}

/// The values of one row, looked up by column name, with the row's problems.
pub struct Fields<'a> {
    record: &'a csv::StringRecord,
    columns: &'static [Column],
    /// Per column of `columns`, its position in the file.
    positions: &'a [Option<usize>],
    line: usize,
    problems: Vec<RowProblem>,
}

impl<'a> Fields<'a> {
    /// The value of a column, `None` when the column is absent or the value empty.
    pub fn get(&self, column: &str) -> Option<&'a str> {
        let record: &'a csv::StringRecord = self.record;
        let index = self.columns.iter().position(|c| c.name == column)?;
        let position = self.positions[index]?;
        record.get(position).filter(|value| !value.is_empty())
    }

    /// Records a problem in a column of this row.
    pub fn problem(&mut self, column: &str, message: impl Into<String>) {
        self.problems
            .push(RowProblem::new(self.line, Some(column), message));
    }

    fn required(&mut self, column: &str) -> &'a str {
        match self.get(column) {
            Some(value) => value,
            None => {
                self.problem(column, "a value is required");
                ""
            }
        }
    }

    /// A required key or reference: no blanks at either end.
    fn required_id(&mut self, column: &str) -> Id {
        let value = self.required(column);
        self.check_no_blanks(column, value);
        Id::from(value)
    }

    fn optional_id(&mut self, column: &str) -> Option<Id> {
        let value = self.get(column)?;
        self.check_no_blanks(column, value);
        Some(Id::from(value))
    }

    fn check_no_blanks(&mut self, column: &str, value: &str) {
        if value.trim() != value {
            self.problem(
                column,
                format!("'{value}' starts or ends with a blank: remove it"),
            );
        }
    }

    fn text(&self, column: &str) -> Id {
        Id::from(self.get(column).unwrap_or_default())
    }

    fn date(&mut self, column: &str) -> Option<NaiveDate> {
        let value = self.get(column)?;
        let date = parse_date(value);
        if date.is_none() {
            self.problem(
                column,
                format!("'{value}' is not a date: expected YYYY-MM-DD, like 2026-07-01"),
            );
        }
        date
    }

    fn required_date(&mut self, column: &str) -> NaiveDate {
        if self.get(column).is_none() {
            self.required(column);
        }
        self.date(column).unwrap_or_default()
    }

    fn amount(&mut self, column: &str) -> Option<Amount> {
        let value = self.get(column)?;
        match Amount::parse(value) {
            Ok(amount) => Some(amount),
            Err(e) => {
                self.problem(column, e.to_string());
                None
            }
        }
    }

    fn boolean(&mut self, column: &str, default: bool) -> bool {
        match self.get(column) {
            None => default,
            Some("true") => true,
            Some("false") => false,
            Some(value) => {
                self.problem(
                    column,
                    format!("'{value}' is not a boolean: expected true or false"),
                );
                default
            }
        }
    }

    /// Letters only, exactly `count` of them, normalised to upper case.
    fn code(&mut self, column: &str, count: usize, what: &str, default: &str) -> Id {
        let Some(value) = self.get(column) else {
            return Id::from(default);
        };
        if value.len() == count && value.bytes().all(|b| b.is_ascii_alphabetic()) {
            Id::from(value.to_ascii_uppercase())
        } else {
            self.problem(
                column,
                format!("'{value}' is not {what}: expected {count} letters, like {default}"),
            );
            Id::from(default)
        }
    }

    fn mandate_id(&mut self, column: &str, value: &str) -> Id {
        let chars = value.chars().count();
        if chars > MAX_MANDATE_ID_CHARS {
            self.problem(
                column,
                format!(
                    "'{value}' has {chars} characters: a mandate id has at most {MAX_MANDATE_ID_CHARS}"
                ),
            );
        } else if value.chars().any(|c| c.is_whitespace() || c == '&') {
            self.problem(
                column,
                format!("'{value}' contains a blank or '&', which a mandate id may not"),
            );
        } else if value.chars().any(|c| u32::from(c) > 0xFF) {
            self.problem(
                column,
                format!(
                    "'{value}' contains a character the bank's files cannot carry (Latin-1 only)"
                ),
            );
        }
        Id::from(value.to_uppercase())
    }
}

/// Reads `YYYY-MM-DD` exactly (four-digit year, two-digit month and day).
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes();
    let shape_ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape_ok {
        return None;
    }
    let number = |range: std::ops::Range<usize>| {
        b[range]
            .iter()
            .fold(0u32, |n, c| n * 10 + u32::from(c - b'0'))
    };
    let year = i32::try_from(number(0..4)).ok()?;
    NaiveDate::from_ymd_opt(year, number(5..7), number(8..10))
}

/// The Luhn (modulus 10) check of a digit string whose last digit is the check digit.
fn luhn_valid(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 {
                    doubled - 9
                } else {
                    doubled
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

impl CsvRow for Debtor {
    const KIND: CsvKind = CsvKind::Debtors;

    fn key(&self) -> &str {
        &self.account
    }

    fn from_fields(f: &mut Fields<'_>) -> Debtor {
        let account = f.required_id("account");
        let name = Id::from(f.required("name"));
        let tax_id = f.get("cvr").and_then(|value| match TaxId::parse(value) {
            Ok(tax_id) => Some(tax_id),
            Err(message) => {
                // The message never repeats the value: it may be a CPR number (I12).
                f.problem("cvr", message);
                None
            }
        });
        Debtor {
            account,
            name,
            tax_id,
            address: f.text("address"),
            postcode: Id::from(f.get("postcode").unwrap_or_default()),
            city: f.text("city"),
            country: f.code("country", 2, "an ISO 3166 alpha-2 country code", "DK"),
            email: f.text("email"),
            payment_format: f.optional_id("payment_format"),
        }
    }
}

impl CsvRow for Mandate {
    const KIND: CsvKind = CsvKind::Mandates;

    fn key(&self) -> &str {
        &self.mandate_id
    }

    fn from_fields(f: &mut Fields<'_>) -> Mandate {
        let raw_id = f.required_id("mandate_id");
        let mandate_id = f.mandate_id("mandate_id", &raw_id);
        let debtor = f.required_id("debtor");
        let payment_format = f.required_id("payment_format");
        let status_text = f.required("status");
        let status = if status_text.is_empty() {
            MandateStatus::None
        } else {
            MandateStatus::parse(status_text).unwrap_or_else(|| {
                f.problem(
                    "status",
                    format!(
                        "'{status_text}' is not a mandate status: expected none, registered, enrolled, unsubscribed or error"
                    ),
                );
                MandateStatus::None
            })
        };
        let agreement = f.get("agreement").map(|value| {
            if value.len() != 9 || !value.bytes().all(|b| b.is_ascii_digit()) {
                f.problem(
                    "agreement",
                    format!("'{value}' is not an agreement number: expected 9 digits"),
                );
            }
            Id::from(value)
        });
        let start_date = f.date("start_date");
        let end_date = f.date("end_date");
        if let (Some(start), Some(end)) = (start_date, end_date) {
            if end < start {
                f.problem(
                    "end_date",
                    format!("{end} is before the start date {start}"),
                );
            }
        }
        let alt_mandate_id = f
            .optional_id("alt_mandate_id")
            .map(|value| f.mandate_id("alt_mandate_id", &value));
        Mandate {
            mandate_id,
            debtor,
            payment_format,
            status,
            agreement,
            start_date,
            end_date,
            alt_mandate_id,
        }
    }
}

impl CsvRow for Entry {
    const KIND: CsvKind = CsvKind::Entries;

    fn key(&self) -> &str {
        &self.entry_id
    }

    fn from_fields(f: &mut Fields<'_>) -> Entry {
        let entry_id = f.required_id("entry_id");
        let debtor = f.required_id("debtor");
        let due_date = f.required_date("due_date");
        if f.get("amount").is_none() {
            f.required("amount");
        }
        let amount = f.amount("amount").unwrap_or_default();
        let remaining = if f.get("remaining").is_some() {
            f.amount("remaining").unwrap_or_default()
        } else {
            amount
        };
        let payment_id = f.get("payment_id").map(|value| {
            let digits_ok = value.len() == 15 && value.bytes().all(|b| b.is_ascii_digit());
            if !digits_ok || !luhn_valid(value) {
                f.problem(
                    "payment_id",
                    format!(
                        "'{value}' is not a FIK71 payment id: expected 15 digits, the last a modulus-10 check digit"
                    ),
                );
            }
            Id::from(value)
        });
        Entry {
            entry_id,
            debtor,
            date: f.date("date"),
            due_date,
            invoice: f.get("invoice").map(Id::from),
            amount,
            remaining,
            currency: f.code("currency", 3, "a currency code", "DKK"),
            text: f.text("text"),
            has_invoice_lines: f.boolean("has_invoice_lines", true),
            payment_id,
        }
    }
}

/// Counts what it reads, fails once past the file size limit, and keeps track of line numbers.
///
/// The csv crate's own line numbers skip blank lines and miscount CRLF line ends, so the
/// physical line of a record is worked out here: the reader notes every run of CR/LF bytes, and
/// a record's line is one more than the newlines in the runs that start at or before the
/// record's byte offset (csv reports the offset just after the previous record's first
/// terminator byte, which lies in the run of blank lines before the record). Only the runs
/// inside csv's read-ahead buffer are kept, so memory stays small.
struct CountingReader<R> {
    inner: R,
    read: u64,
    limit: u64,
    /// Closed runs of CR/LF bytes: start offset and the newlines in it.
    runs: VecDeque<(u64, u64)>,
    /// The run being read: start offset and newlines so far.
    open_run: Option<(u64, u64)>,
    /// Newlines in the runs already passed.
    newlines_passed: u64,
}

impl<R> CountingReader<R> {
    fn new(inner: R, limit: u64) -> CountingReader<R> {
        CountingReader {
            inner,
            read: 0,
            limit,
            runs: VecDeque::new(),
            open_run: None,
            newlines_passed: 0,
        }
    }

    /// The physical 1-based line of the record csv says starts at byte `offset`.
    fn line_at(&mut self, offset: u64) -> usize {
        while let Some(&(start, newlines)) = self.runs.front() {
            if start > offset {
                break;
            }
            self.newlines_passed += newlines;
            self.runs.pop_front();
        }
        // The run before a record is always closed here: csv has read the record's first byte.
        usize::try_from(self.newlines_passed + 1).unwrap_or(usize::MAX)
    }

    fn note(&mut self, bytes: &[u8], first_offset: u64) {
        for (i, &b) in bytes.iter().enumerate() {
            let offset = first_offset + i as u64;
            if b == b'\n' || b == b'\r' {
                let run = self.open_run.get_or_insert((offset, 0));
                if b == b'\n' {
                    run.1 += 1;
                }
            } else if let Some(run) = self.open_run.take() {
                self.runs.push_back(run);
            }
        }
    }
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let first_offset = self.read;
        self.read += n as u64;
        if self.read > self.limit {
            return Err(io::Error::other("file too large"));
        }
        self.note(&buf[..n], first_offset);
        Ok(n)
    }
}

/// The rows of one CSV file, read and checked one at a time: each item is a typed row or the
/// problems of one row. A problem with the whole file (too large, too many rows, unreadable)
/// is the last item.
///
/// Checks that need only the file are made here: columns, values, limits, and keys repeated
/// within the file (the later row names the earlier line).
pub struct CsvRows<R, T> {
    file: String,
    reader: csv::Reader<CountingReader<R>>,
    limits: Limits,
    positions: Vec<Option<usize>>,
    header_len: usize,
    record: csv::ByteRecord,
    /// Each key read so far and its line. [`FastMap`]: the keys are the company's own ids
    /// (SipHash cost 5 % of an import of a million entries).
    seen: FastMap<Box<str>, usize>,
    rows: usize,
    finished: bool,
    row_type: PhantomData<T>,
}

/// Starts reading a CSV file; its header is checked at once, and a bad header refuses the file.
pub fn read<T: CsvRow, R: Read>(file: &str, reader: R) -> Result<CsvRows<R, T>, ImportError> {
    read_with_limits(file, reader, Limits::DEFAULT)
}

/// [`read`] with other limits (tests use small ones).
pub fn read_with_limits<T: CsvRow, R: Read>(
    file: &str,
    reader: R,
    limits: Limits,
) -> Result<CsvRows<R, T>, ImportError> {
    let mut problems = Problems::new(file, &limits);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(CountingReader::new(reader, limits.max_file_bytes));
    let mut header = csv::ByteRecord::new();
    let columns = T::KIND.columns();
    let names: Vec<&str> = columns.iter().map(|c| c.name).collect();
    let mut positions = vec![None; columns.len()];
    let read = reader.read_byte_record(&mut header);
    // A spreadsheet set up for Danish writes "CSV" with ';' between the columns (the comma is
    // its decimal sign): one problem that says so, rather than an unknown column and every
    // required column missing.
    let other_separator = match (&read, header.len()) {
        (Ok(true), 1) => bankcal::separator_other_than_comma(&header[0]),
        _ => None,
    };
    match (read, other_separator) {
        (Err(e), _) => problems.push(file_problem(&reader, &limits, e)),
        (Ok(false), _) => problems.push(RowProblem::new(
            1,
            None,
            format!(
                "the file is empty: expected a header row with the columns {}",
                names.join(", ")
            ),
        )),
        (Ok(true), Some(separator)) => problems.push(RowProblem::new(
            1,
            None,
            format!(
                "the columns are separated by {separator}, not by commas: save the file \
                 comma-separated (amounts with a decimal point, like 1234.50)"
            ),
        )),
        (Ok(true), None) => {
            for (position, name) in header.iter().enumerate() {
                let Ok(name) = std::str::from_utf8(name) else {
                    problems.push(RowProblem::new(
                        1,
                        None,
                        "the header is not valid UTF-8: save the file as UTF-8",
                    ));
                    continue;
                };
                match columns.iter().position(|c| c.name == name) {
                    None => problems.push(RowProblem::new(
                        1,
                        None,
                        format!(
                            "unknown column '{name}': the columns of a {} file are {}",
                            T::KIND.as_str(),
                            names.join(", ")
                        ),
                    )),
                    Some(index) if positions[index].is_some() => problems.push(RowProblem::new(
                        1,
                        None,
                        format!("column '{name}' appears twice"),
                    )),
                    Some(index) => positions[index] = Some(position),
                }
            }
            for (column, position) in columns.iter().zip(&positions) {
                if column.required && position.is_none() {
                    problems.push(RowProblem::new(
                        1,
                        None,
                        format!("missing required column '{}'", column.name),
                    ));
                }
            }
        }
    }
    problems.finish()?;
    Ok(CsvRows {
        file: file.to_string(),
        reader,
        limits,
        positions,
        header_len: header.len(),
        record: csv::ByteRecord::new(),
        seen: FastMap::default(),
        rows: 0,
        finished: false,
        row_type: PhantomData,
    })
}

fn file_problem<R: Read>(
    reader: &csv::Reader<CountingReader<R>>,
    limits: &Limits,
    error: csv::Error,
) -> RowProblem {
    if reader.get_ref().read > limits.max_file_bytes {
        RowProblem::new(
            0,
            None,
            format!(
                "the file is larger than {}: split it into smaller files",
                byte_size(limits.max_file_bytes)
            ),
        )
    } else {
        RowProblem::new(0, None, format!("the file cannot be read: {error}"))
    }
}

fn byte_size(bytes: u64) -> String {
    if bytes >= 1 << 30 && bytes.is_multiple_of(1 << 30) {
        format!("{} GiB", bytes >> 30)
    } else {
        format!("{bytes} bytes")
    }
}

impl<R, T> CsvRows<R, T> {
    /// The file name used in messages.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The limits this file is read with.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Data rows read so far, good or bad.
    pub fn rows(&self) -> usize {
        self.rows
    }
}

impl<R: Read, T: CsvRow> Iterator for CsvRows<R, T> {
    type Item = Result<Row<T>, Vec<RowProblem>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        match self.reader.read_byte_record(&mut self.record) {
            Ok(true) => {}
            Ok(false) => {
                self.finished = true;
                return None;
            }
            Err(e) => {
                self.finished = true;
                return Some(Err(vec![file_problem(&self.reader, &self.limits, e)]));
            }
        }
        let offset = self.record.position().map_or(0, csv::Position::byte);
        let line = self.reader.get_mut().line_at(offset);
        self.rows += 1;
        if self.rows > self.limits.max_rows {
            self.finished = true;
            return Some(Err(vec![RowProblem::new(
                line,
                None,
                format!(
                    "more than {} rows: split the file into smaller files",
                    self.limits.max_rows
                ),
            )]));
        }
        Some(self.parse_record(line))
    }
}

impl<R: Read, T: CsvRow> CsvRows<R, T> {
    fn parse_record(&mut self, line: usize) -> Result<Row<T>, Vec<RowProblem>> {
        let columns = T::KIND.columns();
        let column_at = |position: usize| {
            self.positions
                .iter()
                .position(|p| *p == Some(position))
                .map(|index| columns[index].name)
        };
        if self.record.len() != self.header_len {
            return Err(vec![RowProblem::new(
                line,
                None,
                format!(
                    "{} values, but the header has {} columns",
                    self.record.len(),
                    self.header_len
                ),
            )]);
        }
        let record = match csv::StringRecord::from_byte_record(self.record.clone()) {
            Ok(record) => record,
            Err(e) => {
                let column = e.utf8_error().field();
                return Err(vec![RowProblem::new(
                    line,
                    column_at(column),
                    "not valid UTF-8: save the file as UTF-8",
                )]);
            }
        };
        let mut problems = Vec::new();
        for (position, value) in record.iter().enumerate() {
            // Bytes bound characters from above, so most values skip the count.
            if value.len() > self.limits.max_field_chars {
                let chars = value.chars().count();
                if chars > self.limits.max_field_chars {
                    problems.push(RowProblem::new(
                        line,
                        column_at(position),
                        format!(
                            "the value has {chars} characters; at most {} are allowed",
                            self.limits.max_field_chars
                        ),
                    ));
                }
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let mut fields = Fields {
            record: &record,
            columns,
            positions: &self.positions,
            line,
            problems,
        };
        let value = T::from_fields(&mut fields);
        let mut problems = fields.problems;
        let key = value.key();
        if !key.is_empty() {
            if let Some(first) = self.seen.get(key) {
                problems.push(RowProblem::new(
                    line,
                    Some(T::KIND.key_column()),
                    format!(
                        "'{key}' is also on line {first}: a key may appear only once in a file"
                    ),
                ));
            } else {
                self.seen.insert(key.into(), line);
            }
        }
        if problems.is_empty() {
            Ok(Row { line, value })
        } else {
            Err(problems)
        }
    }
}

/// Reads a whole file into typed rows, or every problem of the file. Pure: no database, so
/// references to debtors and payment formats are not checked here.
pub fn parse<T: CsvRow>(file: &str, text: &str) -> Result<Vec<Row<T>>, ImportError> {
    let rows = read::<T, _>(file, text.as_bytes())?;
    let mut problems = Problems::new(file, rows.limits());
    let mut good = Vec::new();
    for row in rows {
        match row {
            Ok(row) => good.push(row),
            Err(row_problems) => problems.extend(row_problems),
        }
    }
    problems.finish()?;
    Ok(good)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        parse_date(text).unwrap()
    }

    /// Parses `text` as a file of kind `T` named after its kind and returns the error text
    /// (or `ok`).
    fn errors<T: CsvRow>(text: &str) -> String {
        let file = format!("{}.csv", T::KIND.as_str());
        match parse::<T>(&file, text) {
            Ok(_) => "ok".to_string(),
            Err(e) => e.to_string(),
        }
    }

    fn check<T: CsvRow>(text: &str, expected: &str) {
        assert_eq!(errors::<T>(text), expected, "input:\n{text}");
    }

    fn one<T: CsvRow>(text: &str) -> T {
        let mut rows = parse::<T>("x.csv", text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(rows.len(), 1);
        rows.remove(0).value
    }

    #[test]
    fn dates_are_exactly_yyyy_mm_dd() {
        assert_eq!(
            parse_date("2026-07-01"),
            NaiveDate::from_ymd_opt(2026, 7, 1)
        );
        for bad in [
            "2026-7-1",
            "2026-02-30",
            "01-07-2026",
            "2026/07/01",
            "",
            "2026-07-01 ",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn luhn() {
        assert!(luhn_valid("000000000000018"));
        assert!(!luhn_valid("000000000000019"));
        assert!(luhn_valid("79927398713"));
    }

    #[test]
    fn debtor_with_defaults_and_bom_and_free_column_order() {
        let d: Debtor = one("\u{feff}name,account\nHansen ApS,100100\n");
        assert_eq!(d.account, "100100");
        assert_eq!(d.name, "Hansen ApS");
        assert_eq!(d.country, "DK");
        assert_eq!(d.tax_id, None);
        assert_eq!(d.payment_format, None);
        let d: Debtor = one(
            "account,name,cvr,address,postcode,city,country,email,payment_format\n\
             100101,Jens,0101701234,Vej 1,8000,Aarhus C,se,j@x.dk,BS\n",
        );
        assert_eq!(d.tax_id, Some(TaxId::Cpr("0101701234".into())));
        assert_eq!(d.country, "SE");
        assert_eq!(d.payment_format.as_deref(), Some("BS"));
    }

    #[test]
    fn mandate_ids_are_upper_case() {
        let m: Mandate = one(
            "mandate_id,debtor,payment_format,status,agreement,start_date,end_date,alt_mandate_id\n\
             ab100,100100,BS,enrolled,000000001,2025-01-01,,xy1\n",
        );
        assert_eq!(m.mandate_id, "AB100");
        assert_eq!(m.alt_mandate_id.as_deref(), Some("XY1"));
        assert_eq!(m.status, MandateStatus::Enrolled);
        assert_eq!(m.start_date, Some(date("2025-01-01")));
        assert_eq!(m.end_date, None);
        check::<Mandate>(
            "mandate_id,debtor,payment_format,status\nab1,1,BS,none\nAB1,1,BS,none\n",
            "mandates.csv:3: mandate_id: 'AB1' is also on line 2: a key may appear only once in a file",
        );
    }

    #[test]
    fn entry_defaults() {
        let e: Entry = one("entry_id,debtor,due_date,amount\nE1,100100,2026-07-01,-99\n");
        assert_eq!(e.amount, Amount::from_ore(-9900));
        assert_eq!(e.remaining, e.amount);
        assert_eq!(e.currency, "DKK");
        assert!(e.has_invoice_lines);
        assert_eq!(e.date, None);
        assert_eq!(e.invoice, None);
        let e: Entry = one(
            "entry_id,debtor,due_date,amount,date,invoice,remaining,currency,text,has_invoice_lines,payment_id\n\
             E1,100100,2026-07-01,1234.50,2026-06-01,5001,1000,eur,\"Rent, July\",false,000000000000018\n",
        );
        assert_eq!(e.remaining, Amount::from_ore(100000));
        assert_eq!(e.currency, "EUR");
        assert_eq!(e.text, "Rent, July");
        assert!(!e.has_invoice_lines);
        assert_eq!(e.invoice.as_deref(), Some("5001"));
        assert_eq!(e.payment_id.as_deref(), Some("000000000000018"));
        assert_eq!(e.date, Some(date("2026-06-01")));
    }

    #[test]
    fn header_problems_are_all_reported() {
        check::<Debtor>(
            "account,nmae,colour,account\n1,2,3,4\n",
            "debtors.csv:1: unknown column 'nmae': the columns of a debtors file are account, name, cvr, address, postcode, city, country, email, payment_format\n\
             debtors.csv:1: unknown column 'colour': the columns of a debtors file are account, name, cvr, address, postcode, city, country, email, payment_format\n\
             debtors.csv:1: column 'account' appears twice\n\
             debtors.csv:1: missing required column 'name'",
        );
        check::<Entry>(
            "",
            "entries.csv:1: the file is empty: expected a header row with the columns entry_id, debtor, due_date, amount, date, invoice, remaining, currency, text, has_invoice_lines, payment_id",
        );
        // A header of one column with ';' or tabs in it: the file was saved with another
        // separator, said once.
        check::<Debtor>(
            "account;name\nD1;Hansen\n",
            "debtors.csv:1: the columns are separated by ';', not by commas: save the file comma-separated (amounts with a decimal point, like 1234.50)",
        );
        check::<Entry>(
            "entry_id\tdebtor\tdue_date\tamount\n",
            "entries.csv:1: the columns are separated by tabs, not by commas: save the file comma-separated (amounts with a decimal point, like 1234.50)",
        );
        // Names are exact: no case folding, no trimming.
        check::<Debtor>(
            "Account,name\n",
            "debtors.csv:1: unknown column 'Account': the columns of a debtors file are account, name, cvr, address, postcode, city, country, email, payment_format\n\
             debtors.csv:1: missing required column 'account'",
        );
    }

    #[test]
    fn amounts_are_never_rounded() {
        let head = "entry_id,debtor,due_date,amount,remaining\n";
        check::<Entry>(
            &format!("{head}E1,1,2026-07-01,12.345,\n"),
            "entries.csv:2: amount: '12.345' has more than two decimals: amounts are never rounded",
        );
        check::<Entry>(
            &format!("{head}E1,1,2026-07-01,1,5,\n"),
            "entries.csv:2: 6 values, but the header has 5 columns",
        );
        check::<Entry>(
            &format!("{head}E1,1,2026-07-01,\"1,5\",abc\n"),
            "entries.csv:2: amount: '1,5' is not an amount: expected digits with an optional '.' and at most two decimals, like 1234.50 or -99\n\
             entries.csv:2: remaining: 'abc' is not an amount: expected digits with an optional '.' and at most two decimals, like 1234.50 or -99",
        );
    }

    #[test]
    fn row_problems() {
        let head = "entry_id,debtor,due_date,amount,currency,has_invoice_lines,payment_id\n";
        check::<Entry>(
            &format!(
                "{head}\
                 E1,1,2026-02-30,1,DK,yes,123\n\
                 ,,,,,,\n\
                 \" E2\",1,2026-07-01,1,,,000000000000019\n"
            ),
            "entries.csv:2: due_date: '2026-02-30' is not a date: expected YYYY-MM-DD, like 2026-07-01\n\
             entries.csv:2: payment_id: '123' is not a FIK71 payment id: expected 15 digits, the last a modulus-10 check digit\n\
             entries.csv:2: currency: 'DK' is not a currency code: expected 3 letters, like DKK\n\
             entries.csv:2: has_invoice_lines: 'yes' is not a boolean: expected true or false\n\
             entries.csv:3: entry_id: a value is required\n\
             entries.csv:3: debtor: a value is required\n\
             entries.csv:3: due_date: a value is required\n\
             entries.csv:3: amount: a value is required\n\
             entries.csv:4: entry_id: ' E2' starts or ends with a blank: remove it\n\
             entries.csv:4: payment_id: '000000000000019' is not a FIK71 payment id: expected 15 digits, the last a modulus-10 check digit",
        );
    }

    #[test]
    fn mandate_problems() {
        let head = "mandate_id,debtor,payment_format,status,agreement,start_date,end_date\n";
        check::<Mandate>(
            &format!(
                "{head}\
                 1234567890123456,1,BS,active,12345,2026-02-01,2026-01-31\n\
                 A B,1,BS,none,,,\n"
            ),
            "mandates.csv:2: mandate_id: '1234567890123456' has 16 characters: a mandate id has at most 15\n\
             mandates.csv:2: status: 'active' is not a mandate status: expected none, registered, enrolled, unsubscribed or error\n\
             mandates.csv:2: agreement: '12345' is not an agreement number: expected 9 digits\n\
             mandates.csv:2: end_date: 2026-01-31 is before the start date 2026-02-01\n\
             mandates.csv:3: mandate_id: 'A B' contains a blank or '&', which a mandate id may not",
        );
    }

    /// A CPR number written DDMMYY-SSSS, as it usually is, is kept as its 10 digits.
    #[test]
    fn a_cpr_number_with_its_dash_is_read() {
        let debtor = one::<Debtor>("account,name,cvr\n100100,Jens,010170-1234\n");
        assert_eq!(
            debtor.tax_id.as_ref().map(TaxId::digits),
            Some("0101701234")
        );
    }

    #[test]
    fn cpr_digits_never_appear_in_messages() {
        // I12: a CPR number with a typo (9 or 11 digits) is still personal data.
        for bad in ["010170123", "01017012345", "0101-70123"] {
            let text = format!("account,name,cvr\n100100,Jens,{bad}\n");
            let message = errors::<Debtor>(&text);
            assert!(message.starts_with("debtors.csv:2: cvr: "), "{message}");
            assert!(!message.contains(bad), "{message}");
            assert!(!message.contains("0101"), "{message}");
        }
        check::<Debtor>(
            "account,name,cvr\n100100,Jens,010170123\n",
            "debtors.csv:2: cvr: a CVR number has 8 digits and a CPR number 10 (or DDMMYY-SSSS); found 9 digits",
        );
    }

    #[test]
    fn line_numbers_are_physical_lines() {
        // A quoted value spanning lines and blank lines shift the rows below them, with LF or
        // CRLF line ends, with or without a BOM.
        let expected =
            "debtors.csv:5: name: a value is required\ndebtors.csv:9: name: a value is required";
        let text = "account,name,address\n1,A,\"two\nlines\"\n\n2,,x\n3,C,\n\n\n4,,\n";
        check::<Debtor>(text, expected);
        check::<Debtor>(&text.replace('\n', "\r\n"), expected);
        check::<Debtor>(&format!("\u{feff}{text}"), expected);
        check::<Debtor>(
            "\n\naccount,name\n1,\n",
            "debtors.csv:4: name: a value is required",
        );
        check::<Debtor>(
            "account,name\n1,A\n2,",
            "debtors.csv:3: name: a value is required",
        );
    }

    #[test]
    fn country_codes() {
        check::<Debtor>(
            "account,name,country\n1,A,DNK\n2,B,D1\n",
            "debtors.csv:2: country: 'DNK' is not an ISO 3166 alpha-2 country code: expected 2 letters, like DK\n\
             debtors.csv:3: country: 'D1' is not an ISO 3166 alpha-2 country code: expected 2 letters, like DK",
        );
    }

    #[test]
    fn invalid_utf8_is_reported_with_its_column() {
        let text = b"account,name\n1,Hansen\n2,J\xf8rgensen\n";
        let rows = read::<Debtor, _>("debtors.csv", &text[..]).unwrap();
        let problems: Vec<RowProblem> = rows.filter_map(Result::err).flatten().collect();
        assert_eq!(
            problems,
            vec![RowProblem::new(
                3,
                Some("name"),
                "not valid UTF-8: save the file as UTF-8"
            )]
        );
    }

    fn check_limited<T: CsvRow>(text: &str, limits: Limits, expected: &str) {
        let rows = match read_with_limits::<T, _>("x.csv", text.as_bytes(), limits) {
            Ok(rows) => rows,
            Err(e) => return assert_eq!(e.to_string(), expected),
        };
        let mut problems = Problems::new("x.csv", &limits);
        for row in rows {
            if let Err(p) = row {
                problems.extend(p);
            }
        }
        let got = problems
            .finish()
            .map_or_else(|e| e.to_string(), |()| "ok".into());
        assert_eq!(got, expected);
    }

    #[test]
    fn limits_are_enforced_with_clear_messages() {
        let text = "account,name\n1,A\n2,B\n3,C\n";
        let limits = Limits {
            max_rows: 2,
            ..Limits::DEFAULT
        };
        check_limited::<Debtor>(
            text,
            limits,
            "x.csv:4: more than 2 rows: split the file into smaller files",
        );
        let limits = Limits {
            max_file_bytes: 10,
            ..Limits::DEFAULT
        };
        check_limited::<Debtor>(
            text,
            limits,
            "x.csv: the file is larger than 10 bytes: split it into smaller files",
        );
        let limits = Limits {
            max_field_chars: 3,
            ..Limits::DEFAULT
        };
        check_limited::<Debtor>(
            "account,name\n1,Åse\n2,Hansen\n",
            limits,
            "x.csv:3: name: the value has 6 characters; at most 3 are allowed",
        );
        let limits = Limits {
            max_problems: 2,
            ..Limits::DEFAULT
        };
        check_limited::<Debtor>(
            "account,name\n1,\n2,\n3,\n4,\n",
            limits,
            "x.csv:2: name: a value is required\n\
             x.csv:3: name: a value is required\n\
             x.csv: 2 more problems not shown; nothing was imported",
        );
        assert_eq!(byte_size(Limits::DEFAULT.max_file_bytes), "1 GiB");
    }

    /// A reader that hands out one byte at a time, so every run of line ends crosses reads.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            match (self.0.split_first(), buf.first_mut()) {
                (Some((&b, rest)), Some(slot)) => {
                    *slot = b;
                    self.0 = rest;
                    Ok(1)
                }
                _ => Ok(0),
            }
        }
    }

    proptest::proptest! {
        /// The line of a bad row is its physical line, whatever the line ends, blank lines
        /// and multi-line values before it, and however the reads are cut.
        #[test]
        fn bad_row_lines_are_physical(
            rows in proptest::collection::vec((0usize..3, proptest::bool::ANY, proptest::bool::ANY), 1..20),
            crlf in proptest::bool::ANY,
        ) {
            let end = if crlf { "\r\n" } else { "\n" };
            let mut text = format!("account,name,address{end}");
            let mut line = 2;
            let mut expected = Vec::new();
            for (i, (blanks, bad, multiline)) in rows.iter().enumerate() {
                for _ in 0..*blanks {
                    text.push_str(end);
                    line += 1;
                }
                let name = if *bad { "" } else { "A" };
                let address = if *multiline { format!("\"x{end}y\"") } else { "x".into() };
                text.push_str(&format!("{i},{name},{address}{end}"));
                if *bad {
                    expected.push(format!("x.csv:{line}: name: a value is required"));
                }
                line += if *multiline { 2 } else { 1 };
            }
            let rows = read::<Debtor, _>("x.csv", Trickle(text.as_bytes())).unwrap();
            let mut problems = Problems::new("x.csv", &Limits::DEFAULT);
            for row in rows {
                if let Err(p) = row {
                    problems.extend(p);
                }
            }
            let got = problems.finish().map_or_else(|e| e.to_string(), |()| String::new());
            proptest::prop_assert_eq!(got, expected.join("\n"));
        }

        /// Reading never panics, whatever the bytes (the fuzzing promise of reliability.md).
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
            for header in ["account,name,cvr,country\n", "mandate_id,debtor,payment_format,status,start_date,end_date\n", "entry_id,debtor,due_date,amount,payment_id\n", ""] {
                let mut input = header.as_bytes().to_vec();
                input.extend_from_slice(&bytes);
                if let Ok(rows) = read::<Debtor, _>("x.csv", &input[..]) {
                    rows.for_each(drop);
                }
                if let Ok(rows) = read::<Mandate, _>("x.csv", &input[..]) {
                    rows.for_each(drop);
                }
                if let Ok(rows) = read::<Entry, _>("x.csv", &input[..]) {
                    rows.for_each(drop);
                }
            }
        }
    }
}
