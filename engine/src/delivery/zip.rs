//! A single-file ZIP archive writer: BS deliveries are handed over zipped (domain.md §7).
//!
//! The entry is STORED (no compression), which every unzip accepts and which keeps this code
//! small enough to check by eye against the PKWARE APPNOTE (§4.3.7 local file header,
//! §4.3.12 central directory header, §4.3.16 end of central directory record). No ZIP64: an
//! entry or archive of 4 GiB or more is refused.

use chrono::{Datelike, NaiveDateTime, Timelike};

/// CRC-32 as used by ZIP (ISO-HDLC: polynomial 0xEDB88320 reflected, initial and final XOR
/// 0xFFFFFFFF), table-driven. `crc32(b"123456789") == 0xCBF43926`.
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = Crc32::new();
    crc.update(data);
    crc.value()
}

/// CRC-32 of data given a piece at a time: the same value as [`crc32`] of the pieces joined.
#[derive(Debug, Clone, Copy)]
pub struct Crc32(u32);

impl Crc32 {
    pub fn new() -> Crc32 {
        Crc32(0xFFFF_FFFF)
    }

    pub fn update(&mut self, data: &[u8]) {
        let mut crc = self.0;
        for &byte in data {
            let index = usize::from((crc as u8) ^ byte);
            crc = CRC_TABLE[index] ^ (crc >> 8);
        }
        self.0 = crc;
    }

    pub fn value(&self) -> u32 {
        self.0 ^ 0xFFFF_FFFF
    }
}

impl Default for Crc32 {
    fn default() -> Crc32 {
        Crc32::new()
    }
}

const fn crc_table() -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut n = 0;
    while n < 256 {
        let mut c = n as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        table[n] = c;
        n += 1;
    }
    table
}

static CRC_TABLE: [u32; 256] = crc_table();

/// Why an archive could not be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ZipError {
    #[error("cannot zip {name}: {size} bytes is too large for a ZIP archive without ZIP64 (at most 4294967295)")]
    TooLarge { name: String, size: usize },
    #[error("cannot zip a file with the name '{0}': expected 1 to 65535 bytes")]
    BadName(String),
}

/// MS-DOS date and time of the entry. DOS dates only hold 1980–2107; times outside are clamped
/// to the nearest end. Seconds are stored halved, as the format requires.
fn dos_date_time(modified: NaiveDateTime) -> (u16, u16) {
    let year = modified.year();
    if year < 1980 {
        return (0, 1 | (1 << 5));
    }
    if year > 2107 {
        return ((23 << 11) | (59 << 5) | 29, (127 << 9) | (12 << 5) | 31);
    }
    // Every component is range-checked by chrono, so the narrowing below cannot lose bits.
    let time = (modified.hour() << 11) | (modified.minute() << 5) | (modified.second() / 2);
    let date = ((year as u32 - 1980) << 9) | (modified.month() << 5) | modified.day();
    (time as u16, date as u16)
}

/// Writes a ZIP archive holding one STORED file `name` with `content`, dated `modified`.
/// The name is stored as UTF-8 (general purpose flag bit 11 set when it is not ASCII).
pub fn zip_single_file(
    name: &str,
    content: &[u8],
    modified: NaiveDateTime,
) -> Result<Vec<u8>, ZipError> {
    let (header, trailer) = zip_parts(name, content.len(), crc32(content), modified)?;
    let mut out = Vec::with_capacity(header.len() + content.len() + trailer.len());
    out.extend_from_slice(&header);
    out.extend_from_slice(content);
    out.extend_from_slice(&trailer);
    Ok(out)
}

/// The bytes of [`zip_single_file`] before and after the content, for content of
/// `content_length` bytes with CRC-32 `crc`: an archive too large to hold in memory is written as the header,
/// the content as it comes, and the trailer (the header is written again once the CRC is
/// known).
pub fn zip_parts(
    name: &str,
    content_length: usize,
    crc: u32,
    modified: NaiveDateTime,
) -> Result<(Vec<u8>, Vec<u8>), ZipError> {
    let name_bytes = name.as_bytes();
    let name_length =
        u16::try_from(name_bytes.len()).map_err(|_| ZipError::BadName(name.to_string()))?;
    if name_length == 0 {
        return Err(ZipError::BadName(name.to_string()));
    }
    let too_large = || ZipError::TooLarge {
        name: name.to_string(),
        size: content_length,
    };
    let size = u32::try_from(content_length).map_err(|_| too_large())?;
    let (time, date) = dos_date_time(modified);
    let flags: u16 = if name.is_ascii() { 0 } else { 1 << 11 };
    // 1.0: the version needed to extract a stored file.
    let version_needed: u16 = 10;

    let local_header_length = 30 + usize::from(name_length);
    let central_offset =
        u32::try_from(local_header_length + content_length).map_err(|_| too_large())?;
    let central_length = 46 + u32::from(name_length);
    central_offset
        .checked_add(central_length)
        .ok_or_else(too_large)?;

    let mut out = Vec::with_capacity(local_header_length);
    // Local file header.
    out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
    out.extend_from_slice(&version_needed.to_le_bytes());
    out.extend_from_slice(&flags.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes()); // method: stored
    out.extend_from_slice(&time.to_le_bytes());
    out.extend_from_slice(&date.to_le_bytes());
    out.extend_from_slice(&crc.to_le_bytes());
    out.extend_from_slice(&size.to_le_bytes()); // compressed size
    out.extend_from_slice(&size.to_le_bytes()); // uncompressed size
    out.extend_from_slice(&name_length.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes()); // extra field length
    out.extend_from_slice(name_bytes);
    let header = out;

    // The content comes here, between the two parts.
    let mut out = Vec::with_capacity(46 + 22 + name.len());
    // Central directory header.
    out.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
    out.extend_from_slice(&20u16.to_le_bytes()); // made by: MS-DOS host, version 2.0
    out.extend_from_slice(&version_needed.to_le_bytes());
    out.extend_from_slice(&flags.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes()); // method: stored
    out.extend_from_slice(&time.to_le_bytes());
    out.extend_from_slice(&date.to_le_bytes());
    out.extend_from_slice(&crc.to_le_bytes());
    out.extend_from_slice(&size.to_le_bytes());
    out.extend_from_slice(&size.to_le_bytes());
    out.extend_from_slice(&name_length.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes()); // extra field length
    out.extend_from_slice(&0u16.to_le_bytes()); // comment length
    out.extend_from_slice(&0u16.to_le_bytes()); // disk number start
    out.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
    out.extend_from_slice(&0u32.to_le_bytes()); // external attributes
    out.extend_from_slice(&0u32.to_le_bytes()); // offset of the local header
    out.extend_from_slice(name_bytes);

    // End of central directory record.
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes()); // this disk
    out.extend_from_slice(&0u16.to_le_bytes()); // disk with the central directory
    out.extend_from_slice(&1u16.to_le_bytes()); // entries on this disk
    out.extend_from_slice(&1u16.to_le_bytes()); // entries in total
    out.extend_from_slice(&central_length.to_le_bytes());
    out.extend_from_slice(&central_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes()); // comment length
    Ok((header, out))
}
