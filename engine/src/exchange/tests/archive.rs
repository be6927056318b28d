//! The file archive: every file sent or received, listed per year and month, shown again,
//! marked reconciled.

use super::*;
use crate::exchange::{ArchiveFilter, ImportOutcome};

fn filter(year: Option<i32>, month: Option<u32>) -> ArchiveFilter {
    ArchiveFilter { year, month }
}

/// A fixture whose run was exported, and the bank's answer to its first BS delivery.
fn exported_and_answered() -> (Fixture, crate::exchange::simulate::SimulatedFile) {
    let mut f = Fixture::new();
    f.prepare(NOW);
    f.export(NOW);
    let answer = crate::exchange::simulate::simulate_answers(
        "sent",
        f.read_out("AB_PBSXML000202605112233440000000001PROD")
            .as_bytes(),
        &Default::default(),
    )
    .unwrap()
    .remove(0);
    (f, answer)
}

#[test]
fn files_are_listed_shown_and_reconciled() {
    let (mut f, answer) = exported_and_answered();
    f.engine
        .import_delivery(
            &answer.file_name,
            answer.text.as_bytes(),
            time("2026-06-01T19:00"),
        )
        .unwrap();

    let all = f.engine.archive_list(&ArchiveFilter::default()).unwrap();
    let rows: Vec<String> = all
        .iter()
        .map(|a| {
            format!(
                "{} {} {} {} {} {} {} {} {}",
                a.id,
                if a.export { "sent" } else { "received" },
                a.file_name,
                a.delivery_type,
                a.status,
                a.creditor,
                a.payment_format.as_deref().unwrap_or("-"),
                a.records,
                a.amount
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            "4 received D26060101_BS0602_0000000001 0602 ok 12345678 BS 1 1250.00",
            "3 sent NetsLS_260504_0000000003 40 pending 12345 LS 2 4000.00",
            "2 sent AB_PBSXML000202605112233440000000002PROD 0601 pending 87654321 BST 2 399.95",
            "1 sent AB_PBSXML000202605112233440000000001PROD 0601 pending 12345678 BS 1 1250.00",
        ]
    );
    let mut ids = |filter| -> Vec<i64> {
        f.engine
            .archive_list(&filter)
            .unwrap()
            .iter()
            .map(|a| a.id)
            .collect()
    };
    assert_eq!(ids(filter(Some(2026), Some(5))), [3, 2, 1]);
    assert_eq!(ids(filter(Some(2026), Some(6))), [4]);
    assert_eq!(ids(filter(None, Some(6))), [4]);
    assert_eq!(ids(filter(Some(2025), None)), Vec::<i64>::new());
    assert_eq!(ids(filter(Some(2026), None)), [4, 3, 2, 1]);

    let shown = f.engine.archive_show(4).unwrap();
    assert_eq!(shown.content, answer.text);
    let log: Vec<&str> = shown.log.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(
        log,
        ["imported: 1 records, 3 payment lines changed, 0 mandates changed, 0 unmatched, 0 refused by the status machine, 0 applied before, 0 for other creditors; 0 need attention"]
    );
    let sent = f.engine.archive_show(1).unwrap();
    assert!(sent.content.starts_with("BS00211223344BS10601"));
    assert_eq!(
        sent.log[0].text,
        "exported as AB_PBSXML000202605112233440000000001PROD: 1 charges, 3 lines, amount 1250.00"
    );

    let at = time("2026-06-02T10:00");
    assert!(f.engine.archive_reconcile(4, at).unwrap());
    assert!(!f.engine.archive_reconcile(4, at).unwrap());
    let shown = f.engine.archive_show(4).unwrap();
    assert!(shown.file.reconciled);
    assert_eq!(shown.log.last().unwrap().text, "reconciled");
    assert_eq!(shown.log.len(), 2);
    let json = serde_json::to_value(&shown).unwrap();
    assert_eq!(json["created"], "2026-06-01T19:00");
    assert_eq!(json["amount"], "1250.00");
    assert_eq!(json["reconciled"], true);

    assert_eq!(
        f.engine.archive_show(99).unwrap_err().to_string(),
        "no file 99 in this company's file archive: `payrun archive list` shows the files"
    );
    assert!(f.engine.archive_reconcile(99, at).is_err());
}

/// I11: a company sees only its own archived files.
#[test]
fn another_company_sees_none_of_the_files() {
    let mut f = Fixture::new();
    f.prepare(NOW);
    f.export(NOW);
    let mut other = Engine::init(f.db_path(), Some("other"), None).unwrap();
    assert!(other
        .archive_list(&ArchiveFilter::default())
        .unwrap()
        .is_empty());
    assert!(other.archive_show(1).is_err());
    assert!(other.archive_reconcile(1, time(NOW)).is_err());
}

/// The archive's texts are packed (a quarter of their size); a file archived before that
/// keeps its text as it was (`content_encoding = 'none'`) and is shown, and recognised when
/// imported again, the same way.
#[test]
fn texts_archived_packed_or_as_they_were_read_the_same() {
    let (mut f, answer) = exported_and_answered();
    let later = time("2026-06-01T19:00");
    let text = answer.text.as_bytes();
    let id = f
        .engine
        .import_delivery(&answer.file_name, text, later)
        .unwrap()
        .file_id;
    let conn = rusqlite::Connection::open(f.db_path()).unwrap();
    let stored = |conn: &rusqlite::Connection| -> (Vec<u8>, String) {
        conn.query_row(
            "SELECT content, content_encoding FROM delivery_files WHERE id = ?1",
            [id],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .unwrap()
    };
    let (packed, encoding) = stored(&conn);
    assert_eq!(encoding, "lz4");
    assert_ne!(packed, text);
    let sent = f.engine.archive_show(1).unwrap().content;
    for round in ["packed", "as read"] {
        assert_eq!(
            f.engine.archive_show(id).unwrap().content,
            answer.text,
            "{round}"
        );
        assert_eq!(f.engine.archive_show(1).unwrap().content, sent, "{round}");
        let again = f
            .engine
            .import_delivery(&answer.file_name, text, later)
            .unwrap();
        assert_eq!(again.outcome, ImportOutcome::AlreadyImported, "{round}");
        // As version 11 left it: the text as read.
        conn.execute(
            "UPDATE delivery_files SET content = ?2, content_encoding = 'none' WHERE id = ?1",
            (id, text),
        )
        .unwrap();
    }
    assert_eq!(stored(&conn), (text.to_vec(), "none".to_string()));
}
