//! Running the real `payrun` binary from the integration tests.
//!
//! The binary lives in the `payrun-cli` package, so Cargo does not hand its path to this
//! (root package) test binary. `payrun_bin` builds it once per test run with the same cargo and
//! profile, then returns its path: `cargo test --workspace` alone is enough on a fresh clone.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

pub fn payrun_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        // target/<profile>/deps/it-<hash> → target/<profile>/payrun
        let exe = std::env::current_exe().expect("test executable path");
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("target/<profile>");
        let release = profile_dir.file_name().is_some_and(|n| n == "release");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
        let mut build = Command::new(cargo);
        build.args(["build", "--quiet", "-p", "payrun-cli", "--bin", "payrun"]);
        if release {
            build.arg("--release");
        }
        let status = build
            .status()
            .expect("run cargo build for the payrun binary");
        assert!(status.success(), "cargo build of the payrun binary failed");
        profile_dir.join(format!("payrun{}", std::env::consts::EXE_SUFFIX))
    })
}

/// What one run of the binary did.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

/// Runs `payrun` with `args` in `dir`, with a clean environment for the payrun variables.
pub fn payrun_in(dir: &Path, args: &[&str]) -> Run {
    let output: Output = Command::new(payrun_bin())
        .args(args)
        .current_dir(dir)
        .env_remove("PAYRUN_DB")
        .env_remove("PAYRUN_COMPANY")
        .env_remove("PAYRUN_NOW")
        .env_remove("RUST_LOG")
        .output()
        .expect("run payrun");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Runs `payrun` in a fresh temporary directory.
pub fn payrun(args: &[&str]) -> Run {
    let dir = TempDir::new("run");
    payrun_in(dir.path(), args)
}

/// A directory under the target dir, removed when dropped. (No extra crate for this.)
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(label: &str) -> TempDir {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let exe = std::env::current_exe().expect("test executable path");
        let base = exe.parent().expect("deps dir").join("it-tmp");
        let dir = base.join(format!("{label}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `payrun verify` on the database in `dir` and fails the test, naming the broken
/// checks, unless every invariant holds. Every integration test that writes ends with it.
pub fn assert_verified(dir: &Path) {
    let run = payrun_in(dir, &["--json", "verify"]);
    let report = run.json();
    assert!(
        run.code == 0 && report["ok"] == true,
        "payrun verify failed:\n{}",
        serde_json::to_string_pretty(&report["checks"]).unwrap()
    );
}

/// Every row of every table of the database in `dir`, in a total order, as text: two dumps
/// are equal exactly when the database holds the same data. Tests use it to prove that a
/// refused command changed nothing.
pub fn dump_database(dir: &Path) -> String {
    let conn = rusqlite::Connection::open(dir.join("payrun.db")).unwrap();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    let mut out = String::new();
    for table in tables {
        // Table names come from sqlite_schema, not from input.
        let columns = conn
            .prepare(&format!("SELECT * FROM \"{table}\""))
            .unwrap()
            .column_count();
        let order: Vec<String> = (1..=columns).map(|i| i.to_string()).collect();
        let mut statement = conn
            .prepare(&format!(
                "SELECT * FROM \"{table}\" ORDER BY {}",
                order.join(", ")
            ))
            .unwrap();
        let rows = statement
            .query_map([], |row| {
                (0..columns)
                    .map(|i| {
                        row.get::<_, rusqlite::types::Value>(i)
                            .map(|v| format!("{v:?}"))
                    })
                    .collect::<rusqlite::Result<Vec<_>>>()
            })
            .unwrap();
        for row in rows {
            out.push_str(&format!("{table}: {}\n", row.unwrap().join(" | ")));
        }
    }
    out
}

/// The path of a fixture under `tests/data/`.
pub fn data(path: &str) -> String {
    format!("{}/tests/data/{path}", env!("CARGO_MANIFEST_DIR"))
}

/// Runs a command that must be refused: exit 2, `message` on stderr, the database unchanged.
pub fn refused(dir: &Path, now: &str, args: &[&str], message: &str) {
    let before = dump_database(dir);
    let run = at(dir, now, args, 2);
    assert!(
        run.stderr.contains(message),
        "payrun {args:?}: expected {message:?} in\n{}",
        run.stderr
    );
    assert_eq!(
        dump_database(dir),
        before,
        "payrun {args:?} changed the database"
    );
}

/// Runs payrun in `dir` with `--now now`, and fails the test, showing both outputs, unless
/// it exits with `code`.
pub fn at(dir: &Path, now: &str, args: &[&str], code: i32) -> Run {
    let mut full = vec!["--now", now];
    full.extend_from_slice(args);
    let run = payrun_in(dir, &full);
    assert_eq!(
        run.code, code,
        "payrun {args:?}\nstdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    run
}
