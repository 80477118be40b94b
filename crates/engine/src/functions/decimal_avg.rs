//! Flink's `AVG` of a `DECIMAL(p, s)`: a `DECIMAL(38, max(s, 6))`, the sum divided by the count
//! with Flink's decimal division, rounded half up to that scale (DataFusion's average truncates
//! the last digit). It retracts, for GROUP BY over updating input.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::datatypes::{DataType, Decimal128Type, Field, FieldRef, Int64Type};
use datafusion::common::{ScalarValue, exec_err};
use datafusion::error::Result;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{Accumulator, AggregateUDF, AggregateUDFImpl, Signature, Volatility};

use super::flink_decimal::Decimal;

/// Flink's result scale of `AVG(DECIMAL(p, s))`.
pub fn avg_scale(input_scale: i8) -> i8 {
    input_scale.max(6)
}

pub fn decimal_avg_udaf() -> AggregateUDF {
    AggregateUDF::from(DecimalAvg {
        signature: Signature::any(1, Volatility::Immutable),
    })
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct DecimalAvg {
    signature: Signature,
}

fn input_scale(ty: &DataType) -> Result<i8> {
    match ty {
        DataType::Decimal128(_, scale) => Ok(*scale),
        other => exec_err!("the decimal AVG takes a DECIMAL, not {other}"),
    }
}

impl AggregateUDFImpl for DecimalAvg {
    // The name of the aggregate it stands for, so the plan's column names stay `avg(...)`.
    fn name(&self) -> &str {
        "avg"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Decimal128(38, avg_scale(input_scale(&arg_types[0])?)))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let scale = input_scale(args.input_fields[0].data_type())?;
        Ok(vec![
            Arc::new(Field::new(
                format!("{}[sum]", args.name),
                DataType::Decimal128(38, scale),
                true,
            )),
            Arc::new(Field::new(format!("{}[count]", args.name), DataType::Int64, true)),
        ])
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let from = input_scale(args.expr_fields[0].data_type())?;
        Ok(Box::new(Average {
            sum: 0,
            count: 0,
            from,
            to: avg_scale(from),
        }))
    }
}

/// The sum of the values at their scale, and how many there are.
#[derive(Debug)]
struct Average {
    sum: i128,
    count: i64,
    from: i8,
    to: i8,
}

impl Average {
    fn add(&mut self, values: &ArrayRef, sign: i128) {
        let values = values.as_primitive::<Decimal128Type>();
        for value in values.iter().flatten() {
            self.sum += sign * value;
            self.count += sign as i64;
        }
    }
}

impl Accumulator for Average {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        self.add(&values[0], 1);
        Ok(())
    }

    fn retract_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        self.add(&values[0], -1);
        Ok(())
    }

    fn supports_retract_batch(&self) -> bool {
        true
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let sums = states[0].as_primitive::<Decimal128Type>();
        let counts = states[1].as_primitive::<Int64Type>();
        for row in 0..sums.len() {
            if sums.is_valid(row) {
                self.sum += sums.value(row);
                self.count += counts.value(row);
            }
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![
            ScalarValue::Decimal128(Some(self.sum), 38, self.from),
            ScalarValue::Int64(Some(self.count)),
        ])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let average = (self.count != 0)
            .then(|| {
                Decimal::new(self.sum, 38, i32::from(self.from))
                    .divide(&Decimal::of_bigint(self.count))?
                    .to_type(38, i32::from(self.to))?
                    .to_i128()
            })
            .flatten();
        Ok(ScalarValue::Decimal128(average, 38, self.to))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_average_of_decimals_is_rounded_half_up_at_scale_six() {
        let mut average = Average {
            sum: 0,
            count: 0,
            from: 2,
            to: 6,
        };
        let values: ArrayRef = Arc::new(
            datafusion::arrow::array::Decimal128Array::from(vec![Some(1), Some(1), Some(0), None])
                .with_precision_and_scale(10, 2)
                .unwrap(),
        );
        average.update_batch(std::slice::from_ref(&values)).unwrap();
        // 0.02 / 3 = 0.0066666...: 0.006667, where truncation gives 0.006666.
        assert_eq!(average.evaluate().unwrap(), ScalarValue::Decimal128(Some(6_667), 38, 6));
        average.retract_batch(&[values.slice(0, 1)]).unwrap();
        // 0.01 / 2 = 0.005
        assert_eq!(average.evaluate().unwrap(), ScalarValue::Decimal128(Some(5_000), 38, 6));
    }
}
