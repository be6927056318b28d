//! The SQLite side of the delivery files (`domain.md` §7, `reliability.md` I4, I5, I7, I10):
//! the export and the import of a delivery, each one `IMMEDIATE` transaction, and the file
//! archive's queries. The decisions are made by the pure parts in [`crate::exchange`]; this
//! module reads their input and writes their results.
//!
//! **Export** loads the run data *inside* its write transaction, so two exports started at
//! once run one after the other and the second finds the lines already sent (I7). The files
//! are written (atomically) before the commit and removed again if the commit fails, so a
//! reported file is always in the archive and its lines are sent.
//!
//! **Import** checks the delivery key first (I4): the same key with the same normalised
//! content is `already-imported` and changes nothing; with other content it is refused. Then
//! every record is applied through the status machine's automatic changes, each change logged
//! with the cause `import of file F`; a return record whose text was applied before from any
//! file changes nothing (I5). Payment records become [`BankEvent`]s for the journal seam.
//!
//! A charge-back (0239, 0299, LS 0555) of a line that is still sent or to-be-treated means
//! the completion was never imported (a file after the charge-back deadline may hold only
//! the 0239): the line goes to received and then to reversed, two allowed edges, each
//! logged. Every other change the status machine does not allow changes nothing and is
//! counted as `refused`.

use super::batch::BatchInsert;
use super::codec::{
    date_text, format_from_row, get_id, get_optional_id, get_status, mandate_from_row, time_text,
    FORMAT_COLUMNS, MANDATE_COLUMNS,
};
use super::lines::{store_validations, Load};
use super::packed::{pack, unpack, Packer, PACKED};
use super::status_log::StatusLog;
use super::{held, read_alongside, CompanyKey, Store};
use crate::charge::amount_to_charge_of;
use crate::delivery::{
    customer_no_key, normalized_content, to_latin1, zip_parts, Bs0603Code, Crc32, Delivery,
    DeliveryKey, Ls0690Record, Ls30MandateKind,
};
use crate::error::{Error, Result};
use crate::exchange::archive::{ArchiveFilter, ArchivedFile, ArchivedFileContent, FileLogEntry};
use crate::exchange::export::{
    plan_export, write_delivery, ExportSettings, PlannedCharge, PlannedFile,
};
use crate::exchange::files::{recover_staged, stage_with, Staged};
use crate::exchange::import::{
    allocate_paid, normalized_hash, payment_answers, record_lines, PaymentAnswer,
};
use crate::exchange::journal::{journal_lines_for, JournalDraft};
use crate::exchange::{
    fnv1a64, fnv1a64_more, scheme_id, BankEvent, EventLine, ExchangeError, ExportReport,
    ExportedFile, ImportOutcome, ImportReport, MatchedBy,
};
use crate::model::{BsType, FastMap, FastSet, MandateStatus, PaymentFormat, Scheme, Status};
use crate::status::{
    on_bank_comment, on_bank_error, on_export, on_payment_info, on_receipt, PaymentOutcome,
};
use crate::validate::validations_by_chunk;
use bankcal::Calendar;
use chrono::{NaiveDate, NaiveDateTime};
use ledger::Amount;
use ledger::Id;
use rusqlite::{Connection, OptionalExtension};
use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Bank events are handed to the journal seam in batches of this many, so an import of a
/// million records never holds a million events. In the crate's tests every event is a batch
/// of its own, so that their files of a few answers hand several batches from pass 3 of
/// [`Importer::payments`] to the import's connection.
const EVENT_BATCH: usize = if cfg!(test) { 1 } else { 10_000 };

/// A file to put into the archive.
struct NewFile<'a> {
    created: NaiveDateTime,
    creditor: &'a str,
    export: bool,
    file_name: &'a str,
    scheme: Scheme,
    key: &'a DeliveryKey,
    payment_format: Option<&'a str>,
    status: &'a str,
    records: usize,
    amount: Amount,
    content: &'a [u8],
    content_hash: &'a str,
}

fn insert_file(tx: &Connection, company: &CompanyKey, file: &NewFile<'_>) -> Result<i64> {
    tx.execute(
        "INSERT INTO delivery_files (company, created, creditor, export, file_name, scheme, \
         delivery_type, data_supplier, system_code, delivery_id, creation_date, payment_format, \
         status, records, amount, content, content_hash) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
        rusqlite::params![
            company.key,
            time_text(file.created),
            file.creditor,
            file.export,
            file.file_name,
            scheme_id(file.scheme),
            file.key.delivery_type,
            file.key.data_supplier,
            file.key.system_code,
            file.key.delivery_id,
            file.key.created.map(date_text).unwrap_or_default(),
            file.payment_format,
            file.status,
            i64::try_from(file.records).unwrap_or(i64::MAX),
            file.amount.ore(),
            file.content,
            file.content_hash,
        ],
    )?;
    Ok(tx.last_insert_rowid())
}

fn log_file(
    tx: &Connection,
    company: &CompanyKey,
    file: i64,
    now: NaiveDateTime,
    text: &str,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO delivery_file_log (company, file, at, text) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute((company.key, file, time_text(now), text))?;
    Ok(())
}

/// The normalised content of archived (or given) ISO 8859-1 bytes.
fn normalized_bytes(bytes: &[u8]) -> String {
    normalized_content(&bytes.iter().map(|&b| char::from(b)).collect::<String>())
}

fn formats_of(tx: &Connection, company: &CompanyKey) -> Result<Vec<PaymentFormat>> {
    let formats = tx
        .prepare(&format!(
            "SELECT {FORMAT_COLUMNS} FROM payment_formats WHERE company = ?1 ORDER BY id"
        ))?
        .query_map([company.key], format_from_row)?
        .collect::<rusqlite::Result<_>>()?;
    Ok(formats)
}

impl Store {
    /// Exports every exportable line (see [`crate::exchange::export`]) into `out_dir`, all in
    /// one transaction; see the module documentation.
    pub fn export_deliveries(
        &mut self,
        company: &CompanyKey,
        out_dir: &Path,
        zip: bool,
        cal: &Calendar,
        now: NaiveDateTime,
        progress: crate::progress::Progress<'_>,
    ) -> Result<ExportReport> {
        if !out_dir.is_dir() {
            return Err(ExchangeError::NotADirectory(out_dir.to_path_buf()).into());
        }
        // `write` begins a write transaction when none is open (and this reads the run before
        // writing anything).
        let alongside = self.file_to_read_alongside(self.conn.is_autocommit());
        let tx = self.write()?;
        // Under the write lock no other export is staging: finish what a killed one left.
        let (published, deleted) = recover_staged(out_dir, company.id(), |name| {
            Ok(tx
                .query_row(
                    "SELECT 1 FROM delivery_files WHERE company = ?1 AND export = 1 AND file_name = ?2",
                    (company.key, name),
                    |_| Ok(()),
                )
                .optional()?
                .is_some())
        })?;
        for name in &published {
            tracing::warn!(
                file = name,
                "an earlier export was interrupted after it was recorded: its file is now in place"
            );
        }
        for name in &deleted {
            tracing::warn!(file = name, "an earlier export was interrupted before it was recorded: its unsent file was removed");
        }
        // Only a BS Total delivery writes the debtors' names and addresses (its 022 records):
        // without one, they are not read (200,000 debtors' contact details are tens of MB).
        let writes_addresses = formats_of(&tx, company)?
            .iter()
            .any(|f| f.bs_type == Some(BsType::Total));
        let load = if writes_addresses {
            Load::ForStep
        } else {
            Load::ForCore
        };
        let data = Store::run_data_in(&tx, company, load, alongside.as_deref())?;
        // Each line's result is stored as validation makes it, a chunk of lines at a time
        // validated on two threads; the plan keeps whether it passed.
        let mut passed = vec![false; data.lines.len()];
        validations_by_chunk(&data, cal, now, |results| {
            for (position, errors) in &results {
                passed[*position] = errors.is_empty();
            }
            store_validations(
                &tx,
                company,
                results
                    .iter()
                    .map(|(position, errors)| (&data.lines[*position], errors)),
            )
        })?;
        let company_name: String = tx.query_row(
            "SELECT name FROM companies WHERE key = ?1",
            [company.key],
            |row| row.get(0),
        )?;
        // A delivery id is the data supplier's running number, and Mastercard takes each once
        // from a data supplier: companies of one database may share one (a data supplier runs
        // many creditors), so the next id is one past the largest any company of the database
        // was given, and a company's own ids may skip those of the others. Charge numbers
        // (payment references) are the company's own.
        let (last_delivery_id, last_charge): (i64, i64) = tx.query_row(
            "SELECT (SELECT coalesce(max(last_delivery_id), 0) FROM exchange_counters), \
             coalesce((SELECT last_charge FROM exchange_counters WHERE company = ?1), 0)",
            [company.key],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?;
        let settings = ExportSettings {
            company_name: &company_name,
            now,
            zip,
            last_delivery_id: u64::try_from(last_delivery_id).unwrap_or(0),
            last_charge: u64::try_from(last_charge).unwrap_or(0),
        };
        let plan = plan_export(&data, &passed, &settings)?;
        drop(passed);
        let mut report = ExportReport {
            files: Vec::new(),
            held: plan.held.clone(),
        };
        if plan.files.is_empty() {
            tx.commit()?;
            return Ok(report);
        }
        tx.execute(
            "INSERT INTO exchange_counters (company, last_delivery_id, last_charge) \
             VALUES (?1, ?2, ?3) ON CONFLICT (company) DO UPDATE SET \
             last_delivery_id = excluded.last_delivery_id, last_charge = excluded.last_charge",
            (
                company.key,
                i64::try_from(plan.last_delivery_id).unwrap_or(i64::MAX),
                i64::try_from(plan.last_charge).unwrap_or(i64::MAX),
            ),
        )?;
        let discard = |staged: Vec<StagedDelivery>| {
            staged.into_iter().for_each(|text| text.staged.discard());
        };
        let mut charges = Charges {
            done: 0,
            total: plan.files.iter().map(|f| f.charges.len() as u64).sum(),
            progress,
        };
        // The files' texts are written on a second thread while this one writes their rows:
        // writing the text of a million charges is CPU work of its own (8 % of the export's
        // instructions) that needs only the plan and the run data. A file's archive row gets
        // its text's hash once both are done.
        let (exported, staged, failed) = std::thread::scope(|scope| {
            let stager = scope.spawn(|| {
                let mut staged = Vec::with_capacity(plan.files.len());
                for file in &plan.files {
                    match stage_delivery(out_dir, company, &data, &settings, file) {
                        Ok(text) => staged.push(text),
                        Err(error) => return (staged, Some(error)),
                    }
                }
                (staged, None)
            });
            let mut exported = Vec::with_capacity(plan.files.len());
            let mut failed = None;
            for file in &plan.files {
                match export_file(&tx, company, now, file, &mut charges) {
                    Ok(file) => exported.push(file),
                    Err(error) => {
                        failed = Some(error);
                        break;
                    }
                }
            }
            let (staged, staging_failed) = stager
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (exported, staged, failed.or(staging_failed))
        });
        if let Some(error) = failed {
            discard(staged);
            return Err(error);
        }
        for (file, text) in exported.into_iter().zip(&staged) {
            if let Err(error) = tx.execute(
                "UPDATE delivery_files SET content_hash = ?2 WHERE id = ?1",
                (file.file_id, &text.content_hash),
            ) {
                discard(staged);
                return Err(error.into());
            }
            report.files.push(ExportedFile {
                path: text.staged.path().to_path_buf(),
                ..file
            });
        }
        drop(plan);
        drop(data);
        // The texts go into the archive, packed (a quarter of their size at a million
        // charges), once the run data is gone. Committed only if every text was written;
        // rolled back (dropped) otherwise.
        let committed = staged
            .iter()
            .zip(&report.files)
            .try_for_each(|(text, exported)| archive_text(&tx, exported.file_id, text))
            .and_then(|()| Ok(tx.commit()?));
        if let Err(error) = committed {
            discard(staged);
            return Err(error);
        }
        // Recorded as sent: only now may the files appear under their names.
        for file in staged.into_iter().map(|text| text.staged) {
            let path = file.path().to_path_buf();
            file.publish()
                .map_err(|error| ExchangeError::NotPublished {
                    path,
                    reason: error.to_string(),
                })?;
        }
        for file in &report.files {
            tracing::info!(
                company = company.id(),
                file = %file.path.display(),
                charges = file.charges,
                lines = file.lines,
                "delivery exported"
            );
        }
        Ok(report)
    }

    /// Applies a parsed answer from the bank (see the module documentation). `observe` sees
    /// every batch of bank events after the journal seam did (tests use it).
    pub(crate) fn import_answer(
        &mut self,
        company: &CompanyKey,
        file_name: &str,
        bytes: &[u8],
        delivery: &Delivery,
        now: NaiveDateTime,
        observe: &mut dyn FnMut(&[BankEvent]),
    ) -> Result<ImportReport> {
        let (delivery_type, scheme) = match delivery {
            Delivery::Bs0602(_) => ("0602", Scheme::Bs),
            Delivery::Bs0603(_) => ("0603", Scheme::Bs),
            Delivery::Ls0690(_) => ("0690", Scheme::Ls),
            Delivery::Ls0602(_) => ("0602", Scheme::Ls),
            Delivery::Ls30(_) => ("30", Scheme::Ls),
            Delivery::Bs0601(_) | Delivery::Ls40(_) => {
                return Err(ExchangeError::NotAnAnswer {
                    file: file_name.to_string(),
                    kind: delivery.type_name(),
                }
                .into())
            }
        };
        let hash = format!("{:016x}", normalized_hash(bytes));
        let key = delivery.key();
        // Asked before the transaction begins: whether another connection reads what it
        // reads. Until pass 2 of [`Importer::payments`] it writes only the file's own row,
        // so the payment lines and entries may be read alongside (see
        // [`Importer::load_lines`]).
        let lines_from = self.file_to_read_alongside(self.conn.is_autocommit());
        let tx = self.write()?;
        let existing: Option<(i64, String, String)> = tx
            .query_row(
                "SELECT id, file_name, content_hash FROM delivery_files WHERE company = ?1 \
                 AND data_supplier = ?2 AND system_code = ?3 AND delivery_type = ?4 \
                 AND delivery_id = ?5 AND creation_date = ?6",
                rusqlite::params![
                    company.key,
                    key.data_supplier,
                    key.system_code,
                    key.delivery_type,
                    key.delivery_id,
                    key.created.map(date_text).unwrap_or_default()
                ],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .optional()?;
        if let Some((archived, archived_name, archived_hash)) = existing {
            let same = archived_hash == hash && {
                let stored = archived_content(&tx, company, archived)?;
                normalized_bytes(&stored) == normalized_bytes(bytes)
            };
            if !same {
                return Err(ExchangeError::ConflictingDelivery {
                    file: file_name.to_string(),
                    key,
                    archived,
                    archived_name,
                }
                .into());
            }
            // Nothing is written, not even a log entry: the same delivery changes nothing.
            drop(tx);
            tracing::info!(
                company = company.id(),
                file = file_name,
                archived,
                "delivery already imported"
            );
            return Ok(ImportReport {
                path: file_name.to_string(),
                file_id: archived,
                delivery_type,
                scheme: scheme_id(scheme),
                outcome: ImportOutcome::AlreadyImported,
                records: detail_records(delivery),
                attention: 0,
                changed: 0,
                mandates_changed: 0,
                unmatched: 0,
                refused: 0,
                duplicates: 0,
                skipped: 0,
            });
        }
        let formats: Vec<PaymentFormat> = formats_of(&tx, company)?
            .into_iter()
            .filter(|f| f.scheme == scheme)
            .collect();
        let creditors = creditors_of(delivery);
        if !creditors.is_empty()
            && !creditors
                .iter()
                .any(|c| formats.iter().any(|f| &f.creditor_number == c))
        {
            return Err(ExchangeError::NotForCompany {
                file: file_name.to_string(),
                creditors: creditors.into_iter().collect::<Vec<_>>().join(", "),
                scheme: match scheme {
                    Scheme::Bs => "BS",
                    Scheme::Ls => "LS",
                },
                company: company.id().to_string(),
            }
            .into());
        }
        let file_id = insert_file(
            &tx,
            company,
            &NewFile {
                created: now,
                creditor: creditors.iter().next().map_or("", String::as_str),
                export: false,
                file_name,
                scheme,
                key: &key,
                payment_format: None,
                status: "ok",
                records: detail_records(delivery),
                amount: Amount::ZERO,
                // Written by `Importer::finish` with the file's status: updating a row reads
                // and rewrites all of it, and this one holds the whole file.
                content: &[],
                content_hash: &hash,
            },
        )?;
        let mut importer = Importer {
            tx: &tx,
            company,
            file_id,
            cause: format!("import of file {file_name}").into(),
            log: StatusLog::new(company, now),
            now,
            formats,
            content: bytes,
            records: record_lines(bytes),
            report: ImportReport {
                path: file_name.to_string(),
                file_id,
                delivery_type,
                scheme: scheme_id(scheme),
                outcome: ImportOutcome::Applied,
                records: detail_records(delivery),
                attention: 0,
                changed: 0,
                mandates_changed: 0,
                unmatched: 0,
                refused: 0,
                duplicates: 0,
                skipped: 0,
            },
            amount: 0,
            formats_used: BTreeSet::new(),
            mandates: None,
            debtors: None,
            archived: HashMap::new(),
            lines: Vec::new(),
            receipt_lines: HashMap::new(),
            changed: FastSet::default(),
            applied_before_import: None,
            applied: Vec::new(),
            applied_hashes: FastMap::default(),
            charge_query: None,
            ahead: ChargesAhead::default(),
            ahead_query: None,
            customer_query: None,
            status_update: None,
            lines_from,
            journal: JournalWriter {
                drafts: ledger::DraftWriter::new(&tx, company.key),
                observe,
                without_offset: 0,
            },
        };
        importer.apply(delivery)?;
        let report = importer.finish()?;
        tx.commit()?;
        tracing::info!(
            company = company.id(),
            file = file_name,
            file_id,
            records = report.records,
            changed = report.changed,
            attention = report.attention,
            "delivery imported"
        );
        Ok(report)
    }

    /// The archived files, newest first, optionally of one year and/or month.
    pub fn archive_files(
        &self,
        company: &CompanyKey,
        filter: &ArchiveFilter,
    ) -> Result<Vec<ArchivedFile>> {
        let pattern = match (filter.year, filter.month) {
            (Some(year), Some(month)) => format!("{year:04}-{month:02}-%"),
            (Some(year), None) => format!("{year:04}-%"),
            (None, Some(month)) => format!("____-{month:02}-%"),
            (None, None) => "%".to_string(),
        };
        let files = self
            .conn
            .prepare(&format!(
                "SELECT {ARCHIVE_COLUMNS} FROM delivery_files WHERE company = ?1 \
                 AND created LIKE ?2 ORDER BY id DESC"
            ))?
            .query_map((company.key, pattern), archived_from_row)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(files)
    }

    /// One archived file with its status log and its content, decoded from ISO 8859-1.
    pub fn archive_file(&self, company: &CompanyKey, id: i64) -> Result<ArchivedFileContent> {
        let tx = self.read()?;
        let file = archived_file(&tx, company, id)?.ok_or(ExchangeError::UnknownFile(id))?;
        let content = archived_content(&tx, company, id)?;
        let log = tx
            .prepare(
                "SELECT at, text FROM delivery_file_log WHERE company = ?1 AND file = ?2 ORDER BY id",
            )?
            .query_map((company.key, id), |row| {
                Ok(FileLogEntry {
                    at: get_time(row, 0)?,
                    text: row.get(1)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        tx.commit()?;
        Ok(ArchivedFileContent {
            file,
            log,
            content: content.iter().map(|&b| char::from(b)).collect(),
        })
    }

    /// Marks an archived file reconciled, with a status log entry. Returns false (and changes
    /// nothing) when it already was.
    pub fn reconcile_file(
        &mut self,
        company: &CompanyKey,
        id: i64,
        now: NaiveDateTime,
    ) -> Result<bool> {
        let tx = self.write()?;
        let reconciled: Option<bool> = tx
            .query_row(
                "SELECT reconciled FROM delivery_files WHERE company = ?1 AND id = ?2",
                (company.key, id),
                |row| row.get(0),
            )
            .optional()?;
        match reconciled {
            None => Err(ExchangeError::UnknownFile(id).into()),
            Some(true) => Ok(false),
            Some(false) => {
                tx.execute(
                    "UPDATE delivery_files SET reconciled = 1 WHERE company = ?1 AND id = ?2",
                    (company.key, id),
                )?;
                log_file(&tx, company, id, now, "reconciled")?;
                tx.commit()?;
                Ok(true)
            }
        }
    }
}

/// After a person saw to a journal draft line (`journal set-account`, `journal
/// set-offset-account`): the bank file it came from (its source, `file F, line L`) is `error`
/// while some of its draft lines need attention (`domain.md` §7); when none does any more,
/// its status becomes `ok`, with a status log entry. Returns the file, as it is now, when
/// its status changed. A line of another source (a transfer by hand) changes no file.
pub(crate) fn file_status_after_fix(
    tx: &Connection,
    company: &CompanyKey,
    source: &str,
    now: NaiveDateTime,
) -> Result<Option<ArchivedFile>> {
    let Some(id) = file_of_source(source) else {
        return Ok(None);
    };
    let Some(mut file) = archived_file(tx, company, id)?.filter(|f| f.status == "error") else {
        return Ok(None);
    };
    let prefix = format!("file {id}, line ");
    let waiting: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM journal_lines WHERE company = ?1 AND attention = 1 \
         AND substr(source, 1, ?3) = ?2)",
        (
            company.key,
            &prefix,
            i64::try_from(prefix.len()).unwrap_or(i64::MAX),
        ),
        |row| row.get(0),
    )?;
    if waiting {
        return Ok(None);
    }
    tx.execute(
        "UPDATE delivery_files SET status = 'ok' WHERE company = ?1 AND id = ?2",
        (company.key, id),
    )?;
    log_file(
        tx,
        company,
        id,
        now,
        "status ok: none of its journal lines needs attention any more",
    )?;
    file.status = "ok".into();
    Ok(Some(file))
}

/// One archived file of the company, as listed (without its content).
fn archived_file(tx: &Connection, company: &CompanyKey, id: i64) -> Result<Option<ArchivedFile>> {
    Ok(tx
        .query_row(
            &format!("SELECT {ARCHIVE_COLUMNS} FROM delivery_files WHERE company = ?1 AND id = ?2"),
            (company.key, id),
            archived_from_row,
        )
        .optional()?)
}

/// The file id of a journal line's source `file F, line L` (`exchange::journal`).
fn file_of_source(source: &str) -> Option<i64> {
    let (file, line) = source.strip_prefix("file ")?.split_once(", line ")?;
    line.parse::<u64>().ok()?;
    file.parse().ok()
}

/// The charges of an export written so far, out of all, for the progress callback.
struct Charges<'a> {
    done: u64,
    total: u64,
    progress: crate::progress::Progress<'a>,
}

/// Charges per multi-row `INSERT` (9 bound values each).
const CHARGE_BATCH: usize = 100;

/// Inserts a planned file's charges, [`CHARGE_BATCH`] to a statement, reporting progress.
fn insert_charges(
    tx: &Connection,
    company: &CompanyKey,
    file_id: i64,
    file: &PlannedFile<'_>,
    charges: &mut Charges<'_>,
) -> Result<()> {
    let insert = BatchInsert {
        into: "charges (company, file, format_id, reference, debtor, customer_key, \
               payment_date, amount, group_id, lines)",
        constants: &[&company.key, &file_id, &file.format_id],
        columns: 7,
        batch: CHARGE_BATCH,
    };
    // A file's charges come in payment date order: each date is formatted once per run of
    // charges of that date (so once, in that order).
    let mut date: Option<(NaiveDate, String)> = None;
    let mut lines = String::new();
    insert.run(
        tx,
        file.charges.iter(),
        |statement, p, c| {
            let date_text = match &date {
                Some((day, text)) if *day == c.payment_date => text,
                _ => &date.insert((c.payment_date, date_text(c.payment_date))).1,
            };
            statement.raw_bind_parameter(p, c.reference.as_str())?;
            statement.raw_bind_parameter(p + 1, c.debtor().as_str())?;
            statement.raw_bind_parameter(p + 2, &*customer_no_key(&c.customer_no))?;
            statement.raw_bind_parameter(p + 3, date_text.as_str())?;
            statement.raw_bind_parameter(p + 4, c.amount.ore())?;
            statement.raw_bind_parameter(p + 5, c.group())?;
            write_line_list(&mut lines, c.lines.iter().map(|l| l.line.id));
            statement.raw_bind_parameter(p + 6, lines.as_str())
        },
        |written| {
            let before = charges.done;
            charges.done += written as u64;
            if before / 1024 != charges.done / 1024 || charges.done == charges.total {
                (charges.progress)(charges.done, charges.total);
            }
        },
    )
}

/// A charge's `lines` column: its line ids, ascending, comma-separated (`12,57,89`), written
/// over `text`.
fn write_line_list(text: &mut String, ids: impl Iterator<Item = i64>) {
    use std::fmt::Write;
    text.clear();
    for id in ids {
        if !text.is_empty() {
            text.push(',');
        }
        // Writing to a String cannot fail.
        let _ = write!(text, "{id}");
    }
}

/// The line ids of a charge's `lines` column ([`write_line_list`]), appended to `ids`.
fn read_line_list(text: &str, ids: &mut Vec<i64>) -> Result<()> {
    for id in text.split(',').filter(|id| !id.is_empty()) {
        ids.push(id.parse().map_err(|_| {
            Error::Corrupt(format!(
                "a charge's line list '{text}' is not a list of line ids"
            ))
        })?);
    }
    Ok(())
}

/// A delivery written under its staging name, and what the archive needs of its text.
struct StagedDelivery {
    staged: Staged,
    /// Where the delivery text starts in the staged file (after a ZIP header) and its length.
    text_offset: u64,
    text_length: u64,
    /// Hex FNV-1a-64 of the normalised text (see [`content_hash`]).
    content_hash: String,
}

/// Writes a planned file's delivery under its staging name (zipped when asked), a piece at a
/// time: the text of a million charges is never held whole. A ZIP archive's header carries
/// the CRC and size of the text, so a placeholder of the same length is written first and
/// the header written again once they are known.
fn stage_delivery(
    out_dir: &Path,
    company: &CompanyKey,
    data: &crate::model::RunData,
    settings: &ExportSettings<'_>,
    file: &PlannedFile<'_>,
) -> Result<StagedDelivery> {
    let mut text_offset = 0;
    let mut text_length = 0;
    let mut hash = fnv1a64(b"");
    let staged = stage_with(out_dir, &file.file_name, company.id(), |out, path| {
        let io = |source: std::io::Error| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        let zip = |length: u64, crc: u32| {
            let length = usize::try_from(length).unwrap_or(usize::MAX);
            zip_parts(&file.text_name, length, crc, settings.now)
                .map_err(|error| Error::from(ExchangeError::from(error)))
        };
        if file.zipped {
            let (placeholder, _) = zip(0, 0)?;
            out.write_all(&placeholder).map_err(io)?;
            text_offset = placeholder.len() as u64;
        }
        let mut crc = Crc32::new();
        let mut writer = BufWriter::with_capacity(1 << 16, &mut *out);
        write_delivery(data, settings, file, &mut |text| {
            // Pieces end with a whole record, so normalising piece by piece normalises the
            // whole text. The hash is of `normalized_content(text)`, taken line by line
            // without building that copy: the lines it keeps, each with one LF.
            for line in crate::delivery::normalized_lines(text) {
                hash = fnv1a64_more(hash, line.as_bytes());
                hash = fnv1a64_more(hash, b"\n");
            }
            // ASCII (nearly every delivery) is its own ISO 8859-1 spelling.
            let bytes = if text.is_ascii() {
                Cow::Borrowed(text.as_bytes())
            } else {
                Cow::Owned(to_latin1(text))
            };
            // The CRC is only written into the ZIP archive.
            if file.zipped {
                crc.update(&bytes);
            }
            text_length += bytes.len() as u64;
            writer.write_all(&bytes).map_err(io)
        })?;
        writer.flush().map_err(io)?;
        drop(writer);
        if file.zipped {
            let (header, trailer) = zip(text_length, crc.value())?;
            out.write_all(&trailer).map_err(io)?;
            out.seek(SeekFrom::Start(0)).map_err(io)?;
            out.write_all(&header).map_err(io)?;
        }
        Ok(())
    })?;
    Ok(StagedDelivery {
        staged,
        text_offset,
        text_length,
        content_hash: format!("{hash:016x}"),
    })
}

/// The text of an archived file, unpacked ([`unpack`]).
fn archived_content(tx: &Connection, company: &CompanyKey, id: i64) -> Result<Vec<u8>> {
    let (stored, encoding): (Vec<u8>, String) = tx.query_row(
        "SELECT content, content_encoding FROM delivery_files WHERE company = ?1 AND id = ?2",
        (company.key, id),
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    unpack(&encoding, stored)
}

/// Writes a delivery's text, read back from its staged file a megabyte at a time and packed
/// ([`packed`]), into its archive row's `content`. Packed here, once the run data is gone,
/// not as the text was written: at a million charges the packed text (28 MB, and the copies
/// of its growing buffer) added to the export's peak.
fn archive_text(tx: &Connection, file_id: i64, text: &StagedDelivery) -> Result<()> {
    let path = text.staged.staged_path();
    let io = |source: std::io::Error| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut source = File::open(path).map_err(io)?;
    source.seek(SeekFrom::Start(text.text_offset)).map_err(io)?;
    let mut source = source.take(text.text_length);
    let mut packer = Packer::new();
    let mut buffer = vec![0; 1 << 20];
    loop {
        let read = source.read(&mut buffer).map_err(io)?;
        if read == 0 {
            break;
        }
        packer.write(&buffer[..read])?;
    }
    tx.execute(
        "UPDATE delivery_files SET content = ?2, content_encoding = ?3 WHERE id = ?1",
        (file_id, packer.finish()?, PACKED),
    )?;
    Ok(())
}

/// Gives a planned file's lines the status export gives them (I7: only a line still in the
/// status it was planned from moves), the charge's reference, the date sent and the delivery
/// id (an LS stop line keeps the reference of the charge it cancels and is marked
/// `cancellation_sent`), and logs each change (I6), in line id order.
///
/// One prepared single-row `UPDATE` per line, by rowid, and the status log 100 rows to an
/// `INSERT` ([`StatusLog`]). This replaced a temporary table of the changes with one `UPDATE
/// … FROM` over it and one `INSERT … SELECT` from it: filling the table cost about as much
/// as the update, and SQLite runs an `UPDATE … FROM` by first writing the join's rows into
/// an ephemeral table, so every line went through two tables before its own row was
/// written (1,000,000 entries: temporary table, update and log 9.4 s, now 6.1 s).
/// `OR ROLLBACK`: any failure here fails the whole export, so SQLite need not be able to
/// undo one statement alone.
fn mark_lines_sent(
    tx: &Connection,
    company: &CompanyKey,
    now: NaiveDateTime,
    file: &PlannedFile<'_>,
    delivery_id: &str,
    sent: &str,
    cause: &std::rc::Rc<str>,
) -> Result<()> {
    // (line, charge) pairs sorted by line id: the rows are visited in table order and the
    // log is written in the order the ids go.
    // Sized once: collected from the charges, the vector grew by doubling (room for 1,048,576
    // pairs at a million lines, 2 MB unused at the export's peak).
    let mut lines: Vec<(&crate::model::PaymentLine, &PlannedCharge<'_>)> =
        Vec::with_capacity(file.charges.iter().map(|c| c.lines.len()).sum());
    lines.extend(
        file.charges
            .iter()
            .flat_map(|c| c.lines.iter().map(move |l| (l.line, c))),
    );
    lines.sort_unstable_by_key(|(line, _)| line.id);
    let mut send = tx.prepare(
        "UPDATE OR ROLLBACK payment_lines SET status = ?4, reference = ?5, date_sent = ?6, \
         delivery_id = ?7 WHERE id = ?1 AND company = ?2 AND status = ?3",
    )?;
    send.raw_bind_parameter(2, company.key)?;
    send.raw_bind_parameter(6, sent)?;
    send.raw_bind_parameter(7, delivery_id)?;
    let mut cancel = tx.prepare(
        "UPDATE OR ROLLBACK payment_lines SET status = ?4, cancellation_sent = 1 \
         WHERE id = ?1 AND company = ?2 AND status = ?3",
    )?;
    cancel.raw_bind_parameter(2, company.key)?;
    let mut log = StatusLog::new(company, now);
    log.reserve(lines.len());
    // A bound value stays bound from one execution to the next: the texts a line shares with
    // the line before it (nearly always its statuses, often its reference) are not bound
    // (copied into SQLite) again.
    let mut send_bound: Option<(Status, Status, &str)> = None;
    let mut cancel_bound: Option<(Status, Status)> = None;
    for (line, charge) in lines {
        let old = line.status;
        // Validation only passes lines export can move (§6), so the fallback is never taken;
        // it keeps the line where it is rather than guess.
        let new = on_export(old).unwrap_or(old);
        let statement = if charge.cancellation {
            if cancel_bound != Some((old, new)) {
                cancel.raw_bind_parameter(3, old.as_str())?;
                cancel.raw_bind_parameter(4, new.as_str())?;
                cancel_bound = Some((old, new));
            }
            &mut cancel
        } else {
            let reference = charge.reference.as_str();
            let (same_statuses, same_reference) = match send_bound {
                Some((o, n, r)) => ((o, n) == (old, new), r == reference),
                None => (false, false),
            };
            if !same_statuses {
                send.raw_bind_parameter(3, old.as_str())?;
                send.raw_bind_parameter(4, new.as_str())?;
            }
            if !same_reference {
                send.raw_bind_parameter(5, reference)?;
            }
            send_bound = Some((old, new, reference));
            &mut send
        };
        statement.raw_bind_parameter(1, line.id)?;
        if statement.raw_execute()? != 1 {
            return Err(Error::Corrupt(format!(
                "payment line {} changed during the export transaction",
                line.id
            )));
        }
        log.push(tx, line.id, Some(old), new, cause)?; // I6
    }
    log.flush(tx)
}

/// Writes one planned file's rows (archive, charges, lines, status log); its text is in the
/// staged file, and goes into the archive row later ([`archive_text`]).
fn export_file(
    tx: &Connection,
    company: &CompanyKey,
    now: NaiveDateTime,
    file: &PlannedFile<'_>,
    charges: &mut Charges<'_>,
) -> Result<ExportedFile> {
    let delivery_id = file.delivery_id_text();
    let key = file.delivery_key();
    let file_id = insert_file(
        tx,
        company,
        &NewFile {
            created: now,
            creditor: &file.creditor,
            export: true,
            file_name: &file.file_name,
            scheme: file.scheme,
            key: &key,
            payment_format: Some(&file.format_id),
            status: "pending",
            records: file.charges.len(),
            amount: file.amount,
            content: &[],
            // Set once the text is written (see `export_deliveries`).
            content_hash: "",
        },
    )
    .map_err(|error| match &error {
        Error::Db(rusqlite::Error::SqliteFailure(e, _))
            if e.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            Error::Corrupt(format!(
                "delivery {delivery_id} of payment format {} is already in the file archive: the export counter was changed by hand",
                file.format_id
            ))
        }
        _ => error,
    })?;
    let cause: std::rc::Rc<str> = format!("export of delivery {}", file.delivery_id).into();
    let sent = date_text(now.date());
    insert_charges(tx, company, file_id, file, charges)?;
    mark_lines_sent(tx, company, now, file, &delivery_id, &sent, &cause)?;
    log_file(
        tx,
        company,
        file_id,
        now,
        &format!(
            "exported as {}: {} charges, {} lines, amount {}",
            file.file_name,
            file.charges.len(),
            file.line_count(),
            file.amount
        ),
    )?;
    Ok(ExportedFile {
        // Set once the text is written (see `export_deliveries`).
        path: std::path::PathBuf::new(),
        file_id,
        format: file.format_id.clone(),
        scheme: scheme_id(file.scheme),
        delivery_id,
        charges: file.charges.len(),
        lines: file.line_count(),
        amount: file.amount,
    })
}

/// The detail records of a delivery (everything between its start and end records, without
/// section records).
fn detail_records(delivery: &Delivery) -> usize {
    match delivery {
        Delivery::Bs0602(d) => d.sections.iter().map(|s| s.records.len()).sum(),
        Delivery::Bs0603(d) => d.sections.iter().map(|s| s.agreements.len()).sum(),
        Delivery::Ls0690(d) => d.records.len(),
        Delivery::Ls0602(d) => d.records.len(),
        Delivery::Ls30(d) => d.mandates.len(),
        Delivery::Bs0601(d) => d.sections.iter().map(|s| s.payments.len()).sum(),
        Delivery::Ls40(d) => d.groups.iter().map(|g| g.records.len()).sum(),
    }
}

/// The creditor numbers a delivery is addressed to.
fn creditors_of(delivery: &Delivery) -> BTreeSet<String> {
    match delivery {
        Delivery::Bs0602(d) => d.sections.iter().map(|s| s.creditor_pbs.clone()).collect(),
        Delivery::Bs0603(d) => d.sections.iter().map(|s| s.creditor_pbs.clone()).collect(),
        Delivery::Ls0690(d) => d
            .records
            .iter()
            .map(|r| match r {
                Ls0690Record::Receipt(r) => r.creditor_no.clone(),
                Ls0690Record::Remark(r) => r.creditor_no.clone(),
                Ls0690Record::Comment(r) => r.creditor_no.clone(),
                Ls0690Record::Change(r) => r.creditor_no.clone(),
            })
            .collect(),
        Delivery::Ls0602(d) => d
            .records
            .iter()
            .map(|r| match r {
                crate::delivery::Ls0602Record::Task(t) => t.creditor_no.clone(),
                crate::delivery::Ls0602Record::Payment(p) => p.creditor_no.clone(),
            })
            .collect(),
        Delivery::Ls30(d) => [d.creditor_no.clone()].into(),
        Delivery::Bs0601(d) => d.sections.iter().map(|s| s.creditor_pbs.clone()).collect(),
        Delivery::Ls40(d) => [d.creditor_no.clone()].into(),
    }
}

const ARCHIVE_COLUMNS: &str = "id, created, creditor, export, file_name, scheme, delivery_type, \
    delivery_id, payment_format, status, reconciled, records, amount";

fn get_time(row: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<NaiveDateTime> {
    let text: String = row.get(index)?;
    NaiveDateTime::parse_from_str(&text, "%Y-%m-%dT%H:%M:%S").map_err(|_| {
        rusqlite::Error::FromSqlConversionFailure(
            index,
            rusqlite::types::Type::Text,
            format!("'{text}' is not a time").into(),
        )
    })
}

fn archived_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ArchivedFile> {
    Ok(ArchivedFile {
        id: row.get(0)?,
        created: get_time(row, 1)?,
        creditor: row.get(2)?,
        export: row.get(3)?,
        file_name: row.get(4)?,
        scheme: row.get(5)?,
        delivery_type: row.get(6)?,
        delivery_id: row.get(7)?,
        payment_format: row.get(8)?,
        status: row.get(9)?,
        reconciled: row.get(10)?,
        records: row.get(11)?,
        amount: Amount::from_ore(row.get(12)?),
    })
}

/// A charge sent, as an answer's match keeps it.
#[derive(Clone)]
struct ChargeRow {
    reference: Id,
    amount: Amount,
    group: Option<Id>,
}

/// A charge as found for an answer: with the ids of the lines it was sent for (its `lines`
/// column), which the match reads once and does not keep.
#[derive(Clone)]
struct FoundCharge {
    charge: ChargeRow,
    lines: String,
}

/// Charges of the company read ahead in reference order, each with its format, for
/// [`Importer::charge_by_reference`].
#[derive(Default)]
struct ChargesAhead {
    /// What was read: every charge from the first reference on, up to the second (to the end
    /// of the table when `None`), is in `charges`, except those before the last reference
    /// asked for, which were let go. `None` before the first read.
    range: Option<(Id, Option<Id>)>,
    charges: VecDeque<(FoundCharge, Id)>,
}

/// Charges read ahead by one query of [`Importer::charge_by_reference`].
const CHARGES_AHEAD: usize = 256;

impl ChargesAhead {
    /// Whether what was read ahead tells if `reference` has a charge.
    fn covers(&self, reference: &str) -> bool {
        self.range.as_ref().is_some_and(|(from, until)| {
            reference >= from.as_str() && until.as_ref().is_none_or(|u| reference <= u.as_str())
        })
    }

    /// Whether `reference` comes before what was read ahead (an answer out of order).
    fn passed(&self, reference: &str) -> bool {
        self.range
            .as_ref()
            .is_some_and(|(from, _)| reference < from.as_str())
    }

    /// Holds `charges`, the charges from `from` on, as read (at most [`CHARGES_AHEAD`]).
    fn read(&mut self, from: &str, charges: VecDeque<(FoundCharge, Id)>) {
        let until = match charges.back() {
            Some((last, _)) if charges.len() >= CHARGES_AHEAD => {
                Some(last.charge.reference.clone())
            }
            _ => None,
        };
        self.range = Some((Id::from(from), until));
        self.charges = charges;
    }

    /// The charge of `reference` in `format`, from what was read ahead (which must cover
    /// it). The charges before `reference` are let go: the next answers come later in the
    /// file.
    fn find(&mut self, reference: &str, format: &str) -> Option<FoundCharge> {
        while self
            .charges
            .front()
            .is_some_and(|(first, _)| first.charge.reference.as_str() < reference)
        {
            self.charges.pop_front();
        }
        if let Some((from, _)) = &mut self.range {
            *from = Id::from(reference);
        }
        let (first, of) = self.charges.front()?;
        (first.charge.reference.as_str() == reference && of.as_str() == format)
            .then(|| first.clone())
    }
}

/// A [`FoundCharge`] of the columns `reference, amount, group_id, lines, format_id`, and the
/// format.
fn charge_and_format_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<(FoundCharge, Id)> {
    Ok((charge_from_row(row)?, get_id(row, 4)?))
}

/// A [`FoundCharge`] of the columns `reference, amount, group_id, lines`.
fn charge_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<FoundCharge> {
    Ok(FoundCharge {
        charge: ChargeRow {
            reference: get_id(row, 0)?,
            amount: Amount::from_ore(row.get(1)?),
            group: get_optional_id(row, 2)?,
        },
        lines: row.get(3)?,
    })
}

/// `applied_records` rows per multi-row `INSERT` (2 bound values each).
const APPLIED_BATCH: usize = 200;

/// Hashes per statement of [`probe_applied`].
const PROBE_BATCH: usize = 200;

/// I5: what the database registered as applied before an import, for that file's records.
struct AppliedBefore {
    /// Every record's hash ([`record_hash`]), index = record index.
    hashes: Vec<i64>,
    /// By hash, the (file, line) of every record applied before with that hash, in
    /// `applied_records` key order; only the hashes of this file's records.
    hits: FastMap<i64, Vec<(i64, usize)>>,
}

/// A record's I5 hash: FNV-1a-64 of its text (trailing blanks stripped), its bits as SQLite's
/// signed integer.
fn record_hash(text: &[u8]) -> i64 {
    fnv1a64(text) as i64
}

/// I5: looks every record's hash up in `applied_records` before the import writes any, in
/// hash order, [`PROBE_BATCH`] to a statement. Asking once per record cost 5-10 % of `import
/// delivery` (at 1,000,000 entries 434,000 statements, each found nothing); a file's own
/// records are compared in memory ([`Importer::applied_before`]).
fn probe_applied(
    tx: &Connection,
    company: &CompanyKey,
    records: &[(usize, &[u8])],
) -> Result<AppliedBefore> {
    let hashes: Vec<i64> = records.iter().map(|(_, text)| record_hash(text)).collect();
    let mut sorted = hashes.clone();
    sorted.sort_unstable();
    sorted.dedup();
    let mut hits: FastMap<i64, Vec<(i64, usize)>> = FastMap::default();
    let sql = |count| {
        let mut sql = String::from(
            "SELECT hash, file, line FROM applied_records WHERE company = ?1 AND hash IN (",
        );
        push_placeholders(&mut sql, 2, count);
        sql.push(')');
        sql
    };
    query_in_batches(tx, company.key, &sorted, PROBE_BATCH, sql, |row| {
        hits.entry(row.get(0)?)
            .or_default()
            .push((row.get(1)?, row.get(2)?));
        Ok(())
    })?;
    for found in hits.values_mut() {
        found.sort_unstable();
    }
    Ok(AppliedBefore { hashes, hits })
}

/// Runs `sql(n)` (a query whose `?1` is the company and `?2`… an `IN` list of `n` values) for
/// `values`, `batch` at a time, and hands every row to `row`: one prepared statement for the
/// full batches, one more for the rest.
fn query_in_batches<T: rusqlite::ToSql>(
    tx: &Connection,
    company: i64,
    values: &[T],
    batch: usize,
    sql: impl Fn(usize) -> String,
    mut row: impl FnMut(&rusqlite::Row<'_>) -> Result<()>,
) -> Result<()> {
    let mut full = None;
    for chunk in values.chunks(batch) {
        let mut short;
        let statement = if chunk.len() == batch {
            held(&mut full, tx, || sql(batch))?
        } else {
            short = tx.prepare(&sql(chunk.len()))?;
            &mut short
        };
        statement.raw_bind_parameter(1, company)?;
        for (i, value) in chunk.iter().enumerate() {
            statement.raw_bind_parameter(i + 2, value)?;
        }
        let mut rows = statement.raw_query();
        while let Some(found) = rows.next()? {
            row(found)?;
        }
    }
    Ok(())
}

/// Appends `count` numbered placeholders from `?from` on, comma-separated (`?2, ?3, ?4`).
fn push_placeholders(sql: &mut String, from: usize, count: usize) {
    for at in 0..count {
        if at > 0 {
            sql.push_str(", ");
        }
        sql.push('?');
        sql.push_str(&(from + at).to_string());
    }
}

/// A payment line an LS 0690 note names.
struct AnsweredLine {
    id: i64,
    status: Status,
}

/// A line's status change (and partial payment, when given), refused (no row changed) when
/// the line's status is no longer the one the import read.
const UPDATE_LINE_STATUS: &str = "UPDATE payment_lines SET status = ?4, \
     partial_payment = coalesce(?5, partial_payment) \
     WHERE company = ?1 AND id = ?2 AND status = ?3";

/// Lines read per statement in pass 2 of [`Importer::payments`]: a statement per line cost
/// more in running the statement than in reading the line.
const LOAD_BATCH: usize = 100;

/// [`positions_in`]'s position of a line id that was not loaded.
const NOT_LOADED: u32 = u32::MAX;

/// The position in `lines` (in id order) of each of `ids`, [`NOT_LOADED`] for an id that is
/// not there. The ids are visited in id order, walking `lines` once: a binary search per id
/// in the order of the file missed the cache at nearly every step (5 % of the import's time
/// at 1,000,000 entries).
fn positions_in(lines: &[LineState], ids: &[i64]) -> Result<Vec<u32>> {
    // Every position and every index of `ids` fits a u32 below NOT_LOADED.
    if lines.len() >= NOT_LOADED as usize || ids.len() > NOT_LOADED as usize {
        return Err(Error::Corrupt(
            "more than 4,294,967,294 payment lines in one file".into(),
        ));
    }
    let mut order: Vec<(i64, u32)> = ids.iter().copied().zip(0..).collect();
    order.sort_unstable();
    let mut positions = vec![NOT_LOADED; ids.len()];
    let mut loaded = lines.iter().map(|line| line.id).zip(0..).peekable();
    for (id, i) in order {
        while loaded.next_if(|&(line, _)| line < id).is_some() {}
        if let Some(&(line, at)) = loaded.peek() {
            if line == id {
                positions[i as usize] = at;
            }
        }
    }
    Ok(positions)
}

/// A payment line with its entry, of `ids` line ids (`?2`…) of the company `?1`. The unary
/// `+` keeps SQLite from reading the company's lines by the index by entry instead of
/// looking each id up.
fn load_lines_sql(ids: usize) -> String {
    let mut sql = String::from(
        "SELECT l.id, l.status, l.partial_payment, l.entry_id, l.debtor, e.invoice, e.amount, \
         e.remaining, l.reference FROM payment_lines l \
         JOIN entries e ON e.company = l.company AND e.entry_id = l.entry_id \
         WHERE +l.company = ?1 AND l.id IN (",
    );
    push_placeholders(&mut sql, 2, ids);
    sql.push(')');
    sql
}

/// [`Importer::load_receipt_lines`]'s statement for `ids` line ids: those still sent, with
/// their format and payment date.
fn sent_lines_sql(ids: usize) -> String {
    let mut sql = String::from(
        "SELECT id, format_id, payment_date FROM payment_lines \
         WHERE +company = ?1 AND status = 'sent' AND id IN (",
    );
    push_placeholders(&mut sql, 2, ids);
    sql.push(')');
    sql
}

/// The payment lines of `ids` (ascending) with their entries, of the company `key`, for pass 2
/// of [`Importer::payments`]. A line without its entry is left out, as the join of
/// [`Importer::lines_of`] leaves it out.
fn read_lines(tx: &Connection, key: i64, ids: &[i64]) -> Result<Vec<LineState>> {
    let mut lines = Vec::with_capacity(ids.len());
    query_in_batches(tx, key, ids, LOAD_BATCH, load_lines_sql, |row| {
        lines.push(LineState {
            id: row.get(0)?,
            status: get_status(row, 1)?,
            partial_payment: row.get::<_, Option<i64>>(2)?.map(Amount::from_ore),
            entry_id: get_id(row, 3)?,
            debtor: get_id(row, 4)?,
            invoice: get_optional_id(row, 5)?,
            entry_amount: Amount::from_ore(row.get(6)?),
            remaining: Amount::from_ore(row.get(7)?),
            reference: get_optional_id(row, 8)?,
        });
        Ok(())
    })?;
    Ok(lines)
}

/// The company `key`'s mandates by (format, customer key): id and debtor, for
/// [`Importer::mandate_of`].
fn read_mandates(tx: &Connection, key: i64) -> Result<MandateIndex> {
    let mut index = FastMap::default();
    let mut statement = tx.prepare(
        "SELECT mandate_id, debtor, payment_format, alt_mandate_id FROM mandates \
         WHERE company = ?1",
    )?;
    let mut rows = statement.query([key])?;
    while let Some(row) = rows.next()? {
        let id = get_id(row, 0)?;
        let debtor = get_id(row, 1)?;
        let format = get_id(row, 2)?;
        let alt: Option<String> = row.get(3)?;
        if let Some(alt) = alt {
            index
                .entry((format.clone(), Id::from(customer_no_key(&alt).as_ref())))
                .or_insert((id.clone(), debtor.clone()));
        }
        index.insert(
            (format, Id::from(customer_no_key(&id).as_ref())),
            (id, debtor),
        );
    }
    Ok(index)
}

/// (format, customer key) → (mandate id, debtor).
type MandateIndex = FastMap<(Id, Id), (Id, Id)>;

/// The company `key`'s mandates, read into `mandates` on first use.
fn loaded_mandates<'m>(
    mandates: &'m mut Option<MandateIndex>,
    tx: &Connection,
    key: i64,
) -> Result<&'m MandateIndex> {
    if mandates.is_none() {
        *mandates = Some(read_mandates(tx, key)?);
    }
    Ok(mandates.get_or_insert_with(MandateIndex::default))
}

/// The mandate of a format with a customer number (by key): its id and debtor.
fn mandate_in(index: &MandateIndex, format: &str, customer_key: &str) -> Option<(Id, Id)> {
    index
        .get(&(Id::from(format), Id::from(customer_key)))
        .cloned()
}

/// What pass 1 of [`Importer::payments`] found for a payment answer.
struct Matched {
    /// Index into the importer's formats.
    format: usize,
    /// I5: the archived file the same record was applied from before.
    duplicate_of: Option<i64>,
    matched_by: MatchedBy,
    charge: Option<ChargeRow>,
    /// The charge's line ids: this range of the pass's list of line ids.
    lines: std::ops::Range<usize>,
}

/// A payment line named by a 0602 and its entry: what the import needs of them, as changed by
/// the answers applied so far (pass 3 of [`Importer::payments`]).
struct LineState {
    id: i64,
    status: Status,
    partial_payment: Option<Amount>,
    entry_id: Id,
    debtor: Id,
    invoice: Option<Id>,
    entry_amount: Amount,
    remaining: Amount,
    /// The reference of the charge the line was last sent in: an answer to an older charge
    /// that listed it does not change it (see [`Importer::payment`]).
    reference: Option<Id>,
}

/// A status change made in pass 3 of [`Importer::payments`], written in pass 4.
struct LineChange {
    line: i64,
    partial: Option<Amount>,
    old: Status,
    new: Status,
    /// Index into [`Changes::causes`].
    cause: u32,
}

/// The status changes of pass 3 of [`Importer::payments`] and their causes.
#[derive(Default)]
struct Changes {
    list: Vec<LineChange>,
    causes: Vec<Box<str>>,
}

impl Changes {
    /// The index of a cause in `causes`, added when new (a file has a million changes but
    /// only a few causes: they differ by transaction code at most).
    fn cause(&mut self, text: &str) -> Result<u32> {
        let at = match self.causes.iter().position(|c| &**c == text) {
            Some(at) => at,
            None => {
                self.causes.push(text.into());
                self.causes.len() - 1
            }
        };
        u32::try_from(at).map_err(|_| Error::Corrupt("too many status change causes".into()))
    }
}

/// An LS 0690 remark or comment.
struct BankNote<'a> {
    customer_no: &'a str,
    date: Option<NaiveDate>,
    amount: Amount,
    detail: String,
    remark: bool,
}

/// A mandate change a bank file asks for.
enum MandateChange {
    Enroll {
        start: Option<NaiveDate>,
        end: Option<NaiveDate>,
        agreement: Option<String>,
    },
    Unsubscribe {
        end: Option<NaiveDate>,
    },
}

/// The state of one import: the transaction, the file, what was done so far.
struct Importer<'a> {
    tx: &'a Connection,
    company: &'a CompanyKey,
    file_id: i64,
    cause: std::rc::Rc<str>,
    log: StatusLog<'a>,
    now: NaiveDateTime,
    /// The company's payment formats of the file's scheme.
    formats: Vec<PaymentFormat>,
    /// The file's bytes, archived by [`Importer::finish`].
    content: &'a [u8],
    /// Every record's line number and text (index = record index).
    records: Vec<(usize, &'a [u8])>,
    report: ImportReport,
    /// Sum of the paid amounts of the payment records applied, in øre.
    amount: i64,
    formats_used: BTreeSet<Id>,
    /// (format, customer key) → (mandate id, debtor), loaded on first use, or beside passes
    /// 1 and 2 of [`Importer::payments`].
    /// Keys as [`Id`]s: short inline strings, so neither the map nor a lookup allocates.
    mandates: Option<MandateIndex>,
    /// Debtor account key (upper case, leading zeros stripped) → account, loaded on first use.
    debtors: Option<HashMap<String, String>>,
    /// Archived files read to confirm an I5 hash hit: content and line start offsets.
    archived: HashMap<i64, (Vec<u8>, Vec<usize>)>,
    /// The payment lines a 0602 names, by id, from pass 2 to pass 3 of
    /// [`Importer::payments`].
    lines: Vec<LineState>,
    /// Payment date → format → its sent lines, by id: a 0690's receipts (see
    /// [`Importer::load_receipt_lines`]).
    receipt_lines: HashMap<String, Vec<(Id, Vec<i64>)>>,
    /// The lines [`Importer::set_status`] changed (an LS 0690's): none of them is sent any
    /// more.
    changed: FastSet<i64>,
    /// I5: what the database knew before this import, read on the first question for all
    /// records together ([`probe_applied`]).
    applied_before_import: Option<AppliedBefore>,
    /// I5: this file's records registered as applied, (hash, record), in file order, written
    /// by [`Importer::flush_applied`].
    applied: Vec<(i64, usize)>,
    /// I5: the first of this file's records registered per hash.
    applied_hashes: FastMap<i64, usize>,
    /// The statements run once per record, prepared on first use and held for the import
    /// (see [`held`]): the statement cache hashes the text of each on every use and clears
    /// its bindings when it is handed back.
    charge_query: Option<rusqlite::Statement<'a>>,
    /// The charges [`Importer::charge_by_reference`] read ahead, and its query.
    ahead: ChargesAhead,
    ahead_query: Option<rusqlite::Statement<'a>>,
    customer_query: Option<rusqlite::Statement<'a>>,
    /// [`UPDATE_LINE_STATUS`], with the company bound once and the (old, new) statuses bound
    /// now: a change binds the statuses only when they differ from the last change's (in
    /// pass 4, in line id order, 9 changes in 10 repeat the pair), as binding a text copies
    /// it (−1.3 % instructions at 100,000).
    status_update: Option<(rusqlite::Statement<'a>, Option<(Status, Status)>)>,
    /// The database file a second connection may read payment lines from, beside this one
    /// ([`Importer::load_lines`]), when its snapshot is this transaction's.
    lines_from: Option<PathBuf>,
    /// Writes the journal draft lines of the bank events of pass 3 of [`Importer::payments`].
    journal: JournalWriter<'a>,
}

impl Importer<'_> {
    fn apply(&mut self, delivery: &Delivery) -> Result<()> {
        match delivery {
            Delivery::Bs0602(_) | Delivery::Ls0602(_) => {
                self.payments(delivery)?;
                // Slip address and text records of other creditors' sections are skipped too.
                if let Delivery::Bs0602(d) = delivery {
                    for section in &d.sections {
                        if self
                            .format_for(&section.creditor_pbs, Some(&section.debtor_group))
                            .is_none()
                        {
                            let payments = payment_answers_in_section(section);
                            self.report.skipped += section.records.len() - payments;
                        }
                    }
                }
                if let Delivery::Ls0602(d) = delivery {
                    let tasks = d
                        .records
                        .iter()
                        .filter(|r| match r {
                            crate::delivery::Ls0602Record::Task(t) => {
                                self.format_for(&t.creditor_no, None).is_none()
                            }
                            crate::delivery::Ls0602Record::Payment(_) => false,
                        })
                        .count();
                    self.report.skipped += tasks;
                }
            }
            Delivery::Bs0603(d) => {
                let mut index = 1;
                for section in &d.sections {
                    index += 1;
                    let format = self
                        .format_for(&section.creditor_pbs, Some(&section.debtor_group))
                        .cloned();
                    for agreement in &section.agreements {
                        let record = index;
                        index += 1;
                        let Some(format) = &format else {
                            self.report.skipped += 1;
                            continue;
                        };
                        let (change, reason) = match agreement.code {
                            Bs0603Code::Active | Bs0603Code::Registered => (
                                MandateChange::Enroll {
                                    start: agreement.start_date,
                                    end: agreement.end_date,
                                    agreement: Some(agreement.agreement_no.clone()),
                                },
                                if agreement.code == Bs0603Code::Active {
                                    "active (0230)"
                                } else {
                                    "registered (0231)"
                                },
                            ),
                            Bs0603Code::CancelledByBank => (
                                MandateChange::Unsubscribe {
                                    end: agreement.end_date,
                                },
                                "cancelled by the debtor's bank (0232)",
                            ),
                            Bs0603Code::CancelledByCreditor => (
                                MandateChange::Unsubscribe {
                                    end: agreement.end_date,
                                },
                                "cancelled by the creditor (0233)",
                            ),
                            Bs0603Code::CancelledByBetalingsservice => (
                                MandateChange::Unsubscribe {
                                    end: agreement.end_date,
                                },
                                "cancelled by Betalingsservice (0234)",
                            ),
                        };
                        self.mandate(format, &agreement.customer_no, change, reason, record)?;
                    }
                    index += 1;
                }
                // Sections the reader skipped (formats.md §10: reported, not fatal).
                for warning in &d.warnings {
                    log_file(
                        self.tx,
                        self.company,
                        self.file_id,
                        self.now,
                        &format!("line {}: {}", warning.line, warning.message),
                    )?;
                }
            }
            Delivery::Ls30(d) => {
                let format = self.format_for(&d.creditor_no, None).cloned();
                // 000, 001, then the mandate records.
                for (i, m) in d.mandates.iter().enumerate() {
                    let Some(format) = &format else {
                        self.report.skipped += 1;
                        continue;
                    };
                    let (change, reason) = match m.kind {
                        Ls30MandateKind::Active => (
                            MandateChange::Enroll {
                                start: m.date,
                                end: None,
                                agreement: None,
                            },
                            "active (500)",
                        ),
                        Ls30MandateKind::Added => (
                            MandateChange::Enroll {
                                start: m.date,
                                end: None,
                                agreement: None,
                            },
                            "added (510)",
                        ),
                        Ls30MandateKind::Removed => {
                            (MandateChange::Unsubscribe { end: m.date }, "removed (540)")
                        }
                    };
                    self.mandate(format, &m.customer_no, change, reason, i + 2)?;
                }
            }
            Delivery::Ls0690(d) => {
                self.load_receipt_lines(&d.records)?;
                for (i, record) in d.records.iter().enumerate() {
                    self.ls0690(record, i + 1)?;
                }
            }
            Delivery::Bs0601(_) | Delivery::Ls40(_) => {}
        }
        Ok(())
    }

    /// The payment format a creditor number (and BS debtor group) belongs to.
    fn format_for(&self, creditor: &str, group: Option<&str>) -> Option<&PaymentFormat> {
        self.format_index(creditor, group)
            .and_then(|i| self.formats.get(i))
    }

    /// [`Importer::format_for`] as an index into `self.formats`: the creditor's format of the
    /// debtor group, else the creditor's first.
    fn format_index(&self, creditor: &str, group: Option<&str>) -> Option<usize> {
        let of_creditor = || {
            self.formats
                .iter()
                .enumerate()
                .filter(|(_, f)| f.creditor_number == creditor)
        };
        group
            .and_then(|g| of_creditor().find(|(_, f)| f.debtor_group == g))
            .or_else(|| of_creditor().next())
            .map(|(i, _)| i)
    }

    fn line_of(&self, record: usize) -> usize {
        line_of(&self.records, record)
    }

    /// The text of a record at a line of a file archived before this import (trailing blanks
    /// stripped; this file's own records are compared in memory, see
    /// [`Importer::applied_before`]).
    fn archived_record(&mut self, file: i64, line: usize) -> Result<Vec<u8>> {
        if !self.archived.contains_key(&file) {
            let content = archived_content(self.tx, self.company, file)?;
            let mut starts = vec![0];
            starts.extend(
                content
                    .iter()
                    .enumerate()
                    .filter(|(_, &b)| b == b'\n')
                    .map(|(i, _)| i + 1),
            );
            self.archived.insert(file, (content, starts));
        }
        let Some((content, starts)) = self.archived.get(&file) else {
            return Ok(Vec::new());
        };
        let start = starts
            .get(line.wrapping_sub(1))
            .copied()
            .unwrap_or(content.len());
        let rest = content.get(start..).unwrap_or(&[]);
        let end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
        let text = rest.get(..end).unwrap_or(&[]);
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        let trimmed = text.iter().rposition(|&b| b != b' ').map_or(0, |i| i + 1);
        Ok(text.get(..trimmed).unwrap_or(&[]).to_vec())
    }

    /// I5: the archived file from which the same return record was applied before, or `None`
    /// (and the record is now registered as applied from this file: queued, written by
    /// [`Importer::flush_applied`]).
    fn applied_before(&mut self, record: usize) -> Result<Option<i64>> {
        let Some(&(_, text)) = self.records.get(record) else {
            return Ok(None);
        };
        let before = match &self.applied_before_import {
            Some(before) => before,
            None => self.applied_before_import.insert(probe_applied(
                self.tx,
                self.company,
                &self.records,
            )?),
        };
        let hash = before
            .hashes
            .get(record)
            .copied()
            .unwrap_or_else(|| record_hash(text));
        if let Some(hits) = before.hits.get(&hash).cloned() {
            for (file, at) in hits {
                if self.archived_record(file, at)? == text {
                    return Ok(Some(file));
                }
            }
        }
        // This file's records registered before this one (their rows come after those
        // above: the same answer).
        if let Some(&first) = self.applied_hashes.get(&hash) {
            let same = |r: usize| self.records.get(r).is_some_and(|(_, t)| *t == text);
            if same(first) || self.applied.iter().any(|&(h, r)| h == hash && same(r)) {
                return Ok(Some(self.file_id));
            }
        }
        self.applied_hashes.entry(hash).or_insert(record);
        self.applied.push((hash, record));
        Ok(None)
    }

    /// Writes this file's `applied_records` rows in key order (hash, then line),
    /// [`APPLIED_BATCH`] to a statement, so the table is walked once instead of entered at a
    /// random page per record. [`Importer::finish`] runs it once, after the last record.
    fn flush_applied(&mut self) -> Result<()> {
        if self.applied.is_empty() {
            return Ok(());
        }
        let mut rows: Vec<(i64, usize)> = self
            .applied
            .iter()
            .map(|&(hash, record)| (hash, self.line_of(record)))
            .collect();
        rows.sort_unstable();
        BatchInsert {
            into: "applied_records (company, file, hash, line)",
            constants: &[&self.company.key, &self.file_id],
            columns: 2,
            batch: APPLIED_BATCH,
        }
        .run(
            self.tx,
            rows.into_iter(),
            |statement, at, &(hash, line)| {
                statement.raw_bind_parameter(at, hash)?;
                statement.raw_bind_parameter(at + 1, line)
            },
            |_| {},
        )?;
        self.applied.clear();
        self.applied_hashes.clear();
        Ok(())
    }

    /// The charge sent under a reference in this format.
    ///
    /// A 0602 answers charges in reference order, and a company's charges are kept in
    /// reference order: the charges from the reference asked for on are read
    /// [`CHARGES_AHEAD`] at a time into `self.ahead`, and the next references are found
    /// there (a query per reference cost 7.7 % of `import delivery`). A reference before the
    /// ones read ahead is looked up on its own.
    fn charge_by_reference(
        &mut self,
        format: &str,
        reference: &str,
    ) -> Result<Option<FoundCharge>> {
        if !self.ahead.covers(reference) {
            if self.ahead.passed(reference) {
                return Ok(held(&mut self.charge_query, self.tx, || {
                    "SELECT reference, amount, group_id, lines, format_id FROM charges \
                     WHERE company = ?1 AND reference = ?2"
                })?
                .query_row((self.company.key, reference), charge_and_format_from_row)
                .optional()?
                .and_then(|(found, of)| (of == format).then_some(found)));
            }
            let charges = held(&mut self.ahead_query, self.tx, || {
                format!(
                    "SELECT reference, amount, group_id, lines, format_id FROM charges \
                     WHERE company = ?1 AND reference >= ?2 ORDER BY reference LIMIT {CHARGES_AHEAD}"
                )
            })?
            .query_map((self.company.key, reference), charge_and_format_from_row)?
            .collect::<rusqlite::Result<_>>()?;
            self.ahead.read(reference, charges);
        }
        Ok(self.ahead.find(reference, format))
    }

    /// The charge of a customer on a date: the latest one of that amount; for LS (whose
    /// answers carry the amount that moved) also the only one with an amount.
    fn charge_by_customer(
        &mut self,
        format: &PaymentFormat,
        customer_key: &str,
        date: NaiveDate,
        amount: Amount,
    ) -> Result<Option<FoundCharge>> {
        // No ORDER BY: with one, SQLite walks the primary key (in reference order) instead of
        // looking the customer up in charges_by_date_format_and_customer. The few candidates are
        // sorted here.
        let mut candidates: Vec<FoundCharge> = held(&mut self.customer_query, self.tx, || {
            "SELECT reference, amount, group_id, lines FROM charges \
             INDEXED BY charges_by_date_format_and_customer \
             WHERE company = ?1 AND customer_key = ?2 AND payment_date = ?3 AND format_id = ?4"
        })?
        .query_map(
            (
                self.company.key,
                customer_key,
                date_text(date),
                format.id.as_str(),
            ),
            charge_from_row,
        )?
        .collect::<rusqlite::Result<_>>()?;
        // The latest charge first: references are running numbers of equal width.
        candidates.sort_by(|a, b| b.charge.reference.cmp(&a.charge.reference));
        let mut with_amount: Vec<FoundCharge> = Vec::new();
        for candidate in candidates {
            if candidate.charge.amount == amount {
                return Ok(Some(candidate));
            }
            if !candidate.charge.amount.is_zero() {
                with_amount.push(candidate);
            }
        }
        if format.scheme == Scheme::Ls && with_amount.len() == 1 {
            return Ok(with_amount.pop());
        }
        Ok(None)
    }

    /// The payment lines a charge was sent for that still carry its reference (an LS 0690
    /// note's lines), in id order.
    fn lines_of(&self, found: &FoundCharge) -> Result<Vec<AnsweredLine>> {
        let mut ids = Vec::new();
        read_line_list(&found.lines, &mut ids)?;
        let mut statement = self.tx.prepare_cached(
            "SELECT l.id, l.status FROM payment_lines l \
             JOIN entries e ON e.company = l.company AND e.entry_id = l.entry_id \
             WHERE l.company = ?1 AND l.id = ?2 AND l.reference = ?3",
        )?;
        let mut lines = Vec::with_capacity(ids.len());
        for id in ids {
            let line = statement
                .query_row(
                    (self.company.key, id, found.charge.reference.as_str()),
                    |row| {
                        Ok(AnsweredLine {
                            id: row.get(0)?,
                            status: get_status(row, 1)?,
                        })
                    },
                )
                .optional()?;
            lines.extend(line);
        }
        Ok(lines)
    }

    /// The mandate of a format with a customer number (by key): its id and debtor.
    fn mandate_of(&mut self, format: &str, customer_key: &str) -> Result<Option<(Id, Id)>> {
        let index = loaded_mandates(&mut self.mandates, self.tx, self.company.key)?;
        Ok(mandate_in(index, format, customer_key))
    }

    /// Changes a line's status (and its partial payment) and logs it.
    fn set_status(
        &mut self,
        line: i64,
        old: Status,
        new: Status,
        partial: Option<Amount>,
        cause: &std::rc::Rc<str>,
    ) -> Result<()> {
        self.write_status(line, old, new, partial, cause)?;
        self.changed.insert(line);
        self.report.changed += 1;
        Ok(())
    }

    /// Writes a line's status change (and its partial payment) and logs it.
    fn write_status(
        &mut self,
        line: i64,
        old: Status,
        new: Status,
        partial: Option<Amount>,
        cause: &std::rc::Rc<str>,
    ) -> Result<()> {
        let (update, bound) = match &mut self.status_update {
            Some(held) => held,
            None => {
                let mut update = self.tx.prepare(UPDATE_LINE_STATUS)?;
                update.raw_bind_parameter(1, self.company.key)?;
                self.status_update.insert((update, None))
            }
        };
        if *bound != Some((old, new)) {
            update.raw_bind_parameter(3, old.as_str())?;
            update.raw_bind_parameter(4, new.as_str())?;
            *bound = Some((old, new));
        }
        update.raw_bind_parameter(2, line)?;
        update.raw_bind_parameter(5, partial.map(Amount::ore))?;
        if update.raw_execute()? == 0 {
            return Err(Error::Corrupt(format!(
                "payment line {line} changed during the import transaction"
            )));
        }
        self.log.push(self.tx, line, Some(old), new, cause)?;
        Ok(())
    }

    /// The payment-information records of a BS or LS 0602, in four passes.
    ///
    /// A 0602 answers charges in reference order, but a charge's payment lines and their
    /// entries lie anywhere in their tables: reading and changing them answer by answer reads
    /// (and dirties) a random page of a table far larger than the page cache for nearly every
    /// line, which at a million lines was most of the import's time. So:
    ///
    /// 1. in file order, per answer: its format, I5, its charge (charges are kept in reference
    ///    order, like the file) and the ids of the lines it was sent for (the charge's `lines`,
    ///    ascending);
    /// 2. every line named is read once, with its entry, in line id order (a format's lines
    ///    are numbered in the order of their entries);
    /// 3. in file order, per answer: the status machine on the lines as read and as changed
    ///    by the answers before it in this file, the counts and the bank events, exactly as
    ///    when each answer was written to the database before the next was read; on a thread
    ///    of its own ([`Answering`]), while this connection writes the journal draft lines
    ///    of the events;
    /// 4. the status changes are written in line id order (a stable sort keeps each line's
    ///    changes in the order they were made), walking the table and its indexes once.
    ///
    /// With [`Importer::lines_from`], the mandates (for pass 3) are read on a second thread
    /// during passes 1 and 2 (a 0602 changes no mandate).
    fn payments(&mut self, delivery: &Delivery) -> Result<()> {
        let mut matched: Vec<Option<Matched>> = Vec::new();
        let mut line_ids: Vec<i64> = Vec::new();
        let mandates_from = match self.mandates {
            None => self.lines_from.clone(),
            Some(_) => None,
        };
        let key = self.company.key;
        std::thread::scope(|scope| {
            let mandates = mandates_from
                .as_deref()
                .map(|path| scope.spawn(move || read_alongside(path, |tx| read_mandates(tx, key))));
            let matching = payment_answers(delivery).try_for_each(|answer| {
                matched.push(self.match_answer(&answer, &mut line_ids)?);
                Ok(())
            });
            let loaded = matching.and_then(|()| self.load_lines(&line_ids));
            let read = mandates.map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            });
            loaded?;
            if let Some(read) = read {
                self.mandates = Some(read?);
            }
            Ok::<_, Error>(())
        })?;
        let positions = positions_in(&self.lines, &line_ids)?;
        drop(line_ids);
        let mandates = loaded_mandates(&mut self.mandates, self.tx, key)?;
        let answering = Answering {
            formats: &self.formats,
            mandates,
            cause: &self.cause,
            file_id: self.file_id,
            records: &self.records,
            lines: std::mem::take(&mut self.lines),
            changes: Changes::default(),
            counts: AnswerCounts::default(),
            events: Vec::new(),
            event_remaining: Vec::new(),
        };
        // Pass 3 on a thread of its own, this connection writing each batch of draft lines
        // it sends. A refused batch stops the writing; the pass then finds nobody to send
        // to and stops too, and the refusal is the error.
        let (send, receive) = std::sync::mpsc::sync_channel::<EventBatch>(1);
        let (changes, counts) = std::thread::scope(|scope| {
            let (matched, positions) = (&matched, &positions);
            let answered = scope.spawn(move || {
                answering.answer_all(delivery, matched, positions, &mut |batch| {
                    send.send(batch).map_err(|_| {
                        Error::Corrupt("the import stopped writing its journal drafts".into())
                    })
                })
            });
            let written = receive.iter().try_for_each(|batch| {
                self.report.attention += self.journal.write(batch)?;
                Ok::<_, Error>(())
            });
            drop(receive);
            let answered = answered
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            written?;
            answered
        })?;
        self.report.changed += counts.changed;
        self.report.refused += counts.refused;
        self.report.duplicates += counts.duplicates;
        self.report.unmatched += counts.unmatched;
        drop(matched);
        drop(positions);
        let Changes { mut list, causes } = changes;
        let causes: Vec<std::rc::Rc<str>> = causes.into_iter().map(Into::into).collect();
        list.sort_by_key(|change| change.line);
        self.log.reserve(list.len());
        for change in &list {
            let Some(cause) = usize::try_from(change.cause)
                .ok()
                .and_then(|at| causes.get(at))
            else {
                return Err(Error::Corrupt("status change cause out of range".into()));
            };
            self.write_status(change.line, change.old, change.new, change.partial, cause)?;
        }
        Ok(())
    }

    /// Pass 1 of [`Importer::payments`] for one answer: `None` when the answer is for another
    /// creditor (skipped); else its format, I5 and charge, with the charge's line ids
    /// appended to `line_ids`.
    fn match_answer(
        &mut self,
        answer: &PaymentAnswer,
        line_ids: &mut Vec<i64>,
    ) -> Result<Option<Matched>> {
        let Some(format) = self.format_index(&answer.creditor, answer.debtor_group.as_deref())
        else {
            self.report.skipped += 1;
            return Ok(None);
        };
        self.formats_used.insert(self.formats[format].id.clone());
        self.amount = self.amount.saturating_add(answer.paid.ore());
        let duplicate_of = self.applied_before(answer.record)?;
        let reference = answer.reference.trim();
        let mut matched_by = MatchedBy::Nothing;
        let mut found = None;
        if !reference.is_empty() {
            let format_id = self.formats[format].id.clone();
            found = self.charge_by_reference(&format_id, reference)?;
            if found.is_some() {
                matched_by = MatchedBy::Reference;
            }
        }
        if found.is_none() {
            let of_format = self.formats[format].clone();
            found = self.charge_by_customer(
                &of_format,
                &answer.customer_key(),
                answer.payment_date,
                answer.amount,
            )?;
            if found.is_some() {
                matched_by = MatchedBy::CustomerAndDate;
            }
        }
        let start = line_ids.len();
        if let Some(found) = &found {
            read_line_list(&found.lines, line_ids)?;
        }
        let charge = found.map(|found| found.charge);
        Ok(Some(Matched {
            format,
            duplicate_of,
            matched_by,
            charge,
            lines: start..line_ids.len(),
        }))
    }

    /// Pass 2 of [`Importer::payments`]: reads every line in `line_ids` (with its entry) once,
    /// in id order, into `self.lines`. A line without its entry is left out, as the join of
    /// [`Importer::lines_of`] leaves it out.
    ///
    /// With [`Importer::lines_from`], the upper half of the ids is read on a second thread,
    /// through a connection of its own, while this one reads the lower half: at a million
    /// entries this pass was a sixth of the import. Nothing this transaction wrote before
    /// this pass is in the payment lines or the entries (pass 1 only reads; the file's row
    /// is its only write), so both connections read the same lines.
    fn load_lines(&mut self, line_ids: &[i64]) -> Result<()> {
        let mut ids = line_ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let mut lines = match &self.lines_from {
            Some(path) if ids.len() >= LOAD_BATCH => {
                let (here, there) = ids.split_at(ids.len() / 2);
                let key = self.company.key;
                std::thread::scope(|scope| {
                    let other =
                        scope.spawn(move || read_alongside(path, |tx| read_lines(tx, key, there)));
                    let mine = read_lines(self.tx, key, here);
                    let theirs = other
                        .join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                    let mut lines = mine?;
                    lines.extend(theirs?);
                    Ok::<_, Error>(lines)
                })?
            }
            _ => read_lines(self.tx, self.company.key, &ids)?,
        };
        // In id order, whatever order SQLite read a statement's lines in.
        lines.sort_unstable_by_key(|line| line.id);
        self.lines = lines;
        Ok(())
    }

    /// The sent lines of the formats and payment dates of a 0690's receipts, in id order, for
    /// [`Importer::ls0690`]. A line is sent in a charge of its format and payment date, which
    /// lists it (export writes both together, and a sent line's date cannot be changed), so
    /// they are found through the charges of those formats and dates (the index
    /// `charges_by_date_format_and_customer`) and read by id. A scan of every payment line
    /// for those sent took 0.2 s at a million entries for a file of 39 receipts, and grew
    /// with the company's history.
    fn load_receipt_lines(&mut self, records: &[Ls0690Record]) -> Result<()> {
        let mut wanted: HashMap<String, Vec<(Id, Vec<i64>)>> = HashMap::new();
        for record in records {
            let Ls0690Record::Receipt(r) = record else {
                continue;
            };
            let Some(format) = self.format_for(&r.creditor_no, None) else {
                continue;
            };
            let of_date = wanted.entry(date_text(r.payment_date)).or_default();
            if !of_date.iter().any(|(f, _)| *f == format.id) {
                of_date.push((format.id.clone(), Vec::new()));
            }
        }
        let mut ids = Vec::new();
        let mut charges = self.tx.prepare(
            "SELECT lines FROM charges INDEXED BY charges_by_date_format_and_customer \
             WHERE company = ?1 AND payment_date = ?2 AND format_id = ?3",
        )?;
        for (date, formats) in &wanted {
            for (format, _) in formats {
                let mut rows = charges.query((self.company.key, date, format.as_str()))?;
                while let Some(row) = rows.next()? {
                    let lines: String = row.get(0)?;
                    read_line_list(&lines, &mut ids)?;
                }
            }
        }
        drop(charges);
        ids.sort_unstable();
        ids.dedup();
        query_in_batches(
            self.tx,
            self.company.key,
            &ids,
            LOAD_BATCH,
            sent_lines_sql,
            |row| {
                let (Ok(format), Ok(date)) = (row.get_ref(1)?.as_str(), row.get_ref(2)?.as_str())
                else {
                    return Ok(());
                };
                if let Some(of_date) = wanted.get_mut(date) {
                    if let Some((_, ids)) = of_date.iter_mut().find(|(f, _)| f.as_str() == format) {
                        ids.push(row.get(0)?);
                    }
                }
                Ok(())
            },
        )?;
        // In id order, whatever order SQLite read a statement's lines in.
        for (_, ids) in wanted.values_mut().flatten() {
            ids.sort_unstable();
        }
        self.receipt_lines = wanted;
        Ok(())
    }

    /// One LS 0690 record: receipt, remark, comment or change.
    fn ls0690(&mut self, record: &Ls0690Record, index: usize) -> Result<()> {
        let creditor = match record {
            Ls0690Record::Receipt(r) => &r.creditor_no,
            Ls0690Record::Remark(r) => &r.creditor_no,
            Ls0690Record::Comment(r) => &r.creditor_no,
            Ls0690Record::Change(r) => &r.creditor_no,
        };
        let Some(format) = self.format_for(creditor, None).cloned() else {
            self.report.skipped += 1;
            return Ok(());
        };
        self.formats_used.insert(format.id.clone());
        if self.applied_before(index)?.is_some() {
            self.report.duplicates += 1;
            return Ok(());
        }
        let line_no = self.line_of(index);
        match record {
            Ls0690Record::Receipt(r) => {
                // The lines sent in the format for the date, as read before the first record,
                // less those a record before this one changed: no import sets a line sent.
                let candidates = self
                    .receipt_lines
                    .get(&date_text(r.payment_date))
                    .and_then(|of_date| of_date.iter().find(|(f, _)| *f == format.id))
                    .map(|(_, ids)| ids.clone())
                    .unwrap_or_default();
                let cause = self.cause.clone();
                for line in candidates {
                    if self.changed.contains(&line) {
                        continue;
                    }
                    if let Some(new) = on_receipt(Status::Sent) {
                        self.set_status(line, Status::Sent, new, None, &cause)?;
                    }
                }
            }
            Ls0690Record::Remark(r) => {
                let detail = format!("remark {}, error {}", r.remark_code, r.error_no);
                let event = BankNote {
                    customer_no: &r.customer_no,
                    date: r.payment_date,
                    amount: r.amount,
                    detail,
                    remark: true,
                };
                self.bank_note(&format, &event, line_no)?;
            }
            Ls0690Record::Comment(c) => {
                let detail = format!("comment {}, error {}", c.comment_code, c.error_no);
                let event = BankNote {
                    customer_no: &c.customer_no,
                    date: c.payment_date,
                    amount: c.amount,
                    detail,
                    remark: false,
                };
                self.bank_note(&format, &event, line_no)?;
            }
            Ls0690Record::Change(c) => {
                self.report.attention += 1;
                log_file(
                    self.tx,
                    self.company,
                    self.file_id,
                    self.now,
                    &format!(
                        "line {line_no}: customer {} of creditor {} is now customer {} of creditor {}{}: change the mandate by hand",
                        c.current_customer_no,
                        c.current_creditor_no,
                        c.new_customer_no,
                        c.new_creditor_no,
                        c.change_date.map(|d| format!(" from {d}")).unwrap_or_default()
                    ),
                )?;
            }
        }
        Ok(())
    }

    /// An LS 0690 remark (the line gets status error and needs a person) or comment (status
    /// information) about the charge of a customer on a date.
    fn bank_note(
        &mut self,
        format: &PaymentFormat,
        note: &BankNote<'_>,
        line_no: usize,
    ) -> Result<()> {
        let cause: std::rc::Rc<str> = format!("{} ({})", self.cause, note.detail).into();
        let charge = match note.date {
            Some(date) => self.charge_by_customer(
                format,
                &customer_no_key(note.customer_no),
                date,
                note.amount,
            )?,
            None => None,
        };
        let lines = match &charge {
            Some(c) => self.lines_of(c)?,
            None => Vec::new(),
        };
        if lines.is_empty() {
            self.report.unmatched += 1;
            self.report.attention += 1;
            return log_file(
                self.tx,
                self.company,
                self.file_id,
                self.now,
                &format!(
                    "line {line_no}: {} for customer {} matches no payment line",
                    note.detail, note.customer_no
                ),
            );
        }
        if note.remark {
            self.report.attention += 1;
        }
        for line in lines {
            let new = if note.remark {
                on_bank_error(line.status)
            } else {
                on_bank_comment(line.status)
            };
            match new {
                Some(new) => self.set_status(line.id, line.status, new, None, &cause)?,
                None => self.report.refused += 1,
            }
        }
        Ok(())
    }

    /// A mandate change from a 0603 or LS type 30 record (domain.md §8).
    fn mandate(
        &mut self,
        format: &PaymentFormat,
        customer_no: &str,
        change: MandateChange,
        reason: &str,
        record: usize,
    ) -> Result<()> {
        self.formats_used.insert(format.id.clone());
        let key = customer_no_key(customer_no);
        let cause = format!("{}: {reason}", self.cause);
        let found = self.mandate_of(&format.id, &key)?;
        let Some((mandate_id, _)) = found else {
            let MandateChange::Enroll {
                start,
                end,
                agreement,
            } = change
            else {
                // A cancellation of a mandate the company does not know changes nothing.
                log_file(
                    self.tx,
                    self.company,
                    self.file_id,
                    self.now,
                    &format!(
                        "line {}: {reason} for customer {customer_no}: no such mandate in payment format {}",
                        self.line_of(record),
                        format.id
                    ),
                )?;
                return Ok(());
            };
            return self.create_mandate(
                format,
                customer_no,
                &key,
                start,
                end,
                agreement,
                &cause,
                record,
            );
        };
        let current = self
            .tx
            .prepare_cached(&format!(
                "SELECT {MANDATE_COLUMNS} FROM mandates WHERE company = ?1 AND mandate_id = ?2"
            ))?
            .query_row((self.company.key, mandate_id.as_str()), mandate_from_row)?;
        let mut updated = current.clone();
        match change {
            MandateChange::Enroll {
                start,
                end,
                agreement,
            } => {
                updated.status = MandateStatus::Enrolled;
                updated.start_date = start.or(current.start_date);
                updated.end_date = end;
                if let Some(agreement) = agreement.filter(|a| a.bytes().any(|b| b != b'0')) {
                    updated.agreement = Some(Id::from(agreement));
                }
            }
            MandateChange::Unsubscribe { end } => {
                updated.status = MandateStatus::Unsubscribed;
                updated.end_date = end.or(current.end_date);
            }
        }
        if updated == current {
            return Ok(());
        }
        self.tx
            .prepare_cached(
                "UPDATE mandates SET status = ?3, start_date = ?4, end_date = ?5, agreement = ?6 \
                 WHERE company = ?1 AND mandate_id = ?2",
            )?
            .execute(rusqlite::params![
                self.company.key,
                mandate_id.as_str(),
                updated.status.as_str(),
                updated.start_date.map(date_text),
                updated.end_date.map(date_text),
                updated.agreement.as_deref(),
            ])?;
        self.log_mandate(&mandate_id, Some(current.status), updated.status, &cause)?;
        if updated.status == MandateStatus::Enrolled && current.status != MandateStatus::Enrolled {
            self.set_debtor_format(&updated.debtor, &format.id)?;
        }
        Ok(())
    }

    /// Creates an enrolled mandate for a debtor whose account is the customer number, when the
    /// format uses debtor accounts as mandate ids; else the record needs a person.
    #[allow(clippy::too_many_arguments)]
    fn create_mandate(
        &mut self,
        format: &PaymentFormat,
        customer_no: &str,
        key: &str,
        start: Option<NaiveDate>,
        end: Option<NaiveDate>,
        agreement: Option<String>,
        cause: &str,
        record: usize,
    ) -> Result<()> {
        let account = if format.debtor_account_as_mandate {
            self.debtor_with_key(key)?
        } else {
            None
        };
        let Some(account) = account.filter(|a| a.chars().count() <= 15) else {
            self.report.attention += 1;
            log_file(
                self.tx,
                self.company,
                self.file_id,
                self.now,
                &format!(
                    "line {}: customer {customer_no} matches no mandate of payment format {}{}",
                    self.line_of(record),
                    format.id,
                    if format.debtor_account_as_mandate {
                        " and no debtor account"
                    } else {
                        ""
                    }
                ),
            )?;
            return Ok(());
        };
        let mandate_id = account.to_uppercase();
        self.tx
            .prepare_cached(
                "INSERT INTO mandates (company, mandate_id, debtor, payment_format, status, \
                 agreement, start_date, end_date) VALUES (?1, ?2, ?3, ?4, 'enrolled', ?5, ?6, ?7)",
            )?
            .execute(rusqlite::params![
                self.company.key,
                mandate_id,
                account,
                format.id.as_str(),
                agreement.filter(|a| a.bytes().any(|b| b != b'0')),
                start.map(date_text),
                end.map(date_text),
            ])?;
        self.log_mandate(&mandate_id, None, MandateStatus::Enrolled, cause)?;
        if let Some(index) = self.mandates.as_mut() {
            index.insert(
                (format.id.clone(), Id::from(key)),
                (Id::from(mandate_id.as_str()), Id::from(account.as_str())),
            );
        }
        self.set_debtor_format(&account, &format.id)
    }

    fn debtor_with_key(&mut self, key: &str) -> Result<Option<String>> {
        if self.debtors.is_none() {
            let mut index = HashMap::new();
            let mut statement = self
                .tx
                .prepare("SELECT account FROM debtors WHERE company = ?1")?;
            let mut rows = statement.query([self.company.key])?;
            while let Some(row) = rows.next()? {
                let account: String = row.get(0)?;
                index
                    .entry(customer_no_key(&account).into_owned())
                    .or_insert(account);
            }
            self.debtors = Some(index);
        }
        Ok(self.debtors.as_ref().and_then(|d| d.get(key)).cloned())
    }

    fn log_mandate(
        &mut self,
        mandate_id: &str,
        old: Option<MandateStatus>,
        new: MandateStatus,
        cause: &str,
    ) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO mandate_log (company, mandate_id, at, old, new, cause) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute((
                self.company.key,
                mandate_id,
                time_text(self.now),
                old.map(MandateStatus::as_str),
                new.as_str(),
                cause,
            ))?;
        self.report.mandates_changed += 1;
        Ok(())
    }

    /// When a mandate becomes active, the debtor pays through its format (domain.md §8).
    fn set_debtor_format(&mut self, debtor: &str, format: &str) -> Result<()> {
        self.tx
            .prepare_cached(
                "UPDATE debtors SET payment_format = ?3 WHERE company = ?1 AND account = ?2",
            )?
            .execute((self.company.key, debtor, format))?;
        Ok(())
    }

    /// Writes the file's status, amount, content and summary.
    fn finish(mut self) -> Result<ImportReport> {
        self.flush_applied()?;
        self.log.flush(self.tx)?;
        if self.journal.without_offset > 0 {
            tracing::warn!(
                company = self.company.id(),
                file = self.file_id,
                lines = self.journal.without_offset,
                "journal lines without an offset account: their payment format has no bank account, so they are not posted until a person gives each its bank account with `payrun journal set-offset-account LINE ACCOUNT`"
            );
        }
        let report = self.report;
        let status = if report.attention > 0 { "error" } else { "ok" };
        let format = if self.formats_used.len() == 1 {
            self.formats_used.iter().next().cloned()
        } else {
            None
        };
        self.tx.execute(
            "UPDATE delivery_files SET status = ?3, amount = ?4, payment_format = ?5, \
             content = ?6, content_encoding = ?7 WHERE company = ?1 AND id = ?2",
            rusqlite::params![
                self.company.key,
                self.file_id,
                status,
                self.amount,
                format.as_deref(),
                pack(self.content)?,
                PACKED,
            ],
        )?;
        log_file(
            self.tx,
            self.company,
            self.file_id,
            self.now,
            &format!(
                "imported: {} records, {} payment lines changed, {} mandates changed, {} unmatched, {} refused by the status machine, {} applied before, {} for other creditors; {} need attention",
                report.records,
                report.changed,
                report.mandates_changed,
                report.unmatched,
                report.refused,
                report.duplicates,
                report.skipped,
                report.attention
            ),
        )?;
        Ok(report)
    }
}

/// A batch of pass 3's bank events (see [`Answering`]) and their journal draft lines, for
/// the import's connection to write.
struct EventBatch {
    events: Vec<BankEvent>,
    draft: JournalDraft,
}

/// What pass 3 counted, for the import's report.
#[derive(Default)]
struct AnswerCounts {
    changed: usize,
    refused: usize,
    duplicates: usize,
    unmatched: usize,
}

/// Pass 3 of [`Importer::payments`]: in file order, the status machine on the lines read in
/// pass 2 (as changed by the answers before), the bank events and their journal draft lines,
/// in batches of [`EVENT_BATCH`] events. It reads nothing from the database: the lines,
/// their entries and the company's mandates were read before it. So the import runs it on a
/// thread of its own while its connection writes the draft lines of the batches it sends:
/// at a million entries each half took about 0.8 s.
struct Answering<'p> {
    formats: &'p [PaymentFormat],
    mandates: &'p MandateIndex,
    /// The status changes' cause.
    cause: &'p str,
    file_id: i64,
    /// The file's records' line numbers (see [`Importer::records`]).
    records: &'p [(usize, &'p [u8])],
    /// The payment lines the 0602 names, by id, as changed by the answers so far.
    lines: Vec<LineState>,
    changes: Changes,
    counts: AnswerCounts,
    events: Vec<BankEvent>,
    /// (line id, its entry's remaining amount) of the lines of `events`, for the journal seam.
    event_remaining: Vec<(i64, Amount)>,
}

impl Answering<'_> {
    /// Answers every matched answer of `delivery` (`matched` in the order of
    /// [`payment_answers`]), handing each batch of events to `send`; the lines go when it
    /// ends, before pass 4 adds the database's own memory to the peak.
    fn answer_all(
        mut self,
        delivery: &Delivery,
        matched: &[Option<Matched>],
        positions: &[u32],
        send: &mut dyn FnMut(EventBatch) -> Result<()>,
    ) -> Result<(Changes, AnswerCounts)> {
        for (answer, matched) in payment_answers(delivery).zip(matched) {
            if let Some(matched) = matched {
                if let Some(batch) = self.payment(&answer, matched, positions)? {
                    send(batch)?;
                }
            }
        }
        if !self.events.is_empty() {
            send(self.batch()?)?;
        }
        Ok((self.changes, self.counts))
    }

    /// One answer (matched in pass 1): the status machine on its lines, with the changes
    /// queued in `self.changes` and made in `self.lines`, and its bank event; the batch of
    /// events when this one fills it.
    fn payment(
        &mut self,
        answer: &PaymentAnswer,
        matched: &Matched,
        positions: &[u32],
    ) -> Result<Option<EventBatch>> {
        let Some(format) = self.formats.get(matched.format) else {
            return Err(Error::Corrupt("payment format index out of range".into()));
        };
        let (format_id, principle) = (format.id.clone(), format.principle);
        let duplicate_of = matched.duplicate_of;
        let customer_key = answer.customer_key();
        // The answer's lines (positions in self.lines) and what each would charge, as they
        // stand after the answers before this one.
        // Of the lines the charge was sent for, those that still carry its reference: a line
        // sent again since belongs to the newer charge.
        let reference = matched.charge.as_ref().map(|c| &c.reference);
        let lines: Vec<usize> = positions
            .get(matched.lines.clone())
            .unwrap_or(&[])
            .iter()
            .filter(|&&at| at != NOT_LOADED)
            .map(|&at| at as usize)
            .filter(|&at| self.lines[at].reference.as_ref() == reference)
            .collect();
        let amounts: Vec<Amount> = lines
            .iter()
            .map(|&at| {
                let line = &self.lines[at];
                amount_to_charge_of(
                    line.partial_payment,
                    line.entry_amount,
                    line.remaining,
                    principle,
                )
            })
            .collect();
        let mandate = mandate_in(self.mandates, &format_id, &customer_key);
        let charge = matched.charge.as_ref();
        let sent = charge.map(|c| c.amount);
        let outcome = answer.outcome(sent);
        let partials = if outcome == PaymentOutcome::Difference {
            allocate_paid(&amounts, answer.paid)
        } else {
            Vec::new()
        };
        let mut event_lines = Vec::with_capacity(lines.len());
        for (i, &at) in lines.iter().enumerate() {
            let status = self.lines[at].status;
            let mut after = match duplicate_of {
                Some(_) => None,
                None => on_payment_info(status, outcome),
            };
            // A charge-back proves the payment went through: when its completion was never
            // imported (a late file holds only the 0239), the line is received first, then
            // reversed, two allowed edges each logged.
            if after.is_none() && duplicate_of.is_none() && outcome == PaymentOutcome::ChargedBack {
                if let Some(received) = on_payment_info(status, PaymentOutcome::Completed) {
                    let cause = self.changes.cause(&format!(
                        "{} ({} implies the payment was completed)",
                        self.cause, answer.code
                    ))?;
                    self.change_status(at, received, None, cause);
                    after = on_payment_info(received, outcome);
                }
            }
            match after {
                Some(new) => {
                    let cause = self.changes.cause(self.cause)?;
                    self.change_status(at, new, partials.get(i).copied(), cause);
                }
                None if duplicate_of.is_none() => self.counts.refused += 1,
                None => {}
            }
            let line = &self.lines[at];
            self.event_remaining.push((line.id, line.remaining));
            event_lines.push(EventLine {
                line: line.id,
                entry_id: line.entry_id.clone(),
                invoice: line.invoice.clone(),
                debtor: line.debtor.clone(),
                amount: amounts.get(i).copied().unwrap_or(Amount::ZERO),
                status_before: status,
                status_after: after,
            });
        }
        match duplicate_of {
            Some(_) => self.counts.duplicates += 1,
            None if lines.is_empty() => self.counts.unmatched += 1,
            None => {}
        }
        let debtor = lines
            .first()
            .map(|&at| self.lines[at].debtor.clone())
            .or_else(|| mandate.as_ref().map(|(_, debtor)| debtor.clone()));
        let amount_charged = match answer.scheme {
            Scheme::Bs => answer.amount,
            Scheme::Ls => sent.unwrap_or(answer.amount),
        };
        self.events.push(BankEvent {
            file_id: self.file_id,
            record_line: line_of(self.records, answer.record),
            scheme: answer.scheme,
            code: answer.code,
            outcome,
            format_id,
            customer_no: answer.customer_no.clone(),
            mandate: mandate.map(|(id, _)| id),
            debtor,
            reference: answer.reference.clone(),
            payment_date: answer.payment_date,
            actual_date: answer.actual_date,
            booking_date: answer.booking_date,
            amount_charged,
            amount_paid: answer.paid,
            amount_sent: sent,
            matched_by: matched.matched_by,
            charge: charge.map(|c| c.reference.clone()),
            group: charge.and_then(|c| c.group.clone()),
            lines: event_lines,
            duplicate_of,
        });
        if self.events.len() >= EVENT_BATCH {
            return self.batch().map(Some);
        }
        Ok(None)
    }

    /// Changes the status (and partial payment) of the line at `at` in `self.lines` and
    /// queues the change for pass 4 of [`Importer::payments`].
    fn change_status(&mut self, at: usize, new: Status, partial: Option<Amount>, cause: u32) {
        let line = &mut self.lines[at];
        self.changes.list.push(LineChange {
            line: line.id,
            old: line.status,
            new,
            partial,
            cause,
        });
        line.status = new;
        // As the UPDATE does: coalesce(new partial payment, partial_payment).
        if partial.is_some() {
            line.partial_payment = partial;
        }
        self.counts.changed += 1;
    }

    /// The events so far and their journal draft lines (see [`journal_lines_for`]; domain.md
    /// §8), taken out.
    fn batch(&mut self) -> Result<EventBatch> {
        // An event's lines are among the lines read in pass 2, with their entries' remaining
        // amounts (the import does not change one): found by id among this batch's, a few
        // thousand (the binary search of all million lines missed the cache at nearly every
        // step: 4 % of the import's time at 1,000,000 entries).
        self.event_remaining.sort_unstable_by_key(|&(line, _)| line);
        let read = &self.event_remaining;
        let draft = journal_lines_for(&self.events, self.formats, &mut |line| match read
            .binary_search_by_key(&line.line, |&(id, _)| id)
        {
            Ok(at) => Ok(Some(read[at].1)),
            Err(_) => Err(Error::Corrupt(format!(
                "payment line {} of a bank event was not read",
                line.line
            ))),
        })?;
        self.event_remaining.clear();
        Ok(EventBatch {
            events: std::mem::take(&mut self.events),
            draft,
        })
    }
}

/// Writes the journal draft lines of pass 3's event batches in the import's transaction
/// (see [`Answering`]) and hands the events to the observer.
struct JournalWriter<'a> {
    drafts: ledger::DraftWriter<'a>,
    observe: &'a mut dyn FnMut(&[BankEvent]),
    /// Journal lines written without an offset account (the format has no bank account).
    without_offset: usize,
}

impl JournalWriter<'_> {
    /// Writes a batch's draft lines; how many need attention.
    fn write(&mut self, batch: EventBatch) -> Result<usize> {
        let EventBatch { events, draft } = batch;
        self.drafts.add(&draft.lines)?;
        self.without_offset += draft.without_offset;
        (self.observe)(&events);
        Ok(draft.attention)
    }
}

/// The line number of the record at `record` among a file's `records`.
fn line_of(records: &[(usize, &[u8])], record: usize) -> usize {
    records.get(record).map_or(0, |(line, _)| *line)
}

/// The payment records among a 0602 section's records.
fn payment_answers_in_section(section: &crate::delivery::Bs0602Section) -> usize {
    section
        .records
        .iter()
        .filter(|r| {
            matches!(
                r,
                crate::delivery::Bs0602Record::Payment(_)
                    | crate::delivery::Bs0602Record::SlipPayment(_)
            )
        })
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each id gets its line's position, whatever the order of the ids and however often one
    /// comes (a line sent again is listed by two charges); an id not loaded gets none.
    #[test]
    fn positions_in_finds_every_loaded_line() {
        let lines: Vec<LineState> = [3, 5, 8, 13]
            .into_iter()
            .map(|id| LineState {
                id,
                status: Status::Sent,
                partial_payment: None,
                entry_id: Id::from("E"),
                debtor: Id::from("D"),
                invoice: None,
                entry_amount: Amount::ZERO,
                remaining: Amount::ZERO,
                reference: None,
            })
            .collect();
        let positions = positions_in(&lines, &[13, 4, 3, 8, 13, 1, 99, 5]).unwrap();
        let n = NOT_LOADED;
        assert_eq!(positions, vec![3, n, 0, 2, 3, n, n, 1]);
        assert!(positions_in(&lines, &[]).unwrap().is_empty());
    }

    /// Charges of format BS with the references `numbers` (as `{:09}`), as a read ahead.
    fn charges(numbers: impl Iterator<Item = u32>) -> VecDeque<(FoundCharge, Id)> {
        numbers
            .map(|n| {
                let charge = ChargeRow {
                    reference: Id::from(format!("{n:09}")),
                    amount: Amount::from_ore(i64::from(n)),
                    group: None,
                };
                let lines = n.to_string();
                (FoundCharge { charge, lines }, Id::from("BS"))
            })
            .collect()
    }

    /// What was read ahead answers for the references from the first one read to the last
    /// one read (to any later one when the read reached the end of the table), in order and
    /// again for the same reference; an earlier reference, or one past a full read, must be
    /// read; a charge of another format is no answer.
    #[test]
    fn charges_read_ahead_answer_only_for_what_they_cover() {
        let mut ahead = ChargesAhead::default();
        assert!(!ahead.covers("000000001") && !ahead.passed("000000001"));
        // A full read from reference 10: charges 10, 12, …, 520 (every other number).
        ahead.read("000000010", charges((10..).step_by(2).take(CHARGES_AHEAD)));
        assert!(ahead.covers("000000010") && ahead.covers("000000520"));
        assert!(!ahead.covers("000000521") && !ahead.passed("000000521"));
        assert!(!ahead.covers("000000009") && ahead.passed("000000009"));
        let found = |ahead: &mut ChargesAhead, reference: &str, format: &str| {
            ahead
                .find(reference, format)
                .map(|f| (f.charge.reference.to_string(), f.lines))
        };
        assert_eq!(
            found(&mut ahead, "000000012", "BS"),
            Some(("000000012".into(), "12".into()))
        );
        assert_eq!(
            found(&mut ahead, "000000012", "BS"),
            Some(("000000012".into(), "12".into())),
            "the same reference twice in a file"
        );
        assert_eq!(found(&mut ahead, "000000013", "BS"), None, "no charge 13");
        assert_eq!(
            found(&mut ahead, "000000014", "BST"),
            None,
            "14 is a BS charge"
        );
        // The charges before the last reference asked for are gone: 12 must be read again.
        assert!(ahead.passed("000000012") && !ahead.covers("000000012"));
        assert!(ahead.covers("000000014"));
        assert_eq!(
            found(&mut ahead, "000000520", "BS"),
            Some(("000000520".into(), "520".into()))
        );
        // A read that reaches the end of the table covers every later reference.
        ahead.read("000000600", charges([600, 700].into_iter()));
        assert!(ahead.covers("000000600") && ahead.covers("999999999"));
        assert_eq!(found(&mut ahead, "000000650", "BS"), None);
        assert_eq!(
            found(&mut ahead, "000000700", "BS"),
            Some(("000000700".into(), "700".into()))
        );
        assert_eq!(found(&mut ahead, "000000800", "BS"), None);
        ahead.read("000000900", VecDeque::new());
        assert!(ahead.covers("000000900") && ahead.covers("000000901"));
        assert_eq!(found(&mut ahead, "000000901", "BS"), None);
    }
}
