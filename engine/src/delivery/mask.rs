//! Masking CPR numbers in a delivery text for the screen (I12).
//!
//! A BS 0601 delivery to Mastercard must carry the debtor's whole CPR number (record
//! BS022/0240 00010, positions 83–92, BS Total), and the file archive keeps the file exactly as
//! sent. Whatever prints such a text for a person (`payrun archive show`) masks the first six
//! digits, as [`crate::model::TaxId`] does: `******1234`. A CVR number (written with two
//! leading zeros; no CPR number starts with `00`, its first two digits are a day) is shown as
//! it is.

/// The text with the CPR number of every BS022/0240 record 00010 masked; every other
/// character, line end and position unchanged.
pub fn mask_cpr(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let chars: Vec<char> = line.chars().collect();
        let field = |from: usize, to: usize| -> String {
            chars
                .get(from - 1..to.min(chars.len()))
                .map_or_else(String::new, |c| c.iter().collect())
        };
        let is_cpr_record = field(1, 5) == "BS022"
            && field(14, 17) == "0240"
            && field(18, 22) == "00010"
            && chars.len() >= 88
            && field(83, 84) != "00";
        if is_cpr_record {
            for (index, c) in chars.iter().enumerate() {
                out.push(if (82..88).contains(&index) { '*' } else { *c });
            }
        } else {
            out.push_str(line);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::mask_cpr;

    fn record(cpr: &str) -> String {
        let mut line = format!("BS0220999000202400001000001{}", " ".repeat(55));
        line.push_str(cpr);
        line.push_str(&" ".repeat(128 - line.len()));
        line
    }

    #[test]
    fn the_cpr_number_of_record_00010_is_masked_and_nothing_else_changes() {
        let text = format!(
            "BS002 start\r\n{}\r\n{}\nBS042 0202801234\r\n",
            record("0101701234"),
            record("0012345678")
        );
        let masked = mask_cpr(&text);
        assert_eq!(masked.len(), text.len());
        assert!(!masked.contains("0101701234"), "{masked}");
        assert!(masked.contains("******1234"));
        // A CVR number stays, and so does a number in any other record.
        assert!(masked.contains("0012345678"));
        assert!(masked.ends_with("BS042 0202801234\r\n"));
        assert_eq!(mask_cpr("BS022"), "BS022");
        assert_eq!(mask_cpr(""), "");
    }
}
