//! `payrun simulate-bank`: the answers Mastercard would send to an exported file, written to a
//! directory (`domain.md` §10). The simulation itself is [`crate::delivery::simulate_bs0602`] /
//! [`crate::delivery::simulate_ls`]; this is its file edge. Needs no database.
//!
//! The input is an exported BS 0601 (zipped, as the export writes it, or not) or LS material
//! type 40 file. The answers are dated the latest payment date of the file (the bank answers on
//! the payment date), so the same file, seed and rates always give the same answers, whatever
//! the clock. A BS 0602 answer carries the delivery id of the 0601 it answers.
//!
//! Names follow Mastercard's legacy data files, `D` + YYMMDD + a 2-digit counter (formats.md
//! §1), and then say what they are: `D<yymmdd>01_BS0602_<delivery id>`, and for LS
//! `D<yymmdd>01_LS0690_<id>` and `D<yymmdd>02_LS0602_<id>`, the receipt first, so that
//! importing a directory in name order imports the answers in the order the bank sends them.
//! An LS id is taken from the content of the file answered (LS files carry no delivery id).

use super::files::{is_zip, read_limited, read_single_entry, write_atomically};
use super::{fnv1a64, ExchangeError};
use crate::delivery::{
    parse_delivery, render_bs0602, render_ls0602, render_ls0690, simulate_bs0602, simulate_ls,
    to_latin1, Delivery, SimulationOptions,
};
use crate::error::Result;
use chrono::NaiveDate;
use std::path::{Path, PathBuf};

/// Seed and rates (parts per million, see [`crate::delivery::parse_rate`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BankRates {
    pub seed: u64,
    pub reject_ppm: u32,
    pub cancel_ppm: u32,
    pub chargeback_ppm: u32,
    pub difference_ppm: u32,
}

impl Default for BankRates {
    /// Seed 1, every payment completed.
    fn default() -> BankRates {
        BankRates {
            seed: 1,
            reject_ppm: 0,
            cancel_ppm: 0,
            chargeback_ppm: 0,
            difference_ppm: 0,
        }
    }
}

/// One answer file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SimulatedFile {
    pub file_name: String,
    /// Where it was written (set by [`simulate_bank`]).
    pub path: Option<PathBuf>,
    /// `0602` or `0690`.
    pub delivery_type: &'static str,
    /// `bs` or `ls`.
    pub scheme: &'static str,
    /// Detail records in the answer.
    pub records: usize,
    /// The delivery text (ISO 8859-1 characters).
    #[serde(skip)]
    pub text: String,
}

/// The answers to an exported file's bytes (see the module documentation). Pure.
pub fn simulate_answers(
    file_name: &str,
    bytes: &[u8],
    rates: &BankRates,
) -> Result<Vec<SimulatedFile>> {
    // A plain file is parsed where it lies: a million-charge 0601 is over 100 MB.
    let (name, text) = if is_zip(bytes) {
        let (entry, data) = read_single_entry(file_name, bytes)?;
        (
            format!("{file_name}:{entry}"),
            std::borrow::Cow::Owned(data),
        )
    } else {
        (file_name.to_string(), std::borrow::Cow::Borrowed(bytes))
    };
    let delivery = parse_delivery(&name, &text).map_err(ExchangeError::Parse)?;
    let options = |created: NaiveDate, delivery_id: u64| SimulationOptions {
        seed: rates.seed,
        reject_ppm: rates.reject_ppm,
        cancel_ppm: rates.cancel_ppm,
        chargeback_ppm: rates.chargeback_ppm,
        difference_ppm: rates.difference_ppm,
        delivery_id,
        created,
    };
    let render_error = |error| {
        crate::Error::from(ExchangeError::Render {
            format: "simulate-bank".to_string(),
            error,
        })
    };
    match &delivery {
        Delivery::Bs0601(sent) => {
            let created = sent
                .sections
                .iter()
                .flat_map(|s| s.payments.iter().map(|p| p.payment_date))
                .max()
                .or(sent.created)
                .unwrap_or(NaiveDate::MIN);
            let answer = simulate_bs0602(sent, &options(created, sent.delivery_id));
            let records = answer.sections.iter().map(|s| s.records.len()).sum();
            Ok(vec![SimulatedFile {
                file_name: format!(
                    "D{}01_BS0602_{:010}",
                    created.format("%y%m%d"),
                    sent.delivery_id
                ),
                path: None,
                delivery_type: "0602",
                scheme: "bs",
                records,
                text: render_bs0602(&answer).map_err(render_error)?,
            }])
        }
        Delivery::Ls40(sent) => {
            let created = sent
                .groups
                .iter()
                .filter_map(|g| g.payment_date)
                .max()
                .unwrap_or(sent.created);
            let id = fnv1a64(&text) % 10_000_000_000;
            let (receipts, information) = simulate_ls(sent, &options(created, id));
            let day = created.format("%y%m%d");
            Ok(vec![
                SimulatedFile {
                    file_name: format!("D{day}01_LS0690_{id:010}"),
                    path: None,
                    delivery_type: "0690",
                    scheme: "ls",
                    records: receipts.records.len(),
                    text: render_ls0690(&receipts).map_err(render_error)?,
                },
                SimulatedFile {
                    file_name: format!("D{day}02_LS0602_{id:010}"),
                    path: None,
                    delivery_type: "0602",
                    scheme: "ls",
                    records: information.records.len(),
                    text: render_ls0602(&information).map_err(render_error)?,
                },
            ])
        }
        other => Err(ExchangeError::NotAnExport {
            file: file_name.to_string(),
            kind: other.type_name(),
        }
        .into()),
    }
}

/// `payrun simulate-bank FILE --out DIR`: reads the exported file, writes the answers into
/// `out_dir` and says what it wrote.
pub fn simulate_bank(file: &Path, out_dir: &Path, rates: &BankRates) -> Result<Vec<SimulatedFile>> {
    simulate_bank_with_progress(file, out_dir, rates, &mut crate::progress::none())
}

/// [`simulate_bank`], reporting the answer files written so far (the simulation itself is a
/// small part of the time; writing and reading the files are the rest).
pub fn simulate_bank_with_progress(
    file: &Path,
    out_dir: &Path,
    rates: &BankRates,
    progress: crate::progress::Progress<'_>,
) -> Result<Vec<SimulatedFile>> {
    if !out_dir.is_dir() {
        return Err(ExchangeError::NotADirectory(out_dir.to_path_buf()).into());
    }
    let bytes = read_limited(file)?;
    let mut answers = simulate_answers(&file.display().to_string(), &bytes, rates)?;
    let total = answers.len() as u64;
    progress(0, total);
    for (done, answer) in (1..).zip(&mut answers) {
        let path = write_atomically(out_dir, &answer.file_name, &to_latin1(&answer.text))?;
        answer.path = Some(path);
        progress(done, total);
    }
    Ok(answers)
}
