//! The whole cycle through the library: a run built from CSV text, suggest → validate →
//! collect → export → simulate-bank (with a seed and rates so that every outcome appears) →
//! import, and the statuses §6 asks for.

use super::*;
use crate::exchange::simulate::{simulate_bank, BankRates};
use crate::exchange::{BankEvent, ImportOutcome};
use crate::model::Status;
use crate::status::{is_allowed_edge, PaymentOutcome};
use std::collections::BTreeSet;

/// 60 BS debtors (every third with two invoices on one date: a collective payment) and 30 LS
/// debtors (every fifth also with a credit note paid out a day later).
fn big_run() -> Fixture {
    let mut debtors =
        String::from("account,name,cvr,address,postcode,city,country,payment_format\n");
    let mut mandates =
        String::from("mandate_id,debtor,payment_format,status,agreement,start_date\n");
    let mut entries = String::from("entry_id,debtor,due_date,amount,invoice\n");
    for i in 0..60 {
        let account = 300000 + i;
        debtors.push_str(&format!(
            "{account},Debtor {account},,Vej {i},8000,Aarhus,DK,BS\n"
        ));
        mandates.push_str(&format!(
            "{account},{account},BS,enrolled,{:09},2025-01-01\n",
            i + 1
        ));
        entries.push_str(&format!(
            "B{i}a,{account},2026-06-01,{}.{:02},{}\n",
            100 + i * 7,
            i,
            7000 + i
        ));
        if i % 3 == 0 {
            entries.push_str(&format!("B{i}b,{account},2026-06-01,25.50,{}\n", 8000 + i));
        }
    }
    for i in 0..30 {
        let account = 400000 + i;
        debtors.push_str(&format!(
            "{account},Firma {account},{:08},Gade {i},5000,Odense,DK,LS\n",
            10000000 + i
        ));
        mandates.push_str(&format!("L{account},{account},LS,enrolled,,2025-01-01\n"));
        entries.push_str(&format!(
            "L{i}a,{account},2026-05-06,{}.00,{}\n",
            1000 + i * 13,
            9000 + i
        ));
        if i % 5 == 0 {
            entries.push_str(&format!(
                "L{i}b,{account},2026-05-07,-{}.00,{}\n",
                50 + i,
                9500 + i
            ));
        }
    }
    Fixture::with(&debtors, &mandates, &entries)
}

/// The status a payment record gives its lines (§6), by its outcome.
fn expected(outcome: PaymentOutcome) -> Status {
    match outcome {
        PaymentOutcome::Completed => Status::Received,
        PaymentOutcome::Difference => Status::Difference,
        PaymentOutcome::Rejected { .. } => Status::Rejected,
        PaymentOutcome::Unsubscribed => Status::Unsubscribed,
        PaymentOutcome::ChargedBack => Status::Reversed,
    }
}

#[test]
fn run_export_simulate_import_closes_the_loop() {
    let mut f = big_run();
    f.prepare(NOW);
    let out = f.out.clone();
    let report = f.engine.export(&out, true, cal(), time(NOW)).unwrap();
    assert!(report.held.is_empty(), "{:?}", report.held);
    let lines: usize = report.files.iter().map(|f| f.lines).sum();
    let charges: usize = report.files.iter().map(|f| f.charges).sum();
    // 60 + 20 BS lines in 60 charges; 30 + 6 LS lines in 36 charges.
    assert_eq!((lines, charges), (116, 96));

    let answers = f.dir.path().join("answers");
    std::fs::create_dir(&answers).unwrap();
    let rates = BankRates {
        seed: 7,
        reject_ppm: 100_000,
        cancel_ppm: 100_000,
        chargeback_ppm: 100_000,
        difference_ppm: 100_000,
    };
    let mut simulated = Vec::new();
    for file in &report.files {
        simulated.extend(simulate_bank(&file.path, &answers, &rates).unwrap());
    }
    // Deterministic per seed: the same answers again.
    for file in &report.files {
        let again = crate::exchange::simulate::simulate_answers(
            &file.path.display().to_string(),
            &std::fs::read(&file.path).unwrap(),
            &rates,
        )
        .unwrap();
        for answer in again {
            let written = std::fs::read(answers.join(&answer.file_name)).unwrap();
            assert_eq!(written, crate::delivery::to_latin1(&answer.text));
        }
    }
    let names: Vec<&str> = simulated.iter().map(|s| s.file_name.as_str()).collect();
    assert_eq!(names.len(), 3, "{names:?}");

    // Import: the LS receipt before the LS payment information, as the bank sends them.
    let mut events: Vec<BankEvent> = Vec::new();
    for answer in &simulated {
        let path = answer.path.clone().unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let report = f
            .engine
            .import_delivery_observed(
                &answer.file_name,
                &bytes,
                time("2026-06-01T19:00"),
                &mut |batch| events.extend_from_slice(batch),
            )
            .unwrap();
        assert_eq!(report.outcome, ImportOutcome::Applied);
        assert_eq!(report.refused, 0, "{report:?}");
        assert_eq!(report.unmatched, 0, "{report:?}");
    }
    // Every charge is answered once (the simulator writes one record per charge with an amount).
    assert_eq!(events.len(), 96);
    let mut codes = BTreeSet::new();
    let mut outcomes = BTreeSet::new();
    let statuses: std::collections::HashMap<i64, Status> = {
        let engine = Engine::open(f.db_path(), Some("main")).unwrap();
        engine
            .list_lines(&crate::LineFilter::default())
            .unwrap()
            .into_iter()
            .map(|(l, _)| (l.id, l.status))
            .collect()
    };
    for event in &events {
        codes.insert(event.code);
        outcomes.insert(format!("{:?}", expected(event.outcome)));
        assert!(!event.lines.is_empty(), "{event:?}");
        assert!(event.mandate.is_some(), "{event:?}");
        for line in &event.lines {
            assert_eq!(
                line.status_after,
                Some(expected(event.outcome)),
                "{event:?}"
            );
            assert_eq!(statuses[&line.line], expected(event.outcome));
        }
    }
    let codes: Vec<&str> = codes.into_iter().collect();
    assert_eq!(
        codes,
        ["0236", "0237", "0238", "0239", "0530", "0540", "0555", "0580", "0585"]
    );
    assert_eq!(outcomes.len(), 5, "{outcomes:?}");
    // No line is left sent or to-be-treated: every one was answered.
    assert!(statuses
        .values()
        .all(|s| !matches!(s, Status::Sent | Status::ToBeTreated | Status::Blank)));

    // I6: every logged status change is an edge of the status machine.
    let conn = rusqlite::Connection::open(f.db_path()).unwrap();
    let mut statement = conn.prepare("SELECT old, new FROM status_log").unwrap();
    let edges: Vec<(Option<String>, String)> = statement
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    for (old, new) in edges {
        let old = old.map(|o| Status::parse(&o).unwrap());
        assert!(
            is_allowed_edge(old, Status::parse(&new).unwrap()),
            "{old:?} -> {new}"
        );
    }

    // The answers again: already imported, nothing changes (I4).
    let before = f.dump();
    for answer in &simulated {
        let bytes = std::fs::read(answer.path.clone().unwrap()).unwrap();
        let report = f
            .engine
            .import_delivery(&answer.file_name, &bytes, time("2026-06-02T08:00"))
            .unwrap();
        assert_eq!(report.outcome, ImportOutcome::AlreadyImported);
    }
    assert_eq!(f.dump(), before);
    // Another seed gives other answers under the same delivery keys: refused (I4).
    let other = f.dir.path().join("other");
    std::fs::create_dir(&other).unwrap();
    let bs = simulate_bank(
        &report.files[0].path,
        &other,
        &BankRates { seed: 8, ..rates },
    )
    .unwrap();
    let bytes = std::fs::read(bs[0].path.clone().unwrap()).unwrap();
    let error = f
        .engine
        .import_delivery(&bs[0].file_name, &bytes, time("2026-06-02T08:00"))
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("with different content; refused"),
        "{error}"
    );
    assert_eq!(f.dump(), before);
}
