//! Errors and warnings of the delivery codecs.

/// Why a delivery file was refused.
///
/// Every error names the file, the 1-based line and column (columns are the positions of the
/// tables in `formats.md`), the field, what was found and what was expected, and prints like
/// hledger's errors: `D0602.txt:3:61: amount: found 'X', expected a digit`.
/// `found` is already formatted: a quoted value (`'X'`) or a description (`end of file`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {field}: found {found}, expected {expected}")]
pub struct ParseError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub field: String,
    pub found: String,
    pub expected: String,
}

impl ParseError {
    /// An error without a file name; [`crate::delivery::parse_delivery`] fills it in.
    pub(crate) fn new(
        line: usize,
        column: usize,
        field: impl Into<String>,
        found: impl Into<String>,
        expected: impl Into<String>,
    ) -> ParseError {
        ParseError {
            file: String::new(),
            line,
            column,
            field: field.into(),
            found: found.into(),
            expected: expected.into(),
        }
    }

    pub(crate) fn in_file(mut self, file: &str) -> ParseError {
        self.file = file.to_string();
        self
    }
}

/// Something a parse noticed but did not refuse, such as an unknown 0603 section that was
/// skipped (formats.md §10: "unknown sections are reported, not fatal").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseWarning {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl std::fmt::Display for ParseWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

/// Why a delivery could not be written: a value does not fit its field (too long, not digits,
/// a date outside what the field can hold) or the structure breaks a rule of the format.
/// `line` is the line of the output file the record would have had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot write line {line} ({record}): {field}: found '{found}', expected {expected}")]
pub struct RenderError {
    pub line: usize,
    pub record: String,
    pub field: String,
    pub found: String,
    pub expected: String,
}

/// Quotes a field's raw bytes for a message, decoding them as ISO 8859-1.
pub(crate) fn quoted(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len() + 2);
    text.push('\'');
    text.extend(bytes.iter().map(|&b| char::from(b)));
    text.push('\'');
    text
}
