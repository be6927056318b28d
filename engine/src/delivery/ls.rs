//! What the Leverandørservice deliveries share (formats.md §7).
//!
//! Two families:
//!
//! * return files with an `LS002` start and `LS992` end (0690 receipts/remarks, 0602 payment
//!   information), 128 characters, detail records with the transaction code at 14–17 and the
//!   creditor number at 9–13. The detail records' type at 3–5 is not documented (UC does not
//!   look at it): this module writes `042` and reads any three digits other than `002`/`992`;
//!   positions 6–8 are written as `000` and not read.
//! * material files with a `000` start record and a `999` end record (type 30 mandate
//!   additions/removals in, type 40 payments out), 80 characters, record type at 1–3.
//!
//! Dates are YYMMDD throughout (with the same century pivot as BS).

use chrono::NaiveDate;

use super::error::{quoted, ParseError, RenderError};
use super::reader::{DateLayout, Lines, Origin, Record};
use super::writer::{Line, Writer};

/// The fields of an LS002 delivery start record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LsStart {
    pub line: usize,
    pub data_supplier_cvr: String,
    pub delivery_type: String,
    pub test: bool,
    pub created: Option<NaiveDate>,
}

/// Reads the `TEST` marker (blank in production).
fn test_marker(record: &Record, at: usize) -> Result<bool, ParseError> {
    match record.bytes(at, at + 3) {
        b"TEST" => Ok(true),
        b"    " => Ok(false),
        other => Err(record.error(at, "test marker", quoted(other), "'TEST' or blanks")),
    }
}

pub(crate) fn parse_start(record: &Record) -> Result<LsStart, ParseError> {
    Ok(LsStart {
        line: record.line,
        data_supplier_cvr: record.digits(6, 13, "data supplier no.")?,
        delivery_type: record.digits(17, 20, "delivery type")?,
        test: test_marker(record, 46)?,
        created: record.date(50, DateLayout::Yymmdd, "creation date")?,
    })
}

/// Reads the detail records up to and including the LS992, handing each to `detail`, and
/// checks the LS992 against the start and the number of detail records.
pub(crate) fn read_details(
    lines: &mut Lines<'_>,
    start: &LsStart,
    mut detail: impl FnMut(&Record) -> Result<(), ParseError>,
) -> Result<(), ParseError> {
    let mut count: u64 = 0;
    loop {
        let record = lines.next_or_eof("delivery end", "an LS992 record")?;
        if record.bytes(1, 2) != b"LS" {
            return Err(record.error(
                1,
                "record type",
                quoted(record.bytes(1, 5)),
                "an LS record: a detail record or LS992",
            ));
        }
        match record.bytes(3, 5) {
            b"992" => {
                let origin = Origin {
                    what: "LS002 record",
                    line: start.line,
                };
                record.expect_same(6, 13, "data supplier no.", &start.data_supplier_cvr, origin)?;
                record.expect_same(17, 20, "delivery type", &start.delivery_type, origin)?;
                record.expect_count(
                    32,
                    42,
                    "number of records",
                    u128::from(count),
                    "the number of detail records in the delivery",
                )?;
                return lines.expect_end(&record, "LS992");
            }
            b"002" => {
                return Err(record.error(
                    1,
                    "delivery start",
                    format!(
                        "a second LS002 record (the first is on line {})",
                        start.line
                    ),
                    "one delivery per file",
                ))
            }
            kind if kind.iter().all(u8::is_ascii_digit) => {
                detail(&record)?;
                count += 1;
            }
            _ => {
                return Err(record.error(
                    1,
                    "record type",
                    quoted(record.bytes(1, 5)),
                    "an LS record: a detail record or LS992",
                ))
            }
        }
    }
}

pub(crate) fn write_start(
    w: &mut Writer,
    data_supplier_cvr: &str,
    delivery_type: &str,
    test: bool,
    created: Option<NaiveDate>,
) -> Result<(), RenderError> {
    let mut line = w.line("LS002");
    line.fixed(1, "LS002");
    line.digits(6, 13, "data supplier no.", data_supplier_cvr)?;
    line.fixed(17, delivery_type);
    if test {
        line.fixed(46, "TEST");
    }
    line.date(50, DateLayout::Yymmdd, "creation date", created)?;
    w.push(line);
    Ok(())
}

/// Starts a detail record: `LS042`, `000`, creditor number, transaction code.
pub(crate) fn detail_line(
    w: &Writer,
    record: &'static str,
    creditor_no: &str,
    code: &str,
) -> Result<Line, RenderError> {
    let mut line = w.line(record);
    line.fixed(1, "LS042000");
    line.digits(9, 13, "creditor no.", creditor_no)?;
    line.fixed(14, code);
    Ok(line)
}

pub(crate) fn write_end(
    w: &mut Writer,
    data_supplier_cvr: &str,
    delivery_type: &str,
    count: u64,
) -> Result<(), RenderError> {
    let mut line = w.line("LS992");
    line.fixed(1, "LS992");
    line.digits(6, 13, "data supplier no.", data_supplier_cvr)?;
    line.fixed(17, delivery_type);
    line.number(32, 42, "number of records", u128::from(count))?;
    w.push(line);
    Ok(())
}

/// The fields of a material file's `000` record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MaterialStart {
    pub line: usize,
    pub material_type: String,
    pub created: NaiveDate,
    pub test: bool,
    pub data_supplier_cvr: String,
    /// Position 71: a check character of the CVR in type 30 files (UC); blank in what this
    /// module writes for type 40.
    pub cvr_check: String,
}

/// Reads a `000` record. Positions 4–36, 45, 50–62 and 72–80 are fillers whose content the
/// sources disagree on (UC: a data supplier id at 31–36; SD: `DAN` at 51–53); they are not
/// read.
pub(crate) fn parse_material_start(record: &Record) -> Result<MaterialStart, ParseError> {
    Ok(MaterialStart {
        line: record.line,
        material_type: record.text(37, 38),
        created: record.required_date(39, DateLayout::Yymmdd, "creation date")?,
        test: test_marker(record, 46)?,
        data_supplier_cvr: record.digits(63, 70, "data supplier CVR")?,
        cvr_check: record.text(71, 71),
    })
}

/// Writes a `000` record: zeros at 4–23, blanks at 24–36, 45, 50–62 and 72–80 (UC's choice;
/// SD's `DAN` at 51–53 is unexplained by any source and left out).
pub(crate) fn write_material_start(
    w: &mut Writer,
    start: &MaterialStart,
) -> Result<(), RenderError> {
    let mut line = w.line("000");
    line.fixed(1, "000");
    line.number(4, 23, "filler", 0)?;
    line.fixed(37, &start.material_type);
    line.date(39, DateLayout::Yymmdd, "creation date", Some(start.created))?;
    if start.test {
        line.fixed(46, "TEST");
    }
    line.digits(63, 70, "data supplier CVR", &start.data_supplier_cvr)?;
    line.text(71, 71, "CVR check character", &start.cvr_check)?;
    w.push(line);
    Ok(())
}

/// The line number of the `999` record or end of file, for the "missing 999" error.
pub(crate) fn missing_end(lines: &Lines<'_>) -> ParseError {
    ParseError::new(
        lines.eof_line(),
        1,
        "delivery end",
        "end of file",
        "a 999 record",
    )
}
