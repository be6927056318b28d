//! Security (reliability.md I11, I12, "Limits", SQLite settings):
//!
//! - CPR numbers are never printed whole: a whole cycle with `-vvv` logging, every output
//!   scanned for every CPR number of the input. `archive show` masks the CPR numbers a sent BS
//!   Total file carries (record 00010) on screen; the archive and the file keep them, because
//!   Mastercard needs them.
//! - the database file (and its -wal and -shm) and every delivery file written are readable by
//!   their owner only (0600);
//! - company isolation: a second company in the same database, driven through every command
//!   (and at the first company's line ids, file ids and bank answers), sees and changes nothing
//!   of the first;
//! - stated limits refused with clear messages;
//! - every SQL value a bound parameter: a scan of the SQL text the engine and the ledger build
//!   with `format!`, each interpolation reviewed below.

use crate::scenario::{at, fnv, LATER, NOW};
use crate::support::{assert_verified, data, payrun_in, Run, TempDir};
use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// The four formats of the exchange tests: BS Basis, BS Total (its 0601 carries CPR numbers),
/// BS without banking-day action, LS.
fn add_formats(dir: &Path, company: &str) {
    for (id, scheme, creditor, extra) in [
        ("BS", "bs", "09990001", &["--bs-type", "basis"][..]),
        ("BST", "bs", "09990002", &["--bs-type", "total"]),
        ("BSN", "bs", "09990003", &["--banking-day", "none"]),
        ("LS", "ls", "12345", &["--block-payouts"]),
    ] {
        let mut args = vec![
            "--company",
            company,
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
        args.extend_from_slice(extra);
        at(dir, NOW, &args, &[0]);
    }
}

/// The 10-digit values of the `cvr` column of a debtors file: its CPR numbers.
fn cprs_in(path: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let column = header.iter().position(|c| *c == "cvr").unwrap();
    lines
        .filter_map(|l| l.split(',').nth(column))
        .filter(|v| v.len() == 10 && v.bytes().all(|b| b.is_ascii_digit()))
        .map(str::to_string)
        .collect()
}

/// Every output of the cycle, with the command that printed it.
#[derive(Default)]
struct Outputs(Vec<(String, String)>);

impl Outputs {
    fn run(&mut self, dir: &Path, now: &str, args: &[&str], codes: &[i32]) -> Run {
        let mut full = vec!["-vvv"];
        full.extend_from_slice(args);
        let run = at(dir, now, &full, codes);
        self.0
            .push((args.join(" "), format!("{}\n{}", run.stdout, run.stderr)));
        run
    }

    /// Every command in both output modes.
    fn both(&mut self, dir: &Path, now: &str, args: &[&str], codes: &[i32]) -> Run {
        let mut json = vec!["--json"];
        json.extend_from_slice(args);
        self.run(dir, now, args, codes);
        self.run(dir, now, &json, codes)
    }

    fn assert_no_cpr(&self, cprs: &BTreeSet<String>) {
        assert!(cprs.len() > 10, "too few CPR numbers to test: {cprs:?}");
        for (command, output) in &self.0 {
            for cpr in cprs {
                let dashed = format!("{}-{}", &cpr[..6], &cpr[6..]);
                assert!(
                    !output.contains(cpr.as_str()) && !output.contains(&dashed),
                    "I12: `payrun {command}` printed the CPR number {cpr}:\n{output}"
                );
            }
        }
    }
}

/// I12: a whole cycle — generate, imports, suggest, validate, collect, list, show, status
/// set, mandates, reminders, export, simulate-bank, import delivery, archive list, show and
/// reconcile, verify, and the refusals — with trace logging, and not one output holds a CPR
/// number of the input whole.
#[test]
fn cpr_numbers_are_never_printed_whole() {
    let tmp = TempDir::new("sec-cpr");
    let dir = tmp.path();
    let mut out = Outputs::default();
    out.both(
        dir,
        NOW,
        &[
            "generate",
            "--debtors",
            "300",
            "--entries",
            "900",
            "--out",
            "work",
            "--seed",
            "4",
        ],
        &[0],
    );
    out.run(dir, NOW, &["init", "--name", "CPR A/S"], &[0]);
    add_formats(dir, "main");
    for kind in ["debtors", "mandates", "entries"] {
        out.both(
            dir,
            NOW,
            &["import", kind, &format!("work/{kind}.csv")],
            &[0],
        );
        out.both(
            dir,
            NOW,
            &["import", kind, &data(&format!("run/{kind}.csv"))],
            &[0],
        );
    }
    // A CPR number in a refused row: the message must not repeat it.
    std::fs::write(
        dir.join("bad.csv"),
        "account,name,cvr\nX1,Bad,010190123\nX2,Bad,0101901234x\n",
    )
    .unwrap();
    out.both(dir, NOW, &["import", "debtors", "bad.csv"], &[2]);
    out.both(dir, NOW, &["suggest"], &[0]);
    out.both(dir, NOW, &["validate"], &[0, 1]);
    out.both(dir, NOW, &["collect"], &[0, 1]);
    out.both(dir, NOW, &["list"], &[0]);
    for line in ["1", "2", "3", "900", "905"] {
        out.both(dir, NOW, &["show", line], &[0]);
    }
    out.both(dir, NOW, &["mandates", "list"], &[0]);
    out.both(dir, NOW, &["reminders", "--days", "3"], &[0]);
    out.both(dir, NOW, &["format", "list"], &[0]);
    std::fs::create_dir(dir.join("out")).unwrap();
    std::fs::create_dir(dir.join("in")).unwrap();
    let export = out
        .run(dir, NOW, &["--json", "export", "--out", "out"], &[0])
        .json();
    let files: Vec<String> = export["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    assert!(export["files"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["format"] == "BST"));
    out.both(dir, NOW, &["export", "--out", "out"], &[0]);
    let mut answers = Vec::new();
    for file in &files {
        let run = out.run(
            dir,
            NOW,
            &[
                "--json",
                "simulate-bank",
                file,
                "--out",
                "in",
                "--reject",
                "0.2",
                "--chargeback",
                "0.1",
            ],
            &[0],
        );
        for answer in run.json()["files"].as_array().unwrap() {
            answers.push(answer["path"].as_str().unwrap().to_string());
        }
    }
    answers.sort();
    let mut import = vec!["import", "delivery"];
    import.extend(answers.iter().map(String::as_str));
    out.both(dir, LATER, &import, &[0, 1]);
    out.both(dir, LATER, &["list", "--status", "rejected"], &[0]);
    out.both(dir, LATER, &["archive", "list"], &[0]);
    let archived = out
        .run(dir, LATER, &["--json", "archive", "list"], &[0])
        .json();
    for file in archived["files"].as_array().unwrap() {
        let id = file["id"].to_string();
        out.both(dir, LATER, &["archive", "show", &id], &[0]);
    }
    out.both(dir, LATER, &["archive", "reconcile", "1"], &[0]);
    out.both(
        dir,
        LATER,
        &["status", "set", "--to", "blank", "1", "2"],
        &[0, 2],
    );
    out.both(dir, LATER, &["verify"], &[0]);

    let mut cprs = cprs_in(&dir.join("work/debtors.csv"));
    cprs.extend(cprs_in(Path::new(&data("run/debtors.csv"))));
    out.assert_no_cpr(&cprs);

    // The mask is on the screen only: the BS Total file sent and its archive copy carry the
    // whole CPR number of debtor 100111, as Mastercard needs it.
    let total = files.iter().find(|f| f.contains("0000000002")).unwrap();
    let bytes = std::fs::read(dir.join(total)).unwrap();
    assert!(
        bytes.windows(10).any(|w| w == b"0303901234"),
        "the BS Total file lost its CPR number"
    );
    let shown = out.run(dir, LATER, &["archive", "show", "2"], &[0]);
    assert!(shown.stdout.contains("******1234"), "{}", shown.stdout);
    assert_verified(dir);
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// The database, its WAL and shared-memory files, and every delivery file (which may carry
/// CPR numbers) are readable by their owner only.
#[test]
fn the_database_and_the_delivery_files_are_private() {
    let tmp = TempDir::new("sec-mode");
    let dir = tmp.path();
    at(dir, NOW, &["init"], &[0]);
    add_formats(dir, "main");
    for kind in ["debtors", "mandates", "entries"] {
        at(
            dir,
            NOW,
            &["import", kind, &data(&format!("run/{kind}.csv"))],
            &[0],
        );
    }
    at(dir, NOW, &["suggest"], &[0]);
    at(dir, NOW, &["collect"], &[0, 1]);
    // While a connection writes, the WAL and the shared memory exist.
    let conn = rusqlite::Connection::open(dir.join("payrun.db")).unwrap();
    conn.execute_batch("BEGIN IMMEDIATE; UPDATE companies SET name = name; COMMIT;")
        .unwrap();
    for name in ["payrun.db", "payrun.db-wal", "payrun.db-shm"] {
        assert_eq!(mode(&dir.join(name)), 0o600, "{name}");
    }
    drop(conn);
    std::fs::create_dir(dir.join("out")).unwrap();
    std::fs::create_dir(dir.join("in")).unwrap();
    let export = at(dir, NOW, &["--json", "export", "--out", "out"], &[0]).json();
    let mut written: Vec<PathBuf> = Vec::new();
    for file in export["files"].as_array().unwrap() {
        let path = file["path"].as_str().unwrap().to_string();
        written.push(dir.join(&path));
        let answers = at(
            dir,
            NOW,
            &["--json", "simulate-bank", &path, "--out", "in"],
            &[0],
        )
        .json();
        for answer in answers["files"].as_array().unwrap() {
            written.push(dir.join(answer["path"].as_str().unwrap()));
        }
    }
    assert!(written.len() >= 4);
    for path in written {
        // Regression: delivery files were created 0644 (the umask's default), readable by
        // every user of the host, though a BS Total file holds whole CPR numbers.
        assert_eq!(mode(&path), 0o600, "{}", path.display());
    }
}

/// The digest of one company's rows in every table that has a `company` column.
fn company_digest(db: &Path, company: &str) -> Vec<(String, usize, u64)> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let key: i64 = conn
        .query_row("SELECT key FROM companies WHERE id = ?1", [company], |r| {
            r.get(0)
        })
        .unwrap();
    let tables: Vec<String> = conn
        .prepare(
            "SELECT m.name FROM sqlite_schema m WHERE m.type = 'table' AND EXISTS \
             (SELECT 1 FROM pragma_table_info(m.name) p WHERE p.name = 'company') ORDER BY 1",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert!(tables.len() >= 10, "{tables:?}");
    tables
        .into_iter()
        .map(|table| {
            // Table names from sqlite_schema; the company key is bound.
            let mut statement = conn
                .prepare(&format!(
                    "SELECT * FROM \"{table}\" WHERE company = ?1 ORDER BY 1, 2"
                ))
                .unwrap();
            let columns = statement.column_count();
            let mut rows = statement.query([key]).unwrap();
            let (mut count, mut hash) = (0, 0xcbf2_9ce4_8422_2325_u64);
            while let Some(row) = rows.next().unwrap() {
                count += 1;
                for i in 0..columns {
                    let value: rusqlite::types::Value = row.get(i).unwrap();
                    fnv(&mut hash, format!("{value:?}|").as_bytes());
                }
            }
            (table, count, hash)
        })
        .collect()
}

/// I11: company B, in the same database, through every command — including A's line ids, A's
/// archive file ids and A's bank answers — sees and changes nothing of company A.
#[test]
fn a_second_company_sees_and_changes_nothing_of_the_first() {
    let tmp = TempDir::new("sec-iso");
    let dir = tmp.path();
    let a = |args: &[&str], now: &str, codes: &[i32]| {
        let mut full = vec!["--company", "a"];
        full.extend_from_slice(args);
        at(dir, now, &full, codes)
    };
    // Company A: the whole cycle.
    at(dir, NOW, &["init", "--company", "a", "--name", "A"], &[0]);
    add_formats(dir, "a");
    for kind in ["debtors", "mandates", "entries"] {
        a(
            &["import", kind, &data(&format!("run/{kind}.csv"))],
            NOW,
            &[0],
        );
    }
    a(&["suggest"], NOW, &[0]);
    a(&["collect"], NOW, &[0, 1]);
    std::fs::create_dir(dir.join("out-a")).unwrap();
    std::fs::create_dir(dir.join("in-a")).unwrap();
    let export = a(&["--json", "export", "--out", "out-a"], NOW, &[0]).json();
    let mut answers: Vec<String> = Vec::new();
    for file in export["files"].as_array().unwrap() {
        let path = file["path"].as_str().unwrap();
        let run = a(
            &[
                "--json",
                "simulate-bank",
                path,
                "--out",
                "in-a",
                "--reject",
                "0.3",
            ],
            NOW,
            &[0],
        );
        for answer in run.json()["files"].as_array().unwrap() {
            answers.push(answer["path"].as_str().unwrap().to_string());
        }
    }
    answers.sort();
    let first_answer = answers[0].clone();
    let mut import = vec!["import", "delivery"];
    import.extend(answers.iter().map(String::as_str));
    a(&import, LATER, &[0, 1]);
    let lines_a: Vec<String> = a(&["--json", "list"], LATER, &[0]).json()["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["line"].to_string())
        .collect();
    let files_a: Vec<String> = a(&["--json", "archive", "list"], LATER, &[0]).json()["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].to_string())
        .collect();
    let db = dir.join("payrun.db");
    let before = company_digest(&db, "a");

    // Company B: the same formats (the same creditor numbers), the same data, every command.
    let b = |args: &[&str], now: &str, codes: &[i32]| {
        let mut full = vec!["--company", "b"];
        full.extend_from_slice(args);
        at(dir, now, &full, codes)
    };
    at(dir, NOW, &["init", "--company", "b", "--name", "B"], &[0]);
    // Without --company, a command must not pick one.
    let run = payrun_in(dir, &["--now", NOW, "list"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("several companies"), "{}", run.stderr);
    // B knows none of A's lines, files, formats or mandates.
    assert_eq!(
        b(&["--json", "list"], NOW, &[0]).json()["lines"],
        serde_json::json!([])
    );
    assert_eq!(
        b(&["--json", "archive", "list"], NOW, &[0]).json()["files"],
        serde_json::json!([])
    );
    assert_eq!(
        b(&["--json", "mandates", "list"], NOW, &[0]).json()["mandates"],
        serde_json::json!([])
    );
    for line in &lines_a {
        let run = b(&["show", line], NOW, &[2]);
        assert!(run.stderr.contains("no payment line"), "{}", run.stderr);
        for target in ["blank", "resend", "waiting", "stop"] {
            b(
                &["status", "set", "--to", target, "--force", line],
                NOW,
                &[2],
            );
        }
    }
    for file in &files_a {
        b(&["archive", "show", file], NOW, &[2]);
        b(&["archive", "reconcile", file], NOW, &[2]);
    }
    // A's answer, before B has the formats it is addressed to: refused.
    let run = b(&["import", "delivery", &first_answer], LATER, &[2]);
    assert!(run.stderr.contains("is for creditor"), "{}", run.stderr);
    add_formats(dir, "b");
    for kind in ["debtors", "mandates", "entries"] {
        b(
            &["import", kind, &data(&format!("run/{kind}.csv"))],
            NOW,
            &[0],
        );
    }
    b(&["suggest"], NOW, &[0]);
    b(&["validate"], NOW, &[0, 1]);
    b(&["collect"], NOW, &[0, 1]);
    b(&["collect", "--off"], NOW, &[0, 1]);
    b(&["collect"], NOW, &[0, 1]);
    b(&["reminders"], NOW, &[0]);
    // A's line ids again, now that B has lines of its own (B's ids are other numbers).
    for line in &lines_a {
        b(&["status", "set", "--to", "waiting", line], NOW, &[2]);
        b(&["partial", "set", line, "1.00"], NOW, &[2]);
        b(&["payment-date", "set", line, "2026-07-01"], NOW, &[2]);
    }
    // A's bank answers into B (same creditor numbers): nothing of A may change.
    let mut import_b = vec!["import", "delivery"];
    import_b.extend(answers.iter().map(String::as_str));
    b(&import_b, LATER, &[0, 1, 2]);
    std::fs::create_dir(dir.join("out-b")).unwrap();
    b(&["export", "--out", "out-b"], NOW, &[0, 1]);
    b(&["archive", "list"], LATER, &[0]);
    at(dir, LATER, &["verify"], &[0]);

    assert_eq!(
        company_digest(&db, "a"),
        before,
        "I11: commands of company b changed rows of company a"
    );
    // And A still sees only its own.
    let lines_now = a(&["--json", "list"], LATER, &[0]).json()["lines"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(lines_now, lines_a.len());
    assert_verified(dir);
}

/// The stated limits exist and are refused with clear messages.
#[test]
fn stated_limits_are_refused_with_clear_messages() {
    use engine::csv_import::{read_with_limits, Limits};
    // The constants, as documented.
    assert_eq!(engine::delivery::MAX_FILE_BYTES, 512 * 1024 * 1024);
    assert_eq!(engine::delivery::MAX_RECORDS, 10_000_000);
    assert_eq!(engine::delivery::BS_WIDTH, 128);
    assert_eq!(Limits::DEFAULT.max_file_bytes, 1 << 30);
    assert_eq!(Limits::DEFAULT.max_rows, 20_000_000);
    assert_eq!(Limits::DEFAULT.max_field_chars, 1_000);

    let tmp = TempDir::new("sec-limits");
    let dir = tmp.path();
    at(dir, NOW, &["init"], &[0]);
    add_formats(dir, "main");

    // A delivery larger than the limit is refused before it is read (a sparse file).
    let big = dir.join("big.txt");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(engine::delivery::MAX_FILE_BYTES as u64 + 1)
        .unwrap();
    let run = at(dir, LATER, &["import", "delivery", "big.txt"], &[2]);
    assert!(
        run.stderr
            .contains("536870913 bytes is more than the 536870912 bytes a delivery may have"),
        "{}",
        run.stderr
    );
    std::fs::remove_file(&big).unwrap();

    // A record longer than the record width.
    let sample = std::fs::read(data("delivery/samples/bs0602_payments.txt")).unwrap();
    let mut long = Vec::new();
    for (index, line) in sample.split(|&b| b == b'\n').enumerate() {
        long.extend_from_slice(line);
        if index == 1 {
            long.truncate(long.len() - usize::from(line.ends_with(b"\r")));
            long.extend_from_slice(&[b' '; 200]);
            long.extend_from_slice(b"X\r");
        }
        long.push(b'\n');
    }
    std::fs::write(dir.join("long.txt"), &long).unwrap();
    let run = at(dir, LATER, &["import", "delivery", "long.txt"], &[2]);
    assert!(
        run.stderr.contains("long.txt:2:") && run.stderr.contains("refused"),
        "{}",
        run.stderr
    );

    // A CSV value longer than the limit, through the binary.
    std::fs::write(
        dir.join("debtors.csv"),
        format!("account,name\n1,{}\n", "n".repeat(1_001)),
    )
    .unwrap();
    let run = at(dir, NOW, &["import", "debtors", "debtors.csv"], &[2]);
    assert!(
        run.stderr.contains(
            "debtors.csv:2: name: the value has 1001 characters; at most 1000 are allowed"
        ),
        "{}",
        run.stderr
    );

    // Rows and bytes, with small limits through the library.
    let small = Limits {
        max_file_bytes: 64,
        max_rows: 2,
        max_field_chars: 1_000,
        max_problems: 10,
    };
    let rows = |text: &str| -> Vec<String> {
        read_with_limits::<engine::model::Debtor, _>("d.csv", text.as_bytes(), small)
            .map(|rows| {
                rows.filter_map(|r| r.err())
                    .flatten()
                    .map(|p| format!("{p:?}"))
                    .collect()
            })
            .unwrap_or_else(|e| vec![e.to_string()])
    };
    let problems = rows("account,name\n1,a\n2,b\n3,c\n");
    assert!(
        problems
            .iter()
            .any(|p| p.contains("more than 2 rows: split the file into smaller files")),
        "{problems:?}"
    );
    let problems = rows(&format!(
        "account,name\n1,{}\n2,{}\n",
        "a".repeat(40),
        "b".repeat(40)
    ));
    assert!(
        problems
            .iter()
            .any(|p| p.contains("the file is larger than 64 bytes")),
        "{problems:?}"
    );
}

/// Every value in SQL is a bound parameter: the SQL texts the engine and the ledger build with
/// `format!` interpolate only constants (column lists in capitals), placeholders (`?{n}`), and
/// the reviewed cases listed here. A new interpolation fails this test until it is reviewed.
/// The last line of stderr: the error the command ended with.
fn error_line(run: &Run) -> String {
    run.stderr
        .trim_end()
        .lines()
        .last()
        .unwrap_or("")
        .to_string()
}

#[test]
fn an_error_says_its_cause_once() {
    let tmp = TempDir::new("sec-errors");
    let dir = tmp.path();
    at(dir, NOW, &["init"], &[0]);
    // A file that is not there: the path and the reason, once.
    let run = at(dir, NOW, &["import", "entries", "missing.csv"], &[2]);
    assert_eq!(
        error_line(&run),
        "error: 'missing.csv': No such file or directory (os error 2)"
    );
    // A CSV file refused for two reasons: each said once.
    std::fs::write(dir.join("e.csv"), "entry_id,debtor\nE1,100100\n").unwrap();
    let run = at(dir, NOW, &["import", "entries", "e.csv"], &[2]);
    assert_eq!(
        run.stderr.trim_end(),
        "error: e.csv:1: missing required column 'due_date'\ne.csv:1: missing required column 'amount'"
    );
}

#[test]
fn sql_is_built_only_from_constants_and_placeholders() {
    // (file, interpolation, why it is safe)
    const REVIEWED: &[(&str, &str, &str)] = &[
        (
            "engine/src/store/lines.rs",
            "{columns}",
            "the module's constant column lists, with a constant expression substituted",
        ),
        (
            "ledger/src/sql.rs",
            "{insert}",
            "an INSERT statement up to VALUES, a constant at every call site",
        ),
        (
            "ledger/src/sql.rs",
            "{}",
            "a VALUES list of generated `(?, ?, …)` placeholder rows",
        ),
        (
            "ledger/src/testing.rs",
            "{table}",
            "test helper; table names from sqlite_schema",
        ),
        (
            "ledger/src/testing.rs",
            "{}",
            "test helper; ORDER BY the table's own column names",
        ),
        (
            "ledger/src/posting/tests.rs",
            "{id}",
            "test; integer ids written in the test",
        ),
        (
            "ledger/src/posting/tests.rs",
            "{amount}",
            "test; integer amounts written in the test",
        ),
        (
            "engine/src/store/lines.rs",
            "{}",
            "VALUES / IN lists joined from generated `(?1, ?n, …)` placeholders",
        ),
        (
            "engine/src/store/lines.rs",
            "{p}",
            "a placeholder `?n` returned by `bind`",
        ),
        (
            "engine/src/store/status_log.rs",
            "{}",
            "the status changes' VALUES list of generated placeholders",
        ),
        (
            "engine/src/exchange/tests/import.rs",
            "{order}",
            "test; the literal column `event` or `id`",
        ),
        (
            "engine/src/store/batch.rs",
            "{into}",
            "`insert_sql`'s table and column list, a `&'static str`: a `BatchInsert`'s or an \
             `UpsertOf`'s constant",
        ),
        (
            "engine/src/store/batch.rs",
            "{}",
            "a `BatchInsert`'s table and column list (a constant at each use) and its VALUES \
             list of generated placeholders",
        ),
        (
            "engine/src/store/import.rs",
            "{table}",
            "a table name from a constant of the module",
        ),
        (
            "engine/src/store/lines.rs",
            "{table}",
            "`count_rows`' table name, a `&'static str` constant at each call",
        ),
        (
            "engine/src/exchange/tests/mod.rs",
            "{table}",
            "test helper; table names from sqlite_schema",
        ),
        (
            "engine/src/store/testing.rs",
            "{table}",
            "test helper; table names from a constant list",
        ),
        (
            "engine/src/verify.rs",
            "{table}",
            "table names from the constant list of amount columns",
        ),
        (
            "engine/src/verify.rs",
            "{column}",
            "column names from the constant list of amount columns",
        ),
        (
            "engine/src/store/mod.rs",
            "{name}",
            "test helper; PRAGMA names written in the test",
        ),
    ];
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut sources = Vec::new();
    for dir in ["engine/src", "ledger/src"] {
        collect_rs(&root.join(dir), &mut sources);
    }
    assert!(sources.len() > 20);
    let mut unreviewed = Vec::new();
    let mut used = vec![false; REVIEWED.len()];
    let mut literals = 0;
    for path in sources {
        let relative = path.strip_prefix(root).unwrap().display().to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        for (offset, _) in text.match_indices("format!(") {
            let Some(literal) = first_literal(&text[offset + 8..]) else {
                continue;
            };
            if !is_sql(&literal) {
                continue;
            }
            literals += 1;
            for capture in captures(&literal) {
                let reviewed = REVIEWED
                    .iter()
                    .position(|(file, name, _)| *file == relative && *name == capture.text);
                if let Some(at) = reviewed {
                    used[at] = true;
                }
                let safe = capture.constant || capture.after_question_mark || reviewed.is_some();
                if !safe {
                    let line = text[..offset].lines().count() + 1;
                    unreviewed.push(format!(
                        "{relative}:{line}: {} in {literal:?}",
                        capture.text
                    ));
                }
            }
        }
    }
    assert!(literals > 20, "the scan found only {literals} SQL texts");
    assert!(
        unreviewed.is_empty(),
        "SQL built with values that are not reviewed as constants:\n{}",
        unreviewed.join("\n")
    );
    // A review whose capture is gone would pass the next one unread: the list says what is
    // there now.
    let stale: Vec<String> = REVIEWED
        .iter()
        .zip(&used)
        .filter(|(_, used)| !**used)
        .map(|((file, name, _), _)| format!("{file}: {name}"))
        .collect();
    assert!(
        stale.is_empty(),
        "reviewed SQL captures that no longer occur (take them off the list):\n{}",
        stale.join("\n")
    );
}

fn collect_rs(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect_rs(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The first string literal of a macro call's arguments, with `\` line continuations joined.
fn first_literal(text: &str) -> Option<String> {
    let start = text.find('"')?;
    // Only if the literal is the first argument.
    if !text[..start].trim().is_empty()
        && text[..start].trim() != "r"
        && text[..start].trim() != "r#"
    {
        return None;
    }
    let mut out = String::new();
    let mut chars = text[start + 1..].chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('\n') => {
                    while chars.peek().is_some_and(|c| c.is_whitespace()) {
                        chars.next();
                    }
                }
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => break,
            },
            '"' => return Some(out),
            other => out.push(other),
        }
    }
    None
}

/// SQL keywords are written in capitals throughout the code base; messages are lower case.
fn is_sql(literal: &str) -> bool {
    [
        "SELECT ", "INSERT ", "UPDATE ", "DELETE ", "PRAGMA ", " WHERE ", "VALUES", " AND ",
        " IN (",
    ]
    .iter()
    .any(|k| literal.contains(k))
}

struct Capture {
    text: String,
    constant: bool,
    after_question_mark: bool,
}

/// The `{…}` interpolations of a format string (`{{` is a brace, not one).
fn captures(literal: &str) -> Vec<Capture> {
    let bytes = literal.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'{' {
            if bytes.get(i + 1) == Some(&b'{') {
                i += 2;
                continue;
            }
            let end = literal[i..].find('}').map_or(bytes.len(), |e| i + e);
            let text = &literal[i..=end.min(bytes.len() - 1)];
            let name = text.trim_matches(|c| c == '{' || c == '}');
            let name = name.split(':').next().unwrap_or("");
            out.push(Capture {
                text: text.to_string(),
                constant: !name.is_empty()
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_uppercase() || b == b'_' || b.is_ascii_digit()),
                after_question_mark: i > 0 && bytes[i - 1] == b'?',
            });
            i = end + 1;
        } else {
            i += 1;
        }
    }
    out
}
