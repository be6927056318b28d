//! Reading fixed-width records (formats.md §8.1): splitting lines, padding, field access.
//!
//! Conventions, the same for every delivery type:
//!
//! * lines end at LF; one trailing CR is stripped (files may be CR LF or LF);
//! * blank lines and `PBCNET` envelope lines are skipped;
//! * a record is right-padded with blanks to the record width (BS files from the bank come
//!   right-trimmed), and a longer line is refused;
//! * every byte must be printable ISO 8859-1: besides the control bytes refused by
//!   [`super::latin1`], TAB is refused here because it breaks the column positions, and the
//!   two-byte UTF-8 spellings of U+00A0–U+00FF (`0xC2`/`0xC3` followed by `0xA0`–`0xBF`, e.g.
//!   `ø` as `0xC3 0xB8`) are refused as "UTF-8 encoded text": in a Danish bank file they
//!   mean the file was re-encoded, and decoding them as `Ã¸` would corrupt names silently;
//! * each record keeps its original 1-based line number for messages.
//!
//! Field positions are 1-based and inclusive, exactly as in the tables of formats.md.

use chrono::NaiveDate;
use ledger::{Amount, Id};

use super::error::{quoted, ParseError};
use super::latin1::{is_refused_control, refused_byte};
use super::{BS_WIDTH, MAX_RECORDS};

/// The widest record of any supported delivery (BS and LS002 files).
pub(crate) const MAX_WIDTH: usize = BS_WIDTH;

/// One record: its line number and its bytes, padded with blanks to [`MAX_WIDTH`].
#[derive(Clone)]
pub(crate) struct Record {
    pub line: usize,
    /// Length of the line as read, before padding.
    pub len: usize,
    buf: [u8; MAX_WIDTH],
}

/// How a date field is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DateLayout {
    /// BS 0602/0603 and every BS002: day, month, two-digit year.
    Ddmmyy,
    /// BS 0601 section start and payment date.
    Ddmmyyyy,
    /// Leverandørservice.
    Yymmdd,
}

impl DateLayout {
    pub(crate) const fn width(self) -> usize {
        match self {
            DateLayout::Ddmmyy | DateLayout::Yymmdd => 6,
            DateLayout::Ddmmyyyy => 8,
        }
    }

    pub(crate) const fn expected(self) -> &'static str {
        match self {
            DateLayout::Ddmmyy => "a date DDMMYY",
            DateLayout::Ddmmyyyy => "a date DDMMYYYY",
            DateLayout::Yymmdd => "a date YYMMDD",
        }
    }
}

/// Two-digit years: 00–69 are 2000–2069, 70–99 are 1970–1999. No source states a pivot
/// (formats.md §1 "century"); this one reads every date a live delivery can carry and matches
/// Python's `%y`, which one of the reference implementations (MS) relies on.
pub(crate) const fn century_year(two_digits: u32) -> i32 {
    if two_digits < 70 {
        2000 + two_digits as i32
    } else {
        1900 + two_digits as i32
    }
}

/// Where an expected value came from, for messages: "in the section start on line 2". Kept
/// as parts so that nothing is formatted unless there is an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Origin {
    pub what: &'static str,
    pub line: usize,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "in the {} on line {}", self.what, self.line)
    }
}

/// The direction of an amount (fortegnskode, formats.md §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sign {
    /// `0`: no amount; the amount fields must be zero.
    None,
    /// `1`: withdrawal / payment to the creditor.
    Withdrawal,
    /// `2`: deposit to the debtor; the amounts are negative in the parsed value.
    Deposit,
}

impl Record {
    /// Builds a record from a line's bytes (at most [`MAX_WIDTH`]; longer input is cut, which
    /// the reader never lets happen).
    pub(crate) fn new(line: usize, bytes: &[u8]) -> Record {
        let mut buf = [b' '; MAX_WIDTH];
        let length = bytes.len().min(MAX_WIDTH);
        if let (Some(slots), Some(bytes)) = (buf.get_mut(..length), bytes.get(..length)) {
            slots.copy_from_slice(bytes);
        }
        Record {
            line,
            len: bytes.len().min(MAX_WIDTH),
            buf,
        }
    }

    /// The bytes at positions `from..=to` (1-based); empty if the positions are impossible.
    pub(crate) fn bytes(&self, from: usize, to: usize) -> &[u8] {
        self.buf
            .get(from.saturating_sub(1)..to.min(MAX_WIDTH))
            .unwrap_or(&[])
    }

    pub(crate) fn error(
        &self,
        column: usize,
        field: impl Into<String>,
        found: impl Into<String>,
        expected: impl Into<String>,
    ) -> ParseError {
        ParseError::new(self.line, column, field, found, expected)
    }

    /// What a message says was found at `column`: the quoted bytes, or the end of the record
    /// when the line stopped before that column (a truncated record).
    pub(crate) fn found(&self, column: usize, bytes: &[u8]) -> String {
        if column > self.len {
            format!("the end of the record ({} characters)", self.len)
        } else {
            quoted(bytes)
        }
    }

    /// An alphanumeric (X) field: decoded from ISO 8859-1, trailing blanks removed.
    pub(crate) fn text(&self, from: usize, to: usize) -> String {
        latin1_string(self.trimmed(from, to))
    }

    /// [`Reader::text`] as an [`Id`]: a field of up to 16 characters (a customer number, a
    /// payment reference) is kept inline, where a `String` is a heap block per field.
    pub(crate) fn text_id(&self, from: usize, to: usize) -> Id {
        latin1_id(self.trimmed(from, to))
    }

    /// The bytes of a field without its trailing blanks.
    fn trimmed(&self, from: usize, to: usize) -> &[u8] {
        let bytes = self.bytes(from, to);
        let end = bytes.iter().rposition(|&b| b != b' ').map_or(0, |i| i + 1);
        bytes.get(..end).unwrap_or(&[])
    }

    /// Checks that every position of a numeric field is a digit; the error points at the first
    /// one that is not: `amount: found 'X', expected a digit`.
    fn check_digits(&self, from: usize, to: usize, field: &str) -> Result<&[u8], ParseError> {
        let bytes = self.bytes(from, to);
        match bytes.iter().position(|b| !b.is_ascii_digit()) {
            None => Ok(bytes),
            Some(index) => Err(self.error(
                from + index,
                field,
                self.found(from + index, bytes.get(index..=index).unwrap_or(&[])),
                "a digit",
            )),
        }
    }

    /// A numeric (N) field kept as its digits (identifiers with significant leading zeros).
    pub(crate) fn digits(&self, from: usize, to: usize, field: &str) -> Result<String, ParseError> {
        let bytes = self.check_digits(from, to, field)?;
        Ok(latin1_string(bytes))
    }

    /// [`Reader::digits`] as an [`Id`] (inline up to 16 digits).
    pub(crate) fn digits_id(&self, from: usize, to: usize, field: &str) -> Result<Id, ParseError> {
        Ok(latin1_id(self.check_digits(from, to, field)?))
    }

    /// A numeric (N) field as a number. Fields are at most 15 digits, so `u64` never overflows.
    pub(crate) fn number(&self, from: usize, to: usize, field: &str) -> Result<u64, ParseError> {
        let bytes = self.check_digits(from, to, field)?;
        Ok(bytes.iter().fold(0u64, |n, &b| {
            n.wrapping_mul(10).wrapping_add(u64::from(b - b'0'))
        }))
    }

    /// Either all digits or all blanks (then `""`): used where a newer layout writes blanks
    /// into a formerly numeric field (0601 section start reg./account, formats.md §9).
    pub(crate) fn digits_or_blank(
        &self,
        from: usize,
        to: usize,
        field: &str,
    ) -> Result<String, ParseError> {
        if self.bytes(from, to).iter().all(|&b| b == b' ') {
            Ok(String::new())
        } else {
            self.digits(from, to, field)
        }
    }

    /// A date field starting at `from`; all zeros is "no date".
    pub(crate) fn date(
        &self,
        from: usize,
        layout: DateLayout,
        field: &str,
    ) -> Result<Option<NaiveDate>, ParseError> {
        let to = from + layout.width() - 1;
        let bytes = self.bytes(from, to);
        if bytes.iter().all(|&b| b == b'0') {
            return Ok(None);
        }
        let invalid = || {
            let column = bytes
                .iter()
                .position(|&b| b == b' ')
                .map_or(from, |blank| from + blank);
            self.error(from, field, self.found(column, bytes), layout.expected())
        };
        if bytes.len() != layout.width() || !bytes.iter().all(u8::is_ascii_digit) {
            return Err(invalid());
        }
        let two = |i: usize| -> u32 {
            let pair = bytes.get(i..i + 2).unwrap_or(b"00");
            pair.iter().fold(0, |n, &b| n * 10 + u32::from(b - b'0'))
        };
        let (day, month, year) = match layout {
            DateLayout::Ddmmyy => (two(0), two(2), century_year(two(4))),
            DateLayout::Yymmdd => (two(4), two(2), century_year(two(0))),
            // Year 0000 is refused: the field only holds the years 1–9999 of the calendar.
            DateLayout::Ddmmyyyy => (two(0), two(2), (two(4) * 100 + two(6)) as i32),
        };
        if year == 0 {
            return Err(invalid());
        }
        NaiveDate::from_ymd_opt(year, month, day)
            .map(Some)
            .ok_or_else(invalid)
    }

    /// A date field that must hold a date (zeros refused).
    pub(crate) fn required_date(
        &self,
        from: usize,
        layout: DateLayout,
        field: &str,
    ) -> Result<NaiveDate, ParseError> {
        self.date(from, layout, field)?.ok_or_else(|| {
            let bytes = self.bytes(from, from + layout.width() - 1);
            self.error(from, field, quoted(bytes), layout.expected())
        })
    }

    /// A sign code; `deposit_allowed` is false where the layout only knows `0` and `1`.
    pub(crate) fn sign(&self, at: usize, deposit_allowed: bool) -> Result<Sign, ParseError> {
        match self.bytes(at, at) {
            b"0" => Ok(Sign::None),
            b"1" => Ok(Sign::Withdrawal),
            b"2" if deposit_allowed => Ok(Sign::Deposit),
            other => Err(self.error(
                at,
                "sign code",
                quoted(other),
                if deposit_allowed {
                    "0, 1 or 2"
                } else {
                    "0 or 1"
                },
            )),
        }
    }

    /// An unsigned øre field turned into a signed [`Amount`] by the sign code: sign 2 makes it
    /// negative; sign 0 requires the field to be zero.
    pub(crate) fn amount(
        &self,
        from: usize,
        to: usize,
        field: &str,
        sign: Sign,
    ) -> Result<Amount, ParseError> {
        let ore = self.number(from, to, field)?;
        // At most 13 digits, far below i64::MAX.
        let ore = i64::try_from(ore).map_err(|_| {
            self.error(
                from,
                field,
                quoted(self.bytes(from, to)),
                "an amount in øre",
            )
        })?;
        match sign {
            Sign::None if ore != 0 => Err(self.error(
                from,
                field,
                quoted(self.bytes(from, to)),
                "zeros with sign code 0",
            )),
            Sign::Deposit => Ok(Amount::from_ore(-ore)),
            _ => Ok(Amount::from_ore(ore)),
        }
    }

    /// An unsigned øre field (LS records without a sign code).
    pub(crate) fn unsigned_amount(
        &self,
        from: usize,
        to: usize,
        field: &str,
    ) -> Result<Amount, ParseError> {
        self.amount(from, to, field, Sign::Withdrawal)
    }

    /// Checks that a field equals what an earlier record fixed, e.g. the debtor group of a
    /// payment record against its section start.
    pub(crate) fn expect_same(
        &self,
        from: usize,
        to: usize,
        field: &str,
        expected: &str,
        origin: Origin,
    ) -> Result<(), ParseError> {
        let bytes = self.bytes(from, to);
        if bytes == expected.as_bytes() {
            Ok(())
        } else {
            Err(self.error(
                from,
                field,
                quoted(bytes),
                format!("'{expected}' as {origin}"),
            ))
        }
    }

    /// Checks a control field (count or total) against what the reader computed.
    pub(crate) fn expect_count(
        &self,
        from: usize,
        to: usize,
        field: &str,
        computed: u128,
        what: &str,
    ) -> Result<(), ParseError> {
        let found = self.number(from, to, field)?;
        if u128::from(found) == computed {
            Ok(())
        } else {
            let width = to + 1 - from;
            Err(self.error(
                from,
                field,
                quoted(self.bytes(from, to)),
                format!("'{computed:0width$}' ({what})"),
            ))
        }
    }
}

/// Decodes ISO 8859-1 bytes; ASCII (the common case) is copied as it is.
/// [`latin1_string`] as an [`Id`], without a `String` first when the bytes are ASCII.
fn latin1_id(bytes: &[u8]) -> Id {
    match std::str::from_utf8(bytes) {
        Ok(text) if bytes.is_ascii() => Id::from(text),
        _ => Id::from(latin1_string(bytes)),
    }
}

fn latin1_string(bytes: &[u8]) -> String {
    if bytes.is_ascii() {
        if let Ok(text) = String::from_utf8(bytes.to_vec()) {
            return text;
        }
    }
    bytes.iter().map(|&b| char::from(b)).collect()
}

/// Byte classes for the line scanner.
const OK: u8 = 0;
const REFUSED: u8 = 1;
const UTF8_LEAD: u8 = 2;

const fn byte_classes() -> [u8; 256] {
    let mut classes = [OK; 256];
    let mut byte = 0;
    while byte < 256 {
        let b = byte as u8;
        if is_refused_control(b) || b == b'\t' || b == b'\r' || b == b'\n' {
            classes[byte] = REFUSED;
        } else if b == 0xC2 || b == 0xC3 {
            classes[byte] = UTF8_LEAD;
        }
        byte += 1;
    }
    classes
}

static BYTE_CLASSES: [u8; 256] = byte_classes();

/// Where a line ends and where the first byte is that needs a closer look.
struct Scan {
    /// Index of the LF, or the length of the input.
    end: usize,
    /// Index of the first byte that is not plain printable ASCII.
    first_suspect: Option<usize>,
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

/// Whether eight bytes are all plain printable ASCII (0x20–0x7E), without a branch per byte:
/// the classic "has a byte less than n" and "has a zero byte" word tricks.
const fn plain_ascii(word: u64) -> bool {
    let below_blank = word.wrapping_sub(ONES * 0x20) & !word & HIGH_BITS;
    let delete = (word ^ (ONES * 0x7F)).wrapping_sub(ONES) & !(word ^ (ONES * 0x7F)) & HIGH_BITS;
    below_blank == 0 && delete == 0 && word & HIGH_BITS == 0
}

/// Finds the end of the next line, eight bytes at a time while the text is plain ASCII (the
/// bulk of every delivery), byte by byte from the first chunk that is not.
fn scan_line(rest: &[u8]) -> Scan {
    let mut index = 0;
    while let Some(chunk) = rest.get(index..index + 8) {
        match <[u8; 8]>::try_from(chunk) {
            Ok(bytes) if plain_ascii(u64::from_le_bytes(bytes)) => index += 8,
            _ => break,
        }
    }
    let mut first_suspect = None;
    for (offset, &byte) in rest.get(index..).unwrap_or(&[]).iter().enumerate() {
        if byte == b'\n' {
            return Scan {
                end: index + offset,
                first_suspect,
            };
        }
        if first_suspect.is_none() && BYTE_CLASSES[usize::from(byte)] != OK {
            first_suspect = Some(index + offset);
        }
    }
    Scan {
        end: rest.len(),
        first_suspect,
    }
}

/// Checks that a line (without its line end) is printable ISO 8859-1.
fn check_line_bytes(line: usize, bytes: &[u8]) -> Result<(), ParseError> {
    for (index, &byte) in bytes.iter().enumerate() {
        match BYTE_CLASSES[usize::from(byte)] {
            OK => {}
            REFUSED => return Err(refused_byte(line, index + 1, byte)),
            _ => {
                if let Some(&next) = bytes.get(index + 1) {
                    if (0xA0..=0xBF).contains(&next) {
                        let decoded = String::from_utf8_lossy(&[byte, next]).into_owned();
                        return Err(ParseError::new(
                            line,
                            index + 1,
                            "character",
                            format!("UTF-8 encoded '{decoded}' (bytes 0x{byte:02X} 0x{next:02X})"),
                            "ISO 8859-1 text",
                        ));
                    }
                }
            }
        }
    }
    Ok(())
}

/// Splits a file into records (see the module documentation).
pub(crate) struct Lines<'a> {
    data: &'a [u8],
    pos: usize,
    line: usize,
    width: usize,
    records: usize,
    max_records: usize,
    failed: bool,
}

impl<'a> Lines<'a> {
    pub(crate) fn new(data: &'a [u8], width: usize) -> Lines<'a> {
        Lines {
            data,
            pos: 0,
            line: 0,
            width,
            records: 0,
            max_records: MAX_RECORDS,
            failed: false,
        }
    }

    /// A lower record limit, so that the limit can be tested without ten million records.
    #[cfg(test)]
    pub(crate) fn with_max_records(mut self, max_records: usize) -> Lines<'a> {
        self.max_records = max_records;
        self
    }

    /// Narrows the record width once the delivery type is known (LS material files: 80).
    pub(crate) fn set_width(&mut self, width: usize) {
        self.width = width;
    }

    /// The line number "end of file" is reported on: one past the last line.
    pub(crate) fn eof_line(&self) -> usize {
        self.line + 1
    }

    /// The next record, or an error "found end of file, expected …".
    pub(crate) fn next_or_eof(
        &mut self,
        field: &str,
        expected: &str,
    ) -> Result<Record, ParseError> {
        match self.next() {
            Some(record) => record,
            None => Err(ParseError::new(
                self.eof_line(),
                1,
                field,
                "end of file",
                expected,
            )),
        }
    }

    /// Refuses anything after the delivery end record.
    pub(crate) fn expect_end(&mut self, end: &Record, end_name: &str) -> Result<(), ParseError> {
        match self.next() {
            None => Ok(()),
            Some(Err(error)) => Err(error),
            Some(Ok(extra)) => Err(extra.error(
                1,
                "delivery end",
                format!("a record after the {end_name} record of line {}", end.line),
                "end of file",
            )),
        }
    }

    fn fail(&mut self, error: ParseError) -> Option<Result<Record, ParseError>> {
        self.failed = true;
        Some(Err(error))
    }
}

impl Iterator for Lines<'_> {
    type Item = Result<Record, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.failed {
                return None;
            }
            let rest = self.data.get(self.pos..).unwrap_or(&[]);
            if rest.is_empty() {
                return None;
            }
            let scan = scan_line(rest);
            let (line, advance) = rest.split_at(scan.end.min(rest.len()));
            self.pos += line.len() + usize::from(!advance.is_empty());
            self.line += 1;
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.iter().all(|&b| b == b' ') || line.starts_with(b"PBCNET") {
                continue;
            }
            if let Some(suspect) = scan.first_suspect.filter(|&at| at < line.len()) {
                let checked = line.get(suspect..).unwrap_or(&[]);
                if let Err(mut error) = check_line_bytes(self.line, checked) {
                    error.column += suspect;
                    return self.fail(error);
                }
            }
            if line.len() > self.width {
                let error = ParseError::new(
                    self.line,
                    self.width + 1,
                    "record length",
                    format!("{} characters", line.len()),
                    format!("at most {}", self.width),
                );
                return self.fail(error);
            }
            self.records += 1;
            if self.records > self.max_records {
                let max = self.max_records;
                let error = ParseError::new(
                    self.line,
                    1,
                    "delivery size",
                    format!("more than {max} records"),
                    format!("at most {max} records in one delivery"),
                );
                return self.fail(error);
            }
            return Some(Ok(Record::new(self.line, line)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The word-at-a-time scan must agree with the obvious byte-by-byte one.
    fn naive_scan(rest: &[u8]) -> (usize, Option<usize>) {
        let end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
        let suspect = rest
            .get(..end)
            .unwrap_or(&[])
            .iter()
            .position(|&b| BYTE_CLASSES[usize::from(b)] != OK);
        (end, suspect)
    }

    #[test]
    fn plain_ascii_is_exactly_0x20_to_0x7e() {
        for byte in 0..=255u8 {
            let word = u64::from_le_bytes([b'A', b'B', byte, b' ', b'~', b'0', b'z', b'!']);
            assert_eq!(
                plain_ascii(word),
                (0x20..0x7F).contains(&byte),
                "0x{byte:02X}"
            );
        }
    }

    proptest! {
        #![proptest_config(crate::delivery::tests::proptest_config(512))]

        #[test]
        fn scan_line_agrees_with_the_naive_scan(
            bytes in prop::collection::vec(
                prop_oneof![4 => 0x20u8..0x7F, 1 => any::<u8>(), 1 => Just(b'\n')],
                0..300,
            )
        ) {
            let scan = scan_line(&bytes);
            prop_assert_eq!((scan.end, scan.first_suspect), naive_scan(&bytes));
        }
    }
}
