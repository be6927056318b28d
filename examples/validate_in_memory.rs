//! Build a payment run in memory and validate it, without a database.
//!
//! An ERP host that keeps its own data can call payrun's pure core directly: fill a
//! `RunData` with payment formats, debtors, mandates, entries and payment lines, then ask
//! `validate` what would fail. Run it with `cargo run --example validate_in_memory`.

use payrun::bankcal::Calendar;
use payrun::engine::model::{Debtor, Mandate, MandateStatus, RunData, Scheme, TaxId};
use payrun::engine::{payment_format, suggest, validate};
use payrun::ledger::{Amount, Entry};

fn main() {
    let date = |text: &str| chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap();
    // "Now" is Danish local time: 4 May 2026, 09:00.
    let now = date("2026-05-04").and_hms_opt(9, 0, 0).unwrap();
    let calendar = Calendar::danish();

    let mut run = RunData::default();
    let format = payment_format::with_defaults("BS", Scheme::Bs, "09990001", "99887766");
    run.formats.insert(format.id.clone(), format);
    for (account, name, enrolled) in [
        ("100100", "Hansen ApS", true),
        ("100102", "Mette Nielsen", false),
    ] {
        run.debtors.insert(Debtor {
            account: account.into(),
            name: name.into(),
            tax_id: TaxId::parse("12345678").ok(),
            address: Default::default(),
            postcode: Default::default(),
            city: Default::default(),
            country: "DK".into(),
            email: Default::default(),
            payment_format: Some("BS".into()),
        });
        if enrolled {
            run.mandates.insert(Mandate {
                mandate_id: account.into(),
                debtor: account.into(),
                payment_format: "BS".into(),
                status: MandateStatus::Enrolled,
                agreement: Some("000000001".into()),
                start_date: Some(date("2025-01-01")),
                end_date: None,
                alt_mandate_id: None,
            });
        }
    }
    let entries = [
        ("E-1", "100100", "2026-06-01", Some("5001"), "1000.00"),
        ("E-2", "100100", "2026-05-18", Some("5002"), "250.50"), // the May deadline has passed
        ("E-3", "100102", "2026-06-01", None, "300.00"),         // no mandate, no invoice number
    ];
    for (entry_id, debtor, due, invoice, amount) in entries {
        let amount = Amount::parse(amount).unwrap();
        run.entries.insert(Entry {
            entry_id: entry_id.into(),
            debtor: debtor.into(),
            date: None,
            due_date: date(due),
            invoice: invoice.map(Into::into),
            amount,
            remaining: amount,
            currency: "DKK".into(),
            text: "".into(),
            has_invoice_lines: true,
            payment_id: None,
        });
    }

    // Let the core propose the lines, as `payrun suggest` would.
    let plan = suggest::suggest(&run, &calendar, now, false);
    for (id, new) in (1..).zip(plan.new_lines) {
        run.lines.push(new.into_line(id));
    }

    for result in validate::validate(&run, &calendar, now) {
        let line = run.lines.iter().find(|l| l.id == result.line).unwrap();
        if result.is_ok() {
            println!(
                "line {} ({}, {}): ok",
                line.id, line.entry_id, line.payment_date
            );
        }
        for error in &result.errors {
            println!(
                "line {} ({}, {}): {}: {}",
                line.id, line.entry_id, line.payment_date, error.code, error.message
            );
        }
    }
}
