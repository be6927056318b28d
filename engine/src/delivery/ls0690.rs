//! LS 0690: receipt and remarks from Leverandørservice (formats.md §7.1).
//!
//! Detail records by transaction code (14–17): 0900 receipt for a payment date, 0910 remark
//! (anmærkning), 0920 comment (bemærkning), 0930 change (ændring). Single source (UC's parser):
//! codes and error numbers are read as text, so a blank or alphanumeric value is kept rather
//! than refused.

use chrono::NaiveDate;
use ledger::Amount;

use super::error::{quoted, ParseError, RenderError};
use super::ls::{self, LsStart};
use super::reader::{DateLayout, Lines, Record};
use super::writer::Writer;
use super::BS_WIDTH;

/// An LS 0690 delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ls0690Delivery {
    pub data_supplier_cvr: String,
    /// `TEST` at 46–49 of the LS002.
    pub test: bool,
    pub created: Option<NaiveDate>,
    pub records: Vec<Ls0690Record>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ls0690Record {
    /// `0900` receipt for the collections of one payment date.
    Receipt(Ls0690Receipt),
    /// `0910` remark: a payment or mandate was refused.
    Remark(Ls0690Remark),
    /// `0920` comment: information, the payment went through.
    Comment(Ls0690Comment),
    /// `0930` change of creditor or customer number.
    Change(Ls0690Change),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ls0690Receipt {
    /// LS creditor number, 5 digits.
    pub creditor_no: String,
    /// Number of mandates/debtors (18–24).
    pub debtors: u64,
    pub payment_date: NaiveDate,
    pub creditor_reg_no: String,
    pub creditor_account_no: String,
    /// Number of collections (45–51) and their total (52–64).
    pub collections: u64,
    pub collection_amount: Amount,
    /// Number of disbursements (65–71) and their total (72–84), a positive amount.
    pub payouts: u64,
    pub payout_amount: Amount,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ls0690Remark {
    pub creditor_no: String,
    pub remark_code: String,
    pub customer_no: String,
    /// Debtor CVR (8 digits), or empty when blank.
    pub debtor_cvr: String,
    pub debtor_reg_no: String,
    pub debtor_account_no: String,
    pub payment_date: Option<NaiveDate>,
    pub amount: Amount,
    pub error_no: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ls0690Comment {
    pub creditor_no: String,
    pub comment_code: String,
    pub customer_no: String,
    pub payment_date: Option<NaiveDate>,
    pub amount: Amount,
    pub error_no: String,
    pub creditor_reg_no: String,
    pub creditor_account_no: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ls0690Change {
    pub creditor_no: String,
    pub change_date: Option<NaiveDate>,
    pub current_creditor_no: String,
    pub current_customer_no: String,
    pub new_creditor_no: String,
    pub new_customer_no: String,
}

fn parse_record(record: &Record) -> Result<Ls0690Record, ParseError> {
    let creditor_no = record.digits(9, 13, "creditor no.")?;
    Ok(match record.bytes(14, 17) {
        b"0900" => Ls0690Record::Receipt(Ls0690Receipt {
            creditor_no,
            debtors: record.number(18, 24, "number of debtors")?,
            payment_date: record.required_date(25, DateLayout::Yymmdd, "payment date")?,
            creditor_reg_no: record.digits_or_blank(31, 34, "creditor reg. no.")?,
            creditor_account_no: record.digits_or_blank(35, 44, "creditor account no.")?,
            collections: record.number(45, 51, "number of collections")?,
            collection_amount: record.unsigned_amount(52, 64, "collection amount")?,
            payouts: record.number(65, 71, "number of disbursements")?,
            payout_amount: record.unsigned_amount(72, 84, "disbursement amount")?,
        }),
        b"0910" => Ls0690Record::Remark(Ls0690Remark {
            creditor_no,
            remark_code: record.text(18, 20),
            customer_no: record.text(21, 35),
            debtor_cvr: record.digits_or_blank(36, 43, "debtor CVR")?,
            debtor_reg_no: record.digits_or_blank(44, 47, "debtor reg. no.")?,
            debtor_account_no: record.digits_or_blank(48, 57, "debtor account no.")?,
            payment_date: record.date(58, DateLayout::Yymmdd, "payment date")?,
            amount: record.unsigned_amount(64, 76, "amount")?,
            error_no: record.text(77, 80),
        }),
        b"0920" => Ls0690Record::Comment(Ls0690Comment {
            creditor_no,
            comment_code: record.text(18, 20),
            customer_no: record.text(21, 35),
            payment_date: record.date(36, DateLayout::Yymmdd, "payment date")?,
            amount: record.unsigned_amount(42, 54, "amount")?,
            error_no: record.text(55, 58),
            creditor_reg_no: record.digits_or_blank(59, 62, "creditor reg. no.")?,
            creditor_account_no: record.digits_or_blank(63, 72, "creditor account no.")?,
        }),
        b"0930" => Ls0690Record::Change(Ls0690Change {
            creditor_no,
            change_date: record.date(18, DateLayout::Yymmdd, "change date")?,
            current_creditor_no: record.digits(24, 28, "current creditor no.")?,
            current_customer_no: record.text(29, 43),
            new_creditor_no: record.digits(44, 48, "new creditor no.")?,
            new_customer_no: record.text(49, 63),
        }),
        other => {
            return Err(record.error(
                14,
                "transaction code",
                quoted(other),
                "0900, 0910, 0920 or 0930 in an LS 0690 delivery",
            ))
        }
    })
}

pub(crate) fn parse(lines: &mut Lines<'_>, start: LsStart) -> Result<Ls0690Delivery, ParseError> {
    let mut records = Vec::new();
    ls::read_details(lines, &start, |record| {
        records.push(parse_record(record)?);
        Ok(())
    })?;
    Ok(Ls0690Delivery {
        data_supplier_cvr: start.data_supplier_cvr,
        test: start.test,
        created: start.created,
        records,
    })
}

/// Writes an LS 0690 delivery (used by the bank simulator and tests).
pub fn render_ls0690(delivery: &Ls0690Delivery) -> Result<String, RenderError> {
    let mut w = Writer::new(BS_WIDTH);
    let cvr = &delivery.data_supplier_cvr;
    ls::write_start(&mut w, cvr, "0690", delivery.test, delivery.created)?;
    for record in &delivery.records {
        let line = match record {
            Ls0690Record::Receipt(r) => {
                let mut line = ls::detail_line(&w, "LS042/0900", &r.creditor_no, "0900")?;
                line.number(18, 24, "number of debtors", u128::from(r.debtors))?;
                line.date(25, DateLayout::Yymmdd, "payment date", Some(r.payment_date))?;
                line.digits_or_blank(31, 34, "creditor reg. no.", &r.creditor_reg_no)?;
                line.digits_or_blank(35, 44, "creditor account no.", &r.creditor_account_no)?;
                line.number(45, 51, "number of collections", u128::from(r.collections))?;
                line.unsigned_amount(52, 64, "collection amount", r.collection_amount)?;
                line.number(65, 71, "number of disbursements", u128::from(r.payouts))?;
                line.unsigned_amount(72, 84, "disbursement amount", r.payout_amount)?;
                line
            }
            Ls0690Record::Remark(r) => {
                let mut line = ls::detail_line(&w, "LS042/0910", &r.creditor_no, "0910")?;
                line.text(18, 20, "remark code", &r.remark_code)?;
                line.text(21, 35, "customer no.", &r.customer_no)?;
                line.digits_or_blank(36, 43, "debtor CVR", &r.debtor_cvr)?;
                line.digits_or_blank(44, 47, "debtor reg. no.", &r.debtor_reg_no)?;
                line.digits_or_blank(48, 57, "debtor account no.", &r.debtor_account_no)?;
                line.date(58, DateLayout::Yymmdd, "payment date", r.payment_date)?;
                line.unsigned_amount(64, 76, "amount", r.amount)?;
                line.text(77, 80, "error no.", &r.error_no)?;
                line
            }
            Ls0690Record::Comment(r) => {
                let mut line = ls::detail_line(&w, "LS042/0920", &r.creditor_no, "0920")?;
                line.text(18, 20, "comment code", &r.comment_code)?;
                line.text(21, 35, "customer no.", &r.customer_no)?;
                line.date(36, DateLayout::Yymmdd, "payment date", r.payment_date)?;
                line.unsigned_amount(42, 54, "amount", r.amount)?;
                line.text(55, 58, "error no.", &r.error_no)?;
                line.digits_or_blank(59, 62, "creditor reg. no.", &r.creditor_reg_no)?;
                line.digits_or_blank(63, 72, "creditor account no.", &r.creditor_account_no)?;
                line
            }
            Ls0690Record::Change(r) => {
                let mut line = ls::detail_line(&w, "LS042/0930", &r.creditor_no, "0930")?;
                line.date(18, DateLayout::Yymmdd, "change date", r.change_date)?;
                line.digits(24, 28, "current creditor no.", &r.current_creditor_no)?;
                line.text(29, 43, "current customer no.", &r.current_customer_no)?;
                line.digits(44, 48, "new creditor no.", &r.new_creditor_no)?;
                line.text(49, 63, "new customer no.", &r.new_customer_no)?;
                line
            }
        };
        w.push(line);
    }
    ls::write_end(&mut w, cvr, "0690", delivery.records.len() as u64)?;
    Ok(w.finish())
}
