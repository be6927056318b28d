use super::*;
use crate::testing::{date, refused, time, TestDb};
use crate::{
    check_invariants, draft_lines, set_account, transactions, trial_balance, AccountBalance,
};

const NOW: &str = "2026-07-02T10:15:42";

/// Debtor 100100 owes invoice 5001 and has credit note 5002; debtor 100101 owes 5003 and two
/// instalments of invoice 5004 (the older due first).
fn seeded() -> TestDb {
    let mut db = TestDb::new();
    db.entries(
        1,
        "E1 100100 2026-07-01 5001 1000.00
         E2 100100 2026-07-01 5002 -250.00
         E3 100101 2026-08-01 5003 99.95
         E4 100101 2026-08-01 5004 500.00
         E5 100101 2026-07-01 5004 300.00",
    );
    db
}

/// Posts in a committed transaction.
fn post_ok(db: &mut TestDb, company: i64, journal: Option<&str>) -> PostingReport {
    let tx = db.write();
    let report = post(&tx, company, journal, time(NOW)).unwrap();
    tx.commit().unwrap();
    report
}

fn post_refused(db: &mut TestDb, company: i64, journal: Option<&str>) -> String {
    refused(db, |tx| post(tx, company, journal, time(NOW)))
}

fn fix(db: &mut TestDb, line: i64, account: &str) {
    let tx = db.write();
    set_account(&tx, 1, line, account).unwrap();
    tx.commit().unwrap();
}

/// The report as text, with the settlements its transactions wrote:
/// `1→t1 2→- | E1 1000.00→0.00 | settled 1, closed 1, reopened 0, attention 1`.
fn summary(db: &TestDb, report: &PostingReport) -> String {
    let posted: Vec<String> = report
        .posted
        .iter()
        .map(|p| match p.transaction {
            Some(t) => format!("{}→t{t}", p.line),
            None => format!("{}→-", p.line),
        })
        .collect();
    let ids: Vec<i64> = report.transactions().collect();
    let settled: Vec<String> = match (ids.first(), ids.last()) {
        (Some(&first), Some(&last)) => transactions(&db.conn, 1, first..=last)
            .unwrap()
            .iter()
            .flat_map(|t| &t.settlements)
            .map(|s| {
                format!(
                    "{} {}→{}",
                    s.entry_id, s.remaining_before, s.remaining_after
                )
            })
            .collect(),
        _ => Vec::new(),
    };
    format!(
        "{} | {} | settled {}, closed {}, reopened {}, attention {}",
        posted.join(" "),
        settled.join(", "),
        report.entries_settled,
        report.entries_closed,
        report.entries_reopened,
        report.attention
    )
}

fn all_transactions(db: &TestDb, company: i64) -> Vec<LedgerTransaction> {
    transactions(&db.conn, company, 1..=i64::MAX).unwrap()
}

fn draft_ids(db: &TestDb, company: i64) -> Vec<i64> {
    draft_lines(&db.conn, company, None)
        .unwrap()
        .iter()
        .map(|l| l.id)
        .collect()
}

fn balances(db: &TestDb, company: i64) -> String {
    let balances: Vec<String> = trial_balance(&db.conn, company)
        .unwrap()
        .iter()
        .map(
            |AccountBalance {
                 account_kind,
                 account,
                 balance,
             }| { format!("{} {account} {balance}", account_kind.as_str()) },
        )
        .collect();
    balances.join(", ")
}

fn assert_sound(db: &TestDb, company: i64) {
    assert_eq!(check_invariants(&db.conn, company).unwrap(), vec![]);
}

#[test]
fn round_trip_add_list_fix_post() {
    let mut db = seeded();
    let ids = db.lines(
        1,
        "Day|2026-07-01|100100|BS 5001|-1000.00|5850|5001|file 12, line 5
         Day|2026-07-01|-|(!) M:999999|-20.00|5850|-|file 12, line 6",
    );
    let (paid, unknown) = (ids[0], ids[1]);
    // The attention line stays; the other is posted, and settles its invoice.
    let report = post_ok(&mut db, 1, Some("Day"));
    assert_eq!(
        summary(&db, &report),
        format!("{paid}→t1 | E1 1000.00→0.00 | settled 1, closed 1, reopened 0, attention 1")
    );
    assert_eq!(draft_ids(&db, 1), vec![unknown]);
    assert_eq!(
        db.remaining(1),
        "E1 0.00, E2 -250.00, E3 99.95, E4 500.00, E5 300.00"
    );
    let posted = all_transactions(&db, 1);
    assert_eq!(
        posted,
        vec![LedgerTransaction {
            id: 1,
            journal: "Day".to_string(),
            date: date("2026-07-01"),
            posted_at: time(NOW),
            journal_line: paid,
            text: "BS 5001".to_string(),
            offsets: vec!["5001".to_string()],
            source: "file 12, line 5".to_string(),
            postings: vec![
                Posting {
                    account_kind: AccountKind::Debtor,
                    account: "100100".to_string(),
                    amount: Amount::from_ore(-100000),
                },
                Posting {
                    account_kind: AccountKind::General,
                    account: "5850".to_string(),
                    amount: Amount::from_ore(100000),
                },
            ],
            settlements: vec![Settlement {
                transaction: 1,
                entry_id: "E1".to_string(),
                invoice: "5001".to_string(),
                remaining_before: Amount::from_ore(100000),
                remaining_after: Amount::ZERO,
            }],
        }]
    );
    assert_eq!(
        balances(&db, 1),
        "debtor 100100 -1000.00, general 5850 1000.00"
    );

    // Nothing left but the attention line.
    assert_eq!(
        post_refused(&mut db, 1, Some("Day")),
        "nothing to post in journal Day: 1 line needs attention (!): set an account on each to approve it, and an offset account on each that has none, then post"
    );
    // A person fixes it: now it is posted, without settling anything (no offsets).
    fix(&mut db, unknown, "100101");
    let report = post_ok(&mut db, 1, None);
    assert_eq!(
        summary(&db, &report),
        format!("{unknown}→t2 |  | settled 0, closed 0, reopened 0, attention 0")
    );
    assert!(draft_ids(&db, 1).is_empty());
    assert_eq!(
        balances(&db, 1),
        "debtor 100100 -1000.00, debtor 100101 -20.00, general 5850 1020.00"
    );
    assert_eq!(
        post_refused(&mut db, 1, Some("Day")),
        "journal Day is empty: nothing to post"
    );
    assert_eq!(
        post_refused(&mut db, 1, None),
        "the journals are empty: nothing to post"
    );
    assert_sound(&db, 1);
}

#[test]
fn posted_at_is_kept_to_the_second() {
    let mut db = seeded();
    db.lines(1, "Day|2026-07-01|100100|BS 5001|-1000.00|5850|5001");
    let tx = db.write();
    let precise = time(NOW) + chrono::Duration::milliseconds(250);
    post(&tx, 1, None, precise).unwrap();
    tx.commit().unwrap();
    assert_eq!(all_transactions(&db, 1)[0].posted_at, time(NOW));
    assert_sound(&db, 1);
}

#[test]
fn a_collective_line_settles_every_entry_it_names() {
    let mut db = seeded();
    db.lines(
        1,
        "Day|2026-07-01|100100|BS 100100-20260701|-750.00|5850|5001 5002",
    );
    let report = post_ok(&mut db, 1, None);
    assert!(summary(&db, &report).ends_with(
        "| E1 1000.00→0.00, E2 -250.00→0.00 | settled 2, closed 2, reopened 0, attention 0"
    ));
    assert!(db.remaining(1).starts_with("E1 0.00, E2 0.00,"));
    assert_eq!(all_transactions(&db, 1)[0].settlements.len(), 2);
    assert_sound(&db, 1);
}

#[test]
fn an_approved_difference_settles_part_of_an_invoice() {
    let mut db = seeded();
    let ids = db.lines(1, "Day|2026-07-01|100100|(!) BS 5001|-600.00|5850|5001");
    assert!(post_refused(&mut db, 1, None).contains("1 line needs attention"));
    fix(&mut db, ids[0], "100100");
    post_ok(&mut db, 1, None);
    assert!(db.remaining(1).starts_with("E1 400.00,"));
    assert_sound(&db, 1);
}

/// A payment naming no invoice (a bank answer matched to no line, `(!) M:…`) that a person
/// approved for a debtor posts whole and is reported on the debtor's account.
#[test]
fn an_approved_payment_naming_no_invoice_is_on_account() {
    let mut db = seeded();
    let ids = db.lines(1, "Day|2026-07-01|-|(!) M:0000100100|-50.00|5850|-");
    fix(&mut db, ids[0], "100100");
    let remaining = db.remaining(1);
    let report = post_ok(&mut db, 1, None);
    assert_eq!(
        report.on_account,
        vec![OnAccount {
            line: ids[0],
            account: "100100".into(),
            amount: Amount::from_ore(-5000),
        }]
    );
    assert_eq!(db.remaining(1), remaining);
    assert_sound(&db, 1);
}

/// A debtor paid more than was open (a bank's amount difference, or an invoice paid twice):
/// refused while nobody approved the payment, and the refusal says how to approve it;
/// approved as it is, it posts in full, settles what is open and leaves the rest on account.
#[test]
fn an_approved_overpayment_leaves_the_rest_on_the_debtors_account() {
    let mut db = seeded();
    let ids = db.lines(
        1,
        "Day|2026-07-01|100100|(!) BS 5001|-1033.19|5850|5001
         Day|2026-07-01|100101|BS 5003|-99.95|5850|5003",
    );
    let (over, other) = (ids[0], ids[1]);
    fix(&mut db, over, "100100");
    // Approved, before any posting: it posts.
    let report = post_ok(&mut db, 1, None);
    assert_eq!(
        summary(&db, &report),
        format!(
            "{over}→t1 {other}→t2 | E1 1000.00→0.00, E3 99.95→0.00 | settled 2, closed 2, reopened 0, attention 0"
        )
    );
    // 33.19 of the 1033.19 settled nothing: a credit on the debtor's account.
    assert_eq!(
        report.on_account,
        vec![OnAccount {
            line: over,
            account: "100100".into(),
            amount: Amount::from_ore(-3319),
        }]
    );
    assert_eq!(
        all_transactions(&db, 1)[0].postings[0].amount,
        Amount::from_ore(-103319)
    );
    assert_sound(&db, 1);

    // Not approved: the whole posting is refused, naming the way out.
    let ids = db.lines(1, "Day|2026-07-02|100101|BS 5004|-900.00|5850|5004");
    let refusal = post_refused(&mut db, 1, None);
    assert!(
        refusal.contains(&format!(
            "100.00 more than its invoices (5004) have open: nothing was posted; import the debtor's entries as they are and post again; or, if the money did move as the line says, approve it as it is (journal set-account {} 100101)",
            ids[0]
        )),
        "{refusal}"
    );
    fix(&mut db, ids[0], "100101");
    let report = post_ok(&mut db, 1, None);
    assert_eq!(report.on_account[0].amount, Amount::from_ore(-10000));
    assert_eq!(
        db.remaining(1),
        "E1 0.00, E2 -250.00, E3 0.00, E4 0.00, E5 0.00"
    );

    // An invoice paid already, or one the debtor has no entry for: all of it on account.
    let ids = db.lines(
        1,
        "Day|2026-07-03|100101|BS 5004|-10.00|5850|5004
         Day|2026-07-03|100100|BS 7777|-20.00|5850|7777",
    );
    assert!(post_refused(&mut db, 1, None).contains("which is already settled"));
    fix(&mut db, ids[0], "100101");
    assert!(post_refused(&mut db, 1, None).contains("has no entry with that invoice number"));
    fix(&mut db, ids[1], "100100");
    let report = post_ok(&mut db, 1, None);
    let left: Vec<(i64, i64)> = report
        .on_account
        .iter()
        .map(|part| (part.line, part.amount.ore()))
        .collect();
    assert_eq!(left, vec![(ids[0], -1000), (ids[1], -2000)]);
    assert_sound(&db, 1);

    // A charge-back of more than was paid of an invoice is refused, approved or not: booked
    // before the payment it takes back, it would leave the invoice closed.
    let ids = db.lines(
        1,
        "Day|2026-07-04|100100|(!) Unsubscribed (0239)|1200.00|5850|5001",
    );
    fix(&mut db, ids[0], "100100");
    assert!(post_refused(&mut db, 1, None).contains(
        "200.00 more than its invoices (5001) can take back: nothing was posted; if the payment it takes back waits in the draft, approve and post that first"
    ));
    assert_sound(&db, 1);
}

#[test]
fn entries_of_one_invoice_are_settled_oldest_due_date_first() {
    let mut db = seeded();
    // Invoice 5004: E5 (300.00, due 2026-07-01) before E4 (500.00, due 2026-08-01).
    db.lines(1, "Day|2026-07-01|100101|BS 5004|-400.00|5850|5004");
    let report = post_ok(&mut db, 1, None);
    assert!(summary(&db, &report).ends_with(
        "| E4 500.00→400.00, E5 300.00→0.00 | settled 2, closed 1, reopened 0, attention 0"
    ));
    // Across invoices too: 5004's E4 (due 2026-08-01, entry id E4) before 5003's E3 (due
    // 2026-08-01, entry id E3)? Same due date: entry id decides, E3 first.
    db.lines(1, "Day|2026-07-02|100101|BS 5003|-150.00|5850|5004 5003");
    let report = post_ok(&mut db, 1, None);
    assert!(
        summary(&db, &report).ends_with(
            "| E3 99.95→0.00, E4 400.00→349.95 | settled 2, closed 1, reopened 0, attention 0"
        ),
        "{}",
        summary(&db, &report)
    );
    assert_sound(&db, 1);
}

#[test]
fn a_charge_back_reopens_the_invoice() {
    let mut db = seeded();
    db.lines(1, "Day|2026-07-01|100100|BS 5001|-1000.00|5850|5001");
    post_ok(&mut db, 1, None);
    assert!(db.remaining(1).starts_with("E1 0.00,"));
    let ids = db.lines(
        1,
        "Day|2026-07-09|100100|(!) Unsubscribed (0239)|1000.00|5850|5001",
    );
    fix(&mut db, ids[0], "100100");
    let report = post_ok(&mut db, 1, None);
    assert!(summary(&db, &report)
        .ends_with("| E1 0.00→1000.00 | settled 1, closed 0, reopened 1, attention 0"));
    assert!(db.remaining(1).starts_with("E1 1000.00,"));
    // The payment and its charge-back: the debtor and the bank are back at zero, and both
    // transactions stay in the ledger.
    assert_eq!(balances(&db, 1), "debtor 100100 0.00, general 5850 0.00");
    assert_eq!(all_transactions(&db, 1).len(), 2);
    assert_sound(&db, 1);
}

#[test]
fn a_payout_pays_out_a_credit_note() {
    let mut db = seeded();
    db.lines(1, "Day|2026-07-01|100100|BS 5002|250.00|5850|5002");
    post_ok(&mut db, 1, None);
    assert!(db.remaining(1).starts_with("E1 1000.00, E2 0.00,"));
    assert_sound(&db, 1);
}

#[test]
fn an_approved_line_of_zero_leaves_the_draft_without_a_transaction() {
    let mut db = seeded();
    let ids = db.lines(
        1,
        "Day|2026-07-01|100100|(!) Unsubscribed (0238)|0|5850|5001",
    );
    fix(&mut db, ids[0], "100100");
    let report = post_ok(&mut db, 1, None);
    assert_eq!(
        summary(&db, &report),
        format!(
            "{}→- |  | settled 0, closed 0, reopened 0, attention 0",
            ids[0]
        )
    );
    assert!(draft_ids(&db, 1).is_empty());
    assert!(all_transactions(&db, 1).is_empty());
    assert!(db.remaining(1).starts_with("E1 1000.00,"));
    assert_sound(&db, 1);
}

#[test]
fn posting_one_journal_leaves_the_others() {
    let mut db = seeded();
    let ids = db.lines(
        1,
        "Day|2026-07-01|100100|BS 5001|-1000.00|5850|5001
         LS|2026-07-01|100101|LS 5003|-99.95|5851|5003",
    );
    let report = post_ok(&mut db, 1, Some("LS"));
    assert_eq!(report.posted.len(), 1);
    assert_eq!(report.posted[0].line, ids[1]);
    assert_eq!(draft_ids(&db, 1), vec![ids[0]]);
    assert_eq!(
        post_refused(&mut db, 1, Some("LS")),
        "journal LS is empty: nothing to post"
    );
    post_ok(&mut db, 1, Some("Day"));
    assert_eq!(all_transactions(&db, 1).len(), 2);
    assert_sound(&db, 1);
}

#[test]
fn a_draft_is_posted_in_chunks_in_line_order() {
    // Chunks of two lines in tests: interleaved journals and attention lines cross every
    // chunk boundary.
    let mut db = TestDb::new();
    let entries: Vec<String> = (1..=9)
        .map(|i| format!("E{i} 100100 2026-07-01 500{i} 10.00"))
        .collect();
    db.entries(1, &entries.join("\n"));
    let lines: Vec<String> = (1..=9)
        .map(|i| {
            let journal = if i % 2 == 0 { "LS" } else { "Day" };
            let mark = if i % 3 == 0 { "(!) " } else { "" };
            format!("{journal}|2026-07-01|100100|{mark}BS 500{i}|-10.00|5850|500{i}")
        })
        .collect();
    let ids = db.lines(1, &lines.join("\n"));
    // Day: lines 1, 5, 7 (3 and 9 need attention).
    let report = post_ok(&mut db, 1, Some("Day"));
    let posted: Vec<i64> = report.posted.iter().map(|p| p.line).collect();
    assert_eq!(posted, [ids[0], ids[4], ids[6]]);
    assert_eq!(report.attention, 2);
    // All journals: LS lines 2, 4, 8 (6 needs attention), numbered on.
    let report = post_ok(&mut db, 1, None);
    let posted: Vec<(i64, Option<i64>)> = report
        .posted
        .iter()
        .map(|p| (p.line, p.transaction))
        .collect();
    assert_eq!(
        posted,
        [(ids[1], Some(4)), (ids[3], Some(5)), (ids[7], Some(6))]
    );
    assert_eq!(report.attention, 3);
    assert_eq!(draft_ids(&db, 1), [ids[2], ids[5], ids[8]]);
    assert_eq!(
        db.remaining(1),
        "E1 0.00, E2 0.00, E3 10.00, E4 0.00, E5 0.00, E6 10.00, E7 0.00, E8 0.00, E9 10.00"
    );
    assert_sound(&db, 1);
}

/// The new remaining amounts are written range by range (two changed entries to a statement
/// in tests), each only where the entry still holds what the posting read; an entry that
/// does not is named.
#[test]
fn new_remaining_amounts_are_written_where_entries_hold_what_was_read() {
    let mut db = seeded();
    let tx = db.write();
    let changed = |id: &str, stored: i64, new: i64| (Id::from(id), stored, new);
    let updated = NewRemaining {
        entries: vec![
            changed("E1", 100_000, 0),
            // E3 holds 99.95, not 0.01.
            changed("E3", 1, 0),
            changed("E4", 50_000, 20_000),
            changed("E5", 30_000, 0),
        ],
        next: 0,
    }
    .update(&tx, 1)
    .unwrap();
    assert_eq!(updated, 3);
    // The function lives only as long as the update.
    let gone = tx
        .query_row("SELECT payrun_new_remaining('E1', 0)", [], |row| {
            row.get::<_, Option<i64>>(0)
        })
        .unwrap_err();
    assert!(gone.to_string().contains("no such function"), "{gone}");
    let entry = |id: &str, remaining: i64| NamedEntry {
        entry_id: id.into(),
        key_order: 0,
        invoice: 0,
        due: 0,
        amount: Amount::ZERO,
        remaining: Amount::from_ore(remaining),
        stored: Amount::ZERO,
    };
    let refusal = changed_while_settled(&tx, 1, &[&entry("E1", 0), &entry("E3", 0)]);
    assert_eq!(
        refusal.to_string(),
        JournalError::Corrupt("entry 'E3' changed while it was being settled".into()).to_string()
    );
    tx.commit().unwrap();
    assert_eq!(
        db.remaining(1),
        "E1 0.00, E2 -250.00, E3 99.95, E4 200.00, E5 0.00"
    );
}

#[test]
fn refused_postings_change_nothing() {
    // Each case: the lines of the draft, how the entries stand, and the refusal.
    let cases: &[(&str, &str, &str)] = &[
        (
            "",
            "",
            "journal Day is empty: nothing to post",
        ),
        (
            "Day|2026-07-01|-|(!) M:999999|-20.00|5850|-
             Day|2026-07-01|100100|(!) BS 5001|-20.00|5850|5001",
            "",
            "nothing to post in journal Day: 2 lines need attention (!): set an account on each to approve it, and an offset account on each that has none, then post",
        ),
        (
            "Day|2026-07-01|100100|BS 9999|-20.00|5850|9999",
            "",
            "journal line {0} names invoice '9999', but debtor account '100100' has no entry with that invoice number: nothing was posted; import the debtor's entries and post again; or, if it is a payment the bank made, approve it as it is (journal set-account {0} 100100): it then settles what is open and leaves the rest on the debtor's account",
        ),
        (
            // 5003 is an invoice of another debtor.
            "Day|2026-07-01|100100|BS 5003|-20.00|5850|5003",
            "",
            "journal line {0} names invoice '5003', but debtor account '100100' has no entry with that invoice number: nothing was posted; import the debtor's entries and post again; or, if it is a payment the bank made, approve it as it is (journal set-account {0} 100100): it then settles what is open and leaves the rest on the debtor's account",
        ),
        (
            // The entry was settled meanwhile (by an import of the entries).
            "Day|2026-07-01|100100|BS 5001|-1000.00|5850|5001",
            "UPDATE entries SET remaining = 0 WHERE entry_id = 'E1'",
            "journal line {0} pays invoice '5001' of debtor account '100100', which is already settled (it may have been settled meanwhile): nothing was posted; import the debtor's entries as they are and post again; or, if the money did move as the line says, approve it as it is (journal set-account {0} 100100): it then settles what is open and leaves the rest on the debtor's account",
        ),
        (
            "Day|2026-07-01|100100|BS 5001|-1200.00|5850|5001",
            "",
            "journal line {0} credits debtor account '100100' with 1200.00, 200.00 more than its invoices (5001) have open: nothing was posted; import the debtor's entries as they are and post again; or, if the money did move as the line says, approve it as it is (journal set-account {0} 100100): it then settles what is open and leaves the rest on the debtor's account",
        ),
        (
            // Partly paid meanwhile: the full payment is now too much.
            "Day|2026-07-01|100100|BS 5001|-1000.00|5850|5001",
            "UPDATE entries SET remaining = 40000 WHERE entry_id = 'E1'",
            "journal line {0} credits debtor account '100100' with 1000.00, 600.00 more than its invoices (5001) have open: nothing was posted; import the debtor's entries as they are and post again; or, if the money did move as the line says, approve it as it is (journal set-account {0} 100100): it then settles what is open and leaves the rest on the debtor's account",
        ),
        (
            // A charge-back of an invoice nothing was paid of.
            "Day|2026-07-01|100100|BS 5001|1000.00|5850|5001",
            "",
            "journal line {0} debits debtor account '100100' with 1000.00, 1000.00 more than its invoices (5001) can take back: nothing was posted; if the payment it takes back waits in the draft, approve and post that first; else import the debtor's entries as they are and post again",
        ),
        (
            // The second line pays what the first settled: the whole posting is refused,
            // the first line included.
            "Day|2026-07-01|100100|BS 5001|-1000.00|5850|5001
             Day|2026-07-01|100100|BS 5001|-1000.00|5850|5001",
            "",
            "journal line {1} pays invoice '5001' of debtor account '100100', which is already settled (it may have been settled meanwhile): nothing was posted; import the debtor's entries as they are and post again; or, if the money did move as the line says, approve it as it is (journal set-account {1} 100100): it then settles what is open and leaves the rest on the debtor's account",
        ),
        (
            // A good line before a bad one is not posted either.
            "Day|2026-07-01|100101|BS 5003|-99.95|5850|5003
             Day|2026-07-01|100100|BS 5001|-1200.00|5850|5001",
            "",
            "journal line {1} credits debtor account '100100' with 1200.00, 200.00 more than its invoices (5001) have open: nothing was posted; import the debtor's entries as they are and post again; or, if the money did move as the line says, approve it as it is (journal set-account {1} 100100): it then settles what is open and leaves the rest on the debtor's account",
        ),
    ];
    for (lines, meanwhile, expected) in cases {
        let mut db = seeded();
        let ids = db.lines(1, lines);
        if !meanwhile.is_empty() {
            db.conn.execute_batch(meanwhile).unwrap();
        }
        let mut expected = expected.to_string();
        for (i, id) in ids.iter().enumerate() {
            expected = expected.replace(&format!("{{{i}}}"), &id.to_string());
        }
        assert_eq!(post_refused(&mut db, 1, Some("Day")), expected, "{lines}");
        // The refusal left the draft as it was, and the ledger empty.
        assert_eq!(draft_ids(&db, 1), ids);
        assert!(all_transactions(&db, 1).is_empty());
    }
}

#[test]
fn a_refused_posting_leaves_earlier_work_of_the_transaction() {
    // The engine may add lines and post in one transaction; a refused posting rolls back
    // only its own work.
    let mut db = seeded();
    let tx = db.write();
    let lines = [crate::testing::line(
        "Day|2026-07-01|100100|BS 5001|-1200.00|5850|5001",
    )];
    let ids = crate::add_draft_lines(&tx, 1, &lines).unwrap();
    assert!(post(&tx, 1, None, time(NOW)).is_err());
    tx.commit().unwrap();
    assert_eq!(draft_ids(&db, 1), ids);
}

#[test]
fn companies_post_only_their_own_lines() {
    // I11: both companies have debtor 100100 with invoice 5001.
    let mut db = seeded();
    db.entries(2, "F1 100100 2026-07-01 5001 1000.00");
    let mine = db.lines(1, "Day|2026-07-01|100100|BS 5001|-1000.00|5850|5001");
    let theirs = db.lines(2, "Day|2026-07-01|100100|BS 5001|-400.00|5850|5001");
    let report = post_ok(&mut db, 1, None);
    assert_eq!(report.posted.len(), 1);
    assert_eq!(report.posted[0].line, mine[0]);
    assert_eq!(db.remaining(2), "F1 1000.00");
    assert_eq!(draft_ids(&db, 2), theirs);
    assert!(all_transactions(&db, 2).is_empty());
    assert_eq!(balances(&db, 2), "");
    // Company 2's transactions are numbered on their own.
    let report = post_ok(&mut db, 2, None);
    assert_eq!(report.posted[0].transaction, Some(1));
    assert_eq!(db.remaining(2), "F1 600.00");
    assert!(db.remaining(1).starts_with("E1 0.00,"));
    assert_eq!(
        balances(&db, 2),
        "debtor 100100 -400.00, general 5850 400.00"
    );
    assert_sound(&db, 1);
    assert_sound(&db, 2);
}

/// Runs SQL that should be refused by a trigger and returns SQLite's message.
fn sql_refused(db: &mut TestDb, sql: &str) -> String {
    let before = db.dump();
    let tx = db.write();
    let message = tx.execute_batch(sql).unwrap_err().to_string();
    drop(tx);
    assert_eq!(db.dump(), before);
    message
}

fn posted_twice() -> TestDb {
    let mut db = seeded();
    db.lines(
        1,
        "Day|2026-07-01|100100|BS 5001|-1000.00|5850|5001
         Day|2026-07-01|100101|BS 5003|-99.95|5850|5003",
    );
    post_ok(&mut db, 1, None);
    db
}

#[test]
fn posted_transactions_are_never_updated_or_deleted() {
    // I2
    let mut db = posted_twice();
    for sql in [
        "UPDATE ledger_transactions SET text = 'changed' WHERE company = 1 AND id = 1",
        "UPDATE ledger_transactions SET amount = 1",
        "DELETE FROM ledger_transactions WHERE company = 1 AND id = 2",
        "UPDATE ledger_settlements SET remaining_after = 5",
        "DELETE FROM ledger_settlements",
    ] {
        assert_eq!(
            sql_refused(&mut db, sql),
            "ledger transactions are immutable (I2)",
            "{sql}"
        );
    }
    assert_sound(&db, 1);
}

#[test]
fn every_transaction_is_two_postings_that_sum_to_zero() {
    // I1, by construction: the debtor's posting and the offset account's are opposites.
    let db = posted_twice();
    for transaction in all_transactions(&db, 1) {
        let kinds: Vec<AccountKind> = transaction
            .postings
            .iter()
            .map(|p| p.account_kind)
            .collect();
        assert_eq!(kinds, [AccountKind::Debtor, AccountKind::General]);
        let sum = Amount::checked_sum(transaction.postings.iter().map(|p| p.amount));
        assert_eq!(sum, Ok(Amount::ZERO), "{transaction:?}");
    }
    assert_eq!(
        balances(&db, 1),
        "debtor 100100 -1000.00, debtor 100101 -99.95, general 5850 1099.95"
    );
}

/// The database refuses a transaction of nothing; a transaction out of sequence or a
/// settlement added to a posted transaction it takes (only `post` writes the ledger, and it
/// does neither), and the check of the ledger finds them.
#[test]
fn the_database_refuses_a_transaction_of_nothing_and_the_check_finds_one_out_of_sequence() {
    let mut db = posted_twice();
    let transaction = |id: i64, amount: &str| {
        format!(
            "INSERT INTO ledger_transactions VALUES (1, {id}, 'Day', '2026-07-01', \
             '2026-07-01T10:00:00', 99, 'x', '[]', 'test', '100100', '5850', {amount}, 'c')"
        )
    };
    for amount in ["0", "-9223372036854775808"] {
        let message = sql_refused(&mut db, &transaction(3, amount));
        assert!(
            message.starts_with("CHECK constraint failed: amount"),
            "{amount}: {message}"
        );
    }
    assert_sound(&db, 1);
    let problems = |db: &TestDb| -> Vec<String> {
        check_invariants(&db.conn, 1)
            .unwrap()
            .iter()
            .map(|p| format!("{} {p}", p.invariant()))
            .collect()
    };
    // Settlements without their transaction (a foreign key refused them until the journal's
    // second migration).
    let tx = db.write();
    tx.execute_batch("INSERT INTO ledger_settlements VALUES (1, 3, 'E2', '5002', 0, 0)")
        .unwrap();
    tx.commit().unwrap();
    assert_eq!(
        problems(&db),
        ["I2 ledger_settlements has rows of ledger transaction 3, which does not exist"]
    );
    // A transaction out of sequence and a settlement added to a posted one (two triggers
    // refused them until the journal's fourth migration).
    let mut db = posted_twice();
    let tx = db.write();
    tx.execute_batch(&transaction(5, "100")).unwrap();
    tx.execute_batch("INSERT INTO ledger_settlements VALUES (1, 1, 'E2', '5002', 0, 0)")
        .unwrap();
    tx.commit().unwrap();
    assert_eq!(
        problems(&db),
        [
            "I2 ledger transaction 1 is not as it was posted (its chain checksum does not match)",
            "I2 ledger transaction 3 is missing (the next is 5): a posted transaction was removed",
            "I2 ledger transaction 5 is not as it was posted (its chain checksum does not match)",
        ]
    );
}

/// Tampers with the ledger behind its triggers' back (as someone editing the file would) and
/// returns what `check_invariants` finds.
fn tampered(sql: &str) -> Vec<String> {
    let db = posted_twice();
    db.conn.pragma_update(None, "foreign_keys", false).unwrap();
    db.conn.execute_batch(sql).unwrap();
    check_invariants(&db.conn, 1)
        .unwrap()
        .iter()
        .map(|p| format!("{} {p}", p.invariant()))
        .collect()
}

#[test]
fn check_invariants_finds_a_tampered_ledger() {
    assert_eq!(tampered(""), Vec::<String>::new());
    assert_eq!(
        tampered(
            "DROP TRIGGER ledger_transactions_no_update; \
             UPDATE ledger_transactions SET text = 'changed' WHERE id = 1"
        ),
        [
            "I2 trigger ledger_transactions_no_update is missing: posted ledger transactions are not protected",
            "I2 ledger transaction 1 is not as it was posted (its chain checksum does not match)",
        ]
    );
    assert_eq!(
        tampered(
            "DROP TRIGGER ledger_transactions_no_update; \
             UPDATE ledger_transactions SET amount = 1 WHERE id = 2"
        )[1..],
        ["I2 ledger transaction 2 is not as it was posted (its chain checksum does not match)"]
    );
    assert_eq!(
        tampered(
            "DROP TRIGGER ledger_settlements_no_update; \
             UPDATE ledger_settlements SET remaining_after = 1 WHERE txn = 1"
        )[1..],
        ["I2 ledger transaction 1 is not as it was posted (its chain checksum does not match)"]
    );
    assert_eq!(
        tampered(
            "DROP TRIGGER ledger_transactions_no_delete; DROP TRIGGER ledger_settlements_no_delete; \
             DELETE FROM ledger_settlements WHERE txn = 1; \
             DELETE FROM ledger_transactions WHERE id = 1"
        ),
        [
            "I2 trigger ledger_transactions_no_delete is missing: posted ledger transactions are not protected",
            "I2 trigger ledger_settlements_no_delete is missing: posted ledger transactions are not protected",
            "I2 ledger transaction 1 is missing (the next is 2): a posted transaction was removed",
            "I2 ledger transaction 2 is not as it was posted (its chain checksum does not match)",
        ]
    );
    assert_eq!(
        tampered(
            "DROP TRIGGER ledger_transactions_no_delete; \
             DELETE FROM ledger_transactions WHERE id = 2"
        ),
        [
            "I2 trigger ledger_transactions_no_delete is missing: posted ledger transactions are not protected",
            "I2 ledger_settlements has rows of ledger transaction 2, which does not exist",
        ]
    );
    // The last transaction removed with its settlements: the chain cannot tell, but the
    // trigger is missing.
    assert_eq!(
        tampered(
            "DROP TRIGGER ledger_transactions_no_delete; DROP TRIGGER ledger_settlements_no_delete; \
             DELETE FROM ledger_settlements WHERE txn = 2; \
             DELETE FROM ledger_transactions WHERE id = 2"
        )
        .len(),
        2
    );
}

mod random {
    //! I1 over random journals: whatever is posted and refused, the trial balance is zero,
    //! the ledger checks out, and the entries moved by exactly what was posted on them.
    use super::*;
    use proptest::prelude::*;

    /// Each debtor: invoice `<debtor>-1` (1000.00), `<debtor>-2` (500.00) and credit note
    /// `<debtor>-3` (-200.00).
    const DEBTORS: [&str; 3] = ["100100", "100101", "100102"];

    #[derive(Debug, Clone)]
    struct Step {
        debtor: usize,
        /// Which of the debtor's three entries the line names (bit per entry; never 0).
        offsets: u8,
        /// In units of 50.00 øre-steps: -40..40 × 25.00.
        amount: i64,
        attention: bool,
        approve: bool,
    }

    fn step() -> impl Strategy<Value = Step> {
        (0..3usize, 1u8..8, -40i64..40, any::<bool>(), any::<bool>()).prop_map(
            |(debtor, offsets, amount, attention, approve)| Step {
                debtor,
                offsets,
                amount: amount * 2500,
                attention,
                approve,
            },
        )
    }

    fn sum_remaining(db: &TestDb) -> i64 {
        db.conn
            .query_row(
                "SELECT sum(remaining) FROM entries WHERE company = 1",
                [],
                |r| r.get(0),
            )
            .unwrap()
    }

    fn debtor_postings(db: &TestDb) -> i64 {
        db.conn
            .query_row(
                "SELECT coalesce(sum(amount), 0) FROM ledger_transactions WHERE company = 1",
                [],
                |r| r.get(0),
            )
            .unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn the_trial_balance_stays_zero(steps in proptest::collection::vec(step(), 1..14)) {
            let mut db = TestDb::new();
            let entries: Vec<String> = DEBTORS
                .iter()
                .flat_map(|d| {
                    [
                        format!("{d}-A {d} 2026-07-01 {d}-1 1000.00"),
                        format!("{d}-B {d} 2026-08-01 {d}-2 500.00"),
                        format!("{d}-C {d} 2026-06-01 {d}-3 -200.00"),
                    ]
                })
                .collect();
            db.entries(1, &entries.join("\n"));
            let remaining_at_start = sum_remaining(&db);
            let mut on_account = 0;
            let mut approved = Vec::new();
            for step in &steps {
                let debtor = DEBTORS[step.debtor];
                let offsets: Vec<String> = (0..3)
                    .filter(|bit| step.offsets & (1 << bit) != 0)
                    .map(|bit| format!("{debtor}-{}", bit + 1))
                    .collect();
                let mark = if step.attention { "(!) " } else { "" };
                let ids = db.lines(1, &format!(
                    "Day|2026-07-01|{debtor}|{mark}BS x|{}|5850|{}",
                    Amount::from_ore(step.amount),
                    offsets.join(" ")
                ));
                if step.approve {
                    fix(&mut db, ids[0], debtor);
                    approved.push(ids[0]);
                }
                let before = db.dump();
                let tx = db.write();
                let result = post(&tx, 1, Some("Day"), time(NOW));
                tx.commit().unwrap();
                if let Ok(report) = &result {
                    for part in &report.on_account {
                        // Only a payment a person approved leaves anything on account.
                        prop_assert!(approved.contains(&part.line), "{:?}", part);
                        prop_assert!(part.amount.is_negative(), "{:?}", part);
                        on_account += part.amount.ore();
                    }
                }
                if result.is_err() {
                    // Refused: nothing changed. Take the line out by hand so that the next
                    // steps can post.
                    prop_assert_eq!(db.dump(), before);
                    if !draft_lines(&db.conn, 1, None).unwrap().iter().any(|l| l.id == ids[0] && l.attention) {
                        db.conn.execute("DELETE FROM journal_lines WHERE id = ?1", [ids[0]]).unwrap();
                    }
                }
                let total: i64 = trial_balance(&db.conn, 1).unwrap().iter().map(|b| b.balance.ore()).sum();
                prop_assert_eq!(total, 0);
            }
            prop_assert_eq!(check_invariants(&db.conn, 1).unwrap(), vec![]);
            // Every posted line named entries, so they moved by what the debtors were posted,
            // but for what stayed on account.
            prop_assert_eq!(
                sum_remaining(&db) + on_account,
                remaining_at_start + debtor_postings(&db)
            );
            // No entry left its bounds: between zero and its amount.
            let out_of_bounds: i64 = db.conn.query_row(
                "SELECT count(*) FROM entries WHERE remaining < min(0, amount) OR remaining > max(0, amount)",
                [],
                |r| r.get(0),
            ).unwrap();
            prop_assert_eq!(out_of_bounds, 0);
        }
    }
}
