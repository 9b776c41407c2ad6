//! Timestamps as frames carry them (microseconds since the Unix epoch), as
//! people read them (UTC, RFC 3339). The clock itself is
//! [`frameseal_native::now_us`].

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
    /// (proleptic Gregorian calendar; H. Hinnant's `civil_from_days`).
    pub fn from_unix_us(us: u64) -> Utc {
        let secs = us / 1_000_000;
        let micros = (us % 1_000_000) as u32;
        let days = (secs / 86_400) as i64;
        let in_day = (secs % 86_400) as u32;
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = yoe + era * 400 + i64::from(month <= 2);
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
}
