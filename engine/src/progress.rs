//! Progress of long operations (imports, exports, generation, the bank simulator).
//!
//! The engine reports how far it is through a [`Progress`] callback: `(done, total)` in some
//! unit the operation names (bytes read, rows written, charges exported). It never draws
//! anything; the command line turns the calls into a bar when stderr is a terminal.

use std::io::{Read, Write};

/// Called with `(done, total)` as a long operation advances; `Send`, as an import reads its
/// file (and reports how far it is) on a second thread.
pub type Progress<'a> = &'a mut (dyn FnMut(u64, u64) + Send);

/// A callback that ignores every call, for the operations called without one.
pub fn none() -> impl FnMut(u64, u64) + Send {
    |_, _| {}
}

/// A reader that reports the bytes read so far out of `total` (a file's size).
pub struct ProgressReader<'a, R> {
    inner: R,
    done: u64,
    total: u64,
    progress: Progress<'a>,
}

impl<'a, R: Read> ProgressReader<'a, R> {
    pub fn new(inner: R, total: u64, progress: Progress<'a>) -> ProgressReader<'a, R> {
        progress(0, total);
        ProgressReader {
            inner,
            done: 0,
            total,
            progress,
        }
    }
}

impl<R: Read> Read for ProgressReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.done += n as u64;
        (self.progress)(self.done, self.total.max(self.done));
        Ok(n)
    }
}

/// A writer that reports the lines written so far (each `\n`) out of `total` lines.
pub struct LineCountingWriter<'a, W> {
    inner: W,
    done: u64,
    total: u64,
    progress: Progress<'a>,
}

impl<'a, W: Write> LineCountingWriter<'a, W> {
    pub fn new(inner: W, total: u64, progress: Progress<'a>) -> LineCountingWriter<'a, W> {
        progress(0, total);
        LineCountingWriter {
            inner,
            done: 0,
            total,
            progress,
        }
    }

    /// The writer, for flushing it with its error seen.
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.inner
    }
}

impl<W: Write> Write for LineCountingWriter<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        let lines = buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
        if lines > 0 {
            self.done += lines;
            (self.progress)(self.done.min(self.total), self.total);
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_reports_bytes_and_writer_reports_lines() {
        let mut seen = Vec::new();
        let mut record = |done, total| seen.push((done, total));
        let mut reader = ProgressReader::new(&b"abc\ndef\n"[..], 8, &mut record);
        let mut text = String::new();
        reader.read_to_string(&mut text).unwrap();
        assert_eq!(seen.first(), Some(&(0, 8)));
        assert_eq!(seen.last(), Some(&(8, 8)));

        let mut seen = Vec::new();
        let mut record = |done, total| seen.push((done, total));
        let mut writer = LineCountingWriter::new(Vec::new(), 2, &mut record);
        writer.write_all(b"header\n").unwrap();
        writer.write_all(b"row\nrow").unwrap();
        assert_eq!(seen, [(0, 2), (1, 2), (2, 2)]);
    }
}
