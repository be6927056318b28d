//! Small pieces the journal's SQL functions share: the text forms of dates and times, and
//! the JSON array that holds a line's offsets.

use crate::error::{JournalError, Result};
use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};
use rusqlite::{Connection, ToSql};
use std::fmt::Write;

pub(crate) const DATE_FORMAT: &str = "%Y-%m-%d";
pub(crate) const TIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%S";

/// How many rows one INSERT statement writes: a statement per row would cost about twice
/// the time.
pub(crate) const ROWS_PER_INSERT: usize = 100;

/// Inserts `rows`, [`ROWS_PER_INSERT`] to a statement, in their order: `insert` is the
/// statement up to `VALUES`, `values` a row's values in the statement's column order.
pub(crate) fn insert_rows<'r, T, const N: usize>(
    conn: &Connection,
    insert: &str,
    rows: &'r [T],
    values: impl Fn(&'r T) -> [&'r dyn ToSql; N],
) -> Result<()> {
    let mut params: Vec<&dyn ToSql> = Vec::with_capacity(ROWS_PER_INSERT * N);
    for batch in rows.chunks(ROWS_PER_INSERT) {
        params.clear();
        params.extend(batch.iter().flat_map(&values));
        insert_values::<N>(conn, insert, batch.len(), &params)?;
    }
    Ok(())
}

/// One INSERT of `rows` rows: `insert` is the statement up to `VALUES`, `params` the rows'
/// values, `N` to a row.
pub(crate) fn insert_values<const N: usize>(
    conn: &Connection,
    insert: &str,
    rows: usize,
    params: &[&dyn ToSql],
) -> Result<()> {
    let row = format!("({})", vec!["?"; N].join(", "));
    let sql = format!("{insert} VALUES {}", vec![row.as_str(); rows].join(", "));
    conn.prepare_cached(&sql)?.execute(params)?;
    Ok(())
}

/// `YYYY-MM-DD`, as chrono's `%Y-%m-%d` writes it. Written by hand because posting formats
/// a date or two per line, and chrono's `format` parses its pattern every time; a proptest
/// keeps the two equal.
pub fn format_date(date: NaiveDate) -> String {
    let mut text = String::with_capacity(10);
    push_date(&mut text, date);
    text
}

/// Appends `YYYY-MM-DD` digit by digit: a posting writes several dates a row, and `format!`
/// cost 5 % of `journal post` (the engine writes its dates with it too: a date a line in
/// suggest, two an entry in its import).
fn push_date(text: &mut String, date: NaiveDate) {
    // Years outside 0..=9999 get chrono's sign or fifth digit.
    let year = match u32::try_from(date.year()) {
        Ok(year) if year <= 9999 => year,
        _ => {
            text.push_str(&date.format(DATE_FORMAT).to_string());
            return;
        }
    };
    push_digits(text, year, 4);
    text.push('-');
    push_digits(text, date.month(), 2);
    text.push('-');
    push_digits(text, date.day(), 2);
}

/// Appends `value` as `width` decimal digits, zero-filled (`value` has at most `width`).
fn push_digits(text: &mut String, value: u32, width: u32) {
    for place in (0..width).rev() {
        let digit = value / 10u32.pow(place) % 10;
        text.push(char::from(b'0' + digit as u8));
    }
}

pub(crate) fn parse_date(text: &str, what: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(text, DATE_FORMAT)
        .map_err(|_| JournalError::Corrupt(format!("{what}: '{text}' is not a date")))
}

/// `YYYY-MM-DD` read digit by digit from the bytes of a text, as [`format_date`] writes a
/// year of four digits; anything else is `None` (for [`parse_date`], which reads what chrono
/// reads). chrono's `parse_from_str` parses its pattern for every date: 1 % of `journal
/// post`, which reads a date per line. The engine reads its stored dates with it too,
/// without checking their UTF-8 first.
#[inline]
pub fn iso_date_from_bytes(bytes: &[u8]) -> Option<NaiveDate> {
    let &[y1, y2, y3, y4, b'-', m1, m2, b'-', d1, d2] = bytes else {
        return None;
    };
    let number = |digits: &[u8]| {
        digits.iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let year = i32::try_from(number(&[y1, y2, y3, y4])?).ok()?;
    NaiveDate::from_ymd_opt(year, number(&[m1, m2])?, number(&[d1, d2])?)
}

/// Times are stored to the second; finer parts are dropped before anything is written, so
/// what is read back equals what was written (the chain checksum depends on it).
pub(crate) fn truncate_to_second(time: NaiveDateTime) -> NaiveDateTime {
    time.with_nanosecond(0).unwrap_or(time)
}

/// `YYYY-MM-DDTHH:MM:SS`, by hand for the same reason as [`format_date`].
pub fn format_time(time: NaiveDateTime) -> String {
    let mut text = String::with_capacity(19);
    push_date(&mut text, time.date());
    text.push('T');
    push_digits(&mut text, time.hour(), 2);
    text.push(':');
    push_digits(&mut text, time.minute(), 2);
    text.push(':');
    push_digits(&mut text, time.second(), 2);
    text
}

pub(crate) fn parse_time(text: &str, what: &str) -> Result<NaiveDateTime> {
    NaiveDateTime::parse_from_str(text, TIME_FORMAT)
        .map_err(|_| JournalError::Corrupt(format!("{what}: '{text}' is not a time")))
}

/// Offsets as a JSON array of strings: `["5001","5002"]`. An offset without a quote, a
/// backslash or a control character (nearly every one) is copied whole: pushed character by
/// character, the offsets of a bank file's draft lines cost 1.7 % of `import delivery`.
pub(crate) fn offsets_to_json(offsets: &[String]) -> String {
    let mut json = String::with_capacity(2 + offsets.iter().map(|o| o.len() + 3).sum::<usize>());
    json.push('[');
    for (i, offset) in offsets.iter().enumerate() {
        if i > 0 {
            json.push(',');
        }
        json.push('"');
        if !offset.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
            json.push_str(offset);
            json.push('"');
            continue;
        }
        for c in offset.chars() {
            match c {
                '"' => json.push_str("\\\""),
                '\\' => json.push_str("\\\\"),
                c if u32::from(c) < 0x20 => {
                    let _ = write!(json, "\\u{:04x}", u32::from(c));
                }
                c => json.push(c),
            }
        }
        json.push('"');
    }
    json.push(']');
    json
}

/// Reads a JSON array of strings, as [`offsets_to_json`] writes it (and as any JSON writer
/// would: whitespace and every JSON escape are understood).
pub(crate) fn offsets_from_json(json: &str) -> Result<Vec<String>> {
    simple_string_array(json)
        .or_else(|| parse_string_array(json))
        .ok_or_else(|| {
            JournalError::Corrupt(format!("offsets '{json}' are not a JSON array of strings"))
        })
}

/// The form [`offsets_to_json`] writes when no offset holds a quote, a backslash or a
/// control character (`[]`, `["5001","5002"]`: nearly every line), read by slicing between
/// the quotes; anything else is `None`, for [`parse_string_array`]. Posting reads each
/// line's offsets three times, and the general parser's character-by-character pushes were
/// 5 % of `journal post`.
fn simple_string_array(json: &str) -> Option<Vec<String>> {
    let mut rest = json.strip_prefix('[')?.strip_suffix(']')?;
    let mut strings = Vec::new();
    if rest.is_empty() {
        return Some(strings);
    }
    if rest.bytes().any(|b| b == b'\\' || b < 0x20) {
        return None;
    }
    loop {
        rest = rest.strip_prefix('"')?;
        let end = rest.find('"')?;
        strings.push(rest[..end].to_string());
        rest = &rest[end + 1..];
        if rest.is_empty() {
            return Some(strings);
        }
        rest = rest.strip_prefix(',')?;
    }
}

fn parse_string_array(json: &str) -> Option<Vec<String>> {
    let mut chars = json.trim().chars().peekable();
    let mut strings = Vec::new();
    if chars.next()? != '[' {
        return None;
    }
    skip_space(&mut chars);
    if chars.peek() == Some(&']') {
        chars.next();
        return chars.next().is_none().then_some(strings);
    }
    loop {
        skip_space(&mut chars);
        if chars.next()? != '"' {
            return None;
        }
        let mut text = String::new();
        loop {
            match chars.next()? {
                '"' => break,
                '\\' => match chars.next()? {
                    '"' => text.push('"'),
                    '\\' => text.push('\\'),
                    '/' => text.push('/'),
                    'b' => text.push('\u{8}'),
                    'f' => text.push('\u{c}'),
                    'n' => text.push('\n'),
                    'r' => text.push('\r'),
                    't' => text.push('\t'),
                    'u' => {
                        let high = hex4(&mut chars)?;
                        let code = if (0xD800..0xDC00).contains(&high) {
                            if chars.next()? != '\\' || chars.next()? != 'u' {
                                return None;
                            }
                            let low = hex4(&mut chars)?;
                            if !(0xDC00..0xE000).contains(&low) {
                                return None;
                            }
                            0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            high
                        };
                        text.push(char::from_u32(code)?);
                    }
                    _ => return None,
                },
                c if u32::from(c) < 0x20 => return None,
                c => text.push(c),
            }
        }
        strings.push(text);
        skip_space(&mut chars);
        match chars.next()? {
            ',' => continue,
            ']' => return chars.next().is_none().then_some(strings),
            _ => return None,
        }
    }
}

fn skip_space(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while chars.peek().is_some_and(|c| c.is_ascii_whitespace()) {
        chars.next();
    }
}

fn hex4(chars: &mut impl Iterator<Item = char>) -> Option<u32> {
    let mut value = 0;
    for _ in 0..4 {
        value = value * 16 + chars.next()?.to_digit(16)?;
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn offsets_json_reads_what_any_json_writer_writes() {
        let cases: &[(&str, &[&str])] = &[
            ("[]", &[]),
            (" [ ] ", &[]),
            (r#"["5001"]"#, &["5001"]),
            (r#"["5001", "5002" ,"x"]"#, &["5001", "5002", "x"]),
            (r#"["a\"b\\c\/d\n\t"]"#, &["a\"b\\c/d\n\t"]),
            (r#"["\u00e6\u00f8\u00e5", "\ud83d\ude00"]"#, &["æøå", "😀"]),
        ];
        for (json, expected) in cases {
            let got = offsets_from_json(json).unwrap();
            assert_eq!(got, expected.to_vec(), "{json}");
        }
        for bad in [
            "",
            "[",
            "[\"a\"",
            "[\"a\",]",
            "[1]",
            "{}",
            "[\"a\"] x",
            "[\"\\x\"]",
            "[\"\\ud83d\"]",
            "[\"\u{1}\"]",
        ] {
            assert!(offsets_from_json(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn offsets_json_is_what_sqlite_writes() {
        // SQLite's own writer and validator agree with ours.
        let conn = Connection::open_in_memory().unwrap();
        let offsets = vec!["5001".to_string(), "a\"b\\c\u{1}æ".to_string()];
        let ours = offsets_to_json(&offsets);
        let (sqlite, valid): (String, bool) = conn
            .query_row(
                "SELECT json_array(?1, ?2), json_valid(?3)",
                (&offsets[0], &offsets[1], &ours),
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .unwrap();
        assert!(valid);
        assert_eq!(offsets_from_json(&sqlite).unwrap(), offsets);
    }

    proptest! {
        #[test]
        fn dates_and_times_are_written_as_chrono_writes_them(
            days in -1_000_000i64..4_000_000,
            seconds in 0u32..86_400,
        ) {
            let date = NaiveDate::from_num_days_from_ce_opt(days as i32).unwrap();
            prop_assert_eq!(format_date(date), date.format(DATE_FORMAT).to_string());
            let text = format_date(date);
            if let Some(plain) = iso_date_from_bytes(text.as_bytes()) {
                prop_assert_eq!(plain, date);
            } else {
                prop_assert!(text.len() != 10, "{}", text);
            }
            let time = date.and_time(
                chrono::NaiveTime::from_num_seconds_from_midnight_opt(seconds, 0).unwrap(),
            );
            prop_assert_eq!(format_time(time), time.format(TIME_FORMAT).to_string());
            prop_assert_eq!(parse_time(&format_time(time), "t").unwrap(), time);
        }

        #[test]
        fn offsets_json_round_trips(offsets in proptest::collection::vec(any::<String>(), 0..5)) {
            prop_assert_eq!(offsets_from_json(&offsets_to_json(&offsets)).unwrap(), offsets);
        }

        /// The digit-by-digit date reader reads a text as chrono does, or leaves it to it.
        #[test]
        fn the_plain_date_reader_agrees_with_chrono(text in r"[0-9]{4}-[0-9]{2}-[0-9]{2}|.{0,12}") {
            if let Some(plain) = iso_date_from_bytes(text.as_bytes()) {
                prop_assert_eq!(Ok(plain), NaiveDate::parse_from_str(&text, DATE_FORMAT), "{}", text);
            }
        }

        /// Whatever the fast reader accepts, the general parser reads the same way.
        #[test]
        fn the_fast_offsets_reader_agrees_with_the_parser(
            json in r#"\[("[a-z0-9 ,\]\["]{0,6}"(,|, )?){0,3}\]|.{0,12}"#,
        ) {
            if let Some(fast) = simple_string_array(&json) {
                prop_assert_eq!(Some(fast), parse_string_array(&json), "{}", json);
            }
        }
    }
}
