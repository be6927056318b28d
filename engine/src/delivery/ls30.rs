//! LS material type 30: mandate additions and removals from Leverandørservice ("til- og
//! afgangsoplysninger", formats.md §7.3).
//!
//! 80-character records, record type at 1–3: `000` start (material type `30`), `001` creditor,
//! then `500` (active mandate, total list), `510` (mandate added), `540` (mandate removed) with
//! creditor 4–8, customer no. 9–23 and date 24–29, and a `999` end whose "number of debtors"
//! (31–37) is checked against the number of 500/510/540 records. One creditor (one `001`) per
//! file: how several creditors would be laid out is not documented.

use chrono::NaiveDate;

use super::error::{quoted, ParseError, RenderError};
use super::ls::{self, MaterialStart};
use super::reader::{DateLayout, Lines, Origin};
use super::writer::Writer;
use super::LS_MATERIAL_WIDTH;

/// An LS material type 30 delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ls30Delivery {
    pub data_supplier_cvr: String,
    /// Position 71 of the `000` record, a check character of the CVR (may be empty).
    pub cvr_check: String,
    pub created: NaiveDate,
    pub test: bool,
    /// LS creditor number, 5 digits (`001` 4–8).
    pub creditor_no: String,
    /// Data supplier number as UC reads it (`001` 24–36, 13 characters).
    pub data_supplier_no: String,
    pub mandates: Vec<Ls30Mandate>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ls30MandateKind {
    /// `500`: active mandate (debtor total list).
    Active,
    /// `510`: mandate added.
    Added,
    /// `540`: mandate removed.
    Removed,
}

impl Ls30MandateKind {
    pub fn code(self) -> &'static str {
        match self {
            Ls30MandateKind::Active => "500",
            Ls30MandateKind::Added => "510",
            Ls30MandateKind::Removed => "540",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ls30Mandate {
    pub kind: Ls30MandateKind,
    /// As found (right-aligned with leading zeros in files from the bank).
    pub customer_no: String,
    pub date: Option<NaiveDate>,
}

pub(crate) fn parse(
    lines: &mut Lines<'_>,
    start: MaterialStart,
) -> Result<Ls30Delivery, ParseError> {
    // Creditor number, data supplier number and the line of the 001 record.
    let mut creditor: Option<(String, String, usize)> = None;
    let mut mandates = Vec::new();
    loop {
        let Some(record) = lines.next() else {
            return Err(ls::missing_end(lines));
        };
        let record = record?;
        let kind = record.bytes(1, 3);
        let mandate_kind = match kind {
            b"500" => Some(Ls30MandateKind::Active),
            b"510" => Some(Ls30MandateKind::Added),
            b"540" => Some(Ls30MandateKind::Removed),
            _ => None,
        };
        match (kind, mandate_kind) {
            (_, Some(mandate_kind)) => {
                let Some((creditor_no, _, line)) = &creditor else {
                    return Err(record.error(
                        1,
                        "record order",
                        format!("a {} record before the 001 record", record.text(1, 3)),
                        "a 001 creditor record first",
                    ));
                };
                record.expect_same(
                    4,
                    8,
                    "creditor no.",
                    creditor_no,
                    Origin {
                        what: "001 record",
                        line: *line,
                    },
                )?;
                mandates.push(Ls30Mandate {
                    kind: mandate_kind,
                    customer_no: record.text(9, 23),
                    date: record.date(24, DateLayout::Yymmdd, "date")?,
                });
            }
            (b"001", None) => {
                if let Some((_, _, line)) = &creditor {
                    return Err(record.error(
                        1,
                        "record type",
                        format!("a second 001 record (the first is on line {line})"),
                        "one creditor per file",
                    ));
                }
                creditor = Some((
                    record.digits(4, 8, "creditor no.")?,
                    record.text(24, 36),
                    record.line,
                ));
            }
            (b"999", None) => {
                let (creditor_no, data_supplier_no) = match creditor {
                    Some((creditor_no, data_supplier_no, line)) => {
                        record.expect_same(
                            4,
                            8,
                            "creditor no.",
                            &creditor_no,
                            Origin {
                                what: "001 record",
                                line,
                            },
                        )?;
                        (creditor_no, data_supplier_no)
                    }
                    None => (record.digits(4, 8, "creditor no.")?, String::new()),
                };
                record.expect_count(
                    31,
                    37,
                    "number of debtors",
                    mandates.len() as u128,
                    "the number of 500, 510 and 540 records",
                )?;
                lines.expect_end(&record, "999")?;
                return Ok(Ls30Delivery {
                    data_supplier_cvr: start.data_supplier_cvr,
                    cvr_check: start.cvr_check,
                    created: start.created,
                    test: start.test,
                    creditor_no,
                    data_supplier_no,
                    mandates,
                });
            }
            (b"000", None) => {
                return Err(record.error(
                    1,
                    "delivery start",
                    format!("a second 000 record (the first is on line {})", start.line),
                    "one delivery per file",
                ))
            }
            (other, None) => {
                return Err(record.error(
                    1,
                    "record type",
                    quoted(other),
                    "001, 500, 510, 540 or 999 in an LS material type 30 delivery",
                ))
            }
        }
    }
}

/// Writes an LS material type 30 delivery (for tests and the simulator).
pub fn render_ls30(delivery: &Ls30Delivery) -> Result<String, RenderError> {
    let mut w = Writer::new(LS_MATERIAL_WIDTH);
    ls::write_material_start(
        &mut w,
        &MaterialStart {
            line: 1,
            material_type: "30".to_string(),
            created: delivery.created,
            test: delivery.test,
            data_supplier_cvr: delivery.data_supplier_cvr.clone(),
            cvr_check: delivery.cvr_check.clone(),
        },
    )?;
    let creditor = &delivery.creditor_no;
    let mut line = w.line("001");
    line.fixed(1, "001");
    line.digits(4, 8, "creditor no.", creditor)?;
    line.number(9, 23, "filler", 0)?;
    line.text(24, 36, "data supplier no.", &delivery.data_supplier_no)?;
    w.push(line);
    for mandate in &delivery.mandates {
        let mut line = w.line(mandate.kind.code());
        line.fixed(1, mandate.kind.code());
        line.digits(4, 8, "creditor no.", creditor)?;
        line.text(9, 23, "customer no.", &mandate.customer_no)?;
        line.date(24, DateLayout::Yymmdd, "date", mandate.date)?;
        w.push(line);
    }
    let mut line = w.line("999");
    line.fixed(1, "999");
    line.digits(4, 8, "creditor no.", creditor)?;
    line.number(31, 37, "number of debtors", delivery.mandates.len() as u128)?;
    w.push(line);
    Ok(w.finish())
}
