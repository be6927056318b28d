//! One module per command area; `run` dispatches.

mod calendar;
mod demo;
mod exchange;
mod generate;
mod journal;
mod run;
mod setup;
mod verify;

use crate::args::{Cli, Command};
use crate::Outcome;

pub fn run(cli: Cli) -> anyhow::Result<Outcome> {
    tracing::debug!(now = %crate::context::now(&cli.global), "Danish local time");
    let global = &cli.global;
    match &cli.command {
        Command::Init { name } => setup::init(global, name.as_deref()),
        Command::Format(command) => setup::format(global, command),
        Command::Import(command) => setup::import(global, command),
        Command::Suggest { earliest } => run::suggest(global, *earliest),
        Command::Validate => run::validate(global),
        Command::Collect { off } => run::collect(global, *off),
        Command::List(args) => run::list(global, args),
        Command::Show { line } => run::show(global, *line),
        Command::Status(command) => run::status(global, command),
        Command::Partial(command) => run::partial(global, command),
        Command::PaymentDate(command) => run::payment_date(global, command),
        Command::Mandates(command) => run::mandates(global, command),
        Command::Reminders { days } => run::reminders(global, *days),
        Command::Export { out, no_zip } => exchange::export(global, out, !*no_zip),
        Command::Archive(command) => exchange::archive(global, command),
        Command::Journal(command) => journal::run(global, command),
        Command::Demo { dir } => demo::run(global, dir),
        Command::SimulateBank {
            file,
            out,
            seed,
            reject,
            cancel,
            chargeback,
            difference,
        } => exchange::simulate_bank(
            global,
            file,
            out,
            engine::exchange::simulate::BankRates {
                seed: *seed,
                reject_ppm: *reject,
                cancel_ppm: *cancel,
                chargeback_ppm: *chargeback,
                difference_ppm: *difference,
            },
        ),
        Command::Verify => verify::run(global),
        Command::Generate {
            debtors,
            entries,
            out,
            seed,
        } => generate::run(global, *debtors, *entries, out, *seed),
        Command::Calendar(command) => calendar::run(global, command),
    }
}
