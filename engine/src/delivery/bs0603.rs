//! BS 0603: agreement (mandate) information from Betalingsservice (formats.md §4).
//!
//! Sections 0210 (active agreements, 042/0230), 0212 (registered and cancelled agreements,
//! 042/0231–0234) and 0219 (active Elektronisk indbetalingskort agreements, 042/0230, agreement
//! `999999999`). Other sections (HJ's legacy 0214/0215/0217, formats.md §4) are skipped with a
//! [`ParseWarning`], as formats.md §10 asks, but their records are still counted against the
//! BS092 and BS992 records, so a damaged file is refused all the same.

use chrono::NaiveDate;

use super::bs::{self, BsStart, Counts, SectionId, SectionReader};
use super::bs0602::write_section_start_fields;
use super::error::{quoted, ParseError, ParseWarning, RenderError};
use super::reader::{DateLayout, Lines, Record};
use super::writer::Writer;
use super::BS_WIDTH;

/// A BS 0603 delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bs0603Delivery {
    pub data_supplier_cvr: String,
    pub system_code: String,
    pub delivery_id: u64,
    pub created: Option<NaiveDate>,
    /// The supported sections, in file order.
    pub sections: Vec<Bs0603Section>,
    /// Sections that were skipped because they are not supported. Never written.
    pub warnings: Vec<ParseWarning>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bs0603SectionCode {
    /// `0210`: the full list of active payment agreements.
    ActiveAgreements,
    /// `0212`: agreements registered or cancelled since the last 0603.
    RegisteredAndCancelled,
    /// `0219`: active Elektronisk indbetalingskort agreements.
    ActiveSlipAgreements,
}

impl Bs0603SectionCode {
    pub fn code(self) -> &'static str {
        match self {
            Bs0603SectionCode::ActiveAgreements => "0210",
            Bs0603SectionCode::RegisteredAndCancelled => "0212",
            Bs0603SectionCode::ActiveSlipAgreements => "0219",
        }
    }

    fn from_code(code: &str) -> Option<Bs0603SectionCode> {
        match code {
            "0210" => Some(Bs0603SectionCode::ActiveAgreements),
            "0212" => Some(Bs0603SectionCode::RegisteredAndCancelled),
            "0219" => Some(Bs0603SectionCode::ActiveSlipAgreements),
            _ => None,
        }
    }

    fn allows(self, code: Bs0603Code) -> bool {
        match self {
            Bs0603SectionCode::RegisteredAndCancelled => code != Bs0603Code::Active,
            _ => code == Bs0603Code::Active,
        }
    }

    fn expected_codes(self) -> &'static str {
        match self {
            Bs0603SectionCode::RegisteredAndCancelled => "0231, 0232, 0233 or 0234 in section 0212",
            Bs0603SectionCode::ActiveAgreements => "0230 in section 0210",
            Bs0603SectionCode::ActiveSlipAgreements => "0230 in section 0219",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bs0603Section {
    pub section: Bs0603SectionCode,
    pub creditor_pbs: String,
    pub debtor_group: String,
    pub data_supplier_ident: String,
    pub date: Option<NaiveDate>,
    pub agreements: Vec<Bs0603Agreement>,
}

/// Transaction codes of 0603 records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bs0603Code {
    /// `0230` active agreement.
    Active,
    /// `0231` agreement newly registered.
    Registered,
    /// `0232` cancelled by the debtor's bank.
    CancelledByBank,
    /// `0233` cancelled by the creditor.
    CancelledByCreditor,
    /// `0234` cancelled by Betalingsservice (typically unused for 15 months).
    CancelledByBetalingsservice,
}

impl Bs0603Code {
    pub fn code(self) -> &'static str {
        match self {
            Bs0603Code::Active => "0230",
            Bs0603Code::Registered => "0231",
            Bs0603Code::CancelledByBank => "0232",
            Bs0603Code::CancelledByCreditor => "0233",
            Bs0603Code::CancelledByBetalingsservice => "0234",
        }
    }

    fn from_code(code: &[u8]) -> Option<Bs0603Code> {
        match code {
            b"0230" => Some(Bs0603Code::Active),
            b"0231" => Some(Bs0603Code::Registered),
            b"0232" => Some(Bs0603Code::CancelledByBank),
            b"0233" => Some(Bs0603Code::CancelledByCreditor),
            b"0234" => Some(Bs0603Code::CancelledByBetalingsservice),
            _ => None,
        }
    }
}

/// A BS042 agreement record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bs0603Agreement {
    pub code: Bs0603Code,
    /// As returned: right-aligned with leading zeros, upper case.
    pub customer_no: String,
    /// Mandate number, 9 digits (`999999999` = Elektronisk indbetalingskort).
    pub agreement_no: String,
    /// Date the agreement takes or took effect.
    pub start_date: Option<NaiveDate>,
    /// Notified or actual cancellation date; `None` for `000000`.
    pub end_date: Option<NaiveDate>,
}

const GROUP: (usize, usize) = (21, 25);

pub(crate) enum Output {
    Known(Bs0603Section),
    Skipped(ParseWarning),
}

pub(crate) enum Reader0603 {
    Known {
        id: SectionId,
        section: Bs0603Section,
    },
    Skipped {
        id: SectionId,
        counts: Counts,
    },
}

impl SectionReader for Reader0603 {
    type Output = Output;
    const GROUP: (usize, usize) = GROUP;
    const AMOUNT_MEANING: &'static str = "zeros: a 0603 carries no amounts";

    fn start(id: SectionId, record: &Record) -> Result<Self, ParseError> {
        let Some(code) = Bs0603SectionCode::from_code(&id.section) else {
            return Ok(Reader0603::Skipped {
                id,
                counts: Counts::default(),
            });
        };
        let section = Bs0603Section {
            section: code,
            creditor_pbs: id.creditor_pbs.clone(),
            debtor_group: id.debtor_group.clone(),
            data_supplier_ident: record.text(26, 40),
            date: record.date(50, DateLayout::Ddmmyy, "date")?,
            agreements: Vec::new(),
        };
        Ok(Reader0603::Known { id, section })
    }

    fn record(&mut self, record: &Record) -> Result<(), ParseError> {
        let (id, section) = match self {
            Reader0603::Skipped { counts, .. } => {
                // The layout of an unknown section is unknown: only count its records.
                match record.bytes(1, 5) {
                    b"BS022" => counts.n022 += 1,
                    b"BS042" => counts.n042 += 1,
                    _ => counts.n052 += 1,
                }
                return Ok(());
            }
            Reader0603::Known { id, section } => (id, section),
        };
        id.check_member(record, GROUP)?;
        if record.bytes(1, 5) != b"BS042" {
            return Err(record.error(
                1,
                "record type",
                quoted(record.bytes(1, 5)),
                format!("BS042 or BS092 in section {}", id.section),
            ));
        }
        let code = Bs0603Code::from_code(record.bytes(14, 17))
            .filter(|&code| section.section.allows(code))
            .ok_or_else(|| {
                record.error(
                    14,
                    "transaction code",
                    quoted(record.bytes(14, 17)),
                    section.section.expected_codes(),
                )
            })?;
        section.agreements.push(Bs0603Agreement {
            code,
            customer_no: record.text(26, 40),
            agreement_no: record.digits(41, 49, "agreement no.")?,
            start_date: record.date(50, DateLayout::Ddmmyy, "start date")?,
            end_date: record.date(56, DateLayout::Ddmmyy, "end date")?,
        });
        Ok(())
    }

    fn counts(&self) -> Counts {
        match self {
            Reader0603::Known { section, .. } => Counts {
                n042: section.agreements.len() as u64,
                ..Counts::default()
            },
            Reader0603::Skipped { counts, .. } => *counts,
        }
    }

    fn finish(self, end: &Record) -> Result<Output, ParseError> {
        match self {
            Reader0603::Known { section, .. } => Ok(Output::Known(section)),
            Reader0603::Skipped { id, counts } => {
                let records = counts.n022 + counts.n042 + counts.n052;
                Ok(Output::Skipped(ParseWarning {
                    line: id.line,
                    column: 14,
                    message: format!(
                        "section {} is not supported: its {records} records (lines {}-{}) were skipped",
                        id.section, id.line, end.line
                    ),
                }))
            }
        }
    }
}

pub(crate) fn parse(lines: &mut Lines<'_>, start: BsStart) -> Result<Bs0603Delivery, ParseError> {
    let outputs = bs::read_sections::<Reader0603>(lines, &start)?;
    let mut sections = Vec::new();
    let mut warnings = Vec::new();
    for output in outputs {
        match output {
            Output::Known(section) => sections.push(section),
            Output::Skipped(warning) => warnings.push(warning),
        }
    }
    Ok(Bs0603Delivery {
        data_supplier_cvr: start.data_supplier_cvr,
        system_code: start.system_code,
        delivery_id: start.delivery_id,
        created: start.created,
        sections,
        warnings,
    })
}

/// Writes a 0603 delivery (for tests and the simulator). Warnings are not written.
pub fn render_bs0603(delivery: &Bs0603Delivery) -> Result<String, RenderError> {
    let mut w = Writer::new(BS_WIDTH);
    let start = BsStart {
        line: 1,
        data_supplier_cvr: delivery.data_supplier_cvr.clone(),
        system_code: delivery.system_code.clone(),
        delivery_type: "0603".to_string(),
        delivery_id: delivery.delivery_id,
        created: delivery.created,
    };
    bs::write_start(&mut w, &start)?;
    let mut totals = Counts::default();
    for section in &delivery.sections {
        let id = SectionId {
            line: 0,
            creditor_pbs: section.creditor_pbs.clone(),
            section: section.section.code().to_string(),
            debtor_group: section.debtor_group.clone(),
        };
        write_section_start_fields(
            &mut w,
            &id,
            "   ",
            &section.data_supplier_ident,
            section.date,
        )?;
        for agreement in &section.agreements {
            let mut line = w.line("BS042");
            if !section.section.allows(agreement.code) {
                return Err(line.error(
                    "transaction code",
                    agreement.code.code(),
                    section.section.expected_codes(),
                ));
            }
            line.fixed(1, "BS042");
            line.digits(6, 13, "PBS no.", &section.creditor_pbs)?;
            line.fixed(14, agreement.code.code());
            line.fixed(18, "000");
            line.digits(21, 25, "debtor group", &section.debtor_group)?;
            line.text(26, 40, "customer no.", &agreement.customer_no)?;
            line.digits(41, 49, "agreement no.", &agreement.agreement_no)?;
            line.date(50, DateLayout::Ddmmyy, "start date", agreement.start_date)?;
            line.date(56, DateLayout::Ddmmyy, "end date", agreement.end_date)?;
            w.push(line);
        }
        let counts = Counts {
            n042: section.agreements.len() as u64,
            ..Counts::default()
        };
        bs::write_section_end(&mut w, &id, GROUP, counts)?;
        totals.add(counts);
    }
    bs::write_end(&mut w, &start, delivery.sections.len() as u64, totals)?;
    Ok(w.finish())
}
