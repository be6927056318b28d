//! Helpers for tests on real database files: a temporary directory, a database with the
//! engine's master-data tables and the journal migration, and data-driven set-up from text.

use crate::{
    Amount, NewJournalLine, JOURNAL_MIGRATION, JOURNAL_MIGRATION_2, JOURNAL_MIGRATION_3,
    JOURNAL_MIGRATION_4,
};
use chrono::{NaiveDate, NaiveDateTime};
use rusqlite::types::Value;
use rusqlite::{Connection, Transaction, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// The engine's tables the journal relies on, copied from `engine/src/store/schema.rs`
/// (migration 1). The ledger crate cannot depend on the engine, so the copy lives here; keep
/// it equal to the engine's.
const ENGINE_TABLES: &str = "
CREATE TABLE companies (
    key  INTEGER PRIMARY KEY,
    id   TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL
) STRICT;

CREATE TABLE payment_formats (
    company                   INTEGER NOT NULL REFERENCES companies (key),
    id                        TEXT NOT NULL,
    scheme                    TEXT NOT NULL CHECK (scheme IN ('bs', 'ls')),
    bs_type                   TEXT CHECK (bs_type IN ('basis', 'total')),
    creditor_number           TEXT NOT NULL,
    supplier_cvr              TEXT NOT NULL,
    debtor_group              TEXT NOT NULL,
    system_code               TEXT NOT NULL,
    principle                 TEXT NOT NULL CHECK (principle IN ('standard', 'remaining')),
    bank_account              TEXT,
    journal                   TEXT NOT NULL,
    banking_day_action        TEXT NOT NULL CHECK (banking_day_action IN ('after', 'before', 'none')),
    cutoff                    TEXT NOT NULL,
    extended_deadline         INTEGER NOT NULL CHECK (extended_deadline IN (0, 1)),
    allow_without_invoice     INTEGER NOT NULL CHECK (allow_without_invoice IN (0, 1)),
    block_payouts             INTEGER NOT NULL CHECK (block_payouts IN (0, 1)),
    create_payment_id         INTEGER NOT NULL CHECK (create_payment_id IN (0, 1)),
    debtor_account_as_mandate INTEGER NOT NULL CHECK (debtor_account_as_mandate IN (0, 1)),
    PRIMARY KEY (company, id)
) STRICT, WITHOUT ROWID;

CREATE TABLE debtors (
    company        INTEGER NOT NULL REFERENCES companies (key),
    account        TEXT NOT NULL,
    name           TEXT NOT NULL,
    tax_id         TEXT,
    address        TEXT NOT NULL,
    postcode       TEXT NOT NULL,
    city           TEXT NOT NULL,
    country        TEXT NOT NULL,
    email          TEXT NOT NULL,
    payment_format TEXT,
    PRIMARY KEY (company, account),
    FOREIGN KEY (company, payment_format) REFERENCES payment_formats (company, id)
) STRICT, WITHOUT ROWID;

CREATE TABLE entries (
    company           INTEGER NOT NULL,
    entry_id          TEXT NOT NULL,
    debtor            TEXT NOT NULL,
    date              TEXT,
    due_date          TEXT NOT NULL,
    invoice           TEXT,
    amount            INTEGER NOT NULL,
    remaining         INTEGER NOT NULL,
    currency          TEXT NOT NULL,
    text              TEXT NOT NULL,
    has_invoice_lines INTEGER NOT NULL CHECK (has_invoice_lines IN (0, 1)),
    payment_id        TEXT,
    PRIMARY KEY (company, entry_id),
    FOREIGN KEY (company, debtor) REFERENCES debtors (company, account)
) STRICT, WITHOUT ROWID;
";

/// A fresh directory under the system's temporary directory, removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new() -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let path = std::env::temp_dir().join(format!(
            "payrun-ledger-test-{}-{nanos}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A database file with the engine's tables and the journal migration, set up as the engine
/// sets up every connection (`reliability.md`). Companies 1 and 2 exist.
pub struct TestDb {
    pub conn: Connection,
    _dir: TempDir,
}

impl TestDb {
    pub fn new() -> TestDb {
        let dir = TempDir::new();
        let conn = Connection::open(dir.path().join("ledger.db")).unwrap();
        conn.busy_timeout(Duration::from_secs(5)).unwrap();
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        conn.pragma_update(None, "synchronous", "FULL").unwrap();
        conn.pragma_update(None, "foreign_keys", true).unwrap();
        let mut db = TestDb { conn, _dir: dir };
        let tx = db.write();
        tx.execute_batch(ENGINE_TABLES).unwrap();
        tx.execute_batch(JOURNAL_MIGRATION).unwrap();
        tx.execute_batch(JOURNAL_MIGRATION_2).unwrap();
        tx.execute_batch(JOURNAL_MIGRATION_3).unwrap();
        tx.execute_batch(JOURNAL_MIGRATION_4).unwrap();
        tx.execute_batch(
            "INSERT INTO companies (key, id, name) VALUES (1, 'one', 'One'), (2, 'two', 'Two')",
        )
        .unwrap();
        tx.commit().unwrap();
        db
    }

    /// A write transaction, begun as the engine begins them.
    pub fn write(&mut self) -> Transaction<'_> {
        self.conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .unwrap()
    }

    /// Adds debtors and entries to `company` from text, one entry a line:
    /// `entry_id debtor due_date invoice amount [remaining]` (invoice `-` for none; remaining
    /// defaults to the amount). Debtors are created as the entries name them.
    pub fn entries(&mut self, company: i64, text: &str) -> &mut TestDb {
        let tx = self.write();
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let [entry_id, debtor, due_date, invoice, amount, rest @ ..] = fields.as_slice() else {
                panic!("bad entry line {line:?}");
            };
            let amount = Amount::parse(amount).unwrap().ore();
            let remaining = rest
                .first()
                .map_or(amount, |r| Amount::parse(r).unwrap().ore());
            add_debtor(&tx, company, debtor);
            let invoice = (*invoice != "-").then_some(*invoice);
            tx.execute(
                "INSERT INTO entries (company, entry_id, debtor, due_date, invoice, amount, \
                 remaining, currency, text, has_invoice_lines) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'DKK', '', 1)",
                (
                    company, entry_id, debtor, due_date, invoice, amount, remaining,
                ),
            )
            .unwrap();
        }
        tx.commit().unwrap();
        self
    }

    pub fn debtor(&mut self, company: i64, account: &str) -> &mut TestDb {
        let tx = self.write();
        add_debtor(&tx, company, account);
        tx.commit().unwrap();
        self
    }

    /// Adds draft lines from text (see [`line`]) to `company` and returns their ids.
    pub fn lines(&mut self, company: i64, text: &str) -> Vec<i64> {
        let lines: Vec<NewJournalLine> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(line)
            .collect();
        let tx = self.write();
        let ids = crate::add_draft_lines(&tx, company, &lines).unwrap();
        tx.commit().unwrap();
        ids
    }

    /// The remaining amounts of the company's entries: `E1 0.00, E2 -250.00`.
    pub fn remaining(&self, company: i64) -> String {
        let mut statement = self
            .conn
            .prepare("SELECT entry_id, remaining FROM entries WHERE company = ?1 ORDER BY entry_id")
            .unwrap();
        let rows: Vec<String> = statement
            .query_map([company], |row| {
                Ok(format!(
                    "{} {}",
                    row.get::<_, String>(0)?,
                    Amount::from_ore(row.get(1)?)
                ))
            })
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        rows.join(", ")
    }

    /// Every row of every table (and the AUTOINCREMENT counters), as text: two dumps are
    /// equal exactly when the database holds the same data.
    pub fn dump(&self) -> String {
        let mut tables: Vec<String> = self
            .conn
            .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        tables.retain(|t| t != "sqlite_stat1");
        let mut dump = String::new();
        for table in tables {
            dump.push_str(&format!("[{table}]\n"));
            let columns = self
                .conn
                .prepare(&format!("SELECT * FROM \"{table}\""))
                .unwrap()
                .column_count();
            let order: Vec<String> = (1..=columns).map(|i| i.to_string()).collect();
            let mut statement = self
                .conn
                .prepare(&format!(
                    "SELECT * FROM \"{table}\" ORDER BY {}",
                    order.join(", ")
                ))
                .unwrap();
            let mut rows = statement.query([]).unwrap();
            while let Some(row) = rows.next().unwrap() {
                let values: Vec<String> = (0..columns)
                    .map(|i| format!("{:?}", row.get::<_, Value>(i).unwrap()))
                    .collect();
                dump.push_str(&values.join("|"));
                dump.push('\n');
            }
        }
        dump
    }
}

/// Runs `operation` in a write transaction that is committed even when the operation is
/// refused, and returns the error message: the refusal must have changed nothing.
pub fn refused<T: std::fmt::Debug>(
    db: &mut TestDb,
    operation: impl FnOnce(&Transaction<'_>) -> crate::Result<T>,
) -> String {
    let before = db.dump();
    let tx = db.write();
    let message = operation(&tx).unwrap_err().to_string();
    tx.commit().unwrap();
    assert_eq!(db.dump(), before, "refused, yet changed: {message}");
    message
}

fn add_debtor(tx: &Transaction<'_>, company: i64, account: &str) {
    tx.execute(
        "INSERT OR IGNORE INTO debtors (company, account, name, address, postcode, city, \
         country, email) VALUES (?1, ?2, ?3, '', '', '', 'DK', '')",
        (company, account, format!("Debtor {account}")),
    )
    .unwrap();
}

/// A journal line from text, fields separated by `|`:
/// `journal|date|account|text|amount|offset account|offsets|source`, with `-` for no account,
/// no offset account or no offsets, offsets separated by spaces, and the source optional.
/// `Day|2026-07-01|100100|BS 5001|-1000.00|5850|5001`
pub fn line(text: &str) -> NewJournalLine {
    let fields: Vec<&str> = text.split('|').map(str::trim).collect();
    let [journal, date, account, line_text, amount, offset_account, offsets, rest @ ..] =
        fields.as_slice()
    else {
        panic!("bad journal line {text:?}");
    };
    let optional = |s: &str| (s != "-").then(|| s.to_string());
    NewJournalLine {
        journal: journal.to_string(),
        date: date.parse().unwrap(),
        account: optional(account),
        text: line_text.to_string(),
        amount: Amount::parse(amount).unwrap(),
        offset_account: optional(offset_account),
        offsets: if *offsets == "-" {
            Vec::new()
        } else {
            offsets.split_whitespace().map(str::to_string).collect()
        },
        source: rest.first().unwrap_or(&"test").to_string(),
    }
}

pub fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

/// `2026-07-01T10:00:00`
pub fn time(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S").unwrap()
}
