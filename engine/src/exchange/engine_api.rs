//! The file exchange as methods of [`Engine`], in an `impl` block of its own.
//!
//! ```no_run
//! use engine::api::Engine;
//!
//! let mut engine = Engine::open("payrun.db", None)?;
//! let now = engine::clock::now_in_denmark();
//! let calendar = bankcal::Calendar::danish();
//! let report = engine.export(std::path::Path::new("out"), true, &calendar, now)?;
//! for file in &report.files {
//!     println!("{} charges in {}", file.charges, file.path.display());
//! }
//! let answer = engine.import_delivery_file(std::path::Path::new("D0602.txt"), now)?;
//! println!("{}: {}", answer.path, answer.outcome.as_str());
//! # Ok::<(), engine::Error>(())
//! ```

use super::archive::{ArchiveFilter, ArchivedFile, ArchivedFileContent};
use super::files::read_limited;
use super::import::ParsedDelivery;
use super::{BankEvent, ExchangeError, ExportReport, ImportReport};
use crate::api::Engine;
use crate::delivery::parse_delivery;
use crate::error::Result;
use bankcal::Calendar;
use chrono::NaiveDateTime;
use std::path::Path;

impl Engine {
    /// `payrun export`: re-validates, sends every exportable `ok` line as one charge per
    /// collective group or line, writes one delivery per payment format into `out_dir` (BS
    /// zipped when `zip`), marks the lines sent and archives the files, all in one transaction.
    /// A second export sends nothing new; a format with nothing to send writes no file.
    pub fn export(
        &mut self,
        out_dir: &Path,
        zip: bool,
        cal: &Calendar,
        now: NaiveDateTime,
    ) -> Result<ExportReport> {
        self.export_with_progress(out_dir, zip, cal, now, &mut crate::progress::none())
    }

    /// [`Engine::export`], reporting the charges written so far out of all to send.
    pub fn export_with_progress(
        &mut self,
        out_dir: &Path,
        zip: bool,
        cal: &Calendar,
        now: NaiveDateTime,
        progress: crate::progress::Progress<'_>,
    ) -> Result<ExportReport> {
        let (store, company) = self.parts();
        store.with_core_cache(|store| {
            store.export_deliveries(company, out_dir, zip, cal, now, progress)
        })
    }

    /// `payrun import delivery`: applies one file from Mastercard (BS 0602/0603, LS 0690/0602,
    /// LS type 30) in one transaction. A file that does not parse is refused whole and
    /// nothing is applied; the same delivery again is `already-imported`; the same delivery key
    /// with other content is refused. `file_name` names the file in messages and the archive.
    pub fn import_delivery(
        &mut self,
        file_name: &str,
        bytes: &[u8],
        now: NaiveDateTime,
    ) -> Result<ImportReport> {
        self.import_delivery_observed(file_name, bytes, now, &mut |_| {})
    }

    /// [`Engine::import_delivery`] of a file on disk, named as given.
    pub fn import_delivery_file(
        &mut self,
        path: &Path,
        now: NaiveDateTime,
    ) -> Result<ImportReport> {
        let name = path.display().to_string();
        let bytes = read_limited(path).inspect_err(|error| {
            tracing::warn!(file = %name, %error, "delivery refused: nothing applied");
        })?;
        self.import_delivery(&name, &bytes, now)
    }

    /// Between several imports: the WAL is checkpointed on a second thread while the next
    /// file is imported, instead of by each import's commit ([`Store::checkpoint_behind`]);
    /// [`Engine::checkpoint_here`] after the last.
    ///
    /// [`Store::checkpoint_behind`]: crate::store::Store::checkpoint_behind
    pub fn checkpoint_behind(&mut self) -> Result<()> {
        self.store().checkpoint_behind()
    }

    /// Waits for the checkpoint of [`Engine::checkpoint_behind`] and checkpoints what was
    /// committed since; each commit checkpoints again.
    pub fn checkpoint_here(&mut self) -> Result<()> {
        self.store().checkpoint_here()
    }

    /// [`Engine::import_delivery`] of a file parsed before ([`ParsedDelivery::parse`]).
    pub fn import_parsed_delivery(
        &mut self,
        parsed: &ParsedDelivery,
        now: NaiveDateTime,
    ) -> Result<ImportReport> {
        let (store, company) = self.parts();
        let imported = store.import_answer(
            company,
            &parsed.name,
            &parsed.bytes,
            &parsed.delivery,
            now,
            &mut |_| {},
        );
        logged_if_refused(&parsed.name, imported)
    }

    /// [`Engine::import_delivery`], letting `observe` see the bank events the import hands to
    /// the journal (in batches, in file order).
    pub fn import_delivery_observed(
        &mut self,
        file_name: &str,
        bytes: &[u8],
        now: NaiveDateTime,
        observe: &mut dyn FnMut(&[BankEvent]),
    ) -> Result<ImportReport> {
        let imported = match parse_delivery(file_name, bytes) {
            Ok(delivery) => {
                let (store, company) = self.parts();
                store.import_answer(company, file_name, bytes, &delivery, now, observe)
            }
            Err(error) => Err(ExchangeError::Parse(error).into()),
        };
        logged_if_refused(file_name, imported)
    }

    /// `payrun archive list`: the archived files, newest first.
    pub fn archive_list(&mut self, filter: &ArchiveFilter) -> Result<Vec<ArchivedFile>> {
        let (store, company) = self.parts();
        store.archive_files(company, filter)
    }

    /// `payrun archive show`: one archived file, its status log and its content.
    pub fn archive_show(&mut self, id: i64) -> Result<ArchivedFileContent> {
        let (store, company) = self.parts();
        store.archive_file(company, id)
    }

    /// `payrun archive reconcile`: marks a file reconciled; false when it already was.
    pub fn archive_reconcile(&mut self, id: i64, now: NaiveDateTime) -> Result<bool> {
        let (store, company) = self.parts();
        store.reconcile_file(company, id, now)
    }
}

/// An import's outcome, its refusal logged: nothing of the file was applied.
fn logged_if_refused(file: &str, imported: Result<ImportReport>) -> Result<ImportReport> {
    if let Err(error) = &imported {
        tracing::warn!(file, %error, "delivery refused: nothing applied");
    }
    imported
}
