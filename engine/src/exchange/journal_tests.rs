//! One test per row of the §8 table (and the sign code 2, LS, duplicate and collective
//! rules), each on a real SQLite file: a run is exported, a real 0602 (rendered with the
//! delivery codecs or written by the bank simulator) is imported, and the journal draft line
//! the import wrote is checked — text, account, amount, offsets, attention — with the payment
//! line's status and the archived file's status.

use super::*;
use crate::delivery::{
    render_bs0602, render_ls0602, Bs0602Delivery, Bs0602Payment, Bs0602PaymentCode, Bs0602Record,
    Bs0602Section, Bs0602SectionCode, Bs0602SlipCode, Bs0602SlipPayment, Ls0602Delivery,
    Ls0602Payment, Ls0602PaymentCode, Ls0602Record,
};
use crate::exchange::simulate::{simulate_answers, BankRates};
use crate::exchange::tests::{cal, time, Fixture, DEBTORS, MANDATES, NOW};
use crate::exchange::ImportReport;
use crate::model::Status;
use chrono::NaiveDate;
use ledger::{Id, JournalLine};

const LATER: &str = "2026-06-01T19:00";

/// 100100 (BS Basis, mandate): one invoice of 1,000.00 due 1 June; 100101 (BS Total, no
/// mandate: a payment slip): 99.95; 200100 (LS): a collection of 5,000.00 on 6 May and a
/// payout of 1,000.00 on 7 May.
const SINGLE: &str = "\
entry_id,debtor,due_date,amount,invoice
E1,100100,2026-06-01,1000.00,5001
E4,100101,2026-06-01,99.95,5004
E6,200100,2026-05-06,5000.00,6001
E7,200100,2026-05-07,-1000.00,6002
";

/// 100100 has two invoices and a credit note on 1 June: one collective payment of 1,250.00.
const COLLECTIVE: &str = crate::exchange::tests::ENTRIES;

/// 100100 is owed 500.00 (a credit note on its own): a payout, sign code 2.
const PAYOUT: &str = "\
entry_id,debtor,due_date,amount,invoice
E9,100100,2026-06-01,-500.00,5009
";

fn date(text: &str) -> NaiveDate {
    crate::testdata::date(text)
}

fn ore(value: i64) -> Amount {
    Amount::from_ore(value)
}

/// A run of `entries` exported, with bank accounts 5850 (BS, BST) and 5851 (LS) on the
/// formats, and BS journal `Day`, LS journal `LS`.
fn exported(entries: &str) -> Fixture {
    let mut f = Fixture::with(DEBTORS, MANDATES, entries);
    let conn = rusqlite::Connection::open(f.db_path()).unwrap();
    conn.execute_batch(
        "UPDATE payment_formats SET bank_account = '5850' WHERE scheme = 'bs';
         UPDATE payment_formats SET bank_account = '5851', journal = 'LS' WHERE scheme = 'ls';",
    )
    .unwrap();
    drop(conn);
    f.prepare(NOW);
    let report = f
        .engine
        .export(&f.out.clone(), false, cal(), time(NOW))
        .unwrap();
    assert!(!report.files.is_empty());
    f
}

/// The payment reference the export gave an entry's line.
fn reference(f: &mut Fixture, entry: &str) -> Id {
    f.engine
        .list_lines(&crate::LineFilter::default())
        .unwrap()
        .into_iter()
        .find(|(l, _)| l.entry_id == entry)
        .and_then(|(l, _)| l.reference)
        .unwrap_or_else(|| panic!("{entry} was not sent"))
}

/// A BS 0602 record of section 0211 for 1 June; an actual date when money moved.
fn record(
    code: Bs0602PaymentCode,
    customer: &str,
    reference: &str,
    amount: i64,
    paid: i64,
) -> Bs0602Payment {
    let moved = paid != 0;
    Bs0602Payment {
        code,
        customer_no: crate::delivery::returned_customer_no(customer).into(),
        agreement_no: "000000001".into(),
        payment_date: date("2026-06-01"),
        amount: ore(amount),
        reference: reference.into(),
        actual_date: moved.then(|| date("2026-06-02")),
        booking_date: moved.then(|| date("2026-06-02")),
        paid_amount: ore(paid),
    }
}

/// A BS 0602 of one 0215 section (payment slips) for creditor 87654321 (format BST, Total):
/// the debtor paid the slip of the charge `reference` (0297), or it was charged back (0299).
fn slip0602(code: Bs0602SlipCode, reference: &str, amount: i64) -> String {
    let day = if code == Bs0602SlipCode::ChargedBack {
        "2026-06-09"
    } else {
        "2026-06-01"
    };
    render_bs0602(&Bs0602Delivery {
        data_supplier_cvr: "11223344".to_string(),
        system_code: "BS1".to_string(),
        delivery_id: 1,
        created: Some(date("2026-06-01")),
        sections: vec![Bs0602Section {
            section: Bs0602SectionCode::SlipPayments,
            creditor_pbs: "87654321".to_string(),
            debtor_group: "00001".to_string(),
            data_supplier_ident: String::new(),
            date: Some(date("2026-06-01")),
            records: vec![Bs0602Record::SlipPayment(Bs0602SlipPayment {
                code,
                customer_no: crate::delivery::returned_customer_no("100101"),
                slip_type: "71".to_string(),
                fee_deducted: false,
                fee: Amount::ZERO,
                payment_date: date("2026-06-01"),
                amount: ore(amount),
                reference: reference.chars().take(9).collect(),
                archive_reference: format!("{:022}", 1),
                actual_date: Some(date(day)),
                booking_date: Some(date(day)),
                paid_amount: ore(amount),
            })],
        }],
    })
    .unwrap()
}

/// A BS 0602 of one 0211 section for creditor 12345678 (format BS).
fn bs0602(delivery_id: u64, records: Vec<Bs0602Payment>) -> String {
    render_bs0602(&Bs0602Delivery {
        data_supplier_cvr: "11223344".to_string(),
        system_code: "BS1".to_string(),
        delivery_id,
        created: Some(date("2026-06-01")),
        sections: vec![Bs0602Section {
            section: Bs0602SectionCode::AutomaticPayments,
            creditor_pbs: "12345678".to_string(),
            debtor_group: "00001".to_string(),
            data_supplier_ident: String::new(),
            date: Some(date("2026-06-01")),
            records: records.into_iter().map(Bs0602Record::Payment).collect(),
        }],
    })
    .unwrap()
}

/// An LS 0602 of payment records for creditor 12345 and customer LS200100.
fn ls0602(delivery_id: u64, records: &[(Ls0602PaymentCode, &str, i64)]) -> String {
    let text = render_ls0602(&Ls0602Delivery {
        data_supplier_cvr: "11223344".to_string(),
        test: false,
        created: Some(date("2026-05-07")),
        records: records
            .iter()
            .map(|&(code, day, amount)| {
                Ls0602Record::Payment(Ls0602Payment {
                    creditor_no: "12345".to_string(),
                    code,
                    task_no: "00000001".to_string(),
                    customer_no: "0000000LS200100".to_string(),
                    payment_date: date(day),
                    amount: ore(amount),
                    creditor_reg_no: String::new(),
                    creditor_account_no: String::new(),
                })
            })
            .collect(),
    })
    .unwrap();
    // Another delivery id: LS deliveries are told apart by their creation date and content.
    text.replacen("0000000001", &format!("{delivery_id:010}"), 1)
}

fn import(f: &mut Fixture, name: &str, text: &str) -> ImportReport {
    f.engine
        .import_delivery(name, text.as_bytes(), time(LATER))
        .unwrap()
}

/// The answer the bank simulator gives to the exported file of `format`.
fn simulated(f: &Fixture, format: &str, rates: BankRates) -> Vec<String> {
    let mut answers = Vec::new();
    let mut paths: Vec<_> = std::fs::read_dir(&f.out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    let creditor = match format {
        "BS" => "12345678",
        "BST" => "87654321",
        _ => "12345",
    };
    for path in paths {
        let bytes = std::fs::read(&path).unwrap();
        let text: String = bytes.iter().map(|&b| char::from(b)).collect();
        if !text.contains(creditor) {
            continue;
        }
        for answer in simulate_answers(&path.display().to_string(), &bytes, &rates).unwrap() {
            if answer.delivery_type == "0602" {
                answers.push(answer.text);
            }
        }
    }
    answers
}

fn draft(f: &mut Fixture) -> Vec<JournalLine> {
    f.engine.journal_lines(None).unwrap()
}

/// The one draft line, checked field by field: (text, account, amount, offsets, attention).
fn only_line(f: &mut Fixture) -> JournalLine {
    let lines = draft(f);
    assert_eq!(lines.len(), 1, "{lines:#?}");
    lines.into_iter().next().unwrap()
}

fn assert_line(
    line: &JournalLine,
    text: &str,
    account: Option<&str>,
    amount: &str,
    offsets: &[&str],
    attention: bool,
) {
    assert_eq!(line.text, text, "{line:#?}");
    assert_eq!(line.account.as_deref(), account, "{line:#?}");
    assert_eq!(line.amount.to_string(), amount, "{line:#?}");
    assert_eq!(line.offsets, offsets, "{line:#?}");
    assert_eq!(line.attention, attention, "{line:#?}");
}

fn archive_status(f: &mut Fixture, file: i64) -> String {
    f.engine.archive_show(file).unwrap().file.status
}

fn partial_payment(f: &mut Fixture, entry: &str) -> Option<Amount> {
    f.engine
        .list_lines(&crate::LineFilter::default())
        .unwrap()
        .into_iter()
        .find(|(l, _)| l.entry_id == entry)
        .and_then(|(l, _)| l.partial_payment)
}

/// §8 row 1: 0236, amount as charged: `BS <invoice>`, the paid amount credited to the
/// debtor, against the bank account, dated the actual payment date, in the format's journal.
/// Imports a 0602 in which the charge of `E1` (1,000.00) was completed as charged.
fn e1_completed(f: &mut Fixture) -> ImportReport {
    let reference = reference(f, "E1");
    let answer = record(
        Bs0602PaymentCode::Completed,
        "100100",
        &reference,
        100000,
        100000,
    );
    import(f, "D1.txt", &bs0602(1, vec![answer]))
}

#[test]
fn row_0236_completed_as_charged() {
    let mut f = exported(SINGLE);
    let report = e1_completed(&mut f);
    let line = only_line(&mut f);
    assert_line(
        &line,
        "BS 5001",
        Some("100100"),
        "-1000.00",
        &["5001"],
        false,
    );
    assert_eq!(line.journal, "Day");
    assert_eq!(line.offset_account.as_deref(), Some("5850"));
    assert_eq!(line.date, date("2026-06-02"), "the actual payment date");
    assert_eq!(line.source, format!("file {}, line 3", report.file_id));
    assert_eq!(report.attention, 0);
    assert_eq!(archive_status(&mut f, report.file_id), "ok");
    assert_eq!(f.status_of("E1"), Status::Received);
}

/// [`e1_completed`] after the formats lost their bank account.
fn e1_completed_without_a_bank_account() -> (Fixture, ImportReport) {
    let mut f = exported(SINGLE);
    let conn = rusqlite::Connection::open(f.db_path()).unwrap();
    conn.execute("UPDATE payment_formats SET bank_account = NULL", [])
        .unwrap();
    drop(conn);
    let report = e1_completed(&mut f);
    (f, report)
}

/// §8 row 1 for a format without a bank account: the line has no offset account, so it waits
/// for a person (`journal set-offset-account`), and the import counts it as needing one: its
/// file is `error`, as for a `(!)` line.
#[test]
fn row_0236_without_a_bank_account_needs_a_person() {
    let (mut f, report) = e1_completed_without_a_bank_account();
    let line = only_line(&mut f);
    assert_line(
        &line,
        "BS 5001",
        Some("100100"),
        "-1000.00",
        &["5001"],
        true,
    );
    assert_eq!(line.offset_account, None);
    assert_eq!(report.attention, 1);
    assert_eq!(archive_status(&mut f, report.file_id), "error");
    assert_eq!(f.status_of("E1"), Status::Received);
}

/// §8 row 1, collective: one line `BS <group id>` whose offsets list every invoice of the
/// group, credit note included, for the net amount.
#[test]
fn row_0236_collective_payment_is_one_line() {
    let mut f = exported(COLLECTIVE);
    let reference = reference(&mut f, "E1");
    assert_eq!(reference, self::reference(&mut f, "E3"), "one charge");
    import(
        &mut f,
        "D1.txt",
        &bs0602(
            1,
            vec![record(
                Bs0602PaymentCode::Completed,
                "100100",
                &reference,
                125000,
                125000,
            )],
        ),
    );
    let line = only_line(&mut f);
    assert_line(
        &line,
        "BS 100100-20260601",
        Some("100100"),
        "-1250.00",
        &["5001", "5002", "5003"],
        false,
    );
}

/// §8 row 2: 0236 for another amount: `(!) BS <invoice>`, the paid amount, status
/// difference with the partial payment set to the paid amount; the file is `error`.
#[test]
fn row_0236_amount_differs() {
    let mut f = exported(SINGLE);
    let reference = reference(&mut f, "E1");
    let report = import(
        &mut f,
        "D1.txt",
        &bs0602(
            1,
            vec![record(
                Bs0602PaymentCode::Completed,
                "100100",
                &reference,
                100000,
                60000,
            )],
        ),
    );
    let line = only_line(&mut f);
    assert_line(
        &line,
        "(!) BS 5001",
        Some("100100"),
        "-600.00",
        &["5001"],
        true,
    );
    assert_eq!(f.status_of("E1"), Status::Difference);
    assert_eq!(partial_payment(&mut f, "E1"), Some(ore(60000)));
    assert_eq!(report.attention, 1);
    assert_eq!(archive_status(&mut f, report.file_id), "error");
}

/// A file is `error` while some of its draft lines need attention (domain.md §7): when a
/// person has seen to the last of them, its status is `ok`, logged. Each line seen to is
/// approved (`journal set-account`), the second with an account for a customer number no
/// mandate had.
#[test]
fn a_file_is_ok_once_none_of_its_lines_needs_attention() {
    let mut f = exported(SINGLE);
    let reference = reference(&mut f, "E1");
    let report = import(
        &mut f,
        "D1.txt",
        &bs0602(
            1,
            vec![
                record(
                    Bs0602PaymentCode::Completed,
                    "100100",
                    &reference,
                    100000,
                    60000,
                ),
                record(Bs0602PaymentCode::Completed, "999999", "", 5000, 5000),
            ],
        ),
    );
    assert_eq!(report.attention, 2);
    let lines = draft(&mut f);
    let texts: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(texts, ["(!) BS 5001", "(!) M:999999"]);
    let at = time(LATER);
    let fixed = f
        .engine
        .journal_set_account(lines[0].id, "100100", at)
        .unwrap();
    assert!(!fixed.line.attention);
    assert_eq!(fixed.file_now_ok, None);
    assert_eq!(archive_status(&mut f, report.file_id), "error");
    let fixed = f
        .engine
        .journal_set_account(lines[1].id, "100100", at)
        .unwrap();
    let file = f.engine.archive_show(report.file_id).unwrap();
    assert_eq!(file.file.status, "ok");
    assert_eq!(fixed.file_now_ok, Some(file.file.clone()));
    let last = file.log.last().unwrap();
    assert_eq!(
        last.text,
        "status ok: none of its journal lines needs attention any more"
    );
    assert_eq!(last.at, at);
    // Posted, the lines leave the draft, and the file stays ok.
    f.engine.journal_post(None, at).unwrap();
    assert_eq!(archive_status(&mut f, report.file_id), "ok");
}

/// A file whose lines have no offset account (its format had no bank account) is `ok` once
/// each has one.
#[test]
fn a_file_is_ok_once_its_lines_have_their_offset_account() {
    let (mut f, report) = e1_completed_without_a_bank_account();
    let line = only_line(&mut f);
    assert_eq!(archive_status(&mut f, report.file_id), "error");
    let fixed = f
        .engine
        .journal_set_offset_account(line.id, "5850", time(LATER))
        .unwrap();
    assert_eq!(archive_status(&mut f, report.file_id), "ok");
    assert_eq!(fixed.file_now_ok.map(|file| file.id), Some(report.file_id));
}

/// §8 row 3: a customer number that matches no mandate: `(!) M:<customer number>` with the
/// leading zeros stripped and no account.
#[test]
fn row_customer_matches_no_mandate() {
    let mut f = exported(SINGLE);
    let report = import(
        &mut f,
        "D1.txt",
        &bs0602(
            1,
            vec![record(
                Bs0602PaymentCode::Completed,
                "999999",
                "",
                5000,
                5000,
            )],
        ),
    );
    let line = only_line(&mut f);
    assert_line(&line, "(!) M:999999", None, "-50.00", &[], true);
    assert_eq!(report.attention, 1);
    assert_eq!(archive_status(&mut f, report.file_id), "error");
}

/// §8 row 4: the mandate is known but no payment line (nor invoice) is: `(!) BS: Could not
/// find original invoice` on the mandate's debtor.
#[test]
fn row_mandate_found_but_no_line() {
    let mut f = exported(SINGLE);
    let report = import(
        &mut f,
        "D1.txt",
        &bs0602(
            1,
            vec![record(
                Bs0602PaymentCode::Completed,
                "100100",
                "",
                7700,
                7700,
            )],
        ),
    );
    let line = only_line(&mut f);
    assert_line(
        &line,
        "(!) BS: Could not find original invoice",
        Some("100100"),
        "-77.00",
        &[],
        true,
    );
    assert_eq!(report.attention, 1);
    assert_eq!(f.status_of("E1"), Status::Sent, "no line was answered");
}

/// §8 row 5: 0238, cancelled before the due date: `(!) Unsubscribed (0238)`, amount 0.
#[test]
fn row_0238_cancelled() {
    let mut f = exported(SINGLE);
    let reference = reference(&mut f, "E1");
    let report = import(
        &mut f,
        "D1.txt",
        &bs0602(
            1,
            vec![record(
                Bs0602PaymentCode::Cancelled,
                "100100",
                &reference,
                100000,
                0,
            )],
        ),
    );
    let line = only_line(&mut f);
    assert_line(
        &line,
        "(!) Unsubscribed (0238)",
        Some("100100"),
        "0.00",
        &["5001"],
        true,
    );
    assert_eq!(
        line.date,
        date("2026-06-01"),
        "no actual date: the payment date"
    );
    assert_eq!(f.status_of("E1"), Status::Unsubscribed);
    assert_eq!(archive_status(&mut f, report.file_id), "error");
}

/// §8 row 6: 0237 before the due date (no actual date, nothing paid): amount 0.
#[test]
fn row_0237_rejected_before_the_due_date() {
    let mut f = exported(SINGLE);
    let reference = reference(&mut f, "E1");
    import(
        &mut f,
        "D1.txt",
        &bs0602(
            1,
            vec![record(
                Bs0602PaymentCode::Rejected,
                "100100",
                &reference,
                100000,
                0,
            )],
        ),
    );
    let line = only_line(&mut f);
    assert_line(
        &line,
        "(!) Unsubscribed (0237)",
        Some("100100"),
        "0.00",
        &["5001"],
        true,
    );
    assert_eq!(f.status_of("E1"), Status::Rejected);
}

/// §8 row 7: 0237 after the due date: the amount goes back, debit the debtor.
#[test]
fn row_0237_rejected_after_the_due_date() {
    let mut f = exported(SINGLE);
    let reference = reference(&mut f, "E1");
    import(
        &mut f,
        "D1.txt",
        &bs0602(
            1,
            vec![record(
                Bs0602PaymentCode::Completed,
                "100100",
                &reference,
                100000,
                100000,
            )],
        ),
    );
    import(
        &mut f,
        "D2.txt",
        &bs0602(
            2,
            vec![record(
                Bs0602PaymentCode::Rejected,
                "100100",
                &reference,
                100000,
                100000,
            )],
        ),
    );
    let lines = draft(&mut f);
    assert_eq!(lines.len(), 2);
    assert_line(
        &lines[1],
        "(!) Unsubscribed (0237)",
        Some("100100"),
        "1000.00",
        &["5001"],
        true,
    );
    assert_eq!(lines[1].offset_account.as_deref(), Some("5850"));
    assert_eq!(f.status_of("E1"), Status::Rejected);
}

/// §8 row 8: 0239, charged back: `(!) Unsubscribed (0239)`, debit the debtor.
#[test]
fn row_0239_charged_back() {
    let mut f = exported(SINGLE);
    let reference = reference(&mut f, "E1");
    let mut chargeback = record(
        Bs0602PaymentCode::ChargedBack,
        "100100",
        &reference,
        100000,
        100000,
    );
    chargeback.actual_date = Some(date("2026-06-08"));
    import(&mut f, "D1.txt", &bs0602(1, vec![chargeback]));
    let line = only_line(&mut f);
    assert_line(
        &line,
        "(!) Unsubscribed (0239)",
        Some("100100"),
        "1000.00",
        &["5001"],
        true,
    );
    assert_eq!(line.date, date("2026-06-08"), "the charge-back date");
    assert_eq!(f.status_of("E1"), Status::Reversed);
}

/// §8 row 9: 0297, a payment slip paid (BS Total): `BS FI <invoice>`, credited.
#[test]
fn row_0297_payment_slip_paid() {
    let mut f = exported(SINGLE);
    let reference = reference(&mut f, "E4");
    let report = import(
        &mut f,
        "D1.txt",
        &slip0602(Bs0602SlipCode::Completed, &reference, 9995),
    );
    let line = only_line(&mut f);
    assert_line(
        &line,
        "BS FI 5004",
        Some("100101"),
        "-99.95",
        &["5004"],
        false,
    );
    assert_eq!(line.offset_account.as_deref(), Some("5850"));
    assert_eq!(f.status_of("E4"), Status::Received);
    assert_eq!(archive_status(&mut f, report.file_id), "ok");
}

/// §8 row 10: 0299, a payment slip charged back: `(!) Unsubscribed (0299)`, debit.
#[test]
fn row_0299_payment_slip_charged_back() {
    let mut f = exported(SINGLE);
    let reference = reference(&mut f, "E4");
    import(
        &mut f,
        "D1.txt",
        &slip0602(Bs0602SlipCode::ChargedBack, &reference, 9995),
    );
    let line = only_line(&mut f);
    assert_line(
        &line,
        "(!) Unsubscribed (0299)",
        Some("100101"),
        "99.95",
        &["5004"],
        true,
    );
    assert_eq!(f.status_of("E4"), Status::Reversed);
}

/// Sign code 2 turns the amounts around: a payout completed debits the debtor, its
/// charge-back credits the debtor again.
#[test]
fn sign_code_2_turns_the_amounts_around() {
    let mut f = exported(PAYOUT);
    let reference = reference(&mut f, "E9");
    import(
        &mut f,
        "D1.txt",
        &bs0602(
            1,
            vec![record(
                Bs0602PaymentCode::Completed,
                "100100",
                &reference,
                -50000,
                -50000,
            )],
        ),
    );
    import(
        &mut f,
        "D2.txt",
        &bs0602(
            2,
            vec![record(
                Bs0602PaymentCode::ChargedBack,
                "100100",
                &reference,
                -50000,
                -50000,
            )],
        ),
    );
    let lines = draft(&mut f);
    assert_eq!(lines.len(), 2);
    assert_line(
        &lines[0],
        "BS 5009",
        Some("100100"),
        "500.00",
        &["5009"],
        false,
    );
    assert_line(
        &lines[1],
        "(!) Unsubscribed (0239)",
        Some("100100"),
        "-500.00",
        &["5009"],
        true,
    );
}

/// LS 0580 and 0585 post like 0236 (with the scheme's name), in the LS format's journal and
/// against its bank account; 0585 is a payout.
#[test]
fn ls_0580_and_0585_completed() {
    let mut f = exported(SINGLE);
    import(
        &mut f,
        "L1.txt",
        &ls0602(
            1,
            &[
                (Ls0602PaymentCode::Collected, "2026-05-06", 500000),
                (Ls0602PaymentCode::PaidOut, "2026-05-07", -100000),
            ],
        ),
    );
    let lines = f.engine.journal_lines(Some("LS")).unwrap();
    assert_eq!(lines.len(), 2, "{lines:#?}");
    assert_line(
        &lines[0],
        "LS 6001",
        Some("200100"),
        "-5000.00",
        &["6001"],
        false,
    );
    assert_line(
        &lines[1],
        "LS 6002",
        Some("200100"),
        "1000.00",
        &["6002"],
        false,
    );
    assert_eq!(lines[0].offset_account.as_deref(), Some("5851"));
    assert_eq!(lines[0].date, date("2026-05-06"));
    assert_eq!(f.status_of("E6"), Status::Received);
    assert!(f.engine.journal_lines(Some("Day")).unwrap().is_empty());
}

/// LS 0530 rejected, 0540 cancelled: `(!) Unsubscribed (<LS code>)`, amount 0; 0555 charged
/// back: debit the debtor.
#[test]
fn ls_0530_0540_and_0555() {
    for (code, text, amount, status) in [
        (
            Ls0602PaymentCode::Rejected,
            "(!) Unsubscribed (0530)",
            "0.00",
            Status::Rejected,
        ),
        (
            Ls0602PaymentCode::Cancelled,
            "(!) Unsubscribed (0540)",
            "0.00",
            Status::Unsubscribed,
        ),
        (
            Ls0602PaymentCode::ChargedBack,
            "(!) Unsubscribed (0555)",
            "5000.00",
            Status::Reversed,
        ),
    ] {
        let mut f = exported(SINGLE);
        let report = import(
            &mut f,
            "L1.txt",
            &ls0602(1, &[(code, "2026-05-06", 500000)]),
        );
        let line = only_line(&mut f);
        assert_line(&line, text, Some("200100"), amount, &["6001"], true);
        assert_eq!(f.status_of("E6"), status, "{text}");
        assert_eq!(archive_status(&mut f, report.file_id), "error");
    }
}

/// I5: a record the bank sends again in another delivery was journalled the first time and
/// writes nothing the second.
#[test]
fn a_duplicate_record_writes_nothing() {
    let mut f = exported(SINGLE);
    let reference = reference(&mut f, "E1");
    let completed = record(
        Bs0602PaymentCode::Completed,
        "100100",
        &reference,
        100000,
        100000,
    );
    import(&mut f, "D1.txt", &bs0602(1, vec![completed.clone()]));
    let report = import(&mut f, "D2.txt", &bs0602(2, vec![completed]));
    assert_eq!(report.duplicates, 1);
    assert_eq!(report.attention, 0);
    assert_eq!(draft(&mut f).len(), 1);
}

/// A file whose journal lines cannot be written is not applied at all (I10): nothing of it
/// is in the database afterwards.
#[test]
fn the_journal_lines_are_written_in_the_import_transaction() {
    let mut f = exported(SINGLE);
    let reference = reference(&mut f, "E1");
    let before = f.dump();
    // A trigger that refuses journal lines makes the import fail after every status change.
    let conn = rusqlite::Connection::open(f.db_path()).unwrap();
    conn.execute_batch(
        "CREATE TRIGGER refuse BEFORE INSERT ON journal_lines BEGIN SELECT RAISE(ABORT, 'no'); END;",
    )
    .unwrap();
    let error = f
        .engine
        .import_delivery(
            "D1.txt",
            bs0602(
                1,
                vec![record(
                    Bs0602PaymentCode::Completed,
                    "100100",
                    &reference,
                    100000,
                    100000,
                )],
            )
            .as_bytes(),
            time(LATER),
        )
        .unwrap_err();
    assert!(error.to_string().contains("no"), "{error}");
    conn.execute_batch("DROP TRIGGER refuse;").unwrap();
    assert_eq!(f.dump(), before);
}

/// The import's lines post: the invoice is settled, the ledger balances.
#[test]
fn an_imported_payment_posts_and_settles_its_invoice() {
    let mut f = exported(COLLECTIVE);
    let reference = reference(&mut f, "E1");
    import(
        &mut f,
        "D1.txt",
        &bs0602(
            1,
            vec![record(
                Bs0602PaymentCode::Completed,
                "100100",
                &reference,
                125000,
                125000,
            )],
        ),
    );
    let report = f.engine.journal_post(None, time(LATER)).unwrap();
    assert_eq!(report.posted.len(), 1);
    assert_eq!((report.entries_settled, report.entries_closed), (3, 3));
    assert!(draft(&mut f).is_empty());
    let balances: Vec<(String, String)> = f
        .engine
        .trial_balance()
        .unwrap()
        .into_iter()
        .map(|b| (b.account, b.balance.to_string()))
        .collect();
    assert_eq!(
        balances,
        [
            ("100100".to_string(), "-1250.00".to_string()),
            ("5850".to_string(), "1250.00".to_string())
        ]
    );
    // Nothing left to post: refused.
    let error = f.engine.journal_post(None, time(LATER)).unwrap_err();
    assert_eq!(error.to_string(), "the journals are empty: nothing to post");
}

/// The bank simulator's answers to a whole export: one journal line per charge, every one
/// without attention when everything was completed.
#[test]
fn simulated_answers_give_one_line_per_charge() {
    let mut f = exported(COLLECTIVE);
    let mut answers = simulated(&f, "BS", BankRates::default());
    answers.extend(simulated(&f, "BST", BankRates::default()));
    for (i, answer) in answers.iter().enumerate() {
        let report = import(&mut f, &format!("A{i}.txt"), answer);
        assert_eq!(report.attention, 0);
    }
    let texts: Vec<String> = draft(&mut f).into_iter().map(|l| l.text).collect();
    assert_eq!(texts, ["BS 100100-20260601", "BS 5004", "BS 5005"]);
}

/// A payment of more than its invoice has open (standard principle on a partly paid
/// invoice) would be refused by posting: its line is marked for a person instead.
#[test]
fn a_payment_its_entries_cannot_take_needs_a_person() {
    let mut f = exported(
        "entry_id,debtor,due_date,amount,remaining,invoice\nE1,100100,2026-06-01,1000.00,400.00,5001\n",
    );
    let report = e1_completed(&mut f);
    let line = only_line(&mut f);
    assert_line(
        &line,
        "(!) BS 5001",
        Some("100100"),
        "-1000.00",
        &["5001"],
        true,
    );
    assert_eq!(f.status_of("E1"), Status::Received);
    assert_eq!(report.attention, 1);
}
