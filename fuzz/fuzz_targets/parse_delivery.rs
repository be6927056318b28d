//! Every delivery reader (BS 0601/0602/0603, LS 0690/0602/30/40) through `parse_delivery`:
//! never a panic, and whatever parses renders to a text that parses again to the same
//! rendering (render is a fixed point).
#![no_main]

use engine::delivery::{parse_delivery, to_latin1};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(delivery) = parse_delivery("fuzz.txt", data) else {
        return;
    };
    let Ok(first) = delivery.render() else {
        return;
    };
    let again = parse_delivery("again.txt", &to_latin1(&first))
        .unwrap_or_else(|e| panic!("rendered but cannot re-parse: {e}\n{first}"));
    let second = again.render().expect("a re-parsed delivery renders");
    assert_eq!(first, second, "render is not a fixed point");
});
