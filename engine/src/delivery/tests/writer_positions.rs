//! The 0601 writer's output checked field by field against the position tables of
//! formats.md §2, for a payment with every record kind (name/address lines, postcode,
//! CPR/CVR, texts) and a deposit (sign code 2).

use super::*;

fn delivery() -> Bs0601Delivery {
    Bs0601Delivery {
        data_supplier_cvr: "12345678".to_string(),
        system_code: "BS1".to_string(),
        delivery_id: 7,
        created: Some(date(2026, 11, 15)),
        sections: vec![Bs0601Section {
            section: Bs0601SectionCode::Payments,
            creditor_pbs: "00012345".to_string(),
            debtor_group: "00002".to_string(),
            data_supplier_ident: "KUNDE-7".to_string(),
            date: Some(date(2026, 11, 15)),
            reg_no: "1234".to_string(),
            account_no: "0001234567".to_string(),
            main_text: "Main text".to_string(),
            payments: vec![Bs0601Payment {
                customer_no: "C-1".to_string(),
                agreement_no: "000000017".to_string(),
                payment_date: date(2026, 12, 1),
                amount: ore(-12345),
                reference: "REF-1".to_string(),
                name_address: vec!["Name Å".to_string(), "Street 1".to_string()],
                postcode: Some("8000".to_string()),
                country: None,
                cpr_cvr: Some("0012345678".to_string()),
                texts: vec!["Text one".to_string(), "Text two".to_string()],
            }],
        }],
    }
}

/// Positions `from..=to` (1-based) of a record, padded with blanks to 128.
fn field(record: &str, from: usize, to: usize) -> String {
    format!("{record:<128}")
        .chars()
        .skip(from - 1)
        .take(to + 1 - from)
        .collect()
}

fn blanks(from: usize, to: usize) -> String {
    " ".repeat(to + 1 - from)
}

#[test]
fn bs0601_fields_are_where_formats_md_puts_them() {
    let text = render_bs0601(&delivery()).unwrap();
    assert!(text.ends_with("\r\n"));
    let records: Vec<&str> = text.split_terminator("\r\n").collect();
    let expect = |line: usize, from: usize, to: usize, value: &str| {
        assert_eq!(
            field(records[line - 1], from, to),
            value,
            "line {line}, positions {from}-{to}: {:?}",
            records[line - 1]
        );
    };
    assert_eq!(records.len(), 11);

    // BS002
    expect(1, 1, 5, "BS002");
    expect(1, 6, 13, "12345678");
    expect(1, 14, 16, "BS1");
    expect(1, 17, 20, "0601");
    expect(1, 21, 30, "0000000007");
    expect(1, 31, 49, &blanks(31, 49));
    expect(1, 50, 55, "151126");
    assert_eq!(records[0].len(), 55, "trailing blanks stripped");

    // BS012 section 0112
    expect(2, 1, 5, "BS012");
    expect(2, 6, 13, "00012345");
    expect(2, 14, 17, "0112");
    expect(2, 18, 22, &blanks(18, 22));
    expect(2, 23, 27, "00002");
    expect(2, 28, 42, "KUNDE-7        ");
    expect(2, 43, 46, &blanks(43, 46));
    expect(2, 47, 54, "15112026");
    expect(2, 55, 58, "1234");
    expect(2, 59, 68, "0001234567");
    expect(2, 69, 128, &format!("{:<60}", "Main text"));

    // BS022/0240 records 00001 and 00002
    for (line, number, text) in [(3, "00001", "Name Å"), (4, "00002", "Street 1")] {
        expect(line, 1, 5, "BS022");
        expect(line, 6, 13, "00012345");
        expect(line, 14, 17, "0240");
        expect(line, 18, 22, number);
        expect(line, 23, 27, "00002");
        expect(line, 28, 42, "C-1            ");
        expect(line, 43, 51, "000000000");
        expect(line, 52, 86, &format!("{text:<35}"));
        expect(line, 87, 128, &blanks(87, 128));
    }

    // BS022/0240 record 00009: postcode, blank country (Denmark)
    expect(5, 18, 22, "00009");
    expect(5, 43, 51, "000000000");
    expect(5, 52, 66, &blanks(52, 66));
    expect(5, 67, 70, "8000");
    expect(5, 71, 73, "   ");

    // BS022/0240 record 00010: CPR/CVR
    expect(6, 18, 22, "00010");
    expect(6, 28, 42, "C-1            ");
    expect(6, 43, 82, &blanks(43, 82));
    expect(6, 83, 92, "0012345678");

    // BS042/0280: a deposit, sign code 2, the amount unsigned
    expect(7, 1, 5, "BS042");
    expect(7, 14, 17, "0280");
    expect(7, 18, 22, "00000");
    expect(7, 23, 27, "00002");
    expect(7, 28, 42, "C-1            ");
    expect(7, 43, 51, "000000017");
    expect(7, 52, 59, "01122026");
    expect(7, 60, 60, "2");
    expect(7, 61, 73, "0000000012345");
    expect(7, 74, 103, &format!("{:<30}", "REF-1"));
    expect(7, 104, 105, "00");
    assert_eq!(records[6].len(), 105);

    // BS052/0241 texts, numbered from 00001 for the payment
    for (line, number, text) in [(8, "00001", "Text one"), (9, "00002", "Text two")] {
        expect(line, 1, 5, "BS052");
        expect(line, 14, 17, "0241");
        expect(line, 18, 22, number);
        expect(line, 28, 42, "C-1            ");
        expect(line, 43, 51, "000000017");
        expect(line, 52, 52, " ");
        expect(line, 53, 112, &format!("{text:<60}"));
    }

    // BS092: counts, and the net amount (a lone deposit: its absolute value)
    expect(10, 1, 5, "BS092");
    expect(10, 6, 13, "00012345");
    expect(10, 14, 17, "0112");
    expect(10, 18, 22, "00000");
    expect(10, 23, 27, "00002");
    expect(10, 28, 31, &blanks(28, 31));
    expect(10, 32, 42, "00000000001");
    expect(10, 43, 57, "000000000012345");
    expect(10, 58, 68, "00000000002");
    expect(10, 69, 83, &blanks(69, 83));
    expect(10, 84, 94, "00000000004");

    // BS992: zeros (not blanks) in the fillers
    expect(11, 1, 5, "BS992");
    expect(11, 6, 13, "12345678");
    expect(11, 14, 16, "BS1");
    expect(11, 17, 20, "0601");
    expect(11, 21, 31, "00000000001");
    expect(11, 32, 42, "00000000001");
    expect(11, 43, 57, "000000000012345");
    expect(11, 58, 68, "00000000002");
    expect(11, 69, 83, &"0".repeat(15));
    expect(11, 84, 94, "00000000004");
    expect(11, 95, 128, &"0".repeat(34));

    // And the file reads back.
    let parsed = parse_delivery("x", &to_latin1(&text)).unwrap();
    assert_eq!(parsed, Delivery::Bs0601(delivery()));
}

#[test]
fn net_amount_is_collections_minus_deposits() {
    let mut d = delivery();
    let payment = d.sections[0].payments[0].clone();
    let with = |amount: i64| Bs0601Payment {
        amount: ore(amount),
        ..payment.clone()
    };
    d.sections[0].payments = vec![with(50000), with(-12345), with(0), with(100)];
    assert_eq!(
        bs0601_net_amount(&d.sections[0].payments),
        50000 - 12345 + 100
    );
    d.sections[0].payments = vec![with(100), with(-500)];
    assert_eq!(bs0601_net_amount(&d.sections[0].payments), 400);
    let text = render_bs0601(&d).unwrap();
    assert!(text.contains("00000000002000000000000400"), "{text}");
    assert!(parse_delivery("x", &to_latin1(&text)).is_ok());
}

#[test]
fn section_start_reg_and_account_may_be_blank_as_in_the_2025_layout() {
    let mut d = delivery();
    d.sections[0].reg_no = String::new();
    d.sections[0].account_no = String::new();
    let text = render_bs0601(&d).unwrap();
    let section_start = text.split("\r\n").nth(1).unwrap();
    assert_eq!(field(section_start, 55, 68), blanks(55, 68));
    assert_eq!(
        parse_delivery("x", &to_latin1(&text)).unwrap(),
        Delivery::Bs0601(d)
    );
}
