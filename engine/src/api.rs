//! The library entry point for ERP hosts: an [`Engine`] is one company of one database.
//!
//! ```no_run
//! use engine::api::Engine;
//! use engine::model::Scheme;
//! use engine::payment_format::with_defaults;
//!
//! let mut engine = Engine::init("payrun.db", None, Some("Hansen ApS"))?;
//! engine.add_format(&with_defaults("BS", Scheme::Bs, "12345678", "11223344"))?;
//! engine.import_debtors("debtors.csv", "account,name,payment_format\n100100,Hansen ApS,BS\n")?;
//! let lines = engine.list_lines(&engine::LineFilter::default())?;
//! # Ok::<(), engine::Error>(())
//! ```

use crate::csv_import::{self, CsvKind, ImportSummary};
use crate::error::{Error, Result};
use crate::model::{Debtor, Mandate, PaymentFormat, PaymentLine, StatusChange};
use crate::store::{CompanyKey, LineFilter, Store, DEFAULT_COMPANY};
use ledger::Entry;
use std::io::Read;
use std::path::Path;

/// One company of one payrun database.
#[derive(Debug)]
pub struct Engine {
    store: Store,
    company: CompanyKey,
}

impl Engine {
    /// Creates the database if needed and a company in it: `company_id` (default `main`),
    /// named `name` (default: the id). A company id the database already has is an error.
    pub fn init(
        db_path: impl AsRef<Path>,
        company_id: Option<&str>,
        name: Option<&str>,
    ) -> Result<Engine> {
        let mut store = Store::open(db_path)?;
        let id = company_id.unwrap_or(DEFAULT_COMPANY);
        let company = store.create_company(id, name.unwrap_or(id))?;
        Ok(Engine { store, company })
    }

    /// Opens an existing database in a company: the one named, or the only one. A missing
    /// database is an error (it is never created here, so a typo in the path is noticed).
    pub fn open(db_path: impl AsRef<Path>, company: Option<&str>) -> Result<Engine> {
        let path = db_path.as_ref();
        if !path.exists() {
            return Err(Error::DatabaseMissing(path.to_path_buf()));
        }
        let store = Store::open(path)?;
        let company = store.resolve_company(company)?;
        Ok(Engine { store, company })
    }

    /// The company this engine works in.
    pub fn company(&self) -> &CompanyKey {
        &self.company
    }

    /// The store, for the payment-run steps built on its primitives.
    pub fn store(&mut self) -> &mut Store {
        &mut self.store
    }

    /// The store and the company together, for a call such as
    /// `store.insert_lines(company, …)` that needs both at once.
    pub fn parts(&mut self) -> (&mut Store, &CompanyKey) {
        (&mut self.store, &self.company)
    }

    /// Adds a payment format after checking it against the schemes' rules.
    pub fn add_format(&mut self, format: &PaymentFormat) -> Result<()> {
        self.store.add_format(&self.company, format)
    }

    /// The company's payment formats, by id.
    pub fn formats(&self) -> Result<Vec<PaymentFormat>> {
        self.store.formats(&self.company)
    }

    /// The company's debtors, by account.
    pub fn debtors(&self) -> Result<Vec<Debtor>> {
        self.store.debtors(&self.company)
    }

    /// The company's mandates, all or one debtor's, by mandate id.
    pub fn mandates(&self, debtor: Option<&str>) -> Result<Vec<Mandate>> {
        self.store.mandates(&self.company, debtor)
    }

    /// Imports a debtors CSV text; `file_name` is used in messages. All rows or none.
    pub fn import_debtors(&mut self, file_name: &str, text: &str) -> Result<ImportSummary> {
        self.import(CsvKind::Debtors, file_name, text.as_bytes())
    }

    /// Imports a mandates CSV text; `file_name` is used in messages. All rows or none.
    pub fn import_mandates(&mut self, file_name: &str, text: &str) -> Result<ImportSummary> {
        self.import(CsvKind::Mandates, file_name, text.as_bytes())
    }

    /// Imports an entries CSV text; `file_name` is used in messages. All rows or none.
    pub fn import_entries(&mut self, file_name: &str, text: &str) -> Result<ImportSummary> {
        self.import(CsvKind::Entries, file_name, text.as_bytes())
    }

    /// Imports a CSV file of any kind from a reader, one row at a time (for large files).
    /// The reader is read on a second thread while the rows are written, so it must be
    /// `Send`.
    pub fn import(
        &mut self,
        kind: CsvKind,
        file_name: &str,
        reader: impl Read + Send,
    ) -> Result<ImportSummary> {
        let company = &self.company;
        match kind {
            CsvKind::Debtors => self
                .store
                .import_debtors(company, csv_import::read(file_name, reader)?),
            CsvKind::Mandates => self
                .store
                .import_mandates(company, csv_import::read(file_name, reader)?),
            CsvKind::Entries => self
                .store
                .import_entries(company, csv_import::read(file_name, reader)?),
        }
    }

    /// Imports a CSV file from disk; messages name the file as given.
    pub fn import_file(&mut self, kind: CsvKind, path: impl AsRef<Path>) -> Result<ImportSummary> {
        self.import_file_with_progress(kind, path, &mut crate::progress::none())
    }

    /// [`Engine::import_file`], reporting the bytes of the file read so far.
    pub fn import_file_with_progress(
        &mut self,
        kind: CsvKind,
        path: impl AsRef<Path>,
        progress: crate::progress::Progress<'_>,
    ) -> Result<ImportSummary> {
        let path = path.as_ref();
        let io_error = |source| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = std::fs::File::open(path).map_err(io_error)?;
        let size = file.metadata().map_err(io_error)?.len();
        let name = path.display().to_string();
        let reader = crate::progress::ProgressReader::new(file, size, progress);
        self.import(kind, &name, std::io::BufReader::new(reader))
    }

    /// The payment lines that match a filter, with their entries, by line id.
    pub fn list_lines(&self, filter: &LineFilter) -> Result<Vec<(PaymentLine, Entry)>> {
        self.store.list_lines(&self.company, filter)
    }

    /// One payment line with its entry and its whole status log.
    pub fn line(&self, id: i64) -> Result<(PaymentLine, Entry, Vec<StatusChange>)> {
        self.store.line(&self.company, id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Scheme;
    use crate::payment_format::with_defaults;
    use crate::store::testing::{TempDir, SEED_DEBTORS, SEED_ENTRIES, SEED_MANDATES};

    #[test]
    fn init_then_open_and_import() {
        let dir = TempDir::new();
        let path = dir.path().join("payrun.db");
        let mut engine = Engine::init(&path, None, Some("Hansen ApS")).unwrap();
        assert_eq!(engine.company().id(), "main");
        engine
            .add_format(&with_defaults("BS", Scheme::Bs, "12345678", "11223344"))
            .unwrap();
        engine
            .add_format(&with_defaults("LS", Scheme::Ls, "12345", "11223344"))
            .unwrap();
        engine.import_debtors("debtors.csv", SEED_DEBTORS).unwrap();
        engine
            .import_mandates("mandates.csv", SEED_MANDATES)
            .unwrap();
        let summary = engine.import_entries("entries.csv", SEED_ENTRIES).unwrap();
        assert_eq!((summary.rows, summary.inserted), (4, 4));
        drop(engine);

        let engine = Engine::open(&path, None).unwrap();
        assert_eq!(engine.formats().unwrap().len(), 2);
        assert_eq!(engine.debtors().unwrap().len(), 3);
        assert_eq!(engine.mandates(Some("100100")).unwrap().len(), 1);
        assert!(engine
            .list_lines(&LineFilter::default())
            .unwrap()
            .is_empty());
        assert_eq!(
            engine.line(1).unwrap_err().to_string(),
            "no payment line 1 in this company: `payrun list` shows the lines"
        );
    }

    #[test]
    fn init_refuses_an_existing_company_and_adds_others() {
        let dir = TempDir::new();
        let path = dir.path().join("payrun.db");
        Engine::init(&path, None, None).unwrap();
        assert_eq!(
            Engine::init(&path, Some("main"), None)
                .unwrap_err()
                .to_string(),
            "company 'main' already exists in the database: choose another id with --company"
        );
        Engine::init(&path, Some("second"), Some("Second")).unwrap();
        assert_eq!(
            Engine::open(&path, None).unwrap_err().to_string(),
            "several companies in the database (main, second): name one with --company"
        );
        assert_eq!(
            Engine::open(&path, Some("second")).unwrap().company().id(),
            "second"
        );
    }

    #[test]
    fn open_never_creates_a_database() {
        let dir = TempDir::new();
        let path = dir.path().join("typo.db");
        assert_eq!(
            Engine::open(&path, None).unwrap_err().to_string(),
            format!(
                "database '{}' does not exist: run payrun init",
                path.display()
            )
        );
        assert!(!path.exists());
    }

    #[test]
    fn import_file_streams_from_disk_and_names_the_file() {
        let dir = TempDir::new();
        let mut engine = Engine::init(dir.path().join("payrun.db"), None, None).unwrap();
        let csv = dir.path().join("debtors.csv");
        std::fs::write(&csv, "account,name,cvr\n1,A,123\n").unwrap();
        let message = engine
            .import_file(CsvKind::Debtors, &csv)
            .unwrap_err()
            .to_string();
        assert_eq!(
            message,
            format!(
                "{}:2: cvr: a CVR number has 8 digits and a CPR number 10 (or DDMMYY-SSSS); found 3 digits",
                csv.display()
            )
        );
        let missing = dir.path().join("nope.csv");
        let error = engine.import_file(CsvKind::Debtors, &missing).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with(&format!("'{}': ", missing.display())),
            "{error}"
        );
    }
}
