//! proptest strategies for every writable delivery, producing values in the canonical form
//! the parser returns: numeric identifiers at full width, text without trailing blanks, LS
//! customer numbers at their full 15 characters, dates within what the fields can hold.

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;

use super::*;

/// Printable ISO 8859-1 without `Â`/`Ã` (which the reader would take for UTF-8 when followed by
/// U+00A0–U+00BF, see `reader.rs`).
fn latin1_char() -> impl Strategy<Value = char> {
    prop_oneof![
        8 => (0x20u8..0x7F).prop_map(char::from),
        1 => (0xA0u8..=0xFF)
            .prop_filter("Â and Ã", |&b| b != 0xC2 && b != 0xC3)
            .prop_map(char::from),
    ]
}

/// An X field value of at most `max` characters, without trailing blanks.
pub(super) fn text(max: usize) -> impl Strategy<Value = String> {
    vec(latin1_char(), 0..=max).prop_map(|chars| {
        chars
            .into_iter()
            .collect::<String>()
            .trim_end_matches(' ')
            .to_string()
    })
}

/// A non-empty value of an X field without blanks.
fn word(max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("[A-Z0-9ÆØÅ]{{1,{max}}}")).unwrap()
}

/// Exactly `width` digits.
pub(super) fn digits(width: usize) -> impl Strategy<Value = String> {
    vec(0u8..10, width).prop_map(|ds| ds.into_iter().map(|d| char::from(b'0' + d)).collect())
}

/// A customer number as BS and this project's LS writer put it in the file: 15 characters,
/// right-aligned with zeros.
fn returned_customer() -> impl Strategy<Value = String> {
    word(15).prop_map(|w| returned_customer_no(&w))
}

/// A date a two-digit-year field can hold.
pub(super) fn short_date() -> impl Strategy<Value = NaiveDate> {
    (0i64..36_500).prop_map(|days| date(1970, 1, 1) + chrono::Days::new(days as u64))
}

/// A date a four-digit-year field can hold.
fn long_date() -> impl Strategy<Value = NaiveDate> {
    (-700_000i64..2_900_000).prop_map(|days| {
        date(2000, 1, 1)
            .checked_add_signed(chrono::TimeDelta::days(days))
            .unwrap()
    })
}

/// Amounts of at most `digits` digits, signed when `signed`.
fn amount(digits: u32, signed: bool) -> impl Strategy<Value = ledger::Amount> {
    let max = 10i64.pow(digits) - 1;
    let min = if signed { -max } else { 0 };
    prop_oneof![Just(0i64), min..=max].prop_map(ore)
}

prop_compose! {
    fn bs0601_payment(section: Bs0601SectionCode)(
        customer_no in text(15),
        agreement_no in digits(9),
        payment_date in long_date(),
        amount in amount(13, section == Bs0601SectionCode::Payments),
        reference in text(if section == Bs0601SectionCode::Payments { 30 } else { 9 }),
        name_address in vec(text(35), 0..=5),
        postcode in option::of(word(4)),
        country in option::of(word(3)),
        cpr_cvr in option::of(digits(10)),
        texts in vec(text(60), 0..4),
    ) -> Bs0601Payment {
        Bs0601Payment {
            customer_no, agreement_no, payment_date, amount, reference, name_address,
            postcode, country, cpr_cvr, texts,
        }
    }
}

fn bs0601_section() -> impl Strategy<Value = Bs0601Section> {
    prop_oneof![
        Just(Bs0601SectionCode::Payments),
        Just(Bs0601SectionCode::ShortNoticeSlips)
    ]
    .prop_flat_map(|section| {
        (
            digits(8),
            digits(5),
            text(15),
            option::of(long_date()),
            prop_oneof![
                Just((String::new(), String::new())),
                (digits(4), digits(10))
            ],
            text(60),
            vec(bs0601_payment(section), 0..4),
        )
            .prop_map(
                move |(
                    creditor_pbs,
                    debtor_group,
                    ident,
                    date,
                    (reg_no, account_no),
                    main_text,
                    payments,
                )| {
                    Bs0601Section {
                        section,
                        creditor_pbs,
                        debtor_group,
                        data_supplier_ident: ident,
                        date,
                        reg_no,
                        account_no,
                        main_text,
                        payments,
                    }
                },
            )
    })
}

prop_compose! {
    pub(super) fn bs0601()(
        data_supplier_cvr in digits(8),
        system_code in word(3),
        delivery_id in 0u64..10_000_000_000,
        created in option::of(short_date()),
        sections in vec(bs0601_section(), 0..4),
    ) -> Bs0601Delivery {
        Bs0601Delivery { data_supplier_cvr, system_code, delivery_id, created, sections }
    }
}

/// Two amounts that one sign code can carry: both zero, or of the same sign.
fn amount_pair(digits: u32) -> impl Strategy<Value = (ledger::Amount, ledger::Amount)> {
    let max = 10i64.pow(digits) - 1;
    (-1i64..=1, 0..=max, 0..=max).prop_map(|(sign, a, b)| (ore(sign * a), ore(sign * b)))
}

prop_compose! {
    fn bs0602_payment()(
        code in prop_oneof![
            Just(Bs0602PaymentCode::Completed), Just(Bs0602PaymentCode::Rejected),
            Just(Bs0602PaymentCode::Cancelled), Just(Bs0602PaymentCode::ChargedBack),
        ],
        customer_no in returned_customer(),
        agreement_no in digits(9),
        payment_date in short_date(),
        (amount, paid_amount) in amount_pair(13),
        reference in text(30),
        actual_date in option::of(short_date()),
        booking_date in option::of(short_date()),
    ) -> Bs0602Payment {
        Bs0602Payment {
            code, customer_no: customer_no.into(), agreement_no: agreement_no.into(), payment_date,
            amount, reference: reference.into(), actual_date, booking_date, paid_amount,
        }
    }
}

prop_compose! {
    fn bs0602_slip_payment()(
        charged_back in any::<bool>(),
        customer_no in prop_oneof![Just(String::new()), returned_customer()],
        slip_type in digits(2),
        fee_deducted in any::<bool>(),
        fee in amount(5, false),
        payment_date in short_date(),
        (amount, paid_amount) in amount_pair(13),
        reference in text(9),
        archive_reference in text(22),
        actual_date in option::of(short_date()),
        booking_date in option::of(short_date()),
    ) -> Bs0602SlipPayment {
        Bs0602SlipPayment {
            code: if charged_back { Bs0602SlipCode::ChargedBack } else { Bs0602SlipCode::Completed },
            customer_no, slip_type, fee_deducted, fee, payment_date, amount, reference,
            archive_reference, actual_date, booking_date, paid_amount,
        }
    }
}

prop_compose! {
    fn bs0602_slip_line()(
        record_no in 0u32..1000,
        customer_no in text(15),
        slip_type in digits(2),
        archive_reference in text(22),
        text in text(35),
    ) -> Bs0602SlipLine {
        Bs0602SlipLine { record_no, customer_no, slip_type, archive_reference, text }
    }
}

fn bs0602_section() -> impl Strategy<Value = Bs0602Section> {
    let automatic = vec(bs0602_payment().prop_map(Bs0602Record::Payment), 0..6)
        .prop_map(|records| (Bs0602SectionCode::AutomaticPayments, records));
    let slips = vec(
        prop_oneof![
            bs0602_slip_payment().prop_map(Bs0602Record::SlipPayment),
            bs0602_slip_line().prop_map(Bs0602Record::SlipAddress),
            bs0602_slip_line().prop_map(Bs0602Record::SlipText),
        ],
        0..6,
    )
    .prop_map(|records| (Bs0602SectionCode::SlipPayments, records));
    (
        prop_oneof![automatic, slips],
        digits(8),
        digits(5),
        text(15),
        option::of(short_date()),
    )
        .prop_map(
            |((section, records), creditor_pbs, debtor_group, ident, date)| Bs0602Section {
                section,
                creditor_pbs,
                debtor_group,
                data_supplier_ident: ident,
                date,
                records,
            },
        )
}

prop_compose! {
    pub(super) fn bs0602()(
        data_supplier_cvr in digits(8),
        system_code in word(3),
        delivery_id in 0u64..10_000_000_000,
        created in option::of(short_date()),
        sections in vec(bs0602_section(), 0..4),
    ) -> Bs0602Delivery {
        Bs0602Delivery { data_supplier_cvr, system_code, delivery_id, created, sections }
    }
}

fn bs0603_section() -> impl Strategy<Value = Bs0603Section> {
    let active = Just(Bs0603Code::Active);
    let changes = prop_oneof![
        Just(Bs0603Code::Registered),
        Just(Bs0603Code::CancelledByBank),
        Just(Bs0603Code::CancelledByCreditor),
        Just(Bs0603Code::CancelledByBetalingsservice),
    ];
    let agreement = |code: BoxedStrategy<Bs0603Code>| {
        (
            code,
            returned_customer(),
            digits(9),
            option::of(short_date()),
            option::of(short_date()),
        )
            .prop_map(|(code, customer_no, agreement_no, start_date, end_date)| {
                Bs0603Agreement {
                    code,
                    customer_no,
                    agreement_no,
                    start_date,
                    end_date,
                }
            })
    };
    let sections = prop_oneof![
        vec(agreement(active.boxed()), 0..5).prop_map(|a| (Bs0603SectionCode::ActiveAgreements, a)),
        vec(agreement(changes.boxed()), 0..5)
            .prop_map(|a| (Bs0603SectionCode::RegisteredAndCancelled, a)),
        vec(agreement(active.boxed()), 0..5)
            .prop_map(|a| (Bs0603SectionCode::ActiveSlipAgreements, a)),
    ];
    (
        sections,
        digits(8),
        digits(5),
        text(15),
        option::of(short_date()),
    )
        .prop_map(
            |((section, agreements), creditor_pbs, debtor_group, ident, date)| Bs0603Section {
                section,
                creditor_pbs,
                debtor_group,
                data_supplier_ident: ident,
                date,
                agreements,
            },
        )
}

prop_compose! {
    pub(super) fn bs0603()(
        data_supplier_cvr in digits(8),
        system_code in word(3),
        delivery_id in 0u64..10_000_000_000,
        created in option::of(short_date()),
        sections in vec(bs0603_section(), 0..4),
    ) -> Bs0603Delivery {
        Bs0603Delivery {
            data_supplier_cvr, system_code, delivery_id, created, sections, warnings: Vec::new(),
        }
    }
}

fn ls40_record() -> impl Strategy<Value = Ls40Record> {
    prop_oneof![
        (any::<bool>(), returned_customer(), amount(11, false)).prop_map(
            |(collection, customer_no, amount)| Ls40Record::Payment(Ls40Payment {
                kind: if collection {
                    Ls40PaymentKind::Collection
                } else {
                    Ls40PaymentKind::Payout
                },
                customer_no,
                amount,
            })
        ),
        (returned_customer(), digits(4), digits(10), digits(8)).prop_map(
            |(customer_no, debtor_reg_no, debtor_account_no, debtor_cvr)| {
                Ls40Record::NewMandate(Ls40NewMandate {
                    customer_no,
                    debtor_reg_no,
                    debtor_account_no,
                    debtor_cvr,
                })
            }
        ),
        returned_customer().prop_map(|customer_no| Ls40Record::CancelMandate { customer_no }),
    ]
}

prop_compose! {
    pub(super) fn ls40()(
        data_supplier_cvr in digits(8),
        created in short_date(),
        test in any::<bool>(),
        creditor_no in digits(5),
        groups in vec(
            (option::of(short_date()), vec(ls40_record(), 0..5))
                .prop_map(|(payment_date, records)| Ls40Group { payment_date, records }),
            0..4,
        ),
    ) -> Ls40Delivery {
        Ls40Delivery { data_supplier_cvr, created, test, creditor_no, groups }
    }
}

fn ls0690_record() -> impl Strategy<Value = Ls0690Record> {
    let receipt = (
        digits(5),
        0u64..10_000_000,
        short_date(),
        prop_oneof![Just(String::new()), digits(4)],
        prop_oneof![Just(String::new()), digits(10)],
        (0u64..10_000_000, amount(13, false)),
        (0u64..10_000_000, amount(13, false)),
    )
        .prop_map(
            |(creditor_no, debtors, payment_date, reg, account, (n_in, a_in), (n_out, a_out))| {
                Ls0690Record::Receipt(Ls0690Receipt {
                    creditor_no,
                    debtors,
                    payment_date,
                    creditor_reg_no: reg,
                    creditor_account_no: account,
                    collections: n_in,
                    collection_amount: a_in,
                    payouts: n_out,
                    payout_amount: a_out,
                })
            },
        );
    let remark = (
        digits(5),
        text(3),
        text(15),
        prop_oneof![Just(String::new()), digits(8)],
        (digits(4), digits(10)),
        option::of(short_date()),
        amount(13, false),
        text(4),
    )
        .prop_map(
            |(creditor_no, code, customer_no, cvr, (reg, account), date, amount, error_no)| {
                Ls0690Record::Remark(Ls0690Remark {
                    creditor_no,
                    remark_code: code,
                    customer_no,
                    debtor_cvr: cvr,
                    debtor_reg_no: reg,
                    debtor_account_no: account,
                    payment_date: date,
                    amount,
                    error_no,
                })
            },
        );
    let comment = (
        digits(5),
        text(3),
        text(15),
        option::of(short_date()),
        amount(13, false),
        text(4),
        (digits(4), digits(10)),
    )
        .prop_map(
            |(creditor_no, code, customer_no, date, amount, error_no, (reg, account))| {
                Ls0690Record::Comment(Ls0690Comment {
                    creditor_no,
                    comment_code: code,
                    customer_no,
                    payment_date: date,
                    amount,
                    error_no,
                    creditor_reg_no: reg,
                    creditor_account_no: account,
                })
            },
        );
    let change = (
        digits(5),
        option::of(short_date()),
        digits(5),
        text(15),
        digits(5),
        text(15),
    )
        .prop_map(
            |(creditor_no, date, current, current_customer, new, new_customer)| {
                Ls0690Record::Change(Ls0690Change {
                    creditor_no,
                    change_date: date,
                    current_creditor_no: current,
                    current_customer_no: current_customer,
                    new_creditor_no: new,
                    new_customer_no: new_customer,
                })
            },
        );
    prop_oneof![receipt, remark, comment, change]
}

prop_compose! {
    pub(super) fn ls0690()(
        data_supplier_cvr in digits(8),
        test in any::<bool>(),
        created in option::of(short_date()),
        records in vec(ls0690_record(), 0..6),
    ) -> Ls0690Delivery {
        Ls0690Delivery { data_supplier_cvr, test, created, records }
    }
}

fn ls0602_record() -> impl Strategy<Value = Ls0602Record> {
    let task = (
        digits(5),
        digits(8),
        [amount(13, true), amount(13, true), amount(13, true)],
        (digits(4), digits(10)),
    )
        .prop_map(|(creditor_no, task_no, amounts, (reg, account))| {
            Ls0602Record::Task(Ls0602Task {
                creditor_no,
                task_no,
                amounts,
                creditor_reg_no: reg,
                creditor_account_no: account,
            })
        });
    let payment = (
        digits(5),
        prop_oneof![
            Just(Ls0602PaymentCode::Collected),
            Just(Ls0602PaymentCode::PaidOut),
            Just(Ls0602PaymentCode::Rejected),
            Just(Ls0602PaymentCode::Cancelled),
            Just(Ls0602PaymentCode::ChargedBack),
        ],
        digits(8),
        text(15),
        short_date(),
        amount(13, true),
        prop_oneof![
            Just((String::new(), String::new())),
            (digits(4), digits(10))
        ],
    )
        .prop_map(
            |(creditor_no, code, task_no, customer_no, payment_date, amount, (reg, account))| {
                Ls0602Record::Payment(Ls0602Payment {
                    creditor_no,
                    code,
                    task_no,
                    customer_no,
                    payment_date,
                    amount,
                    creditor_reg_no: reg,
                    creditor_account_no: account,
                })
            },
        );
    prop_oneof![task, payment]
}

prop_compose! {
    pub(super) fn ls0602()(
        data_supplier_cvr in digits(8),
        test in any::<bool>(),
        created in option::of(short_date()),
        records in vec(ls0602_record(), 0..6),
    ) -> Ls0602Delivery {
        Ls0602Delivery { data_supplier_cvr, test, created, records }
    }
}

prop_compose! {
    pub(super) fn ls30()(
        data_supplier_cvr in digits(8),
        cvr_check in prop_oneof![Just(String::new()), word(1)],
        created in short_date(),
        test in any::<bool>(),
        creditor_no in digits(5),
        data_supplier_no in text(13),
        mandates in vec(
            (
                prop_oneof![
                    Just(Ls30MandateKind::Active),
                    Just(Ls30MandateKind::Added),
                    Just(Ls30MandateKind::Removed),
                ],
                text(15),
                option::of(short_date()),
            )
                .prop_map(|(kind, customer_no, date)| Ls30Mandate { kind, customer_no, date }),
            0..6,
        ),
    ) -> Ls30Delivery {
        Ls30Delivery {
            data_supplier_cvr, cvr_check, created, test, creditor_no, data_supplier_no, mandates,
        }
    }
}
