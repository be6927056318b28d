//! `payrun generate`: the benchmark workload, as the CSV files the imports read.

use crate::args::Global;
use crate::output::outln;
use crate::progress::{Bar, Unit};
use crate::{context, output, Outcome};
use anyhow::Context as _;
use engine::generate::{generate_to_dir_with_progress, GenerateOptions, BENCHMARK_FORMATS};
use serde_json::json;
use std::path::Path;

pub fn run(
    global: &Global,
    debtors: usize,
    entries: usize,
    out: &Path,
    seed: u64,
) -> anyhow::Result<Outcome> {
    let calendar = context::calendar(global)?;
    let options = GenerateOptions {
        debtors,
        entries,
        seed,
        now: context::now(global),
    };
    let bar = Bar::new(global, "generating entries", Unit::Count("rows"));
    let summary = generate_to_dir_with_progress(&options, &calendar, out, &mut |done, total| {
        bar.update(done, total)
    });
    bar.finish();
    let summary =
        summary.with_context(|| format!("cannot write the workload to '{}'", out.display()))?;
    let formats: Vec<String> = BENCHMARK_FORMATS
        .iter()
        .map(|args| format!("payrun {}", args.join(" ")))
        .collect();
    if global.json {
        let failing: serde_json::Map<String, serde_json::Value> = summary
            .failing
            .by_code()
            .iter()
            .map(|(code, count)| (code.to_string(), json!(count)))
            .collect();
        output::print_json(&json!({
            "dir": out.display().to_string(),
            "debtors": summary.debtors,
            "mandates": summary.mandates,
            "entries": summary.entries,
            "valid": summary.valid,
            "failing": failing,
            "credit_notes": summary.credit_notes,
            "formats": formats,
        }))?;
    } else {
        outln!(
            "Wrote {} debtors, {} mandates and {} entries to {} (seed {seed}).",
            summary.debtors,
            summary.mandates,
            summary.entries,
            out.display()
        );
        outln!(
            "{} entries are meant to pass validation at {}; {} to fail:",
            summary.valid,
            options.now.format("%Y-%m-%dT%H:%M"),
            summary.failing.total()
        );
        for (code, count) in summary.failing.by_code() {
            outln!("  {code}: {count}");
        }
        outln!("The run expects these payment formats:");
        for command in formats {
            outln!("  {command}");
        }
    }
    Ok(Outcome::Done)
}
