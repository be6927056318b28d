//! `simulate-bank`'s core on arbitrary bytes (a ZIP archive or a delivery text): never a
//! panic. It reads the single-entry ZIP, parses, simulates the bank and renders the answers.
#![no_main]

use engine::exchange::simulate::{simulate_answers, BankRates};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let rates = BankRates {
        seed: 7,
        reject_ppm: 100_000,
        cancel_ppm: 100_000,
        chargeback_ppm: 100_000,
        difference_ppm: 100_000,
    };
    let _ = simulate_answers("fuzz.txt", data, &rates);
});
