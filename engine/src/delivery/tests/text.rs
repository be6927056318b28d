//! ISO 8859-1 decoding and encoding, normalized content and delivery keys.

use proptest::prelude::*;

use super::*;

#[test]
fn decode_refuses_control_bytes_with_line_column_and_hex() {
    assert_eq!(
        decode_latin1("a.txt", b"ab\tc\r\nSj\xe6l\xf8r\n").unwrap(),
        "ab\tc\r\nSjælør\n"
    );
    let error = decode_latin1("a.txt", b"line one\r\nline \x7ftwo\n").unwrap_err();
    assert_eq!(
        error.to_string(),
        "a.txt:2:6: character: found byte 0x7F, expected printable ISO 8859-1 text"
    );
    for refused in [0x00u8, 0x08, 0x0B, 0x0C, 0x0E, 0x1F, 0x7F, 0x80, 0x9F] {
        assert!(
            decode_latin1("x", &[b'a', refused]).is_err(),
            "0x{refused:02X}"
        );
    }
    for allowed in [0x09u8, 0x0A, 0x0D, 0x20, 0x7E, 0xA0, 0xFF] {
        assert!(
            decode_latin1("x", &[b'a', allowed]).is_ok(),
            "0x{allowed:02X}"
        );
    }
}

#[test]
fn encode_substitutes_what_iso_8859_1_lacks() {
    assert_eq!(to_latin1("Søren Ærø"), b"S\xf8ren \xc6r\xf8");
    assert_eq!(
        to_latin1("‘a’ “b” – — … € ✓ 中"),
        b"'a' \"b\" - - ... EUR ? ?"
    );
    assert_eq!(substitute("plain æøå"), "plain æøå");
    assert!(matches!(substitute("plain"), std::borrow::Cow::Borrowed(_)));
}

#[test]
fn the_writer_measures_a_field_after_substitution() {
    let Delivery::Bs0601(mut delivery) = parse_data("samples/bs0601_collections.txt") else {
        panic!("expected a BS 0601");
    };
    // 6 characters fit the 9 of a 0285 reference, but "…" becomes "..." and "€" "EUR": 12.
    delivery.sections[1].payments[0].reference = "Ref…€€".to_string();
    let error = render_bs0601(&delivery).unwrap_err();
    assert_eq!(error.found, "Ref...EUREUR");
    assert_eq!(error.expected, "at most 9 characters");
    delivery.sections[1].payments[0].reference = "R…".to_string();
    let text = render_bs0601(&delivery).unwrap();
    assert!(text.contains("R...   "), "{text}");
}

proptest! {
    #![proptest_config(super::proptest_config(256))]

    #[test]
    fn decoding_what_was_encoded_gives_the_text_back(
        text in "[ -~\u{a0}-\u{ff}\r\n\t]{0,200}"
    ) {
        prop_assert_eq!(decode_latin1("p", &to_latin1(&text)).unwrap(), text);
    }
}

#[test]
fn normalized_content_ignores_line_ends_padding_blank_and_envelope_lines() {
    let crlf = "BS002 x\r\nBS992 y\r\n";
    let padded_lf = "PBCNET00\nBS002 x      \n\n   \nBS992 y   \nPBCNET90";
    assert_eq!(normalized_content(crlf), "BS002 x\nBS992 y\n");
    assert_eq!(normalized_content(crlf), normalized_content(padded_lf));
    assert_ne!(
        normalized_content(crlf),
        normalized_content("BS002 x\r\nBS992 z\r\n")
    );
}

#[test]
fn bs_keys_come_from_the_start_record() {
    assert_eq!(
        parse_data("samples/bs0603_mandates.txt").key(),
        DeliveryKey {
            data_supplier: "99887766".to_string(),
            system_code: "BS1".to_string(),
            delivery_type: "0603".to_string(),
            delivery_id: "0000004712".to_string(),
            created: Some(date(2026, 12, 2)),
        }
    );
}

#[test]
fn ls_keys_follow_the_content_not_the_line_ends() {
    let crlf = data("ls0690_receipt.txt");
    let lf_padded: Vec<u8> = String::from_utf8(crlf.clone())
        .unwrap()
        .split_terminator("\r\n")
        .flat_map(|line| format!("{line:<128}\n").into_bytes())
        .collect();
    let a = parse_delivery("a", &crlf).unwrap().key();
    let b = parse_delivery("b", &lf_padded).unwrap().key();
    assert_eq!(a, b);
    assert_eq!(
        (a.system_code.as_str(), a.delivery_type.as_str()),
        ("LS", "0690")
    );
    assert!(a.delivery_id.starts_with("content-"), "{}", a.delivery_id);
    // One amount changed: the same day, a different delivery.
    let changed = String::from_utf8(crlf)
        .unwrap()
        .replacen("0000000174900", "0000000174901", 1);
    let c = parse_delivery("c", changed.as_bytes()).unwrap().key();
    assert_ne!(a.delivery_id, c.delivery_id);
    assert_eq!(a.created, c.created);
}

#[test]
fn bs_0602_and_ls_0602_are_told_apart_by_the_prefix() {
    assert!(matches!(
        parse_data("samples/bs0602_payments.txt"),
        Delivery::Bs0602(_)
    ));
    assert!(matches!(
        parse_data("ls0602_payments.txt"),
        Delivery::Ls0602(_)
    ));
}
