//! Bounded fuzzing in the normal suite (reliability.md "Fuzzing"): the CSV readers (debtors,
//! mandates, entries) and the closing-days reader never panic on random bytes, on CSV-shaped
//! noise or on mutated real files, and refuse what they cannot read with an error. (The
//! delivery parser has its own in `engine/src/delivery/tests/fuzz.rs`; the unbounded versions
//! of all of them are the cargo-fuzz targets in `fuzz/`.)
//!
//! Deterministic: every case comes from a seed, printed when a case fails.
//! `PAYRUN_FUZZ_CASES=N` runs N cases per reader and input kind (default [`CASES`]),
//! `PAYRUN_FUZZ_SEED=S` starts from another seed.

use engine::csv_import::{parse, read, CsvRow};
use engine::delivery::SplitMix64;
use engine::model::{Debtor, Mandate};
use ledger::{Amount, Entry};
use std::panic::{catch_unwind, AssertUnwindSafe};

const CASES: usize = 600;

fn cases() -> usize {
    std::env::var("PAYRUN_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(CASES)
}

fn first_seed() -> u64 {
    std::env::var("PAYRUN_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5EED_C5F0)
}

fn data(path: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/data/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// One reader under test: bytes in, "ok"/"refused" out, or a panic.
type Reader = fn(&[u8]) -> bool;

fn csv_reader<T: CsvRow>(bytes: &[u8]) -> bool {
    // Streaming from bytes (what `import` does) …
    let streamed = match read::<T, _>("fuzz.csv", bytes) {
        Ok(rows) => {
            // Every row is read, not only up to the first bad one.
            let mut ok = true;
            for row in rows {
                ok &= row.is_ok();
            }
            ok
        }
        Err(error) => {
            assert!(!error.to_string().is_empty());
            false
        }
    };
    // … and from text (the library's `parse`): both must agree on whether the file is good.
    if let Ok(text) = std::str::from_utf8(bytes) {
        let parsed = parse::<T>("fuzz.csv", text);
        if let Err(error) = &parsed {
            assert!(error.to_string().starts_with("fuzz.csv:"), "{error}");
        }
        assert_eq!(parsed.is_ok(), streamed, "read and parse disagree");
    }
    streamed
}

fn closing_days(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes);
    match bankcal::parse_closing_days_csv("fuzz.csv", &text) {
        Ok(days) => bankcal::Calendar::danish()
            .with_extra_closing_days(&days)
            .is_ok(),
        Err(error) => {
            assert!(error.to_string().starts_with("fuzz.csv:"), "{error}");
            false
        }
    }
}

/// Bytes that matter to a CSV reader.
const INTERESTING: &[&[u8]] = &[
    b",",
    b"\"",
    b"\"\"",
    b"\n",
    b"\r\n",
    b"\r",
    b"\xef\xbb\xbf",
    b"\xc3\xb8",
    b"\xff",
    b"\0",
    b"-",
    b".",
    b"0",
    b"9",
    b"1.005",
    b"-0.01",
    b"99999999999999999999",
    b" ",
    b"true",
    b"enrolled",
    b"2026-02-30",
    b"2026-07-01",
    b"0101701234",
    b"BS",
    b"LS",
    b"DKK",
    b"EUR",
];

fn pick(rng: &mut SplitMix64, bound: usize) -> usize {
    usize::try_from(rng.below(bound.max(1) as u64)).unwrap_or(0)
}

/// One to four random edits: bit flips, interesting tokens inserted or overwritten, bytes or
/// lines dropped or doubled, a truncation.
fn mutate(rng: &mut SplitMix64, input: &[u8]) -> Vec<u8> {
    let mut bytes = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = pick(rng, bytes.len() + 1).min(bytes.len());
        let token = INTERESTING[pick(rng, INTERESTING.len())];
        match rng.below(7) {
            0 if at < bytes.len() => bytes[at] ^= 1 << rng.below(8),
            1 => {
                let end = (at + token.len()).min(bytes.len());
                bytes.splice(at..end, token.iter().copied());
            }
            2 => {
                bytes.splice(at..at, token.iter().copied());
            }
            3 if at < bytes.len() => {
                bytes.remove(at);
            }
            4 | 5 => {
                let lines: Vec<&[u8]> = bytes.split_inclusive(|&b| b == b'\n').collect();
                let line = pick(rng, lines.len());
                let mut edited = Vec::with_capacity(bytes.len() + 80);
                for (index, text) in lines.iter().enumerate() {
                    if index != line || rng.below(2) == 0 {
                        edited.extend_from_slice(text);
                    }
                    if index == line && rng.below(2) == 0 {
                        edited.extend_from_slice(text);
                    }
                }
                bytes = edited;
            }
            _ => bytes.truncate(at),
        }
    }
    bytes
}

/// CSV-shaped noise: a header of known and unknown names, rows of interesting tokens.
fn csv_noise(rng: &mut SplitMix64, columns: &[&str]) -> Vec<u8> {
    let mut out = Vec::new();
    let width = 1 + pick(rng, columns.len() + 2);
    let header: Vec<&[u8]> = (0..width)
        .map(|_| {
            if rng.below(6) == 0 {
                b"unknown".as_slice()
            } else {
                columns[pick(rng, columns.len())].as_bytes()
            }
        })
        .collect();
    out.extend(header.join(&b","[..]));
    out.extend_from_slice(b"\n");
    for _ in 0..pick(rng, 8) {
        let values = width + usize::from(rng.below(8) == 0);
        let row: Vec<Vec<u8>> = (0..values)
            .map(|_| {
                (0..pick(rng, 3))
                    .flat_map(|_| INTERESTING[pick(rng, INTERESTING.len())].to_vec())
                    .collect()
            })
            .collect();
        out.extend(row.join(&b","[..]));
        out.extend_from_slice(b"\n");
    }
    out
}

/// Runs `reader` on every case; returns how many inputs it accepted. A panic fails the test
/// with the seed, the case and the input.
fn run_cases(
    name: &str,
    reader: Reader,
    make: &mut dyn FnMut(&mut SplitMix64) -> Vec<u8>,
) -> usize {
    let mut name_hash: u64 = 0xcbf2_9ce4_8422_2325;
    crate::scenario::fnv(&mut name_hash, name.as_bytes());
    let seed = first_seed() ^ name_hash;
    let mut rng = SplitMix64::new(seed);
    let mut accepted = 0;
    for case in 0..cases() {
        let input = make(&mut rng);
        match catch_unwind(AssertUnwindSafe(|| reader(&input))) {
            Ok(true) => accepted += 1,
            Ok(false) => {}
            Err(_) => panic!(
                "{name}: case {case} of seed {seed:#x} (PAYRUN_FUZZ_SEED={}) panicked on {:?}",
                first_seed(),
                String::from_utf8_lossy(&input)
            ),
        }
    }
    accepted
}

fn check_reader(name: &str, reader: Reader, fixtures: &[Vec<u8>], columns: &[&str]) {
    let mut random = |rng: &mut SplitMix64| {
        let len = pick(rng, 512);
        (0..len).map(|_| rng.next_u64() as u8).collect()
    };
    run_cases(&format!("{name} random bytes"), reader, &mut random);
    let mut noise = |rng: &mut SplitMix64| csv_noise(rng, columns);
    run_cases(&format!("{name} csv noise"), reader, &mut noise);
    let mut mutated = |rng: &mut SplitMix64| {
        let file = pick(rng, fixtures.len());
        mutate(rng, &fixtures[file])
    };
    let accepted = run_cases(&format!("{name} mutated files"), reader, &mut mutated);
    // Some mutations keep a file valid (a doubled blank line, a bit flip in a name), so the
    // accepting path is exercised too; otherwise the test would only prove refusals.
    assert!(accepted > 0, "{name}: no mutated file was accepted");
}

fn fixtures(kind: &str) -> Vec<Vec<u8>> {
    let mut files = vec![
        data(&format!("csv/{kind}.csv")),
        data(&format!("run/{kind}.csv")),
    ];
    let bad = format!("{}/tests/data/csv/bad", env!("CARGO_MANIFEST_DIR"));
    for entry in std::fs::read_dir(bad).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with(kind) && name.ends_with(".csv") {
            files.push(std::fs::read(path).unwrap());
        }
    }
    files
}

#[test]
fn the_debtors_reader_never_panics() {
    check_reader(
        "debtors",
        csv_reader::<Debtor>,
        &fixtures("debtors"),
        &[
            "account",
            "name",
            "cvr",
            "address",
            "postcode",
            "city",
            "country",
            "email",
            "payment_format",
        ],
    );
}

#[test]
fn the_mandates_reader_never_panics() {
    check_reader(
        "mandates",
        csv_reader::<Mandate>,
        &fixtures("mandates"),
        &[
            "mandate_id",
            "debtor",
            "payment_format",
            "status",
            "agreement",
            "start_date",
            "end_date",
            "alt_mandate_id",
        ],
    );
}

#[test]
fn the_entries_reader_never_panics() {
    check_reader(
        "entries",
        csv_reader::<Entry>,
        &fixtures("entries"),
        &[
            "entry_id",
            "debtor",
            "due_date",
            "amount",
            "date",
            "invoice",
            "remaining",
            "currency",
            "text",
            "has_invoice_lines",
            "payment_id",
        ],
    );
}

#[test]
fn the_closing_days_reader_never_panics() {
    let files = vec![
        b"date,name\n2026-12-28,Bank strike\n".to_vec(),
        b"\xef\xbb\xbfname,date\r\n\"Moved day, by law\",\"2027-05-10\"\r\n\r\n".to_vec(),
        b"date,name\n2026-05-20,A\n2199-12-31,B\n1900-01-01,C\n".to_vec(),
    ];
    check_reader("closing days", closing_days, &files, &["date", "name"]);
}

/// I3 through the entries reader: an amount is accepted exactly when it has at most two
/// decimals (and fits), and is then read to the øre, never rounded.
#[test]
fn entry_amounts_are_exact_or_refused() {
    let mut rng = SplitMix64::new(first_seed());
    for case in 0..cases() * 4 {
        let whole = rng.below(10_000_000);
        let decimals = rng.below(5) as usize;
        let fraction: String = (0..decimals)
            .map(|_| char::from(b'0' + rng.below(10) as u8))
            .collect();
        let sign = if rng.below(3) == 0 { "-" } else { "" };
        let text = if decimals == 0 {
            format!("{sign}{whole}")
        } else {
            format!("{sign}{whole}.{fraction}")
        };
        let csv = format!("entry_id,debtor,due_date,amount\nE1,D1,2026-07-01,{text}\n");
        let parsed = parse::<Entry>("e.csv", &csv);
        if decimals <= 2 {
            let rows = parsed.unwrap_or_else(|e| panic!("case {case}: '{text}' refused: {e}"));
            let padded = format!("{fraction:0<2}");
            let ore = whole as i64 * 100 + padded.parse::<i64>().unwrap();
            let expected = Amount::from_ore(if sign == "-" { -ore } else { ore });
            assert_eq!(rows[0].value.amount, expected, "case {case}: '{text}'");
        } else {
            let error = parsed.map(|_| ()).unwrap_err().to_string();
            assert!(
                error.contains("decimals"),
                "case {case}: '{text}' gave {error}"
            );
        }
    }
}
