//! `payrun`: the command line of the payrun direct-debit engine.
//!
//! This crate holds no business rules. It parses arguments into typed requests, calls the
//! engine, prints a table or one JSON document, and decides the exit code in one place:
//! 0 done, 1 done but a person must look (a line failed validation, an import needs
//! attention), 2 error — bad input or a refused operation, and then nothing was changed.
#![forbid(unsafe_code)]

mod args;
mod commands;
mod context;
mod output;
mod progress;

use clap::Parser;
use std::process::ExitCode;

/// How a command that ran ended: `Done` (exit 0) or `Attention` (exit 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Done,
    Attention,
}

fn main() -> ExitCode {
    let args = args::Cli::parse();
    context::init_logging(&args.global);
    match commands::run(args) {
        Ok(Outcome::Done) => ExitCode::from(0),
        Ok(Outcome::Attention) => ExitCode::from(1),
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}
