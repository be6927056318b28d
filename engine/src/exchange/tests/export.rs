//! Export: the files, their fields, what happens to the lines, I7 and I9.

use super::*;
use crate::delivery::{parse_delivery, Delivery};
use crate::exchange::files::read_single_entry;
use crate::model::Status;
use crate::validate::deadline;
use ledger::Id;
use std::collections::{HashMap, HashSet};

fn records(text: &str) -> Vec<&str> {
    assert!(text.ends_with("\r\n"), "every record ends with CR LF");
    text.split("\r\n").filter(|l| !l.is_empty()).collect()
}

#[test]
fn one_file_per_format_with_its_charges_and_names() {
    let mut f = Fixture::new();
    f.prepare(NOW);
    let report = f.export(NOW);
    assert!(report.held.is_empty(), "{:?}", report.held);
    let summary: Vec<(String, &str, String, usize, usize, String)> = report
        .files
        .iter()
        .map(|file| {
            (
                file.path
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
                file.scheme,
                file.delivery_id.clone(),
                file.charges,
                file.lines,
                file.amount.to_string(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                "AB_PBSXML000202605112233440000000001PROD".to_string(),
                "bs",
                "0000000001".to_string(),
                1,
                3,
                "1250.00".to_string()
            ),
            (
                "AB_PBSXML000202605112233440000000002PROD".to_string(),
                "bs",
                "0000000002".to_string(),
                2,
                2,
                "399.95".to_string()
            ),
            (
                "NetsLS_260504_0000000003".to_string(),
                "ls",
                "0000000003".to_string(),
                2,
                2,
                "4000.00".to_string()
            ),
        ]
    );
    // Every line is sent, with the date sent, its delivery id and its charge's reference.
    let engine = Engine::open(f.db_path(), None).unwrap();
    let lines = engine.list_lines(&crate::LineFilter::default()).unwrap();
    let sent: Vec<(String, Status, Option<String>, Option<String>)> = lines
        .iter()
        .map(|(l, _)| {
            (
                l.entry_id.to_string(),
                l.status,
                l.delivery_id.as_ref().map(Id::to_string),
                l.reference.as_ref().map(Id::to_string),
            )
        })
        .collect();
    let s = |e: &str, d: &str, r: &str| {
        (
            e.to_string(),
            Status::Sent,
            Some(d.to_string()),
            Some(r.to_string()),
        )
    };
    assert_eq!(
        sent,
        vec![
            s("E1", "0000000001", "000000001"),
            s("E2", "0000000001", "000000001"),
            s("E3", "0000000001", "000000001"),
            s("E4", "0000000002", "000000002"),
            s("E5", "0000000002", "000000003"),
            s("E6", "0000000003", "000000004"),
            s("E7", "0000000003", "000000005"),
        ]
    );
    assert!(lines
        .iter()
        .all(|(l, _)| l.date_sent == Some(time(NOW).date())));
    let (_, _, log) = engine.line(lines[0].0.id).unwrap();
    assert_eq!(log.last().unwrap().cause, "export of delivery 1");
    assert_eq!(log.last().unwrap().old, Some(Status::Blank));
}

/// The BS Total 0601 checked field by field against formats.md §2: name and address records,
/// a foreign address, the CPR number in record 00010, the payment record and its text.
#[test]
fn bs_total_0601_field_by_field() {
    let mut f = Fixture::new();
    f.prepare(NOW);
    f.export(NOW);
    let text = f.read_out("AB_PBSXML000202605112233440000000002PROD");
    let r = records(&text);
    let kinds: Vec<String> = r
        .iter()
        .map(|rec| format!("{}/{}", field(rec, 1, 5), field(rec, 14, 22)))
        .collect();
    assert_eq!(
        kinds,
        [
            "BS002/BS1060100",
            "BS012/0112     ",
            "BS022/024000001",
            "BS022/024000002",
            "BS022/024000009",
            "BS022/024000010",
            "BS042/028000000",
            "BS052/024100001",
            "BS022/024000001",
            "BS022/024000002",
            "BS022/024000003",
            "BS022/024000009",
            "BS042/028000000",
            "BS052/024100001",
            "BS092/011200000",
            "BS992/BS1060100",
        ]
    );
    // BS002: data supplier, system code, type, delivery id, creation date DDMMYY.
    assert_eq!(field(r[0], 6, 13), "11223344");
    assert_eq!(field(r[0], 14, 16), "BS1");
    assert_eq!(field(r[0], 17, 20), "0601");
    assert_eq!(field(r[0], 21, 30), "0000000002");
    assert_eq!(field(r[0], 50, 55), "040526");
    // BS012: PBS number, section, debtor group, date DDMMYYYY, main text.
    assert_eq!(field(r[1], 6, 13), "87654321");
    assert_eq!(field(r[1], 14, 17), "0112");
    assert_eq!(field(r[1], 23, 27), "00001");
    assert_eq!(field(r[1], 47, 54), "04052026");
    assert_eq!(field(r[1], 69, 128).trim_end(), "Eksempel A/S");
    // Debtor 100101: name, address, postcode (Denmark: country blank), CPR number.
    assert_eq!(field(r[2], 28, 42), "100101         ");
    assert_eq!(field(r[2], 43, 51), "000000000");
    assert_eq!(field(r[2], 52, 86).trim_end(), "Jens Jensen");
    assert_eq!(field(r[3], 52, 86).trim_end(), "Fælledvej 12");
    assert_eq!(field(r[4], 67, 70), "2200");
    assert_eq!(field(r[4], 71, 73), "   ");
    assert_eq!(field(r[5], 83, 92), "0101701234");
    // Its payment: no mandate on the Total solution, date, sign, amount, reference.
    assert_eq!(field(r[6], 28, 42), "100101         ");
    assert_eq!(field(r[6], 43, 51), "000000000");
    assert_eq!(field(r[6], 52, 59), "01062026");
    assert_eq!(field(r[6], 60, 60), "1");
    assert_eq!(field(r[6], 61, 73), "0000000009995");
    assert_eq!(field(r[6], 74, 103).trim_end(), "000000002");
    assert_eq!(field(r[6], 104, 105), "00");
    assert_eq!(field(r[7], 53, 112).trim_end(), "Faktura 5004: 99,95 kr.");
    // Debtor 100102 lives abroad: the city line is an address line, postcode 0000, SE.
    assert_eq!(field(r[10], 52, 86).trim_end(), "21120 Malmö");
    assert_eq!(field(r[11], 67, 73), "0000SE ");
    assert_eq!(field(r[12], 61, 73), "0000000030000");
    // BS092: 2 payments, net 399.95, 2 texts, 8 name/address records.
    assert_eq!(field(r[14], 32, 42), "00000000002");
    assert_eq!(field(r[14], 43, 57), "000000000039995");
    assert_eq!(field(r[14], 58, 68), "00000000002");
    assert_eq!(field(r[14], 84, 94), "00000000008");
    // BS992: 1 section, the same counts and total.
    assert_eq!(field(r[15], 21, 31), "00000000001");
    assert_eq!(field(r[15], 32, 42), "00000000002");
    assert_eq!(field(r[15], 43, 57), "000000000039995");
    assert_eq!(field(r[15], 84, 94), "00000000008");
    // ISO 8859-1 on disk: 'æ' is one byte, 0xE6.
    let bytes = std::fs::read(f.out.join("AB_PBSXML000202605112233440000000002PROD")).unwrap();
    assert!(bytes.windows(3).any(|w| w == b"F\xE6l"));
    assert!(std::str::from_utf8(&bytes).is_err());
}

/// The collective payment of 100100: one 042 with the net amount, the three invoice numbers
/// in its 052 texts, and no name/address records on the Basis solution.
#[test]
fn a_collective_payment_is_one_042_with_its_invoices_in_the_texts() {
    let mut f = Fixture::new();
    f.prepare(NOW);
    f.export(NOW);
    let text = f.read_out("AB_PBSXML000202605112233440000000001PROD");
    let r = records(&text);
    let payments: Vec<&&str> = r.iter().filter(|rec| rec.starts_with("BS042")).collect();
    assert_eq!(payments.len(), 1);
    let p = payments[0];
    assert_eq!(field(p, 28, 42).trim_end(), "100100");
    assert_eq!(field(p, 43, 51), "000000001");
    assert_eq!(field(p, 61, 73), "0000000125000");
    let texts: Vec<String> = r
        .iter()
        .filter(|rec| rec.starts_with("BS052"))
        .map(|rec| format!("{} {}", field(rec, 18, 22), field(rec, 53, 112).trim_end()))
        .collect();
    assert_eq!(
        texts,
        [
            "00001 Faktura 5001: 1.000,00 kr.",
            "00002 Faktura 5002: 500,00 kr.",
            "00003 Kreditnota 5003: -250,00 kr."
        ]
    );
    assert!(!r.iter().any(|rec| rec.starts_with("BS022")));
    // It reads back as a valid 0601 (counts and totals checked by the reader).
    let Delivery::Bs0601(d) = parse_delivery("x", text.as_bytes()).unwrap() else {
        panic!("not a 0601")
    };
    assert_eq!(d.sections[0].payments[0].reference, "000000001");
}

#[test]
fn ls_type_40_has_a_001_per_date_with_its_580_and_585() {
    let mut f = Fixture::new();
    f.prepare(NOW);
    f.export(NOW);
    let text = f.read_out("NetsLS_260504_0000000003");
    let r = records(&text);
    let summary: Vec<String> = r
        .iter()
        .map(|rec| match &rec[..3] {
            "001" => format!("001 {} {}", field(rec, 4, 8), field(rec, 24, 29)),
            "580" | "585" => format!("{} {} {}", &rec[..3], field(rec, 9, 23), field(rec, 46, 56)),
            other => other.to_string(),
        })
        .collect();
    assert_eq!(
        summary,
        [
            "000",
            "001 12345 260506",
            "580 0000000LS200100 00000500000",
            "001 12345 260507",
            "585 0000000LS200100 00000100000",
            "999"
        ]
    );
    assert!(r.iter().all(|rec| rec.len() <= 80));
}

/// Export grows the page cache while it copies the texts into the archive, and gives it its
/// size back, also when it is called outside `Store::with_core_cache`.
#[test]
fn export_gives_the_page_cache_its_size_back() {
    let mut f = Fixture::new();
    f.prepare(NOW);
    let out = f.out.clone();
    let (store, company) = f.engine.parts();
    let cache = |store: &crate::store::Store| -> i64 {
        store
            .connection()
            .query_row("PRAGMA cache_size", [], |row| row.get(0))
            .unwrap()
    };
    let before = cache(store);
    let report = store
        .export_deliveries(
            company,
            &out,
            false,
            cal(),
            time(NOW),
            &mut crate::progress::none(),
        )
        .unwrap();
    assert_eq!(report.files.len(), 3);
    assert_eq!(cache(store), before);
}

/// I7: a second export sends nothing and writes no file.
#[test]
fn a_second_export_sends_nothing() {
    let mut f = Fixture::new();
    f.prepare(NOW);
    assert_eq!(f.export(NOW).files.len(), 3);
    let before = f.dump();
    let again = f.export(NOW);
    assert!(again.files.is_empty() && again.held.is_empty(), "{again:?}");
    assert_eq!(std::fs::read_dir(&f.out).unwrap().count(), 3);
    assert_eq!(f.dump(), before);
}

/// References are unique per charge, every line of a charge carries its charge's reference,
/// and each collective group is one charge.
#[test]
fn one_charge_per_group_and_unique_references() {
    let mut f = Fixture::new();
    f.prepare(NOW);
    f.export(NOW);
    let path = f.db_path();
    let charges: i64 = query(&path, "SELECT count(*) FROM charges");
    let distinct: i64 = query(&path, "SELECT count(DISTINCT reference) FROM charges");
    assert_eq!((charges, distinct), (5, 5));
    let groups: i64 = query(
        &path,
        "SELECT count(*) FROM (SELECT group_id FROM payment_lines \
         WHERE group_id LIKE '%-%' AND group_id <> '-' GROUP BY group_id HAVING count(DISTINCT reference) <> 1)",
    );
    assert_eq!(groups, 0);
    let group: String = query(
        &path,
        "SELECT group_id FROM charges WHERE reference = '000000001'",
    );
    assert_eq!(group, "100100-20260601");
    let amount: i64 = query(
        &path,
        "SELECT amount FROM charges WHERE reference = '000000001'",
    );
    assert_eq!(amount, 125000);
}

/// I9: every exported payment date is a banking day that met its deadline at export time.
#[test]
fn every_exported_date_is_a_banking_day_before_its_deadline() {
    let mut f = Fixture::new();
    f.prepare(NOW);
    f.export(NOW);
    let engine = Engine::open(f.db_path(), None).unwrap();
    let formats: HashMap<Id, crate::model::PaymentFormat> = engine
        .formats()
        .unwrap()
        .into_iter()
        .map(|format| (format.id.clone(), format))
        .collect();
    let lines = engine.list_lines(&crate::LineFilter::default()).unwrap();
    assert_eq!(lines.len(), 7);
    for (line, entry) in lines {
        assert_eq!(line.status, Status::Sent);
        assert!(cal().is_banking_day(line.payment_date).unwrap(), "{line:?}");
        let format = &formats[line.format_id.as_str()];
        let due = deadline(cal(), format, line.payment_date, entry.amount.is_negative()).unwrap();
        assert!(time(NOW) <= due, "{line:?} deadline {due}");
    }
}

/// Lines that fail validation at export time stay behind, and a collective payment with one
/// failing line is held back whole (reported, not sent).
#[test]
fn failing_lines_stay_and_a_partly_failing_group_is_held() {
    let mut f = Fixture::new();
    f.prepare(NOW);
    // After collect, one line of 100100's group is put on hold by hand.
    let (store, company) = f.engine.parts();
    let e2 = store
        .list_lines(company, &crate::LineFilter::default())
        .unwrap()
        .into_iter()
        .find(|(l, _)| l.entry_id == "E2")
        .unwrap()
        .0
        .id;
    store
        .change_status(
            company,
            &[(e2, Status::Blank, Status::Waiting)],
            time(NOW),
            "manual",
        )
        .unwrap();
    let report = f.export(NOW);
    assert_eq!(report.held.len(), 1, "{report:?}");
    assert_eq!(report.held[0].format, "BS");
    assert!(report.held[0]
        .reason
        .starts_with("collective payment 100100-20260601 is held back: line"));
    let formats: Vec<&str> = report.files.iter().map(|f| f.format.as_str()).collect();
    assert_eq!(formats, ["BST", "LS"]);
    assert_eq!(f.status_of("E1"), Status::Blank);
    assert_eq!(f.status_of("E2"), Status::Waiting);
    // Past the June deadline nothing of BS goes out any more.
    let late = "2026-05-29T12:00";
    let mut g = Fixture::new();
    g.prepare(NOW);
    let report = g.export(late);
    assert!(report.files.iter().all(|f| f.scheme == "ls") || report.files.is_empty());
    assert_eq!(g.status_of("E1"), Status::Blank);
}

/// LS stop: a sent line set to stop gets its 0-amount cancellation for the same payment date
/// in the next export and stays stop; the export after that sends nothing.
#[test]
fn an_ls_stop_line_sends_its_cancellation_once() {
    let mut f = Fixture::new();
    f.prepare(NOW);
    f.export(NOW);
    let later = "2026-05-04T10:00";
    let (store, company) = f.engine.parts();
    let (e6, reference) = store
        .list_lines(company, &crate::LineFilter::default())
        .unwrap()
        .into_iter()
        .find(|(l, _)| l.entry_id == "E6")
        .map(|(l, _)| (l.id, l.reference))
        .unwrap();
    store
        .change_status(
            company,
            &[(e6, Status::Sent, Status::Stop)],
            time(later),
            "manual",
        )
        .unwrap();
    let report = f.export(later);
    assert_eq!(report.files.len(), 1, "{report:?}");
    let file = &report.files[0];
    assert_eq!(
        (file.format.as_str(), file.charges, file.lines),
        ("LS", 1, 1)
    );
    assert_eq!(file.amount.to_string(), "0.00");
    let text = f.read_out(&file.path.file_name().unwrap().to_string_lossy());
    let r = records(&text);
    assert_eq!(field(r[1], 24, 29), "260506");
    assert_eq!(field(r[2], 1, 3), "580");
    assert_eq!(field(r[2], 9, 23), "0000000LS200100");
    assert_eq!(field(r[2], 46, 56), "00000000000");
    let (line, _, log) = f.engine.line(e6).unwrap();
    assert_eq!(line.status, Status::Stop);
    assert!(line.cancellation_sent);
    // The line keeps the reference of the charge it cancels.
    assert_eq!(line.reference, reference);
    let last = log.last().unwrap();
    assert_eq!((last.old, last.new), (Some(Status::Stop), Status::Stop));
    assert_eq!(last.cause, "export of delivery 4");
    assert!(f.export("2026-05-04T11:00").files.is_empty());
}

/// A zipped BS export holds one stored entry named like the file without `.zip`.
#[test]
fn bs_files_are_zipped_unless_asked_not_to() {
    let mut f = Fixture::new();
    f.prepare(NOW);
    let out = f.out.clone();
    let report = f.engine.export(&out, true, cal(), time(NOW)).unwrap();
    let names: Vec<String> = report
        .files
        .iter()
        .map(|f| f.path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "AB_PBSXML000202605112233440000000001PROD.zip",
            "AB_PBSXML000202605112233440000000002PROD.zip",
            "NetsLS_260504_0000000003"
        ]
    );
    let zipped = std::fs::read(&report.files[0].path).unwrap();
    let (entry, content) = read_single_entry("a.zip", &zipped).unwrap();
    assert_eq!(entry, "AB_PBSXML000202605112233440000000001PROD");
    // The archive keeps the delivery text itself.
    let archived = f.engine.archive_show(report.files[0].file_id).unwrap();
    assert_eq!(archived.content.as_bytes(), &content[..]);
}

/// An out directory that is not there changes nothing.
#[test]
fn a_missing_out_directory_changes_nothing() {
    let mut f = Fixture::new();
    f.prepare(NOW);
    let before = f.dump();
    let missing = f.dir.path().join("nope");
    let error = f
        .engine
        .export(&missing, false, cal(), time(NOW))
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "'{}' is not a directory: create it first",
            missing.display()
        )
    );
    assert_eq!(f.dump(), before);
}

/// Two engines (two connections) exporting at the same moment from two threads: every line is
/// in exactly one delivery (I7).
#[test]
fn two_exports_at_once_never_send_a_line_twice() {
    for round in 0..3 {
        let mut f = Fixture::new();
        f.prepare(NOW);
        let path = f.db_path();
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
        let handles: Vec<_> = (0..2)
            .map(|i| {
                let path = path.clone();
                let out = f.dir.path().join(format!("out{i}"));
                std::fs::create_dir(&out).unwrap();
                let barrier = barrier.clone();
                std::thread::spawn(move || {
                    let mut engine = Engine::open(&path, None).unwrap();
                    barrier.wait();
                    engine.export(&out, false, cal(), time(NOW)).unwrap()
                })
            })
            .collect();
        let reports: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let files: usize = reports.iter().map(|r| r.files.len()).sum();
        let lines: usize = reports
            .iter()
            .flat_map(|r| r.files.iter().map(|f| f.lines))
            .sum();
        assert_eq!((files, lines), (3, 7), "round {round}: {reports:?}");
        // Each line's delivery is one of the files written, and every file is in the archive.
        let mut delivery_ids = HashSet::new();
        for report in &reports {
            for file in &report.files {
                assert!(delivery_ids.insert(file.delivery_id.clone()));
            }
        }
        let per_line: i64 = query(
            &path,
            "SELECT count(*) FROM status_log WHERE cause LIKE 'export of delivery %'",
        );
        assert_eq!(per_line, 7);
    }
}

/// The texts are written on a second thread while the rows are written: when writing the
/// last file's text fails, the export fails whole. No row changes, and the staged texts of
/// the files before it are removed.
#[test]
fn a_text_that_cannot_be_written_fails_the_export_whole() {
    // The same run in another database gives the names the export will use.
    let mut first = Fixture::new();
    first.prepare(NOW);
    let names: Vec<String> = first
        .export(NOW)
        .files
        .iter()
        .map(|f| f.path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(names.len() > 1, "{names:?}");
    let mut f = Fixture::new();
    f.prepare(NOW);
    let before = f.dump();
    // A directory where the last file's text is staged.
    let last = names.last().unwrap();
    std::fs::create_dir(f.out.join(format!(".{last}.main.partial"))).unwrap();
    let out = f.out.clone();
    let error = f.engine.export(&out, false, cal(), time(NOW)).unwrap_err();
    assert!(error.to_string().contains(last.as_str()), "{error}");
    assert_eq!(f.dump(), before);
    let left: Vec<String> = std::fs::read_dir(&f.out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, vec![format!(".{last}.main.partial")]);
}

/// A format's place in the plan's rows is 16 bits: a company of 65,535 formats is planned, one
/// of 65,536 is refused whole with a message, not planned with formats mixed up.
#[test]
fn more_than_65535_formats_are_refused() {
    use crate::exchange::export::{plan_export, ExportSettings};
    let mut data = crate::testdata::Run::new()
        .bs_basis("BS")
        .enrolled("100100")
        .entry("E1", "100100", "2026-07-01", "100.00")
        .line("E1", "2026-07-01")
        .build();
    let settings = ExportSettings {
        company_name: "Company",
        now: time(NOW),
        zip: false,
        last_delivery_id: 0,
        last_charge: 0,
    };
    let template = data.formats["BS"].clone();
    for n in 1..u16::MAX {
        let id = Id::from(format!("F{n:05}"));
        let mut format = template.clone();
        format.id = id.clone();
        data.formats.insert(id, format);
    }
    assert_eq!(data.formats.len(), 65_535);
    assert!(plan_export(&data, &[true], &settings).is_ok());
    let mut format = template;
    format.id = Id::from("F65535");
    data.formats.insert(format.id.clone(), format);
    let error = plan_export(&data, &[true], &settings).unwrap_err();
    assert_eq!(
        error.to_string(),
        "a company of more than 65,535 payment formats cannot be exported"
    );
}

/// Two companies of one data supplier in one database (their formats have the same data
/// supplier CVR) never send the same delivery id: Mastercard takes a data supplier's delivery
/// id once, and in a shared out directory the second company's BS file would have the
/// first's name and replace it, unsent, while its lines stay sent.
#[test]
fn companies_of_one_data_supplier_never_share_a_delivery_id() {
    let mut f = Fixture::new();
    f.prepare(NOW);
    let first = f.export(NOW);
    let first_files: HashMap<_, _> = first
        .files
        .iter()
        .map(|file| (file.path.clone(), std::fs::read(&file.path).unwrap()))
        .collect();
    assert_eq!(first_files.len(), 3);

    let mut second = Fixture::company(&f.db_path(), Some("second"), DEBTORS, MANDATES, ENTRIES);
    second.suggest(cal(), time(NOW), false).unwrap();
    second.collect(cal(), time(NOW)).unwrap();
    second.validate(cal(), time(NOW)).unwrap();
    let then = second.export(&f.out, false, cal(), time(NOW)).unwrap();
    assert_eq!(then.files.len(), 3);

    let ids = |report: &crate::exchange::ExportReport| -> HashSet<String> {
        report
            .files
            .iter()
            .map(|file| file.delivery_id.clone())
            .collect()
    };
    let numbers = |range: std::ops::RangeInclusive<u32>| -> HashSet<String> {
        range.map(|n| format!("{n:010}")).collect()
    };
    assert_eq!(ids(&first), numbers(1..=3));
    assert_eq!(ids(&then), numbers(4..=6));
    assert_eq!(std::fs::read_dir(&f.out).unwrap().count(), 6);
    for (path, bytes) in &first_files {
        assert_eq!(
            &std::fs::read(path).unwrap(),
            bytes,
            "{} was replaced",
            path.display()
        );
    }
}
