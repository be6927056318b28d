//! The benchmark command works end to end (a smoke test: no timing is asserted, the figures
//! are for a person): `cargo run --example bench -- --entries 20000` in this test's profile
//! runs every stage, verifies the database and prints the table.

use super::support::TempDir;
use std::path::Path;
use std::process::Command;

#[test]
fn bench_runs_every_stage_and_prints_the_table() {
    let sqlite3 = Command::new("sqlite3").arg("-version").output();
    if !sqlite3.is_ok_and(|o| o.status.success()) {
        // The baseline needs the sqlite3 shell; the benchmark says so itself (and tries to
        // install it), which a test must not do.
        eprintln!("skipped: the sqlite3 shell is not installed");
        return;
    }
    let dir = TempDir::new("bench");
    let exe = std::env::current_exe().expect("test executable path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>");
    let release = profile_dir.file_name().is_some_and(|n| n == "release");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let mut bench = Command::new(cargo);
    bench.args(["run", "--quiet", "--example", "bench"]);
    if release {
        bench.arg("--release");
    }
    let work = dir.path().join("bench");
    let output = bench
        .args(["--", "--entries", "20000", "--dir"])
        .arg(&work)
        .output()
        .expect("run cargo run --example bench");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "bench failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for stage in [
        "baseline: sqlite3 .import",
        "generate",
        "import debtors",
        "import mandates",
        "import entries",
        "suggest",
        "validate",
        "collect",
        "export",
        "simulate-bank",
        "import delivery",
        "verify: every invariant holds",
        "whole cycle",
    ] {
        assert!(stdout.contains(stage), "no '{stage}' in:\n{stdout}");
    }
    // Every stage row of the table has its rows, seconds, CPU seconds, rows/s, peak MB and
    // ratio.
    let rows = stdout
        .lines()
        .filter(|l| l.starts_with("import entries") && l.split_whitespace().count() == 8)
        .count();
    assert_eq!(rows, 1, "{stdout}");
}
