//! Flink's `DATE_FORMAT(ts, pattern)`, `FROM_UNIXTIME(seconds, pattern)` and
//! `UNIX_TIMESTAMP(text, pattern)` with Java's patterns (see `java_format`). The last two read
//! and write wall-clock time in the session's time zone (`table.local-time-zone`): a time in a
//! daylight-saving gap counts in the offset before it (02:30 on a spring-forward night is
//! 03:30), one in an overlap as the later instant (standard time), as Java's lenient calendar
//! does.

use std::sync::Arc;

use chrono::{LocalResult, NaiveDateTime, Offset, TimeZone};
use datafusion::arrow::array::timezone::Tz;
use datafusion::arrow::array::{Array, AsArray, Int64Array, StringArray};
use datafusion::arrow::datatypes::{DataType, Int64Type, TimeUnit, TimestampNanosecondType};
use datafusion::common::exec_err;
use datafusion::error::Result;
use datafusion::logical_expr::{ColumnarValue, ScalarUDF, Volatility, create_udf};

use crate::java_format::{self, Item};

/// `pipegen_date_format(ts, pattern, zone)`.
pub const DATE_FORMAT: &str = "pipegen_date_format";
/// `pipegen_from_unixtime(seconds, pattern, zone)`.
pub const FROM_UNIXTIME: &str = "pipegen_from_unixtime";
/// `pipegen_unix_timestamp(text, pattern, zone)`.
pub const UNIX_TIMESTAMP: &str = "pipegen_unix_timestamp";

fn zone(name: &str) -> Result<Tz> {
    match name.parse() {
        Ok(zone) => Ok(zone),
        Err(_) => exec_err!("no time zone '{name}'"),
    }
}

/// Patterns parsed once per distinct pattern in a batch.
fn items(pattern: &str, cache: &mut Option<(String, Vec<Item>)>) -> Option<Vec<Item>> {
    if cache.as_ref().is_none_or(|(p, _)| p != pattern) {
        *cache = Some((pattern.to_owned(), java_format::parse(pattern)?));
    }
    cache.as_ref().map(|(_, items)| items.clone())
}

pub fn udfs() -> [ScalarUDF; 3] {
    let nanos = DataType::Timestamp(TimeUnit::Nanosecond, None);
    let date_format = create_udf(
        DATE_FORMAT,
        vec![nanos.clone(), DataType::Utf8, DataType::Utf8],
        DataType::Utf8,
        Volatility::Immutable,
        Arc::new(move |args: &[ColumnarValue]| {
            let arrays = super::arrays(args, &[nanos.clone(), DataType::Utf8, DataType::Utf8])?;
            let times = arrays[0].as_primitive::<TimestampNanosecondType>();
            let patterns = arrays[1].as_string::<i32>();
            let mut cache = None;
            let out: StringArray = (0..times.len())
                .map(|row| {
                    if times.is_null(row) || patterns.is_null(row) {
                        return None;
                    }
                    let at = chrono::DateTime::from_timestamp_nanos(times.value(row)).naive_utc();
                    Some(java_format::format(&items(patterns.value(row), &mut cache)?, &at))
                })
                .collect();
            Ok(ColumnarValue::Array(Arc::new(out)))
        }),
    );
    let from_unixtime = create_udf(
        FROM_UNIXTIME,
        vec![DataType::Int64, DataType::Utf8, DataType::Utf8],
        DataType::Utf8,
        Volatility::Immutable,
        Arc::new(|args: &[ColumnarValue]| {
            let arrays = super::arrays(args, &[DataType::Int64, DataType::Utf8, DataType::Utf8])?;
            let seconds = arrays[0].as_primitive::<Int64Type>();
            let (patterns, zones) = (arrays[1].as_string::<i32>(), arrays[2].as_string::<i32>());
            let mut cache = None;
            let mut out = Vec::with_capacity(seconds.len());
            for row in 0..seconds.len() {
                if seconds.is_null(row) || patterns.is_null(row) || zones.is_null(row) {
                    out.push(None);
                    continue;
                }
                let zone = zone(zones.value(row))?;
                let local = zone
                    .timestamp_opt(seconds.value(row), 0)
                    .single()
                    .map(|t| t.naive_local());
                let items = items(patterns.value(row), &mut cache);
                out.push(local.zip(items).map(|(at, items)| java_format::format(&items, &at)));
            }
            Ok(ColumnarValue::Array(Arc::new(StringArray::from(out))))
        }),
    );
    let unix_timestamp = create_udf(
        UNIX_TIMESTAMP,
        vec![DataType::Utf8, DataType::Utf8, DataType::Utf8],
        DataType::Int64,
        Volatility::Immutable,
        Arc::new(|args: &[ColumnarValue]| {
            let arrays = super::arrays(args, &[DataType::Utf8, DataType::Utf8, DataType::Utf8])?;
            let (texts, patterns, zones) = (
                arrays[0].as_string::<i32>(),
                arrays[1].as_string::<i32>(),
                arrays[2].as_string::<i32>(),
            );
            let mut out = Vec::with_capacity(texts.len());
            for row in 0..texts.len() {
                if texts.is_null(row) || patterns.is_null(row) || zones.is_null(row) {
                    out.push(None);
                    continue;
                }
                let zone = zone(zones.value(row))?;
                let local = java_format::strftime(patterns.value(row)).and_then(|p| parse_local(texts.value(row), &p));
                out.push(local.and_then(|at| epoch_seconds(&zone, &at)));
            }
            Ok(ColumnarValue::Array(Arc::new(Int64Array::from(out))))
        }),
    );
    [date_format, from_unixtime, unix_timestamp]
}

/// A wall-clock time at the start of `text` (what follows is ignored, as Java ignores it); a
/// pattern of a date alone reads midnight.
fn parse_local(text: &str, strftime: &str) -> Option<NaiveDateTime> {
    match NaiveDateTime::parse_and_remainder(text, strftime) {
        Ok((at, _)) => Some(at),
        Err(_) => chrono::NaiveDate::parse_and_remainder(text, strftime)
            .ok()
            .map(|(day, _)| day.and_time(chrono::NaiveTime::MIN)),
    }
}

/// A wall-clock time in `zone` as epoch seconds, as Java's lenient calendar reads it.
fn epoch_seconds(zone: &Tz, at: &NaiveDateTime) -> Option<i64> {
    match zone.from_local_datetime(at) {
        LocalResult::Single(t) => Some(t.timestamp()),
        LocalResult::Ambiguous(_, later) => Some(later.timestamp()),
        // In a gap: the offset in force just before it.
        LocalResult::None => {
            let before = zone
                .from_local_datetime(&(*at - chrono::Duration::hours(3)))
                .earliest()?;
            Some(at.and_utc().timestamp() - i64::from(before.offset().fix().local_minus_utc()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_and_overlaps_read_as_java_reads_them() {
        let new_york = zone("America/New_York").unwrap();
        let at = |t: &str| NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S").unwrap();
        assert_eq!(epoch_seconds(&new_york, &at("2024-03-10 02:30:00")), Some(1710055800));
        assert_eq!(epoch_seconds(&new_york, &at("2024-11-03 01:30:00")), Some(1730615400));
        assert_eq!(epoch_seconds(&new_york, &at("2024-01-01 00:00:00")), Some(1704085200));
    }
}
