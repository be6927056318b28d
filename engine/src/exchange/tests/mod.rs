//! Tests of the file exchange on real SQLite files and real delivery files: a [`Fixture`] is
//! a database with three payment formats and a small run, prepared by the engine's own
//! suggest, collect and validate.

mod archive;
mod closed_loop;
mod export;
mod import;

use crate::api::Engine;
use crate::model::{BsType, Scheme, Status};
use crate::payment_format::with_defaults;
use crate::store::testing::TempDir;
use chrono::NaiveDateTime;
use std::path::{Path, PathBuf};

/// Monday 4 May 2026, 09:00: before the BS deadline for June and the LS deadlines of 6–7 May.
pub const NOW: &str = "2026-05-04T09:00";

pub fn time(text: &str) -> NaiveDateTime {
    crate::testdata::time(text)
}

pub fn cal() -> &'static bankcal::Calendar {
    crate::testdata::cal()
}

/// Formats: `BS` (Basis, PBS 12345678), `BST` (Total, PBS 87654321), `LS` (creditor 12345),
/// data supplier 11223344, each with bank account 5850.
pub const DEBTORS: &str = "\
account,name,cvr,address,postcode,city,country,payment_format
100100,Hansen ApS,12345678,Vej 1,8000,Aarhus C,DK,BS
100101,Jens Jensen,0101701234,Fælledvej 12,2200,København N,DK,BST
100102,Sven Svensson,,Storgatan 3,21120,Malmö,SE,BST
200100,Larsen A/S,87654321,Havnen 2,5000,Odense C,DK,LS
";

pub const MANDATES: &str = "\
mandate_id,debtor,payment_format,status,agreement,start_date
100100,100100,BS,enrolled,000000001,2025-01-01
LS200100,200100,LS,enrolled,000000003,2025-01-01
";

/// 100100: two invoices and a credit note on 1 June (one collective payment of 1,250.00);
/// 100101 and 100102 (BS Total, no mandate): one invoice each; 200100 (LS): a collection on
/// 6 May and a payout on 7 May.
pub const ENTRIES: &str = "\
entry_id,debtor,due_date,amount,invoice
E1,100100,2026-06-01,1000.00,5001
E2,100100,2026-06-01,500.00,5002
E3,100100,2026-06-01,-250.00,5003
E4,100101,2026-06-01,99.95,5004
E5,100102,2026-06-01,300.00,5005
E6,200100,2026-05-06,5000.00,6001
E7,200100,2026-05-07,-1000.00,6002
";

pub struct Fixture {
    pub dir: TempDir,
    pub engine: Engine,
    pub out: PathBuf,
}

impl Fixture {
    /// A database with the three formats and the master data and entries given.
    pub fn with(debtors: &str, mandates: &str, entries: &str) -> Fixture {
        let dir = TempDir::new();
        let engine = Fixture::company(
            &dir.path().join("payrun.db"),
            None,
            debtors,
            mandates,
            entries,
        );
        let out = dir.path().join("out");
        std::fs::create_dir(&out).unwrap();
        Fixture { dir, engine, out }
    }

    /// A company named `id` (the default company for `None`) in the database at `db`, with
    /// the three formats and the master data and entries given.
    pub fn company(
        db: &Path,
        id: Option<&str>,
        debtors: &str,
        mandates: &str,
        entries: &str,
    ) -> Engine {
        let mut engine = Engine::init(db, id, Some("Eksempel A/S")).unwrap();
        let bs = with_defaults("BS", Scheme::Bs, "12345678", "11223344");
        let mut total = with_defaults("BST", Scheme::Bs, "87654321", "11223344");
        total.bs_type = Some(BsType::Total);
        let ls = with_defaults("LS", Scheme::Ls, "12345", "11223344");
        for mut format in [bs, total, ls] {
            format.bank_account = Some("5850".to_string());
            engine.add_format(&format).unwrap();
        }
        engine.import_debtors("debtors.csv", debtors).unwrap();
        engine.import_mandates("mandates.csv", mandates).unwrap();
        engine.import_entries("entries.csv", entries).unwrap();
        engine
    }

    pub fn new() -> Fixture {
        Fixture::with(DEBTORS, MANDATES, ENTRIES)
    }

    /// suggest → collect → validate, as a bookkeeper runs them.
    pub fn prepare(&mut self, now: &str) {
        let now = time(now);
        self.engine.suggest(cal(), now, false).unwrap();
        self.engine.collect(cal(), now).unwrap();
        self.engine.validate(cal(), now).unwrap();
    }

    pub fn export(&mut self, now: &str) -> crate::exchange::ExportReport {
        let out = self.out.clone();
        self.engine.export(&out, false, cal(), time(now)).unwrap()
    }

    pub fn db_path(&self) -> PathBuf {
        self.dir.path().join("payrun.db")
    }

    /// Every row of every table, as text: proves a refused operation changed nothing at all.
    pub fn dump(&self) -> String {
        dump(&self.db_path())
    }

    /// (entry id, status) of every line, by line id.
    pub fn statuses(&self) -> Vec<(String, Status)> {
        let mut engine = Engine::open(self.db_path(), Some("main")).unwrap();
        let (store, company) = engine.parts();
        store
            .load_run_data(company)
            .unwrap()
            .lines
            .into_iter()
            .map(|l| (l.entry_id.to_string(), l.status))
            .collect()
    }

    pub fn status_of(&self, entry: &str) -> Status {
        self.statuses()
            .into_iter()
            .find(|(e, _)| e == entry)
            .map(|(_, s)| s)
            .unwrap_or_else(|| panic!("no line for {entry}"))
    }

    /// Reads an exported file's text (not zipped).
    pub fn read_out(&self, name: &str) -> String {
        let bytes = std::fs::read(self.out.join(name)).unwrap();
        bytes.iter().map(|&b| char::from(b)).collect()
    }
}

/// Every row of every table of a database file, as text.
pub fn dump(path: &Path) -> String {
    let conn = rusqlite::Connection::open(path).unwrap();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    let mut out = String::new();
    for table in tables {
        let mut statement = conn
            .prepare(&format!("SELECT * FROM \"{table}\" ORDER BY 1, 2"))
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

/// One SQL value from the database file, for checks the API does not expose.
pub fn query<T: rusqlite::types::FromSql>(path: &Path, sql: &str) -> T {
    rusqlite::Connection::open(path)
        .unwrap()
        .query_row(sql, [], |row| row.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Positions `from..=to` (1-based) of a record, as the tables of formats.md count them.
pub fn field(record: &str, from: usize, to: usize) -> String {
    let chars: Vec<char> = record.chars().collect();
    (from..=to)
        .map(|i| chars.get(i - 1).copied().unwrap_or(' '))
        .collect()
}
