//! `payrun journal list|set-account|set-offset-account|post|transfer`: the accounting journal
//! draft.

use crate::args::{Global, JournalCommand};
use crate::output::{out, outln};
use crate::{context, output, Outcome};
use engine::journal_api::LineFixed;
use ledger::{JournalLine, PostingReport};
use serde_json::json;

pub fn run(global: &Global, command: &JournalCommand) -> anyhow::Result<Outcome> {
    let mut engine = context::open(global)?;
    match command {
        JournalCommand::List { journal } => {
            let lines = engine.journal_lines(journal.as_deref())?;
            if global.json {
                output::print_json(&json!({ "lines": lines }))?;
            } else if lines.is_empty() {
                outln!("The journal draft is empty.");
            } else {
                out!("{}", table(&lines));
                // A line can need both: its debtor account or approval, and its offset account.
                let marked = lines
                    .iter()
                    .filter(|l| {
                        l.account.is_none()
                            || (l.text.starts_with(ledger::ATTENTION_MARK) && !l.fixed_by_person)
                    })
                    .count();
                if marked > 0 {
                    outln!(
                        "{marked} of {} lines need a person (!): set the debtor account with `payrun journal set-account LINE ACCOUNT` to approve one; `payrun journal post` posts the rest.",
                        lines.len()
                    );
                }
                let without_offset = lines.iter().filter(|l| l.offset_account.is_none()).count();
                if without_offset > 0 {
                    outln!(
                        "{without_offset} of {} lines have no offset account (their payment format has no bank account): give the bank account with `payrun journal set-offset-account LINE ACCOUNT`; `payrun journal post` posts a line once it has one.",
                        lines.len()
                    );
                }
            }
            Ok(Outcome::Done)
        }
        JournalCommand::SetAccount {
            journal_line,
            account,
        } => {
            let fixed = engine.journal_set_account(*journal_line, account, context::now(global))?;
            let line = &fixed.line;
            if global.json {
                output::print_json(&line)?;
            } else {
                outln!(
                    "Journal line {} ({}) is on account {} now{}.",
                    line.id,
                    line.text,
                    account,
                    if line.attention {
                        ", but still needs attention: it has no offset account; give the bank account with `payrun journal set-offset-account LINE ACCOUNT`"
                    } else {
                        " and can be posted"
                    }
                );
                say_file_now_ok(&fixed);
            }
            Ok(Outcome::Done)
        }
        JournalCommand::SetOffsetAccount {
            journal_line,
            account,
        } => {
            let fixed =
                engine.journal_set_offset_account(*journal_line, account, context::now(global))?;
            let line = &fixed.line;
            if global.json {
                output::print_json(&line)?;
            } else {
                let still = if !line.attention {
                    " and can be posted"
                } else if line.account.is_none() {
                    ", but still needs attention: it has no debtor account; set it with `payrun journal set-account LINE ACCOUNT`"
                } else {
                    ", but still needs attention: its text is marked (!); approve it with `payrun journal set-account LINE ACCOUNT`"
                };
                outln!(
                    "Journal line {} ({}) is against offset account {} now{}.",
                    line.id,
                    line.text,
                    account,
                    still
                );
                say_file_now_ok(&fixed);
            }
            Ok(Outcome::Done)
        }
        JournalCommand::Post { journal } => {
            let report = engine.journal_post(journal.as_deref(), context::now(global))?;
            if global.json {
                output::print_json(&report)?;
            } else {
                print_posting(&report);
            }
            Ok(Outcome::Done)
        }
        JournalCommand::Transfer {
            lines,
            journal,
            bank_account,
        } => {
            let added =
                engine.journal_transfer(lines, journal.as_deref(), bank_account.as_deref())?;
            if global.json {
                output::print_json(&json!({ "lines": added }))?;
            } else {
                outln!(
                    "{} payment lines transferred as {} journal draft lines:",
                    lines.len(),
                    added.len()
                );
                out!("{}", table(&added));
            }
            Ok(Outcome::Done)
        }
    }
}

/// Says so when the fixed line's bank file needs no more attention.
fn say_file_now_ok(fixed: &LineFixed) {
    if let Some(file) = &fixed.file_now_ok {
        outln!(
            "None of the lines of {} needs attention any more: its archive status is ok now (payrun archive show {}).",
            file.file_name,
            file.id
        );
    }
}

/// The journal lines as a table: amounts with two decimals, `(!)` lines as the text says.
pub fn table(lines: &[JournalLine]) -> String {
    let rows: Vec<Vec<String>> = lines
        .iter()
        .map(|l| {
            vec![
                l.id.to_string(),
                l.journal.clone(),
                l.date.to_string(),
                l.account.clone().unwrap_or_default(),
                l.text.clone(),
                l.amount.to_string(),
                l.offset_account.clone().unwrap_or_default(),
                l.offsets.join(" "),
                l.source.clone(),
            ]
        })
        .collect();
    output::table(
        &[
            ">id", "journal", "date", "account", "text", ">amount", "offset", "offsets", "source",
        ],
        &rows,
    )
}

/// What a posting did, in words.
pub fn print_posting(report: &PostingReport) {
    let total = report
        .posted
        .iter()
        .fold(0_i64, |sum, p| sum.saturating_add(p.amount.ore()));
    outln!(
        "Posted {} journal lines ({} on the debtor accounts) as {} ledger transactions.",
        report.posted.len(),
        ledger::Amount::from_ore(total),
        report.transactions().count()
    );
    outln!(
        "Entries settled: {} ({} closed, {} opened again by a charge-back).",
        report.entries_settled,
        report.entries_closed,
        report.entries_reopened
    );
    for part in &report.on_account {
        outln!(
            "Journal line {} (approved as it is) left {} on debtor account {}, on no entry: more was paid than its invoices had open.",
            part.line,
            part.amount,
            part.account
        );
    }
    if report.attention > 0 {
        outln!(
            "{} lines that need a person stay in the draft: `payrun journal list` shows them and how to fix them.",
            report.attention
        );
    }
}
