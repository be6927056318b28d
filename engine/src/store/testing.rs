//! Helpers for tests that use real database files.

use super::{CompanyKey, Store};
use crate::csv_import;
use crate::model::{Debtor, Mandate, Scheme};
use crate::payment_format::with_defaults;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A fresh directory under the system's temporary directory, removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new() -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let path = std::env::temp_dir().join(format!(
            "payrun-test-{}-{nanos}-{}",
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

/// Master data of the seed company: formats BS (Basis) and LS, and three debtors.
pub const SEED_DEBTORS: &str = "\
account,name,cvr,payment_format
100100,Hansen ApS,12345678,BS
100101,Jens Jensen,0101701234,BS
200100,Larsen A/S,87654321,LS
";

pub const SEED_MANDATES: &str = "\
mandate_id,debtor,payment_format,status,agreement,start_date
100100,100100,BS,enrolled,000000001,2025-01-01
100101,100101,BS,registered,000000002,
LS200100,200100,LS,enrolled,000000003,2025-01-01
";

pub const SEED_ENTRIES: &str = "\
entry_id,debtor,due_date,amount,invoice,payment_id
E1,100100,2026-07-01,1000.00,5001,000000000000018
E2,100100,2026-07-01,-250.00,5002,
E3,100101,2026-08-01,99.95,5003,
E4,200100,2026-07-02,5000,6001,
";

/// Adds a company with the seed master data to an open store.
pub fn seed_company(store: &mut Store, id: &str) -> CompanyKey {
    let company = store.create_company(id, &format!("Company {id}")).unwrap();
    store
        .add_format(
            &company,
            &with_defaults("BS", Scheme::Bs, "12345678", "11223344"),
        )
        .unwrap();
    store
        .add_format(
            &company,
            &with_defaults("LS", Scheme::Ls, "12345", "11223344"),
        )
        .unwrap();
    import_text::<Debtor>(store, &company, "debtors.csv", SEED_DEBTORS).unwrap();
    import_text::<Mandate>(store, &company, "mandates.csv", SEED_MANDATES).unwrap();
    import_text::<ledger::Entry>(store, &company, "entries.csv", SEED_ENTRIES).unwrap();
    company
}

/// A new database with the seed company `main`.
pub fn seeded() -> (TempDir, Store, CompanyKey) {
    let dir = TempDir::new();
    let mut store = Store::open(dir.path().join("payrun.db")).unwrap();
    let company = seed_company(&mut store, "main");
    (dir, store, company)
}

/// Imports a CSV text of any kind.
pub fn import_text<T: ImportKind>(
    store: &mut Store,
    company: &CompanyKey,
    file: &str,
    text: &str,
) -> crate::Result<csv_import::ImportSummary> {
    T::import(store, company, file, text)
}

/// Dispatches a row type to its store import.
pub trait ImportKind {
    fn import(
        store: &mut Store,
        company: &CompanyKey,
        file: &str,
        text: &str,
    ) -> crate::Result<csv_import::ImportSummary>;
}

impl ImportKind for Debtor {
    fn import(
        store: &mut Store,
        company: &CompanyKey,
        file: &str,
        text: &str,
    ) -> crate::Result<csv_import::ImportSummary> {
        store.import_debtors(company, csv_import::read(file, text.as_bytes())?)
    }
}

impl ImportKind for Mandate {
    fn import(
        store: &mut Store,
        company: &CompanyKey,
        file: &str,
        text: &str,
    ) -> crate::Result<csv_import::ImportSummary> {
        store.import_mandates(company, csv_import::read(file, text.as_bytes())?)
    }
}

impl ImportKind for ledger::Entry {
    fn import(
        store: &mut Store,
        company: &CompanyKey,
        file: &str,
        text: &str,
    ) -> crate::Result<csv_import::ImportSummary> {
        store.import_entries(company, csv_import::read(file, text.as_bytes())?)
    }
}

/// Row counts of every company-scoped table, for one company: what a refused import must leave
/// unchanged.
pub fn counts(store: &Store, company: &CompanyKey) -> Vec<(String, i64)> {
    [
        "payment_formats",
        "debtors",
        "mandates",
        "entries",
        "payment_lines",
        "status_log",
    ]
    .iter()
    .map(|table| {
        let count = store
            .conn
            .query_row(
                &format!("SELECT count(*) FROM {table} WHERE company = ?1"),
                [company.key],
                |row| row.get(0),
            )
            .unwrap();
        (table.to_string(), count)
    })
    .collect()
}

/// A whole-database fingerprint of the company tables (every row as text), to prove a refused
/// operation changed nothing at all, not only the counts.
pub fn dump(store: &Store) -> String {
    let mut out = String::new();
    for table in [
        "companies",
        "payment_formats",
        "debtors",
        "mandates",
        "entries",
        "payment_lines",
        "status_log",
    ] {
        let mut statement = store
            .conn
            .prepare(&format!("SELECT * FROM {table} ORDER BY 1, 2"))
            .unwrap();
        let columns = statement.column_count();
        let rows = statement
            .query_map([], |row| {
                (0..columns)
                    .map(|i| {
                        row.get::<_, rusqlite::types::Value>(i)
                            .map(|v| format!("{v:?}"))
                    })
                    .collect::<rusqlite::Result<Vec<_>>>()
            })
            .unwrap();
        for row in rows {
            out.push_str(&format!("{table}: {}\n", row.unwrap().join(" | ")));
        }
    }
    out
}

/// Takes a database back to version 10, for the tests of the migrations from version 8, 9 and
/// 10: the ledger's insert triggers (version 14), the charges' index without the payment
/// format (version 13), the archive's texts unpacked (version 12) and the status log as
/// version 10's table ([`STATUS_LOG_OF_VERSION_10`]).
pub fn back_to_version_10(conn: &rusqlite::Connection) {
    let rows: Vec<(i64, Vec<u8>, String)> = conn
        .prepare("SELECT id, content, content_encoding FROM delivery_files")
        .unwrap()
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    for (id, stored, encoding) in rows {
        let text = super::packed::unpack(&encoding, stored).unwrap();
        conn.execute(
            "UPDATE delivery_files SET content = ?2 WHERE id = ?1",
            (id, text),
        )
        .unwrap();
    }
    conn.execute_batch("ALTER TABLE delivery_files DROP COLUMN content_encoding;")
        .unwrap();
    conn.execute_batch(STATUS_LOG_OF_VERSION_10).unwrap();
    conn.execute_batch(
        "DROP INDEX charges_by_date_format_and_customer;
         CREATE INDEX charges_by_date_and_customer
             ON charges (company, payment_date, customer_key);",
    )
    .unwrap();
    ledger_insert_triggers_of_version_13(conn);
}

/// Makes the ledger's two insert triggers again, as the journal's second migration made them
/// (migration 14 drops them), for tests that take a database back to a version before 14.
pub fn ledger_insert_triggers_of_version_13(conn: &rusqlite::Connection) {
    conn.execute_batch(
        "CREATE TRIGGER ledger_transactions_in_sequence AFTER INSERT ON ledger_transactions
         WHEN NEW.id <> 1 AND NOT EXISTS (SELECT 1 FROM ledger_transactions
                                          WHERE company = NEW.company AND id = NEW.id - 1)
         BEGIN
             SELECT RAISE(ABORT, 'ledger transactions are numbered without gaps (I2)');
         END;
         CREATE TRIGGER ledger_settlements_closed AFTER INSERT ON ledger_settlements
         WHEN EXISTS (SELECT 1 FROM ledger_transactions
                      WHERE company = NEW.company AND id = NEW.txn)
         BEGIN
             SELECT RAISE(ABORT, 'ledger transactions are immutable (I2)');
         END;",
    )
    .unwrap();
}

/// Takes a database's status log back to version 10's table (one row per change, an index by
/// line). The rows go in line order, so rows next to each other are nearly always other kinds
/// of change: migration 11 must keep each line's order from such a log too.
const STATUS_LOG_OF_VERSION_10: &str = "
CREATE TABLE status_log_v10 (
    id      INTEGER PRIMARY KEY,
    company INTEGER NOT NULL,
    line    INTEGER NOT NULL REFERENCES payment_lines (id),
    at      TEXT NOT NULL,
    old     TEXT,
    new     TEXT NOT NULL,
    cause   TEXT NOT NULL
) STRICT;
INSERT INTO status_log_v10 (company, line, at, old, new, cause)
    SELECT company, line, at, old, new, cause FROM status_log ORDER BY line, event;
DROP VIEW status_log;
DROP TABLE status_changes;
DROP TABLE status_events;
DELETE FROM sqlite_sequence WHERE name = 'status_events';
ALTER TABLE status_log_v10 RENAME TO status_log;
CREATE INDEX status_log_by_line ON status_log (line);
";
