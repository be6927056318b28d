//! Setting a company up: `init`, `format add|list`, `import debtors|mandates|entries`.

use crate::args::{
    BankingDayArg, BsTypeArg, FormatAddArgs, FormatCommand, Global, ImportCommand, PrincipleArg,
    SchemeArg,
};
use crate::output::{out, outln};
use crate::progress::{Bar, Unit};
use crate::{context, output, Outcome};
use engine::csv_import::CsvKind;
use engine::model::{BankingDayAction, BsType, ChargingPrinciple, PaymentFormat, Scheme};
use engine::payment_format;
use serde_json::json;

pub fn init(global: &Global, name: Option<&str>) -> anyhow::Result<Outcome> {
    let engine = engine::api::Engine::init(&global.db, global.company.as_deref(), name)?;
    let company = engine.company().id().to_string();
    if global.json {
        output::print_json(&json!({"company": company, "db": global.db.display().to_string()}))?;
    } else {
        outln!("Created company '{company}' in {}.", global.db.display());
    }
    Ok(Outcome::Done)
}

pub fn format(global: &Global, command: &FormatCommand) -> anyhow::Result<Outcome> {
    let mut engine = context::open(global)?;
    match command {
        FormatCommand::Add(args) => {
            let format = format_from_args(args);
            engine.add_format(&format)?;
            if global.json {
                output::print_json(&json!({"format": format_json(&format)}))?;
            } else {
                outln!(
                    "Added payment format {} ({}, creditor {}).",
                    format.id,
                    scheme_words(&format),
                    format.creditor_number
                );
            }
        }
        FormatCommand::List => {
            let formats = engine.formats()?;
            if global.json {
                let list: Vec<_> = formats.iter().map(format_json).collect();
                output::print_json(&json!({"formats": list}))?;
            } else {
                let rows: Vec<Vec<String>> = formats
                    .iter()
                    .map(|f| {
                        vec![
                            f.id.to_string(),
                            scheme_words(f),
                            f.creditor_number.clone(),
                            f.supplier_cvr.clone(),
                            f.debtor_group.clone(),
                            payment_format::principle_id(f.principle).to_string(),
                            f.bank_account.clone().unwrap_or_default(),
                            f.journal.clone(),
                            f.cutoff.format("%H:%M").to_string(),
                            flags(f),
                        ]
                    })
                    .collect();
                out!(
                    "{}",
                    output::table(
                        &[
                            "id",
                            "scheme",
                            "creditor",
                            "supplier CVR",
                            "group",
                            "principle",
                            "bank account",
                            "journal",
                            "cut-off",
                            "options",
                        ],
                        &rows
                    )
                );
            }
        }
    }
    Ok(Outcome::Done)
}

pub fn import(global: &Global, command: &ImportCommand) -> anyhow::Result<Outcome> {
    let (kind, path, noun) = match command {
        ImportCommand::Debtors { file } => (CsvKind::Debtors, file, "debtors"),
        ImportCommand::Mandates { file } => (CsvKind::Mandates, file, "mandates"),
        ImportCommand::Entries { file } => (CsvKind::Entries, file, "entries"),
        ImportCommand::Delivery { files } => {
            return super::exchange::import_delivery(global, files)
        }
    };
    let mut engine = context::open(global)?;
    let bar = Bar::new(
        global,
        &format!("importing {}", path.display()),
        Unit::Bytes,
    );
    let summary =
        engine.import_file_with_progress(kind, path, &mut |done, total| bar.update(done, total));
    bar.finish();
    let summary = summary?;
    if global.json {
        output::print_json(&json!({
            "file": summary.file,
            "kind": noun,
            "rows": summary.rows,
            "inserted": summary.inserted,
            "updated": summary.updated,
        }))?;
    } else {
        outln!(
            "Imported {} {noun} from {} ({} new, {} updated).",
            summary.rows,
            summary.file,
            summary.inserted,
            summary.updated
        );
    }
    Ok(Outcome::Done)
}

fn format_from_args(args: &FormatAddArgs) -> PaymentFormat {
    let scheme = match args.scheme {
        SchemeArg::Bs => Scheme::Bs,
        SchemeArg::Ls => Scheme::Ls,
    };
    let mut format =
        payment_format::with_defaults(&args.id, scheme, &args.creditor, &args.supplier_cvr);
    format.bs_type = match (scheme, args.bs_type) {
        (Scheme::Bs, Some(BsTypeArg::Total)) => Some(BsType::Total),
        (Scheme::Bs, _) => Some(BsType::Basis),
        // An LS format with --bs-type is refused by the format checks, with their message.
        (Scheme::Ls, Some(BsTypeArg::Total)) => Some(BsType::Total),
        (Scheme::Ls, Some(BsTypeArg::Basis)) => Some(BsType::Basis),
        (Scheme::Ls, None) => None,
    };
    format.debtor_group = args.debtor_group.clone();
    format.system_code = args.system_code.clone();
    format.principle = match args.principle {
        PrincipleArg::Standard => ChargingPrinciple::Standard,
        PrincipleArg::Remaining => ChargingPrinciple::Remaining,
    };
    format.bank_account = args.bank_account.clone();
    format.journal = args.journal.clone();
    format.banking_day_action = match args.banking_day {
        BankingDayArg::After => BankingDayAction::After,
        BankingDayArg::Before => BankingDayAction::Before,
        BankingDayArg::None => BankingDayAction::None,
    };
    if let Some(cutoff) = args.cutoff {
        format.cutoff = cutoff;
    }
    format.extended_deadline = args.extended_deadline;
    format.allow_without_invoice = args.allow_without_invoice;
    format.block_payouts = args.block_payouts;
    format.create_payment_id = args.create_payment_id;
    format.debtor_account_as_mandate = args.debtor_account_as_mandate;
    format
}

fn scheme_words(format: &PaymentFormat) -> String {
    match (format.scheme, format.bs_type) {
        (Scheme::Bs, Some(BsType::Total)) => "Betalingsservice Total".to_string(),
        (Scheme::Bs, _) => "Betalingsservice Basis".to_string(),
        (Scheme::Ls, _) => "Leverandørservice".to_string(),
    }
}

fn flags(format: &PaymentFormat) -> String {
    let mut flags = Vec::new();
    if format.extended_deadline {
        flags.push("extended-deadline");
    }
    if format.allow_without_invoice {
        flags.push("allow-without-invoice");
    }
    if format.block_payouts {
        flags.push("block-payouts");
    }
    if format.create_payment_id {
        flags.push("create-payment-id");
    }
    if format.debtor_account_as_mandate {
        flags.push("debtor-account-as-mandate");
    }
    flags.push(match format.banking_day_action {
        BankingDayAction::After => "banking-day-after",
        BankingDayAction::Before => "banking-day-before",
        BankingDayAction::None => "banking-day-none",
    });
    flags.join(" ")
}

fn format_json(format: &PaymentFormat) -> serde_json::Value {
    json!({
        "id": format.id,
        "scheme": payment_format::scheme_id(format.scheme),
        "bs_type": format.bs_type.map(payment_format::bs_type_id),
        "creditor": format.creditor_number,
        "supplier_cvr": format.supplier_cvr,
        "debtor_group": format.debtor_group,
        "system_code": format.system_code,
        "principle": payment_format::principle_id(format.principle),
        "bank_account": format.bank_account,
        "journal": format.journal,
        "banking_day": payment_format::banking_day_action_id(format.banking_day_action),
        "cutoff": format.cutoff.format("%H:%M").to_string(),
        "extended_deadline": format.extended_deadline,
        "allow_without_invoice": format.allow_without_invoice,
        "block_payouts": format.block_payouts,
        "create_payment_id": format.create_payment_id,
        "debtor_account_as_mandate": format.debtor_account_as_mandate,
    })
}
