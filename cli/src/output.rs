//! Printing: one JSON document with `--json`, else aligned text for a person.

use serde::Serialize;

/// Prints `value` as one JSON document on stdout.
pub fn print_json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(value)?;
    println!("{text}");
    Ok(())
}

/// Formats rows as a table with a header, columns padded to their widest cell.
/// Columns whose header starts with `>` are right-aligned (amounts).
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let columns = headers.len();
    let mut widths: Vec<usize> = headers
        .iter()
        .map(|h| h.trim_start_matches('>').chars().count())
        .collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate().take(columns) {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut push_row = |cells: Vec<&str>| {
        let mut line = String::new();
        for (i, cell) in cells.iter().enumerate() {
            let right = headers[i].starts_with('>');
            let pad = widths[i].saturating_sub(cell.chars().count());
            if i > 0 {
                line.push_str("  ");
            }
            if right {
                line.push_str(&" ".repeat(pad));
                line.push_str(cell);
            } else {
                line.push_str(cell);
                if i + 1 < cells.len() {
                    line.push_str(&" ".repeat(pad));
                }
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    };
    push_row(headers.iter().map(|h| h.trim_start_matches('>')).collect());
    for row in rows {
        push_row(row.iter().map(String::as_str).collect());
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn table_aligns_columns_and_right_aligns_amounts() {
        let text = super::table(
            &["line", ">amount", "status"],
            &[
                vec!["1".into(), "1000.00".into(), "Blank".into()],
                vec!["12".into(), "-5.00".into(), "Sent".into()],
            ],
        );
        assert_eq!(
            text,
            "line   amount  status\n1     1000.00  Blank\n12      -5.00  Sent\n"
        );
    }
}
