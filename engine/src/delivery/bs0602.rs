//! BS 0602: payment information from Betalingsservice (formats.md §3).
//!
//! Read by the import; written by the bank simulator. Sections 0211 (automatic payments:
//! 042/0236 completed, 0237 rejected, 0238 cancelled, 0239 charged back) and 0215 (payment
//! slips: 022/0290 address, 042/0297 completed, 042/0299 charged back, 052/0295 free text).
//!
//! The BS092 amount is the "nonsense total": the sum of positions 116–128 (paid amount) of the
//! section's 042 records, sign ignored; the BS992 amount is the sum of the section totals.

use chrono::NaiveDate;
use ledger::{Amount, Id};

use super::bs::{self, BsStart, Counts, SectionId, SectionReader};
use super::bs0601::sign_code;
use super::error::{quoted, ParseError, RenderError};
use super::reader::{DateLayout, Lines, Record, Sign};
use super::writer::{Line, Writer};
use super::BS_WIDTH;

/// A BS 0602 delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bs0602Delivery {
    pub data_supplier_cvr: String,
    pub system_code: String,
    /// Betalingsservice's serial number of the delivery (BS002 21–30).
    pub delivery_id: u64,
    pub created: Option<NaiveDate>,
    pub sections: Vec<Bs0602Section>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bs0602SectionCode {
    /// `0211`: automatic payments.
    AutomaticPayments,
    /// `0215`: payments by payment slip, including Elektronisk indbetalingskort.
    SlipPayments,
}

impl Bs0602SectionCode {
    pub fn code(self) -> &'static str {
        match self {
            Bs0602SectionCode::AutomaticPayments => "0211",
            Bs0602SectionCode::SlipPayments => "0215",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bs0602Section {
    pub section: Bs0602SectionCode,
    pub creditor_pbs: String,
    pub debtor_group: String,
    /// Data supplier identification from the debtor-group setup (15 characters).
    pub data_supplier_ident: String,
    pub date: Option<NaiveDate>,
    /// The section's records in file order.
    pub records: Vec<Bs0602Record>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bs0602Record {
    /// Section 0211, BS042/0236–0239.
    Payment(Bs0602Payment),
    /// Section 0215, BS042/0297 or 0299.
    SlipPayment(Bs0602SlipPayment),
    /// Section 0215, BS022/0290: address line from a slip of type 73.
    SlipAddress(Bs0602SlipLine),
    /// Section 0215, BS052/0295: the debtor's free text from the slip.
    SlipText(Bs0602SlipLine),
}

/// Transaction codes of section 0211.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bs0602PaymentCode {
    /// `0236` automatic payment completed.
    Completed,
    /// `0237` rejected by the debtor.
    Rejected,
    /// `0238` cancelled: the agreement was cancelled before the due date.
    Cancelled,
    /// `0239` charged back by the debtor's bank.
    ChargedBack,
}

impl Bs0602PaymentCode {
    pub fn code(self) -> &'static str {
        match self {
            Bs0602PaymentCode::Completed => "0236",
            Bs0602PaymentCode::Rejected => "0237",
            Bs0602PaymentCode::Cancelled => "0238",
            Bs0602PaymentCode::ChargedBack => "0239",
        }
    }

    pub fn from_code(code: &str) -> Option<Bs0602PaymentCode> {
        Self::from_bytes(code.as_bytes())
    }

    fn from_bytes(code: &[u8]) -> Option<Bs0602PaymentCode> {
        match code {
            b"0236" => Some(Bs0602PaymentCode::Completed),
            b"0237" => Some(Bs0602PaymentCode::Rejected),
            b"0238" => Some(Bs0602PaymentCode::Cancelled),
            b"0239" => Some(Bs0602PaymentCode::ChargedBack),
            _ => None,
        }
    }
}

/// A BS042 record of section 0211. Both amounts carry the record's sign code: negative for
/// sign code 2 (deposit). `amount` (57–69) is what was charged, `paid_amount` (116–128) what
/// moved; they differ for 0237/0238 (paid 0) and for amount differences.
///
/// 0239 dates (formats.md §9): the guide does not say whether 104–115 hold the original or
/// the charge-back dates; this module treats them as the charge-back dates (the simulator
/// writes them a few days after the payment date). Match a 0239 to its payment by customer,
/// agreement, payment date and reference, never by these dates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bs0602Payment {
    pub code: Bs0602PaymentCode,
    /// As returned: right-aligned with leading zeros, upper case (e.g. `0000000000AB123`).
    pub customer_no: Id,
    pub agreement_no: Id,
    /// Payment (due) date.
    pub payment_date: NaiveDate,
    pub amount: Amount,
    /// Creditor's reference from the 0601 (30 characters).
    pub reference: Id,
    pub actual_date: Option<NaiveDate>,
    pub booking_date: Option<NaiveDate>,
    pub paid_amount: Amount,
}

/// Transaction codes of the slip payments in section 0215.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bs0602SlipCode {
    /// `0297` payment by slip / Elektronisk indbetalingskort completed.
    Completed,
    /// `0299` slip payment charged back.
    ChargedBack,
}

impl Bs0602SlipCode {
    pub fn code(self) -> &'static str {
        match self {
            Bs0602SlipCode::Completed => "0297",
            Bs0602SlipCode::ChargedBack => "0299",
        }
    }
}

/// A BS042/0297 or 0299 record of section 0215.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bs0602SlipPayment {
    pub code: Bs0602SlipCode,
    /// Right-aligned with leading zeros; blank (`""`) for slip type 73.
    pub customer_no: String,
    /// Slip type, 2 digits (`71`, `73`, `75`, …).
    pub slip_type: String,
    /// Reject-fee code 1: a fee was deducted from the creditor's account.
    pub fee_deducted: bool,
    pub fee: Amount,
    /// Date on the slip.
    pub payment_date: NaiveDate,
    pub amount: Amount,
    /// First 9 characters of the 0601 reference.
    pub reference: String,
    pub archive_reference: String,
    /// 0299: date the charge-back took place.
    pub actual_date: Option<NaiveDate>,
    /// 0299: date the charge-back was booked.
    pub booking_date: Option<NaiveDate>,
    /// 0299: amount charged back.
    pub paid_amount: Amount,
}

/// A BS022/0290 address line or BS052/0295 free-text line of section 0215.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bs0602SlipLine {
    /// Record no. 18–20 (0290: 1–5, 0295: 1–41).
    pub record_no: u32,
    pub customer_no: String,
    pub slip_type: String,
    pub archive_reference: String,
    /// Address line or free text (35 characters).
    pub text: String,
}

const GROUP: (usize, usize) = (21, 25);

fn direction(amount: Amount, paid: Amount) -> Option<Sign> {
    match (amount.ore().signum(), paid.ore().signum()) {
        (0, 0) => Some(Sign::None),
        (1, 0 | 1) | (0, 1) => Some(Sign::Withdrawal),
        (-1, 0 | -1) | (0, -1) => Some(Sign::Deposit),
        _ => None,
    }
}

impl Bs0602Record {
    /// The paid amount that enters the BS092 "nonsense total" (042 records only).
    fn paid_for_total(&self) -> Option<u128> {
        match self {
            Bs0602Record::Payment(p) => Some(u128::from(p.paid_amount.ore().unsigned_abs())),
            Bs0602Record::SlipPayment(p) => Some(u128::from(p.paid_amount.ore().unsigned_abs())),
            _ => None,
        }
    }
}

fn counts_of(records: &[Bs0602Record]) -> Counts {
    let mut counts = Counts::default();
    for record in records {
        match record {
            Bs0602Record::Payment(_) | Bs0602Record::SlipPayment(_) => {
                counts.n042 += 1;
                counts.amount += record.paid_for_total().unwrap_or(0);
            }
            Bs0602Record::SlipAddress(_) => counts.n022 += 1,
            Bs0602Record::SlipText(_) => counts.n052 += 1,
        }
    }
    counts
}

struct Reader0602 {
    id: SectionId,
    section: Bs0602Section,
    counts: Counts,
}

impl Reader0602 {
    fn payment(record: &Record) -> Result<Bs0602Payment, ParseError> {
        let code = Bs0602PaymentCode::from_bytes(record.bytes(14, 17)).ok_or_else(|| {
            record.error(
                14,
                "transaction code",
                quoted(record.bytes(14, 17)),
                "0236, 0237, 0238 or 0239 in section 0211",
            )
        })?;
        let customer_no = record.text_id(26, 40);
        let agreement_no = record.digits_id(41, 49, "agreement no.")?;
        let payment_date = record.required_date(50, DateLayout::Ddmmyy, "payment date")?;
        let sign = record.sign(56, true)?;
        let amount = record.amount(57, 69, "amount", sign)?;
        let reference = record.text_id(70, 99);
        let actual_date = record.date(104, DateLayout::Ddmmyy, "actual payment date")?;
        let booking_date = record.date(110, DateLayout::Ddmmyy, "bookkeeping date")?;
        let paid_amount = record.amount(116, 128, "paid amount", sign)?;
        Ok(Bs0602Payment {
            code,
            customer_no,
            agreement_no,
            payment_date,
            amount,
            reference,
            actual_date,
            booking_date,
            paid_amount,
        })
    }

    fn slip_payment(record: &Record) -> Result<Bs0602SlipPayment, ParseError> {
        let code = match record.bytes(14, 17) {
            b"0297" => Bs0602SlipCode::Completed,
            b"0299" => Bs0602SlipCode::ChargedBack,
            other => {
                return Err(record.error(
                    14,
                    "transaction code",
                    quoted(other),
                    "0297 or 0299 for a BS042 record in section 0215",
                ))
            }
        };
        record.digits(26, 29, "filler")?;
        let customer_no = record.text(30, 44);
        let slip_type = record.digits(45, 46, "slip type")?;
        let fee_deducted = match record.bytes(47, 47) {
            b"0" => false,
            b"1" => true,
            other => return Err(record.error(47, "reject-fee code", quoted(other), "0 or 1")),
        };
        let fee = record.unsigned_amount(48, 52, "fee amount")?;
        let payment_date = record.required_date(53, DateLayout::Ddmmyy, "payment date")?;
        // The guide lists sign codes 0 and 1 here; 2 is read as well so that a deposit is
        // never refused or misread as a payment.
        let sign = record.sign(59, true)?;
        let amount = record.amount(60, 72, "amount", sign)?;
        Ok(Bs0602SlipPayment {
            code,
            customer_no,
            slip_type,
            fee_deducted,
            fee,
            payment_date,
            amount,
            reference: record.text(73, 81),
            archive_reference: record.text(82, 103),
            actual_date: record.date(104, DateLayout::Ddmmyy, "actual payment date")?,
            booking_date: record.date(110, DateLayout::Ddmmyy, "bookkeeping date")?,
            paid_amount: record.amount(116, 128, "paid amount", sign)?,
        })
    }

    fn slip_line(record: &Record, code: &str) -> Result<Bs0602SlipLine, ParseError> {
        if record.bytes(14, 17) != code.as_bytes() {
            return Err(record.error(
                14,
                "transaction code",
                quoted(record.bytes(14, 17)),
                format!("{code} for a {} record in section 0215", record.text(1, 5)),
            ));
        }
        let record_no = record.number(18, 20, "record no.")?;
        record.digits(26, 29, "filler")?;
        Ok(Bs0602SlipLine {
            record_no: u32::try_from(record_no).unwrap_or(u32::MAX),
            customer_no: record.text(30, 44),
            slip_type: record.digits(45, 46, "slip type")?,
            archive_reference: record.text(47, 68),
            text: record.text(69, 103),
        })
    }
}

impl SectionReader for Reader0602 {
    type Output = Bs0602Section;
    const GROUP: (usize, usize) = GROUP;
    const AMOUNT_MEANING: &'static str =
        "the sum of the paid amounts, positions 116-128, of the section's 042 records";

    fn start(id: SectionId, record: &Record) -> Result<Self, ParseError> {
        let section = match id.section.as_str() {
            "0211" => Bs0602SectionCode::AutomaticPayments,
            "0215" => Bs0602SectionCode::SlipPayments,
            _ => {
                return Err(record.error(
                    14,
                    "section",
                    quoted(record.bytes(14, 17)),
                    "0211 or 0215",
                ))
            }
        };
        let section = Bs0602Section {
            section,
            creditor_pbs: id.creditor_pbs.clone(),
            debtor_group: id.debtor_group.clone(),
            data_supplier_ident: record.text(26, 40),
            date: record.date(50, DateLayout::Ddmmyy, "date")?,
            records: Vec::new(),
        };
        Ok(Reader0602 {
            id,
            section,
            counts: Counts::default(),
        })
    }

    fn record(&mut self, record: &Record) -> Result<(), ParseError> {
        self.id.check_member(record, GROUP)?;
        let parsed = match (self.section.section, record.bytes(1, 5)) {
            (Bs0602SectionCode::AutomaticPayments, b"BS042") => {
                Bs0602Record::Payment(Self::payment(record)?)
            }
            (Bs0602SectionCode::AutomaticPayments, other) => {
                return Err(record.error(
                    1,
                    "record type",
                    quoted(other),
                    "BS042 or BS092 in section 0211",
                ))
            }
            (Bs0602SectionCode::SlipPayments, b"BS042") => {
                Bs0602Record::SlipPayment(Self::slip_payment(record)?)
            }
            (Bs0602SectionCode::SlipPayments, b"BS022") => {
                Bs0602Record::SlipAddress(Self::slip_line(record, "0290")?)
            }
            (Bs0602SectionCode::SlipPayments, _) => {
                Bs0602Record::SlipText(Self::slip_line(record, "0295")?)
            }
        };
        self.counts.add(counts_of(std::slice::from_ref(&parsed)));
        self.section.records.push(parsed);
        Ok(())
    }

    fn counts(&self) -> Counts {
        self.counts
    }

    fn finish(self, _end: &Record) -> Result<Bs0602Section, ParseError> {
        Ok(self.section)
    }
}

pub(crate) fn parse(lines: &mut Lines<'_>, start: BsStart) -> Result<Bs0602Delivery, ParseError> {
    let sections = bs::read_sections::<Reader0602>(lines, &start)?;
    Ok(Bs0602Delivery {
        data_supplier_cvr: start.data_supplier_cvr,
        system_code: start.system_code,
        delivery_id: start.delivery_id,
        created: start.created,
        sections,
    })
}

/// Writes a 0602 delivery (used by the bank simulator and tests). Control records are
/// computed; a record kind that does not belong to its section is refused.
pub fn render_bs0602(delivery: &Bs0602Delivery) -> Result<String, RenderError> {
    let mut w = Writer::new(BS_WIDTH);
    let start = BsStart {
        line: 1,
        data_supplier_cvr: delivery.data_supplier_cvr.clone(),
        system_code: delivery.system_code.clone(),
        delivery_type: "0602".to_string(),
        delivery_id: delivery.delivery_id,
        created: delivery.created,
    };
    bs::write_start(&mut w, &start)?;
    let mut totals = Counts::default();
    for section in &delivery.sections {
        let id = write_section_start(&mut w, section, "000")?;
        for record in &section.records {
            write_record(&mut w, section, record)?;
        }
        let counts = counts_of(&section.records);
        bs::write_section_end(&mut w, &id, GROUP, counts)?;
        totals.add(counts);
    }
    bs::write_end(&mut w, &start, delivery.sections.len() as u64, totals)?;
    Ok(w.finish())
}

/// Writes a 0602/0603-style BS012 (`filler` at 18–20: `000` in 0602, blanks in 0603).
pub(crate) fn write_section_start_fields(
    w: &mut Writer,
    id: &SectionId,
    filler: &str,
    data_supplier_ident: &str,
    date: Option<NaiveDate>,
) -> Result<(), RenderError> {
    let mut line = w.line("BS012");
    line.fixed(1, "BS012");
    line.digits(6, 13, "PBS no.", &id.creditor_pbs)?;
    line.digits(14, 17, "section", &id.section)?;
    line.fixed(18, filler);
    line.digits(21, 25, "debtor group", &id.debtor_group)?;
    line.text(26, 40, "data supplier identification", data_supplier_ident)?;
    line.date(50, DateLayout::Ddmmyy, "date", date)?;
    w.push(line);
    Ok(())
}

fn write_section_start(
    w: &mut Writer,
    section: &Bs0602Section,
    filler: &str,
) -> Result<SectionId, RenderError> {
    let id = SectionId {
        line: 0,
        creditor_pbs: section.creditor_pbs.clone(),
        section: section.section.code().to_string(),
        debtor_group: section.debtor_group.clone(),
    };
    write_section_start_fields(w, &id, filler, &section.data_supplier_ident, section.date)?;
    Ok(id)
}

fn member_line(
    w: &Writer,
    record: &'static str,
    code: &str,
    section: &Bs0602Section,
) -> Result<Line, RenderError> {
    let mut line = w.line(record);
    line.fixed(1, record.get(..5).unwrap_or(record));
    line.digits(6, 13, "PBS no.", &section.creditor_pbs)?;
    line.fixed(14, code);
    line.fixed(18, "000");
    line.digits(21, 25, "debtor group", &section.debtor_group)?;
    Ok(line)
}

fn write_sign(line: &mut Line, at: usize, amount: Amount, paid: Amount) -> Result<(), RenderError> {
    match direction(amount, paid) {
        Some(sign) => {
            line.fixed(at, sign_code(sign));
            Ok(())
        }
        None => Err(line.error(
            "paid amount",
            format!("{paid} against an amount of {amount}"),
            "the same sign as the amount (one sign code covers both)",
        )),
    }
}

fn write_record(
    w: &mut Writer,
    section: &Bs0602Section,
    record: &Bs0602Record,
) -> Result<(), RenderError> {
    let slips = section.section == Bs0602SectionCode::SlipPayments;
    let line = match record {
        Bs0602Record::Payment(p) if !slips => {
            let mut line = member_line(w, "BS042", p.code.code(), section)?;
            line.text(26, 40, "customer no.", &p.customer_no)?;
            line.digits(41, 49, "agreement no.", &p.agreement_no)?;
            line.date(50, DateLayout::Ddmmyy, "payment date", Some(p.payment_date))?;
            write_sign(&mut line, 56, p.amount, p.paid_amount)?;
            line.amount(57, 69, "amount", p.amount)?;
            line.text(70, 99, "creditor's reference", &p.reference)?;
            line.date(
                104,
                DateLayout::Ddmmyy,
                "actual payment date",
                p.actual_date,
            )?;
            line.date(110, DateLayout::Ddmmyy, "bookkeeping date", p.booking_date)?;
            line.amount(116, 128, "paid amount", p.paid_amount)?;
            line
        }
        Bs0602Record::SlipPayment(p) if slips => {
            let mut line = member_line(w, "BS042", p.code.code(), section)?;
            line.fixed(26, "0000");
            line.text(30, 44, "customer no.", &p.customer_no)?;
            line.digits(45, 46, "slip type", &p.slip_type)?;
            line.fixed(47, if p.fee_deducted { "1" } else { "0" });
            line.unsigned_amount(48, 52, "fee amount", p.fee)?;
            line.date(53, DateLayout::Ddmmyy, "payment date", Some(p.payment_date))?;
            write_sign(&mut line, 59, p.amount, p.paid_amount)?;
            line.amount(60, 72, "amount", p.amount)?;
            line.text(73, 81, "creditor's reference", &p.reference)?;
            line.text(82, 103, "archive reference", &p.archive_reference)?;
            line.date(
                104,
                DateLayout::Ddmmyy,
                "actual payment date",
                p.actual_date,
            )?;
            line.date(110, DateLayout::Ddmmyy, "bookkeeping date", p.booking_date)?;
            line.amount(116, 128, "paid amount", p.paid_amount)?;
            line
        }
        Bs0602Record::SlipAddress(s) | Bs0602Record::SlipText(s) if slips => {
            let (record_type, code) = match record {
                Bs0602Record::SlipAddress(_) => ("BS022", "0290"),
                _ => ("BS052", "0295"),
            };
            let mut line = member_line(w, record_type, code, section)?;
            line.number(18, 20, "record no.", u128::from(s.record_no))?;
            line.fixed(26, "0000");
            line.text(30, 44, "customer no.", &s.customer_no)?;
            line.digits(45, 46, "slip type", &s.slip_type)?;
            line.text(47, 68, "archive reference", &s.archive_reference)?;
            line.text(69, 103, "text", &s.text)?;
            line
        }
        _ => {
            let line = w.line("BS042");
            return Err(line.error(
                "record",
                format!("{record:?}"),
                format!(
                    "a record that belongs in section {}",
                    section.section.code()
                ),
            ));
        }
    };
    w.push(line);
    Ok(())
}
