//! Flink's `LISTAGG(DISTINCT value [, separator])`: each distinct value once, in the order the
//! values first arrived (DataFusion's distinct string aggregate keeps no order).

use std::collections::HashSet;
use std::sync::Arc;

use super::java_hash_order::{MERGES_IN_HASH_ORDER, merge_order, merges_in_hash_order};
use datafusion::arrow::array::{Array, ArrayRef, AsArray, ListArray, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::{ScalarValue, exec_err};
use datafusion::error::Result;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{Accumulator, AggregateUDF, AggregateUDFImpl, Signature, Volatility};
use datafusion::physical_expr::expressions::Literal;

/// The name the SQL rewrite calls it by.
pub const LISTAGG_DISTINCT: &str = "pipegen_listagg_distinct";

pub fn listagg_distinct_udaf() -> AggregateUDF {
    AggregateUDF::from(ListAggDistinct {
        signature: Signature::any(2, Volatility::Immutable),
    })
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct ListAggDistinct {
    signature: Signature,
}

impl AggregateUDFImpl for ListAggDistinct {
    fn name(&self) -> &str {
        LISTAGG_DISTINCT
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![
            Arc::new(Field::new(
                format!("{}[values]", args.name),
                DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true))),
                true,
            )),
            Arc::new(Field::new(
                format!("{}{MERGES_IN_HASH_ORDER}", args.name),
                DataType::Boolean,
                true,
            )),
        ])
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        // The separator is a literal, as in Flink.
        let separator = match args.exprs.get(1).and_then(|e| e.downcast_ref::<Literal>()) {
            Some(literal) => match literal.value() {
                ScalarValue::Utf8(Some(s)) | ScalarValue::LargeUtf8(Some(s)) | ScalarValue::Utf8View(Some(s)) => {
                    s.clone()
                }
                _ => return exec_err!("LISTAGG's separator must be a string literal"),
            },
            None => return exec_err!("LISTAGG's separator must be a string literal"),
        };
        Ok(Box::new(Distinct {
            separator,
            values: Vec::new(),
            seen: HashSet::new(),
        }))
    }
}

#[derive(Debug)]
struct Distinct {
    separator: String,
    values: Vec<String>,
    seen: HashSet<String>,
}

impl Distinct {
    fn add(&mut self, values: &ArrayRef) -> Result<()> {
        let strings = cast(values, &DataType::Utf8)?;
        for value in strings.as_string::<i32>().iter().flatten() {
            if !self.seen.contains(value) {
                self.seen.insert(value.to_owned());
                self.values.push(value.to_owned());
            }
        }
        Ok(())
    }
}

impl Accumulator for Distinct {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        self.add(&values[0])
    }

    /// A partial's values come in the order Flink's window aggregation merges them.
    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let lists = states[0].as_list::<i32>();
        for state in 0..lists.len() {
            if lists.is_null(state) {
                continue;
            }
            let list = lists.value(state);
            if !merges_in_hash_order(states.get(1), state) {
                self.add(&list)?;
                continue;
            }
            let values = (0..list.len())
                .map(|i| ScalarValue::try_from_array(&list, i))
                .collect::<Result<Vec<_>>>()?;
            let order = merge_order(&values)?;
            let indices = datafusion::arrow::array::UInt32Array::from_iter_values(order.into_iter().map(|i| i as u32));
            self.add(&datafusion::arrow::compute::take(&list, &indices, None)?)?;
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let values: ArrayRef = Arc::new(StringArray::from_iter_values(&self.values));
        Ok(vec![
            ScalarValue::List(Arc::new(ListArray::new(
                Arc::new(Field::new_list_field(DataType::Utf8, true)),
                datafusion::arrow::buffer::OffsetBuffer::from_lengths([values.len()]),
                values,
                None,
            ))),
            ScalarValue::Boolean(Some(true)),
        ])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(ScalarValue::Utf8(
            (!self.values.is_empty()).then(|| self.values.join(&self.separator)),
        ))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.values.iter().map(|v| 2 * v.len() + 48).sum::<usize>()
    }
}
