//! Printing: one JSON document with `--json`, else aligned text for a person.
//!
//! Both stream to a buffered stdout: a run of a million lines is printed without building its
//! text (or a table of a million rows of cells) in memory first.

//!
//! Everything goes through [`stdout`] (or [`outln!`], which prints through it), so that a
//! reader who stops reading (`payrun journal list | head`) is not an error: the rest of the
//! output is dropped, the command finishes its work, and it exits with its own code (1 when
//! a person must look, say). Rust's `println!` panicked there, after the work was done,
//! with a backtrace and exit 101. Any other failure to write (a full disk under
//! `> file`) is an error, exit 2.

use serde::Serialize;
use std::io::{self, BufWriter, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// Set once stdout's reader has gone: nothing more is written.
static CLOSED: AtomicBool = AtomicBool::new(false);

/// The first error writing stdout other than its reader going away, for [`failure`].
static FAILED: Mutex<Option<String>> = Mutex::new(None);

/// Standard output, locked: a reader that went away swallows what is written
/// (see the module's comment).
pub struct Stdout(io::StdoutLock<'static>);

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if CLOSED.load(Ordering::Relaxed) {
            return Ok(buf.len());
        }
        match self.0.write(buf) {
            Err(error) if error.kind() == io::ErrorKind::BrokenPipe => {
                CLOSED.store(true, Ordering::Relaxed);
                Ok(buf.len())
            }
            written => written,
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        if CLOSED.load(Ordering::Relaxed) {
            return Ok(());
        }
        match self.0.flush() {
            Err(error) if error.kind() == io::ErrorKind::BrokenPipe => {
                CLOSED.store(true, Ordering::Relaxed);
                Ok(())
            }
            flushed => flushed,
        }
    }
}

/// Standard output for a command's printing, buffered.
pub fn stdout() -> BufWriter<Stdout> {
    BufWriter::new(Stdout(io::stdout().lock()))
}

/// What [`outln!`] runs: writes `text` to stdout, keeping the first failure for
/// [`failure`].
pub fn print_fmt(text: std::fmt::Arguments<'_>) {
    let mut out = Stdout(io::stdout().lock());
    if let Err(error) = out.write_fmt(text) {
        let mut failed = FAILED.lock().unwrap_or_else(|p| p.into_inner());
        failed.get_or_insert_with(|| error.to_string());
    }
}

/// Why printing failed, if it did (not for a reader that went away): `main` reports it and
/// exits 2.
pub fn failure() -> Option<String> {
    FAILED.lock().unwrap_or_else(|p| p.into_inner()).clone()
}

/// `println!` for a command's output, through [`print_fmt`].
macro_rules! outln {
    () => {
        $crate::output::print_fmt(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::output::print_fmt(format_args!("{}\n", format_args!($($arg)*)))
    };
}
pub(crate) use outln;

/// `print!` for a command's output, through [`print_fmt`].
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::output::print_fmt(format_args!($($arg)*))
    };
}
pub(crate) use out;

/// A large run's human output lists the lines that need a person and counts the rest: a
/// table of a million ok lines helps nobody and costs seconds. `--json` always lists all.
pub const FULL_TABLE_LIMIT: usize = 1000;

/// Prints `value` as one JSON document on stdout.
pub fn print_json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    let mut out = stdout();
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
    let mut out = stdout();
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
