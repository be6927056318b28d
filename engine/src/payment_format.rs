//! Rules for payment formats: defaults, the checks made when one is added, and the text ids of
//! its choices (the same ids on the command line, in the database and in JSON).
//!
//! The checks are a pure function so that the library, the store and the command line refuse
//! the same formats with the same messages.

use crate::error::{Error, Result};
use crate::model::{BankingDayAction, BsType, ChargingPrinciple, PaymentFormat, Scheme};
use chrono::NaiveTime;
use ledger::Id;

// The cut-off times belong to the banking calendar (domain.md §1).
pub use bankcal::{
    BS_DEFAULT_CUTOFF, BS_MASTERCARD_CUTOFF, LS_DEFAULT_CUTOFF, LS_MASTERCARD_CUTOFF,
};

/// The default debtor group.
pub const DEFAULT_DEBTOR_GROUP: &str = "00001";
/// The default system code ("delsystem").
pub const DEFAULT_SYSTEM_CODE: &str = "BS1";
/// The default journal that bank answers are posted to.
pub const DEFAULT_JOURNAL: &str = "Day";
/// The longest payment format id.
pub const MAX_FORMAT_ID_CHARS: usize = 20;

/// A payment format with the defaults of `domain.md` §2: BS Basis, debtor group `00001`,
/// system code `BS1`, principle standard, journal `Day`, no bank account, next banking day,
/// the scheme's default cut-off, every flag off.
pub fn with_defaults(
    id: &str,
    scheme: Scheme,
    creditor_number: &str,
    supplier_cvr: &str,
) -> PaymentFormat {
    PaymentFormat {
        id: Id::from(id),
        scheme,
        bs_type: match scheme {
            Scheme::Bs => Some(BsType::Basis),
            Scheme::Ls => None,
        },
        creditor_number: creditor_number.to_string(),
        supplier_cvr: supplier_cvr.to_string(),
        debtor_group: DEFAULT_DEBTOR_GROUP.to_string(),
        system_code: DEFAULT_SYSTEM_CODE.to_string(),
        principle: ChargingPrinciple::Standard,
        bank_account: None,
        journal: DEFAULT_JOURNAL.to_string(),
        banking_day_action: BankingDayAction::After,
        cutoff: default_cutoff(scheme),
        extended_deadline: false,
        allow_without_invoice: false,
        block_payouts: false,
        create_payment_id: false,
        debtor_account_as_mandate: false,
    }
}

/// Our default cut-off for a scheme.
pub fn default_cutoff(scheme: Scheme) -> NaiveTime {
    match scheme {
        Scheme::Bs => BS_DEFAULT_CUTOFF,
        Scheme::Ls => LS_DEFAULT_CUTOFF,
    }
}

/// Mastercard's cut-off for a scheme: ours may not be later.
pub fn mastercard_cutoff(scheme: Scheme) -> NaiveTime {
    match scheme {
        Scheme::Bs => BS_MASTERCARD_CUTOFF,
        Scheme::Ls => LS_MASTERCARD_CUTOFF,
    }
}

/// Checks a payment format against the schemes' rules and reports every problem in one
/// [`Error::InvalidFormat`], e.g. `payment format 'BS': creditor number '1234' must be 8 digits
/// for BS`.
pub fn validate(format: &PaymentFormat) -> Result<()> {
    let problems = problems(format);
    if problems.is_empty() {
        return Ok(());
    }
    Err(Error::InvalidFormat(format!(
        "payment format '{}': {}",
        format.id,
        problems.join("; ")
    )))
}

fn problems(format: &PaymentFormat) -> Vec<String> {
    let mut problems = Vec::new();
    let scheme = scheme_label(format.scheme);
    if !is_valid_format_id(&format.id) {
        problems.push(format!(
            "the id must be 1 to {MAX_FORMAT_ID_CHARS} letters, digits, '-' or '_'"
        ));
    }
    let creditor_digits = match format.scheme {
        Scheme::Bs => 8,
        Scheme::Ls => 5,
    };
    if !is_digits(&format.creditor_number, creditor_digits) {
        problems.push(format!(
            "creditor number '{}' must be {creditor_digits} digits for {scheme}",
            format.creditor_number
        ));
    }
    if !is_digits(&format.supplier_cvr, 8) {
        problems.push(format!(
            "data supplier CVR '{}' must be 8 digits",
            format.supplier_cvr
        ));
    }
    if !is_digits(&format.debtor_group, 5) {
        problems.push(format!(
            "debtor group '{}' must be 5 digits, like {DEFAULT_DEBTOR_GROUP}",
            format.debtor_group
        ));
    }
    let system_code_ok = format.system_code.len() == 3
        && format
            .system_code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric());
    if !system_code_ok {
        problems.push(format!(
            "system code '{}' must be 3 letters or digits, like {DEFAULT_SYSTEM_CODE}",
            format.system_code
        ));
    }
    match (format.scheme, format.bs_type) {
        (Scheme::Bs, None) => problems.push("a BS format needs a BS type (basis or total)".into()),
        (Scheme::Ls, Some(_)) => {
            problems.push("a BS type (basis or total) applies only to BS formats".into())
        }
        _ => {}
    }
    let limit = mastercard_cutoff(format.scheme);
    if format.cutoff > limit {
        problems.push(format!(
            "cut-off {} is later than Mastercard's {} for {scheme}",
            format.cutoff.format("%H:%M"),
            limit.format("%H:%M")
        ));
    }
    if format.journal.trim().is_empty() {
        problems.push(format!(
            "the journal name is empty: name one, like {DEFAULT_JOURNAL}"
        ));
    }
    if format
        .bank_account
        .as_deref()
        .is_some_and(|account| account.trim().is_empty())
    {
        problems.push("the bank account is empty: name a ledger account, like 5850".into());
    }
    problems
}

/// A payment format id: 1 to 20 ASCII letters, digits, `-` or `_`.
pub fn is_valid_format_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_FORMAT_ID_CHARS
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn is_digits(text: &str, count: usize) -> bool {
    text.len() == count && text.bytes().all(|b| b.is_ascii_digit())
}

fn scheme_label(scheme: Scheme) -> &'static str {
    match scheme {
        Scheme::Bs => "BS",
        Scheme::Ls => "LS",
    }
}

/// `bs` or `ls`.
pub fn scheme_id(scheme: Scheme) -> &'static str {
    match scheme {
        Scheme::Bs => "bs",
        Scheme::Ls => "ls",
    }
}

pub fn parse_scheme(text: &str) -> Option<Scheme> {
    [Scheme::Bs, Scheme::Ls]
        .into_iter()
        .find(|s| scheme_id(*s) == text)
}

/// `basis` or `total`.
pub fn bs_type_id(bs_type: BsType) -> &'static str {
    match bs_type {
        BsType::Basis => "basis",
        BsType::Total => "total",
    }
}

pub fn parse_bs_type(text: &str) -> Option<BsType> {
    [BsType::Basis, BsType::Total]
        .into_iter()
        .find(|t| bs_type_id(*t) == text)
}

/// `standard` or `remaining`.
pub fn principle_id(principle: ChargingPrinciple) -> &'static str {
    match principle {
        ChargingPrinciple::Standard => "standard",
        ChargingPrinciple::Remaining => "remaining",
    }
}

pub fn parse_principle(text: &str) -> Option<ChargingPrinciple> {
    [ChargingPrinciple::Standard, ChargingPrinciple::Remaining]
        .into_iter()
        .find(|p| principle_id(*p) == text)
}

/// `after`, `before` or `none`.
pub fn banking_day_action_id(action: BankingDayAction) -> &'static str {
    match action {
        BankingDayAction::After => "after",
        BankingDayAction::Before => "before",
        BankingDayAction::None => "none",
    }
}

pub fn parse_banking_day_action(text: &str) -> Option<BankingDayAction> {
    [
        BankingDayAction::After,
        BankingDayAction::Before,
        BankingDayAction::None,
    ]
    .into_iter()
    .find(|a| banking_day_action_id(*a) == text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bs() -> PaymentFormat {
        with_defaults("BS", Scheme::Bs, "12345678", "11223344")
    }

    fn ls() -> PaymentFormat {
        with_defaults("LS", Scheme::Ls, "12345", "11223344")
    }

    /// Validates a changed format and compares the message (or `ok`).
    fn check(format: PaymentFormat, expected: &str) {
        let got = match validate(&format) {
            Ok(()) => "ok".to_string(),
            Err(e) => e.to_string(),
        };
        assert_eq!(got, expected);
    }

    #[test]
    fn defaults_are_valid() {
        check(bs(), "ok");
        check(ls(), "ok");
        assert_eq!(bs().cutoff, BS_DEFAULT_CUTOFF);
        assert_eq!(ls().cutoff, LS_DEFAULT_CUTOFF);
        assert_eq!(ls().bs_type, None);
    }

    #[test]
    fn creditor_number_length_depends_on_the_scheme() {
        let mut f = bs();
        f.creditor_number = "12345".into();
        check(
            f,
            "payment format 'BS': creditor number '12345' must be 8 digits for BS",
        );
        let mut f = ls();
        f.creditor_number = "12345678".into();
        check(
            f,
            "payment format 'LS': creditor number '12345678' must be 5 digits for LS",
        );
        let mut f = bs();
        f.creditor_number = "0012345A".into();
        check(
            f,
            "payment format 'BS': creditor number '0012345A' must be 8 digits for BS",
        );
        let mut f = bs();
        f.creditor_number = "00123456".into();
        check(f, "ok");
    }

    #[test]
    fn every_problem_is_reported() {
        let mut f = bs();
        f.supplier_cvr = "1234567".into();
        f.debtor_group = "1".into();
        f.system_code = "BS".into();
        f.bs_type = None;
        f.journal = " ".into();
        f.bank_account = Some(String::new());
        check(
            f,
            "payment format 'BS': data supplier CVR '1234567' must be 8 digits; \
             debtor group '1' must be 5 digits, like 00001; \
             system code 'BS' must be 3 letters or digits, like BS1; \
             a BS format needs a BS type (basis or total); \
             the journal name is empty: name one, like Day; \
             the bank account is empty: name a ledger account, like 5850",
        );
    }

    #[test]
    fn bs_type_only_for_bs() {
        let mut f = ls();
        f.bs_type = Some(BsType::Total);
        check(
            f,
            "payment format 'LS': a BS type (basis or total) applies only to BS formats",
        );
    }

    #[test]
    fn cutoff_not_later_than_mastercard() {
        let mut f = bs();
        f.cutoff = BS_MASTERCARD_CUTOFF;
        check(f.clone(), "ok");
        f.cutoff = NaiveTime::from_hms_opt(18, 31, 0).unwrap();
        check(
            f,
            "payment format 'BS': cut-off 18:31 is later than Mastercard's 18:30 for BS",
        );
        let mut f = ls();
        f.cutoff = NaiveTime::from_hms_opt(16, 1, 0).unwrap();
        check(
            f,
            "payment format 'LS': cut-off 16:01 is later than Mastercard's 16:00 for LS",
        );
    }

    #[test]
    fn format_id_rules() {
        let mut f = bs();
        f.id = "BS 1".into();
        check(
            f,
            "payment format 'BS 1': the id must be 1 to 20 letters, digits, '-' or '_'",
        );
        assert!(is_valid_format_id("BS-total_2"));
        assert!(!is_valid_format_id(""));
        assert!(!is_valid_format_id(&"X".repeat(21)));
    }

    #[test]
    fn text_ids_round_trip() {
        for s in [Scheme::Bs, Scheme::Ls] {
            assert_eq!(parse_scheme(scheme_id(s)), Some(s));
        }
        for t in [BsType::Basis, BsType::Total] {
            assert_eq!(parse_bs_type(bs_type_id(t)), Some(t));
        }
        for p in [ChargingPrinciple::Standard, ChargingPrinciple::Remaining] {
            assert_eq!(parse_principle(principle_id(p)), Some(p));
        }
        for a in [
            BankingDayAction::After,
            BankingDayAction::Before,
            BankingDayAction::None,
        ] {
            assert_eq!(parse_banking_day_action(banking_day_action_id(a)), Some(a));
        }
        assert_eq!(parse_scheme("BS"), None);
    }
}
