//! Timestamps as frames carry them (microseconds since the Unix epoch), as
//! people read them (UTC, RFC 3339). The clock itself is
//! [`frameseal_native::now_us`].

use frameseal::calendar::{civil_from_days, days_from_civil};

/// A UTC date and time of day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Utc {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub micros: u32,
}

impl Utc {
    /// The calendar date and time of `us` microseconds after the epoch
    /// (proleptic Gregorian calendar).
    pub fn from_unix_us(us: u64) -> Utc {
        let secs = us / 1_000_000;
        let micros = (us % 1_000_000) as u32;
        let in_day = (secs % 86_400) as u32;
        let (year, month, day) = civil_from_days((secs / 86_400) as i64);
        let (month, day) = (month as u32, day as u32);
        Utc {
            year,
            month,
            day,
            hour: in_day / 3600,
            minute: in_day / 60 % 60,
            second: in_day % 60,
            micros,
        }
    }
}

/// `2023-11-14T22:13:20.000000Z`.
pub fn rfc3339(us: u64) -> String {
    let t = Utc::from_unix_us(us);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        t.year, t.month, t.day, t.hour, t.minute, t.second, t.micros
    )
}

/// Seconds since the Unix epoch of an RFC 3339 date-time
/// (`2025-06-01T00:00:00Z`, `2025-06-01T02:00:00.5+02:00`), rounded down;
/// `None` for anything else (a date alone, a day the month does not have).
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() < 20 || !text.is_ascii() {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<i64> {
        b[from..to].iter().try_fold(0i64, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
        })
    };
    let seps = [(4, b'-'), (7, b'-'), (13, b':'), (16, b':')];
    if seps.iter().any(|&(i, c)| b[i] != c) || !matches!(b[10], b'T' | b't') {
        return None;
    }
    let (year, month, day) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (hour, minute, second) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        1..=12 => 31,
        _ => return None,
    };
    if day < 1 || day > month_days || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut rest = &text[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        rest = &frac[digits..];
    }
    let offset = match rest.as_bytes() {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let digits = [*h1, *h2, *m1, *m2];
            if !digits.iter().all(u8::is_ascii_digit) {
                return None;
            }
            let d = |i: usize| i64::from(digits[i] - b'0');
            let (h, m) = (d(0) * 10 + d(1), d(2) * 10 + d(3));
            if h > 23 || m > 59 {
                return None;
            }
            let minutes = h * 60 + m;
            if *sign == b'+' { minutes } else { -minutes }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    Some(days * 86_400 + hour * 3600 + minute * 60 + second - offset * 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000000Z");
        // The clock of every case in tests/vectors/frames.json.
        assert_eq!(
            rfc3339(1_700_000_000_000_000),
            "2023-11-14T22:13:20.000000Z"
        );
        assert_eq!(
            rfc3339(1_699_999_999_960_000),
            "2023-11-14T22:13:19.960000Z"
        );
        // A leap day, and the last microsecond of a century year.
        assert_eq!(rfc3339(951_782_400_000_001), "2000-02-29T00:00:00.000001Z");
        assert_eq!(
            rfc3339(4_102_444_799_999_999),
            "2099-12-31T23:59:59.999999Z"
        );
    }

    #[test]
    fn the_largest_timestamp_does_not_overflow() {
        let t = Utc::from_unix_us(u64::MAX);
        assert_eq!((t.year, t.month, t.day), (586_524, 1, 19));
    }

    #[test]
    fn rfc3339_parses_as_unix_seconds_and_refuses_the_rest() {
        assert_eq!(parse_rfc3339("2025-06-01T00:00:00Z"), Some(1_748_736_000));
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_rfc3339("2025-06-01T02:00:00.999+02:00"),
            Some(1_748_736_000)
        );
        assert_eq!(
            parse_rfc3339("2025-05-31t23:00:00-01:00"),
            Some(1_748_736_000)
        );
        assert_eq!(parse_rfc3339("2024-02-29T00:00:00Z"), Some(1_709_164_800));
        for bad in [
            "2025-06-01",
            "2025-06-01T00:00:00",
            "2025-02-29T00:00:00Z",
            "2025-13-01T00:00:00Z",
            "2025-06-01T24:00:00Z",
            "2025-06-01T00:00:00.Z",
            "2025-06-01T00:00:00+0200",
            "2025-06-01 00:00:00Z",
            "yesterday-at-noon-ok",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }
}
