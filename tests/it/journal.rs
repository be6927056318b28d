//! The accounting journal through the real binary (issue 5): `journal list|set-account|
//! set-offset-account|post|transfer`, the cli.md JSON of `journal list`, `import delivery`
//! exiting 1 on `(!)` lines, and bad input refused with exit 2 and nothing changed.

use crate::support::{self, assert_verified, at, data, payrun_in, TempDir};
use serde_json::Value;
use std::path::{Path, PathBuf};

const NOW: &str = "2026-05-04T09:00";
const LATER: &str = "2026-07-02T08:00";

/// The run fixture with bank accounts, exported.
fn exported(dir: &Path) {
    exported_with(dir, Some("5850"));
}

/// The run fixture, its payment formats with `bank_account` (none: no `--bank-account`),
/// exported.
fn exported_with(dir: &Path, bank_account: Option<&str>) {
    at(dir, NOW, &["init", "--name", "Eksempel Forsyning A/S"], 0);
    for (id, scheme, creditor, extra) in [
        ("BS", "bs", "09990001", &["--bs-type", "basis"][..]),
        ("BST", "bs", "09990002", &["--bs-type", "total"]),
        ("BSN", "bs", "09990003", &["--banking-day", "none"]),
        ("LS", "ls", "12345", &["--block-payouts", "--journal", "LS"]),
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
        ];
        if let Some(bank_account) = bank_account {
            args.extend_from_slice(&["--bank-account", bank_account]);
        }
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
    at(dir, NOW, &["collect"], 1);
    at(dir, NOW, &["validate"], 1);
    std::fs::create_dir_all(dir.join("outbox")).unwrap();
    std::fs::create_dir_all(dir.join("inbox")).unwrap();
    at(dir, NOW, &["export", "--out", "outbox", "--no-zip"], 0);
}

/// Simulates the bank's answers to every exported file with `rates` and imports them,
/// returning the import's exit code.
fn answered(dir: &Path, rates: &[&str]) -> i32 {
    let mut sent: Vec<PathBuf> = std::fs::read_dir(dir.join("outbox"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    sent.sort();
    for file in &sent {
        let mut args = vec![
            "simulate-bank",
            file.to_str().unwrap(),
            "--out",
            "inbox",
            "--seed",
            "3",
        ];
        args.extend_from_slice(rates);
        at(dir, NOW, &args, 0);
    }
    let mut answers: Vec<String> = std::fs::read_dir(dir.join("inbox"))
        .unwrap()
        .map(|e| e.unwrap().path().display().to_string())
        .collect();
    answers.sort();
    let mut args = vec!["--now", LATER, "import", "delivery"];
    args.extend(answers.iter().map(String::as_str));
    payrun_in(dir, &args).code
}

fn journal(dir: &Path) -> Vec<Value> {
    at(dir, LATER, &["--json", "journal", "list"], 0).json()["lines"]
        .as_array()
        .unwrap()
        .clone()
}

/// [`support::refused`] at [`LATER`].
fn refused(dir: &Path, args: &[&str], message: &str) {
    support::refused(dir, LATER, args, message);
}

#[test]
fn answers_become_journal_lines_that_post() {
    let tmp = TempDir::new("journal");
    let dir = tmp.path();
    exported(dir);
    assert_verified(dir);
    // Everything completed: no (!) line, exit 0.
    assert_eq!(answered(dir, &[]), 0);
    assert_verified(dir);
    let lines = journal(dir);
    assert!(!lines.is_empty());
    // The cli.md shape of `journal list`.
    let collective = lines
        .iter()
        .find(|l| l["text"] == "BS 100100-20260601")
        .expect("the collective payment's line");
    assert_eq!(collective["journal"], "Day");
    assert_eq!(collective["date"], "2026-06-01");
    assert_eq!(collective["account"], "100100");
    assert_eq!(collective["amount"], "-1150.50");
    assert_eq!(collective["offset_account"], "5850");
    assert_eq!(
        collective["offsets"],
        serde_json::json!(["5001", "5002", "5003"])
    );
    assert_eq!(collective["attention"], false);
    assert!(collective["id"].is_i64());
    assert!(
        collective["source"].as_str().unwrap().starts_with("file "),
        "{collective}"
    );
    let ls: Vec<&Value> = lines.iter().filter(|l| l["journal"] == "LS").collect();
    assert_eq!(ls.len(), 1, "{lines:#?}");
    assert_eq!(ls[0]["text"], "LS 7001");
    // One journal only.
    let day = at(
        dir,
        LATER,
        &["--json", "journal", "list", "--journal", "LS"],
        0,
    )
    .json();
    assert_eq!(day["lines"].as_array().unwrap().len(), 1);
    // The human table shows the amounts with two decimals.
    let table = at(dir, LATER, &["journal", "list"], 0).stdout;
    assert!(table.contains("BS 100100-20260601"), "{table}");
    assert!(table.contains("-1150.50"), "{table}");

    let posted = at(dir, LATER, &["--json", "journal", "post"], 0).json();
    assert_eq!(posted["posted"].as_array().unwrap().len(), lines.len());
    assert!(journal(dir).is_empty());
    assert_verified(dir);
    refused(
        dir,
        &["journal", "post"],
        "the journals are empty: nothing to post",
    );
    assert_verified(dir);
}

#[test]
fn attention_lines_exit_1_and_wait_for_a_person() {
    let tmp = TempDir::new("journal");
    let dir = tmp.path();
    exported(dir);
    let code = answered(
        dir,
        &[
            "--reject",
            "0.2",
            "--cancel",
            "0.1",
            "--chargeback",
            "0.1",
            "--difference",
            "0.2",
        ],
    );
    assert_eq!(code, 1, "a (!) line makes import delivery exit 1");
    assert_verified(dir);
    let lines = journal(dir);
    let marked: Vec<&Value> = lines.iter().filter(|l| l["attention"] == true).collect();
    assert!(!marked.is_empty(), "{lines:#?}");
    for line in &marked {
        assert!(line["text"].as_str().unwrap().starts_with("(!)"), "{line}");
    }
    let archive = at(dir, LATER, &["--json", "archive", "list"], 0).json();
    assert!(archive["files"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["status"] == "error"));
    let table = at(dir, LATER, &["journal", "list"], 0).stdout;
    assert!(table.contains("(!)"), "{table}");
    assert!(table.contains("need a person"), "{table}");

    // Posting leaves the (!) lines in the draft.
    at(dir, LATER, &["journal", "post"], 0);
    let left = journal(dir);
    assert_eq!(left.len(), marked.len());
    assert_verified(dir);
    // Nothing left that may be posted: refused, and it says why.
    refused(dir, &["journal", "post"], "need attention (!)");
    assert_verified(dir);
}

#[test]
fn set_account_approves_a_line_and_bad_input_changes_nothing() {
    let tmp = TempDir::new("journal");
    let dir = tmp.path();
    exported(dir);
    assert_eq!(answered(dir, &["--difference", "1"]), 1);
    let lines = journal(dir);
    let short = lines
        .iter()
        .find(|l| l["text"] == "(!) BS 5004")
        .unwrap_or_else(|| panic!("{lines:#?}"));
    let id = short["id"].as_i64().unwrap().to_string();

    refused(
        dir,
        &["journal", "set-account", "999999", "100101"],
        "no journal line 999999 in this company",
    );
    refused(
        dir,
        &["journal", "set-account", &id, "424242"],
        "no debtor account '424242' in this company",
    );
    refused(
        dir,
        &["journal", "post", "--journal", "Nope"],
        "journal Nope is empty: nothing to post",
    );

    let fixed = at(
        dir,
        LATER,
        &["--json", "journal", "set-account", &id, "100101"],
        0,
    )
    .json();
    assert_eq!(fixed["attention"], false);
    assert_eq!(fixed["text"], "(!) BS 5004", "the bank's text stays");
    assert_verified(dir);
    let posted = at(dir, LATER, &["--json", "journal", "post"], 0).json();
    assert_eq!(posted["posted"][0]["line"].as_i64(), short["id"].as_i64());
    assert_verified(dir);
}

/// The debtor paid invoice 5004 twice: by Betalingsservice and some other way. Posting the
/// bank's payment is refused until a person approves it as it is; then it posts, and the
/// payment stays on the debtor's account, on no entry, as `journal post` says.
#[test]
fn posting_an_invoice_settled_meanwhile_waits_for_a_persons_approval() {
    let tmp = TempDir::new("journal");
    let dir = tmp.path();
    exported(dir);
    assert_eq!(answered(dir, &[]), 0);
    // Invoice 5004 was paid some other way, and the ERP says so.
    let entries = dir.join("settled.csv");
    std::fs::write(
        &entries,
        "entry_id,debtor,date,due_date,invoice,amount,remaining\n\
         E-1004,100101,2026-05-01,2026-06-01,5004,499.00,0.00\n",
    )
    .unwrap();
    at(
        dir,
        LATER,
        &["import", "entries", entries.to_str().unwrap()],
        0,
    );
    refused(
        dir,
        &["journal", "post"],
        "pays invoice '5004' of debtor account '100101', which is already settled",
    );
    let lines = journal(dir);
    let twice = lines
        .iter()
        .find(|l| l["text"] == "BS 5004")
        .unwrap_or_else(|| panic!("{lines:#?}"));
    let id = twice["id"].as_i64().unwrap();
    refused(
        dir,
        &["journal", "post"],
        &format!("approve it as it is (journal set-account {id} 100101)"),
    );
    at(
        dir,
        LATER,
        &["journal", "set-account", &id.to_string(), "100101"],
        0,
    );
    let posted = at(dir, LATER, &["--json", "journal", "post"], 0).json();
    assert_eq!(
        posted["on_account"],
        serde_json::json!([{"line": id, "account": "100101", "amount": "-499.00"}]),
        "{posted:#}"
    );
    assert_verified(dir);
}

#[test]
fn transfer_to_draft_by_hand() {
    let tmp = TempDir::new("journal");
    let dir = tmp.path();
    exported(dir);
    let sent = at(dir, NOW, &["--json", "list", "--status", "sent"], 0).json();
    let sent = sent["lines"].as_array().unwrap();
    let id_of = |entry: &str| {
        sent.iter()
            .find(|l| l["entry"] == entry)
            .unwrap_or_else(|| panic!("{entry} not sent"))["line"]
            .as_i64()
            .unwrap()
            .to_string()
    };
    let (a, b, c) = (id_of("E-1001"), id_of("E-1002"), id_of("E-1004"));

    refused(
        dir,
        &["journal", "transfer", "999999"],
        "no payment line 999999 in this company",
    );
    let added = at(
        dir,
        LATER,
        &["--json", "journal", "transfer", &a, &b, &c],
        0,
    )
    .json();
    let added = added["lines"].as_array().unwrap();
    assert_eq!(added.len(), 2, "{added:#?}");
    assert_eq!(added[0]["text"], "BS 100100-20260601");
    assert_eq!(added[0]["offsets"], serde_json::json!(["5001", "5002"]));
    assert_eq!(added[0]["amount"], "-1250.50");
    assert_eq!(added[0]["offset_account"], "5850");
    assert_eq!(added[0]["journal"], "Day");
    assert_eq!(added[1]["text"], "BS 5004");
    assert_eq!(added[1]["amount"], "-499.00");
    assert_eq!(added[1]["attention"], false);
    assert_verified(dir);
    // The same line again: already in the draft.
    refused(
        dir,
        &["journal", "transfer", &c],
        "is in the journal draft already",
    );
    // Another journal and bank account.
    let other = at(
        dir,
        LATER,
        &[
            "--json",
            "journal",
            "transfer",
            &id_of("E-1020"),
            "--journal",
            "Manual",
            "--bank-account",
            "5860",
        ],
        0,
    )
    .json();
    assert_eq!(other["lines"][0]["journal"], "Manual");
    assert_eq!(other["lines"][0]["offset_account"], "5860");
    let table = at(dir, LATER, &["journal", "post", "--journal", "Day"], 0).stdout;
    assert!(table.contains("Posted 2 journal lines"), "{table}");
    assert_verified(dir);
}

#[test]
fn lines_without_an_offset_account_post_once_a_person_gives_it() {
    let tmp = TempDir::new("journal");
    let dir = tmp.path();
    exported_with(dir, None);
    // Everything completed: no (!) line, but no line has an offset account either, so every
    // one needs a person: the import says so (exit 1) and marks its 0602s `error` (the LS
    // receipt makes no journal line).
    assert_eq!(answered(dir, &[]), 1);
    // The archived 0602s.
    let answers = || -> Vec<Value> {
        let archive = at(dir, LATER, &["--json", "archive", "list"], 0).json();
        archive["files"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["delivery_type"] == "0602")
            .cloned()
            .collect()
    };
    let imported = answers();
    assert!(!imported.is_empty());
    assert!(
        imported.iter().all(|f| f["status"] == "error"),
        "{imported:#?}"
    );
    assert_verified(dir);
    let lines = journal(dir);
    assert!(lines.len() >= 2, "{lines:#?}");
    for line in &lines {
        assert!(line["offset_account"].is_null(), "{line}");
        assert_eq!(line["attention"], true, "{line}");
        assert!(!line["text"].as_str().unwrap().starts_with("(!)"), "{line}");
    }
    let table = at(dir, LATER, &["journal", "list"], 0).stdout;
    assert!(
        table.contains(&format!(
            "{0} of {0} lines have no offset account (their payment format has no bank account): give the bank account with `payrun journal set-offset-account LINE ACCOUNT`; `payrun journal post` posts a line once it has one.",
            lines.len()
        )),
        "{table}"
    );
    assert!(!table.contains("need a person (!)"), "{table}");
    // None of them can be posted, and the refusal says what to do.
    refused(
        dir,
        &["journal", "post"],
        "and an offset account on each that has none, then post",
    );

    let ids: Vec<String> = lines
        .iter()
        .map(|l| l["id"].as_i64().unwrap().to_string())
        .collect();
    refused(
        dir,
        &["journal", "set-offset-account", "999999", "5850"],
        "no journal line 999999 in this company",
    );
    refused(
        dir,
        &["journal", "set-offset-account", &ids[0], " "],
        &format!("journal line {}: the offset account is empty", ids[0]),
    );

    // The first in words, the rest as JSON.
    let said = at(
        dir,
        LATER,
        &["journal", "set-offset-account", &ids[0], "5850"],
        0,
    )
    .stdout;
    // (A second line says so when the line was its file's last to need a person.)
    assert_eq!(
        said.lines().next().unwrap_or_default(),
        format!(
            "Journal line {} ({}) is against offset account 5850 now and can be posted.",
            ids[0],
            lines[0]["text"].as_str().unwrap()
        )
    );
    let last = ids.len() - 1;
    for (id, line) in ids.iter().zip(&lines).take(last).skip(1) {
        let set = at(
            dir,
            LATER,
            &["--json", "journal", "set-offset-account", id, "5850"],
            0,
        )
        .json();
        assert_eq!(set["offset_account"], "5850", "{set}");
        assert_eq!(set["account"], line["account"], "the debtor stays");
        assert_eq!(set["attention"], false, "{set}");
        assert_eq!(set["fixed_by_person"], false, "not a person's approval");
    }
    // The last line's file needs no person after it, and the command says so.
    let said = at(
        dir,
        LATER,
        &["journal", "set-offset-account", &ids[last], "5850"],
        0,
    )
    .stdout;
    assert!(
        said.contains(
            "needs attention any more: its archive status is ok now (payrun archive show "
        ),
        "{said}"
    );
    assert_verified(dir);
    // No line of the 0602s needs a person any more: they are `ok` now, and say when.
    let seen_to = answers();
    assert_eq!(seen_to.len(), imported.len());
    assert!(seen_to.iter().all(|f| f["status"] == "ok"), "{seen_to:#?}");
    let id = seen_to[0]["id"].as_i64().unwrap().to_string();
    let shown = at(dir, LATER, &["archive", "show", &id], 0).stdout;
    assert!(
        shown.contains("status ok: none of its journal lines needs attention any more"),
        "{shown}"
    );

    let posted = at(dir, LATER, &["--json", "journal", "post"], 0).json();
    let posted: Vec<i64> = posted["posted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["line"].as_i64().unwrap())
        .collect();
    let expected: Vec<i64> = lines.iter().map(|l| l["id"].as_i64().unwrap()).collect();
    assert_eq!(posted, expected);
    assert!(journal(dir).is_empty());
    assert_verified(dir);
}
