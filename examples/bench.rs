//! The benchmark: the whole payment cycle on a generated workload, stage by stage, measured
//! against the plainest way to put the same number of rows into SQLite.
//!
//! ```text
//! cargo run --release --example bench                      # 1,000,000 entries
//! cargo run --release --example bench -- --entries 100000  # a quick run
//! ```
//!
//! It builds the `payrun` binary in the same profile, writes the workload with
//! `payrun generate` into `target/bench-<entries>/`, and runs each stage as its own process
//! on a fresh database: the imports, suggest, validate, collect, export, simulate-bank,
//! import delivery and journal post. Per stage it prints wall seconds, rows per second, peak
//! resident memory in decimal MB (the process's VmHWM, sampled from /proc while it runs) and
//! the ratio to the **baseline**: the `sqlite3` shell importing `entries.csv` (the same number
//! of rows) into a table with a primary key, timed in the same run (`performance.md`). A stage
//! whose command this build does not have yet is listed as not available. No timing is
//! asserted here: the figures are for a person (and the README).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The clock the whole run is measured at: generated due dates are placed relative to it.
const NOW: &str = "2026-05-04T09:00";

struct Options {
    entries: usize,
    debtors: usize,
    seed: u64,
    dir: Option<PathBuf>,
}

/// One measured stage.
struct Stage {
    name: String,
    rows: usize,
    seconds: f64,
    peak_kb: u64,
    /// User plus system CPU seconds of the process.
    cpu_seconds: f64,
}

/// What [`watch`] saw of a process: its peak resident memory and the CPU time it had used
/// when last looked at (every 5 ms, so at most that much is missed).
struct Watched {
    peak_kb: u64,
    cpu_seconds: f64,
}

fn main() {
    let options = parse_args();
    if let Err(message) = run(&options) {
        eprintln!("bench: {message}");
        std::process::exit(2);
    }
}

fn parse_args() -> Options {
    let mut options = Options {
        entries: 1_000_000,
        debtors: 0,
        seed: 1,
        dir: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .unwrap_or_else(|| usage(&format!("{name} needs a value")))
        };
        match arg.as_str() {
            "--entries" => options.entries = number(&value("--entries")),
            "--debtors" => options.debtors = number(&value("--debtors")),
            "--seed" => options.seed = number(&value("--seed")) as u64,
            "--dir" => options.dir = Some(PathBuf::from(value("--dir"))),
            "-h" | "--help" => usage(""),
            other => usage(&format!("unknown argument '{other}'")),
        }
    }
    if options.debtors == 0 {
        options.debtors = (options.entries / 5).max(1);
    }
    options
}

fn number(text: &str) -> usize {
    text.replace('_', "")
        .parse()
        .unwrap_or_else(|_| usage(&format!("'{text}' is not a number")))
}

fn usage(problem: &str) -> ! {
    if !problem.is_empty() {
        eprintln!("bench: {problem}");
    }
    eprintln!(
        "usage: cargo run --release --example bench -- [--entries N] [--debtors N] [--seed N] [--dir DIR]"
    );
    std::process::exit(if problem.is_empty() { 0 } else { 2 })
}

fn run(options: &Options) -> Result<(), String> {
    let payrun = build_payrun()?;
    let sqlite3 = find_sqlite3()?;
    let dir = options
        .dir
        .clone()
        .unwrap_or_else(|| target_dir().join(format!("bench-{}", options.entries)));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    println!(
        "payrun benchmark: {} entries, {} debtors, seed {}, in {} ({} cores)",
        options.entries,
        options.debtors,
        options.seed,
        dir.display(),
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );

    let mut stages = Vec::new();
    let work = dir.join("work");
    let work_text = work.display().to_string();
    stages.push(stage(
        &payrun,
        &dir,
        "generate",
        options.entries,
        &[
            "generate",
            "--debtors",
            &options.debtors.to_string(),
            "--entries",
            &options.entries.to_string(),
            "--out",
            &work_text,
            "--seed",
            &options.seed.to_string(),
        ],
    )?);

    let baseline = baseline(&sqlite3, &dir, &work.join("entries.csv"), options.entries)?;

    quiet(&payrun, &dir, &["init"])?;
    for format in engine::generate::BENCHMARK_FORMATS {
        quiet(&payrun, &dir, format)?;
    }
    let csv = |name: &str| work.join(name).display().to_string();
    for (kind, rows) in [
        ("debtors", options.debtors),
        ("mandates", options.debtors),
        ("entries", options.entries),
    ] {
        let file = csv(&format!("{kind}.csv"));
        stages.push(stage(
            &payrun,
            &dir,
            &format!("import {kind}"),
            rows,
            &["import", kind, &file],
        )?);
    }
    for step in ["suggest", "validate", "collect"] {
        stages.push(stage(&payrun, &dir, step, options.entries, &[step])?);
    }
    for sub in ["out", "bank"] {
        std::fs::create_dir_all(dir.join(sub)).map_err(|e| format!("cannot create {sub}: {e}"))?;
    }
    let out = dir.join("out").display().to_string();
    let bank = dir.join("bank").display().to_string();
    let later: [(&str, &[&str]); 1] = [("export", &["export", "--out", &out, "--no-zip"])];
    for (name, args) in later {
        match available(&payrun, args[0]) {
            true => stages.push(stage(&payrun, &dir, name, options.entries, args)?),
            false => println!("  {name}: not available in this build"),
        }
    }
    if available(&payrun, "simulate-bank") {
        for file in files_in(&dir.join("out"))? {
            let file = file.display().to_string();
            stages.push(stage(
                &payrun,
                &dir,
                "simulate-bank",
                options.entries,
                &[
                    "simulate-bank",
                    &file,
                    "--out",
                    &bank,
                    "--seed",
                    "1",
                    "--reject",
                    "0.02",
                    "--cancel",
                    "0.01",
                    "--chargeback",
                    "0.005",
                    "--difference",
                    "0.005",
                ],
            )?);
        }
    } else {
        println!("  simulate-bank: not available in this build");
    }
    if available(&payrun, "simulate-bank") {
        let files: Vec<String> = files_in(&dir.join("bank"))?
            .iter()
            .map(|f| f.display().to_string())
            .collect();
        let mut args = vec!["import", "delivery"];
        args.extend(files.iter().map(String::as_str));
        stages.push(stage(
            &payrun,
            &dir,
            "import delivery",
            options.entries,
            &args,
        )?);
    } else {
        println!("  import delivery: not available in this build");
    }
    if available(&payrun, "journal") {
        stages.push(stage(
            &payrun,
            &dir,
            "journal post",
            options.entries,
            &["journal", "post"],
        )?);
    } else {
        println!("  journal post: not available in this build");
    }
    verify(&payrun, &dir)?;
    report(&stages, &baseline);
    Ok(())
}

/// Builds the payrun binary with the profile this example was built with.
fn build_payrun() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    // target/<profile>/examples/bench → target/<profile>/payrun
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .ok_or("cannot find the target directory")?
        .to_path_buf();
    let release = profile_dir.file_name().is_some_and(|n| n == "release");
    if !release {
        eprintln!("bench: note: a debug build; use `cargo run --release --example bench` for real figures");
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let mut build = Command::new(cargo);
    build.args(["build", "--quiet", "-p", "payrun-cli", "--bin", "payrun"]);
    if release {
        build.arg("--release");
    }
    let status = build
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err("cargo build of the payrun binary failed".into());
    }
    Ok(profile_dir.join("payrun"))
}

fn target_dir() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.parent()?.to_path_buf()))
        .unwrap_or_else(|| PathBuf::from("target"))
}

/// The sqlite3 shell, installed with apt-get when it is missing and we may.
fn find_sqlite3() -> Result<PathBuf, String> {
    let works = |cmd: &str| {
        Command::new(cmd)
            .arg("-version")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if works("sqlite3") {
        return Ok(PathBuf::from("sqlite3"));
    }
    eprintln!("bench: the sqlite3 shell is missing; trying `apt-get install -y sqlite3`");
    let installed = Command::new("sh")
        .args(["-c", "apt-get update -qq && apt-get install -y -qq sqlite3"])
        .status()
        .is_ok_and(|s| s.success());
    if installed && works("sqlite3") {
        return Ok(PathBuf::from("sqlite3"));
    }
    Err("the baseline needs the sqlite3 shell: install it (Debian/Ubuntu: `apt-get install sqlite3`; \
         macOS: `brew install sqlite`) and run the benchmark again"
        .into())
}

/// The baseline: the sqlite3 shell imports entries.csv into a keyed table.
fn baseline(sqlite3: &Path, dir: &Path, csv: &Path, rows: usize) -> Result<Stage, String> {
    let db = dir.join("baseline.db");
    let script = format!(
        "CREATE TABLE entries (entry_id TEXT PRIMARY KEY, debtor TEXT, date TEXT, due_date TEXT, \
         invoice TEXT, amount TEXT, remaining TEXT, currency TEXT, text TEXT, \
         has_invoice_lines TEXT, payment_id TEXT);\n.import --csv --skip 1 {} entries\n",
        csv.display()
    );
    let started = Instant::now();
    let mut child = Command::new(sqlite3)
        .arg(&db)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run sqlite3: {e}"))?;
    {
        use std::io::Write;
        // Taken, written and dropped: the shell ends when its input ends.
        let mut stdin = child.stdin.take().ok_or("no stdin for sqlite3")?;
        stdin
            .write_all(script.as_bytes())
            .map_err(|e| format!("cannot talk to sqlite3: {e}"))?;
    }
    let watched = watch(&mut child)?;
    let seconds = started.elapsed().as_secs_f64();
    Ok(Stage {
        name: "baseline: sqlite3 .import".into(),
        rows,
        seconds,
        peak_kb: watched.peak_kb,
        cpu_seconds: watched.cpu_seconds,
    })
}

/// Runs one stage and measures it. Exit 1 (lines need a person) counts as success.
fn stage(
    payrun: &Path,
    dir: &Path,
    name: &str,
    rows: usize,
    args: &[&str],
) -> Result<Stage, String> {
    let started = Instant::now();
    let mut child = payrun_command(payrun, dir, args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run payrun: {e}"))?;
    let stderr = child.stderr.take();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut stderr) = stderr {
            use std::io::Read;
            let _ = stderr.read_to_string(&mut text);
        }
        text
    });
    let watched = watch(&mut child)?;
    let seconds = started.elapsed().as_secs_f64();
    let code = child.wait().map_err(|e| e.to_string())?.code();
    let stderr = reader.join().unwrap_or_default();
    if !matches!(code, Some(0) | Some(1)) {
        return Err(format!("stage {name} failed ({code:?}):\n{stderr}"));
    }
    println!("  {name:<18} {seconds:>8.2} s");
    Ok(Stage {
        name: name.to_string(),
        rows,
        seconds,
        peak_kb: watched.peak_kb,
        cpu_seconds: watched.cpu_seconds,
    })
}

fn payrun_command(payrun: &Path, dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(payrun);
    command
        .current_dir(dir)
        .args(["--now", NOW, "-q"])
        .args(args)
        .env_remove("PAYRUN_DB")
        .env_remove("PAYRUN_COMPANY")
        .env_remove("RUST_LOG");
    command
}

fn quiet(payrun: &Path, dir: &Path, args: &[&str]) -> Result<(), String> {
    let output = payrun_command(payrun, dir, args)
        .output()
        .map_err(|e| e.to_string())?;
    if !output.status.success() {
        return Err(format!(
            "payrun {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(())
}

fn verify(payrun: &Path, dir: &Path) -> Result<(), String> {
    let output = payrun_command(payrun, dir, &["verify"])
        .output()
        .map_err(|e| e.to_string())?;
    if !output.status.success() {
        return Err(format!(
            "payrun verify failed after the run:\n{}",
            String::from_utf8_lossy(&output.stdout)
        ));
    }
    println!("  verify: every invariant holds");
    Ok(())
}

/// Whether this build of payrun has the command.
fn available(payrun: &Path, command: &str) -> bool {
    Command::new(payrun)
        .args(["help", command])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn files_in(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    Ok(files)
}

/// Polls a running process every 5 ms until it ends: its peak resident memory (`VmHWM` in
/// `/proc/<pid>/status`) and its CPU time (`utime` + `stime` in `/proc/<pid>/stat`). CPU
/// time is shown beside wall time because on a shared 2-core machine the wall time of one
/// stage moves by a fifth between runs while its CPU time hardly does.
fn watch(child: &mut std::process::Child) -> Result<Watched, String> {
    let status_file = format!("/proc/{}/status", child.id());
    let stat_file = format!("/proc/{}/stat", child.id());
    let ticks = clock_ticks_per_second();
    let mut watched = Watched {
        peak_kb: 0,
        cpu_seconds: 0.0,
    };
    loop {
        if let Ok(text) = std::fs::read_to_string(&status_file) {
            if let Some(kb) = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            {
                watched.peak_kb = watched.peak_kb.max(kb);
            }
        }
        if let Some(used) = std::fs::read_to_string(&stat_file)
            .ok()
            .and_then(|text| cpu_ticks(&text))
        {
            watched.cpu_seconds = used as f64 / ticks;
        }
        if child.try_wait().map_err(|e| e.to_string())?.is_some() {
            return Ok(watched);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// `utime` + `stime` of a `/proc/<pid>/stat` line: fields 14 and 15, counted after the
/// command name in parentheses (which may itself hold spaces or parentheses).
fn cpu_ticks(stat: &str) -> Option<u64> {
    let fields: Vec<&str> = stat[stat.rfind(')')? + 1..].split_whitespace().collect();
    // After the name come the state (field 3) and then fields 4, 5, …: utime is field 14.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// The kernel's clock ticks per second for `/proc` times (`getconf CLK_TCK`; 100 on Linux
/// unless it says otherwise).
fn clock_ticks_per_second() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .and_then(|text| text.trim().parse::<f64>().ok())
        .filter(|ticks| *ticks > 0.0)
        .unwrap_or(100.0)
}

fn report(stages: &[Stage], baseline: &Stage) {
    println!();
    println!(
        "{:<26} {:>10} {:>9} {:>8} {:>12} {:>9} {:>12}",
        "stage", "rows", "seconds", "cpu s", "rows/s", "peak MB", "× baseline"
    );
    let line = |s: &Stage, ratio: String| {
        println!(
            "{:<26} {:>10} {:>9.2} {:>8.2} {:>12.0} {:>9.0} {:>12}",
            s.name,
            s.rows,
            s.seconds,
            s.cpu_seconds,
            s.rows as f64 / s.seconds.max(1e-9),
            megabytes(s.peak_kb),
            ratio
        )
    };
    line(baseline, "1.00".into());
    for stage in stages {
        line(
            stage,
            format!("{:.2}", stage.seconds / baseline.seconds.max(1e-9)),
        );
    }
    let cycle: Vec<&Stage> = stages.iter().filter(|s| s.name != "generate").collect();
    let total: f64 = cycle.iter().map(|s| s.seconds).sum();
    let cpu: f64 = cycle.iter().map(|s| s.cpu_seconds).sum();
    let peak = cycle.iter().map(|s| s.peak_kb).max().unwrap_or(0);
    let worst = cycle
        .iter()
        .max_by(|a, b| a.seconds.total_cmp(&b.seconds))
        .map(|s| {
            format!(
                "{} ({:.2} × baseline)",
                s.name,
                s.seconds / baseline.seconds.max(1e-9)
            )
        })
        .unwrap_or_default();
    println!();
    println!(
        "whole cycle (without generate): {total:.2} s ({cpu:.2} CPU s); peak memory {:.0} MB; slowest stage {worst}",
        megabytes(peak)
    );
}

/// `VmHWM`'s kB (KiB, 1,024 bytes) in decimal megabytes (1,000,000 bytes), the unit of
/// performance.md's 512 MB target.
fn megabytes(kib: u64) -> f64 {
    kib as f64 * 1024.0 / 1_000_000.0
}
