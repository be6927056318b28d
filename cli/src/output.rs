//! Printing: one JSON document with `--json`, else aligned text for a person.
//!
//! Both stream to a buffered stdout: a run of a million lines is printed without building its
//! text (or a table of a million rows of cells) in memory first.

use serde::Serialize;
use std::io::{BufWriter, Write};

/// A large run's human output lists the lines that need a person and counts the rest: a
/// table of a million ok lines helps nobody and costs seconds. `--json` always lists all.
pub const FULL_TABLE_LIMIT: usize = 1000;

/// Prints `value` as one JSON document on stdout.
pub fn print_json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    let mut out = BufWriter::new(std::io::stdout().lock());
    serde_json::to_writer_pretty(&mut out, value)?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(())
}

/// Formats rows as a table with a header, columns padded to their widest cell.
/// Columns whose header starts with `>` are right-aligned (amounts).
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = Vec::new();
    write_table(&mut out, headers, || rows.iter(), |row| (*row).clone())
        .expect("writing to memory");
    String::from_utf8(out).expect("the table is UTF-8")
}

/// Prints a table of `items` on stdout, one row each, with the cells `cells` gives.
pub fn print_table<T>(
    headers: &[&str],
    items: &[T],
    cells: impl Fn(&T) -> Vec<String>,
) -> anyhow::Result<()> {
    print_table_of(headers, || items.iter(), |item| cells(item))
}

/// Prints a table like [`print_table`] of the items `items()` gives, which it calls twice
/// (widths, then rows): items made on the fly are never all in memory.
pub fn print_table_of<T, I: Iterator<Item = T>>(
    headers: &[&str],
    items: impl Fn() -> I,
    cells: impl Fn(&T) -> Vec<String>,
) -> anyhow::Result<()> {
    let mut out = BufWriter::new(std::io::stdout().lock());
    write_table(&mut out, headers, items, cells)?;
    out.flush()?;
    Ok(())
}

/// Writes the table in two passes over `items()`: one for the column widths, one for the
/// rows, so that only one row's cells exist at a time.
fn write_table<T, I: Iterator<Item = T>>(
    out: &mut impl Write,
    headers: &[&str],
    items: impl Fn() -> I,
    cells: impl Fn(&T) -> Vec<String>,
) -> std::io::Result<()> {
    let columns = headers.len();
    let mut widths: Vec<usize> = headers
        .iter()
        .map(|h| h.trim_start_matches('>').chars().count())
        .collect();
    for item in items() {
        for (i, cell) in cells(&item).iter().enumerate().take(columns) {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let mut line = String::new();
    let mut write_row = |out: &mut dyn Write, cells: &[&str]| {
        line.clear();
        for (i, cell) in cells.iter().enumerate() {
            let right = headers[i].starts_with('>');
            let pad = widths[i].saturating_sub(cell.chars().count());
            if i > 0 {
                line.push_str("  ");
            }
            if right {
                line.extend(std::iter::repeat_n(' ', pad));
                line.push_str(cell);
            } else {
                line.push_str(cell);
                if i + 1 < cells.len() {
                    line.extend(std::iter::repeat_n(' ', pad));
                }
            }
        }
        out.write_all(line.trim_end().as_bytes())?;
        out.write_all(b"\n")
    };
    let header_cells: Vec<&str> = headers.iter().map(|h| h.trim_start_matches('>')).collect();
    write_row(out, &header_cells)?;
    for item in items() {
        let row = cells(&item);
        let row: Vec<&str> = row.iter().map(String::as_str).collect();
        write_row(out, &row)?;
    }
    Ok(())
}

/// `n` and a noun, in the plural unless `n` is 1: `count(1, "charge")` is `1 charge`.
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
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
