//! `payrun demo [--dir DIR]`: the whole product in one command, on built-in sample data, told
//! step by step for a bookkeeper.
//!
//! The data is the run fixture of the tests (`tests/data/run/*.csv`: every validation outcome,
//! BS Basis and Total, LS, collective payments) plus two dozen ordinary debtors generated here,
//! so the simulated bank has enough payments to reject, cancel, charge back and pay short.
//! The clock is fixed — the run on Monday 4 May 2026 at 09:00, the bank's answers read on
//! 2 July 2026 — so the story is the same whatever day it is run. Every step is an engine
//! call, the same one the matching command makes; nothing here decides a business rule.
//!
//! The directory: created when missing; an empty directory or one holding an earlier demo
//! (it has the marker file `.payrun-demo`) is used, the earlier demo cleared first; any other
//! non-empty directory is refused, so the demo never overwrites a person's files.

use crate::args::Global;
use crate::commands::journal;
use crate::output::{out, outln};
use crate::{output, Outcome};
use anyhow::{bail, Context as _};
use chrono::NaiveDateTime;
use engine::api::Engine;
use engine::exchange::simulate::BankRates;
use engine::exchange::{ArchiveFilter, BankEvent};
use engine::model::{BsType, PaymentFormat, Scheme};
use engine::payment_format::with_defaults;
use engine::status::PaymentOutcome;
use ledger::Amount;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

const DEBTORS: &str = include_str!("../../../tests/data/run/debtors.csv");
const MANDATES: &str = include_str!("../../../tests/data/run/mandates.csv");
const ENTRIES: &str = include_str!("../../../tests/data/run/entries.csv");

/// The marker of a directory the demo made.
const MARKER: &str = ".payrun-demo";
/// When the payment run is made: before the BS deadline for June (21 May 17:30).
const RUN_AT: &str = "2026-05-04T09:00";
/// When the bank's answers are read: after the last payment date of the run.
const ANSWERS_AT: &str = "2026-07-02T08:00";
/// The simulated bank: about one payment in eight rejected, one in twelve cancelled, one in
/// twelve charged back, one in ten paid short. Seed chosen so that each happens at least once.
const RATES: BankRates = BankRates {
    seed: 3,
    reject_ppm: 120_000,
    cancel_ppm: 80_000,
    chargeback_ppm: 80_000,
    difference_ppm: 100_000,
};
/// How many ordinary debtors are added to the fixture.
const EXTRA_DEBTORS: usize = 24;

pub fn run(global: &Global, dir: &Path) -> anyhow::Result<Outcome> {
    if global.now.is_some() {
        tracing::info!("the demo keeps its own clock ({RUN_AT}); --now is not used");
    }
    prepare_dir(dir)?;
    let run_at = time(RUN_AT);
    let answers_at = time(ANSWERS_AT);
    let calendar = crate::context::calendar(global)?;
    let db = dir.join("payrun.db");
    let outbox = dir.join("outbox");
    let inbox = dir.join("inbox");
    for sub in [&outbox, &inbox] {
        std::fs::create_dir_all(sub)
            .with_context(|| format!("cannot create '{}'", sub.display()))?;
    }

    outln!("payrun demo: one month's direct-debit run for Eksempel Forsyning A/S.");
    outln!(
        "The clock is fixed: the run is made on {} and the bank's answers are read on {}.",
        RUN_AT.replace('T', " at "),
        ANSWERS_AT.replace('T', " at ")
    );
    outln!("Everything is kept in {}.", dir.display());

    step(1, "A new database and the company's payment formats");
    let mut engine = Engine::init(&db, None, Some("Eksempel Forsyning A/S"))?;
    for format in formats() {
        engine.add_format(&format)?;
        outln!(
            "  {:<4} {} {}, creditor {}, money arrives on bank account {}, journal {}",
            format.id,
            match format.scheme {
                Scheme::Bs => "Betalingsservice",
                Scheme::Ls => "Leverandørservice",
            },
            match format.bs_type {
                Some(BsType::Basis) => "Basis (only debtors with a mandate)",
                Some(BsType::Total) => "Total (payment slips for the rest)",
                None => "(companies with a mandate)",
            },
            format.creditor_number,
            format.bank_account.as_deref().unwrap_or("-"),
            format.journal
        );
    }

    step(
        2,
        "Import the debtors, their mandates and their open entries",
    );
    let (debtors, mandates, entries) = sample_data();
    let d = engine.import_debtors("debtors.csv", &debtors)?;
    let m = engine.import_mandates("mandates.csv", &mandates)?;
    let e = engine.import_entries("entries.csv", &entries)?;
    outln!(
        "  {} debtors, {} mandates and {} open entries (invoices and credit notes).",
        d.rows,
        m.rows,
        e.rows
    );

    step(3, "Suggest: one payment line per open entry");
    let suggested = engine.suggest(&calendar, run_at, false)?;
    outln!(
        "  {} payment lines proposed; entries of debtors without a BS or LS payment format get none.",
        suggested.created.len()
    );

    step(4, "Collect: one charge per debtor and payment date");
    let collected = engine.collect(&calendar, run_at)?;
    for group in collected
        .groups
        .iter()
        .filter(|g| g.id != "-" && g.id != "Deselected")
    {
        outln!(
            "  collective payment {}: lines {} become one charge of {}",
            group.id,
            join(&group.lines),
            group.amount
        );
    }
    outln!(
        "  {} charges will be sent; {} lines are left out (group Deselected) because they cannot be sent.",
        collected.charges, collected.deselected
    );

    step(5, "Validate: every rule on every line");
    let validated = engine.validate(&calendar, run_at)?;
    outln!(
        "  {} lines are ok; {} lines failed validation and will not be sent:",
        validated.ok_count,
        validated.failed_count
    );
    for line in validated.lines.iter().filter(|l| !l.ok) {
        let reasons: Vec<String> = line
            .errors
            .iter()
            .map(|e| format!("{} ({})", e.message, e.code))
            .collect();
        outln!(
            "    line {} ({}, debtor {}, {}): {}",
            line.line,
            line.entry,
            line.debtor,
            line.amount,
            reasons.join("; ")
        );
    }

    step(6, "Export: the delivery files for Mastercard");
    let exported = engine.export(&outbox, false, &calendar, run_at)?;
    for file in &exported.files {
        outln!(
            "  {}: {} ({}), {} in total, now Sent",
            file_name(&file.path),
            output::count(file.charges, "charge"),
            output::count(file.lines, "payment line"),
            file.amount
        );
    }
    let again = engine.export(&outbox, false, &calendar, run_at)?;
    outln!(
        "  Exporting again sends {} files: a line is never sent twice.",
        again.files.len()
    );

    step(7, "The bank answers (simulated)");
    let mut answers: Vec<PathBuf> = Vec::new();
    for file in &exported.files {
        for answer in engine::exchange::simulate::simulate_bank(&file.path, &inbox, &RATES)? {
            if let Some(path) = answer.path {
                answers.push(path);
            }
        }
    }
    answers.sort();
    outln!(
        "  The bank wrote {} answer files: {}",
        answers.len(),
        answers
            .iter()
            .map(|p| file_name(p))
            .collect::<Vec<_>>()
            .join(", ")
    );

    step(
        8,
        "Import the bank's answers: statuses and the journal draft",
    );
    let mut events: Vec<BankEvent> = Vec::new();
    let mut attention = 0;
    for path in &answers {
        let bytes = engine::exchange::files::read_limited(path)?;
        let name = file_name(path);
        let report = engine.import_delivery_observed(&name, &bytes, answers_at, &mut |batch| {
            events.extend_from_slice(batch)
        })?;
        attention += report.attention;
        outln!(
            "  {name} ({} {}): {}, {} changed; the file is {}",
            report.scheme.to_uppercase(),
            report.delivery_type,
            output::count(report.records, "record"),
            output::count(report.changed, "payment line"),
            if report.attention > 0 {
                format!("marked error: {} need a person", report.attention)
            } else {
                "ok".to_string()
            }
        );
    }
    let draft = engine.journal_lines(None)?;
    out!("{}", story(&events, &draft));
    if attention > 0 {
        outln!("  (`payrun import delivery` exits 1 here: a person must look at the (!) lines.)");
    }

    step(9, "The journal draft");
    let lines = engine.journal_lines(None)?;
    out!("{}", journal::table(&lines));
    let marked = lines.iter().filter(|l| l.attention).count();
    outln!(
        "  {} lines; {marked} are marked (!) and are never posted until a person approves them.",
        lines.len()
    );

    step(10, "A person approves the short payments");
    let short: Vec<_> = lines
        .iter()
        .filter(|l| l.attention && l.text.starts_with("(!) BS ") && !l.text.contains(':'))
        .collect();
    if short.is_empty() {
        outln!("  No payment was short this time.");
    }
    for line in short {
        let account = line.account.clone().unwrap_or_default();
        engine.journal_set_account(line.id, &account, answers_at)?;
        outln!(
            "  Journal line {} ({}, {}): the debtor paid less than charged; the bookkeeper \
             accepts the part payment (payrun journal set-account {} {account}).",
            line.id,
            line.text,
            line.amount,
            line.id
        );
    }

    step(11, "Post the journal");
    let posted = engine.journal_post(None, answers_at)?;
    journal::print_posting(&posted);
    let balances = engine.trial_balance()?;
    let rows: Vec<Vec<String>> = balances
        .iter()
        .map(|b| {
            vec![
                b.account_kind.as_str().to_string(),
                b.account.clone(),
                b.balance.to_string(),
            ]
        })
        .collect();
    outln!("  The ledger's balances (debit positive; they sum to zero):");
    for line in output::table(&["kind", "account", ">balance"], &rows).lines() {
        outln!("    {line}");
    }
    let left = engine.journal_lines(None)?;
    outln!(
        "  {} lines stay in the draft for a person: rejections, cancellations and charge-backs to follow up.",
        left.len()
    );
    let waiting = engine
        .archive_list(&ArchiveFilter::default())?
        .into_iter()
        .filter(|f| !f.export && f.status == "error");
    for file in waiting {
        outln!(
            "  In the file archive, {} stays error until a person has seen to its last (!) line; \
             then it is ok, and `payrun archive show {}` says when.",
            file.file_name,
            file.id
        );
    }

    step(
        12,
        "Verify: the promises of the engine, checked on the database",
    );
    let report = engine::verify::verify_database(&db)?;
    for check in &report.checks {
        outln!(
            "  {}  {}: {}",
            if check.ok { "ok  " } else { "FAIL" },
            check.name,
            check.detail
        );
    }
    if !report.ok {
        bail!("the demo's database does not verify: this is a bug in payrun");
    }

    outln!();
    outln!("Done. Look around with, for example:");
    let db_arg = db.display().to_string();
    for command in [
        "journal list",
        "list --status rejected",
        "archive list",
        "show 1",
    ] {
        outln!("  payrun --db {db_arg} {command}");
    }
    Ok(Outcome::Done)
}

fn step(n: usize, title: &str) {
    outln!();
    outln!("{n}. {title}");
}

fn time(text: &str) -> NaiveDateTime {
    engine::clock::parse_danish_local(text).expect("the demo's fixed times are valid")
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

fn join(ids: &[i64]) -> String {
    ids.iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Uses `dir` for the demo: see the module documentation.
fn prepare_dir(dir: &Path) -> anyhow::Result<()> {
    if dir.exists() {
        if !dir.is_dir() {
            bail!(
                "'{}' is not a directory: choose another --dir",
                dir.display()
            );
        }
        let mut names = std::fs::read_dir(dir)
            .with_context(|| format!("cannot read '{}'", dir.display()))?
            .map(|e| e.map(|e| e.file_name()))
            .collect::<std::io::Result<Vec<_>>>()?;
        names.sort();
        if !names.is_empty() {
            if !dir.join(MARKER).is_file() {
                bail!(
                    "'{}' is not empty and holds no earlier demo: choose another --dir (the demo never overwrites other files)",
                    dir.display()
                );
            }
            for name in names {
                let path = dir.join(name);
                if path.is_dir() {
                    std::fs::remove_dir_all(&path)
                } else {
                    std::fs::remove_file(&path)
                }
                .with_context(|| format!("cannot clear the earlier demo's '{}'", path.display()))?;
            }
        }
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create '{}'", dir.display()))?;
    std::fs::write(
        dir.join(MARKER),
        "made by `payrun demo`; the next demo in this directory clears it\n",
    )
    .with_context(|| format!("cannot write in '{}'", dir.display()))?;
    Ok(())
}

/// The payment formats of the run fixture, with bank accounts and journals.
fn formats() -> Vec<PaymentFormat> {
    let mut bs = with_defaults("BS", Scheme::Bs, "09990001", "99887766");
    bs.bank_account = Some("5850".to_string());
    let mut total = with_defaults("BST", Scheme::Bs, "09990002", "99887766");
    total.bs_type = Some(BsType::Total);
    total.bank_account = Some("5850".to_string());
    let mut none = with_defaults("BSN", Scheme::Bs, "09990003", "99887766");
    none.banking_day_action = engine::model::BankingDayAction::None;
    none.bank_account = Some("5850".to_string());
    let mut ls = with_defaults("LS", Scheme::Ls, "12345", "99887766");
    ls.block_payouts = true;
    ls.bank_account = Some("5851".to_string());
    vec![bs, total, none, ls]
}

/// The fixture's CSV texts with the extra ordinary debtors appended: each has an enrolled BS
/// mandate and one invoice due 1 June; every fourth has a second invoice that day (a
/// collective payment).
fn sample_data() -> (String, String, String) {
    let mut debtors = DEBTORS.to_string();
    let mut mandates = MANDATES.to_string();
    let mut entries = ENTRIES.to_string();
    let names = [
        "Anders", "Birthe", "Carsten", "Dorte", "Erik", "Grethe", "Henrik", "Inge", "Jonas",
        "Kirsten", "Lars", "Merete",
    ];
    let surnames = ["Poulsen", "Kristensen", "Thomsen", "Rasmussen"];
    for i in 0..EXTRA_DEBTORS {
        let account = 100200 + i;
        let name = format!(
            "{} {}",
            names[i % names.len()],
            surnames[(i / names.len() + i) % surnames.len()]
        );
        let _ = writeln!(
            debtors,
            "{account},{name},,Byvej {},2000,Frederiksberg,DK,kunde{account}@example.com,BS",
            i + 1
        );
        let _ = writeln!(
            mandates,
            "{account},{account},BS,enrolled,{:09},2025-01-01,,",
            account
        );
        let amount = Amount::from_ore(i64::try_from(19_900 + 2_550 * i).unwrap_or(19_900));
        let _ = writeln!(
            entries,
            "E-{account}-1,{account},2026-05-01,2026-06-01,{},{amount},{amount},DKK,Abonnement juni,true,",
            6000 + 2 * i
        );
        if i % 4 == 0 {
            let _ = writeln!(
                entries,
                "E-{account}-2,{account},2026-05-01,2026-06-01,{},125.00,125.00,DKK,Forbrug maj,true,",
                6001 + 2 * i
            );
        }
    }
    (debtors, mandates, entries)
}

/// Whether a bank event is of one kind of answer.
type Kind = fn(&BankEvent) -> bool;

/// What the bank's answers did, in words: per kind of answer, the payment lines and the
/// journal line each became.
fn story(events: &[BankEvent], draft: &[ledger::JournalLine]) -> String {
    let mut out = String::new();
    let kinds: [(&str, Kind); 6] = [
        ("paid as charged", |e| {
            e.outcome == PaymentOutcome::Completed && !e.lines.is_empty()
        }),
        ("paid a different amount", |e| {
            e.outcome == PaymentOutcome::Difference && !e.lines.is_empty()
        }),
        ("rejected by the debtor", |e| {
            matches!(e.outcome, PaymentOutcome::Rejected { .. })
        }),
        ("cancelled (the mandate ended)", |e| {
            e.outcome == PaymentOutcome::Unsubscribed
        }),
        ("charged back by the debtor's bank", |e| {
            e.outcome == PaymentOutcome::ChargedBack
        }),
        ("could not be matched to a payment line", |e| {
            e.lines.is_empty()
        }),
    ];
    for (what, matches) in kinds {
        let chosen: Vec<&BankEvent> = events
            .iter()
            .filter(|e| e.duplicate_of.is_none() && matches(e))
            .collect();
        if chosen.is_empty() {
            continue;
        }
        let payments = if chosen.len() == 1 {
            "payment"
        } else {
            "payments"
        };
        let _ = writeln!(
            out,
            "  The bank reports {} {payments} {what}:",
            chosen.len()
        );
        let shown = if what == "paid as charged" {
            3
        } else {
            chosen.len()
        };
        for event in chosen.iter().take(shown) {
            let source = format!("file {}, line {}", event.file_id, event.record_line);
            let journal = draft
                .iter()
                .find(|l| l.source == source)
                .map(|l| format!("journal line {}: {} {}", l.id, l.text, l.amount))
                .unwrap_or_default();
            let lines: Vec<String> = event
                .lines
                .iter()
                .map(|l| {
                    format!(
                        "line {} is now {}",
                        l.line,
                        l.status_after.map_or("unchanged", |s| s.label())
                    )
                })
                .collect();
            let lines = if lines.is_empty() {
                format!("customer {}", event.customer_no.trim_start_matches('0'))
            } else {
                lines.join(", ")
            };
            let _ = writeln!(
                out,
                "    {} {} (debtor {}): {lines}; {journal}",
                event.code,
                event.amount_charged,
                event.debtor.as_deref().unwrap_or("unknown")
            );
        }
        if chosen.len() > shown {
            let _ = writeln!(out, "    … and {} more", chosen.len() - shown);
        }
    }
    out
}
