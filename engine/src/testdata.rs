//! A builder for [`RunData`] in unit tests, so that a test case reads as a few lines of data.
//!
//! ```text
//! Run::new().bs_basis("BS").enrolled("100100")
//!     .entry("E1", "100100", "2026-07-01", "1000.00")
//!     .line("E1", "2026-07-01")
//!     .build()
//! ```
//!
//! Defaults are the ordinary case (DKK, an invoice number, invoice lines, a CVR number, an
//! enrolled mandate since 2000 when asked for), so a test only states what it is about. The
//! "current format" is the last one added; debtors, mandates and lines use it.

// A builder offers more than any one module's tests use.
#![allow(dead_code)]

use crate::model::{
    BankingDayAction, BsType, ChargingPrinciple, Debtor, Mandate, MandateStatus, PaymentFormat,
    PaymentLine, RunData, Scheme, Status, TaxId,
};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use ledger::{Amount, Entry, Id};

/// `2026-07-01` as a date; panics on a typo, which is what a test wants.
pub fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// `2026-05-21 17:29` (or with a `T`) as a Danish local time.
pub fn time(text: &str) -> NaiveDateTime {
    let text = text.replace('T', " ");
    NaiveDateTime::parse_from_str(&text, "%Y-%m-%d %H:%M").unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// The Danish calendar, built once for all tests.
pub fn cal() -> &'static bankcal::Calendar {
    static CALENDAR: std::sync::OnceLock<bankcal::Calendar> = std::sync::OnceLock::new();
    CALENDAR.get_or_init(bankcal::Calendar::danish)
}

/// `1000.00` as an amount.
pub fn amount(text: &str) -> Amount {
    Amount::parse(text).unwrap_or_else(|e| panic!("{e}"))
}

pub struct Run {
    data: RunData,
    format: Option<Id>,
    next_line: i64,
}

impl Run {
    pub fn new() -> Run {
        Run {
            data: RunData::default(),
            format: None,
            next_line: 1,
        }
    }

    fn add_format(mut self, id: &str, scheme: Scheme, bs_type: Option<BsType>) -> Run {
        let (creditor, cutoff) = match scheme {
            Scheme::Bs => ("12345678", NaiveTime::from_hms_opt(17, 30, 0)),
            Scheme::Ls => ("12345", NaiveTime::from_hms_opt(15, 0, 0)),
        };
        let format = PaymentFormat {
            id: id.into(),
            scheme,
            bs_type,
            creditor_number: creditor.to_string(),
            supplier_cvr: "11223344".to_string(),
            debtor_group: "00001".to_string(),
            system_code: "BS1".to_string(),
            principle: ChargingPrinciple::Standard,
            bank_account: Some("5850".to_string()),
            journal: "Day".to_string(),
            banking_day_action: BankingDayAction::After,
            cutoff: cutoff.unwrap_or_default(),
            extended_deadline: false,
            allow_without_invoice: false,
            block_payouts: false,
            create_payment_id: false,
            debtor_account_as_mandate: true,
        };
        self.data.formats.insert(id.into(), format);
        self.format = Some(id.into());
        self
    }

    /// Adds a Betalingsservice Basis format and makes it current.
    pub fn bs_basis(self, id: &str) -> Run {
        self.add_format(id, Scheme::Bs, Some(BsType::Basis))
    }

    /// Adds a Betalingsservice Total format and makes it current.
    pub fn bs_total(self, id: &str) -> Run {
        self.add_format(id, Scheme::Bs, Some(BsType::Total))
    }

    /// Adds a Leverandørservice format and makes it current.
    pub fn ls(self, id: &str) -> Run {
        self.add_format(id, Scheme::Ls, None)
    }

    /// Changes the current format.
    pub fn format_with(mut self, change: impl FnOnce(&mut PaymentFormat)) -> Run {
        let id = self.current_format();
        change(self.data.formats.get_mut(&id).expect("current format"));
        self
    }

    fn current_format(&self) -> Id {
        self.format.clone().expect("add a format first")
    }

    /// Adds a debtor (with a CVR number) who pays through the current format.
    pub fn debtor(self, account: &str) -> Run {
        self.debtor_with(account, |_| {})
    }

    pub fn debtor_with(mut self, account: &str, change: impl FnOnce(&mut Debtor)) -> Run {
        let mut debtor = Debtor {
            account: account.into(),
            name: format!("Debtor {account}").into(),
            tax_id: Some(TaxId::Cvr("12345678".into())),
            address: "Vej 1".into(),
            postcode: "8000".into(),
            city: "Aarhus C".into(),
            country: "DK".into(),
            email: Default::default(),
            payment_format: self.format.clone(),
        };
        change(&mut debtor);
        self.data.debtors.insert(debtor);
        self
    }

    /// Adds a debtor with a mandate of the current format, enrolled since 2000.
    pub fn enrolled(self, account: &str) -> Run {
        self.debtor(account).mandate(account)
    }

    /// Adds a mandate of the current format for a debtor, enrolled since 2000-01-01.
    pub fn mandate(self, debtor: &str) -> Run {
        self.mandate_with(debtor, |_| {})
    }

    pub fn mandate_with(mut self, debtor: &str, change: impl FnOnce(&mut Mandate)) -> Run {
        let mut mandate = Mandate {
            mandate_id: debtor.to_uppercase().into(),
            debtor: debtor.into(),
            payment_format: self.current_format(),
            status: MandateStatus::Enrolled,
            agreement: Some("000000001".into()),
            start_date: Some(date("2000-01-01")),
            end_date: None,
            alt_mandate_id: None,
        };
        change(&mut mandate);
        self.data.mandates.insert(mandate);
        self
    }

    /// Adds an open entry (invoice number = entry id, remaining = amount, DKK, invoice lines).
    pub fn entry(self, id: &str, debtor: &str, due: &str, amt: &str) -> Run {
        self.entry_with(id, debtor, due, amt, |_| {})
    }

    pub fn entry_with(
        mut self,
        id: &str,
        debtor: &str,
        due: &str,
        amt: &str,
        change: impl FnOnce(&mut Entry),
    ) -> Run {
        let mut entry = Entry {
            entry_id: id.into(),
            debtor: debtor.into(),
            date: None,
            due_date: date(due),
            invoice: Some(id.into()),
            amount: amount(amt),
            remaining: amount(amt),
            currency: "DKK".into(),
            text: Id::default(),
            has_invoice_lines: true,
            payment_id: None,
        };
        change(&mut entry);
        self.data.entries.insert(entry);
        self
    }

    /// Adds a blank payment line for an entry, in its debtor's payment format (or the current
    /// format when the debtor has none or is unknown).
    pub fn line(mut self, entry_id: &str, payment_date: &str) -> Run {
        let debtor = self
            .data
            .entries
            .get(entry_id)
            .map(|e| e.debtor.clone())
            .unwrap_or_default();
        let format_id = self
            .data
            .debtors
            .get(&debtor)
            .and_then(|d| d.payment_format.clone())
            .unwrap_or_else(|| self.current_format());
        let line = PaymentLine::blank(
            self.next_line,
            entry_id.into(),
            debtor,
            format_id,
            date(payment_date),
        );
        self.next_line += 1;
        self.data.lines.push(line);
        self
    }

    /// Changes the last line added.
    pub fn line_with(mut self, change: impl FnOnce(&mut PaymentLine)) -> Run {
        change(self.data.lines.last_mut().expect("add a line first"));
        self
    }

    /// An entry due on `payment_date` and a blank line for it on that date.
    pub fn charge(self, entry_id: &str, debtor: &str, payment_date: &str, amt: &str) -> Run {
        self.entry(entry_id, debtor, payment_date, amt)
            .line(entry_id, payment_date)
    }

    /// Marks the last line as sent on `sent` with the given status.
    pub fn sent(self, status: Status, sent: &str) -> Run {
        let sent = date(sent);
        self.line_with(|l| {
            l.status = status;
            l.date_sent = Some(sent);
            l.reference = Some(ledger::format_id!("REF{}", l.id));
        })
    }

    pub fn build(self) -> RunData {
        self.data
    }
}

/// Applies a suggestion the way the store would: removed lines go, new blank lines get the
/// next ids.
pub fn apply_suggestion(data: &mut RunData, plan: &crate::suggest::SuggestPlan) {
    data.lines.retain(|l| !plan.remove.contains(&l.id));
    let first = data.lines.iter().map(|l| l.id).max().unwrap_or(0) + 1;
    for (id, new) in (first..).zip(&plan.new_lines) {
        data.lines.push(new.clone().into_line(id));
    }
}

/// Applies a collect plan: every line it considered gets its new group.
pub fn apply_collect(data: &mut RunData, plan: &crate::collect::CollectPlan) {
    for line in &mut data.lines {
        if let Some(group) = plan.group_of(line.id) {
            line.group = Some(group.into());
        }
    }
}
