//! One module per command area; `run` dispatches.

mod calendar;

use crate::args::{Cli, Command};
use crate::Outcome;

pub fn run(cli: Cli) -> anyhow::Result<Outcome> {
    tracing::debug!(now = %crate::context::now(&cli.global), "Danish local time");
    match &cli.command {
        Command::Calendar(command) => calendar::run(&cli.global, command),
    }
}
