//! Delivery files: `export`, `import delivery`, `archive list|show|reconcile`, `simulate-bank`.

use crate::args::{ArchiveCommand, Global};
use crate::output::{out, outln};
use crate::progress::{Bar, Unit};
use crate::{context, output, Outcome};
use anyhow::Context as _;
use engine::exchange::import::ParsedDelivery;
use engine::exchange::simulate::BankRates;
use engine::exchange::{ArchiveFilter, ImportReport};
use serde_json::json;
use std::path::{Path, PathBuf};

pub fn export(global: &Global, out: &Path, zip: bool) -> anyhow::Result<Outcome> {
    let mut engine = context::open(global)?;
    let calendar = context::calendar(global)?;
    let bar = Bar::new(global, "exporting", Unit::Count("charges"));
    let report = engine.export_with_progress(
        out,
        zip,
        &calendar,
        context::now(global),
        &mut |done, total| bar.update(done, total),
    );
    bar.finish();
    let report = report?;
    if global.json {
        output::print_json(&report)?;
    } else if report.files.is_empty() {
        outln!("Nothing to export: no line is ok to send.");
    } else {
        let rows: Vec<Vec<String>> = report
            .files
            .iter()
            .map(|f| {
                vec![
                    f.path.display().to_string(),
                    f.format.clone(),
                    f.delivery_id.clone(),
                    f.charges.to_string(),
                    f.lines.to_string(),
                    f.amount.to_string(),
                ]
            })
            .collect();
        out!(
            "{}",
            output::table(
                &["file", "format", "delivery", ">charges", ">lines", ">amount"],
                &rows
            )
        );
    }
    if !global.json {
        for held in &report.held {
            let lines: Vec<String> = held.lines.iter().map(i64::to_string).collect();
            outln!(
                "Held back ({}, line {}): {}",
                held.format,
                lines.join(", "),
                held.reason
            );
        }
    }
    Ok(if report.held.is_empty() {
        Outcome::Done
    } else {
        Outcome::Attention
    })
}

pub fn import_delivery(global: &Global, files: &[PathBuf]) -> anyhow::Result<Outcome> {
    let mut engine = context::open(global)?;
    let now = context::now(global);
    // With several files, every one is parsed before the first is applied, so a file that
    // does not parse refuses them all and nothing changes. The first is imported from that
    // parse (it is imported next); the others are parsed again in their turn, so that one
    // parsed file is held at a time beside the one checked (a million-record 0602 takes
    // about 100 MB parsed).
    let mut first = None;
    if files.len() > 1 {
        for path in files {
            let name = path.display().to_string();
            let bytes = engine::exchange::files::read_limited(path)?;
            match ParsedDelivery::parse(&name, bytes) {
                Ok(parsed) => {
                    first.get_or_insert(parsed);
                }
                Err(error) => {
                    tracing::warn!(file = %name, %error, "delivery refused: nothing applied");
                    anyhow::bail!("{error}; no file was imported");
                }
            }
        }
    }
    // With several files, what the files before committed is checkpointed on a second
    // thread while the next is imported, instead of by each commit.
    let several = files.len() > 1;
    let mut reports: Vec<ImportReport> = Vec::new();
    let bar = Bar::new(global, "importing deliveries", Unit::Count("files"));
    let total = files.len() as u64;
    bar.update(0, total);
    for path in files {
        if several {
            engine.checkpoint_behind()?;
        }
        let imported = match first.take() {
            Some(parsed) => engine.import_parsed_delivery(&parsed, now),
            None => engine.import_delivery_file(path, now),
        };
        bar.update(reports.len() as u64 + 1, total);
        match imported {
            Ok(report) => reports.push(report),
            Err(error) if reports.is_empty() => return Err(error.into()),
            Err(error) => {
                let applied: Vec<&str> = reports.iter().map(|r| r.path.as_str()).collect();
                return Err(anyhow::Error::new(error).context(format!(
                    "the files before it were imported ({}); the rest were not",
                    applied.join(", ")
                )));
            }
        }
    }
    if several {
        engine.checkpoint_here()?;
    }
    bar.finish();
    if global.json {
        output::print_json(&json!({ "files": reports }))?;
    } else {
        let rows: Vec<Vec<String>> = reports
            .iter()
            .map(|r| {
                vec![
                    r.path.clone(),
                    format!("{} {}", r.scheme.to_uppercase(), r.delivery_type),
                    r.outcome.as_str().to_string(),
                    r.file_id.to_string(),
                    r.records.to_string(),
                    r.changed.to_string(),
                    r.mandates_changed.to_string(),
                    r.unmatched.to_string(),
                    r.attention.to_string(),
                ]
            })
            .collect();
        out!(
            "{}",
            output::table(
                &[
                    "file",
                    "type",
                    "outcome",
                    ">archive",
                    ">records",
                    ">changes",
                    ">mandates",
                    ">unmatched",
                    ">attention",
                ],
                &rows
            )
        );
    }
    Ok(if reports.iter().any(|r| r.attention > 0) {
        Outcome::Attention
    } else {
        Outcome::Done
    })
}

pub fn archive(global: &Global, command: &ArchiveCommand) -> anyhow::Result<Outcome> {
    let mut engine = context::open(global)?;
    match command {
        ArchiveCommand::List { year, month } => {
            let files = engine.archive_list(&ArchiveFilter {
                year: *year,
                month: *month,
            })?;
            if global.json {
                output::print_json(&json!({ "files": files }))?;
            } else {
                let rows: Vec<Vec<String>> = files
                    .iter()
                    .map(|f| {
                        vec![
                            f.id.to_string(),
                            f.created.format("%Y-%m-%d %H:%M").to_string(),
                            if f.export { "sent" } else { "received" }.to_string(),
                            f.file_name.clone(),
                            format!("{} {}", f.scheme.to_uppercase(), f.delivery_type),
                            f.payment_format.clone().unwrap_or_default(),
                            f.status.clone(),
                            if f.reconciled { "yes" } else { "" }.to_string(),
                            f.records.to_string(),
                            f.amount.to_string(),
                        ]
                    })
                    .collect();
                out!(
                    "{}",
                    output::table(
                        &[
                            ">id",
                            "created",
                            "direction",
                            "file",
                            "type",
                            "format",
                            "status",
                            "reconciled",
                            ">records",
                            ">amount",
                        ],
                        &rows
                    )
                );
            }
        }
        ArchiveCommand::Show { id } => {
            let mut file = engine.archive_show(*id)?;
            // A sent BS Total file carries whole CPR numbers; on screen they are masked (I12).
            // The archive keeps the file exactly as sent.
            file.content = engine::delivery::mask_cpr(&file.content);
            if global.json {
                output::print_json(&file)?;
            } else {
                let f = &file.file;
                outln!(
                    "File {}: {} ({} {} {}, {}), created {}",
                    f.id,
                    f.file_name,
                    if f.export { "sent" } else { "received" },
                    f.scheme.to_uppercase(),
                    f.delivery_type,
                    f.status,
                    f.created.format("%Y-%m-%d %H:%M")
                );
                for entry in &file.log {
                    outln!("  {}  {}", entry.at.format("%Y-%m-%d %H:%M"), entry.text);
                }
                outln!();
                out!("{}", file.content.replace("\r\n", "\n"));
            }
        }
        ArchiveCommand::Reconcile { id } => {
            let changed = engine.archive_reconcile(*id, context::now(global))?;
            if global.json {
                output::print_json(&json!({"file": id, "reconciled": true, "changed": changed}))?;
            } else if changed {
                outln!("File {id} is marked reconciled.");
            } else {
                outln!("File {id} was already reconciled; nothing changed.");
            }
        }
    }
    Ok(Outcome::Done)
}

pub fn simulate_bank(
    global: &Global,
    file: &Path,
    out: &Path,
    rates: BankRates,
) -> anyhow::Result<Outcome> {
    let bar = Bar::new(global, "simulating the bank", Unit::Count("files"));
    let written = engine::exchange::simulate::simulate_bank_with_progress(
        file,
        out,
        &rates,
        &mut |done, total| bar.update(done, total),
    );
    bar.finish();
    let written = written.with_context(|| format!("simulate-bank {}", file.display()))?;
    if global.json {
        output::print_json(&json!({ "files": written }))?;
    } else {
        let rows: Vec<Vec<String>> = written
            .iter()
            .map(|f| {
                vec![
                    f.path
                        .as_ref()
                        .map_or_else(|| f.file_name.clone(), |p| p.display().to_string()),
                    format!("{} {}", f.scheme.to_uppercase(), f.delivery_type),
                    f.records.to_string(),
                ]
            })
            .collect();
        out!("{}", output::table(&["file", "type", ">records"], &rows));
    }
    Ok(Outcome::Done)
}
