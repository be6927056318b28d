//! Reading a user's extra closing days from a small CSV text.
//!
//! The format is small enough to parse by hand, which keeps the crate free of a CSV dependency
//! and lets every message say exactly which value on which line is wrong.

use chrono::{Datelike, NaiveDate};

use crate::{CalendarError, ClosingDay, CsvProblem, FIRST_YEAR, LAST_YEAR};

/// The separator of a CSV header that was read as one column, if it was not a comma: `';'`
/// (what a spreadsheet set up for Danish writes, the comma being its decimal sign) or tabs,
/// named for a message. The engine's CSV imports ask the same of their headers.
pub fn separator_other_than_comma(column: &[u8]) -> Option<&'static str> {
    if column.contains(&b';') {
        Some("';'")
    } else if column.contains(&b'\t') {
        Some("tabs")
    } else {
        None
    }
}

/// Parses a closing-days CSV text, e.g. the contents of `closing.csv`:
///
/// ```text
/// date,name
/// 2026-12-28,Bank's own closing day
/// "2027-05-10","Moved day, by law"
/// ```
///
/// - The header names the columns `date` and `name` (exactly these names, in either order).
/// - Dates are written `YYYY-MM-DD` and must lie in 1900 to 2199.
/// - A UTF-8 byte order mark at the start is ignored, as are blank lines and spaces around
///   fields. A field may be quoted with `"` (then it may contain commas, and `""` is a quote).
/// - The name is used as both the English and the Danish name of the day.
///
/// `file` is only used in error messages, which read like
/// `closing.csv:3: '2026-02-30' is not a date: expected YYYY-MM-DD`; the line numbers count
/// every line of the text, blank ones included, from 1.
///
/// ```
/// use bankcal::{parse_closing_days_csv, Calendar};
/// use chrono::NaiveDate;
///
/// let days = parse_closing_days_csv("closing.csv", "date,name\n2026-12-28,Bank holiday\n")?;
/// let calendar = Calendar::danish().with_extra_closing_days(&days)?;
/// assert!(!calendar.is_banking_day(NaiveDate::from_ymd_opt(2026, 12, 28).unwrap())?);
///
/// let err = parse_closing_days_csv("closing.csv", "date\n2026-12-28\n").unwrap_err();
/// assert_eq!(err.to_string(), "closing.csv:1: missing column 'name'");
/// # Ok::<(), bankcal::CalendarError>(())
/// ```
pub fn parse_closing_days_csv(file: &str, text: &str) -> Result<Vec<ClosingDay>, CalendarError> {
    let error = |line: usize, problem: CsvProblem| CalendarError::Csv {
        file: file.to_owned(),
        line,
        problem,
    };

    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(index, line)| (index + 1, line))
        .filter(|(_, line)| !line.trim().is_empty());

    let (header_line, header) = lines
        .next()
        .ok_or_else(|| error(1, CsvProblem::MissingHeader))?;
    let columns = split_fields(header).map_err(|problem| error(header_line, problem))?;
    if let [only] = &columns[..] {
        if let Some(separator) = separator_other_than_comma(only.as_bytes()) {
            return Err(error(header_line, CsvProblem::OtherSeparator(separator)));
        }
    }
    let mut date_column = None;
    let mut name_column = None;
    for (index, column) in columns.iter().enumerate() {
        let slot = match column.as_str() {
            "date" => &mut date_column,
            "name" => &mut name_column,
            other => {
                return Err(error(
                    header_line,
                    CsvProblem::UnknownColumn(other.to_owned()),
                ))
            }
        };
        if slot.replace(index).is_some() {
            return Err(error(
                header_line,
                CsvProblem::DuplicateColumn(column.clone()),
            ));
        }
    }
    let date_column =
        date_column.ok_or_else(|| error(header_line, CsvProblem::MissingColumn("date")))?;
    let name_column =
        name_column.ok_or_else(|| error(header_line, CsvProblem::MissingColumn("name")))?;

    let mut days = Vec::new();
    for (line, row) in lines {
        let fields = split_fields(row).map_err(|problem| error(line, problem))?;
        if fields.len() != columns.len() {
            return Err(error(
                line,
                CsvProblem::WrongFieldCount {
                    expected: columns.len(),
                    found: fields.len(),
                },
            ));
        }
        let date_field = &fields[date_column];
        let date = parse_date(date_field)
            .ok_or_else(|| error(line, CsvProblem::NotADate(date_field.clone())))?;
        if !(FIRST_YEAR..=LAST_YEAR).contains(&date.year()) {
            return Err(error(line, CsvProblem::DateOutOfRange(date)));
        }
        let name = &fields[name_column];
        if name.trim().is_empty() {
            return Err(error(line, CsvProblem::EmptyName));
        }
        days.push(ClosingDay {
            date,
            name: name.clone(),
            name_da: name.clone(),
        });
    }
    Ok(days)
}

/// Splits one line into its fields. Spaces and tabs around a field are dropped; inside quotes
/// everything is kept.
fn split_fields(line: &str) -> Result<Vec<String>, CsvProblem> {
    const BLANK: [char; 2] = [' ', '\t'];
    let mut fields = Vec::new();
    let mut rest = line;
    loop {
        let field_start = rest.trim_start_matches(BLANK);
        let after_field = if let Some(quoted) = field_start.strip_prefix('"') {
            let (value, after_quote) = read_quoted(quoted)?;
            fields.push(value);
            let after_quote = after_quote.trim_start_matches(BLANK);
            if !after_quote.is_empty() && !after_quote.starts_with(',') {
                return Err(CsvProblem::TextAfterQuote);
            }
            after_quote
        } else {
            let end = field_start.find(',').unwrap_or(field_start.len());
            fields.push(field_start[..end].trim_end_matches(BLANK).to_owned());
            &field_start[end..]
        };
        match after_field.strip_prefix(',') {
            Some(next) => rest = next,
            None => return Ok(fields),
        }
    }
}

/// Reads a quoted field whose opening quote is already consumed; returns its value and the text
/// after the closing quote.
fn read_quoted(text: &str) -> Result<(String, &str), CsvProblem> {
    let mut value = String::new();
    let mut chars = text.char_indices();
    while let Some((index, c)) = chars.next() {
        if c != '"' {
            value.push(c);
        } else if text[index + 1..].starts_with('"') {
            // A doubled quote stands for one quote character.
            value.push('"');
            chars.next();
        } else {
            return Ok((value, &text[index + 1..]));
        }
    }
    Err(CsvProblem::UnterminatedQuote)
}

/// Parses exactly `YYYY-MM-DD`, rejecting the looser forms chrono's format parser accepts (such
/// as `2026-2-3`) so that a file means one thing.
fn parse_date(text: &str) -> Option<NaiveDate> {
    let bytes = text.as_bytes();
    let shape_ok = bytes.len() == 10
        && bytes.iter().enumerate().all(|(index, &byte)| match index {
            4 | 7 => byte == b'-',
            _ => byte.is_ascii_digit(),
        });
    if !shape_ok {
        return None;
    }
    let year = text[0..4].parse().ok()?;
    let month = text[5..7].parse().ok()?;
    let day = text[8..10].parse().ok()?;
    NaiveDate::from_ymd_opt(year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn day(date: NaiveDate, name: &str) -> ClosingDay {
        ClosingDay {
            date,
            name: name.to_owned(),
            name_da: name.to_owned(),
        }
    }

    /// Parses `text` as `closing.csv` and returns the error message.
    fn error_message(text: &str) -> String {
        parse_closing_days_csv("closing.csv", text)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn good_file_with_bom_crlf_blank_lines_quotes_and_swapped_columns() {
        let text = "\u{feff}name,date\r\n\r\nBank's own day,2026-12-28\r\n  \
                    \"Moved day, by \"\"law\"\"\" , \"2027-05-10\"\r\n\r\n";
        let days = parse_closing_days_csv("closing.csv", text).unwrap();
        assert_eq!(
            days,
            [
                day(date(2026, 12, 28), "Bank's own day"),
                day(date(2027, 5, 10), "Moved day, by \"law\""),
            ]
        );
    }

    #[test]
    fn header_only_is_no_days() {
        assert_eq!(parse_closing_days_csv("c.csv", "date,name\n"), Ok(vec![]));
    }

    #[test]
    fn impossible_date_names_value_and_line() {
        let text = "date,name\n2026-12-28,ok\n2026-02-30,Bad\n";
        assert_eq!(
            error_message(text),
            "closing.csv:3: '2026-02-30' is not a date: expected YYYY-MM-DD"
        );
    }

    #[test]
    fn loose_date_forms_are_not_dates() {
        for bad in [
            "2026-2-3",
            "26-02-03",
            "2026/02/03",
            "03-02-2026",
            "",
            "2026-02-03x",
        ] {
            assert_eq!(
                error_message(&format!("date,name\n{bad},x\n")),
                format!("closing.csv:2: '{bad}' is not a date: expected YYYY-MM-DD")
            );
        }
    }

    #[test]
    fn missing_column() {
        assert_eq!(
            error_message("date\n2026-12-28\n"),
            "closing.csv:1: missing column 'name'"
        );
        assert_eq!(
            error_message("name\nx\n"),
            "closing.csv:1: missing column 'date'"
        );
    }

    #[test]
    fn another_separator_is_named() {
        assert_eq!(
            error_message("date;name\n2026-06-05;Grundlovsdag\n"),
            "closing.csv:1: the columns are separated by ';', not by commas: save the file comma-separated"
        );
        assert_eq!(
            error_message("date\tname\n"),
            "closing.csv:1: the columns are separated by tabs, not by commas: save the file comma-separated"
        );
    }

    #[test]
    fn unknown_column() {
        assert_eq!(
            error_message("date,name,bank\n2026-12-28,x,y\n"),
            "closing.csv:1: unknown column 'bank': expected the columns 'date' and 'name'"
        );
        // Column names are exact: no case folding.
        assert_eq!(
            error_message("Date,name\n"),
            "closing.csv:1: unknown column 'Date': expected the columns 'date' and 'name'"
        );
    }

    #[test]
    fn duplicate_column() {
        assert_eq!(
            error_message("date,name,date\n"),
            "closing.csv:1: column 'date' appears twice in the header"
        );
    }

    #[test]
    fn wrong_field_count_names_the_line_after_blank_lines() {
        assert_eq!(
            error_message("date,name\n\n2026-12-28,x,extra\n"),
            "closing.csv:3: expected 2 fields like the header, found 3"
        );
        assert_eq!(
            error_message("date,name\n2026-12-28\n"),
            "closing.csv:2: expected 2 fields like the header, found 1"
        );
    }

    #[test]
    fn date_outside_the_range() {
        assert_eq!(
            error_message("date,name\n2200-01-01,Far future\n"),
            "closing.csv:2: 2200-01-01 is outside the supported range 1900-01-01 to 2199-12-31"
        );
        assert_eq!(
            error_message("date,name\n1899-12-31,Far past\n"),
            "closing.csv:2: 1899-12-31 is outside the supported range 1900-01-01 to 2199-12-31"
        );
    }

    #[test]
    fn empty_name() {
        assert_eq!(
            error_message("date,name\n2026-12-28,  \n"),
            "closing.csv:2: empty name: expected the name of the closing day"
        );
    }

    #[test]
    fn broken_quotes() {
        assert_eq!(
            error_message("date,name\n2026-12-28,\"open\n"),
            "closing.csv:2: unterminated quote: expected a closing '\"' before the end of the line"
        );
        assert_eq!(
            error_message("date,name\n2026-12-28,\"a\"b\n"),
            "closing.csv:2: unexpected text after a closing quote: expected ',' or the end of the line"
        );
    }

    #[test]
    fn empty_text_has_no_header() {
        for text in ["", "\u{feff}", "\n  \n"] {
            assert_eq!(
                error_message(text),
                "closing.csv:1: no header: expected a line 'date,name'"
            );
        }
    }

    #[test]
    fn the_file_name_is_used_as_given() {
        let err = parse_closing_days_csv("/etc/payrun/extra.csv", "x\n").unwrap_err();
        assert_eq!(
            err,
            CalendarError::Csv {
                file: "/etc/payrun/extra.csv".to_owned(),
                line: 1,
                problem: CsvProblem::UnknownColumn("x".to_owned()),
            }
        );
    }
}
