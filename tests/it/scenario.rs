//! Shared by the reliability suites (crash, concurrency, security): building a company from
//! the generated workload through the binary, spawning the binary as a child process, and a
//! digest of a database's rows that says whether two databases hold the same data.

use crate::support::{payrun_bin, payrun_in, Run};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};

/// The clock of every reliability scenario (`generate` places due dates from it).
pub const NOW: &str = "2026-05-04T09:00";
/// After the last payment date of a generated run: when bank answers are imported.
pub const LATER: &str = "2026-08-20T19:00";

/// A `payrun` command in `dir` at `now`, with the payrun variables cleared, output captured.
pub fn command(dir: &Path, now: &str, args: &[&str]) -> Command {
    let mut command = Command::new(payrun_bin());
    command
        .arg("--now")
        .arg(now)
        .args(args)
        .current_dir(dir)
        .env_remove("PAYRUN_DB")
        .env_remove("PAYRUN_COMPANY")
        .env_remove("PAYRUN_NOW")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Runs payrun in `dir` at `now`, expecting one of the exit `codes`.
pub fn at(dir: &Path, now: &str, args: &[&str], codes: &[i32]) -> Run {
    let mut full = vec!["--now", now];
    full.extend_from_slice(args);
    let run = payrun_in(dir, &full);
    assert!(
        codes.contains(&run.code),
        "payrun {args:?} exited {} (expected {codes:?})\nstdout:\n{}\nstderr:\n{}",
        run.code,
        run.stdout,
        run.stderr
    );
    run
}

/// `payrun generate` into `dir/work`, then a company with the benchmark's formats and the
/// generated debtors and mandates (and entries, when `entries_too`). Returns the paths of the
/// three generated files, relative to `dir`.
pub fn generated_company(dir: &Path, debtors: usize, entries: usize, seed: u64, entries_too: bool) {
    let summary = at(
        dir,
        NOW,
        &[
            "--json",
            "generate",
            "--debtors",
            &debtors.to_string(),
            "--entries",
            &entries.to_string(),
            "--out",
            "work",
            "--seed",
            &seed.to_string(),
        ],
        &[0],
    )
    .json();
    at(dir, NOW, &["init", "--name", "Generated A/S"], &[0]);
    for format in summary["formats"].as_array().unwrap() {
        let words: Vec<&str> = format.as_str().unwrap().split(' ').skip(1).collect();
        at(dir, NOW, &words, &[0]);
    }
    let kinds: &[&str] = if entries_too {
        &["debtors", "mandates", "entries"]
    } else {
        &["debtors", "mandates"]
    };
    for kind in kinds {
        at(
            dir,
            NOW,
            &["import", kind, &format!("work/{kind}.csv")],
            &[0],
        );
    }
}

/// FNV-1a 64 of some bytes, for digests (not cryptographic; it only compares test states).
pub fn fnv(hash: &mut u64, bytes: &[u8]) {
    for &byte in bytes {
        *hash ^= u64::from(byte);
        *hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
}

/// Per table: the number of rows and a hash of every row in key order. Two databases with the
/// same digest hold the same rows (`sqlite_sequence` included, so even a rolled-back
/// AUTOINCREMENT would show).
pub fn digest(db: &Path) -> BTreeMap<String, (usize, u64)> {
    let conn = rusqlite::Connection::open_with_flags(
        db,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .unwrap();
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .unwrap();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    let mut out = BTreeMap::new();
    for table in tables {
        // The table names come from sqlite_schema, not from input.
        let mut statement = conn
            .prepare(&format!("SELECT * FROM \"{table}\" ORDER BY 1, 2"))
            .unwrap();
        let columns = statement.column_count();
        let mut rows = statement.query([]).unwrap();
        let mut count = 0;
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        while let Some(row) = rows.next().unwrap() {
            count += 1;
            for i in 0..columns {
                let value: rusqlite::types::Value = row.get(i).unwrap();
                fnv(&mut hash, format!("{value:?}\u{1f}").as_bytes());
            }
            fnv(&mut hash, b"\n");
        }
        out.insert(table, (count, hash));
    }
    out
}

/// `PRAGMA integrity_check` through a connection of our own.
pub fn integrity_check(db: &Path) -> String {
    let conn = rusqlite::Connection::open(db).unwrap();
    let rows: Vec<String> = conn
        .prepare("PRAGMA integrity_check")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    rows.join("; ")
}

/// The names and bytes of the files in `dir` that do not start with `.`.
pub fn visible_files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return BTreeMap::new();
    };
    entries
        .map(|e| e.unwrap())
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

/// Copies the database (and its WAL, if any) from one directory to another.
pub fn copy_database(from: &Path, to: &Path) {
    for name in ["payrun.db", "payrun.db-wal"] {
        let source = from.join(name);
        if source.exists() {
            std::fs::copy(&source, to.join(name)).unwrap();
        } else {
            let _ = std::fs::remove_file(to.join(name));
        }
    }
    let _ = std::fs::remove_file(to.join("payrun.db-shm"));
}

/// Folds the WAL into the database file, so the file alone is the whole database.
pub fn checkpoint(db: &Path) {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .unwrap();
}
