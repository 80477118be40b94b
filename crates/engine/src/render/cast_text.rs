//! A column's values as Flink's CAST to STRING writes them when printing results (the SQL
//! client's converter): `TRUE`/`FALSE`, DOUBLE as Java prints it, timestamps
//! `yyyy-MM-dd HH:mm:ss.SSS`, decimals at their scale, `[a, NULL]` for arrays, `{k=v}` for
//! maps, `(a, b)` for rows and `x'0a1b'` for bytes.

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::datatypes::{DataType, Float32Type, Float64Type, TimeUnit};
use datafusion::arrow::error::ArrowError;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};

use super::java_double::{double_to_string, float_to_string};

/// Each value of `array` as text, `None` for NULL.
pub fn column_text(array: &dyn Array) -> Result<Vec<Option<String>>, ArrowError> {
    let present = |row: usize| array.is_valid(row);
    let texts: Vec<Option<String>> = match array.data_type() {
        DataType::Boolean => array
            .as_boolean()
            .iter()
            .map(|v| v.map(|b| if b { "TRUE" } else { "FALSE" }.to_owned()))
            .collect(),
        DataType::Float64 => array
            .as_primitive::<Float64Type>()
            .iter()
            .map(|v| v.map(double_to_string))
            .collect(),
        DataType::Float32 => array
            .as_primitive::<Float32Type>()
            .iter()
            .map(|v| v.map(float_to_string))
            .collect(),
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView | DataType::FixedSizeBinary(_) => {
            let formatter = ArrayFormatter::try_new(array, &FormatOptions::default())?;
            (0..array.len())
                .map(|row| present(row).then(|| format!("x'{}'", formatter.value(row))))
                .collect()
        }
        DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(_, _) => (0..array.len())
            .map(|row| {
                if !present(row) {
                    return Ok(None);
                }
                let elements = column_text(list_elements(array, row).as_ref())?;
                let elements: Vec<&str> = elements.iter().map(or_null).collect();
                Ok(Some(format!("[{}]", elements.join(", "))))
            })
            .collect::<Result<_, ArrowError>>()?,
        DataType::Map(_, _) => {
            let map = array.as_map();
            let keys = column_text(map.keys().as_ref())?;
            let values = column_text(map.values().as_ref())?;
            let offsets = map.value_offsets();
            (0..array.len())
                .map(|row| {
                    present(row).then(|| {
                        let entries: Vec<String> = (offsets[row] as usize..offsets[row + 1] as usize)
                            .map(|i| format!("{}={}", or_null(&keys[i]), or_null(&values[i])))
                            .collect();
                        format!("{{{}}}", entries.join(", "))
                    })
                })
                .collect()
        }
        DataType::Struct(_) => {
            let fields = array
                .as_struct()
                .columns()
                .iter()
                .map(|c| column_text(c.as_ref()))
                .collect::<Result<Vec<_>, _>>()?;
            (0..array.len())
                .map(|row| {
                    present(row).then(|| {
                        let values: Vec<&str> = fields.iter().map(|f| or_null(&f[row])).collect();
                        format!("({})", values.join(", "))
                    })
                })
                .collect()
        }
        other => {
            let options = match other {
                DataType::Timestamp(unit, None) => {
                    FormatOptions::default().with_timestamp_format(Some(timestamp_format(unit)))
                }
                DataType::Timestamp(unit, Some(_)) => {
                    FormatOptions::default().with_timestamp_tz_format(Some(timestamp_format(unit)))
                }
                _ => FormatOptions::default(),
            };
            let formatter = ArrayFormatter::try_new(array, &options)?;
            (0..array.len())
                .map(|row| present(row).then(|| formatter.value(row).to_string()))
                .collect()
        }
    };
    Ok(texts)
}

fn or_null(text: &Option<String>) -> &str {
    text.as_deref().unwrap_or("NULL")
}

/// The elements of a list value.
fn list_elements(array: &dyn Array, row: usize) -> ArrayRef {
    match array.data_type() {
        DataType::List(_) => array.as_list::<i32>().value(row),
        DataType::LargeList(_) => array.as_list::<i64>().value(row),
        _ => array.as_fixed_size_list().value(row),
    }
}

fn timestamp_format(unit: &TimeUnit) -> &'static str {
    match unit {
        TimeUnit::Second => "%Y-%m-%d %H:%M:%S",
        TimeUnit::Millisecond => "%Y-%m-%d %H:%M:%S%.3f",
        TimeUnit::Microsecond => "%Y-%m-%d %H:%M:%S%.6f",
        TimeUnit::Nanosecond => "%Y-%m-%d %H:%M:%S%.9f",
    }
}
