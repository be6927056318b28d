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
            buf: [b' '; MAX_WIDTH],
            width: self.width.min(MAX_WIDTH),
            line: self.lines + 1,
            record,
        }
    }

    /// Starts the next record as a copy of the positions of `template`: fields shared by
    /// several records (a payment's PBS no., debtor group and customer no.) are then checked
    /// and put once.
    pub(crate) fn line_from(&self, record: &'static str, template: &Line) -> Line {
        Line {
            buf: template.buf,
            ..self.line(record)
        }
    }

    /// Appends a finished record: trailing blanks stripped, CR LF.
    pub(crate) fn push(&mut self, line: Line) {
        let mut bytes = line.buf.get(..line.width).unwrap_or(&[]);
        // Blanks eight at a time, then one at a time.
        while let Some(rest) = bytes.strip_suffix(b"        ") {
            bytes = rest;
        }
        while let Some(rest) = bytes.strip_suffix(b" ") {
            bytes = rest;
        }
        // Nearly every record is ASCII, which is the same in ISO 8859-1 and UTF-8: copied
        // whole. Any other byte is the ISO 8859-1 character of that number.
        match std::str::from_utf8(bytes) {
            Ok(ascii) if bytes.is_ascii() => self.out.push_str(ascii),
            _ => self.out.extend(bytes.iter().map(|&b| char::from(b))),
        }
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

/// One record being built: its characters as ISO 8859-1 bytes (one byte per character; text
/// is substituted before it is put, so every character fits a byte).
pub(crate) struct Line {
    buf: [u8; MAX_WIDTH],
    width: usize,
    line: usize,
    record: &'static str,
}

/// Whether text needs none of the checks and substitutions of [`Line::text`]: printable
/// ASCII is its own ISO 8859-1 spelling, one byte per character, with no control character
/// and no `Ã` or `Â`.
fn is_printable_ascii(text: &str) -> bool {
    text.bytes().all(|b| (0x20..0x7F).contains(&b))
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

    /// Puts ISO 8859-1 bytes from 1-based position `from` on (cut at the end of the buffer;
    /// the callers check field widths first).
    fn put(&mut self, from: usize, bytes: &[u8]) {
        let start = from.saturating_sub(1).min(MAX_WIDTH);
        let end = (start + bytes.len()).min(MAX_WIDTH);
        if let (Some(slots), Some(bytes)) = (self.buf.get_mut(start..end), bytes.get(..end - start))
        {
            slots.copy_from_slice(bytes);
        }
    }

    /// Puts `count` copies of `byte` from 1-based position `from` on.
    fn fill(&mut self, from: usize, count: usize, byte: u8) {
        let start = from.saturating_sub(1).min(MAX_WIDTH);
        let end = (start + count).min(MAX_WIDTH);
        if let Some(slots) = self.buf.get_mut(start..end) {
            slots.fill(byte);
        }
    }

    /// Puts characters that are all in ISO 8859-1 (substituted text), one byte each.
    fn put_chars(&mut self, from: usize, chars: impl Iterator<Item = char>) {
        let start = from.saturating_sub(1);
        for (slot, c) in self.buf.iter_mut().skip(start).zip(chars) {
            *slot = u8::try_from(u32::from(c)).unwrap_or(b'?');
        }
    }

    /// A constant of the layout (record type, transaction code, zero filler).
    pub(crate) fn fixed(&mut self, from: usize, text: &str) {
        self.put_chars(from, text.chars());
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
        let width = to + 1 - from;
        if is_printable_ascii(value) && value.len() <= width {
            self.put(from, value.as_bytes());
            return Ok(());
        }
        let value = substitute(value);
        if value.chars().any(char::is_control) {
            return Err(self.error(field, value, "text without control characters"));
        }
        // The reader refuses these pairs as UTF-8 read as ISO 8859-1 (`ø` seen as `Ã¸`);
        // writing one would produce a file this module cannot read back. One pass over the
        // characters, no copy of them.
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
        self.put_chars(from, value.chars());
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
        if is_printable_ascii(value) && value.len() <= width {
            self.fill(from, width - value.len(), b'0');
            self.put(from + width - value.len(), value.as_bytes());
            return Ok(());
        }
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
        self.fill(from, width - value.len(), b'0');
        self.put(from + width - value.len(), value.as_bytes());
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
        // Every count and amount fits 64 bits, whose arithmetic is cheap: the digits from the
        // last position backwards; what is left over did not fit.
        if let Ok(mut rest) = u64::try_from(value) {
            let mut position = to;
            while rest > 0 && position >= from {
                // A digit, below 10: the cast cannot cut.
                if let Some(slot) = self.buf.get_mut(position - 1) {
                    *slot = b'0' + (rest % 10) as u8;
                }
                rest /= 10;
                position -= 1;
            }
            if rest > 0 {
                return Err(self.error(
                    field,
                    value.to_string(),
                    format!("at most {width} digits"),
                ));
            }
            // Zeros before the digits.
            self.fill(from, position + 1 - from, b'0');
            return Ok(());
        }
        let text = format!("{value:0width$}");
        if text.len() > width {
            return Err(self.error(field, text, format!("at most {width} digits")));
        }
        self.put(from, text.as_bytes());
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

    /// Two decimal digits of `value` (below 100) from 1-based position `from` on.
    fn two_digits(&mut self, from: usize, value: u32) {
        // Both below 10: the casts cannot cut.
        self.put(
            from,
            &[b'0' + (value / 10 % 10) as u8, b'0' + (value % 10) as u8],
        );
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
            self.fill(from, layout.width(), b'0');
            return Ok(());
        };
        let (year, day, month) = (date.year(), date.day(), date.month());
        match layout {
            DateLayout::Ddmmyy | DateLayout::Yymmdd if !(1970..=2069).contains(&year) => {
                return Err(self.error(field, date.to_string(), "a year from 1970 to 2069"))
            }
            DateLayout::Ddmmyyyy if !(1..=9999).contains(&year) => {
                return Err(self.error(field, date.to_string(), "a year from 1 to 9999"))
            }
            _ => {}
        }
        // Checked above: the year is from 1 to 9999, so it has no sign.
        let year = year.unsigned_abs();
        match layout {
            DateLayout::Ddmmyy => {
                self.two_digits(from, day);
                self.two_digits(from + 2, month);
                self.two_digits(from + 4, year % 100);
            }
            DateLayout::Yymmdd => {
                self.two_digits(from, year % 100);
                self.two_digits(from + 2, month);
                self.two_digits(from + 4, day);
            }
            DateLayout::Ddmmyyyy => {
                self.two_digits(from, day);
                self.two_digits(from + 2, month);
                self.two_digits(from + 4, year / 100);
                self.two_digits(from + 6, year % 100);
            }
        }
        Ok(())
    }
}
