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
    let outcome = commands::run(args);
    match (outcome, output::failure()) {
        (Err(error), _) => {
            eprintln!("error: {}", message(&error));
            ExitCode::from(2)
        }
        (Ok(_), Some(failure)) => {
            eprintln!("error: could not write the output: {failure}");
            ExitCode::from(2)
        }
        (Ok(Outcome::Done), None) => ExitCode::from(0),
        (Ok(Outcome::Attention), None) => ExitCode::from(1),
    }
}

/// The error's message and then each cause's, the way `{:#}` joins them (": "), but leaving
/// out a cause whose message is already said: the engine's errors say their cause in their
/// own message (a file's path and why it could not be read; every bad row of a CSV file) and
/// also give it as their `source`, so `{:#}` printed it twice.
fn message(error: &anyhow::Error) -> String {
    let mut text = error.to_string();
    for cause in error.chain().skip(1) {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::message;

    #[test]
    fn a_cause_already_in_the_message_is_not_repeated() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "No such file or directory");
        let error = engine::Error::Io {
            path: "/nonexistent.csv".into(),
            source: io,
        };
        assert_eq!(
            message(&anyhow::Error::new(error)),
            "'/nonexistent.csv': No such file or directory"
        );
        // A context says something new: the cause follows it.
        let error = anyhow::Error::new(std::io::Error::other("disk full")).context("writing out/x");
        assert_eq!(message(&error), "writing out/x: disk full");
    }
}
