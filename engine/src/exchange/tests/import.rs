//! Import: idempotency (I4, I5), matching, the automatic status changes of §6, mandates, LS
//! receipts and remarks, and files that are refused whole.

use super::*;
use crate::delivery::{
    render_bs0602, render_bs0603, render_ls0602, render_ls0690, render_ls30, Bs0602Delivery,
    Bs0602Payment, Bs0602PaymentCode, Bs0602Record, Bs0602Section, Bs0602SectionCode,
    Bs0603Agreement, Bs0603Code, Bs0603Delivery, Bs0603Section, Bs0603SectionCode, Ls0602Delivery,
    Ls0602Payment, Ls0602PaymentCode, Ls0602Record, Ls0690Comment, Ls0690Delivery, Ls0690Receipt,
    Ls0690Record, Ls0690Remark, Ls30Delivery, Ls30Mandate, Ls30MandateKind,
};
use crate::exchange::simulate::{simulate_answers, BankRates};
use crate::exchange::{BankEvent, ImportOutcome, ImportReport, MatchedBy};
use crate::model::{MandateStatus, Status};
use crate::status::PaymentOutcome;
use crate::store::testing::{back_to_version_10, ledger_insert_triggers_of_version_13};
use chrono::NaiveDate;
use ledger::Amount;

const LATER: &str = "2026-06-01T19:00";

fn date(text: &str) -> NaiveDate {
    crate::testdata::date(text)
}

fn ore(value: i64) -> Amount {
    Amount::from_ore(value)
}

/// A fixture whose run was exported.
fn exported() -> Fixture {
    let mut f = Fixture::new();
    f.prepare(NOW);
    f.export(NOW);
    f
}

fn import(f: &mut Fixture, name: &str, text: &str) -> crate::Result<ImportReport> {
    f.engine.import_delivery(name, text.as_bytes(), time(LATER))
}

/// Imports and returns the bank events the import handed to the journal seam.
fn import_events(f: &mut Fixture, name: &str, text: &str) -> (ImportReport, Vec<BankEvent>) {
    let mut events = Vec::new();
    let report = f
        .engine
        .import_delivery_observed(name, text.as_bytes(), time(LATER), &mut |batch| {
            events.extend_from_slice(batch)
        })
        .unwrap();
    (report, events)
}

/// A BS 0602 record of section 0211.
fn record(
    code: Bs0602PaymentCode,
    customer: &str,
    reference: &str,
    amount: i64,
    paid: i64,
) -> Bs0602Payment {
    let moved = !matches!(code, Bs0602PaymentCode::Cancelled) && paid != 0;
    Bs0602Payment {
        code,
        customer_no: crate::delivery::returned_customer_no(customer).into(),
        agreement_no: "000000001".into(),
        payment_date: date("2026-06-01"),
        amount: ore(amount),
        reference: reference.into(),
        actual_date: moved.then(|| date("2026-06-01")),
        booking_date: moved.then(|| date("2026-06-01")),
        paid_amount: ore(paid),
    }
}

/// A BS 0602 delivery of one 0211 section for a creditor.
fn bs0602(delivery_id: u64, creditor: &str, records: Vec<Bs0602Payment>) -> String {
    render_bs0602(&Bs0602Delivery {
        data_supplier_cvr: "11223344".to_string(),
        system_code: "BS1".to_string(),
        delivery_id,
        created: Some(date("2026-06-01")),
        sections: vec![Bs0602Section {
            section: Bs0602SectionCode::AutomaticPayments,
            creditor_pbs: creditor.to_string(),
            debtor_group: "00001".to_string(),
            data_supplier_ident: String::new(),
            date: Some(date("2026-06-01")),
            records: records.into_iter().map(Bs0602Record::Payment).collect(),
        }],
    })
    .unwrap()
}

/// The simulated answers (seed 1, everything completed) to the exported files.
fn completed_answers(f: &Fixture) -> Vec<crate::exchange::simulate::SimulatedFile> {
    let mut answers = Vec::new();
    let mut names: Vec<_> = std::fs::read_dir(&f.out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    for path in names {
        let bytes = std::fs::read(&path).unwrap();
        answers.extend(
            simulate_answers(&path.display().to_string(), &bytes, &BankRates::default()).unwrap(),
        );
    }
    answers
}

#[test]
fn completed_answers_make_every_line_received() {
    let mut f = exported();
    for answer in completed_answers(&f) {
        let report = import(&mut f, &answer.file_name, &answer.text).unwrap();
        assert_eq!(report.outcome, ImportOutcome::Applied);
        assert_eq!(report.attention, 0, "{report:?}");
    }
    let statuses: Vec<Status> = f.statuses().into_iter().map(|(_, s)| s).collect();
    assert_eq!(statuses, [Status::Received; 7]);
    let mut engine = Engine::open(f.db_path(), None).unwrap();
    let lines = engine.list_lines(&crate::LineFilter::default()).unwrap();
    let (_, _, log) = engine.line(lines[6].0.id).unwrap();
    let causes: Vec<&str> = log.iter().map(|c| c.cause.as_str()).collect();
    assert_eq!(
        causes,
        [
            "suggest",
            "export of delivery 3",
            "import of file D26050701_LS0690_3736222208",
            "import of file D26050702_LS0602_3736222208"
        ]
    );
    let statuses: Vec<Option<Status>> = log.iter().map(|c| c.old).collect();
    assert_eq!(
        statuses,
        [
            None,
            Some(Status::Blank),
            Some(Status::Sent),
            Some(Status::ToBeTreated)
        ]
    );
    let archive = engine.archive_list(&Default::default()).unwrap();
    let received: Vec<(&str, &str, &str)> = archive
        .iter()
        .filter(|a| !a.export)
        .map(|a| {
            (
                a.delivery_type.as_str(),
                a.scheme.as_str(),
                a.status.as_str(),
            )
        })
        .collect();
    assert_eq!(
        received,
        [
            ("0602", "ls", "ok"),
            ("0690", "ls", "ok"),
            ("0602", "bs", "ok"),
            ("0602", "bs", "ok")
        ]
    );
}

/// I4: the same file twice; the second time it is `already-imported` and nothing changes.
#[test]
fn the_same_file_twice_is_already_imported() {
    let mut f = exported();
    let answer = completed_answers(&f).remove(0);
    let first = import(&mut f, "D1.txt", &answer.text).unwrap();
    assert_eq!(first.outcome, ImportOutcome::Applied);
    assert_eq!(first.changed, 3);
    let before = f.dump();
    let second = import(&mut f, "D1-again.txt", &answer.text).unwrap();
    assert_eq!(second.outcome, ImportOutcome::AlreadyImported);
    assert_eq!(second.file_id, first.file_id);
    assert_eq!((second.changed, second.attention), (0, 0));
    assert_eq!(f.dump(), before);
}

/// A batch of journal draft lines refused while pass 3 still answers (here: the debtors are
/// gone): the import is refused whole, nothing is applied, and pass 3 stops instead of
/// waiting to hand over its next batch. Every event is a batch of its own in these tests, and
/// the record's four copies (duplicates, I5) are four more.
#[test]
fn a_refused_journal_batch_refuses_the_import_whole() {
    let mut f = exported();
    let completed = || {
        record(
            Bs0602PaymentCode::Completed,
            "100100",
            "000000001",
            125000,
            125000,
        )
    };
    let text = bs0602(77, "12345678", (0..5).map(|_| completed()).collect());
    rusqlite::Connection::open(f.db_path())
        .unwrap()
        .execute_batch("PRAGMA foreign_keys = OFF; DELETE FROM debtors;")
        .unwrap();
    let before = f.dump();
    let error = import(&mut f, "D77.txt", &text).unwrap_err().to_string();
    assert_eq!(
        error,
        "journal line 1 of those to add names debtor account '100100', which this company does not have: import the debtor first; no line was added"
    );
    assert_eq!(f.dump(), before);
}

/// I4: the same delivery with LF instead of CR LF, and with every record padded to 128
/// characters, is the same delivery.
#[test]
fn line_ends_and_padding_do_not_make_another_delivery() {
    let mut f = exported();
    let text = completed_answers(&f).remove(0).text;
    import(&mut f, "D1.txt", &text).unwrap();
    let before = f.dump();
    let lf = text.replace("\r\n", "\n");
    let padded: String = text
        .split("\r\n")
        .filter(|l| !l.is_empty())
        .map(|l| format!("{l:<128}\n"))
        .collect();
    let enveloped = format!("PBCNET00 start\r\n{text}\r\nPBCNET90 end\r\n");
    for (name, variant) in [("lf", lf), ("padded", padded), ("enveloped", enveloped)] {
        let report = import(&mut f, name, &variant).unwrap();
        assert_eq!(report.outcome, ImportOutcome::AlreadyImported, "{name}");
    }
    assert_eq!(f.dump(), before);
}

/// I4: the same delivery key with one amount changed is refused and nothing is applied.
#[test]
fn the_same_key_with_other_content_is_refused() {
    let mut f = exported();
    let good = bs0602(
        77,
        "12345678",
        vec![record(
            Bs0602PaymentCode::Completed,
            "100100",
            "000000001",
            125000,
            125000,
        )],
    );
    let changed = bs0602(
        77,
        "12345678",
        vec![record(
            Bs0602PaymentCode::Completed,
            "100100",
            "000000001",
            125000,
            125001,
        )],
    );
    import(&mut f, "D77.txt", &good).unwrap();
    let before = f.dump();
    let error = import(&mut f, "D77-b.txt", &changed)
        .unwrap_err()
        .to_string();
    assert_eq!(
        error,
        "D77-b.txt: delivery 0000000077 (data supplier 11223344, system code BS1, type 0602, created 2026-06-01) was already imported as archive file 4 ('D77.txt') with different content; refused, nothing applied: ask Mastercard which one is right"
    );
    assert_eq!(f.dump(), before);
}

/// The bank's rejection (0237) of charge 000000001: debtor 100100's collective payment, E1's.
fn e1_rejected() -> Bs0602Payment {
    record(
        Bs0602PaymentCode::Rejected,
        "100100",
        "000000001",
        125000,
        0,
    )
}

/// Sends the rejected lines again, as a person asks for it: each gets a new charge with a new
/// reference (E1's among them).
fn resend_rejected(f: &mut Fixture) {
    let (store, company) = f.engine.parts();
    let resend: Vec<_> = store
        .list_lines(company, &crate::LineFilter::default())
        .unwrap()
        .iter()
        .filter(|(l, _)| l.status == Status::Rejected)
        .map(|(l, _)| (l.id, Status::Rejected, Status::Transmitting))
        .collect();
    store
        .change_status(company, &resend, time(NOW), "manual")
        .unwrap();
    assert_eq!(f.export(NOW).files.len(), 1);
    assert_eq!(f.status_of("E1"), Status::Sent);
}

/// I5: a return record sent again in another delivery is applied once; the second time it
/// changes nothing and is marked as applied before, so the journal never posts it twice.
#[test]
fn one_record_in_two_deliveries_is_applied_once() {
    let mut f = exported();
    let rejected = e1_rejected();
    let (first, _) = import_events(
        &mut f,
        "D1.txt",
        &bs0602(1, "12345678", vec![rejected.clone()]),
    );
    assert_eq!((first.changed, first.attention), (3, 1));
    assert_eq!(f.status_of("E1"), Status::Rejected);
    // The line is resent (a new charge with a new reference)…
    resend_rejected(&mut f);
    // …and the bank sends the old rejection again, in another delivery, with a new record.
    let again = bs0602(
        2,
        "12345678",
        vec![
            rejected,
            record(
                Bs0602PaymentCode::Completed,
                "100101",
                "000000002",
                9995,
                9995,
            ),
        ],
    );
    let before_lines = f.statuses();
    let (second, events) = import_events(&mut f, "D2.txt", &again);
    assert_eq!(second.outcome, ImportOutcome::Applied);
    assert_eq!((second.duplicates, second.changed), (1, 0), "{second:?}");
    assert_eq!(events[0].duplicate_of, Some(first.file_id));
    assert!(events[0].lines.iter().all(|l| l.status_after.is_none()));
    assert_eq!(f.status_of("E1"), Status::Sent);
    // The new record names a charge of format BST in a section of format BS: unmatched.
    assert_eq!((second.unmatched, second.skipped), (1, 0));
    assert_eq!(f.statuses(), before_lines);
}

/// I5 within one file: a return record that appears twice in one delivery is applied once;
/// the second is marked as applied before from this same file. Asked of the database before
/// any record is written, I5 finds this file's own records in memory.
#[test]
fn one_record_twice_in_one_delivery_is_applied_once() {
    let mut f = exported();
    let rejected = e1_rejected();
    let (report, events) = import_events(
        &mut f,
        "D1.txt",
        &bs0602(1, "12345678", vec![rejected.clone(), rejected]),
    );
    assert_eq!(report.outcome, ImportOutcome::Applied);
    assert_eq!((report.duplicates, report.changed), (1, 3), "{report:?}");
    assert_eq!(events[0].duplicate_of, None);
    assert_eq!(events[1].duplicate_of, Some(report.file_id));
    assert!(events[1].lines.iter().all(|l| l.status_after.is_none()));
    assert_eq!(f.status_of("E1"), Status::Rejected);
    // Registered once: the same record in a later delivery names this file.
    resend_rejected(&mut f);
    let (again, events) = import_events(
        &mut f,
        "D2.txt",
        &bs0602(2, "12345678", vec![e1_rejected()]),
    );
    assert_eq!((again.duplicates, again.changed), (1, 0), "{again:?}");
    assert_eq!(events[0].duplicate_of, Some(report.file_id));
}

/// The answers of a 0602 are matched to their charges in any order: a reference before one
/// already answered in the file is looked up on its own (the charges are read ahead in
/// reference order, for the files that keep it).
#[test]
fn answers_out_of_reference_order_find_their_charges() {
    let later = record(
        Bs0602PaymentCode::Completed,
        "100101",
        "000000002",
        9995,
        9995,
    );
    let mut reports = Vec::new();
    for records in [
        vec![e1_rejected(), later.clone()],
        vec![later, e1_rejected()],
    ] {
        let mut f = exported();
        let (report, events) = import_events(&mut f, "D1.txt", &bs0602(1, "12345678", records));
        let e1 = events.iter().find(|e| e.reference == "000000001").unwrap();
        assert_eq!(e1.charge.as_deref(), Some("000000001"));
        assert_eq!(e1.matched_by, MatchedBy::Reference);
        assert_eq!(f.status_of("E1"), Status::Rejected);
        reports.push((report.changed, report.attention, report.unmatched));
    }
    // E1's charge of three lines is rejected; 000000002 is a charge of format BST in a
    // section of format BS: unmatched (and marked), in both orders.
    assert_eq!(reports, [(3, 2, 1), (3, 2, 1)]);
}

/// A charge keeps the ids of the lines it was sent for (its `lines`), but a line sent again
/// since carries the newer charge's reference: an answer to the older charge, even one not
/// seen before, leaves it alone, as the lookup of lines by reference did.
#[test]
fn an_answer_to_an_older_charge_leaves_a_line_sent_again_alone() {
    let mut f = exported();
    let rejected = e1_rejected();
    let (first, _) = import_events(&mut f, "D1.txt", &bs0602(1, "12345678", vec![rejected]));
    assert_eq!(first.changed, 3);
    resend_rejected(&mut f);
    // A charge-back of the first charge (a record not applied before) finds its charge,
    // whose lines all carry the new reference now.
    let late = record(
        Bs0602PaymentCode::ChargedBack,
        "100100",
        "000000001",
        125000,
        125000,
    );
    let before = f.statuses();
    let (second, events) = import_events(&mut f, "D2.txt", &bs0602(2, "12345678", vec![late]));
    assert_eq!(
        (second.duplicates, second.changed, second.unmatched),
        (0, 0, 1),
        "{second:?}"
    );
    assert_eq!(events[0].charge.as_deref(), Some("000000001"));
    assert!(events[0].lines.is_empty());
    assert_eq!(f.statuses(), before);
}

/// Migration 9 gives the charges of a database of version 8 the ids of the lines that carry
/// their reference: what export now writes in their `lines`. The index by reference goes.
#[test]
fn migration_9_gives_existing_charges_the_lines_export_writes() {
    let f = exported();
    let path = f.dir.path().join("payrun.db");
    let charges = |conn: &rusqlite::Connection| -> Vec<(String, String)> {
        conn.prepare("SELECT reference, lines FROM charges ORDER BY reference")
            .unwrap()
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    };
    let Fixture { dir, engine, .. } = f;
    drop(engine);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let written = charges(&conn);
    assert!(
        written.iter().any(|(_, lines)| lines.contains(',')),
        "{written:?}"
    );
    assert!(written.iter().all(|(_, lines)| !lines.is_empty()));
    // Back to version 8.
    conn.execute_batch(
        "ALTER TABLE charges DROP COLUMN lines;
         CREATE INDEX payment_lines_by_reference ON payment_lines (company, reference)
             WHERE reference IS NOT NULL;
         PRAGMA user_version = 8;",
    )
    .unwrap();
    back_to_version_10(&conn);
    drop(conn);
    drop(Engine::open(&path, None).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    assert_eq!(charges(&conn), written);
    let index: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE name = 'payment_lines_by_reference'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(index, 0);
    drop(dir);
}

/// Migration 10 keys I5's register by hash: a database of version 9 keeps every place a
/// record was applied from, once, and a record sent again is still known.
#[test]
fn migration_10_keeps_the_applied_records() {
    let mut f = exported();
    let rejected = e1_rejected();
    let first = import(
        &mut f,
        "D1.txt",
        &bs0602(1, "12345678", vec![rejected.clone()]),
    )
    .unwrap();
    assert_eq!(first.changed, 3);
    let path = f.db_path();
    let places = |conn: &rusqlite::Connection| -> Vec<(i64, i64, i64, i64)> {
        conn.prepare("SELECT company, hash, file, line FROM applied_records ORDER BY 1, 2, 3, 4")
            .unwrap()
            .query_map([], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
            })
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    };
    let Fixture { dir, engine, out } = f;
    drop(engine);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let before = places(&conn);
    assert_eq!(before.len(), 1);
    // Back to version 9's table, with the one place registered twice.
    conn.execute_batch(
        "CREATE TABLE v9 (id INTEGER PRIMARY KEY, company INTEGER NOT NULL,
             hash INTEGER NOT NULL, file INTEGER NOT NULL REFERENCES delivery_files (id),
             line INTEGER NOT NULL) STRICT;
         INSERT INTO v9 (company, hash, file, line) SELECT company, hash, file, line
             FROM applied_records;
         INSERT INTO v9 (company, hash, file, line) SELECT company, hash, file, line
             FROM applied_records;
         DROP TABLE applied_records;
         ALTER TABLE v9 RENAME TO applied_records;
         CREATE INDEX applied_records_by_hash ON applied_records (company, hash);
         PRAGMA user_version = 9;",
    )
    .unwrap();
    back_to_version_10(&conn);
    drop(conn);
    let mut f = Fixture {
        dir,
        engine: Engine::open(&path, None).unwrap(),
        out,
    };
    let conn = rusqlite::Connection::open(&path).unwrap();
    assert_eq!(places(&conn), before);
    drop(conn);
    // The same record in another delivery is applied before.
    let again = import(&mut f, "D2.txt", &bs0602(2, "12345678", vec![rejected])).unwrap();
    assert_eq!((again.duplicates, again.changed), (1, 0), "{again:?}");
}

/// Migration 11 makes the status log events and changes: every line keeps its changes, in
/// their order, even from a log whose neighbouring rows are other kinds of change; `verify`
/// passes on the result and a line's log reads as before.
#[test]
fn migration_11_keeps_each_lines_status_log_in_order() {
    let mut f = exported();
    // A charge-back of a line still sent: received, then reversed, in one file.
    let reversed = record(
        Bs0602PaymentCode::ChargedBack,
        "100100",
        "000000001",
        125000,
        125000,
    );
    import(&mut f, "D1.txt", &bs0602(1, "12345678", vec![reversed])).unwrap();
    // `show` gives E1's line its four changes in the order they were made, the last two of
    // one file.
    let e1 = f
        .engine
        .list(&crate::LineFilter::default())
        .unwrap()
        .into_iter()
        .find(|l| l.entry.as_str() == "E1")
        .unwrap()
        .line;
    let shown = |f: &mut Fixture| -> Vec<(Option<&'static str>, &'static str)> {
        f.engine
            .show(e1)
            .unwrap()
            .log
            .iter()
            .map(|c| (c.old, c.new))
            .collect()
    };
    let e1_log = vec![
        (None, "blank"),
        (Some("blank"), "sent"),
        (Some("sent"), "received"),
        (Some("received"), "reversed"),
    ];
    assert_eq!(shown(&mut f), e1_log);
    let path = f.db_path();
    let Fixture { dir, engine, out } = f;
    drop(engine);
    let logs = |conn: &rusqlite::Connection, order: &str| -> Vec<LoggedChange> {
        conn.prepare(&format!(
            "SELECT line, at, old, new, cause FROM status_log ORDER BY line, {order}"
        ))
        .unwrap()
        .query_map([], |row| {
            Ok((
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
            ))
        })
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
    };
    let conn = rusqlite::Connection::open(&path).unwrap();
    let before = logs(&conn, "event");
    let longest = before.iter().filter(|c| c.0 == before[0].0).count();
    assert!(
        before.iter().any(|c| c.3 == "reversed") && longest >= 3,
        "{before:?}"
    );
    back_to_version_10(&conn);
    conn.execute_batch("PRAGMA user_version = 10;").unwrap();
    assert_eq!(logs(&conn, "id"), before);
    drop(conn);
    let mut f = Fixture {
        dir,
        engine: Engine::open(&path, None).unwrap(),
        out,
    };
    assert_eq!(shown(&mut f), e1_log);
    let conn = rusqlite::Connection::open(&path).unwrap();
    assert_eq!(logs(&conn, "event"), before);
    drop(conn);
    // A change made after the migration comes after every migrated one (the events' ids go
    // on from the highest migrated id).
    f.engine
        .set_status(
            &[e1],
            crate::status::ManualTarget::Resend,
            false,
            time(LATER),
        )
        .unwrap();
    let mut resent = e1_log.clone();
    resent.push((Some("reversed"), "transmitting"));
    assert_eq!(shown(&mut f), resent);
    let report = crate::verify::verify_database(&path).unwrap();
    assert!(report.ok, "{report:?}");
    drop(f);
}

/// A status-log row as the tests read it: line, at, old, new, cause.
type LoggedChange = (i64, String, Option<String>, String, String);

/// `verify` finds a sent line its charge does not list (an answer would never reach it) and a
/// line whose reference names no charge.
#[test]
fn verify_finds_a_sent_line_its_charge_does_not_list() {
    let f = exported();
    let path = f.db_path();
    assert!(crate::verify::verify_database(&path).unwrap().ok);
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "UPDATE charges SET lines = '' WHERE reference = '000000001';
         UPDATE payment_lines SET reference = '999999999'
             WHERE id = (SELECT max(id) FROM payment_lines WHERE reference IS NOT NULL);",
    )
    .unwrap();
    drop(conn);
    let report = crate::verify::verify_database(&path).unwrap();
    let failed: Vec<_> = report.checks.iter().filter(|c| !c.ok).collect();
    assert_eq!(failed.len(), 1, "{report:?}");
    assert_eq!(failed[0].name, "every sent line is listed by its charge");
    assert!(
        failed[0]
            .detail
            .contains("is not in the lines of its charge 000000001"),
        "{report:?}"
    );
    assert!(
        failed[0]
            .detail
            .contains("carries the reference 999999999 of no charge"),
        "{report:?}"
    );
}

/// I5 where the status machine alone would not help: an LS rejection (no reference) sent
/// again after the line was resent on the same date with the same amount.
#[test]
fn an_ls_rejection_sent_again_does_not_reject_the_resent_charge() {
    let mut f = exported();
    let rejection = |task: &str| {
        render_ls0602(&Ls0602Delivery {
            data_supplier_cvr: "11223344".to_string(),
            test: false,
            created: Some(date(if task == "1" {
                "2026-05-06"
            } else {
                "2026-05-07"
            })),
            records: vec![Ls0602Record::Payment(Ls0602Payment {
                creditor_no: "12345".to_string(),
                code: Ls0602PaymentCode::Rejected,
                task_no: "00000001".to_string(),
                customer_no: "0000000LS200100".to_string(),
                payment_date: date("2026-05-06"),
                amount: ore(500000),
                creditor_reg_no: String::new(),
                creditor_account_no: String::new(),
            })],
        })
        .unwrap()
    };
    let first = import(&mut f, "DLS1", &rejection("1")).unwrap();
    assert_eq!(first.changed, 1);
    assert_eq!(f.status_of("E6"), Status::Rejected);
    let (store, company) = f.engine.parts();
    let e6 = store
        .list_lines(company, &crate::LineFilter::default())
        .unwrap()
        .into_iter()
        .find(|(l, _)| l.entry_id == "E6")
        .unwrap()
        .0
        .id;
    store
        .change_status(
            company,
            &[(e6, Status::Rejected, Status::Transmitting)],
            time(NOW),
            "manual",
        )
        .unwrap();
    assert_eq!(f.export(NOW).files.len(), 1);
    assert_eq!(f.status_of("E6"), Status::Sent);
    let second = import(&mut f, "DLS2", &rejection("2")).unwrap();
    assert_eq!((second.duplicates, second.changed), (1, 0), "{second:?}");
    assert_eq!(f.status_of("E6"), Status::Sent);
}

/// §6 and §8 per code: 0236 as charged → received; 0236 for another amount → difference with
/// the paid amount as partial payment, spread over a collective payment's lines; 0237 →
/// rejected; 0238 → unsubscribed; a later 0239 → reversed. Each record is one bank event.
#[test]
fn each_code_moves_its_lines_as_section_6_says() {
    let mut f = exported();
    // 100100's collective payment (1000 + 500 - 250) is paid 1,100.00.
    let (report, events) = import_events(
        &mut f,
        "D1.txt",
        &bs0602(
            1,
            "12345678",
            vec![record(
                Bs0602PaymentCode::Completed,
                "100100",
                "000000001",
                125000,
                110000,
            )],
        ),
    );
    assert_eq!((report.changed, report.attention), (3, 1));
    let event = &events[0];
    assert_eq!(event.outcome, PaymentOutcome::Difference);
    assert_eq!(event.matched_by, MatchedBy::Reference);
    assert_eq!(event.group.as_deref(), Some("100100-20260601"));
    assert_eq!(event.mandate.as_deref(), Some("100100"));
    assert_eq!(event.debtor.as_deref(), Some("100100"));
    assert_eq!(
        (event.amount_charged, event.amount_paid, event.amount_sent),
        (ore(125000), ore(110000), Some(ore(125000)))
    );
    assert_eq!(event.record_line, 3);
    let invoices: Vec<Option<&str>> = event.lines.iter().map(|l| l.invoice.as_deref()).collect();
    assert_eq!(invoices, [Some("5001"), Some("5002"), Some("5003")]);
    let engine = Engine::open(f.db_path(), None).unwrap();
    let partials: Vec<(Status, Option<Amount>)> = engine
        .list_lines(&crate::LineFilter::default())
        .unwrap()
        .iter()
        .take(3)
        .map(|(l, _)| (l.status, l.partial_payment))
        .collect();
    assert_eq!(
        partials,
        [
            (Status::Difference, Some(ore(100000))),
            (Status::Difference, Some(ore(35000))),
            (Status::Difference, Some(ore(-25000)))
        ]
    );

    // BS Total: 100101 rejected before the due date, 100102 cancelled.
    let (report, events) = import_events(
        &mut f,
        "D2.txt",
        &bs0602(
            2,
            "87654321",
            vec![
                record(Bs0602PaymentCode::Rejected, "100101", "000000002", 9995, 0),
                record(
                    Bs0602PaymentCode::Cancelled,
                    "100102",
                    "000000003",
                    30000,
                    0,
                ),
            ],
        ),
    );
    assert_eq!((report.changed, report.attention), (2, 2));
    assert_eq!(f.status_of("E4"), Status::Rejected);
    assert_eq!(f.status_of("E5"), Status::Unsubscribed);
    assert_eq!(
        events[0].outcome,
        PaymentOutcome::Rejected {
            after_due_date: false
        }
    );
    // Neither debtor has a mandate (Total solution, payment slips).
    assert_eq!(events[0].mandate, None);

    // LS: collection completed, payout completed; then the collection charged back.
    let ls = |code, amount: i64, day: &str, created: &str| {
        render_ls0602(&Ls0602Delivery {
            data_supplier_cvr: "11223344".to_string(),
            test: false,
            created: Some(date(created)),
            records: vec![Ls0602Record::Payment(Ls0602Payment {
                creditor_no: "12345".to_string(),
                code,
                task_no: "00000001".to_string(),
                customer_no: "0000000LS200100".to_string(),
                payment_date: date(day),
                amount: ore(amount),
                creditor_reg_no: String::new(),
                creditor_account_no: String::new(),
            })],
        })
        .unwrap()
    };
    import(
        &mut f,
        "L1",
        &ls(
            Ls0602PaymentCode::Collected,
            500000,
            "2026-05-06",
            "2026-05-06",
        ),
    )
    .unwrap();
    import(
        &mut f,
        "L2",
        &ls(
            Ls0602PaymentCode::PaidOut,
            -100000,
            "2026-05-07",
            "2026-05-07",
        ),
    )
    .unwrap();
    assert_eq!(f.status_of("E6"), Status::Received);
    assert_eq!(f.status_of("E7"), Status::Received);
    let (report, events) = import_events(
        &mut f,
        "L3",
        &ls(
            Ls0602PaymentCode::ChargedBack,
            500000,
            "2026-05-06",
            "2026-05-20",
        ),
    );
    assert_eq!((report.changed, report.attention), (1, 1));
    assert_eq!(f.status_of("E6"), Status::Reversed);
    assert_eq!(events[0].matched_by, MatchedBy::CustomerAndDate);
    assert_eq!(events[0].code, "0555");
    assert_eq!(events[0].lines[0].status_before, Status::Received);
    assert_eq!(events[0].lines[0].status_after, Some(Status::Reversed));
}

/// A record without a reference is matched by customer number (leading zeros stripped) and
/// payment date with the same amount; a record matching no line is an unmatched event, not an
/// error; a change the status machine does not allow changes nothing and is reported.
#[test]
fn fallback_match_unmatched_records_and_refused_changes() {
    let mut f = exported();
    let (report, events) = import_events(
        &mut f,
        "D1.txt",
        &bs0602(
            1,
            "12345678",
            vec![
                record(Bs0602PaymentCode::Completed, "100100", "", 125000, 125000),
                record(Bs0602PaymentCode::Completed, "999999", "", 4200, 4200),
                record(Bs0602PaymentCode::Completed, "100100", "", 7700, 7700),
                // Charged back after the completion above, in the same file.
                record(
                    Bs0602PaymentCode::ChargedBack,
                    "100100",
                    "000000001",
                    125000,
                    125000,
                ),
            ],
        ),
    );
    assert_eq!(events[0].matched_by, MatchedBy::CustomerAndDate);
    assert_eq!(events[0].lines.len(), 3);
    // The charge-back comes after the completion in the same file: received → reversed.
    assert_eq!(f.status_of("E1"), Status::Reversed);
    assert_eq!(events[1].matched_by, MatchedBy::Nothing);
    assert!(events[1].lines.is_empty() && events[1].mandate.is_none());
    assert_eq!(events[1].customer_no, "000000000999999");
    // 100100 has a mandate, but no charge of 77.00 on that date.
    assert_eq!(events[2].mandate.as_deref(), Some("100100"));
    assert_eq!(events[2].debtor.as_deref(), Some("100100"));
    assert!(events[2].lines.is_empty());
    assert_eq!(report.unmatched, 2);
    assert_eq!(report.changed, 6);
    assert_eq!(report.attention, 3);
    let engine_status: String = query(
        &f.db_path(),
        "SELECT status FROM delivery_files WHERE file_name = 'D1.txt'",
    );
    assert_eq!(engine_status, "error");

    // Now a second completion of the same charge (another record text): refused, reported.
    let (report, events) = import_events(
        &mut f,
        "D2.txt",
        &bs0602(
            2,
            "12345678",
            vec![record(
                Bs0602PaymentCode::Completed,
                "100100",
                "000000001",
                125000,
                125000,
            )],
        ),
    );
    assert_eq!((report.changed, report.refused), (0, 3));
    assert!(events[0].lines.iter().all(|l| l.status_after.is_none()));
}

/// Bad input through `import delivery`: refused whole with file, line, column, field, found and
/// expected; nothing applied, not even an archive entry.
#[test]
fn bad_files_are_refused_whole_and_change_nothing() {
    let mut f = exported();
    let before = f.dump();
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/delivery/errors");
    for (name, message) in [
        ("letters_in_number.txt", "letters_in_number.txt:3:61: amount: found 'X', expected a digit; the file was refused and nothing was applied"),
        ("total_mismatch.txt", "total_mismatch.txt:9:43: amount: found '000000000244700', expected '000000000244800' (the sum of the paid amounts, positions 116-128, of the section's 042 records); the file was refused and nothing was applied"),
        ("missing_bs992.txt", "missing_bs992.txt:20:1: delivery end: found end of file, expected a BS992 record; the file was refused and nothing was applied"),
        ("empty.txt", "empty.txt:1:1: delivery start: found an empty file, expected a BS002, LS002 or LS 000 record; the file was refused and nothing was applied"),
        ("non_latin1_byte.txt", "non_latin1_byte.txt:3:75: character: found byte 0x81, expected printable ISO 8859-1 text; the file was refused and nothing was applied"),
        ("ls0690_count_mismatch.txt", "ls0690_count_mismatch.txt:6:32: number of records: found '00000000005', expected '00000000004' (the number of detail records in the delivery); the file was refused and nothing was applied"),
    ] {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        let error = f
            .engine
            .import_delivery(name, &bytes, time(LATER))
            .unwrap_err();
        assert_eq!(error.to_string(), message);
        assert_eq!(f.dump(), before, "{name}");
    }
    // Never a panic on any prefix of a good file.
    let good = completed_answers(&f).remove(0).text;
    for end in (0..good.len()).step_by(7) {
        let _ = f
            .engine
            .import_delivery("cut", &good.as_bytes()[..end], time(LATER));
    }
}

/// Files the engine writes, and files for another creditor, are refused.
#[test]
fn exports_and_other_creditors_files_are_refused() {
    let mut f = exported();
    let before = f.dump();
    let sent = f.read_out("AB_PBSXML000202605112233440000000001PROD");
    assert_eq!(
        import(&mut f, "mine.txt", &sent).unwrap_err().to_string(),
        "mine.txt: is a BS 0601 delivery to Mastercard, not an answer from it: only BS 0602/0603, LS 0690/0602 and LS type 30 files can be imported"
    );
    let other = bs0602(
        1,
        "99999999",
        vec![record(Bs0602PaymentCode::Completed, "1", "", 100, 100)],
    );
    assert_eq!(
        import(&mut f, "other.txt", &other).unwrap_err().to_string(),
        "other.txt: is for creditor 99999999, which is not a BS payment format of company 'main': import it into the right company (--company)"
    );
    assert_eq!(f.dump(), before);
}

fn bs0603(delivery_id: u64, creditor: &str, agreements: Vec<Bs0603Agreement>) -> String {
    render_bs0603(&Bs0603Delivery {
        data_supplier_cvr: "11223344".to_string(),
        system_code: "BS1".to_string(),
        delivery_id,
        created: Some(date("2026-05-10")),
        sections: vec![Bs0603Section {
            section: Bs0603SectionCode::RegisteredAndCancelled,
            creditor_pbs: creditor.to_string(),
            debtor_group: "00001".to_string(),
            data_supplier_ident: String::new(),
            date: Some(date("2026-05-10")),
            agreements,
        }],
        warnings: Vec::new(),
    })
    .unwrap()
}

fn agreement(
    code: Bs0603Code,
    customer: &str,
    start: Option<&str>,
    end: Option<&str>,
) -> Bs0603Agreement {
    Bs0603Agreement {
        code,
        customer_no: crate::delivery::returned_customer_no(customer),
        agreement_no: "000000777".to_string(),
        start_date: start.map(date),
        end_date: end.map(date),
    }
}

/// §8 0603: a registered agreement enrols the mandate with its start date; a cancellation
/// unsubscribes it with its end date and reason; an unknown customer number needs a person,
/// unless the format uses debtor accounts as mandate ids and the debtor exists.
#[test]
fn bs0603_updates_mandates() {
    let mut f = Fixture::with(
        &format!("{DEBTORS}100103,Ny Kunde,,,,,DK,\n"),
        "mandate_id,debtor,payment_format,status\n100101,100101,BST,registered\n",
        "entry_id,debtor,due_date,amount,invoice\n",
    );
    let report = import(
        &mut f,
        "D0603a",
        &bs0603(
            1,
            "87654321",
            vec![
                agreement(Bs0603Code::Registered, "100101", Some("2026-05-15"), None),
                agreement(Bs0603Code::Registered, "100103", Some("2026-05-15"), None),
            ],
        ),
    )
    .unwrap();
    assert_eq!((report.mandates_changed, report.attention), (1, 1));
    let engine = &mut f.engine;
    let m = &engine.mandates(Some("100101")).unwrap()[0];
    assert_eq!(m.status, MandateStatus::Enrolled);
    assert_eq!(m.start_date, Some(date("2026-05-15")));
    assert_eq!(m.agreement.as_deref(), Some("000000777"));
    assert!(engine.mandates(Some("100103")).unwrap().is_empty());

    // With debtor accounts as mandate ids, the mandate is created and the debtor's payment
    // format becomes the format.
    let db = f.db_path();
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute(
            "UPDATE payment_formats SET debtor_account_as_mandate = 1 WHERE id = 'BST'",
            [],
        )
        .unwrap();
    let report = import(
        &mut f,
        "D0603b",
        &bs0603(
            2,
            "87654321",
            vec![
                agreement(Bs0603Code::Registered, "100103", Some("2026-05-16"), None),
                agreement(
                    Bs0603Code::CancelledByBank,
                    "100101",
                    None,
                    Some("2026-06-30"),
                ),
            ],
        ),
    )
    .unwrap();
    assert_eq!((report.mandates_changed, report.attention), (2, 0));
    let engine = &mut f.engine;
    let created = &engine.mandates(Some("100103")).unwrap()[0];
    assert_eq!(
        (
            created.mandate_id.as_str(),
            created.status,
            created.start_date
        ),
        ("100103", MandateStatus::Enrolled, Some(date("2026-05-16")))
    );
    let debtor = engine
        .debtors()
        .unwrap()
        .into_iter()
        .find(|d| d.account == "100103")
        .unwrap();
    assert_eq!(debtor.payment_format.as_deref(), Some("BST"));
    let cancelled = &engine.mandates(Some("100101")).unwrap()[0];
    assert_eq!(
        (cancelled.status, cancelled.end_date),
        (MandateStatus::Unsubscribed, Some(date("2026-06-30")))
    );
    let reason: String = query(
        &db,
        "SELECT cause FROM mandate_log WHERE mandate_id = '100101' ORDER BY id DESC LIMIT 1",
    );
    assert_eq!(
        reason,
        "import of file D0603b: cancelled by the debtor's bank (0232)"
    );
}

/// LS type 30: an added debtor enrols the mandate, a removed one unsubscribes it.
#[test]
fn ls_type_30_updates_mandates() {
    let mut f = exported();
    let text = render_ls30(&Ls30Delivery {
        data_supplier_cvr: "11223344".to_string(),
        cvr_check: String::new(),
        created: date("2026-05-10"),
        test: false,
        creditor_no: "12345".to_string(),
        data_supplier_no: String::new(),
        mandates: vec![Ls30Mandate {
            kind: Ls30MandateKind::Removed,
            customer_no: "0000000LS200100".to_string(),
            date: Some(date("2026-05-31")),
        }],
    })
    .unwrap();
    let report = import(&mut f, "DLS30", &text).unwrap();
    assert_eq!(report.delivery_type, "30");
    assert_eq!(report.mandates_changed, 1);
    let m = &f.engine.mandates(Some("200100")).unwrap()[0];
    assert_eq!(
        (m.status, m.end_date),
        (MandateStatus::Unsubscribed, Some(date("2026-05-31")))
    );
}

/// An LS 0690 delivery of `records`.
fn ls0690(records: Vec<Ls0690Record>) -> String {
    render_ls0690(&Ls0690Delivery {
        data_supplier_cvr: "11223344".to_string(),
        test: false,
        created: Some(date("2026-05-05")),
        records,
    })
    .unwrap()
}

/// The fixture's LS receipt for 2026-05-06 (E6's payment date).
fn ls_receipt() -> Ls0690Record {
    Ls0690Record::Receipt(Ls0690Receipt {
        creditor_no: "12345".to_string(),
        debtors: 1,
        payment_date: date("2026-05-06"),
        creditor_reg_no: String::new(),
        creditor_account_no: String::new(),
        collections: 1,
        collection_amount: ore(500000),
        payouts: 0,
        payout_amount: Amount::ZERO,
    })
}

/// An LS remark on E6's charge.
fn ls_remark() -> Ls0690Record {
    Ls0690Record::Remark(Ls0690Remark {
        creditor_no: "12345".to_string(),
        remark_code: "001".to_string(),
        customer_no: "0000000LS200100".to_string(),
        debtor_cvr: "87654321".to_string(),
        debtor_reg_no: String::new(),
        debtor_account_no: String::new(),
        payment_date: Some(date("2026-05-06")),
        amount: ore(500000),
        error_no: "0123".to_string(),
    })
}

/// LS 0690: the receipt moves sent lines of its date to to-be-treated; a remark sets error
/// (and needs a person); a comment sets information.
#[test]
fn ls_0690_receipts_remarks_and_comments() {
    let mut f = exported();
    let comment = Ls0690Record::Comment(Ls0690Comment {
        creditor_no: "12345".to_string(),
        comment_code: "002".to_string(),
        customer_no: "0000000LS200100".to_string(),
        payment_date: Some(date("2026-05-07")),
        amount: ore(100000),
        error_no: "0456".to_string(),
        creditor_reg_no: String::new(),
        creditor_account_no: String::new(),
    });
    let records = vec![ls_receipt(), ls_remark(), comment];
    let report = import(&mut f, "R1", &ls0690(records)).unwrap();
    assert_eq!((report.changed, report.attention), (3, 1), "{report:?}");
    assert_eq!(f.status_of("E6"), Status::Error);
    assert_eq!(f.status_of("E7"), Status::Information);
    let mut engine = Engine::open(f.db_path(), None).unwrap();
    let lines = engine.list_lines(&crate::LineFilter::default()).unwrap();
    let (_, _, log) = engine.line(lines[5].0.id).unwrap();
    let causes: Vec<&str> = log.iter().skip(2).map(|c| c.cause.as_str()).collect();
    assert_eq!(
        causes,
        [
            "import of file R1",
            "import of file R1 (remark 001, error 0123)"
        ]
    );
    let status = &engine.archive_list(&Default::default()).unwrap()[0].status;
    assert_eq!(status, "error");
}

/// LS 0690: a receipt after a remark on the same date leaves the line the remark set in
/// error (it is no longer sent) and changes nothing else.
#[test]
fn ls_0690_receipt_after_a_remark_passes_the_line_by() {
    let mut f = exported();
    let report = import(&mut f, "R1", &ls0690(vec![ls_remark(), ls_receipt()])).unwrap();
    assert_eq!((report.changed, report.refused), (1, 0), "{report:?}");
    assert_eq!(f.status_of("E6"), Status::Error);
}

/// Migration 13 gives the charges' index by date and customer the payment format: a database
/// of version 12 gets it, and an LS 0690 receipt then finds its lines through it.
#[test]
fn migration_13_indexes_the_charges_by_date_format_and_customer() {
    let f = exported();
    let path = f.db_path();
    let Fixture { dir, engine, out } = f;
    drop(engine);
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "DROP INDEX charges_by_date_format_and_customer;
         CREATE INDEX charges_by_date_and_customer
             ON charges (company, payment_date, customer_key);
         PRAGMA user_version = 12;",
    )
    .unwrap();
    ledger_insert_triggers_of_version_13(&conn);
    drop(conn);
    let mut f = Fixture {
        dir,
        engine: Engine::open(&path, None).unwrap(),
        out,
    };
    let indexes: String = query(
        &path,
        "SELECT group_concat(sql, '; ') FROM sqlite_schema \
         WHERE type = 'index' AND tbl_name = 'charges' AND sql IS NOT NULL",
    );
    assert_eq!(
        indexes,
        "CREATE INDEX charges_by_date_format_and_customer\n    ON charges (company, payment_date, format_id, customer_key)"
    );
    let report = import(&mut f, "R1", &ls0690(vec![ls_receipt()])).unwrap();
    assert_eq!(report.changed, 1, "{report:?}");
    assert_eq!(f.status_of("E6"), Status::ToBeTreated);
}

/// I11: an answer imported in one company never touches another company's lines, even with
/// the same creditor numbers and customer numbers.
#[test]
fn an_answer_changes_only_its_own_company() {
    let mut f = exported();
    // A second company in the same database with the same formats, data and run.
    let path = f.db_path();
    let mut other = Engine::init(&path, Some("other"), None).unwrap();
    let bs = crate::payment_format::with_defaults(
        "BS",
        crate::model::Scheme::Bs,
        "12345678",
        "11223344",
    );
    other.add_format(&bs).unwrap();
    other
        .import_debtors(
            "d.csv",
            "account,name,payment_format\n100100,Hansen ApS,BS\n",
        )
        .unwrap();
    other
        .import_mandates(
            "m.csv",
            "mandate_id,debtor,payment_format,status\n100100,100100,BS,enrolled\n",
        )
        .unwrap();
    other
        .import_entries(
            "e.csv",
            "entry_id,debtor,due_date,amount,invoice\nE1,100100,2026-06-01,1250.00,1\n",
        )
        .unwrap();
    other.suggest(cal(), time(NOW), false).unwrap();
    let out = f.dir.path().join("other");
    std::fs::create_dir(&out).unwrap();
    assert_eq!(
        other
            .export(&out, false, cal(), time(NOW))
            .unwrap()
            .files
            .len(),
        1
    );
    // Company main imports an answer to reference 000000001 (which both companies used).
    let answer = bs0602(
        5,
        "12345678",
        vec![record(
            Bs0602PaymentCode::Completed,
            "100100",
            "000000001",
            125000,
            125000,
        )],
    );
    import(&mut f, "D5", &answer).unwrap();
    assert_eq!(f.status_of("E1"), Status::Received);
    let other_lines = other.list_lines(&crate::LineFilter::default()).unwrap();
    assert_eq!(other_lines[0].0.status, Status::Sent);
    // The other company can import the same file: its own idempotency, its own lines.
    let report = other
        .import_delivery("D5", answer.as_bytes(), time(LATER))
        .unwrap();
    assert_eq!(report.outcome, ImportOutcome::Applied);
    let other_lines = other.list_lines(&crate::LineFilter::default()).unwrap();
    assert_eq!(other_lines[0].0.status, Status::Received);
}

/// Two engines (two connections) importing the same file at the same moment: it is applied
/// once; the other sees it already imported (I4, reliability.md "Concurrency").
#[test]
fn the_same_file_imported_twice_at_once_is_applied_once() {
    for round in 0..3 {
        let f = exported();
        let text = completed_answers(&f).remove(0).text;
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let path = f.db_path();
                let text = text.clone();
                let barrier = barrier.clone();
                std::thread::spawn(move || {
                    let mut engine = Engine::open(&path, Some("main")).unwrap();
                    barrier.wait();
                    engine
                        .import_delivery("D1.txt", text.as_bytes(), time(LATER))
                        .unwrap()
                })
            })
            .collect();
        let mut outcomes: Vec<&str> = handles
            .into_iter()
            .map(|h| h.join().unwrap().outcome.as_str())
            .collect();
        outcomes.sort_unstable();
        assert_eq!(outcomes, ["already-imported", "applied"], "round {round}");
        let logged: i64 = query(
            &f.db_path(),
            "SELECT count(*) FROM status_log WHERE cause = 'import of file D1.txt'",
        );
        assert_eq!(logged, 3);
    }
}
