//! Flink's date and time patterns (Java's: `yyyy-MM-dd HH:mm:ss`). Formatting follows
//! `DateTimeFormatter`, which DATE_FORMAT uses: one letter prints a number unpadded (`d` → `1`),
//! two pad it (`dd` → `01`), `S`s cut the fraction of a second to their count (`S` → `9` of
//! `.999`), `MMM` and `EEE` are English short names and `MMMM` and `EEEE` full ones. Parsing
//! (TO_TIMESTAMP, UNIX_TIMESTAMP) goes through the strftime form chrono reads.

use chrono::{Datelike, NaiveDateTime, Timelike};

/// A pattern's parts.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Literal(String),
    /// A pattern letter and how many times it repeats.
    Field(char, usize),
}

/// A pattern's items; `None` for a letter or form this engine does not format.
pub fn parse(java: &str) -> Option<Vec<Item>> {
    let chars: Vec<char> = java.chars().collect();
    let mut items = Vec::new();
    let mut i = 0;
    let literal = |items: &mut Vec<Item>, c: char| match items.last_mut() {
        Some(Item::Literal(text)) => text.push(c),
        _ => items.push(Item::Literal(c.to_string())),
    };
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            // 'quoted text' is literal; '' is a quote.
            if chars.get(i + 1) == Some(&'\'') {
                literal(&mut items, '\'');
                i += 2;
                continue;
            }
            i += 1;
            loop {
                match chars.get(i) {
                    None => return None,
                    Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                        literal(&mut items, '\'');
                        i += 2;
                    }
                    Some('\'') => break,
                    Some(&q) => {
                        literal(&mut items, q);
                        i += 1;
                    }
                }
            }
            i += 1;
            continue;
        }
        if matches!(c, '[' | ']' | '{' | '}' | '#') {
            return None;
        }
        if !c.is_ascii_alphabetic() {
            literal(&mut items, c);
            i += 1;
            continue;
        }
        let mut count = 1;
        while chars.get(i + count) == Some(&c) {
            count += 1;
        }
        let known = match c {
            'y' | 'u' | 'S' => true,
            'M' | 'L' | 'E' => count <= 5,
            'd' | 'H' | 'h' | 'K' | 'k' | 'm' | 's' => count <= 2,
            'D' => count <= 3,
            'a' => count == 1,
            _ => false,
        };
        if !known {
            return None;
        }
        items.push(Item::Field(c, count));
        i += count;
    }
    Some(items)
}

/// Whether Java's older `SimpleDateFormat` (FROM_UNIXTIME) prints these items as
/// `DateTimeFormatter` does: it reads `S` as milliseconds and `EEEEE` as a full name.
pub fn same_in_simple_date_format(items: &[Item]) -> bool {
    items.iter().all(|item| match item {
        Item::Field('S' | 'u' | 'L', _) => false,
        Item::Field('E' | 'M', count) => *count < 5,
        _ => true,
    })
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// A date-time as `DateTimeFormatter` prints it with these items (English names).
pub fn format(items: &[Item], at: &NaiveDateTime) -> String {
    let mut out = String::new();
    let number = |out: &mut String, value: i64, width: usize| out.push_str(&format!("{value:0width$}"));
    let name = |out: &mut String, full: &str, count: usize| match count {
        1..=3 => out.push_str(&full[..3]),
        4 => out.push_str(full),
        _ => out.push_str(&full[..1]),
    };
    for item in items {
        let Item::Field(letter, count) = item else {
            if let Item::Literal(text) = item {
                out.push_str(text);
            }
            continue;
        };
        let count = *count;
        let twelve = |hour: u32| if hour.is_multiple_of(12) { 12 } else { hour % 12 };
        match letter {
            'y' | 'u' => {
                let year = i64::from(at.year());
                if count == 2 {
                    number(&mut out, year.rem_euclid(100), 2);
                } else {
                    if count >= 4 && year > 9999 {
                        out.push('+');
                    }
                    number(&mut out, year, count);
                }
            }
            'M' | 'L' if count >= 3 => name(&mut out, MONTHS[at.month0() as usize], count),
            'M' | 'L' => number(&mut out, i64::from(at.month()), count),
            'd' => number(&mut out, i64::from(at.day()), count),
            'D' => number(&mut out, i64::from(at.ordinal()), count),
            'E' => name(&mut out, DAYS[at.weekday().num_days_from_monday() as usize], count),
            'a' => out.push_str(if at.hour() < 12 { "AM" } else { "PM" }),
            'H' => number(&mut out, i64::from(at.hour()), count),
            'h' => number(&mut out, i64::from(twelve(at.hour())), count),
            'K' => number(&mut out, i64::from(at.hour() % 12), count),
            'k' => number(&mut out, i64::from(if at.hour() == 0 { 24 } else { at.hour() }), count),
            'm' => number(&mut out, i64::from(at.minute()), count),
            's' => number(&mut out, i64::from(at.second()), count),
            'S' => {
                let nanos = format!("{:09}", at.nanosecond() % 1_000_000_000);
                out.push_str(&nanos[..count.min(9)]);
                out.push_str(&"0".repeat(count.saturating_sub(9)));
            }
            _ => {}
        }
    }
    out
}

/// The strftime pattern for a Java one, to parse with; `None` for a letter it cannot read.
pub fn strftime(java: &str) -> Option<String> {
    let mut out = String::new();
    for item in parse(java)? {
        match item {
            Item::Literal(text) => out.push_str(&text.replace('%', "%%")),
            Item::Field(letter, count) => out.push_str(match (letter, count) {
                ('y' | 'u', 2) => "%y",
                ('y' | 'u', _) => "%Y",
                ('M' | 'L', 1 | 2) => "%m",
                ('M' | 'L', 3) => "%b",
                ('M' | 'L', _) => "%B",
                ('d', _) => "%d",
                ('D', _) => "%j",
                ('H', _) => "%H",
                ('h', _) => "%I",
                ('m', _) => "%M",
                ('s', _) => "%S",
                ('S', 1..=3) => "%3f",
                ('S', 4..=6) => "%6f",
                ('S', _) => "%9f",
                ('a', _) => "%p",
                ('E', 1..=3) => "%a",
                ('E', _) => "%A",
                _ => return None,
            }),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_patterns_become_strftime() {
        assert_eq!(strftime("yyyy-MM-dd HH:mm:ss").as_deref(), Some("%Y-%m-%d %H:%M:%S"));
        assert_eq!(
            strftime("yyyy-MM-dd HH:mm:ss.SSS").as_deref(),
            Some("%Y-%m-%d %H:%M:%S.%3f")
        );
        assert_eq!(strftime("dd MMM yy, EEE").as_deref(), Some("%d %b %y, %a"));
        assert_eq!(strftime("yyyyMMdd'T'HH '%' ''").as_deref(), Some("%Y%m%dT%H %% '"));
        assert_eq!(strftime("hh:mm a").as_deref(), Some("%I:%M %p"));
        assert_eq!(strftime("w"), None, "week of year is not formatted here");
    }

    #[test]
    fn formats_as_date_time_formatter() {
        let at = NaiveDateTime::parse_from_str("2024-02-29 23:59:59.999", "%Y-%m-%d %H:%M:%S%.3f").unwrap();
        let show = |p: &str| format(&parse(p).unwrap(), &at);
        assert_eq!(show("EEE dd MMM yyyy, hh:mm:ss a"), "Thu 29 Feb 2024, 11:59:59 PM");
        assert_eq!(show("D HHmmssSSS"), "60 235959999");
        assert_eq!(show("yy/M/d H:m:s.S"), "24/2/29 23:59:59.9");
        assert_eq!(show("EEEE, MMMM d"), "Thursday, February 29");
        assert_eq!(show("yyyyMMdd'T'HHmmss"), "20240229T235959");
        assert_eq!(show("h 'o''clock'"), "11 o'clock");
        assert_eq!(parse("yyyy''T''"), None, "an unquoted T is no pattern letter");
    }
}
