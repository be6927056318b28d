//! The closing-days CSV reader (`--closing-days`): never a panic, and whatever parses can be
//! merged into the calendar (or is refused with an error).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(days) = bankcal::parse_closing_days_csv("fuzz.csv", &text) {
        let _ = bankcal::Calendar::danish().with_extra_closing_days(&days);
    }
});
