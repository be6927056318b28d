//! Embedding the engine from Rust, end to end: open a database, import CSV text, run
//! suggest/collect/validate, export, let the (simulated) bank answer, import the answer, read
//! the journal draft, approve a line, post, and verify.
//!
//! Run it with `cargo run --example embed`. It works in a fresh directory under the system's
//! temporary directory and removes it afterwards.

use payrun::bankcal::Calendar;
use payrun::engine::api::Engine;
use payrun::engine::clock::parse_danish_local;
use payrun::engine::exchange::simulate::{simulate_bank, BankRates};
use payrun::engine::model::Scheme;
use payrun::engine::payment_format::with_defaults;
use payrun::engine::verify::verify_database;

const DEBTORS: &str = "\
account,name,cvr,address,postcode,city,country,email,payment_format
100100,Hansen ApS,12345678,Nørregade 1,1165,København K,DK,bogholderi@hansen.example,BS
100101,Jens Jensen,,Vestergade 2,8000,Aarhus C,DK,jens@example.com,BS
100102,Mette Nielsen,,Østergade 3,5000,Odense C,DK,mette@example.com,BS
";

const MANDATES: &str = "\
mandate_id,debtor,payment_format,status,agreement,start_date
100100,100100,BS,enrolled,000000001,2025-01-01
100101,100101,BS,enrolled,000000002,2025-01-01
100102,100102,BS,enrolled,000000003,2025-01-01
";

const ENTRIES: &str = "\
entry_id,debtor,due_date,amount,invoice,text
E-1,100100,2026-06-01,1000.00,5001,Abonnement juni
E-2,100100,2026-06-01,250.50,5002,Ekstra ydelse
E-3,100101,2026-06-01,499.00,5003,Abonnement juni
E-4,100102,2026-06-01,300.00,5004,Abonnement juni
";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("payrun-embed-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("outbox"))?;
    std::fs::create_dir_all(dir.join("inbox"))?;
    let result = run(&dir);
    std::fs::remove_dir_all(&dir)?;
    result
}

fn run(dir: &std::path::Path) -> Result<(), Box<dyn std::error::Error>> {
    // "Now" is Danish local time; a host passes its own clock (here: fixed, so the example
    // works on any day).
    let now = parse_danish_local("2026-05-04T09:00")?;
    let later = parse_danish_local("2026-06-02T08:00")?;
    let calendar = Calendar::danish();

    // 1. A database with one company and a BS Basis payment format.
    let db = dir.join("payrun.db");
    let mut engine = Engine::init(&db, None, Some("Eksempel Forsyning A/S"))?;
    let mut format = with_defaults("BS", Scheme::Bs, "09990001", "99887766");
    format.bank_account = Some("5850".to_string());
    engine.add_format(&format)?;

    // 2. Master data and open entries, as CSV text from the host's own system.
    engine.import_debtors("debtors.csv", DEBTORS)?;
    engine.import_mandates("mandates.csv", MANDATES)?;
    engine.import_entries("entries.csv", ENTRIES)?;

    // 3. The payment run.
    let suggested = engine.suggest(&calendar, now, false)?;
    let collected = engine.collect(&calendar, now)?;
    let validated = engine.validate(&calendar, now)?;
    println!(
        "{} lines suggested, {} charges, {} ok, {} failed",
        suggested.created.len(),
        collected.charges,
        validated.ok_count,
        validated.failed_count
    );

    // 4. Export the delivery file for Mastercard.
    let exported = engine.export(&dir.join("outbox"), true, &calendar, now)?;
    for file in &exported.files {
        println!(
            "exported {} ({} charges, {})",
            file.path.display(),
            file.charges,
            file.amount
        );
    }

    // 5. The bank answers (simulated: one payment in four paid short; with this seed, two are).
    let rates = BankRates {
        seed: 3,
        difference_ppm: 250_000,
        ..BankRates::default()
    };
    for file in &exported.files {
        for answer in simulate_bank(&file.path, &dir.join("inbox"), &rates)? {
            let path = answer.path.expect("simulate_bank writes every answer");
            let report = engine.import_delivery_file(&path, later)?;
            println!(
                "imported {}: {} records, {} need a person",
                report.path, report.records, report.attention
            );
        }
    }

    // 6. The journal draft: one line per payment; (!) lines wait for a person.
    for line in engine.journal_lines(None)? {
        println!(
            "journal line {:>2}  {}  {:<8} {:<22} {:>10}  offsets {}{}",
            line.id,
            line.date,
            line.account.as_deref().unwrap_or("-"),
            line.text,
            line.amount.to_string(),
            line.offsets.join(" "),
            if line.attention {
                "  (needs a person)"
            } else {
                ""
            }
        );
        // The host's bookkeeper accepts a short payment by confirming its account.
        if line.attention && line.text.starts_with("(!) BS ") {
            if let Some(account) = line.account.as_deref() {
                engine.journal_set_account(line.id, account, later)?;
            }
        }
    }

    // 7. Post: settle the invoices, write the immutable ledger, empty the draft.
    let posted = engine.journal_post(None, later)?;
    println!(
        "posted {} lines; {} entries settled, {} closed",
        posted.posted.len(),
        posted.entries_settled,
        posted.entries_closed
    );
    for balance in engine.trial_balance()? {
        println!(
            "  {:<7} {:<6} {:>10}",
            balance.account_kind.as_str(),
            balance.account,
            balance.balance.to_string()
        );
    }

    // 8. Verify every promise the database can show.
    let report = verify_database(&db)?;
    println!(
        "verify: {}",
        if report.ok {
            "every check holds"
        } else {
            "FAILED"
        }
    );
    if !report.ok {
        return Err("verify failed".into());
    }
    Ok(())
}
