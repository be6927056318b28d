//! Delivery files through the real binary (issue 4): export → simulate-bank → import delivery,
//! the file archive, the JSON shapes of cli.md, exit codes, and bad files refused whole.

use crate::support::{assert_verified, at, data, dump_database, TempDir};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const NOW: &str = "2026-05-04T09:00";
/// When the answers are imported: after the last payment date of the run.
const LATER: &str = "2026-07-01T19:00";

/// A company with a BS Basis, a BS Total and an LS format and the run fixture's data,
/// suggested, collected and validated.
fn prepared(dir: &Path) {
    at(dir, NOW, &["init", "--name", "Eksempel Forsyning A/S"], 0);
    for (id, scheme, creditor, extra) in [
        ("BS", "bs", "09990001", &["--bs-type", "basis"][..]),
        ("BST", "bs", "09990002", &["--bs-type", "total"]),
        ("BSN", "bs", "09990003", &["--banking-day", "none"]),
        ("LS", "ls", "12345", &["--block-payouts"]),
    ] {
        let mut args = vec![
            "format",
            "add",
            "--id",
            id,
            "--scheme",
            scheme,
            "--creditor",
            creditor,
            "--supplier-cvr",
            "99887766",
            "--bank-account",
            "5850",
        ];
        args.extend_from_slice(extra);
        at(dir, NOW, &args, 0);
    }
    for kind in ["debtors", "mandates", "entries"] {
        at(
            dir,
            NOW,
            &["import", kind, &data(&format!("run/{kind}.csv"))],
            0,
        );
    }
    at(dir, NOW, &["suggest"], 0);
    // Some lines are deselected on purpose (exit 1).
    at(dir, NOW, &["collect"], 1);
    // Some fixture lines fail validation on purpose.
    at(dir, NOW, &["validate"], 1);
}

/// entry → status of every line.
fn statuses(dir: &Path, now: &str) -> BTreeMap<String, String> {
    at(dir, now, &["--json", "list"], 0).json()["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["entry"].as_str().unwrap().to_string(),
                l["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn paths(doc: &Value) -> Vec<PathBuf> {
    doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| PathBuf::from(f["path"].as_str().unwrap()))
        .collect()
}

#[test]
fn export_simulate_import_and_the_archive_through_the_binary() {
    let tmp = TempDir::new("exchange");
    let dir = tmp.path();
    prepared(dir);
    let before = statuses(dir, NOW);
    std::fs::create_dir(dir.join("out")).unwrap();
    std::fs::create_dir(dir.join("in")).unwrap();

    // export: one file per format with something to send, in the JSON shape of cli.md.
    let export = at(dir, NOW, &["--json", "export", "--out", "out"], 0).json();
    let files = export["files"].as_array().unwrap();
    let summary: Vec<String> = files
        .iter()
        .map(|f| {
            format!(
                "{} {} {} {} {} {} {}",
                Path::new(f["path"].as_str().unwrap())
                    .file_name()
                    .unwrap()
                    .to_string_lossy(),
                f["format"].as_str().unwrap(),
                f["scheme"].as_str().unwrap(),
                f["delivery_id"].as_str().unwrap(),
                f["charges"],
                f["lines"],
                f["amount"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            "AB_PBSXML000202605998877660000000001PROD.zip BS bs 0000000001 7 11 4298.50",
            "AB_PBSXML000202605998877660000000002PROD.zip BST bs 0000000002 2 2 1300.00",
            "NetsLS_260504_0000000003 LS ls 0000000003 1 1 12000.00",
        ]
    );
    assert_eq!(export["held"], serde_json::json!([]));
    let sent = statuses(dir, NOW);
    let sent_count = sent.values().filter(|s| *s == "sent").count();
    assert_eq!(sent_count, 14);
    for (entry, status) in &sent {
        if status != "sent" {
            assert_eq!(status, &before[entry], "{entry} changed without being sent");
        }
    }

    // I7: a second export sends nothing and writes no file.
    let again = at(dir, NOW, &["--json", "export", "--out", "out"], 0).json();
    assert_eq!(again["files"], serde_json::json!([]));
    assert_eq!(std::fs::read_dir(dir.join("out")).unwrap().count(), 3);
    let human = at(dir, NOW, &["export", "--out", "out"], 0);
    assert_eq!(human.stdout, "Nothing to export: no line is ok to send.\n");

    // simulate-bank on every exported file, with every kind of answer.
    let mut answers: Vec<PathBuf> = Vec::new();
    for file in paths(&export) {
        let file = file.display().to_string();
        let run = at(
            dir,
            NOW,
            &[
                "--json",
                "simulate-bank",
                &file,
                "--out",
                "in",
                "--seed",
                "3",
                "--reject",
                "0.2",
                "--cancel",
                "0.1",
                "--chargeback",
                "0.1",
                "--difference",
                "0.1",
            ],
            0,
        );
        answers.extend(paths(&run.json()));
    }
    answers.sort();
    let names: Vec<String> = answers
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "D26052001_LS0690_8176575491",
            "D26052002_LS0602_8176575491",
            "D26060101_BS0602_0000000002",
            "D26070101_BS0602_0000000001",
        ]
    );

    // import delivery: every answer applied; rejections and differences need a person (exit 1).
    let mut args = vec!["--json", "import", "delivery"];
    let answer_args: Vec<String> = answers.iter().map(|p| p.display().to_string()).collect();
    args.extend(answer_args.iter().map(String::as_str));
    let imported = at(dir, LATER, &args, 1).json();
    // Each file was checkpointed behind the next one's import, the last before the command
    // ended: the database file alone holds them all, with no WAL left beside it.
    assert!(!dir.join("payrun.db-wal").exists());
    let rows: Vec<String> = imported["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {} {} {}",
                f["delivery_type"].as_str().unwrap(),
                f["outcome"].as_str().unwrap(),
                f["records"],
                f["attention"]
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            "0690 applied 1 0",
            "0602 applied 2 1",
            "0602 applied 2 1",
            "0602 applied 7 4"
        ]
    );
    // Every sent line was answered: none is left sent or to be treated.
    let answered = statuses(dir, LATER);
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for (entry, status) in &answered {
        if sent[entry] == "sent" {
            *counts.entry(status.as_str()).or_default() += 1;
        }
    }
    assert!(!counts.contains_key("sent") && !counts.contains_key("to-be-treated"));
    assert_eq!(counts.values().sum::<usize>(), 14, "{counts:?}");
    assert!(counts.len() >= 3, "{counts:?}");

    // The same answers again: already imported, exit 0, nothing changes (I4).
    let snapshot = dump_database(dir);
    let again = at(dir, LATER, &args, 0).json();
    assert!(again["files"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["outcome"] == "already-imported" && f["attention"] == 0));
    assert_eq!(dump_database(dir), snapshot);

    // The archive: 3 sent, 4 received; listed per month; shown; reconciled.
    let list = at(dir, LATER, &["--json", "archive", "list"], 0).json();
    let archived: Vec<String> = list["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {} {} {}",
                f["id"],
                if f["export"] == true {
                    "sent"
                } else {
                    "received"
                },
                f["delivery_type"].as_str().unwrap(),
                f["status"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        archived,
        [
            "7 received 0602 error",
            "6 received 0602 error",
            "5 received 0602 error",
            "4 received 0690 ok",
            "3 sent 40 pending",
            "2 sent 0601 pending",
            "1 sent 0601 pending"
        ]
    );
    let may = at(
        dir,
        LATER,
        &[
            "--json", "archive", "list", "--year", "2026", "--month", "05",
        ],
        0,
    )
    .json();
    assert_eq!(may["files"].as_array().unwrap().len(), 3);
    let shown = at(dir, LATER, &["--json", "archive", "show", "4"], 0).json();
    let on_disk = std::fs::read(dir.join(&answers[0])).unwrap();
    let text: String = on_disk.iter().map(|&b| char::from(b)).collect();
    assert_eq!(shown["content"].as_str().unwrap(), text);
    assert_eq!(shown["created"], "2026-07-01T19:00");
    let human = at(dir, LATER, &["archive", "show", "1"], 0);
    assert!(
        human.stdout.contains("\nBS00299887766BS106010000000001"),
        "{}",
        human.stdout
    );
    let reconciled = at(dir, LATER, &["--json", "archive", "reconcile", "1"], 0).json();
    assert_eq!(reconciled["changed"], true);
    let reconciled = at(dir, LATER, &["--json", "archive", "reconcile", "1"], 0).json();
    assert_eq!(reconciled["changed"], false);
    let unknown = at(dir, LATER, &["archive", "show", "99"], 2);
    assert!(unknown
        .stderr
        .contains("no file 99 in this company's file archive"));

    assert_verified(dir);
}

/// Bad delivery files: exit 2, the message names file, line, column, field, found and
/// expected, and nothing is applied, not even an archive entry.
#[test]
fn bad_delivery_files_exit_2_and_change_nothing() {
    let tmp = TempDir::new("exchange-bad");
    let dir = tmp.path();
    prepared(dir);
    std::fs::create_dir(dir.join("out")).unwrap();
    at(dir, NOW, &["export", "--out", "out", "--no-zip"], 0);
    let before = dump_database(dir);
    for (name, message) in [
        (
            "count_mismatch.txt",
            "count_mismatch.txt:9:32: number of 042 records: found '00000000005', expected '00000000006' (the number of 042 records in the section); the file was refused and nothing was applied",
        ),
        (
            "impossible_date.txt",
            "impossible_date.txt:3:50: payment date: found '300226', expected a date DDMMYY; the file was refused and nothing was applied",
        ),
        (
            "utf8_text.txt",
            "utf8_text.txt:17:94: character: found UTF-8 encoded 'ø' (bytes 0xC3 0xB8), expected ISO 8859-1 text; the file was refused and nothing was applied",
        ),
    ] {
        let path = data(&format!("delivery/errors/{name}"));
        let run = at(dir, LATER, &["import", "delivery", &path], 2);
        let expected = format!("error: {}", message.replacen(name, &path, 1));
        // The refusal is logged (a warning on stderr), then reported as the error.
        assert_eq!(run.stderr.trim_end().lines().last(), Some(expected.as_str()));
        assert!(run.stderr.contains("delivery refused: nothing applied"));
        assert_eq!(dump_database(dir), before, "{name}");
    }
    // Several files, the second bad: none is applied.
    let sent = std::fs::read_dir(dir.join("out"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with("0000000001PROD"))
        .unwrap();
    let answers = dir.join("in");
    std::fs::create_dir(&answers).unwrap();
    let simulated = at(
        dir,
        NOW,
        &[
            "--json",
            "simulate-bank",
            &sent.display().to_string(),
            "--out",
            "in",
        ],
        0,
    )
    .json();
    let good = paths(&simulated)[0].display().to_string();
    let bad = data("delivery/errors/truncated.txt");
    let run = at(dir, LATER, &["import", "delivery", &good, &bad], 2);
    assert!(
        run.stderr.ends_with("; no file was imported\n"),
        "{}",
        run.stderr
    );
    assert_eq!(dump_database(dir), before);
    // A file the engine wrote is not an answer.
    let run = at(
        dir,
        LATER,
        &["import", "delivery", &sent.display().to_string()],
        2,
    );
    assert!(run
        .stderr
        .contains("is a BS 0601 delivery to Mastercard, not an answer from it"));
    assert_eq!(dump_database(dir), before);
    assert_verified(dir);
}

#[test]
fn simulate_bank_refuses_what_it_cannot_answer() {
    let tmp = TempDir::new("exchange-sim");
    let dir = tmp.path();
    std::fs::create_dir(dir.join("in")).unwrap();
    let run = at(
        dir,
        NOW,
        &[
            "simulate-bank",
            &data("delivery/samples/bs0602_payments.txt"),
            "--out",
            "in",
        ],
        2,
    );
    assert!(
        run.stderr.contains(
            "is a BS 0602 delivery; simulate-bank answers an exported BS 0601 or LS type 40 file"
        ),
        "{}",
        run.stderr
    );
    let run = at(
        dir,
        NOW,
        &[
            "simulate-bank",
            &data("delivery/samples/bs0601_collections.txt"),
            "--out",
            "in",
            "--reject",
            "1.5",
        ],
        2,
    );
    assert!(run.stderr.contains("'1.5' is not a rate"), "{}", run.stderr);
    // The sample 0601 is answered without a database.
    let run = at(
        dir,
        NOW,
        &[
            "--json",
            "simulate-bank",
            &data("delivery/samples/bs0601_collections.txt"),
            "--out",
            "in",
        ],
        0,
    );
    let files = run.json()["files"].clone();
    assert_eq!(files[0]["delivery_type"], "0602");
    assert_eq!(files[0]["records"], 4);
}

#[test]
fn the_new_commands_have_examples_in_their_help() {
    for command in [
        &["export", "--help"][..],
        &["import", "delivery", "--help"],
        &["archive", "list", "--help"],
        &["archive", "show", "--help"],
        &["archive", "reconcile", "--help"],
        &["simulate-bank", "--help"],
    ] {
        let run = crate::support::payrun(command);
        assert_eq!(run.code, 0, "{command:?}");
        assert!(
            run.stdout.contains("Example"),
            "{command:?}:\n{}",
            run.stdout
        );
    }
}

/// A delivery file must never be in the out directory unless the database records it as
/// sent: an uploader could send it, and the next export would charge the same lines again.
/// These are the two states a SIGKILL can leave (the crash suite hits them by timing), built
/// here exactly, and what the next export makes of them.
#[test]
fn an_interrupted_exports_files_are_finished_or_removed_by_the_next_export() {
    let tmp = TempDir::new("export-recovery");
    let dir = tmp.path();
    prepared(dir);
    std::fs::create_dir(dir.join("out")).unwrap();
    let export = at(
        dir,
        NOW,
        &["--json", "export", "--out", "out", "--no-zip"],
        0,
    )
    .json();
    let files = paths(&export);
    assert!(!files.is_empty());
    let names = |dir: &Path| {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let finished = names(&dir.join("out"));

    // Killed after the commit, before the rename: the recorded file is still staged.
    let first = &files[0];
    let name = first.file_name().unwrap().to_string_lossy().into_owned();
    let content = std::fs::read(dir.join("out").join(&name)).unwrap();
    std::fs::rename(
        dir.join("out").join(&name),
        dir.join("out").join(format!(".{name}.main.partial")),
    )
    .unwrap();
    // Killed before the commit: a staged file the archive does not know.
    std::fs::write(
        dir.join("out")
            .join(".AB_PBSXML0002026059988776600000000099PROD.main.partial"),
        b"never recorded",
    )
    .unwrap();

    let again = at(
        dir,
        NOW,
        &["--json", "export", "--out", "out", "--no-zip"],
        0,
    );
    assert_eq!(
        again.json()["files"].as_array().unwrap().len(),
        0,
        "nothing is sent twice"
    );
    assert!(
        again.stderr.contains("its file is now in place"),
        "{}",
        again.stderr
    );
    assert!(
        again.stderr.contains("its unsent file was removed"),
        "{}",
        again.stderr
    );
    assert_eq!(names(&dir.join("out")), finished);
    assert_eq!(std::fs::read(dir.join("out").join(&name)).unwrap(), content);
    assert_verified(dir);
}
