//! Flink's `ARRAY_AGG(value)` and `ARRAY_AGG(DISTINCT value)`: the values in the order they
//! arrived, NULLs kept; DISTINCT keeps each value's first arrival. A retraction takes back the
//! first equal element (Flink's `list.remove`); under DISTINCT a value leaves when its last
//! row is taken back, and a later row adds it at the end. An empty array is NULL.

use std::collections::HashMap;
use std::sync::Arc;

use super::java_hash_order::{MERGES_IN_HASH_ORDER, merge_order, merges_in_hash_order};
use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Int64Type};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{Accumulator, AggregateUDF, AggregateUDFImpl, Signature, Volatility};

pub const ARRAY_AGG: &str = "pipegen_array_agg";
pub const ARRAY_AGG_DISTINCT: &str = "pipegen_array_agg_distinct";

pub fn udafs() -> [AggregateUDF; 2] {
    [ARRAY_AGG, ARRAY_AGG_DISTINCT].map(|name| {
        AggregateUDF::from(ArrayAgg {
            name,
            signature: Signature::any(1, Volatility::Immutable),
        })
    })
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct ArrayAgg {
    name: &'static str,
    signature: Signature,
}

fn list_of(item: &DataType) -> DataType {
    DataType::List(Arc::new(Field::new_list_field(item.clone(), true)))
}

impl AggregateUDFImpl for ArrayAgg {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(list_of(&arg_types[0]))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let item = args.input_fields[0].data_type();
        Ok(vec![
            Arc::new(Field::new(format!("{}[values]", args.name), list_of(item), true)),
            Arc::new(Field::new(
                format!("{}[counts]", args.name),
                list_of(&DataType::Int64),
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
        Ok(Box::new(Elements {
            item: args.expr_fields[0].data_type().clone(),
            distinct: self.name == ARRAY_AGG_DISTINCT,
            values: Vec::new(),
            counts: HashMap::new(),
        }))
    }
}

#[derive(Debug)]
struct Elements {
    item: DataType,
    distinct: bool,
    /// The array, in order.
    values: Vec<ScalarValue>,
    /// Under DISTINCT: how many rows hold each value.
    counts: HashMap<ScalarValue, i64>,
}

impl Elements {
    fn add(&mut self, value: ScalarValue, rows: i64) {
        if !self.distinct {
            self.values.extend(std::iter::repeat_n(value, rows as usize));
            return;
        }
        let count = self.counts.entry(value.clone()).or_default();
        *count += rows;
        if *count == rows {
            self.values.push(value);
        }
    }

    fn take_back(&mut self, value: ScalarValue) {
        if self.distinct {
            match self.counts.get_mut(&value) {
                Some(count) if *count > 1 => {
                    *count -= 1;
                    return;
                }
                Some(_) => {
                    self.counts.remove(&value);
                }
                None => return,
            }
        }
        if let Some(at) = self.values.iter().position(|v| *v == value) {
            self.values.remove(at);
        }
    }
}

impl Accumulator for Elements {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        for row in 0..values[0].len() {
            self.add(ScalarValue::try_from_array(&values[0], row)?, 1);
        }
        Ok(())
    }

    fn retract_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        for row in 0..values[0].len() {
            self.take_back(ScalarValue::try_from_array(&values[0], row)?);
        }
        Ok(())
    }

    fn supports_retract_batch(&self) -> bool {
        true
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let (values, counts) = (states[0].as_list::<i32>(), states[1].as_list::<i32>());
        for state in 0..values.len() {
            if values.is_null(state) {
                continue;
            }
            let (items, rows) = (values.value(state), counts.value(state));
            let rows = rows.as_primitive::<Int64Type>();
            let items = (0..items.len())
                .map(|i| ScalarValue::try_from_array(&items, i))
                .collect::<Result<Vec<_>>>()?;
            // A partial's distinct values come as Flink's window aggregation merges them.
            let order = if self.distinct && merges_in_hash_order(states.get(2), state) {
                merge_order(&items)?
            } else {
                (0..items.len()).collect()
            };
            for i in order {
                let count = if rows.is_empty() { 1 } else { rows.value(i) };
                self.add(items[i].clone(), count);
            }
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let counts: Vec<ScalarValue> = if self.distinct {
            self.values
                .iter()
                .map(|v| ScalarValue::Int64(self.counts.get(v).copied()))
                .collect()
        } else {
            Vec::new()
        };
        Ok(vec![
            ScalarValue::List(ScalarValue::new_list_nullable(&self.values, &self.item)),
            ScalarValue::List(ScalarValue::new_list_nullable(&counts, &DataType::Int64)),
            ScalarValue::Boolean(Some(true)),
        ])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        if self.values.is_empty() {
            return ScalarValue::try_from(list_of(&self.item));
        }
        Ok(ScalarValue::List(ScalarValue::new_list_nullable(
            &self.values,
            &self.item,
        )))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self)
            + self.values.iter().map(ScalarValue::size).sum::<usize>()
            + self.counts.keys().map(|k| k.size() + 8).sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn elements(distinct: bool) -> Elements {
        Elements {
            item: DataType::Utf8,
            distinct,
            values: Vec::new(),
            counts: HashMap::new(),
        }
    }

    fn text(s: &str) -> ScalarValue {
        ScalarValue::from(s)
    }

    #[test]
    fn retractions_take_back_the_first_equal_element() {
        let mut all = elements(false);
        for v in ["a", "b", "a"] {
            all.add(text(v), 1);
        }
        all.take_back(text("a"));
        assert_eq!(all.values, vec![text("b"), text("a")]);
    }

    #[test]
    fn distinct_values_leave_with_their_last_row() {
        let mut distinct = elements(true);
        for v in ["a", "b", "a"] {
            distinct.add(text(v), 1);
        }
        distinct.take_back(text("a"));
        assert_eq!(distinct.values, vec![text("a"), text("b")]);
        distinct.take_back(text("a"));
        distinct.add(text("a"), 1);
        assert_eq!(distinct.values, vec![text("b"), text("a")]);
    }
}
