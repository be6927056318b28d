//! The whole cycle on a few hundred generated entries through the real binary: import →
//! suggest → validate → collect → export → simulate-bank → import → post → verify, with every
//! invariant checked (`payrun verify`) after every step.

use crate::support::{assert_verified, payrun_in, Run, TempDir};
use std::path::{Path, PathBuf};

/// The run: generated against this clock, so most lines pass validation.
const NOW: &str = "2026-05-20T09:00";
/// The bank's answers are read after the last payment date (LS dates reach 60 days ahead,
/// BS ones into July).
const LATER: &str = "2026-08-31T08:00";

fn at(dir: &Path, now: &str, args: &[&str], codes: &[i32]) -> Run {
    let mut full = vec!["--now", now];
    full.extend_from_slice(args);
    let run = payrun_in(dir, &full);
    assert!(
        codes.contains(&run.code),
        "payrun {args:?} exited {}\nstdout:\n{}\nstderr:\n{}",
        run.code,
        run.stdout,
        run.stderr
    );
    run
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

#[test]
fn a_whole_cycle_keeps_every_promise_after_every_step() {
    let tmp = TempDir::new("cycle");
    let dir = tmp.path();
    at(
        dir,
        NOW,
        &[
            "generate",
            "--debtors",
            "120",
            "--entries",
            "300",
            "--out",
            "work",
            "--seed",
            "5",
        ],
        &[0],
    );
    at(dir, NOW, &["init", "--name", "Cycle A/S"], &[0]);
    assert_verified(dir);
    for args in engine::generate::BENCHMARK_FORMATS {
        at(dir, NOW, args, &[0]);
    }
    assert_verified(dir);
    for kind in ["debtors", "mandates", "entries"] {
        at(
            dir,
            NOW,
            &["import", kind, &format!("work/{kind}.csv")],
            &[0],
        );
        assert_verified(dir);
    }
    let suggested = at(dir, NOW, &["--json", "suggest"], &[0]).json();
    assert!(suggested["created"].as_array().unwrap().len() >= 250);
    assert_verified(dir);
    // Before collect, a debtor's several invoices of one date clash (duplicate-debtor-date),
    // and the generated data fails some rules on purpose: exit 1.
    at(dir, NOW, &["validate"], &[1]);
    assert_verified(dir);
    at(dir, NOW, &["collect"], &[0, 1]);
    assert_verified(dir);
    let validated = at(dir, NOW, &["--json", "validate"], &[1]).json();
    let ok = validated["ok_count"].as_u64().unwrap();
    assert!(ok > 200, "only {ok} lines ok after collect");
    assert_verified(dir);

    std::fs::create_dir_all(dir.join("outbox")).unwrap();
    std::fs::create_dir_all(dir.join("inbox")).unwrap();
    let exported = at(dir, NOW, &["--json", "export", "--out", "outbox"], &[0, 1]).json();
    let total = |field: &str| -> u64 {
        exported["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f[field].as_u64().unwrap())
            .sum()
    };
    let charges = total("charges");
    assert!(charges > 80, "only {charges} charges exported");
    let lines = total("lines");
    assert_verified(dir);
    // I7: a second export sends nothing.
    let again = at(dir, NOW, &["--json", "export", "--out", "outbox"], &[0, 1]).json();
    assert!(again["files"].as_array().unwrap().is_empty());
    assert_verified(dir);

    for file in files(&dir.join("outbox")) {
        at(
            dir,
            NOW,
            &[
                "simulate-bank",
                file.to_str().unwrap(),
                "--out",
                "inbox",
                "--seed",
                "11",
                "--reject",
                "0.04",
                "--cancel",
                "0.03",
                "--chargeback",
                "0.03",
                "--difference",
                "0.05",
            ],
            &[0],
        );
    }
    let answers: Vec<String> = files(&dir.join("inbox"))
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    assert!(answers.len() >= 2);
    let mut changed = 0;
    for answer in &answers {
        // Rejections and charge-backs leave (!) lines: exit 1.
        let imported = at(
            dir,
            LATER,
            &["--json", "import", "delivery", answer],
            &[0, 1],
        )
        .json();
        let file = &imported["files"][0];
        assert_eq!(file["unmatched"], 0, "{file}");
        changed += file["changed"].as_u64().unwrap();
        assert_verified(dir);
    }
    // Every line sent was answered and changed (a charge-back changes a line twice; a 0690
    // receipt changes a line again): with hundreds of lines in a file, the import read them
    // on two connections (store::exchange, `Importer::load_lines`).
    assert!(changed >= lines, "{changed} changes for {lines} lines sent");
    // The same answers again (I4) change nothing.
    let mut again = vec!["--json", "import", "delivery"];
    again.extend(answers.iter().map(String::as_str));
    let reimported = at(dir, LATER, &again, &[0]).json();
    for file in reimported["files"].as_array().unwrap() {
        assert_eq!(file["outcome"], "already-imported");
    }
    assert_verified(dir);

    let draft = at(dir, LATER, &["--json", "journal", "list"], &[0]).json();
    let draft = draft["lines"].as_array().unwrap();
    assert!(
        draft.len() as u64 >= charges,
        "one line per answered charge"
    );
    let marked = draft.iter().filter(|l| l["attention"] == true).count();
    assert!(marked > 0 && marked < draft.len());

    let posted = at(dir, LATER, &["--json", "journal", "post"], &[0]).json();
    assert_eq!(
        posted["posted"].as_array().unwrap().len(),
        draft.len() - marked
    );
    assert_eq!(posted["attention"].as_u64().unwrap() as usize, marked);
    assert_verified(dir);
    let left = at(dir, LATER, &["--json", "journal", "list"], &[0]).json();
    assert_eq!(left["lines"].as_array().unwrap().len(), marked);
    // Posting again: only (!) lines are left, refused.
    at(dir, LATER, &["journal", "post"], &[2]);
    assert_verified(dir);
}
