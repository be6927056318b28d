//! The file edge of the exchange: writing delivery files atomically, reading them back.
//!
//! A delivery file is either complete under its name or not there at all, and it is there
//! only when the database says it was sent. The export writes each file under a hidden
//! staging name and flushes it, commits its transaction, and only then renames the files into
//! place ([`Staged::publish`]). A crash before the commit leaves a staged file nobody uploads,
//! which the next export deletes; a crash between the commit and the rename leaves a staged
//! file the archive knows, which the next export puts in place ([`recover_staged`]). So no
//! file ever reaches the bank that the database does not record as sent: a double charge
//! would need exactly that.
//!
//! The ZIP reader reads exactly what the export writes (one STORED entry, see
//! [`crate::delivery::zip_single_file`]) and refuses anything else with a message that says
//! what to do, so `simulate-bank` can take an exported file as it is.

use super::ExchangeError;
use crate::delivery::{crc32, MAX_FILE_BYTES};
use crate::error::{Error, Result};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

fn io_error(path: &Path, source: std::io::Error) -> Error {
    Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A delivery file written in full under a hidden staging name (`.<name>.<company>.partial`)
/// and flushed to disk, but not yet under its own name. No uploader takes it: its name
/// starts with a dot and ends in `.partial`.
#[derive(Debug)]
pub struct Staged {
    staged: PathBuf,
    path: PathBuf,
}

fn staged_name(name: &str, owner: &str) -> String {
    format!(".{name}.{owner}.partial")
}

/// Writes `bytes` to the staging name of `dir/name`; `owner` (the company id) keeps two
/// companies' staged files apart. Owner-only permissions, like the database: a BS Total
/// delivery holds whole CPR numbers (I12).
pub fn stage(dir: &Path, name: &str, owner: &str, bytes: &[u8]) -> Result<Staged> {
    stage_with(dir, name, owner, |file, path| {
        file.write_all(bytes)
            .map_err(|source| io_error(path, source))
    })
}

/// Like [`stage`], but `write` writes the content into the open staging file (whose path it
/// is given for its errors), so a file too large to hold in memory is written as it is made.
/// When `write` fails the staged file is removed.
pub fn stage_with(
    dir: &Path,
    name: &str,
    owner: &str,
    write: impl FnOnce(&mut File, &Path) -> Result<()>,
) -> Result<Staged> {
    let staged = dir.join(staged_name(name, owner));
    let written = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&staged)
        .map_err(|source| io_error(&staged, source))
        .and_then(|mut file| {
            write(&mut file, &staged)?;
            file.sync_all().map_err(|source| io_error(&staged, source))
        });
    if let Err(error) = written {
        let _ = std::fs::remove_file(&staged);
        return Err(error);
    }
    Ok(Staged {
        staged,
        path: dir.join(name),
    })
}

impl Staged {
    /// Where the file will be once published.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Where the file is now, under its staging name.
    pub fn staged_path(&self) -> &Path {
        &self.staged
    }

    /// Puts the file under its own name (replacing a leftover of the same name) and flushes
    /// the directory, so the rename survives a crash.
    pub fn publish(self) -> Result<PathBuf> {
        let renamed = std::fs::rename(&self.staged, &self.path).and_then(|()| {
            let dir = self.path.parent().unwrap_or(Path::new("."));
            File::open(dir)?.sync_all()
        });
        renamed.map_err(|source| io_error(&self.path, source))?;
        Ok(self.path)
    }

    /// Removes the staged file: its export did not commit.
    pub fn discard(self) {
        if let Err(error) = std::fs::remove_file(&self.staged) {
            tracing::error!(path = %self.staged.display(), %error, "could not remove the staged file of a failed export: delete it by hand, it was not sent");
        }
    }
}

/// Writes `bytes` as `dir/name` atomically: staged, flushed, renamed, directory flushed.
pub fn write_atomically(dir: &Path, name: &str, bytes: &[u8]) -> Result<PathBuf> {
    stage(dir, name, "payrun", bytes)?.publish()
}

/// Finishes what an export killed between its commit and its renames left in `dir`: each of
/// `owner`'s staged files is published when `was_exported(name)` says the database recorded
/// it (the commit happened), and deleted otherwise (it never did). Returns the names
/// published and the names deleted.
pub fn recover_staged(
    dir: &Path,
    owner: &str,
    mut was_exported: impl FnMut(&str) -> Result<bool>,
) -> Result<(Vec<String>, Vec<String>)> {
    let suffix = format!(".{owner}.partial");
    let mut published = Vec::new();
    let mut deleted = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|source| io_error(dir, source))?;
    let mut names: Vec<String> = entries
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .collect();
    names.sort();
    for staged_file in names {
        let Some(name) = staged_file
            .strip_prefix('.')
            .and_then(|rest| rest.strip_suffix(&suffix))
        else {
            continue;
        };
        let staged = Staged {
            staged: dir.join(&staged_file),
            path: dir.join(name),
        };
        if was_exported(name)? {
            staged.publish()?;
            published.push(name.to_string());
        } else {
            staged.discard();
            deleted.push(name.to_string());
        }
    }
    Ok((published, deleted))
}

/// Reads a whole file, refusing one larger than a delivery may be before reading it.
pub fn read_limited(path: &Path) -> Result<Vec<u8>> {
    let size = std::fs::metadata(path)
        .map_err(|e| io_error(path, e))?
        .len();
    if size > MAX_FILE_BYTES as u64 {
        return Err(ExchangeError::TooLarge {
            path: path.to_path_buf(),
            size,
            limit: MAX_FILE_BYTES,
        }
        .into());
    }
    std::fs::read(path).map_err(|e| io_error(path, e))
}

/// Whether the bytes start like a ZIP archive (a local file header).
pub fn is_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

fn u16_at(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(bytes.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

/// The one entry of a ZIP archive the export writes: its name and content.
pub fn read_single_entry(file: &str, bytes: &[u8]) -> Result<(String, Vec<u8>)> {
    let refuse = |reason: &str| {
        Error::from(ExchangeError::Unzip {
            file: file.to_string(),
            reason: format!(
                "{reason}; payrun reads only the single-file, uncompressed ZIP archives its export writes: unzip it and give the delivery text instead"
            ),
        })
    };
    if !is_zip(bytes) {
        return Err(refuse("not a ZIP archive"));
    }
    let truncated = || refuse("the ZIP archive is truncated");
    let flags = u16_at(bytes, 6).ok_or_else(truncated)?;
    let method = u16_at(bytes, 8).ok_or_else(truncated)?;
    let crc = u32_at(bytes, 14).ok_or_else(truncated)?;
    let compressed = u32_at(bytes, 18).ok_or_else(truncated)?;
    let size = u32_at(bytes, 22).ok_or_else(truncated)?;
    let name_length = usize::from(u16_at(bytes, 26).ok_or_else(truncated)?);
    let extra_length = usize::from(u16_at(bytes, 28).ok_or_else(truncated)?);
    if flags & 0x0001 != 0 {
        return Err(refuse("the ZIP entry is encrypted"));
    }
    if flags & 0x0008 != 0 {
        return Err(refuse(
            "the ZIP entry's sizes follow its data (a data descriptor)",
        ));
    }
    if method != 0 {
        return Err(refuse(&format!(
            "the ZIP entry is compressed (method {method})"
        )));
    }
    if compressed != size {
        return Err(refuse("the ZIP entry's stored and unpacked sizes differ"));
    }
    let name_start = 30;
    let data_start = name_start + name_length + extra_length;
    let data_end = data_start + size as usize;
    let name = bytes
        .get(name_start..name_start + name_length)
        .ok_or_else(truncated)?;
    let data = bytes.get(data_start..data_end).ok_or_else(truncated)?;
    if crc32(data) != crc {
        return Err(refuse(
            "the ZIP entry's checksum does not match its content",
        ));
    }
    match u32_at(bytes, data_end) {
        Some(0x0201_4b50) => {}
        Some(0x0403_4b50) => return Err(refuse("the ZIP archive holds more than one file")),
        _ => {
            return Err(refuse(
                "the ZIP archive has no central directory after its entry",
            ))
        }
    }
    Ok((String::from_utf8_lossy(name).into_owned(), data.to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delivery::zip_single_file;
    use crate::store::testing::TempDir;
    use chrono::NaiveDate;

    fn zipped(content: &[u8]) -> Vec<u8> {
        let modified = NaiveDate::from_ymd_opt(2026, 5, 20)
            .unwrap()
            .and_hms_opt(10, 0, 0)
            .unwrap();
        zip_single_file("AB_PBSXML000PROD", content, modified).unwrap()
    }

    #[test]
    fn the_export_zip_reads_back() {
        let content = b"BS002 text\r\n";
        let (name, data) = read_single_entry("a.zip", &zipped(content)).unwrap();
        assert_eq!(name, "AB_PBSXML000PROD");
        assert_eq!(data, content);
    }

    #[test]
    fn other_archives_are_refused_with_the_reason() {
        let good = zipped(b"BS002 text\r\n");
        let reason = |bytes: &[u8]| read_single_entry("a.zip", bytes).unwrap_err().to_string();
        let mut compressed = good.clone();
        compressed[8] = 8;
        assert!(reason(&compressed)
            .starts_with("a.zip: the ZIP entry is compressed (method 8); payrun reads only"));
        let mut damaged = good.clone();
        damaged[30 + "AB_PBSXML000PROD".len() + 1] ^= 1;
        assert!(reason(&damaged).contains("checksum does not match"));
        assert!(reason(&good[..40]).contains("truncated"));
        assert!(reason(b"BS002").contains("not a ZIP archive"));
        let mut encrypted = good.clone();
        encrypted[6] = 1;
        assert!(reason(&encrypted).contains("encrypted"));
        // Never a panic on any prefix of an archive.
        for end in 0..good.len() {
            let _ = read_single_entry("a.zip", &good[..end]);
        }
    }

    fn names_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_staged_file_has_no_delivery_name_until_it_is_published() {
        let dir = TempDir::new();
        let staged = stage(dir.path(), "NetsLS_260520_0000000001", "main", b"one").unwrap();
        assert_eq!(
            names_in(dir.path()),
            [".NetsLS_260520_0000000001.main.partial"]
        );
        let path = staged.publish().unwrap();
        assert_eq!(std::fs::read(path).unwrap(), b"one");
        assert_eq!(names_in(dir.path()), ["NetsLS_260520_0000000001"]);
        stage(dir.path(), "NetsLS_260520_0000000002", "main", b"two")
            .unwrap()
            .discard();
        assert_eq!(names_in(dir.path()), ["NetsLS_260520_0000000001"]);
    }

    /// A crash between the commit and the rename, and one before the commit, as the next
    /// export finds them: the recorded file is put in place, the unrecorded one removed, and
    /// another company's staged file left alone.
    #[test]
    fn recovery_publishes_recorded_files_and_removes_the_rest() {
        let dir = TempDir::new();
        for (name, owner) in [("A1", "main"), ("A2", "main"), ("B1", "other")] {
            let staged = stage(dir.path(), name, owner, name.as_bytes()).unwrap();
            std::mem::forget(staged);
        }
        let (published, deleted) =
            recover_staged(dir.path(), "main", |name| Ok(name == "A1")).unwrap();
        assert_eq!(published, ["A1"]);
        assert_eq!(deleted, ["A2"]);
        assert_eq!(names_in(dir.path()), [".B1.other.partial", "A1"]);
        assert_eq!(std::fs::read(dir.path().join("A1")).unwrap(), b"A1");
    }

    #[test]
    fn atomic_writes_leave_no_temporary_file() {
        let dir = TempDir::new();
        let path = write_atomically(dir.path(), "NetsLS_260520_0000000001", b"one").unwrap();
        write_atomically(dir.path(), "NetsLS_260520_0000000001", b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["NetsLS_260520_0000000001"]);
        let missing = dir.path().join("missing");
        assert!(write_atomically(&missing, "x", b"x").is_err());
    }
}
