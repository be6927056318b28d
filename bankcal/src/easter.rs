//! Easter Sunday, which half of the Danish closing days hang off.

use chrono::NaiveDate;

use crate::{CalendarError, FIRST_YEAR, LAST_YEAR};

/// Easter Sunday of `year` by the Gregorian computus (the anonymous Gregorian algorithm, as given
/// by Meeus, Jones and Butcher).
///
/// It returns a `Result` rather than panicking: the algorithm itself holds for any Gregorian year,
/// but like everything else in this crate it only answers for the supported range 1900 to 2199
/// and returns [`CalendarError::YearOutOfRange`] outside it, so that the crate has one range.
///
/// ```
/// use bankcal::easter_sunday;
/// use chrono::NaiveDate;
///
/// assert_eq!(easter_sunday(2026)?, NaiveDate::from_ymd_opt(2026, 4, 5).unwrap());
/// assert!(easter_sunday(2200).is_err());
/// # Ok::<(), bankcal::CalendarError>(())
/// ```
pub fn easter_sunday(year: i32) -> Result<NaiveDate, CalendarError> {
    if !(FIRST_YEAR..=LAST_YEAR).contains(&year) {
        return Err(CalendarError::YearOutOfRange { year });
    }
    let (month, day) = easter_month_day(year);
    // The computus yields 22 March to 25 April, which exists in every year.
    Ok(NaiveDate::from_ymd_opt(year, month, day)
        .expect("the computus yields a date in March or April"))
}

/// The month and day of Easter Sunday; only called for years in the supported range, where every
/// quantity below is non-negative, so plain `/` and `%` are the floor operations the algorithm
/// means.
pub(crate) fn easter_month_day(year: i32) -> (u32, u32) {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    (month as u32, day as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn easter_matches_published_dates() {
        // Published Western Easter dates: the latest possible date, 25 April (1943, 2038; the
        // earliest, 22 March, happens only in 1818 and 2285, outside the range), and years
        // where Gauss's formula needs its two exceptions (1954, 1981, 2049, 2076).
        let known = [
            (1900, 4, 15),
            (1943, 4, 25),
            (1954, 4, 18),
            (1981, 4, 19),
            (2000, 4, 23),
            (2008, 3, 23),
            (2009, 4, 12),
            (2023, 4, 9),
            (2024, 3, 31),
            (2025, 4, 20),
            (2026, 4, 5),
            (2027, 3, 28),
            (2028, 4, 16),
            (2030, 4, 21),
            (2038, 4, 25),
            (2049, 4, 18),
            (2076, 4, 19),
            (2100, 3, 28),
            (2160, 3, 23),
        ];
        for (y, m, d) in known {
            assert_eq!(easter_sunday(y), Ok(date(y, m, d)), "easter {y}");
        }
    }

    #[test]
    fn easter_is_a_sunday_between_22_march_and_25_april_every_supported_year() {
        use chrono::{Datelike, Weekday};
        for year in FIRST_YEAR..=LAST_YEAR {
            let easter = easter_sunday(year).unwrap();
            assert_eq!(easter.weekday(), Weekday::Sun, "{easter}");
            assert!(
                easter >= date(year, 3, 22) && easter <= date(year, 4, 25),
                "{easter}"
            );
        }
    }

    #[test]
    fn easter_outside_the_range_is_an_error() {
        for year in [1899, 2200, i32::MIN, i32::MAX] {
            let err = easter_sunday(year).unwrap_err();
            assert_eq!(err, CalendarError::YearOutOfRange { year });
        }
        assert_eq!(
            easter_sunday(2200).unwrap_err().to_string(),
            "year 2200 is outside the supported range 1900 to 2199"
        );
    }
}
