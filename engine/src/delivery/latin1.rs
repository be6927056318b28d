//! ISO 8859-1 (Latin-1), the encoding of every BS and LS delivery (formats.md §1).
//!
//! Decoding is strict: a byte that is not printable text is refused with its line, column and
//! hex value, because a control character in a fixed-width file means the file is damaged or
//! not a delivery at all. Refused: C0 controls except TAB, LF and CR (0x00–0x08, 0x0B, 0x0C,
//! 0x0E–0x1F), DEL and the C1 controls (0x7F–0x9F). Every other byte is a character, since
//! ISO 8859-1 maps bytes one to one onto U+0000–U+00FF.
//!
//! Encoding never fails: characters outside ISO 8859-1 are substituted (see [`substitute`]).

use std::borrow::Cow;

use super::error::ParseError;

/// Whether a byte is refused in ISO 8859-1 text (TAB, LF and CR are allowed here; the record
/// reader is stricter, see `reader.rs`).
pub(crate) const fn is_refused_control(byte: u8) -> bool {
    matches!(byte, 0x00..=0x08 | 0x0B | 0x0C | 0x0E..=0x1F | 0x7F..=0x9F)
}

/// Decodes ISO 8859-1 bytes into a `String`, refusing control bytes.
///
/// `file_name` only labels the error: `x.txt:3:17: character: found byte 0x81, expected
/// printable ISO 8859-1 text`.
pub fn decode_latin1(file_name: &str, bytes: &[u8]) -> Result<String, ParseError> {
    let mut line = 1;
    let mut line_start = 0;
    for (index, &byte) in bytes.iter().enumerate() {
        if byte == b'\n' {
            line += 1;
            line_start = index + 1;
        } else if is_refused_control(byte) {
            return Err(refused_byte(line, index - line_start + 1, byte).in_file(file_name));
        }
    }
    Ok(bytes.iter().map(|&b| char::from(b)).collect())
}

pub(crate) fn refused_byte(line: usize, column: usize, byte: u8) -> ParseError {
    ParseError::new(
        line,
        column,
        "character",
        format!("byte 0x{byte:02X}"),
        "printable ISO 8859-1 text",
    )
}

/// Encodes text as ISO 8859-1 bytes, substituting characters outside it (see [`substitute`]).
pub fn to_latin1(text: &str) -> Vec<u8> {
    substitute(text)
        .chars()
        // After substitution every char is at most U+00FF, so the conversion cannot fail;
        // `?` is the documented fallback anyway.
        .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
        .collect()
}

/// Replaces characters outside ISO 8859-1 by their closest ISO 8859-1 spelling, so that what
/// is written is still readable by a person at the bank or on the debtor's statement:
///
/// | characters | become |
/// |---|---|
/// | ‘ ’ ‚ ‛ ′ (single quotes, prime) | `'` |
/// | “ ” „ ‟ ″ (double quotes) | `"` |
/// | ‐ ‑ ‒ – — ― − (hyphens, dashes, minus) | `-` |
/// | … | `...` |
/// | € | `EUR` |
/// | anything else above U+00FF | `?` |
///
/// The substitution happens before a value is fitted into its field, so the field width is
/// checked against what is really written.
pub fn substitute(text: &str) -> Cow<'_, str> {
    if text.chars().all(|c| u32::from(c) <= 0xFF) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            c if u32::from(c) <= 0xFF => out.push(c),
            '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' => out.push('\''),
            '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{2033}' => out.push('"'),
            '\u{2010}'..='\u{2015}' | '\u{2212}' => out.push('-'),
            '\u{2026}' => out.push_str("..."),
            '\u{20AC}' => out.push_str("EUR"),
            _ => out.push('?'),
        }
    }
    Cow::Owned(out)
}
