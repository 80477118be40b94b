//! Calendar arithmetic for rendering event times as text (UTC), without a date library.

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `yyyy-MM-dd`.
pub fn write_date(out: &mut Vec<u8>, days: i64) {
    let (y, m, d) = civil_from_days(days);
    out.extend_from_slice(format!("{y:04}-{m:02}-{d:02}").as_bytes());
}

/// `HH:mm:ss` plus a fraction of `digits` (3 or 6) from a time of day in `unit`s per second.
pub fn write_time_of_day(out: &mut Vec<u8>, value: i64, units_per_second: i64, digits: usize) {
    let seconds = value.div_euclid(units_per_second);
    let fraction = value.rem_euclid(units_per_second);
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    out.extend_from_slice(format!("{h:02}:{m:02}:{s:02}").as_bytes());
    if digits > 0 {
        out.extend_from_slice(format!(".{fraction:0digits$}").as_bytes());
    }
}

/// `yyyy-MM-dd HH:mm:ss.SSS` (or `.SSSSSS`), the SQL layout Flink's json and csv formats read.
pub fn write_timestamp(out: &mut Vec<u8>, value: i64, units_per_second: i64, digits: usize) {
    let per_day = units_per_second * 86_400;
    write_date(out, value.div_euclid(per_day));
    out.push(b' ');
    write_time_of_day(out, value.rem_euclid(per_day), units_per_second, digits);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(f: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut out = Vec::new();
        f(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn renders_known_instants() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_783), (2024, 3, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(
            text(|o| write_timestamp(o, 1_709_284_502_120, 1000, 3)),
            "2024-03-01 09:15:02.120"
        );
        assert_eq!(
            text(|o| write_timestamp(o, 1_709_284_502_120_001, 1_000_000, 6)),
            "2024-03-01 09:15:02.120001"
        );
        assert_eq!(text(|o| write_timestamp(o, -1, 1000, 3)), "1969-12-31 23:59:59.999");
        assert_eq!(text(|o| write_time_of_day(o, 3_723_004, 1000, 3)), "01:02:03.004");
        assert_eq!(text(|o| write_date(o, 11_016)), "2000-02-29");
    }
}
