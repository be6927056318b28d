//! Crash consistency (I10, reliability.md "Crash consistency"): the real binary is killed with
//! SIGKILL at many points of a large import of entries, a large export and a large import of a
//! bank answer. After every kill:
//!
//! 1. `PRAGMA integrity_check` says `ok` (through a connection of our own);
//! 2. the database holds exactly the rows it held before the operation, or exactly the rows an
//!    uninterrupted run leaves (a digest of every row of every table, `sqlite_sequence`
//!    included): the operation is entirely absent or entirely present;
//! 3. `payrun verify` passes;
//! 4. running the operation again leaves the same database as an uninterrupted run (or, when
//!    the kill came after the commit, as an uninterrupted run followed by a second run), and
//!    (for the export) the same delivery files in the out directory, byte for byte.
//!
//! Kill points come in three kinds, in turn: timed (spread evenly over 0–130 % of the duration
//! of an uninterrupted run, the last ones after it finished, which must be "present"); inside
//! the commit (when the write-ahead log has grown to a fraction of the size it reaches in an
//! uninterrupted run: the page cache holds a transaction's pages until it commits); and, for
//! the export, the moment the first delivery file appears in the out directory. The normal suite
//! tries [`KILL_POINTS`] per operation; `PAYRUN_CRASH_POINTS=200` tries more, and
//! `PAYRUN_CRASH_SCALE=5` makes the workload five times larger. Each test prints what it saw
//! (run with `--nocapture`).
//!
//! A delivery file is written (atomically: temporary file, fsync, rename) before the export's
//! transaction commits. A kill between the rename and the commit therefore leaves a file in
//! the out directory that the database does not know: the check here is that the export run
//! again writes the same file under the same name (the delivery id was not used up), so the
//! out directory ends as after an uninterrupted run. A kill during the write may leave a
//! hidden `.NAME.PID.partial` file; those are counted and reported, never sent.

use crate::scenario::{
    at, checkpoint, command, copy_database, digest, generated_company, integrity_check,
    visible_files, LATER, NOW,
};
use crate::support::{assert_verified, TempDir};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus, Stdio};
use std::time::{Duration, Instant};

const KILL_POINTS: usize = 12;

fn kill_points() -> usize {
    env_number("PAYRUN_CRASH_POINTS").unwrap_or(KILL_POINTS)
}

fn scale() -> usize {
    env_number("PAYRUN_CRASH_SCALE").unwrap_or(1).max(1)
}

fn env_number(name: &str) -> Option<usize> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

type Digest = BTreeMap<String, (usize, u64)>;

/// One operation to crash: run in a directory holding a copy of the template's database.
struct Operation {
    name: &'static str,
    now: &'static str,
    args: Vec<String>,
    /// Exit codes of an uninterrupted run (and of a run after a crash).
    codes: &'static [i32],
    /// A directory (relative) the operation writes files into, created empty for each run.
    out_dir: Option<&'static str>,
}

impl Operation {
    fn prepare(&self, dir: &Path, template: &Path) {
        copy_database(template, dir);
        if let Some(out) = self.out_dir {
            let _ = std::fs::remove_dir_all(dir.join(out));
            std::fs::create_dir(dir.join(out)).unwrap();
        }
    }

    fn args(&self) -> Vec<&str> {
        self.args.iter().map(String::as_str).collect()
    }
}

/// What one kill left.
#[derive(Debug, Default)]
struct Tally {
    absent: usize,
    present: usize,
    finished_before_kill: usize,
    orphan_files: usize,
    partial_files: usize,
}

/// Runs the crash loop for `op` on the database in `template` (checkpointed).
fn crash_loop(template: &Path, op: &Operation) {
    let db_before = digest(&template.join("payrun.db"));

    // The uninterrupted run: its duration, its database and its files.
    let reference = TempDir::new("crash-ref");
    op.prepare(reference.path(), template);
    let started = Instant::now();
    let child = quiet(command(reference.path(), op.now, &op.args()))
        .spawn()
        .unwrap();
    let (wal_peak, status) = watch_wal(child, &reference.path().join("payrun.db-wal"));
    let duration = started.elapsed();
    assert!(
        status.code().is_some_and(|c| op.codes.contains(&c)),
        "{}: the uninterrupted run failed: {status:?}",
        op.name
    );
    let db_after = digest(&reference.path().join("payrun.db"));
    assert_ne!(
        db_before, db_after,
        "{}: the operation changed nothing",
        op.name
    );
    let files_after = op
        .out_dir
        .map(|out| visible_files(&reference.path().join(out)))
        .unwrap_or_default();
    // A kill after the commit leaves "after"; the run again is then the operation's second
    // run. (A second export stores the validation results it re-ran, which now name the
    // lines the first one sent; a second import changes nothing.)
    at(reference.path(), op.now, &op.args(), &[0, 1]);
    let db_after_again = digest(&reference.path().join("payrun.db"));
    drop(reference);

    let points = kill_points();
    let mut tally = Tally::default();
    let trial = TempDir::new("crash-trial");
    let dir = trial.path();
    for point in 0..points {
        let plan = kill_plan(op, point, points, duration, wal_peak);
        op.prepare(dir, template);
        let child = quiet(command(dir, op.now, &op.args())).spawn().unwrap();
        let (finished, status) = kill_when(child, dir, op, &plan);
        let what = format!("{} kill point {point}/{points} ({plan:?})", op.name);
        let db = dir.join("payrun.db");

        assert_eq!(integrity_check(&db), "ok", "{what}");
        let state = digest(&db);
        let present = if state == db_before {
            false
        } else if state == db_after {
            true
        } else {
            panic!(
                "{what}: the database is neither as before nor as after the operation:\n{}",
                describe(&db_before, &db_after, &state)
            );
        };
        if finished {
            assert!(
                status.code().is_some_and(|c| op.codes.contains(&c)),
                "{what}: {status:?}"
            );
            tally.finished_before_kill += 1;
        } else if present {
            tally.present += 1;
        } else {
            tally.absent += 1;
        }
        if let Some(out) = op.out_dir {
            let out = dir.join(out);
            let visible = visible_files(&out);
            if !present && !visible.is_empty() {
                tally.orphan_files += visible.len();
            }
            tally.partial_files += std::fs::read_dir(&out)
                .unwrap()
                .filter(|e| {
                    e.as_ref()
                        .unwrap()
                        .file_name()
                        .to_string_lossy()
                        .ends_with(".partial")
                })
                .count();
            // A file the kill left is complete: it is exactly the file the run would write.
            for (name, bytes) in &visible {
                assert_eq!(
                    Some(bytes),
                    files_after.get(name),
                    "{what}: {name} is not the file an uninterrupted run writes"
                );
            }
        }
        assert_verified(dir);

        // Again: the same database (and files) as an uninterrupted run.
        let again = at(dir, op.now, &op.args(), &[0, 1]);
        let state = digest(&db);
        let expected = if present { &db_after_again } else { &db_after };
        assert!(
            &state == expected,
            "{what}: running it again gave another database than an uninterrupted run:\n{}\n{}",
            describe(&db_before, &db_after, &state),
            again.stderr
        );
        if let Some(out) = op.out_dir {
            assert_eq!(
                visible_files(&dir.join(out)).keys().collect::<Vec<_>>(),
                files_after.keys().collect::<Vec<_>>(),
                "{what}: files after running again"
            );
            assert_eq!(visible_files(&dir.join(out)), files_after, "{what}");
        }
    }
    eprintln!(
        "crash {}: {points} kill points (run of {duration:?}, WAL peak {wal_peak} bytes): {} absent, {} present, {} finished before the kill; {} orphan delivery files (rewritten by the rerun), {} partial files",
        op.name,
        tally.absent, tally.present, tally.finished_before_kill, tally.orphan_files, tally.partial_files
    );
    assert_eq!(
        tally.absent + tally.present + tally.finished_before_kill,
        points
    );
}

/// When to kill the process.
#[derive(Debug, Clone, Copy)]
enum KillPlan {
    /// After this long.
    After(Duration),
    /// When the write-ahead log has grown to this many bytes: inside the commit, which is when
    /// a transaction's pages (held in the page cache until then) go to the WAL.
    WalAt(u64),
    /// As soon as a file appears in the out directory: after the delivery file is renamed into
    /// place, before (or just after) the transaction commits.
    FileAppears,
}

/// Kill point `point` of `points`: a third spread over the run's duration, a third inside the
/// commit (fractions of the WAL's peak size), and, for operations that write files, a third
/// when the first file appears; without an out directory the last third is timed too.
fn kill_plan(
    op: &Operation,
    point: usize,
    points: usize,
    duration: Duration,
    wal_peak: u64,
) -> KillPlan {
    let kind = point % 3;
    let index = point / 3;
    let of = points.div_ceil(3).max(1);
    let fraction = (index as f64 + 0.5) / of as f64;
    match kind {
        1 if wal_peak > 0 => KillPlan::WalAt(((wal_peak as f64) * fraction).max(1.0) as u64),
        2 if op.out_dir.is_some() => KillPlan::FileAppears,
        // Timed kill points run slightly past the end, where the operation must be present.
        _ => KillPlan::After(duration.mul_f64(1.3 * fraction)),
    }
}

/// Output to nowhere: a child nobody reads from must never block on a full pipe.
fn quiet(mut command: std::process::Command) -> std::process::Command {
    command.stdout(Stdio::null()).stderr(Stdio::null());
    command
}

/// Waits for the child to exit and returns the largest size its WAL file reached.
fn watch_wal(mut child: Child, wal: &Path) -> (u64, ExitStatus) {
    let mut peak = 0;
    loop {
        if let Ok(meta) = std::fs::metadata(wal) {
            peak = peak.max(meta.len());
        }
        if let Some(status) = child.try_wait().unwrap() {
            return (peak, status);
        }
        std::thread::sleep(Duration::from_micros(200));
    }
}

/// Kills the child (SIGKILL on Unix: no destructor, no rollback, no flush of anything) at the
/// planned point, unless it finished first. Returns whether it finished on its own, and how
/// it ended.
fn kill_when(mut child: Child, dir: &Path, op: &Operation, plan: &KillPlan) -> (bool, ExitStatus) {
    let started = Instant::now();
    let wal = dir.join("payrun.db-wal");
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return (true, status);
        }
        let now = match plan {
            KillPlan::After(delay) => started.elapsed() >= *delay,
            KillPlan::WalAt(bytes) => std::fs::metadata(&wal).is_ok_and(|m| m.len() >= *bytes),
            KillPlan::FileAppears => op
                .out_dir
                .is_some_and(|out| !visible_files(&dir.join(out)).is_empty()),
        };
        if now {
            child.kill().unwrap();
            return (false, child.wait().unwrap());
        }
        std::thread::sleep(Duration::from_micros(100));
    }
}

/// The tables whose rows differ from the expected digests.
fn describe(before: &Digest, after: &Digest, got: &Digest) -> String {
    got.iter()
        .filter(|(table, value)| {
            before.get(*table) != Some(value) || after.get(*table) != Some(value)
        })
        .map(|(table, (rows, _))| {
            format!(
                "{table}: {rows} rows (before {:?}, after {:?})",
                before.get(table).map(|v| v.0),
                after.get(table).map(|v| v.0)
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn absolute(dir: &Path, relative: &str) -> String {
    dir.join(relative).display().to_string()
}

/// A template company with the generated debtors and mandates, and `entries` entries waiting
/// in `work/entries.csv`; or, with `run`, imported, suggested and collected.
fn template(label: &str, entries: usize, seed: u64, run: bool) -> TempDir {
    let tmp = TempDir::new(label);
    let dir = tmp.path();
    generated_company(dir, entries / 5, entries, seed, run);
    if run {
        at(dir, NOW, &["suggest"], &[0]);
        at(dir, NOW, &["collect"], &[0, 1]);
    }
    checkpoint(&dir.join("payrun.db"));
    tmp
}

#[test]
fn a_killed_import_of_entries_is_absent_or_whole_and_runs_again() {
    let template = template("crash-import-tpl", 15_000 * scale(), 101, false);
    let op = Operation {
        name: "import entries",
        now: NOW,
        args: vec![
            "import".into(),
            "entries".into(),
            absolute(template.path(), "work/entries.csv"),
        ],
        codes: &[0],
        out_dir: None,
    };
    crash_loop(template.path(), &op);
}

#[test]
fn a_killed_export_is_absent_or_whole_and_runs_again() {
    let template = template("crash-export-tpl", 4_000 * scale(), 102, true);
    let op = Operation {
        name: "export",
        now: NOW,
        args: vec!["export".into(), "--out".into(), "out".into()],
        codes: &[0],
        out_dir: Some("out"),
    };
    crash_loop(template.path(), &op);
}

#[test]
fn a_killed_import_of_a_bank_answer_is_absent_or_whole_and_runs_again() {
    let template = template("crash-answer-tpl", 4_000 * scale(), 103, true);
    let dir = template.path();
    std::fs::create_dir(dir.join("out")).unwrap();
    std::fs::create_dir(dir.join("in")).unwrap();
    let export = at(dir, NOW, &["--json", "export", "--out", "out"], &[0]).json();
    let bs: PathBuf = export["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["scheme"] == "bs")
        .map(|f| dir.join(f["path"].as_str().unwrap()))
        .unwrap();
    let answer = at(
        dir,
        NOW,
        &[
            "--json",
            "simulate-bank",
            &bs.display().to_string(),
            "--out",
            "in",
            "--seed",
            "9",
            "--reject",
            "0.05",
            "--cancel",
            "0.02",
            "--chargeback",
            "0.02",
            "--difference",
            "0.02",
        ],
        &[0],
    )
    .json();
    let answer = absolute(dir, answer["files"][0]["path"].as_str().unwrap());
    checkpoint(&dir.join("payrun.db"));
    let op = Operation {
        name: "import delivery",
        now: LATER,
        args: vec!["import".into(), "delivery".into(), answer],
        codes: &[0, 1],
        out_dir: None,
    };
    crash_loop(dir, &op);
}

/// The crash loop itself must be able to fail: a database that is neither before nor after
/// (half an import, written by hand here) is told apart from both.
#[test]
fn the_crash_digest_tells_half_an_operation_from_before_and_after() {
    let template = template("crash-digest", 50, 104, false);
    let db = template.path().join("payrun.db");
    let before = digest(&db);
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute(
        "UPDATE debtors SET name = name || 'x' WHERE account = (SELECT min(account) FROM debtors)",
        [],
    )
    .unwrap();
    drop(conn);
    let changed = digest(&db);
    assert_ne!(before, changed);
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        changed.keys().collect::<Vec<_>>()
    );
}
