//! The payment run: `suggest`, `validate`, `collect`, `list`, `show`, `status set`,
//! `partial set|clear`, `payment-date set`, `mandates list`, `reminders`.

use crate::args::{
    Global, ListArgs, MandatesCommand, PartialCommand, PaymentDateCommand, PeriodArg,
    StatusCommand, StatusTargetArg,
};
use crate::output::{out, outln};
use crate::{context, output, Outcome};
use chrono::Months;
use engine::status::ManualTarget;
use engine::view::{GroupView, LineView};
use engine::LineFilter;
use serde_json::json;

pub fn suggest(global: &Global, earliest: bool) -> anyhow::Result<Outcome> {
    let mut engine = context::open(global)?;
    let calendar = context::calendar(global)?;
    let report = engine.suggest(&calendar, context::now(global), earliest)?;
    if global.json {
        output::print_json(&report)?;
    } else {
        outln!(
            "Suggested {} new payment line{}; removed {} unsent line{} of settled entries.",
            report.created.len(),
            plural(report.created.len()),
            report.removed.len(),
            plural(report.removed.len()),
        );
        if report.created.len() > output::FULL_TABLE_LIMIT {
            outln!(
                "(Not listed, being more than {}: `payrun list` shows them.)",
                output::FULL_TABLE_LIMIT
            );
        } else if !report.created.is_empty() {
            print_lines(&report.created.to_vec())?;
        }
    }
    Ok(Outcome::Done)
}

pub fn validate(global: &Global) -> anyhow::Result<Outcome> {
    let mut engine = context::open(global)?;
    let calendar = context::calendar(global)?;
    let report = engine.validate(&calendar, context::now(global))?;
    if global.json {
        output::print_json(&report)?;
    } else {
        let large = report.lines.len() > output::FULL_TABLE_LIMIT;
        // The views are built as they are printed, never all at once. A large run lists its
        // first failed lines and counts the failures per rule: a table of 700,000 clashes on
        // a date helps nobody, the count and the rule's code say what to do.
        let limit = if large {
            output::FULL_TABLE_LIMIT
        } else {
            usize::MAX
        };
        // Built once (at most the table's limit of views): a failed line's messages are made
        // again when its view is built, which first indexes the whole run.
        let shown: Vec<LineView> = report
            .lines
            .iter()
            .filter(|l| !large || !l.ok)
            .take(limit)
            .collect();
        let lines = || shown.iter().cloned();
        print_lines_of(lines)?;
        print_failures(lines())?;
        if large && report.failed_count > 0 {
            outln!("\nFailed lines per rule:");
            for (code, count) in report.lines.failure_counts() {
                outln!("  {code}: {}", output::count(count, "line"));
            }
        }
        outln!(
            "{} line{} ok, {} failed.",
            report.ok_count,
            plural(report.ok_count),
            report.failed_count
        );
        if large {
            outln!(
                "(The run has more than {} lines: only the first {} failed lines are listed; \
                 `payrun list` or `--json` shows every line.)",
                output::FULL_TABLE_LIMIT,
                report.failed_count.min(output::FULL_TABLE_LIMIT)
            );
        }
    }
    Ok(if report.failed_count > 0 {
        Outcome::Attention
    } else {
        Outcome::Done
    })
}

pub fn collect(global: &Global, off: bool) -> anyhow::Result<Outcome> {
    let mut engine = context::open(global)?;
    if off {
        let lines = engine.collect_off()?;
        if global.json {
            output::print_json(&json!({"dissolved": lines}))?;
        } else {
            outln!(
                "Dissolved the collective payments of {} line{}.",
                lines.len(),
                plural(lines.len())
            );
        }
        return Ok(Outcome::Done);
    }
    let calendar = context::calendar(global)?;
    let report = engine.collect(&calendar, context::now(global))?;
    if global.json {
        output::print_json(&report)?;
    } else {
        let large = report.groups.len() > output::FULL_TABLE_LIMIT
            || report
                .groups
                .iter()
                .any(|g| g.lines.len() > output::FULL_TABLE_LIMIT);
        let deselected: Vec<&GroupView>;
        let groups: Vec<&GroupView> = if large {
            deselected = report
                .groups
                .iter()
                .filter(|g| !g.codes.is_empty())
                .collect();
            deselected
        } else {
            report.groups.iter().collect()
        };
        output::print_table(
            &[
                "group",
                "format",
                "debtor",
                "payment date",
                ">amount",
                "lines",
                "why deselected",
            ],
            &groups,
            |g| {
                vec![
                    g.id.to_string(),
                    g.format.to_string(),
                    g.debtor.as_deref().unwrap_or_default().to_string(),
                    g.payment_date.map(|d| d.to_string()).unwrap_or_default(),
                    g.amount.to_string(),
                    join(g.lines.iter()),
                    g.codes.join(", "),
                ]
            },
        )?;
        if large {
            outln!(
                "(Only the groups with deselected lines are listed, the run being large: \
                 `--json` shows every group.)"
            );
        }
        outln!(
            "{} charge{} to send; {} line{} deselected.",
            report.charges,
            plural(report.charges),
            report.deselected,
            plural(report.deselected)
        );
    }
    Ok(if report.deselected > 0 {
        Outcome::Attention
    } else {
        Outcome::Done
    })
}

pub fn list(global: &Global, args: &ListArgs) -> anyhow::Result<Outcome> {
    let mut engine = context::open(global)?;
    let mut filter = LineFilter {
        statuses: args.statuses.clone(),
        debtor: args.debtor.clone(),
        mandate: args.mandate.clone(),
        agreement: args.agreement.clone(),
        payment_id: args.payment_id.clone(),
        reference: args.reference.clone(),
        group: args.group.clone(),
        from: args.from,
        to: args.to,
    };
    if let Some(period) = args.period {
        let today = context::now(global).date();
        let months = match period {
            PeriodArg::OneMonth => 1,
            PeriodArg::ThreeMonths => 3,
            PeriodArg::OneYear => 12,
        };
        filter.from = today.checked_sub_months(Months::new(months));
        filter.to = Some(today);
    }
    let lines = engine.list(&filter)?;
    if global.json {
        output::print_json(&json!({"lines": lines}))?;
    } else {
        print_lines(&lines)?;
        outln!("{} line{}.", lines.len(), plural(lines.len()));
    }
    Ok(Outcome::Done)
}

pub fn show(global: &Global, line: i64) -> anyhow::Result<Outcome> {
    let mut engine = context::open(global)?;
    let detail = engine.show(line)?;
    if global.json {
        output::print_json(&detail)?;
        return Ok(Outcome::Done);
    }
    let l = &detail.line;
    let fields = [
        ("line", l.line.to_string()),
        ("entry", l.entry.to_string()),
        (
            "invoice",
            l.invoice.as_deref().unwrap_or_default().to_string(),
        ),
        ("debtor", l.debtor.to_string()),
        ("payment format", l.format.to_string()),
        ("due date", l.due_date.to_string()),
        ("payment date", l.payment_date.to_string()),
        ("amount", l.amount.to_string()),
        (
            "partial payment",
            l.partial_payment.map(|a| a.to_string()).unwrap_or_default(),
        ),
        ("status", status_label(l.status)),
        ("group", l.group.as_deref().unwrap_or_default().to_string()),
        (
            "reference",
            l.reference.as_deref().unwrap_or_default().to_string(),
        ),
        (
            "date sent",
            l.date_sent.map(|d| d.to_string()).unwrap_or_default(),
        ),
        (
            "delivery",
            l.delivery_id.as_deref().unwrap_or_default().to_string(),
        ),
        ("system info", system_info(l)),
        ("comment", detail.comment.clone()),
    ];
    for (name, value) in fields {
        outln!("{name:<16} {value}");
    }
    for error in &l.errors {
        outln!("  {}: {}", error.code, error.message);
    }
    outln!("\nStatus log:");
    let rows: Vec<Vec<String>> = detail
        .log
        .iter()
        .map(|c| {
            vec![
                c.at.replace('T', " "),
                c.old.map(status_label).unwrap_or_else(|| "-".to_string()),
                status_label(c.new),
                c.cause.clone(),
            ]
        })
        .collect();
    out!("{}", output::table(&["time", "from", "to", "cause"], &rows));
    Ok(Outcome::Done)
}

pub fn status(global: &Global, command: &StatusCommand) -> anyhow::Result<Outcome> {
    let StatusCommand::Set { to, force, lines } = command;
    let target = match to {
        StatusTargetArg::Blank => ManualTarget::Blank,
        StatusTargetArg::Resend => ManualTarget::Resend,
        StatusTargetArg::Waiting => ManualTarget::Waiting,
        StatusTargetArg::Stop => ManualTarget::Stop,
    };
    let mut engine = context::open(global)?;
    let changed = engine.set_status(lines, target, *force, context::now(global))?;
    if global.json {
        output::print_json(&json!({"changed": changed}))?;
    } else {
        for line in &changed {
            outln!("Line {} is now {}.", line.line, status_label(line.status));
        }
    }
    Ok(Outcome::Done)
}

pub fn partial(global: &Global, command: &PartialCommand) -> anyhow::Result<Outcome> {
    let (line, partial) = match command {
        PartialCommand::Set { line, amount } => {
            let amount = ledger::Amount::parse(amount)
                .map_err(|e| anyhow::anyhow!("partial payment of line {line}: {e}"))?;
            (*line, Some(amount))
        }
        PartialCommand::Clear { line } => (*line, None),
    };
    let mut engine = context::open(global)?;
    let view = engine.set_partial_payment(line, partial)?;
    if global.json {
        output::print_json(&view)?;
    } else if view.partial_payment.is_some() {
        outln!(
            "Line {} charges {} of entry {} now (a partial payment); run `payrun validate` to check it.",
            view.line, view.amount, view.entry
        );
    } else {
        outln!(
            "Line {} charges {} of entry {} again (no partial payment).",
            view.line,
            view.amount,
            view.entry
        );
    }
    Ok(Outcome::Done)
}

pub fn payment_date(global: &Global, command: &PaymentDateCommand) -> anyhow::Result<Outcome> {
    let PaymentDateCommand::Set { line, date } = command;
    let mut engine = context::open(global)?;
    let view = engine.set_payment_date(*line, *date)?;
    if global.json {
        output::print_json(&view)?;
    } else {
        outln!(
            "Line {} of entry {} is now for payment on {}, in no collective payment; run `payrun collect` and `payrun validate` to check it.",
            view.line, view.entry, view.payment_date
        );
    }
    Ok(Outcome::Done)
}

pub fn mandates(global: &Global, command: &MandatesCommand) -> anyhow::Result<Outcome> {
    let MandatesCommand::List { debtor } = command;
    let engine = context::open(global)?;
    let mandates = engine.mandates(debtor.as_deref())?;
    if global.json {
        let list: Vec<_> = mandates
            .iter()
            .map(|m| {
                json!({
                    "mandate_id": m.mandate_id,
                    "debtor": m.debtor,
                    "format": m.payment_format,
                    "status": m.status.as_str(),
                    "agreement": m.agreement,
                    "start_date": m.start_date,
                    "end_date": m.end_date,
                    "alt_mandate_id": m.alt_mandate_id,
                })
            })
            .collect();
        output::print_json(&json!({"mandates": list}))?;
    } else {
        let rows: Vec<Vec<String>> = mandates
            .iter()
            .map(|m| {
                vec![
                    m.mandate_id.to_string(),
                    m.debtor.to_string(),
                    m.payment_format.to_string(),
                    m.status.as_str().to_string(),
                    m.agreement.as_deref().unwrap_or_default().to_string(),
                    m.start_date.map(|d| d.to_string()).unwrap_or_default(),
                    m.end_date.map(|d| d.to_string()).unwrap_or_default(),
                ]
            })
            .collect();
        out!(
            "{}",
            output::table(
                &[
                    "mandate",
                    "debtor",
                    "format",
                    "status",
                    "agreement",
                    "start",
                    "end"
                ],
                &rows
            )
        );
    }
    Ok(Outcome::Done)
}

/// Prints a CSV for a mail merge (or JSON with `--json`).
pub fn reminders(global: &Global, days: u32) -> anyhow::Result<Outcome> {
    let mut engine = context::open(global)?;
    let calendar = context::calendar(global)?;
    let reminders = engine.reminders(&calendar, context::now(global), days)?;
    if global.json {
        output::print_json(&json!({"reminders": reminders}))?;
        return Ok(Outcome::Done);
    }
    outln!("line,debtor,name,email,payment_date,notify_by,amount,invoice,text");
    for r in &reminders {
        let fields = [
            r.line.to_string(),
            r.debtor.to_string(),
            r.name.clone(),
            r.email.clone(),
            r.payment_date.to_string(),
            r.notify_by.to_string(),
            r.amount.to_string(),
            r.invoice.as_deref().unwrap_or_default().to_string(),
            r.text.clone(),
        ];
        let quoted: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        outln!("{}", quoted.join(","));
    }
    Ok(Outcome::Done)
}

/// A CSV field, quoted when it holds a comma, a quote or a line break.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// Prints a table of payment lines.
fn print_lines(lines: &[LineView]) -> anyhow::Result<()> {
    print_lines_of(|| lines.iter().cloned())
}

/// Prints a table of the payment lines `lines()` gives (called twice: widths, then rows).
fn print_lines_of<I: Iterator<Item = LineView>>(lines: impl Fn() -> I) -> anyhow::Result<()> {
    output::print_table_of(
        &[
            "line",
            "entry",
            "debtor",
            "format",
            "payment date",
            ">amount",
            "status",
            "group",
            "system info",
        ],
        lines,
        |l| {
            vec![
                l.line.to_string(),
                l.entry.to_string(),
                l.debtor.to_string(),
                l.format.to_string(),
                l.payment_date.to_string(),
                l.amount.to_string(),
                status_label(l.status),
                l.group.as_deref().unwrap_or_default().to_string(),
                system_info(l),
            ]
        },
    )
}

/// The failing rules spelled out, one per line, below a table.
fn print_failures(lines: impl Iterator<Item = LineView>) -> anyhow::Result<()> {
    use std::io::Write;
    let mut failing = lines.filter(|l| !l.errors.is_empty()).peekable();
    if failing.peek().is_none() {
        return Ok(());
    }
    let mut out = crate::output::stdout();
    writeln!(out, "\nWhat failed:")?;
    for line in failing {
        for error in &line.errors {
            writeln!(
                out,
                "  line {}: {}: {}",
                line.line, error.code, error.message
            )?;
        }
    }
    out.flush()?;
    Ok(())
}

fn system_info(line: &LineView) -> String {
    if !line.validated {
        "not validated".to_string()
    } else if line.ok {
        "Ok".to_string()
    } else {
        line.errors
            .iter()
            .map(|e| e.code)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn status_label(id: &str) -> String {
    engine::model::Status::parse(id).map_or_else(|| id.to_string(), |s| s.label().to_string())
}

fn join<T: ToString>(items: impl Iterator<Item = T>) -> String {
    items.map(|i| i.to_string()).collect::<Vec<_>>().join(" ")
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
