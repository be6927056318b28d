//! Tests of the delivery codecs. Fixtures live in `tests/data/delivery/`: the reference samples
//! (`samples/`), LS files written from the formats.md tables by hand (independently of the
//! writers here), and one file per error message (`errors/`).

mod errors;
mod fuzz;
mod generators;
mod roundtrip;
mod samples;
mod simulate;
mod speed;
mod text;
mod writer_positions;
mod zip;

use super::*;

/// The path of a fixture under `tests/data/delivery/`.
fn data_path(relative: &str) -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data/delivery/").to_string() + relative
}

/// The bytes of a fixture under `tests/data/delivery/`.
fn data(relative: &str) -> Vec<u8> {
    let path = data_path(relative);
    std::fs::read(&path).unwrap_or_else(|error| panic!("cannot read {path}: {error}"))
}

/// Parses a fixture that must be valid.
fn parse_data(relative: &str) -> Delivery {
    parse_delivery(relative, &data(relative)).unwrap_or_else(|error| panic!("{error}"))
}

/// proptest settings for this module: `cases` cases and no regression files, which proptest
/// would otherwise write next to the crate's `Cargo.toml`, outside this module's directories.
/// A failure still prints its minimal input.
pub(crate) fn proptest_config(cases: u32) -> proptest::test_runner::Config {
    proptest::test_runner::Config {
        failure_persistence: None,
        ..proptest::test_runner::Config::with_cases(cases)
    }
}

fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).expect("a valid date in a test")
}

fn ore(ore: i64) -> ledger::Amount {
    ledger::Amount::from_ore(ore)
}
