//! Flink's `TIMESTAMPDIFF(unit, from, to)`: whole units from `from` to `to` as an INT, truncated
//! toward zero; months (and quarters, years) counted on the calendar, a month from Jan 31 being
//! Feb 29 (Calcite's `subtractMonths`).

use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, Int32Array};
use datafusion::arrow::datatypes::{DataType, TimeUnit, TimestampMillisecondType};
use datafusion::common::exec_err;
use datafusion::logical_expr::{ColumnarValue, ScalarUDF, Volatility, create_udf};

/// `pipegen_timestampdiff(unit, from, to)`, the unit as `translate::unit` names it.
pub const TIMESTAMPDIFF: &str = "pipegen_timestampdiff";

const DAY_MILLIS: i64 = 86_400_000;

pub fn udf() -> ScalarUDF {
    let millis = DataType::Timestamp(TimeUnit::Millisecond, None);
    create_udf(
        TIMESTAMPDIFF,
        vec![DataType::Utf8, millis.clone(), millis.clone()],
        DataType::Int32,
        Volatility::Immutable,
        Arc::new(move |args: &[ColumnarValue]| {
            let arrays = super::arrays(args, &[DataType::Utf8, millis.clone(), millis.clone()])?;
            let units = arrays[0].as_string::<i32>();
            let (from, to) = (
                arrays[1].as_primitive::<TimestampMillisecondType>(),
                arrays[2].as_primitive::<TimestampMillisecondType>(),
            );
            let mut out = Vec::with_capacity(units.len());
            for row in 0..units.len() {
                if units.is_null(row) || from.is_null(row) || to.is_null(row) {
                    out.push(None);
                    continue;
                }
                let (a, b) = (from.value(row), to.value(row));
                let diff = match units.value(row) {
                    "second" => (b - a) / 1_000,
                    "minute" => (b - a) / 60_000,
                    "hour" => (b - a) / 3_600_000,
                    "day" => (b - a) / DAY_MILLIS,
                    "week" => (b - a) / (7 * DAY_MILLIS),
                    "month" => i64::from(months_between(b, a)),
                    "quarter" => i64::from(months_between(b, a) / 3),
                    "year" => i64::from(months_between(b, a) / 12),
                    other => return exec_err!("TIMESTAMPDIFF in {other}"),
                };
                // Java's (int) of a long.
                out.push(Some(diff as i32));
            }
            Ok(ColumnarValue::Array(Arc::new(Int32Array::from(out))))
        }),
    )
}

/// Whole calendar months from `t1` to `t0` (epoch milliseconds).
fn months_between(t0: i64, t1: i64) -> i32 {
    let (d0, millis0) = (t0.div_euclid(DAY_MILLIS), t0.rem_euclid(DAY_MILLIS));
    let (d1, millis1) = (t1.div_euclid(DAY_MILLIS), t1.rem_euclid(DAY_MILLIS));
    let mut months = date_months_between(d0, d1);
    // The last month is whole only if the time of day has come round too.
    if add_months(d1, months) == d0 && millis0 < millis1 {
        months -= 1;
    }
    months
}

/// Whole months from day `d1` to day `d0` (days since the epoch).
fn date_months_between(d0: i64, d1: i64) -> i32 {
    if d0 < d1 {
        return -date_months_between(d1, d0);
    }
    // No month is longer than 31 days: this starts at or below the answer.
    let mut months = ((d0 - d1) / 31) as i32;
    loop {
        if add_months(d1, months) >= d0 || add_months(d1, months + 1) > d0 {
            return months;
        }
        months += 1;
    }
}

/// The day `months` calendar months after `day`, on the month's last day where it is shorter.
fn add_months(day: i64, months: i32) -> i64 {
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("a date");
    let date = epoch + chrono::Duration::days(day);
    let moved = if months >= 0 {
        date.checked_add_months(chrono::Months::new(months as u32))
    } else {
        date.checked_sub_months(chrono::Months::new(months.unsigned_abs()))
    };
    moved.map_or(day, |d| (d - epoch).num_days())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> i64 {
        chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.3f")
            .unwrap()
            .and_utc()
            .timestamp_millis()
    }

    #[test]
    fn months_count_on_the_calendar() {
        let jan31 = at("2024-01-31 00:00:00.000");
        assert_eq!(months_between(at("2024-02-29 23:59:59.999"), jan31), 1);
        assert_eq!(months_between(at("2024-02-28 23:59:59.999"), jan31), 0);
        assert_eq!(months_between(at("2023-12-31 23:59:59.500"), jan31), -1);
        assert_eq!(months_between(at("2024-11-03 06:15:30.250"), jan31), 9);
    }
}
