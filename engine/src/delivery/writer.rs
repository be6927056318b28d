//! Writing fixed-width records (formats.md §8.9).
//!
//! A record starts as blanks; fields are put at their 1-based positions; the finished record
//! has its trailing blanks stripped and ends with CR LF, the last one included (0601 guide
//! §4.7). Text is first passed through [`super::latin1::substitute`], so what is measured
//! against the field width is what will be written. A value that does not fit is an error,
//! never silently cut: a truncated amount or customer number moves the wrong money.

use chrono::{Datelike, NaiveDate};
use ledger::Amount;

use super::error::RenderError;
use super::latin1::substitute;
use super::reader::{DateLayout, MAX_WIDTH};

/// Collects the rendered records of one delivery.
pub(crate) struct Writer {
    out: String,
    width: usize,
    lines: usize,
}

impl Writer {
    pub(crate) fn new(width: usize) -> Writer {
        Writer {
            out: String::new(),
            width,
            lines: 0,
        }
    }

    /// Starts the next record; `record` names it in errors (e.g. `BS042/0280`).
    pub(crate) fn line(&self, record: &'static str) -> Line {
        Line {
            buf: [' '; MAX_WIDTH],
            width: self.width.min(MAX_WIDTH),
            line: self.lines + 1,
            record,
        }
    }

    /// Appends a finished record: trailing blanks stripped, CR LF.
    pub(crate) fn push(&mut self, line: Line) {
        let chars = line.buf.get(..line.width).unwrap_or(&[]);
        let end = chars.iter().rposition(|&c| c != ' ').map_or(0, |i| i + 1);
        self.out.extend(chars.get(..end).unwrap_or(&[]));
        self.out.push_str("\r\n");
        self.lines += 1;
    }

    /// Takes the records written so far, so that a large delivery can be written out a piece
    /// at a time instead of whole (the line count, used in errors, goes on).
    pub(crate) fn take_text(&mut self) -> String {
        std::mem::take(&mut self.out)
    }

    /// The length in bytes of the text not taken yet.
    pub(crate) fn pending(&self) -> usize {
        self.out.len()
    }

    pub(crate) fn finish(self) -> String {
        self.out
    }
}

/// One record being built.
pub(crate) struct Line {
    buf: [char; MAX_WIDTH],
    width: usize,
    line: usize,
    record: &'static str,
}

impl Line {
    pub(crate) fn error(
        &self,
        field: &str,
        found: impl Into<String>,
        expected: impl Into<String>,
    ) -> RenderError {
        RenderError {
            line: self.line,
            record: self.record.to_string(),
            field: field.to_string(),
            found: found.into(),
            expected: expected.into(),
        }
    }

    fn put(&mut self, from: usize, chars: impl Iterator<Item = char>) {
        let start = from.saturating_sub(1);
        for (slot, c) in self.buf.iter_mut().skip(start).zip(chars) {
            *slot = c;
        }
    }

    /// A constant of the layout (record type, transaction code, zero filler).
    pub(crate) fn fixed(&mut self, from: usize, text: &str) {
        self.put(from, text.chars());
    }

    /// An alphanumeric (X) field: left-aligned, blank-padded. Control characters are refused
    /// because a line break inside a field would break the record structure.
    pub(crate) fn text(
        &mut self,
        from: usize,
        to: usize,
        field: &str,
        value: &str,
    ) -> Result<(), RenderError> {
        let value = substitute(value);
        let width = to + 1 - from;
        if value.chars().any(char::is_control) {
            return Err(self.error(field, value, "text without control characters"));
        }
        // The reader refuses these pairs as UTF-8 read as ISO 8859-1 (`ø` seen as `Ã¸`);
        // writing one would produce a file this module cannot read back. One pass over the
        // characters, no copy of them: this runs for every field of a million records.
        let mut chars = 0;
        let mut previous = ' ';
        for c in value.chars() {
            if matches!((previous, c), ('\u{C2}' | '\u{C3}', '\u{A0}'..='\u{BF}')) {
                return Err(self.error(
                    field,
                    value,
                    "text that is not UTF-8 read as ISO 8859-1 (like 'Ã¸' for 'ø')",
                ));
            }
            previous = c;
            chars += 1;
        }
        if chars > width {
            return Err(self.error(field, value, format!("at most {width} characters")));
        }
        self.put(from, value.chars());
        Ok(())
    }

    /// An alphanumeric field written right-aligned with leading zeros, the way BS returns
    /// customer numbers (formats.md §1) and the way this project writes LS customer numbers.
    pub(crate) fn text_zero_padded(
        &mut self,
        from: usize,
        to: usize,
        field: &str,
        value: &str,
    ) -> Result<(), RenderError> {
        let width = to + 1 - from;
        let length = substitute(value).chars().count();
        let padded = format!("{}{}", "0".repeat(width.saturating_sub(length)), value);
        self.text(from, to, field, &padded)
    }

    /// A numeric (N) field given as digits (identifiers): right-aligned, zero-padded.
    pub(crate) fn digits(
        &mut self,
        from: usize,
        to: usize,
        field: &str,
        value: &str,
    ) -> Result<(), RenderError> {
        let width = to + 1 - from;
        if !value.bytes().all(|b| b.is_ascii_digit()) {
            return Err(self.error(field, value, "digits only"));
        }
        if value.len() > width {
            return Err(self.error(field, value, format!("at most {width} digits")));
        }
        self.put(from + width - value.len(), value.chars());
        self.put(from, "0".repeat(width - value.len()).chars());
        Ok(())
    }

    /// Digits, or blanks when the value is empty (see `Record::digits_or_blank`).
    pub(crate) fn digits_or_blank(
        &mut self,
        from: usize,
        to: usize,
        field: &str,
        value: &str,
    ) -> Result<(), RenderError> {
        if value.is_empty() {
            Ok(())
        } else {
            self.digits(from, to, field, value)
        }
    }

    /// A numeric (N) field given as a number: right-aligned, zero-padded.
    pub(crate) fn number(
        &mut self,
        from: usize,
        to: usize,
        field: &str,
        value: u128,
    ) -> Result<(), RenderError> {
        let width = to + 1 - from;
        let text = format!("{value:0width$}");
        if text.len() > width {
            return Err(self.error(field, text, format!("at most {width} digits")));
        }
        self.put(from, text.chars());
        Ok(())
    }

    /// The absolute value of an amount in øre (the direction goes into a sign code).
    pub(crate) fn amount(
        &mut self,
        from: usize,
        to: usize,
        field: &str,
        amount: Amount,
    ) -> Result<(), RenderError> {
        self.number(from, to, field, u128::from(amount.ore().unsigned_abs()))
    }

    /// An amount field without a sign code: negative amounts cannot be written.
    pub(crate) fn unsigned_amount(
        &mut self,
        from: usize,
        to: usize,
        field: &str,
        amount: Amount,
    ) -> Result<(), RenderError> {
        if amount.is_negative() {
            return Err(self.error(
                field,
                amount.to_string(),
                "zero or more (the field has no sign)",
            ));
        }
        self.amount(from, to, field, amount)
    }

    /// A date field; `None` is written as zeros. Two-digit years only hold 1970–2069 (the
    /// reader's century pivot), four-digit years 1–9999.
    pub(crate) fn date(
        &mut self,
        from: usize,
        layout: DateLayout,
        field: &str,
        date: Option<NaiveDate>,
    ) -> Result<(), RenderError> {
        let Some(date) = date else {
            self.put(from, "0".repeat(layout.width()).chars());
            return Ok(());
        };
        let (year, day, month) = (date.year(), date.day(), date.month());
        let text = match layout {
            DateLayout::Ddmmyy | DateLayout::Yymmdd if !(1970..=2069).contains(&year) => {
                return Err(self.error(field, date.to_string(), "a year from 1970 to 2069"))
            }
            DateLayout::Ddmmyyyy if !(1..=9999).contains(&year) => {
                return Err(self.error(field, date.to_string(), "a year from 1 to 9999"))
            }
            DateLayout::Ddmmyy => format!("{day:02}{month:02}{:02}", year % 100),
            DateLayout::Yymmdd => format!("{:02}{month:02}{day:02}", year % 100),
            DateLayout::Ddmmyyyy => format!("{day:02}{month:02}{year:04}"),
        };
        self.put(from, text.chars());
        Ok(())
    }
}
