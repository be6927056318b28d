//! Applying CSV imports: the rows [`crate::csv_import`] read, checked against the database and
//! upserted in one `IMMEDIATE` transaction.
//!
//! A file is all or nothing: every row is checked (unknown debtor, unknown payment format) and
//! every problem collected; if there is any, the transaction is rolled back and the database is
//! as before. Upserts run as the rows come, through statements prepared once per file, so a
//! good file of a million rows costs one pass.
//!
//! A re-imported row replaces the stored one: a column absent from the file takes its default.

use super::alongside::made_alongside;
use super::batch::insert_sql;
use super::codec::date_text;
use super::{held, is_foreign_key_violation, CompanyKey, Store};
use crate::csv_import::{CsvRows, ImportSummary, Problems, Row, RowProblem};
use crate::error::Result;
use crate::model::{Debtor, Mandate};
use ledger::Entry;
use rusqlite::{Connection, Statement};
use std::collections::HashSet;
use std::io::Read;

impl Store {
    /// Imports a debtors file into a company: all rows, or none when any row is bad.
    pub fn import_debtors<R: Read + Send>(
        &mut self,
        company: &CompanyKey,
        mut rows: CsvRows<R, Debtor>,
    ) -> Result<ImportSummary> {
        let tx = self.write()?;
        let formats = format_ids(&tx, company)?;
        let before = count(&tx, "debtors", company)?;
        let mut problems = Problems::new(rows.file(), rows.limits());
        let mut upserts = Upserts::new(&tx, company, &DEBTORS);
        // The file is read and its rows checked on a second thread while this one writes.
        made_alongside(rows.by_ref(), |rows| {
            upserts.upsert_all(rows, &mut problems, |row| {
                let unknown = row
                    .value
                    .payment_format
                    .as_deref()
                    .filter(|format| !formats.contains(*format));
                Ok(unknown
                    .map(|format| unknown_format(row.line, company, format))
                    .into_iter()
                    .collect())
            })
        })?;
        let good = upserts.good;
        drop(upserts);
        finish(tx, problems, rows, "debtors", company, before, good)
    }

    /// Imports a mandates file into a company: all rows, or none when any row is bad.
    pub fn import_mandates<R: Read + Send>(
        &mut self,
        company: &CompanyKey,
        mut rows: CsvRows<R, Mandate>,
    ) -> Result<ImportSummary> {
        let tx = self.write()?;
        let formats = format_ids(&tx, company)?;
        let before = count(&tx, "mandates", company)?;
        let mut problems = Problems::new(rows.file(), rows.limits());
        let mut upserts = Upserts::new(&tx, company, &MANDATES);
        // The file is read and its rows checked on a second thread while this one writes.
        made_alongside(rows.by_ref(), |rows| {
            upserts.upsert_all(rows, &mut problems, |row| {
                let m = &row.value;
                let mut found = Vec::new();
                if !formats.contains(m.payment_format.as_str()) {
                    if !debtor_exists(&tx, company, &m.debtor)? {
                        found.push(unknown_debtor(row.line, company, &m.debtor));
                    }
                    found.push(unknown_format(row.line, company, &m.payment_format));
                }
                Ok(found)
            })
        })?;
        let good = upserts.good;
        drop(upserts);
        finish(tx, problems, rows, "mandates", company, before, good)
    }

    /// Imports an entries file into a company: all rows, or none when any row is bad.
    ///
    /// An entry that already has payment lines keeps its debtor (the lines carry it): a row
    /// that would move it to another debtor is refused.
    pub fn import_entries<R: Read + Send>(
        &mut self,
        company: &CompanyKey,
        mut rows: CsvRows<R, Entry>,
    ) -> Result<ImportSummary> {
        let tx = self.write()?;
        let before = count(&tx, "entries", company)?;
        let mut problems = Problems::new(rows.file(), rows.limits());
        let mut upserts = Upserts::new(&tx, company, &ENTRIES);
        // The file is read and its rows checked on a second thread while this one writes.
        made_alongside(rows.by_ref(), |rows| {
            upserts.upsert_all(rows, &mut problems, |_| Ok(Vec::new()))
        })?;
        let good = upserts.good;
        drop(upserts);
        finish(tx, problems, rows, "entries", company, before, good)
    }
}

/// Rows per upsert statement. SQLite runs an upsert in a statement journal of its own: before
/// the statement first changes a page it copies the page aside, so that it can undo the
/// statement alone (an insert turned update, a foreign key broken half-way). One row per
/// statement copied every page a row touched once per row, and opened and released the
/// journal per row: at 100,000 entries that was 18 % of the import's instructions. A
/// statement of a hundred rows copies a page once for all of them.
const UPSERT_BATCH: usize = 100;

/// How one kind of row is upserted: `INSERT INTO {into} VALUES (…), (…){then}`, the company
/// bound once as `?1`, then `columns` values a row, bound by `bind` from the placeholder it is
/// given. `judge` reads one row's result when it was upserted alone (see [`Upserts`]): whether
/// it was upserted; if not it records the row's problem, and it refuses the file on an error
/// it does not expect.
struct UpsertOf<T: 'static> {
    into: &'static str,
    then: &'static str,
    columns: usize,
    bind: fn(&mut Statement<'_>, usize, &T) -> rusqlite::Result<()>,
    judge: fn(rusqlite::Result<usize>, &Row<T>, &CompanyKey, &mut Problems) -> Result<bool>,
}

impl<T> UpsertOf<T> {
    fn sql(&self, rows: usize) -> String {
        format!(
            "{}{}",
            insert_sql(self.into, 1, self.columns, rows),
            self.then
        )
    }
}

const DEBTORS: UpsertOf<Debtor> = UpsertOf {
    into: "debtors (company, account, name, tax_id, address, postcode, city, country, email, \
           payment_format)",
    then: " ON CONFLICT (company, account) DO UPDATE SET name = excluded.name, \
           tax_id = excluded.tax_id, address = excluded.address, \
           postcode = excluded.postcode, city = excluded.city, country = excluded.country, \
           email = excluded.email, payment_format = excluded.payment_format",
    columns: 9,
    bind: bind_debtor,
    judge: judge_debtor,
};

fn bind_debtor(statement: &mut Statement<'_>, p: usize, d: &Debtor) -> rusqlite::Result<()> {
    statement.raw_bind_parameter(p, d.account.as_str())?;
    statement.raw_bind_parameter(p + 1, d.name.as_str())?;
    statement.raw_bind_parameter(p + 2, d.tax_id.as_ref().map(|t| t.digits()))?;
    statement.raw_bind_parameter(p + 3, d.address.as_str())?;
    statement.raw_bind_parameter(p + 4, d.postcode.as_str())?;
    statement.raw_bind_parameter(p + 5, d.city.as_str())?;
    statement.raw_bind_parameter(p + 6, d.country.as_str())?;
    statement.raw_bind_parameter(p + 7, d.email.as_str())?;
    statement.raw_bind_parameter(p + 8, d.payment_format.as_deref())
}

/// A debtor's payment format is checked before the row is held: nothing else can fail.
fn judge_debtor(
    upserted: rusqlite::Result<usize>,
    _: &Row<Debtor>,
    _: &CompanyKey,
    _: &mut Problems,
) -> Result<bool> {
    Ok(upserted? == 1)
}

const MANDATES: UpsertOf<Mandate> = UpsertOf {
    into: "mandates (company, mandate_id, debtor, payment_format, status, agreement, \
           start_date, end_date, alt_mandate_id)",
    then: " ON CONFLICT (company, mandate_id) DO UPDATE SET debtor = excluded.debtor, \
           payment_format = excluded.payment_format, status = excluded.status, \
           agreement = excluded.agreement, start_date = excluded.start_date, \
           end_date = excluded.end_date, alt_mandate_id = excluded.alt_mandate_id",
    columns: 8,
    bind: bind_mandate,
    judge: judge_mandate,
};

fn bind_mandate(statement: &mut Statement<'_>, p: usize, m: &Mandate) -> rusqlite::Result<()> {
    statement.raw_bind_parameter(p, m.mandate_id.as_str())?;
    statement.raw_bind_parameter(p + 1, m.debtor.as_str())?;
    statement.raw_bind_parameter(p + 2, m.payment_format.as_str())?;
    statement.raw_bind_parameter(p + 3, m.status.as_str())?;
    statement.raw_bind_parameter(p + 4, m.agreement.as_deref())?;
    statement.raw_bind_parameter(p + 5, m.start_date.map(date_text))?;
    statement.raw_bind_parameter(p + 6, m.end_date.map(date_text))?;
    statement.raw_bind_parameter(p + 7, m.alt_mandate_id.as_deref())
}

/// A mandate's format is checked before the row is held, so the only foreign key left to
/// break is the debtor's.
fn judge_mandate(
    upserted: rusqlite::Result<usize>,
    row: &Row<Mandate>,
    company: &CompanyKey,
    problems: &mut Problems,
) -> Result<bool> {
    match upserted {
        Ok(_) => Ok(true),
        Err(e) if is_foreign_key_violation(&e) => {
            problems.push(unknown_debtor(row.line, company, &row.value.debtor));
            Ok(false)
        }
        Err(e) => Err(e.into()),
    }
}

const ENTRIES: UpsertOf<Entry> = UpsertOf {
    into: "entries (company, entry_id, debtor, date, due_date, invoice, amount, remaining, \
           currency, text, has_invoice_lines, payment_id)",
    // The WHERE of the update leaves the row alone (0 rows changed) when the debtor would
    // change under existing payment lines; `judge_entry` reports it.
    then: " ON CONFLICT (company, entry_id) DO UPDATE SET debtor = excluded.debtor, \
           date = excluded.date, due_date = excluded.due_date, invoice = excluded.invoice, \
           amount = excluded.amount, remaining = excluded.remaining, \
           currency = excluded.currency, text = excluded.text, \
           has_invoice_lines = excluded.has_invoice_lines, payment_id = excluded.payment_id \
           WHERE entries.debtor = excluded.debtor OR NOT EXISTS ( \
               SELECT 1 FROM payment_lines l \
               WHERE l.company = entries.company AND l.entry_id = entries.entry_id)",
    columns: 11,
    bind: bind_entry,
    judge: judge_entry,
};

fn bind_entry(statement: &mut Statement<'_>, p: usize, e: &Entry) -> rusqlite::Result<()> {
    statement.raw_bind_parameter(p, e.entry_id.as_str())?;
    statement.raw_bind_parameter(p + 1, e.debtor.as_str())?;
    statement.raw_bind_parameter(p + 2, e.date.map(date_text))?;
    statement.raw_bind_parameter(p + 3, date_text(e.due_date))?;
    statement.raw_bind_parameter(p + 4, e.invoice.as_deref())?;
    statement.raw_bind_parameter(p + 5, e.amount.ore())?;
    statement.raw_bind_parameter(p + 6, e.remaining.ore())?;
    statement.raw_bind_parameter(p + 7, e.currency.as_str())?;
    statement.raw_bind_parameter(p + 8, e.text.as_str())?;
    statement.raw_bind_parameter(p + 9, e.has_invoice_lines)?;
    statement.raw_bind_parameter(p + 10, e.payment_id.as_deref())
}

/// The debtor is an entry's only foreign key: a violation means an unknown debtor, found by
/// the upsert itself rather than by a lookup before it.
fn judge_entry(
    upserted: rusqlite::Result<usize>,
    row: &Row<Entry>,
    company: &CompanyKey,
    problems: &mut Problems,
) -> Result<bool> {
    let e = &row.value;
    match upserted {
        Ok(0) => problems.push(RowProblem::new(
            row.line,
            Some("debtor"),
            format!(
                "entry '{}' already has payment lines for another debtor: its debtor cannot change to '{}'",
                e.entry_id, e.debtor
            ),
        )),
        Ok(_) => return Ok(true),
        Err(err) if is_foreign_key_violation(&err) => {
            problems.push(unknown_debtor(row.line, company, &e.debtor))
        }
        Err(err) => return Err(err.into()),
    }
    Ok(false)
}

/// A file's good rows, upserted [`UPSERT_BATCH`] to a statement, in file order.
///
/// A statement that did not upsert every row it was given (its `WHERE` refused an update,
/// or it broke a foreign key and undid itself) is followed by each of its rows again, alone,
/// for [`UpsertOf::judge`] to tell which: a row the batch did upsert is written again with
/// the same values. Whoever records a problem of its own flushes first, so problems are
/// found in file order, as one row per statement found them (which ones are kept when there
/// are more than the limit depends on that order).
struct Upserts<'t, T: 'static> {
    tx: &'t Connection,
    company: &'t CompanyKey,
    of: &'static UpsertOf<T>,
    held: Vec<Row<T>>,
    full: Option<Statement<'t>>,
    single: Option<Statement<'t>>,
    /// Rows upserted so far.
    good: usize,
}

impl<'t, T> Upserts<'t, T> {
    fn new(tx: &'t Connection, company: &'t CompanyKey, of: &'static UpsertOf<T>) -> Self {
        Upserts {
            tx,
            company,
            of,
            held: Vec::with_capacity(UPSERT_BATCH),
            full: None,
            single: None,
            good: 0,
        }
    }

    /// Upserts `rows`, as the reader gives them, to the last. `refusal` gives the problems the
    /// database finds with a row before it is upserted (an unknown payment format); such a
    /// row, and one the reader could not read, is not upserted, and its problems are
    /// recorded after the rows before it are upserted, so problems keep the file's order.
    fn upsert_all(
        &mut self,
        rows: impl Iterator<Item = std::result::Result<Row<T>, Vec<RowProblem>>>,
        problems: &mut Problems,
        mut refusal: impl FnMut(&Row<T>) -> Result<Vec<RowProblem>>,
    ) -> Result<()> {
        for row in rows {
            let found = match &row {
                Ok(row) => refusal(row)?,
                Err(_) => Vec::new(),
            };
            match row {
                Ok(row) if found.is_empty() => self.push(row, problems)?,
                Ok(_) => {
                    self.flush(problems)?;
                    problems.extend(found);
                }
                Err(row_problems) => {
                    self.flush(problems)?;
                    problems.extend(row_problems);
                }
            }
        }
        self.flush(problems)
    }

    /// Holds `row`; a full batch is upserted at once.
    fn push(&mut self, row: Row<T>, problems: &mut Problems) -> Result<()> {
        self.held.push(row);
        if self.held.len() < UPSERT_BATCH {
            return Ok(());
        }
        self.flush(problems)
    }

    /// Upserts the rows held.
    fn flush(&mut self, problems: &mut Problems) -> Result<()> {
        let count = self.held.len();
        if count == 0 {
            return Ok(());
        }
        let of = self.of;
        let mut short;
        let statement = if count == UPSERT_BATCH {
            held(&mut self.full, self.tx, || of.sql(UPSERT_BATCH))?
        } else {
            short = self.tx.prepare(&of.sql(count))?;
            &mut short
        };
        statement.raw_bind_parameter(1, self.company.key)?;
        for (i, row) in self.held.iter().enumerate() {
            (of.bind)(statement, 2 + i * of.columns, &row.value)?;
        }
        let all = match statement.raw_execute() {
            Ok(changed) => changed == count,
            Err(error) if is_foreign_key_violation(&error) => false,
            Err(error) => return Err(error.into()),
        };
        if all {
            self.good += count;
        } else {
            let single = held(&mut self.single, self.tx, || of.sql(1))?;
            for row in &self.held {
                single.raw_bind_parameter(1, self.company.key)?;
                (of.bind)(single, 2, &row.value)?;
                if (of.judge)(single.raw_execute(), row, self.company, problems)? {
                    self.good += 1;
                }
            }
        }
        self.held.clear();
        Ok(())
    }
}

/// Commits when nothing was wrong, else rolls back (by dropping the transaction) and returns
/// every problem.
fn finish<R, T>(
    tx: super::Scope<'_>,
    problems: Problems,
    rows: CsvRows<R, T>,
    table: &str,
    company: &CompanyKey,
    before: usize,
    good: usize,
) -> Result<ImportSummary> {
    problems.finish()?;
    let after = count(&tx, table, company)?;
    tx.commit()?;
    let inserted = after.saturating_sub(before);
    let summary = ImportSummary {
        file: rows.file().to_string(),
        rows: rows.rows(),
        inserted,
        updated: good.saturating_sub(inserted),
    };
    tracing::info!(
        company = company.id(),
        file = %summary.file,
        rows = summary.rows,
        inserted = summary.inserted,
        updated = summary.updated,
        "{table} imported"
    );
    Ok(summary)
}

/// Rows of a company in one of the company tables (a name from this module, never input).
fn count(tx: &Connection, table: &str, company: &CompanyKey) -> Result<usize> {
    let count: i64 = tx.query_row(
        &format!("SELECT count(*) FROM {table} WHERE company = ?1"),
        [company.key],
        |row| row.get(0),
    )?;
    Ok(usize::try_from(count).unwrap_or(0))
}

fn format_ids(tx: &Connection, company: &CompanyKey) -> Result<HashSet<String>> {
    let mut statement = tx.prepare("SELECT id FROM payment_formats WHERE company = ?1")?;
    let ids = statement
        .query_map([company.key], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(ids)
}

fn debtor_exists(tx: &Connection, company: &CompanyKey, account: &str) -> Result<bool> {
    Ok(tx
        .prepare_cached("SELECT 1 FROM debtors WHERE company = ?1 AND account = ?2")?
        .exists((company.key, account))?)
}

fn unknown_debtor(line: usize, company: &CompanyKey, debtor: &str) -> RowProblem {
    RowProblem::new(
        line,
        Some("debtor"),
        format!(
            "no debtor '{debtor}' in company '{}': import it with payrun import debtors first",
            company.id()
        ),
    )
}

fn unknown_format(line: usize, company: &CompanyKey, format: &str) -> RowProblem {
    RowProblem::new(
        line,
        Some("payment_format"),
        format!(
            "no payment format '{format}' in company '{}': add it with payrun format add",
            company.id()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::super::testing::{counts, dump, import_text, seeded, TempDir, SEED_ENTRIES};
    use super::*;
    use crate::model::TaxId;
    use ledger::Amount;

    /// Imports `text` as file `file` into the seed database; expects it refused with exactly
    /// `expected`, and the database exactly as before.
    fn check_refused<T: super::super::testing::ImportKind>(file: &str, text: &str, expected: &str) {
        let (_dir, mut store, company) = seeded();
        let before = dump(&store);
        let counts_before = counts(&store, &company);
        let error = import_text::<T>(&mut store, &company, file, text)
            .expect_err("the file should be refused");
        assert_eq!(error.to_string(), expected, "input:\n{text}");
        assert_eq!(counts(&store, &company), counts_before);
        assert_eq!(dump(&store), before);
    }

    #[test]
    fn unknown_debtor_in_entries_and_mandates() {
        check_refused::<Entry>(
            "entries.csv",
            "entry_id,debtor,due_date,amount\nE9,100100,2026-07-01,1\nE10,999999,2026-07-01,1\n",
            "entries.csv:3: debtor: no debtor '999999' in company 'main': import it with payrun import debtors first",
        );
        check_refused::<Mandate>(
            "mandates.csv",
            "mandate_id,debtor,payment_format,status\nM9,999999,XX,enrolled\n",
            "mandates.csv:2: debtor: no debtor '999999' in company 'main': import it with payrun import debtors first\n\
             mandates.csv:2: payment_format: no payment format 'XX' in company 'main': add it with payrun format add",
        );
    }

    #[test]
    fn unknown_payment_format_in_debtors() {
        check_refused::<Debtor>(
            "debtors.csv",
            "account,name,payment_format\n300100,New,BS\n300101,Newer,FI\n",
            "debtors.csv:3: payment_format: no payment format 'FI' in company 'main': add it with payrun format add",
        );
    }

    #[test]
    fn every_bad_row_is_reported_and_nothing_applied() {
        // Good rows before, between and after the bad ones are not applied either.
        check_refused::<Entry>(
            "entries.csv",
            "entry_id,debtor,due_date,amount\n\
             E1,100100,2026-07-01,1.00\n\
             E9,100100,2026-07-01,12.345\n\
             E10,100100,2026-13-01,5\n\
             E11,100100,2026-07-01,5\n\
             E9,100100,2026-07-01,5\n\
             E12,999999,2026-07-01,abc\n",
            "entries.csv:3: amount: '12.345' has more than two decimals: amounts are never rounded\n\
             entries.csv:4: due_date: '2026-13-01' is not a date: expected YYYY-MM-DD, like 2026-07-01\n\
             entries.csv:6: entry_id: 'E9' is also on line 3: a key may appear only once in a file\n\
             entries.csv:7: amount: 'abc' is not an amount: expected digits with an optional '.' and at most two decimals, like 1234.50 or -99",
        );
    }

    #[test]
    fn a_bad_header_changes_nothing() {
        check_refused::<Debtor>(
            "debtors.csv",
            "account,name,colour\n1,A,red\n",
            "debtors.csv:1: unknown column 'colour': the columns of a debtors file are account, name, cvr, address, postcode, city, country, email, payment_format",
        );
    }

    #[test]
    fn upsert_updates_on_reimport() {
        let (_dir, mut store, company) = seeded();
        let summary = import_text::<Debtor>(
            &mut store,
            &company,
            "debtors.csv",
            "\u{feff}account,name,cvr,country\n100100,Hansen & Søn ApS,,se\n300100,Ny Kunde,,\n",
        )
        .unwrap();
        assert_eq!(
            summary,
            ImportSummary {
                file: "debtors.csv".into(),
                rows: 2,
                inserted: 1,
                updated: 1
            }
        );
        let debtors = store.debtors(&company).unwrap();
        let hansen = debtors.iter().find(|d| d.account == "100100").unwrap();
        assert_eq!(hansen.name, "Hansen & Søn ApS");
        assert_eq!(hansen.country, "SE");
        // Replaced whole: the format and CVR absent from this file are gone.
        assert_eq!(hansen.payment_format, None);
        assert_eq!(hansen.tax_id, None);
        assert_eq!(debtors.len(), 4);

        // The same entries again: all updated, none inserted, values unchanged.
        let summary =
            import_text::<Entry>(&mut store, &company, "entries.csv", SEED_ENTRIES).unwrap();
        assert_eq!((summary.rows, summary.inserted, summary.updated), (4, 0, 4));
        let summary = import_text::<Entry>(
            &mut store,
            &company,
            "entries.csv",
            "entry_id,debtor,due_date,amount,remaining\nE1,100100,2026-07-01,1000.00,400.50\n",
        )
        .unwrap();
        assert_eq!((summary.rows, summary.inserted, summary.updated), (1, 0, 1));
        let data = store.load_run_data(&company).unwrap();
        assert_eq!(data.entries["E1"].remaining, Amount::from_ore(40050));

        let summary = import_text::<Mandate>(
            &mut store,
            &company,
            "mandates.csv",
            "mandate_id,debtor,payment_format,status\nls200100,200100,LS,unsubscribed\n",
        )
        .unwrap();
        assert_eq!((summary.inserted, summary.updated), (0, 1));
        let mandates = store.mandates(&company, Some("200100")).unwrap();
        assert_eq!(mandates[0].mandate_id, "LS200100");
        assert_eq!(
            mandates[0].status,
            crate::model::MandateStatus::Unsubscribed
        );
        assert_eq!(mandates[0].start_date, None);
    }

    #[test]
    fn cpr_is_stored_whole_and_listed_masked() {
        let (_dir, store, company) = seeded();
        let debtors = store.debtors(&company).unwrap();
        let jens = debtors.iter().find(|d| d.account == "100101").unwrap();
        assert_eq!(jens.tax_id, Some(TaxId::Cpr("0101701234".into())));
        assert!(!format!("{jens:?}").contains("0101701234"));
    }

    /// The seed database with a payment line on entry E1 (debtor 100100).
    fn seeded_with_a_line_on_e1() -> (TempDir, Store, CompanyKey) {
        let (dir, mut store, company) = seeded();
        store
            .insert_lines(
                &company,
                &[crate::store::NewLineRow {
                    entry_id: "E1".into(),
                    debtor: "100100".into(),
                    format_id: "BS".into(),
                    payment_date: crate::csv_import::parse_date("2026-07-01").unwrap(),
                }],
                chrono::NaiveDateTime::default(),
                "suggest",
            )
            .unwrap();
        (dir, store, company)
    }

    #[test]
    fn entry_debtor_cannot_move_under_payment_lines() {
        let (_dir, mut store, company) = seeded_with_a_line_on_e1();
        let before = dump(&store);
        let error = import_text::<Entry>(
            &mut store,
            &company,
            "entries.csv",
            "entry_id,debtor,due_date,amount\nE2,100101,2026-07-01,1\nE1,100101,2026-07-01,1\n",
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "entries.csv:3: debtor: entry 'E1' already has payment lines for another debtor: its debtor cannot change to '100101'"
        );
        assert_eq!(dump(&store), before);
    }

    /// `count` entries rows E1000… of debtor 100100, one a line, with `bad` rows replaced
    /// (by their 0-based row number).
    fn entries_file(count: usize, bad: &[(usize, &str)]) -> String {
        let mut text = String::from("entry_id,debtor,due_date,amount\n");
        for i in 0..count {
            match bad.iter().find(|(at, _)| *at == i) {
                Some((_, row)) => text.push_str(row),
                None => text.push_str(&format!("E{},100100,2026-07-01,1", 1000 + i)),
            }
            text.push('\n');
        }
        text
    }

    /// A file of several full batches with a bad row of each kind inside them: every problem
    /// is reported once, in line order, and nothing is applied. The refused debtor change
    /// and the unknown debtor share a batch (the batch's statement breaks the foreign key and
    /// undoes itself); a row that cannot be read comes in a later one.
    #[test]
    fn bad_rows_inside_full_batches_are_each_reported_and_nothing_applied() {
        let (_dir, mut store, company) = seeded_with_a_line_on_e1();
        let before = dump(&store);
        let text = entries_file(
            3 * UPSERT_BATCH + 10,
            &[
                (UPSERT_BATCH + 20, "E1,100101,2026-07-01,1"),
                (UPSERT_BATCH + 50, "E9,999999,2026-07-01,1"),
                (2 * UPSERT_BATCH + 5, "E10,100100,2026-07-01,lots"),
            ],
        );
        let error = import_text::<Entry>(&mut store, &company, "entries.csv", &text).unwrap_err();
        assert_eq!(
            error.to_string(),
            "entries.csv:122: debtor: entry 'E1' already has payment lines for another debtor: its debtor cannot change to '100101'\n\
             entries.csv:152: debtor: no debtor '999999' in company 'main': import it with payrun import debtors first\n\
             entries.csv:207: amount: 'lots' is not an amount: expected digits with an optional '.' and at most two decimals, like 1234.50 or -99"
        );
        assert_eq!(dump(&store), before);

        // The same file without its bad rows: every row upserted, in full batches and a
        // short one, and counted.
        let good = entries_file(3 * UPSERT_BATCH + 10, &[(7, "E1,100100,2026-07-01,5")]);
        let summary = import_text::<Entry>(&mut store, &company, "entries.csv", &good).unwrap();
        let rows = 3 * UPSERT_BATCH + 10;
        assert_eq!(
            (summary.rows, summary.inserted, summary.updated),
            (rows, rows - 1, 1)
        );
        let data = store.load_run_data(&company).unwrap();
        assert_eq!(data.entries["E1"].amount, Amount::from_ore(500));
        assert_eq!(data.entries.len(), 4 + rows - 1);
    }

    /// With more problems than the limit, the ones kept are the first in the file, whether
    /// the file found them (a row that cannot be read) or the database did (an unknown
    /// debtor, found when its batch is written).
    #[test]
    fn the_problems_kept_are_the_first_in_the_file() {
        let (_dir, mut store, company) = seeded();
        let unknown = |i: usize| format!("E{i},999999,2026-07-01,1");
        let rows: Vec<(usize, String)> = vec![
            (3, unknown(3)),
            (UPSERT_BATCH - 1, "E99,100100,2026-07-01,lots".to_string()),
            (UPSERT_BATCH + 1, unknown(101)),
            (UPSERT_BATCH + 2, "E102,100100,2026-07-01,lots".to_string()),
        ];
        let bad: Vec<(usize, &str)> = rows.iter().map(|(at, row)| (*at, row.as_str())).collect();
        let text = entries_file(2 * UPSERT_BATCH, &bad);
        let limits = crate::csv_import::Limits {
            max_problems: 3,
            ..crate::csv_import::Limits::DEFAULT
        };
        let read =
            crate::csv_import::read_with_limits("entries.csv", text.as_bytes(), limits).unwrap();
        let error = store
            .import_entries(&company, read)
            .unwrap_err()
            .to_string();
        let lines: Vec<&str> = error
            .lines()
            .map(|line| line.split(':').nth(1).unwrap_or(line))
            .collect();
        assert_eq!(
            lines,
            [
                "5",
                "101",
                "103",
                " 1 more problem not shown; nothing was imported"
            ],
            "{error}"
        );
    }

    /// The catalogue of bad CSV inputs in `tests/data/csv/bad/`: each `NAME.csv` is imported
    /// (as debtors, mandates or entries, from the name's first word) into the seed database and
    /// must be refused with exactly the text of `NAME.err`, changing nothing.
    #[test]
    fn bad_input_catalogue() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/csv/bad");
        let mut names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "csv"))
            .collect();
        names.sort();
        assert!(names.len() >= 10, "{names:?}");
        for path in names {
            let file = path.file_name().unwrap().to_str().unwrap().to_string();
            let text = std::fs::read_to_string(&path).unwrap();
            let expected = std::fs::read_to_string(path.with_extension("err"))
                .unwrap_or_else(|_| panic!("{file} needs a .err file"));
            let expected = expected.trim_end();
            match file.split('-').next().unwrap() {
                "debtors" => check_refused::<Debtor>(&file, &text, expected),
                "mandates" => check_refused::<Mandate>(&file, &text, expected),
                "entries" => check_refused::<Entry>(&file, &text, expected),
                other => panic!("{file}: unknown kind {other}"),
            }
        }
    }

    #[test]
    fn the_good_fixtures_import() {
        let dir = TempDir::new();
        let mut store = Store::open(dir.path().join("p.db")).unwrap();
        let company = store.create_company("main", "Main").unwrap();
        for format in [
            crate::payment_format::with_defaults(
                "BS",
                crate::model::Scheme::Bs,
                "12345678",
                "11223344",
            ),
            crate::payment_format::with_defaults(
                "LS",
                crate::model::Scheme::Ls,
                "12345",
                "11223344",
            ),
        ] {
            store.add_format(&company, &format).unwrap();
        }
        let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/csv");
        let read = |name: &str| std::fs::read_to_string(data.join(name)).unwrap();
        let d = import_text::<Debtor>(&mut store, &company, "debtors.csv", &read("debtors.csv"))
            .unwrap();
        let m = import_text::<Mandate>(&mut store, &company, "mandates.csv", &read("mandates.csv"))
            .unwrap();
        let e = import_text::<Entry>(&mut store, &company, "entries.csv", &read("entries.csv"))
            .unwrap();
        assert!(d.inserted > 0 && m.inserted > 0 && e.inserted > 0);
        assert_eq!((d.updated, m.updated, e.updated), (0, 0, 0));
    }
}
