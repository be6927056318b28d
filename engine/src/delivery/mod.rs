//! Bank delivery files: pure codecs for the fixed-width files exchanged with Mastercard
//! Payment Services (Betalingsservice = BS, Leverandørservice = LS), a ZIP writer for the
//! zipped BS upload, and the bank simulator's core. No files, no database, no clock: bytes and
//! values in, values and text out (`formats.md` has every layout and its sources).
//!
//! # Main types and functions
//!
//! * [`parse_delivery`] reads any supported file into a [`Delivery`], detected from its first
//!   record (formats.md §8.2): `BS002` + delivery type 0601/0602/0603, `LS002` + 0690/0602 (BS
//!   0602 and LS 0602 told apart by the prefix), or an LS material file's `000` record with
//!   material type 30/40. The whole file is read and every control record checked before a
//!   value is returned; any problem is one [`ParseError`] naming file, line, column, field,
//!   what was found and what was expected.
//! * Per delivery type a struct and a writer: [`Bs0601Delivery`]/[`render_bs0601`],
//!   [`Bs0602Delivery`]/[`render_bs0602`], [`Bs0603Delivery`]/[`render_bs0603`],
//!   [`Ls40Delivery`]/[`render_ls40`], [`Ls0690Delivery`]/[`render_ls0690`],
//!   [`Ls0602Delivery`]/[`render_ls0602`], [`Ls30Delivery`]/[`render_ls30`]. Writers compute
//!   every count and total, strip trailing blanks and end every record with CR LF; they return
//!   a `String` of ISO 8859-1 characters (see [`to_latin1`]) or a [`RenderError`] when a value
//!   does not fit its field (never a silently cut amount or customer number).
//! * [`Delivery::key`] and [`normalized_content`] for idempotent import (domain.md §7).
//! * [`decode_latin1`], [`to_latin1`], [`substitute`]: the ISO 8859-1 edge.
//! * [`zip_single_file`] and [`crc32`]: the single-entry STORED ZIP archive.
//! * [`simulate_bs0602`], [`simulate_ls`], [`SimulationOptions`], [`parse_rate`]: the bank
//!   simulator.
//!
//! # Decisions on the open questions of formats.md §9 (and other conflicts)
//!
//! * **0601 section start 55–68** (2010: reg./account digits; 2025 per NV: blanks): the writer
//!   writes digits when given and blanks when the field is empty; the reader accepts both.
//! * **Sign-code-2 deposits in the 0601 BS092 net amount**: collections minus deposits,
//!   absolute value ([`bs0601_net_amount`]).
//! * **0239 dates**: read as the charge-back dates; match a 0239 by customer, agreement,
//!   payment date and reference ([`Bs0602Payment`]).
//! * **0605/0621, PBSXML000, `AB_PBSXML` names**: not supported (formats.md §10).
//! * **LS 0602/0690 tables** (UC only): codes and error numbers kept as text; the detail
//!   record type at 3–5 is written `042` and read as any three digits (the `ls` module).
//! * **LS type 40 fillers**: see the `ls40` module: right-aligned zero customer numbers (SD),
//!   UC's blanks/zeros elsewhere, one `999` per file counting every detail record.
//! * **Two-digit years**: 00–69 → 2000–2069, 70–99 → 1970–1999.
//! * **Delivery key of LS files**, which carry no delivery number: the delivery id is
//!   `content-` + FNV-1a-64 of the normalized re-rendered content, so re-reading the same
//!   file is recognised and two different files of the same day are not confused.
//! * **Supported 0601 sections**: 0112 and 0117 (read and written); 0113/0118 refused.
//! * **Unknown 0603 sections**: skipped with a [`ParseWarning`], still count-checked.
//! * **UTF-8 input**: the two-byte UTF-8 spellings of `Æ`, `ø`, `å` etc. are refused as
//!   "UTF-8 encoded text" instead of being read as `Ã¸`; TAB is refused inside a record
//!   because it breaks the columns (see the `reader` module).
//! * **Customer numbers** are returned as found (trailing blanks removed): BS returns them
//!   right-aligned with zeros, so compare sent and returned ones with [`customer_no_key`]
//!   (upper case, leading zeros stripped, formats.md §8.8).
//! * **Sign codes** in LS 0602 records are read like BS ones (0 none, 1 to the creditor,
//!   2 to the debtor = negative); sign code 2 is accepted on 0602 slip records too, although
//!   the guide only lists 0 and 1, so that a deposit is never misread.
//!
//! # Speed
//!
//! Parsing a generated 1,000,000-record 0602 (130 MB) runs at about 420 MB/s on the project's
//! 2-core machine (target ≥ 300, performance.md):
//! `cargo test -p engine --release -- --ignored --nocapture parse_speed`.
//!
//! # Limits (reliability.md "Limits")
//!
//! [`MAX_FILE_BYTES`] (512 MiB), [`MAX_RECORDS`] (10,000,000 records per delivery), record
//! width [`BS_WIDTH`] (128) / [`LS_MATERIAL_WIDTH`] (80) plus an optional CR. Past any of them
//! the parse stops with an error; memory use is bounded by the input plus the parsed values.
//!
//! # Example
//!
//! ```
//! use engine::delivery::{parse_delivery, render_bs0603, Delivery};
//!
//! let text = "BS00299887766BS106030000004712                   021226\r\n\
//!             BS012099900010212   00001                        021226\r\n\
//!             BS04209990001023100000001000000000010010000100010011226000000\r\n\
//!             BS09209990001021200000001      0000000000100000000000000000000000000               00000000000\r\n\
//!             BS99299887766BS10603000000000010000000000100000000000000000000000000000000000000000000000000000000000000000000000000000000000000\r\n";
//! let Delivery::Bs0603(delivery) = parse_delivery("D0603.txt", text.as_bytes()).unwrap() else {
//!     panic!("not a 0603");
//! };
//! assert_eq!(delivery.sections[0].agreements[0].customer_no, "000000000010010");
//! assert_eq!(render_bs0603(&delivery).unwrap(), text);
//!
//! // Without its BS992 record the file is refused, with the place and the reason.
//! let truncated = &text[..text.find("BS992").unwrap()];
//! let error = parse_delivery("D0603.txt", truncated.as_bytes()).unwrap_err();
//! assert_eq!(
//!     error.to_string(),
//!     "D0603.txt:5:1: delivery end: found end of file, expected a BS992 record"
//! );
//! ```

mod bs;
mod bs0601;
mod bs0602;
mod bs0603;
mod error;
mod latin1;
mod ls;
mod ls0602;
mod ls0690;
mod ls30;
mod ls40;
mod mask;
mod reader;
mod simulate;
mod writer;
mod zip;

#[cfg(test)]
mod tests;

use chrono::NaiveDate;

pub use bs0601::{
    bs0601_net_amount, render_bs0601, Bs0601Delivery, Bs0601Payment, Bs0601Section,
    Bs0601SectionCode, Bs0601Writer,
};
pub use bs0602::{
    render_bs0602, Bs0602Delivery, Bs0602Payment, Bs0602PaymentCode, Bs0602Record, Bs0602Section,
    Bs0602SectionCode, Bs0602SlipCode, Bs0602SlipLine, Bs0602SlipPayment,
};
pub use bs0603::{
    render_bs0603, Bs0603Agreement, Bs0603Code, Bs0603Delivery, Bs0603Section, Bs0603SectionCode,
};
pub use error::{ParseError, ParseWarning, RenderError};
pub use latin1::{decode_latin1, substitute, to_latin1};
pub use ls0602::{
    render_ls0602, Ls0602Delivery, Ls0602Payment, Ls0602PaymentCode, Ls0602Record, Ls0602Task,
};
pub use ls0690::{
    render_ls0690, Ls0690Change, Ls0690Comment, Ls0690Delivery, Ls0690Receipt, Ls0690Record,
    Ls0690Remark,
};
pub use ls30::{render_ls30, Ls30Delivery, Ls30Mandate, Ls30MandateKind};
pub use ls40::{
    render_ls40, Ls40Delivery, Ls40Group, Ls40NewMandate, Ls40Payment, Ls40PaymentKind, Ls40Record,
    Ls40Writer,
};
pub use mask::mask_cpr;
pub use simulate::{
    customer_no_key, parse_rate, returned_customer_no, simulate_bs0602, simulate_ls, RateError,
    SimulationOptions, SplitMix64,
};
pub use zip::{crc32, zip_parts, zip_single_file, Crc32, ZipError};

use reader::{Lines, Record};

/// Largest delivery file accepted (512 MiB).
pub const MAX_FILE_BYTES: usize = 512 * 1024 * 1024;
/// Most records accepted in one delivery.
pub const MAX_RECORDS: usize = 10_000_000;
/// Record width of BS files and of LS files with an LS002 start.
pub const BS_WIDTH: usize = 128;
/// Record width of LS material files (types 30 and 40).
pub const LS_MATERIAL_WIDTH: usize = 80;

/// A parsed delivery of any supported type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Bs0601(Bs0601Delivery),
    Bs0602(Bs0602Delivery),
    Bs0603(Bs0603Delivery),
    Ls40(Ls40Delivery),
    Ls0690(Ls0690Delivery),
    Ls0602(Ls0602Delivery),
    Ls30(Ls30Delivery),
}

/// What identifies a delivery (domain.md §7): data supplier number, system code, delivery
/// type, delivery id and creation date from its start record. LS files have no delivery id
/// and no system code: their system code is `LS` and their delivery id is derived from the
/// content (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeliveryKey {
    pub data_supplier: String,
    pub system_code: String,
    pub delivery_type: String,
    pub delivery_id: String,
    pub created: Option<NaiveDate>,
}

impl Delivery {
    /// The delivery's identity for idempotent import.
    pub fn key(&self) -> DeliveryKey {
        let bs = |cvr: &str, system: &str, kind: &str, id: u64, created| DeliveryKey {
            data_supplier: cvr.to_string(),
            system_code: system.to_string(),
            delivery_type: kind.to_string(),
            delivery_id: format!("{id:010}"),
            created,
        };
        let ls = |cvr: &str, kind: &str, created| DeliveryKey {
            data_supplier: cvr.to_string(),
            system_code: "LS".to_string(),
            delivery_type: kind.to_string(),
            delivery_id: self.content_id(),
            created,
        };
        match self {
            Delivery::Bs0601(d) => bs(
                &d.data_supplier_cvr,
                &d.system_code,
                "0601",
                d.delivery_id,
                d.created,
            ),
            Delivery::Bs0602(d) => bs(
                &d.data_supplier_cvr,
                &d.system_code,
                "0602",
                d.delivery_id,
                d.created,
            ),
            Delivery::Bs0603(d) => bs(
                &d.data_supplier_cvr,
                &d.system_code,
                "0603",
                d.delivery_id,
                d.created,
            ),
            Delivery::Ls0690(d) => ls(&d.data_supplier_cvr, "0690", d.created),
            Delivery::Ls0602(d) => ls(&d.data_supplier_cvr, "0602", d.created),
            Delivery::Ls40(d) => ls(&d.data_supplier_cvr, "40", Some(d.created)),
            Delivery::Ls30(d) => ls(&d.data_supplier_cvr, "30", Some(d.created)),
        }
    }

    /// Writes the delivery back in its own format.
    pub fn render(&self) -> Result<String, RenderError> {
        match self {
            Delivery::Bs0601(d) => render_bs0601(d),
            Delivery::Bs0602(d) => render_bs0602(d),
            Delivery::Bs0603(d) => render_bs0603(d),
            Delivery::Ls40(d) => render_ls40(d),
            Delivery::Ls0690(d) => render_ls0690(d),
            Delivery::Ls0602(d) => render_ls0602(d),
            Delivery::Ls30(d) => render_ls30(d),
        }
    }

    /// A short name of the delivery type for messages: `BS 0602`, `LS 0690`, `LS type 40`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Delivery::Bs0601(_) => "BS 0601",
            Delivery::Bs0602(_) => "BS 0602",
            Delivery::Bs0603(_) => "BS 0603",
            Delivery::Ls40(_) => "LS type 40",
            Delivery::Ls0690(_) => "LS 0690",
            Delivery::Ls0602(_) => "LS 0602",
            Delivery::Ls30(_) => "LS type 30",
        }
    }

    /// `content-` + FNV-1a-64 (hex) of the normalized rendered delivery. Rendering a parsed
    /// delivery cannot fail in practice (every value came out of a field of the right width);
    /// should it, the `Debug` text is hashed instead so the key is still deterministic.
    fn content_id(&self) -> String {
        let text = match self.render() {
            Ok(text) => normalized_content(&text),
            Err(_) => format!("{self:?}"),
        };
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in text.bytes() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
        format!("content-{hash:016x}")
    }
}

/// The content of a delivery text as compared for idempotency (domain.md §7): LF line ends,
/// trailing blanks stripped from every record, blank lines and `PBCNET` envelope lines
/// dropped, one LF after every record. The same delivery written with CR LF or LF, padded or
/// trimmed, normalises to the same text.
pub fn normalized_content(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in normalized_lines(text) {
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// The records [`normalized_content`] keeps, each without its line end and trailing blanks:
/// for a caller that hashes them without building that text.
pub fn normalized_lines(text: &str) -> impl Iterator<Item = &str> {
    text.split('\n')
        .map(|line| {
            line.strip_suffix('\r')
                .unwrap_or(line)
                .trim_end_matches(' ')
        })
        .filter(|line| !line.is_empty() && !line.starts_with("PBCNET"))
}

/// Reads a delivery file of any supported type (see the module documentation). `file_name`
/// only labels errors.
pub fn parse_delivery(file_name: &str, bytes: &[u8]) -> Result<Delivery, ParseError> {
    parse_bytes(bytes).map_err(|error| error.in_file(file_name))
}

fn parse_bytes(bytes: &[u8]) -> Result<Delivery, ParseError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(ParseError::new(
            1,
            1,
            "file size",
            format!("{} bytes", bytes.len()),
            format!("at most {MAX_FILE_BYTES} bytes"),
        ));
    }
    let mut lines = Lines::new(bytes, BS_WIDTH);
    let first = match lines.next() {
        Some(record) => record?,
        None => {
            return Err(ParseError::new(
                1,
                1,
                "delivery start",
                "an empty file",
                "a BS002, LS002 or LS 000 record",
            ))
        }
    };
    match first.bytes(1, 5) {
        b"BS002" => {
            let start = bs::parse_start(&first)?;
            match start.delivery_type.as_str() {
                "0601" => Ok(Delivery::Bs0601(bs0601::parse(&mut lines, start)?)),
                "0602" => Ok(Delivery::Bs0602(bs0602::parse(&mut lines, start)?)),
                "0603" => Ok(Delivery::Bs0603(bs0603::parse(&mut lines, start)?)),
                _ => Err(unsupported_type(&first, "0601, 0602 or 0603")),
            }
        }
        b"LS002" => {
            let start = ls::parse_start(&first)?;
            match start.delivery_type.as_str() {
                "0690" => Ok(Delivery::Ls0690(ls0690::parse(&mut lines, start)?)),
                "0602" => Ok(Delivery::Ls0602(ls0602::parse(&mut lines, start)?)),
                _ => Err(unsupported_type(&first, "0690 or 0602")),
            }
        }
        _ if first.bytes(1, 3) == b"000" => {
            lines.set_width(LS_MATERIAL_WIDTH);
            if first.len > LS_MATERIAL_WIDTH {
                return Err(first.error(
                    LS_MATERIAL_WIDTH + 1,
                    "record length",
                    format!("{} characters", first.len),
                    format!("at most {LS_MATERIAL_WIDTH}"),
                ));
            }
            let start = ls::parse_material_start(&first)?;
            match start.material_type.as_str() {
                "30" => Ok(Delivery::Ls30(ls30::parse(&mut lines, start)?)),
                "40" => Ok(Delivery::Ls40(ls40::parse(&mut lines, start)?)),
                _ => Err(first.error(
                    37,
                    "material type",
                    error::quoted(first.bytes(37, 38)),
                    "30 or 40",
                )),
            }
        }
        other => Err(first.error(
            1,
            "delivery start",
            error::quoted(other),
            "a BS002, LS002 or LS 000 record",
        )),
    }
}

fn unsupported_type(first: &Record, supported: &str) -> ParseError {
    first.error(
        17,
        "delivery type",
        error::quoted(first.bytes(17, 20)),
        supported,
    )
}
