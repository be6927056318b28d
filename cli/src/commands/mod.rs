//! One module per command area; `run` dispatches.

mod calendar;

use crate::args::{Cli, Command};
use crate::Outcome;

pub fn run(cli: Cli) -> anyhow::Result<Outcome> {
    match &cli.command {
        Command::Calendar(command) => calendar::run(&cli.global, command),
    }
}
