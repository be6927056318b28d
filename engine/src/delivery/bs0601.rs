//! BS 0601: collections sent to Betalingsservice (formats.md §2).
//!
//! Written by the export; read back for tests, for the bank simulator and to show an archived
//! file. Section 0112 (payments, formats.md §10 "must support") and section 0117 (payment slip
//! with short notice, read because the reference sample carries one) are supported; 0113 and
//! 0118 are refused with a message saying so.

use chrono::NaiveDate;
use ledger::Amount;

use super::bs::{self, BsStart, Counts, SectionId, SectionReader};
use super::error::{quoted, ParseError, RenderError};
use super::reader::{DateLayout, Lines, Record, Sign};
use super::writer::{Line, Writer};
use super::BS_WIDTH;

/// A BS 0601 delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bs0601Delivery {
    /// Data supplier's CVR number, 8 digits (BS002 6–13).
    pub data_supplier_cvr: String,
    /// Delsystem, e.g. `BS1` (`KR9` in Mastercard's test).
    pub system_code: String,
    /// The data supplier's own running number (BS002 21–30).
    pub delivery_id: u64,
    /// Creation date; `None` is written as `000000`.
    pub created: Option<NaiveDate>,
    pub sections: Vec<Bs0601Section>,
}

/// The 0601 sections this module reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bs0601SectionCode {
    /// `0112`: payments (042/0280 with 30-character reference, 022/0240, 052/0241).
    Payments,
    /// `0117`: payment slips with short notice (042/0285: 9-character reference, sign code
    /// 0 or 1 only, agreement `000000000`, reg./account zeros in the section start).
    ShortNoticeSlips,
}

impl Bs0601SectionCode {
    pub fn code(self) -> &'static str {
        match self {
            Bs0601SectionCode::Payments => "0112",
            Bs0601SectionCode::ShortNoticeSlips => "0117",
        }
    }

    /// The transaction code of the section's payment records.
    pub fn payment_code(self) -> &'static str {
        match self {
            Bs0601SectionCode::Payments => "0280",
            Bs0601SectionCode::ShortNoticeSlips => "0285",
        }
    }

    fn reference_end(self) -> usize {
        match self {
            Bs0601SectionCode::Payments => 103,
            Bs0601SectionCode::ShortNoticeSlips => 82,
        }
    }

    fn from_code(code: &str) -> Option<Bs0601SectionCode> {
        match code {
            "0112" => Some(Bs0601SectionCode::Payments),
            "0117" => Some(Bs0601SectionCode::ShortNoticeSlips),
            _ => None,
        }
    }
}

/// One section: one creditor (PBS number) and debtor group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bs0601Section {
    pub section: Bs0601SectionCode,
    /// Creditor's PBS number, 8 digits.
    pub creditor_pbs: String,
    /// Debtor group, 5 digits.
    pub debtor_group: String,
    /// Creditor's identification with the data supplier (own use, 15 characters).
    pub data_supplier_ident: String,
    /// Section date; `None` is written as `00000000`.
    pub date: Option<NaiveDate>,
    /// Settlement reg. no., 4 digits; empty = blanks (the 2025 layout, formats.md §9).
    pub reg_no: String,
    /// Settlement account no., 10 digits; empty = blanks.
    pub account_no: String,
    /// Main text line on the debtor's payment overview (60 characters).
    pub main_text: String,
    pub payments: Vec<Bs0601Payment>,
}

/// One payment: its optional name/address records, the payment record and its text lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bs0601Payment {
    /// Customer number, up to 15 characters, written left-aligned as given.
    pub customer_no: String,
    /// Agreement (mandate) number, 9 digits; `000000000` on the total solution.
    pub agreement_no: String,
    pub payment_date: NaiveDate,
    /// Signed: positive = sign code 1 (collection), negative = sign code 2 (deposit to the
    /// debtor), zero = sign code 0 (notification only).
    pub amount: Amount,
    /// Creditor's reference, returned in the 0602: 30 characters (0117: 9).
    pub reference: String,
    /// Name and address lines, records 00001–00005 (35 characters each).
    pub name_address: Vec<String>,
    /// Record 00009 postcode (4 characters); written when postcode or country is given.
    pub postcode: Option<String>,
    /// Record 00009 country, ISO 3166 alpha-2; `None`/blank = Denmark.
    pub country: Option<String>,
    /// Record 00010 CPR/CVR number, 10 digits.
    pub cpr_cvr: Option<String>,
    /// Text lines to the debtor, BS052/0241 (60 characters each), numbered from 00001 per
    /// payment.
    pub texts: Vec<String>,
}

/// The BS092 "net amount" of a section (formats.md §9 open question): the guide says "net
/// amount in øre without sign" and only shows sign-code-1 payments. Decision: collections
/// minus deposits, as an absolute value (following HJ, which subtracts deposits); sign-code-0
/// records add nothing. With only collections this is the plain sum, as in the real data.
pub fn bs0601_net_amount(payments: &[Bs0601Payment]) -> u128 {
    let mut collections: u128 = 0;
    let mut deposits: u128 = 0;
    for payment in payments {
        let ore = u128::from(payment.amount.ore().unsigned_abs());
        if payment.amount.is_negative() {
            deposits += ore;
        } else {
            collections += ore;
        }
    }
    collections.abs_diff(deposits)
}

impl Bs0601Section {
    fn id(&self) -> SectionId {
        SectionId {
            line: 0,
            creditor_pbs: self.creditor_pbs.clone(),
            section: self.section.code().to_string(),
            debtor_group: self.debtor_group.clone(),
        }
    }
}

const GROUP: (usize, usize) = (23, 27);

/// Name/address records (022/0240) waiting for their payment record.
struct Debtor {
    line: usize,
    customer_no: String,
    name_address: Vec<String>,
    postcode: Option<String>,
    country: Option<String>,
    cpr_cvr: Option<String>,
    last_record_no: u64,
}

struct Reader0601 {
    id: SectionId,
    section: Bs0601Section,
    debtor: Option<Debtor>,
    n022: u64,
    n052: u64,
}

impl Reader0601 {
    fn name_address(&mut self, record: &Record) -> Result<(), ParseError> {
        let record_no = record.number(18, 22, "record no.")?;
        let customer_no = record.text(28, 42);
        let debtor = match self.debtor.as_mut() {
            Some(debtor) if debtor.customer_no != customer_no => {
                return Err(record.error(
                    28,
                    "customer no.",
                    format!("'{}'", record.text(28, 42)),
                    format!(
                    "'{}' as in the BS022 record on line {} (its BS042 payment record comes first)",
                    debtor.customer_no, debtor.line
                ),
                ))
            }
            Some(debtor) => debtor,
            None => self.debtor.insert(Debtor {
                line: record.line,
                customer_no,
                name_address: Vec::new(),
                postcode: None,
                country: None,
                cpr_cvr: None,
                last_record_no: 0,
            }),
        };
        let in_order = match record_no {
            1..=5 => record_no == debtor.name_address.len() as u64 + 1 && debtor.last_record_no < 5,
            9 | 10 => record_no > debtor.last_record_no,
            _ => false,
        };
        if !in_order {
            let expected = if debtor.last_record_no < 5 {
                format!("'{:05}', '00009' or '00010'", debtor.name_address.len() + 1)
            } else if debtor.last_record_no < 9 {
                "'00009' or '00010'".to_string()
            } else if debtor.last_record_no < 10 {
                "'00010'".to_string()
            } else {
                "a BS042 payment record after record 00010".to_string()
            };
            return Err(record.error(18, "record no.", quoted(record.bytes(18, 22)), expected));
        }
        debtor.last_record_no = record_no;
        match record_no {
            9 => {
                let postcode = record.text(67, 70);
                let country = record.text(71, 73);
                debtor.postcode = (!postcode.is_empty()).then_some(postcode);
                debtor.country = (!country.is_empty()).then_some(country);
            }
            10 => debtor.cpr_cvr = Some(record.digits(83, 92, "CPR/CVR no.")?),
            _ => {
                record.digits(43, 51, "agreement no.")?;
                debtor.name_address.push(record.text(52, 86));
            }
        }
        self.n022 += 1;
        Ok(())
    }

    fn payment(&mut self, record: &Record) -> Result<(), ParseError> {
        let code = self.section.section;
        let customer_no = record.text(28, 42);
        let debtor = self.debtor.take();
        if let Some(debtor) = &debtor {
            if debtor.customer_no != customer_no {
                return Err(record.error(
                    28,
                    "customer no.",
                    format!("'{}'", record.text(28, 42)),
                    format!(
                        "'{}' as in the BS022 record on line {}",
                        debtor.customer_no, debtor.line
                    ),
                ));
            }
        }
        let agreement_no = record.digits(43, 51, "agreement no.")?;
        let payment_date = record.required_date(52, DateLayout::Ddmmyyyy, "payment date")?;
        let sign = record.sign(60, code == Bs0601SectionCode::Payments)?;
        let amount = record.amount(61, 73, "amount", sign)?;
        let reference = record.text(74, code.reference_end());
        let (name_address, postcode, country, cpr_cvr) = match debtor {
            Some(d) => (d.name_address, d.postcode, d.country, d.cpr_cvr),
            None => (Vec::new(), None, None, None),
        };
        self.section.payments.push(Bs0601Payment {
            customer_no,
            agreement_no,
            payment_date,
            amount,
            reference,
            name_address,
            postcode,
            country,
            cpr_cvr,
            texts: Vec::new(),
        });
        Ok(())
    }

    fn text(&mut self, record: &Record) -> Result<(), ParseError> {
        let payment = match (&self.debtor, self.section.payments.last_mut()) {
            (None, Some(payment)) => payment,
            _ => {
                return Err(record.error(
                    1,
                    "record order",
                    "a BS052 text record before its payment",
                    "it after its BS042 payment record",
                ))
            }
        };
        let customer_no = record.text(28, 42);
        if customer_no != payment.customer_no {
            return Err(record.error(
                28,
                "customer no.",
                format!("'{}'", record.text(28, 42)),
                format!(
                    "'{}' as in the payment record before it",
                    payment.customer_no
                ),
            ));
        }
        let record_no = record.number(18, 22, "record no.")?;
        if record_no != payment.texts.len() as u64 + 1 {
            return Err(record.error(
                18,
                "record no.",
                quoted(record.bytes(18, 22)),
                format!(
                    "'{:05}' (text records count from 00001 per payment)",
                    payment.texts.len() + 1
                ),
            ));
        }
        record.digits(43, 51, "agreement no.")?;
        payment.texts.push(record.text(53, 112));
        self.n052 += 1;
        Ok(())
    }
}

impl SectionReader for Reader0601 {
    type Output = Bs0601Section;
    const GROUP: (usize, usize) = GROUP;
    const AMOUNT_MEANING: &'static str =
        "the net amount of the section's payments: collections minus deposits";

    fn start(id: SectionId, record: &Record) -> Result<Self, ParseError> {
        let section = Bs0601SectionCode::from_code(&id.section).ok_or_else(|| {
            record.error(
                14,
                "section",
                quoted(record.bytes(14, 17)),
                "0112 or 0117 (sections 0113 and 0118 are not supported)",
            )
        })?;
        let section = Bs0601Section {
            section,
            creditor_pbs: id.creditor_pbs.clone(),
            debtor_group: id.debtor_group.clone(),
            data_supplier_ident: record.text(28, 42),
            date: record.date(47, DateLayout::Ddmmyyyy, "date")?,
            reg_no: record.digits_or_blank(55, 58, "reg. no.")?,
            account_no: record.digits_or_blank(59, 68, "account no.")?,
            main_text: record.text(69, 128),
            payments: Vec::new(),
        };
        Ok(Reader0601 {
            id,
            section,
            debtor: None,
            n022: 0,
            n052: 0,
        })
    }

    fn record(&mut self, record: &Record) -> Result<(), ParseError> {
        self.id.check_member(record, GROUP)?;
        let expected_code = match record.bytes(1, 5) {
            b"BS022" => "0240",
            b"BS042" => self.section.section.payment_code(),
            _ => "0241",
        };
        if record.bytes(14, 17) != expected_code.as_bytes() {
            return Err(record.error(
                14,
                "transaction code",
                quoted(record.bytes(14, 17)),
                format!(
                    "{expected_code} for a {} record in section {}",
                    record.text(1, 5),
                    self.id.section
                ),
            ));
        }
        match record.bytes(1, 5) {
            b"BS022" => self.name_address(record),
            b"BS042" => self.payment(record),
            _ => self.text(record),
        }
    }

    fn counts(&self) -> Counts {
        Counts {
            n022: self.n022,
            n042: self.section.payments.len() as u64,
            n052: self.n052,
            amount: bs0601_net_amount(&self.section.payments),
        }
    }

    fn finish(self, end: &Record) -> Result<Bs0601Section, ParseError> {
        if let Some(debtor) = &self.debtor {
            return Err(end.error(
                1,
                "section end",
                "a BS092 record",
                format!(
                    "a BS042 payment record for the name and address records from line {}",
                    debtor.line
                ),
            ));
        }
        Ok(self.section)
    }
}

pub(crate) fn parse(lines: &mut Lines<'_>, start: BsStart) -> Result<Bs0601Delivery, ParseError> {
    let sections = bs::read_sections::<Reader0601>(lines, &start)?;
    Ok(Bs0601Delivery {
        data_supplier_cvr: start.data_supplier_cvr,
        system_code: start.system_code,
        delivery_id: start.delivery_id,
        created: start.created,
        sections,
    })
}

/// Writes a 0601 delivery: records of 128 characters, trailing blanks stripped, CR LF after
/// each; the BS092 and BS992 counts and amounts are computed here.
pub fn render_bs0601(delivery: &Bs0601Delivery) -> Result<String, RenderError> {
    let mut w = Bs0601Writer::start(delivery)?;
    for section in &delivery.sections {
        w.section(section)?;
        for payment in &section.payments {
            w.payment(payment)?;
        }
    }
    w.finish()
}

/// Writes a 0601 delivery record by record, for a delivery too large to hold whole (an
/// export of a million charges): the caller gives the sections and payments one at a time
/// and takes the text written so far whenever it likes ([`Bs0601Writer::take_text`]). The
/// counts and amounts of the BS092 and BS992 records are summed on the way.
/// [`render_bs0601`] writes through it, so both give the same bytes.
pub struct Bs0601Writer {
    w: Writer,
    start: BsStart,
    /// The open section (its `payments` stay empty) and what it holds so far.
    section: Option<(Bs0601Section, SectionTally)>,
    sections: u64,
    totals: Counts,
}

/// The counts of the open section; collections and deposits apart, because the BS092 amount
/// is their difference ([`bs0601_net_amount`]).
#[derive(Default)]
struct SectionTally {
    counts: Counts,
    collections: u128,
    deposits: u128,
}

impl Bs0601Writer {
    /// Writes the BS002 start record of `delivery` (its sections are not looked at).
    pub fn start(delivery: &Bs0601Delivery) -> Result<Bs0601Writer, RenderError> {
        let mut w = Writer::new(BS_WIDTH);
        let start = BsStart {
            line: 1,
            data_supplier_cvr: delivery.data_supplier_cvr.clone(),
            system_code: delivery.system_code.clone(),
            delivery_type: "0601".to_string(),
            delivery_id: delivery.delivery_id,
            created: delivery.created,
        };
        bs::write_start(&mut w, &start)?;
        Ok(Bs0601Writer {
            w,
            start,
            section: None,
            sections: 0,
            totals: Counts::default(),
        })
    }

    /// Ends the open section, if any, and writes the BS012 record of `section` (its payments
    /// are not written: give them to [`Bs0601Writer::payment`]).
    pub fn section(&mut self, section: &Bs0601Section) -> Result<(), RenderError> {
        self.end_section()?;
        write_section_start(&mut self.w, section)?;
        let open = Bs0601Section {
            section: section.section,
            creditor_pbs: section.creditor_pbs.clone(),
            debtor_group: section.debtor_group.clone(),
            data_supplier_ident: section.data_supplier_ident.clone(),
            date: section.date,
            reg_no: section.reg_no.clone(),
            account_no: section.account_no.clone(),
            main_text: section.main_text.clone(),
            payments: Vec::new(),
        };
        self.section = Some((open, SectionTally::default()));
        Ok(())
    }

    /// Writes one payment of the open section: its 022, 042 and 052 records.
    pub fn payment(&mut self, payment: &Bs0601Payment) -> Result<(), RenderError> {
        let Some((section, tally)) = self.section.as_mut() else {
            let line = self.w.line("BS042");
            return Err(line.error(
                "record order",
                "a payment before its section",
                "a BS012 section start first",
            ));
        };
        write_payment(&mut self.w, section, payment)?;
        tally.counts.n042 += 1;
        tally.counts.n022 += payment.name_address.len() as u64
            + u64::from(payment.postcode.is_some() || payment.country.is_some())
            + u64::from(payment.cpr_cvr.is_some());
        tally.counts.n052 += payment.texts.len() as u64;
        let ore = u128::from(payment.amount.ore().unsigned_abs());
        if payment.amount.is_negative() {
            tally.deposits += ore;
        } else {
            tally.collections += ore;
        }
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

    /// Ends the open section and writes the BS992 end record; returns the text not taken yet.
    pub fn finish(mut self) -> Result<String, RenderError> {
        self.end_section()?;
        bs::write_end(&mut self.w, &self.start, self.sections, self.totals)?;
        Ok(self.w.finish())
    }

    fn end_section(&mut self) -> Result<(), RenderError> {
        let Some((section, tally)) = self.section.take() else {
            return Ok(());
        };
        let counts = Counts {
            amount: tally.collections.abs_diff(tally.deposits),
            ..tally.counts
        };
        bs::write_section_end(&mut self.w, &section.id(), GROUP, counts)?;
        self.totals.add(counts);
        self.sections += 1;
        Ok(())
    }
}

/// The BS012 record of a section.
fn write_section_start(w: &mut Writer, section: &Bs0601Section) -> Result<(), RenderError> {
    let mut line = w.line("BS012");
    line.fixed(1, "BS012");
    line.digits(6, 13, "PBS no.", &section.creditor_pbs)?;
    line.fixed(14, section.section.code());
    line.digits(23, 27, "debtor group", &section.debtor_group)?;
    line.text(
        28,
        42,
        "data supplier identification",
        &section.data_supplier_ident,
    )?;
    line.date(47, DateLayout::Ddmmyyyy, "date", section.date)?;
    line.digits_or_blank(55, 58, "reg. no.", &section.reg_no)?;
    line.digits_or_blank(59, 68, "account no.", &section.account_no)?;
    line.text(69, 128, "main text line", &section.main_text)?;
    w.push(line);
    Ok(())
}

/// The fields every record of a payment shares: PBS no. (6–13), debtor group (23–27) and
/// customer no. (28–42), checked once; `record` names the payment's first record in errors.
fn payment_fields(
    w: &Writer,
    record: &'static str,
    section: &Bs0601Section,
    customer_no: &str,
) -> Result<Line, RenderError> {
    let mut line = w.line(record);
    line.digits(6, 13, "PBS no.", &section.creditor_pbs)?;
    line.digits(23, 27, "debtor group", &section.debtor_group)?;
    line.text(28, 42, "customer no.", customer_no)?;
    Ok(line)
}

/// The first 42 positions of a 022, 042 or 052 record of a payment: record type, transaction
/// code and record no. on a copy of the payment's `shared` fields ([`payment_fields`]).
fn member_line(
    w: &Writer,
    shared: &Line,
    record: &'static str,
    code: &str,
    record_no: u64,
) -> Result<Line, RenderError> {
    let mut line = w.line_from(record, shared);
    line.fixed(1, record.get(..5).unwrap_or(record));
    line.fixed(14, code);
    line.number(18, 22, "record no.", u128::from(record_no))?;
    Ok(line)
}

fn write_payment(
    w: &mut Writer,
    section: &Bs0601Section,
    payment: &Bs0601Payment,
) -> Result<(), RenderError> {
    if payment.name_address.len() > 5 {
        let line = w.line("BS022/0240");
        return Err(line.error(
            "name and address",
            format!("{} lines", payment.name_address.len()),
            "at most 5 lines (records 00001-00005)",
        ));
    }
    let has_postcode = payment.postcode.is_some() || payment.country.is_some();
    let code = section.section;
    let record = match code {
        Bs0601SectionCode::Payments => "BS042/0280",
        Bs0601SectionCode::ShortNoticeSlips => "BS042/0285",
    };
    let first = if payment.name_address.is_empty() && !has_postcode && payment.cpr_cvr.is_none() {
        record
    } else {
        "BS022/0240"
    };
    let shared = payment_fields(w, first, section, &payment.customer_no)?;

    for (index, text) in payment.name_address.iter().enumerate() {
        let mut line = member_line(w, &shared, "BS022/0240", "0240", index as u64 + 1)?;
        line.fixed(43, "000000000");
        line.text(52, 86, "name and address line", text)?;
        w.push(line);
    }
    if has_postcode {
        let mut line = member_line(w, &shared, "BS022/0240", "0240", 9)?;
        line.fixed(43, "000000000");
        line.text(
            67,
            70,
            "postcode",
            payment.postcode.as_deref().unwrap_or(""),
        )?;
        line.text(71, 73, "country", payment.country.as_deref().unwrap_or(""))?;
        w.push(line);
    }
    if let Some(cpr_cvr) = &payment.cpr_cvr {
        let mut line = member_line(w, &shared, "BS022/0240", "0240", 10)?;
        line.digits(83, 92, "CPR/CVR no.", cpr_cvr)?;
        w.push(line);
    }

    let mut line = member_line(w, &shared, record, code.payment_code(), 0)?;
    line.digits(43, 51, "agreement no.", &payment.agreement_no)?;
    line.date(
        52,
        DateLayout::Ddmmyyyy,
        "payment date",
        Some(payment.payment_date),
    )?;
    let sign = sign_of(payment.amount);
    if sign == Sign::Deposit && code == Bs0601SectionCode::ShortNoticeSlips {
        return Err(line.error(
            "amount",
            payment.amount.to_string(),
            "no deposit (sign code 2) on a payment slip",
        ));
    }
    line.fixed(60, sign_code(sign));
    line.amount(61, 73, "amount", payment.amount)?;
    line.text(
        74,
        code.reference_end(),
        "creditor's reference",
        &payment.reference,
    )?;
    line.fixed(104, "00");
    w.push(line);

    for (index, text) in payment.texts.iter().enumerate() {
        let mut line = member_line(w, &shared, "BS052/0241", "0241", index as u64 + 1)?;
        line.digits(43, 51, "agreement no.", &payment.agreement_no)?;
        line.text(53, 112, "text line", text)?;
        w.push(line);
    }
    Ok(())
}

pub(crate) fn sign_of(amount: Amount) -> Sign {
    if amount.is_negative() {
        Sign::Deposit
    } else if amount.is_zero() {
        Sign::None
    } else {
        Sign::Withdrawal
    }
}

pub(crate) fn sign_code(sign: Sign) -> &'static str {
    match sign {
        Sign::None => "0",
        Sign::Withdrawal => "1",
        Sign::Deposit => "2",
    }
}
