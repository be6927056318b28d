//! How model values are written to and read from columns, and the column lists of the
//! queries that load whole model values.

use crate::model::{
    Debtor, Mandate, MandateStatus, PaymentFormat, PaymentLine, Status, StatusChange, TaxId,
    ValidationError,
};
use crate::payment_format::{
    parse_banking_day_action, parse_bs_type, parse_principle, parse_scheme,
};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use ledger::{Amount, Entry, Id};
use rusqlite::types::Type;
use rusqlite::Row;
use std::collections::HashSet;
use std::sync::{Mutex, OnceLock, PoisonError};

/// `YYYY-MM-DD` ([`ledger::iso_date`], digit by digit: chrono's formatter cost about 1,600
/// instructions a date, a million dates in suggest and two million in an import of entries).
pub fn date_text(date: NaiveDate) -> String {
    ledger::iso_date(date)
}

/// `YYYY-MM-DDTHH:MM:SS` ([`ledger::iso_time`]).
pub fn time_text(time: NaiveDateTime) -> String {
    ledger::iso_time(time)
}

/// `HH:MM`.
pub fn cutoff_text(time: NaiveTime) -> String {
    time.format("%H:%M").to_string()
}

/// A column value that is not what the schema promises: the database was edited by hand or
/// damaged. The message names the column and the value.
fn invalid(index: usize, what: &str, value: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        index,
        Type::Text,
        format!("'{value}' is not {what}").into(),
    )
}

/// The error for a NULL in a column the schema declares `NOT NULL`.
fn null(index: usize) -> rusqlite::Error {
    rusqlite::Error::InvalidColumnType(index, String::new(), Type::Null)
}

/// A value parsed from a text column's bytes; NULL is an error.
fn parse_with<T>(
    row: &Row<'_>,
    index: usize,
    what: &str,
    parse: impl Fn(&[u8]) -> Option<T>,
) -> rusqlite::Result<T> {
    optional_with(row, index, what, parse)?.ok_or_else(|| null(index))
}

/// [`parse_with`] for a column that may be NULL.
fn optional_with<T>(
    row: &Row<'_>,
    index: usize,
    what: &str,
    parse: impl Fn(&[u8]) -> Option<T>,
) -> rusqlite::Result<Option<T>> {
    get_optional_bytes(row, index)?
        .map(|bytes| {
            parse(bytes).ok_or_else(|| invalid(index, what, &String::from_utf8_lossy(bytes)))
        })
        .transpose()
}

/// A parser of text as a parser of the bytes of a text column.
fn from_text<T>(parse: impl Fn(&str) -> Option<T>) -> impl Fn(&[u8]) -> Option<T> {
    move |bytes| parse(std::str::from_utf8(bytes).ok()?)
}

/// A text column's bytes borrowed from the row, not checked as UTF-8: what is parsed (dates,
/// statuses) is parsed from the bytes, which a million rows read by every run step need not
/// check twice.
fn get_optional_bytes<'r>(row: &'r Row<'_>, index: usize) -> rusqlite::Result<Option<&'r [u8]>> {
    use rusqlite::types::ValueRef;
    match row.get_ref(index)? {
        ValueRef::Null => Ok(None),
        ValueRef::Text(bytes) => Ok(Some(bytes)),
        other => Err(rusqlite::Error::InvalidColumnType(
            index,
            String::new(),
            other.data_type(),
        )),
    }
}

/// A text column borrowed from the row (no `String` per value: a million rows are read by
/// every run step).
fn get_optional_text<'r>(row: &'r Row<'_>, index: usize) -> rusqlite::Result<Option<&'r str>> {
    get_optional_bytes(row, index)?
        .map(|bytes| std::str::from_utf8(bytes).map_err(rusqlite::Error::Utf8Error))
        .transpose()
}

/// `YYYY-MM-DD` (what [`date_text`] writes, and what `csv_import::parse_date` reads) from the
/// bytes of a column: the ledger's reader of the dates it writes.
fn date_from_bytes(bytes: &[u8]) -> Option<NaiveDate> {
    ledger::iso_date_from_bytes(bytes)
}

pub fn get_date(row: &Row<'_>, index: usize) -> rusqlite::Result<NaiveDate> {
    parse_with(row, index, "a date", date_from_bytes)
}

pub fn get_optional_date(row: &Row<'_>, index: usize) -> rusqlite::Result<Option<NaiveDate>> {
    optional_with(row, index, "a date", date_from_bytes)
}

fn parse_time(bytes: &[u8]) -> Option<NaiveDateTime> {
    let text = std::str::from_utf8(bytes).ok()?;
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S").ok()
}

/// [`Status::parse`] of a column's bytes.
fn status_from_bytes(bytes: &[u8]) -> Option<Status> {
    Status::ALL
        .into_iter()
        .find(|status| status.as_str().as_bytes() == bytes)
}

pub fn get_status(row: &Row<'_>, index: usize) -> rusqlite::Result<Status> {
    parse_with(row, index, "a payment line status", status_from_bytes)
}

/// A short id column, read straight into an [`Id`] (no `String` in between).
pub fn get_id(row: &Row<'_>, index: usize) -> rusqlite::Result<Id> {
    get_optional_id(row, index)?.ok_or(rusqlite::Error::InvalidColumnType(
        index,
        String::new(),
        Type::Null,
    ))
}

/// [`get_id`] for a column that may be NULL.
pub fn get_optional_id(row: &Row<'_>, index: usize) -> rusqlite::Result<Option<Id>> {
    Ok(get_optional_text(row, index)?.map(Id::from))
}

fn get_amount(row: &Row<'_>, index: usize) -> rusqlite::Result<Amount> {
    Ok(Amount::from_ore(row.get(index)?))
}

/// The columns of [`format_from_row`], in order.
pub const FORMAT_COLUMNS: &str = "id, scheme, bs_type, creditor_number, supplier_cvr, \
    debtor_group, system_code, principle, bank_account, journal, banking_day_action, cutoff, \
    extended_deadline, allow_without_invoice, block_payouts, create_payment_id, \
    debtor_account_as_mandate";

pub fn format_from_row(row: &Row<'_>) -> rusqlite::Result<PaymentFormat> {
    Ok(PaymentFormat {
        id: get_id(row, 0)?,
        scheme: parse_with(row, 1, "a scheme", from_text(parse_scheme))?,
        bs_type: optional_with(row, 2, "a BS type", from_text(parse_bs_type))?,
        creditor_number: row.get(3)?,
        supplier_cvr: row.get(4)?,
        debtor_group: row.get(5)?,
        system_code: row.get(6)?,
        principle: parse_with(row, 7, "a charging principle", from_text(parse_principle))?,
        bank_account: row.get(8)?,
        journal: row.get(9)?,
        banking_day_action: parse_with(
            row,
            10,
            "a banking-day action",
            from_text(parse_banking_day_action),
        )?,
        cutoff: parse_with(
            row,
            11,
            "a time HH:MM",
            from_text(|t| NaiveTime::parse_from_str(t, "%H:%M").ok()),
        )?,
        extended_deadline: row.get(12)?,
        allow_without_invoice: row.get(13)?,
        block_payouts: row.get(14)?,
        create_payment_id: row.get(15)?,
        debtor_account_as_mandate: row.get(16)?,
    })
}

/// The columns of [`debtor_from_row`], in order: what the core needs, then the contact
/// details.
pub const DEBTOR_COLUMNS: &str =
    "account, tax_id, postcode, country, payment_format, name, address, city, email";
/// [`DEBTOR_COLUMNS`] without the contact details (name, address, city, e-mail), which the
/// core does not need: [`debtor_from_row`] reads them as ''.
pub const DEBTOR_CORE_COLUMNS: &str = "account, tax_id, postcode, country, payment_format";

/// A debtor from the columns of [`DEBTOR_COLUMNS`] or of [`DEBTOR_CORE_COLUMNS`].
pub fn debtor_from_row(row: &Row<'_>) -> rusqlite::Result<Debtor> {
    let has_contact = row.as_ref().column_count() > 5;
    let contact = |index: usize| {
        if has_contact {
            get_id(row, index)
        } else {
            Ok(Id::default())
        }
    };
    let tax_id = get_optional_text(row, 1)?
        .map(|digits| {
            // The value is not repeated: it may be a CPR number (I12).
            TaxId::parse(digits).map_err(|message| {
                rusqlite::Error::FromSqlConversionFailure(1, Type::Text, message.into())
            })
        })
        .transpose()?;
    Ok(Debtor {
        account: get_id(row, 0)?,
        name: contact(5)?,
        tax_id,
        address: contact(6)?,
        postcode: get_id(row, 2)?,
        city: contact(7)?,
        country: get_id(row, 3)?,
        email: contact(8)?,
        payment_format: get_optional_id(row, 4)?,
    })
}

/// [`MandateStatus::parse`] of a column's bytes.
fn mandate_status_from_bytes(bytes: &[u8]) -> Option<MandateStatus> {
    MandateStatus::ALL
        .into_iter()
        .find(|status| status.as_str().as_bytes() == bytes)
}

/// The columns of [`mandate_from_row`], in order.
pub const MANDATE_COLUMNS: &str =
    "mandate_id, debtor, payment_format, status, agreement, start_date, end_date, alt_mandate_id";

pub fn mandate_from_row(row: &Row<'_>) -> rusqlite::Result<Mandate> {
    Ok(Mandate {
        mandate_id: get_id(row, 0)?,
        debtor: get_id(row, 1)?,
        payment_format: get_id(row, 2)?,
        status: parse_with(row, 3, "a mandate status", mandate_status_from_bytes)?,
        agreement: get_optional_id(row, 4)?,
        start_date: get_optional_date(row, 5)?,
        end_date: get_optional_date(row, 6)?,
        alt_mandate_id: get_optional_id(row, 7)?,
    })
}

/// The columns of [`entry_from_row`], in order, for a table aliased `e`.
pub const ENTRY_COLUMNS: &str = "e.entry_id, e.debtor, e.date, e.due_date, e.invoice, e.amount, \
    e.remaining, e.currency, e.text, e.has_invoice_lines, e.payment_id";

/// An entry from the columns of [`ENTRY_COLUMNS`] starting at `first`.
pub fn entry_from_row(row: &Row<'_>, first: usize) -> rusqlite::Result<Entry> {
    Ok(Entry {
        entry_id: get_id(row, first)?,
        debtor: get_id(row, first + 1)?,
        date: get_optional_date(row, first + 2)?,
        due_date: get_date(row, first + 3)?,
        invoice: get_optional_id(row, first + 4)?,
        amount: get_amount(row, first + 5)?,
        remaining: get_amount(row, first + 6)?,
        currency: get_id(row, first + 7)?,
        text: get_id(row, first + 8)?,
        has_invoice_lines: row.get(first + 9)?,
        payment_id: get_optional_id(row, first + 10)?,
    })
}

/// The columns of [`line_from_row`], in order, for a table aliased `l`.
///
/// `l.errors` comes last: a step that validates again selects the columns without it, and
/// [`line_from_row`] reads a row that ends before it as a line without stored validation
/// results.
pub const LINE_COLUMNS: &str = "l.id, l.entry_id, l.debtor, l.format_id, l.payment_date, \
    l.partial_payment, l.status, l.cancellation_sent, l.comment, l.group_id, \
    l.allow_overwriting, l.reference, l.date_sent, l.delivery_id, l.errors";
/// How many columns [`LINE_COLUMNS`] has.
pub const LINE_COLUMN_COUNT: usize = 15;

pub fn line_from_row(row: &Row<'_>) -> rusqlite::Result<PaymentLine> {
    let debtor = get_id(row, 2)?;
    let format_id = get_id(row, 3)?;
    let errors = if row.as_ref().column_count() > 14 {
        get_optional_text(row, 14)?
            .map(|json| {
                errors_from_json(json, &debtor, &format_id)
                    .ok_or_else(|| invalid(14, "a list of validation errors", json))
            })
            .transpose()?
    } else {
        None
    };
    Ok(PaymentLine {
        id: row.get(0)?,
        entry_id: get_id(row, 1)?,
        debtor,
        format_id,
        payment_date: get_date(row, 4)?,
        partial_payment: row.get::<_, Option<i64>>(5)?.map(Amount::from_ore),
        status: get_status(row, 6)?,
        errors: errors.map(Vec::into_boxed_slice),
        comment: get_id(row, 8)?,
        group: get_optional_id(row, 9)?,
        allow_overwriting: row.get(10)?,
        reference: get_optional_id(row, 11)?,
        date_sent: get_optional_date(row, 12)?,
        delivery_id: get_optional_id(row, 13)?,
        cancellation_sent: row.get(7)?,
    })
}

/// A status change as [`super::status_log::LINE_LOG_SQL`] reads it: at, old, new, cause.
pub fn status_change_from_row(row: &Row<'_>) -> rusqlite::Result<StatusChange> {
    Ok(StatusChange {
        at: parse_with(row, 0, "a time", parse_time)?,
        old: optional_with(row, 1, "a payment line status", status_from_bytes)?,
        new: get_status(row, 2)?,
        cause: row.get(3)?,
    })
}

/// Validation errors as stored: a JSON array of `{"code": …, "message": …}`, written as
/// `serde_json::to_string` writes it (compact, the same escapes), byte for byte. A line's
/// own results are stored by [`line_errors_to_json`], which keeps a clash by its parts.
///
/// Written by hand into a string sized up front: serde_json's writer grew its buffer a few
/// times a line, and with its serialiser cost about 2,900 instructions a validated line
/// (7.6 % of validate at 100,000 lines).
pub fn errors_to_json(errors: &[ValidationError]) -> String {
    write_errors(errors, |_| None)
}

/// A line's validation results as stored: [`errors_to_json`], except that a
/// duplicate-debtor-date message of this line is kept as
/// `{"code":"duplicate-debtor-date","has":…,"on":…,"unsent":…}`: the lines it names, its
/// date, and which advice it gives. The rest of the message is the line's debtor and format,
/// which never change, and fixed words ([`errors_from_json`] writes it again, the same
/// text byte for byte).
///
/// Three in four lines of a million-line run clash on a date when validate runs before
/// collect (the order of `performance.md`): their 236-byte results made the lines' table
/// five times its size (7,001 → 34,446 pages of 8 KiB), and since collect clears them and
/// SQLite does not merge pages whose rows shrink, every later step read and rewrote the
/// emptied pages. Stored this way a clash takes 112 bytes on average at a million lines (86
/// when it names one line).
pub fn line_errors_to_json(line: &PaymentLine, errors: &[ValidationError]) -> String {
    write_errors(errors, |error| clash_parts(line, error))
}

/// The parts of `error` that [`line_errors_to_json`] stores when it is `line`'s
/// duplicate-debtor-date message: the lines it names, its date, and whether it advises
/// collecting.
/// `None` for any other error, or a message not written by `validate` for this line as it
/// is (then the whole message is stored).
fn clash_parts<'e>(
    line: &PaymentLine,
    error: &'e ValidationError,
) -> Option<(&'e str, NaiveDate, bool)> {
    if error.code != crate::validate::code::DUPLICATE_DEBTOR_DATE {
        return None;
    }
    let mut head = String::with_capacity(24 + line.debtor.len());
    crate::validate::push_clash_head(&mut head, &line.debtor);
    let rest = error.message.strip_prefix(head.as_str())?;
    let mut tail = head;
    [true, false].into_iter().find_map(|unsent| {
        tail.clear();
        crate::validate::push_clash_tail(&mut tail, line.payment_date, &line.format_id, unsent);
        rest.strip_suffix(tail.as_str())
            .map(|has| (has, line.payment_date, unsent))
    })
}

/// [`errors_to_json`], storing an error by the parts `compact` finds, if it finds them.
fn write_errors<'e>(
    errors: &'e [ValidationError],
    compact: impl Fn(&'e ValidationError) -> Option<(&'e str, NaiveDate, bool)>,
) -> String {
    // `{"code":"","message":""}` and a comma: 25 bytes besides the two texts.
    let capacity = 2 + errors
        .iter()
        .map(|e| e.code.len() + e.message.len() + 25)
        .sum::<usize>();
    let mut json = String::with_capacity(capacity);
    json.push('[');
    for (i, error) in errors.iter().enumerate() {
        if i > 0 {
            json.push(',');
        }
        json.push_str("{\"code\":");
        push_json_string(&mut json, error.code);
        match compact(error) {
            Some((has, date, unsent)) => {
                json.push_str(",\"has\":");
                push_json_string(&mut json, has);
                json.push_str(",\"on\":\"");
                json.push_str(&date_text(date));
                json.push_str(if unsent {
                    "\",\"unsent\":true"
                } else {
                    "\",\"unsent\":false"
                });
            }
            None => {
                json.push_str(",\"message\":");
                push_json_string(&mut json, &error.message);
            }
        }
        json.push('}');
    }
    json.push(']');
    json
}

/// `text` as a JSON string, escaped as serde_json escapes it: `"` and `\` with a backslash,
/// the control characters U+0000–U+001F as `\b`, `\t`, `\n`, `\f`, `\r` or `\u00xx`
/// (lower-case hex), everything else as it is.
///
/// The text is searched for those bytes eight at a time ([`has_escape`]): messages are long
/// (a clash on a date names its lines, about 200 bytes) and nearly never hold one, and a byte
/// at a time cost about 11 instructions a byte (6 % of validate at 100,000 lines).
fn push_json_string(json: &mut String, text: &str) {
    json.push('"');
    let bytes = text.as_bytes();
    // `bytes[written..]` is not in `json` yet. Every byte escaped is ASCII, so the text is
    // cut at character boundaries.
    let mut written = 0;
    let mut at = 0;
    while at < bytes.len() {
        if let Some(word) = bytes.get(at..at + 8) {
            let word = u64::from_le_bytes(word.try_into().unwrap_or([0; 8]));
            if !has_escape(word) {
                at += 8;
                continue;
            }
        }
        let byte = bytes[at];
        if !(byte == b'"' || byte == b'\\' || byte < b' ') {
            at += 1;
            continue;
        }
        json.push_str(&text[written..at]);
        match byte {
            b'"' => json.push_str("\\\""),
            b'\\' => json.push_str("\\\\"),
            0x08 => json.push_str("\\b"),
            b'\t' => json.push_str("\\t"),
            b'\n' => json.push_str("\\n"),
            0x0c => json.push_str("\\f"),
            b'\r' => json.push_str("\\r"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                json.push_str("\\u00");
                json.push(char::from(HEX[usize::from(byte >> 4)]));
                json.push(char::from(HEX[usize::from(byte & 0xf)]));
            }
        }
        at += 1;
        written = at;
    }
    json.push_str(&text[written..]);
    json.push('"');
}

/// True when one of the eight bytes of `word` is `"`, `\` or below U+0020 (the bytes
/// [`push_json_string`] escapes).
fn has_escape(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Some byte of x is below n (n ≤ 0x80) exactly when `(x - n·ONES) & !x` has a high bit
    // set: the first such byte sets its own, and a borrow only runs on from one.
    let below = |x: u64, n: u8| x.wrapping_sub(ONES * u64::from(n)) & !x & HIGH;
    let quote = word ^ (ONES * u64::from(b'"'));
    let backslash = word ^ (ONES * u64::from(b'\\'));
    (below(word, 0x20) | below(quote, 1) | below(backslash, 1)) != 0
}

/// The validation results of a line of `debtor` in format `format_id` as stored by
/// [`errors_to_json`] or [`line_errors_to_json`]: a clash stored by its parts gets its whole
/// message back.
fn errors_from_json(json: &str, debtor: &str, format_id: &str) -> Option<Vec<ValidationError>> {
    if json == "[]" {
        // Most lines: nothing to parse.
        return Some(Vec::new());
    }
    let stored: Vec<serde_json::Map<String, serde_json::Value>> =
        serde_json::from_str(json).ok()?;
    stored
        .iter()
        .map(|e| {
            let code = intern_code(e.get("code")?.as_str()?);
            let message = match e.get("message") {
                Some(message) => message.as_str()?.to_string(),
                None if code == crate::validate::code::DUPLICATE_DEBTOR_DATE => {
                    let has = e.get("has")?.as_str()?;
                    let on = date_from_bytes(e.get("on")?.as_str()?.as_bytes())?;
                    let unsent = e.get("unsent")?.as_bool()?;
                    let mut message = String::with_capacity(240);
                    crate::validate::push_clash_head(&mut message, debtor);
                    message.push_str(has);
                    crate::validate::push_clash_tail(&mut message, on, format_id, unsent);
                    message
                }
                None => return None,
            };
            Some(ValidationError { code, message })
        })
        .collect()
}

/// The validation codes of `domain.md` §4 and §5.
const KNOWN_CODES: &[&str] = &[
    "status-not-exportable",
    "currency-not-dkk",
    "amount-zero",
    "partial-payment-invalid",
    "payout-blocked",
    "invoice-missing",
    "invoice-lines-missing",
    "cvr-missing",
    "mandate-not-active",
    "not-banking-day",
    "payment-date-past",
    "beyond-horizon",
    "deadline-passed",
    "duplicate-debtor-date",
    "collective-net-zero",
];

/// [`ValidationError::code`] is `&'static str`; a stored code becomes one. Codes are few and
/// fixed, so a code this list does not know (written by a newer validation) is leaked once and
/// reused, which bounds the memory by the number of distinct codes.
fn intern_code(code: &str) -> &'static str {
    if let Some(known) = KNOWN_CODES.iter().find(|known| **known == code) {
        return known;
    }
    static OTHERS: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut others = OTHERS
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if let Some(other) = others.get(code) {
        return other;
    }
    let leaked: &'static str = Box::leak(code.to_string().into_boxed_str());
    others.insert(leaked);
    leaked
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `errors_to_json` wrote before it was written by hand.
    fn serde_json_of(errors: &[ValidationError]) -> String {
        #[derive(serde::Serialize)]
        struct StoredError<'a> {
            code: &'a str,
            message: &'a str,
        }
        let stored: Vec<StoredError<'_>> = errors
            .iter()
            .map(|e| StoredError {
                code: e.code,
                message: &e.message,
            })
            .collect();
        serde_json::to_string(&stored).unwrap()
    }

    #[test]
    fn errors_are_written_as_serde_json_writes_them() {
        let every_ascii: String = (0u8..=0x7f).map(char::from).collect();
        let messages = [
            String::new(),
            "the deadline \"2026-05-21T17:30\" has passed".to_string(),
            every_ascii,
            "ø æ å \u{2028} \u{1F600} \\ \"\"\n".to_string(),
            "\u{0}\u{1f}\u{7f}\u{80}\u{ff}".to_string(),
            "debtor 100100 already has line 12 (sent) on 2026-05-04 in payment format BS: \
             only one charge per debtor per payment date; \"quoted\"\tand\\back"
                .to_string(),
        ];
        assert_eq!(errors_to_json(&[]), serde_json_of(&[]));
        let errors: Vec<ValidationError> = messages
            .iter()
            .map(|m| ValidationError {
                code: "deadline-passed",
                message: m.clone(),
            })
            .collect();
        for one in &errors {
            let one = std::slice::from_ref(one);
            assert_eq!(errors_to_json(one), serde_json_of(one));
        }
        assert_eq!(errors_to_json(&errors), serde_json_of(&errors));
        // Each byte at each place of a word, and in the tail after the last whole word.
        for byte in 0..0x80u8 {
            for before in 0..20 {
                let message = format!(
                    "{}{}{}",
                    "x".repeat(before),
                    char::from(byte),
                    "ø".repeat(5)
                );
                let one = [ValidationError {
                    code: "amount-zero",
                    message,
                }];
                assert_eq!(errors_to_json(&one), serde_json_of(&one));
            }
        }
    }

    #[test]
    fn has_escape_finds_each_escaped_byte_at_each_place() {
        for filler in [
            b'a', b' ', b'!', b'#', b'[', b']', 0x7f, 0x80, 0xa2, 0xdc, 0xff,
        ] {
            for place in 0..8 {
                for byte in 0..=255u8 {
                    let mut word = [filler; 8];
                    word[place] = byte;
                    let escaped = byte == b'"' || byte == b'\\' || byte < 0x20;
                    assert_eq!(has_escape(u64::from_le_bytes(word)), escaped, "{word:?}");
                }
            }
        }
    }

    #[test]
    fn validation_errors_round_trip_through_json() {
        let errors = vec![
            ValidationError {
                code: "deadline-passed",
                message: "the deadline \"2026-05-21T17:30\" has passed".into(),
            },
            ValidationError {
                code: "some-new-code",
                message: "ø".into(),
            },
        ];
        let json = errors_to_json(&errors);
        assert_eq!(errors_from_json(&json, "D1", "BS"), Some(errors));
        assert_eq!(errors_from_json("[]", "D1", "BS"), Some(vec![]));
        assert_eq!(errors_from_json("{", "D1", "BS"), None);
        // The same unknown code is interned once.
        assert!(std::ptr::eq(
            intern_code("some-new-code"),
            intern_code("some-new-code")
        ));
    }
    /// Every clash message `validate` writes (unsent lines, a sent line, "and N more", and a
    /// line with another failure besides) is stored by its parts and read back whole.
    #[test]
    fn clash_messages_are_stored_by_their_parts_and_read_back_whole() {
        use crate::testdata::{time, Run};
        use crate::validate::code::DUPLICATE_DEBTOR_DATE;
        let data = Run::new()
            .bs_basis("BS")
            .enrolled("100100")
            .charge("E1", "100100", "2026-06-01", "10.00")
            .sent(Status::Sent, "2026-05-10")
            .charge("E2", "100100", "2026-06-01", "50.00")
            .charge("E3", "100100", "2026-06-01", "20.00")
            .charge("E4", "100100", "2026-06-01", "20.00")
            .charge("E5", "100100", "2026-06-01", "20.00")
            .charge("E6", "100100", "2026-06-01", "20.00")
            .line_with(|l| l.partial_payment = Some(Amount::from_ore(-1)))
            .build();
        let now = time("2026-05-04T09:00");
        let mut clashes = 0;
        for (position, errors) in crate::validate::validations(&data, crate::testdata::cal(), now) {
            let line = &data.lines[position];
            let json = line_errors_to_json(line, &errors);
            let read = errors_from_json(&json, &line.debtor, &line.format_id);
            assert_eq!(read.as_deref(), Some(&errors[..]), "{json}");
            for error in errors.iter().filter(|e| e.code == DUPLICATE_DEBTOR_DATE) {
                clashes += 1;
                assert!(!json.contains(error.message.as_str()), "{json}");
                assert!(json.contains(r#""on":"2026-06-01""#), "{json}");
            }
            // A clash alone takes less than half the bytes of its whole message.
            if errors.len() == 1 && errors[0].code == DUPLICATE_DEBTOR_DATE {
                assert!(json.len() * 2 < errors_to_json(&errors).len(), "{json}");
            }
        }
        assert_eq!(clashes, 5);
    }

    /// A clash message is rebuilt from the line's debtor and format, whatever they hold, and
    /// one that is not this line's (another debtor's, or changed by hand) is stored whole.
    #[test]
    fn clash_parts_round_trip_for_any_debtor_and_format() {
        use crate::validate::{code::DUPLICATE_DEBTOR_DATE, push_clash_head, push_clash_tail};
        use proptest::prelude::*;
        let text = "[ -~æøåÆØÅ\"\\\n]{0,20}";
        proptest!(|(debtor in text, format in text, has in text, unsent: bool, other in text)| {
            let line = PaymentLine::blank(
                1,
                "E1".into(),
                debtor.as_str().into(),
                format.as_str().into(),
                NaiveDate::from_ymd_opt(2026, 6, 1).unwrap(),
            );
            let mut message = String::new();
            push_clash_head(&mut message, &debtor);
            message.push_str(&has);
            push_clash_tail(&mut message, line.payment_date, &format, unsent);
            let error = ValidationError { code: DUPLICATE_DEBTOR_DATE, message };
            let json = line_errors_to_json(&line, std::slice::from_ref(&error));
            prop_assert!(json.contains(r#""has":"#), "{}", json);
            prop_assert_eq!(
                errors_from_json(&json, &debtor, &format),
                Some(vec![error.clone()])
            );
            // The same message for a line of another debtor is stored as it is.
            if other != debtor {
                let mut line = line.clone();
                line.debtor = other.as_str().into();
                let json = line_errors_to_json(&line, std::slice::from_ref(&error));
                prop_assert_eq!(&json, &errors_to_json(std::slice::from_ref(&error)));
                prop_assert_eq!(
                    errors_from_json(&json, &other, &format),
                    Some(vec![error])
                );
            }
        });
    }
}
