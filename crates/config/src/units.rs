//! Human-friendly durations (`10s`, `5m`, `1h30m`, `250ms`) and sizes (`64kb`, `256mb`, `8gb`).

use std::fmt;
use std::str::FromStr;
use std::time::Duration as StdDuration;

use serde::{Deserialize, Deserializer, Serialize, Serializer, de};

/// A duration written the way people write them in config files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Duration(pub StdDuration);

impl Duration {
    pub const fn from_secs(secs: u64) -> Self {
        Self(StdDuration::from_secs(secs))
    }

    pub const fn from_millis(millis: u64) -> Self {
        Self(StdDuration::from_millis(millis))
    }

    pub fn as_std(self) -> StdDuration {
        self.0
    }
}

/// Units and their nanoseconds: the short forms, and the long ones Flink's configuration
/// accepts (`10 min`, `1 hour`, `30 seconds`), so that Flink settings parse here too.
const DURATION_UNITS: &[(&str, u128)] = &[
    ("ns", 1),
    ("nano", 1),
    ("nanos", 1),
    ("nanosecond", 1),
    ("nanoseconds", 1),
    ("us", 1_000),
    ("µs", 1_000),
    ("micro", 1_000),
    ("micros", 1_000),
    ("microsecond", 1_000),
    ("microseconds", 1_000),
    ("ms", 1_000_000),
    ("milli", 1_000_000),
    ("millis", 1_000_000),
    ("millisecond", 1_000_000),
    ("milliseconds", 1_000_000),
    ("s", 1_000_000_000),
    ("sec", 1_000_000_000),
    ("secs", 1_000_000_000),
    ("second", 1_000_000_000),
    ("seconds", 1_000_000_000),
    ("m", 60_000_000_000),
    ("min", 60_000_000_000),
    ("mins", 60_000_000_000),
    ("minute", 60_000_000_000),
    ("minutes", 60_000_000_000),
    ("h", 3_600_000_000_000),
    ("hour", 3_600_000_000_000),
    ("hours", 3_600_000_000_000),
    ("d", 86_400_000_000_000),
    ("day", 86_400_000_000_000),
    ("days", 86_400_000_000_000),
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid duration `{input}`: {reason}")]
pub struct DurationError {
    input: String,
    reason: String,
}

impl FromStr for Duration {
    type Err = DurationError;

    /// Accepts one or more `<number><unit>` groups (`1h30m`, `1.5s`, `0 ms`); a lone `0` is zero.
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let fail = |reason: &str| DurationError {
            input: input.to_owned(),
            reason: reason.to_owned(),
        };
        let compact: String = input.chars().filter(|c| !c.is_whitespace()).collect();
        if compact == "0" {
            return Ok(Self::default());
        }
        if compact.is_empty() {
            return Err(fail("it is empty; write it like 10s, 5m or 1h30m"));
        }
        let mut rest = compact.as_str();
        let mut total_nanos: f64 = 0.0;
        while !rest.is_empty() {
            let number_len = rest
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .unwrap_or(rest.len());
            if number_len == 0 {
                return Err(fail("expected a number before the unit (e.g. 10s)"));
            }
            let number: f64 = rest[..number_len]
                .parse()
                .map_err(|_| fail("the number is malformed"))?;
            rest = &rest[number_len..];
            let unit_len = rest
                .find(|c: char| c.is_ascii_digit() || c == '.')
                .unwrap_or(rest.len());
            let unit = rest[..unit_len].to_ascii_lowercase();
            if unit.is_empty() {
                return Err(fail("a unit is missing: use ms, s, m, h or d (e.g. 30s)"));
            }
            let Some((_, scale)) = DURATION_UNITS.iter().find(|(name, _)| *name == unit) else {
                return Err(fail(&format!("unknown unit `{unit}`: use ns, us, ms, s, m, h or d")));
            };
            total_nanos += number * *scale as f64;
            rest = &rest[unit_len..];
        }
        if !total_nanos.is_finite() || total_nanos > u64::MAX as f64 {
            return Err(fail("it is too large"));
        }
        Ok(Self(StdDuration::from_nanos(total_nanos.round() as u64)))
    }
}

impl fmt::Display for Duration {
    /// The shortest exact form: `1h30m`, `250ms`, `0s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut nanos = self.0.as_nanos();
        if nanos == 0 {
            return f.write_str("0s");
        }
        let mut out = String::new();
        for (name, scale) in [
            ("d", 86_400_000_000_000u128),
            ("h", 3_600_000_000_000),
            ("m", 60_000_000_000),
            ("s", 1_000_000_000),
            ("ms", 1_000_000),
            ("us", 1_000),
            ("ns", 1),
        ] {
            if nanos >= scale {
                out.push_str(&format!("{}{name}", nanos / scale));
                nanos %= scale;
            }
        }
        f.write_str(&out)
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl de::Visitor<'_> for Visitor {
            type Value = Duration;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a duration such as 500ms, 10s, 5m or 1h30m")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Duration, E> {
                v.parse().map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Duration, E> {
                if v == 0 {
                    Ok(Duration::default())
                } else {
                    Err(E::custom(format!(
                        "a bare number is ambiguous for a duration: write {v}s or {v}ms"
                    )))
                }
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Duration, E> {
                u64::try_from(v)
                    .map_err(|_| E::custom("a duration cannot be negative"))
                    .and_then(|v| self.visit_u64(v))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// A size in bytes; `kb`/`mb`/`gb`/`tb` (and `k`/`m`/`g`/`t`, `kib`/`mib`/...) are powers of
/// 1024, as in Flink's and Kafka's configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct ByteSize(pub u64);

impl ByteSize {
    pub const fn kib(n: u64) -> Self {
        Self(n * 1024)
    }

    pub const fn mib(n: u64) -> Self {
        Self(n * 1024 * 1024)
    }

    pub fn bytes(self) -> u64 {
        self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid size `{input}`: {reason}")]
pub struct SizeError {
    input: String,
    reason: String,
}

impl FromStr for ByteSize {
    type Err = SizeError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let fail = |reason: &str| SizeError {
            input: input.to_owned(),
            reason: reason.to_owned(),
        };
        let compact: String = input.chars().filter(|c| !c.is_whitespace()).collect();
        let number_len = compact
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(compact.len());
        if number_len == 0 {
            return Err(fail("expected a number, e.g. 64kb, 256mb or 8gb"));
        }
        let number: f64 = compact[..number_len]
            .parse()
            .map_err(|_| fail("the number is malformed"))?;
        let scale: u64 = match compact[number_len..].to_ascii_lowercase().as_str() {
            "" | "b" | "bytes" => 1,
            "k" | "kb" | "kib" => 1 << 10,
            "m" | "mb" | "mib" => 1 << 20,
            "g" | "gb" | "gib" => 1 << 30,
            "t" | "tb" | "tib" => 1 << 40,
            other => {
                return Err(fail(&format!("unknown unit `{other}`: use b, kb, mb, gb or tb")));
            }
        };
        let bytes = number * scale as f64;
        if !bytes.is_finite() || bytes > u64::MAX as f64 {
            return Err(fail("it is too large"));
        }
        Ok(Self(bytes.round() as u64))
    }
}

impl fmt::Display for ByteSize {
    /// The largest unit that divides the size exactly: `256mb`, `1536kb`, `100b`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (name, scale) in [("tb", 1u64 << 40), ("gb", 1 << 30), ("mb", 1 << 20), ("kb", 1 << 10)] {
            if self.0 >= scale && self.0.is_multiple_of(scale) {
                return write!(f, "{}{name}", self.0 / scale);
            }
        }
        write!(f, "{}b", self.0)
    }
}

impl Serialize for ByteSize {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl de::Visitor<'_> for Visitor {
            type Value = ByteSize;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a size such as 64kb, 256mb or 8gb, or a number of bytes")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ByteSize, E> {
                v.parse().map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ByteSize, E> {
                Ok(ByteSize(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ByteSize, E> {
                u64::try_from(v)
                    .map(ByteSize)
                    .map_err(|_| E::custom("a size cannot be negative"))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_durations_people_write() {
        let cases = [
            ("10s", 10_000),
            ("5m", 300_000),
            ("1h30m", 5_400_000),
            ("250ms", 250),
            ("1.5s", 1_500),
            ("0 ms", 0),
            ("0", 0),
            ("2h 5s", 7_205_000),
        ];
        for (text, millis) in cases {
            let d: Duration = text.parse().unwrap();
            assert_eq!(d.0.as_millis(), millis, "{text}");
        }
    }

    #[test]
    fn rejects_bad_durations_with_a_reason() {
        for bad in ["", "10", "s", "10 parsecs", "1h30", "-5s", "1..2s"] {
            let err = bad.parse::<Duration>().unwrap_err().to_string();
            assert!(err.contains(bad.trim()), "{err}");
        }
    }

    #[test]
    fn flink_unit_names_parse() {
        for (text, secs) in [
            ("10 min", 600),
            ("1 hour", 3_600),
            ("30 seconds", 30),
            ("2 days", 172_800),
        ] {
            assert_eq!(text.parse::<Duration>().unwrap(), Duration::from_secs(secs), "{text}");
        }
        assert_eq!("500 millis".parse::<Duration>().unwrap(), Duration::from_millis(500));
    }

    #[test]
    fn durations_print_exactly() {
        assert_eq!(Duration::from_millis(5_400_000).to_string(), "1h30m");
        assert_eq!(Duration::from_millis(1_250).to_string(), "1s250ms");
        assert_eq!(Duration::default().to_string(), "0s");
    }

    #[test]
    fn parses_sizes() {
        let cases = [
            ("256mb", 256 << 20),
            ("8gb", 8 << 30),
            ("64kb", 64 << 10),
            ("1728m", 1728 << 20),
            ("100", 100),
            ("1.5kb", 1536),
        ];
        for (text, bytes) in cases {
            assert_eq!(text.parse::<ByteSize>().unwrap().0, bytes, "{text}");
        }
        assert!("12 parsecs".parse::<ByteSize>().is_err());
        assert!("mb".parse::<ByteSize>().is_err());
        assert_eq!(ByteSize::mib(256).to_string(), "256mb");
        assert_eq!(ByteSize(1536).to_string(), "1536b");
        assert_eq!(ByteSize(3 << 20).to_string(), "3mb");
    }

    proptest::proptest! {
        #[test]
        fn duration_display_round_trips(millis in 0u64..10_000_000_000) {
            let d = Duration::from_millis(millis);
            proptest::prop_assert_eq!(d.to_string().parse::<Duration>().unwrap(), d);
        }

        #[test]
        fn parsers_never_panic(text in "\\PC{0,20}") {
            let _ = text.parse::<Duration>();
            let _ = text.parse::<ByteSize>();
        }
    }
}

/// A share written as a percentage (`3%`; a bare number means percent too).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default)]
pub struct Percent(pub f64);

impl Percent {
    /// The share as a fraction of one.
    pub fn fraction(self) -> f64 {
        self.0 / 100.0
    }
}

impl FromStr for Percent {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        let number = text.strip_suffix('%').unwrap_or(text).trim();
        match number.parse::<f64>() {
            Ok(p) if p.is_finite() && p > 0.0 && p <= 100.0 => Ok(Percent(p)),
            Ok(_) => Err(format!(
                "invalid percentage `{text}`: it lies above 0% and at most 100%"
            )),
            Err(_) => Err(format!("invalid percentage `{text}`: expected e.g. 3% or 0.5%")),
        }
    }
}

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}%", self.0)
    }
}

impl Serialize for Percent {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Percent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match serde_json::Value::deserialize(deserializer)? {
            serde_json::Value::Number(n) => n.to_string().parse().map_err(de::Error::custom),
            serde_json::Value::String(s) => s.parse().map_err(de::Error::custom),
            other => Err(de::Error::custom(format!(
                "invalid percentage {other}: expected e.g. 3%"
            ))),
        }
    }
}

#[cfg(test)]
mod percent_tests {
    use super::Percent;

    #[test]
    fn a_percentage_reads_with_or_without_its_sign_and_stays_in_range() {
        assert_eq!("3%".parse::<Percent>(), Ok(Percent(3.0)));
        assert_eq!(" 0.5 ".parse::<Percent>(), Ok(Percent(0.5)));
        assert_eq!(Percent(2.0).fraction(), 0.02);
        assert!("0%".parse::<Percent>().is_err());
        assert!("150%".parse::<Percent>().is_err());
        assert!("three".parse::<Percent>().unwrap_err().contains("e.g. 3%"));
    }
}
