//! Parsing speed (performance.md: parsing alone ≥ 300 MB/s of 0602 text). Ignored in the
//! normal run; measure with
//!
//! ```text
//! cargo test -p engine --release -- --ignored --nocapture parse_speed
//! ```

use std::time::Instant;

use super::*;

/// A 0602 with `count` automatic-payment records in sections of 10,000.
fn large_0602(count: usize) -> Vec<u8> {
    let payment = |i: usize| {
        Bs0602Record::Payment(Bs0602Payment {
            code: match i % 50 {
                0 => Bs0602PaymentCode::Rejected,
                1 => Bs0602PaymentCode::Cancelled,
                _ => Bs0602PaymentCode::Completed,
            },
            customer_no: format!("{:015}", 100_000 + i).into(),
            agreement_no: format!("{:09}", i).into(),
            payment_date: date(2026, 12, 1),
            amount: ore(10_000 + (i % 90_000) as i64),
            reference: format!("INV-2026-{i:08}").into(),
            actual_date: (i % 50 > 1).then(|| date(2026, 12, 1)),
            booking_date: (i % 50 > 1).then(|| date(2026, 12, 1)),
            paid_amount: ore(if i % 50 > 1 {
                10_000 + (i % 90_000) as i64
            } else {
                0
            }),
        })
    };
    let sections = (0..count.div_ceil(10_000))
        .map(|s| Bs0602Section {
            section: Bs0602SectionCode::AutomaticPayments,
            creditor_pbs: "09990001".to_string(),
            debtor_group: format!("{:05}", s + 1),
            data_supplier_ident: String::new(),
            date: Some(date(2026, 12, 2)),
            records: (s * 10_000..((s + 1) * 10_000).min(count))
                .map(payment)
                .collect(),
        })
        .collect();
    let delivery = Bs0602Delivery {
        data_supplier_cvr: "99887766".to_string(),
        system_code: "BS1".to_string(),
        delivery_id: 1,
        created: Some(date(2026, 12, 2)),
        sections,
    };
    to_latin1(&render_bs0602(&delivery).unwrap())
}

#[test]
#[ignore = "a measurement, not a check: run in release with --ignored --nocapture"]
fn parse_speed() {
    let bytes = large_0602(1_000_000);
    let megabytes = bytes.len() as u128;
    let mut best = u128::MAX;
    for _ in 0..5 {
        let start = Instant::now();
        let delivery = parse_delivery("large.txt", &bytes).unwrap();
        let elapsed = start.elapsed().as_micros().max(1);
        assert!(matches!(delivery, Delivery::Bs0602(_)));
        best = best.min(elapsed);
    }
    // Integer arithmetic only: bytes per microsecond are MB/s.
    println!(
        "parsed a 1,000,000-record 0602 of {} bytes in {} µs (best of 5): {} MB/s",
        bytes.len(),
        best,
        megabytes / best
    );
}
