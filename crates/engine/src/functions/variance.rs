//! Flink's `VAR_POP`, `VAR_SAMP`, `STDDEV_POP` and `STDDEV_SAMP` (and `VARIANCE`, `STDDEV`).
//! Flink's planner rewrites them into sums (Calcite's `AggregateReduceFunctionsRule`), so
//! their values are those of
//!
//! ```text
//! var  = (SUM(x * x) - CAST(SUM(x) AS T) * CAST(SUM(x) AS T) / COUNT(x)) / COUNT(x)   -- POP
//!        ... / CASE WHEN COUNT(x) = 1 THEN NULL ELSE COUNT(x) - 1 END             -- SAMP
//! stddev = CAST(POWER(var, 0.5) AS T)
//! ```
//!
//! computed in the argument's type `T` with its arithmetic: in a DOUBLE's floating point, in
//! an integer type's wrapping integers (quotients truncated), and for DECIMAL(p, s) at
//! `T = DECIMAL(38, max(6, s))` with every step at Flink's decimal type for it, rounded half
//! up (see `flink_decimal`). The sums take rows back as Flink's retracting SUM does.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Decimal128Type, Field, FieldRef, Float64Type, Int64Type};
use datafusion::common::{ScalarValue, plan_err};
use datafusion::error::Result;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{Accumulator, AggregateUDF, AggregateUDFImpl, Signature, Volatility};

use super::flink_decimal::Decimal;
use crate::render::double_to_string;

pub const VAR_POP: &str = "pipegen_var_pop";
pub const VAR_SAMP: &str = "pipegen_var_samp";
pub const STDDEV_POP: &str = "pipegen_stddev_pop";
pub const STDDEV_SAMP: &str = "pipegen_stddev_samp";

pub fn udafs() -> [AggregateUDF; 4] {
    [VAR_POP, VAR_SAMP, STDDEV_POP, STDDEV_SAMP].map(|name| {
        AggregateUDF::from(Variance {
            name,
            signature: Signature::numeric(1, Volatility::Immutable),
        })
    })
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct Variance {
    name: &'static str,
    signature: Signature,
}

impl AggregateUDFImpl for Variance {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(match &arg_types[0] {
            DataType::Decimal128(_, s) => DataType::Decimal128(38, (*s).max(6)),
            DataType::Float32 | DataType::Float64 => DataType::Float64,
            t if t.is_integer() => t.clone(),
            other => return plan_err!("{} of {other}", self.name),
        })
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let sum_type = match args.input_fields[0].data_type() {
            DataType::Decimal128(_, _) => DataType::Decimal128(38, 0),
            DataType::Float32 | DataType::Float64 => DataType::Float64,
            _ => DataType::Int64,
        };
        Ok(["count", "sum", "sum_of_squares"]
            .into_iter()
            .map(|part| {
                let ty = if part == "count" {
                    DataType::Int64
                } else {
                    sum_type.clone()
                };
                Arc::new(Field::new(format!("{}[{part}]", args.name), ty, true))
            })
            .collect())
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let input = args.expr_fields[0].data_type().clone();
        let sums = match &input {
            DataType::Decimal128(_, _) => Sums::Decimal(Some((0, 0))),
            DataType::Float32 | DataType::Float64 => Sums::Double(0.0, 0.0),
            _ => Sums::Integer(0, 0),
        };
        Ok(Box::new(Moments {
            name: self.name,
            input,
            count: 0,
            sums,
        }))
    }
}

/// SUM(x) and SUM(x * x), in the argument's arithmetic (a DECIMAL's unscaled values, `None`
/// once past 38 digits).
#[derive(Debug, Clone, Copy)]
enum Sums {
    Double(f64, f64),
    Integer(i64, i64),
    Decimal(Option<(i128, i128)>),
}

#[derive(Debug)]
struct Moments {
    name: &'static str,
    input: DataType,
    count: i64,
    sums: Sums,
}

impl Moments {
    /// Integers wrap at their own width, as Java's `int` or `short` does.
    fn wrap(&self, value: i64) -> i64 {
        match self.input {
            DataType::Int8 | DataType::UInt8 => i64::from(value as i8),
            DataType::Int16 | DataType::UInt16 => i64::from(value as i16),
            DataType::Int32 | DataType::UInt32 => i64::from(value as i32),
            _ => value,
        }
    }

    fn fold(&mut self, values: &ArrayRef, sign: i64) -> Result<()> {
        self.count += sign * (values.len() - values.null_count()) as i64;
        self.sums = match self.sums {
            Sums::Double(mut sum, mut squares) => {
                let values = cast(values, &DataType::Float64)?;
                for x in values.as_primitive::<Float64Type>().iter().flatten() {
                    // Flink's retracting SUM subtracts: the same operations in the same order.
                    if sign > 0 {
                        sum += x;
                        squares += x * x;
                    } else {
                        sum -= x;
                        squares -= x * x;
                    }
                }
                Sums::Double(sum, squares)
            }
            Sums::Decimal(Some((mut sum, mut squares))) => {
                let mut overflowed = false;
                for x in values.as_primitive::<Decimal128Type>().iter().flatten() {
                    let signed = i128::from(sign) * x;
                    match (
                        sum.checked_add(signed),
                        x.checked_mul(signed).and_then(|sq| squares.checked_add(sq)),
                    ) {
                        (Some(s), Some(q)) => (sum, squares) = (s, q),
                        _ => overflowed = true,
                    }
                }
                // Past 38 digits Flink's SUM is NULL, and so is all that follows from it.
                Sums::Decimal((!overflowed).then_some((sum, squares)))
            }
            Sums::Decimal(None) => Sums::Decimal(None),
            Sums::Integer(mut sum, mut squares) => {
                let values = cast(values, &DataType::Int64)?;
                for x in values.as_primitive::<Int64Type>().iter().flatten() {
                    let square = self.wrap(x.wrapping_mul(x));
                    sum = self.wrap(sum.wrapping_add(sign.wrapping_mul(x)));
                    squares = self.wrap(squares.wrapping_add(sign.wrapping_mul(square)));
                }
                Sums::Integer(sum, squares)
            }
        };
        Ok(())
    }

    fn sample(&self) -> bool {
        matches!(self.name, VAR_SAMP | STDDEV_SAMP)
    }

    fn root(&self) -> bool {
        matches!(self.name, STDDEV_POP | STDDEV_SAMP)
    }

    fn denominator(&self) -> Option<i64> {
        match (self.sample(), self.count) {
            (true, 1) => None,
            (true, n) => Some(n - 1),
            (false, n) => Some(n),
        }
    }

    fn double(&self, sum: f64, squares: f64) -> Option<f64> {
        let n = self.count as f64;
        let variance = (squares - sum * sum / n) / self.denominator()? as f64;
        Some(if self.root() { variance.sqrt() } else { variance })
    }

    fn integer(&self, sum: i64, squares: i64) -> Option<i64> {
        let denominator = self.denominator()?;
        let sum = self.wrap(sum);
        // The square of SUM(x) wraps in the argument's type; the quotients are BIGINT's.
        let quotient = self.wrap(sum.wrapping_mul(sum)) / self.count;
        let variance = squares.wrapping_sub(quotient) / denominator;
        Some(if self.root() {
            (variance as f64).sqrt() as i64
        } else {
            self.wrap(variance)
        })
    }

    fn decimal(&self, sum: i128, squares: i128) -> Option<i128> {
        let DataType::Decimal128(p, s) = self.input else {
            return None;
        };
        let (p, s) = (i32::from(p), i32::from(s));
        let result_scale = s.max(6);
        // SUM(x * x): x * x is DECIMAL(2p + 1, 2s) (cut to 38 digits); its SUM DECIMAL(38, that scale).
        let square_scale = Decimal::new(0, p, s).multiply(&Decimal::new(0, p, s))?.scale;
        let squares = Decimal::new(squares, 38, 2 * s).to_type(38, square_scale)?;
        let sum = Decimal::new(sum, 38, s).to_type(38, result_scale)?;
        let count = Decimal::of_bigint(self.count);
        let difference = squares.subtract(&sum.multiply(&sum)?.divide(&count)?)?;
        let variance = difference.divide(&Decimal::of_bigint(self.denominator()?))?;
        let value = if self.root() {
            // POWER of a DECIMAL is a DOUBLE; a DOUBLE becomes a DECIMAL through its Java text.
            let root = variance.to_f64().sqrt();
            java_text_decimal(&double_to_string(root))?
        } else {
            variance
        };
        value.to_type(38, result_scale)?.to_i128()
    }
}

/// A DOUBLE's Java text (`1.2345E-5` too) as a decimal.
fn java_text_decimal(text: &str) -> Option<Decimal> {
    let (mantissa, exponent) = match text.split_once('E') {
        Some((m, e)) => (m, e.parse::<i32>().ok()?),
        None => (text, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let unscaled: i128 = format!("{whole}{fraction}").parse().ok()?;
    Some(Decimal::new(unscaled, 38, fraction.len() as i32 - exponent))
}

impl Accumulator for Moments {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        self.fold(&values[0], 1)
    }

    fn retract_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        self.fold(&values[0], -1)
    }

    fn supports_retract_batch(&self) -> bool {
        true
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let counts = states[0].as_primitive::<Int64Type>();
        for row in 0..counts.len() {
            self.count += counts.value(row);
            self.sums = match self.sums {
                Sums::Double(sum, squares) => {
                    let part = |i: usize| states[i].as_primitive::<Float64Type>().value(row);
                    Sums::Double(sum + part(1), squares + part(2))
                }
                Sums::Integer(sum, squares) => {
                    let part = |i: usize| states[i].as_primitive::<Int64Type>().value(row);
                    Sums::Integer(
                        self.wrap(sum.wrapping_add(part(1))),
                        self.wrap(squares.wrapping_add(part(2))),
                    )
                }
                Sums::Decimal(Some((sum, squares))) if states[1].is_valid(row) => {
                    let part = |i: usize| states[i].as_primitive::<Decimal128Type>().value(row);
                    Sums::Decimal(sum.checked_add(part(1)).zip(squares.checked_add(part(2))))
                }
                Sums::Decimal(_) => Sums::Decimal(None),
            };
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let count = ScalarValue::Int64(Some(self.count));
        Ok(match self.sums {
            Sums::Double(sum, squares) => vec![count, ScalarValue::from(sum), ScalarValue::from(squares)],
            Sums::Integer(sum, squares) => vec![count, ScalarValue::from(sum), ScalarValue::from(squares)],
            Sums::Decimal(sums) => vec![
                count,
                ScalarValue::Decimal128(sums.map(|(sum, _)| sum), 38, 0),
                ScalarValue::Decimal128(sums.map(|(_, squares)| squares), 38, 0),
            ],
        })
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let any = self.count > 0;
        Ok(match self.sums {
            Sums::Double(sum, squares) => ScalarValue::Float64(any.then(|| self.double(sum, squares)).flatten()),
            Sums::Integer(sum, squares) => {
                ScalarValue::Int64(any.then(|| self.integer(sum, squares)).flatten()).cast_to(&self.input)?
            }
            Sums::Decimal(sums) => {
                let DataType::Decimal128(_, s) = self.input else {
                    return plan_err!("a decimal variance of {}", self.input);
                };
                let value = sums
                    .filter(|_| any)
                    .and_then(|(sum, squares)| self.decimal(sum, squares));
                ScalarValue::Decimal128(value, 38, s.max(6))
            }
        })
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self)
    }
}
