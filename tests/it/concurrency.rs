//! Concurrency (reliability.md "Concurrency", I4, I7, I10): real `payrun` processes racing on
//! one database file.
//!
//! - two exports at once: every charge is in exactly one delivery file, no line is sent twice;
//! - two imports of the same bank answer at once: applied once, the other process answers
//!   `already-imported` (or a clear retryable "busy" error, exit 2), nothing half-applied;
//! - readers (`list`, `show`, `mandates list`, `archive list`, `verify` and a plain SQLite
//!   reader) while a writer works: no error, no waiting for the writer.
//!
//! Each race is run [`ROUNDS`] times (more with `PAYRUN_RACE_ROUNDS=N`).

use crate::scenario::{at, command, digest, generated_company, LATER, NOW};
use crate::support::{assert_verified, TempDir};
use engine::delivery::{parse_delivery, Delivery, Ls40Record};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Child;
use std::time::{Duration, Instant};

const ROUNDS: usize = 3;

fn rounds() -> usize {
    std::env::var("PAYRUN_RACE_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(ROUNDS)
}

/// What a finished child process did.
struct Finished {
    code: i32,
    stdout: String,
    stderr: String,
}

fn finish(child: Child) -> Finished {
    let output = child.wait_with_output().unwrap();
    Finished {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// The loser of a race may get the busy error: it must say it is retryable and that nothing
/// changed.
fn assert_busy(run: &Finished) {
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("the database is busy")
            && run.stderr.contains("nothing was changed, try again"),
        "exit 2 without the retryable busy message:\n{}",
        run.stderr
    );
}

/// A run ready to export: generated workload, suggested and collected.
fn ready_to_export(dir: &Path, entries: usize, seed: u64) {
    generated_company(dir, entries / 5, entries, seed, true);
    at(dir, NOW, &["suggest"], &[0]);
    at(dir, NOW, &["collect"], &[0, 1]);
}

/// Every charge record in an exported file: (scheme, reference or customer/date, amount øre).
fn charges_in(path: &Path) -> Vec<String> {
    let bytes = std::fs::read(path).unwrap();
    let name = path.display().to_string();
    let text = if engine::exchange::files::is_zip(&bytes) {
        engine::exchange::files::read_single_entry(&name, &bytes)
            .unwrap()
            .1
    } else {
        bytes
    };
    match parse_delivery(&name, &text).unwrap() {
        Delivery::Bs0601(d) => d
            .sections
            .iter()
            .flat_map(|s| s.payments.iter())
            .map(|p| format!("BS ref {}", p.reference.trim()))
            .collect(),
        Delivery::Ls40(d) => d
            .groups
            .iter()
            .flat_map(|g| {
                g.records.iter().filter_map(move |r| match r {
                    Ls40Record::Payment(p) => Some(format!(
                        "LS {} {:?} {}",
                        p.customer_no.trim(),
                        g.payment_date,
                        p.amount.ore()
                    )),
                    _ => None,
                })
            })
            .collect(),
        other => panic!("{name}: unexpected {}", other.type_name()),
    }
}

/// I7 in the database: no line has two "sent" entries in its status log, and every sent line
/// carries the reference of a charge of the archive.
fn assert_each_line_sent_once(db: &Path) -> (i64, i64) {
    let conn = rusqlite::Connection::open(db).unwrap();
    let twice: i64 = conn
        .query_row(
            "SELECT count(*) FROM (SELECT line FROM status_log WHERE new = 'sent' \
             GROUP BY line HAVING count(*) > 1)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(twice, 0, "lines sent twice");
    let orphans: i64 = conn
        .query_row(
            "SELECT count(*) FROM payment_lines l WHERE l.status = 'sent' AND NOT EXISTS \
             (SELECT 1 FROM charges c WHERE c.company = l.company AND c.reference = l.reference)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(orphans, 0, "sent lines without a charge");
    let sent: i64 = conn
        .query_row(
            "SELECT count(*) FROM payment_lines WHERE status = 'sent'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let charges: i64 = conn
        .query_row("SELECT count(*) FROM charges", [], |r| r.get(0))
        .unwrap();
    (sent, charges)
}

#[test]
fn two_exports_at_once_put_every_charge_in_exactly_one_delivery() {
    for round in 0..rounds() {
        let tmp = TempDir::new("race-export");
        let dir = tmp.path();
        ready_to_export(dir, 3_000, 11 + round as u64);
        std::fs::create_dir(dir.join("out1")).unwrap();
        std::fs::create_dir(dir.join("out2")).unwrap();
        let first = command(dir, NOW, &["--json", "export", "--out", "out1"])
            .spawn()
            .unwrap();
        let second = command(dir, NOW, &["--json", "export", "--out", "out2"])
            .spawn()
            .unwrap();
        let runs = [finish(first), finish(second)];
        let mut exported: Vec<String> = Vec::new();
        let mut files_written = 0;
        for run in &runs {
            if run.code == 2 {
                assert_busy(run);
                continue;
            }
            assert_eq!(run.code, 0, "{}", run.stderr);
            let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
            for file in doc["files"].as_array().unwrap() {
                files_written += 1;
                let path = dir.join(file["path"].as_str().unwrap());
                let charges = charges_in(&path);
                assert_eq!(charges.len() as u64, file["charges"].as_u64().unwrap());
                exported.extend(charges);
            }
        }
        assert!(files_written > 0, "round {round}: nothing was exported");
        // Every file on disk was reported, and every charge appears once across both outputs.
        let on_disk: usize = ["out1", "out2"]
            .iter()
            .map(|d| crate::scenario::visible_files(&dir.join(d)).len())
            .sum();
        assert_eq!(on_disk, files_written);
        let unique: BTreeSet<&String> = exported.iter().collect();
        assert_eq!(
            unique.len(),
            exported.len(),
            "round {round}: a charge is in two deliveries"
        );
        let (sent, charges) = assert_each_line_sent_once(&dir.join("payrun.db"));
        assert_eq!(charges as usize, exported.len());
        assert!(sent >= charges);
        // The loser (or a third export now) finds nothing left to send (I7).
        let again = at(dir, NOW, &["--json", "export", "--out", "out1"], &[0]).json();
        assert_eq!(again["files"], serde_json::json!([]));
        assert_verified(dir);
    }
}

/// An exported run and the bank's answer to its BS file, in `dir/in`.
fn answered(dir: &Path, entries: usize, seed: u64) -> String {
    ready_to_export(dir, entries, seed);
    std::fs::create_dir(dir.join("out")).unwrap();
    std::fs::create_dir(dir.join("in")).unwrap();
    let export = at(dir, NOW, &["--json", "export", "--out", "out"], &[0]).json();
    let bs = export["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["scheme"] == "bs")
        .unwrap()["path"]
        .as_str()
        .unwrap()
        .to_string();
    let answer = at(
        dir,
        NOW,
        &[
            "--json",
            "simulate-bank",
            &bs,
            "--out",
            "in",
            "--seed",
            &seed.to_string(),
            "--reject",
            "0.05",
            "--cancel",
            "0.02",
            "--chargeback",
            "0.02",
            "--difference",
            "0.02",
        ],
        &[0],
    )
    .json();
    answer["files"][0]["path"].as_str().unwrap().to_string()
}

#[test]
fn two_imports_of_the_same_delivery_at_once_apply_it_once() {
    for round in 0..rounds() {
        let tmp = TempDir::new("race-import");
        let dir = tmp.path();
        let answer = answered(dir, 3_000, 21 + round as u64);
        // The reference: the same answer imported once, alone, in a copy.
        let serial = TempDir::new("race-import-serial");
        crate::scenario::checkpoint(&dir.join("payrun.db"));
        crate::scenario::copy_database(dir, serial.path());
        std::fs::create_dir(serial.path().join("in")).unwrap();
        std::fs::copy(dir.join(&answer), serial.path().join(&answer)).unwrap();
        at(
            serial.path(),
            LATER,
            &["import", "delivery", &answer],
            &[0, 1],
        );
        let expected = digest(&serial.path().join("payrun.db"));

        let first = command(dir, LATER, &["--json", "import", "delivery", &answer])
            .spawn()
            .unwrap();
        let second = command(dir, LATER, &["--json", "import", "delivery", &answer])
            .spawn()
            .unwrap();
        let runs = [finish(first), finish(second)];
        let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
        for run in &runs {
            if run.code == 2 {
                assert_busy(run);
                *outcomes.entry("busy".into()).or_default() += 1;
                continue;
            }
            assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
            let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
            let outcome = doc["files"][0]["outcome"].as_str().unwrap().to_string();
            *outcomes.entry(outcome).or_default() += 1;
        }
        assert_eq!(
            outcomes.get("applied"),
            Some(&1),
            "round {round}: {outcomes:?}"
        );
        assert_eq!(
            digest(&dir.join("payrun.db")),
            expected,
            "round {round}: the racing imports left another database than one import"
        );
        assert_verified(dir);
    }
}

/// Read-only commands while a large import holds the write lock: every one succeeds, and
/// none waits for the writer.
#[test]
fn readers_work_while_a_large_import_writes() {
    let tmp = TempDir::new("race-readers");
    let dir = tmp.path();
    generated_company(dir, 4_000, 40_000, 5, false);
    let mut writer = command(dir, NOW, &["import", "entries", "work/entries.csv"])
        .spawn()
        .unwrap();
    let mut reads = 0;
    let started = Instant::now();
    loop {
        if writer.try_wait().unwrap().is_some() {
            break;
        }
        for args in [
            &["--json", "list", "--status", "sent"][..],
            &["--json", "mandates", "list", "--debtor", "D0000001"],
            &["--json", "archive", "list"],
            &["--json", "format", "list"],
        ] {
            let begun = Instant::now();
            let run = at(dir, NOW, args, &[0]);
            assert!(
                begun.elapsed() < Duration::from_secs(3),
                "{args:?} waited {:?} for the writer:\n{}",
                begun.elapsed(),
                run.stderr
            );
            reads += 1;
        }
        // A plain SQLite reader sees a consistent snapshot: no entry without its debtor.
        let conn = rusqlite::Connection::open(dir.join("payrun.db")).unwrap();
        let dangling: i64 = conn
            .query_row(
                "SELECT count(*) FROM entries e WHERE NOT EXISTS \
                 (SELECT 1 FROM debtors d WHERE d.company = e.company AND d.account = e.debtor)",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(dangling, 0);
        assert!(started.elapsed() < Duration::from_secs(120));
    }
    let done = finish(writer);
    assert_eq!(done.code, 0, "{}", done.stderr);
    assert!(reads > 0);
    assert_verified(dir);
}

/// Regression: opening the database took the write lock (the schema check ran in an
/// `IMMEDIATE` transaction), so every read-only command waited behind a writer and failed
/// with "the database is busy" after the 5 s busy timeout.
#[test]
fn read_only_commands_do_not_wait_for_a_writer_holding_the_lock() {
    let tmp = TempDir::new("race-lock");
    let dir = tmp.path();
    generated_company(dir, 20, 100, 3, true);
    at(dir, NOW, &["suggest"], &[0]);
    let holder = rusqlite::Connection::open(dir.join("payrun.db")).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    for args in [
        &["--json", "list"][..],
        &["--json", "show", "1"],
        &["--json", "mandates", "list"],
        &["--json", "archive", "list"],
        &["--json", "format", "list"],
        &["--json", "verify"],
    ] {
        let begun = Instant::now();
        at(dir, NOW, args, &[0]);
        assert!(
            begun.elapsed() < Duration::from_secs(3),
            "{args:?} waited {:?} for the lock",
            begun.elapsed()
        );
    }
    // A writer, in contrast, waits and then gives the retryable message.
    let run = at(dir, NOW, &["validate"], &[2]);
    assert!(
        run.stderr.contains("the database is busy") && run.stderr.contains("try again"),
        "{}",
        run.stderr
    );
    holder.execute_batch("ROLLBACK").unwrap();
    assert_verified(dir);
}
