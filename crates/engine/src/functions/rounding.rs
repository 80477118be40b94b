//! Flink's `ROUND(x, n)`, `TRUNCATE(x, n)`, `CEIL(x)`, `FLOOR(x)` and `SIGN(x)`, with Flink's
//! result types and rounding: a DECIMAL(p, s) rounds to DECIMAL(1 + p - s + n, n) (the digit a
//! rounding may add), half up, and CEIL and FLOOR give DECIMAL(p, 0); a DOUBLE rounds its
//! decimal text (Java's `BigDecimal.valueOf`), not its binary value, so ROUND(2.675, 2) is 2.68.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, AsArray, Decimal128Array, Float64Array, Int64Array};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Decimal128Type, Field, FieldRef, Float64Type, Int64Type};
use datafusion::common::{ScalarValue, exec_err, plan_err};
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use crate::render::double_to_string;

/// `pipegen_round(x, digits)`: half up.
pub const ROUND: &str = "pipegen_round";
/// `pipegen_truncate(x, digits)`: toward zero.
pub const TRUNCATE: &str = "pipegen_truncate";
pub const SIGN: &str = "pipegen_sign";
pub const CEIL: &str = "pipegen_ceil";
pub const FLOOR: &str = "pipegen_floor";

pub fn udfs() -> [ScalarUDF; 5] {
    [ROUND, TRUNCATE, SIGN, CEIL, FLOOR].map(|name| {
        let arity = if matches!(name, ROUND | TRUNCATE) { 2 } else { 1 };
        ScalarUDF::from(Rounding {
            name,
            signature: Signature::any(arity, Volatility::Immutable),
        })
    })
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct Rounding {
    name: &'static str,
    signature: Signature,
}

impl Rounding {
    /// The digits to keep: a literal, as Flink requires.
    fn digits(&self, literal: Option<&ScalarValue>) -> Result<i32> {
        if !matches!(self.name, ROUND | TRUNCATE) {
            return Ok(0);
        }
        match literal.and_then(|v| v.cast_to(&DataType::Int32).ok()) {
            Some(ScalarValue::Int32(Some(n))) => Ok(n),
            _ => plan_err!("{}'s digits must be an integer literal", self.name),
        }
    }
}

impl ScalarUDFImpl for Rounding {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        plan_err!("{} needs its arguments' fields", self.name)
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let input = args.arg_fields[0].data_type();
        let digits = self.digits(args.scalar_arguments.get(1).copied().flatten())?;
        let ty = match input {
            DataType::Decimal128(p, _) if matches!(self.name, CEIL | FLOOR) => DataType::Decimal128(*p, 0),
            DataType::Decimal128(p, s) if self.name != SIGN => {
                let (p, s, n) = (i32::from(*p), i32::from(*s), digits);
                let (precision, scale) = if n >= s {
                    (p, s)
                } else if n < 0 {
                    ((1 + p - s).min(38), 0)
                } else {
                    (1 + p - s + n, n)
                };
                DataType::Decimal128(precision as u8, scale as i8)
            }
            DataType::Float32 => DataType::Float64,
            other if other.is_numeric() => other.clone(),
            other => return plan_err!("{} of {other}", self.name),
        };
        Ok(Arc::new(Field::new(self.name, ty, true)))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let digits = match args.args.get(1) {
            Some(ColumnarValue::Scalar(value)) => self.digits(Some(value))?,
            Some(_) => return exec_err!("{}'s digits must be an integer literal", self.name),
            None => 0,
        };
        let input = args.args[0].to_array(args.number_rows)?;
        let out_type = args.return_type().clone();
        let out: ArrayRef = match (input.data_type(), &out_type) {
            (DataType::Decimal128(_, scale), DataType::Decimal128(p, s)) => {
                let values = input.as_primitive::<Decimal128Type>();
                let (scale, out_scale) = (i32::from(*scale), i32::from(*s));
                let out: Decimal128Array = values
                    .iter()
                    .map(|v| {
                        v.map(|v| match self.name {
                            SIGN => v.signum() * 10i128.pow(out_scale.unsigned_abs()),
                            _ if digits >= scale => v,
                            // Rounded at 10^-digits, then at the result's scale.
                            _ => self.decimal(v, scale - digits) * 10i128.pow((out_scale - digits).unsigned_abs()),
                        })
                    })
                    .collect();
                Arc::new(out.with_precision_and_scale(*p, *s)?)
            }
            (DataType::Float64 | DataType::Float32, _) => {
                let values = cast(&input, &DataType::Float64)?;
                let out: Float64Array = values
                    .as_primitive::<Float64Type>()
                    .iter()
                    .map(|v| v.map(|v| self.double(v, digits)))
                    .collect();
                Arc::new(out)
            }
            (ty, _) if ty.is_integer() => {
                let wide = cast(&input, &DataType::Int64)?;
                let out: Int64Array = wide
                    .as_primitive::<Int64Type>()
                    .iter()
                    .map(|v| v.map(|v| self.integer(v, digits)))
                    .collect();
                cast(&out, ty)?
            }
            (other, _) => return exec_err!("{} of {other}", self.name),
        };
        Ok(ColumnarValue::Array(out))
    }
}

impl Rounding {
    /// An unscaled decimal with `shift` fraction digits dropped.
    fn decimal(&self, value: i128, shift: i32) -> i128 {
        if self.name == SIGN || shift <= 0 {
            return value * 10i128.pow(shift.unsigned_abs());
        }
        let unit = 10i128.pow(shift as u32);
        let (whole, rest) = (value / unit, value % unit);
        match self.name {
            ROUND if rest.abs() * 2 >= unit => whole + value.signum(),
            CEIL if rest > 0 => whole + 1,
            FLOOR if rest < 0 => whole - 1,
            _ => whole,
        }
    }

    fn integer(&self, value: i64, digits: i32) -> i64 {
        if self.name == SIGN {
            return value.signum();
        }
        if digits >= 0 || matches!(self.name, CEIL | FLOOR) {
            return value;
        }
        let kept = self.decimal(i128::from(value), -digits);
        (kept * 10i128.pow(digits.unsigned_abs())) as i64
    }

    /// A double rounded as Java's `BigDecimal.valueOf(value).setScale(digits, mode)`.
    fn double(&self, value: f64, digits: i32) -> f64 {
        match self.name {
            SIGN => {
                return if value == 0.0 || value.is_nan() {
                    value
                } else {
                    value.signum()
                };
            }
            CEIL => return value.ceil(),
            FLOOR => return value.floor(),
            _ => {}
        }
        let Some((unscaled, scale)) = value
            .is_finite()
            .then(|| decimal_of_java_text(&double_to_string(value)))
            .flatten()
        else {
            return value;
        };
        let shift = scale - digits;
        if shift <= 0 {
            return value;
        }
        // Java's text has at most 19 digits: past 10^38 all of them round away.
        let kept = if shift > 38 { 0 } else { self.decimal(unscaled, shift) };
        format!("{kept}e{}", -digits).parse().unwrap_or(value)
    }
}

/// Java double text (`-1.25E-7`, `640.697`) as an unscaled integer and its scale.
fn decimal_of_java_text(text: &str) -> Option<(i128, i32)> {
    let (mantissa, exponent) = match text.split_once('E') {
        Some((m, e)) => (m, e.parse::<i32>().ok()?),
        None => (text, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let unscaled: i128 = format!("{whole}{fraction}").parse().ok()?;
    Some((unscaled, fraction.len() as i32 - exponent))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rounding(name: &'static str) -> Rounding {
        Rounding {
            name,
            signature: Signature::any(2, Volatility::Immutable),
        }
    }

    #[test]
    fn decimals_round_half_up_and_truncate_toward_zero() {
        assert_eq!(rounding(ROUND).decimal(-43647, 1), -4365);
        assert_eq!(rounding(ROUND).decimal(-43645, 1), -4365);
        assert_eq!(rounding(TRUNCATE).decimal(-43647, 1), -4364);
        assert_eq!(rounding(ROUND).integer(15, -1), 20);
        assert_eq!(rounding(ROUND).integer(-15, -1), -20);
    }

    #[test]
    fn doubles_round_their_java_text() {
        assert_eq!(rounding(ROUND).double(2.675, 2), 2.68);
        assert_eq!(rounding(ROUND).double(640.697, 1), 640.7);
        assert_eq!(rounding(TRUNCATE).double(-8.59, 1), -8.5);
        assert_eq!(rounding(ROUND).double(1.0e-7, 2), 0.0);
    }
}
