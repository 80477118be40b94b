//! Flink's `LAG(x [, offset [, default]]) OVER (PARTITION BY ... ORDER BY ts)`: Flink runs it as
//! an aggregate of the frame (its LagAggFunction), keeping the last `offset + 1` values; the
//! value is the one `offset` rows before the last accumulated, else the default. Rows of one
//! time are accumulated together (the RANGE frame's peers), so they share a value, as in
//! Flink.

use std::collections::VecDeque;
use std::sync::Arc;

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::{ScalarValue, exec_err, plan_err};
use datafusion::error::Result;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{Accumulator, AggregateUDF, AggregateUDFImpl, Signature, Volatility};
use datafusion::physical_expr::expressions::Literal;

pub const LAG: &str = "pipegen_lag";

pub fn udaf() -> AggregateUDF {
    AggregateUDF::from(Lag {
        signature: Signature::variadic_any(Volatility::Immutable),
    })
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct Lag {
    signature: Signature,
}

impl AggregateUDFImpl for Lag {
    fn name(&self) -> &str {
        LAG
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        match arg_types {
            [value, ..] if arg_types.len() <= 3 => Ok(value.clone()),
            _ => plan_err!("LAG takes a value, an offset and a default"),
        }
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let value = args.input_fields[0].data_type().clone();
        Ok(vec![Arc::new(Field::new(
            format!("{}[values]", args.name),
            DataType::List(Arc::new(Field::new_list_field(value, true))),
            true,
        ))])
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let literal = |index: usize| {
            args.exprs
                .get(index)
                .and_then(|e| e.downcast_ref::<Literal>())
                .map(|l| l.value().clone())
        };
        let offset = match literal(1) {
            None if args.exprs.len() < 2 => 1,
            Some(value) => match value.cast_to(&DataType::Int64)? {
                ScalarValue::Int64(Some(n)) if n >= 0 => n as usize,
                _ => return plan_err!("LAG's offset must be a non-negative integer literal"),
            },
            None => return plan_err!("LAG's offset must be a literal"),
        };
        let value_type = args.expr_fields[0].data_type().clone();
        let default = match literal(2) {
            Some(value) => value.cast_to(&value_type)?,
            None if args.exprs.len() < 3 => ScalarValue::try_from(&value_type)?,
            None => return plan_err!("LAG's default must be a literal"),
        };
        Ok(Box::new(LagValues {
            offset,
            default,
            values: VecDeque::with_capacity(offset + 1),
        }))
    }
}

#[derive(Debug)]
struct LagValues {
    offset: usize,
    default: ScalarValue,
    /// The last `offset + 1` values, oldest first.
    values: VecDeque<ScalarValue>,
}

impl Accumulator for LagValues {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        for row in 0..values[0].len() {
            self.values.push_back(ScalarValue::try_from_array(&values[0], row)?);
            if self.values.len() > self.offset + 1 {
                self.values.pop_front();
            }
        }
        Ok(())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(if self.values.len() > self.offset {
            self.values[0].clone()
        } else {
            self.default.clone()
        })
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.values.iter().map(ScalarValue::size).sum::<usize>()
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let values: Vec<ScalarValue> = self.values.iter().cloned().collect();
        let value_type = self.default.data_type();
        Ok(vec![ScalarValue::List(ScalarValue::new_list_nullable(
            &values,
            &value_type,
        ))])
    }

    fn merge_batch(&mut self, _states: &[ArrayRef]) -> Result<()> {
        exec_err!("LAG runs in OVER windows only")
    }
}
