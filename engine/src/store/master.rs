//! Master data: payment formats, debtors, mandates.

use super::codec::{
    cutoff_text, debtor_from_row, format_from_row, mandate_from_row, DEBTOR_COLUMNS,
    FORMAT_COLUMNS, MANDATE_COLUMNS,
};
use super::{CompanyKey, Store};
use crate::error::{Error, Result};
use crate::model::{Debtor, Mandate, PaymentFormat};
use crate::payment_format::{banking_day_action_id, bs_type_id, principle_id, scheme_id, validate};
use rusqlite::OptionalExtension;

impl Store {
    /// Adds a payment format to a company after checking it
    /// ([`crate::payment_format::validate`]); an id the company already has is refused with
    /// [`Error::FormatExists`].
    pub fn add_format(&mut self, company: &CompanyKey, format: &PaymentFormat) -> Result<()> {
        validate(format)?;
        let tx = self.write()?;
        let exists = tx
            .query_row(
                "SELECT 1 FROM payment_formats WHERE company = ?1 AND id = ?2",
                (company.key, format.id.as_str()),
                |_| Ok(()),
            )
            .optional()?
            .is_some();
        if exists {
            return Err(Error::FormatExists(format.id.to_string()));
        }
        tx.execute(
            &format!(
                "INSERT INTO payment_formats (company, {FORMAT_COLUMNS}) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)"
            ),
            rusqlite::params![
                company.key,
                format.id.as_str(),
                scheme_id(format.scheme),
                format.bs_type.map(bs_type_id),
                format.creditor_number,
                format.supplier_cvr,
                format.debtor_group,
                format.system_code,
                principle_id(format.principle),
                format.bank_account,
                format.journal,
                banking_day_action_id(format.banking_day_action),
                cutoff_text(format.cutoff),
                format.extended_deadline,
                format.allow_without_invoice,
                format.block_payouts,
                format.create_payment_id,
                format.debtor_account_as_mandate,
            ],
        )?;
        tx.commit()?;
        tracing::info!(company = company.id(), format = %format.id, "payment format added");
        Ok(())
    }

    /// A company's payment formats, by id.
    pub fn formats(&self, company: &CompanyKey) -> Result<Vec<PaymentFormat>> {
        let mut statement = self.conn.prepare_cached(&format!(
            "SELECT {FORMAT_COLUMNS} FROM payment_formats WHERE company = ?1 ORDER BY id"
        ))?;
        let formats = statement
            .query_map([company.key], format_from_row)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(formats)
    }

    /// A company's debtors, by account.
    pub fn debtors(&self, company: &CompanyKey) -> Result<Vec<Debtor>> {
        let mut statement = self.conn.prepare_cached(&format!(
            "SELECT {DEBTOR_COLUMNS} FROM debtors WHERE company = ?1 ORDER BY account"
        ))?;
        let debtors = statement
            .query_map([company.key], debtor_from_row)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(debtors)
    }

    /// A company's mandates, all or one debtor's, by mandate id.
    pub fn mandates(&self, company: &CompanyKey, debtor: Option<&str>) -> Result<Vec<Mandate>> {
        let mandates = match debtor {
            None => self
                .conn
                .prepare_cached(&format!(
                    "SELECT {MANDATE_COLUMNS} FROM mandates WHERE company = ?1 ORDER BY mandate_id"
                ))?
                .query_map([company.key], mandate_from_row)?
                .collect::<rusqlite::Result<_>>()?,
            Some(debtor) => self
                .conn
                .prepare_cached(&format!(
                    "SELECT {MANDATE_COLUMNS} FROM mandates WHERE company = ?1 AND debtor = ?2 \
                     ORDER BY mandate_id"
                ))?
                .query_map((company.key, debtor), mandate_from_row)?
                .collect::<rusqlite::Result<_>>()?,
        };
        Ok(mandates)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::TempDir;
    use super::*;
    use crate::model::{BankingDayAction, BsType, ChargingPrinciple, Scheme};
    use crate::payment_format::with_defaults;
    use chrono::NaiveTime;

    #[test]
    fn formats_round_trip_and_duplicates_are_refused() {
        let dir = TempDir::new();
        let mut store = Store::open(dir.path().join("p.db")).unwrap();
        let company = store.create_company("main", "Main").unwrap();
        let mut total = with_defaults("BS-T", Scheme::Bs, "00012345", "11223344");
        total.bs_type = Some(BsType::Total);
        total.principle = ChargingPrinciple::Remaining;
        total.bank_account = Some("5850".into());
        total.banking_day_action = BankingDayAction::Before;
        total.cutoff = NaiveTime::from_hms_opt(16, 45, 0).unwrap();
        total.extended_deadline = true;
        total.allow_without_invoice = true;
        total.block_payouts = true;
        total.create_payment_id = true;
        total.debtor_account_as_mandate = true;
        let ls = with_defaults("LS", Scheme::Ls, "12345", "11223344");
        store.add_format(&company, &ls).unwrap();
        store.add_format(&company, &total).unwrap();
        assert_eq!(store.formats(&company).unwrap(), vec![total.clone(), ls]);
        assert_eq!(
            store.add_format(&company, &total).unwrap_err().to_string(),
            "payment format 'BS-T' already exists in this company: choose another id"
        );
        let mut bad = total.clone();
        bad.id = "BS2".into();
        bad.creditor_number = "123".into();
        assert_eq!(
            store.add_format(&company, &bad).unwrap_err().to_string(),
            "payment format 'BS2': creditor number '123' must be 8 digits for BS"
        );
        assert_eq!(store.formats(&company).unwrap().len(), 2);
    }
}
