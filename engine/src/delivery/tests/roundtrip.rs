//! parse(render(x)) == x for every delivery type this module writes (reliability.md
//! "Property tests"), over generated deliveries; and the rendered text keeps the conventions
//! (CR LF after every record, no trailing blanks, records no wider than the format).

use proptest::prelude::*;

use super::generators;
use super::*;

/// Renders, checks the byte conventions, parses back.
fn round_trip(delivery: Delivery, width: usize) -> Result<(), TestCaseError> {
    let text = delivery
        .render()
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert!(text.ends_with("\r\n"));
    for record in text.split_terminator("\r\n") {
        prop_assert!(
            !record.contains('\n') && !record.contains('\r'),
            "{record:?}"
        );
        prop_assert!(!record.ends_with(' '), "trailing blank in {record:?}");
        prop_assert!(record.chars().count() <= width, "{record:?}");
        prop_assert!(record.chars().all(|c| u32::from(c) <= 0xFF));
    }
    let bytes = to_latin1(&text);
    let parsed = parse_delivery("generated.txt", &bytes)
        .map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
    prop_assert_eq!(&parsed, &delivery);
    prop_assert_eq!(parsed.key(), delivery.key());
    Ok(())
}

proptest! {
    #![proptest_config(super::proptest_config(128))]

    #[test]
    fn bs0601_round_trips(delivery in generators::bs0601()) {
        round_trip(Delivery::Bs0601(delivery), BS_WIDTH)?;
    }

    #[test]
    fn bs0602_round_trips(delivery in generators::bs0602()) {
        round_trip(Delivery::Bs0602(delivery), BS_WIDTH)?;
    }

    #[test]
    fn bs0603_round_trips(delivery in generators::bs0603()) {
        round_trip(Delivery::Bs0603(delivery), BS_WIDTH)?;
    }

    #[test]
    fn ls40_round_trips(delivery in generators::ls40()) {
        round_trip(Delivery::Ls40(delivery), LS_MATERIAL_WIDTH)?;
    }

    #[test]
    fn ls0690_round_trips(delivery in generators::ls0690()) {
        round_trip(Delivery::Ls0690(delivery), BS_WIDTH)?;
    }

    #[test]
    fn ls0602_round_trips(delivery in generators::ls0602()) {
        round_trip(Delivery::Ls0602(delivery), BS_WIDTH)?;
    }

    #[test]
    fn ls30_round_trips(delivery in generators::ls30()) {
        round_trip(Delivery::Ls30(delivery), LS_MATERIAL_WIDTH)?;
    }
}

/// A hand-built 0602 with the one record kind the sample lacks (022/0290 slip address).
#[test]
fn bs0602_slip_address_round_trips() {
    let line = |record_no: u32, text: &str| Bs0602SlipLine {
        record_no,
        customer_no: String::new(),
        slip_type: "73".to_string(),
        archive_reference: "1234567890123456789012".to_string(),
        text: text.to_string(),
    };
    let delivery = Bs0602Delivery {
        data_supplier_cvr: "99887766".to_string(),
        system_code: "BS1".to_string(),
        delivery_id: 1,
        created: Some(date(2026, 12, 2)),
        sections: vec![Bs0602Section {
            section: Bs0602SectionCode::SlipPayments,
            creditor_pbs: "09990001".to_string(),
            debtor_group: "00001".to_string(),
            data_supplier_ident: String::new(),
            date: Some(date(2026, 12, 2)),
            records: vec![
                Bs0602Record::SlipAddress(line(1, "Grete Sørensen")),
                Bs0602Record::SlipAddress(line(2, "Vestergade 1, 8000 Aarhus C")),
                Bs0602Record::SlipPayment(Bs0602SlipPayment {
                    code: Bs0602SlipCode::Completed,
                    customer_no: String::new(),
                    slip_type: "73".to_string(),
                    fee_deducted: false,
                    fee: ore(0),
                    payment_date: date(2026, 12, 1),
                    amount: ore(12345),
                    reference: String::new(),
                    archive_reference: "1234567890123456789012".to_string(),
                    actual_date: Some(date(2026, 12, 1)),
                    booking_date: Some(date(2026, 12, 3)),
                    paid_amount: ore(12345),
                }),
                Bs0602Record::SlipText(line(1, "Tak for sidst")),
            ],
        }],
    };
    let text = render_bs0602(&delivery).unwrap();
    let lines: Vec<&str> = text.split_terminator("\r\n").collect();
    assert_eq!(&lines[2][..29], "BS022099900010290001000010000");
    // BS092: one 042, the paid amount, one 052, two 022.
    assert_eq!(
        lines[6],
        "BS09209990001021500000001      0000000000100000000001234500000000001               00000000002"
    );
    let parsed = parse_delivery("x", &to_latin1(&text)).unwrap();
    assert_eq!(parsed, Delivery::Bs0602(delivery));
}

#[test]
fn a_record_in_the_wrong_section_is_refused_by_the_writer() {
    let Delivery::Bs0602(mut delivery) = parse_data("samples/bs0602_payments.txt") else {
        panic!("expected a BS 0602");
    };
    let slip = delivery.sections[2].records[0].clone();
    delivery.sections[0].records.push(slip);
    let error = render_bs0602(&delivery).unwrap_err();
    assert_eq!(error.line, 9);
    assert_eq!(error.expected, "a record that belongs in section 0211");
}
