//! The reference samples and the hand-written LS fixtures parse to the values their tables
//! say, and re-render byte for byte.

use super::*;

fn bs0602() -> Bs0602Delivery {
    match parse_data("samples/bs0602_payments.txt") {
        Delivery::Bs0602(delivery) => delivery,
        other => panic!("expected a BS 0602, got {}", other.type_name()),
    }
}

fn payments(section: &Bs0602Section) -> Vec<&Bs0602Payment> {
    section
        .records
        .iter()
        .filter_map(|record| match record {
            Bs0602Record::Payment(p) => Some(p),
            _ => None,
        })
        .collect()
}

#[test]
fn bs0602_padded_lf_variant_parses_to_the_same_delivery_and_content() {
    let trimmed_crlf = data("samples/bs0602_payments.txt");
    let padded_lf = data("samples/bs0602_payments_padded_lf.txt");
    assert_ne!(
        trimmed_crlf, padded_lf,
        "the two samples must differ in bytes"
    );
    let a = parse_delivery("a", &trimmed_crlf).unwrap();
    let b = parse_delivery("b", &padded_lf).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.key(), b.key());
    let text_a = decode_latin1("a", &trimmed_crlf).unwrap();
    let text_b = decode_latin1("b", &padded_lf).unwrap();
    assert_eq!(normalized_content(&text_a), normalized_content(&text_b));
}

#[test]
fn bs0602_header_sections_and_totals() {
    let d = bs0602();
    assert_eq!(d.data_supplier_cvr, "99887766");
    assert_eq!(d.system_code, "BS1");
    assert_eq!(d.delivery_id, 4711);
    assert_eq!(d.created, Some(date(2026, 12, 2)));
    let shape: Vec<_> = d
        .sections
        .iter()
        .map(|s| (s.section.code(), s.debtor_group.as_str(), s.records.len()))
        .collect();
    assert_eq!(
        shape,
        [
            ("0211", "00001", 6),
            ("0211", "00002", 2),
            ("0215", "00001", 4)
        ]
    );
    assert!(d.sections.iter().all(|s| s.creditor_pbs == "09990001"));
}

#[test]
fn bs0602_automatic_payment_records() {
    let d = bs0602();
    let p = payments(&d.sections[0]);
    let codes: Vec<_> = p.iter().map(|p| p.code.code()).collect();
    assert_eq!(codes, ["0236", "0236", "0236", "0237", "0238", "0239"]);

    // A completed payment: paid as charged, actual and booking date filled.
    assert_eq!(p[0].customer_no, "000000000010001");
    assert_eq!(p[0].agreement_no, "000100001");
    assert_eq!(p[0].payment_date, date(2026, 12, 1));
    assert_eq!((p[0].amount, p[0].paid_amount), (ore(49900), ore(49900)));
    assert_eq!(p[0].reference, "INV-2026-1201");
    assert_eq!(p[0].actual_date, Some(date(2026, 12, 1)));

    // The alphanumeric customer number comes back right-aligned with zeros.
    assert_eq!(p[1].customer_no, "0000000000AB123");

    // Sign code 2 makes both amounts negative.
    assert_eq!(p[2].reference, "CREDIT-NOTE-7");
    assert_eq!((p[2].amount, p[2].paid_amount), (ore(-10000), ore(-10000)));

    // Rejected and cancelled: the amount stays, nothing was paid, no dates.
    for rejected_or_cancelled in [p[3], p[4]] {
        assert!(rejected_or_cancelled.amount.is_positive());
        assert_eq!(rejected_or_cancelled.paid_amount, ore(0));
        assert_eq!(rejected_or_cancelled.actual_date, None);
        assert_eq!(rejected_or_cancelled.booking_date, None);
    }

    // The charge-back, every field.
    assert_eq!(
        *p[5],
        Bs0602Payment {
            code: Bs0602PaymentCode::ChargedBack,
            customer_no: "000000000010005".into(),
            agreement_no: "000100005".into(),
            payment_date: date(2026, 11, 1),
            amount: ore(59900),
            reference: "INV-2026-1101".into(),
            actual_date: Some(date(2026, 11, 25)),
            booking_date: Some(date(2026, 11, 26)),
            paid_amount: ore(59900),
        }
    );
}

#[test]
fn bs0602_slip_section_records() {
    let d = bs0602();
    let records = &d.sections[2].records;
    let Bs0602Record::SlipPayment(with_fee) = &records[1] else {
        panic!("expected a slip payment, got {:?}", records[1]);
    };
    assert_eq!(
        *with_fee,
        Bs0602SlipPayment {
            code: Bs0602SlipCode::Completed,
            customer_no: "000000000010008".to_string(),
            slip_type: "75".to_string(),
            fee_deducted: true,
            fee: ore(500),
            payment_date: date(2026, 12, 1),
            amount: ore(20000),
            reference: "FAKT10008".to_string(),
            archive_reference: "2026120400009876543210".to_string(),
            actual_date: Some(date(2026, 12, 4)),
            booking_date: Some(date(2026, 12, 8)),
            paid_amount: ore(20000),
        }
    );
    // The free text comes right after its payment, with the ø decoded from ISO 8859-1.
    let Bs0602Record::SlipText(text) = &records[2] else {
        panic!("expected a slip text, got {:?}", records[2]);
    };
    assert_eq!(text.record_no, 1);
    assert_eq!(text.customer_no, "000000000010008");
    assert_eq!(text.text, "Betaling for december - Søren");
    let Bs0602Record::SlipPayment(charged_back) = &records[3] else {
        panic!("expected a slip payment, got {:?}", records[3]);
    };
    assert_eq!(charged_back.code, Bs0602SlipCode::ChargedBack);
    assert_eq!(charged_back.slip_type, "71");
}

#[test]
fn bs0603_sample() {
    let Delivery::Bs0603(d) = parse_data("samples/bs0603_mandates.txt") else {
        panic!("expected a BS 0603");
    };
    assert_eq!(d.delivery_id, 4712);
    assert!(d.warnings.is_empty());
    let sections: Vec<_> = d.sections.iter().map(|s| s.section).collect();
    assert_eq!(
        sections,
        [
            Bs0603SectionCode::ActiveAgreements,
            Bs0603SectionCode::RegisteredAndCancelled,
            Bs0603SectionCode::ActiveSlipAgreements
        ]
    );
    let active = &d.sections[0].agreements;
    assert_eq!(active.len(), 3);
    assert_eq!(active[1].customer_no, "0000000000AB123");
    // A notified future end date.
    assert_eq!(active[2].start_date, Some(date(2026, 1, 1)));
    assert_eq!(active[2].end_date, Some(date(2026, 12, 31)));
    assert_eq!(active[0].end_date, None);
    let codes: Vec<_> = d.sections[1].agreements.iter().map(|a| a.code).collect();
    assert_eq!(
        codes,
        [
            Bs0603Code::Registered,
            Bs0603Code::CancelledByBank,
            Bs0603Code::CancelledByCreditor,
            Bs0603Code::CancelledByBetalingsservice
        ]
    );
    assert_eq!(
        d.sections[1].agreements[1].end_date,
        Some(date(2026, 11, 30))
    );
    assert_eq!(d.sections[2].agreements[0].agreement_no, "999999999");
}

#[test]
fn bs0603_unknown_section_is_a_warning_and_still_counted() {
    let Delivery::Bs0603(d) = parse_data("bs0603_unknown_section.txt") else {
        panic!("expected a BS 0603");
    };
    assert_eq!(d.sections.len(), 3);
    assert_eq!(
        d.warnings,
        [ParseWarning {
            line: 16,
            column: 14,
            message: "section 0217 is not supported: its 2 records (lines 16-19) were skipped"
                .to_string()
        }]
    );
    // The skipped section's records still count: drop one and the BS092 check refuses it.
    let text = String::from_utf8(data("bs0603_unknown_section.txt")).unwrap();
    let damaged: String = text
        .split_inclusive("\r\n")
        .filter(|line| !line.contains("goes in here"))
        .collect();
    let error = parse_delivery("x.txt", damaged.as_bytes()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "x.txt:18:32: number of 042 records: found '00000000002', expected '00000000001' (the number of 042 records in the section)"
    );
}

#[test]
fn bs0601_sample() {
    let Delivery::Bs0601(d) = parse_data("samples/bs0601_collections.txt") else {
        panic!("expected a BS 0601");
    };
    assert_eq!(d.delivery_id, 42);
    assert_eq!(d.created, Some(date(2026, 11, 15)));
    let payments_section = &d.sections[0];
    assert_eq!(payments_section.section, Bs0601SectionCode::Payments);
    assert_eq!(payments_section.date, Some(date(2026, 11, 15)));
    assert_eq!(
        (
            payments_section.reg_no.as_str(),
            payments_section.account_no.as_str()
        ),
        ("9999", "0000123456")
    );
    assert_eq!(payments_section.main_text, "Eksempel Forsyning A/S");
    let first = &payments_section.payments[0];
    assert_eq!(first.customer_no, "10001");
    assert_eq!(
        first.name_address,
        ["Jens Ørsted Hansen", "Æblevej 12, 2. tv."]
    );
    assert_eq!(first.postcode.as_deref(), Some("2100"));
    assert_eq!(first.amount, ore(49900));
    assert_eq!(first.texts[1], "Beløb inkl. moms: 499,00 kr.");
    // The same customer number may be sent right-aligned with zeros.
    assert_eq!(payments_section.payments[1].customer_no, "000000000010002");
    let swedish = &payments_section.payments[2];
    assert_eq!(swedish.name_address[2], "211 20 Malmö");
    assert_eq!(
        (swedish.postcode.as_deref(), swedish.country.as_deref()),
        (Some("0000"), Some("SE"))
    );
    assert!(swedish.texts.is_empty());

    let slips = &d.sections[1];
    assert_eq!(slips.section, Bs0601SectionCode::ShortNoticeSlips);
    assert_eq!(slips.main_text, "");
    assert_eq!(slips.payments[0].reference, "RYK-10005");
    assert_eq!(slips.payments[0].payment_date, date(2026, 12, 15));
    assert_eq!(bs0601_net_amount(&payments_section.payments), 209400);
}

#[test]
fn every_sample_and_ls_fixture_re_renders_byte_for_byte() {
    for name in [
        "samples/bs0601_collections.txt",
        "samples/bs0602_payments.txt",
        "samples/bs0603_mandates.txt",
        "ls0690_receipt.txt",
        "ls0602_payments.txt",
        "ls40_payments.txt",
        "ls30_mandates.txt",
    ] {
        let bytes = data(name);
        let rendered = parse_data(name).render().unwrap();
        assert_eq!(to_latin1(&rendered), bytes, "{name}");
    }
}

#[test]
fn ls0690_fixture() {
    let Delivery::Ls0690(d) = parse_data("ls0690_receipt.txt") else {
        panic!("expected an LS 0690");
    };
    assert!(!d.test);
    assert_eq!(d.created, Some(date(2026, 12, 2)));
    assert_eq!(
        d.records[0],
        Ls0690Record::Receipt(Ls0690Receipt {
            creditor_no: "12345".to_string(),
            debtors: 3,
            payment_date: date(2026, 12, 1),
            creditor_reg_no: "9999".to_string(),
            creditor_account_no: "0000123456".to_string(),
            collections: 2,
            collection_amount: ore(174900),
            payouts: 1,
            payout_amount: ore(10000),
        })
    );
    let Ls0690Record::Remark(remark) = &d.records[1] else {
        panic!("expected a remark");
    };
    assert_eq!(
        (
            remark.remark_code.as_str(),
            remark.customer_no.as_str(),
            remark.error_no.as_str()
        ),
        ("012", "000000000020004", "0417")
    );
    assert_eq!(remark.amount, ore(50000));
    let Ls0690Record::Comment(comment) = &d.records[2] else {
        panic!("expected a comment");
    };
    assert_eq!(comment.payment_date, Some(date(2026, 12, 1)));
    let Ls0690Record::Change(change) = &d.records[3] else {
        panic!("expected a change");
    };
    assert_eq!(change.new_creditor_no, "54321");
    assert_eq!(change.new_customer_no, "0000000000AB777");
}

#[test]
fn ls0602_fixture() {
    let Delivery::Ls0602(d) = parse_data("ls0602_payments.txt") else {
        panic!("expected an LS 0602 (not a BS 0602: the prefix decides)");
    };
    assert!(d.test);
    let Ls0602Record::Task(task) = &d.records[0] else {
        panic!("expected the 0500 task record first");
    };
    assert_eq!(task.amounts, [ore(74900), ore(-10000), ore(64900)]);
    let codes: Vec<_> = d.records[1..]
        .iter()
        .map(|r| match r {
            Ls0602Record::Payment(p) => (p.code, p.amount),
            Ls0602Record::Task(_) => panic!("one task record only"),
        })
        .collect();
    assert_eq!(
        codes,
        [
            (Ls0602PaymentCode::Collected, ore(49900)),
            (Ls0602PaymentCode::Collected, ore(25000)),
            (Ls0602PaymentCode::PaidOut, ore(-10000)),
            (Ls0602PaymentCode::Rejected, ore(50000)),
            (Ls0602PaymentCode::Cancelled, ore(12300)),
            (Ls0602PaymentCode::ChargedBack, ore(45600)),
        ]
    );
}

#[test]
fn ls40_fixture() {
    let Delivery::Ls40(d) = parse_data("ls40_payments.txt") else {
        panic!("expected an LS type 40");
    };
    assert_eq!(d.creditor_no, "12345");
    assert_eq!(d.created, date(2026, 11, 20));
    let dates: Vec<_> = d.groups.iter().map(|g| g.payment_date).collect();
    assert_eq!(
        dates,
        [None, Some(date(2026, 12, 1)), Some(date(2026, 12, 15))]
    );
    assert_eq!(
        d.groups[0].records,
        [
            Ls40Record::NewMandate(Ls40NewMandate {
                customer_no: "000000000020007".to_string(),
                debtor_reg_no: "1234".to_string(),
                debtor_account_no: "0001234567".to_string(),
                debtor_cvr: "12345678".to_string(),
            }),
            Ls40Record::CancelMandate {
                customer_no: "000000000020008".to_string()
            },
        ]
    );
    assert_eq!(
        d.groups[1].records[2],
        Ls40Record::Payment(Ls40Payment {
            kind: Ls40PaymentKind::Payout,
            customer_no: "000000000020003".to_string(),
            amount: ore(10000),
        })
    );
}

#[test]
fn ls30_fixture() {
    let Delivery::Ls30(d) = parse_data("ls30_mandates.txt") else {
        panic!("expected an LS type 30");
    };
    assert_eq!(d.cvr_check, "7");
    assert_eq!(d.data_supplier_no, "DS0000000042");
    let kinds: Vec<_> = d.mandates.iter().map(|m| (m.kind, m.date)).collect();
    assert_eq!(
        kinds,
        [
            (Ls30MandateKind::Active, Some(date(2026, 1, 1))),
            (Ls30MandateKind::Added, Some(date(2026, 12, 1))),
            (Ls30MandateKind::Removed, Some(date(2026, 11, 30))),
        ]
    );
}
