//! The error catalogue (reliability.md "Bad input catalogue"): one fixture per kind of error
//! in `tests/data/delivery/errors/`, its exact message pinned here.

use super::*;

/// Every fixture in `errors/` and the message it must produce.
const CATALOGUE: &[(&str, &str)] = &[
    ("wrong_length.txt", "wrong_length.txt:3:129: record length: found 130 characters, expected at most 128"),
    ("unknown_record_type.txt", "unknown_record_type.txt:4:1: record type: found 'BS072', expected BS012, BS022, BS042, BS052, BS092 or BS992"),
    ("unknown_transaction_code.txt", "unknown_transaction_code.txt:3:14: transaction code: found '0235', expected 0236, 0237, 0238 or 0239 in section 0211"),
    ("letters_in_number.txt", "letters_in_number.txt:3:61: amount: found 'X', expected a digit"),
    ("impossible_date.txt", "impossible_date.txt:3:50: payment date: found '300226', expected a date DDMMYY"),
    ("missing_bs992.txt", "missing_bs992.txt:20:1: delivery end: found end of file, expected a BS992 record"),
    ("count_mismatch.txt", "count_mismatch.txt:9:32: number of 042 records: found '00000000005', expected '00000000006' (the number of 042 records in the section)"),
    ("total_mismatch.txt", "total_mismatch.txt:9:43: amount: found '000000000244700', expected '000000000244800' (the sum of the paid amounts, positions 116-128, of the section's 042 records)"),
    ("delivery_total_mismatch.txt", "delivery_total_mismatch.txt:20:43: amount: found '000000000413801', expected '000000000413800' (the sum of the sections' BS092 amounts)"),
    ("section_mismatch.txt", "section_mismatch.txt:9:14: section: found '0215', expected '0211' as in the section start on line 2"),
    ("debtor_group_mismatch.txt", "debtor_group_mismatch.txt:9:21: debtor group: found '00002', expected '00001' as in the section start on line 2"),
    ("header_trailer_mismatch.txt", "header_trailer_mismatch.txt:20:6: data supplier no.: found '99887767', expected '99887766' as in the BS002 record on line 1"),
    ("truncated.txt", "truncated.txt:5:63: amount: found the end of the record (62 characters), expected a digit"),
    ("truncated_mid_section.txt", "truncated_mid_section.txt:6:1: delivery end: found end of file, expected a BS092 record closing the section of line 2, then a BS992 record"),
    ("section_not_closed.txt", "section_not_closed.txt:9:1: section end: found a BS012 record, expected a BS092 record closing the section of line 2"),
    ("record_outside_section.txt", "record_outside_section.txt:2:1: section: found a BS042 record outside a section, expected a BS012 section start before it"),
    ("second_bs002.txt", "second_bs002.txt:10:1: delivery start: found a second BS002 record (the first is on line 1), expected one delivery per file"),
    ("record_after_bs992.txt", "record_after_bs992.txt:21:1: delivery end: found a record after the BS992 record of line 20, expected end of file"),
    ("unsupported_delivery_type.txt", "unsupported_delivery_type.txt:1:17: delivery type: found '0605', expected 0601, 0602 or 0603"),
    ("unknown_section.txt", "unknown_section.txt:2:14: section: found '0213', expected 0211 or 0215"),
    ("sign_code_zero_with_amount.txt", "sign_code_zero_with_amount.txt:3:57: amount: found '0000000049900', expected zeros with sign code 0"),
    ("non_latin1_byte.txt", "non_latin1_byte.txt:3:75: character: found byte 0x81, expected printable ISO 8859-1 text"),
    ("utf8_text.txt", "utf8_text.txt:17:94: character: found UTF-8 encoded 'ø' (bytes 0xC3 0xB8), expected ISO 8859-1 text"),
    ("empty.txt", "empty.txt:1:1: delivery start: found an empty file, expected a BS002, LS002 or LS 000 record"),
    ("not_a_delivery.txt", "not_a_delivery.txt:1:1: delivery start: found 'Hello', expected a BS002, LS002 or LS 000 record"),
    ("bs0601_text_numbering.txt", "bs0601_text_numbering.txt:8:18: record no.: found '00003', expected '00002' (text records count from 00001 per payment)"),
    ("bs0601_name_without_payment.txt", "bs0601_name_without_payment.txt:13:28: customer no.: found 'AB123', expected '000000000010002' as in the BS022 record on line 9 (its BS042 payment record comes first)"),
    ("bs0601_net_amount_mismatch.txt", "bs0601_net_amount_mismatch.txt:20:43: amount: found '000000000209500', expected '000000000209400' (the net amount of the section's payments: collections minus deposits)"),
    ("ls0690_count_mismatch.txt", "ls0690_count_mismatch.txt:6:32: number of records: found '00000000005', expected '00000000004' (the number of detail records in the delivery)"),
    ("ls0690_unknown_code.txt", "ls0690_unknown_code.txt:3:14: transaction code: found '0911', expected 0900, 0910, 0920 or 0930 in an LS 0690 delivery"),
    ("ls0690_missing_ls992.txt", "ls0690_missing_ls992.txt:6:1: delivery end: found end of file, expected an LS992 record"),
    ("ls0602_bad_sign.txt", "ls0602_bad_sign.txt:3:56: sign code: found '3', expected 0, 1 or 2"),
    ("ls40_total_mismatch.txt", "ls40_total_mismatch.txt:11:31: collection total: found '0000000074901', expected '0000000074900' (the sum of the 580 amounts)"),
    ("ls40_wrong_length.txt", "ls40_wrong_length.txt:6:81: record length: found 81 characters, expected at most 80"),
    ("ls40_record_before_001.txt", "ls40_record_before_001.txt:2:1: record order: found a 580 record before any 001 record, expected a 001 record opening its payment date first"),
    ("ls30_missing_999.txt", "ls30_missing_999.txt:6:1: delivery end: found end of file, expected a 999 record"),
    ("ls30_impossible_date.txt", "ls30_impossible_date.txt:4:24: date: found '260230', expected a date YYMMDD"),
];

fn check(name: &str, expected: &str) -> Result<(), String> {
    let bytes = data(&format!("errors/{name}"));
    match parse_delivery(name, &bytes) {
        Ok(delivery) => Err(format!(
            "{name}: parsed as {} instead of failing",
            delivery.type_name()
        )),
        Err(error) if error.to_string() == expected => Ok(()),
        Err(error) => Err(format!(
            "{name}:\n  expected: {expected}\n     found: {error}"
        )),
    }
}

#[test]
fn every_fixture_gives_its_pinned_message() {
    let failures: Vec<String> = CATALOGUE
        .iter()
        .filter_map(|(name, expected)| check(name, expected).err())
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_fixture_in_the_errors_directory_is_in_the_catalogue() {
    let directory = data_path("errors");
    let mut unlisted = Vec::new();
    for entry in std::fs::read_dir(&directory).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if !CATALOGUE.iter().any(|(listed, _)| *listed == name) {
            unlisted.push(name);
        }
    }
    assert!(
        unlisted.is_empty(),
        "fixtures without a pinned message: {unlisted:?}"
    );
}

#[test]
fn a_file_over_the_size_limit_is_refused_before_it_is_read() {
    // Zeroed pages are not touched, so this costs no real memory.
    let huge = vec![0u8; MAX_FILE_BYTES + 1];
    let error = parse_delivery("huge.txt", &huge).unwrap_err();
    assert_eq!(
        error.to_string(),
        "huge.txt:1:1: file size: found 536870913 bytes, expected at most 536870912 bytes"
    );
}

#[test]
fn a_delivery_over_the_record_limit_is_refused() {
    let text = "BS002\nBS012\nBS042\n\nBS092\n";
    let mut lines = reader::Lines::new(text.as_bytes(), BS_WIDTH).with_max_records(3);
    let results: Vec<_> = lines.by_ref().collect();
    assert_eq!(
        results.len(),
        4,
        "three records, then the error, then nothing"
    );
    let error = results[3].clone().err().unwrap().in_file("big.txt");
    assert_eq!(
        error.to_string(),
        "big.txt:5:1: delivery size: found more than 3 records, expected at most 3 records in one delivery"
    );
}

#[test]
fn blank_and_envelope_lines_are_skipped_and_line_numbers_kept() {
    let mut text = String::from("PBCNET00 envelope\r\n\r\n   \r\n");
    text.push_str(&String::from_utf8(data("samples/bs0603_mandates.txt")).unwrap());
    text.push_str("PBCNET90 end of envelope\r\n");
    let with_envelope = parse_delivery("e.txt", text.as_bytes()).unwrap();
    assert_eq!(with_envelope, parse_data("samples/bs0603_mandates.txt"));
    // An error in such a file names the line as it is in the file, envelope included.
    let damaged = text.replacen("BS042099900010230", "BS042099900010X30", 1);
    let error = parse_delivery("e.txt", damaged.as_bytes()).unwrap_err();
    assert_eq!(error.line, 6);
}

#[test]
fn dates_use_the_century_pivot() {
    assert_eq!(reader::century_year(0), 2000);
    assert_eq!(reader::century_year(69), 2069);
    assert_eq!(reader::century_year(70), 1970);
    assert_eq!(reader::century_year(99), 1999);
}

#[test]
fn a_date_written_outside_the_two_digit_range_is_refused() {
    let Delivery::Bs0603(mut delivery) = parse_data("samples/bs0603_mandates.txt") else {
        panic!("expected a BS 0603");
    };
    delivery.sections[0].agreements[0].start_date = Some(date(2070, 1, 1));
    let error = render_bs0603(&delivery).unwrap_err();
    assert_eq!(
        error.to_string(),
        "cannot write line 3 (BS042): start date: found '2070-01-01', expected a year from 1970 to 2069"
    );
}

#[test]
fn values_that_do_not_fit_are_refused_not_cut() {
    let Delivery::Bs0601(mut delivery) = parse_data("samples/bs0601_collections.txt") else {
        panic!("expected a BS 0601");
    };
    delivery.sections[0].payments[0].customer_no = "1234567890123456".to_string();
    assert_eq!(
        render_bs0601(&delivery).unwrap_err().to_string(),
        "cannot write line 3 (BS022/0240): customer no.: found '1234567890123456', expected at most 15 characters"
    );
    delivery.sections[0].payments[0].customer_no = "10001".to_string();
    delivery.sections[0].payments[0].amount = ore(10_000_000_000_000);
    assert_eq!(
        render_bs0601(&delivery).unwrap_err().to_string(),
        "cannot write line 6 (BS042/0280): amount: found '10000000000000', expected at most 13 digits"
    );
    delivery.sections[0].payments[0].amount = ore(100);
    delivery.sections[0].payments[0].texts[0] = "two\nlines".to_string();
    assert_eq!(
        render_bs0601(&delivery).unwrap_err().to_string(),
        "cannot write line 7 (BS052/0241): text line: found 'two\nlines', expected text without control characters"
    );
    delivery.sections[0].payments[0].texts[0] = "ordinary".to_string();
    delivery.sections[1].payments[0].amount = ore(-100);
    assert_eq!(
        render_bs0601(&delivery).unwrap_err().to_string(),
        "cannot write line 25 (BS042/0285): amount: found '-1.00', expected no deposit (sign code 2) on a payment slip"
    );
}
