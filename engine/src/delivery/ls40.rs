//! LS material type 40: debtor and payment information sent to Leverandørservice
//! (formats.md §7.4).
//!
//! 80-character records, record type at 1–3: `000` start, then per payment date a `001`
//! followed by its `580` collections, `585` disbursements and `510`/`540` mandate records, and
//! one `999` end with the totals. Decisions on the points where UC and SD disagree:
//!
//! * customer numbers are written right-aligned with leading zeros (SD), which is also how
//!   BS returns them; the parser returns the field as found (trailing blanks removed);
//! * a `001` with date `000000` opens a group without a payment date (SD writes its mandate
//!   records that way);
//! * `510` filler: 11 zeros (46–56) and 24 blanks (UC), the zero/blank pattern of `540`/`580`;
//! * `999`: blanks at 9–23 (UC; SD writes nines), one `999` for the whole file (UC; SD writes
//!   one per date); "number of debtors" (24–30) counts every detail record (510, 540, 580 and
//!   585: UC counts its payments, SD its mandate records); the totals are the sums of the
//!   580 and of the 585 amounts, both unsigned;
//! * `000`: see `ls::write_material_start`. One creditor per file.

use chrono::NaiveDate;
use ledger::Amount;

use super::error::{quoted, ParseError, RenderError};
use super::ls::{self, MaterialStart};
use super::reader::{DateLayout, Lines, Origin, Record};
use super::writer::Writer;
use super::LS_MATERIAL_WIDTH;

/// An LS material type 40 delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ls40Delivery {
    /// Data supplier CVR, 8 digits (000 record 63–70).
    pub data_supplier_cvr: String,
    pub created: NaiveDate,
    /// `TEST` at 46–49 of the `000` record.
    pub test: bool,
    /// LS creditor number, 5 digits.
    pub creditor_no: String,
    pub groups: Vec<Ls40Group>,
}

/// A `001` record and the records that follow it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ls40Group {
    /// `None` for `000000` (a group of mandate records).
    pub payment_date: Option<NaiveDate>,
    pub records: Vec<Ls40Record>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ls40Record {
    /// `580` collection or `585` disbursement.
    Payment(Ls40Payment),
    /// `510` new mandate (debtor's bank account and CVR).
    NewMandate(Ls40NewMandate),
    /// `540` cancel mandate.
    CancelMandate { customer_no: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ls40PaymentKind {
    /// `580`: collection from the debtor.
    Collection,
    /// `585`: disbursement to the debtor.
    Payout,
}

impl Ls40PaymentKind {
    pub fn code(self) -> &'static str {
        match self {
            Ls40PaymentKind::Collection => "580",
            Ls40PaymentKind::Payout => "585",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ls40Payment {
    pub kind: Ls40PaymentKind,
    pub customer_no: String,
    /// Zero or more; the direction is `kind`. A zero amount cancels the payment of that date
    /// (domain.md §6, LS stop).
    pub amount: Amount,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ls40NewMandate {
    pub customer_no: String,
    pub debtor_reg_no: String,
    pub debtor_account_no: String,
    pub debtor_cvr: String,
}

/// Totals of the `999` record.
#[derive(Default)]
struct Totals {
    records: u128,
    collections: u128,
    payouts: u128,
}

impl Totals {
    fn add(&mut self, record: &Ls40Record) {
        self.records += 1;
        if let Ls40Record::Payment(p) = record {
            let ore = u128::from(p.amount.ore().unsigned_abs());
            match p.kind {
                Ls40PaymentKind::Collection => self.collections += ore,
                Ls40PaymentKind::Payout => self.payouts += ore,
            }
        }
    }
}

fn parse_detail(record: &Record) -> Result<Ls40Record, ParseError> {
    let customer_no = record.text(9, 23);
    Ok(match record.bytes(1, 3) {
        b"580" | b"585" => Ls40Record::Payment(Ls40Payment {
            kind: if record.bytes(1, 3) == b"580" {
                Ls40PaymentKind::Collection
            } else {
                Ls40PaymentKind::Payout
            },
            customer_no,
            amount: record.unsigned_amount(46, 56, "amount")?,
        }),
        b"510" => Ls40Record::NewMandate(Ls40NewMandate {
            customer_no,
            debtor_reg_no: record.digits(24, 27, "debtor reg. no.")?,
            debtor_account_no: record.digits(28, 37, "debtor account no.")?,
            debtor_cvr: record.digits(38, 45, "debtor CVR")?,
        }),
        _ => Ls40Record::CancelMandate { customer_no },
    })
}

pub(crate) fn parse(
    lines: &mut Lines<'_>,
    start: MaterialStart,
) -> Result<Ls40Delivery, ParseError> {
    let mut groups: Vec<Ls40Group> = Vec::new();
    // The creditor number and the line of the first 001 that gave it.
    let mut creditor: Option<(String, usize)> = None;
    let mut totals = Totals::default();
    loop {
        let Some(record) = lines.next() else {
            return Err(ls::missing_end(lines));
        };
        let record = record?;
        let kind = record.bytes(1, 3);
        match kind {
            b"001" => {
                let creditor_no = record.digits(4, 8, "creditor no.")?;
                match &creditor {
                    Some((first, line)) if *first != creditor_no => {
                        return Err(record.error(
                            4,
                            "creditor no.",
                            quoted(record.bytes(4, 8)),
                            format!(
                            "'{first}' as in the 001 record on line {line} (one creditor per file)"
                        ),
                        ))
                    }
                    Some(_) => {}
                    None => creditor = Some((creditor_no, record.line)),
                }
                groups.push(Ls40Group {
                    payment_date: record.date(24, DateLayout::Yymmdd, "payment date")?,
                    records: Vec::new(),
                });
            }
            b"580" | b"585" | b"510" | b"540" => {
                let (Some(group), Some((creditor_no, line))) = (groups.last_mut(), &creditor)
                else {
                    return Err(record.error(
                        1,
                        "record order",
                        format!("a {} record before any 001 record", record.text(1, 3)),
                        "a 001 record opening its payment date first",
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
                let detail = parse_detail(&record)?;
                totals.add(&detail);
                group.records.push(detail);
            }
            b"999" => {
                let creditor_no = match &creditor {
                    Some((creditor_no, line)) => {
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
                        creditor_no.clone()
                    }
                    None => record.digits(4, 8, "creditor no.")?,
                };
                record.expect_count(
                    24,
                    30,
                    "number of debtors",
                    totals.records,
                    "the number of 510, 540, 580 and 585 records",
                )?;
                record.expect_count(
                    31,
                    43,
                    "collection total",
                    totals.collections,
                    "the sum of the 580 amounts",
                )?;
                record.expect_count(
                    44,
                    56,
                    "disbursement total",
                    totals.payouts,
                    "the sum of the 585 amounts",
                )?;
                lines.expect_end(&record, "999")?;
                return Ok(Ls40Delivery {
                    data_supplier_cvr: start.data_supplier_cvr,
                    created: start.created,
                    test: start.test,
                    creditor_no,
                    groups,
                });
            }
            b"000" => {
                return Err(record.error(
                    1,
                    "delivery start",
                    format!("a second 000 record (the first is on line {})", start.line),
                    "one delivery per file",
                ))
            }
            other => {
                return Err(record.error(
                    1,
                    "record type",
                    quoted(other),
                    "001, 510, 540, 580, 585 or 999 in an LS material type 40 delivery",
                ))
            }
        }
    }
}

/// Writes a type 40 delivery: records of 80 characters, trailing blanks stripped, CR LF after
/// each; the `999` totals are computed here.
pub fn render_ls40(delivery: &Ls40Delivery) -> Result<String, RenderError> {
    let mut w = Ls40Writer::start(delivery)?;
    for group in &delivery.groups {
        w.group(group.payment_date)?;
        for record in &group.records {
            w.record(record)?;
        }
    }
    w.finish()
}

/// Writes a type 40 delivery record by record, for a delivery too large to hold whole: the
/// caller gives the groups and records one at a time and takes the text written so far
/// whenever it likes ([`Ls40Writer::take_text`]); the `999` totals are summed on the way.
/// [`render_ls40`] writes through it, so both give the same bytes.
pub struct Ls40Writer {
    w: Writer,
    creditor: String,
    totals: Totals,
}

impl Ls40Writer {
    /// Writes the `000` start record of `delivery` (its groups are not looked at).
    pub fn start(delivery: &Ls40Delivery) -> Result<Ls40Writer, RenderError> {
        let mut w = Writer::new(LS_MATERIAL_WIDTH);
        ls::write_material_start(
            &mut w,
            &MaterialStart {
                line: 1,
                material_type: "40".to_string(),
                created: delivery.created,
                test: delivery.test,
                data_supplier_cvr: delivery.data_supplier_cvr.clone(),
                cvr_check: String::new(),
            },
        )?;
        Ok(Ls40Writer {
            w,
            creditor: delivery.creditor_no.clone(),
            totals: Totals::default(),
        })
    }

    /// Writes the `001` record that opens the group of a payment date.
    pub fn group(&mut self, payment_date: Option<NaiveDate>) -> Result<(), RenderError> {
        let mut line = self.w.line("001");
        line.fixed(1, "001");
        line.digits(4, 8, "creditor no.", &self.creditor)?;
        line.number(9, 23, "filler", 0)?;
        line.date(24, DateLayout::Yymmdd, "payment date", payment_date)?;
        line.number(30, 43, "filler", 0)?;
        self.w.push(line);
        Ok(())
    }

    /// Writes one record of the open group.
    pub fn record(&mut self, record: &Ls40Record) -> Result<(), RenderError> {
        let creditor = self.creditor.as_str();
        let w = &mut self.w;
        let line = match record {
            Ls40Record::Payment(p) => {
                let mut line = w.line(if p.kind == Ls40PaymentKind::Collection {
                    "580"
                } else {
                    "585"
                });
                line.fixed(1, p.kind.code());
                line.digits(4, 8, "creditor no.", creditor)?;
                line.text_zero_padded(9, 23, "customer no.", &p.customer_no)?;
                line.number(24, 45, "filler", 0)?;
                line.unsigned_amount(46, 56, "amount", p.amount)?;
                line
            }
            Ls40Record::NewMandate(m) => {
                let mut line = w.line("510");
                line.fixed(1, "510");
                line.digits(4, 8, "creditor no.", creditor)?;
                line.text_zero_padded(9, 23, "customer no.", &m.customer_no)?;
                line.digits(24, 27, "debtor reg. no.", &m.debtor_reg_no)?;
                line.digits(28, 37, "debtor account no.", &m.debtor_account_no)?;
                line.digits(38, 45, "debtor CVR", &m.debtor_cvr)?;
                line.number(46, 56, "filler", 0)?;
                line
            }
            Ls40Record::CancelMandate { customer_no } => {
                let mut line = w.line("540");
                line.fixed(1, "540");
                line.digits(4, 8, "creditor no.", creditor)?;
                line.text_zero_padded(9, 23, "customer no.", customer_no)?;
                line.number(24, 56, "filler", 0)?;
                line
            }
        };
        self.totals.add(record);
        w.push(line);
        Ok(())
    }

    /// The text written since the last call (whole records).
    pub fn take_text(&mut self) -> String {
        self.w.take_text()
    }

    /// The length in bytes of the text not taken yet.
    pub fn pending(&self) -> usize {
        self.w.pending()
    }

    /// Writes the `999` end record; returns the text not taken yet.
    pub fn finish(mut self) -> Result<String, RenderError> {
        let mut line = self.w.line("999");
        line.fixed(1, "999");
        line.digits(4, 8, "creditor no.", &self.creditor)?;
        line.number(24, 30, "number of debtors", self.totals.records)?;
        line.number(31, 43, "collection total", self.totals.collections)?;
        line.number(44, 56, "disbursement total", self.totals.payouts)?;
        self.w.push(line);
        Ok(self.w.finish())
    }
}
