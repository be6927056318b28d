//! The bank simulator: rates, determinism, the shape of each outcome, and that what it writes
//! reads back.

use super::*;

fn options(seed: u64) -> SimulationOptions {
    SimulationOptions {
        seed,
        reject_ppm: 20_000,
        cancel_ppm: 10_000,
        chargeback_ppm: 5_000,
        difference_ppm: 5_000,
        delivery_id: 4711,
        created: date(2026, 12, 2),
    }
}

fn quiet() -> SimulationOptions {
    SimulationOptions {
        reject_ppm: 0,
        cancel_ppm: 0,
        chargeback_ppm: 0,
        difference_ppm: 0,
        ..options(1)
    }
}

fn sample_0601() -> Bs0601Delivery {
    match parse_data("samples/bs0601_collections.txt") {
        Delivery::Bs0601(delivery) => delivery,
        other => panic!("expected a BS 0601, got {}", other.type_name()),
    }
}

/// A 0601 with `count` payments (every tenth a deposit) in one 0112 section.
fn large_0601(count: usize) -> Bs0601Delivery {
    let mut delivery = sample_0601();
    delivery.sections.truncate(1);
    let template = delivery.sections[0].payments[0].clone();
    delivery.sections[0].payments = (0..count)
        .map(|i| Bs0601Payment {
            customer_no: format!("{}", 100_000 + i),
            amount: ore(if i % 10 == 9 { -1000 } else { 1000 + i as i64 }),
            reference: format!("INV-{i}"),
            ..template.clone()
        })
        .collect();
    delivery
}

/// Renders and parses back: what the simulator writes must be a valid delivery.
fn reparse(delivery: &Bs0602Delivery) -> Bs0602Delivery {
    let text = render_bs0602(delivery).unwrap();
    match parse_delivery("sim.txt", &to_latin1(&text)).unwrap() {
        Delivery::Bs0602(parsed) => parsed,
        other => panic!("expected a BS 0602, got {}", other.type_name()),
    }
}

fn payments(delivery: &Bs0602Delivery) -> Vec<Bs0602Payment> {
    delivery
        .sections
        .iter()
        .flat_map(|s| &s.records)
        .filter_map(|r| match r {
            Bs0602Record::Payment(p) => Some(p.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn parse_rate_reads_decimals_without_floats() {
    for (text, ppm) in [
        ("0", 0),
        ("1", 1_000_000),
        ("0.02", 20_000),
        ("0.5", 500_000),
        ("0.000001", 1),
        ("1.000000", 1_000_000),
        ("00.25", 250_000),
    ] {
        assert_eq!(parse_rate(text), Ok(ppm), "{text}");
    }
    for text in [
        "",
        ".5",
        "1.",
        "1.1",
        "2",
        "-0.1",
        "0.0000001",
        "0,02",
        "1e-2",
        " 0.1",
        "abc",
    ] {
        assert!(parse_rate(text).is_err(), "{text:?} must be refused");
    }
    assert_eq!(
        parse_rate("2").unwrap_err().to_string(),
        "'2' is not a rate: expected a number from 0 to 1 with at most 6 decimals, like 0.02"
    );
}

#[test]
fn splitmix64_matches_the_reference_sequence() {
    let mut rng = SplitMix64::new(0);
    assert_eq!(rng.next_u64(), 0xE220_A839_7B1D_CDAF);
    assert_eq!(rng.next_u64(), 0x6E78_9E6A_A1B9_65F4);
}

#[test]
fn without_incidents_every_payment_is_completed_as_charged() {
    let sent = sample_0601();
    let answer = simulate_bs0602(&sent, &quiet());
    assert_eq!(reparse(&answer), answer);
    assert_eq!(answer.delivery_id, 4711);
    assert_eq!(answer.created, Some(date(2026, 12, 2)));
    let sections: Vec<_> = answer.sections.iter().map(|s| s.section).collect();
    assert_eq!(
        sections,
        [
            Bs0602SectionCode::AutomaticPayments,
            Bs0602SectionCode::SlipPayments
        ]
    );
    let returned = payments(&answer);
    assert_eq!(returned.len(), 3);
    for (sent, got) in sent.sections[0].payments.iter().zip(&returned) {
        assert_eq!(got.code, Bs0602PaymentCode::Completed);
        assert_eq!(got.paid_amount, sent.amount);
        assert_eq!(got.reference, sent.reference);
        assert_eq!(got.actual_date, Some(sent.payment_date));
        assert_eq!(
            customer_no_key(&got.customer_no),
            customer_no_key(&sent.customer_no)
        );
    }
    assert_eq!(returned[2].customer_no, "0000000000AB123");
    let Bs0602Record::SlipPayment(slip) = &answer.sections[1].records[0] else {
        panic!("expected a slip payment");
    };
    assert_eq!(
        (slip.code, slip.reference.as_str()),
        (Bs0602SlipCode::Completed, "RYK-10005")
    );
}

#[test]
fn each_outcome_has_its_shape() {
    let sent = large_0601(20_000);
    let answer = simulate_bs0602(&sent, &options(7));
    let returned = reparse(&answer);
    assert_eq!(returned, answer);
    let returned = payments(&returned);
    assert_eq!(returned.len(), 20_000, "one 0602 record per 0601 payment");
    let mut counts = std::collections::HashMap::new();
    let mut differences = 0;
    for (sent, got) in sent.sections[0].payments.iter().zip(&returned) {
        *counts.entry(got.code).or_insert(0) += 1;
        assert_eq!(got.amount, sent.amount);
        assert_eq!(got.reference, sent.reference);
        match got.code {
            Bs0602PaymentCode::Rejected | Bs0602PaymentCode::Cancelled => {
                assert_eq!(
                    (got.paid_amount, got.actual_date, got.booking_date),
                    (ore(0), None, None)
                );
            }
            Bs0602PaymentCode::ChargedBack => {
                assert_eq!(got.paid_amount, sent.amount);
                let days = (got.actual_date.unwrap() - sent.payment_date).num_days();
                assert!((3..=10).contains(&days), "{days}");
            }
            Bs0602PaymentCode::Completed if got.paid_amount != sent.amount => {
                differences += 1;
                let (paid, charged) = (got.paid_amount.ore(), sent.amount.ore());
                assert!(paid.signum() == charged.signum() && paid.abs() < charged.abs());
            }
            Bs0602PaymentCode::Completed => {}
        }
    }
    // 2 %, 1 %, 0.5 % and 0.5 % of 20,000, within generous bounds (the seed is fixed, so
    // this is deterministic; the bounds only guard against a wrong comparison order).
    let around = |count: usize, expected: usize| count > expected / 2 && count < expected * 2;
    assert!(
        around(counts[&Bs0602PaymentCode::Rejected], 400),
        "{counts:?}"
    );
    assert!(
        around(counts[&Bs0602PaymentCode::Cancelled], 200),
        "{counts:?}"
    );
    assert!(
        around(counts[&Bs0602PaymentCode::ChargedBack], 100),
        "{counts:?}"
    );
    assert!(around(differences, 100), "{differences}");
}

#[test]
fn the_same_seed_gives_the_same_answer_and_another_seed_another() {
    let sent = large_0601(2_000);
    assert_eq!(
        simulate_bs0602(&sent, &options(3)),
        simulate_bs0602(&sent, &options(3))
    );
    assert_ne!(
        simulate_bs0602(&sent, &options(3)),
        simulate_bs0602(&sent, &options(4))
    );
}

#[test]
fn all_rejected_leaves_slips_unpaid() {
    let everything_rejected = SimulationOptions {
        reject_ppm: 1_000_000,
        ..quiet()
    };
    let answer = simulate_bs0602(&sample_0601(), &everything_rejected);
    assert_eq!(
        answer.sections.len(),
        1,
        "the 0215 section has nothing to report"
    );
    assert!(payments(&answer)
        .iter()
        .all(|p| p.code == Bs0602PaymentCode::Rejected));
    assert_eq!(reparse(&answer), answer);
}

#[test]
fn ls_answers_read_back() {
    let Delivery::Ls40(sent) = parse_data("ls40_payments.txt") else {
        panic!("expected an LS type 40");
    };
    let (receipt, information) = simulate_ls(&sent, &quiet());
    let receipt_text = render_ls0690(&receipt).unwrap();
    let information_text = render_ls0602(&information).unwrap();
    assert_eq!(
        parse_delivery("r", &to_latin1(&receipt_text)).unwrap(),
        Delivery::Ls0690(receipt.clone())
    );
    assert_eq!(
        parse_delivery("i", &to_latin1(&information_text)).unwrap(),
        Delivery::Ls0602(information.clone())
    );
    // One receipt per payment date with payments: 1 December (3) and 15 December (a stop).
    let receipts: Vec<_> = receipt
        .records
        .iter()
        .map(|r| match r {
            Ls0690Record::Receipt(r) => (
                r.payment_date,
                r.collections,
                r.collection_amount,
                r.payouts,
                r.payout_amount,
            ),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(
        receipts,
        [
            (date(2026, 12, 1), 2, ore(74900), 1, ore(10000)),
            (date(2026, 12, 15), 1, ore(0), 0, ore(0)),
        ]
    );
    // The 0602: a task record, two completed collections, one completed payout (negative);
    // the zero-amount stop order gets no record.
    let codes: Vec<_> = information
        .records
        .iter()
        .map(|r| match r {
            Ls0602Record::Task(t) => ("0500", t.amounts[2]),
            Ls0602Record::Payment(p) => (p.code.code(), p.amount),
        })
        .collect();
    assert_eq!(
        codes,
        [
            ("0500", ore(64900)),
            ("0580", ore(49900)),
            ("0580", ore(25000)),
            ("0585", ore(-10000))
        ]
    );
}

#[test]
fn ls_outcomes_follow_the_rates() {
    let Delivery::Ls40(mut sent) = parse_data("ls40_payments.txt") else {
        panic!("expected an LS type 40");
    };
    let template = sent.groups[1].records[0].clone();
    sent.groups[1].records = vec![template; 5_000];
    let all_charged_back = SimulationOptions {
        chargeback_ppm: 1_000_000,
        ..quiet()
    };
    let (_, information) = simulate_ls(&sent, &all_charged_back);
    let charged_back = information
        .records
        .iter()
        .filter(
            |r| matches!(r, Ls0602Record::Payment(p) if p.code == Ls0602PaymentCode::ChargedBack),
        )
        .count();
    assert_eq!(charged_back, 5_000);
    let text = render_ls0602(&information).unwrap();
    assert!(parse_delivery("i", &to_latin1(&text)).is_ok());
}

proptest::proptest! {
    /// The key is borrowed only when upper-casing would not change it: either way it is the
    /// trimmed, upper-cased number without leading zeros.
    #[test]
    fn customer_no_key_is_trimmed_upper_case_without_leading_zeros(
        number in "[ \t0a-zA-Z0-9æøåÆØÅßǅﬀ\u{130}\u{3000}-]{0,20}"
    ) {
        let expected = number.trim().to_uppercase().trim_start_matches('0').to_string();
        let key = customer_no_key(&number);
        proptest::prop_assert_eq!(key.as_ref(), expected.as_str());
    }
}
