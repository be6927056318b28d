//! The mandates CSV reader: never a panic, from raw bytes (streaming) or from text.
#![no_main]

use engine::csv_import::{parse, read};
use engine::model::Mandate;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(rows) = read::<Mandate, _>("fuzz.csv", data) {
        for row in rows {
            let _ = row;
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = parse::<Mandate>("fuzz.csv", text).map_err(|e| e.to_string());
    }
});
