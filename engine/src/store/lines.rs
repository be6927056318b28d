//! Payment lines and their status logs: what the payment run reads and writes.
//!
//! The pure core (suggestion, validation, collective payments, status machine) decides; these
//! functions load its input ([`Store::load_run_data`]) and save its decisions, each write in
//! one `IMMEDIATE` transaction that is applied whole or not at all.

use super::alongside::made_alongside;
use super::batch::BatchInsert;
use super::codec::{
    date_text, debtor_from_row, entry_from_row, errors_to_json, format_from_row, get_id,
    get_status, line_errors_to_json, line_from_row, mandate_from_row, status_change_from_row,
    DEBTOR_COLUMNS, DEBTOR_CORE_COLUMNS, ENTRY_COLUMNS, FORMAT_COLUMNS, LINE_COLUMNS,
    LINE_COLUMN_COUNT, MANDATE_COLUMNS,
};
use super::status_log::{self, StatusLog};
use super::{company_count, is_foreign_key_violation, CompanyKey, Store};
use crate::error::{Error, Result};
use crate::model::{
    FastSet, Mandates, PaymentLine, RunData, Status, StatusChange, ValidationError,
};
use chrono::{NaiveDate, NaiveDateTime};
use ledger::{Amount, Entry, Id};
use rusqlite::types::Value;
use rusqlite::OptionalExtension;
use std::collections::HashSet;

/// Rows per multi-row `INSERT` of payment lines (4 bound values each, after the company and
/// the status, far below SQLite's limit of 32,766).
const INSERT_BATCH: usize = 100;

/// How many rows of `company` the table `table` (a constant at each call) holds, to size a
/// vector before it is filled. In a database of one company the whole table is counted:
/// SQLite counts a table from its pages without reading its rows (with `WHERE company = ?1`
/// it reads every index entry: 3 % of validate).
fn count_rows(
    tx: &rusqlite::Connection,
    table: &'static str,
    company: i64,
    companies: i64,
) -> Result<usize> {
    let count: i64 = if companies == 1 {
        tx.query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
            row.get(0)
        })?
    } else {
        tx.query_row(
            &format!("SELECT count(*) FROM {table} WHERE company = ?1"),
            [company],
            |row| row.get(0),
        )?
    };
    Ok(usize::try_from(count).unwrap_or(0))
}

/// Why a batch of new lines broke a foreign key: the first line whose entry is unknown or has
/// another debtor.
fn refused_lines(
    tx: &rusqlite::Connection,
    company: &CompanyKey,
    lines: &[&NewLineRow],
) -> Result<Option<Error>> {
    let mut statement =
        tx.prepare("SELECT debtor FROM entries WHERE company = ?1 AND entry_id = ?2")?;
    for line in lines {
        let debtor: Option<String> = statement
            .query_row((company.key, line.entry_id.as_str()), |row| row.get(0))
            .optional()?;
        match debtor {
            None => return Ok(Some(Error::UnknownEntry(line.entry_id.to_string()))),
            Some(expected) if expected != line.debtor => {
                return Ok(Some(Error::WrongDebtor {
                    entry: line.entry_id.to_string(),
                    expected,
                    given: line.debtor.to_string(),
                }))
            }
            Some(_) => {}
        }
    }
    Ok(None)
}

/// The order new lines are inserted in, as positions in `lines`: by format, then entry id
/// (a format's lines are numbered in the order of their entries), lines that tie in the
/// order given. With `entry_positions` (each line's entry's position in the run's entries,
/// which are in entry id order) and every format known, the lines are sorted by those
/// numbers, the same order: sorting a million lines by the texts of their ids, each read
/// through its position, was 8 % of `suggest`.
fn insertion_order(
    lines: &[NewLineRow],
    formats: &HashSet<String>,
    entry_positions: Option<&[u32]>,
) -> Vec<usize> {
    let mut format_ids: Vec<&str> = formats.iter().map(String::as_str).collect();
    format_ids.sort_unstable();
    let format_rank = |format: &str| format_ids.binary_search(&format).ok();
    let keys: Option<Vec<(u64, usize)>> = entry_positions.and_then(|positions| {
        lines
            .iter()
            .zip(positions)
            .enumerate()
            .map(|(i, (line, &entry))| {
                let format = u64::try_from(format_rank(&line.format_id)?).ok()?;
                Some(((format << 32) | u64::from(entry), i))
            })
            .collect()
    });
    match keys {
        Some(mut keys) => {
            // The position breaks ties, as a stable sort would.
            keys.sort_unstable();
            keys.into_iter().map(|(_, i)| i).collect()
        }
        None => {
            let mut order: Vec<usize> = (0..lines.len()).collect();
            order.sort_by(|&a, &b| {
                let (a, b) = (&lines[a], &lines[b]);
                (&a.format_id, &a.entry_id).cmp(&(&b.format_id, &b.entry_id))
            });
            order
        }
    }
}

/// `UPDATE payment_lines SET <column> = ?3, … WHERE id = ?1 AND company = ?2`, with one
/// bound value per column from ?3 on; for [`Only::Changed`] also `AND (<column> IS NOT ?3
/// OR …)`, so an unchanged row is read but not written.
fn update_one_sql(columns: &[&str], only: Only) -> String {
    let set: Vec<String> = columns
        .iter()
        .enumerate()
        .map(|(i, column)| format!("{column} = ?{}", i + 3))
        .collect();
    let mut sql = format!(
        "UPDATE payment_lines SET {} WHERE id = ?1 AND company = ?2",
        set.join(", ")
    );
    if only == Only::Changed {
        let differs: Vec<String> = columns
            .iter()
            .enumerate()
            .map(|(i, column)| format!("{column} IS NOT ?{}", i + 3))
            .collect();
        sql.push_str(&format!(" AND ({})", differs.join(" OR ")));
    }
    sql
}

/// Which lines [`update_in_order`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Only {
    /// Every line given; an unknown line refuses all.
    All,
    /// The lines whose value differs from the stored one (no check for unknown lines).
    Changed,
}

/// Sets `column` to each value of its line, in the order given (give ascending ids: the
/// table's key order, so each page is visited once), with one prepared single-row `UPDATE`
/// by rowid. The values are never all in memory. A line given twice gets its last value.
///
/// This replaced batches of 200 lines as `UPDATE … FROM (VALUES …)`: SQLite runs an
/// `UPDATE … FROM` by materialising the `VALUES` and writing the join's rows (each line's
/// whole row) into an ephemeral table before it updates, so every line went through two
/// temporary tables; see the commit for the figures.
fn update_in_order(
    tx: &rusqlite::Connection,
    company: &CompanyKey,
    column: &str,
    only: Only,
    values: impl Iterator<Item = (i64, Value)>,
) -> Result<()> {
    update_columns_in_order(
        tx,
        company,
        &[column],
        only,
        values.map(|(id, v)| (id, [v])),
    )
}

/// [`update_in_order`] for several columns at once: each line's row is written once.
fn update_columns_in_order<const N: usize>(
    tx: &rusqlite::Connection,
    company: &CompanyKey,
    columns: &[&str; N],
    only: Only,
    values: impl Iterator<Item = (i64, [Value; N])>,
) -> Result<()> {
    let mut update = tx.prepare(&update_one_sql(columns, only))?;
    update.raw_bind_parameter(2, company.key)?;
    for (id, row) in values {
        update.raw_bind_parameter(1, id)?;
        for (i, value) in row.iter().enumerate() {
            update.raw_bind_parameter(i + 3, value)?;
        }
        let updated = update.raw_execute()?;
        if only == Only::All && updated != 1 {
            return Err(Error::UnknownLine(id));
        }
    }
    Ok(())
}

/// The first of the company's (`?1`) lines with ids from `?2` to `?3` whose debtor is not
/// its entry's: entry id, the entry's debtor, the line's. The lines are read by id range:
/// the unary `+` keeps SQLite from reading every line of the company through the index by
/// entry and sorting them, which grew with the company's history rather than with the
/// lines checked.
const WRONG_DEBTOR_SQL: &str = "SELECT l.entry_id, e.debtor, l.debtor FROM payment_lines l \
     JOIN entries e ON e.company = l.company AND e.entry_id = l.entry_id \
     WHERE +l.company = ?1 AND l.id BETWEEN ?2 AND ?3 AND e.debtor <> l.debtor \
     ORDER BY l.id LIMIT 1";

/// The company's payment lines, in id order (see [`Store::run_data_in`]).
fn load_lines(
    conn: &rusqlite::Connection,
    key: i64,
    companies: i64,
    load: Load,
) -> Result<Vec<PaymentLine>> {
    let columns = if load == Load::Whole {
        LINE_COLUMNS.to_string()
    } else {
        LINE_COLUMNS.replace(", l.errors", ", CASE WHEN l.errors = '[]' THEN '[]' END")
    };
    // In a database of one company the table is read in id order (`NOT INDEXED`): no
    // sort and no lookup per row. With several, the index by (company, entry) keeps
    // the others' lines unread, and its order is asked for: `ORDER BY l.id` made
    // SQLite copy every line into a sorter first (80 MB at a million lines). A
    // format's lines are numbered as their entries are, so with one format that is
    // nearly always id order already; if not, they are sorted below.
    let sql = if companies == 1 {
        format!(
            "SELECT {columns} FROM payment_lines l NOT INDEXED WHERE l.company = ?1 \
                 ORDER BY l.id"
        )
    } else {
        format!(
            "SELECT {columns} FROM payment_lines l WHERE l.company = ?1 \
                 ORDER BY l.entry_id, l.id"
        )
    };
    let mut statement = conn.prepare(&sql)?;
    let mut lines = Vec::with_capacity(count_rows(conn, "payment_lines", key, companies)?);
    // A collective payment's id (`<debtor>-<yyyymmdd>`) is often too long to be kept
    // inline in an `Id`: its lines share one copy rather than each holding its own
    // (a million lines of the benchmark after collect: 24 MB of copies, now 7 MB).
    let mut groups: FastSet<Id> = FastSet::default();
    let mut rows = statement.query([key])?;
    while let Some(row) = rows.next()? {
        let mut line = line_from_row(row)?;
        if let Some(group) = line.group.as_mut().filter(|g| g.is_heap_allocated()) {
            match groups.get(group.as_str()) {
                Some(shared) => *group = shared.clone(),
                None => {
                    groups.insert(group.clone());
                }
            }
        }
        lines.push(line);
    }
    drop(groups);
    if !lines.is_sorted_by_key(|line| line.id) {
        lines.sort_unstable_by_key(|line| line.id);
    }
    Ok(lines)
}

/// How much of the run data [`Store::run_data_in`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Load {
    /// Everything.
    Whole,
    /// What a step that validates again needs, which at a million lines saves hundreds of
    /// megabytes: an entry's `text` only when it has no invoice number (the export's
    /// notification text falls back to it), and of the stored validation results only
    /// whether the line passed: a passed line's `errors` is `Some([])` (which needs no heap),
    /// every other line's `None`. The step's own results replace them; a line that passed
    /// and passes again is not written at all, and any other is compared with the stored
    /// one in SQL ([`store_validations`]).
    ForStep,
    /// [`Load::ForStep`] without the debtors' names, addresses, cities and e-mails (read as
    /// ''): what suggest, validate and collect need.
    ForCore,
}

/// True when `line` (read in this transaction, by any [`Load`]) passed its stored validation
/// and passes again (`errors` is its new result): its row would be written with what it
/// holds. At a million lines that is most of them, and each one skipped saves a statement
/// that reads its row.
fn unchanged_pass(line: &PaymentLine, errors: &[ValidationError]) -> bool {
    errors.is_empty() && line.is_ok()
}

/// Stores each line's new validation result, in the order given (ascending ids, the table's
/// key order), each line's JSON made only when it is written (a million results are not
/// held as JSON at once). A line that passed and passes again is not written at all
/// ([`unchanged_pass`]); any other only where its result differs from the stored one, so
/// validating again without a change in between writes nothing. Validate and export store
/// their results through this.
pub(super) fn store_validations<'l, E: AsRef<[ValidationError]>>(
    tx: &rusqlite::Connection,
    company: &CompanyKey,
    results: impl Iterator<Item = (&'l PaymentLine, E)>,
) -> Result<()> {
    update_in_order(
        tx,
        company,
        "errors",
        Only::Changed,
        validation_values(results),
    )
}

/// What [`store_validations`] writes: each line's result as JSON
/// ([`line_errors_to_json`]: a clash on a date by its parts), but for a line that passed and
/// passes again.
fn validation_values<'l, E, I>(results: I) -> impl Iterator<Item = (i64, Value)> + use<'l, E, I>
where
    E: AsRef<[ValidationError]>,
    I: Iterator<Item = (&'l PaymentLine, E)>,
{
    results
        .filter(|(line, errors)| !unchanged_pass(line, errors.as_ref()))
        .map(|(line, errors)| {
            let json = line_errors_to_json(line, errors.as_ref());
            (line.id, Value::Text(json))
        })
}

/// A payment line to create: the core's suggestion, stored as is.
pub use crate::suggest::NewLine as NewLineRow;

/// Which payment lines [`Store::list_lines`] returns; every field that is set must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineFilter {
    /// Any of these statuses; empty = every status.
    pub statuses: Vec<Status>,
    /// The debtor's account.
    pub debtor: Option<String>,
    /// A customer number: the lines of that mandate's debtor. Compared in upper case.
    pub mandate: Option<String>,
    /// An agreement number: the lines of the debtors with a mandate under it.
    pub agreement: Option<String>,
    /// The entry's payment id (FIK71, the OCR line).
    pub payment_id: Option<String>,
    /// The payment reference given at export.
    pub reference: Option<String>,
    /// The collective payment id.
    pub group: Option<String>,
    /// Payment date on or after.
    pub from: Option<NaiveDate>,
    /// Payment date on or before.
    pub to: Option<NaiveDate>,
}

impl Store {
    /// Everything the payment run needs of a company, read in one transaction (one consistent
    /// snapshot) and streamed row by row into the maps of [`RunData`].
    ///
    /// `entries` holds the open entries (remaining ≠ 0) and every entry that has a payment
    /// line; settled entries without lines are of no use to the run and are left out, so old
    /// years of settled invoices do not cost memory. `lines` are ordered by id, each debtor's
    /// mandates by mandate id.
    ///
    pub fn load_run_data(&self, company: &CompanyKey) -> Result<RunData> {
        let tx = self.read()?;
        let data = Store::run_data_in(&tx, company, Load::Whole, None)?;
        tx.commit()?;
        Ok(data)
    }

    /// [`Store::load_run_data`] for a step that validates again (suggest, validate, collect):
    /// debtors come without name, address, city and e-mail (''), entries with an invoice
    /// number without their text, and of the lines' stored validation results only whether
    /// they passed. See `Load::ForCore`.
    pub fn load_run_data_for_step(&self, company: &CompanyKey) -> Result<RunData> {
        // Inside `atomically` with nothing written yet, the lines are read alongside.
        // Outside `atomically`, `read` begins a read transaction (no write lock): not then.
        let alongside = self.file_to_read_alongside(false);
        let tx = self.read()?;
        let data = Store::run_data_in(&tx, company, Load::ForCore, alongside.as_deref())?;
        tx.commit()?;
        Ok(data)
    }

    /// [`Store::load_run_data`] inside a transaction the caller holds (export loads the run
    /// data inside its write transaction, so that two exports cannot both read a line as
    /// unsent).
    ///
    /// With `lines_from`, the payment lines are read on a second thread, through a connection
    /// of their own to that database file, while this one reads the rest: at a million
    /// entries the two largest tables take about the same time to read. Only for a caller
    /// whose transaction holds the write lock and has written nothing yet, so that the
    /// second connection's snapshot is this one's.
    pub(super) fn run_data_in(
        tx: &rusqlite::Connection,
        company: &CompanyKey,
        load: Load,
        lines_from: Option<&std::path::Path>,
    ) -> Result<RunData> {
        let companies = company_count(tx)?;
        match lines_from {
            None => Store::run_data_with(tx, company, load, companies, None),
            Some(path) => std::thread::scope(|scope| {
                // On a connection of its own (`super::read_alongside`).
                let lines = scope.spawn(|| {
                    super::read_alongside(path, |tx| load_lines(tx, company.key, companies, load))
                });
                Store::run_data_with(tx, company, load, companies, Some(lines))
            }),
        }
    }

    /// [`Store::run_data_in`] with the lines read here, or by `lines`.
    fn run_data_with(
        tx: &rusqlite::Connection,
        company: &CompanyKey,
        load: Load,
        companies: i64,
        lines: Option<std::thread::ScopedJoinHandle<'_, Result<Vec<PaymentLine>>>>,
    ) -> Result<RunData> {
        let key = company.key;
        let mut data = RunData::default();
        {
            let mut statement = tx.prepare(&format!(
                "SELECT {FORMAT_COLUMNS} FROM payment_formats WHERE company = ?1"
            ))?;
            let mut rows = statement.query([key])?;
            while let Some(row) = rows.next()? {
                let format = format_from_row(row)?;
                data.formats.insert(format.id.clone(), format);
            }
        }
        {
            // The core needs no debtor's name, address or e-mail (export's payment slips and
            // reminders do): 200,000 debtors' contact details are tens of megabytes.
            let columns = if load != Load::ForCore {
                DEBTOR_COLUMNS
            } else {
                DEBTOR_CORE_COLUMNS
            };
            // In account order (the primary key's, so no sorting): each debtor is appended.
            let mut statement = tx.prepare(&format!(
                "SELECT {columns} FROM debtors WHERE company = ?1 ORDER BY account"
            ))?;
            // Room for every debtor at once, as for the entries below: grown by doubling, the
            // vector of 200,000 debtors kept room for 262,144 (12 MB unused at every step's
            // peak).
            data.debtors
                .reserve(count_rows(tx, "debtors", key, companies)?);
            let mut rows = statement.query([key])?;
            while let Some(row) = rows.next()? {
                let debtor = debtor_from_row(row)?;
                data.debtors.insert(debtor);
            }
        }
        {
            let mut statement = tx.prepare(&format!(
                "SELECT {MANDATE_COLUMNS} FROM mandates WHERE company = ?1 ORDER BY mandate_id"
            ))?;
            // Sized once, as the debtors are (200,000 mandates: 6 MB less).
            let mut mandates = Vec::with_capacity(count_rows(tx, "mandates", key, companies)?);
            let mut rows = statement.query([key])?;
            while let Some(row) = rows.next()? {
                mandates.push(mandate_from_row(row)?);
            }
            data.mandates = Mandates::from_vec(mandates);
        }
        {
            // Without texts, the text of an entry with an invoice number is read as '' (no
            // allocation per entry). An invoice number of blanks alone is no invoice number
            // (`has_invoice_number`): such an entry's text is read by a second query below.
            // (A `trim` in the first query cost 2 % of collect, for a case the imports
            // hardly ever store.)
            let columns = if load == Load::Whole {
                ENTRY_COLUMNS.to_string()
            } else {
                ENTRY_COLUMNS.replace(
                    "e.text",
                    "CASE WHEN e.invoice IS NULL OR e.invoice = '' THEN e.text ELSE '' END",
                )
            };
            let mut text_of =
                tx.prepare("SELECT text FROM entries WHERE company = ?1 AND entry_id = ?2")?;
            let mut statement = tx.prepare(&format!(
                "SELECT {columns} FROM entries e WHERE e.company = ?1 AND (e.remaining <> 0 \
                 OR EXISTS (SELECT 1 FROM payment_lines l \
                            WHERE l.company = e.company AND l.entry_id = e.entry_id)) \
                 ORDER BY e.entry_id"
            ))?;
            // Room for every row at once: a vector doubling as it grows holds up to three
            // times its rows at the moment it moves (a million entries: 0.5 GB).
            data.entries
                .reserve(count_rows(tx, "entries", key, companies)?);
            let mut rows = statement.query([key])?;
            while let Some(row) = rows.next()? {
                let mut entry = entry_from_row(row, 0)?;
                if load != Load::Whole
                    && entry.invoice.as_deref().is_some_and(|i| !i.is_empty())
                    && !crate::charge::has_invoice_number(&entry)
                {
                    entry.text =
                        text_of.query_row((key, entry.entry_id.as_str()), |r| get_id(r, 0))?;
                }
                data.entries.insert(entry);
            }
        }
        data.lines = match lines {
            Some(lines) => lines
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))?,
            None => load_lines(tx, key, companies, load)?,
        };
        // Entries are counted before the settled ones are left out: give back the rest.
        data.entries.shrink_to_fit();
        Ok(data)
    }

    /// Creates payment lines in status blank, each with a first status log entry (no old
    /// status, new blank, `cause`), and returns their ids in the order given. An unknown entry
    /// or format, or a debtor that is not the entry's, refuses them all.
    ///
    /// Ids are given in payment format order, and in entry id order within a format, whatever
    /// the order of `lines`: the same suggestion gets the same ids even when it was built from
    /// a hash map, and the inserts walk the entries' key order once per format, which is much
    /// faster on a large table than a random order. A format's lines lie together in the table,
    /// so a step of one format only (an LS receipt, an LS 0602) changes the pages of that
    /// format's lines, not nearly every page: at a million lines, a tenth of them LS, import
    /// delivery of the benchmark's three files took 11 s instead of 14.
    pub fn insert_lines(
        &mut self,
        company: &CompanyKey,
        lines: &[NewLineRow],
        now: NaiveDateTime,
        cause: &str,
    ) -> Result<Vec<i64>> {
        self.insert_lines_checked(company, lines, None, now, cause)
    }

    /// [`Store::insert_lines`] for lines made from `data`, loaded in this same transaction
    /// (suggest's): each line's debtor is checked against its entry in `data` instead of by a
    /// query over the inserted lines (a lookup per line through the entries' key: 13 % of
    /// suggest's instructions at 100,000 lines). If `data` does not hold some line's entry,
    /// the query checks them all, as for [`Store::insert_lines`].
    pub fn insert_lines_of_run(
        &mut self,
        company: &CompanyKey,
        lines: &[NewLineRow],
        data: &RunData,
        now: NaiveDateTime,
        cause: &str,
    ) -> Result<Vec<i64>> {
        self.insert_lines_checked(company, lines, Some(data), now, cause)
    }

    /// [`Store::insert_lines`], the debtors checked against `data` when given, else by a query.
    fn insert_lines_checked(
        &mut self,
        company: &CompanyKey,
        lines: &[NewLineRow],
        data: Option<&RunData>,
        now: NaiveDateTime,
        cause: &str,
    ) -> Result<Vec<i64>> {
        // Each line's debtor is checked against its entry in the run where the run holds it;
        // if any line's entry is not there (not one of the company's, or settled without
        // lines, which the run leaves out), the query below checks them all.
        let mut query_debtors = data.is_none();
        // Where each line's entry is in the run's entries (in entry id order), while the run
        // holds every line's entry: the lines are sorted by it below.
        let mut entry_positions: Option<Vec<u32>> = None;
        if let Some(data) = data {
            let mut positions = Vec::with_capacity(lines.len());
            for line in lines {
                let position = data.entries.position_of(&line.entry_id);
                match position.and_then(|at| data.entries.at(at)) {
                    Some(entry) if entry.debtor != line.debtor => {
                        return Err(Error::WrongDebtor {
                            entry: line.entry_id.to_string(),
                            expected: entry.debtor.to_string(),
                            given: line.debtor.to_string(),
                        });
                    }
                    Some(_) => {}
                    None => query_debtors = true,
                }
                positions.extend(position.and_then(|at| u32::try_from(at).ok()));
            }
            if positions.len() == lines.len() {
                entry_positions = Some(positions);
            }
        }
        let tx = self.write()?;
        let formats: HashSet<String> = tx
            .prepare("SELECT id FROM payment_formats WHERE company = ?1")?
            .query_map([company.key], |row| row.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        if let Some(line) = lines
            .iter()
            .find(|l| !formats.contains(l.format_id.as_str()))
        {
            return Err(Error::UnknownFormat(line.format_id.to_string()));
        }
        let order = insertion_order(lines, &formats, entry_positions.as_deref());
        let sorted: Vec<&NewLineRow> = order.iter().map(|&i| &lines[i]).collect();
        let mut ids = Vec::with_capacity(lines.len());
        // Rows go in batches of INSERT_BATCH per statement (performance.md). The foreign key
        // to entries refuses an unknown entry; the batch it was in is then checked row by row
        // to say which.
        let insert = BatchInsert {
            into: "payment_lines (company, status, entry_id, debtor, format_id, payment_date)",
            constants: &[&company.key, &Status::Blank.as_str()],
            columns: 4,
            batch: INSERT_BATCH,
        };
        let inserted = insert.run(
            &tx,
            sorted.iter(),
            |statement, p, line| {
                statement.raw_bind_parameter(p, line.entry_id.as_str())?;
                statement.raw_bind_parameter(p + 1, line.debtor.as_str())?;
                statement.raw_bind_parameter(p + 2, line.format_id.as_str())?;
                statement.raw_bind_parameter(p + 3, date_text(line.payment_date))
            },
            // One statement's rows get consecutive ids while the write lock is held.
            |count| {
                let last = tx.last_insert_rowid();
                let first = last + 1 - i64::try_from(count).unwrap_or(i64::MAX);
                ids.extend(first..=last);
            },
        );
        match inserted {
            Ok(()) => {}
            Err(Error::Db(e)) if is_foreign_key_violation(&e) => {
                let failed = &sorted[ids.len()..sorted.len().min(ids.len() + INSERT_BATCH)];
                return Err(refused_lines(&tx, company, failed)?.unwrap_or(Error::Db(e)));
            }
            Err(e) => return Err(e),
        }
        if let (Some(&first), Some(&last)) = (ids.first(), ids.last()) {
            // A line carries its entry's debtor; unless the run's entries checked them, one
            // query checks them all.
            let mismatch: Option<(String, String, String)> = if query_debtors {
                tx.query_row(WRONG_DEBTOR_SQL, (company.key, first, last), |row| {
                    Ok((row.get(0)?, row.get(1)?, row.get(2)?))
                })
                .optional()?
            } else {
                None
            };
            if let Some((entry, expected, given)) = mismatch {
                return Err(Error::WrongDebtor {
                    entry,
                    expected,
                    given,
                });
            }
            // I6: every line's first status is logged, by one statement for all of them.
            let logged = status_log::log_created(&tx, company, (first, last), now, cause)?;
            if logged != ids.len() {
                return Err(Error::Corrupt(format!(
                    "new payment lines {first} to {last} are {logged}, not {}",
                    ids.len()
                )));
            }
        }
        tx.commit()?;
        tracing::info!(
            company = company.id(),
            lines = ids.len(),
            cause,
            "payment lines created"
        );
        // Back to the order the lines were given in.
        let mut given = vec![0; ids.len()];
        for (id, &position) in ids.iter().zip(&order) {
            given[position] = *id;
        }
        Ok(given)
    }

    /// Deletes payment lines that were never sent, with their status logs (a settled entry's
    /// unsent line disappears). A line that was sent, or is not in status blank or waiting,
    /// refuses them all with [`Error::LineSent`].
    pub fn delete_unsent_lines(&mut self, company: &CompanyKey, ids: &[i64]) -> Result<()> {
        let tx = self.write()?;
        {
            let mut check = tx.prepare(
                "SELECT status, date_sent IS NULL AND delivery_id IS NULL AND reference IS NULL \
                 FROM payment_lines WHERE company = ?1 AND id = ?2",
            )?;
            let mut delete_line =
                tx.prepare("DELETE FROM payment_lines WHERE company = ?1 AND id = ?2")?;
            for &id in ids {
                let found: Option<(Status, bool)> = check
                    .query_row((company.key, id), |row| {
                        Ok((get_status(row, 0)?, row.get(1)?))
                    })
                    .optional()?;
                match found {
                    None => return Err(Error::UnknownLine(id)),
                    Some((Status::Blank | Status::Waiting, true)) => {}
                    Some(_) => return Err(Error::LineSent(id)),
                }
                status_log::delete_line_log(&tx, company, id)?;
                delete_line.execute((company.key, id))?;
            }
        }
        tx.commit()?;
        tracing::info!(
            company = company.id(),
            lines = ids.len(),
            "unsent payment lines deleted"
        );
        Ok(())
    }

    /// Stores validation results ("system info"): an empty list means the line is ok.
    pub fn save_validations(
        &mut self,
        company: &CompanyKey,
        results: &[(i64, Vec<ValidationError>)],
    ) -> Result<()> {
        self.update_each(
            company,
            "errors",
            results
                .iter()
                .map(|(id, errors)| (*id, Value::Text(errors_to_json(errors)))),
        )
    }

    /// Stores collective payment ids (`None` dissolves a line's group).
    pub fn save_groups(
        &mut self,
        company: &CompanyKey,
        groups: &[(i64, Option<String>)],
    ) -> Result<()> {
        self.update_each(
            company,
            "group_id",
            groups.iter().map(|(id, group)| {
                (
                    *id,
                    group
                        .as_ref()
                        .map_or(Value::Null, |g| Value::Text(g.clone())),
                )
            }),
        )
    }

    /// Stores validation results like [`Store::save_validations`], as `store_validations`
    /// does: give each line as read in the same transaction, with its new result, in
    /// ascending id order; a line that does not exist is skipped.
    pub fn save_validations_in_order<'l, E: AsRef<[ValidationError]> + Send>(
        &mut self,
        company: &CompanyKey,
        results: impl Iterator<Item = (&'l PaymentLine, E)> + Send,
    ) -> Result<()> {
        let tx = self.write()?;
        // Validate writes nearly every line after suggest: the results and their JSON are
        // made on a second thread while this one runs the `UPDATE`s ([`made_alongside`]).
        made_alongside(validation_values(results), |values| {
            update_in_order(&tx, company, "errors", Only::Changed, values)
        })?;
        tx.commit()?;
        Ok(())
    }

    /// Stores each line's collective payment id and validation result together, in
    /// ascending line id order, writing only the lines where either differs from the stored
    /// one: collect changes both on most lines, and one write per row costs half of two.
    pub fn save_groups_and_validations_in_order<'a, E: AsRef<[ValidationError]> + Send>(
        &mut self,
        company: &CompanyKey,
        lines: impl Iterator<Item = (i64, Option<&'a str>, E)> + Send,
    ) -> Result<()> {
        let tx = self.write()?;
        // As in `save_validations_in_order`: the results on a second thread.
        let values = lines.map(|(id, group, errors)| {
            let group = group.map_or(Value::Null, |g| Value::Text(g.into()));
            (id, [group, Value::Text(errors_to_json(errors.as_ref()))])
        });
        made_alongside(values, |values| {
            update_columns_in_order(&tx, company, &["group_id", "errors"], Only::Changed, values)
        })?;
        tx.commit()?;
        Ok(())
    }

    /// Sets one column to one value per line in one transaction; an unknown line refuses all.
    /// Values are applied in line id order (the table's key order); a line given twice gets
    /// its last value.
    fn update_each(
        &mut self,
        company: &CompanyKey,
        column: &str,
        values: impl Iterator<Item = (i64, Value)>,
    ) -> Result<()> {
        let mut values: Vec<(i64, Value)> = values.collect();
        // The sort is stable: a line given twice gets its last value, as one by one would.
        values.sort_by_key(|(id, _)| *id);
        let tx = self.write()?;
        update_in_order(&tx, company, column, Only::All, values.into_iter())?;
        tx.commit()?;
        Ok(())
    }
    /// Changes line statuses and logs each change (I6). Each change names the status the line
    /// is expected to have; if any line is no longer in it (someone changed it meanwhile),
    /// nothing is applied and [`Error::StaleStatus`] names the line. Whether a change is an
    /// allowed edge of the status machine is the caller's decision.
    pub fn change_status(
        &mut self,
        company: &CompanyKey,
        changes: &[(i64, Status, Status)],
        now: NaiveDateTime,
        cause: &str,
    ) -> Result<()> {
        let tx = self.write()?;
        {
            let mut update = tx.prepare(
                "UPDATE payment_lines SET status = ?4 WHERE company = ?1 AND id = ?2 AND status = ?3",
            )?;
            let mut current =
                tx.prepare("SELECT status FROM payment_lines WHERE company = ?1 AND id = ?2")?;
            let mut log = StatusLog::new(company, now);
            let cause: std::rc::Rc<str> = cause.into();
            // Applied in line id order, which walks the table's key order (far faster than a
            // random order on a large table). The sort is stable, so two changes of one line
            // keep their order.
            let mut ordered: Vec<&(i64, Status, Status)> = changes.iter().collect();
            ordered.sort_by_key(|change| change.0);
            for &&(id, old, new) in &ordered {
                if update.execute((company.key, id, old.as_str(), new.as_str()))? == 0 {
                    let found = current
                        .query_row((company.key, id), |row| get_status(row, 0))
                        .optional()?;
                    return Err(match found {
                        None => Error::UnknownLine(id),
                        Some(found) => Error::StaleStatus {
                            line: id,
                            expected: old,
                            found,
                        },
                    });
                }
                log.push(&tx, id, Some(old), new, &cause)?;
            }
            log.flush(&tx)?;
        }
        tx.commit()?;
        tracing::info!(
            company = company.id(),
            lines = changes.len(),
            cause,
            "statuses changed"
        );
        Ok(())
    }

    /// Every payment line of one entry, by id.
    pub fn lines_of_entry(&self, company: &CompanyKey, entry_id: &str) -> Result<Vec<PaymentLine>> {
        let lines = self
            .conn
            .prepare_cached(&format!(
                "SELECT {LINE_COLUMNS} FROM payment_lines l \
                 WHERE l.company = ?1 AND l.entry_id = ?2 ORDER BY l.id"
            ))?
            .query_map((company.key, entry_id), line_from_row)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(lines)
    }

    /// Sets or clears (`None`) a line's partial payment: the amount to charge instead of the
    /// entry's amount. Whether it may be set is the caller's to decide
    /// (`Engine::set_partial_payment`).
    pub fn set_partial_payment(
        &mut self,
        company: &CompanyKey,
        line: i64,
        partial: Option<Amount>,
    ) -> Result<()> {
        let tx = self.write()?;
        let changed = tx.execute(
            "UPDATE payment_lines SET partial_payment = ?3 WHERE company = ?1 AND id = ?2",
            (company.key, line, partial.map(Amount::ore)),
        )?;
        if changed == 0 {
            return Err(Error::UnknownLine(line));
        }
        tx.commit()?;
        Ok(())
    }

    /// Sets a line's payment date and takes it out of its collective payment (a group id
    /// names its debtor's payment date). Whether it may be set is the caller's to decide
    /// (`Engine::set_payment_date`).
    pub fn set_payment_date(
        &mut self,
        company: &CompanyKey,
        line: i64,
        date: NaiveDate,
    ) -> Result<()> {
        let tx = self.write()?;
        let changed = tx.execute(
            "UPDATE payment_lines SET payment_date = ?3, group_id = NULL \
             WHERE company = ?1 AND id = ?2",
            (company.key, line, date_text(date)),
        )?;
        if changed == 0 {
            return Err(Error::UnknownLine(line));
        }
        tx.commit()?;
        Ok(())
    }

    /// One payment line with its entry and its whole status log, oldest first.
    pub fn line(
        &self,
        company: &CompanyKey,
        id: i64,
    ) -> Result<(PaymentLine, Entry, Vec<StatusChange>)> {
        let tx = self.read()?;
        let found = tx
            .query_row(
                &format!(
                    "SELECT {LINE_COLUMNS}, {ENTRY_COLUMNS} FROM payment_lines l \
                     JOIN entries e ON e.company = l.company AND e.entry_id = l.entry_id \
                     WHERE l.company = ?1 AND l.id = ?2"
                ),
                (company.key, id),
                |row| Ok((line_from_row(row)?, entry_from_row(row, LINE_COLUMN_COUNT)?)),
            )
            .optional()?;
        let (line, entry) = found.ok_or(Error::UnknownLine(id))?;
        let log = tx
            .prepare(status_log::LINE_LOG_SQL)?
            .query_map((company.key, id), status_change_from_row)?
            .collect::<rusqlite::Result<_>>()?;
        tx.commit()?;
        Ok((line, entry, log))
    }

    /// The payment lines that match a filter, with their entries, by line id.
    pub fn list_lines(
        &self,
        company: &CompanyKey,
        filter: &LineFilter,
    ) -> Result<Vec<(PaymentLine, Entry)>> {
        let mut sql = format!(
            "SELECT {LINE_COLUMNS}, {ENTRY_COLUMNS} FROM payment_lines l \
             JOIN entries e ON e.company = l.company AND e.entry_id = l.entry_id \
             WHERE l.company = ?1"
        );
        let mut values = vec![Value::Integer(company.key)];
        let bind = |values: &mut Vec<Value>, value: Value| {
            values.push(value);
            format!("?{}", values.len())
        };
        if !filter.statuses.is_empty() {
            let placeholders: Vec<String> = filter
                .statuses
                .iter()
                .map(|s| bind(&mut values, Value::Text(s.as_str().to_string())))
                .collect();
            sql += &format!(" AND l.status IN ({})", placeholders.join(", "));
        }
        let text = |s: &String| Value::Text(s.clone());
        if let Some(debtor) = &filter.debtor {
            sql += &format!(" AND l.debtor = {}", bind(&mut values, text(debtor)));
        }
        if let Some(mandate) = &filter.mandate {
            let p = bind(&mut values, Value::Text(mandate.to_uppercase()));
            sql += &format!(
                " AND l.debtor IN (SELECT m.debtor FROM mandates m \
                   WHERE m.company = l.company AND m.mandate_id = {p})"
            );
        }
        if let Some(agreement) = &filter.agreement {
            let p = bind(&mut values, text(agreement));
            sql += &format!(
                " AND l.debtor IN (SELECT m.debtor FROM mandates m \
                   WHERE m.company = l.company AND m.agreement = {p})"
            );
        }
        if let Some(payment_id) = &filter.payment_id {
            sql += &format!(
                " AND e.payment_id = {}",
                bind(&mut values, text(payment_id))
            );
        }
        if let Some(reference) = &filter.reference {
            sql += &format!(" AND l.reference = {}", bind(&mut values, text(reference)));
        }
        if let Some(group) = &filter.group {
            sql += &format!(" AND l.group_id = {}", bind(&mut values, text(group)));
        }
        if let Some(from) = filter.from {
            let p = bind(&mut values, Value::Text(date_text(from)));
            sql += &format!(" AND l.payment_date >= {p}");
        }
        if let Some(to) = filter.to {
            let p = bind(&mut values, Value::Text(date_text(to)));
            sql += &format!(" AND l.payment_date <= {p}");
        }
        sql += " ORDER BY l.id";
        let mut statement = self.conn.prepare(&sql)?;
        let lines = statement
            .query_map(rusqlite::params_from_iter(values), |row| {
                Ok((line_from_row(row)?, entry_from_row(row, LINE_COLUMN_COUNT)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(lines)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{counts, dump, import_text, seed_company, seeded, TempDir};
    use super::*;
    use crate::csv_import::parse_date;

    fn date(text: &str) -> NaiveDate {
        parse_date(text).unwrap()
    }

    fn now() -> NaiveDateTime {
        date("2026-05-15").and_hms_opt(9, 30, 0).unwrap()
    }

    /// The statements suggest runs over the lines it just inserted read them by id range, in
    /// id order, not every line of the company by the index by entry and then a sort.
    #[test]
    fn the_new_lines_are_read_by_id_range() {
        let (_dir, store, _) = seeded();
        for sql in [WRONG_DEBTOR_SQL, status_log::LOG_CREATED_SQL] {
            let mut explain = store
                .conn
                .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
                .unwrap();
            // The plan does not depend on the values: the parameters are left unbound.
            let mut rows = explain.raw_query();
            let mut plan: Vec<String> = Vec::new();
            while let Some(row) = rows.next().unwrap() {
                plan.push(row.get(3).unwrap());
            }
            assert!(
                plan.iter()
                    .any(|step| step.contains("SEARCH") && step.contains("INTEGER PRIMARY KEY")),
                "{sql}: {plan:?}"
            );
            assert!(
                !plan
                    .iter()
                    .any(|step| step.contains("TEMP B-TREE")
                        || step.contains("payment_lines_by_entry")),
                "{sql}: {plan:?}"
            );
        }
    }

    fn new_line(entry: &str, debtor: &str, format: &str, payment_date: &str) -> NewLineRow {
        NewLineRow {
            entry_id: entry.into(),
            debtor: debtor.into(),
            format_id: format.into(),
            payment_date: date(payment_date),
        }
    }

    /// The order of insertion by the entries' positions is the order by the ids' texts,
    /// lines that tie (the same format and entry) in the order given.
    #[test]
    fn lines_are_inserted_by_format_and_entry_whichever_way_they_are_sorted() {
        let entries = ["E1", "E10", "E2", "E3"]; // in id order: their positions 0..4
        let lines: Vec<NewLineRow> = [
            ("E3", "LS"),
            ("E10", "BS"),
            ("E2", "LS"),
            ("E1", "LS"),
            ("E3", "BS"),
            ("E10", "BS"),
            ("E1", "BST"),
        ]
        .into_iter()
        .map(|(entry, format)| new_line(entry, "100100", format, "2026-07-01"))
        .collect();
        let formats: HashSet<String> = ["LS", "BST", "BS"].map(String::from).into();
        let positions: Vec<u32> = lines
            .iter()
            .map(|l| {
                entries
                    .iter()
                    .position(|e| *e == l.entry_id.as_str())
                    .unwrap() as u32
            })
            .collect();
        let by_text = insertion_order(&lines, &formats, None);
        assert_eq!(by_text, [1, 5, 4, 6, 3, 2, 0]);
        assert_eq!(insertion_order(&lines, &formats, Some(&positions)), by_text);
    }

    /// The seed lines: E1, E2 (debtor 100100, BS, 2026-07-01), E3 (100101, BS, 2026-08-03),
    /// E4 (200100, LS, 2026-07-02).
    fn seed_lines(store: &mut Store, company: &CompanyKey) -> Vec<i64> {
        store
            .insert_lines(
                company,
                &[
                    new_line("E1", "100100", "BS", "2026-07-01"),
                    new_line("E2", "100100", "BS", "2026-07-01"),
                    new_line("E3", "100101", "BS", "2026-08-03"),
                    new_line("E4", "200100", "LS", "2026-07-02"),
                ],
                now(),
                "suggest",
            )
            .unwrap()
    }

    #[test]
    fn inserted_lines_are_blank_and_logged() {
        let (_dir, mut store, company) = seeded();
        let ids = seed_lines(&mut store, &company);
        assert_eq!(ids.len(), 4);
        let (line, entry, log) = store.line(&company, ids[0]).unwrap();
        assert_eq!(line.entry_id, "E1");
        assert_eq!(line.debtor, "100100");
        assert_eq!(line.status, Status::Blank);
        assert_eq!(line.errors, None);
        assert_eq!(line.group, None);
        assert!(!line.cancellation_sent);
        assert_eq!(entry.amount, ledger::Amount::from_ore(100000));
        assert_eq!(
            log,
            vec![StatusChange {
                at: now(),
                old: None,
                new: Status::Blank,
                cause: "suggest".into()
            }]
        );
    }

    #[test]
    fn the_run_data_has_its_lines_in_id_order_whatever_their_entries_order() {
        let (_dir, mut store, company) = seeded();
        // E2's line is numbered after E3's and E4's, as when an old entry gets a new line, so
        // the lines are not in their entries' order.
        let ids = store
            .insert_lines(
                &company,
                &[
                    new_line("E4", "200100", "LS", "2026-07-02"),
                    new_line("E1", "100100", "BS", "2026-07-01"),
                    new_line("E3", "100101", "BS", "2026-08-03"),
                ],
                now(),
                "suggest",
            )
            .unwrap();
        let more = store
            .insert_lines(
                &company,
                &[new_line("E2", "100100", "BS", "2026-07-01")],
                now(),
                "suggest",
            )
            .unwrap();
        let check = |store: &Store| {
            for data in [
                store.load_run_data(&company).unwrap(),
                store.load_run_data_for_step(&company).unwrap(),
            ] {
                let lines: Vec<(i64, &str)> = data
                    .lines
                    .iter()
                    .map(|l| (l.id, l.entry_id.as_str()))
                    .collect();
                assert_eq!(
                    lines,
                    [
                        (ids[1], "E1"),
                        (ids[2], "E3"),
                        (ids[0], "E4"),
                        (more[0], "E2")
                    ]
                );
                assert!(lines.is_sorted_by_key(|(id, _)| *id));
            }
        };
        // One company: the table is read in id order.
        check(&store);
        // Several: read by the entry index, then sorted.
        seed_company(&mut store, "other");
        check(&store);
    }

    #[test]
    fn ids_follow_the_format_then_the_entry() {
        let (_dir, mut store, company) = seeded();
        // A0 is the LS debtor's and comes first by entry id.
        let text = "entry_id,debtor,due_date,amount\nA0,200100,2026-07-01,1\n";
        import_text::<Entry>(&mut store, &company, "entries.csv", text).unwrap();
        let lines = [
            new_line("E4", "200100", "LS", "2026-07-02"),
            new_line("E2", "100100", "BS", "2026-07-01"),
            new_line("A0", "200100", "LS", "2026-07-01"),
            new_line("E1", "100100", "BS", "2026-07-01"),
        ];
        let ids = store
            .insert_lines(&company, &lines, now(), "suggest")
            .unwrap();
        // Back in the given order; E1, E2 (BS) before A0, E4 (LS).
        let first = ids[3];
        assert_eq!(ids, [first + 3, first + 1, first + 2, first]);
        for (line, id) in lines.iter().zip(&ids) {
            let (stored, _, _) = store.line(&company, *id).unwrap();
            assert_eq!(stored.entry_id, line.entry_id);
        }
    }

    #[test]
    fn many_lines_go_in_batches_with_ids_in_entry_order() {
        let (_dir, mut store, company) = seeded();
        let n = INSERT_BATCH * 2 + 7;
        let mut text = String::from("entry_id,debtor,due_date,amount\n");
        for i in 0..n {
            text += &format!("B{i:04},100100,2026-07-01,1\n");
        }
        import_text::<Entry>(&mut store, &company, "entries.csv", &text).unwrap();
        // Given in reverse: ids still follow the entry ids, and come back in the given order.
        let lines: Vec<NewLineRow> = (0..n)
            .rev()
            .map(|i| new_line(&format!("B{i:04}"), "100100", "BS", "2026-07-01"))
            .collect();
        let ids = store
            .insert_lines(&company, &lines, now(), "suggest")
            .unwrap();
        assert_eq!(ids.len(), n);
        for (line, id) in lines.iter().zip(&ids) {
            let (stored, _, log) = store.line(&company, *id).unwrap();
            assert_eq!(stored.entry_id, line.entry_id);
            assert_eq!(log.len(), 1);
        }
        assert!(ids.windows(2).all(|w| w[0] == w[1] + 1), "{ids:?}");
        // A bad line in the last, partial batch refuses all of them.
        let before = dump(&store);
        let mut bad = lines.clone();
        bad.push(new_line("ZZZ", "100100", "BS", "2026-07-01"));
        assert!(matches!(
            store.insert_lines(&company, &bad, now(), "suggest"),
            Err(Error::UnknownEntry(e)) if e == "ZZZ"
        ));
        assert_eq!(dump(&store), before);
    }

    /// New lines are refused whole for an unknown entry, an unknown format or a debtor that
    /// is not the entry's, whether they come from anywhere (`insert_lines`, checked by a
    /// query) or from the run data (`insert_lines_of_run`, checked against its entries; an
    /// entry the run does not hold leaves the check to that query).
    #[test]
    fn insert_lines_refuses_unknown_entries_formats_and_wrong_debtors() {
        let (_dir, mut store, company) = seeded();
        let data = store.load_run_data_for_step(&company).unwrap();
        let before = dump(&store);
        for of_run in [false, true] {
            let mut check = |line: NewLineRow, expected: &str| {
                let lines = [new_line("E1", "100100", "BS", "2026-07-01"), line];
                let inserted = if of_run {
                    store.insert_lines_of_run(&company, &lines, &data, now(), "suggest")
                } else {
                    store.insert_lines(&company, &lines, now(), "suggest")
                };
                assert_eq!(
                    inserted.unwrap_err().to_string(),
                    expected,
                    "of run: {of_run}"
                );
            };
            check(
                new_line("E99", "100100", "BS", "2026-07-01"),
                "no entry 'E99' in this company: import it with `payrun import entries`",
            );
            check(
                new_line("E2", "100100", "FI", "2026-07-01"),
                "no payment format 'FI' in this company: add it with `payrun format add --id FI`",
            );
            check(
                new_line("E2", "100101", "BS", "2026-07-01"),
                "entry 'E2' belongs to debtor '100100', not '100101'",
            );
        }
        assert_eq!(dump(&store), before);
        // The lines as made from the run go in, as by `insert_lines`.
        let ids = store
            .insert_lines_of_run(
                &company,
                &[new_line("E2", "100100", "BS", "2026-07-01")],
                &data,
                now(),
                "suggest",
            )
            .unwrap();
        assert_eq!(ids.len(), 1);
    }

    #[test]
    fn run_data_holds_everything_the_core_needs() {
        let (_dir, mut store, company) = seeded();
        // A settled entry without lines is left out; one with a line stays.
        import_text::<Entry>(
            &mut store,
            &company,
            "entries.csv",
            "entry_id,debtor,due_date,amount,remaining\n\
             OLD1,100100,2025-01-01,10,0\nOLD2,100100,2025-01-01,10,0\n",
        )
        .unwrap();
        store
            .insert_lines(
                &company,
                &[new_line("OLD2", "100100", "BS", "2025-01-02")],
                now(),
                "suggest",
            )
            .unwrap();
        let ids = seed_lines(&mut store, &company);
        let data = store.load_run_data(&company).unwrap();
        assert_eq!(data.formats.len(), 2);
        assert_eq!(data.debtors.len(), 3);
        assert_eq!(data.mandates["100100"].len(), 1);
        assert_eq!(data.mandates["200100"][0].mandate_id, "LS200100");
        let entries: Vec<&str> = data.entries.values().map(|e| e.entry_id.as_str()).collect();
        assert_eq!(entries, ["E1", "E2", "E3", "E4", "OLD2"]);
        let line_ids: Vec<i64> = data.lines.iter().map(|l| l.id).collect();
        assert_eq!(line_ids[1..], ids[..]);
    }

    #[test]
    fn a_step_reads_the_text_of_entries_without_an_invoice_number_only() {
        let (_dir, mut store, company) = seeded();
        seed_lines(&mut store, &company);
        // E1 has an invoice number; E2 none; E3 one of blanks alone, which is none.
        store
            .conn
            .execute_batch(
                "UPDATE entries SET text = 'text ' || entry_id; \
                 UPDATE entries SET invoice = 'F1' WHERE entry_id = 'E1'; \
                 UPDATE entries SET invoice = NULL WHERE entry_id = 'E2'; \
                 UPDATE entries SET invoice = ' 	 ' WHERE entry_id = 'E3';",
            )
            .unwrap();
        let data = store.load_run_data_for_step(&company).unwrap();
        assert_eq!(data.entries["E1"].text, "");
        assert_eq!(data.entries["E2"].text, "text E2");
        assert_eq!(data.entries["E3"].text, "text E3");
        let whole = store.load_run_data(&company).unwrap();
        assert_eq!(whole.entries["E1"].text, "text E1");
    }

    #[test]
    fn validations_and_groups_are_saved() {
        let (_dir, mut store, company) = seeded();
        let ids = seed_lines(&mut store, &company);
        let failure = ValidationError {
            code: "deadline-passed",
            message: "the deadline 2026-05-21T17:30 has passed".into(),
        };
        store
            .save_validations(
                &company,
                &[(ids[0], vec![]), (ids[1], vec![failure.clone()])],
            )
            .unwrap();
        store
            .save_groups(
                &company,
                &[
                    (ids[0], Some("100100-20260701".into())),
                    (ids[1], Some("-".into())),
                ],
            )
            .unwrap();
        let data = store.load_run_data(&company).unwrap();
        assert!(data.lines[0].is_ok());
        assert_eq!(data.lines[1].errors.as_deref(), Some(&[failure][..]));
        assert_eq!(data.lines[2].errors, None);
        assert_eq!(data.lines[0].group.as_deref(), Some("100100-20260701"));
        store.save_groups(&company, &[(ids[0], None)]).unwrap();
        assert_eq!(store.line(&company, ids[0]).unwrap().0.group, None);
        // An unknown line refuses the whole batch.
        let before = dump(&store);
        let error = store
            .save_groups(&company, &[(ids[1], None), (9999, None)])
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "no payment line 9999 in this company: `payrun list` shows the lines"
        );
        assert_eq!(dump(&store), before);
    }

    #[test]
    fn a_failed_write_inside_atomically_rolls_back_even_if_its_error_is_dropped() {
        let (_dir, mut store, company) = seeded();
        let ids = seed_lines(&mut store, &company);
        store
            .save_groups(&company, &[(ids[1], Some("-".into()))])
            .unwrap();
        let before = dump(&store);
        // The write joins the transaction without a savepoint: the known line is updated
        // before the unknown one is found. Work that drops the error still commits nothing.
        let outcome = store.atomically(|store| {
            let dropped = store.save_groups(&company, &[(ids[1], None), (9999, None)]);
            assert!(matches!(dropped, Err(Error::UnknownLine(9999))));
            Ok(())
        });
        assert!(matches!(outcome, Err(Error::PartFailed)), "{outcome:?}");
        assert_eq!(dump(&store), before);
        // The next transaction starts clean.
        store
            .atomically(|store| store.save_groups(&company, &[(ids[1], None)]))
            .unwrap();
        assert_eq!(store.line(&company, ids[1]).unwrap().0.group, None);
    }

    #[test]
    fn change_status_logs_every_change() {
        let (_dir, mut store, company) = seeded();
        let ids = seed_lines(&mut store, &company);
        let later = now() + chrono::Duration::hours(1);
        store
            .change_status(
                &company,
                &[
                    (ids[0], Status::Blank, Status::Sent),
                    (ids[1], Status::Blank, Status::Waiting),
                ],
                later,
                "export of delivery 1",
            )
            .unwrap();
        store
            .change_status(
                &company,
                &[(ids[0], Status::Sent, Status::Received)],
                later,
                "import of file 0602.txt",
            )
            .unwrap();
        let (line, _, log) = store.line(&company, ids[0]).unwrap();
        assert_eq!(line.status, Status::Received);
        let summary: Vec<(Option<Status>, Status, &str)> = log
            .iter()
            .map(|c| (c.old, c.new, c.cause.as_str()))
            .collect();
        assert_eq!(
            summary,
            vec![
                (None, Status::Blank, "suggest"),
                (Some(Status::Blank), Status::Sent, "export of delivery 1"),
                (
                    Some(Status::Sent),
                    Status::Received,
                    "import of file 0602.txt"
                ),
            ]
        );
        assert_eq!(store.line(&company, ids[1]).unwrap().2.len(), 2);
        // 4 creations + 3 changes.
        let log_rows = counts(&store, &company)
            .into_iter()
            .find(|(t, _)| t == "status_log")
            .unwrap()
            .1;
        assert_eq!(log_rows, 7);
    }

    #[test]
    fn change_status_refuses_a_stale_old_status_and_applies_nothing() {
        let (_dir, mut store, company) = seeded();
        let ids = seed_lines(&mut store, &company);
        store
            .change_status(
                &company,
                &[(ids[1], Status::Blank, Status::Waiting)],
                now(),
                "manual",
            )
            .unwrap();
        let before = dump(&store);
        // The first change is fine, the second expects blank but the line is waiting.
        let error = store
            .change_status(
                &company,
                &[
                    (ids[0], Status::Blank, Status::Sent),
                    (ids[1], Status::Blank, Status::Sent),
                ],
                now(),
                "export of delivery 1",
            )
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "payment line {} is now waiting, not blank: it changed meanwhile; nothing was changed, run the command again",
                ids[1]
            )
        );
        assert_eq!(dump(&store), before);
        let error = store
            .change_status(
                &company,
                &[(4242, Status::Blank, Status::Sent)],
                now(),
                "manual",
            )
            .unwrap_err();
        assert!(matches!(error, Error::UnknownLine(4242)), "{error:?}");
    }

    #[test]
    fn only_unsent_lines_are_deleted() {
        let (_dir, mut store, company) = seeded();
        let ids = seed_lines(&mut store, &company);
        store
            .change_status(
                &company,
                &[(ids[1], Status::Blank, Status::Sent)],
                now(),
                "export of delivery 1",
            )
            .unwrap();
        let before = dump(&store);
        let error = store
            .delete_unsent_lines(&company, &[ids[0], ids[1]])
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "payment line {} has been sent and cannot be deleted",
                ids[1]
            )
        );
        assert_eq!(dump(&store), before);
        store
            .delete_unsent_lines(&company, &[ids[0], ids[2]])
            .unwrap();
        assert!(matches!(
            store.line(&company, ids[0]),
            Err(Error::UnknownLine(_))
        ));
        let remaining: Vec<i64> = store
            .list_lines(&company, &LineFilter::default())
            .unwrap()
            .iter()
            .map(|(l, _)| l.id)
            .collect();
        assert_eq!(remaining, vec![ids[1], ids[3]]);
        // The deleted lines' logs went with them, and their ids are never given again.
        let log_rows: i64 = store
            .conn
            .query_row("SELECT count(*) FROM status_log", [], |row| row.get(0))
            .unwrap();
        assert_eq!(log_rows, 3);
        let new = store
            .insert_lines(
                &company,
                &[new_line("E1", "100100", "BS", "2026-07-01")],
                now(),
                "suggest",
            )
            .unwrap();
        assert!(new[0] > ids[3]);
    }

    /// Data-driven: the entry ids of the lines a filter selects.
    fn check_filter(store: &Store, company: &CompanyKey, filter: LineFilter, expected: &[&str]) {
        let got: Vec<String> = store
            .list_lines(company, &filter)
            .unwrap()
            .into_iter()
            .map(|(line, entry)| {
                assert_eq!(line.entry_id, entry.entry_id);
                line.entry_id.to_string()
            })
            .collect();
        assert_eq!(got, expected, "{filter:?}");
    }

    #[test]
    fn list_lines_filters() {
        let (_dir, mut store, company) = seeded();
        let ids = seed_lines(&mut store, &company);
        store
            .change_status(
                &company,
                &[(ids[2], Status::Blank, Status::Sent)],
                now(),
                "export of delivery 1",
            )
            .unwrap();
        store
            .save_groups(
                &company,
                &[
                    (ids[0], Some("100100-20260701".into())),
                    (ids[1], Some("100100-20260701".into())),
                ],
            )
            .unwrap();
        store
            .conn
            .execute(
                "UPDATE payment_lines SET reference = 'R-3' WHERE id = ?1",
                [ids[2]],
            )
            .unwrap();
        let all = LineFilter::default;
        let s = |s: &str| Some(s.to_string());
        check_filter(&store, &company, all(), &["E1", "E2", "E3", "E4"]);
        check_filter(
            &store,
            &company,
            LineFilter {
                statuses: vec![Status::Sent],
                ..all()
            },
            &["E3"],
        );
        check_filter(
            &store,
            &company,
            LineFilter {
                statuses: vec![Status::Sent, Status::Blank],
                ..all()
            },
            &["E1", "E2", "E3", "E4"],
        );
        check_filter(
            &store,
            &company,
            LineFilter {
                statuses: vec![Status::Received],
                ..all()
            },
            &[],
        );
        check_filter(
            &store,
            &company,
            LineFilter {
                debtor: s("100100"),
                ..all()
            },
            &["E1", "E2"],
        );
        check_filter(
            &store,
            &company,
            LineFilter {
                mandate: s("ls200100"),
                ..all()
            },
            &["E4"],
        );
        check_filter(
            &store,
            &company,
            LineFilter {
                mandate: s("NOPE"),
                ..all()
            },
            &[],
        );
        check_filter(
            &store,
            &company,
            LineFilter {
                agreement: s("000000002"),
                ..all()
            },
            &["E3"],
        );
        check_filter(
            &store,
            &company,
            LineFilter {
                payment_id: s("000000000000018"),
                ..all()
            },
            &["E1"],
        );
        check_filter(
            &store,
            &company,
            LineFilter {
                reference: s("R-3"),
                ..all()
            },
            &["E3"],
        );
        check_filter(
            &store,
            &company,
            LineFilter {
                group: s("100100-20260701"),
                ..all()
            },
            &["E1", "E2"],
        );
        check_filter(
            &store,
            &company,
            LineFilter {
                from: Some(date("2026-07-02")),
                ..all()
            },
            &["E3", "E4"],
        );
        check_filter(
            &store,
            &company,
            LineFilter {
                to: Some(date("2026-07-02")),
                ..all()
            },
            &["E1", "E2", "E4"],
        );
        check_filter(
            &store,
            &company,
            LineFilter {
                from: Some(date("2026-07-02")),
                to: Some(date("2026-07-02")),
                ..all()
            },
            &["E4"],
        );
        check_filter(
            &store,
            &company,
            LineFilter {
                debtor: s("100100"),
                group: s("-"),
                ..all()
            },
            &[],
        );
    }

    /// The run data's lines are the same, in id order, whether the database holds one
    /// company (the table is read in id order) or several (read by the company's index, then
    /// sorted).
    #[test]
    fn run_data_lines_are_in_id_order_with_one_company_or_several() {
        let dir = TempDir::new();
        let mut store = Store::open(dir.path().join("p.db")).unwrap();
        let a = seed_company(&mut store, "a");
        let ids = seed_lines(&mut store, &a);
        let lines =
            |store: &mut Store| -> Vec<PaymentLine> { store.load_run_data(&a).unwrap().lines };
        let alone = lines(&mut store);
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        assert_eq!(alone.iter().map(|l| l.id).collect::<Vec<_>>(), sorted);
        let b = seed_company(&mut store, "b");
        seed_lines(&mut store, &b);
        assert_eq!(lines(&mut store), alone);
    }

    /// Inside `atomically`, before anything is written, the lines are read on a second
    /// connection while this one reads the rest: the same run data as read on one, with one
    /// company or several. Once the transaction has written, everything is read on this
    /// connection (a second one would not see the write).
    #[test]
    fn lines_read_alongside_are_the_lines_read_here() {
        let dir = TempDir::new();
        let mut store = Store::open(dir.path().join("p.db")).unwrap();
        let a = seed_company(&mut store, "a");
        seed_lines(&mut store, &a);
        let same = |one: &RunData, other: &RunData| {
            assert_eq!(one.lines, other.lines);
            assert_eq!(one.entries, other.entries);
            assert_eq!(one.debtors, other.debtors);
            assert_eq!(format!("{:?}", one.formats), format!("{:?}", other.formats));
            assert_eq!(
                format!("{:?}", one.mandates),
                format!("{:?}", other.mandates)
            );
        };
        for company in ["b", "c"] {
            let here = store.load_run_data_for_step(&a).unwrap();
            assert!(!store.nothing_written_yet());
            let (alongside, data) = store
                .atomically(|store| {
                    Ok((
                        store.nothing_written_yet(),
                        store.load_run_data_for_step(&a)?,
                    ))
                })
                .unwrap();
            assert!(alongside);
            assert!(!data.lines.is_empty());
            same(&here, &data);
            // Another company's lines, to read the lines through the index by company.
            let other = seed_company(&mut store, company);
            seed_lines(&mut store, &other);
        }
        let (alongside, data) = store
            .atomically(|store| {
                store.insert_lines(
                    &a,
                    &[new_line("E4", "200100", "LS", "2026-07-09")],
                    now(),
                    "suggest",
                )?;
                Ok((
                    store.nothing_written_yet(),
                    store.load_run_data_for_step(&a)?,
                ))
            })
            .unwrap();
        assert!(!alongside);
        assert!(data
            .lines
            .iter()
            .any(|l| l.entry_id == "E4" && l.payment_date == date("2026-07-09")));
    }

    /// I11: two companies in one database with the same debtor accounts, mandate ids, entry
    /// ids and format ids; each primitive sees and changes only its own company's rows.
    #[test]
    fn companies_are_isolated() {
        let dir = TempDir::new();
        let mut store = Store::open(dir.path().join("p.db")).unwrap();
        let a = seed_company(&mut store, "a");
        let b = seed_company(&mut store, "b");
        // Company b's E1 differs, so a leak would show.
        import_text::<Entry>(
            &mut store,
            &b,
            "entries.csv",
            "entry_id,debtor,due_date,amount\nE1,100101,2026-09-01,7.00\n",
        )
        .unwrap();
        let a_ids = seed_lines(&mut store, &a);
        let b_ids = store
            .insert_lines(
                &b,
                &[new_line("E1", "100101", "BS", "2026-09-01")],
                now(),
                "suggest",
            )
            .unwrap();

        let data_b = store.load_run_data(&b).unwrap();
        assert_eq!(data_b.lines.len(), 1);
        assert_eq!(data_b.entries["E1"].debtor, "100101");
        assert_eq!(data_b.entries.len(), 4);
        let listed_b = store.list_lines(&b, &LineFilter::default()).unwrap();
        assert_eq!(listed_b.len(), 1);
        assert_eq!(listed_b[0].1.amount, ledger::Amount::from_ore(700));
        assert_eq!(
            store.list_lines(&a, &LineFilter::default()).unwrap().len(),
            4
        );
        assert_eq!(store.mandates(&b, None).unwrap().len(), 3);
        assert_eq!(store.debtors(&b).unwrap().len(), 3);
        assert_eq!(store.formats(&b).unwrap().len(), 2);

        // A line of company a is unknown to company b, for every primitive.
        let foreign = a_ids[0];
        let unknown = |r: Result<()>| {
            assert!(
                matches!(r, Err(Error::UnknownLine(id)) if id == foreign),
                "{r:?}"
            )
        };
        assert!(matches!(
            store.line(&b, foreign),
            Err(Error::UnknownLine(_))
        ));
        unknown(store.change_status(
            &b,
            &[(foreign, Status::Blank, Status::Sent)],
            now(),
            "manual",
        ));
        unknown(store.save_validations(&b, &[(foreign, vec![])]));
        unknown(store.save_groups(&b, &[(foreign, Some("-".into()))]));
        unknown(store.delete_unsent_lines(&b, &[foreign]));
        let (line, entry, _) = store.line(&a, foreign).unwrap();
        assert_eq!(
            (line.status, line.errors, line.group),
            (Status::Blank, None, None)
        );
        assert_eq!(entry.amount, ledger::Amount::from_ore(100000));

        // Changing company b's E1 leaves company a's E1 alone.
        store
            .change_status(
                &b,
                &[(b_ids[0], Status::Blank, Status::Waiting)],
                now(),
                "manual",
            )
            .unwrap();
        assert_eq!(store.line(&a, foreign).unwrap().0.status, Status::Blank);
        assert_eq!(store.line(&a, foreign).unwrap().2.len(), 1);
    }
}
