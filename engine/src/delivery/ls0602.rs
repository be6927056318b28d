//! LS 0602: payment information from Leverandørservice (formats.md §7.2).
//!
//! Detail records by transaction code (14–17): 0500 payment information (task totals), then per
//! payment 0580 collection completed, 0585 disbursement completed, 0530 rejected by the debtor,
//! 0540 cancelled (mandate cancelled before the payment date), 0555 charged back. Layout from
//! UC's parser only (single source); positions 41–49 are unused there, written as zeros here
//! and not read. Sign codes follow BS: 0 none, 1 to the creditor, 2 to the debtor (negative).

use chrono::NaiveDate;
use ledger::Amount;

use super::bs0601::{sign_code, sign_of};
use super::error::{quoted, ParseError, RenderError};
use super::ls::{self, LsStart};
use super::reader::{DateLayout, Lines, Record};
use super::writer::{Line, Writer};
use super::BS_WIDTH;

/// An LS 0602 delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ls0602Delivery {
    pub data_supplier_cvr: String,
    pub test: bool,
    pub created: Option<NaiveDate>,
    pub records: Vec<Ls0602Record>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ls0602Record {
    /// `0500` payment information: totals of one task (opgave).
    Task(Ls0602Task),
    /// `0580`/`0585`/`0530`/`0540`/`0555`: one payment's outcome.
    Payment(Ls0602Payment),
}

/// A `0500` record. The meaning of its three signed amounts is not documented (formats.md §9);
/// the bank simulator writes collections, disbursements and their net there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ls0602Task {
    pub creditor_no: String,
    /// Task number, 8 digits.
    pub task_no: String,
    pub amounts: [Amount; 3],
    pub creditor_reg_no: String,
    pub creditor_account_no: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ls0602PaymentCode {
    /// `0580` collection completed (gennemført træk).
    Collected,
    /// `0585` disbursement completed (gennemført indsættelse).
    PaidOut,
    /// `0530` rejected by the debtor (afvist).
    Rejected,
    /// `0540` cancelled: the mandate was cancelled before the payment date (afmeldt).
    Cancelled,
    /// `0555` charged back (tilbageført).
    ChargedBack,
}

impl Ls0602PaymentCode {
    pub fn code(self) -> &'static str {
        match self {
            Ls0602PaymentCode::Collected => "0580",
            Ls0602PaymentCode::PaidOut => "0585",
            Ls0602PaymentCode::Rejected => "0530",
            Ls0602PaymentCode::Cancelled => "0540",
            Ls0602PaymentCode::ChargedBack => "0555",
        }
    }

    fn from_code(code: &[u8]) -> Option<Ls0602PaymentCode> {
        match code {
            b"0580" => Some(Ls0602PaymentCode::Collected),
            b"0585" => Some(Ls0602PaymentCode::PaidOut),
            b"0530" => Some(Ls0602PaymentCode::Rejected),
            b"0540" => Some(Ls0602PaymentCode::Cancelled),
            b"0555" => Some(Ls0602PaymentCode::ChargedBack),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ls0602Payment {
    pub creditor_no: String,
    pub code: Ls0602PaymentCode,
    pub task_no: String,
    pub customer_no: String,
    pub payment_date: NaiveDate,
    /// Signed by the sign code at 56: negative = to the debtor (sign code 2).
    pub amount: Amount,
    pub creditor_reg_no: String,
    pub creditor_account_no: String,
}

fn parse_record(record: &Record) -> Result<Ls0602Record, ParseError> {
    let creditor_no = record.digits(9, 13, "creditor no.")?;
    let code = record.bytes(14, 17);
    if code == b"0500" {
        let mut amounts = [Amount::ZERO; 3];
        for (index, amount) in amounts.iter_mut().enumerate() {
            let at = 41 + 14 * index;
            let sign = record.sign(at, true)?;
            *amount = record.amount(at + 1, at + 13, "amount", sign)?;
        }
        return Ok(Ls0602Record::Task(Ls0602Task {
            creditor_no,
            task_no: record.digits(18, 25, "task no.")?,
            amounts,
            creditor_reg_no: record.digits_or_blank(83, 86, "creditor reg. no.")?,
            creditor_account_no: record.digits_or_blank(87, 96, "creditor account no.")?,
        }));
    }
    let code = Ls0602PaymentCode::from_code(code).ok_or_else(|| {
        record.error(
            14,
            "transaction code",
            quoted(code),
            "0500, 0580, 0585, 0530, 0540 or 0555 in an LS 0602 delivery",
        )
    })?;
    let sign = record.sign(56, true)?;
    Ok(Ls0602Record::Payment(Ls0602Payment {
        creditor_no,
        code,
        task_no: record.digits(18, 25, "task no.")?,
        customer_no: record.text(26, 40),
        payment_date: record.required_date(50, DateLayout::Yymmdd, "payment date")?,
        amount: record.amount(57, 69, "amount", sign)?,
        creditor_reg_no: record.digits_or_blank(70, 73, "creditor reg. no.")?,
        creditor_account_no: record.digits_or_blank(74, 83, "creditor account no.")?,
    }))
}

pub(crate) fn parse(lines: &mut Lines<'_>, start: LsStart) -> Result<Ls0602Delivery, ParseError> {
    let mut records = Vec::new();
    ls::read_details(lines, &start, |record| {
        records.push(parse_record(record)?);
        Ok(())
    })?;
    Ok(Ls0602Delivery {
        data_supplier_cvr: start.data_supplier_cvr,
        test: start.test,
        created: start.created,
        records,
    })
}

fn signed(line: &mut Line, at: usize, field: &str, amount: Amount) -> Result<(), RenderError> {
    line.fixed(at, sign_code(sign_of(amount)));
    line.amount(at + 1, at + 13, field, amount)
}

/// Writes an LS 0602 delivery (used by the bank simulator and tests).
pub fn render_ls0602(delivery: &Ls0602Delivery) -> Result<String, RenderError> {
    let mut w = Writer::new(BS_WIDTH);
    let cvr = &delivery.data_supplier_cvr;
    ls::write_start(&mut w, cvr, "0602", delivery.test, delivery.created)?;
    for record in &delivery.records {
        let line = match record {
            Ls0602Record::Task(t) => {
                let mut line = ls::detail_line(&w, "LS042/0500", &t.creditor_no, "0500")?;
                line.digits(18, 25, "task no.", &t.task_no)?;
                for (index, &amount) in t.amounts.iter().enumerate() {
                    signed(&mut line, 41 + 14 * index, "amount", amount)?;
                }
                line.digits_or_blank(83, 86, "creditor reg. no.", &t.creditor_reg_no)?;
                line.digits_or_blank(87, 96, "creditor account no.", &t.creditor_account_no)?;
                line
            }
            Ls0602Record::Payment(p) => {
                let mut line = ls::detail_line(&w, "LS042", &p.creditor_no, p.code.code())?;
                line.digits(18, 25, "task no.", &p.task_no)?;
                line.text(26, 40, "customer no.", &p.customer_no)?;
                line.number(41, 49, "filler", 0)?;
                line.date(50, DateLayout::Yymmdd, "payment date", Some(p.payment_date))?;
                signed(&mut line, 56, "amount", p.amount)?;
                line.digits_or_blank(70, 73, "creditor reg. no.", &p.creditor_reg_no)?;
                line.digits_or_blank(74, 83, "creditor account no.", &p.creditor_account_no)?;
                line
            }
        };
        w.push(line);
    }
    ls::write_end(&mut w, cvr, "0602", delivery.records.len() as u64)?;
    Ok(w.finish())
}
