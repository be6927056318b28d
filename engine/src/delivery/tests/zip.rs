//! The ZIP writer: CRC-32 check values, the archive's structure byte by byte, and (when the
//! machine has it) `unzip -t` accepting the archive.

use chrono::NaiveDateTime;

use super::*;

fn u16_at(bytes: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([bytes[at], bytes[at + 1]])
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

fn modified() -> NaiveDateTime {
    date(2026, 11, 15).and_hms_opt(13, 45, 31).unwrap()
}

#[test]
fn crc32_check_values() {
    assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    assert_eq!(crc32(b""), 0);
    assert_eq!(
        crc32(b"The quick brown fox jumps over the lazy dog"),
        0x414F_A339
    );
}

#[test]
fn archive_structure() {
    let name = "D0601.txt";
    let content = b"BS002 hello\r\nBS992 bye\r\n";
    let zip = zip_single_file(name, content, modified()).unwrap();
    let n = name.len();
    let size = content.len() as u32;
    // DOS time 13:45:30 (seconds halved) and date 2026-11-15.
    let time = (13 << 11) | (45 << 5) | 15;
    let day = ((2026 - 1980) << 9) | (11 << 5) | 15;

    // Local file header.
    assert_eq!(u32_at(&zip, 0), 0x0403_4b50);
    assert_eq!(
        u16_at(&zip, 4),
        10,
        "version needed: 1.0 for a stored entry"
    );
    assert_eq!(u16_at(&zip, 6), 0, "flags");
    assert_eq!(u16_at(&zip, 8), 0, "method: stored");
    assert_eq!((u16_at(&zip, 10), u16_at(&zip, 12)), (time, day));
    assert_eq!(u32_at(&zip, 14), crc32(content));
    assert_eq!((u32_at(&zip, 18), u32_at(&zip, 22)), (size, size));
    assert_eq!((u16_at(&zip, 26) as usize, u16_at(&zip, 28)), (n, 0));
    assert_eq!(&zip[30..30 + n], name.as_bytes());
    assert_eq!(&zip[30 + n..30 + n + content.len()], content);

    // Central directory header.
    let central = 30 + n + content.len();
    assert_eq!(u32_at(&zip, central), 0x0201_4b50);
    assert_eq!(u16_at(&zip, central + 6), 10);
    assert_eq!(u16_at(&zip, central + 10), 0, "method: stored");
    assert_eq!(
        (u16_at(&zip, central + 12), u16_at(&zip, central + 14)),
        (time, day)
    );
    assert_eq!(u32_at(&zip, central + 16), crc32(content));
    assert_eq!(
        (u32_at(&zip, central + 20), u32_at(&zip, central + 24)),
        (size, size)
    );
    assert_eq!(u16_at(&zip, central + 28) as usize, n);
    assert_eq!(u32_at(&zip, central + 42), 0, "offset of the local header");
    assert_eq!(&zip[central + 46..central + 46 + n], name.as_bytes());

    // End of central directory record, the last 22 bytes.
    let end = central + 46 + n;
    assert_eq!(zip.len(), end + 22);
    assert_eq!(u32_at(&zip, end), 0x0605_4b50);
    assert_eq!(
        (u16_at(&zip, end + 8), u16_at(&zip, end + 10)),
        (1, 1),
        "one entry"
    );
    assert_eq!(
        u32_at(&zip, end + 12) as usize,
        46 + n,
        "central directory size"
    );
    assert_eq!(
        u32_at(&zip, end + 16) as usize,
        central,
        "central directory offset"
    );
    assert_eq!(u16_at(&zip, end + 20), 0, "comment length");
}

#[test]
fn non_ascii_names_are_flagged_utf8_and_bad_names_refused() {
    let zip = zip_single_file("Leverance_ø.txt", b"x", modified()).unwrap();
    assert_eq!(u16_at(&zip, 6), 1 << 11);
    assert!(matches!(
        zip_single_file("", b"x", modified()),
        Err(ZipError::BadName(_))
    ));
    let long = "n".repeat(70_000);
    assert!(matches!(
        zip_single_file(&long, b"x", modified()),
        Err(ZipError::BadName(_))
    ));
}

#[test]
fn dates_outside_dos_range_are_clamped() {
    let early = date(1970, 1, 1).and_hms_opt(0, 0, 0).unwrap();
    let zip = zip_single_file("a", b"", early).unwrap();
    assert_eq!((u16_at(&zip, 10), u16_at(&zip, 12)), (0, (1 << 5) | 1));
}

/// `unzip -t` (Info-ZIP) must accept the archive and `unzip -p` give the content back. Skipped,
/// with a note, on a machine without `unzip`.
#[test]
fn unzip_accepts_the_archive() {
    use std::process::Command;
    let content = data("samples/bs0601_collections.txt");
    let zip = zip_single_file("bs0601_collections.txt", &content, modified()).unwrap();
    let path = std::env::temp_dir().join(format!(
        "payrun-delivery-zip-test-{}.zip",
        std::process::id()
    ));
    std::fs::write(&path, &zip).unwrap();
    let test = Command::new("unzip").arg("-t").arg(&path).output();
    let Ok(test) = test else {
        eprintln!("unzip not found: skipping the unzip check");
        let _ = std::fs::remove_file(&path);
        return;
    };
    let extracted = Command::new("unzip").arg("-p").arg(&path).output().unwrap();
    let _ = std::fs::remove_file(&path);
    assert!(
        test.status.success(),
        "unzip -t failed:\n{}{}",
        String::from_utf8_lossy(&test.stdout),
        String::from_utf8_lossy(&test.stderr)
    );
    assert!(String::from_utf8_lossy(&test.stdout).contains("No errors detected"));
    assert_eq!(extracted.stdout, content);
}
