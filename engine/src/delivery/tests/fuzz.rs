//! Never panics (reliability.md "Fuzzing"): random bytes, record-shaped noise and mutated valid
//! files go through `parse_delivery`, which must return. Whatever parses must also render, and
//! the rendering must be a fixed point: render(parse(render(parse(x)))) == render(parse(x)).

use proptest::prelude::*;

use super::*;

/// Parses; if that succeeds, checks the render fixed point.
fn check(bytes: &[u8]) -> Result<(), String> {
    let Ok(delivery) = parse_delivery("fuzz.txt", bytes) else {
        return Ok(());
    };
    let first = delivery
        .render()
        .map_err(|e| format!("parsed but cannot render: {e}"))?;
    let again = parse_delivery("again.txt", &to_latin1(&first))
        .map_err(|e| format!("rendered but cannot re-parse: {e}\n{first}"))?;
    let second = again.render().map_err(|e| e.to_string())?;
    if first == second {
        Ok(())
    } else {
        Err(format!(
            "render is not a fixed point:\n{first}\n---\n{second}"
        ))
    }
}

/// Every valid fixture and every error fixture.
fn corpus() -> Vec<(String, Vec<u8>)> {
    let mut names: Vec<String> = [
        "samples/bs0601_collections.txt",
        "samples/bs0602_payments.txt",
        "samples/bs0602_payments_padded_lf.txt",
        "samples/bs0603_mandates.txt",
        "bs0603_unknown_section.txt",
        "ls0690_receipt.txt",
        "ls0602_payments.txt",
        "ls40_payments.txt",
        "ls30_mandates.txt",
    ]
    .iter()
    .map(|name| name.to_string())
    .collect();
    let mut errors: Vec<String> = std::fs::read_dir(data_path("errors"))
        .unwrap()
        .map(|entry| {
            format!(
                "errors/{}",
                entry.unwrap().file_name().into_string().unwrap()
            )
        })
        .collect();
    errors.sort();
    names.extend(errors);
    names
        .into_iter()
        .map(|name| (name.clone(), data(&name)))
        .collect()
}

/// Bytes that matter to the reader: digits, blanks, line ends, letters, refused controls,
/// ISO 8859-1 letters and the UTF-8 lead bytes.
const INTERESTING: &[u8] = b"0123456789  \r\n\r\nBSLSX\x00\x81\xf8\xc3\xb8\t";

fn pick(rng: &mut SplitMix64, bound: usize) -> usize {
    usize::try_from(rng.below(bound.max(1) as u64)).unwrap_or(0)
}

/// One to four random edits: flip a bit, overwrite, insert or delete a byte, duplicate or drop
/// a line, truncate.
fn mutate(rng: &mut SplitMix64, input: &[u8]) -> Vec<u8> {
    let mut bytes = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = pick(rng, bytes.len());
        let byte = if rng.below(2) == 0 {
            INTERESTING[pick(rng, INTERESTING.len())]
        } else {
            rng.next_u64() as u8
        };
        match rng.below(7) {
            0 if !bytes.is_empty() => bytes[at] ^= 1 << rng.below(8),
            1 if !bytes.is_empty() => bytes[at] = byte,
            2 => bytes.insert(at.min(bytes.len()), byte),
            3 if !bytes.is_empty() => {
                bytes.remove(at);
            }
            4 | 5 => {
                let lines: Vec<&[u8]> = bytes.split_inclusive(|&b| b == b'\n').collect();
                let line = pick(rng, lines.len());
                let mut edited: Vec<u8> = Vec::with_capacity(bytes.len() + 130);
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

#[test]
fn mutated_fixtures_never_panic_and_whatever_parses_renders_stably() {
    let mut rng = SplitMix64::new(0x5EED);
    let mut failures = Vec::new();
    let mut parsed = 0;
    for (name, bytes) in corpus() {
        let rounds = if name.starts_with("errors/") {
            150
        } else {
            1200
        };
        for round in 0..rounds {
            let mutated = mutate(&mut rng, &bytes);
            if parse_delivery("m.txt", &mutated).is_ok() {
                parsed += 1;
            }
            if let Err(problem) = check(&mutated) {
                failures.push(format!("{name} round {round}: {problem}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    // The mutations must leave some files valid, or the fixed-point check proves nothing.
    assert!(parsed > 100, "only {parsed} mutated files parsed");
}

/// Lines that start like records, so the noise reaches the record parsers.
fn record_like_line() -> impl Strategy<Value = Vec<u8>> {
    let prefixes = prop::sample::select(vec![
        "BS002", "BS012", "BS022", "BS042", "BS052", "BS092", "BS992", "LS002", "LS042", "LS992",
        "000", "001", "500", "510", "540", "580", "585", "999",
    ]);
    let body = prop::collection::vec(
        prop::sample::select(b"0000000011239  BS\xf8".to_vec()),
        0..130,
    );
    (prefixes, body).prop_map(|(prefix, body)| {
        let mut line = prefix.as_bytes().to_vec();
        line.extend(body);
        line.extend_from_slice(b"\r\n");
        line
    })
}

proptest! {
    #![proptest_config(super::proptest_config(512))]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        check(&bytes).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn record_shaped_noise_never_panics(lines in prop::collection::vec(record_like_line(), 0..40)) {
        check(&lines.concat()).map_err(TestCaseError::fail)?;
    }
}
