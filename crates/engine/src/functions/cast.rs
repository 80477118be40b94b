//! Flink's `CAST` and `TRY_CAST` where DataFusion's differ: to a string, a value becomes the
//! text Flink writes for it (`2024-03-01 12:00:33.612`, `TRUE`, `1.0E-6`); from a string, a
//! number or boolean is read as Flink reads it: surrounding blanks ignored, an integer's
//! fraction cut off (`'377.25'` is 377), an exponent only in a DECIMAL or DOUBLE (`'1e3'`),
//! a DECIMAL rounded half up and NULL past its precision, booleans from `true`/`t`/`yes`/`y`/`1`
//! and `false`/`f`/`no`/`n`/`0`. What does not read is an error for CAST, NULL for TRY_CAST.
//! Every other cast is Arrow's.

use std::str::FromStr;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, StringArray, new_null_array};
use datafusion::arrow::compute::{CastOptions, cast_with_options};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{ScalarValue, exec_err};
use datafusion::error::Result;
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility};

use super::flink_decimal::Decimal;
use crate::render::column_text;

/// `pipegen_cast(value, CAST(NULL AS target))`.
pub const CAST: &str = "pipegen_cast";
pub const TRY_CAST: &str = "pipegen_try_cast";

pub fn udfs() -> [ScalarUDF; 2] {
    [CAST, TRY_CAST].map(|name| {
        ScalarUDF::from(FlinkCast {
            name,
            signature: Signature::any(2, Volatility::Immutable),
        })
    })
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct FlinkCast {
    name: &'static str,
    signature: Signature,
}

impl ScalarUDFImpl for FlinkCast {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(arg_types[1].clone())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let input = args.args[0].to_array(args.number_rows)?;
        let target = args.return_type();
        let lenient = self.name == TRY_CAST;
        let out: ArrayRef = match (input.data_type(), target) {
            (_, DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8) => {
                let strings: ArrayRef = Arc::new(StringArray::from(text(&input)?));
                cast_with_options(&strings, target, &CastOptions::default())?
            }
            (DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View, target)
                if target.is_numeric() || *target == DataType::Boolean =>
            {
                let strings = cast_with_options(&input, &DataType::Utf8, &CastOptions::default())?;
                let strings = strings.as_string::<i32>();
                let mut values = Vec::with_capacity(strings.len());
                for text in strings.iter() {
                    let value = match text {
                        None => ScalarValue::try_from(target)?,
                        Some(text) => match read(text.trim_matches(|c: char| c <= ' '), target) {
                            Some(value) => value,
                            None if lenient => ScalarValue::try_from(target)?,
                            None => return exec_err!("CAST('{text}' AS {target}): not a value of that type"),
                        },
                    };
                    values.push(value);
                }
                if values.is_empty() {
                    new_null_array(target, 0)
                } else {
                    ScalarValue::iter_to_array(values)?
                }
            }
            (_, target) => cast_with_options(
                &input,
                target,
                &CastOptions {
                    safe: lenient,
                    ..CastOptions::default()
                },
            )?,
        };
        Ok(ColumnarValue::Array(out))
    }
}

/// Values as text; BYTES decode as UTF-8 (printing shows them in hex instead).
fn text(input: &ArrayRef) -> Result<Vec<Option<String>>> {
    if let DataType::Binary = input.data_type() {
        return Ok(input
            .as_binary::<i32>()
            .iter()
            .map(|b| b.map(|b| String::from_utf8_lossy(b).into_owned()))
            .collect());
    }
    Ok(column_text(input.as_ref())?)
}

/// A string as Flink casts it to `target` (itself, for a string type).
pub fn read_as(text: &str, target: &DataType) -> Option<ScalarValue> {
    if matches!(target, DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8) {
        return ScalarValue::Utf8(Some(text.to_owned())).cast_to(target).ok();
    }
    read(text.trim_matches(|c: char| c <= ' '), target)
}

/// A trimmed string as Flink reads a value of `target` from it.
fn read(text: &str, target: &DataType) -> Option<ScalarValue> {
    Some(match target {
        DataType::Boolean => ScalarValue::Boolean(Some(match text.to_ascii_lowercase().as_str() {
            "true" | "t" | "yes" | "y" | "1" => true,
            "false" | "f" | "no" | "n" | "0" => false,
            _ => return None,
        })),
        DataType::Int8 => ScalarValue::Int8(Some(i8::try_from(integer(text)?).ok()?)),
        DataType::Int16 => ScalarValue::Int16(Some(i16::try_from(integer(text)?).ok()?)),
        DataType::Int32 => ScalarValue::Int32(Some(i32::try_from(integer(text)?).ok()?)),
        DataType::Int64 => ScalarValue::Int64(Some(integer(text)?)),
        DataType::Float64 => ScalarValue::Float64(Some(java_double(text)?)),
        DataType::Float32 => ScalarValue::Float32(Some(java_double(text)? as f32)),
        DataType::Decimal128(p, s) => {
            let value = decimal(text)?.to_type(i32::from(*p), i32::from(*s))?;
            ScalarValue::Decimal128(Some(value.to_i128()?), *p, *s)
        }
        _ => return None,
    })
}

/// An integer with an optional sign and an optional fraction, which is cut off.
fn integer(text: &str) -> Option<i64> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = whole.strip_prefix(['-', '+']).unwrap_or(whole);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || !fraction.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    whole.parse().ok()
}

/// Java's `new BigDecimal(text)`: digits with an optional point and exponent.
fn decimal(text: &str) -> Option<Decimal> {
    let (mantissa, exponent) = match text.split_once(['e', 'E']) {
        Some((m, e)) => (m, i32::from_str(e.strip_prefix('+').unwrap_or(e)).ok()?),
        None => (text, 0),
    };
    let (sign, unsigned) = match mantissa.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", mantissa.strip_prefix('+').unwrap_or(mantissa)),
    };
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let digits = format!("{whole}{fraction}");
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let unscaled = num_bigint::BigInt::from_str(&format!("{sign}{digits}")).ok()?;
    Some(Decimal::new(unscaled, 38, fraction.len() as i32 - exponent))
}

/// Java's `Double.parseDouble`: decimal forms, `NaN` and `Infinity` as Java spells them, and a
/// trailing `d` or `f`.
fn java_double(text: &str) -> Option<f64> {
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    let negative = text.starts_with('-');
    let special = match unsigned {
        "NaN" => Some(f64::NAN),
        "Infinity" => Some(f64::INFINITY),
        _ => None,
    };
    if let Some(value) = special {
        return Some(if negative { -value } else { value });
    }
    let number = text.strip_suffix(['d', 'D', 'f', 'F']).unwrap_or(text);
    // Java's grammar is a decimal's; Rust's parse also takes `inf`, which Java does not.
    decimal(number)?;
    number.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_read_as_flink_reads_them() {
        assert_eq!(integer("377.25"), Some(377));
        assert_eq!(integer("-0"), Some(0));
        assert_eq!(integer("1e3"), None);
        assert_eq!(read("2147483648", &DataType::Int32), None);
        assert_eq!(
            read("1e3", &DataType::Decimal128(6, 1)),
            Some(ScalarValue::Decimal128(Some(10000), 6, 1))
        );
        assert_eq!(
            read("377.25", &DataType::Decimal128(6, 1)),
            Some(ScalarValue::Decimal128(Some(3773), 6, 1))
        );
        assert_eq!(read("2147483648", &DataType::Decimal128(6, 1)), None);
        assert_eq!(java_double("1e3"), Some(1000.0));
        assert_eq!(java_double("inf"), None);
        assert_eq!(read("TRUE", &DataType::Boolean), Some(ScalarValue::Boolean(Some(true))));
        assert_eq!(read("42", &DataType::Boolean), None);
    }
}
