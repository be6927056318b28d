//! Money as an integer number of øre.
//!
//! Every amount inside payrun is an [`Amount`]: a signed count of øre (1/100 DKK) in an `i64`.
//! Decimals exist only at the edges: [`Amount::parse`] reads `1234.50` exactly and refuses
//! anything with more than two decimals instead of rounding (invariant I3), and `Display`
//! prints exactly two decimals. Arithmetic is checked: an overflow is an error, never a wrap.

use std::fmt;
use std::str::FromStr;

/// A signed amount of money in øre. `Amount::from_ore(100)` is 1.00 DKK.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Amount(i64);

/// Why a text is not an amount. The message names the text and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("'{0}' is not an amount: expected digits with an optional '.' and at most two decimals, like 1234.50 or -99")]
    Invalid(String),
    #[error("'{0}' has more than two decimals: amounts are never rounded")]
    TooManyDecimals(String),
    #[error("'{0}' is too large for an amount")]
    TooLarge(String),
    #[error("amount overflow")]
    Overflow,
}

impl Amount {
    pub const ZERO: Amount = Amount(0);

    pub const fn from_ore(ore: i64) -> Amount {
        Amount(ore)
    }

    pub const fn ore(self) -> i64 {
        self.0
    }

    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }

    pub const fn is_positive(self) -> bool {
        self.0 > 0
    }

    /// The absolute value; `None` only for `i64::MIN` øre.
    pub fn checked_abs(self) -> Option<Amount> {
        self.0.checked_abs().map(Amount)
    }

    pub fn checked_add(self, other: Amount) -> Option<Amount> {
        self.0.checked_add(other.0).map(Amount)
    }

    pub fn checked_sub(self, other: Amount) -> Option<Amount> {
        self.0.checked_sub(other.0).map(Amount)
    }

    pub fn checked_neg(self) -> Option<Amount> {
        self.0.checked_neg().map(Amount)
    }

    /// Sums amounts, failing on overflow.
    pub fn checked_sum<I: IntoIterator<Item = Amount>>(amounts: I) -> Result<Amount, AmountError> {
        amounts
            .into_iter()
            .try_fold(Amount::ZERO, |acc, a| acc.checked_add(a))
            .ok_or(AmountError::Overflow)
    }

    /// Parses a decimal amount exactly: an optional `-` or `+`, digits, and optionally a `.`
    /// followed by one or two digits. `1,5`, `12.345`, `1e3`, ` 12` and `abc` are refused.
    pub fn parse(text: &str) -> Result<Amount, AmountError> {
        let invalid = || AmountError::Invalid(text.to_string());
        let (negative, unsigned) = match text.as_bytes().first() {
            Some(b'-') => (true, &text[1..]),
            Some(b'+') => (false, &text[1..]),
            _ => (false, text),
        };
        let (whole, fraction) = match unsigned.split_once('.') {
            Some((whole, fraction)) => (whole, Some(fraction)),
            None => (unsigned, None),
        };
        if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        let fraction_ore = match fraction {
            None => 0,
            Some(f) if f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()) => {
                return Err(invalid())
            }
            Some(f) if f.len() > 2 => return Err(AmountError::TooManyDecimals(text.to_string())),
            Some(f) if f.len() == 1 => i64::from(f.as_bytes()[0] - b'0') * 10,
            Some(f) => i64::from(f.as_bytes()[0] - b'0') * 10 + i64::from(f.as_bytes()[1] - b'0'),
        };
        let too_large = || AmountError::TooLarge(text.to_string());
        let whole_kroner: i64 = whole.parse().map_err(|_| too_large())?;
        let ore = whole_kroner
            .checked_mul(100)
            .and_then(|o| o.checked_add(fraction_ore))
            .ok_or_else(too_large)?;
        Ok(Amount(if negative { -ore } else { ore }))
    }
}

impl FromStr for Amount {
    type Err = AmountError;
    fn from_str(s: &str) -> Result<Amount, AmountError> {
        Amount::parse(s)
    }
}

impl fmt::Display for Amount {
    /// Two decimals, a `.` point, a leading `-` when negative: `-1234.50`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let text = format!("{sign}{}.{:02}", abs / 100, abs % 100);
        f.pad(&text)
    }
}

impl serde::Serialize for Amount {
    /// JSON carries amounts as strings with exactly two decimals (`"1000.00"`), see cli.md.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expected: Result<i64, &str>) {
        let got = Amount::parse(text)
            .map(Amount::ore)
            .map_err(|e| e.to_string());
        match expected {
            Ok(ore) => assert_eq!(got, Ok(ore), "{text}"),
            Err(part) => {
                let message = got.expect_err(text);
                assert!(message.contains(part), "{text}: {message}");
            }
        }
    }

    #[test]
    fn parses_exact_decimals() {
        check("1234.50", Ok(123450));
        check("-99", Ok(-9900));
        check("0.5", Ok(50));
        check("0.05", Ok(5));
        check("+7.01", Ok(701));
        check("-0.01", Ok(-1));
        check("92233720368547758.07", Ok(i64::MAX));
    }

    #[test]
    fn refuses_what_it_would_have_to_round_or_guess() {
        check("12.345", Err("more than two decimals"));
        check("1,5", Err("not an amount"));
        check("abc", Err("not an amount"));
        check("", Err("not an amount"));
        check("-", Err("not an amount"));
        check("1.", Err("not an amount"));
        check(".5", Err("not an amount"));
        check(" 12", Err("not an amount"));
        check("1e3", Err("not an amount"));
        check("--1", Err("not an amount"));
        check("92233720368547758.08", Err("too large"));
        check("99999999999999999999", Err("too large"));
    }

    #[test]
    fn prints_two_decimals() {
        assert_eq!(Amount::from_ore(123450).to_string(), "1234.50");
        assert_eq!(Amount::from_ore(-500).to_string(), "-5.00");
        assert_eq!(Amount::from_ore(-1).to_string(), "-0.01");
        assert_eq!(Amount::from_ore(0).to_string(), "0.00");
        assert_eq!(
            Amount::from_ore(i64::MIN).to_string(),
            "-92233720368547758.08"
        );
        assert_eq!(format!("{:>8}", Amount::from_ore(100)), "    1.00");
    }

    #[test]
    fn checked_arithmetic_refuses_overflow() {
        let max = Amount::from_ore(i64::MAX);
        assert_eq!(max.checked_add(Amount::from_ore(1)), None);
        assert_eq!(
            Amount::checked_sum([max, Amount::from_ore(1)]),
            Err(AmountError::Overflow)
        );
        assert_eq!(
            Amount::checked_sum([Amount::from_ore(5), Amount::from_ore(-7)]),
            Ok(Amount::from_ore(-2))
        );
    }

    proptest::proptest! {
        #[test]
        fn display_then_parse_is_identity(ore in (i64::MIN + 1)..=i64::MAX) {
            let amount = Amount::from_ore(ore);
            proptest::prop_assert_eq!(Amount::parse(&amount.to_string()), Ok(amount));
        }
    }
}
